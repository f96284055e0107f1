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
