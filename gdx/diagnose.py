"""What happened in a run, and why: a verdict from the local curvature along the path.

:func:`diagnose` reads a finished :class:`gdx.result.Result` and evaluates the Hessian at a
handful of points (one batched call each; no symbolic solving), so it costs milliseconds even on
a 100,000-step path.  The verdicts, in the order they are tested:

``diverged``
    The run diverged or hit a numerical fault.  The step where it went wrong is the first step
    whose loss rose (f(x_{k+1}) > f(x_k)); there λmax of H is compared with the learning rate:
    plain gradient descent multiplies the error along the top eigenvector by |1 − lr·λmax| per
    step, so it is stable only for lr < 2/λmax (heavy-ball momentum μ: lr < 2(1+μ)/λmax;
    Nesterov: lr < 2(1+μ)/((1+2μ)λmax)).
``plateau``
    The gradient vanished far from the best value known: the preset's minima and f on a coarse
    grid of the region (one batched evaluation).  With gap = f(x_end) −
    f_best > 1e-6·(1 + |f_end|) and d = the distance to where f_best is, plateau when the local
    quadratic model explains less than a tenth of the gap: ‖∇f‖·d + ½·max|λ|·d² ≤ 0.1·gap.
``saddle``
    H at the end is indefinite (some λ < 0 < some λ) and the run stopped there: it converged
    (‖∇f‖ ≤ tol), or the gradient shrank at least a hundred-fold from its largest value and a
    saddle point is near (the Newton step −H⁻¹∇f is under 5% of the path's extent and lands
    where ‖∇f‖ is at least ten times smaller).
``converged``
    ‖∇f‖ ≤ tol; the kind of critical point (classify(H's eigenvalues)) is stated, and whether it
    is a preset's known (global) minimum.  The suggestion is empty at a global minimum; for gd
    on a quadratic (H the same at the start and the end) it names a faster lr or momentum when
    one would need at most half the steps.
``oscillating``
    The run did not converge, and the steps Δx_k = x_{k+1} − x_k projected on the top
    eigenvector v of H(x_end), s_k = Δx_k·v, flip sign (s_k·s_{k+1} < 0) in at least 75% of
    the last min(20, N) pairs — or in at least 25% of them while the steps cancel out,
    |Σ s_k| ≤ 0.1·Σ |s_k| (a longer cycle, as Adam's around Ackley's cone) — with lr > 1/λmax
    (for gd, momentum and nesterov: the step overshoots the valley floor; adaptive optimizers
    need only the flips).  When the steps do not bounce along v, the same test is made along the
    main direction of the recent steps (their first singular vector): near a kink, such as
    Ackley's cone, the curvature directions say little.
``slow``
    The run did not converge but is closing in on a minimum (H positive definite at the end,
    the loss still falling) at a slow rate: κ = λmax/λmin ≥ 10 (ill-conditioned), or a
    contraction per step ρ ≥ 0.99 (ρ = max|1 − lr·λᵢ| for gd, the observed ratio of successive
    gradient norms otherwise); ρ says how many more steps it needs.
``max_steps``
    Anything else: out of steps without a pattern to name (the reason says so when x_end is at a
    kink of f, found by :func:`gdx.analysis.fd_check`, where ‖∇f‖ cannot reach tol).

What is known about each optimizer is read from its registry entry (:mod:`gdx.optim`), never
from its name: ``family`` ("sgd": lr·λ decides stability; "adaptive": steps about lr long),
``stable_lr``/``stability_text`` (the lr bound above and its formula) and ``step_factor`` (the
one-step error factor 1 − lr·λ, which only gd has).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .optim import OPTIMIZERS
from .symptoms import middle_row, near_one

#: Verdicts, in the order they are tested.
VERDICTS = ("diverged", "unbounded", "asymptotic", "vanishing", "plateau", "saddle", "converged", "edge_of_stability",
            "oscillating", "slow", "max_steps")
#: How many of the most recent steps the oscillation test looks at.
RECENT = 20
#: Fraction of sign flips (of successive projected steps) that counts as oscillating.
FLIP_FRACTION = 0.75
#: How H looks for each kind of point.
SHAPE = {"minimum": "positive definite", "maximum": "negative definite", "saddle": "indefinite", "degenerate": "singular"}


def _spec(result):
    """The registry entry of the run's optimizer (None for a name gdx does not know)."""
    return OPTIMIZERS.get(result.optimizer)


def _family(result) -> str | None:
    """The run's optimizer family: "sgd" (step lr·(a sum of gradients), for which lr·λ is
    meaningful), "adaptive", "newton", or None for an unknown optimizer."""
    spec = _spec(result)
    return spec.family if spec is not None else None


def _step_factor(result):
    """The one-step error factor (lr, λ) → c of the run's optimizer (gd: 1 − lr·λ), else None."""
    spec = _spec(result)
    return spec.step_factor if spec is not None else None


@dataclass(frozen=True)
class Diagnosis:
    """A verdict, the reason (with its numbers), one concrete suggestion, and the numbers as data."""

    verdict: str
    reason: str
    suggestion: str
    numbers: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """{"verdict", "reason", "suggestion", **numbers}, JSON-safe (non-finite floats as null)."""
        out = {"verdict": self.verdict, "reason": self.reason, "suggestion": self.suggestion}
        for k, v in self.numbers.items():
            out[k] = _json(v)
        return out


def _json(v):
    """A number (or a list of them) for JSON: gdx.numbers.json_number (non-finite → null)."""
    from .numbers import json_number

    if isinstance(v, (list, tuple)):
        return [_json(u) for u in v]
    if isinstance(v, dict):  # alternatives: [{verdict, why}]
        return {str(k): _json(u) for k, u in v.items()}
    out = json_number(v)
    return out if out is None or isinstance(out, (bool, int, float, str)) else str(out)


def fmt(v, digits: int = 4) -> str:
    try:
        return f"{float(v):.{digits}g}"
    except (TypeError, ValueError):
        return str(v)


def floor_sig(v: float, digits: int = 2) -> float:
    """v rounded down to ``digits`` significant digits (a safe bound to suggest): 0.3333 → 0.33."""
    if not (v > 0 and math.isfinite(v)):
        return v
    e = math.floor(math.log10(v)) - digits + 1
    q = 10.0**e
    return round(math.floor(v / q * (1 + 1e-12)) * q, max(0, -e))


def round_sig(v: float, digits: int = 2) -> float:
    if not (v != 0 and math.isfinite(v)):
        return v
    e = math.floor(math.log10(abs(v))) - digits + 1
    return round(v, max(0, -e)) if e < 0 else round(v / 10**e) * 10**e


def stable_bound(optimizer: str, hyper: dict, lam_max: float) -> float | None:
    """The largest stable constant lr on a quadratic with top curvature λmax, else None.

    The optimizer's own rule (:meth:`gdx.optim.OptimizerSpec.stable_lr`): gd 2/λmax, heavy-ball
    momentum μ 2(1+μ)/λmax, Nesterov 2(1+μ)/((1+2μ)·λmax); None for optimizers without one
    (adaptive ones, newton, unknown names) and when λmax ≤ 0.
    """
    spec = OPTIMIZERS.get(optimizer)
    return spec.stable_lr(lam_max, hyper) if spec is not None else None


# -- the path --------------------------------------------------------------------------------
def _finite_rows(path):
    import numpy as np

    ok = np.isfinite(path.loss) & np.all(np.isfinite(path.x), axis=1)
    return ok


def _hess_eigen(compiled, points):
    """Eigenvalues/eigenvectors of H at a batch of points (one Hessian call), counters untouched."""
    import numpy as np

    from .analysis import eigen

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            hs = compiled.hess(np.asarray(points, dtype=float).reshape(-1, compiled.n))
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    return [eigen(h) for h in hs]


def _values(compiled, points):
    import numpy as np

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            return np.atleast_1d(compiled.value(np.asarray(points, dtype=float).reshape(-1, compiled.n)))
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved


def per_step(values, ks, m: int) -> float:
    """The factor per step from row −1−m to the last row: (v_end / v_start)^(1/Δk), Δk the steps
    between them (on a thinned path rows are not steps); NaN when it is undefined."""
    if m <= 0 or not (values[-1 - m] > 0 and values[-1] > 0):
        return math.nan
    dk = int(ks[-1] - ks[-1 - m])
    return float((values[-1] / values[-1 - m]) ** (1 / dk)) if dk > 0 else math.nan


def _lr_at_step(result, step: int) -> float:
    """The lr of step ``step`` (its row found by step number: the nearest kept one)."""
    from .symptoms import rows_near_steps

    path = result.path
    if len(path) == 0:
        return float(result.hyper.get("lr", math.nan))
    return float(path.lr[int(rows_near_steps(path.k, [step])[0])])


def _lr_at(result, k: int) -> float:
    """The lr of row ``k`` (clamped to the path)."""
    path = result.path
    if len(path) == 0:
        return float(result.hyper.get("lr", math.nan))
    return float(path.lr[min(max(k, 0), len(path) - 1)])


def _point(x) -> str:
    return "(" + ", ".join(fmt(v) for v in x) + ")"


# -- the verdicts ------------------------------------------------------------------------------
def diagnose(result, compiled, preset=None, *, tol: float | None = None, setup=None, noise=None) -> Diagnosis:
    """The verdict on a finished run (see the module docstring for every rule).

    ``tol`` is the run's gradient-norm tolerance (used to estimate the steps still needed;
    default 1e-6).  ``setup`` (:class:`gdx.suggest.Setup`: start, steps, tol, schedule,
    clipping) is what the run was given; every suggestion is re-run with it before it is shown
    (default: read back from the Result).

    ``noise`` (a :class:`gdx.noise.Noise`, for a minibatch run): the end point is judged by the
    full-data loss and gradient, and when the batch gradient's variance outweighs ‖∇L‖²
    (:func:`gdx.noise.noisy`) a kink or an oscillation read from the path is set aside, the
    reason saying so with both numbers.
    """
    from .suggest import Setup, full_data_view

    if setup is None:
        setup = Setup.of(result, tol)
    if noise is not None:
        result = full_data_view(compiled, result)
    d = _cycled(result, setup) if _cycles_momentum(setup) else _verdict(result, compiled, preset, tol, setup, noise)
    numbers = dict(d.numbers)
    k, lam = _sharpness_samples(result, compiled)
    if len(k):
        numbers["sharpness_steps"] = [int(c) for c in k]
        numbers["sharpness"] = [float(c) for c in lam]
    reason = d.reason
    from .uncertainty import other_readings

    more = other_readings(result, d.verdict, numbers, 1e-6 if tol is None or tol <= 0 else float(tol))
    if more:  # uncertainty is stated: the readings the evidence leaves open, and why
        numbers["alternatives"] = list(numbers.get("alternatives", [])) + more
        reason += " Other readings remain: " + "; ".join(f"{r['verdict']} — {r['why']}" for r in more) + "."
    return Diagnosis(d.verdict, reason, d.suggestion, numbers)


def _cycles_momentum(setup) -> bool:
    """Did the run's schedule cycle the momentum (onecycle, cyclic with torch's cycle_momentum)?"""
    return setup.schedule in ("onecycle", "cyclic") and setup.schedule_args.get("cycle_momentum", True) is not False


def _cycled(result, setup) -> Diagnosis:
    """A run whose momentum (or β₁) the schedule cycled: what happened, without the stability
    rules, which assume a fixed μ (for gd, the update was heavy-ball momentum with the cycled μ)."""
    import numpy as np

    loss = result.path.loss
    finite = loss[np.isfinite(loss)]
    moved = f"the loss went from {fmt(finite[0])} to {fmt(finite[-1])}" if len(finite) else "no finite loss was computed"
    verdict = "diverged" if result.status.failed else "converged" if result.status.value == "converged" else "max_steps"
    reason = (f"{result.message}; {moved}.  The {setup.schedule} schedule cycled the momentum "
              f"(torch's cycle_momentum), so gdx's stability rules, which assume a fixed momentum, "
              f"do not apply and no setting is suggested (--no-cycle-momentum keeps it fixed).")
    return Diagnosis(verdict, reason, "", {})


def _sharpness_samples(result, compiled):
    from .symptoms import sharpness

    try:
        return sharpness(result, compiled)
    except Exception:  # noqa: BLE001 - the samples are extra data; never lose the verdict for them
        import numpy as np

        return np.zeros(0, int), np.zeros(0)


def _verdict(result, compiled, preset, tol, setup, noise=None) -> Diagnosis:
    import numpy as np

    from .result import Status

    path = result.path
    if result.status in (Status.DIVERGED, Status.FAULT):
        return _diverged(result, compiled, setup)
    if len(path) == 0 or not np.all(np.isfinite(result.x)):
        return Diagnosis("max_steps", "the run made no step to judge", "", {"steps": int(result.nit)})

    x_end = np.asarray(result.x, dtype=float)
    (w, v), = _hess_eigen(compiled, x_end[None, :])
    from .analysis import classify

    kind = classify(w)
    numbers = {"steps": int(result.nit), "loss": float(result.fun), "grad_norm": float(result.grad_norm),
               "eigenvalues": [float(c) for c in w], "kind": kind}
    if not np.all(np.isfinite(w)):
        numbers.pop("eigenvalues")
    converged = result.status is Status.CONVERGED
    still = _did_not_move(result, numbers, compiled, setup)
    if still is not None:
        return still
    stuck = _stopped_moving(result, numbers, compiled, setup)
    if stuck is not None:
        return stuck
    cycle = _two_cycle(result, compiled, setup) if not converged else None
    if cycle is not None:
        return cycle
    grow = _growing(result, compiled, setup) or _adaptive_growing(result, compiled, setup)
    if grow is not None:
        return grow
    critical = _is_critical(result, compiled)
    gmax = float(np.nanmax(path.grad_norm[_finite_rows(path)])) if len(path) else math.nan
    stalled = not converged and result.grad_norm <= 1e-2 * gmax and _near_critical(result, compiled)
    if not converged:  # a path at the edge of stability ends mid-bounce: its end point's H says little
        eos = _edge_of_stability(result, compiled, numbers)
        if eos is not None:
            return eos
    if kind == "saddle" and ((converged and critical) or stalled):
        return _saddle(result, w, v, numbers, converged, compiled, setup)
    if not (converged and critical):
        away = _no_minimum(result, compiled, numbers, setup)
        if away is not None:
            return away
    flat = _plateau(result, compiled, preset, w, setup)
    if flat is not None:
        return flat
    if kind == "saddle" and (converged or stalled):
        return _saddle(result, w, v, numbers, converged, compiled, setup)
    if converged:
        return _converged(result, compiled, preset, w, v, kind, numbers, setup)
    osc = _oscillation(result, w, v, compiled, setup)
    kink = _kink_along_path(result, compiled, numbers, setup)
    if noise is not None and (osc is not None or kink is not None):
        aside = _noise_readings(result, compiled, noise, kink, osc)
        if aside:
            kink = None if "kink" in aside else kink
            osc = None if "oscillation" in aside else osc
            if kink is None and osc is None:
                d = _after_path(result, compiled, numbers, setup, tol, w, kind, path)
                return Diagnosis(d.verdict, d.reason + " " + " ".join(aside.values()), d.suggestion,
                                 {**d.numbers, "set_aside": list(aside)})
    if kink is not None:  # a kink is the cause; the bouncing across it is its symptom (both are said)
        if osc is not None:
            kink = Diagnosis(kink.verdict, kink.reason + " The steps also bounce across it: " + osc.reason,
                             kink.suggestion, {**osc.numbers, **kink.numbers, "oscillating": True})
        return kink
    if osc is not None:
        return osc
    return _after_path(result, compiled, numbers, setup, tol, w, kind, path)


def _noise_readings(result, compiled, noise, kink, osc) -> dict:
    """The path readings of a minibatch run that its noise explains, {name: why (with numbers)}:

    * a kink, when the full-data gradient ∇L at the same recent points shows none (the batch
      gradients' jumps were the batches' sampling: their variance tr Cov(g_B) against ‖∇L‖²);
    * an oscillation, when tr Cov(g_B) ≥ ‖∇L‖² (:func:`gdx.noise.noisy`): sign flips of the
      steps are what a gradient made mostly of noise gives."""
    from .noise import noisy
    from .symptoms import path_kink

    numbers = (f"the batch gradient's variance tr Cov(g_B) = {fmt(noise.batch_variance, 3)} against the full-data "
               f"signal ‖∇L‖² = {fmt(noise.full_grad_norm ** 2, 3)}")
    out = {}
    if kink is not None and path_kink(result, compiled, gradient=compiled.grad) is None:
        out["kink"] = (f"The batch gradients jumped like a kink's along the path, but the full-data gradient at the same "
                       f"points shows no kink: minibatch noise ({numbers}).")
    if osc is not None and noisy(noise):
        out["oscillation"] = (f"The steps flipped sign like an oscillation's, set aside as minibatch noise "
                              f"({numbers}, so the noise outweighs the signal).")
    return out


def _after_path(result, compiled, numbers, setup, tol, w, kind, path) -> Diagnosis:
    """A run that is neither bouncing nor crossing a kink along its path: a kink at x_end, too
    slow a contraction, or the step budget."""
    if _kink(result, compiled) is not None:  # before slow: a kink at x_end decides, whatever the rate says
        return _max_steps(result, numbers, compiled, setup, every_step=tol is not None and tol <= 0)
    if kind == "minimum" and _still_falling(path):
        slow = _slow(result, w, numbers, 1e-6 if tol is None or tol <= 0 else float(tol), compiled, setup)
        rate = slow.numbers.get("contraction", slow.numbers.get("observed_contraction", math.nan))
        if rate < 1 and (slow.numbers["condition"] >= 10 or rate >= 0.99):
            return slow
        numbers = dict(numbers, steps_needed=slow.numbers.get("steps_needed"))
    return _max_steps(result, numbers, compiled, setup, every_step=tol is not None and tol <= 0)


def _diverged(result, compiled, setup=None) -> Diagnosis:
    """The first loss increase, λmax there, and the learning rate against 2/λmax."""
    import numpy as np

    path = result.path
    ok = _finite_rows(path)
    loss = path.loss
    n_ok = int(np.argmin(ok)) if not ok.all() else len(path)  # rows before the first non-finite one
    numbers = {"step": result.fault_step, "optimizer": result.optimizer}
    lr0 = _lr_at(result, 0)
    if result.cause and result.cause.startswith("singular Hessian"):
        # Newton's step H⁻¹∇f does not exist: no learning rate fixes that, curvature is missing.
        return Diagnosis(
            "diverged",
            f"Newton's method needs curvature, but at step {result.fault_step - 1} the Hessian is zero "
            f"({result.cause}): f is linear or flat there, so H⁻¹∇f does not exist",
            "use a first-order optimizer (-o gd, -o momentum or -o adam), or start where f curves (--start)",
            numbers,
        )
    if n_ok == 0:
        return Diagnosis(
            "diverged",
            f"f or its gradient is undefined at the start point ({result.cause})",
            "start elsewhere: --start a point where f is differentiable",
            numbers,
        )
    rises = np.nonzero(np.diff(loss[:n_ok]) > 0)[0]
    if rises.size:
        k = int(rises[0])
        (w, v), = _hess_eigen(compiled, path.x[k][None, :])
        lam_max = float(w[-1])
        lr = _lr_at(result, k)
        bound = stable_bound(result.optimizer, result.hyper, lam_max)
        gd_bound = 2.0 / lam_max if lam_max > 0 else None
        numbers.update(first_rise=int(path.k[k]), x=[float(c) for c in path.x[k]], lr=lr, lambda_max=lam_max,
                       stable_lr=bound if bound is not None else gd_bound,
                       direction=[float(c) for c in v[-1]])
        where = f"the loss first rose at step {int(path.k[k])} (f = {fmt(loss[k])} → {fmt(loss[k + 1])}) at x = {_point(path.x[k])}"
        if bound is not None:
            ratio = lr / bound
            numbers["ratio"] = ratio
            rule = _spec(result).stability_text
            if lr > bound:
                step_factor = _step_factor(result)
                factor = abs(step_factor(lr, lam_max)) if step_factor is not None else None
                grow = f"; each step multiplies the error along the top eigenvector {_point(v[-1])} by −{fmt(factor, 3)}" if factor else ""
                reason = (f"{where}; there λmax = {fmt(lam_max)}, so {result.optimizer} is stable only for "
                          f"lr < {rule} = {fmt(bound)}, and lr = {fmt(lr)} is {fmt(ratio, 3)}× that{grow}.")
                reason += _adaptive_note(result, compiled, k, numbers)
                return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, _lower_lrs(result, bound, lr)), numbers)
            reason = (f"{where}; there λmax = {fmt(lam_max)} and lr = {fmt(lr)} is below {rule} = {fmt(bound)}, "
                      f"so the step was stable where it was taken: the curvature grew along the way (λmin = {fmt(w[0])}).")
            cands = _lower_lrs(result, _path_bound(result, compiled, k) or bound / 2, lr) + [_clip(result)]
            return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, cands), numbers)
        adaptive = _adaptive_diverged(result, compiled, setup, numbers, k, where, lr)
        if adaptive is not None:
            return adaptive
        if gd_bound is not None:
            reason = (f"{where}; there λmax = {fmt(lam_max)} (plain gradient descent would need lr < 2/λmax = {fmt(gd_bound)}); "
                      f"{result.optimizer} took steps with lr = {fmt(lr)}.")
            reason += _adaptive_note(result, compiled, k, numbers)
            cands = _lower_lrs(result, min(lr / 10, gd_bound), lr) + [_clip(result)]
            return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, cands), numbers)
        reason = f"{where}; H there has no positive curvature (λmax = {fmt(lam_max)}): f falls away in every direction."
        return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, [], advice="start elsewhere (--start), nearer a minimum"), numbers)
    # no rise: the loss fell until it broke
    k = n_ok - 1
    (w, v), = _hess_eigen(compiled, path.x[k][None, :])
    numbers.update(last_finite=int(path.k[k]), loss=float(loss[k]), lambda_min=float(w[0]), lr=_lr_at(result, k))
    if result.status.value == "diverged" and (result.cause and "unbounded below" in result.cause or (w[0] < 0 and loss[k] < loss[0])):
        reason = (f"the loss fell without bound (to {fmt(loss[k])} by step {int(path.k[k])}) along a direction of negative "
                  f"curvature (λmin = {fmt(w[0])}): f has no minimum that way.")
        return Diagnosis("diverged", reason, "f has no minimum that way: start elsewhere (--start) or add a term that bounds f below", numbers)
    reason = f"step {int(path.k[k]) + 1} left f's domain or overflowed ({result.cause}) while the loss was still falling (lr = {fmt(_lr_at(result, k))})."
    cands = [_with_lr(result, floor_sig(lr0 / 10)), _with_lr(result, floor_sig(lr0 / 100)), _clip(result)]
    return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, cands), numbers)



# -- suggestions, each run before it is shown (gdx.suggest) ------------------------------------
def _try(result, compiled, setup, numbers, candidates, advice: str = "") -> str:
    """The best candidate that was run and did better, with what it measured (gdx.suggest)."""
    from .suggest import suggestion

    return suggestion(compiled, setup, result, candidates, numbers, advice=advice)


def _with_lr(result, lr):
    """The run with another (positive, finite) learning rate, else None."""
    from .suggest import with_lr

    return with_lr(result, lr) if lr > 0 and math.isfinite(lr) else None


def _lower_lrs(result, bound, lr) -> list:
    """Learning rates below a stability bound: the bound rounded down, half of it, a tenth of lr."""
    return [_with_lr(result, floor_sig(bound)), _with_lr(result, floor_sig(bound / 2)), _with_lr(result, floor_sig(lr / 10))]


def _clip(result, c: float = 1.0):
    from .suggest import Candidate

    return Candidate(f"--clip-norm {c:g}", result.optimizer, dict(result.hyper), clip_norm=c)


def _step_size_candidates(result) -> list:
    """For an optimizer whose steps are set by step-size factors (Rprop): gentler etas, and a
    tenth of the largest step size."""
    hyper = dict(result.hyper)
    out = []
    if "etas" in hyper:
        out.append(_candidate('--etas "0.3,1.1"', result.optimizer, **{**hyper, "etas": (0.3, 1.1)}))
    if "step_sizes" in hyper:
        lo, hi = hyper["step_sizes"]
        out.append(_candidate(f'--step-sizes "{lo:g},{hi / 10:g}"', result.optimizer, **{**hyper, "step_sizes": (lo, hi / 10)}))
    return out


def _candidate(flags, optimizer, **hyper):
    from .suggest import Candidate

    return Candidate(flags, optimizer, hyper)


def _path_bound(result, compiled, upto: int | None = None):
    """The optimizer's stable lr for the largest λmax sampled along the path (up to row ``upto``)."""
    import numpy as np

    from .symptoms import sharpness

    k, lam = sharpness(result, compiled)
    if upto is not None:
        lam = lam[k <= upto]
    lam = lam[np.isfinite(lam)]
    if not len(lam) or not lam.max() > 0:
        return None
    return stable_bound(result.optimizer, result.hyper, float(lam.max()))


#: Within this fraction of the adaptive edge, λmax(P⁻¹H) is "near" it: the verdict still follows the
#: side, and the other reading is stated (``alternatives``).
ADAPTIVE_BAND = 0.1


def _recent_rows(result, upto: int | None = None):
    """The last min(RECENT + 1, N) finite rows of the path (up to row ``upto``)."""
    import numpy as np

    rows = np.nonzero(_finite_rows(result.path))[0]
    if upto is not None:
        rows = rows[rows <= upto]
    return rows[-(RECENT + 1):]


def adaptive_evidence(result, compiled, rows) -> dict | None:
    """λmax(P⁻¹H) against the adaptive edge at path rows ``rows`` (gdx.symptoms), for an adaptive
    optimizer whose registry entry has a preconditioner; None otherwise.

    Returns {"preconditioned_sharpness": median λmax(P⁻¹H) over the rows, "adaptive_edge": the
    edge at the lr of the last row with lr > 0, "edge_ratio": the median of λmax(P⁻¹H)/edge row by row,
    "edge_ratio_min"/"edge_ratio_max", "adaptive_factor": the frozen-P one-step factor at the
    median, "edge_side": "above" (median ratio > 1) or "below", "edge_near": the median ratio is
    within ADAPTIVE_BAND of 1, where the sampled sharpness cannot tell the sides apart}.  The median keeps a bouncing run's verdict from depending on which half of a bounce
    its last step is."""
    import numpy as np

    from .symptoms import adaptive_edge, adaptive_factor, preconditioned_sharpness

    rows = np.asarray(rows, dtype=int)
    if _family(result) != "adaptive" or not len(rows):
        return None
    lam = preconditioned_sharpness(result, compiled, rows)
    if lam is None:
        return None
    edges = np.array([adaptive_edge(result, int(k)) or np.nan for k in rows], dtype=float)
    ratio = lam / edges
    ok = np.isfinite(ratio)
    if not ok.any():
        return None
    med, last = float(np.median(ratio[ok])), int(rows[ok][-1])  # the last row with lr > 0 (a schedule may end at 0)
    edge = float(edges[ok][-1])
    a = float(np.median(lam[ok]))
    side = "above" if med > 1 else "below"
    factor = adaptive_factor(result, last, med * edge)
    return {"edge_near": bool(abs(med - 1) <= ADAPTIVE_BAND), "preconditioned_sharpness": a, "adaptive_edge": edge,
            "edge_ratio": med, "edge_ratio_min": float(ratio[ok].min()), "edge_ratio_max": float(ratio[ok].max()),
            "adaptive_factor": math.nan if factor is None else factor, "edge_side": side}


def _adaptive_note(result, compiled, k: int, numbers) -> str:
    """For an optimizer with an adaptive edge: λmax(P⁻¹H) at row k against it (Cohen et al. 2022)."""
    ev = adaptive_evidence(result, compiled, [k])
    if ev is None:
        return ""
    numbers.update(ev)
    return (f" The preconditioned sharpness λmax(P⁻¹H) ({_p_text(result)}, rebuilt from the gradients) is "
            f"{fmt(ev['preconditioned_sharpness'])} there, {_side_text(ev)} {result.optimizer}'s adaptive edge of stability "
            f"{_edge_text(result)} = {fmt(ev['adaptive_edge'])} (Cohen et al. 2022; ratio {near_one(ev['edge_ratio'])}).")


def _side_text(ev) -> str:
    return ev["edge_side"] + (", but within 10% of," if ev["edge_near"] else "")


def _p_text(result) -> str:
    """P as the run's optimizer builds it, in words."""
    return {"adam": "P = (1−β₁ᵗ)·diag(√v̂ + ε)", "adamw": "P = (1−β₁ᵗ)·diag(√v̂ + ε)", "adamax": "P = (1−β₁ᵗ)·diag(u)",
            "rmsprop": "P = diag(√v + ε)", "adagrad": "P = diag(√s + ε)"}.get(result.optimizer, "P the diagonal preconditioner")


def _adaptive_diverged(result, compiled, setup, numbers, k, where, lr) -> Diagnosis | None:
    """A diverged run of an optimizer with an adaptive edge, judged at the first loss increase
    (row k) by λmax(P⁻¹H) there: above the edge the frozen-P step multiplies the error by ρ > 1
    along P⁻¹H's top eigenvector — the instability explains the divergence, and the lr that puts
    the edge at λmax(P⁻¹H) is tried; below it the step was stable where it was taken, so the rise
    came from a step of about lr leaving the region where f's quadratic model holds (the step's
    length and f's rise are stated), and smaller lrs and clipping are tried."""
    import numpy as np

    ev = adaptive_evidence(result, compiled, [k])
    if ev is None:
        return None
    numbers.update(ev)
    path = result.path
    length = float(np.linalg.norm(path.x[k + 1] - path.x[k])) if k + 1 < len(path) else math.nan
    numbers["step_length"] = length
    sharp = (f"the preconditioned sharpness λmax(P⁻¹H) ({_p_text(result)}, rebuilt from the gradients) is "
             f"{fmt(ev['preconditioned_sharpness'])}, {near_one(ev['edge_ratio'])}× {result.optimizer}'s adaptive edge of "
             f"stability {_edge_text(result)} = {fmt(ev['adaptive_edge'])} for lr = {fmt(lr)} (Cohen et al. 2022)")
    if ev["edge_side"] == "above":
        reason = (f"{where}; there {sharp}: with P frozen each step multiplies the error along P⁻¹H's top eigenvector by "
                  f"−{near_one(ev['adaptive_factor'])}, so the preconditioned step is unstable and the run diverged.")
        safe = lr / ev["edge_ratio"]
        cands = [_with_lr(result, floor_sig(safe)), _with_lr(result, floor_sig(safe / 2)), _with_lr(result, floor_sig(lr / 10))]
    else:
        reason = (f"{where}; there {sharp}, below it: the preconditioned step was stable where it was taken, so this is "
                  f"not an lr instability — {result.optimizer}'s step (‖Δx‖ = {fmt(length, 3)}, about lr whatever the "
                  f"gradient) left the region where f's quadratic model holds.")
        cands = [_with_lr(result, floor_sig(lr / 10)), _with_lr(result, floor_sig(lr / 100)), _clip(result)]
    if ev["edge_near"]:
        numbers["alternatives"] = [{"verdict": "diverged", "why": f"λmax(P⁻¹H) is within 10% of the edge (ratio "
                                    f"{near_one(ev['edge_ratio'])}): the other side's reading cannot be ruled out"}]
        reason += " λmax(P⁻¹H) is within 10% of the edge, so the other reading cannot be ruled out."
    return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _adaptive_growing(result, compiled, setup) -> Diagnosis | None:
    """Growth, not oscillation, for an optimizer with an adaptive edge: the loss ended above its
    start and above the loss halfway, and λmax(P⁻¹H) over the last steps is above the edge
    (median ratio > 1; the loss's growth is the evidence, so no band applies): with P frozen, each step multiplies the error along
    P⁻¹H's top eigenvector by the spectral radius ρ > 1 of the optimizer's momentum recurrence."""
    import numpy as np

    path = result.path
    loss, ks = path.loss[_finite_rows(path)], path.k[_finite_rows(path)]
    if len(loss) < 4 or not (loss[-1] > loss[0] and loss[-1] > loss[middle_row(ks)]):
        return None
    ev = adaptive_evidence(result, compiled, _recent_rows(result))
    if ev is None or ev["edge_side"] != "above":
        return None
    m = min(RECENT, len(loss) - 1)
    ratio = per_step(loss, ks, m)
    lr = _lr_at_step(result, result.nit - 1)
    numbers = {"steps": int(result.nit), "loss": float(result.fun), "start_loss": float(loss[0]), "lr": lr,
               "loss_ratio": ratio, **ev, "growth": ev["adaptive_factor"]}
    reason = (f"the loss grew from {fmt(loss[0])} to {fmt(loss[-1])} in {result.nit} steps (×{near_one(ratio)} per step lately): "
              f"the preconditioned sharpness λmax(P⁻¹H) ({_p_text(result)}) is {fmt(ev['preconditioned_sharpness'])} over the "
              f"last steps, {near_one(ev['edge_ratio'])}× {result.optimizer}'s adaptive edge of stability {_edge_text(result)} = "
              f"{fmt(ev['adaptive_edge'])} for lr = {fmt(lr)} (Cohen et al. 2022); with P frozen each step multiplies the error "
              f"along P⁻¹H's top eigenvector by {near_one(ev['adaptive_factor'])} in size, so the run is diverging, not "
              f"oscillating around a minimum.")
    safe = lr / ev["edge_ratio"]
    cands = [_with_lr(result, floor_sig(safe)), _with_lr(result, floor_sig(safe / 2)), _with_lr(result, floor_sig(lr / 10))]
    return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _edge_text(result) -> str:
    from .symptoms import adaptive_edge_text

    return adaptive_edge_text(result)


# -- steps that cannot help --------------------------------------------------------------------
def _did_not_move(result, numbers, compiled, setup) -> Diagnosis | None:
    """x never changed (every recorded lr is 0, or every step was exactly 0): more steps cannot help."""
    import numpy as np

    path = result.path
    ok = _finite_rows(path)
    xs = path.x[ok]
    if len(xs) < 2 or np.any(xs != xs[0]):
        return None
    lrs = path.lr[ok]
    numbers = dict(numbers)
    if np.all(lrs == 0):
        reason = (f"x did not move in {result.nit} steps: the learning rate is 0 at every step, so each update is "
                  f"x ← x − 0·(…); more steps cannot change anything (‖∇f‖ = {fmt(result.grad_norm, 3)} at the start).")
        from .optim import OPTIMIZERS

        spec = OPTIMIZERS.get(result.optimizer)
        default = spec.defaults.get("lr") if spec is not None else None
        cands = [_with_lr(result, default)] if default else []
        return Diagnosis("max_steps", reason, _try(result, compiled, setup, numbers, cands), dict(numbers, lr=0.0))
    reason = f"x did not move in {result.nit} steps (every update was exactly 0, ‖∇f‖ = {fmt(result.grad_norm, 3)}): more steps cannot help."
    return Diagnosis("max_steps", reason, "", numbers)


#: x unchanged over at least this many final rows (and the last half of the path) is "stuck".
STUCK_ROWS = 10


def _stopped_moving(result, numbers, compiled, setup) -> Diagnosis | None:
    """x moved, then stopped: over the last half of the path (at least STUCK_ROWS rows) it is the
    same float64 vector while ‖∇f‖ > tol, so more steps cannot help.  For L-BFGS the cause is its
    own tests: torch's step ends before it moves once gᵀd > −tolerance_change (or f or t·d
    change less than it), which a small gradient meets long before ‖∇f‖ ≤ tol; a smaller
    --tolerance-change is tried.  Otherwise every update rounded to nothing: lr·step is below
    the float64 spacing of x."""
    import numpy as np

    if result.status.value == "converged":
        return None
    path = result.path
    xs = path.x[_finite_rows(path)]
    if len(xs) < 2 * STUCK_ROWS:
        return None
    same = np.all(xs == xs[-1], axis=1)
    first = len(same) - int(np.argmin(same[::-1])) if not same.all() else 0  # first row of the final frozen run
    if same.all() or len(same) - first < max(STUCK_ROWS, len(same) // 2):
        return None
    rows = np.nonzero(_finite_rows(path))[0]
    since = int(path.k[rows[first]])
    numbers = dict(numbers, stuck_since=since)
    head = (f"x has not changed since step {since} (the last {result.nit - since} updates were exactly 0 in float64) "
            f"while ‖∇f‖ = {fmt(result.grad_norm, 3)} is still above tol, so more steps cannot help")
    if result.optimizer == "lbfgs":
        h = {**OPTIMIZERS["lbfgs"].defaults, **{k: v for k, v in result.hyper.items() if v is not None}}
        tc = float(h["tolerance_change"])
        reason = (f"{head}: L-BFGS's own tests end each step before it moves — torch stops a step once gᵀd > "
                  f"−tolerance_change = −{tc:g} (or f or t·d change less than it), and with ‖∇f‖ this small gᵀd "
                  f"≈ −gᵀH⁻¹g is already above that.")
        new = max(tc * 1e-6, 1e-300)
        cand = _candidate(f"--tolerance-change {new:g}", "lbfgs", **{**result.hyper, "tolerance_change": new})
        return Diagnosis("max_steps", reason, _try(result, compiled, setup, numbers, [cand]), numbers)
    reason = (f"{head}: every update rounded to nothing, lr times the step being below the float64 spacing of x "
              f"(≈ {fmt(float(np.max(np.spacing(np.abs(xs[-1])))), 3)} here).")
    return Diagnosis("max_steps", reason, "", numbers)


def _growing(result, compiled, setup) -> Diagnosis | None:
    """Growth, not oscillation: for an optimizer with a stability rule, the run ended with a loss
    above its start and above the loss halfway, lr > the stable lr for λmax(H(x_end)), and the
    error along the top eigenvector grows by |1 − lr·λmax| > 1 per step (gd), or the loss grows
    steadily (geometric mean ratio of the last min(20, N) losses > 1)."""
    import numpy as np

    path = result.path
    loss, ks = path.loss[_finite_rows(path)], path.k[_finite_rows(path)]
    if len(loss) < 4 or _family(result) != "sgd":
        return None
    if not (loss[-1] > loss[0] and loss[-1] > loss[middle_row(ks)]):
        return None
    (w, v), = _hess_eigen(compiled, np.asarray(result.x, dtype=float)[None, :])
    lam_max = float(w[-1])
    lr = _lr_at_step(result, result.nit - 1)
    bound = stable_bound(result.optimizer, result.hyper, lam_max)
    if bound is None or not lr > bound:
        return None
    m = min(RECENT, len(loss) - 1)
    ratio = per_step(loss, ks, m)
    from .symptoms import near_one

    numbers = {"steps": int(result.nit), "loss": float(result.fun), "start_loss": float(loss[0]), "lr": lr,
               "lambda_max": lam_max, "stable_lr": bound, "loss_ratio": ratio, "direction": [float(c) for c in v[-1]]}
    step_factor = _step_factor(result)
    grow = ""
    if step_factor is not None:
        factor = abs(step_factor(lr, lam_max))
        numbers["growth"] = factor
        grow = f"each step multiplies the error along the top eigenvector {_point(v[-1])} by −{near_one(factor)} (|1 − lr·λmax|), "
    reason = (f"the loss grew from {fmt(loss[0])} to {fmt(loss[-1])} in {result.nit} steps (×{near_one(ratio)} per step lately): "
              f"λmax = {fmt(lam_max)}, so {result.optimizer} is stable only for lr < {_spec(result).stability_text} = {fmt(bound)}, "
              f"and lr = {fmt(lr)} is {near_one(lr / bound)}× that; {grow}so the run is diverging, slowly (not yet past the "
              f"explosion threshold), not oscillating around a minimum.")
    return Diagnosis("diverged", reason, _try(result, compiled, setup, numbers, _lower_lrs(result, bound, lr)), numbers)


def _is_critical(result, compiled) -> bool:
    """x_end is at a critical point: ‖∇f‖ = 0, or the Newton step −H⁻¹∇f lands where ‖∇f‖ is at
    most a tenth of it (f's local quadratic model has its stationary point right there)."""
    import numpy as np

    g = np.asarray(result.jac, dtype=float)
    if not np.any(g):
        return True
    x = np.asarray(result.x, dtype=float)
    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            try:
                delta = np.linalg.solve(compiled.hess(x), -g)
            except np.linalg.LinAlgError:
                return False
            g2 = compiled.grad(x + delta)
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    return bool(np.all(np.isfinite(g2)) and np.linalg.norm(g2) <= 0.1 * np.linalg.norm(g))


def _no_minimum(result, compiled, numbers, setup) -> Diagnosis | None:
    """No minimum the way the run went (gdx.symptoms.asymptote): ``unbounded`` when f → −∞,
    ``asymptotic`` when f falls toward a finite infimum reached only as ‖x‖ → ∞."""
    from .symptoms import asymptote

    a = asymptote(result, compiled)
    if a is None:
        return None
    numbers = dict(numbers, direction=list(a.direction), probe_distance=a.t_far, x_norm_mid=a.x_norm_mid,
                   x_norm_end=a.x_norm_end, grad_norm_mid=a.grad_mid, grad_norm_end=a.grad_end)
    lams = numbers.get("eigenvalues") or []
    linear = bool(lams) and max(abs(c) for c in lams) == 0
    along = (f"along the direction the run travelled, {_point(a.direction)}, f keeps falling from x_end out to "
             f"{fmt(a.t_far, 3)} further")
    trend = (f"; over the second half of the run ‖x‖ went {fmt(a.x_norm_mid)} → {fmt(a.x_norm_end)} while ‖∇f‖ went "
             f"{fmt(a.grad_mid, 3)} → {fmt(a.grad_end, 3)}")
    if a.unbounded:
        numbers["infimum"] = -math.inf
        what = "f is linear (H = 0 everywhere), so " if linear else ""
        reason = (f"{what}f is unbounded below the way the run went: {along} without levelling off (f = {fmt(a.f_far, 3)} "
                  f"there){trend}. There is no minimum to reach: more steps or a larger lr only go further down.")
        cands = [_weight_decay(result, 0.1), _weight_decay(result, 1.0)]
        advice = "or bound f below (add a term such as 0.01*(x^2 + y^2) to f)"
        return Diagnosis("unbounded", reason, _try(result, compiled, setup, numbers, cands, advice=advice), numbers)
    numbers["infimum"] = a.f_far
    reason = (f"f decreases toward an infimum ≈ {fmt(a.f_far, 4)} that is approached only as ‖x‖ → ∞: {along} and "
              f"levels off at {fmt(a.f_far, 4)}{trend}. The gradient vanishes only at infinity, so more steps or a larger "
              f"lr never produce a minimum (for a separable logistic loss the weights grow without bound).")
    cands = [_weight_decay(result, 0.01), _weight_decay(result, 0.1)]
    advice = "or stop early (--steps) and judge the run by its loss"
    return Diagnosis("asymptotic", reason, _try(result, compiled, setup, numbers, cands, advice=advice), numbers)


def _weight_decay(result, lam: float):
    """The run with an L2 penalty λ (--weight-decay), when its optimizer takes one."""
    from .optim import OPTIMIZERS
    from .suggest import Candidate

    spec = OPTIMIZERS.get(result.optimizer)
    if spec is None or "weight_decay" not in spec.defaults:
        return None
    return Candidate(f"--weight-decay {lam:g}", result.optimizer, dict(result.hyper, weight_decay=lam), penalty=lam)

def _probe_box(result, preset):
    """The region to probe: the preset's domain, else the path's bounding box with the origin, widened."""
    import numpy as np

    if preset is not None and getattr(preset, "domain", None):
        lo = np.array([float(preset.domain[v][0]) for v in result.variables])
        hi = np.array([float(preset.domain[v][1]) for v in result.variables])
        return lo, hi
    xs = result.path.x[_finite_rows(result.path)]
    pts = np.vstack([xs, np.zeros((1, xs.shape[1]))])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    w = np.maximum(1.0, hi - lo)
    return lo - w, hi + w


def _probe(compiled, lo, hi):
    """f on a coarse grid of the box (41² in 2-D, 201 in 1-D, 15³ in 3-D, 4000 random beyond): (best f, where)."""
    import numpy as np

    n = len(lo)
    per = {1: 201, 2: 41, 3: 15}.get(n)
    if per:
        axes = [np.linspace(a, b, per) for a, b in zip(lo, hi)]
        pts = np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=-1)
    else:
        pts = lo + (hi - lo) * np.random.default_rng(0).random((4000, n))
    vals = _values(compiled, pts)
    vals = np.where(np.isfinite(vals), vals, np.inf)
    i = int(np.argmin(vals))
    return float(vals[i]), pts[i]


def _plateau(result, compiled, preset, w, setup=None) -> Diagnosis | None:
    """Plateau when ‖∇f‖·d + ½·max|λ|·d² ≤ 0.1·gap (see the module docstring)."""
    import numpy as np

    x_end = np.asarray(result.x, dtype=float)
    f_end = float(result.fun)
    lo, hi = _probe_box(result, preset)
    candidates = []
    f_probe, at_probe = _probe(compiled, lo, hi)
    if math.isfinite(f_probe):
        candidates.append((f_probe, at_probe, "a coarse grid of the region"))
    for m in getattr(preset, "minima", None) or ():
        candidates.append((float(m.value), np.asarray(m.at, dtype=float), f"the preset's known {m.kind} minimum"))
    if not candidates or not np.all(np.isfinite(w)):
        return None
    f_best, at_best, source = min(candidates, key=lambda c: c[0])
    gap = f_end - f_best
    if not gap > 1e-6 * (1 + abs(f_end)):
        return None
    d = float(np.linalg.norm(at_best - x_end))
    lam = float(np.max(np.abs(w)))
    model = result.grad_norm * d + 0.5 * lam * d * d
    vanish = _vanishing(result, compiled, f_best, at_best, source, gap, setup)
    if vanish is not None:
        return vanish
    if model > 0.1 * gap:
        return None
    numbers = {"steps": int(result.nit), "loss": f_end, "grad_norm": float(result.grad_norm), "best_value": f_best,
               "best_at": [float(c) for c in at_best], "gap": gap, "distance": d, "max_abs_eigenvalue": lam,
               "model_change": model}
    stop = "converged (‖∇f‖ ≤ tol)" if result.status.value == "converged" else f"was still crawling after {result.nit} steps"
    reason = (f"the run {stop} at f = {fmt(f_end)} with ‖∇f‖ = {fmt(result.grad_norm, 3)}, but f = {fmt(f_best)} at "
              f"{_point(at_best)} ({source}), {fmt(d, 3)} away: the slope and curvature here (max|λ| = {fmt(lam, 3)}) "
              f"account for a change of only {fmt(model, 3)} over that distance, against a gap of {fmt(gap, 3)}.")
    cands = [_start(result, at_best, 0.5)]
    if _family(result) != "adaptive":
        cands.insert(0, _candidate("-o adam", "adam"))
    return Diagnosis("plateau", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _start(result, at, toward: float = 1.0):
    """The run from x₀ + toward·(at − x₀) (at: where f is lower)."""
    import numpy as np

    from .suggest import Candidate

    x0 = np.asarray(result.path.x[0], dtype=float)
    x = x0 + toward * (np.asarray(at, dtype=float) - x0)
    text = ",".join(fmt(c, 3) for c in x)
    return Candidate(f'--start "{text}"', result.optimizer, dict(result.hyper), x0=tuple(float(c) for c in (float(fmt(c, 3)) for c in x)))


def _vanishing(result, compiled, f_best, at_best, source, gap, setup) -> Diagnosis | None:
    """Vanishing gradients from saturation: a lower f is known (the gap), the run barely moved
    toward it (its loss fell by < 10% of the gap), and a saturating node of f whose local
    derivative is < 1e-2 lies on the chain to a variable (gdx.symptoms.saturation)."""
    from .symptoms import may_saturate, saturation

    if result.status.value == "converged" and _is_critical(result, compiled) and gap <= 0:
        return None
    loss = result.path.loss[_finite_rows(result.path)]
    fell = float(loss[0] - loss[-1]) if len(loss) else 0.0
    if not fell < 0.1 * gap:
        return None
    problem = getattr(compiled, "problem", None)
    if problem is None or not may_saturate(getattr(problem, "source", None)):
        return None
    expr = getattr(problem, "expr", None)
    if expr is None:
        return None
    sat = saturation(expr, result.variables, result.x)
    if not sat:
        return None
    top = sat[0]
    numbers = {"steps": int(result.nit), "loss": float(result.fun), "grad_norm": float(result.grad_norm), "best_value": f_best,
               "best_at": [float(c) for c in at_best], "gap": gap, "saturating_node": top.node, "saturating_factor": top.factor,
               "saturating_argument": top.argument, "saturating_variables": list(top.variables),
               "saturations": [{"node": z.node, "factor": z.factor, "argument": z.argument} for z in sat]}
    others = ""
    if len(sat) > 1:
        others = "; also " + ", ".join(f"{z.node} (factor {fmt(z.factor, 2)})" for z in sat[1:3])
    reason = (f"vanishing gradients from saturation: after {result.nit} steps f = {fmt(result.fun)} with ‖∇f‖ = "
              f"{fmt(result.grad_norm, 3)}, though f = {fmt(f_best)} at {_point(at_best)} ({source}); by the chain rule the "
              f"gradient with respect to {', '.join(top.variables)} carries the factor {top.formula} = {fmt(top.factor, 2)} "
              f"from the node {top.node} (its argument is {fmt(top.argument, 4)}, deep in the flat tail){others}.")
    cands = [_start(result, [0.0] * len(result.x), 0.75), _candidate("-o adam", "adam")]
    return Diagnosis("vanishing", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _near_critical(result, compiled) -> bool:
    """A critical point is near: the Newton step δ = −H⁻¹∇f is under 5% of the path's extent and
    ‖∇f(x + δ)‖ ≤ 0.1·‖∇f(x)‖ (one more gradient evaluation)."""
    import numpy as np

    x = np.asarray(result.x, dtype=float)
    g = np.asarray(result.jac, dtype=float)
    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            h = compiled.hess(x)
            try:
                delta = np.linalg.solve(h, -g)
            except np.linalg.LinAlgError:
                return False
            g2 = compiled.grad(x + delta)
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    xs = result.path.x[_finite_rows(result.path)]
    extent = float(np.linalg.norm(xs.max(axis=0) - xs.min(axis=0))) if len(xs) else 0.0
    return bool(np.linalg.norm(delta) <= 0.05 * max(extent, 1e-12) and np.linalg.norm(g2) <= 0.1 * np.linalg.norm(g))


def _saddle(result, w, v, numbers, converged, compiled=None, setup=None) -> Diagnosis:
    lam_min = float(w[0])
    escape = [float(c) for c in v[0]]
    numbers = dict(numbers, lambda_min=lam_min, escape_direction=escape)
    how = "converged to" if converged else "stalled near"
    reason = (f"the run {how} a saddle point at {_point(result.x)} (f = {fmt(result.fun)}): H has eigenvalues "
              f"{', '.join(fmt(c) for c in w)}, so f still falls along {_point(escape)} (λ = {fmt(lam_min)}); "
              f"the gradient there is ≈ 0, so gradient steps cannot see the way down.")
    import numpy as np

    off = np.asarray(result.x, dtype=float) + 0.01 * np.asarray(escape)
    cands = [_start(result, off, 1.0), _candidate("-o momentum", "momentum")]
    return Diagnosis("saddle", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _known_minimum(result, preset):
    """(minimum, is_global) for the preset minimum the run ended at, else (None, False)."""
    import numpy as np

    minima = getattr(preset, "minima", None) or ()
    if not minima:
        return None, False
    x = np.asarray(result.x, dtype=float)
    best = min(minima, key=lambda m: float(np.linalg.norm(np.asarray(m.at, dtype=float) - x)))
    scale = 1.0
    if getattr(preset, "domain", None):
        scale = max(1.0, max(float(b) - float(a) for a, b in preset.domain.values()))
    near = float(np.linalg.norm(np.asarray(best.at, dtype=float) - x)) <= 1e-3 * scale
    close_value = abs(float(best.value) - float(result.fun)) <= 1e-4 * (1 + abs(float(best.value)))
    if not (near or close_value and float(np.linalg.norm(np.asarray(best.at) - x)) <= 1e-2 * scale):
        return None, False
    f_min = min(float(m.value) for m in minima)
    return best, float(best.value) <= f_min + 1e-9 * (1 + abs(f_min))


def _converged(result, compiled, preset, w, v, kind, numbers, setup=None) -> Diagnosis:
    steps = result.nit
    eig = ", ".join(fmt(c) for c in w)
    numbers = dict(numbers)
    if kind == "minimum":
        known, is_global = _known_minimum(result, preset)
        numbers["known_minimum"] = bool(known)
        numbers["global_minimum"] = bool(is_global)
        what = f"a minimum at {_point(result.x)} (f = {fmt(result.fun)}; H's eigenvalues {eig}: positive definite)"
        if known is not None and is_global:
            what += f", the known global minimum of {preset.name}"
        elif known is not None:
            what += f", a known {known.kind} minimum of {preset.name}"
        reason = f"converged in {steps} steps to {what}."
        suggestion = ""
        minima = getattr(preset, "minima", None) or ()
        if minima and not is_global:
            g = min(minima, key=lambda m: float(m.value))
            if float(g.value) < float(result.fun) - 1e-6 * (1 + abs(float(result.fun))):
                reason += f" The global minimum is f = {fmt(g.value)} at {_point(g.at)}."
                suggestion = _try(result, compiled, setup, numbers, [_start(result, g.at, 1.0), _candidate("-o momentum", "momentum")])
        if not suggestion and not is_global and _constant_curvature(result, compiled, w):
            suggestion = _faster(result, w, numbers, compiled, setup)
        return Diagnosis("converged", reason, suggestion, numbers)
    if kind == "maximum":
        reason = f"converged in {steps} steps to a local maximum at {_point(result.x)} (f = {fmt(result.fun)}; H's eigenvalues {eig}): the gradient is 0 there, so steps cannot leave it."
        import numpy as np

        off = np.asarray(result.x, dtype=float) + 0.01
        return Diagnosis("converged", reason, _try(result, compiled, setup, numbers, [_start(result, off, 1.0)]), numbers)
    reason = (f"converged in {steps} steps to a degenerate critical point at {_point(result.x)} (f = {fmt(result.fun)}; "
              f"H's eigenvalues {eig}): the second-derivative test cannot tell its kind.")
    return Diagnosis("converged", reason, "", numbers)


def _constant_curvature(result, compiled, w) -> bool:
    """H at the start equals H at the end (to 1e-6): the quadratic model holds along the whole path."""
    import numpy as np

    (w0, _), = _hess_eigen(compiled, np.asarray(result.path.x[0], dtype=float)[None, :])
    return bool(np.all(np.isfinite(w0)) and np.allclose(w0, w, rtol=1e-6, atol=1e-12))


def _faster(result, w, numbers, compiled=None, setup=None) -> str:
    """For a gd run that converged: the rate a better lr or momentum would give, when it is much better."""
    step_factor = _step_factor(result)
    if step_factor is None or not (w[0] > 0) or result.nit < 50:
        return ""
    lam_min, lam_max = float(w[0]), float(w[-1])
    lr = _lr_at_step(result, result.nit - 1)
    rho = max(abs(step_factor(lr, lam_min)), abs(step_factor(lr, lam_max)))
    kappa = lam_max / lam_min
    best = (kappa - 1) / (kappa + 1)
    numbers.update(lr=lr, contraction=rho, condition=kappa, optimal_lr=2 / (lam_min + lam_max), optimal_contraction=best)
    if kappa >= 10:
        return _try(result, compiled, setup, numbers, _momentum_candidates(lam_min, lam_max, lam_max))
    if rho > 0 and best < rho ** 2:  # at least twice as fast in steps
        return _try(result, compiled, setup, numbers, [_with_lr(result, round_sig(2 / (lam_min + lam_max), 3))])
    return ""


def _momentum_candidates(lam_min: float, lam_max: float, lam_path: float) -> list:
    """Polyak's tuning of heavy-ball momentum for a quadratic, lr = 4/(√L+√m)², μ = ((√κ−1)/(√κ+1))²,
    with L the end point's λmax and (tuned along the path) the largest λmax sampled on the path;
    μ rounded down so that it stays < 1 (damped); plus Newton's method."""
    from .symptoms import floor_below_one

    out = []
    for top in sorted({lam_max, max(lam_path, lam_max)}, reverse=True):
        sl, sm = math.sqrt(top), math.sqrt(lam_min)
        lr = floor_sig(4 / (sl + sm) ** 2, 2)
        mu = floor_below_one(((sl - sm) / (sl + sm)) ** 2, 2)
        out.append(_candidate(f"-o momentum --lr {lr:g} --momentum {mu:g}", "momentum", lr=lr, momentum=mu))
    out.append(_candidate("-o newton", "newton"))
    return out


def _flips(s, scale: float):
    """(s, sign flips, |Σs|/Σ|s|) when the projected steps s bounce (see the module docstring), else None.

    Projections under 1e-6·scale (scale: the longest recent step) are rounding noise and ignored."""
    import numpy as np

    big = np.abs(s) > 1e-6 * scale
    s = s[big]
    if len(s) < 3:
        return None
    flips = int(np.sum(s[:-1] * s[1:] < 0))
    frac = flips / (len(s) - 1)
    cancel = float(abs(np.sum(s)) / np.sum(np.abs(s)))  # 1: a steady walk; ≈ 0: steps undo each other
    if frac >= FLIP_FRACTION or (frac >= 0.25 and cancel <= 0.1):
        return s, flips, cancel
    return None


def _oscillation(result, w, v, compiled=None, setup=None) -> Diagnosis | None:
    """Sign flips of Δx_k·v over the last RECENT steps, v the top eigenvector, and lr > 1/λmax."""
    import numpy as np

    path = result.path
    ok = _finite_rows(path)
    xs = path.x[ok][-(RECENT + 1):]
    if len(xs) < 4 or not np.all(np.isfinite(w)):
        return None
    lam_max = float(w[-1])
    steps = np.diff(xs, axis=0)
    if not np.any(steps):
        return None
    lr = _lr_at_step(result, result.nit - 1)
    linear = _family(result) == "sgd"
    if linear and not (lam_max > 0 and lr > 1 / lam_max):
        return None
    dominant = np.linalg.svd(steps, full_matrices=False)[2][0]
    for top, label in ((np.asarray(v[-1], dtype=float), "the top curvature direction"),
                       (dominant, "the main direction of the recent steps")):
        found = _flips(steps @ top, float(np.max(np.linalg.norm(steps, axis=1))))
        if found is not None:
            break
    else:
        return None
    s, flips, cancel = found
    numbers = {"steps": int(result.nit), "flips": flips, "pairs": len(s) - 1, "cancellation": cancel, "lr": lr, "lambda_max": lam_max,
               "direction": [float(c) for c in top], "grad_norm": float(result.grad_norm)}
    bound = stable_bound(result.optimizer, result.hyper, lam_max) if linear else None
    if linear and lam_max > 0:
        numbers.update(half_stable_lr=1 / lam_max, stable_lr=bound)
        extra = ""
        step_factor = _step_factor(result)
        if step_factor is not None:
            factor = abs(step_factor(lr, lam_max))
            numbers["contraction"] = factor
            extra = f"; along it each step multiplies the error by −{fmt(factor, 3)}" if lr * lam_max > 1 else ""
            held = _bounce_held(path, ok, s, lr)
            if factor < 1 and held is not None:  # the linear model says it shrinks; the path says it does not
                amp, secant = held
                numbers.update(amplitude_ratio=amp, secant_curvature=secant, secant_edge=bound1_over(result, lr))
                extra = (f"; at x_end's H each step would multiply the error by −{fmt(factor, 3)}, but the bounce does "
                         f"not shrink (×{near_one(amp)} per step over the last {len(s) - 1} steps): the steps are too long "
                         f"for that quadratic model, and across them the curvature Δg·Δx/‖Δx‖² is {fmt(secant)}, against the "
                         f"stability bound {fmt(bound1_over(result, lr))} for lr = {fmt(lr)} (a period-2 cycle of the "
                         f"steps sits exactly where they are equal)")
        reason = (f"successive steps flip sign along {label} {_point(top)} in {flips} of the last "
                  f"{len(s) - 1} pairs: lr = {fmt(lr)} is above 1/λmax = {fmt(1 / lam_max)} (λmax = {fmt(lam_max)}), "
                  f"so each step overshoots the valley floor{extra}.")
        cands = [_with_lr(result, floor_sig(1 / lam_max))]
        under = _underdamped(result, lr, float(w[0]), lam_max)
        if under is not None:  # heavy ball with both ends of H's spectrum in the complex regime: μ decides, not lr
            mu = under
            numbers.update(momentum=mu, contraction=math.sqrt(mu))
            reason = (f"successive steps flip sign along {label} {_point(top)} in {flips} of the last {len(s) - 1} pairs: "
                      f"with momentum μ = {fmt(mu)} and lr·λ between {fmt(lr * float(w[0]), 3)} and {fmt(lr * lam_max, 3)} "
                      f"(inside ((1−√μ)², (1+√μ)²) = ({fmt((1 - math.sqrt(mu)) ** 2, 3)}, {fmt((1 + math.sqrt(mu)) ** 2, 3)})), "
                      f"every eigen-direction of H spirals: the error shrinks by only √μ = {near_one(math.sqrt(mu))} per step "
                      f"for any lr that keeps lr·λ in that range, so the momentum is underdamped (lr = {fmt(lr)} is stable: below 2(1+μ)/λmax = "
                      f"{fmt(2 * (1 + mu) / lam_max)}).")
            cands = _momentum_candidates(float(w[0]), lam_max, lam_max) + cands
        if w[0] > 0:
            cands.append(_with_lr(result, floor_sig(2 / (float(w[0]) + lam_max), 3)))
        suggestion = _try(result, compiled, setup, numbers, cands)
    else:
        spec = OPTIMIZERS.get(result.optimizer)
        length = (spec.step_length if spec is not None and spec.step_length
                  else f"steps stay about lr = {fmt(lr)} long")
        reason = (f"successive steps flip sign along {label} {_point(top)} in {flips} of the last "
                  f"{len(s) - 1} pairs and cancel out (net {fmt(cancel, 2)} of the distance walked): {result.optimizer}'s "
                  f"{length}, so it bounces across the minimum instead of settling "
                  f"(λmax = {fmt(lam_max)}).")
        ev = adaptive_evidence(result, compiled, _recent_rows(result)) if compiled is not None else None
        if ev is not None:
            return _adaptive_oscillation(result, compiled, setup, numbers, ev, label, top, flips, len(s) - 1, steps)
        if spec is not None and spec.step_hint:  # Rprop: its steps come from --etas/--step-sizes, not lr
            suggestion = _try(result, compiled, setup, numbers, _step_size_candidates(result), advice=spec.step_hint)
        else:
            suggestion = _try(result, compiled, setup, numbers, [_schedule(result, "cosine"), _with_lr(result, floor_sig(lr / 10))])
    return Diagnosis("oscillating", reason, suggestion, numbers)


def _two_cycle(result, compiled, setup) -> Diagnosis | None:
    """A gd-family run caught in a period-2 cycle: over the last RECENT steps x_{k+2} = x_k (to
    1e-9 of the step) while the steps stay long.  A cycle x_a ↔ x_b of gd has g_a = −g_b and
    x_b − x_a = −lr·g_a, so the curvature across it, Δg·Δx/‖Δx‖², is exactly the stability bound
    2/lr (2(1+μ)/lr with momentum); the minimum between the two points is unstable for this lr
    when λmax(H) there exceeds that bound — the run can never settle, whatever H at x_end says
    (10·log cosh x with lr = 0.3: H = 2.61 at the cycle's ±1.288, 10 at the minimum 0).  Smaller
    lrs under the bound at the midpoint are tried."""
    import numpy as np

    if _family(result) != "sgd" or result.schedule != "constant":
        return None
    path = result.path
    ok = _finite_rows(path)
    xs = path.x[ok][-(RECENT + 1):]
    if len(xs) < RECENT + 1 or len(path.x[ok]) < 2 * RECENT:
        return None
    dx = np.linalg.norm(np.diff(xs, axis=0), axis=1)
    back = np.linalg.norm(xs[2:] - xs[:-2], axis=1)
    scale = 1e-8 * (1 + float(np.max(np.abs(xs))))
    if not (np.all(dx > scale) and np.all(back <= 1e-9 * dx[:-1])):
        return None
    lr = _lr_at(result, result.nit - 1)
    edge = bound1_over(result, lr)
    held = _bounce_held(path, ok, np.ones(RECENT), lr)
    secant = held[1] if held is not None else math.nan
    mid = (xs[-1] + xs[-2]) / 2
    (w_mid, _), = _hess_eigen(compiled, mid[None, :])
    lam_mid = float(w_mid[-1])
    bound_mid = stable_bound(result.optimizer, result.hyper, lam_mid) if lam_mid > 0 else None
    numbers = {"steps": int(result.nit), "loss": float(result.fun), "lr": lr, "cycle": [[float(c) for c in xs[-2]],
               [float(c) for c in xs[-1]]], "secant_curvature": secant, "secant_edge": edge, "lambda_mid": lam_mid,
               "stable_lr_mid": bound_mid}
    loss = path.loss[ok]
    gap = float(np.max(back / dx[:-1]))
    same = "exactly" if gap == 0 else f"to {fmt(gap, 2)}× the step length"
    reason = (f"the steps are caught in a period-2 cycle between {_point(xs[-2])} and {_point(xs[-1])} (x_(k+2) = x_k {same} "
              f"over the last {RECENT} steps; f went from {fmt(loss[0])} to "
              f"{fmt(loss[-1])}): across the bounce the curvature Δg·Δx/‖Δx‖² is {fmt(secant)}, the stability bound "
              f"{fmt(edge)} for lr = {fmt(lr)} at which such a cycle exists")
    cands = []
    if bound_mid is not None:
        reason += (f", and between the two points λmax(H) = {fmt(lam_mid)} makes the step unstable unless lr < "
                   f"{fmt(bound_mid)}, so the run cannot settle there at this lr, however many steps it takes.")
        cands = [_with_lr(result, floor_sig(bound_mid / 2)), _with_lr(result, floor_sig(0.9 * bound_mid))]
    else:
        reason += ", so the run cannot settle at this lr, however many steps it takes."
        cands = [_with_lr(result, floor_sig(lr / 10))]
    return Diagnosis("oscillating", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _underdamped(result, lr: float, lam_min: float, lam_max: float) -> float | None:
    """μ when a heavy-ball run (momentum, no dampening) has lr·λ for every eigenvalue inside
    ((1−√μ)², (1+√μ)²): the roots of z² − (1+μ−lr·λ)z + μ are complex with |z| = √μ, so the error
    decays by √μ per step along every direction, rotating — lr cannot speed it up; else None."""
    if result.optimizer != "momentum" or not lam_min > 0:
        return None
    h = {**OPTIMIZERS["momentum"].defaults, **{k: v for k, v in result.hyper.items() if v is not None}}
    mu, damp = float(h.get("momentum") or 0.0), float(h.get("dampening") or 0.0)
    if not (0 < mu < 1) or damp != 0:
        return None
    lo, hi = (1 - math.sqrt(mu)) ** 2, (1 + math.sqrt(mu)) ** 2
    return mu if lo < lr * lam_min and lr * lam_max < hi else None


def bound1_over(result, lr: float) -> float:
    """The curvature λ* at which the run's lr sits on its stability bound (gd: 2/lr; momentum:
    2(1+μ)/lr), from stable_bound(λ) ∝ 1/λ."""
    b = stable_bound(result.optimizer, result.hyper, 1.0)
    return b / lr if b and lr > 0 else math.nan


def _bounce_held(path, ok, s, lr: float):
    """(per-step amplitude ratio, secant curvature) when the bounce along the flip direction
    does not shrink over the last steps — |s| averaged over the first and last pair, ratio ≥ 0.98
    per step — else None.  The secant curvature is the median of Δg·Δx/‖Δx‖² over those steps: a
    period-2 cycle of gd (x_a ↔ x_b, g_a = −g_b, x_b − x_a = −lr·g_a) has exactly 2/lr."""
    import numpy as np

    a = np.abs(np.asarray(s, dtype=float))
    if len(a) < 6 or not (a[0] + a[1]) > 0:
        return None
    amp = float(((a[-1] + a[-2]) / (a[0] + a[1])) ** (1 / (len(a) - 2)))
    if not amp >= 0.98:
        return None
    xs = path.x[ok][-(len(a) + 1):]
    gs = path.grad[ok][-(len(a) + 1):]
    dx, dg = np.diff(xs, axis=0), np.diff(gs, axis=0)
    den = np.sum(dx * dx, axis=1)
    good = den > 0
    if not good.any():
        return None
    return amp, float(np.median(np.sum(dx * dg, axis=1)[good] / den[good]))


def _adaptive_oscillation(result, compiled, setup, numbers, ev, label, top, flips, pairs, steps) -> Diagnosis:
    """Sign flips of an optimizer with an adaptive edge, explained by λmax(P⁻¹H) over the last
    steps (adaptive_evidence): above the edge, the flips are the frozen-P instability (each step
    multiplies the error by ρ > 1 along P⁻¹H's top eigenvector); below it they are not an
    instability: when the median step is 0.05–20 lr long, steps of about lr bouncing across a
    valley narrower than a step (the step length and the loss's recent per-step ratio are
    stated), otherwise a damped bounce (ρ < 1, the error alternating in sign); within
    ADAPTIVE_BAND of the edge the other reading is stated too (``alternatives``)."""
    import numpy as np

    lr = _lr_at_step(result, result.nit - 1)
    length = float(np.median(np.linalg.norm(steps, axis=1)))
    loss, ks = result.path.loss[_finite_rows(result.path)], result.path.k[_finite_rows(result.path)]
    m = min(RECENT, len(loss) - 1)
    loss_ratio = per_step(loss, ks, m)
    numbers = dict(numbers, **ev, step_length=length, step_over_lr=length / lr if lr > 0 else math.nan, loss_ratio=loss_ratio)
    flipped = f"successive steps flip sign along {label} {_point(top)} in {flips} of the last {pairs} pairs"
    sharp = (f"the preconditioned sharpness λmax(P⁻¹H) ({_p_text(result)}) is {fmt(ev['preconditioned_sharpness'])} over the "
             f"last steps, {near_one(ev['edge_ratio'])}× {result.optimizer}'s adaptive edge of stability {_edge_text(result)} = "
             f"{fmt(ev['adaptive_edge'])} for lr = {fmt(lr)} (Cohen et al. 2022)")
    rho = ev["adaptive_factor"]
    growth = ("with no growth" if loss_ratio <= 1 else
              "the loss still grew lately, a transient that this stable step damps out")
    bounce = (f"they are {result.optimizer}'s steps, each about lr long (median ‖Δx‖ = {fmt(length, 3)} = "
              f"{fmt(length / lr, 2)}·lr), bouncing across a valley narrower than a step, {growth} (the loss "
              f"changed ×{near_one(loss_ratio)} per step lately)")
    if ev["edge_side"] == "above":
        reason = (f"{flipped}: {sharp}; with P frozen each step multiplies the error along P⁻¹H's top eigenvector by "
                  f"−{near_one(rho)}, so the bouncing is the instability of the preconditioned step, held in check only as "
                  f"v̂ grows with the gradient.")
        safe = lr / ev["edge_ratio"]
        cands = [_with_lr(result, floor_sig(safe)), _with_lr(result, floor_sig(safe / 2)), _schedule(result, "cosine")]
    elif 0.05 <= length / lr <= 20 if lr > 0 else False:
        reason = (f"{flipped}, but they are not an instability: {sharp}, and with P frozen each step shrinks the error "
                  f"along P⁻¹H's top eigenvector by {near_one(rho)}; {bounce}.")
        cands = [_schedule(result, "cosine"), _with_lr(result, floor_sig(lr / 10))]
    else:  # steps far from lr long (ε dominates P, or the gradients are tiny): a damped bounce of the frozen-P step
        reason = (f"{flipped}, but they are not an instability: {sharp}, and with P frozen each step multiplies the "
                  f"error along P⁻¹H's top eigenvector by {near_one(rho)} in size, alternating in sign — a damped bounce "
                  f"that converges (the loss changed ×{near_one(loss_ratio)} per step lately).")
        cands = [_schedule(result, "cosine"), _with_lr(result, floor_sig(lr / 2))]
    if ev["edge_near"]:
        other = ("below it the flips would be steps of ≈ lr bouncing in a narrow valley" if ev["edge_side"] == "above"
                 else "above it the frozen-P step would grow the error: an instability held in check by v̂")
        why = (f"λmax(P⁻¹H) is within 10% of the edge (ratio {near_one(ev['edge_ratio'])}, between "
               f"{near_one(ev['edge_ratio_min'])} and {near_one(ev['edge_ratio_max'])} over the last steps): {other}")
        numbers["alternatives"] = [{"verdict": "oscillating", "reading": "unstable" if ev["edge_side"] == "below" else "stable bounce",
                                    "why": why}]
        reason += f" Another reading remains: {why}."
    if result.schedule != "constant":  # a schedule is already running: only the lr changes are tried
        cands = [c for c in cands if c is None or c.schedule is None]
    return Diagnosis("oscillating", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _still_falling(path) -> bool:
    """The loss over the second half of the path fell (the run was making progress when it stopped)."""
    import numpy as np

    loss, ks = path.loss[_finite_rows(path)], path.k[_finite_rows(path)]
    if len(loss) < 3:
        return False
    return bool(loss[-1] < loss[middle_row(ks)] and np.isfinite(loss[-1]))


def _slow(result, w, numbers, tol: float, compiled=None, setup=None) -> Diagnosis:
    """κ, the contraction per step, the observed rate, and the steps still needed."""
    import numpy as np

    lam_min, lam_max = float(w[0]), float(w[-1])
    kappa = lam_max / lam_min
    path = result.path
    g, ks = path.grad_norm[_finite_rows(path)], path.k[_finite_rows(path)]
    m = len(ks) - 1 - int(np.argmax(ks >= ks[-1] - 100)) if len(ks) else 0  # rows of the last 100 steps
    observed = per_step(g, ks, m)
    m = int(ks[-1] - ks[-1 - m]) if m > 0 else 0  # the steps it was observed over
    lr = _lr_at_step(result, result.nit - 1)
    numbers = dict(numbers, condition=kappa, lambda_min=lam_min, lambda_max=lam_max, lr=lr,
                   observed_contraction=observed, optimal_lr=2 / (lam_min + lam_max),
                   optimal_contraction=(kappa - 1) / (kappa + 1))
    parts = [f"after {result.nit} steps the run is closing in on a minimum (H's eigenvalues {fmt(lam_min)} … {fmt(lam_max)}, "
             f"condition number κ = {fmt(kappa)})"]
    step_factor = _step_factor(result)
    power = _power_law(result, compiled, lam_min) if compiled is not None else None
    if step_factor is not None:
        rho = max(abs(step_factor(lr, lam_min)), abs(step_factor(lr, lam_max)))
        numbers["contraction"] = rho
        best = ("" if power is not None else f" (the best constant lr, 2/(λmin+λmax) = {fmt(2 / (lam_min + lam_max))}, "
                f"gives (κ−1)/(κ+1) = {near_one((kappa - 1) / (kappa + 1))})")
        parts.append(f"with lr = {fmt(lr)} gradient descent multiplies the error by {near_one(rho)} per step{best}"
                     + (" at H of the end point" if power is not None else ""))
        rate = rho
    else:
        parts.append(f"the gradient norm is multiplied by {near_one(observed)} per step (observed over the last {m} steps)")
        rate = observed
    if power is not None:  # the frozen-H rate is not the run's: H flattens as the minimum nears
        p, k1, k3, lam_mid = power
        numbers.update(power_law_exponent=p, lambda_min_halfway=lam_mid)
        parts.append(f"but the gradient norm falls like k^−{fmt(p, 3)} (steps {k1} … {k3}), not geometrically, and H "
                     f"flattens toward the minimum (λmin {fmt(lam_mid)} halfway, {fmt(lam_min)} at the end): the minimum "
                     f"is flatter than quadratic and the rate keeps slowing")
        k_need = k3 * (result.grad_norm / max(tol, 1e-300)) ** (1 / p)
        if result.grad_norm > tol and math.isfinite(k_need):
            more = math.ceil(k_need - k3)
            numbers["steps_needed"] = more
            parts.append(f"at that power law about {more} more steps to reach ‖∇f‖ ≤ {fmt(tol)}")
    elif _decayed_lr(result) is not None:
        lr_max = _decayed_lr(result)
        numbers["lr_peak"] = lr_max
        parts.append(f"the {result.schedule} schedule had brought lr down to {fmt(lr)} from {fmt(lr_max)}, so that rate is the "
                     f"decayed lr's and says nothing about the steps still needed (a longer --steps stretches the schedule)")
    elif 0 < rate < 1 and result.grad_norm > 0:
        more = math.log(max(tol, 1e-300) / result.grad_norm) / math.log(rate)
        if more > 0:
            numbers["steps_needed"] = math.ceil(more)
            parts.append(f"about {math.ceil(more)} more steps to reach ‖∇f‖ ≤ {fmt(tol)}")
    reason = "; ".join(parts) + "."
    if compiled is None or setup is None:
        return Diagnosis("slow", reason, "", numbers)
    cands = []
    if kappa >= 10:
        lam_path = max(lam_max, _path_lambda_max(result, compiled))
        cands += _momentum_candidates(lam_min, lam_max, lam_path)
    if step_factor is not None and power is None:
        cands.append(_with_lr(result, round_sig(2 / (lam_min + lam_max), 3)))
        bound = _path_bound(result, compiled)
        if bound:
            cands.append(_with_lr(result, floor_sig(bound / 2)))
    more = numbers.get("steps_needed")
    if more and more <= 3 * max(result.nit, 1):  # a budget at most 4× the run's: the rest is said in the reason
        cands.append(_more_steps(result, result.nit + more))
    return Diagnosis("slow", reason, _try(result, compiled, setup, numbers, cands), numbers)


def _decayed_lr(result) -> float | None:
    """The peak lr along the path when the schedule ended the run below a tenth of it, else None:
    a rate measured at the end is then the decayed lr's, not the run's."""
    import numpy as np

    if result.schedule == "constant":
        return None
    lrs = result.path.lr[_finite_rows(result.path)]
    if not len(lrs):
        return None
    peak = float(np.max(lrs))
    return peak if peak > 0 and _lr_at(result, result.nit - 1) < 0.1 * peak else None


def _power_law(result, compiled, lam_min: float):
    """(p, k₁, k₃, λmin halfway) when ‖∇f‖ over the second half of the path falls like k^−p
    rather than geometrically and H flattens on the way (λmin(H) at the end ≤ 3/4 of λmin(H)
    at step k₁ = N/2; a valley that only bends, Rosenbrock's, keeps its λmin), else None.  With g₁, g₂, g₃ at steps k₁ = N/2, k₂ = 3N/4, k₃ = N, a geometric
    decay gives q = log(g₁/g₂)/log(g₂/g₃) = (k₂−k₁)/(k₃−k₂) = 1 and a power law gives
    q = log(k₂/k₁)/log(k₃/k₂) ≈ 1.41; q > 1.25 (with g falling steadily) reads as a power law,
    p = log(g₁/g₃)/log(k₃/k₁) — the sublinear approach to a degenerate minimum (x⁴: p = 3/2)."""
    import numpy as np

    path = result.path
    rows = np.nonzero(_finite_rows(path))[0]
    if len(rows) < 40:
        return None
    ks = path.k[rows].astype(float)
    g = path.grad_norm[rows]
    k3 = ks[-1]
    if not k3 >= 40:
        return None
    pick = [int(np.searchsorted(ks, k3 * f)) for f in (0.5, 0.75)] + [len(ks) - 1]
    (a, b, c), (g1, g2, g3) = ks[pick], g[pick]
    if not (a > 0 and g1 > g2 > g3 > 0):
        return None
    tail = g[pick[0]:]
    if np.mean(np.diff(tail) > 0) > 0.05:  # not a steady fall (a bounce or a plateau): no law to read
        return None
    q = math.log(g1 / g2) / math.log(g2 / g3)
    q_power = math.log(b / a) / math.log(c / b)
    q_geom = (b - a) / (c - b)
    if not q > (q_geom + q_power) / 2:
        return None
    (w_mid, _), = _hess_eigen(compiled, np.asarray(path.x[rows[pick[0]]], dtype=float)[None, :])
    lam_mid = float(w_mid[0])
    if not (lam_mid > 0 and lam_min <= 0.75 * lam_mid and _degenerate_ahead(compiled, result.x, lam_min)):
        return None
    return math.log(g1 / g3) / math.log(c / a), int(a), int(c), lam_mid


def _degenerate_ahead(compiled, x, lam_min: float, iterations: int = 20) -> bool:
    """Is the minimum the run heads for degenerate?  Newton's iterates from x (while H stays
    positive definite) converge to it; at a degenerate one λmin(H) there tends to 0 (x⁴: ×4/9
    per iterate), at a non-degenerate one it stays positive: degenerate when λmin at the last
    iterate is ≤ 1e-3·λmin(H(x))."""
    import numpy as np

    from .symptoms import _quiet

    def walk():
        y = np.asarray(x, dtype=float)
        for _ in range(iterations + 1):
            g = np.asarray(compiled.grad(y), dtype=float).reshape(-1)
            h = np.asarray(compiled.hess(y), dtype=float).reshape(len(y), len(y))
            if not (np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
                return False
            w = np.linalg.eigvalsh(h)
            if w[0] <= 1e-3 * lam_min:
                return True
            y = y - np.linalg.solve(h, g)
        return False

    try:
        return bool(_quiet(compiled, walk))
    except np.linalg.LinAlgError:
        return False


def _path_lambda_max(result, compiled) -> float:
    import numpy as np

    from .symptoms import sharpness

    _, lam = sharpness(result, compiled)
    lam = lam[np.isfinite(lam)]
    return float(lam.max()) if len(lam) else -math.inf


def _schedule(result, name: str):
    from .suggest import Candidate

    return Candidate(f"--schedule {name}", result.optimizer, dict(result.hyper), schedule=name)


def _more_steps(result, steps: int):
    from .suggest import Candidate

    return Candidate(f"--steps {int(steps)}", result.optimizer, dict(result.hyper), steps=int(steps))


def _kink(result, compiled):
    """The finite-difference check at x_end (one batched f evaluation), or None when f is smooth there."""
    from .analysis import fd_check

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        check = fd_check(compiled, result.x, result.jac)
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    return None if check.differentiable else check


def _kink_along_path(result, compiled, numbers, setup) -> Diagnosis | None:
    """A kink crossed again and again along the path (gdx.symptoms.path_kink): ‖∇f‖ cannot fall
    below tol there, so the run can only end by --steps."""
    from .symptoms import path_kink

    k = path_kink(result, compiled)
    if k is None:
        return None
    numbers = dict(numbers, differentiable=False, kink_variable=k.variable, kink_crossings=k.crossings,
                   kink_pairs=k.pairs, left_slope=k.left_slope, right_slope=k.right_slope, kink_between=[k.low, k.high])
    reason = (f"f is not differentiable along the path, at a kink the run keeps crossing: in {k.crossings} of the last {k.pairs} steps ∂f/∂{k.variable} jumped "
              f"between {fmt(k.left_slope, 3)} (below) and {fmt(k.right_slope, 3)} (above) across {k.variable} ≈ "
              f"{fmt(k.low, 5)} … {fmt(k.high, 5)}, far more than the curvature explains; next to a kink ‖∇f‖ (here "
              f"{fmt(result.grad_norm, 3)}) stays near the one-sided slopes and never falls below tol, so more steps "
              f"cannot end the run — judge it by its loss ({fmt(result.fun, 4)}).")
    cands = []
    if result.schedule == "constant":
        cands.append(_schedule(result, "cosine"))
    cands.append(_with_lr(result, floor_sig(_lr_at(result, 0) / 10)))
    return Diagnosis("max_steps", reason, _try(result, compiled, setup, numbers, cands), numbers)


#: How close to its bound the sharpness must stay to be "at the edge of stability" (fraction).
EDGE_BAND = 0.1


def _edge_of_stability(result, compiled, numbers) -> Diagnosis | None:
    """Edge of stability (Cohen et al. 2021) for an optimizer with a stability rule: over the
    second half of the path the sampled sharpness λmax(H(x_k)) stays within ±10% of the value
    λ* whose stable lr equals the run's lr (gd: λ* = 2/lr), the loss fell overall (end < the
    loss halfway) but not monotonically (it rose in at least 10% of the steps)."""
    import numpy as np

    from .symptoms import sharpness

    if _family(result) == "adaptive":
        return _adaptive_edge_of_stability(result, compiled, numbers)
    if _family(result) != "sgd":
        return None
    path = result.path
    loss, ks = path.loss[_finite_rows(path)], path.k[_finite_rows(path)]
    if len(loss) < 40:
        return None
    lr = _lr_at_step(result, result.nit - 1)
    bound1 = stable_bound(result.optimizer, result.hyper, 1.0)
    if not (bound1 and lr > 0):
        return None
    edge = bound1 / lr  # stable_lr(λ) = bound1/λ, so the lr is at its bound when λ = bound1/lr
    k, lam = sharpness(result, compiled)
    late = (k >= k[-1] / 2) & np.isfinite(lam)
    if late.sum() < 5:
        return None
    ratio = lam[late] / edge
    half = loss[middle_row(ks):]
    rises = float(np.mean(np.diff(half) > 0))
    if not (np.all(np.abs(ratio - 1) <= EDGE_BAND) and loss[-1] < half[0] and rises >= 0.1):
        return None
    numbers = dict(numbers, edge=edge, sharpness_late_min=float(lam[late].min()), sharpness_late_max=float(lam[late].max()),
                   rise_fraction=rises, lr=lr)
    reason = (f"edge of stability: over the second half of the run the sharpness λmax(H) stayed between "
              f"{fmt(lam[late].min())} and {fmt(lam[late].max())}, at the stability bound λ = {_spec(result).stability_text.replace('λmax', 'lr')} "
              f"= {fmt(edge)} for lr = {fmt(lr)}, while the loss kept falling ({fmt(half[0])} → {fmt(loss[-1])}) though not "
              f"monotonically (it rose in {fmt(100 * rises, 2)}% of those steps): gradient descent regulates its own "
              f"curvature there (Cohen et al. 2021); this is neither divergence nor a plain oscillation.")
    return Diagnosis("edge_of_stability", reason, "", numbers)


def _adaptive_edge_of_stability(result, compiled, numbers) -> Diagnosis | None:
    """The adaptive edge of stability (Cohen et al. 2022) for an optimizer with a preconditioner
    (Adam, AdamW, Adamax, RMSprop, Adagrad): over the second half of the path the preconditioned
    sharpness λmax(P⁻¹H), sampled at the rows gdx.symptoms.sample_rows picks, stays within
    ±ADAPTIVE_BAND of the adaptive edge at each row's lr (Adam: (2+2β₁)/(η(1−β₁))), while the loss
    fell overall (end < the loss halfway) but not monotonically (it rose in at least 10% of those
    steps).  The optimizer regulates P⁻¹H there: when it crosses the edge the bounce grows the
    gradient, v̂ grows with it and P⁻¹H falls back; below the edge the bounce dies, v̂ decays and
    P⁻¹H rises again.  That regulation needs a P the gradients build: when ε makes up most of P
    along P⁻¹H's top eigenvector (gdx.symptoms.gradient_share < ½), P is a fixed rescaling of lr and
    a ratio just under 1 is a damped bounce, not the edge."""
    import numpy as np

    from .symptoms import adaptive_edge, gradient_share, preconditioned_sharpness, sample_rows

    path = result.path
    ok = _finite_rows(path)
    loss = path.loss[ok]
    if len(loss) < 40:
        return None
    rows = np.nonzero(ok)[0]
    rows = rows[sample_rows(len(rows))]
    lam = preconditioned_sharpness(result, compiled, rows)
    if lam is None:
        return None
    edges = np.array([adaptive_edge(result, int(k)) or np.nan for k in rows], dtype=float)
    steps = path.k[rows]
    late = steps >= steps[-1] / 2
    ratio = lam[late] / edges[late]
    if late.sum() < 5 or not np.all(np.isfinite(ratio)):
        return None
    half = loss[len(loss) // 2:]
    rises = float(np.mean(np.diff(half) > 0))
    if not (np.all(np.abs(ratio - 1) <= ADAPTIVE_BAND) and loss[-1] < half[0] and rises >= 0.1):
        return None
    share = gradient_share(result, compiled, rows[late])
    if share is None or not np.nanmedian(share) >= 0.5:  # P is mostly ε: a fixed rescaling that regulates nothing
        return None
    lr = _lr_at(result, result.nit - 1)
    edge = float(edges[late][-1])
    numbers = dict(numbers, lr=lr, adaptive_edge=edge, edge_ratio_min=float(ratio.min()), edge_ratio_max=float(ratio.max()),
                   preconditioned_sharpness_late_min=float(lam[late].min()),
                   preconditioned_sharpness_late_max=float(lam[late].max()), rise_fraction=rises,
                   gradient_share=float(np.nanmedian(share)),
                   preconditioned_sharpness_steps=[int(c) for c in steps],
                   preconditioned_sharpness_samples=[float(c) for c in lam])
    reason = (f"adaptive edge of stability: over the second half of the run the preconditioned sharpness λmax(P⁻¹H) "
              f"({_p_text(result)}, rebuilt from the gradients) stayed between {fmt(lam[late].min())} and "
              f"{fmt(lam[late].max())}, {near_one(float(ratio.min()))}–{near_one(float(ratio.max()))}× "
              f"{result.optimizer}'s adaptive edge of stability {_edge_text(result)} = {fmt(edge)} for lr = {fmt(lr)}, while "
              f"the loss kept falling ({fmt(half[0])} → {fmt(loss[-1])}) though not monotonically (it rose in "
              f"{fmt(100 * rises, 2)}% of those steps): {result.optimizer} regulates its own preconditioned curvature "
              f"there — as λmax(P⁻¹H) reaches the edge the bounce grows the gradient, v̂ grows with it and λmax(P⁻¹H) falls back "
              f"(Cohen et al. 2022); this is neither divergence nor a plain oscillation.")
    return Diagnosis("edge_of_stability", reason, "", numbers)


def _max_steps(result, numbers, compiled, setup=None, *, every_step: bool = False) -> Diagnosis:
    """Ran out of steps.  With ``--tol 0`` (every_step) that was asked for: report, suggest nothing."""
    kink = _kink(result, compiled)
    if kink is not None:
        numbers = dict(numbers, differentiable=False)
        detail = kink.note.split(" — ", 1)[-1]
        reason = (f"stopped after {result.nit} steps at {_point(result.x)} (f = {fmt(result.fun)}), where f is not "
                  f"differentiable ({detail}); next to a kink ‖∇f‖ (here {fmt(result.grad_norm, 3)}) cannot fall below "
                  f"tol, so the run could only end by --steps.")
        cands = [_schedule(result, "cosine")] if result.schedule == "constant" else []
        advice = f"judge the run by its loss ({fmt(result.fun, 3)}), not by ‖∇f‖"
        return Diagnosis("max_steps", reason, _try(result, compiled, setup, numbers, cands, advice=advice), numbers)
    path = result.path
    loss = path.loss[_finite_rows(path)]
    start = float(loss[0]) if len(loss) else math.nan
    reason = (f"stopped after {result.nit} steps with ‖∇f‖ = {fmt(result.grad_norm, 3)} (not yet ≤ tol); "
              f"the loss went from {fmt(start)} to {fmt(result.fun)} and H at the end is {SHAPE.get(numbers.get('kind'), 'unknown')}.")
    numbers = dict(numbers, start_loss=start)
    lams = numbers.get("eigenvalues") or []
    if lams and lams[0] < 0 and len(loss) > 1 and loss[-1] < loss[0]:
        reason = reason[:-1] + f"; the loss is still falling along a direction of negative curvature (λmin = {fmt(lams[0])}), so there may be no minimum that way."
    more = numbers.get("steps_needed")
    if more:
        reason = reason[:-1] + f"; at its current rate it needs about {more} more steps."
    if every_step:
        reason = reason.replace(" (not yet ≤ tol)", " (--tol 0: every step was run, as asked)")
        return Diagnosis("max_steps", reason, "", numbers)
    target = result.nit + more if more else 2 * result.nit
    return Diagnosis("max_steps", reason, _try(result, compiled, setup, numbers, [_more_steps(result, max(1, target))]), numbers)
