"""Reading a training log (CSV with a header row, JSON Lines, or gdx's own exports), bounded.

The rules, one function each:

* the file must be a regular file of at most :data:`MAX_BYTES` (a directory, a FIFO, a device or
  an empty file is refused before it is opened for reading — a FIFO would block);
* the format is JSON when the first non-blank character is ``{`` or ``[``: one document (gdx's
  export, rows under ``"path"``; Hugging Face's ``trainer_state.json``, rows under
  ``"log_history"``; a list of row objects) or JSON Lines; else CSV with the delimiter (``,``,
  tab, ``;``) most frequent in the header;
* columns are recognised by normalised name (lower case, ``/ . - space`` → ``_``) from
  :data:`ROLES`, or named explicitly; ``--run COL`` splits the rows into runs;
* a cell is a number (``nan``/``inf`` included: they are evidence), missing (empty, JSON
  ``null``: the row did not log that column — Lightning's CSVLogger writes train and validation
  rows separately), or text (skipped and counted, with the first place it occurred);
* per column, a step logged twice keeps its last value (a run resumed from a checkpoint
  overwrites), and the values are sorted by step.

What was skipped is returned as an account (:class:`Skip` entries), never silently dropped.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field

import numpy as np

from .errors import ExitCode, GdxError, did_you_mean

#: The largest log read, bytes (a bound on memory and time; the reader refuses larger files).
MAX_BYTES = 1 << 30
#: The longest line of a JSON Lines log, characters.
MAX_LINE = 1 << 20

#: role → the normalised column names recognised for it, in order of preference.
ROLES = {
    "step": ("step", "global_step", "_step", "iteration", "iter", "it", "trainer_global_step", "epoch"),
    # "value": a TensorBoard scalar exported as CSV (Wall time, Step, Value), read only when no
    # column has a loss name
    "loss": ("loss", "train_loss", "training_loss", "train_loss_step", "trn_loss", "train_loss_epoch", "value"),
    "val": ("val_loss", "valid_loss", "validation_loss", "eval_loss", "val_loss_epoch", "dev_loss"),
    "lr": ("lr", "learning_rate", "lr_0", "lr_group_0", "train_learning_rate", "train_lr"),
    "grad_norm": ("grad_norm", "gradient_norm", "grad_norm_total", "total_grad_norm", "grad_norm_2",
                  "train_grad_norm"),
    # gdx's minibatch export: the loss on the whole data set every --eval-every steps (the batch
    # loss is "loss")
    "full": ("full_loss", "full_data_loss"),
}
FLAGS = {"step": "--step", "loss": "--loss", "val": "--val", "lr": "--lr", "grad_norm": "--grad-norm",
         "full": "--full-loss"}


@dataclass
class Skip:
    """One kind of thing the reader left out or changed: ``count`` times, first at ``where``."""

    reason: str
    count: int
    where: str = ""

    def text(self) -> str:
        return f"{self.reason}: {self.count}" + (f" (first at {self.where})" if self.where else "")

    def to_dict(self) -> dict:
        return {"reason": self.reason, "count": self.count, "first": self.where or None}


@dataclass
class Series:
    """One run's columns: ``step``/``loss`` (sorted by step), ``val_step``/``val``, ``lr_step``/
    ``lr``, ``grad_step``/``grad_norm``, ``full_step``/``full`` (the full-data loss of a minibatch
    run; empty arrays when the column is absent)."""

    name: str | None
    step: np.ndarray
    loss: np.ndarray
    val_step: np.ndarray
    val: np.ndarray
    lr_step: np.ndarray
    lr: np.ndarray
    grad_step: np.ndarray
    grad_norm: np.ndarray
    step_logged: bool = True
    skipped: list = field(default_factory=list)
    full_step: np.ndarray = field(default_factory=lambda: np.empty(0))
    full: np.ndarray = field(default_factory=lambda: np.empty(0))

    def lr_at(self, steps) -> np.ndarray:
        """The lr in force at each step: the last logged value at or before it (NaN before any)."""
        return _last_at(self.lr_step, self.lr, steps)


@dataclass
class TrainLog:
    path: str
    format: str  # "csv", "jsonl", "gdx-json"
    columns: dict  # role -> column name as written in the file
    rows: int
    runs: list  # [Series]
    skipped: list  # [Skip] for the whole file


def _last_at(xs, ys, at) -> np.ndarray:
    at = np.asarray(at, dtype=float)
    if len(xs) == 0:
        return np.full(at.shape, np.nan)
    i = np.searchsorted(xs, at, side="right") - 1
    return np.where(i >= 0, ys[np.clip(i, 0, None)], np.nan)


def normalise(name: str) -> str:
    """A column name as matched: stripped, lower case, ``/ . - space`` written ``_``."""
    out = str(name).strip().lower()
    for ch in "/.- ":
        out = out.replace(ch, "_")
    return out


def _fail(path, message, *, where: str | None = None, hint: str | None = None) -> GdxError:
    at = f"{path}" + (f", {where}" if where else "")
    return GdxError(f"{at}: {message}", kind="log error", hint=hint, exit_code=ExitCode.USAGE)


# -- the file ------------------------------------------------------------------------------------
def read_text(path) -> str:
    """The log's text: a regular, non-empty file of at most MAX_BYTES, decoded as UTF-8."""
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise _fail(p, "no such file") from None
    except OSError as exc:
        raise _fail(p, f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(p, "is a directory, not a log file", hint="give the CSV or JSON Lines file itself")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(p, "is not a regular file (a FIFO, socket or device is not read)",
                    hint="write the log to a file first")
    if st.st_size == 0:
        raise _fail(p, "is empty", hint="a log needs a header row (CSV) or one JSON object per line")
    if st.st_size > MAX_BYTES:
        raise _fail(p, f"is {st.st_size / 2**20:.0f} MiB, more than the {MAX_BYTES / 2**20:.0f} MiB gdx reads",
                    hint="keep every n-th row (awk 'NR == 1 || NR % 10 == 0' log.csv > small.csv)")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _fail(p, f"cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(p, "is not UTF-8 text (a binary file?)", where=f"line {line}") from None


# -- records --------------------------------------------------------------------------------------
@dataclass
class Table:
    """The log as columns of cells: ``names`` as written, ``cells[name]`` a list (None = missing),
    ``lines[i]`` the file line of row i."""

    format: str
    names: list
    cells: dict
    lines: list
    skipped: list


def _first_char(text: str) -> str:
    """The first non-blank character ('' for none), without copying the text."""
    import re

    m = re.compile(r"\S").search(text)
    return m.group(0) if m else ""


def parse(text: str, path) -> Table:
    """CSV or JSON (Lines) by the first non-blank character."""
    head = _first_char(text)
    if head in "{[":
        return _parse_json(text, path)
    return _parse_csv(text, path)


def _parse_csv(text: str, path) -> Table:
    """Header, then rows of the header's width (other rows skipped and counted).  Without a quote
    character the rows are split by numpy and str.split (fast); with quotes, by the csv module."""
    lines = text.splitlines()
    numbers = None
    if "" in lines:  # blank lines: left out, the line numbers of the rest kept
        numbers = [i + 1 for i, line in enumerate(lines) if line]
        lines = [line for line in lines if line]
    if not lines:
        raise _fail(path, "has no header row")
    header_line = lines[0]
    delim = max(",\t;", key=header_line.count) if any(c in header_line for c in ",\t;") else ","
    if '"' in text:
        names, data, data_lines, skipped = _csv_module(lines, numbers, delim, path)
    else:
        names, data, data_lines, skipped = _split_fast(lines, numbers, delim, path)
    return Table("csv", names, data, data_lines, skipped)


def _line_numbers(numbers, rows: int, keep=None):
    """File line numbers of data rows 0 … rows−1 (header on line 1), ``keep`` the rows kept."""
    if numbers is None:
        out = range(2, rows + 2)
        return out if keep is None else [i + 2 for i in keep]
    out = numbers[1:]
    return out if keep is None else [out[i] for i in keep]


def _ragged(widths, width, data_lines_all, lengths_of):
    bad = np.flatnonzero(widths != width)
    first = int(bad[0])
    return Skip(f"rows with other than the header's {width} fields", int(len(bad)),
                f"line {data_lines_all[first]} ({lengths_of(first)} fields)")


def _split_fast(lines, numbers, delim, path):
    names = [n.strip() for n in lines[0].split(delim)]
    data = lines[1:]
    if not data:
        raise _fail(path, "has a header row and no data rows", where="line 1")
    width = len(names)
    body = "\n".join(data)
    raw = np.frombuffer(body.encode("utf-8"), np.uint8)
    newlines = np.flatnonzero(raw == 10)
    delims = np.flatnonzero(raw == ord(delim))
    bounds = np.concatenate([[-1], newlines, [len(raw)]])
    widths = np.diff(np.searchsorted(delims, bounds)) + 1  # fields per line
    skipped = []
    data_lines = _line_numbers(numbers, len(data))
    if np.any(widths != width):
        skipped.append(_ragged(widths, width, data_lines, lambda i: int(widths[i])))
        keep = np.flatnonzero(widths == width).tolist()
        data = [data[i] for i in keep]
        data_lines = _line_numbers(numbers, 0, keep)
        if not data:
            raise _fail(path, f"has no row with the header's {width} fields", where=skipped[0].where)
        body = "\n".join(data)
    flat = body.replace("\n", delim).split(delim)
    cells = {name: flat[j::width] for j, name in enumerate(names)}
    return names, cells, list(data_lines) if not isinstance(data_lines, range) else data_lines, skipped


def _csv_module(lines, numbers, delim, path):
    import csv

    try:
        rows = list(csv.reader(lines, delimiter=delim))
    except csv.Error as exc:
        raise _fail(path, f"is not valid CSV ({exc})") from None
    names = [n.strip() for n in rows[0]]
    if len(rows) < 2:
        raise _fail(path, "has a header row and no data rows", where="line 1")
    width = len(names)
    data_rows = rows[1:]
    data_lines = _line_numbers(numbers, len(data_rows))
    skipped = []
    widths = np.fromiter(map(len, data_rows), int, len(data_rows))
    if np.any(widths != width):
        skipped.append(_ragged(widths, width, data_lines, lambda i: int(widths[i])))
        keep = np.flatnonzero(widths == width).tolist()
        data_rows = [data_rows[i] for i in keep]
        data_lines = _line_numbers(numbers, 0, keep)
    cells = {name: [r[j] for r in data_rows] for j, name in enumerate(names)}
    return names, cells, data_lines, skipped


def _parse_json(text: str, path) -> Table:
    """JSON Lines (one object per line), or one JSON document: gdx's export (``{"path": [rows]}``)
    or a list of row objects."""
    stripped = text.lstrip()
    end = stripped.find("\n")
    first = (stripped if end < 0 else stripped[:end]).strip()  # the first line, without copying the rest
    records, lines, skipped, fmt = None, None, [], "jsonl"
    try:
        whole = json.loads(text)  # one document (a JSON Lines file of 2+ lines fails at its second)
        if isinstance(whole, dict) and not any(isinstance(whole.get(k), (list, int, float, str))
                                               for k in ("path", "log_history")):
            whole = None  # a single JSON line: one row
    except (ValueError, RecursionError):
        whole = None
        try:
            json.loads(first)
        except (ValueError, RecursionError) as exc:
            line = getattr(exc, "lineno", None)
            raise _fail(path, f"is not JSON Lines or a JSON document ({getattr(exc, 'msg', exc)})",
                        where=f"line {line}" if line else None) from None
    if whole is not None:
        # gdx's export keeps its rows under "path"; Hugging Face's trainer_state.json under "log_history"
        key = next((k for k in ("path", "log_history") if isinstance(whole, dict) and k in whole), "path")
        rows = whole.get(key) if isinstance(whole, dict) else whole
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise _fail(path, "is a JSON document without rows (want JSON Lines, a list of objects, or a gdx "
                        "export with a \"path\")")
        records = rows
        lines = [f"row {i} of {key}" if isinstance(whole, dict) else f"item {i}" for i in range(len(rows))]
        fmt = ("gdx-json" if key == "path" else "trainer-state-json") if isinstance(whole, dict) else "json"
    else:
        fast = _jsonl_layout(text)
        if fast is not None:
            return _layout_table(fast, path)
        whole_lines = _jsonl_whole(text)
        records, lines = whole_lines if whole_lines is not None else (None, None)
    if records is None:
        records, lines = [], []
        bad, bad_first = 0, None
        for i, line in enumerate(text.splitlines()):
            s = line.strip()
            if not s:
                continue
            rec = json_object(s)
            if rec is None:
                bad += 1
                bad_first = bad_first or f"line {i + 1}"
                continue
            records.append(rec)
            lines.append(i + 1)
        if bad:
            if bad > len(records):
                raise _fail(path, "most lines are not JSON objects", where=bad_first,
                            hint="JSON Lines: one {\"step\": …, \"loss\": …} object per line")
            skipped.append(Skip("lines that are not a JSON object (a truncated last line?)", bad, bad_first))
    if not records:
        raise _fail(path, "has no rows")
    first_keys = records[0].keys()
    uniform = all(map(first_keys.__eq__, map(dict.keys, records)))  # at C speed
    if uniform:  # every row has the first row's keys
        names = list(first_keys)
    else:
        seen: dict = {}
        for rec in records:
            for k in rec:
                if k not in seen:
                    seen[k] = None
        names = list(seen)
    return Table(fmt, names, _JsonColumns(records, names, uniform), lines, skipped)


def json_object(line: str):
    """One stripped JSON Lines line as a dict, or None: too long (MAX_LINE), not JSON, too
    deeply nested, or JSON but not an object."""
    if len(line) > MAX_LINE:
        return None
    try:
        rec = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return rec if isinstance(rec, dict) else None


def _jsonl_layout(text: str):
    """The rows of a JSON Lines text whose lines share the first line's layout, read at numpy
    speed (gdx.jsonl_layout), or None."""
    from .jsonl_layout import read

    return read(text)


def _layout_table(fast, path) -> Table:
    """The Table of :func:`_jsonl_layout`'s rows, with the line-by-line reader's account of the
    lines that are not JSON objects."""
    skipped = []
    if fast.bad:
        if fast.bad > len(fast.rows):
            raise _fail(path, "most lines are not JSON objects", where=fast.bad_first,
                        hint="JSON Lines: one {\"step\": …, \"loss\": …} object per line")
        skipped.append(Skip("lines that are not a JSON object (a truncated last line?)", fast.bad, fast.bad_first))
    if not fast.rows:
        raise _fail(path, "has no rows")
    return Table("jsonl", fast.names, fast, fast.rows, skipped)


def _jsonl_whole(text: str):
    """(rows, their line numbers) of a JSON Lines text parsed as one JSON array (the non-blank
    lines joined with commas: one call into the C decoder instead of one per line), or None when
    that fails, a line is too long, or the array is not one object per line (the line-by-line
    reader then says which line is at fault)."""
    lines = text.splitlines()
    keep = [line for line in lines if line.strip()]
    if not keep or max(map(len, keep)) > MAX_LINE:
        return None
    try:
        rows = json.loads("[" + ",".join(keep) + "]")
    except (ValueError, RecursionError):
        return None
    if len(rows) != len(keep) or set(map(type, rows)) != {dict}:
        return None
    numbers = range(1, len(lines) + 1) if len(keep) == len(lines) else [
        i + 1 for i, line in enumerate(lines) if line.strip()]
    return rows, numbers


class _JsonColumns:
    """The cells of JSON rows by column name, each column built when first asked for (a log's
    rows often carry dozens of metrics doctor never reads)."""

    def __init__(self, records, names, uniform=False):
        self._records, self._names, self._done, self._uniform = records, set(names), {}, uniform

    def __contains__(self, name) -> bool:
        return name in self._names

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._done:
            from operator import itemgetter

            get = itemgetter(name) if self._uniform else (lambda r: r.get(name))
            vals = list(map(get, self._records))
            if not set(map(type, vals)) <= {int, float}:  # null, text, bools, nested: one by one
                vals = [_json_cell(v) for v in vals]
            self._done[name] = vals
        return self._done[name]


def _json_cell(v):
    if v is None or isinstance(v, bool):
        return None if v is None else str(v)
    if isinstance(v, (int, float)):
        return v
    return str(v) if not isinstance(v, (dict, list)) else "(nested value)"


# -- columns ---------------------------------------------------------------------------------------
def _metric(name: str) -> str | None:
    """The metric of a W&B chart export's column ``"<run name> - <metric>"`` (normalised), None
    for other names and for the ``…__MIN``/``…__MAX`` band columns beside it."""
    head, sep, metric = str(name).rpartition(" - ")
    if not sep or not head.strip() or not metric.strip():
        return None
    m = normalise(metric)
    return None if m.endswith(("__min", "__max")) else m


def recognise(names, given: dict, path) -> dict:
    """role → column name: the given ``--step``/``--loss``/… names (which must exist), else the
    first of :data:`ROLES` present (a W&B chart export's ``"<run> - <metric>"`` column matched
    by its metric).  A log without a loss column is refused, naming what it has."""
    by_norm = {}
    for n in names:
        by_norm.setdefault(normalise(n), n)
    for n in names:
        m = _metric(n)
        if m is not None:
            by_norm.setdefault(m, n)
    out = {}
    for role, flag in FLAGS.items():
        want = given.get(role)
        if want is not None:
            if want in names:
                out[role] = want
            elif normalise(want) in by_norm:
                out[role] = by_norm[normalise(want)]
            else:
                raise _fail(path, f"has no column '{want}' ({flag})",
                            hint=did_you_mean(want, names) or "its columns: " + ", ".join(map(str, names[:20])))
            continue
        for candidate in ROLES[role]:
            if candidate in by_norm:
                out[role] = by_norm[candidate]
                break
        else:
            if role == "lr":  # Lightning's LearningRateMonitor: lr-SGD, lr-Adam
                lrs = [n for k, n in by_norm.items() if k.startswith("lr_")]
                if len(lrs) == 1:
                    out[role] = lrs[0]
    if "loss" not in out:
        raise _fail(path, "has no loss column", hint="its columns: " + ", ".join(map(str, names[:20]))
                    + "; name one with --loss COL")
    for other in ("val", "full"):
        if out.get(other) == out["loss"]:
            del out[other]
    return out


def to_numbers(cells, name, lines) -> tuple[np.ndarray, np.ndarray, Skip | None]:
    """(values, present, text skip): a cell is a number (nan/inf kept), missing (empty or null:
    present False), or text (present False, counted in the Skip with its first line)."""
    n = len(cells)
    if None not in cells and "" not in cells:
        try:
            return np.array(cells, dtype=float), np.ones(n, bool), None
        except (ValueError, TypeError, OverflowError):
            pass
    present = np.fromiter((c is not None and c != "" for c in cells), bool, n)
    values = np.full(n, np.nan)
    where = np.flatnonzero(present)
    given = [cells[i] for i in where.tolist()]
    try:
        values[where] = np.array(given, dtype=float)
        return values, present, None
    except (ValueError, TypeError, OverflowError):
        pass
    text, first = 0, None
    for i in where.tolist():
        c = cells[i]
        if isinstance(c, str) and not c.strip():
            present[i] = False  # blanks: missing
            continue
        try:
            values[i] = float(c)
        except (ValueError, TypeError, OverflowError):
            present[i] = False
            text += 1
            first = i if first is None else first
    skip = None
    if text:
        at = lines[first]
        at = f"line {at}" if isinstance(at, int) else at
        skip = Skip(f"text cells in '{name}' (rows skipped for it)", text, f"{at}: {str(cells[first])[:30]!r}")
    return values, present, skip


def read_log(path, *, columns: dict | None = None, run: str | None = None) -> TrainLog:
    """Read, recognise and split the log at ``path`` (see the module docstring for every rule)."""
    import gc

    text = read_text(path)
    fast = _fast_csv(text, os.fspath(path), dict(columns or {})) if run is None else None
    if fast is not None:
        roles, numeric, n = fast
        runs = [_series(None, slice(None), numeric, range(2, n + 2), "step" in roles)]
        return _finish(os.fspath(path), "csv", roles, n, runs, [], numeric, None)
    enabled = gc.isenabled()
    gc.disable()  # millions of small strings and no cycles: the collector would only rescan them
    try:
        table = parse(text, os.fspath(path))
    finally:
        if enabled:
            gc.enable()
    given = dict(columns or {})
    roles = recognise(table.names, given, os.fspath(path))
    if run is not None and run not in table.cells:
        match = [n for n in table.names if normalise(n) == normalise(run)]
        if not match:
            raise _fail(os.fspath(path), f"has no column '{run}' (--run)",
                        hint=did_you_mean(run, table.names) or "its columns: " + ", ".join(map(str, table.names[:20])))
        run = match[0]
    n = len(table.lines)
    skipped = list(table.skipped)
    numeric = {}
    for role, name in roles.items():
        numbers = getattr(table.cells, "numbers", None)  # the layout reader's columns convert themselves
        values, present, skip = numbers(name) if numbers else to_numbers(table.cells[name], name, table.lines)
        numeric[role] = (values, present)
        if skip:
            skipped.append(skip)
    groups = _groups(table.cells[run], n) if run is not None else [(None, np.arange(n))]
    runs = [_series(label, idx, numeric, table.lines, "step" in roles) for label, idx in groups]
    return _finish(os.fspath(path), table.format, roles, n, runs, skipped, numeric, run)


def _finish(path, fmt, roles, n, runs, skipped, numeric, run) -> TrainLog:
    runs = [r for r in runs if len(r.loss)]
    if not runs:
        raise _fail(path, f"has no numeric value in its loss column '{roles['loss']}'")
    if run is None and "step" in roles:
        resets = _restarts(numeric["step"][0])
        if resets:
            skipped.append(Skip("places where the step falls back to its first value (several runs in one file? "
                                "split them with --run COL)", resets))
    return TrainLog(path, fmt, roles, n, runs, skipped)


#: What the fast reader writes into an empty cell before numpy parses the file: a number no
#: training log holds, and short (a mostly empty column adds 5 characters a row), read back as
#: "missing".
MISSING = "-7e77"


def _fast_csv(text, path, given):
    """A plain numeric CSV (no quotes, no blank lines, no text cells) read by numpy.loadtxt's C
    parser, only the recognised columns; empty cells are first written as :data:`MISSING` (text
    replacement, C speed) and read back as missing.  None when the file is not that simple (the
    general reader then reads it and says what it skipped)."""
    import io

    if _first_char(text) in "{[" or '"' in text or "\r" in text or "\n\n" in text:
        return None
    end = text.find("\n")
    if end < 0:
        return None
    header = text[:end]
    delim = max(",\t;", key=header.count) if any(c in header for c in ",\t;") else ","
    names = [n.strip() for n in header.split(delim)]
    if len(set(names)) != len(names):
        return None
    roles = recognise(names, given, path)
    cols = [names.index(roles[r]) for r in roles]
    body, d = text[end + 1:], delim
    if len(names) > 1:  # each replacement only where such a cell exists (the scans run at C speed)
        if d + d in body:
            body = body.replace(d + d, d + MISSING + d).replace(d + d, d + MISSING + d)
        if "\n" + d in body:
            body = body.replace("\n" + d, "\n" + MISSING + d)
        if d + "\n" in body:
            body = body.replace(d + "\n", d + MISSING + "\n")
        body = (MISSING + body if body.startswith(d) else body)
        body = body + MISSING if body.endswith(d) else body
    sentinel = float(MISSING)
    if not body.strip():
        return None
    try:
        arr = np.loadtxt(io.StringIO(body), delimiter=delim, comments=None, usecols=cols, ndmin=2, dtype=float,
                         encoding=None)
    except ValueError:  # text cells, ragged rows: the general reader accounts for them
        return None
    if arr.shape[0] == 0:
        return None
    numeric = {}
    for j, role in enumerate(roles):
        v = np.ascontiguousarray(arr[:, j])
        present = v != sentinel
        numeric[role] = (np.where(present, v, np.nan), present)
    return roles, numeric, arr.shape[0]


def _restarts(step) -> int:
    s = step[np.isfinite(step)]
    if len(s) < 3:
        return 0
    return int(np.count_nonzero((s[1:] <= s[0]) & (s[:-1] > s[0])))


def _groups(cells, n):
    """(label, row indices) per distinct value of the run column, in order of first appearance."""
    order: dict = {}
    for i, c in enumerate(cells):
        key = "" if c is None else str(c).strip()
        order.setdefault(key, []).append(i)
    return [(k or "(empty)", np.asarray(v)) for k, v in order.items()]


def _series(label, idx, numeric, lines, has_step) -> Series:
    """One run: each column's (step, value) pairs where present, last value of a repeated step
    kept, sorted by step."""
    skipped = []
    if has_step:
        step, step_ok = numeric["step"]
        step = step[idx]
        ok = step_ok[idx] & np.isfinite(step)
        if not ok.all():
            first = int(np.arange(len(step_ok))[idx][np.flatnonzero(~ok)[0]])
            where = lines[first]
            skipped.append(Skip("rows without a numeric step", int((~ok).sum()),
                                f"line {where}" if isinstance(where, int) else where))
    else:
        rows = len(np.arange(len(next(iter(numeric.values()))[0]))[idx])
        step = np.arange(rows, dtype=float)
        ok = np.ones(rows, bool)

    def column(role):
        if role not in numeric:
            return np.empty(0), np.empty(0)
        values, present = numeric[role]
        v, p = values[idx], present[idx] & ok
        s, v = (step, v) if p.all() else (step[p], v[p])
        if len(s) and np.any(np.diff(s) <= 0):
            # keep the last of each repeated step: reverse, take the first of each unique, sort
            rev_s, rev_v = s[::-1], v[::-1]
            uniq, first = np.unique(rev_s, return_index=True)
            repeats = len(s) - len(uniq)
            if repeats:
                skipped.append(Skip(f"repeated steps in {role} (the last value of each kept)", repeats))
            s, v = uniq, rev_v[first]
        return s, v

    s, loss = column("loss")
    vs, val = column("val")
    ls, lr = column("lr")
    gs, g = column("grad_norm")
    fs, full = column("full")
    if len(s) > 2:
        d = np.diff(s)
        stride = float(np.median(d))
        gaps = d > 5 * stride
        if gaps.any():
            j = int(np.argmax(d))
            skipped.append(Skip(f"gaps in the steps (a jump of more than 5× the usual stride {stride:g})",
                                int(gaps.sum()), f"largest {s[j]:g} → {s[j + 1]:g}"))
    return Series(label, s, loss, vs, val, ls, lr, gs, g, step_logged=has_step, skipped=skipped, full_step=fs,
                  full=full)
