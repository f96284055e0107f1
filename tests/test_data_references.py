"""Objectives over data (--data) against outside references.

* torch.optim paths on recorded data sets, full batch and minibatch (torch's DataLoader fed
  gdx's index sequence), in ``fixtures/torch_data_paths.json`` written by
  ``fixtures/make_torch_data_references.py``: replayed through ``gdx.loop.run`` and
  ``gdx.batch.run_batch``;
* the linear-regression minimum against ``numpy.linalg.lstsq``;
* the mean's gradient and Hessian against hand-written numpy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gdx.app.prepare import RunRequest, prepare
from gdx.data import DataSet
from gdx.minibatch import Batches

CASES = json.loads((Path(__file__).parent / "fixtures" / "torch_data_paths.json").read_text())["cases"]


def dataset_of(case) -> DataSet:
    columns = tuple(case["data"])
    return DataSet(case["name"], columns, np.stack([np.array(case["data"][c]) for c in columns], axis=1))


#: case name → (data set, compiled mean objective): the symbolic work done once per case
_MADE: dict = {}


def prepared_of(case, **extra):
    made = _MADE.get(case["name"])
    request = RunRequest(case["text"], data=made[0] if made else dataset_of(case), optimizer=case["optimizer"],
                         hyper=case["hyper"], steps=case["steps"], tol=0.0, start=case["x0"],
                         batch_size=case["batch_size"], seed=case["seed"], **extra)
    prepared = prepare(request, compiled=made[1] if made else None)
    _MADE.setdefault(case["name"], (request.data, prepared.compiled))
    return prepared


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_index_sequence_is_the_documented_rule(case):
    N = len(next(iter(case["data"].values())))
    batches = Batches(N, case["batch_size"], case["seed"])
    assert [list(map(int, r)) for r in batches.sequence(case["steps"] + 1)] == case["rows"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_loop_path_equals_torch(case):
    prepared = prepared_of(case)
    result = list(prepared.run())[-1].result
    assert len(result.path) == case["steps"] + 1
    np.testing.assert_allclose(result.path.x, np.array(case["x"]), rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.path.loss, np.array(case["loss"]), rtol=0, atol=1e-10)
    if case["batch_size"] < len(case["rows"][0]) or case["batch_size"] < len(next(iter(case["data"].values()))):
        assert [list(map(int, r)) for r in result.path.rows] == case["rows"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_batch_engine_equals_torch(case):
    prepared = prepared_of(case)
    X0 = np.array([case["x0"], case["x0"]], float)
    batch = prepared.run_batch(X0, record_path=True)
    for i in range(2):
        np.testing.assert_allclose(batch.path_x[:, i], np.array(case["x"]), rtol=0, atol=1e-10)
        np.testing.assert_allclose(batch.path_fun[:, i], np.array(case["loss"]), rtol=0, atol=1e-10)


def test_batch_size_of_all_rows_is_exactly_the_full_batch_path():
    case = next(c for c in CASES if c["name"] == "linear_momentum_batch7")
    N = len(case["data"]["y"])
    full = list(prepared_of({**case, "batch_size": N}).run())[-1].result
    plain = list(prepare(RunRequest(case["text"], data=dataset_of(case), optimizer=case["optimizer"],
                                    hyper=case["hyper"], steps=case["steps"], tol=0.0, start=case["x0"])).run())[-1].result
    assert np.array_equal(full.path.x, plain.path.x) and np.array_equal(full.path.loss, plain.path.loss)
    assert full.path.rows[0] is None and plain.path.rows is None


def test_linear_regression_minimum_equals_lstsq():
    rng = np.random.default_rng(7)
    N = 200
    x1, x2 = rng.normal(size=N), rng.normal(size=N)
    y = 2.0 * x1 - 1.0 * x2 + 0.5 + 0.3 * rng.normal(size=N)
    data = DataSet("lstsq", ("x1", "x2", "y"), np.stack([x1, x2, y], axis=1))
    prepared = prepare(RunRequest("(w1*x1 + w2*x2 + b - y)^2", data=data, optimizer="newton", steps=5, tol=1e-12,
                                  start=[0, 0, 0]))
    result = list(prepared.run())[-1].result
    A = np.stack([np.ones(N), x1, x2], axis=1)  # b, w1, w2: gdx's natural order of the parameters
    expected = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(result.x, expected, rtol=0, atol=1e-9)
    assert result.fun == pytest.approx(np.mean((A @ expected - y) ** 2), rel=1e-12)


def test_mean_gradient_and_hessian_equal_hand_numpy():
    rng = np.random.default_rng(3)
    N = 1000
    X = rng.normal(size=(N, 2))
    y = np.where(rng.normal(size=N) > 0, 1.0, -1.0)
    data = DataSet("logistic", ("x1", "x2", "y"), np.column_stack([X, y]))
    prepared = prepare(RunRequest("log(1 + exp(-y*(w1*x1 + w2*x2 + b)))", data=data))
    theta = np.array([0.2, -0.7, 1.1])  # b, w1, w2
    A = np.column_stack([np.ones(N), X])
    z = y * (A @ theta)
    s = 1 / (1 + np.exp(z))  # σ(−z)
    f = np.mean(np.log1p(np.exp(-z)))
    g = A.T @ (-y * s) / N
    H = (A * (s * (1 - s))[:, None]).T @ A / N
    fc, gc = prepared.compiled.value_and_grad(theta)
    assert fc == pytest.approx(f, rel=1e-13)
    np.testing.assert_allclose(gc, g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(prepared.compiled.hess(theta), H, rtol=1e-12, atol=1e-15)
    # many points at once (the landscape, the batch engine) give the same numbers, chunked
    points = np.stack([theta, theta * 0.5, -theta])
    F, G = prepared.compiled.value_and_grad(points)
    assert F[0] == pytest.approx(f, rel=1e-13)
    np.testing.assert_allclose(G[0], g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(prepared.compiled.value(points), F, rtol=1e-13)
