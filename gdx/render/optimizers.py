"""``gdx optimizers``: one panel per optimizer."""

from __future__ import annotations


def default_text(value) -> str:
    """A default as the command line writes it: ``0.9``, ``false``, ``0.5,1.2``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


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
        table.add_row(h["flag"], default_text(h["default"]), escape(h.get("range", "")), escape(h["meaning"]))
    rule = "\n".join(f"  {escape(line)}" for line in item["rule"])
    parts = [escape(item["summary"]), table, "[bold]update rule[/]", rule]
    if item.get("notes"):
        parts += ["[bold]notes[/]", escape(item["notes"] if isinstance(item["notes"], str) else " ".join(item["notes"]))]
    body = Group(*parts)
    return Panel(body, title=f"[bold]{item['name']}[/] · {escape(item['torch'])}", title_align="left", expand=False)
