"""``gdx presets [NAME]``: the preset landscapes, one or all, as a table or JSON."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command(
        "presets",
        help="List the preset landscapes, or show one (its expression, domain, start, settings and known minima).",
        epilog="Examples:  gdx presets   ·   gdx presets himmelblau   ·   gdx presets --json",
    )(presets)


def presets(
    name: str = typer.Argument(None, help="A preset name or .toml file to show in full.", show_default=False),
    json_out: bool = typer.Option(False, "--json", help="Print all (or the one named) as JSON data."),
) -> None:
    from ..render.console import write_json

    from .. import presets as lib
    from ..render.console import make_console

    items = [lib.load_preset(name)] if name else lib.list_presets()
    out = make_console()
    if json_out:
        data = [p.to_dict() for p in items]
        write_json(out, data[0] if name else data)
        return
    if name:
        out.print(preset_panel(items[0]))
        return
    out.print(preset_table(items))
    out.print('Show one with: gdx presets NAME   ·   run one with: gdx optimize NAME')


def preset_table(items):
    from rich.markup import escape
    from rich.table import Table

    from ..render.console import fmt

    table = Table(header_style="bold", box=None, pad_edge=False)
    table.add_column("name", style="cyan", no_wrap=True)
    table.add_column("vars", no_wrap=True)
    table.add_column("minima", justify="right", no_wrap=True)
    table.add_column("f_min", justify="right", no_wrap=True)
    table.add_column("title", no_wrap=True, overflow="ellipsis")
    for p in items:
        f_min = "—" if p.f_min is None else fmt(p.f_min)
        table.add_row(p.name, ",".join(p.variables), str(len(p.minima)), f_min, escape(p.title))
    return table


def preset_panel(p):
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    from ..render.console import fmt, fmt_point

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("expression", escape(p.expression))
    grid.add_row("variables", ", ".join(p.variables))
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
    return Panel(grid, title=f"[bold]{p.name}[/] · {escape(p.title)}", title_align="left", expand=False)
