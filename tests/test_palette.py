"""The landscape's palette per colour depth (gdx.render.palette), seen through rich as a
terminal of that depth shows it: every level a distinct colour, the ramp in order.

References: xterm's 256-colour table (cube steps 0, 95, 135, …, 255 and greys 8 + 10k) written
out here, and rich's own colour-system detection from TERM / COLORTERM.
"""

import io
import os
import re

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text

from gdx.compile import Compiled
from gdx.landscape import grid
from gdx.parse import parse_function
from gdx.render import palette as P
from gdx.render.landscape import RAMP, grid_shape, landscape_text

SGR = re.compile(r"\x1b\[([0-9;]*)m")
BOX = [(0.0, 1.0), (0.0, 1.0)]


def colours_in(ansi: str) -> set:
    """Every foreground/background colour an ANSI text sets (as the SGR parameters after 38/48)."""
    found = set()
    for params in SGR.findall(ansi):
        p = params.split(";")
        i = 0
        while i < len(p):
            if p[i] in ("38", "48") and i + 1 < len(p):
                n = 5 if p[i + 1] == "2" else 3
                found.add(":".join(p[i + 1:i + n]))
                i += n
            elif p[i].isdigit() and (30 <= int(p[i]) <= 37 or 40 <= int(p[i]) <= 47
                                     or 90 <= int(p[i]) <= 97 or 100 <= int(p[i]) <= 107):
                found.add(str(int(p[i]) % 10 + (8 if int(p[i]) >= 90 else 0)))  # fg and bg alike
                i += 1
            else:
                i += 1
    return found


def map_lines(text: str) -> str:
    """The map's rows only (between the title and the x axis): the legend's scale is excluded."""
    lines = text.split("\n")
    return "\n".join(line for line in lines if "│" in SGR.sub("", line))


def render(system: str, width: int = 80) -> str:
    """f = x over the unit square, in colour, printed by a rich Console forced to ``system``."""
    c = Compiled(parse_function("x + 0*y"))
    depth = P.depth_of(system)
    shape = grid_shape(width, BOX, color=True)
    text = landscape_text(grid(c, BOX, shape), width=width, color=True, log=False, depth=depth)
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=system, force_terminal=True, highlight=False).print(
        Text.from_ansi(text), crop=False, soft_wrap=True)
    return buf.getvalue()


@pytest.mark.parametrize("system, levels", [("truecolor", P.TRUECOLOR_LEVELS), ("256", P.XTERM256_LEVELS),
                                            ("standard", len(P.ANSI16_RAMP)), ("windows", len(P.ANSI16_RAMP))])
def test_each_depth_shows_as_many_distinct_colours_as_levels(system, levels):
    shown = render(system)
    assert len(colours_in(map_lines(shown))) == levels
    assert "█" * levels + " " in SGR.sub("", shown)  # the legend's scale: one block per level


def test_rich_downgrade_of_viridis_is_what_the_256_palette_avoids():
    """The failure the 256 palette fixes: viridis' 24 levels downgraded by rich to xterm-256
    share entries (fewer distinct colours than levels)."""
    from rich.color import Color, ColorSystem

    downgraded = {Color.from_rgb(*P.viridis(k / 23)).downgrade(ColorSystem.EIGHT_BIT).number for k in range(24)}
    assert len(downgraded) < 24
    assert len(set(P.xterm256_ramp(24))) == 24


def lightness(index):
    return P._lab(P.xterm_rgb(index))[0]


def test_256_ramp_is_distinct_cube_or_grey_entries_rising_in_lightness():
    ramp = P.xterm256_ramp(P.XTERM256_LEVELS)
    assert all(16 <= i <= 255 for i in ramp)  # never the theme's 0-15
    ls = [lightness(i) for i in ramp]
    assert all(a < b for a, b in zip(ls, ls[1:]))
    # dark blue-violet to yellow, as viridis: the first is bluish, the last yellow (r, g high, b low)
    r, g, b = P.xterm_rgb(ramp[0])
    assert b >= r and b > g
    r, g, b = P.xterm_rgb(ramp[-1])
    assert r >= 215 and g >= 215 and b <= 95


def test_xterm_table_matches_xterm():
    assert P.xterm_rgb(16) == (0, 0, 0) and P.xterm_rgb(21) == (0, 0, 255) and P.xterm_rgb(196) == (255, 0, 0)
    assert P.xterm_rgb(231) == (255, 255, 255) and P.xterm_rgb(232) == (8, 8, 8) and P.xterm_rgb(255) == (238, 238, 238)
    with pytest.raises(ValueError):
        P.xterm_rgb(7)


def test_no_colour_uses_the_character_ramp():
    c = Compiled(parse_function("x + 0*y"))
    shape = grid_shape(80, BOX, color=False)
    text = landscape_text(grid(c, BOX, shape), width=80, color=False, log=False)
    body = map_lines(text)
    assert not SGR.search(text)
    assert set(RAMP) <= set(body)


@pytest.mark.parametrize("term, colorterm, levels", [("screen-256color", None, P.XTERM256_LEVELS),
                                                     ("xterm-256color", "truecolor", P.TRUECOLOR_LEVELS),
                                                     ("xterm", None, len(P.ANSI16_RAMP))])
def test_plot_in_a_terminal_picks_the_palette_of_its_term(term, colorterm, levels):
    """gdx plot through main(): rich detects the depth from TERM/COLORTERM (FORCE_COLOR makes the
    StringIO a terminal) and the map uses that many distinct colours."""
    from gdx.cli import main

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env.update(TERM=term, FORCE_COLOR="1", COLUMNS="80")
    if colorterm:
        env["COLORTERM"] = colorterm
    out, err = io.StringIO(), io.StringIO()
    code = main(["plot", "x + 0*y", "--box", "0:1,0:1", "--scale", "linear"], stdout=out, stderr=err, env=env)
    assert code == 0, err.getvalue()
    assert len(colours_in(map_lines(out.getvalue()))) == levels
