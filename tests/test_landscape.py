"""The landscape: boxes, slices, grid values, levels, the terminal rendering and ``gdx plot``.

References are computed here, independently of gdx: numpy evaluations of the same formulas,
hand-derived cell positions, and the expected shade of each cell from the band rule.
"""

import csv
import math
import re

import numpy as np
import pytest
from helpers import no_children_left
from rich.cells import cell_len

from gdx.compile import Compiled
from gdx.errors import GdxError
from gdx.landscape import DEFAULT_RANGE, fit_box, grid, levels, parse_box, parse_slice, wants_log
from gdx.parse import parse_function
from gdx.render.landscape import (LABEL_WIDTH, RAMP, _bresenham, _clip_segment, grid_shape, landscape_text,
                                  plot_columns)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def compiled(text, variables=None):
    return Compiled(parse_function(text, variables))


# -- boxes and slices -------------------------------------------------------------------------
def test_parse_box_by_name_in_variable_order():
    assert parse_box("y=-1:3, x=-2:2", ("x", "y")) == [(-2.0, 2.0), (-1.0, 3.0)]


def test_parse_box_positional_and_fill():
    assert parse_box("-2:2,-1e-3:4.5", ("a", "b")) == [(-2.0, 2.0), (-0.001, 4.5)]
    assert parse_box("z=0:1", ("x", "y", "z"), fill=[(-5, 5)] * 3) == [(-5, 5), (-5, 5), (0.0, 1.0)]


@pytest.mark.parametrize(
    "spec, message, caret",
    [
        ("x=-2:2,w=0:1", "unknown variable 'w'", "w=0:1"),
        ("x=2:-2,y=0:1", "is empty", "2:-2"),
        ("x=-2..2,y=0:1", "not a range", "-2..2"),
        ("x=a:2,y=0:1", "two finite numbers", "a:2"),
        ("x=0:1,x=0:2", "given twice", "x=0:2"),
    ],
)
def test_parse_box_errors_point_at_the_part(spec, message, caret):
    with pytest.raises(GdxError) as info:
        parse_box(spec, ("x", "y"))
    err = info.value
    assert message in err.message
    start, end = err.span
    assert spec[start:end] == caret


def test_parse_box_missing_variable_and_wrong_count():
    with pytest.raises(GdxError, match="no range for y"):
        parse_box("x=0:1", ("x", "y"))
    with pytest.raises(GdxError, match="has 1 range, expected 2"):
        parse_box("0:1", ("x", "y"))


def test_parse_slice_values_defaults_and_errors():
    assert parse_slice("z=0.5", ("x", "y", "z"), (0, 1)) == {"z": 0.5}
    assert parse_slice(None, ("x", "y", "z", "w"), ("x", "z"), defaults={"y": 1, "w": 2}) == {"y": 1.0, "w": 2.0}
    with pytest.raises(GdxError, match="'x' is plotted"):
        parse_slice("x=1", ("x", "y", "z"), (0, 1))
    with pytest.raises(GdxError, match="no value for z"):
        parse_slice(None, ("x", "y", "z"), (0, 1))
    with pytest.raises(GdxError, match="unknown variable 'q'"):
        parse_slice("q=1", ("x", "y", "z"), (0, 1))


def test_fit_box_grows_to_hold_paths_but_not_runaways():
    box = [(-2.0, 2.0), (-1.0, 3.0)]
    # a point at x = 2.9 (within one box width): the box grows past it, to a round edge
    grown = fit_box(box, np.array([[2.9, 0.0], [0.0, 0.0]]))
    assert grown[0][0] == -2.0 and grown[0][1] >= 2.9 and grown[1] == (-1.0, 3.0)
    assert grown[0][1] == pytest.approx(round(grown[0][1] / 0.5) * 0.5)  # a multiple of the round unit 0.5
    # a diverging run at x = 1e6 (far beyond one box width) leaves the box alone
    assert fit_box(box, np.array([[1e6, 0.0], [np.inf, np.nan]])) == box


# -- grid -------------------------------------------------------------------------------------
def test_grid_matches_numpy_and_is_oriented_rows_by_y():
    c = compiled("x^2 + 3*y^2 + sin(x*y)")
    g = grid(c, [(-2, 2), (-1, 3)], (7, 11))
    xs, ys = np.linspace(-2, 2, 11), np.linspace(-1, 3, 7)
    X, Y = np.meshgrid(xs, ys)  # X[i, j] = xs[j], Y[i, j] = ys[i]
    np.testing.assert_allclose(g.values, X**2 + 3 * Y**2 + np.sin(X * Y), rtol=1e-13)
    np.testing.assert_allclose(g.xs, xs)
    np.testing.assert_allclose(g.ys, ys)
    assert g.names == ("x", "y")


def test_grid_slice_of_three_variables_and_other_axes():
    c = compiled("x^2 + 2*y^2 + 3*z^2 + x*z")
    g = grid(c, [(-1, 1), (-5, 5), (0, 2)], (5, 6), fixed={"y": 0.5}, plot_vars=(0, 2))
    X, Z = np.meshgrid(np.linspace(-1, 1, 6), np.linspace(0, 2, 5))
    np.testing.assert_allclose(g.values, X**2 + 2 * 0.25 + 3 * Z**2 + X * Z, rtol=1e-13)
    assert g.names == ("x", "z") and g.fixed == {"y": 0.5}


def test_grid_marks_undefined_values_nan():
    g = grid(compiled("log(x) + y"), [(-1, 1), (0, 1)], (3, 3))
    assert np.isnan(g.values[:, 0]).all()  # log(-1)
    assert np.isnan(g.values[:, 1]).all()  # log(0) = -inf is not a value to shade
    np.testing.assert_allclose(g.values[:, 2], [0.0, 0.5, 1.0])


def test_one_variable_has_no_landscape():
    with pytest.raises(GdxError, match="2 or more variables"):
        grid(compiled("x^2"), [(-1, 1)], (3, 3))


# -- levels -----------------------------------------------------------------------------------
def test_linear_levels_edges_and_bands():
    lv = levels(np.array([0.0, 1.0, 2.5, 9.99, 10.0, np.nan]), count=10, log=False)
    assert not lv.log
    np.testing.assert_allclose(lv.edges, np.arange(11.0))
    assert lv.index([0.0, 1.0, 2.5, 9.99, 10.0, np.nan]).tolist() == [0, 1, 2, 9, 9, -1]


def test_log_levels_are_equally_spaced_in_log_of_the_gap():
    values = np.concatenate([[5.0], 5.0 + np.logspace(-3, 3, 200)])
    lv = levels(values, count=6, log=True)
    assert lv.log and lv.f_min == 5.0 and lv.f_max == pytest.approx(1005.0)
    t = np.log10(np.array(lv.edges) - 5.0 + lv.eps)
    np.testing.assert_allclose(np.diff(t), np.diff(t)[0], rtol=1e-9)
    # ε is the 1st percentile of the positive gaps (a floor band of about 1% of the samples)
    assert lv.eps == pytest.approx(np.quantile(np.logspace(-3, 3, 200), 0.01))


def rosenbrock_values(rows=40, cols=80):
    X, Y = np.meshgrid(np.linspace(-2, 2, cols), np.linspace(-1, 3, rows))
    return (1 - X) ** 2 + 100 * (Y - X**2) ** 2


def goldstein_price_values(rows=40, cols=80):
    X, Y = np.meshgrid(np.linspace(-2, 2, cols), np.linspace(-2, 2, rows))
    a = 1 + (X + Y + 1) ** 2 * (19 - 14 * X + 3 * X**2 - 14 * Y + 6 * X * Y + 3 * Y**2)
    b = 30 + (2 * X - 3 * Y) ** 2 * (18 - 32 * X + 12 * X**2 + 48 * Y - 36 * X * Y + 27 * Y**2)
    return a * b


def test_log_levels_chosen_for_functions_spanning_decades():
    X, Y = np.meshgrid(np.linspace(-2, 2, 80), np.linspace(-2, 2, 40))
    assert not wants_log(X**2 + 3 * Y**2)
    assert not wants_log(20 + X**2 + Y**2 - 10 * np.cos(2 * np.pi * X) - 10 * np.cos(2 * np.pi * Y))
    assert wants_log(rosenbrock_values())
    assert wants_log(goldstein_price_values())
    assert not wants_log(np.ones((5, 5)))


def test_log_levels_spread_a_valley_over_the_shades():
    """Linear bands put most of Rosenbrock's box in the lowest band; log bands use every shade."""
    v = rosenbrock_values()
    linear = levels(v, 10, log=False).index(v)
    logged = levels(v, 10, log=True).index(v)
    assert np.mean(linear == 0) > 0.5
    counts = np.bincount(logged.ravel(), minlength=10)
    assert counts.min() > 0 and counts.max() < 0.35 * v.size


# -- drawing primitives -----------------------------------------------------------------------
def test_bresenham_cells():
    # (row, col) cells from (x, y) = (0, 0) to (4, 2): y = x/2 rounded half up at x = 1 and x = 3
    assert _bresenham(0, 0, 4, 2) == [(0, 0), (1, 1), (1, 2), (2, 3), (2, 4)]
    assert _bresenham(3, 5, 3, 1) == [(5, 3), (4, 3), (3, 3), (2, 3), (1, 3)]
    assert _bresenham(2, 2, 2, 2) == [(2, 2)]


def test_clip_segment_to_the_canvas():
    # from inside to far outside on the right: ends on the last column
    assert _clip_segment(1.0, 1.0, 1e9, 1.0, 9, 4) == (1, 1, 9, 1)
    # entirely outside
    assert _clip_segment(-5.0, -5.0, -1.0, -5.0, 9, 4) is None
    # crossing the whole canvas diagonally
    a = _clip_segment(-10.0, -5.0, 19.0, 9.5, 9, 4)
    assert a is not None and all(0 <= v <= 9 for v in (a[0], a[2])) and all(0 <= v <= 4 for v in (a[1], a[3]))


# -- the rendering ----------------------------------------------------------------------------
def expected_ramp_row(cols):
    """f = x on [0, 1]: column j holds x = j/(cols−1), shade floor(10·x) (the top band closed)."""
    return "".join(RAMP[min(9, math.floor(10 * j / (cols - 1) + 1e-12))] for j in range(cols))


@pytest.mark.parametrize("width", [80, 120])
def test_plain_rendering_at_fixed_widths(width):
    c = compiled("x + 0*y")
    box = [(0.0, 1.0), (0.0, 0.4)]  # wide: the aspect keeps every column (a square box is narrower)
    shape = grid_shape(width, box, color=False)
    cols = width - LABEL_WIDTH - 2
    cols -= (cols - 1) % 4
    assert shape[1] == cols == plot_columns(width)
    text = landscape_text(grid(c, box, shape), width=width, color=False, log=False, title="f = x")
    lines = text.split("\n")
    assert max(cell_len(line) for line in lines) <= width
    assert "\x1b" not in text
    body = [line for line in lines if line[LABEL_WIDTH:LABEL_WIDTH + 1] in ("┤", "│")]
    assert len(body) == shape[0]
    for line in body:
        assert line[LABEL_WIDTH + 1:] == expected_ramp_row(cols)
    # y tick labels: top 1, bottom 0; x ticks at both ends of the axis
    assert body[0].startswith(f"{'0.4':>{LABEL_WIDTH - 1}} ┤") and body[-1].startswith(f"{'0':>{LABEL_WIDTH - 1}} ┤")
    axis = lines[lines.index(body[-1]) + 1]
    assert axis[LABEL_WIDTH] == "└" and axis[LABEL_WIDTH + 1] == "┬" and axis[LABEL_WIDTH + cols] == "┬"
    ticks = lines[lines.index(axis) + 1].split()
    assert ticks[0] == "0" and ticks[-1] == "1" and "0.5" in ticks
    assert "f: 0 ' .:-=+*#%@' 1" in text and "linear, +0.1 per shade" in text


def cell_of(x, y, box, rows, cols):
    """Independent mapping: column linear in x over the box, row 0 at the top (y = y_hi)."""
    (x_lo, x_hi), (y_lo, y_hi) = box
    return round((y_hi - y) / (y_hi - y_lo) * (rows - 1)), round((x - x_lo) / (x_hi - x_lo) * (cols - 1))


def map_cells(text, rows):
    lines = text.split("\n")
    body = [line[LABEL_WIDTH + 1:] for line in lines if line[LABEL_WIDTH:LABEL_WIDTH + 1] in ("┤", "│")]
    assert len(body) == rows
    return body


def test_paths_and_markers_land_on_their_cells():
    c = compiled("(1 - x)^2 + 100*(y - x^2)^2")
    box = [(-2.0, 2.0), (-1.0, 3.0)]
    rows, cols = grid_shape(80, box, color=False)
    path = np.array([[-1.5, 2.0], [-0.5, 1.5], [0.5, 0.5], [0.9, 0.8]])
    text = landscape_text(grid(c, box, (rows, cols)), paths=[("gd", path)], points=[("minimum", (1.0, 1.0), "★")],
                          width=80, color=False)
    body = map_cells(text, rows)
    r, k = cell_of(-1.5, 2.0, box, rows, cols)
    assert body[r][k] == "◆"
    r, k = cell_of(0.9, 0.8, box, rows, cols)
    assert body[r][k] == "A"
    r, k = cell_of(1.0, 1.0, box, rows, cols)
    assert body[r][k] == "★"
    # a segment's midpoint is on the line
    r, k = cell_of(0.0, 1.0, box, rows, cols)
    assert body[r][k] == "a"
    assert "◆a…A gd" in text and "★ minimum (1, 1)" in text
    # the valley floor is the lowest shade, the far corners the highest
    r, k = cell_of(0.0, 0.0, box, rows, cols)
    assert body[r][k] in " ."
    assert body[-1][0] == "@" and body[-1][-1] == "@"


def test_a_runaway_path_is_clipped_and_reported():
    c = compiled("x^2 + y^2")
    box = [(-1.0, 1.0), (-1.0, 1.0)]
    shape = grid_shape(80, box, color=False)
    path = np.array([[0.5, 0.5], [-0.9, 0.5], [1e12, 0.5], [np.inf, np.nan]])
    text = landscape_text(grid(c, box, shape), paths=[("gd", path)], width=80, color=False)
    assert "a: leaves the box" in text
    body = map_cells(text, shape[0])
    r, _ = cell_of(0.0, 0.5, box, *shape)
    _, k = cell_of(-0.9, 0.5, box, *shape)
    # the segment from x = −0.9 towards x = 1e12 runs to the right edge: every cell from k on
    assert set(body[r][k:]) == {"a", "◆"} and body[r][-1] == "a"


@pytest.mark.parametrize("width", [80, 120])
def test_colour_rendering_uses_half_blocks_within_the_width(width):
    c = compiled("(1 - x)^2 + 100*(y - x^2)^2")
    box = [(-2.0, 2.0), (-1.0, 3.0)]
    shape = grid_shape(width, box, color=True)
    text = landscape_text(grid(c, box, shape), paths=[("p", np.array([[-1.0, 2.0], [1.0, 1.0]]))], width=width,
                          color=True)
    plain = ANSI.sub("", text)
    assert max(cell_len(line) for line in plain.split("\n")) <= width
    assert plain.count("▀") > shape[0] // 2 * shape[1] * 0.9  # (almost) every map cell is a half block
    assert "\x1b[38;2;" in text and ";48;2;" in text  # 24-bit foreground and background
    assert "log scale" in plain


def test_contour_style_draws_only_band_boundaries():
    c = compiled("x + 0*y")
    box = [(0.0, 1.0), (0.0, 1.0)]
    shape = grid_shape(80, box, color=False)
    text = landscape_text(grid(c, box, shape), width=80, color=False, log=False, style="contour")
    row = map_cells(text, shape[0])[0]
    full = expected_ramp_row(shape[1])
    boundaries = [j for j in range(len(full) - 1) if full[j] != full[j + 1]]
    assert [j for j, ch in enumerate(row) if ch != " "] == boundaries
    assert len(boundaries) == 9


# -- gdx plot ---------------------------------------------------------------------------------
def test_plot_rosenbrock_marks_the_minimum_and_uses_log_levels(gdx_main):
    code, out, err = gdx_main("plot", "rosenbrock", "--width", "80", "--no-critical")
    assert code == 0, err
    assert "★ minimum (1, 1)" in out and "log scale" in out
    assert max(cell_len(line) for line in out.splitlines()) <= 80


def test_plot_himmelblau_marks_its_maximum_and_saddles(gdx_main):
    code, out, err = gdx_main("plot", "himmelblau", "--width", "100")
    assert code == 0, err
    # Himmelblau's local maximum is at (−0.270845, −0.923039) (f = 181.617)
    assert "▲ maximum (-0.271, -0.923)" in out
    assert "× saddle ×4" in out and "★ minimum ×4" in out


def test_the_legend_names_only_the_points_it_draws(gdx_main):
    """Himmelblau's four minima are (3, 2), (−2.805, 3.131), (−3.779, −3.283), (3.584, −1.848):
    none is in [−1, 1]², two are in [−5, 5] × [−5, 1]; a marker in the legend is one on the map."""
    code, out, err = gdx_main("plot", "himmelblau", "--box=-1:1,-1:1", "--width", "100")
    assert code == 0, err
    assert "★" not in out and "minimum ×4 outside the box" in out
    code, out, err = gdx_main("plot", "himmelblau", "--box=-5:5,-5:1", "--width", "100")
    assert code == 0, err
    assert "★ minimum ×2" in out and "minimum ×2 outside the box" in out and out.count("★") == 3  # 2 + legend


def test_csv_exported_by_optimize_round_trips_into_plot_path(gdx_main, tmp_path):
    run = tmp_path / "run.csv"
    code, _, err = gdx_main("optimize", "x^2 + 3*y^2", "--start", "1.5,-0.8", "--lr", "0.1", "--steps", "40",
                            "--export", str(run), "-q")
    assert code == 0, err
    with open(run, newline="") as fh:
        rows = list(csv.DictReader(fh))
    first, last = rows[0], rows[-1]
    assert (float(first["x"]), float(first["y"])) == (1.5, -0.8)
    code, out, err = gdx_main("plot", "x^2 + 3*y^2", "--box", "x=-2:2,y=-1:1", "--path", str(run),
                              "--width", "80", "--no-critical")
    assert code == 0, err
    box = [(-2.0, 2.0), (-1.0, 1.0)]
    rows_, cols = grid_shape(80, box, color=False)
    lines = out.splitlines()
    body = [line[LABEL_WIDTH + 1:] for line in lines if line[LABEL_WIDTH:LABEL_WIDTH + 1] in ("┤", "│")]
    assert len(body) == rows_
    r, k = cell_of(1.5, -0.8, box, rows_, cols)
    assert body[r][k] == "◆"
    r, k = cell_of(float(last["x"]), float(last["y"]), box, rows_, cols)
    assert body[r][k] == "A"
    assert "◆a…A run" in out


def test_plot_path_with_other_variables_is_refused(gdx_main, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("step,a,b,loss,grad_norm,lr,grad_a,grad_b\n0,1.0,2.0,5.0,1.0,0.1,1.0,1.0\n")
    code, out, err = gdx_main("plot", "x^2 + y^2", "--path", str(other))
    assert code == 2 and out == ""
    # stderr is not a terminal here: the message is one unbroken line, however long tmp_path is
    assert err.splitlines()[0] == f"usage error: --path: '{other}' has variables (a, b) but the function has (x, y)"
    missing = tmp_path / "missing.csv"
    code, out, err = gdx_main("plot", "x^2 + y^2", "--path", str(missing))
    assert code == 2 and err.splitlines()[0] == f"usage error: --path: '{missing}' does not exist"


def test_an_error_naming_a_very_long_path_is_not_wrapped(gdx_main, tmp_path):
    """COLUMNS is 100 in the tests; a 300+ character path must still come out on one line."""
    deep = tmp_path.joinpath(*["d" * 70] * 4)
    deep.mkdir(parents=True)
    missing = deep / "missing.csv"
    assert len(str(missing)) > 300
    code, out, err = gdx_main("plot", "x^2 + y^2", "--path", str(missing))
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"usage error: --path: '{missing}' does not exist"


def test_plot_slice_of_three_variables(gdx_main):
    code, out, err = gdx_main("plot", "x^2 + y^2 + z^2", "--slice", "z=0.5", "--width", "80")
    assert code == 0, err
    # on z = 0.5 the smallest value on the grid (which holds x = y = 0) is 0.25
    assert "f: 0.25 " in out and "slice z = 0.5" in out


def test_plot_usage_errors(gdx_main):
    code, _, err = gdx_main("plot", "2 + pi")
    assert code == 2 and "two or more variables" in err
    code, out, err = gdx_main("plot", "x^2", "--width", "80")  # one variable: its curve (issue 11)
    assert code == 0 and "f′(x)" in out, err
    code, _, err = gdx_main("plot", "x^2 + y^2", "--box", "x=1:0,y=0:1")
    assert code == 2 and "is empty" in err and "^^^" in err
    code, _, err = gdx_main("plot", "x^2 + y^2", "--style", "contur")
    assert code == 2 and "did you mean 'contour'" in err


def test_default_box_without_a_preset(gdx_main):
    code, out, err = gdx_main("plot", "x^2 + y^2", "--width", "80", "--no-critical")
    assert code == 0, err
    lo, hi = DEFAULT_RANGE
    ticks = [line[: LABEL_WIDTH - 1].strip() for line in out.splitlines() if line[LABEL_WIDTH:LABEL_WIDTH + 1] == "┤"]
    assert ticks[0] == f"{hi:g}" and ticks[-1] == f"{lo:g}"
    x_ticks = out.splitlines()[out.splitlines().index(next(l for l in out.splitlines() if "└" in l)) + 1].split()
    assert x_ticks[0] == f"{lo:g}" and x_ticks[-1] == f"{hi:g}"


def test_fit_box_always_holds_the_start_points():
    box = [(-2.0, 2.0), (-2.0, 2.0)]
    # a start at (10, −7) is far outside, but it is where the user chose to start: held, with a margin
    grown = fit_box(box, np.array([[10.0, -7.0], [0.0, 0.0]]), anchors=[(10.0, -7.0)])
    assert grown[0][0] == -2.0 and grown[0][1] > 10.0 and grown[1][0] < -7.0 and grown[1][1] == 2.0


def test_paths_without_a_preset_get_a_box_around_their_starts():
    """The starts ± 2 (holding the origin), rounded out to whole units — worked by hand."""
    from gdx.app.plot import around

    assert around([(1.5, 0.8)]) == [(-2.0, 2.0), (-2.0, 2.0)]
    assert around([(4.2, -0.3)]) == [(-2.0, 5.0), (-2.0, 2.0)]
    assert around([(1.0, 1.0), (-3.6, 0.0)]) == [(-5.0, 2.0), (-2.0, 2.0)]


# -- critical-point markers: bounded work in a child process ----------------------------------

class _Endless:
    """A 2-D f whose gradient never returns: a numeric search that cannot finish in any budget."""

    n = 2
    variables = ("x", "y")

    def grad(self, x):
        import time

        while True:
            time.sleep(60)

    value = hess = value_and_grad = grad




def test_critical_marks_of_a_bowl():
    from gdx.landscape import critical_marks

    marks = critical_marks(compiled("(x - 1)^2 + 3*(y + 2)^2"), [(-5, 5), (-5, 5)], budget=30)
    assert len(marks) == 1
    (label, (x, y), kind), = marks
    assert (label, kind) == ("minimum", "minimum")
    assert x == pytest.approx(1.0, abs=1e-9) and y == pytest.approx(-2.0, abs=1e-9)
    assert no_children_left()


def test_critical_marks_past_the_budget_is_none_and_leaves_nothing_running():
    import threading

    from gdx.landscape import critical_marks

    threads = threading.active_count()
    assert critical_marks(_Endless(), [(-1, 1), (-1, 1)], budget=0.3) is None
    assert not any(t.name == "gdx-critical-points" for t in threading.enumerate())
    assert threading.active_count() == threads  # no worker thread was left behind
    assert no_children_left()  # the search's child was killed and reaped


def test_critical_marks_with_no_budget_left_does_no_work():
    from gdx.landscape import critical_marks
    from gdx.sandbox import Deadline

    assert critical_marks(_Endless(), [(-1, 1), (-1, 1)], budget=Deadline(0)) is None
    assert critical_marks(_Endless(), [(-1, 1), (-1, 1)], budget=0) is None
    assert no_children_left()
