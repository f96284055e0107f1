"""Problem → numeric functions f, ∇f and H of one vector argument.

The gradient ∂f/∂xᵢ and Hessian ∂²f/∂xᵢ∂xⱼ are derived symbolically (each once, on first use)
and compiled with ``lambdify(..., modules="numpy", cse=True)``.  Every compiled function takes
``x`` with the variables on the **last** axis, so one call evaluates a single point
(shape ``(n,)``) or a whole batch of points (shape ``(..., n)``) at once.

Symbols are passed to ``lambdify`` with ``dummify=True``: the generated code names them
``_Dummy_…``, so no user-chosen name is ever pasted into code.  A constant entry of a
compiled gradient or Hessian comes back as a Python scalar; it is broadcast to the batch shape
(DESIGN.md, "Known traps").
"""

from __future__ import annotations

from functools import cached_property

from .parse import Problem


def _lambdify(symbols, exprs):
    """Compile a list of expressions into one function of one vector argument."""
    from sympy import lambdify

    from .activations import NUMPY_FUNCTIONS

    return lambdify([list(symbols)], list(exprs), modules=[NUMPY_FUNCTIONS, "numpy"], cse=True, dummify=True)


def _without_distributions(expr):
    """Replace DiracDelta(·) by 0: d/dx sign(x) is 0 everywhere the function is smooth."""
    import sympy

    return expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))


def gradient_of(problem: Problem) -> tuple:
    """∇f = (∂f/∂x₁, …, ∂f/∂xₙ) as SymPy expressions."""
    return tuple(_without_distributions(problem.expr.diff(s)) for s in problem.symbols)


def hessian_of(problem: Problem, gradient: tuple) -> tuple:
    """H[i][j] = ∂²f/∂xᵢ∂xⱼ, from the gradient (upper triangle derived, mirrored: H is symmetric)."""
    syms = problem.symbols
    n = len(syms)
    rows = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            rows[i][j] = rows[j][i] = _without_distributions(gradient[i].diff(syms[j]))
    return tuple(tuple(r) for r in rows)


def jacobian_of(problem: Problem) -> tuple:
    """J[i][j] = ∂fᵢ/∂xⱼ for a vector-valued problem."""
    return tuple(tuple(_without_distributions(e.diff(s)) for s in problem.symbols) for e in problem.exprs)


class Compiled:
    """Fast numeric f, ∇f, H for a scalar :class:`Problem`; each piece derived once, lazily.

    ``gradient`` and ``hessian`` may be passed in when they were derived elsewhere (for
    example in a time-bounded child process); otherwise they are derived on first use.
    """

    def __init__(self, problem: Problem, gradient: tuple | None = None, hessian: tuple | None = None) -> None:
        self.problem = problem
        self.variables = problem.variables
        self.n = problem.n
        if gradient is not None:
            self.__dict__["gradient"] = gradient
        if hessian is not None:
            self.__dict__["hessian"] = hessian
        self.nfev = 0  # evaluations of f (alone or with the gradient)
        self.njev = 0  # evaluations of the gradient
        self.nhev = 0  # evaluations of the Hessian

    # -- symbolic ---------------------------------------------------------------------------
    @cached_property
    def gradient(self) -> tuple:
        return gradient_of(self.problem)

    @cached_property
    def hessian(self) -> tuple:
        return hessian_of(self.problem, self.gradient)

    # -- compiled ---------------------------------------------------------------------------
    @cached_property
    def _f(self):
        return _lambdify(self.problem.symbols, [self.problem.expr])

    @cached_property
    def _fg(self):
        # f and ∇f in one function: common sub-expressions are computed once for both.
        return _lambdify(self.problem.symbols, [self.problem.expr, *self.gradient])

    @cached_property
    def _h(self):
        return _lambdify(self.problem.symbols, [e for row in self.hessian for e in row])

    def warm(self, *, hessian: bool = False) -> None:
        """Build the compiled functions now (so timing a run measures iterations only)."""
        self._fg
        if hessian:
            self._h

    def value(self, x):
        """f(x) for x of shape (..., n): a float, or an array of shape (...)."""
        import numpy as np

        x = np.asarray(x, dtype=float)
        self.nfev += 1
        (f,) = self._f(_columns(x))
        return _as_batch(f, x.shape[:-1])

    def value_and_grad(self, x):
        """(f(x), ∇f(x)) for x of shape (..., n); ∇f has the shape of x."""
        import numpy as np

        x = np.asarray(x, dtype=float)
        self.nfev += 1
        self.njev += 1
        if x.ndim == 1:  # one point: the fast path of the iteration loop
            out = self._fg(x)
            return float(out[0]), np.array(out[1:], dtype=float)
        out = self._fg(_columns(x))
        return _as_batch(out[0], x.shape[:-1]), _stack(out[1:], x.shape)

    def grad(self, x):
        """∇f(x), with the shape of x."""
        return self.value_and_grad(x)[1]

    def hess(self, x):
        """H(x) of shape (..., n, n)."""
        import numpy as np

        x = np.asarray(x, dtype=float)
        self.nhev += 1
        out = self._h(_columns(x))
        return _stack(out, x.shape[:-1] + (self.n * self.n,)).reshape(x.shape[:-1] + (self.n, self.n))


def _columns(x):
    """The variables as the leading axis, so ``[x, y] = arg`` unpacks them in generated code."""
    return x if x.ndim == 1 else x.T if x.ndim == 2 else x.transpose((x.ndim - 1, *range(x.ndim - 1)))


def _as_batch(value, batch_shape):
    import numpy as np

    if not batch_shape:
        return float(value)
    return np.broadcast_to(np.asarray(value, dtype=float), batch_shape).copy()


def _stack(parts, shape):
    """Stack compiled components on a last axis; scalars (constant entries) are broadcast."""
    import numpy as np

    if len(shape) == 1:
        return np.array(parts, dtype=float).reshape(shape)
    batch = shape[:-1]
    return np.stack([np.broadcast_to(np.asarray(p, dtype=float), batch) for p in parts], axis=-1)


def compile_problem(problem: Problem) -> Compiled:
    """The numeric functions of a scalar problem (derivatives derived on first use)."""
    return Compiled(problem)
