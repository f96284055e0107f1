"""BFGS and nonlinear CG as ``scipy.optimize.minimize(method="BFGS")`` / ``(method="CG")`` walk.

One gdx update is one scipy iteration, with scipy's line search (``_line_search_wolfe12``:
MINPACK's Moré–Thuente ``line_search_wolfe1``, falling back to ``line_search_wolfe2``; vendored
in :mod:`gdx.optim.scipy_linesearch`).  The update evaluates f and ∇f itself through the
``oracle`` (the :class:`gdx.compile.Compiled`) and is given f(x_k) by the loop (``loss``).

BFGS (scipy's ``_minimize_bfgs``), H₀ = I, f₋₁ = f(x₀) + ‖∇f(x₀)‖₂/2 (initial step guess ≈ 1)::

    p ← −H·g
    α, f₊, g₊ ← line_search_wolfe12(x, p, g, f, f₋₁; c1 = 1e-4, c2 = 0.9, amin 1e-100, amax 1e100)
    s ← α·p,  x ← x + s,  y ← g₊ − g,  f₋₁ ← f
    ρ ← 1/(yᵀs)  (1000 when yᵀs = 0)
    H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ

CG (scipy's ``_minimize_cg``, Polak–Ribière+), p₀ = −∇f(x₀), f₋₁ as above::

    δ ← gᵀg
    α ← line_search_wolfe12(x, p, g, f, f₋₁; c1 = 1e-4, c2 = 0.4), accepting a step only when
        ‖g₊‖∞ ≤ gtol or p₊ᵀg₊ ≤ −0.01·g₊ᵀg₊  (sufficient descent, scipy's extra_condition)
    x ← x + α·p,  β ← max(0, (g₊ − g)ᵀg₊ / δ),  p ← −g₊ + β·p

What differs from scipy, and why: scipy stops when ‖∇f‖∞ ≤ gtol (1e-5) or, for BFGS, when
α·‖p‖ ≤ xrtol·(xrtol + ‖x‖) (xrtol = 0: a zero step); gdx stops on its own rule (‖∇f‖₂ ≤ tol,
:mod:`gdx.stopping`).  In CG's descent test gdx uses scipy's default gtol 1e-5 (scipy uses the
gtol it was given).  A line search that finds no step ends scipy's run with "precision loss"
(warnflag 2); in gdx it raises :class:`gdx.errors.NumericalFault` ``"line search failed"``.
Until one of the runs stops, the iterates are scipy's (tested to ≤ 1e-10 against recorded
scipy paths).  scipy counts f and ∇f separately with a cache; gdx counts every
``value_and_grad`` call, so the evaluation counts differ.

Batched x (m, n) runs the line search row by row (each row is one scipy run).
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import NumericalFault
from .hyper import HYPERPARAMETERS

SCIPY_GTOL = 1e-5  # scipy's default gtol, used by CG's sufficient-descent acceptance
CG_SIGMA = 0.01  # scipy's sigma_3


class BfgsState(NamedTuple):
    h: object  # inverse-Hessian approximation H, (n, n) or (m, n, n)
    old_old_fval: object  # f at the point before x, () or (m,)


class CgState(NamedTuple):
    p: object  # the search direction, shaped like x
    old_old_fval: object


def line_search_wolfe12(oracle, x, p, g, fval, old_old_fval, *, c1, c2, extra_condition=None):
    """scipy's ``_line_search_wolfe12``: wolfe1 (MINPACK dcsrch), then wolfe2 if it found no
    step (or its step failed ``extra_condition``).  Returns (α, f(x + α·p), f_old, ∇f(x + α·p)
    or None); raises NumericalFault when neither finds a step."""
    import warnings

    import numpy as np

    from .scipy_linesearch import LineSearchWarning, line_search_wolfe1, line_search_wolfe2

    f = oracle.value
    fprime = oracle.grad
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", LineSearchWarning)
        ret = line_search_wolfe1(f, fprime, x, p, g, fval, old_old_fval, c1=c1, c2=c2, amin=1e-100, amax=1e100)
        if ret[0] is not None and extra_condition is not None:
            if not extra_condition(ret[0], x + ret[0] * p, ret[3], ret[5]):
                ret = (None,)
        if ret[0] is None:
            ret = line_search_wolfe2(f, fprime, x, p, g, fval, old_old_fval, c1=c1, c2=c2, amax=1e100,
                                     extra_condition=extra_condition)
    if ret[0] is None:
        raise NumericalFault("line search failed (no step satisfies the Wolfe conditions)")
    alpha, _, _, new_fval, old_fval, new_g = ret
    return alpha, new_fval, old_fval, new_g


def _rows(update_one, g, state, x, loss, oracle):
    """Apply ``update_one`` to every row of a batch (x of shape (m, n)); one row as it is."""
    import numpy as np

    if x.ndim == 1:
        return update_one(g, state, x, float(loss), oracle)
    xs, states = [], []
    for j in range(x.shape[0]):
        xj, sj = update_one(g[j], type(state)(*(v[j] for v in state)), x[j], float(np.asarray(loss)[j]), oracle)
        xs.append(xj)
        states.append(sj)
    return np.array(xs), type(state)(*(np.array([getattr(s, k) for s in states]) for k in state._fields))


def bfgs(*, lr):
    """BFGS as scipy's ``minimize(method="BFGS")`` (module docstring).  ``lr`` is not used."""
    HYPERPARAMETERS["lr"].check(lr)

    def init(x):
        import numpy as np

        x = np.asarray(x, dtype=float)
        eye = np.broadcast_to(np.eye(x.shape[-1]), x.shape + (x.shape[-1],)).copy()
        return BfgsState(eye, np.full(x.shape[:-1], np.nan))

    def update_one(g, state, x, fval, oracle):
        import numpy as np

        old_old = state.old_old_fval
        if not np.isfinite(old_old):  # the first iteration: scipy's initial step guess
            old_old = fval + np.linalg.norm(g) / 2
        h = state.h
        p = -np.dot(h, g)
        alpha, _, old_fval, g1 = line_search_wolfe12(oracle, x, p, g, fval, old_old, c1=1e-4, c2=0.9)
        s = alpha * p
        x1 = x + s
        if g1 is None:
            g1 = oracle.grad(x1)
        y = g1 - g
        rho_inv = np.dot(y, s)
        rho = 1000.0 if rho_inv == 0.0 else 1.0 / rho_inv
        eye = np.eye(len(x))
        a1 = eye - s[:, np.newaxis] * y[np.newaxis, :] * rho
        a2 = eye - y[:, np.newaxis] * s[np.newaxis, :] * rho
        h = np.dot(a1, np.dot(h, a2)) + (rho * s[:, np.newaxis] * s[np.newaxis, :])
        return x1, BfgsState(h, np.float64(old_fval))

    def update(g, state, x, lr, t, oracle, loss=None):
        return _rows(update_one, g, state, x, loss, oracle)

    return init, update


def cg(*, lr):
    """Polak–Ribière+ CG as scipy's ``minimize(method="CG")`` (module docstring).  ``lr`` is not used."""
    HYPERPARAMETERS["lr"].check(lr)

    def init(x):
        import numpy as np

        x = np.asarray(x, dtype=float)
        return CgState(np.full(x.shape, np.nan), np.full(x.shape[:-1], np.nan))

    def update_one(g, state, x, fval, oracle):
        import numpy as np

        old_old = state.old_old_fval
        p = state.p
        if not np.isfinite(old_old):  # the first iteration
            old_old = fval + np.linalg.norm(g) / 2
            p = -g
        deltak = np.dot(g, g)
        cached = [None]

        def step(alpha, g1=None):
            x1 = x + alpha * p
            if g1 is None:
                g1 = oracle.grad(x1)
            y = g1 - g
            beta = max(0, np.dot(y, g1) / deltak)
            p1 = -g1 + beta * p
            return alpha, x1, p1, g1, np.max(np.abs(g1))

        def descent(alpha, x1, f1, g1):
            cached[:] = step(alpha, g1)
            _, _, p1, g1, gnorm = cached
            if gnorm <= SCIPY_GTOL:
                return True
            return np.dot(p1, g1) <= -CG_SIGMA * np.dot(g1, g1)

        alpha, _, old_fval, g1 = line_search_wolfe12(oracle, x, p, g, fval, old_old, c1=1e-4, c2=0.4,
                                                     extra_condition=descent)
        if alpha == cached[0]:
            _, x1, p1, _, _ = cached
        else:
            _, x1, p1, _, _ = step(alpha, g1)
        return x1, CgState(p1, np.float64(old_fval))

    def update(g, state, x, lr, t, oracle, loss=None):
        return _rows(update_one, g, state, x, loss, oracle)

    return init, update
