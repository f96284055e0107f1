"""``gdx analyze FUNCTION``: flags → gdx.app.analyze → gdx.render.analysis."""

from __future__ import annotations

from typing import Optional

import typer

from . import common

HELP = (
    'Show the calculus behind FUNCTION: f, every partial derivative, the gradient, the Hessian, and '
    'every critical point (∇f = 0) in a box, classified as minimum, maximum, saddle or degenerate.\n\n'
    "With --at, also the local picture there: f, ∇f, H, H's eigenvalues and eigenvectors, the "
    'condition number, the steepest-descent direction, the Newton step, the largest stable learning '
    'rate of plain gradient descent (2/λmax) and the contraction per step it can reach, and a '
    'finite-difference check that flags points where f is not differentiable.\n\n'
    'A vector-valued FUNCTION ("x*y, x+y^2") shows its Jacobian (and at --at its value and '
    'determinant). Critical points are searched exactly (sympy) and numerically (Newton on ∇f = 0 '
    'from a grid of starts), always both. --timeout bounds all the symbolic work: the derivatives '
    'must finish within it (exit 3 otherwise); exact solving gets what is left (by default at most 3 '
    's of it) and, when that runs out, the numeric search answers alone.'
)

EPILOG = (
    'Examples:\n\n'
    'gdx analyze himmelblau\n\n'
    'gdx analyze "x^2 + 3*y^2" --at "1,1"\n\n'
    'gdx analyze six-hump-camel --json\n\n'
    'gdx analyze "x^4 - 2*x^2 + y^2" --box "x=-2:2,y=-1:1"\n\n'
    'gdx analyze "x*y, x+y^2" --at "1,2"'
)


def register(app: typer.Typer) -> None:
    common.command(app, "analyze", help=HELP, epilog=EPILOG, options=common.problem_options)(analyze)


def analyze(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file (or a vector: \"x*y, x+y^2\").", show_default=False),
    at: Optional[str] = typer.Option(None, "--at", help='Analyze this point: "1.5,-0.5" or "x=1.5,y=-0.5".'),
    box: Optional[str] = typer.Option(
        None, "--box", help='Box for critical points: "x=-5:5,y=-2:2" (or "-5:5,-2:2" in variable order). [default: the preset\'s domain, else -5:5 per variable]'
    ),
    no_critical: bool = typer.Option(False, "--no-critical", help="Skip the critical-point search."),
    no_exact: bool = typer.Option(False, "--no-exact", help="Critical points by the numeric search only (no exact solving)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else."),
    **flags,
) -> None:
    from ..app.analyze import analyze as run_analyze

    outcome = run_analyze(function, at=at, box=box, variables=flags["variables"], timeout=flags["timeout"],
                          critical=not no_critical, exact=not no_exact, data=flags.get("data"))
    out = common.session(ctx).out()
    if json_out:
        from ..render.console import write_json

        write_json(out, outcome.document)
        return
    from ..render.analysis import render_scalar, render_vector

    if outcome.vector is not None:
        render_vector(out, outcome.target, outcome.vector)
    else:
        render_scalar(out, outcome.target, outcome.compiled, outcome.document, search=outcome.search, local=outcome.local)
