"""Every torch scheduler gdx has, against sequences and paths recorded from torch 2.13.

``fixtures/torch_schedulers.json`` (written by ``fixtures/make_torch_schedule_references.py``)
holds the lr torch gives each update (ConstantLR, LinearLR, MultiStepLR, PolynomialLR,
CosineAnnealingLR far past T_max, CosineAnnealingWarmRestarts, OneCycleLR, CyclicLR, each
behind SequentialLR's warmup) and paths of adam/momentum/gd under schedulers, ReduceLROnPlateau
included.  They are replayed through the closed forms, ``gdx.loop.run`` and
``gdx.batch.run_batch`` (its block path and its exact per-row path).
"""

from __future__ import annotations

import json
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
from gdx.schedules import PARAMETERS, SCHEDULE_PARAMETERS, SCHEDULES, make_schedule

DATA = json.loads((Path(__file__).parent / "fixtures" / "torch_schedulers.json").read_text())
SEQUENCES, PATHS, FUNCTIONS = DATA["sequences"], DATA["paths"], DATA["functions"]
QUARTER = compile_problem(parse_function("0.05*x^2"))  # ∇f = 0.1·x: each update scales x by (1 − 0.1·lr)
TOL = 1e-10
_COMPILED = {}


def _compiled(name):
    if name not in _COMPILED:
        _COMPILED[name] = compile_problem(parse_function(FUNCTIONS[name]["text"]))
    return _COMPILED[name]


def _id(case):
    return ",".join(f"{k}={v}" for k, v in case["schedule"].items()) + f",{case.get('optimizer', 'sgd')},lr={case.get('lr', '')}"


def _schedule(case, lr):
    """The gdx schedule of a recorded case.  The cases recorded with torch's cycle_momentum=False
    (those that do not say "cycle_momentum": true) get cycle_momentum=False here too."""
    params = dict(case["schedule"])
    name = params.pop("name")
    if name in ("onecycle", "cyclic"):
        params.setdefault("cycle_momentum", False)
    return name, make_schedule(name, lr, **params)


def _expected_gd_path(x0, lrs):
    return x0 * np.concatenate([[1.0], np.cumprod(1 - 0.1 * np.asarray(lrs))])


@pytest.mark.parametrize("seq", SEQUENCES, ids=_id)
def test_lr_of_each_update_equals_torch(seq):
    _, lr_of = _schedule(seq, seq["lr"])
    ours = [lr_of(k) for k in range(len(seq["lrs"]))]
    assert all(isinstance(v, float) for v in ours)
    np.testing.assert_allclose(ours, seq["lrs"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seq", SEQUENCES, ids=_id)
def test_loop_uses_torch_lr_for_each_update(seq):
    name, sched = _schedule(seq, seq["lr"])
    steps = len(seq["lrs"])
    result = run_to_end(QUARTER, make_optimizer("gd", lr=seq["lr"]), [2.0], steps=steps, tol=0, schedule=sched,
                        schedule_name=name)
    assert result.status is Status.MAX_STEPS and result.nit == steps
    np.testing.assert_allclose(result.path.lr[:-1], seq["lrs"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.path.x[:, 0], _expected_gd_path(2.0, seq["lrs"]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ["blocks", "exact"])
@pytest.mark.parametrize("seq", SEQUENCES, ids=_id)
def test_batch_uses_torch_lr_for_each_update(seq, engine, monkeypatch):
    if engine == "exact":
        monkeypatch.setattr(gdx.batch, "BLOCK_MIN", 10**6)
        monkeypatch.setattr(gdx.batch, "BLOCK_MAX", 10**6)
    _, sched = _schedule(seq, seq["lr"])
    steps = len(seq["lrs"])
    out = run_batch(QUARTER, make_optimizer("gd", lr=seq["lr"]), [[2.0], [-1.0]], steps=steps, tol=0,
                    schedule_fn=sched, record_path=True)
    assert list(out.nit) == [steps, steps]
    for row, x0 in enumerate([2.0, -1.0]):
        np.testing.assert_allclose(out.path_x[:, row, 0], _expected_gd_path(x0, seq["lrs"]), rtol=1e-12, atol=1e-15)


def _optimizer(case):
    return make_optimizer(case["optimizer"], **case["hyper"])


@pytest.mark.parametrize("case", PATHS, ids=_id)
def test_loop_path_equals_torch(case):
    """adam / momentum / gd under each scheduler (plateau fed the loss): every point and lr."""
    name, sched = _schedule(case, case["hyper"]["lr"])
    steps = len(case["lrs"])
    x0 = FUNCTIONS[case["function"]]["x0"]
    result = run_to_end(_compiled(case["function"]), _optimizer(case), x0, steps=steps, tol=0, schedule=sched,
                        schedule_name=name)
    assert result.nit == steps
    np.testing.assert_allclose(result.path.lr[:-1], case["lrs"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.path.x, np.array(case["path"]), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("engine", ["blocks", "exact"])
@pytest.mark.parametrize("case", PATHS, ids=_id)
def test_batch_path_equals_torch(case, engine, monkeypatch):
    if engine == "exact":
        monkeypatch.setattr(gdx.batch, "BLOCK_MIN", 10**6)
        monkeypatch.setattr(gdx.batch, "BLOCK_MAX", 10**6)
    _, sched = _schedule(case, case["hyper"]["lr"])
    steps = len(case["lrs"])
    x0 = FUNCTIONS[case["function"]]["x0"]
    out = run_batch(_compiled(case["function"]), _optimizer(case), [x0, x0], steps=steps, tol=0, schedule_fn=sched,
                    record_path=True)
    for row in range(2):
        np.testing.assert_allclose(out.path_x[:, row], np.array(case["path"]), rtol=TOL, atol=TOL)


CYCLED = [case for case in PATHS if case["schedule"].get("cycle_momentum")]


@pytest.mark.parametrize("case", CYCLED, ids=_id)
def test_cycled_momentum_of_each_update_equals_torch(case):
    """μ_k (SGD's momentum or Adam's betas[0] before opt.step() k+1) as OneCycleLR/CyclicLR set it."""
    _, sched = _schedule(case, case["hyper"]["lr"])
    ours = [sched.momentum(k) for k in range(len(case["momenta"]))]
    np.testing.assert_allclose(ours, case["momenta"], rtol=1e-13, atol=1e-15)


def test_cycled_momentum_references_cover_sgd_gd_adam_and_move_the_path():
    """Both schedulers on SGD(momentum=0.9), SGD(momentum=0) and Adam; and each reference differs
    from the cycle_momentum=False run (else it would not test the momentum)."""
    covered = {(c["schedule"]["name"], c["optimizer"]) for c in CYCLED}
    assert covered >= {(s, o) for s in ("onecycle", "cyclic") for o in ("momentum", "gd", "adam")}
    for case in CYCLED:
        params = {k: v for k, v in case["schedule"].items() if k not in ("name", "cycle_momentum", "base_momentum",
                                                                          "max_momentum")}
        plain = make_schedule(case["schedule"]["name"], case["hyper"]["lr"], cycle_momentum=False, **params)
        result = run_to_end(_compiled(case["function"]), _optimizer(case), FUNCTIONS[case["function"]]["x0"],
                            steps=len(case["lrs"]), tol=0, schedule=plain)
        assert np.max(np.abs(result.path.x - np.array(case["path"]))) > 1e-3


def test_fixture_covers_every_scheduler_warmup_and_optimizers():
    names = {s["schedule"]["name"] for s in SEQUENCES} | {p["schedule"]["name"] for p in PATHS}
    assert names == set(SCHEDULES) - {"constant"} | {"constant"}
    assert {p["optimizer"] for p in PATHS} >= {"adam", "momentum"}
    warmed = {s["schedule"]["name"] for s in SEQUENCES if "warmup" in s["schedule"]}
    assert warmed == set(SCHEDULES) - {"plateau"}
    assert any(s["schedule"]["name"] == "cosine" and len(s["lrs"]) >= 100 * s["schedule"]["t_max"] for s in SEQUENCES)
    # the plateau references do reduce the rate (else they would test nothing)
    for p in PATHS:
        if p["schedule"]["name"] == "plateau":
            assert min(p["lrs"]) < p["lrs"][0]


def test_plateau_batch_row_that_stops_leaves_the_others_as_alone():
    """Rows converge at different steps (tol > 0): each row's path is its single run's (loop ≡ torch above)."""
    compiled = _compiled("quadratic")
    opt = make_optimizer("momentum", lr=0.3, momentum=0.9)
    sched = make_schedule("plateau", 0.3, factor=0.2, patience=1, threshold=0.05, cooldown=1)
    X0 = [[1.5, -0.5], [1e-4, 1e-4], [-3.0, 2.0]]
    out = run_batch(compiled, opt, X0, steps=80, tol=1e-3, schedule_fn=sched, record_path=True)
    assert len(set(out.nit.tolist())) > 1
    for row, x0 in enumerate(X0):
        single = run_to_end(compiled, opt, x0, steps=80, tol=1e-3, schedule=sched, schedule_name="plateau")
        assert out.nit[row] == single.nit
        np.testing.assert_allclose(out.path_x[: single.nit + 1, row], single.path.x, rtol=1e-13, atol=1e-15)


def test_plateau_with_a_column_of_learning_rates():
    """A sweep's (B, 1) column: each row reduces its own rate."""
    lrs = np.array([[1.0], [0.9]])
    sched = make_schedule("plateau", lrs, factor=0.3, patience=0)
    out = run_batch(_compiled("bowl"), make_optimizer("gd", lr=lrs[:, 0]), [[1.5], [1.5]], steps=6, tol=0,
                    lr=lrs[:, 0], schedule_fn=sched, record_path=True)
    single = run_to_end(_compiled("bowl"), make_optimizer("gd", lr=1.0), [1.5], steps=6, tol=0,
                        schedule=make_schedule("plateau", 1.0, factor=0.3, patience=0))
    np.testing.assert_allclose(out.path_x[:, 0, 0], single.path.x[:, 0], rtol=1e-15)
    assert not np.allclose(out.path_x[:, 1, 0], single.path.x[:, 0])


@pytest.mark.parametrize("name,params", [
    ("constant-factor", {"factor": 0.5, "total_iters": 3}), ("linear", {"total_iters": 4}),
    ("multistep", {"milestones": "2,5"}), ("polynomial", {"total_iters": 6, "power": 2.0}),
    ("cosine-restarts", {"t_0": 3, "t_mult": 2}), ("onecycle", {"total_steps": 20}),
    ("cyclic", {"max_lr": 2.0, "step_size_up": 3}), ("cosine", {"t_max": 5, "warmup": 4}),
])
def test_array_lr_gives_arrays(name, params):
    lrs = np.array([[0.01], [0.1], [1.0]])
    batched = make_schedule(name, lrs, **params)
    for k in (0, 3, 7, 19):
        out = batched(k)
        assert np.shape(out) == (3, 1)
        for row in range(3):
            assert out[row, 0] == pytest.approx(make_schedule(name, float(lrs[row, 0]), **params)(k), rel=1e-15, abs=0)


INVALID = [
    ("constant-factor", {"factor": 1.5}, "Constant multiplicative factor expected to be between 0 and 1."),
    ("linear", {"start_factor": 0}, "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    ("linear", {"end_factor": -0.1}, "Ending multiplicative factor expected to be between 0 and 1."),
    ("cosine-restarts", {"t_0": 0}, "Expected positive integer T_0, but got 0"),
    ("cosine-restarts", {"t_0": 5, "t_mult": 0}, "Expected integer T_mult >= 1, but got 0"),
    ("onecycle", {"total_steps": 0}, "Expected positive integer total_steps, but got 0"),
    ("onecycle", {"total_steps": 10, "pct_start": 1.5}, "Expected float between 0 and 1 pct_start, but got 1.5"),
    ("onecycle", {"total_steps": 10, "anneal_strategy": "cosine"}, "--anneal-strategy must be one of cos, linear, not 'cosine'"),
    ("cyclic", {"max_lr": 0.1, "mode": "square"}, "--mode must be one of triangular, triangular2, exp_range, not 'square'"),
    ("cyclic", {}, "the 'cyclic' schedule needs max_lr (the upper bound of the cycle)"),
    ("multistep", {}, 'the \'multistep\' schedule needs milestones (the updates at which to decay, like "30,80")'),
    ("multistep", {"milestones": "30,x"}, '--milestones takes integers separated by commas, like "30,80", not \'30,x\''),
    ("multistep", {"milestones": "5,-1"}, "--milestones must be non-negative update indices, got '5,-1'"),
    ("plateau", {"factor": 1.0}, "Factor should be < 1.0."),
    ("plateau", {"patience": -1}, "Expected non-negative integer patience, but got -1"),
    ("plateau", {"warmup": 5}, "SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional "
                               "kwargs to be specified when calling `step`"),
    ("onecycle", {"three_phase": "yes"}, "--three-phase is a switch (true or false), not 'yes'"),
    ("linear", {"milestones": "3"}, "schedule 'linear' does not take milestones; it takes: start_factor, end_factor, total_iters"),
    ("cosine", {"t_max": 5, "warmup": 0}, "Expected positive integer warmup, but got 0"),
]


@pytest.mark.parametrize("name,params,message", INVALID)
def test_validation_messages(name, params, message):
    with pytest.raises(GdxError) as info:
        make_schedule(name, 0.1, **params)
    assert info.value.message == message


def test_onecycle_refuses_a_run_longer_than_its_cycle():
    with pytest.raises(GdxError) as info:
        make_schedule("onecycle", 0.1, total_steps=50, run_steps=80)
    assert info.value.message == "Tried to step 80 times. The specified number of total steps is 50"
    assert make_schedule("onecycle", 0.1, run_steps=80)(0) == pytest.approx(0.1 / 25)


def test_run_dependent_defaults():
    assert make_schedule("cosine", 1.0, run_steps=10)(10) == pytest.approx(0.0, abs=1e-15)
    assert make_schedule("cosine", 1.0, run_steps=14, warmup=4)(14) == pytest.approx(0.0, abs=1e-15)
    assert make_schedule("cyclic", 0.1, max_lr=1.0)(0) == 0.1


def test_every_parameter_is_taken_by_some_schedule_and_has_a_flag():
    taken = {p for params in PARAMETERS.values() for p in params} | {"warmup"}
    assert taken == set(SCHEDULE_PARAMETERS)
    assert SCHEDULE_PARAMETERS["t_0"].flag == "--t-0" and SCHEDULE_PARAMETERS["three_phase"].kind is bool


# -- through the CLI ---------------------------------------------------------------------------------
def test_optimize_cli_follows_torch_warmup_cosine_with_adam(gdx_main):
    case = next(p for p in PATHS if p["schedule"] == {"name": "cosine", "t_max": 10, "warmup": 5})
    code, out, err = gdx_main(*["optimize", "x^2 + 3*y^2", "--optimizer", "adam", "--lr", "0.1", "--start", "1.5,-0.5",
                           "--steps", "50", "--tol", "0", "--schedule", "cosine", "--t-max", "10", "--warmup", "5",
                           "--json"])
    assert code == 0, err
    doc = json.loads(out)
    np.testing.assert_allclose(doc["x"], case["path"][-1], rtol=TOL, atol=TOL)


def test_optimize_cli_plateau_and_list_and_switch_flags(gdx_main):
    case = next(p for p in PATHS if p["schedule"].get("cooldown") == 3)
    code, out, err = gdx_main(*["optimize", "x^2", "--optimizer", "gd", "--lr", "1", "--start", "1.5", "--steps", "40",
                           "--tol", "0", "--schedule", "plateau", "--factor", "0.3", "--patience", "2", "--cooldown", "3",
                           "--json"])
    assert code == 0, err
    assert json.loads(out)["x"][0] == pytest.approx(case["path"][-1][0], rel=TOL, abs=TOL)
    code, out, err = gdx_main(*["optimize", "x^2", "--lr", "0.1", "--steps", "5", "--schedule", "onecycle",
                           "--three-phase", "--anneal-strategy", "linear", "--json"])
    assert code == 0, err
    code, out, err = gdx_main(*["optimize", "x^2", "--steps", "5", "--schedule", "multistep", "--milestones", "2,x"])
    assert code == 2 and "--milestones takes integers separated by commas" in err


def test_compare_cli_takes_the_new_schedules(gdx_main):
    code, out, err = gdx_main(*["compare", "x^2 + 3*y^2", "--optimizers", "gd,adam", "--steps", "30", "--schedule", "multistep",
                           "--milestones", "10,20", "--gamma", "0.5", "--json"])
    assert code == 0, err
    assert json.loads(out)


def test_sweep_cli_with_plateau_and_cyclic(gdx_main):
    for extra in (["--schedule", "plateau", "--patience", "2"], ["--schedule", "cyclic", "--max-lr", "0.5", "--step-size-up", "4"],
                  ["--schedule", "linear", "--warmup", "3"]):
        code, out, err = gdx_main(*["sweep", "x^2 + 3*y^2", "--optimizer", "momentum", "--lr", "0.01:0.1", "--steps", "30",
                               "--json", *extra])
        assert code == 0, err
        assert json.loads(out)


def test_sweep_plateau_rows_equal_single_runs():
    """The sweep's batch with plateau: each lr row is the single run with that lr."""
    from gdx.app.prepare import RunRequest, prepare

    for lr in (0.05, 0.3):
        single = list(prepare(RunRequest(function="x^2 + 3*y^2", optimizer="momentum", hyper={"lr": lr}, schedule="plateau",
                                         schedule_args={"patience": 1, "factor": 0.5}, steps=40, tol=0, start=(1.5, -0.5))).run())[-1].result
        lrs = np.array([0.05, 0.3])
        sched = make_schedule("plateau", lrs[:, None], patience=1, factor=0.5)
        out = run_batch(_compiled("quadratic"), make_optimizer("momentum", lr=lrs), [[1.5, -0.5]] * 2, steps=40, tol=0,
                        lr=lrs, schedule_fn=sched, record_path=True)
        row = int(np.flatnonzero(lrs == lr)[0])
        np.testing.assert_allclose(out.path_x[:, row], single.path.x, rtol=1e-13, atol=1e-15)
