"""Run a function in a forked child process with a wall-clock bound and a memory bound.

This is the one bounded-work primitive of gdx: every piece of symbolic or otherwise
expensive work (deriving ∇f and H, exact solving of ∇f = 0, the numeric critical-point
search of ``gdx plot``) runs through it.

The rule: ``start(func, *args)`` forks at once; the child sets ``RLIMIT_AS`` to the parent's
address space at the fork plus :data:`MEMORY_BOUND_MB`, calls ``func(*args)``, pickles the
outcome into a pipe and leaves with ``os._exit`` (no atexit handlers, no flushing of the
parent's buffered output).  The parent is free meanwhile.  ``job.result(T)`` reads the pipe
until end of file or until ``T`` seconds from now (or a :class:`Deadline`) have passed; then
the child is sent ``SIGKILL`` and reaped.  A signal cannot be ignored by SymPy's C-level
arithmetic, so the bound holds wherever the child is (``signal.alarm`` would not).
``bounded(func, *args, timeout=T)`` is exactly ``start(func, *args).result(T)``.

Work in stages (``start(..., partial=True)``): the child may hand the parent one early value
with :func:`send_partial` (a second pipe) and go on working; ``job.partial(T, what=...)`` waits
for it under its own bound and names its own stage in the timeout message, and
``job.result(T)`` then waits for the rest.  So one child can read a function and derive it,
while the parent checks the rest of the command as soon as the function has been read.

Nothing outlives its budget: when ``result`` or ``cancel`` returns (or raises), or a
``with start(...) as job:`` block is left, the child has exited and has been reaped.

Outcomes in the parent:

* the child returned → its (unpickled) value;
* the child raised :class:`GdxError` → the same error (kind, source, span, hint, exit code);
* the time or memory bound was hit → ``GdxError(kind="timeout", exit_code=ExitCode.TIMEOUT)``
  whose message names the bound and how to change it (``--timeout SECONDS``);
* anything else the child raised → :class:`SandboxError` naming the exception, with the
  child's traceback attached as a note (shown only with ``gdx --debug``).

Linux and other POSIX systems with ``os.fork``; elsewhere the function runs in-process
(unbounded, at ``start``), which :data:`CAN_FORK` tells.
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


def _load_libc():
    """Linux's C library (for ``prctl``), or None elsewhere."""
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except (OSError, ImportError):  # pragma: no cover - no ctypes
        return None


_LIBC = _load_libc()

from .errors import ExitCode, GdxError

#: Default bound, in seconds, on the symbolic work of one command (``--timeout``).
DEFAULT_TIMEOUT = 10.0
#: Address space the child may add to what it inherited, in MiB.
MEMORY_BOUND_MB = 2048
#: Whether a child process can be forked here.
CAN_FORK = hasattr(os, "fork")
#: The longest bound ``--timeout`` accepts, in seconds (a week): beyond it the clock arithmetic
#: of ``select`` overflows, and no symbolic work of gdx needs it.
MAX_TIMEOUT = 7 * 24 * 3600.0
#: Libraries whose exceptions, raised inside bounded work on the user's function, are the
#: function's fault (an expression SymPy cannot handle), not gdx's: see :func:`library_error`.
LIBRARIES = ("sympy", "mpmath", "numpy")

_OK, _GDX, _OTHER, _MEMORY = "ok", "gdx", "other", "memory"

#: In a child started with ``partial=True``: the pipe :func:`send_partial` writes to.
_PARTIAL_FD: int | None = None


def send_partial(value) -> None:
    """In a bounded child started with ``partial=True``: send ``value`` (picklable) to the parent
    now, while the work goes on (:meth:`Job.partial` reads it).  Once per child; elsewhere a no-op."""
    global _PARTIAL_FD
    fd, _PARTIAL_FD = _PARTIAL_FD, None
    if fd is None:
        return
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, len(data).to_bytes(8, "big") + data)
    os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class SandboxError(RuntimeError):
    """The bounded child failed with an exception that is not a :class:`GdxError` (a bug)."""


def check_timeout(timeout, *, flag: str = "--timeout") -> float:
    """A bound must be a number of seconds in (0, MAX_TIMEOUT]."""
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
    if value > MAX_TIMEOUT:
        raise GdxError(
            f"Invalid timeout value: {timeout} (the limit is {MAX_TIMEOUT:g} s, one week)",
            kind="usage error",
            hint=f"{flag} takes a number of seconds up to {MAX_TIMEOUT:g}, e.g. {flag} 30",
        )
    return value


class Deadline:
    """A shared budget: ``Deadline(seconds)`` ends ``seconds`` after its creation (monotonic clock).

    ``left()`` is the time remaining, never below 0; ``expired`` is ``left() == 0``.  A command
    makes one and hands it to several pieces of bounded work, which then share the budget;
    ``seconds`` (the whole budget) is what their timeout messages name.
    """

    __slots__ = ("seconds", "ends")

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, float(seconds))
        self.ends = time.monotonic() + self.seconds

    def left(self) -> float:
        """Seconds until the end of the budget, ≥ 0."""
        return max(0.0, self.ends - time.monotonic())

    @property
    def expired(self) -> bool:
        """No time is left."""
        return self.left() <= 0.0

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g}, left={self.left():.3g})"


class Job:
    """Work running in a bounded child process (made by :func:`start`).

    ``result(timeout)`` waits at most ``timeout`` seconds *from now*, or until a
    :class:`Deadline` ends; at expiry the child is killed (SIGKILL) and reaped, and the
    timeout :class:`GdxError` of :func:`bounded` is raised.  ``cancel()`` kills and reaps at
    once.  Either finishes the job: afterwards the child ``pid`` no longer exists, and later
    calls give the same outcome (a cancelled job's ``result`` raises a timeout error).  Used
    as a context manager, the job is cancelled on leaving the block unless it had finished.
    """

    def __init__(self, pid, fd, what: str, memory_mb, outcome=None, partial_fd=None) -> None:
        self.pid = pid
        self.what = what
        self.memory_mb = memory_mb
        self._fd = fd
        self._partial_fd = partial_fd
        self._owner = os.getpid()
        self._outcome = outcome  # (value, exception) once finished

    @property
    def finished(self) -> bool:
        """The outcome is known and the child has been reaped."""
        return self._outcome is not None

    def result(self, timeout=None):
        """The value, waiting at most ``timeout`` s from now or until a Deadline (None: no limit).

        Once the child has begun to send its result its work is over, so the transfer is read
        to the end even if the budget runs out meanwhile.  ``timeout`` ≤ 0 (or an expired
        Deadline) takes a result only if one is already waiting.
        """
        if self._outcome is None:
            self._finish(*_ends_of(timeout))
        value, error = self._outcome
        if error is not None:
            raise error
        return value

    def partial(self, timeout=None, *, what: str | None = None):
        """The value the child sent with :func:`send_partial`, waiting at most ``timeout`` s from
        now or until a Deadline (None: no limit).  ``what`` names this stage: at expiry the child
        is killed and reaped and the timeout error names ``what`` and ``timeout``; the job's own
        ``what`` is kept for :meth:`result`.  A child that finished without sending one gives its
        outcome: its error is raised (a value: :class:`SandboxError`)."""
        if self._partial_fd is None:
            raise SandboxError(f"{self.what}: no partial result was asked for")
        ends, seconds = _ends_of(timeout)
        fd, self._partial_fd = self._partial_fd, None
        try:
            data, status = _read_message(fd, ends)
        finally:
            os.close(fd)
        if status == "ok":
            return pickle.loads(data)
        if status == "timeout":
            later, self.what = self.what, what or self.what
            try:
                self._finish(time.monotonic(), seconds)
            finally:
                self.what = later
        else:  # end of file: the child finished (or died) before sending it
            self._finish(ends, seconds)
        value, error = self._outcome
        if error is not None:
            raise error
        raise SandboxError(f"{what or self.what}: the child finished without its partial result")

    def cancel(self) -> None:
        """Kill the child (SIGKILL) and reap it now; a finished job is left as it is."""
        if self._outcome is None:
            self._finish(None, None, cancelled=True)

    def _finish(self, ends, seconds, *, cancelled: bool = False) -> None:
        """Read the outcome (until ``ends``), then kill if unfinished and always reap."""
        data, complete = b"", False
        try:
            if not cancelled:
                data, complete = _read_until(self._fd, ends)
        finally:  # even on KeyboardInterrupt: the child never outlives the wait
            os.close(self._fd)
            if self._partial_fd is not None:
                os.close(self._partial_fd)
                self._partial_fd = None
            status = _reap(self.pid, kill=not complete)
            if not complete:
                error = _cancelled_error(self.what) if cancelled else _timeout_error(self.what, seconds)
                self._outcome = (None, error)
        if complete:
            try:
                self._outcome = (_outcome(data, status, self.what, self.memory_mb), None)
            except (GdxError, SandboxError) as exc:
                self._outcome = (None, exc)
            except Exception as exc:  # noqa: BLE001 - an unreadable result is a bug, reported once
                self._outcome = (None, SandboxError(f"{self.what}: cannot read the result: {type(exc).__name__}: {exc}"))

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *exc_info) -> None:
        self.cancel()

    def __del__(self) -> None:
        # A job nobody waited for must not leave its child running.  Only the process that
        # forked the child may do this: a later fork inherits this object, not the child.
        try:
            if self._outcome is None and self._fd is not None and os.getpid() == self._owner:
                self.cancel()
        except Exception:  # noqa: BLE001 - at interpreter shutdown nothing more can be done
            pass


def start(func, *args, memory_mb: int | None = MEMORY_BOUND_MB, what: str = "the symbolic work",
          source: str | None = None, partial: bool = False, **kwargs) -> Job:
    """Fork now; the child runs ``func(*args, **kwargs)`` bounded in memory.  Returns a :class:`Job`.

    The child's address space may grow by ``memory_mb`` MiB beyond the parent's at the fork
    (None or 0: no memory bound).  The time bound is given when waiting:
    ``Job.result(timeout)``.  ``what`` names the work in error messages.  The child sees the
    parent's memory as it was at the fork (compiled functions, caches): pass anything, but
    return plain picklable data.  With ``source`` (the user's text the work is about), an
    exception raised inside SymPy, mpmath or numpy becomes a :class:`GdxError` about that text
    (:func:`library_error`); without it, such an exception is a :class:`SandboxError` (a bug).
    The child dies with its parent (:func:`_die_with_parent`).  With ``partial`` the child may
    send one early value (:func:`send_partial`, read by :meth:`Job.partial`).
    """
    if not CAN_FORK:  # pragma: no cover - non-POSIX fallback: in-process, unbounded
        try:
            outcome = (func(*args, **kwargs), None)
        except GdxError as exc:
            outcome = (None, exc)
        except Exception as exc:  # noqa: BLE001 - the same boundary as in the child
            translated = library_error(exc, source)
            if translated is None:
                raise
            outcome = (None, translated)
        return Job(None, None, what, memory_mb, outcome=outcome)  # (no partial: send_partial is a no-op)
    import sys

    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream is not our concern here
            pass
    limit = _memory_limit(memory_mb)
    parent = os.getpid()
    read_fd, write_fd = os.pipe()
    partial_read, partial_write = os.pipe() if partial else (None, None)
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        if partial:
            global _PARTIAL_FD
            os.close(partial_read)
            _PARTIAL_FD = partial_write
        _child(write_fd, func, args, kwargs, limit, parent, source)  # never returns
    os.close(write_fd)
    if partial:
        os.close(partial_write)
    return Job(pid, read_fd, what, memory_mb, partial_fd=partial_read)


def bounded(func, *args, timeout: float = DEFAULT_TIMEOUT, memory_mb: int | None = MEMORY_BOUND_MB,
            what: str = "the symbolic work", source: str | None = None, **kwargs):
    """``func(*args, **kwargs)`` in a child process, killed after ``timeout`` seconds.

    Exactly ``start(func, *args, memory_mb=memory_mb, what=what, **kwargs).result(timeout)``
    after checking ``timeout`` (seconds > 0, or a :class:`Deadline` to share a command's
    budget; an expired one raises the timeout error without forking).  ``what`` names the work in the timeout message ("the symbolic work (gradient
    and Hessian) did not finish within 10 s").
    """
    if not isinstance(timeout, Deadline):
        timeout = check_timeout(timeout)
    elif timeout.expired:  # nothing left of the shared budget: do not even fork
        raise _timeout_error(what, timeout.seconds)
    return start(func, *args, memory_mb=memory_mb, what=what, source=source, **kwargs).result(timeout)


def library_error(exc: BaseException, source: str | None) -> GdxError | None:
    """The one boundary between SymPy's (and mpmath's, numpy's) exceptions and gdx's errors.

    Rule: with the user's text ``source`` known, an exception whose innermost frame is inside
    one of :data:`LIBRARIES` (or any ``RecursionError``) was caused by that text -- SymPy's
    ``KeyError('ComplexInfinity')`` for ``x/0**y``, its ``ValueError`` on integers of more than
    4300 digits, an ``AttributeError`` from its assumptions system -- and becomes a
    ``GdxError`` (kind ``"limit"`` for size, ``"math error"`` otherwise; exit status USAGE) that
    names the exception.  Anything else (an exception in gdx's own code) is a bug: ``None``.
    """
    if source is None or isinstance(exc, (GdxError, MemoryError)):
        return None
    name = f"{type(exc).__name__}: {str(exc)[:200]}"
    if isinstance(exc, RecursionError):
        return GdxError(f"the function is nested too deeply for SymPy ({name})", kind="limit", source=source,
                        hint="simplify the function (less nesting)")
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    if not frames or not any(f"{os.sep}{lib}{os.sep}" in frames[-1] for lib in LIBRARIES):
        return None
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return GdxError("the function's derivatives contain an integer of more than 4300 digits", kind="limit",
                        source=source, hint="use smaller constants or exponents")
    if isinstance(exc, KeyError) and "ComplexInfinity" in str(exc):
        return GdxError("the function divides by zero (SymPy meets complex infinity, e.g. from 0**y in a denominator)",
                        kind="math error", source=source, hint="remove the division by zero (0**y, 1/0**x, …)")
    return GdxError(f"SymPy cannot work with this function ({name})", kind="math error", source=source,
                    hint="rewrite or simplify the function")


def _die_with_parent(parent: int) -> None:
    """In the child: be killed (SIGKILL) when the parent dies, however it dies (Linux
    ``prctl(PR_SET_PDEATHSIG)``); if the parent is already gone, leave at once."""
    if _LIBC is not None:
        try:
            _LIBC.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
        except Exception:  # noqa: BLE001 - without it the parent's kill of the child still holds
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _child(write_fd: int, func, args, kwargs, limit, parent: int, source: str | None = None) -> None:
    """Run in the forked child: die with the parent, limit memory, call, send the pickled
    outcome, ``_exit``."""
    code = 0
    try:
        try:
            _die_with_parent(parent)
            _limit_memory(limit)
            payload = (_OK, func(*args, **kwargs))
        except GdxError as exc:
            payload = (_GDX, _error_fields(exc))
        except MemoryError:
            payload = (_MEMORY, None)
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            import traceback

            translated = library_error(exc, source)
            if translated is not None:
                payload = (_GDX, _error_fields(translated))
            else:
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


def _read_until(fd: int, deadline) -> tuple[bytes, bool]:
    """Everything the child writes, up to end of file (True) or the deadline (False).

    ``deadline`` is a ``time.monotonic()`` value (None: none).  The child writes only after its
    work is done, so once the first bytes are in, the rest is read without a deadline.
    """
    chunks = []
    while True:
        if chunks or deadline is None:
            left = None
        else:
            left = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], None if left is None else min(left, MAX_TIMEOUT))
        if not ready:
            if left is not None and left > MAX_TIMEOUT:  # a longer wait is taken in pieces
                continue
            return b"", False
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def _ends_of(timeout) -> tuple:
    """(the monotonic end, the bound in seconds) of a wait: seconds from now, a Deadline, or None."""
    if timeout is None:
        return None, None
    if isinstance(timeout, Deadline):
        return timeout.ends, timeout.seconds
    seconds = max(0.0, float(timeout))
    return time.monotonic() + seconds, seconds


def _read_message(fd: int, deadline) -> tuple[bytes, str]:
    """One length-prefixed message of :func:`send_partial`: (its bytes, "ok"), or (b"", "eof")
    when the pipe closes first, or (b"", "timeout") when nothing came before ``deadline``.
    Once its first bytes are in, the rest is read without a deadline (as :func:`_read_until`)."""
    buffer = b""
    while len(buffer) < 8 or len(buffer) < 8 + int.from_bytes(buffer[:8], "big"):
        left = None if (buffer or deadline is None) else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], None if left is None else min(left, MAX_TIMEOUT))
        if not ready:
            if left is not None and left > MAX_TIMEOUT:
                continue
            return b"", "timeout"
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"", "eof"
        buffer += chunk
    return buffer[8:], "ok"


def _reap(pid: int, *, kill: bool) -> int:
    """Wait for the child, after SIGKILL if ``kill``; its wait status.

    Without ``kill`` the child has closed its end of the pipe, which happens only in
    ``os._exit`` after its address space is released: the wait is immediate.
    """
    if kill:
        try:
            os.kill(pid, 9)  # SIGKILL: stops it even inside C code
        except ProcessLookupError:
            pass
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # already reaped (e.g. by a SIGCHLD handler)
        return 0


def _timeout_error(what: str, timeout: float) -> GdxError:
    """The time bound was hit: exit code 3, naming the bound and ``--timeout``."""
    return GdxError(
        f"{what} did not finish within {timeout:g} s",
        kind="timeout",
        exit_code=ExitCode.TIMEOUT,
        hint="give it longer with --timeout SECONDS, or simplify the function",
    )


def _cancelled_error(what: str) -> GdxError:
    """The job was cancelled before it finished (its budget went elsewhere)."""
    return GdxError(
        f"{what} was stopped before it finished",
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


def _outcome(data: bytes, status: int, what: str, memory_mb):
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
