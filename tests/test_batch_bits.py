"""The batched engine's numbers, bit for bit: every run of a batch against gdx.loop.run_to_end (the
independent single-run loop), through the engine's fast paths.

The single run evaluates its point as a batch of one (``RowCompiled``), so numpy runs the same
array kernels and the paths must be equal (==), not close.  The cases make runs stop at many
different steps (converged, diverged, a fault), so blocks are cut short and made again from their
start; runs are long enough for full 64-step blocks and the halving tail before ``steps``; and
both the block loop without a recorded path (the common case) and the one recording it are run.
"""

from __future__ import annotations

import numpy as np
import pytest

import gdx.batch
from gdx.batch import run_batch
from gdx.compile import Compiled
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.result import Status
from row_compiled import RowCompiled

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def same_bits(a, b) -> bool:
    return np.array_equal(np.asarray(a, float), np.asarray(b, float), equal_nan=True)


def assert_rows_are_single_runs(batch, reference, name, hyper, lr, X0, steps, tol, recorded):
    for i in range(len(X0)):
        one = run_to_end(reference, make_optimizer(name, **hyper, lr=float(lr[i])), X0[i], steps=steps, tol=tol)
        assert (batch.status[i], batch.nit[i], batch.fault_step[i], batch.cause[i]) == \
            (one.status, one.nit, one.fault_step, one.cause), i
        assert same_bits(batch.x[i], one.x) and same_bits(batch.fun[i], one.fun), i
        assert same_bits(batch.grad_norm[i], one.grad_norm), i
        if recorded:
            assert same_bits(batch.path(i), one.path.x), i
            assert same_bits(batch.path_fun[: one.nit + 1, i], one.path.loss), i


CASES = [
    # (function, optimizer, fixed hyperparameters, learning rates (cycled over the runs), tol, starts in ±span)
    (HIMMELBLAU, "gd", {}, [1e-4, 2e-4, 5e-4, 1e-3, 0.03], 1e-6, 4),
    (HIMMELBLAU, "momentum", {"momentum": 0.9}, [1e-3, 5e-3, 0.01, 0.02, 0.05], 1e-6, 4),
    (ROSENBROCK, "adam", {}, [1e-3, 0.01, 0.05, 0.1, 1.0], 1e-2, 2),
    (HIMMELBLAU, "adamw", {"weight_decay": 0.05}, [0.01, 0.1, 0.3, 1.0, 3.0], 0.5, 4),
    (HIMMELBLAU, "rmsprop", {}, [1e-3, 0.01, 0.1, 0.3, 1.0], 1e-2, 4),
]


@pytest.mark.parametrize("recorded", [False, True], ids=["unrecorded", "recorded"])
@pytest.mark.parametrize("text,name,hyper,lrs,tol,span", CASES, ids=[c[1] for c in CASES])
def test_every_run_is_the_single_run_to_the_bit(text, name, hyper, lrs, tol, span, recorded):
    c = Compiled(parse_function(text))
    B, steps = 15, 700
    X0 = np.random.default_rng(len(name)).uniform(-span, span, size=(B, 2))
    lr = np.resize(np.array(lrs, float), B)
    batch = run_batch(c, make_optimizer(name, **hyper), X0, steps=steps, tol=tol, lr=lr, record_path=recorded)
    assert c.__dict__["_fill"] is not None  # the steps were evaluated by the kernel (gdx.fill)
    assert_rows_are_single_runs(batch, RowCompiled(c.problem), name, hyper, lr, X0, steps, tol, recorded)
    # runs stop at many different steps (blocks cut short and made again), some after many full blocks
    assert len(set(batch.nit.tolist())) >= 5 and batch.nit.max() >= 300


def test_one_shared_learning_rate_and_a_faulting_update():
    """A float lr (not per run), and Newton's update raising for one run inside a block."""
    c = Compiled(parse_function("x^4 + y^4"))
    X0 = np.array([[1.0, 2.0], [1e-7, 1e-7], [-1.0, 0.5], [3.0, -2.0]])
    batch = run_batch(c, make_optimizer("newton", lr=0.5), X0, steps=90, tol=0.0)
    assert_rows_are_single_runs(batch, RowCompiled(c.problem), "newton", {}, [0.5] * 4, X0, 90, 0.0, False)
    assert batch.status[1] is Status.FAULT and batch.fault_step[1] == 1


class Runaway(Compiled):
    """f = 0 and ∇f = (−10¹⁵⁰, −10¹⁵⁰) everywhere: gd's x ← x + lr·10¹⁵⁰ overflows to inf while f
    and ∇f stay finite, so only x itself shows where a run broke."""

    def value_and_grad(self, x):
        x = np.asarray(x, dtype=float)
        self.nfev += 1
        self.njev += 1
        g = np.full(x.shape, -1e150)
        return (0.0, g) if x.ndim == 1 else (np.zeros(x.shape[0]), g)


@pytest.mark.parametrize("recorded", [False, True], ids=["unrecorded", "recorded"])
def test_a_run_whose_x_overflows_while_f_and_the_gradient_stay_finite(recorded):
    c = Runaway(parse_function("x + y"))
    lr = np.array([1e157, 3e156, 1e156, 1e150, 2e157, 7e155])  # x reaches inf after about 1.8e308/(lr·1e150) steps
    X0 = np.zeros((len(lr), 2))
    batch = run_batch(c, make_optimizer("gd"), X0, steps=300, tol=0.0, lr=lr, record_path=recorded)
    assert_rows_are_single_runs(batch, c, "gd", {}, lr, X0, 300, 0.0, recorded)
    broke = [i for i in range(len(lr)) if batch.status[i] is Status.DIVERGED]
    assert len(broke) == 5 and all(batch.cause[i] == "x overflowed to a non-finite value" for i in broke)
    assert len({batch.fault_step[i] for i in broke}) == 5 and batch.status[3] is Status.MAX_STEPS


def test_blocks_and_the_exact_step_by_step_rules_agree(monkeypatch):
    """The block path and the exact per-row path (blocks longer than the run) give the same numbers."""
    c = Compiled(parse_function(HIMMELBLAU))
    X0 = np.random.default_rng(3).uniform(-4, 4, size=(40, 2))
    lr = np.resize([1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.03], 40)
    fields = ("x", "fun", "grad_norm", "nit", "path_x", "path_fun")
    blocks = run_batch(c, make_optimizer("momentum"), X0, steps=333, tol=1e-6, lr=lr, record_path=True)
    monkeypatch.setattr(gdx.batch, "BLOCK_MIN", 10**6)
    monkeypatch.setattr(gdx.batch, "BLOCK_MAX", 10**6)
    exact = run_batch(c, make_optimizer("momentum"), X0, steps=333, tol=1e-6, lr=lr, record_path=True)
    assert all(same_bits(getattr(blocks, f), getattr(exact, f)) for f in fields)
    assert blocks.status == exact.status and blocks.point_steps == exact.point_steps
    assert len(set(blocks.nit.tolist())) >= 5
