"""Lion as optax defines it (``optax.lion``: Chen et al. 2023, "Symbolic Discovery of
Optimization Algorithms").

optax's update (``scale_by_lion``, then ``add_decayed_weights``, then the learning rate), for
update t = 1, 2, … (m starts at 0)::

    g ← ∇f(x)
    c ← β₁·m + (1 − β₁)·g                       (the interpolation that is signed)
    m ← β₂·m + (1 − β₂)·g                       (the momentum kept)
    x ← x − lr·(sign(c) + λ·x)                  (decoupled weight decay, scaled by lr)

optax's defaults: β₁ = 0.9, β₂ = 0.99, λ = 1e-3.  There is no torch Lion; the references are
this update written out in numpy (tests/fixtures/make_torch_references.py).
"""

from __future__ import annotations

from typing import NamedTuple

from .hyper import HYPERPARAMETERS


class LionState(NamedTuple):
    mu: object  # m


def lion(*, lr, beta1, beta2, weight_decay):
    """Lion (optax.lion): the rule of the module docstring."""
    HYPERPARAMETERS["lr"].check(lr)
    beta1 = HYPERPARAMETERS["beta1"].check(beta1)
    beta2 = HYPERPARAMETERS["beta2"].check(beta2)
    weight_decay = HYPERPARAMETERS["weight_decay"].check(weight_decay)

    def init(x):
        import numpy as np

        return LionState(np.zeros_like(np.asarray(x, dtype=float)))

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        c = (1 - beta1) * g + beta1 * state.mu
        m = (1 - beta2) * g + beta2 * state.mu
        step = np.sign(c) + weight_decay * x
        return x - lr * step, LionState(m)

    return init, update
