"""The JSON Lines layout reader (gdx.jsonl_layout: lines that share the first line's layout, read
with numpy) against the line-by-line reader (``json.loads`` of each line, as before): the same
columns, rows, skip account, values bit for bit, and the same errors, on tricky files.  Numbers
are checked against Python's ``float()`` of the token."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gdx.trainlog as trainlog
from gdx import jsonl_layout
from gdx.errors import GdxError

ROLES = ("step", "loss", "val", "lr", "grad_norm", "full")


def _read(path, monkeypatch, how, **kw):
    with monkeypatch.context() as m:
        if how != "layout":
            m.setattr(trainlog, "_jsonl_layout", lambda text: None)
        if how == "per-line":
            m.setattr(trainlog, "_jsonl_whole", lambda text: None)
        try:
            return trainlog.read_log(path, **kw)
        except GdxError as exc:
            return f"error: {exc}"


def _names(path, monkeypatch, how):
    """The table's column names (their order decides which of two spellings a role takes)."""
    with monkeypatch.context() as m:
        if how != "layout":
            m.setattr(trainlog, "_jsonl_layout", lambda text: None)
        if how == "per-line":
            m.setattr(trainlog, "_jsonl_whole", lambda text: None)
        try:
            table = trainlog.parse(trainlog.read_text(path), str(path))
        except GdxError as exc:
            return f"error: {exc}"
        return table.names, list(table.lines)


def _summary(log):
    if isinstance(log, str):
        return log
    runs = []
    for r in log.runs:
        arrays = {a: getattr(r, a) for a in ("step", "loss", "val_step", "val", "lr_step", "lr", "grad_step",
                                             "grad_norm", "full_step", "full")}
        runs.append((r.name, [k.to_dict() for k in r.skipped],
                     {a: (v.dtype.str, v.tobytes()) for a, v in arrays.items()}))  # bit for bit: -0, NaN
    return (log.format, log.columns, log.rows, [k.to_dict() for k in log.skipped], runs)


def agree(tmp_path, monkeypatch, text, name="m.jsonl", fast=True, **kw):
    """Read ``text`` by the layout reader and by the line-by-line reader: the same result.
    ``fast``: the layout reader must have taken the file (else the comparison tests nothing), or
    declined it (False), or either (None)."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    decoded = trainlog.read_text(path)
    took = jsonl_layout.read(decoded) is not None
    if fast is not None:
        assert took == fast, "the layout reader took the file" if took else "the layout reader declined the file"
    a = _read(path, monkeypatch, "layout", **kw)
    b = _read(path, monkeypatch, "per-line", **kw)
    c = _read(path, monkeypatch, "array", **kw)
    assert _summary(a) == _summary(b) == _summary(c)
    assert _names(path, monkeypatch, "layout") == _names(path, monkeypatch, "per-line")
    return a


def rows_text(n=200, seed=0, end="\n", fmt=json.dumps):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        out.append(fmt({"step": i, "loss": float(2 * np.exp(-i / 50) + 0.05 * rng.random()),
                        "lr": 0.1 if i < n // 2 else 0.01, "grad_norm": round(float(rng.random()), 4)}) + end)
    return out


def _scanned(toks):
    """Number tokens, one per line, through the layout reader's scanner: (token matrix, lengths,
    automaton states, final state)."""
    raw = ("\n".join(toks) + "\n").encode()
    b = jsonl_layout._Bytes(raw)
    nl = np.flatnonzero(b.u8[:b.n] == 10)
    start = np.concatenate(([0], nl[:-1] + 1))
    length = nl - start
    mat = b.tokens(start, length, int(length.max()))
    states, state = jsonl_layout._run(mat)
    return mat, length, states, state


def test_a_plain_log_is_read_by_the_layout_reader_with_the_same_result(tmp_path, monkeypatch):
    log = agree(tmp_path, monkeypatch, "".join(rows_text()))
    assert log.rows == 200 and log.columns == {"step": "step", "loss": "loss", "lr": "lr", "grad_norm": "grad_norm"}


@pytest.mark.parametrize("case", [
    "keys in another order", "a key missing", "an extra key", "nested values", "escaped quotes and commas",
    "NaN and Infinity", "a null", "a text cell", "a bool", "a numeric string", "duplicate keys",
    "a truncated last line", "a truncated middle line", "blank and whitespace lines", "trailing spaces",
    "other spacing", "not an object", "an array line",
])
def test_lines_that_differ_from_the_layout_are_read_as_json_reads_them(tmp_path, monkeypatch, case):
    lines = rows_text()
    j = 37
    change = {
        "keys in another order": '{"loss": 0.5, "step": 37, "lr": 0.1, "grad_norm": 0.3}\n',
        "a key missing": '{"step": 37, "lr": 0.1, "grad_norm": 0.3}\n',
        "an extra key": '{"step": 37, "loss": 0.5, "lr": 0.1, "grad_norm": 0.3, "val_loss": 0.7}\n',
        "nested values": '{"step": 37, "loss": {"a": [1, 2]}, "lr": [0.1], "grad_norm": 0.3}\n',
        "escaped quotes and commas": '{"step": 37, "loss": "a \\"b\\", \\"loss\\": 3", "lr": 0.1, "grad_norm": 0.3}\n',
        "NaN and Infinity": '{"step": 37, "loss": NaN, "lr": Infinity, "grad_norm": -Infinity}\n',
        "a null": '{"step": 37, "loss": null, "lr": 0.1, "grad_norm": 0.3}\n',
        "a text cell": '{"step": 37, "loss": "oops", "lr": 0.1, "grad_norm": 0.3}\n',
        "a bool": '{"step": 37, "loss": true, "lr": 0.1, "grad_norm": 0.3}\n',
        "a numeric string": '{"step": 37, "loss": "0.25", "lr": " 1e-3 ", "grad_norm": 0.3}\n',
        "duplicate keys": '{"step": 37, "loss": 0.5, "loss": 0.25, "lr": 0.1, "grad_norm": 0.3}\n',
        "a truncated last line": None,
        "a truncated middle line": '{"step": 37, "loss": 0.5, "lr": 0.1, "grad_n\n',
        "blank and whitespace lines": "\n  \t \n" + lines[j],
        "trailing spaces": lines[j].rstrip("\n") + "   \n",
        "other spacing": '{"step":37,"loss":0.5,"lr":0.1,"grad_norm":0.3}\n',
        "not an object": "42\n",
        "an array line": "[1, 2, 3]\n",
    }[case]
    if change is None:
        lines[-1] = lines[-1][:20]
    else:
        lines[j] = change
        lines[150] = change  # twice, so the counts and "first at" are tested
    log = agree(tmp_path, monkeypatch, "".join(lines))
    assert isinstance(log, trainlog.TrainLog)


@pytest.mark.parametrize("token", [
    "0", "-0", "-0.0", "0.0", "1", "-1", "12", "0.1", "1.5e3", "1E-5", "1e+2", "2.5E+308", "1e400", "-1e400",
    "1e-400", "5e-324", "2.2250738585072011e-308", "9007199254740992", "9007199254740993", "90071992547409921",
    "0.30000001192092896", "123456789012345678901234567", "1.7976931348623157e308", "1e22", "1e23", "3e-22",
    "3e-23", "0.000001", "1.00000000000000000001", "123456789012.5e-10",
    # not JSON numbers: the line is not JSON, and is skipped as the line-by-line reader skips it
    "01", ".5", "1.", "+1", "1e", "1e+", "--1", "1.2.3", "0x10", "nan", "inf", "-NaN", "1_000", "١",
    "1" * 40,
])
def test_every_number_token_is_read_as_json_and_float_read_it(tmp_path, monkeypatch, token):
    lines = rows_text(60)
    for j in (5, 41):
        lines[j] = f'{{"step": {j}, "loss": {token}, "lr": 0.1, "grad_norm": {token}}}\n'
    log = agree(tmp_path, monkeypatch, "".join(lines))
    try:
        value = json.loads(token)
    except ValueError:
        assert any("not a JSON object" in k.reason for k in log.skipped)
        return
    if isinstance(value, int) and abs(value) > 1e300:
        return
    got = log.runs[0].grad_norm[log.runs[0].grad_step == 5]
    assert got.tobytes() == np.array([float(value)]).tobytes()


def test_numbers_agree_with_float_on_random_tokens():
    """:func:`jsonl_layout.numbers` (Clinger's fast path, numpy's strtod for the rest) on 20,000
    random JSON number tokens against Python's float() (json's int() then float() for integers)."""
    rng = np.random.default_rng(7)
    toks = []
    for _ in range(20000):
        digits = "".join(map(str, rng.integers(0, 10, int(rng.integers(1, 20)))))
        digits = digits.lstrip("0") or "0"
        t = digits
        r = rng.random()
        if r < 0.5:
            t = digits[:1] + "." + (digits[1:] or "0")
        if rng.random() < 0.4:
            t += rng.choice(["e", "E"]) + rng.choice(["", "+", "-"]) + str(int(rng.integers(0, 40)))
        toks.append(("-" if rng.random() < 0.3 else "") + t)
    mat, length, states, state = _scanned(toks)
    assert (state == jsonl_layout._ACCEPT).all()
    values, integer = jsonl_layout.numbers(mat, length, states, state)
    want = np.array([float(json.loads(t)) for t in toks])
    assert values.tobytes() == want.tobytes()
    assert integer.tolist() == [isinstance(json.loads(t), int) for t in toks]


@pytest.mark.parametrize("case", ["crlf", "bom", "unicode keys", "unicode in a text cell", "lone cr",
                                  "vertical tab", "line separator", "no final newline", "one line",
                                  "first line differs", "a very long line", "control character"])
def test_files_with_tricky_bytes_agree(tmp_path, monkeypatch, case):
    lines = rows_text(80)
    fast = True
    if case == "crlf":
        text = "".join(line.replace("\n", "\r\n") for line in lines)
    elif case == "bom":
        text = "\ufeff" + "".join(lines)
    elif case == "unicode keys":
        text = "".join(json.dumps({"stép": i, "loss": 1.0 / (i + 1), "学习率": 0.1}, ensure_ascii=False) + "\n"
                       for i in range(80))
        text = text.replace('{"stép": 5,', '{"step": 5,').replace('{"stép": 7,', '{"step": 7,')  # keys differ
    elif case == "unicode in a text cell":
        lines[9] = '{"step": 9, "loss": "ünï\u2028cödé", "lr": 0.1, "grad_norm": 0.3}\n'
        text = "".join(lines)
        fast = False  # U+2028 breaks a line for str.splitlines: not read by the layout
    elif case == "lone cr":
        lines[9] = lines[9].replace(", ", ",\r ", 1)
        text, fast = "".join(lines), False
    elif case == "vertical tab":
        lines[9] = lines[9].replace(", ", ",\x0b ", 1)
        text, fast = "".join(lines), False
    elif case == "line separator":
        lines[9] = lines[9].replace(", ", ",\u2028 ", 1)
        text, fast = "".join(lines), False
    elif case == "no final newline":
        text = "".join(lines).rstrip("\n")
    elif case == "one line":
        text = lines[0]
    elif case == "first line differs":
        lines[0] = '{"step": 0, "loss": 2.0, "note": "start"}\n'  # the layout is the next lines'
        text = "".join(lines)
    elif case == "a very long line":
        lines[9] = json.dumps({"step": 9, "loss": 0.5, "blob": "x" * (trainlog.MAX_LINE + 10)}) + "\n"
        text = "".join(lines)
    elif case == "control character":
        lines[9] = lines[9].replace(", ", ",\x01 ", 1)
        text = "".join(lines)
    agree(tmp_path, monkeypatch, text, fast=fast)


def test_most_lines_not_matching_leave_the_file_to_the_json_reader(tmp_path, monkeypatch):
    lines = rows_text(100)
    for j in range(1, 100, 2):
        lines[j] = json.dumps({"step": j, "val_loss": 0.5}) + "\n"
    agree(tmp_path, monkeypatch, "".join(lines), fast=False)
    for j in range(10, 100, 10):  # one line in ten: the layout reader takes it
        lines[j - 1] = rows_text(100)[j - 1]
    text = "".join(rows_text(100)[:90]) + "".join(json.dumps({"step": j, "val_loss": 0.5}) + "\n"
                                                  for j in range(10))
    agree(tmp_path, monkeypatch, text)


def test_errors_are_the_same(tmp_path, monkeypatch):
    """A file whose lines are mostly not objects, and one with no loss column."""
    lines = rows_text(10)
    text = "".join(lines) + "".join('{"step": 3, "lo\n' for _ in range(11))
    log = agree(tmp_path, monkeypatch, text, fast=False)
    assert log.startswith("error:") and "most lines are not JSON objects" in log
    text = "".join(json.dumps({"step": i, "objective": 1.0 / (i + 1)}) + "\n" for i in range(50))
    log = agree(tmp_path, monkeypatch, text)
    assert log.startswith("error:") and "has no loss column" in log


def test_split_by_run_with_integer_and_float_labels(tmp_path, monkeypatch):
    """--run labels come from the cells as json has them: 3 is "3", 3.0 is "3.0"."""
    text = "".join(json.dumps({"run": (i // 50) if i < 100 else 2.0, "step": i % 50, "loss": 1.0 / (1 + i % 50)})
                   + "\n" for i in range(150))
    log = agree(tmp_path, monkeypatch, text, run="run")
    assert [r.name for r in log.runs] == ["0", "1", "2.0"]


def test_named_columns_and_a_fuzzed_log_agree(tmp_path, monkeypatch):
    """A seeded fuzz: lines of a log mutated (a byte changed, dropped or doubled) agree."""
    rng = np.random.default_rng(11)
    base = rows_text(120)
    for trial in range(12):
        lines = list(base)
        for j in rng.choice(len(lines), 6, replace=False).tolist():
            s = lines[j].rstrip("\n")
            p = int(rng.integers(0, len(s)))
            op = rng.integers(0, 3)
            ch = chr(int(rng.choice([ord(c) for c in '0123456789-+.eE,:"{} aN\\'])))
            s = s[:p] + ch + s[p + 1:] if op == 0 else (s[:p] + s[p + 1:] if op == 1 else s[:p] + ch + s[p:])
            lines[j] = s + "\n"
        agree(tmp_path, monkeypatch, "".join(lines), name=f"f{trial}.jsonl", fast=None if trial == 8 else True)
    agree(tmp_path, monkeypatch, "".join(base), columns={"loss": "grad_norm", "step": "lr"})


def test_a_column_doctor_does_not_expect_is_built_when_named(tmp_path, monkeypatch):
    text = "".join(json.dumps({"t": i, "objective": 1.0 / (i + 1), "note": -0.0 if i % 7 else 1e-7}) + "\n"
                   for i in range(90))
    log = agree(tmp_path, monkeypatch, text, columns={"step": "t", "loss": "objective", "val": "note"})
    assert log.columns == {"step": "t", "loss": "objective", "val": "note"} and len(log.runs[0].val) == 90


def test_lines_longer_than_the_line_reader_reads_are_left_to_it(tmp_path, monkeypatch):
    """MAX_LINE bounds a line for both readers: a layout whose lines could be longer is declined."""
    monkeypatch.setattr(trainlog, "MAX_LINE", 100)
    text = "".join(rows_text(50))
    agree(tmp_path, monkeypatch, text, fast=False)
    monkeypatch.setattr(trainlog, "MAX_LINE", 300)
    agree(tmp_path, monkeypatch, text)


@pytest.mark.parametrize("seed", range(6))
def test_random_layouts_agree(tmp_path, monkeypatch, seed):
    """Logs of random layouts (keys, their order, compact or spaced separators, ints, floats of
    every length, exponents, NaN/Infinity), some lines with a missing, extra or reordered key."""
    rng = np.random.default_rng(100 + seed)
    keys = list(rng.permutation(["step", "loss", "val_loss", "lr", "grad_norm", "epoch", "acc"]))[:int(rng.integers(2, 7))]
    if "loss" not in keys:
        keys[0] = "loss"
    seps = [(",", ":"), (", ", ": "), (" , ", " : ")][seed % 3]

    def value():
        r = rng.random()
        if r < 0.3:
            return int(rng.integers(-10**6, 10**6))
        if r < 0.35:
            return float(rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0]))
        x = float(rng.standard_normal() * 10.0 ** int(rng.integers(-30, 30)))
        return x if r < 0.6 else float(f"{x:.{int(rng.integers(1, 8))}g}")  # short: Clinger's path

    lines = []
    for i in range(300):
        rec = {k: (i if k == "step" else value()) for k in keys}
        r = rng.random() if i else 1.0  # the first line sets the layout
        if r < 0.03:
            rec.pop(keys[-1])
        elif r < 0.06:
            rec["extra"] = value()
        elif r < 0.08:
            rec = dict(reversed(list(rec.items())))
        line = json.dumps(rec, separators=seps)
        if rng.random() < 0.01 and i:
            line = repr(round(value(), 3)) + line  # garbage in front
        lines.append(line + "\n")
    if seed % 2:
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    agree(tmp_path, monkeypatch, "".join(lines))


def test_a_first_line_with_a_sparse_metric_leaves_the_layout_to_the_lines_after_it(tmp_path, monkeypatch):
    """val_loss every 10 steps, the first line among them: the layout is the commonest (no val)."""
    text = "".join(json.dumps({"step": i, "loss": 1.0 / (i + 1), **({"val_loss": 2.0 / (i + 1)} if i % 10 == 0 else {})})
                   + "\n" for i in range(400))
    log = agree(tmp_path, monkeypatch, text)
    assert log.columns == {"step": "step", "loss": "loss", "val": "val_loss"} and len(log.runs[0].val) == 40
    lay = jsonl_layout.read(text)
    assert lay.names == ["step", "loss", "val_loss"] and len(lay._other) == 40


def test_long_mantissas_agree_with_float_through_extended_precision(monkeypatch):
    """16–18 digit mantissas (json.dumps of a computed float writes 17) with small exponents: in
    extended precision when that is exact, by strtod when its rounding lands on a float64
    midpoint; 100,000 random tokens against float()."""
    rng = np.random.default_rng(3)
    n = 100_000
    lead = rng.integers(1, 10, n)
    rest = rng.integers(0, 10**15, n, dtype=np.int64)
    digits = [f"{a}{b:015d}{c}" for a, b, c in zip(lead.tolist(), rest.tolist(), rng.integers(0, 100, n).tolist())]
    point = rng.integers(1, 17, n).tolist()
    toks = [d[:p] + "." + d[p:] if i % 3 else d[:p] + "." + d[p:] + f"e{e}"
            for i, (d, p, e) in enumerate(zip(digits, point, rng.integers(-9, 9, n).tolist()))]
    calls = []
    real = jsonl_layout._extended
    monkeypatch.setattr(jsonl_layout, "_extended", lambda m, e: calls.append(len(m)) or real(m, e))
    mat, length, states, state = _scanned(toks)
    values, _ = jsonl_layout.numbers(mat, length, states, state)
    want = np.array([float(t) for t in toks])
    assert values.tobytes() == want.tobytes()
    if jsonl_layout._POW10L is not None:
        assert sum(calls) > n // 2  # the extended path was taken for most
