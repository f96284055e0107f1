"""SymPy expressions as one readable line: ``**`` written as ``^``, numbers as a person writes them.

SymPy carries a float coefficient with 15 digits (``0.5*x^2`` differentiates to ``1.0*x``, the
ill-conditioned preset's Hessian entry is ``101.000000000000``).  For display only:

* a Float equal to an integer (below 10^15, where a float still holds every integer exactly)
  becomes that Integer, so ``1.0*x`` → ``x`` and ``101.000000000000`` → ``101``;
* every other Float prints with the fewest digits that read back as the same float
  (``0.2*y``, not ``0.200000000000000*y``).

Only SymPy's own objects are rebuilt (``xreplace`` with ``Integer``); no text is ever sympified.
"""

from __future__ import annotations

EXACT_INTEGER_LIMIT = 10**15


def plain_numbers(expr):
    """``expr`` with every Float that equals an integer of magnitude < 10^15 replaced by that Integer."""
    from sympy import Float, Integer

    atoms = getattr(expr, "atoms", None)
    if atoms is None:
        return expr
    swap = {}
    for f in atoms(Float):
        value = float(f)
        if value.is_integer() and abs(value) < EXACT_INTEGER_LIMIT:
            swap[f] = Integer(int(value))
    return expr.xreplace(swap) if swap else expr


def problem_text(problem) -> str:
    """f of ``problem`` as :func:`math_text` writes it; a problem from the compiled cache carries
    that text (``expr_text``), so showing it parses nothing and needs no SymPy."""
    text = getattr(problem, "expr_text", None)
    return text if text else math_text(problem.expr)


def math_text(expr) -> str:
    """``2*x**2 + 3*y`` → ``2*x^2 + 3*y``; ``1.0*x`` → ``x``; ``0.200000000000000*y`` → ``0.2*y``."""
    from sympy import sstr

    return sstr(plain_numbers(expr), full_prec=False).replace("**", "^")
