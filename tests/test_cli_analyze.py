"""``gdx analyze`` and the diagnosis in ``gdx optimize``, through the CLI (gdx.cli.main)."""

import json
import re

import pytest


def test_analyze_himmelblau_json(gdx_main):
    code, out, err = gdx_main("analyze", "himmelblau", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["variables"] == ["x", "y"]
    import sympy

    x, y = sympy.symbols("x y")
    # by hand: f = (x²+y−11)² + (x+y²−7)²
    grad = [4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7), 2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7)]
    hess = [[12 * x**2 + 4 * y - 42, 4 * x + 4 * y], [4 * x + 4 * y, 4 * x + 12 * y**2 - 26]]

    def same(text, expr):
        return sympy.expand(sympy.sympify(text.replace("^", "**"), locals={"x": x, "y": y}) - expr) == 0

    assert all(same(t, e) for t, e in zip(doc["gradient"], grad))
    assert all(same(t, e) for row_t, row_e in zip(doc["hessian"], hess) for t, e in zip(row_t, row_e))
    kinds = sorted(p["kind"] for p in doc["critical_points"])
    assert kinds == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    for p in doc["critical_points"]:
        assert set(p) >= {"at", "kind", "value"} and len(p["at"]) == 2
    assert {tuple(p["at"]) for p in doc["critical_points"] if p["kind"] == "minimum"} >= {(3.0, 2.0)}


def test_analyze_at_a_point_json(gdx_main):
    code, out, _ = gdx_main("analyze", "x^2 + 3*y^2", "--at", "1,1", "--json", "--no-exact")
    doc = json.loads(out)["at"]
    assert doc["f"] == 4.0 and doc["grad"] == [2.0, 6.0]
    assert doc["hessian"] == [[2.0, 0.0], [0.0, 6.0]]
    assert doc["eigenvalues"] == pytest.approx([2.0, 6.0])
    assert doc["condition"] == pytest.approx(3.0)
    assert doc["stable_lr"] == pytest.approx(1 / 3) and doc["optimal_lr"] == pytest.approx(0.25)
    assert doc["contraction"] == pytest.approx(0.5)
    assert doc["newton_step"] == pytest.approx([-1.0, -1.0])
    assert doc["fd_check"]["differentiable"] is True


def test_analyze_text_shows_the_calculus_and_the_critical_points(gdx_main):
    code, out, _ = gdx_main("analyze", "six-hump-camel", "--at", "x=0,y=0")
    assert code == 0
    assert "∂f/∂x    2*x^5 - 8.4*x^3 + 8*x + y" in out and "∂f/∂y    x + 16*y^3 - 8*y" in out
    assert re.search(r"│ H  ⎡  10\*x\^4 - 25\.2\*x\^2 \+ 8  1 +⎤", out)  # the Hessian's first row
    assert "15 critical points in x ∈ [-3, 3], y ∈ [-2, 2]: 6 minima, 2 maxima, 7 saddles" in out
    assert "indefinite (saddle)" in out  # the origin is a saddle


def test_analyze_ackley_origin_is_flagged(gdx_main):
    code, out, _ = gdx_main("analyze", "ackley", "--at", "0,0", "--no-critical", "--json")
    doc = json.loads(out)
    assert doc["at"]["fd_check"]["differentiable"] is False
    assert doc["critical_points"] is None


def test_analyze_vector_jacobian(gdx_main):
    code, out, _ = gdx_main("analyze", "x*y, x + y^2", "--at", "1,2", "--json")
    doc = json.loads(out)
    assert doc["jacobian"] == [["y", "x"], ["1", "2*y"]]
    assert doc["at"]["jacobian"] == [[2.0, 1.0], [1.0, 4.0]]
    assert doc["at"]["determinant"] == pytest.approx(7.0)
    code, out, _ = gdx_main("analyze", "x*y, x + y^2", "--at", "1,2")
    assert re.search(r"│ det J  7 +│", out)  # det [[2, 1], [1, 4]] = 7


def test_analyze_box_and_vars(gdx_main):
    code, out, _ = gdx_main("analyze", "x^4 - 2*x^2 + y^2", "--box", "x=0.5:2,y=-1:1", "--json")
    doc = json.loads(out)
    assert [(p["at"], p["kind"]) for p in doc["critical_points"]] == [([1.0, 0.0], "minimum")]
    code, out, _ = gdx_main("analyze", "x^2 + 2*y", "--vars", "y,x", "--json", "--no-critical")
    assert json.loads(out)["gradient"] == ["2", "2*x"]


@pytest.mark.parametrize(
    "argv",
    [
        ("analyze", "x^2 + y^2", "--box", "z=0:1"),
        ("analyze", "x^2 + y^2", "--box", "x=1:0"),
        ("analyze", "x^2 + y^2", "--at", "1"),
        ("analyze", "x^2 + y^2", "--timeout", "-1"),
    ],
)
def test_analyze_usage_errors(gdx_main, argv):
    code, out, err = gdx_main(*argv)
    assert code == 2 and out == "" and err


def test_analyze_help_has_an_example(gdx_main):
    code, out, _ = gdx_main("analyze", "--help")
    assert code == 0 and "gdx analyze himmelblau" in out and "--box" in out and "--timeout" in out


def test_optimize_json_has_the_diagnosis(gdx_main, tmp_path):
    export = tmp_path / "run.json"
    code, out, _ = gdx_main("optimize", "x^2 + 3*y^2", "--lr", "0.34", "--json", "--export", str(export))
    assert code == 1
    diag = json.loads(out)["diagnosis"]
    assert diag["verdict"] == "diverged" and diag["suggestion"].startswith("try --lr 0.16 (tried from the same start: it converges in ")
    assert diag["lambda_max"] == pytest.approx(6.0) and diag["stable_lr"] == pytest.approx(1 / 3)
    assert json.loads(export.read_text())["diagnosis"]["verdict"] == "diverged"


def test_optimize_summary_shows_the_diagnosis(gdx_main):
    code, out, _ = gdx_main("optimize", "x^2 + 3*y^2", "--lr", "0.3", "--steps", "20", "--quiet")
    assert "diagnosis" in out and "oscillating" in out and "try --lr 0.25" in out
