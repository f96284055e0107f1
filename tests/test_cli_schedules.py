"""``gdx schedules``: the listing from gdx.schedules' tables, a drawn schedule's values (by hand and
against the torch fixture), and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gdx.schedules import SCHEDULES, TORCH_EQUIVALENT

SEQUENCES = json.loads((Path(__file__).parent / "fixtures" / "torch_schedulers.json").read_text())["sequences"]


def test_listing_names_every_schedule_with_formula_and_torch(gdx_main):
    code, out, err = gdx_main("schedules")
    assert code == 0, err
    for name, formula in SCHEDULES.items():
        assert f"{name}  ·  {TORCH_EQUIVALENT[name]}" in out
    assert "lr·γ^⌊k/step_size⌋" in out and "--gamma 0.1, --step-size ·" in out
    assert "an expression in k and lr" in out


def test_listing_json_has_parameters_and_defaults(gdx_main):
    code, out, _ = gdx_main("schedules", "--json")
    items = {i["name"]: i for i in json.loads(out)}
    assert list(items) == list(SCHEDULES)
    step = {p["name"]: p["default"] for p in items["step"]["parameters"]}
    assert step == {"gamma": 0.1, "step_size": None}


def test_drawn_step_schedule_prints_its_values(gdx_main):
    code, out, err = gdx_main("schedules", "step", "--step-size", "10", "--gamma", "0.5", "--lr", "0.2",
                              "--steps", "35")
    assert code == 0, err
    assert "lr(k): step" in out and "update k" in out
    # by hand: lr(0) = 0.2; lr(34) = 0.2·0.5^⌊34/10⌋ = 0.2·0.125 = 0.025, the smallest, first at k = 30
    assert "lr(0) = 0.2   min lr(30) = 0.025   max lr(0) = 0.2   lr(34) = 0.025" in out


def test_drawn_exponential_uses_a_log_axis_over_decades(gdx_main):
    code, out, _ = gdx_main("schedules", "exponential", "--gamma", "0.9", "--steps", "60")
    assert code == 0 and "(log scale)" in out  # 0.9^59 ≈ 2e-3: two decades
    code, out, _ = gdx_main("schedules", "step", "--step-size", "10", "--steps", "15")
    assert code == 0 and "(log scale)" not in out  # 0.1 to 0.01: one decade


@pytest.mark.parametrize("schedule", [
    {"name": "cosine-restarts", "t_0": 3, "t_mult": 2, "eta_min": 0.01},
    {"name": "onecycle", "total_steps": 50, "three_phase": True},
    {"name": "multistep", "milestones": [30, 80]},
], ids=lambda s: s["name"])
def test_json_values_equal_torch(gdx_main, schedule):
    seq = next((s for s in SEQUENCES if s["schedule"] == schedule), None)
    assert seq is not None, f"no fixture for {schedule}"
    argv = ["schedules", schedule["name"], "--lr", repr(seq["lr"]), "--steps", str(len(seq["lrs"])), "--json"]
    for key, value in schedule.items():
        if key != "name":
            flag = "--" + key.replace("_", "-")
            argv += [flag] if value is True else [flag, ",".join(map(str, value)) if isinstance(value, list) else str(value)]
    code, out, err = gdx_main(*argv)
    assert code == 0, err
    values = json.loads(out)["values"]
    assert len(values) == len(seq["lrs"])
    assert max(abs(a - b) for a, b in zip(values, seq["lrs"])) <= 1e-12 * max(seq["lrs"])


def test_an_expression_is_drawn(gdx_main):
    code, out, err = gdx_main("schedules", "lr*0.5**floor(k/10)", "--steps", "25", "--json")
    assert code == 0, err
    assert json.loads(out)["values"] == [0.1 * 0.5 ** (k // 10) for k in range(25)]


@pytest.mark.parametrize("argv,words", [
    (["schedules", "cosin"], "did you mean 'cosine'?"),
    (["schedules", "step", "--step-size", "3", "--t-max", "5"], "schedule 'step' does not take t_max"),
    (["schedules", "plateau"], "depends on the loss"),
    (["schedules", "--gamma", "0.5"], "schedule flags need a schedule"),
    (["schedules", "step", "--steps", "0"], "--steps must be an integer from 1"),
    (["schedules", "lr*x"], "unknown name 'x'"),
])
def test_errors(gdx_main, argv, words):
    code, out, err = gdx_main(*argv)
    assert code == 2 and words in err and "Traceback" not in err
