"""``gdx presets``: the presets as a table, or one as a panel."""

from __future__ import annotations


TITLE_MIN = 12  # the title column keeps at least this many characters (then an ellipsis)
DROP_ORDER = ("f_min", "minima", "vars")  # narrow terminals lose these first; never the name


def preset_table(items, *, width: int | None = None):
    """Every preset in one table: name, variables, known minima, f_min, title.

    The name is what a user types, so it is never cut: at ``width`` columns the table drops
    f_min, then minima, then vars (:data:`DROP_ORDER`) until the names and
    :data:`TITLE_MIN` characters of title fit; the title takes the rest, with an ellipsis."""
    from rich.cells import cell_len
    from rich.table import Table

    from .console import fmt, safe_text as escape

    rows = []
    for p in items:
        f_min = "—" if p.f_min is None else fmt(p.f_min)
        names = ",".join(p.variables) if len(p.variables) <= 3 else f"{p.variables[0]}…{p.variables[-1]}"
        rows.append({"name": escape(p.name), "vars": escape(names), "minima": str(len(p.minima)),
                     "f_min": f_min, "title": escape(p.title)})
    columns = ["name", "vars", "minima", "f_min", "title"]

    def widest(c) -> int:
        return max([cell_len(c)] + [cell_len(r[c]) for r in rows])

    def needed(cols) -> int:
        fixed = sum(widest(c) for c in cols if c != "title")
        return fixed + TITLE_MIN + 2 * (len(cols) - 1)

    for drop in DROP_ORDER:
        if width is None or needed(columns) <= width:
            break
        columns.remove(drop)
    if width is not None:  # the title takes what is left, cut with an ellipsis (rich would crop it bare)
        room = max(TITLE_MIN, width - (needed(columns) - TITLE_MIN))
        for r in rows:
            if cell_len(r["title"]) > room:
                r["title"] = _cut(r["title"], room)
    table = Table(header_style="bold", box=None, pad_edge=False)
    for c in columns:
        if c == "name":
            table.add_column("name", style="cyan", no_wrap=True, min_width=widest(c))
        elif c == "title":
            table.add_column("title", no_wrap=True, overflow="ellipsis")
        else:
            table.add_column(c, justify="left" if c == "vars" else "right", no_wrap=True, min_width=widest(c))
    for r in rows:
        table.add_row(*(r[c] for c in columns))
    return table


def _cut(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` terminal cells, its last one an ellipsis."""
    from rich.cells import set_cell_size

    return set_cell_size(text, cells - 1).rstrip() + "…"


def preset_panel(p):
    """One preset in full: expression, variables, domain, start, settings, minima, sources."""
    from rich.panel import Panel
    from rich.table import Table

    from .console import fmt, fmt_point, safe_text as escape

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("expression", escape(p.expression))
    grid.add_row("variables", ", ".join(p.variables))
    if getattr(p, "data", None) is not None:
        grid.add_row("data", escape(f"{p.data.rows} rows of {', '.join(p.data.columns)} ([data]): the landscape is the "
                                    "mean of the expression over them"))
    grid.add_row("domain", ", ".join(f"{v} ∈ [{fmt(lo)}, {fmt(hi)}]" for v, (lo, hi) in p.domain.items()))
    grid.add_row("start", fmt_point(p.start))
    grid.add_row("settings", escape(" ".join(f"{k}={v}" for k, v in p.settings.items())) or "—")
    if p.minima:
        for i, m in enumerate(p.minima):
            grid.add_row("minima" if i == 0 else "", f"{fmt_point(m.at, 10)}  f = {fmt(m.value, 10)}  ({m.kind})")
    else:
        grid.add_row("minima", "none")
    for key, text in p.source.items():
        grid.add_row(f"source ({key})", escape(str(text)))
    grid.add_row("about", escape(p.description))
    return Panel(grid, title=f"[bold]{escape(p.name)}[/] · {escape(p.title)}", title_align="left", expand=False)
