"""``gdx presets``: the presets as a table, or one as a panel."""

from __future__ import annotations


def preset_table(items):
    """Every preset in one table: name, variables, known minima, f_min, title."""
    from rich.table import Table

    from .console import fmt, safe_text as escape

    table = Table(header_style="bold", box=None, pad_edge=False)
    table.add_column("name", style="cyan", no_wrap=True)
    table.add_column("vars", no_wrap=True)
    table.add_column("minima", justify="right", no_wrap=True)
    table.add_column("f_min", justify="right", no_wrap=True)
    table.add_column("title", no_wrap=True, overflow="ellipsis")
    for p in items:
        f_min = "—" if p.f_min is None else fmt(p.f_min)
        names = ",".join(p.variables) if len(p.variables) <= 3 else f"{p.variables[0]}…{p.variables[-1]}"
        table.add_row(escape(p.name), names, str(len(p.minima)), f_min, escape(p.title))
    return table


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
