"""Minibatch sweeps and the batched engine's tol rule (issue 12).

* a 2-D sweep of --batch-size × a hyperparameter: every cell is the run ``gdx optimize
  --batch-size B --lr L --seed S`` makes, to the bit (status, steps, full-data loss);
* the batched engine judges tol as the single-run loop does: a minibatch run converges at a
  step where the full-data gradient is evaluated (--eval-every) and ‖∇L‖ ≤ tol, checked against
  ∇L written by hand in numpy for the squared loss ℓ = (w·x + b − y)²:
  ∇L = mean over the rows of 2·(w·x + b − y)·(1, x);
* the noise diagnosis's simulated suggestions use the run's own --eval-every.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

LINE = "(w*x + b - y)^2"


@pytest.fixture(scope="module")
def _data_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("data-cache"))


@pytest.fixture(autouse=True)
def _own_compiled_cache(_data_cache, monkeypatch):
    """One compiled cache for the file (as tests/test_data.py): every run here is the same loss
    over the same header, derived once (a hit gives what a miss gives, tests/test_data_cache.py)."""
    monkeypatch.setenv("XDG_CACHE_HOME", _data_cache)
    monkeypatch.setenv("COLUMNS", "100")


def line_file(tmp_path, N=40, noise=0.001, seed=0):
    """N points of y = 2x + 1 + noise: small noise, so SGD's full-data gradient falls below a tol of 1e-3."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, N)
    y = 2 * x + 1 + noise * rng.normal(size=N)
    path = tmp_path / "line.csv"
    path.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    return str(path), x, y


def hand_grad_norm(x, y, point):
    """‖∇L‖ at (b, w) by hand: ∇L = mean of 2·(w·x + b − y)·(1, x) over the rows."""
    b, w = point
    r = 2 * (w * x + b - y)
    return float(np.hypot(np.mean(r), np.mean(r * x)))


# -- the 2-D sweep ------------------------------------------------------------------------------
def test_each_cell_of_batch_size_by_lr_is_the_single_run_to_the_bit(gdx_main, tmp_path):
    path, _, _ = line_file(tmp_path)
    common = ["--data", path, "--tol", "1e-3", "--steps", "200", "--seed", "3"]
    code, out, err = gdx_main("sweep", LINE, *common, "--batch-size", "4,16,40", "--lr", "0.005,0.05,0.2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [a["name"] for a in doc["axes"]] == ["lr", "batch_size"]  # columns lr, rows batch size
    assert doc["axes"][0]["values"] == [0.005, 0.05, 0.2] and doc["axes"][1]["values"] == [4, 16, 40]
    assert doc["seed"] == 3 and len(doc["runs"]) == 9
    seen = set()
    for run in doc["runs"]:
        B, lr = int(run["batch_size"]), run["lr"]
        code, single, err = gdx_main("optimize", LINE, *common, "--batch-size", str(B), "--lr", repr(lr), "--json")
        assert code == 0, err
        d = json.loads(single)
        full = d["diagnosis"]["full_loss"] if B < 40 else d["loss"]  # B = N: the full-batch run's own loss
        assert (run["status"], run["steps"], run["loss"]) == (d["status"], d["steps"], full), (B, lr)
        seen.add((B < 40, run["status"]))
    # the grid holds minibatch runs that converged and that did not, so the stopping rule was exercised
    assert (True, "converged") in seen and (True, "max_steps") in seen


def test_a_hyperparameter_sweep_at_one_batch_size_is_the_single_run_to_the_bit(gdx_main, tmp_path):
    path, _, _ = line_file(tmp_path)
    common = ["--data", path, "--tol", "1e-3", "--steps", "200", "--seed", "1", "--batch-size", "8"]
    code, out, err = gdx_main("sweep", LINE, *common, "--lr", "0.005,0.05,0.2", "--json")
    assert code == 0, err
    runs = json.loads(out)["runs"]
    for run in runs:
        code, single, err = gdx_main("optimize", LINE, *common, "--lr", repr(run["lr"]), "--json")
        d = json.loads(single)
        assert (run["status"], run["steps"], run["loss"]) == (d["status"], d["steps"], d["diagnosis"]["full_loss"])
    assert {r["status"] for r in runs} == {"converged", "max_steps"}


def test_the_heatmap_draws_batch_sizes_as_rows(gdx, tmp_path):
    path, _, _ = line_file(tmp_path)
    r = gdx("sweep", LINE, "--data", path, "--batch-size", "4,16,40", "--lr", "0.01:0.2", "--num", "6",
            "--tol", "1e-3", "--steps", "400")
    assert r.returncode == 0, r.stderr
    rows = [line.split("│")[0].strip() for line in r.stdout.splitlines() if "│" in line]
    assert rows == ["40", "16", "4"]  # the largest batch on top
    assert "by lr (columns) and batch_size (rows)" in r.stdout
    assert "lr 0.01…0.2 (6, log) × batch_size 4…40 (3, log)" in r.stdout.replace("\n", " ")


@pytest.mark.parametrize("argv, words", [
    (["--lr", "0.01:0.1", "--momentum", "0:0.9"], ["at most two parameters", "--batch-size and 2 ranges"]),
    (["--lr", "0.01:0.1", "--grid-num", "5"], ["--grid-num does not apply when --batch-size is swept"]),
    (["--lr", "0.01,0.1", "--num", "5"], ["--num does not apply with a list of values"]),
    (["--momentum", "0:0.9", "--linear"], ["--linear does not apply unless --lr is a range"]),
    (["--lr", "0.01"], []),  # one value: the 1-D batch-size sweep
])
def test_batch_size_sweep_flags(gdx_main, tmp_path, argv, words):
    path, _, _ = line_file(tmp_path, N=20)
    code, _, err = gdx_main("sweep", LINE, "--data", path, "--batch-size", "2,8", "-o", "momentum", "--steps", "20",
                            *argv)
    if words:
        assert code == 2 and all(w in err for w in words), err
        assert "Traceback" not in err
    else:
        assert code == 0, err


def test_linear_lr_range_is_accepted_and_linear(gdx_main):
    code, out, err = gdx_main("sweep", "x^2 + 3*y^2", "--lr", "0.1:0.3", "--num", "3", "--linear", "--json")
    assert code == 0, err
    axis = json.loads(out)["axes"][0]
    assert axis["spacing"] == "linear" and axis["values"] == pytest.approx([0.1, 0.2, 0.3], rel=1e-15)


def test_a_list_of_values_is_an_axis():
    from gdx.errors import GdxError
    from gdx.sweep import parse_range

    lr = parse_range("lr", "0.1, 0.01,0.03,0.1", 40)
    assert lr.values == (0.01, 0.03, 0.1) and lr.log  # ascending, each once; log for the lr
    mu = parse_range("momentum", "0.9,0", 40)
    assert mu.values == (0.0, 0.9) and not mu.log
    for bad, word in (("0.1,", "empty value"), ("0.1,0.1", "one value"), ("0.1,x", "'x' is not a number")):
        with pytest.raises(GdxError, match=word):
            parse_range("lr", bad, 40)
    with pytest.raises(GdxError) as caught:
        parse_range("lr", "0.1,0.3,inf", 40)
    assert caught.value.span == (8, 11)  # the caret under the bad value


# -- tol on the full-data gradient in the batched engine -----------------------------------------
def _prepared(path, **extra):
    from gdx.app.prepare import RunRequest, prepare

    return prepare(RunRequest(LINE, data=path, **{"steps": 400, "tol": 1e-3, "seed": 3, "batch_size": 8, **extra}))


@pytest.mark.parametrize("optimizer, lrs", [("gd", (0.02, 0.05, 0.1)), ("momentum", (0.01, 0.02, 0.05))])
def test_batched_minibatch_runs_stop_where_the_loop_stops(tmp_path, optimizer, lrs):
    """Several settings as one batch (what sweep runs) and several starts (what --starts runs):
    every row stops at the single run's step with its status, and a converged row stopped at an
    evaluated step with ‖∇L‖ ≤ tol by hand, after an evaluated step with ‖∇L‖ > tol."""
    path, x, y = line_file(tmp_path)
    lr = np.array(lrs)
    p = _prepared(path, optimizer=optimizer, hyper={"lr": lr[:, None]})
    every = p.sampling[3]
    batch = p.run_batch(record_path=True)
    for i, value in enumerate(lrs):
        single = list(_prepared(path, optimizer=optimizer, hyper={"lr": value}).run())[-1].result
        assert (batch.status[i], batch.nit[i]) == (single.status, single.nit), value
        assert np.array_equal(batch.path(i), single.path.x) and np.array_equal(batch.x[i], single.x)
        if batch.status[i].value == "converged":
            k = int(batch.nit[i])
            assert k % every == 0
            assert hand_grad_norm(x, y, batch.x[i]) <= 1e-3 < hand_grad_norm(x, y, batch.path(i)[k - every])
    assert {s.value for s in batch.status} >= {"converged"}
    starts = np.array([[1.5, 1.5], [-1.0, 3.0], [0.0, 0.0]])
    many = _prepared(path, optimizer=optimizer, hyper={"lr": lrs[1]}).run_batch(starts)
    for i, start in enumerate(starts):
        single = list(_prepared(path, optimizer=optimizer, hyper={"lr": lrs[1]}, start=tuple(start)).run())[-1].result
        assert (many.status[i], many.nit[i]) == (single.status, single.nit)
        assert np.array_equal(many.x[i], single.x)


def test_a_small_batch_gradient_alone_does_not_stop_a_batched_run(tmp_path):
    """A batch of one row at its own exact fit has a zero batch gradient: the loop goes on (tol is
    judged on ∇L), and so must the batched engine."""
    path = tmp_path / "two.csv"
    path.write_text("x,y\n0,0\n1,5\n")
    # seed 3 draws row 1 (x = 1, y = 5) first; at (b, w) = (5, 0) it fits exactly (batch gradient 0), ∇L ≠ 0
    p = _prepared(str(path), batch_size=1, steps=5, start=(5.0, 0.0), eval_every=3, hyper={"lr": 0.1})
    assert p.batches().at(0)[1].tolist() == [1]
    single = list(p.run())[-1].result
    assert single.path.grad_norm[0] == 0.0 and single.status.value == "max_steps"
    batch = p.run_batch()
    assert (batch.status[0], batch.nit[0]) == (single.status, single.nit)


# -- the noise diagnosis's simulated suggestions -------------------------------------------------
def test_simulated_suggestions_use_the_runs_eval_every(tmp_path):
    """simulate() remakes the run with one change and the run's own --eval-every: it equals that
    run made directly (same status and step count — it converges where ∇L is evaluated — and the
    same full-data loss), and differs from the run with the bigger batch's default cadence."""
    from gdx.noise import simulate

    path, _, _ = line_file(tmp_path)
    p = _prepared(path, batch_size=4, eval_every=7, hyper={"lr": 0.02})
    for change, extra in (({"schedule": "cosine"}, {"schedule": "cosine"}), ({"batch_size": 16}, {"batch_size": 16})):
        full, status = simulate(p, **change)
        direct = _prepared(path, **{"batch_size": 4, "eval_every": 7, "hyper": {"lr": 0.02}, **extra})
        r = list(direct.run())[-1].result
        assert status == r.status.value == "converged" and r.nit % 7 == 0
        assert full == direct.compiled.value_and_grad(r.x)[0]
    # the bigger batch's own default cadence (every ⌈40/16⌉ = 3 steps) stops elsewhere: the cadence matters
    other = list(_prepared(path, batch_size=16, hyper={"lr": 0.02}).run())[-1].result
    made = list(_prepared(path, batch_size=16, eval_every=7, hyper={"lr": 0.02}).run())[-1].result
    assert other.nit != made.nit
