"""Bounded memory for long runs: the kept path is thinned (gdx.path_record) while a CSV export
receives every step as the run goes; --export run.json still keeps (and checks) every step."""

import numpy as np

from gdx import path_record
from gdx.compile import compile_problem
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.path_record import PathRecord
from gdx.render.export import csv_text
from gdx.result import Step


def _step(k):
    return Step(k, np.array([float(k)]), float(k), 0.0, 0.1, np.array([0.0]), None)


def test_a_long_record_keeps_the_start_a_thinned_middle_and_the_whole_tail():
    seen = []
    record = PathRecord(limit=100, sink=seen.append, tail=50)
    for k in range(10_001):
        record.append(_step(k))
    ks = [s.k for s in record.steps()]
    assert len(seen) == 10_001 and record.thinned
    assert len(ks) <= 150 and ks == sorted(ks) and ks[0] == 0
    assert ks[-50:] == list(range(9_951, 10_001))  # the tail, every step
    strides = set(np.diff(ks[:-50]))
    assert len(strides) == 1 and (next(iter(strides)) & (next(iter(strides)) - 1)) == 0  # one power of two


def test_without_a_limit_every_step_is_kept():
    record = PathRecord()
    for k in range(500):
        record.append(_step(k))
    assert [s.k for s in record.steps()] == list(range(500)) and not record.thinned


def test_optimize_streams_every_row_to_the_csv_and_keeps_a_bounded_path(gdx_main, tmp_path, monkeypatch):
    monkeypatch.setattr(path_record, "LIMIT", 200)
    monkeypatch.setattr(path_record, "TAIL", 100)
    from gdx.app import optimize as app_optimize

    kept = []
    real_finish = app_optimize.finish
    monkeypatch.setattr(app_optimize, "finish", lambda p, r, **k: kept.append(len(r.path)) or real_finish(p, r, **k))
    out = tmp_path / "run.csv"
    code, stdout, stderr = gdx_main("optimize", "x^2+3*y^2", "-o", "gd", "--lr", "0.001", "--steps", "3000",
                                    "--tol", "0", "--start", "1.5,-0.5", "--export", str(out), "-q")
    assert code == 0, stderr
    full = run_to_end(compile_problem(parse_function("x^2+3*y^2")), make_optimizer("gd", lr=0.001), (1.5, -0.5),
                      steps=3000, tol=0)
    assert len(full.path) == 3001
    assert out.read_text() == csv_text(full.path)  # every row, exactly as the whole-path export writes it
    assert kept and kept[0] <= 200 + 100 + 1  # the run kept a bounded, thinned path
    assert [p.name for p in tmp_path.iterdir()] == ["run.csv"]  # no temporary file left behind
