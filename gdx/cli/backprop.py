"""``gdx backprop FUNCTION --at POINT``: flags → gdx.app.backprop → gdx.render.backprop."""

from __future__ import annotations

from typing import Optional

import typer

from . import common

HELP = (
    "Show the chain rule at work: the computation graph of FUNCTION as you typed it, a forward pass "
    "(each node's value) and a backward pass (each node's adjoint ∂f/∂node, accumulated in reverse "
    "mode, with the local derivative on every edge) at a point.\n\n"
    "The gradient flow writes ∂f/∂variable as a sum over the paths from the output to the variable, "
    "each a product of local derivatives; factors below 0.1 in size (vanishing) or above 10 "
    "(exploding) are marked. The leaves are checked against the symbolic gradient. "
    "--explain walks both passes one line of arithmetic per step; --json prints every node."
)

EPILOG = (
    'Examples:\n\n'
    'gdx backprop "tanh(w2*tanh(w1))" --at "w1=3,w2=0.5"\n\n'
    'gdx backprop deep-sigmoid\n\n'
    'gdx backprop "sigmoid(w*x + b)" --at "b=0,w=1,x=2" --explain\n\n'
    'gdx backprop xor-net --json\n\n'
    'gdx backprop "(w*x + b - y)^2" --data points.csv --row 3 --at "b=0,w=1"'
)


def register(app: typer.Typer) -> None:
    common.command(app, "backprop", help=HELP, epilog=EPILOG, options=common.problem_options)(backprop)


def backprop(
    ctx: typer.Context,
    function: str = typer.Argument(..., metavar="FUNCTION", help="Expression, preset name or preset .toml file.", show_default=False),
    at: Optional[str] = typer.Option(None, "--at", help='The point: "1.5,-0.5" or "x=1.5,y=-0.5". [default: the preset\'s start, else 1.5 for every variable]'),
    row: Optional[int] = typer.Option(None, "--row", help="With --data: the example (0-based row after the header) whose loss is drawn; its columns are data nodes. [default: 0]"),
    explain: bool = typer.Option(False, "--explain", help="Plain text, step by step: the forward pass, then the backward pass."),
    depth: int = typer.Option(12, "--depth", min=1, help="Levels of the graph drawn before a subtree is collapsed to a count."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document (every node) and nothing else."),
    **flags,
) -> None:
    from ..app.backprop import backprop as run_backprop

    outcome = run_backprop(function, at=at, variables=flags["variables"], timeout=flags["timeout"],
                           data=flags["data"], row=row)
    out = common.session(ctx).out()
    if json_out:
        from ..render.console import write_json

        write_json(out, outcome.document)
    elif explain:
        from ..render.backprop import render_explain

        render_explain(out, outcome)
    else:
        from ..render.backprop import render_backprop

        render_backprop(out, outcome, depth=depth)
    if outcome.error is not None:
        raise outcome.error  # shown on stderr after the output (main prints it)
    common.finish(outcome.exit_code)
