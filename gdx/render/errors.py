"""Printing gdx's errors: one screen on stderr, the caret under the span."""

from __future__ import annotations


def print_error(exc, console=None) -> None:
    """``kind: message``, the input with a caret, and a hint, in red/yellow on a terminal.

    On a terminal rich may word-wrap the message at the screen width.  When the stream is not a
    terminal (a pipe, a file, a test's capture) every line is written whole (``soft_wrap``: no
    wrapping, no cropping), so a long path in the message stays one searchable piece of text.
    """
    from rich.markup import escape

    from .console import make_console

    console = console or make_console(stderr=True)
    console.print(f"[bold red]{escape(exc.kind)}:[/] {escape(exc.message)}", soft_wrap=not console.is_terminal)
    for line in exc.caret_lines():
        console.print(escape(line), style="bold" if "^" in line else None, soft_wrap=True)
    if exc.hint:
        console.print(f"[yellow]hint:[/] {escape(exc.hint)}", soft_wrap=True)
