"""``gdx optimizers``: every optimizer with its hyperparameters, defaults and update rule."""

from __future__ import annotations

import typer

from . import common


def register(app: typer.Typer) -> None:
    app.command(
        "optimizers",
        help="List every optimizer: its torch.optim equivalent, hyperparameters with defaults, and update rule.",
        epilog="Examples:  gdx optimizers   ·   gdx optimizers adam   ·   gdx optimizers --json",
    )(optimizers)


def optimizers(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="Show only this optimizer.", show_default=False),
    json_out: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    from ..errors import GdxError, did_you_mean
    from ..optim import OPTIMIZERS, describe
    from ..render.console import write_json
    from ..render.optimizers import optimizer_panel

    items = describe()
    if name is not None:
        if name not in OPTIMIZERS:
            raise GdxError(f"unknown optimizer '{name}'", kind="input error", hint=did_you_mean(name, OPTIMIZERS))
        items = [d for d in items if d["name"] == name]
    out = common.session(ctx).out()
    if json_out:
        write_json(out, items)
        return
    for item in items:
        out.print(optimizer_panel(item, width=out.width))
