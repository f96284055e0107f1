"""Point-steps per second of the batched engine against a hand-written numpy loop.

B = 1000 starts × 1000 steps on Rosenbrock, f = (1 − x)² + 100·(y − x²)², for gd and adam:

* engine: ``gdx.batch.run_batch`` (compiled f and ∇f, stopping rules, masking; tol = 0 so
  every run makes every step, and settings under which no run diverges);
* hand-written: the same update on the same batch with a hand-written gradient and nothing
  else (no f, no stopping rules);
* hand-written + f: the same, also computing f at every point, as the engine must (its
  divergence rule reads f(x_k) at every step), in its cheapest form (y − x² shared with ∇f).

A point-step is one gradient evaluation and update of one run.  Prints the rates and the
ratios engine / hand-written (issue 17's aim: ≥ 0.8).  Run: ``python bench/bench_batch.py``.

``--kernel``: what gdx.fill's kernel is worth, by batch size: the engine with it against the
engine copying the plain function's arrays (1000 gd steps, best of 5, interleaved), the time to
make a kernel, and one evaluation with the constants as columns against as numbers (the choice
``gdx.fill.COLUMNS_UP_TO`` makes).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

B, STEPS, REPEATS = 1000, 1000, 7


def rosenbrock_grad(X):
    """∇f by hand: (−400·x·(y − x²) + 2x − 2, 200y − 200x²), in the order SymPy writes it (so
    the paths can be compared exactly)."""
    x, y = X[:, 0], X[:, 1]
    xx = x * x
    return np.stack([-400 * x * (y - xx) + 2 * x - 2, 200 * y - 200 * xx], axis=-1)


def rosenbrock_value_and_grad(X):
    """f and ∇f by hand, sharing x² and y − x²: f = (1 − x)² + 100·(y − x²)²."""
    x, y = X[:, 0], X[:, 1]
    xx = x * x
    d = y - xx
    f = (1 - x) ** 2 + 100 * (d * d)
    return f, np.stack([-400 * x * d + 2 * x - 2, 200 * y - 200 * xx], axis=-1)


def hand_gd(X0, lr):
    """x ← x − lr·∇f(x)."""
    x = X0.copy()
    for _ in range(STEPS):
        x = x - lr * rosenbrock_grad(x)
    return x


def hand_adam(X0, lr, b1=0.9, b2=0.999, eps=1e-8):
    """torch's Adam: m ← m + (1−β₁)(g − m); v ← β₂v + (1−β₂)g²;
    x ← x − lr/(1−β₁ᵗ)·m/(√v/√(1−β₂ᵗ) + ε)."""
    x = X0.copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, STEPS + 1):
        g = rosenbrock_grad(x)
        m = m + (1 - b1) * (g - m)
        v = v * b2 + (1 - b2) * g * g
        x = x - (lr / (1 - b1**t)) * m / (np.sqrt(v) / (1 - b2**t) ** 0.5 + eps)
    return x


def hand_gd_f(X0, lr):
    """hand_gd, with f computed at every point."""
    x = X0.copy()
    for _ in range(STEPS):
        f, g = rosenbrock_value_and_grad(x)
        x = x - lr * g
    return x


def hand_adam_f(X0, lr, b1=0.9, b2=0.999, eps=1e-8):
    """hand_adam, with f computed at every point."""
    x = X0.copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, STEPS + 1):
        f, g = rosenbrock_value_and_grad(x)
        m = m + (1 - b1) * (g - m)
        v = v * b2 + (1 - b2) * g * g
        x = x - (lr / (1 - b1**t)) * m / (np.sqrt(v) / (1 - b2**t) ** 0.5 + eps)
    return x


def best_times(*fns):
    """The best of REPEATS wall times of each function, run interleaved (so that a busy
    machine slows both alike), and each function's last output."""
    best = [float("inf")] * len(fns)
    outs = [None] * len(fns)
    for _ in range(REPEATS):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            outs[i] = fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best, outs


def main() -> None:
    from gdx.batch import run_batch
    from gdx.compile import Compiled
    from gdx.optim import make_optimizer
    from gdx.parse import parse_function

    compiled = Compiled(parse_function("(1 - x)^2 + 100*(y - x^2)^2"))
    X0 = np.random.default_rng(0).uniform([-1.5, -0.5], [1.5, 2.0], size=(B, 2))
    compiled.value_and_grad(X0)  # compile once, outside the timing
    print(f"B = {B} runs × {STEPS} steps on Rosenbrock (best of {REPEATS}); point-steps per second")
    print(f"{'optimizer':<10} {'engine':>12} {'hand-written':>13} {'ratio':>6} {'hand + f':>12} {'ratio':>6}")
    for name, lr, hand, hand_f in (("gd", 1e-4, hand_gd, hand_gd_f), ("adam", 0.01, hand_adam, hand_adam_f)):
        opt = make_optimizer(name, lr=lr)
        (t_engine, t_hand, t_hand_f), (res, x_hand, x_hand_f) = best_times(
            lambda: run_batch(compiled, opt, X0, steps=STEPS, tol=0.0), lambda: hand(X0, lr), lambda: hand_f(X0, lr)
        )
        assert res.counts() == {"max_steps": B}, res.counts()
        ok = all(np.allclose(res.x, other, rtol=1e-12, atol=1e-12) for other in (x_hand, x_hand_f))
        rate = [res.point_steps / t_engine, B * STEPS / t_hand, B * STEPS / t_hand_f]
        print(
            f"{name:<10} {rate[0]:>12,.0f} {rate[1]:>13,.0f} {rate[0] / rate[1]:>6.2f} {rate[2]:>12,.0f}"
            f" {rate[0] / rate[2]:>6.2f}" + ("" if ok else "   (final points differ!)")
        )


def kernel_table() -> None:
    """The --kernel table (module docstring)."""
    import timeit

    import gdx.batch
    from gdx.compile import Compiled
    from gdx.fill import filling
    from gdx.optim import make_optimizer
    from gdx.parse import parse_function

    problem = parse_function("(1 - x)^2 + 100*(y - x^2)^2")
    plain = Compiled(problem)
    plain.warm()
    made = min(timeit.repeat(lambda: filling(plain._fg, 3), number=20, repeat=5)) / 20
    print(f"making the kernel: {made * 1e3:.2f} ms")
    print(f"{'B':>7} {'engine, kernel':>15} {'copying':>9} {'ratio':>6} {'eval, columns':>14} {'numbers':>9}")
    filler = gdx.batch.filler
    kernel = filling(plain._fg, 3)
    for B in (10, 100, 1000, 4096, 10000, 100000):
        X0 = np.random.default_rng(0).uniform([-1.5, -0.5], [1.5, 2.0], size=(B, 2))
        steps = 1000 if B <= 10000 else gdx.batch.KERNEL_FROM_STEPS

        def engine(use: bool):
            gdx.batch.filler = filler if use else (lambda compiled, batches=None: None)
            try:
                return gdx.batch.run_batch(plain, make_optimizer("gd", lr=1e-4), X0, steps=steps, tol=0.0)
            finally:
                gdx.batch.filler = filler

        (t_kernel, t_copy), _ = best_times(lambda: engine(True), lambda: engine(False))
        x = np.ascontiguousarray(X0.T)
        outs = [np.empty(B) for _ in range(3)]
        temps = [np.empty(B) for _ in range(kernel.temps)]
        columns = [np.full(B, c) for c in kernel.consts]
        numbers = list(kernel.consts)
        number = max(5, 200_000 // B)
        t_cols, t_nums = (min(timeit.repeat(lambda c=c: kernel.function(x, outs, temps, c), number=number, repeat=5))
                          / number for c in (columns, numbers))
        print(f"{B:>7} {t_kernel * 1e3:>12.2f} ms {t_copy * 1e3:>6.2f} ms {t_copy / t_kernel:>6.2f}"
              f" {t_cols * 1e6:>11.1f} µs {t_nums * 1e6:>6.1f} µs")


if __name__ == "__main__":
    if "--kernel" in sys.argv[1:]:
        kernel_table()
    else:
        main()
