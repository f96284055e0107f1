"""Learning-rate schedules: the lr of update k (k = 0 for the first update), as torch.optim.lr_scheduler
gives it when ``scheduler.step()`` is called once after every ``optimizer.step()``.

Each is the value torch's class yields at ``last_epoch = k`` (the tests compare against sequences
recorded from the real classes, to 1e-12).  ``lr`` is the run's ``--lr``::

    constant         lr
    constant-factor  lr·factor for k < total_iters, then lr          ConstantLR (factor 1/3, total_iters 5)
    linear           lr·(s + (e − s)·min(k, T)/T)                     LinearLR (s = start_factor 1/3,
                                                                       e = end_factor 1, T = total_iters 5)
    step             lr·γ^⌊k/step_size⌋                               StepLR (γ 0.1)
    multistep        lr·γ^(number of milestones ≤ k)                  MultiStepLR (γ 0.1)
    exponential      lr·γᵏ                                            ExponentialLR (γ 0.99)
    polynomial       lr·(1 − min(k, T)/T)^power                       PolynomialLR (T = total_iters 5, power 1)
    cosine           η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2      CosineAnnealingLR (η_min 0)
    cosine-restarts  η_min + (lr − η_min)·(1 + cos(π·T_cur/T_i))/2    CosineAnnealingWarmRestarts
                     (T_i = T_0·T_multⁱ in cycle i, T_cur the updates since the last restart)
    onecycle         OneCycleLR's phases from max_lr/div_factor up to max_lr and down to
                     max_lr/div_factor/final_div_factor (cos or linear annealing, 2 or 3 phases)
    cyclic           CyclicLR: base_lr + (max_lr − base_lr)·(triangle in [0, 1])·scale
    plateau          ReduceLROnPlateau on the loss (see :mod:`gdx.plateau`: not a function of k)

``cosine`` past T_max: torch's CosineAnnealingLR object updates recursively,
η_{k} = η_min + (η_{k−1} − η_min)·(1 + cos(πk/T_max))/(1 + cos(π(k−1)/T_max)), and at
k = T_max + 1 (mod 2·T_max) adds (lr − η_min)·(1 − cos(π/T_max))/2.  That recursion is the
closed form above for every k: past T_max the rate rises again to lr at 2·T_max, falls to η_min
at 3·T_max, and so on (a period of 2·T_max).  gdx uses the closed form; the recorded torch
sequences past T_max (up to 50 half-periods) agree with it to 1e-12.

``--warmup N`` puts torch's ``SequentialLR([LinearLR(start_factor=1/(N+1), end_factor=1,
total_iters=N), S], milestones=[N])`` in front of schedule S: update k < N uses
lr·(k + 1)/(N + 1), and update k ≥ N uses S's lr of update k − N (S starts afresh at N).

Defaults that depend on the run (``make_schedule(..., run_steps=N)``): cosine's ``t_max`` and
onecycle's ``total_steps`` are the run's steps (minus the warmup's, with ``--warmup``); onecycle's ``max_lr`` and cyclic's ``base_lr``
are ``lr``.

onecycle and cyclic cycle the momentum too, as torch's default ``cycle_momentum=True`` does
(``cycle_momentum=False`` schedules the lr only): the schedule then has ``schedule.momentum``,
k ↦ μ_k, inversely to the lr between ``base_momentum`` and ``max_momentum`` (onecycle 0.85 and
0.95, cyclic 0.8 and 0.9), which becomes the optimizer's ``momentum`` or ``beta1`` for update k
(:mod:`gdx.momentum_cycle`; with ``--warmup N`` the warmup's updates use μ_0, as SequentialLR
leaves OneCycleLR's/CyclicLR's first momentum in place).

``--schedule`` may also be an expression in ``k`` and ``lr`` (:mod:`gdx.schedule_expression`):
``lr*0.5**floor(k/10)`` is ``step`` with γ 0.5, step_size 10.

``lr`` may be a float (each call returns a float) or a numpy array, e.g. a sweep's (B, 1)
column of learning rates (each call returns an array of that shape).  numpy is never imported at
module level (``gdx --help`` stays instant).
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_right
from typing import Any, Callable, NamedTuple

from .errors import GdxError, did_you_mean

_KIND = "invalid schedule"

#: name → one-line formula (for ``gdx schedules`` and --help), k = 0 for the first update.
SCHEDULES: dict[str, str] = {
    "constant": "lr",
    "constant-factor": "lr·factor while k < total_iters, then lr   (factor 1/3, total_iters 5)",
    "linear": "lr·(start_factor + (end_factor − start_factor)·min(k, total_iters)/total_iters)   (1/3, 1, 5)",
    "step": "lr·γ^⌊k/step_size⌋   (γ default 0.1; step_size required)",
    "multistep": "lr·γ^(number of milestones ≤ k)   (γ default 0.1; milestones required)",
    "exponential": "lr·γᵏ   (γ default 0.99)",
    "polynomial": "lr·(1 − min(k, total_iters)/total_iters)^power   (total_iters 5, power 1)",
    "cosine": "η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2   (η_min default 0; T_max default: the run's steps)",
    "cosine-restarts": "η_min + (lr − η_min)·(1 + cos(π·T_cur/T_i))/2, T_i = T_0·T_multⁱ   (t_0 required, t_mult 1)",
    "onecycle": "max_lr/div_factor ↗ max_lr over pct_start·total_steps, then ↘ max_lr/div_factor/final_div_factor"
                "   (max_lr default lr, total_steps default the run's steps, 0.3, cos, 25, 1e4);"
                " momentum or β₁ ↘ base_momentum and back ↗ max_momentum (0.85, 0.95; --no-cycle-momentum: lr only)",
    "cyclic": "base_lr + (max_lr − base_lr)·triangle(k/step_size_up)·scale   (base_lr default lr; max_lr required;"
              " step_size_up 2000; triangular); momentum or β₁ = max_momentum − (max_momentum − base_momentum)"
              "·triangle·scale   (0.8, 0.9; --no-cycle-momentum: lr only)",
    "plateau": "lr·factorⁿ, n = reductions after more than patience updates without a relative improvement"
               " of threshold in the loss   (0.1, 10, 1e-4, cooldown 0, min_lr 0)",
}

#: name → the torch.optim.lr_scheduler equivalent.
TORCH_EQUIVALENT: dict[str, str] = {
    "constant": "none",
    "constant-factor": "torch.optim.lr_scheduler.ConstantLR",
    "linear": "torch.optim.lr_scheduler.LinearLR",
    "step": "torch.optim.lr_scheduler.StepLR",
    "multistep": "torch.optim.lr_scheduler.MultiStepLR",
    "exponential": "torch.optim.lr_scheduler.ExponentialLR",
    "polynomial": "torch.optim.lr_scheduler.PolynomialLR",
    "cosine": "torch.optim.lr_scheduler.CosineAnnealingLR",
    "cosine-restarts": "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
    "onecycle": "torch.optim.lr_scheduler.OneCycleLR",
    "cyclic": "torch.optim.lr_scheduler.CyclicLR",
    "plateau": "torch.optim.lr_scheduler.ReduceLROnPlateau (mode='min', threshold_mode='rel')",
}

#: the parameters each schedule takes (besides lr); ``warmup`` is taken by all but plateau.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "constant-factor": ("factor", "total_iters"),
    "linear": ("start_factor", "end_factor", "total_iters"),
    "step": ("gamma", "step_size"),
    "multistep": ("milestones", "gamma"),
    "exponential": ("gamma",),
    "polynomial": ("total_iters", "power"),
    "cosine": ("t_max", "eta_min"),
    "cosine-restarts": ("t_0", "t_mult", "eta_min"),
    "onecycle": ("max_lr", "total_steps", "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase",
                 "cycle_momentum", "base_momentum", "max_momentum"),
    "cyclic": ("base_lr", "max_lr", "step_size_up", "mode", "gamma", "cycle_momentum", "base_momentum", "max_momentum"),
    "plateau": ("factor", "patience", "threshold", "cooldown", "min_lr"),
}

#: per-schedule defaults (torch's); a parameter absent here and in the run's defaults is required.
DEFAULTS: dict[str, dict[str, Any]] = {
    "constant-factor": {"factor": 1.0 / 3, "total_iters": 5},
    "linear": {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5},
    "step": {"gamma": 0.1},
    "multistep": {"gamma": 0.1},
    "exponential": {"gamma": 0.99},
    "polynomial": {"total_iters": 5, "power": 1.0},
    "cosine": {"eta_min": 0.0},
    "cosine-restarts": {"t_mult": 1, "eta_min": 0.0},
    "onecycle": {"pct_start": 0.3, "anneal_strategy": "cos", "div_factor": 25.0, "final_div_factor": 1e4,
                 "three_phase": False, "cycle_momentum": True, "base_momentum": 0.85, "max_momentum": 0.95},
    "cyclic": {"step_size_up": 2000, "mode": "triangular", "gamma": 1.0, "cycle_momentum": True, "base_momentum": 0.8,
               "max_momentum": 0.9},
    "plateau": {"factor": 0.1, "patience": 10, "threshold": 1e-4, "cooldown": 0, "min_lr": 0.0},
}


class ScheduleParameter(NamedTuple):
    """A parameter of one or more schedules: its keyword (torch's name, snake case), its kind
    (``float``, ``int``, ``bool``, ``list`` — integers written ``"30,80"`` — or ``str`` with
    ``choices``) and its help."""

    name: str
    kind: type
    help: str
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def parse(self, value):
        """The value as the schedule takes it; a value of the wrong kind is a GdxError naming the flag."""
        if self.kind is list:
            return _int_list(value, self)
        if self.kind is str:
            if value not in self.choices:
                raise GdxError(f"{self.flag} must be one of {', '.join(self.choices)}, not {value!r}", kind=_KIND,
                               hint=did_you_mean(str(value), self.choices))
            return value
        if self.kind is bool:
            if not isinstance(value, bool):
                raise GdxError(f"{self.flag} is a switch (true or false), not {value!r}", kind=_KIND)
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GdxError(f"{self.flag} takes a number, not {value!r}", kind=_KIND)
        return value


def _int_list(value, p: ScheduleParameter) -> tuple[int, ...]:
    """``"30,80"`` or a sequence of integers → (30, 80)."""
    items = value.split(",") if isinstance(value, str) else value
    try:
        out = []
        for item in items:
            if isinstance(item, str):
                item = item.strip()
                number = int(item)
            elif isinstance(item, bool) or not (isinstance(item, int) or (isinstance(item, float) and item.is_integer())):
                raise ValueError(item)
            else:
                number = int(item)
            out.append(number)
    except (TypeError, ValueError):
        raise GdxError(f"{p.flag} takes integers separated by commas, like \"30,80\", not {value!r}", kind=_KIND) from None
    if not out:
        raise GdxError(f"{p.flag} needs at least one integer, like \"30,80\"", kind=_KIND)
    if any(m < 0 for m in out):
        raise GdxError(f"{p.flag} must be non-negative update indices, got {value!r}", kind=_KIND)
    return tuple(out)


#: Every schedule parameter, once: the CLI's options, the request's ``schedule_args`` and the
#: library API read this table (which schedules take each is :data:`PARAMETERS`).
SCHEDULE_PARAMETERS: dict[str, ScheduleParameter] = {p.name: p for p in (
    ScheduleParameter("gamma", float, "Decay factor γ (step, multistep, exponential; cyclic's exp_range base). "
                                      "[default: 0.1 step/multistep, 0.99 exponential, 1 cyclic]"),
    ScheduleParameter("step_size", int, "Updates between decays (step)."),
    ScheduleParameter("milestones", list, 'Update indices at which to multiply by γ (multistep), e.g. "30,80".'),
    ScheduleParameter("t_max", int, "Cosine half-period T_max. [default: --steps]"),
    ScheduleParameter("eta_min", float, "Floor η_min (cosine, cosine-restarts). [default: 0]"),
    ScheduleParameter("start_factor", float, "Factor of lr at k = 0 (linear), in (0, 1]. [default: 1/3]"),
    ScheduleParameter("end_factor", float, "Factor of lr from k = total_iters on (linear), in [0, 1]. [default: 1]"),
    ScheduleParameter("total_iters", int, "Updates the factor applies / the decay lasts (linear, constant-factor, "
                                          "polynomial). [default: 5]"),
    ScheduleParameter("factor", float, "Factor: lr·factor (constant-factor, [0, 1], default 1/3); "
                                       "reduction factor (plateau, < 1, default 0.1)."),
    ScheduleParameter("power", float, "Power of the polynomial decay (polynomial). [default: 1]"),
    ScheduleParameter("t_0", int, "Updates until the first restart (cosine-restarts)."),
    ScheduleParameter("t_mult", int, "Factor by which the period grows after each restart (cosine-restarts). [default: 1]"),
    ScheduleParameter("max_lr", float, "Peak learning rate (onecycle, default --lr; cyclic, required)."),
    ScheduleParameter("total_steps", int, "Updates in the cycle (onecycle). [default: --steps]"),
    ScheduleParameter("pct_start", float, "Fraction of the cycle spent increasing lr (onecycle). [default: 0.3]"),
    ScheduleParameter("anneal_strategy", str, "cos or linear annealing (onecycle). [default: cos]", ("cos", "linear")),
    ScheduleParameter("div_factor", float, "Initial lr = max_lr/div_factor (onecycle). [default: 25]"),
    ScheduleParameter("final_div_factor", float, "Final lr = initial lr/final_div_factor (onecycle). [default: 1e4]"),
    ScheduleParameter("three_phase", bool, "Three phases: up, down to the initial lr, then annihilate (onecycle)."),
    ScheduleParameter("cycle_momentum", bool, "Cycle the momentum (or β₁) inversely to lr, as torch's default "
                                              "(onecycle, cyclic); --no-cycle-momentum: lr only. [default: on]"),
    ScheduleParameter("base_momentum", float, "Lowest momentum/β₁ of the cycle, at the peak lr (onecycle, cyclic). "
                                              "[default: 0.85 onecycle, 0.8 cyclic]"),
    ScheduleParameter("max_momentum", float, "Highest momentum/β₁ of the cycle, at the lowest lr (onecycle, cyclic). "
                                             "[default: 0.95 onecycle, 0.9 cyclic]"),
    ScheduleParameter("base_lr", float, "Lower bound of the cycle (cyclic). [default: --lr]"),
    ScheduleParameter("step_size_up", int, "Updates in the increasing half of a cycle (cyclic). [default: 2000]"),
    ScheduleParameter("mode", str, "triangular, triangular2 or exp_range (cyclic). [default: triangular]",
                      ("triangular", "triangular2", "exp_range")),
    ScheduleParameter("patience", int, "Updates without improvement before reducing lr (plateau). [default: 10]"),
    ScheduleParameter("threshold", float, "Relative improvement of the loss that counts (plateau). [default: 1e-4]"),
    ScheduleParameter("cooldown", int, "Updates to wait after a reduction (plateau). [default: 0]"),
    ScheduleParameter("min_lr", float, "Lower bound on lr (plateau). [default: 0]"),
    ScheduleParameter("warmup", int, "Linear warmup: update k < N uses lr·(k+1)/(N+1), then the schedule starts "
                                     "(torch SequentialLR with LinearLR). Any schedule but plateau."),
)}


# -- checks ---------------------------------------------------------------------------------------
def _positive_int(value, name: str, message: str = "Expected positive integer {name}, but got {value}") -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise GdxError(message.format(name=name, value=value), kind=_KIND)
    return value


def _non_negative_int(value, name: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise GdxError(f"Expected non-negative integer {name}, but got {value}", kind=_KIND)
    return value


def _number(value, ok, message: str) -> float:
    from .optim.base import check

    return check(value, ok, message, kind=_KIND)


# -- make_schedule ----------------------------------------------------------------------------------
def make_schedule(name: str, lr, *, run_steps: int | None = None, **params) -> Callable:
    """The function k ↦ learning rate of update k (k = 0, 1, …) of schedule ``name`` (for
    ``plateau``, a :class:`gdx.plateau.Plateau`, whose lr depends on the losses seen).

    ``params`` are the schedule's parameters (:data:`PARAMETERS`; None means not given);
    ``run_steps`` supplies the run-dependent defaults (module docstring).  ``warmup=N`` wraps the
    schedule in the linear warmup.

    ``name`` may instead be an expression in ``k`` and ``lr`` (:mod:`gdx.schedule_expression`;
    only ``warmup`` applies), checked for every k the run reads when ``run_steps`` is given.

    Raises :class:`gdx.errors.GdxError` for an unknown name (with a suggestion), a parameter the
    schedule does not take, a missing required one, or an invalid value, with torch's message
    where torch checks it (``Invalid gamma value: -1``, ``Expected positive integer T_0, but got 0``).
    """
    from .optim.hyper import HYPERPARAMETERS
    from .schedule_expression import is_expression

    if name not in SCHEDULES and is_expression(name):
        return _expression(name, lr, run_steps, params)
    if name not in SCHEDULES:
        raise GdxError(f"unknown schedule '{name}'", kind="input error",
                       hint=did_you_mean(str(name), SCHEDULES)
                       or "choose one of: " + ", ".join(SCHEDULES) + ", or an expression in k and lr")
    given = {}
    for key, value in params.items():
        if key not in SCHEDULE_PARAMETERS:
            raise GdxError(f"unknown schedule parameter '{key}'", kind=_KIND,
                           hint=did_you_mean(key, SCHEDULE_PARAMETERS))
        if value is not None:
            given[key] = SCHEDULE_PARAMETERS[key].parse(value)
    warmup = given.pop("warmup", None)
    extra = [k for k in given if k not in PARAMETERS[name]]
    if extra:
        takes = ", ".join(PARAMETERS[name]) or "no parameters"
        raise GdxError(f"schedule '{name}' does not take {', '.join(extra)}; it takes: {takes}", kind=_KIND)
    lr = HYPERPARAMETERS["lr"].check(lr)
    args = {**DEFAULTS.get(name, {}), **given}
    if warmup is not None:
        if name == "plateau":
            raise GdxError("SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional "
                           "kwargs to be specified when calling `step`", kind=_KIND,
                           hint="drop --warmup, or choose another schedule")
        warmup = _positive_int(warmup, "warmup")
        if run_steps is not None:  # the schedule after the warmup has the rest of the run
            run_steps = max(1, run_steps - warmup)
    schedule = _BUILDERS[name](lr, args, run_steps)
    if warmup is None:
        return schedule
    # torch's warmup scales the optimizer's initial lr: lr, except OneCycleLR sets it to max_lr/div_factor
    return with_warmup(schedule, warmup, schedule(0) if name == "onecycle" else lr)


def _expression(text: str, lr, run_steps: int | None, params: dict) -> Callable:
    """An expression schedule (:mod:`gdx.schedule_expression`), behind ``warmup=N`` if given; it
    takes no other parameter (its numbers are in the text)."""
    from .optim.hyper import HYPERPARAMETERS
    from .schedule_expression import expression_schedule

    given = {key: value for key, value in params.items() if value is not None}
    extra = [key for key in given if key != "warmup"]
    if extra:
        flags = ", ".join(SCHEDULE_PARAMETERS[key].flag if key in SCHEDULE_PARAMETERS else key for key in extra)
        raise GdxError(f"a schedule expression takes no {flags}: write the numbers in the expression", kind=_KIND,
                       source=text, hint="only --warmup applies to an expression schedule")
    lr = HYPERPARAMETERS["lr"].check(lr)
    if "warmup" not in given:
        return expression_schedule(text, lr, run_steps)
    warmup = _positive_int(SCHEDULE_PARAMETERS["warmup"].parse(given["warmup"]), "warmup")
    rest = None if run_steps is None else max(1, run_steps - warmup)
    return with_warmup(expression_schedule(text, lr, rest), warmup, lr)


def with_warmup(schedule: Callable, N: int, base) -> Callable:
    """k ↦ base·(s + (1 − s)·k/N) with s = 1/(N+1), i.e. base·(k+1)/(N+1), for k < N, else
    schedule(k − N): torch's SequentialLR([LinearLR(start_factor=1/(N+1), end_factor=1,
    total_iters=N), S], milestones=[N]).  ``base`` is the optimizer's initial lr (lr; for
    onecycle max_lr/div_factor, which OneCycleLR writes there).  A schedule S that cycles
    momentum keeps its μ_0 through the warmup, then μ of k − N."""
    start = 1.0 / (N + 1)

    def warm(k):
        if k < N:
            return base * (start + (1.0 - start) * k / N)
        return schedule(k - N)

    momentum = getattr(schedule, "momentum", None)
    if momentum is not None:  # the warmup's updates keep the momentum S set first (μ_0)
        warm.momentum = lambda k: momentum(0) if k < N else momentum(k - N)
    return warm


def _need(args: dict, key: str, name: str, why: str):
    if args.get(key) is None:
        raise GdxError(f"the '{name}' schedule needs {key} ({why})", kind=_KIND,
                       hint=f"give {SCHEDULE_PARAMETERS[key].flag}")
    return args[key]


def _constant(lr, args, run_steps):
    def constant(k):
        return lr

    constant.constant_lr = lr  # gdx.fastloop writes it into its loop
    return constant


def _constant_factor(lr, args, run_steps):
    factor = _number(args["factor"], lambda v: (v >= 0.0) & (v <= 1.0),
                     "Constant multiplicative factor expected to be between 0 and 1.")
    T = _non_negative_int(args["total_iters"], "total_iters")
    return lambda k: lr * (factor + (k >= T) * (1 - factor))


def _linear(lr, args, run_steps):
    s = _number(args["start_factor"], lambda v: (v > 0.0) & (v <= 1.0),
                "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
    e = _number(args["end_factor"], lambda v: (v >= 0.0) & (v <= 1.0),
                "Ending multiplicative factor expected to be between 0 and 1.")
    T = _positive_int(args["total_iters"], "total_iters")
    return lambda k: lr * (s + (e - s) * min(T, k) / T)


def _step(lr, args, run_steps):
    g = _number(args["gamma"], lambda v: v > 0.0, "Invalid gamma value: {}")
    size = _positive_int(_need(args, "step_size", "step", "decay by γ every step_size updates"), "step_size")
    _check_growth(lr, g, None if run_steps is None else (int(run_steps) - 1) // size)
    return lambda k: lr * g ** (k // size)


def _multistep(lr, args, run_steps):
    g = _number(args["gamma"], lambda v: v > 0.0, "Invalid gamma value: {}")
    milestones = sorted(_need(args, "milestones", "multistep", 'the updates at which to decay, like "30,80"'))
    return lambda k: lr * g ** bisect_right(milestones, k)


def _exponential(lr, args, run_steps):
    g = _number(args["gamma"], lambda v: v > 0.0, "Invalid gamma value: {}")
    _check_growth(lr, g, None if run_steps is None else int(run_steps) - 1)
    return lambda k: lr * g**k


def _polynomial(lr, args, run_steps):
    T = _positive_int(args["total_iters"], "total_iters")
    power = _number(args["power"], lambda v: v >= 0.0, "Invalid power value: {}")
    return lambda k: lr * (1.0 - min(T, k) / T) ** power


def _cos(k, T):
    """cos(π·k/T) for an int k (math.cos, as torch) or an array of k (numpy)."""
    if isinstance(k, (int, float)):
        return math.cos(math.pi * k / T)
    import numpy as np

    return np.cos(math.pi * np.asarray(k) / T)


def _cosine(lr, args, run_steps):
    t_max = args.get("t_max", run_steps)
    if t_max is None:
        raise GdxError("the 'cosine' schedule needs t_max (the number of updates to anneal over)", kind=_KIND)
    T = _positive_int(t_max, "t_max")
    eta = _number(args["eta_min"], lambda v: v >= 0.0, "Invalid eta_min value: {}")
    return lambda k: eta + (lr - eta) * (1 + _cos(k, T)) / 2


def _cosine_restarts(lr, args, run_steps):
    T0 = _positive_int(_need(args, "t_0", "cosine-restarts", "the updates until the first restart"), "T_0")
    mult = args["t_mult"]
    if isinstance(mult, float) and mult.is_integer():
        mult = int(mult)
    if isinstance(mult, bool) or not isinstance(mult, int) or mult < 1:
        raise GdxError(f"Expected integer T_mult >= 1, but got {mult}", kind=_KIND)
    eta = _number(args["eta_min"], lambda v: v >= 0.0, "Invalid eta_min value: {}")

    def restarts(k):
        t_cur, t_i = int(k), T0
        while t_cur >= t_i:  # torch: T_cur += 1; if T_cur >= T_i: T_cur −= T_i, T_i ·= T_mult
            t_cur, t_i = t_cur - t_i, t_i * mult
        return eta + (lr - eta) * (1 + math.cos(math.pi * t_cur / t_i)) / 2

    return restarts


def _onecycle(lr, args, run_steps):
    from .cycles import onecycle

    return onecycle(lr, args, run_steps)


def _cyclic(lr, args, run_steps):
    from .cycles import cyclic

    return cyclic(lr, args, run_steps)


def _plateau(lr, args, run_steps):
    from .plateau import Plateau

    return Plateau.checked(lr, args)


_BUILDERS: dict[str, Callable] = {
    "constant": _constant,
    "constant-factor": _constant_factor,
    "linear": _linear,
    "step": _step,
    "multistep": _multistep,
    "exponential": _exponential,
    "polynomial": _polynomial,
    "cosine": _cosine,
    "cosine-restarts": _cosine_restarts,
    "onecycle": _onecycle,
    "cyclic": _cyclic,
    "plateau": _plateau,
}


def _check_growth(lr: float, gamma: float, last: int | None) -> None:
    """γ > 1 grows the rate: lr·γ^last (``last``: the largest power the run reaches, from the
    CLI's t_max = steps) must be a finite float64, else the schedule itself overflows."""
    if last is None or not isinstance(gamma, float) or gamma <= 1.0 or last < 1:
        return
    lr = float(max(lr.reshape(-1))) if hasattr(lr, "reshape") else float(lr)  # a sweep's column: its largest
    top = math.log(lr) + last * math.log(gamma) if lr > 0 else -math.inf
    if top > math.log(sys.float_info.max):
        k = max(1, math.ceil((math.log(sys.float_info.max) - math.log(lr)) / math.log(gamma)))
        raise GdxError(
            f"Invalid gamma value: {gamma:g} (lr·γ^k overflows float64 from k = {k}, within the run's {last} decays)",
            kind=_KIND,
            hint="a decay factor is usually below 1 (e.g. --gamma 0.99); use fewer --steps or a smaller --gamma",
        )
