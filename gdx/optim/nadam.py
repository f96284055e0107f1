"""NAdam: ``torch.optim.NAdam`` (Adam with Nesterov momentum, Dozat 2016).

torch's algorithm, for update t = 1, 2, … (m, v start at 0, the product Π at 1)::

    g ← ∇f(x)                                   (−∇f(x) with maximize)
    if λ ≠ 0:  decoupled:  x ← x·(1 − lr·λ)
               else:       g ← g + λ·x
    μₜ ← β₁·(1 − ½·0.96^(t·ψ)),  μₜ₊₁ ← β₁·(1 − ½·0.96^((t+1)·ψ))      (ψ = momentum_decay)
    Π ← Π·μₜ
    m ← β₁·m + (1 − β₁)·g                       (torch: m.lerp_(g, 1 − β₁))
    v ← β₂·v + (1 − β₂)·g²
    d ← √(v / (1 − β₂ᵗ)) + eps
    x ← x − lr·(1 − μₜ)/(1 − Π) · g/d
    x ← x − lr·μₜ₊₁/(1 − Π·μₜ₊₁) · m/d
"""

from __future__ import annotations

from typing import NamedTuple

from .base import lerp, weight_decay_step
from .hyper import checked


class NAdamState(NamedTuple):
    exp_avg: object  # m
    exp_avg_sq: object  # v
    mu_product: object  # Π = μ₁·…·μₜ, shaped like x (per-run when β₁ or ψ is)


def nadam(*, lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay):
    """NAdam (torch.optim.NAdam): the rule of the module docstring."""
    _, eps, beta1, beta2, weight_decay, momentum_decay, decoupled = checked(  # torch's order of checks
        lr=lr, eps=eps, beta1=beta1, beta2=beta2, weight_decay=weight_decay, momentum_decay=momentum_decay,
        decoupled_weight_decay=decoupled_weight_decay)

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return NAdamState(zeros, zeros, np.ones_like(zeros))

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        g, x = weight_decay_step(g, x, lr, weight_decay, decoupled)
        bias_correction2 = 1 - beta2**t
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
        mu_product = state.mu_product * mu
        m = lerp(state.exp_avg, g, 1 - beta1)
        v = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        denom = np.sqrt(v / bias_correction2) + eps
        mu_product_next = mu_product * mu_next
        x = x + (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        x = x + ((-lr * mu_next) / (1.0 - mu_product_next)) * (m / denom)
        return x, NAdamState(m, v, mu_product)

    return init, update
