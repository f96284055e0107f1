"""gdx explore: the pure transitions, the screen driven headless by textual's Pilot, and the rule
that every state is a run ``gdx optimize`` repeats to the bit (compared through both exports)."""

from __future__ import annotations

import asyncio
import math

import pytest

from gdx.app import explore as model
from gdx.app.prepare import RunRequest

textual = pytest.importorskip("textual")

QUAD = "x^2 + 3*y^2"  # H = diag(2, 6): λmax = 6, gd is stable for lr < 2/6


@pytest.fixture(scope="module")
def quad():
    return model.Explorer(RunRequest(QUAD, start=(1.5, -0.5)))


def drive(explorer, script, *, size=(80, 24), color=False):
    """Run a headless explorer of ``size`` through ``script``: a key name is pressed, a callable
    ``check(app, screen_text)`` is called with the screen as it is then (the diagnosis made)."""
    from gdx.tui.explore import ExploreApp

    async def session():
        app = ExploreApp(explorer, color=color)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for item in script:
                if callable(item):
                    await pilot.pause()
                    app.diagnose_now()
                    await pilot.pause()
                    result = item(app, app.screen_text())
                    if asyncio.iscoroutine(result):
                        await result
                else:
                    await pilot.press(item)
            return app

    return asyncio.run(session())


# -- the transitions --------------------------------------------------------------------------------
def test_each_key_is_a_pure_transition_with_the_issue_s_factors(quad):
    s = quad.initial
    assert s.optimizer == "gd" and s.lr == 0.05 and s.start == (1.5, -0.5)
    assert model.scale_lr(s, True).lr == 0.05 * 1.25 and model.scale_lr(s, False).lr == 0.05 / 1.25
    assert model.scale_lr(s, True, big=True).lr == 0.1 and model.scale_lr(s, False, big=True).lr == 0.025
    assert s.lr == 0.05  # nothing mutated
    m = model.cycle_optimizer(s, quad.names)
    assert m.optimizer == "momentum" and m.hyper == (("lr", 0.01), ("momentum", 0.9))  # its own defaults
    assert model.nudge_momentum(m, True).hyper_dict["momentum"] == 0.95
    assert model.nudge_momentum(m, False).hyper_dict["momentum"] == 0.85
    assert model.nudge_momentum(s, True) is s  # gd has no momentum-like value
    top = m
    for _ in range(30):
        top = model.nudge_momentum(top, True)
    assert top.hyper_dict["momentum"] == 0.999  # the ladder ends below 1
    assert model.momentum_name("adam") == "beta1" and model.momentum_name("adadelta") == "rho"
    assert [model.cycle_schedule(s).schedule, model.cycle_schedule(s).schedule_args] == ["step", (("step_size", 250),)]
    moved = model.move_start(s, 0, 1, quad.box, quad.plot_vars)
    (x_lo, x_hi), _ = quad.box
    assert moved.start == (1.5 + (x_hi - x_lo) / 20, -0.5)
    assert model.step_once(s).stepping == 1 and model.step_once(model.step_once(s)).stepping == 2
    kept = model.add_comparison(model.add_comparison(s))
    assert len(kept.compared) == 1 and model.clear_comparison(kept).compared == ()


def test_the_optimizer_cycle_is_every_stepwise_optimizer(quad):
    from gdx.optim import OPTIMIZERS

    names = model.optimizer_cycle()
    assert names[:3] == ["gd", "momentum", "nesterov"] and "adam" in names
    assert not {"lbfgs", "bfgs", "cg", "newton"} & set(names)
    assert all(OPTIMIZERS[n].family in ("sgd", "adaptive") for n in names)


# -- the stability gauge against the closed forms ----------------------------------------------------
def test_gauge_is_lr_against_2_over_lambda_max_and_the_edge_arrives_as_lr_grows(quad):
    s = quad.initial
    ratios = []
    for _ in range(6):
        g = quad.view(s).gauge
        assert g.kind == "lr" and g.lam_start == pytest.approx(6.0) and g.start_value == pytest.approx(1 / 3)
        ratios.append(g.start_ratio)
        s = model.scale_lr(s, True, big=True)
    assert ratios == pytest.approx([0.05 * 2**i * 3 for i in range(6)])
    assert ratios[-1] > 1 and quad.view(s).result.status.value == "diverged"  # past 2/λmax: it diverges


def test_gauge_of_momentum_and_adam_follow_their_rules(quad):
    m = model.cycle_optimizer(quad.initial, quad.names)
    g = quad.view(m).gauge
    assert g.start_value == pytest.approx(2 * 1.9 / 6) and g.rule == "lr < 2(1+μ)/((1−τ)λmax)"
    adam = model.ExploreState(**{**m.__dict__, "optimizer": "adam", "hyper": model.tuned_hyper("adam")})
    g = quad.view(adam).gauge
    assert g.kind == "adaptive" and g.edge == pytest.approx((2 + 2 * 0.9) / (0.1 * 0.1))
    # at x₀ (t = 1), v̂ = g₀², and Cohen et al. 2022 write Adam as x ← x − η·P⁻¹·m with the
    # uncorrected m, so P = (1 − β₁)·diag(|g₀| + ε): λmax(P⁻¹H) = max(2/|3|, 6/|−3|) / 0.1 = 20
    assert g.start_value == pytest.approx(20.0, rel=1e-6)


# -- the screen (each test one headless session: they cost a second or two each) -------------------
def test_keys_change_the_state_and_the_screen(quad):
    seen = {}

    def initial(app, screen):
        seen["before"] = screen
        assert "lr           0.05 ←→" in screen and "gd  (o)" in screen and "diagnosis: converged" in screen
        assert "0.15×" in screen  # the gauge: 0.05 / (2/6)

    def moved(app, screen):
        s = app.state
        assert s.optimizer == "momentum" and s.hyper == (("lr", 0.01), ("momentum", 0.95)) and s.schedule == "step"
        assert "momentum  (o)" in screen and "momentum     0.95 ↑↓" in screen and "schedule step  (s)" in screen and " step_size    250" in screen
        assert s.start == pytest.approx((1.7, -0.3)) and "start (1.7, -0.3) hjkl" in screen
        assert screen != seen["before"]

    def compared(app, screen):
        assert len(app.state.compared) == 1
        assert "◆a…A momentum lr=0.01 μ=0.95 step" in screen  # the kept run
        assert "◆b…B momentum lr=0.0125 μ=0.95 step (now)" in screen

    async def help_opens(app, screen):
        assert type(app.screen).__name__ == "HelpScreen" and "export the current path" in app.screen_text()

    def help_closed(app, screen):
        assert type(app.screen).__name__ == "Screen"

    def no_data(app, screen):
        assert app.state.batch_size is None and "b/B change the batch size of a loss over data" in screen

    drive(quad, [initial, "b", no_data, "o", "up", "s", "l", "k", moved, "c", "right", compared, "question_mark", help_opens,
                 "escape", help_closed])


def test_space_shows_one_update_and_its_arithmetic(quad):
    def gd_update(app, screen):
        assert app.state.stepping == 1 and app.view.shown == 2
        a = app.view.arithmetic
        # gd on x² + 3y² from (1.5, −0.5): g = (2x, 6y) = (3, −3), Δx = −lr·g
        assert list(a.g) == [3.0, -3.0] and list(a.step) == pytest.approx([-0.15, 0.15]) and a.state == {}
        assert "update 0 → 1" in screen and " g  (3, -3)" in screen and " Δx (-0.15, 0.15)" in screen

    def whole(app, screen):
        assert app.state.stepping is None and app.view.arithmetic is None and "update 0 → 1" not in screen

    def adam_update(app, screen):
        assert app.state.optimizer == "adam"
        a = app.view.arithmetic
        assert a.k == 1 and set(a.state) == {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
        # update 1 from the start: m = 0.1·g₀, v = 0.001·g₀² (the arithmetic of update 2 starts there)
        assert "update 1 → 2" in screen and " exp_avg (" in screen

    drive(quad, ["space", gd_update, "escape", whole, *["o"] * 6, "space", "space", adam_update])


def test_the_state_after_keys_is_the_run_of_gdx_optimize_to_the_bit(quad, gdx_main, tmp_path):
    """The explorer's export (e) and gdx optimize --export with the state's flags are the same file."""
    quad.export = str(tmp_path / "explore.csv")

    def exported(app, screen):
        assert app.exported == [quad.export] and "wrote" in screen
        argv = app.state.argv()
        assert argv[argv.index("--schedule") + 1] == "exponential" and "--momentum" in argv
        code, _, err = gdx_main(*argv, "-q", "--export", str(tmp_path / "optimize.csv"))
        assert code == 0, err
        ours, theirs = (tmp_path / "explore.csv").read_text(), (tmp_path / "optimize.csv").read_text()
        assert len(ours.splitlines()) > 3 and ours == theirs

    # momentum, μ 0.8, lr 0.01/1.25·2, exponential schedule, the start moved twice
    drive(quad, ["o", "down", "down", "left", "shift+right", "s", "s", "j", "h", "e", exported])


@pytest.mark.parametrize("moves", [
    [("lr", True, True), ("lr", True, False), ("start", 0, 1)],  # gd
    [("opt",)] * 6 + [("mu", True), ("sched",)] * 1 + [("sched",)] * 2 + [("start", 1, -1)],  # adam, β₁ 0.95, cosine
])
def test_states_made_by_the_transitions_are_runs_of_gdx_optimize_to_the_bit(quad, moves, gdx_main, tmp_path):
    s = quad.initial
    for move in moves:
        kind, *args = move
        s = {"lr": lambda: model.scale_lr(s, *args), "opt": lambda: model.cycle_optimizer(s, quad.names),
             "mu": lambda: model.nudge_momentum(s, *args), "sched": lambda: model.cycle_schedule(s),
             "start": lambda: model.move_start(s, *args, quad.box, quad.plot_vars)}[kind]()
    quad.export_view(quad.view(s), str(tmp_path / "explore.csv"))
    code, _, err = gdx_main(*s.argv(), "-q", "--export", str(tmp_path / "optimize.csv"))
    assert code in (0, 1), err
    assert (tmp_path / "explore.csv").read_text() == (tmp_path / "optimize.csv").read_text()


def test_a_click_puts_the_start_there_and_a_refused_change_keeps_the_state(quad):
    async def click(app, screen):
        top, left, rows, cols, box2 = app.geometry
        from textual.pilot import Pilot

        await Pilot(app).click("#landscape", offset=(left, top + rows - 1))  # the map's lower left corner

    def clicked(app, screen):
        (x_lo, _), (y_lo, _) = app.geometry[4]
        assert app.state.start == pytest.approx((x_lo, y_lo))

    def refused(app, screen):
        assert app.state.optimizer == "nesterov" and app.state.hyper_dict["momentum"] == 0.1
        assert "refused: Nesterov momentum requires a momentum" in screen

    drive(quad, [click, clicked, "o", "o", *["down"] * 20, refused])  # nesterov: μ stops above 0


def test_help_lists_every_key_and_the_bindings_are_the_issue_s():
    from gdx.render.explore import KEYS
    from gdx.tui.explore import ExploreApp

    bound = {b.key: b.action for b in ExploreApp.BINDINGS}
    assert bound["q"] == "quit" and bound["space"] == "step" and bound["question_mark"] == "help"
    assert bound["right"] == "lr(1, 0)" and bound["shift+right"] == "lr(1, 1)" and bound["e"] == "export"
    assert [bound[k] for k in "hjkl"] == ["start(0, -1)", "start(1, -1)", "start(1, 1)", "start(0, 1)"]

    keys = " ".join(k for k, _ in KEYS)
    for key in ("←", "→", "↑", "↓", "o", "s", "h j k l", "space", "c", "e", "q", "?"):
        assert key in keys


def test_below_80x24_the_map_stays_with_a_message_in_colour(quad):
    def small(app, screen):
        assert "the terminal is 60×20; gdx explore needs 80×24" in screen
        assert "── stability" not in screen and "┤" in screen and "▀" in screen  # the map, in half blocks

    drive(quad, [small], size=(60, 20), color=True)


def test_three_variables_show_a_slice_with_keys_to_move_it():
    ex = model.Explorer(RunRequest("x^2 + y^2 + z^2 + x*z", steps=200), axes="x,z", slice_spec="y=0.5")
    assert ex.plot_vars == (0, 2) and ex.initial.fixed == (("y", 0.5),)
    (lo, hi) = ex.box[1]

    def moved(app, screen):
        assert app.state.fixed == (("y", pytest.approx(0.5 + 2 * (hi - lo) / 20)),)
        assert f"slice y={0.5 + 2 * (hi - lo) / 20:.3g}" in screen and "slice y = " in screen

    drive(ex, ["right_square_bracket", "right_square_bracket", moved])


# -- the command ----------------------------------------------------------------------------------------
def test_without_a_terminal_explore_exits_2_with_a_message(gdx_main):
    code, out, err = gdx_main("explore", QUAD)
    assert code == 2 and out == ""
    assert "stdout is not a terminal" in err and 'pip install "gdx[tui]"' in err


def test_without_textual_explore_names_the_extra(gdx_main, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "textual" else real(name, *a))
    code, _, err = gdx_main("explore", QUAD)
    assert code == 2 and "needs textual" in err and 'pip install "gdx[tui]"' in err


def test_bad_flags_are_refused_before_the_screen_opens():
    with pytest.raises(model.GdxError, match="Invalid learning rate"):
        model.Explorer(RunRequest(QUAD, hyper={"lr": -1}))
    with pytest.raises(model.GdxError, match="two or more variables"):
        model.Explorer(RunRequest("x^2"))


def test_argv_writes_every_number_exactly():
    s = model.scale_lr(model.ExploreState(QUAD, None, "gd", (("lr", 0.1),), "constant", (), (1 / 3, -0.5), 10, 0.0), True)
    argv = s.argv()
    assert argv[argv.index("--lr") + 1] == repr(0.1 * 1.25)
    assert argv[argv.index("--start") + 1] == f"{1 / 3!r},-0.5"
    assert not math.isnan(float(argv[argv.index("--tol") + 1]))


# -- a loss over data: the full-data surface, the batch size a knob, clipping carried ---------------------
def test_b_and_B_halve_and_double_the_batch_size_between_one_row_and_all_of_them():
    s = model.ExploreState(QUAD, None, "gd", (("lr", 0.1),), "constant", (), (0.0, 0.0), 10, 0.0, seed=3)
    sizes = []
    for _ in range(6):
        s = model.scale_batch(s, False, 20)
        sizes.append(s.batch_size)
    assert sizes == [10, 5, 2, 1, 1, 1] and s.seed == 3  # the seed stays: the same size, the same batches
    ups = []
    for _ in range(6):
        s = model.scale_batch(s, True, 20)
        ups.append(s.batch_size)
    assert ups == [2, 4, 8, 16, None, None]  # past the rows: the full-data gradient
    assert model.scale_batch(replace_batch(s, 500), False, 20).batch_size == 10  # a size above N is N


def replace_batch(state, size):
    from dataclasses import replace

    return replace(state, batch_size=size)


@pytest.fixture(scope="module")
def line_data(tmp_path_factory):
    """24 rows of y = 2x + 1 + a fixed wiggle: a loss over data with a closed-form mean."""
    import numpy as np

    x = np.linspace(-2, 2, 24)
    y = 2 * x + 1 + 0.3 * np.sin(7 * x)
    path = tmp_path_factory.mktemp("data") / "line.csv"
    path.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    return str(path), x, y


def test_a_data_run_turned_by_keys_is_gdx_optimize_with_data_and_batch_size_to_the_bit(line_data, gdx_main, tmp_path):
    import numpy as np

    file, x, y = line_data
    ex = model.Explorer(RunRequest("(w*x + b - y)^2", data=file, steps=150, clip_norm=4.0, seed=7, start=(-1.0, 3.0)),
                        export=str(tmp_path / "explore.csv"))
    assert ex.rows == 24 and ex.initial.clip_norm == 4.0 and ex.initial.data == file
    # the landscape is the full-data mean loss (as gdx plot --data draws it), checked against numpy
    g = ex.grid((5, 7), {})
    assert g.names == ("b", "w")  # natural order: b across, w up
    b, w = np.meshgrid(g.xs, g.ys)
    mean = ((w[..., None] * x + b[..., None] - y) ** 2).mean(axis=-1)
    assert g.values == pytest.approx(mean, rel=1e-12)

    def minibatches(app, screen):
        s = app.state
        assert s.batch_size == 6 and s.seed == 7 and s.lr == 0.05 * 1.25
        assert "data 24 rows  (b B)" in screen and " batch 6 · seed 7" in screen and "clip ‖g‖ ≤ 4" in screen
        a = app.view.arithmetic  # update 0 → 1 took the clipped minibatch gradient
        assert a is not None and np.linalg.norm(a.clipped) == pytest.approx(4.0, rel=1e-6)
        assert np.linalg.norm(a.g) > 4 and " g✂ (" in screen

    def exported(app, screen):
        argv = app.state.argv()
        assert argv[argv.index("--batch-size") + 1] == "6" and argv[argv.index("--seed") + 1] == "7"
        assert argv[argv.index("--data") + 1] == file and argv[argv.index("--clip-norm") + 1] == "4.0"
        code, _, err = gdx_main(*argv, "-q", "--export", str(tmp_path / "optimize.csv"))
        assert code in (0, 1), err
        ours, theirs = (tmp_path / "explore.csv").read_text(), (tmp_path / "optimize.csv").read_text()
        assert len(ours.splitlines()) > 100 and ours == theirs

    def full_again(app, screen):
        assert app.state.batch_size is None and " batch: every row" in screen

    # b b: 24 → 12 → 6; → lr × 1.25; space: one update (its arithmetic); escape; e; B B: 12 → every row
    drive(ex, ["b", "b", "right", "space", minibatches, "escape", "e", exported, "B", "B", full_again])
