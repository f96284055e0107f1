"""``gdx optimizers``: every optimizer with its hyperparameters, defaults and update rule."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command(
        "optimizers",
        help="List every optimizer: its torch.optim equivalent, hyperparameters with defaults, and update rule.",
        epilog="Examples:  gdx optimizers   ·   gdx optimizers adam   ·   gdx optimizers --json",
    )(optimizers)


def optimizers(
    name: str = typer.Argument(None, help="Show only this optimizer.", show_default=False),
    json_out: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    from ..render.console import write_json

    from ..errors import GdxError, did_you_mean
    from ..optim import OPTIMIZERS, describe
    from ..render.console import make_console

    items = describe()
    if name is not None:
        if name not in OPTIMIZERS:
            raise GdxError(f"unknown optimizer '{name}'", kind="input error", hint=did_you_mean(name, OPTIMIZERS))
        items = [d for d in items if d["name"] == name]
    out = make_console()
    if json_out:
        write_json(out, items)
        return
    for item in items:
        out.print(optimizer_panel(item))


def optimizer_panel(item: dict):
    """One optimizer as a panel: summary, hyperparameter table, update rule."""
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("flag", style="cyan", no_wrap=True)
    table.add_column("default", justify="right")
    table.add_column("meaning")
    for h in item["hyperparameters"]:
        table.add_row(h["flag"], str(h["default"]), escape(h["meaning"]))
    rule = "\n".join(f"  {escape(line)}" for line in item["rule"])
    parts = [escape(item["summary"]), table, "[bold]update rule[/]", rule]
    if item.get("notes"):
        parts += ["[bold]notes[/]", escape(item["notes"] if isinstance(item["notes"], str) else " ".join(item["notes"]))]
    body = Group(*parts)
    return Panel(body, title=f"[bold]{item['name']}[/] · {escape(item['torch'])}", title_align="left", expand=False)
