"""RMSprop: ``torch.optim.RMSprop``.

torch's algorithm, for update t = 1, 2, … (v, ḡ and b start at 0)::

    g ← ∇f(x)                             (−∇f(x) with maximize)
    if λ ≠ 0:  g ← g + λ·x
    v ← α·v + (1 − α)·g²
    centered:  ḡ ← α·ḡ + (1 − α)·g  (torch: ḡ.lerp_(g, 1 − α));  d ← √(v − ḡ²) + eps
    else:      d ← √v + eps           (eps outside the root, no bias correction)
    if μ > 0:  b ← μ·b + g/d;  x ← x − lr·b
    else:      x ← x − lr·g/d
"""

from __future__ import annotations

from typing import NamedTuple

from .base import lerp, weight_decay_l2
from .hyper import HYPERPARAMETERS


class RMSpropState(NamedTuple):
    square_avg: object  # v
    momentum_buffer: object  # b (stays 0 without momentum)
    grad_avg: object  # ḡ (stays 0 unless centered)


def rmsprop(*, lr, alpha, eps, weight_decay, momentum, centered=False):
    HYPERPARAMETERS["lr"].check(lr)  # torch's order of checks
    eps = HYPERPARAMETERS["eps"].check(eps)
    momentum = HYPERPARAMETERS["momentum"].check(momentum)
    weight_decay = HYPERPARAMETERS["weight_decay"].check(weight_decay)
    alpha = HYPERPARAMETERS["alpha"].check(alpha)
    centered = HYPERPARAMETERS["centered"].check(centered)
    plain = isinstance(momentum, float) and momentum == 0.0

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return RMSpropState(zeros, zeros, zeros)

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        g = weight_decay_l2(g, x, weight_decay)
        v = state.square_avg * alpha + (1 - alpha) * g * g
        if centered:
            g_avg = lerp(state.grad_avg, g, 1 - alpha)
            avg = np.sqrt(v - g_avg * g_avg) + eps
        else:
            g_avg = state.grad_avg
            avg = np.sqrt(v) + eps
        if plain:
            return x + (-lr) * g / avg, RMSpropState(v, state.momentum_buffer, g_avg)
        buf = state.momentum_buffer * momentum + g / avg
        return x + (-lr) * buf, RMSpropState(v, buf, g_avg)

    return init, update
