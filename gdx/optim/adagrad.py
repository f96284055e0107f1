"""Adagrad: ``torch.optim.Adagrad``.

torch's algorithm, for update t = 1, 2, … (s starts at ``initial_accumulator_value``)::

    g ← ∇f(x)
    if λ ≠ 0:  g ← g + λ·x
    clr ← lr / (1 + (t − 1)·lr_decay)
    s ← s + g²
    x ← x − clr·g / (√s + eps)            (eps outside the square root)
"""

from __future__ import annotations

from typing import NamedTuple

from .base import weight_decay_l2
from .hyper import HYPERPARAMETERS


class AdagradState(NamedTuple):
    sum: object  # s, the running sum of squared gradients


def adagrad(*, lr, lr_decay, weight_decay, initial_accumulator_value, eps):
    HYPERPARAMETERS["lr"].check(lr)
    lr_decay = HYPERPARAMETERS["lr_decay"].check(lr_decay)
    weight_decay = HYPERPARAMETERS["weight_decay"].check(weight_decay)
    initial = HYPERPARAMETERS["initial_accumulator_value"].check(initial_accumulator_value)
    eps = HYPERPARAMETERS["eps"].check(eps)

    def init(x):
        import numpy as np

        x = np.asarray(x, dtype=float)
        return AdagradState(np.zeros(np.broadcast_shapes(x.shape, np.shape(initial))) + initial)

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        g = weight_decay_l2(g, x, weight_decay)
        clr = lr / (1 + (t - 1) * lr_decay)
        s = state.sum + g * g
        std = np.sqrt(s) + eps
        return x + (-clr) * g / std, AdagradState(s)

    return init, update
