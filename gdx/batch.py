"""The batched engine: B runs of one optimizer as one vectorized numpy computation.

Row i of ``X0`` (shape ``(B, n)``) is run i.  Every step evaluates f and ∇f of all running rows
in ONE call of the compiled function (variables on the last axis; rewritten by :mod:`gdx.fill` to
write them straight into the block's buffers, through reused temporaries, when it can) and
applies ONE optimizer update to them.  The stopping and fault rules are those of :mod:`gdx.stopping` (the same
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
accepts an array ``lr``).  A schedule that observes the loss (``observes_loss``: ReduceLROnPlateau,
:class:`gdx.plateau.Plateau`) keeps its state per working row: update k uses ``lr(state)``
and then ``state = observe(state, f(x_k))``, as in gdx.loop; that state is kept and rolled back
with the optimizer's and drops the rows that stop.  With ``batches`` of a minibatch run (B < N)
tol is judged as gdx.loop judges it (:func:`gdx.loop.batch_step`): a row converges at a step
where the full-data gradient is evaluated (``batches.evaluates(k)``, the ``--eval-every``
cadence) and ‖∇L(x_k)‖ ≤ tol; the batch gradient never ends a row as converged (it still ends
one as broken).  A schedule that cycles momentum
(``schedule.momentum``, :mod:`gdx.momentum_cycle`) makes update k+1 with the working rows'
optimizer rebuilt with μ_k, as gdx.loop does.  This module imports numpy inside functions and never prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .loop import loss_of


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
    rows of ``x.T`` are contiguous, which numpy works through fastest.  Its common case (every
    part a float (m,) array) is recognised from the shape of that one array; constant (scalar)
    entries are broadcast.  A subclass of Compiled with its own ``value_and_grad`` is called
    through it.
    """
    import numpy as np

    from .compile import Compiled

    fg = getattr(compiled, "_fg", None)
    if fg is None or type(compiled).value_and_grad is not Compiled.value_and_grad:

        return compiled.value_and_grad

    ndarray, array, f64 = np.ndarray, np.array, np.dtype(float)

    def fast(x, k=None):  # k: the step (step_evaluator's signature), the same f and ∇f at every step
        m, n = x.shape
        compiled.nfev += 1
        compiled.njev += 1
        out = fg(x.T)
        f = out[0]
        if f.__class__ is not ndarray or f.shape != (m,) or f.dtype is not f64:
            f = np.full(m, float(f)) if np.ndim(f) == 0 else np.asarray(f, dtype=float)
        try:
            gT = array(out[1:])
        except ValueError:  # scalars (constant entries) beside arrays
            gT = None
        if gT is None or gT.shape != (n, m) or gT.dtype is not f64:
            gT = np.empty((n, m))
            for j, p in enumerate(out[1:]):
                gT[j] = p  # a constant entry is broadcast
        return f, gT.T

    fast.takes_step = True
    return fast


def filler(compiled, batches=None):
    """The kernel writing f and ∇f of a batch into given arrays (:class:`gdx.fill.Kernel`) when
    every step evaluates ``compiled``'s own generated (f, ∇f) (not a subclass's, nor a minibatch's
    rows); made once per compiled function; else None."""
    from .compile import Compiled

    if batches is not None or type(compiled).value_and_grad is not Compiled.value_and_grad:
        return None
    return compiled._fill


def step_evaluator(compiled, batches=None):
    """(x (m, n), step k) ↦ (f, ∇f) of step k: :func:`evaluator` for every step, or over the
    rows ``batches.at(k)`` of an objective over data (a minibatch run)."""
    if batches is None:
        value_and_grad = evaluator(compiled)
        if getattr(value_and_grad, "takes_step", False):
            return value_and_grad  # it takes (x, k) itself: one call less per step
        return lambda x, k: value_and_grad(x)
    return lambda x, k: compiled.value_and_grad(x, rows=batches.at(k)[1])


def full_grad_norms(compiled, batches):
    """(x (m, n), step k) ↦ ‖∇L(x)‖ over every row of the data at a step of a minibatch run where
    the full-data gradient is evaluated (``batches.evaluates(k)``), else None; None for a run
    that is not a minibatch run.  A measurement, as in gdx.loop.batch_step: not counted in the
    evaluations."""
    if batches is None or batches.full:
        return None

    def at(x, k: int):
        if not batches.evaluates(k):
            return None
        counts = (compiled.nfev, compiled.njev)
        _, g = compiled.value_and_grad(x)
        compiled.nfev, compiled.njev = counts
        return grad_norms(g)

    return at


def sum_squares(gT):
    """Σ over the variables of ∇f², from variable-major gradients ``gT`` of shape (n, …): a cheap
    approximation of ‖∇f‖² (``grad_norms`` gives the loop's exact value) used only to decide
    that no row can stop."""
    sq = gT[0] * gT[0]
    for j in range(1, len(gT)):
        sq = sq + gT[j] * gT[j]
    return sq


def converge_threshold(tol: float) -> float:
    """The bound Σ∇f² must exceed for no row to converge on this gradient: tol²·(1 + 1e-9) (a
    margin for the rounding of ``sq``), or −1 for a negative tol (−inf: the batch gradient of a
    minibatch run, on which no row converges)."""
    return tol * tol * (1 + 1e-9) if tol >= 0 else -1.0


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
        and sq.min() > converge_threshold(tol)
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


#: The fewest steps for which the batch is evaluated by a kernel (gdx.fill): making one costs
#: about 1 ms, which it saves back in 300–500 steps (it makes a step 1.3–1.5× faster up to 1,000
#: runs, 1.06–1.14× beyond: ``python bench/bench_batch.py --kernel``).
KERNEL_FROM_STEPS = 500

#: Steps run between vectorized checks (doubling from BLOCK_MIN after every clean block).
BLOCK_MIN, BLOCK_MAX = 4, 64


class _Ends:
    """Where each of the B runs ended (what BatchResult reports), filled in as rows stop."""

    def __init__(self, B: int, n: int, steps: int, record_path: bool) -> None:
        import numpy as np

        from .result import Status

        self.x = np.full((B, n), np.nan)
        self.fun = np.full(B, np.nan)
        self.grad_norm = np.full(B, np.nan)
        self.status: list = [Status.MAX_STEPS] * B
        self.nit = np.zeros(B, dtype=int)
        self.fault_step: list = [None] * B
        self.cause: list = [None] * B
        self.path_x = np.full((steps + 1, B, n), np.nan) if record_path else None
        self.path_fun = np.full((steps + 1, B), np.nan) if record_path else None

    def verdict(self, i: int, status, cause, fault_step) -> None:
        """Run i stops with ``status`` (``cause`` and ``fault_step`` when it broke)."""
        self.status[i], self.cause[i], self.fault_step[i] = status, cause, fault_step

    def record(self, w, stopped, at_k: int) -> None:
        """The working rows ``stopped`` of ``w`` end at step ``at_k``: their last finite point
        (x_k itself, else x_{k−1} from ``w.prev``, else NaN at k = 0; gdx.stopping)."""
        import numpy as np

        js = np.flatnonzero(stopped)
        ended = w.rows[js]
        self.nit[ended] = at_k
        xj, fj = w.x[js], w.f[js]
        gj = w.gn[js] if w.gn is not None else grad_norms(w.g[js])
        ok = np.isfinite(fj) & np.isfinite(gj) & np.all(np.isfinite(xj), axis=-1)
        self.x[ended[ok]], self.fun[ended[ok]], self.grad_norm[ended[ok]] = xj[ok], fj[ok], gj[ok]
        if w.prev is not None and not ok.all():
            back = js[~ok]
            self.x[w.rows[back]], self.fun[w.rows[back]] = w.prev[0][back], w.prev[1][back]
            self.grad_norm[w.rows[back]] = grad_norms(w.prev[2][back])

    def keep_path(self, k: int, w) -> None:
        """Record the working rows' x_k and f(x_k) (with record_path)."""
        if self.path_x is not None:
            self.path_x[k, w.rows] = w.x
            self.path_fun[k, w.rows] = w.f


class _Working:
    """The runs still going, in row order, and everything kept per working row: x, f, ∇f (and
    ‖∇f‖ once computed), the optimizer state and the optimizer restricted to these rows, f₀ and
    the explosion band, the constant learning rate, (x, f, ∇f) of the step before, and the
    state of a schedule that observes the loss (``watched``)."""

    def __init__(self, optimizer, X0, base_lr, schedule_fn, value_and_grad) -> None:
        import numpy as np

        from .stopping import EXPLOSION

        self.optimizer, self.base_lr, self.schedule_fn = optimizer, base_lr, schedule_fn
        self.B = len(X0)
        self.rows = np.arange(self.B)
        self.x = np.asfortranarray(X0.copy())  # variable-major: the compiled function reads rows of x.T
        self.opt = optimizer
        from .momentum_cycle import cycle_of

        self.cycle = cycle_of(optimizer, schedule_fn) if schedule_fn is not None else None
        self.lr_const = self._lr_of_rows() if schedule_fn is None else None
        self.watching = getattr(schedule_fn, "observes_loss", False)
        self.watched = schedule_fn.init(self.B) if self.watching else None  # per working row
        self.state = self.opt_at(0).init(self.x)
        self.f, self.g = value_and_grad(self.x, 0)
        self.gn = None
        self.f0 = self.f.copy()  # f(x₀) of each working row (for the explosion rule)
        self.limit = EXPLOSION * (1 + np.abs(self.f0))
        self.bounds = _bounds(self.f0, self.limit)
        self.prev = None
        self._flat = self._slots = None  # the block buffers and their slots (see buffers, slots)
        self.kernel = None  # the kernel writing (f, ∇f) into the buffers, when there is one (gdx.fill)

    def buffers(self, K: int):
        """The block's scratch arrays for K steps of the working rows: F (K+1, m) of f, G (K+1, n, m)
        of ∇f (variable-major, as the evaluator makes it) and S (K, m) of Σ∇f²; slot i holds step
        k+i of a block from step k (slot K: the point the block ends at, checked by the next).
        Views of flat arrays kept from block to block (allocated again only for a longer block), so
        no block pays for fresh memory; nothing outside a block holds them (:func:`_advance`)."""
        import numpy as np

        m, n = self.x.shape
        if self._flat is None or len(self._flat[1]) < (K + 1) * m:
            self._flat = (np.empty((K + 1) * n * m), np.empty((K + 1) * m), np.empty((K + 1) * m))
            self._slots = None
        flat_g, flat_f, flat_s = self._flat
        return (flat_f[: (K + 1) * m].reshape(K + 1, m), flat_g[: (K + 1) * n * m].reshape(K + 1, n, m),
                flat_s[: K * m].reshape(K, m))

    def slots(self, F, G) -> tuple:
        """For the block buffers F and G: per slot i the arrays the kernel writes
        (``[F[i], G[i, 0], …, G[i, n−1]]``, :mod:`gdx.fill`) and its f and ∇f as the loop reads
        them (``F[i]``, ``G[i].T``: (m, n), variable-major), with the kernel's scratch arrays for m
        rows; made once per buffer and m (slot i is the same memory for every block length)."""
        m = F.shape[1]
        if self._slots is None or self._slots[0] != m:
            self._slots = (m, [], [], [], self.kernel.arrays(m))
        _, outs, fs, gs, scratch = self._slots
        for i in range(len(outs), len(F)):
            outs.append([F[i], *G[i]])
            fs.append(F[i])
            gs.append(G[i].T)
        return outs, fs, gs, scratch

    def snapshot(self) -> tuple:
        """Everything a step changes (the updates are pure: references are enough)."""
        return self.x, self.state, self.f, self.g, self.watched, self.prev

    def restore(self, snapshot: tuple) -> None:
        self.x, self.state, self.f, self.g, self.watched, self.prev = snapshot

    def opt_at(self, k: int):
        """The working rows' optimizer for update k+1 (rebuilt with μ_k when momentum cycles)."""
        return self.opt if self.cycle is None else self.cycle(self.opt, k)

    def all_rows_opt_at(self, k: int):
        """The optimizer of all B rows for update k+1 (what _update_rows restricts row by row)."""
        return self.optimizer if self.cycle is None else self.cycle(self.optimizer, k)

    def _lr_of_rows(self):
        """The constant learning rate of the working rows: a float when all runs share it."""
        import numpy as np

        lr = self.base_lr
        return float(lr[0]) if np.all(lr == lr[0]) else lr[self.rows][:, None]

    def lr_at(self, k: int, watched):
        """The learning rate of update k+1 for every working row (``watched``: the state of a
        schedule that observes the loss)."""
        if self.schedule_fn is None:
            return self.lr_const
        if self.watching:
            return self.schedule_fn.lr(watched)[:, None]
        return _lr_column(self.schedule_fn(k), self.B)[self.rows][:, None]

    def observe(self, loss) -> None:
        """A loss-watching schedule sees f(x_k) of the working rows after update k."""
        if self.watching:
            self.watched = self.schedule_fn.observe(self.watched, loss)

    def drop(self, stop) -> None:
        """Remove the rows flagged in ``stop`` (working indices) from the working set."""
        import numpy as np

        keep = np.flatnonzero(~stop)
        self.rows, self.g, self.f = self.rows[keep], self.g[keep], self.f[keep]
        self.x = np.asfortranarray(self.x[keep])  # variable-major again (the evaluator reads rows of x.T)
        self.state = _subset_state(self.state, keep)
        if self.watching:
            self.watched = self.schedule_fn.subset(self.watched, keep)
        self.gn = self.gn[keep] if self.gn is not None else None
        self.prev = tuple(p[keep] for p in self.prev) if self.prev is not None else None
        self.f0, self.limit = self.f0[keep], self.limit[keep]
        if len(self.rows):
            self.bounds = _bounds(self.f0, self.limit)
            self.opt = subset_optimizer(self.optimizer, self.rows, self.B)
            if self.schedule_fn is None:
                self.lr_const = self._lr_of_rows()


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
    batches=None,
) -> BatchResult:
    """Run ``optimizer`` from every row of ``X0`` (B, n) at once; see the module docstring.

    ``lr``: float or (B,) base learning rates (default: the optimizer's ``lr``); used as a
    constant unless ``schedule_fn`` (k ↦ float or per-run array) is given.

    Checking the stopping rules costs a few numpy reductions per step, as much as a small
    gradient.  So steps run in *blocks* (:func:`_block`): up to BLOCK_MAX steps with f and ∇f
    copied aside, then one vectorized check of the whole block (the last steps before
    ``steps`` in blocks halving down to BLOCK_MIN).  A clean block is kept.  Otherwise the run
    goes back to the block's start, makes again the steps before the first one at which some
    row may stop (pure updates of the same numbers: the same points), and takes that step
    with the exact per-row rules (:func:`_exact_step`).  The result is the same as checking
    every step: a non-finite x stays non-finite under every update rule of gdx.optim
    (x + (−lr)·step, x·(1 − lr·λ)), so the finiteness of the block's last x vouches for the
    earlier ones.

    ``batches`` (a :class:`gdx.minibatch.Batches`, for an objective over data): f and ∇f of
    step k are those of the rows ``batches.at(k)``, the same rows for every run; with B < N, tol
    is judged on the full-data gradient where ``batches.evaluates(k)`` (the module docstring).
    """
    import math

    import numpy as np

    X0 = np.array(X0, dtype=float)
    if X0.ndim == 1:
        X0 = X0.reshape(-1, compiled.n)
    B, n = X0.shape
    base_lr = _lr_column(optimizer.hyper["lr"] if lr is None else lr, B)
    if B == 0:
        return _empty_result(compiled, optimizer, X0, base_lr, steps, tol, record_path)
    clip = None
    if clip_norm is not None:
        from .optim.clip import clip_by_norm

        clip = lambda g: clip_by_norm(g, clip_norm)  # noqa: E731
    ends = _Ends(B, n, steps, record_path)
    value_and_grad = step_evaluator(compiled, batches)
    full = full_grad_norms(compiled, batches)
    tol_b = tol if full is None else -math.inf  # a minibatch run converges on ∇L only (the module docstring)
    point_steps = 0
    started = time.perf_counter()
    k, K = 0, BLOCK_MIN
    with np.errstate(all="ignore"):
        w = _Working(optimizer, X0, base_lr, schedule_fn, value_and_grad)
        w.kernel = filler(compiled, batches) if steps >= KERNEL_FROM_STEPS else None
        while True:
            while K > BLOCK_MIN and k + K > steps:  # the tail: shorter blocks, down to BLOCK_MIN
                K = max(K // 2, BLOCK_MIN)
            if k + K <= steps:
                good, m = _block(w, ends, k, K, tol_b, clip, compiled, value_and_grad, full, tol)
                point_steps += good * m
                if good == K:
                    k, K = k + K, min(2 * K, BLOCK_MAX)
                    continue
                k, K = k + good, BLOCK_MIN
            point_steps += len(w.rows)
            if _exact_step(w, ends, k, steps, tol_b, clip, compiled, full, tol):
                break
            k += 1
            w.f, w.g = value_and_grad(w.x, k)
    return BatchResult(
        variables=tuple(compiled.variables), optimizer=optimizer.name, x0=X0, x=ends.x, fun=ends.fun,
        grad_norm=ends.grad_norm, status=ends.status, nit=ends.nit, fault_step=ends.fault_step, cause=ends.cause,
        lr=base_lr, max_steps=steps, tol=tol, wall_time=time.perf_counter() - started, point_steps=point_steps,
        path_x=ends.path_x, path_fun=ends.path_fun,
    )


def _block(w, ends, k: int, K: int, tol: float, clip, compiled, value_and_grad, full=None,
           full_tol: float = 0.0) -> tuple[int, int]:
    """Steps k … k+K−1 without per-step checks; returns (how many were clean, rows).

    Each step's f and ∇f are copied into the block buffers (:meth:`_Working.buffers`) and
    checked together at the end (:func:`_first_flagged`).  A clean block leaves ``w`` at step
    k+K.  Otherwise ``w`` goes back to the block's start and makes the clean steps again (the
    same pure updates of the same numbers: the same points, bit for bit; the evaluation counts
    of ``compiled`` are those of the first pass), so that it stands at the first step that needs
    the exact rules, and the path recorded past that step is cleared.  Keeping only the start,
    not every step, lets numpy reuse the memory of each step's arrays at the next.
    ``full`` (:func:`full_grad_norms`, a minibatch run): a step where some row's ‖∇L‖ ≤
    ``full_tol`` ends the block there, for the exact rules (which evaluate the same ∇L at the same x).
    """
    import math

    import numpy as np

    m = len(w.rows)
    F, G, S = w.buffers(K)
    start = w.snapshot()
    made = _advance(w, k, K, clip, compiled, value_and_grad, ends, F, G, full=full, full_tol=full_tol)
    flagged = _first_flagged(F[:made], G[:made], S[:made], w.bounds, tol)
    if flagged == made and math.isfinite(w.x.sum()):
        return made, m  # every step clean (made < K: update k+made raised, retaken by _exact_step)
    counts = {name: getattr(compiled, name) for name in ("nfev", "njev", "nhev") if hasattr(compiled, name)}
    w.restore(start)
    good = _advance(w, k, flagged, clip, compiled, value_and_grad, None, None, None, check_x=True)
    for name, value in counts.items():
        setattr(compiled, name, value)
    if ends.path_x is not None:
        ends.path_x[k + good + 1: k + K, w.rows] = np.nan
        ends.path_fun[k + good + 1: k + K, w.rows] = np.nan
    return good, m


def _advance(w, k: int, count: int, clip, compiled, value_and_grad, ends, F, G, check_x: bool = False,
             full=None, full_tol: float = 0.0) -> int:
    """Make up to ``count`` updates of the working rows from step k, without the stopping rules;
    returns how many were made (fewer when an update raised one of :func:`gdx.stopping.update_faults`,
    or, with ``check_x``, at the first step whose x is not finite).  ``w`` is left at the step
    reached.  Step k+i's f and ∇f go to F[i] and G[i] (slots 0 … made), and its x and f to the
    recorded path (when ``ends`` records one).  ``full``: stop before a step where some row's
    ‖∇L‖ ≤ ``full_tol`` (:func:`_block`).

    With buffers, f and ∇f of each new point are written into their slot: by ``w.kernel`` itself
    when the compiled function can fill (:mod:`gdx.fill`: no copies), else copied there; the loop
    then reads the slot's views, and what ``w`` keeps of the last two points is copied out of the
    buffers at the end (the next block writes them again)."""
    import math

    from .stopping import update_faults

    faults = update_faults()
    x, state, f, g, watched, prev = w.snapshot()
    rows, lr, cycle, observe = w.rows, w.lr_const, w.cycle, (w.schedule_fn.observe if w.watching else None)
    path_x = path_fun = None
    if ends is not None and ends.path_x is not None:
        path_x, path_fun = ends.path_x, ends.path_fun
    opt = w.opt
    update, wants_loss = opt.update, getattr(opt, "needs_loss", False)
    made = count
    kernel = w.kernel if F is not None else None
    if F is not None:
        F[0] = f
        G[0] = g.T
    if kernel is not None:
        outs, fs, gs, (temps, consts) = w.slots(F, G)
        fill = kernel.function
    if kernel is not None and path_x is None and cycle is None and lr is not None and clip is None \
            and not wants_loss and observe is None and full is None:  # the common case, its loop without the branches below
        for i in range(count):
            try:
                x_new, state = update(g, state, x, lr, k + i + 1, compiled)
            except faults:
                made = i
                break
            prev = (x, f, g)
            x = x_new
            fill(x.T, outs[i + 1], temps, consts)
            f, g = fs[i + 1], gs[i + 1]
        compiled.nfev += made
        compiled.njev += made
        w.restore((x, state, f, g, watched, prev))
        _copied_out(w, made)
        return made
    for i in range(count):
        t = k + i
        if check_x and not math.isfinite(x.sum()):
            made = i
            break
        if path_x is not None:
            path_x[t, rows] = x
            path_fun[t, rows] = f
        if full is not None:
            gn = full(x, t)
            if gn is not None and (gn <= full_tol).any():
                made = i  # some row may converge here: step i is retaken with the exact rules
                break
        if cycle is not None:
            opt = cycle(w.opt, t)
            update, wants_loss = opt.update, getattr(opt, "needs_loss", False)
        lr_t = lr if lr is not None else w.lr_at(t, watched)
        gc = clip(g) if clip is not None else g
        try:
            if wants_loss:
                x_new, state = update(gc, state, x, lr_t, t + 1, compiled, loss=f)
            else:
                x_new, state = update(gc, state, x, lr_t, t + 1, compiled)
        except faults:
            made = i  # step i is retaken with the exact rules (and its fallback)
            break
        if observe is not None:
            watched = observe(watched, f)
        prev = (x, f, g)
        x = x_new
        if kernel is not None:
            fill(x.T, outs[i + 1], temps, consts)
            f, g = fs[i + 1], gs[i + 1]
            compiled.nfev += 1
            compiled.njev += 1
        else:
            f, g = value_and_grad(x, t + 1)
            if F is not None:
                F[i + 1] = f
                G[i + 1] = g.T
    w.restore((x, state, f, g, watched, prev))
    if kernel is not None:
        _copied_out(w, made)
    return made


def _copied_out(w, made: int) -> None:
    """After ``made`` filled steps, ``w``'s f and ∇f (and those of ``w.prev`` when made ≥ 2) are
    views of the block buffers: replace them with copies (∇f kept variable-major)."""
    if made:
        w.f, w.g = w.f.copy(), w.g.copy(order="F")
    if made >= 2:
        px, pf, pg = w.prev
        w.prev = (px, pf.copy(), pg.copy(order="F"))


def _exact_step(w, ends, k: int, steps: int, tol: float, clip, compiled, full=None, full_tol: float = 0.0) -> bool:
    """Step k with the exact per-row rules of gdx.stopping, then update k+1 (row by row when the
    batched update raised).  True when no row is left to run.  ``full`` (:func:`full_grad_norms`):
    a row that did not break converges where ‖∇L(x_k)‖ ≤ ``full_tol`` (gdx.loop's order)."""
    import numpy as np

    from .result import Status
    from .stopping import may_stop, point_verdict, update_faults

    ends.keep_path(k, w)
    w.gn = None
    stop = None
    if not _all_going(w.x, w.f, sum_squares(w.g.T), w.bounds, tol):
        w.gn = grad_norms(w.g)
        stop = np.zeros(len(w.rows), dtype=bool)
        for j in np.flatnonzero(may_stop(w.x, w.f, w.gn, w.f0, tol)):
            verdict = point_verdict(w.x[j], float(w.f[j]), float(w.gn[j]), float(w.f0[j]), tol)
            if verdict is not None:
                status, cause = verdict
                ends.verdict(w.rows[j], status, cause, k if cause else None)
                stop[j] = True
    full_gn = full(w.x, k) if full is not None else None
    if full_gn is not None:
        if stop is None:
            stop = np.zeros(len(w.rows), dtype=bool)
        for j in np.flatnonzero(~stop & (full_gn <= full_tol)):
            ends.verdict(w.rows[j], Status.CONVERGED, None, None)
            stop[j] = True
    if k >= steps:
        ends.record(w, np.ones(len(w.rows), dtype=bool), k)
        return True  # every row still going ends with max_steps
    if stop is not None and stop.any():
        ends.record(w, stop, k)
        w.drop(stop)
        if not len(w.rows):
            return True
    lr_k = w.lr_at(k, w.watched)
    gc = clip(w.g) if clip else w.g
    w.prev = (w.x, w.f, w.g)
    try:
        opt = w.opt_at(k)
        x_new, w.state = opt.update(gc, w.state, w.x, lr_k, k + 1, compiled, **loss_of(opt, w.f))
    except update_faults():
        x_new, w.state, bad = _update_rows(w.all_rows_opt_at(k), gc, w.state, w.x, lr_k, k + 1, compiled, w.rows, w.B, w.f)
        if bad:
            stop = np.zeros(len(w.rows), dtype=bool)
            for j, why in bad.items():
                ends.verdict(w.rows[j], Status.FAULT, why, k + 1)
                stop[j] = True
            ends.record(w, stop, k)  # the path of a run that faults in an update ends at x_k (as in gdx.loop)
            w.x = x_new
            w.drop(stop)
            x_new = w.x
            if not len(w.rows):
                return True
    w.x = x_new
    w.observe(w.f)
    return False


def _first_flagged(F, G, S, bounds, tol) -> int:
    """The first step of a block at which some row may stop (``len(F)`` when none; see
    :func:`_all_going` for the rule): F (K, m) losses and G (K, n, m) gradients of the block's
    points; S (K, m) receives Σ∇f² of each (``einsum``: one pass, no temporaries, an
    approximation of ‖∇f‖² within the margin 1e-9)."""
    import math

    import numpy as np

    K = len(F)
    if K == 0:
        return 0
    np.einsum("kjm,kjm->km", G, G, out=S)
    lo, hi = bounds
    floor = converge_threshold(tol)
    if F.min() >= lo and F.max() <= hi and S.min() > floor and S.max() < math.inf:  # a NaN fails min's test
        return K
    bad = ~((F >= lo) & (F <= hi)).all(axis=1) | ~((S > floor) & np.isfinite(S)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else K


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


def _update_rows(optimizer, g, state, x, lr_k, t, compiled, rows, B, f=None):
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
            loss = loss_of(one, None if f is None else f[j : j + 1])
            xj, sub = one.update(g[j : j + 1], sub, x[j : j + 1], lr_j, t, compiled, **loss)
            new_x[j] = xj[0]
        except faults as exc:
            bad[j] = fault_cause(exc)
        states.append(sub)
    if len(state):
        state = type(state)(*[np.concatenate([getattr(s, name) for s in states]) for name in state._fields])
    return new_x, state, bad
