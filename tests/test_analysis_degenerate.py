"""Degenerate critical points classified against the function's own scale (issue 9).

Expected kinds come from hand derivations checked here with SymPy's own calculus (exact π,
no gdx code): H is computed from the expression and evaluated exactly at each point.
"""

import math

import numpy as np
import pytest
import sympy

from gdx.analysis import _mirror_consistent, classify, curvature_scale, find_critical_points
from gdx.compile import Compiled
from gdx.parse import parse_function

X, Y = sympy.symbols("x y", real=True)


def compiled(text):
    return Compiled(parse_function(text))


def exact_hessian_at(expr, point):
    """H of a SymPy expression at an exact point, as floats (outside gdx)."""
    h = sympy.hessian(expr, (X, Y)).subs({X: point[0], Y: point[1]})
    return np.array(h.evalf(30).tolist(), dtype=float)


def test_cosh_quartic_origin_is_degenerate_and_the_search_is_not_complete():
    # f = cosh x − 1 − x²/2 + y⁴: ∇f = (sinh x − x, 4y³) is 0 only at (0, 0) (sinh x > x for x > 0),
    # and there H = diag(cosh 0 − 1, 12·0²) = 0: the second-derivative test cannot decide.
    expr = sympy.cosh(X) - 1 - X**2 / 2 + Y**4
    assert np.all(exact_hessian_at(expr, (0, 0)) == 0)
    search = find_critical_points(compiled("cosh(x) - 1 - x^2/2 + y^4"), [(-2, 2), (-2, 2)], timeout=5)
    assert len(search.points) == 1
    p = search.points[0]
    assert np.allclose(p.at, 0, atol=1e-4)
    assert p.kind == "degenerate"
    assert search.symbolic != "solved"  # SymPy cannot solve sinh x = x
    assert not search.complete
    assert any("cannot prove the list complete" in n for n in search.notes)


def test_sine_monkey_saddles_all_get_the_same_kind():
    # f = sin³x − 3 sin x·y² on [−4, 4]×[−1, 1]: ∂f/∂y = −6y sin x = 0 → y = 0 or sin x = 0;
    # sin x = 0 forces y = 0 (∂f/∂x = −3y² cos x); y = 0 leaves 3 sin²x cos x = 0 → x ∈ {0, ±π, ±π/2}.
    expr = sympy.sin(X) ** 3 - 3 * sympy.sin(X) * Y**2
    expected = {}
    for x0 in (-sympy.pi, 0, sympy.pi, -sympy.pi / 2, sympy.pi / 2):
        grad = [sympy.diff(expr, v).subs({X: x0, Y: 0}) for v in (X, Y)]
        assert all(sympy.simplify(g) == 0 for g in grad)
        w = np.linalg.eigvalsh(exact_hessian_at(expr, (x0, 0)))
        kind = "degenerate" if np.all(w == 0) else "minimum" if w.min() > 0 else "maximum" if w.max() < 0 else "saddle"
        expected[round(float(x0), 6)] = kind
    assert expected == {-3.141593: "degenerate", 0.0: "degenerate", 3.141593: "degenerate",
                        -1.570796: "minimum", 1.570796: "maximum"}
    search = find_critical_points(compiled("sin(x)^3 - 3*sin(x)*y^2"), [(-4, 4), (-1, 1)], timeout=5)
    got = {round(p.at[0], 6): p.kind for p in search.points}
    assert got == expected
    assert all(abs(p.at[1]) < 1e-6 for p in search.points)


def test_classify_against_the_function_scale():
    assert classify([2e-8, 3e-8]) == "minimum"  # no scale given: the old, relative rule
    assert classify([2e-8, 3e-8], scale=48.0) == "degenerate"  # noise against curvature 48
    assert classify([-9.2e-7, 9.2e-7], scale=12.0) == "degenerate"
    assert classify([-9.2e-7, 9.2e-7], scale=1.0) == "saddle"
    assert classify([2e-3, 2.0], scale=2.0) == "minimum"


def test_a_small_but_real_curvature_is_still_a_minimum():
    # f = x² + 0.001·y²: H = diag(2, 0.002) everywhere; the origin is a (shallow) minimum.
    search = find_critical_points(compiled("x^2 + 0.001*y^2"), [(-1, 1), (-1, 1)], timeout=5)
    assert [p.kind for p in search.points] == ["minimum"]
    assert search.complete


def test_curvature_scale_by_hand():
    # f = x⁴ + y²: H = diag(12x², 2); on [−1, 1]² the largest |λ| is 12·x² at the grid's outermost x.
    c = compiled("x^4 + y^2")
    x_out = -1 + 2 * 0.5 / 24  # cell-centred 24-point grid
    assert curvature_scale(c, np.array([-1.0, -1]), np.array([1.0, 1])) == pytest.approx(12 * x_out**2, rel=1e-12)


def test_mirror_images_agree_and_the_better_converged_one_decides():
    lo, hi = np.array([-4.0, -1]), np.array([4.0, 1])
    c = compiled("sin(x)^3 - 3*sin(x)*y^2")  # f(−x, y) = −f(x, y)
    xs = np.array([[math.pi, 0.0], [-math.pi, 0.0]])
    assert _mirror_consistent(c, xs, ["degenerate", "saddle"], [1e-30, 1e-12], lo, hi) == ["degenerate"] * 2
    s = compiled("sin(x)")  # odd: the minimum at −π/2 mirrors the maximum at π/2
    kinds = _mirror_consistent(s, np.array([[math.pi / 2], [-math.pi / 2]]), ["maximum", "maximum"], [0.0, 1e-9],
                               np.array([-4.0]), np.array([4.0]))
    assert kinds == ["maximum", "minimum"]
    # no symmetry: nothing is changed
    a = compiled("x^3 + x^2")
    assert _mirror_consistent(a, np.array([[1.0], [-1.0]]), ["minimum", "saddle"], [0, 0],
                              np.array([-2.0]), np.array([2.0])) == ["minimum", "saddle"]
