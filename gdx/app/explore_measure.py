"""What the explorer's side panel measures on a run: the stability gauge (lr against the
optimizer's stable bound, or λmax(P⁻¹H) against the adaptive edge) and one update's arithmetic."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: the optimizers whose adaptive edge of stability gdx.symptoms states (Cohen et al. 2022).
ADAPTIVE_EDGE = ("adam", "adamw", "rmsprop")


@dataclass
class Gauge:
    """The stability gauge: lr against the optimizer's stable bound (sgd family: its rule on
    λmax(H)), or λmax(P⁻¹H) against the adaptive edge (Adam/AdamW/RMSprop).  ``ratio`` ≥ 1 is
    past the edge; ``start`` is at x₀, ``worst`` the largest along the path (at ``worst_step``)."""

    kind: str  # "lr" (lr / bound) or "adaptive" (λmax(P⁻¹H) / edge) or "none"
    rule: str
    start_value: float = math.nan  # the bound (or λmax(P⁻¹H)) at x₀
    start_ratio: float = math.nan
    worst_value: float = math.nan
    worst_ratio: float = math.nan
    worst_step: int = 0
    lam_start: float = math.nan  # λmax(H(x₀)) (or of P⁻¹H)
    edge: float = math.nan  # the adaptive edge (kind "adaptive")
    note: str = ""


@dataclass
class Arithmetic:
    """One update k → k+1, as the optimizer made it: g = ∇f(x_k), lr_k, the state after, the step."""

    k: int
    x: Any
    g: Any
    lr: float
    state: dict  # the optimizer's state after the update (name → array), empty for gd
    step: Any  # x_{k+1} − x_k
    x_next: Any
    clipped: Any = None  # the g the update took when --clip-norm shortened it (else None)


def gauge(prepared, result, compiled) -> Gauge:
    """The stability gauge of a run (see :class:`Gauge`), sampled at up to 64 points of the path."""
    import numpy as np

    from ..optim import OPTIMIZERS
    from ..symptoms import adaptive_edge_text, preconditioned_sharpness, sample_rows

    name = result.optimizer
    spec = OPTIMIZERS[name]
    rows = _finite_rows(result.path)
    if not len(rows):
        return Gauge("none", "", note="no finite point to measure")
    rows = rows[sample_rows(len(rows))]
    lrs = result.path.lr[rows]
    if spec.stability is not None:
        lam = _top_eigenvalues(compiled, result.path.x[rows])
        bound = np.array([spec.stable_lr(float(v), result.hyper) if v > 0 else math.inf for v in lam])
        return _gauge("lr", f"lr < {spec.stability_text}", rows, bound, lrs / bound, lam)
    if name in ADAPTIVE_EDGE:
        lam = preconditioned_sharpness(result, compiled, rows)
        edge = np.array([_adaptive_edge(result, int(r)) for r in rows])
        return _gauge("adaptive", "λmax(P⁻¹H) < " + adaptive_edge_text(result), rows, lam, lam / edge, lam, edge=edge)
    return Gauge("none", "", note=f"{name} has no stability rule gdx can state")


def _gauge(kind, rule, rows, value, ratio, lam, edge=None) -> Gauge:
    import numpy as np

    ok = np.isfinite(ratio)
    worst = int(np.argmax(np.where(ok, ratio, -np.inf))) if ok.any() else 0
    return Gauge(kind, rule, float(value[0]), float(ratio[0]), float(value[worst]), float(ratio[worst]), int(rows[worst]),
                 float(lam[0]), float(edge[0]) if edge is not None else math.nan)


def _adaptive_edge(result, row: int) -> float:
    """The adaptive edge (gdx.symptoms.adaptive_edge: the registry's rule) at path row ``row``'s lr."""
    from ..symptoms import adaptive_edge

    edge = adaptive_edge(result, row)
    return edge if edge is not None else math.nan


def _finite_rows(path):
    import numpy as np

    return np.nonzero(np.all(np.isfinite(path.x), axis=1) & np.isfinite(path.loss))[0]


def _top_eigenvalues(compiled, xs):
    """λmax(H(x)) at each row of ``xs`` (NaN where H is not finite)."""
    import numpy as np

    with np.errstate(all="ignore"):
        hs = np.asarray(compiled.hess(xs), float).reshape(len(xs), compiled.n, compiled.n)
    lam = np.full(len(xs), np.nan)
    good = np.all(np.isfinite(hs), axis=(1, 2))
    if good.any():
        lam[good] = np.linalg.eigvalsh(hs[good])[:, -1]
    return lam


def update_arithmetic(prepared, result, k: int) -> Arithmetic | None:
    """Update k → k+1 of the run made again by its optimizer from x₀ (the loop's order: g = ∇f(x_k),
    lr_k, clipping, t = k + 1), so the optimizer's state after it can be shown; the x_{k+1} it gives
    is the path's own row k+1 (checked: a mismatch shows nothing rather than wrong numbers)."""
    import numpy as np

    from ..loop import loss_of
    from ..momentum_cycle import cycle_of

    path = result.path
    if k < 0 or k + 1 >= len(path):
        return None
    optimizer, compiled = prepared.optimizer, prepared.compiled
    clip = (lambda g: g) if prepared.clip_norm is None else _clipper(prepared.clip_norm)
    cycle = cycle_of(optimizer, prepared.schedule)
    nfev = compiled.nfev
    with np.errstate(all="ignore"):
        state = (optimizer if cycle is None else cycle(optimizer, 0)).init(np.array(path.x[0], float))
        for i in range(k + 1):
            opt = optimizer if cycle is None else cycle(optimizer, i)
            x_i = np.array(path.x[i], float)
            x_next, state = opt.update(clip(np.array(path.grad[i], float)), state, x_i, float(path.lr[i]), i + 1, compiled,
                                       **loss_of(opt, float(path.loss[i])))
    compiled.nfev = nfev
    if not np.array_equal(np.asarray(x_next, float), path.x[k + 1]):
        return None
    fields = state._asdict() if hasattr(state, "_asdict") else {}
    g = np.array(path.grad[k], float)
    taken = clip(g)
    return Arithmetic(k, path.x[k], path.grad[k], float(path.lr[k]), fields, path.x[k + 1] - path.x[k], path.x[k + 1],
                      None if np.array_equal(taken, g) else taken)


def _clipper(max_norm: float):
    """The loop's clipping (gdx.optim.clip.clip_by_norm, torch's clip_grad_norm_ rule)."""
    from ..optim.clip import clip_by_norm

    return lambda g: clip_by_norm(g, max_norm)
