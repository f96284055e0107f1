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

#: Verdicts, in the order they are tested.
VERDICTS = ("diverged", "plateau", "saddle", "converged", "oscillating", "slow", "max_steps")
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


def _lr_at(result, k: int) -> float:
    path = result.path
    if len(path) == 0:
        return float(result.hyper.get("lr", math.nan))
    return float(path.lr[min(max(k, 0), len(path) - 1)])


def _point(x) -> str:
    return "(" + ", ".join(fmt(v) for v in x) + ")"


# -- the verdicts ------------------------------------------------------------------------------
def diagnose(result, compiled, preset=None, *, tol: float | None = None) -> Diagnosis:
    """The verdict on a finished run (see the module docstring for every rule).

    ``tol`` is the run's gradient-norm tolerance (used to estimate the steps still needed;
    default 1e-6).
    """
    import numpy as np

    from .result import Status

    path = result.path
    if result.status in (Status.DIVERGED, Status.FAULT):
        return _diverged(result, compiled)
    if len(path) == 0 or not np.all(np.isfinite(result.x)):
        return Diagnosis("max_steps", "the run made no step to judge", "", {"steps": int(result.nit)})

    x_end = np.asarray(result.x, dtype=float)
    (w, v), = _hess_eigen(compiled, x_end[None, :])
    from .analysis import classify

    kind = classify(w)
    lam_max, lam_min = float(w[-1]), float(w[0])
    numbers = {"steps": int(result.nit), "loss": float(result.fun), "grad_norm": float(result.grad_norm),
               "eigenvalues": [float(c) for c in w], "kind": kind}
    if not np.all(np.isfinite(w)):
        numbers.pop("eigenvalues")

    flat = _plateau(result, compiled, preset, w)
    if flat is not None:
        return flat
    converged = result.status is Status.CONVERGED
    gmax = float(np.nanmax(path.grad_norm[_finite_rows(path)])) if len(path) else math.nan
    if kind == "saddle" and (converged or (result.grad_norm <= 1e-2 * gmax and _near_critical(result, compiled))):
        return _saddle(result, w, v, numbers, converged)
    if converged:
        return _converged(result, compiled, preset, w, v, kind, numbers)
    osc = _oscillation(result, w, v)
    if osc is not None:
        return osc
    if kind == "minimum" and _still_falling(path):
        slow = _slow(result, w, numbers, 1e-6 if tol is None or tol <= 0 else float(tol))
        rate = slow.numbers.get("contraction", slow.numbers.get("observed_contraction", math.nan))
        if rate < 1 and (slow.numbers["condition"] >= 10 or rate >= 0.99):
            return slow
        numbers = dict(numbers, steps_needed=slow.numbers.get("steps_needed"))
    return _max_steps(result, numbers, compiled, every_step=tol is not None and tol <= 0)


def _diverged(result, compiled) -> Diagnosis:
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
        numbers.update(first_rise=k, x=[float(c) for c in path.x[k]], lr=lr, lambda_max=lam_max,
                       stable_lr=bound if bound is not None else gd_bound,
                       direction=[float(c) for c in v[-1]])
        where = f"the loss first rose at step {k} (f = {fmt(loss[k])} → {fmt(loss[k + 1])}) at x = {_point(path.x[k])}"
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
                return Diagnosis("diverged", reason, f"try --lr ≤ {floor_sig(bound)}", numbers)
            reason = (f"{where}; there λmax = {fmt(lam_max)} and lr = {fmt(lr)} is below {rule} = {fmt(bound)}, "
                      f"so the step was stable where it was taken: the curvature grew along the way (λmin = {fmt(w[0])}).")
            return Diagnosis("diverged", reason, f"try --lr ≤ {floor_sig(bound / 2)} or --clip-norm 1", numbers)
        if gd_bound is not None:
            reason = (f"{where}; there λmax = {fmt(lam_max)} (plain gradient descent would need lr < 2/λmax = {fmt(gd_bound)}); "
                      f"{result.optimizer} took steps with lr = {fmt(lr)}.")
            return Diagnosis("diverged", reason, f"try --lr {floor_sig(min(lr / 10, gd_bound))} or --clip-norm 1", numbers)
        reason = f"{where}; H there has no positive curvature (λmax = {fmt(lam_max)}): f falls away in every direction."
        return Diagnosis("diverged", reason, "start elsewhere (--start), nearer a minimum", numbers)
    # no rise: the loss fell until it broke
    k = n_ok - 1
    (w, v), = _hess_eigen(compiled, path.x[k][None, :])
    numbers.update(last_finite=k, loss=float(loss[k]), lambda_min=float(w[0]), lr=_lr_at(result, k))
    if result.status.value == "diverged" and (result.cause and "unbounded below" in result.cause or (w[0] < 0 and loss[k] < loss[0])):
        reason = (f"the loss fell without bound (to {fmt(loss[k])} by step {k}) along a direction of negative "
                  f"curvature (λmin = {fmt(w[0])}): f has no minimum that way.")
        return Diagnosis("diverged", reason, "start elsewhere (--start) or add a term that bounds f below", numbers)
    reason = f"step {k + 1} left f's domain or overflowed ({result.cause}) while the loss was still falling (lr = {fmt(_lr_at(result, k))})."
    return Diagnosis("diverged", reason, f"try --lr {floor_sig(lr0 / 10)} or --clip-norm 1", numbers)


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


def _plateau(result, compiled, preset, w) -> Diagnosis | None:
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
    if model > 0.1 * gap:
        return None
    numbers = {"steps": int(result.nit), "loss": f_end, "grad_norm": float(result.grad_norm), "best_value": f_best,
               "best_at": [float(c) for c in at_best], "gap": gap, "distance": d, "max_abs_eigenvalue": lam,
               "model_change": model}
    stop = "converged (‖∇f‖ ≤ tol)" if result.status.value == "converged" else f"was still crawling after {result.nit} steps"
    reason = (f"the run {stop} at f = {fmt(f_end)} with ‖∇f‖ = {fmt(result.grad_norm, 3)}, but f = {fmt(f_best)} at "
              f"{_point(at_best)} ({source}), {fmt(d, 3)} away: the slope and curvature here (max|λ| = {fmt(lam, 3)}) "
              f"account for a change of only {fmt(model, 3)} over that distance, against a gap of {fmt(gap, 3)}.")
    if _family(result) == "adaptive":
        hint = f"start nearer the minimum: --start \"{','.join(fmt(c, 3) for c in at_best)}\""
    else:
        hint = "try adam (its step size does not shrink with the gradient): -o adam"
    return Diagnosis("plateau", reason, hint, numbers)


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


def _saddle(result, w, v, numbers, converged) -> Diagnosis:
    lam_min = float(w[0])
    escape = [float(c) for c in v[0]]
    numbers = dict(numbers, lambda_min=lam_min, escape_direction=escape)
    how = "converged to" if converged else "stalled near"
    reason = (f"the run {how} a saddle point at {_point(result.x)} (f = {fmt(result.fun)}): H has eigenvalues "
              f"{', '.join(fmt(c) for c in w)}, so f still falls along {_point(escape)} (λ = {fmt(lam_min)}); "
              f"the gradient there is ≈ 0, so gradient steps cannot see the way down.")
    step = [fmt(c + 0.01 * e, 3) for c, e in zip(result.x, escape)]
    return Diagnosis("saddle", reason, f"start off the saddle, e.g. --start \"{','.join(step)}\", or try -o momentum", numbers)


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


def _converged(result, compiled, preset, w, v, kind, numbers) -> Diagnosis:
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
                suggestion = f"try another --start, in the global minimum's basin around {_point(g.at)}, or -o momentum, which can roll past a shallow minimum"
        if not suggestion and not is_global and _constant_curvature(result, compiled, w):
            suggestion = _faster(result, w, numbers)
        return Diagnosis("converged", reason, suggestion, numbers)
    if kind == "maximum":
        reason = f"converged in {steps} steps to a local maximum at {_point(result.x)} (f = {fmt(result.fun)}; H's eigenvalues {eig}): the gradient is 0 there, so steps cannot leave it."
        step = [fmt(c + 0.01, 3) for c in result.x]
        return Diagnosis("converged", reason, f"start off the maximum, e.g. --start \"{','.join(step)}\"", numbers)
    reason = (f"converged in {steps} steps to a degenerate critical point at {_point(result.x)} (f = {fmt(result.fun)}; "
              f"H's eigenvalues {eig}): the second-derivative test cannot tell its kind.")
    return Diagnosis("converged", reason, "", numbers)


def _constant_curvature(result, compiled, w) -> bool:
    """H at the start equals H at the end (to 1e-6): the quadratic model holds along the whole path."""
    import numpy as np

    (w0, _), = _hess_eigen(compiled, np.asarray(result.path.x[0], dtype=float)[None, :])
    return bool(np.all(np.isfinite(w0)) and np.allclose(w0, w, rtol=1e-6, atol=1e-12))


def _faster(result, w, numbers) -> str:
    """For a gd run that converged: the rate a better lr or momentum would give, when it is much better."""
    step_factor = _step_factor(result)
    if step_factor is None or not (w[0] > 0) or result.nit < 50:
        return ""
    lam_min, lam_max = float(w[0]), float(w[-1])
    lr = _lr_at(result, result.nit - 1)
    rho = max(abs(step_factor(lr, lam_min)), abs(step_factor(lr, lam_max)))
    kappa = lam_max / lam_min
    best = (kappa - 1) / (kappa + 1)
    numbers.update(lr=lr, contraction=rho, condition=kappa, optimal_lr=2 / (lam_min + lam_max), optimal_contraction=best)
    if kappa >= 10:
        return _momentum_hint(lam_min, lam_max)
    if rho > 0 and best < rho ** 2:  # at least twice as fast in steps
        return f"try --lr {round_sig(2 / (lam_min + lam_max), 3)} (2/(λmin+λmax): contraction {fmt(best, 3)} per step instead of {fmt(rho, 3)})"
    return ""


def _momentum_hint(lam_min: float, lam_max: float) -> str:
    """Polyak's tuning of heavy-ball momentum for a quadratic: lr = 4/(√L+√m)², μ = ((√κ−1)/(√κ+1))²."""
    sl, sm = math.sqrt(lam_max), math.sqrt(lam_min)
    lr = 4 / (sl + sm) ** 2
    rate = (sl - sm) / (sl + sm)
    return f"try momentum: -o momentum --lr {floor_sig(lr, 2)} --momentum {round_sig(rate * rate, 2)} (≈ {fmt(rate, 2)} contraction per step), or -o newton"


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


def _oscillation(result, w, v) -> Diagnosis | None:
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
    lr = _lr_at(result, result.nit - 1)
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
        reason = (f"successive steps flip sign along {label} {_point(top)} in {flips} of the last "
                  f"{len(s) - 1} pairs: lr = {fmt(lr)} is above 1/λmax = {fmt(1 / lam_max)} (λmax = {fmt(lam_max)}), "
                  f"so each step overshoots the valley floor{extra}.")
        suggestion = f"try --lr ≤ {floor_sig(1 / lam_max)}"
    else:
        spec = OPTIMIZERS.get(result.optimizer)
        length = (spec.step_length if spec is not None and spec.step_length
                  else f"steps stay about lr = {fmt(lr)} long")
        reason = (f"successive steps flip sign along {label} {_point(top)} in {flips} of the last "
                  f"{len(s) - 1} pairs and cancel out (net {fmt(cancel, 2)} of the distance walked): {result.optimizer}'s "
                  f"{length}, so it bounces across the minimum instead of settling "
                  f"(λmax = {fmt(lam_max)}).")
        suggestion = (spec.step_hint if spec is not None and spec.step_hint
                      else "try a decaying schedule (--schedule cosine) or a smaller --lr")
    return Diagnosis("oscillating", reason, suggestion, numbers)


def _still_falling(path) -> bool:
    """The loss over the second half of the path fell (the run was making progress when it stopped)."""
    import numpy as np

    loss = path.loss[_finite_rows(path)]
    if len(loss) < 3:
        return False
    return bool(loss[-1] < loss[len(loss) // 2] and np.isfinite(loss[-1]))


def _slow(result, w, numbers, tol: float) -> Diagnosis:
    """κ, the contraction per step, the observed rate, and the steps still needed."""
    import numpy as np

    lam_min, lam_max = float(w[0]), float(w[-1])
    kappa = lam_max / lam_min
    path = result.path
    g = path.grad_norm[_finite_rows(path)]
    m = min(len(g) - 1, 100)
    observed = float((g[-1] / g[-1 - m]) ** (1 / m)) if m > 0 and g[-1 - m] > 0 and g[-1] > 0 else math.nan
    lr = _lr_at(result, result.nit - 1)
    numbers = dict(numbers, condition=kappa, lambda_min=lam_min, lambda_max=lam_max, lr=lr,
                   observed_contraction=observed, optimal_lr=2 / (lam_min + lam_max),
                   optimal_contraction=(kappa - 1) / (kappa + 1))
    parts = [f"after {result.nit} steps the run is closing in on a minimum (H's eigenvalues {fmt(lam_min)} … {fmt(lam_max)}, "
             f"condition number κ = {fmt(kappa)})"]
    step_factor = _step_factor(result)
    if step_factor is not None:
        rho = max(abs(step_factor(lr, lam_min)), abs(step_factor(lr, lam_max)))
        numbers["contraction"] = rho
        parts.append(f"with lr = {fmt(lr)} gradient descent shrinks the error by only {fmt(rho, 4)} per step "
                     f"(the best constant lr, 2/(λmin+λmax) = {fmt(2 / (lam_min + lam_max))}, gives (κ−1)/(κ+1) = {fmt((kappa - 1) / (kappa + 1), 4)})")
        rate = rho
    else:
        parts.append(f"the gradient norm shrinks by {fmt(observed, 4)} per step")
        rate = observed
    if 0 < rate < 1 and result.grad_norm > 0:
        more = math.log(max(tol, 1e-300) / result.grad_norm) / math.log(rate)
        if more > 0:
            numbers["steps_needed"] = math.ceil(more)
            parts.append(f"about {math.ceil(more)} more steps to reach ‖∇f‖ ≤ {fmt(tol)}")
    reason = "; ".join(parts) + "."
    if kappa >= 10:
        suggestion = _momentum_hint(lam_min, lam_max)
    elif step_factor is not None:
        suggestion = f"try --lr {round_sig(2 / (lam_min + lam_max), 3)}"
    else:
        suggestion = f"try --steps {max(2 * result.nit, numbers.get('steps_needed', 0) + result.nit)}"
    return Diagnosis("slow", reason, suggestion, numbers)


def _kink(result, compiled):
    """The finite-difference check at x_end (one batched f evaluation), or None when f is smooth there."""
    from .analysis import fd_check

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        check = fd_check(compiled, result.x, result.jac)
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    return None if check.differentiable else check


def _max_steps(result, numbers, compiled, *, every_step: bool = False) -> Diagnosis:
    """Ran out of steps.  With ``--tol 0`` (every_step) that was asked for: report, suggest nothing."""
    kink = _kink(result, compiled)
    if kink is not None:
        numbers = dict(numbers, differentiable=False)
        detail = kink.note.split(" — ", 1)[-1]
        reason = (f"stopped after {result.nit} steps at {_point(result.x)} (f = {fmt(result.fun)}), where f is not "
                  f"differentiable ({detail}); next to a kink ‖∇f‖ (here {fmt(result.grad_norm, 3)}) cannot fall below "
                  f"tol, so the run could only end by --steps.")
        if result.schedule == "constant":
            suggestion = "use a decaying schedule (--schedule cosine) to settle closer, and judge the run by its loss"
        else:
            suggestion = f"judge the run by its loss ({fmt(result.fun, 3)}), not by ‖∇f‖"
        return Diagnosis("max_steps", reason, suggestion, numbers)
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
    return Diagnosis("max_steps", reason, f"try --steps {max(1, target)}", numbers)
