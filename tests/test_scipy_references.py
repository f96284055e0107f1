"""gdx's bfgs and cg against scipy.optimize.minimize(method="BFGS"/"CG"), recorded iterates.

The references are ``fixtures/scipy_paths.json``, written by ``fixtures/make_scipy_references.py``
(scipy's iterates through its ``callback``, from two starts on a quadratic, Rosenbrock and the
non-convex Himmelblau function).  One gdx step is one scipy iteration: gdx must reproduce every
iterate through the real loop (``gdx.loop.run``) and the real batched engine
(``gdx.batch.run_batch``, block and exact paths), never through a loop written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import gdx.batch
from gdx.batch import run_batch
from gdx.compile import compile_problem
from gdx.loop import run
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.result import Status

FIXTURES = Path(__file__).parent / "fixtures"
SCIPY = json.loads((FIXTURES / "scipy_paths.json").read_text())
#: Every iterate to 1e-10 (relative + absolute); the worst measured is in
#: test_worst_deviation_from_scipy.
TOL = 1e-10
_compiled: dict[str, object] = {}
_references: dict[str, dict] = {}


def reference(case) -> dict:
    """The iterates gdx must walk: the recorded ones, unless scipy on this machine, run by the
    recording script itself (its hand-written gradient, outside gdx), walks other iterates.

    scipy's BFGS and CG take dot products through the BLAS, whose kernels are chosen for the CPU
    (OpenBLAS DYNAMIC_ARCH: Haswell, SkylakeX, Zen, …) and may round a 2-element dot product
    differently; from Rosenbrock's (−1.2, 1) the narrow valley amplifies that 1 ulp to ~1e-9
    (seen: 2.1e-9 for BFGS and 7.0e-9 for CG on an AVX-512 machine, scipy and numpy the recorded
    versions).  gdx uses the same BLAS, so the reference is then this machine's scipy path."""
    key = _id(case)
    if key not in _references:
        _references[key] = case
        pytest.importorskip("scipy.optimize")  # the script runs scipy
        import importlib.util

        spec = importlib.util.spec_from_file_location("make_scipy_references", FIXTURES / "make_scipy_references.py")
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        live = script.record(case["method"], case["function"], case["x0"])
        recorded, walked = np.array(case["path"]), np.array(live["path"])
        if recorded.shape != walked.shape or not np.allclose(walked, recorded, rtol=TOL, atol=TOL):
            _references[key] = {**case, "nit": live["nit"], "path": live["path"]}
    return _references[key]


def compiled(function: str):
    text = SCIPY["functions"][function]["text"]
    if text not in _compiled:
        _compiled[text] = compile_problem(parse_function(text))
    return _compiled[text]


def _id(case):
    return f"{case['method']}|{case['function']}|{case['x0']}"


def loop_path(case):
    """gdx.loop.run for exactly scipy's nit steps (tol = 0: only the step count stops it)."""
    case = reference(case)
    opt = make_optimizer(case["method"].lower())
    events = list(run(compiled(case["function"]), opt, case["x0"], steps=case["nit"], tol=0))
    result = events[-1].result
    assert result.status is Status.MAX_STEPS and result.nit == case["nit"], result.message
    return result.path.x


def batch_paths(case, rows=3):
    """gdx.batch.run_batch with ``rows`` copies of the start; paths of shape (nit + 1, rows, n)."""
    case = reference(case)
    opt = make_optimizer(case["method"].lower())
    x0 = np.tile(np.asarray(case["x0"], dtype=float), (rows, 1))
    out = run_batch(compiled(case["function"]), opt, x0, steps=case["nit"], tol=0, record_path=True)
    assert [s.value for s in out.status] == ["max_steps"] * rows, out.cause
    return out.path_x


@pytest.mark.parametrize("case", SCIPY["cases"], ids=_id)
def test_loop_iterates_equal_scipy(case):
    np.testing.assert_allclose(loop_path(case), np.array(reference(case)["path"]), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("engine", ["blocks", "exact"])
@pytest.mark.parametrize("case", SCIPY["cases"], ids=_id)
def test_batch_iterates_equal_scipy(case, engine, monkeypatch):
    if engine == "exact":
        monkeypatch.setattr(gdx.batch, "BLOCK_MIN", 10**6)
        monkeypatch.setattr(gdx.batch, "BLOCK_MAX", 10**6)
    paths = batch_paths(case)
    for row in range(paths.shape[1]):
        np.testing.assert_allclose(paths[:, row], np.array(reference(case)["path"]), rtol=TOL, atol=TOL)


def test_references_cover_both_methods_and_move():
    """Both methods on the three functions from two starts, every run converged in scipy and
    went somewhere (guards against a vacuous comparison)."""
    cases = SCIPY["cases"]
    assert {(c["method"], c["function"]) for c in cases} == {
        (m, f) for m in ("BFGS", "CG") for f in ("quadratic", "rosenbrock", "himmelblau")}
    for case in cases:
        p = np.array(case["path"])
        assert case["status"] == 0 and case["nit"] >= 2, _id(case)
        assert np.linalg.norm(p[-1] - p[0]) > 0.5, _id(case)
    assert max(c["nit"] for c in cases) >= 30


def test_worst_deviation_from_scipy():
    """The worst |gdx − scipy| over every iterate of every reference (reported; ≤ 1e-10)."""
    worst = max(float(np.max(np.abs(loop_path(c) - np.array(reference(c)["path"])))) for c in SCIPY["cases"])
    print(f"worst |gdx − scipy| over {len(SCIPY['cases'])} paths: {worst:.3g}")
    assert worst <= TOL


@pytest.mark.parametrize("case", SCIPY["cases"], ids=_id)
def test_same_gradient_gives_bit_identical_iterates(case):
    """scipy (a test extra) run live on gdx's own compiled f and ∇f walks exactly gdx's iterates:
    any deviation from the recorded references is the gradient's rounding, not the method's."""
    scipy_optimize = pytest.importorskip("scipy.optimize")
    oracle = compiled(case["function"])
    path = [list(case["x0"])]
    scipy_optimize.minimize(lambda v: float(oracle.value(v)), np.array(case["x0"], dtype=float),
                            jac=lambda v: oracle.grad(v), method=case["method"],
                            callback=lambda xk: path.append(list(xk)))
    assert len(path) == reference(case)["nit"] + 1
    assert np.array_equal(loop_path(case), np.array(path))
