"""Every table at 40, 80 and 120 columns keeps the column that says which row is which, whole,
and no line is wider than the terminal (the fixed-width form of the tmux check of issue 14)."""

import re

import pytest
from rich.cells import cell_len

WIDTHS = (40, 80, 120)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_at(gdx_main, monkeypatch, width, *argv):
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = gdx_main(*argv)
    assert code == 0, err
    lines = ANSI.sub("", out).split("\n")
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, too_wide[:3]
    return lines


def first_words(lines):
    return [line.split()[0] for line in lines if line.split()]


@pytest.mark.parametrize("width", WIDTHS)
def test_presets_table_keeps_every_name_whole(gdx_main, monkeypatch, width):
    from gdx.presets import list_presets

    lines = run_at(gdx_main, monkeypatch, width, "presets")
    names = {p.name for p in list_presets()}
    assert names <= set(first_words(lines))  # each name whole at the start of its row
    if width >= 80:
        assert lines[0].split()[:4] == ["name", "vars", "minima", "f_min"]
        rows = [line.split() for line in lines if line.split() and line.split()[0] in names]
        assert all("…" not in cell for row in rows for cell in row[2:4]), rows  # minima, f_min whole
        assert any(row[3] == "0.397887" for row in rows)  # Branin's f_min, not "0.3978…"


@pytest.mark.parametrize("width", WIDTHS)
def test_optimizers_keep_every_flag_and_its_meaning(gdx_main, monkeypatch, width):
    from gdx.optim import describe

    lines = run_at(gdx_main, monkeypatch, width, "optimizers", "adam")
    text = " ".join(line.strip("│ ") for line in lines)
    words = set(re.findall(r"--[a-z0-9-]+", text))
    adam = next(d for d in describe() if d["name"] == "adam")
    assert {h["flag"] for h in adam["hyperparameters"]} <= words
    for h in adam["hyperparameters"]:  # the meaning is readable, not cut to a letter and an ellipsis
        assert " ".join(h["meaning"].split()[:2]) in re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("width", WIDTHS)
def test_live_table_keeps_the_step_column(width):
    """The terminal's live table (its final, log-spaced form) of a real run, at ``width``."""
    import io

    from rich.console import Console

    from gdx.app.prepare import RunRequest, prepare
    from gdx.render.stream import IterationStream
    from gdx.result import Step

    prepared = prepare(RunRequest(function="rosenbrock", optimizer="adam", hyper={"lr": 0.02}, steps=300))
    console = Console(file=io.StringIO(), width=width, height=60, color_system=None, force_terminal=True)
    stream = IterationStream(console, prepared.compiled.variables, live=True)
    for event in prepared.run():
        if isinstance(event, Step):
            stream.step(event)
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(stream._table(None, final=True))
    stream.close()
    lines = buf.getvalue().splitlines()
    assert all(cell_len(line) <= width for line in lines)
    assert lines[0].split()[0] == "step"
    assert {"x", "y", "loss"} <= set(lines[0].split())  # narrow: lr, then |grad| go, never these
    assert "…" not in buf.getvalue()  # every number whole
    steps = [int(w) for w in first_words(lines[1:])]
    assert steps[:11] == list(range(11)) and steps[-1] == 300


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_table_keeps_the_optimizer_column(gdx_main, monkeypatch, width):
    lines = run_at(gdx_main, monkeypatch, width, "compare", "ill-conditioned", "-o", "gd,momentum,adam,nesterov",
                   "--no-plot")
    for letter, name in zip("abcd", ("gd", "momentum", "adam", "nesterov")):
        assert any(line.split()[:2] == [letter, name] for line in lines), name


@pytest.mark.parametrize("width", WIDTHS)
def test_starts_table_keeps_the_basin_letter(gdx_main, monkeypatch, width):
    lines = run_at(gdx_main, monkeypatch, width, "optimize", "himmelblau", "--starts", "60")
    assert {"A", "B", "C", "D"} <= set(first_words(lines))


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_keeps_its_row_labels_and_best(gdx_main, monkeypatch, width):
    lines = run_at(gdx_main, monkeypatch, width, "sweep", "rosenbrock", "-o", "momentum", "--lr", "1e-5:1e-2",
                   "--momentum", "0:0.95", "--num", "12", "--grid-num", "6", "--steps", "300", "--metric", "steps")
    labels = [line.split("│")[0].strip() for line in lines if "│" in line]
    assert labels[0] == "0.95" and labels[-1] == "0"
    assert any(line.startswith("best") for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_analyze_keeps_its_row_names(gdx_main, monkeypatch, width):
    lines = run_at(gdx_main, monkeypatch, width, "analyze", "himmelblau", "--at", "0,0")
    names = [line.strip("│ ").split("  ")[0] for line in lines]
    for name in ("f(x, y)", "∂f/∂x", "∂f/∂y"):
        assert name in names
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("# ┃")):]
    assert table[0].split("┃")[-1].strip() in ("kind", "eigenvalues of H")  # kind is kept, whole
    rows = [line.split("│") for line in table[2:] if "│" in line]
    assert [r[0].strip() for r in rows] == [str(i) for i in range(1, 10)]  # the row number
    assert {"minimum", "saddle", "maximum"} <= {w for r in rows for w in r[-1 if width == 40 else -2].split()}


@pytest.mark.parametrize("width", WIDTHS)
def test_schedules_list_keeps_every_name(gdx_main, monkeypatch, width):
    from gdx.schedules import SCHEDULES

    lines = run_at(gdx_main, monkeypatch, width, "schedules")
    assert set(SCHEDULES) <= set(first_words(lines))
