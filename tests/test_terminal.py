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


# -- help and messages ----------------------------------------------------------------------------
COMMANDS = ("optimize", "compare", "sweep", "plot", "analyze", "presets", "optimizers")


def _flat(text: str) -> str:
    """Rendered help as one line: box drawing gone, every run of whitespace one space."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def _sources(name):
    """The help strings of command ``name`` as written: its help paragraphs, epilog lines, and
    every argument's and option's help."""
    import inspect

    import typer.main

    from gdx.cli import app

    command = typer.main.get_command(app).commands[name]
    info = next(i for i in app.registered_commands if i.name == name)
    texts = [*_unescaped(info.help).split("\n\n"), *(_unescaped(info.epilog or "").split("\n\n"))]
    for p in command.params:
        if getattr(p, "help", None):
            texts.append(_unescaped(p.help))
    assert inspect.signature(info.callback)  # the generated options are in the signature
    return [t for t in texts if t.strip()]


def _unescaped(text: str) -> str:
    """The text as the user should read it: gdx's own escaping (gdx.cli.common.markup_escape) undone."""
    return text.replace(":[i][/i]", ":").replace("\\[", "[")


@pytest.mark.parametrize("name", COMMANDS)
def test_help_shows_every_text_as_written(gdx_main, name):
    code, out, err = gdx_main(name, "--help")
    assert code == 0, err
    shown = _flat(out)
    for text in _sources(name):
        assert _flat(text) in shown, text
    assert "🅱" not in out and "\\[" not in out


def test_sweep_help_keeps_ranges_and_defaults(gdx_main):
    shown = _flat(gdx_main("sweep", "--help")[1])
    assert "A:B (or A:B:log, A:B:lin)" in shown
    assert "[default: the preset's, else gd]" in shown and "[default: 1e-6]" in shown
    assert "[default: the preset's, else 1000]" in shown


@pytest.mark.parametrize("name", ("optimize", "plot"))
def test_help_states_the_real_default_box(gdx_main, name):
    from gdx.landscape import DEFAULT_RANGE

    shown = _flat(gdx_main(name, "--help")[1])
    assert f"else {DEFAULT_RANGE[0]:g}:{DEFAULT_RANGE[1]:g}" in shown and "-2:2 for every" not in shown
    assert "else -2:2]" not in shown


@pytest.mark.parametrize("name", ("optimize", "compare", "sweep", "plot", "analyze"))
def test_help_paragraphs_have_no_hard_line_breaks_and_examples_stand_alone(name):
    import importlib

    module = importlib.import_module(f"gdx.cli.{name}")
    for paragraph in module.HELP.split("\n\n"):
        assert "\n" not in paragraph.strip()
    examples = module.EPILOG.split("\n\n")[1:]
    assert examples and all(e.startswith("gdx ") and "·" not in e for e in examples)


def test_the_pyproject_comment_names_a_readme_section_that_exists():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    comment = next(line for line in (root / "pyproject.toml").read_text().splitlines() if "see README" in line)
    section = re.search(r'"([^"]+)"', comment).group(1)
    headings = [line.lstrip("#").strip() for line in (root / "README.md").read_text().splitlines() if line.startswith("#")]
    assert section in headings


@pytest.mark.parametrize("argv, flag", [
    (["--schedule", "step", "--step-size", "0"], "--step-size"),
    (["--schedule", "cosine", "--t-max", "0"], "--t-max"),
    (["--schedule", "step"], "--step-size"),
])
def test_schedule_messages_name_the_flags(gdx_main, argv, flag):
    code, out, err = gdx_main("optimize", "x^2", "-q", *argv)
    assert code == 2 and flag in err
    assert flag.lstrip("-").replace("-", "_") not in err


# -- flags that do not apply ------------------------------------------------------------------------
@pytest.mark.parametrize("argv, flag", [
    (["optimize", "x^2 + y^2", "--starts", "5", "-q"], "--quiet"),
    (["optimize", "x^2 + y^2", "--starts", "5", "--no-plot"], "--no-plot"),
    (["optimize", "x^2 + y^2", "--starts", "5", "--every", "2"], "--every"),
    (["optimize", "x^2", "--seed", "3"], "--seed"),
    (["optimize", "x^2", "--box", "-1:1"], "--box"),
    (["optimize", "x^2", "--json", "-q"], "--quiet"),
    (["optimize", "x^2", "--json", "--every", "2"], "--every"),
    (["optimize", "x^2", "-q", "--no-plot"], "--no-plot"),
    (["optimize", "x^2", "--schedule", "step", "--step-size", "5", "--t-max", "9"], "--t-max"),
    (["optimize", "x^2", "--schedule", "exponential", "--t-max", "9"], "--t-max"),
    (["optimize", "x^2", "--eta-min", "0"], "--eta-min"),
    (["compare", "x^2", "--schedule", "exponential", "--t-max", "9"], "--t-max"),
    (["sweep", "x^2", "--lr", "0.01:1", "--schedule", "step", "--step-size", "3", "--t-max", "9"], "--t-max"),
    (["compare", "x^2", "--json", "--no-plot"], "--no-plot"),
    (["compare", "x^2 + y^2", "--no-plot", "--box", "-1:1"], "--box"),
    (["compare", "x^2 + y^2", "--json", "--axes", "x,y"], "--axes"),
    (["sweep", "x^2", "--lr", "0.01:1", "--grid-num", "5"], "--grid-num"),
    (["sweep", "x^2", "-o", "momentum", "--lr", "0.1", "--momentum", "0:0.9", "--linear"], "--linear"),
    (["analyze", "x^2", "--no-critical", "--box", "-1:1"], "--box"),
    (["analyze", "x^2", "--no-critical", "--no-exact"], "--no-exact"),
])
def test_a_flag_that_does_not_apply_is_refused(gdx_main, argv, flag):
    code, out, err = gdx_main(*argv)
    assert code == 2, (out, err)
    assert flag in err and "not apply" in err and out == ""


# -- numbers as a person writes them ------------------------------------------------------------------
def test_the_calculus_view_shows_exact_numbers_exactly(gdx_main):
    code, out, err = gdx_main("analyze", "0.5*x^2 + 0.1*y^2", "--json", "--no-critical")
    doc = json.loads(out)
    assert doc["gradient"] == ["x", "0.2*y"]
    assert doc["hessian"] == [["1", "0"], ["0", "0.2"]]
    code, out, err = gdx_main("analyze", "ill-conditioned", "--json", "--no-critical")
    doc = json.loads(out)
    assert doc["hessian"] == [["101", "-99"], ["-99", "101"]]


def test_math_text_keeps_what_is_not_an_exact_integer():
    from sympy import Float, Symbol

    from gdx.render.mathtext import math_text

    x = Symbol("x")
    assert math_text(Float(1.0) * x) == "x"
    assert math_text(Float(2.5) * x ** Float(2.0)) == "2.5*x^2"
    assert math_text(Float(1e-20) * x) == "1.0e-20*x"
    assert math_text(Float(1e20) * x) == "1.0e+20*x"  # beyond 10^15 a float is not an exact integer to show
    assert math_text(Float(0.1) + x) == "x + 0.1"


# -- layout ------------------------------------------------------------------------------------------
def _steps(n):
    from types import SimpleNamespace

    return [SimpleNamespace(k=k, x=(1.0 / (k + 1), 2.0), loss=1.0 / (k + 1), grad_norm=0.5, lr=0.1) for k in range(n + 1)]


def _render(renderable, width=100):
    import io

    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(renderable)
    return buf.getvalue()


def _first_cells(text):
    return [line.split()[0] for line in text.splitlines()[1:] if line.split()]


@pytest.mark.parametrize("height", [14, 30])
def test_the_live_table_keeps_the_first_rows_and_the_latest_within_the_window(height):
    import io

    from rich.console import Console

    from gdx.render.stream import RESERVED_LINES, IterationStream

    console = Console(file=io.StringIO(), width=100, height=height, color_system=None, force_terminal=True)
    stream = IterationStream(console, ("x", "y"), live=True)
    for step in _steps(5000):
        stream.step(step)
    shown = _first_cells(_render(stream._table(None)))
    assert len(shown) <= height - RESERVED_LINES + 1  # + the ellipsis row
    assert shown[:3] == ["0", "1", "2"] and shown[-1] == "5000" and "…" in shown
    stream.close()
    final = _first_cells(_render(stream._table(None, final=True)))
    assert final == [str(k) for k in [*range(11), *range(20, 101, 10), *range(200, 1001, 100), 2000, 3000, 4000, 5000]]


@pytest.mark.parametrize("height", [10, 12, 15, 20])
def test_plot_draws_the_rows_asked(gdx_main, height):
    code, out, err = gdx_main("plot", "x^2 + y^2", "--height", str(height), "--no-critical", "--width", "60")
    assert code == 0, err
    assert sum(1 for line in out.splitlines() if line[9:10] in ("┤", "│")) == height


@pytest.mark.parametrize("columns", ["40", "60", "80", "120"])
def test_compare_keeps_the_optimizer_column_at_any_width(gdx_main, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    code, out, err = gdx_main("compare", "rosenbrock", "-o", "gd,adam", "--no-plot", "--steps", "300")
    lines = out.splitlines()
    header = next(line for line in lines if "status" in line)
    assert "optimizer" in header and max(len(line) for line in lines) <= int(columns)
    assert any(line.split()[:2] == ["a", "gd"] for line in lines if line.split())
    assert any(line.split()[:2] == ["b", "adam"] for line in lines if line.split())
