"""``gdx schedules``: the table of schedules, and one schedule's lr(k) drawn with plotext.

The y axis is logarithmic (decades labelled) when the rates are positive and span two decades
or more, as the loss curve's (:mod:`gdx.render.lossplot`).
"""

from __future__ import annotations

import math

from ..numbers import fmt


def schedules_text(items: list) -> str:
    """Every schedule as three lines: name and torch equivalent, the formula of lr(k), its flags
    with their defaults (or "required" / "the run's"); then how to type an expression."""
    blocks = ["every schedule: its torch equivalent, lr(k) for update k (k = 0 first), its flags with defaults"
              " (· = required, or from the run: see the formula)"]
    for item in items:
        flags = ", ".join(p["flag"] + " " + ("·" if p["default"] is None else fmt(p["default"]))
                          for p in item["parameters"])
        blocks.append(f"{item['name']}  ·  {item['torch']}\n  lr(k) = {item['formula']}\n"
                      f"  flags: {flags or 'none'}")
    blocks.append('an expression in k and lr, e.g. --schedule "lr*0.5**floor(k/10)" (= step, γ 0.5, step_size 10)\n'
                  "  + - * / ** and sin, cos, exp, log, sqrt, min, max, floor, ceil, …; pi, e")
    return "\n\n".join(blocks)


def schedule_curve(curve: dict, *, width: int = 80, height: int = 16, color: bool = False) -> str:
    """lr(k) for k = 0 … steps − 1 as a plotext plot (text; ANSI colours only when ``color``)."""
    import plotext as plt

    from .lossplot import _decade

    k = list(range(len(curve["values"])))
    y = list(curve["values"])
    lo, hi = min(y), max(y)
    log = lo > 0 and hi / lo >= 100
    plt.clear_figure()
    plt.plot_size(max(30, width), max(8, height))
    if log:
        y = [math.log10(v) for v in y]
        bottom, top = math.floor(min(y)), math.ceil(max(y))
        stride = max(1, math.ceil((top - bottom) / 6))
        decades = list(range(bottom, top + 1, stride))
        plt.yticks(decades, [_decade(d) for d in decades])
    if len(k) == 1:
        plt.scatter(k, y, marker="dot")
    else:
        plt.plot(k, y, marker="braille")
    plt.title(f"lr(k): {curve['schedule']}" + (" (log scale)" if log else ""))
    plt.xlabel("update k")
    plt.theme("clear" if not color else "pro")
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)


def schedule_values(curve: dict) -> str:
    """The first, smallest, largest and last rate, with the k where each is reached."""
    values = curve["values"]
    last = len(values) - 1
    lo, hi = values.index(curve["min"]), values.index(curve["max"])
    return (f"lr(0) = {fmt(values[0])}   min lr({lo}) = {fmt(curve['min'])}   max lr({hi}) = {fmt(curve['max'])}"
            f"   lr({last}) = {fmt(values[last])}")
