"""Consoles are made when a command runs (never at import), from the streams it is given."""

from __future__ import annotations

import os

from ..numbers import fmt, fmt_point  # noqa: F401 - the renderers' number formats (one rule, gdx.numbers)


def make_console(*, stderr: bool = False, file=None, width: int | None = None, env=None):
    """A rich Console on ``file`` (default: stdout, or stderr).

    Colour and live display follow the stream: none when it is not a terminal, none when
    ``NO_COLOR`` is set in ``env`` (default: the process environment).  ``width`` is for tests.
    """
    from rich.console import Console

    env = os.environ if env is None else env
    return Console(
        file=file,
        stderr=stderr,
        width=width,
        highlight=False,
        soft_wrap=False,
        no_color=bool(env.get("NO_COLOR")) or None,
        _environ=dict(env),
    )


def write_json(console, data) -> None:
    """One JSON document on the console's stream: UTF-8 as is; NaN is refused (gdx writes null)."""
    import json

    console.file.write(json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n")


def terminal_color(out) -> bool:
    """Colour on this console: a terminal, NO_COLOR unset, and a colour system."""
    return bool(out.is_terminal and not out.no_color and out.color_system is not None)


def safe_text(text, *, markup: bool = True) -> str:
    """Text from a user's file (a preset's title, description, settings, sources; a file name)
    as it may reach the terminal: control, bidi and other invisible characters written as
    escapes (gdx.errors.escape_text) and, for a markup string, rich's ``[`` escaped."""
    from ..errors import escape_text

    shown = escape_text(str(text))[0]
    if not markup:
        return shown
    from rich.markup import escape

    return escape(shown)
