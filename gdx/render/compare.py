"""What ``gdx compare`` shows: the header, the table, the loss curves and the paths on the landscape."""

from __future__ import annotations


# Columns dropped first when the terminal is too narrow for all of them; the letter, the
# optimizer and the status say which row is which and what happened, and are never dropped.
DROP_ORDER = ("time", "diagnosis", "settings", "to min", "steps", "final loss")


def settings_text(hyper: dict) -> str:
    """A run's hyperparameters as ``lr=0.01 momentum=0.9``: lr always, then every other setting
    except those that are off (0 or false: no weight decay, no dampening, not maximizing)."""
    from .console import fmt

    def text(v):
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, (list, tuple)):
            return "(" + ",".join(fmt(x) for x in v) + ")"
        return fmt(v)

    return " ".join(f"{k}={text(v)}" for k, v in hyper.items()
                    if k == "lr" or not (v is False or (not isinstance(v, (list, tuple, bool)) and v == 0)))


def comparison_table(rows, console=None):
    """The comparison table: letter, label, settings (:func:`settings_text`), status, steps to tol, final loss, distance to the
    known minimum, diagnosis, wall time (from gdx.app.compare.table_row rows).  On ``console``,
    the columns of :data:`DROP_ORDER` are left out, in that order, until the rest fits its width."""
    columns = _columns(rows)
    table = _table(rows, columns)
    for name in DROP_ORDER:
        if console is None or _fits(console, table, rows):
            break
        columns = [c for c in columns if c[0] != name]
        table = _table(rows, columns)
    return table


def _fits(console, table, rows) -> bool:
    """Whether rich gives, at the console's width, the optimizer column its label (up to 14
    characters a line), the status column its longest status and the settings column (when
    shown) its longest ``key=value``, so no word is broken."""
    need = {
        "optimizer": min(14, max([len("optimizer"), *(len(r["label"]) for r in rows)])),
        "status": max([len("status"), *(len(r["status"]) for r in rows)]),
        "settings": max([len("settings"), *(len(w) for r in rows for w in settings_text(r["hyperparameters"]).split())]),
    }
    widths = table._calculate_column_widths(console, console.options)  # padding included: 1 each side
    return all(w - 2 >= need[c.header] for c, w in zip(table.columns, widths) if c.header in need)


def _columns(rows):
    """(header, column options, cell of a row) for every column the rows have."""
    from .console import fmt
    from .landscape import LETTERS
    from .summary import STATUS_STYLE

    letters = {id(r): LETTERS[i % len(LETTERS)] for i, r in enumerate(rows)}
    columns = [
        ("", dict(no_wrap=True), lambda r: letters[id(r)]),
        ("optimizer", dict(overflow="fold"), lambda r: r["label"]),
        ("settings", dict(overflow="fold"), lambda r: settings_text(r["hyperparameters"])),
        ("status", dict(no_wrap=True), lambda r: f"[{STATUS_STYLE.get(r['status'], 'bold')}]{r['status']}[/]"),
        ("steps", dict(justify="right", no_wrap=True),
         lambda r: str(r["steps_to_tol"]) if r["steps_to_tol"] is not None else f"— ({r['steps']})"),
        ("final loss", dict(justify="right", no_wrap=True), lambda r: fmt(r["loss"], 6)),
    ]
    if any(r["distance_to_minimum"] is not None for r in rows):
        columns.append(("to min", dict(justify="right", no_wrap=True),
                        lambda r: "—" if r["distance_to_minimum"] is None else fmt(r["distance_to_minimum"], 3)))
    if any("diagnosis" in r for r in rows):
        columns.append(("diagnosis", dict(overflow="fold"), lambda r: r.get("diagnosis") or "—"))
    columns.append(("time", dict(justify="right", no_wrap=True), lambda r: f"{r['wall_time'] * 1000:.0f} ms"))
    return columns


def _table(rows, columns):
    from rich.table import Table

    table = Table(header_style="bold", pad_edge=False, box=None, padding=(0, 1))
    for header, options, _ in columns:
        table.add_column(header, **options)
    for r in rows:
        table.add_row(*(cell(r) for _, _, cell in columns))
    return table


def header_line(target, prepared) -> str:
    """``compare on NAME from x₀ = (…) · ≤ N steps · tol T`` (+ schedule and clipping when set)."""
    from rich.markup import escape

    from .console import fmt, fmt_point

    extra = "" if prepared.constant_lr else f" · {prepared.schedule_name} lr"
    if prepared.clip_norm is not None:
        extra += f" · clip ‖g‖ ≤ {fmt(prepared.clip_norm)}"
    return (f"[bold]compare[/] on {escape(target.label)} from x₀ = {fmt_point(prepared.x0)} · "
            f"≤ {prepared.steps} steps · tol {fmt(prepared.tol)}{escape(extra)}")


def print_comparison(out, outcome, *, plot: bool, scene=None) -> None:
    """The table, then (``plot``) the loss curves overlaid and ``scene``, then where files went."""
    from rich.text import Text

    from .console import safe_text, terminal_color

    out.print(comparison_table(outcome.rows, out))
    if plot:
        from .curves import loss_curves
        from .landscape import show_scene

        color = terminal_color(out)
        width = min(out.width, 120)
        text = loss_curves([(r.label, r.result.path) for r in outcome.runs], width=width, height=16, color=color)
        out.print(Text.from_ansi(text) if color else Text(text))
        if scene is not None:
            out.print()
            title = None
            if outcome.target.problem.n > 2:
                title = f"paths projected on ({', '.join(outcome.target.problem.variables[i] for i in scene.plot_vars)})"
            show_scene(out, scene, width=width, title=title)
    if outcome.files:
        directory = outcome.files[0].parent
        out.print(f"paths written to {safe_text(directory, markup=False)}/: {safe_text(', '.join(f.name for f in outcome.files), markup=False)}", soft_wrap=True, markup=False)
    if outcome.png:
        out.print(f"figure written to {safe_text(outcome.png, markup=False)}", soft_wrap=True, markup=False)
    if outcome.gif:
        out.print(f"animation written to {safe_text(outcome.gif, markup=False)}", soft_wrap=True, markup=False)
