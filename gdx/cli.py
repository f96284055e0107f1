"""The ``gdx`` command: typer wiring only.

Each command lives in ``gdx/commands/<name>.py`` (flags → configuration → core → sinks → exit
status).  This module registers them and turns gdx's own errors into one-screen messages and
exit statuses; a traceback is printed only with ``gdx --debug``.  Nothing heavy is imported
here, so ``gdx --help`` answers at once.
"""

from __future__ import annotations

import os
import sys

import typer

from . import __version__
from .commands import analyze, optimize, optimizers, presets, plot, compare, sweep

app = typer.Typer(
    name="gdx",
    help="gdx — a gradient descent explorer: see how optimizers walk a loss landscape, and why.\n\n"
    'Example: gdx optimize "x^2 + 3*y^2" -o momentum --lr 0.05',
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gdx {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Print tracebacks of internal errors (for bug reports)."),
) -> None:
    """gdx — a gradient descent explorer."""
    _state["debug"] = debug or bool(os.environ.get("GDX_DEBUG"))


for module in (optimize, optimizers, presets, plot, analyze, compare, sweep):
    module.register(app)


def _click_exception_class():
    """typer's ClickException (vendored in typer ≥ 0.29, click's before), found via a public class."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _printable(exc):
    """The error with control and format characters escaped (``\\x1b``, ``\\u202e``), span kept.

    Messages echo what was typed (--start, names, paths): a terminal escape sequence or a bidi
    override in it must not reach the terminal as itself.
    """
    import unicodedata

    def clean(text, span=None):
        out, starts, at = [], [], 0
        for ch in text:
            starts.append(at)
            bad = unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
            out.append(ch.encode("unicode_escape").decode("ascii") if bad else ch)
            at += len(out[-1])
        starts.append(at)
        if span is not None:
            a, b = (max(0, min(v, len(text))) for v in span)
            span = (starts[a], max(starts[b], starts[a] + 1))
        return "".join(out), span

    exc.message = clean(exc.message)[0]
    exc.hint = clean(exc.hint)[0] if exc.hint else exc.hint
    if exc.source is not None:
        exc.source, exc.span = clean(exc.source, exc.span)
    return exc


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit with gdx's status (see ``gdx.errors.ExitCode``)."""
    from .errors import ExitCode, GdxError

    click_exception = _click_exception_class()
    try:
        code = app(args=argv, standalone_mode=False)
    except GdxError as exc:
        from .render.errors import print_error

        if _state["debug"] or "--debug" in (argv if argv is not None else sys.argv):
            import traceback

            traceback.print_exc()  # where gdx raised it (for bug reports); the message follows
        print_error(_printable(exc))
        sys.exit(int(exc.exit_code))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except click_exception as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # an internal error: one line, the traceback only with --debug
        if _state["debug"] or "--debug" in (argv if argv is not None else sys.argv):
            raise
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n(run gdx --debug … for the traceback)\n")
        sys.exit(70)
    if code == int(ExitCode.INTERRUPTED):  # typer turns Ctrl-C outside a run into a silent 130
        sys.stderr.write("interrupted\n")
    sys.exit(code if isinstance(code, int) else 0)
