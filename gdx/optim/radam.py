"""RAdam: ``torch.optim.RAdam`` (Adam with a rectified adaptive learning rate, Liu et al. 2019).

torch's algorithm, for update t = 1, 2, … (m, v start at 0)::

    g ← ∇f(x)                                   (−∇f(x) with maximize)
    if λ ≠ 0:  decoupled:  x ← x·(1 − lr·λ)
               else:       g ← g + λ·x
    m ← β₁·m + (1 − β₁)·g                       (torch: m.lerp_(g, 1 − β₁))
    v ← β₂·v + (1 − β₂)·g²
    m̂ ← m / (1 − β₁ᵗ)
    ρ∞ ← 2/(1 − β₂) − 1,   ρₜ ← ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
    if ρₜ > 5:  r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
                x ← x − m̂·lr·(√(1 − β₂ᵗ) / (√v + eps))·r
    else:       x ← x − m̂·lr                    (the first few updates: plain momentum)
"""

from __future__ import annotations

from typing import NamedTuple

from .base import lerp, weight_decay_step
from .hyper import checked


class RAdamState(NamedTuple):
    exp_avg: object  # m
    exp_avg_sq: object  # v


def radam(*, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay):
    """RAdam (torch.optim.RAdam): the rule of the module docstring (ρₜ > 5 per run when β₂ is
    a per-run column)."""
    _, eps, beta1, beta2, weight_decay, decoupled = checked(  # torch's order of checks
        lr=lr, eps=eps, beta1=beta1, beta2=beta2, weight_decay=weight_decay,
        decoupled_weight_decay=decoupled_weight_decay)

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return RAdamState(zeros, zeros)

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        g, x = weight_decay_step(g, x, lr, weight_decay, decoupled)
        m = lerp(state.exp_avg, g, 1 - beta1)
        v = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        m_hat = m / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
        rectified = np.asarray(rho_t > 5.0)
        plain = x + (-1.0) * (m_hat * lr)
        if not rectified.any():
            return plain, RAdamState(m, v)
        with np.errstate(invalid="ignore", divide="ignore"):  # ρₜ ≤ 5 rows take `plain`
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2**0.5) / (np.sqrt(v) + eps)
            step = x + (-1.0) * (m_hat * lr * adaptive * rect)
        return (step if rectified.all() else np.where(rectified, step, plain)), RAdamState(m, v)

    return init, update
