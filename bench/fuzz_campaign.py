"""Offline fuzzing campaign: many function strings through the parser, some through the CLI.

    python bench/fuzz_campaign.py --parse 100000 --cli 1000 [--seed 0] [--bound 10]

Each parser input goes through ``gdx.parse.parse_function`` in-process; an input is a finding
when it raises anything but ``GdxError`` or takes longer than ``--bound`` seconds (measured,
and stopped by SIGALRM at 3 × the bound so one hang cannot stop the campaign); a slow one is
then given to ``gdx.target.parse_bounded`` (what every command uses) to check that the bounded
child answers within the bound (``bounded_over`` counts those that did not).  Each CLI input
is a whole ``gdx optimize/sweep`` invocation in-process (``gdx.cli.main``) with a random
function and random flag values; a finding is exit status 70, an exception out of ``main``, or a
run over the bound.  Findings are printed as JSON lines and counted at the end.  This is a
measurement, not a test: speed is never asserted in tests/.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import signal
import sys
import time

ATOMS = ["x", "y", "z", "x1", "a_b", "pi", "e", "0", "1", "2", "3", "0.5", "1e-3", "10", "1000", "1e300", "1e-300",
         "10**100", "999", "-1", "2.5e10"]
FUNCS = ["sin", "cos", "tan", "sec", "csc", "cot", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
         "atanh", "exp", "log", "ln", "log10", "log2", "sqrt", "abs"]
OPS = ["+", "-", "*", "/", "**", "^"]
JUNK = ["(", ")", ",", " ", ".", "[", "]", "'", "__import__", "lambda", "=", "%", "//", "\x1b", "\u202e", "atan2(",
        "9**9**9", "1e999", "0**", "x0", "-" * 10]


def expression(rng: random.Random, depth: int = 0) -> str:
    """A random expression: mostly well formed, nested up to ~60 levels, with big constants."""
    r = rng.random()
    if depth > rng.choice((3, 6, 12, 60)) or r < 0.25:
        return rng.choice(ATOMS)
    if r < 0.55:
        return f"{rng.choice(FUNCS)}({expression(rng, depth + 1)})"
    if r < 0.65:
        return f"atan2({expression(rng, depth + 1)}, {expression(rng, depth + 1)})"
    if r < 0.72:
        return f"-{expression(rng, depth + 1)}"
    return f"({expression(rng, depth + 1)}{rng.choice(OPS)}{expression(rng, depth + 1)})"


def text(rng: random.Random) -> str:
    """An expression, or an expression with junk spliced in."""
    s = expression(rng)
    if rng.random() < 0.2:
        i = rng.randrange(len(s) + 1)
        s = s[:i] + rng.choice(JUNK) + s[i:]
    return s


FLAGS = [
    ("--timeout", ["1e10", "1e308", "-1", "0", "nan", "5"]),
    ("--steps", ["0", "1", "-1", "100000000", "10", "1e3"]),
    ("--lr", ["1e308", "-1", "0", "nan", "0.1", "inf"]),
    ("--start", ["1e308,1", "nan", "1", "x=1", "", "1,2,3"]),
    ("--schedule", ["exponential", "step", "cosine", "nope"]),
    ("--gamma", ["1e308", "0", "-1", "0.5", "2"]),
    ("--tol", ["-1", "0", "nan", "1e-300"]),
    ("--clip-norm", ["0", "-1", "1e308", "1"]),
]


def cli_argv(rng: random.Random) -> list[str]:
    """A random gdx optimize or sweep invocation."""
    function = text(rng) if rng.random() < 0.8 else rng.choice(["x^2+y^2", "rosenbrock", "himmelblau"])
    if rng.random() < 0.25:
        argv = ["sweep", function, "--num", rng.choice(["2", "5", "1", "0", "1000000000000"]), "--steps", "20"]
    else:
        argv = ["optimize", function, "--quiet", "--no-plot", "--steps", "20"]
        if rng.random() < 0.2:
            argv += ["--starts", rng.choice(["5", "0", "-1", "10000000"]), "--seed", rng.choice(["0", "-1", "7"])]
            if rng.random() < 0.5:
                argv += ["--box", rng.choice(["x=-1e308:1e308,y=0:1", "-2:2,-2:2", "1:0", "x=0:1"])]
    for flag, values in rng.sample(FLAGS, rng.randrange(0, 3)):
        argv += [flag, rng.choice(values)]
    return argv


class Hang(BaseException):  # not an Exception: main() must not turn it into exit 70
    pass


def _alarm(signum, frame):
    raise Hang()


def timed(call, bound: float):
    """(outcome, seconds); outcome is 'ok', 'gdx', 'hang' or an exception's name and message."""
    from gdx.errors import GdxError

    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, 3 * bound)
    t = time.perf_counter()
    try:
        out = call()
        outcome = "ok" if out is None or out != 70 else "exit 70"
    except GdxError:
        outcome = "gdx"
    except Hang:
        outcome = "hang"
    except BaseException as exc:  # noqa: BLE001 - that is what is being counted
        outcome = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return outcome, time.perf_counter() - t


def campaign_parse(n: int, rng: random.Random, bound: float, report) -> dict:
    from gdx.parse import parse_function
    from gdx.target import parse_bounded

    counts = {"inputs": 0, "ok": 0, "gdx": 0, "over_bound": 0, "other": 0, "slowest": 0.0}
    for i in range(n):
        if i and i % 10_000 == 0:
            print(json.dumps({"progress": "parse", **counts}), flush=True)
        s = text(rng)
        outcome, seconds = timed(lambda: parse_function(s, allow_vector=rng.random() < 0.1) and None, bound)
        counts["inputs"] += 1
        counts["slowest"] = max(counts["slowest"], seconds)
        if outcome in ("ok", "gdx") and seconds <= bound:
            counts[outcome] += 1
            continue
        kind = "over_bound" if outcome in ("ok", "gdx", "hang") else "other"
        counts[kind] += 1
        finding = {"where": "parse", "input": s, "outcome": outcome, "seconds": round(seconds, 2)}
        if kind == "over_bound":  # what the CLI does with it: the parse in the bounded child
            again, secs = timed(lambda: parse_bounded(s, timeout=bound) and None, bound)
            finding["bounded"] = {"outcome": again, "seconds": round(secs, 2)}
            counts["bounded_over"] = counts.get("bounded_over", 0) + (secs > 2 * bound or again not in ("ok", "gdx"))
        report(finding)
    return counts


def campaign_cli(n: int, rng: random.Random, bound: float, report) -> dict:
    from gdx.cli import main

    counts = {"inputs": 0, "exit_codes": {}, "over_bound": 0, "exit_70": 0, "other": 0, "slowest": 0.0}
    for i in range(n):
        if i and i % 100 == 0:
            print(json.dumps({"progress": "cli", **counts}), flush=True)
        argv = cli_argv(rng)
        codes = []

        def call():
            code = main(argv, stdout=io.StringIO(), stderr=io.StringIO(), env={"COLUMNS": "100", "NO_COLOR": "1"})
            codes.append(code)
            return code

        outcome, seconds = timed(call, 3 * bound)  # a command has two bounded stages (parse, derive)
        counts["inputs"] += 1
        counts["slowest"] = max(counts["slowest"], seconds)
        if codes:
            counts["exit_codes"][str(codes[0])] = counts["exit_codes"].get(str(codes[0]), 0) + 1
        bad = outcome not in ("ok",) or seconds > 3 * bound
        if bad:
            key = "exit_70" if outcome == "exit 70" else "over_bound" if outcome in ("ok", "hang") else "other"
            counts[key] += 1
            report({"where": "cli", "argv": argv, "outcome": outcome, "seconds": round(seconds, 2)})
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parse", type=int, default=100_000)
    ap.add_argument("--cli", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bound", type=float, default=10.0, help="seconds an input may take (gdx's default --timeout)")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    def report(finding):
        print(json.dumps(finding, ensure_ascii=True), flush=True)

    t = time.perf_counter()
    summary = {"seed": args.seed, "bound_s": args.bound}
    summary["parse"] = campaign_parse(args.parse, rng, args.bound, report)
    print(json.dumps({"progress": "parse done", **summary["parse"]}), flush=True)
    summary["cli"] = campaign_cli(args.cli, rng, args.bound, report)
    summary["wall_s"] = round(time.perf_counter() - t, 1)
    print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
