"""``gdx optimizers``: one panel per optimizer."""

from __future__ import annotations


def optimizer_panel(item: dict):
    """One optimizer as a panel: summary, hyperparameter table, update rule."""
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("flag", style="cyan", no_wrap=True)
    table.add_column("default", justify="right")
    table.add_column("valid", no_wrap=True)
    table.add_column("meaning")
    for h in item["hyperparameters"]:
        table.add_row(h["flag"], str(h["default"]), escape(h.get("range", "")), escape(h["meaning"]))
    rule = "\n".join(f"  {escape(line)}" for line in item["rule"])
    parts = [escape(item["summary"]), table, "[bold]update rule[/]", rule]
    if item.get("notes"):
        parts += ["[bold]notes[/]", escape(item["notes"] if isinstance(item["notes"], str) else " ".join(item["notes"]))]
    body = Group(*parts)
    return Panel(body, title=f"[bold]{item['name']}[/] · {escape(item['torch'])}", title_align="left", expand=False)
