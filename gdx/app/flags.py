"""Flags that do not apply are refused, never ignored: the one rule and its message."""

from __future__ import annotations

from ..errors import GdxError


def refuse_inapplicable(given: dict[str, bool], *, because: str, hint: str | None = None) -> None:
    """Raise a usage error naming every flag in ``given`` that was given (its value True):
    ``"-q, --every do not apply with --starts"`` (``because`` is what makes them not apply)."""
    flags = [flag for flag, on in given.items() if on]
    if flags:
        verb = "does" if len(flags) == 1 else "do"
        raise GdxError(f"{', '.join(flags)} {verb} not apply {because}", kind="usage error", hint=hint)
