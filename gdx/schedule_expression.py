"""A learning-rate schedule typed as an expression in ``k`` (the update index, 0 for the first
update) and ``lr`` (the run's ``--lr``), e.g. ``lr*min(1, (k+1)/100)*(1 + cos(pi*k/1000))/2``.

The rule, in order:

1. The text is read by gdx's allow-listed parser (:func:`gdx.parse.parse_function`, with its
   :data:`~gdx.parse.LIMITS`: length, depth, exponents ≤ 1000, bounded constants), with the
   functions of :data:`gdx.parse.FUNCTIONS` plus ``min``, ``max``, ``floor``, ``ceil``
   (:data:`gdx.parse.PIECEWISE_FUNCTIONS`).  The only names allowed are ``k`` and ``lr``;
   any other is refused with a caret under it.
2. The SymPy expression is printed as numpy source once, in a child process bounded like the
   derivatives (:func:`gdx.sandbox.bounded`), by ``lambdify`` with :class:`_Printer`: floats
   are written with all 17 significant digits (SymPy's printer keeps 15), ``Min``/``Max`` as
   nested ``minimum``/``maximum``, and a product with a rational coefficient p/q as
   ``(p·rest)/q`` — one correctly rounded division, the order ``pi*k/T`` that torch and
   :mod:`gdx.schedules` use, instead of SymPy's ``(1/T)*pi*k``.  The parent checks the source
   with :func:`gdx.derive.check_generated` and only then executes it.
3. lr(k) for a scalar k is a float (for a float ``lr``) or an array of lr's shape (for a
   sweep's (B, 1) column).  Every value must be finite and ≥ 0: with the run's steps known,
   k = 0 … steps (the loop also reads lr at its last point) are evaluated at once, vectorized,
   before the run, and the first bad k is refused; any other call refuses a bad value naming k.
"""

from __future__ import annotations

import re

from .errors import GdxError

_KIND = "invalid schedule"
VARIABLES = ("k", "lr")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_HINT = "a schedule expression uses k (the update index, 0 for the first update) and lr (--lr)"
#: columns of k evaluated at once by the up-front check (bounds its memory for a wide sweep).
CHUNK = 1 << 18


def is_expression(text: str) -> bool:
    """Whether ``--schedule`` text is an expression rather than a schedule name: anything but a
    plain word, and the words ``k`` and ``lr``."""
    return isinstance(text, str) and (text.strip() in VARIABLES or not _WORD.match(text.strip()))


def parse_schedule(text: str):
    """The checked SymPy expression of ``text`` and its symbols (k, lr); GdxError otherwise."""
    import sympy

    from .parse import FUNCTIONS, PIECEWISE_FUNCTIONS, _find_name, parse_function

    problem = parse_function(text, functions={**FUNCTIONS, **PIECEWISE_FUNCTIONS})
    for name in problem.variables:
        if name not in VARIABLES:
            raise GdxError(f"unknown name '{name}' in the schedule", kind=_KIND, source=text,
                           span=_find_name(text, name), hint=_HINT)
    symbols = tuple(sympy.Symbol(v, real=True) for v in VARIABLES)
    return problem.expr, symbols


def _generated_source(expr, symbols) -> str:
    """In the bounded child: the numpy source of (k, lr) ↦ expr."""
    import inspect

    from sympy import lambdify

    return inspect.getsource(lambdify(list(symbols), expr, modules="numpy", printer=_printer(), dummify=True))


def _printer():
    """lambdify's numpy printer with the three changes of the module docstring (rule 2)."""
    import sympy
    from sympy.printing.numpy import NumPyPrinter

    class _Printer(NumPyPrinter):
        def _print_Float(self, expr):
            return repr(float(expr))

        def _print_Min(self, expr):
            return self._nested("minimum", expr.args)

        def _print_Max(self, expr):
            return self._nested("maximum", expr.args)

        def _nested(self, fn, args):
            out = self._print(args[-1])
            for a in reversed(args[:-1]):
                out = f"{fn}({self._print(a)}, {out})"
            return out

        def _print_Mul(self, expr):
            coeff, rest = expr.as_coeff_Mul()
            if isinstance(coeff, sympy.Rational) and coeff.q != 1 and rest != 1:
                return f"({self._print(coeff.p * rest)})/{coeff.q}"
            return super()._print_Mul(expr)

    return _Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": False,
                     "user_functions": {}})


def compile_schedule(text: str, *, timeout=None):
    """The numpy function (k, lr) ↦ lr(k) of ``text`` (rules 1 and 2)."""
    from .derive import function_from_source
    from .sandbox import DEFAULT_TIMEOUT, bounded

    expr, symbols = parse_schedule(text)
    source = bounded(_generated_source, expr, symbols, timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
                     what="compiling the schedule expression")
    return function_from_source(source)


class ExpressionSchedule:
    """k ↦ the learning rate of update k given by an expression (module docstring, rule 3)."""

    observes_loss = False

    def __init__(self, text: str, lr, function) -> None:
        self.text, self.lr, self.function = text, lr, function

    def values(self, k):
        """lr(k) for an array (or scalar) k and this schedule's lr, broadcast together, unchecked."""
        import numpy as np

        with np.errstate(all="ignore"):
            out = self.function(k, self.lr)
        return np.broadcast_to(np.asarray(out, dtype=float), np.broadcast_shapes(np.shape(k), np.shape(self.lr)))

    def __call__(self, k):
        import numpy as np

        value = self.values(float(k))
        bad = ~(np.isfinite(value) & (value >= 0))
        if bad.any():
            raise self._bad(int(k), value[bad].flat[0])
        return float(value) if value.ndim == 0 else value.copy()

    def check(self, last: int) -> None:
        """Refuse the schedule when lr(k) is non-finite or negative for some k = 0 … last
        (evaluated vectorized, in chunks of :data:`CHUNK` values of k)."""
        import numpy as np

        lr = np.asarray(self.lr, dtype=float)
        rows = lr.reshape(-1, 1) if lr.ndim else lr
        for start in range(0, last + 1, max(1, CHUNK // max(1, rows.size))):
            k = np.arange(start, min(last + 1, start + max(1, CHUNK // max(1, rows.size))), dtype=float)
            with np.errstate(all="ignore"):
                value = np.broadcast_to(np.asarray(self.function(k, rows), dtype=float), np.broadcast_shapes(k.shape, rows.shape))
            bad = ~(np.isfinite(value) & (value >= 0))
            if bad.any():
                column = int(np.flatnonzero(bad.reshape(-1, k.size).any(axis=0))[0])
                first = value.reshape(-1, k.size)[:, column]
                raise self._bad(int(k[column]), first[~(np.isfinite(first) & (first >= 0))][0])

    def _bad(self, k: int, value) -> GdxError:
        from .numbers import fmt

        return GdxError(f"the schedule gives lr = {fmt(value)} at k = {k}; a learning rate must be finite and ≥ 0",
                        kind=_KIND, source=self.text,
                        hint="k = 0 is the first update; change the expression (or --lr, --steps)")


def expression_schedule(text: str, lr, run_steps: int | None = None, *, timeout=None) -> ExpressionSchedule:
    """The schedule of expression ``text`` from base rate ``lr``, checked for k = 0 … run_steps
    when the run's steps are known."""
    schedule = ExpressionSchedule(text, lr, compile_schedule(text, timeout=timeout))
    if run_steps is not None:
        schedule.check(run_steps)
    return schedule
