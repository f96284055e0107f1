"""The FUNCTION argument: an expression, a preset name, or a preset file → a Problem.

Also the point syntax shared by ``--start`` and ``--at``: ``"1.5,-0.5"`` (in variable
order) or ``"x=1.5,y=-0.5"`` (by name, any order, every variable named once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import GdxError
from .parse import Problem, parse_function

#: The start point when neither --start nor a preset gives one: every coordinate 1.5.
DEFAULT_START = 1.5


@dataclass(frozen=True)
class Target:
    """What the user asked to study."""

    text: str
    problem: Problem
    preset: object | None = None  # gdx.presets.Preset
    #: an objective over data (``--data``): the checked table (gdx.data.DataSet) and the
    #: per-example problem over every name; ``problem`` then holds the parameters only
    data: object | None = None
    example: Problem | None = None

    @property
    def label(self) -> str:
        return self.preset.name if self.preset is not None else self.text


def resolve_target(text: str, variables=None, *, allow_vector: bool = False, timeout=None) -> Target:
    """A preset (by name or path) when ``text`` names one, otherwise a parsed expression.

    With ``timeout`` (seconds or a :class:`gdx.sandbox.Deadline`) the expression is parsed by
    :func:`parse_bounded`: SymPy's construction of it cannot keep the process past the bound.
    """
    from . import presets

    _refuse_misspelt_preset(text, presets)
    if presets.looks_like_preset(text):
        preset = presets.load_preset(text)
        if variables:
            raise GdxError(
                f"--vars cannot be used with the preset '{preset.name}'",
                kind="usage error",
                hint=f"its variables are {', '.join(preset.variables)}; pass its expression to choose an order",
            )
        if preset.data is not None:  # a per-example loss over the preset's [data]
            from .mean import parameter_problem, split_names

            example = preset.problem()
            split = split_names(example, preset.data, preset.variables)
            return Target(text, parameter_problem(example, split), preset, data=preset.data, example=example)
        return Target(text, preset.problem(), preset)
    if timeout is None:
        return Target(text, parse_function(text, variables, allow_vector=allow_vector))
    return Target(text, parse_bounded(text, variables, allow_vector=allow_vector, timeout=timeout))


def parse_bounded(text: str, variables=None, *, allow_vector: bool = False, timeout=None) -> Problem:
    """:func:`gdx.parse.parse_function` in the bounded child of :mod:`gdx.sandbox`.

    Rule: the allow-listed parse builds SymPy objects, and SymPy's constructors evaluate
    (assumptions on 50 nested functions can take minutes); so the whole parse runs in a
    killable child under ``timeout`` (default: gdx.sandbox.DEFAULT_TIMEOUT), and SymPy's own
    exceptions become errors about ``text`` (:func:`gdx.sandbox.library_error`).
    """
    from .parse import check_static
    from .sandbox import DEFAULT_TIMEOUT, bounded

    if not isinstance(text, str):
        return parse_function(text, variables, allow_vector=allow_vector)  # the type error, at once
    check_static(text, variables)  # over-limit text is refused here, before SymPy and the fork
    return bounded(parse_function, text, variables, allow_vector=allow_vector,
                   timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
                   what="reading the function", source=text)


def _refuse_misspelt_preset(text: str, presets) -> None:
    """A bare name close to a preset's (``rosenbrok``, ``six-hump-camle``) is a typo, not f(x) = x."""
    import difflib
    import re

    name = text.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*", name) or presets.looks_like_preset(name):
        return
    close = difflib.get_close_matches(name.lower(), presets.preset_names(), n=1, cutoff=0.8)
    if close:
        raise GdxError(
            f"unknown preset '{name}'",
            kind="input error",
            source=text,
            span=(0, len(text)),
            hint=f"did you mean '{close[0]}'? (gdx presets lists them all)",
        )


def parse_point(spec: str, variables: tuple[str, ...], *, flag: str = "--start") -> tuple[float, ...]:
    """``"1.5,-0.5"`` or ``"x=1.5,y=-0.5"`` → one float per variable, in variable order."""
    names = ", ".join(variables)
    parts = [p.strip() for p in spec.split(",")] if spec.strip() else []
    if any("=" in p for p in parts):
        values: dict[str, float] = {}
        for part in parts:
            name, sep, raw = part.partition("=")
            name = name.strip()
            if not sep or name not in variables:
                raise GdxError(
                    f"{flag}: unknown variable '{name}'",
                    kind="usage error",
                    source=spec,
                    span=_span(spec, part),
                    hint=f"the variables are {names}",
                )
            if name in values:
                raise GdxError(f"{flag}: '{name}' is given twice", kind="usage error", source=spec, span=_span(spec, part))
            values[name] = finite_number(raw, flag=flag, source=spec, span=_span(spec, part))
        missing = [v for v in variables if v not in values]
        if missing:
            raise GdxError(
                f"{flag}: no value for {', '.join(missing)}",
                kind="usage error",
                source=spec,
                hint=f"give one value per variable: {', '.join(f'{v}=…' for v in variables)}",
            )
        return tuple(values[v] for v in variables)
    if len(parts) != len(variables):
        raise GdxError(
            f"{flag} has {len(parts)} coordinate{'s' if len(parts) != 1 else ''}, expected {len(variables)} ({names})",
            kind="usage error",
            source=spec,
            hint=f"for example {flag} \"{','.join('1' for _ in variables)}\" or {flag} \"{','.join(f'{v}=1' for v in variables)}\"",
        )
    return tuple(finite_number(p, flag=flag, source=spec, span=_span(spec, p)) for p in parts)


def _span(spec: str, part: str) -> tuple[int, int] | None:
    i = spec.find(part)
    return (i, i + len(part)) if i >= 0 else None


def finite_number(raw: str, *, flag: str, source: str, span: tuple[int, int] | None) -> float:
    """A flag's number (``--start``, ``--at``, ``--slice``, ``-o adam:lr=…``): finite, or an error at its span."""
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise GdxError(f"{flag}: '{raw.strip()}' is not a finite number", kind="usage error", source=source, span=span)
    return value


def start_point(target: Target, spec: str | None) -> tuple[float, ...]:
    """--start if given, else the preset's start, else DEFAULT_START for every variable."""
    variables = target.problem.variables
    if spec is not None:
        return parse_point(spec, variables)
    if target.preset is not None:
        return tuple(target.preset.start)
    return tuple(DEFAULT_START for _ in variables)
