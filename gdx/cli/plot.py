"""``gdx plot FUNCTION``: flags → gdx.app.plot (the scene) → gdx.render.landscape."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import common

HELP = (
    'Draw FUNCTION over a box as a heatmap (or contour map) in the terminal; a function of one '
    'variable as its curve, f above and f′ below, with --path runs as points on it.\n\n'
    "The box is --box, else the preset's domain, else -5:5 for every variable. Shades (colours on a "
    'terminal) are bands of f: linear, or log-spaced in f − f_min when f spans two decades or more '
    '(Rosenbrock, Goldstein-Price). ★ marks known minima; for functions of two variables the critical '
    'points found within a second are marked too (× saddle, ▲ maximum). With more than two variables, '
    "the plot is a slice: --axes picks the two drawn, --slice fixes the others (default: the preset's "
    'first known minimum, else 0). --path draws paths exported by gdx optimize --export run.csv (or '
    '.json) on top.'
)

EPILOG = (
    'Examples:\n\n'
    'gdx plot rosenbrock\n\n'
    'gdx plot "x^2 + 3*y^2" --box "x=-2:2,y=-1:1" --style contour\n\n'
    'gdx plot "x^4 - 2*x^2" --box "x=-1.8:1.8"\n\n'
    'gdx optimize rosenbrock --export run.csv && gdx plot rosenbrock --path run.csv\n\n'
    'gdx plot "x^2+y^2+z^2" --slice "z=0.5" --png bowl.png'
)

VIEW = "View"


def register(app: typer.Typer) -> None:
    common.command(app, "plot", help=HELP, epilog=EPILOG, options=common.problem_options)(plot)


def plot(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file.", show_default=False),
    box: Optional[str] = typer.Option(None, "--box", help='Ranges: "x=-2:2,y=-1:3" (or "-2:2,-1:3" in variable order).', rich_help_panel=VIEW),
    slice_: Optional[str] = typer.Option(None, "--slice", help='Values of the variables not plotted: "z=0.5".', rich_help_panel=VIEW),
    axes: Optional[str] = typer.Option(None, "--axes", help='The two variables to draw: "x,z". [default: the first two]', rich_help_panel=VIEW),
    path: Optional[List[Path]] = typer.Option(None, "--path", metavar="FILE", help="A path exported by gdx (CSV or JSON); repeat for more.", show_default=False),
    style: str = typer.Option("heatmap", "--style", help="heatmap or contour.", rich_help_panel=VIEW),
    scale: str = typer.Option("auto", "--scale", help="auto, log or linear levels. [auto: log when f spans ≥ 2 decades]", rich_help_panel=VIEW),
    width: Optional[int] = typer.Option(None, "--width", min=40, max=400, help="Total width in columns. [default: the terminal's]", rich_help_panel=VIEW),
    height: Optional[int] = typer.Option(None, "--height", min=5, max=200, help="Map rows. [default: keep the box's aspect, at most 30]", rich_help_panel=VIEW),
    no_critical: bool = typer.Option(False, "--no-critical", help="Do not search for critical points to mark.", rich_help_panel=VIEW),
    png: Optional[Path] = typer.Option(None, "--png", help='Also write a figure (.png/.svg/.pdf); needs pip install "gdx[png]".', rich_help_panel=common.OUT),
    **flags,
) -> None:
    from ..app.plot import check_choice, plot as build_plot, scale_flag
    from ..render.landscape import show_scene

    style = check_choice("--style", style, ("heatmap", "contour"))
    log = scale_flag(scale)
    scene = build_plot(function, variables=flags["variables"], box=box, slice_spec=slice_, axes=axes, paths=path or (),
                       critical=not no_critical, timeout=flags["timeout"], png=png, log=log,
                       data=flags.get("data"))
    out = common.session(ctx).out()
    if not hasattr(scene, "plot_vars"):  # a function of one variable: its curve (gdx.app.plot.Curve)
        from ..render.curve import show_curve

        show_curve(out, scene, width=width, height=height)
        return
    show_scene(out, scene, width=width, height=height, style=style, log=log)
    if png is not None:
        out.print(f"figure written to {png}", soft_wrap=True, markup=False)
