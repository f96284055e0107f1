"""Evidence the diagnosis reads off a finished run: each function states the rule it tests.

* :func:`asymptote`: no minimum the way the run travels (f falls along the ray out to ‖x‖ → ∞);
* :func:`path_kink`: a kink crossed again and again (∂f/∂xᵢ changes sign between consecutive
  steps by far more than the curvature explains);
* :func:`saturation`: a tanh/sigmoid/erf/atan node whose local derivative is tiny at the end
  point and lies on the chain rule's path to a variable;
* :func:`sharpness`: λmax(H) sampled along the path (one batched Hessian call);
* :func:`preconditioned_sharpness`: λmax(P⁻¹H) with the adaptive optimizer's diagonal P along the
  path, and :func:`adaptive_edge`, the bound it is compared with (Cohen et al. 2022).

Nothing here prints; the compiled function's evaluation counters are left untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: How many doublings of the probe distance the asymptote test walks out along the ray.
DOUBLINGS = 64
#: How many points the sampled sharpness has at most.
SAMPLES = 64


def _quiet(compiled, fn):
    import numpy as np

    saved = (compiled.nfev, compiled.njev, compiled.nhev)
    try:
        with np.errstate(all="ignore"):
            return fn()
    finally:
        compiled.nfev, compiled.njev, compiled.nhev = saved


def _finite(path):
    import numpy as np

    return np.isfinite(path.loss) & np.all(np.isfinite(path.x), axis=1)


@dataclass(frozen=True)
class Asymptote:
    """f along x_end + t·u (u: the direction of travel) never rises out to t = t_far."""

    direction: tuple
    t_far: float
    f_far: float
    unbounded: bool  # f → −∞ (else a finite infimum ≈ f_far)
    x_norm_mid: float
    x_norm_end: float
    grad_mid: float
    grad_end: float


def asymptote(result, compiled) -> Asymptote | None:
    """No minimum ahead: the loss fell over the second half of the path, and along a ray
    x_end + t·u, t = s·2^j (j = 0 … 63, s = ‖x_end − x_mid‖), f never rises (each value ≤ the
    previous + 1e-12·(1 + |f|)) and ends below f_end.  The rays tried, in order: the direction
    of travel u = (x_end − x_mid)/s, the steepest descent −∇f(x_end), and the eigenvector of H's
    most negative eigenvalue (when it is < 0) with the sign that descends.  The infimum is −∞
    (``unbounded``) when f reaches −∞ or its drop over the last doubling is more than 1e-6 of
    the whole drop along the ray; otherwise it is finite, ≈ f at the far end."""
    import numpy as np

    path = result.path
    ok = _finite(path)
    xs, loss, gn = path.x[ok], path.loss[ok], path.grad_norm[ok]
    if len(xs) < 3:
        return None
    mid = len(xs) // 2
    if not loss[-1] < loss[mid]:
        return None
    travel = xs[-1] - xs[mid]
    s = float(np.linalg.norm(travel))
    if not (s > 0 and math.isfinite(s)):
        return None
    for u in _rays(result, compiled, travel / s):
        found = _ray(compiled, xs[-1], u, s, float(loss[-1]))
        if found is not None:
            t_far, f_far, unbounded = found
            return Asymptote(tuple(float(c) for c in u), t_far, f_far, unbounded, float(np.linalg.norm(xs[mid])),
                             float(np.linalg.norm(xs[-1])), float(gn[mid]), float(gn[-1]))
    return None


def _rays(result, compiled, travel):
    """The directions :func:`asymptote` tries: travel, −∇f, the descending negative-curvature eigenvector."""
    import numpy as np

    out = [travel]
    g = np.asarray(result.jac, dtype=float)
    if np.all(np.isfinite(g)) and np.any(g):
        out.append(-g / np.linalg.norm(g))
    h = np.asarray(_quiet(compiled, lambda: compiled.hess(np.asarray(result.x, dtype=float))), dtype=float)
    if np.all(np.isfinite(h)):
        w, v = np.linalg.eigh(h.reshape(compiled.n, compiled.n))
        if w[0] < 0:
            e = v[:, 0]
            out.append(e if e @ travel >= 0 else -e)
    return out


def _ray(compiled, x, u, s, f_end):
    """(t_far, f_far, unbounded) when f never rises along x + t·u out to t = s·2^63, else None."""
    import numpy as np

    t = s * 2.0 ** np.arange(DOUBLINGS)
    pts = x[None, :] + t[:, None] * u[None, :]
    vals = np.atleast_1d(_quiet(compiled, lambda: compiled.value(pts))).astype(float)
    v = np.concatenate([[f_end], vals])
    bad = ~np.isfinite(v)
    if bad.any():
        first = int(np.argmax(bad))
        if v[first] == -np.inf:
            head = v[:first]
            if len(head) > 1 and not np.all(np.diff(head) <= 1e-12 * (1 + np.abs(head[:-1]))):
                return None
            return float(t[first - 1]), -math.inf, True
        if first < 24:
            return None
        v = v[:first]
    if not np.all(np.diff(v) <= 1e-12 * (1 + np.abs(v[:-1]))):
        return None
    drop = f_end - float(v[-1])
    if not drop > 1e-9 * (1 + abs(f_end)):
        return None
    return float(t[len(v) - 2]), float(v[-1]), bool((v[-2] - v[-1]) > 1e-6 * drop)


@dataclass(frozen=True)
class Kink:
    """Coordinate i's slope jumps across a kink between consecutive steps."""

    variable: str
    index: int
    crossings: int
    pairs: int
    left_slope: float  # median ∂f/∂xᵢ on the low side of the kink
    right_slope: float  # on the high side
    low: float  # x_i just below and just above the kink
    high: float


def path_kink(result, compiled, recent: int = 20, gradient=None) -> Kink | None:
    """A kink along the path: over the last ``recent`` steps, ∂f/∂xᵢ changes sign between
    consecutive steps at least 3 times (and in ≥ 25% of the pairs), each time by a jump
    |Δgᵢ| larger than 3× what the curvature explains, max(|(H(x_k)Δx)ᵢ|, |(H(x_{k+1})Δx)ᵢ|),
    with both slopes at least a tenth of ‖∇f‖ (the coordinate carries the gradient on both
    sides) — on a smooth f a sign change over a short step is a small, curvature-sized change.  The one-sided slopes are the medians
    of ∂f/∂xᵢ on each side.  ``gradient`` (points (K, n) → gradients (K, n)): the gradients tested
    instead of the recorded ones (a minibatch run's are tested again as the full-data ∇L)."""
    import numpy as np

    path = result.path
    ok = _finite(path) & np.all(np.isfinite(path.grad), axis=1)
    xs, gs = path.x[ok][-(recent + 1):], path.grad[ok][-(recent + 1):]
    if len(xs) < 5:
        return None
    if gradient is not None:
        gs = np.asarray(_quiet(compiled, lambda: gradient(xs)), dtype=float)
    hs = _quiet(compiled, lambda: compiled.hess(xs))
    hs = np.asarray(hs, dtype=float).reshape(len(xs), compiled.n, compiled.n)
    dx = np.diff(xs, axis=0)
    best = None
    for i in range(compiled.n):
        g = gs[:, i]
        flips = g[:-1] * g[1:] < 0
        jump = np.abs(np.diff(g))
        pred = np.maximum(np.abs(np.einsum("kj,kj->k", hs[:-1, i, :], dx)), np.abs(np.einsum("kj,kj->k", hs[1:, i, :], dx)))
        pred = np.where(np.isfinite(pred), pred, np.inf)
        gnorm = np.maximum(np.linalg.norm(gs[:-1], axis=1), np.linalg.norm(gs[1:], axis=1))
        kinked = flips & (jump > 3 * pred) & (np.minimum(np.abs(g[:-1]), np.abs(g[1:])) >= 0.1 * gnorm)
        n_k = int(kinked.sum())
        if n_k >= 3 and n_k >= 0.25 * len(dx) and (best is None or n_k > best.crossings):
            ks = np.nonzero(kinked)[0]
            a, b = xs[ks, i], xs[ks + 1, i]
            ga, gb = g[ks], g[ks + 1]
            lo_side = np.where(a < b, ga, gb)
            hi_side = np.where(a < b, gb, ga)
            low = float(np.max(np.minimum(a, b)))
            high = float(np.min(np.maximum(a, b)))
            best = Kink(path.variables[i], i, n_k, len(dx), float(np.median(lo_side)), float(np.median(hi_side)),
                        min(low, high), max(low, high))
    return best


@dataclass(frozen=True)
class Saturation:
    """A node of f whose local derivative is tiny at x: ``factor`` = d node / d argument."""

    node: str
    formula: str  # the local derivative as a formula of the argument: "1 − tanh²(u)"
    argument: float
    factor: float
    variables: tuple


#: Local derivatives of the saturating functions: name → (formula, u ↦ d/du).
_LOCAL = {
    "tanh": ("1 − tanh²({u})", lambda u: 1.0 / math.cosh(u) ** 2 if abs(u) < 350 else 0.0),
    "erf": ("2/√π·exp(−({u})²)", lambda u: 2 / math.sqrt(math.pi) * math.exp(-u * u) if abs(u) < 27 else 0.0),
    "atan": ("1/(1 + ({u})²)", lambda u: 1 / (1 + u * u)),
    "sigmoid": ("σ(1 − σ) at {u}", lambda u: math.exp(-abs(u)) / (1 + math.exp(-abs(u))) ** 2),
}


def _kind(node):
    """The saturating function a SymPy node is ("tanh", "erf", "atan", "sigmoid" for
    1/(1 + exp(−u))), and its argument u; else None."""
    import sympy as sp

    from .nn_symbolic import sigmoid

    if isinstance(node, sigmoid):  # typed sigmoid(u) (gdx.nn_symbolic)
        return "sigmoid", node.args[0]
    if isinstance(node, sp.tanh):
        return "tanh", node.args[0]
    if isinstance(node, sp.erf):
        return "erf", node.args[0]
    if isinstance(node, sp.atan):
        return "atan", node.args[0]
    if isinstance(node, sp.Pow) and node.exp == -1 and isinstance(node.base, sp.Add):
        parts = node.base.args
        if len(parts) == 2 and sp.S.One in parts:
            other = parts[1] if parts[0] == sp.S.One else parts[0]
            if isinstance(other, sp.exp):
                return "sigmoid", -other.args[0]
    return None


#: The names of a function's text that can make a saturating node (:func:`_kind`): the functions
#: themselves, gelu (written with erf) and softplus, and every way to write exp(u) (whose
#: 1/(1 + exp(u)) is a sigmoid), with sinh/cosh/atanh kept for safety.
SATURATING_NAMES = frozenset({"tanh", "atan", "sigmoid", "gelu", "softplus", "exp", "e", "E", "sinh", "cosh", "atanh"})


def may_saturate(text) -> bool:
    """Could the function typed as ``text`` have a saturating node?  False only when none of
    :data:`SATURATING_NAMES` is a name in it, so :func:`saturation` is skipped without parsing
    the text (a function served by the compiled cache then needs no SymPy); True when unsure."""
    import re

    if not isinstance(text, str):
        return True
    return not SATURATING_NAMES.isdisjoint(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text))


def saturation(expr, variables, x, threshold: float = 1e-2) -> list[Saturation]:
    """Every saturating node of ``expr`` whose argument depends on a variable and whose local
    derivative at ``x`` is below ``threshold``, smallest factor first (the chain rule multiplies
    the gradient of everything below the node by that factor)."""
    import sympy as sp

    syms = {sp.Symbol(v): float(c) for v, c in zip(variables, x)}
    lookup = {s.name: s for s in expr.free_symbols}
    subs = {lookup[k.name]: val for k, val in syms.items() if k.name in lookup}
    out = []
    for node in sp.preorder_traversal(expr):
        kind = _kind(node)
        if kind is None:
            continue
        name, arg = kind
        free = tuple(sorted(s.name for s in arg.free_symbols))
        if not free:
            continue
        try:
            u = float(arg.evalf(subs=subs))
        except (TypeError, ValueError):
            continue
        if not math.isfinite(u):
            continue
        formula, d = _LOCAL[name]
        factor = d(u)
        if factor < threshold:
            shown = "1 − tanh²({u})" if name == "tanh" else formula
            out.append(Saturation(str(node), shown.format(u=str(arg)), u, factor, free))
    out.sort(key=lambda s: s.factor)
    return out


def sample_rows(n_rows: int, samples: int = SAMPLES):
    """Up to ``samples`` row indices spread evenly over 0 … n_rows − 1 (first and last included)."""
    import numpy as np

    if n_rows <= samples:
        return np.arange(n_rows)
    return sorted_unique(np.linspace(0, n_rows - 1, samples).round().astype(int))


def rows_near_steps(k, steps):
    """The rows of the step numbers ``k`` (ascending) nearest to each of ``steps``, each once.

    A thinned path (gdx.path_record) keeps every 2ʲ-th old step: a rule about steps ("the
    middle of the run", "evenly spread over the run") picks rows by their step number ``k``,
    never by their position, so it reads the same points as on the whole path where they
    were kept, and the nearest kept ones where not."""
    import numpy as np

    k = np.asarray(k)
    if len(k) == 0:
        return np.zeros(0, int)
    i = np.clip(np.searchsorted(k, np.asarray(steps, dtype=float)), 1, max(1, len(k) - 1))
    i = np.minimum(i, len(k) - 1)
    left = np.maximum(i - 1, 0)
    nearer_left = np.abs(np.asarray(steps, dtype=float) - k[left]) < np.abs(k[i] - np.asarray(steps, dtype=float))
    return sorted_unique(np.where(nearer_left, left, i))


def sorted_unique(a):
    """The distinct values of the integer array ``a``, ascending: ``numpy.unique`` without its
    import of numpy.ma (10 ms of every run's diagnosis)."""
    import numpy as np

    a = np.sort(np.asarray(a).reshape(-1))
    if len(a) == 0:
        return a
    return a[np.concatenate(([True], a[1:] != a[:-1]))]


def middle_row(k) -> int:
    """The row of the step nearest to the middle of the steps ``k`` span (on a whole path the
    row len // 2 or next to it; on a thinned one the kept step nearest to the middle step)."""
    import numpy as np

    k = np.asarray(k)
    if len(k) == 0:
        return 0
    return int(rows_near_steps(k, [k[0] + (k[-1] - k[0]) / 2])[0])


def sharpness(result, compiled, samples: int = SAMPLES):
    """(steps, λmax(H(x_k))) at up to ``samples`` finite points of the path evenly spread over
    its steps (:func:`rows_near_steps`: the same steps whether or not the path was thinned)."""
    import numpy as np

    path = result.path
    rows = np.nonzero(_finite(path))[0]
    if len(rows) == 0:
        return np.zeros(0, int), np.zeros(0)
    k = np.asarray(path.k)[rows]
    span = int(k[-1] - k[0]) + 1
    targets = k[0] + sample_rows(span, samples)  # the steps a whole, finite path would sample
    rows = rows[rows_near_steps(k, targets)]
    hs = _quiet(compiled, lambda: compiled.hess(path.x[rows]))
    hs = np.asarray(hs, dtype=float).reshape(len(rows), compiled.n, compiled.n)
    lam = np.full(len(rows), np.nan)
    good = np.all(np.isfinite(hs), axis=(1, 2))
    if good.any():
        lam[good] = np.linalg.eigvalsh(hs[good])[:, -1]
    return path.k[rows], lam


def _preconditioner(result):
    """The run's optimizer's :class:`gdx.optim.preconditioner.Preconditioner` (None: no adaptive edge)."""
    from .optim import OPTIMIZERS

    spec = OPTIMIZERS.get(result.optimizer)
    return spec.preconditioner if spec is not None else None


def _hyper(result) -> dict:
    from .optim import OPTIMIZERS

    spec = OPTIMIZERS.get(result.optimizer)
    return {**(spec.defaults if spec is not None else {}), **{k: v for k, v in result.hyper.items() if v is not None}}


def adaptive_edge(result, k: int | None = None) -> float | None:
    """The adaptive edge of stability on λmax(P⁻¹H) (Cohen et al. 2022) for the run's optimizer,
    read from its registry entry (``OptimizerSpec.preconditioner``) with the lr of path row ``k``
    (default: the run's lr): Adam/AdamW/Adamax (2 + 2β₁)/(η(1 − β₁)) = 38/η for β₁ = 0.9; RMSprop
    2(1 + μ)/η (2/η without momentum); Adagrad 2/η.  None for other optimizers or lr ≤ 0."""
    pre = _preconditioner(result)
    if pre is None:
        return None
    lr = float(result.path.lr[min(max(k, 0), len(result.path) - 1)]) if k is not None and len(result.path) else \
        float(result.hyper.get("lr", math.nan))
    if not lr > 0:
        return None
    return float(pre.edge(lr, _hyper(result)))


def adaptive_edge_text(result) -> str:
    """The edge's formula for the run's optimizer ("(2+2β₁)/(η(1−β₁))"), "" without one."""
    pre = _preconditioner(result)
    return pre.edge_text if pre is not None else ""


def adaptive_factor(result, k: int, a: float) -> float | None:
    """What one step multiplies the error by along P⁻¹H's top eigenvector (eigenvalue ``a``) at
    row ``k`` with P frozen: the spectral radius of the optimizer's momentum recurrence
    (> 1 exactly above the adaptive edge)."""
    pre = _preconditioner(result)
    if pre is None or not math.isfinite(a):
        return None
    return float(pre.factor(float(result.path.lr[min(k, len(result.path) - 1)]), a, _hyper(result)))


def preconditioned_sharpness(result, compiled, rows):
    """λmax(P⁻¹H) at path rows ``rows`` (None for an optimizer without an adaptive edge).

    P is the optimizer's diagonal preconditioner of the update that moves x_k (row k), rebuilt
    from the recorded gradients by its registry entry (:mod:`gdx.optim.preconditioner`; Adam:
    P = (1 − β₁ᵗ)·diag(√v̂ + ε), t = k + 1, as Cohen et al. 2022 define it); H is f's Hessian at
    x_k, plus λ·I when the weight decay λ is coupled (L2).  λmax(P⁻¹H) is the top eigenvalue of
    the symmetric P^{-1/2}·H·P^{-1/2}, which has the same eigenvalues."""
    import numpy as np

    scaled = _scaled_hessians(result, compiled, rows)
    if scaled is None:
        return None
    _, m = scaled
    lam = np.full(len(m), np.nan)
    good = np.all(np.isfinite(m), axis=(1, 2))
    if good.any():
        lam[good] = np.linalg.eigvalsh(m[good])[:, -1]
    return lam


def _rebuilt_p(pre, path, hyper: dict, rows):
    """The diagonal P of each of ``rows`` rebuilt by ``pre`` from the path's gradients up to the last row."""
    upto = int(rows.max()) + 1
    return pre.p(path.grad[:upto], path.x[:upto], hyper, rows)


def _scaled_hessians(result, compiled, rows, **hyper_changes):
    """(P, P^{-1/2}·H·P^{-1/2}) at path rows ``rows`` (see :func:`preconditioned_sharpness`:
    P rebuilt by the registry's preconditioner with the run's hyperparameters, changed by
    ``hyper_changes``; H plus λ·I for a coupled weight decay); None without a preconditioner."""
    import numpy as np

    pre = _preconditioner(result)
    if pre is None:
        return None
    rows = np.asarray(rows, dtype=int)
    n = compiled.n
    if not len(rows):
        return np.empty((0, n)), np.empty((0, n, n))
    hyper = {**_hyper(result), **hyper_changes}
    path = result.path
    p = _rebuilt_p(pre, path, hyper, rows)
    hs = np.asarray(_quiet(compiled, lambda: compiled.hess(path.x[rows])), dtype=float).reshape(len(rows), n, n)
    if not pre.decoupled:
        from .optim.preconditioner import coupled_decay

        hs = hs + coupled_decay(hyper) * np.eye(n)
    with np.errstate(all="ignore"):
        d = 1 / np.sqrt(p)
        return p, d[:, :, None] * hs * d[:, None, :]


def gradient_share(result, compiled, rows):
    """How much of the preconditioner P the gradients build, at path rows ``rows``: Σᵢ uᵢ²·P⁰ᵢ/Pᵢ,
    u the top eigenvector of P^{-1/2}·H·P^{-1/2} and P⁰ the same P rebuilt with ε = 0 (1: P is
    all √v̂, the optimizer adapts it to the gradients; 0: P is all ε, a fixed rescaling of lr that
    cannot regulate λmax(P⁻¹H)).  None for an optimizer without an adaptive edge."""
    import numpy as np

    scaled = _scaled_hessians(result, compiled, rows)
    if scaled is None:
        return None
    p, m = scaled
    rows = np.asarray(rows, dtype=int)
    p0 = _rebuilt_p(_preconditioner(result), result.path, {**_hyper(result), "eps": 0.0}, rows) if len(rows) else p
    out = np.full(len(m), np.nan)
    with np.errstate(all="ignore"):
        share = p0 / p
    good = np.all(np.isfinite(m), axis=(1, 2)) & np.all(np.isfinite(share), axis=1)
    if good.any():
        u = np.linalg.eigh(m[good])[1][:, :, -1]
        out[good] = np.sum(u * u * share[good], axis=1)
    return out


def near_one(r: float) -> str:
    """r printed with enough digits to tell it from 1 (0.99996, not 1; 1.04 as 1.04)."""
    if not math.isfinite(r) or r == 1:
        return f"{r:.4g}"
    gap = abs(1 - r)
    digits = max(4, -math.floor(math.log10(gap)) + 1) if gap < 1 else 4
    return f"{r:.{digits}g}"


def floor_below_one(v: float, digits: int = 2) -> float:
    """A factor in (0, 1) rounded DOWN to the fewest digits beyond ``digits`` that keep it < 1
    (momentum 0.995 → 0.99, never 1.0): damping stays."""
    if not (0 < v < 1):
        return v
    d = digits
    while d < 17:
        q = 10.0**-d
        out = round(math.floor(v / q * (1 + 1e-12)) * q, d)
        if 0 < out < 1:
            return out
        d += 1
    return v
