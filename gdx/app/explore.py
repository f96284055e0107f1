"""``gdx explore``: the explorer's state as data, one pure transition per key, and the session that
turns a state into what the screen shows (a run, its stability gauge, one update's arithmetic).

The state (:class:`ExploreState`) holds what a ``gdx optimize`` command line holds — optimizer,
hyperparameters, schedule, start, steps, tol — plus the view (the slice of a function of 3+
variables, how many updates are shown while stepping, the runs kept for comparison).  Each key
is a function ``state → state`` (:func:`scale_lr`, :func:`nudge_momentum`, …); none of them
computes anything.  :meth:`ExploreState.request` is the :class:`gdx.app.prepare.RunRequest` of a
state and :meth:`ExploreState.argv` the equivalent ``gdx optimize`` flags, so every picture on
the screen is a run anyone can reproduce.

:class:`Explorer` derives ∇f and H once (through ``gdx.app.prepare``, the compiled cache), fixes
the box and the markers once, and then reruns each state with the compiled functions
(:meth:`Explorer.view`); the diagnosis, which costs more than the run, is asked for separately
(:meth:`Explorer.diagnose`) so the screen can redraw the path first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import GdxError

#: ←/→ divide/multiply lr by this; with shift by :data:`LR_FACTOR_BIG`.
LR_FACTOR = 1.25
LR_FACTOR_BIG = 2.0
#: the momentum-like hyperparameter of an optimizer: the first of these it takes.
MOMENTUM_LIKE = ("momentum", "beta1", "rho")
#: ↑/↓ move the momentum-like value along this ladder (finer near 1, where it matters).
MOMENTUM_LADDER = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)
#: h j k l move the start by this fraction of the box's side; [ ] the slice value likewise.
START_FRACTION = 1 / 20
#: what ``s`` cycles through, each with the parameters it needs (step_size: a quarter of the run).
SCHEDULE_CYCLE = ("constant", "step", "exponential", "cosine", "plateau")
#: the optimizers whose adaptive edge of stability gdx.symptoms states (Cohen et al. 2022).
ADAPTIVE_EDGE = ("adam", "adamw", "rmsprop")
#: runs kept for the comparison overlay (``c``); the oldest goes first.
MAX_COMPARED = 5


# -- the state ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExploreState:
    """Everything the explorer shows is a function of this (and of the function explored)."""

    function: str
    variables: str | None
    optimizer: str
    hyper: tuple  # ((torch name, value), …): lr and the momentum-like value, resolved
    schedule: str
    schedule_args: tuple  # ((name, value), …)
    start: tuple  # x₀, one float per variable
    steps: int
    tol: float
    fixed: tuple = ()  # ((variable, value), …): the slice of the variables not plotted
    slice_index: int = 0  # which of them [ ] moves
    stepping: int | None = None  # updates shown one at a time (space); None: the whole run
    compared: tuple = ()  # earlier states drawn beside this one (c)

    @property
    def hyper_dict(self) -> dict:
        return dict(self.hyper)

    @property
    def lr(self) -> float:
        return float(self.hyper_dict["lr"])

    def request(self, *, export: str | None = None):
        """The RunRequest of this state (what ``gdx optimize`` with :meth:`argv` makes)."""
        from .prepare import RunRequest

        return RunRequest(self.function, variables=self.variables, optimizer=self.optimizer, hyper=self.hyper_dict,
                          schedule=self.schedule, schedule_args=dict(self.schedule_args), steps=self.steps,
                          tol=self.tol, start=tuple(self.start), export=export)

    def argv(self) -> list[str]:
        """``gdx optimize`` arguments giving the same run, numbers written exactly (``repr``)."""
        from ..optim.hyper import HYPERPARAMETERS
        from ..schedules import SCHEDULE_PARAMETERS

        args = ["optimize", self.function, "-o", self.optimizer]
        if self.variables:
            args += ["--vars", self.variables]
        for name, value in self.hyper:
            flag = HYPERPARAMETERS[name].flag
            if isinstance(value, bool):
                args.append(flag if value else f"--no-{flag[2:]}")
            elif isinstance(value, tuple):
                args += [flag, ",".join(repr(float(v)) for v in value)]
            else:
                args += [flag, value if isinstance(value, str) else repr(value)]
        if self.schedule != "constant":
            args += ["--schedule", self.schedule]
            for name, value in self.schedule_args:
                args += [SCHEDULE_PARAMETERS[name].flag, repr(value)]
        args += ["--start", ",".join(repr(float(v)) for v in self.start), "--steps", str(self.steps),
                 "--tol", repr(float(self.tol))]
        return args

    def label(self) -> str:
        """``adam lr=0.1 β₁=0.9 cosine`` — how a compared run is named in the legend."""
        from ..numbers import fmt
        from ..optim.hyper import HYPERPARAMETERS

        parts = [self.optimizer] + [f"{HYPERPARAMETERS[k].symbol}={fmt(v, 4)}" for k, v in self.hyper[:2]]
        if self.schedule != "constant":
            parts.append(self.schedule)
        return " ".join(parts)


def momentum_name(optimizer: str) -> str | None:
    """The optimizer's momentum-like hyperparameter (momentum, β₁ or ρ), or None (gd, adagrad…)."""
    from ..optim import accepted

    takes = accepted(optimizer)
    return next((name for name in MOMENTUM_LIKE if name in takes), None)


def tuned_hyper(optimizer: str, given: dict | None = None, extra: dict | None = None) -> tuple:
    """(lr, momentum-like) of ``optimizer`` — the values ``given``, else the registry's defaults —
    then the other hyperparameters set in ``extra`` (flags such as --beta2), as they were given."""
    from ..optim import accepted

    defaults = accepted(optimizer)
    given = given or {}
    names = ["lr"] + [n for n in (momentum_name(optimizer),) if n]
    tuned = [(n, float(given[n]) if given.get(n) is not None else float(defaults[n])) for n in names]
    tuned += [(k, v) for k, v in (extra or {}).items() if k not in names and v is not None]
    return tuple(tuned)


def schedule_args_for(schedule: str, steps: int) -> tuple:
    """The parameters ``s`` gives a schedule: step decays ×0.1 every quarter of the run; the others
    their defaults (exponential γ 0.99, cosine T_max = the run's steps, plateau torch's)."""
    return (("step_size", max(1, steps // 4)),) if schedule == "step" else ()


# -- the transitions (one per key) ---------------------------------------------------------------
def scale_lr(state: ExploreState, up: bool, big: bool = False) -> ExploreState:
    """→ lr × 1.25, ← lr ÷ 1.25; with shift (``big``) × 2, ÷ 2."""
    factor = LR_FACTOR_BIG if big else LR_FACTOR
    hyper = dict(state.hyper)
    hyper["lr"] = float(hyper["lr"]) * factor if up else float(hyper["lr"]) / factor
    return replace(state, hyper=tuple(hyper.items()))


def nudge_momentum(state: ExploreState, up: bool) -> ExploreState:
    """↑/↓: the momentum-like value to the next rung of :data:`MOMENTUM_LADDER` above/below it
    (unchanged at the ends, and for an optimizer without one)."""
    name = momentum_name(state.optimizer)
    if name is None:
        return state
    hyper = dict(state.hyper)
    mu = float(hyper[name])
    rungs = [v for v in MOMENTUM_LADDER if (v > mu + 1e-12 if up else v < mu - 1e-12)]
    if not rungs:
        return state
    hyper[name] = rungs[0] if up else rungs[-1]
    return replace(state, hyper=tuple(hyper.items()))


def cycle_optimizer(state: ExploreState, names) -> ExploreState:
    """``o``: the next optimizer of ``names`` with its own default lr (and momentum-like value):
    a gd learning rate is no Adam learning rate."""
    names = list(names)
    i = names.index(state.optimizer) if state.optimizer in names else -1
    name = names[(i + 1) % len(names)]
    return replace(state, optimizer=name, hyper=tuned_hyper(name))


def cycle_schedule(state: ExploreState) -> ExploreState:
    """``s``: the next schedule of :data:`SCHEDULE_CYCLE` (constant after the last)."""
    i = SCHEDULE_CYCLE.index(state.schedule) if state.schedule in SCHEDULE_CYCLE else -1
    name = SCHEDULE_CYCLE[(i + 1) % len(SCHEDULE_CYCLE)]
    return replace(state, schedule=name, schedule_args=schedule_args_for(name, state.steps))


def move_start(state: ExploreState, axis: int, direction: int, box, plot_vars) -> ExploreState:
    """h/l (``axis`` 0) and j/k (``axis`` 1): the start moves by 1/20 of the box's side along the
    plotted variable ``plot_vars[axis]``, ``direction`` −1 or +1."""
    i = plot_vars[axis]
    lo, hi = box[i]
    start = list(state.start)
    start[i] = start[i] + direction * (hi - lo) * START_FRACTION
    return replace(state, start=tuple(start))


def place_start(state: ExploreState, xy, plot_vars) -> ExploreState:
    """A mouse click: the plotted coordinates of the start become ``xy``."""
    start = list(state.start)
    for i, v in zip(plot_vars, xy):
        start[i] = float(v)
    return replace(state, start=tuple(start))


def step_once(state: ExploreState) -> ExploreState:
    """space: show one more update (the first press shows update 1); never past the run's steps."""
    shown = 1 if state.stepping is None else min(state.stepping + 1, state.steps)
    return replace(state, stepping=shown)


def whole_run(state: ExploreState) -> ExploreState:
    """escape: leave stepping, show the whole run."""
    return replace(state, stepping=None)


def add_comparison(state: ExploreState) -> ExploreState:
    """``c``: keep the current run on the screen beside the next ones (at most MAX_COMPARED)."""
    kept = replace(state, compared=(), stepping=None)
    if kept in state.compared:
        return state
    return replace(state, compared=(state.compared + (kept,))[-MAX_COMPARED:])


def clear_comparison(state: ExploreState) -> ExploreState:
    """``x``: drop the compared runs."""
    return replace(state, compared=())


def next_slice_variable(state: ExploreState) -> ExploreState:
    """``v``: [ ] move the next variable of the slice."""
    if not state.fixed:
        return state
    return replace(state, slice_index=(state.slice_index + 1) % len(state.fixed))


def move_slice(state: ExploreState, direction: int, box, variables) -> ExploreState:
    """[ / ]: the slice variable's value moves by 1/20 of its side of the box."""
    if not state.fixed:
        return state
    fixed = list(state.fixed)
    name, value = fixed[state.slice_index]
    lo, hi = box[list(variables).index(name)]
    fixed[state.slice_index] = (name, value + direction * (hi - lo) * START_FRACTION)
    return replace(state, fixed=tuple(fixed))


# -- what the screen shows -------------------------------------------------------------------------
@dataclass
class Gauge:
    """The stability gauge: lr against the optimizer's stable bound (sgd family: its rule on
    λmax(H)), or λmax(P⁻¹H) against the adaptive edge (Adam/AdamW/RMSprop).  ``ratio`` ≥ 1 is
    past the edge; ``start`` is at x₀, ``worst`` the largest along the path (at ``worst_step``)."""

    kind: str  # "lr" (lr / bound) or "adaptive" (λmax(P⁻¹H) / edge) or "none"
    rule: str
    start_value: float = math.nan  # the bound (or λmax(P⁻¹H)) at x₀
    start_ratio: float = math.nan
    worst_value: float = math.nan
    worst_ratio: float = math.nan
    worst_step: int = 0
    lam_start: float = math.nan  # λmax(H(x₀)) (or of P⁻¹H)
    edge: float = math.nan  # the adaptive edge (kind "adaptive")
    note: str = ""


@dataclass
class Arithmetic:
    """One update k → k+1, as the optimizer made it: g = ∇f(x_k), lr_k, the state after, the step."""

    k: int
    x: Any
    g: Any
    lr: float
    state: dict  # the optimizer's state after the update (name → array), empty for gd
    step: Any  # x_{k+1} − x_k
    x_next: Any


@dataclass
class View:
    """What one state looks like: its run, the rows shown, the gauge, the compared paths."""

    state: ExploreState
    prepared: Any
    result: Any
    shown: int  # rows of the path drawn (all of them unless stepping)
    gauge: Gauge
    arithmetic: Arithmetic | None
    compared: list = field(default_factory=list)  # (label, (N, n) path)
    fixed: dict = field(default_factory=dict)

    @property
    def path_x(self):
        return self.result.path.x[: self.shown]


class Explorer:
    """One function explored: its target and compiled functions (derived once), the box, the
    plotted variables and markers (fixed once), and the runs of the states seen (cached)."""

    def __init__(self, request, *, axes=None, slice_spec=None, box=None, export: str = "explore.csv"):
        from ..sandbox import Deadline
        from .plot import build_scene, marks_budget, require_2d
        from .prepare import compile_target, plan, resolve, symbolic_timeout

        if request.clip_norm is not None:
            from .flags import refuse_inapplicable

            refuse_inapplicable({"--clip-norm": True}, because="in gdx explore",
                                hint="explore the clipped run with gdx optimize --clip-norm")
        budget = Deadline(symbolic_timeout(request.timeout))
        target = resolve(request.function, request.variables, timeout=budget)
        require_2d(target)
        self.export = export
        from ..paths import check_export_file

        check_export_file(export, variables=target.problem.variables)
        first = plan(request, target=target)  # every flag checked before any symbolic work
        self.target = target
        self.compiled = compile_target(target, budget)
        self.variables = tuple(target.problem.variables)
        prepared = self._prepare(request)
        path = self._run(prepared).path.x  # the box is fitted to the first path, then fixed
        self.scene = build_scene(target, self.compiled, box_spec=box, slice_spec=slice_spec, axes=axes,
                                 paths=[(first.optimizer.name, path)], budget=marks_budget(budget))
        self.names = optimizer_cycle()
        if first.optimizer.name not in self.names:
            self.names = [first.optimizer.name, *self.names]
        fixed = tuple((v, float(self.scene.fixed[v])) for v in self.variables if v in self.scene.fixed)
        self.initial = ExploreState(
            function=request.function, variables=request.variables if isinstance(request.variables, str) else None,
            optimizer=first.optimizer.name, hyper=tuned_hyper(first.optimizer.name, first.optimizer.hyper, request.hyper),
            schedule=first.schedule_name, schedule_args=tuple((k, v) for k, v in request.schedule_args.items() if v is not None),
            start=tuple(float(v) for v in first.x0), steps=first.steps, tol=first.tol, fixed=fixed)
        self._runs: dict = {}
        self._grids: dict = {}

    @property
    def box(self):
        return self.scene.box

    @property
    def plot_vars(self):
        return self.scene.plot_vars

    def _prepare(self, request):
        from .prepare import prepare

        return prepare(request, target=self.target, compiled=self.compiled)

    @staticmethod
    def _run(prepared):
        from .runs import consume

        return consume(prepared)

    def check(self, state: ExploreState):
        """The Prepared run of ``state``, or the GdxError that refuses it (Nesterov with μ = 0 …)."""
        return self._prepare(state.request())

    def run_of(self, state: ExploreState):
        """(prepared, result) of the run ``state`` makes (the view's fields do not change it)."""
        key = replace(state, fixed=(), slice_index=0, stepping=None, compared=())
        if key not in self._runs:
            if len(self._runs) > 64:
                self._runs.clear()
            prepared = self.check(key)
            self._runs[key] = (prepared, self._run(prepared))
        return self._runs[key]

    def view(self, state: ExploreState) -> View:
        """Run ``state`` (or take it from the cache) and measure what the side panel shows."""
        prepared, result = self.run_of(state)
        n_rows = len(result.path)
        shown = n_rows if state.stepping is None else min(n_rows, state.stepping + 1)
        arithmetic = update_arithmetic(prepared, result, shown - 2) if state.stepping is not None and shown >= 2 else None
        compared = [(s.label(), self.run_of(s)[1].path.x) for s in state.compared]
        return View(state, prepared, result, shown, gauge(prepared, result, self.compiled), arithmetic, compared,
                    dict(state.fixed))

    def diagnose(self, view: View):
        """The diagnosis of the view's run (gdx.diagnose, as gdx optimize gives it), made with a
        copy of the compiled functions of its own: it may run beside the next rerun (a thread of
        the screen) without touching the evaluation counts that rerun records."""
        import copy

        from .runs import diagnose_run

        self.compiled.warm(hessian=True)  # compiled once, shared by the copy
        return diagnose_run(replace(view.prepared, compiled=copy.copy(self.compiled)), view.result)

    def grid(self, shape, fixed: dict):
        """f sampled on the box at ``shape`` for the slice ``fixed`` (cached)."""
        from ..landscape import grid

        key = (tuple(shape), tuple(sorted(fixed.items())))
        if key not in self._grids:
            if len(self._grids) > 16:
                self._grids.clear()
            self._grids[key] = grid(self.compiled, self.scene.box, shape, fixed=fixed, plot_vars=self.scene.plot_vars)
        return self._grids[key]

    def markers(self, fixed: dict):
        """★ × ▲ for the slice ``fixed``: the scene's (2 variables), else the known points on it."""
        if self.target.problem.n == 2:
            return list(self.scene.points)
        from ..landscape import known_points

        return [("minimum", xy, "minimum") for _, xy, _ in known_points(self.target, fixed, self.scene.plot_vars)]

    def export_view(self, view: View, path: str | None = None) -> str:
        """``e``: the view's whole run written as ``gdx optimize --export`` writes it (CSV by default)."""
        from ..render.export import export_run
        from .runs import run_document

        target = path or self.export
        export_run(target, view.result, run_document(view.prepared, view.result))
        return str(target)


def optimizer_cycle() -> list[str]:
    """What ``o`` cycles through: every optimizer of the registry that follows a gradient step by
    step (the line-search and Newton methods take whole different steps and have no lr to turn)."""
    from ..optim import OPTIMIZERS

    return [s.name for s in OPTIMIZERS.values() if s.family in ("sgd", "adaptive")]


# -- the measurements -------------------------------------------------------------------------------
def gauge(prepared, result, compiled) -> Gauge:
    """The stability gauge of a run (see :class:`Gauge`), sampled at up to 64 points of the path."""
    import numpy as np

    from ..optim import OPTIMIZERS
    from ..symptoms import adaptive_edge_text, preconditioned_sharpness, sample_rows

    name = result.optimizer
    spec = OPTIMIZERS[name]
    rows = _finite_rows(result.path)
    if not len(rows):
        return Gauge("none", "", note="no finite point to measure")
    rows = rows[sample_rows(len(rows))]
    lrs = result.path.lr[rows]
    if spec.stability is not None:
        lam = _top_eigenvalues(compiled, result.path.x[rows])
        bound = np.array([spec.stable_lr(float(v), result.hyper) if v > 0 else math.inf for v in lam])
        return _gauge("lr", f"lr < {spec.stability_text}", rows, bound, lrs / bound, lam)
    if name in ADAPTIVE_EDGE:
        lam = preconditioned_sharpness(result, compiled, rows)
        edge = np.array([_adaptive_edge(result, int(r)) for r in rows])
        return _gauge("adaptive", "λmax(P⁻¹H) < " + adaptive_edge_text(result), rows, lam, lam / edge, lam, edge=edge)
    return Gauge("none", "", note=f"{name} has no stability rule gdx can state")


def _gauge(kind, rule, rows, value, ratio, lam, edge=None) -> Gauge:
    import numpy as np

    ok = np.isfinite(ratio)
    worst = int(np.argmax(np.where(ok, ratio, -np.inf))) if ok.any() else 0
    return Gauge(kind, rule, float(value[0]), float(ratio[0]), float(value[worst]), float(ratio[worst]), int(rows[worst]),
                 float(lam[0]), float(edge[0]) if edge is not None else math.nan)


def _adaptive_edge(result, row: int) -> float:
    """The adaptive edge (gdx.symptoms.adaptive_edge: the registry's rule) at path row ``row``'s lr."""
    from ..symptoms import adaptive_edge

    edge = adaptive_edge(result, row)
    return edge if edge is not None else math.nan


def _finite_rows(path):
    import numpy as np

    return np.nonzero(np.all(np.isfinite(path.x), axis=1) & np.isfinite(path.loss))[0]


def _top_eigenvalues(compiled, xs):
    """λmax(H(x)) at each row of ``xs`` (NaN where H is not finite)."""
    import numpy as np

    with np.errstate(all="ignore"):
        hs = np.asarray(compiled.hess(xs), float).reshape(len(xs), compiled.n, compiled.n)
    lam = np.full(len(xs), np.nan)
    good = np.all(np.isfinite(hs), axis=(1, 2))
    if good.any():
        lam[good] = np.linalg.eigvalsh(hs[good])[:, -1]
    return lam


def update_arithmetic(prepared, result, k: int) -> Arithmetic | None:
    """Update k → k+1 of the run made again by its optimizer from x₀ (the loop's order: g = ∇f(x_k),
    lr_k, clipping, t = k + 1), so the optimizer's state after it can be shown; the x_{k+1} it gives
    is the path's own row k+1 (checked: a mismatch shows nothing rather than wrong numbers)."""
    import numpy as np

    from ..loop import loss_of
    from ..momentum_cycle import cycle_of

    path = result.path
    if k < 0 or k + 1 >= len(path):
        return None
    optimizer, compiled = prepared.optimizer, prepared.compiled
    cycle = cycle_of(optimizer, prepared.schedule)
    nfev = compiled.nfev
    with np.errstate(all="ignore"):
        state = (optimizer if cycle is None else cycle(optimizer, 0)).init(np.array(path.x[0], float))
        for i in range(k + 1):
            opt = optimizer if cycle is None else cycle(optimizer, i)
            x_i = np.array(path.x[i], float)
            x_next, state = opt.update(np.array(path.grad[i], float), state, x_i, float(path.lr[i]), i + 1, compiled,
                                       **loss_of(opt, float(path.loss[i])))
    compiled.nfev = nfev
    if not np.array_equal(np.asarray(x_next, float), path.x[k + 1]):
        return None
    fields = state._asdict() if hasattr(state, "_asdict") else {}
    return Arithmetic(k, path.x[k], path.grad[k], float(path.lr[k]), fields, path.x[k + 1] - path.x[k], path.x[k + 1])


def check_terminal(stdout, env) -> None:
    """gdx explore needs the extra (textual) and a terminal on stdout: a usage error (exit 2) that
    says how to get each, before any work."""
    import importlib.util
    import sys

    if importlib.util.find_spec("textual") is None:
        raise GdxError("gdx explore needs textual, which is not installed", kind="usage error",
                       hint='pip install "gdx[tui]"')
    stream = stdout if stdout is not None else sys.stdout
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        tty = False
    if not tty:
        raise GdxError("gdx explore is a full-screen view: stdout is not a terminal", kind="usage error",
                       hint='run it in a terminal (pip install "gdx[tui]" provides the view); for output to a '
                            'pipe or a file use gdx optimize … --json or --export run.csv')


def refuse_small(width: int, height: int) -> str | None:
    """The message shown instead of the full view below 80×24 (None when the terminal is big enough)."""
    if width >= 80 and height >= 24:
        return None
    return f"the terminal is {width}×{height}; gdx explore needs 80×24 for the side panel and the loss curve"


__all__ = ["ExploreState", "Explorer", "View", "Gauge", "Arithmetic", "GdxError"]
