"""The generated f and (f, ∇f) code writes its integer operands as floats (gdx.compile._float_literals):
the same numbers as lambdify's own code, bit for bit, on batches and on single points."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from gdx.compile import Compiled, _lambdify
from gdx.parse import parse_function

FUNCTIONS = [
    "(1 - x)^2 + 100*(y - x^2)^2",
    "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "sin(x)*cos(y) + exp(x/5) + 0.1*y^2",
    "x/3 - 2^y + sqrt(x^2 + 1) - 7*x*y/2",
    "-20*exp(-0.2*sqrt((x^2 + y^2)/2)) - exp((cos(2*pi*x) + cos(2*pi*y))/2) + 20 + e",
    "abs(x) + 3*tanh(y) - 12345*x + 1/(1 + x^2 + y^2)",
    "log(1 + x^2) + 9007199254740993*y",  # an integer beyond 2^53 stays an integer
]


def int_operands(source: str) -> list:
    """Integer literals that are operands of + − × ÷ (directly or under a unary sign)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            for side in (node.left, node.right):
                if isinstance(side, ast.UnaryOp):
                    side = side.operand
                if isinstance(side, ast.Constant) and type(side.value) is int:
                    found.append(side.value)
    return found


@pytest.mark.parametrize("text", FUNCTIONS)
def test_float_literals_give_the_same_numbers_as_lambdify(text):
    problem = parse_function(text)
    c = Compiled(problem)
    rng = np.random.default_rng(len(text))
    batch = rng.uniform(-3, 3, size=(2, 257))  # the variables on the first axis, as gdx calls it
    for attr, exprs in (("_fg", [problem.expr, *c.gradient]), ("_f", [problem.expr])):
        ours = getattr(c, attr)
        plain = _lambdify(problem.symbols, exprs)  # lambdify's code as printed, integers as integers
        assert [v for v in int_operands(inspect.getsource(plain)) if abs(v) < 2**53], "nothing to rewrite"
        assert all(abs(v) >= 2**53 for v in int_operands(inspect.getsource(ours)))
        for got, want in zip(ours(batch), plain(batch)):
            assert np.array_equal(np.broadcast_to(got, batch.shape[1:]), np.broadcast_to(want, batch.shape[1:]))
        for point in batch.T[:20]:  # one point: numpy scalars, the single-run loop's path
            assert [float(v) for v in ours(point)] == [float(v) for v in plain(point)]


def test_an_integer_beyond_2_53_is_kept():
    c = Compiled(parse_function(FUNCTIONS[-1]))
    assert 9007199254740993 in int_operands(inspect.getsource(c._fg))


def test_the_bounded_child_generates_float_literals_too():
    from gdx.derive import compile_bounded

    c = compile_bounded(parse_function(FUNCTIONS[0]), hessian=False)
    source = c._fg.gdx_source
    assert "100.0" in source and int_operands(source) == []
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]])
    f, g = c.value_and_grad(x.T)
    # by hand: f = (1 − x)² + 100(y − x²)², ∂f/∂x = −400x(y − x²) − 2(1 − x), ∂f/∂y = 200(y − x²)
    X, Y = x
    np.testing.assert_allclose(f, (1 - X) ** 2 + 100 * (Y - X**2) ** 2, rtol=1e-15)
    np.testing.assert_allclose(g[:, 0], -400 * X * (Y - X**2) - 2 * (1 - X), rtol=1e-14)
    np.testing.assert_allclose(g[:, 1], 200 * (Y - X**2), rtol=1e-15)
