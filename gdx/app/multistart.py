"""``gdx optimize --starts N``: N random starts in a box as one batch, and the basins they reach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ExitCode, GdxError


@dataclass
class MultiStartOutcome:
    prepared: Any  # gdx.app.prepare.Prepared
    multistart: Any  # gdx.basins.MultiStart
    document: dict
    exit_code: ExitCode
    gif: str | None = None  # the animation written by --gif


def check_multistart_flags(*, starts: int, start, export, landscape: bool, png, quiet: bool = False,
                           no_plot: bool = False, every=None, seed: int = 0) -> None:
    """--starts runs from random points and prints a basins table and map: --start, --export,
    --landscape, --png, -q, --no-plot and --every do not apply; --starts is 1 or more and fits in
    memory (one variable at least), --seed is in 0 … 2⁶⁴ − 1."""
    from ..resources import check_batch
    from .flags import refuse_inapplicable

    check_seed(seed)
    if starts < 1:
        raise GdxError(f"Invalid starts value: {starts}", kind="usage error", hint="--starts must be 1 or more")
    check_batch(starts, None, flag="--starts", number=starts, what="the random starts")
    refuse_inapplicable({"--start": start is not None, "--export": export is not None, "--landscape": landscape,
                         "--png": png is not None, "--quiet": quiet, "--no-plot": no_plot, "--every": every is not None},
                        because="with --starts",
                        hint="--starts runs from random points in the box (--box) and shows basins; use --json for the data")


def check_seed(seed: int) -> None:
    """A seed of numpy's generator is a whole number in 0 … 2⁶⁴ − 1."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise GdxError(f"Invalid seed value: {seed}", kind="usage error",
                       hint="--seed takes a whole number from 0 to 2^64 - 1")


def multistart_box(target, spec: str | None):
    """--box if given, else the preset's domain, else gdx.landscape's default range per variable."""
    from ..landscape import default_box, parse_box

    fill = default_box(target)
    if spec is None:
        return fill
    return parse_box(spec, target.problem.variables, fill=fill)


def multistart(prepared, *, starts: int, seed: int, box: str | None, map_cols: int = 40, gif=None) -> MultiStartOutcome:
    """Run ``starts`` random starts (and, for 2 variables, a 20 × ``map_cols`` grid for the basin
    map) with the prepared optimizer, schedule, clipping, steps and tol; exit status RUN_FAILED
    when every run failed.  ``gif``: also animate the runs (:func:`write_starts_gif`)."""
    from ..basins import multistart as run_multistart
    from ..numbers import json_number
    from .runs import target_fields

    from ..resources import check_batch

    check_seed(seed)
    target = prepared.target
    if gif is not None:
        from .plot import require_2d

        require_2d(target)
    domain = multistart_box(target, box)
    if gif is not None:
        check_starts_gif(prepared, starts)
    check_batch(starts + (20 * map_cols if len(domain) == 2 else 0), target.problem.n, flag="--starts", number=starts,
                what="the random starts and the basin map")
    known = target.preset.minima if target.preset is not None else ()
    ms = run_multistart(prepared.compiled, prepared.optimizer, domain, starts, seed, steps=prepared.steps,
                        tol=prepared.tol, schedule_fn=None if prepared.constant_lr else prepared.schedule,
                        clip_norm=prepared.clip_norm, known=known, map_shape=(20, map_cols),
                        batches=prepared.batches())
    code = ExitCode.RUN_FAILED if ms.failed == starts else ExitCode.OK
    document = {
        **target_fields(target),
        "optimizer": prepared.optimizer.name,
        "hyperparameters": {k: json_number(v) for k, v in prepared.optimizer.hyper.items()},
        "schedule": prepared.schedule_name,
        "clip_norm": prepared.clip_norm,
        "steps": prepared.steps,
        "tol": prepared.tol,
        **ms.to_dict(),
    }
    outcome = MultiStartOutcome(prepared, ms, document, code)
    if gif is not None:
        write_starts_gif(gif, outcome)
        outcome.gif = str(gif)
    return outcome


def check_starts_gif(prepared, starts: int) -> None:
    """The animated runs' paths (the first gdx.render.gif.GIF_PATHS starts) must fit in memory."""
    from ..render.gif import GIF_PATHS
    from ..resources import check_memory

    shown = min(starts, GIF_PATHS)
    nbytes = (prepared.steps + 1) * shown * (prepared.target.problem.n + 1) * 8
    check_memory(nbytes, what=f"keeping every step of {shown} runs for --gif", flag="--steps", number=prepared.steps)


def write_starts_gif(path, outcome) -> list[int]:
    """``--starts N --gif``: the first GIF_PATHS runs again, their paths recorded (the same starts
    and settings give the same runs), drawn step by step over the starts' box, each in the colour
    of the basin it reaches (failed and not converged runs grey); beside, their loss curves."""
    from ..basins import FAILED, NOT_CONVERGED
    from ..render.gif import GIF_PATHS
    from ..render.png import PATH_COLORS
    from .plot import build_scene, write_scene_gif

    prepared, ms = outcome.prepared, outcome.multistart
    shown = min(len(ms.starts), GIF_PATHS)
    batch = prepared.run_batch(ms.starts[:shown], record_path=True)
    labels, colors, seen = [], [], set()
    for i in range(shown):
        b = int(ms.assigned[i])
        name = "failed" if b == FAILED else "not converged" if b == NOT_CONVERGED else f"basin {ms.basins[b].label}"
        labels.append(name if name not in seen else "_" + name)  # matplotlib leaves "_…" out of the legend
        seen.add(name)
        colors.append("0.5" if b < 0 else PATH_COLORS[b % len(PATH_COLORS)])
    paths = [(labels[i], batch.path(i)) for i in range(shown)]
    curves = [(labels[i], range(int(batch.nit[i]) + 1), batch.path_fun[: int(batch.nit[i]) + 1, i]) for i in range(shown)]
    scene = build_scene(prepared.target, prepared.compiled, box=ms.box, paths=paths, critical=False)
    return write_scene_gif(path, scene, curves=curves, colors=colors)
