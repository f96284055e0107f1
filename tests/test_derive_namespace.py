"""The numpy namespace generated code runs in (gdx.derive.NUMPY_NAMES, not ``from numpy import *``)."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.derive import NUMPY_NAMES, compile_bounded, function_from_source
from gdx.parse import FUNCTIONS, parse_function


def _calls(name: str, arity: int) -> str:
    args = "x*y + 0.5" if arity == 1 else "x*y + 0.5, y + 2"
    return f"{name}({args})*pi + e + x^2"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_allowed_function_compiles_and_runs_in_the_minimal_namespace(name):
    """f, (f, ∇f) and H of each allowed function, from source checked against the minimal
    namespace, agree with lambdify's own functions (which run in ``from numpy import *``)."""
    problem = parse_function(_calls(name, FUNCTIONS[name][1]))
    reference = Compiled(problem)
    x = np.array([0.3, 0.4])
    for attr in ("_f", "_fg", "_h"):
        ours = function_from_source(inspect.getsource(getattr(reference, attr)))
        np.testing.assert_allclose(np.asarray(ours(x), float), np.asarray(getattr(reference, attr)(x), float),
                                   rtol=1e-15, atol=0)


def test_every_name_of_the_printer_is_in_the_namespace():
    """Every numpy function and constant of SymPy's numpy printer that numpy has is in NUMPY_NAMES."""
    import sympy.printing.numpy as printer

    printed = set(printer._known_functions_numpy.values()) | set(printer._known_constants_numpy.values())
    missing = sorted(n for n in printed if hasattr(np, n) and n not in NUMPY_NAMES)
    assert missing == []


def test_a_name_outside_the_namespace_is_refused():
    source = "def _lambdifygenerated(_Dummy_1):\n    return [loadtxt(_Dummy_1)]\n"
    with pytest.raises(RuntimeError, match="name 'loadtxt'"):
        function_from_source(source)


def test_bounded_compile_gives_the_names_it_prints():
    compiled = compile_bounded(parse_function("atan2(y, x) + abs(x) + log10(y^2 + 1)"))
    names = {n.id for attr in ("_f", "_fg", "_h")
             for n in ast.walk(ast.parse(inspect.getsource(compiled.__dict__[attr]))) if isinstance(n, ast.Name)}
    assert {"arctan2", "sign", "log"} <= names
    assert np.isfinite(compiled.hess([0.5, 0.7])).all()


def test_the_console_script_exits_fast_after_flushing_and_running_atexit():
    """gdx.cli.run: the output and the exit status of main, the atexit handlers run (then os._exit)."""
    import subprocess
    import sys

    code = ("import atexit, sys\natexit.register(lambda: sys.stderr.write('atexit ran'))\n"
            "sys.argv = ['gdx', 'optimize', 'x^2', '--steps', '3', '--tol', '0', '--quiet']\n"
            "from gdx.cli import run\nrun()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "max_steps" in done.stdout and done.stderr.endswith("atexit ran")
    bad = subprocess.run([sys.executable, "-m", "gdx", "optimize", "x^^2"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "syntax error" in bad.stderr
