"""``gdx backprop``: the computation graph of FUNCTION as typed, a forward and a backward pass at a
point, the gradient flow along every path, and a check of the leaves against the symbolic ∇f.

The numbers come from :mod:`gdx.graph` (floats, reverse mode); the check compares each leaf's
adjoint with the compiled symbolic gradient (the one every run uses, from the cache when it is
there) at the same point: relative difference ≤ :data:`CHECK_RTOL` (absolute below 1).

With ``--data FILE --row K`` FUNCTION is a per-example loss ℓ(θ; d): the graph is drawn at row K
(0-based, the indices a minibatch run's ``--json`` records; row 0 is the first data row): each
data column's leaf is a ``data`` node holding that row's value, a constant of ℓ, and only the
parameters θ are variables, so their adjoints are ∂ℓ(θ; d_K)/∂θ.  The check compares them with
the per-example symbolic gradient ∇_θ ℓ (gdx.mean, compiled over that one row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ExitCode, GdxError

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
    #: with --data: {"source": file, "row": K, "rows": N, "values": {column: value}}; else None
    example: dict | None = None
    exit_code: ExitCode = ExitCode.OK
    error: Any = None  # the GdxError to raise after the output is shown (a failed check)


def backprop(function: str, *, at=None, variables=None, timeout=None, top: int = TOP_PATHS,
             data=None, row: int | None = None) -> BackpropOutcome:
    """Resolve FUNCTION (expression, preset name or file), build its graph, run both passes at
    ``at`` (text as for --start; None: the preset's start, else the default start), check.
    With ``data`` (--data) the graph is the per-example loss at ``row`` (None: row 0)."""
    from .. import graph
    from ..sandbox import Deadline
    from .prepare import compile_target, require_variables, resolve, start_of, symbolic_timeout

    if data is None and row is not None:
        raise GdxError("--row needs --data", kind="usage error",
                       hint="--data FILE --row K draws the per-example loss at row K of FILE")
    budget = Deadline(symbolic_timeout(timeout))
    target = resolve(function, variables, timeout=budget, data=data, hessian=False)
    require_variables(target, nothing="it has no inputs to send adjoints back to, and its gradient is empty")
    point = _point(target, at, start_of)
    example = None
    if target.data is None:
        g = graph.build(target.problem.tree, tuple(target.problem.variables))
    else:
        example = example_row(target.data, target.example, 0 if row is None else row)
        g = graph.with_data(graph.build(target.example.tree, tuple(target.example.variables)), example["values"])
    result = graph.backprop(g, point)
    if example is None:
        compiled = compile_target(target, budget, hessian=False)  # the check needs ∇f only
    else:
        compiled = _example_objective(target, example["row"], budget)
    check = gradient_check(result, compiled)
    paths = graph.flows(result, top=top)
    outcome = BackpropOutcome(target, result, paths, check, document(target, result, paths, check, example), example)
    if not check["ok"]:
        outcome.error, outcome.exit_code = mismatch(target, check), ExitCode.INTERNAL
    return outcome


def example_row(dataset, example_problem, row: int) -> dict:
    """Row ``row`` (0-based) of the data set: the values of the columns the loss uses, or a
    GdxError when it is not one of rows 0 … N−1."""
    N = dataset.rows
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < N:
        raise GdxError(f"--row {row} is out of range: {dataset.source} has {N} row{'s' if N != 1 else ''} "
                       f"(0 … {N - 1})", kind="usage error",
                       hint="rows count from 0, the first row after the header; a minibatch run's --json "
                            "lists the rows of every batch by these indices")
    used = [name for name in example_problem.variables if name in dataset.columns]
    return {"source": dataset.source, "row": row, "rows": N,
            "values": {name: float(dataset.values[row, dataset.columns.index(name)]) for name in used}}


def _example_objective(target, row: int, budget):
    """ℓ(θ; d_row) and ∇_θ ℓ compiled symbolically: the mean objective over that one row."""
    from ..data import DataSet
    from ..mean import compile_mean

    d = target.data
    one = DataSet(d.source, d.columns, d.values[row:row + 1])
    return compile_mean(target.example, one, target.problem.variables, timeout=budget)


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


def document(target, result, paths, check, example=None) -> dict:
    """The --json document: variables, output, nodes, gradient, gradient_check (and the flow);
    with --data, ``data``: the file, the row and its values (the ``data`` nodes)."""
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
        "data": None if example is None else {**example, "values": {k: json_number(v) for k, v in example["values"].items()}},
    }
