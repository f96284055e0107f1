"""Run a function in a forked child process with a wall-clock bound and a memory bound.

The rule: ``bounded(func, *args, timeout=T)`` forks; the child sets ``RLIMIT_AS`` to its
current address space plus :data:`MEMORY_BOUND_MB`, calls ``func(*args)``, pickles the outcome
into a pipe and leaves with ``os._exit`` (no atexit handlers, no flushing of the parent's
buffered output).  The parent reads the pipe until end of file or until ``T`` seconds have
passed; then the child is sent ``SIGKILL`` and reaped.  A signal cannot be ignored by SymPy's
C-level arithmetic, so the bound holds wherever the child is (``signal.alarm`` would not).

Outcomes in the parent:

* the child returned → its (unpickled) value;
* the child raised :class:`GdxError` → the same error (kind, source, span, hint, exit code);
* the time or memory bound was hit → ``GdxError(kind="timeout", exit_code=ExitCode.TIMEOUT)``
  whose message names the bound and how to change it (``--timeout SECONDS``);
* anything else the child raised → :class:`SandboxError` naming the exception, with the
  child's traceback attached as a note (shown only with ``gdx --debug``).

Linux and other POSIX systems with ``os.fork``; elsewhere the function runs in-process
(unbounded), which :data:`CAN_FORK` tells.
"""

from __future__ import annotations

import os
import pickle
import select
import time

try:  # imported here, in the parent: an import in the forked child costs milliseconds
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None

from .errors import ExitCode, GdxError

#: Default bound, in seconds, on the symbolic work of one command (``--timeout``).
DEFAULT_TIMEOUT = 10.0
#: Address space the child may add to what it inherited, in MiB.
MEMORY_BOUND_MB = 2048
#: Whether a child process can be forked here.
CAN_FORK = hasattr(os, "fork")

_OK, _GDX, _OTHER, _MEMORY = "ok", "gdx", "other", "memory"


class SandboxError(RuntimeError):
    """The bounded child failed with an exception that is not a :class:`GdxError` (a bug)."""


def check_timeout(timeout, *, flag: str = "--timeout") -> float:
    """A bound must be a finite number of seconds > 0."""
    import math

    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise GdxError(
            f"Invalid timeout value: {timeout}",
            kind="usage error",
            hint=f"{flag} takes a number of seconds > 0, e.g. {flag} 30",
        )
    return value


def bounded(func, *args, timeout: float = DEFAULT_TIMEOUT, memory_mb: int | None = MEMORY_BOUND_MB,
            what: str = "the symbolic work", **kwargs):
    """``func(*args, **kwargs)`` in a child process, killed after ``timeout`` seconds.

    ``what`` names the work in the timeout message ("the symbolic work (gradient and
    Hessian) did not finish within 10 s").
    """
    timeout = check_timeout(timeout)
    if not CAN_FORK:  # pragma: no cover - non-POSIX fallback
        return func(*args, **kwargs)
    import sys

    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream is not our concern here
            pass
    limit = _memory_limit(memory_mb)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        _child(write_fd, func, args, kwargs, limit)  # never returns
    os.close(write_fd)
    finished = False
    try:
        data, finished = _read_until(read_fd, time.monotonic() + timeout)
    finally:
        os.close(read_fd)
        # A child that sent its whole result is exiting on its own: reap it later rather than
        # wait for its address space to be torn down (milliseconds on the CLI's critical path).
        status = _reap(pid, kill=not (finished and data))
    if not finished:
        raise _timeout_error(what, timeout)
    return _outcome(data, status, what, timeout, memory_mb)


def _child(write_fd: int, func, args, kwargs, limit) -> None:
    """Run in the forked child: limit memory, call, send the pickled outcome, ``_exit``."""
    code = 0
    try:
        try:
            _limit_memory(limit)
            payload = (_OK, func(*args, **kwargs))
        except GdxError as exc:
            payload = (_GDX, _error_fields(exc))
        except MemoryError:
            payload = (_MEMORY, None)
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            import traceback

            payload = (_OTHER, (type(exc).__name__, str(exc)[:2000], traceback.format_exc()[-20000:]))
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - an unpicklable result is a bug
            data = pickle.dumps((_OTHER, (type(exc).__name__, f"cannot send the result: {exc}", "")))
        view = memoryview(data)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:  # noqa: BLE001 - even Ctrl-C: leave without unwinding the parent's stack
        code = 1
    finally:
        os._exit(code)


def _memory_limit(memory_mb) -> int | None:
    """In the parent, before forking: the address space mapped now + ``memory_mb`` MiB."""
    if not memory_mb or resource is None:
        return None
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE") + int(memory_mb) * 1024 * 1024
    except (OSError, ValueError):  # no /proc: run without the memory bound
        return None


def _limit_memory(limit) -> None:
    """In the child: RLIMIT_AS = ``limit`` bytes (never raised above an existing limit)."""
    if limit is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes, up to end of file (True) or the deadline (False)."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"", False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return b"", False
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


#: Children that sent their result and were still exiting: reaped by the next call (or init).
_EXITING: list[int] = []


def _reap(pid: int, *, kill: bool) -> int:
    """Wait for the child (after SIGKILL if ``kill`` and it still runs); its wait status.

    With ``kill=False`` a child that has not exited yet is left to finish exiting and is
    reaped (without blocking) at the next call.
    """
    for old in list(_EXITING):
        try:
            if os.waitpid(old, os.WNOHANG)[0]:
                _EXITING.remove(old)
        except ChildProcessError:
            _EXITING.remove(old)
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if not kill:
            _EXITING.append(pid)
            return 0
        try:
            os.kill(pid, 9)  # SIGKILL: stops it even inside C code
        except ProcessLookupError:
            pass
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # already reaped (e.g. by a SIGCHLD handler)
        return 0


def _timeout_error(what: str, timeout: float) -> GdxError:
    return GdxError(
        f"{what} did not finish within {timeout:g} s",
        kind="timeout",
        exit_code=ExitCode.TIMEOUT,
        hint="give it longer with --timeout SECONDS, or simplify the function",
    )


def _memory_error(what: str, memory_mb) -> GdxError:
    return GdxError(
        f"{what} ran out of its memory bound ({memory_mb} MiB)",
        kind="timeout",
        exit_code=ExitCode.TIMEOUT,
        hint="simplify the function (fewer variables, smaller exponents, less nesting)",
    )


def _outcome(data: bytes, status: int, what: str, timeout: float, memory_mb):
    """Turn the child's pickled payload (or its death) into a value or an exception."""
    if not data:
        if os.WIFSIGNALED(status):
            # Killed without a word: the kernel's OOM killer or a crash under the memory bound.
            return _raise(_memory_error(what, memory_mb))
        raise SandboxError(f"{what} ended without a result (exit status {os.waitstatus_to_exitcode(status)})")
    kind, value = pickle.loads(data)
    if kind == _OK:
        return value
    if kind == _GDX:
        raise GdxError(**value)
    if kind == _MEMORY:
        raise _memory_error(what, memory_mb)
    name, message, trace = value
    if name == "MemoryError":
        raise _memory_error(what, memory_mb)
    error = SandboxError(f"{what} failed: {name}: {message}")
    if trace:
        error.add_note("traceback in the child process:\n" + trace)
    raise error


def _raise(exc):
    raise exc


def _error_fields(exc: GdxError) -> dict:
    return dict(message=exc.message, kind=exc.kind, source=exc.source, span=exc.span, hint=exc.hint,
                exit_code=exc.exit_code)
