"""The compiled cache: what the symbolic work of a function produced, kept between runs.

The rule:

* **key** — SHA-256 of gdx's version and :func:`gdx.parse.tree_key` (the checked syntax tree
  in a canonical dump, plus ``--vars``; the entry records the variable order it resolved to);
* **value** — the generated numeric source of f, (f, ∇f) and H, and the display strings of f,
  ∇f and H (what the header, the JSON document and ``analyze`` show);
* **where** — ``$XDG_CACHE_HOME/gdx``, else ``~/.cache/gdx``, created 0700.  A directory that is
  not owned by the user, or is writable by group or others, is refused: not read, not written,
  and the run goes on as without a cache (no warning: a run's output stays the same;
  ``gdx cache clear`` says why it refused);
* **integrity** — each entry is a JSON document with the SHA-256 of its payload, verified on
  every read; every source then passes :func:`gdx.derive.check_generated` before it runs.  An
  entry failing either is ignored and rebuilt.  Writes go through :func:`gdx.paths.write_atomic`
  (temporary file + rename), so concurrent writers of one entry never leave half of one;
* **size** — at most :data:`MAX_BYTES`; after a write, the least recently used entries (a hit
  touches its file) are evicted until the rest fit.

A hit imports no SymPy: :class:`CachedProblem` and :class:`CachedCompiled` build their SymPy
expressions only when something asks for them.  The CLI turns the cache on (``main``) unless
``--no-cache``; the library API runs without it.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cached_property
from pathlib import Path

from .compile import Compiled

MAX_BYTES = 20 * 1024 * 1024
SUFFIX = ".gdxc"
from .cache_settings import _SETTINGS, disable, enable, enabled  # noqa: F401 - the switch, re-exported


def cache_dir(env) -> Path:
    """``$XDG_CACHE_HOME/gdx``, else ``~/.cache/gdx`` (an empty or relative XDG_CACHE_HOME is ignored, as the spec says)."""
    base = env.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        home = env.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".cache")
    return Path(base) / "gdx"


def refusal(directory: Path) -> str | None:
    """Why ``directory`` may not be used (None: it may): not a real directory, someone else's, or writable by others."""
    import stat

    try:
        st = os.lstat(directory)
    except OSError as exc:
        return f"cannot read {directory}: {exc.strerror or exc}"
    if not stat.S_ISDIR(st.st_mode):
        return f"{directory} is not a directory"
    if st.st_uid != os.getuid():
        return f"{directory} is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"{directory} is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def usable_dir(env, *, create: bool = True) -> Path | None:
    """The cache directory, created 0700 when missing, or None when it is refused."""
    directory = cache_dir(env)
    if create and not directory.exists():
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            directory.mkdir(mode=0o700)
        except OSError:
            return None
    return None if refusal(directory) else directory


def entry_key(text: str, variables=None) -> str:
    """The file name of a function's entry (see the module docstring)."""
    from . import __version__
    from .parse import tree_key

    return hashlib.sha256(f"gdx {__version__}\n{tree_key(text, variables)}".encode()).hexdigest()


def data_entry_key(text: str, variables, columns) -> str:
    """The file name of a per-example loss's entry over data: the function's key (its syntax tree
    and ``--vars``, the parameter order) and the data set's column names in file order -- not
    its values, so a run over other rows with the same header reuses the entry."""
    from . import __version__
    from .parse import tree_key

    return hashlib.sha256(f"gdx {__version__}\n{tree_key(text, variables)}\ndata columns: "
                          f"{','.join(columns)}".encode()).hexdigest()


def load_mean(text: str, variables, columns) -> dict | None:
    """The checked payload of a per-example loss over data with these columns, or None."""
    if not enabled():
        return None
    directory = usable_dir(_SETTINGS["env"], create=False)
    if directory is None:
        return None
    path = directory / (data_entry_key(text, variables, columns) + SUFFIX)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        payload = document["payload"]
        if document.get("sha256") != _digest(payload) or payload.get("kind") != "mean":
            return None
        from .derive import function_from_source

        functions = {attr: function_from_source(payload["sources"][attr]) for attr in ("_f", "_fg", "_h")}
        os.utime(path)
        return {**payload, "functions": functions}  # the sources checked and compiled
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError, SyntaxError):
        return None


def store_mean(text: str, variables, columns, objective, example) -> None:
    """Write the entry of a per-example loss over data (a miss just derived): the names of ℓ,
    its split into parameters and data, the generated sources and the display strings."""
    if not enabled():
        return
    from .render.mathtext import math_text

    _write_entry(data_entry_key(text, variables, columns), lambda: {
        "kind": "mean",
        "names": list(example.variables),
        "parameters": list(objective.split.parameters),
        "data": list(objective.split.data),
        "sources": dict(objective.sources),
        "texts": {"f": math_text(example.expr), "gradient": [math_text(g) for g in objective.gradient],
                  "hessian": [[math_text(h) for h in row] for row in objective.hessian]},
    })


def _write_entry(name: str, payload) -> None:
    """Write ``payload`` (a dict, or a function making it) as the entry ``name`` with its SHA-256,
    atomically, then evict beyond MAX_BYTES.  Best effort: a cache that cannot be written (no
    usable directory, a full disk, a payload that fails to build) is no failure of the command."""
    directory = usable_dir(_SETTINGS["env"])
    if directory is None:
        return
    from .paths import write_atomic

    try:
        payload = payload() if callable(payload) else payload
        write_atomic(directory / (name + SUFFIX), json.dumps({"sha256": _digest(payload), "payload": payload}))
        evict(directory)
    except Exception:  # noqa: BLE001 - best effort (the GdxError of a full disk included)
        pass


def finding_key(text: str, variables, what: str, params) -> str:
    """The file name of a finding about a function: its key, what was computed and with which
    parameters (a box, a bound), as canonical JSON."""
    from . import __version__
    from .parse import tree_key

    return hashlib.sha256(f"gdx {__version__}\n{tree_key(text, variables)}\nfinding: {what}\n"
                          f"{json.dumps(params, sort_keys=True)}".encode()).hexdigest()


def load_finding(text: str, variables, what: str, params):
    """A finding stored by :func:`store_finding` (plain JSON data: the caller checks its shape),
    or None (off, missing, or failing its hash)."""
    if not enabled():
        return None
    directory = usable_dir(_SETTINGS["env"], create=False)
    if directory is None:
        return None
    path = directory / (finding_key(text, variables, what, params) + SUFFIX)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        payload = document["payload"]
        if document.get("sha256") != _digest(payload) or payload.get("kind") != what:
            return None
        os.utime(path)
        return payload["value"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store_finding(text: str, variables, what: str, params, value) -> None:
    """Keep a deterministic result about a function (the critical points of a box, the exact
    solutions of ∇f = 0) for the next command on it; best effort, as :func:`store`."""
    if enabled():
        _write_entry(finding_key(text, variables, what, params), {"kind": what, "value": value})


def _digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load(text: str, variables=None):
    """The :class:`CachedCompiled` of ``text`` from the cache, or None (off, refused, missing, or
    failing its hash or code check)."""
    if not enabled():
        return None
    directory = usable_dir(_SETTINGS["env"], create=False)
    if directory is None:
        return None
    path = directory / (entry_key(text, variables) + SUFFIX)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        payload = document["payload"]
        if document.get("sha256") != _digest(payload):
            return None
        compiled = CachedCompiled(CachedProblem(text, tuple(payload["variables"]), payload["texts"]["f"]), payload)
        os.utime(path)  # least recently used goes first
        return compiled
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SyntaxError):
        return None


def store(text: str, variables, compiled) -> None:
    """Write the entry of ``compiled`` (a miss just computed) and evict beyond :data:`MAX_BYTES`.
    Best effort: a cache that cannot be written is no failure of the run."""
    if not enabled() or compiled.problem.is_vector:
        return
    sources = {a: compiled.__dict__.get(a) for a in ("_f", "_fg", "_h")}
    if sources["_h"] is None:  # derived without H (backprop): a gradient-only entry
        del sources["_h"]
    if not all(hasattr(s, "gdx_source") for s in sources.values()):
        return
    store_payload(text, variables, payload_of(compiled.variables, {a: s.gdx_source for a, s in sources.items()},
                                              compiled.problem.expr, compiled.gradient,
                                              compiled.hessian if "_h" in sources else None))


def payload_of(variables, sources: dict, expr, gradient, hessian) -> dict:
    """An entry's payload: the variable order, the generated sources of f, (f, ∇f), H, and the
    display strings of f, ∇f, H (``hessian`` None: derived without H, no "hessian" text)."""
    from .render.mathtext import math_text

    def text(e) -> str:
        return "0" if e.is_Number and e == 0 else math_text(e)  # most of a large H: no printer needed

    texts = {"f": math_text(expr), "gradient": [text(g) for g in gradient]}
    if hessian is not None:
        texts["hessian"] = [[text(h) for h in row] for row in hessian]
    return {"variables": list(variables), "sources": dict(sources), "texts": texts}


def store_payload(text: str, variables, payload: dict) -> None:
    """Write a payload (f, (f, ∇f) and, unless derived without it, H) as the entry of ``text``;
    best effort, as :func:`store`."""
    if not enabled() or not all(a in payload["sources"] for a in ("_f", "_fg")):  # H optional (backprop)
        return
    _write_entry(entry_key(text, variables), payload)


def evict(directory: Path, max_bytes: int = MAX_BYTES) -> int:
    """Remove the least recently used entries until the rest take at most ``max_bytes``; the number removed."""
    entries = []
    for p in directory.glob("*" + SUFFIX):
        try:
            st = p.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, p))
    entries.sort()
    total, removed = sum(e[1] for e in entries), 0
    for _, size, p in entries:
        if total <= max_bytes:
            break
        try:
            p.unlink()
            removed += 1
        except OSError:
            pass
        total -= size
    return removed


def clear(env) -> tuple[Path, int, str | None]:
    """Remove every entry: (the directory, how many were removed, why it was refused or None)."""
    directory = cache_dir(env)
    if not directory.exists():
        return directory, 0, None
    why = refusal(directory)
    if why:
        return directory, 0, why
    removed = 0
    for p in directory.glob("*" + SUFFIX):
        try:
            p.unlink()
            removed += 1
        except OSError:
            pass
    return directory, removed, None


class CachedProblem:
    """A :class:`gdx.parse.Problem` read from the cache: its text, variables and display string
    at once; its SymPy expressions parsed (by the same allow-listed parser) on first use."""

    is_vector = False

    def __init__(self, source: str, variables: tuple, expr_text: str) -> None:
        self.source, self.variables, self.expr_text = source, variables, expr_text

    @property
    def n(self) -> int:
        return len(self.variables)

    @cached_property
    def _parsed(self):
        from .parse import parse_function

        return parse_function(self.source, self.variables)

    @property
    def exprs(self):
        return self._parsed.exprs

    @property
    def expr(self):
        return self._parsed.expr

    @property
    def symbols(self):
        return self._parsed.symbols

    @property
    def tree(self):
        return self._parsed.tree


class CachedCompiled(Compiled):
    """A :class:`gdx.compile.Compiled` whose f, (f, ∇f), H come from checked cached source and
    whose display strings (``texts``) come from the entry; ``gradient``/``hessian`` (SymPy) are
    derived only when asked for."""

    def __init__(self, problem: CachedProblem, payload: dict) -> None:
        from .derive import function_from_source

        super().__init__(problem)
        self.texts = payload["texts"]
        for attr, source in payload["sources"].items():  # without "_h" (backprop): H derived when asked
            if attr in ("_f", "_fg", "_h"):
                self.__dict__[attr] = function_from_source(source)

    @property
    def has_hessian(self) -> bool:
        """Does the entry hold H's code?  A gradient-only entry (stored by ``gdx backprop``) serves
        ∇f; a command that needs H derives it in the bounded child and stores the whole entry."""
        return "_h" in self.__dict__

    @cached_property
    def gradient(self) -> tuple:
        from .derive import _settled
        from .compile import gradient_of

        return tuple(_settled(e, self.problem) for e in gradient_of(self.problem))

    @cached_property
    def hessian(self) -> tuple:
        from .derive import _settled
        from .compile import hessian_of

        return tuple(tuple(_settled(e, self.problem) for e in row) for row in hessian_of(self.problem, self.gradient))


class CachedExample(CachedProblem):
    """The per-example loss ℓ over all its names (parameters and data columns) read from the
    cache; parsed (allow-listed, with the data's higher name limit) only on first use."""

    @cached_property
    def _parsed(self):
        from dataclasses import replace

        from .data import MAX_COLUMNS
        from .parse import LIMITS, parse_function

        limits = replace(LIMITS, max_variables=LIMITS.max_variables + MAX_COLUMNS)
        return parse_function(self.source, None, limits=limits)


class CachedParameters(CachedProblem):
    """The problem over the parameters θ of a cached per-example loss (gdx.mean.parameter_problem):
    its expressions are the example's, its symbols the parameters'."""

    def __init__(self, example: CachedExample, parameters: tuple) -> None:
        super().__init__(example.source, parameters, example.expr_text)
        self.example = example

    @cached_property
    def _parsed(self):
        from .mean import Split, parameter_problem

        data = tuple(v for v in self.example.variables if v not in self.variables)
        return parameter_problem(self.example._parsed, Split(self.variables, data))
