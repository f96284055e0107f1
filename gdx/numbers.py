"""Numbers for people and for JSON: the one place gdx formats and serializes a float.

* :func:`fmt` — ``%.{digits}g`` with ``nan``/``inf`` spelled plainly (every table, message and
  summary uses it);
* :func:`fmt_point` — ``(1.5, -0.5)``;
* :func:`json_number` — a float for JSON: finite floats as themselves, NaN and ±inf as ``None``
  (JSON ``null``), integers and non-numbers unchanged.  Every ``--json`` document and JSON
  export goes through it, so a non-finite number is ``null``, never a string.

Pure Python: no numpy import (numpy scalars and 0-d arrays are handled through ``float()``).
"""

from __future__ import annotations

import math


def fmt(v, digits: int = 6) -> str:
    """A number for humans: ``%.{digits}g``; a bool as ``true``/``false``, a pair as ``a,b``;
    anything else that is not a number as ``str``."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, tuple):
        return ",".join(fmt(e, digits) for e in v)
    try:
        return f"{float(v):.{digits}g}"
    except (TypeError, ValueError):
        return str(v)


def fmt_point(x, digits: int = 6) -> str:
    """A point as ``(x₁, x₂, …)`` with :func:`fmt` coordinates."""
    return "(" + ", ".join(fmt(v, digits) for v in x) + ")"


def json_number(v):
    """``v`` as a JSON-safe value: a finite float, ``None`` for NaN/±inf; ints, bools, None and
    strings unchanged."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return f if math.isfinite(f) else None


def json_numbers(values) -> list:
    """:func:`json_number` of every element of a sequence (a point, a gradient)."""
    return [json_number(v) for v in values]
