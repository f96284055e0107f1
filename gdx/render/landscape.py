"""The landscape in the terminal: a heatmap (or contour map) of f with paths and markers on it.

Without colour (pipes, ``NO_COLOR``, tests) every cell is one grid sample drawn with a shade
from :data:`RAMP` — low f is blank, high f is ``@`` — so the picture reads in plain text.  With
colour, every cell is two samples: ``▀`` with the upper sample as foreground and the lower one
as background, coloured along the scale of the terminal's colour depth (gdx.render.palette:
viridis in 24-bit colour, distinct xterm entries in 256 colours, a reduced ramp in 16).

On top, in this order (later wins a cell): the line of each path (a, b, c, …; segments between
successive points drawn with Bresenham's algorithm, clipped to the box), the known points
(★ minimum, × saddle, ▲ maximum), each path's start ◆, and its end (A, B, C, …).

Layout: y tick labels in a column of :data:`LABEL_WIDTH` characters, the axis, the map; under
it the x axis with ticks, then a legend (shade scale with its values, markers) wrapped to the
width.
"""

from __future__ import annotations

import math

from .console import fmt
from .palette import palette, sgr

RAMP = " .:-=+*#%@"
NAN_CHAR = "?"
START_CHAR = "◆"
LETTERS = "abcdefghijklmnpqrstuvwxyz"  # no 'o': it reads as a marker
LABEL_WIDTH = 9  # y tick labels, right-aligned
PATH_COLORS = ((255, 64, 64), (255, 255, 255), (255, 110, 255), (0, 229, 255), (255, 160, 0), (0, 0, 0))
POINT_COLOR = (255, 255, 255)
MARKERS = {"minimum": "★", "global minimum": "★", "local minimum": "★", "saddle": "×", "maximum": "▲"}


def marker_for(kind: str) -> str:
    """★ for minima, × for saddles, ▲ for maxima, + for anything else."""
    kind = (kind or "").lower()
    if "min" in kind:
        return "★"
    if "saddle" in kind:
        return "×"
    if "max" in kind:
        return "▲"
    return "+"


def plot_columns(width: int) -> int:
    """Map columns for a total ``width``: the label column, the axis and one spare column go;
    then down to 4k + 1 columns so the five x ticks fall on exact samples."""
    cols = max(13, int(width) - LABEL_WIDTH - 2)
    return cols - (cols - 1) % 4


def plot_rows(box2, cols: int, *, max_rows: int = 30, min_rows: int = 8) -> int:
    """Text rows that keep the box's aspect (a cell is about twice as tall as it is wide), clamped."""
    (x_lo, x_hi), (y_lo, y_hi) = box2
    rows = int(max(min_rows, min(max_rows, round(cols * (y_hi - y_lo) / (x_hi - x_lo) / 2.0))))
    rows -= (rows - 1) % 4  # 4k + 1 rows: the y ticks fall on exact samples
    return rows + 4 if rows < min_rows else rows  # not below the floor


def map_rows(box2, cols: int, height: int | None) -> int:
    """``height`` rows exactly, as asked (the y ticks then fall on the samples that divide it
    evenly, see :func:`_framed`), else :func:`plot_rows`."""
    if height is None:
        return plot_rows(box2, cols)
    return max(3, int(height))


def map_size(box2, width: int, height: int | None = None, *, max_rows: int = 30) -> tuple[int, int]:
    """(rows, cols) of the map at this total ``width``.  Without ``height`` the map keeps the
    box's aspect with a cell twice as tall as wide: rows = cols·(Δy/Δx)/2; when that is over
    ``max_rows`` the rows stop at the cap and the columns shrink to cap·2·(Δx/Δy) (4k + 1, at
    least 13), so a square box stays square at any width instead of being stretched sideways."""
    cols = plot_columns(width)
    if height is not None:
        return map_rows(box2, cols, height), cols
    (x_lo, x_hi), (y_lo, y_hi) = box2
    rows = plot_rows(box2, cols, max_rows=max_rows)
    if cols * (y_hi - y_lo) / (x_hi - x_lo) / 2.0 > max_rows:
        fitted = max(13, min(cols, round(rows * 2.0 * (x_hi - x_lo) / (y_hi - y_lo))))
        cols = fitted - (fitted - 1) % 4
    return rows, cols


def grid_shape(width: int, box2, *, color: bool, height: int | None = None) -> tuple[int, int]:
    """(rows, cols) of samples the renderer draws one-to-one at this width (two rows per cell with colour)."""
    rows, cols = map_size(box2, width, height)
    return (rows * (2 if color else 1), cols)


def landscape_text(grid, *, paths=(), points=(), width: int = 80, height: int | None = None, color: bool = False,
                   log: bool | None = None, title: str | None = None, style: str = "heatmap",
                   depth: str = "truecolor") -> str:
    """The landscape as text (ANSI colour codes only when ``color``, in the palette of ``depth``:
    ``truecolor``, ``256`` or ``16``, see gdx.render.palette).

    ``paths``: ``(label, array (N, 2))`` in plot coordinates; ``points``: ``(label, (x, y), char)``.
    ``height`` is the number of map rows (default: keep the aspect, see :func:`plot_rows`).
    ``style``: ``heatmap`` or ``contour`` (only the band boundaries are drawn).
    """
    import numpy as np

    from ..landscape import levels as make_levels

    xs, ys = np.asarray(grid.xs, float), np.asarray(grid.ys, float)
    box2 = ((float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1])))
    rows, cols = map_size(box2, width, height)
    sub = 2 if color and style == "heatmap" else 1
    values = _resample(np.asarray(grid.values, float), rows * sub, cols)[::-1]  # row 0 = top (max y)
    colors = palette(depth) if color else ()
    count = len(colors) if color and style == "heatmap" else len(RAMP)  # contour lines: 10 bands
    lv = make_levels(grid.values, count, log)
    band = lv.index(values)

    canvas = _Canvas(rows, cols, colors)
    if style == "contour":
        canvas.contour(band, count)
    else:
        canvas.heatmap(band, count)

    to_cell = _Mapper(box2, rows, cols)
    outside = []
    drawn_paths = [(label, np.asarray(p, float).reshape(-1, 2)) for label, p in paths]
    for i, (label, p) in enumerate(drawn_paths):
        letter = LETTERS[i % len(LETTERS)]
        canvas.line(to_cell.cells(p), letter, PATH_COLORS[i % len(PATH_COLORS)], priority=1)
        if _leaves(p, box2):
            outside.append(letter)
    drawn_points, away = [], []  # the known points inside the box (drawn) and outside it
    for label, (x, y), char in points:
        cell = to_cell.cell(x, y)
        if cell is not None:
            canvas.put(cell, char, POINT_COLOR, priority=2)
        (drawn_points if cell is not None else away).append((label, (x, y), char))
    for i, (label, p) in enumerate(drawn_paths):
        finite = p[np.all(np.isfinite(p), axis=1)]
        if len(finite):
            start, end = to_cell.cell(*finite[0]), to_cell.cell(*finite[-1])
            color_i = PATH_COLORS[i % len(PATH_COLORS)]
            if start is not None:
                canvas.put(start, START_CHAR, color_i, priority=3)
            if end is not None and len(finite) > 1:
                canvas.put(end, LETTERS[i % len(LETTERS)].upper(), color_i, priority=4)

    lines = []
    if title:
        lines.append(_clip(title, width))
    lines.extend(_framed(canvas.lines(), box2, rows, cols, grid.names))
    lines.extend(_legend(lv, count, colors, drawn_paths, drawn_points, outside, bool(np.isnan(values).any()), grid,
                         width, away))
    return "\n".join(lines)


# -- sampling and mapping -------------------------------------------------------------------
def _resample(values, rows: int, cols: int):
    """Nearest-neighbour resampling of a (r, c) array to (rows, cols)."""
    import numpy as np

    r, c = values.shape
    if (r, c) == (rows, cols):
        return values
    ri = np.clip(np.round(np.linspace(0, r - 1, rows)).astype(int), 0, r - 1)
    ci = np.clip(np.round(np.linspace(0, c - 1, cols)).astype(int), 0, c - 1)
    return values[np.ix_(ri, ci)]


class _Mapper:
    """Plot coordinates → (row, col) cells; row 0 is the top (y = y_hi), col 0 is x = x_lo."""

    def __init__(self, box2, rows: int, cols: int) -> None:
        (self.x_lo, self.x_hi), (self.y_lo, self.y_hi) = box2
        self.rows, self.cols = rows, cols

    def fractional(self, p):
        """(N, 2) points → (N, 2) float (col, row) coordinates (not clipped)."""
        import numpy as np

        col = (p[:, 0] - self.x_lo) / (self.x_hi - self.x_lo) * (self.cols - 1)
        row = (self.y_hi - p[:, 1]) / (self.y_hi - self.y_lo) * (self.rows - 1)
        return np.stack([col, row], axis=1)

    def cell(self, x: float, y: float):
        import numpy as np

        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        c, r = self.fractional(np.array([[x, y]], float))[0]
        c, r = int(round(c)), int(round(r))
        return (r, c) if 0 <= r < self.rows and 0 <= c < self.cols else None

    def cells(self, p) -> list[tuple[int, int]]:
        """The cells of the polyline through the finite points of p (stops at the first non-finite one)."""
        import numpy as np

        ok = np.all(np.isfinite(p), axis=1)
        if not ok.all():
            p = p[: int(np.argmin(ok))]
        if len(p) == 0:
            return []
        q = self.fractional(p)
        keep = np.ones(len(q), bool)
        rounded = np.round(np.clip(q, -1e9, 1e9))
        keep[1:] = np.any(rounded[1:] != rounded[:-1], axis=1)
        q = q[keep]
        out: list[tuple[int, int]] = []
        if len(q) == 1:
            cell = (int(round(q[0, 1])), int(round(q[0, 0])))
            return [cell] if 0 <= cell[0] < self.rows and 0 <= cell[1] < self.cols else []
        for (c0, r0), (c1, r1) in zip(q[:-1], q[1:]):
            seg = _clip_segment(c0, r0, c1, r1, self.cols - 1, self.rows - 1)
            if seg is not None:
                out.extend(_bresenham(*seg))
        return out


def _clip_segment(x0, y0, x1, y1, x_max, y_max):
    """Liang–Barsky: the part of the segment inside [−0.5, x_max+0.5] × [−0.5, y_max+0.5], rounded to cells."""
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 + 0.49), (dx, x_max + 0.49 - x0), (-dy, y0 + 0.49), (dy, y_max + 0.49 - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            if t > t1:
                return None
            t0 = max(t0, t)
        else:
            if t < t0:
                return None
            t1 = min(t1, t)
    ax, ay = x0 + t0 * dx, y0 + t0 * dy
    bx, by = x0 + t1 * dx, y0 + t1 * dy
    clamp = lambda v, hi: int(min(max(round(v), 0), hi))  # noqa: E731
    return clamp(ax, x_max), clamp(ay, y_max), clamp(bx, x_max), clamp(by, y_max)


def _bresenham(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    """Cells (row, col) of the line from (x0, y0) to (x1, y1), both ends included (Bresenham 1965)."""
    out = []
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    while True:
        out.append((y0, x0))
        if x0 == x1 and y0 == y1:
            return out
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def _leaves(p, box2) -> bool:
    """Whether any point of the path is outside the box (or not finite)."""
    import numpy as np

    (x_lo, x_hi), (y_lo, y_hi) = box2
    with np.errstate(invalid="ignore"):
        inside = (p[:, 0] >= x_lo) & (p[:, 0] <= x_hi) & (p[:, 1] >= y_lo) & (p[:, 1] <= y_hi)
    return bool(len(p)) and not bool(inside.all())


# -- the canvas -------------------------------------------------------------------------------
def band_color(b: int, count: int, colors):
    """The colour of band ``b`` of ``count``: the palette entry at the same fraction of the scale
    (None for an undefined sample, b < 0)."""
    if b < 0:
        return None
    return colors[round(b / max(1, count - 1) * (len(colors) - 1))]


class _Canvas:
    """A grid of cells, each a character with optional fg/bg colours and a draw priority."""

    def __init__(self, rows: int, cols: int, colors) -> None:
        self.rows, self.cols, self.colors, self.color = rows, cols, colors, bool(colors)
        self.char = [[" "] * cols for _ in range(rows)]
        self.fg = [[None] * cols for _ in range(rows)]
        self.bg = [[None] * cols for _ in range(rows)]
        self.bold = [[False] * cols for _ in range(rows)]
        self.priority = [[0] * cols for _ in range(rows)]

    def heatmap(self, band, count: int) -> None:
        if not self.color:
            for r in range(self.rows):
                self.char[r] = [NAN_CHAR if b < 0 else RAMP[b] for b in band[r].tolist()]
            return
        for r in range(self.rows):
            top, bottom = band[2 * r].tolist(), band[2 * r + 1].tolist()
            for c in range(self.cols):
                if top[c] < 0 and bottom[c] < 0:
                    self.char[r][c] = NAN_CHAR
                    continue
                self.char[r][c] = "▀"
                self.fg[r][c] = _or_black(band_color(top[c], count, self.colors))
                self.bg[r][c] = _or_black(band_color(bottom[c], count, self.colors))

    def contour(self, band, count: int) -> None:
        """A cell on a boundary between bands shows the higher band's shade (or colour)."""
        import numpy as np

        higher = band.copy()
        edge = np.zeros(band.shape, bool)
        right = band[:, 1:] != band[:, :-1]
        edge[:, :-1] |= right
        higher[:, :-1] = np.where(right, np.maximum(band[:, :-1], band[:, 1:]), higher[:, :-1])
        down = band[1:, :] != band[:-1, :]
        edge[:-1, :] |= down
        higher[:-1, :] = np.where(down, np.maximum(higher[:-1, :], band[1:, :]), higher[:-1, :])
        for r in range(self.rows):
            for c in range(self.cols):
                b = int(band[r, c])
                if b < 0:
                    self.char[r][c] = NAN_CHAR
                elif edge[r, c]:
                    h = int(higher[r, c])
                    if self.color:
                        self.char[r][c] = "•"
                        self.fg[r][c] = band_color(h, count, self.colors)
                    else:
                        self.char[r][c] = RAMP[h] if RAMP[h] != " " else "."

    def put(self, cell, char: str, rgb, *, priority: int) -> None:
        r, c = cell
        if priority < self.priority[r][c]:
            return
        self.priority[r][c] = priority
        self.char[r][c] = char
        self.fg[r][c] = rgb
        self.bold[r][c] = True
        if self.bg[r][c] is None and self.color and self.fg[r][c] == (0, 0, 0):
            self.bg[r][c] = (255, 255, 255)

    def line(self, cells, char: str, rgb, *, priority: int) -> None:
        for cell in cells:
            self.put(cell, char, rgb, priority=priority)

    def lines(self) -> list[str]:
        if not self.color:
            return ["".join(row) for row in self.char]
        out = []
        for r in range(self.rows):
            parts, last = [], None
            for c in range(self.cols):
                code = _sgr(self.fg[r][c], self.bg[r][c], self.bold[r][c])
                if code != last:
                    parts.append("\x1b[0m" + code if last is not None else code)
                    last = code
                parts.append(self.char[r][c])
            parts.append("\x1b[0m")
            out.append("".join(parts))
        return out


def _or_black(color):
    return (0, 0, 0) if color is None else color


def _sgr(fg, bg, bold: bool) -> str:
    codes = []
    if bold:
        codes.append("1")
    if fg is not None:
        codes.append(sgr(fg))
    if bg is not None:
        codes.append(sgr(bg, background=True))
    return "\x1b[" + ";".join(codes) + "m" if codes else ""


# -- axes and legend --------------------------------------------------------------------------
def _tick(v: float) -> str:
    return fmt(0.0 if abs(v) < 1e-12 else v, 3)


def _framed(body: list[str], box2, rows: int, cols: int, names) -> list[str]:
    """y labels and axis on the left, x axis and tick labels below."""
    (x_lo, x_hi), (y_lo, y_hi) = box2
    parts = 4 if rows >= 17 and (rows - 1) % 4 == 0 else 2 if rows >= 9 and (rows - 1) % 2 == 0 else 1
    tick_rows = {round(i * (rows - 1) / parts) for i in range(parts + 1)}
    y_ticks = {r: y_hi - (y_hi - y_lo) * r / (rows - 1) for r in tick_rows}
    out = [" " * (LABEL_WIDTH - len(names[1])) + names[1]]
    for r, line in enumerate(body):
        if r in y_ticks:
            out.append(f"{_tick(y_ticks[r]):>{LABEL_WIDTH - 1}} ┤{line}")
        else:
            out.append(" " * LABEL_WIDTH + "│" + line)
    n_ticks = 5 if cols >= 40 and (cols - 1) % 4 == 0 else 3 if (cols - 1) % 2 == 0 else 2
    tick_cols = sorted({round(i * (cols - 1) / (n_ticks - 1)) for i in range(n_ticks)})
    axis = ["─"] * cols
    for c in tick_cols:
        axis[c] = "┬"
    out.append(" " * LABEL_WIDTH + "└" + "".join(axis))
    labels = [" "] * (cols + 2)
    for i, c in enumerate(tick_cols):
        text = _tick(x_lo + (x_hi - x_lo) * c / (cols - 1))
        start = c - len(text) // 2
        if i == 0:
            start = 0
        elif i == len(tick_cols) - 1:
            start = cols - len(text)
        start = max(0, start)
        if any(ch != " " for ch in labels[max(0, start - 1): start + len(text) + 1]):
            continue
        labels[start: start + len(text)] = list(text)
    out.append(" " * (LABEL_WIDTH + 1) + "".join(labels).rstrip())
    out.append(" " * (LABEL_WIDTH + 1 + max(0, (cols - len(names[0])) // 2)) + names[0])
    return out


def _legend(lv, count, colors, paths, points, outside, has_nan, grid, width, away=()) -> list[str]:
    """Shade scale with its values; path letters; markers; slice; notes."""
    lines = []
    if colors:
        scale = "".join("\x1b[%sm█" % sgr(band_color(b, count, colors)) for b in range(count)) + "\x1b[0m"
    else:
        scale = "'" + RAMP + "'"
    lo, hi = fmt(lv.f_min, 3), fmt(lv.f_max, 3)
    if lv.log:
        how = f"log scale, ×{fmt(lv.factor, 2)} in f − f_min + ε per shade (ε = {fmt(lv.eps, 2)})"
    else:
        how = f"linear, +{fmt((lv.f_max - lv.f_min) / count, 2)} per shade"
    head = f"f: {lo} {scale} {hi}"
    lines.extend(_wrap([head, how], width))
    items = []
    for i, (label, p) in enumerate(paths):
        letter = LETTERS[i % len(LETTERS)]
        items.append(f"{START_CHAR}{letter}…{letter.upper()} {label}")
    items.extend(f"{char} {label} {where}" for label, char, where in _point_items(points))
    items.extend(f"{label} {where} outside the box" for label, _, where in _point_items(away))
    if grid.fixed:
        items.append("slice " + ", ".join(f"{k} = {fmt(v, 4)}" for k, v in grid.fixed.items()))
    if outside:
        items.append(f"{', '.join(outside)}: leaves the box")
    if has_nan:
        items.append(f"{NAN_CHAR} f undefined")
    lines.extend(_wrap(items, width))
    return lines


def _point_items(points) -> list[tuple]:
    """(label, marker, where) per kind of known point: its coordinates when it is the only one
    of its kind, else how many (``×4``)."""
    items, seen = [], set()
    for label, (x, y), char in points:
        key = (label, char)
        if key in seen:
            continue
        seen.add(key)
        same = [pt for pt in points if (pt[0], pt[2]) == key]
        items.append((label, char, f"({_tick(x)}, {_tick(y)})" if len(same) == 1 else f"×{len(same)}"))
    return items


def _wrap(items: list[str], width: int, sep: str = "   ") -> list[str]:
    """Pack items into lines no wider than ``width`` (measured without ANSI codes)."""
    import re

    strip = re.compile(r"\x1b\[[0-9;]*m")
    lines, current = [], ""
    for item in items:
        candidate = current + sep + item if current else item
        if len(strip.sub("", candidate)) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = item
    if current:
        lines.append(current)
    return [_clip(line, width) if "\x1b" not in line else line for line in lines]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def scene_text(scene, *, width: int, height: int | None = None, color: bool = False, style: str = "heatmap",
               log: bool | None = None, title: str | None = None, depth: str = "truecolor") -> str:
    """The scene (gdx.app.plot.Scene) drawn by :func:`landscape_text`."""
    from .mathtext import problem_text

    shape = grid_shape(width, scene.box2, color=color and style == "heatmap", height=height)
    g = scene.grid(shape)
    if title is None:
        args = ", ".join(scene.target.problem.variables)
        title = f"f({args}) = {problem_text(scene.target.problem)}"
        if getattr(scene.target, "data", None) is not None:
            title = f"L({args}) = mean over {scene.target.data.rows} rows of {problem_text(scene.target.problem)}"
        if scene.target.preset is not None:
            from .console import safe_text

            title = f"{safe_text(scene.target.preset.name, markup=False)}: {title}"
    points = [(label, xy, marker_for(kind)) for label, xy, kind in scene.points]
    return landscape_text(g, paths=scene.paths, points=points, width=width, height=height, color=color,
                          log=log, title=title, style=style, depth=depth)


def show_scene(out, scene, *, width=None, height=None, style="heatmap", log=None, title=None) -> None:
    """Print the scene on ``out`` at its width (at most 200 columns)."""
    from rich.text import Text

    from .console import color_depth

    depth = color_depth(out)
    color = depth is not None
    width = int(width or min(out.width, 200))
    text = scene_text(scene, width=width, height=height, color=color, style=style, log=log, title=title,
                      depth=depth or "truecolor")
    if color:
        out.print(Text.from_ansi(text), crop=False, soft_wrap=True)
    else:
        out.file.write(text + "\n")
        out.file.flush()
