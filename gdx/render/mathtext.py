"""SymPy expressions as one readable line: ``**`` written as ``^``."""

from __future__ import annotations


def math_text(expr) -> str:
    """``2*x**2 + 3*y`` → ``2*x^2 + 3*y``."""
    from sympy import sstr

    return sstr(expr).replace("**", "^")
