"""Full-batch gradient descent on 100,000 rows of logistic regression: gdx against hand numpy.

The data: 100,000 rows × 10 columns (x1 … x9 and a label y = ±1) written to a CSV and read by
``--data``'s loader (its time is printed too).  The loss ℓ = log(1 + exp(−y·(w·x + b))), 10
parameters; 1,000 gd steps (lr 0.5, tol 0 so every step is made) from θ = 0:

* gdx: ``gdx.loop.run`` through ``prepare(RunRequest(..., data=...))`` — the per-example loss
  compiled once, the mean of ℓ and ∇ℓ over the rows taken by numpy each step; the time is the
  loop's own (``Result.wall_time``), best of REPEATS;
* hand numpy: z = X·w + b; f = mean(log1p(exp(−y·z))); ∇ = Xᵀ(−y·σ(−y·z))/N, the same update.

Prints the loss and the data-loading time, both loop times, the ratio hand/gdx (the aim is ≥ 0.5:
gdx at least half as fast) and how far the end points differ.  Run: ``python bench/bench_data.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

N, D, STEPS, LR, REPEATS = 100_000, 9, 1000, 0.5, 3


def make_csv(path: Path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    w = rng.normal(size=D)
    y = np.where(X @ w + 0.5 * rng.normal(size=N) > 0, 1.0, -1.0)
    names = [f"x{i}" for i in range(1, D + 1)] + ["y"]
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=",".join(names), comments="", fmt="%.17g")
    return X, y


def hand(X, y, steps):
    """Full-batch gd on the mean logistic loss, by hand (θ = (b, w1 … w9))."""
    b, w = 0.0, np.zeros(D)
    started = time.perf_counter()
    for _ in range(steps):
        z = X @ w + b
        m = -y * z
        f = np.mean(np.logaddexp(0, m))
        s = -y / (1 + np.exp(-m)) / N  # −y·σ(m)/N
        gb, gw = s.sum(), X.T @ s
        b, w = b - LR * gb, w - LR * gw
    return time.perf_counter() - started, f, np.concatenate([[b], w])


def main() -> None:
    from gdx.app.prepare import RunRequest, prepare
    from gdx.data import load_data

    text = "log(1 + exp(-y*(" + " + ".join(f"w{i}*x{i}" for i in range(1, D + 1)) + " + b)))"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "logistic.csv"
        X, y = make_csv(path)
        started = time.perf_counter()
        data = load_data(path)
        loading = time.perf_counter() - started
    prepared = prepare(RunRequest(text, data=data, steps=STEPS, tol=0.0, hyper={"lr": LR}, start=[0.0] * (D + 1)))
    best_gdx, best_hand = np.inf, np.inf
    for _ in range(REPEATS):
        result = list(prepared.run())[-1].result
        best_gdx = min(best_gdx, result.wall_time)
        t, f_hand, x_hand = hand(X, y, STEPS)
        best_hand = min(best_hand, t)
    print(f"data: {N:,} rows × {D + 1} columns loaded in {loading:.2f} s")
    print(f"gdx  loop: {best_gdx:.3f} s for {STEPS} steps (loss {result.path.loss[-1]:.6f})")
    print(f"hand numpy: {best_hand:.3f} s")
    print(f"ratio hand/gdx: {best_hand / best_gdx:.2f} (aim ≥ 0.5)")
    print(f"end points differ by {np.max(np.abs(result.path.x[-1] - x_hand)):.1e}")


if __name__ == "__main__":
    main()
