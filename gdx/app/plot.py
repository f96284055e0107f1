"""The landscape a command draws, as data: the box, the plotted variables, the slice, the
markers (known minima, critical points) and the paths projected on the plotted variables.

Shared by ``gdx plot``, ``gdx compare`` and ``gdx optimize --landscape/--png``; rendering is
:mod:`gdx.render.landscape` (terminal) and :mod:`gdx.render.png` (files).  Rules:

* the box is ``--box``, else the preset's domain, else (for paths without a preset) a box
  around their start points (:func:`around`); then grown to hold the paths
  (:func:`gdx.landscape.fit_box`);
* the variables not plotted are fixed at ``--slice``, else the preset's first known minimum,
  else 0;
* critical points are marked for functions of exactly two variables when the numeric search
  finishes within its budget (:func:`gdx.landscape.critical_marks`);
* a function of one variable is a :class:`Curve`, f and f′ over its range, the paths on it.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GdxError


def plot(function: str, *, variables=None, box=None, slice_spec=None, axes=None, paths=(), critical=True,
         timeout=None, png=None, log=None, data=None):
    """``gdx plot``: the scene of FUNCTION with the path files ``paths`` on it (and its figure);
    with ``data`` (--data) the surface is the full-data mean loss over two parameters."""
    from ..sandbox import Deadline
    from .prepare import compile_target, resolve, symbolic_timeout

    budget = Deadline(symbolic_timeout(timeout))  # the derivatives and the critical-point marks share it
    if png is not None:
        from ..render.png import prepare_png

        prepare_png(png)
    target = resolve(function, variables, timeout=budget, data=data)
    if target.problem.n == 1:
        from .flags import refuse_inapplicable

        refuse_inapplicable({"--slice": slice_spec is not None, "--axes": axes is not None, "--png": png is not None},
                            because="to a function of one variable (gdx plot draws its curve)",
                            hint="a curve has no slice or axes to choose; --png draws landscapes of two or more variables")
        raw_paths = [read_path(p, target.problem.variables) for p in paths]
        return curve(target, compile_target(target, budget), box_spec=box, paths=raw_paths)
    require_2d(target)
    raw_paths = [read_path(p, target.problem.variables) for p in paths]
    compiled = compile_target(target, budget)
    scene = build_scene(target, compiled, box_spec=box, slice_spec=slice_spec, axes=axes,
                        paths=raw_paths, critical=critical, budget=marks_budget(budget))
    if png is not None:
        write_scene_png(png, scene, log=log)
    return scene


@dataclass
class Curve:
    """A function of one variable over [lo, hi]: f and f′ at ``x`` (:data:`CURVE_POINTS`
    points), its known minima, and each path's points on the curve, (label, x_k, f(x_k))."""

    target: object
    compiled: object
    lo: float
    hi: float
    x: object
    f: object
    df: object
    minima: list = field(default_factory=list)  # (x, f)
    paths: list = field(default_factory=list)


#: Points where f and f′ are evaluated for a curve.
CURVE_POINTS = 801


def curve(target, compiled, *, box_spec=None, paths=()) -> Curve:
    """The curve of a one-variable function: the box is --box, else the preset's domain, else
    -5:5, grown to hold the paths; f and f′ from the compiled function (one batched call)."""
    import numpy as np

    from ..landscape import default_box, parse_box

    (lo, hi), = default_box(target) if box_spec is None else parse_box(box_spec, target.problem.variables,
                                                                       fill=default_box(target))
    for _, xs in paths:
        finite = xs[np.isfinite(xs[:, 0]), 0]
        if len(finite):
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    x = np.linspace(lo, hi, CURVE_POINTS)
    with np.errstate(all="ignore"):
        f, g = compiled.value_and_grad(x[:, None])
        drawn = [(label, xs[:, 0], np.asarray(compiled.value(xs), dtype=float)) for label, xs in paths]
    preset = getattr(target, "preset", None)
    minima = [(m.at[0], m.value) for m in preset.minima] if preset is not None else []
    return Curve(target, compiled, lo, hi, x, np.asarray(f, float), np.asarray(g, float)[:, 0], minima, drawn)


def check_choice(flag: str, value: str, choices) -> str:
    """``value`` if it is one of ``choices``, else a usage error with the closest choice."""
    from ..errors import did_you_mean

    if value not in choices:
        raise GdxError(f"{flag}: unknown value '{value}'", kind="usage error",
                       hint=did_you_mean(value, choices) or "choose one of: " + ", ".join(choices))
    return value


def scale_flag(scale: str) -> bool | None:
    """--scale auto|log|linear → None|True|False."""
    return {"auto": None, "log": True, "linear": False}[check_choice("--scale", scale, ("auto", "log", "linear"))]


def require_2d(target) -> None:
    """A landscape needs two or more variables: refuse a function of one before any work."""
    n = target.problem.n
    if n < 2:
        raise GdxError(
            f"a landscape needs two or more variables; {target.label} has {n} ({', '.join(target.problem.variables)})",
            kind="usage error",
            hint="gdx plot draws a function of one variable as its curve (f and f′); gdx optimize draws the loss curve",
        )


# -- paths from files -------------------------------------------------------------------------
def read_path(path, variables) -> tuple[str, object]:
    """A path file exported by gdx → (label, (N, n) array in ``variables`` order).

    CSV (``step,<vars>,loss,…``) or JSON (``{"variables": …, "path": [rows]}``).  Its variables
    must be the function's (in any order).
    """
    import json

    import numpy as np

    from ..errors import ExitCode
    from ..render.export import read_csv_path

    from ..paths import unusable

    p = Path(path)
    try:
        is_file, exists = p.is_file(), p.exists()
    except OSError as exc:  # a name too long for the file system, say
        raise unusable("--path", p, exc) from None
    if not is_file:
        raise GdxError(f"--path: '{p}' does not exist" if not exists else f"--path: '{p}' is not a file",
                       kind="usage error", exit_code=ExitCode.USAGE)
    try:
        if p.suffix.lower() == ".json":
            doc = json.loads(p.read_text(encoding="utf-8"))
            names = tuple(doc["variables"])
            rows = doc["path"]
            columns = {v: np.array([float(r[v]) for r in rows]) for v in names}
        else:
            names, columns = read_csv_path(p)
    except GdxError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise GdxError(f"--path: could not read '{p}' as a gdx path ({type(exc).__name__}: {exc})",
                       kind="input error") from None
    if sorted(names) != sorted(variables):
        raise GdxError(
            f"--path: '{p}' has variables ({', '.join(names)}) but the function has ({', '.join(variables)})",
            kind="usage error",
            hint="plot the function the path was exported from",
        )
    if not len(columns[variables[0]]):
        raise GdxError(f"--path: '{p}' has no points", kind="input error")
    return p.stem, np.stack([columns[v] for v in variables], axis=1)


# -- the scene --------------------------------------------------------------------------------
@dataclass
class Scene:
    """What a landscape shows: box, plotted variables, slice, markers and paths (in plot coordinates)."""

    target: object
    compiled: object
    box: list
    plot_vars: tuple
    fixed: dict
    points: list  # (label, (x, y), kind)
    paths: list = field(default_factory=list)  # (label, (N, 2) array)

    @property
    def box2(self):
        return (tuple(self.box[self.plot_vars[0]]), tuple(self.box[self.plot_vars[1]]))

    def grid(self, shape):
        from ..landscape import grid

        return grid(self.compiled, self.box, shape, fixed=self.fixed, plot_vars=self.plot_vars)


def slice_defaults(target) -> dict:
    """Values for the variables not plotted: the preset's first known minimum, else its start… else 0."""
    variables = target.problem.variables
    preset = target.preset
    if preset is not None and getattr(preset, "minima", None):
        return dict(zip(variables, (float(v) for v in preset.minima[0].at)))
    return {v: 0.0 for v in variables}


def around(points, *, half_width: float = 2.0) -> list[tuple[float, float]]:
    """Without a preset's domain, a box centred on the origin's grid around the start points:
    each axis spans the starts ± ``half_width``, rounded out to whole units (−2:2 for a start
    at (1.5, 0.8)), so a path is drawn at a readable size rather than lost in a fixed box."""
    import math

    import numpy as np

    pts = np.asarray(points, dtype=float)
    lo = np.minimum(pts.min(axis=0), 0.0) - 0.5
    hi = np.maximum(pts.max(axis=0), 0.0) + 0.5
    return [(float(math.floor(min(a, -half_width))), float(math.ceil(max(b, half_width)))) for a, b in zip(lo, hi)]


def marks_budget(budget):
    """The critical-point marks' budget: at most CRITICAL_BUDGET seconds, and never past
    ``budget`` (a Deadline, or the command's --timeout in seconds)."""
    from ..landscape import CRITICAL_BUDGET
    from ..sandbox import Deadline

    left = budget.left() if isinstance(budget, Deadline) else float(budget)
    return Deadline(min(CRITICAL_BUDGET, left))


def build_scene(target, compiled, *, box_spec=None, slice_spec=None, axes=None, paths=(), critical=True,
                budget=None, box=None) -> Scene:
    """Box (fitted to the paths when --box is not given), slice, markers and projected paths
    (critical points searched within ``budget``, default gdx.landscape.CRITICAL_BUDGET).
    ``box``: the box itself, [(lo, hi)] per variable (--starts: the box of the random starts)."""
    from ..landscape import (CRITICAL_BUDGET, critical_marks, default_box, fit_box, known_points, merge_marks, parse_box,
                             parse_slice, plot_indices)

    variables = target.problem.variables
    axes_names = _axes(axes, variables)
    plot_vars = plot_indices(variables, axes_names)
    fixed = parse_slice(slice_spec, variables, plot_vars, defaults=slice_defaults(target))
    base = default_box(target)
    if box is not None:
        box = [(float(lo), float(hi)) for lo, hi in box]
    elif box_spec:
        box = parse_box(box_spec, variables, fill=base)
    else:
        import numpy as np

        pts = [p for _, p in paths]
        starts = [p[0] for p in pts if len(p)]
        if target.preset is None and starts:
            base = around(starts)
        held = [_settled(compiled, p) for p in pts]
        box = fit_box(base, np.concatenate(held) if held else [], anchors=starts)
    ix, iy = plot_vars
    projected = [(label, p[:, [ix, iy]]) for label, p in paths]
    marks = known_points(target, fixed, plot_vars)
    for i, (label, xy, kind) in enumerate(marks):
        marks[i] = ("local minimum" if "local" in (kind or "") else "minimum", xy, "minimum")
    if critical and target.problem.n == 2:
        box2 = [box[ix], box[iy]]
        found = cached_marks(target, box2)
        if found is None:
            found = critical_marks(compiled, box2, budget=budget if budget is not None else marks_budget(CRITICAL_BUDGET))
            keep_marks(target, box2, found)
        marks = merge_marks(marks, found, (box[ix], box[iy]))
    return Scene(target, compiled, box, plot_vars, fixed, marks, projected)


#: The kinds a critical-point mark may have (gdx.analysis.classify), checked on a cached one.
MARK_KINDS = ("minimum", "maximum", "saddle", "degenerate", "local minimum", "local maximum")


def cached_marks(target, box2) -> list | None:
    """The critical-point marks of this function in this box from the compiled cache (the
    numeric search is deterministic: the same function and box find the same points), or None.
    A cached value is used only when it has the shape of marks, else it is ignored."""
    from .prepare import known_finding

    value = known_finding(target, "critical-marks", [list(b) for b in box2])
    try:
        marks = [(str(a), (float(x), float(y)), str(k)) for a, (x, y), k in value]
    except (TypeError, ValueError):
        return None
    if not all(a in MARK_KINDS and k in MARK_KINDS and math.isfinite(x) and math.isfinite(y) for a, (x, y), k in marks):
        return None
    return marks


def keep_marks(target, box2, marks) -> None:
    """Store marks found (not a timeout or a refusal, None: those depend on the machine's load)."""
    from .prepare import keep_finding

    if marks is not None:
        keep_finding(target, "critical-marks", [list(b) for b in box2], [[a, [x, y], k] for a, (x, y), k in marks])


def _settled(compiled, points):
    """The part of a path the fitted box holds (:func:`gdx.landscape.settled_part`), f evaluated here
    so paths read from files are treated like fresh runs."""
    import numpy as np

    from ..landscape import settled_part

    pts = np.asarray(points, dtype=float).reshape(len(points), -1)
    if not len(pts):
        return pts
    with np.errstate(all="ignore"):
        safe = np.where(np.isfinite(pts), pts, 0.0)
        values = np.where(np.all(np.isfinite(pts), axis=1), np.asarray(compiled.value(safe), float), np.nan)
    return settled_part(pts, values)


def _axes(spec, variables):
    if not spec:
        return (0, 1)
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if len(names) != 2:
        raise GdxError(f"--axes needs two variables, got {len(names)}", kind="usage error", source=spec,
                       hint=f"for example --axes \"{variables[0]},{variables[-1]}\"")
    for name in names:
        if name not in variables:
            i = spec.find(name)
            raise GdxError(f"--axes: unknown variable '{name}'", kind="usage error", source=spec,
                           span=(i, i + len(name)), hint=f"the variables are {', '.join(variables)}")
    return tuple(names)


def write_scene_png(path, scene, *, log=None, curves=(), title=None) -> None:
    """The publication figure of the scene (and loss curves when given)."""
    from ..render.png import PNG_GRID, write_figure
    from ..render.mathtext import problem_text

    g = scene.grid(PNG_GRID)
    if title is None:
        title = scene.target.preset.title if scene.target.preset is not None else f"f = {problem_text(scene.target.problem)}"
        if getattr(scene.target, "data", None) is not None:
            title = f"L = mean over {scene.target.data.rows} rows of {problem_text(scene.target.problem)}"
    write_figure(path, g, paths=scene.paths, points=scene.points, curves=curves, log=log, title=title)


def write_scene_gif(path, scene, *, curves, colors=None, title=None) -> list[int]:
    """The animation of the scene's paths (gdx.render.gif), the loss ``curves`` beside; the steps
    that got a frame."""
    from ..render.gif import GIF_GRID, write_gif
    from ..render.mathtext import problem_text

    if title is None:
        title = scene.target.preset.title if scene.target.preset is not None else f"f = {problem_text(scene.target.problem)}"
    return write_gif(path, scene.grid(GIF_GRID), paths=scene.paths, points=scene.points, curves=curves,
                     title=title, colors=colors)


# -- gdx optimize --landscape / --png -----------------------------------------------------------
def run_scene(prepared, result):
    """The scene of one optimize run: the default box grown to hold its path; critical points marked when cheap."""
    return build_scene(prepared.target, prepared.compiled, paths=[(result.optimizer, result.path.x)], critical=True,
                       budget=marks_budget(prepared.timeout))


def write_run_gif(path, prepared, result) -> list[int]:
    """``gdx optimize --gif``: the path drawn step by step on the landscape, the loss curve beside."""
    return write_scene_gif(path, run_scene(prepared, result),
                           curves=[(result.optimizer, result.path.k, result.path.loss)])


def write_run_png(path, prepared, result) -> None:
    """``gdx optimize --png``: landscape with the path (2+ variables) beside the loss curve."""
    curves = [(result.optimizer, result.path.k, result.path.loss)]
    if prepared.target.problem.n >= 2:
        write_scene_png(path, run_scene(prepared, result), curves=curves)
    else:
        from ..render.png import write_figure

        write_figure(path, None, curves=curves, title=prepared.target.label)
