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
