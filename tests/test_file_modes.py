"""Files gdx writes get the mode ``open()`` would give them (0666 & ~umask, or an existing
file's own), not ``mkstemp``'s private 0600: write_atomic, the streamed --export CSV, the CLI."""

from __future__ import annotations

import os
import stat

import pytest

from gdx.paths import write_atomic
from gdx.render.export import CsvStream


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    old = os.umask(0o022)

    def set_(mask):
        os.umask(mask)

    yield set_
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_write_atomic_gives_a_new_file_the_umask_mode(tmp_path, umask, mask, expected):
    umask(mask)
    assert mode(write_atomic(tmp_path / "a.json", "{}\n")) == expected
    assert mode(write_atomic(tmp_path / "b.png", lambda tmp: open(tmp, "w").close())) == expected


def test_write_atomic_keeps_an_existing_files_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_atomic(target, "new\n")
    assert mode(target) == 0o640 and target.read_text() == "new\n"


def test_the_streamed_csv_gets_the_umask_mode(tmp_path, umask):
    umask(0o002)
    stream = CsvStream(tmp_path / "run.csv", ("x",))
    assert mode(stream.close()) == 0o664


def test_gdx_run_export_gets_the_umask_mode(tmp_path, umask, gdx_main):
    umask(0o022)
    for name in ("r.csv", "r.json"):
        code, _, err = gdx_main("optimize", "x^2", "--steps", "3", "--export", str(tmp_path / name))
        assert code == 0, err
        assert mode(tmp_path / name) == 0o644
