"""What ``gdx backprop`` costs on large graphs, beyond start-up.

1. The core (gdx.graph: build the graph from the checked tree, forward, backward, the top-5
   paths of every variable, the --json document and the terminal view) on a graph of 1,000
   nodes: a sum of 200 terms ``tanh(c_k*x_i - x_j)`` over 16 variables (each term 4 new nodes;
   the parser's default limits allow 1,000 syntax-tree nodes, so the text is parsed with raised
   limits), median of REPEATS, as seconds and as a ratio to one ``gdx --version`` start-up
   measured in the same run.
2. End to end: ``gdx backprop`` in-process on the largest sum the default limits accept, split
   into the symbolic gradient (for the check, in the bounded child) and the graph work.

Run: ``python bench/bench_backprop.py``.  The issue's bound: the graph work ≤ 0.2 s.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPEATS = 5


def text_of(terms: int) -> str:
    return " + ".join(f"tanh({k % 9 + 1}.{k}*x{k % 16 + 1} - x{(k * 7) % 16 + 1})" for k in range(terms))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def graph_work(problem):
    from gdx import graph
    from gdx.app.backprop import document
    from gdx.render.backprop import tree_lines

    g = graph.build(problem.tree, problem.variables)
    r = graph.backprop(g, [0.1 * (i + 1) for i in range(problem.n)])
    flows = graph.flows(r)
    check = {"symbolic": {}, "value": r.value, "ok": True}

    class _Target:
        text, preset = problem.source, None

    doc = document(_Target, r, flows, check)
    tree_lines(r)
    return g, doc


def main() -> None:
    from gdx.parse import Limits, parse_function

    startup = statistics.median(timed(lambda: subprocess.run([sys.executable, "-m", "gdx", "--version"],
                                                             capture_output=True))[0] for _ in range(3))
    big = parse_function(text_of(200), limits=Limits(max_length=20000, max_nodes=4000, max_depth=2000, max_parens=2000,
                                                    max_constant_bits=10**7))
    times = []
    for _ in range(REPEATS):
        dt, (g, doc) = timed(lambda: graph_work(big))
        times.append(dt)
    t = statistics.median(times)
    print(f"start-up (gdx --version): {startup:.3f} s")
    print(f"graph of {len(g.nodes)} nodes: build + forward + backward + flow + json + tree = {t:.4f} s "
          f"(median of {REPEATS}; {t / startup:.2f}× start-up; bound 0.2 s: {'ok' if t <= 0.2 else 'OVER'})")

    from gdx.cli import main as gdx_main

    text = text_of(60)
    while len(text) > 2000:
        text = text[: text.rindex(" + ")]
    small = parse_function(text)
    dt_graph, (g2, _) = timed(lambda: graph_work(small))
    out, err = io.StringIO(), io.StringIO()
    dt_cli, code = timed(lambda: gdx_main(["backprop", text, "--json", "--no-cache"], stdout=out, stderr=err))
    print(f"gdx backprop (in-process, {len(g2.nodes)} nodes, {len(text)} characters): {dt_cli:.3f} s in all, "
          f"of which the graph work {dt_graph:.4f} s; the rest is parsing and the symbolic ∇f of the check "
          f"(exit {code})")


if __name__ == "__main__":
    main()
