"""What is wrong with a training curve: findings read off a logged loss, by published rules.

Pure numpy.  Each rule is one function returning :class:`Finding` objects (kind, step range,
evidence as numbers, one suggestion).  The rules and their sources (README, "gdx doctor"):

* ``diverged`` — a NaN/inf loss, or the smoothed loss (fastai's debiased EMA, β = 0.98) above
  :data:`DIVERGE_FACTOR` = 4 × its best and never back below it (the stop rule of fastai's and
  Lightning's learning-rate finders);
* ``spike`` — a loss :data:`SPIKE_Z` = 6 robust standard deviations of the recent noise above the
  median of the previous :data:`WINDOW` points (and twice as far above it as their highest),
  after a steady decline (the playbook's sign of
  instability), with whether and how fast it came back;
* ``plateau`` / ``noise_floor`` — torch's ReduceLROnPlateau rule (mode min, threshold_mode rel,
  threshold 1e-4): an evaluation improves when ``loss < best·(1 − 1e-4)``; more than ``patience``
  evaluations without improvement is a plateau.  Evaluations are the means of 100 equal windows of
  the log (each row, for a log of 100 rows or fewer).  A no-improvement span that reaches the end
  of a run which had improved, whose fluctuation is larger than its trend, is a noise floor
  (none when the lr already fell 10× over the span: that fluctuation is the data's, not the lr's);
* ``slow`` — in the last quarter the loss still fell by ≥ 10% of its current value (a significant
  fit, t > 3); the steps to a target loss extrapolated at the recent exponential rate;
* ``overfitting`` — the validation loss rose from its minimum by more than its noise while the
  training loss kept falling (Karpathy's recipe, step 4);
* ``warmup`` — a spike or divergence in the first 10% of the steps at the peak lr; the playbook's
  warmup (swept over orders of magnitude, at most 10% of the steps);
* ``clipping`` — from a logged gradient norm (before a divergence): the playbook's threshold (its
  90th percentile) and the fraction of steps it would clip, when the run was unstable or the norm
  after the first 10% of steps has outliers (p99 > 5×p50 or max > 10×p90);
* ``lr_event`` — a step change of the lr (≥ 20% between constant stretches) and the loss's
  response to it;
* ``healthy`` — none of the above.

Logs longer than :data:`MAX_POINTS` rows are read as that many blocks of consecutive rows (the
median of each block for trends, its maximum for spikes); non-finite values, the 4× rule and the
gradient-norm percentiles always use every row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DIVERGE_FACTOR = 4.0
EMA_BETA = 0.98
SPIKE_Z = 6.0
WINDOW = 25
THRESHOLD = 1e-4
EVALUATIONS = 100
MAX_POINTS = 10_000
KINDS = ("diverged", "spike", "plateau", "noise_floor", "slow", "overfitting", "warmup", "clipping",
         "lr_event", "healthy")


@dataclass
class Finding:
    kind: str
    start: float
    end: float
    evidence: dict
    suggestion: str
    ambiguous: str | None = None  # what else the evidence could mean

    def to_dict(self) -> dict:
        from .numbers import json_number

        ev = {k: (json_number(v) if not isinstance(v, (list, dict)) else v) for k, v in self.evidence.items()}
        out = {"kind": self.kind, "start": json_number(self.start), "end": json_number(self.end),
               "evidence": ev, "suggestion": self.suggestion}
        if self.ambiguous:
            out["ambiguous"] = self.ambiguous
        return out


@dataclass
class Diagnosis:
    findings: list
    summary: str
    ema: np.ndarray  # the smoothed training loss, per row (NaN from the first non-finite value)
    steps: int = 0
    extra: dict = field(default_factory=dict)


def g(v) -> str:
    """A number for a sentence."""
    from .numbers import fmt

    return fmt(v, 4)


def step_text(v) -> str:
    """A step for a sentence: whole steps written in full (333300, not 3.333e+05)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return str(int(f)) if math.isfinite(f) and f.is_integer() else g(f)


def _int(v) -> float:
    return int(v) if np.isfinite(v) and float(v).is_integer() else float(v)


# -- smoothing and noise ---------------------------------------------------------------------------
def ema(x, beta: float = EMA_BETA) -> np.ndarray:
    """fastai's smoothed loss: v ← β·v + (1−β)·x, shown as v / (1 − βᵗ) (debiased); NaN from the
    first non-finite x on.  Vectorised: the recurrence within chunks short enough that β⁻ᴸ stays
    below 1e6 (all chunks at once, as rows of a matrix), then each chunk's start value carried
    from the one before (one scalar per chunk)."""
    x = np.asarray(x, dtype=float)
    out = np.full(len(x), np.nan)
    bad = np.flatnonzero(~np.isfinite(x))
    n = int(bad[0]) if len(bad) else len(x)
    if n == 0:
        return out
    size = max(1, int(6 * math.log(10) / -math.log(beta)))
    rows = -(-n // size)
    seg = np.zeros(rows * size)
    seg[:n] = x[:n]
    seg = seg.reshape(rows, size)
    j = np.arange(size, dtype=float)
    up, down = beta ** -j, beta ** j
    local = (1 - beta) * np.cumsum(seg * up, axis=1) * down  # each chunk started from v = 0
    carry = np.empty(rows)  # v before each chunk
    v, decay = 0.0, beta ** size
    last = local[:, -1].tolist()
    for r in range(rows):
        carry[r] = v
        v = decay * v + last[r]
    vals = local + carry[:, None] * (beta * down)[None, :]
    out[:n] = vals.ravel()[:n]
    t = np.arange(1, n + 1)
    out[:n] /= 1 - beta ** t
    return out


def blocks(step, loss, most: int = MAX_POINTS):
    """(step, median, max, robust σ within) per block of consecutive rows, at most ``most`` blocks
    (the rows themselves and σ None when there are fewer)."""
    n = len(loss)
    if n <= most:
        return step, loss, loss, None
    size = -(-n // most)
    m = n // size
    body = loss[: m * size].reshape(m, size)
    med, top = np.median(body, axis=1), np.max(body, axis=1)
    sig = 1.4826 * np.median(np.abs(body - med[:, None]), axis=1)
    st = step[: m * size: size]
    if m * size < n:
        rest = loss[m * size:]
        med, top = np.append(med, np.median(rest)), np.append(top, np.max(rest))
        sig = np.append(sig, robust_sigma(rest))
        st = np.append(st, step[m * size])
    return st, med, top, sig


def trailing(x, w: int, fn) -> np.ndarray:
    """fn over the ``w`` values before each point (NaN for the first ``w``)."""
    from numpy.lib.stride_tricks import sliding_window_view

    out = np.full(len(x), np.nan)
    if len(x) > w:
        out[w:] = fn(sliding_window_view(x, w)[:-1], axis=1)
    return out


def robust_sigma(x) -> float:
    """1.4826 · the median absolute deviation (σ for normal noise)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def noise(x) -> float:
    """The fluctuation of a series about its local trend: robust σ of first differences / √2."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return robust_sigma(np.diff(x)) / math.sqrt(2) if len(x) > 2 else 0.0


# -- the rules --------------------------------------------------------------------------------------
def diverged(step, loss, sm, lr_at) -> list:
    """NaN/inf, or the smoothed loss above 4× its best and never back below it afterwards."""
    bad = np.flatnonzero(~np.isfinite(loss))
    best_i = int(np.nanargmin(sm)) if np.isfinite(sm).any() else None
    best = float(sm[best_i]) if best_i is not None else float("nan")
    start, cause = None, None
    if best_i is not None and best > 0:
        over = np.isfinite(sm) & (sm > DIVERGE_FACTOR * best)
        over[: best_i + 1] = False
        finite_end = int(bad[0]) if len(bad) else len(sm)
        if over[:finite_end].any():
            # the last time it went over 4x best without coming back
            under_after = np.flatnonzero(~over[:finite_end] & (np.arange(finite_end) > best_i))
            last_under = int(under_after[-1]) if len(under_after) else best_i
            if last_under < finite_end - 1 and over[last_under + 1]:
                start, cause = last_under + 1, "above_4x_best"
    if len(bad) and start is None:
        start, cause = int(bad[0]), "non_finite"
    if start is None:
        return []
    if cause == "above_4x_best":
        # where the rise began: the last point, before crossing, at the best smoothed level's 1.5x
        j = start
        while j > (best_i or 0) and sm[j - 1] > 1.5 * best:
            j -= 1
        start = j
    lr = float(lr_at(step[start])) if lr_at is not None else float("nan")
    lr_best = float(lr_at(step[best_i])) if lr_at is not None and best_i is not None else float("nan")
    ev = {"began": _int(step[start]), "cause": cause, "lr_at_start": lr, "best_smoothed_loss": best,
          "best_step": _int(step[best_i]) if best_i is not None else None, "lr_at_best": lr_best,
          "non_finite_values": int(len(bad)), "first_non_finite_step": _int(step[bad[0]]) if len(bad) else None,
          "factor": DIVERGE_FACTOR}
    if np.isfinite(lr):
        advice = f"lower the lr below {g(lr)} (the lr when the loss was best: {g(lr_best)})"
        advice += ", or keep it with warmup and gradient clipping (the tuning playbook)"
    else:
        advice = "lower the lr (about 3-10x; log the lr to see where it stood), or add warmup and gradient clipping"
    return [Finding("diverged", _int(step[start]), _int(step[-1]), ev, advice)]


def spikes(step, med, top, lr_at, within=None) -> list:
    """Rises SPIKE_Z robust σ above the trailing median of WINDOW points, and twice as far above it
    as the highest of those points (a new local high, not the tail of the noise), by at least 2%,
    after a steady decline (trailing median not above its value WINDOW points earlier)."""
    n = len(med)
    w = WINDOW
    if n < 2 * w + 2:
        return []
    m = trailing(med, w, np.median)
    if within is None:  # rows: the recent noise is the robust σ of the first differences / √2
        s = np.full(n, np.nan)
        s[1:] = 1.4826 * trailing(np.abs(np.diff(top)), 2 * w, np.median) / math.sqrt(2)
    else:  # blocks: the rows' own spread within the recent blocks
        s = trailing(within, w, np.median)
    peak_before = trailing(top, w, np.max)
    declining = np.full(n, False)
    declining[2 * w:] = m[2 * w:] <= m[w:-w] * (1 + 1e-9) + 1e-300
    floor = 1e-9 * np.abs(m) + 1e-300
    z = (top - m) / np.maximum(s, floor)
    flag = np.isfinite(z) & (z >= SPIKE_Z) & declining & (top - m > 2 * (peak_before - m)) & (top - m > 0.02 * np.abs(m))
    idx = np.flatnonzero(flag)
    out = []
    i = 0
    while i < len(idx):
        a = idx[i]
        j = i
        while j + 1 < len(idx) and idx[j + 1] - idx[j] <= w:
            j += 1
        b = idx[j]
        pk = a + int(np.argmax(top[a:b + 1]))
        pre, sig = float(m[a]), float(s[a])
        later = _running_median5(med[pk + 1:])
        hit = np.flatnonzero(later <= pre + 3 * sig)
        back = pk + 1 + int(hit[0]) if len(hit) else None
        ev = {"step": _int(step[a]), "peak_step": _int(step[pk]), "peak_loss": float(top[pk]),
              "loss_before": pre, "size_sigma": float((top[pk] - pre) / max(sig, floor[a])), "noise_sigma": sig,
              "recovered": back is not None,
              "recovered_at": _int(step[back]) if back is not None else None,
              "steps_to_recover": _int(step[back] - step[a]) if back is not None else None,
              "lr": float(lr_at(step[a])) if lr_at is not None else float("nan")}
        end = step[back] if back is not None else step[-1]
        if back is not None:
            advice = ("it recovered; if spikes recur, clip gradients (the playbook: at the 90th percentile of the "
                      "gradient norm) or lower the lr a little")
        else:
            advice = "it did not recover: restart from the checkpoint before it with a lower lr or gradient clipping"
        out.append(Finding("spike", ev["step"], _int(end), ev, advice))
        i = j + 1
    return out


def _running_median5(x) -> np.ndarray:
    """The median of the last (up to) 5 values at each point: x[max(0, k−4) … k]."""
    from numpy.lib.stride_tricks import sliding_window_view

    x = np.asarray(x, dtype=float)
    out = np.empty(len(x))
    head = min(4, len(x))
    for k in range(head):
        out[k] = np.median(x[:k + 1])
    if len(x) > 4:
        out[4:] = np.median(sliding_window_view(x, 5), axis=1)
    return out


def _median3(v) -> np.ndarray:
    """The median of each value and its neighbours (the two at each end: their mean)."""
    from numpy.lib.stride_tricks import sliding_window_view

    out = np.empty(len(v))
    out[0], out[-1] = np.median(v[:2]), np.median(v[-2:])
    if len(v) > 2:
        out[1:-1] = np.median(sliding_window_view(v, 3), axis=1)
    return out


def evaluations(step, loss, k: int = EVALUATIONS):
    """(first step, last step, mean loss) of k equal windows of rows (each row when fewer)."""
    n = len(loss)
    size = max(1, n // k)
    m = n // size
    lo = step[: m * size: size]
    hi = step[size - 1: m * size: size]
    mean = loss[: m * size].reshape(m, size).mean(axis=1)
    return lo, hi, mean


def reduce_on_plateau(values, patience: int, threshold: float = THRESHOLD):
    """torch.optim.lr_scheduler.ReduceLROnPlateau (mode 'min', threshold_mode 'rel'): evaluation i
    improves when ``v < best·(1 − threshold)``.  Returns the spans (best index, last index, the
    index where torch would have reduced the lr) with more than ``patience`` evaluations without
    improvement."""
    best, best_i, bad = math.inf, -1, 0
    spans, fired = [], None
    for i, v in enumerate(values):
        if v < best * (1 - threshold):
            if bad > patience:
                spans.append((best_i, i - 1, fired))
            best, best_i, bad, fired = v, i, 0, None
        else:
            bad += 1
            if bad > patience and fired is None:
                fired = i
    if bad > patience:
        spans.append((best_i, len(values) - 1, fired))
    return spans


def merged_spans(mean, spans):
    """The rule's spans, each extended back over the evaluations within 3σ of its level (the
    plateau began when the loss first reached it), and merged when they touch and the loss
    between them did not fall below the level by more than 3σ (a lucky record is no escape)."""
    out = []
    for b, e, fired in spans:
        b = max(b, 0)
        inside = mean[b:e + 1]
        level, sig = float(np.median(inside)), max(noise(inside), 1e-12 * abs(float(np.median(inside))))
        while b > 0 and abs(mean[b - 1] - level) <= 3 * sig:
            b -= 1
        if out:
            pb, pe, pf, plevel, psig = out[-1]
            if b <= pe + 2 and float(np.min(mean[min(pe, b):max(pe, b) + 1])) >= plevel - 3 * psig:
                b = min(b, pb)
                inside = mean[b:e + 1]
                level, sig = float(np.median(inside)), max(noise(inside), psig)
                out[-1] = (b, e, pf if pf is not None else fired, level, sig)
                continue
        out.append((b, e, fired, level, sig))
    return [(b, e, f) for b, e, f, _, _ in out]


def full_evaluations(step, full_step, full, until=None):
    """A minibatch run's full-data losses as ReduceLROnPlateau's evaluations: (first step, last
    step, loss) per logged value, each covering the steps up to the next one; None when fewer
    than 5 finite values were logged (before ``until``, a divergence)."""
    keep = np.isfinite(full) & (full_step < until if until is not None else True)
    fs, fv = full_step[keep], full[keep]
    if len(fv) < 5:
        return None
    hi = np.append(fs[1:] - (fs[1:] > fs[:-1]), step[-1] if len(step) else fs[-1])
    return fs, np.maximum(hi, fs), fv


def smooth_curve(step, loss, series):
    """The curve the rules read as the smooth training loss: a minibatch run's full-data loss
    (linear between its evaluations, NaN from its first non-finite value) when at least 5 were
    logged, else fastai's EMA of the logged loss.  Returns (curve, its name)."""
    fs, fv = series.full_step, series.full
    if np.isfinite(fv).sum() >= 5:
        bad = np.flatnonzero(~np.isfinite(fv))
        n = int(bad[0]) if len(bad) else len(fv)
        if n >= 5:
            out = np.interp(step, fs[:n], fv[:n])
            if n < len(fv):
                out[step >= fs[n]] = np.nan
            return out, "full_loss"
    return ema(loss), "ema"


def plateaus(step, loss, patience, lr_at, evals=None) -> list:
    """ReduceLROnPlateau's spans; the one reaching the end of an improved, fluctuating run is a
    noise floor.  The evaluations are ``evals`` (a minibatch run's full-data losses) when given,
    else the means of 100 windows of rows."""
    fin = np.isfinite(loss)
    if fin.sum() < 4:
        return []
    step, loss = step[fin], loss[fin]
    lo, hi, mean = evaluations(step, loss) if evals is None else evals
    out = []
    for b, e, fired in merged_spans(mean, reduce_on_plateau(mean, patience)):
        a_step, e_step = lo[b], hi[e]
        inside = (step >= a_step) & (step <= e_step)
        seg_s, seg = step[inside], loss[inside]
        level = float(np.median(seg))
        sigma = noise(seg) if len(seg) > 2 else 0.0
        if len(seg) > 2 and np.ptp(seg_s) > 0:
            slope = float(np.polyfit(seg_s, seg, 1)[0])
        else:
            slope = 0.0
        trend = slope * float(e_step - a_step)
        at_end = e == len(mean) - 1
        y0 = float(np.median(loss[: max(1, len(loss) // 200)]))  # where the run began
        improved = (y0 - level) > max(3 * noise(mean[b:e + 1]), 0.1 * abs(y0))
        ev = {"evaluations_without_improvement": int(e - b), "patience": patience, "threshold": THRESHOLD,
              "best_loss": float(mean[b]), "best_step": _int(lo[b]), "level": level, "fluctuation_sigma": sigma,
              "trend_over_span": trend,
              "evaluated_on": "full_loss" if evals is not None else "windows of the logged loss",
              "rows_per_evaluation": (int(max(1, len(loss) // EVALUATIONS)) if evals is None
                                      else int(max(1, round(len(loss) / len(mean))))),
              "reduce_lr_at": _int(lo[fired]) if fired is not None else None,
              "lr": float(lr_at(a_step)) if lr_at is not None else float("nan")}
        if evals is not None:
            ev["full_loss_level"] = float(np.median(mean[b:e + 1]))
        ratio = sigma / abs(trend) if trend else math.inf
        ev["fluctuation_to_trend"] = ratio
        lr_a, lr_e = (float(lr_at(a_step)), float(lr_at(e_step))) if lr_at is not None else (math.nan, math.nan)
        decayed = lr_e <= 0.1 * lr_a  # the lr already fell 10x here: what is left is the data's noise
        if at_end and improved and sigma > 0 and ratio >= 1 and decayed:
            continue
        if at_end and improved and sigma > 0 and ratio >= 1:
            ambiguous = None
            if ratio < 2:
                ambiguous = "the fluctuation is only a little larger than the trend: it may still be a slow decline"
            out.append(Finding("noise_floor", _int(a_step), _int(e_step), ev,
                               "the loss fluctuates around a level the lr no longer lets it go below: decay the lr "
                               "(ReduceLROnPlateau would multiply it by 0.1 here) or use a larger batch",
                               ambiguous=ambiguous))
            continue
        lnk = _chance_level(level)
        if lnk:
            ev["uniform_guess_classes"] = lnk
        where = "from the start" if b == 0 else f"after step {step_text(lo[b])}"
        if e < len(mean) - 1:
            ev["escaped_at"] = _int(lo[e + 1])
            after = float(mean[-1])
            ev["loss_at_end"] = after
        why = ("saturated or dead units, a too-small lr or a bad init (Karpathy: check the loss at init, "
               "-log(1/classes))")
        if lnk:
            why = f"the level is ln {lnk}, the loss of a uniform guess over {lnk} classes: the model outputs a constant; " + why
        advice = (f"no improvement {where} for {e - b} evaluations: {why}; ReduceLROnPlateau would cut the lr "
                  f"at step {step_text(lo[fired]) if fired is not None else '?'}")
        amb = None
        if at_end and improved:
            amb = "it may also be convergence: the loss is smooth here, so a lower lr will not help much"
        out.append(Finding("plateau", _int(a_step), _int(e_step), ev, advice, ambiguous=amb))
    return out


def _chance_level(level: float):
    """k when ``level`` is within 2% of ln k (2 ≤ k ≤ 1000): cross-entropy of a uniform guess."""
    if not 0.5 < level < 7.0:  # ln 2 … ln 1000
        return None
    k = round(math.exp(level))
    if 2 <= k <= 1000 and abs(level - math.log(k)) <= 0.02 * math.log(k):
        return int(k)
    return None


def slow(step, loss, sm, target) -> list:
    """Still improving in the last quarter by ≥ 10% of the current loss, significantly (t > 3)."""
    fin = np.isfinite(loss)
    s, y = step[fin], loss[fin]
    n = len(y)
    if n < 20:
        return []
    q = n * 3 // 4
    ts, ty = s[q:], y[q:]
    if np.ptp(ts) == 0:
        return []
    A = np.vstack([ts - ts.mean(), np.ones_like(ts)]).T
    coef, res, *_ = np.linalg.lstsq(A, ty, rcond=None)
    slope = float(coef[0])
    resid = ty - A @ coef
    se = float(np.sqrt(np.sum(resid**2) / max(1, len(ty) - 2) / np.sum((ts - ts.mean()) ** 2)))
    t = -slope / se if se > 0 else math.inf
    total = float(np.median(y[: max(1, n // 20)]) - np.median(y[-max(1, n // 20):]))
    recent = -slope * float(np.ptp(ts))
    current = float(sm[fin][-1]) if np.isfinite(sm[fin][-1]) else float(ty[-1])
    if not (t > 3 and total > 0 and recent >= 0.1 * abs(current)):
        return []
    goal = target if target is not None else 0.9 * current
    ev = {"slope_per_1000_steps": slope * 1000, "t_statistic": t, "fall_in_last_quarter": recent,
          "total_fall": total, "current_loss": current, "target_loss": goal}
    steps_needed = None
    if np.all(ty > 0) and goal > 0:
        rate = float(np.polyfit(ts, np.log(ty), 1)[0])
        ev["exponential_rate_per_step"] = rate
        if rate < 0 and goal < current:
            steps_needed = math.log(goal / current) / rate
    elif slope < 0 and goal < current:
        steps_needed = (goal - current) / slope
    ev["extrapolated_steps_to_target"] = steps_needed
    if steps_needed is not None:
        advice = (f"train longer: at the recent rate the loss reaches {g(goal)} in about {g(round(steps_needed))} "
                  f"more steps; or raise the lr if the curve is smooth")
    else:
        advice = f"train longer; at the recent rate {g(goal)} is not reached (the fit does not extrapolate there)"
    return [Finding("slow", _int(ts[0]), _int(ts[-1]), ev, advice,
                    ambiguous="an extrapolation: curves usually slow down, so take it as a lower bound")]


def overfitting(step, sm, val_step, val) -> list:
    """Validation loss rose from its minimum by more than max(3σ, 2%) while the training loss fell."""
    fin = np.isfinite(val)
    vs, v = val_step[fin], val[fin]
    if len(v) < 5:
        return []
    smooth = _median3(v)
    j = int(np.argmin(smooth))
    sig = noise(v)
    rise = float(smooth[-1] - smooth[j])
    if j >= len(v) - 2 or rise <= max(3 * sig, 0.02 * abs(smooth[j])):
        return []
    tr = np.interp(vs, step[np.isfinite(sm)], sm[np.isfinite(sm)]) if np.isfinite(sm).any() else None
    if tr is None or not tr[-1] < tr[j]:
        return []
    ev = {"val_min": float(smooth[j]), "val_min_step": _int(vs[j]), "val_end": float(smooth[-1]), "val_rise": rise,
          "train_at_val_min": float(tr[j]), "train_end": float(tr[-1]), "gap_at_val_min": float(smooth[j] - tr[j]),
          "gap_end": float(smooth[-1] - tr[-1]), "val_noise_sigma": sig, "val_points": int(len(v))}
    amb = "few validation points: the rise may be noise" if len(v) < 8 else None
    return [Finding("overfitting", _int(vs[j]), _int(vs[-1]), ev,
                    f"keep the checkpoint at step {step_text(vs[j])} (early stopping), then regularize: more data, "
                    "augmentation, weight decay, dropout, a smaller model (Karpathy's recipe, step 4)", ambiguous=amb)]


#: An early rise: the loss (median of 3 consecutive rows) above this many times its first value.
RISE_FACTOR = 2.0


def early_rise(step, loss) -> list:
    """The loss rising, in the first 10% of the steps, to more than RISE_FACTOR × its value at the
    first row, or back above that value after it had fallen below half of it (the median of 3
    consecutive rows, so one unlucky batch is not a rise; a healthy run does not undo its
    progress; the return by more than SPIKE_Z × the rows' noise) — the
    instability of a too-high lr at initialisation (the catapult), which the spike rule cannot
    see (it needs a decline before).  An instability for :func:`warmup`, not a finding itself."""
    from numpy.lib.stride_tricks import sliding_window_view

    fin = np.isfinite(loss)
    if len(loss) < 20 or not fin[0] or loss[0] <= 0:
        return []
    span = float(step[-1] - step[0])
    head = int(np.searchsorted(step, step[0] + 0.1 * span, side="right"))
    if head < 3:
        return []
    first = float(loss[0])
    med = np.median(sliding_window_view(loss[: max(head, 3) + 2], 3), axis=1)  # med[i]: rows i … i+2
    low = np.minimum.accumulate(med[:head])
    sigma = noise(loss[:head])  # a minibatch loss's own jitter is not a rise
    back_up = (low < first / RISE_FACTOR) & (med[:head] > first) & (med[:head] - low > SPIKE_Z * sigma)
    over = np.flatnonzero((med[:head] > RISE_FACTOR * first) | back_up)
    if not len(over):
        return []
    a = int(over[0])
    a += int(np.argmax(loss[a:a + 3] > first))  # the first row of the window above the start
    rest = med[a:]
    later = loss[a:]
    back_rows = np.flatnonzero(np.isfinite(later) & (np.concatenate([rest, np.full(len(later) - len(rest), -np.inf)])
                                                      <= first))
    pk = a + int(np.nanargmax(loss[a:a + 3 + (int(back_rows[0]) if len(back_rows) else head - a)]))
    back = min(len(step) - 1, a + int(back_rows[0]) + 2) if len(back_rows) else None  # the window's last row
    ev = {"loss_at_start": first, "peak_loss": float(loss[pk]), "peak_step": _int(step[pk]),
          "rise_factor": float(loss[pk] / first), "recovered": back is not None,
          "recovered_at": _int(step[back]) if back is not None else None}
    end = step[back] if back is not None else step[min(len(step) - 1, head)]
    return [Finding("early_rise", _int(step[a]), _int(end), ev, "")]


def warmup(step, instabilities, series) -> list:
    """An instability (a spike, a divergence, an early rise above the starting loss) in the first
    10% of the steps at (within 10% of) the peak lr.  The warmup suggested covers the instability
    to its end (recovery), rounded up to an order of magnitude, at most 10% of the run; the
    sweep the playbook asks for is those orders of magnitude up to that cap."""
    if not instabilities or len(step) < 2:
        return []
    span = float(step[-1] - step[0])
    early = [f for f in instabilities if f.start - step[0] <= 0.1 * span]
    if not early:
        return []
    f = early[0]
    total = int(step[-1] - step[0]) + 1
    until = f.end if f.kind in ("early_rise", "spike") and f.end is not None else f.start
    w = 10 ** max(1, math.ceil(math.log10(max(1.0, float(until) - step[0] + 1))))
    cap = max(1, total // 10)
    ev = {"instability": f.kind, "step": f.start, "instability_end": until, "max_train_steps": total,
          "max_warmup_steps": cap}
    if f.kind == "early_rise":
        ev.update({k: f.evidence[k] for k in ("loss_at_start", "peak_loss", "peak_step", "rise_factor", "recovered")})
    amb = None
    if len(series.lr):
        lr_here = float(series.lr_at(f.start))
        peak = float(np.nanmax(series.lr))
        first = float(series.lr[0])
        ev.update({"lr": lr_here, "peak_lr": peak, "lr_at_start": first})
        if not lr_here >= 0.9 * peak:
            return []
        ev["had_warmup"] = bool(first < 0.5 * peak)
    else:
        amb = "the lr is not logged: whether this was the peak lr is unknown"
    ev["suggested_warmup_steps"] = min(w, cap)
    sweep = [10 ** k for k in range(int(round(math.log10(min(w, cap)))) if min(w, cap) >= 10 else 0,
                                    int(math.floor(math.log10(cap))) + 1) if 10 ** k <= cap] or [min(w, cap)]
    ev["warmup_sweep"] = sweep
    what = "a longer warmup" if ev.get("had_warmup") else "a warmup"
    why = (f"the loss rose {g(ev['rise_factor'])}x above its start at step {step_text(ev['peak_step'])}"
           if f.kind == "early_rise" else f"a {f.kind.replace('_', ' ')} at step {step_text(f.start)}")
    return [Finding("warmup", f.start, f.end, ev,
                    f"{what}: {why} at the peak lr; ramp the lr linearly from 0 over {min(w, cap)} steps "
                    f"(the playbook: sweep warmup_steps over orders of magnitude — {', '.join(map(str, sweep))} — "
                    f"at most 10% of the run = {cap} steps, and keep the smallest that removes the instability)",
                    ambiguous=amb)]


def clipping(series, instabilities, until=None) -> list:
    """The playbook's clip threshold: the 90th percentile of the gradient norm, and the share of
    steps above it, before a divergence (a diverged run's norms are not typical); reported when
    the run was unstable or the norm, after the first 10% of steps, has outliers (p99 > 5×p50 or
    max > 10×p90)."""
    keep = np.isfinite(series.grad_norm) & (series.grad_step < until if until is not None else True)
    gn = series.grad_norm[keep]
    if len(gn) < 10:
        return []
    p50, p90, p99 = (float(v) for v in np.percentile(gn, [50, 90, 99]))
    later = gn[len(gn) // 10:]  # large norms in the first 10% are the start of training, not outliers
    q50, q90, q99 = (float(v) for v in np.percentile(later, [50, 90, 99]))
    heavy = q50 > 0 and (q99 > 5 * q50 or float(later.max()) > 10 * q90)  # a heavy tail, or outliers
    if not instabilities and not heavy:
        return []
    frac = float(np.mean(gn > p90))
    ev = {"threshold_p90": p90, "median": p50, "p99": p99, "max": float(gn.max()), "fraction_clipped": frac,
          "steps_logged": int(len(gn))}
    if instabilities:
        at = [float(np.interp(f.start, series.grad_step, series.grad_norm)) for f in instabilities
              if len(series.grad_step)]
        ev["grad_norm_at_instabilities"] = [v if math.isfinite(v) else None for v in at]
    return [Finding("clipping", _int(series.grad_step[0]), _int(series.grad_step[-1]), ev,
                    f"clip the gradient norm at {g(p90)} (torch.nn.utils.clip_grad_norm_); it would clip "
                    f"{frac:.0%} of steps — if more than half get clipped, lower the lr instead (the playbook)")]


def _flat_around(lr, jump):
    """For each index i of ``jump``: is the lr constant to 1% over the (up to) 3 values before i
    (max − min ≤ 1% of lr[i−1]) and the 3 from i on (≤ 1% of lr[i])?  All at once: a schedule
    that changes the lr at every row (jitter, cyclic) gives a jump at most rows."""
    from numpy.lib.stride_tricks import sliding_window_view

    padded = np.concatenate([np.full(3, np.nan), lr, np.full(3, np.nan)])
    windows = sliding_window_view(padded, 3)
    before, after = windows[jump], windows[jump + 3]  # lr[i−3:i] and lr[i:i+3], NaN past the ends
    spread_before = np.fmax.reduce(before, axis=1) - np.fmin.reduce(before, axis=1)
    spread_after = np.fmax.reduce(after, axis=1) - np.fmin.reduce(after, axis=1)
    return ~((spread_before > 0.01 * np.abs(lr[jump - 1])) | (spread_after > 0.01 * np.abs(lr[jump])))


def lr_events(step, loss, series, most: int = 20) -> list:
    """Step changes of the lr: ≥ 20% between two logged values, the lr constant (1%) over the 3
    values before and after; the loss's median in a window before vs after."""
    ls, lr = series.lr_step, series.lr
    ok = np.isfinite(lr)
    ls, lr = ls[ok], lr[ok]
    if len(lr) < 8:
        return []
    r = lr[1:] / np.where(lr[:-1] == 0, np.nan, lr[:-1])
    jump = np.flatnonzero(np.isfinite(r) & ((r >= 1.2) | (r <= 1 / 1.2))) + 1
    fin = np.isfinite(loss)
    s, y = step[fin], loss[fin]
    out = [int(i) for i in jump[_flat_around(lr, jump)][:most]]
    found = []
    for n_, i in enumerate(out):
        at = ls[i]
        prev_at = ls[out[n_ - 1]] if n_ else s[0] if len(s) else at
        next_at = ls[out[n_ + 1]] if n_ + 1 < len(out) else s[-1] if len(s) else at
        w = max(5, int(0.05 * len(y)))
        b = y[(s < at) & (s >= prev_at)][-w:]
        a = y[(s >= at) & (s <= next_at)][:w]
        if len(a) < 2 or len(b) < 2:
            continue
        mb, ma = float(np.median(b)), float(np.median(a))
        sig = max(noise(b), noise(a))
        change = (ma - mb) / abs(mb) if mb else float("nan")
        ev = {"lr_before": float(lr[i - 1]), "lr_after": float(lr[i]), "factor": float(lr[i] / lr[i - 1]),
              "loss_before": mb, "loss_after": ma, "relative_change": change, "window_rows": int(len(a)),
              "noise_sigma": sig}
        if abs(ma - mb) <= 2 * sig / math.sqrt(min(len(a), len(b))):
            resp = "no clear response (within the noise)"
            ev["response"] = "none"
        elif ma < mb:
            resp = f"the loss fell {abs(change):.1%} in the next {len(a)} rows"
            ev["response"] = "fell"
        else:
            resp = f"the loss rose {abs(change):.1%} in the next {len(a)} rows"
            ev["response"] = "rose"
        down = lr[i] < lr[i - 1]
        back = found and abs(found[-1].evidence["lr_before"] - lr[i]) <= 0.01 * abs(lr[i])
        if back:
            tip = f"back to the lr before step {step_text(found[-1].start)}"
            ev["returns_to_earlier_lr"] = True
        elif down and ev["response"] == "fell":
            tip = "the decay helped: an earlier or smoother decay (cosine) may help more"
        elif down:
            tip = "the decay did not help: the loss was not limited by lr noise here"
        elif ev["response"] == "rose":
            tip = "raising the lr hurt: keep it at the earlier value"
        else:
            tip = "the raised lr was tolerated"
        found.append(Finding("lr_event", _int(at), _int(at), ev, f"lr {g(lr[i - 1])} → {g(lr[i])}: {resp}; {tip}"))
    return found


def diagnose(series, *, patience: int = 10, target: float | None = None) -> Diagnosis:
    """Every rule on one run, in the order of :data:`KINDS`; ``healthy`` when none applies."""
    with np.errstate(all="ignore"):  # a diverged log overflows: inf and NaN are evidence here
        return _diagnose(series, patience, target)


def _diagnose(series, patience, target) -> Diagnosis:
    step, loss = series.step, series.loss
    sm, curve = smooth_curve(step, loss, series)
    lr_at = series.lr_at if len(series.lr) else None
    findings = diverged(step, loss, sm, lr_at)
    div = findings[0] if findings else None
    cut = np.searchsorted(step, div.start) if div else len(step)
    fin_steps, fin_loss = step[:cut], loss[:cut]
    bs, bmed, btop, bsig = blocks(fin_steps, fin_loss)
    sp = spikes(bs, bmed, btop, lr_at, bsig)
    findings += sp
    if not div:
        findings += plateaus(fin_steps, fin_loss, patience, lr_at,
                             full_evaluations(fin_steps, series.full_step, series.full))
        findings += slow(step, loss, sm, target)
    findings += overfitting(step, sm, series.val_step, series.val)
    unstable = ([div] if div else []) + sp
    rise = early_rise(step[:cut], loss[:cut])
    findings += warmup(step, sorted(unstable + rise, key=lambda f: f.start), series)
    findings += clipping(series, unstable, until=div.start if div else None)
    findings += lr_events(step, loss, series)
    if not findings:
        fin = np.isfinite(loss)
        y = loss[fin]
        ev = {"first_loss": float(y[0]), "last_loss": float(y[-1]), "best_loss": float(y.min()),
              "noise_sigma": noise(y[-max(3, len(y) // 4):]), "rows": int(len(y))}
        findings.append(Finding("healthy", _int(step[0]), _int(step[-1]), ev,
                                "nothing to fix: the loss fell and settled without instability"))
    order = {k: i for i, k in enumerate(KINDS)}
    findings.sort(key=lambda f: (order[f.kind], f.start))
    return Diagnosis(findings, summarize(findings), sm, steps=len(step), extra={"smooth": curve})


def summarize(findings) -> str:
    """One line: the kinds found, each with where it began."""
    if len(findings) == 1 and findings[0].kind == "healthy":
        return "healthy: no instability, plateau or overfitting found"
    parts, seen = [], {}
    for f in findings:
        seen.setdefault(f.kind, []).append(f)
    for kind, fs in seen.items():
        where = f"step {step_text(fs[0].start)}"
        parts.append(f"{kind} ({len(fs)}×, first at {where})" if len(fs) > 1 else f"{kind} at {where}")
    return "; ".join(parts)


# -- the learning-rate range test -------------------------------------------------------------------
@dataclass
class RangeTest:
    lr: np.ndarray
    smooth: np.ndarray  # fastai's smoothed loss per row (the curve the suggestions read)
    steep: float  # lr at the steepest descent of the smoothed loss in log lr
    minimum: float  # lr at the minimum smoothed loss, ÷ 10
    lr_min_loss: float
    blew_up_lr: float | None  # the first lr with smoothed loss > 4× best (fastai stops there)
    kept: int  # rows the suggestions read (the first 10% skipped, the last 5 before the blow-up too)
    end: int  # rows recorded (up to and with the blow-up)

    def to_dict(self) -> dict:
        from .numbers import json_number

        return {"steep": json_number(self.steep), "minimum": json_number(self.minimum),
                "lr_at_min_loss": json_number(self.lr_min_loss), "blew_up_at_lr": json_number(self.blew_up_lr),
                "rows_used": self.kept}


def lr_range(series) -> RangeTest:
    """fastai's ``lr_find`` on a logged range test: smoothed loss (debiased EMA, β = 0.98), recorded
    up to the first point above 4× the best smoothed loss (or a NaN), then the first 10% of the
    rows and the last 5 recorded dropped (``recorder.losses[num_it//10:-5]``);
    ``steep`` = lr at the minimum of Δloss/Δlog(lr), ``minimum`` = lr at the lowest loss ÷ 10."""
    from .errors import GdxError

    with np.errstate(all="ignore"):
        return _lr_range(series)


def _lr_range(series) -> RangeTest:
    from .errors import GdxError

    lr = series.lr_at(series.step)
    loss = series.loss
    ok = np.isfinite(lr)
    if ok.sum() < 10:
        raise GdxError("--lr-range needs an lr column with at least 10 values", kind="log error",
                       hint="name it with --lr COL")
    lr, loss = lr[ok], loss[ok]
    if np.any(np.diff(lr) < 0) or lr[0] <= 0 or lr[-1] / lr[0] < 10:
        raise GdxError("--lr-range needs an lr that rises (geometrically, by 10x or more) from row to row",
                       kind="log error", hint=f"the lr here goes from {g(lr[0])} to {g(lr[-1])}")
    sm = ema(loss)
    best, blow = math.inf, None
    for i, v in enumerate(sm):
        if not np.isfinite(v) or v > DIVERGE_FACTOR * best:
            blow = i
            break
        best = min(best, v)
    end = (blow + 1 if blow is not None else len(sm)) - 5  # recorded up to the blow-up; the last 5 dropped
    skip = len(sm) // 10
    lrs, ls = lr[skip:end], sm[skip:end]
    if len(ls) < 3:
        raise GdxError("the range test blew up before it could be read (fewer than 3 usable rows)", kind="log error",
                       hint="start the range test at a smaller lr")
    grads = (ls[1:] - ls[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    grads = np.where(np.isfinite(grads), grads, np.inf)
    steep = float(lrs[int(np.argmin(grads))])
    lr_min = float(lrs[int(np.argmin(ls))])
    return RangeTest(lr, sm, steep, lr_min / 10, lr_min, float(lr[blow]) if blow is not None else None, len(ls),
                     end + 5)
