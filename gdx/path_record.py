"""The steps a run keeps in memory: all of them, or a bounded, thinned record of a long run.

The rule (``PathRecord(limit=L)``): the latest :data:`TAIL` steps are kept in full (the diagnosis
reads the end of a run: cycles, plateaus, the last step); older steps are kept at a stride s
(steps k with k mod s = 0, the start point included) -- whenever more than L of them are kept,
every other one is dropped and s doubles.  So a run of any length keeps at most L + TAIL steps,
spread over the whole run for the loss curve.  ``limit=None`` keeps every step (the library API,
``--export run.json``).  ``sink``, when given, receives every step as it comes (``--export
run.csv`` streams the whole path to the file while the run goes on).

Steps come one at a time (:meth:`PathRecord.append`, a :class:`gdx.result.Step`) or in blocks
(:meth:`PathRecord.add_block`, a :class:`gdx.result.Path` of consecutive steps, from the fast
loop).  Once a block has come the record is columnar: it keeps chunks of rows (numpy arrays), a
Step appended after is a one-row chunk, and the same rule picks the same steps as appending the
block's steps one by one would.  ``block_sink``, when given, receives each block whole (else
``sink`` gets its steps one by one).  :meth:`path` builds the kept :class:`gdx.result.Path`.
"""

from __future__ import annotations

from collections import deque

#: Latest steps always kept in full.
TAIL = 20_000
#: Older steps kept (thinned) by the bounded record of ``gdx optimize``.
LIMIT = 40_000


class PathRecord:
    def __init__(self, limit: int | None = None, sink=None, tail: int | None = None, block_sink=None) -> None:
        self.limit, self.sink, self.block_sink = limit, sink, block_sink
        self.kept: list = []
        self.recent: deque = deque(maxlen=(TAIL if tail is None else tail) if limit is not None else None)
        self.stride = 1
        self.seen = 0
        self.columnar = False
        self._kept: list = []  # columnar: chunks of kept older rows, in order
        self._kept_n = 0
        self._recent: deque = deque()  # columnar: chunks of the latest rows, in order
        self._recent_n = 0

    def append(self, step) -> None:
        """Record one step (and hand it to the sink)."""
        if self.columnar:
            from .result import Path

            if self.sink is not None:
                self.sink(step)
            self._add(Path.from_steps(tuple(range(len(step.x))), [step]))
            return
        if self.sink is not None:
            self.sink(step)
        self.seen += 1
        recent = self.recent
        if recent.maxlen is not None and len(recent) == recent.maxlen:
            old = recent[0]
            if old.k % self.stride == 0:
                self.kept.append(old)
                if len(self.kept) > self.limit:
                    self.kept = self.kept[::2]
                    self.stride *= 2
        recent.append(step)

    def add_block(self, rows) -> None:
        """Record consecutive steps given as a Path (and hand them to the sinks)."""
        if self.block_sink is not None:
            self.block_sink(rows)
        elif self.sink is not None:
            from .result import StepBlock

            for step in StepBlock(rows).steps():
                self.sink(step)
        if not self.columnar:
            self._to_columnar()
        self._add(rows)

    # -- columnar ---------------------------------------------------------------------------------
    def _to_columnar(self) -> None:
        """The steps appended so far become chunks (kept, recent); from now on the record is columnar."""
        from .result import Path

        self.columnar = True
        if self.kept:
            self._kept, self._kept_n = [Path.from_steps(tuple(range(len(self.kept[0].x))), self.kept)], len(self.kept)
        if self.recent:
            steps = list(self.recent)
            self._recent.append(Path.from_steps(tuple(range(len(steps[0].x))), steps))
            self._recent_n = len(steps)
        self.kept, self.recent = [], deque(maxlen=self.recent.maxlen)

    def _add(self, rows) -> None:
        """The rule of :meth:`append`, for a chunk of rows at once."""
        if not len(rows):
            return
        self.seen += len(rows)
        self._recent.append(rows)
        self._recent_n += len(rows)
        maxlen = self.recent.maxlen
        if maxlen is None or self._recent_n <= maxlen:
            return
        self._keep(self._pop_oldest(self._recent_n - maxlen))

    def _pop_oldest(self, count: int):
        """Remove the ``count`` oldest rows of the recent chunks and return them as one chunk."""
        out = []
        while count:
            chunk = self._recent[0]
            if len(chunk) <= count:
                out.append(self._recent.popleft())
                count -= len(chunk)
                self._recent_n -= len(chunk)
            else:
                out.append(take(chunk, slice(0, count)))
                self._recent[0] = take(chunk, slice(count, None))
                self._recent_n -= count
                count = 0
        return concat(out)

    def _keep(self, old) -> None:
        """Rows leaving the recent window, oldest first: those at k mod stride = 0 are kept; the
        moment more than ``limit`` are kept, every other kept row is dropped and the stride doubles."""
        import numpy as np

        while len(old):
            chosen = np.flatnonzero(old.k % self.stride == 0)
            room = max(1, self.limit + 1 - self._kept_n)  # rows that fit before the thinning
            if len(chosen) < room:
                if len(chosen):
                    self._kept.append(take(old, chosen))
                    self._kept_n += len(chosen)
                return
            self._kept.append(take(old, chosen[:room]))
            thinned = take(concat(self._kept), slice(None, None, 2))
            self._kept, self._kept_n = [thinned], len(thinned)
            self.stride *= 2
            old = take(old, slice(int(chosen[room - 1]) + 1, None))

    # -- reading ------------------------------------------------------------------------------------
    @property
    def thinned(self) -> bool:
        """Were steps left out (the kept path is not every step)?"""
        if self.columnar:
            return self.seen > self._kept_n + self._recent_n
        return self.seen > len(self.kept) + len(self.recent)

    def path(self, variables):
        """The kept steps as a :class:`gdx.result.Path` (no Step per row when columnar)."""
        from dataclasses import replace

        from .result import Path

        if not self.columnar:
            return Path.from_steps(variables, self.kept + list(self.recent))
        chunks = self._kept + list(self._recent)
        if not chunks:
            return Path.from_steps(variables, [])
        return replace(concat(chunks), variables=tuple(variables))

    def steps(self) -> list:
        """The kept steps, in order."""
        if not self.columnar:
            return self.kept + list(self.recent)
        from .result import StepBlock

        return [step for chunk in self._kept + list(self._recent) for step in StepBlock(chunk).steps()]


def take(rows, index):
    """Rows ``index`` (a slice or an array of row numbers) of a chunk."""
    from dataclasses import replace

    return replace(rows, k=rows.k[index], x=rows.x[index], loss=rows.loss[index], grad=rows.grad[index],
                   grad_norm=rows.grad_norm[index], lr=rows.lr[index])


def concat(chunks):
    """Chunks of rows as one (the first chunk's variables)."""
    import numpy as np
    from dataclasses import replace

    if len(chunks) == 1:
        return chunks[0]
    return replace(chunks[0], k=np.concatenate([c.k for c in chunks]), x=np.concatenate([c.x for c in chunks]),
                   loss=np.concatenate([c.loss for c in chunks]), grad=np.concatenate([c.grad for c in chunks]),
                   grad_norm=np.concatenate([c.grad_norm for c in chunks]), lr=np.concatenate([c.lr for c in chunks]))
