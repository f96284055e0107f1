"""Issue 14, layout: plots, boxes, tables and messages that fit the terminal they are shown on."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest


def _axis_labels(text):
    """The x tick labels: the line after the frame's bottom edge."""
    lines = text.splitlines()
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[bottom + 1].split()


def _rosenbrock_like(n=20001):
    k = np.arange(n)
    return SimpleNamespace(k=k, loss=24.2 * np.exp(-k / 6000.0) + 0.05)


@pytest.mark.parametrize("n", [8, 21, 615, 20001])
def test_loss_plot_ticks_are_whole_steps_and_inside_the_frame(n):
    from gdx.render.lossplot import loss_curve

    path = SimpleNamespace(k=np.arange(n), loss=24.2 * 0.3 ** (np.arange(n) / max(1, n / 8)) + 0.05)
    text = loss_curve(path, width=100, height=16)
    title = text.splitlines()[0]
    assert not re.search(r"\d", title.replace("log scale", "")), title  # no "100" on the title line
    labels = _axis_labels(text)
    assert labels and all(re.fullmatch(r"\d+", t) for t in labels), labels
    assert int(labels[-1]) <= n - 1


def test_compare_curves_ticks_are_whole_steps_and_inside_the_frame():
    from gdx.render.curves import loss_curves

    a, b = _rosenbrock_like(615), SimpleNamespace(k=np.arange(300), loss=24.2 * 0.9 ** np.arange(300))
    text = loss_curves([("gd", a), ("adam", b)], width=80, height=16)
    assert not re.search(r"\d", text.splitlines()[0].replace("log scale", ""))
    assert all(re.fullmatch(r"\d+", t) for t in _axis_labels(text))


def _map_x_labels(out, title):
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    bottom = next(i for i in range(start, len(lines)) if "└" in lines[i])
    return [float(t) for t in lines[bottom + 1].split()]


def test_a_diverging_run_does_not_stretch_the_compare_box(gdx_main, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = gdx_main("compare", "ill-conditioned", "-o", "gd,momentum,adam,nesterov")
    assert "diverged" in out
    labels = _map_x_labels(out, "ill-conditioned:")
    assert labels[0] == -5 and labels[-1] == 5, labels  # the preset's box, not x ∈ [-10, 15]


def test_settled_part_keeps_a_converging_overshoot_and_drops_a_runaway():
    from gdx.landscape import settled_part

    pts = np.arange(10.0).reshape(5, 2)
    assert len(settled_part(pts, [4.0, 6.0, 3.0, 1.0, 0.5])) == 5  # rose, came back below f(x0)
    assert len(settled_part(pts, [4.0, 3.0, 5.0, 50.0, np.inf])) == 2  # climbed past f(x0) for good


def test_compare_table_shows_every_runs_settings(gdx_main, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = gdx_main("compare", "ill-conditioned", "-o", "gd:lr=0.02,momentum,adam", "--no-plot")
    table = out.split("curves:")[0]
    assert "settings" in table
    assert "lr=0.02" in table and "momentum=0.9" in table and "beta2=0.999" in table
    assert "weight_decay" not in table  # off settings are not listed


def test_starts_table_keeps_the_basin_letter_at_40_columns(gdx_main, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = gdx_main("optimize", "himmelblau", "--starts", "100")
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("basin "))
    assert header.split()[:2] == ["basin", "(x,"]
    assert {line.split()[0] for line in lines[lines.index(header) + 1:][:4]} == {"A", "B", "C", "D"}
    assert max(len(line) for line in lines) <= 40


def test_sweep_heatmap_fits_40_columns_and_keeps_the_best(gdx_main, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = gdx_main("sweep", "rosenbrock", "-o", "momentum", "--lr", "1e-4:1e-2", "--momentum", "0:0.99",
                              "--steps", "300")
    cells = [line for line in out.splitlines() if " │" in line]
    assert len(cells) == 20 and max(len(line) for line in cells) <= 40
    assert any("◆" in line for line in cells)
    assert "of the 40 lr values shown" in out


def test_hessian_entries_stay_inside_the_brackets_when_they_wrap():
    import io

    from rich.console import Console

    from gdx.render.analysis import _matrix

    buf = io.StringIO()
    Console(file=buf, width=30, color_system=None).print(_matrix([["1200*x^2 - 400*y + 2 + 7*x*y*z", "b"], ["c", "d"]]))
    lines = [line.rstrip() for line in buf.getvalue().splitlines()]
    assert len(lines) > 2  # the long entry wrapped
    assert all(line[0] in "⎡⎢⎣" and line[-1] in "⎤⎥⎦" for line in lines), lines


@pytest.mark.parametrize("width", [80, 120, 160])
def test_a_square_box_stays_square_at_any_width(width):
    from gdx.render.landscape import map_size

    rows, cols = map_size(((-5.0, 5.0), (-5.0, 5.0)), width)
    assert rows <= 30
    assert abs(cols / (2 * rows) - 1) < 0.1, (rows, cols)  # a character cell is about 2:1


def test_a_wide_box_still_uses_the_width():
    from gdx.render.landscape import map_size, plot_columns

    rows, cols = map_size(((-10.0, 10.0), (-1.0, 1.0)), 120)
    assert cols == plot_columns(120) and rows >= 8


@pytest.mark.parametrize("argv", [
    ["optimize", "x^2+y^2", "--start", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"],
    ["plot", "x^2+y^2", "--path", "/nonexistent/a/rather/long/directory/name/for/a/path/file.csv"],
    ["optimize", "x^2", "-o", "adam", "--momentum", "0.5"],
])
def test_piped_stderr_is_never_hard_wrapped(gdx_main, monkeypatch, argv):
    monkeypatch.setenv("COLUMNS", "40")
    code, out, err = gdx_main(*argv)
    first = err.splitlines()[0]
    assert code != 0 and len(first) > 40  # the whole message on one line, not broken at 40
