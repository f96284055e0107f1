"""The terminal experience (issue 14): what a new user types, pipes and reads."""

from __future__ import annotations

import json

import pytest

from gdx.cli.argv import function_first

NEG = "-cos(x)*cos(y)"


@pytest.mark.parametrize("argv", [
    ["optimize", NEG, "--json"],
    ["optimize", "--json", NEG],
    ["optimize", "--", NEG, "--json"],
    ["optimize", " " + NEG, "--json"],
    ["optimize", "--lr", "0.1", NEG, "--json"],
    ["--debug", "optimize", NEG, "--json"],
])
def test_a_function_starting_with_a_minus_is_the_function(gdx_main, argv):
    code, out, err = gdx_main(*argv)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["loss"] == pytest.approx(-1.0, abs=1e-9)


@pytest.mark.parametrize("command", [
    ["analyze", NEG, "--json", "--no-critical"],
    ["plot", NEG, "--no-critical", "--width", "60"],
    ["compare", NEG, "-o", "gd,adam", "--json"],
    ["sweep", NEG, "-o", "gd", "--lr", "0.01:0.5", "--num", "4", "--json"],
])
def test_every_function_command_takes_a_leading_minus(gdx_main, command):
    code, out, err = gdx_main(*command)
    assert code == 0, err
    assert "No such option" not in err


def test_an_unknown_option_is_still_named(gdx_main):
    code, out, err = gdx_main("optimize", "x^2", "--lrr", "3")
    assert code == 2 and "--lrr" in err


def test_an_option_value_starting_with_a_minus_stays_the_value():
    commands = {"optimize": _command("optimize")}
    assert function_first(["optimize", "--start", "-1,2", "x^2"], commands) == ["optimize", "--start", "-1,2", "--", "x^2"]
    assert function_first(["optimize", "-q", "-x^2"], commands) == ["optimize", "-q", "--", "-x^2"]
    assert function_first(["optimizers"], commands) == ["optimizers"]


def _command(name):
    import typer.main

    from gdx.cli import app

    return typer.main.get_command(app).commands[name]


def _gdx_process(*argv, env=None, stdout=None):
    import os
    import subprocess
    import sys

    environ = {**os.environ, "COLUMNS": "80", **(env or {})}
    return subprocess.run([sys.executable, "-m", "gdx", *argv], stdout=stdout if stdout is not None else subprocess.PIPE,
                          stderr=subprocess.PIPE, env=environ, timeout=120)


@pytest.mark.parametrize("argv", [["optimize", "rosenbrock"], ["optimize", "x^2 + 3*y^2", "--steps", "50"],
                                  ["compare", "x^2 + 3*y^2", "-o", "gd,adam"], ["optimizers"]])
def test_a_closed_stdout_is_not_a_failed_run(argv):
    """``gdx … | head -3``: the reader is gone before gdx writes; exit 0 and nothing on stderr."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone away: every write gets EPIPE
    try:
        done = _gdx_process(*argv, stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""


def test_an_ascii_console_gets_ascii_glyphs():
    done = _gdx_process("optimize", "x^2 + 3*y^2", "--steps", "30", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode in (0, 1), done.stderr.decode()
    text = done.stdout.decode("ascii")  # every byte is ASCII
    assert "df/dx" in text and "2*x" in text and "internal error" not in done.stderr.decode("ascii")


@pytest.mark.parametrize("function", ["loss^2 + step^2", "x^2 + grad_x^2", "lr^2 + x^2", "grad_norm^2"])
@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_variable_named_like_a_gdx_column_is_refused_before_the_run(gdx_main, tmp_path, function, suffix):
    target = tmp_path / f"run{suffix}"
    code, out, err = gdx_main("optimize", function, "--export", str(target), "-q")
    assert code == 2 and "column" in err and not target.exists() and out == ""


def test_compare_refuses_colliding_columns_before_any_output(gdx_main, tmp_path):
    code, out, err = gdx_main("compare", "x^2 + lr^2", "-o", "gd", "--export", str(tmp_path / "runs"))
    assert code == 2 and "'lr'" in err and out == ""


@pytest.mark.parametrize("function", ["steps^2 + losses^2", "x^2 + grad^2 + lr2^2", "x1^2 + x10^2"])
@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_every_exported_path_reads_back(gdx_main, tmp_path, function, suffix):
    target = tmp_path / f"run{suffix}"
    code, _, err = gdx_main("optimize", function, "--export", str(target), "-q", "--steps", "20")
    assert code in (0, 1), err
    code, out, err = gdx_main("plot", function, "--path", str(target), "--no-critical", "--width", "60")
    assert code == 0, err


def test_an_export_into_a_read_only_file_system_is_refused_up_front(gdx_main):
    """sysfs takes no new files, even for root, though os.access says /sys is writable for root."""
    code, out, err = gdx_main("optimize", "x^2", "--export", "/sys/run.csv")
    assert code == 2 and "not writable" in err and out == ""
