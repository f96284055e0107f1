"""The adaptive edge of stability (Cohen et al. 2022) as a verdict: an Adam run whose
preconditioned sharpness λmax(P⁻¹H) hovers at the edge (2+2β₁)/(η(1−β₁)) while the loss keeps
falling non-monotonically is ``edge_of_stability``; the same run with P lagging far behind (the
ratio ≪ 1) is not.  Every expected number is computed here with numpy from the recorded path.

The case, from theory: f = 10y² + 1e-7·(x − 2000)², H = diag(2e-7, 20).  Along y Adam
self-stabilises: while y settles, v̂_y decays, P_y shrinks and λmax(P⁻¹H) = 20/P_y rises to the
edge; there the bounce grows the gradient, v̂_y grows with it and λmax(P⁻¹H) falls back.  With
β₂ = 0.98 v̂ follows within ~50 steps, so the ratio stays within a few % of 1; along x the loss
keeps falling (the minimum, 2000 away, is not reached in 3000 steps of ≈ lr = 0.5), with the
y-bounce making it rise in about half the steps.  With β₂ = 0.999 (the default) v̂_y lags ~1000
steps: at lr = 0.05 (edge 760) P_y stays large, λmax(P⁻¹H) stays below 7% of the edge over the
second half and y simply converges.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.diagnose import diagnose
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.schedules import make_schedule
from gdx.suggest import Setup

F = "10*y^2 + 1e-7*(x-2000)^2"
H = np.diag([2e-7, 20.0])
X0 = (0.0, 1.0)
LR, BETA1, STEPS = 0.5, 0.9, 3000
EDGE = (2 + 2 * BETA1) / (LR * (1 - BETA1))  # 76


def gdx_run(beta2, lr=LR):
    c = Compiled(parse_function(F))
    opt = make_optimizer("adam", lr=lr, beta2=beta2)
    sched = make_schedule("constant", lr)
    result = run_to_end(c, opt, X0, steps=STEPS, tol=0.0, schedule=sched, schedule_name="constant")
    return result, diagnose(result, c, tol=0.0, setup=Setup(X0, STEPS, 0.0, None, "constant", {}))


def ratio_by_hand(result, beta2, lr=LR, eps=1e-8):
    """λmax(P⁻¹H)/edge row by row, P_t = (1 − β₁ᵗ)·(√(v_t/(1 − β₂ᵗ)) + ε), row k ↔ t = k + 1;
    H and P are diagonal, so λmax(P⁻¹H) = max_i H_ii/P_i."""
    v, out = np.zeros(2), []
    for k, g in enumerate(result.path.grad):
        t = k + 1
        v = beta2 * v + (1 - beta2) * g * g
        p = (1 - BETA1**t) * (np.sqrt(v / (1 - beta2**t)) + eps)
        out.append(np.max(np.diag(H) / p) / ((2 + 2 * BETA1) / (lr * (1 - BETA1))))
    return np.array(out)


@pytest.fixture(scope="module")
def at_edge():
    return gdx_run(0.98)


def test_adam_hovering_at_the_adaptive_edge_is_edge_of_stability(at_edge):
    result, d = at_edge
    r = ratio_by_hand(result, 0.98)
    late = r[len(r) // 2:]
    assert np.all(np.abs(late - 1) <= 0.1)  # the theory's premise, checked outside gdx
    loss = result.path.loss
    half = loss[len(loss) // 2:]
    rises = np.mean(np.diff(half) > 0)
    assert loss[-1] < half[0] and rises >= 0.1
    assert d.verdict == "edge_of_stability", d.reason
    n = d.numbers
    assert n["adaptive_edge"] == pytest.approx(EDGE)
    samples = np.array(n["preconditioned_sharpness_samples"])
    steps = np.array(n["preconditioned_sharpness_steps"])
    assert samples == pytest.approx(r[steps] * EDGE, rel=1e-9)  # the --json path is λmax(P⁻¹H) itself
    sampled_late = r[steps[steps >= steps[-1] / 2]]
    assert n["edge_ratio_min"] == pytest.approx(sampled_late.min(), rel=1e-9)
    assert n["edge_ratio_max"] == pytest.approx(sampled_late.max(), rel=1e-9)
    assert n["rise_fraction"] == pytest.approx(rises)
    assert "(2+2β₁)/(η(1−β₁)) = 76 for lr = 0.5" in d.reason
    assert f"{sampled_late.min() * EDGE:.4g} and {sampled_late.max() * EDGE:.4g}" in d.reason


def test_adam_far_below_the_adaptive_edge_is_not_edge_of_stability():
    result, d = gdx_run(0.999, lr=0.05)
    r = ratio_by_hand(result, 0.999, lr=0.05)
    assert r[len(r) // 2:].max() < 0.1  # clearly below: v̂ lags, P stays large
    assert d.verdict != "edge_of_stability", d.reason


def test_json_carries_the_preconditioned_sharpness_along_the_path(gdx_main):
    code, out, _ = gdx_main("optimize", F, "-o", "adam", "--lr", "0.5", "--beta2", "0.98", "--start", "x=0,y=1",
                            "--steps", "3000", "--tol", "0", "--json")
    diag = json.loads(out)["diagnosis"]
    assert diag["verdict"] == "edge_of_stability"
    assert len(diag["preconditioned_sharpness_samples"]) == len(diag["preconditioned_sharpness_steps"]) == 64
    assert diag["preconditioned_sharpness_steps"][-1] == STEPS
