"""Memory a request will need, estimated and checked before the work starts.

The rule: every request whose memory grows with a number the user gives (the runs of a sweep
grid, the starts of ``--starts``, the steps of one run's kept path) is estimated from that
number with the sizes below, and refused with a usage error naming the number and the estimate
when the estimate exceeds :data:`MEMORY_BUDGET_MB`.  The estimates are upper bounds of what
:mod:`gdx.batch` and :mod:`gdx.loop` allocate (float64 arrays), not measurements, so the check
is the same on every machine.
"""

from __future__ import annotations

from .errors import GdxError

#: The memory a request may need, in MiB (the same on every machine, so refusals are repeatable).
MEMORY_BUDGET_MB = 4096
#: Bytes one kept step of a single run takes (a Step event: x, ∇f, the update and Python objects).
STEP_BYTES = 600
#: The most values an axis of a sweep grid may have (a plot shows a few hundred at most).
MAX_AXIS_VALUES = 100_000


def batch_bytes(runs: int, n: int, *, steps: int = 0, record_path: bool = False) -> int:
    """Upper bound of the bytes :func:`gdx.batch.run_batch` needs for ``runs`` runs in n variables.

    Per run, as if a block kept BLOCK_MAX + 1 steps of x, ∇f and up to two state vectors (4n
    floats), a Hessian (n² floats, Newton), f and the stopping flags (an upper bound: a block
    keeps its start and buffers of f, ∇f and Σ∇f² per step); with ``record_path``, the whole
    path, (steps + 1)·(n + 1) floats.
    """
    from .batch import BLOCK_MAX

    per_run = 8 * ((BLOCK_MAX + 2) * (4 * n + n * n + 4) + 16 * n)
    if record_path:
        per_run += 8 * (steps + 1) * (n + 1)
    return int(runs) * per_run


def check_memory(nbytes: int, *, what: str, flag: str, number, at_least: bool = False) -> None:
    """Refuse work whose estimated memory ``nbytes`` is over the budget, naming ``flag number``
    (``at_least``: the estimate is a lower bound, made before the function's size is known)."""
    mib = nbytes / 2**20
    if mib > MEMORY_BUDGET_MB:
        about = "at least" if at_least else "about"
        raise GdxError(
            f"{flag} {number}: {what} would need {about} {_size(mib)} of memory (the limit is {_size(MEMORY_BUDGET_MB)})",
            kind="usage error",
            hint=f"give a smaller {flag}",
        )


def check_batch(runs: int, n: int | None, *, flag: str, number, what: str = "the runs") -> None:
    """:func:`check_memory` of :func:`batch_bytes` (``runs`` runs in ``n`` variables; n = None
    before the function is read: a lower bound, at one variable)."""
    if n is None:
        check_memory(batch_bytes(runs, 1), what=f"{what} ({runs:,} runs)", flag=flag, number=number, at_least=True)
        return
    check_memory(batch_bytes(runs, max(1, n)), what=f"{what} ({runs:,} in {max(1, n)} variable{'s' if n != 1 else ''})",
                 flag=flag, number=number)


def check_path(steps: int, n: int) -> None:
    """One run keeps every step: ``steps`` × :data:`STEP_BYTES` (+ 8(n+1) per step) must fit."""
    nbytes = int(steps) * (STEP_BYTES + 8 * (n + 1))
    check_memory(nbytes, what=f"keeping every step of the run ({steps:,} steps)", flag="--steps", number=steps)


def check_axis(num: int, flag: str) -> None:
    """A sweep axis has 2 … MAX_AXIS_VALUES values."""
    if isinstance(num, bool) or not isinstance(num, int) or not 2 <= num <= MAX_AXIS_VALUES:
        raise GdxError(f"Invalid {flag.lstrip('-').replace('-', '_')} value: {num}", kind="usage error",
                       hint=f"{flag} takes 2 to {MAX_AXIS_VALUES:,} values per axis")


def _size(mib: float) -> str:
    if mib >= 1024 * 1024:
        return f"{mib / 2**20:,.0f} TiB"
    if mib >= 1024:
        return f"{mib / 1024:,.1f} GiB"
    return f"{mib:,.0f} MiB"
