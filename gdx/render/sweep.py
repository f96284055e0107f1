"""Drawing a sweep: the outcome against lr (plotext), a terminal heatmap, and the summary.

* 1-D: the final loss (or steps to converge) of every run against the swept value on a log
  axis; runs that diverged are ``x`` markers along the top edge; the best run is ``◆``; a
  vertical line marks 2/λmax when the axis is the learning rate.
* 2-D: one character per cell (two columns wide when it fits), rows = the second parameter
  (largest at the top), columns = the first.  Low outcome → dense character (``@``), high →
  light (``.``), on a log scale when the values span two decades; ``×`` diverged, ``?`` fault
  (NaN), ``◆`` best.  On a terminal the cells are also coloured.
"""

from __future__ import annotations

from ..numbers import fmt as _fmt

import math

#: Dense (best) to light (worst).
RAMP = "@#%+=-:."
#: Colours of the ramp levels on a terminal (same order).
PALETTE = ("green1", "green3", "chartreuse3", "yellow3", "gold3", "orange3", "dark_orange3", "red3")
DIVERGED, FAULT, BEST = "×", "?", "◆"


def fmt(v, digits: int = 4) -> str:
    """Sweep numbers: 4 significant digits (gdx.numbers.fmt)."""
    return _fmt(v, digits)


def _log_scale(values) -> bool:
    """Log when every value is positive and they span two decades or more."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite or min(finite) <= 0:
        return False
    return max(finite) / min(finite) >= 100


def metric_label(sweep) -> str:
    return "final loss" if sweep.metric == "loss" else "steps to converge"


# -- 1-D ---------------------------------------------------------------------------------------
def sweep_plot(sweep, *, width: int = 80, height: int = 18, color: bool = False) -> str:
    """The outcome against the swept value (plotext text; ANSI colours only when ``color``)."""
    import numpy as np
    import plotext as plt

    axis = sweep.axes[0]
    xs = np.asarray(sweep.params[axis.name], float)
    y = np.asarray(sweep.outcome, float)
    failed = sweep.failed
    good = ~failed & np.isfinite(y)
    label = metric_label(sweep)
    floor = None
    if sweep.metric == "loss" and good.any():
        pos = y[good & (y > 0)]
        if len(pos) and (y[good] <= 0).any() and (y[good] >= 0).all():
            floor = float(pos.min()) / 10  # exact zeros drawn at a floor, so the axis can be log
            y = np.where(good & (y <= 0), floor, y)
    log_y = _log_scale(y[good].tolist())
    plt.clear_figure()
    plt.plot_size(max(40, width), max(10, height))
    top = float(np.nanmax(y[good])) if good.any() else 1.0
    if good.any():
        plt.plot(xs[good].tolist(), y[good].tolist(), marker="braille", label=label)
    if failed.any():
        plt.scatter(xs[failed].tolist(), [top] * int(failed.sum()), marker="x", label="diverged")
    if sweep.best is not None and good[sweep.best]:
        plt.scatter([float(xs[sweep.best])], [float(y[sweep.best])], marker=BEST, label="best")
    if axis.name == "lr" and sweep.stable_lr is not None and min(xs) <= sweep.stable_lr <= max(xs):
        plt.vline(sweep.stable_lr)
        plt.text("2/λmax", x=sweep.stable_lr, y=top, alignment="left")
    if axis.log:
        plt.xscale("log")
        ticks = _decade_ticks(min(xs), max(xs))
        if len(ticks) >= 2:
            plt.xticks(ticks, [f"{t:g}" for t in ticks])
    if log_y:
        plt.yscale("log")
        ticks = _decade_ticks(float(np.min(y[good])), float(np.max(y[good])))
        while len(ticks) > 7:
            ticks = ticks[::2]
        if len(ticks) >= 2:
            plt.yticks(ticks, [f"{t:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e") for t in ticks])
    title = f"{label} vs {axis.name} ({sweep.optimizer}, {len(xs)} runs)"
    if floor is not None:
        title += f"; loss 0 drawn at {floor:.2g}"
    plt.title(title)
    plt.xlabel(axis.name + (" (log scale)" if axis.log else ""))
    plt.theme("pro" if color else "clear")
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)


def _decade_ticks(lo: float, hi: float) -> list[float]:
    if lo <= 0:
        return []
    return [10.0**e for e in range(math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9) + 1)]


# -- 2-D ---------------------------------------------------------------------------------------
def heatmap_cells(sweep):
    """(rows × cols) characters, their levels and the scale; row 0 = top.

    metric loss: a converged run is ``RAMP[0]``; the other runs that did not fail get
    ``RAMP[1:]`` by final loss (log scale when it spans two decades).  metric steps: converged
    runs get ``RAMP[:-1]`` by steps to converge, the others ``RAMP[-1]``.  Levels -1, -2, -3:
    diverged, fault, best.
    """
    import numpy as np

    rows, cols = sweep.shape
    conv = np.array([s.value == "converged" for s in sweep.status])
    fault = np.array([s.value == "fault" for s in sweep.status])
    failed = sweep.failed
    if sweep.metric == "loss":
        graded, first, count = ~failed & ~conv, 1, len(RAMP) - 1
        values = np.asarray(sweep.loss, float)
    else:
        graded, first, count = ~failed & conv, 0, len(RAMP) - 1
        values = np.asarray(sweep.steps, float)
    graded &= np.isfinite(values)
    vals = values.copy()
    log = _log_scale(vals[graded].tolist())
    if log:
        vals = np.log10(np.where(graded, vals, 1.0))
    lo = float(vals[graded].min()) if graded.any() else 0.0
    hi = float(vals[graded].max()) if graded.any() else 0.0
    level = np.zeros(len(values), dtype=int)
    if sweep.metric == "loss":
        level[:] = 0  # converged
    else:
        level[:] = len(RAMP) - 1  # not converged
    if graded.any():
        frac = (vals[graded] - lo) / (hi - lo) if hi > lo else np.zeros(int(graded.sum()))
        level[graded] = first + np.minimum(frac * count, count - 1).astype(int)
    level[failed & ~fault] = -1
    level[fault] = -2
    if sweep.best is not None:
        level[sweep.best] = -3
    grid = level.reshape(rows, cols)[::-1]  # largest second-axis value on top
    chars = [[_char(v) for v in row] for row in grid]
    scale = ((10**lo, 10**hi) if log else (lo, hi)) if graded.any() else None
    return chars, grid, (scale, log)


def _char(level: int) -> str:
    return {-1: DIVERGED, -2: FAULT, -3: BEST}.get(level, RAMP[level] if level >= 0 else "?")


def heatmap(sweep, *, width: int = 80, color: bool = False):
    """The 2-D outcome as a rich Text: labelled rows, cells, an x axis and a legend."""
    from rich.text import Text

    chars, levels, (scale, log) = heatmap_cells(sweep)
    a0, a1 = sweep.axes
    ylabels = [fmt(v, 3) for v in reversed(a1.values)]
    lw = max(len(s) for s in ylabels)
    shown = shown_columns(chars, width - lw - 2)
    chars = [[row[c] for c in shown] for row in chars]
    levels = [[row[c] for c in shown] for row in levels]
    rows, cols = len(chars), len(chars[0])
    cw = 2 if lw + 2 + 2 * cols <= width else 1
    out = Text()
    out.append(f"{metric_label(sweep)} by {a0.name} (columns) and {a1.name} (rows)\n")
    if cols < len(a0.values):
        out.append(f"({cols} of the {len(a0.values)} {a0.name} values shown, evenly spaced, to fit {width} columns; "
                   f"--json has every run)\n")
    a0 = _Shown(a0.name, a0.log, [a0.values[c] for c in shown])
    for r in range(rows):
        out.append(ylabels[r].rjust(lw) + " │")
        for c in range(cols):
            ch = chars[r][c]
            cell = ch * cw if ch in RAMP else ch.ljust(cw)
            out.append(cell, style=_style(levels[r][c]) if color else None)
        out.append("\n")
    out.append(" " * lw + " └" + "─" * (cw * cols) + "\n")
    out.append(_x_axis(a0, cols, cw, lw + 2) + "\n")
    out.append(" " * (lw + 2) + a0.name + (" (log scale)" if a0.log else "") + f"   ↑ {a1.name}\n")
    if sweep.metric == "loss":
        rng = f" {fmt(scale[0], 2)}…{fmt(scale[1], 2)}{' (log)' if log else ''}" if scale else ""
        legend = f"{RAMP[0]} converged · {RAMP[1:]} not converged, loss{rng} · {DIVERGED} diverged · {BEST} best"
    else:
        rng = f" {round(scale[0])}…{round(scale[1])}{' (log)' if log else ''}" if scale else ""
        legend = f"{RAMP[:-1]} converged in{rng} steps · {RAMP[-1]} not converged · {DIVERGED} diverged · {BEST} best"
    out.append(legend)
    return out


class _Shown:
    """The shown columns' axis: its name, log flag and values."""

    def __init__(self, name, log, values):
        self.name, self.log, self.values = name, log, values


def shown_columns(chars, room: int) -> list[int]:
    """All column indices when they fit in ``room`` characters; else ``room`` of them evenly
    spaced from the first to the last, the best cell's column (``◆``) always among them."""
    cols = len(chars[0])
    room = max(2, room)
    if cols <= room:
        return list(range(cols))
    picks = sorted({round(i * (cols - 1) / (room - 1)) for i in range(room)})
    best = next((c for c in range(cols) if any(row[c] == BEST for row in chars)), None)
    if best is not None and best not in picks:
        nearest = min(range(len(picks)), key=lambda i: abs(picks[i] - best))
        if picks[nearest] in (0, cols - 1):  # keep the ends: replace an inner neighbour instead
            nearest += 1 if picks[nearest] == 0 else -1
        picks[nearest] = best
        picks = sorted(set(picks))
    return picks


def _style(level: int) -> str | None:
    if level == -1:
        return "bold red"
    if level == -2:
        return "bold magenta"
    if level == -3:
        return "bold cyan"
    return PALETTE[level]


def _x_axis(axis, cols: int, cw: int, indent: int) -> str:
    """Tick labels under the first, middle and last columns (when they do not collide)."""
    line = [" "] * (indent + cw * cols + 12)
    picks = sorted({0, (cols - 1) // 2, cols - 1})
    last_end = -1
    for c in picks:
        label = fmt(axis.values[c], 3)
        at = indent + c * cw
        if c == cols - 1:
            at = max(at + cw - len(label), at - len(label) + 1)
        if at <= last_end:
            continue
        line[at : at + len(label)] = list(label)
        last_end = at + len(label)
    return "".join(line).rstrip()


# -- summary -------------------------------------------------------------------------------
def summary_lines(sweep) -> list[tuple[str, str]]:
    """(label, text) rows: best setting, first failure, 2/λmax, run counts."""
    rows = []
    a0 = sweep.axes[0]
    if sweep.best is None:
        rows.append(("best", "none: every run diverged"))
    else:
        b = sweep.best
        setting = "  ".join(f"{k} = {fmt(v)}" for k, v in sweep.setting(b).items())
        how = sweep.status[b].value
        how = f"converged in {int(sweep.steps[b])} steps" if how == "converged" else f"{how} after {int(sweep.steps[b])} steps"
        rows.append(("best", f"{setting}   (final loss {fmt(sweep.loss[b], 6)}, {how})"))
    first = sweep.first_failure()
    if first is None:
        rows.append(("diverged", f"no run diverged on this grid ({a0.name} up to {fmt(max(a0.values))})"))
    else:
        stable = sweep.last_stable()
        text = f"from {a0.name} = {fmt(first)}"
        if len(sweep.axes) == 2:
            text += f" (for some {sweep.axes[1].name})"
        if stable is not None:
            text += f"; largest {a0.name} below it with no failure: {fmt(stable)}"
        rows.append(("diverged", text))
    if sweep.lambda_max is not None:
        start = "(" + ", ".join(fmt(v) for v in sweep.x0) + ")"
        if sweep.stable_lr is not None:
            rows.append(("2/λmax", f"{fmt(sweep.stable_lr)}   (λmax = {fmt(sweep.lambda_max)} of the Hessian at the start {start})"))
        else:
            rows.append(("2/λmax", f"none: λmax = {fmt(sweep.lambda_max)} ≤ 0 at the start {start}"))
    counts = " · ".join(f"{v} {k}" for k, v in sorted(sweep.to_dict()["counts"].items(), key=lambda kv: -kv[1]))
    rows.append(("runs", f"{len(sweep.status)}: {counts}   ({sweep.wall_time:.2f} s)"))
    if sweep.fixed:
        rows.append(("fixed", "  ".join(f"{k} = {fmt(v)}" for k, v in sweep.fixed.items())))
    return rows


def summary_table(sweep):
    """The summary as a borderless two-column rich Table."""
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for label, text in summary_lines(sweep):
        table.add_row(label, text)
    return table


def print_sweep(out, target, result) -> None:
    """``gdx sweep``: the header, the plot (one axis) or heatmap (two), the summary."""
    from rich.text import Text

    from .console import fmt_point, safe_text, terminal_color
    from .mathtext import problem_text

    label = safe_text(target.preset.title, markup=False) if target.preset is not None else f"f = {problem_text(target.problem)}"
    swept = " × ".join(f"{a.name} {a.values[0]:g}…{a.values[-1]:g} ({len(a)}, {'log' if a.log else 'linear'})" for a in result.axes)
    out.print(Text(f"{label}\n{result.optimizer} from x₀ = {fmt_point(result.x0)} · {swept} · ≤ {result.max_steps} steps · tol {result.tol:g}"))
    color = terminal_color(out)
    width = min(out.width, 100)
    if len(result.axes) == 1:
        text = sweep_plot(result, width=width, height=18, color=color)
        out.print(Text.from_ansi(text) if color else Text(text))
    else:
        out.print(heatmap(result, width=width, color=color))
    out.print(summary_table(result))
