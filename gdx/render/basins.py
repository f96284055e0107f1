"""Drawing many starts: the basins table and the basin map.

The map is the box drawn as characters, one per cell (row 0 = the largest y): each cell shows
the label of the basin that a run from the cell's centre reached, ``×`` when that run
diverged; the cell holding a basin's point shows ``*``.  On a terminal each basin has a colour.
"""

from __future__ import annotations

from .console import fmt

PALETTE = ("cyan", "magenta", "yellow", "green", "blue", "red", "bright_cyan", "bright_magenta",
           "bright_yellow", "bright_green", "bright_blue", "bright_red")
FAILED_CHAR = "×"
#: A cell whose run stopped at --steps away from every basin.
UNCONVERGED_CHAR = "·"
POINT_CHAR = "*"


# Columns left out first when the terminal is too narrow for the table; the basin letter (which
# ties a row to the map), the point and f are never left out.
DROP_ORDER = ("known min.", "conv.", "share", "kind", "runs")


#: Basins listed in the table without --all-rows (those with the most runs); the rest are one summary row.
MAX_BASIN_ROWS = 12


def basins_table(ms, variables, console=None, *, all_rows: bool = False):
    """Basin, point, kind, f, runs, share, converged, known — one row per basin (at most
    :data:`MAX_BASIN_ROWS`, those with the most runs, unless ``all_rows``; the others summed in one
    row), plus diverged and not converged.  On ``console``, the columns of :data:`DROP_ORDER` are left out, in that
    order, until the table's natural width fits the console's."""
    from rich.measure import Measurement

    shown = ms.basins if all_rows or len(ms.basins) <= MAX_BASIN_ROWS else \
        sorted(ms.basins, key=lambda b: -b.count)[:MAX_BASIN_ROWS]
    shown = [b for b in ms.basins if any(b is s for s in shown)]  # in the basins' own order
    columns = _columns(ms, variables)
    table = _table(ms, columns, shown)
    for name in DROP_ORDER:
        if console is None or Measurement.get(console, console.options.update_width(10**4), table).maximum <= console.width:
            break
        columns = [c for c in columns if c[0] != name]
        table = _table(ms, columns, shown)
    return table


def _columns(ms, variables):
    """(header, column options, cell of a basin, cell of the diverged row) for every column."""
    N = len(ms.assigned)

    def known(b):
        k = (b.known or "").replace(" minimum", "")
        return k or ("map only" if b.count == 0 else "")

    right = dict(justify="right", no_wrap=True)
    return [
        ("basin", dict(no_wrap=True, min_width=5), lambda b: b.label, FAILED_CHAR),
        ("(" + ", ".join(variables) + ")", dict(overflow="fold"),
         lambda b: "(" + ", ".join(fmt(v, 6) for v in b.point) + ")", "diverged / fault"),
        ("kind", dict(no_wrap=True), lambda b: b.kind, ""),
        ("f", right, lambda b: fmt(b.value, 3), ""),
        ("runs", right, lambda b: str(b.count), str(ms.failed)),
        ("share", right, lambda b: f"{100 * b.count / N:.1f}%", f"{100 * ms.failed / N:.1f}%"),
        ("conv.", right, lambda b: str(b.converged), ""),
        ("known min.", dict(no_wrap=True), known, ""),
    ]


def _unconverged(ms, columns) -> list:
    """The row of the runs that stopped at --steps away from every basin: no point, no kind."""
    n, N = ms.not_converged, max(1, len(ms.assigned))
    cells = {"basin": UNCONVERGED_CHAR, "runs": str(n), "share": f"{100 * n / N:.1f}%"}
    return [cells.get(h, "not converged (no kind)" if i == 1 else "") for i, (h, *_) in enumerate(columns)]


def _table(ms, columns, shown):
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False)
    for header, options, _, _ in columns:
        table.add_column(header, **options)
    for b in shown:
        table.add_row(*(cell(b) for _, _, cell, _ in columns))
    hidden = len(ms.basins) - len(shown)
    if hidden:
        runs = sum(b.count for b in ms.basins) - sum(b.count for b in shown)
        summary = {"basin": "…", "runs": str(runs), "share": f"{100 * runs / max(1, len(ms.assigned)):.1f}%"}
        point = f"{hidden} more basin{'s' if hidden != 1 else ''}"
        table.add_row(*(summary.get(header, point if i == 1 else "") for i, (header, _, _, _) in enumerate(columns)))
        table.caption, table.caption_justify = "--all-rows lists every basin; --json has them all", "left"
    if ms.failed:
        table.add_row(*(failed for _, _, _, failed in columns))
    if ms.not_converged:
        table.add_row(*_unconverged(ms, columns))
    return table


def basin_map(ms, variables, *, color: bool = False):
    """The map as a rich Text with y labels on the left, x labels below and a legend."""
    from rich.text import Text

    m = ms.map
    rows, cols = m.cells.shape
    (x0, x1), (y0, y1) = ms.box
    marks = _point_cells(ms)
    ylab = {0: fmt(y1, 3), rows // 2: fmt((y0 + y1) / 2, 3), rows - 1: fmt(y0, 3)}
    lw = max(len(s) for s in ylab.values())
    out = Text()
    out.append(f"basin map: where a run from each cell goes ({cols}×{rows} starts)\n")
    for r in range(rows):
        out.append(ylab.get(r, "").rjust(lw) + " │")
        for c in range(cols):
            i = int(m.cells[r, c])
            ch = FAILED_CHAR if i == -1 else UNCONVERGED_CHAR if i < 0 else (POINT_CHAR if (r, c) in marks else ms.basins[i].label[0])
            style = None
            if color:
                style = "bold red" if i == -1 else "dim" if i < 0 else PALETTE[i % len(PALETTE)] + (" bold reverse" if (r, c) in marks else "")
            out.append(ch, style=style)
        out.append("\n")
    out.append(" " * lw + " └" + "─" * cols + "\n")
    left, mid, right = fmt(x0, 3), fmt((x0 + x1) / 2, 3), fmt(x1, 3)
    line = [" "] * (lw + 2 + cols + 2)
    for text, at in ((left, lw + 2), (mid, lw + 2 + cols // 2 - len(mid) // 2), (right, lw + 2 + cols - len(right))):
        line[at : at + len(text)] = list(text)
    out.append("".join(line).rstrip() + "\n")
    names = variables if len(variables) == 2 else ("x", "y")
    out.append(" " * (lw + 2) + f"{names[0]} →   ↑ {names[1]}\n")
    legend = f"letters: basins as in the table · {POINT_CHAR} the basin's point · {FAILED_CHAR} diverged"
    if (m.cells == -2).any():
        legend += f" · {UNCONVERGED_CHAR} not converged"
    out.append(legend)
    return out


def _point_cells(ms) -> set:
    """(row, col) of the cells holding each basin's point (inside the box)."""
    m = ms.map
    rows, cols = m.cells.shape
    (x0, x1), (y0, y1) = ms.box
    out = set()
    for b in ms.basins:
        x, y = b.point[0], b.point[1]
        if x0 <= x <= x1 and y0 <= y <= y1:
            c = min(cols - 1, int((x - x0) / (x1 - x0) * cols))
            r = min(rows - 1, int((y1 - y) / (y1 - y0) * rows))
            out.add((r, c))
    return out


def header_line(ms, optimizer_line: str) -> str:
    box = " × ".join(f"[{fmt(lo, 4)}, {fmt(hi, 4)}]" for lo, hi in ms.box)
    return f"{len(ms.assigned)} random starts in {box} (seed {ms.seed}) · {optimizer_line}"


def map_columns(width: int) -> int:
    """Basin-map columns for a console ``width`` columns wide (20 to 60)."""
    return max(20, min(60, min(width, 100) - 12))


def print_multistart(out, outcome, *, all_rows: bool = False) -> None:
    """``gdx optimize --starts``: the title, the settings, the basins table, the basin map, the counts."""
    from rich.text import Text

    from .console import safe_text, terminal_color
    from .mathtext import problem_text

    ms, prepared = outcome.multistart, outcome.prepared
    target = prepared.target
    variables = target.problem.variables
    label = safe_text(target.preset.title, markup=False) if target.preset is not None else f"f = {problem_text(target.problem)}"
    out.print(Text(label))
    out.print(Text(header_line(ms, f"{prepared.optimizer.name} {prepared.settings_line()}")))
    out.print(basins_table(ms, variables, out, all_rows=all_rows))
    if ms.map is not None:
        out.print()
        out.print(basin_map(ms, variables, color=terminal_color(out)))
    elif len(variables) != 2:
        out.print(Text(f"(no basin map: it needs 2 variables, this function has {len(variables)})"))
    counts = " · ".join(f"{v} {k}" for k, v in sorted(ms.batch.counts().items(), key=lambda kv: -kv[1]))
    out.print(Text(f"runs: {counts} · {ms.batch.wall_time:.2f} s"))
    if outcome.gif:
        out.print(f"animation written to {safe_text(outcome.gif, markup=False)}", soft_wrap=True, markup=False)
