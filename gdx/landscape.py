"""The landscape of f over a box: boxes, slices, grid evaluation and colour levels.

Pure functions (no printing, no terminal): the renderers in ``gdx/render/landscape.py`` and
``gdx/render/png.py`` draw what these compute.

* A **box** gives every variable a range ``(lo, hi)``, in variable order.  ``--box`` is written
  ``"x=-2:2,y=-1:3"`` (by name) or ``"-2:2,-1:3"`` (in variable order).  Without ``--box`` the
  box is the preset's domain, else :data:`DEFAULT_RANGE` for every variable.
* A **slice** fixes every variable that is not plotted: ``--slice "z=0.5"``.
* The **grid** samples f at ``rows × cols`` points (the box corners included) with one batched
  call of the compiled ``value``.
* **Levels** cut the sampled values into ``count`` bands.  They are linear in f, or — when the
  values span decades (see :func:`wants_log`) — linear in ``log10(f − f_min + ε)``, so a deep
  narrow valley (Rosenbrock, Goldstein–Price) is not one flat band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .errors import GdxError
from .target import finite_number

#: The range of every variable when neither --box nor a preset's domain gives one.
DEFAULT_RANGE = (-5.0, 5.0)

#: Log levels are used when the largest f − f_min sampled is at least this many times its value
#: at the 10th percentile: the landscape spans two decades or more.
LOG_SPAN = 100.0

#: ε of the log levels is this quantile of the positive values of f − f_min (the floor band).
LOG_FLOOR_QUANTILE = 0.01

#: A path point farther than this many box-widths from the box is not used to grow the box.
FIT_REACH = 1.0


class Grid(NamedTuple):
    """f sampled on a rectangle: ``values[i, j] = f(xs[j], ys[i])`` (ys ascending, row 0 = bottom)."""

    xs: Any  # (cols,)
    ys: Any  # (rows,)
    values: Any  # (rows, cols); nan where f is not finite
    names: tuple = ("x", "y")
    fixed: dict = {}


# -- boxes ------------------------------------------------------------------------------------
def default_box(target) -> list[tuple[float, float]]:
    """The preset's domain (a missing variable gets DEFAULT_RANGE), else DEFAULT_RANGE for each."""
    variables = target.problem.variables
    preset = getattr(target, "preset", None)
    domain = dict(getattr(preset, "domain", None) or {}) if preset is not None else {}
    return [tuple(float(v) for v in domain[name]) if name in domain else DEFAULT_RANGE for name in variables]


def parse_box(spec: str, variables, *, fill: list | None = None, flag: str = "--box") -> list[tuple[float, float]]:
    """``"x=-2:2,y=-1:3"`` or ``"-2:2,-1:3"`` → one ``(lo, hi)`` per variable, in variable order.

    By name, a variable left out takes its range from ``fill`` (when given; otherwise it is an
    error).  Every range needs lo < hi, both finite.
    """
    variables = tuple(variables)
    parts = _parts(spec)
    if not parts:
        raise GdxError(f"{flag} is empty", kind="usage error", hint=_box_example(variables, flag))
    by_name = any("=" in p for p, _ in parts)
    ranges: dict[str, tuple[float, float]] = {}
    if by_name:
        for part, at in parts:
            name, sep, raw = part.partition("=")
            name = name.strip()
            if not sep or name not in variables:
                raise GdxError(
                    f"{flag}: unknown variable '{name}'" if sep else f"{flag}: '{part}' does not name a variable",
                    kind="usage error", source=spec, span=(at, at + len(part)),
                    hint=f"the variables are {', '.join(variables)}; {_box_example(variables, flag)}",
                )
            if name in ranges:
                raise GdxError(f"{flag}: '{name}' is given twice", kind="usage error", source=spec, span=(at, at + len(part)))
            ranges[name] = _range(raw, spec, at + len(part) - len(raw), flag)
        missing = [v for v in variables if v not in ranges]
        if missing and fill is None:
            raise GdxError(f"{flag}: no range for {', '.join(missing)}", kind="usage error", source=spec,
                           hint=_box_example(variables, flag))
        return [ranges[v] if v in ranges else tuple(fill[i]) for i, v in enumerate(variables)]
    if len(parts) != len(variables):
        raise GdxError(
            f"{flag} has {len(parts)} range{'s' if len(parts) != 1 else ''}, expected {len(variables)} ({', '.join(variables)})",
            kind="usage error", source=spec, hint=_box_example(variables, flag),
        )
    return [_range(part, spec, at, flag) for part, at in parts]


def _parts(spec: str) -> list[tuple[str, int]]:
    """Comma-separated parts with their offsets, surrounding blanks dropped."""
    out, at = [], 0
    for raw in spec.split(","):
        stripped = raw.strip()
        if stripped:
            out.append((stripped, at + raw.index(stripped)))
        at += len(raw) + 1
    return out


def _range(raw: str, spec: str, at: int, flag: str) -> tuple[float, float]:
    """``"-2:2"`` → (-2.0, 2.0); lo < hi, both finite."""
    lead = len(raw) - len(raw.lstrip())
    text = raw.strip()
    at += lead
    span = (at, at + len(text))
    lo_text, sep, hi_text = text.partition(":")
    if not sep:
        raise GdxError(f"{flag}: '{text}' is not a range lo:hi", kind="usage error", source=spec, span=span,
                       hint="write a range as lo:hi, for example -2:2")
    try:
        lo, hi = float(lo_text), float(hi_text)
    except ValueError:
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise GdxError(f"{flag}: '{text}' needs two finite numbers lo:hi", kind="usage error", source=spec, span=span)
    if not lo < hi:
        raise GdxError(f"{flag}: the range '{text}' is empty (lo must be < hi)", kind="usage error", source=spec, span=span)
    if not math.isfinite(hi - lo):
        raise GdxError(f"{flag}: the range '{text}' is too wide (hi − lo overflows float64)", kind="usage error",
                       source=spec, span=span, hint="give ends whose difference is below 1.8e308, e.g. -1e300:1e300")
    return (lo, hi)


def _box_example(variables, flag: str) -> str:
    shown = variables[:3] if variables else ("x", "y")
    return f'for example {flag} "' + ",".join(f"{v}=-2:2" for v in shown) + '"'


def fit_box(box, points, *, margin: float = 0.05, anchors=()) -> list[tuple[float, float]]:
    """Grow ``box`` (never shrink it) to hold the finite ``points`` (shape (N, n)), plus a margin,
    a grown edge rounded outward to a round unit (see :func:`_round_step`).

    ``anchors`` (the paths' start points) are always held.  Other points farther than
    FIT_REACH box-widths from the box so grown (a diverging run) are left out, so one runaway
    step does not shrink the landscape to a dot.
    """
    import numpy as np

    n = len(box)
    anchors = np.asarray(anchors, dtype=float).reshape(-1, n) if len(anchors) else np.zeros((0, n))
    anchors = anchors[np.all(np.isfinite(anchors), axis=1)]
    pts = np.asarray(points, dtype=float).reshape(-1, n) if len(points) else np.zeros((0, n))
    out = []
    for i, (lo, hi) in enumerate(box):
        reach_lo, reach_hi = lo, hi  # the box grown to hold the anchors
        if len(anchors):
            reach_lo, reach_hi = min(lo, float(anchors[:, i].min())), max(hi, float(anchors[:, i].max()))
        width = reach_hi - reach_lo
        col = pts[:, i]
        near = col[np.isfinite(col) & (col > reach_lo - FIT_REACH * width) & (col < reach_hi + FIT_REACH * width)]
        new_lo = min(reach_lo, float(near.min())) if len(near) else reach_lo
        new_hi = max(reach_hi, float(near.max())) if len(near) else reach_hi
        pad = margin * (new_hi - new_lo)
        q = _round_step(new_hi - new_lo)
        out.append((math.floor((new_lo - pad) / q) * q if new_lo < lo else lo,
                    math.ceil((new_hi + pad) / q) * q if new_hi > hi else hi))
    return out


def settled_part(points, values):
    """The part of a path a fitted box holds: its rows up to the last one whose loss is finite and
    no higher than at the start (``values[0]``), non-finite rows dropped.  A diverging run's loss
    climbs past f(x₀) for good, so its runaway steps are left out; a converging run that overshoots
    and comes back below f(x₀) is held whole."""
    import numpy as np

    pts = np.asarray(points, dtype=float)
    values = np.asarray(values, dtype=float)
    if not len(pts):
        return pts
    below = np.isfinite(values) & (values <= values[0]) if np.isfinite(values[0]) else np.zeros(len(values), bool)
    last = int(np.flatnonzero(below).max()) if below.any() else 0
    head = pts[: last + 1]
    return head[np.all(np.isfinite(head), axis=1)]


def _round_step(width: float) -> float:
    """A round unit (1, 2 or 5 × 10ᵏ) near width/8, to which a grown box edge is rounded outward."""
    raw = width / 8
    base = 10 ** math.floor(math.log10(raw))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= raw)


# -- slices -----------------------------------------------------------------------------------
def plot_indices(variables, plot_vars) -> tuple[int, int]:
    """The indices of the two plotted variables (given as names or indices)."""
    variables = tuple(variables)
    out = []
    for v in plot_vars:
        if isinstance(v, str):
            if v not in variables:
                raise GdxError(f"unknown variable '{v}'", kind="usage error", hint=f"the variables are {', '.join(variables)}")
            out.append(variables.index(v))
        else:
            out.append(int(v))
    if len(out) != 2 or out[0] == out[1]:
        raise GdxError("choose two different variables to plot", kind="usage error")
    return out[0], out[1]


def parse_slice(spec: str | None, variables, plot_vars, *, defaults: dict | None = None) -> dict[str, float]:
    """``"z=0.5,w=1"`` → a value for every variable that is not plotted.

    A variable the spec leaves out takes ``defaults[name]`` (when given; otherwise it is an
    error naming it).  Naming a plotted variable is an error: the slice fixes the others.
    """
    variables = tuple(variables)
    ix, iy = plot_indices(variables, plot_vars)
    plotted = {variables[ix], variables[iy]}
    others = [v for v in variables if v not in plotted]
    values: dict[str, float] = {}
    for part, at in _parts(spec or ""):
        name, sep, raw = part.partition("=")
        name = name.strip()
        span = (at, at + len(part))
        if not sep:
            raise GdxError(f"--slice: '{part}' is not name=value", kind="usage error", source=spec, span=span,
                           hint=_slice_example(others))
        if name in plotted:
            raise GdxError(f"--slice: '{name}' is plotted, so it cannot be fixed", kind="usage error", source=spec,
                           span=span, hint=f"--slice fixes the variables that are not plotted: {', '.join(others) or 'none'}")
        if name not in variables:
            raise GdxError(f"--slice: unknown variable '{name}'", kind="usage error", source=spec, span=span,
                           hint=f"the variables are {', '.join(variables)}")
        if name in values:
            raise GdxError(f"--slice: '{name}' is given twice", kind="usage error", source=spec, span=span)
        values[name] = finite_number(raw, flag="--slice", source=spec, span=span)
    missing = [v for v in others if v not in values]
    if missing:
        if defaults is None or any(v not in defaults for v in missing):
            raise GdxError(f"--slice: no value for {', '.join(missing)}", kind="usage error", source=spec,
                           hint=f"{', '.join(sorted(plotted))} are plotted; fix the others: {_slice_example(others)}")
        values.update({v: float(defaults[v]) for v in missing})
    return {v: values[v] for v in others}


def _slice_example(others) -> str:
    return 'for example --slice "' + ",".join(f"{v}=0" for v in others or ("z",)) + '"'


# -- the grid ---------------------------------------------------------------------------------
def grid(compiled, box, shape=(40, 80), fixed: dict | None = None, plot_vars=(0, 1)) -> Grid:
    """Sample f on ``shape = (rows, cols)`` points spanning the box of the two plotted variables.

    ``box`` has one (lo, hi) per variable (or just the two plotted ones); ``fixed`` gives the
    value of every other variable (by name).  One batched call ``compiled.value(X)`` with X of
    shape (rows, cols, n); non-finite values (and evaluation warnings) become nan.
    """
    import numpy as np

    variables = tuple(compiled.variables)
    n = len(variables)
    if n < 2:
        raise GdxError(f"a landscape needs 2 or more variables; this function has {n} ({', '.join(variables)})",
                       kind="usage error")
    ix, iy = plot_indices(variables, plot_vars)
    (x_lo, x_hi), (y_lo, y_hi) = (box[ix], box[iy]) if len(box) == n else (box[0], box[1])
    rows, cols = int(shape[0]), int(shape[1])
    xs = np.linspace(x_lo, x_hi, cols)
    ys = np.linspace(y_lo, y_hi, rows)
    fixed = dict(fixed or {})
    X = np.empty((rows, cols, n))
    for i, name in enumerate(variables):
        if i in (ix, iy):
            continue
        if name not in fixed:
            raise GdxError(f"no value for {name}: the landscape is a slice", kind="usage error",
                           hint=_slice_example([v for j, v in enumerate(variables) if j not in (ix, iy)]))
        X[:, :, i] = float(fixed[name])
    X[:, :, ix] = xs[None, :]
    X[:, :, iy] = ys[:, None]
    with np.errstate(all="ignore"):
        try:
            values = np.asarray(compiled.value(X), dtype=float)
        except (ArithmeticError, ValueError, TypeError):  # e.g. a complex result: sample one by one
            values = _pointwise(compiled, X)
    values = np.where(np.isfinite(values), values, np.nan)
    return Grid(xs, ys, values, (variables[ix], variables[iy]),
                {v: float(fixed[v]) for j, v in enumerate(variables) if j not in (ix, iy)})


def _pointwise(compiled, X):
    import numpy as np

    out = np.full(X.shape[:2], np.nan)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            try:
                out[i, j] = float(compiled.value(X[i, j]))
            except (ArithmeticError, ValueError, TypeError):
                pass
    return out


# -- levels -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Levels:
    """``count`` bands of f: band b holds f in [edges[b], edges[b+1]) (the last one closed).

    With ``log``, the edges are equally spaced in log10(f − f_min + ε), else in f.
    """

    edges: tuple
    log: bool
    f_min: float
    f_max: float
    eps: float = 0.0
    count: int = field(default=0)

    def index(self, values):
        """Band of each value (an int array); −1 where the value is nan."""
        import numpy as np

        v = np.asarray(values, dtype=float)
        inner = np.asarray(self.edges[1:-1], dtype=float)
        out = np.searchsorted(inner, v, side="right")
        return np.where(np.isnan(v), -1, out)

    @property
    def factor(self) -> float:
        """With log levels: how many times f − f_min + ε grows from one band to the next."""
        if not self.log or self.count == 0:
            return math.nan
        return ((self.f_max - self.f_min + self.eps) / self.eps) ** (1.0 / self.count)


def wants_log(values) -> bool:
    """Log levels when g = f − f_min spans decades: max(g) ≥ LOG_SPAN × (10th percentile of g).

    On a 40×80 grid: x²+3y² on [−2, 2]² gives 17 (linear), Rastrigin 5 (linear), Rosenbrock
    on [−2, 2]×[−1, 3] 320 (log), Goldstein–Price on [−2, 2]² 4·10³ (log), Beale 2·10⁴ (log).
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 4:
        return False
    g = v - v.min()
    high = float(g.max())
    low = float(np.quantile(g, 0.1))
    if low <= 0:  # a flat floor: measure the span of the rest
        positive = g[g > 0]
        if positive.size == 0:
            return False
        low = float(np.quantile(positive, 0.1))
    return bool(high / low >= LOG_SPAN)


def levels(values, count: int = 10, log: bool | None = None) -> Levels:
    """Cut the finite values into ``count`` bands (see :class:`Levels`); ``log=None`` decides by :func:`wants_log`."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return Levels(tuple(float(i) for i in range(count + 1)), False, 0.0, float(count), 0.0, count)
    f_min, f_max = float(finite.min()), float(finite.max())
    if log is None:
        log = wants_log(finite)
    if f_max <= f_min:
        return Levels(tuple(f_min + i for i in range(count + 1)), False, f_min, f_min + count, 0.0, count)
    if not log:
        return Levels(tuple(np.linspace(f_min, f_max, count + 1).tolist()), False, f_min, f_max, 0.0, count)
    g = finite - f_min
    positive = g[g > 0]
    eps = float(np.quantile(positive, LOG_FLOOR_QUANTILE)) if positive.size else 1.0
    eps = max(eps, (f_max - f_min) * 1e-12)
    t = np.linspace(math.log10(eps), math.log10(f_max - f_min + eps), count + 1)
    edges = f_min + 10.0**t - eps
    edges[0], edges[-1] = f_min, f_max
    return Levels(tuple(edges.tolist()), True, f_min, f_max, eps, count)


# -- markers ----------------------------------------------------------------------------------
def known_points(target, fixed: dict | None = None, plot_vars=(0, 1), *, tol: float = 1e-9) -> list:
    """The preset's known minima (and other listed points) that lie on the plotted slice.

    Returns ``(label, (x, y), kind)`` for each; a point whose fixed coordinates differ from
    the slice by more than ``tol`` (relative) is not on it and is left out.
    """
    preset = getattr(target, "preset", None)
    if preset is None:
        return []
    variables = tuple(target.problem.variables)
    ix, iy = plot_indices(variables, plot_vars)
    fixed = dict(fixed or {})
    out = []
    for m in getattr(preset, "minima", ()) or ():
        at = tuple(float(v) for v in m.at)
        if len(at) != len(variables):
            continue
        on_slice = all(abs(at[i] - fixed[v]) <= tol * (1 + abs(fixed[v])) for i, v in enumerate(variables)
                       if i not in (ix, iy) and v in fixed)
        if on_slice:
            kind = getattr(m, "kind", "minimum") or "minimum"
            out.append((kind, (at[ix], at[iy]), kind))
    return out


#: Seconds ``gdx plot`` may spend looking for critical points before drawing without them.
CRITICAL_BUDGET = 1.0
#: More critical points than this (Rastrigin has hundreds) are not marked: they would hide f.
MAX_MARKS = 40


def critical_marks(compiled, box, *, budget=CRITICAL_BUDGET) -> list | None:
    """The critical points of a 2-D f in ``box`` as ``(kind, (x, y), kind)``, or None when not cheap.

    Uses :func:`gdx.analysis.critical_points` (numeric search only, no symbolic solving) in a
    :func:`gdx.sandbox.bounded` child (memory-bounded), killed and reaped after ``budget``
    seconds or at a :class:`gdx.sandbox.Deadline`; nothing keeps running past the budget.
    Only for exactly 2 variables, and only when there are at most MAX_MARKS of them; None on
    timeout or any failure (markers are a nicety; the plot must not fail for them).
    """
    from .sandbox import Deadline, SandboxError, bounded

    if compiled.n != 2:
        return None
    if isinstance(budget, Deadline):
        if budget.expired:
            return None
    elif not budget or budget <= 0:
        return None
    try:
        return bounded(_marks_in_child, compiled, [tuple(b) for b in box], timeout=budget,
                       what="the critical-point search")
    except (GdxError, SandboxError, OSError):  # OSError: no fork possible right now
        return None


def _marks_in_child(compiled, box) -> list | None:  # pragma: no cover - runs in the bounded child
    """critical_marks' work, as plain picklable data (None: more than MAX_MARKS points)."""
    from .analysis import critical_points

    found = critical_points(compiled, box, timeout=0)
    if len(found) > MAX_MARKS:
        return None
    return [(str(p.kind), (float(p.at[0]), float(p.at[1])), str(p.kind)) for p in found]


def merge_marks(known: list, critical: list | None, box2, *, cells: float = 0.01) -> list:
    """Known points first; a critical point within ``cells`` × the box size of a known one is dropped."""
    out = list(known)
    (x_lo, x_hi), (y_lo, y_hi) = box2
    for label, (x, y), kind in critical or ():
        near = any(abs(x - kx) <= cells * (x_hi - x_lo) and abs(y - ky) <= cells * (y_hi - y_lo)
                   for _, (kx, ky), _ in out)
        if not near:
            out.append((label, (x, y), kind))
    return out
