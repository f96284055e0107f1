"""``gdx compare``: the -o list, the same start for every run, the table against independent runs."""

import csv
import json
import math

import numpy as np
import pytest

from gdx.app.compare import file_names, parse_optimizers
from gdx.errors import GdxError


# -- the -o list ------------------------------------------------------------------------------
def test_settings_after_a_colon_belong_to_that_optimizer():
    entries = parse_optimizers("gd,momentum,adam:lr=0.1,beta1=0.8,newton")
    assert [(e.name, e.hyper) for e in entries] == [
        ("gd", {}), ("momentum", {}), ("adam", {"lr": 0.1, "beta1": 0.8}), ("newton", {})]
    assert [e.label for e in entries] == ["gd", "momentum", "adam", "newton"]


def test_repeated_optimizers_get_distinct_labels_and_files():
    entries = parse_optimizers("adam:lr=0.1, adam:lr=0.01,gd,gd, rmsprop:weight-decay=0.5")
    assert [e.label for e in entries] == ["adam(lr=0.1)", "adam(lr=0.01)", "gd", "gd#2", "rmsprop"]
    assert entries[-1].hyper == {"weight_decay": 0.5}

    class R:
        def __init__(self, e):
            self.entry = e

    assert file_names([R(e) for e in entries]) == ["adam.csv", "adam-2.csv", "gd.csv", "gd-2.csv", "rmsprop.csv"]


@pytest.mark.parametrize(
    "spec, message, caret",
    [
        ("gd,adman", "unknown optimizer 'adman'", "adman"),
        ("gd:beta1=0.9", "'gd' does not take 'beta1'", "beta1=0.9"),
        ("lr=0.1,gd", "comes before any optimizer", "lr=0.1"),
        ("adam:lr=fast", "'fast' is not a finite number", "lr=fast"),
        ("adam:lr=0.1,lr=0.2", "'lr' is given twice", "lr=0.2"),
        ("gd,,adam", "empty item", ","),
    ],
)
def test_bad_lists_point_at_the_item(spec, message, caret):
    with pytest.raises(GdxError) as info:
        parse_optimizers(spec)
    assert message in info.value.message
    start, end = info.value.span
    assert spec[start:end] == caret


# -- runs -------------------------------------------------------------------------------------
def gd_steps_to_tol(x0, lr, tol, steps):
    """Plain gradient descent on x² + 3y² in numpy: updates until ‖∇f‖ ≤ tol (None if never)."""
    x = np.array(x0, float)
    for k in range(steps + 1):
        g = np.array([2 * x[0], 6 * x[1]])
        if np.linalg.norm(g) <= tol:
            return k, x
        if k == steps:
            return None, x
        x = x - lr * g


def test_each_run_counts_its_own_evaluations(gdx_main):
    """The runs of a comparison share one compiled function; each reports the evaluations it made
    (the counts were the running totals: newton after gd showed gd's 63 too), the same as the
    run made alone by ``gdx optimize``. bfgs's line search evaluates more than once a step;
    newton evaluates H once a step; the others never."""
    names = ["gd", "newton", "bfgs", "adam"]
    code, out, err = gdx_main("compare", "himmelblau", "-o", ",".join(names), "--json")
    assert code == 0, err
    runs = json.loads(out)["runs"]
    for name, row in zip(names, runs):
        code, alone, err = gdx_main("optimize", "himmelblau", "-o", name, "--json")
        alone = json.loads(alone)
        assert (row["steps"], row["nfev"], row["njev"], row["nhev"]) == \
            (alone["steps"], alone["nfev"], alone["njev"], alone["nhev"]), name
    gd, newton, bfgs, adam = runs
    assert gd["nfev"] == gd["steps"] + 1 and gd["nhev"] == 0 and adam["nhev"] == 0
    assert newton["nhev"] == newton["steps"] and bfgs["nfev"] > bfgs["steps"] + 1


def test_json_table_matches_independent_runs(gdx_main, tmp_path):
    code, out, err = gdx_main("compare", "x^2 + 3*y^2", "-o", "gd:lr=0.1,newton,gd:lr=0.01", "--start", "1.5,-0.5",
                              "--steps", "100", "--tol", "1e-6", "--json", "--export", str(tmp_path / "runs"))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["start"] == [1.5, -0.5] and doc["variables"] == ["x", "y"]
    gd, newton, slow = doc["runs"]
    k, x = gd_steps_to_tol((1.5, -0.5), 0.1, 1e-6, 100)
    assert gd["label"] == "gd(lr=0.1)" and gd["status"] == "converged" and gd["steps_to_tol"] == k
    assert gd["x"] == pytest.approx(list(x), abs=1e-15)
    # Newton's method reaches the minimum of a quadratic in one update
    assert newton["status"] == "converged" and newton["steps_to_tol"] == 1 and newton["loss"] == pytest.approx(0, abs=1e-20)
    k, x = gd_steps_to_tol((1.5, -0.5), 0.01, 1e-6, 100)
    assert k is None and slow["status"] == "max_steps" and slow["steps_to_tol"] is None
    assert slow["loss"] == pytest.approx(x[0] ** 2 + 3 * x[1] ** 2, rel=1e-12)
    assert gd["distance_to_minimum"] is None  # no preset, no known minimum
    # every exported path starts at the same point and has one row per step
    for name, run in zip(("gd.csv", "newton.csv", "gd-2.csv"), doc["runs"]):
        with open(tmp_path / "runs" / name, newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert (float(rows[0]["x"]), float(rows[0]["y"])) == (1.5, -0.5)
        assert len(rows) == run["steps"] + 1


def test_table_plots_and_distance_to_the_known_minimum(gdx_main):
    code, out, err = gdx_main("compare", "sphere", "-o", "gd,adam:lr=0.5", "--steps", "50")
    assert code == 0, err
    # sphere starts at (−3, 4): gd with lr 0.1 multiplies x by 0.8 per update
    x50 = 0.8**50 * np.array([-3.0, 4.0])
    line = next(l for l in out.splitlines() if l.startswith("a ") and " gd " in l)
    assert "max_steps" in line and f"{math.hypot(*x50):.3g}" in line
    assert "loss (log scale)" in out  # the overlaid curves
    assert "◆a…A gd" in out and "◆b…B adam" in out  # the paths on the landscape
    assert "★ minimum (0, 0)" in out


def test_exit_status_when_every_run_diverges(gdx_main):
    code, out, err = gdx_main("compare", "x^2 + y^2", "-o", "gd:lr=5,momentum:lr=5", "--steps", "100", "--no-plot")
    assert code == 1
    assert out.count("diverged") >= 2


def test_export_dir_is_checked_before_running(gdx_main, tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    code, out, err = gdx_main("compare", "x^2 + y^2", "-o", "gd", "--export", str(target))
    assert code == 2 and "is not a directory" in err and out == ""
    code, out, err = gdx_main("compare", "x^2 + y^2", "-o", "gd", "--export", str(tmp_path / "no" / "dir"))
    assert code == 2 and "does not exist" in err
