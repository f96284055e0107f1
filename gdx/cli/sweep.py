"""``gdx sweep FUNCTION``: flags → gdx.app.sweep → renderers."""

from __future__ import annotations

from typing import Optional

import typer

from . import common

HELP = (
    'Run an optimizer from one start for every value of a learning-rate range (and optionally a '
    'second hyperparameter), all at once, and show the outcome against the setting.\n\n'
    'Give a range as A:B (or A:B:log, A:B:lin), or a list a,b,c, to any hyperparameter flag. --lr and '
    '--eps ranges are log-spaced (--linear for a linear --lr); the others are linear. With --data, '
    '--batch-size "8,32,128" (or A:B) sweeps the batch size, alone or against one range. One range draws the final loss '
    '(or, with --metric steps, the steps to converge) against it, marks the runs that diverged and '
    'the stability limit 2/λmax of gradient descent at the start; two ranges draw a heatmap. '
    '--schedule, --clip-norm, --steps and --tol apply to every run, as in gdx optimize.'
)

EPILOG = (
    'Examples:\n\n'
    'gdx sweep "x^2 + 3*y^2" -o gd --lr 1e-4:1 --num 40\n\n'
    'gdx sweep rosenbrock -o momentum --lr 1e-5:1e-2 --momentum 0:0.99\n\n'
    'gdx sweep himmelblau -o adam --lr 1e-3:1 --metric steps --json\n\n'
    'gdx sweep "(w*x + b - y)^2" --data pts.csv --batch-size "8,32,128" --lr "0.01,0.03,0.1"'
)

GRID = "Grid"


def register(app: typer.Typer) -> None:
    common.command(app, "sweep", help=HELP, epilog=EPILOG,
                   options=lambda: [*common.hyper_options(ranges=True), *common.schedule_options(), *common.run_options(batch_text=True)])(sweep)


def sweep(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file.", show_default=False),
    optimizer: Optional[str] = typer.Option(None, "-o", "--optimizer", help="The optimizer. [default: the preset's, else gd]"),
    num: Optional[int] = typer.Option(None, "--num", help="Values on the first swept axis. [default: 40]", rich_help_panel=GRID),
    grid_num: Optional[int] = typer.Option(None, "--grid-num", help="Values on the second swept axis. [default: 20]", rich_help_panel=GRID),
    linear: bool = typer.Option(False, "--linear", help="Space the --lr range linearly instead of logarithmically.", rich_help_panel=GRID),
    metric: str = typer.Option("loss", "--metric", help="loss (final loss) or steps (steps to converge).", rich_help_panel=GRID),
    json_out: bool = typer.Option(False, "--json", help="Print every run, the best setting and 2/λmax as JSON.", rich_help_panel=common.OUT),
    **flags,
) -> None:
    from ..app.sweep import sweep as run_sweep
    from ..optim.hyper import HYPERPARAMETERS

    s = common.session(ctx)
    given = {name: flags.pop(name) for name in HYPERPARAMETERS if flags.get(name) is not None}
    batch = flags.pop("batch_size", None)
    sizes = None
    if batch is not None:
        from ..app.sweep import parse_batch_sizes

        sizes = parse_batch_sizes(batch)
    request = common.run_request(function, flags, optimizer=optimizer,
                                 batch_size=sizes[0] if sizes is not None and len(sizes) == 1 else None)
    if sizes is not None and len(sizes) > 1:
        from ..app.sweep import sweep_batch_sizes

        outcome = sweep_batch_sizes(request, sizes, given=given, metric=metric, grid=(num, grid_num, linear))
    else:
        outcome = run_sweep(request, given, num=num, grid_num=grid_num, linear=linear, metric=metric)
    out = s.out()
    if json_out:
        from ..render.console import write_json

        write_json(out, outcome.document)
    else:
        from ..render.sweep import print_sweep

        print_sweep(out, outcome.prepared.target, outcome.result)
    common.finish(outcome.exit_code)
