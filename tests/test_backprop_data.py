"""``gdx backprop --data FILE --row K``: the per-example loss at one row, against hand-derived adjoints.

For the squared error ℓ = (w·x + b − y)² the adjoints are ∂ℓ/∂w = 2r·x, ∂ℓ/∂b = 2r with
r = w·x + b − y; for the logistic loss ℓ = log(1 + exp(−y·(w·x + b))) they are
∂ℓ/∂w = −y·x·σ(−y·z), ∂ℓ/∂b = −y·σ(−y·z) with z = w·x + b (σ the logistic function).
"""

from __future__ import annotations

import json
import math

import pytest

ROWS = "x,y\n0,1\n1,3\n2,5.5\n3,-1\n"


@pytest.fixture
def points(tmp_path):
    p = tmp_path / "points.csv"
    p.write_text(ROWS)
    return str(p)


def _doc(gdx_main, *argv):
    code, out, err = gdx_main("backprop", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("row, x, y", [(0, 0.0, 1.0), (2, 2.0, 5.5), (3, 3.0, -1.0)])
def test_squared_error_adjoints_at_a_row_are_the_hand_derived_ones(gdx_main, points, row, x, y):
    w, b = 1.25, -0.5
    doc = _doc(gdx_main, "(w*x + b - y)^2", "--data", points, "--row", str(row), "--at", f"b={b},w={w}")
    r = w * x + b - y
    assert doc["variables"] == ["b", "w"]  # the parameters only; the columns are data nodes
    assert doc["value"] == pytest.approx(r * r, rel=1e-14, abs=1e-14)
    assert doc["gradient"]["w"] == pytest.approx(2 * r * x, rel=1e-14, abs=1e-14)
    assert doc["gradient"]["b"] == pytest.approx(2 * r, rel=1e-14, abs=1e-14)
    assert doc["data"] == {"source": points, "row": row, "rows": 4, "values": {"x": x, "y": y}}
    data_nodes = {n["label"]: n["value"] for n in doc["nodes"] if n["op"] == "data"}
    assert data_nodes == {"x": x, "y": y}
    assert doc["gradient_check"]["ok"] and doc["gradient_check"]["symbolic"]["w"] == pytest.approx(2 * r * x, abs=1e-12)


def test_logistic_loss_adjoints_and_the_default_row(gdx_main, tmp_path):
    p = tmp_path / "xy.csv"
    p.write_text("x,y\n0.5,1\n-2,-1\n")
    w, b = 0.75, 0.25
    for row, argv in ((0, ()), (1, ("--row", "1"))):
        doc = _doc(gdx_main, "log(1 + exp(-y*(w*x + b)))", "--data", str(p), *argv, "--at", f"b={b},w={w}")
        x, y = ((0.5, 1.0), (-2.0, -1.0))[row]
        z = w * x + b
        s = 1 / (1 + math.exp(y * z))  # σ(−y·z)
        assert doc["data"]["row"] == row
        assert doc["value"] == pytest.approx(math.log1p(math.exp(-y * z)), rel=1e-13)
        assert doc["gradient"]["w"] == pytest.approx(-y * x * s, rel=1e-13)
        assert doc["gradient"]["b"] == pytest.approx(-y * s, rel=1e-13)
        assert doc["gradient_check"]["ok"]


@pytest.mark.parametrize("argv, words", [
    (("--row", "4"), ["--row 4 is out of range", "has 4 rows (0 … 3)"]),
    (("--row", "-1"), ["--row -1 is out of range"]),
])
def test_a_row_out_of_range_is_a_usage_error(gdx_main, points, argv, words):
    code, out, err = gdx_main("backprop", "(w*x + b - y)^2", "--data", points, *argv)
    assert code == 2 and out == ""
    assert all(w in err for w in words), err
    assert "Traceback" not in err


def test_row_without_data_is_refused(gdx_main):
    code, _, err = gdx_main("backprop", "w^2", "--row", "1")
    assert code == 2 and "--row needs --data" in err


def test_the_drawing_and_explain_show_the_row(gdx_main, points, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = gdx_main("backprop", "(w*x + b - y)^2", "--data", points, "--row", "2", "--at", "b=0,w=1")
    assert code == 0, err
    assert "row 2 of" in out and "x = 2, y = 5.5" in out and "n1 data = 2" in out
    assert "∂f/∂w = -14" in out and "gradient check: ok" in out
    code, out, _ = gdx_main("backprop", "(w*x + b - y)^2", "--data", points, "--row", "2", "--at", "b=0,w=1", "--explain")
    assert code == 0 and "n1 = x = 2  (data)" in out and "∂f/∂w = ∂f/∂n0 = -14" in out
