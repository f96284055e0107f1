"""Files gdx writes: checked before any work, written atomically after it.

* :func:`check_output_file` — the one writability rule for an output file: a known suffix, an
  existing parent directory (a path through a regular file is named as such), not a directory,
  and writable (the parent, and the file when it exists) — tried for real, by creating and
  removing a temporary file in the directory, since ``os.access`` says yes on a read-only
  file system such as /sys.  A variable whose column would collide with gdx's own is refused
  by :func:`check_export_columns`.  ``--export`` (.csv/.json) and
  ``--png`` (.png/.svg/.pdf) use it.
* :func:`check_output_dir` — a directory to write several files into: an existing writable
  directory, or a new one in an existing writable parent.
* :func:`write_atomic` — the one atomic write: the content goes to a temporary file
  ``.NAME.*.tmp`` in the same directory, is flushed to disk, then renamed over the target, so a
  killed process leaves the old file or the complete new one, never half of one.  An OSError
  becomes ``GdxError(kind="io error", exit_code=ExitCode.IO)``.  The file gets the mode ``open()``
  would give it (:func:`new_file_mode`), not ``mkstemp``'s private 0600.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import ExitCode, GdxError

EXPORT_FORMATS = (".csv", ".json")


def unusable(flag: str, path, exc: OSError) -> GdxError:
    """The usage error for a path the file system refuses to look at (a name too long, …)."""
    return GdxError(f"{flag}: cannot use '{path}': {exc.strerror or exc}", kind="usage error")


def check_output_file(path, *, flag: str, formats: tuple[str, ...]) -> Path:
    """Refuse, before any work, an output path that could not be written (see the module docstring)."""
    try:
        return _check_output_file(Path(path), flag, formats)
    except OSError as exc:
        raise unusable(flag, path, exc) from None


def _check_output_file(p: Path, flag: str, formats: tuple[str, ...]) -> Path:
    if p.suffix.lower() not in formats:
        raise GdxError(f"{flag}: unknown format '{p.suffix or p.name}'", kind="usage error",
                       hint="the path must end in " + " or ".join(formats))
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        blocker = next((a for a in [parent, *parent.parents] if a.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise GdxError(f"{flag}: '{blocker}' is a file, not a directory", kind="usage error",
                           hint=f"choose a path in an existing directory, e.g. {flag} ./{p.name}")
        raise GdxError(f"{flag}: directory '{parent}' does not exist", kind="usage error",
                       hint=f"create it first (mkdir -p {parent}) or choose another path")
    if p.is_dir():
        raise GdxError(f"{flag}: '{p}' is a directory", kind="usage error")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise GdxError(f"{flag}: '{p}' is not writable", kind="usage error")
    _try_write(parent, flag, p)
    return p


def _try_write(directory: Path, flag: str, shown) -> None:
    """Writability for real: create and remove a temporary file in ``directory`` (os.access says
    yes to a read-only file system, /sys, or a directory the process may not create files in)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".gdx-check.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise GdxError(f"{flag}: '{shown}' is not writable: {exc.strerror or exc}", kind="usage error") from None
    os.close(fd)
    _unlink(tmp)


def check_export_file(path, *, flag: str = "--export", variables=()) -> Path:
    """``--export FILE``: a writable .csv or .json path, for a function whose variables' columns
    do not collide with gdx's own (:func:`check_export_columns`)."""
    check_export_columns(variables, flag=flag)
    return check_output_file(path, flag=flag, formats=EXPORT_FORMATS)


def check_export_columns(variables, *, flag: str = "--export") -> None:
    """Refuse an export whose variable columns would have the name of one of gdx's columns
    (``step``, ``loss``, ``grad_norm``, ``lr``, ``grad_<variable>``): the file could not be read back."""
    from .result import column_collisions

    clash = column_collisions(variables)
    if clash:
        raise GdxError(f"{flag}: the variable{'s' if len(clash) > 1 else ''} {', '.join(repr(n) for n in clash)} "
                       "would share a column name with gdx's own columns (step, loss, grad_norm, lr, grad_<variable>)",
                       kind="usage error", hint=f"rename the variable (e.g. {clash[0]} → {clash[0][0]}1) to export its path")


def check_output_dir(path, *, flag: str = "--export", why: str = "") -> Path:
    """An existing writable directory, or a new one in an existing writable parent."""
    try:
        return _check_output_dir(Path(path), flag, why)
    except OSError as exc:
        raise unusable(flag, path, exc) from None


def _check_output_dir(p: Path, flag: str, why: str) -> Path:
    if p.exists():
        if not p.is_dir():
            raise GdxError(f"{flag}: '{p}' exists and is not a directory", kind="usage error", hint=why or None)
        if not os.access(p, os.W_OK | os.X_OK):
            raise GdxError(f"{flag}: '{p}' is not writable", kind="usage error")
        _try_write(p, flag, p)
        return p
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise GdxError(f"{flag}: directory '{parent}' does not exist", kind="usage error")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise GdxError(f"{flag}: '{parent}' is not writable", kind="usage error")
    _try_write(parent, flag, parent)
    return p


def make_dir(path) -> Path:
    """Create the directory checked by :func:`check_output_dir` (an OSError is an io error)."""
    d = Path(path)
    try:
        d.mkdir(exist_ok=True)
    except OSError as exc:
        raise GdxError(f"could not create '{d}': {exc.strerror or exc}", kind="io error", exit_code=ExitCode.IO) from None
    return d


def _test_pause() -> None:
    """Tests only: ``GDX_TEST_EXPORT_PAUSE=SECONDS`` holds the write window open (temporary file
    written, not yet renamed) so a test can kill the process inside it."""
    pause = os.environ.get("GDX_TEST_EXPORT_PAUSE")
    if pause:
        import time

        time.sleep(float(pause))


def new_file_mode(path) -> int:
    """The permission bits ``open(path, "w")`` would leave: an existing file keeps its own, a new
    one gets ``0o666 & ~umask`` (the umask is read by setting it and putting it straight back)."""
    try:
        return Path(path).stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def give_mode(tmp, target) -> None:
    """Give the temporary file ``tmp`` the mode ``target`` would get from ``open()``
    (:func:`new_file_mode`) before it is renamed onto it."""
    os.chmod(tmp, new_file_mode(target))


def write_atomic(path, content: str | Callable[[str], None]) -> Path:
    """Write ``content`` to ``path`` atomically (see the module docstring).

    ``content`` is text, or a function that writes the file at the temporary path it is given
    (matplotlib's ``savefig``).
    """
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    try:
        if isinstance(content, str):
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            content(tmp)
        give_mode(tmp, p)
        _test_pause()
        os.replace(tmp, p)
    except OSError as exc:
        _unlink(tmp)
        raise GdxError(f"could not write '{p}': {exc.strerror or exc}", kind="io error", exit_code=ExitCode.IO) from None
    except BaseException:
        _unlink(tmp)
        raise
    return p


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
