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


def _lambdify_reference(symbols, exprs):
    """SymPy's own lambdify of ``exprs`` as gdx asks for it (the reference gdx's printing follows)."""
    from sympy import Symbol, lambdify

    from gdx.activations import NUMPY_FUNCTIONS

    names = [Symbol(f"_arg{i}") for i in range(len(symbols))]
    table = dict(zip(symbols, names))
    return lambdify([names], [e.xreplace(table) for e in exprs], modules=[NUMPY_FUNCTIONS, "numpy"], cse=True,
                    dummify=False)


def _pieces(problem):
    compiled = Compiled(problem)
    return {"_f": [problem.expr], "_fg": [problem.expr, *compiled.gradient],
            "_h": [h for row in compiled.hessian for h in row]}


def _same_dummies(source: str) -> str:
    import re

    return re.sub(r"_Dummy_\d+", "_Dummy", source)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_allowed_function_compiles_and_runs_in_the_minimal_namespace(name):
    """f, (f, ∇f) and H of each allowed function: gdx prints exactly lambdify's source (without
    calling lambdify), and the code runs in the minimal namespace with lambdify's values (which
    run in ``from numpy import *``)."""
    from gdx.compile import lambdify_source

    problem = parse_function(_calls(name, FUNCTIONS[name][1]))
    x = np.array([0.3, 0.4])
    for attr, exprs in _pieces(problem).items():
        reference = _lambdify_reference(problem.symbols, exprs)
        source = lambdify_source(problem.symbols, exprs)
        if len(exprs) < 4 or sum(1 for e in exprs if e == 0) * 2 < len(exprs):  # the dense path: lambdify's own text
            assert _same_dummies(source) == _same_dummies(inspect.getsource(reference))
        ours = function_from_source(source)
        np.testing.assert_allclose(np.asarray(ours(x), float), np.asarray(reference(x), float), rtol=1e-15, atol=0)


@pytest.mark.parametrize("text", [
    "sigmoid(w*x + b) + relu(x - y) + softplus(y) + gelu(x*y)", "leaky_relu(x - 2*y, 0.1)^2",
    "max(x, y) + min(x^2, y)", "abs(x - y) + abs(x)*y", "x^2 + y",
    "(1 - x)^2 + 100*(y - x^2)^2", "log(1 + exp(-y*(x + 2)))", "sqrt(x^2 + y^2 + 1)/(1 + x^4)",
    "x1^2 + x2^2 + x3^2 + x4^2 + x5^2 + x6^2 + x7^2 + x8^2 + x1*x8",
])
def test_the_printed_source_is_lambdifys(text):
    """For functions gdx users type (activations, kinks, sparse Hessians): the same source as
    SymPy's lambdify writes, up to its Dummy's number; the sparse path (most of H zero) returns
    the same values as lambdify's function."""
    from gdx.compile import lambdify_source

    problem = parse_function(text)
    x = np.linspace(0.3, 0.9, problem.n)
    for attr, exprs in _pieces(problem).items():
        reference = _lambdify_reference(problem.symbols, exprs)
        source = lambdify_source(problem.symbols, exprs)
        zeros = sum(1 for e in exprs if e == 0)
        if not (zeros and (len(exprs) - zeros) * 2 <= len(exprs)):
            assert _same_dummies(source) == _same_dummies(inspect.getsource(reference)), attr
        np.testing.assert_allclose(np.asarray(function_from_source(source)(x), float),
                                   np.asarray(reference(x), float), rtol=1e-15, atol=0)


def test_the_activation_names_are_the_numpy_functions():
    from gdx.activations import NUMPY_FUNCTIONS
    from gdx.compile import ACTIVATION_NAMES

    assert sorted(ACTIVATION_NAMES) == sorted(NUMPY_FUNCTIONS)


def test_deriving_in_the_child_imports_no_numpy():
    """The bounded child's product is source text: it never needs numpy (0.1 s on its critical path)."""
    import subprocess
    import sys

    code = ("import sys\nfrom gdx.parse import parse_function\nfrom gdx.derive import _derive\n"
            "_derive(parse_function('sigmoid(x*y) + x^2 + max(x, y)'), True)\nprint('numpy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


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
