"""Figures to keep: the landscape as a filled contour map with paths and minima, and loss curves.

matplotlib is an optional extra (``pip install "gdx[png]"``).  It is imported only when a
figure is drawn; without it, :func:`require_matplotlib` raises a GdxError saying how to get
it.  Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global backend) and
written atomically by :func:`gdx.paths.write_atomic`.

Contour levels are the same bands as the terminal's (:func:`gdx.landscape.levels`): linear, or
equally spaced in log10(f − f_min + ε) when f spans decades; the colours are spread evenly over
the bands (a BoundaryNorm), so a log landscape uses the whole viridis scale.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import GdxError

FORMATS = (".png", ".svg", ".pdf")
INSTALL_HINT = 'install the extra: pip install "gdx[png]" (from a checkout: pip install ".[png]"), or just: pip install matplotlib'
PNG_LEVELS = 20
PNG_GRID = (240, 240)
PANEL_SPACE = 0.08  # the space between the map's colour bar and the loss panel (a fraction of the figure)
PATH_COLORS = tuple(f"C{k}" for k in (3, 1, 6, 9, 0, 2, 4, 5, 7, 8))  # a path and its loss curve share one
MARKERS = {"minimum": ("*", 15), "saddle": ("X", 9), "maximum": ("^", 9)}


def require_matplotlib(flag: str = "--png"):
    """The matplotlib module, or a GdxError with the install hint when the extra is missing."""
    try:
        import matplotlib
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise GdxError(f"{flag} needs matplotlib, which is not installed", kind="missing extra",
                       hint=INSTALL_HINT) from None
    return matplotlib


def check_png_path(path, *, flag: str = "--png") -> Path:
    """Refuse, before any work, a figure path that could not be written (or has no known format)."""
    from ..paths import check_output_file

    return check_output_file(path, flag=flag, formats=FORMATS)


def prepare_png(path, *, flag: str = "--png") -> Path:
    """Both checks at once, for a command about to start: the path is writable and matplotlib is there."""
    p = check_png_path(path, flag=flag)
    require_matplotlib()
    return p


def marker_style(kind: str):
    kind = (kind or "").lower()
    for key, style in MARKERS.items():
        if key in kind:
            return style
    return ("P", 9)


def figure(grid=None, *, paths=(), points=(), curves=(), log: bool | None = None, title: str | None = None):
    """A Figure: the landscape (when ``grid``) and/or the loss curves (when ``curves``), side by side.

    ``paths``: (label, (N, 2) array); ``points``: (label, (x, y), kind); ``curves``: (label, steps, losses).
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    panels = (grid is not None) + bool(curves)
    fig = Figure(figsize=(6.4 * panels if panels else 6.4, 5.4), layout="constrained", dpi=150)
    fig.get_layout_engine().set(wspace=PANEL_SPACE)
    axes = fig.subplots(1, max(1, panels), squeeze=False)[0]
    i = 0
    if grid is not None:
        _landscape(fig, axes[i], grid, paths, points, log)
        i += 1
    if curves:
        _curves(axes[i], curves)
    if title:
        fig.suptitle(title)
    return fig


def _landscape(fig, ax, grid, paths, points, log) -> None:
    import numpy as np

    map_background(fig, ax, grid, points, log)
    for k, (label, p) in enumerate(paths):
        p = np.asarray(p, float).reshape(-1, 2)
        p = p[np.all(np.isfinite(p), axis=1)]
        if not len(p):
            continue
        c = PATH_COLORS[k % len(PATH_COLORS)]
        ax.plot(p[:, 0], p[:, 1], "-", color=c, lw=1.4, label=label, zorder=3)
        ax.plot(p[:, 0], p[:, 1], ".", color=c, ms=2.5, zorder=3)
        ax.plot(*p[0], "o", color=c, mec="k", ms=7, zorder=4)
        ax.plot(*p[-1], "s", color=c, mec="k", ms=7, zorder=4)
    if paths or points:
        ax.legend(loc="best", fontsize=8, framealpha=0.85)


def map_background(fig, ax, grid, points, log, *, bar: bool = True) -> None:
    """What does not move: the filled contour map (gdx.landscape.levels' bands), its colour bar,
    the known points, the limits and the axis labels (shared by the figures and gdx.render.gif)."""
    import numpy as np
    from matplotlib.colors import BoundaryNorm

    from ..landscape import levels

    lv = levels(grid.values, PNG_LEVELS, log)
    edges = np.array(lv.edges, float)
    edges = np.unique(edges)
    z = np.ma.masked_invalid(np.asarray(grid.values, float))
    norm = BoundaryNorm(edges, ncolors=256, clip=True)
    filled = ax.contourf(grid.xs, grid.ys, z, levels=edges, cmap="viridis", norm=norm, extend="neither")
    ax.contour(grid.xs, grid.ys, z, levels=edges, colors="k", linewidths=0.3, alpha=0.5)
    if bar:
        bar = fig.colorbar(filled, ax=ax, shrink=0.9)
        # The bar's label on its left (between map and bar), its ticks on the right: on the right,
        # the label sat against the loss panel's "loss" label (issue 14).
        bar.set_label("f (log-spaced levels)" if lv.log else "f")
        bar.ax.yaxis.set_label_position("left")
        ticks = edges[:: max(1, len(edges) // 6)]
        bar.set_ticks(ticks)
        bar.set_ticklabels([f"{t:.3g}" for t in ticks])
    shown = set()
    for label, (x, y), kind in points:
        marker, size = marker_style(kind)
        name = (kind or label).split()[-1] if kind else label
        ax.plot(x, y, marker, color="white", mec="k", ms=size, zorder=5,
                label=None if name in shown else name)
        shown.add(name)
    ax.set_xlim(grid.xs[0], grid.xs[-1])
    ax.set_ylim(grid.ys[0], grid.ys[-1])
    ax.set_xlabel(grid.names[0])
    ax.set_ylabel(grid.names[1])
    if grid.fixed:
        ax.set_title("slice " + ", ".join(f"{k} = {v:.4g}" for k, v in grid.fixed.items()), fontsize=9)


def curve_scale(losses):
    """(transform, y label, log?) shared by all curves: log y when the loss is positive and spans
    two decades; loss − min(loss) on a log axis when it reaches ≤ 0 but its gap spans three."""
    import numpy as np

    finite = np.concatenate([np.asarray(v, float)[np.isfinite(v)] for v in losses] or [np.zeros(0)])
    if finite.size == 0:
        return (lambda v: v), "loss", False
    lo, hi = float(finite.min()), float(finite.max())
    if lo > 0 and hi / lo >= 100:
        return (lambda v: v), "loss", True
    gap = finite - lo
    positive = gap[gap > 0]
    if positive.size >= 2 and positive.max() / positive.min() >= 1e3:
        floor = float(positive.min()) / 10
        return (lambda v: np.maximum(np.asarray(v, float) - lo, floor)), f"loss − min(loss)  (min = {lo:.6g})", True
    return (lambda v: v), "loss", False


def _curves(ax, curves) -> None:
    import numpy as np

    transform, label, log = curve_scale([c[2] for c in curves])
    lengths = [len(c[1]) for c in curves if len(c[1])] or [1]
    log_x = max(lengths) >= 100 and max(lengths) >= 20 * min(lengths)  # as in the terminal's curves
    colors = PATH_COLORS
    for k, (name, steps, loss) in enumerate(curves):
        loss = np.asarray(loss, float)
        ok = np.isfinite(loss)
        x = np.asarray(steps, float)[ok] + (1 if log_x else 0)
        ax.plot(x, transform(loss[ok]), color=colors[k % len(colors)], lw=1.4, label=name,
                marker="." if ok.sum() < 30 else None, ms=4)
    if log:
        ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("step + 1 (log scale)" if log_x else "step")
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def save(fig, path) -> Path:
    """Write the figure to ``path`` (format from the suffix) atomically (gdx.paths.write_atomic)."""
    from ..paths import write_atomic

    p = Path(path)
    return write_atomic(p, lambda tmp: fig.savefig(tmp, format=p.suffix.lower().lstrip(".")))


def write_figure(path, grid=None, **kwargs) -> Path:
    """:func:`figure` then :func:`save`."""
    return save(figure(grid, **kwargs), path)
