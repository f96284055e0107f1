"""Many starts: basin assignment checked against minima from the literature and by hand.

Himmelblau's function (x² + y − 11)² + (x + y² − 7)² has four minima, all with f = 0
(Himmelblau 1972; the usual table): (3, 2), (−2.805118, 3.131312), (−3.779310, −3.283186),
(3.584428, −1.848126).  Every run from the box [−5, 5]² with a stable step reaches one of them.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gdx.render.basins import MAX_BASIN_ROWS
from gdx.basins import FAILED, assign, multistart, radius_of, random_starts
from gdx.batch import run_batch
from gdx.compile import Compiled
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.result import Status

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
LITERATURE = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
BOX = [(-5.0, 5.0), (-5.0, 5.0)]


class Known:
    def __init__(self, at):
        self.at, self.value, self.kind = at, 0.0, "global"


@pytest.fixture(scope="module")
def himmelblau():
    return Compiled(parse_function(HIMMELBLAU))


def nearest_literature(point):
    d = [math.dist(point, m) for m in LITERATURE]
    return int(np.argmin(d)), min(d)


@pytest.mark.parametrize("name,lr,known", [("gd", 0.01, False), ("adam", 0.05, False), ("gd", 0.01, True)])
def test_himmelblau_has_exactly_four_basins_at_the_literature_minima(himmelblau, name, lr, known):
    N = 200
    minima = [Known(m) for m in LITERATURE] if known else ()
    ms = multistart(himmelblau, make_optimizer(name, lr=lr), BOX, N, seed=7, steps=3000, tol=1e-6,
                    known=minima, map_shape=None)
    assert len(ms.basins) == 4
    found = sorted(nearest_literature(b.point)[0] for b in ms.basins)
    assert found == [0, 1, 2, 3]  # one basin per literature minimum
    for b in ms.basins:
        assert nearest_literature(b.point)[1] < 1e-5  # the table gives 6 decimals
        assert b.kind == "minimum" and abs(b.value) < 1e-9
        assert b.known == ("global minimum" if known else None)
    assert sum(b.count for b in ms.basins) == N and ms.failed == 0
    # each run's own end point is at the minimum of its basin
    for i in range(N):
        b = ms.basins[ms.assigned[i]]
        assert math.dist(ms.batch.x[i], b.point) <= ms.radius


def test_seed_gives_the_same_starts(himmelblau):
    a = random_starts(BOX, 50, 3)
    assert np.array_equal(a, random_starts(BOX, 50, 3))
    assert not np.array_equal(a, random_starts(BOX, 50, 4))
    assert a.min() >= -5 and a.max() <= 5
    # numpy's documented generator: default_rng(3).uniform(lo, hi, size)
    assert np.array_equal(a, np.random.default_rng(3).uniform([-5, -5], [5, 5], size=(50, 2)))
    opt = make_optimizer("gd", lr=0.01)
    m1 = multistart(himmelblau, opt, BOX, 50, 3, steps=500, map_shape=None)
    m2 = multistart(himmelblau, opt, BOX, 50, 3, steps=500, map_shape=None)
    assert [b.point for b in m1.basins] == [b.point for b in m2.basins]
    assert np.array_equal(m1.assigned, m2.assigned)


def test_diverged_runs_are_their_own_row():
    # f = x⁴/4 − x²/2 + y²/2: minima (±1, 0) with f = −1/4 (by hand: f' = x³ − x, f'' = 3x² − 1 = 2 > 0);
    # gd with lr 0.1 overshoots from |x| large and diverges there
    c = Compiled(parse_function("x^4/4 - x^2/2 + y^2/2"))
    box = [(-6.0, 6.0), (-1.0, 1.0)]
    opt = make_optimizer("gd", lr=0.1)
    ms = multistart(c, opt, box, 200, seed=0, steps=2000, tol=1e-8, map_shape=None)
    points = sorted(tuple(round(v, 6) for v in b.point) for b in ms.basins)
    assert points == [(-1.0, 0.0), (1.0, 0.0)]
    assert all(b.kind == "minimum" and b.value == pytest.approx(-0.25, abs=1e-12) for b in ms.basins)
    # the failed runs are exactly those that fail alone (gdx.loop.run, one start at a time)
    alone = np.array([run_to_end(c, opt, x, steps=2000, tol=1e-8).status in (Status.DIVERGED, Status.FAULT)
                      for x in ms.starts])
    assert 0 < alone.sum() < 200
    assert np.array_equal(ms.assigned == FAILED, alone)
    assert ms.failed + sum(b.count for b in ms.basins) == 200
    assert ms.to_dict()["diverged"] == int(alone.sum())


def test_a_saddle_is_classified_as_one():
    # f = x² − y² + y⁴: minima (0, ±1/√2) (f = −1/4), a saddle at (0, 0) (H = diag(2, −2), by hand).
    # Starts with y = 0 exactly stay on the saddle's stable manifold and converge to it.
    c = Compiled(parse_function("x^2 - y^2 + y^4"))
    X0 = np.array([[1.0, 0.0], [-0.5, 0.0], [0.3, 0.4], [0.2, -0.9], [-1.0, 0.7]])
    batch = run_batch(c, make_optimizer("gd", lr=0.05), X0, steps=2000, tol=1e-9)
    basins, assigned = assign(c, batch, (), radius_of([(-1, 1), (-1, 1)]))
    kinds = {tuple(round(v, 6) + 0.0 for v in b.point): (b.kind, b.count) for b in basins}
    r = round(1 / math.sqrt(2), 6)
    assert kinds == {(0.0, 0.0): ("saddle", 2), (0.0, r): ("minimum", 2), (0.0, -r): ("minimum", 1)}
    assert (assigned >= 0).all()


def test_basin_map_cells_go_where_single_runs_go(himmelblau):
    opt = make_optimizer("gd", lr=0.01)
    ms = multistart(himmelblau, opt, BOX, 40, seed=1, steps=2000, map_shape=(6, 10))
    assert ms.map.cells.shape == (6, 10)
    rng = np.random.default_rng(0)
    for r, c in zip(rng.integers(0, 6, 12), rng.integers(0, 10, 12)):
        x0 = (ms.map.xs[c], ms.map.ys[r])
        end = run_to_end(himmelblau, opt, x0, steps=2000).x
        b = ms.basins[ms.map.cells[r, c]]
        assert math.dist(end, b.point) <= ms.radius
    assert ms.map.ys[0] > ms.map.ys[-1]  # row 0 is the top


# -- the command ---------------------------------------------------------------------------------
def test_optimize_starts_json_and_text(gdx):
    r = gdx("optimize", HIMMELBLAU, "--starts", "60", "--seed", "2", "--box", "-5:5,-5:5", "--lr", "0.01", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["starts"] == 60 and sum(b["count"] for b in doc["basins"]) + doc["diverged"] == 60
    assert len(doc["basins"]) == 4 and len(doc["assignments"]) == 60
    for b in doc["basins"]:
        assert nearest_literature(b["point"])[1] < 1e-5 and b["kind"] == "minimum"
    assert len(doc["map"]["rows"]) == 20
    r = gdx("optimize", "himmelblau", "--starts", "40", "--seed", "2")
    assert r.returncode == 0, r.stderr
    assert "basin map" in r.stdout and "global" in r.stdout and "40 random starts" in r.stdout
    for label in "ABCD":
        assert f"\n{label} " in r.stdout


def test_optimize_starts_usage_errors(gdx):
    r = gdx("optimize", "himmelblau", "--starts", "10", "--start", "1,1")
    assert r.returncode == 2 and "--start does not apply with --starts" in r.stderr
    r = gdx("optimize", "himmelblau", "--starts", "0")
    assert r.returncode == 2 and "starts" in r.stderr
    r = gdx("optimize", "himmelblau", "--starts", "10", "--box", "x=1:0")
    assert r.returncode == 2 and "--box" in r.stderr


def test_many_basins_are_summarised_unless_all_rows(gdx, monkeypatch):
    """An egg crate of ~330 minima in the box: most starts converge to a minimum of their own;
    the table lists the 12 basins with the most runs and one summary row (the runs add up),
    --all-rows lists every one."""
    monkeypatch.setenv("COLUMNS", "100")
    args = ("optimize", "-cos(2*x)*cos(2*y)", "--box", "x=-20:20,y=-20:20", "--lr", "0.2", "--steps", "100",
            "--starts", "150", "--seed", "3")
    doc = json.loads(gdx(*args, "--json").stdout)
    labels = [b["label"] for b in doc["basins"]]
    assert len(labels) > 100 and doc["statuses"] == {"converged": 150}  # --json has every basin
    text = gdx(*args).stdout
    table = text.split("basin map")[0].splitlines()
    rows = [line.split()[0] for line in table if line.split() and line.split()[0] in set(labels)]
    assert len(rows) == MAX_BASIN_ROWS
    summary = next(line for line in table if line.startswith("…"))
    assert f"{len(labels) - MAX_BASIN_ROWS} more basins" in summary
    shown_runs = sum(b["count"] for b in doc["basins"] if b["label"] in rows)
    assert int(summary.split()[4]) == 150 - doc["diverged"] - shown_runs
    full = gdx(*args, "--all-rows").stdout.split("basin map")[0]
    assert "more basins" not in full
    assert {line.split()[0] for line in full.splitlines() if line.split()} >= set(labels)
    r = gdx("optimize", "rosenbrock", "--all-rows")
    assert r.returncode == 2 and "--all-rows" in r.stderr


def test_runs_that_did_not_converge_are_in_no_basin(gdx, monkeypatch):
    """--steps 1: no start converged, so none founds a basin or gets a kind: all are counted as
    not converged (the table's "·" row, the map's "·" cells, --json's not_converged)."""
    monkeypatch.setenv("COLUMNS", "100")
    args = ("optimize", "x^2 + 3*y^2", "--starts", "40", "--steps", "1", "--seed", "3")
    doc = json.loads(gdx(*args, "--json").stdout)
    assert doc["statuses"] == {"max_steps": 40} and doc["not_converged"] == 40 and doc["diverged"] == 0
    assert doc["basins"] == [] and doc["assignments"] == [None] * 40
    assert set("".join(doc["map"]["rows"])) == {"·"}
    text = gdx(*args).stdout
    assert "not converged (no kind)" in text and "minimum" not in text and "saddle" not in text
    assert "· not converged" in text
    # the same runs given the steps to converge all reach the one minimum
    doc = json.loads(gdx("optimize", "x^2 + 3*y^2", "--starts", "40", "--seed", "3", "--lr", "0.1", "--json").stdout)
    assert doc["not_converged"] == 0 and [(b["kind"], b["count"], b["converged"]) for b in doc["basins"]] == [("minimum", 40, 40)]


def test_a_run_stopped_near_a_converged_basin_joins_it_without_founding_one():
    """Assignment by hand: two runs converged at 0, one stopped at --steps within r of 0 (it
    joins, counted but not converged), one stopped far away (not converged, in no basin)."""
    import numpy as np

    from gdx.basins import NOT_CONVERGED, assign
    from gdx.compile import Compiled
    from gdx.parse import parse_function
    from gdx.result import Status

    class Batch:
        x = np.array([[0.0, 0.0], [1e-9, 0.0], [0.01, 0.0], [3.0, 1.0]])
        grad_norm = np.array([0.0, 1e-9, 0.02, 6.0])
        status = [Status.CONVERGED, Status.CONVERGED, Status.MAX_STEPS, Status.MAX_STEPS]
        failed = np.zeros(4, dtype=bool)

    basins, assigned = assign(Compiled(parse_function("x^2 + y^2")), Batch(), radius=0.1)
    assert [(b.kind, b.count, b.converged) for b in basins] == [("minimum", 3, 2)]
    assert assigned.tolist() == [0, 0, 0, NOT_CONVERGED]
