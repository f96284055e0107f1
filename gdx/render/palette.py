"""The landscape's colour scale, one per colour depth the terminal has.

rich reports a console's colour system as ``truecolor`` (24-bit), ``256`` (xterm's 256
colours: tmux's default ``TERM=screen-256color`` with ``COLORTERM`` unset), ``standard`` (the
16 ANSI colours) or ``windows`` (the 16 colours of the legacy Windows console), or none.

- **truecolor**: viridis itself, :data:`TRUECOLOR_LEVELS` levels.
- **256**: viridis mapped to xterm-256 entries: the sequence of entries closest to the viridis
  samples (CIE L*a*b* distance) whose lightness strictly rises, so no two levels share an entry
  and the ramp never turns darker.  Letting rich
  downgrade the 24-bit colours instead collapses the 24 levels to about four cube entries.
  Only the 6×6×6 cube and the grey ramp (16–255) are candidates: entries 0–15 are the theme's.
- **16 colours**: a reduced ramp of :data:`ANSI16_RAMP` (magenta → blue → cyan → green →
  yellow, dark then bright), the order of viridis' hues.
- **no colour**: the renderer's character ramp (``gdx.render.landscape.RAMP``), not this module.

A colour is an RGB triple (truecolor) or an xterm index 0–255 (256 and 16 colours);
:func:`sgr` writes either as an SGR parameter.
"""

from __future__ import annotations

from functools import lru_cache

#: viridis, sampled at 9 equally spaced points (matplotlib's _viridis_data).
VIRIDIS = (
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
)
TRUECOLOR_LEVELS = 24
XTERM256_LEVELS = 24
#: the 16-colour ramp, dark to light: magenta, blue, bright blue, cyan, bright cyan, green,
#: bright green, yellow, bright yellow (xterm indices).
ANSI16_RAMP = (5, 4, 12, 6, 14, 2, 10, 3, 11)
DEPTHS = {"truecolor": "truecolor", "256": "256", "standard": "16", "windows": "16"}
CUBE_STEPS = (0, 95, 135, 175, 215, 255)


def depth_of(color_system: str | None) -> str | None:
    """gdx's depth (``truecolor``, ``256``, ``16``) for rich's colour-system name, None for none."""
    return DEPTHS.get(color_system) if color_system else None


def viridis(t: float) -> tuple[int, int, int]:
    """viridis at t ∈ [0, 1] (linear between the anchors)."""
    t = min(max(t, 0.0), 1.0) * (len(VIRIDIS) - 1)
    i = min(int(t), len(VIRIDIS) - 2)
    f = t - i
    a, b = VIRIDIS[i], VIRIDIS[i + 1]
    return tuple(int(round(a[k] + (b[k] - a[k]) * f)) for k in range(3))


def palette(depth: str | None) -> tuple:
    """The colours of the levels at this depth, low f first (empty without colour)."""
    if depth == "truecolor":
        return tuple(viridis(i / (TRUECOLOR_LEVELS - 1)) for i in range(TRUECOLOR_LEVELS))
    if depth == "256":
        return xterm256_ramp(XTERM256_LEVELS)
    if depth == "16":
        return ANSI16_RAMP
    return ()


@lru_cache(maxsize=8)
def xterm256_ramp(count: int) -> tuple[int, ...]:
    """``count`` viridis samples as xterm-256 indices (16–255) whose lightness L* strictly rises
    level by level (so no two levels share an entry and the ramp never turns darker), chosen to
    minimise the summed squared L*a*b* distance to the samples (dynamic programming over the
    candidates sorted by L*)."""
    import numpy as np

    index = np.arange(16, 256)
    lab = np.array([_lab(xterm_rgb(int(i))) for i in index])
    order = np.argsort(lab[:, 0], kind="stable")
    index, lab = index[order], lab[order]
    lightness = lab[:, 0]
    targets = np.array([_lab(viridis(k / max(1, count - 1))) for k in range(count)])
    cost = ((lab[None, :, :] - targets[:, None, :]) ** 2).sum(axis=2)  # (count, candidates)
    n = len(index)
    # the first candidate j' with L*[j'] >= L*[j]: candidates before it are strictly darker
    first_same = np.searchsorted(lightness, lightness, side="left")
    total = cost[0].copy()
    back = np.zeros((count, n), int)
    for k in range(1, count):
        prefix_min, prefix_arg = _running_min(total)
        darker = first_same - 1  # the last strictly darker candidate
        ok = darker >= 0
        best = np.where(ok, prefix_min[np.maximum(darker, 0)], np.inf)
        back[k] = np.where(ok, prefix_arg[np.maximum(darker, 0)], -1)
        total = cost[k] + best
    j = int(np.argmin(total))
    picks = [j]
    for k in range(count - 1, 0, -1):
        j = int(back[k, j])
        picks.append(j)
    return tuple(int(index[j]) for j in reversed(picks))


def _running_min(values):
    """(min of values[:j+1], its first index) for every j."""
    import numpy as np

    mins, args = np.empty(len(values)), np.empty(len(values), int)
    best, at = np.inf, -1
    for j, v in enumerate(values.tolist()):
        if v < best:
            best, at = v, j
        mins[j], args[j] = best, at
    return mins, args


def xterm_rgb(index: int) -> tuple[int, int, int]:
    """The RGB of xterm-256 entry 16–255: the 6×6×6 cube (16–231), then 24 greys 8, 18, …, 238."""
    if 16 <= index <= 231:
        n = index - 16
        return CUBE_STEPS[n // 36], CUBE_STEPS[n // 6 % 6], CUBE_STEPS[n % 6]
    if 232 <= index <= 255:
        g = 8 + 10 * (index - 232)
        return g, g, g
    raise ValueError(f"xterm entry {index} is the theme's (0-15) or out of range")


def _lab(rgb) -> tuple[float, float, float]:
    """sRGB (0–255) to CIE L*a*b* (D65)."""
    def linear(c):
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(float(c)) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _distance(a, b) -> float:
    return sum((p - q) ** 2 for p, q in zip(a, b))


def sgr(color, *, background: bool = False) -> str:
    """The SGR parameter for a colour: ``38;2;r;g;b`` for RGB, ``38;5;n`` for an xterm index
    (48 instead of 38 for the background)."""
    lead = "48" if background else "38"
    if isinstance(color, int):
        return f"{lead};5;{color}"
    return "%s;2;%d;%d;%d" % (lead, *color)
