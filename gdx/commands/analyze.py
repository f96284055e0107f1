"""``gdx analyze FUNCTION``: the calculus of a landscape (f, ∇f, H, critical points, a point)."""

from __future__ import annotations

from typing import Optional

import typer

HELP = """Show the calculus behind FUNCTION: f, every partial derivative, the gradient, the Hessian,
and every critical point (∇f = 0) in a box, classified as minimum, maximum, saddle or degenerate.

With --at, also the local picture there: f, ∇f, H, H's eigenvalues and eigenvectors, the
condition number, the steepest-descent direction, the Newton step, the largest stable learning
rate of plain gradient descent (2/λmax) and the contraction per step it can reach, and a
finite-difference check that flags points where f is not differentiable.

A vector-valued FUNCTION ("x*y, x+y^2") shows its Jacobian (and at --at its value and
determinant).  Critical points are searched exactly (sympy, bounded by --timeout) and
numerically (Newton on ∇f = 0 from a grid of starts), always both.
"""

EPILOG = (
    'Examples:  gdx analyze himmelblau   ·   gdx analyze "x^2 + 3*y^2" --at "1,1"   ·   '
    'gdx analyze six-hump-camel --json   ·   gdx analyze "x^4 - 2*x^2 + y^2" --box "x=-2:2,y=-1:1"   ·   '
    'gdx analyze "x*y, x+y^2" --at "1,2"'
)


def register(app: typer.Typer) -> None:
    app.command("analyze", help=HELP, epilog=EPILOG)(analyze)


def analyze(
    function: str = typer.Argument(..., help="Expression, preset name or preset .toml file (or a vector: \"x*y, x+y^2\").", show_default=False),
    at: Optional[str] = typer.Option(None, "--at", help='Analyze this point: "1.5,-0.5" or "x=1.5,y=-0.5".'),
    box: Optional[str] = typer.Option(
        None, "--box", help='Box for critical points: "x=-5:5,y=-2:2" (or "-5:5,-2:2" in variable order). \\[default: the preset\'s domain, else -5:5 per variable]'
    ),
    variables: Optional[str] = typer.Option(None, "--vars", help='Variable order, e.g. "y,x". \\[default: natural sort]'),
    timeout: float = typer.Option(3.0, "--timeout", help="Seconds for exact solving of ∇f = 0, which runs alongside the numeric search (0: numeric search only)."),
    no_critical: bool = typer.Option(False, "--no-critical", help="Skip the critical-point search."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else."),
) -> None:
    from ..render.console import write_json

    from ..errors import GdxError
    from ..target import parse_point, resolve_target

    if not timeout >= 0:
        raise GdxError(f"Invalid timeout value: {timeout}", kind="usage error", hint="--timeout must be 0 or more seconds")
    target = resolve_target(function, variables, allow_vector=True)
    problem = target.problem
    point = parse_point(at, problem.variables, flag="--at") if at is not None else None
    if problem.is_vector:
        doc, show = _vector(target, point)
    else:
        doc, show = _scalar(target, point, box, timeout, not no_critical)
    if json_out:
        from ..render.console import make_console

        out = make_console()
        write_json(out, doc)
        return
    from ..render.console import make_console

    show(make_console())


def _scalar(target, point, box_spec, timeout, critical):
    from ..analysis import analyze_point, find_critical_points, tidy
    from ..landscape import default_box, parse_box
    from ..derive import compile_for_command
    from ..render.mathtext import math_text

    problem = target.problem
    box = default_box(target)
    if box_spec is not None:
        box = parse_box(box_spec, problem.variables, fill=box)
    compiled = compile_for_command(problem)  # ∇f, H: bounded by the default 10 s
    _ = compiled.hessian  # derive ∇f and H once, before anything is shown
    local = analyze_point(compiled, point) if point is not None and problem.n else None
    search = find_critical_points(compiled, box, timeout=timeout) if critical and problem.n else None
    doc = {
        "function": target.text,
        "preset": target.preset.name if target.preset is not None else None,
        "variables": list(problem.variables),
        "expression": math_text(problem.expr),
        "gradient": [math_text(tidy(g, problem.symbols)) for g in compiled.gradient],
        "hessian": [[math_text(tidy(h, problem.symbols)) for h in row] for row in compiled.hessian],
        "critical_points": [p.to_dict() for p in search.points] if search is not None else None,
        "critical_search": search.to_dict() if search is not None else None,
        "at": local.to_dict() if local is not None else None,
    }

    def show(console):
        from ..render.analysis import render_scalar

        render_scalar(console, target, compiled, search=search, local=local)

    return doc, show


def _vector(target, point):
    from ..analysis import analyze_vector
    from ..render.mathtext import math_text

    va = analyze_vector(target.problem, point)
    doc = {
        "function": target.text,
        "variables": list(va.variables),
        "components": [math_text(e) for e in va.components],
        "jacobian": [[math_text(e) for e in row] for row in va.jacobian],
        "at": None,
    }
    if point is not None:
        from ..analysis import _plain

        doc["at"] = {
            "at": [_plain(v) for v in va.at],
            "value": [_plain(v) for v in va.value],
            "jacobian": [[_plain(v) for v in row] for row in va.jacobian_at],
            "determinant": _plain(va.determinant),
        }

    def show(console):
        from ..render.analysis import render_vector

        render_vector(console, target, va)

    return doc, show
