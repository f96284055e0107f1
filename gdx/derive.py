"""The symbolic work of a run, bounded in time and memory: ∇f, H and their compiled code.

The rule: :func:`compile_bounded` does, in a child process forked by :mod:`gdx.sandbox`
(killed after ``timeout`` seconds, address space bounded), everything symbolic a run needs:

1. ∇f = (∂f/∂x₁, …, ∂f/∂xₙ) and H[i][j] = ∂²f/∂xᵢ∂xⱼ (:mod:`gdx.compile`'s derivation);
2. the Python source that ``lambdify(..., modules="numpy", cse=True, dummify=True)`` generates
   for f, (f, ∇f) and H -- common-subexpression elimination and printing of a large
   Hessian can take seconds, so they are bounded too.

The child sends back the SymPy expressions (pickled) and the generated source.  The parent
checks the source against an allow-list of syntax (names are generated ``_arg…``/``x…``
temporaries or numpy functions; calls of plain names; arithmetic; number literals -- no
attributes, no strings) and only then executes it in the namespace ``lambdify`` itself uses,
and hands everything to ``Compiled(problem, gradient=…, hessian=…)``.  User text never reaches
this code as code: it was parsed into SymPy objects by the allow-listed parser, and symbols
are dummified.

The Hessian is derived in the same child as the gradient (``hessian=True``, the default):
every optimize run needs it afterwards (diagnosis, Newton), it costs a few milliseconds for
ordinary functions, and deriving it later would be unbounded.
"""

from __future__ import annotations

import weakref

from .errors import GdxError
from .sandbox import DEFAULT_TIMEOUT, bounded

_FUNC = "_lambdifygenerated"


def compile_bounded(problem, *, timeout=DEFAULT_TIMEOUT, hessian: bool = True):
    """A :class:`gdx.compile.Compiled` whose symbolic work was done within ``timeout`` seconds
    (or before a :class:`gdx.sandbox.Deadline` ends).

    Raises ``GdxError(kind="timeout", exit_code=ExitCode.TIMEOUT)`` when the bound is hit, and
    a ``GdxError`` about ``problem.source`` when SymPy fails on the function
    (:func:`gdx.sandbox.library_error`) or it is complex-valued (:func:`gdx.parse.refuse_complex`).
    """
    from .compile import Compiled

    what = "the symbolic work (gradient" + (" and Hessian)" if hessian else ")")
    gradient, hess, sources = bounded(_derive, problem, hessian, timeout=timeout, what=what, source=problem.source)
    compiled = Compiled(problem, gradient=gradient, hessian=hess)
    for attr, source in sources.items():
        compiled.__dict__[attr] = function_from_source(source)  # the cached_property slots
    return compiled


#: Readings whose child may still be deriving (:func:`cancel_pending` stops them).
_PENDING: "weakref.WeakSet" = weakref.WeakSet()


def cancel_pending() -> None:
    """Stop and reap every child of :func:`start_reading` still at work (the command that asked
    for it has ended: a flag was refused after the function was read)."""
    for reading in list(_PENDING):
        reading.job.cancel()
    _PENDING.clear()


#: The two stages of one child that reads and derives a function (:func:`start_reading`).
READING = "reading the function"


class Reading:
    """A function being read and derived by one bounded child (:func:`start_reading`): its
    ``problem`` (a :class:`gdx.compiled_cache.CachedProblem`: variables and display text, no
    SymPy in this process) is known; :meth:`compiled` waits for the rest."""

    def __init__(self, problem, job, hessian: bool) -> None:
        self.problem, self.job, self.hessian = problem, job, hessian
        self.payload = None
        _PENDING.add(self)

    def compiled(self, timeout=DEFAULT_TIMEOUT):
        """The :class:`gdx.compiled_cache.CachedCompiled` of the child's sources, waiting at
        most ``timeout`` seconds (or until a Deadline) for the derivation; its payload stays in
        :attr:`payload` (what the compiled cache stores)."""
        from .compiled_cache import CachedCompiled
        from .sandbox import Deadline, check_timeout

        if not isinstance(timeout, Deadline):
            timeout = check_timeout(timeout)
        self.payload = self.job.result(timeout)
        return CachedCompiled(self.problem, self.payload)


def start_reading(text: str, variables=None, *, timeout=DEFAULT_TIMEOUT, hessian: bool = True) -> Reading:
    """One bounded child parses ``text`` (:func:`gdx.parse.parse_function`), sends back its
    variables and display text as soon as it is read, then derives ∇f (and H) and generates
    their sources; this process never imports SymPy.

    The rule: the static checks (characters, syntax, limits) run here, before the fork; reading
    is bounded by ``timeout`` (seconds, or a Deadline) and its timeout names "reading the
    function"; the derivation is bounded when :meth:`Reading.compiled` waits for it, and its
    timeout names the symbolic work, as :func:`compile_bounded`'s.  Meanwhile the child works on
    while this process checks the rest of the command."""
    from .compiled_cache import CachedProblem
    from .parse import check_static
    from .sandbox import Deadline, _timeout_error, check_timeout, start

    check_static(text, variables)  # over-limit text is refused here, before SymPy and the fork
    if not isinstance(timeout, Deadline):
        timeout = check_timeout(timeout)
    elif timeout.expired:
        raise _timeout_error(READING, timeout.seconds)
    what = "the symbolic work (gradient" + (" and Hessian)" if hessian else ")")
    job = start(_read_and_derive, text, variables, hessian, what=what, source=text, partial=True)
    import numpy  # noqa: F401 - the run needs it: imported while the child reads

    names, f_text = job.partial(timeout, what=READING)
    return Reading(CachedProblem(text, tuple(names), f_text), job, hessian)


def _read_and_derive(text: str, variables, hessian: bool) -> dict:
    """In the child of :func:`start_reading`: parse, send (variables, display text of f), derive,
    and return the compiled cache's payload (gdx.compiled_cache.payload_of)."""
    from .compiled_cache import payload_of
    from .parse import parse_function
    from .render.mathtext import math_text
    from .sandbox import send_partial

    problem = parse_function(text, variables)
    send_partial((problem.variables, math_text(problem.expr)))
    gradient, hess, sources = _derive(problem, hessian)
    return payload_of(problem.variables, sources, problem.expr, gradient, hess)


def compile_for_command(problem, timeout=None):
    """compile_bounded with a command's --timeout (None: DEFAULT_TIMEOUT), checked > 0.

    ``timeout`` may also be a :class:`gdx.sandbox.Deadline`: the command's shared budget.
    """
    from .sandbox import Deadline, check_timeout

    if isinstance(timeout, Deadline):
        return compile_bounded(problem, timeout=timeout)
    return compile_bounded(problem, timeout=DEFAULT_TIMEOUT if timeout is None else check_timeout(timeout))


def _derive(problem, hessian: bool):
    """In the child: the derivatives and the generated source of f, (f, ∇f) and H."""
    from .compile import REVERSE_MODE_ABOVE, gradient_of, hessian_of, lambdify_source, value_only
    from .parse import refuse_complex

    refuse_complex(problem.exprs, problem.source)
    gradient = tuple(_settled(e, problem) for e in gradient_of(problem))
    refuse_complex(gradient, problem.source, what="its gradient")
    fg = lambdify_source(problem.symbols, [problem.expr, *gradient], float_literals=True)
    # many variables: f's code cut out of (f, ∇f)'s, not printed (and cse'd) a second time
    f = value_only(fg) if problem.n > REVERSE_MODE_ABOVE else \
        lambdify_source(problem.symbols, [problem.expr], float_literals=True)
    sources = {"_f": f, "_fg": fg}
    hess = None
    if hessian:
        hess = tuple(tuple(_settled(e, problem) for e in row) for row in hessian_of(problem, gradient))
        sources["_h"] = lambdify_source(problem.symbols, [e for row in hess for e in row])
    return gradient, hess, sources


def _settled(expr, problem):
    """Derivatives SymPy leaves unevaluated: of sign(u) it is 0 wherever f is smooth; others are refused.

    (``abs(sqrt(x))``: SymPy does not know sqrt(x) is real, so d/dx sign(sqrt(x)) stays a
    ``Derivative``, which no numeric printer can compile.)
    """
    import sympy

    if not expr.has(sympy.Derivative):
        return expr
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Derivative) and isinstance(e.expr, sympy.sign), lambda e: sympy.Integer(0)
    )
    if expr.has(sympy.Derivative):
        raise GdxError(
            "the derivative of this function cannot be written in closed form",
            kind="math error",
            source=problem.source,
            hint="rewrite the function (for example without abs() of a non-real expression)",
        )
    return expr


# -- the parent side --------------------------------------------------------------------------
_NAMESPACE: dict | None = None

#: Every name ``lambdify(modules="numpy")``'s printer can write into generated code: the values of
#: ``sympy.printing.numpy._known_functions_numpy`` and ``_known_constants_numpy`` that numpy has,
#: the printer's own (abs, sign, minimum/maximum, amin/amax, heaviside, select, where, isnan, …) and
#: lambdify's default ``I`` (1j).  tests/test_derive_namespace.py checks it against the printer.
NUMPY_NAMES = (
    "abs", "amax", "amin", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "ceil", "cos", "cosh", "e", "euler_gamma", "exp", "exp2", "expm1", "floor", "heaviside", "hypot", "inf", "isinf",
    "isnan", "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2", "maximum", "minimum", "nan",
    "pi", "select", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "where",
)


def _namespace() -> dict:
    """The globals generated functions run in: exactly :data:`NUMPY_NAMES` from numpy, the
    numpy functions of :data:`gdx.activations.NUMPY_FUNCTIONS`, and ``I = 1j`` -- not ``from numpy import *`` as lambdify does (which imports numpy.testing,
    numpy.ma, f2py, … and needs sympy), so a cached function runs without either."""
    global _NAMESPACE
    if _NAMESPACE is None:
        import numpy

        from .activations import NUMPY_FUNCTIONS

        _NAMESPACE = {name: getattr(numpy, name) for name in NUMPY_NAMES if hasattr(numpy, name)}
        _NAMESPACE.update(NUMPY_FUNCTIONS)  # sigmoid, relu, … (gdx.nn_symbolic prints calls of them)
        _NAMESPACE["I"] = 1j
    return _NAMESPACE


def function_from_source(source: str):
    """Execute source generated by ``lambdify`` (checked by :func:`check_generated`) → the function."""
    import linecache

    namespace = dict(_namespace())
    check_generated(source, namespace)
    filename = f"<gdx-generated-{abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    local: dict = {}
    exec(compile(source, filename, "exec"), namespace, local)  # noqa: S102 - checked generated code
    function = local[_FUNC]
    function.gdx_source = source  # what the compiled cache stores
    return function


def check_generated(source: str, namespace: dict) -> None:
    """Refuse generated code that is anything but one function of arithmetic on numbers.

    Allowed: one ``def _lambdifygenerated(arg)``, assignments (tuple unpacking included) and a
    ``return``; names that are the function's argument, assigned in it, or numpy functions and
    constants from ``lambdify``'s namespace; calls of such names; + - * / ** and unary ±;
    int/float literals; lists and tuples.  Anything else (attributes, strings, subscripts,
    lambdas, imports, dunder names) is an internal error, never executed.
    """
    import ast

    tree = ast.parse(source)
    ok_nodes = (
        ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.Return, ast.List, ast.Tuple,
        ast.Name, ast.Load, ast.Store, ast.BinOp, ast.UnaryOp, ast.Call, ast.Constant,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
    )
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].name != _FUNC:
        raise _bad_code("not a single generated function")
    func = tree.body[0]
    local = {a.arg for a in func.args.args} | {
        n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ok_nodes) or func.decorator_list or func.returns:
            raise _bad_code(type(node).__name__)
        if isinstance(node, ast.Constant) and (isinstance(node.value, bool) or not isinstance(node.value, (int, float))):
            raise _bad_code(f"constant {node.value!r}")
        if isinstance(node, ast.Name):
            if node.id.startswith("__") or (node.id not in local and node.id not in namespace):
                raise _bad_code(f"name {node.id!r}")
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords):
            raise _bad_code("call")


def _bad_code(what: str) -> RuntimeError:
    return RuntimeError(f"generated code failed its check ({what}); please report this as a bug")
