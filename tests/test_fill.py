"""gdx.fill: the batched engine's kernel writes the plain generated function's numbers, bit for bit.

The reference is the generated (f, ∇f) function itself (lambdify's code, called as the engine
called it before): on every built-in landscape and on functions made to reach each rule of the
rewrite (operators on arrays and numbers, ÷, unary minus, ufunc and other calls, constant
entries, locals read many times or never, many variables), at several batch sizes and at
special values (±0, ±inf, NaN, huge, tiny), the kernel's outputs equal the plain outputs and
the kernel never writes into its inputs.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

from gdx.batch import run_batch
from gdx.compile import Compiled
from gdx.derive import check_generated
from gdx.fill import COLUMNS_UP_TO, Kernel, fill_namespace, filling, kernel_source
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.presets import list_presets

CRAFTED = [
    "(1 - x)^2 + 100*(y - x^2)^2",
    "x*y",  # constant-free, gradient entries are bare variables
    "x + 2*y",  # constant gradient entries
    "3",  # f and ∇f all constants
    "x/y + y/(1 + x^2) - 1/(x - 3)",  # ÷ on arrays and numbers
    "-(x - y)^2 - x*(-y)",  # unary minus at the top and inside
    "sin(x)*cos(y) + exp(-x^2 - y^2) + log(1 + x^2) + sqrt(1 + y^2) + tanh(x*y)",  # ufunc calls
    "max(x, y) + min(x, y)*sin(x) + abs(x - y)",  # two-argument ufuncs, heaviside
    "sigmoid(x*y) + relu(x) - softplus(y) + gelu(x - y) + leaky_relu(x*y, 0.1)",  # calls that are not ufuncs
    "atan2(y, x) + sqrt(x^2 + y^2) + abs(y)*x + log10(1 + x^2) - log2(2 + y^2)",
    "(x*y + 1)^3 + (x*y + 1)^2 + (x*y + 1) + x^0.5 + y^(-1) + x^2.5",  # a local read many times, powers
    "0.0*x + x - 0.0",
]

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e200, -1e200, 1e-300, -5e-324, 3.0, -2.5, 0.5])


def sources():
    out = [(p.name, p.expression) for p in list_presets()]
    out += [(f"crafted{i}", text) for i, text in enumerate(CRAFTED)]
    names = [f"x{i}" for i in range(1, 21)]  # 20 variables: the printer's renaming path
    out.append(("rosenbrock20", " + ".join(f"100*({b} - {a}^2)^2 + (1 - {a})^2" for a, b in zip(names, names[1:]))))
    return out


def plain_and_kernel(text):
    c = Compiled(parse_function(text))
    kernel = filling(c._fg, c.n + 1)
    return c, kernel


def columns(n: int, m: int, seed: int):
    """n variable columns of m rows: special values first (rotated per variable), then random
    numbers of many sizes and signs."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, m)) * 10.0 ** rng.integers(-3, 4, size=(n, m))
    for i in range(n):
        k = min(m, len(SPECIAL))
        x[i, :k] = np.roll(SPECIAL, i)[:k]
    return x


@pytest.mark.parametrize("name,text", sources(), ids=[s[0] for s in sources()])
def test_the_kernel_writes_the_plain_functions_numbers(name, text):
    c, kernel = plain_and_kernel(text)
    assert isinstance(kernel, Kernel), name
    for m, seed in ((1, 0), (7, 1), (300, 2), (COLUMNS_UP_TO + 1, 3)):  # constants as columns, then as numbers
        x = columns(c.n, m, seed)
        before = x.copy()
        with np.errstate(all="ignore"):
            plain = [np.broadcast_to(np.asarray(p, dtype=float), (m,)) for p in c._fg(x)]
            outs = [np.full(m, 12345.0) for _ in range(c.n + 1)]
            temps, consts = kernel.arrays(m)
            for _ in range(2):  # the scratch arrays are reused from call to call
                kernel.function(x, outs, temps, consts)
                assert np.array_equal(x, before, equal_nan=True)  # the inputs are never written
                for p, o in zip(plain, outs):
                    assert np.array_equal(p, o, equal_nan=True) and np.array_equal(np.signbit(p), np.signbit(o)), name


def test_the_rewrite_uses_ufuncs_into_temporaries_and_columns():
    c, kernel = plain_and_kernel("(1 - x)^2 + 100*(y - x^2)^2")
    text, temps, consts = kernel_source(c._fg.gdx_source, 3, c._fg.__globals__)
    tree = ast.parse(text)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert {"_fill_add", "_fill_subtract", "_fill_multiply"} <= called and "_fill_copyto" not in called
    assert "_o0" in text and "_o1" in text and "_o2" in text  # every entry's last operation writes its array
    assert consts == (100.0, 1.0, -400.0, 2.0, 200.0) and 0 < temps <= 3  # temporaries reused
    check_generated(text, fill_namespace(c._fg.__globals__))  # the allow-list of all generated code
    with pytest.raises(RuntimeError, match="failed its check"):
        check_generated(text, c._fg.__globals__)  # its extra names are only the ufuncs it calls


def test_a_local_read_again_inside_its_own_last_use_keeps_its_value():
    """x1·(x1 + a): the inner read is x1's last, but the outer operand still needs it, so the
    inner sum must not be written into x1's temporary."""
    source = (
        "def _lambdifygenerated(_Dummy_1):\n"
        "    [_arg0, _arg1] = _Dummy_1\n"
        "    x1 = _arg0 - _arg1\n"
        "    return [x1 * (x1 + _arg0), 2.0 * (x1 + 1.0), _arg1 + 0.0]\n"
    )
    namespace = dict(Compiled(parse_function("x + y"))._fg.__globals__)
    text, temps, consts = kernel_source(source, 3, namespace)
    ns = fill_namespace(namespace)
    exec(compile(text, "<test>", "exec"), ns)
    x = np.array([[1.0, 2.0, -3.0], [0.5, 4.0, 1.0]])
    outs = [np.empty(3) for _ in range(3)]
    kernel = Kernel(ns["_lambdifygenerated"], temps, consts)
    kernel.function(x, outs, *kernel.arrays(3))
    a, b = x
    assert np.array_equal(outs[0], (a - b) * ((a - b) + a)) and np.array_equal(outs[1], 2.0 * ((a - b) + 1.0))


@pytest.mark.parametrize("source", [
    "def _lambdifygenerated(_Dummy_1):\n    [_arg0] = _Dummy_1\n    return _arg0\n",  # not a list
    "def _lambdifygenerated(_Dummy_1):\n    [_arg0] = _Dummy_1\n    _t0 = _arg0 * 2.0\n    return [_t0, _t0]\n",
    "def _lambdifygenerated(_Dummy_1):\n    [_arg0] = _Dummy_1\n    x1 = _arg0\n    x1 = x1 * 2.0\n    return [x1, x1]\n",
    "def _lambdifygenerated(_Dummy_1):\n    [_arg0] = _Dummy_1\n    return [_arg0, _arg0, _arg0]\n",  # 3 entries, not 2
])
def test_functions_of_another_shape_are_left_as_they_are(source):
    assert kernel_source(source, 2, {}) is None


def test_a_kernel_that_disagrees_with_its_function_is_not_used():
    """The probe batch is the safety net: a source that does not compute what the function does
    (here another function's text) gives no kernel."""
    c = Compiled(parse_function("x^2 + y^2"))
    other = Compiled(parse_function("x^2 + 3*y^2"))
    c._fg.gdx_source = other._fg.gdx_source
    assert filling(c._fg, 3) is None


def test_the_engine_runs_the_kernel_and_counts_as_before(monkeypatch):
    """A batch through the kernel and through the copying path (no kernel) give the same runs,
    bit for bit, and the same evaluation counts."""
    import gdx.batch

    X0 = np.random.default_rng(5).uniform(-2, 2, size=(30, 2))
    lr = np.resize([1e-4, 1e-3, 3e-3, 0.01, 0.05], 30)
    results = []
    for use_kernel in (True, False):
        if not use_kernel:
            monkeypatch.setattr(gdx.batch, "filler", lambda compiled, batches=None: None)
        c = Compiled(parse_function("(1 - x)^2 + 100*(y - x^2)^2"))
        res = run_batch(c, make_optimizer("momentum"), X0, steps=500, tol=1e-6, lr=lr)
        assert isinstance(c.__dict__.get("_fill"), Kernel) is use_kernel
        results.append((res, (c.nfev, c.njev)))
    (a, ca), (b, cb) = results
    assert ca == cb and a.status == b.status and np.array_equal(a.nit, b.nit)
    for field in ("x", "fun", "grad_norm"):
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True)
    assert len(set(a.status)) >= 2  # runs that diverge and runs that do not
