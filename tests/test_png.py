"""``--png``: the figure files, and the message when the optional matplotlib extra is missing."""

import struct
import sys

import numpy as np
import pytest

from gdx.errors import GdxError


def block_matplotlib(monkeypatch):
    """Make ``import matplotlib`` fail as if the extra were not installed."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)


def test_missing_extra_says_how_to_get_it(monkeypatch):
    from gdx.render.png import require_matplotlib

    block_matplotlib(monkeypatch)
    with pytest.raises(GdxError) as info:
        require_matplotlib()
    assert 'pip install "gdx[png]"' in info.value.hint


@pytest.mark.parametrize("command", [["plot", "x^2 + y^2"], ["compare", "x^2 + y^2", "-o", "gd"],
                                     ["optimize", "x^2 + y^2"]])
def test_missing_extra_fails_before_any_work(gdx_main, monkeypatch, tmp_path, command):
    block_matplotlib(monkeypatch)
    out_file = tmp_path / "fig.png"
    code, out, err = gdx_main(*command, "--png", str(out_file))
    assert code == 2
    assert "--png needs matplotlib" in err and 'pip install "gdx[png]"' in err
    assert out == "" and not out_file.exists()


def test_bad_figure_path_is_refused_before_work(gdx_main, tmp_path):
    code, out, err = gdx_main("plot", "x^2 + y^2", "--png", str(tmp_path / "fig.jpeg"))
    assert code == 2 and "unknown format" in err
    code, out, err = gdx_main("plot", "x^2 + y^2", "--png", str(tmp_path / "missing" / "fig.png"))
    assert code == 2 and "does not exist" in err


def test_curve_scale_rules():
    from gdx.render.png import curve_scale

    _, label, log = curve_scale([np.array([100.0, 1.0, 0.5])])
    assert log and label == "loss"
    _, label, log = curve_scale([np.array([3.0, 2.0, 1.5])])
    assert not log
    transform, label, log = curve_scale([np.array([-1.0 + 1.0, -1.0 + 1e-2, -1.0 + 1e-6, -1.0])])
    assert log and "loss − min(loss)" in label
    # the gap to the minimum, floored at a tenth of the smallest positive gap
    np.testing.assert_allclose(transform(np.array([0.0, -1.0])), [1.0, 1e-7])


def png_size(path):
    """Width and height from the PNG header (IHDR), read without any imaging library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_figures_are_written(gdx_main, tmp_path):
    pytest.importorskip("matplotlib")
    fig = tmp_path / "rosenbrock.png"
    code, out, err = gdx_main("plot", "rosenbrock", "--png", str(fig), "--no-critical")
    assert code == 0, err
    assert f"figure written to {fig}\n" in out  # one line, however long the path
    w, h = png_size(fig)
    assert w > 600 and h > 500
    fig2 = tmp_path / "compare.png"
    code, out, err = gdx_main("compare", "himmelblau", "-o", "gd,adam", "--steps", "50", "--png", str(fig2), "--json")
    assert code == 0, err
    w2, h2 = png_size(fig2)
    assert w2 > 1.5 * h2  # two panels side by side: landscape and loss curves
    fig3 = tmp_path / "run.svg"
    code, out, err = gdx_main("optimize", "x^2 + 3*y^2", "--png", str(fig3), "--steps", "20", "-q")
    assert code == 0, err
    assert fig3.read_text().lstrip().startswith("<?xml") and "<svg" in fig3.read_text()
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob(".*png"))  # no temporary files left


def test_one_variable_figure_has_only_the_loss_curve(gdx_main, tmp_path):
    pytest.importorskip("matplotlib")
    fig = tmp_path / "one.png"
    code, out, err = gdx_main("optimize", "(x - 1)^2", "--png", str(fig), "--steps", "20", "-q")
    assert code == 0, err
    w, h = png_size(fig)
    assert w < 1.5 * h


@pytest.mark.parametrize("expr, box", [("(1 - x)^2 + 100*(y - x^2)^2", [(-2.0, 2.0), (-1.0, 3.0)]),  # log levels
                                       ("x^2 + y^2", [(-5.0, 5.0), (-5.0, 5.0)])])  # linear: label "f"
def test_colour_bar_label_stands_clear_of_the_loss_label(expr, box):
    """The colour bar's label ("f") and the loss panel's y label, each widened by a margin, do not
    intersect (matplotlib's own text extents, Agg renderer); nor does any part of the bar reach
    the loss label."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    from gdx.compile import Compiled
    from gdx.landscape import grid
    from gdx.parse import parse_function
    from gdx.render.png import figure

    g = grid(Compiled(parse_function(expr)), box, (40, 40))
    fig = figure(g, paths=[("gd", np.array([[-1.0, 2.0], [0.0, 0.0], [1.0, 1.0]]))],
                 curves=[("gd", np.arange(3), np.array([100.0, 1.0, 0.01]))])
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    bar = next(ax for ax in fig.axes if ax.get_label() == "<colorbar>")
    loss = next(ax for ax in fig.axes if ax.get_ylabel().startswith("loss"))
    margin = 0.15 * fig.dpi  # 0.15 in either side

    def widened(box):
        return Bbox.from_extents(box.x0 - margin, box.y0 - margin, box.x1 + margin, box.y1 + margin)

    f_label = bar.yaxis.label.get_window_extent(renderer)
    loss_label = loss.yaxis.label.get_window_extent(renderer)
    assert bar.yaxis.label.get_text().startswith("f")
    assert not widened(f_label).overlaps(widened(loss_label))
    assert not bar.get_tightbbox(renderer).overlaps(widened(loss_label))
