"""Preset landscapes: ``presets/*.toml`` → :class:`Preset`, checked field by field.

A preset is one TOML file (schema below) naming a function, its variables, a plotting box, a
suggested start and optimizer settings, and every known global minimum (optionally local ones)
with where the numbers came from.  The built-in files live in the repository's top-level
``presets/`` directory; a wheel carries them as ``gdx/data/presets/`` (pyproject.toml
force-includes them), and :func:`presets_dir` finds either.

Schema (``name`` is the file name without ``.toml`` for the built-ins)::

    name = "rosenbrock"                 # required
    title = "Rosenbrock's banana function"
    description = "A curved, narrow valley ..."
    expression = "(1 - x)^2 + 100*(y - x^2)^2"   # required; gdx function syntax
    variables = ["x", "y"]              # required; the order of start, at, domain
    start = [-1.2, 1.0]                 # required; one number per variable
    minima = []                         # only when there are none (then before any table)

    [domain]                            # required; one [lo, hi] per variable, lo < hi
    x = [-2.0, 2.0]
    y = [-1.0, 3.0]

    [settings]                          # optional; optimizer, steps, tol, hyperparameters
    optimizer = "adam"
    lr = 0.02
    steps = 3000

    [[minima]]                          # each known minimum; kind = "global" (default) or "local"
    at = [1.0, 1.0]
    value = 0.0

    [source]                            # optional; free text, one string per key
    minima = "Rosenbrock (1960); ..."

Every problem with a file is a :class:`~gdx.errors.GdxError` of kind ``"preset error"``
whose message names the file and the field.  The built-in minima are proved to be minima by
``tests/test_presets.py``; a user's file is checked by :func:`verify_minima` when loaded.

This module imports neither NumPy nor SymPy at import time (``gdx --help`` stays instant).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import GdxError, did_you_mean
from .optim.hyper import HYPERPARAMETERS

KIND = "preset error"
#: The largest preset file read, in bytes: checked before reading, so a 50 MB file is refused at once.
MAX_FILE_BYTES = 256 * 1024
#: The longest text field (name, title, description, a source) of a preset, in characters.
MAX_TEXT = 4000
REQUIRED = ("name", "expression", "variables", "start", "domain")
FIELDS = ("name", "title", "description", "expression", "variables", "start", "domain", "settings", "minima", "source",
          "data")
MINIMUM_FIELDS = ("at", "value", "kind")
MINIMUM_KINDS = ("global", "local")
#: ``[settings]`` keys: what gdx's run configuration reads from a preset — optimizer, steps,
#: tol, and every hyperparameter of the table (torch names, :data:`gdx.optim.hyper.HYPERPARAMETERS`).
SETTINGS_KEYS = ("optimizer", "steps", "tol", *HYPERPARAMETERS)


@dataclass(frozen=True)
class Minimum:
    """A known minimum: where it is, f there, and whether it is a global or a local one."""

    at: tuple[float, ...]
    value: float
    kind: str = "global"


@dataclass(frozen=True)
class Preset:
    """One landscape from ``presets/<name>.toml`` (or a user's file), already checked."""

    name: str
    title: str
    description: str
    expression: str
    variables: tuple[str, ...]
    domain: dict[str, tuple[float, float]]
    start: tuple[float, ...]
    settings: dict[str, object]
    minima: tuple[Minimum, ...]
    source: dict[str, str]
    path: str
    #: ``[data]``: a table of columns (gdx.data.DataSet); the expression is then the per-example
    #: loss, ``variables`` its parameters, and the landscape the mean over the rows
    data: object | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.data.columns) if self.data is not None else ()

    @property
    def f_min(self) -> float | None:
        """The lowest value among the global minima (None when none is listed)."""
        values = [m.value for m in self.minima if m.kind == "global"]
        return min(values) if values else None

    def box(self) -> list[tuple[float, float]]:
        """The domain as ``[(lo, hi), ...]`` in variable order."""
        return [self.domain[v] for v in self.variables]

    def problem(self):
        """The parsed :class:`~gdx.parse.Problem` (parsed once per expression, and checked as a
        file's is: :func:`_problem`); with ``[data]``, the per-example loss over the parameters
        and then the columns.  A built-in preset is parsed here, when first needed, not when it
        is loaded: a run served by the compiled cache never parses it (nor imports SymPy)."""
        return _problem(self.path, self.expression, self.variables, columns=self.columns)

    def to_dict(self) -> dict:
        """A JSON-ready description of the preset."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "expression": self.expression,
            "variables": list(self.variables),
            "domain": {v: list(self.domain[v]) for v in self.variables},
            "start": list(self.start),
            "settings": dict(self.settings),
            "minima": [{"at": list(m.at), "value": m.value, "kind": m.kind} for m in self.minima],
            "f_min": self.f_min,
            "source": dict(self.source),
            **({"data": {"rows": self.data.rows, "columns": list(self.data.columns)}} if self.data is not None else {}),
        }


# -- where the files are ----------------------------------------------------------------------


def presets_dir():
    """The directory of the built-in preset files.

    In an installed wheel: ``gdx/data/presets/`` inside the package (a
    :class:`importlib.resources.abc.Traversable`); in a source checkout or an editable
    install: the repository's top-level ``presets/`` (a :class:`~pathlib.Path`).
    """
    from importlib.resources import files

    try:
        packaged = files("gdx") / "data" / "presets"
        if packaged.is_dir():
            return packaged
    except (ModuleNotFoundError, OSError):  # pragma: no cover - gdx is always importable here
        pass
    return Path(__file__).resolve().parent.parent / "presets"


@lru_cache(maxsize=1)
def _builtin_files() -> dict:
    """name → Traversable of each built-in file (listed once per process)."""
    root = presets_dir()
    try:
        entries = list(root.iterdir())
    except (FileNotFoundError, NotADirectoryError, OSError):
        return {}
    return {e.name[: -len(".toml")]: e for e in entries if e.name.endswith(".toml") and e.is_file()}


def preset_names() -> list[str]:
    """The names of the built-in presets, sorted."""
    return sorted(_builtin_files())


def list_presets() -> list[Preset]:
    """Every built-in preset (each file is read and checked once per process)."""
    return [_load_builtin(name) for name in preset_names()]


def looks_like_preset(text: str) -> bool:
    """True when ``text`` is a built-in preset's name, a path ending ``.toml`` or an existing file."""
    if not isinstance(text, str) or not text.strip():
        return False
    if text in _builtin_files():
        return True
    if text.strip().lower().endswith(".toml"):
        return True
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def load_preset(name_or_path: str, *, verify: bool | None = None) -> Preset:
    """A built-in preset by name, or a preset file by path.

    ``verify=None`` checks the minima of a user's file (:func:`verify_minima`) but not those of
    the built-in presets, which ``tests/test_presets.py`` checks.
    """
    text = str(name_or_path)
    if text in _builtin_files():
        preset = _load_builtin(text)
        if verify:
            verify_minima(preset)
        return preset
    if looks_like_preset(text) or "/" in text or "\\" in text:
        try:
            return _load_file(text, verify)
        except OSError as exc:  # a name too long for the file system, a file that vanished, …
            raise GdxError(f"preset file '{text}' cannot be read ({exc.strerror or exc})", kind=KIND) from None
    names = preset_names()
    raise GdxError(
        f"unknown preset '{text}'",
        kind=KIND,
        hint=did_you_mean(text, names) or ("built-in presets: " + ", ".join(names)),
    )


def _load_file(text: str, verify: bool | None) -> Preset:
    """A preset file by path: it must exist; its minima are verified once per version."""
    path = Path(text)
    if not path.is_file():
        stem = path.name.removesuffix(".toml")
        builtin = f"the built-in preset is named '{stem}' (no .toml)" if stem in _builtin_files() else None
        raise GdxError(
            f"preset file '{text}' does not exist" if not path.exists() else f"'{text}' is not a file",
            kind=KIND,
            hint=builtin or "give a built-in preset name or the path of a .toml file",
        )
    preset = _load_user_file(str(path.resolve()), text, path.stat().st_mtime_ns)
    if verify is None or verify:
        _verify_user_file(preset, path.stat().st_mtime_ns)
    return preset


@lru_cache(maxsize=None)
def _load_builtin(name: str) -> Preset:
    entry = _builtin_files()[name]
    preset = _from_bytes(entry.read_bytes(), display=f"presets/{name}.toml", path=str(entry))
    if preset.name != name:
        raise GdxError(
            f"presets/{name}.toml: field 'name' is '{preset.name}', but the file is named '{name}.toml'",
            kind=KIND,
            hint="a built-in preset's name is its file name",
        )
    return preset


@lru_cache(maxsize=64)
def _load_user_file(resolved: str, display: str, mtime_ns: int) -> Preset:
    """Read a user's preset file of at most MAX_FILE_BYTES (its size is checked before reading)."""
    try:
        size = Path(resolved).stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_large(display, size)
        with open(resolved, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise GdxError(f"{display}: cannot read the file ({exc.strerror or exc})", kind=KIND) from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the check
        raise _too_large(display, len(data))
    return _from_bytes(data, display=display, path=resolved, bounded=True)


def _too_large(display: str, size: int) -> GdxError:
    return GdxError(f"{display}: the file is too large ({size:,} bytes; the limit for a preset is {MAX_FILE_BYTES:,})",
                    kind="limit", hint="a preset is a short TOML file: an expression, its variables, a start and a domain")


_VERIFIED: set[tuple[str, int]] = set()


def _verify_user_file(preset: Preset, mtime_ns: int) -> None:
    """verify_minima, once per version of a user's file."""
    key = (preset.path, mtime_ns)
    if key not in _VERIFIED:
        verify_minima(preset)
        _VERIFIED.add(key)


# -- reading and checking one file ------------------------------------------------------------


def _error(display: str, field: str | None, message: str, hint: str | None = None, **kwargs) -> GdxError:
    where = f"{display}: field '{field}'" if field else display
    return GdxError(f"{where} {message}" if field else f"{where}: {message}", kind=KIND, hint=hint, **kwargs)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__  # pragma: no cover - TOML has no other types (dates: below)


def _string(display, data, field, *, default=None) -> str:
    if field not in data:
        if default is None:
            raise _error(display, field, "is missing", hint=f"add {field} = \"...\"")
        return default
    value = data[field]
    if not isinstance(value, str):
        raise _error(display, field, f"must be a string, got {_type_name(value)}")
    if len(value) > MAX_TEXT:
        raise _error(display, field, f"is too long ({len(value):,} characters; the limit is {MAX_TEXT:,})")
    return value


def _numbers(display, value, field, n: int, variables: tuple[str, ...], what: str = "numbers") -> tuple[float, ...]:
    """A list of exactly n finite numbers."""
    per = f"one per variable: {', '.join(variables)}"
    if not isinstance(value, list):
        raise _error(display, field, f"must be a list of {n} {what} ({per}), got {_type_name(value)}")
    if len(value) != n:
        raise _error(display, field, f"must have {n} {what} ({per}), got {len(value)}")
    out = []
    for i, item in enumerate(value):
        if not _is_number(item):
            raise _error(display, field, f"must contain only numbers, but item {i + 1} is {_type_name(item)}")
        if not math.isfinite(item):
            raise _error(display, field, f"must contain finite numbers, but item {i + 1} is {item}")
        out.append(float(item))
    return tuple(out)


def _unknown_keys(display, table: dict, allowed, prefix: str = "") -> None:
    for key in table:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or ("known fields: " + ", ".join(allowed))
            raise _error(display, f"{prefix}{key}", "is not a known field", hint=hint)


def _from_bytes(data: bytes, *, display: str, path: str, bounded: bool = False) -> Preset:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(display, None, f"is not UTF-8 text (byte {exc.start})") from None
    import tomllib

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends "(at line L, column C)".
        raise _error(display, None, f"not valid TOML: {exc}", hint="see https://toml.io for the syntax") from None
    return _from_table(raw, display=display, path=path, bounded=bounded)


def _from_table(raw: dict, *, display: str, path: str, bounded: bool = False) -> Preset:
    _unknown_keys(display, raw, FIELDS)
    for field in REQUIRED:
        if field not in raw:
            raise _error(display, field, "is missing", hint=f"every preset needs: {', '.join(REQUIRED)}")

    name = _string(display, raw, "name")
    if not name.strip():
        raise _error(display, "name", "must not be empty")
    title = _string(display, raw, "title", default=name)
    description = _string(display, raw, "description", default="")
    expression = _string(display, raw, "expression")

    variables = _variables(display, raw["variables"])
    n = len(variables)
    data = _data(display, raw["data"], variables) if "data" in raw else None
    if bounded:  # a user's file is parsed (bounded) and checked now; a built-in when first used
        _problem(display, expression, variables, bounded=True, columns=data.columns if data else ())

    start = _numbers(display, raw["start"], "start", n, variables)
    domain = _domain(display, raw["domain"], variables)
    settings = _settings(display, raw.get("settings", {}))
    minima = _minima(display, raw.get("minima", []), variables)
    source = _source(display, raw.get("source", {}))
    return Preset(
        name=name,
        title=title,
        description=description,
        expression=expression,
        variables=variables,
        domain=domain,
        start=start,
        settings=settings,
        minima=minima,
        source=source,
        path=path,
        data=data,
    )


def _data(display, value, variables):
    """``[data]``: columns of numbers of one length (gdx.data's rules), none named like a parameter."""
    from .data import from_table

    try:
        data = from_table(f"{display}: field 'data'", value)
    except GdxError as exc:
        raise GdxError(exc.message, kind=KIND, hint=exc.hint) from None
    clash = [c for c in data.columns if c in variables]
    if clash:
        raise _error(display, "data", f"has a column '{clash[0]}', which is also listed in variables",
                     hint="variables are the parameters; the columns of [data] are the data")
    return data


def _variables(display, value) -> tuple[str, ...]:
    from .parse import parse_variables

    if not isinstance(value, list) or not value:
        got = "an empty list" if value == [] else _type_name(value)
        raise _error(display, "variables", f"must be a non-empty list of names, got {got}", hint='e.g. variables = ["x", "y"]')
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _error(display, "variables", f"must contain only names (strings), but item {i + 1} is {_type_name(item)}")
    try:
        return parse_variables(value)
    except GdxError as exc:
        raise _error(display, "variables", f"is not valid: {exc.message}", hint=exc.hint) from None


def _problem(display, expression: str, variables: tuple[str, ...], *, bounded: bool = False, columns=()):
    """The preset's expression parsed (a user's file: in the bounded child, as typed functions are);
    with ``columns`` ([data]) over the parameters and then the columns."""
    try:
        problem = _parse(expression, tuple(variables) + tuple(columns), bounded=bounded)
    except GdxError as exc:
        raise GdxError(
            f"{display}: field 'expression': {exc.message}",
            kind=KIND,
            source=exc.source,
            span=exc.span,
            hint=exc.hint,
            exit_code=exc.exit_code,
        ) from None
    used = {s.name for s in problem.expr.free_symbols}
    unused = [v for v in variables if v not in used]
    if unused:
        raise _error(
            display,
            "variables",
            f"lists '{unused[0]}', which the expression does not use",
            hint=f"the expression uses: {', '.join(v for v in variables if v in used) or 'no variables'}",
        )
    return problem


def builtin(text: str):
    """The built-in preset named ``text`` (no data table), or None."""
    if not isinstance(text, str) or text not in _builtin_files():
        return None
    preset = _load_builtin(text)
    return preset if preset.data is None else None


@lru_cache(maxsize=256)
def _parse(expression: str, variables: tuple[str, ...], *, bounded: bool = False):
    """The allow-listed parse; for a user's file (``bounded``) under gdx.sandbox's default bound,
    since SymPy's constructors on hostile text can take minutes (built-in presets are trusted)."""
    from .parse import parse_function

    if bounded:
        from .target import parse_bounded

        return parse_bounded(expression, list(variables))
    return parse_function(expression, list(variables))


def _domain(display, value, variables) -> dict[str, tuple[float, float]]:
    if not isinstance(value, dict):
        raise _error(display, "domain", f"must be a table ([domain] with one [lo, hi] per variable), got {_type_name(value)}")
    for key in value:
        if key not in variables:
            raise _error(
                display,
                f"domain.{key}",
                f"names '{key}', which is not a variable",
                hint=did_you_mean(key, variables) or f"the variables are: {', '.join(variables)}",
            )
    domain = {}
    for v in variables:
        if v not in value:
            raise _error(display, "domain", f"has no range for '{v}'", hint=f"add {v} = [lo, hi] under [domain]")
        item = value[v]
        field = f"domain.{v}"
        if not isinstance(item, list) or len(item) != 2:
            got = f"{len(item)} items" if isinstance(item, list) else _type_name(item)
            raise _error(display, field, f"must be [lo, hi], got {got}")
        for bound in item:
            if not _is_number(bound) or not math.isfinite(bound):
                raise _error(display, field, f"must be two finite numbers [lo, hi], got {bound!r}")
        lo, hi = float(item[0]), float(item[1])
        if not lo < hi:
            raise _error(display, field, f"must have lo < hi, got [{item[0]}, {item[1]}]")
        domain[v] = (lo, hi)
    return domain


def _settings(display, value) -> dict[str, object]:
    """``[settings]``, checked: ``optimizer`` a non-empty string, ``steps`` a whole number ≥ 0,
    ``tol`` a finite number ≥ 0, and each hyperparameter a finite number inside the range of
    the hyperparameter table (``settings.beta1: must be in [0, 1), got 1.0``) — a switch a
    boolean (``amsgrad = true``), a pair an array of two numbers (``etas = [0.5, 1.2]``)."""
    if not isinstance(value, dict):
        raise _error(display, "settings", f"must be a table ([settings]), got {_type_name(value)}")
    _unknown_keys(display, value, SETTINGS_KEYS, prefix="settings.")
    settings: dict[str, object] = {}
    for key, item in value.items():
        field = f"settings.{key}"
        if key == "optimizer":
            if not isinstance(item, str) or not item:
                raise _error(display, field, f"must be a name (string), got {_type_name(item)}")
            settings[key] = item
        elif key == "steps":
            if not isinstance(item, int) or isinstance(item, bool) or item < 0:
                raise _error(display, field, f"must be a whole number >= 0, got {item!r}")
            settings[key] = item
        elif key in HYPERPARAMETERS and HYPERPARAMETERS[key].kind != "float":
            settings[key] = _setting_of_kind(display, field, HYPERPARAMETERS[key], item)
        else:
            if not _is_number(item) or not math.isfinite(item):
                got = item if _is_number(item) else _type_name(item)
                raise _error(display, field, f"must be a finite number, got {got}")
            hyper = HYPERPARAMETERS.get(key)
            if hyper is not None and not hyper.contains(item):
                raise _error(display, field, f"must be {hyper.range_text}, got {item}")
            if hyper is None and not item >= 0:  # tol
                raise _error(display, field, f"must be >= 0, got {item}")
            settings[key] = float(item)
    return settings


def _setting_of_kind(display, field, hyper, item):
    """A switch is a TOML boolean (``amsgrad = true``); a pair an array of two finite numbers
    inside the pair's rule (``etas = [0.5, 1.2]``), kept as a tuple."""
    if hyper.kind == "bool":
        if not isinstance(item, bool):
            raise _error(display, field, f"must be true or false, got {_type_name(item)}")
        return item
    if hyper.kind in ("int", "choice"):
        if not hyper.contains(item) or (hyper.kind == "int" and not isinstance(item, int)):
            raise _error(display, field, f"must be {hyper.range_text}, got {item!r}")
        return item
    if not (isinstance(item, list) and len(item) == 2 and all(_is_number(v) and math.isfinite(v) for v in item)):
        raise _error(display, field, f"must be an array of two finite numbers, e.g. [0.5, 1.2], got {item!r}")
    if not hyper.contains(item):
        raise _error(display, field, f"must be {hyper.range_text}, got {item}")
    return (float(item[0]), float(item[1]))


def _minima(display, value, variables) -> tuple[Minimum, ...]:
    if not isinstance(value, list):
        raise _error(display, "minima", f"must be an array of tables ([[minima]]), got {_type_name(value)}")
    out = []
    for i, item in enumerate(value):
        field = f"minima[{i}]"
        if not isinstance(item, dict):
            raise _error(display, field, f"must be a table with at and value, got {_type_name(item)}")
        _unknown_keys(display, item, MINIMUM_FIELDS, prefix=f"{field}.")
        for key in ("at", "value"):
            if key not in item:
                raise _error(display, f"{field}.{key}", "is missing")
        at = _numbers(display, item["at"], f"{field}.at", len(variables), variables)
        val = item["value"]
        if not _is_number(val) or not math.isfinite(val):
            raise _error(display, f"{field}.value", f"must be a finite number, got {_type_name(val) if not _is_number(val) else val}")
        kind = item.get("kind", "global")
        if kind not in MINIMUM_KINDS:
            raise _error(display, f"{field}.kind", f"must be \"global\" or \"local\", got {kind!r}")
        out.append(Minimum(at=at, value=float(val), kind=kind))
    return tuple(out)


def _source(display, value) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _error(display, "source", f"must be a table ([source]), got {_type_name(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _error(display, f"source.{key}", f"must be a string, got {_type_name(item)}")
        _string(display, value, key)  # its length
    return dict(value)


# -- checking the minima numerically ----------------------------------------------------------

#: Tolerances of :func:`verify_minima`: a file needs about 7 significant digits.
VALUE_RTOL = 1e-6  # |f(at) - value| ≤ VALUE_RTOL·max(1, |value|)
POINT_RTOL = 1e-6  # ‖∇f(at)‖ ≤ POINT_RTOL·(1 + ‖at‖)·(1 + ‖H(at)‖): at is within ~1e-6 of a stationary point
CURVATURE_RTOL = 1e-8  # eigenvalues of H(at) ≥ -CURVATURE_RTOL·(1 + ‖H(at)‖)


def verify_minima(preset: Preset) -> None:
    """Check numerically that every listed minimum is one, or raise :class:`GdxError`.

    For each ``[[minima]]`` entry: f(at) equals ``value``; the gradient at ``at`` is zero up to
    the rounding of ``at``; the Hessian there is positive semi-definite.  Where the gradient is
    undefined (a kink, like Ackley's at the origin) or the Hessian is singular, f is instead
    sampled along many directions close to ``at`` and must not drop below f(at).  The error
    names the file and ``minima[i]`` and, when Newton's method from ``at`` finds a nearby
    minimum, suggests its exact numbers.
    """
    if not preset.minima:
        return
    import numpy as np

    from .derive import compile_for_command

    display = _display(preset)
    if preset.data is not None:  # the mean of the per-example loss over [data]
        from .mean import compile_mean
        from .sandbox import DEFAULT_TIMEOUT

        compiled = compile_mean(preset.problem(), preset.data, preset.variables, timeout=DEFAULT_TIMEOUT)
    else:
        compiled = compile_for_command(preset.problem())  # a user's file: bounded like any function
    with np.errstate(all="ignore"):
        for i, m in enumerate(preset.minima):
            _verify_one(display, compiled, i, m, np)


def _display(preset: Preset) -> str:
    path = Path(preset.path)
    try:
        builtin = _builtin_files().get(preset.name)
        if builtin is not None and str(builtin) == preset.path:
            return f"presets/{path.name}"
    except Exception:  # pragma: no cover - defensive
        pass
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _fmt_point(x) -> str:
    return "[" + ", ".join(repr(float(v)) for v in x) + "]"


def _fmt_short(x) -> str:
    from .numbers import fmt

    return ", ".join(fmt(v) for v in x)


def _verify_one(display, compiled, i, m: Minimum, np) -> None:
    field = f"minima[{i}]"
    x = np.asarray(m.at, dtype=float)
    f = compiled.value(x)
    vtol = VALUE_RTOL * max(1.0, abs(m.value))
    if not math.isfinite(f):
        raise _error(display, f"{field}.at", f"is not a minimum: f is not defined there (f = {f})")

    def polished_hint() -> str | None:
        found = _newton_polish(compiled, x, np)
        if found is None:
            return None
        xs, fs = found
        return f"Newton's method from there converges to at = {_fmt_point(xs)} with value = {fs!r}"

    g = compiled.grad(x)
    h = compiled.hess(x)
    smooth = bool(np.all(np.isfinite(g)) and np.all(np.isfinite(h)))
    if smooth:
        hnorm = float(np.linalg.norm(h, 2))
        gnorm = float(np.linalg.norm(g))
        if gnorm > POINT_RTOL * (1.0 + float(np.linalg.norm(x))) * (1.0 + hnorm):
            raise _error(
                display,
                f"{field}.at",
                f"is not a minimum: the gradient there is {_fmt_point(g)} (norm {gnorm:.3g}), not 0",
                hint=polished_hint() or "give the coordinates to at least 7 significant digits",
            )
        eig = np.linalg.eigvalsh((h + h.T) / 2)
        ctol = CURVATURE_RTOL * (1.0 + hnorm)
        if eig.min() < -ctol:
            raise _error(
                display,
                f"{field}.at",
                f"is not a minimum: the Hessian there has a negative eigenvalue ({eig.min():.6g}), "
                "so it is a saddle point or a maximum",
            )
    if abs(f - m.value) > vtol:
        raise _error(
            display,
            f"{field}.value",
            f"is {m.value!r}, but f(at) = {f!r}",
            hint=f"write value = {f!r} (at least 7 significant digits)",
        )
    if not smooth:
        _check_by_sampling(display, field, compiled, x, f, vtol, np, "the gradient is not defined there")
    elif eig.min() <= ctol:  # singular Hessian: second-order information is not enough
        _check_by_sampling(display, field, compiled, x, f, vtol, np, "the Hessian there is singular")


def _check_by_sampling(display, field, compiled, x, f, vtol, np, why: str) -> None:
    """f must not drop below f(x) along many directions at several small distances."""
    n = x.size
    rng = np.random.default_rng(12345)
    if n == 2:
        angles = np.linspace(0.0, 2 * np.pi, 64, endpoint=False)
        dirs = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    else:
        eye = np.eye(n)
        rand = rng.standard_normal((64, n))
        dirs = np.concatenate([eye, -eye, rand / np.linalg.norm(rand, axis=1, keepdims=True)])
    scale = 1.0 + float(np.linalg.norm(x))
    steps = np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-2]) * scale
    points = x + steps[:, None, None] * dirs[None, :, :]
    values = np.asarray(compiled.value(points.reshape(-1, n)), dtype=float)
    if not np.all(np.isfinite(values)):
        raise _error(display, f"{field}.at", f"cannot be checked: {why}, and f is not defined close to it")
    k = int(np.argmin(values))
    if values[k] < f - vtol:
        worst = points.reshape(-1, n)[k]
        raise _error(
            display,
            f"{field}.at",
            f"is not a minimum: {why}, and f is lower nearby: f({_fmt_short(worst)}) = {float(values[k]):.17g} < {f!r}",
        )


def _newton_polish(compiled, x, np, iters: int = 30):
    """A minimum found by Newton's method from x (None if it fails or lands on a non-minimum)."""
    z = np.array(x, dtype=float)
    try:
        for _ in range(iters):
            g = compiled.grad(z)
            h = compiled.hess(z)
            step = np.linalg.solve(h, g)
            if not np.all(np.isfinite(step)):
                return None
            z = z - step
            if np.linalg.norm(step) <= 4e-16 * (1 + np.linalg.norm(z)):
                break
        if np.linalg.norm(z - x) > 1e-2 * (1 + np.linalg.norm(x)):
            return None  # went somewhere else entirely
        if np.linalg.eigvalsh(compiled.hess(z)).min() <= 0:
            return None
        return z, compiled.value(z)
    except (np.linalg.LinAlgError, ArithmeticError, ValueError):
        return None


__all__ = [
    "Minimum",
    "Preset",
    "presets_dir",
    "preset_names",
    "list_presets",
    "load_preset",
    "looks_like_preset",
    "verify_minima",
]
