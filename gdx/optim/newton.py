"""Damped Newton's method with a saddle-free fix (no torch equivalent).

For update t = 1, 2, …::

    g ← ∇f(x),  H ← ∇²f(x) = QΛQᵀ                       (symmetric eigen-decomposition)
    δ ← 1e-8 · max(1, max|λᵢ|)
    d ← Q · diag(1 / max(|λᵢ|, δ)) · Qᵀ · g
    x ← x − lr·d

When H is positive definite (every λᵢ ≥ δ) d is the Newton direction, the solution of H·d = g,
and lr = 1 lands on the minimum of a quadratic in one step.  When H is not positive definite
(a saddle, a maximum, a flat direction) each eigenvalue is replaced by max(|λᵢ|, δ): this is the
"saddle-free Newton" step, which is always a descent direction (gᵀd > 0 unless g = 0), instead
of the plain Newton step that would walk *towards* a saddle or maximum.

If H has non-finite entries, or its largest |eigenvalue| is below 1e-12 (H ≈ 0: a plateau, or a
function that is linear there), no step can be computed and
:class:`gdx.errors.NumericalFault` ``"singular Hessian (…)"`` is raised.  Batched ``x`` of
shape ``(B, n)`` uses one ``eigh`` on the ``(B, n, n)`` stack; the fault is raised if any row
is singular.
"""

from __future__ import annotations

from ..errors import NumericalFault
from .base import EmptyState
from .hyper import HYPERPARAMETERS

SINGULAR = 1e-12  # below this largest |eigenvalue| the Hessian counts as zero
RELATIVE_FLOOR = 1e-8  # δ = RELATIVE_FLOOR · max(1, max|λ|)


def newton_direction(g, h):
    """d with H·d = g, eigenvalues of H replaced by max(|λ|, δ); batched over leading axes."""
    import numpy as np

    g = np.asarray(g, dtype=float)
    h = np.asarray(h, dtype=float)
    if not np.all(np.isfinite(h)):
        raise NumericalFault("singular Hessian (non-finite entries)")
    h = (h + np.swapaxes(h, -1, -2)) / 2  # symmetric up to rounding already; make it exact
    lam, q = np.linalg.eigh(h)
    top = np.max(np.abs(lam), axis=-1, keepdims=True)
    if np.any(top < SINGULAR):
        worst = float(np.min(top))
        raise NumericalFault(f"singular Hessian (largest |eigenvalue| {worst:.3g} < {SINGULAR:g})")
    floor = RELATIVE_FLOOR * np.maximum(1.0, top)
    lam = np.maximum(np.abs(lam), floor)
    qtg = np.einsum("...ji,...j->...i", q, g)  # Qᵀg
    return np.einsum("...ij,...j->...i", q, qtg / lam)


def newton(*, lr):
    HYPERPARAMETERS["lr"].check(lr)

    def init(x):
        return EmptyState()

    def update(g, state, x, lr, t, oracle):
        d = newton_direction(g, oracle.hess(x))
        return x + (-lr) * d, state

    return init, update
