"""``gdx cache clear``: empty the compiled cache."""

from __future__ import annotations

import typer

from . import common


def register(app: typer.Typer) -> None:
    cache = typer.Typer(help="The compiled cache (derivatives and generated code of functions already run), "
                             "in $XDG_CACHE_HOME/gdx, else ~/.cache/gdx.", no_args_is_help=True)
    cache.command("clear", help="Remove every entry of the compiled cache.",
                  epilog="Example:  gdx cache clear")(clear)
    app.add_typer(cache, name="cache")


def clear(ctx: typer.Context) -> None:
    from ..app.cache import clear as clear_cache

    s = common.session(ctx)
    outcome = clear_cache(s.env)
    if outcome.refused:
        s.err().print(f"gdx cache: not touched: {outcome.refused}", markup=False, highlight=False)
    else:
        s.out().print(f"removed {outcome.removed} entr{'y' if outcome.removed == 1 else 'ies'} from {outcome.directory}",
                      markup=False, highlight=False)
    common.finish(outcome.exit_code)
