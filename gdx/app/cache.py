"""``gdx cache clear``: empty the compiled cache (gdx.compiled_cache) of an environment."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ExitCode


@dataclass
class ClearOutcome:
    directory: str
    removed: int
    refused: str | None  # why the directory was not touched, or None
    exit_code: ExitCode


def clear(env) -> ClearOutcome:
    """Remove every entry of the cache directory of ``env``; a refused directory (someone else's,
    or writable by others) is left alone and said so (exit status IO)."""
    from ..compiled_cache import clear as clear_entries

    directory, removed, refused = clear_entries(env)
    return ClearOutcome(str(directory), removed, refused, ExitCode.IO if refused else ExitCode.OK)
