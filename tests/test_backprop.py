"""gdx backprop and the functions neural networks use (issue 11).

Adjoints at every node are checked against torch.autograd (tests/fixtures/torch_backprop.json,
written by tests/fixtures/make_torch_backprop_references.py with retain_grad on every
intermediate tensor); the leaves against gdx's compiled symbolic gradient to 1e-12 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gdx import graph as G
from gdx.compile import Compiled
from gdx.errors import GdxError
from gdx.parse import parse_function

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "torch_backprop.json").read_text())
CASES = {c["name"]: c for c in FIXTURE["cases"]}


def _pass(text, point, variables=None):
    problem = parse_function(text, variables)
    return problem, G.backprop(G.build(problem.tree, problem.variables), point)


def _close(a, b, rtol=1e-12):
    return abs(a - b) <= rtol * max(abs(a), abs(b)) or abs(a - b) <= 1e-15


def _slope_constants(result):
    """Constants whose adjoint torch does not have: leaky_relu's slope (torch takes it as a number)
    and the constant exponent of a negative base (torch: NaN; gdx: that edge has no derivative)."""
    graph = result.graph
    out = {n.inputs[1] for n in graph.nodes if n.op == "leaky_relu" and graph.nodes[n.inputs[1]].op == "const"}
    return out | {i for n in graph.nodes for i, d in zip(n.inputs, result.local[n.index]) if d is None}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_node_matches_torch_autograd(name):
    case = CASES[name]
    problem, result = _pass(case["text"], case["point"])
    graph = result.graph
    assert [(n.id, n.op, n.label) for n in graph.nodes] == [(n["id"], n["op"], n["label"]) for n in case["nodes"]]
    skip = _slope_constants(result)
    for node, ref in zip(graph.nodes, case["nodes"]):
        assert _close(result.values[node.index], ref["value"]), (node.label, result.values[node.index], ref["value"])
        if node.index not in skip:
            assert _close(result.adjoints[node.index], ref["adjoint"]), (node.label, result.adjoints[node.index], ref["adjoint"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_leaves_equal_the_symbolic_gradient(name):
    case = CASES[name]
    problem, result = _pass(case["text"], case["point"])
    f, g = Compiled(problem).value_and_grad(np.array(case["point"], dtype=float))
    ours = result.gradient()
    for v, symbolic in zip(problem.variables, g):
        assert _close(ours[v], float(symbolic)), (v, ours[v], symbolic)
    assert _close(result.value, f)


def test_kink_conventions_are_torchs():
    """relu′(0) = 0, leaky_relu′(0) = a, abs′(0) = 0, max/min ties ½ each — in the graph and in ∇f."""
    kinks = FIXTURE["kinks"]
    for text, point, expected in [
        ("relu(x)", (0.0,), [kinks["relu'(0)"]]),
        ("leaky_relu(x, 0.1)", (0.0,), [kinks["leaky_relu'(0) with slope 0.1"]]),
        ("abs(x)", (0.0,), [kinks["abs'(0)"]]),
        ("max(x, y)", (1.0, 1.0), kinks["maximum tie (a, b)"]),
        ("min(x, y)", (1.0, 1.0), kinks["minimum tie (a, b)"]),
    ]:
        problem, result = _pass(text, point)
        assert list(result.gradient().values()) == expected, text
        assert Compiled(problem).grad(np.array(point)).tolist() == expected, text
    assert kinks["sqrt'(0)"] == math.inf
    with pytest.raises(GdxError, match=r"n1 \(sqrt\(x\)\) has an infinite derivative"):
        _pass("sqrt(x)", (0.0,))


def test_the_graph_is_the_function_as_typed():
    _, r = _pass("x/y + (a+b)^2 + w*x + b", (1, 2, 3, 4, 5))
    labels = {n.label: n for n in r.graph.nodes}
    assert labels["x/y"].op == "div" and labels["(a + b)^2"].op == "pow" and labels["w*x"].op == "mul"
    assert labels["a + b"].op == "add" and r.graph.nodes[-1].label == "x/y + (a + b)^2 + w*x + b"
    # typed twice: one node, used twice; its adjoint sums both uses
    _, r = _pass("tanh(x*y) + 3*tanh(x*y)", (0.5, 0.2))
    assert [n.label for n in r.graph.nodes].count("tanh(x*y)") == 1 and r.graph.typed == len(r.graph.nodes) + 4
    t = next(n for n in r.graph.nodes if n.label == "tanh(x*y)")
    assert r.adjoints[t.index] == 4.0 and t.index in r.graph.shared
    # -2 is one constant, x^-1 keeps its exponent, -(u*v) stays a negation of the product
    _, r = _pass("-2*x^-1 - -(x*y)", (2.0, 3.0))
    assert [n.label for n in r.graph.nodes if n.op in ("const", "neg")] == ["-2", "-1", "-(x*y)"]


def test_flow_folds_many_paths_and_sums_to_the_adjoint():
    _, r = _pass("((x*x)*(x*x))*((x*x)*(x*x))", (1.1,))
    (flow,) = G.flows(r, top=5)
    assert flow.count == 8 and len(flow.paths) == 5 and flow.folded == 3
    assert _close(flow.total, 8 * 1.1**7)
    assert _close(math.fsum(p.product for p in flow.paths) + flow.folded_sum, flow.total)
    products = [abs(p.product) for p in flow.paths]
    assert products == sorted(products, reverse=True)


def test_factor_kinds():
    assert G.factor_kind(0.05) == "vanishing" and G.factor_kind(-20) == "exploding" and G.factor_kind(1) is None


@pytest.mark.parametrize(("text", "point", "words"), [
    ("log(x) + y", "-1,2", ["node n1 (log(x))", "log has no real value", "x = -1"]),
    ("x/y", "0,0", ["node n2 (x/y)", "0/0"]),
    ("1/(x - y)", "1,1", ["(x - y)", "division by zero"]),
    ("x^y", "-2,0.5", ["x^y", "not real"]),
    ("exp(exp(x))", "10", ["exp(exp(x))", "float64"]),
    ("x + y", "1", ["--at has 1 coordinate, expected 2 (x, y)"]),
    ("x + y", "1,2,3", ["--at has 3 coordinates, expected 2"]),
    ("x + y", "x=1", ["no value for y"]),
    ("x + y", "x=1,y=2,z=3", ["unknown variable 'z'"]),
])
def test_undefined_points_and_bad_coordinates_name_the_node_or_variable(gdx_main, text, point, words):
    code, out, err = gdx_main("backprop", text, "--at", point)
    assert code == 2 and out == ""
    for w in words:
        assert w in err, (w, err)
    assert "Traceback" not in err


def test_cli_tree_flow_and_check(gdx_main):
    code, out, err = gdx_main("backprop", "tanh(w2*tanh(w1))", "--at", "w1=3,w2=0.5")
    assert code == 0, err
    assert "n4 tanh = 0.46017  ∂f/∂· 1  tanh(w2*tanh(w1))" in out
    assert "└─ ∂ 0.009866↓ ─ n1 var = 3  ∂f/∂· 0.00388842  w1" in out
    assert "n4 → n3 → n2 → n1:  0.78824 · 0.5 · 0.009866↓ = 0.00388842" in out
    assert "gradient check: ok" in out and "\x1b" not in out


def test_cli_json_has_exactly_the_issues_keys(gdx_main):
    code, out, err = gdx_main("backprop", "sigmoid(w*x + b)*x", "--at", "b=0.1,w=-0.8,x=2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert {"variables", "output", "nodes", "gradient", "gradient_check"} <= set(doc)
    assert doc["variables"] == ["b", "w", "x"] and doc["output"] == doc["nodes"][-1]["id"]
    ids = [n["id"] for n in doc["nodes"]]
    for n in doc["nodes"]:
        assert set(n) == {"id", "op", "label", "inputs", "value", "local", "adjoint"}
        assert len(n["local"]) == len(n["inputs"]) and all(ids.index(i) < ids.index(n["id"]) for i in n["inputs"])
    x = next(n for n in doc["nodes"] if n["label"] == "x")
    assert doc["gradient"]["x"] == x["adjoint"]
    assert doc["gradient_check"]["ok"] is True and doc["gradient_check"]["max_rel_error"] <= 1e-12
    s = 1 / (1 + math.exp(-(-0.8 * 2 + 0.1)))
    assert _close(doc["gradient"]["w"], s * (1 - s) * 2 * 2)


def test_explain_is_plain_step_by_step_text(gdx_main):
    code, out, err = gdx_main("backprop", "sigmoid(w*x + b)", "--at", "b=0,w=1,x=2", "--explain")
    assert code == 0, err
    assert "\x1b" not in out and "Forward pass" in out and "Backward pass" in out
    assert "  n2 = n0*n1 = 1*2 = 2" in out
    assert "∂n5/∂n4 = n5*(1 - n5) = 0.104994;  ∂f/∂n4 += 1 · 0.104994 = 0.104994" in out
    assert "∂f/∂w = ∂f/∂n0 = 0.209987" in out


def test_extra_variables_and_presets(gdx_main, tmp_path):
    code, out, err = gdx_main("backprop", "x^2", "--vars", "x,y", "--at", "1,2", "--json")
    assert code == 0, err
    assert json.loads(out)["gradient"] == {"x": 2.0, "y": 0.0}
    code, out, err = gdx_main("backprop", "xor-net", "--json")
    doc = json.loads(out)
    assert code == 0 and len(doc["variables"]) == 9 and doc["gradient_check"]["ok"]
    preset = tmp_path / "net.toml"
    preset.write_text('name = "net"\ntitle = "t"\ndescription = "d"\nexpression = "(relu(w - 1) - 2)^2"\n'
                      'variables = ["w"]\nstart = [4.0]\nminima = []\n\n[domain]\nw = [-5.0, 5.0]\n')
    code, out, err = gdx_main("backprop", str(preset), "--json")
    assert code == 0, err
    assert json.loads(out)["gradient"] == {"w": 2.0}


def test_deep_sigmoid_shows_the_gradient_vanishing_layer_by_layer(gdx_main):
    code, out, err = gdx_main("backprop", "deep-sigmoid", "--json")
    assert code == 0, err
    g = json.loads(out)["gradient"]
    ratios = [g[f"w{k}"] / g[f"w{k + 1}"] for k in range(1, 6)]
    assert all(0 < r < 0.2 for r in ratios), ratios
    code, out, err = gdx_main("backprop", "deep-sigmoid")
    assert out.count("0.05") >= 6 and "↓" in out


@pytest.mark.parametrize(("name", "loss"), [("xor-net", 1e-6), ("deep-sigmoid", 1e-10)])
def test_network_presets_train_with_their_settings(gdx_main, name, loss):
    code, out, err = gdx_main("optimize", name, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["loss"] < loss, (doc["loss"], err)
    if name == "deep-sigmoid":
        assert all(abs(w - 3.0) < 1e-2 for w in doc["x"][:3])  # the first layers did not learn


def test_a_large_graph_collapses_in_the_terminal_and_is_complete_in_json(gdx_main):
    text = "tanh(1*x-y)^2 + " + " + ".join(f"tanh({k}*x-y)" for k in range(1, 26))
    code, out, err = gdx_main("backprop", text, "--at", "0.1,0.2", "--json")
    doc = json.loads(out)
    assert code == 0 and len(doc["nodes"]) > 100 and doc["gradient_check"]["ok"]
    assert doc["flow"][0]["paths"] == 26 and doc["flow"][0]["folded"] == 21
    code, out, err = gdx_main("backprop", text, "--at", "0.1,0.2", "--depth", "3")
    assert code == 0 and "more below (--depth)" in out and "more paths, summing to" in out
    code, out, err = gdx_main("backprop", text, "--at", "0.1,0.2", "--depth", "1000")
    assert code == 0 and "not drawn (--json has every node)" in out
    code, out, err = gdx_main("backprop", "tanh(x-y)^2 + tanh(x-y)", "--at", "0.1,0.2")
    assert code == 0 and "└─ ∂ 1 ─ n3 tanh = -0.099668  ∂f/∂· 0.800664  shared, see above  tanh(x - y)" in out


def test_nn_functions_in_optimize_analyze_and_the_batch(gdx_main):
    from scipy.optimize import minimize_scalar
    from scipy.special import erf

    ref = minimize_scalar(lambda x: x * (1 + erf(x / math.sqrt(2))) / 2, bracket=(-2, 0), tol=1e-12)
    code, out, err = gdx_main("optimize", "gelu(x) + softplus(y) - log(2)", "--start", "0.5,0.5",
                              "--optimizer", "adam", "--lr", "0.05", "--steps", "3000", "--json")
    doc = json.loads(out)
    assert code == 0, err
    assert abs(doc["x"][0] - ref.x) < 1e-4 and doc["loss"] < ref.fun + 0.01  # softplus(y) → 0 as y → −∞
    code, out, err = gdx_main("analyze", "relu(x) + leaky_relu(y, 0.1)", "--at", "0,1", "--no-critical", "--json")
    assert code == 0, err
    assert "kink" in json.dumps(json.loads(out)["at"])
    compiled = Compiled(parse_function("sigmoid(x)*relu(y) + max(x, y) - min(gelu(x), y) + leaky_relu(x - y, 0.2)"))
    points = np.array([[0.0, 0.0], [1.0, -2.0], [-800.0, 3.0], [2.0, 2.0]])
    f, g = compiled.value_and_grad(points)
    for k, p in enumerate(points):
        fk, gk = compiled.value_and_grad(p)
        assert f[k] == fk and g[k].tolist() == gk.tolist()
    assert np.isfinite(f).all() and np.isfinite(g).all()


def test_nn_names_are_functions_and_take_their_arguments():
    for text, words in [("relu + x", "'relu' is a function"), ("sigmoid(x, y)", "takes 1 argument"),
                        ("leaky_relu(x)", "takes 2 arguments"), ("gelu(1e400)", "too large")]:
        with pytest.raises(GdxError, match=words):
            parse_function(text)
    assert parse_function("relu(-2) + sigmoid(0)*x").variables == ("x",)


def test_plot_draws_a_one_variable_function_with_its_derivative_and_a_path(gdx_main, tmp_path):
    run = tmp_path / "run.csv"
    code, out, err = gdx_main("optimize", "x^4 - 2*x^2", "--start", "0.3", "--lr", "0.05", "--steps", "40",
                              "--export", str(run))
    assert code == 0, err
    code, out, err = gdx_main("plot", "x^4 - 2*x^2", "--box", "x=-1.8:1.8", "--path", str(run), "--width", "80")
    assert code == 0, err
    assert "f(x)" in out and "f′(x)" in out and "a = run: 38 points" in out  # converged at step 37
    from gdx.app.plot import plot

    c = plot("x^4 - 2*x^2", box="x=-1.8:1.8")
    np.testing.assert_allclose(c.df, 4 * c.x**3 - 4 * c.x, rtol=1e-12, atol=1e-12)
    code, out, err = gdx_main("plot", "x^2", "--slice", "x=1")
    assert code == 2 and "--slice does not apply to a function of one variable" in err


def test_a_typed_sigmoid_is_a_saturating_node_for_the_diagnosis():
    from gdx.symptoms import saturation

    problem = parse_function("sigmoid(10*x) + y^2")
    (s,) = saturation(problem.expr, problem.variables, (1.0, 0.0))
    assert s.variables == ("x",) and abs(s.factor - math.exp(-10) / (1 + math.exp(-10)) ** 2) < 1e-18
