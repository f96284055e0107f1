"""Adamax: ``torch.optim.Adamax`` (Adam with the infinity norm).

torch's algorithm, for update t = 1, 2, … (m and u start at 0)::

    g ← ∇f(x)                               (−∇f(x) with maximize)
    if λ ≠ 0:  g ← g + λ·x
    m ← β₁·m + (1 − β₁)·g                   (torch: m.lerp_(g, 1 − β₁))
    u ← max(β₂·u, |g| + eps)
    x ← x − (lr / (1 − β₁ᵗ)) · m / u
"""

from __future__ import annotations

from typing import NamedTuple

from .base import lerp, weight_decay_l2
from .hyper import checked


class AdamaxState(NamedTuple):
    exp_avg: object  # m
    exp_inf: object  # u, the decayed infinity norm of the gradients


def adamax(*, lr, beta1, beta2, eps, weight_decay):
    """Adamax (torch.optim.Adamax): the rule of the module docstring."""
    _, eps, beta1, beta2, weight_decay = checked(  # torch's order of checks
        lr=lr, eps=eps, beta1=beta1, beta2=beta2, weight_decay=weight_decay)

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return AdamaxState(zeros, zeros)

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        g = weight_decay_l2(g, x, weight_decay)
        m = lerp(state.exp_avg, g, 1 - beta1)
        u = np.maximum(state.exp_inf * beta2, np.abs(g) + eps)
        clr = lr / (1 - beta1**t)
        return x + (-clr) * (m / u), AdamaxState(m, u)

    return init, update
