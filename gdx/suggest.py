"""Suggestions that were tried: every change the diagnosis proposes is run before it is shown.

A :class:`Candidate` is a change to a run (another lr, optimizer, schedule, clipping, start,
weight decay or step budget) written as the flags a user would type.  :func:`try_candidates`
runs each from the run's own start with the run's own budget (:class:`Setup`: steps, tol,
schedule, clipping) through the single-run loop (:func:`gdx.loop.run_to_end`: its float fast
path for small n; the same path as the batched engine's row, to the bit), and
:func:`pick` keeps the best one that did better than the run itself, by these rules:

* a run that failed (diverged, fault) is never better;
* the budget is the run's (:func:`budget`: the steps it took when it converged early, a bounded
  one after a failure); an interrupted run gets no suggestion run on its behalf;
* a candidate that converged is better when the run did not converge, or converged in fewer
  steps (at most 0.9× as many), at a loss no higher than the run's (+ :func:`loss_margin`);
* a candidate with an L2 penalty λ (weight decay) changes the objective: it is better when it
  settles at a minimum of f + λ/2·‖x‖² (‖∇f + λx‖ ≤ 1e-6·(1 + ‖∇f‖)), whatever f is there;
* otherwise a candidate is better when its final loss is lower than the run's by more than
  :func:`loss_margin`: 1e-3·|f| (an improvement that is visible) and at least rounding at f's scale,
  64·ε·max(|f|, |f candidate|, |f(x₀)|) — relative, so 6e-13 beats 6e-9 on a loss whose
  minimum is 0, while on x² + 5 a change in the 15th digit is not an improvement.
* a minibatch run (``Setup.batches``: N rows, batch B < N, seed, full-data cadence) has its
  candidates run with the same minibatch sequence (same rule, same seed: gdx.minibatch) through
  the loop, and every loss compared -- the run's and each candidate's -- is the **full-data**
  loss L at the end point, with ‖∇L‖ there: a minibatch loss is one batch's draw, and a
  candidate run full-batch would be judged on another problem than the run's.

The best is the converged candidate with the fewest steps, else the lowest final loss.  What is
printed says what was measured: "converges in 102 steps (f = 3.1e-13)" or
"reaches f = 1.2e-09 in 400 steps".  When no candidate did better, the text says so and lists
what was tried.  The compiled function's evaluation counters are left untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

#: How many candidates a "none did better" message lists.
LISTED = 3


@dataclass(frozen=True)
class Setup:
    """What the run was given, so that a change to it can be re-run: start, budget, schedule."""

    x0: tuple
    steps: int
    tol: float
    clip_norm: float | None = None
    schedule: str = "constant"
    schedule_args: dict = field(default_factory=dict)
    #: a minibatch run's (N, B, seed, eval_every) (gdx.minibatch.Batches); None: full batch
    batches: tuple | None = None

    @classmethod
    def of(cls, result, tol: float | None = None) -> "Setup":
        """The setup read back from a Result alone (start = the path's first point, budget = its
        steps, or 1000 for a run that failed early; a non-constant schedule with its default
        parameters)."""
        x0 = tuple(float(v) for v in result.path.x[0]) if len(result.path) else tuple(float(v) for v in result.x)
        steps = max(int(result.nit), 1000 if result.status.failed else 1)  # a failed run's budget is unknown: the CLI default
        return cls(x0, steps, 1e-6 if tol is None else float(tol), None, result.schedule or "constant")


@dataclass(frozen=True)
class Candidate:
    """A change to the run, and the flags that make it (``flags`` is what is printed)."""

    flags: str
    optimizer: str
    hyper: dict
    schedule: str | None = None  # None: the run's schedule
    clip_norm: float | None | str = "same"  # "same": the run's clipping
    x0: tuple | None = None  # None: the run's start
    steps: int | None = None  # None: the run's budget
    penalty: float = 0.0  # an L2 penalty λ (weight decay): the candidate minimises f + λ/2·‖x‖²


@dataclass(frozen=True)
class Outcome:
    """What a candidate did: status, steps made, final loss and gradient norm."""

    candidate: Candidate
    status: str
    nit: int
    fun: float
    grad_norm: float
    fault_step: int | None = None
    settled: float | None = None  # with a penalty: ‖∇f(x) + λx‖ at the end (≈ 0: a minimum of f + λ/2‖x‖²)
    x: tuple = ()
    full_data: bool = False  # a minibatch run's candidate: fun, grad_norm are L and ‖∇L‖ at the end

    @property
    def settles(self) -> bool:
        """With a penalty: the penalised gradient is ≤ 1e-6·(1 + ‖∇f‖ scale) at the end."""
        return self.settled is not None and self.settled <= 1e-6 * (1 + self.grad_norm)

    @property
    def failed(self) -> bool:
        return self.status in ("diverged", "fault")

    def measured(self) -> str:
        """"converges in 102 steps (f = 3.1e-13)", "reaches f = 1.2e-09 in 400 steps", "diverges at step 6"."""
        if self.settled is not None and self.settles:
            return (f"settles at x = ({', '.join(_g(c) for c in self.x)}), f = {_g(self.fun)}, a minimum of f + "
                    f"{_g(self.candidate.penalty)}/2·‖x‖² (‖∇f + λx‖ = {_g(self.settled, 2)})")
        if self.failed:
            return f"diverges at step {self.fault_step if self.fault_step is not None else self.nit}"
        if self.status == "converged":
            return f"converges in {self.nit} steps ({'L' if self.full_data else 'f'} = {_g(self.fun)})"
        if self.full_data:
            return f"reaches a full-data loss L = {_g(self.fun)} in {self.nit} steps (‖∇L‖ = {_g(self.grad_norm, 3)})"
        return f"reaches f = {_g(self.fun)} in {self.nit} steps (‖∇f‖ = {_g(self.grad_norm, 3)})"


def _g(v, digits: int = 4) -> str:
    return f"{float(v):.{digits}g}"


def budget(setup: Setup, result) -> Setup:
    """The setup a candidate runs with: the run's budget where the run used it (max_steps),
    the steps the run took where it converged (a candidate must beat them) or was interrupted
    or stopped, and for a run that failed at step k, min(budget, max(1000, 10·k)) — enough to
    show a stable change converging, never a 10⁸-step budget spent on a hypothesis."""
    status = result.status.value
    if status == "max_steps":
        return setup
    if status in ("converged", "interrupted", "stopped"):
        return replace(setup, steps=max(int(result.nit), 1))
    return replace(setup, steps=min(setup.steps, max(1000, 10 * int(result.nit))))


def run_candidate(compiled, setup: Setup, cand: Candidate) -> Outcome:
    """Run one candidate from the setup's start (or its own) with the setup's budget (or its own)."""
    import numpy as np

    from .loop import run_to_end
    from .optim import make_optimizer
    from .path_record import PathRecord
    from .schedules import make_schedule

    opt = make_optimizer(cand.optimizer, **cand.hyper)
    steps = setup.steps if cand.steps is None else int(cand.steps)
    name = setup.schedule if cand.schedule is None else cand.schedule
    args = dict(setup.schedule_args) if cand.schedule is None else {}
    schedule_fn = None
    if name != "constant":
        args = {k: v for k, v in args.items() if v is not None}
        args.setdefault("t_max", steps) if name == "cosine" else args.pop("t_max", None)
        schedule_fn = make_schedule(name, float(opt.hyper["lr"]), **args)
    clip = setup.clip_norm if cand.clip_norm == "same" else cand.clip_norm
    x0 = np.asarray(setup.x0 if cand.x0 is None else cand.x0, dtype=float)
    if setup.batches is not None:
        return _run_minibatch(compiled, setup, cand, opt, x0, steps, schedule_fn, name, clip)
    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):  # one run: the single-run loop (its fast path for small n), its end kept
            r = run_to_end(compiled, opt, x0, steps=steps, tol=setup.tol,
                           schedule=schedule_fn, schedule_name=name, clip_norm=clip, record=PathRecord(256, tail=16))
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    settled = None
    xe = np.asarray(r.x, dtype=float)
    if cand.penalty and np.all(np.isfinite(xe)):
        saved = (compiled.nfev, compiled.njev, compiled.nhev)
        try:
            with np.errstate(all="ignore"):
                settled = float(np.linalg.norm(np.asarray(compiled.grad(xe), dtype=float) + cand.penalty * xe))
        finally:
            compiled.nfev, compiled.njev, compiled.nhev = saved
    return Outcome(cand, r.status.value, int(r.nit), float(r.fun), float(r.grad_norm), r.fault_step,
                   settled, tuple(float(c) for c in xe))


def _run_minibatch(compiled, setup: Setup, cand: Candidate, opt, x0, steps: int, schedule_fn, name: str, clip) -> Outcome:
    """A candidate of a minibatch run: the same batches (rule, seed) through gdx.loop, judged by
    the full-data loss and gradient at its end point."""
    import numpy as np

    from .loop import run_to_end
    from .minibatch import Batches

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            r = run_to_end(compiled, opt, x0, steps=steps, tol=setup.tol, schedule=schedule_fn, schedule_name=name,
                           clip_norm=clip, batches=Batches(*setup.batches))
            xe = np.asarray(r.x, dtype=float)
            fun, gn = math.nan, math.nan
            if np.all(np.isfinite(xe)):
                fun, g = compiled.value_and_grad(xe)
                gn = float(np.linalg.norm(g))
            settled = float(np.linalg.norm(np.asarray(g) + cand.penalty * xe)) if cand.penalty and math.isfinite(gn) else None
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    return Outcome(cand, r.status.value, int(r.nit), float(fun), gn, r.fault_step, settled, tuple(float(c) for c in xe),
                   True)


def full_data_view(compiled, result):
    """The run as its full-data loss judges it: ``result`` with fun, jac and grad_norm those of L at
    its end point (a minibatch run's own are one batch's)."""
    import numpy as np

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            xe = np.asarray(result.x, dtype=float)
            if not np.all(np.isfinite(xe)):
                return result
            f, g = compiled.value_and_grad(xe)
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    return replace(result, fun=float(f), jac=np.asarray(g, dtype=float), grad_norm=float(np.linalg.norm(g)))


#: Rounding of a loss, in units of its scale: 64 ulps of 1.
ROUNDING = 64 * 2.0 ** -52


def loss_margin(f: float, g: float, f0: float) -> float:
    """How much lower than the run's loss ``f`` a loss must be to count as lower: 1e-3·|f|,
    and never less than rounding at the scale of the losses seen (``f``, the candidate's ``g``,
    the start's ``f0``): :data:`ROUNDING`·max(|f|, |g|, |f0|)."""
    scale = max(abs(f), abs(g), abs(f0) if math.isfinite(f0) else 0.0)
    return max(1e-3 * abs(f), ROUNDING * scale)


def _first_loss(result) -> float:
    """f(x₀): the loss on the path's first row (NaN for an empty path)."""
    path = getattr(result, "path", None)
    return float(path.loss[0]) if path is not None and len(path) else math.nan


def better(o: Outcome, result) -> bool:
    """Whether the candidate's outcome beats the run's (the rules of the module docstring)."""
    if o.failed or not math.isfinite(o.fun):
        return False
    f = float(result.fun)
    run_failed = result.status.value in ("diverged", "fault")
    if not math.isfinite(f):
        return True
    margin = loss_margin(f, o.fun, _first_loss(result))
    if o.candidate.penalty:
        return o.settles  # f itself has no minimum to compare: a penalised minimum is the improvement
    if o.status == "converged":
        if result.status.value != "converged":
            return o.fun <= f + margin or run_failed
        return o.nit <= 0.9 * result.nit and o.fun <= f + margin
    if result.status.value == "converged":
        return False
    return o.fun < f - margin


def try_candidates(compiled, setup: Setup, candidates) -> list[Outcome]:
    """Run every candidate (duplicates by flags once); a candidate that cannot be made is skipped."""
    from .errors import GdxError

    seen, out = set(), []
    for cand in candidates:
        if cand is None or cand.flags in seen:
            continue
        seen.add(cand.flags)
        try:
            out.append(run_candidate(compiled, setup, cand))
        except (GdxError, ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
            continue
    return out


def pick(outcomes, result):
    """The best outcome that beat the run (fewest steps to converge, else the lowest loss), or None."""
    good = [o for o in outcomes if better(o, result)]
    if not good:
        return None
    conv = [o for o in good if o.status == "converged"]
    if conv:
        return min(conv, key=lambda o: (o.nit, o.fun))
    pen = [o for o in good if o.candidate.penalty]
    if pen:
        return min(pen, key=lambda o: o.candidate.penalty)
    return min(good, key=lambda o: o.fun)


def suggestion(compiled, setup: Setup | None, result, candidates, numbers: dict, *, advice: str = "") -> str:
    """Try the candidates; the text of the best one that did better, or a statement that none did.

    ``advice`` (a remedy that is not a run setting, e.g. "add a term that bounds f below") is
    appended either way.  ``numbers["tried"]`` records every outcome."""
    candidates = [c for c in candidates if c is not None]
    if setup is None or not candidates:
        return advice
    if result.status.value == "interrupted":
        return advice  # the run was stopped by the user: nothing is run on its behalf
    outcomes = try_candidates(compiled, budget(setup, result), candidates)
    if setup.batches is not None:
        result = full_data_view(compiled, result)
    numbers["tried"] = [{"flags": o.candidate.flags, "status": o.status, "steps": o.nit, "loss": o.fun} for o in outcomes]
    best = pick(outcomes, result)
    if best is not None:
        text = f"try {best.candidate.flags} (tried from the same start: it {best.measured()})"
        numbers["suggested"] = best.candidate.flags
        return f"{text}; {advice}" if advice else text
    if not outcomes:
        return advice
    listed = "; ".join(f"{o.candidate.flags} {o.measured()}" for o in outcomes[:LISTED])
    text = f"no change tried did better ({listed})"
    return f"{text}; {advice}" if advice else text


def with_lr(result, lr: float, text: str | None = None) -> Candidate:
    """The run's optimizer and hyperparameters with another lr."""
    hyper = dict(result.hyper, lr=float(lr))
    return Candidate(text or f"--lr {_num(lr)}", result.optimizer, hyper)


def _num(v: float) -> str:
    """A flag value exactly as simulated: the shortest repr of the float."""
    return repr(float(v)) if not float(v).is_integer() else str(int(v)) if abs(v) < 1e15 else repr(float(v))


def flag_value(v: float) -> str:
    return _num(v)


__all__ = ["Setup", "Candidate", "Outcome", "run_candidate", "better", "try_candidates", "pick", "suggestion", "with_lr", "replace"]
