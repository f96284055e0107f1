"""``gdx optimize FUNCTION``: flags → request → gdx.app.optimize (or gdx.app.multistart) → renderers."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import common

HELP = (
    'Run an optimizer on FUNCTION and show every step, the loss curve and a summary.\n\n'
    'FUNCTION is an expression ("x^2 + 3*y^2", ^ means power), a preset name (rosenbrock) or a preset '
    'file (my.toml). gdx derives the gradient and Hessian symbolically, then runs from --start (or '
    "the preset's start, or 1.5 for every variable) until the gradient norm is ≤ --tol, --steps "
    'updates are made, or the run diverges.'
)

EPILOG = (
    'Examples:\n\n'
    'gdx optimize "x^2 + 3*y^2" -o momentum --lr 0.05\n\n'
    'gdx optimize rosenbrock -o adam --lr 0.02 --steps 3000 --export path.csv\n\n'
    'gdx optimize "x^2+3*y^2" --lr 0.34 --json'
)

STARTS = "Many starts"


def register(app: typer.Typer) -> None:
    common.command(app, "optimize", help=HELP, epilog=EPILOG,
                   options=lambda: [*common.hyper_options(), *common.schedule_options(), *common.run_options(seed=False)])(optimize)


def optimize(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file.", show_default=False),
    optimizer: Optional[str] = typer.Option(None, "-o", "--optimizer", help="The optimizer (gdx optimizers lists them). [default: the preset's, else gd]"),
    every: Optional[int] = typer.Option(None, "--every", min=1, help="Show every K-th step. [default: log-spaced rows]", rich_help_panel=common.OUT),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary.", rich_help_panel=common.OUT),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else.", rich_help_panel=common.OUT),
    export: Optional[Path] = typer.Option(None, "--export", help="Write the whole path to a .csv or .json file.", rich_help_panel=common.OUT),
    no_plot: bool = typer.Option(False, "--no-plot", help="Do not draw the loss curve.", rich_help_panel=common.OUT),
    landscape: bool = typer.Option(False, "--landscape", help="Also draw the path on the landscape of f (2+ variables).", rich_help_panel=common.OUT),
    png: Optional[Path] = typer.Option(None, "--png", help='Write a figure (landscape with the path, loss curve); needs pip install "gdx[png]".', rich_help_panel=common.OUT),
    gif: Optional[Path] = typer.Option(None, "--gif", help='Write an animation: the path drawn step by step on the landscape, the loss curve beside (≤ 120 frames, 800×450); needs pip install "gdx[png]".', rich_help_panel=common.OUT),
    starts: Optional[int] = typer.Option(None, "--starts", help="Run N random starts in the box at once and show which minimum each reaches (basins table, basin map).", rich_help_panel=STARTS),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the random starts (the same seed gives the same starts), or of the minibatch shuffles (--batch-size). [default: 0]", rich_help_panel=STARTS),
    box: Optional[str] = typer.Option(None, "--box", help='Box of the random starts: "x=-5:5,y=-5:5" or "-5:5,-5:5". [default: the preset\'s domain, else -5:5 per variable]', rich_help_panel=STARTS),
    all_rows: bool = typer.Option(False, "--all-rows", help="List every basin in the table (default: the 12 with the most runs, then a summary line).", rich_help_panel=STARTS),
    **flags,
) -> None:
    from ..app.prepare import prepare

    s = common.session(ctx)
    request = common.run_request(function, flags, optimizer=optimizer, export=str(export) if export else None,
                                 seed=seed if flags.get("batch_size") is not None else None)
    if starts is not None:  # many starts: one batch, basins instead of one path
        from ..app.multistart import check_multistart_flags, multistart
        from ..render.basins import map_columns, print_multistart

        check_multistart_flags(starts=starts, start=request.start, export=export, landscape=landscape, png=png,
                               quiet=quiet, no_plot=no_plot, every=every, seed=seed or 0)
        out = s.out()
        if gif is not None:
            from ..render.gif import prepare_gif

            prepare_gif(gif)
        outcome = multistart(prepare(request, keep_path=False), starts=starts, seed=seed or 0, box=box,
                             map_cols=map_columns(out.width), gif=gif)
        if json_out:
            from ..render.console import write_json

            write_json(out, outcome.document)
        else:
            print_multistart(out, outcome, all_rows=all_rows)
        common.finish(outcome.exit_code)
    from ..app.optimize import check_run_outputs, check_single_run_flags, optimize as run_optimize, prepare_single

    check_single_run_flags(quiet=quiet, json_out=json_out, no_plot=no_plot, every=every, landscape=landscape,
                           seed=None if request.batch_size is not None else seed, box=box, all_rows=all_rows)

    prepared = prepare_single(request)
    check_run_outputs(landscape=landscape, png=png, target=prepared.target, gif=gif)
    out = s.out()
    streaming = not (quiet or json_out)
    stream = None
    if streaming:
        from ..render.stream import IterationStream
        from ..render.summary import print_header

        print_header(out, prepared.target, prepared.compiled, prepared.optimizer, prepared.x0, prepared.settings_line())
        stream = IterationStream(out, prepared.compiled.variables, every=every, batched=prepared.sampling is not None)
    try:
        outcome = run_optimize(prepared, on_step=stream.step if stream else None, png=png, gif=gif,
                               on_block=stream.block if stream else None)
    finally:
        if stream is not None:
            stream.close()
    if json_out:
        from ..render.console import write_json

        write_json(out, outcome.document)
    else:
        from ..render.run import print_outcome

        scene = None
        if landscape:
            from ..app.plot import run_scene

            scene = run_scene(prepared, outcome.result)
        print_outcome(out, outcome, plot=streaming and not no_plot, scene=scene)
    common.finish(outcome.exit_code)
