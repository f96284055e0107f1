"""Gradients and Hessians against hand derivations and central finite differences.

The hand-derived formulas below were written from the calculus, independently of SymPy.
"""

import math

import numpy as np
import pytest

from gdx.compile import Compiled, jacobian_of
from gdx.parse import parse_function


def rosen_grad(x, y):
    return [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)]


def rosen_hess(x, y):
    return [[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200]]


CASES = [
    ("(1-x)^2 + 100*(y-x^2)^2", lambda x, y: rosen_grad(x, y), lambda x, y: rosen_hess(x, y)),
    (
        "x*sin(y) + exp(x*y)",
        lambda x, y: [math.sin(y) + y * math.exp(x * y), x * math.cos(y) + x * math.exp(x * y)],
        lambda x, y: [
            [y * y * math.exp(x * y), math.cos(y) + math.exp(x * y) * (1 + x * y)],
            [math.cos(y) + math.exp(x * y) * (1 + x * y), -x * math.sin(y) + x * x * math.exp(x * y)],
        ],
    ),
    (
        "log(x^2 + y^2 + 1)",
        lambda x, y: [2 * x / (x * x + y * y + 1), 2 * y / (x * x + y * y + 1)],
        lambda x, y: [
            [(2 * (y * y + 1 - x * x)) / (x * x + y * y + 1) ** 2, -4 * x * y / (x * x + y * y + 1) ** 2],
            [-4 * x * y / (x * x + y * y + 1) ** 2, (2 * (x * x + 1 - y * y)) / (x * x + y * y + 1) ** 2],
        ],
    ),
]


@pytest.mark.parametrize("text, grad, hess", CASES)
def test_gradient_and_hessian_match_hand_derivation(text, grad, hess):
    c = Compiled(parse_function(text))
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(-1.5, 1.5, size=(10, 2)):
        f, g = c.value_and_grad([x, y])
        assert np.allclose(g, grad(x, y), rtol=1e-12, atol=1e-12)
        assert np.allclose(c.hess([x, y]), hess(x, y), rtol=1e-12, atol=1e-10)


def test_gradient_matches_central_differences_in_three_variables():
    c = Compiled(parse_function("x^2*y + sin(z)*x + exp(y*z)/3"))
    x0 = np.array([0.3, -0.7, 1.1])
    h = 1e-6
    fd = [(c.value(x0 + h * e) - c.value(x0 - h * e)) / (2 * h) for e in np.eye(3)]
    assert np.allclose(c.grad(x0), fd, rtol=1e-7, atol=1e-8)


def test_constant_hessian_is_a_float_array_for_points_and_batches():
    c = Compiled(parse_function("x^2 + 3*y^2"))
    h = c.hess([1.0, 2.0])
    assert h.dtype == float and h.shape == (2, 2)
    assert np.array_equal(h, [[2.0, 0.0], [0.0, 6.0]])
    hb = c.hess(np.zeros((4, 2)))
    assert hb.shape == (4, 2, 2) and np.array_equal(hb[3], [[2.0, 0.0], [0.0, 6.0]])


def test_batched_value_and_grad_equals_pointwise():
    c = Compiled(parse_function("(1-x)^2 + 100*(y-x^2)^2"))
    X = np.random.default_rng(1).normal(size=(7, 2))
    fb, gb = c.value_and_grad(X)
    for i in range(7):
        f, g = c.value_and_grad(X[i])
        assert fb[i] == f and np.array_equal(gb[i], g)


def test_constant_gradient_component_broadcasts_in_batches():
    c = Compiled(parse_function("2*x + y^2"))
    _, g = c.value_and_grad(np.ones((3, 2)))
    assert g.shape == (3, 2) and np.array_equal(g[:, 0], [2.0, 2.0, 2.0])


def test_abs_has_a_usable_hessian():
    c = Compiled(parse_function("abs(x) + y^2"))
    assert np.array_equal(c.grad([-2.0, 1.0]), [-1.0, 2.0])
    assert np.array_equal(c.hess([-2.0, 1.0]), [[0.0, 0.0], [0.0, 2.0]])


def test_hessian_is_derived_only_when_asked():
    c = Compiled(parse_function("x^2 + y^2"))
    c.value_and_grad([1.0, 1.0])
    assert "hessian" not in c.__dict__
    c.hess([1.0, 1.0])
    assert "hessian" in c.__dict__


def test_jacobian_of_vector_function():
    p = parse_function("x*y, x + y**2", allow_vector=True)
    x, y = p.symbols
    assert jacobian_of(p) == ((y, x), (1, 2 * y))
