"""The line-search methods (lbfgs, bfgs, cg) through the CLI (``gdx.cli.main`` in-process):
optimize, compare, sweep, --starts, the -o mini-language and preset [settings] with their int and
choice settings, and --clip-norm refused.  Values are checked against the library loop."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gdx.compile import compile_problem
from gdx.loop import run
from gdx.optim import make_optimizer
from gdx.parse import parse_function

ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"


def library_x(name, steps, start=(-1.2, 1.0), **hyper):
    """The end point of the library loop (gdx.loop.run, tol 0) — what the CLI must print."""
    oracle = compile_problem(parse_function(ROSENBROCK))
    result = list(run(oracle, make_optimizer(name, **hyper), list(start), steps=steps, tol=0))[-1].result
    return result


def json_of(gdx, *args):
    ran = gdx(*args, "--json")
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def test_optimize_lbfgs_defaults_is_the_library_run(gdx):
    doc = json_of(gdx, "optimize", ROSENBROCK, "--start", "-1.2,1", "-o", "lbfgs", "--steps", "20", "--tol", "0")
    expected = library_x("lbfgs", 20)
    assert doc["optimizer"] == "lbfgs" and doc["hyperparameters"]["line_search_fn"] == "none"
    assert doc["hyperparameters"]["history_size"] == 100 and doc["hyperparameters"]["max_iter"] == 20
    assert doc["steps"] == 20 and doc["x"] == list(expected.x)
    assert doc["nfev"] == expected.nfev and doc["nfev"] > 2 * 21  # many evaluations per step
    assert doc["loss"] < 1e-8


def test_optimize_lbfgs_strong_wolfe(gdx):
    doc = json_of(gdx, "optimize", ROSENBROCK, "--start", "-1.2,1", "-o", "lbfgs", "--line-search", "strong_wolfe",
                  "--history-size", "5", "--max-iter", "4", "--steps", "15", "--tol", "0")
    expected = library_x("lbfgs", 15, line_search_fn="strong_wolfe", history_size=5, max_iter=4)
    assert doc["hyperparameters"]["line_search_fn"] == "strong_wolfe"
    assert doc["hyperparameters"]["history_size"] == 5 and doc["hyperparameters"]["max_iter"] == 4
    assert doc["x"] == list(expected.x)
    assert doc["x"] != list(library_x("lbfgs", 15, history_size=5, max_iter=4).x)


def test_line_search_choice_is_checked(gdx):
    ran = gdx("optimize", ROSENBROCK, "-o", "lbfgs", "--line-search", "wolfe")
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert "none" in ran.stderr and "strong_wolfe" in ran.stderr


def test_compare_bfgs_cg_lbfgs(gdx):
    doc = json_of(gdx, "compare", ROSENBROCK, "--start", "-1.2,1", "-o", "bfgs,cg,lbfgs", "--steps", "100")
    runs = {r["optimizer"]: r for r in doc["runs"]}
    assert list(runs) == ["bfgs", "cg", "lbfgs"]
    for name in ("bfgs", "cg"):  # scipy's iterates reach the minimum within 40 iterations
        assert runs[name]["status"] == "converged", runs[name]["message"]
        np.testing.assert_allclose(runs[name]["x"], [1.0, 1.0], atol=1e-5)
    bfgs = library_x("bfgs", runs["bfgs"]["steps"])
    assert runs["bfgs"]["x"] == list(bfgs.x)


def test_o_mini_language_takes_int_and_choice(gdx):
    doc = json_of(gdx, "compare", ROSENBROCK, "--start", "-1.2,1", "-o",
                  "lbfgs:history_size=3,line_search_fn=strong_wolfe,max-iter=4,cg", "--steps", "10", "--tol", "0")
    lbfgs = doc["runs"][0]
    assert lbfgs["hyperparameters"]["history_size"] == 3 and lbfgs["hyperparameters"]["max_iter"] == 4
    assert lbfgs["hyperparameters"]["line_search_fn"] == "strong_wolfe"
    assert lbfgs["x"] == list(library_x("lbfgs", 10, history_size=3, max_iter=4, line_search_fn="strong_wolfe").x)
    for bad, words in (("lbfgs:history_size=2.5", "not a whole number"), ("lbfgs:line_search_fn=wolfe", "not one of none, strong_wolfe")):
        ran = gdx("compare", ROSENBROCK, "-o", bad)
        assert ran.returncode == 2 and words in ran.stderr and "^" in ran.stderr


PRESET = """\
name = "bowl-lbfgs"
title = "Rosenbrock with L-BFGS settings"
description = "Rosenbrock, run by L-BFGS with a short history."
expression = "(1-x)**2 + 100*(y-x**2)**2"
variables = ["x", "y"]
start = [-1.2, 1.0]

[domain]
x = [-2.0, 2.0]
y = [-1.0, 3.0]

[settings]
optimizer = "lbfgs"
history_size = HISTORY
line_search_fn = SEARCH
steps = 12
tol = 0.0

[[minima]]
at = [1.0, 1.0]
value = 0.0
"""


def test_preset_settings_take_int_and_choice(gdx, tmp_path):
    path = tmp_path / "bowl.toml"
    path.write_text(PRESET.replace("HISTORY", "4").replace("SEARCH", '"strong_wolfe"'))
    doc = json_of(gdx, "optimize", str(path))
    assert doc["optimizer"] == "lbfgs" and doc["steps"] == 12
    assert doc["hyperparameters"]["history_size"] == 4 and doc["hyperparameters"]["line_search_fn"] == "strong_wolfe"
    assert doc["x"] == list(library_x("lbfgs", 12, history_size=4, line_search_fn="strong_wolfe").x)
    for history, search, words in (("2.5", '"none"', "settings.history_size"), ("4", '"wolfe"', "settings.line_search_fn")):
        path.write_text(PRESET.replace("HISTORY", history).replace("SEARCH", search))
        ran = gdx("optimize", str(path))
        assert ran.returncode == 2 and words in ran.stderr and "Traceback" not in ran.stderr


@pytest.mark.parametrize("flag, value, kind", [("--history-size", "1:10", "a whole number"),
                                               ("--max-iter", "2:8", "a whole number"),
                                               ("--line-search", "none:strong_wolfe", "a choice (none, strong_wolfe)")])
def test_sweep_refuses_a_range_on_int_and_choice(gdx, flag, value, kind):
    ran = gdx("sweep", ROSENBROCK, "-o", "lbfgs", flag, value)
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert f"{flag} is {kind} and cannot be swept" in ran.stderr
    assert f"give {flag} one value" in ran.stderr


def test_sweep_lbfgs_lr_with_a_fixed_int(gdx):
    ran = gdx("sweep", ROSENBROCK, "-o", "lbfgs", "--lr", "0.01:1", "--history-size", "5", "--steps", "10")
    assert ran.returncode == 0, ran.stderr


def test_starts_with_bfgs(gdx, monkeypatch):
    # 40 columns: a 20 × 28 basin map instead of 20 × 60 (gdx.render.basins.map_columns) — the
    # BFGS runs of the map were 80 % of this test; the random starts asserted here are the same
    monkeypatch.setenv("COLUMNS", "40")
    ran = gdx("optimize", ROSENBROCK, "-o", "bfgs", "--starts", "4", "--steps", "100", "--box", "-2:2,-1:3")
    assert ran.returncode == 0, ran.stderr
    assert "runs: 4 converged" in ran.stdout


@pytest.mark.parametrize("name", ["lbfgs", "bfgs", "cg"])
@pytest.mark.parametrize("command", ["optimize", "compare", "sweep"])
def test_clip_norm_is_refused_for_line_search_methods(gdx, name, command):
    extra = ["--lr", "0.1:1"] if command == "sweep" else []
    ran = gdx(command, ROSENBROCK, "-o", name, "--clip-norm", "1", *extra)
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert f"--clip-norm does not apply to {name}" in ran.stderr
    assert "only the loop's gradient would be clipped" in ran.stderr
