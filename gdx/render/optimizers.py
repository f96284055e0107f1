"""``gdx optimizers``: one panel per optimizer."""

from __future__ import annotations


def default_text(value) -> str:
    """A default as the command line writes it: ``0.9``, ``false``, ``0.5,1.2``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


MEANING_MIN = 24  # below this width for the meaning column, the hyperparameters are stacked


def optimizer_panel(item: dict, *, width: int | None = None):
    """One optimizer as a panel: summary, hyperparameter table, update rule.

    At ``width`` columns too narrow for the table with :data:`MEANING_MIN` characters of meaning,
    each hyperparameter is stacked instead: its flag, default and valid range on one line, the
    meaning wrapped under it (the flag, which identifies the row, is never cut)."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    hypers = item["hyperparameters"]
    cells = [(h["flag"], default_text(h["default"]), h.get("range", "")) for h in hypers]
    fixed = [max([cell_len(head)] + [cell_len(c[i]) for c in cells]) for i, head in enumerate(("flag", "default", "valid"))]
    if width is None or sum(fixed) + 6 + MEANING_MIN + 4 <= width:
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column("flag", style="cyan", no_wrap=True)
        table.add_column("default", justify="right", no_wrap=True)
        table.add_column("valid", no_wrap=True)
        table.add_column("meaning")
        for h, (flag, default, valid) in zip(hypers, cells):
            table.add_row(flag, default, escape(valid), escape(h["meaning"]))
    else:
        table = Table.grid(padding=(0, 0))
        table.add_column(overflow="fold")
        for h, (flag, default, valid) in zip(hypers, cells):
            table.add_row(f"[cyan]{escape(flag)}[/]  {escape(default)}  ({escape(valid)})" if valid
                          else f"[cyan]{escape(flag)}[/]  {escape(default)}")
            table.add_row(Padding(Text(h["meaning"]), (0, 0, 0, 2)))
    rule = "\n".join(f"  {escape(line)}" for line in item["rule"])
    parts = [escape(item["summary"]), table, "[bold]update rule[/]", rule]
    if item.get("notes"):
        parts += ["[bold]notes[/]", escape(item["notes"] if isinstance(item["notes"], str) else " ".join(item["notes"]))]
    body = Group(*parts)
    return Panel(body, title=f"[bold]{item['name']}[/] · {escape(item['torch'])}", title_align="left", expand=False)
