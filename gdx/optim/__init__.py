"""The optimizers: a registry of specs and :func:`make_optimizer`.

Every optimizer except ``newton`` is exactly a torch.optim algorithm in float64 (the test suite
compares whole paths with torch's to 1e-10).  Hyperparameters have torch's names, defaults and
validation messages; only the default learning rates differ, chosen so that a first run on
``x**2 + 3*y**2`` from (1.5, −0.5) visibly moves and converges (see :data:`OPTIMIZERS`).

Each hyperparameter is declared once, in the table :data:`HYPERPARAMETERS` (``hyper.py``: flag,
symbol, help, range, torch's message, log spacing); a spec only names table entries and gives
its own default and meaning (checked at import by :func:`check_specs`).  A spec also states its
``family`` and, where the theory gives one, its stability rule on a quadratic — what
:mod:`gdx.diagnose` reads instead of optimizer names.  :func:`accepted` and :func:`takers`
answer "what does this optimizer take" and "who takes this hyperparameter" for generated help.

The per-family modules (``sgd``, ``adagrad``, ``rmsprop``, ``adadelta``, ``adam``, ``newton``)
are imported only when an optimizer is made, so listing them never imports numpy.
"""

from __future__ import annotations

from .base import FAMILIES, GdxError, Hyper, Optimizer, OptimizerSpec
from .hyper import HYPERPARAMETERS, Hyperparameter, range_text

__all__ = [
    "OPTIMIZERS", "Optimizer", "OptimizerSpec", "Hyper", "HYPERPARAMETERS", "Hyperparameter", "range_text",
    "make_optimizer", "describe", "accepted", "takers", "get_spec",
]  # fmt: skip

_WD = Hyper("weight_decay", 0.0, "L2 penalty λ: the gradient becomes g + λ·x")


def _lr(default: float) -> Hyper:
    return Hyper("lr", default, "learning rate (scaled by --schedule)")


# -- stability on a quadratic (what the diagnosis compares lr with) -------------------------
# Along an eigenvector of H with curvature λ > 0 the error e of every "sgd"-family update obeys
# a linear recurrence; the bound is the lr at which its spectral radius reaches 1.


def _gd_stable_lr(lam_max: float, hyper: dict) -> float:
    """gd: e ← (1 − lr·λ)·e, stable while |1 − lr·λ| < 1, i.e. lr < 2/λmax."""
    return 2.0 / lam_max


def _heavy_ball_stable_lr(lam_max: float, hyper: dict) -> float:
    """Heavy ball (torch SGD form): e_{k+1} = (1 + μ − lr·λ)·e_k − μ·e_{k−1}; stable for
    lr < 2(1+μ)/λmax (the root −1 of z² − (1+μ−lr·λ)z + μ)."""
    mu = float(hyper["momentum"])
    return 2.0 * (1 + mu) / lam_max


def _nesterov_stable_lr(lam_max: float, hyper: dict) -> float:
    """Nesterov (torch form, step g + μ·b): e_{k+1} = (1 + μ − lr·λ(1+μ))·e_k − μ(1 − lr·λ)·e_{k−1};
    stable for lr < 2(1+μ)/((1+2μ)·λmax) (the root −1)."""
    mu = float(hyper["momentum"])
    return 2.0 * (1 + mu) / ((1 + 2 * mu) * lam_max)


def _gd_step_factor(lr: float, lam: float) -> float:
    """gd: one step multiplies the error along curvature λ by 1 − lr·λ."""
    return 1 - lr * lam


_SPECS = (
    OptimizerSpec(
        name="gd",
        torch="torch.optim.SGD()",
        summary="plain gradient descent: a step down the gradient",
        hyper=(_lr(0.05), _WD),
        rule=("g ← ∇f(x) + λ·x", "x ← x − lr·g"),
        module="sgd",
        builder="gd",
        family="sgd",
        stability=_gd_stable_lr,
        stability_text="2/λmax",
        step_factor=_gd_step_factor,
    ),
    OptimizerSpec(
        name="momentum",
        torch="torch.optim.SGD(momentum=0.9)",
        summary="heavy-ball momentum: a running sum of gradients carries the walk through valleys",
        hyper=(_lr(0.01), Hyper("momentum", 0.9, "momentum factor μ"), _WD),
        rule=("g ← ∇f(x) + λ·x", "b ← g (first update), then b ← μ·b + g", "x ← x − lr·b"),
        module="sgd",
        builder="momentum",
        family="sgd",
        stability=_heavy_ball_stable_lr,
        stability_text="2(1+μ)/λmax",
    ),
    OptimizerSpec(
        name="nesterov",
        torch="torch.optim.SGD(momentum=0.9, nesterov=True)",
        summary="Nesterov momentum: momentum with a look-ahead correction",
        hyper=(_lr(0.01), Hyper("momentum", 0.9, "momentum factor μ (must be > 0)"), _WD),
        rule=("g ← ∇f(x) + λ·x", "b ← g (first update), then b ← μ·b + g", "x ← x − lr·(g + μ·b)"),
        module="sgd",
        builder="nesterov",
        family="sgd",
        stability=_nesterov_stable_lr,
        stability_text="2(1+μ)/((1+2μ)λmax)",
    ),
    OptimizerSpec(
        name="adagrad",
        torch="torch.optim.Adagrad()",
        summary="per-coordinate steps shrinking with the sum of past squared gradients",
        hyper=(
            _lr(0.5),
            Hyper("lr_decay", 0.0, "learning-rate decay: clr = lr/(1 + (t−1)·lr_decay)"),
            _WD,
            Hyper("initial_accumulator_value", 0.0, "starting value of the sum s"),
            Hyper("eps", 1e-10, "added to √s for stability"),
        ),
        rule=(
            "g ← ∇f(x) + λ·x",
            "clr ← lr / (1 + (t−1)·lr_decay)",
            "s ← s + g²",
            "x ← x − clr·g / (√s + ε)",
        ),
        module="adagrad",
        builder="adagrad",
        family="adaptive",
    ),
    OptimizerSpec(
        name="rmsprop",
        torch="torch.optim.RMSprop()",
        summary="per-coordinate steps scaled by a running average of squared gradients",
        hyper=(
            _lr(0.01),
            Hyper("alpha", 0.99, "smoothing constant α of the squared-gradient average"),
            Hyper("eps", 1e-8, "added to √v for stability"),
            _WD,
            Hyper("momentum", 0.0, "momentum factor μ (0 = none)"),
        ),
        rule=(
            "g ← ∇f(x) + λ·x",
            "v ← α·v + (1−α)·g²",
            "b ← μ·b + g / (√v + ε)",
            "x ← x − lr·b        (μ = 0: x ← x − lr·g / (√v + ε))",
        ),
        module="rmsprop",
        builder="rmsprop",
        family="adaptive",
    ),
    OptimizerSpec(
        name="adadelta",
        torch="torch.optim.Adadelta()",
        summary="steps sized by the ratio of running averages of past steps and gradients",
        hyper=(
            _lr(1.0),
            Hyper("rho", 0.9, "decay ρ of the running averages"),
            Hyper("eps", 1e-6, "added inside both square roots"),
            _WD,
        ),
        rule=(
            "g ← ∇f(x) + λ·x",
            "v ← ρ·v + (1−ρ)·g²",
            "δ ← √(u + ε) / √(v + ε) · g",
            "u ← ρ·u + (1−ρ)·δ²",
            "x ← x − lr·δ",
        ),
        module="adadelta",
        builder="adadelta",
        family="adaptive",
    ),
    OptimizerSpec(
        name="adam",
        torch="torch.optim.Adam()",
        summary="momentum plus per-coordinate scaling, with bias correction",
        hyper=(
            _lr(0.1),
            Hyper("beta1", 0.9, "decay β₁ of the gradient average (torch betas[0])"),
            Hyper("beta2", 0.999, "decay β₂ of the squared-gradient average (torch betas[1])"),
            Hyper("eps", 1e-8, "added to √v̂ for stability"),
            _WD,
        ),
        rule=(
            "g ← ∇f(x) + λ·x",
            "m ← β₁·m + (1−β₁)·g",
            "v ← β₂·v + (1−β₂)·g²",
            "m̂ ← m / (1−β₁ᵗ),  v̂ ← v / (1−β₂ᵗ)",
            "x ← x − lr·m̂ / (√v̂ + ε)",
        ),
        module="adam",
        builder="adam",
        family="adaptive",
    ),
    OptimizerSpec(
        name="adamw",
        torch="torch.optim.AdamW()",
        summary="Adam with decoupled weight decay (shrinks x directly, not through g)",
        hyper=(
            _lr(0.1),
            Hyper("beta1", 0.9, "decay β₁ of the gradient average (torch betas[0])"),
            Hyper("beta2", 0.999, "decay β₂ of the squared-gradient average (torch betas[1])"),
            Hyper("eps", 1e-8, "added to √v̂ for stability"),
            Hyper("weight_decay", 0.01, "decoupled decay λ: x ← x·(1 − lr·λ) before each step"),
        ),
        rule=(
            "x ← x·(1 − lr·λ)",
            "g ← ∇f(x)  (at the point before the decay)",
            "m ← β₁·m + (1−β₁)·g",
            "v ← β₂·v + (1−β₂)·g²",
            "m̂ ← m / (1−β₁ᵗ),  v̂ ← v / (1−β₂ᵗ)",
            "x ← x − lr·m̂ / (√v̂ + ε)",
        ),
        module="adam",
        builder="adamw",
        family="adaptive",
    ),
    OptimizerSpec(
        name="newton",
        torch="none (uses the exact Hessian)",
        summary="damped Newton: solves H·d = ∇f; saddle-free (|eigenvalues|) when H is not positive definite",
        hyper=(_lr(1.0),),
        rule=(
            "g ← ∇f(x),  H ← ∇²f(x) = QΛQᵀ",
            "δ ← 1e-8·max(1, max|λᵢ|)",
            "d ← Q·diag(1/max(|λᵢ|, δ))·Qᵀ·g   (= H⁻¹g when H is positive definite)",
            "x ← x − lr·d",
        ),
        module="newton",
        builder="newton",
        family="newton",
        needs_hessian=True,
        notes=(
            "When H is not positive definite each eigenvalue λᵢ is replaced by max(|λᵢ|, δ) "
            "(a saddle-free Newton step), so the step always goes downhill.",
            "A Hessian with non-finite entries or largest |eigenvalue| < 1e-12 ends the run "
            "with 'singular Hessian'.",
        ),
    ),
)



def check_specs(specs) -> None:
    """Refuse a registry that does not follow the table (run at import, so a bad entry is caught
    before anything runs): every hyperparameter a spec takes is a name of
    :data:`HYPERPARAMETERS`, taken at most once, ``lr`` first, with a default inside the table's
    range; every ``family`` is one of :data:`FAMILIES`; a stability rule comes with its text.
    Raises ValueError naming the optimizer and the problem."""
    for spec in specs:
        names = [h.name for h in spec.hyper]
        for h in spec.hyper:
            if h.name not in HYPERPARAMETERS:
                raise ValueError(f"optimizer '{spec.name}' takes '{h.name}', which is not in the hyperparameter table")
            if not HYPERPARAMETERS[h.name].contains(h.default):
                raise ValueError(f"optimizer '{spec.name}': default {h.name} = {h.default} is not {range_text(h.name)}")
        if len(set(names)) != len(names) or not names or names[0] != "lr":
            raise ValueError(f"optimizer '{spec.name}' must take lr first and each hyperparameter once: {names}")
        if spec.family not in FAMILIES:
            raise ValueError(f"optimizer '{spec.name}': unknown family '{spec.family}'")
        if (spec.stability is None) != (not spec.stability_text):
            raise ValueError(f"optimizer '{spec.name}': a stability rule needs its text, and a text its rule")


check_specs(_SPECS)

#: name → spec, in listing order.
OPTIMIZERS: dict[str, OptimizerSpec] = {s.name: s for s in _SPECS}


def accepted(name: str) -> dict[str, float]:
    """The hyperparameters optimizer ``name`` takes, with their defaults, in the spec's order
    (``lr`` first).  An unknown name raises GdxError with a suggestion (as :func:`get_spec`)."""
    return dict(get_spec(name).defaults)


def takers(hyper_name: str) -> tuple[str, ...]:
    """The optimizers that take hyperparameter ``hyper_name``, in registry order (``()`` for a
    name no optimizer takes, e.g. one not in the table)."""
    return tuple(s.name for s in _SPECS if any(h.name == hyper_name for h in s.hyper))


def get_spec(name: str) -> OptimizerSpec:
    """The spec of optimizer ``name``, or a GdxError suggesting the closest name."""
    from ..errors import did_you_mean

    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise GdxError(
            f"unknown optimizer '{name}'",
            kind="input error",
            hint=did_you_mean(str(name), OPTIMIZERS) or "choose one of: " + ", ".join(OPTIMIZERS),
        ) from None


def make_optimizer(name: str, **hyper) -> Optimizer:
    """The optimizer ``name`` with hyperparameters ``hyper`` (``None`` = the default).

    Unknown names, hyperparameters the optimizer does not take, and invalid values raise
    :class:`gdx.errors.GdxError` with torch's messages (``Invalid learning rate: -1``).
    Values may be floats or arrays broadcastable against x (validated elementwise).
    """
    from importlib import import_module

    from ..errors import did_you_mean

    spec = get_spec(name)
    accepted = spec.defaults
    for key in hyper:
        if key not in accepted:
            raise GdxError(
                f"optimizer '{name}' does not take '{key}'; it takes: {', '.join(accepted)}",
                kind="invalid hyperparameter",
                hint=did_you_mean(key, accepted),
            )
    resolved = {k: (hyper[k] if hyper.get(k) is not None else d) for k, d in accepted.items()}
    builder = getattr(import_module(f"{__name__}.{spec.module}"), spec.builder)
    init, update = builder(**resolved)
    resolved = {k: (float(v) if isinstance(v, (int, float)) else v) for k, v in resolved.items()}
    return Optimizer(name=spec.name, hyper=resolved, needs_hessian=spec.needs_hessian, init=init, update=update)


def describe() -> list[dict]:
    """Everything ``gdx optimizers`` lists, as plain data (one dict per optimizer, in order).

    Keys: ``name``, ``torch`` (the torch.optim equivalent), ``summary``, ``default_lr``,
    ``hyperparameters`` (``[{name, flag, default, meaning, range}]``, every default; ``flag``
    and ``range`` — e.g. ``"in [0, 1)"`` — from the hyperparameter table, ``meaning`` the
    optimizer's own), ``rule`` (the update rule, lines of unicode math), ``notes`` (extra
    lines, e.g. Newton's saddle-free fix) and ``needs_hessian``.
    """
    return [
        {
            "name": s.name,
            "torch": s.torch,
            "summary": s.summary,
            "default_lr": s.default_lr,
            "hyperparameters": [
                {
                    "name": h.name,
                    "flag": HYPERPARAMETERS[h.name].flag,
                    "default": h.default,
                    "meaning": h.meaning,
                    "range": range_text(h.name),
                }
                for h in s.hyper
            ],
            "rule": list(s.rule),
            "notes": list(s.notes),
            "needs_hessian": s.needs_hessian,
        }
        for s in _SPECS
    ]
