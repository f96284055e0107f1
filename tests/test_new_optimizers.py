"""The optimizers and options of issue 13 through every entry point: optimize (flags), compare
(``-o`` settings), sweep (a grid with a switch fixed; a range on a switch refused), ``--starts``,
a preset's ``[settings]`` and ``gdx optimizers``; and the diagnosis of each new optimizer.

Their paths are checked against torch (and optax's lion) in test_optimizers.py; here the values
are checked against gdx's own library run (``gdx.loop.run_to_end``) of the same settings, so
a flag that is dropped or misparsed on the way fails.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gdx.compile import compile_problem
from gdx.diagnose import diagnose
from gdx.errors import GdxError
from gdx.loop import run_to_end
from gdx.optim import OPTIMIZERS, make_optimizer
from gdx.parse import parse_function

NEW = ("adamax", "nadam", "radam", "rprop", "asgd", "lion")
BOWL = "x^2 + 3*y^2"


def library_run(name, steps=40, **hyper):
    oracle = compile_problem(parse_function(BOWL))
    return run_to_end(oracle, make_optimizer(name, **hyper), [1.5, -0.5], steps=steps, tol=0)


def optimize_json(gdx_main, *args):
    code, out, err = gdx_main("optimize", BOWL, "--start", "1.5,-0.5", "--steps", "40", "--tol", "0", "--json", *args)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("args,name,hyper", [
    (["--optimizer", "adam", "--amsgrad"], "adam", {"amsgrad": True}),
    (["--optimizer", "adamw", "--amsgrad", "--beta2", "0.9"], "adamw", {"amsgrad": True, "beta2": 0.9}),
    (["--optimizer", "rmsprop", "--centered"], "rmsprop", {"centered": True}),
    (["--optimizer", "momentum", "--dampening", "0.5"], "momentum", {"dampening": 0.5}),
    (["--optimizer", "nadam", "--momentum-decay", "0.01", "--decoupled-weight-decay", "--weight-decay", "0.1"],
     "nadam", {"momentum_decay": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    (["--optimizer", "radam", "--decoupled-weight-decay", "--weight-decay", "0.1"], "radam",
     {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    (["--optimizer", "adamax"], "adamax", {}),
    (["--optimizer", "rprop", "--etas", "0.4,1.3", "--step-sizes", "1e-6,0.2"], "rprop",
     {"etas": (0.4, 1.3), "step_sizes": (1e-6, 0.2)}),
    (["--optimizer", "asgd", "--lambd", "0.1", "--alpha", "0.5", "--t0", "5"], "asgd",
     {"lambd": 0.1, "alpha": 0.5, "t0": 5.0}),
    (["--optimizer", "lion", "--beta1", "0.8", "--beta2", "0.95", "--weight-decay", "0.01"], "lion",
     {"beta1": 0.8, "beta2": 0.95, "weight_decay": 0.01}),
])
def test_optimize_flags_reach_the_optimizer(gdx_main, args, name, hyper):
    doc = optimize_json(gdx_main, *args)
    expected = library_run(name, **hyper)
    np.testing.assert_allclose(doc["x"], expected.x, rtol=1e-12, atol=1e-14)
    for key, value in hyper.items():
        shown = doc["hyperparameters"][key]
        assert (tuple(shown) if isinstance(shown, list) else shown) == value, key
    # and the option changes the run (the default run ends elsewhere)
    assert not np.allclose(expected.x, library_run(name).x, rtol=0, atol=1e-12) or not hyper


def test_maximize_flag_climbs_a_concave_function(gdx_main):
    code, out, err = gdx_main("optimize", "3 - (x^2 + 3*y^2)", "--optimizer", "gd", "--maximize", "--start", "1.5,-0.5",
                              "--steps", "5", "--tol", "0", "--json")
    assert code == 0, err
    doc = json.loads(out)
    # gd on −f with lr 0.05: x ← x·(1 − 0.1)ⁿ, y ← y·(1 − 0.3)ⁿ
    np.testing.assert_allclose(doc["x"], [1.5 * 0.9**5, -0.5 * 0.7**5], rtol=1e-12)
    assert doc["hyperparameters"]["maximize"] is True


def test_bad_pair_and_bad_eta_values_are_one_line_errors(gdx_main):
    code, out, err = gdx_main("optimize", BOWL, "--optimizer", "rprop", "--etas", "1.5,1.3")
    assert code != 0 and "Invalid eta values: 1.5, 1.3" in err and "Traceback" not in err
    code, out, err = gdx_main("optimize", BOWL, "--optimizer", "rprop", "--etas", "0.5")
    assert code != 0 and "'0.5' is not two numbers a,b" in err and "Traceback" not in err
    code, out, err = gdx_main("optimize", BOWL, "--optimizer", "nadam", "--momentum-decay", "-1")
    assert code != 0 and "Invalid momentum_decay value: -1" in err


def test_compare_settings_of_every_kind(gdx_main):
    code, out, err = gdx_main("compare", BOWL, "-o", "adam:amsgrad=true,rprop:etas=(0.4,1.3),step_sizes=(1e-6,0.2),nadam",
                              "--start", "1.5,-0.5", "--steps", "40", "--tol", "0", "--json")
    assert code == 0, err
    runs = {r["optimizer"]: r for r in json.loads(out)["runs"]}
    assert runs["adam"]["hyperparameters"]["amsgrad"] is True
    assert runs["rprop"]["hyperparameters"]["etas"] == [0.4, 1.3]
    np.testing.assert_allclose(runs["rprop"]["x"], library_run("rprop", etas=(0.4, 1.3), step_sizes=(1e-6, 0.2)).x,
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(runs["adam"]["x"], library_run("adam", amsgrad=True).x, rtol=1e-12, atol=1e-14)


def test_compare_refuses_a_bad_switch_value(gdx_main):
    code, out, err = gdx_main("compare", BOWL, "-o", "adam:amsgrad=maybe")
    assert code != 0 and "'maybe' is not true or false" in err and "Traceback" not in err


def test_parse_optimizers_keeps_a_pair_together():
    from gdx.app.compare import parse_optimizers

    entries = parse_optimizers("rprop:etas=(0.4,1.3),gd,adam:amsgrad=false,maximize=true")
    assert [(e.name, e.hyper) for e in entries] == [
        ("rprop", {"etas": (0.4, 1.3)}), ("gd", {}), ("adam", {"amsgrad": False, "maximize": True})]


def test_sweep_with_a_switch_fixed_and_a_range_on_a_switch_refused(gdx_main):
    code, out, err = gdx_main("sweep", BOWL, "--optimizer", "adam", "--amsgrad", "--lr", "0.01:0.3", "--num", "4",
                              "--start", "1.5,-0.5", "--steps", "30", "--tol", "0", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["fixed"].get("amsgrad") is True
    lrs = np.geomspace(0.01, 0.3, 4)
    losses = [library_run("adam", steps=30, lr=float(lr), amsgrad=True).fun for lr in lrs]
    got = sorted(doc["runs"], key=lambda r: r["lr"])
    np.testing.assert_allclose([r["loss"] for r in got], losses, rtol=1e-10, atol=1e-14)
    from gdx.app.sweep import parse_grid

    with pytest.raises(GdxError) as info:
        parse_grid({"etas": "0.1:0.5"}, num=4, grid_num=4, linear=False)
    assert info.value.message == "--etas is a pair of numbers and cannot be swept: only numbers take a range A:B"
    with pytest.raises(GdxError) as info:
        parse_grid({"amsgrad": "0:1"}, num=4, grid_num=4, linear=False)
    assert "switch (true or false) and cannot be swept" in info.value.message


def test_starts_run_a_new_optimizer_from_every_start(gdx_main):
    def starts(*extra):
        code, out, err = gdx_main("optimize", BOWL, "--optimizer", "rprop", "--starts", "3", "--steps", "40",
                                  "--tol", "1e-3", "--json", *extra)  # (a run that never converges founds no basin)
        assert code == 0, err
        return json.loads(out)

    doc = starts("--etas", "0.4,1.3")
    assert doc["optimizer"] == "rprop" and doc["hyperparameters"]["etas"] == [0.4, 1.3]
    assert len(doc["statuses"]) == 3 if isinstance(doc["statuses"], list) else sum(doc["statuses"].values()) == 3
    default = starts()
    assert default["hyperparameters"]["etas"] == [0.5, 1.2]
    assert [b["point"] for b in doc["basins"]] != [b["point"] for b in default["basins"]]  # the setting reached the runs


PRESET = """\
name = "bowl13"
title = "Bowl"
description = "A bowl for the new optimizers."
expression = "x^2 + 3*y^2"
variables = ["x", "y"]
start = [1.5, -0.5]

[domain]
x = [-2.0, 2.0]
y = [-2.0, 2.0]

[settings]
optimizer = "rprop"
etas = [0.4, 1.3]
maximize = false
steps = 40
tol = 0.0

[[minima]]
at = [0.0, 0.0]
value = 0.0
"""


def test_preset_settings_of_every_kind(gdx_main, tmp_path):
    from gdx import presets as P

    path = tmp_path / "bowl13.toml"
    path.write_text(PRESET)
    assert P.load_preset(str(path)).settings["etas"] == (0.4, 1.3)
    code, out, err = gdx_main("optimize", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["optimizer"] == "rprop" and doc["hyperparameters"]["etas"] == [0.4, 1.3]
    np.testing.assert_allclose(doc["x"], library_run("rprop", etas=(0.4, 1.3)).x, rtol=1e-12, atol=1e-14)
    for bad, message in (('etas = [1.5, 1.3]', "'settings.etas' must be 0 < η₋ < 1 < η₊, got [1.5, 1.3]"),
                         ('etas = 0.5', "'settings.etas' must be an array of two finite numbers"),
                         ('maximize = 1', "'settings.maximize' must be true or false")):
        bad_path = tmp_path / "bad13.toml"
        line = "maximize = false" if bad.startswith("maximize") else "etas = [0.4, 1.3]"
        bad_path.write_text(PRESET.replace(line, bad))
        with pytest.raises(GdxError) as info:
            P.load_preset(str(bad_path))
        assert message in info.value.message


def test_optimizers_listing_shows_switches_and_pairs(gdx_main, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "140")
    code, out, err = gdx_main("optimizers")
    assert code == 0, err
    for name in NEW:
        assert f" {name} · " in out, name
    assert "--etas" in out and "0.5,1.2" in out and "0 < η₋ < 1 < η₊" in out
    assert "--amsgrad" in out and "false" in out and "true or false" in out
    assert "(0.5, 1.2)" not in out and "False" not in out  # not Python's repr


# -- diagnosis ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW)
def test_each_new_optimizer_gets_a_verdict_on_the_bowl(name):
    oracle = compile_problem(parse_function(BOWL))
    result = run_to_end(oracle, make_optimizer(name), [1.5, -0.5], steps=300, tol=1e-6)
    verdict = diagnose(result, oracle)
    assert verdict.verdict in ("converged", "max_steps", "oscillating", "slow"), (name, verdict)
    assert verdict.reason


DIVERGING = {"sgd": ("gd", {"lr": 0.5}), "adaptive": ("radam", {"lr": 10.0}), "newton": None}


@pytest.mark.parametrize("family", ["sgd", "adaptive"])
def test_a_diverging_run_of_each_family_is_diverged(family):
    oracle = compile_problem(parse_function("x^4 + 3*y^2"))
    name, hyper = {"sgd": ("asgd", {"lr": 1.0}), "adaptive": ("radam", {"lr": 1.0, "beta2": 0.5})}[family]
    assert OPTIMIZERS[name].family == family
    result = run_to_end(oracle, make_optimizer(name, **hyper), [3.0, -0.5], steps=500, tol=1e-6)
    assert result.status.value == "diverged", result.message
    assert diagnose(result, oracle).verdict == "diverged"
