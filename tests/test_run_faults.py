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
    args = [sys.executable, "-m", "gdx", "optimize", "exp(x)+exp(y)", "--steps", "100000000", "--tol", "0",
            "--export", str(out), "--no-plot", "--every", "2000"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, text=True, cwd=tmp_path)
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
WRITER = r"""
import sys
from gdx.paths import write_atomic
path = sys.argv[1]
n = 0
while True:
    n += 1
    body = ("%d," % n) * 400_000
    write_atomic(path, "begin %d\n" % n + body + "\nend %d\n" % n)
"""


def complete(text: str) -> bool:
    """A file the writer produced whole: 'begin n', the body of n, 'end n'."""
    first, _, rest = text.partition("\n")
    if not first.startswith("begin "):
        return False
    n = int(first.split()[1])
    return rest == ("%d," % n) * 400_000 + "\nend %d\n" % n


def test_kill_9_during_write_atomic_never_leaves_a_truncated_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("begin 0\n\nend 0\n")  # the previous file
    seen, mid_write = set(), 0
    for delay in (0.3, 0.42, 0.55, 0.67, 0.8):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], env=ENV, cwd=tmp_path)
        time.sleep(delay)
        proc.kill()  # SIGKILL, mid-write with high probability (each write is ~3 MB)
        proc.wait()
        text = target.read_text()
        assert complete(text) or text == "begin 0\n\nend 0\n", text[:40]
        seen.add(text.partition("\n")[0])
        leftovers = list(tmp_path.glob(".out.csv.*.tmp"))  # a kill between mkstemp and rename
        mid_write += bool(leftovers)
        for tmp in leftovers:
            tmp.unlink()
    assert len(seen) > 1  # the kills landed at different points of the writing loop
    assert mid_write >= 1  # and at least one landed in the middle of a write


def test_kill_9_during_a_cli_export_keeps_the_previous_or_a_complete_file(tmp_path):
    target = tmp_path / "path.csv"
    args = [sys.executable, "-m", "gdx", "optimize", "exp(x)+exp(y)", "--steps", "60000", "--tol", "0",
            "--export", str(target), "--quiet", "--no-plot"]
    subprocess.run(args, env=ENV, cwd=tmp_path, capture_output=True, timeout=120, check=False)
    previous = target.read_text()
    assert len(previous.splitlines()) == 60002
    for delay in (1.0, 1.6):
        proc = subprocess.Popen(args[:6] + ["70000"] + args[7:], env=ENV, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait()
        text = target.read_text()
        lines = text.splitlines()
        assert text == previous or (len(lines) == 70002 and text.endswith("\n")), len(lines)
