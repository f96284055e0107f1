"""What one key costs in ``gdx explore``: the rerun of 1,000 steps of a 2-D function and the redraw.

For gd, momentum and adam on x² + 3y² and on Rosenbrock (tol 0, so every run makes all 1,000
updates), each from a state the explorer has not seen (a new lr every time, so nothing comes
from its run cache), times:

* ``loop``: the bare run, ``gdx.loop.run_to_end`` with the same compiled functions (the baseline);
* ``view``: ``Explorer.view`` — prepare from the compiled cache, the run, the stability gauge;
* ``key``: a key press in the headless app (textual's Pilot, 80×24) until the screen is redrawn
  (transition, view, landscape, loss strip, side panel; the diagnosis comes after a pause).

Prints the medians of REPEATS in milliseconds and view/loop as a ratio.  The issue's budget is
100 ms for ``key``.  Run: ``python bench/bench_explore.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPEATS = 9
CASES = (("x^2 + 3*y^2", (1.5, -0.5)), ("rosenbrock", (-1.2, 1.0)))
OPTIMIZERS = ("gd", "momentum", "adam")


def main() -> None:
    from gdx.app import explore as model
    from gdx.app.prepare import RunRequest
    from gdx.loop import run_to_end
    from gdx.tui.explore import ExploreApp

    print(f"{'function':<12} {'optimizer':<9} {'loop ms':>8} {'view ms':>8} {'view/loop':>9} {'key ms':>7}")
    for text, x0 in CASES:
        explorer = model.Explorer(RunRequest(text, start=x0, steps=1000, tol=0.0, hyper={"lr": 1e-4}))
        for name in OPTIMIZERS:
            state = replace(explorer.initial, optimizer=name)
            loops, views = [], []
            for i in range(REPEATS):
                state = replace(state, hyper=model.tuned_hyper(name, {"lr": 1e-4 * (1 + (i + 1) / 64)}))
                prepared = explorer.check(state)
                t = time.perf_counter()
                run_to_end(prepared.compiled, prepared.optimizer, prepared.x0, steps=1000, tol=0.0,
                           schedule=prepared.schedule)
                loops.append(time.perf_counter() - t)
                t = time.perf_counter()
                explorer.view(state)
                views.append(time.perf_counter() - t)
            keys = asyncio.run(_key_times(ExploreApp, explorer, state))
            loop, view, key = (statistics.median(v) * 1e3 for v in (loops, views, keys))
            print(f"{text[:12]:<12} {name:<9} {loop:8.1f} {view:8.1f} {view / loop:9.2f} {key:7.1f}")


async def _key_times(ExploreApp, explorer, state) -> list[float]:
    """Seconds from a key (→ or ←, alternately: each a state not seen before) to the redrawn screen."""
    explorer.initial = state
    app = ExploreApp(explorer, color=True)
    out = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i in range(REPEATS):
            explorer._runs.clear()
            t = time.perf_counter()
            app.action_lr(i % 2, 0)
            out.append(time.perf_counter() - t)
            await pilot.pause()
    return out


if __name__ == "__main__":
    main()
