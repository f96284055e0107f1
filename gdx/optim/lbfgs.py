"""L-BFGS: ``torch.optim.LBFGS`` in float64; one gdx update is one torch ``.step(closure)``.

torch's algorithm for one step, given f(x) and g = ∇f(x) (the loop's evaluation: torch's first
``closure()`` of the step), with the state kept from the previous step::

    if max|g| ≤ tolerance_grad: return (no move)
    repeat at most max_iter times (n counts the inner iterations of every step so far):
        n = 1:  d ← −g,  history empty,  H_diag ← 1
        else:   y ← g − g_prev,  s ← t·d
                if yᵀs > 1e-10: push (y, s, ρ = 1/yᵀs), dropping the oldest past history_size;
                                H_diag ← yᵀs / yᵀy
                d ← −(two-loop recursion of the history applied to g, scaled by H_diag)
        g_prev ← g,  f_prev ← f
        t ← min(1, 1/Σ|g|)·lr on the very first iteration, else lr
        if gᵀd > −tolerance_change: stop
        strong_wolfe:  f, g, t ← _strong_wolfe(x, t, d, f, g, gᵀd; c1 1e-4, c2 0.9,
                                               max_ls = max_eval − evaluations so far); x ← x + t·d
        none:          x ← x + t·d; unless this is iteration max_iter: f, g ← f(x), ∇f(x)
        stop when: iteration max_iter, evaluations ≥ max_eval (= max_iter·5//4), max|g| ≤
        tolerance_grad, max|t·d| ≤ tolerance_change, or |f − f_prev| < tolerance_change

``_strong_wolfe`` and ``_cubic_interpolate`` are ported line by line from torch (which ported them
from torch7's lswolfe.lua / polyinterp.lua).  f and ∇f are evaluated through the ``oracle``
(:class:`gdx.compile.Compiled`), so ``Result.nfev`` and the path's ``nfev`` column count them.
The state of each run is a dict (torch's ``state``) kept in an object array, one per row: batched
x (m, n) runs the step row by row (each row is an independent torch run).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .hyper import HYPERPARAMETERS

LINE_SEARCHES = ("none", "strong_wolfe")


class LbfgsState(NamedTuple):
    runs: object  # object array of torch-state dicts: shape () for one run, (m,) for a batch


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """torch's ``_cubic_interpolate``: the minimiser of the cubic through (x1, f1, g1) and
    (x2, f2, g2), clamped to ``bounds`` (default the interval); the midpoint when it has none."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """torch's ``_strong_wolfe``: bracket a step t meeting the strong Wolfe conditions
    f(x + t·d) ≤ f + c1·t·gᵀd and |∇f(x + t·d)ᵀd| ≤ −c2·gᵀd, then zoom with cubic interpolation.
    Returns (f_new, g_new, t, evaluations)."""
    import numpy as np

    d_norm = float(np.max(np.abs(d)))
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_g[high_pos], bracket_gtd[high_pos] = t, f_new, g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos], bracket_gtd[low_pos] = t, f_new, g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _direction(g, state, history_size):
    """torch's two-loop recursion: d = −H·g for the history (y, s, ρ) and the scale H_diag."""
    old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
    num_old = len(old_dirs)
    al = [None] * history_size
    q = -g
    for i in range(num_old - 1, -1, -1):
        al[i] = float(old_stps[i] @ q) * ro[i]
        q = q + (-al[i]) * old_dirs[i]
    r = q * state["H_diag"]
    for i in range(num_old):
        be_i = float(old_dirs[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r


def lbfgs_step(x, loss, flat_grad, state, oracle, *, lr, max_iter, history_size, tolerance_grad,
               tolerance_change, line_search_fn):
    """One ``torch.optim.LBFGS.step(closure)`` from x, where f(x) = ``loss`` and ∇f(x) =
    ``flat_grad`` were already evaluated.  Returns (x_new, new state dict); ``state`` is not
    changed.  ``state["func_evals"]`` counts torch's closure calls (this step's first included)."""
    import numpy as np

    max_eval = max_iter * 5 // 4
    state = dict(state)
    for key in ("old_dirs", "old_stps", "ro"):
        if key in state:
            state[key] = list(state[key])
    state.setdefault("func_evals", 0)
    state.setdefault("n_iter", 0)
    current_evals = 1
    state["func_evals"] += 1
    if np.max(np.abs(flat_grad)) <= tolerance_grad:
        return x, state
    d, t = state.get("d"), state.get("t")
    prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

    def obj_func(x0, step, direction):
        f_new, g_new = oracle.value_and_grad(x0 + step * direction)
        return float(f_new), g_new

    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        state["n_iter"] += 1
        if state["n_iter"] == 1:
            d = -flat_grad
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
        else:
            y = flat_grad - prev_flat_grad
            s = d * t
            ys = float(y @ s)
            if ys > 1e-10:
                if len(state["old_dirs"]) == history_size:
                    for key in ("old_dirs", "old_stps", "ro"):
                        state[key].pop(0)
                state["old_dirs"].append(y)
                state["old_stps"].append(s)
                state["ro"].append(1.0 / ys)
                state["H_diag"] = ys / float(y @ y)
            d = _direction(flat_grad, state, history_size)
        prev_flat_grad = flat_grad.copy()
        prev_loss = loss
        if state["n_iter"] == 1:
            t = min(1.0, 1.0 / float(np.sum(np.abs(flat_grad)))) * lr
        else:
            t = lr
        gtd = float(flat_grad @ d)
        if gtd > -tolerance_change:
            break
        ls_func_evals = 0
        if line_search_fn == "strong_wolfe":
            loss, flat_grad, t, ls_func_evals = strong_wolfe(obj_func, x, t, d, loss, flat_grad, gtd,
                                                             max_ls=max_eval - current_evals)
            x = x + t * d
            opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
        else:
            x = x + t * d
            opt_cond = False
            if n_iter != max_iter:
                loss, flat_grad = oracle.value_and_grad(x)
                loss = float(loss)
                opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
                ls_func_evals = 1
        current_evals += ls_func_evals
        state["func_evals"] += ls_func_evals
        if n_iter == max_iter or current_evals >= max_eval or opt_cond:
            break
        if np.max(np.abs(d * t)) <= tolerance_change:
            break
        if abs(loss - prev_loss) < tolerance_change:
            break
    state.update(d=d, t=t, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
    return x, state


def lbfgs(*, lr, max_iter, history_size, tolerance_grad, tolerance_change, line_search_fn):
    """L-BFGS (torch.optim.LBFGS): the step of the module docstring, one per update."""
    HYPERPARAMETERS["lr"].check(lr)
    max_iter = HYPERPARAMETERS["max_iter"].check(max_iter)
    history_size = HYPERPARAMETERS["history_size"].check(history_size)
    tolerance_grad = HYPERPARAMETERS["tolerance_grad"].check(tolerance_grad)
    tolerance_change = HYPERPARAMETERS["tolerance_change"].check(tolerance_change)
    line_search_fn = HYPERPARAMETERS["line_search_fn"].check(line_search_fn)
    settings = dict(max_iter=max_iter, history_size=history_size, tolerance_grad=tolerance_grad,
                    tolerance_change=tolerance_change, line_search_fn=line_search_fn)

    def init(x):
        import numpy as np

        x = np.asarray(x, dtype=float)
        runs = np.empty(x.shape[:-1], dtype=object)
        for index in np.ndindex(runs.shape):
            runs[index] = {}
        return LbfgsState(runs)

    def update(g, state, x, lr, t, oracle, loss=None):
        import numpy as np

        if x.ndim == 1:
            x1, run = lbfgs_step(x, float(loss), g, state.runs[()], oracle, lr=float(lr), **settings)
            runs = np.empty((), dtype=object)
            runs[()] = run
            return x1, LbfgsState(runs)
        rates = np.broadcast_to(np.asarray(lr, dtype=float).reshape(-1), (x.shape[0],))
        losses = np.asarray(loss, dtype=float)
        new_x = np.empty_like(x)
        runs = np.empty(x.shape[0], dtype=object)
        for j in range(x.shape[0]):
            new_x[j], runs[j] = lbfgs_step(x[j], float(losses[j]), g[j], state.runs[j], oracle,
                                           lr=float(rates[j]), **settings)
        return new_x, LbfgsState(runs)

    return init, update
