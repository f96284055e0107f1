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
        writer.writerow(_row(path.k[i], path.x[i], path.loss[i], path.grad_norm[i], path.lr[i],
                             path.nfev[i] if counted else None, path.grad[i],
                             epoch=path.epoch[i] if batched else None,
                             full_loss=path.full_loss[i] if batched else None))
    return buf.getvalue()


def _row(k, x, loss, grad_norm, lr, nfev, grad, *, epoch=None, full_loss=None) -> list:
    """One CSV row (nfev None: no nfev column; epoch None: not a minibatch run, no epoch and
    full_loss columns; a full_loss that was not evaluated is an empty cell)."""
    batched = epoch is not None
    full = math.nan if full_loss is None else float(full_loss)
    return ([int(k)] + ([int(epoch)] if batched else []) + [repr(float(v)) for v in x] + [repr(float(loss))]
            + ([repr(full) if math.isfinite(full) else ""] if batched else [])
            + [repr(float(grad_norm)), repr(float(lr))]
            + ([int(nfev)] if nfev is not None else []) + [repr(float(v)) for v in grad])


def block_csv(rows) -> str:
    """The CSV lines of consecutive steps (a Path without nfev or epoch) as :func:`_row` writes
    them: ``step, x…, loss, grad_norm, lr, grad…`` with floats as ``repr``."""
    columns = [map(str, rows.k.tolist()), *(map(repr, c) for c in rows.x.T.tolist()), map(repr, rows.loss.tolist()),
               map(repr, rows.grad_norm.tolist()), map(repr, rows.lr.tolist()), *(map(repr, c) for c in rows.grad.T.tolist())]
    lines = "\n".join(map(",".join, zip(*columns)))
    return lines + "\n" if lines else ""


class CsvStream:
    """``--export run.csv`` written while the run goes on: each step is a row (as :func:`csv_text`
    writes it) appended to a temporary file beside the target, renamed onto it by :meth:`close`
    (atomic, as :func:`gdx.paths.write_atomic`: a killed run leaves the old file or none);
    :meth:`discard` removes it.  Memory stays bounded however long the run."""

    def __init__(self, path, variables) -> None:
        import csv
        import tempfile

        self.path, self.variables = Path(path), tuple(variables)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                        dir=self.path.parent if str(self.path.parent) else ".")
        self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.header = False

    def write(self, step) -> None:
        """Append one step (the header before the first: nfev when the step counts evaluations)."""
        from ..result import path_columns

        if not self.header:
            self.writer.writerow(path_columns(self.variables, nfev=step.nfev is not None,
                                              epoch=getattr(step, "epoch", None) is not None))
            self.header = True
        self.writer.writerow(_row(step.k, step.x, step.loss, step.grad_norm, step.lr, step.nfev, step.grad,
                                  epoch=getattr(step, "epoch", None), full_loss=getattr(step, "full_loss", None)))

    def write_block(self, rows) -> None:
        """Append consecutive steps given as columns (a :class:`gdx.result.Path` without nfev or
        epoch, from the fast loop): the same text as :meth:`write` of each step, in one write."""
        from ..result import path_columns

        if not self.header:
            self.writer.writerow(path_columns(self.variables))
            self.header = True
        text = block_csv(rows)
        self.fh.write(text)

    def close(self) -> Path:
        """Flush, sync and rename onto the target, with the mode ``open()`` would give it
        (:func:`gdx.paths.give_mode`); an OSError is gdx's io error (exit 6)."""
        from ..errors import ExitCode
        from ..paths import give_mode

        try:
            if not self.header:
                from ..result import path_columns

                self.writer.writerow(path_columns(self.variables))
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            give_mode(self.tmp, self.path)
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise GdxError(f"could not write '{self.path}': {exc.strerror or exc}", kind="io error",
                           exit_code=ExitCode.IO) from None
        return self.path

    def discard(self) -> None:
        try:
            self.fh.close()
        except OSError:
            pass
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


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
