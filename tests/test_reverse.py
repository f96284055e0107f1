"""Reverse-mode ∇f and per-row H (gdx.reverse, used beyond 16 variables) against SymPy's ``diff``
(the path gdx uses for small functions) on the test corpus, and n-D Rosenbrock at n = 100 against
its closed-form gradient and tridiagonal Hessian (derived by hand, independently of SymPy)."""

import numpy as np
import pytest

from gdx import compile as gdx_compile
from gdx.compile import Compiled
from gdx.derive import compile_bounded
from gdx.parse import parse_function
from gdx.presets import load_preset, preset_names

CORPUS = [
    "(1-x)^2 + 100*(y-x^2)^2",
    "x*sin(y) + exp(x*y)",
    "log(x^2 + y^2 + 1)",
    "sqrt(x^2 + y^2 + 1) * tanh(x - y)",
    "atan2(y, x^2 + 1) + cosh(x/3) - asinh(y)",
    "abs(x - 1) + (x*y)^3 / (1 + y^2)",
    "2^x + x^y + exp(-x^2)*cos(3*y)",
    "sec(x/4) + csc(y/4 + 1) + cot(x/5 + 2) + log10(x^2+1) + log2(y^2+2)",
    "acos(x/10) + asin(y/10) + atanh(x/20) + acosh(y^2 + 2)",
    "x^2*y*z + sin(x*y*z) + (x + y + z)^4",
]


def _pair(problem, monkeypatch):
    """(SymPy diff Compiled, reverse-mode Compiled) of one problem."""
    plain = Compiled(problem)
    plain.warm(hessian=True)
    monkeypatch.setattr(gdx_compile, "REVERSE_MODE_ABOVE", 0)
    reverse = Compiled(problem)
    reverse.warm(hessian=True)
    monkeypatch.setattr(gdx_compile, "REVERSE_MODE_ABOVE", 16)
    return plain, reverse


def _close(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    both = np.isfinite(a) & np.isfinite(b)
    assert (np.isfinite(a) == np.isfinite(b)).all()
    scale = np.maximum(np.abs(a[both]), 1.0)
    assert (np.abs(a[both] - b[both]) <= 1e-12 * scale).all(), (a, b)


PRESETS = ["ackley", "beale", "goldstein-price", "levy", "logistic-regression", "styblinski-tang", "easom"]


def test_the_presets_sampled_exist():
    assert set(PRESETS) <= set(preset_names())


@pytest.mark.parametrize("text", CORPUS + [f"preset:{name}" for name in PRESETS])
def test_reverse_mode_matches_sympy_diff(text, monkeypatch):
    problem = load_preset(text[7:]).problem() if text.startswith("preset:") else parse_function(text)
    plain, reverse = _pair(problem, monkeypatch)
    points = np.random.default_rng(1).uniform(-1.7, 1.7, (25, problem.n))
    with np.errstate(all="ignore"):
        _close(plain.grad(points), reverse.grad(points))
        _close(plain.hess(points), reverse.hess(points))
        _close(plain.grad(points[0]), reverse.grad(points[0]))


def rosenbrock_text(n):
    return "+".join(f"100*(x{i + 1}-x{i}^2)^2+(1-x{i})^2" for i in range(1, n))


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hess(x):
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def test_rosenbrock_50_in_the_bounded_child_matches_its_closed_form():
    problem = parse_function(rosenbrock_text(50))
    assert problem.n == 50
    compiled = compile_bounded(problem, timeout=60)
    x = np.random.default_rng(2).uniform(-2, 2, 50)
    f, g = compiled.value_and_grad(x)
    expected_f = float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    assert abs(f - expected_f) <= 1e-12 * abs(expected_f)
    np.testing.assert_allclose(g, rosenbrock_grad(x), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(compiled.hess(x), rosenbrock_hess(x), rtol=1e-12, atol=1e-9)
    batch = np.stack([x, -x, x / 2])
    np.testing.assert_allclose(compiled.hess(batch)[1], rosenbrock_hess(-x), rtol=1e-12, atol=1e-9)
    # most of H is 0: the generated code returns literal zeros there, never printed through cse
    assert compiled._h.gdx_source.count(" 0,") > 2000


def test_over_limit_text_is_refused_before_sympy_is_imported():
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\nfrom gdx.target import parse_bounded\nfrom gdx.errors import GdxError\n"
        "try:\n    parse_bounded('+'.join(f'x{i}' for i in range(129)))\n"
        "except GdxError as e:\n    print(e.message)\n"
        "print('sympy' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60).stdout
    assert out.splitlines() == ["too many variables (129; the limit is 128)", "False"]


def test_beyond_16_variables_f_is_cut_from_the_code_of_f_and_its_gradient():
    # gdx.compile.value_only: f's code is (f, ∇f)'s without the gradient, so the two agree to the
    # bit, and f is the closed form's value (here n-D Rosenbrock plus a coupling sine)
    import numpy as np

    from gdx.derive import _derive, function_from_source
    from gdx.parse import parse_function

    n = 20
    text = "+".join(f"100*(x{i+1}-x{i}^2)^2+(1-x{i})^2+sin(x{i}*x{i+1})" for i in range(1, n))
    problem = parse_function(text)
    _, _, sources = _derive(problem, False)
    f, fg = function_from_source(sources["_f"]), function_from_source(sources["_fg"])
    X = np.random.default_rng(0).uniform(-2, 2, (40, n))
    assert np.array_equal(np.asarray(f(X.T)[0]), np.asarray(fg(X.T)[0]))
    closed = sum(100 * (X[:, i] - X[:, i - 1] ** 2) ** 2 + (1 - X[:, i - 1]) ** 2 + np.sin(X[:, i - 1] * X[:, i])
                 for i in range(1, n))
    np.testing.assert_allclose(np.asarray(f(X.T)[0]), closed, rtol=1e-13)
    assert "return [" in sources["_f"] and sources["_f"].count("x") < sources["_fg"].count("x")
