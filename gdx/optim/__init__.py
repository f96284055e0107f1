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

from . import preconditioner
from .base import FAMILIES, GdxError, Hyper, Optimizer, OptimizerSpec
from .hyper import HYPERPARAMETERS, Hyperparameter, range_text

__all__ = [
    "OPTIMIZERS", "Optimizer", "OptimizerSpec", "Hyper", "HYPERPARAMETERS", "Hyperparameter", "range_text",
    "make_optimizer", "describe", "accepted", "takers", "get_spec",
]  # fmt: skip

_WD = Hyper("weight_decay", 0.0, "L2 penalty λ: the gradient becomes g + λ·x")
_MAX = Hyper("maximize", False, "maximize f: every update starts from g ← −∇f(x)")
_AMSGRAD = Hyper("amsgrad", False, "AMSGrad: divide by √(max of every v so far) instead of √v")
_DECOUPLED = Hyper("decoupled_weight_decay", False, "decoupled decay: x ← x·(1 − lr·λ) instead of g ← g + λ·x")
_BETA1 = Hyper("beta1", 0.9, "decay β₁ of the gradient average (torch betas[0])")
_BETA2 = Hyper("beta2", 0.999, "decay β₂ of the squared-gradient average (torch betas[1])")


def _lr(default: float) -> Hyper:
    return Hyper("lr", default, "learning rate (scaled by --schedule)")


# -- stability on a quadratic (what the diagnosis compares lr with) -------------------------
# Along an eigenvector of H with curvature λ > 0 the error e of every "sgd"-family update obeys
# a linear recurrence; the bound is the lr at which its spectral radius reaches 1.


def _gd_stable_lr(lam_max: float, hyper: dict) -> float:
    """gd: e ← (1 − lr·λ)·e, stable while |1 − lr·λ| < 1, i.e. lr < 2/λmax."""
    return 2.0 / lam_max


def _heavy_ball_stable_lr(lam_max: float, hyper: dict) -> float:
    """Heavy ball (torch SGD form, dampening τ): b ← μ·b + (1−τ)·g makes
    e_{k+1} = (1 + μ − (1−τ)·lr·λ)·e_k − μ·e_{k−1}; stable for lr < 2(1+μ)/((1−τ)·λmax) (the
    root −1 of z² − (1+μ−(1−τ)·lr·λ)z + μ); τ = 1 never moves after the first update (inf)."""
    mu = float(hyper["momentum"])
    tau = float(hyper.get("dampening", 0.0))
    return 2.0 * (1 + mu) / ((1 - tau) * lam_max) if tau < 1 else float("inf")


def _asgd_stable_lr(lam_max: float, hyper: dict) -> float:
    """ASGD: x ← x·(1 − λ_asgd·η) − η·g makes e ← (1 − η·(λ_asgd + λ))·e, stable while
    η < 2/(λmax + λ_asgd); η starts at lr and only decreases, so lr < 2/(λmax + lambd) suffices."""
    return 2.0 / (lam_max + float(hyper.get("lambd", 0.0)))


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
        hyper=(_lr(0.05), _WD, _MAX),
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
        hyper=(_lr(0.01), Hyper("momentum", 0.9, "momentum factor μ"), _WD,
               Hyper("dampening", 0.0, "dampening τ: later gradients enter b with weight 1 − τ"), _MAX),
        rule=("g ← ∇f(x) + λ·x", "b ← g (first update), then b ← μ·b + (1−τ)·g", "x ← x − lr·b"),
        module="sgd",
        builder="momentum",
        family="sgd",
        stability=_heavy_ball_stable_lr,
        stability_text="2(1+μ)/((1−τ)λmax)",
    ),
    OptimizerSpec(
        name="nesterov",
        torch="torch.optim.SGD(momentum=0.9, nesterov=True)",
        summary="Nesterov momentum: momentum with a look-ahead correction",
        hyper=(_lr(0.01), Hyper("momentum", 0.9, "momentum factor μ (must be > 0)"), _WD, _MAX),
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
            _MAX,
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
        preconditioner=preconditioner.ADAGRAD,
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
            Hyper("centered", False, "centered: divide by √(v − ḡ²), ḡ the running average of g"),
            _MAX,
        ),
        rule=(
            "g ← ∇f(x) + λ·x",
            "v ← α·v + (1−α)·g²",
            "d ← √v + ε        (centered: ḡ ← α·ḡ + (1−α)·g,  d ← √(v − ḡ²) + ε)",
            "b ← μ·b + g / d",
            "x ← x − lr·b        (μ = 0: x ← x − lr·g / d)",
        ),
        module="rmsprop",
        builder="rmsprop",
        family="adaptive",
        preconditioner=preconditioner.RMSPROP,
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
            _MAX,
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
        hyper=(_lr(0.1), _BETA1, _BETA2, Hyper("eps", 1e-8, "added to √v̂ for stability"), _WD, _AMSGRAD, _MAX),
        rule=(
            "g ← ∇f(x) + λ·x",
            "m ← β₁·m + (1−β₁)·g",
            "v ← β₂·v + (1−β₂)·g²",
            "m̂ ← m / (1−β₁ᵗ),  v̂ ← v / (1−β₂ᵗ)   (amsgrad: v̂ ← max(all v so far) / (1−β₂ᵗ))",
            "x ← x − lr·m̂ / (√v̂ + ε)",
        ),
        module="adam",
        builder="adam",
        family="adaptive",
        preconditioner=preconditioner.ADAM,
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
            _AMSGRAD,
            _MAX,
        ),
        rule=(
            "x ← x·(1 − lr·λ)",
            "g ← ∇f(x)  (at the point before the decay)",
            "m ← β₁·m + (1−β₁)·g",
            "v ← β₂·v + (1−β₂)·g²",
            "m̂ ← m / (1−β₁ᵗ),  v̂ ← v / (1−β₂ᵗ)   (amsgrad: v̂ ← max(all v so far) / (1−β₂ᵗ))",
            "x ← x − lr·m̂ / (√v̂ + ε)",
        ),
        module="adam",
        builder="adamw",
        family="adaptive",
        preconditioner=preconditioner.ADAMW,
    ),
    OptimizerSpec(
        name="adamax",
        torch="torch.optim.Adamax()",
        summary="Adam with the infinity norm: steps divided by a decayed max of |g|",
        hyper=(_lr(0.1), _BETA1, Hyper("beta2", 0.999, "decay β₂ of the infinity norm u (torch betas[1])"),
               Hyper("eps", 1e-8, "added to |g| inside the max"), _WD, _MAX),
        rule=(
            "g ← ∇f(x) + λ·x",
            "m ← β₁·m + (1−β₁)·g",
            "u ← max(β₂·u, |g| + ε)",
            "x ← x − lr/(1−β₁ᵗ) · m / u",
        ),
        module="adamax",
        builder="adamax",
        family="adaptive",
        preconditioner=preconditioner.ADAMAX,
    ),
    OptimizerSpec(
        name="nadam",
        torch="torch.optim.NAdam()",
        summary="Adam with Nesterov momentum (a look-ahead on the gradient average)",
        hyper=(_lr(0.1), _BETA1, _BETA2, Hyper("eps", 1e-8, "added to √v̂ for stability"), _WD,
               Hyper("momentum_decay", 4e-3, "momentum decay ψ of the schedule μₜ"), _DECOUPLED, _MAX),
        rule=(
            "g ← ∇f(x) + λ·x        (decoupled: x ← x·(1 − lr·λ) instead)",
            "μₜ ← β₁·(1 − ½·0.96^(tψ)),  Π ← Π·μₜ  (Π₀ = 1)",
            "m ← β₁·m + (1−β₁)·g,  v ← β₂·v + (1−β₂)·g²",
            "d ← √(v / (1−β₂ᵗ)) + ε",
            "x ← x − lr·(1−μₜ)/(1−Π) · g/d − lr·μₜ₊₁/(1−Π·μₜ₊₁) · m/d",
        ),
        module="nadam",
        builder="nadam",
        family="adaptive",
    ),
    OptimizerSpec(
        name="radam",
        torch="torch.optim.RAdam()",
        summary="Adam whose adaptive step is switched on (rectified) once v's variance is reliable",
        hyper=(_lr(0.1), _BETA1, _BETA2, Hyper("eps", 1e-8, "added to √v for stability"), _WD, _DECOUPLED, _MAX),
        rule=(
            "g ← ∇f(x) + λ·x        (decoupled: x ← x·(1 − lr·λ) instead)",
            "m ← β₁·m + (1−β₁)·g,  v ← β₂·v + (1−β₂)·g²,  m̂ ← m / (1−β₁ᵗ)",
            "ρ∞ ← 2/(1−β₂) − 1,  ρₜ ← ρ∞ − 2t·β₂ᵗ/(1−β₂ᵗ)",
            "ρₜ > 5:  r ← √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)),  x ← x − lr·m̂·r·√(1−β₂ᵗ)/(√v + ε)",
            "ρₜ ≤ 5:  x ← x − lr·m̂",
        ),
        module="radam",
        builder="radam",
        family="adaptive",
    ),
    OptimizerSpec(
        name="rprop",
        torch="torch.optim.Rprop()",
        summary="resilient propagation: per-coordinate steps that grow while g keeps its sign",
        hyper=(
            Hyper("lr", 0.01, "the first step size Δ of every coordinate (a schedule has no effect after it)"),
            Hyper("etas", (0.5, 1.2), "factors (η₋, η₊): Δ·η₋ when g changes sign, Δ·η₊ when it keeps it"),
            Hyper("step_sizes", (1e-6, 50.0), "bounds (Γmin, Γmax) on every step size Δ"),
            _MAX,
        ),
        rule=(
            "g ← ∇f(x),  Δ ← lr at the first update",
            "g·g_prev > 0:  Δ ← min(Δ·η₊, Γmax)",
            "g·g_prev < 0:  Δ ← max(Δ·η₋, Γmin),  g ← 0",
            "x ← x − sign(g)·Δ,  g_prev ← g",
        ),
        module="rprop",
        builder="rprop",
        family="adaptive",
        notes=("torch's Rprop has no weight decay; lr only sets the first step sizes, so a schedule "
               "has no effect on it.",),
        step_length="steps are per-coordinate sizes Δ that start at lr, shrink by η₋ at each sign flip and grow by η₊ "
                    "(bounded by step_sizes)",
        step_hint="try a smaller η₊ (--etas) or a smaller maximum step (--step-sizes)",
    ),
    OptimizerSpec(
        name="asgd",
        torch="torch.optim.ASGD()",
        summary="averaged SGD: gradient steps with a slowly decaying step size η (and an average x̄)",
        hyper=(
            _lr(0.01),
            Hyper("lambd", 1e-4, "decay term λ: x ← x·(1 − λ·η) and η's decay"),
            Hyper("alpha", 0.75, "power α of η's decay"),
            Hyper("t0", 1e6, "update after which the average x̄ starts"),
            _WD,
            _MAX,
        ),
        rule=(
            "g ← ∇f(x) + λ_wd·x,  η ← lr and μ ← 1 at the first update",
            "x ← x·(1 − λ·η) − η·g",
            "x̄ ← x̄ + μ·(x − x̄)  (x̄ ← x while μ = 1)",
            "η ← lr / (1 + λ·lr·t)^α,  μ ← 1/max(1, t − t₀)",
        ),
        module="asgd",
        builder="asgd",
        family="sgd",
        stability=_asgd_stable_lr,
        stability_text="2/(λmax + lambd)",
        notes=("The path is x, torch's parameter; the average x̄ is kept in the state, as torch does.",),
    ),
    OptimizerSpec(
        name="lion",
        torch="none (optax.lion)",
        summary="evolved sign momentum: each coordinate moves lr in the sign of a momentum mix (plus lr·λ·x decay)",
        hyper=(
            _lr(0.01),
            Hyper("beta1", 0.9, "weight β₁ of the old momentum in the signed mix c"),
            Hyper("beta2", 0.99, "decay β₂ of the momentum m that is kept"),
            Hyper("weight_decay", 1e-3, "decoupled decay λ: x ← x − lr·λ·x"),
        ),
        rule=(
            "g ← ∇f(x)",
            "c ← β₁·m + (1−β₁)·g",
            "m ← β₂·m + (1−β₂)·g",
            "x ← x − lr·(sign(c) + λ·x)",
        ),
        module="lion",
        builder="lion",
        family="adaptive",
        notes=("Not in torch: optax's lion (scale_by_lion, add_decayed_weights, then −lr), defaults b1 = 0.9, "
               "b2 = 0.99, weight_decay = 1e-3.",),
    ),
    OptimizerSpec(
        name="lbfgs",
        torch="torch.optim.LBFGS()",
        summary="limited-memory BFGS: one step runs up to max_iter quasi-Newton iterations (torch's .step(closure))",
        hyper=(
            Hyper("lr", 1.0, "the trial step length t of each inner iteration (the first: min(1, 1/Σ|g|)·lr)"),
            Hyper("max_iter", 20, "inner iterations per step (max_eval = max_iter·5//4 evaluations)"),
            Hyper("history_size", 100, "(s, y) pairs kept for the two-loop recursion"),
            Hyper("tolerance_grad", 1e-7, "a step ends when max|∇f| ≤ tolerance_grad"),
            Hyper("tolerance_change", 1e-9, "a step ends when f, t·d or gᵀd change less than this"),
            Hyper("line_search_fn", "none", "none: x ← x + t·d; strong_wolfe: torch's _strong_wolfe picks t"),
        ),
        rule=(
            "per step, up to max_iter times:",
            "d ← −H·g  (two-loop recursion over the last history_size (s, y), scaled by yᵀs/yᵀy)",
            "t ← lr  (first iteration ever: min(1, 1/Σ|g|)·lr);  strong_wolfe: t ← line search",
            "x ← x + t·d,  g ← ∇f(x)",
        ),
        module="lbfgs",
        builder="lbfgs",
        family="line-search",
        needs_loss=True,
        notes=("One gdx step is one torch LBFGS.step(closure): many evaluations of f and ∇f; the path's "
               "nfev column counts them.  Batched runs (--starts, sweeps) step row by row.",),
    ),
    OptimizerSpec(
        name="bfgs",
        torch="none (scipy.optimize.minimize(method=\"BFGS\"))",
        summary="BFGS with scipy's Wolfe line search: one step is one scipy iteration",
        hyper=(Hyper("lr", 1.0, "not used: the line search picks every step length"),),
        rule=(
            "p ← −H·g  (H₀ = I)",
            "α ← scipy line_search_wolfe12(c1 = 1e-4, c2 = 0.9)",
            "s ← α·p,  x ← x + s,  y ← ∇f(x) − g,  ρ ← 1/yᵀs",
            "H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ",
        ),
        module="quasi_newton",
        builder="bfgs",
        family="line-search",
        needs_loss=True,
        notes=("Iterates are scipy's; scipy stops on max|∇f| ≤ gtol = 1e-5, gdx on ‖∇f‖ ≤ --tol.",),
    ),
    OptimizerSpec(
        name="cg",
        torch="none (scipy.optimize.minimize(method=\"CG\"))",
        summary="nonlinear conjugate gradient (Polak–Ribière+) with scipy's Wolfe line search",
        hyper=(Hyper("lr", 1.0, "not used: the line search picks every step length"),),
        rule=(
            "α ← scipy line_search_wolfe12(c1 = 1e-4, c2 = 0.4) with sufficient descent",
            "x ← x + α·p,  g₊ ← ∇f(x)",
            "β ← max(0, (g₊ − g)ᵀg₊ / gᵀg),  p ← −g₊ + β·p  (p₀ = −g)",
        ),
        module="quasi_newton",
        builder="cg",
        family="line-search",
        needs_loss=True,
        notes=("Iterates are scipy's; scipy stops on max|∇f| ≤ gtol = 1e-5, gdx on ‖∇f‖ ≤ --tol.",),
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
    given = {k: v for k, v in resolved.items() if k != "maximize"}
    init, update = builder(**given)
    maximize = "maximize" in resolved and bool(HYPERPARAMETERS["maximize"].check(resolved["maximize"]))
    if maximize:
        update = _maximizing(update)
    resolved = {k: _plain_value(k, v) for k, v in resolved.items()}
    update.fast_rule = (spec.name, dict(resolved), maximize)  # what gdx.fastloop generates its loop from
    return Optimizer(name=spec.name, hyper=resolved, needs_hessian=spec.needs_hessian, init=init, update=update,
                     needs_loss=spec.needs_loss)


def _maximizing(update):
    """torch's ``maximize=True``: the update runs on −∇f(x) (every torch optimizer negates the
    gradient first, before weight decay), so it climbs f."""

    def climb(g, state, x, lr, t, oracle=None):
        return update(-g, state, x, lr, t, oracle)

    return climb


def _plain_value(name: str, value):
    """A resolved value as stored in ``Optimizer.hyper``: numbers as floats, switches as bools,
    pairs as tuples of floats, per-run arrays unchanged."""
    kind = HYPERPARAMETERS[name].kind
    if kind == "bool":
        return bool(value)
    if kind == "pair":
        return tuple(float(v) for v in value)
    if kind == "int":
        return int(value)
    if kind == "choice":
        return str(value)
    return float(value) if isinstance(value, (int, float)) else value


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
