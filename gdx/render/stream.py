"""The iteration stream: a live table on a terminal, plain text lines elsewhere.

Which steps are shown: with ``every=K``, steps 0, K, 2K, …; by default a log-spaced choice
(every step up to 10, then every 10th up to 100, every 100th up to 1000, …) so a run of any
length fits a screen.  The last step is always shown.  The live table is redrawn at most
``REFRESH_HZ`` times a second however fast the loop runs.

The live table fits the window: when the shown rows outgrow its height it keeps the first
rows (where an oscillation or a divergence starts) and the latest, with a ``…`` row between
(:func:`visible_rows`).  When the run ends the whole table is left on screen, as piped output
prints it.
"""

from __future__ import annotations

import time
from .console import fmt

REFRESH_HZ = 10
RESERVED_LINES = 4  # the header, the dim current row, the ellipsis row and the cursor line


NARROW_DROP = ("lr", "|grad|")  # a narrow terminal loses these columns first (the header line states lr)


def fitting_columns(names, cells, width: int) -> list[int]:
    """The columns of the live table that fit ``width`` whole: all when they do, else without
    lr, then without |grad| (:data:`NARROW_DROP`); the step, the variables and the loss stay."""
    from rich.cells import cell_len

    keep = list(range(len(names)))

    def needed(cols) -> int:
        return sum(max([cell_len(names[i])] + [cell_len(c[i]) for c in cells]) for i in cols) + 2 * (len(cols) - 1)

    for name in NARROW_DROP:
        if needed(keep) <= width:
            break
        keep.remove(names.index(name))
    return keep


def visible_rows(rows: list, capacity: int) -> tuple[list, list]:
    """The rows a window of ``capacity`` rows shows: all of them when they fit, else the first
    half (rounded up) and the latest — (head, tail), with a gap between them when tail is not empty."""
    capacity = max(2, capacity)
    if len(rows) <= capacity:
        return list(rows), []
    head = (capacity + 1) // 2
    return list(rows[:head]), list(rows[len(rows) - (capacity - head):])


def shown(k: int, every: int | None) -> bool:
    """Whether step k gets a row."""
    if every:
        return k % every == 0
    if k <= 10:
        return True
    scale = 10 ** (len(str(k)) - 1)
    return k % scale == 0


def shown_between(a: int, b: int, every: int | None) -> list[int]:
    """The steps k in [a, b) that get a row (:func:`shown`), without testing each k."""
    if every:
        return list(range(a + (-a) % every, b, every))
    ks = list(range(a, min(b, 11)))
    scale = 10
    while scale < b:  # the numbers of d digits, d ≥ 2, show at multiples of 10^(d−1)
        lo, hi = max(a, scale, 11), min(b, scale * 10)
        ks += range(lo + (-lo) % scale, hi, scale)
        scale *= 10
    return ks


class IterationStream:
    """A sink for Step events; ``close()`` after the last one."""

    def __init__(self, console, variables, *, every: int | None = None, live: bool | None = None,
                 batched: bool = False) -> None:
        self.console = console
        #: a minibatch run: columns epoch and full loss; by default the rows are the steps whose
        #: full-data loss was recorded (--eval-every)
        self.batched = batched
        self.variables = tuple(variables)
        self.every = every
        self.live_mode = console.is_terminal if live is None else live
        self.rows: list = []
        self.last = None
        self.last_shown = None
        self._live = None
        self._next_refresh = 0.0
        if not self.live_mode:
            self._write(self._plain_header())

    # -- events ------------------------------------------------------------------------------
    def step(self, step) -> None:
        self.last = step
        if (step.full_loss is not None) if (self.batched and not self.every) else shown(step.k, self.every):
            self._show(step)
        if self.live_mode:
            now = time.monotonic()
            if now >= self._next_refresh:
                self._next_refresh = now + 1.0 / REFRESH_HZ
                self._refresh(step)

    def block(self, block) -> None:
        """A :class:`gdx.result.StepBlock`: its shown steps get rows, the live table is redrawn
        at most once, as :meth:`step` of each would."""
        if self.batched or not len(block):
            for step in block.steps():
                self.step(step)
            return
        ks = block.path.k
        a, n = int(ks[0]), len(ks)
        last = block.step(n - 1)
        for k in shown_between(a, a + n, self.every):
            self._show(last if k - a == n - 1 else block.step(k - a))
        self.last = last
        if self.live_mode:
            now = time.monotonic()
            if now >= self._next_refresh:
                self._next_refresh = now + 1.0 / REFRESH_HZ
                self._refresh(last)

    def close(self) -> None:
        if self.last is not None and self.last_shown is not self.last:
            self._show(self.last)
        if self.live_mode:  # the live frame (at most a window high) gives way to the whole table
            if self._live is not None:
                self._live.stop()
            self.console.print(self._table(None, final=True))

    # -- plain text ---------------------------------------------------------------------------
    def _cells(self, step) -> list[str]:
        if self.batched:
            full = "" if step.full_loss is None else fmt(step.full_loss)
            return [str(step.k), str(step.epoch), *(fmt(v) for v in step.x), fmt(step.loss), full, fmt(step.grad_norm),
                    fmt(step.lr, 4)]
        return [str(step.k), *(fmt(v) for v in step.x), fmt(step.loss), fmt(step.grad_norm), fmt(step.lr, 4)]

    def _names(self) -> list[str]:
        if self.batched:
            return ["step", "epoch", *self.variables, "batch loss", "full loss", "|grad|", "lr"]
        return ["step", *self.variables, "loss", "|grad|", "lr"]

    def _plain_header(self) -> str:
        return "  ".join(f"{n:>12}" for n in self._names())

    def _write(self, line: str) -> None:
        self.console.file.write(line + "\n")
        self.console.file.flush()

    def _show(self, step) -> None:
        self.last_shown = step
        if self.live_mode:
            self.rows.append(step)
        else:
            self._write("  ".join(f"{c:>12}" for c in self._cells(step)))

    # -- live table ---------------------------------------------------------------------------
    def _table(self, current, *, final: bool = False):
        from rich.table import Table

        table = Table(box=None, header_style="bold", pad_edge=False)
        if final:
            head, tail = self.rows, []
        else:
            head, tail = visible_rows(self.rows, self.console.height - RESERVED_LINES)
        extra = [current] if current is not None and (not self.rows or self.rows[-1] is not current) else []
        names = self._names()
        cells = [self._cells(step) for step in (*head, *tail, *extra)]
        keep = fitting_columns(names, cells, self.console.width)
        for i in keep:
            table.add_column(names[i], justify="right", style="cyan" if i == 0 else None)
        rows = [[c[i] for i in keep] for c in cells]
        for row in rows[: len(head)]:
            table.add_row(*row)
        if tail:
            table.add_row("…", *([""] * (len(keep) - 1)), style="dim")
            for row in rows[len(head): len(head) + len(tail)]:
                table.add_row(*row)
        if extra:
            table.add_row(*rows[-1], style="dim")
        return table

    def _refresh(self, current) -> None:
        from rich.live import Live

        table = self._table(current)
        if self._live is None:
            self._live = Live(table, console=self.console, auto_refresh=False, transient=True)
            self._live.start()
        self._live.update(table, refresh=True)
