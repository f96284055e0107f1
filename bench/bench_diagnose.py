"""What a diagnosis costs, as a ratio against the run it diagnoses.

For 1,000- and 100,000-step paths: gd on x² + 100·y² with lr = 0.001 (1e-5 for 100,000 steps, so that neither converges: a "slow" verdict, whose
suggestions — Polyak's momentum, Newton, other lrs, more steps — are each re-run with the same
budget) and gd on Rosenbrock with lr = 0.001 (also slow, the issue's case 2), and Adam on Rosenbrock
(lr 1e-3, 1e-6 for 100,000 steps), whose diagnosis also rebuilds the preconditioner P from the
whole path to compare λmax(P⁻¹H) with the adaptive edge.  Times
``gdx.loop.run_to_end`` and ``gdx.diagnose.diagnose`` (the median of REPEATS) and prints both
and their ratio.  Run: ``python bench/bench_diagnose.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPEATS = 3
CASES = (("x^2 + 100*y^2", (1.5, 1.5), "gd"), ("(1 - x)^2 + 100*(y - x^2)^2", (-1.2, 1.0), "gd"),
         ("(1 - x)^2 + 100*(y - x^2)^2", (-1.2, 1.0), "adam"))
#: Learning rates (1,000 steps, 100,000 steps), small enough that no path converges.
LRS = {"gd": (1e-3, 1e-5), "adam": (1e-3, 1e-6)}


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    from gdx.compile import Compiled
    from gdx.diagnose import diagnose
    from gdx.loop import run_to_end
    from gdx.optim import make_optimizer
    from gdx.parse import parse_function
    from gdx.suggest import Setup

    for text, x0, optimizer in CASES:
        for steps in (1_000, 100_000):
            c = Compiled(parse_function(text))
            c.hess(__import__("numpy").zeros(2))
            runs, diags = [], []
            for _ in range(REPEATS):
                lr = LRS[optimizer][0 if steps <= 1000 else 1]
                t_run, result = timed(lambda: run_to_end(c, make_optimizer(optimizer, lr=lr), x0, steps=steps, tol=1e-12))
                setup = Setup(x0, steps, 1e-12)
                t_diag, d = timed(lambda: diagnose(result, c, tol=1e-12, setup=setup))
                runs.append(t_run)
                diags.append(t_diag)
            r, dg = statistics.median(runs), statistics.median(diags)
            print(f"{optimizer:4} {text:30} {steps:>7} steps: run {r:8.3f} s  diagnosis {dg:8.3f} s  ratio {dg / r:5.2f}  "
                  f"({d.verdict}; {len(d.numbers.get('tried', []))} suggestions run)")


if __name__ == "__main__":
    main()
