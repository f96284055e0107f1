"""One ``prepare`` for every command and for the library API: a typed request → a run ready to go.

Precedence for every setting: the request (a flag or a keyword argument), else the preset's
``[settings]`` (hyperparameters only when the optimizer is the preset's suggested one), else
gdx's default.  ``prepare`` checks everything that is cheap to check (names, hyperparameters,
schedule, start point, export path, the bound on symbolic work) before any symbolic work starts,
so a bad flag never waits behind a derivative.  The symbolic work itself (∇f, H and their
compiled code) runs once, in the bounded child of :mod:`gdx.sandbox` (``timeout`` seconds).

The same :class:`Prepared` runs one path (:meth:`Prepared.run`, the event generator of
:mod:`gdx.loop`) or many at once (:meth:`Prepared.run_batch`, :mod:`gdx.batch`) with the same
steps, tol, schedule and clipping: everything a single run accepts, a batch accepts.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from ..errors import GdxError

DEFAULT_OPTIMIZER = "gd"
DEFAULT_STEPS = 1000
DEFAULT_TOL = 1e-6
DEFAULT_SCHEDULE = "constant"


@dataclass(frozen=True)
class RunRequest:
    """What a caller asks for, typed (numbers are numbers; None: not given).

    ``start`` is a point (a sequence of floats in variable order) or the flag's text
    (``"1.5,-0.5"`` / ``"x=1.5,y=-0.5"``).  ``hyper`` maps torch names to values (floats, or
    arrays for a batch of settings); ``schedule_args`` the schedule's parameters
    (:data:`gdx.schedules.SCHEDULE_PARAMETERS`).  ``timeout`` bounds the symbolic work, in seconds.
    """

    function: str
    variables: str | Sequence[str] | None = None
    optimizer: str | None = None
    hyper: Mapping[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    schedule_args: Mapping[str, Any] = field(default_factory=dict)
    clip_norm: float | None = None
    steps: int | None = None
    tol: float | None = None
    start: Sequence[float] | str | None = None
    export: str | None = None
    timeout: float | None = None
    #: ``--data``: a file (path) or a checked gdx.data.DataSet; FUNCTION is then the per-example loss
    data: Any = None
    #: ``--batch-size``, ``--seed`` of its shuffles, ``--eval-every`` (full-data loss cadence)
    batch_size: int | None = None
    seed: int | None = None
    eval_every: int | None = None


@dataclass
class Prepared:
    """A run ready to start: the target, its compiled functions, optimizer, schedule, x₀."""

    request: RunRequest
    target: Any  # gdx.target.Target
    compiled: Any  # gdx.compile.Compiled
    optimizer: Any  # gdx.optim.Optimizer
    schedule: Any  # k ↦ lr
    schedule_name: str
    x0: tuple
    steps: int
    tol: float
    clip_norm: float | None
    timeout: float
    #: a minibatch run: (N, B, seed, eval_every) of :class:`gdx.minibatch.Batches`, else None
    sampling: tuple | None = None

    @property
    def constant_lr(self) -> bool:
        return self.schedule_name == DEFAULT_SCHEDULE

    def batches(self):
        """A fresh :class:`gdx.minibatch.Batches` for one run (None: full batch)."""
        if self.sampling is None:
            return None
        from ..minibatch import Batches

        return Batches(*self.sampling)

    def run(self, *, callback=None, record=None, blocks: bool = False):
        """The event generator of this run (see :func:`gdx.loop.run`; ``record``: where its steps go;
        ``blocks``: StepBlock events where the fast loop runs)."""
        from ..loop import run

        return run(self.compiled, self.optimizer, self.x0, steps=self.steps, tol=self.tol, schedule=self.schedule,
                   schedule_name=self.schedule_name, clip_norm=self.clip_norm, callback=callback,
                   batches=self.batches(), record=record, blocks=blocks)

    def run_batch(self, X0=None, *, record_path: bool = False):
        """Rows of ``X0`` (default: x₀ once per setting of the optimizer) as one batch
        (:func:`gdx.batch.run_batch`) with this run's steps, tol, schedule and clipping."""
        import numpy as np

        from ..batch import run_batch

        if X0 is None:
            X0 = np.tile(np.asarray(self.x0, float), (batch_size(self.optimizer.hyper), 1))
        return run_batch(self.compiled, self.optimizer, X0, steps=self.steps, tol=self.tol,
                         schedule_fn=None if self.constant_lr else self.schedule, clip_norm=self.clip_norm,
                         record_path=record_path, batches=self.batches())

    def settings_line(self) -> str:
        """``lr=0.05 momentum=0.9 · constant lr · ≤ 1000 steps · tol 1e-06`` (+ clipping)."""
        from ..numbers import fmt

        hyper = " ".join(f"{k}={fmt(v)}" for k, v in self.optimizer.hyper.items() if _is_scalar(v))
        clip = f" · clip ‖g‖ ≤ {fmt(self.clip_norm)}" if self.clip_norm is not None else ""
        data = ""
        if self.target.data is not None:
            N = self.target.data.rows
            data = f" · mean over {N} rows"
            if self.sampling is not None:
                data += f" · batch {min(self.sampling[1], N)} · seed {self.sampling[2]}"
        return f"{hyper} · {self.schedule_name} lr{clip}{data} · ≤ {self.steps} steps · tol {fmt(self.tol)}"


def _is_scalar(v) -> bool:
    return getattr(v, "ndim", 0) == 0


def batch_size(hyper: Mapping[str, Any]) -> int:
    """The number of settings in ``hyper``: the length of its per-run arrays, 1 without any."""
    sizes = {int(v.shape[0]) for v in hyper.values() if getattr(v, "ndim", 0) >= 1}
    return max(sizes) if sizes else 1


# -- the checks -------------------------------------------------------------------------------
def check_counts(steps: int | None, tol: float | None, clip_norm: float | None) -> None:
    """--steps ≥ 0, --tol ≥ 0, --clip-norm > 0 (finite)."""
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        raise GdxError(f"Invalid steps value: {steps}", kind="usage error", hint="--steps must be a whole number, 0 or more")
    if tol is not None and not (isinstance(tol, (int, float)) and tol >= 0 and math.isfinite(tol)):
        raise GdxError(f"Invalid tol value: {tol}", kind="usage error", hint="--tol must be 0 or more")
    if clip_norm is not None and not (isinstance(clip_norm, (int, float)) and clip_norm > 0 and math.isfinite(clip_norm)):
        raise GdxError(f"Invalid clip_norm value: {clip_norm}", kind="usage error", hint="--clip-norm must be > 0")


def symbolic_timeout(timeout: float | None) -> float:
    """The bound on symbolic work: ``timeout`` checked (> 0 seconds), else the default."""
    from ..sandbox import DEFAULT_TIMEOUT, check_timeout

    return DEFAULT_TIMEOUT if timeout is None else check_timeout(timeout)


def require_variables(target, *, nothing: str = "there is nothing to optimize") -> None:
    """A function of no variables (``"3"``) cannot be optimized (or differentiated: ``nothing``
    says what the command cannot do): say so before any work."""
    if target.problem.n == 0:
        raise GdxError(
            f"the function has no variables: {nothing}",
            kind="input error",
            source=target.text,
            hint='write a function of at least one variable, e.g. "x^2 + 3"',
        )


def settings(request: RunRequest, preset) -> tuple[str, dict, int, float]:
    """(optimizer name, hyperparameters, steps, tol) after applying the preset's suggestions."""
    from ..optim.hyper import HYPERPARAMETERS

    suggested = dict(preset.settings) if preset is not None else {}
    suggested_name = suggested.get("optimizer")
    name = request.optimizer or suggested_name or DEFAULT_OPTIMIZER
    hyper = {k: v for k, v in suggested.items() if k in HYPERPARAMETERS} if name == suggested_name else {}
    hyper.update({k: v for k, v in request.hyper.items() if v is not None})
    steps = request.steps if request.steps is not None else suggested.get("steps", DEFAULT_STEPS)
    tol = request.tol if request.tol is not None else suggested.get("tol", DEFAULT_TOL)
    return name, hyper, int(steps), float(tol)


def start_of(target, start: Sequence[float] | str | None) -> tuple[float, ...]:
    """The start point: the flag's text parsed, a given point checked, else the preset's or the default."""
    from ..target import start_point

    if start is None or isinstance(start, str):
        return start_point(target, start)
    variables = target.problem.variables
    point = tuple(float(v) for v in start)
    if len(point) != len(variables):
        raise GdxError(f"start has {len(point)} coordinates, expected {len(variables)} ({', '.join(variables)})",
                       kind="usage error")
    if not all(math.isfinite(v) for v in point):
        raise GdxError(f"start {point} is not finite", kind="usage error")
    return point


def make_run_schedule(request: RunRequest, lr, steps: int):
    """The schedule of the request (``t_max``, ``total_steps`` default to the run's steps).

    Every parameter given must be one the schedule takes (``--t-max`` with ``--schedule step``
    is refused, not ignored; ``--warmup`` goes in front of any schedule, and make_schedule
    refuses it for plateau), and messages name the flags (``--step-size``), not the keywords."""
    from ..schedules import PARAMETERS, SCHEDULE_PARAMETERS, SCHEDULES, make_schedule

    name = request.schedule or DEFAULT_SCHEDULE
    args = {k: v for k, v in request.schedule_args.items() if v is not None}
    if name in SCHEDULES:
        extra = [SCHEDULE_PARAMETERS[k].flag for k in args if k not in PARAMETERS[name] and k != "warmup"]
        if extra:
            takes = ", ".join(SCHEDULE_PARAMETERS[k].flag for k in PARAMETERS[name]) or "no parameters"
            raise GdxError(f"{', '.join(extra)} {'does' if len(extra) == 1 else 'do'} not apply to the '{name}' schedule",
                           kind="usage error", hint=f"the '{name}' schedule takes {takes}"
                           + ("" if request.schedule else "; choose one with --schedule"))
    try:
        return make_schedule(name, lr, run_steps=max(1, steps), **args)
    except GdxError as exc:
        raise _with_flags(exc, SCHEDULE_PARAMETERS) from None


def _with_flags(exc: GdxError, parameters) -> GdxError:
    """The same error with every snake-case schedule keyword (``step_size``) written as its flag
    (``--step-size``); torch's own words (``Invalid gamma value``) stay as torch writes them."""
    import re

    def flags(text):
        if not text:
            return text
        for key, p in parameters.items():
            if "_" in key:
                text = re.sub(rf"(?<![-\w]){key}(?!\w)", p.flag, text)
        return text

    exc.message, exc.hint = flags(exc.message), flags(exc.hint)
    return exc


# -- prepare ----------------------------------------------------------------------------------
def resolve(function: str, variables=None, *, allow_vector: bool = False, timeout=None, data=None,
            hessian: bool = True):
    """The target of a command: a preset (name or file), a function found in the compiled cache
    (:mod:`gdx.compiled_cache`: nothing parsed yet), or a parsed expression, the parse bounded by
    ``timeout`` (seconds, checked; None: the default bound).  With ``data`` (``--data``: a
    path or a gdx.data.DataSet) FUNCTION is a per-example loss over it (:func:`resolve_data`).

    For the CLI (gdx.cache_settings.in_cli) a miss is read and derived by one bounded child
    (:func:`gdx.derive.start_reading`; ``hessian=False``: without H) that goes on deriving while
    the command is checked; :func:`compile_target` collects it.  This process imports no SymPy."""
    from .. import compiled_cache
    from ..sandbox import CAN_FORK, Deadline
    from ..target import Target, resolve_target

    if data is not None:
        return resolve_data(function, variables, data, allow_vector=allow_vector, timeout=timeout)
    if variables is not None and not isinstance(variables, str):
        variables = ",".join(variables)
    from ..cache_settings import in_cli

    preset_target = _cached_preset(function, variables)
    if preset_target is not None:
        return preset_target
    cacheable = not allow_vector and isinstance(function, str) and not _names_preset(function)
    if compiled_cache.enabled() and isinstance(function, str) and not _names_preset(function):
        # an entry is always a scalar function's, so a command that allows vectors (analyze) may take it
        compiled = compiled_cache.load(function, variables)
        if compiled is not None:
            _CACHE_KEYS[compiled.problem] = (function, variables, compiled)
            return Target(function, compiled.problem)
    bound = timeout if isinstance(timeout, Deadline) else symbolic_timeout(timeout)
    if in_cli() and cacheable and CAN_FORK:
        from .. import presets
        from ..derive import start_reading
        from ..target import _refuse_misspelt_preset

        _refuse_misspelt_preset(function, presets)
        reading = start_reading(function, variables, timeout=bound, hessian=hessian)
        _CACHE_KEYS[reading.problem] = (function, variables, reading)
        return Target(function, reading.problem)
    target = resolve_target(function, variables, allow_vector=allow_vector, timeout=bound)
    if target.preset is None and not target.problem.is_vector:
        _CACHE_KEYS[target.problem] = (function, variables, None)
    return target


def _cached_preset(function, variables):
    """A built-in preset (without data) whose expression is in the compiled cache, keyed as the
    same expression typed with the preset's variable order: a hit parses nothing.  On a miss
    the preset is parsed as always and its entry stored by :func:`compile_target`.  None when
    FUNCTION is no such preset (or --vars is given, which a preset refuses), or the cache is off.
    (A preset is a scalar function: a command that allows vectors takes it as well.)"""
    from .. import compiled_cache, presets

    if variables or not compiled_cache.enabled():
        return None
    preset = presets.builtin(function)
    if preset is None:
        return None
    from ..target import Target, resolve_target

    order = ",".join(preset.variables)
    compiled = compiled_cache.load(preset.expression, order)
    if compiled is not None:
        _CACHE_KEYS[compiled.problem] = (preset.expression, order, compiled)
        return Target(function, compiled.problem, preset)
    target = resolve_target(function)
    _CACHE_KEYS[target.problem] = (preset.expression, order, None)
    return target


def resolve_data(function: str, variables, data, *, allow_vector: bool = False, timeout=None):
    """FUNCTION as the per-example loss ℓ(θ; d) over the rows of ``data`` (gdx.mean): the file
    loaded and checked (gdx.data), the function parsed over every name (bounded), its names split
    into data columns and parameters θ (``--vars``: the parameters).  The compiled cache keys it
    by the text, ``--vars`` and the data's column names (not its values): a hit parses nothing."""
    from ..data import DataSet, load_data
    from ..mean import parameter_problem, split_names
    from ..sandbox import Deadline
    from ..target import Target, parse_bounded

    if _names_preset(function):
        raise GdxError("--data takes a per-example loss, not a preset", kind="usage error", source=function,
                       hint='write the loss, e.g. "(w*x + b - y)^2", or use a preset that carries its data')
    from dataclasses import replace as with_fields

    from ..data import MAX_COLUMNS
    from ..parse import LIMITS, parse_function
    from ..sandbox import bounded

    dataset = data if isinstance(data, DataSet) else load_data(data)
    hit = _cached_data_target(function, variables, dataset)
    if hit is not None:
        return hit
    bound = timeout if isinstance(timeout, Deadline) else symbolic_timeout(timeout)
    if not isinstance(function, str):
        parse_bounded(function, None, timeout=bound)  # the type error, at once
    # the limit on variables is the parameters' (checked by split_names); the columns have their own
    limits = with_fields(LIMITS, max_variables=LIMITS.max_variables + MAX_COLUMNS)
    example = bounded(parse_function, function, None, limits=limits, timeout=bound, what="reading the function",
                      source=function)
    split = split_names(example, dataset, variables if variables else None)
    target = Target(function, parameter_problem(example, split), None, data=dataset, example=example)
    if isinstance(function, str):
        _DATA_KEYS[target.problem] = (function, variables or None, dataset.columns, None)
    return target


def _cached_data_target(function, variables, dataset):
    """A --data target from the compiled cache (key: the function, --vars and the column names;
    gdx.compiled_cache.data_entry_key): nothing parsed, no SymPy; None on a miss.  The split is
    checked against the data set again (split_names), as on a miss."""
    from .. import compiled_cache
    from ..mean import split_names
    from ..target import Target

    if not compiled_cache.enabled() or not isinstance(function, str):
        return None
    try:
        payload = compiled_cache.load_mean(function, variables or None, dataset.columns)
    except GdxError:
        return None  # the text fails its checks: the parse below says how
    if payload is None:
        return None
    example = compiled_cache.CachedExample(function, tuple(payload["names"]), payload["texts"]["f"])
    split = split_names(example, dataset, variables if variables else None)
    if list(split.parameters) != payload["parameters"] or list(split.data) != payload["data"]:
        return None
    problem = compiled_cache.CachedParameters(example, split.parameters)
    _DATA_KEYS[problem] = (function, variables or None, dataset.columns, payload)
    return Target(function, problem, None, data=dataset, example=example)


#: problem → (its text, its --vars, its cached compiled or None): what compile_target stores or reuses.
_CACHE_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: a --data target's problem → (its text, --vars, the data's columns, the cached payload or None).
_DATA_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _function_key(target):
    """(text, --vars) under which the compiled cache knows ``target``'s function -- what the
    findings about it are keyed by -- or None (a --data objective, a vector, a function read
    from no text)."""
    known = _CACHE_KEYS.get(target.problem)
    return None if known is None or getattr(target, "data", None) is not None else known[:2]


def known_finding(target, what: str, params=None):
    """What an earlier command found about ``target``'s function (gdx.compiled_cache.load_finding:
    plain JSON, the caller checks its shape), or None."""
    from .. import compiled_cache

    key = _function_key(target)
    return None if key is None else compiled_cache.load_finding(*key, what, params)


def keep_finding(target, what: str, params, value) -> None:
    """Keep a finding about ``target``'s function for the next command (best effort)."""
    from .. import compiled_cache

    key = _function_key(target)
    if key is not None:
        compiled_cache.store_finding(*key, what, params, value)


def _names_preset(function: str) -> bool:
    """Does FUNCTION name a preset (a built-in one is served by :func:`_cached_preset`; files are not cached)?"""
    from ..presets import looks_like_preset

    return looks_like_preset(function)


def compile_target(target, timeout=None, *, hessian: bool = True):
    """∇f, H and their compiled code, derived once in the bounded child (``timeout``: seconds,
    or a :class:`gdx.sandbox.Deadline` the command's other bounded work shares).  With
    ``hessian=False`` (backprop) H is not derived and a miss is stored as a gradient-only entry;
    a cached entry serves it either way.  A command that needs H and finds a gradient-only entry
    derives all three (bounded) and stores the whole entry over it."""
    from ..derive import Reading
    from ..sandbox import Deadline

    if getattr(target, "data", None) is not None:
        from ..mean import cached_mean, compile_mean

        known = _DATA_KEYS.get(target.problem)
        if known is not None and known[3] is not None and known[2] == target.data.columns:
            return cached_mean(target.problem, target.example, target.data, known[3])
        objective = compile_mean(target.example, target.data, target.problem.variables,
                                 timeout=timeout if isinstance(timeout, Deadline) else symbolic_timeout(timeout))
        if known is not None and known[2] == target.data.columns:
            from .. import compiled_cache

            compiled_cache.store_mean(known[0], known[1], known[2], objective, target.example)
        return objective
    known = _CACHE_KEYS.get(target.problem)
    if known is not None and isinstance(known[2], Reading):  # read and being derived by one child
        reading = known[2]
        compiled = reading.compiled(timeout if isinstance(timeout, Deadline) else symbolic_timeout(timeout))
        _CACHE_KEYS[target.problem] = (known[0], known[1], compiled)
        from .. import compiled_cache

        compiled_cache.store_payload(known[0], known[1], reading.payload)
        return compiled
    if known is not None and known[2] is not None and (getattr(known[2], "has_hessian", True) or not hessian):
        return known[2]
    from ..derive import compile_bounded

    compiled = compile_bounded(target.problem, timeout=timeout if isinstance(timeout, Deadline) else symbolic_timeout(timeout),
                               hessian=hessian)
    if known is not None:
        from .. import compiled_cache

        compiled_cache.store(known[0], known[1], compiled)
    return compiled


def check_defined(target, compiled, x0) -> None:
    """Refuse, before a run, a function with no real value at any point tried: the start, 128
    points uniform in [−10, 10]ⁿ and 128 with coordinates ±10^u, u uniform in [−3, 3] (the same
    points every time: :func:`spread_points`).  NaN at all of them means f is undefined or
    complex-valued for real x (``log(-1-x^2)``, ``sqrt(-exp(x))``); ±inf counts as a value (f
    overflowed there)."""
    import numpy as np

    n = compiled.n
    u = spread_points(384, n)
    sign = np.where(u[256:] < 0.5, -1.0, 1.0)
    points = np.vstack([np.asarray(x0, float).reshape(1, n), -10 + 20 * u[:128],
                        sign * 10.0 ** (-3 + 6 * u[128:256])])
    nfev = compiled.nfev
    rows = {} if getattr(target, "data", None) is None else {"rows": np.arange(min(target.data.rows, 64))}
    with np.errstate(all="ignore"):
        f = np.asarray(compiled.value(points, **rows), float).reshape(-1)
    compiled.nfev = nfev  # a check, not part of the run's count
    if np.isnan(f).all():
        raise GdxError(
            f"the function has no real value at any of the {len(points)} points tried (the start, and points "
            "from 0.001 to 10 in size in every direction): it is undefined or complex-valued for real variables",
            kind="math error", source=target.text,
            hint="check the signs inside log, sqrt and fractional powers (sqrt(-x^2-1) is never real)",
        )


def spread_points(count: int, n: int):
    """``count`` points of [0, 1)ⁿ spread evenly without a random generator (numpy.random costs
    7 ms to import): the additive recurrence u_k = frac(½ + k·α) with α_j = frac(√p_j), p_j the
    j-th prime -- a low-discrepancy (Weyl) sequence, one irrational step per coordinate."""
    import numpy as np

    primes, p = [], 2
    while len(primes) < n:
        if all(p % q for q in primes):
            primes.append(p)
        p += 1
    alpha = np.sqrt(np.array(primes, float)) % 1.0
    return (0.5 + np.arange(1, count + 1).reshape(-1, 1) * alpha) % 1.0


def check_clip_applies(optimizer, clip_norm: float | None) -> None:
    """--clip-norm is refused for the line-search methods (lbfgs, bfgs, cg): their update
    evaluates ∇f itself at every trial point, so clipping would change only the gradient the
    loop hands in and not the line search's, a mixture that is neither method clipped."""
    if clip_norm is not None and getattr(optimizer, "needs_loss", False):
        raise GdxError(
            f"--clip-norm does not apply to {optimizer.name}: its update evaluates ∇f itself (line "
            "search, inner iterations), so only the loop's gradient would be clipped, not those",
            kind="usage error",
            hint=f"drop --clip-norm for {optimizer.name}, or choose an optimizer without a line search",
        )


def plan(request: RunRequest, *, target=None, keep_path: bool = True) -> Prepared:
    """Every cheap check of a request, in order (counts, bound, target, settings, optimizer,
    schedule, start, export path, the memory of the kept path when ``keep_path``): a
    :class:`Prepared` whose ``compiled`` is still None."""
    from ..momentum_cycle import cycle_of
    from ..optim import make_optimizer

    check_counts(request.steps, request.tol, request.clip_norm)
    timeout = symbolic_timeout(request.timeout)
    if target is None:
        target = resolve(request.function, request.variables, timeout=timeout, data=request.data)
    require_variables(target)
    name, hyper, steps, tol = settings(request, target.preset)
    optimizer = make_optimizer(name, **hyper)
    check_clip_applies(optimizer, request.clip_norm)
    schedule = make_run_schedule(request, optimizer.hyper["lr"], steps)
    cycle_of(optimizer, schedule)  # a cycled momentum the optimizer lacks (or an invalid μ) is refused here
    x0 = start_of(target, request.start)
    if request.export:
        from ..paths import check_export_file

        check_export_file(request.export, variables=target.problem.variables)
    if keep_path:
        from ..resources import check_path

        check_path(steps, target.problem.n)
    sampling = sampling_of(request, target, optimizer, steps)
    return Prepared(replace(request), target, None, optimizer, schedule, request.schedule or DEFAULT_SCHEDULE,
                    x0, steps, tol, request.clip_norm, timeout, sampling)


def default_eval_every(N: int, B: int, steps: int) -> int:
    """The full-data loss of a minibatch run is recorded once per epoch (⌈N/B⌉ steps), and at
    least 20 times in the run (every ⌊steps/20⌋ steps when that is sooner)."""
    return max(1, min(-(-N // B), steps // 20 or 1))


def sampling_of(request: RunRequest, target, optimizer, steps: int) -> tuple | None:
    """(N, B, seed, eval_every) of a minibatch run, checked; None for a full-batch run.

    --batch-size, --eval-every need --data; a batch smaller than the data set is refused for the
    optimizers that evaluate f, ∇f or H themselves (line searches, Newton), which would see every
    row where the loop sees a batch; parameters named like a minibatch export column are refused."""
    from ..minibatch import DEFAULT_SEED, check_batch_size

    if target.data is None:
        for flag, value in (("--batch-size", request.batch_size), ("--eval-every", request.eval_every)):
            if value is not None:
                raise GdxError(f"{flag} needs --data", kind="usage error",
                               hint="--data FILE makes FUNCTION a per-example loss averaged over its rows")
        return None
    check_batch_size(request.batch_size)
    if request.eval_every is not None and (isinstance(request.eval_every, bool) or not isinstance(request.eval_every, int)
                                           or request.eval_every < 1):
        raise GdxError(f"Invalid eval_every value: {request.eval_every}", kind="usage error",
                       hint="--eval-every must be a whole number, 1 or more")
    N = target.data.rows
    if request.batch_size is None:
        if request.eval_every is not None:
            raise GdxError("--eval-every needs --batch-size: a full-batch run's loss is the full-data loss",
                           kind="usage error")
        return None
    B = min(request.batch_size, N)
    if B < N and (getattr(optimizer, "needs_loss", False) or getattr(optimizer, "needs_hessian", False)):
        raise GdxError(f"--batch-size does not apply to {optimizer.name}: it evaluates f, ∇f or H itself, over every "
                       "row, while the loop would hand it a minibatch gradient", kind="usage error",
                       hint="choose a first-order optimizer (gd, momentum, adam, …) for minibatch runs")
    from ..result import BATCH_COLUMNS

    clash = [v for v in target.problem.variables if v in BATCH_COLUMNS]
    if clash:
        raise GdxError(f"the parameter '{clash[0]}' has the name of a minibatch export column", kind="usage error",
                       hint=f"rename it (e.g. {clash[0]} → {clash[0]}1)")
    seed = DEFAULT_SEED if request.seed is None else int(request.seed)
    every = request.eval_every if request.eval_every is not None else default_eval_every(N, B, steps)
    return (N, B, seed, every)


def prepare(request: RunRequest, *, target=None, compiled=None, keep_path: bool = True) -> Prepared:
    """:func:`plan`, then the compiled problem (``compiled`` when given, else derived once in the
    bounded child within the request's ``timeout``), checked to have a real value somewhere
    (:func:`check_defined`).  ``keep_path=False`` for batches, which keep only each run's end."""
    prepared = plan(request, target=target, keep_path=keep_path)
    prepared.compiled = compiled if compiled is not None else compile_target(prepared.target, prepared.timeout)
    check_defined(prepared.target, prepared.compiled, prepared.x0)
    return prepared
