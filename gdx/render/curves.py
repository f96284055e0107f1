"""Several loss curves on one plotext plot, with a legend (``gdx compare``).

All curves share one y scale, chosen like the single loss curve's (``gdx/render/lossplot.py``):
log when the loss is positive and spans two decades, ``loss − min(loss)`` on a log axis when it
reaches zero or below but its gap to the best value spans three decades, else linear.  Without
colour every curve is drawn with its own letter (a, b, c, … — the letters of the paths on the
landscape), so the plot still reads in plain text.

A log axis is drawn as log10 of the values with ticks at whole decades labelled by value
(plotext's own log axis prints long decimals).  When the runs' lengths differ by 20× or more
(Newton's 6 steps beside gradient descent's 3000) and the longest has 100 steps or more, the
step axis is logarithmic too, in log10(step + 1), so the short runs are not a single column.
"""

from __future__ import annotations

from .landscape import LETTERS, PATH_COLORS


def loss_curves(series, *, width: int = 80, height: int = 16, color: bool = False, title: str = "loss") -> str:
    """``series``: (label, Path) pairs.  The plot as text (ANSI colours only when ``color``)."""
    import numpy as np
    import plotext as plt

    from .lossplot import step_ticks
    from .png import curve_scale

    data = []
    for label, path in series:
        k = np.asarray(path.k, dtype=float)
        loss = np.asarray(path.loss, dtype=float)
        ok = np.isfinite(loss)
        data.append((label, k[ok], loss[ok]))
    if not any(len(d[1]) for d in data):
        return "(no finite loss values to plot)"
    transform, ylabel, log = curve_scale([d[2] for d in data])
    lengths = [int(k.max()) + 1 for _, k, _ in data if len(k)]
    log_x = max(lengths) >= 100 and max(lengths) >= 20 * min(lengths)
    plt.clear_figure()
    plt.plot_size(max(30, width), max(8, height))
    y_all = []
    for i, (label, k, loss) in enumerate(data):
        if not len(k):
            continue
        letter = LETTERS[i % len(LETTERS)]
        y = np.asarray(transform(loss), dtype=float)
        if log:
            y = np.log10(y)
        y_all.append(y)
        x = np.log10(k + 1) if log_x else k
        marker = "braille" if color else letter
        rgb = PATH_COLORS[i % len(PATH_COLORS)]
        if len(k) == 1:
            plt.scatter(x.tolist(), y.tolist(), marker=marker if not color else "dot", color=rgb)
        else:
            plt.plot(x.tolist(), y.tolist(), marker=marker, color=rgb)
    if log:
        ticks = decade_ticks(float(min(v.min() for v in y_all)), float(max(v.max() for v in y_all)))
        plt.yticks(ticks, [_decade(t) for t in ticks])
        plt.ylim(ticks[0], max(ticks[-1], ticks[0] + 1))  # decade labels inside the frame
    if log_x:
        top = int(np.ceil(np.log10(max(lengths))))
        marks = [0] + [10**e for e in range(0, top + 1) if 10**e <= 10 * max(lengths)]
        plt.xticks([float(np.log10(m + 1)) for m in marks], [str(m) for m in marks])
    else:
        marks = step_ticks(max(lengths) - 1)
        plt.xticks(marks, [str(m) for m in marks])
    plt.title(f"{ylabel} (log scale)" if log else ylabel if title == "loss" else title)
    plt.xlabel("step (log scale)" if log_x else "step")
    plt.theme("clear" if not color else "pro")
    text = plt.build()
    plt.clear_figure()
    return (text if color else plt.uncolorize(text)) + "\n" + legend(data, color=color, width=width)


def legend(data, *, color: bool, width: int) -> str:
    """``a gd   b momentum   …`` under the plot (plotext's own legend would cover the curves)."""
    items = []
    for i, (label, _, _) in enumerate(data):
        letter = LETTERS[i % len(LETTERS)]
        item = f"{letter} {label}"
        if color:
            item = "\x1b[1;38;2;%d;%d;%dm" % PATH_COLORS[i % len(PATH_COLORS)] + item + "\x1b[0m"
        items.append(item)
    from .landscape import _wrap

    return "\n".join(_wrap(["curves:", *items], width))


def decade_ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    """Whole decades between lo and hi (log10 values), every k-th so there are at most ``most``."""
    import math

    a, b = math.floor(lo), math.ceil(hi)
    step = max(1, math.ceil((b - a + 1) / most))
    return [float(d) for d in range(a, b + 1, step)]


def _decade(t: float) -> str:
    """10**t as a short label: 0.01, 0.1, 1, 10, 100, 1000, then 1e+04…"""
    d = int(round(t))
    return f"{10.0**d:g}" if -2 <= d <= 3 else f"1e{d:+d}"
