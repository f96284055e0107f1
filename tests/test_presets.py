"""The preset landscapes: every file loads, and every listed minimum is proved to be one.

The proof works from each preset's *expression* (parsed and compiled by gdx), not from where
the TOML numbers came from:

1. f(at) equals ``value``; ∇f(at) = 0 to rounding; the Hessian there is positive definite.
2. ``at`` is a fixed point of Newton's method in 50-digit arithmetic, to the last bit or two
   (the numbers are the literature's, refined to full double precision).
3. Independently of gdx's derivatives: derivative-free Nelder-Mead (scipy) started near each
   minimum converges back to it, and no point of a fine grid of the domain (nor a local search
   from the best grid points) is lower than f_min, so the global minima really are global.
4. The suggested ``[settings]`` work: a plain numpy loop of the update rule (DESIGN.md,
   "Numerical conventions") from ``start`` reaches f_min.

Ackley's minimum is a kink (the tip of a cone): its symbolic gradient is 0/0 there, so the
check is by sampling directions instead (see ``test_ackley_minimum_is_a_kink``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from gdx import presets as P
from gdx.compile import compile_problem
from gdx.errors import ExitCode, GdxError

REQUIRED = [
    "sphere", "rosenbrock", "himmelblau", "beale", "booth", "matyas", "three-hump-camel",
    "six-hump-camel", "goldstein-price", "rastrigin", "ackley", "styblinski-tang", "easom",
    "mccormick", "levy", "branin", "ill-conditioned", "saddle", "plateau", "logistic-regression",
]  # fmt: skip
NAMES = P.preset_names()
#: Minima where the gradient is not defined (the symbolic gradient is 0/0 → NaN).
KINKS = {"ackley"}
#: Neural-network losses: many weights, a lowest loss of 0 reached on a surface (no isolated
#: minimum to list); their reachable loss is checked in tests/test_backprop.py.
NETWORKS = {"xor-net", "deep-sigmoid"}
MINIMA = [(name, i) for name in NAMES for i in range(len(P.load_preset(name).minima))]
REPO = Path(__file__).resolve().parent.parent


#: Presets that carry a [data] table: their landscape is the mean of a per-example loss.
DATA = {"logistic-regression", "linear-regression", "two-moons"}
#: Data presets with no listed minimum, and the loss their suggested settings reach (documented in
#: their description).
REACHABLE = {"two-moons": 0.27}


@cache
def compiled(name):
    p = P.load_preset(name)
    if p.data is not None:
        from gdx.app.prepare import compile_target, resolve

        return compile_target(resolve(name))
    return compile_problem(p.problem())


def symbolic_mean(p):
    """The mean of a data preset's per-example loss as one SymPy expression over its parameters
    (a test-only check, independent of gdx.mean: the symbolic sum of its few rows)."""
    import sympy

    prob = p.problem()
    by_name = dict(zip(prob.variables, prob.symbols))
    terms = [prob.expr.subs({by_name[c]: sympy.Float(float(v), 30) for c, v in zip(p.data.columns, row)})
             for row in p.data.values]
    return sympy.Add(*terms) / len(terms), tuple(by_name[v] for v in p.variables)


def quiet():
    return np.errstate(all="ignore")


def grid(preset, n=401):
    axes = [np.linspace(lo, hi, n) for lo, hi in preset.box()]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))


# -- the files --------------------------------------------------------------------------------


def test_all_required_presets_exist():
    assert set(REQUIRED) <= set(NAMES), sorted(set(REQUIRED) - set(NAMES))


@pytest.mark.parametrize("name", NAMES)
def test_preset_loads_and_is_consistent(name):
    p = P.load_preset(name)
    assert p.name == name == Path(p.path).name.removesuffix(".toml")
    assert p.title and p.description and p.source
    assert p.variables == ("x", "y") or name in DATA or name in NETWORKS
    assert len(p.start) == len(p.variables) == len(p.box())
    for (lo, hi), s in zip(p.box(), p.start):
        assert lo < s < hi, f"start {p.start} outside the domain"
    for m in p.minima:
        assert m.kind in ("global", "local")
        assert all(lo <= a <= hi for (lo, hi), a in zip(p.box(), m.at)), f"minimum {m.at} outside the domain"
    if name == "saddle":
        assert p.minima == () and p.f_min is None and "no minimum" in p.description
    elif name in REACHABLE:
        assert p.minima == () and str(REACHABLE[name]) in p.description
    elif name in NETWORKS:
        assert p.minima == () and p.f_min is None and "The lowest loss is 0" in p.description.replace("the lowest", "The lowest")
    else:
        assert p.f_min == min(m.value for m in p.minima if m.kind == "global")
    assert set(p.settings) <= set(P.SETTINGS_KEYS)
    assert p.settings["optimizer"] in {"gd", "momentum", "nesterov", "adam"}
    d = json.loads(json.dumps(p.to_dict()))
    assert d["name"] == name and d["f_min"] == p.f_min and len(d["minima"]) == len(p.minima)
    assert set(d) == {"name", "title", "description", "expression", "variables", "domain", "start",
                      "settings", "minima", "f_min", "source"} | ({"data"} if name in DATA else set())  # fmt: skip
    assert d["variables"] == list(p.variables) and list(d["domain"]) == list(p.variables)


def test_listing_reads_each_file_once():
    first, second = P.list_presets(), P.list_presets()
    assert [p.name for p in first] == NAMES
    assert all(a is b for a, b in zip(first, second))
    assert P.load_preset("rosenbrock") is P.load_preset("rosenbrock")
    assert P.load_preset("rosenbrock").problem() is P.load_preset("rosenbrock").problem()


# -- every listed minimum is a minimum ------------------------------------------------------


@pytest.mark.parametrize(("name", "i"), MINIMA)
def test_minimum_value_gradient_and_hessian(name, i):
    p = P.load_preset(name)
    m = p.minima[i]
    c = compiled(name)
    x = np.array(m.at)
    f = c.value(x)
    assert abs(f - m.value) <= 1e-9 * max(1.0, abs(m.value)), (f, m.value)
    with quiet():
        g, h = c.grad(x), c.hess(x)
    if name in KINKS:
        assert not np.all(np.isfinite(g)), "expected the 0/0 gradient of a kink; see test_ackley_minimum_is_a_kink"
        return
    # ∇f = 0 up to rounding: at most a few ulps of x times the curvature.
    hnorm = np.linalg.norm(h, 2)
    assert np.linalg.norm(g) <= 1e-12 * (1 + hnorm) * (1 + np.linalg.norm(x)), g
    eig = np.linalg.eigvalsh(h)
    assert eig.min() > 1e-9 * (1 + hnorm), f"Hessian not positive definite: eigenvalues {eig}"


@pytest.mark.parametrize("name", ["ackley", "six-hump-camel", "goldstein-price", "saddle"])
def test_verify_minima_accepts_builtin(name):
    """The library's own check (used on users' files) agrees: a kink, locals, big values, none."""
    P.verify_minima(P.load_preset(name))


def test_ackley_minimum_is_a_kink():
    """At the origin Ackley's √(x² + y²) term makes the symbolic gradient 0/0 (NaN).

    The function is not differentiable there, so "∇f = 0 and H ⪰ 0" cannot be checked.  It is a
    strict minimum all the same: f(0) = 0 and f rises in every direction, linearly (a cone).
    """
    p = P.load_preset("ackley")
    c = compiled("ackley")
    (m,) = p.minima
    assert m.at == (0.0, 0.0) and m.value == 0.0
    assert abs(c.value(np.array(m.at))) <= 1e-14
    with quiet():
        assert np.isnan(c.grad(np.array(m.at))).all()
    rng = np.random.default_rng(0)
    d = rng.standard_normal((200, 2))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for h in (1e-8, 1e-6, 1e-4, 1e-2, 1e-1):
        values = c.value(h * d)
        assert np.all(values > m.value), h
        # like a cone: f grows in proportion to the distance (slope ≈ 20·0.2·√0.5 ≈ 2.83)
        if h <= 1e-4:
            assert np.allclose(values / h, 4 * math.sqrt(0.5), rtol=1e-2)


def test_minima_are_newton_fixed_points_in_high_precision():
    """Each ``at`` is the double nearest a true stationary point (Newton in 50 digits)."""
    import mpmath
    import sympy

    with mpmath.workdps(50):
        for name in NAMES:
            p = P.load_preset(name)
            if name in KINKS or not p.minima:
                continue
            if p.data is not None:
                expr, symbols = symbolic_mean(p)
            else:
                prob = p.problem()
                expr, symbols = prob.expr, prob.symbols
            grad = [expr.diff(s) for s in symbols]
            hess = [[g.diff(s) for s in symbols] for g in grad]
            G = sympy.lambdify(symbols, grad, "mpmath")
            H = sympy.lambdify(symbols, hess, "mpmath")
            for m in p.minima:
                z = mpmath.matrix([mpmath.mpf(a) for a in m.at])
                for _ in range(6):
                    z -= mpmath.lu_solve(mpmath.matrix(H(*z)), mpmath.matrix(G(*z)))
                for a, exact in zip(m.at, z):
                    ulp = math.ulp(max(abs(a), abs(float(exact)), 1e-300))
                    assert abs(float(exact) - a) <= 2 * ulp + 1e-300, (name, m.at, mpmath.nstr(exact, 20))


@pytest.mark.parametrize(("name", "i"), MINIMA)
def test_nelder_mead_near_each_minimum_converges_to_it(name, i):
    """Derivative-free, so independent of gdx's symbolic gradient."""
    optimize = pytest.importorskip("scipy.optimize")
    p = P.load_preset(name)
    m = p.minima[i]
    c = compiled(name)
    widths = np.array([hi - lo for lo, hi in p.box()])
    rng = np.random.default_rng(i)
    x0 = np.array(m.at) + 2e-3 * widths * rng.uniform(-1, 1, len(m.at))
    with quiet():
        res = optimize.minimize(
            c.value, x0, method="Nelder-Mead", options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 4000}
        )
    assert res.fun >= m.value - 1e-9 * max(1.0, abs(m.value))
    assert abs(res.fun - m.value) <= 1e-9 * max(1.0, abs(m.value))
    assert np.linalg.norm(res.x - np.array(m.at)) <= 1e-6 * (1 + np.linalg.norm(m.at)), (res.x, m.at)


@pytest.mark.parametrize("name", [n for n in NAMES if P.load_preset(n).minima and n not in NETWORKS])
def test_global_minima_are_global(name):
    """No point of a 401×401 grid, nor a local search from the 5 lowest, is below f_min."""
    optimize = pytest.importorskip("scipy.optimize")
    p = P.load_preset(name)
    c = compiled(name)
    tol = 1e-9 * max(1.0, abs(p.f_min))
    pts = grid(p)
    with quiet():
        values = c.value(pts)
    assert np.nanmin(values) >= p.f_min - tol
    # the grid gets close to f_min (so the box shows the minimum) ...
    assert np.nanmin(values) - p.f_min <= 0.05 * (1 + abs(p.f_min))
    # ... and polishing the best grid points never beats it.
    for k in np.argsort(values)[:5]:
        with quiet():
            res = optimize.minimize(c.value, pts[k], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14})
        assert res.fun >= p.f_min - tol, (pts[k], res.x, res.fun)


def test_saddle_has_no_minimum():
    p = P.load_preset("saddle")
    c = compiled("saddle")
    assert p.minima == () and p.f_min is None
    np.testing.assert_array_equal(c.grad(np.zeros(2)), [0.0, 0.0])
    eig = np.linalg.eigvalsh(c.hess(np.zeros(2)))
    assert eig.min() < 0 < eig.max()  # the only stationary point is a saddle
    assert c.value(np.array([0.0, 1e6])) < -1e11  # and f is unbounded below


def test_linear_regression_minimum_is_lstsq():
    p = P.load_preset("linear-regression")
    A = np.column_stack([p.data.column("x"), np.ones(p.data.rows)])  # w, b
    solution, *_ = np.linalg.lstsq(A, p.data.column("y"), rcond=None)
    np.testing.assert_allclose(p.minima[0].at, solution, rtol=0, atol=1e-9)
    assert p.minima[0].value == pytest.approx(np.mean((A @ solution - p.data.column("y")) ** 2), rel=1e-12)


def test_two_moons_needs_its_hidden_layer():
    """The best linear model (convex: Newton finds its minimum) stays at the loss the
    description documents, well above what the 2-unit network reaches."""
    from gdx.app.prepare import RunRequest, prepare

    p = P.load_preset("two-moons")
    linear = prepare(RunRequest("log(1 + exp(-y*(w1*x1 + w2*x2 + b)))", data=p.data, optimizer="newton", steps=50,
                                tol=1e-12, start=[0, 0, 0]))
    result = list(linear.run())[-1].result
    assert result.status.value == "converged"
    assert f"{result.fun:.4f}" in p.description and result.fun > REACHABLE["two-moons"] + 0.02


def test_logistic_regression_keeps_its_name_and_minimum_with_data():
    """The former hand-typed nine-term expression, now a per-example loss over [data], is the
    same function: the same value at the minimum and elsewhere."""
    import sympy

    p = P.load_preset("logistic-regression")
    assert p.expression == "log(1 + exp(-y*(w*t + b)))" and p.data.rows == 9
    w, b = sympy.symbols("w b")
    old = (sympy.log(1 + sympy.exp(-2.5 * w + b)) + sympy.log(1 + sympy.exp(-2 * w + b))
           + sympy.log(1 + sympy.exp(-(-w + b))) + sympy.log(1 + sympy.exp(-0.5 * w + b)) + sympy.log(1 + sympy.exp(b))
           + sympy.log(1 + sympy.exp(-(0.5 * w + b))) + sympy.log(1 + sympy.exp(1.5 * w + b))
           + sympy.log(1 + sympy.exp(-(2 * w + b))) + sympy.log(1 + sympy.exp(-(3 * w + b)))) / 9
    f_old = sympy.lambdify((w, b), old)
    c = compiled("logistic-regression")
    for point in [p.minima[0].at, (0.0, 0.0), (2.0, -1.5), (-1.0, 3.0)]:
        assert c.value(np.array(point)) == pytest.approx(f_old(*point), rel=1e-13)


def test_logistic_regression_data_is_not_separable():
    p = P.load_preset("logistic-regression")
    assert p.variables == ("w", "b")
    c = compiled("logistic-regression")
    # Along any separating direction the loss would fall towards 0; here it stays well above.
    for w in (10.0, 100.0, -10.0, -100.0):
        for b in (-5.0, 0.0, 5.0):
            assert c.value(np.array([w, b])) > p.f_min + 0.1


# -- the suggested settings work -----------------------------------------------------------

#: Presets whose suggested run is meant to end somewhere else than f_min, and why.
NOT_AT_F_MIN = {
    "rastrigin": "by design: gradient descent stops in the nearest of 120 local minima (see the description)",
}
#: How close the suggested run gets to f_min, when not to 1e-6.
CLOSE = {
    "ackley": 1e-2,  # a kink: a fixed learning rate keeps hopping around the tip of the cone
}


def reference_run(c, x0, settings):
    """torch.optim semantics (DESIGN.md), written out independently of gdx.optim."""
    name, lr, steps = settings["optimizer"], settings["lr"], settings["steps"]
    mu = settings.get("momentum", 0.9)
    b1, b2, eps = settings.get("beta1", 0.9), settings.get("beta2", 0.999), settings.get("eps", 1e-8)
    x = np.array(x0, dtype=float)
    buf = m = v = None
    tol = settings.get("tol", 1e-6)  # gdx's loop stops when ‖∇f‖ ≤ tol (default 1e-6)
    for t in range(1, steps + 1):
        g = c.grad(x)
        if np.linalg.norm(g) <= tol:
            break
        if name == "gd":
            x = x - lr * g
        elif name in ("momentum", "nesterov"):
            buf = g.copy() if buf is None else mu * buf + g
            x = x - lr * (g + mu * buf if name == "nesterov" else buf)
        elif name == "adam":
            m = (1 - b1) * g if m is None else b1 * m + (1 - b1) * g
            v = (1 - b2) * g * g if v is None else b2 * v + (1 - b2) * g * g
            x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        else:  # pragma: no cover
            raise AssertionError(name)
    return x


@pytest.mark.parametrize("name", [n for n in NAMES if n not in NETWORKS])
def test_suggested_settings_reach_the_minimum(name):
    p = P.load_preset(name)
    c = compiled(name)
    with quiet():
        x = reference_run(c, p.start, p.settings)
    f = c.value(x)
    assert math.isfinite(f)
    if name == "saddle":
        assert abs(x[1]) > 1 and f < -1  # slid off the saddle point, downhill
    elif name in REACHABLE:
        assert f < REACHABLE[name], f
    elif name in NOT_AT_F_MIN:
        assert np.linalg.norm(c.grad(x)) < 1e-6 and np.linalg.eigvalsh(c.hess(x)).min() > 0  # a local minimum
        assert f > p.f_min + 1
    else:
        assert f - p.f_min <= CLOSE.get(name, 1e-6) * max(1.0, abs(p.f_min)), (x, f)


# -- malformed files ------------------------------------------------------------------------

GOOD = """\
name = "mine"
title = "Mine"
description = "An offset bowl."
expression = "(x - 1)^2 + 3*(y + 2)^2"
variables = ["x", "y"]
start = [0.0, 0.0]

[domain]
x = [-3.0, 3.0]
y = [-4.0, 2.0]

[settings]
optimizer = "gd"
lr = 0.1
steps = 100

[[minima]]
at = [1.0, -2.0]
value = 0.0
"""


def write(tmp_path, text, name="mine.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_user_file_loads_and_is_verified(tmp_path):
    path = write(tmp_path, GOOD)
    p = P.load_preset(str(path))
    assert p.name == "mine" and p.f_min == 0.0 and p.start == (0.0, 0.0) and p.path == str(path.resolve())
    assert p.settings == {"optimizer": "gd", "lr": 0.1, "steps": 100}
    assert p.problem().variables == ("x", "y")


BAD = [
    # (what, replace this, with this, words the message must contain)
    ("bad TOML", "start = [0.0, 0.0]", "start = [0.0, 0.0", ["not valid TOML", "line"]),
    ("missing field", 'expression = "(x - 1)^2 + 3*(y + 2)^2"\n', "", ["field 'expression'", "missing"]),
    ("wrong type", 'variables = ["x", "y"]', 'variables = "x, y"', ["field 'variables'", "list"]),
    ("wrong type of a number", "lr = 0.1", 'lr = "fast"', ["field 'settings.lr'", "number"]),
    ("wrong start length", "start = [0.0, 0.0]", "start = [0.0, 0.0, 1.0]",
     ["field 'start' must have 2 numbers (one per variable: x, y), got 3"]),
    ("a number that is text", "start = [0.0, 0.0]", 'start = [0.0, "0"]', ["field 'start'", "item 2"]),
    ("wrong at length", "at = [1.0, -2.0]", "at = [1.0]", ["field 'minima[0].at'", "got 1"]),
    ("domain lo >= hi", "x = [-3.0, 3.0]", "x = [3.0, 3.0]", ["field 'domain.x'", "lo < hi"]),
    ("domain misses a variable", "y = [-4.0, 2.0]\n", "", ["field 'domain'", "'y'"]),
    ("unknown field", "start =", "strat =", ["field 'strat'"]),
    ("variable not used", 'variables = ["x", "y"]\nstart = [0.0, 0.0]',
     'variables = ["x", "y", "z"]\nstart = [0.0, 0.0, 0.0]', ["field 'variables'", "'z'"]),
    ("variable not listed", '"(x - 1)^2 + 3*(y + 2)^2"', '"(x - 1)^2 + 3*(y + 2)^2 + z^2"', ["field 'expression'", "'z'"]),
    ("bad expression", '"(x - 1)^2 + 3*(y + 2)^2"', '"(x - 1)^2 + 3*(y + 2)^^2"', ["field 'expression'"]),
    ("bad kind", "value = 0.0", 'value = 0.0\nkind = "best"', ["field 'minima[0].kind'"]),
    ("not a minimum", "at = [1.0, -2.0]", "at = [1.5, -2.0]", ["field 'minima[0].at'", "not a minimum", "gradient"]),
    ("wrong value", "value = 0.0", "value = 0.25", ["field 'minima[0].value'", "0.25"]),
    ("a saddle is not a minimum", '"(x - 1)^2 + 3*(y + 2)^2"', '"(x - 1)^2 - 3*(y + 2)^2"',
     ["field 'minima[0].at'", "saddle"]),
]  # fmt: skip


@pytest.mark.parametrize(("what", "old", "new", "words"), BAD, ids=[b[0] for b in BAD])
def test_malformed_file_names_file_and_field(tmp_path, what, old, new, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(GdxError) as info:
        P.load_preset(str(path))
    err = info.value
    assert err.kind == "preset error" and err.exit_code == ExitCode.USAGE
    assert str(path) in err.message
    for word in words:
        assert word in err.message, err.render()


SETTINGS_RANGES = [
    # (setting line, error words or None when accepted) — the ranges are the hyperparameter table's
    ("beta1 = 1.0", "field 'settings.beta1' must be in [0, 1), got 1.0"),
    ("beta2 = -0.1", "field 'settings.beta2' must be in [0, 1), got -0.1"),
    ("rho = 1.5", "field 'settings.rho' must be in [0, 1], got 1.5"),
    ("momentum = -1", "field 'settings.momentum' must be ≥ 0, got -1"),
    ("weight_decay = -0.5", "field 'settings.weight_decay' must be ≥ 0, got -0.5"),
    ("eps = nan", "field 'settings.eps' must be a finite number, got nan"),
    ("tol = -1.0", "field 'settings.tol' must be >= 0, got -1.0"),
    ("rho = 1.0", None),
    ("beta1 = 0.0", None),
    ("initial_accumulator_value = 0.1", None),
]


@pytest.mark.parametrize(("line", "words"), SETTINGS_RANGES, ids=[c[0] for c in SETTINGS_RANGES])
def test_settings_ranges_come_from_the_hyperparameter_table(tmp_path, line, words):
    assert "lr = 0.1\n" in GOOD
    path = write(tmp_path, GOOD.replace("lr = 0.1\n", f"lr = 0.1\n{line}\n", 1))
    if words is None:
        key, value = (part.strip() for part in line.split("="))
        assert P.load_preset(str(path)).settings[key] == float(value)
        return
    with pytest.raises(GdxError) as info:
        P.load_preset(str(path))
    assert words in info.value.message and info.value.kind == "preset error"


def test_settings_keys_are_the_table_names():
    from gdx.optim import HYPERPARAMETERS

    assert P.SETTINGS_KEYS == ("optimizer", "steps", "tol", *HYPERPARAMETERS)


def test_unknown_field_suggests_the_right_one(tmp_path):
    path = write(tmp_path, GOOD.replace("start =", "strat ="))
    with pytest.raises(GdxError) as info:
        P.load_preset(str(path))
    assert info.value.hint == "did you mean 'start'?"


def test_bad_toml_reports_line_and_column(tmp_path):
    path = write(tmp_path, GOOD.replace('title = "Mine"', "title = Mine"))
    with pytest.raises(GdxError) as info:
        P.load_preset(str(path))
    assert "line 2, column 9" in info.value.message


def test_wrong_minimum_hint_gives_the_refined_numbers(tmp_path):
    text = GOOD.replace('"(x - 1)^2 + 3*(y + 2)^2"', '"(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2"')
    text = text.replace("at = [1.0, -2.0]\nvalue = 0.0", "at = [0.0898, -0.7126]\nvalue = -1.0316")
    path = write(tmp_path, text)
    with pytest.raises(GdxError) as info:
        P.load_preset(str(path))
    assert "minima[0]" in info.value.message
    assert "0.08984201310031806, -0.7126564030207396" in info.value.hint


def test_verify_can_be_skipped_and_builtins_are_not_reverified(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD.replace("at = [1.0, -2.0]", "at = [1.5, -2.0]"), "skip.toml")
    assert P.load_preset(str(path), verify=False).minima[0].at == (1.5, -2.0)
    calls = []
    monkeypatch.setattr(P, "verify_minima", lambda preset: calls.append(preset.name))
    P.load_preset("sphere")
    assert calls == []
    P.load_preset("sphere", verify=True)
    assert calls == ["sphere"]


def test_a_kink_in_a_user_file_is_checked_by_sampling(tmp_path):
    good = GOOD.replace('"(x - 1)^2 + 3*(y + 2)^2"', '"abs(x - 1) + sqrt((x - 1)^2 + (y + 2)^2)"')
    assert P.load_preset(str(write(tmp_path, good, "kink.toml"))).f_min == 0.0
    bad = good.replace('"abs(x - 1) + sqrt', '"-abs(x - 1) + 0.5*sqrt')
    with pytest.raises(GdxError, match=r"minima\[0\].at' is not a minimum"):
        P.load_preset(str(write(tmp_path, bad, "kink2.toml")))


def test_unknown_name_and_missing_file():
    with pytest.raises(GdxError) as info:
        P.load_preset("rosenbrok")
    assert "unknown preset 'rosenbrok'" in info.value.message
    assert info.value.hint == "did you mean 'rosenbrock'?"
    assert info.value.exit_code == ExitCode.USAGE
    with pytest.raises(GdxError, match="does not exist"):
        P.load_preset("no/such/file.toml")


def test_looks_like_preset(tmp_path):
    assert P.looks_like_preset("rosenbrock")
    assert P.looks_like_preset("my-landscape.toml")
    path = write(tmp_path, GOOD, "noext")
    assert P.looks_like_preset(str(path))
    for text in ("x^2 + y^2", "rosenbrok", "", "sin(x)*y", "x" * 5000):
        assert not P.looks_like_preset(text), text


# -- where the files are --------------------------------------------------------------------


def test_presets_dir_from_another_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sorted(p.name.removesuffix(".toml") for p in P.presets_dir().iterdir() if p.name.endswith(".toml")) == NAMES
    assert P.load_preset("branin").name == "branin"


PROBE = textwrap.dedent(
    """
    import json, sys
    import gdx.presets as P
    light = "numpy" not in sys.modules and "sympy" not in sys.modules
    text = (P.presets_dir() / "rosenbrock.toml").read_text()
    print(json.dumps({"dir": str(P.presets_dir()), "names": P.preset_names(), "light": light,
                      "rosenbrock": text}))
    """
)


def probe(pythonpath, cwd):
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_installed_layout_finds_packaged_presets(tmp_path):
    """A wheel has the files at gdx/data/presets/ (pyproject force-include); no repo around."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "gdx", site / "gdx", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copytree(REPO / "presets", site / "gdx" / "data" / "presets")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    got = probe(site, elsewhere)
    assert Path(got["dir"]) == site / "gdx" / "data" / "presets"
    assert got["names"] == NAMES and got["rosenbrock"] == (REPO / "presets" / "rosenbrock.toml").read_text()
    assert got["light"], "importing gdx.presets must not import numpy or sympy"


def test_source_checkout_falls_back_to_repo_presets(tmp_path):
    got = probe(REPO, tmp_path)
    assert Path(got["dir"]) == REPO / "presets"
    assert got["names"] == NAMES and got["light"]


def test_pyproject_ships_the_presets():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]["presets"] == "gdx/data/presets"


@pytest.mark.parametrize("name", NAMES)
def test_every_builtin_expression_parses_and_uses_every_variable(name):
    # built-in presets are parsed when first used, not when loaded (a cache hit never parses
    # them): the checks a user's file gets at load time hold for each of them here
    preset = P.load_preset(name)
    problem = preset.problem()
    used = {s.name for s in problem.expr.free_symbols}
    assert set(preset.variables) <= used and used <= set(preset.variables) | set(preset.columns)
