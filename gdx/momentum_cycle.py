"""Cycled momentum: torch's ``cycle_momentum=True`` of OneCycleLR and CyclicLR.

A schedule that cycles momentum carries ``schedule.momentum``: k ↦ μ_k, the momentum-like
hyperparameter of update k (k = 0 first), which torch writes into the optimizer's param group
before ``optimizer.step()`` number k + 1 (at construction for k = 0, then in every
``scheduler.step()``).  Which hyperparameter, as torch decides it from ``optimizer.defaults``:

* ``momentum`` when the optimizer has one (momentum, nesterov, rmsprop: torch SGD and RMSprop);
* ``gd`` is torch ``SGD(momentum=0)``, whose defaults hold ``momentum`` too: torch overwrites
  the 0 with μ_k, so every update is SGD's momentum branch (buffer b ← g at the first update,
  then b ← μ_k·b + g; dampening 0).  gdx runs exactly that: update k is gdx ``momentum`` with
  momentum = μ_k and gd's lr, weight_decay and maximize;
* ``beta1`` (torch ``betas[0]``) for adam, adamw, adamax, nadam, radam, and lion (optax's b1);
* any other optimizer (adagrad, adadelta, rprop, asgd, lbfgs, bfgs, cg, newton) is refused with
  torch's ValueError message: "optimizer must support momentum or beta1 with `cycle_momentum`
  option enabled".

Update k is made by the optimizer rebuilt with μ_k (``make_optimizer(name, **{**hyper, key: μ_k})``);
its state (a NamedTuple whose fields do not depend on the hyperparameter values) carries over.
"""

from __future__ import annotations

from typing import Callable

from .errors import GdxError

MESSAGE = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


def cycled_key(name: str, hyper) -> tuple[str, str]:
    """(the optimizer that makes the updates, the hyperparameter μ_k replaces) for optimizer
    ``name`` with hyperparameters ``hyper``: torch's choice (module docstring); GdxError if none."""
    if name == "gd":
        return "momentum", "momentum"
    if "momentum" in hyper:
        return name, "momentum"
    if "beta1" in hyper:
        return name, "beta1"
    raise GdxError(MESSAGE, kind="invalid schedule",
                   hint=f"'{name}' has neither momentum nor beta1: add --no-cycle-momentum to schedule the lr only")


def cycle_of(optimizer, schedule) -> Callable | None:
    """None when ``schedule`` cycles no momentum; else the function (opt, k) ↦ the optimizer of
    update k: ``opt`` (``optimizer`` or its restriction to some batch rows) rebuilt with μ_k."""
    momentum = getattr(schedule, "momentum", None)
    if momentum is None:
        return None
    from .optim import make_optimizer

    target, key = cycled_key(optimizer.name, optimizer.hyper)

    def at(opt, k: int):
        return make_optimizer(target, **{**opt.hyper, key: momentum(k)})

    at(optimizer, 0)  # an invalid μ (beta1 ≥ 1, say) is refused before the run starts
    return at
