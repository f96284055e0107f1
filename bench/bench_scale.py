"""Symbolic scale: n-D Rosenbrock, parse + derive + compile, and ``gdx analyze`` on it.

    python bench/bench_scale.py [--repeat N] [--analyze] [--old OLD/bin/gdx]

Prints, for n = 20, 50, 100: the wall time of ``parse_bounded`` + ``compile_bounded`` (the
library's path: the allow-listed parse, then ∇f, H and their generated code, each in a bounded
child, the SymPy objects handed back) and of ``start_reading(…).compiled()`` (a CLI miss: one
bounded child reads and derives and sends back only code and display strings) in a fresh
interpreter, minus nothing, beside ``python -c "import numpy, sympy"`` (the import floor)
measured in the same run, alternating.  With ``--analyze``: the wall time of
``gdx analyze <f> --json --no-cache`` for n = 10, 20, 50 (and n = 10 with ``--old``, an older
install, whose limit is 16 variables).  A benchmark to read, not a test to pass.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

PREPARE = (
    "import sys\nfrom gdx.target import parse_bounded\nfrom gdx.derive import compile_bounded\n"
    "n = int(sys.argv[1])\n"
    "text = '+'.join(f'100*(x{i+1}-x{i}^2)^2+(1-x{i})^2' for i in range(1, n))\n"
    "c = compile_bounded(parse_bounded(text, timeout=600), timeout=600)\n"
    "assert c.n == n\n"
)


#: What a CLI miss does (gdx optimize, plot, …): one bounded child reads and derives, sending back
#: the generated sources and display strings; this process never imports SymPy.
READ_AND_DERIVE = (
    "import sys\nfrom gdx.derive import start_reading\n"
    "n = int(sys.argv[1])\n"
    "text = '+'.join(f'100*(x{i+1}-x{i}^2)^2+(1-x{i})^2' for i in range(1, n))\n"
    "c = start_reading(text, timeout=600).compiled(600)\n"
    "assert c.n == n and 'sympy' not in sys.modules\n"
)


def rosenbrock(n: int) -> str:
    return "+".join(f"100*(x{i + 1}-x{i}^2)^2+(1-x{i})^2" for i in range(1, n))


def wall(cmd) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--analyze", action="store_true")
    parser.add_argument("--old", default=None)
    args = parser.parse_args()
    floor = [sys.executable, "-c", "import numpy, sympy"]
    rows = [(f"parse + derive + compile, n = {n}", [sys.executable, "-c", PREPARE, str(n)]) for n in (20, 50, 100)]
    rows += [(f"CLI miss: read + derive (one child), n = {n}", [sys.executable, "-c", READ_AND_DERIVE, str(n)])
             for n in (20, 50, 100)]
    if args.analyze:
        gdx = [sys.executable, "-m", "gdx"]
        rows += [(f"gdx analyze (n = {n}) --json --no-cache", [*gdx, "analyze", rosenbrock(n), "--json", "--no-cache"])
                 for n in (10, 20, 50)]
        if args.old:
            rows.append(("old: gdx analyze (n = 10) --json", [args.old, "analyze", rosenbrock(10), "--json"]))
    print(f"{'measure':48} {'floor s':>8} {'time s':>8}  time/floor")
    for label, cmd in rows:
        wall(floor)
        fs, ts = [], []
        for _ in range(args.repeat):  # alternating: drift on a busy machine falls on both
            fs.append(wall(floor))
            ts.append(wall(cmd))
        f, t = statistics.median(fs), statistics.median(ts)
        print(f"{label:48} {f:8.2f} {t:8.2f}  {t / f:6.2f}×", flush=True)


if __name__ == "__main__":
    main()
