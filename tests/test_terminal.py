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
