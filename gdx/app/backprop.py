"""``gdx backprop``: the computation graph of FUNCTION as typed, a forward and a backward pass at a
point, the gradient flow along every path, and a check of the leaves against the symbolic ∇f.

The numbers come from :mod:`gdx.graph` (floats, reverse mode); the check compares each leaf's
adjoint with the compiled symbolic gradient (the one every run uses, from the cache when it is
there) at the same point: relative difference ≤ :data:`CHECK_RTOL` (absolute below 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ExitCode

#: Leaves agree with the symbolic gradient when |a − g| ≤ CHECK_RTOL·max(1, |g|).
CHECK_RTOL = 1e-9
#: Largest contributions listed per variable in the gradient flow (the rest are folded).
TOP_PATHS = 5


@dataclass
class BackpropOutcome:
    target: Any
    result: Any  # gdx.graph.Backprop
    flows: list
    check: dict
    document: dict
    exit_code: ExitCode = ExitCode.OK
    error: Any = None  # the GdxError to raise after the output is shown (a failed check)


def backprop(function: str, *, at=None, variables=None, timeout=None, top: int = TOP_PATHS) -> BackpropOutcome:
    """Resolve FUNCTION (expression, preset name or file), build its graph, run both passes at
    ``at`` (text as for --start; None: the preset's start, else the default start), check."""
    from .. import graph
    from ..sandbox import Deadline
    from .prepare import compile_target, require_variables, resolve, start_of, symbolic_timeout

    budget = Deadline(symbolic_timeout(timeout))
    target = resolve(function, variables, timeout=budget)
    require_variables(target, nothing="it has no inputs to send adjoints back to, and its gradient is empty")
    point = _point(target, at, start_of)
    g = graph.build(target.problem.tree, tuple(target.problem.variables))
    result = graph.backprop(g, point)
    compiled = compile_target(target, budget, hessian=False)  # the check needs ∇f only
    check = gradient_check(result, compiled)
    paths = graph.flows(result, top=top)
    outcome = BackpropOutcome(target, result, paths, check, document(target, result, paths, check))
    if not check["ok"]:
        outcome.error, outcome.exit_code = mismatch(target, check), ExitCode.INTERNAL
    return outcome


def mismatch(target, check: dict):
    """A failed gradient check is a bug in gdx (the graph's reverse pass or the symbolic
    derivation): the error shown after the output, with exit status INTERNAL (70)."""
    from ..errors import GdxError
    from ..numbers import fmt

    return GdxError(
        "the graph's adjoints disagree with the symbolic gradient (largest relative difference "
        f"{fmt(check['max_rel_error'], 3)}, tolerance {fmt(check['tolerance'], 2)}): this is a bug in gdx",
        kind="internal error", source=target.text, exit_code=ExitCode.INTERNAL,
        hint="please report it with the command line above",
    )


def _point(target, at, start_of):
    from ..target import parse_point

    if at is None:
        return start_of(target, None)
    return parse_point(at, target.problem.variables, flag="--at")


def gradient_check(result, compiled) -> dict:
    """The leaves' adjoints against the compiled symbolic ∇f (and the output against f) at the point."""
    import math

    import numpy as np

    with np.errstate(all="ignore"):
        f, g = compiled.value_and_grad(np.asarray(result.point, dtype=float))
    ours = result.gradient()
    worst_abs, worst_rel = 0.0, 0.0
    ok = True
    for name, symbolic in zip(result.graph.variables, (float(v) for v in g)):
        diff = abs(ours[name] - symbolic)
        if not math.isfinite(diff):
            ok = False
            continue
        worst_abs = max(worst_abs, diff)
        worst_rel = max(worst_rel, diff / max(1.0, abs(symbolic)))
    value_gap = abs(result.value - float(f))
    ok = ok and worst_rel <= CHECK_RTOL and value_gap <= CHECK_RTOL * max(1.0, abs(float(f)))
    return {
        "symbolic": {name: float(v) for name, v in zip(result.graph.variables, g)},
        "value": float(f),
        "max_abs_error": worst_abs,
        "max_rel_error": worst_rel,
        "tolerance": CHECK_RTOL,
        "ok": bool(ok),
    }


def document(target, result, paths, check) -> dict:
    """The --json document: variables, output, nodes, gradient, gradient_check (and the flow)."""
    from ..numbers import json_number

    g = result.graph
    nodes = []
    for node in g.nodes:
        nodes.append({
            "id": node.id,
            "op": node.op,
            "label": node.label,
            "inputs": [g.nodes[i].id for i in node.inputs],
            "value": json_number(result.values[node.index]),
            "local": [json_number(d) for d in result.local[node.index]],
            "adjoint": json_number(result.adjoints[node.index]),
        })
    check_doc = {**check, "symbolic": {k: json_number(v) for k, v in check["symbolic"].items()},
                 "value": json_number(check["value"])}
    return {
        "function": target.text,
        "preset": target.preset.name if target.preset is not None else None,
        "variables": list(g.variables),
        "at": [json_number(v) for v in result.point],
        "value": json_number(result.value),
        "output": g.nodes[g.output].id,
        "nodes": nodes,
        "gradient": {k: json_number(v) for k, v in result.gradient().items()},
        "gradient_check": check_doc,
        "flow": [{
            "variable": f.variable,
            "paths": f.count,
            "top": [{"nodes": [g.nodes[i].id for i in p.nodes], "factors": [json_number(d) for d in p.factors],
                     "product": json_number(p.product)} for p in f.paths],
            "folded": f.folded,
            "folded_sum": json_number(f.folded_sum),
        } for f in paths],
        "typed_nodes": g.typed,
    }
