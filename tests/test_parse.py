"""Parsing ordinary input: the expressions, the variable order, vector input.

References are SymPy expressions written by hand in the test (the parser builds them from the
syntax tree; here they are written with SymPy's own constructors) — never gdx's own output.
"""

import pytest
import sympy as sp

from gdx.errors import GdxError
from gdx.parse import natural_key, parse_function, parse_variables


def sym(*names):
    return [sp.Symbol(n, real=True) for n in names]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x^2 + 3*y^2", lambda x, y: x**2 + 3 * y**2),
        ("(1-x)^2 + 100*(y-x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
        ("x**y", lambda x, y: x**y),
        ("-x - -y", lambda x, y: -x + y),
        ("sin(x)*cos(y) + exp(x) - log(y) + sqrt(x) + abs(y)", lambda x, y: sp.sin(x) * sp.cos(y) + sp.exp(x) - sp.log(y) + sp.sqrt(x) + sp.Abs(y)),
        ("tan(x)+asin(x)+acos(y)+atan(y)+sinh(x)+cosh(y)+tanh(x)", lambda x, y: sp.tan(x) + sp.asin(x) + sp.acos(y) + sp.atan(y) + sp.sinh(x) + sp.cosh(y) + sp.tanh(x)),
        ("pi*x + E*y + e", lambda x, y: sp.pi * x + sp.E * y + sp.E),
    ],
)
def test_expressions_match_hand_built_sympy(text, expected):
    problem = parse_function(text)
    x, y = sym("x", "y")
    assert problem.variables == ("x", "y")
    assert sp.simplify(problem.expr - expected(x, y)) == 0


def test_cube_root_exponent_is_exact():
    (x,) = sym("x")
    assert parse_function("x**(1/3)").expr == x ** sp.Rational(1, 3)


def test_float_literals():
    (x,) = sym("x")
    assert parse_function("1.5e-3*x").expr == sp.Float(0.0015) * x


def test_natural_variable_order():
    assert parse_function("x10 + x2 + x1").variables == ("x1", "x2", "x10")
    assert parse_function("z + y + x").variables == ("x", "y", "z")
    assert sorted(["b2", "a", "b10", "b1"], key=natural_key) == ["a", "b1", "b2", "b10"]


def test_vars_override_and_extra_variable():
    p = parse_function("x + 2*y", "y,x")
    assert p.variables == ("y", "x")
    p = parse_function("x**2", ["x", "w"])
    assert p.variables == ("x", "w")


def test_vars_missing_a_used_variable_points_at_it():
    with pytest.raises(GdxError) as info:
        parse_function("x + 2*y", "x")
    assert "'y'" in info.value.message
    assert info.value.span == (6, 7)


def test_parse_variables_rejects_bad_names():
    assert parse_variables(" a, b ") == ("a", "b")
    for bad in ("1x", "sin", "a,a", "x-y"):
        with pytest.raises(GdxError):
            parse_variables(bad)


def test_vector_input_only_where_allowed():
    p = parse_function("x*y, x + y**2", allow_vector=True)
    assert p.is_vector and len(p.exprs) == 2
    with pytest.raises(GdxError):
        parse_function("x*y, x + y**2")


def test_redundant_parentheses():
    assert parse_function("(" * 199 + "x" + ")" * 199).variables == ("x",)
