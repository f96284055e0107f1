"""The functions neural networks use, as SymPy functions: derivatives, display and numpy code.

Each class is a SymPy ``Function`` whose ``fdiff`` is its derivative (the rules, torch's kink
conventions included, are in :mod:`gdx.activations`), whose ``_numpycode`` calls the numpy
function of the same concern in :mod:`gdx.activations` by a plain name (compiled code stays
one checked function of names in gdx.derive's namespace), and which prints as typed
(``sigmoid(x)``, ``max(x, y)``).  A step's own derivative is 0 wherever f is smooth (as
gdx.compile drops DiracDelta), so a Hessian through relu is 0 off the kink.

The parser (:data:`gdx.parse.FUNCTIONS`) maps the names users type to these classes; user text
never reaches them as code.
"""

from __future__ import annotations

import sympy
from sympy import Function, Integer, Rational, exp, pi, sqrt
from sympy.core.logic import fuzzy_and


class _Real(Function):
    """Real for real arguments; printed as ``name(args)`` with :attr:`typed` as the name."""

    typed = ""

    def _eval_is_extended_real(self):
        return fuzzy_and(a.is_extended_real for a in self.args)

    def _sympystr(self, printer):
        return f"{self.typed or type(self).__name__}({', '.join(printer._print(a) for a in self.args)})"

    def _numpycode(self, printer):
        return f"{type(self).__name__}({', '.join(printer._print(a) for a in self.args)})"


class step(_Real):
    """Heaviside step with a value at 0: step(u, h0) = 0 for u < 0, h0 at 0, 1 for u > 0."""

    nargs = 2

    def fdiff(self, argindex=1):
        return Integer(0)

    def _numpycode(self, printer):
        return f"heaviside({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class sigmoid(_Real):
    """σ(x) = 1/(1 + e^(−x)); σ′ = σ·(1 − σ)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))


class relu(_Real):
    """relu(x) = max(x, 0); relu′ = step(x, 0) (0 at the kink, as torch)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return step(self.args[0], Integer(0))


class leaky_relu(_Real):
    """leaky_relu(x, a) = x for x > 0, else a·x; ∂/∂x = step(x, 0) + a·(1 − step(x, 0)) (a at 0,
    as torch); ∂/∂a = x·(1 − step(x, 0))."""

    nargs = 2

    def fdiff(self, argindex=1):
        x, a = self.args
        h = step(x, Integer(0))
        return h + a * (1 - h) if argindex == 1 else x * (1 - h)


class softplus(_Real):
    """softplus(x) = log(1 + e^x); softplus′ = σ."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])


class Phi(_Real):
    """Φ(x), the standard normal distribution function; Φ′(x) = e^(−x²/2)/√(2π)."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = self.args[0]
        return exp(-x**2 / 2) / sqrt(2 * pi)


class gelu(_Real):
    """gelu(x) = x·Φ(x) (exact, torch's default); gelu′ = Φ(x) + x·e^(−x²/2)/√(2π)."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = self.args[0]
        return Phi(x) + x * exp(-x**2 / 2) / sqrt(2 * pi)


class maximum(_Real):
    """max(a, b); ∂/∂a = step(a − b, ½), ∂/∂b = step(b − a, ½) (a tie splits evenly, as torch)."""

    nargs = 2
    typed = "max"

    @classmethod
    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return sympy.Max(a, b)
        return a if a == b else None

    def fdiff(self, argindex=1):
        a, b = self.args
        return step(a - b if argindex == 1 else b - a, Rational(1, 2))


class minimum(_Real):
    """min(a, b); ∂/∂a = step(b − a, ½), ∂/∂b = step(a − b, ½) (a tie splits evenly, as torch)."""

    nargs = 2
    typed = "min"

    @classmethod
    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return sympy.Min(a, b)
        return a if a == b else None

    def fdiff(self, argindex=1):
        a, b = self.args
        return step(b - a if argindex == 1 else a - b, Rational(1, 2))


#: SymPy constructor names of :data:`gdx.parse.FUNCTIONS` that are classes here.
CLASSES = {c.__name__: c for c in (sigmoid, relu, leaky_relu, softplus, gelu, maximum, minimum, Phi, step)}
