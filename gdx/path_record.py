"""The steps a run keeps in memory: all of them, or a bounded, thinned record of a long run.

The rule (``PathRecord(limit=L)``): the latest :data:`TAIL` steps are kept in full (the diagnosis
reads the end of a run: cycles, plateaus, the last step); older steps are kept at a stride s
(steps k with k mod s = 0, the start point included) -- whenever more than L of them are kept,
every other one is dropped and s doubles.  So a run of any length keeps at most L + TAIL steps,
spread over the whole run for the loss curve.  ``limit=None`` keeps every step (the library API,
``--export run.json``).  ``sink``, when given, receives every step as it comes (``--export
run.csv`` streams the whole path to the file while the run goes on).
"""

from __future__ import annotations

from collections import deque

#: Latest steps always kept in full.
TAIL = 20_000
#: Older steps kept (thinned) by the bounded record of ``gdx optimize``.
LIMIT = 40_000


class PathRecord:
    def __init__(self, limit: int | None = None, sink=None, tail: int | None = None) -> None:
        self.limit, self.sink = limit, sink
        self.kept: list = []
        self.recent: deque = deque(maxlen=(TAIL if tail is None else tail) if limit is not None else None)
        self.stride = 1
        self.seen = 0

    def append(self, step) -> None:
        """Record one step (and hand it to the sink)."""
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

    @property
    def thinned(self) -> bool:
        """Were steps left out (the kept path is not every step)?"""
        return self.seen > len(self.kept) + len(self.recent)

    def steps(self) -> list:
        """The kept steps, in order."""
        return self.kept + list(self.recent)
