"""The explorer's state as data and one pure transition per key (``gdx explore``).

The state (:class:`ExploreState`) holds what a ``gdx optimize`` command line holds — optimizer,
hyperparameters, schedule, start, steps, tol, clipping, the data's batch size and seed — plus the
view (the slice of a function of 3+ variables, how many updates are shown while stepping, the runs
kept for comparison).  Each key is a function ``state → state`` (:func:`scale_lr`,
:func:`nudge_momentum`, …); none of them computes anything.  :meth:`ExploreState.request` is the
:class:`gdx.app.prepare.RunRequest` of a state and :meth:`ExploreState.argv` the equivalent
``gdx optimize`` flags, so every picture on the screen is a run anyone can reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    clip_norm: float | None = None  # --clip-norm: ‖g‖ clipped to this before each update
    data: str | None = None  # --data FILE (None: no data, or a preset's own [data])
    batch_size: int | None = None  # --batch-size (b B); None: every row (the full-data gradient)
    seed: int | None = None  # --seed of the minibatch shuffles (None: gdx.minibatch's default)
    eval_every: int | None = None  # --eval-every, as it was given

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
                          tol=self.tol, start=tuple(self.start), export=export, clip_norm=self.clip_norm,
                          data=self.data, batch_size=self.batch_size, seed=self.seed, eval_every=self.eval_every)

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
        if self.clip_norm is not None:
            args += ["--clip-norm", repr(float(self.clip_norm))]
        if self.data is not None:
            args += ["--data", self.data]
        if self.batch_size is not None:
            from ..minibatch import DEFAULT_SEED

            args += ["--batch-size", str(self.batch_size), "--seed", str(DEFAULT_SEED if self.seed is None else self.seed)]
            if self.eval_every is not None:
                args += ["--eval-every", str(self.eval_every)]
        return args

    def label(self) -> str:
        """``adam lr=0.1 β₁=0.9 cosine`` — how a compared run is named in the legend."""
        from ..numbers import fmt
        from ..optim.hyper import HYPERPARAMETERS

        parts = [self.optimizer] + [f"{HYPERPARAMETERS[k].symbol}={fmt(v, 4)}" for k, v in self.hyper[:2]]
        if self.schedule != "constant":
            parts.append(self.schedule)
        if self.batch_size is not None:
            parts.append(f"B={self.batch_size}")
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


def scale_batch(state: ExploreState, up: bool, rows: int) -> ExploreState:
    """``B`` doubles, ``b`` halves the batch size of a run over ``rows`` rows of data.  No batch
    size is every row (the full-data gradient): ``b`` from there gives rows // 2, and doubling
    up to ``rows`` or past it gives the full data again; halving stops at 1.  The seed stays, so
    the same batch size always draws the same minibatches."""
    size = rows if state.batch_size is None else min(state.batch_size, rows)
    new = size * 2 if up else max(1, size // 2)
    return replace(state, batch_size=None if new >= rows else new)


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
