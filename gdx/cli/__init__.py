"""The ``gdx`` command: typer wiring only.

Each command is a module of this package (``optimize``, ``compare``, ``sweep``, ``plot``,
``analyze``, ``presets``, ``optimizers``, ``schedules``): flags → a typed request → :mod:`gdx.app` → the
renderers → an exit status.  :func:`main` takes its streams and environment (httpie-style), so
tests render into a ``StringIO``; it turns gdx's own errors into one-screen messages and every
outcome into a member of :class:`gdx.errors.ExitCode`.  A traceback is printed only with
``gdx --debug``.  Nothing heavy is imported here, so ``gdx --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import os
import sys

import typer
import typer.main

from .. import __version__
from . import lean_help

lean_help.install()  # before typer formats any help: no rich.markdown / rich.traceback for it
from . import analyze, backprop, cache, common, compare, doctor, explore, optimize, optimizers, plot, presets, schedules, sweep
from .argv import function_first

_app = typer.Typer(
    name="gdx",
    help="gdx — a gradient descent explorer: see how optimizers walk a loss landscape, and why.\n\n"
    'Example: gdx optimize "x^2 + 3*y^2" -o momentum --lr 0.05',
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gdx {__version__}")
        raise typer.Exit()


@_app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Print tracebacks of internal errors (for bug reports)."),
) -> None:
    """gdx — a gradient descent explorer."""
    s = common.session(ctx)
    s.debug = s.debug or debug


for module in (optimize, optimizers, schedules, presets, plot, explore, analyze, backprop, compare, sweep, doctor, cache):
    module.register(_app)
common.escape_help(_app)


def _command_named(argv: list[str]):
    """The click command to run ``argv``: a group holding only the command ``argv`` names (its
    first word), or every command when it names none (``gdx``, ``gdx --help``, a misspelt
    command, which click answers with the closest names).  Building a click command from a
    typed signature costs about a millisecond per option, and ``gdx optimize`` has dozens: the
    one command a run needs is built once, not the whole group (twice)."""
    import copy

    word = next((a for a in argv if not a.startswith("-")), None)
    commands = [c for c in _app.registered_commands if c.name == word]
    groups = [g for g in _app.registered_groups if g.name == word]
    one = copy.copy(_app)
    if not commands and not groups:  # the root's help, --version, a misspelt command: names and help only
        one.registered_commands = [_listed(c) for c in _app.registered_commands]
        return typer.main.get_command(one)
    one.registered_commands, one.registered_groups = commands, groups
    common.settle(one)  # this command's options, built now
    return typer.main.get_command(one)


def _listed(info):
    """A command as the root's help lists it (name, help, panel), without its options: building
    those from its signature is what the root never needs (``gdx --help``, ``gdx optimze``)."""
    import copy
    import inspect

    listed = copy.copy(info)
    listed.help = info.help if info.help is not None else inspect.getdoc(info.callback)

    def stand_in() -> None:
        """Never run: a command is run only through the group :func:`_command_named` builds for it."""
        raise RuntimeError(f"gdx {info.name} was not built")

    listed.callback = stand_in
    return listed


def __getattr__(name: str):
    """``gdx.cli.app``: the typer app with every command built in full (tests build its whole
    click group); the CLI itself builds only the command it runs (:func:`_command_named`)."""
    if name == "app":
        common.settle(_app)
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _click_exception_class():
    """typer's ClickException (vendored in typer ≥ 0.29, click's before), found via a public class."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


@contextlib.contextmanager
def _signals_like_ctrl_c(received: list):
    """SIGTERM and SIGHUP raise :class:`gdx.errors.Terminated` (a KeyboardInterrupt) while the
    command runs, so they stop it as Ctrl-C does; the signal is appended to ``received``.
    Only in the main thread (signal handlers can be set nowhere else); restored afterwards."""
    import signal
    import threading

    from ..errors import Terminated

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        received.append(signum)
        raise Terminated(signum)

    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    old = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None, stdout=None, stderr=None, env=None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``) with these streams and environment
    (default: the process's); return gdx's exit status (a :class:`gdx.errors.ExitCode` value).

    Output that typer and click write themselves (help, usage errors) goes to the same streams.
    SIGTERM and SIGHUP are handled like Ctrl-C (what was computed is kept and exported), then
    the status is 128 + the signal (ExitCode.TERMINATED, ExitCode.HANGUP).
    """
    from ..errors import ExitCode, signal_exit_code

    received: list = []
    with _signals_like_ctrl_c(received):
        try:
            code = _main(argv, stdout, stderr, env, received)
        finally:
            _end_pending_work()
    if received and code == int(ExitCode.INTERRUPTED):  # a run stopped by the signal, like Ctrl-C
        return int(signal_exit_code(received[-1]))
    return code


def _end_pending_work() -> None:
    """A function still being derived when the command ended (a flag refused after the function
    was read) is stopped and its child reaped (gdx.derive.cancel_pending), if gdx.derive was loaded."""
    derive = sys.modules.get("gdx.derive")
    if derive is not None:
        derive.cancel_pending()


def _main(argv, stdout, stderr, env, received) -> int:
    """:func:`main` with the signal handlers in place (``received``: the signals that came)."""
    from ..errors import ExitCode, GdxError

    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_named(argv)
    argv = function_first(argv, command.commands)
    env = dict(os.environ if env is None else env)
    s = common.Session(stdout=stdout, stderr=stderr, env=env,
                       debug=bool(env.get("GDX_DEBUG")) or "--debug" in argv)
    from ..cache_settings import enable

    enable(env)  # the compiled cache of this environment (--no-cache turns it off)
    click_exception = _click_exception_class()
    out_stream = stdout if stdout is not None else sys.stdout
    err_stream = stderr if stderr is not None else sys.stderr
    from ..render.console import ascii_fallback

    for stream in (out_stream, err_stream):
        ascii_fallback(stream)
    with contextlib.redirect_stdout(out_stream), contextlib.redirect_stderr(err_stream):
        try:
            code = command.main(args=argv, prog_name="gdx", standalone_mode=False, obj=s)
        except GdxError as exc:
            from ..errors import printable
            from ..render.errors import print_error

            if s.debug:
                import traceback

                traceback.print_exc()  # where gdx raised it (for bug reports); the message follows
            print_error(printable(exc), s.err())
            return int(exc.exit_code)
        except typer.Exit as exc:
            return int(exc.exit_code)
        except click_exception as exc:
            exc.show()
            return int(exc.exit_code)
        except (typer.Abort, KeyboardInterrupt):
            return _interrupted(err_stream, received)
        except BrokenPipeError:
            return _reader_gone(out_stream)
        except SystemExit as exc:  # click turns EPIPE into sys.exit(1): a closed stdout is no failure
            if isinstance(exc.__context__, BrokenPipeError):
                return _reader_gone(out_stream)
            raise
        except Exception as exc:  # an internal error: one line, the traceback only with --debug
            if s.debug:
                raise
            err_stream.write(f"internal error: {type(exc).__name__}: {exc}\n(run gdx --debug … for the traceback)\n")
            return int(ExitCode.INTERNAL)
    try:
        out_stream.flush()
    except BrokenPipeError:
        return _reader_gone(out_stream)
    if code == int(ExitCode.INTERRUPTED):  # typer turns Ctrl-C outside a run into a silent 130
        return _interrupted(err_stream, received)
    return int(code) if isinstance(code, int) else int(ExitCode.OK)


def _reader_gone(stream) -> int:
    """The reader of stdout went away (``gdx … | head -3``): not a failed run, exit 0 in silence.
    The stream's descriptor is pointed at os.devnull so the interpreter's final flush cannot fail
    (Python's "Note on SIGPIPE")."""
    from ..errors import ExitCode
    from ..render.console import closed_stream

    try:
        closed_stream(stream)
    except BrokenPipeError:
        pass
    return int(ExitCode.OK)


def _interrupted(err_stream, received) -> int:
    """Say why the command stopped; 130 for Ctrl-C, 128 + the signal for SIGTERM/SIGHUP."""
    from ..errors import ExitCode, signal_exit_code

    if received:
        import signal

        err_stream.write(f"terminated by {signal.Signals(received[-1]).name}\n")
        return int(signal_exit_code(received[-1]))
    err_stream.write("interrupted\n")
    return int(ExitCode.INTERRUPTED)


#: The variables that set the thread count of numpy's BLAS (OpenBLAS, or an MKL/BLIS build).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def one_blas_thread(environ) -> None:
    """The console script runs numpy's BLAS on one thread unless the user set a thread count.

    gdx's matrices are tiny (n ≤ 128 variables; data losses are averaged elementwise, not by
    matrix products), so BLAS threads never pay: OpenBLAS starts one per core when numpy is
    imported and they spin after each call -- measured here, a quiet run used 280 ms of CPU for
    216 ms of wall time, 199 ms for 200 ms on one thread.  Set before numpy is imported (the
    library reads it when it loads); a user's own OPENBLAS_NUM_THREADS (or OMP_/MKL_/BLIS_) wins."""
    if not any(name in environ for name in BLAS_THREAD_VARIABLES):
        environ["OPENBLAS_NUM_THREADS"] = "1"


def run() -> None:
    """The console script (``gdx``, ``python -m gdx``): :func:`main`, then a fast exit.

    The rule: flush stdout and stderr, run the atexit handlers, then ``os._exit(code)`` --
    skipping the interpreter's finalization (tearing down every module of numpy and SymPy),
    which has nothing left to do for gdx and costs about a tenth of a second.  Only here:
    :func:`main`, which tests call in-process, returns its code as before.
    """
    import atexit

    one_blas_thread(os.environ)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone, a closed stream: nothing more to say
            pass
    atexit._run_exitfuncs()
    os._exit(code)
