"""What the CLI does to answer sooner: one BLAS thread, one click command built, no numpy.ma /
numpy.random on a run's path -- each checked for the behaviour it must keep."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest

from gdx.app.prepare import spread_points
from gdx.cli import BLAS_THREAD_VARIABLES, main, one_blas_thread
from gdx.symptoms import sorted_unique


def test_sorted_unique_is_numpy_unique():
    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 7, 100):
        a = rng.integers(-5, 6, size)
        assert np.array_equal(sorted_unique(a), np.unique(a))


def test_spread_points_cover_the_unit_cube_evenly():
    u = spread_points(384, 3)
    assert u.shape == (384, 3) and (u >= 0).all() and (u < 1).all()
    assert len({tuple(r) for r in u}) == 384
    for j in range(3):  # low discrepancy: every tenth of each axis holds 38 or 39 points
        counts = np.histogram(u[:, j], bins=10, range=(0, 1))[0]
        assert counts.min() >= 36 and counts.max() <= 41, counts


@pytest.mark.parametrize("text", ["log(-1-x^2)", "sqrt(-exp(x)-y^2)"])
def test_a_function_with_no_real_value_is_still_refused(text):
    err = io.StringIO()
    code = main(["optimize", text, "--quiet", "--no-cache"], stdout=io.StringIO(), stderr=err, env={**os.environ, "COLUMNS": "80"})
    assert code != 0 and "no real value" in err.getvalue()


def test_a_function_real_only_far_out_is_accepted():
    # real only where |x| > 5: some of the spread points must land there
    code = main(["optimize", "sqrt(x^2 - 25) + y^2", "--start", "6,1", "--steps", "3", "--quiet", "--no-cache"],
                stdout=io.StringIO(), stderr=io.StringIO(), env={**os.environ, "COLUMNS": "80"})
    assert code == 0


def test_one_blas_thread_unless_the_user_chose():
    env: dict = {}
    one_blas_thread(env)
    assert env == {"OPENBLAS_NUM_THREADS": "1"}
    for name in BLAS_THREAD_VARIABLES:
        env = {name: "4"}
        one_blas_thread(env)
        assert env == {name: "4"}


def test_the_console_script_runs_blas_on_one_thread():
    code = "import os, sys\nsys.argv = ['gdx', '--version']\nfrom gdx.cli import run\nimport atexit\natexit.register(lambda: print(os.environ.get('OPENBLAS_NUM_THREADS')))\nrun()\n"
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60).stdout.split()
    assert out[-1] == "1"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**env, "OMP_NUM_THREADS": "2"},
                         timeout=60).stdout.split()
    assert out[-1] == "None"


@pytest.mark.parametrize("argv, expected", [
    (["optimze", "x^2"], "Did you mean 'optimize'"),  # a misspelt command: the whole group answers
    (["--debug", "optimize", "x^2", "--steps", "2", "--quiet"], "max_steps"),  # a root flag before the command
    (["optimize", "-x^2", "--steps", "2", "--quiet"], "max_steps"),  # FUNCTION starting with a minus
])
def test_the_command_named_is_the_one_run(argv, expected):
    out, err = io.StringIO(), io.StringIO()
    main(argv, stdout=out, stderr=err, env={**os.environ, "COLUMNS": "100"})
    assert expected in out.getvalue() + err.getvalue()


@pytest.mark.parametrize("argv", [["--help"], [], ["optimze", "x^2"], ["--version"]])
def test_the_roots_answers_equal_the_whole_groups(argv):
    # the root's help lists the commands from their names and help alone (no options built):
    # the same text as the group with every command built in full
    import contextlib

    import typer.main

    from gdx.cli import app

    def run_whole():
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                typer.main.get_command(app).main(args=list(argv), prog_name="gdx", standalone_mode=False)
            except Exception as exc:  # noqa: BLE001 - click's usage error: shown as main shows it
                exc.show()
        return out.getvalue()

    out = io.StringIO()
    main(list(argv), stdout=out, stderr=out, env={**os.environ})
    whole = run_whole()
    assert out.getvalue() == whole and whole.strip()


@pytest.mark.parametrize("text, may", [
    ("x^2 + 3*y^2", False), ("(1-x)^2 + 100*(y-x^2)^2", False), ("sin(x)*cos(y) + log(1 + x^2)", False),
    ("tanh(5*x)^2 + y^2", True), ("1/(1 + e^(-w*x))", True), ("1/(1 + exp(-w*x))", True), ("sigmoid(a*b)", True),
    ("gelu(x) + y", True), ("E^x", True), ("atan(x*y)", True), (None, True),
])
def test_may_saturate_is_false_only_without_a_saturating_name(text, may):
    from gdx.symptoms import may_saturate

    assert may_saturate(text) is may


def test_a_saturated_tanh_is_still_called_vanishing_from_the_cache(tmp_path):
    # the name check skips the node walk only when no saturating function can be there: a
    # cached function (its text kept, not parsed) is still read node by node when it can
    import json

    argv = ["optimize", "(tanh(w2*tanh(w1)) - 0.2)^2", "--start", "4,4", "--json"]
    env = {**os.environ, "COLUMNS": "100", "XDG_CACHE_HOME": str(tmp_path)}
    for _ in ("miss", "hit"):
        out = io.StringIO()
        main(argv, stdout=out, stderr=io.StringIO(), env=env)
        assert json.loads(out.getvalue())["diagnosis"]["verdict"] == "vanishing"
    assert list((tmp_path / "gdx").glob("*.gdxc"))
