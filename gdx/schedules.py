"""Learning-rate schedules: pure functions of the update index k (k = 0 for the first update).

Each is the closed form of a torch.optim.lr_scheduler class, which torch's own recursive updates
follow up to rounding (the tests compare against sequences recorded from the real classes)::

    constant     lr
    step         lr·γ^⌊k/step_size⌋                     torch StepLR (γ default 0.1)
    exponential  lr·γᵏ                                  torch ExponentialLR (γ default 0.99)
    cosine       η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2
                                                        torch CosineAnnealingLR (η_min default 0)

``step`` needs ``step_size`` and ``cosine`` needs ``t_max`` (the CLI passes the run's step
count when ``--t-max`` is not given).  Past T_max the cosine keeps its closed form: it rises
again towards lr over the next T_max updates, as torch's does.  ``lr`` may be a float (each
call returns a float) or a numpy array (e.g. a sweep's column of learning rates; each call
returns an array).  numpy is never imported at module level (``gdx --help`` stays instant).
"""

from __future__ import annotations

import math
import sys
from typing import Callable, NamedTuple

from .errors import GdxError, did_you_mean

#: name → one-line closed form (for ``gdx schedules`` / --help listings), k = 0 for the first update.
SCHEDULES: dict[str, str] = {
    "constant": "lr",
    "step": "lr·γ^⌊k/step_size⌋   (γ default 0.1; step_size required)",
    "exponential": "lr·γᵏ   (γ default 0.99)",
    "cosine": "η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2   (η_min default 0; T_max default: the run's steps)",
}

#: name → the torch.optim.lr_scheduler equivalent.
TORCH_EQUIVALENT: dict[str, str] = {
    "constant": "none",
    "step": "torch.optim.lr_scheduler.StepLR",
    "exponential": "torch.optim.lr_scheduler.ExponentialLR",
    "cosine": "torch.optim.lr_scheduler.CosineAnnealingLR",
}

DEFAULT_GAMMA = {"step": 0.1, "exponential": 0.99}

#: the parameters each schedule takes (besides lr).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "step": ("gamma", "step_size"),
    "exponential": ("gamma",),
    "cosine": ("t_max", "eta_min"),
}

_KIND = "invalid schedule"


class ScheduleParameter(NamedTuple):
    """A parameter of one or more schedules: its keyword (torch's name, snake case), type and help."""

    name: str
    kind: type
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


#: Every schedule parameter, once: the CLI's options, the request's ``schedule_args`` and the
#: library API read this table (which schedules take each is :data:`PARAMETERS`).
SCHEDULE_PARAMETERS: dict[str, ScheduleParameter] = {p.name: p for p in (
    ScheduleParameter("gamma", float, "Decay factor γ (step, exponential). [default: 0.1 for step, 0.99 for exponential]"),
    ScheduleParameter("step_size", int, "Updates between decays (step)."),
    ScheduleParameter("t_max", int, "Cosine half-period T_max. [default: --steps]"),
    ScheduleParameter("eta_min", float, "Cosine floor η_min. [default: 0]"),
)}


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and value > 0:
            return int(value)
        raise GdxError(f"Expected positive integer {name}, but got {value}", kind=_KIND)
    if value <= 0:
        raise GdxError(f"Expected positive integer {name}, but got {value}", kind=_KIND)
    return value


def make_schedule(
    name: str,
    lr,
    *,
    gamma: float | None = None,
    step_size: int | None = None,
    t_max: int | None = None,
    eta_min: float = 0.0,
) -> Callable:
    """The function k ↦ learning rate of update k (k = 0, 1, …) of schedule ``name``.

    ``t_max`` is used by ``cosine`` only and ignored by the others (so a caller may always pass
    the run's step count); ``gamma``, ``step_size`` or a non-zero ``eta_min`` given to a schedule
    that does not use them is an error.

    Raises :class:`gdx.errors.GdxError` for an unknown name (with a suggestion), a parameter the
    schedule does not take, or an invalid value (``Invalid gamma value: -1``,
    ``Expected positive integer step_size, but got 0``).
    """
    from .optim.base import check
    from .optim.hyper import HYPERPARAMETERS

    if name not in SCHEDULES:
        raise GdxError(
            f"unknown schedule '{name}'",
            kind="input error",
            hint=did_you_mean(str(name), SCHEDULES) or "choose one of: " + ", ".join(SCHEDULES),
        )
    # t_max is not checked here: the CLI passes the run's step count with every schedule.
    given = {"gamma": gamma, "step_size": step_size}
    extra = [k for k, v in given.items() if v is not None and k not in PARAMETERS[name]]
    if eta_min not in (None, 0, 0.0) and "eta_min" not in PARAMETERS[name]:
        extra.append("eta_min")
    if extra:
        takes = ", ".join(PARAMETERS[name]) or "no parameters"
        raise GdxError(f"schedule '{name}' does not take {', '.join(extra)}; it takes: {takes}", kind=_KIND)

    lr = HYPERPARAMETERS["lr"].check(lr)
    if name == "constant":
        return lambda k: lr

    if name in ("step", "exponential"):
        g = DEFAULT_GAMMA[name] if gamma is None else gamma
        g = check(g, lambda v: v > 0.0, "Invalid gamma value: {}", kind=_KIND)
        if name == "exponential":
            _check_growth(lr, g, None if t_max is None else int(t_max) - 1)
            return lambda k: lr * g**k
        if step_size is None:
            raise GdxError("the 'step' schedule needs step_size (decay by γ every step_size updates)", kind=_KIND)
        size = _positive_int(step_size, "step_size")
        _check_growth(lr, g, None if t_max is None else (int(t_max) - 1) // size)
        return lambda k: lr * g ** (k // size)

    # cosine
    if t_max is None:
        raise GdxError("the 'cosine' schedule needs t_max (the number of updates to anneal over)", kind=_KIND)
    T = _positive_int(t_max, "t_max")
    eta = check(0.0 if eta_min is None else eta_min, lambda v: v >= 0.0, "Invalid eta_min value: {}", kind=_KIND)

    def cosine(k):
        if isinstance(k, int):
            c = math.cos(math.pi * k / T)
        else:
            import numpy as np

            c = np.cos(math.pi * np.asarray(k) / T)
        return eta + (lr - eta) * (1 + c) / 2

    return cosine


def _check_growth(lr: float, gamma: float, last: int | None) -> None:
    """γ > 1 grows the rate: lr·γ^last (``last``: the largest power the run reaches, from the
    CLI's t_max = steps) must be a finite float64, else the schedule itself overflows."""
    if last is None or gamma <= 1.0 or last < 1:
        return
    top = math.log(lr) + last * math.log(gamma) if lr > 0 else -math.inf
    if top > math.log(sys.float_info.max):
        k = max(1, math.ceil((math.log(sys.float_info.max) - math.log(lr)) / math.log(gamma)))
        raise GdxError(
            f"Invalid gamma value: {gamma:g} (lr·γ^k overflows float64 from k = {k}, within the run's {last} decays)",
            kind=_KIND,
            hint="a decay factor is usually below 1 (e.g. --gamma 0.99); use fewer --steps or a smaller --gamma",
        )
