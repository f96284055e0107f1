"""Speed of gdx on this machine (a benchmark to read, not a test to pass).

    python bench/bench_cli.py [--repeat N]

Prints:
1. wall time of ``gdx --help`` and of ``gdx optimize "x**2+3*y**2" --quiet`` against
   ``python -c "import numpy, sympy"`` (the floor for any run: gdx needs both), as ratios;
   and whether ``gdx --help`` imports numpy or sympy (it must not);
2. steps per second of 100,000-step ``gd`` and ``adam`` runs on Rosenbrock through
   ``gdx.loop.run_to_end`` (the fast loop of gdx.fastloop, path recorded, Result built; minus a
   1-step run) against hand-written pure-Python loops of the same updates, as ratios;
3. the same through the CLI: wall time of ``gdx optimize rosenbrock -o gd --lr 1e-4 --steps
   100000 --tol 0 --quiet`` minus the same with ``--steps 1`` (and adam), against the hand loop.
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


def wall(cmd: list[str], repeat: int, warm: bool = True) -> float:
    """Median wall time of a command, in seconds (one warm-up run first unless ``warm`` is off)."""
    if warm:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interleaved(cmds: list[list[str]], repeat: int) -> list[float]:
    """Median wall times of commands run in turn, ``repeat`` rounds (one warm-up round first):
    a machine that gets busier or quieter meanwhile weighs on every command alike."""
    times: list[list[float]] = [[] for _ in cmds]
    for round_ in range(repeat + 1):
        for i, cmd in enumerate(cmds):
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            if round_:
                times[i].append(time.perf_counter() - t)
    return [statistics.median(t) for t in times]


def help_imports() -> str:
    code = (
        "import sys\nfrom gdx.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(','.join(m for m in ('numpy', 'sympy', 'plotext') if m in sys.modules) or 'none')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip().splitlines()
    return out[-1] if out else "?"


def pure_python_gd(steps: int, lr: float) -> float:
    """The same update by hand: x ← x − lr·∇f for Rosenbrock, loss evaluated each step too.
    Returns the seconds it took."""
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
    return elapsed


def pure_python_adam(steps: int, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> float:
    """Adam by hand on Rosenbrock (torch's order: m, v, bias corrections, √v/√bc2 + eps); seconds."""
    x, y = -1.2, 1.0
    mx = my = vx = vy = 0.0
    t0 = time.perf_counter()
    for t in range(1, steps + 2):
        d = y - x * x
        loss = (1 - x) ** 2 + 100 * d * d
        gx = -2 * (1 - x) - 400 * x * d
        gy = 200 * d
        mx += (1 - b1) * (gx - mx)
        my += (1 - b1) * (gy - my)
        vx = vx * b2 + (1 - b2) * gx * gx
        vy = vy * b2 + (1 - b2) * gy * gy
        bc1, bc2 = 1 - b1**t, (1 - b2**t) ** 0.5
        step = lr / bc1
        x, y = x - step * mx / (vx**0.5 / bc2 + eps), y - step * my / (vy**0.5 / bc2 + eps)
    elapsed = time.perf_counter() - t0
    assert loss == loss
    return elapsed


HAND = {"gd": pure_python_gd, "adam": pure_python_adam}
LR = {"gd": 1e-4, "adam": 1e-4}


def gdx_run(optimizer: str, steps: int, lr: float) -> float:
    """Seconds of ``run_to_end`` (blocks, path recorded, Result built) minus those of a 1-step run
    of the same (so the compile and the Result's fixed costs cancel out)."""
    from gdx.compile import Compiled
    from gdx.loop import run_to_end
    from gdx.optim import make_optimizer
    from gdx.parse import parse_function

    c = Compiled(parse_function("(1-x)^2 + 100*(y-x^2)^2"))
    c.warm()
    opt = make_optimizer(optimizer, lr=lr)
    times = []
    for n in (steps, 1):
        t = time.perf_counter()
        result = run_to_end(c, opt, (-1.2, 1.0), steps=n, tol=0)
        times.append(time.perf_counter() - t)
        assert result.nit == n, result.message
    return times[0] - times[1]


def compile_time() -> float:
    from gdx.compile import Compiled
    from gdx.parse import parse_function

    t0 = time.perf_counter()
    c = Compiled(parse_function("(1-x)^2 + 100*(y-x^2)^2"))
    c.value_and_grad([0.0, 0.0])
    return time.perf_counter() - t0


def loop_ratios(steps: int, repeat: int) -> dict:
    """optimizer → (hand steps/s, gdx steps/s): the best of ``repeat`` interleaved pairs."""
    out = {}
    for name in ("gd", "adam"):
        hand, ours = [], []
        for _ in range(repeat):
            hand.append(HAND[name](steps, LR[name]))
            ours.append(gdx_run(name, steps, LR[name]))
        out[name] = (steps / min(hand), steps / min(ours))
    return out


def cli_ratios(gdx: list[str], steps: int, repeat: int) -> dict:
    """optimizer → (hand seconds, CLI seconds of --steps N minus --steps 1, the run's own wall_time
    in the CLI's --json document minus that of --steps 1), medians of interleaved runs."""
    import json

    out = {}
    for name in ("gd", "adam"):
        cmd = gdx + ["optimize", "rosenbrock", "-o", name, "--lr", repr(LR[name]), "--tol", "0", "--steps"]
        wall(cmd + ["1", "--quiet"], 1)  # the compiled cache is warm
        diffs, loops, hand = [], [], []
        for _ in range(repeat):
            long_run = wall(cmd + [str(steps), "--quiet"], 1, warm=False)
            short_run = wall(cmd + ["1", "--quiet"], 1, warm=False)
            diffs.append(long_run - short_run)
            own = [json.loads(subprocess.run(cmd + [str(n), "--json"], capture_output=True, text=True).stdout)["wall_time"]
                   for n in (steps, 1)]
            loops.append(own[0] - own[1])
            hand.append(HAND[name](steps, LR[name]))
        out[name] = (statistics.median(hand), statistics.median(diffs), statistics.median(loops))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--steps", type=int, default=100_000)
    args = ap.parse_args()
    gdx = gdx_command()
    floor, t_help, t_opt = interleaved([[sys.executable, "-c", "import numpy, sympy"], gdx + ["--help"],
                                        gdx + ["optimize", "x**2+3*y**2", "--quiet"]], args.repeat)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; gdx = {' '.join(gdx)}")
    print(f"python -c 'import numpy, sympy'         {floor * 1000:8.1f} ms   (1.00×)")
    print(f"gdx --help                              {t_help * 1000:8.1f} ms   ({t_help / floor:.2f}×)")
    print(f"gdx optimize 'x**2+3*y**2' --quiet      {t_opt * 1000:8.1f} ms   ({t_opt / floor:.2f}×)")
    print(f"modules imported by gdx --help: {help_imports()}")
    first_compile = compile_time()  # before any run of the function in this process
    print(f"{args.steps:,} steps on 2-D Rosenbrock through gdx.loop.run_to_end (blocks, path recorded, Result),")
    print("run time minus a 1-step run, best of interleaved pairs, against a hand-written pure-Python loop:")
    for name, (py, ours) in loop_ratios(args.steps, args.repeat).items():
        print(f"  {name:<5} (lr {LR[name]:g})  hand {py:12,.0f} steps/s   gdx {ours:12,.0f} steps/s   ({ours / py:.2f}×)")
    print(f"  parse + derive + compile, once         {first_compile * 1000:12.1f} ms")
    print(f"gdx optimize rosenbrock -o NAME --lr LR --steps {args.steps} --tol 0 --quiet, minus the same with")
    print("--steps 1, medians of interleaved runs, against the hand loop.  The difference is the steps, the")
    print("bounded path record AND the diagnosis of the longer path (its suggestion tries other settings for")
    print("as many steps: single runs); 'loop' is the run's own wall_time in the --json document (N minus 1):")
    for name, (py, diff, loop) in cli_ratios(gdx, args.steps, max(3, args.repeat // 2)).items():
        print(f"  {name:<5}  hand {py * 1000:8.1f} ms   whole command {diff * 1000:8.1f} ms ({py / diff:.2f}×)"
              f"   loop {loop * 1000:7.1f} ms ({py / loop:.2f}×)")

if __name__ == "__main__":
    main()
