"""A single-run reference for the batched engine: one point evaluated as a batch of one."""

from __future__ import annotations

import numpy as np

from gdx.compile import Compiled


class RowCompiled(Compiled):
    """A single point evaluated as a batch of one (the same numpy array kernels as a batch)."""

    def value_and_grad(self, x):
        x = np.asarray(x, dtype=float)
        if x.ndim > 1:
            return super().value_and_grad(x)
        f, g = super().value_and_grad(x[None])
        return float(f[0]), g[0]

    def hess(self, x):
        x = np.asarray(x, dtype=float)
        return super().hess(x[None])[0] if x.ndim == 1 else super().hess(x)
