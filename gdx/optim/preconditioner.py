"""The diagonal preconditioner P of an adaptive optimizer and its adaptive edge of stability.

Cohen et al. 2022 ("Adaptive Gradient Methods at the Edge of Stability", §2) write a
preconditioned method as x_{t+1} = x_t − η·P_t⁻¹·m_t, with m_t the optimizer's own momentum
(not bias-corrected) or the gradient itself, and P_t diagonal.  With P frozen, f a quadratic
of Hessian H, the error along the top eigenvector of P⁻¹H (eigenvalue a) obeys the optimizer's
momentum recurrence with "curvature" a, so the method is stable while a = λmax(P⁻¹H) is below
the value where a root of that recurrence reaches −1: the adaptive edge.

* Adam / AdamW: P_t = (1 − β₁ᵗ)·diag(√v̂_t + ε), v̂_t = v_t/(1 − β₂ᵗ) — the paper's definition:
  torch's x ← x − (η/(1 − β₁ᵗ))·m/(√v̂ + ε) puts m's bias correction into P (the factor → 1
  after ~50 updates; the paper's code, init2winit, leaves it out).  AMSGrad uses max(v) in v̂.
  m ← β₁·m + (1 − β₁)·g gives e_{t+1} = (1 + β₁ − η(1 − β₁)a)·e_t − β₁·e_{t−1}: the edge
  (2 + 2β₁)/(η(1 − β₁)), 38/η for β₁ = 0.9.
* Adamax: P_t = (1 − β₁ᵗ)·diag(u_t), u_t = max(β₂·u_{t−1}, |g_t| + ε): the same EMA momentum,
  the same edge.
* RMSprop: P_t = diag(√v_t + ε) (centered: √(v_t − ḡ_t²) + ε), no bias correction.  Its
  momentum is heavy ball on P⁻¹g (b ← μ·b + P⁻¹g, x ← x − η·b): the edge 2(1 + μ)/η, 2/η
  without momentum.
* Adagrad: P_t = (1 + (t − 1)·lr_decay)·diag(√s_t + ε), s_t = s₀ + Σ g²: plain preconditioned
  gradient descent, edge 2/η.

The g in these sums is the gradient the optimizer saw: ∇f plus λ·x when its weight decay is L2
(coupled); then H + λ·I is the Hessian it sees.  Rows are the path's rows: row k holds x_k and the
P of update t = k + 1 (the one that moves x_k), rebuilt from the recorded gradients g_0 … g_k.
Gradient clipping and ``maximize`` are not modelled (the recorded g is ∇f as computed).

Nothing here imports numpy at module level (the registry imports this module).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple


def _decayed(grads, xs, hyper):
    """The gradients the optimizer saw: g + λ·x with coupled (L2) weight decay λ, else g."""
    import numpy as np

    g = np.nan_to_num(np.asarray(grads, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    lam = coupled_decay(hyper)
    if lam:
        g = g + lam * np.nan_to_num(np.asarray(xs, dtype=float))
    return g


def coupled_decay(hyper) -> float:
    """The L2 weight decay λ that enters the gradient (0 when it is decoupled:
    ``decoupled_weight_decay``; AdamW's P is built with no decay at all)."""
    if hyper.get("decoupled_weight_decay"):
        return 0.0
    return float(hyper.get("weight_decay", 0.0) or 0.0)


#: Rows per block of the vectorised running average (β^−63 stays finite for β ≥ 1e-2).
BLOCK = 64


def _ema_all(x, beta):
    """v_t = β·v_{t−1} + (1 − β)·x_t (v_{−1} = 0) for every row of ``x``, in blocks of BLOCK rows:
    within a block v_{s+i} = β^i·(β·v_{s−1} + (1 − β)·Σ_{j≤i} β^{−j}·x_{s+j}), one cumsum each
    (a path of 100,000 steps costs milliseconds, not a Python loop per step).  β < 1e-2 (or 0)
    runs the plain recurrence."""
    import numpy as np

    out = np.empty_like(x)
    if beta < 1e-2:
        v = np.zeros(x.shape[1])
        for k in range(len(x)):
            v = beta * v + (1 - beta) * x[k]
            out[k] = v
        return out
    i = np.arange(BLOCK, dtype=float)
    up, down = beta ** (-i), beta**i
    v = np.zeros(x.shape[1])
    for s in range(0, len(x), BLOCK):
        blk = x[s:s + BLOCK]
        b = len(blk)
        cs = np.cumsum(blk * up[:b, None], axis=0)
        out[s:s + b] = down[:b, None] * (beta * v[None, :] + (1 - beta) * cs)
        v = out[s + b - 1]
    return out


def _ema_rows(g, beta, rows, op=None):
    """(v_t, max of v so far) at each row in ``rows`` (t = row + 1): v_t = β·v_{t−1} + (1 − β)·g_t²
    (vectorised, :func:`_ema_all`), or ``op(v, g_k)`` step by step when given."""
    import numpy as np

    want = sorted({int(r) for r in rows})
    if not want:
        return {}
    g = g[: want[-1] + 1]
    if op is None:
        vs = _ema_all(g * g, beta)
    else:
        vs = np.empty_like(g)
        v = np.zeros(g.shape[1])
        for k in range(len(g)):
            v = op(v, g[k])
            vs[k] = v
    vmax = np.maximum.accumulate(vs, axis=0)
    return {k: (vs[k].copy(), vmax[k].copy()) for k in want}


def adam_p(grads, xs, hyper, rows, decoupled: bool = False):
    """Adam/AdamW: P_t = (1 − β₁ᵗ)·diag(√v̂_t + ε) at ``rows`` (module docstring)."""
    import numpy as np

    b1, b2, eps = float(hyper["beta1"]), float(hyper["beta2"]), float(hyper["eps"])
    g = _decayed(grads, xs, {} if decoupled else hyper)
    got = _ema_rows(g, b2, rows)
    out = []
    for r in rows:
        t = int(r) + 1
        v, vmax = got[int(r)]
        vhat = (vmax if hyper.get("amsgrad") else v) / (1 - b2**t)
        out.append((1 - b1**t) * (np.sqrt(vhat) + eps))
    return np.array(out)


def adamw_p(grads, xs, hyper, rows):
    """AdamW: Adam's P from ∇f alone (its decay is decoupled)."""
    return adam_p(grads, xs, hyper, rows, decoupled=True)


def adamax_p(grads, xs, hyper, rows):
    """Adamax: P_t = (1 − β₁ᵗ)·diag(u_t), u_t = max(β₂·u_{t−1}, |g_t| + ε)."""
    import numpy as np

    b1, b2, eps = float(hyper["beta1"]), float(hyper["beta2"]), float(hyper["eps"])
    g = _decayed(grads, xs, hyper)
    got = _ema_rows(g, b2, rows, op=lambda u, gk: np.maximum(b2 * u, np.abs(gk) + eps))
    return np.array([(1 - b1 ** (int(r) + 1)) * got[int(r)][0] for r in rows])


def rmsprop_p(grads, xs, hyper, rows):
    """RMSprop: P_t = diag(√v_t + ε), centered √(v_t − ḡ_t²) + ε (no bias correction)."""
    import numpy as np

    alpha, eps = float(hyper["alpha"]), float(hyper["eps"])
    g = _decayed(grads, xs, hyper)
    got = _ema_rows(g, alpha, rows)
    if hyper.get("centered"):
        mean = _ema_all(g[: int(max(rows)) + 1], alpha)
        return np.array([np.sqrt(np.maximum(got[int(r)][0] - mean[int(r)] ** 2, 0.0)) + eps for r in rows])
    return np.array([np.sqrt(got[int(r)][0]) + eps for r in rows])


def adagrad_p(grads, xs, hyper, rows):
    """Adagrad: P_t = (1 + (t − 1)·lr_decay)·diag(√s_t + ε), s_t = s₀ + Σ_{j ≤ t} g_j²."""
    import numpy as np

    eps, decay = float(hyper["eps"]), float(hyper.get("lr_decay", 0.0))
    s0 = float(hyper.get("initial_accumulator_value", 0.0))
    g = _decayed(grads, xs, hyper)
    sums = np.cumsum(g[: int(max(rows)) + 1] ** 2, axis=0)
    return np.array([(1 + int(r) * decay) * (np.sqrt(s0 + sums[int(r)]) + eps) for r in rows])


def ema_momentum_edge(lr: float, hyper: dict) -> float:
    """(2 + 2β₁)/(η(1 − β₁)): the root −1 of z² − (1 + β₁ − η(1 − β₁)a)z + β₁ (Adam, AdamW, Adamax)."""
    b1 = float(hyper["beta1"])
    return (2 + 2 * b1) / (lr * (1 - b1))


def heavy_ball_edge(lr: float, hyper: dict) -> float:
    """2(1 + μ)/η: the root −1 of z² − (1 + μ − η·a)z + μ (RMSprop's momentum, μ = 0: 2/η; Adagrad)."""
    mu = float(hyper.get("momentum", 0.0) or 0.0)
    return 2 * (1 + mu) / lr


def ema_momentum_factor(lr: float, a: float, hyper: dict) -> float:
    """|largest root| of z² − (1 + β₁ − η(1 − β₁)a)z + β₁: what one step multiplies the error by
    along P⁻¹H's top eigenvector with P frozen (> 1 above the edge)."""
    b1 = float(hyper["beta1"])
    return _spectral_radius(1 + b1 - lr * (1 - b1) * a, b1)


def heavy_ball_factor(lr: float, a: float, hyper: dict) -> float:
    """|largest root| of z² − (1 + μ − η·a)z + μ (μ = 0: |1 − η·a|)."""
    mu = float(hyper.get("momentum", 0.0) or 0.0)
    return _spectral_radius(1 + mu - lr * a, mu)


def _spectral_radius(trace: float, det: float) -> float:
    """max |z| over the roots of z² − trace·z + det."""
    disc = trace * trace - 4 * det
    if disc >= 0:
        r = math.sqrt(disc)
        return max(abs((trace + r) / 2), abs((trace - r) / 2))
    return math.sqrt(det)


class Preconditioner(NamedTuple):
    """What an adaptive optimizer's registry entry states about its preconditioner.

    ``p(grads, xs, hyper, rows)``: P's diagonal at path rows ``rows`` (shape (len(rows), n));
    ``edge(lr, hyper)``: the adaptive edge on λmax(P⁻¹H), ``edge_text`` its formula;
    ``factor(lr, a, hyper)``: what one step multiplies the error by along P⁻¹H's top eigenvector
    (eigenvalue a) with P frozen; ``decoupled``: the weight decay does not enter g (AdamW), so
    H is not shifted by λ·I."""

    p: Callable
    edge: Callable
    edge_text: str
    factor: Callable
    decoupled: bool = False


ADAM = Preconditioner(adam_p, ema_momentum_edge, "(2+2β₁)/(η(1−β₁))", ema_momentum_factor)
ADAMW = Preconditioner(adamw_p, ema_momentum_edge, "(2+2β₁)/(η(1−β₁))", ema_momentum_factor, decoupled=True)
ADAMAX = Preconditioner(adamax_p, ema_momentum_edge, "(2+2β₁)/(η(1−β₁))", ema_momentum_factor)
RMSPROP = Preconditioner(rmsprop_p, heavy_ball_edge, "2(1+μ)/η", heavy_ball_factor)
ADAGRAD = Preconditioner(adagrad_p, heavy_ball_edge, "2/η", heavy_ball_factor)
