"""``--schedule`` as an expression in k and lr: the same learning rates as the named schedules it
spells (through ``gdx.loop.run`` and ``gdx.batch.run_batch``), the torch fixture's values, and
refusal of anything that is not arithmetic in k and lr or gives a bad rate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import gdx.batch
from gdx.batch import run_batch
from gdx.compile import compile_problem
from gdx.derive import _namespace, check_generated
from gdx.errors import GdxError
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.schedule_expression import _generated_source, is_expression, parse_schedule
from gdx.schedules import make_schedule

QUARTER = compile_problem(parse_function("0.05*x^2"))
BOWL = compile_problem(parse_function("x^2 + 3*y^2 + x*y"))
SEQUENCES = json.loads((Path(__file__).parent / "fixtures" / "torch_schedulers.json").read_text())["sequences"]

#: (expression, named schedule, its parameters, steps): the same rule written both ways.
EQUIVALENT = [
    ("lr*0.5**floor(k/10)", "step", {"gamma": 0.5, "step_size": 10}, 60),
    ("lr*0.1**floor(k/7)", "step", {"gamma": 0.1, "step_size": 7}, 40),
    ("lr*(1 + cos(pi*k/25))/2", "cosine", {"t_max": 25}, 80),
    ("lr*0.99**k", "exponential", {}, 60),
    ("lr", "constant", {}, 20),
]


@pytest.mark.parametrize("text,name,params,steps", EQUIVALENT, ids=[e[0] for e in EQUIVALENT])
def test_expression_equals_named_schedule_exactly(text, name, params, steps):
    ours = make_schedule(text, 0.1, run_steps=steps)
    named = make_schedule(name, 0.1, run_steps=steps, **params)
    values = [ours(k) for k in range(steps + 1)]
    assert all(isinstance(v, float) for v in values)
    assert values == [named(k) for k in range(steps + 1)]


@pytest.mark.parametrize("text,name,params,steps", EQUIVALENT, ids=[e[0] for e in EQUIVALENT])
def test_loop_and_batch_follow_the_named_schedule_exactly(text, name, params, steps):
    opt = make_optimizer("adam", lr=0.1)
    ours = run_to_end(BOWL, opt, [1.5, -0.5], steps=steps, tol=0, schedule=make_schedule(text, 0.1, run_steps=steps),
                      schedule_name=text)
    named = run_to_end(BOWL, opt, [1.5, -0.5], steps=steps, tol=0,
                       schedule=make_schedule(name, 0.1, run_steps=steps, **params), schedule_name=name)
    assert ours.nit == named.nit == steps
    assert np.array_equal(ours.path.lr, named.path.lr) and np.array_equal(ours.path.x, named.path.x)
    lr = np.array([[0.1], [0.05]])  # a sweep's column of learning rates
    batch_ours = run_batch(BOWL, opt, [[1.5, -0.5]] * 2, lr=lr[:, 0], steps=steps, tol=0,
                           schedule_fn=make_schedule(text, lr, run_steps=steps), record_path=True)
    batch_named = run_batch(BOWL, opt, [[1.5, -0.5]] * 2, lr=lr[:, 0], steps=steps, tol=0,
                            schedule_fn=make_schedule(name, lr, run_steps=steps, **params), record_path=True)
    assert np.array_equal(batch_ours.path_x, batch_named.path_x)
    np.testing.assert_allclose(batch_ours.path_x[:, 0], ours.path.x, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ["blocks", "exact"])
def test_batch_step_expression_equals_torch_steplr(engine, monkeypatch):
    """lr·0.5^⌊k/10⌋ in the batched engine: gd on 0.05·x² scales x by (1 − 0.1·lr_k), lr_k StepLR's, by hand."""
    if engine == "exact":
        monkeypatch.setattr(gdx.batch, "BLOCK_MIN", 10**6)
        monkeypatch.setattr(gdx.batch, "BLOCK_MAX", 10**6)
    steps = 35
    sched = make_schedule("lr*0.5**floor(k/10)", 0.2, run_steps=steps)
    out = run_batch(QUARTER, make_optimizer("gd", lr=0.2), [[2.0]], steps=steps, tol=0, schedule_fn=sched,
                    record_path=True)
    lrs = [0.2 * 0.5 ** (k // 10) for k in range(steps)]  # StepLR(gamma=0.5, step_size=10), by hand
    expected = 2.0 * np.concatenate([[1.0], np.cumprod(1 - 0.1 * np.asarray(lrs))])
    np.testing.assert_allclose(out.path_x[:, 0, 0], expected, rtol=1e-14, atol=0)


def test_multistep_written_with_floor_and_min_matches_torch_fixture():
    """MultiStepLR(milestones=[3], γ=2) recorded from torch, as lr·2^min(1, ⌊k/3⌋)."""
    seq = next(s for s in SEQUENCES if s["schedule"] == {"name": "multistep", "milestones": [3], "gamma": 2.0})
    sched = make_schedule("lr*2**min(1, floor(k/3))", seq["lr"], run_steps=len(seq["lrs"]))
    assert [sched(k) for k in range(len(seq["lrs"]))] == seq["lrs"]


def test_warmup_schedule_from_the_issue():
    text = "lr*min(1, (k+1)/100)*(1 + cos(pi*k/1000))/2"
    sched = make_schedule(text, 0.1, run_steps=1000)
    for k in (0, 49, 99, 500, 999):
        expected = 0.1 * min(1.0, (k + 1) / 100) * (1 + np.cos(np.pi * k / 1000)) / 2
        assert sched(k) == pytest.approx(expected, rel=1e-15)
    column = make_schedule(text, np.array([[0.1], [0.3]]), run_steps=1000)(10)
    assert column.shape == (2, 1) and column[1, 0] == pytest.approx(3 * column[0, 0], rel=1e-15)


def test_warmup_flag_applies_to_an_expression():
    sched = make_schedule("lr*0.5**floor(k/10)", 0.1, run_steps=40, warmup=4)
    named = make_schedule("step", 0.1, run_steps=40, warmup=4, gamma=0.5, step_size=10)
    assert [sched(k) for k in range(41)] == [named(k) for k in range(41)]
    assert sched(0) == pytest.approx(0.1 / 5, rel=1e-15) and sched(4) == 0.1 and sched(14) == 0.05


def test_generated_source_passes_the_derive_check():
    expr, symbols = parse_schedule("lr*max(0.1, min(1, (k+1)/100))*0.3**ceil(k/9)/sqrt(1 + k)")
    source = _generated_source(expr, symbols)
    check_generated(source, dict(_namespace()))
    assert "minimum(" in source and "maximum(" in source and "0.3" in source


@pytest.mark.parametrize("text,words", [
    ("lr*x", "unknown name 'x'"),
    ("lr*0.5**floor(step/10)", "unknown name 'step'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("lr.real", "attribute"),
    ("lr*k**(10**9)", "too large"),
    ("lr*9**9**9", "too large"),
    ("lr*open(k)", "unknown function 'open'"),
    ("lr*(k if k else 1)", "not allowed"),
])
def test_hostile_expressions_are_refused(text, words):
    with pytest.raises(GdxError) as info:
        make_schedule(text, 0.1, run_steps=10)
    assert words in info.value.message


def test_unknown_name_has_a_caret_under_it():
    with pytest.raises(GdxError) as info:
        make_schedule("lr*0.5**floor(t/10)", 0.1, run_steps=10)
    assert info.value.span == (14, 15) and "k" in info.value.hint and "lr" in info.value.hint


@pytest.mark.parametrize("text,k,value", [
    ("lr - k/50", 6, "-0.02"),  # 0.1 − 6/50 = −0.02: the first negative rate
    ("lr*2**k", 1024, "inf"),  # 2^1024 overflows a float
    ("lr*log(k)", 0, "-inf"),
])
def test_bad_rate_is_refused_up_front_at_the_first_bad_k(text, k, value):
    with pytest.raises(GdxError) as info:
        make_schedule(text, 0.1, run_steps=2000)
    assert info.value.message == f"the schedule gives lr = {value} at k = {k}; a learning rate must be finite and ≥ 0"


def test_bad_rate_past_the_run_is_accepted_and_a_call_names_k():
    sched = make_schedule("lr - k/50", 0.1, run_steps=5)  # k = 0 … 5 read by a 5-step run: all ≥ 0
    assert sched(5) == pytest.approx(0.0, abs=1e-17)
    with pytest.raises(GdxError, match="at k = 6"):
        sched(6)


def test_a_column_refuses_the_first_bad_k_of_any_row():
    with pytest.raises(GdxError, match="at k = 3;"):
        make_schedule("lr - k/10", np.array([[1.0], [0.25]]), run_steps=20)


def test_schedule_parameters_other_than_warmup_are_refused():
    with pytest.raises(GdxError, match="takes no --gamma"):
        make_schedule("lr*0.5**k", 0.1, run_steps=10, gamma=0.5)


def test_names_and_expressions_are_told_apart():
    assert not is_expression("cosine") and not is_expression("cosin") and is_expression("lr") and is_expression("k")
    assert is_expression("lr*0.5") and is_expression("0.01")
    with pytest.raises(GdxError) as info:
        make_schedule("cosin", 0.1, run_steps=10)
    assert info.value.message == "unknown schedule 'cosin'" and "cosine" in info.value.hint


def test_floor_is_not_allowed_in_a_function_to_optimize_but_min_is():
    with pytest.raises(GdxError, match="unknown function 'floor'"):
        parse_function("floor(x) + y^2")
    assert parse_function("min(x, 1) + y^2").variables == ("x", "y")  # issue 11: max/min are NN functions


def test_cli_optimize_with_an_expression_schedule(gdx_main):
    code, out, err = gdx_main("optimize", "x^2 + 3*y^2", "--schedule", "lr*0.5**floor(k/10)", "--steps", "30",
                              "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schedule"] == "lr*0.5**floor(k/10)"
    code, out, err = gdx_main("optimize", "x^2", "--schedule", "lr*step", "--steps", "30")
    assert code == 2 and "unknown name 'step'" in err and "^^^^" in err
