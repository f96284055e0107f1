"""Small helpers shared by several test files (importable: tests/ is on sys.path under pytest)."""

from __future__ import annotations

import os
from pathlib import Path


def no_children_left() -> bool:
    """True when this process has no child process at all (none running, none unreaped)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def children_of(pid: int) -> set[int]:
    """Pids whose parent is ``pid`` (from /proc/<pid>/stat), empty where there is no /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (from /proc/<pid>/stat)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def interruptible() -> None:
    """``preexec_fn`` for a subprocess a test will Ctrl-C: SIGINT back to its default and
    unblocked, as in a terminal's foreground job.  A suite started in the background (``… &`` in a
    script: POSIX shells ignore SIGINT there, and children inherit it) would otherwise start gdx
    with SIGINT ignored, and Python installs no KeyboardInterrupt for it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
