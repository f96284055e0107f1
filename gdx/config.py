"""Run configuration: what the flags say, completed by the preset, checked, then prepared.

Precedence for every setting: the flag, else the preset's ``[settings]`` (hyperparameters only
when the optimizer is the preset's suggested one), else gdx's default.  ``prepare`` checks
everything that is cheap to check (names, hyperparameters, start point, export path) before
any symbolic work starts, so a bad flag never waits behind a derivative.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .errors import GdxError

DEFAULT_OPTIMIZER = "gd"
DEFAULT_STEPS = 1000
DEFAULT_TOL = 1e-6
HYPER_NAMES = ("lr", "momentum", "beta1", "beta2", "eps", "alpha", "rho", "weight_decay", "lr_decay", "initial_accumulator_value")


@dataclass(frozen=True)
class RunConfig:
    """Everything one optimize run needs, as plain data (None: not given)."""

    function: str
    variables: str | None = None
    optimizer: str | None = None
    hyper: dict = field(default_factory=dict)
    schedule: str = "constant"
    gamma: float | None = None
    step_size: int | None = None
    t_max: int | None = None
    eta_min: float | None = None
    clip_norm: float | None = None
    steps: int | None = None
    tol: float | None = None
    start: str | None = None
    export: str | None = None
    timeout: float | None = None  # bound on the symbolic work, seconds (None: gdx.sandbox.DEFAULT_TIMEOUT)


@dataclass
class Prepared:
    """A run ready to start: the target, its compiled functions, optimizer, schedule, x₀."""

    config: RunConfig
    target: object
    compiled: object
    optimizer: object
    schedule: object
    x0: tuple
    steps: int
    tol: float

    def run(self, **kwargs):
        """The event generator of this run (see :func:`gdx.loop.run`)."""
        from .loop import run

        return run(
            self.compiled,
            self.optimizer,
            self.x0,
            steps=self.steps,
            tol=self.tol,
            schedule=self.schedule,
            schedule_name=self.config.schedule,
            clip_norm=self.config.clip_norm,
            **kwargs,
        )


def check_counts(steps: int | None, tol: float | None, clip_norm: float | None) -> None:
    """--steps ≥ 0, --tol ≥ 0, --clip-norm > 0."""
    if steps is not None and steps < 0:
        raise GdxError(f"Invalid steps value: {steps}", kind="usage error", hint="--steps must be 0 or more")
    if tol is not None and not tol >= 0:
        raise GdxError(f"Invalid tol value: {tol}", kind="usage error", hint="--tol must be 0 or more")
    if clip_norm is not None and not clip_norm > 0:
        raise GdxError(f"Invalid clip_norm value: {clip_norm}", kind="usage error", hint="--clip-norm must be > 0")


def optimizer_settings(config: RunConfig, preset) -> tuple[str, dict, int | None, float | None]:
    """(optimizer name, hyperparameters, steps, tol) after applying the preset's suggestions."""
    suggested = dict(preset.settings) if preset is not None else {}
    suggested_name = suggested.get("optimizer")
    name = config.optimizer or suggested_name or DEFAULT_OPTIMIZER
    hyper = {k: v for k, v in suggested.items() if k in HYPER_NAMES} if name == suggested_name else {}
    hyper.update({k: v for k, v in config.hyper.items() if v is not None})
    steps = config.steps if config.steps is not None else suggested.get("steps")
    tol = config.tol if config.tol is not None else suggested.get("tol")
    return name, hyper, steps, tol


def symbolic_timeout(config: RunConfig) -> float:
    """--timeout, checked (> 0 seconds), else gdx.sandbox.DEFAULT_TIMEOUT."""
    from .sandbox import DEFAULT_TIMEOUT, check_timeout

    return DEFAULT_TIMEOUT if config.timeout is None else check_timeout(config.timeout)


def require_variables(target) -> None:
    """A function of no variables (``"3"``) cannot be optimized: say so before any work."""
    if target.problem.n == 0:
        raise GdxError(
            "the function has no variables: there is nothing to optimize",
            kind="input error",
            source=target.text,
            hint='write a function of at least one variable, e.g. "x^2 + 3"',
        )


def prepare(config: RunConfig, *, target=None, compiled=None) -> Prepared:
    """Resolve and check a configuration; build (or reuse) the compiled problem.

    The symbolic work (∇f, H and their compiled code) runs in a child process bounded by
    ``config.timeout`` seconds (gdx.derive.compile_bounded).
    """
    from .optim import make_optimizer
    from .schedules import make_schedule
    from .target import resolve_target, start_point

    check_counts(config.steps, config.tol, config.clip_norm)
    timeout = symbolic_timeout(config)
    if target is None:
        target = resolve_target(config.function, config.variables)
    require_variables(target)
    name, hyper, steps, tol = optimizer_settings(config, target.preset)
    steps = DEFAULT_STEPS if steps is None else int(steps)
    tol = DEFAULT_TOL if tol is None else float(tol)
    optimizer = make_optimizer(name, **hyper)
    t_max = config.t_max if config.t_max is not None else max(1, steps)
    schedule = make_schedule(
        config.schedule,
        optimizer.hyper["lr"],
        gamma=config.gamma,
        step_size=config.step_size,
        t_max=t_max,
        eta_min=config.eta_min if config.eta_min is not None else 0.0,
    )
    x0 = start_point(target, config.start)
    if config.export:
        from .render.export import check_export_path

        check_export_path(config.export)
    if compiled is None:
        from .derive import compile_bounded

        compiled = compile_bounded(target.problem, timeout=timeout)
    return Prepared(replace(config), target, compiled, optimizer, schedule, x0, steps, tol)
