"""Animations to keep (``--gif FILE``): the paths drawn step by step over the filled contour map,
the loss curves growing beside it.

Part of the png extra (matplotlib, and pillow, which matplotlib requires, to write the GIF).
The rules:

- **frames**: at most :data:`GIF_FRAMES`, always the first step (0) and the last one.  A run
  shorter than that gets a frame per step; a longer one gets its first steps (where an
  oscillation or a divergence starts), log-spaced steps and evenly spaced ones (:func:`frame_steps`).  Each frame lasts :data:`FRAME_MS`, the last :data:`LAST_FRAME_MS`.
- **size**: :data:`GIF_SIZE` inches at :data:`GIF_DPI` dpi (800 × 450 pixels, a 16:9 slide).
- **what moves**: each path up to the frame's step (a dot at its current point) and its loss
  curve up to that step; the map, colour bar, known points, limits and legend are drawn once
  (matplotlib's blitting: the background is restored, only the moving artists drawn).  A path
  is drawn until its first point outside the map's box (the segment leaving it shows where it
  went): a diverging run does not paint bands over the others.
- **colours**: one 256-colour palette for the whole animation, taken from the last frame (where
  every path is drawn), so a colour never flickers between frames.
- the file is written atomically (gdx.paths.write_atomic): it exists only when complete.
"""

from __future__ import annotations

from pathlib import Path

GIF_FRAMES = 120
GIF_SIZE = (8.0, 4.5)
GIF_DPI = 100
GIF_GRID = (160, 160)
FRAME_MS = 80
LAST_FRAME_MS = 2000
GIF_PATHS = 60  # --starts: at most this many paths are animated (the first ones of the batch)


def frame_steps(last: int, limit: int = GIF_FRAMES) -> list[int]:
    """The steps that get a frame: all of 0 … ``last`` when they are ``limit`` or fewer; else the
    first ``limit`` // 8 steps, and as many log-spaced and evenly spaced steps (both from 0 to
    ``last``) as fit in ``limit`` frames in all."""
    import numpy as np

    last = max(0, int(last))
    if last + 1 <= limit:
        return list(range(last + 1))
    head = set(range(limit // 8))
    best = sorted(head | {0, last})
    for each in range(2, limit + 1):
        logs = np.round(np.geomspace(1, last + 1, each)).astype(int) - 1
        even = np.round(np.linspace(0, last, each)).astype(int)
        steps = head | set(logs.tolist()) | set(even.tolist())
        if len(steps) > limit:
            break
        best = sorted(steps)
    return best


def check_gif_path(path) -> Path:
    """Refuse, before any work, a --gif path that could not be written or does not end in .gif."""
    from ..paths import check_output_file

    return check_output_file(path, flag="--gif", formats=(".gif",))


def prepare_gif(path) -> Path:
    """The path is writable and the png extra (matplotlib, pillow) is installed."""
    p = check_gif_path(path)
    from .png import require_matplotlib

    require_matplotlib("--gif")
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        from ..errors import GdxError
        from .png import INSTALL_HINT

        raise GdxError("--gif needs pillow, which is not installed", kind="missing extra",
                       hint=INSTALL_HINT.replace("matplotlib", "matplotlib pillow")) from None
    return p


def write_gif(path, grid, *, paths, curves, points=(), log=None, title=None, colors=None,
              legend=True, limit: int = GIF_FRAMES) -> list[int]:
    """Animate and write the GIF; return the steps that got a frame.

    ``paths``: (label, (N, 2) array, row k = the point after k updates); ``curves``: (label,
    steps, losses); ``colors``: one matplotlib colour per path (default: gdx.render.png's
    cycle); ``legend``: label the paths (off for many starts).
    """
    from ..paths import write_atomic

    frames, steps = render_frames(grid, paths=paths, curves=curves, points=points, log=log, title=title,
                                  colors=colors, legend=legend, limit=limit)
    durations = [FRAME_MS] * (len(frames) - 1) + [LAST_FRAME_MS]

    def save(tmp: str) -> None:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=durations,
                       loop=0, disposal=1, optimize=False)

    write_atomic(Path(path), save)
    return steps


def render_frames(grid, *, paths, curves, points=(), log=None, title=None, colors=None, legend=True,
                  limit: int = GIF_FRAMES):
    """(the frames as palette images, their steps); see the module docstring."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from .png import PATH_COLORS, curve_scale, map_background

    paths = [(label, _until_it_leaves(np.asarray(p, float).reshape(-1, 2), grid)) for label, p in paths]
    colors = list(colors) if colors is not None else [PATH_COLORS[k % len(PATH_COLORS)] for k in range(len(paths))]
    last = max([len(p) - 1 for _, p in paths] + [len(c[1]) - 1 for c in curves] + [0])
    steps = frame_steps(last, limit)

    fig = Figure(figsize=GIF_SIZE, dpi=GIF_DPI, layout="constrained")
    ax_map, ax_loss = fig.subplots(1, 2, width_ratios=(1.25, 1))
    map_background(fig, ax_map, grid, points, log)
    if title:
        fig.suptitle(title, fontsize=10)

    thin = len(paths) > 10
    moving = []
    trails, heads = [], []
    for (label, p), c in zip(paths, colors):
        finite = p[np.all(np.isfinite(p), axis=1)]
        if len(finite):
            ax_map.plot(*finite[0], "o", color=c, mec="k", ms=4 if thin else 6, zorder=4)
        (trail,) = ax_map.plot([], [], "-", color=c, lw=0.8 if thin else 1.4, zorder=3,
                               label=label if legend else None, animated=True)
        (head,) = ax_map.plot([], [], "o", color=c, mec="k", ms=3 if thin else 6, zorder=5, animated=True)
        trails.append(trail)
        heads.append(head)
        moving += [trail, head]
    if legend and paths:
        ax_map.legend(loc="upper right", fontsize=7, framealpha=0.85)

    transform, ylabel, log_y = curve_scale([c[2] for c in curves])
    lengths = [len(c[1]) for c in curves if len(c[1])] or [1]
    log_x = max(lengths) >= 100 and max(lengths) >= 20 * min(lengths)  # the figures' rule (gdx.render.png)
    shift = 1 if log_x else 0
    loss_lines, loss_data = [], []
    for k, (label, ks, loss) in enumerate(curves):
        loss = np.asarray(loss, float)
        ok = np.isfinite(loss)
        x, y = np.asarray(ks, float)[ok] + shift, np.asarray(transform(loss[ok]), float)
        loss_data.append((np.asarray(ks)[ok], x, y))
        c = colors[k % len(colors)] if colors else PATH_COLORS[k % len(PATH_COLORS)]
        (line,) = ax_loss.plot([], [], color=c, lw=0.8 if thin else 1.4, alpha=0.7 if thin else 1.0, animated=True)
        loss_lines.append(line)
        moving.append(line)
    _loss_limits(ax_loss, [d[1] for d in loss_data], [d[2] for d in loss_data], last + shift, log_x, log_y)
    ax_loss.set_xlabel("step + 1 (log scale)" if log_x else "step")
    ax_loss.set_ylabel(ylabel)
    ax_loss.grid(True, alpha=0.3)
    counter = ax_loss.text(0.98, 0.97, "", transform=ax_loss.transAxes, ha="right", va="top", fontsize=9,
                           animated=True)
    moving.append(counter)

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    rgb = []
    for step in steps:
        canvas.restore_region(background)
        for (label, p), trail, head in zip(paths, trails, heads):
            seen = p[: step + 1]
            seen = seen[np.all(np.isfinite(seen), axis=1)]
            trail.set_data(seen[:, 0], seen[:, 1])
            head.set_data(seen[-1:, 0], seen[-1:, 1])
        for line, (ks, x, y) in zip(loss_lines, loss_data):
            upto = ks <= step
            line.set_data(x[upto], y[upto])
        counter.set_text(f"step {step:,} of {last:,}")
        for artist in moving:
            fig.draw_artist(artist)
        rgb.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3].copy()))
    palette = rgb[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
    return frames, steps


def _until_it_leaves(p, grid):
    """The path up to and including its first point outside the grid's box (or not finite)."""
    import numpy as np

    (x0, x1), (y0, y1) = (grid.xs[0], grid.xs[-1]), (grid.ys[0], grid.ys[-1])
    with np.errstate(invalid="ignore"):
        inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    out = np.flatnonzero(~inside)
    return p if not len(out) else p[: out[0] + 1]


def _loss_limits(ax, xs, ys, x_max, log_x: bool, log_y: bool) -> None:
    """Fixed limits from the whole run, so the curve grows into a frame that does not move."""
    import numpy as np

    if log_x:
        ax.set_xscale("log")
        ax.set_xlim(1, max(2, x_max) * 1.05)
    else:
        ax.set_xlim(0, max(1, x_max))
    values = np.concatenate([y[np.isfinite(y)] for y in ys] or [np.zeros(0)])
    if log_y:
        ax.set_yscale("log")
        values = values[values > 0]
    if not values.size:
        return
    lo, hi = float(values.min()), float(values.max())
    if log_y:
        ax.set_ylim(lo / 1.5, hi * 1.5)
    else:
        pad = (hi - lo) * 0.05 or max(abs(hi), 1.0) * 0.05
        ax.set_ylim(lo - pad, hi + pad)
