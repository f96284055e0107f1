"""gdx's optimizers against torch.optim (recorded paths), Newton against hand-written numpy.

The torch references are in ``fixtures/torch_paths.json``, written by
``fixtures/make_torch_references.py`` (see its docstring to regenerate); torch itself is not
needed here.  gdx builds each function from text with its own parser and symbolic gradient and
must reproduce every point of torch's 60-step paths to 1e-10 (relative + absolute) -- through
the real loop (``gdx.loop.run``) and the real batched engine (``gdx.batch.run_batch``, both its
block path and its exact per-row path), never through a loop written here, so a wrong step
count, schedule index or skipped clip in either engine fails these tests.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from gdx.loop import loss_of
import pytest

import gdx.batch
from gdx.batch import run_batch
from gdx.compile import compile_problem
from gdx.errors import GdxError, NumericalFault
from gdx.optim import OPTIMIZERS, describe, make_optimizer
from gdx.optim.clip import clip_by_norm
from gdx.loop import run, run_to_end
from gdx.parse import parse_function
from gdx.result import Status
from gdx.schedules import make_schedule

FIXTURES = Path(__file__).parent / "fixtures"
PATHS = json.loads((FIXTURES / "torch_paths.json").read_text())
#: Every path to 1e-10.  The tightest, L-BFGS on Rosenbrock (history 3, max_iter 4), ends at
#: 5.6e-11 after 6 steps: torch's autograd gradient of Rosenbrock and gdx's symbolic one differ by
#: up to 1 ulp (4.3e-14) and L-BFGS amplifies it (on the quadratic, whose gradients agree bit for
#: bit, L-BFGS's paths agree to 1e-17: the port of torch's fused add_/mul ops loses nothing
#: measurable).  The fixture script stops those runs while the difference is below 1e-10.
TOL = 1e-10

_compiled: dict[str, object] = {}


def compiled(text: str):
    if text not in _compiled:
        _compiled[text] = compile_problem(parse_function(text))
    return _compiled[text]


def _schedule(lr0, schedule):
    """(k ↦ lr, name) for a fixture's schedule dict (None: constant)."""
    if not schedule:
        return make_schedule("constant", lr0), "constant"
    sched = dict(schedule)
    name = sched.pop("name")
    return make_schedule(name, lr0, **sched), name


def run_gdx(name, hyper, oracle, x0, steps, schedule=None, max_norm=None):
    """The real loop (``gdx.loop.run``, as the CLI runs it) for exactly ``steps`` updates.

    Returns (every point, the lr of each update).  With tol = 0 the loop stops only at
    ``steps`` (or on a fault, which the assertion rules out), so the path has steps + 1 points.
    """
    opt = make_optimizer(name, **hyper)
    lr_of, sched_name = _schedule(opt.hyper["lr"], schedule)
    events = list(run(oracle, opt, x0, steps=steps, tol=0, schedule=lr_of, schedule_name=sched_name, clip_norm=max_norm))
    result = events[-1].result
    assert result.status is Status.MAX_STEPS and result.nit == steps, result.message
    assert len(result.path) == steps + 1
    return result.path.x, result.path.lr[:-1]  # the last point's lr is never used by an update


def run_gdx_batch(name, hyper, oracle, x0, steps, schedule=None, max_norm=None, rows=3):
    """The real batched engine (``gdx.batch.run_batch``): ``rows`` copies of the run at once.

    Returns the recorded paths, shape (steps + 1, rows, n).
    """
    opt = make_optimizer(name, **hyper)
    lr_of, _ = _schedule(opt.hyper["lr"], schedule)
    X0 = np.tile(np.asarray(x0, dtype=float), (rows, 1))
    out = run_batch(oracle, opt, X0, steps=steps, tol=0, schedule_fn=lr_of if schedule else None,
                    clip_norm=max_norm, record_path=True)
    assert [s.value for s in out.status] == ["max_steps"] * rows, out.cause
    assert list(out.nit) == [steps] * rows
    return out.path_x


def _case_id(case):
    bits = [case["optimizer"], case["function"], ",".join(f"{k}={v}" for k, v in case["hyper"].items())]
    if case["schedule"]:
        bits.append(",".join(f"{k}={v}" for k, v in case["schedule"].items()))
    if case["max_norm"] is not None:
        bits.append(f"clip={case['max_norm']}")
    return "|".join(bits)


# -- torch references --------------------------------------------------------------------------


def _case_args(case):
    fn = PATHS["functions"][case["function"]]
    return (case["optimizer"], case["hyper"], compiled(fn["text"]), fn["x0"], len(case["path"]) - 1,
            case["schedule"], case["max_norm"])


@pytest.mark.parametrize("case", PATHS["cases"], ids=_case_id)
def test_loop_path_equals_torch(case):
    """gdx.loop.run reproduces every point of torch's path and the lr of every update."""
    path, lrs = run_gdx(*_case_args(case))
    np.testing.assert_allclose(lrs, case["lrs"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(path, np.array(case["path"]), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("engine", ["blocks", "exact"])
@pytest.mark.parametrize("case", PATHS["cases"], ids=_case_id)
def test_batch_path_equals_torch(case, engine, monkeypatch):
    """gdx.batch.run_batch reproduces torch's path in every row, along both of its code paths.

    ``blocks``: the engine's own block sizes (4, 8, 16, 32 cover the 60 updates: every update is
    made inside an unchecked block).  ``exact``: blocks longer than the run, so every update is
    made by the exact per-row step instead.
    """
    if engine == "exact":
        monkeypatch.setattr(gdx.batch, "BLOCK_MIN", 10**6)
        monkeypatch.setattr(gdx.batch, "BLOCK_MAX", 10**6)
    paths = run_gdx_batch(*_case_args(case))
    expected = np.array(case["path"])
    for row in range(paths.shape[1]):
        np.testing.assert_allclose(paths[:, row], expected, rtol=TOL, atol=TOL)


#: Optimizers without a torch reference (newton: numpy references below); lion's references are
#: optax's documented update written out in numpy by the fixture script.
NOT_TORCH = {"newton", "lion", "bfgs", "cg"}


def test_fixture_covers_every_torch_optimizer_and_feature():
    """Every optimizer but newton is in the fixture, on the three test functions, with its
    defaults and with every hyperparameter it takes set to a non-default value in some case
    (weight decay included, where it has one: torch's Rprop and LBFGS have none); every torch optimizer
    also runs with maximize=True, on the concave function."""
    cases = PATHS["cases"]
    recorded = set(OPTIMIZERS) - {"newton", "bfgs", "cg"}  # bfgs/cg: scipy references (test_scipy_references.py)
    assert {c["optimizer"] for c in cases} == recorded
    for name in recorded:
        mine = [c for c in cases if c["optimizer"] == name]
        assert {"quadratic", "rosenbrock", "three"} <= {c["function"] for c in mine}, name
        assert any(set(c["hyper"]) == {"lr"} and not c["schedule"] and c["max_norm"] is None for c in mine), name
        defaults = OPTIMIZERS[name].defaults
        for key, default in defaults.items():
            if key == "lr":
                continue
            changed = [c for c in mine if key in c["hyper"] and c["hyper"][key] != (list(default) if isinstance(default, tuple) else default)]
            assert changed, f"{name}: no case sets {key} to a non-default value"
        if name not in ("rprop", "lbfgs"):
            assert "weight_decay" in defaults, name
    assert "weight_decay" not in OPTIMIZERS["rprop"].defaults  # torch's Rprop and LBFGS have none
    assert "weight_decay" not in OPTIMIZERS["lbfgs"].defaults
    lbfgs_searches = {c["hyper"].get("line_search_fn") for c in cases if c["optimizer"] == "lbfgs"}
    assert lbfgs_searches == {None, "strong_wolfe"}  # torch's default (None) and the line search
    for name in set(OPTIMIZERS) - NOT_TORCH - {"lbfgs"}:  # torch's LBFGS has no maximize
        assert any(c["hyper"].get("maximize") is True and c["function"] == "concave" for c in cases
                   if c["optimizer"] == name), name
    assert any(c["hyper"].get("amsgrad") for c in cases if c["optimizer"] == "adamw")
    assert any(c["hyper"].get("decoupled_weight_decay") and c["hyper"].get("weight_decay") for c in cases
               if c["optimizer"] == "radam")
    assert {c["schedule"]["name"] for c in cases if c["schedule"]} == {"step", "exponential", "cosine"}
    assert any(c["max_norm"] for c in cases)
    assert any("lr_decay" in c["hyper"] and "initial_accumulator_value" in c["hyper"] for c in cases)
    assert any(c["optimizer"] == "rmsprop" and c["hyper"].get("momentum") for c in cases)


def test_lbfgs_evaluation_counts_equal_torchs():
    """The path's nfev column counts what torch's ``state["func_evals"]`` counts: after k steps
    torch has called the closure func_evals[k−1] times (each step's first call at x_{k−1}
    included); gdx has evaluated f that often plus once more, at x_k itself (the loop's
    evaluation, which torch makes as the first call of step k + 1)."""
    lbfgs_cases = [c for c in PATHS["cases"] if c["optimizer"] == "lbfgs"]
    assert len(lbfgs_cases) >= 6
    for case in lbfgs_cases:
        name, hyper, oracle, x0, steps, *_ = _case_args(case)
        result = list(run(oracle, make_optimizer(name, **hyper), x0, steps=steps, tol=0))[-1].result
        assert result.path.nfev[0] == 1, _case_id(case)
        assert list(result.path.nfev[1:] - 1) == case["func_evals"], _case_id(case)
    # a step that makes several iterations evaluates f several times (not one per step)
    assert any(np.max(np.diff(c["func_evals"])) > 1 for c in lbfgs_cases)


def test_paths_actually_move():
    """Guard against a vacuous comparison: every reference path leaves its start."""
    for case in PATHS["cases"]:
        p = np.array(case["path"])
        assert np.linalg.norm(p[-1] - p[0]) > 1e-3, _case_id(case)


def test_maximize_climbs():
    """maximize=True walks uphill: on the concave function every torch optimizer ends higher."""
    oracle = compiled(PATHS["functions"]["concave"]["text"])
    for case in PATHS["cases"]:
        if case["hyper"].get("maximize"):
            p = np.array(case["path"])
            assert oracle.value(p[-1]) > oracle.value(p[0]), _case_id(case)


def test_worst_deviation_from_the_references():
    """The worst deviation of gdx's loop from any recorded reference point (reported: < 1e-10)."""
    worst = 0.0
    for case in PATHS["cases"]:
        path, _ = run_gdx(*_case_args(case))
        worst = max(worst, float(np.max(np.abs(path - np.array(case["path"])))))
    print(f"worst |gdx − reference| over {len(PATHS['cases'])} paths: {worst:.3g}")
    assert worst <= 1e-10


# -- batched runs --------------------------------------------------------------------------------

BATCH_HYPER = {
    "gd": {"weight_decay": 0.1},
    "momentum": {"momentum": 0.8},
    "nesterov": {"weight_decay": 0.05},
    "adagrad": {"lr_decay": 0.01, "initial_accumulator_value": 0.1},
    "rmsprop": {"momentum": 0.5, "centered": True},
    "adadelta": {"rho": 0.85},
    "adam": {"weight_decay": 0.01},
    "adamw": {"amsgrad": True},
    "adamax": {"weight_decay": 0.01},
    "nadam": {"momentum_decay": 0.01},
    "radam": {"beta2": 0.9},
    "rprop": {"etas": (0.4, 1.3)},
    "asgd": {"lambd": 0.01, "t0": 5.0},
    "lion": {},
    "lbfgs": {"line_search_fn": "strong_wolfe", "max_iter": 5},
    "bfgs": {},
    "cg": {},
    "newton": {},
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_batched_rows_equal_single_runs(name):
    oracle = compiled("x**2 + 2*y**2 + 0.5*z**2 + x*y + sin(z)")
    base = OPTIMIZERS[name].default_lr
    lrs = np.array([0.25, 0.5, 1.0, 1.5]) * base
    starts = np.array([[1.0, -1.5, 2.0], [0.5, 0.5, -1.0], [-2.0, 1.0, 0.3], [1.0, -1.5, 2.0]])
    hyper = BATCH_HYPER[name]
    opt = make_optimizer(name, **hyper)
    x = starts.copy()
    state = opt.init(x)
    updates = 4 if opt.needs_loss else 20  # bfgs/cg reach the minimum, where scipy stops (no line search there)
    for t in range(1, updates + 1):
        x_in, x_before = x, x.copy()
        g = oracle.grad(x)
        g_before = g.copy()
        x, state = opt.update(g, state, x, lrs[:, None], t, oracle, **loss_of(opt, oracle.value(x)))
        assert x.shape == starts.shape
        assert np.array_equal(x_in, x_before) and np.array_equal(g, g_before)  # not mutated
    for row in range(len(lrs)):
        single = make_optimizer(name, lr=float(lrs[row]), **hyper)
        xs = starts[row].copy()
        s = single.init(xs)
        for t in range(1, updates + 1):
            xs, s = single.update(oracle.grad(xs), s, xs, float(lrs[row]), t, oracle, **loss_of(single, oracle.value(xs)))
        np.testing.assert_allclose(x[row], xs, rtol=1e-13, atol=1e-15)


def test_batched_hyperparameters_per_row():
    """A sweep over a hyperparameter other than lr: momentum of shape (B, 1)."""
    oracle = compiled("x**2 + 3*y**2")
    mus = np.array([[0.0], [0.5], [0.9]])
    opt = make_optimizer("momentum", momentum=mus)
    x = np.tile([1.5, -0.5], (3, 1))
    state = opt.init(x)
    for t in range(1, 11):
        x, state = opt.update(oracle.grad(x), state, x, 0.01, t, oracle)
    for row, mu in enumerate(mus[:, 0]):
        single = make_optimizer("momentum", momentum=float(mu))
        xs = np.array([1.5, -0.5])
        s = single.init(xs)
        for t in range(1, 11):
            xs, s = single.update(oracle.grad(xs), s, xs, 0.01, t, oracle)
        np.testing.assert_allclose(x[row], xs, rtol=1e-14)


def test_update_never_mutates_inputs():
    oracle = compiled("x**2 + 3*y**2")
    for name in [n for n, spec in OPTIMIZERS.items() if not spec.needs_loss]:  # line-search states: dicts, copied per update
        opt = make_optimizer(name, weight_decay=0.1) if "weight_decay" in OPTIMIZERS[name].defaults else make_optimizer(name)
        x = np.array([1.5, -0.5])
        state = opt.init(x)
        for t in (1, 2, 3):
            g = oracle.grad(x)
            frozen = [x.copy(), g.copy(), *[np.array(a, copy=True) for a in state]]
            x_new, new_state = opt.update(g, state, x, opt.hyper["lr"], t, oracle)
            assert np.array_equal(x, frozen[0]) and np.array_equal(g, frozen[1]), name
            for old, kept in zip(state, frozen[2:]):
                assert np.array_equal(old, kept), name
            assert x_new is not x
            x, state = x_new, new_state


def test_clip_by_norm_batched_rows():
    g = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    out = clip_by_norm(g, 1.0)
    np.testing.assert_allclose(out[0], g[0] * (1.0 / (5.0 + 1e-6)))
    np.testing.assert_array_equal(out[1], g[1])  # coef clamped to 1
    np.testing.assert_array_equal(out[2], g[2])
    np.testing.assert_array_equal(clip_by_norm(g[0], 1.0), out[0])
    assert g[0, 0] == 3.0  # not mutated


# -- newton against independent references --------------------------------------------------


def test_newton_one_step_on_a_quadratic():
    oracle = compiled("x**2 + 3*y**2 + x*y - 2*x + y")
    # minimum: ∇f = (2x + y − 2, 6y + x + 1) = 0
    expected = np.linalg.solve([[2.0, 1.0], [1.0, 6.0]], [2.0, -1.0])
    opt = make_optimizer("newton")
    assert opt.hyper == {"lr": 1.0} and opt.needs_hessian
    x = np.array([1.5, -0.5])
    x1, _ = opt.update(oracle.grad(x), opt.init(x), x, 1.0, 1, oracle)
    np.testing.assert_allclose(x1, expected, rtol=1e-13, atol=1e-14)


def test_newton_constant_hessian_batched():
    oracle = compiled("x**2 + 3*y**2")
    opt = make_optimizer("newton")
    x = np.array([[1.5, -0.5], [-3.0, 2.0]])
    x1, _ = opt.update(oracle.grad(x), opt.init(x), x, np.array([[1.0], [0.5]]), 1, oracle)
    np.testing.assert_allclose(x1, [[0.0, 0.0], [-1.5, 1.0]], atol=1e-14)


def _rosenbrock_newton_reference(x, lr, steps):
    """Hand-derived gradient and Hessian of (1−x)² + 100(y−x²)², plain numpy Newton."""
    path = [np.array(x, float)]
    for _ in range(steps):
        a, b = path[-1]
        g = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        h = np.array([[2 - 400 * b + 1200 * a * a, -400 * a], [-400 * a, 200.0]])
        assert np.all(np.linalg.eigvalsh(h) > 0)  # stays positive definite on this path
        path.append(path[-1] - lr * np.linalg.solve(h, g))
    return np.array(path)


@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_newton_rosenbrock_matches_hand_written_newton(lr):
    oracle = compiled("(1-x)**2 + 100*(y-x**2)**2")
    start = [-1.2, 1.0] if lr == 1.0 else [1.5, 2.0]
    expected = _rosenbrock_newton_reference(start, lr, 6 if lr == 1.0 else 15)
    path, _ = run_gdx("newton", {"lr": lr}, oracle, start, len(expected) - 1)
    np.testing.assert_allclose(path, expected, rtol=1e-9, atol=1e-12)
    if lr == 1.0:
        np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-8)


def test_newton_saddle_free_step_goes_downhill():
    oracle = compiled("x**2 - y**2")
    opt = make_optimizer("newton")
    x = np.array([0.5, 0.1])
    g = oracle.grad(x)
    x1, _ = opt.update(g, opt.init(x), x, 0.5, 1, oracle)
    # plain Newton would jump to the saddle (0, 0); the fix flips the negative curvature
    np.testing.assert_allclose(x1, [0.5 - 0.5 * 0.5, 0.1 + 0.5 * 0.1])
    assert oracle.value(x1) < oracle.value(x)
    d = (x - x1) / 0.5
    assert g @ d > 0  # a descent direction


def test_newton_tiny_eigenvalue_is_floored():
    """H = diag(2, 2e-10): the tiny eigenvalue is replaced by δ = 1e-8·max(1, 2) = 2e-8."""
    oracle = compiled("x**2 + 1e-10*y**2")
    opt = make_optimizer("newton")
    x = np.array([0.3, -0.2])
    x1, _ = opt.update(oracle.grad(x), opt.init(x), x, 1.0, 1, oracle)
    np.testing.assert_allclose(x1, [0.0, -0.2 - (-4e-11 / 2e-8)], rtol=1e-12, atol=1e-15)


def test_newton_indefinite_rotated():
    """A non-diagonal indefinite H (eigenvalues ≈ ±1) uses |λ| in H's own eigenbasis."""
    oracle = compiled("x*y + 1e-3*x**2")
    opt = make_optimizer("newton")
    x = np.array([0.3, -0.2])
    g = oracle.grad(x)
    x1, _ = opt.update(g, opt.init(x), x, 1.0, 1, oracle)
    lam, q = np.linalg.eigh(oracle.hess(x))
    d = q @ ((q.T @ g) / np.maximum(np.abs(lam), 1e-8))
    np.testing.assert_allclose(x1, x - d, rtol=1e-12)
    assert g @ (x - x1) > 0


def test_newton_singular_hessian_raises():
    oracle = compiled("x + 2*y")  # H ≡ 0
    opt = make_optimizer("newton")
    x = np.array([1.0, 1.0])
    with pytest.raises(NumericalFault, match=r"^singular Hessian \(largest \|eigenvalue\|"):
        opt.update(oracle.grad(x), opt.init(x), x, 1.0, 1, oracle)
    xb = np.array([[1.0, 1.0], [2.0, 0.0]])
    with pytest.raises(NumericalFault, match="singular Hessian"):
        opt.update(oracle.grad(xb), opt.init(xb), xb, 1.0, 1, oracle)


def test_newton_plateau_row_in_a_batch_raises():
    oracle = compiled("x**4 + y**4")  # H = 0 at the origin only
    opt = make_optimizer("newton")
    xb = np.array([[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(NumericalFault, match="singular Hessian"):
        opt.update(oracle.grad(xb), opt.init(xb), xb, 1.0, 1, oracle)


def test_newton_non_finite_hessian_raises():
    class Oracle:
        def hess(self, x):
            return np.array([[np.nan, 0.0], [0.0, 1.0]])

    opt = make_optimizer("newton")
    x = np.array([1.0, 1.0])
    with pytest.raises(NumericalFault, match="singular Hessian"):
        opt.update(np.array([1.0, 1.0]), opt.init(x), x, 1.0, 1, Oracle())


# -- validation --------------------------------------------------------------------------------

INVALID = [
    ("gd", {"lr": -1}, "Invalid learning rate: -1"),
    ("adam", {"lr": -0.5}, "Invalid learning rate: -0.5"),
    ("newton", {"lr": -2.0}, "Invalid learning rate: -2.0"),
    ("momentum", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("rmsprop", {"momentum": -1}, "Invalid momentum value: -1"),
    ("adam", {"beta1": 1.5}, "Invalid beta parameter at index 0: 1.5"),
    ("adamw", {"beta1": -0.1}, "Invalid beta parameter at index 0: -0.1"),
    ("adam", {"beta2": 1.0}, "Invalid beta parameter at index 1: 1.0"),
    ("adamw", {"beta2": 1}, "Invalid beta parameter at index 1: 1"),
    ("adam", {"eps": -1e-08}, "Invalid epsilon value: -1e-08"),
    ("adagrad", {"eps": -1}, "Invalid epsilon value: -1"),
    ("rmsprop", {"eps": -0.1}, "Invalid epsilon value: -0.1"),
    ("adadelta", {"eps": -0.1}, "Invalid epsilon value: -0.1"),
    ("gd", {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
    ("adamw", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("rmsprop", {"alpha": -0.9}, "Invalid alpha value: -0.9"),
    ("adadelta", {"rho": 1.1}, "Invalid rho value: 1.1"),
    ("adadelta", {"rho": -0.1}, "Invalid rho value: -0.1"),
    ("adagrad", {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
    ("adagrad", {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
    ("nesterov", {"momentum": 0}, "Nesterov momentum requires a momentum and zero dampening"),
    ("nesterov", {"momentum": 0.0}, "Nesterov momentum requires a momentum and zero dampening"),
    ("nesterov", {"momentum": -0.5}, "Invalid momentum value: -0.5"),  # torch checks the value first
    ("gd", {"lr": float("nan")}, "Invalid learning rate: nan"),
    ("adam", {"lr": float("inf")}, "Invalid learning rate: inf"),
    ("gd", {"lr": np.array([[0.1], [-0.2]])}, "Invalid learning rate: -0.2"),
    ("adam", {"beta1": [0.9, 1.0]}, "Invalid beta parameter at index 0: 1.0"),
    ("adagrad", {"lr": 0.1, "lr_decay": -1, "eps": -1}, "Invalid lr_decay value: -1"),  # torch's order
    ("adam", {"lr": -1, "beta1": 2}, "Invalid learning rate: -1"),
]


@pytest.mark.parametrize("name,hyper,message", INVALID)
def test_invalid_hyperparameter_messages(name, hyper, message):
    with pytest.raises(GdxError) as info:
        make_optimizer(name, **hyper)
    assert info.value.message == message
    assert info.value.kind == "invalid hyperparameter"


def test_valid_edge_values_are_accepted():
    make_optimizer("gd", lr=0)
    make_optimizer("adam", beta1=0.0, beta2=0.0, eps=0.0)
    make_optimizer("adadelta", rho=1.0)
    make_optimizer("momentum", momentum=0.0)
    make_optimizer("rmsprop", momentum=0.9, alpha=0.0)
    make_optimizer("gd", lr=np.array([[0.1], [0.2]]))


def test_inapplicable_hyperparameter_names_optimizer_and_lists_accepted():
    with pytest.raises(GdxError) as info:
        make_optimizer("adam", momentum=0.9)
    msg = info.value.message
    assert "'adam'" in msg and "'momentum'" in msg
    assert msg.endswith("lr, beta1, beta2, eps, weight_decay, amsgrad, maximize")
    with pytest.raises(GdxError) as info:
        make_optimizer("rmsprop", rho=0.9)
    assert info.value.message.endswith("lr, alpha, eps, weight_decay, momentum, centered, maximize")
    with pytest.raises(GdxError) as info:
        make_optimizer("newton", weight_decay=0.1)
    assert info.value.message.endswith("it takes: lr")
    with pytest.raises(GdxError) as info:
        make_optimizer("adam", beta_1=0.9)
    assert info.value.hint == "did you mean 'beta1'?"


def test_accepted_hyperparameters_are_torchs():
    takes = {name: list(spec.defaults) for name, spec in OPTIMIZERS.items()}
    assert takes == {
        "gd": ["lr", "weight_decay", "maximize"],
        "momentum": ["lr", "momentum", "weight_decay", "dampening", "maximize"],
        "nesterov": ["lr", "momentum", "weight_decay", "maximize"],
        "adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize"],
        "rmsprop": ["lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"],
        "adadelta": ["lr", "rho", "eps", "weight_decay", "maximize"],
        "adam": ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize"],
        "adamw": ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize"],
        "adamax": ["lr", "beta1", "beta2", "eps", "weight_decay", "maximize"],
        "nadam": ["lr", "beta1", "beta2", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize"],
        "radam": ["lr", "beta1", "beta2", "eps", "weight_decay", "decoupled_weight_decay", "maximize"],
        "rprop": ["lr", "etas", "step_sizes", "maximize"],
        "asgd": ["lr", "lambd", "alpha", "t0", "weight_decay", "maximize"],
        "lion": ["lr", "beta1", "beta2", "weight_decay"],
        "lbfgs": ["lr", "max_iter", "history_size", "tolerance_grad", "tolerance_change", "line_search_fn"],
        "bfgs": ["lr"],
        "cg": ["lr"],
        "newton": ["lr"],
    }


def test_none_means_default_and_hyper_is_resolved():
    opt = make_optimizer("adamw", lr=None, beta1=None, weight_decay=None)
    assert opt.hyper == {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01,
                         "amsgrad": False, "maximize": False}
    assert all(isinstance(v, float) for k, v in opt.hyper.items() if k not in ("amsgrad", "maximize"))
    assert opt.hyper["amsgrad"] is False and opt.hyper["maximize"] is False
    opt = make_optimizer("rprop", etas=[0.4, 1.3])
    assert opt.hyper["etas"] == (0.4, 1.3) and opt.hyper["step_sizes"] == (1e-6, 50.0)
    opt = make_optimizer("adagrad", lr=1)
    assert opt.hyper["lr"] == 1.0 and isinstance(opt.hyper["lr"], float)
    assert opt.name == "adagrad" and not opt.needs_hessian


def test_unknown_optimizer_suggests_closest():
    with pytest.raises(GdxError) as info:
        make_optimizer("adma")
    assert info.value.message == "unknown optimizer 'adma'"
    assert info.value.kind == "input error"
    assert info.value.hint == "did you mean 'adam'?"
    with pytest.raises(GdxError) as info:
        make_optimizer("nesterow")
    assert info.value.hint == "did you mean 'nesterov'?"
    with pytest.raises(GdxError) as info:
        make_optimizer("qqqqqq")
    # no close match: lists every name
    assert info.value.hint == "choose one of: " + ", ".join(OPTIMIZERS)
    assert list(OPTIMIZERS) == ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
                                "adamax", "nadam", "radam", "rprop", "asgd", "lion", "lbfgs", "bfgs", "cg", "newton"]


# -- describe() --------------------------------------------------------------------------------

TORCH_DEFAULTS = {  # torch 2.x constructor defaults (lr excepted: gdx picks explorer-friendly ones)
    "momentum": {"momentum": 0.9, "weight_decay": 0.0, "dampening": 0.0, "maximize": False},
    "adagrad": {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0},
    "adadelta": {"rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, "lr": 1.0},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False, "maximize": False},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False},
    "adamax": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "nadam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3,
              "decoupled_weight_decay": False},
    "radam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "decoupled_weight_decay": False},
    "rprop": {"lr": 0.01, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)},
    "asgd": {"lr": 0.01, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0.0},
}
OPTAX_DEFAULTS = {"lion": {"beta1": 0.9, "beta2": 0.99, "weight_decay": 1e-3}}


def test_describe_covers_every_optimizer_and_default():
    rows = describe()
    assert [r["name"] for r in rows] == list(OPTIMIZERS) == [
        "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
        "adamax", "nadam", "radam", "rprop", "asgd", "lion", "lbfgs", "bfgs", "cg", "newton",
    ]
    for row in rows:
        spec = OPTIMIZERS[row["name"]]
        listed = {h["name"]: h["default"] for h in row["hyperparameters"]}
        assert listed == spec.defaults == make_optimizer(row["name"]).hyper
        assert row["default_lr"] == listed["lr"]
        for h in row["hyperparameters"]:
            assert h["flag"] == ("--line-search" if h["name"] == "line_search_fn" else "--" + h["name"].replace("_", "-"))
            assert h["meaning"]
        assert row["torch"] and row["summary"] and row["rule"]
        assert all(isinstance(line, str) and line for line in row["rule"])
        json.dumps(row)  # plain data
    by_name = {r["name"]: r for r in rows}
    assert by_name["momentum"]["torch"] == "torch.optim.SGD(momentum=0.9)"
    assert by_name["nesterov"]["torch"] == "torch.optim.SGD(momentum=0.9, nesterov=True)"
    assert "saddle-free" in " ".join(by_name["newton"]["notes"]) and "saddle-free" in by_name["newton"]["summary"]
    for name, defaults in {**TORCH_DEFAULTS, **OPTAX_DEFAULTS}.items():
        listed = {h["name"]: h["default"] for h in by_name[name]["hyperparameters"]}
        assert {k: listed[k] for k in defaults} == defaults


def test_default_lrs_make_a_first_run_converge():
    """The documented purpose of the default lrs: x²+3y² from (1.5, −0.5) converges."""
    oracle = compiled("x**2 + 3*y**2")
    for name in OPTIMIZERS:
        # tol = 0, but Newton lands exactly on the minimum (∇f = 0) in one step and converges
        result = run_to_end(oracle, make_optimizer(name), [1.5, -0.5], steps=600, tol=0)
        f = list(result.path.loss)
        # or a line search that finds no Wolfe step once f is at round-off level: where CG lands
        # after 7 steps (∇f exactly 0, or ~1e-34 and then no step) depends on how the CPU's BLAS
        # rounds a dot product (seen: f = 1.7e-69 at step 7 on an AVX-512 machine)
        at_round_off = result.cause is not None and result.cause.startswith("line search failed") and f[-1] <= 1e-30 * f[0]
        assert result.status in (Status.MAX_STEPS, Status.CONVERGED) or at_round_off, name
        assert f[min(5, len(f) - 1)] < f[0], name  # visibly moves
        assert f[-1] < 1e-2 * f[0], name
        assert math.isfinite(f[-1])


def test_registry_does_not_import_numpy():
    import subprocess
    import sys

    code = (
        "import sys; import gdx.optim, gdx.schedules; "
        "gdx.optim.describe(); sys.exit('numpy' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
