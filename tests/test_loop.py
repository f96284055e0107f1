"""The iteration generator: events, stopping rules, the recorded path, Ctrl-C.

Reference paths are computed by hand-written loops of the update rule in this file.
"""

import math

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.loop import run, run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.result import Finished, Started, Status, Step


def quadratic():
    return Compiled(parse_function("x^2 + 3*y^2"))


def hand_gd(x0, lr, steps):
    """x ← x − lr·∇f for f = x² + 3y² (∇f = (2x, 6y)), written out by hand."""
    x, y = x0
    path = [(x, y)]
    for _ in range(steps):
        x, y = x - lr * 2 * x, y - lr * 6 * y
        path.append((x, y))
    return path


def test_events_in_order_and_step_zero_is_the_start():
    events = list(run(quadratic(), make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=5, tol=0))
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    steps = [e for e in events if isinstance(e, Step)]
    assert [s.k for s in steps] == [0, 1, 2, 3, 4, 5]
    assert list(steps[0].x) == [1.5, -0.5]
    assert steps[0].loss == 1.5**2 + 3 * 0.25


def test_gd_path_equals_a_hand_written_loop():
    result = run_to_end(quadratic(), make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=40, tol=0)
    assert np.allclose(result.path.x, hand_gd((1.5, -0.5), 0.1, 40), rtol=0, atol=1e-15)
    assert result.status is Status.MAX_STEPS and result.nit == 40 and len(result.path) == 41
    assert np.allclose(result.path.grad_norm, [math.hypot(2 * x, 6 * y) for x, y in result.path.x])


def test_converges_when_gradient_norm_reaches_tol():
    result = run_to_end(quadratic(), make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=10_000, tol=1e-6)
    assert result.status is Status.CONVERGED and result.success
    assert result.grad_norm <= 1e-6 and result.path.grad_norm[-2] > 1e-6
    # By hand: |x_k| = 1.5·0.8^k dominates; 2·1.5·0.8^k ≤ 1e-6 first at k = 67.
    assert result.nit == 67


def test_tol_zero_never_stops_early():
    result = run_to_end(quadratic(), make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=300, tol=0)
    assert result.status is Status.MAX_STEPS and result.nit == 300


def test_divergence_keeps_every_step_before_it():
    # lr = 0.4 > 2/λmax = 1/3: y is multiplied by (1 − 6·0.4) = −1.4 every step.
    result = run_to_end(quadratic(), make_optimizer("gd", lr=0.4), (1.5, -0.5), steps=100_000, tol=0)
    assert result.status is Status.DIVERGED
    k = result.fault_step
    assert len(result.path) == k + 1
    assert np.allclose(result.path.x[:k], hand_gd((1.5, -0.5), 0.4, k - 1), rtol=1e-12)
    assert result.message == f"diverged at step {k}: {result.cause}"
    assert result.cause == "the loss exploded (|f − f₀| > 1e10·(1 + |f₀|))"


def test_overflow_to_inf_is_diverged_and_result_is_last_finite_point():
    c = Compiled(parse_function("x^4"))
    result = run_to_end(c, make_optimizer("gd", lr=1.0), (3.0,), steps=1000, tol=0)
    assert result.status is Status.DIVERGED
    assert all(math.isfinite(v) for v in result.x) and math.isfinite(result.fun)


def test_domain_error_is_a_fault_naming_the_step():
    c = Compiled(parse_function("log(x) + x^2"))
    # From x = 0.5 with lr = 1: x₁ = 0.5 − (1/0.5 + 1) = −2.5, where log is undefined.
    result = run_to_end(c, make_optimizer("gd", lr=1.0), (0.5,), steps=10, tol=0)
    assert result.status is Status.FAULT and result.fault_step == 1
    assert "not a number" in result.cause
    assert len(result.path) == 2 and result.x[0] == 0.5


def test_callback_can_stop_the_run():
    result = run_to_end(quadratic(), make_optimizer("gd"), (1.5, -0.5), steps=100, tol=0, callback=lambda s: s.k == 3)
    assert result.status is Status.STOPPED and result.nit == 3


def test_ctrl_c_in_a_sink_still_yields_the_result():
    events = run(quadratic(), make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=1000, tol=0)
    seen = 0
    for event in events:
        if isinstance(event, Step):
            seen += 1
            if event.k == 7:
                finished = events.throw(KeyboardInterrupt)
                break
    assert isinstance(finished, Finished)
    result = finished.result
    assert result.status is Status.INTERRUPTED and len(result.path) == seen == 8


def test_ctrl_c_inside_the_loop_still_yields_the_result():
    def interrupt(step):
        if step.k == 5:
            raise KeyboardInterrupt

    result = run_to_end(quadratic(), make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=1000, tol=0, callback=interrupt)
    assert result.status is Status.INTERRUPTED and len(result.path) == 6


def test_schedule_gives_the_lr_of_each_row():
    from gdx.schedules import make_schedule

    sched = make_schedule("step", 0.1, gamma=0.5, step_size=2)
    result = run_to_end(quadratic(), make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=5, tol=0, schedule=sched)
    assert list(result.path.lr) == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    # Update k uses lr_k: x₁ = x₀(1 − 2·0.1), x₃ = x₂(1 − 2·0.05).
    x = result.path.x[:, 0]
    assert x[1] == 1.5 - 0.1 * (2 * 1.5) and x[3] == x[2] - 0.05 * (2 * x[2])


def test_clip_norm_limits_the_step():
    result = run_to_end(quadratic(), make_optimizer("gd", lr=1.0), (10.0, 0.0), steps=1, tol=0, clip_norm=1.0)
    # ‖∇f‖ = 20 → clipped to 1 (torch: coef = 1/(20 + 1e-6)); the step is −lr·g·coef.
    assert result.path.x[1, 0] == pytest.approx(10.0 - 20.0 / (20.0 + 1e-6), rel=1e-15)
