"""What ``gdx compare`` shows: the header, the table, the loss curves and the paths on the landscape."""

from __future__ import annotations


# Columns dropped first when the terminal is too narrow for all of them; the letter, the
# optimizer and the status say which row is which and what happened, and are never dropped.
DROP_ORDER = ("time", "diagnosis", "to min", "steps", "final loss")


def comparison_table(rows, console=None):
    """The comparison table: letter, label, status, steps to tol, final loss, distance to the
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
    """Whether rich gives the optimizer column its label (up to 14 characters a line) and the
    status column its longest status, at the console's width."""
    need_label = min(14, max([len("optimizer"), *(len(r["label"]) for r in rows)]))
    need_status = max([len("status"), *(len(r["status"]) for r in rows)])
    widths = table._calculate_column_widths(console, console.options)
    return widths[1] >= need_label and widths[2] >= need_status


def _columns(rows):
    """(header, column options, cell of a row) for every column the rows have."""
    from .console import fmt
    from .landscape import LETTERS
    from .summary import STATUS_STYLE

    letters = {id(r): LETTERS[i % len(LETTERS)] for i, r in enumerate(rows)}
    columns = [
        ("", dict(no_wrap=True), lambda r: letters[id(r)]),
        ("optimizer", dict(overflow="fold"), lambda r: r["label"]),
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
