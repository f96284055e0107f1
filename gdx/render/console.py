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
    console = Console(
        file=file,
        stderr=stderr,
        width=width,
        highlight=False,
        soft_wrap=False,
        no_color=bool(env.get("NO_COLOR")) or None,
        _environ=dict(env),
    )
    console.on_broken_pipe = lambda: closed_stream(console.file)
    return console


def closed_stream(stream) -> None:
    """The reader of ``stream`` went away (``gdx … | head -3``): point the stream's descriptor at
    os.devnull, so nothing more is written and the interpreter's final flush does not fail (the
    rule of Python's "Note on SIGPIPE"), and raise BrokenPipeError for main to end quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (AttributeError, OSError, ValueError):  # a stream without a descriptor (tests' StringIO)
        pass
    raise BrokenPipeError


# Glyphs gdx prints, spelled in ASCII for a console that cannot encode them (PYTHONIOENCODING=ascii).
ASCII_GLYPHS = dict(zip(  # one ASCII character per glyph, so tables keep their columns
    "∂∇‖≤≥≈−×·²³¹⁰ᵀᵗ√∞→←…—–ληβγραμεθσπΔδ₁₂₀★▲▼●○◆█▓▒░▀▄•✓✗│─╭╮╰╯┌┐└┘├┤┬┴┼═║",
    "dV|<>~-x*2310Ttr8><.--LnbgpauetspDd120*^voo+##+.##*vx|-+++++++++++++=|",
))
ASCII_ERRORS = "gdx-ascii"


def _ascii_glyphs(exc: UnicodeEncodeError):
    """The codec error handler: a known glyph by its ASCII spelling, any other character as ``?``."""
    bad = exc.object[exc.start:exc.end]
    return "".join(_ascii(ch) for ch in bad), exc.end


def _ascii(ch: str) -> str:
    if "\u2800" <= ch <= "\u28ff":  # plotext's braille dots: blank stays blank
        return " " if ch == "\u2800" else "*"
    return ASCII_GLYPHS.get(ch, "?")


def ascii_fallback(stream) -> None:
    """A text stream whose encoding cannot write gdx's glyphs (``PYTHONIOENCODING=ascii``) writes
    them in ASCII (:data:`ASCII_GLYPHS`, else ``?``) instead of raising UnicodeEncodeError."""
    import codecs

    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        "∂∇‖≤─".encode(encoding)
        return
    except (UnicodeEncodeError, LookupError):
        pass
    try:
        codecs.lookup_error(ASCII_ERRORS)
    except LookupError:
        codecs.register_error(ASCII_ERRORS, _ascii_glyphs)
    try:
        stream.reconfigure(errors=ASCII_ERRORS)
    except (AttributeError, ValueError):
        pass


def write_json(console, data) -> None:
    """One JSON document on the console's stream: UTF-8 as is; NaN is refused (gdx writes null)."""
    import json

    console.file.write(json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n")


def terminal_color(out) -> bool:
    """Colour on this console: a terminal, NO_COLOR unset, and a colour system."""
    return bool(out.is_terminal and not out.no_color and out.color_system is not None)


def color_depth(out) -> str | None:
    """The colour depth of this console for gdx's palettes (gdx.render.palette): ``truecolor``,
    ``256`` or ``16``, or None when :func:`terminal_color` says no colour."""
    from .palette import depth_of

    if not terminal_color(out):
        return None
    return depth_of(out.color_system)


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
