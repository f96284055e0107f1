"""What ``gdx compare`` shows: the header, the table, the loss curves and the paths on the landscape."""

from __future__ import annotations


def comparison_table(rows):
    """The comparison table: letter, label, status, steps to tol, final loss, distance to the
    known minimum, diagnosis, wall time (from gdx.app.compare.table_row rows)."""
    from rich.table import Table

    from .console import fmt
    from .landscape import LETTERS
    from .summary import STATUS_STYLE

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
    from .curves import loss_curves
    from .landscape import show_scene

    out.print(comparison_table(outcome.rows))
    if plot:
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
