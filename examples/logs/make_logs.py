"""Write the example training logs of the README's "gdx doctor" section: small models trained
with minibatch SGD in numpy (tests/training_logs.py), under known conditions.

Run from the repository root: ``python examples/logs/make_logs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))

from training_logs import linear_regression, logistic_overfit, two_layer_linear, write_csv  # noqa: E402


def rounded(rows):
    return [{k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def main() -> None:
    # constant lr 0.05 with a burst of lr 1.4 for three steps at step 600, then a decay at 800
    write_csv(HERE / "spike.csv", rounded(linear_regression(
        lambda k: 1.4 if 600 <= k < 603 else 0.05 if k < 800 else 0.005, 1000)))
    # logistic regression on 20 training examples, validation loss every 10 steps
    write_csv(HERE / "overfit.csv", rounded(logistic_overfit()))
    # a learning-rate range test: lr from 1e-4 to 10, geometrically, over 500 steps
    write_csv(HERE / "lr_find.csv", rounded(linear_regression(lambda k: 1e-4 * 10 ** (5 * k / 499), 500,
                                                               noise=0.3, batch=128)))
    # several runs in one file: a column names the run
    rows = [dict(r, run="lr=0.05") for r in linear_regression(0.05, 300)]
    rows += [dict(r, run="lr=3") for r in linear_regression(3.0, 100)]
    write_csv(HERE / "sweep.csv", rounded(rows))
    # a two-layer linear net from a sharp init at a constant lr 0.1, no warmup: the catapult
    write_csv(HERE / "catapult.csv", rounded(two_layer_linear(0.1)))


if __name__ == "__main__":
    main()
