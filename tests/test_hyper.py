"""The hyperparameter table (gdx/optim/hyper.py) and what the registry builds on it.

The expected ranges and messages below are torch.optim's, written out here (not read from gdx):
lr, momentum, eps, alpha, weight_decay, lr_decay, initial_accumulator_value ≥ 0; betas in
[0, 1); rho in [0, 1]; NaN and ±inf always refused.  The stability bounds are derived here from
the spectral radius of each update's iteration matrix on f = λx²/2.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gdx.optim as optim
from gdx.diagnose import stable_bound
from gdx.errors import GdxError
from gdx.optim import HYPERPARAMETERS, OPTIMIZERS, Hyper, accepted, describe, make_optimizer, range_text, takers

ROOT = Path(__file__).parent.parent
TINY = 1e-12

# name: (range text, torch's message, lowest valid, highest valid or None, first invalid above or None)
TORCH = {
    "lr": ("≥ 0", "Invalid learning rate: {}", 0.0, None, None),
    "momentum": ("≥ 0", "Invalid momentum value: {}", 0.0, None, None),
    "beta1": ("in [0, 1)", "Invalid beta parameter at index 0: {}", 0.0, 1.0 - 1e-12, 1.0),
    "beta2": ("in [0, 1)", "Invalid beta parameter at index 1: {}", 0.0, 1.0 - 1e-12, 1.0),
    "eps": ("≥ 0", "Invalid epsilon value: {}", 0.0, None, None),
    "alpha": ("≥ 0", "Invalid alpha value: {}", 0.0, None, None),
    "rho": ("in [0, 1]", "Invalid rho value: {}", 0.0, 1.0, 1.0 + 1e-12),
    "weight_decay": ("≥ 0", "Invalid weight_decay value: {}", 0.0, None, None),
    "lr_decay": ("≥ 0", "Invalid lr_decay value: {}", 0.0, None, None),
    "initial_accumulator_value": ("≥ 0", "Invalid initial_accumulator_value value: {}", 0.0, None, None),
    # torch checks momentum_decay ≥ 0; it checks neither dampening nor ASGD's lambd, t0 (gdx's own ranges)
    "dampening": ("in [0, 1]", "Invalid dampening value: {}", 0.0, 1.0, 1.0 + 1e-12),
    "momentum_decay": ("≥ 0", "Invalid momentum_decay value: {}", 0.0, None, None),
    "lambd": ("≥ 0", "Invalid lambd value: {}", 0.0, None, None),
    "t0": ("≥ 0", "Invalid t0 value: {}", 0.0, None, None),
}
SWITCHES = ("amsgrad", "centered", "decoupled_weight_decay", "maximize")
# name: (range text, message, valid pairs, invalid pairs) — etas: torch's check 0 < η₋ < 1 < η₊
PAIRS = {
    "etas": ("0 < η₋ < 1 < η₊", "Invalid eta values: {}, {}", [(0.5, 1.2), (0.01, 10.0)],
             [(1.5, 1.2), (0.0, 1.2), (0.5, 1.0), (-0.5, 2.0)]),
    "step_sizes": ("0 ≤ min ≤ max", "Invalid step_sizes values: {}, {}", [(1e-6, 50.0), (0.0, 0.0)],
                   [(1.0, 0.5), (-1.0, 1.0)]),
}
#: L-BFGS's settings (torch's names; torch checks none of them): table order, kind, range text, message.
LBFGS_SETTINGS = {
    "max_iter": ("int", "a whole number ≥ 1", "Invalid max_iter value: {} (must be a whole number >= 1)"),
    "history_size": ("int", "a whole number ≥ 1", "Invalid history_size value: {} (must be a whole number >= 1)"),
    "tolerance_grad": ("float", "≥ 0", "Invalid tolerance_grad value: {}"),
    "tolerance_change": ("float", "≥ 0", "Invalid tolerance_change value: {}"),
    "line_search_fn": ("choice", "one of none, strong_wolfe", "Invalid line_search_fn value: {} (must be none or strong_wolfe)"),
}
RANGE_TEXT = {**{k: v[1] for k, v in LBFGS_SETTINGS.items()}, **{k: v[0] for k, v in TORCH.items()}, **{k: "true or false" for k in SWITCHES},
              **{k: v[0] for k, v in PAIRS.items()}}


def test_table_is_the_documented_set_in_display_order():
    assert list(HYPERPARAMETERS) == [*TORCH, *SWITCHES, *PAIRS, *LBFGS_SETTINGS]
    for name, h in HYPERPARAMETERS.items():
        assert h.name == name
        assert h.flag == ("--line-search" if name == "line_search_fn" else "--" + name.replace("_", "-"))
        if name in LBFGS_SETTINGS:
            assert h.kind == LBFGS_SETTINGS[name][0] and h.sweepable == (h.kind == "float")
            assert h.log_scale == (h.kind == "float") and h.range_text == RANGE_TEXT[name]
            continue
        assert h.symbol and h.help and "\n" not in h.help
        assert h.kind == ("float" if name in TORCH else "bool" if name in SWITCHES else "pair")
        assert h.sweepable == (name in TORCH)
        assert h.log_scale == (name in ("lr", "eps"))
        assert range_text(name) == h.range_text == RANGE_TEXT[name]


@pytest.mark.parametrize("name", SWITCHES)
def test_switches_take_only_booleans(name):
    h = HYPERPARAMETERS[name]
    assert h.check(True) is True and h.check(False) is False and h.contains(True)
    for bad in (1, 0.0, "true", None):
        assert not h.contains(bad)
        with pytest.raises(GdxError) as info:
            h.check(bad)
        assert info.value.message == f"Invalid {name} value: {bad} (must be true or false)"
    for text, value in (("true", True), ("False", False), ("yes", True), ("off", False), ("1", True)):
        assert h.parse(text) is value
    with pytest.raises(GdxError) as info:
        h.parse("maybe")
    assert info.value.kind == "usage error" and "'maybe' is not true or false" in info.value.message


@pytest.mark.parametrize("name", list(PAIRS))
def test_pairs_follow_their_rule(name):
    h = HYPERPARAMETERS[name]
    _, message, good, bad = PAIRS[name]
    for pair in good:
        assert h.check(pair) == pair and h.check(list(pair)) == pair and h.contains(pair)
    for pair in bad:
        assert not h.contains(pair)
        with pytest.raises(GdxError) as info:
            h.check(pair)
        assert info.value.message == message.format(*pair)
        assert info.value.kind == "invalid hyperparameter"
    for bad in (0.5, (0.5,), (0.5, 1.2, 2.0), ("a", "b"), (0.5, float("nan"))):
        assert not h.contains(bad)
    assert h.parse("0.5,1.2") == (0.5, 1.2) and h.parse(" (0.5, 1.2) ") == (0.5, 1.2)
    for text in ("0.5", "a,b", "0.5,1.2,3", "0.5,inf"):
        with pytest.raises(GdxError) as info:
            h.parse(text)
        assert info.value.kind == "usage error" and "is not two numbers a,b" in info.value.message


def test_every_spec_takes_only_table_names_and_every_entry_is_taken():
    for spec in OPTIMIZERS.values():
        for h in spec.hyper:
            assert h.name in HYPERPARAMETERS, (spec.name, h.name)
            assert HYPERPARAMETERS[h.name].contains(h.default), (spec.name, h.name, h.default)
    for name in HYPERPARAMETERS:
        assert takers(name), f"no optimizer takes {name}"


def test_a_spec_naming_an_unknown_hyperparameter_is_refused():
    gd = OPTIMIZERS["gd"]
    bad = gd._replace(hyper=(*gd.hyper, Hyper("lrr", 0.1, "a typo")))
    with pytest.raises(ValueError, match="'lrr', which is not in the hyperparameter table"):
        optim.check_specs((bad,))
    with pytest.raises(ValueError, match="not in \\[0, 1\\)"):
        optim.check_specs((OPTIMIZERS["adam"]._replace(hyper=(Hyper("lr", 0.1, "x"), Hyper("beta1", 1.0, "x"))),))
    with pytest.raises(ValueError, match="family"):
        optim.check_specs((gd._replace(family="other"),))
    with pytest.raises(ValueError, match="stability"):
        optim.check_specs((gd._replace(stability_text=""),))
    optim.check_specs(tuple(OPTIMIZERS.values()))  # the real registry passes


def _cases():
    for name, (_, message, low, high, above) in TORCH.items():
        good = [low, int(low), 0.5 if high else 1e300, np.float64(low)]
        if high is not None:
            good.append(high)
        bad = [low - TINY, -1, float("nan"), float("inf"), float("-inf")]
        if above is not None:
            bad.append(above)
        if above == 1.0:
            bad.append(1)  # an int, shown as given: "…: 1"
        yield name, message, good, bad


CASES = list(_cases())


@pytest.mark.parametrize(("name", "message", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_check_boundaries_and_messages(name, message, good, bad):
    h = HYPERPARAMETERS[name]
    for v in good:
        out = h.check(v)
        assert isinstance(out, float) and out == float(v), (name, v)
        assert h.contains(v)
    for v in bad:
        with pytest.raises(GdxError) as info:
            h.check(v)
        assert info.value.message == message.format(v), (name, v)
        assert info.value.kind == "invalid hyperparameter"
        assert not h.contains(v)
    with pytest.raises(GdxError):
        h.check(True)  # a boolean is not a number
    with pytest.raises(GdxError):
        h.check("0.1")


@pytest.mark.parametrize(("name", "message", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_check_arrays_elementwise(name, message, good, bad):
    h = HYPERPARAMETERS[name]
    column = np.array([[float(v)] for v in good])  # a (B, 1) sweep column
    out = h.check(column)
    assert isinstance(out, np.ndarray) and out.dtype == float and np.array_equal(out, column)
    for v in bad:
        arr = np.array([float(good[0]), float(v), float(good[-1])])
        with pytest.raises(GdxError) as info:
            h.check(arr)
        assert info.value.message == message.format(float(v)), (name, v)
        with pytest.raises(GdxError) as info:
            h.check(arr.reshape(3, 1))
        assert info.value.message == message.format(float(v))


def test_builders_validate_through_the_table():
    # each optimizer's messages are the table's, for every hyperparameter it takes
    for spec in OPTIMIZERS.values():
        for h in spec.hyper:
            bad = -1 if h.name in TORCH or h.name in LBFGS_SETTINGS else (-1, -1) if h.name in PAIRS else 1
            with pytest.raises(GdxError) as info:
                make_optimizer(spec.name, **{h.name: bad})
            if h.name in LBFGS_SETTINGS:
                expected = LBFGS_SETTINGS[h.name][2].format(-1)
            elif h.name in TORCH:
                expected = TORCH[h.name][1].format(-1)
            elif h.name in PAIRS:
                expected = PAIRS[h.name][1].format(-1, -1)
            else:
                expected = f"Invalid {h.name} value: 1 (must be true or false)"
            assert info.value.message == expected, (spec.name, h.name)
    # nesterov's own constraint beyond the range stays in its module
    with pytest.raises(GdxError, match="Nesterov momentum requires a momentum"):
        make_optimizer("nesterov", momentum=0.0)
    make_optimizer("momentum", momentum=0.0)


def test_accepted_and_takers():
    for name, spec in OPTIMIZERS.items():
        assert accepted(name) == spec.defaults == make_optimizer(name).hyper
        assert next(iter(accepted(name))) == "lr"
    assert takers("momentum") == ("momentum", "nesterov", "rmsprop")
    assert takers("beta1") == ("adam", "adamw", "adamax", "nadam", "radam", "lion")
    assert takers("lr") == tuple(OPTIMIZERS)
    assert takers("weight_decay") == tuple(n for n in OPTIMIZERS if n not in ("newton", "rprop", "lbfgs", "bfgs", "cg"))
    assert takers("max_iter") == takers("line_search_fn") == ("lbfgs",)
    assert takers("maximize") == tuple(n for n in OPTIMIZERS if n not in ("newton", "lion", "lbfgs", "bfgs", "cg"))
    assert takers("amsgrad") == ("adam", "adamw") and takers("centered") == ("rmsprop",)
    assert takers("decoupled_weight_decay") == ("nadam", "radam") and takers("dampening") == ("momentum",)
    assert takers("nope") == ()
    with pytest.raises(GdxError) as info:
        accepted("adamm")
    assert info.value.hint == "did you mean 'adam'?"


def test_describe_lists_flag_and_range_of_every_hyperparameter():
    seen = set()
    for row in describe():
        for h in row["hyperparameters"]:
            assert h["flag"] == HYPERPARAMETERS[h["name"]].flag
            assert h["range"] == RANGE_TEXT[h["name"]]
            assert set(h) == {"name", "flag", "default", "meaning", "range"}
            seen.add(h["name"])
    assert seen == set(HYPERPARAMETERS)


def test_table_and_registry_do_not_import_numpy():
    code = (
        "import sys; import gdx.optim, gdx.optim.hyper as t; gdx.optim.describe(); gdx.optim.takers('lr'); "
        "gdx.optim.accepted('adam'); t.range_text('rho'); t.HYPERPARAMETERS['lr'].check(0.1); "
        "gdx.optim.OPTIMIZERS['nesterov'].stable_lr(2.0, {'momentum': 0.5}); "
        "assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_presets_import_without_config():
    # presets used to import HYPER_NAMES from gdx.config (a cycle config → target → presets → config)
    code = "import sys; import gdx.presets; assert 'gdx.config' not in sys.modules, 'config imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- stability on f = λx²/2, derived from the iteration matrices ------------------------------


def iteration_matrix(optimizer: str, lr: float, lam: float, mu: float) -> np.ndarray:
    """One update of torch's SGD on f = λx²/2 (g = λx) as a linear map of the state (x, b).

    b is the momentum buffer (b ← g on the first update equals b ← μ·0 + g, so b starts at 0).
    gd: x ← x − lr·λx.  Heavy ball: b ← μb + λx, x ← x − lr·b.
    Nesterov: b ← μb + λx, x ← x − lr·(λx + μ·b_new).
    """
    if optimizer == "gd":
        return np.array([[1 - lr * lam]])
    if optimizer == "momentum":
        return np.array([[1 - lr * lam, -lr * mu], [lam, mu]])
    if optimizer.startswith("momentum-dampening="):  # b ← μb + (1−τ)λx, x ← x − lr·b
        tau = float(optimizer.split("=")[1])
        return np.array([[1 - lr * (1 - tau) * lam, -lr * mu], [(1 - tau) * lam, mu]])
    if optimizer.startswith("asgd-lambd="):  # x ← x(1 − λ_a·lr) − lr·λx at the first update (η = lr)
        lambd = float(optimizer.split("=")[1])
        return np.array([[1 - lr * (lambd + lam)]])
    if optimizer == "nesterov":
        return np.array([[1 - lr * lam - lr * mu * lam, -lr * mu * mu], [lam, mu]])
    raise ValueError(optimizer)


def critical_lr(optimizer: str, lam: float, mu: float) -> float:
    """The lr where the spectral radius of the iteration matrix reaches 1, by bisection."""

    def radius(lr):
        return max(abs(np.linalg.eigvals(iteration_matrix(optimizer, lr, lam, mu))))

    lo, hi = 1e-6 / lam, 1.0 / lam
    assert radius(lo) < 1
    while radius(hi) <= 1:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if radius(mid) < 1:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-14 * hi:
            break
    return (lo + hi) / 2


STABILITY_CASES = [
    (optimizer, lam, mu)
    for optimizer in ("gd", "momentum", "nesterov")
    for lam in (0.5, 4.0, 300.0)
    for mu in ((0.0,) if optimizer == "gd" else (0.0, 0.3, 0.9, 0.99) if optimizer == "momentum" else (0.3, 0.9, 0.99))
]  # nesterov needs momentum > 0


STABILITY_CASES += [(f"momentum-dampening={tau}", lam, mu) for tau in (0.3, 0.5) for lam in (0.5, 300.0) for mu in (0.0, 0.9)]
STABILITY_CASES += [(f"asgd-lambd={lambd}", lam, 0.0) for lambd in (1e-4, 0.5) for lam in (0.5, 300.0)]


@pytest.mark.parametrize(("optimizer", "lam", "mu"), STABILITY_CASES)
def test_stable_lr_is_where_the_spectral_radius_reaches_one(optimizer, lam, mu):
    name, _, setting = optimizer.partition("-")
    spec = OPTIMIZERS[name]
    expected = critical_lr(optimizer, lam, mu)
    hyper = {"momentum": mu} if "momentum" in spec.defaults else {}
    if setting:
        key, value = setting.split("=")
        hyper[key] = float(value)
    got = spec.stable_lr(lam, hyper)
    assert got == pytest.approx(expected, rel=1e-9)
    assert stable_bound(name, hyper, lam) == got  # the diagnosis reads the same rule


def test_stability_texts_and_optimizers_without_a_bound():
    texts = {name: spec.stability_text for name, spec in OPTIMIZERS.items()}
    assert texts == {
        "gd": "2/λmax", "momentum": "2(1+μ)/((1−τ)λmax)", "nesterov": "2(1+μ)/((1+2μ)λmax)",
        "adagrad": "", "rmsprop": "", "adadelta": "", "adam": "", "adamw": "",
        "adamax": "", "nadam": "", "radam": "", "rprop": "", "asgd": "2/(λmax + lambd)", "lion": "", "newton": "",
        "lbfgs": "", "bfgs": "", "cg": "",
    }  # fmt: skip
    for name, spec in OPTIMIZERS.items():
        if not spec.stability_text:
            assert spec.stable_lr(4.0, spec.defaults) is None and stable_bound(name, spec.defaults, 4.0) is None
        assert spec.stable_lr(0.0) is None and spec.stable_lr(-1.0) is None and spec.stable_lr(math.nan) is None
    assert OPTIMIZERS["momentum"].stable_lr(4.0) == pytest.approx(2 * 1.9 / 4)  # the default μ = 0.9
    assert stable_bound("qqq", {}, 4.0) is None


def test_families_and_step_factor():
    families = {name: spec.family for name, spec in OPTIMIZERS.items()}
    assert families == {
        "gd": "sgd", "momentum": "sgd", "nesterov": "sgd",
        "adagrad": "adaptive", "rmsprop": "adaptive", "adadelta": "adaptive", "adam": "adaptive", "adamw": "adaptive",
        "adamax": "adaptive", "nadam": "adaptive", "radam": "adaptive", "rprop": "adaptive", "asgd": "sgd",
        "lion": "adaptive", "newton": "newton", "lbfgs": "line-search", "bfgs": "line-search", "cg": "line-search",
    }  # fmt: skip
    assert [n for n, s in OPTIMIZERS.items() if s.step_factor is not None] == ["gd"]
    for lr, lam in ((0.1, 4.0), (0.6, 4.0), (1e-3, 300.0)):
        assert OPTIMIZERS["gd"].step_factor(lr, lam) == iteration_matrix("gd", lr, lam, 0.0)[0, 0]
