"""The bounded child process (gdx.sandbox) and the bounded symbolic work (gdx.derive).

References: derivatives written by hand; times measured with a wall clock around the call.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gdx.errors import ExitCode, GdxError
from gdx.sandbox import SandboxError, bounded

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100")

# Passes every static check of the parser (409 characters, 16 variables, small exponents) but
# its Hessian takes SymPy ~20 s: 136 second derivatives of a product of 32 factors.
SLOW_IN_SYMPY = "*".join(f"exp(x{i}*x{(i + 1) % 16})**{i + 2}*log(x{i}+2)" for i in range(16))


def _power_tower():
    import sympy

    return sympy.Integer(9) ** (9**9)  # exact integer arithmetic in C: minutes


def _raise_gdx():
    raise GdxError("nope", kind="syntax error", source="abc", span=(1, 2), hint="h", exit_code=ExitCode.USAGE)


def _raise_value():
    raise ValueError("bad thing")


def _allocate():
    return len(bytearray(8 << 30))  # 8 GiB: over the 2 GiB bound


def test_bounded_returns_the_value():
    assert bounded(math.factorial, 20, timeout=5) == 2432902008176640000
    assert bounded(dict, a=1) == {"a": 1}


def test_c_level_arithmetic_is_stopped_at_the_bound():
    start = time.monotonic()
    with pytest.raises(GdxError) as info:
        bounded(_power_tower, timeout=0.5)
    elapsed = time.monotonic() - start
    assert 0.5 <= elapsed < 1.0
    assert info.value.kind == "timeout" and info.value.exit_code == ExitCode.TIMEOUT
    assert "0.5 s" in info.value.message and "--timeout SECONDS" in info.value.hint
    with pytest.raises(ChildProcessError):  # the killed child was reaped: no zombie left
        os.waitpid(-1, os.WNOHANG)


def test_a_gdx_error_in_the_child_comes_back_whole():
    with pytest.raises(GdxError) as info:
        bounded(_raise_gdx)
    e = info.value
    assert (e.message, e.kind, e.source, e.span, e.hint, e.exit_code) == ("nope", "syntax error", "abc", (1, 2), "h", ExitCode.USAGE)


def test_another_exception_is_an_internal_error_with_the_child_traceback():
    with pytest.raises(SandboxError, match="ValueError: bad thing") as info:
        bounded(_raise_value)
    assert "Traceback" in info.value.__notes__[0] and "_raise_value" in info.value.__notes__[0]


def test_the_memory_bound():
    with pytest.raises(GdxError) as info:
        bounded(_allocate, timeout=10)
    assert info.value.exit_code == ExitCode.TIMEOUT and "memory bound" in info.value.message


def test_invalid_timeouts_are_usage_errors():
    for bad in (0, -1, math.nan, math.inf, "soon"):
        with pytest.raises(GdxError, match="Invalid timeout value"):
            bounded(int, timeout=bad)


def test_compile_bounded_matches_hand_derivatives():
    from gdx.derive import compile_bounded
    from gdx.parse import parse_function

    c = compile_bounded(parse_function("x^2*y + sin(x) + 3*y"))
    x, y = 0.7, -1.3
    f, g = c.value_and_grad(np.array([x, y]))
    assert f == pytest.approx(x**2 * y + math.sin(x) + 3 * y, rel=1e-14)
    assert g == pytest.approx([2 * x * y + math.cos(x), x**2 + 3], rel=1e-14)
    assert c.hess(np.array([x, y])) == pytest.approx(np.array([[2 * y - math.sin(x), 2 * x], [2 * x, 0.0]]), rel=1e-14)
    batch = np.array([[x, y], [0.0, 0.0], [1.0, 2.0]])
    hb = c.hess(batch)
    assert hb.shape == (3, 2, 2) and np.all(hb[:, 1, 1] == 0.0)  # the constant entry, broadcast
    assert c.value(batch) == pytest.approx([x**2 * y + math.sin(x) + 3 * y, 0.0, 2 + math.sin(1) + 6])


def test_unevaluated_derivatives_of_sign_become_zero():
    # SymPy leaves d/dx sign(sqrt(x)) unevaluated (sqrt(x) might be non-real); it is 0 for x > 0.
    from gdx.derive import compile_bounded
    from gdx.parse import parse_function

    c = compile_bounded(parse_function("abs(sqrt(x))*y"))
    x, y = 0.49, 2.0
    assert c.hess(np.array([x, y])) == pytest.approx(
        np.array([[-0.25 * y * x**-1.5, 0.5 / math.sqrt(x)], [0.5 / math.sqrt(x), 0.0]]), rel=1e-12
    )


@pytest.mark.parametrize(
    "source",
    [
        "import os\ndef _lambdifygenerated(a):\n    return [a]\n",
        "def _lambdifygenerated(a):\n    return [a.__class__]\n",
        "def _lambdifygenerated(a):\n    return [open('x')]\n",
        "def _lambdifygenerated(a):\n    return ['x']\n",
        "def _lambdifygenerated(a):\n    return [__import__]\n",
        "def _lambdifygenerated(a):\n    return [a[0]]\n",
        "def other(a):\n    return [a]\n",
        "def _lambdifygenerated(a):\n    return [(lambda: a)()]\n",
    ],
)
def test_generated_code_outside_the_allow_list_is_never_executed(source):
    from gdx.derive import _namespace, check_generated, function_from_source

    with pytest.raises(RuntimeError, match="failed its check"):
        check_generated(source, _namespace())
    with pytest.raises(RuntimeError):
        function_from_source(source)


def test_cli_bomb_hits_the_bound_with_exit_3():
    args = [sys.executable, "-m", "gdx", "optimize", SLOW_IN_SYMPY, "--timeout", "1", "--quiet"]
    start = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, env=ENV, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 3, proc.stderr
    assert "did not finish within 1 s" in proc.stderr and "--timeout SECONDS" in proc.stderr
    assert "Traceback" not in proc.stderr
    # Python start-up and imports (~0.7 s) + the 1 s bound + killing the child.
    assert elapsed < 1 + 2.5, elapsed


def test_ctrl_c_during_the_symbolic_work_exits_130_promptly():
    args = [sys.executable, "-m", "gdx", "optimize", SLOW_IN_SYMPY, "--timeout", "60", "--quiet"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    time.sleep(2.0)  # imports done, the child is deriving the Hessian
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - sent < 2.0
    assert "Traceback" not in out + err
    assert "interrupted" in err  # typer alone would exit 130 silently


def test_the_compiled_functions_are_the_checked_generated_ones():
    # If compile.py renamed its cached slots, compile_bounded would silently fall back to
    # unbounded in-process compiling: this catches it.
    from gdx.derive import compile_bounded
    from gdx.parse import parse_function

    c = compile_bounded(parse_function("x^2 + 3*y^2"))
    for slot in ("_f", "_fg", "_h"):
        assert c.__dict__[slot].__code__.co_filename.startswith("<gdx-generated"), slot
    assert c.value_and_grad(np.array([1.0, 2.0]))[1] == pytest.approx([2.0, 12.0])
