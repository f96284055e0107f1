"""Adadelta: ``torch.optim.Adadelta`` (with torch's learning rate, default 1.0).

torch's algorithm, for update t = 1, 2, … (v and u start at 0)::

    g ← ∇f(x)
    if λ ≠ 0:  g ← g + λ·x
    v ← ρ·v + (1 − ρ)·g²
    δ ← √(u + eps) / √(v + eps) · g
    u ← ρ·u + (1 − ρ)·δ²
    x ← x − lr·δ
"""

from __future__ import annotations

from typing import NamedTuple

from .base import weight_decay_l2
from .hyper import HYPERPARAMETERS


class AdadeltaState(NamedTuple):
    square_avg: object  # v, running average of g²
    acc_delta: object  # u, running average of δ²


def adadelta(*, lr, rho, eps, weight_decay):
    HYPERPARAMETERS["lr"].check(lr)  # torch's order of checks
    rho = HYPERPARAMETERS["rho"].check(rho)
    eps = HYPERPARAMETERS["eps"].check(eps)
    weight_decay = HYPERPARAMETERS["weight_decay"].check(weight_decay)

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return AdadeltaState(zeros, zeros)

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        g = weight_decay_l2(g, x, weight_decay)
        v = state.square_avg * rho + (1 - rho) * g * g
        std = np.sqrt(v + eps)
        delta = np.sqrt(state.acc_delta + eps) / std * g
        u = state.acc_delta * rho + (1 - rho) * delta * delta
        return x + (-lr) * delta, AdadeltaState(v, u)

    return init, update
