"""Small helpers shared by several test files (importable: tests/ is on sys.path under pytest)."""

from __future__ import annotations

import os


def no_children_left() -> bool:
    """True when this process has no child process at all (none running, none unreaped)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False
