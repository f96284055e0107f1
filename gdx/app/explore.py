"""``gdx explore``: the session that turns an explorer state (gdx.app.explore_state) into what
the screen shows — a run, its stability gauge and one update's arithmetic (gdx.app.explore_measure).

:class:`Explorer` derives ∇f and H once (through ``gdx.app.prepare``, the compiled cache), fixes
the box and the markers once, and then reruns each state with the compiled functions
(:meth:`Explorer.view`); the diagnosis, which costs more than the run, is asked for separately
(:meth:`Explorer.diagnose`) so the screen can redraw the path first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import GdxError
from .explore_measure import Arithmetic, Gauge, gauge, update_arithmetic
from .explore_state import (ExploreState, add_comparison, clear_comparison, cycle_optimizer, cycle_schedule,
                            momentum_name, move_slice, move_start, next_slice_variable, nudge_momentum, place_start,
                            scale_batch, scale_lr, step_once, tuned_hyper, whole_run)


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

        budget = Deadline(symbolic_timeout(request.timeout))
        target = resolve(request.function, request.variables, timeout=budget, data=request.data)
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
            start=tuple(float(v) for v in first.x0), steps=first.steps, tol=first.tol, fixed=fixed,
            clip_norm=request.clip_norm, data=request.data if isinstance(request.data, str) else None,
            batch_size=request.batch_size, seed=request.seed, eval_every=request.eval_every)
        self._runs: dict = {}
        self._grids: dict = {}

    @property
    def box(self):
        return self.scene.box

    @property
    def rows(self) -> int | None:
        """The rows of the data the loss is the mean over (None: a function without data)."""
        data = getattr(self.target, "data", None)
        return None if data is None else data.rows

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


__all__ = ["ExploreState", "Explorer", "View", "Gauge", "Arithmetic", "GdxError", "gauge", "update_arithmetic",
           "add_comparison", "clear_comparison", "cycle_optimizer", "cycle_schedule", "momentum_name", "move_slice",
           "move_start", "next_slice_variable", "nudge_momentum", "place_start", "scale_batch", "scale_lr", "step_once", "whole_run"]
