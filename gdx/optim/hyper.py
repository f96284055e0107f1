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
  ``lr_decay``, ``initial_accumulator_value`` ≥ 0; ``beta1``, ``beta2`` in [0, 1); ``rho`` in
  [0, 1].  Constraints one optimizer adds (Nesterov needs momentum > 0) stay in its module.

This module does not import numpy (only :meth:`Hyperparameter.check` on an array does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Hyperparameter", "HYPERPARAMETERS", "range_text"]


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: names, help, valid range and torch's message for a value outside it.

    ``name`` is the torch keyword (``weight_decay``), ``flag`` the command-line option
    (``--weight-decay``), ``symbol`` the letter the update rules use (``λ``), ``help`` one line
    for ``--help``.  The valid range is ``low``…``high`` with ``low_open``/``high_open`` saying
    whether an end is excluded; ``message`` is torch's text with ``{}`` for the bad value.
    ``log_scale``: a sweep range ``A:B`` is log-spaced unless told otherwise.  ``kind`` is the
    Python type of a value (every hyperparameter is a ``float``).
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
    kind: type = float

    def contains(self, value: float) -> bool:
        """True when ``value`` is a number (not a bool or text), finite and inside the range."""
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
        from .base import check

        return check(value, self._ok, self.message, kind=kind)

    @property
    def range_text(self) -> str:
        """The range as a short phrase: ``"≥ 0"``, ``"> 0"``, ``"in [0, 1)"``, ``"in [0, 1]"``."""
        if math.isinf(self.high):
            return f"{'>' if self.low_open else '≥'} {_num(self.low)}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{_num(self.low)}, {_num(self.high)}{right}"


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
    )
}


def range_text(name: str) -> str:
    """The valid range of hyperparameter ``name`` as a phrase (``"≥ 0"``, ``"in [0, 1)"``).

    Raises KeyError for a name not in :data:`HYPERPARAMETERS`.
    """
    return HYPERPARAMETERS[name].range_text
