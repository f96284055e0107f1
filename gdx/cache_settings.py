"""Whether the compiled cache is on, and for which environment: a module of its own, so the CLI
turns it on for every command without importing :mod:`gdx.compiled_cache` (and with it
gdx.compile and gdx.parse) when it only prints ``--help``."""

from __future__ import annotations

_SETTINGS = {"env": None, "cli": False}  # env None: no cache (the library API); a mapping: the CLI's environment


def enable(env) -> None:
    """Use the cache of ``env`` (``XDG_CACHE_HOME``/``HOME``) for this process's commands; the
    process runs CLI commands (:func:`in_cli`)."""
    _SETTINGS["env"] = dict(env)
    _SETTINGS["cli"] = True


def in_cli() -> bool:
    """Commands of the CLI run here (with the cache or ``--no-cache``): a function is then read
    and derived by one bounded child (gdx.derive.start_reading), not parsed in this process."""
    return _SETTINGS["cli"]


def disable() -> None:
    """``--no-cache``: neither read nor write the cache."""
    _SETTINGS["env"] = None


def enabled() -> bool:
    return _SETTINGS["env"] is not None
