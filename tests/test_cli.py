"""The gdx command as a user meets it: optimize, presets, optimizers, --json, --export, exit codes.

Numbers asserted here are derived by hand in the comments (never from gdx's earlier output).
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


def test_help_and_version(gdx_main):
    code, out, _ = gdx_main("--help")
    assert code == 0 and "optimize" in out and "Example" in out
    code, out, _ = gdx_main("--version")
    assert code == 0 and out.strip().startswith("gdx ")


@pytest.mark.parametrize("command", ["optimize", "optimizers", "presets"])
def test_every_command_help_shows_an_example(gdx_main, command):
    code, out, _ = gdx_main(command, "--help")
    assert code == 0 and "Example" in out


def test_cli_runner_drives_the_app():
    from gdx.cli import app

    result = CliRunner().invoke(app, ["optimize", "x^2+3*y^2", "--quiet", "--start", "1,1"])
    assert result.exit_code == 0, result.output
    # from (1, 1) with the default lr 0.05: ‖∇f‖ ≈ 2·0.9ᵏ ≤ 1e-6 first at k = ⌈ln(5e-7)/ln 0.9⌉ = 138
    assert re.search(r"status +converged — gradient norm ≤ tol after 138 steps", result.output), result.output


def test_plain_stream_has_no_control_codes_and_shows_the_calculus(gdx_main):
    code, out, _ = gdx_main("optimize", "x^2 + 3*y^2", "--start", "1.5,-0.5", "--lr", "0.1", "--every", "10")
    assert code == 0
    assert "\x1b" not in out
    assert "∂f/∂x" in out and "2*x" in out and "6*y" in out  # ∇(x² + 3y²) = (2x, 6y)
    assert "∂²f/∂y²" in out
    lines = [line.split() for line in out.splitlines()]
    rows = [l for l in lines if l and l[0].isdigit() and len(l) == 6]
    assert [int(r[0]) for r in rows[:3]] == [0, 10, 20]
    assert float(rows[0][1]) == 1.5 and float(rows[0][3]) == 3.0  # f(1.5, −0.5) = 2.25 + 0.75
    header = next(l for l in lines if l and l[0] == "step")
    assert header == ["step", "x", "y", "loss", "|grad|", "lr"]
    # gd with lr 0.1: ‖∇f‖ ≈ 3·0.8ᵏ falls below 1e-6 first at k = ⌈ln(1e-6/3)/ln 0.8⌉ = 67
    assert "converged — gradient norm ≤ tol after 67 steps" in out


def test_quiet_prints_only_the_summary(gdx_main):
    code, out, _ = gdx_main("optimize", "x^2+3*y^2", "--quiet")
    assert code == 0 and out.startswith("╭─ result ─")  # no header, no table before the summary
    # default lr 0.05: ‖∇f‖ ≈ 3·0.9ᵏ ≤ 1e-6 first at k = ⌈ln(1e-6/3)/ln 0.9⌉ = 142
    assert "converged — gradient norm ≤ tol after 142 steps" in out
    assert not any(line.split() and line.split()[0].isdigit() for line in out.splitlines())


def test_json_is_one_document_with_the_required_fields(gdx_main):
    code, out, err = gdx_main("optimize", "x^2+3*y^2", "--json", "-o", "gd", "--lr", "0.1", "--start", "1.5,-0.5")
    doc = json.loads(out)
    assert code == 0
    for key in ("variables", "optimizer", "status", "steps", "x", "loss", "grad_norm"):
        assert key in doc
    assert doc["variables"] == ["x", "y"] and doc["optimizer"] == "gd"
    # |x_k| = 1.5·0.8^k and |y_k| = 0.5·0.4^k: ‖∇f‖ = 2|x_k| (dominant) ≤ 1e-6 first at k = 67.
    assert doc["status"] == "converged" and doc["steps"] == 67


def test_export_csv_has_every_point_from_step_zero(gdx_main, tmp_path):
    target = tmp_path / "run.csv"
    code, out, _ = gdx_main("optimize", "x^2+3*y^2", "--lr", "0.1", "--start", "x=1.5,y=-0.5", "--steps", "20", "--tol", "0", "--export", str(target), "--quiet")
    assert code == 0
    rows = list(csv.reader(target.open()))
    assert rows[0][:6] == ["step", "x", "y", "loss", "grad_norm", "lr"]
    assert len(rows) == 22 and rows[1][:3] == ["0", "1.5", "-0.5"]
    assert float(rows[2][1]) == 1.5 - 0.1 * 3.0  # x₁ = x₀ − lr·2x₀


def test_export_json(gdx_main, tmp_path):
    target = tmp_path / "run.json"
    code, _, _ = gdx_main("optimize", "booth", "--steps", "5", "--tol", "0", "--export", str(target), "--quiet")
    doc = json.loads(target.read_text())
    assert code == 0 and doc["preset"] == "booth" and len(doc["path"]) == 6


def test_preset_supplies_start_and_settings(gdx_main):
    from gdx.presets import load_preset

    preset = load_preset("rosenbrock")
    code, out, _ = gdx_main("optimize", "rosenbrock", "--json", "--steps", "3")
    doc = json.loads(out)
    assert doc["start"] == list(preset.start)
    assert doc["optimizer"] == preset.settings.get("optimizer", "gd")


def test_preset_file_path_works_from_another_directory(gdx_main, tmp_path, monkeypatch):
    src = REPO / "presets" / "booth.toml"
    copy = tmp_path / "mine.toml"
    copy.write_text(src.read_text())
    monkeypatch.chdir(tmp_path)
    code, out, _ = gdx_main("optimize", "mine.toml", "--json", "-o", "newton")
    doc = json.loads(out)
    # Booth is quadratic: one Newton step with lr = 1 lands on its minimum (1, 3).
    assert code == 0 and doc["status"] == "converged" and doc["steps"] == 1
    assert doc["x"] == pytest.approx([1.0, 3.0], abs=1e-12)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "newton"])
def test_every_optimizer_runs_from_the_cli(gdx_main, name):
    code, out, _ = gdx_main("optimize", "x^2+3*y^2", "-o", name, "--steps", "50", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["optimizer"] == name and doc["loss"] < 9.0  # f(1.5, 1.5) = 9


@pytest.mark.parametrize("schedule, extra", [("step", ["--step-size", "10", "--gamma", "0.5"]), ("exponential", ["--gamma", "0.9"]), ("cosine", ["--t-max", "20"])])
def test_schedules_from_the_cli(gdx_main, tmp_path, schedule, extra):
    target = tmp_path / "s.csv"
    code, _, _ = gdx_main("optimize", "x^2+3*y^2", "--lr", "0.1", "--schedule", schedule, *extra, "--steps", "30", "--tol", "0", "--export", str(target), "--quiet")
    lrs = [float(r[5]) for r in list(csv.reader(target.open()))[1:]]
    assert code == 0 and len(lrs) == 31 and lrs[0] == 0.1
    if schedule == "step":
        assert lrs[10] == 0.05 and lrs[9] == 0.1
    if schedule == "exponential":
        assert lrs[2] == pytest.approx(0.1 * 0.81)
    if schedule == "cosine":
        assert lrs[20] == pytest.approx(0.0, abs=1e-15) and lrs[10] == pytest.approx(0.05)


def test_diverged_run_exits_1_and_still_exports(gdx_main, tmp_path):
    target = tmp_path / "d.csv"
    code, out, _ = gdx_main("optimize", "x^2+3*y^2", "--lr", "0.5", "--export", str(target))
    rows = list(csv.reader(target.open()))
    # lr 0.5 > 2/λmax = 1/3: y doubles (×(1 − 3)) every step until the loss explodes at step k
    found = re.search(r"status +diverged — diverged at step (\d+): the loss exploded", out)
    assert code == 1 and found, out
    k = int(found.group(1))
    assert k > 2 and len(rows) == k + 2  # the header, then steps 0 … k: every step, the offending one too
    assert [int(r[0]) for r in rows[1:]] == list(range(k + 1))


def test_presets_listing_and_json(gdx_main):
    code, out, _ = gdx_main("presets")
    assert code == 0 and "rosenbrock" in out and "himmelblau" in out
    code, out, _ = gdx_main("presets", "--json")
    data = json.loads(out)
    names = {d["name"] for d in data}
    assert {"sphere", "rosenbrock", "himmelblau", "saddle", "logistic-regression"} <= names
    for d in data:
        assert {"name", "expression", "variables", "domain", "start", "minima", "f_min"} <= set(d)
    code, out, _ = gdx_main("presets", "himmelblau")
    assert code == 0 and "(3, 2)" in out


def test_optimizers_listing(gdx_main):
    code, out, _ = gdx_main("optimizers")
    assert code == 0
    for name in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "newton"):
        assert f"{name} ·" in out
    code, out, _ = gdx_main("optimizers", "--json")
    assert {d["name"] for d in json.loads(out)} >= {"adam", "newton"}


def test_library_api():
    import gdx

    problem = gdx.problem("x^2 + 3*y^2")
    assert problem.variables == ("x", "y")
    assert gdx.compile_problem(problem).grad([1.0, 1.0]).tolist() == [2.0, 6.0]
    result = gdx.minimize("x^2 + 3*y^2", start=(1.5, -0.5), optimizer="gd", lr=0.1)
    assert result.success and result.nit == 67 and result.path.x.shape == (68, 2)
    assert result.to_dict()["status"] == "converged"


def test_help_imports_neither_numpy_nor_sympy():
    code = (
        "import sys\nfrom gdx.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('numpy' in sys.modules, 'sympy' in sys.modules, 'plotext' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False False"


HEAVY_FOR_HELP = ("rich.markdown", "rich.traceback", "rich.syntax", "pygments", "markdown_it")


def _help_in_subprocess(prelude: str) -> tuple[str, list]:
    code = (
        f"import sys, io\n{prelude}\nfrom gdx.cli import main\nout = io.StringIO()\n"
        "for argv in (['--help'], ['optimize', '--help'], ['analyze', '--help']):\n"
        "    main(argv, stdout=out, stderr=out, env={'COLUMNS': '80', 'NO_COLOR': '1'})\n"
        f"heavy = [m for m in {HEAVY_FOR_HELP!r} if m in sys.modules]\n"
        "from rich.markdown import Markdown\nimport typer.rich_utils as u\n"
        "real = type(u.Markdown('*x*')) is Markdown and Markdown.__module__ == 'rich.markdown'\n"
        "import json\nprint(json.dumps([out.getvalue(), heavy, real]))"
    )
    env = dict(os.environ, COLUMNS="80")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True, env=env)
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_skips_rich_markdown_and_traceback_and_is_unchanged():
    lean_text, lean_heavy, lean_real = _help_in_subprocess("")
    # typer.rich_utils imported first, unhooked: the help as typer renders it with every import
    full_text, full_heavy, full_real = _help_in_subprocess("import typer.rich_utils")
    assert lean_heavy == [] and "rich.markdown" in full_heavy
    assert lean_text == full_text and "Usage: gdx optimize" in lean_text
    assert lean_real and full_real  # the stand-in builds rich's own Markdown; none is left behind


def installed_gdx():
    """The console script installed next to this interpreter (the README's `pip install .`)."""
    here = Path(sys.executable).parent / "gdx"
    return str(here) if here.exists() else shutil.which("gdx")


@pytest.mark.skipif(installed_gdx() is None and not os.environ.get("CI"), reason="gdx is not installed in this environment")
def test_installed_gdx_runs_in_a_real_subprocess(tmp_path):
    exe = installed_gdx()
    assert exe, "the gdx console script must be installed (pip install .)"
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [exe, "optimize", "himmelblau", "--steps", "200", "--export", "h.csv"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "╭─ gdx · Himmelblau's function ─" in proc.stdout and "╭─ result ─" in proc.stdout
    assert re.search(r"status +converged — gradient norm ≤ tol after \d+ steps", proc.stdout), proc.stdout
    assert (tmp_path / "h.csv").read_text().startswith("step,x,y,loss,grad_norm,lr")
    proc = subprocess.run([sys.executable, "-m", "gdx", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("gdx ")


@pytest.mark.parametrize("typo, meant", [("rosenbrok", "rosenbrock"), ("six-hump-camle", "six-hump-camel"), ("Himmelblau", "himmelblau")])
def test_misspelt_preset_is_an_error_with_a_suggestion(gdx_main, typo, meant):
    code, out, err = gdx_main("optimize", typo)
    assert code == 2 and out == ""
    assert f"unknown preset '{typo}'" in err and f"did you mean '{meant}'" in err


def test_a_bare_variable_is_still_a_function(gdx_main):
    code, out, _ = gdx_main("optimize", "x-y", "--steps", "2", "--json")
    assert code == 0 and json.loads(out)["variables"] == ["x", "y"]


SLOW_HESSIAN = (
    "exp(x0*x1)**2*log(x0+2)*exp(x1*x2)**3*log(x1+2)*exp(x2*x3)**4*log(x2+2)*exp(x3*x4)**5*log(x3+2)"
    "*exp(x4*x5)**6*log(x4+2)*exp(x5*x6)**7*log(x5+2)*exp(x6*x7)**8*log(x6+2)*exp(x7*x0)**9*log(x7+2)"
)


@pytest.mark.parametrize("command", [["compare", SLOW_HESSIAN, "-o", "gd,adam"], ["sweep", SLOW_HESSIAN, "--lr", "1e-3:1e-1", "--num", "3"]])
def test_every_command_bounds_its_symbolic_work(gdx_main, command):
    # the behaviour is the exit status and the message; how long it took is a bench/ question
    code, out, err = gdx_main(*command, "--timeout", "1")
    assert code == 3 and "did not finish within 1 s" in err and "--timeout" in err


def test_newton_on_a_linear_function_is_explained_not_told_to_lower_lr(gdx_main):
    # f = x + y has H = 0 everywhere: Newton's step does not exist at any learning rate.
    code, out, _ = gdx_main("optimize", "x + y", "-o", "newton", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "fault" and "singular Hessian" in doc["cause"]
    assert "first-order optimizer" in doc["diagnosis"]["suggestion"] and "--lr" not in doc["diagnosis"]["suggestion"]


@pytest.mark.parametrize("command", ["optimize", "compare", "sweep"])
def test_a_constant_function_has_nothing_to_optimize(gdx_main, command):
    code, out, err = gdx_main(command, "3")
    assert code == 2 and out == "" and "no variables" in err
