"""Rprop: ``torch.optim.Rprop`` (resilient backpropagation: only the sign of g is used).

torch's algorithm, for update t = 1, 2, … (g_prev starts at 0, every step size Δ at lr)::

    g ← ∇f(x)                                   (−∇f(x) with maximize)
    per coordinate:  g·g_prev > 0:  Δ ← min(Δ·η₊, Γmax)
                     g·g_prev < 0:  Δ ← max(Δ·η₋, Γmin),  g ← 0  (the sign flipped: no move)
                     g·g_prev = 0:  Δ ← clamp(Δ, Γmin, Γmax)
    x ← x − sign(g)·Δ
    g_prev ← g

(η₋, η₊) = etas, (Γmin, Γmax) = step_sizes.  lr only sets the first step sizes: a schedule
does not change later steps (as in torch, whose Rprop reads lr once).  torch's Rprop has no
weight decay.
"""

from __future__ import annotations

from typing import NamedTuple

from .hyper import HYPERPARAMETERS


class RpropState(NamedTuple):
    prev: object  # g_prev (0 where the last update was skipped)
    step_size: object  # Δ per coordinate, shaped like x


def rprop(*, lr, etas, step_sizes):
    """Rprop (torch.optim.Rprop): the rule of the module docstring."""
    HYPERPARAMETERS["lr"].check(lr)  # torch's order of checks
    etaminus, etaplus = HYPERPARAMETERS["etas"].check(etas)
    step_size_min, step_size_max = HYPERPARAMETERS["step_sizes"].check(step_sizes)

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return RpropState(zeros, zeros.copy())  # Δ is set to lr by the first update

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        step_size = np.broadcast_to(np.asarray(lr, dtype=float), np.shape(x)).copy() if t == 1 else state.step_size
        product = g * state.prev
        grow, shrink = product > 0, product < 0
        factor = np.where(grow, etaplus, np.where(shrink, etaminus, 1.0))
        step_size = np.clip(step_size * factor, step_size_min, step_size_max)
        g = np.where(shrink, 0.0, g)
        return x + (-1.0) * (np.sign(g) * step_size), RpropState(g, step_size)

    return init, update
