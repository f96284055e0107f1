"""Consoles are made when a command runs (never at import), from the streams it is given."""

from __future__ import annotations

import os


def make_console(*, stderr: bool = False, file=None, width: int | None = None):
    """A rich Console on stdout (or stderr).

    Colour and live display follow the stream: none when it is not a terminal, none when
    ``NO_COLOR`` is set (rich honours it).  ``file``/``width`` are for tests.
    """
    from rich.console import Console

    return Console(
        file=file,
        stderr=stderr,
        width=width,
        highlight=False,
        soft_wrap=False,
        no_color=bool(os.environ.get("NO_COLOR")) or None,
    )


def fmt(v: float, digits: int = 6) -> str:
    """A float for humans: ``%.{digits}g``, with nan/inf spelled plainly."""
    try:
        return f"{float(v):.{digits}g}"
    except (TypeError, ValueError):
        return str(v)


def fmt_point(x, digits: int = 6) -> str:
    return "(" + ", ".join(fmt(v, digits) for v in x) + ")"


def write_json(console, data) -> None:
    """One JSON document on the console's stream: UTF-8 as is, no NaN (gdx writes 'nan')."""
    import json

    console.file.write(json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n")
