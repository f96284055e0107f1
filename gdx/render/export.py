"""Writing a run's path to CSV or JSON: checked before the run, written atomically after it.

CSV: header ``step,<variables in order>,loss,grad_norm,lr,grad_<var>…``; one row per point,
the start point first as step 0; floats as ``repr`` so they read back exactly (``nan``,
``inf`` included).  JSON: ``{"variables", "optimizer", …, "path": [rows]}``.
A write goes to a temporary file in the same directory, is flushed to disk, then renamed over
the target: a killed process leaves the old file or the complete new one, never half of one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

from ..errors import ExitCode, GdxError

FORMATS = (".csv", ".json")


def check_export_path(path: str | os.PathLike, *, flag: str = "--export") -> Path:
    """Refuse, before any work, an export path that could not be written."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise GdxError(
            f"{flag}: unknown format '{p.suffix or p.name}'",
            kind="usage error",
            hint="the path must end in .csv or .json",
        )
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        blocker = next((a for a in [parent, *parent.parents] if a.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise GdxError(f"{flag}: '{blocker}' is a file, not a directory", kind="usage error",
                           hint=f"choose a path in an existing directory, e.g. {flag} ./{p.name}")
        raise GdxError(f"{flag}: directory '{parent}' does not exist", kind="usage error", exit_code=ExitCode.USAGE,
                       hint=f"create it first (mkdir -p {parent}) or choose another path")
    if p.is_dir():
        raise GdxError(f"{flag}: '{p}' is a directory", kind="usage error")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise GdxError(f"{flag}: '{p}' is not writable", kind="usage error")
    return p


def csv_text(path) -> str:
    """The path as CSV text (see the module docstring for the columns)."""
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    names = list(path.variables)
    writer.writerow(["step", *names, "loss", "grad_norm", "lr", *(f"grad_{n}" for n in names)])
    for i in range(len(path)):
        writer.writerow(
            [int(path.k[i])]
            + [repr(float(v)) for v in path.x[i]]
            + [repr(float(path.loss[i])), repr(float(path.grad_norm[i])), repr(float(path.lr[i]))]
            + [repr(float(v)) for v in path.grad[i]]
        )
    return buf.getvalue()


def json_text(result, meta: dict | None = None) -> str:
    data = result.to_dict(path=True)
    if meta:
        data.update(meta)
    return json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False)


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename.

    The temporary file is ``.NAME.<random>.tmp`` beside ``path``.  For tests only: when the
    environment variable ``GDX_TEST_EXPORT_PAUSE`` is a number of seconds, the writer sleeps that
    long after writing the text and before flushing and renaming it, so a test can see the
    temporary file and kill the process inside the write window.  Unset (always, outside the
    test suite), nothing changes.
    """
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            pause = os.environ.get("GDX_TEST_EXPORT_PAUSE")
            if pause:
                import time

                time.sleep(float(pause))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def export_run(path: str | os.PathLike, result, meta: dict | None = None) -> Path:
    """Write the run to ``path`` as CSV or JSON by its suffix."""
    p = Path(path)
    try:
        text = csv_text(result.path) if p.suffix.lower() == ".csv" else json_text(result, meta)
        write_atomic(p, text)
    except OSError as exc:
        raise GdxError(f"could not write '{p}': {exc.strerror or exc}", kind="io error", exit_code=ExitCode.IO) from None
    return p


def read_csv_path(path: str | os.PathLike):
    """Read a CSV written by :func:`csv_text` back into (variables, columns dict of arrays)."""
    import csv

    import numpy as np

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows or rows[0][:1] != ["step"] or "loss" not in rows[0]:
        raise GdxError(f"'{path}' is not a gdx path CSV (its header must start with 'step' and have 'loss')", kind="input error")
    header = rows[0]
    variables = tuple(header[1 : header.index("loss")])
    data = {name: np.array([float(r[i]) for r in rows[1:]]) for i, name in enumerate(header)}
    return variables, data
