"""Adam and AdamW: ``torch.optim.Adam`` and ``torch.optim.AdamW``.

torch's algorithm, for update t = 1, 2, … (m, v and v_max start at 0)::

    g ← ∇f(x)                               (−∇f(x) with maximize: the wrapper in gdx.optim)
    adam:   if λ ≠ 0:  g ← g + λ·x          (L2, coupled)
    adamw:  x ← x·(1 − lr·λ)                (decoupled weight decay, before the step)
    m ← β₁·m + (1 − β₁)·g                   (torch: m.lerp_(g, 1 − β₁))
    v ← β₂·v + (1 − β₂)·g²
    amsgrad:  v_max ← max(v_max, v);  x ← x − (lr / (1 − β₁ᵗ)) · m / (√v_max / √(1 − β₂ᵗ) + eps)
    else:     x ← x − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)

which is x ← x − lr·m̂/(√v̂ + eps) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), computed in torch's
order (eps is added after dividing √v by √(1 − β₂ᵗ)).
"""

from __future__ import annotations

from typing import NamedTuple

from .base import lerp, weight_decay_step
from .hyper import checked


class AdamState(NamedTuple):
    exp_avg: object  # m
    exp_avg_sq: object  # v
    max_exp_avg_sq: object  # v_max (stays 0 without amsgrad)


def _adam(*, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled: bool):
    _, eps, beta1, beta2, weight_decay, amsgrad = checked(  # torch's order of checks
        lr=lr, eps=eps, beta1=beta1, beta2=beta2, weight_decay=weight_decay, amsgrad=amsgrad)

    def init(x):
        import numpy as np

        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return AdamState(zeros, zeros, zeros)

    decays = not (isinstance(weight_decay, float) and weight_decay == 0.0)
    w1 = 1 - beta1
    near = isinstance(w1, float) and abs(w1) < 0.5  # lerp's first branch, decided once (base.lerp)
    w2 = 1 - beta2

    def update(g, state, x, lr, t, oracle=None):
        import numpy as np

        if decays:
            g, x = weight_decay_step(g, x, lr, weight_decay, decoupled)
        m0 = state.exp_avg
        m = m0 + w1 * (g - m0) if near else lerp(m0, g, w1)
        v = state.exp_avg_sq * beta2 + w2 * g * g
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step_size = lr / bias_correction1
        v_max = np.maximum(state.max_exp_avg_sq, v) if amsgrad else state.max_exp_avg_sq
        denom = np.sqrt(v_max if amsgrad else v) / bias_correction2**0.5 + eps
        return x + (-step_size) * m / denom, AdamState(m, v, v_max)

    return init, update


def adam(*, lr, beta1, beta2, eps, weight_decay, amsgrad=False):
    """Adam (torch.optim.Adam): weight decay is L2, added to the gradient."""
    return _adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, decoupled=False)


def adamw(*, lr, beta1, beta2, eps, weight_decay, amsgrad=False):
    """AdamW (torch.optim.AdamW): weight decay is decoupled, x ← x·(1 − lr·λ) before the step."""
    return _adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, decoupled=True)
