"""The batched engine: B runs of one optimizer as one vectorized numpy computation.

Row i of ``X0`` (shape ``(B, n)``) is run i.  Every step evaluates f and ∇f of all running rows
in ONE call of the compiled function (variables on the last axis) and applies ONE optimizer
update to them.  The stopping and fault rules are those of :mod:`gdx.stopping` (the same
functions the single-run loop calls), per row: at x_k a broken point ends the row with
``fault`` or ``diverged``, ‖∇f(x_k)‖ ≤ tol with ``converged``, k = steps with ``max_steps``;
otherwise update k+1 uses the row's learning rate ``schedule(k)`` (or its constant ``lr``).  A
row that stops is frozen and dropped from the working set (its optimizer state too), so the
others continue exactly as if they ran alone: path i is identical to
``gdx.loop.run(compiled, optimizer_i, X0[i], …)`` where optimizer_i has row i's hyperparameters.
The loop ends when every row has stopped or ``steps`` is reached.

Per-run hyperparameters (a sweep's momenta, say) are arrays of shape ``(B, 1)`` inside the
optimizer (``make_optimizer("momentum", momentum=col)``); per-run learning rates are ``lr`` of
shape ``(B,)``, or a schedule whose values are ``(B,)`` or ``(B, 1)`` arrays (``make_schedule``
accepts an array ``lr``).  This module imports numpy inside functions and never prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class BatchResult:
    """The outcome of B runs, with :class:`gdx.result.Result`'s names and meanings per row.

    ``x[i]``/``fun[i]``/``grad_norm[i]`` are those of the last point of run i's path at which
    x, f and ‖∇f‖ are all finite (NaN when there is none; see :mod:`gdx.stopping`);
    ``nit[i]`` is the last step of its path (the updates made); ``fault_step[i]`` is the step at
    which it broke, ``None`` if it did not.  ``path_x`` (``(steps + 1, B, n)``) and
    ``path_fun`` (``(steps + 1, B)``) hold every point when recorded, NaN after a run stopped.
    """

    variables: tuple[str, ...]
    optimizer: str
    x0: Any  # (B, n)
    x: Any  # (B, n)
    fun: Any  # (B,)
    grad_norm: Any  # (B,)
    status: list  # B × gdx.result.Status
    nit: Any  # (B,) int
    fault_step: list  # B × (int | None)
    cause: list  # B × (str | None)
    lr: Any  # (B,) the base learning rate of each run
    max_steps: int
    tol: float
    wall_time: float
    point_steps: int  # gradient evaluations made, summed over runs
    path_x: Any = None
    path_fun: Any = None
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.status)

    def path(self, i: int):
        """The points run i visited, shape ``(nit[i] + 1, n)`` (needs ``record_path``)."""
        if self.path_x is None:
            raise ValueError("the path was not recorded (run_batch(..., record_path=True))")
        return self.path_x[: int(self.nit[i]) + 1, i]

    def mask(self, *statuses) -> Any:
        """Boolean (B,) array: runs whose status is one of ``statuses``."""
        import numpy as np

        wanted = {s.value if hasattr(s, "value") else str(s) for s in statuses}
        return np.array([s.value in wanted for s in self.status], dtype=bool)

    @property
    def failed(self) -> Any:
        """Runs that diverged or hit a numerical fault (``Status.failed``)."""
        import numpy as np

        return np.array([s.failed for s in self.status], dtype=bool)

    def counts(self) -> dict[str, int]:
        """status → number of runs."""
        out: dict[str, int] = {}
        for s in self.status:
            out[s.value] = out.get(s.value, 0) + 1
        return out


def grad_norms(g):
    """‖g‖₂ per row, bit-identical to gdx.loop's ``math.sqrt(float(g @ g))`` (np.vecdot uses
    the same dot product kernel; a plain (g*g).sum() rounds differently), and, where g·g
    overflows but every component is finite, to its ``scaled_norm`` (hypot-style scaling)."""
    import numpy as np

    with np.errstate(over="ignore"):
        out = np.sqrt(np.vecdot(g, g))
    big = np.isinf(out)
    if big.any():  # g·g overflowed: s·‖g/s‖, s = max|gᵢ|, as gdx.loop.scaled_norm does
        gb = g[big]
        s = np.max(np.abs(gb), axis=-1)
        with np.errstate(all="ignore"):
            gs = gb / s[:, None]
            scaled = s * np.sqrt(np.vecdot(gs, gs))
        out[big] = np.where(np.isfinite(s), scaled, out[big])
    return out


def evaluator(compiled):
    """A function x (m, n) ↦ (f (m,), ∇f (m, n)): one call of the compiled f-and-∇f function.

    f and ∇f are the values ``compiled.value_and_grad(x)`` gives (the same generated function,
    given the variables as rows of ``x.T``).  ∇f comes back variable-major (``np.array(parts).T``,
    a Fortran-ordered (m, n) array): no broadcast copies, and when x is Fortran-ordered too the
    rows of ``x.T`` are contiguous, which numpy works through fastest.  A subclass of Compiled with its own ``value_and_grad`` is
    called through it.
    """
    import numpy as np

    from .compile import Compiled

    fg = getattr(compiled, "_fg", None)
    if fg is None or type(compiled).value_and_grad is not Compiled.value_and_grad:

        return compiled.value_and_grad

    def fast(x):
        m, n = x.shape
        compiled.nfev += 1
        compiled.njev += 1
        out = fg(x.T)
        f = out[0]
        f = np.full(m, float(f)) if np.ndim(f) == 0 else np.asarray(f, dtype=float)
        parts = out[1:]
        if all(getattr(p, "shape", None) == (m,) for p in parts):
            g = np.array(parts).T
        else:  # constant entries are scalars: broadcast them
            g = np.empty((n, m))
            for j, p in enumerate(parts):
                g[j] = p
            g = g.T
        return f, g

    return fast


def sum_squares(gT):
    """Σ over the variables of ∇f², from variable-major gradients ``gT`` of shape (n, …): a cheap
    approximation of ‖∇f‖² (``grad_norms`` gives the loop's exact value) used only to decide
    that no row can stop."""
    sq = gT[0] * gT[0]
    for j in range(1, len(gT)):
        sq = sq + gT[j] * gT[j]
    return sq


def _all_going(x, f, sq, bounds, tol) -> bool:
    """True when no row can stop at this point (a conservative shortcut, five reductions):

    * lo ≤ min f and max f ≤ hi, where [lo, hi] is the intersection of every row's allowed
      band f₀ ± EXPLOSION·(1 + |f₀|), so no loss explodes (and none is NaN or ±inf);
    * min Σ∇f² > tol²·(1 + 1e-9) (a margin for the rounding of ``sq``) and Σ sq finite, so no
      run converges and no gradient overflows;
    * Σ x finite, so every x is finite.

    False sends the step to the exact per-row rules: it costs a little time, nothing else.
    """
    import math

    lo, hi = bounds
    return bool(
        f.min() >= lo
        and f.max() <= hi
        and sq.min() > tol * tol * (1 + 1e-9)
        and math.isfinite(sq.sum())
        and math.isfinite(x.sum())
    )


def _bounds(f0, limit):
    """The loss band every working row allows: [max(f₀ − limit), min(f₀ + limit)]."""
    return float((f0 - limit).max()), float((f0 + limit).min())


def _rows_of(value, B: int):
    """Is ``value`` a per-run array (leading axis B)?"""
    return getattr(value, "ndim", 0) >= 1 and value.shape[0] == B


def subset_optimizer(optimizer, rows, B: int):
    """The same optimizer restricted to runs ``rows`` (per-run hyperparameter arrays indexed)."""
    if not any(_rows_of(v, B) for v in optimizer.hyper.values()):
        return optimizer
    from .optim import make_optimizer

    return make_optimizer(optimizer.name, **{k: (v[rows] if _rows_of(v, B) else v) for k, v in optimizer.hyper.items()})


def _subset_state(state, keep):
    """Optimizer state (a NamedTuple of arrays shaped like x) restricted to working rows ``keep``."""
    return type(state)(*[(v[keep] if getattr(v, "ndim", 0) >= 1 else v) for v in state])


def _lr_column(value, B: int):
    """A learning rate (float, (B,) or (B, 1)) as a float64 (B,) array."""
    import numpy as np

    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(B, float(arr))
    return np.broadcast_to(arr.reshape(-1) if arr.size == B else arr, (B,)).astype(float)


#: Steps run between vectorized checks (doubling from BLOCK_MIN after every clean block).
BLOCK_MIN, BLOCK_MAX = 4, 64


def run_batch(
    compiled,
    optimizer,
    X0,
    *,
    steps: int = 1000,
    tol: float = 1e-6,
    lr=None,
    schedule_fn: Callable[[int], Any] | None = None,
    clip_norm: float | None = None,
    record_path: bool = False,
) -> BatchResult:
    """Run ``optimizer`` from every row of ``X0`` (B, n) at once; see the module docstring.

    ``lr``: float or (B,) base learning rates (default: the optimizer's ``lr``); used as a
    constant unless ``schedule_fn`` (k ↦ float or per-run array) is given.

    Checking the stopping rules costs a few numpy reductions per step, as much as a small
    gradient.  So steps run in *blocks*: up to BLOCK_MAX steps with f and ∇f kept, then one
    vectorized check of the whole block.  A clean block is kept.  Otherwise the run goes back to
    the first step of the block at which some row may stop (every step's x, state, f and ∇f are
    kept, so nothing is recomputed) and takes that step with the exact per-row rules.  The
    result is the same as checking every step: a non-finite x stays non-finite under every
    update rule of gdx.optim (x + (−lr)·step, x·(1 − lr·λ)), so the finiteness of the block's
    last x vouches for the earlier ones.
    """
    import numpy as np

    from .result import Status
    from .stopping import EXPLOSION, may_stop, point_verdict, update_faults

    X0 = np.array(X0, dtype=float)
    if X0.ndim == 1:
        X0 = X0.reshape(-1, compiled.n)
    B, n = X0.shape
    base_lr = _lr_column(optimizer.hyper["lr"] if lr is None else lr, B)
    constant = schedule_fn is None
    clip = None
    if clip_norm is not None:
        from .optim.clip import clip_by_norm

        clip = lambda g: clip_by_norm(g, clip_norm)  # noqa: E731

    x_end = np.full((B, n), np.nan)
    loss = np.full(B, np.nan)
    gnorm = np.full(B, np.nan)
    status: list = [Status.MAX_STEPS] * B
    nsteps = np.zeros(B, dtype=int)
    fault_step: list = [None] * B
    cause: list = [None] * B
    faults = update_faults()
    path_x = np.full((steps + 1, B, n), np.nan) if record_path else None
    path_loss = np.full((steps + 1, B), np.nan) if record_path else None

    def lr_of(rows):
        """The constant learning rate of the working rows: a float when all runs share it."""
        return float(base_lr[0]) if np.all(base_lr == base_lr[0]) else base_lr[rows][:, None]

    # the working set: runs still going (in row order) and everything kept per working row
    rows = np.arange(B)
    x = X0.copy()
    opt = optimizer
    lr_const = lr_of(rows) if constant else None
    point_steps = 0
    started = time.perf_counter()
    if B == 0:
        return _empty_result(compiled, optimizer, X0, base_lr, steps, tol, record_path)

    def lr_at(k):
        return lr_const if constant else _lr_column(schedule_fn(k), B)[rows][:, None]

    def drop(stop):
        """Remove the rows flagged in ``stop`` (working indices) from the working set."""
        nonlocal rows, x, g, f, gn, state, f0, limit, bounds, opt, lr_const, prev
        keep = np.flatnonzero(~stop)
        rows, x, g, f, state = rows[keep], x[keep], g[keep], f[keep], _subset_state(state, keep)
        gn = gn[keep] if gn is not None else None
        prev = tuple(p[keep] for p in prev) if prev is not None else None
        f0, limit = f0[keep], limit[keep]
        if len(rows):
            bounds = _bounds(f0, limit)
            opt = subset_optimizer(optimizer, rows, B)
            if constant:
                lr_const = lr_of(rows)

    def end_rows(stopped, at_k):
        """Record where the working rows ``stopped`` end: the last finite point of each path
        (x_k itself, else x_{k−1} from ``prev``, else NaN at k = 0) and their step ``at_k``."""
        js = np.flatnonzero(stopped)
        ended = rows[js]
        nsteps[ended] = at_k
        xj, fj = x[js], f[js]
        gj = gn[js] if gn is not None else grad_norms(g[js])
        ok = np.isfinite(fj) & np.isfinite(gj) & np.all(np.isfinite(xj), axis=-1)
        x_end[ended[ok]], loss[ended[ok]], gnorm[ended[ok]] = xj[ok], fj[ok], gj[ok]
        if prev is not None and not ok.all():
            back = js[~ok]
            x_end[rows[back]], loss[rows[back]] = prev[0][back], prev[1][back]
            gnorm[rows[back]] = grad_norms(prev[2][back])

    prev = None  # (x, f, g) of the working rows at the step before the current one
    value_and_grad = evaluator(compiled)
    x = np.asfortranarray(x)  # variable-major: the compiled function reads contiguous rows of x.T
    k = 0
    K = BLOCK_MIN
    with np.errstate(all="ignore"):
        state = opt.init(x)
        f, g = value_and_grad(x)
        f0 = f.copy()  # f(x₀) of each working row (for the explosion rule)
        limit = EXPLOSION * (1 + np.abs(f0))
        bounds = _bounds(f0, limit)
        gn = None
        while True:
            # -- a block of unchecked steps k, k+1, …, k+K−1 (all < steps) -------------------
            if k + K <= steps:
                m = len(rows)
                F = np.empty((K, m))
                G = np.empty((n, K, m))  # variable-major, so each G[j] is contiguous
                kept = []
                made = K
                for i in range(K):
                    kept.append((x, state, f, g))
                    F[i] = f
                    G[:, i] = g.T
                    if record_path:
                        path_x[k + i, rows] = x
                        path_loss[k + i, rows] = f
                    try:
                        x, state = opt.update(clip(g) if clip else g, state, x, lr_at(k + i), k + i + 1, compiled)
                    except faults:
                        made = i  # step i is retaken with the exact rules (and its fallback)
                        break
                    f, g = value_and_grad(x)
                good = _clean_steps(F[:made], sum_squares(G[:, :made]), x if made == K else None, kept, bounds, tol)
                point_steps += good * m
                if good == K:
                    prev = (kept[-1][0], kept[-1][2], kept[-1][3])
                    k += K
                    K = min(2 * K, BLOCK_MAX)
                    continue
                # back to step k + good: the first that needs the exact rules
                x, state, f, g = kept[good]
                if good:
                    prev = (kept[good - 1][0], kept[good - 1][2], kept[good - 1][3])
                if record_path:
                    path_x[k + good + 1 : k + K, rows] = np.nan
                    path_loss[k + good + 1 : k + K, rows] = np.nan
                k += good
                K = BLOCK_MIN
            # -- one step with the exact per-row rules ---------------------------------------
            point_steps += len(rows)
            if record_path:
                path_x[k, rows] = x
                path_loss[k, rows] = f
            gn = None
            stop = None
            if not _all_going(x, f, sum_squares(g.T), bounds, tol):
                gn = grad_norms(g)
                stop = np.zeros(len(rows), dtype=bool)
                for j in np.flatnonzero(may_stop(x, f, gn, f0, tol)):
                    verdict = point_verdict(x[j], float(f[j]), float(gn[j]), float(f0[j]), tol)
                    if verdict is not None:
                        i = rows[j]
                        status[i], cause[i] = verdict
                        fault_step[i] = k if cause[i] else None
                        stop[j] = True
            if k >= steps:
                end_rows(np.ones(len(rows), dtype=bool), k)
                break  # every row still going ends with max_steps
            if stop is not None and stop.any():
                end_rows(stop, k)
                drop(stop)
                if not len(rows):
                    break
            lr_k = lr_at(k)
            gc = clip(g) if clip else g
            prev = (x, f, g)
            try:
                x_new, state = opt.update(gc, state, x, lr_k, k + 1, compiled)
            except faults:
                x_new, state, bad = _update_rows(optimizer, gc, state, x, lr_k, k + 1, compiled, rows, B)
                if bad:
                    stop = np.zeros(len(rows), dtype=bool)
                    for j, why in bad.items():
                        i = rows[j]
                        status[i], cause[i], fault_step[i] = Status.FAULT, why, k + 1
                        stop[j] = True
                    # the path of a run that faults in an update ends at x_k (as in gdx.loop)
                    end_rows(stop, k)
                    x = x_new
                    drop(stop)
                    x_new = x
                    if not len(rows):
                        break
            x = x_new
            k += 1
            f, g = value_and_grad(x)
    wall = time.perf_counter() - started
    return BatchResult(
        variables=tuple(compiled.variables),
        optimizer=optimizer.name,
        x0=X0,
        x=x_end,
        fun=loss,
        grad_norm=gnorm,
        status=status,
        nit=nsteps,
        fault_step=fault_step,
        cause=cause,
        lr=base_lr,
        max_steps=steps,
        tol=tol,
        wall_time=wall,
        point_steps=point_steps,
        path_x=path_x,
        path_fun=path_loss,
    )


def _clean_steps(F, S, x_last, kept, bounds, tol) -> int:
    """How many leading steps of a block no row can stop at (see :func:`_all_going`).

    F: (K, m) losses, S: (K, m) sums of squared gradients of the block's points; ``x_last``: the point after
    the block's last update (None when the block was cut short by an exception).  When every
    F and G pass but ``x_last`` is not finite, the kept points are scanned for the first
    non-finite x.
    """
    import math

    import numpy as np

    K = len(F)
    if K == 0:
        return 0
    lo, hi = bounds
    if (F.min() >= lo and F.max() <= hi and S.min() > tol * tol * (1 + 1e-9) and math.isfinite(S.sum())
            and (x_last is None or math.isfinite(x_last.sum()))):
        if x_last is not None:
            return K
        bad = np.zeros(K, dtype=bool)
    else:
        bad = ~((F >= lo) & (F <= hi)).all(axis=1) | ~((S > tol * tol * (1 + 1e-9)) & np.isfinite(S)).all(axis=1)
    for i in range(K):  # x_k finite for every kept point before the first bad step?
        if bad[i] or not math.isfinite(kept[i][0].sum()):
            return i
    return K


def _empty_result(compiled, optimizer, X0, base_lr, steps, tol, record_path) -> BatchResult:
    import numpy as np

    n = compiled.n
    return BatchResult(
        variables=tuple(compiled.variables), optimizer=optimizer.name, x0=X0, x=X0.copy(), fun=np.zeros(0),
        grad_norm=np.zeros(0), status=[], nit=np.zeros(0, dtype=int), fault_step=[],
        cause=[], lr=base_lr, max_steps=steps, tol=tol, wall_time=0.0, point_steps=0,
        path_x=np.zeros((steps + 1, 0, n)) if record_path else None,
        path_fun=np.zeros((steps + 1, 0)) if record_path else None,
    )


def _update_rows(optimizer, g, state, x, lr_k, t, compiled, rows, B):
    """One update row by row, after the batched update raised.

    Returns (x, state, {working index: cause}) where the rows that fault keep their old x and
    state (the caller drops them) and the others get their update -- identical to the batched
    one, every rule being elementwise per row.
    """
    import numpy as np

    from .stopping import fault_cause, update_faults

    faults = update_faults()
    new_x = x.copy()
    states = []
    bad: dict[int, str] = {}
    for j in range(len(rows)):
        one = subset_optimizer(optimizer, rows[j : j + 1], B)
        sub = _subset_state(state, [j])
        try:
            lr_j = lr_k[j : j + 1] if getattr(lr_k, "ndim", 0) else lr_k
            xj, sub = one.update(g[j : j + 1], sub, x[j : j + 1], lr_j, t, compiled)
            new_x[j] = xj[0]
        except faults as exc:
            bad[j] = fault_cause(exc)
        states.append(sub)
    if len(state):
        state = type(state)(*[np.concatenate([getattr(s, name) for s in states]) for name in state._fields])
    return new_x, state, bad
