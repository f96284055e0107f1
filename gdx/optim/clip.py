"""Gradient clipping by norm: ``torch.nn.utils.clip_grad_norm_`` on a single parameter.

For each run (each row of a batch)::

    total ← ‖g‖₂                       (over the variables, the last axis)
    coef  ← min(max_norm / (total + 1e-6), 1)
    g     ← g·coef

As in torch, g is always multiplied by coef (coef is exactly 1 when ‖g‖ is small enough), and
clipping happens before the optimizer adds weight decay to the gradient.
"""

from __future__ import annotations

from .base import check


def check_max_norm(max_norm):
    """``max_norm`` as a float (or array), or ``GdxError("Invalid max_norm value: …")``."""
    return check(max_norm, lambda v: v > 0.0, "Invalid max_norm value: {}")


def clip_by_norm(g, max_norm):
    """``g`` rescaled so that ‖g‖₂ ≤ max_norm (per row of a batch); a new array."""
    import numpy as np

    g = np.asarray(g, dtype=float)
    total = np.linalg.norm(g, axis=-1, keepdims=True)
    coef = np.minimum(max_norm / (total + 1e-6), 1.0)
    return g * coef
