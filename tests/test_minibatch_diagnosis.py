"""A minibatch run's diagnosis: its suggestions run with the run's own batches and are judged by the
full-data loss; the path's kink detector is not fooled by batch noise; tol is judged on ∇L.

References: the full-data loss and gradient of the squared error are written here in numpy,
L = mean((w·x + b − y)²), ∇L = mean(2r·x), mean(2r) with r = w·x + b − y."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gdx.data import DataSet

LINE = "(w*x + b - y)^2"


def noisy_points(n=64, slope=1.5, noise=1.0):
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, n)
    return x, slope * x - 0.5 + rng.normal(0, noise, n)


def full_loss_grad(x, y, theta):
    b, w = theta
    r = w * x + b - y
    return float(np.mean(r * r)), np.array([np.mean(2 * r), np.mean(2 * r * x)])


@pytest.fixture(scope="module")
def noisy():
    x, y = noisy_points()
    return x, y, DataSet("noisy.csv", ("x", "y"), np.column_stack([x, y]))


#: data set id → its compiled mean objective: the symbolic work done once per data set
_MADE: dict = {}


def _prepared(dataset, **kw):
    from gdx.app.prepare import RunRequest, prepare

    p = prepare(RunRequest(LINE, data=dataset, optimizer="gd", **kw), compiled=_MADE.get(id(dataset)))
    _MADE.setdefault(id(dataset), p.compiled)
    return p


def test_a_candidate_runs_the_same_batches_and_is_judged_by_the_full_data_loss(noisy):
    from gdx.loop import run_to_end
    from gdx.minibatch import Batches
    from gdx.optim import make_optimizer
    from gdx.suggest import Candidate, Setup, run_candidate

    x, y, data = noisy
    p = _prepared(data, hyper={"lr": 0.1}, steps=40, batch_size=4, seed=3)
    setup = Setup(tuple(p.x0), 40, 1e-6, batches=tuple(p.sampling))
    out = run_candidate(p.compiled, setup, Candidate("--lr 0.05", "gd", {"lr": 0.05}))
    replay = run_to_end(p.compiled, make_optimizer("gd", lr=0.05), p.x0, steps=40, tol=1e-6,
                        batches=Batches(64, 4, 3))
    assert out.x == tuple(float(c) for c in replay.x)  # the same batches (rule and seed): the same path
    f, g = full_loss_grad(x, y, out.x)
    assert out.full_data and out.fun == pytest.approx(f, rel=1e-12)
    assert out.grad_norm == pytest.approx(float(np.linalg.norm(g)), rel=1e-12)
    assert out.fun != pytest.approx(replay.fun, rel=1e-3)  # the run's own loss is one batch's, not L
    assert "full-data loss L =" in out.measured()
    full_batch = run_candidate(p.compiled, Setup(tuple(p.x0), 40, 1e-6), Candidate("--lr 0.05", "gd", {"lr": 0.05}))
    assert full_batch.x != out.x  # without the batches the candidate would be another run


def test_batch_noise_is_not_read_as_a_kink(gdx_main, noisy, tmp_path, monkeypatch):
    from gdx.symptoms import path_kink

    monkeypatch.setenv("COLUMNS", "100")
    x, y, data = noisy
    p = _prepared(data, hyper={"lr": 0.25}, steps=150, batch_size=4)
    result = _drain(p)
    assert path_kink(result, p.compiled) is not None  # the batch gradients alone look kinked ...
    assert path_kink(result, p.compiled, gradient=p.compiled.grad) is None  # ... the mean loss is smooth
    csv = tmp_path / "noisy.csv"
    csv.write_text("x,y\n" + "".join(f"{float(a)!r},{float(c)!r}\n" for a, c in zip(x, y)))
    code, out, err = gdx_main("optimize", LINE, "--data", str(csv), "--lr", "0.25", "--batch-size", "4",
                              "--steps", "150", "--json")
    assert code == 0, err
    d = json.loads(out)["diagnosis"]
    assert d["set_aside"] == ["kink"] and "kink" not in d["verdict"]
    assert "differentiable" not in d  # the kink reading's numbers are gone
    assert "shows no kink: minibatch noise" in d["reason"] and "tr Cov(g_B) =" in d["reason"]
    f, _ = full_loss_grad(x, y, json.loads(out)["x"])  # variables (b, w)
    assert d["loss"] == pytest.approx(f, rel=1e-12)  # judged by the full-data loss at the end


def _drain(prepared):
    for event in prepared.run():
        pass
    return event.result


def test_minibatch_convergence_is_judged_on_the_full_data_gradient():
    x = np.linspace(-1, 1, 32)
    y = 2 * x + 1  # an exact fit: every example's gradient vanishes at (b, w) = (1, 2)
    data = DataSet("line.csv", ("x", "y"), np.column_stack([x, y]))
    p = _prepared(data, hyper={"lr": 0.2}, steps=3000, tol=1e-6, batch_size=8, eval_every=5, start="b=0,w=0")
    result = _drain(p)
    assert result.status.value == "converged"
    assert result.nit % 5 == 0  # it can end only where ∇L was evaluated
    _, g = full_loss_grad(x, y, result.x)
    assert np.linalg.norm(g) <= 1e-6
    # at the step before the last evaluation, ∇L was still above tol (the run did not stop late)
    before = result.path.x[result.nit - 5]
    assert np.linalg.norm(full_loss_grad(x, y, before)[1]) > 1e-6
