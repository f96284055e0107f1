"""``gdx schedules``: the table of schedules, or one schedule's lr(k) for k = 0 … steps − 1.

The rule: the listing is read from :mod:`gdx.schedules`' tables (formula, torch equivalent,
parameters with their defaults); a drawn schedule is :func:`gdx.schedules.make_schedule` with
``run_steps = steps`` (so cosine's ``t_max`` and onecycle's ``total_steps`` default to it, as in
a run of that many steps) evaluated at every k the updates of such a run use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ExitCode, GdxError

#: the most updates ``gdx schedules NAME --steps N`` draws.
MAX_STEPS = 1_000_000


@dataclass
class ScheduleOutcome:
    """What the command shows: ``items`` (the listing) or ``curve`` (one schedule), and its exit status."""

    items: list = field(default_factory=list)
    curve: dict | None = None
    exit_code: ExitCode = ExitCode.OK


def listing() -> ScheduleOutcome:
    """Every schedule: name, formula, torch equivalent, parameters (flag and default, or required)."""
    from ..schedules import DEFAULTS, PARAMETERS, SCHEDULE_PARAMETERS, SCHEDULES, TORCH_EQUIVALENT

    items = []
    for name, formula in SCHEDULES.items():
        params = [{"name": p, "flag": SCHEDULE_PARAMETERS[p].flag, "default": DEFAULTS.get(name, {}).get(p),
                   "help": SCHEDULE_PARAMETERS[p].help} for p in PARAMETERS[name]]
        items.append({"name": name, "formula": formula, "torch": TORCH_EQUIVALENT[name], "parameters": params})
    return ScheduleOutcome(items=items)


def draw(name: str, lr: float, steps: int, schedule_args: dict) -> ScheduleOutcome:
    """lr(k) of schedule ``name`` (or an expression in k and lr) for k = 0 … steps − 1, with its
    first, smallest, largest and last value."""
    from ..schedules import make_schedule

    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise GdxError(f"--steps must be an integer from 1 to {MAX_STEPS}, not {steps}", kind="usage error")
    if name == "plateau":
        raise GdxError("the 'plateau' schedule depends on the loss: it has no lr(k) to draw", kind="invalid schedule",
                       hint="run it: gdx optimize FUNCTION --schedule plateau")
    args = {k: v for k, v in schedule_args.items() if v is not None}
    schedule = make_schedule(name, lr, run_steps=steps, **args)
    values = [float(schedule(k)) for k in range(steps)]
    curve = {"schedule": name, "lr": lr, "steps": steps, "parameters": args,
             "first": values[0], "min": min(values), "max": max(values), "last": values[-1], "values": values}
    return ScheduleOutcome(curve=curve)
