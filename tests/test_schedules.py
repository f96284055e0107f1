"""Learning-rate schedules: closed forms against torch.optim.lr_scheduler sequences.

``fixtures/torch_schedules.json`` holds the lr that torch's StepLR, ExponentialLR and
CosineAnnealingLR give each update (written by ``fixtures/make_torch_references.py``); torch's
classes update recursively, gdx uses the closed forms, and they must agree to 1e-12 -- as
functions, and as the lr that ``gdx.loop.run`` and ``gdx.batch.run_batch`` give each update.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import gdx.batch
from gdx.batch import run_batch
from gdx.compile import compile_problem
from gdx.errors import GdxError
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.result import Status
from gdx.schedules import SCHEDULES, make_schedule

SEQUENCES = json.loads((Path(__file__).parent / "fixtures" / "torch_schedules.json").read_text())["sequences"]
QUARTER = compile_problem(parse_function("0.05*x^2"))  # ∇f = 0.1·x: each update scales x by (1 − 0.1·lr)


def _id(seq):
    return ",".join(f"{k}={v}" for k, v in seq["schedule"].items()) + f",lr={seq['lr']}"


@pytest.mark.parametrize("seq", SEQUENCES, ids=_id)
def test_closed_form_equals_torch(seq):
    params = dict(seq["schedule"])
    lr_of = make_schedule(params.pop("name"), seq["lr"], **params)
    ours = [lr_of(k) for k in range(len(seq["lrs"]))]
    assert all(isinstance(v, float) for v in ours)
    np.testing.assert_allclose(ours, seq["lrs"], rtol=1e-12, atol=1e-12)


def _expected_gd_path(x0, lrs):
    """gd on f = 0.05·x² (∇f = 0.1·x) with lr_k for update k: x_{k+1} = x_k·(1 − 0.1·lr_k)."""
    return x0 * np.concatenate([[1.0], np.cumprod(1 - 0.1 * np.asarray(lrs))])


@pytest.mark.parametrize("seq", SEQUENCES, ids=_id)
def test_loop_uses_torch_lr_for_each_update(seq):
    """Through gdx.loop.run: update k uses torch's k-th lr (recorded, and visible in the path)."""
    params = dict(seq["schedule"])
    name = params.pop("name")
    steps = len(seq["lrs"])
    opt = make_optimizer("gd", lr=seq["lr"])
    result = run_to_end(QUARTER, opt, [2.0], steps=steps, tol=0, schedule=make_schedule(name, seq["lr"], **params),
                        schedule_name=name)
    assert result.status is Status.MAX_STEPS and result.nit == steps
    np.testing.assert_allclose(result.path.lr[:-1], seq["lrs"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.path.x[:, 0], _expected_gd_path(2.0, seq["lrs"]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ["blocks", "exact"])
@pytest.mark.parametrize("seq", SEQUENCES, ids=_id)
def test_batch_uses_torch_lr_for_each_update(seq, engine, monkeypatch):
    """Through gdx.batch.run_batch, along its block path and its exact per-row path."""
    if engine == "exact":
        monkeypatch.setattr(gdx.batch, "BLOCK_MIN", 10**6)
        monkeypatch.setattr(gdx.batch, "BLOCK_MAX", 10**6)
    params = dict(seq["schedule"])
    name = params.pop("name")
    steps = len(seq["lrs"])
    out = run_batch(QUARTER, make_optimizer("gd", lr=seq["lr"]), [[2.0], [-1.0]], steps=steps, tol=0,
                    schedule_fn=make_schedule(name, seq["lr"], **params), record_path=True)
    assert list(out.nit) == [steps, steps]
    for row, x0 in enumerate([2.0, -1.0]):
        np.testing.assert_allclose(out.path_x[:, row, 0], _expected_gd_path(x0, seq["lrs"]), rtol=1e-12, atol=1e-15)


def test_fixture_covers_each_schedule_and_cosine_past_t_max():
    names = {s["schedule"]["name"] for s in SEQUENCES}
    assert names == {"step", "exponential", "cosine"}
    assert any(s["schedule"]["name"] == "cosine" and len(s["lrs"]) > 2 * s["schedule"]["t_max"] for s in SEQUENCES)


def test_cosine_past_t_max_rises_again():
    lr_of = make_schedule("cosine", 0.1, t_max=10, eta_min=0.01)
    assert lr_of(0) == 0.1
    assert lr_of(10) == pytest.approx(0.01, abs=1e-15)
    assert lr_of(15) == pytest.approx(lr_of(5))
    assert lr_of(20) == pytest.approx(0.1)


def test_constant_and_formulas():
    assert make_schedule("constant", 0.3)(1000) == 0.3
    assert make_schedule("step", 1.0, step_size=4)(7) == 0.1
    assert make_schedule("step", 1.0, step_size=4)(8) == pytest.approx(0.01)
    assert make_schedule("step", 1.0, step_size=4)(3) == 1.0
    assert make_schedule("exponential", 2.0)(3) == pytest.approx(2.0 * 0.99**3)
    assert make_schedule("exponential", 2.0, gamma=0.5)(3) == 0.25
    assert make_schedule("cosine", 1.0, t_max=4)(2) == pytest.approx(0.5)


def test_array_lr_for_sweeps():
    lrs = np.array([[0.01], [0.1], [1.0]])
    for name, params in [
        ("constant", {}),
        ("step", {"step_size": 3, "gamma": 0.5}),
        ("exponential", {}),
        ("cosine", {"t_max": 20, "eta_min": 0.001}),
    ]:
        batched = make_schedule(name, lrs, **params)
        for k in (0, 4, 17, 33):
            out = batched(k)
            assert np.shape(out) == (3, 1)
            for row in range(3):
                single = make_schedule(name, float(lrs[row, 0]), **params)(k)
                assert out[row, 0] == pytest.approx(single, rel=1e-15, abs=0)


def test_numpy_integer_step_index():
    lr_of = make_schedule("cosine", 0.1, t_max=10)
    assert float(lr_of(np.int64(3))) == pytest.approx(lr_of(3), rel=1e-15)


INVALID = [
    (("constant", -1), {}, "Invalid learning rate: -1"),
    (("cosine", -0.5), {"t_max": 10}, "Invalid learning rate: -0.5"),
    (("step", 0.1), {"step_size": 10, "gamma": -0.5}, "Invalid gamma value: -0.5"),
    (("exponential", 0.1), {"gamma": 0}, "Invalid gamma value: 0"),
    (("step", 0.1), {"step_size": 0}, "Expected positive integer step_size, but got 0"),
    (("step", 0.1), {"step_size": 2.5}, "Expected positive integer step_size, but got 2.5"),
    (("cosine", 0.1), {"t_max": -3}, "Expected positive integer t_max, but got -3"),
    (("cosine", 0.1), {"t_max": 10, "eta_min": -1}, "Invalid eta_min value: -1"),
    (("step", 0.1), {}, "the 'step' schedule needs step_size (decay by γ every step_size updates)"),
    (("cosine", 0.1), {}, "the 'cosine' schedule needs t_max (the number of updates to anneal over)"),
    (("constant", 0.1), {"gamma": 0.5}, "schedule 'constant' does not take gamma; it takes: no parameters"),
    (("exponential", 0.1), {"step_size": 5}, "schedule 'exponential' does not take step_size; it takes: gamma"),
    (("step", 0.1), {"step_size": 3, "eta_min": 0.1}, "schedule 'step' does not take eta_min; it takes: gamma, step_size"),
]


@pytest.mark.parametrize("args,kwargs,message", INVALID)
def test_validation_messages(args, kwargs, message):
    with pytest.raises(GdxError) as info:
        make_schedule(*args, **kwargs)
    assert info.value.message == message


def test_run_steps_is_the_default_t_max_and_t_max_is_refused_elsewhere():
    """The CLI passes the run's step count as ``run_steps``; an explicit t_max is cosine's only."""
    assert make_schedule("constant", 0.1, run_steps=500)(7) == 0.1
    assert make_schedule("step", 1.0, step_size=2, gamma=0.5, run_steps=500)(2) == 0.5
    assert make_schedule("cosine", 1.0, run_steps=4)(2) == pytest.approx(0.5)
    with pytest.raises(GdxError) as info:
        make_schedule("exponential", 1.0, gamma=0.5, t_max=500)
    assert info.value.message == "schedule 'exponential' does not take t_max; it takes: gamma"


def test_float_step_size_that_is_an_integer_is_accepted():
    assert make_schedule("step", 1.0, step_size=2.0, gamma=0.5)(2) == 0.5


def test_unknown_schedule_suggests_closest():
    with pytest.raises(GdxError) as info:
        make_schedule("cosin", 0.1)
    assert info.value.message == "unknown schedule 'cosin'"
    assert info.value.kind == "input error"
    assert info.value.hint == "did you mean 'cosine'?"
    with pytest.raises(GdxError) as info:
        make_schedule("zzz", 0.1)
    assert "constant" in info.value.hint


def test_listing():
    assert list(SCHEDULES) == ["constant", "constant-factor", "linear", "step", "multistep", "exponential", "polynomial",
                               "cosine", "cosine-restarts", "onecycle", "cyclic", "plateau"]
    assert all(isinstance(v, str) and v for v in SCHEDULES.values())
    assert "π" in SCHEDULES["cosine"] and "0.1" in SCHEDULES["step"] and "0.99" in SCHEDULES["exponential"]


def test_cosine_matches_math_definition():
    lr, eta, T = 0.2, 0.02, 13
    lr_of = make_schedule("cosine", lr, t_max=T, eta_min=eta)
    for k in range(40):
        assert lr_of(k) == pytest.approx(eta + (lr - eta) * (1 + math.cos(math.pi * k / T)) / 2, rel=1e-14)
