"""ASGD: ``torch.optim.ASGD`` (averaged stochastic gradient descent, Polyak & Juditsky 1992).

torch's algorithm, for update t = 1, 2, … (η starts at lr, μ at 1, the average x̄ at 0)::

    g ← ∇f(x)                                   (−∇f(x) with maximize)
    if λ_wd ≠ 0:  g ← g + λ_wd·x
    x ← x·(1 − λ·η)                             (λ = lambd, the decay term)
    x ← x − η·g
    x̄ ← x if μ = 1, else x̄ + μ·(x − x̄)
    η ← lr / (1 + λ·lr·t)^α                     (lr: this update's, scheduled, learning rate)
    μ ← 1 / max(1, t − t₀)

The path is x (torch's parameter); x̄, the average torch keeps in its state, is kept in the
state too.  η and μ are arrays shaped like x (per run when lr is a per-run column).
"""

from __future__ import annotations

from typing import NamedTuple

from .base import weight_decay_l2
from .hyper import HYPERPARAMETERS


class ASGDState(NamedTuple):
    ax: object  # x̄, the running average of the iterates
    eta: object  # η, the step size of the next update
    mu: object  # μ, the averaging weight of the next update


def asgd(*, lr, lambd, alpha, t0, weight_decay):
    """ASGD (torch.optim.ASGD): the rule of the module docstring."""
    HYPERPARAMETERS["lr"].check(lr)  # torch's order of checks (torch checks only these two)
    weight_decay = HYPERPARAMETERS["weight_decay"].check(weight_decay)
    lambd = HYPERPARAMETERS["lambd"].check(lambd)
    alpha = HYPERPARAMETERS["alpha"].check(alpha)
    t0 = HYPERPARAMETERS["t0"].check(t0)

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return ASGDState(zeros, zeros.copy(), np.ones_like(zeros))  # η is set to lr by the first update

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        eta = np.broadcast_to(np.asarray(lr, dtype=float), np.shape(x)) if t == 1 else state.eta
        mu = np.ones_like(x) if t == 1 else state.mu
        g = weight_decay_l2(g, x, weight_decay)
        x = x * (1 - lambd * eta)
        x = x + (-eta) * g
        ax = np.where(mu == 1, x, state.ax + (x - state.ax) * mu)
        new_eta = np.broadcast_to(lr / ((1 + lambd * lr * t) ** alpha), np.shape(x)) + np.zeros_like(x)
        new_mu = np.broadcast_to(1 / np.maximum(1, t - t0), np.shape(x)) + np.zeros_like(x)
        return x, ASGDState(ax, new_eta, new_mu)

    return init, update
