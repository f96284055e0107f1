"""CSV/JSON export: exact round trips, the header, atomic replacement, pre-run checks."""

import csv
import json
import math
import os

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.errors import ExitCode, GdxError
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.paths import write_atomic
from gdx.render.export import check_export_path, csv_text, export_run, read_csv_path


@pytest.fixture(scope="module")
def result():
    c = Compiled(parse_function("(1-x)^2 + 100*(y-x^2)^2"))
    return run_to_end(c, make_optimizer("adam", lr=0.01), (-1.2, 1.0), steps=250, tol=0)


def test_csv_header_and_rows_read_back_exactly(tmp_path, result):
    path = export_run(tmp_path / "run.csv", result)
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:6] == ["step", "x", "y", "loss", "grad_norm", "lr"]
    assert rows[0][6:] == ["grad_x", "grad_y"]
    assert len(rows) == 1 + 251 and rows[1][0] == "0"
    assert (float(rows[1][1]), float(rows[1][2])) == (-1.2, 1.0)
    back = np.array([[float(v) for v in r[1:3]] for r in rows[1:]])
    assert np.array_equal(back, result.path.x)  # bit-for-bit
    assert np.array_equal([float(r[3]) for r in rows[1:]], result.path.loss)


def test_read_csv_path_round_trip(tmp_path, result):
    path = export_run(tmp_path / "run.csv", result)
    variables, data = read_csv_path(path)
    assert variables == ("x", "y")
    assert np.array_equal(data["x"], result.path.x[:, 0]) and np.array_equal(data["lr"], result.path.lr)


def test_json_export_round_trip(tmp_path, result):
    path = export_run(tmp_path / "run.json", result, {"function": "rosen"})
    doc = json.loads(path.read_text())
    assert doc["function"] == "rosen" and doc["variables"] == ["x", "y"]
    assert doc["steps"] == 250 and len(doc["path"]) == 251
    xs = np.array([[row["x"], row["y"]] for row in doc["path"]])
    assert np.array_equal(xs, result.path.x)


def test_non_finite_values_are_written_readably(tmp_path):
    c = Compiled(parse_function("log(x) + x^2"))
    res = run_to_end(c, make_optimizer("gd", lr=1.0), (0.5,), steps=10, tol=0)
    text = csv_text(res.path)
    last = text.strip().splitlines()[-1].split(",")
    assert math.isnan(float(last[2]))
    doc = json.loads(export_run(tmp_path / "r.json", res).read_text())
    assert doc["path"][-1]["loss"] is None  # JSON has no NaN: a non-finite number is null


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old contents\n")
    write_atomic(target, "new contents\n")
    assert target.read_text() == "new contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(GdxError) as info:
        write_atomic(target, "new\n")
    assert info.value.exit_code == ExitCode.IO and "No space left on device" in info.value.message
    assert target.read_text() == "old\n" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing/dir/run.csv", "--export: directory '{tmp}/missing/dir' does not exist"),
        ("run.txt", "--export: unknown format '.txt'"),
        ("", "--export: unknown format '{name}'"),  # a directory, no suffix: named by its name
    ],
)
def test_export_path_checked_before_the_run(tmp_path, name, message):
    with pytest.raises(GdxError) as info:
        check_export_path(tmp_path / name if name else tmp_path)
    assert info.value.message == message.format(tmp=tmp_path, name=tmp_path.name)
    assert info.value.kind == "usage error"


def test_export_path_under_a_regular_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(GdxError) as info:
        check_export_path(blocker / "run.csv")
    assert info.value.message == f"--export: '{blocker}' is a file, not a directory"
