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
}


def test_table_is_the_documented_set_in_display_order():
    assert list(HYPERPARAMETERS) == list(TORCH)
    for name, h in HYPERPARAMETERS.items():
        assert h.name == name
        assert h.flag == "--" + name.replace("_", "-")
        assert h.symbol and h.help and "\n" not in h.help
        assert h.kind is float
        assert h.log_scale == (name in ("lr", "eps"))
        assert range_text(name) == h.range_text == TORCH[name][0]


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
            with pytest.raises(GdxError) as info:
                make_optimizer(spec.name, **{h.name: -1})
            assert info.value.message == TORCH[h.name][1].format(-1), (spec.name, h.name)
    # nesterov's own constraint beyond the range stays in its module
    with pytest.raises(GdxError, match="Nesterov momentum requires a momentum"):
        make_optimizer("nesterov", momentum=0.0)
    make_optimizer("momentum", momentum=0.0)


def test_accepted_and_takers():
    for name, spec in OPTIMIZERS.items():
        assert accepted(name) == spec.defaults == make_optimizer(name).hyper
        assert next(iter(accepted(name))) == "lr"
    assert takers("momentum") == ("momentum", "nesterov", "rmsprop")
    assert takers("beta1") == ("adam", "adamw")
    assert takers("lr") == tuple(OPTIMIZERS)
    assert takers("weight_decay") == tuple(n for n in OPTIMIZERS if n != "newton")
    assert takers("nope") == ()
    with pytest.raises(GdxError) as info:
        accepted("adamm")
    assert info.value.hint == "did you mean 'adam'?"


def test_describe_lists_flag_and_range_of_every_hyperparameter():
    seen = set()
    for row in describe():
        for h in row["hyperparameters"]:
            assert h["flag"] == HYPERPARAMETERS[h["name"]].flag
            assert h["range"] == TORCH[h["name"]][0]
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


@pytest.mark.parametrize(("optimizer", "lam", "mu"), STABILITY_CASES)
def test_stable_lr_is_where_the_spectral_radius_reaches_one(optimizer, lam, mu):
    spec = OPTIMIZERS[optimizer]
    expected = critical_lr(optimizer, lam, mu)
    hyper = {"momentum": mu} if "momentum" in spec.defaults else {}
    got = spec.stable_lr(lam, hyper)
    assert got == pytest.approx(expected, rel=1e-9)
    assert stable_bound(optimizer, hyper, lam) == got  # the diagnosis reads the same rule


def test_stability_texts_and_optimizers_without_a_bound():
    texts = {name: spec.stability_text for name, spec in OPTIMIZERS.items()}
    assert texts == {
        "gd": "2/λmax", "momentum": "2(1+μ)/λmax", "nesterov": "2(1+μ)/((1+2μ)λmax)",
        "adagrad": "", "rmsprop": "", "adadelta": "", "adam": "", "adamw": "", "newton": "",
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
        "newton": "newton",
    }  # fmt: skip
    assert [n for n, s in OPTIMIZERS.items() if s.step_factor is not None] == ["gd"]
    for lr, lam in ((0.1, 4.0), (0.6, 4.0), (1e-3, 300.0)):
        assert OPTIMIZERS["gd"].step_factor(lr, lam) == iteration_matrix("gd", lr, lam, 0.0)[0, 0]
