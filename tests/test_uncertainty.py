"""Uncertainty stated (issue 9): where the evidence is ambiguous the diagnosis names the readings
that remain (``alternatives`` in --json, a sentence in the reason); where it is not, it says none.
Every number is recomputed here with numpy from the recorded path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.diagnose import diagnose
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.schedules import make_schedule
from gdx.suggest import Setup
from gdx.symptoms import near_one

ROSEN = "(1 - x)^2 + 100*(y - x^2)^2"


def gdx_run(text, optimizer, x0, steps, tol=1e-6, **hyper):
    c = Compiled(parse_function(text))
    opt = make_optimizer(optimizer, **hyper)
    sched = make_schedule("constant", opt.hyper["lr"])
    result = run_to_end(c, opt, x0, steps=steps, tol=tol, schedule=sched, schedule_name="constant")
    setup = Setup(tuple(float(v) for v in x0), steps, tol, None, "constant", {})
    return result, diagnose(result, c, tol=tol, setup=setup)


def test_a_changing_rate_gives_the_range_of_steps_still_needed():
    result, d = gdx_run(ROSEN, "rmsprop", (-1.2, 1.0), 500, lr=0.001)
    y = np.log(result.path.grad_norm[-101:])
    t = np.arange(101.0)
    r1, r2 = (math.exp(np.polyfit(t[:51], y[:51], 1)[0]), math.exp(np.polyfit(t[50:], y[50:], 1)[0]))  # the two halves
    lo, hi = sorted(math.log(1e-6 / result.path.grad_norm[-1]) / math.log(r) for r in (r1, r2))
    assert hi > 2 * lo  # the estimate really is ambiguous
    (alt,) = d.numbers["alternatives"]
    assert alt["verdict"] == "slow"
    assert f"×{near_one(r1)} per step, then ×{near_one(r2)}" in alt["why"]
    assert f"from about {math.ceil(lo)} to {math.ceil(hi)}" in alt["why"]
    assert "Other readings remain: slow" in d.reason
    assert d.to_dict()["alternatives"] == [alt]  # a JSON object, not a string


def test_an_oscillating_envelope_is_not_a_changing_rate():
    # heavy ball on a quadratic: ‖∇f‖ shrinks by |z| = √μ = 0.9487 per step with an oscillating
    # envelope (complex roots); the halves differ by phase only, so no second reading
    _, d = gdx_run("x^2 + 10*y^2", "momentum", (1.5, 0.8), 200, lr=0.02)
    assert d.verdict == "slow" and d.numbers["observed_contraction"] == pytest.approx(math.sqrt(0.9), abs=2e-3)
    assert "alternatives" not in d.numbers


def test_too_few_steps_leave_a_plateau_open_unless_the_curvature_is_constant():
    _, d = gdx_run(ROSEN, "gd", (-1.2, 1.0), 10, lr=0.001)
    assert any(a["verdict"] == "plateau" and "only 10 steps" in a["why"] for a in d.numbers["alternatives"])
    _, d = gdx_run("x^2 + 100*y^2", "gd", (1.5, 1.5), 10, lr=0.001)  # a quadratic: the rate 1 − 2·lr is exact
    assert d.verdict == "slow" and "alternatives" not in d.numbers


def test_near_the_bound_on_a_quadratic_the_side_is_certain():
    # lr = 0.34 is 1.02× 2/λmax = 1/3, but H is constant: it grows forever, no edge of stability
    _, d = gdx_run("x^2 + 3*y^2", "gd", (1.5, 1.5), 30, lr=0.34)
    assert d.verdict == "diverged" and d.numbers["lr"] / d.numbers["stable_lr"] == pytest.approx(1.02)
    assert "alternatives" not in d.numbers and "Other readings" not in d.reason


ACKLEY = "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20"


def test_a_kink_with_bouncing_states_both_readings():
    # Adam at the tip of Ackley's cone: ∂f/∂y jumps between ±2.86 across y = 0 and the steps flip
    _, d = gdx_run(ACKLEY, "adam", (0.45, -0.35), 1000, lr=0.01)
    assert d.verdict == "max_steps" and d.numbers["differentiable"] is False and d.numbers["oscillating"] is True
    assert any(a["verdict"] == "oscillating" and "across the kink" in a["why"] for a in d.numbers["alternatives"])
    doc = d.to_dict()
    assert {"verdict", "reason", "suggestion", "alternatives"} <= set(doc)  # the old keys stay
