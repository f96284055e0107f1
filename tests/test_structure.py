"""The structure the code promises (README "How it is built"): a core and an application layer that
never import the terminal libraries, CLI modules that import no other command, one prepare for
every entry point, fixed exit statuses, and streams passed in."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gdx.errors import ExitCode
from gdx.result import Status

ROOT = Path(__file__).resolve().parent.parent / "gdx"
TERMINAL = ("typer", "rich", "plotext", "textual", "click")


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(module named, level) of every import statement in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and not base:
                out += [(a.name, node.level) for a in node.names]
            else:
                out.append((base, node.level))
    return out


def core_files():
    """Every module above the renderers: gdx/*.py, gdx/app, gdx/optim."""
    return [p for p in ROOT.glob("*.py") if p.name != "__main__.py"] + list((ROOT / "app").glob("*.py")) + list(
        (ROOT / "optim").glob("*.py"))


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_and_app_never_import_the_terminal_libraries(path):
    for name, level in imports_of(path):
        if level == 0:
            assert name.split(".")[0] not in TERMINAL, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_textual_is_imported_only_by_the_full_screen_views(path):
    """textual (the optional extra gdx[tui]) belongs to gdx/tui/ alone: the CLI reaches it through
    gdx.tui lazily, so every other command runs without it installed."""
    if path.parent.name == "tui":
        return
    for name, level in imports_of(path):
        if level == 0:
            assert name.split(".")[0] != "textual", f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("path", sorted((ROOT / "cli").glob("*.py")), ids=lambda p: p.name)
def test_no_cli_module_imports_another_command(path):
    commands = {p.stem for p in (ROOT / "cli").glob("*.py")} - {"__init__", "common"}
    if path.stem == "__init__":
        return  # the package registers every command
    for name, level in imports_of(path):
        if level == 1:
            assert name.split(".")[0] not in commands, f"cli/{path.name} imports cli.{name}"


def test_running_every_app_entry_point_loads_no_terminal_library(tmp_path):
    """Dynamic check: the whole orchestration of every command, as a library call, never imports
    typer, rich, plotext or click (the renderers are the CLI's business)."""
    code = f"""
import sys
from gdx.app.prepare import RunRequest, prepare
from gdx.app.optimize import optimize
from gdx.app.compare import compare, parse_optimizers, compare_scene
from gdx.app.sweep import sweep
from gdx.app.multistart import multistart
from gdx.app.analyze import analyze
from gdx.app.plot import plot
out = optimize(prepare(RunRequest("x^2 + 3*y^2", export={str(tmp_path / 'run.json')!r})))
assert out.exit_code == 0 and out.document["status"] == "converged"
c = compare(RunRequest("himmelblau", steps=50), parse_optimizers("gd,adam"))
assert compare_scene(c) is not None and len(c.rows) == 2
assert sweep(RunRequest("x^2", optimizer="gd"), {{"lr": "0.1:0.5"}}, num=3).exit_code == 0
assert multistart(prepare(RunRequest("himmelblau", steps=200)), starts=8, seed=1, box=None).exit_code == 0
assert analyze("himmelblau", at="1,1").document["at"] is not None
assert plot("rosenbrock").box
from gdx.app.explore import Explorer, scale_lr
ex = Explorer(RunRequest("x^2 + 3*y^2"))
assert ex.view(scale_lr(ex.initial, True)).gauge.kind == "lr"
from gdx.app.doctor import doctor
log = {str(tmp_path / 'train.csv')!r}
open(log, "w").write("step,loss\\n" + "".join(f"{{k}},{{1 / (k + 1)}}\\n" for k in range(50)))
assert doctor(log).exit_code == 0
from gdx.app.backprop import backprop
assert backprop("tanh(w2*tanh(w1))", at="1,2").exit_code == 0
bad = [m for m in sys.modules if m.split(".")[0] in {TERMINAL!r}]
assert not bad, bad
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]


def test_exit_statuses_have_fixed_values():
    assert {e.name: e.value for e in ExitCode} == {
        "OK": 0, "RUN_FAILED": 1, "USAGE": 2, "TIMEOUT": 3, "IO": 4, "INTERNAL": 70, "INTERRUPTED": 130,
        "HANGUP": 129, "TERMINATED": 143}


def test_status_codes_are_fixed_not_positions():
    assert {s.value: s.code for s in Status} == {
        "converged": 0, "max_steps": 1, "diverged": 2, "fault": 3, "interrupted": 4, "stopped": 5}
    assert [s for s in Status if s.failed] == [Status.DIVERGED, Status.FAULT]


def test_main_takes_its_streams_and_environment():
    from gdx.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["optimize", "x^2 + 3*y^2", "-q"], stdout=out, stderr=err, env={"COLUMNS": "60", "NO_COLOR": "1"})
    assert code == ExitCode.OK and err.getvalue() == ""
    lines = out.getvalue().splitlines()
    assert "converged" in lines[1] and max(len(line) for line in lines) <= 60
    out, err = io.StringIO(), io.StringIO()
    assert main(["optimize", "x^2", "--lr", "-1"], stdout=out, stderr=err, env={}) == ExitCode.USAGE
    assert out.getvalue() == "" and "Invalid learning rate: -1" in err.getvalue()
    out = io.StringIO()
    assert main(["--version"], stdout=out, stderr=io.StringIO(), env={}) == 0
    assert out.getvalue().startswith("gdx ")


def test_internal_error_is_exit_70(monkeypatch):
    from gdx.app import runs
    from gdx.cli import main

    def boom(*a, **k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(runs, "consume", boom)
    monkeypatch.setattr("gdx.app.optimize.consume", boom)
    err = io.StringIO()
    assert main(["optimize", "x^2", "-q"], stdout=io.StringIO(), stderr=err, env={}) == ExitCode.INTERNAL == 70
    assert err.getvalue().startswith("internal error: RuntimeError: a bug")


def strict_json(text: str):
    """json.loads that refuses NaN and ±Infinity tokens (not JSON)."""
    def refuse(token):
        raise ValueError(f"non-JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_json_output_writes_non_finite_numbers_as_null(gdx_main, tmp_path):
    # log(x) at x = -1: f is NaN at the start, so x, f and the gradient have no finite value
    code, out, _ = gdx_main("optimize", "log(x)", "--start", "-1", "--json", "--export", str(tmp_path / "p.json"))
    assert code == ExitCode.RUN_FAILED
    doc = strict_json(out)
    assert doc["status"] == "fault" and doc["loss"] is None and doc["x"] == [None] and doc["fault_step"] == 0
    exported = strict_json((tmp_path / "p.json").read_text())
    assert exported["path"][0]["loss"] is None and exported["path"][0]["x"] == -1.0


def test_compare_and_sweep_take_schedule_and_clipping_like_optimize(gdx_main):
    """The same flags give the same run in optimize, compare and (one row of) sweep."""
    flags = ["--start", "1.5,-0.5", "--steps", "60", "--schedule", "step", "--step-size", "10", "--gamma", "0.5",
             "--clip-norm", "0.5", "--tol", "0"]
    code, out, err = gdx_main("optimize", "x^2 + 3*y^2", "-o", "gd", "--lr", "0.25", *flags, "--json")
    assert code == 0, err
    single = json.loads(out)
    assert single["schedule"] == "step" and single["clip_norm"] == 0.5
    code, out, err = gdx_main("compare", "x^2 + 3*y^2", "-o", "gd:lr=0.25,adam", *flags, "--json")
    assert code == 0, err
    row = json.loads(out)["runs"][0]
    assert row["x"] == single["x"] and row["loss"] == single["loss"]
    code, out, err = gdx_main("sweep", "x^2 + 3*y^2", "-o", "gd", "--lr", "0.25:0.5:lin", "--num", "2", *flags, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schedule"] == "step" and doc["clip_norm"] == 0.5
    run = next(r for r in doc["runs"] if r["lr"] == 0.25)
    assert run["loss"] == pytest.approx(single["loss"], rel=1e-12) and run["steps"] == single["steps"] == 60
    # without clipping and the schedule the run is different: the flags were not ignored
    code, out, _ = gdx_main("optimize", "x^2 + 3*y^2", "-o", "gd", "--lr", "0.25", "--start", "1.5,-0.5",
                            "--steps", "60", "--tol", "0", "--json")
    assert json.loads(out)["loss"] != single["loss"]


def test_library_api_and_cli_are_one_pipeline(gdx_main):
    import gdx

    result = gdx.minimize("rosenbrock", optimizer="adam", lr=0.02, steps=300, start=(-1.2, 1.0))
    code, out, _ = gdx_main("optimize", "rosenbrock", "-o", "adam", "--lr", "0.02", "--steps", "300",
                            "--start", "-1.2,1", "--json")
    doc = json.loads(out)
    assert list(result.x) == doc["x"] and result.nit == doc["steps"] == 300
    with pytest.raises(gdx.GdxError, match="Invalid learning rate: -1"):
        gdx.minimize("x^2", lr=-1)


def test_every_hyperparameter_of_the_table_is_a_flag_of_every_running_command(gdx_main):
    from gdx.optim.hyper import HYPERPARAMETERS

    for command in ("optimize", "sweep"):
        code, out, _ = gdx_main(command, "--help")
        assert code == 0
        for h in HYPERPARAMETERS.values():
            assert h.flag in out, (command, h.flag)
    for command in ("optimize", "compare", "sweep"):
        _, out, _ = gdx_main(command, "--help")
        for flag in ("--schedule", "--step-size", "--t-max", "--clip-norm", "--steps", "--tol", "--start", "--timeout"):
            assert flag in out, (command, flag)
