"""The batched engine against single runs: every run's path must be the single run's path.

The reference is gdx.loop.run (one run at a time, its own stopping rules) with the same
optimizer, hyperparameters, schedule and clipping; the batch must reproduce each path point
for point, its status, its step count and its fault step -- including runs that diverge or
fault while others in the batch go on.

Two references: ``RowCompiled`` evaluates the single point as a batch of one, so numpy runs the
same array kernels as in the batch, and the paths must be exactly equal (==): the engine itself
adds no rounding.  The plain ``Compiled`` evaluates a single point with numpy *scalars*, whose
``x**2``, ``x**3`` and transcendental functions can round differently from the array kernels in
the last place; against it the paths agree to 1e-12 (relative, and absolute near 0).  The same
holds for Adam's β₁ᵗ, β₂ᵗ when β is swept (an array): numpy's array power and Python's float
power may differ in the last place, so those cases are compared to 1e-12 only.
"""

from __future__ import annotations

import numpy as np
import pytest

from gdx.batch import grad_norms, run_batch
from gdx.compile import Compiled
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.result import Status
from gdx.schedules import make_schedule
from row_compiled import RowCompiled

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
WAVY = "sin(x)*cos(y) + exp(x/5) + 0.1*y^2"


def compiled(text):
    return Compiled(parse_function(text))


def references(c):
    """(single-run compiled, exact?) pairs: row-evaluated (exact) and plain (to 1e-12)."""
    return [(RowCompiled(c.problem), True), (Compiled(c.problem), False)]


def assert_same_path(batch, i, single, exact=True):
    """Run i of the batch is the single run: same points, status, steps, fault step."""
    got, want = batch.path(i), single.path.x
    assert got.shape == want.shape, (i, got.shape, want.shape, batch.status[i], single.status)
    loss = batch.path_fun[: got.shape[0], i]
    if exact:
        assert np.array_equal(got, want, equal_nan=True), (i, np.nanmax(np.abs(got - want)))
        assert np.array_equal(loss, single.path.loss, equal_nan=True)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(loss, single.path.loss, rtol=1e-12, atol=1e-12)
    assert batch.status[i] is single.status
    assert batch.nit[i] == single.nit
    assert batch.fault_step[i] == single.fault_step
    assert batch.cause[i] == single.cause
    # the same end point, with the same convention (the last finite point of the path)
    assert np.array_equal(batch.x[i], single.x, equal_nan=True) if exact else np.allclose(batch.x[i], single.x, equal_nan=True)
    assert (batch.fun[i] == single.fun or (np.isnan(batch.fun[i]) and np.isnan(single.fun))) if exact else np.isclose(batch.fun[i], single.fun, equal_nan=True)
    assert np.isclose(batch.grad_norm[i], single.grad_norm, rtol=1e-12, equal_nan=True)


def starts(B, lo, hi, seed):
    return np.random.default_rng(seed).uniform(lo, hi, size=(B, 2))


CASES = [
    # (function, optimizer, fixed hyper, per-run hyper name, per-run values, lrs, steps)
    (ROSENBROCK, "gd", {}, None, None, [1e-4, 1e-3, 2e-3, 5e-3, 0.05], 300),
    (HIMMELBLAU, "momentum", {}, "momentum", [0.0, 0.5, 0.9, 0.99, 0.95], [1e-3, 5e-3, 0.01, 0.02, 0.05], 300),
    (HIMMELBLAU, "nesterov", {}, "momentum", [0.1, 0.5, 0.9, 0.99, 0.7], [1e-3, 5e-3, 0.01, 0.02, 0.05], 300),
    (ROSENBROCK, "adam", {}, "beta1", [0.0, 0.5, 0.9, 0.95, 0.8], [1e-3, 0.01, 0.05, 0.1, 1.0], 300),
    (WAVY, "adamw", {"weight_decay": 0.05}, "beta2", [0.9, 0.99, 0.999, 0.5, 0.0], [0.01, 0.1, 0.3, 1.0, 3.0], 200),
    (HIMMELBLAU, "adagrad", {"lr_decay": 0.01}, None, None, [0.01, 0.1, 0.5, 1.0, 5.0], 200),
    (WAVY, "rmsprop", {"momentum": 0.5}, "alpha", [0.9, 0.99, 0.5, 0.0, 0.7], [1e-3, 0.01, 0.1, 0.3, 1.0], 200),
    (HIMMELBLAU, "adadelta", {}, "rho", [0.9, 0.5, 0.99, 0.0, 0.7], [0.1, 1.0, 2.0, 5.0, 10.0], 200),
    (HIMMELBLAU, "newton", {}, None, None, [0.1, 0.5, 1.0, 1.5, 1.9], 60),
]


@pytest.mark.parametrize("text,name,fixed,swept,values,lrs,steps", CASES, ids=[c[1] for c in CASES])
def test_batched_paths_equal_single_runs(text, name, fixed, swept, values, lrs, steps):
    c = compiled(text)
    B = 20
    X0 = starts(B, -4, 4, seed=len(name))
    lr = np.resize(np.array(lrs, float), B)
    per_run = {} if swept is None else {swept: np.resize(np.array(values, float), B)[:, None]}
    tol = 1e-2 if name.startswith("ada") else 1e-8  # these settle slowly; a looser tol lets some runs stop
    batch = run_batch(c, make_optimizer(name, **fixed, **per_run), X0, steps=steps, tol=tol, lr=lr, record_path=True)
    for ref, exact in references(c):
        for i in range(B):
            hyper = dict(fixed, lr=float(lr[i]))
            if swept is not None:
                hyper[swept] = float(per_run[swept][i, 0])
            single = run_to_end(ref, make_optimizer(name, **hyper), X0[i], steps=steps, tol=tol)
            assert_same_path(batch, i, single, exact and swept not in ("beta1", "beta2"))
    # some runs stop early (are masked) while others go on
    assert len(set(batch.nit.tolist())) >= 2, "the settings should end runs at different steps"


def test_runs_that_diverge_mid_batch_leave_the_others_unchanged():
    c = compiled(ROSENBROCK)
    lr = np.array([1e-3, 0.01, 0.02, 1e-4, 0.05, 2e-3])  # 0.01 and above blow up from these starts
    X0 = np.array([[-1.2, 1.0]] * 3 + [[2.0, -1.0]] * 3)
    batch = run_batch(c, make_optimizer("gd"), X0, steps=500, tol=1e-6, lr=lr, record_path=True)
    statuses = set()
    for ref, exact in references(c):
        for i in range(len(lr)):
            single = run_to_end(ref, make_optimizer("gd", lr=float(lr[i])), X0[i], steps=500, tol=1e-6)
            assert_same_path(batch, i, single, exact)
            statuses.add(single.status)
    assert Status.DIVERGED in statuses and Status.MAX_STEPS in statuses


def test_nan_fault_and_singular_hessian_rows_stop_alone():
    # log(x) is undefined for x < 0: a large step there is a 'fault' ("not a number"), not a divergence
    c = compiled("log(x) + y^2")
    lr = np.array([0.01, 0.5, 2.0, 0.1])
    X0 = np.array([[1.0, 1.0], [0.5, -1.0], [0.3, 0.2], [2.0, 2.0]])
    batch = run_batch(c, make_optimizer("gd"), X0, steps=100, tol=1e-6, lr=lr, record_path=True)
    for ref, exact in references(c):
        for i in range(4):
            single = run_to_end(ref, make_optimizer("gd", lr=float(lr[i])), X0[i], steps=100, tol=1e-6)
            assert_same_path(batch, i, single, exact)
    assert Status.FAULT in batch.status
    # Newton: a start where the Hessian is ~0 faults at its first update; the others go on
    q = compiled("x^4 + y^4")
    X0 = np.array([[1.0, 2.0], [1e-7, 1e-7], [-1.0, 0.5]])
    batch = run_batch(q, make_optimizer("newton"), X0, steps=30, tol=0.0, lr=1.0, record_path=True)
    for ref, exact in references(q):
        for i in range(3):
            assert_same_path(batch, i, run_to_end(ref, make_optimizer("newton"), X0[i], steps=30, tol=0.0), exact)
    assert batch.status[1] is Status.FAULT and batch.fault_step[1] == 1
    assert batch.status[0] is Status.MAX_STEPS


@pytest.mark.parametrize("sched", ["cosine", "step", "exponential"])
def test_schedules_with_per_run_lr_and_clipping(sched):
    c = compiled(HIMMELBLAU)
    kw = {"cosine": {"t_max": 40}, "step": {"step_size": 15, "gamma": 0.5}, "exponential": {"gamma": 0.97}}[sched]
    lr = np.array([1e-3, 0.01, 0.02, 0.03, 0.05])
    X0 = starts(5, -5, 5, seed=3)
    schedule = make_schedule(sched, lr[:, None], **kw)
    batch = run_batch(
        c, make_optimizer("momentum"), X0, steps=120, tol=1e-6, lr=lr, schedule_fn=schedule, clip_norm=5.0, record_path=True
    )
    for ref, exact in references(c):
        for i in range(5):
            one = make_schedule(sched, float(lr[i]), **kw)
            single = run_to_end(ref, make_optimizer("momentum", lr=float(lr[i])), X0[i], steps=120, tol=1e-6,
                                schedule=one, clip_norm=5.0)
            assert_same_path(batch, i, single, exact)


def test_final_points_match_and_loop_stops_when_all_runs_stop():
    c = compiled("x^2 + 3*y^2")
    X0 = starts(50, -2, 2, seed=9)
    batch = run_batch(c, make_optimizer("gd", lr=0.1), X0, steps=10_000, tol=1e-9)
    assert all(s is Status.CONVERGED for s in batch.status)
    # gd on a diagonal quadratic, by hand: x_k = (1 − 2·lr)^k x₀, y_k = (1 − 6·lr)^k y₀
    k = batch.nit
    np.testing.assert_allclose(batch.x[:, 0], X0[:, 0] * 0.8 ** k, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(batch.x[:, 1], X0[:, 1] * 0.4 ** k, rtol=1e-9, atol=1e-300)
    assert batch.point_steps == int((k + 1).sum()) and k.max() < 10_000


def test_grad_norm_is_the_loops_dot_product():
    import math

    g = np.random.default_rng(1).normal(size=(2000, 3)) * 1e3
    assert np.array_equal(grad_norms(g), [math.sqrt(float(r @ r)) for r in g])


def test_a_gradient_norm_whose_square_overflows_is_finite_and_the_same_in_loop_and_batch():
    # ∇f = 500·e^500·(1, 1) at (1, 1): each component ≈ 7.0e219 is finite, g·g ≈ 1e440 overflows;
    # ‖∇f‖ = 500·e^500·√2 (by hand), computed hypot-style by both engines, bit-identically.
    import math

    from gdx.batch import grad_norms, run_batch
    from gdx.compile import Compiled
    from gdx.loop import run_to_end
    from gdx.optim import make_optimizer
    from gdx.parse import parse_function

    c = Compiled(parse_function("exp(500*x) + exp(500*y)"))
    r = run_to_end(c, make_optimizer("gd", lr=0.0), (1.0, 1.0), steps=2, tol=1e-6)
    want = 500 * math.exp(500) * math.sqrt(2)
    assert r.path.grad_norm[0] == pytest.approx(want, rel=1e-12) and math.isfinite(r.path.grad_norm[0])
    b = run_batch(c, make_optimizer("gd", lr=0.0), np.array([[1.0, 1.0]]), steps=2, tol=1e-6)
    assert b.grad_norm[0] == r.grad_norm
    g = np.array([[1e200, 1e200], [3e300, 4e300], [np.inf, 1.0]])
    assert grad_norms(g)[0] == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)
    assert grad_norms(g)[1] == pytest.approx(5e300, rel=1e-15) and grad_norms(g)[2] == np.inf
