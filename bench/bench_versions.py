"""Two installs of gdx side by side: wall time of the same commands, interleaved.

    python bench/bench_versions.py BASELINE_GDX NEW_GDX [--repeat N]

Each command runs N times per install, alternating (so drift on a shared, busy machine falls on
both), and the median wall time of each is printed with the ratio new/baseline, beside
``python -c "import numpy, sympy"`` (the floor of any run).  Wall time, not the children's CPU
time: a version that reaps its bounded child before answering is charged for the child's CPU,
one that leaves it to exit unreaped is not, which would compare accounting, not speed.
A benchmark to read, not a test to pass.
"""

from __future__ import annotations

import argparse
import tempfile
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--help"],
    ["optimize", "x**2+3*y**2", "--quiet"],
    ["analyze", "himmelblau"],
    ["plot", "rosenbrock"],
    ["compare", "rosenbrock", "-o", "gd,momentum,adam,newton", "--no-plot"],
    ["sweep", "x^2+3*y^2", "--lr", "1e-4:1", "--num", "40", "--json"],
]


#: A compiled cache of the benchmark's own (gdx ≥ the cache): repeat runs are hits.
ENV = {"COLUMNS": "100", "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="gdx-bench-")}
#: The miss: the new install with --no-cache against the baseline's (uncached) run.
MISS = ["optimize", "x**2+3*y**2", "--quiet"]


def wall(cmd: list[str]) -> float:
    """Seconds of one run of ``cmd``."""
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("baseline")
    parser.add_argument("new")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    floor = [sys.executable, "-c", "import numpy, sympy"]
    rows = [("python -c 'import numpy, sympy'", floor, floor)] + [
        ("gdx " + " ".join(c), [args.baseline, *c], [args.new, *c]) for c in COMMANDS] + [
        ("gdx " + " ".join(MISS) + " (new: --no-cache)", [args.baseline, *MISS], [args.new, *MISS, "--no-cache"])]
    print(f"{'command':58} {'baseline':>9} {'new':>9}  new/baseline")
    for label, a, b in rows:
        wall(a), wall(b)  # warm-up (file cache)
        sa, sb = [], []
        for _ in range(args.repeat):
            sa.append(wall(a))
            sb.append(wall(b))
        ta, tb = statistics.median(sa), statistics.median(sb)
        print(f"{label[:58]:58} {ta * 1000:7.0f}ms {tb * 1000:7.0f}ms  {tb / ta:5.2f}")


if __name__ == "__main__":
    main()
