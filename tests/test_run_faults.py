"""Faults during a run: the status names the step and the cause, and nothing computed is lost.

References are hand derivations (the iterates of gd on x² and on log(x) are written out in
closed form here) — never gdx's own earlier output.  Ctrl-C and kill -9 are sent to REAL
subprocesses.
"""

from __future__ import annotations

import csv
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gdx.app.prepare import RunRequest, prepare
from gdx.result import Status

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", PYTHONUNBUFFERED="1")


def run_config(**kwargs):
    prepared = prepare(RunRequest(**kwargs))
    from gdx.app.runs import consume

    return prepared, consume(prepared)


def csv_rows(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_overflow_diverges_at_the_step_where_the_loss_explodes(tmp_path):
    # gd on x² with lr 10: x_{k+1} = x_k − 10·2x_k = −19·x_k, so f_k = 361^k (from x₀ = 1).
    # The run stops at the first k with |f_k − f_0| > 1e10·(1 + |f_0|) = 2e10.
    expected = next(k for k in range(100) if abs(361.0**k - 1) > 1e10 * 2)
    prepared, result = run_config(function="x^2", optimizer="gd", hyper={"lr": 10.0}, start="1", steps=1000,
                                  export=str(tmp_path / "p.csv"))
    assert result.status is Status.DIVERGED
    assert result.fault_step == expected == 5
    assert f"step {expected}" in result.message and "exploded" in result.message
    assert len(result.path) == expected + 1
    assert result.path.x[-1][0] == pytest.approx((-19.0) ** expected)


def test_overflow_to_infinity_at_the_start():
    prepared, result = run_config(function="exp(x)", start="1000", steps=10)
    assert result.status is Status.DIVERGED
    assert result.fault_step == 0 and "overflowed to +inf" in result.message


def test_domain_fault_log_keeps_the_path_and_exports_it(tmp_path, gdx_main):
    # gd on log(x) from 0.5 with lr 1: x₁ = 0.5 − 1/0.5 = −1.5, outside the domain: f(x₁) is NaN.
    out = tmp_path / "path.csv"
    code, stdout, stderr = gdx_main("optimize", "log(x)", "--start", "0.5", "--lr", "1", "--export", str(out), "--no-plot")
    assert code == 1
    assert "numerical fault at step 1" in stdout and "not a number" in stdout
    header, rows = csv_rows(out)
    assert [int(r[0]) for r in rows] == [0, 1]
    assert float(rows[0][1]) == 0.5 and float(rows[1][1]) == -1.5
    assert float(rows[0][header.index("loss")]) == pytest.approx(math.log(0.5))
    assert math.isnan(float(rows[1][header.index("loss")]))
    assert "Traceback" not in stdout + stderr


def test_newton_on_a_plateau_reports_a_singular_hessian(tmp_path, gdx_main):
    # f = x + y: ∇f = (1, 1) never vanishes and H = 0 everywhere, so the first Newton update
    # cannot be computed.
    out = tmp_path / "n.json"
    code, stdout, stderr = gdx_main("optimize", "x + y", "-o", "newton", "--start", "0,0", "--export", str(out), "--no-plot")
    assert code == 1
    assert "numerical fault at step 1" in stdout and "singular Hessian" in stdout
    import json

    doc = json.loads(out.read_text())
    assert doc["status"] == "fault" and doc["fault_step"] == 1
    assert len(doc["path"]) == 1  # the start point, kept


def test_numerical_fault_json_status(gdx_main):
    import json

    code, stdout, _ = gdx_main("optimize", "log(x)", "--start", "0.5", "--lr", "1", "--json")
    doc = json.loads(stdout)
    assert code == 1 and doc["status"] == "fault" and doc["fault_step"] == 1


# -- Ctrl-C: a real subprocess -------------------------------------------------------------------
def test_sigint_mid_run_keeps_every_step(tmp_path):
    out = tmp_path / "run.csv"
    # ∇f = (eˣ, eʸ) never vanishes, so with --tol 0 this run only ends by Ctrl-C.
    args = [sys.executable, "-m", "gdx", "optimize", "exp(x)+exp(y)", "--steps", "5000000", "--tol", "0",
            "--export", str(out), "--no-plot", "--every", "2000"]
    from helpers import interruptible

    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, text=True, cwd=tmp_path,
                            preexec_fn=interruptible)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the loop is visibly running (step 4000 shown)
        line = proc.stdout.readline()
        lines.append(line)
        parts = line.split()
        if parts and parts[0].isdigit() and int(parts[0]) >= 4000:
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    stdout = "".join(lines) + stdout
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr
    import re

    k = int(re.search(r"interrupted at step (\d+)", stdout).group(1))
    assert k >= 4000
    assert f"path written to {out} ({k + 1} rows)" in stdout.replace("\n", "")
    header, rows = csv_rows(out)
    steps = [int(r[0]) for r in rows]
    assert steps == list(range(k + 1))  # every step computed, none missing, none extra
    # The last row is the point the summary reports (gd on eˣ: x decreases monotonically).
    xs = [float(r[1]) for r in rows]
    assert all(b < a for a, b in zip(xs, xs[1:]))


# -- kill -9 during an export: the previous file or a complete new one ---------------------------
# GDX_TEST_EXPORT_PAUSE (gdx.render.export.write_atomic) holds the writer between writing the
# temporary file and renaming it, so the kill is sent only once the temporary file is seen: it
# provably lands inside the write window, on any machine, however loaded.
PAUSE = "600"  # seconds; the process is killed long before


def kill_inside_the_write_window(args, directory: Path, name: str, **popen):
    """Start ``args``; SIGKILL it once ``directory/.name.*.tmp`` exists; return the tmp files."""
    env = dict(ENV, GDX_TEST_EXPORT_PAUSE=PAUSE)
    proc = subprocess.Popen(args, env=env, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    try:
        deadline = time.monotonic() + 120  # a guard against hanging, not a speed bound
        seen = []
        while not seen and proc.poll() is None and time.monotonic() < deadline:
            seen = list(directory.glob(f".{name}.*.tmp"))
            time.sleep(0.01)
        assert seen, f"the temporary file was never seen (exit status {proc.poll()})"
        proc.kill()  # SIGKILL: no handler, no cleanup
        assert proc.wait(timeout=60) == -signal.SIGKILL  # it was still running: killed, not finished
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = list(directory.glob(f".{name}.*.tmp"))
    assert left == seen  # the kill landed before the rename (which would have removed it)
    return left


WRITER = r"""
import sys
from gdx.paths import write_atomic
write_atomic(sys.argv[1], "begin 1\n" + "1," * 400_000 + "\nend 1\n")
"""


@pytest.mark.parametrize("previous", ["begin 0\n\nend 0\n", None], ids=["over-a-file", "new-file"])
def test_kill_9_inside_write_atomic_leaves_the_previous_file(tmp_path, previous):
    target = tmp_path / "out.csv"
    if previous is not None:
        target.write_text(previous)
    kill_inside_the_write_window([sys.executable, "-c", WRITER, str(target)], tmp_path, target.name)
    if previous is None:
        assert not target.exists()
    else:
        assert target.read_text() == previous
    # and left alone, the same writer replaces the file whole
    subprocess.run([sys.executable, "-c", WRITER, str(target)], env=ENV, cwd=tmp_path, timeout=120, check=True)
    assert target.read_text() == "begin 1\n" + "1," * 400_000 + "\nend 1\n"


def test_kill_9_during_a_cli_export_keeps_the_previous_file(tmp_path):
    target = tmp_path / "path.csv"
    args = [sys.executable, "-m", "gdx", "optimize", "exp(x)+exp(y)", "--tol", "0",
            "--export", str(target), "--quiet", "--steps"]
    subprocess.run(args + ["50"], env=ENV, cwd=tmp_path, capture_output=True, timeout=120, check=True)
    previous = target.read_text()
    assert len(previous.splitlines()) == 52  # header + steps 0..50
    kill_inside_the_write_window(args + ["5000"], tmp_path, target.name)
    assert target.read_text() == previous  # not a truncated new file, not a mix


def test_kill_9_during_a_first_cli_export_leaves_no_file(tmp_path):
    target = tmp_path / "path.json"
    args = [sys.executable, "-m", "gdx", "optimize", "exp(x)+exp(y)", "--tol", "0", "--steps", "5000",
            "--export", str(target), "--quiet"]
    kill_inside_the_write_window(args, tmp_path, target.name)
    assert not target.exists()
