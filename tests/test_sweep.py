"""Sweeps: range parsing, divergence marking against the stability limits derived by hand, the
best-setting rule, the heatmap and the command.

By hand, for f = x² + 3y² (Hessian diag(2, 6), λmax = 6):
* gradient descent multiplies y by (1 − 6·lr) each step: it diverges iff lr > 2/λmax = 1/3;
* heavy-ball momentum (torch SGD: b ← μb + g, x ← x − lr·b) on the eigen-direction λ has the
  characteristic polynomial r² − (1 + μ − lr·λ)·r + μ; both roots lie inside the unit circle
  iff 0 < lr·λ < 2(1 + μ) (Jury's test), so it diverges iff lr > (1 + μ)/3.
"""

from __future__ import annotations

import io
import json
import math
import numpy as np
import pytest

from gdx.compile import Compiled
from gdx.errors import GdxError
from gdx.parse import parse_function
from gdx.result import Status
from gdx.sweep import Axis, best_run, parse_range

QUAD = "x^2 + 3*y^2"


def quad():
    return Compiled(parse_function(QUAD))


def sweep_runs(optimizer, axes, **settings):
    """The sweep of ``axes`` on QUAD from (1.5, -0.5) through gdx's real pipeline (prepare → batch)."""
    from gdx.app.prepare import RunRequest
    from gdx.app.sweep import sweep_axes

    request = RunRequest(QUAD, optimizer=optimizer, start=(1.5, -0.5), **settings)
    return sweep_axes(request, axes).result


# -- ranges ------------------------------------------------------------------------------------
def test_ranges_log_for_lr_linear_for_momentum():
    lr = parse_range("lr", "1e-3:1", 4)
    assert lr.log and np.allclose(lr.values, [1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)
    mu = parse_range("momentum", "0:0.9", 4)
    assert not mu.log and np.allclose(mu.values, [0.0, 0.3, 0.6, 0.9], rtol=0, atol=1e-15)
    assert parse_range("lr", "0.1:0.4", 4, log=False).values == pytest.approx((0.1, 0.2, 0.3, 0.4))
    assert parse_range("momentum", "0.01:1e-4:log", 3).values == pytest.approx((0.01, 1e-3, 1e-4))
    assert parse_range("momentum", " 0.9 ", 10) == 0.9


@pytest.mark.parametrize(
    "text,span_text,message",
    [
        ("0:1", "0", "needs both ends > 0"),
        ("1e-3:abc", "abc", "'abc' is not a number"),
        ("1e-3:1:cubic", "cubic", "not a spacing"),
        ("1:2:3:4", "1:2:3:4", "colons"),
        ("0.1:0.1", "0.1:0.1", "empty"),
        ("1e-3:inf", "inf", "finite"),
    ],
)
def test_range_errors_point_at_the_bad_part(text, span_text, message):
    with pytest.raises(GdxError) as err:
        parse_range("lr", text, 10)
    e = err.value
    assert message in e.message and e.message.startswith("--lr")
    assert e.source == text
    start, end = e.span
    assert text[start:end] == span_text


def test_a_sweep_needs_two_values():
    with pytest.raises(GdxError, match="at least 2"):
        parse_range("lr", "1e-3:1", 1)


# -- divergence marking ------------------------------------------------------------------------
def test_gd_diverges_exactly_above_two_over_lambda_max():
    lr = parse_range("lr", "1e-3:1", 40)  # no grid value is within 3% of 1/3
    assert min(abs(v - 1 / 3) / (1 / 3) for v in lr.values) > 0.03
    res = sweep_runs("gd", (lr,), steps=1000, tol=1e-6)
    values = res.params["lr"]
    expected = values > 1 / 3  # by hand: |1 − 6·lr| > 1
    assert np.array_equal(res.failed, expected)
    assert all(res.status[i] is Status.DIVERGED for i in np.flatnonzero(expected))
    assert res.stable_lr == pytest.approx(1 / 3, rel=1e-12) and res.lambda_max == pytest.approx(6.0, rel=1e-12)
    assert res.first_failure() == pytest.approx(min(v for v in lr.values if v > 1 / 3))
    doc = res.to_dict()
    assert [r["status"] == "diverged" for r in doc["runs"]] == expected.tolist()
    assert doc["stable_lr"] == pytest.approx(1 / 3)


def test_momentum_grid_diverges_above_the_heavy_ball_limit():
    lr = parse_range("lr", "1e-2:1", 30)
    mu = parse_range("momentum", "0:0.9", 10)
    res = sweep_runs("momentum", (lr, mu), steps=2000, tol=1e-6)
    lrs, mus = res.params["lr"], res.params["momentum"]
    limit = (1 + mus) / 3  # by hand (Jury's test), see the module docstring
    clear = np.abs(lrs / limit - 1) > 0.05  # leave out cells within 5% of the boundary
    assert clear.sum() > 250
    assert np.array_equal(res.failed[clear], (lrs > limit)[clear])
    assert res.shape == (10, 30)


def test_best_setting_rule():
    C, M, D = Status.CONVERGED, Status.MAX_STEPS, Status.DIVERGED
    status = [C, C, M, D, C]
    loss = [1e-13, 3e-13, 1e-3, 1e-20, 2e-13]
    steps = [40, 12, 1000, 5, 30]
    # losses within 1e-9 tie → fewest steps; the diverged run's tiny loss never counts
    assert best_run("loss", status, loss, steps) == 1
    assert best_run("loss", [C, M], [0.5, 0.1], [3, 1000]) == 1  # lower loss wins when not tied
    assert best_run("steps", status, loss, steps) == 1
    assert best_run("steps", [C, C], [2e-13, 1e-13], [7, 7]) == 1  # equal steps → lower loss
    assert best_run("loss", [D, D], [1.0, 2.0], [3, 4]) is None


# -- rendering ---------------------------------------------------------------------------------
def test_heatmap_marks_diverged_and_best_cells():
    from rich.console import Console

    from gdx.render.sweep import BEST, DIVERGED, heatmap, heatmap_cells

    lr = parse_range("lr", "0.05:0.5", 6, log=False)
    mu = Axis("momentum", (0.0, 0.5), False)
    res = sweep_runs("momentum", (lr, mu), steps=500, tol=1e-6)
    chars, levels, _ = heatmap_cells(res)
    assert len(chars) == 2 and len(chars[0]) == 6
    # row 0 is the top row: momentum 0.5; diverged iff lr > (1 + μ)/3 (0.5 for μ = .5: none)
    for r, m in enumerate((0.5, 0.0)):
        for c, v in enumerate(lr.values):
            if v > (1 + m) / 3 + 1e-12:
                assert chars[r][c] == DIVERGED
            else:
                assert chars[r][c] != DIVERGED
    b = res.best
    row, col = divmod(b, 6)
    assert chars[1 - row][col] == BEST
    out = Console(file=io.StringIO(), width=100, color_system=None)
    out.print(heatmap(res, width=100))
    text = out.file.getvalue()
    assert DIVERGED in text and BEST in text and "0.05" in text and "momentum" in text


def test_plot_marks_diverged_runs_and_the_stability_line():
    from gdx.render.sweep import sweep_plot

    res = sweep_runs("gd", (parse_range("lr", "1e-2:1", 12),), steps=300)
    text = sweep_plot(res, width=90, height=16)
    assert "\x1b[" not in text
    # lr > 2/λmax = 1/3 diverges: the last three of the 12 log-spaced lrs (0.43, 0.66, 1)
    assert res.stable_lr == pytest.approx(1 / 3) and res.failed.tolist() == [False] * 9 + [True] * 3
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    vline = lines[top].index("┬")  # where the 2/λmax line meets the frame
    body = lines[top + 1 : bottom]
    assert all(line[vline] in "│2" for line in body)  # a full-height vertical line
    assert "2/λmax" in body[0][vline:]
    assert "xx diverged" in text  # the legend names the marker
    markers = [(r, c) for r, line in enumerate(body) for c, ch in enumerate(line.replace("xx diverged", "  diverged"))
               if ch == "x"]
    # diverged runs are marked at the top of the plot, every one right of the stability line
    assert markers and all(r == 0 and c > vline for r, c in markers), markers


# -- the command -------------------------------------------------------------------------------
def test_command_json_and_text(gdx):
    r = gdx("sweep", QUAD, "-o", "gd", "--lr", "1e-3:1", "--num", "12", "--start", "1.5,-0.5", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["runs"]) == 12 and doc["stable_lr"] == pytest.approx(1 / 3)
    for run in doc["runs"]:
        assert (run["status"] == "diverged") == (run["lr"] > 1 / 3)
    assert doc["best"]["lr"] < 1 / 3 and doc["best"]["status"] == "converged"
    r = gdx("sweep", QUAD, "-o", "momentum", "--lr", "1e-2:1", "--momentum", "0:0.9", "--num", "8", "--grid-num", "4",
            "--start", "1.5,-0.5")
    assert r.returncode == 0, r.stderr
    assert "×" in r.stdout and "◆" in r.stdout and "best" in r.stdout and "2/λmax" in r.stdout


def test_command_usage_errors(gdx):
    r = gdx("sweep", QUAD, "--lr", "0:1")
    assert r.returncode == 2 and "needs both ends > 0" in r.stderr and "^" in r.stderr
    r = gdx("sweep", QUAD, "-o", "adam", "--lr", "1e-3:1", "--beta1", "0:0.9", "--beta2", "0.9:0.99")
    assert r.returncode == 2 and "at most two" in r.stderr
    r = gdx("sweep", QUAD, "--metric", "speed")
    assert r.returncode == 2 and "metric" in r.stderr
