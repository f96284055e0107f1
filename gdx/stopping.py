"""The stopping and fault rules of a run: one set, used by the single-run loop (:mod:`gdx.loop`)
and the batched engine (:mod:`gdx.batch`) alike.

At each point x_k (k = 0 is the start) of a run whose start loss is f₀:

1. **broken** (:func:`broken_cause`): x_k, f(x_k) or ‖∇f(x_k)‖ is not finite, or the loss
   left the band |f − f₀| ≤ EXPLOSION·(1 + |f₀|).  The status is ``fault`` when f or ∇f is not
   a number at a finite x (outside the domain, 0/0) and ``diverged`` otherwise
   (:func:`status_of_cause`); the run's ``fault_step`` is k.
2. **converged**: ‖∇f(x_k)‖ ≤ tol (tol = 0 never stops early).
3. **max_steps**: k = steps.
4. (single runs only) **stopped**: the callback returned True.

Otherwise update k+1 is made; if it raises one of :func:`update_faults` (a singular Hessian, a
floating-point error), the run ends with ``fault`` at ``fault_step`` k+1 and its path ends at x_k.

What a run reports at its end (:class:`gdx.result.Result` and :class:`gdx.batch.BatchResult`
agree): ``x``/``fun``/``grad_norm`` are those of the **last point of the path at which x, f and
‖∇f‖ are all finite** (NaN when there is none); ``nit`` is the last k of the path;
``fault_step`` is ``None`` when the run did not break.
"""

from __future__ import annotations

import math

from .result import Status

#: |f(x_k) − f(x_0)| above this many times (1 + |f(x_0)|) counts as divergence.
EXPLOSION = 1e10


def broken_cause(x, f: float, gn: float, f0: float) -> str | None:
    """Why the point x_k ends the run (rule 1), or None."""
    if math.isfinite(f) and math.isfinite(gn) and math.isfinite(float(x.sum())) and abs(f - f0) <= EXPLOSION * (1 + abs(f0)):
        return None  # the common case, checked in one pass (a NaN or ±inf in x makes the sum non-finite)
    if math.isnan(f) or math.isnan(gn):
        if not all(math.isfinite(v) for v in x):
            return "x overflowed to a non-finite value"
        what = "f" if math.isnan(f) else "the gradient"
        return f"not a number: {what} is undefined at this point (outside the function's domain, or 0/0)"
    if not all(math.isfinite(v) for v in x):
        return "x overflowed to a non-finite value"
    if math.isinf(f):
        return f"the loss overflowed to {'+' if f > 0 else '-'}inf"
    if math.isinf(gn):
        return "the gradient norm ‖∇f‖ overflowed to inf (a component of ∇f is ±inf, or ‖∇f‖ exceeds the largest float)"
    if abs(f - f0) > EXPLOSION * (1 + abs(f0)):
        return "the loss exploded (|f − f₀| > 1e10·(1 + |f₀|))" if f > f0 else "the loss is unbounded below"
    return None


def status_of_cause(cause: str) -> Status:
    """A NaN (undefined f or ∇f) is a fault; overflow and explosion are divergence."""
    return Status.FAULT if cause.startswith("not a number") else Status.DIVERGED


def point_verdict(x, f: float, gn: float, f0: float, tol: float) -> tuple[Status, str | None] | None:
    """Rules 1 and 2 at one point: ``(status, cause)`` when the run ends here, else None."""
    cause = broken_cause(x, f, gn, f0)
    if cause:
        return status_of_cause(cause), cause
    if gn <= tol:
        return Status.CONVERGED, None
    return None


def may_stop(x, f, gn, f0, tol):
    """Rows (bool (B,)) at which :func:`point_verdict` may end a run: anything non-finite, a loss
    outside its band, or ‖∇f‖ ≤ tol.  A vectorized pre-filter of rules 1–2; the verdict of each
    flagged row comes from ``point_verdict`` itself."""
    import numpy as np

    return (
        ~np.isfinite(f)
        | ~np.isfinite(gn)
        | ~np.all(np.isfinite(x), axis=-1)
        | (np.abs(f - f0) > EXPLOSION * (1 + np.abs(f0)))
        | (gn <= tol)
    )


def update_faults() -> tuple[type, ...]:
    """The exceptions an update may raise that end the run with ``fault`` (not a bug)."""
    import numpy as np

    from .errors import NumericalFault

    return (NumericalFault, FloatingPointError, np.linalg.LinAlgError)


def fault_cause(exc: BaseException) -> str:
    """The cause recorded for an update that raised one of :func:`update_faults`."""
    return getattr(exc, "cause", None) or str(exc)


def is_finite_point(x, f: float, gn: float) -> bool:
    """Can this point be reported as the run's x/fun/grad_norm (everything finite)?"""
    return math.isfinite(f) and math.isfinite(gn) and all(math.isfinite(v) for v in x)
