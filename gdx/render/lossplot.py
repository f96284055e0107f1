"""The loss curve, drawn with plotext.

The y axis is logarithmic when the loss is positive and spans two decades or more.  When the
loss reaches zero or below but its distance to the best value spans decades (a minimum value
of −1.03, say), the curve shows ``loss − min(loss)`` on a log axis instead, and says so.
"""

from __future__ import annotations

import math


def loss_curve(path, *, width: int = 80, height: int = 16, color: bool = False, title: str = "loss") -> str:
    """The plot as text (ANSI colours only when ``color``)."""
    import numpy as np
    import plotext as plt

    k = np.asarray(path.k, dtype=float)
    loss = np.asarray(path.loss, dtype=float)
    ok = np.isfinite(loss)
    k, loss = k[ok], loss[ok]
    if len(loss) == 0:
        return "(no finite loss values to plot)"
    series = _minibatch_series(path, ok, k, loss)
    if series is not None:
        y_all, label, log = _scale(np.concatenate([s[2] for s in series]))
        cuts = np.cumsum([len(s[2]) for s in series])[:-1]
        series = [(name, kk, yy) for (name, kk, _), yy in zip(series, np.split(y_all, cuts))]
        y = y_all
    else:
        y, label, log = _scale(loss)
    plt.clear_figure()
    plt.plot_size(max(30, width), max(8, height))
    if log:
        # Plot log10(y) on a linear axis and label whole decades: plotext's own log axis
        # prints fixed-point labels (0.000000000042) that are unreadable over many decades.
        y = np.log10(y)
        lo, hi = math.floor(float(y.min())), math.ceil(float(y.max()))
        stride = max(1, math.ceil((hi - lo) / 6))
        decades = list(range(lo, hi + 1, stride))
        plt.yticks(decades, [_decade(d) for d in decades])
        plt.ylim(lo, max(hi, lo + 1))  # every decade label inside the frame, none on the title line
    ticks = step_ticks(int(k.max()))
    plt.xticks(ticks, [str(t) for t in ticks])
    if series is not None:
        for name, kk, yy in series:
            yy = np.log10(yy) if log else yy
            if name.startswith("full"):
                plt.scatter(kk.tolist(), yy.tolist(), marker="x", label=name)
            else:
                plt.plot(kk.tolist(), yy.tolist(), marker="braille", label=name)
    elif len(k) == 1:
        plt.scatter(k.tolist(), y.tolist(), marker="dot")
    else:
        plt.plot(k.tolist(), y.tolist(), marker="braille")
    plt.title(label if title == "loss" else title)
    plt.xlabel("step")
    plt.theme("clear" if not color else "pro")
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)


def _minibatch_series(path, ok, k, loss):
    """A minibatch run's curves (name, steps, values): the batch loss, its moving average
    (gdx.minibatch.ema) and the full-data loss where it was recorded; None for other runs."""
    import numpy as np

    if getattr(path, "epoch", None) is None or path.full_loss is None:
        return None
    from ..minibatch import EMA_BETA, ema

    full = np.asarray(path.full_loss, dtype=float)
    kf = np.asarray(path.k, dtype=float)
    fine = np.isfinite(full)
    return [("batch loss", k, loss), (f"EMA (β = {EMA_BETA})", k, ema(loss)), ("full-data loss", kf[fine], full[fine])]


def step_ticks(last: int, most: int = 6) -> list[int]:
    """Whole steps 0, s, 2s, … ≤ ``last`` with s the smallest of 1, 2, 5 × 10ⁿ giving ≤ ``most`` intervals."""
    stride = 1
    while last / stride > most:
        for factor in (2, 5 / 2, 2):  # 1 → 2 → 5 → 10 → 20 …
            stride = round(stride * factor)
            if last / stride <= most:
                break
    return list(range(0, max(last, 0) + 1, stride))


def _scale(loss):
    """(values to plot, axis label, log?) for a loss sequence."""
    import numpy as np

    lo, hi = float(loss.min()), float(loss.max())
    if lo > 0 and hi / lo >= 100:
        return loss, "loss (log scale)", True
    if lo <= 0 or hi / lo < 100:
        gap = loss - lo
        positive = gap[gap > 0]
        if len(positive) >= 2 and positive.max() / positive.min() >= 1e3:
            floor = positive.min() / 10
            return np.maximum(gap, floor), f"loss − min(loss) (log scale; min = {lo:.6g})", True
    return loss, "loss", False



def _decade(d: int) -> str:
    """10^d as a short label: 1, 10, 100, 1e3 … 1e-3."""
    return {0: "1", 1: "10", 2: "100", -1: "0.1", -2: "0.01"}.get(d, f"1e{d}")
