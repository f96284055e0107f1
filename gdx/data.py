"""``--data FILE``: a table of numbers read safely, every cell checked.

The rule: a data file is untrusted text.  It is read as text (never evaluated), in bounded
work: it must be a regular file (a directory, FIFO or device is refused from ``stat`` before
it is opened, so nothing blocks) of at most :data:`MAX_BYTES`, with at most :data:`MAX_ROWS`
rows and :data:`MAX_COLUMNS` columns.  Two formats:

* CSV (any other suffix): a header row of column names, then one row of numbers per line;
* JSON Lines (``.jsonl``/``.ndjson``): one object per line, every object with the same keys,
  every value a number.

Every column name is a plain name (a letter, then letters, digits or ``_``) that is not a
function or constant of the function language (``exp``, ``sin``, ``pi``) and not one of gdx's
own export columns (``step``, ``loss``, ``epoch``, ``grad_…``).  Every cell is a finite number:
a ragged row, an empty or non-numeric cell, NaN or ±inf is refused with the file, line and
column in the message.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass
from typing import Any

from .errors import GdxError

MAX_BYTES = 64 * 1024 * 1024  # 64 MiB: 100,000 rows × 10 columns of full-precision floats is ~25 MB
MAX_ROWS = 1_000_000
MAX_COLUMNS = 64
JSONL_SUFFIXES = (".jsonl", ".ndjson")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

#: Columns of gdx's exported paths (gdx.result.RUN_COLUMNS and those of data runs): a data column
#: with one of these names would be confused with them.
RESERVED_COLUMNS = ("step", "loss", "grad_norm", "lr", "nfev", "epoch", "batch", "full_loss")


@dataclass(frozen=True)
class DataSet:
    """A checked table: ``columns`` (names, in file order) and ``values`` (N, m) float64."""

    source: str  # the file as the user named it (or "the preset's [data]")
    columns: tuple[str, ...]
    values: Any  # numpy array (N, m)

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str):
        return self.values[:, self.columns.index(name)]


def _error(source: str, message: str, *, line: int | None = None, column: str | None = None, hint: str | None = None,
           text: str | None = None) -> GdxError:
    where = source + (f", line {line}" if line is not None else "") + (f", column '{column}'" if column else "")
    return GdxError(f"{where}: {message}", kind="data error", source=text, hint=hint)


def load_data(path) -> DataSet:
    """Read and check the data file at ``path`` (see the module docstring for every rule)."""
    name = os.fspath(path)
    text = _read_text(name)
    if name.lower().endswith(JSONL_SUFFIXES):
        return _from_jsonl(name, text)
    return _from_csv(name, text)


def _read_text(name: str) -> str:
    """The file's text: a regular, non-empty file of at most MAX_BYTES, checked before it is read."""
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise _error(name, "no such file", hint="--data takes a CSV file with a header row, or a .jsonl file") from None
    except OSError as exc:
        raise _error(name, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise _error(name, "is a directory, not a data file", hint="name a CSV or .jsonl file inside it")
    if not stat.S_ISREG(info.st_mode):
        raise _error(name, "is not a regular file (a FIFO, socket or device cannot be read as data)")
    if info.st_size > MAX_BYTES:
        raise _error(name, f"is {info.st_size / 2**20:.0f} MiB; the limit for a data file is {MAX_BYTES // 2**20} MiB",
                     hint=f"sample at most {MAX_ROWS:,} rows into a smaller file")
    try:
        with open(name, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _error(name, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise _error(name, f"is larger than the limit of {MAX_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(name, "is not UTF-8 text", line=line) from None
    if not text.strip():
        raise _error(name, "is empty", hint="a data file starts with a header row of column names, e.g. x,y")
    return text


def check_column_names(source: str, names, *, line: int | None = 1) -> tuple[str, ...]:
    """Plain names, not a function/constant of the function language, not a gdx export column, not repeated."""
    from .parse import CONSTANTS, FUNCTIONS

    if len(names) > MAX_COLUMNS:
        raise _error(source, f"has {len(names)} columns; the limit is {MAX_COLUMNS}", line=line)
    seen: set[str] = set()
    for i, raw in enumerate(names, 1):
        name = raw.strip()
        if not name:
            raise _error(source, f"column {i} of the header has no name", line=line,
                         hint="the first row names the columns, e.g. x,y")
        if not _NAME.match(name) or len(name) > 32:
            raise _error(source, "is not a valid column name (a letter, then letters, digits or '_', at most 32)",
                         line=line, column=name[:40], hint="the first row must name the columns, e.g. x,y")
        if name in FUNCTIONS or name in CONSTANTS:
            raise _error(source, "names a function or constant of the function language", line=line, column=name,
                         hint=f"rename the column (e.g. {name} → {name}_1)")
        if name in RESERVED_COLUMNS or name.startswith("grad_"):
            raise _error(source, "is one of gdx's own export columns (step, loss, grad_norm, lr, epoch, grad_…)",
                         line=line, column=name, hint=f"rename the column (e.g. {name} → {name}_1)")
        if name in seen:
            raise _error(source, "is named twice in the header", line=line, column=name)
        seen.add(name)
    return tuple(n.strip() for n in names)


def cell_value(source: str, raw: str, line: int, column: str) -> float:
    """One cell: a finite decimal number (no NaN, no inf, not empty)."""
    cell = raw.strip()
    if not cell:
        raise _error(source, "is empty", line=line, column=column, hint="every cell must hold a number")
    try:
        value = float(cell)
    except ValueError:
        shown = cell if len(cell) <= 30 else cell[:29] + "…"
        raise _error(source, f"'{shown}' is not a number", line=line, column=column) from None
    if not math.isfinite(value):
        raise _error(source, f"'{cell}' is not a finite number", line=line, column=column,
                     hint="remove or impute the rows with missing or infinite values")
    return value


def _from_csv(source: str, text: str) -> DataSet:
    import csv

    import numpy as np

    lines = text.splitlines()
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise _error(source, f"is not CSV ({exc})", line=1) from None
    columns = check_column_names(source, header)
    m = len(columns)
    rows: list[list[str]] = []
    line_of: list[int] = []  # the line each row ends on (a quoted cell may span lines)
    try:
        for row in reader:
            if len(row) != m:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    if line == len(lines):
                        continue  # a trailing blank line
                    raise _error(source, "is an empty row", line=line, hint="remove blank lines between rows")
                raise _error(source, f"has {len(row)} cells; the header names {m} columns ({', '.join(columns)})",
                             line=line)
            if len(rows) >= MAX_ROWS:
                raise _error(source, f"has more than {MAX_ROWS:,} rows", line=reader.line_num)
            rows.append(row)
            line_of.append(reader.line_num)
    except csv.Error as exc:
        raise _error(source, f"is not valid CSV ({exc})", line=reader.line_num) from None
    if not rows:
        raise _error(source, "has a header but no rows of data", line=1)
    try:
        values = np.array(rows, dtype=float)  # numpy's own string → float conversion: fast
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        _locate_bad_cell(source, rows, line_of, columns)  # raises, naming the line and column
    return DataSet(source, columns, values.reshape(len(rows), m))


def _locate_bad_cell(source: str, rows, line_of, columns) -> None:
    """The first cell that is not a finite number, as an error naming its line and column."""
    for row, line in zip(rows, line_of):
        for j, cell in enumerate(row):
            cell_value(source, cell, line, columns[j])
    raise _error(source, "holds a cell that is not a finite number")  # pragma: no cover


def _from_jsonl(source: str, text: str) -> DataSet:
    import json

    import numpy as np

    columns: tuple[str, ...] | None = None
    rows: list[list[float]] = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw, parse_constant=lambda c: c)  # NaN/Infinity stay text, refused below
        except (ValueError, RecursionError):
            raise _error(source, "is not a JSON object", line=line) from None
        if not isinstance(obj, dict):
            raise _error(source, "is not a JSON object of numbers", line=line, hint='each line is like {"x": 1, "y": 2}')
        if columns is None:
            columns = check_column_names(source, list(obj), line=line)
        elif tuple(obj) != columns:
            missing = [c for c in columns if c not in obj]
            extra = [c for c in obj if c not in columns]
            what = (f"lacks {', '.join(missing)}" if missing else f"has the extra key{'s' if len(extra) > 1 else ''} "
                    f"{', '.join(extra)}") if missing or extra else "has its keys in another order"
            raise _error(source, f"{what} (the first row has {', '.join(columns)})", line=line)
        if len(rows) >= MAX_ROWS:
            raise _error(source, f"has more than {MAX_ROWS:,} rows", line=line)
        values = []
        for name in columns:
            v = obj[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _error(source, f"{json.dumps(v)[:30]} is not a number", line=line, column=name)
            v = float(v)
            if not math.isfinite(v):
                raise _error(source, "is not a finite number", line=line, column=name)
            values.append(v)
        rows.append(values)
    if not rows or columns is None:
        raise _error(source, "has no rows of data")
    return DataSet(source, columns, np.array(rows, dtype=float).reshape(len(rows), len(columns)))


def from_table(source: str, table: dict) -> DataSet:
    """A preset's ``[data]`` table: column name → list of numbers, all of one length."""
    import numpy as np

    if not isinstance(table, dict) or not table:
        raise _error(source, "[data] must be a table of columns (name = [numbers…])")
    columns = check_column_names(source, list(table), line=None)
    lengths = {len(v) if isinstance(v, list) else -1 for v in table.values()}
    if -1 in lengths:
        raise _error(source, "every column of [data] must be a list of numbers")
    if len(lengths) != 1 or 0 in lengths:
        raise _error(source, "the columns of [data] must be non-empty and of one length")
    n = lengths.pop()
    if n > MAX_ROWS:
        raise _error(source, f"[data] has more than {MAX_ROWS:,} rows")
    out = np.empty((n, len(columns)))
    for j, name in enumerate(columns):
        for i, v in enumerate(table[name]):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
                raise _error(source, f"row {i + 1} of [data] is not a finite number", column=name)
            out[i, j] = float(v)
    return DataSet(source, columns, out)
