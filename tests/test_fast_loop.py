"""The fast single-run loop (gdx.fastloop) against the generic numpy loop (gdx.loop), and the
block machinery it feeds (PathRecord blocks, the CSV block writer, the live table).

Every comparison runs the same problem twice through gdx's real ``run_to_end`` — once with
``fastloop.ENABLED`` off (the generic loop, the reference) — and asks for the same path exactly
(x, loss, grad, lr, k), ‖∇f‖ to 1e-15 relative (numpy's dot may sum in another order), and the
same evaluation counts, status, message and fault step.
"""

from __future__ import annotations

import io
import math
import signal

import numpy as np
import pytest

import gdx
from gdx import fastloop
from gdx.compile import compile_problem
from gdx.loop import run, run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.path_record import PathRecord
from gdx.result import Path, Status, Step, StepBlock
from gdx.schedules import make_schedule

ROSENBROCK = "(1-x)^2 + 100*(y-x^2)^2"
ROSENBROCK_5 = "(1-a)^2 + 100*(b-a^2)^2 + (1-b)^2 + 100*(c-b^2)^2 + (1-c)^2 + 100*(d-c^2)^2 + (1-d)^2 + 100*(u-d^2)^2"
WAVY = "sin(x) + cos(2*y) + (x^2 + y^2)/10"  # numpy functions: the values are numpy scalars


def both(text, name, x0, *, steps=300, tol=0.0, schedule=None, clip_norm=None, **hyper):
    """(fast Result, generic Result, whether the fast path was taken) of the same run."""
    out = []
    for enabled in (True, False):
        fastloop.ENABLED = enabled
        try:
            c = compile_problem(parse_function(text))
            opt = make_optimizer(name, **hyper)
            sched = None if schedule is None else make_schedule(schedule[0], opt.hyper["lr"], **schedule[1])
            taken = fastloop.TAKEN
            out.append(run_to_end(c, opt, x0, steps=steps, tol=tol, schedule=sched, clip_norm=clip_norm))
            out.append(fastloop.TAKEN > taken)
        finally:
            fastloop.ENABLED = True
    fast, took, generic, _ = out
    return fast, generic, took


def assert_same(fast, generic):
    pf, pg = fast.path, generic.path
    assert np.array_equal(pf.k, pg.k)
    for field in ("x", "loss", "grad", "lr"):
        assert np.array_equal(getattr(pf, field), getattr(pg, field), equal_nan=True), field
    np.testing.assert_allclose(pf.grad_norm, pg.grad_norm, rtol=1e-15, atol=0)
    assert (fast.nfev, fast.njev, fast.nhev) == (generic.nfev, generic.njev, generic.nhev)
    assert (fast.status, fast.message, fast.fault_step, fast.nit) == (
        generic.status, generic.message, generic.fault_step, generic.nit)
    assert np.array_equal(fast.x, generic.x, equal_nan=True) and (fast.fun == generic.fun or
                                                                    (math.isnan(fast.fun) and math.isnan(generic.fun)))


CASES = [
    ("gd", {"lr": 1e-3}),
    ("gd", {"lr": 1e-3, "weight_decay": 0.1}),
    ("momentum", {"lr": 1e-4}),
    ("momentum", {"lr": 1e-4, "dampening": 0.3, "weight_decay": 0.05}),
    ("nesterov", {"lr": 1e-4, "momentum": 0.8}),
    ("adam", {"lr": 1e-2}),
    ("adam", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}),
    ("adamw", {"lr": 1e-2, "weight_decay": 0.1}),
    ("adamw", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True, "beta1": 0.3}),  # lerp's other branch
    ("rmsprop", {"lr": 1e-3}),
    ("rmsprop", {"lr": 1e-3, "centered": True, "momentum": 0.5, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
]


@pytest.mark.parametrize("name,hyper", CASES, ids=[f"{n}-{'-'.join(h)}" for n, h in CASES])
@pytest.mark.parametrize("text,x0", [(ROSENBROCK, (-1.2, 1.0)), (ROSENBROCK_5, (-1.0, 1.2, 0.5, -0.5, 1.0)),
                                     (WAVY, (1.0, 0.5))], ids=["2d", "5d", "numpy-functions"])
def test_fast_path_equals_the_generic_loop(name, hyper, text, x0):
    fast, generic, took = both(text, name, x0, **hyper)
    assert took
    assert fast.status is Status.MAX_STEPS and len(fast.path) == 301
    assert_same(fast, generic)


@pytest.mark.parametrize("name,hyper", [("gd", {"lr": 1e-3}), ("momentum", {"lr": 1e-4}), ("adam", {"lr": 1e-2}),
                                        ("adamw", {"lr": 1e-2, "weight_decay": 0.1}), ("rmsprop", {"lr": 1e-3})])
def test_maximize_and_schedules_take_the_fast_path(name, hyper):
    for schedule in (("cosine", {"t_max": 100}), ("step", {"step_size": 7, "gamma": 0.5}), ("exponential", {"gamma": 0.99})):
        fast, generic, took = both("-(x^2 + 3*y^2) + x*y/2", name, (1.5, -0.5), maximize=True, schedule=schedule,
                                   steps=200, **hyper)
        assert took and fast.status is Status.MAX_STEPS
        assert_same(fast, generic)
        assert len(set(fast.path.lr.tolist())) > 1  # the schedule did change the rate


def test_runs_the_fast_path_does_not_take_are_unchanged():
    """Clipping, a callback, a loss-watching schedule, lbfgs, newton: the generic loop, as before."""
    for kwargs in ({"clip_norm": 1.0}, {"schedule": ("plateau", {})}):
        fast, generic, took = both(ROSENBROCK, "gd", (-1.2, 1.0), lr=1e-3, **kwargs)
        assert not took
        assert_same(fast, generic)
    for name in ("newton", "lbfgs", "adadelta"):
        fast, generic, took = both(ROSENBROCK, name, (-1.2, 1.0), steps=20)
        assert not took
        assert_same(fast, generic)
    taken = fastloop.TAKEN
    run_to_end(compile_problem(parse_function(ROSENBROCK)), make_optimizer("gd", lr=1e-3), (-1.2, 1.0), steps=5,
               callback=lambda step: None)
    assert fastloop.TAKEN == taken


# -- handing over to the generic loop -------------------------------------------------------------


def test_divergence_overflow():
    """lr too large: x grows until Python's x**2 raises OverflowError (numpy: inf) → the generic loop."""
    fast, generic, took = both(ROSENBROCK, "gd", (-1.2, 1.0), lr=0.01)
    assert took and fast.status is Status.DIVERGED and fast.fault_step is not None
    assert_same(fast, generic)


def test_log_of_a_negative_number():
    """x jumps below 0: numpy's log gives NaN, the generic rules call it a fault at that step."""
    fast, generic, took = both("x^2 - log(x)", "gd", (0.1,), lr=1.0, steps=50)
    assert took and fast.status is Status.FAULT and "not a number" in fast.message
    assert_same(fast, generic)


def test_division_by_zero_at_the_start():
    """1/(x−1) at x = 1: Python raises ZeroDivisionError, numpy gives inf; nothing is counted twice."""
    fast, generic, took = both("x^2 + 1/(x - 1)", "gd", (1.0,), lr=0.1)
    assert took and fast.status is generic.status and fast.nfev == generic.nfev == 1
    assert_same(fast, generic)


def test_zero_over_zero_in_an_update():
    """adam with eps = 0 and a gradient component that is always 0: 0/0 in the update (Python
    raises, numpy gives NaN) — the step is redone by the generic loop."""
    fast, generic, took = both("x^2 + y^2", "adam", (1.0, 0.0), lr=0.1, eps=0.0)
    assert took and fast.status.failed
    assert_same(fast, generic)


@pytest.mark.parametrize("text,name", [("x^2 + y^(5/2)", "momentum"), ("x^2 + y^(3/2)", "gd")])
def test_fractional_power_of_a_negative_number_mid_run(text, name):
    """y^(5/2) as momentum carries y below 0: complex in Python (TypeError in the loop), NaN in
    numpy; y^(3/2), whose ∇f has numpy's sqrt: NaN in both."""
    fast, generic, took = both(text, name, (1.0, 1.0), lr=0.01, steps=200)
    assert took and fast.status is Status.FAULT and fast.nit > 5
    assert_same(fast, generic)


@pytest.mark.parametrize("tol", [1e-6, 1e-3, 0.5])
def test_converges_by_tol(tol):
    fast, generic, took = both("x^2 + 3*y^2", "gd", (1.5, -0.5), lr=0.05, steps=10_000, tol=tol)
    assert took and fast.status is Status.CONVERGED and fast.grad_norm <= tol
    assert_same(fast, generic)


def test_max_steps_and_tiny_runs():
    for steps in (0, 1, 2, fastloop.BLOCK, fastloop.BLOCK + 1, 2 * fastloop.BLOCK + 3):
        fast, generic, took = both("x^2 + 3*y^2", "momentum", (1.5, -0.5), lr=1e-3, steps=steps)
        assert fast.status is Status.MAX_STEPS and fast.nit == steps and len(fast.path) == steps + 1
        assert_same(fast, generic)


def test_constant_gradient():
    """∇f of 3x + 2y is a list of Python ints in the generated code; the loss falls until it leaves the band."""
    fast, generic, took = both("3*x + 2*y", "gd", (0.0, 0.0), lr=1e8, steps=100)
    assert took and fast.status is Status.DIVERGED
    assert_same(fast, generic)
    fast, generic, took = both("3*x + 2*y", "nesterov", (0.0, 0.0), lr=0.1, steps=100)
    assert took and fast.status is Status.MAX_STEPS
    assert_same(fast, generic)


def test_threshold_never_passes_a_converged_point():
    """Σg² > threshold(tol) implies √(Σg²) > tol (the loop's test without a square root)."""
    rng = np.random.default_rng(0)
    for tol in (1e-150, 1e-12, 1e-6, 0.3, 1.0, 7.5, 1e100, 1e150):
        above = fastloop.threshold(tol)
        for gg in np.concatenate([tol * tol * (1 + rng.uniform(-1e-8, 1e-8, 2000)), [above, np.nextafter(above, 2 * above)]]):
            if gg > above:
                assert math.sqrt(gg) > tol
    assert fastloop.threshold(0.0) == 0.0 and fastloop.threshold(-1.0) < 0 and fastloop.threshold(1e-200) is None


def test_library_run_gives_steps_one_by_one():
    """gdx.run keeps its Step-per-step contract (blocks are expanded), through the fast path."""
    taken = fastloop.TAKEN
    events = list(gdx.run("x^2 + 3*y^2", start=(1.5, -0.5), optimizer="adam", steps=50, tol=0))
    assert fastloop.TAKEN == taken + 1
    steps = [e for e in events if isinstance(e, Step)]
    assert not any(isinstance(e, StepBlock) for e in events)
    assert [s.k for s in steps] == list(range(51))
    result = events[-1].result
    assert np.array_equal(np.array([s.x for s in steps]), result.path.x)
    assert all(type(s.loss) is float and type(s.lr) is float for s in steps)


def test_blocks_are_opt_in():
    c = compile_problem(parse_function(ROSENBROCK))
    events = list(run(c, make_optimizer("gd", lr=1e-4), (-1.2, 1.0), steps=2 * fastloop.BLOCK, tol=0, blocks=True))
    blocks = [e for e in events if isinstance(e, StepBlock)]
    assert len(blocks) >= 2 and sum(len(b) for b in blocks) + sum(isinstance(e, Step) for e in events) == 2 * fastloop.BLOCK + 1


def test_torch_fixture_runs_go_through_the_fast_path():
    """The torch reference replays (tests/test_optimizers.py) take the fast path where eligible."""
    from test_optimizers import PATHS, _case_args, run_gdx

    eligible = [c for c in PATHS["cases"] if c["optimizer"] in fastloop.RULES and c["max_norm"] is None
                and not (c["schedule"] and c["schedule"]["name"] in ("plateau", "onecycle", "cyclic"))]
    assert len(eligible) >= 10
    for case in eligible:
        taken = fastloop.TAKEN
        run_gdx(*_case_args(case))
        assert fastloop.TAKEN == taken + 1, case


def test_ctrl_c_inside_a_block_keeps_every_step():
    """SIGINT while the fast loop runs: the block's steps so far are recorded (and exported) and the
    run ends as interrupted at the last of them."""
    rows = []

    def schedule(k):
        if k == 1000:
            signal.raise_signal(signal.SIGINT)
        return 1e-3

    record = PathRecord(limit=100, tail=50, block_sink=lambda block: rows.extend(block.k.tolist()))
    c = compile_problem(parse_function("x^2 + 3*y^2"))
    result = run_to_end(c, make_optimizer("gd", lr=1e-3), (1.5, -0.5), steps=10**6, tol=0, schedule=schedule,
                        record=record)
    assert result.status is Status.INTERRUPTED
    assert rows == list(range(result.nit + 1)) and result.nit >= 1000
    assert result.path.k[-1] == result.nit and c.nfev == result.nit + 1


# -- PathRecord blocks, CSV blocks, the live table ---------------------------------------------------


def _steps(n, dim=2, seed=1):
    rng = np.random.default_rng(seed)
    xs, gs = rng.normal(size=(n, dim)), rng.normal(size=(n, dim))
    return [Step(k, xs[k], float(rng.normal()), float(np.linalg.norm(gs[k])), 0.1, gs[k]) for k in range(n)]


def _as_block(steps):
    return Path.from_steps(("x", "y"), steps)


@pytest.mark.parametrize("limit,tail", [(None, None), (100, 50), (7, 3), (1, 1), (40, 200)])
def test_path_record_blocks_keep_the_same_steps(limit, tail):
    steps = _steps(5000)
    rng = np.random.default_rng(2)
    one = PathRecord(limit=limit, tail=tail)
    for s in steps:
        one.append(s)
    blocks = PathRecord(limit=limit, tail=tail)
    i = 3
    for s in steps[:i]:  # steps appended before the first block, then blocks, then steps after
        blocks.append(s)
    while i < 4900:
        j = min(4900, i + int(rng.integers(1, 700)))
        blocks.add_block(_as_block(steps[i:j]))
        i = j
    for s in steps[4900:]:
        blocks.append(s)
    expected, got = one.path(("x", "y")), blocks.path(("x", "y"))
    assert got.k.tolist() == expected.k.tolist() and one.thinned == blocks.thinned
    for field in ("x", "loss", "grad", "grad_norm", "lr"):
        assert np.array_equal(getattr(got, field), getattr(expected, field))
    assert [s.k for s in blocks.steps()] == [s.k for s in one.steps()]
    assert len(got) <= (limit or 0) + (tail or 5000) + 1


def test_csv_block_text_equals_row_by_row(tmp_path):
    from gdx.render.export import CsvStream

    steps = _steps(300)
    odd = Step(300, np.array([math.nan, -0.0]), math.inf, math.nan, 1e-300, np.array([-math.inf, 5e-324]))
    steps.append(odd)
    a, b = CsvStream(tmp_path / "a.csv", ("x", "y")), CsvStream(tmp_path / "b.csv", ("x", "y"))
    for s in steps:
        a.write(s)
    b.write_block(_as_block(steps[:100]))
    b.write_block(_as_block(steps[100:]))
    a.close(), b.close()
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert (tmp_path / "a.csv").read_text().splitlines()[-1] == "300,nan,-0.0,inf,nan,1e-300,-inf,5e-324"


def test_live_table_block_shows_the_same_rows():
    from rich.console import Console

    from gdx.render.stream import IterationStream, shown, shown_between

    for every in (None, 3, 1000):
        for a, b in ((0, 1), (0, 5000), (7, 13), (95, 2001), (999, 1001)):
            assert shown_between(a, b, every) == [k for k in range(a, b) if shown(k, every)]
    steps = _steps(2500)
    texts = []
    for by_block in (False, True):
        out = io.StringIO()
        stream = IterationStream(Console(file=out, width=120, color_system=None), ("x", "y"), live=False)
        if by_block:
            stream.block(StepBlock(_as_block(steps[:1]))), stream.block(StepBlock(_as_block(steps[1:2400])))
            stream.block(StepBlock(_as_block(steps[2400:])))
        else:
            for s in steps:
                stream.step(s)
        stream.close()
        texts.append(out.getvalue())
    assert texts[0] == texts[1] and texts[0].count("\n") > 20


def test_minimize_drains_blocks_to_the_same_result():
    kwargs = dict(start=(1.5, -0.5), optimizer="adam", steps=3 * fastloop.BLOCK, tol=0, lr=1e-3)
    blocked = gdx.minimize("x^4 + 3*y^2 + x*y", **kwargs)
    stepwise = list(gdx.run("x^4 + 3*y^2 + x*y", **kwargs))[-1].result
    assert_same(blocked, stepwise)
    assert len(blocked.path) == 3 * fastloop.BLOCK + 1


def test_cli_output_and_export_are_the_generic_loops(tmp_path, capsys):
    """gdx optimize through the fast path prints the same table and summary and exports the same
    CSV as through the generic loop (‖∇f‖ compared to 1e-15; the wall time masked)."""
    import csv
    import re

    from gdx.cli import main

    outputs = []
    for enabled in (True, False):
        fastloop.ENABLED = enabled
        taken = fastloop.TAKEN
        try:
            path = tmp_path / f"run-{enabled}.csv"
            code = main(["optimize", "exp(x)+exp(y)", "--steps", "9000", "--tol", "0", "--every", "1000",
                         "--no-plot", "--export", str(path)])
        finally:
            fastloop.ENABLED = True
        assert (fastloop.TAKEN > taken) is enabled
        text = re.sub(r".*wall time.*\n", "", capsys.readouterr().out)
        outputs.append((code, text, list(csv.reader(path.open()))))
    (code_a, text_a, rows_a), (code_b, text_b, rows_b) = outputs
    assert code_a == code_b == 0 and text_a.replace("run-True", "run-False") == text_b
    assert len(rows_a) == len(rows_b) == 9002 and rows_a[0] == rows_b[0]
    gn = rows_a[0].index("grad_norm")
    for a, b in zip(rows_a[1:], rows_b[1:]):
        assert a[:gn] + a[gn + 1:] == b[:gn] + b[gn + 1:]
        assert abs(float(a[gn]) - float(b[gn])) <= 1e-15 * abs(float(b[gn]))
