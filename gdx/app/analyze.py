"""``gdx analyze``: the calculus of a landscape as data — f, ∇f, H, critical points, a point.

The symbolic work (∇f, H) and exact solving of ∇f = 0 share one budget, ``timeout`` seconds
(:mod:`gdx.sandbox`): the derivatives must finish within it (else exit 3); exact solving gets
what is left, at most :data:`EXACT_DEFAULT` seconds unless ``timeout`` is given, and when it
runs out the numeric search alone answers (the notes say so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Exact solving's share of the default budget, seconds (a --timeout gives it everything left).
EXACT_DEFAULT = 3.0


@dataclass
class AnalyzeOutcome:
    target: Any
    document: dict
    compiled: Any = None
    search: Any = None  # gdx.analysis.CriticalSearch
    local: Any = None  # gdx.analysis.PointAnalysis
    vector: Any = None  # gdx.analysis.VectorAnalysis


def analyze(function: str, *, at=None, box=None, variables=None, timeout=None, critical: bool = True,
            exact: bool = True, data=None) -> AnalyzeOutcome:
    """Resolve FUNCTION (a vector of functions allowed), then its scalar or vector analysis
    (``exact=False``: critical points by the numeric search only).  With ``data`` (--data) the
    function is the mean of a per-example loss: its critical points are found by the numeric
    search only (solving ∇L = 0 exactly would need the symbolic sum of N terms)."""
    from ..target import parse_point
    from .prepare import resolve, symbolic_timeout

    from ..sandbox import Deadline

    if not critical:
        from .flags import refuse_inapplicable

        refuse_inapplicable({"--box": box is not None, "--no-exact": not exact}, because="with --no-critical",
                            hint="--box and --no-exact shape the critical-point search that --no-critical skips")
    budget = Deadline(symbolic_timeout(timeout))  # the derivatives and exact solving share it
    target = resolve(function, variables, allow_vector=True, timeout=budget, data=data)
    if target.data is not None:
        exact = False
    point = parse_point(at, target.problem.variables, flag="--at") if at is not None else None
    if target.problem.is_vector:
        return _vector(target, point, budget)
    cap = 0.0 if not exact else None if timeout is not None else EXACT_DEFAULT
    return _scalar(target, point, box, budget, critical, exact_cap=cap)


def _scalar(target, point, box_spec, budget, critical, exact_cap) -> AnalyzeOutcome:
    from ..analysis import analyze_point, find_critical_points
    from ..landscape import default_box, parse_box
    from .prepare import compile_target

    problem = target.problem
    box = default_box(target)
    if box_spec is not None:
        box = parse_box(box_spec, problem.variables, fill=box)
    compiled = compile_target(target, budget)  # ∇f and H, within the budget
    local = analyze_point(compiled, point) if point is not None and problem.n else None
    search = None
    if critical and problem.n:
        from ..sandbox import Deadline

        exact = budget if exact_cap is None else Deadline(min(budget.left(), exact_cap)) if exact_cap > 0 else 0
        search = find_critical_points(compiled, box, timeout=exact, exact=_known_solutions(target))
        _keep_solutions(target, search)
    texts = calculus_texts(target, compiled)
    doc = {
        "function": target.text,
        "preset": target.preset.name if target.preset is not None else None,
        "variables": list(problem.variables),
        "expression": texts["f"],
        "gradient": texts["gradient"],
        "hessian": texts["hessian"],
        "critical_points": [p.to_dict() for p in search.points] if search is not None else None,
        "critical_search": search.to_dict() if search is not None else None,
        "at": local.to_dict() if local is not None else None,
    }
    return AnalyzeOutcome(target, doc, compiled=compiled, search=search, local=local)


def calculus_texts(target, compiled) -> dict:
    """f, ∇f and H as ``gdx analyze`` shows them (each entry tidied: gdx.analysis.tidy), read
    from the compiled cache when an earlier analyze of the function stored them (a repeat
    needs no SymPy), else written here and stored."""
    from .prepare import keep_finding, known_finding

    value = known_finding(target, "calculus-texts")
    if _texts_shaped(value, target.problem.n):
        return value
    from ..analysis import tidy
    from ..render.mathtext import math_text, problem_text

    problem = target.problem
    texts = {"f": problem_text(problem),
             "gradient": [math_text(tidy(g, problem.symbols)) for g in compiled.gradient],
             "hessian": [[math_text(tidy(h, problem.symbols)) for h in row] for row in compiled.hessian]}
    keep_finding(target, "calculus-texts", None, texts)
    return texts


def _texts_shaped(value, n: int) -> bool:
    """Has a cached value the shape of :func:`calculus_texts` for n variables?"""
    return (isinstance(value, dict) and isinstance(value.get("f"), str)
            and isinstance(value.get("gradient"), list) and len(value["gradient"]) == n
            and all(isinstance(g, str) for g in value["gradient"])
            and isinstance(value.get("hessian"), list) and len(value["hessian"]) == n
            and all(isinstance(r, list) and len(r) == n and all(isinstance(h, str) for h in r) for r in value["hessian"]))


def _known_solutions(target):
    """Exact solving's ``solved`` outcome for this function from the compiled cache, or None.
    (A solved outcome depends on f alone; a timeout or failure, on the machine: never kept.)"""
    import math

    from .prepare import known_finding

    value = known_finding(target, "exact-solutions")
    try:
        status, sols, note = value
        sols = [tuple(float(c) for c in x) for x in sols]
    except (TypeError, ValueError):
        return None
    n = target.problem.n
    if status != "solved" or not isinstance(note, str) or not all(len(x) == n and all(map(math.isfinite, x)) for x in sols):
        return None
    return status, sols, note


def _keep_solutions(target, search) -> None:
    """Keep exact solving's outcome when it solved ∇f = 0 (it depends on f alone)."""
    from .prepare import keep_finding

    if search.exact is not None and search.exact[0] == "solved":
        status, sols, note = search.exact
        keep_finding(target, "exact-solutions", None, [status, [list(x) for x in sols], note])


def _vector(target, point, budget) -> AnalyzeOutcome:
    from ..analysis import analyze_vector
    from ..numbers import json_number
    from ..render.mathtext import math_text
    from ..sandbox import bounded

    va = bounded(analyze_vector, target.problem, point, timeout=budget, what="the symbolic work (Jacobian)")
    doc = {
        "function": target.text,
        "variables": list(va.variables),
        "components": [math_text(e) for e in va.components],
        "jacobian": [[math_text(e) for e in row] for row in va.jacobian],
        "at": None,
    }
    if point is not None:
        doc["at"] = {
            "at": [json_number(v) for v in va.at],
            "value": [json_number(v) for v in va.value],
            "jacobian": [[json_number(v) for v in row] for row in va.jacobian_at],
            "determinant": json_number(va.determinant),
        }
    return AnalyzeOutcome(target, doc, vector=va)
