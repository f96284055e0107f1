"""``gdx schedules [NAME]``: every schedule with its formula, or one schedule's lr(k) drawn."""

from __future__ import annotations

from typing import Optional

import typer

from . import common


def register(app: typer.Typer) -> None:
    common.command(
        app, "schedules",
        help="List every learning-rate schedule (formula, torch equivalent, flags), or draw NAME's lr(k) for "
             "k = 0 … --steps − 1 with its first, smallest, largest and last value. NAME may be an expression in "
             "k and lr.",
        epilog='Examples:  gdx schedules   ·   gdx schedules step --step-size 10 --gamma 0.5 --steps 40   ·   '
               'gdx schedules "lr*min(1, (k+1)/100)*(1 + cos(pi*k/1000))/2" --steps 1000 --json',
        options=common.schedule_options,
    )(schedules)


def schedules(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="A schedule, or an expression in k and lr, to draw.",
                                         show_default=False),
    lr: float = typer.Option(0.1, "--lr", help="Base learning rate lr."),
    steps: int = typer.Option(100, "--steps", help="Draw lr(k) for k = 0 … steps − 1 (a run of this many updates)."),
    json_out: bool = typer.Option(False, "--json", help="Print the list, or the values lr(0) … lr(steps − 1), as JSON."),
    **flags,
) -> None:
    from ..app.schedules import draw, listing
    from ..errors import GdxError
    from ..render.console import terminal_color, write_json
    from ..render.schedules import schedule_curve, schedule_values, schedules_text
    from ..schedules import SCHEDULE_PARAMETERS

    if name is not None and flags.get("schedule") is not None:
        raise GdxError("give the schedule once: as NAME or as --schedule", kind="usage error")
    name = name if name is not None else flags.get("schedule")
    args = {k: flags[k] for k in SCHEDULE_PARAMETERS if flags.get(k) is not None}
    out = common.session(ctx).out()
    if name is None:
        if args:
            raise GdxError("schedule flags need a schedule to draw", kind="usage error",
                           hint="gdx schedules NAME " + " ".join(SCHEDULE_PARAMETERS[k].flag + " …" for k in args))
        outcome = listing()
        if json_out:
            write_json(out, outcome.items)
        else:
            out.print(schedules_text(outcome.items), markup=False, highlight=False)
        common.finish(outcome.exit_code)
    outcome = draw(name, lr, steps, args)
    if json_out:
        write_json(out, outcome.curve)
    else:
        width = min(out.width, 100)
        out.print(schedule_curve(outcome.curve, width=width, color=terminal_color(out)), markup=False,
                  highlight=False, soft_wrap=True)
        out.print(schedule_values(outcome.curve), markup=False, highlight=False)
    common.finish(outcome.exit_code)
