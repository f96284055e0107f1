"""The single-run loop: a generator of events (Started, Step…, Finished).

For k = 0, 1, 2, …: evaluate f(x_k) and ∇f(x_k) together (one call), emit ``Step(k, …)``, then
apply the stopping rules of :mod:`gdx.stopping` (broken → converged → max_steps → the callback
returning True), and otherwise make update k+1 — the optimizer's ``t`` is k+1 — with learning
rate ``schedule(k)`` (so the first update uses k = 0, as torch.optim.lr_scheduler does) to the
gradient, clipped by norm if asked.  A schedule that observes the loss (``observes_loss``, e.g.
:class:`gdx.plateau.Plateau`) gives ``schedule.lr(state)`` instead, and sees f(x_k) after
update k is made (``state = schedule.observe(state, f)``), as torch's
``scheduler.step(loss)`` after ``optimizer.step()``.  A schedule that cycles momentum
(``schedule.momentum``: onecycle and cyclic, torch's ``cycle_momentum=True``) makes update k+1
with the optimizer rebuilt with μ_k as its momentum or β₁ (:mod:`gdx.momentum_cycle`); other
schedules use ``optimizer`` itself, never rebuilt.  Ctrl-C at any point ends the run with status
``interrupted`` and every point computed so far.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterator

from .result import MESSAGES, Finished, Result, Started, Status, Step, StepBlock
from .stopping import EXPLOSION, broken_cause, fault_cause, is_finite_point, point_verdict, status_of_cause, update_faults

__all__ = ["run", "run_to_end", "constant_schedule", "EXPLOSION", "broken_cause", "status_of_cause"]


def loss_of(optimizer, f) -> dict:
    """The keyword that gives f(x_k) to an update that asks for it (``needs_loss``: the
    line-search methods), else nothing."""
    return {"loss": f} if getattr(optimizer, "needs_loss", False) else {}


def constant_schedule(lr: float) -> Callable[[int], float]:
    """k ↦ lr."""

    def constant(k):
        return lr

    constant.constant_lr = lr  # gdx.fastloop writes it into its loop
    return constant


def fast_plan(compiled, optimizer, schedule, **run):
    """The run's fast path (:func:`gdx.fastloop.plan`), or None (also when ``fastloop.ENABLED`` is off)."""
    from . import fastloop

    if not fastloop.ENABLED:
        return None
    fast = fastloop.plan(compiled, optimizer, schedule, **run)
    if fast is not None:
        fastloop.TAKEN += 1
    return fast


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
    batches=None,
    record=None,
    blocks: bool = False,
) -> Iterator:
    """Run ``optimizer`` on ``compiled`` from ``x0``; yield Started, Step…, Finished(result).

    ``batches`` (a :class:`gdx.minibatch.Batches`, for an objective over data): step k's f and
    ∇f are those of the rows ``batches.at(k)`` gives, and its Step records the epoch, the rows
    and, where ``batches.evaluates(k)``, f over every row.

    ``record``: a :class:`gdx.path_record.PathRecord` the steps go to (default: one keeping every
    step); the result's path is the steps it kept.

    ``blocks=True``: where the run takes the fast path (:mod:`gdx.fastloop`), its steps come as
    :class:`gdx.result.StepBlock` events (columns of up to ``fastloop.BLOCK`` steps) instead of one
    Step each; the steps, the path and the result are the same either way."""
    import numpy as np

    from .momentum_cycle import cycle_of

    if schedule is None:
        schedule = constant_schedule(optimizer.hyper["lr"])
    cycle = cycle_of(optimizer, schedule)
    clip = None
    if clip_norm is not None:
        from .optim.clip import clip_by_norm

        clip = lambda g: clip_by_norm(g, clip_norm)  # noqa: E731

    x = np.array(x0, dtype=float).reshape(compiled.n)
    yield Started(tuple(compiled.variables), x.copy(), optimizer.name, dict(optimizer.hyper), schedule_name, steps, tol)
    if record is None:
        from .path_record import PathRecord

        record = PathRecord()
    status, cause, fault_step = Status.MAX_STEPS, None, None
    faults = update_faults()
    compiled.warm(hessian=optimizer.needs_hessian)
    counting = getattr(optimizer, "needs_loss", False)  # the path records nfev for line-search methods
    counts0 = (compiled.nfev, compiled.njev, compiled.nhev)  # the run's own evaluations are counted from here
    started = time.perf_counter()
    k = 0
    try:
        with np.errstate(all="ignore"):
            state = (optimizer if cycle is None else cycle(optimizer, 0)).init(x)
            watched = schedule.init(1) if getattr(schedule, "observes_loss", False) else None
            f0 = band = pending = None
            value_and_grad, append, isfinite, sqrt = compiled.value_and_grad, record.append, math.isfinite, math.sqrt
            seen = {}
            fast = fast_plan(compiled, optimizer, schedule, clip=clip, callback=callback, batches=batches,
                             cycle=cycle, watched=watched)
            if fast is not None:  # steps on Python floats until a stopping rule or a fault needs the generic loop
                chunks = fast.blocks(x, state, steps, tol, record=record.add_block if blocks else None)
                while True:
                    try:
                        chunk = next(chunks)
                    except StopIteration as stop:
                        handover = stop.value
                        break
                    if blocks:  # recorded by the fast path
                        yield StepBlock(chunk)
                    else:
                        for step in StepBlock(chunk).steps():
                            append(step)
                            yield step
                k, x, state, f0, band, pending = handover[:6]
                if handover.interrupted:
                    raise KeyboardInterrupt
            while True:
                if pending is not None:  # x_k evaluated (and counted) by the fast path
                    f, g, pending = float(pending[0]), np.array(pending[1:], dtype=float), None
                elif batches is None:
                    f, g = value_and_grad(x)
                else:
                    seen = batch_step(compiled, batches, k, x)
                    f, g = seen.pop("fg")
                    full_gn = seen.pop("full_grad_norm")
                gn = sqrt(float(g @ g))
                if gn == math.inf:
                    gn = scaled_norm(g)
                lr = float(schedule(k)) if watched is None else float(schedule.lr(watched)[0])
                step = Step(k, x, f, gn, lr, g, compiled.nfev - counts0[0] if counting else None, **seen)
                append(step)
                yield step
                if f0 is None:
                    f0, band = f, EXPLOSION * (1 + abs(f))
                # tol is judged on the full-data gradient in a minibatch run (batch_step), not the batch's
                tol_k = tol if batches is None or batches.full else -math.inf
                # rules 1–2 (gdx.stopping.point_verdict), its common case first: all finite, in the band, not converged
                verdict = None
                if not (gn > tol_k and isfinite(f) and isfinite(gn) and isfinite(sum(x.tolist())) and abs(f - f0) <= band):
                    verdict = point_verdict(x, f, gn, f0, tol_k)
                if verdict is None and batches is not None and not batches.full and full_gn is not None \
                        and full_gn <= tol:
                    verdict = Status.CONVERGED, None
                if verdict is not None:
                    status, cause = verdict
                    fault_step = k if cause else None
                    break
                if k >= steps:
                    status = Status.MAX_STEPS
                    break
                if callback is not None and callback(step):
                    status = Status.STOPPED
                    break
                opt = optimizer if cycle is None else cycle(optimizer, k)
                try:
                    x, state = opt.update(clip(g) if clip else g, state, x, lr, k + 1, compiled, **loss_of(opt, f))
                except faults as exc:
                    status, cause, fault_step = Status.FAULT, fault_cause(exc), k + 1
                    break
                if watched is not None:
                    watched = schedule.observe(watched, f)
                k += 1
    except KeyboardInterrupt:
        status = Status.INTERRUPTED
    wall = time.perf_counter() - started
    yield Finished(_result(compiled, optimizer, schedule_name, record.path(compiled.variables), status, cause,
                           fault_step, wall, counts0))


def batch_step(compiled, batches, k: int, x) -> dict:
    """Step k of a minibatch run: f and ∇f on its batch, its epoch and rows, and f and ‖∇L‖ over
    every row when ``batches.evaluates(k)`` (a measurement: not counted in the run's evaluations).

    Convergence of a minibatch run (B < N) is judged on the full-data gradient: the run stops as
    converged at a step where it was evaluated and ‖∇L(x_k)‖ ≤ tol.  A small minibatch gradient
    alone never ends the run (it says little about ∇L); a non-finite batch loss or gradient, or
    an exploding loss, still ends it as diverged or a fault at once."""
    epoch, rows = batches.at(k)
    fg = compiled.value_and_grad(x, rows=rows)
    full, full_gn = None, None
    if batches.evaluates(k):
        if rows is None:
            full = fg[0]
        else:
            import numpy as np

            counts = (compiled.nfev, compiled.njev)
            full, full_g = compiled.value_and_grad(x)
            compiled.nfev, compiled.njev = counts
            full_gn = math.sqrt(float(full_g @ full_g))  # the norm of every step (gdx.batch.grad_norms: the same bits)
            if full_gn == math.inf:
                full_gn = scaled_norm(full_g)
    return {"fg": fg, "epoch": epoch, "rows": rows, "full_loss": full, "full_grad_norm": full_gn}


def scaled_norm(g) -> float:
    """‖g‖₂ without overflow when g·g overflows: s·‖g/s‖ with s = max|gᵢ| (hypot-style); inf
    only when a component is ±inf or the norm itself exceeds the largest float.  The same
    operations as :func:`gdx.batch.grad_norms` uses, so both stay bit-identical."""
    import numpy as np

    s = float(np.max(np.abs(g)))
    if not math.isfinite(s):
        return math.inf if not math.isnan(s) else math.nan
    gs = g / s
    return s * math.sqrt(float(gs @ gs))


def _result(compiled, optimizer, schedule_name, path, status, cause, fault_step, wall, counts0=(0, 0, 0)) -> Result:
    """Assemble the Result; x/fun/jac are those of the last finite point (gdx.stopping)."""
    import numpy as np

    last = _last_finite(path)
    k = int(path.k[-1]) if len(path) else 0
    if last is None:
        nan = np.full(compiled.n, np.nan)
        x, fun, jac, gn = nan, math.nan, nan, math.nan
    else:
        x, fun, jac, gn = path.x[last], path.loss[last], path.grad[last], path.grad_norm[last]
    message = MESSAGES[status].format(k=fault_step if fault_step is not None else k, cause=cause)
    return Result(
        x=np.array(x, dtype=float),
        fun=float(fun),
        jac=np.array(jac, dtype=float),
        grad_norm=float(gn),
        nit=k,
        nfev=compiled.nfev - counts0[0],  # this run's evaluations (a compiled function may serve many runs)
        njev=compiled.njev - counts0[1],
        nhev=compiled.nhev - counts0[2],
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


def _last_finite(path) -> int | None:
    """The row of the last step whose x, f and ‖∇f‖ are all finite (what the Result reports)."""
    import numpy as np

    if not len(path):
        return None
    ok = np.isfinite(path.loss) & np.isfinite(path.grad_norm) & np.isfinite(path.x).all(axis=1)
    rows = np.flatnonzero(ok)
    return int(rows[-1]) if len(rows) else None


def run_to_end(*args, **kwargs) -> Result:
    """Drain :func:`run` (its steps in blocks where it can) and return its Result."""
    kwargs.setdefault("blocks", True)
    for event in run(*args, **kwargs):
        pass
    return event.result
