"""``gdx compare FUNCTION -o gd,momentum,adam:lr=0.1,beta1=0.8,newton``: flags → gdx.app.compare → renderers."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import common

HELP = (
    'Run several optimizers on FUNCTION from the same start and compare them.\n\n'
    '-o lists the optimizers, separated by commas; settings follow a colon, also separated by commas: '
    '-o gd,momentum,adam:lr=0.1,beta1=0.8,newton runs four optimizers, Adam with lr 0.1 and β₁ 0.8. '
    'An optimizer may appear twice with different settings (adam:lr=0.1,adam:lr=0.01). Every run uses '
    "the same start (--start, else the preset's, else 1.5 for every variable), --steps, --tol, "
    '--schedule and --clip-norm.\n\n'
    '"steps" in the table is the number of updates to reach ‖∇f‖ ≤ --tol (— when a run did not). Exit '
    'status: 0, or 1 when every run diverged or failed, 130 when interrupted.'
)

EPILOG = (
    'Examples:\n\n'
    'gdx compare rosenbrock -o gd,momentum,adam,newton\n\n'
    'gdx compare "x^2 + 10*y^2" -o gd:lr=0.09,momentum,adam:lr=0.1,beta1=0.8 --steps 200\n\n'
    'gdx compare himmelblau -o gd,adam --export runs/ --json'
)

VIEW = "View"


def register(app: typer.Typer) -> None:
    common.command(app, "compare", help=HELP, epilog=EPILOG,
                   options=lambda: [*common.schedule_options(), *common.run_options(start_help='Start point for all: "1.5,-0.5" or "x=1.5,y=-0.5".')])(compare)


def compare(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file.", show_default=False),
    optimizers: str = typer.Option("gd,momentum,adam,newton", "-o", "--optimizers", help='Optimizers with settings: "gd,adam:lr=0.1,beta1=0.8".'),
    box: Optional[str] = typer.Option(None, "--box", help='Landscape box: "x=-2:2,y=-1:3". [default: the preset\'s domain, grown to hold the paths]', rich_help_panel=VIEW),
    slice_: Optional[str] = typer.Option(None, "--slice", help='Values of the variables not plotted: "z=0.5".', rich_help_panel=VIEW),
    axes: Optional[str] = typer.Option(None, "--axes", help='The two variables to draw: "x,z".', rich_help_panel=VIEW),
    no_plot: bool = typer.Option(False, "--no-plot", help="Only the table: no loss curves, no landscape.", rich_help_panel=VIEW),
    json_out: bool = typer.Option(False, "--json", help="Print the table as one JSON document and nothing else.", rich_help_panel=common.OUT),
    export: Optional[Path] = typer.Option(None, "--export", help="Write one CSV per optimizer into this directory.", rich_help_panel=common.OUT),
    png: Optional[Path] = typer.Option(None, "--png", help='Write a figure (landscape with paths, loss curves); needs pip install "gdx[png]".', rich_help_panel=common.OUT),
    gif: Optional[Path] = typer.Option(None, "--gif", help='Write an animation: the paths drawn step by step on the landscape, the loss curves beside (≤ 120 frames, 800×450); needs pip install "gdx[png]".', rich_help_panel=common.OUT),
    **flags,
) -> None:
    from ..app.compare import check_compare_flags, check_compare_outputs, compare as run_compare, compare_scene, parse_optimizers, prepare_all

    s = common.session(ctx)
    entries = parse_optimizers(optimizers)
    check_compare_flags(json_out=json_out, no_plot=no_plot, png=png, box=box, slice_spec=slice_, axes=axes, gif=gif)
    check_compare_outputs(export=export, png=png, gif=gif)
    request = common.run_request(function, flags)
    out, err = s.out(), s.err()
    view = dict(box_spec=box, slice_spec=slice_, axes=axes)

    def progress(label: str) -> None:
        if err.is_terminal:
            err.print(f"[dim]running {label}…[/]", end="\r")

    prepared = prepare_all(request, entries, export=export)
    if gif is not None:
        from ..app.plot import require_2d

        require_2d(prepared[0])  # before the header: the animation draws a landscape
    if not json_out:
        from ..render.compare import header_line

        out.print(header_line(prepared[0], prepared[2][0]))
    outcome = run_compare(request, entries, prepared=prepared, on_run=None if json_out else progress,
                          export=export, png=png, view=view, gif=gif)
    if err.is_terminal and not json_out:
        err.print(" " * 40, end="\r")
    if json_out:
        from ..render.console import write_json

        write_json(out, outcome.document)
    else:
        from ..render.compare import print_comparison

        print_comparison(out, outcome, plot=not no_plot, scene=None if no_plot else compare_scene(outcome, **view))
    common.finish(outcome.exit_code)
