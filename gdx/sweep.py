"""Learning-rate (and hyperparameter) sweeps: the grid, the runs, the outcome, the best setting.

A sweep runs one optimizer from one start point for every setting of a 1-D or 2-D grid of
hyperparameters, all at once with :func:`gdx.batch.run_batch` (per-run values are ``(B, 1)``
columns).  Rules:

* A range ``A:B`` gives ``num`` values from A to B inclusive, log-spaced (geometric) for the
  learning rate and ε, linear for the others (momentum, β, α, ρ, …, which live in [0, 1));
  ``A:B:log`` / ``A:B:lin`` choose explicitly.  A log range needs 0 < A.  A list ``a,b,c``
  gives those values (ascending, each once; at least two), drawn on a log axis for the learning
  rate and ε when every value is > 0.
* The **outcome** of a run is its final loss (``metric="loss"``) or the steps it took to
  converge (``metric="steps"``; a run that did not converge counts as ``steps`` + 1).
* The **best setting** is, among the runs that neither diverged nor faulted, the lowest final
  loss, losses within 1e-9·(1 + |f|) counting as tied and ties going to the fewest steps;
  with ``metric="steps"``: the fewest steps among converged runs, ties to the lowest loss.
* The **stable learning rate** of plain gradient descent at the start is 2/λmax, λmax the
  largest eigenvalue of the Hessian there (none when λmax ≤ 0): on a quadratic, every lr above
  it diverges and every lr below it converges.

Pure: imports numpy inside functions, never prints.
"""

from __future__ import annotations

from .numbers import json_number as _plain

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import GdxError
from .optim.hyper import HYPERPARAMETERS

#: Hyperparameters whose ranges are log-spaced unless told otherwise (``log_scale`` in the table).
LOG_BY_DEFAULT = tuple(name for name, h in HYPERPARAMETERS.items() if h.log_scale)
#: Losses within this relative distance of the best count as tied.
TIE = 1e-9
METRICS = ("loss", "steps")


@dataclass(frozen=True)
class Axis:
    """One swept hyperparameter: its name and values (ascending from A to B as given)."""

    name: str
    values: tuple[float, ...]
    log: bool

    def __len__(self) -> int:
        return len(self.values)


def parse_range(name: str, text: str, num: int, *, log: bool | None = None, flag: str | None = None) -> Axis | float:
    """``"A:B"`` (or ``"A:B:log"``, ``"A:B:lin"``) → an :class:`Axis` of ``num`` values; a plain
    number → that float.  ``log=None``: log-spaced for :data:`LOG_BY_DEFAULT`, linear otherwise."""
    flag = flag or "--" + name.replace("_", "-")
    raw = text
    text = text.strip()
    lead = len(raw) - len(raw.lstrip())
    parts = text.split(":")

    def fail(message: str, part: int | None = None, hint: str | None = None):
        if part is None:
            span = (lead, lead + len(text))
        else:
            start = lead + sum(len(p) + 1 for p in parts[:part])
            span = (start, start + max(1, len(parts[part])))
        raise GdxError(f"{flag}: {message}", kind="usage error", source=raw, span=span,
                       hint=hint or f"write a single value or a range A:B, for example {flag} {_example(name)}")

    if len(parts) == 1 and "," in text:
        return _list_axis(name, text, fail, log, flag)
    if len(parts) == 1:
        return _number(parts[0], 0, fail)
    if len(parts) > 3:
        fail(f"'{text}' has {len(parts) - 1} colons; a range is A:B or A:B:log")
    lo = _number(parts[0], 0, fail)
    hi = _number(parts[1], 1, fail)
    if len(parts) == 3:
        scale = parts[2].strip().lower()
        if scale not in ("log", "lin", "linear"):
            fail(f"'{parts[2]}' is not a spacing", 2, hint="the third part of a range is log or lin, e.g. 1e-4:1:log")
        log = scale == "log"
    if log is None:
        log = name in LOG_BY_DEFAULT
    if lo == hi:
        fail(f"the range '{text}' is empty (A = B)", hint=f"give two different ends, or a single value {flag} {parts[0]}")
    if num < 2:
        raise GdxError(f"a sweep needs at least 2 values per axis, got {num}", kind="usage error",
                       hint="use --num 2 or more (--grid-num for the second axis)")
    if log and (lo <= 0 or hi <= 0):
        fail(f"a log-spaced range needs both ends > 0, got '{text}'", 0 if lo <= 0 else 1,
             hint=f"use positive ends (e.g. {flag} 1e-4:1), or linear spacing (--linear, or {text}:lin)")
    return Axis(name, tuple(grid_values(lo, hi, num, log)), bool(log))


def is_axis_text(text) -> bool:
    """Does the text of a sweepable hyperparameter's flag give an axis (a range A:B or a list a,b)?"""
    return isinstance(text, str) and (":" in text or "," in text)


def _list_axis(name: str, text: str, fail, log: bool | None, flag: str) -> Axis:
    """``"a,b,c"`` → an :class:`Axis` of those values, ascending and each once (see the module
    docstring); log-spaced when ``log`` (None: for :data:`LOG_BY_DEFAULT` and every value > 0)."""
    from .resources import MAX_AXIS_VALUES

    parts = text.split(",")
    if any(not p.strip() for p in parts):
        fail(f"'{text}' has an empty value; a list is a,b,c", hint="separate the values by single commas, e.g. 0.01,0.03,0.1")
    numbers, at = set(), 0
    for p in parts:
        def bad(message, part=None, hint=None, start=at, width=len(p)):  # the caret under this value
            raise GdxError(f"{flag}: {message}", kind="usage error", source=text, span=(start, start + max(1, width)),
                           hint=hint or "a list is numbers separated by commas, e.g. 0.01,0.03,0.1")

        numbers.add(_number(p, 0, bad))
        at += len(p) + 1
    values = sorted(numbers)
    if len(values) < 2:
        fail(f"the list '{text}' has one value", hint="give two different values or more, or a single number")
    if len(values) > MAX_AXIS_VALUES:
        fail(f"the list '{text[:20]}…' has {len(values):,} values (at most {MAX_AXIS_VALUES:,})")
    if log is None:
        log = name in LOG_BY_DEFAULT and values[0] > 0
    return Axis(name, tuple(values), bool(log))


def _example(name: str) -> str:
    return "1e-4:1" if name in LOG_BY_DEFAULT else "0:0.99"


def _number(text: str, index: int, fail) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        fail(f"'{text.strip()}' is not a number", index)
    if not math.isfinite(value):
        fail(f"'{text.strip()}' is not a finite number", index)
    return value


def grid_values(lo: float, hi: float, num: int, log: bool) -> list[float]:
    """``num`` values from lo to hi inclusive: geometric (log) or arithmetic (linear)."""
    import numpy as np

    if log:
        return [float(v) for v in np.geomspace(lo, hi, num)]
    return [float(v) for v in np.linspace(lo, hi, num)]


@dataclass
class SweepResult:
    """Every run of a sweep, row-major over the grid (the first axis varies fastest)."""

    axes: tuple[Axis, ...]
    fixed: dict  # hyperparameters held fixed
    optimizer: str
    x0: tuple[float, ...]
    metric: str
    params: dict  # axis name → (B,) values of each run
    status: list  # B statuses
    loss: Any  # (B,)
    steps: Any  # (B,) updates made
    max_steps: int
    tol: float
    best: int | None  # index of the best run
    stable_lr: float | None  # 2/λmax at x0
    lambda_max: float | None
    wall_time: float
    point_steps: int
    extra: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        """(len(axis 0),) or (len(axis 1), len(axis 0)): rows × columns of the heatmap."""
        return tuple(len(a) for a in reversed(self.axes))

    @property
    def failed(self):
        """(B,) bool: runs that diverged or faulted."""
        import numpy as np

        return np.array([s.value in ("diverged", "fault") for s in self.status], dtype=bool)

    @property
    def outcome(self):
        """(B,) the metric of each run (NaN for a failed run)."""
        return outcome(self.metric, self.status, self.loss, self.steps, self.max_steps)

    def first_failure(self) -> float | None:
        """The smallest value of the first axis at which some run diverged or faulted."""
        failed = self.failed
        if not failed.any():
            return None
        return float(self.params[self.axes[0].name][failed].min())

    def last_stable(self) -> float | None:
        """The largest first-axis value below the first failure at which no run failed."""
        first = self.first_failure()
        vals = self.params[self.axes[0].name]
        ok = [v for v in self.axes[0].values if (first is None or v < first) and not self.failed[vals == v].any()]
        return max(ok) if ok else None

    def setting(self, i: int) -> dict:
        """The hyperparameters of run i (the swept ones)."""
        return {a.name: float(self.params[a.name][i]) for a in self.axes}

    def to_dict(self) -> dict:
        """JSON-ready: axes, every run, the best setting and the stable learning rate."""
        runs = []
        for i in range(len(self.status)):
            runs.append({
                **self.setting(i),
                "status": self.status[i].value,
                "loss": _plain(self.loss[i]),
                "steps": int(self.steps[i]),
            })
        best = None
        if self.best is not None:
            b = self.best
            best = {**self.setting(b), "status": self.status[b].value, "loss": _plain(self.loss[b]), "steps": int(self.steps[b])}
        return {
            "optimizer": self.optimizer,
            "start": list(self.x0),
            "metric": self.metric,
            "axes": [{"name": a.name, "values": list(a.values), "spacing": "log" if a.log else "linear"} for a in self.axes],
            "fixed": {k: _plain(v) for k, v in self.fixed.items()},
            "steps": self.max_steps,
            "tol": self.tol,
            "runs": runs,
            "best": best,
            "first_diverging": self.first_failure(),
            "stable_lr": self.stable_lr,
            "lambda_max": self.lambda_max,
            "counts": _counts(self.status),
            "wall_time": self.wall_time,
            **self.extra,
        }




def _counts(status) -> dict:
    out: dict = {}
    for s in status:
        out[s.value] = out.get(s.value, 0) + 1
    return out


def outcome(metric: str, status, loss, steps, max_steps: int):
    """The metric per run: final loss, or steps to converge (max_steps + 1 if it did not);
    NaN for runs that diverged or faulted."""
    import numpy as np

    failed = np.array([s.value in ("diverged", "fault") for s in status], dtype=bool)
    if metric == "steps":
        conv = np.array([s.value == "converged" for s in status], dtype=bool)
        out = np.where(conv, np.asarray(steps, float), float(max_steps + 1))
    else:
        out = np.asarray(loss, float).copy()
    out[failed] = np.nan
    return out


def best_run(metric: str, status, loss, steps) -> int | None:
    """The index of the best run (see the module docstring), or None when every run failed."""
    import numpy as np

    loss = np.asarray(loss, float)
    ok = [i for i, s in enumerate(status) if s.value not in ("diverged", "fault") and math.isfinite(loss[i])]
    if not ok:
        return None
    if metric == "steps":
        conv = [i for i in ok if status[i].value == "converged"]
        if conv:
            fewest = min(int(steps[i]) for i in conv)
            return min((i for i in conv if int(steps[i]) == fewest), key=lambda i: (loss[i], i))
    low = min(loss[i] for i in ok)
    tied = [i for i in ok if loss[i] - low <= TIE * (1 + abs(low))]
    return min(tied, key=lambda i: (int(steps[i]), loss[i], i))


def stable_lr(compiled, x0) -> tuple[float | None, float | None]:
    """(2/λmax, λmax) of the Hessian at x0 (gdx.analysis.gd_rates); (None, λmax) when λmax ≤ 0,
    (None, None) when H is not finite there."""
    import numpy as np

    from .analysis import eigen, gd_rates

    lams, _ = eigen(compiled.hess(np.asarray(x0, float)))
    if not np.all(np.isfinite(lams)):
        return None, None
    return gd_rates(lams)[0], float(max(lams))


def full_data_loss(compiled, X, fun):
    """(B,) the full-data loss L at the end points X (B, n) of minibatch runs, as ``gdx optimize``
    reports it (gdx.noise.measure: f of the one f-and-∇f function, over every row; not counted in
    the evaluations); ``fun`` (the batch loss) where X is not finite."""
    import numpy as np

    out = np.array(fun, dtype=float)
    ok = np.all(np.isfinite(X), axis=1)
    if ok.any():
        counts = (compiled.nfev, compiled.njev)
        try:
            with np.errstate(all="ignore"):
                out[ok] = np.asarray(compiled.value_and_grad(X[ok])[0], dtype=float).reshape(-1)
        finally:
            compiled.nfev, compiled.njev = counts
    return out


def grid_settings(axes: tuple[Axis, ...]) -> dict:
    """Every setting of the grid: axis name → (B,) values, row-major (the first axis varies fastest)."""
    import numpy as np

    if not 1 <= len(axes) <= 2:
        raise GdxError(f"a sweep has 1 or 2 swept parameters, got {len(axes)}", kind="usage error",
                       hint="give ranges A:B to at most two of --lr and the hyperparameters; fix the others")
    mesh = np.meshgrid(*[np.array(a.values) for a in axes], indexing="xy")  # rows: axis 1, cols: axis 0
    return {a.name: m.reshape(-1) for a, m in zip(axes, mesh)}


def run_sweep(compiled, optimizer, axes: tuple[Axis, ...], params: dict, x0, *, steps: int = 1000, tol: float = 1e-6,
              metric: str = "loss", schedule_fn=None, clip_norm: float | None = None, shown=None,
              batches=None) -> SweepResult:
    """Run every setting of the grid (``params`` from :func:`grid_settings`, already inside
    ``optimizer`` as (B, 1) hyperparameter columns) from x0, as one batch.  ``fixed`` lists the
    hyperparameters in ``shown`` (the ones the caller set; default all) and lr when not swept."""
    import numpy as np

    from .batch import run_batch

    if metric not in METRICS:
        raise GdxError(f"unknown metric '{metric}'", kind="usage error", hint="choose loss or steps")
    B = len(params[axes[0].name])
    X0 = np.tile(np.asarray(x0, float), (B, 1))
    res = run_batch(compiled, optimizer, X0, steps=steps, tol=tol, schedule_fn=schedule_fn, clip_norm=clip_norm,
                    batches=batches)
    if batches is not None and not batches.full:  # a minibatch sweep is judged by the full-data loss at its ends
        res.fun[:] = full_data_loss(compiled, res.x, res.fun)
    s_lr, lam = stable_lr(compiled, x0)
    best = best_run(metric, res.status, res.fun, res.nit)
    shown_fixed = {k: (v if isinstance(v, (bool, tuple)) else float(v)) for k, v in optimizer.hyper.items()
                   if k not in params and getattr(v, "ndim", 0) == 0 and (shown is None or k in shown or k == "lr")}
    return SweepResult(
        axes=tuple(axes),
        fixed=shown_fixed,
        optimizer=optimizer.name,
        x0=tuple(float(v) for v in x0),
        metric=metric,
        params=params,
        status=res.status,
        loss=res.fun,
        steps=res.nit,
        max_steps=steps,
        tol=tol,
        best=best,
        stable_lr=s_lr,
        lambda_max=lam,
        wall_time=res.wall_time,
        point_steps=res.point_steps,
    )
