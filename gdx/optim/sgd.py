"""Gradient descent, heavy-ball momentum and Nesterov momentum: ``torch.optim.SGD``.

torch's algorithm, for update t = 1, 2, …::

    g ← ∇f(x)                                   (−∇f(x) with maximize)
    if λ ≠ 0:  g ← g + λ·x                      (L2 weight decay)
    if μ ≠ 0:  b ← g                if t = 1    (no dampening on the first update)
               b ← μ·b + (1 − τ)·g  otherwise   (τ = dampening; nesterov needs τ = 0)
               g ← g + μ·b      if nesterov
               g ← b            otherwise
    x ← x − lr·g

``gd`` is ``SGD(momentum=0)``, ``momentum`` is ``SGD(momentum=0.9)``, ``nesterov`` is
``SGD(momentum=0.9, nesterov=True)``.
"""

from __future__ import annotations

from typing import NamedTuple

from .base import EmptyState, GdxError, weight_decay_l2
from .hyper import HYPERPARAMETERS


class MomentumState(NamedTuple):
    buf: object  # the momentum buffer b (zeros until the first update sets it to g)


def gd(*, lr, weight_decay):
    """Plain gradient descent: x ← x − lr·(g + λx)."""
    HYPERPARAMETERS["lr"].check(lr)
    weight_decay = HYPERPARAMETERS["weight_decay"].check(weight_decay)

    def init(x):
        return EmptyState()

    if isinstance(weight_decay, float) and weight_decay == 0.0:  # no decay: no call per update

        def update(g, state, x, lr, t, oracle=None):
            return x + (-lr) * g, state

        return init, update

    def update(g, state, x, lr, t, oracle=None):
        g = weight_decay_l2(g, x, weight_decay)
        return x + (-lr) * g, state

    return init, update


def _momentum(*, lr, momentum, weight_decay, dampening, nesterov: bool):
    HYPERPARAMETERS["lr"].check(lr)
    momentum = HYPERPARAMETERS["momentum"].check(momentum)
    weight_decay = HYPERPARAMETERS["weight_decay"].check(weight_decay)
    dampening = HYPERPARAMETERS["dampening"].check(dampening)
    if nesterov:  # beyond the table's range (torch's rule): Nesterov needs μ > 0
        import numpy as np

        if not np.all(np.asarray(momentum) > 0):
            raise GdxError("Nesterov momentum requires a momentum and zero dampening", kind="invalid hyperparameter")

    def init(x):
        import numpy as np

        return MomentumState(np.zeros_like(np.asarray(x, dtype=float)))

    def update(g, state, x, lr, t, oracle=None):
        g = weight_decay_l2(g, x, weight_decay)
        import numpy as np

        # torch: buf = grad.clone() on the first update, then buf.mul_(μ).add_(grad, alpha=1 − τ)
        buf = np.array(g, dtype=float) if t == 1 else state.buf * momentum + (1 - dampening) * g
        step = g + momentum * buf if nesterov else buf  # torch: grad.add(buf, alpha=μ)
        return x + (-lr) * step, MomentumState(buf)

    return init, update


def momentum(*, lr, momentum, weight_decay, dampening=0.0):
    """Heavy-ball momentum (torch.optim.SGD with momentum and dampening τ)."""
    return _momentum(lr=lr, momentum=momentum, weight_decay=weight_decay, dampening=dampening, nesterov=False)


def nesterov(*, lr, momentum, weight_decay):
    """Nesterov momentum (torch.optim.SGD with momentum and nesterov=True, dampening 0)."""
    return _momentum(lr=lr, momentum=momentum, weight_decay=weight_decay, dampening=0.0, nesterov=True)
