"""--data FILE: the loader's checks (file, line, column in every message), the CLI, minibatch runs."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from gdx.data import MAX_BYTES, load_data
from gdx.errors import GdxError

LINE = "(w*x + b - y)^2"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.fixture(scope="module")
def _data_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("data-cache"))


@pytest.fixture(autouse=True)
def _own_compiled_cache(_data_cache, monkeypatch):
    """The tests of this file share one compiled cache (this overrides conftest's per-test one): a
    --data entry is keyed on the function, --vars and the column names, so every run of a loss
    over the same header after the first parses and derives nothing.  A hit gives what a miss
    gives (tests/test_data_cache.py), so no result here depends on the order of the tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", _data_cache)


@pytest.fixture(autouse=True)
def _width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


def test_csv_and_jsonl_read_the_same_table(tmp_path):
    a = load_data(write(tmp_path, "a.csv", "x,y\n0,1\n1,3.5\n2,-1e-3\n"))
    b = load_data(write(tmp_path, "a.jsonl", '{"x": 0, "y": 1}\n{"x": 1, "y": 3.5}\n\n{"x": 2, "y": -0.001}\n'))
    assert a.columns == b.columns == ("x", "y")
    assert np.array_equal(a.values, b.values) and a.values.shape == (3, 2)


@pytest.mark.parametrize("name, text, words", [
    ("ragged.csv", "x,y\n1,2\n3\n", ["ragged.csv, line 3", "1 cells", "2 columns"]),
    ("word.csv", "x,y\n1,2\n3,abc\n", ["line 3, column 'y'", "'abc' is not a number"]),
    ("empty_cell.csv", "x,y\n1,\n", ["line 2, column 'y'", "is empty"]),
    ("nan.csv", "x,y\n1,2\nnan,3\n", ["line 3, column 'x'", "not a finite number"]),
    ("inf.csv", "x,y\n1,-inf\n", ["line 2, column 'y'", "not a finite number"]),
    ("fn.csv", "exp,y\n1,2\n", ["line 1, column 'exp'", "function or constant"]),
    ("pi.csv", "x,pi\n1,2\n", ["column 'pi'"]),
    ("reserved.csv", "x,loss\n1,2\n", ["column 'loss'", "export columns"]),
    ("grad.csv", "grad_w,y\n1,2\n", ["column 'grad_w'"]),
    ("twice.csv", "x,x\n1,2\n", ["named twice"]),
    ("numbers.csv", "1,2\n3,4\n", ["not a valid column name"]),
    ("empty.csv", "", ["is empty"]),
    ("header.csv", "x,y\n", ["no rows of data"]),
    ("blank.csv", "x,y\n1,2\n\n3,4\n", ["line 3", "empty row"]),
    ("bad.jsonl", '{"x": 1, "y": 2}\n{"x": 1}\n', ["bad.jsonl, line 2", "lacks y"]),
    ("nan.jsonl", '{"x": NaN, "y": 2}\n', ["line 1, column 'x'"]),
    ("text.jsonl", '{"x": "1", "y": 2}\n', ["line 1, column 'x'", "not a number"]),
])
def test_bad_tables_name_file_line_and_column(tmp_path, name, text, words):
    path = write(tmp_path, name, text)
    with pytest.raises(GdxError) as info:
        load_data(path)
    message = str(info.value.message)
    assert message.startswith(path)
    for w in words:
        assert w in message


def test_directory_fifo_missing_and_huge_files_are_refused_before_reading(tmp_path):
    with pytest.raises(GdxError, match="is a directory"):
        load_data(str(tmp_path))
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(GdxError, match="not a regular file"):
        load_data(str(fifo))  # would block forever if it were opened
    with pytest.raises(GdxError, match="no such file"):
        load_data(str(tmp_path / "nope.csv"))
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: no disk, no time
    with pytest.raises(GdxError, match="MiB"):
        load_data(str(big))


def test_cli_fits_a_line_and_names_parameters(gdx_main, tmp_path):
    path = write(tmp_path, "points.csv", "x,y\n0,1\n1,3\n2,5\n3,7\n")
    code, out, err = gdx_main("optimize", LINE, "--data", path, "--lr", "0.1", "--steps", "2000", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["variables"] == ["b", "w"]
    np.testing.assert_allclose(doc["x"], [1.0, 2.0], atol=1e-5)


@pytest.mark.parametrize("argv, words", [
    (["--data", "{d}/nope.csv"], ["nope.csv", "no such file"]),
    (["--data", "{d}"], ["is a directory"]),
    (["--data", "{d}/p.csv", "--vars", "b,w,q"], ["column 'x'"]),  # --vars: x is then a missing column
    (["--batch-size", "2"], ["--batch-size needs --data"]),
    (["--data", "{d}/p.csv", "--batch-size", "0"], ["batch_size"]),
    (["--data", "{d}/p.csv", "--batch-size", "2", "-o", "newton"], ["does not apply to newton"]),
    (["--data", "{d}/p.csv", "--eval-every", "3"], ["--eval-every needs --batch-size"]),
])
def test_cli_bad_data_flags_are_one_screen_errors(gdx_main, tmp_path, argv, words):
    write(tmp_path, "p.csv", "x,y\n0,1\n1,3\n2,5\n")
    args = [a.format(d=tmp_path) for a in argv]
    if "--vars" in args:
        write(tmp_path, "p.csv", "y,z\n0,1\n1,3\n")
    code, out, err = gdx_main("optimize", LINE, *args, "--steps", "3")
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    for w in words:
        assert w in err
    assert len(err.splitlines()) < 25


def test_function_using_no_column_is_refused(gdx_main, tmp_path):
    path = write(tmp_path, "p.csv", "u,v\n0,1\n")
    code, _, err = gdx_main("optimize", LINE, "--data", path)
    assert code == 2 and "uses none of the columns" in err


def test_minibatch_export_records_epochs_rows_and_full_loss(gdx_main, tmp_path):
    path = write(tmp_path, "p.csv", "x,y\n0,1\n1,3\n2,5\n3,7\n4,9\n")
    out_json, out_csv = tmp_path / "run.json", tmp_path / "run.csv"
    for export in (out_json, out_csv):
        code, _, err = gdx_main("optimize", LINE, "--data", path, "--batch-size", "2", "--seed", "4", "--steps", "7",
                                "--eval-every", "3", "-q", "--export", str(export))
        assert code == 0, err
    rows = json.loads(out_json.read_text())["path"]
    assert [r["epoch"] for r in rows] == [0, 0, 0, 1, 1, 1, 2, 2]
    assert [len(r["rows"]) for r in rows] == [2, 2, 1, 2, 2, 1, 2, 2]
    for e in range(2):  # every epoch sees every row once
        assert sorted(sum((r["rows"] for r in rows if r["epoch"] == e), [])) == [0, 1, 2, 3, 4]
    assert [r["full_loss"] is not None for r in rows] == [True, False, False, True, False, False, True, False]
    header, *lines = out_csv.read_text().splitlines()
    assert header.split(",")[:2] == ["step", "epoch"] and "full_loss" in header
    assert [int(line.split(",")[1]) for line in lines] == [0, 0, 0, 1, 1, 1, 2, 2]
    # the recorded rows recompute the path: the step's loss is the mean over its batch
    x = np.array([0, 1, 2, 3, 4.0]); y = 2 * x + 1
    for r in rows:
        idx = np.array(r["rows"])
        assert r["loss"] == pytest.approx(np.mean((r["w"] * x[idx] + r["b"] - y[idx]) ** 2), rel=1e-12)


def test_same_seed_same_path_other_seed_other_path(tmp_path):
    from gdx.app.prepare import RunRequest, prepare

    path = write(tmp_path, "p.csv", "x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(10)))

    def end(seed):
        p = prepare(RunRequest(LINE, data=path, batch_size=3, seed=seed, steps=20, hyper={"lr": 0.01}))
        return list(p.run())[-1].result.x

    assert np.array_equal(end(1), end(1))
    assert not np.array_equal(end(1), end(2))


def test_analyze_and_plot_take_data(gdx_main, tmp_path):
    path = write(tmp_path, "p.csv", "x,y\n0,1\n1,3\n2,5\n3,7\n")
    code, out, err = gdx_main("analyze", LINE, "--data", path, "--json")
    assert code == 0, err
    doc = json.loads(out)
    (point,) = doc["critical_points"]  # the mean loss is a convex quadratic: one minimum, at the exact fit
    assert point["kind"] == "minimum" and point["source"] == "numeric"
    np.testing.assert_allclose(point["at"], [1.0, 2.0], atol=1e-9)
    code, out, err = gdx_main("plot", LINE, "--data", path, "--no-critical")
    assert code == 0, err
    assert "b" in out and "w" in out


def _noisy_line(tmp_path, N=400):
    rng = np.random.default_rng(1)
    x = rng.normal(size=N)
    y = 3 * x - 1 + 0.5 * rng.normal(size=N)
    return write(tmp_path, "line.csv", "x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))


def test_noise_floor_is_diagnosed_and_its_suggestion_was_simulated(gdx_main, tmp_path):
    path = _noisy_line(tmp_path)
    argv = ["optimize", LINE, "--data", path, "--batch-size", "8", "--steps", "400", "--lr", "0.05", "--json"]
    code, out, err = gdx_main(*argv)
    assert code == 0, err
    d = json.loads(out)["diagnosis"]
    assert d["verdict"] == "noise floor"
    assert d["batch_gradient_variance"] > d["full_grad_norm"] ** 2 > 0
    # the floor predicted from lr and the variance is the size of the gap to the least-squares minimum
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    A = np.column_stack([np.ones(len(data)), data[:, 0]])
    best = np.mean((A @ np.linalg.lstsq(A, data[:, 1], rcond=None)[0] - data[:, 1]) ** 2)
    assert 0.1 < (d["full_loss"] - best) / d["noise_floor"] < 10
    flag = "--schedule cosine" if "--schedule cosine" in d["suggestion"] else "--batch-size 32"
    assert flag in d["suggestion"]
    code, out, _ = gdx_main(*argv, *flag.split())
    again = json.loads(out)["diagnosis"]["full_loss"]
    assert again == pytest.approx(d["suggested_full_loss"], rel=1e-12) and again < d["full_loss"]


def test_library_minimize_takes_data(tmp_path):
    import gdx

    path = write(tmp_path, "p.csv", "x,y\n0,1\n1,3\n2,5\n3,7\n")
    result = gdx.minimize(LINE, data=path, lr=0.1, steps=3000, tol=1e-10)
    np.testing.assert_allclose(result.x, [1.0, 2.0], atol=1e-8)
    noisy = gdx.minimize(LINE, data=path, lr=0.05, steps=40, batch_size=3, seed=2)
    assert noisy.path.epoch[-1] == 40 // 2 and len(noisy.path.rows[1]) == 1  # batches of 3 and 1


def test_sweep_over_batch_sizes_equals_single_runs(gdx_main, tmp_path):
    path = _noisy_line(tmp_path, N=60)
    code, out, err = gdx_main("sweep", LINE, "--data", path, "--batch-size", "4:60", "--lr", "0.05", "--steps", "50",
                              "--seed", "3", "--json")
    assert code == 0, err
    doc = json.loads(out)
    sizes = doc["axes"][0]["values"]
    assert doc["axes"][0]["name"] == "batch_size" and sizes == [4, 8, 16, 32, 60]
    runs = doc["runs"]
    for size, run in zip(sizes, runs):
        code, single, _ = gdx_main("optimize", LINE, "--data", path, "--batch-size", str(int(size)), "--lr", "0.05",
                                   "--steps", "50", "--seed", "3", "--json")
        d = json.loads(single)
        full = d["diagnosis"].get("full_loss", d["loss"])  # B = N: the full-batch run's own loss
        assert run["loss"] == pytest.approx(full, rel=1e-12)


def test_sweep_batch_size_refuses_a_third_axis(gdx_main, tmp_path):
    # issue 12 made --batch-size × one range a 2-D sweep (tests/test_sweep_batch.py); a second range is a third axis
    path = _noisy_line(tmp_path, N=20)
    code, _, err = gdx_main("sweep", LINE, "--data", path, "--batch-size", "2,8", "-o", "momentum", "--lr", "0.01:0.1",
                            "--momentum", "0:0.9")
    assert code == 2 and "at most two parameters can be swept at once" in err
