"""Every other input: names, hyperparameters, start points, preset files, export paths.

Through the CLI (``gdx.cli.main`` in-process, and real subprocesses for --debug): usage errors
exit 2 with a message naming the problem, and no error output ever holds a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100")


def check_usage_error(gdx_main, *argv, expect: list[str], code: int = 2):
    exit_code, out, err = gdx_main(*argv)
    text = out + err  # gdx writes every message line whole when stderr is not a terminal
    assert exit_code == code, text
    for words in expect:
        assert words in text, (words, text)
    assert "Traceback" not in out + err
    return text


@pytest.mark.parametrize(
    "argv, expect",
    [
        (["-o", "adma"], ["unknown optimizer 'adma'", "did you mean 'adam'?"]),
        (["-o", "Momentum"], ["unknown optimizer 'Momentum'", "did you mean 'momentum'?"]),
        (["-o", "nesterv"], ["did you mean 'nesterov'?"]),
        (["-o", "sgdd"], ["unknown optimizer 'sgdd'"]),
        (["--schedule", "cosin"], ["unknown schedule 'cosin'", "did you mean 'cosine'?"]),
        (["--schedule", "exponentail"], ["did you mean 'exponential'?"]),
    ],
)
def test_unknown_names_get_a_suggestion(gdx_main, argv, expect):
    check_usage_error(gdx_main, "optimize", "x^2", *argv, expect=expect)


def test_unknown_preset_gets_a_suggestion(gdx_main):
    check_usage_error(gdx_main, "optimize", "rosenbrok", expect=["unknown preset 'rosenbrok'", "did you mean 'rosenbrock'?"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "-1"], "Invalid learning rate: -1"),
        (["--lr", "nan"], "Invalid learning rate: nan"),
        (["--lr", "inf"], "Invalid learning rate: inf"),
        (["-o", "momentum", "--momentum", "-0.5"], "Invalid momentum value: -0.5"),
        (["-o", "adam", "--beta1", "1.5"], "Invalid beta parameter at index 0: 1.5"),
        (["-o", "adam", "--beta2", "-0.1"], "Invalid beta parameter at index 1: -0.1"),
        (["-o", "adam", "--eps", "-1"], "Invalid epsilon value: -1"),
        (["--weight-decay", "-1"], "Invalid weight_decay value: -1"),
        (["-o", "adadelta", "--rho", "2"], "Invalid rho value: 2"),
        (["-o", "rmsprop", "--alpha", "-1"], "Invalid alpha value: -1"),
        (["-o", "adagrad", "--lr-decay", "-1"], "Invalid lr_decay value: -1"),
        (["-o", "gd", "--beta1", "0.5"], "optimizer 'gd' does not take 'beta1'"),
        (["--schedule", "step", "--gamma", "-1"], "Invalid gamma value: -1"),
        (["--steps", "-1"], "Invalid steps value: -1"),
        (["--tol", "-1"], "Invalid tol value: -1"),
        (["--clip-norm", "0"], "Invalid clip_norm value: 0"),
        (["--timeout", "0"], "Invalid timeout value: 0"),
        (["--timeout", "-3"], "Invalid timeout value: -3"),
    ],
)
def test_hyperparameters_are_validated_in_torch_style(gdx_main, argv, message):
    check_usage_error(gdx_main, "optimize", "x^2", *argv, expect=[message])


@pytest.mark.parametrize(
    "spec, expect",
    [
        ("1", ["--start has 1 coordinate, expected 2 (x, y)"]),
        ("1,2,3", ["--start has 3 coordinates, expected 2 (x, y)"]),
        ("z=1,y=2", ["unknown variable 'z'", "the variables are x, y"]),
        ("x=1", ["no value for y"]),
        ("x=1,x=2", ["'x' is given twice"]),
        ("abc,1", ["'abc' is not a finite number"]),
        ("nan,1", ["'nan' is not a finite number"]),
        ("1e999,1", ["'1e999' is not a finite number"]),
    ],
)
def test_start_point_errors_name_the_expected_variables(gdx_main, spec, expect):
    check_usage_error(gdx_main, "optimize", "x^2 + y^2", "--start", spec, expect=expect)


GOOD_PRESET = """name = "t"
title = "T"
description = "d"
expression = "(x-1)^2 + (y+2)^2"
variables = ["x", "y"]
start = [0.0, 0.0]
[domain]
x = [-3.0, 3.0]
y = [-3.0, 3.0]
[[minima]]
at = [1.0, -2.0]
value = 0.0
"""


@pytest.mark.parametrize(
    "edit, expect",
    [
        (lambda s: s.replace('expression = "(x-1)^2 + (y+2)^2"', 'expression = "(x-1)^2'), ["not valid TOML"]),
        (lambda s: s.replace('expression = "(x-1)^2 + (y+2)^2"\n', ""), ["field 'expression' is missing"]),
        (lambda s: s.replace("start = [0.0, 0.0]", 'start = "zero"'), ["field 'start' must be a list of 2 numbers"]),
        (lambda s: s.replace("start = [0.0, 0.0]", "start = [0.0]"), ["field 'start' must have 2 numbers"]),
        (lambda s: s.replace("at = [1.0, -2.0]", "at = [0.5, -2.0]"), ["field 'minima[0].at' is not a minimum"]),
        (lambda s: s.replace("value = 0.0", "value = 3.0"), ["field 'minima[0].value'"]),
        (lambda s: s.replace("x = [-3.0, 3.0]", "x = [3.0, -3.0]"), ["field 'domain.x' must have lo < hi"]),
        (lambda s: s.replace('"(x-1)^2 + (y+2)^2"', '"__import__(1)"'), ["field 'expression'", "unknown function '__import__'"]),
    ],
)
def test_malformed_preset_files_name_the_file_and_field(gdx_main, tmp_path, edit, expect):
    path = tmp_path / "mine.toml"
    path.write_text(edit(GOOD_PRESET))
    check_usage_error(gdx_main, "optimize", str(path), "--no-plot", expect=["mine.toml", *expect])


def test_the_good_preset_file_runs(gdx_main, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD_PRESET)
    code, out, err = gdx_main("optimize", str(path), "--quiet")
    assert code == 0 and re.search(r"status +converged — gradient norm ≤ tol after \d+ steps", out), out


def test_a_preset_file_that_is_not_utf8(gdx_main, tmp_path):
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00")
    check_usage_error(gdx_main, "optimize", str(path), expect=["bin.toml", "UTF-8"])


# -- export paths are checked before the run ---------------------------------------------------
def test_export_paths_are_checked_before_the_run(gdx_main, tmp_path, monkeypatch):
    import gdx.loop

    def no_run(*args, **kwargs):
        raise AssertionError("the run started before the export path was checked")

    monkeypatch.setattr(gdx.loop, "run", no_run)  # the run is never reached: proof, not a stopwatch
    afile = tmp_path / "afile"
    afile.write_text("x")
    slow = ["--steps", "100000000", "--tol", "0"]
    cases = [
        (str(tmp_path / "missing" / "p.csv"), ["directory", "does not exist"]),
        (str(afile / "p.csv"), ["is a file, not a directory"]),  # works as root too
        (str(tmp_path / "p.txt"), ["unknown format '.txt'"]),
        (str(tmp_path), ["unknown format"]),
    ]
    (tmp_path / "dir.csv").mkdir()
    cases.append((str(tmp_path / "dir.csv"), ["is a directory"]))
    for path, expect in cases:
        check_usage_error(gdx_main, "optimize", "exp(x)", *slow, "--export", path, expect=["--export", *expect])


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_export_into_a_read_only_directory(gdx_main, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        check_usage_error(gdx_main, "optimize", "x^2", "--export", str(ro / "p.csv"), expect=["not writable"])
    finally:
        ro.chmod(0o700)


# -- tracebacks: never, unless --debug ----------------------------------------------------------
def test_an_internal_error_is_one_line_without_debug_and_raises_with_it(gdx_main, monkeypatch):
    import gdx.derive

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(gdx.derive, "compile_bounded", broken)
    monkeypatch.setattr(gdx.derive, "start_reading", broken)  # the CLI's miss: read and derived in one child
    code, out, err = gdx_main("optimize", "x^2")
    assert code == 70
    assert "internal error: RuntimeError: simulated bug" in err and "--debug" in err
    assert "Traceback" not in out + err
    from gdx.cli import main

    with pytest.raises(RuntimeError, match="simulated bug"):
        main(["--debug", "optimize", "x^2"])


def test_debug_shows_a_traceback_in_a_real_process():
    plain = subprocess.run([sys.executable, "-m", "gdx", "optimize", "Sin(x)"], capture_output=True, text=True, env=ENV)
    debug = subprocess.run([sys.executable, "-m", "gdx", "--debug", "optimize", "Sin(x)"], capture_output=True, text=True, env=ENV)
    assert plain.returncode == debug.returncode == 2
    assert "Traceback" not in plain.stdout + plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr
    assert "unknown function 'Sin'" in plain.stderr and "did you mean 'sin'?" in plain.stderr


@pytest.mark.parametrize(
    "function",
    ["9**9**9**9", "x.__class__", "Sin(x)", "2x", "\uff58**2", "log(-1)*x", "x" * 3000, "", "x +", "x\x00"],
)
def test_function_errors_through_the_cli_exit_2_without_traceback(gdx_main, function):
    code, out, err = gdx_main("optimize", function)
    assert code == 2
    assert "Traceback" not in out + err
    # a caret line: only spaces and ^ under the offending span (an empty function has no span)
    assert any(set(line.strip()) == {"^"} for line in err.splitlines()) or function == ""


@pytest.mark.parametrize(
    "argv, shown",
    [
        (["optimize", "x+y", "--start", "1\x1b[31mRED,2"], "1\\x1b[31mRED"),
        (["optimize", "x+y", "--start", "z\u202e=1,y=2"], "z\\u202e"),
        (["optimize", "x+y", "-o", "ad\x1b[2Jam"], "ad\\x1b[2Jam"),
        (["optimize", "x+y", "--export", "no\x07where/p.csv"], "no\\x07where"),
    ],
)
def test_control_characters_in_any_echoed_input_are_escaped(gdx_main, argv, shown):
    code, out, err = gdx_main(*argv)
    assert code == 2
    assert shown in err
    assert not any(ord(c) < 32 and c != "\n" or c == "\u202e" for c in out + err)


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["optimize", "x^2", "-q", "--export", "{long}.csv"], "--export"),
        (["compare", "x^2 + y^2", "--export", "{long}"], "--export"),
        (["plot", "himmelblau", "--path", "{long}.csv"], "--path"),
        (["plot", "himmelblau", "--png", "{long}.png"], "--png"),
        (["optimize", "{long}.toml", "-q"], "preset file"),
        (["presets", "{long}.toml"], "preset file"),
    ],
)
def test_a_file_name_the_file_system_refuses_is_a_usage_error(gdx_main, argv, flag):
    # 300 characters: longer than any file system's name limit (255), so os.stat raises ENAMETOOLONG
    long = "a" * 300
    code, out, err = gdx_main(*[a.replace("{long}", long) for a in argv])
    assert code == 2, err
    assert "internal error" not in err and out == ""
    first = err.splitlines()[0]
    assert flag in first and "File name too long" in first
