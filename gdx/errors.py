"""gdx's own error type and exit statuses.

Every failure that a user can cause (bad function text, bad flag value, bad preset file,
unwritable export path, symbolic work over its time bound) is a :class:`GdxError`.  It carries
what the CLI needs to print a compiler-style message -- the kind of error, the offending input
with a caret under the span, and a hint -- and the exit status to end with.  The core raises
it; only the CLI prints it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses of the ``gdx`` command (documented in the README).  Every status gdx exits
    with is a member; the values are fixed (tests pin them)."""

    OK = 0  # the run finished: converged or reached --steps
    RUN_FAILED = 1  # the run ended in a numerical fault: diverged, NaN, singular Hessian
    USAGE = 2  # bad input: function text, flag value, preset, start point
    TIMEOUT = 3  # the symbolic work hit its time or memory bound (--timeout)
    IO = 4  # an export path could not be written
    INTERNAL = 70  # a bug in gdx (EX_SOFTWARE): one line, the traceback with --debug
    INTERRUPTED = 130  # Ctrl-C: what was computed is still shown and exported
    HANGUP = 129  # SIGHUP (128 + 1): treated like Ctrl-C
    TERMINATED = 143  # SIGTERM (128 + 15): treated like Ctrl-C


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where Ctrl-C's KeyboardInterrupt would be, so a run stops the
    same way (what was computed is kept, shown and exported); ``signum`` is the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def signal_exit_code(signum: int) -> "ExitCode":
    """128 + the signal: HANGUP for SIGHUP, TERMINATED for SIGTERM, INTERRUPTED for SIGINT."""
    return ExitCode(128 + signum)


class GdxError(Exception):
    """An error caused by input, with where it is and what to do about it.

    ``span`` is a half-open ``(start, end)`` range of character offsets into ``source``.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "error",
        source: str | None = None,
        span: tuple[int, int] | None = None,
        hint: str | None = None,
        exit_code: ExitCode = ExitCode.USAGE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.source = source
        self.span = span
        self.hint = hint
        self.exit_code = exit_code

    def caret_lines(self) -> list[str]:
        """The input echoed with ``^^^`` under the offending span (empty without a source)."""
        if self.source is None:
            return []
        text = self.source
        if self.span is None:
            return [f"  {text}"]
        start, end = self.span
        start = max(0, min(start, len(text)))
        end = max(start + 1, min(end, len(text) + 1))
        # Long inputs are windowed around the span so the message stays one screen.
        width = 100
        lo = max(0, start - width // 2) if len(text) > width else 0
        hi = min(len(text), lo + width)
        prefix = "…" if lo > 0 else ""
        suffix = "…" if hi < len(text) else ""
        shown = prefix + text[lo:hi] + suffix
        caret = " " * (len(prefix) + start - lo) + "^" * max(1, min(end, hi + 1) - start)
        return [f"  {shown}", f"  {caret}"]

    def render(self) -> str:
        """The whole message as plain text: ``kind: message``, caret lines, ``hint: …``."""
        lines = [f"{self.kind}: {self.message}", *self.caret_lines()]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - exercised through render()
        return self.render()


def suggest(name: str, choices) -> str | None:
    """The closest of ``choices`` to ``name`` (case-insensitive), for 'did you mean …?' hints:
    difflib's closest (ratio ≥ 0.6), except that a choice with exactly ``name``'s letters in
    another order (a transposition, ``adma`` → ``adam`` rather than ``adamax``) comes first."""
    import difflib

    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    anagrams = [m for m in match if sorted(m) == sorted(name.lower())]
    return lowered[(anagrams or match)[0]] if match else None


def did_you_mean(name: str, choices) -> str | None:
    """``"did you mean 'x'?"`` for the closest choice, or ``None``."""
    best = suggest(name, choices)
    return f"did you mean '{best}'?" if best else None


class NumericalFault(ArithmeticError):
    """Raised inside the core when a step cannot be computed (e.g. a singular Hessian).

    The loop turns it into a run status that names the step and the cause; it never reaches
    the user as a traceback.
    """

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def escape_text(text: str, span: tuple[int, int] | None = None, *, ascii_only: bool = False):
    """``(text, span)`` with unsafe characters written as escapes (``\\x1b``, ``\\u202e``), the
    span mapped onto the escaped text.

    Unsafe: control, format (bidi overrides), surrogate, private-use, unassigned and
    line/paragraph-separator characters; with ``ascii_only``, every character outside printable
    ASCII (function text is ASCII, so anything else is shown as its code).  Input echoed in an
    error must not reach the terminal as itself.
    """
    import unicodedata

    def unsafe(ch: str) -> bool:
        if ascii_only:
            return not 32 <= ord(ch) <= 126
        return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")

    out, starts, at = [], [], 0
    for ch in text:
        starts.append(at)
        code = ord(ch)
        if unsafe(ch):
            ch = f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}" if code < 65536 else f"\\U{code:08x}"
        out.append(ch)
        at += len(ch)
    starts.append(at)
    if span is None:
        return "".join(out), None
    a, b = (max(0, min(v, len(text))) for v in span)
    return "".join(out), (starts[a], max(starts[b], starts[a] + 1))


def printable(exc: GdxError) -> GdxError:
    """The error with its message, hint and echoed source escaped by :func:`escape_text` (span kept)."""
    exc.message = escape_text(exc.message)[0]
    exc.hint = escape_text(exc.hint)[0] if exc.hint else exc.hint
    if exc.source is not None:
        exc.source, exc.span = escape_text(exc.source, exc.span)
    return exc
