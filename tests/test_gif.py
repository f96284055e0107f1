"""``--gif FILE``: the animation of optimize, compare and --starts (gdx.render.gif), read back
with PIL: the frame bound, the first and last frames, the size, and a file that exists only
when complete."""

import os
import sys

import numpy as np
import pytest

from gdx.render.gif import GIF_DPI, GIF_FRAMES, GIF_SIZE, frame_steps

PIL = pytest.importorskip("PIL.Image")
SIZE = (int(GIF_SIZE[0] * GIF_DPI), int(GIF_SIZE[1] * GIF_DPI))
RED = np.array([214, 39, 40])  # matplotlib's C3: the first path and its loss curve


def frames_of(path):
    """Every frame of the GIF as an RGB array."""
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        assert im.format == "GIF"
        return im.size, [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


def red_pixels(frame) -> int:
    return int((np.abs(frame.astype(int) - RED).sum(axis=2) < 40).sum())


@pytest.mark.parametrize("last", [0, 1, 30, GIF_FRAMES - 1, GIF_FRAMES, 1000, 20000, 10**6])
def test_frame_steps_are_bounded_and_keep_the_first_and_last_step(last):
    steps = frame_steps(last)
    assert steps[0] == 0 and steps[-1] == last
    assert len(steps) <= GIF_FRAMES
    assert all(a < b for a, b in zip(steps, steps[1:]))
    if last + 1 <= GIF_FRAMES:
        assert steps == list(range(last + 1))  # a short run: every step
    else:
        assert steps[:10] == list(range(10))  # the first steps each get a frame
        assert len(steps) >= GIF_FRAMES * 0.6  # and the bound is used, not wasted


def test_optimize_gif_grows_the_path_from_the_start_to_the_end(gdx_main, tmp_path):
    out_file = tmp_path / "run.gif"
    code, out, err = gdx_main("optimize", "x^2 + 3*y^2", "--lr", "0.1", "--steps", "12", "--tol", "0",
                              "--gif", str(out_file))
    assert code == 0, err
    assert f"animation written to {out_file}" in out
    size, frames = frames_of(out_file)
    assert size == SIZE
    assert len(frames) == len(frame_steps(12)) == 13  # one per step, 0 … 12
    first, last = red_pixels(frames[0]), red_pixels(frames[-1])
    assert last > first + 200  # the path and its loss curve are drawn by the end, not at the start
    counts = [red_pixels(f) for f in frames]
    assert counts == sorted(counts) or sum(b < a for a, b in zip(counts, counts[1:])) <= 2  # they grow
    assert os.listdir(tmp_path) == ["run.gif"]


def test_a_long_run_is_decimated_to_the_frame_bound(tmp_path):
    """write_gif with a small bound: the file holds exactly the decimated frames."""
    from gdx.compile import Compiled
    from gdx.landscape import grid
    from gdx.parse import parse_function
    from gdx.render.gif import write_gif

    g = grid(Compiled(parse_function("x^2 + y^2")), [(-2.0, 2.0), (-2.0, 2.0)], (40, 40))
    t = np.linspace(0, 1, 501)
    path = np.stack([1.5 * (1 - t), 1.0 - t], axis=1)
    steps = write_gif(tmp_path / "long.gif", g, paths=[("gd", path)], curves=[("gd", np.arange(501), np.exp(-5 * t))],
                      limit=16)
    assert steps == frame_steps(500, 16) and steps[0] == 0 and steps[-1] == 500
    size, frames = frames_of(tmp_path / "long.gif")
    assert size == SIZE and len(frames) == len(steps) <= 16


def test_compare_gif_animates_every_run(gdx_main, tmp_path):
    out_file = tmp_path / "cmp.gif"
    code, out, err = gdx_main("compare", "x^2 + 3*y^2", "-o", "gd,adam", "--steps", "15", "--tol", "0", "--no-plot",
                              "--gif", str(out_file))
    assert code == 0, err
    assert f"animation written to {out_file}" in out
    size, frames = frames_of(out_file)
    assert size == SIZE and len(frames) == 16


def test_starts_gif_animates_the_runs_in_their_basins_colours(gdx_main, tmp_path):
    out_file = tmp_path / "starts.gif"
    code, out, err = gdx_main("optimize", "himmelblau", "--starts", "6", "--steps", "12", "--tol", "0",
                              "--gif", str(out_file))
    assert code == 0, err
    assert f"animation written to {out_file}" in out
    size, frames = frames_of(out_file)
    assert size == SIZE and len(frames) == 13
    assert not np.array_equal(frames[0], frames[-1])


def block_matplotlib(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)


@pytest.mark.parametrize("command", [["optimize", "x^2 + y^2"], ["compare", "x^2 + y^2", "-o", "gd"],
                                     ["optimize", "x^2 + y^2", "--starts", "4"]])
def test_missing_extra_is_refused_before_any_work(gdx_main, monkeypatch, tmp_path, command):
    block_matplotlib(monkeypatch)
    out_file = tmp_path / "a.gif"
    code, out, err = gdx_main(*command, "--gif", str(out_file))
    assert code == 2
    assert "--gif needs matplotlib" in err and 'pip install "gdx[png]"' in err
    assert out == "" and not out_file.exists()


@pytest.mark.parametrize("args, message", [(["x^2 + y^2", "--gif", "a.png"], "unknown format '.png'"),
                                           (["x^2", "--gif", "a.gif"], "two or more variables"),
                                           (["x^2 + y^2", "--gif", "missing/a.gif"], "does not exist")])
def test_unusable_gif_is_refused_before_the_run(gdx_main, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = gdx_main("optimize", *args)
    assert code == 2 and message in err and out == ""
    assert os.listdir(tmp_path) == []


def test_the_file_exists_only_when_complete(gdx_main, tmp_path, monkeypatch):
    """A write that fails half-way leaves neither the file nor its temporary copy."""
    from PIL import Image

    def half_written(self, fp, *args, **kwargs):
        with open(fp, "wb") as fh:
            fh.write(b"GIF89a")  # a partial file at the temporary path
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", half_written)
    out_file = tmp_path / "run.gif"
    code, out, err = gdx_main("optimize", "x^2 + y^2", "--steps", "5", "-q", "--gif", str(out_file))
    assert code != 0 and "could not write" in err and "No space left" in err
    assert os.listdir(tmp_path) == []
