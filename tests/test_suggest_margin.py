"""gdx.suggest.better compares losses relative to their scale: on a loss whose minimum is 0 a
candidate at 1e-13 beats a run at 1e-9 (the absolute 1e-6·(1+|f|) of before hid it), while on
x² + 5 a difference at rounding level is no improvement."""

from __future__ import annotations

from gdx.compile import Compiled
from gdx.loop import run_to_end
from gdx.optim import make_optimizer
from gdx.parse import parse_function
from gdx.suggest import Candidate, Outcome, Setup, better, loss_margin, suggestion


def _run(text, x0, lr, steps):
    c = Compiled(parse_function(text))
    return c, run_to_end(c, make_optimizer("gd", lr=lr), x0, steps=steps, tol=0.0)


def test_a_tiny_loss_is_beaten_by_a_much_tinier_one():
    c, r = _run("x^2 + 3*y^2", (1e-4, 1e-4), 0.01, 100)
    assert 1e-11 < r.fun < 1e-9 and r.status.value == "max_steps"
    numbers = {}
    text = suggestion(c, Setup((1e-4, 1e-4), 100, 0.0), r,
                      [Candidate("--lr 0.0001", "gd", {"lr": 1e-4}), Candidate("--lr 0.1", "gd", {"lr": 0.1})], numbers)
    assert numbers["suggested"] == "--lr 0.1" and "no change tried did better" not in text
    fast = next(t for t in numbers["tried"] if t["flags"] == "--lr 0.1")
    assert fast["loss"] < 1e-6 * r.fun  # gd at lr 0.1: f ← (0.8²)ᵏ·x² + 3·(0.4²)ᵏ·y², far below the run's


def test_the_issue_numbers_6e_minus_13_against_6e_minus_9():
    _, r = _run("x^2", (1e-4,), 0.0003, 300)  # a real run with f ≈ 8.4e-9 and f(x₀) = 1e-8
    o = Outcome(Candidate("--lr 0.01", "gd", {"lr": 0.01}), "max_steps", 300, 6e-13, 1e-6)
    assert better(o, r)
    same = Outcome(Candidate("--lr 0.0003001", "gd", {"lr": 3.001e-4}), "max_steps", 300, r.fun * (1 - 1e-4), 1e-6)
    assert not better(same, r)  # 1e-4 relative is not a visible improvement (below 1e-3·|f|)


def test_rounding_at_the_scale_of_f_is_no_improvement():
    _, r = _run("x^2 + 5", (1.0,), 0.1, 400)  # converged onto f = 5 to the last digits
    assert abs(r.fun - 5) < 1e-12
    eps_step = Outcome(Candidate("--lr 0.2", "gd", {"lr": 0.2}), "max_steps", 400, r.fun - 2 * 2.0 ** -52 * 5, 1e-8)
    assert not better(eps_step, r)
    assert loss_margin(5.0, 5.0, 6.0) > 64 * 2.0 ** -52 * 5 and loss_margin(6e-9, 6e-13, 1e-8) < 1e-11
