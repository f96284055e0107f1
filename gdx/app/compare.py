"""``gdx compare``: several optimizers from the same start on the same compiled function.

The ``-o`` list is a small language (:func:`parse_optimizers`): names from the optimizer
registry, each with optional ``key=value`` settings (a number, ``true``/``false`` for a switch
such as ``adam:amsgrad=true``, ``(a,b)`` for a pair such as ``rprop:etas=(0.4,1.3)``) whose
keys are the hyperparameters that
optimizer takes (the registry's table).  Every run is prepared by the one ``prepare`` from the
same request (steps, tol, start, schedule, clipping), with f, ∇f and H derived once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ExitCode, GdxError
from ..result import Status

DEFAULT_OPTIMIZERS = "gd,momentum,adam,newton"


@dataclass
class Run:
    """One optimizer of the comparison, run."""

    label: str
    entry: Any  # Entry
    prepared: Any
    result: Any
    diagnosis: Any = None


@dataclass
class CompareOutcome:
    target: Any
    compiled: Any
    x0: tuple
    runs: list
    rows: list  # table_row of each run
    document: dict  # what --json prints
    exit_code: ExitCode
    files: list = field(default_factory=list)  # written by --export DIR
    png: str | None = None
    gif: str | None = None


def check_compare_flags(*, json_out: bool, no_plot: bool, png, box, slice_spec, axes, gif=None) -> None:
    """--json prints the table only and --no-plot draws nothing: --no-plot does not apply with
    --json, and the view flags (--box, --slice, --axes) apply only to a drawing (or --png, --gif)."""
    from .flags import refuse_inapplicable

    if json_out:
        refuse_inapplicable({"--no-plot": no_plot}, because="with --json")
    if (json_out or no_plot) and png is None and gif is None:
        refuse_inapplicable({"--box": box is not None, "--slice": slice_spec is not None, "--axes": axes is not None},
                            because="with --json" if json_out else "with --no-plot",
                            hint="they choose what the landscape (or the --png figure, the --gif animation) shows")


def check_compare_outputs(*, export, png, gif=None) -> None:
    """Before any work: --export DIR is a writable directory; --png and --gif writable paths (and
    the png extra installed)."""
    if export is not None:
        from ..paths import check_output_dir

        check_output_dir(export, why="compare writes one CSV per optimizer into a directory")
    if png is not None:
        from ..render.png import prepare_png

        prepare_png(png)
    if gif is not None:
        from ..render.gif import prepare_gif

        prepare_gif(gif)


def prepare_all(request, entries, *, export=None):
    """(target, compiled, [Prepared per entry]): every entry checked first (and, with ``export``,
    that the variables' columns can be exported), then one target, one compiled function, one
    start for all."""
    from .prepare import check_defined, compile_target, plan, resolve

    target = resolve(request.function, request.variables, timeout=request.timeout, data=request.data)
    if export is not None:
        from ..paths import check_export_columns

        check_export_columns(target.problem.variables)
    plans = [plan(replace(request, optimizer=e.name, hyper=dict(e.hyper)), target=target) for e in entries]
    compiled = compile_target(target, plans[0].timeout)
    check_defined(target, compiled, plans[0].x0)
    for p in plans:
        p.compiled = compiled
    return target, compiled, plans


def compare(request, entries, *, prepared=None, on_run=None, export=None, png=None, view=None, gif=None) -> CompareOutcome:
    """Prepare every entry, run them in turn (``on_run(label)`` before each; Ctrl-C stops the
    comparison there), export and draw (``view``: box_spec, slice_spec, axes of the figure);
    return the table rows and the document.  ``prepared``: what :func:`prepare_all` returned, when
    the caller showed something before the runs."""
    from .runs import consume, diagnose_run, runs_exit_code, target_fields

    target, compiled, prepared = prepared or prepare_all(request, entries, export=export)
    if gif is not None:
        from .plot import require_2d

        require_2d(target)
    runs = []
    for entry, prep in zip(entries, prepared):
        if on_run is not None:
            on_run(entry.label)
        result = consume(prep)
        runs.append(Run(entry.label, entry, prep, result, diagnose_run(prep, result)))
        if result.status is Status.INTERRUPTED:
            break
    files = export_all(export, runs) if export is not None else []
    rows = [table_row(run) for run in runs]
    x0 = prepared[0].x0
    document = {**target_fields(target), "start": list(x0), "runs": rows}
    outcome = CompareOutcome(target, compiled, x0, runs, rows, document, runs_exit_code(r.result for r in runs), files)
    if png is not None:
        write_compare_png(png, outcome, **(view or {}))
        outcome.png = str(png)
    if gif is not None:
        write_compare_gif(gif, outcome, **(view or {}))
        outcome.gif = str(gif)
    return outcome


def write_compare_gif(gif, outcome, *, box_spec=None, slice_spec=None, axes=None) -> list[int]:
    """The animation: every run's path drawn step by step on the landscape, the loss curves beside."""
    from .plot import build_scene, write_scene_gif

    scene = build_scene(outcome.target, outcome.compiled, box_spec=box_spec, slice_spec=slice_spec, axes=axes,
                        paths=[(r.label, r.result.path.x) for r in outcome.runs], critical=False)
    return write_scene_gif(gif, scene, curves=[(r.label, r.result.path.k, r.result.path.loss) for r in outcome.runs])


def write_compare_png(png, outcome, *, box_spec=None, slice_spec=None, axes=None) -> None:
    """The figure: the paths on the landscape (2+ variables) beside the loss curves."""
    curves = [(r.label, r.result.path.k, r.result.path.loss) for r in outcome.runs]
    if outcome.target.problem.n >= 2:
        from .plot import build_scene, write_scene_png

        scene = build_scene(outcome.target, outcome.compiled, box_spec=box_spec, slice_spec=slice_spec, axes=axes,
                            paths=[(r.label, r.result.path.x) for r in outcome.runs], critical=False)
        write_scene_png(png, scene, curves=curves)
    else:
        from ..render.png import write_figure

        write_figure(png, None, curves=curves, title=outcome.target.label)


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
    from ..errors import did_you_mean
    from ..optim import OPTIMIZERS
    from ..optim.hyper import HYPERPARAMETERS
    from ..target import finite_number

    entries: list[Entry] = []
    spans: list[tuple[int, int]] = []
    at = 0
    for raw in _split_items(spec):
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
        kind = HYPERPARAMETERS[key].kind
        if kind == "float":
            entry.hyper[key] = finite_number(value, flag=flag, source=spec, span=span)
        else:
            entry.hyper[key] = HYPERPARAMETERS[key].parse(value, flag=f"{flag} {key}", source=spec, span=span)
    if not entries:
        raise GdxError(f"{flag}: no optimizers given", kind="usage error", hint='for example -o "gd,adam"')
    _label(entries)
    return entries


def _split_items(spec: str) -> list[str]:
    """``spec`` split at the commas outside parentheses, so that a pair keeps its comma
    (``"rprop:etas=(0.4,1.3),gd"`` → ``["rprop:etas=(0.4,1.3)", "gd"]``); joining the pieces
    with commas gives ``spec`` back."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(spec):
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(spec[start:i])
            start = i + 1
    items.append(spec[start:])
    return items


def _check_name(name: str, spec: str, span, flag: str) -> None:
    """An optimizer name of the registry, or an error at its span with the closest name."""
    from ..errors import did_you_mean
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
            base = f"{e.name}({','.join(f'{k}={_text(v)}' for k, v in e.hyper.items())})"
        seen[base] += 1
        e.label = base if seen[base] == 1 else f"{base}#{seen[base]}"


# -- the table --------------------------------------------------------------------------------
def _text(value) -> str:
    """A setting as ``-o`` writes it: ``0.1``, ``true``, ``(0.4,1.3)``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "(" + ",".join(f"{v:g}" for v in value) + ")"
    return f"{value:g}"


def table_row(run) -> dict:
    """One row of the comparison as plain data (what --json prints)."""
    from ..numbers import json_number, json_numbers
    from .runs import known_minimum

    r = run.result
    found = known_minimum(run.prepared, r.x)
    row = {
        "optimizer": run.entry.name,
        "label": run.label,
        "hyperparameters": {k: json_number(v) for k, v in run.prepared.optimizer.hyper.items()},
        "status": r.status.value,
        "message": r.message,
        "steps": r.nit,
        "steps_to_tol": r.nit if r.status is Status.CONVERGED else None,
        "loss": json_number(r.fun),
        "grad_norm": json_number(r.grad_norm),
        "x": json_numbers(r.x),
        "distance_to_minimum": None if found is None else json_number(found[1]),
        "nfev": r.nfev,
        "njev": r.njev,
        "nhev": r.nhev,
        "wall_time": r.wall_time,
    }
    if run.diagnosis is not None:
        row["diagnosis"] = run.diagnosis.verdict
    return row


# -- export -----------------------------------------------------------------------------------
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


def compare_scene(outcome, *, box_spec=None, slice_spec=None, axes=None):
    """The paths of every run on the landscape (2+ variables; critical points marked), or None."""
    if outcome.target.problem.n < 2:
        return None
    from .plot import build_scene, marks_budget

    return build_scene(outcome.target, outcome.compiled, box_spec=box_spec, slice_spec=slice_spec, axes=axes,
                       paths=[(r.label, r.result.path.x) for r in outcome.runs], critical=True,
                       budget=marks_budget(outcome.runs[0].prepared.timeout))


def export_all(directory, runs) -> list[Path]:
    """One CSV per run into ``directory`` (created if needed), named by :func:`file_names`."""
    from ..paths import make_dir
    from ..render.export import export_run

    d = make_dir(directory)
    return [export_run(d / name, r.result) for name, r in zip(file_names(runs), runs)]
