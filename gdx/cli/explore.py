"""``gdx explore FUNCTION``: flags → gdx.app.explore (the explorer) → gdx.tui.explore (the screen)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import common

HELP = (
    'Turn the knobs and watch the path move: a full-screen view of FUNCTION with the path, the loss, '
    'every setting, the result, the diagnosis and a stability gauge (lr against 2/λmax for gd, '
    "2(1+μ)/λmax for momentum, Adam's preconditioned edge).\n\n"
    '←/→ lr (÷/× 1.25, shift ÷/× 2), ↑/↓ momentum or β₁, o optimizer, s schedule, b/B halve/double the '
    'batch size of a loss over data (--data, or a preset with data), h j k l (or a click) '
    'the start, space one update with its arithmetic, c keep the run for comparison, e export the path '
    '(CSV), [ ] and v move the slice of a function of 3+ variables, ? help, q quit. The flags set where '
    'it begins; every change is a run gdx optimize can repeat (the export message shows the command). '
    'Needs a terminal (80×24 or more) and the extra: pip install "gdx[tui]".'
)

EPILOG = (
    'Examples:\n\n'
    'gdx explore "x^2 + 3*y^2"\n\n'
    'gdx explore rosenbrock -o momentum --lr 0.001\n\n'
    'gdx explore "x^2 + y^2 + z^2 + x*z" --axes "x,z" --slice "y=0.5"\n\n'
    'gdx explore "(w*x + b - y)^2" --data points.csv --batch-size 8'
)

VIEW = "View"


def register(app: typer.Typer) -> None:
    common.command(app, "explore", help=HELP, epilog=EPILOG,
                   options=lambda: [*common.hyper_options(), *common.schedule_options(), *common.run_options()])(explore)


def explore(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file.", show_default=False),
    optimizer: Optional[str] = typer.Option(None, "-o", "--optimizer", help="The optimizer to begin with. [default: the preset's, else gd]"),
    box: Optional[str] = typer.Option(None, "--box", help='The box drawn: "x=-2:2,y=-1:3". [default: the preset\'s domain, else around the start]', rich_help_panel=VIEW),
    slice_: Optional[str] = typer.Option(None, "--slice", help='Values of the variables not plotted: "z=0.5".', rich_help_panel=VIEW),
    axes: Optional[str] = typer.Option(None, "--axes", help='The two variables to draw: "x,z". [default: the first two]', rich_help_panel=VIEW),
    export: Path = typer.Option(Path("explore.csv"), "--export", help="Where e writes the current path (.csv or .json).", rich_help_panel=common.OUT),
    no_mouse: bool = typer.Option(False, "--no-mouse", help="Do not capture the mouse (a click then does not move the start).", rich_help_panel=VIEW),
    **flags,
) -> None:
    from ..app.explore import Explorer, check_terminal

    s = common.session(ctx)
    check_terminal(s.stdout, s.env)
    request = common.run_request(function, flags, optimizer=optimizer)
    explorer = Explorer(request, axes=axes, slice_spec=slice_, box=box, export=str(export))
    from ..render.console import terminal_color
    from ..tui.explore import run_explorer

    common.finish(run_explorer(explorer, color=terminal_color(s.out()), mouse=not no_mouse))
