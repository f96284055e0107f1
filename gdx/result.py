"""What a run produces: its events, its path and its result (scipy.optimize-style names)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

from .numbers import json_number as _plain


class Status(str, Enum):
    """How a run ended.  ``code`` is the scipy-style integer status, fixed per member
    (:data:`STATUS_CODES`: reordering the members never changes it)."""

    CONVERGED = "converged"
    MAX_STEPS = "max_steps"
    DIVERGED = "diverged"
    FAULT = "fault"
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"

    @property
    def code(self) -> int:
        return STATUS_CODES[self.value]

    @property
    def success(self) -> bool:
        return self is Status.CONVERGED

    @property
    def failed(self) -> bool:
        """The run broke: it diverged or hit a numerical fault (the one "run failed" rule)."""
        return self in (Status.DIVERGED, Status.FAULT)


#: The integer status of each outcome (``Result.to_dict()["status_code"]``); never renumbered.
STATUS_CODES = {"converged": 0, "max_steps": 1, "diverged": 2, "fault": 3, "interrupted": 4, "stopped": 5}


#: The fixed table of status messages (``{k}``: the step, ``{cause}``: what went wrong).
MESSAGES = {
    Status.CONVERGED: "gradient norm ≤ tol after {k} steps",
    Status.MAX_STEPS: "reached the maximum number of steps ({k}) with gradient norm > tol",
    Status.DIVERGED: "diverged at step {k}: {cause}",
    Status.FAULT: "numerical fault at step {k}: {cause}",
    Status.INTERRUPTED: "interrupted at step {k}",
    Status.STOPPED: "stopped by the callback at step {k}",
}


class Started(NamedTuple):
    """The first event: what is about to run."""

    variables: tuple[str, ...]
    x0: Any
    optimizer: str
    hyper: dict
    schedule: str
    steps: int
    tol: float


class Step(NamedTuple):
    """One point of the path.  ``k`` = 0 is the start; ``lr`` is the rate applied at x_k."""

    k: int
    x: Any
    loss: float
    grad_norm: float
    lr: float
    grad: Any
    #: evaluations of f so far, this point's included (Compiled.nfev), recorded for the
    #: line-search methods (whose updates evaluate f many times); None for the others
    nfev: int | None = None
    #: a minibatch run (``--batch-size``): the epoch of this step, the row indices of its batch
    #: (None: every row) and, every ``--eval-every`` steps, f over all rows (else None)
    epoch: int | None = None
    rows: Any = None
    full_loss: float | None = None


class Finished(NamedTuple):
    """The last event."""

    result: "Result"


@dataclass
class Path:
    """Every point a run visited, as arrays (row k = step k; row 0 = the start point)."""

    variables: tuple[str, ...]
    k: Any  # (N,) int
    x: Any  # (N, n)
    loss: Any  # (N,)
    grad: Any  # (N, n)
    grad_norm: Any  # (N,)
    lr: Any  # (N,)
    nfev: Any = None  # (N,) int: evaluations of f up to and including step k (line-search methods), or None
    epoch: Any = None  # (N,) int: the epoch of each step of a minibatch run, or None
    rows: Any = None  # list of the row indices of each step's batch (None: every row), or None
    full_loss: Any = None  # (N,) f over all rows where it was evaluated (--eval-every), NaN elsewhere, or None

    def __len__(self) -> int:
        return len(self.k)

    @classmethod
    def from_steps(cls, variables, steps: list[Step]) -> "Path":
        import numpy as np

        n = len(variables)
        if not steps:
            empty = np.zeros((0, n))
            return cls(tuple(variables), np.zeros(0, int), empty, np.zeros(0), empty.copy(), np.zeros(0), np.zeros(0))
        return cls(
            variables=tuple(variables),
            k=np.array([s.k for s in steps], dtype=int),
            x=np.array([s.x for s in steps], dtype=float).reshape(len(steps), n),
            loss=np.array([s.loss for s in steps], dtype=float),
            grad=np.array([s.grad for s in steps], dtype=float).reshape(len(steps), n),
            grad_norm=np.array([s.grad_norm for s in steps], dtype=float),
            lr=np.array([s.lr for s in steps], dtype=float),
            nfev=np.array([s.nfev for s in steps], dtype=int) if steps[0].nfev is not None else None,
            epoch=np.array([s.epoch for s in steps], dtype=int) if steps[0].epoch is not None else None,
            rows=[s.rows for s in steps] if steps[0].epoch is not None else None,
            full_loss=(np.array([math.nan if s.full_loss is None else s.full_loss for s in steps], dtype=float)
                       if steps[0].epoch is not None else None),
        )


class StepBlock(NamedTuple):
    """Consecutive steps as columns (``path``: a :class:`Path` whose ``variables`` may be empty),
    what :func:`gdx.loop.run` yields with ``blocks=True`` where the fast path (gdx.fastloop) runs
    instead of one :class:`Step` per point."""

    path: "Path"

    def __len__(self) -> int:
        return len(self.path)

    def steps(self):
        """The same steps as Step events, one at a time."""
        p = self.path
        for k, x, loss, gn, lr, g in zip(p.k.tolist(), p.x, p.loss.tolist(), p.grad_norm.tolist(), p.lr.tolist(),
                                         p.grad):
            yield Step(k, x, loss, gn, lr, g)

    def step(self, i: int) -> Step:
        """Row i as a Step."""
        p = self.path
        return Step(int(p.k[i]), p.x[i], float(p.loss[i]), float(p.grad_norm[i]), float(p.lr[i]), p.grad[i])


@dataclass
class Result:
    """The outcome of one run.

    Field names follow ``scipy.optimize.OptimizeResult`` where they fit: ``x`` (final point),
    ``fun`` (f there), ``jac`` (∇f there), ``nit`` (updates made), ``nfev``/``njev``/``nhev``
    (evaluations), ``status``/``success``/``message``.  When the run ends on a non-finite
    value, ``x``/``fun``/``jac`` are the last finite point and ``fault_step`` is where it broke;
    the path still holds every point computed, including the failing one.
    """

    x: Any
    fun: float
    jac: Any
    grad_norm: float
    nit: int
    nfev: int
    njev: int
    nhev: int
    status: Status
    message: str
    path: Path
    variables: tuple[str, ...]
    optimizer: str
    hyper: dict
    schedule: str
    wall_time: float
    fault_step: int | None = None
    cause: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.status.success

    def to_dict(self, *, path: bool = False) -> dict:
        """JSON-ready data; ``path=True`` adds every point."""
        out = {
            "variables": list(self.variables),
            "optimizer": self.optimizer,
            "hyperparameters": {k: _plain(v) for k, v in self.hyper.items()},
            "schedule": self.schedule,
            "status": self.status.value,
            "success": self.success,
            "message": self.message,
            "steps": self.nit,
            "x": [_plain(v) for v in self.x],
            "loss": _plain(self.fun),
            "grad": [_plain(v) for v in self.jac],
            "grad_norm": _plain(self.grad_norm),
            "nfev": self.nfev,
            "njev": self.njev,
            "nhev": self.nhev,
            "wall_time": self.wall_time,
            "fault_step": self.fault_step,
            "cause": self.cause,
        }
        out.update(self.extra)
        if path:
            out["path"] = path_records(self.path)
        return out


RUN_COLUMNS = ("step", "loss", "grad_norm", "lr", "nfev")

#: The further columns of a minibatch run's export (``--batch-size``).
BATCH_COLUMNS = ("epoch", "full_loss", "rows")


def path_columns(variables, *, nfev: bool = False, epoch: bool = False) -> list[str]:
    """The columns of an exported path: ``step, [epoch,] <variables>, loss, [full_loss,]
    grad_norm, lr, [nfev,] grad_<variable>…`` (``nfev``, the evaluations of f so far, for the
    line-search methods; ``epoch`` and ``full_loss`` for a minibatch run: ``loss`` is then the
    loss on the step's batch, ``full_loss`` over every row, empty where not evaluated)."""
    names = list(variables)
    return ["step", *(["epoch"] if epoch else []), *names, "loss", *(["full_loss"] if epoch else []), "grad_norm",
            "lr", *(["nfev"] if nfev else []), *(f"grad_{n}" for n in names)]


def column_collisions(variables) -> list[str]:
    """The variables whose names are also gdx's own columns in an exported path (``step``,
    ``loss``, ``grad_norm``, ``lr`` or ``grad_<a variable>``): a path with them cannot be read
    back, since two columns (two JSON keys) would have the same name."""
    own = set(RUN_COLUMNS) | {f"grad_{n}" for n in variables}
    return [n for n in variables if n in own]


def path_records(path: Path) -> list[dict]:
    """The path as a list of rows ``{step, <vars>…, loss, grad_norm, lr, [nfev,] grad_<var>…}``;
    ``nfev`` (evaluations of f so far) only for the line-search methods."""
    rows = []
    for i in range(len(path)):
        row = {"step": int(path.k[i])}
        if path.epoch is not None:
            row["epoch"] = int(path.epoch[i])
        for j, name in enumerate(path.variables):
            row[name] = _plain(path.x[i, j])
        row["loss"] = _plain(path.loss[i])
        if path.full_loss is not None:
            row["full_loss"] = _plain(path.full_loss[i])
        row["grad_norm"] = _plain(path.grad_norm[i])
        row["lr"] = _plain(path.lr[i])
        if path.nfev is not None:
            row["nfev"] = int(path.nfev[i])
        for j, name in enumerate(path.variables):
            row[f"grad_{name}"] = _plain(path.grad[i, j])
        if path.rows is not None:
            batch = path.rows[i]
            row["rows"] = "all" if batch is None else [int(r) for r in batch]
        rows.append(row)
    return rows
