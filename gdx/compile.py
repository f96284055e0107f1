"""Problem → numeric functions f, ∇f and H of one vector argument.

The gradient ∂f/∂xᵢ and Hessian ∂²f/∂xᵢ∂xⱼ are derived symbolically (each once, on first use)
and printed as ``lambdify(..., modules="numpy", cse=True)`` prints them.  Every compiled function takes
``x`` with the variables on the **last** axis, so one call evaluates a single point
(shape ``(n,)``) or a whole batch of points (shape ``(..., n)``) at once.

Symbols are renamed ``_arg0``, ``_arg1``, … before the code is printed (:func:`lambdify_source`), so
no user-chosen name is ever pasted into code.  A constant entry of a
compiled gradient or Hessian comes back as a Python scalar; it is broadcast to the batch shape
(DESIGN.md, "Known traps").
"""

from __future__ import annotations

from functools import cached_property

from .parse import Problem


#: The functions of :data:`gdx.activations.NUMPY_FUNCTIONS` by name, known here without numpy
#: (the printer writes calls of them; tests/test_derive_namespace.py checks both lists agree).
ACTIVATION_NAMES = ("sigmoid", "relu", "leaky_relu", "leaky_relu_slope", "leaky_relu_negative", "softplus", "Phi", "gelu")


def _lambdify(symbols, exprs, *, float_literals: bool = False):
    """Compile a list of expressions into one function of one vector argument: the source
    :func:`lambdify_source` writes, executed in gdx.derive's namespace (and checked there)."""
    from .derive import function_from_source

    return function_from_source(lambdify_source(symbols, exprs, float_literals=float_literals))


def lambdify_source(symbols, exprs, *, float_literals: bool = False) -> str:
    """The source ``lambdify([args], exprs, modules=[NUMPY_FUNCTIONS, "numpy"], cse=…)`` writes,
    without lambdify itself -- which imports numpy and fills a namespace only to execute the
    code (0.1 s in the bounded child, whose only product is this text).

    The symbols are written as generated names ``_arg0``, ``_arg1``, …, so no user-chosen name
    is pasted into code and nothing is substituted symbol by symbol (lambdify's ``dummify=True``:
    O(n · size), 10 s for a 100-variable Hessian): renamed by one ``xreplace`` per expression up
    to REVERSE_MODE_ABOVE variables (the text is then exactly lambdify's), by the printer beyond.
    A list that is mostly zeros (a large Hessian) is printed without them (:func:`_with_zeros`);
    cse shares sub-expressions except in a sum of local terms (a few entries per variable).
    ``float_literals``: the integer operands of + − × ÷ written as floats (:func:`_float_literals`:
    the same numbers, faster)."""
    from sympy import Symbol

    names = [Symbol(f"_arg{i}") for i in range(len(symbols))]
    table = dict(zip(symbols, names))
    exprs = list(exprs)
    kept = [i for i, e in enumerate(exprs) if not (e.is_Number and e == 0)]
    # beyond REVERSE_MODE_ABOVE variables the printer writes each variable as its generated name
    # (rebuilding every expression with xreplace costs more than deriving it); up to it the
    # expressions are renamed first, so the text is exactly lambdify's
    renamed = table if len(symbols) > REVERSE_MODE_ABOVE else None

    def named(parts):
        return parts if renamed else [e.xreplace(table) for e in parts]

    if not kept or len(kept) * 2 > len(exprs):
        source = _printed(names, named(exprs), cse=True, renamed=renamed)
    else:
        local = len(kept) <= 4 * len(symbols)  # a few entries a row (a sum of local terms): nothing worth sharing
        source = _with_zeros(_printed(names, named([exprs[i] for i in kept]), cse=not local, renamed=renamed), kept,
                             len(exprs))
    return _float_literals(source) if float_literals else source


def _printed(names, exprs, *, cse: bool, renamed: dict | None = None) -> str:
    """lambdify's own steps for ``modules=[NUMPY_FUNCTIONS, "numpy"]``, ``dummify=False``: its
    NumPyPrinter with the activations as user functions, SymPy's cse when asked, and its
    ``_EvaluatorPrinter`` writing ``def _lambdifygenerated(_Dummy_…): …``.  ``renamed``: symbol
    → generated name, printed instead of the symbol (cse's temporaries never take a name of
    ``exprs``' symbols, and no generated name is a temporary's ``x0, x1, …``)."""
    from sympy.printing.numpy import NumPyPrinter
    from sympy.utilities.lambdify import _EvaluatorPrinter

    settings = {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                "user_functions": {k: k for k in ACTIVATION_NAMES}}
    if renamed:
        class Renaming(NumPyPrinter):
            def _print_Symbol(self, expr):
                name = renamed.get(expr)
                return name.name if name is not None else super()._print_Symbol(expr)

        printer = Renaming(settings)
    else:
        printer = NumPyPrinter(settings)
    if cse:
        from sympy.simplify.cse_main import cse as common_subexpressions

        cses, body = common_subexpressions(exprs, list=False)
    else:
        cses, body = (), exprs
    return _EvaluatorPrinter(printer, False).doprint("_lambdifygenerated", [names], body, cses=cses)


def _with_zeros(source: str, kept: list, size: int) -> str:
    """A sparse list (most of a large Hessian is 0): ``source`` computes the entries at ``kept``;
    the same code returning the full list of ``size`` with literal 0 elsewhere (the printer and
    cse never see the zeros)."""
    import ast

    tree = ast.parse(source)
    body = tree.body[0].body
    values = body[-1].value.elts
    full: list = [ast.Constant(0)] * size
    for i, value in zip(kept, values):
        full[i] = value
    body[-1].value.elts = full
    return ast.unparse(tree) + "\n"


def value_only(source: str) -> str:
    """The code of f alone cut out of the code of (f, ∇f): the argument unpacking, then only the
    assignments f's value needs (read back from the return's first entry), then ``return [f]``.
    The same arithmetic as f in (f, ∇f), so value(x) and value_and_grad(x)[0] agree to the bit."""
    import ast

    tree = ast.parse(source)
    func = tree.body[0]
    unpack, *assigns, ret = func.body
    value = ret.value.elts[0]
    needed = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    kept = []
    for stmt in reversed(assigns):
        target = stmt.targets[0].id
        if target in needed:
            kept.append(stmt)
            needed |= {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
    ret.value.elts = [value]
    func.body = [unpack, *reversed(kept), ret]
    return ast.unparse(tree) + "\n"


#: Integers up to this size are exactly floats (2⁵³), so writing them as floats changes no number.
_EXACT_INT = 2**53


def _float_literals(source: str) -> str:
    """``source`` with every integer literal that is an operand of + − × ÷ (possibly under a
    unary −/+) written as a float: ``100*x1**2 + (1 - x)**2`` → ``100.0*x1**2 + (1.0 - x)**2``.

    The same numbers: numpy turns a Python int operand into the float64 of the same value
    before the operation (exact below 2⁵³, the only ones changed), and int ÷ int is Python's
    correctly rounded true division, as float ÷ float is.  Faster: a float operand skips
    numpy's conversion of the int (about 0.1 µs per operation, some 10 % of a 2-D
    Rosenbrock's f-and-∇f on 1000 points).  Exponents (``x**2``) and call arguments stay as
    they are."""
    import ast

    def floated(node):
        if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < _EXACT_INT:
            return ast.Constant(float(node.value))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            node.operand = floated(node.operand)
        return node

    tree = ast.parse(source)
    arithmetic = (ast.Add, ast.Sub, ast.Mult, ast.Div)
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, arithmetic):
            node.left, node.right = floated(node.left), floated(node.right)
    return ast.unparse(tree) + "\n"


def _without_distributions(expr):
    """Replace DiracDelta(·) by 0: d/dx sign(x) is 0 everywhere the function is smooth."""
    import sympy

    if expr.is_Atom or not expr.has(sympy.DiracDelta):
        return expr
    return expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))


#: Up to this many variables ∇f is SymPy's ``diff`` per variable (its printed forms are what gdx
#: shows); beyond, one reverse sweep (:mod:`gdx.reverse`), O(size of f) instead of O(n · size).
REVERSE_MODE_ABOVE = 16


def gradient_of(problem: Problem) -> tuple:
    """∇f = (∂f/∂x₁, …, ∂f/∂xₙ) as SymPy expressions (reverse mode beyond REVERSE_MODE_ABOVE variables)."""
    if problem.n > REVERSE_MODE_ABOVE:
        from .reverse import reverse_gradient

        return tuple(_without_distributions(g) for g in reverse_gradient(problem.expr, problem.symbols))
    return tuple(_without_distributions(problem.expr.diff(s)) for s in problem.symbols)


def hessian_of(problem: Problem, gradient: tuple) -> tuple:
    """H[i][j] = ∂²f/∂xᵢ∂xⱼ, from the gradient (upper triangle derived, mirrored: H is symmetric;
    beyond REVERSE_MODE_ABOVE variables each row is a reverse sweep of ∂f/∂xᵢ);
    0 without a ``diff`` where ∂f/∂xᵢ does not contain xⱼ (a sum of n local terms: O(n) diffs)."""
    import sympy

    syms = problem.symbols
    n = len(syms)
    if n > REVERSE_MODE_ABOVE:  # row i: one reverse sweep of ∂f/∂xᵢ
        from .reverse import reverse_gradient

        return tuple(tuple(_without_distributions(e) for e in reverse_gradient(g, syms)) for g in gradient)
    rows = [[None] * n for _ in range(n)]
    for i in range(n):
        present = gradient[i].free_symbols
        for j in range(i, n):
            entry = gradient[i].diff(syms[j]) if syms[j] in present else sympy.Integer(0)
            rows[i][j] = rows[j][i] = _without_distributions(entry)
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
        return _lambdify(self.problem.symbols, [self.problem.expr], float_literals=True)

    @cached_property
    def _fg(self):
        # f and ∇f in one function: common sub-expressions are computed once for both.
        return _lambdify(self.problem.symbols, [self.problem.expr, *self.gradient], float_literals=True)

    @cached_property
    def _fill(self):
        # the batched engine's kernel of (f, ∇f) (gdx.fill), or None when there is none
        from .fill import filling

        return filling(self._fg, self.n + 1)

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
