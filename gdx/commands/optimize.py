"""``gdx optimize FUNCTION``: run one optimizer; stream the steps, plot the loss, summarize."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import timeout_option

HELP = (
    "Run an optimizer on FUNCTION and show every step, the loss curve and a summary.\n\n"
    'FUNCTION is an expression ("x^2 + 3*y^2", ^ means power), a preset name (rosenbrock) or a preset '
    "file (my.toml). gdx derives the gradient and Hessian symbolically, then runs from --start (or the "
    "preset's start, or 1.5 for every variable) until the gradient norm is ≤ --tol, --steps updates are "
    "made, or the run diverges."
)

EPILOG = (
    'Examples:  gdx optimize "x^2 + 3*y^2" -o momentum --lr 0.05   ·   '
    "gdx optimize rosenbrock -o adam --lr 0.02 --steps 3000 --export path.csv   ·   "
    'gdx optimize "x^2+3*y^2" --lr 0.34 --json'
)

HYPER = "Hyperparameters (torch.optim names)"
SCHED = "Learning-rate schedule (torch.optim.lr_scheduler closed forms)"
OUT = "Output"
STARTS = "Many starts"


def register(app: typer.Typer) -> None:
    app.command("optimize", help=HELP, epilog=EPILOG)(optimize)


def optimize(
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file.", show_default=False),
    optimizer: Optional[str] = typer.Option(
        None, "-o", "--optimizer", help="gd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw or newton. \\[default: the preset's, else gd]"
    ),
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate. \\[default: per optimizer, see gdx optimizers]", rich_help_panel=HYPER),
    momentum: Optional[float] = typer.Option(None, "--momentum", help="Momentum μ (momentum, nesterov, rmsprop).", rich_help_panel=HYPER),
    beta1: Optional[float] = typer.Option(None, "--beta1", help="Adam β₁. \\[default: 0.9]", rich_help_panel=HYPER),
    beta2: Optional[float] = typer.Option(None, "--beta2", help="Adam β₂. \\[default: 0.999]", rich_help_panel=HYPER),
    eps: Optional[float] = typer.Option(None, "--eps", help="ε added to denominators.", rich_help_panel=HYPER),
    alpha: Optional[float] = typer.Option(None, "--alpha", help="RMSprop smoothing α. \\[default: 0.99]", rich_help_panel=HYPER),
    rho: Optional[float] = typer.Option(None, "--rho", help="Adadelta ρ. \\[default: 0.9]", rich_help_panel=HYPER),
    weight_decay: Optional[float] = typer.Option(None, "--weight-decay", help="L2 penalty λ (decoupled for adamw).", rich_help_panel=HYPER),
    lr_decay: Optional[float] = typer.Option(None, "--lr-decay", help="Adagrad learning-rate decay.", rich_help_panel=HYPER),
    initial_accumulator_value: Optional[float] = typer.Option(
        None, "--initial-accumulator-value", help="Adagrad's starting sum of squares. \\[default: 0]", rich_help_panel=HYPER
    ),
    schedule: str = typer.Option("constant", "--schedule", help="constant, step, exponential or cosine.", rich_help_panel=SCHED),
    gamma: Optional[float] = typer.Option(None, "--gamma", help="Decay factor γ (step, exponential).", rich_help_panel=SCHED),
    step_size: Optional[int] = typer.Option(None, "--step-size", help="Steps between decays (step).", rich_help_panel=SCHED),
    t_max: Optional[int] = typer.Option(None, "--t-max", help="Cosine half-period T_max. \\[default: --steps]", rich_help_panel=SCHED),
    eta_min: Optional[float] = typer.Option(None, "--eta-min", help="Cosine floor η_min. \\[default: 0]", rich_help_panel=SCHED),
    clip_norm: Optional[float] = typer.Option(None, "--clip-norm", help="Clip the gradient to this norm before each update (torch clip_grad_norm_)."),
    steps: Optional[int] = typer.Option(None, "--steps", help="Maximum number of updates. \\[default: the preset's, else 1000]"),
    tol: Optional[float] = typer.Option(None, "--tol", help="Stop when ‖∇f‖ ≤ tol; 0 never stops early. \\[default: 1e-6]"),
    start: Optional[str] = typer.Option(None, "--start", help='Start point: "1.5,-0.5" or "x=1.5,y=-0.5".'),
    timeout: Optional[float] = timeout_option(),
    variables: Optional[str] = typer.Option(None, "--vars", help='Variable order, e.g. "y,x". \\[default: natural sort]'),
    every: Optional[int] = typer.Option(None, "--every", min=1, help="Show every K-th step. \\[default: log-spaced rows]", rich_help_panel=OUT),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary.", rich_help_panel=OUT),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else.", rich_help_panel=OUT),
    export: Optional[Path] = typer.Option(None, "--export", help="Write the whole path to a .csv or .json file.", rich_help_panel=OUT),
    no_plot: bool = typer.Option(False, "--no-plot", help="Do not draw the loss curve.", rich_help_panel=OUT),
    landscape: bool = typer.Option(False, "--landscape", help="Also draw the path on the landscape of f (2+ variables).", rich_help_panel=OUT),
    png: Optional[Path] = typer.Option(None, "--png", help='Write a figure (landscape with the path, loss curve); needs pip install "gdx\\[png]".', rich_help_panel=OUT),
    starts: Optional[int] = typer.Option(None, "--starts", help="Run N random starts in the box at once and show which minimum each reaches (basins table, basin map).", rich_help_panel=STARTS),
    seed: int = typer.Option(0, "--seed", help="Seed of the random starts (the same seed gives the same starts).", rich_help_panel=STARTS),
    box: Optional[str] = typer.Option(None, "--box", help='Box of the random starts: "x=-5:5,y=-5:5" or "-5:5,-5:5". \\[default: the preset\'s domain, else -2:2]', rich_help_panel=STARTS),
) -> None:
    from ..config import RunConfig, prepare

    hyper = dict(lr=lr, momentum=momentum, beta1=beta1, beta2=beta2, eps=eps, alpha=alpha, rho=rho,
                 weight_decay=weight_decay, lr_decay=lr_decay, initial_accumulator_value=initial_accumulator_value)
    config = RunConfig(
        function=function, variables=variables, optimizer=optimizer, hyper=hyper, schedule=schedule,
        gamma=gamma, step_size=step_size, t_max=t_max, eta_min=eta_min, clip_norm=clip_norm,
        steps=steps, tol=tol, start=start, export=str(export) if export is not None else None, timeout=timeout,
    )
    if starts is not None:  # many starts: one batch, basins instead of one path
        from .sweep import check_multistart_flags, show_multistart

        check_multistart_flags(starts=starts, start=start, export=export, landscape=landscape, png=png, box=box)
        raise typer.Exit(show_multistart(prepare(config), starts=starts, seed=seed, box=box, json_out=json_out))
    if png is not None:
        from ..render.png import prepare_png

        prepare_png(png)
    prepared = prepare(config)
    if landscape:
        from .plot import require_2d

        require_2d(prepared.target)
    code = show_run(prepared, quiet=quiet, json_out=json_out, every=every, plot=not no_plot,
                    landscape=landscape, png=png)
    raise typer.Exit(code)


def settings_line(prepared) -> str:
    """``lr=0.05 momentum=0.9 · constant schedule · ≤ 1000 steps · tol 1e-06``."""
    from ..render.console import fmt

    hyper = " ".join(f"{k}={fmt(v)}" for k, v in prepared.optimizer.hyper.items())
    return f"{hyper} · {prepared.config.schedule} lr · ≤ {prepared.steps} steps · tol {fmt(prepared.tol)}"


def consume(prepared, on_step=None):
    """Drain the run's events into ``on_step``; Ctrl-C still yields the Result so far."""
    from ..result import Finished, Step

    events = prepared.run()
    result = None
    try:
        for event in events:
            if isinstance(event, Step):
                if on_step is not None:
                    on_step(event)
            elif isinstance(event, Finished):
                result = event.result
    except KeyboardInterrupt:
        result = events.throw(KeyboardInterrupt).result
    return result


def exit_code(result) -> int:
    """0 for converged/max_steps/stopped, 1 for diverged/fault, 130 for interrupted."""
    from ..errors import ExitCode
    from ..result import Status

    if result.status is Status.INTERRUPTED:
        return int(ExitCode.INTERRUPTED)
    if result.status in (Status.DIVERGED, Status.FAULT):
        return int(ExitCode.RUN_FAILED)
    return int(ExitCode.OK)


def known_minimum_line(prepared, result) -> str | None:
    """The preset's nearest known minimum and the distance to it."""
    import math

    from ..render.console import fmt, fmt_point

    preset = prepared.target.preset
    if preset is None or not preset.minima or not all(math.isfinite(v) for v in result.x):
        return None
    best = min(preset.minima, key=lambda m: math.dist(m.at, result.x))
    return f"{fmt_point(best.at)} with f = {fmt(best.value)} ({best.kind}); distance {fmt(math.dist(best.at, result.x), 3)}"


def run_document(prepared, result, extra: dict | None = None) -> dict:
    """The JSON document of a run (``--json`` and ``--export run.json``)."""
    from ..render.mathtext import math_text

    target = prepared.target
    doc = {
        "function": target.text,
        "expression": math_text(target.problem.expr),
        "preset": target.preset.name if target.preset is not None else None,
        "start": list(prepared.x0),
        **result.to_dict(),
    }
    if extra:
        doc.update(extra)
    return doc


def show_run(prepared, *, quiet: bool, json_out: bool, every: int | None, plot: bool,
             landscape: bool = False, png=None) -> int:
    """Run with the sinks the flags ask for; return the exit status."""
    from ..render.console import make_console
    from ..render.stream import IterationStream

    out = make_console()
    streaming = not (quiet or json_out)
    if streaming:
        from ..render.summary import print_header

        print_header(out, prepared.target, prepared.compiled, prepared.optimizer, prepared.x0, settings_line(prepared))
    stream = IterationStream(out, prepared.compiled.variables, every=every) if streaming else None
    try:
        result = consume(prepared, stream.step if stream else None)
    finally:
        if stream is not None:
            stream.close()
    return finish(prepared, result, out, quiet=quiet, json_out=json_out, plot=plot and streaming,
                  landscape=landscape, png=png)


def run_diagnosis(prepared, result):
    """What happened and why (gdx.diagnose); a failure of the diagnosis itself never loses the run."""
    from ..diagnose import Diagnosis, diagnose

    try:
        return diagnose(result, prepared.compiled, prepared.target.preset, tol=prepared.tol)
    except Exception as exc:  # noqa: BLE001 - report it in the summary instead of crashing
        return Diagnosis("unknown", f"the diagnosis itself failed ({type(exc).__name__}: {exc})", "", {})


def finish(prepared, result, out, *, quiet: bool, json_out: bool, plot: bool, landscape: bool = False, png=None) -> int:
    """After a run: export first (nothing computed is lost), then plot, summary or JSON."""
    from ..render.console import write_json

    from ..render.summary import summary_panel

    diagnosis = run_diagnosis(prepared, result)
    extra = {"diagnosis": diagnosis.to_dict()}
    if prepared.config.export:
        from ..render.export import export_run

        export_run(prepared.config.export, result, run_document(prepared, result) | extra)
    if png is not None:
        from .plot import write_run_png

        write_run_png(png, prepared, result)
    if json_out:
        doc = run_document(prepared, result, extra)
        write_json(out, doc)
        return exit_code(result)
    if plot and len(result.path) > 1:
        from rich.text import Text

        from ..render.lossplot import loss_curve

        color = out.is_terminal and not out.no_color
        text = loss_curve(result.path, width=min(out.width, 100), height=15, color=color)
        out.print(Text.from_ansi(text) if color else Text(text))
    if landscape:
        from .plot import show_run_landscape

        show_run_landscape(out, prepared, result)
    out.print(summary_panel(result, diagnosis=diagnosis, known_minimum=known_minimum_line(prepared, result)))
    if prepared.config.export:
        out.print(f"path written to {prepared.config.export} ({len(result.path)} rows)")
    if png is not None:
        out.print(f"figure written to {png}")
    return exit_code(result)
