"""What ``gdx explore`` draws, as text: the landscape with the paths (gdx.render.landscape), the
loss strip, and the side panel (settings, result, stability gauge, diagnosis, one update's
arithmetic).  Each function reads an :class:`gdx.app.explore.View` and returns lines; the
textual app (gdx.tui) only places them.
"""

from __future__ import annotations

import math

from ..numbers import fmt, fmt_point

BLOCKS = " ▁▂▃▄▅▆▇█"
GAUGE_WIDTH = 16  # the edge (ratio 1) sits in the middle: the bar spans ratios 0 … 2
SIDE_WIDTH = 32


def landscape_lines(view, grid, points, plot_vars, *, width: int, height: int, color: bool,
                    rows_hint: int | None = None) -> tuple[list[str], tuple, int]:
    """The landscape at ``width`` × ``height`` (lines, ANSI colour codes when ``color``), the
    map's geometry ``(top row, left column, rows, cols, box2)`` for turning a click into a point,
    and the map rows asked for (the next call's ``rows_hint``).

    The map takes every row the title, axes and legend leave.  ``rows_hint`` (the rows that fitted
    last time) is tried first: when it still fills ``height`` exactly, or is already every row,
    the landscape is drawn once; otherwise the rows are fitted again from the top.

    The current run is path a (drawn up to the rows shown while stepping), compared runs b, c, …"""
    from .landscape import LABEL_WIDTH, landscape_text, map_size, marker_for

    ix, iy = plot_vars
    paths = [(label, p[:, [ix, iy]]) for label, p in view.compared]  # the current run last: drawn on top
    paths.append((view.state.label() + (" (now)" if paths else ""), view.path_x[:, [ix, iy]]))
    marks = [(label, xy, marker_for(kind)) for label, xy, kind in points]
    title = _title(view)
    top = max(3, height - 7)  # title, y name, axis, ticks, x name and two lines of legend

    def draw(rows):
        return landscape_text(grid, paths=paths, points=marks, width=width, height=rows, color=color,
                              title=title).split("\n")

    rows = min(top, max(3, rows_hint)) if rows_hint else top
    lines = draw(rows)
    if not (len(lines) == height or (rows == top and len(lines) <= height)):
        rows = top
        for _ in range(3):  # fewer map rows when the legend wraps to more lines
            lines = draw(rows)
            if len(lines) <= height or rows == 3:
                break
            rows = max(3, rows - (len(lines) - height))
    lines = lines[:height]
    box2 = ((float(grid.xs[0]), float(grid.xs[-1])), (float(grid.ys[0]), float(grid.ys[-1])))
    map_rows, map_cols = map_size(box2, width, rows)
    return lines, (2, LABEL_WIDTH + 1, map_rows, map_cols, box2), rows


def _title(view) -> str:
    from .mathtext import problem_text

    target = view.prepared.target
    name = target.preset.name if target.preset is not None else f"f = {problem_text(target.problem)}"
    if view.fixed:
        name += "  slice " + ", ".join(f"{k}={fmt(v, 3)}" for k, v in view.fixed.items())
    return name


def map_point(geometry, col: int, row: int):
    """The plotted coordinates (x, y) of screen cell (col, row) of the landscape, or None off the map."""
    top, left, rows, cols, ((x_lo, x_hi), (y_lo, y_hi)) = geometry
    r, c = row - top, col - left
    if not (0 <= r < rows and 0 <= c < cols):
        return None
    return (x_lo + (x_hi - x_lo) * c / max(1, cols - 1), y_hi - (y_hi - y_lo) * r / max(1, rows - 1))


# -- the loss strip ------------------------------------------------------------------------------
def loss_strip(loss, *, width: int, height: int = 3, shown: int | None = None) -> list[str]:
    """The loss curve as ``height`` rows of block characters (one column per slice of steps, the
    last value of the slice; log scale when gdx optimize's loss plot would use one,
    gdx.render.lossplot), then a line with the range and the scale."""
    import numpy as np

    from .lossplot import _scale

    loss = np.asarray(loss, float)
    if shown is not None:
        loss = loss[:shown]
    n = len(loss)
    finite = loss[np.isfinite(loss)]
    if not len(finite):
        return [""] * height + ["loss: no finite value"]
    y, label, log = _scale(finite)
    y = np.log10(y) if log else y
    values = np.interp(np.arange(n), np.nonzero(np.isfinite(loss))[0], y) if len(finite) < n else y
    cols = max(1, width)
    edges = np.linspace(0, n, min(cols, n) + 1).astype(int)
    samples = np.array([values[max(lo, hi - 1)] for lo, hi in zip(edges[:-1], edges[1:])])
    lo, hi = float(samples.min()), float(samples.max())
    span = hi - lo if hi > lo else 1.0
    levels = np.round((samples - lo) / span * (height * 8 - 1)).astype(int) + 1
    rows = []
    for r in range(height - 1, -1, -1):
        cell = np.clip(levels - r * 8, 0, 8)
        rows.append("".join(BLOCKS[int(c)] for c in cell))
    first, last = float(finite[0]), float(finite[-1])
    caption = f"{label}: {fmt(first, 4)} → {fmt(last, 4)} over {n - 1} steps"
    return rows + [caption[:width]]


# -- the side panel --------------------------------------------------------------------------------
def panel_lines(view, diagnosis=None, *, width: int = SIDE_WIDTH) -> list[str]:
    """Optimizer, every hyperparameter, schedule, start, steps, the result, the stability gauge,
    the update's arithmetic while stepping, and the diagnosis (when it has been made)."""
    prepared, result, state = view.prepared, view.result, view.state
    from ..app.explore import momentum_name

    mu = momentum_name(state.optimizer)
    lines = [f"{prepared.optimizer.name}  (o)"]
    for name, value in prepared.optimizer.hyper.items():
        key = " ←→" if name == "lr" else " ↑↓" if name == mu else ""
        lines.append(f" {name:<13}{fmt(value, 5)}{key}")
    lines.append(f"schedule {prepared.schedule_name}  (s)")
    lines.extend(f" {k:<13}{fmt(v, 5)}" for k, v in state.schedule_args)
    lines.append(f"start {fmt_point(prepared.x0, 4)} hjkl")
    lines.append(f"steps ≤ {prepared.steps} · tol {fmt(prepared.tol, 2)}")
    if prepared.clip_norm is not None:
        lines.append(f"clip ‖g‖ ≤ {fmt(prepared.clip_norm, 4)}")
    if prepared.target.data is not None:
        lines.extend(data_lines(prepared))
    if view.fixed:
        name = list(view.fixed)[state.slice_index]
        lines.append(f"slice {name} = {fmt(view.fixed[name], 4)}  ([ ] v)")
    if view.arithmetic is not None:  # stepping: the update first, where it is seen at 80×24
        lines.extend(arithmetic_lines(view.arithmetic))
    lines.append("── result" + (" (whole run)" if view.arithmetic is not None else ""))
    status = result.status.value.replace("_", " ")
    lines.append(f" {status}, {result.nit} steps")
    lines.append(f" f {fmt(result.fun, 5)}  ‖∇f‖ {fmt(result.grad_norm, 3)}")
    lines.append(f" x {fmt_point(result.x, 5)}")
    if diagnosis is not None:  # the verdict here, seen at 80×24; the reason below
        lines.append(f" diagnosis: {diagnosis.verdict}")
    lines.extend(gauge_lines(view.gauge))
    lines.append("── diagnosis")
    if diagnosis is None:
        lines.append(" …")
    else:
        lines.append(f" {diagnosis.verdict}")
        lines.extend(_wrapped(diagnosis.reason, width - 1, indent=" "))
        if diagnosis.suggestion:
            lines.extend(_wrapped("try: " + diagnosis.suggestion, width - 1, indent=" "))
    return lines


def data_lines(prepared) -> list[str]:
    """The data of the loss: its rows, and the minibatches (size, seed, full-data loss cadence)."""
    N = prepared.target.data.rows
    if prepared.sampling is None:
        return [f"data {N} rows  (b B)", " batch: every row"]
    _, B, seed, every = prepared.sampling
    return [f"data {N} rows  (b B)", f" batch {B} · seed {seed}", f" full loss every {every}"]


def gauge_bar(ratio: float, width: int = GAUGE_WIDTH) -> str:
    """``█████░░░│░░░░░░░`` — the ratio to the edge on a 0 … 2 scale, the edge │ in the middle."""
    if not math.isfinite(ratio):
        return "?" * width
    half = width // 2
    filled = max(0, min(width, round(ratio * half)))
    cells = ["█" if i < filled else "░" for i in range(width)]
    cells[half] = "┃" if filled <= half else "╋"
    return "".join(cells)


def gauge_lines(g) -> list[str]:
    """The gauge: the rule, its value at x₀ and at the sharpest point of the path, as bars."""
    lines = ["── stability"]
    if g.kind == "none":
        return lines + [f" {g.note}"]
    if g.kind == "lr":
        lines.append(f" {g.rule}")
        lines.append(f" λmax(H(x₀)) {fmt(g.lam_start, 4)}: lr<{fmt(g.start_value, 4)}")
    else:
        lines.append(f" {g.rule}")
        lines.append(f" edge {fmt(g.edge, 4)}; at x₀ {fmt(g.start_value, 4)}")
    lines.append(f" x₀   {gauge_bar(g.start_ratio)} {_ratio(g.start_ratio)}")
    lines.append(f" path {gauge_bar(g.worst_ratio)} {_ratio(g.worst_ratio)}")
    where = "past the edge" if g.worst_ratio >= 1 else "below it"
    lines.append(f"  worst: step {g.worst_step}, {where}")
    return lines


def _ratio(r: float) -> str:
    return f"{r:.2f}×" if math.isfinite(r) and r < 100 else ("≫1" if math.isfinite(r) else "?")


def arithmetic_lines(a) -> list[str]:
    """One update, as the optimizer makes it: g = ∇f(x_k), lr_k, its state after, the step."""
    lines = [f"── update {a.k} → {a.k + 1} (space)"]
    lines.append(f" x  {fmt_point(a.x, 4)}")
    lines.append(f" g  {fmt_point(a.g, 4)}")
    if a.clipped is not None:
        lines.append(f" g✂ {fmt_point(a.clipped, 4)}")
    lines.append(f" lr {fmt(a.lr, 5)}")
    for name, value in a.state.items():
        lines.append(f" {name} {fmt_point(_flat(value), 4)}")
    lines.append(f" Δx {fmt_point(a.step, 4)}")
    lines.append(f" x' {fmt_point(a.x_next, 4)}")
    return lines


def _flat(value):
    import numpy as np

    return np.atleast_1d(np.asarray(value, float)).reshape(-1)


def _wrapped(text: str, width: int, *, indent: str = "") -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=max(10, width), initial_indent=indent, subsequent_indent=indent) or [indent]


def command_line(state) -> str:
    """The ``gdx optimize`` command giving the same run (shell-quoted)."""
    import shlex

    return "gdx " + " ".join(shlex.quote(a) for a in state.argv())


#: the key table (README, the ? screen): (keys, what they do).
KEYS = (
    ("← / →", "lower / raise lr (÷ / × 1.25; shift: ÷ / × 2)"),
    ("↑ / ↓", "raise / lower the momentum-like value (momentum, β₁, ρ)"),
    ("o", "next optimizer (with its default lr)"),
    ("b / B", "halve / double the batch size of a loss over data (same seed)"),
    ("s", "next schedule: constant, step, exponential, cosine, plateau"),
    ("h j k l", "move the start left, down, up, right (1/20 of the box); a click puts it there"),
    ("space", "one more update, with its arithmetic (g, the state, the step)"),
    ("escape", "back to the whole run"),
    ("c", "keep this run on the map for comparison (x clears them)"),
    ("e", "export the current path (CSV, as gdx optimize --export)"),
    ("[ / ] , v", "3+ variables: move the slice value; v picks the slice variable"),
    ("?", "this help"),
    ("q", "quit"),
)
