"""JSON Lines whose lines share one layout, read at numpy speed (issue 15), with the same result
as ``json.loads`` line by line.

The rules, one function each:

* the **layout** of a line is its text with the values taken out — ``{"step": `` ·
  ``, "loss": `` · … · ``}`` — when it is a flat object whose keys are unique and free of escapes
  and whose values are all JSON numbers (:func:`layout`); the file's is the commonest among its
  first lines (:func:`_commonest`);
* a line **matches** when it is exactly those pieces with a JSON number in each value's place:
  checked for every line at once on the bytes — as many quotes as the layout has, each piece
  compared 8 bytes at a time where its quotes are (:func:`_spans`), and each value run through
  the finite automaton of RFC 8259's ``number`` (:data:`_TRANS`, :func:`_run`), or one of
  json's ``NaN``, ``Infinity``, ``-Infinity``;
* a matching line's numbers are converted as ``float()`` converts them: ``m·10^e`` by one
  correctly rounded multiplication or division when ``m ≤ 2^53`` and ``|e| ≤ 22`` (Clinger's
  fast path: both operands are exact), or in extended precision for ``m < 10^18`` and
  ``|e| ≤ 27`` unless that lands on a float64 midpoint (:func:`_extended`), every other token by
  numpy's correctly rounded strtod (:func:`numbers`); an integer token is a Python ``int`` to
  json, so ``-0`` is ``0.0``;
* every other line is read by ``json.loads`` as the line-by-line reader reads it, and a column
  with such a line is built as a list of cells and converted by the same rule
  (``trainlog.to_numbers``) as before.

None (the general reader then reads the file) when no first line has a layout, a matching line
could be longer than ``trainlog.MAX_LINE``, the text has a line break other than ``\\n`` or
``\\r\\n`` (``str.splitlines`` would number the lines differently), or more than a quarter of the
lines do not match (json's own array decoding is then faster).  Memory: the bytes twice, and per
column a token matrix of the longest token's width.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

#: The longest value token read on the fast path, bytes (a line with a longer one is read by
#: json.loads: it bounds the work per token, and keeps huge integers — which float() refuses —
#: off this path).
MAX_TOKEN = 32
#: The layout is the commonest among this many first non-blank lines.
SAMPLE = 64
#: Fewer matching lines than this share of the non-blank ones: not worth it.
MIN_SHARE = 0.75

_KEY = r'"([^"\\\x00-\x1f]*)"'
_NUM = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_FIRST = re.compile(r"\{[ \t]*" + _KEY + r"[ \t]*:[ \t]*")
_NEXT = re.compile(r"[ \t]*,[ \t]*" + _KEY + r"[ \t]*:[ \t]*")
_VALUE = re.compile(_NUM + "|NaN|-?Infinity")
_END = re.compile(r"[ \t]*\}\Z")
#: What str.splitlines breaks a line at, besides \n (a matching line holds none of them: its
#: pieces are the layout's, its values numbers).
_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

# the automaton of a JSON number over byte classes; state 9 accepts, 10 rejects
_C_ZERO, _C_DIGIT, _C_MINUS, _C_PLUS, _C_DOT, _C_E, _C_END, _C_OTHER = range(8)
_CLASS = np.full(256, _C_OTHER, np.uint8)
_CLASS[ord("0")] = _C_ZERO
_CLASS[ord("1"): ord("9") + 1] = _C_DIGIT
_CLASS[ord("-")], _CLASS[ord("+")], _CLASS[ord(".")] = _C_MINUS, _C_PLUS, _C_DOT
_CLASS[ord("e")] = _CLASS[ord("E")] = _C_E
_CLASS[0] = _C_END  # the padding past a token's end (a NUL inside a line is refused before)
_RULES = {  # state: {class: next state}; anything else rejects
    0: {_C_ZERO: 2, _C_DIGIT: 3, _C_MINUS: 1},  # start
    1: {_C_ZERO: 2, _C_DIGIT: 3},  # after the sign
    2: {_C_DOT: 4, _C_E: 6, _C_END: 9},  # a leading 0: nothing but . or e may follow
    3: {_C_ZERO: 3, _C_DIGIT: 3, _C_DOT: 4, _C_E: 6, _C_END: 9},  # integer digits
    4: {_C_ZERO: 5, _C_DIGIT: 5},  # after the point: a digit is needed
    5: {_C_ZERO: 5, _C_DIGIT: 5, _C_E: 6, _C_END: 9},  # fraction digits
    6: {_C_ZERO: 8, _C_DIGIT: 8, _C_PLUS: 7, _C_MINUS: 7},  # after e
    7: {_C_ZERO: 8, _C_DIGIT: 8},  # after the exponent's sign
    8: {_C_ZERO: 8, _C_DIGIT: 8, _C_END: 9},  # exponent digits
    9: {_C_END: 9},
}
_ACCEPT, _REJECT = 9, 10
_TRANS = np.full(11 * 8, _REJECT, np.uint8)
for _s, _row in _RULES.items():
    for _c, _t in _row.items():
        _TRANS[_s * 8 + _c] = _t
_MASKS = np.array([(1 << 8 * j) - 1 for j in range(9)], np.uint64)  # the first j bytes of 8 (little-endian)
_POW10 = 10.0 ** np.arange(23)  # exact up to 10^22
_SPECIAL = {b"NaN": float("nan"), b"Infinity": float("inf"), b"-Infinity": float("-inf")}


def _extended(m, e10):
    """(m·10^e10 rounded to float64, whether that is float()'s value) for mantissas past 2^53:
    one correctly rounded operation in extended precision (m and 10^k for k ≤ 27 are exact there),
    then the rounding to float64; the two roundings agree with one except when the first lands
    exactly on a midpoint between two float64s, which is then left to strtod."""
    ml = m.astype(np.longdouble)
    p = _POW10L.take(np.abs(e10))
    r = np.where(e10 >= 0, ml * p, ml / p)
    d = r.astype(np.float64)
    dl = d.astype(np.longdouble)
    beside = np.nextafter(d, np.where(r > dl, np.inf, -np.inf)).astype(np.longdouble)
    return d, (r == dl) | (r != (dl + beside) / 2)


def _exact_powers():
    """10^0 … 10^27 in extended precision (5^27 < 2^64: exact), or None where numpy's longdouble
    is float64 (the extended path is then not taken)."""
    if np.finfo(np.longdouble).nmant < 63:
        return None
    out = [np.longdouble(1)]
    for _ in range(27):
        out.append(out[-1] * np.longdouble(10))
    return np.array(out, dtype=np.longdouble)


_POW10L = _exact_powers()


@dataclass
class Layout:
    """The pieces of a line around its values: ``heads[i]`` before value i (its key between the
    quotes at ``quote[i]``), ``tail`` after the last."""

    keys: list
    heads: list  # bytes
    tail: bytes
    quote: list  # offset of the opening quote of key i in heads[i]


def layout(line: str) -> Layout | None:
    """The layout of ``line`` (see the module docstring), or None."""
    m = _FIRST.match(line)
    keys, heads, quote, pos = [], [], [], 0
    while m:
        keys.append(m.group(1))
        heads.append(line[pos:m.end()].encode())
        quote.append(len(line[pos:m.start(1)].encode()) - 1)
        v = _VALUE.match(line, m.end())
        if not v:
            return None
        pos = v.end()
        m = _NEXT.match(line, pos)
    if not keys or len(set(keys)) != len(keys) or not _END.match(line, pos):
        return None
    try:
        rec = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(rec, dict) or list(rec) != keys:
        return None
    return Layout(keys, heads, line[pos:].encode(), quote)


class _Bytes:
    """The text's bytes, and every 8-byte window of them as one uint64 (unaligned, no copy)."""

    def __init__(self, raw: bytes):
        self.n = len(raw)
        self.padded = raw + b"\0" * (MAX_TOKEN + 16)
        self.u8 = np.frombuffer(self.padded, np.uint8)
        self.u64 = np.ndarray((len(self.padded) - 7,), np.uint64, self.padded, 0, (1,))

    def equal(self, at, piece: bytes) -> np.ndarray:
        """Whether the bytes at each position of ``at`` are ``piece``."""
        ok = np.ones(len(at), bool)
        at = np.clip(at, 0, self.n)
        for c in range(0, len(piece), 8):
            chunk = piece[c:c + 8]
            want = np.frombuffer(chunk.ljust(8, b"\0"), np.uint64)[0]
            mask = np.frombuffer((b"\xff" * len(chunk)).ljust(8, b"\0"), np.uint64)[0]
            ok &= (self.u64[at + c] & mask) == want
        return ok

    def tokens(self, start, length, width: int) -> np.ndarray:
        """The bytes of each token as a (width, tokens) matrix, 0 past the token's end: 8 bytes
        a gather, masked by the token's length."""
        chunks = []
        for c in range(0, width, 8):
            mask = _MASKS[np.clip(length - c, 0, 8)]
            word = self.u64[start + c] & mask
            if np.little_endian is False:  # the mask's low bits are the first bytes only on little-endian
                word = self.u64[start + c].byteswap() & mask
                word = word.byteswap()
            chunks.append(word)
        if not chunks:
            return np.zeros((0, len(start)), np.uint8)
        words = np.stack(chunks, 1) if len(chunks) > 1 else chunks[0][:, None]
        return np.ascontiguousarray(words.view(np.uint8).reshape(len(start), -1)[:, :width].T)


def _spans(b: _Bytes, lay: Layout, starts, ends, q):
    """(ok, value starts, value lengths) of lines [starts, ends): ok where the pieces are the
    layout's (the values not yet checked)."""
    k = len(lay.keys)
    fq = np.searchsorted(q, starts)  # the first quote at or after each line's start
    ok = np.diff(fq, append=len(q)) == 2 * k  # quotes per line (no quote is a newline)
    fq = np.where(ok, fq, 0)
    vs, ve = [], []
    for i, head in enumerate(lay.heads):
        a = q.take(np.minimum(fq + 2 * i, len(q) - 1)) if len(q) else np.zeros(len(starts), np.int64)
        hs = a - lay.quote[i]
        if i == 0:
            ok &= hs == starts
        else:
            ve.append(hs)
        ok &= b.equal(hs, head)
        vs.append(hs + len(head))
    ve.append(ends - len(lay.tail))
    ok &= b.equal(ve[-1], lay.tail)
    ln = [e - v for v, e in zip(vs, ve)]
    for x in ln:
        ok &= (x >= 1) & (x <= MAX_TOKEN)
    return ok, vs, ln


def _run(mat):
    """The automaton over the tokens (columns of ``mat``, 0 past the end): (its state after each
    byte, a matrix like ``mat``; its final state, ``_ACCEPT`` for a number)."""
    states = np.empty_like(mat)
    state = np.zeros(mat.shape[1], np.uint8)
    for j, row in enumerate(mat):
        state = states[j] = _TRANS.take(state * 8 + _CLASS.take(row))
    return states, _TRANS.take(state * 8 + _C_END)


def _special(b: _Bytes, start, length) -> np.ndarray:
    """(values, not special) of tokens that may be json's NaN, Infinity or -Infinity."""
    out = np.full(len(start), np.nan)
    bad = np.ones(len(start), bool)
    for word, value in _SPECIAL.items():
        hit = (length == len(word)) & b.equal(start, word)
        out[hit], bad[hit] = value, False
    return out, bad


def numbers(mat, length, states, state):
    """(values, integer) of number tokens (``mat`` as from :meth:`_Bytes.tokens`, ``states`` and
    ``state`` the automaton's from :func:`_run`): each accepted token's value as float() has it,
    and whether json reads it as an int."""
    width, n = mat.shape
    accepted = state == _ACCEPT
    nf = (states == 5).sum(0)  # digits after the point
    expo = (states >= 6) & (states <= 8)  # the exponent: e, its sign, its digits
    has_e = expo.any(0) & accepted
    body = np.where(expo, 0, mat) if has_e.any() else mat
    m = np.zeros(n, np.int64)
    digit = body - np.uint8(48)  # a digit's value; other bytes wrap to 10 or more
    isdigit = digit < 10
    mul = np.where(isdigit, np.uint8(10), np.uint8(1))
    add = np.where(isdigit, digit, np.uint8(0))
    for j in range(width):  # Horner over the mantissa's digits (exact below 10^18)
        np.multiply(m, mul[j], out=m)
        np.add(m, add[j], out=m)
    e10 = -nf
    short = np.ones(n, bool)  # the exponent has at most 4 digits
    at = np.flatnonzero(has_e)
    if len(at):  # the exponent's value: its digits, and its sign
        sub = np.where(states[:, at] == 8, mat[:, at], 0)
        ex = np.zeros(len(at), np.int64)
        for row in sub.astype(np.int64):
            ex = np.where(row > 0, ex * 10 + row - 48, ex)
        neg = ((mat[:, at] == 45) & (states[:, at] == 7)).any(0)
        e10[at] += np.where(neg, -ex, ex)
        short[at] = (states[:, at] == 8).sum(0) <= 4
    exact = accepted & short & (isdigit.sum(0) <= 18)  # m is the mantissa, exactly (below 10^18)
    fast = exact & (m <= 2**53) & (np.abs(e10) <= 22)
    mf = m.astype(float)
    v = np.where(e10 >= 0, mf * _POW10.take(np.clip(e10, 0, 22)), mf / _POW10.take(np.clip(-e10, 0, 22)))
    wide = np.flatnonzero(exact & ~fast & (np.abs(e10) < len(_POW10L))) if _POW10L is not None else []
    if len(wide):
        v[wide], done = _extended(m[wide], e10[wide])
        fast[wide[done]] = True
    v = np.where(mat[0] == 45, -v, v)
    slow = np.flatnonzero(accepted & ~fast)
    if len(slow):  # numpy's strtod is correctly rounded, as float() is
        rows = np.where(mat[:, slow] == 0, 32, mat[:, slow]).T
        text = np.concatenate([rows, np.full((len(slow), 1), 32, np.uint8)], 1).tobytes()
        v[slow] = np.fromstring(text, sep=" ")
    integer = accepted & (nf == 0) & ~has_e
    return np.where(integer, v + 0.0, v), integer  # json reads an integer as int: -0 is 0


class Lines:
    """What :func:`read` found: ``rows`` (line numbers of the object lines, in order), ``names``
    (keys in order of first appearance), the lines that are not JSON objects (``bad``, first at
    ``bad_first``); and, as a table's cells, each column by name (see :meth:`numbers`)."""

    def __init__(self, names, rows, bad, bad_first, build, match, other, ints):
        self.names, self.rows, self.bad, self.bad_first = names, rows, bad, bad_first
        self._build, self._values = build, {}
        self._match, self._other, self._ints = match, other, ints

    def __contains__(self, name) -> bool:
        return name in self.names

    def _column(self, name):
        if name not in self._values:
            self._values[name] = self._build[name]()
        return self._values[name]

    def numbers(self, name):
        """(values, present, text skip) of column ``name``: the matching rows' numbers as they
        are when every row matched, else the cells converted by ``trainlog.to_numbers``."""
        if not self._other and name in self._build:
            v, _ = self._column(name)
            return v, np.ones(len(v), bool), None
        from .trainlog import to_numbers

        return to_numbers(self[name], name, self.rows)

    def __getitem__(self, name) -> list:
        """The column's cells as the json reader has them: numbers (an integer token as an int),
        the other rows' cells, None where a row has no such key."""
        from .trainlog import _json_cell

        if name not in self.names:
            raise KeyError(name)
        out = [None] * len(self.rows)
        if name in self._build:
            v, integer = self._column(name)
            cells = np.array(v.tolist() + [None], dtype=object)[:-1]
            at = np.flatnonzero(integer)
            cells[at] = self._ints(name, at)
            out = np.full(len(self.rows), None, dtype=object)
            out[self._match] = cells
            out = out.tolist()
        for r, rec in self._other:
            out[r] = _json_cell(rec.get(name))
        return out


def read(text: str):
    """The text's rows as :class:`Lines`, or None (see the module docstring)."""
    raw = text.encode("utf-8")
    if b"\r" in raw:
        if raw.count(b"\r") != raw.count(b"\r\n"):
            return None
        raw = raw.replace(b"\r\n", b"\n")
    b = _Bytes(raw)
    raw = b.padded  # the same bytes up to b.n (one copy kept, not two)
    u8 = b.u8[:b.n]
    nl = np.flatnonzero(u8 == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [b.n]))
    if b.n and raw[b.n - 1] == 10:  # str.splitlines: no empty line after a final newline
        starts, ends = starts[:-1], ends[:-1]
    blank = ends == starts
    lay = _commonest(raw, starts, ends, blank)
    if lay is None or sum(map(len, lay.heads)) + len(lay.tail) + len(lay.keys) * MAX_TOKEN > _max_line():
        # (a matching line is never longer than the line-by-line reader reads)
        return None
    q = np.flatnonzero(u8 == 34)
    ok, vs, ln = _spans(b, lay, starts, ends, q)
    values_at, tokens = {}, {}
    for i in range(len(lay.keys)):  # every value must be a number for the line to match
        idx = np.flatnonzero(ok)
        length = ln[i].take(idx)
        mat = b.tokens(vs[i].take(idx), length, int(length.max()) if len(idx) else 0)
        states, state = _run(mat)
        reject = state != _ACCEPT
        if reject.any():
            r = np.flatnonzero(reject)
            special, notspecial = _special(b, vs[i].take(idx[r]), length[r])
            ok[idx[r[notspecial]]] = False
            values_at[i] = (idx[r[~notspecial]], special[~notspecial])
        # kept for the columns doctor is likely to read; the others' are built again if asked for
        tokens[i] = (idx, mat, length, states, state) if _likely(lay.keys[i]) else (idx, None, length, None, None)
    nonblank = int(np.count_nonzero(~blank))
    if np.count_nonzero(ok) < MIN_SHARE * nonblank:
        return None
    return _assemble(raw, b, lay, starts, ends, blank, ok, vs, ln, values_at, tokens)


def _commonest(raw, starts, ends, blank) -> Layout | None:
    """The layout most of the first :data:`SAMPLE` non-blank lines have (the earliest of equals):
    a log whose first line also carries a metric logged every n-th step (a validation loss) is
    read by the layout of the lines between."""
    counts: dict = {}
    for i in np.flatnonzero(~blank[: 4 * SAMPLE])[:SAMPLE].tolist():
        try:
            line = raw[starts[i]:ends[i]].decode("utf-8")
        except UnicodeDecodeError:  # cannot happen: the text was decoded from UTF-8
            continue
        lay = None if _BREAKS.search(line) else layout(line)
        if lay is not None:
            key = (tuple(lay.heads), lay.tail)
            counts.setdefault(key, [0, lay])[0] += 1
    if not counts:
        return None
    return max(counts.values(), key=lambda c: c[0])[1]  # max keeps the first of equals


def _max_line() -> int:
    from .trainlog import MAX_LINE

    return MAX_LINE


def _likely(key: str) -> bool:
    """Whether doctor is likely to read column ``key`` (a name of trainlog.ROLES, an lr-… column,
    a W&B chart export's "<run> - <metric>")."""
    from .trainlog import ROLES, normalise

    k = normalise(key)
    return any(k in names for names in ROLES.values()) or k.startswith("lr_") or " - " in key


def _assemble(raw, b, lay, starts, ends, blank, ok, vs, ln, values_at, tokens):
    from .trainlog import json_object

    match_lines = np.flatnonzero(ok)
    others = np.flatnonzero(~ok & ~blank)
    records, bad, bad_first = [], 0, None
    for i in others.tolist():
        s = raw[starts[i]:ends[i]].decode("utf-8")
        if _BREAKS.search(s):
            return None  # str.splitlines would number the lines differently
        s = s.strip()
        if not s:
            continue
        rec = json_object(s)
        if rec is None:
            bad += 1
            bad_first = bad_first or f"line {i + 1}"
            continue
        records.append((i, rec))
    # rows in line order: the matching lines and the other object lines
    good_other = np.array([i for i, _ in records], dtype=np.int64)
    row_lines = np.sort(np.concatenate([match_lines, good_other])) if len(good_other) else match_lines
    rows = (range(1, len(row_lines) + 1) if len(row_lines) == len(starts) else (row_lines + 1).tolist())
    match_rows = np.arange(len(match_lines)) if not len(good_other) else np.searchsorted(row_lines, match_lines)
    other = [(int(r), rec) for r, (_, rec) in zip(np.searchsorted(row_lines, good_other).tolist(), records)]
    # names in order of first appearance
    seen: dict = {}
    first_match = int(match_lines[0]) if len(match_lines) else None
    placed = first_match is None
    for i, rec in records:
        if not placed and i > first_match:
            seen.update(dict.fromkeys(k for k in lay.keys if k not in seen))
            placed = True
        for k in rec:
            if k not in seen:
                seen[k] = None
    if not placed:
        seen.update(dict.fromkeys(k for k in lay.keys if k not in seen))
    build = {}
    for i, key in enumerate(lay.keys):
        def column(i=i):
            idx, mat, length, states, state = tokens.pop(i)
            if mat is None:
                mat = b.tokens(vs[i].take(idx), length, int(length.max()) if len(idx) else 0)
                states, state = _run(mat)
            keep = ok.take(idx)
            if not keep.all():  # a later value of the line was no number
                idx, mat, length, states, state = idx[keep], mat[:, keep], length[keep], states[:, keep], state[keep]
            v, integer = numbers(mat, length, states, state)
            if i in values_at:  # NaN, Infinity, -Infinity
                at, special = values_at[i]
                keep = ok.take(at)
                v[np.searchsorted(idx, at[keep])] = special[keep]
            return v, integer
        build[key] = column

    def ints(name, at):
        i = lay.keys.index(name)
        lines = match_lines[at].tolist()
        return [int(raw[vs[i][j]: vs[i][j] + ln[i][j]]) for j in lines]

    return Lines(list(seen), rows, bad, bad_first, build, match_rows, other, ints)
