"""``--batch-size B``: which rows each update sees, epoch by epoch (torch's DataLoader(shuffle=True,
drop_last=False) semantics with gdx's own, documented generator).

The rule, for N rows, batch size B and ``--seed`` s:

* ``rng = numpy.random.default_rng(s)``; epoch e = 0, 1, 2, … has the order
  ``rng.permutation(N)`` (the (e+1)-th call on the same generator);
* the epoch's batches are ``order[0:B], order[B:2B], …``: ⌈N/B⌉ of them, the last one smaller
  when B does not divide N (drop_last=False);
* step k (the gradient of update k+1) uses batch ``k mod ⌈N/B⌉`` of epoch ``k // ⌈N/B⌉``.

When B ≥ N every step uses all rows in file order: exactly the deterministic full-batch path
(the permutation would only reorder a sum).  torch's own sampler draws its permutation from
torch's generator, which gdx cannot reproduce; the fixtures feed torch gdx's index sequence.
"""

from __future__ import annotations

from .errors import GdxError

DEFAULT_SEED = 0


def check_batch_size(batch_size, rows: int | None = None) -> None:
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise GdxError(f"Invalid batch_size value: {batch_size}", kind="usage error",
                       hint="--batch-size must be a whole number, 1 or more")


class Batches:
    """The rows of step k: ``at(k) → (epoch, rows)``; rows is None for the full batch."""

    def __init__(self, N: int, B: int, seed: int = DEFAULT_SEED, eval_every: int | None = None) -> None:
        check_batch_size(B)
        self.N, self.B, self.seed = int(N), min(int(B), int(N)), int(seed)
        self.per_epoch = -(-self.N // self.B)
        self.full = self.B >= self.N
        self.eval_every = eval_every
        self._rng = None
        self._epoch = -1
        self._order = None

    def _order_of(self, epoch: int):
        import numpy as np

        if epoch < self._epoch or self._rng is None:
            self._rng, self._epoch = np.random.default_rng(self.seed), -1
        while self._epoch < epoch:
            self._order = self._rng.permutation(self.N)
            self._epoch += 1
        return self._order

    def at(self, k: int):
        """(epoch, row indices) of step k (see the module docstring)."""
        epoch, j = divmod(int(k), self.per_epoch)
        if self.full:
            return epoch, None
        return epoch, self._order_of(epoch)[j * self.B:(j + 1) * self.B]

    def evaluates(self, k: int) -> bool:
        """Is the full-data loss recorded at step k (every ``eval_every`` steps, and at k = 0)?"""
        return self.eval_every is not None and k % self.eval_every == 0

    def sequence(self, steps: int):
        """The row indices of steps 0 … steps-1 (for references and exports)."""
        import numpy as np

        return [np.arange(self.N) if r is None else r for _, r in (self.at(k) for k in range(steps))]


#: β of the loss curve's moving average of a minibatch run's loss.
EMA_BETA = 0.9


def ema(values, beta: float = EMA_BETA):
    """The bias-corrected exponential moving average of a noisy sequence, as Adam's m̂:
    m_k = β·m_{k−1} + (1−β)·v_k (m_{−1} = 0), shown as m_k / (1 − β^{k+1})."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    out = np.empty_like(values)
    m = 0.0
    for k, v in enumerate(values):
        m = beta * m + (1 - beta) * v
        out[k] = m / (1 - beta ** (k + 1))
    return out
