"""``gdx sweep FUNCTION``: run one optimizer for every learning rate (and a second parameter)."""

from __future__ import annotations

from typing import Optional

import typer

from . import timeout_option

HELP = """Run an optimizer from one start for every value of a learning-rate range (and optionally a
second hyperparameter), all at once, and show the outcome against the setting.

Give a range as A:B (or A:B:log, A:B:lin).  --lr ranges are log-spaced (--linear for linear);
ranges of momentum, β, α, ρ are linear.  One range draws the final loss (or, with
--metric steps, the steps to converge) against it, marks the runs that diverged and the
stability limit 2/λmax of gradient descent at the start; two ranges draw a heatmap.
"""

EPILOG = (
    'Examples:  gdx sweep "x^2 + 3*y^2" -o gd --lr 1e-4:1 --num 40   ·   '
    "gdx sweep rosenbrock -o momentum --lr 1e-5:1e-2 --momentum 0:0.99   ·   "
    "gdx sweep himmelblau -o adam --lr 1e-3:1 --metric steps --json"
)

HYPER = "Hyperparameters: a value, or a range A:B to sweep"
GRID = "Grid"
OUT = "Output"

#: (option name, python keyword) of every sweepable hyperparameter, lr first.
SWEEPABLE = ("lr", "momentum", "beta1", "beta2", "eps", "alpha", "rho", "weight_decay", "lr_decay")


def register(app: typer.Typer) -> None:
    app.command("sweep", help=HELP, epilog=EPILOG)(sweep)


def sweep(
    function: str = typer.Argument(..., help="Expression, preset name or preset .toml file.", show_default=False),
    optimizer: Optional[str] = typer.Option(None, "-o", "--optimizer", help="The optimizer. [default: the preset's, else gd]"),
    lr: Optional[str] = typer.Option(None, "--lr", help="Learning rate or range A:B. [default: 1e-4:1 when nothing else is swept]", rich_help_panel=HYPER),
    momentum: Optional[str] = typer.Option(None, "--momentum", help="Momentum μ, or a range such as 0:0.99.", rich_help_panel=HYPER),
    beta1: Optional[str] = typer.Option(None, "--beta1", help="Adam β₁ or a range.", rich_help_panel=HYPER),
    beta2: Optional[str] = typer.Option(None, "--beta2", help="Adam β₂ or a range.", rich_help_panel=HYPER),
    eps: Optional[str] = typer.Option(None, "--eps", help="ε or a range (log-spaced).", rich_help_panel=HYPER),
    alpha: Optional[str] = typer.Option(None, "--alpha", help="RMSprop α or a range.", rich_help_panel=HYPER),
    rho: Optional[str] = typer.Option(None, "--rho", help="Adadelta ρ or a range.", rich_help_panel=HYPER),
    weight_decay: Optional[str] = typer.Option(None, "--weight-decay", help="Weight decay λ or a range.", rich_help_panel=HYPER),
    lr_decay: Optional[str] = typer.Option(None, "--lr-decay", help="Adagrad lr decay or a range.", rich_help_panel=HYPER),
    num: int = typer.Option(40, "--num", help="Values on the first swept axis.", rich_help_panel=GRID),
    grid_num: int = typer.Option(20, "--grid-num", help="Values on the second swept axis.", rich_help_panel=GRID),
    linear: bool = typer.Option(False, "--linear", help="Space the --lr range linearly instead of logarithmically.", rich_help_panel=GRID),
    metric: str = typer.Option("loss", "--metric", help="loss (final loss) or steps (steps to converge).", rich_help_panel=GRID),
    steps: Optional[int] = typer.Option(None, "--steps", help="Maximum updates per run. [default: the preset's, else 1000]"),
    tol: Optional[float] = typer.Option(None, "--tol", help="A run converges when ‖∇f‖ ≤ tol. [default: 1e-6]"),
    start: Optional[str] = typer.Option(None, "--start", help='Start point: "1.5,-0.5" or "x=1.5,y=-0.5".'),
    clip_norm: Optional[float] = typer.Option(None, "--clip-norm", help="Clip the gradient to this norm before each update."),
    variables: Optional[str] = typer.Option(None, "--vars", help='Variable order, e.g. "y,x".'),
    json_out: bool = typer.Option(False, "--json", help="Print every run, the best setting and 2/λmax as JSON.", rich_help_panel=OUT),
    timeout: Optional[float] = timeout_option(),
) -> None:
    given = dict(lr=lr, momentum=momentum, beta1=beta1, beta2=beta2, eps=eps, alpha=alpha, rho=rho,
                 weight_decay=weight_decay, lr_decay=lr_decay)
    code = run_command(function, optimizer, given, num=num, grid_num=grid_num, linear=linear, metric=metric,
                       steps=steps, tol=tol, start=start, clip_norm=clip_norm, variables=variables, json_out=json_out,
                       timeout=timeout)
    raise typer.Exit(code)


def parse_grid(given: dict, *, num: int, grid_num: int, linear: bool):
    """(axes, fixed values) from the hyperparameter options: ranges become axes, in SWEEPABLE
    order (the first gets ``num`` values, the second ``grid_num``); plain numbers stay fixed."""
    from ..errors import GdxError
    from ..sweep import Axis, parse_range

    if not any(isinstance(v, str) and ":" in v for v in given.values()) and given.get("lr") is None:
        given = {**given, "lr": "1e-4:1"}
    axes, fixed = [], {}
    for name in SWEEPABLE:
        text = given.get(name)
        if text is None:
            continue
        count = num if not axes else grid_num
        value = parse_range(name, text, count, log=False if (name == "lr" and linear) else None)
        if isinstance(value, Axis):
            axes.append(value)
        else:
            fixed[name] = value
    if len(axes) > 2:
        names = ", ".join("--" + a.name.replace("_", "-") for a in axes)
        raise GdxError(f"at most two parameters can be swept at once, got {len(axes)} ranges ({names})",
                       kind="usage error", hint="give a single value to all but two of them")
    return tuple(axes), fixed


def run_command(function, optimizer, given, *, num, grid_num, linear, metric, steps, tol, start, clip_norm,
                variables, json_out, timeout=None) -> int:
    """Parse, run, draw; return the exit status (1 when every run diverged)."""
    from ..render.console import write_json

    from ..derive import compile_for_command
    from ..config import DEFAULT_STEPS, DEFAULT_TOL, RunConfig, check_counts, optimizer_settings, require_variables
    from ..errors import ExitCode, GdxError
    from ..render.console import make_console
    from ..sweep import METRICS, run_sweep
    from ..target import resolve_target, start_point

    if metric not in METRICS:
        raise GdxError(f"--metric: unknown metric '{metric}'", kind="usage error", hint="choose loss or steps")
    check_counts(steps, tol, clip_norm)
    axes, fixed = parse_grid(given, num=num, grid_num=grid_num, linear=linear)
    target = resolve_target(function, variables)
    require_variables(target)
    name, hyper, steps_, tol_ = optimizer_settings(
        RunConfig(function=function, optimizer=optimizer, steps=steps, tol=tol), target.preset
    )
    swept = {a.name for a in axes}
    fixed = {**{k: v for k, v in hyper.items() if k not in swept}, **fixed}
    steps_ = DEFAULT_STEPS if steps_ is None else int(steps_)
    tol_ = DEFAULT_TOL if tol_ is None else float(tol_)
    x0 = start_point(target, start)
    compiled = compile_for_command(target.problem, timeout)
    result = run_sweep(compiled, name, axes, x0, fixed=fixed, steps=steps_, tol=tol_, metric=metric, clip_norm=clip_norm)
    out = make_console()
    code = int(ExitCode.RUN_FAILED) if result.best is None else int(ExitCode.OK)
    if json_out:
        from ..render.mathtext import math_text

        doc = {
            "function": target.text,
            "expression": math_text(target.problem.expr),
            "preset": target.preset.name if target.preset is not None else None,
            "variables": list(target.problem.variables),
            **result.to_dict(),
        }
        write_json(out, doc)
        return code
    show(out, target, result)
    return code


def show(out, target, result) -> None:
    """Header, plot or heatmap, summary."""
    from rich.text import Text

    from ..render.console import fmt_point
    from ..render.mathtext import math_text
    from ..render.sweep import heatmap, summary_table, sweep_plot

    label = target.preset.title if target.preset is not None else f"f = {math_text(target.problem.expr)}"
    swept = " × ".join(f"{a.name} {a.values[0]:g}…{a.values[-1]:g} ({len(a)}, {'log' if a.log else 'linear'})" for a in result.axes)
    out.print(Text(f"{label}\n{result.optimizer} from x₀ = {fmt_point(result.x0)} · {swept} · ≤ {result.max_steps} steps · tol {result.tol:g}"))
    color = out.is_terminal and not out.no_color
    width = min(out.width, 100)
    if len(result.axes) == 1:
        text = sweep_plot(result, width=width, height=18, color=color)
        out.print(Text.from_ansi(text) if color else Text(text))
    else:
        out.print(heatmap(result, width=width, color=color))
    out.print(summary_table(result))


# -- many starts (gdx optimize --starts N --seed S) ----------------------------------------------
def check_multistart_flags(*, starts: int, start, export, landscape: bool, png, box) -> None:
    """--starts runs from random points: --start, --export, --landscape and --png do not apply."""
    from ..errors import GdxError

    if starts < 1:
        raise GdxError(f"Invalid starts value: {starts}", kind="usage error", hint="--starts must be 1 or more")
    for flag, given in (("--start", start is not None), ("--export", export is not None),
                        ("--landscape", landscape), ("--png", png is not None)):
        if given:
            raise GdxError(f"{flag} cannot be combined with --starts", kind="usage error",
                           hint="--starts runs from random points in the box (--box); use --json for the data")


def multistart_box(target, spec: str | None):
    """--box if given, else the preset's domain, else gdx.landscape's default range per variable."""
    from ..landscape import default_box, parse_box

    fill = default_box(target)
    if spec is None:
        return fill
    return parse_box(spec, target.problem.variables, fill=fill)


def show_multistart(prepared, *, starts: int, seed: int, box: str | None, json_out: bool) -> int:
    """Run ``starts`` random starts as one batch; print the basins table and the basin map (or
    JSON).  Exit status 1 when every run diverged."""
    from ..render.console import write_json

    from rich.text import Text

    from ..basins import multistart
    from ..errors import ExitCode
    from ..render.basins import basin_map, basins_table, header_line
    from ..render.console import make_console
    from ..render.mathtext import math_text
    from .optimize import settings_line

    target = prepared.target
    domain = multistart_box(target, box)
    known = target.preset.minima if target.preset is not None else ()
    out = make_console()
    cols = max(20, min(60, min(out.width, 100) - 12))
    ms = multistart(prepared.compiled, prepared.optimizer, domain, starts, seed, steps=prepared.steps, tol=prepared.tol,
                    schedule_fn=prepared.schedule, clip_norm=prepared.config.clip_norm, known=known,
                    map_shape=(20, cols))
    code = int(ExitCode.RUN_FAILED) if ms.failed == starts else int(ExitCode.OK)
    variables = target.problem.variables
    if json_out:
        doc = {
            "function": target.text,
            "expression": math_text(target.problem.expr),
            "preset": target.preset.name if target.preset is not None else None,
            "variables": list(variables),
            "optimizer": prepared.optimizer.name,
            "hyperparameters": {k: float(v) for k, v in prepared.optimizer.hyper.items()},
            "schedule": prepared.config.schedule,
            "steps": prepared.steps,
            "tol": prepared.tol,
            **ms.to_dict(),
        }
        write_json(out, doc)
        return code
    label = target.preset.title if target.preset is not None else f"f = {math_text(target.problem.expr)}"
    out.print(Text(label))
    out.print(Text(header_line(ms, f"{prepared.optimizer.name} {settings_line(prepared)}")))
    out.print(basins_table(ms, variables))
    if ms.map is not None:
        out.print()
        out.print(basin_map(ms, variables, color=out.is_terminal and not out.no_color))
    elif len(variables) != 2:
        out.print(Text(f"(no basin map: it needs 2 variables, this function has {len(variables)})"))
    counts = " · ".join(f"{v} {k}" for k, v in sorted(ms.batch.counts().items(), key=lambda kv: -kv[1]))
    out.print(Text(f"runs: {counts} · {ms.batch.wall_time:.2f} s"))
    return code
