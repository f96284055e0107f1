"""The diagnosis of a thinned path (gdx.path_record keeps the latest steps whole and older ones
at a doubling stride) equals the diagnosis of the same run kept whole: rules about steps read
path.k, never row numbers ("the loss first rose at step k", rates per step over Δk, "about N
more steps", the middle of the run, the sharpness samples).

The runs go through the real loop (gdx.loop.run_to_end) twice: PathRecord(limit=None) and a
bounded PathRecord with a small limit and tail, the same thinning rule as gdx optimize's
(LIMIT 40,000 + TAIL 20,000 > 60,000 steps) at a size a test can afford."""

from __future__ import annotations

import pytest

from gdx.compile import Compiled
from gdx.diagnose import diagnose
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.path_record import PathRecord
from gdx.suggest import Setup


def _both(text, optimizer, hyper, x0, steps, *, tail, limit, tol=0.0):
    out = []
    for record in (PathRecord(limit=None), PathRecord(limit=limit, tail=tail)):
        c = Compiled(parse_function(text))
        r = run_to_end(c, make_optimizer(optimizer, **hyper), x0, steps=steps, tol=tol, record=record)
        out.append((r, record, diagnose(r, c, tol=tol, setup=Setup(x0, steps, tol))))
    (whole, rec_w, a), (thin, rec_t, b) = out
    assert not rec_w.thinned and rec_t.thinned and len(thin.path) < len(whole.path)  # really thinned
    assert thin.nit == whole.nit
    return a, b


def _same_numbers(a, b, *, skip=("sharpness_steps", "sharpness")):
    assert a.verdict == b.verdict
    assert a.reason == b.reason
    assert a.suggestion == b.suggestion
    assert set(a.numbers) == set(b.numbers)
    for key, value in a.numbers.items():
        if key in skip:
            continue
        if isinstance(value, float):
            assert b.numbers[key] == pytest.approx(value, rel=1e-9, abs=1e-300), key
        else:
            assert b.numbers[key] == value, key


def _close_samples(a, b, stride):
    """The sharpness samples: the same steps where kept, else the nearest kept step (< stride away)."""
    ka, kb = a.numbers["sharpness_steps"], b.numbers["sharpness_steps"]
    assert len(ka) == len(kb) and ka[0] == kb[0] and ka[-1] == kb[-1]
    assert max(abs(x - y) for x, y in zip(ka, kb)) <= stride


def test_a_late_rise_is_found_at_the_same_step():
    # gd at 1.25× 2/λmax on the y axis from y = 1e-300: the loss falls with x, then rises from step 1678
    a, b = _both("x^2 + 1000*y^2", "gd", {"lr": 0.00125}, (1.0, 1e-300), 2000, tail=1000, limit=150)
    assert a.verdict == "diverged" and a.numbers["first_rise"] == 1678
    assert "the loss first rose at step 1678" in b.reason
    _same_numbers(a, b)
    _close_samples(a, b, 8)


def test_a_slow_run_has_the_same_rates_and_steps_needed():
    # heavy-ball momentum on κ = 100 (no closed-form factor for it): the observed rate over the last 100 steps
    a, b = _both("x^2 + 100*y^2", "momentum", {"lr": 0.0001, "momentum": 0.5}, (1.0, 1.0), 3000, tail=150, limit=100)
    assert a.verdict == "slow" and "observed over the last 100 steps" in a.reason
    _same_numbers(a, b)
    assert b.numbers["steps_needed"] == a.numbers["steps_needed"]
