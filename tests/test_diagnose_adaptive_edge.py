"""The adaptive edge of stability (Cohen et al. 2022) deciding the diverged and oscillating
verdicts of Adam, AdamW and RMSprop, with every expected number computed here with numpy from the
recorded path (never through gdx.symptoms).

The runs make P (nearly) constant, so the frozen-preconditioner theory is exact: with ε ≫ √v̂
(ε = 1e8, the gradients stay below 1e-2), P ≈ (1 − β₁ᵗ)·ε and Adam on f = x² + 3y² (H = diag(2, 6))
is EMA-momentum gradient descent with λmax(P⁻¹H) = 6/P.  Above the edge (2+2β₁)/(η(1−β₁)) = 38/η
the error grows, below it the run bounces and shrinks: the verdict must flip exactly there.
"""

from __future__ import annotations

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.diagnose import diagnose
from gdx.loop import run_to_end
from gdx.diagnose import fmt
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.schedules import make_schedule
from gdx.suggest import Setup

F = "x^2 + 3*y^2"
H = np.diag([2.0, 6.0])
X0 = (1e-20, 1e-20)


def gdx_run(optimizer, steps, x0=X0, **hyper):
    c = Compiled(parse_function(F))
    opt = make_optimizer(optimizer, **hyper)
    sched = make_schedule("constant", opt.hyper["lr"])
    result = run_to_end(c, opt, x0, steps=steps, tol=0.0, schedule=sched, schedule_name="constant")
    setup = Setup(tuple(float(v) for v in x0), steps, 0.0, None, "constant", {})
    return result, diagnose(result, c, tol=0.0, setup=setup)


def adam_p(grads, beta1, beta2, eps):
    """Adam's P_t = (1 − β₁ᵗ)·(√(v_t/(1 − β₂ᵗ)) + ε), row k ↔ t = k + 1, by hand."""
    v, out = np.zeros(grads.shape[1]), []
    for k, g in enumerate(grads):
        t = k + 1
        v = beta2 * v + (1 - beta2) * g * g
        out.append((1 - beta1**t) * (np.sqrt(v / (1 - beta2**t)) + eps))
    return np.array(out)


def rmsprop_p(grads, alpha, eps):
    """RMSprop's P_t = √v_t + ε (no bias correction), by hand."""
    v, out = np.zeros(grads.shape[1]), []
    for g in grads:
        v = alpha * v + (1 - alpha) * g * g
        out.append(np.sqrt(v) + eps)
    return np.array(out)


def recent_ratio(result, p, edge):
    """The median of λmax(P⁻¹H)/edge over the last 21 rows; H and P are diagonal, so λmax(P⁻¹H) = max H_ii/P_i."""
    lam = np.max(np.diag(H)[None, :] / p, axis=1)
    return float(np.median(lam[-21:] / edge)), float(np.median(lam[-21:]))


def radius(trace, det):
    return float(np.max(np.abs(np.roots([1.0, -trace, det]))))


ADAM = [  # (optimizer, lr, verdict): 38/η crosses λmax(P⁻¹H) ≈ 6e-8 at η ≈ 6.33e8
    ("adam", 6.65e8, "diverged"),
    ("adam", 6.4e8, "diverged"),  # 1.5% above the edge
    ("adam", 6.3e8, "oscillating"),  # 0.06% below it
    ("adam", 5.7e8, "oscillating"),
    ("adamw", 6.65e8, "diverged"),
]


@pytest.mark.parametrize("optimizer,lr,verdict", ADAM, ids=[f"{o} {lr:g}" for o, lr, _ in ADAM])
def test_adam_verdict_flips_at_the_adaptive_edge(optimizer, lr, verdict):
    hyper = {"lr": lr, "eps": 1e8} | ({"weight_decay": 1e-11} if optimizer == "adamw" else {})
    result, d = gdx_run(optimizer, 60, **hyper)
    edge = (2 + 2 * 0.9) / (lr * (1 - 0.9))  # 38/η
    ratio, lam = recent_ratio(result, adam_p(result.path.grad, 0.9, 0.999, 1e8), edge)
    assert (ratio > 1) == (verdict == "diverged")  # the theory's side, from the path by hand
    assert d.verdict == verdict, d.reason
    assert d.numbers["adaptive_edge"] == pytest.approx(edge, rel=1e-12)
    assert d.numbers["edge_ratio"] == pytest.approx(ratio, rel=1e-9)
    assert d.numbers["preconditioned_sharpness"] == pytest.approx(lam, rel=1e-9)
    assert f"(2+2β₁)/(η(1−β₁)) = {fmt(edge)}" in d.reason
    rho = radius(1 + 0.9 - lr * (1 - 0.9) * ratio * edge, 0.9)  # the frozen-P recurrence's spectral radius
    assert d.numbers["adaptive_factor"] == pytest.approx(rho, rel=1e-9)
    if verdict == "diverged":
        assert d.numbers["growth"] > 1 and "diverging" in d.reason
    else:
        assert d.numbers["edge_side"] == "below" and "not an instability" in d.reason


def test_near_the_edge_the_other_reading_is_stated():
    _, d = gdx_run("adam", 60, lr=6.3e8, eps=1e8)
    assert d.numbers["edge_near"] is True
    (alt,) = d.numbers["alternatives"]
    assert alt["verdict"] == "oscillating" and "within 10% of the edge" in alt["why"]
    assert "Another reading remains" in d.reason
    assert "alternatives" in d.to_dict()
    _, far = gdx_run("adam", 60, lr=5e8, eps=1e8)  # 21% below: no second reading
    assert "alternatives" not in far.numbers


RMS = [  # (momentum μ, lr, verdict): λmax(P⁻¹H) = 6/(1e4 + √v) ≈ 6e-4 against 2(1+μ)/η
    (0.0, 3500.0, "diverged"),
    (0.0, 3000.0, "oscillating"),
    (0.5, 5250.0, "diverged"),
    (0.5, 4500.0, "oscillating"),
]


@pytest.mark.parametrize("mu,lr,verdict", RMS, ids=[f"mu {m} lr {lr:g}" for m, lr, _ in RMS])
def test_rmsprop_with_and_without_momentum(mu, lr, verdict):
    result, d = gdx_run("rmsprop", 40, x0=(1e-6, 1e-6), lr=lr, eps=1e4, momentum=mu)
    edge = 2 * (1 + mu) / lr
    ratio, lam = recent_ratio(result, rmsprop_p(result.path.grad, 0.99, 1e4), edge)
    assert (ratio > 1) == (verdict == "diverged")
    assert d.verdict == verdict, d.reason
    assert d.numbers["adaptive_edge"] == pytest.approx(edge, rel=1e-12)
    assert d.numbers["edge_ratio"] == pytest.approx(ratio, rel=1e-9)
    assert f"2(1+μ)/η = {fmt(edge)}" in d.reason
    rho = radius(1 + mu - lr * ratio * edge, mu)
    assert d.numbers["adaptive_factor"] == pytest.approx(rho, rel=1e-9)
    if verdict == "diverged":  # the measured growth of the loss matches ρ² per step (loss ∝ error²)
        loss = result.path.loss
        assert (loss[-1] / loss[-11]) ** 0.1 == pytest.approx(rho**2, rel=0.02)


@pytest.mark.parametrize("change", [{"steps": 61}, {"steps": 59}, {"lr": 6.65e8 * (1 + 2.0**-52)}, {"lr": 6.65e8 * (1 - 2.0**-53)}],
                         ids=["+1 step", "-1 step", "lr +1ulp", "lr -1ulp"])
def test_adaptive_verdicts_do_not_flip(change):
    steps = change.get("steps", 60)
    _, d = gdx_run("adam", steps, lr=change.get("lr", 6.65e8), eps=1e8)
    assert d.verdict == "diverged", d.reason
    _, d = gdx_run("adam", steps, lr=change.get("lr", 6.65e8) * 5.7 / 6.65, eps=1e8)
    assert d.verdict == "oscillating", d.reason


def test_an_exploding_adam_run_is_explained_by_the_edge_at_its_first_rise():
    # from (1.5, 1.5) the loss passes gdx's explosion band: status diverged, first rise at step 0,
    # where P_1 = (1 − β₁)·(|g_0| + ε) (v̂_1 = g_0²): λmax(P⁻¹H) = max(2/P_x, 6/P_y), 10.5× 38/η
    result, d = gdx_run("adam", 200, x0=(1.5, 1.5), lr=6.65e8, eps=1e8)
    assert result.status.value == "diverged"
    g0 = np.abs(result.path.grad[0])
    lam = max(2 / (0.1 * (g0[0] + 1e8)), 6 / (0.1 * (g0[1] + 1e8)))
    edge = 38 / 6.65e8
    assert d.verdict == "diverged" and d.numbers["first_rise"] == 0
    assert d.numbers["preconditioned_sharpness"] == pytest.approx(lam, rel=1e-12)
    assert d.numbers["edge_ratio"] == pytest.approx(lam / edge, rel=1e-12)
    assert d.numbers["adaptive_factor"] == pytest.approx(radius(1.9 - 0.1 * 6.65e8 * lam, 0.9), rel=1e-9)
    assert "the preconditioned step is unstable" in d.reason and f"{fmt(lam / edge, 4)}×" in d.reason


@pytest.mark.parametrize("optimizer,hyper", [
    ("rmsprop", {"lr": 0.01, "centered": True}), ("adagrad", {"lr": 0.5, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}), ("adamax", {"lr": 0.1})], ids=["centered", "adagrad", "amsgrad+L2", "adamax"])
def test_every_preconditioner_matches_its_rule_by_hand(optimizer, hyper):
    from gdx.symptoms import preconditioned_sharpness

    c = Compiled(parse_function("(1 - x)^2 + 100*(y - x^2)^2"))
    opt = make_optimizer(optimizer, **hyper)
    result = run_to_end(c, opt, (-1.2, 1.0), steps=300, tol=0.0, schedule=make_schedule("constant", opt.hyper["lr"]),
                        schedule_name="constant")
    h = opt.hyper
    g = result.path.grad.copy()
    lam_l2 = h.get("weight_decay", 0.0) if optimizer != "adamw" else 0.0
    g = g + lam_l2 * result.path.x
    v, m, vmax, p = np.zeros(2), np.zeros(2), np.zeros(2), []
    for k, gk in enumerate(g):  # each optimizer's P, as its torch rule states it (module docstrings)
        t = k + 1
        if optimizer == "rmsprop":
            v = 0.99 * v + 0.01 * gk * gk
            m = 0.99 * m + 0.01 * gk
            p.append(np.sqrt(v - m * m) + 1e-8)
        elif optimizer == "adagrad":
            v = v + gk * gk
            p.append((1 + k * 0.01) * (np.sqrt(0.1 + v) + 1e-10))
        elif optimizer == "adam":
            v = 0.999 * v + 0.001 * gk * gk
            vmax = np.maximum(vmax, v)
            p.append((1 - 0.9**t) * (np.sqrt(vmax / (1 - 0.999**t)) + 1e-8))
        else:
            v = np.maximum(0.999 * v, np.abs(gk) + 1e-8)
            p.append((1 - 0.9**t) * v)
    rows = np.array([0, 7, 150, 299])
    want = []
    for r in rows:
        x, y = result.path.x[r]
        hess = np.array([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]]) + lam_l2 * np.eye(2)
        d = 1 / np.sqrt(p[r])
        want.append(np.linalg.eigvalsh(d[:, None] * hess * d[None, :])[-1])
    assert preconditioned_sharpness(result, c, rows) == pytest.approx(want, rel=1e-9)
