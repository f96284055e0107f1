"""Shared types and helpers of the optimizers.

An optimizer is a pair of pure functions (the optax shape, DESIGN.md):

* ``init(x) -> state``: a small NamedTuple of arrays, shaped like ``x``;
* ``update(g, state, x, lr, t, oracle) -> (x_new, state)``: one update, ``t`` = 1 for the first,
  ``lr`` the already scheduled learning rate, ``oracle`` the :class:`gdx.compile.Compiled`
  object (Newton asks it for the Hessian; the line-search methods evaluate f and ∇f through it,
  and are also given ``loss`` = f(x) as a keyword when their spec sets ``needs_loss``).

``x`` is float64 with the variables on the last axis: ``(n,)`` for one run or ``(B, n)`` for B
runs at once.  Every rule is elementwise numpy, so ``lr`` and every hyperparameter may be a float
or an array broadcastable against ``x`` (e.g. ``(B, 1)`` for a learning-rate sweep).  Nothing is
updated in place: each update returns new arrays.

numpy is imported inside functions so that importing :mod:`gdx.optim` stays cheap.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from ..errors import GdxError


class Optimizer(NamedTuple):
    """A ready-to-run optimizer: resolved hyperparameters and its two pure functions."""

    name: str
    hyper: dict[str, float]  # resolved hyperparameters (defaults filled in), torch names
    needs_hessian: bool
    init: Callable  # init(x) -> state
    update: Callable  # update(g, state, x, lr, t, oracle) -> (x_new, state)
    needs_loss: bool = False  # update takes loss=f(x) too (the line-search methods)


class Hyper(NamedTuple):
    """One hyperparameter as one optimizer takes it: a name of the table, its default there and
    what it means in that optimizer.  Flag, symbol, range and message come from the table
    (:data:`gdx.optim.hyper.HYPERPARAMETERS`)."""

    name: str  # python keyword / torch name: a key of HYPERPARAMETERS
    default: float
    meaning: str

    @property
    def flag(self) -> str:
        """The command-line flag, from the table (``--weight-decay``)."""
        from .hyper import HYPERPARAMETERS

        return HYPERPARAMETERS[self.name].flag


#: The optimizer families (``OptimizerSpec.family``):
#: ``"sgd"``: the step is lr·(a linear combination of past gradients) — gd, momentum, nesterov —
#: so lr·λ along an eigenvector of H decides stability;
#: ``"adaptive"``: the step is divided per coordinate by a running size of the gradients —
#: adagrad, rmsprop, adadelta, adam, adamw — so its length is about lr whatever the gradient;
#: ``"newton"``: the step uses the Hessian;
#: ``"line-search"``: the update evaluates f and ∇f itself and a line search picks the step length
#: (lbfgs, bfgs, cg), so no lr bound applies (lr is at most the first trial step).
FAMILIES = ("sgd", "adaptive", "newton", "line-search")


class OptimizerSpec(NamedTuple):
    """A registry entry: everything about an optimizer except its numeric code.

    ``module`` and ``builder`` name the function ``builder(**hyper) -> (init, update)`` that is
    imported only when the optimizer is made (so listing optimizers never imports numpy).

    What the diagnosis reads, for f = λ·x²/2 along one eigenvector of H:

    * ``family``: one of :data:`FAMILIES`.
    * ``stability(lam_max, hyper) -> float``: the largest stable constant lr for top curvature
      ``lam_max`` > 0 (with the run's resolved ``hyper``), and ``stability_text`` its formula
      (``"2/λmax"``); None / ``""`` for optimizers without such a bound.  Use :meth:`stable_lr`.
    * ``preconditioner``: for adaptive optimizers with an adaptive edge of stability (Adam, AdamW,
      Adamax, RMSprop, Adagrad), P and the edge (:mod:`gdx.optim.preconditioner`).
    * ``step_factor(lr, lam) -> float``: the number one step multiplies the error by, when the
      error obeys a one-term recurrence e ← c·e (gd: c = 1 − lr·λ); None when the update keeps
      state that mixes in (momentum's 2×2 recurrence) or is not linear in g.
    """

    name: str
    torch: str  # the torch equivalent, e.g. "torch.optim.SGD(momentum=0.9)"
    summary: str
    hyper: tuple[Hyper, ...]  # accepted hyperparameters, "lr" first
    rule: tuple[str, ...]  # the update rule, readable lines of unicode math
    module: str
    builder: str
    family: str
    needs_hessian: bool = False
    needs_loss: bool = False  # update(..., loss=f(x)): the line-search methods
    notes: tuple[str, ...] = ()
    stability: Callable[[float, dict], float] | None = None
    stability_text: str = ""
    step_factor: Callable[[float, float], float] | None = None
    #: For an adaptive optimizer whose step length is not about lr (Rprop): what sets it, and what
    #: to change when it bounces across a minimum.  Empty: "steps stay about lr long".
    step_length: str = ""
    step_hint: str = ""
    #: For an adaptive optimizer that is a preconditioned method x ← x − η·P⁻¹·m with a diagonal P
    #: (:class:`gdx.optim.preconditioner.Preconditioner`): how to rebuild P from the path and the
    #: adaptive edge on λmax(P⁻¹H) (Cohen et al. 2022); None where theory gives no such bound.
    preconditioner: Any = None

    @property
    def defaults(self) -> dict[str, float]:
        """Accepted hyperparameter → default, in the spec's order (``lr`` first)."""
        return {h.name: h.default for h in self.hyper}

    @property
    def default_lr(self) -> float:
        return self.defaults["lr"]

    def stable_lr(self, lam_max: float, hyper: dict | None = None) -> float | None:
        """The largest stable constant lr on a quadratic of top curvature ``lam_max``.

        None when the optimizer has no such bound (``stability`` is None) or ``lam_max`` is not
        > 0 (no positive curvature: no lr is stable along it, and none is needed).  ``hyper``
        defaults to the spec's defaults; missing names are filled in from them.
        """
        if self.stability is None or not lam_max > 0:
            return None
        given = {k: v for k, v in (hyper or {}).items() if v is not None}
        return self.stability(float(lam_max), {**self.defaults, **given})


class EmptyState(NamedTuple):
    """The state of an optimizer that keeps none (gd, newton)."""


# --------------------------------------------------------------------------------------------
# validation (torch's messages, torch's ranges; gdx also refuses NaN and ±inf)


def _fmt(value: Any) -> str:
    """A value as Python's ``str()`` shows it (``-1`` stays ``-1``; numpy scalars as floats)."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    return str(value)


def check(value: Any, ok: Callable[[Any], Any], message: str, *, kind: str = "invalid hyperparameter"):
    """Return ``value`` (a float, or a float64 array) if ``ok`` holds for every element.

    ``ok`` is evaluated on a float or a numpy array and must return a bool or a bool array.
    The message is ``message.format(v)`` for the first offending element ``v``, shown as the user
    gave it.  NaN and infinite values always fail, and so do booleans and text (numpy would
    read ``"0.1"`` as a number; a hyperparameter given as text is a caller's bug).
    """
    if isinstance(value, (bool, str, bytes)):
        raise GdxError(message.format(_fmt(value)), kind=kind)
    if isinstance(value, (int, float)):
        import math

        if not (math.isfinite(value) and ok(float(value))):
            raise GdxError(message.format(_fmt(value)), kind=kind)
        return float(value)
    import numpy as np

    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise GdxError(message.format(_fmt(value)), kind=kind) from None
    good = np.isfinite(arr) & np.asarray(ok(arr), dtype=bool)
    if not np.all(good):
        if arr.ndim == 0:
            raise GdxError(message.format(_fmt(value)), kind=kind)
        bad = np.asarray(value).reshape(-1)[int(np.argmin(good.reshape(-1)))]
        raise GdxError(message.format(_fmt(bad)), kind=kind)
    return float(arr) if arr.ndim == 0 else arr


# --------------------------------------------------------------------------------------------
# numeric helpers (torch's kernels, in the same order of operations)


def weight_decay_l2(g, x, weight_decay):
    """``g + λ·x`` (torch's ``grad.add(param, alpha=weight_decay)``), skipped when λ is 0."""
    if isinstance(weight_decay, float) and weight_decay == 0.0:
        return g
    return g + weight_decay * x


def weight_decay_step(g, x, lr, weight_decay, decoupled: bool):
    """The weight decay of the Adam family, before the moments: decoupled (AdamW, and NAdam/RAdam
    with ``decoupled_weight_decay``) shrinks x ← x·(1 − lr·λ); coupled adds λ·x to g (L2).
    Returns (g, x); λ = 0 changes neither."""
    if decoupled:
        if not (isinstance(weight_decay, float) and weight_decay == 0.0):
            x = x * (1 - lr * weight_decay)
        return g, x
    return weight_decay_l2(g, x, weight_decay), x


def lerp(start, end, weight):
    """torch.lerp: ``start + w·(end − start)`` for |w| < ½, else ``end − (end − start)·(1 − w)``."""
    import numpy as np

    if isinstance(weight, float):
        if abs(weight) < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    return np.where(np.abs(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))
