"""``gdx presets [NAME]``: the preset landscapes, one or all, as a table or JSON (gdx.presets → gdx.render.presets)."""

from __future__ import annotations

import typer

from . import common


def register(app: typer.Typer) -> None:
    app.command(
        "presets",
        help="List the preset landscapes, or show one (its expression, domain, start, settings and known minima).",
        epilog="Examples:  gdx presets   ·   gdx presets himmelblau   ·   gdx presets --json",
    )(presets)


def presets(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="A preset name or .toml file to show in full.", show_default=False),
    json_out: bool = typer.Option(False, "--json", help="Print all (or the one named) as JSON data."),
) -> None:
    from .. import presets as lib
    from ..render.console import write_json
    from ..render.presets import preset_panel, preset_table

    items = [lib.load_preset(name)] if name else lib.list_presets()
    out = common.session(ctx).out()
    if json_out:
        data = [p.to_dict() for p in items]
        write_json(out, data[0] if name else data)
        return
    if name:
        out.print(preset_panel(items[0]))
        return
    out.print(preset_table(items, width=out.width))
    out.print('Show one with: gdx presets NAME   ·   run one with: gdx optimize NAME')
