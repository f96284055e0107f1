"""The diagnosis of a minibatch run (``--batch-size`` < rows): the noise the batches bring.

Measured at the end point x of the run, over every row i of the data (ℓᵢ the per-example loss):

* the full-data gradient ∇L(x) = mean of ∇ℓᵢ(x), and its norm;
* the minibatch gradient's variance: for a batch of B of the N rows drawn without replacement,
  tr Cov(g_B) = (N − B)/(B·(N − 1)) · tr Σ, with Σ the covariance of the ∇ℓᵢ(x) over the rows;
* the noise floor SGD settles at with a constant lr: for gd on a locally quadratic L (Hessian
  H), the stationary excess loss is E[L − L*] ≈ lr·tr Cov(g_B)/4 (from H·S + S·H ≈ lr·Cov(g_B)
  for the covariance S of the iterates, small lr).

The verdict is ``noise floor`` when the loss stopped improving — the mean of the full-data
losses recorded (``--eval-every``) in the last quarter of the run is less than the predicted
floor below their mean in the quarter before (at least 8 recorded, 2 per quarter) — while the full-data gradient is not small
(‖∇L‖ > tol) and the gradient noise dominates it (tr Cov(g_B) ≥ ‖∇L‖²).  The suggestions — a
decaying schedule (cosine), a 4× larger batch — are run from the run's start with the same
steps, seed and batches rule before one is printed (gdx.suggest's rule: only a change that did
better, here a lower full-data loss at the end, is suggested).  Otherwise the ordinary diagnosis
(gdx.diagnose) is given, with the noise measurements added to its numbers: it judges the
full-data loss and gradient at the end point, tries its suggestions with the run's own batches
(gdx.suggest), and sets aside its path detectors (a kink crossed again and again, steps
bouncing along the top eigenvector) when the noise outweighs the signal (:func:`noisy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Noise:
    """What the end of a minibatch run measures (see the module docstring)."""

    full_loss: float
    full_grad_norm: float
    batch_variance: float  # tr Cov(g_B)
    floor: float  # lr · tr Cov(g_B) / 4
    stalled: bool
    improvement: float  # the drop of the full-data loss over the last half of the run


def measure(compiled, batches, result) -> Noise:
    """The noise measurements at the run's end (result.x) over every row."""
    import numpy as np

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            x = np.asarray(result.x, dtype=float)
            f, g = compiled.value_and_grad(x)
            G = compiled.example_grads(x)  # (N, n)
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    N, B = batches.N, batches.B
    trace = float(np.sum(np.var(G, axis=0, ddof=1))) if N > 1 else 0.0
    variance = (N - B) / (B * (N - 1)) * trace if N > 1 else 0.0
    lr = float(result.path.lr[-1]) if len(result.path) else float(result.hyper.get("lr", 0.0))
    floor = lr * variance / 4
    full = np.asarray(result.path.full_loss, dtype=float)
    steps = np.asarray(result.path.k)
    seen = np.isfinite(full)
    improvement, stalled = math.inf, False
    if seen.sum() >= 8:
        chosen = seen & (steps >= steps[-1] / 2)
        late, late_k = full[chosen], steps[chosen]  # the recorded full-data losses of the last half
        # its two halves by step number, not by count (a thinned path keeps fewer old rows)
        first = late_k < late_k[0] + (late_k[-1] - late_k[0]) / 2 if len(late_k) else late_k.astype(bool)
        if first.sum() >= 2 and (~first).sum() >= 2:
            improvement = float(np.mean(late[first]) - np.mean(late[~first]))
            stalled = improvement < floor
    return Noise(float(f), float(np.linalg.norm(g)), variance, floor, stalled, improvement)


def numbers_of(noise: Noise, batches) -> dict:
    return {"full_loss": noise.full_loss, "full_grad_norm": noise.full_grad_norm,
            "batch_gradient_variance": noise.batch_variance, "noise_floor": noise.floor, "batch_size": batches.B,
            "rows": batches.N}


def noisy(noise: Noise) -> bool:
    """Does the minibatch gradient's noise outweigh the signal at the end, tr Cov(g_B) ≥ ‖∇L‖²?
    Then the jumps of the batch gradient between steps, and the steps' sign flips, are what
    sampling makes, and a kink or an oscillation read from the path is not evidence."""
    return noise.batch_variance >= noise.full_grad_norm ** 2


def is_floor(noise: Noise, tol: float) -> bool:
    return noise.stalled and noise.full_grad_norm > tol and noise.batch_variance >= noise.full_grad_norm ** 2


def simulate(prepared, *, schedule=None, batch_size=None):
    """The end of the run remade with one change (a schedule name, or a batch size), from the
    same start with the same steps, tol, seed and ``--eval-every`` cadence (the run's own: tol
    is judged on ∇L at the same steps, so the suggestion is measured as the run was): (full-data
    loss, status) at its end."""
    import numpy as np

    from .loop import run_to_end
    from .minibatch import Batches
    from .schedules import make_schedule

    N, B, seed, every = prepared.sampling
    opt = prepared.optimizer
    fn = prepared.schedule if schedule is None else make_schedule(schedule, opt.hyper["lr"], run_steps=prepared.steps)
    compiled = prepared.compiled
    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            result = run_to_end(compiled, opt, prepared.x0, steps=prepared.steps, tol=prepared.tol, schedule=fn,
                                schedule_name=schedule or prepared.schedule_name, clip_norm=prepared.clip_norm,
                                batches=Batches(N, B if batch_size is None else batch_size, seed, every))
            full = float(compiled.value_and_grad(result.x)[0])  # L as measure() reads it
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved
    return full, result.status.value


def diagnose_minibatch(prepared, result, fallback):
    """The Diagnosis of a minibatch run (see the module docstring); ``fallback()`` gives the
    ordinary diagnosis when the run is not at a noise floor."""
    from .diagnose import Diagnosis, fmt

    batches = prepared.batches()
    noise = measure(prepared.compiled, batches, result)
    numbers = numbers_of(noise, batches)
    if not is_floor(noise, prepared.tol):
        d = fallback(noise)
        return Diagnosis(d.verdict, d.reason, d.suggestion, {**d.numbers, **numbers})
    lr = float(result.path.lr[-1])
    reason = (f"the full-data loss stopped improving at {fmt(noise.full_loss)} (over the last quarter of the run its mean "
              f"changed by {fmt(-noise.improvement, 2)} from the quarter before) while its gradient is not small (‖∇L‖ = {fmt(noise.full_grad_norm, 3)}): "
              f"the minibatch gradient's variance tr Cov(g_B) = {fmt(noise.batch_variance, 3)} (batch {batches.B} of "
              f"{batches.N} rows) outweighs ‖∇L‖² = {fmt(noise.full_grad_norm ** 2, 3)}, so with lr = {fmt(lr)} the "
              f"steps jitter around the minimum at a loss ≈ lr·tr Cov(g_B)/4 = {fmt(noise.floor, 3)} above it")
    tried = []
    if prepared.schedule_name == "constant":
        full, status = simulate(prepared, schedule="cosine")
        tried.append(("--schedule cosine", full, status))
    if batches.B < batches.N:
        bigger = min(batches.N, 4 * batches.B)
        full, status = simulate(prepared, batch_size=bigger)
        tried.append((f"--batch-size {bigger}", full, status))
    good = [t for t in tried if t[2] not in ("diverged", "fault") and math.isfinite(t[1]) and t[1] < noise.full_loss]
    if good:
        flags, full, _ = min(good, key=lambda t: t[1])
        suggestion = (f"decay the lr or enlarge the batch: {flags} (tried from the same start, {prepared.steps} steps, "
                      f"seed {batches.seed}: full-data loss {fmt(full)} instead of {fmt(noise.full_loss)})")
        numbers["suggested_full_loss"] = full
    elif tried:
        suggestion = "no change tried did better (" + "; ".join(f"{f}: full-data loss {fmt(v)}" for f, v, _ in tried) + ")"
    else:
        suggestion = ""
    return Diagnosis("noise floor", reason, suggestion, numbers)
