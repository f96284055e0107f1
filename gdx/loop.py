"""The iteration: a generator of events, and the rules that stop it.

For k = 0, 1, 2, …: evaluate f(x_k) and ∇f(x_k) together (one call), emit ``Step(k, …)``, then
stop if

* f, ∇f or x_k is not finite, or |f(x_k) − f(x_0)| > 1e10·(1 + |f(x_0)|)  (diverged / fault),
* ‖∇f(x_k)‖ ≤ tol  (converged; ``tol = 0`` never stops early),
* k = steps  (max_steps),
* the callback returns True  (stopped),

and otherwise apply update k+1 with learning rate ``schedule(k)`` (so the first update uses
k = 0, as torch.optim.lr_scheduler does) to the gradient, clipped by norm if asked.  Ctrl-C at
any point ends the run with status ``interrupted`` and every point computed so far.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterator

from .errors import NumericalFault
from .result import MESSAGES, Finished, Path, Result, Started, Status, Step

#: |f(x_k) − f(x_0)| above this many times (1 + |f(x_0)|) counts as divergence.
EXPLOSION = 1e10


def constant_schedule(lr: float) -> Callable[[int], float]:
    """k ↦ lr."""
    return lambda k: lr


def run(
    compiled,
    optimizer,
    x0,
    *,
    steps: int = 1000,
    tol: float = 1e-6,
    schedule: Callable[[int], float] | None = None,
    schedule_name: str = "constant",
    clip_norm: float | None = None,
    callback: Callable[[Step], bool | None] | None = None,
) -> Iterator:
    """Run ``optimizer`` on ``compiled`` from ``x0``; yield Started, Step…, Finished(result)."""
    import numpy as np

    if schedule is None:
        schedule = constant_schedule(optimizer.hyper["lr"])
    clip = None
    if clip_norm is not None:
        from .optim.clip import clip_by_norm

        clip = lambda g: clip_by_norm(g, clip_norm)  # noqa: E731

    x = np.array(x0, dtype=float).reshape(compiled.n)
    yield Started(tuple(compiled.variables), x.copy(), optimizer.name, dict(optimizer.hyper), schedule_name, steps, tol)
    record: list[Step] = []
    status, cause, fault_step = Status.MAX_STEPS, None, None
    compiled.warm(hessian=optimizer.needs_hessian)
    started = time.perf_counter()
    k = 0
    try:
        with np.errstate(all="ignore"):
            state = optimizer.init(x)
            f0 = None
            while True:
                f, g = compiled.value_and_grad(x)
                gn = math.sqrt(float(g @ g))
                lr = float(schedule(k))
                step = Step(k, x, f, gn, lr, g)
                record.append(step)
                yield step
                if f0 is None:
                    f0 = f
                cause = broken_cause(x, f, gn, f0)
                if cause:
                    status, fault_step = status_of_cause(cause), k
                    break
                if gn <= tol:
                    status = Status.CONVERGED
                    break
                if k >= steps:
                    status = Status.MAX_STEPS
                    break
                if callback is not None and callback(step):
                    status = Status.STOPPED
                    break
                try:
                    x, state = optimizer.update(clip(g) if clip else g, state, x, lr, k + 1, compiled)
                except NumericalFault as exc:
                    status, cause, fault_step = Status.FAULT, exc.cause, k + 1
                    break
                except (FloatingPointError, np.linalg.LinAlgError) as exc:
                    status, cause, fault_step = Status.FAULT, str(exc), k + 1
                    break
                k += 1
    except KeyboardInterrupt:
        status = Status.INTERRUPTED
    wall = time.perf_counter() - started
    yield Finished(_result(compiled, optimizer, schedule_name, record, status, cause, fault_step, wall))


def status_of_cause(cause: str) -> Status:
    """A NaN (undefined f or ∇f) is a fault; overflow and explosion are divergence."""
    return Status.FAULT if cause.startswith("not a number") else Status.DIVERGED


def broken_cause(x, f: float, gn: float, f0: float) -> str | None:
    """Why the point x_k ends the run, or None: non-finite values or an exploding loss."""
    if math.isfinite(f) and math.isfinite(gn) and math.isfinite(float(x.sum())) and abs(f - f0) <= EXPLOSION * (1 + abs(f0)):
        return None  # the common case, checked in one pass (a NaN or ±inf in x makes the sum non-finite)
    if math.isnan(f) or math.isnan(gn):
        if not all(math.isfinite(v) for v in x):
            return "x overflowed to a non-finite value"
        what = "f" if math.isnan(f) else "the gradient"
        return f"not a number: {what} is undefined at this point (outside the function's domain, or 0/0)"
    if not all(math.isfinite(v) for v in x):
        return "x overflowed to a non-finite value"
    if math.isinf(f):
        return f"the loss overflowed to {'+' if f > 0 else '-'}inf"
    if math.isinf(gn):
        return "the gradient overflowed to inf"
    if abs(f - f0) > EXPLOSION * (1 + abs(f0)):
        return "the loss exploded (|f − f₀| > 1e10·(1 + |f₀|))" if f > f0 else "the loss is unbounded below"
    return None


def _result(compiled, optimizer, schedule_name, record, status, cause, fault_step, wall) -> Result:
    """Assemble the Result; x/fun/jac are those of the last finite point."""
    import numpy as np

    path = Path.from_steps(compiled.variables, record)
    last = _last_finite(record)
    k = record[-1].k if record else 0
    if last is None:
        nan = np.full(compiled.n, np.nan)
        x, fun, jac, gn = nan, math.nan, nan, math.nan
    else:
        x, fun, jac, gn = last.x, last.loss, last.grad, last.grad_norm
    message = MESSAGES[status].format(k=fault_step if fault_step is not None else k, cause=cause)
    return Result(
        x=np.array(x, dtype=float),
        fun=float(fun),
        jac=np.array(jac, dtype=float),
        grad_norm=float(gn),
        nit=k,
        nfev=compiled.nfev,
        njev=compiled.njev,
        nhev=compiled.nhev,
        status=status,
        message=message,
        path=path,
        variables=tuple(compiled.variables),
        optimizer=optimizer.name,
        hyper=dict(optimizer.hyper),
        schedule=schedule_name,
        wall_time=wall,
        fault_step=fault_step,
        cause=cause,
    )


def _last_finite(record: list[Step]) -> Step | None:
    for step in reversed(record):
        if math.isfinite(step.loss) and math.isfinite(step.grad_norm) and all(math.isfinite(v) for v in step.x):
            return step
    return None


def run_to_end(*args, **kwargs) -> Result:
    """Drain :func:`run` and return its Result."""
    for event in run(*args, **kwargs):
        pass
    return event.result
