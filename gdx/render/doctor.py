"""``gdx doctor``'s report: what was read (and skipped), the curve, the findings.

The plot (plotext) draws the raw training loss (``·``), its smoothed curve (fastai's EMA, or a
minibatch run's full-data loss, ``•``),
the validation loss (``v``) and a letter above the step where each finding begins; the y axis is
log10 with decade ticks when the loss is positive and spans two decades or more.  At most
:data:`PLOT_POINTS` points a curve (every k-th row of a longer log).
"""

from __future__ import annotations

import math

from ..numbers import fmt

PLOT_POINTS = 1000
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def render_doctor(out, outcome) -> None:
    from .console import safe_text, terminal_color

    log = outcome.log
    width = min(out.width, 100)
    color = terminal_color(out)
    cols = ", ".join(f"{role}={safe_text(name, markup=False)}" for role, name in log.columns.items())
    lines = _wrap(f"{safe_text(log.path, markup=False)}: {log.format}, {log.rows} rows; columns {cols}", width)
    lines += _skips(log.skipped, width)
    out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
    for r in outcome.reports:
        s = r.series
        head = f"run {safe_text(s.name, markup=False)}: " if s.name is not None else ""
        from ..doctor import step_text

        text = [""] + _wrap(f"{head}{len(s.loss)} loss values, steps {step_text(s.step[0])}–{step_text(s.step[-1])}",
                            width)
        text += _skips(s.skipped, width)
        out.print("\n".join(text), markup=False, highlight=False, soft_wrap=True)
        if r.range_test is not None:
            out.print(range_plot(r.range_test, width=width, color=color), markup=False, highlight=False,
                      soft_wrap=True)
            out.print(range_text(r.range_test), markup=False, highlight=False, soft_wrap=True)
            continue
        d = r.diagnosis
        marks = [(LETTERS[i % 26], f.start) for i, f in enumerate(d.findings) if f.kind != "healthy"]
        out.print(doctor_plot(s, d.ema, marks, width=width, color=color, smooth=d.extra.get("smooth", "ema")),
                  markup=False, highlight=False,
                  soft_wrap=True)
        out.print(findings_text(d.findings, width), markup=False, highlight=False, soft_wrap=True)
        out.print("\n".join(_wrap(f"summary: {d.summary}", width)), markup=False, highlight=False, soft_wrap=True)


def _wrap(text: str, width: int, indent: str = "") -> list:
    import textwrap

    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False) or [""]


def _skips(skips, width: int) -> list:
    from .console import safe_text

    out = []
    for k in skips:
        out += _wrap(f"skipped/changed — {safe_text(k.text(), markup=False)}", width, "  ")
    return out


def findings_text(findings, width: int = 80) -> str:
    """Each finding: letter, kind, steps, evidence (name = number), suggestion, ambiguity."""
    import textwrap

    from ..doctor import step_text

    lines = []
    for i, f in enumerate(findings):
        letter = LETTERS[i % 26] if f.kind != "healthy" else " "
        span = f"step {step_text(f.start)}" if f.start == f.end else f"steps {step_text(f.start)}–{step_text(f.end)}"
        lines.append(f"{letter} {f.kind:<12} {span}")
        ev = "  ".join(f"{k}={_value(v)}" for k, v in f.evidence.items() if v is not None)
        lines += textwrap.wrap(ev, width - 4, initial_indent="    ", subsequent_indent="    ")
        lines += textwrap.wrap("→ " + f.suggestion, width - 4, initial_indent="    ", subsequent_indent="      ")
        if f.ambiguous:
            lines += textwrap.wrap("? " + f.ambiguous, width - 4, initial_indent="    ", subsequent_indent="      ")
    return "\n".join(lines)


def _value(v) -> str:
    if isinstance(v, list):
        return "[" + ",".join(_value(e) for e in v[:5]) + ("…" if len(v) > 5 else "") + "]"
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return fmt(v, 4)


def _thin(x, y):
    import numpy as np

    k = max(1, -(-len(x) // PLOT_POINTS))
    return np.asarray(x[::k], float), np.asarray(y[::k], float)


def doctor_plot(series, ema, marks, *, width: int = 80, height: int = 18, color: bool = False,
                smooth: str = "ema") -> str:
    """Raw loss, its smooth curve (the EMA, or a minibatch run's full-data loss when ``smooth`` is
    "full_loss"), validation loss and finding letters on one plotext plot (text)."""
    import numpy as np
    import plotext as plt

    from .curves import _decade, decade_ticks

    name = "full" if smooth == "full_loss" else "EMA"
    second = _thin(series.full_step, series.full) if smooth == "full_loss" else _thin(series.step, ema)
    curves = [("loss", *_thin(series.step, series.loss), "·"), (name, *second, "•")]
    if len(series.val):
        curves.append(("val", *_thin(series.val_step, series.val), "v"))
    finite = np.concatenate([y[np.isfinite(y)] for _, _, y, _ in curves])
    if len(finite) == 0:
        return "(no finite loss values to plot)"
    lo, hi = float(finite.min()), float(finite.max())
    log = lo > 0 and hi / lo >= 100
    plt.clear_figure()
    plt.plot_size(max(30, width), max(8, height))
    ys = []
    for label, x, y, marker in curves:
        ok = np.isfinite(y)
        if not ok.any():
            continue
        yy = np.log10(y[ok]) if log else y[ok]
        ys.append(yy)
        plt.plot(x[ok].tolist(), yy.tolist(), marker=marker if not color else "braille",
                 color={"loss": (150, 150, 150), name: (40, 120, 220), "val": (220, 120, 40)}[label] if color else None)
    top = max(float(v.max()) for v in ys)
    bottom = min(float(v.min()) for v in ys)
    if log:
        ticks = decade_ticks(bottom, top)
        plt.yticks(ticks, [_decade(t) for t in ticks])
        plt.ylim(ticks[0], max(ticks[-1], ticks[0] + 1))
        top = max(ticks[-1], ticks[0] + 1)
    from .lossplot import step_ticks

    first, last = float(series.step[0]), float(series.step[-1])
    ticks = [first + t for t in step_ticks(int(last - first))] if last - first >= 1 else [first]
    plt.xticks(ticks, [fmt(t) for t in ticks])
    for letters, at in _columns(marks, first, last, width):
        plt.vline(at, (200, 60, 60) if color else None)
        plt.text(letters, at, top, alignment="left")
    plt.title("loss (log scale)" if log else "loss")
    plt.xlabel(("step   · batch loss   • full-data loss" if name == "full" else "step   · loss   • EMA") + ("   v val" if len(series.val) else "") + ("   A… findings" if marks else ""))
    plt.theme("clear" if not color else "pro")
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)


def _columns(marks, first: float, last: float, width: int):
    """(letters, step) of the marks, those that fall in one column of the plot written together
    ("ACD"), so no letter hides another."""
    cols: dict = {}
    span = max(last - first, 1e-300)
    for letter, at in marks:
        if math.isfinite(at):
            c = round((at - first) / span * max(1, width - 10))
            cols.setdefault(c, [letter, at])
            if letter not in cols[c][0]:
                cols[c][0] += letter
    return [(v[0], v[1]) for v in cols.values()]


def range_plot(t, *, width: int = 80, height: int = 16, color: bool = False) -> str:
    """The range test: smoothed loss against log10(lr), the two suggestions marked S and M."""
    import numpy as np
    import plotext as plt

    x = np.log10(t.lr[: t.end])
    y = t.smooth[: t.end]
    ok = np.isfinite(y)
    log = ok.any() and float(y[ok].min()) > 0 and float(y[ok].max()) / float(y[ok].min()) >= 100
    if log:
        y = np.log10(np.where(y > 0, y, np.nan))
        ok = np.isfinite(y)
    plt.clear_figure()
    plt.plot_size(max(30, width), max(8, height))
    plt.plot(x[ok].tolist(), y[ok].tolist(), marker="•" if not color else "braille")
    top = float(np.nanmax(y[ok])) if ok.any() else 1.0
    if log:
        from .curves import _decade, decade_ticks

        yt = decade_ticks(float(np.nanmin(y[ok])), top)
        plt.yticks(yt, [_decade(v) for v in yt])
        plt.ylim(yt[0], max(yt[-1], yt[0] + 1))
        top = max(yt[-1], yt[0] + 1)
    for letter, lr in (("S", t.steep), ("M", t.minimum), ("X", t.blew_up_lr)):
        if lr is not None and lr > 0:
            plt.vline(math.log10(lr))
            plt.text(letter, math.log10(lr), top, alignment="center")
    lo, hi = math.floor(float(x.min())), math.ceil(float(x.max()))
    ticks = list(range(lo, hi + 1, max(1, math.ceil((hi - lo) / 7))))
    plt.xticks(ticks, [f"1e{d}" for d in ticks])
    plt.title("smoothed loss (log scale) vs lr (log scale)" if log else "smoothed loss vs lr (log scale)")
    plt.xlabel("lr   S steepest   M minimum/10   X blew up")
    plt.theme("clear" if not color else "pro")
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)


def range_text(t) -> str:
    lines = [f"S steepest descent   lr = {fmt(t.steep, 4)}",
             f"M minimum ÷ 10       lr = {fmt(t.minimum, 4)}   (lowest smoothed loss at lr {fmt(t.lr_min_loss, 4)})",
             f"X blew up            " + (f"lr = {fmt(t.blew_up_lr, 4)}   (smoothed loss > 4× its best)"
                                         if t.blew_up_lr is not None else "never (the loss stayed below 4× its best)"),
             f"  fastai's lr_find rules on {t.kept} rows (the first 10% and the last 5 before the",
             "  blow-up left out)"]
    return "\n".join(lines)
