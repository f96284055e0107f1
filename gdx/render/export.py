"""Writing a run's path to CSV or JSON: checked before the run, written atomically after it.

CSV: header ``step,<variables in order>,loss,grad_norm,lr,grad_<var>…`` (lbfgs, bfgs and cg add
``nfev`` after ``lr``: evaluations of f in the run so far, this point's included); one row per point,
the start point first as step 0; floats as ``repr`` so they read back exactly (``nan``,
``inf`` included).  A minibatch run (``--batch-size``) adds ``epoch`` after ``step`` and
``full_loss`` (the loss over every row, empty where ``--eval-every`` did not evaluate it) after
``loss``, which is then the loss on the step's batch; its JSON rows add ``epoch``, ``full_loss``
and ``rows`` (the batch's row indices, or ``"all"``).  JSON: ``{"variables", "optimizer", …, "path": [rows]}``.
Paths are checked and files written atomically by :mod:`gdx.paths` (a killed process leaves the
old file or the complete new one, never half of one).  In JSON a non-finite number is ``null``.
"""

from __future__ import annotations

import io
import math
import json
import os
from pathlib import Path

from ..errors import GdxError
from ..paths import EXPORT_FORMATS as FORMATS  # noqa: F401 - the formats --export takes (one list, gdx.paths)


def check_export_path(path, *, flag: str = "--export") -> Path:
    """Refuse, before any work, an export path that could not be written (gdx.paths)."""
    from ..paths import check_export_file

    return check_export_file(path, flag=flag)


def csv_text(path) -> str:
    """The path as CSV text (see the module docstring for the columns)."""
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    from ..result import path_columns

    counted = getattr(path, "nfev", None) is not None  # the line-search methods: evaluations so far
    batched = getattr(path, "epoch", None) is not None  # a minibatch run: epoch and full_loss columns
    writer.writerow(path_columns(path.variables, nfev=counted, epoch=batched))
    for i in range(len(path)):
        full = float(path.full_loss[i]) if batched else math.nan
        writer.writerow(
            [int(path.k[i])]
            + ([int(path.epoch[i])] if batched else [])
            + [repr(float(v)) for v in path.x[i]]
            + [repr(float(path.loss[i]))]
            + ([repr(full) if math.isfinite(full) else ""] if batched else [])
            + [repr(float(path.grad_norm[i])), repr(float(path.lr[i]))]
            + ([int(path.nfev[i])] if counted else [])
            + [repr(float(v)) for v in path.grad[i]]
        )
    return buf.getvalue()


def json_text(result, meta: dict | None = None) -> str:
    data = result.to_dict(path=True)
    if meta:
        data.update(meta)
    return json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False)


def export_run(path: str | os.PathLike, result, meta: dict | None = None) -> Path:
    """Write the run to ``path`` as CSV or JSON by its suffix."""
    from ..paths import write_atomic

    p = Path(path)
    text = csv_text(result.path) if p.suffix.lower() == ".csv" else json_text(result, meta)
    return write_atomic(p, text)


def read_csv_path(path: str | os.PathLike):
    """Read a CSV written by :func:`csv_text` back into (variables, columns dict of arrays)."""
    import csv

    import numpy as np

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows or rows[0][:1] != ["step"] or "loss" not in rows[0]:
        raise GdxError(f"'{path}' is not a gdx path CSV (its header must start with 'step' and have 'loss')", kind="input error")
    header = rows[0]
    first = 2 if header[1:2] == ["epoch"] else 1  # a minibatch run's epoch column
    variables = tuple(header[first : header.index("loss")])
    data = {name: np.array([float(r[i]) if r[i] else np.nan for r in rows[1:]]) for i, name in enumerate(header)}
    return variables, data
