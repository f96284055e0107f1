"""What one key costs in ``gdx explore``: the rerun of 1,000 steps of a 2-D function and the redraw.

For gd, momentum and adam on x² + 3y² and on Rosenbrock (tol 0, so every run makes all 1,000
updates), each from a state the explorer has not seen (a new lr every time, so nothing comes
from its run cache), times:

* ``loop``: the bare run, ``gdx.loop.run_to_end`` with the same compiled functions (the baseline);
* ``view``: ``Explorer.view`` — prepare from the compiled cache, the run, the stability gauge;
* ``key``: a key press in the headless app (textual's Pilot, 80×24, colour) until every widget
  holds its new content (transition, view, landscape, loss strip, side panel; the diagnosis
  comes after a pause);
* ``paint``: the same key until textual has composed the screen (``key`` + the Pilot's pause).

Prints the medians of REPEATS in milliseconds and view/loop, key/loop and paint/loop as ratios
(the machine's speed cancels in a ratio).  The issue's budget is 100 ms for ``paint``.
Run: ``python bench/bench_explore.py``.
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

    print(f"{'function':<12} {'optimizer':<9} {'loop ms':>7} {'view ms':>7} {'key ms':>6} {'paint ms':>8} "
          f"{'view/loop':>9} {'key/loop':>8} {'paint/loop':>10}")
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
            keys, paints = asyncio.run(_key_times(ExploreApp, explorer, state))
            loop, view, key, paint = (statistics.median(v) * 1e3 for v in (loops, views, keys, paints))
            print(f"{text[:12]:<12} {name:<9} {loop:7.1f} {view:7.1f} {key:6.1f} {paint:8.1f} "
                  f"{view / loop:9.2f} {key / loop:8.2f} {paint / loop:10.2f}")


async def _key_times(ExploreApp, explorer, state) -> tuple[list[float], list[float]]:
    """Seconds from a key (→ or ←, alternately: each a state not seen before) to the widgets
    updated, and to the screen composed."""
    explorer.initial = state
    app = ExploreApp(explorer, color=True)
    keys, paints = [], []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i in range(REPEATS):
            explorer._runs.clear()
            t = time.perf_counter()
            app.action_lr(i % 2, 0)
            keys.append(time.perf_counter() - t)
            await pilot.pause()
            paints.append(time.perf_counter() - t)
    return keys, paints


if __name__ == "__main__":
    main()
