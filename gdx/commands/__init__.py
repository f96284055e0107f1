"""One module per gdx command; each has ``register(app)``.  Options shared by several live here."""

from __future__ import annotations


def timeout_option():
    """``--timeout SECONDS``: the bound on a command's symbolic work (gdx.derive)."""
    import typer

    return typer.Option(
        None,
        "--timeout",
        help="Bound, in seconds, on the symbolic work (gradient, Hessian, compiling them); exit 3 when hit. \\[default: 10]",
    )
