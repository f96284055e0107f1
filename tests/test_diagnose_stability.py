"""Stability verdicts built from theory, with every expected number computed here with numpy
(never through gdx): the edge of stability of gradient descent (Cohen et al. 2021) and the
adaptive edge of stability of Adam (Cohen et al. 2022)."""

from __future__ import annotations

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.diagnose import diagnose
from gdx.loop import run_to_end
from gdx.numbers import fmt
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.schedules import make_schedule
from gdx.suggest import Setup


def gdx_run(text, optimizer, x0, steps, tol=1e-6, **hyper):
    c = Compiled(parse_function(text))
    opt = make_optimizer(optimizer, **hyper)
    sched = make_schedule("constant", opt.hyper["lr"])
    result = run_to_end(c, opt, x0, steps=steps, tol=tol, schedule=sched, schedule_name="constant")
    setup = Setup(tuple(float(v) for v in x0), steps, tol, None, "constant", {})
    return result, diagnose(result, c, tol=tol, setup=setup)


# -- edge of stability of gd -------------------------------------------------------------------
def two_layer_gd(lr, p0, steps):
    """GD on f = ¼(x²y² − 1)² by hand: r = x²y² − 1, ∇f = r·(xy², x²y),
    H = [[r y² + 2x²y⁴, 2rxy + 2x³y³], [·, r x² + 2x⁴y²]]; → (loss, sharpness) per step."""
    p = np.array(p0, dtype=float)
    loss, sharp = [], []
    for _ in range(steps + 1):
        x, y = p
        r = x * x * y * y - 1
        off = 2 * r * x * y + 2 * x**3 * y**3
        h = np.array([[r * y * y + 2 * x * x * y**4, off], [off, r * x * x + 2 * x**4 * y * y]])
        loss.append(r * r / 4)
        sharp.append(np.linalg.eigvalsh(h)[-1])
        p = p - lr * r * np.array([x * y * y, x * x * y])
    return np.array(loss), np.array(sharp)


def test_gd_hovers_at_the_edge_of_stability_and_gdx_says_so():
    lr, steps = 0.2, 400
    loss, sharp = two_layer_gd(lr, (2.5, 0.5), steps)
    edge = 2 / lr
    late = slice(steps // 2, None)
    # the theory's claim, checked step by step: the sharpness starts above 2/lr, then stays within
    # 10% of 2/lr over the second half while the loss falls, rising in more than 10% of the steps
    assert 2 * (2.5**2 + 0.5**2) > edge
    assert np.all(np.abs(sharp[late] / edge - 1) <= 0.1)
    assert loss[-1] < loss[steps // 2] and np.mean(np.diff(loss[late]) > 0) > 0.1
    result, d = gdx_run("(x^2*y^2 - 1)^2/4", "gd", (2.5, 0.5), steps, lr=lr)
    assert d.verdict == "edge_of_stability", d.reason
    assert d.numbers["edge"] == pytest.approx(edge, rel=1e-12)
    lo, hi = d.numbers["sharpness_late_min"], d.numbers["sharpness_late_max"]
    assert sharp[late].min() - 1e-9 <= lo <= hi <= sharp[late].max() + 1e-9  # sampled from the same path
    assert f"2/lr = {fmt(edge)}" in d.reason and fmt(lo, 4) in d.reason and fmt(hi, 4) in d.reason
    assert result.path.loss[-1] == pytest.approx(loss[-1], rel=1e-8, abs=1e-14)  # the same trajectory
