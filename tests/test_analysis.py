"""gdx.analysis against references computed outside gdx: hand derivations, numpy, scipy.optimize.root."""

import math

import numpy as np
import pytest
from helpers import no_children_left

from gdx.analysis import (
    analyze_point,
    analyze_vector,
    classify,
    critical_points,
    find_critical_points,
    solve_symbolic,
)
from gdx.compile import Compiled
from gdx.errors import GdxError
from gdx.parse import parse_function

scipy_optimize = pytest.importorskip("scipy.optimize")


def compiled(text, variables=None):
    return Compiled(parse_function(text, variables))


# -- independent references: hand-coded gradients and Hessians, solved with scipy ---------------
def himmelblau_grad(p):
    x, y = p
    return np.array([4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)])


def himmelblau_hess(p):
    x, y = p
    return np.array([[12 * x * x + 4 * y - 42, 4 * x + 4 * y], [4 * x + 4 * y, 4 * x + 12 * y * y - 26]])


def camel_grad(p):
    x, y = p
    return np.array([8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3])


def camel_hess(p):
    x, y = p
    return np.array([[8 - 25.2 * x * x + 10 * x**4, 1.0], [1.0, -8 + 48 * y * y]])


def camel_f(p):
    x, y = p
    return (4 - 2.1 * x * x + x**4 / 3) * x * x + x * y + (-4 + 4 * y * y) * y * y


def reference_critical_points(grad, hess, box, per_axis=30):
    """scipy.optimize.root (hybr) from a grid of starts; dedupe at 1e-6; classify with numpy eigvalsh."""
    (x0, x1), (y0, y1) = box
    found = []
    for a in np.linspace(x0, x1, per_axis):
        for b in np.linspace(y0, y1, per_axis):
            sol = scipy_optimize.root(grad, [a, b], jac=hess, tol=1e-13)
            p = sol.x
            if not sol.success or np.linalg.norm(grad(p)) > 1e-8:
                continue
            if not (x0 <= p[0] <= x1 and y0 <= p[1] <= y1):
                continue
            if all(np.linalg.norm(p - q) > 1e-6 for q in found):
                found.append(p)
    kinds = []
    for p in found:
        w = np.linalg.eigvalsh(hess(p))
        kinds.append("minimum" if w.min() > 0 else "maximum" if w.max() < 0 else "saddle")
    return found, kinds


def match(points, reference, kinds, tol=1e-6):
    assert len(points) == len(reference)
    for ref, kind in zip(reference, kinds):
        near = [p for p in points if np.linalg.norm(np.array(p.at) - ref) <= tol]
        assert len(near) == 1, f"reference {ref} matched {len(near)} points"
        assert near[0].kind == kind


@pytest.fixture(scope="module")
def himmelblau_reference():
    return reference_critical_points(himmelblau_grad, himmelblau_hess, [(-5, 5), (-5, 5)])


@pytest.fixture(scope="module")
def camel_reference():
    return reference_critical_points(camel_grad, camel_hess, [(-3, 3), (-2, 2)])


def test_references_agree_with_the_literature(himmelblau_reference, camel_reference):
    # Himmelblau: 4 minima, 1 local maximum, 4 saddles; six-hump camel: 6 minima, 2 maxima, 7 saddles.
    assert sorted(himmelblau_reference[1]) == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    assert sorted(camel_reference[1]) == ["maximum"] * 2 + ["minimum"] * 6 + ["saddle"] * 7


@pytest.mark.parametrize("timeout", [0, 5])
def test_himmelblau_has_nine_critical_points(himmelblau_reference, timeout):
    c = compiled("(x^2 + y - 11)^2 + (x + y^2 - 7)^2")
    points = critical_points(c, {"x": (-5, 5), "y": (-5, 5)}, timeout=timeout)
    match(points, *himmelblau_reference)
    maximum = [p for p in points if p.kind == "maximum"][0]
    assert maximum.value == pytest.approx(181.616522, abs=1e-6)  # Himmelblau (1972): f = 181.617 at (-0.270845, -0.923039)
    for p in points:
        x, y = p.at
        assert p.value == pytest.approx((x * x + y - 11) ** 2 + (x + y * y - 7) ** 2, abs=1e-9)


@pytest.mark.parametrize("timeout", [0, 5])
def test_six_hump_camel_has_fifteen_critical_points(camel_reference, timeout):
    c = compiled("(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2")
    search = find_critical_points(c, [(-3, 3), (-2, 2)], timeout=timeout)
    match(search.points, *camel_reference)
    assert search.counts() == {"minimum": 6, "maximum": 2, "saddle": 7, "degenerate": 0}
    best = search.points[0]
    assert best.kind == "minimum" and best.value == pytest.approx(-1.0316284534898774, abs=1e-12)
    for p in search.points:
        assert p.value == pytest.approx(camel_f(p.at), abs=1e-9)
        assert list(p.eigenvalues) == pytest.approx(sorted(np.linalg.eigvalsh(camel_hess(p.at))), abs=1e-6)


def test_exact_solving_is_used_when_it_finishes():
    c = compiled("(x^2 + y - 11)^2 + (x + y^2 - 7)^2")
    search = find_critical_points(c, [(-5, 5), (-5, 5)], timeout=10)
    assert search.symbolic == "solved" and search.symbolic_count == 9
    assert all(p.source == "both" for p in search.points)
    # (3, 2) is an exact solution: f(3, 2) = 0 exactly
    assert any(p.at == (3.0, 2.0) for p in search.points)


def test_quartic_double_well_by_hand():
    # f = x^4 - 2x^2 + y^2: ∇f = (4x^3 - 4x, 2y) = 0 at x ∈ {-1, 0, 1}, y = 0;
    # H = diag(12x^2 - 4, 2): minima at x = ±1 (f = -1), saddle at 0 (f = 0).
    points = critical_points(compiled("x^4 - 2*x^2 + y^2"), [(-2, 2), (-1, 1)], timeout=0)
    got = sorted((round(p.at[0], 9), round(p.at[1], 9), p.kind, round(p.value, 9)) for p in points)
    assert got == [(-1.0, 0.0, "minimum", -1.0), (0.0, 0.0, "saddle", 0.0), (1.0, 0.0, "minimum", -1.0)]


def test_monkey_saddle_is_degenerate():
    # f = x^3 - 3xy^2: ∇f = (3x^2 - 3y^2, -6xy) vanishes only at 0, where H = 0.
    points = critical_points(compiled("x^3 - 3*x*y^2"), [(-1, 1), (-1, 1)], timeout=5)
    assert len(points) == 1
    assert points[0].kind == "degenerate" and np.allclose(points[0].at, 0, atol=1e-4)


def test_one_dimensional_sine():
    # f = sin(x) on [0, 10]: f' = cos(x) = 0 at π/2 (max), 3π/2 (min), 5π/2 (max).
    points = critical_points(compiled("sin(x)"), [(0, 10)], timeout=0)
    got = sorted((p.at[0], p.kind) for p in points)
    assert [k for _, k in got] == ["maximum", "minimum", "maximum"]
    assert [a for a, _ in got] == pytest.approx([math.pi / 2, 3 * math.pi / 2, 5 * math.pi / 2], abs=1e-9)


def test_three_dimensions():
    # f = x^2 + y^2 + z^4 - 2z^2: critical at (0, 0, z) for z ∈ {-1, 0, 1}; minima at ±1, saddle at 0.
    points = critical_points(compiled("x^2 + y^2 + z^4 - 2*z^2"), [(-2, 2)] * 3, timeout=0)
    got = sorted((round(p.at[2], 8), p.kind) for p in points)
    assert got == [(-1.0, "minimum"), (0.0, "saddle"), (1.0, "minimum")]


def test_classify_by_hand():
    assert classify([1.0, 2.0]) == "minimum"
    assert classify([-3.0, -0.5]) == "maximum"
    assert classify([-1.0, 1.0]) == "saddle"
    assert classify([0.0, 2.0]) == "degenerate"
    assert classify([0.0, 0.0]) == "degenerate"
    assert classify([-1.0, 0.0, 1.0]) == "saddle"  # indefinite even with a zero eigenvalue
    assert classify([1e-12, 5.0]) == "degenerate"  # zero relative to the largest
    assert classify([2e-8, 3e-8]) == "minimum"  # tiny but all of one sign: a (flat) minimum


def test_point_analysis_rosenbrock_by_hand():
    # f = (1-x)^2 + 100(y-x^2)^2 at (0, 0): ∇f = (-2, 0), H = [[2, 0], [0, 200]];
    # at (1, 1): ∇f = 0, H = [[802, -400], [-400, 200]].
    c = compiled("(1 - x)^2 + 100*(y - x^2)^2")
    a = analyze_point(c, (0.0, 0.0))
    assert a.f == 1.0 and a.grad == pytest.approx((-2.0, 0.0))
    assert a.eigenvalues == pytest.approx((2.0, 200.0))
    assert a.condition == pytest.approx(100.0)
    assert a.steepest == pytest.approx((1.0, 0.0))
    assert a.newton_step == pytest.approx((1.0, 0.0))  # -H⁻¹∇f = (2/2, 0)
    assert a.stable_lr == pytest.approx(2 / 200)
    assert a.optimal_lr == pytest.approx(2 / 202)
    assert a.contraction == pytest.approx(198 / 202)
    b = analyze_point(c, (1.0, 1.0))
    h = np.array([[802.0, -400.0], [-400.0, 200.0]])
    w, v = np.linalg.eigh(h)
    assert b.eigenvalues == pytest.approx(tuple(w))
    for got, ref in zip(b.eigenvectors, v.T):
        assert abs(np.dot(got, ref)) == pytest.approx(1.0)
    assert b.kind == "minimum" and b.steepest is None
    assert b.condition == pytest.approx(w[1] / w[0])
    assert b.fd_check.differentiable and b.fd_check.max_error < 1e-6


def test_point_analysis_saddle_and_constant_hessian():
    a = analyze_point(compiled("x^2 - y^2"), (1.0, 1.0))
    assert a.kind == "saddle" and a.eigenvalues == pytest.approx((-2.0, 2.0))
    assert a.stable_lr == pytest.approx(1.0) and a.optimal_lr is None and a.contraction is None
    assert a.newton_step == pytest.approx((-1.0, -1.0))
    flat = analyze_point(compiled("x + y"), (0.5, 0.5))  # H = 0: no stable lr, no Newton step
    assert flat.stable_lr is None and flat.newton_step is None and flat.condition == math.inf


def test_fd_check_flags_ackley_origin_and_kinks():
    ackley = compiled("-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20")
    a = analyze_point(ackley, (0.0, 0.0))
    assert not a.fd_check.differentiable and "undefined" in a.fd_check.note
    assert a.kind == "undefined"
    smooth = analyze_point(ackley, (0.3, -0.7))
    assert smooth.fd_check.differentiable and smooth.fd_check.max_error < 1e-5
    kink = analyze_point(compiled("abs(x) + y^2"), (0.0, 1.0))
    assert not kink.fd_check.differentiable and "kink" in kink.fd_check.note
    # a smooth function with huge curvature is not a kink
    steep = analyze_point(compiled("1000*x^2 + exp(3*y)"), (2.0, 1.0))
    assert steep.fd_check.differentiable


def test_jacobian_by_hand_and_by_finite_differences():
    # F = (xy, x + y^2): J = [[y, x], [1, 2y]]; at (1, 2): F = (2, 5), J = [[2, 1], [1, 4]], det 7.
    problem = parse_function("x*y, x + y^2", allow_vector=True)
    va = analyze_vector(problem, (1.0, 2.0))
    assert va.value == pytest.approx((2.0, 5.0))
    assert np.allclose(va.jacobian_at, [[2, 1], [1, 4]])
    assert va.determinant == pytest.approx(7.0)

    def F(p):
        x, y = p
        return np.array([np.sin(x) * y, x * x * np.exp(y), x + y])

    p = np.array([0.3, -0.4])
    va = analyze_vector(parse_function("sin(x)*y, x^2*exp(y), x + y", allow_vector=True), p)
    h = 1e-6
    fd = np.stack([(F(p + h * e) - F(p - h * e)) / (2 * h) for e in np.eye(2)], axis=1)
    assert np.allclose(va.jacobian_at, fd, atol=1e-8)
    assert va.determinant is None  # 3×2: not square


def test_box_parsing_and_defaults():
    """analyze reads --box with the landscape's parser; unnamed variables keep the default range."""
    from gdx.landscape import DEFAULT_RANGE, parse_box

    fill = [DEFAULT_RANGE, DEFAULT_RANGE]
    assert DEFAULT_RANGE == (-5.0, 5.0)
    assert parse_box("x=-1:2,y=0:3", ("x", "y"), fill=fill) == [(-1.0, 2.0), (0.0, 3.0)]
    assert parse_box("-2:2,-1:1", ("x", "y"), fill=fill) == [(-2.0, 2.0), (-1.0, 1.0)]
    assert parse_box("y=0:1", ("x", "y"), fill=fill) == [(-5.0, 5.0), (0.0, 1.0)]
    for bad in ("z=0:1", "x=1:0", "x=a:b", "x=1", ""):
        with pytest.raises(GdxError):
            parse_box(bad, ("x", "y"), fill=fill)




ACKLEY = "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20"


def test_symbolic_solving_is_time_bounded():
    ackley = compiled(ACKLEY)
    _ = ackley.gradient
    status, points, note = solve_symbolic(ackley, 0.5)
    assert status in ("timeout", "failed", "partial")
    assert status != "timeout" or "0.5 s" in note
    assert no_children_left()  # the solver was killed and reaped, whatever happened


def test_exact_solving_runs_in_the_memory_bounded_sandbox(monkeypatch):
    import gdx.sandbox

    calls = []
    real_start = gdx.sandbox.start

    def spy(func, *args, **kwargs):
        calls.append(kwargs.get("memory_mb", gdx.sandbox.MEMORY_BOUND_MB))
        return real_start(func, *args, **kwargs)

    monkeypatch.setattr(gdx.sandbox, "start", spy)
    search = find_critical_points(compiled("x^2 + y^2"), [(-1, 1), (-1, 1)], timeout=30)
    assert search.symbolic == "solved" and calls == [gdx.sandbox.MEMORY_BOUND_MB]
    assert no_children_left()


def test_exact_solving_shares_a_deadline_and_is_killed_at_it():
    from gdx.sandbox import Deadline

    budget = Deadline(0.3)
    search = find_critical_points(compiled(ACKLEY), [(-1, 1), (-1, 1)], timeout=budget)
    assert budget.expired or search.symbolic != "timeout"
    if search.symbolic == "timeout":
        assert "exact solving did not finish within 0.3 s; numeric search only" in search.notes
    assert search.points  # the numeric search answers regardless
    assert no_children_left()
    late = find_critical_points(compiled("x^2 + y^2"), [(-1, 1), (-1, 1)], timeout=Deadline(0))
    assert late.symbolic == "timeout" and late.notes[0] == "exact solving did not finish within 0 s; numeric search only"
    assert [p.kind for p in late.points] == ["minimum"]


def test_timeout_zero_skips_exact_solving():
    search = find_critical_points(compiled("x^2 + y^2"), [(-1, 1), (-1, 1)], timeout=0)
    assert search.symbolic == "skipped" and not search.complete
    assert search.notes == ["exact solving was skipped: the numeric search alone cannot prove the list complete"]
    assert no_children_left()


def test_a_curve_of_critical_points_is_reported():
    search = find_critical_points(compiled("(x - y)^2"), [(-1, 1), (-1, 1)], timeout=5)
    assert search.symbolic == "partial"
    assert all(p.kind == "degenerate" and abs(p.at[0] - p.at[1]) < 1e-6 for p in search.points)
