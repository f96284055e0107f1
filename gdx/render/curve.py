"""A function of one variable, drawn with plotext: f above, f′ below (with its zero line), the
x axis shared; known minima as ★ on f and each path's points on the curve (letters a, b, …
without colour, as on a landscape)."""

from __future__ import annotations

from .landscape import LETTERS, PATH_COLORS


def curve_text(curve, *, width: int = 80, height: int = 24, color: bool = False) -> str:
    """f and f′ as two plots of ``height``/2 rows each (ANSI colours only when ``color``)."""
    import numpy as np
    import plotext as plt

    name = curve.target.problem.variables[0]
    parts = []
    for which, values in (("f", curve.f), ("f′", curve.df)):
        ok = np.isfinite(values)
        plt.clear_figure()
        plt.plot_size(max(30, width), max(8, height // 2))
        plt.plot(curve.x[ok].tolist(), values[ok].tolist(), marker="braille", color="cyan" if color else "default")
        if which == "f′":
            plt.hline(0.0, "gray" if color else "default")
        else:
            for x, f in curve.minima:
                plt.scatter([x], [f], marker="★", color="green" if color else "default")
            for k, (label, xs, fs) in enumerate(curve.paths):
                good = np.isfinite(xs) & np.isfinite(fs)
                marker = LETTERS[k % len(LETTERS)]
                plt.scatter(xs[good].tolist(), fs[good].tolist(), marker=marker,
                            color=PATH_COLORS[k % len(PATH_COLORS)] if color else "default")
        plt.xlim(curve.lo, curve.hi)
        plt.title(f"{which}({name})")
        plt.xlabel(name)
        plt.theme("clear" if not color else "pro")
        text = plt.build()
        plt.clear_figure()
        parts.append(text if color else plt.uncolorize(text))
    legend = [f"{LETTERS[k % len(LETTERS)]} = {label}: {len(xs)} points" for k, (label, xs, _) in enumerate(curve.paths)]
    return "\n".join(parts + legend)


def show_curve(out, curve, *, width=None, height=None) -> None:
    """Print the curve on ``out`` at its width (at most 200 columns)."""
    from rich.text import Text

    from .console import terminal_color

    color = terminal_color(out)
    width = int(width or min(out.width, 200))
    text = curve_text(curve, width=width, height=int(height or 24), color=color)
    if color:
        out.print(Text.from_ansi(text), crop=False, soft_wrap=True)
    else:
        out.file.write(text + "\n")
