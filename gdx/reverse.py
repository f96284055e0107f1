"""∇f by reverse mode on the SymPy expression graph: one backward sweep instead of n ``diff`` calls.

The rule (micrograd's backward pass, on SymPy nodes): list the nodes of f that depend on a
variable in topological order (a node shared by several parents -- SymPy expressions are
hashed structurally -- is one node); the adjoint of f is 1; visiting nodes from f down, each
node's adjoint ``ū = Σ_parents p̄ · ∂p/∂u`` is handed to its arguments with the local partials

* ``a + b + …``: 1 for every argument;
* ``a · b · …``: the product of the other arguments;
* ``b ** e``: ``e · b**(e−1)`` for the base, ``b**e · log(b)`` for the exponent;
* a function ``g(u₁, …)`` whose derivative SymPy defines by the chain rule on ``fdiff``
  (sin, exp, log, tanh, atan2, …, and any function added to the parser later): ``g.fdiff(k)``;
* anything else (``Abs``, ``sign``, ``Max``, ``Piecewise``, … which define their own
  derivative): SymPy's ``diff`` of that node for each variable it contains, times its adjoint.

The adjoint of a variable is its partial derivative.  Cost: one visit per node and per edge,
so a sum of n terms costs O(n) instead of n ``diff`` passes over the whole sum (O(n²)).  The
result is mathematically SymPy's ``diff`` (tests/test_reverse.py checks 1e-12 agreement on
the test corpus); its printed form may differ, so it is used only for large functions
(:func:`gdx.compile.gradient_of`).
"""

from __future__ import annotations


def reverse_gradient(expr, symbols) -> tuple:
    """(∂f/∂x₁, …, ∂f/∂xₙ) of a SymPy expression, by one reverse sweep (see the module docstring)."""
    import sympy
    from sympy.core.function import Function

    wanted = set(symbols)
    order = _topological(expr, wanted)
    adjoints: dict = {expr: [sympy.Integer(1)]}
    partials: dict = {s: [] for s in symbols}
    for node in order:
        parts = adjoints.pop(node, None)
        if not parts:
            continue
        bar = sympy.Add(*parts)
        if node in wanted:
            partials[node].append(bar)
            continue
        if node.is_Add:
            for arg in node.args:
                _give(adjoints, arg, bar, wanted)
        elif node.is_Mul:
            args = node.args
            for i, arg in enumerate(args):
                if arg.free_symbols & wanted:
                    _give(adjoints, arg, bar * sympy.Mul(*(args[:i] + args[i + 1:])), wanted)
        elif node.is_Pow:
            base, exp = node.args
            if base.free_symbols & wanted:
                _give(adjoints, base, bar * exp * base ** (exp - 1), wanted)
            if exp.free_symbols & wanted:
                _give(adjoints, exp, bar * node * sympy.log(base), wanted)
        elif isinstance(node, Function) and type(node)._eval_derivative is Function._eval_derivative:
            for k, arg in enumerate(node.args, start=1):
                if arg.free_symbols & wanted:
                    _give(adjoints, arg, bar * node.fdiff(k), wanted)
        else:
            for s in node.free_symbols & wanted:
                partials[s].append(bar * node.diff(s))
    return tuple(sympy.Add(*partials[s]) for s in symbols)


def _give(adjoints: dict, arg, contribution, wanted) -> None:
    if arg.free_symbols & wanted:
        adjoints.setdefault(arg, []).append(contribution)


def _topological(expr, wanted) -> list:
    """The nodes of ``expr`` that contain a wanted symbol, every parent before its arguments."""
    post: list = []
    seen: set = set()
    stack = [(expr, False)]
    while stack:
        node, done = stack.pop()
        if done:
            post.append(node)
            continue
        if node in seen or not (node.free_symbols & wanted):
            continue
        seen.add(node)
        stack.append((node, True))
        if node not in wanted and (node.is_Add or node.is_Mul or node.is_Pow or _chain_rule_function(node)):
            stack.extend((arg, False) for arg in node.args)
    post.reverse()
    return post


def _chain_rule_function(node) -> bool:
    from sympy.core.function import Function

    return isinstance(node, Function) and type(node)._eval_derivative is Function._eval_derivative
