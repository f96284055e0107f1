"""``gdx compare FUNCTION -o gd,momentum,adam:lr=0.1,beta1=0.8,newton``: optimizers side by side.

Every optimizer runs from the same start on the same compiled function (f, ∇f and H derived
once), with the same --steps and --tol.  Then: a table (status, steps to reach --tol, final
loss, distance to the nearest known minimum, diagnosis, wall time), the loss curves on one plot,
and the paths on the landscape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer

from . import timeout_option

HELP = (
    'Run several optimizers on FUNCTION from the same start and compare them.\n\n'
    '-o lists the optimizers, separated by commas; settings follow a colon, also separated by '
    'commas: -o gd,momentum,adam:lr=0.1,beta1=0.8,newton runs four optimizers, Adam with lr '
    '0.1 and β₁ 0.8. An optimizer may appear twice with different settings '
    "(adam:lr=0.1,adam:lr=0.01).  Every run uses the same start (--start, else the preset's, "
    'else 1.5 for every variable), --steps and --tol.\n\n'
    '"steps" in the table is the number of updates to reach ‖∇f‖ ≤ --tol (— when a run did '
    'not). Exit status: 0, or 1 when every run diverged or failed, 130 when interrupted.'
)

EPILOG = (
    "Examples:  gdx compare rosenbrock -o gd,momentum,adam,newton   ·   "
    'gdx compare "x^2 + 10*y^2" -o gd:lr=0.09,momentum,adam:lr=0.1,beta1=0.8 --steps 200   ·   '
    "gdx compare himmelblau -o gd,adam --export runs/ --json"
)

VIEW = "View"
OUT = "Output"
DEFAULT_OPTIMIZERS = "gd,momentum,adam,newton"


def register(app: typer.Typer) -> None:
    app.command("compare", help=HELP, epilog=EPILOG)(compare)


def compare(
    function: str = typer.Argument(..., help="Expression, preset name or preset .toml file.", show_default=False),
    optimizers: str = typer.Option(DEFAULT_OPTIMIZERS, "-o", "--optimizers", help='Optimizers with settings: "gd,adam:lr=0.1,beta1=0.8".'),
    steps: Optional[int] = typer.Option(None, "--steps", help="Maximum number of updates per run. \\[default: the preset's, else 1000]"),
    tol: Optional[float] = typer.Option(None, "--tol", help="Stop a run when ‖∇f‖ ≤ tol. \\[default: 1e-6]"),
    start: Optional[str] = typer.Option(None, "--start", help='Start point for all: "1.5,-0.5" or "x=1.5,y=-0.5".'),
    variables: Optional[str] = typer.Option(None, "--vars", help='Variable order, e.g. "y,x". \\[default: natural sort]'),
    box: Optional[str] = typer.Option(None, "--box", help='Landscape box: "x=-2:2,y=-1:3". \\[default: the preset\'s domain, grown to hold the paths]', rich_help_panel=VIEW),
    slice_: Optional[str] = typer.Option(None, "--slice", help='Values of the variables not plotted: "z=0.5".', rich_help_panel=VIEW),
    axes: Optional[str] = typer.Option(None, "--axes", help='The two variables to draw: "x,z".', rich_help_panel=VIEW),
    no_plot: bool = typer.Option(False, "--no-plot", help="Only the table: no loss curves, no landscape.", rich_help_panel=VIEW),
    json_out: bool = typer.Option(False, "--json", help="Print the table as one JSON document and nothing else.", rich_help_panel=OUT),
    export: Optional[Path] = typer.Option(None, "--export", help="Write one CSV per optimizer into this directory.", rich_help_panel=OUT),
    png: Optional[Path] = typer.Option(None, "--png", help='Write a figure (landscape with paths, loss curves); needs pip install "gdx\\[png]".', rich_help_panel=OUT),
    timeout: Optional[float] = timeout_option(),
) -> None:
    from ..derive import compile_for_command
    from ..config import RunConfig, check_counts, prepare
    from ..render.console import make_console
    from ..target import resolve_target, start_point

    entries = parse_optimizers(optimizers)
    check_counts(steps, tol, None)
    if export is not None:
        check_export_dir(export)
    if png is not None:
        from ..render.png import prepare_png

        prepare_png(png)
    target = resolve_target(function, variables)
    x0 = start_point(target, start)  # checked once, before any run
    compiled = compile_for_command(target.problem, timeout)
    start_spec = ",".join(repr(float(v)) for v in x0)
    prepared = []
    for entry in entries:
        config = RunConfig(function=function, variables=variables, optimizer=entry.name, hyper=dict(entry.hyper),
                           steps=steps, tol=tol, start=start_spec)
        prepared.append(prepare(config, target=target, compiled=compiled))
    out = make_console()
    if not json_out:
        out.print(header_line(target, prepared[0]))
    runs = run_all(entries, prepared, out if not json_out else None)
    if export is not None:
        files = export_all(export, runs)
    rows = [table_row(run) for run in runs]
    if json_out:
        from ..render.console import write_json

        doc = {
            "function": target.text,
            "preset": target.preset.name if target.preset is not None else None,
            "variables": list(target.problem.variables),
            "start": list(x0),
            "runs": rows,
        }
        write_json(out, doc)
    else:
        out.print(comparison_table(rows))
        if not no_plot:
            show_plots(out, runs, target, compiled, box=box, slice_spec=slice_, axes=axes)
        if export is not None:
            out.print(f"paths written to {export}/: {', '.join(f.name for f in files)}")
    if png is not None:
        from .plot import build_scene, write_scene_png

        if target.problem.n >= 2:
            scene = build_scene(target, compiled, box_spec=box, slice_spec=slice_, axes=axes,
                                paths=[(r.label, r.result.path.x) for r in runs], critical=False)
            write_scene_png(png, scene, curves=[(r.label, r.result.path.k, r.result.path.loss) for r in runs])
        else:
            from ..render.png import write_figure

            write_figure(png, None, curves=[(r.label, r.result.path.k, r.result.path.loss) for r in runs], title=target.label)
        if not json_out:
            out.print(f"figure written to {png}")
    raise typer.Exit(exit_status(runs))


# -- the -o list ------------------------------------------------------------------------------
@dataclass
class Entry:
    """One optimizer of the comparison: its name, its settings, and the label shown for it."""

    name: str
    hyper: dict = field(default_factory=dict)
    text: str = ""
    label: str = ""


def parse_optimizers(spec: str, *, flag: str = "-o") -> list[Entry]:
    """``"gd,momentum,adam:lr=0.1,beta1=0.8,newton"`` → entries.

    Commas separate items.  An item ``name`` or ``name:key=value`` starts an optimizer; an item
    ``key=value`` without a colon continues the settings of the optimizer before it.  Names,
    setting names (``-`` may stand for ``_``) and values are checked here, with a caret under
    the offending item.
    """
    from ..errors import GdxError, did_you_mean
    from ..optim import OPTIMIZERS
    from ..target import finite_number

    entries: list[Entry] = []
    spans: list[tuple[int, int]] = []
    at = 0
    for raw in spec.split(","):
        item = raw.strip()
        start = at + (raw.index(item) if item else 0)
        at += len(raw) + 1
        span = (start, start + max(1, len(item)))
        if not item:
            raise GdxError(f"{flag}: empty item", kind="usage error", source=spec, span=span,
                           hint='separate optimizers with single commas: -o "gd,adam:lr=0.1"')
        if ":" in item:
            name, _, setting = item.partition(":")
            name = name.strip()
            _check_name(name, spec, (start, start + len(name)), flag)
            entries.append(Entry(name, {}, item))
            spans.append(span)
            if not setting.strip():
                continue
            item = setting.strip()
            start = start + len(name) + 1 + (len(setting) - len(setting.lstrip()))
            span = (start, start + len(item))
        elif "=" not in item:
            _check_name(item, spec, span, flag)
            entries.append(Entry(item, {}, item))
            spans.append(span)
            continue
        elif not entries:
            raise GdxError(f"{flag}: the setting '{item}' comes before any optimizer", kind="usage error",
                           source=spec, span=span, hint='write the optimizer first: -o "adam:lr=0.1,beta1=0.8"')
        else:
            entries[-1].text += "," + item
        entry = entries[-1]
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        accepted = OPTIMIZERS[entry.name].defaults
        if not sep or key not in accepted:
            raise GdxError(
                f"{flag}: optimizer '{entry.name}' does not take '{key}'" if sep else f"{flag}: '{item}' is not key=value",
                kind="usage error", source=spec, span=span,
                hint=(did_you_mean(key, accepted) or f"it takes: {', '.join(accepted)}"),
            )
        if key in entry.hyper:
            raise GdxError(f"{flag}: '{key}' is given twice for {entry.name}", kind="usage error", source=spec, span=span)
        entry.hyper[key] = finite_number(value, flag=flag, source=spec, span=span)
    if not entries:
        raise GdxError(f"{flag}: no optimizers given", kind="usage error", hint='for example -o "gd,adam"')
    _label(entries)
    return entries


def _check_name(name: str, spec: str, span, flag: str) -> None:
    from ..errors import GdxError, did_you_mean
    from ..optim import OPTIMIZERS

    if name not in OPTIMIZERS:
        raise GdxError(f"{flag}: unknown optimizer '{name}'", kind="usage error", source=spec, span=span,
                       hint=did_you_mean(name, OPTIMIZERS) or "choose from: " + ", ".join(OPTIMIZERS))


def _label(entries: list[Entry]) -> None:
    """The name alone when it is unique; ``name(settings)`` otherwise; ``#2``, ``#3`` for exact repeats."""
    from collections import Counter

    names = Counter(e.name for e in entries)
    seen: Counter = Counter()
    for e in entries:
        base = e.name
        if names[e.name] > 1 and e.hyper:
            base = f"{e.name}({','.join(f'{k}={v:g}' for k, v in e.hyper.items())})"
        seen[base] += 1
        e.label = base if seen[base] == 1 else f"{base}#{seen[base]}"


# -- running ----------------------------------------------------------------------------------
@dataclass
class Run:
    label: str
    entry: Entry
    prepared: object
    result: object
    diagnosis: object = None


def run_all(entries, prepared, out) -> list[Run]:
    """Run each optimizer in turn (a progress line on stderr); Ctrl-C stops the comparison there."""
    from ..result import Status
    from .optimize import consume

    runs = []
    err = None
    if out is not None:
        from ..render.console import make_console

        err = make_console(stderr=True)
    for entry, prep in zip(entries, prepared):
        if err is not None and err.is_terminal:
            err.print(f"[dim]running {entry.label}…[/]", end="\r")
        result = consume(prep)
        runs.append(Run(entry.label, entry, prep, result, diagnose_run(result, prep)))
        if result.status is Status.INTERRUPTED:
            break
    if err is not None and err.is_terminal:
        err.print(" " * 40, end="\r")
    return runs


def diagnose_run(result, prepared):
    """gdx.diagnose's verdict on the run, when that module is there (None otherwise)."""
    try:
        from ..diagnose import diagnose
    except ImportError:
        return None
    try:
        return diagnose(result, prepared.compiled, prepared.target.preset, tol=prepared.tol)
    except Exception:  # noqa: BLE001 - a missing verdict must not sink the comparison
        return None


def exit_status(runs) -> int:
    from ..errors import ExitCode
    from ..result import Status

    if any(r.result.status is Status.INTERRUPTED for r in runs):
        return int(ExitCode.INTERRUPTED)
    if runs and all(r.result.status in (Status.DIVERGED, Status.FAULT) for r in runs):
        return int(ExitCode.RUN_FAILED)
    return int(ExitCode.OK)


# -- the table --------------------------------------------------------------------------------
def distance_to_minimum(preset, x) -> float | None:
    """Euclidean distance from x to the nearest known minimum of the preset (None without one)."""
    import math

    if preset is None or not getattr(preset, "minima", None):
        return None
    if not all(math.isfinite(v) for v in x):
        return None
    return min(math.dist(tuple(m.at), tuple(x)) for m in preset.minima)


def table_row(run) -> dict:
    """One row of the comparison as plain data (what --json prints)."""
    from ..result import Status, _plain

    r = run.result
    converged = r.status is Status.CONVERGED
    row = {
        "optimizer": run.entry.name,
        "label": run.label,
        "hyperparameters": {k: _plain(v) for k, v in run.prepared.optimizer.hyper.items()},
        "status": r.status.value,
        "message": r.message,
        "steps": r.nit,
        "steps_to_tol": r.nit if converged else None,
        "loss": _plain(r.fun),
        "grad_norm": _plain(r.grad_norm),
        "x": [_plain(v) for v in r.x],
        "distance_to_minimum": _opt(distance_to_minimum(run.prepared.target.preset, r.x)),
        "wall_time": r.wall_time,
    }
    if run.diagnosis is not None:
        row["diagnosis"] = getattr(run.diagnosis, "verdict", None)
    return row


def _opt(v):
    from ..result import _plain

    return None if v is None else _plain(v)


def comparison_table(rows):
    from rich.table import Table

    from ..render.console import fmt
    from ..render.landscape import LETTERS
    from ..render.summary import STATUS_STYLE

    has_min = any(r["distance_to_minimum"] is not None for r in rows)
    has_diag = any("diagnosis" in r for r in rows)
    table = Table(header_style="bold", pad_edge=False, box=None, padding=(0, 1))
    table.add_column("", no_wrap=True)
    table.add_column("optimizer", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("steps", justify="right", no_wrap=True)
    table.add_column("final loss", justify="right", no_wrap=True)
    if has_min:
        table.add_column("to min", justify="right", no_wrap=True)
    if has_diag:
        table.add_column("diagnosis", overflow="fold")
    table.add_column("time", justify="right", no_wrap=True)
    for i, r in enumerate(rows):
        steps = str(r["steps_to_tol"]) if r["steps_to_tol"] is not None else f"— ({r['steps']})"
        cells = [LETTERS[i % len(LETTERS)], r["label"], f"[{STATUS_STYLE.get(r['status'], 'bold')}]{r['status']}[/]",
                 steps, fmt(r["loss"], 6)]
        if has_min:
            d = r["distance_to_minimum"]
            cells.append("—" if d is None else fmt(d, 3))
        if has_diag:
            cells.append(r.get("diagnosis") or "—")
        cells.append(f"{r['wall_time'] * 1000:.0f} ms")
        table.add_row(*cells)
    return table


def header_line(target, prepared) -> str:
    from rich.markup import escape

    from ..render.console import fmt, fmt_point

    return (f"[bold]compare[/] on {escape(target.label)} from x₀ = {fmt_point(prepared.x0)} · "
            f"≤ {prepared.steps} steps · tol {fmt(prepared.tol)}")


# -- plots ------------------------------------------------------------------------------------
def show_plots(out, runs, target, compiled, *, box=None, slice_spec=None, axes=None) -> None:
    """The loss curves overlaid, then the paths on the landscape (2 or more variables)."""
    from rich.text import Text

    from ..render.curves import loss_curves
    from .plot import build_scene, show_scene, terminal_color

    color = terminal_color(out)
    width = min(out.width, 120)
    text = loss_curves([(r.label, r.result.path) for r in runs], width=width, height=16, color=color)
    out.print(Text.from_ansi(text) if color else Text(text))
    if target.problem.n >= 2:
        out.print()
        scene = build_scene(target, compiled, box_spec=box, slice_spec=slice_spec, axes=axes,
                            paths=[(r.label, r.result.path.x) for r in runs], critical=True)
        title = None
        if target.problem.n > 2:
            title = f"paths projected on ({', '.join(scene.target.problem.variables[i] for i in scene.plot_vars)})"
        show_scene(out, scene, width=width, title=title)


# -- export -----------------------------------------------------------------------------------
def check_export_dir(path) -> Path:
    """--export DIR: an existing writable directory, or a new one in an existing writable parent."""
    import os

    from ..errors import GdxError

    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise GdxError(f"--export: '{p}' exists and is not a directory", kind="usage error",
                           hint="compare writes one CSV per optimizer into a directory")
        if not os.access(p, os.W_OK | os.X_OK):
            raise GdxError(f"--export: '{p}' is not writable", kind="usage error")
        return p
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise GdxError(f"--export: directory '{parent}' does not exist", kind="usage error")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise GdxError(f"--export: '{parent}' is not writable", kind="usage error")
    return p


def file_names(runs) -> list[str]:
    """``<optimizer>.csv``; a repeated optimizer gets ``<optimizer>-2.csv``, ``-3``, …"""
    from collections import Counter

    seen: Counter = Counter()
    out = []
    for r in runs:
        seen[r.entry.name] += 1
        k = seen[r.entry.name]
        out.append(f"{r.entry.name}.csv" if k == 1 else f"{r.entry.name}-{k}.csv")
    return out


def export_all(directory, runs) -> list[Path]:
    from ..errors import ExitCode, GdxError
    from ..render.export import export_run

    d = Path(directory)
    try:
        d.mkdir(exist_ok=True)
    except OSError as exc:
        raise GdxError(f"could not create '{d}': {exc.strerror or exc}", kind="io error", exit_code=ExitCode.IO) from None
    return [export_run(d / name, r.result) for name, r in zip(file_names(runs), runs)]
