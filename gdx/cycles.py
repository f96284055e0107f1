"""The cyclical schedules, as torch.optim.lr_scheduler computes them from the step count k.

``onecycle`` — OneCycleLR.  initial = max_lr/div_factor,
min = initial/final_div_factor, T = total_steps, p = pct_start.  Phases (end step, from → to):
two-phase ``(p·T − 1, initial → max_lr), (T − 1, max_lr → min)``; three-phase
``(p·T − 1, initial → max_lr), (2·p·T − 2, max_lr → initial), (T − 1, initial → min)``.
Update k falls in the first phase with k ≤ end (else the last); with s the previous phase's end
(0 for the first) and pct = (k − s)/(end − s), the rate is ``to + (from − to)/2·(cos(π·pct) + 1)``
(``cos``) or ``(to − from)·pct + from`` (``linear``).  k > T is refused, as torch refuses it.  With cycle_momentum (the default, as
torch's) the momentum of update k is the same anneal between the phase's momenta: two-phase
``max_momentum → base_momentum → max_momentum``, three-phase ``max → base → max → max``
(base 0.85, max 0.95): momentum falls while lr rises.

``cyclic`` — CyclicLR (step_size_down = step_size_up).  With
S = 2·step_size_up, cycle = ⌊1 + k/S⌋, x = 1 + k/S − cycle, the triangle is x/½ for x ≤ ½ and
(x − 1)/(½ − 1) above; lr = base_lr + (max_lr − base_lr)·triangle·scale, scale = 1
(triangular), 1/2^(cycle−1) (triangular2) or γᵏ (exp_range).  With cycle_momentum (default)
the momentum of update k is ``max_momentum − (max_momentum − base_momentum)·triangle·scale``
(base 0.8, max 0.9).

A schedule that cycles momentum has the attribute ``momentum`` (k ↦ μ_k); gdx.loop and
gdx.batch give it to the optimizer through :mod:`gdx.momentum_cycle`.
"""

from __future__ import annotations

import math

from .errors import GdxError

_KIND = "invalid schedule"


def _check(value, ok, message):
    from .optim.base import check

    return check(value, ok, message, kind=_KIND)


def _int(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _phases(total: int, pct: float, three_phase: bool) -> list[tuple[float, str, str, str, str]]:
    """OneCycleLR's phases: (end step, start lr key, end lr key, start momentum key, end momentum key)."""
    if three_phase:
        return [(float(pct * total) - 1, "initial", "max", "max_m", "base_m"),
                (float(2 * pct * total) - 2, "max", "initial", "base_m", "max_m"),
                (total - 1, "initial", "min", "max_m", "max_m")]
    return [(float(pct * total) - 1, "initial", "max", "max_m", "base_m"), (total - 1, "max", "min", "base_m", "max_m")]


def onecycle(lr, args: dict, run_steps: int | None):
    """k ↦ OneCycleLR's lr at step k (module docstring); torch's checks and messages."""
    total = _int(args.get("total_steps", run_steps))
    if total is None:
        raise GdxError("the 'onecycle' schedule needs total_steps (the updates in the cycle)", kind=_KIND)
    if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
        raise GdxError(f"Expected positive integer total_steps, but got {total}", kind=_KIND)
    pct = args["pct_start"]
    if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 <= pct <= 1:
        raise GdxError(f"Expected float between 0 and 1 pct_start, but got {pct}", kind=_KIND)
    pct = float(pct)
    strategy = args["anneal_strategy"]
    if strategy not in ("cos", "linear"):
        raise GdxError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {strategy}", kind=_KIND)
    max_lr = _check(args.get("max_lr", lr), lambda v: v >= 0.0, "Invalid max_lr value: {}")
    div = _check(args["div_factor"], lambda v: v > 0.0, "Invalid div_factor value: {}")
    final_div = _check(args["final_div_factor"], lambda v: v > 0.0, "Invalid final_div_factor value: {}")
    if run_steps is not None and run_steps > total:
        raise GdxError(f"Tried to step {run_steps} times. The specified number of total steps is {total}",
                       kind=_KIND, hint="give --total-steps at least --steps (or leave it out: it defaults to --steps)")
    initial = max_lr / div
    rates = {"initial": initial, "max": max_lr, "min": initial / final_div}
    phases = _phases(total, pct, bool(args["three_phase"]))
    start = 0.0
    for i, (end, *_) in enumerate(phases):
        if end == start:  # torch divides by zero in this phase (at step 0, or at step total_steps)
            raise GdxError(f"onecycle with total_steps={total} and pct_start={pct} has a phase of zero length",
                           kind=_KIND, hint="choose another --pct-start or --total-steps")
        start = end
    anneal = _cos if strategy == "cos" else _linear

    def phase_of(k):
        """(phase, pct) of update k, as OneCycleLR.get_lr finds them."""
        if k > total:
            raise GdxError(f"Tried to step {k} times. The specified number of total steps is {total}", kind=_KIND)
        start = 0.0
        for i, phase in enumerate(phases):
            end = phase[0]
            if k <= end or i == len(phases) - 1:
                return phase, (k - start) / (end - start)
            start = end
        raise AssertionError("unreachable")

    def one_cycle(k):
        (_, a, b, _, _), pct = phase_of(k)
        return anneal(rates[a], rates[b], pct)

    if args.get("cycle_momentum"):
        momenta = {"base_m": args["base_momentum"], "max_m": args["max_momentum"]}

        def momentum(k):
            (_, _, _, a, b), pct = phase_of(k)
            return anneal(momenta[a], momenta[b], pct)

        one_cycle.momentum = momentum
    return one_cycle


def _cos(start, end, pct):
    """Cosine anneal from ``start`` to ``end`` as pct goes from 0 to 1 (torch's _annealing_cos)."""
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


def _linear(start, end, pct):
    """Linear anneal from ``start`` to ``end`` (torch's _annealing_linear)."""
    return (end - start) * pct + start


def cyclic(lr, args: dict, run_steps: int | None):
    """k ↦ CyclicLR's lr at step k (module docstring); torch's checks where it has them."""
    base = _check(args.get("base_lr", lr), lambda v: v >= 0.0, "Invalid base_lr value: {}")
    if args.get("max_lr") is None:
        raise GdxError("the 'cyclic' schedule needs max_lr (the upper bound of the cycle)", kind=_KIND,
                       hint="give --max-lr")
    max_lr = _check(args["max_lr"], lambda v: v >= 0.0, "Invalid max_lr value: {}")
    up = _int(args["step_size_up"])
    if isinstance(up, bool) or not isinstance(up, int) or up <= 0:
        raise GdxError(f"Expected positive integer step_size_up, but got {up}", kind=_KIND)
    mode = args["mode"]
    if mode not in ("triangular", "triangular2", "exp_range"):
        raise GdxError("mode is invalid and scale_fn is None", kind=_KIND)
    gamma = _check(args["gamma"], lambda v: v > 0.0, "Invalid gamma value: {}")
    total = float(up) + float(up)
    ratio = float(up) / total

    def triangle(k):
        """(scale_factor, scale) of update k, as CyclicLR.get_lr computes them."""
        cycle = math.floor(1 + k / total)
        x = 1.0 + k / total - cycle
        scale_factor = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        if mode == "triangular":
            return scale_factor, 1.0
        if mode == "triangular2":
            return scale_factor, 1 / (2.0 ** (cycle - 1))
        return scale_factor, gamma**k

    def cyclical(k):
        scale_factor, scale = triangle(k)
        return base + (max_lr - base) * scale_factor * scale

    if args.get("cycle_momentum"):
        base_m, max_m = args["base_momentum"], args["max_momentum"]

        def momentum(k):
            scale_factor, scale = triangle(k)
            return max_m - (max_m - base_m) * scale_factor * scale

        cyclical.momentum = momentum
    return cyclical
