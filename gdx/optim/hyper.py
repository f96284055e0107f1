"""The hyperparameter table: one entry per hyperparameter, the single source of its facts.

Every hyperparameter any optimizer takes is declared here once, under its torch name, with its
command-line flag, its symbol, a one-line help text (generic across optimizers), its valid
range as data, torch's validation message and whether a sweep range over it is log-spaced by
default.  Defaults and per-optimizer meanings are not here: they belong to each optimizer's
registry entry (:data:`gdx.optim.OPTIMIZERS`), which may only name hyperparameters of this table.

Rules:

* A value is valid when it is finite and lies in ``[low, high]``, an end excluded when
  ``low_open`` / ``high_open`` is set (``high = inf``: no upper end).  NaN and ±inf are always
  refused, as :func:`gdx.optim.base.check` does.
* An invalid value raises :class:`gdx.errors.GdxError` (kind ``"invalid hyperparameter"``)
  with torch's message, e.g. ``Invalid learning rate: -1``; for an array (a per-run column in a
  sweep) the check is elementwise and the message shows the first bad element.
* The ranges are torch's: ``lr``, ``momentum``, ``eps``, ``alpha``, ``weight_decay``,
  ``lr_decay``, ``initial_accumulator_value``, ``momentum_decay`` ≥ 0; ``beta1``, ``beta2`` in
  [0, 1); ``rho`` in [0, 1].  Constraints one optimizer adds (Nesterov needs momentum > 0) stay
  in its module.  torch checks neither ``dampening`` nor ASGD's ``lambd``, ``t0`` nor Rprop's
  ``step_sizes``; gdx refuses what makes no sense there (dampening outside [0, 1], a negative
  λ or t₀, step sizes not 0 ≤ min ≤ max) with messages in torch's style.
* ``kind`` says what a value is and how the command line writes it:

  - ``"float"``: a number (``--lr 0.1``); the only kind a sweep can range over;
  - ``"bool"``: a switch, ``--amsgrad`` / ``--no-amsgrad`` on the command line, ``true`` or
    ``false`` in ``-o adam:amsgrad=true`` and in a preset's ``[settings]``;
  - ``"int"``: a whole number ≥ ``low`` (L-BFGS's ``max_iter``, ``history_size``), ``--max-iter 5``,
    ``lbfgs:max_iter=5`` in ``-o``, ``max_iter = 5`` in a preset; not swept;
  - ``"choice"``: one word of ``choices`` (``--line-search strong_wolfe``; torch's ``None`` is
    ``none``); not swept;
  - ``"pair"``: two numbers (torch's tuples ``etas``, ``step_sizes``), ``--etas "0.5,1.2"`` on the
    command line, ``rprop:etas=(0.5,1.2)`` in ``-o``, ``etas = [0.5, 1.2]`` in a preset; valid
    when the entry's ``pair_rule`` holds, with torch's message (``Invalid eta values: 1.5, 1.2``).

This module does not import numpy (only :meth:`Hyperparameter.check` on an array does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Hyperparameter", "HYPERPARAMETERS", "checked", "range_text"]


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: names, help, valid range and torch's message for a value outside it.

    ``name`` is the torch keyword (``weight_decay``), ``flag`` the command-line option
    (``--weight-decay``), ``symbol`` the letter the update rules use (``λ``), ``help`` one line
    for ``--help``.  The valid range is ``low``…``high`` with ``low_open``/``high_open`` saying
    whether an end is excluded; ``message`` is torch's text with ``{}`` for the bad value.
    ``log_scale``: a sweep range ``A:B`` is log-spaced unless told otherwise.  ``kind`` is
    ``"float"``, ``"bool"`` or ``"pair"`` (module docstring); a pair's validity is
    ``PAIR_RULES[pair_rule]`` and its ``range_text`` is ``pair_text``.
    """

    name: str
    flag: str
    symbol: str
    help: str
    message: str
    low: float = 0.0
    high: float = math.inf
    low_open: bool = False
    high_open: bool = True
    log_scale: bool = False
    kind: str = "float"
    pair_rule: str = ""
    pair_text: str = ""
    choices: tuple = ()

    @property
    def sweepable(self) -> bool:
        """Only numbers can be swept over a range (a bool or a pair cannot)."""
        return self.kind == "float"

    def contains(self, value) -> bool:
        """True when ``value`` is valid: for ``"float"`` a number (not a bool or text), finite and
        inside the range; for ``"bool"`` a bool; for ``"pair"`` two finite numbers obeying the rule."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            return _as_int(value) is not None and _as_int(value) >= self.low
        if self.kind == "choice":
            return isinstance(value, str) and value in self.choices
        if self.kind == "pair":
            return _as_pair(value) is not None and PAIR_RULES[self.pair_rule](*_as_pair(value))
        if isinstance(value, (bool, str, bytes)):
            return False
        try:
            v = float(value)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(v):
            return False
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above and below

    def _ok(self, v):
        """The range test on a float or a numpy array (elementwise, a bool array for arrays)."""
        above = (v > self.low) if self.low_open else (v >= self.low)
        if math.isinf(self.high):
            return above
        below = (v < self.high) if self.high_open else (v <= self.high)
        return above & below

    def check(self, value: Any, *, kind: str = "invalid hyperparameter"):
        """``value`` as a float (or a float64 array) if every element is finite and in range.

        Otherwise a :class:`gdx.errors.GdxError` of kind ``kind`` with torch's message for the
        first bad element, shown as given (``Invalid learning rate: -1``).  Booleans and
        non-numbers are refused.
        """
        from .base import GdxError, check

        if self.kind == "bool":
            if not isinstance(value, bool):
                raise GdxError(self.message.format(value), kind=kind)
            return value
        if self.kind in ("int", "choice"):
            if not self.contains(value):
                raise GdxError(self.message.format(value), kind=kind)
            return _as_int(value) if self.kind == "int" else value
        if self.kind == "pair":
            pair = _as_pair(value)
            if pair is None or not PAIR_RULES[self.pair_rule](*pair):
                shown = list(value) if isinstance(value, (tuple, list)) and len(value) == 2 else [value, ""]
                raise GdxError(self.message.format(*shown), kind=kind)
            return pair
        return check(value, self._ok, self.message, kind=kind)

    def parse(self, text: str, *, flag: str | None = None, source: str | None = None, span=None):
        """A value of this kind from command-line text: a number, ``true``/``false`` (also
        ``yes``/``no``, ``on``/``off``, ``1``/``0``) or two numbers ``"a,b"`` (parentheses
        allowed).  Bad text raises a usage-error GdxError naming the flag, with a caret when
        ``source``/``span`` are given.  The range is checked later, by :meth:`check`."""
        from .base import GdxError

        flag = flag or self.flag
        raw = str(text).strip()
        where = {"source": source, "span": span} if source is not None else {"source": str(text), "span": (0, max(1, len(str(text))))}
        if self.kind == "bool":
            word = raw.lower()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            raise GdxError(f"{flag}: '{raw}' is not true or false", kind="usage error",
                           hint=f"write {self.name}=true or {self.name}=false", **where)
        if self.kind == "int":
            try:
                return int(raw)
            except ValueError:
                raise GdxError(f"{flag}: '{raw}' is not a whole number", kind="usage error", **where) from None
        if self.kind == "choice":
            if raw in self.choices:
                return raw
            raise GdxError(f"{flag}: '{raw}' is not one of {', '.join(self.choices)}", kind="usage error",
                           hint=f"write one of: {', '.join(self.choices)}", **where)
        if self.kind == "pair":
            inner = raw[1:-1] if raw.startswith("(") and raw.endswith(")") else raw
            parts = inner.split(",")
            try:
                a, b = (float(p) for p in parts)
                if not (math.isfinite(a) and math.isfinite(b)):
                    raise ValueError
            except ValueError:
                raise GdxError(f"{flag}: '{raw}' is not two numbers a,b", kind="usage error",
                               hint=f'for example {self.flag} "{_PAIR_EXAMPLES[self.name]}" (in -o: {self.name}=({_PAIR_EXAMPLES[self.name]}))', **where) from None
            return (a, b)
        try:
            v = float(raw)
        except ValueError:
            v = math.nan
        if not math.isfinite(v):
            raise GdxError(f"{flag}: '{raw}' is not a finite number", kind="usage error", **where)
        return v

    @property
    def range_text(self) -> str:
        """The range as a short phrase: ``"≥ 0"``, ``"> 0"``, ``"in [0, 1)"``, ``"in [0, 1]"``
        (``"true or false"`` for a switch, the pair's rule for a pair)."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "pair":
            return self.pair_text
        if self.kind == "int":
            return f"a whole number ≥ {_num(self.low)}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if math.isinf(self.high):
            return f"{'>' if self.low_open else '≥'} {_num(self.low)}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{_num(self.low)}, {_num(self.high)}{right}"


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_PAIR_EXAMPLES = {"etas": "0.5,1.2", "step_sizes": "1e-6,50"}


def _as_int(value) -> int | None:
    """``value`` as an int when it is a whole number (an int, or a float with no fraction), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return None


def _as_pair(value) -> tuple[float, float] | None:
    """``value`` as two finite floats, or None when it is not a sequence of two finite numbers."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None
    if any(isinstance(v, (bool, str, bytes)) for v in value):
        return None
    try:
        a, b = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        return None
    return (a, b) if math.isfinite(a) and math.isfinite(b) else None


#: The rules a pair must obey: Rprop's etas 0 < η₋ < 1 < η₊ (torch's check); step sizes
#: 0 ≤ min ≤ max (torch checks nothing; a negative or inverted clamp makes no sense).
PAIR_RULES = {
    "etas": lambda lo, hi: 0.0 < lo < 1.0 < hi,
    "step_sizes": lambda lo, hi: 0.0 <= lo <= hi,
}


def _num(v: float) -> str:
    return f"{v:g}"


def _entry(name: str, symbol: str, help: str, message: str, **kw) -> Hyperparameter:
    return Hyperparameter(name, "--" + name.replace("_", "-"), symbol, help, message, **kw)


#: name → hyperparameter, in the order they are listed (``--help``, ``gdx optimizers``, presets).
HYPERPARAMETERS: dict[str, Hyperparameter] = {
    h.name: h
    for h in (
        _entry("lr", "lr", "Learning rate (scaled by --schedule).", "Invalid learning rate: {}", log_scale=True),
        _entry("momentum", "μ", "Momentum factor μ (0 = none).", "Invalid momentum value: {}"),
        _entry(
            "beta1", "β₁", "Decay β₁ of the gradient average (torch betas[0]).",
            "Invalid beta parameter at index 0: {}", high=1.0,
        ),
        _entry(
            "beta2", "β₂", "Decay β₂ of the squared-gradient average (torch betas[1]).",
            "Invalid beta parameter at index 1: {}", high=1.0,
        ),
        _entry("eps", "ε", "ε added to denominators for stability.", "Invalid epsilon value: {}", log_scale=True),
        _entry("alpha", "α", "Smoothing constant α of the squared-gradient average.", "Invalid alpha value: {}"),
        _entry("rho", "ρ", "Decay ρ of the running averages.", "Invalid rho value: {}", high=1.0, high_open=False),
        _entry(
            "weight_decay", "λ", "Weight decay λ: an L2 penalty on x (decoupled in adamw).",
            "Invalid weight_decay value: {}",
        ),
        _entry(
            "lr_decay", "lr_decay", "Learning-rate decay: clr = lr/(1 + (t−1)·lr_decay).",
            "Invalid lr_decay value: {}",
        ),
        _entry(
            "initial_accumulator_value", "s₀", "Starting value s₀ of the sum of squared gradients.",
            "Invalid initial_accumulator_value value: {}",
        ),
        _entry("dampening", "τ", "Dampening τ of momentum: b ← μ·b + (1−τ)·g.", "Invalid dampening value: {}",
               high=1.0, high_open=False),
        _entry("momentum_decay", "ψ", "NAdam's momentum decay ψ: μₜ = β₁(1 − ½·0.96^(tψ)).",
               "Invalid momentum_decay value: {}"),
        _entry("lambd", "λ_asgd", "ASGD's decay term λ: x ← x·(1 − λ·η) and η's decay.", "Invalid lambd value: {}"),
        _entry("t0", "t₀", "ASGD's averaging start t₀: μ = 1/max(1, t − t₀).", "Invalid t0 value: {}"),
        _entry("amsgrad", "amsgrad", "AMSGrad: divide by the running maximum of v.",
               "Invalid amsgrad value: {} (must be true or false)", kind="bool"),
        _entry("centered", "centered", "Centered RMSprop: divide by an estimate of the gradient's variance.",
               "Invalid centered value: {} (must be true or false)", kind="bool"),
        _entry("decoupled_weight_decay", "decoupled", "Decoupled weight decay: x ← x·(1 − lr·λ) instead of g + λ·x.",
               "Invalid decoupled_weight_decay value: {} (must be true or false)", kind="bool"),
        _entry("maximize", "maximize", "Maximize f: the update uses −∇f.",
               "Invalid maximize value: {} (must be true or false)", kind="bool"),
        _entry("etas", "η₋,η₊", 'Rprop\'s step-size factors "η₋,η₊" (shrink, grow).', "Invalid eta values: {}, {}",
               kind="pair", pair_rule="etas", pair_text="0 < η₋ < 1 < η₊"),
        _entry("step_sizes", "Γ", 'Rprop\'s step-size bounds "min,max".', "Invalid step_sizes values: {}, {}",
               kind="pair", pair_rule="step_sizes", pair_text="0 ≤ min ≤ max"),
        _entry("max_iter", "max_iter", "L-BFGS: inner iterations per step (torch max_iter; max_eval = max_iter·5//4).",
               "Invalid max_iter value: {} (must be a whole number >= 1)", kind="int", low=1.0),
        _entry("history_size", "m", "L-BFGS: number of (s, y) pairs kept (torch history_size).",
               "Invalid history_size value: {} (must be a whole number >= 1)", kind="int", low=1.0),
        _entry("tolerance_grad", "tol_g", "L-BFGS: a step stops when max|∇f| ≤ this (torch tolerance_grad).",
               "Invalid tolerance_grad value: {}", log_scale=True),
        _entry("tolerance_change", "tol_Δ", "L-BFGS: a step stops when f or x changes less than this (torch tolerance_change).",
               "Invalid tolerance_change value: {}", log_scale=True),
        Hyperparameter("line_search_fn", "--line-search", "ls", "L-BFGS's line search: strong_wolfe or none (torch line_search_fn=None).",
                       "Invalid line_search_fn value: {} (must be none or strong_wolfe)", kind="choice",
                       choices=("none", "strong_wolfe")),
    )
}


def checked(**values) -> tuple:
    """Each value checked by its hyperparameter's rule (:meth:`Hyperparameter.check`), in the
    order given (an optimizer passes torch's order of checks, so the first bad value is the one
    torch names); returns the checked values in that order."""
    return tuple(HYPERPARAMETERS[name].check(value) for name, value in values.items())


def range_text(name: str) -> str:
    """The valid range of hyperparameter ``name`` as a phrase (``"≥ 0"``, ``"in [0, 1)"``).

    Raises KeyError for a name not in :data:`HYPERPARAMETERS`.
    """
    return HYPERPARAMETERS[name].range_text
