"""Speed of gdx on this machine (a benchmark to read, not a test to pass).

    python bench/bench_cli.py [--repeat N]

Prints:
1. wall time of ``gdx --help`` and of ``gdx optimize "x**2+3*y**2" --quiet`` against
   ``python -c "import numpy, sympy"`` (the floor for any run: gdx needs both), as ratios;
   and whether ``gdx --help`` imports numpy or sympy (it must not);
2. steps per second of a 100,000-step ``gd`` run on Rosenbrock through gdx's loop (events,
   path recording and all) against a hand-written pure-Python loop of the same update.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def gdx_command() -> list[str]:
    exe = shutil.which("gdx", path=os.path.dirname(sys.executable)) or shutil.which("gdx")
    return [exe] if exe else [sys.executable, "-m", "gdx"]


def wall(cmd: list[str], repeat: int) -> float:
    """Median wall time of a command, in seconds (one warm-up run first)."""
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def help_imports() -> str:
    code = (
        "import sys\nfrom gdx.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(','.join(m for m in ('numpy', 'sympy', 'plotext') if m in sys.modules) or 'none')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip().splitlines()
    return out[-1] if out else "?"


def pure_python_gd(steps: int, lr: float) -> float:
    """The same update by hand: x ← x − lr·∇f for Rosenbrock, loss evaluated each step too."""
    x, y = -1.2, 1.0
    t = time.perf_counter()
    for _ in range(steps + 1):
        d = y - x * x
        loss = (1 - x) ** 2 + 100 * d * d
        gx = -2 * (1 - x) - 400 * x * d
        gy = 200 * d
        x, y = x - lr * gx, y - lr * gy
    elapsed = time.perf_counter() - t
    assert loss == loss
    return steps / elapsed


def gdx_gd(steps: int, lr: float) -> tuple[float, float]:
    """Steps per second through gdx.loop.run (compile time excluded, reported separately)."""
    from gdx.compile import Compiled
    from gdx.loop import run_to_end
    from gdx.optim import make_optimizer
    from gdx.parse import parse_function

    t0 = time.perf_counter()
    c = Compiled(parse_function("(1-x)^2 + 100*(y-x^2)^2"))
    c.value_and_grad([0.0, 0.0])
    compile_time = time.perf_counter() - t0
    t = time.perf_counter()
    result = run_to_end(c, make_optimizer("gd", lr=lr), (-1.2, 1.0), steps=steps, tol=0)
    elapsed = time.perf_counter() - t
    assert result.nit == steps
    return steps / elapsed, compile_time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--steps", type=int, default=100_000)
    args = ap.parse_args()
    gdx = gdx_command()
    floor = wall([sys.executable, "-c", "import numpy, sympy"], args.repeat)
    t_help = wall(gdx + ["--help"], args.repeat)
    t_opt = wall(gdx + ["optimize", "x**2+3*y**2", "--quiet"], args.repeat)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; gdx = {' '.join(gdx)}")
    print(f"python -c 'import numpy, sympy'         {floor * 1000:8.1f} ms   (1.00×)")
    print(f"gdx --help                              {t_help * 1000:8.1f} ms   ({t_help / floor:.2f}×)")
    print(f"gdx optimize 'x**2+3*y**2' --quiet      {t_opt * 1000:8.1f} ms   ({t_opt / floor:.2f}×)")
    print(f"modules imported by gdx --help: {help_imports()}")
    lr = 1e-4
    py = pure_python_gd(args.steps, lr)
    ours, compile_time = gdx_gd(args.steps, lr)
    print(f"{args.steps:,}-step gd on Rosenbrock (lr {lr}):")
    print(f"  hand-written pure-Python loop          {py:12,.0f} steps/s")
    print(f"  gdx loop (events + path recorded)      {ours:12,.0f} steps/s   ({ours / py:.2f}× the hand loop)")
    print(f"  parse + derive + compile, once         {compile_time * 1000:12.1f} ms")


if __name__ == "__main__":
    main()
