"""ReduceLROnPlateau on the loss: a schedule whose lr depends on the losses seen, not on k alone.

torch's training loop computes loss = f(x_k), makes update k with the current lr, then calls
``scheduler.step(loss)``; so update k uses the lr left by the losses f(x_0), …, f(x_{k−1}), and
update 0 uses lr.  gdx's loop and batched engine do the same: ``lr(state)`` for update k, then
``state = observe(state, f(x_k))``.  ``observe`` is torch's ``step(metrics)`` (mode 'min',
threshold_mode 'rel', eps 1e-8)::

    if loss < best·(1 − threshold): best, bad = loss, 0      (best starts at +inf)
    else:                           bad += 1
    if cooldown_left > 0:           cooldown_left −= 1; bad = 0
    if bad > patience:              new = max(lr·factor, min_lr)
                                    if lr − new > eps: lr = new
                                    cooldown_left, bad = cooldown, 0

The state is explicit (a :class:`PlateauState` of per-run arrays of shape (B,)), so the
batched engine keeps it per row, rolls it back with the optimizer state and drops stopped rows
from it; one :class:`Plateau` serves any number of runs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .errors import GdxError

_KIND = "invalid schedule"
EPS = 1e-8  # torch's default eps: smaller reductions are ignored


class PlateauState(NamedTuple):
    """Per-run arrays (B,): the current lr, the best loss, updates without improvement, cooldown left."""

    lr: Any
    best: Any
    bad: Any
    cooldown_left: Any


class Plateau:
    """ReduceLROnPlateau(factor, patience, threshold, cooldown, min_lr) from base rate ``lr``
    (a float or a (B,)/(B, 1) array); see the module docstring."""

    observes_loss = True

    def __init__(self, lr, factor: float, patience: int, threshold: float, cooldown: int, min_lr: float):
        self.base_lr, self.factor, self.patience = lr, factor, patience
        self.threshold, self.cooldown, self.min_lr = threshold, cooldown, min_lr

    @classmethod
    def checked(cls, lr, args: dict) -> "Plateau":
        """The schedule with torch's check of ``factor`` (``Factor should be < 1.0.``) and gdx's of the rest."""
        from .optim.base import check

        factor = check(args["factor"], lambda v: v < 1.0, "Factor should be < 1.0.", kind=_KIND)
        factor = check(factor, lambda v: v >= 0.0, "Invalid factor value: {}", kind=_KIND)
        threshold = check(args["threshold"], lambda v: v >= 0.0, "Invalid threshold value: {}", kind=_KIND)
        min_lr = check(args["min_lr"], lambda v: v >= 0.0, "Invalid min_lr value: {}", kind=_KIND)
        counts = {}
        for name in ("patience", "cooldown"):
            value = args[name]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise GdxError(f"Expected non-negative integer {name}, but got {value}", kind=_KIND)
            counts[name] = value
        return cls(lr, factor, counts["patience"], threshold, counts["cooldown"], min_lr)

    def init(self, B: int = 1) -> PlateauState:
        """The state of B fresh runs (row i starts at its base lr)."""
        import numpy as np

        base = np.asarray(self.base_lr, dtype=float).reshape(-1)
        lr = np.broadcast_to(base, (B,)).astype(float) if base.size in (1, B) else base.astype(float)
        return PlateauState(lr.copy(), np.full(B, np.inf), np.zeros(B, dtype=int), np.zeros(B, dtype=int))

    @staticmethod
    def lr(state: PlateauState):
        """The lr of the next update, per run: (B,)."""
        return state.lr

    def observe(self, state: PlateauState, loss) -> PlateauState:
        """torch's ``step(loss)`` for every run at once (loss: (B,))."""
        import numpy as np

        loss = np.asarray(loss, dtype=float).reshape(-1)
        lr, best, bad, cool = state
        better = loss < best * (1.0 - self.threshold)
        best = np.where(better, loss, best)
        bad = np.where(better, 0, bad + 1)
        cooling = cool > 0
        cool = np.where(cooling, cool - 1, cool)
        bad = np.where(cooling, 0, bad)
        reduce = bad > self.patience
        new = np.maximum(lr * self.factor, self.min_lr)
        lr = np.where(reduce & (lr - new > EPS), new, lr)
        cool = np.where(reduce, self.cooldown, cool)
        bad = np.where(reduce, 0, bad)
        return PlateauState(lr, best, bad, cool)

    def subset(self, state: PlateauState, keep) -> PlateauState:
        """The state of the runs ``keep`` (indices)."""
        return PlateauState(*(v[keep] for v in state))

    def __call__(self, k):
        raise GdxError("the 'plateau' schedule depends on the loss: it has no lr for an update index alone",
                       kind=_KIND, hint="run it (gdx optimize --schedule plateau); gdx.loop.run and run_batch feed it the loss")
