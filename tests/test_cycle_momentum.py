"""Cycled momentum (torch's default cycle_momentum=True of OneCycleLR and CyclicLR) beyond the
recorded paths of test_schedulers.py: which hyperparameter is cycled, torch's refusal for
optimizers with neither momentum nor β₁, per-row learning rates in a batch, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gdx.batch import run_batch
from gdx.compile import compile_problem
from gdx.errors import GdxError
from gdx.loop import run_to_end
from gdx.momentum_cycle import MESSAGE, cycle_of, cycled_key
from gdx.optim import OPTIMIZERS, make_optimizer
from gdx.parse import parse_function
from gdx.schedules import make_schedule

DATA = json.loads((Path(__file__).parent / "fixtures" / "torch_schedulers.json").read_text())
QUADRATIC = compile_problem(parse_function("x**2 + 3*y**2"))
X0 = [1.5, -0.5]


@pytest.mark.parametrize("name, target, key", [
    ("gd", "momentum", "momentum"), ("momentum", "momentum", "momentum"), ("nesterov", "nesterov", "momentum"),
    ("rmsprop", "rmsprop", "momentum"), ("adam", "adam", "beta1"), ("adamw", "adamw", "beta1"),
    ("adamax", "adamax", "beta1"), ("nadam", "nadam", "beta1"), ("radam", "radam", "beta1"), ("lion", "lion", "beta1"),
])
def test_the_cycled_hyperparameter_is_torchs_choice(name, target, key):
    assert cycled_key(name, make_optimizer(name).hyper) == (target, key)


@pytest.mark.parametrize("name", ["adagrad", "adadelta", "rprop", "asgd", "lbfgs", "bfgs", "cg", "newton"])
def test_optimizers_without_momentum_or_beta1_are_refused_with_torchs_message(name):
    assert name in OPTIMIZERS
    for schedule in (make_schedule("onecycle", 0.1, total_steps=10), make_schedule("cyclic", 0.1, max_lr=0.5)):
        with pytest.raises(GdxError, match="optimizer must support momentum or beta1") as info:
            run_to_end(QUADRATIC, make_optimizer(name), X0, steps=5, tol=0, schedule=schedule)
        assert str(info.value.message) == MESSAGE and "--no-cycle-momentum" in info.value.hint
    plain = make_schedule("onecycle", 0.1, total_steps=10, cycle_momentum=False)
    assert cycle_of(make_optimizer(name), plain) is None
    run_to_end(QUADRATIC, make_optimizer(name), X0, steps=5, tol=0, schedule=plain)


def test_an_invalid_cycled_beta1_is_refused_before_the_run():
    with pytest.raises(GdxError, match="Invalid beta parameter at index 0"):
        run_to_end(QUADRATIC, make_optimizer("adam"), X0, steps=5, tol=0,
                   schedule=make_schedule("onecycle", 0.1, total_steps=10, max_momentum=1.5))


def test_the_cycled_momentum_replaces_the_optimizers_own():
    """As torch overwrites group["momentum"]: --momentum 0.5 and 0.9 walk the same path under onecycle."""
    schedule = make_schedule("onecycle", 0.05, total_steps=30)
    a, b = (run_to_end(QUADRATIC, make_optimizer("momentum", lr=0.05, momentum=mu), X0, steps=30, tol=0,
                       schedule=schedule) for mu in (0.5, 0.9))
    np.testing.assert_array_equal(a.path.x, b.path.x)


@pytest.mark.parametrize("name", ["momentum", "gd", "adam", "nadam", "rmsprop"])
def test_batch_rows_with_their_own_lr_equal_single_runs(name):
    """A sweep's (B, 1) column of rates under cycled momentum: row i is the single run with lr i."""
    lrs = np.array([0.01, 0.03, 0.08])
    schedule = make_schedule("onecycle", lrs[:, None], total_steps=40)
    out = run_batch(QUADRATIC, make_optimizer(name, lr=lrs[:, None]), [X0] * 3, steps=40, tol=1e-4, lr=lrs,
                    schedule_fn=schedule, record_path=True)
    for i, lr in enumerate(lrs):
        single = run_to_end(QUADRATIC, make_optimizer(name, lr=float(lr)), X0, steps=40, tol=1e-4,
                            schedule=make_schedule("onecycle", float(lr), total_steps=40))
        assert out.nit[i] == single.nit
        np.testing.assert_allclose(out.path_x[: single.nit + 1, i], single.path.x, rtol=1e-13, atol=1e-15)
    assert len({tuple(out.path_x[5, i]) for i in range(3)}) == 3


# -- through the CLI ---------------------------------------------------------------------------------
def _case(optimizer, name):
    return next(p for p in DATA["paths"] if p["optimizer"] == optimizer and p["schedule"].get("cycle_momentum")
                and p["schedule"]["name"] == name and "warmup" not in p["schedule"])


@pytest.mark.parametrize("optimizer, name, flags", [
    ("gd", "onecycle", ["--total-steps", "40"]),
    ("adam", "cyclic", ["--max-lr", "0.08", "--step-size-up", "6", "--mode", "exp_range", "--gamma", "0.97"]),
])
def test_optimize_cli_cycles_momentum_by_default_as_torch(gdx_main, optimizer, name, flags):
    case = _case(optimizer, name)
    fn = DATA["functions"][case["function"]]
    start = ",".join(str(v) for v in fn["x0"])
    argv = ["optimize", fn["text"], "-o", optimizer, "--lr", str(case["hyper"]["lr"]), "--start", start,
            "--steps", str(len(case["lrs"])), "--tol", "0", "--schedule", name, *flags, "--json"]
    code, out, err = gdx_main(*argv)
    assert code == 0, err
    np.testing.assert_allclose(json.loads(out)["x"], case["path"][-1], rtol=1e-10, atol=1e-10)
    code, out, err = gdx_main(*argv, "--no-cycle-momentum")
    assert code == 0, err
    assert np.max(np.abs(np.array(json.loads(out)["x"]) - case["path"][-1])) > 1e-3


def test_cli_refuses_cycled_momentum_for_adagrad_and_flags_elsewhere(gdx_main):
    code, out, err = gdx_main("optimize", "x^2", "-o", "adagrad", "--steps", "10", "--schedule", "onecycle")
    assert code == 2 and "optimizer must support momentum or beta1" in err and "--no-cycle-momentum" in err
    assert "Traceback" not in err and out == ""
    code, out, err = gdx_main("optimize", "x^2", "-o", "adagrad", "--steps", "10", "--schedule", "onecycle",
                              "--no-cycle-momentum", "--json")
    assert code == 0, err
    code, out, err = gdx_main("optimize", "x^2", "--steps", "10", "--schedule", "cosine", "--base-momentum", "0.5")
    assert code == 2 and "--base-momentum does not apply to the 'cosine' schedule" in err


def test_help_lists_the_momentum_flags(gdx_main):
    code, out, err = gdx_main("optimize", "--help")
    assert code == 0
    for flag in ("--cycle-momentum", "--no-cycle-momentum", "--base-momentum", "--max-momentum"):
        assert flag in out


def test_a_cycled_momentum_run_is_not_explained_by_fixed_momentum_rules(gdx_main):
    """gd under onecycle ran heavy-ball momentum with a cycled μ: the diagnosis must not claim
    gradient descent's (or a fixed μ's) stability rules, nor suggest settings from them."""
    import json

    code, out, err = gdx_main("optimize", "x^2 + 3*y^2", "--schedule", "onecycle", "--steps", "40", "--json")
    assert code == 0, err
    d = json.loads(out)["diagnosis"]
    assert "cycled the momentum" in d["reason"] and d["suggestion"] == ""
    assert "gradient descent" not in d["reason"] and "2/λmax" not in d["reason"]
    code, out, _ = gdx_main("optimize", "x^2 + 3*y^2", "--schedule", "onecycle", "--no-cycle-momentum", "--steps", "40",
                            "--json")
    assert "cycled the momentum" not in json.loads(out)["diagnosis"]["reason"]
