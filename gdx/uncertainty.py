"""Which other readings of a run remain when the evidence for its verdict is ambiguous.

:func:`other_readings` looks at a finished run and the numbers its verdict rests on and returns
``[{"verdict", "why"}, …]``: the verdicts the evidence does not rule out, each with the number that
leaves it open.  The diagnosis keeps its verdict (the reading the evidence favours), states the
others in its reason and puts them in ``--json`` as ``alternatives``.  The rules, each checked
independently:

* **a kink with bouncing**: the steps flip sign across a kink — the kink is the cause, but the
  flips alone would read as ``oscillating``;
* **near a stability bound** (optimizers with an lr bound, gd/momentum/nesterov): lr within 10%
  of the stable lr for λmax, and the sharpness sampled along the path moved over the second half
  by at least that gap, toward the bound (on a quadratic it is constant and the side is certain)
  — a ``diverged`` (slow growth) run whose sharpness is falling could settle at the edge of
  stability, an ``oscillating`` one whose sharpness is rising could start to grow;
* **a changing rate** (``slow``/``max_steps`` judged by the observed rate of ‖∇f‖, no exact factor
  from theory): log‖∇f‖ fitted over each half of the last min(100, N) steps gives rates that
  differ beyond their fitting error and step counts more than 2× apart, or the second half stopped
  shrinking — the run could be a ``plateau`` (or a slower approach) rather than the estimate;
* **too few steps**: fewer than 20 steps made, the run ended by --steps and the sharpness changed
  along the path (with constant curvature the local model, and so the rate, is exact): too few
  to tell a slow approach from a plateau.

Nothing here evaluates f: it reads the recorded path and the verdict's numbers.
"""

from __future__ import annotations

import math

#: The relative distance to a stability bound within which both sides remain possible.
BOUND_BAND = 0.1
#: Fewer steps than this are too few to tell slow from a plateau.
FEW_STEPS = 20


def other_readings(result, verdict: str, numbers: dict, tol: float = 1e-6) -> list[dict]:
    """The readings other than ``verdict`` that the evidence leaves open (module docstring)."""
    out = []
    if numbers.get("differentiable") is False and numbers.get("oscillating"):
        out.append({"verdict": "oscillating", "why": "the steps also flip sign across the kink; the kink explains the "
                    "flips, but the flips alone would read as a bounce across a minimum"})
    out += _near_bound(result, verdict, numbers)
    if verdict in ("slow", "max_steps") and result.status.value == "max_steps" and numbers.get("differentiable") is not False:
        sharp = [v for v in numbers.get("sharpness") or [] if isinstance(v, float) and math.isfinite(v)]
        constant = len(sharp) > 1 and max(sharp) - min(sharp) <= 1e-9 * max(abs(max(sharp)), 1e-300)
        if result.nit < FEW_STEPS and not constant:  # constant curvature: the local model holds, the rate is known
            out.append({"verdict": "plateau", "why": f"only {result.nit} steps were made: too few to tell a slow approach "
                        f"from a plateau or a kink (run with more --steps to tell)"})
        elif "contraction" not in numbers and "lr_peak" not in numbers and "power_law_exponent" not in numbers:
            out += _noisy_rate(result, tol)  # (a decayed schedule or a power law already says why the rate moves)
    seen, unique = set(), []
    for r in out:
        if (r["verdict"], r["why"]) not in seen:
            seen.add((r["verdict"], r["why"]))
            unique.append(r)
    return unique


def _near_bound(result, verdict, numbers) -> list[dict]:
    """lr within BOUND_BAND of the stable lr: the other side of the bound remains possible."""
    lr, bound = numbers.get("lr"), numbers.get("stable_lr")
    if result.status.failed or not (isinstance(lr, float) and isinstance(bound, float)) or not (bound > 0 and lr > 0):
        return []
    r = lr / bound
    sharp = [v for v in numbers.get("sharpness") or [] if isinstance(v, float) and math.isfinite(v) and v > 0]
    if abs(r - 1) > BOUND_BAND or len(sharp) < 3:
        return []
    trend = sharp[-1] / sharp[len(sharp) // 2] - 1  # how the sharpness moved over the second half
    if abs(trend) < abs(r - 1):  # it moves too little to cross the bound (a quadratic: not at all)
        return []
    if verdict == "diverged" and r > 1 and trend < 0:
        return [{"verdict": "edge_of_stability", "why": f"lr is only {r:.4g}× the stable lr {bound:.4g}: a run this close "
                 f"to the bound may settle with its sharpness at the bound (the edge of stability) instead of growing on"}]
    if verdict in ("oscillating", "slow") and r < 1 and trend > 0:
        return [{"verdict": "diverged", "why": f"lr is {r:.4g}× the stable lr {bound:.4g} for λmax at the end: within "
                 f"10% of the bound, where the curvature along the path may cross it and the bounce start to grow"}]
    return []


def _fit(t, y):
    """Least-squares slope of y on t and its standard error."""
    import numpy as np

    tc = t - t.mean()
    sxx = float(tc @ tc)
    slope = float(tc @ (y - y.mean())) / sxx
    resid = y - y.mean() - slope * tc
    se = math.sqrt(float(resid @ resid) / max(len(t) - 2, 1) / sxx)
    return slope, se


def _noisy_rate(result, tol: float) -> list[dict]:
    """The rate of ‖∇f‖ changed within the last min(100, N) steps: log‖∇f‖ fitted by a line over
    each half gives per-step ratios r₁, r₂ whose slopes differ by more than 4 standard errors
    (an oscillating envelope, as momentum's, has large residuals and is not called a change),
    and the steps still needed at r₁ and at r₂ differ more than 2× (or r₂ ≥ 1: it stalled)."""
    import numpy as np

    from .symptoms import near_one

    g = result.path.grad_norm
    keep = np.isfinite(g) & (g > 0)
    g, ks = g[keep], np.asarray(result.path.k)[keep]
    if len(g) < 2:
        return []
    recent = ks >= ks[-1] - 100  # the last 100 steps, by step number (a thinned path keeps fewer rows)
    g, ks = g[recent], ks[recent]
    m = int(ks[-1] - ks[0])
    if m < 8 or len(g) < 9:
        return []
    h = m // 2
    y = np.log(g)
    t = (ks - ks[0]).astype(float)  # the fits are per step: t is the step, not the row
    (s1, e1), (s2, e2) = _fit(t[t <= h], y[t <= h]), _fit(t[t >= h], y[t >= h])
    if not abs(s2 - s1) > 4 * math.hypot(e1, e2):
        return []
    r1, r2, c = math.exp(s1), math.exp(s2), float(g[-1])
    if r2 >= 1 > r1:
        return [{"verdict": "plateau", "why": f"‖∇f‖ shrank ×{near_one(r1)} per step over the first half of the last {m} steps "
                 f"but not over the second (×{near_one(r2)}): the approach may have stalled"}]
    if r1 < 1 and r2 < 1:
        n1, n2 = math.log(tol / c) / math.log(r1), math.log(tol / c) / math.log(r2)
        lo, hi = sorted((n1, n2))
        if lo > 0 and hi > 2 * lo:
            return [{"verdict": "slow", "why": f"the rate of ‖∇f‖ changed: ×{near_one(r1)} per step, then ×{near_one(r2)}, over the "
                     f"last {m} steps, so the steps still needed range from about {math.ceil(lo)} to {math.ceil(hi)}"}]
    return []
