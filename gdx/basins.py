"""Many starts: which minimum (or other critical point) each start reaches, and the basin map.

* **Starts**: N points uniform in the box (``numpy.random.default_rng(seed)``, so a seed gives
  the same starts every time), run as ONE batch by :func:`gdx.batch.run_batch`.
* **Assignment**: let r = ``RADIUS`` × the box's diagonal.  A run that diverged or faulted is
  in no basin.  Any other run's end point goes to the nearest known minimum (a preset's) when
  one lies within r; otherwise the end points of runs that converged are grouped greedily
  (best-converged first: a point joins the first group whose representative is within r, else
  founds a new group).  A run that did not converge (it stopped at --steps) joins a basin whose
  point is within r of its end, but founds none: its end point is no critical point, so it has
  no kind; it is counted as not converged (:data:`NOT_CONVERGED`).
* **Basin**: a known minimum, or a group's representative (its member with the smallest
  ‖∇f‖); f there; its kind from the Hessian's eigenvalues there (:func:`gdx.analysis.classify`:
  minimum / maximum / saddle / degenerate).  Basins are listed by number of runs (then by f)
  and labelled A, B, C, ….
* **Basin map** (two variables): the box cut into rows × cols cells, one run from each cell's
  centre (again one batch); each cell gets the basin its run reached by the same rule, a basin
  found only by the map is added with 0 runs.

Pure: numpy imported inside functions, nothing printed.
"""

from __future__ import annotations

from .numbers import json_number as _plain

import math
import string
from dataclasses import dataclass, field
from typing import Any

#: End points closer than RADIUS × (the box's diagonal) are the same point.
RADIUS = 0.01
#: Label of a run that diverged or faulted (in the map and the assignments).
FAILED = -1
#: Label of a run that stopped before converging, away from every basin (map and assignments).
NOT_CONVERGED = -2


@dataclass
class Basin:
    """Where some runs ended."""

    label: str
    point: tuple[float, ...]
    value: float  # f at the point
    kind: str  # minimum / maximum / saddle / degenerate
    count: int  # runs (of the N random starts) that ended here
    converged: int  # of those, how many converged (‖∇f‖ ≤ tol)
    known: str | None = None  # "global minimum" / "local minimum" when it is a preset's

    def to_dict(self, total: int) -> dict:
        return {
            "label": self.label,
            "point": [_plain(v) for v in self.point],
            "f": _plain(self.value),
            "kind": self.kind,
            "count": self.count,
            "share": self.count / total if total else 0.0,
            "converged": self.converged,
            "known": self.known,
        }


@dataclass
class BasinMap:
    """Cell (r, c) → index into the basin list (FAILED for a failed run); row 0 = the top (largest y)."""

    xs: Any  # (cols,) cell centres
    ys: Any  # (rows,) cell centres, descending
    cells: Any  # (rows, cols) int


@dataclass
class MultiStart:
    """N random starts, their runs and the basins they reached."""

    box: list  # [(lo, hi)] per variable
    seed: int
    starts: Any  # (N, n)
    batch: Any  # gdx.batch.BatchResult
    basins: list  # [Basin]
    assigned: Any  # (N,) basin index per run, FAILED for diverged/fault
    radius: float
    map: BasinMap | None = None
    extra: dict = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return int((self.assigned == FAILED).sum())

    @property
    def not_converged(self) -> int:
        """Runs that stopped at --steps away from every basin (in none)."""
        return int((self.assigned == NOT_CONVERGED).sum())

    def to_dict(self) -> dict:
        N = len(self.assigned)
        out = {
            "starts": N,
            "seed": self.seed,
            "box": [list(b) for b in self.box],
            "radius": self.radius,
            "basins": [b.to_dict(N) for b in self.basins],
            "diverged": self.failed,
            "not_converged": self.not_converged,
            "statuses": self.batch.counts(),
            "assignments": [self.basins[i].label if i >= 0 else None for i in self.assigned.tolist()],
        }
        if self.map is not None:
            out["map"] = {
                "xs": [float(v) for v in self.map.xs],
                "ys": [float(v) for v in self.map.ys],
                "rows": ["".join(self.basins[i].label if i >= 0 else "×" if i == FAILED else "·" for i in row) for row in self.map.cells.tolist()],
            }
        return out




def random_starts(box, N: int, seed: int):
    """N points uniform in the box, from numpy's default_rng(seed)."""
    import numpy as np

    lo = np.array([b[0] for b in box], float)
    hi = np.array([b[1] for b in box], float)
    return np.random.default_rng(seed).uniform(lo, hi, size=(N, len(box)))


def grid_starts(box, rows: int, cols: int):
    """The centres of a rows × cols grid of cells over a 2-D box: (xs, ys descending, (rows·cols, 2))."""
    import numpy as np

    (x0, x1), (y0, y1) = box
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y1 - (np.arange(rows) + 0.5) * (y1 - y0) / rows
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, np.stack([X.reshape(-1), Y.reshape(-1)], axis=-1)


def radius_of(box, frac: float = RADIUS) -> float:
    """frac × the box's diagonal."""
    return frac * math.sqrt(sum((hi - lo) ** 2 for lo, hi in box))


def nearest_within(points, centres, radius: float):
    """(P,) index of the nearest centre within radius of each point, -1 where none is."""
    import numpy as np

    points = np.asarray(points, float)
    if len(centres) == 0 or len(points) == 0:
        return np.full(len(points), -1, dtype=int)
    c = np.asarray(centres, float)
    d = np.sqrt(((points[:, None, :] - c[None, :, :]) ** 2).sum(-1))
    idx = d.argmin(axis=1)
    return np.where(d[np.arange(len(points)), idx] <= radius, idx, -1)


def group(points, order, radius: float) -> tuple[list[int], Any]:
    """Greedy grouping: visiting points in ``order``, each joins the first representative within
    radius or becomes one.  Returns (representatives as point indices, (P,) group per point)."""
    import numpy as np

    points = np.asarray(points, float)
    reps: list[int] = []
    which = np.full(len(points), -1, dtype=int)
    for i in order:
        if reps:
            d = np.sqrt(((points[reps] - points[i]) ** 2).sum(-1))
            j = int(d.argmin())
            if d[j] <= radius:
                which[i] = j
                continue
        reps.append(int(i))
        which[i] = len(reps) - 1
    return reps, which


def kind_at(compiled, point) -> str:
    """minimum / maximum / saddle / degenerate from the Hessian's eigenvalues at point."""
    from .analysis import classify, eigen

    lams, _ = eigen(compiled.hess(point))
    return classify(lams)


def assign(compiled, batch, known=(), radius: float = 0.0, *, start_label: int = 0, basins=None):
    """(basins, (B,) basin index per run) for the runs of ``batch``.

    ``known``: preset minima (objects with ``at``, ``value``, ``kind``).  ``basins``: basins
    already found (the map reuses the random starts' basins; new ones are appended, 0 runs).
    """
    import numpy as np

    ok = ~batch.failed & np.all(np.isfinite(batch.x), axis=-1)
    ends = batch.x
    assigned = np.full(len(ends), FAILED, dtype=int)
    basins = list(basins or [])
    given = len(basins)  # their counts are the random starts' (the map's runs are not counted)
    # 1. basins already listed
    if basins:
        near = nearest_within(ends, [b.point for b in basins], radius)
        hit = ok & (near >= 0)
        assigned[hit] = near[hit]
    # 2. known minima not yet listed
    fresh = ok & (assigned == FAILED)
    known = [m for m in known if not any(math.dist(m.at, b.point) <= radius for b in basins)]
    if known and fresh.any():
        near = nearest_within(ends, [m.at for m in known], radius)
        for j, m in enumerate(known):
            members = fresh & (near == j)
            if members.any():
                basins.append(_basin(compiled, tuple(float(v) for v in m.at), members, batch,
                                     known=f"{m.kind} minimum"))
                assigned[members] = len(basins) - 1
    # 3. groups of the remaining end points of converged runs
    converged = np.array([st.value == "converged" for st in batch.status], dtype=bool)
    rest = np.flatnonzero(ok & converged & (assigned == FAILED))
    if len(rest):
        order = rest[np.argsort(batch.grad_norm[rest], kind="stable")]
        reps, which = group(ends, order, radius)
        for g, rep in enumerate(reps):
            members = np.zeros(len(ends), dtype=bool)
            members[order] = which[order] == g
            basins.append(_basin(compiled, tuple(float(v) for v in ends[rep]), members, batch))
            assigned[members] = len(basins) - 1
    # 4. runs that did not converge: the basin within r of their end, else none
    left = ok & ~converged & (assigned == FAILED)
    if left.any() and basins:
        near = nearest_within(ends, [b.point for b in basins], radius)
        hit = left & (near >= 0)
        assigned[hit] = near[hit]
        for j in np.unique(near[hit]):
            if j >= given:
                basins[j].count += int((hit & (near == j)).sum())
    assigned[ok & (assigned == FAILED)] = NOT_CONVERGED
    return basins, assigned


def _basin(compiled, point, members, batch, known=None) -> Basin:
    import numpy as np

    converged = int(sum(batch.status[i].value == "converged" for i in np.flatnonzero(members)))
    return Basin(
        label="?",
        point=point,
        value=float(compiled.value(np.asarray(point, float))),
        kind=kind_at(compiled, np.asarray(point, float)),
        count=int(members.sum()),
        converged=converged,
        known=known,
    )


def _labels(n: int) -> list[str]:
    """A, B, …, Z, AA, AB, … (n of them)."""
    letters = string.ascii_uppercase
    out = []
    for i in range(n):
        s, k = "", i
        while True:
            s = letters[k % 26] + s
            k = k // 26 - 1
            if k < 0:
                break
        out.append(s)
    return out


def _relabel(basins, *assignments):
    """Sort basins by runs (desc), then f, then point; relabel A, B, …; remap assignment arrays."""
    import numpy as np

    order = sorted(range(len(basins)), key=lambda i: (-basins[i].count, basins[i].value, basins[i].point))
    new_index = {old: new for new, old in enumerate(order)}
    sorted_basins = [basins[i] for i in order]
    for b, label in zip(sorted_basins, _labels(len(sorted_basins))):
        b.label = label
    remapped = []
    for a in assignments:
        a = np.asarray(a)
        remapped.append(np.vectorize(lambda v: new_index.get(int(v), int(v)), otypes=[int])(a) if a.size else a)
    return sorted_basins, remapped


def multistart(
    compiled,
    optimizer,
    box,
    N: int,
    seed: int,
    *,
    steps: int = 1000,
    tol: float = 1e-6,
    schedule_fn=None,
    clip_norm: float | None = None,
    known=(),
    map_shape: tuple[int, int] | None = (20, 40),
    radius_frac: float = RADIUS,
    batches=None,
) -> MultiStart:
    """Run N random starts in ``box`` (one batch), assign basins, and (for 2 variables and a
    ``map_shape`` = (rows, cols)) the basin map from a grid of starts (a second batch)."""
    from .batch import run_batch
    from .errors import GdxError

    if N < 1:
        raise GdxError(f"--starts must be 1 or more, got {N}", kind="usage error")
    box = [(float(lo), float(hi)) for lo, hi in box]
    radius = radius_of(box, radius_frac)
    starts = random_starts(box, N, seed)
    batch = run_batch(compiled, optimizer, starts, steps=steps, tol=tol, schedule_fn=schedule_fn, clip_norm=clip_norm,
                      batches=batches)
    basins, assigned = assign(compiled, batch, known, radius)
    basin_map = None
    cells = None
    if map_shape is not None and len(box) == 2:
        rows, cols = map_shape
        xs, ys, grid = grid_starts(box, rows, cols)
        gbatch = run_batch(compiled, optimizer, grid, steps=steps, tol=tol, schedule_fn=schedule_fn, clip_norm=clip_norm,
                           batches=batches)
        n_before = len(basins)
        basins, cells = assign(compiled, gbatch, known, radius, basins=basins)
        for b in basins[n_before:]:
            b.count, b.converged = 0, 0  # found only by the map
        basin_map = BasinMap(xs, ys, cells.reshape(rows, cols))
    if cells is None:
        basins, (assigned,) = _relabel(basins, assigned)
    else:
        basins, (assigned, flat) = _relabel(basins, assigned, basin_map.cells)
        basin_map.cells = flat
    return MultiStart(box=box, seed=seed, starts=starts, batch=batch, basins=basins, assigned=assigned,
                      radius=radius, map=basin_map)
