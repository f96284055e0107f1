"""The calculus of a landscape: what f, ∇f and H say at a point, and where ∇f = 0.

Pure functions over a :class:`gdx.compile.Compiled` (no printing, no rich).

* :func:`analyze_point` — f, ∇f, H at x; H's eigen-decomposition; the condition number; the
  steepest-descent direction −∇f/‖∇f‖; the Newton step −H⁻¹∇f; the largest stable constant
  learning rate of plain gradient descent 2/λmax and the best contraction per step it can reach;
  and a finite-difference check of the symbolic gradient that flags kinks and 0/0 points.
* :func:`critical_points` — every point of a box where ∇f = 0, classified by H's eigenvalues.
  Exact solving (``sympy.solve`` in a :mod:`gdx.sandbox` child, bounded in memory and killed
  after ``timeout`` seconds or at a shared :class:`gdx.sandbox.Deadline`) is merged
  with a numeric search that always runs (Levenberg–Marquardt-damped Newton on ∇f = 0 from a
  grid of starts, vectorized across starts, refined until a finer grid finds nothing new).
* :func:`analyze_vector` — value, Jacobian and its determinant of a vector-valued input.
"""

from __future__ import annotations

from .numbers import fmt
from .numbers import json_number as _plain

import math
from dataclasses import dataclass, field

from .errors import GdxError

#: Seconds allowed for exact (symbolic) solving of ∇f = 0 before the numeric search alone answers.
DEFAULT_TIMEOUT = 3.0
#: An eigenvalue counts as zero when |λ| ≤ EIG_TOL · max|λ| (or ≤ EIG_ATOL).
EIG_TOL = 1e-6
EIG_ATOL = 1e-12
#: … or when |λ| ≤ SCALE_TOL · the function's own curvature scale (max |λ| of H over the box).
SCALE_TOL = 1e-7
#: Extra LM-Newton iterations spent on each critical point before it is classified.
REFINE_ITERS = 200
#: At most this many critical points are listed (a curve of them would be endless).
MAX_POINTS = 200


# -- display form -------------------------------------------------------------------------------
def tidy(expr, symbols=()):
    """A derivative in its most readable cheap form: a small polynomial expanded
    (``2*x*(x^4/3 - 2.1*x^2 + 4) + …`` → ``2*x^5 - 8.4*x^3 + 8*x + y``), anything else as derived."""
    try:
        if expr.is_polynomial(*symbols) and expr.count_ops() <= 200:
            expanded = expr.expand()
            if expanded.count_ops() <= expr.count_ops() * 2 + 10:
                return expanded
    except Exception:  # noqa: BLE001 - display only: fall back to the derived form
        pass
    return expr


# -- classification ---------------------------------------------------------------------------
def classify(eigenvalues, tol: float = EIG_TOL, *, scale: float | None = None) -> str:
    """The kind of a critical point from its Hessian's eigenvalues.

    An eigenvalue is *zero* when |λ| ≤ max(tol·max|λ|, SCALE_TOL·scale, 1e-12): ``scale`` is the
    function's own curvature scale (:func:`curvature_scale`, the largest |λ| of H over the box),
    so that when every eigenvalue at the point is residual noise of the search, none counts as
    nonzero.  Then: some λ > 0 and some λ < 0 → ``saddle`` (indefinite, whatever the zeros);
    all λ > 0 → ``minimum``; all λ < 0 → ``maximum``; otherwise (a zero eigenvalue, the rest of
    one sign or none) → ``degenerate``: the second-derivative test cannot decide.
    """
    lams = [float(v) for v in eigenvalues]
    if not lams or not all(math.isfinite(v) for v in lams):
        return "degenerate"
    zero = max(tol * max(abs(v) for v in lams), EIG_ATOL)
    if scale is not None and math.isfinite(scale):
        zero = max(zero, SCALE_TOL * abs(scale))
    pos = sum(v > zero for v in lams)
    neg = sum(v < -zero for v in lams)
    if pos and neg:
        return "saddle"
    if pos == len(lams):
        return "minimum"
    if neg == len(lams):
        return "maximum"
    return "degenerate"


def curvature_scale(compiled, lo, hi) -> float:
    """The function's own curvature scale on a box: max over a grid of the box of max|λ(H)|.

    The grid is cell-centred, 24 points per axis in 1-D … 3-D (fewer beyond), plus the corners'
    midpoints; non-finite Hessians are skipped.  0 when no Hessian on the grid is finite.
    """
    import numpy as np

    n = compiled.n
    per_axis = {1: 200, 2: 24, 3: 10}.get(n, 0)
    xs = _starts(lo, hi, per_axis or None, 0, n)[:4000]
    with np.errstate(all="ignore"):
        h = np.asarray(compiled.hess(xs), dtype=float).reshape(len(xs), n, n)
    ok = np.all(np.isfinite(h), axis=(1, 2))
    if not ok.any():
        return 0.0
    w = np.linalg.eigvalsh((h[ok] + np.swapaxes(h[ok], 1, 2)) / 2)
    return float(np.max(np.abs(w)))


# -- one point -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FDCheck:
    """Symbolic ∇f against central differences, and one-sided differences to find kinks."""

    symbolic: tuple
    central: tuple
    max_error: float  # max over i of |symbolic − central| / (1 + |central|)
    differentiable: bool
    note: str

    def to_dict(self) -> dict:
        return {
            "symbolic": [_plain(v) for v in self.symbolic],
            "central": [_plain(v) for v in self.central],
            "max_error": _plain(self.max_error),
            "differentiable": self.differentiable,
            "note": self.note,
        }


@dataclass(frozen=True)
class PointAnalysis:
    """Everything the local quadratic model f(x+d) ≈ f + ∇f·d + ½dᵀHd says at x."""

    x: tuple
    f: float
    grad: tuple
    grad_norm: float
    hess: tuple  # rows
    eigenvalues: tuple  # ascending
    eigenvectors: tuple  # eigenvectors[i] belongs to eigenvalues[i]
    kind: str  # classify(eigenvalues): the shape of the quadratic model ("undefined" when H is not finite)
    condition: float  # max|λ| / min|λ| (inf when an eigenvalue is 0)
    steepest: tuple | None  # −∇f/‖∇f‖ (None when ∇f = 0)
    newton_step: tuple | None  # −H⁻¹∇f (None when H is singular)
    stable_lr: float | None  # 2/λmax when λmax > 0: plain GD diverges along the top direction above it
    optimal_lr: float | None  # 2/(λmin + λmax) when H is positive definite
    contraction: float | None  # (κ−1)/(κ+1): error factor per step at optimal_lr (H positive definite)
    fd_check: FDCheck

    @property
    def steps_per_digit(self) -> float | None:
        """Steps of GD at optimal_lr to gain one decimal digit of accuracy: −1/log₁₀(contraction)."""
        if self.contraction is None:
            return None
        if self.contraction <= 0:
            return 1.0
        return -1.0 / math.log10(self.contraction)

    def to_dict(self) -> dict:
        return {
            "at": [_plain(v) for v in self.x],
            "f": _plain(self.f),
            "grad": [_plain(v) for v in self.grad],
            "grad_norm": _plain(self.grad_norm),
            "hessian": [[_plain(v) for v in row] for row in self.hess],
            "eigenvalues": [_plain(v) for v in self.eigenvalues],
            "eigenvectors": [[_plain(v) for v in vec] for vec in self.eigenvectors],
            "kind": self.kind,
            "condition": _plain(self.condition),
            "steepest_descent": None if self.steepest is None else [_plain(v) for v in self.steepest],
            "newton_step": None if self.newton_step is None else [_plain(v) for v in self.newton_step],
            "stable_lr": _plain(self.stable_lr),
            "optimal_lr": _plain(self.optimal_lr),
            "contraction": _plain(self.contraction),
            "steps_per_digit": _plain(self.steps_per_digit),
            "fd_check": self.fd_check.to_dict(),
        }


def eigen(h):
    """Eigenvalues (ascending) and eigenvectors (as rows) of the symmetric part of h; NaN if h is not finite."""
    import numpy as np

    h = np.asarray(h, dtype=float)
    n = h.shape[-1]
    if not np.all(np.isfinite(h)):
        return np.full(n, np.nan), np.full((n, n), np.nan)
    w, v = np.linalg.eigh((h + h.T) / 2)
    v = v.T.copy()
    for i in range(n):  # a sign convention: the largest component of each eigenvector is positive
        j = int(np.argmax(np.abs(v[i])))
        if v[i, j] < 0:
            v[i] = -v[i]
    return w, v


def condition_number(eigenvalues) -> float:
    """max|λ| / min|λ|; inf when some λ is 0 (or not finite)."""
    a = [abs(float(v)) for v in eigenvalues]
    if not a or not all(math.isfinite(v) for v in a):
        return math.nan
    lo, hi = min(a), max(a)
    if hi == 0:
        return math.inf
    return math.inf if lo <= EIG_ATOL * max(1.0, hi) else hi / lo


def gd_rates(eigenvalues) -> tuple[float | None, float | None, float | None]:
    """(stable_lr, optimal_lr, contraction) of constant-step gradient descent on the quadratic model.

    Along eigenvector i, GD multiplies the error by (1 − lr·λᵢ), so it is stable iff
    lr < 2/λmax (when λmax > 0).  When every λ > 0 the worst factor max|1 − lr·λᵢ| is smallest
    at lr* = 2/(λmin + λmax), where it equals (κ − 1)/(κ + 1), κ = λmax/λmin.
    """
    lams = [float(v) for v in eigenvalues]
    if not lams or not all(math.isfinite(v) for v in lams):
        return None, None, None
    lo, hi = min(lams), max(lams)
    stable = 2.0 / hi if hi > 0 else None
    if lo > EIG_ATOL * max(1.0, hi) and hi > 0:
        return stable, 2.0 / (lo + hi), (hi - lo) / (hi + lo)
    return stable, None, None


def analyze_point(compiled, x) -> PointAnalysis:
    """The local analysis of f at x (see :class:`PointAnalysis`)."""
    import numpy as np

    x = np.asarray(x, dtype=float).reshape(compiled.n)
    with np.errstate(all="ignore"):
        f, g = compiled.value_and_grad(x)
        h = compiled.hess(x)
    g = np.asarray(g, dtype=float)
    gn = float(np.sqrt(g @ g)) if np.all(np.isfinite(g)) else math.nan
    w, v = eigen(h)
    steepest = tuple(float(c) for c in -g / gn) if gn and math.isfinite(gn) else None
    newton = None
    if np.all(np.isfinite(h)) and np.all(np.isfinite(g)):
        cond = condition_number(w)
        if math.isfinite(cond) and cond < 1e14:
            newton = tuple(float(c) for c in np.linalg.solve(h, -g))
    stable, optimal, contraction = gd_rates(w)
    return PointAnalysis(
        x=tuple(float(c) for c in x),
        f=float(f),
        grad=tuple(float(c) for c in g),
        grad_norm=gn,
        hess=tuple(tuple(float(c) for c in row) for row in h),
        eigenvalues=tuple(float(c) for c in w),
        eigenvectors=tuple(tuple(float(c) for c in row) for row in v),
        kind=classify(w) if np.all(np.isfinite(w)) else "undefined",
        condition=condition_number(w),
        steepest=steepest,
        newton_step=newton,
        stable_lr=stable,
        optimal_lr=optimal,
        contraction=contraction,
        fd_check=fd_check(compiled, x, g),
    )


def fd_check(compiled, x, g=None) -> FDCheck:
    """Compare ∇f with central differences; flag where f is not differentiable.

    Step hᵢ = 1e-6·(1 + |xᵢ|).  Along each axis, the one-sided slopes D₊ = (f(x+h) − f(x))/h and
    D₋ = (f(x) − f(x−h))/h differ by about h·f'' where f is smooth, so their gap shrinks ten-fold
    when h does; at a kink the gap stays the size of the jump in slope.  The axis is flagged
    when the gap at h exceeds 1e-4·(1 + |D|) and at least half the gap at 10·h.  f is also
    flagged when the symbolic gradient is not finite (0/0, as at Ackley's origin), and the
    symbolic gradient is flagged as wrong when it differs from the central difference by more
    than 1e-4·(1 + |D|) at a smooth point.
    """
    import numpy as np

    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    with np.errstate(all="ignore"):
        if g is None:
            g = compiled.grad(x)
        g = np.asarray(g, dtype=float)
        eye = np.eye(n)
        hs = 1e-6 * (1 + np.abs(x))
        pts = []
        for scale in (1.0, 10.0):
            for i in range(n):
                d = eye[i] * hs[i] * scale
                pts += [x + d, x - d]
        vals = compiled.value(np.array(pts + [x]))
        f0 = vals[-1]
        vals = vals[:-1].reshape(2, n, 2)  # scale, axis, (+, −)
    central = (vals[0, :, 0] - vals[0, :, 1]) / (2 * hs)
    fwd = (vals[:, :, 0] - f0) / (hs * np.array([[1.0], [10.0]]))
    bwd = (f0 - vals[:, :, 1]) / (hs * np.array([[1.0], [10.0]]))
    gap = np.abs(fwd - bwd)
    scale = 1 + np.maximum(np.abs(fwd[0]), np.abs(bwd[0]))
    kinks = [i for i in range(n) if np.isfinite(gap[0, i]) and gap[0, i] > 1e-4 * scale[i] and gap[0, i] >= 0.5 * gap[1, i]]
    err = np.abs(g - central) / (1 + np.abs(central))
    max_err = float(np.max(err)) if np.all(np.isfinite(err)) else math.nan
    names = compiled.variables
    if not np.all(np.isfinite(g)):
        bad = [names[i] for i in range(n) if not np.isfinite(g[i])]
        note = f"the symbolic gradient is undefined here (∂f/∂{', ∂f/∂'.join(bad)} is 0/0 or infinite): f is not differentiable at this point"
        if kinks:
            note += f" (one-sided slopes along {', '.join(names[i] for i in kinks)} differ: a kink)"
        return FDCheck(tuple(g), tuple(central), math.nan, False, note)
    if not np.all(np.isfinite(vals)) or not math.isfinite(float(f0)):
        return FDCheck(tuple(g), tuple(central), math.nan, False, "f is not finite next to this point: it is at the edge of f's domain")
    if kinks:
        parts = [f"{names[i]}: {fmt_num(bwd[0, i])} from below, {fmt_num(fwd[0, i])} from above" for i in kinks]
        note = "f is not differentiable here (a kink): one-sided slopes differ — " + "; ".join(parts)
        return FDCheck(tuple(g), tuple(central), max_err, False, note)
    if max_err > 1e-4:
        note = f"the symbolic gradient differs from finite differences (relative error {fmt_num(max_err)})"
        return FDCheck(tuple(g), tuple(central), max_err, True, note)
    return FDCheck(tuple(g), tuple(central), max_err, True, f"symbolic gradient agrees with central differences (relative error {fmt_num(max_err)})")


def fmt_num(v, digits: int = 4) -> str:
    """Numbers in analysis notes: 4 significant digits (gdx.numbers.fmt)."""
    return fmt(v, digits)


# -- critical points ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CriticalPoint:
    """A point where ∇f = 0, classified by the eigenvalues of H there."""

    at: tuple
    kind: str  # minimum | maximum | saddle | degenerate
    value: float
    eigenvalues: tuple
    source: str = "numeric"  # symbolic | numeric | both

    def to_dict(self) -> dict:
        return {
            "at": [_plain(v) for v in self.at],
            "kind": self.kind,
            "value": _plain(self.value),
            "eigenvalues": [_plain(v) for v in self.eigenvalues],
            "source": self.source,
        }


@dataclass
class CriticalSearch:
    """The critical points of a box and how they were found."""

    points: list
    box: dict
    symbolic: str  # "solved" | "partial" | "timeout" | "failed" | "skipped"
    symbolic_count: int = 0
    starts: int = 0
    rounds: int = 0
    complete: bool = True  # proven: exact solving finished and the last, finest round of starts found nothing new
    truncated: bool = False
    notes: list = field(default_factory=list)
    #: exact solving's outcome (status, real solutions, note), or None when it was skipped
    exact: tuple | None = None

    def counts(self) -> dict:
        out = {k: 0 for k in ("minimum", "maximum", "saddle", "degenerate")}
        for p in self.points:
            out[p.kind] += 1
        return out

    def to_dict(self) -> dict:
        return {
            "box": {k: list(v) for k, v in self.box.items()},
            "symbolic": self.symbolic,
            "symbolic_solutions": self.symbolic_count,
            "numeric_starts": self.starts,
            "numeric_rounds": self.rounds,
            "complete": self.complete,
            "truncated": self.truncated,
            "counts": self.counts(),
            "notes": list(self.notes),
        }


def critical_points(compiled, box, *, timeout=DEFAULT_TIMEOUT) -> list:
    """Every critical point of f in ``box``, sorted by f then position (see :func:`find_critical_points`)."""
    return find_critical_points(compiled, box, timeout=timeout).points


def find_critical_points(compiled, box, *, timeout=DEFAULT_TIMEOUT, max_points: int = MAX_POINTS,
                         exact=None) -> CriticalSearch:
    """Solve ∇f = 0 in ``box`` ({var: (lo, hi)} or a list of (lo, hi) in variable order).

    1. Exact: ``sympy.solve(∇f, vars)`` in a child of :func:`gdx.sandbox.start` (bounded in
       memory), running while the numeric search does and killed ``timeout`` seconds after it
       started (0 or None skips it).  ``timeout`` may be a :class:`gdx.sandbox.Deadline`: the
       rest of a command's budget (already expired: not started, status ``timeout``).  Real
       solutions inside the box are kept.
    2. Numeric, always: Levenberg–Marquardt-damped Newton on ∇f = 0 (step
       d = −(HᵀH + μI)⁻¹Hᵀ∇f, μ adapted per start) from a grid of starts (random in more than 3
       dimensions), vectorized across starts.  A start counts when ‖∇f‖ ≤ 1e-7·(1 + median ‖∇f‖
       over the starts) inside the box.  Rounds double the grid's resolution until a round
       finds no new point (at most 3 rounds).
    3. Merge: points closer than 1e-6·(box diagonal), or than ten Newton steps (slow, degenerate
       convergence), are one point; exact solutions take precedence.  Each is classified with
       :func:`classify` on H's eigenvalues.

    ``exact``: the (status, solutions, note) exact solving gave this function before (the
    compiled cache keeps a ``solved`` outcome, which depends on f alone): used instead of
    starting the solver, whenever the solver would run.  ``search.exact`` holds the outcome.
    """
    import numpy as np

    variables = tuple(compiled.variables)
    box = _box_dict(box, variables)
    lo = np.array([box[v][0] for v in variables], dtype=float)
    hi = np.array([box[v][1] for v in variables], dtype=float)
    search = CriticalSearch(points=[], box=box, symbolic="skipped")

    budget = _solver_budget(timeout)
    known = exact if budget is not None and not budget.expired else None
    solver = start_solver(compiled) if budget is not None and not budget.expired and known is None else None

    def at_deadline() -> None:
        """Called at every Newton iteration: the solver is killed when its deadline passes, not
        after the whole numeric search (with which it competes for a core)."""
        if solver is not None and not solver.finished and budget.expired:
            try:
                solver.result(budget)  # takes a result already sent, else kills and reaps
            except Exception:  # noqa: BLE001 - the outcome is kept; finish_solver reports it
                pass

    try:
        found, total_starts, rounds, new_last = _numeric_rounds(compiled, lo, hi, max_points, at_deadline)
        if budget is not None:
            if known is not None:
                status, sols, note = known
            elif solver is None and budget.expired:
                status, sols, note = "timeout", [], _timeout_note(budget.seconds)
            else:
                status, sols, note = finish_solver(solver, budget)
    finally:
        if solver is not None:
            solver.cancel()  # an interrupted search leaves no solver running
    search.starts, search.rounds = total_starts, rounds
    numeric_settled = new_last == 0
    if budget is not None:
        search.exact = (status, [tuple(float(c) for c in x) for x in sols], note)
        search.symbolic = status
        search.symbolic_count = len(sols)
        if note:
            search.notes.append(note)
        found = [(np.array(s, dtype=float), 0.0, "symbolic") for s in sols if _inside(np.array(s), lo, hi)] + found
    merged = _merge(found, lo, hi)
    if len(merged) > max_points:
        search.truncated = True
        search.notes.append(f"more than {max_points} critical points (many isolated ones, or a curve of them); the {max_points} lowest by f are listed")
    # complete only when proven: exact solving finished and the numeric search found nothing it missed
    search.complete = numeric_settled and search.symbolic == "solved"
    if not numeric_settled:
        search.notes.append("the finest round of starts still found new points: the list may be incomplete")
    elif search.symbolic != "solved":
        search.notes.append(f"exact solving {_NOT_SOLVED.get(search.symbolic, search.symbolic)}: "
                            "the numeric search alone cannot prove the list complete")
    search.points = _classified(compiled, merged, lo, hi)[:max_points]
    return search


_NOT_SOLVED = {"skipped": "was skipped", "timeout": "timed out", "failed": "failed", "partial": "was partial"}


def _classified(compiled, merged, lo, hi) -> list:
    """CriticalPoints of the merged points: numeric ones refined (:func:`refine`), each classified
    against the box's curvature scale (:func:`curvature_scale`), mirror images made to agree
    (:func:`_mirror_consistent`); sorted by f then position."""
    import numpy as np

    if not merged:
        return []
    xs = np.array([m[0] for m in merged], dtype=float).reshape(len(merged), compiled.n)
    numeric = np.array([m[2] == "numeric" for m in merged])
    if numeric.any():
        steps = np.array([m[1] for m in merged], dtype=float)[numeric]
        xs[numeric] = refine(compiled, xs[numeric], lo, hi, steps)
    scale = curvature_scale(compiled, lo, hi)
    with np.errstate(all="ignore"):
        values = np.atleast_1d(compiled.value(xs))
        hs = compiled.hess(xs)
        gn = np.linalg.norm(np.asarray(compiled.grad(xs), dtype=float).reshape(xs.shape), axis=-1)
    eigs = [eigen(h)[0] for h in hs]
    kinds = [classify(w, scale=scale) for w in eigs]
    kinds = _mirror_consistent(compiled, xs, kinds, gn, lo, hi)
    points = [CriticalPoint(tuple(_clean(c, hi - lo) for c in x), k, float(fval), tuple(float(c) for c in w), m[2])
              for x, k, fval, w, m in zip(xs, kinds, values, eigs, merged)]
    points.sort(key=lambda p: (p.value, p.at))
    return points


def refine(compiled, xs, lo, hi, last_steps=None):
    """Points polished by up to REFINE_ITERS more LM-Newton iterations, taken while ‖∇f‖ still falls.

    Near a degenerate critical point Newton converges only linearly, so the search's stopping
    tolerance leaves the point (and H there) visibly off; these iterations bring H down to
    rounding noise.  A point may move as far as the merge radius of :func:`_merge`
    (max(1e-6·diag, 10·its last search step)); one that would move farther keeps its place.
    """
    import numpy as np

    out, _ = newton_search(compiled, xs, lo, hi, iters=REFINE_ITERS, rtol=0.0, keep_all=True)
    moved = np.linalg.norm(out - xs, axis=-1)
    radius = 1e-6 * float(np.linalg.norm(hi - lo))
    if last_steps is not None:
        radius = np.maximum(radius, 10 * np.where(np.isfinite(last_steps), last_steps, 0.0))
    ok = np.all(np.isfinite(out), axis=-1) & (moved <= radius)
    return np.where(ok[:, None], out, xs)


#: The kind a critical point's mirror image has when f(Sx) = −f(x).
_NEGATED = {"minimum": "maximum", "maximum": "minimum", "saddle": "saddle", "degenerate": "degenerate"}


def _mirror_consistent(compiled, xs, kinds, grad_norms, lo, hi) -> list:
    """Kinds made to agree between mirror images.

    A reflection S flips the sign of some coordinates.  When points p and q = S·p are both
    critical and f(S·z) = σ·f(z) (σ = ±1) holds at 64 sample points z of the box (to 1e-9
    relative), H(q) is S·H(p)·S times σ: q's kind is p's (σ = 1) or p's with minimum and
    maximum swapped (σ = −1).  When the classifications disagree, the better-converged point
    (smaller ‖∇f‖) decides both.  Reflections of up to 3 coordinates are tried.
    """
    import itertools

    import numpy as np

    n = len(lo)
    kinds = list(kinds)
    if len(xs) < 2:
        return kinds
    tol = 1e-6 * float(np.linalg.norm(hi - lo))
    rng = np.random.default_rng(0)
    z = lo + (hi - lo) * rng.random((64, n))
    with np.errstate(all="ignore"):
        fz = np.asarray(compiled.value(z), dtype=float)
    signs = []
    for k in range(1, min(n, 3) + 1):
        for axes in itertools.combinations(range(n), k):
            s = np.ones(n)
            s[list(axes)] = -1
            signs.append(s)
    for s in signs:
        sigma = None
        for i, j in itertools.combinations(range(len(xs)), 2):
            if np.linalg.norm(s * xs[i] - xs[j]) > tol:
                continue
            if sigma is None:
                sigma = _symmetry(compiled, s, z, fz)
            if sigma == 0:
                break
            better, other = (i, j) if grad_norms[i] <= grad_norms[j] else (j, i)
            kinds[other] = kinds[better] if sigma == 1 else _NEGATED.get(kinds[better], kinds[better])
    return kinds


def _symmetry(compiled, s, z, fz) -> int:
    """1 when f(S·z) = f(z), −1 when f(S·z) = −f(z) at every sample z (relative 1e-9), else 0."""
    import numpy as np

    with np.errstate(all="ignore"):
        fs = np.asarray(compiled.value(z * s), dtype=float)
    ok = np.isfinite(fz) & np.isfinite(fs)
    if ok.sum() < len(fz) // 2:
        return 0
    a, b = fz[ok], fs[ok]
    tol = 1e-9 * (1 + np.maximum(np.abs(a), np.abs(b)))
    if np.all(np.abs(b - a) <= tol):
        return 1
    if np.all(np.abs(b + a) <= tol):
        return -1
    return 0


def _solver_budget(timeout):
    """The exact solver's budget: a Deadline as given, a number of seconds > 0 → a Deadline
    starting now, 0 or None → None (exact solving is skipped)."""
    from .sandbox import Deadline

    if isinstance(timeout, Deadline):
        return timeout
    if not timeout or timeout <= 0:
        return None
    return Deadline(timeout)


def _numeric_rounds(compiled, lo, hi, max_points, on_iteration=None):
    """The numeric search's rounds (see :func:`find_critical_points`, step 2); ``on_iteration()``
    is called at every Newton iteration.

    → (found [(x, last step, "numeric")], starts used, rounds, new points in the last round)
    """
    found = []
    rounds, total_starts, new_last = 0, 0, 0
    per_axis = _grid_size(compiled.n)
    for r in range(3):
        starts = _starts(lo, hi, per_axis * 2**r if compiled.n <= 3 else None, r, compiled.n)
        total_starts += len(starts)
        xs, steps = newton_search(compiled, starts, lo, hi, on_iteration=on_iteration)
        before = len(_merge(found, lo, hi))
        found += [(x, s, "numeric") for x, s in zip(xs, steps)]
        after = len(_merge(found, lo, hi))
        rounds += 1
        new_last = after - before
        if r > 0 and new_last == 0:
            break
        if after > max_points or total_starts > 40000:
            break
    return found, total_starts, rounds, new_last


def _box_dict(box, variables) -> dict:
    if isinstance(box, dict):
        return {v: (float(box[v][0]), float(box[v][1])) for v in variables}
    return {v: (float(a), float(b)) for v, (a, b) in zip(variables, box)}


def _grid_size(n: int) -> int:
    """Starts per axis in the first round: 101 (1-D), 24 (2-D), 10 (3-D); random beyond."""
    return {1: 101, 2: 24, 3: 10}.get(n, 0)


#: Work of one Newton iteration over a round's random starts, b·n³ (HᵀH for b starts), at most this.
MAX_ROUND_WORK = 4_000_000


def _starts(lo, hi, per_axis, round_, n):
    """A cell-centred grid of starts (per_axis per axis), or, when n > 3, 1500·2^round random
    starts, at most MAX_ROUND_WORK / n³ (at least 100): n = 20 takes 500 a round, n = 50 100."""
    import numpy as np

    if per_axis:
        axes = [a + (b - a) * (np.arange(per_axis) + 0.5) / per_axis for a, b in zip(lo, hi)]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=-1)
    rng = np.random.default_rng(round_)
    count = min(1500 * 2**round_, max(100, MAX_ROUND_WORK // n**3))
    return lo + (hi - lo) * rng.random((count, n))


def newton_search(compiled, starts, lo, hi, *, iters: int = 100, rtol: float = 1e-13, keep_all: bool = False,
                  on_iteration=None):
    """LM-damped Newton on ∇f = 0 from every start at once; returns (points, last step lengths).

    ``rtol`` is the stopping tolerance on ‖g‖/gscale (0: go on while ‖g‖ still falls, as
    :func:`refine` does); ``keep_all`` returns every start's end point, in order.

    Per start: d = −(HᵀH + μ·s·I)⁻¹Hᵀg with s = tr(HᵀH)/n; the step is taken when it lowers
    ‖g‖ (then μ ← μ/3), else μ ← 10μ.  A start stops when ‖g‖ ≤ 1e-13·gscale, when it leaves
    the box by more than its width, or when μ > 1e10 (stuck at a local minimum of ‖g‖ ≠ 0).
    Kept: finite points with ‖g‖ ≤ 1e-7·gscale inside the box, gscale = 1 + median ‖g(start)‖.
    """
    import numpy as np

    x = np.array(starts, dtype=float)
    b, n = x.shape
    width = hi - lo
    with np.errstate(all="ignore"):
        g = compiled.grad(x)
        r = np.linalg.norm(g, axis=-1)
        fin = np.isfinite(r)
        gscale = 1.0 + (float(np.median(r[fin])) if fin.any() else 0.0)
        active = fin.copy()
        mu = np.full(b, 1e-4)
        step = np.full(b, np.inf)
        eye = np.eye(n)
        for _ in range(iters):
            if on_iteration is not None:
                on_iteration()
            idx = np.nonzero(active)[0]
            if idx.size == 0:
                break
            xa, ga = x[idx], g[idx]
            h = compiled.hess(xa)
            hth = np.einsum("bji,bjk->bik", h, h)
            s = np.trace(hth, axis1=1, axis2=2) / n + 1e-300
            a = hth + (mu[idx] * s)[:, None, None] * eye
            rhs = -np.einsum("bji,bj->bi", h, ga)
            ok = np.all(np.isfinite(a), axis=(1, 2)) & np.all(np.isfinite(rhs), axis=1)
            d = np.zeros_like(xa)
            if ok.any():
                try:
                    d[ok] = np.linalg.solve(a[ok], rhs[ok][..., None])[..., 0]
                except np.linalg.LinAlgError:
                    d[ok] = np.array([np.linalg.lstsq(ai, ri, rcond=None)[0] for ai, ri in zip(a[ok], rhs[ok])])
            xt = xa + d
            gt = compiled.grad(xt)
            rt = np.linalg.norm(gt, axis=-1)
            better = ok & np.isfinite(rt) & (rt < r[idx])
            acc = idx[better]
            x[acc], g[acc], r[acc] = xt[better], gt[better], rt[better]
            step[acc] = np.linalg.norm(d[better], axis=-1)
            mu[acc] = np.maximum(mu[acc] / 3, 1e-12)
            rej = idx[~better]
            mu[rej] *= 10
            outside = np.any((x[idx] < lo - width) | (x[idx] > hi + width), axis=-1)
            done = (r[idx] <= rtol * gscale) | (r[idx] == 0) | outside | (mu[idx] > 1e10)
            active[idx[done]] = False
    if keep_all:
        return x, step
    keep = np.isfinite(r) & (r <= 1e-7 * gscale) & np.all(np.isfinite(x), axis=-1)
    keep &= np.all((x >= lo - 1e-9 * width) & (x <= hi + 1e-9 * width), axis=-1)
    return x[keep], step[keep]


def _merge(found, lo, hi):
    """Cluster points: two are one when closer than max(1e-6·diag, 10·the last Newton step of either).

    Exact solutions come first and represent their cluster (source ``both`` when the numeric
    search also found them); otherwise the best-converged point (smallest last step) does.
    """
    import numpy as np

    if not found:
        return []
    diag = float(np.linalg.norm(hi - lo))
    base = 1e-6 * diag
    order = sorted(found, key=lambda t: (t[2] != "symbolic", t[1]))
    xs = np.array([t[0] for t in order], dtype=float)
    tol = np.array([max(base, 10 * float(t[1])) if math.isfinite(t[1]) else base for t in order])
    srcs = [t[2] for t in order]
    left = np.ones(len(order), dtype=bool)
    reps = []
    for i in range(len(order)):
        if not left[i]:
            continue
        near = left & (np.linalg.norm(xs - xs[i], axis=-1) <= np.maximum(tol, tol[i]))
        src = srcs[i]
        if src == "symbolic" and any(srcs[j] == "numeric" for j in np.nonzero(near)[0]):
            src = "both"
        left &= ~near
        reps.append((xs[i], order[i][1], src))
    return reps


def _inside(x, lo, hi) -> bool:
    import numpy as np

    w = hi - lo
    return bool(np.all(np.isfinite(x)) and np.all(x >= lo - 1e-9 * w) and np.all(x <= hi + 1e-9 * w))


def _clean(c: float, width) -> float:
    """Round coordinates within 1e-12·(1 + box width) of 0 to 0 (noise of the numeric search)."""
    import numpy as np

    return 0.0 if abs(c) <= 1e-12 * (1 + float(np.max(width))) else float(c)


# -- exact solving in a bounded child process -------------------------------------------------
def solve_symbolic(compiled, timeout):
    """``sympy.solve(∇f = 0)`` in a bounded child killed after ``timeout`` → (status, points, note).

    ``timeout`` is seconds from now or a :class:`gdx.sandbox.Deadline`.  status: ``solved``
    (every solution is a point), ``partial`` (some solutions are curves or sympy gave up on
    part), ``timeout``, ``failed``.  Points are the real solutions as float tuples (a solution
    counts as real when |Im| ≤ 1e-9·(1 + |Re|)).
    """
    return finish_solver(start_solver(compiled), timeout)


def start_solver(compiled):
    """Start the exact solver in a :func:`gdx.sandbox.start` child (memory-bounded); a Job or None.

    It works while the caller does the numeric search; :func:`finish_solver` collects it.
    None when no child can be forked (exact solving would then be unbounded: it is not done).
    """
    from . import sandbox

    if not sandbox.CAN_FORK:  # pragma: no cover - non-POSIX
        return None
    grad = compiled.gradient  # derived in the parent (it is needed anyway for the display)
    return sandbox.start(_solve_in_child, grad, compiled.problem.symbols, what="exact solving")


def finish_solver(job, timeout):
    """Wait for the solver until ``timeout`` (seconds from now, or a Deadline); kill it then.

    Whatever happens the child is killed and reaped before this returns.  → (status, points, note)
    """
    from .sandbox import Deadline

    if job is None:
        return "failed", [], "exact solving needs fork(); numeric search only"
    seconds = timeout.seconds if isinstance(timeout, Deadline) else float(timeout)
    try:
        return job.result(timeout)
    except GdxError as exc:
        if exc.kind == "timeout" and "did not finish" in exc.message:
            return "timeout", [], _timeout_note(seconds)
        return "failed", [], f"exact solving failed ({exc.message}); numeric search only"
    except Exception as exc:  # noqa: BLE001 - a SandboxError: the solver process died
        return "failed", [], f"exact solving failed ({type(exc).__name__}: the solver process died); numeric search only"
    finally:
        job.cancel()  # a no-op once the result is in; kills and reaps on any other way out


def _timeout_note(seconds: float) -> str:
    return f"exact solving did not finish within {seconds:g} s; numeric search only"


def _solve_in_child(grad, symbols):  # pragma: no cover - runs in the child process
    """:func:`_solve`, any failure (even one of SymPy's) turned into a ``failed`` status."""
    try:
        return _solve(grad, symbols)
    except MemoryError:
        raise  # the sandbox reports its memory bound
    except Exception as exc:  # noqa: BLE001 - sympy raises many kinds on systems it cannot do
        return "failed", [], f"exact solving failed ({type(exc).__name__}); numeric search only"


def _solve(grad, symbols):
    """The real isolated solutions of grad = 0 (see :func:`solve_symbolic`)."""
    import sympy

    eqs = [e for e in grad if e != 0]
    if not eqs:
        return "partial", [], "∇f is identically 0: every point is critical"
    shaped = _solve_polynomial(eqs, symbols)
    if shaped is not None:
        return "solved", shaped, f"exact solving (lex Gröbner basis, real roots) found {len(shaped)} real solution(s)"
    sols = sympy.solve(eqs, list(symbols), dict=True)
    points, curves = [], 0
    for sol in sols:
        values = [sol.get(s, s) for s in symbols]
        if any(sympy.sympify(v).free_symbols for v in values):
            curves += 1
            continue
        xs = []
        for v in values:
            c = complex(sympy.N(v, 30))
            if abs(c.imag) > 1e-9 * (1 + abs(c.real)):
                break
            xs.append(c.real)
        else:
            points.append(tuple(xs))
    if curves:
        return "partial", points, f"exact solving found {curves} curve(s) or surface(s) of critical points; the numeric search samples them"
    return "solved", points, f"exact solving found {len(points)} real solution(s)"


def _solve_polynomial(eqs, symbols):
    """Real solutions of a polynomial system whose lex Gröbner basis is in shape position, else None.

    Shape position: the basis is xᵢ − pᵢ(xₙ) (i < n) and q(xₙ).  Then the solutions are exactly
    xₙ = each real root of q (isolated exactly by ``real_roots``) and xᵢ = pᵢ(xₙ).  Float
    coefficients are first made rational (2.1 → 21/10).
    """
    import sympy

    syms = list(symbols)
    try:
        polys = [sympy.Poly(sympy.nsimplify(e, rational=True), *syms) for e in eqs]
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, ValueError, TypeError):
        return None
    if any(p.is_zero for p in polys):
        return None
    basis = sympy.groebner([p.as_expr() for p in polys], *syms, order="lex")
    exprs = list(basis.exprs)
    n, last = len(syms), syms[-1]
    if len(exprs) != n or exprs[-1].free_symbols - {last}:
        return None
    maps = []
    for i, e in enumerate(exprs[:-1]):
        xi = syms[i]
        if e.free_symbols - {xi, last}:
            return None
        p = sympy.Poly(e, xi)
        if p.degree() != 1 or p.coeffs()[0].free_symbols:
            return None
        c1, c0 = p.all_coeffs()
        maps.append((xi, -c0 / c1))
    if [m[0] for m in maps] != syms[:-1]:
        return None
    q = sympy.Poly(exprs[-1], last)
    if q.degree() < 1:
        return []
    roots = sorted(set(q.real_roots()), key=lambda r: float(sympy.N(r, 30)))
    points = []
    for r in roots:
        rv = sympy.N(r, 50)
        points.append(tuple(float(sympy.N(expr.subs(last, rv), 30)) for _, expr in maps) + (float(rv),))
    return points


# -- vector-valued input -------------------------------------------------------------------------
@dataclass(frozen=True)
class VectorAnalysis:
    """A vector-valued F: its Jacobian, and at a point F(x), J(x) and det J(x) (square J only)."""

    variables: tuple
    components: tuple  # SymPy expressions
    jacobian: tuple  # SymPy rows
    at: tuple | None = None
    value: tuple | None = None
    jacobian_at: tuple | None = None
    determinant: float | None = None


def analyze_vector(problem, x=None) -> VectorAnalysis:
    """The symbolic Jacobian J[i][j] = ∂Fᵢ/∂xⱼ; with x, also F(x), J(x) and det J(x)."""
    from .compile import _lambdify, jacobian_of

    jac = jacobian_of(problem)
    if x is None:
        return VectorAnalysis(problem.variables, problem.exprs, jac)
    import numpy as np

    x = np.asarray(x, dtype=float).reshape(problem.n)
    with np.errstate(all="ignore"):
        vals = _lambdify(problem.symbols, problem.exprs)(x)
        jv = _lambdify(problem.symbols, [e for row in jac for e in row])(x)
    value = tuple(float(v) for v in vals)
    m = len(problem.exprs)
    jm = np.array([float(v) for v in jv]).reshape(m, problem.n)
    det = float(np.linalg.det(jm)) if m == problem.n and np.all(np.isfinite(jm)) else None
    return VectorAnalysis(problem.variables, problem.exprs, jac, tuple(float(c) for c in x), value, tuple(tuple(float(c) for c in r) for r in jm), det)
