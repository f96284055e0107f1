"""Each verdict of gdx.diagnose on a landscape built to show it; numbers checked against hand values."""

import json
import math

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.diagnose import VERDICTS, Diagnosis, diagnose, floor_sig, stable_bound
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.result import Path, Result, Status


def run(text, optimizer, x0, steps=1000, tol=1e-6, preset=None, **hyper):
    c = Compiled(parse_function(text))
    result = run_to_end(c, make_optimizer(optimizer, **hyper), x0, steps=steps, tol=tol)
    d = diagnose(result, c, preset, tol=tol)
    assert d.verdict in VERDICTS
    json.dumps(d.to_dict(), allow_nan=False)  # JSON-safe
    return result, d


def test_diverged_lr_above_two_over_lambda_max():
    # f = x^2 + 3y^2: H = diag(2, 6), λmax = 6, so gd is stable only for lr < 2/6 = 1/3.
    result, d = run("x^2 + 3*y^2", "gd", (1.5, 1.5), lr=0.34)
    assert result.status is Status.DIVERGED and d.verdict == "diverged"
    assert d.numbers["lambda_max"] == pytest.approx(6.0)
    assert d.numbers["stable_lr"] == pytest.approx(1 / 3)
    assert d.numbers["ratio"] == pytest.approx(0.34 * 3)
    # the first loss increase, by independent simulation: x_k = 1.5·(1 − 0.68)^k, y_k = 1.5·(1 − 2.04)^k
    k = np.arange(10)
    loss = (1.5 * 0.32**k) ** 2 + 3 * (1.5 * (-1.04) ** k) ** 2
    assert d.numbers["first_rise"] == int(np.nonzero(np.diff(loss) > 0)[0][0])
    # the suggestion was run: lr = 0.16 (below 2/λmax/2) converges; the text says what it measured
    assert d.suggestion.startswith("try --lr 0.16 (tried from the same start: it converges in ")
    assert "2/λmax = 0.3333" in d.reason


def test_diverged_momentum_uses_its_own_bound():
    # heavy ball: stable iff lr·λ < 2(1 + μ); with λmax = 6, μ = 0.9: lr < 0.6333
    _, d = run("x^2 + 3*y^2", "momentum", (1.5, 1.5), lr=0.7, momentum=0.9)
    assert d.verdict == "diverged" and d.numbers["stable_lr"] == pytest.approx(2 * 1.9 / 6)
    tried = {t["flags"]: t for t in d.numbers["tried"]}
    assert tried["--lr 0.63"]["status"] == "converged"  # just below the bound: stable
    best = min((t for t in tried.values() if t["status"] == "converged"), key=lambda t: t["steps"])
    assert d.suggestion.startswith(f"try {best['flags']} (tried from the same start: it converges in {best['steps']} steps")


def test_unbounded_below_is_diverged_with_negative_curvature():
    _, d = run("-x^2 - y^2", "gd", (1.5, 1.5), lr=0.1)
    assert d.verdict == "diverged" and "without bound" in d.reason
    assert d.numbers["lambda_min"] == pytest.approx(-2.0)


def test_oscillating_between_one_and_two_over_lambda_max():
    # 1/6 < lr = 0.3 < 1/3: along y the error is multiplied by 1 − 0.3·6 = −0.8 each step.
    result, d = run("x^2 + 3*y^2", "gd", (1.5, 1.5), steps=20, lr=0.3)
    assert result.status is Status.MAX_STEPS and d.verdict == "oscillating"
    assert d.numbers["lambda_max"] == pytest.approx(6.0)
    assert d.numbers["half_stable_lr"] == pytest.approx(1 / 6)
    assert d.numbers["contraction"] == pytest.approx(0.8)
    assert np.allclose(np.abs(d.numbers["direction"]), [0, 1])
    assert d.numbers["flips"] == d.numbers["pairs"] == 19
    assert d.suggestion.startswith("try --lr 0.25 (tried from the same start: it ")  # 2/(λmin+λmax), run


def test_no_oscillation_below_one_over_lambda_max():
    _, d = run("x^2 + 3*y^2", "gd", (1.5, 1.5), steps=20, lr=0.15)
    assert d.verdict != "oscillating"


def test_saddle_reached_exactly():
    # x^2 - y^2 from y = 0: gd never leaves the x axis and converges to the saddle (0, 0).
    result, d = run("x^2 - y^2", "gd", (1.5, 0.0), lr=0.1)
    assert result.status is Status.CONVERGED and d.verdict == "saddle"
    assert d.numbers["eigenvalues"] == pytest.approx([-2.0, 2.0])
    assert np.allclose(np.abs(d.numbers["escape_direction"]), [0, 1])


def test_plateau_far_out_with_small_steps():
    # 1 - exp(-r^2) at r = 3.54: |∇f| = 2r·exp(-r^2) ≈ 2.6e-5, while f = 0 at the origin.
    result, d = run("1 - exp(-(x^2 + y^2))", "gd", (2.5, 2.5), lr=0.01)
    assert d.verdict == "plateau"
    assert d.numbers["gap"] > 0.9 and d.numbers["best_value"] < 0.05
    assert d.suggestion.startswith("try -o adam (tried from the same start: it converges in ")


def test_plateau_converged_at_step_zero_is_still_a_plateau():
    # at (3, 3): |∇f| = 2·√18·exp(-18) ≈ 1.3e-7 ≤ tol, so the run "converges" where it started.
    result, d = run("1 - exp(-(x^2 + y^2))", "gd", (3.0, 3.0), lr=0.01)
    assert result.status is Status.CONVERGED and result.nit == 0
    assert d.verdict == "plateau"


def test_slow_when_ill_conditioned():
    # x^2 + 100y^2: λ = 2, 200, κ = 100; with lr = 0.001 the error shrinks by max|1 − lr·λ| = 0.998 per step.
    result, d = run("x^2 + 100*y^2", "gd", (1.5, 1.5), lr=0.001)
    assert result.status is Status.MAX_STEPS and d.verdict == "slow"
    assert d.numbers["condition"] == pytest.approx(100.0)
    assert d.numbers["contraction"] == pytest.approx(0.998)
    assert d.numbers["observed_contraction"] == pytest.approx(0.998, abs=1e-6)
    # steps still needed: ‖∇f‖ shrinks by 0.998 per step from its value now down to 1e-6
    assert d.numbers["steps_needed"] == math.ceil(math.log(1e-6 / result.grad_norm) / math.log(0.998))
    # Polyak's heavy-ball tuning: lr = 4/(√200 + √2)^2 ≈ 0.0165, μ = (9/11)^2 ≈ 0.67
    # μ = (9/11)^2 = 0.6694 is rounded DOWN (0.66: damping kept), lr 4/(√200+√2)^2 = 0.01653 down to 0.016
    tried = {t["flags"]: t for t in d.numbers["tried"]}
    assert tried["-o momentum --lr 0.016 --momentum 0.66"]["status"] == "converged"
    # Newton's method solves a quadratic in one step: the best candidate tried
    assert d.suggestion.startswith("try -o newton (tried from the same start: it converges in 1 steps")


def test_converged_cleanly():
    # lr = 0.25 = 2/(λmin + λmax) is already the best constant rate: nothing to suggest.
    result, d = run("x^2 + 3*y^2", "gd", (1.5, 1.5), lr=0.25)
    assert result.status is Status.CONVERGED and d.verdict == "converged"
    assert d.numbers["kind"] == "minimum" and d.suggestion == ""


def test_converged_with_a_better_rate_available():
    _, d = run("x^2 + 3*y^2", "gd", (1.5, 1.5), lr=0.05)
    assert d.verdict == "converged" and d.suggestion.startswith("try --lr 0.25")


def test_max_steps_otherwise():
    # adam on a well-conditioned bowl, stopped early: still converging at a decent rate.
    result, d = run("x^2 + 3*y^2", "adam", (1.5, 1.5), steps=100, lr=0.1)
    assert result.status is Status.MAX_STEPS and d.verdict == "max_steps"
    assert d.suggestion.startswith("try --steps")


def test_known_global_and_local_minima_of_presets():
    from gdx.presets import load_preset

    himmelblau = load_preset("himmelblau")
    _, d = run(himmelblau.expression, "gd", (0.0, 0.0), preset=himmelblau, lr=0.01)
    assert d.verdict == "converged" and d.numbers["global_minimum"] is True and d.suggestion == ""
    assert "known global minimum of himmelblau" in d.reason
    camel = load_preset("six-hump-camel")
    _, d = run(camel.expression, "gd", (1.5, -1.0), preset=camel, lr=0.01)
    assert d.verdict == "converged" and d.numbers["known_minimum"] is True and d.numbers["global_minimum"] is False
    assert "global minimum is f = -1.032" in d.reason and d.suggestion.startswith("try --start \"0.0898,-0.713\" (tried from the same start: it converges in ")


def test_plateau_preset_with_gradient_descent():
    from gdx.presets import load_preset

    plateau = load_preset("plateau")
    _, d = run(plateau.expression, "gd", plateau.start, steps=300, preset=plateau, lr=0.05)
    assert d.verdict == "plateau"


def test_fault_at_a_point_where_f_is_undefined():
    _, d = run("log(x) + y^2", "gd", (1.5, 1.5), lr=0.5)
    assert d.verdict == "diverged" and "domain" in d.reason


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
def test_stable_bounds_by_simulating_the_recurrence(optimizer):
    # f = λx^2/2 with torch's SGD recurrences, simulated here independently of gdx.optim.
    lam, mu = 4.0, 0.7
    bound = stable_bound(optimizer, {"momentum": mu}, lam)

    def grows(lr):
        x, b = 1.0, 0.0
        for t in range(1, 3000):
            g = lam * x
            b = g if t == 1 else mu * b + g
            x -= lr * (g + mu * b if optimizer == "nesterov" else b)
        return abs(x) > 1.0

    assert not grows(bound * 0.99) and grows(bound * 1.01)
    assert stable_bound("gd", {}, lam) == 0.5 and stable_bound("adam", {}, lam) is None


def test_floor_sig():
    assert floor_sig(1 / 3) == 0.33 and floor_sig(0.6333) == 0.63 and floor_sig(1 / 6) == 0.16 and floor_sig(20.0) == 20


def _synthetic(n_steps):
    """A gd path on x^2 + 100y^2 with lr 1e-4, built in closed form: x_k = x0·(1 − lr·λ)^k."""
    k = np.arange(n_steps + 1)
    x = np.stack([1.5 * (1 - 2e-4) ** k, 1.5 * (1 - 2e-2) ** k], axis=1)
    grad = x * np.array([2.0, 200.0])
    loss = x[:, 0] ** 2 + 100 * x[:, 1] ** 2
    gn = np.linalg.norm(grad, axis=1)
    path = Path(("x", "y"), k, x, loss, grad, gn, np.full(n_steps + 1, 1e-4))
    return Result(x=x[-1], fun=float(loss[-1]), jac=grad[-1], grad_norm=float(gn[-1]), nit=n_steps, nfev=0, njev=0, nhev=0,
                  status=Status.MAX_STEPS, message="", path=path, variables=("x", "y"), optimizer="gd",
                  hyper={"lr": 1e-4}, schedule="constant", wall_time=0.0)


@pytest.mark.parametrize("n_steps", [1000, 100_000])
def test_diagnose_long_paths(n_steps):
    """The verdict on a long path (its speed is measured in bench/, not asserted here)."""
    c = Compiled(parse_function("x^2 + 100*y^2"))
    c.hess(np.zeros(2))  # compile once, as a run's header does
    d = diagnose(_synthetic(n_steps), c)
    assert d.verdict == "slow"


def test_to_dict_is_flat_and_json_safe():
    d = Diagnosis("diverged", "r", "s", {"lambda_max": math.inf, "x": [1.0, math.nan], "step": 3})
    assert d.to_dict() == {"verdict": "diverged", "reason": "r", "suggestion": "s", "lambda_max": None, "x": [1.0, None], "step": 3}


def test_stalled_near_a_saddle():
    # x^2 - y^2 from y = 1e-9 with small steps: after 500 steps x ≈ 6e-5, y ≈ 2e-5, H = diag(2, -2).
    result, d = run("x^2 - y^2", "gd", (1.5, 1e-9), steps=500, lr=0.01)
    assert result.status is Status.MAX_STEPS and d.verdict == "saddle" and "stalled near" in d.reason


def test_an_indefinite_hessian_far_from_any_saddle_is_not_a_saddle():
    # in Rosenbrock's curved valley H is often indefinite, but there is no saddle point anywhere.
    _, d = run("(1 - x)^2 + 100*(y - x^2)^2", "adam", (-1.2, 1.0), steps=1000, lr=1e-3)
    assert d.verdict != "saddle"


def test_following_the_suggestions_works():
    # slow → the suggested heavy-ball settings converge in far fewer steps than gd needs (~7450)
    _, d = run("x^2 + 100*y^2", "gd", (1.5, 1.5), lr=0.001)
    words = next(t["flags"] for t in d.numbers["tried"] if t["flags"].startswith("-o momentum")).split()
    lr, mu = float(words[words.index("--lr") + 1]), float(words[words.index("--momentum") + 1])
    result, _ = run("x^2 + 100*y^2", "momentum", (1.5, 1.5), lr=lr, momentum=mu)
    assert result.status is Status.CONVERGED and result.nit < 200
    # diverged → the suggested lr bound is stable
    _, d = run("x^2 + 3*y^2", "gd", (1.5, 1.5), lr=0.34)
    result, _ = run("x^2 + 3*y^2", "gd", (1.5, 1.5), lr=float(d.numbers["suggested"].split()[-1]))
    assert result.status is Status.CONVERGED


ACKLEY = "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20"


def test_adam_bouncing_around_ackleys_cone_is_oscillating():
    # Adam's steps stay ~lr long, so next to the cone's tip it cycles across it.
    # Both readings are true and both are said: the tip of the cone is a kink (the cause), and
    # the steps bounce across it (the symptom).
    _, d = run(ACKLEY, "adam", (0.45, -0.35), lr=0.01)
    assert d.verdict in ("oscillating", "max_steps")
    assert d.numbers["cancellation"] <= 0.1 if d.verdict == "oscillating" else d.numbers["oscillating"]
    assert "schedule" in d.suggestion


@pytest.mark.parametrize("schedule", ["constant", "step"])
def test_stopping_at_a_kink_is_explained(schedule):
    # This used to be Adam with a cosine schedule settling onto Ackley's cone: where its last
    # steps ended (1e-7 … 3e-7 from the tip) moved with the last bits of rounding, and a start
    # a few ulps away gave "slow" instead.  Here every number is a power of two, so every step
    # is exact: gd on |x| + |y| with lr = 2⁻²² from (3·2⁻²³, −2⁻²³) bounces between ±2⁻²³ on
    # both axes.  The kink rule flags an axis when it lies within ~h/2 of x (h = 1e-6·(1 + |x|));
    # 2⁻²³ ≈ 1.2e-7 is well inside that, and f = 2⁻²² is far below the plateau rule's 1e-6 gap.
    c = Compiled(parse_function("abs(x) + abs(y)"))
    from gdx.schedules import make_schedule

    lr = 2.0**-22
    lr_of = make_schedule(schedule, lr, **({"step_size": 1000} if schedule == "step" else {}))
    result = run_to_end(c, make_optimizer("gd", lr=lr), (3 * 2.0**-23, -(2.0**-23)), steps=20, tol=1e-6,
                        schedule=lr_of, schedule_name=schedule)
    assert result.status is Status.MAX_STEPS
    assert result.path.x[-2:].tolist() == [[2.0**-23, 2.0**-23], [-(2.0**-23), -(2.0**-23)]]
    assert result.grad_norm == math.sqrt(2)  # ‖∇f‖ never falls below tol next to a kink
    d = diagnose(result, c)
    assert d.verdict == "max_steps" and d.numbers["differentiable"] is False
    assert "not differentiable" in d.reason
    tried = [t["flags"] for t in d.numbers.get("tried", [])]
    assert ("--schedule cosine" in tried) == (schedule == "constant")


def test_tol_zero_runs_every_step_as_asked_and_suggests_no_more_steps():
    from gdx.compile import Compiled
    from gdx.diagnose import diagnose
    from gdx.loop import run_to_end
    from gdx.optim import make_optimizer
    from gdx.parse import parse_function

    # gd with lr 0.1 on x² + 3y² contracts x by 0.8 and y by 0.4 a step: no sign flips, κ = 3.
    c = Compiled(parse_function("x^2 + 3*y^2"))
    result = run_to_end(c, make_optimizer("gd", lr=0.1), (1.5, -0.5), steps=300, tol=0)
    d = diagnose(result, c, tol=0)
    assert d.verdict == "max_steps" and d.suggestion == "" and "--tol 0" in d.reason
    d = diagnose(result, c, tol=1e-20)
    assert [t["flags"] for t in d.numbers["tried"]] == ["--steps 600"]
