"""The single-run loop on Python floats: generated per optimizer, bit-identical to :mod:`gdx.loop`.

For a run of the common kind — no minibatches, n ≤ :data:`MAX_N` variables, f and ∇f compiled as
one plain function of a list (:class:`gdx.compile.Compiled`), scalar hyperparameters, an optimizer
of :data:`RULES`, a schedule that neither observes the loss nor cycles momentum, no clipping and
no callback — :func:`plan` gives a :class:`FastRun`: a function generated once per
(optimizer, hyperparameters, n) whose loop keeps x and the optimizer's state in local floats,
pastes in ``compiled._fg``'s own statements (or calls it on ``[x0, x1, …]``) and writes each
step into columns (lists), with every update in **exactly** the operations and order of the
numpy rule (gdx/optim/*.py), so its path is the generic loop's, bit for bit (‖∇f‖ aside:
√(Σgᵢ²) summed in order, where numpy's dot may round in another order, ≤ 1 ulp).

It runs a step k while the common case of the stopping rules holds (‖∇f‖ > tol, f, ‖∇f‖ and
Σxᵢ finite, |f − f₀| ≤ band — tested conservatively: :func:`threshold`, :func:`inside`) and
k < steps.  It stops *before* recording step k, and hands the
run to the generic loop at that exact step, when

* the common case fails (convergence, divergence, a fault, the band, k = steps): the pending f
  and ∇f of x_k go with it (already counted), so the generic rules decide with the same numbers;
* Python floats raise where numpy gives inf or nan (ZeroDivisionError, OverflowError, a complex
  power → TypeError, math.sqrt of a negative → ValueError, …), in ∇f or in the update: nothing of
  step k is kept or counted and the generic loop evaluates x_k again with numpy.

The state handed over is x_k and the optimizer's state as numpy arrays (its NamedTuple, field by
field), so verdicts, faults and messages are the generic loop's own.  ``compiled.nfev``/``njev``
count one evaluation per recorded step plus the pending one, as the generic loop does.
"""

from __future__ import annotations

import math
from typing import NamedTuple

#: Largest number of variables the generated loop unrolls.
MAX_N = 8
#: Steps per block (one ``StepBlock`` event, one write of the export).
BLOCK = 4096

#: Off: every run takes the generic loop (the tests compare both).
ENABLED = True
#: Runs that took the fast path in this process (the tests check that reference runs do).
TAKEN = 0

_CACHE: dict = {}
#: Generated loops kept (then the cache starts again).
CACHE_SIZE = 256


# -- eligibility --------------------------------------------------------------------------------


def rule_of(optimizer):
    """(name, hyperparameters, maximize) when ``optimizer`` was made by :func:`gdx.optim.make_optimizer`
    with scalar hyperparameters and has a rule here, else None."""
    rule = getattr(optimizer.update, "fast_rule", None)
    if rule is None or rule[0] not in RULES:
        return None
    name, hyper, maximize = rule
    if not all(type(v) in (float, bool) for v in hyper.values()):
        return None
    return rule


def plan(compiled, optimizer, schedule, *, clip=None, callback=None, batches=None, cycle=None, watched=None):
    """The fast path of this run, or None when it must take the generic loop (module docstring)."""
    from .compile import Compiled

    if clip is not None or callback is not None or batches is not None or cycle is not None or watched is not None:
        return None
    if not isinstance(compiled, Compiled) or type(compiled).value_and_grad is not Compiled.value_and_grad:
        return None
    if not 1 <= compiled.n <= MAX_N or getattr(optimizer, "needs_loss", False) or optimizer.needs_hessian:
        return None
    rule = rule_of(optimizer)
    if rule is None:
        return None
    constant = getattr(schedule, "constant_lr", None)
    constant = constant if type(constant) is float else None
    return FastRun(compiled, rule, compiled.n, schedule, constant)


# -- code generation ------------------------------------------------------------------------------


def _c(value: float) -> str:
    """A float as a literal that reads back exactly."""
    return f"({float(value)!r})"


def _lerp(start: str, end: str, weight: float) -> str:
    """gdx.optim.base.lerp for a float weight, as an expression."""
    if abs(weight) < 0.5:
        return f"{start} + {_c(weight)} * ({end} - {start})"
    return f"{end} - ({end} - {start}) * {_c(1 - weight)}"


def _grad(h, maximize: bool, decay: str = "weight_decay") -> list[str]:
    """u_i: the gradient the rule sees — negated with maximize, then + λ·x (L2, skipped at λ = 0)."""
    g = "-g{i}" if maximize else "g{i}"
    if decay and h[decay] != 0.0:
        return [f"u{{i}} = {g} + {_c(h[decay])} * x{{i}}"]
    return [f"u{{i}} = {g}"]


def _gd(h, maximize):
    """gd (gdx.optim.sgd.gd): x ← x + (−lr)·(g + λx)."""
    return [], ["nl = -lr"], [*_grad(h, maximize), "n_x{i} = x{i} + nl * u{i}"]


def _sgd_momentum(nesterov: bool):
    def rule(h, maximize):
        """momentum / nesterov (gdx.optim.sgd._momentum): b ← g (t = 1) else b·μ + (1 − τ)·g."""
        mu = _c(h["momentum"])
        damp = 1 - h.get("dampening", 0.0)
        scaled = "u{i}" if damp == 1.0 else f"{_c(damp)} * u{{i}}"  # 1.0·u is u, bit for bit
        step = f"u{{i}} + {mu} * n_s0_{{i}}" if nesterov else "n_s0_{i}"
        per = [*_grad(h, maximize),
               f"n_s0_{{i}} = u{{i}} if first else s0_{{i}} * {mu} + {scaled}",
               f"n_x{{i}} = x{{i}} + nl * ({step})"]
        return ["buf"], ["nl = -lr", "first = k == 0"], per
    return rule


def _adam(decoupled: bool):
    def rule(h, maximize):
        """adam / adamw (gdx.optim.adam._adam), torch's order of operations."""
        wd = h["weight_decay"]
        pre = ["t = k + 1", "bc1 = 1 - " + _c(h["beta1"]) + " ** t", "bc2 = 1 - " + _c(h["beta2"]) + " ** t",
               "nss = -(lr / bc1)", "sb2 = bc2 ** 0.5"]
        per = _grad(h, maximize, decay="" if decoupled else "weight_decay")
        xw = "x{i}"
        if decoupled and wd != 0.0:
            pre.append(f"shrink = 1 - lr * {_c(wd)}")
            per.append("xw{i} = x{i} * shrink")
            xw = "xw{i}"
        per.append("n_s0_{i} = " + _lerp("s0_{i}", "u{i}", 1 - h["beta1"]))
        per.append(f"n_s1_{{i}} = s1_{{i}} * {_c(h['beta2'])} + {_c(1 - h['beta2'])} * u{{i}} * u{{i}}")
        if h.get("amsgrad"):  # np.maximum: NaN wins
            per.append("n_s2_{i} = s2_{i} if (s2_{i} >= n_s1_{i} or s2_{i} != s2_{i}) else n_s1_{i}")
            root = "n_s2_{i}"
        else:
            per.append("n_s2_{i} = s2_{i}")
            root = "n_s1_{i}"
        per.append(f"n_x{{i}} = {xw} + nss * n_s0_{{i}} / (_sqrt({root}) / sb2 + {_c(h['eps'])})")
        return ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], pre, per
    return rule


def _rmsprop(h, maximize):
    """rmsprop (gdx.optim.rmsprop.rmsprop)."""
    alpha = h["alpha"]
    per = [*_grad(h, maximize),
           f"n_s0_{{i}} = s0_{{i}} * {_c(alpha)} + {_c(1 - alpha)} * u{{i}} * u{{i}}"]
    if h.get("centered"):
        per += ["n_s2_{i} = " + _lerp("s2_{i}", "u{i}", 1 - alpha),
                f"av{{i}} = _sqrt(n_s0_{{i}} - n_s2_{{i}} * n_s2_{{i}}) + {_c(h['eps'])}"]
    else:
        per += ["n_s2_{i} = s2_{i}", f"av{{i}} = _sqrt(n_s0_{{i}}) + {_c(h['eps'])}"]
    if h["momentum"] == 0.0:
        per += ["n_s1_{i} = s1_{i}", "n_x{i} = x{i} + nl * u{i} / av{i}"]
    else:
        per += [f"n_s1_{{i}} = s1_{{i}} * {_c(h['momentum'])} + u{{i}} / av{{i}}", "n_x{i} = x{i} + nl * n_s1_{i}"]
    return ["square_avg", "momentum_buffer", "grad_avg"], ["nl = -lr"], per


def _adagrad(h, maximize):
    """adagrad (gdx.optim.adagrad.adagrad)."""
    per = [*_grad(h, maximize), "n_s0_{i} = s0_{i} + u{i} * u{i}",
           f"n_x{{i}} = x{{i}} + ncl * u{{i}} / (_sqrt(n_s0_{{i}}) + {_c(h['eps'])})"]
    return ["sum"], ["t = k + 1", f"ncl = -(lr / (1 + (t - 1) * {_c(h['lr_decay'])}))"], per


#: optimizer name → rule(hyper, maximize) -> (state fields, per-step lines, per-coordinate lines)
RULES = {
    "gd": _gd, "momentum": _sgd_momentum(False), "nesterov": _sgd_momentum(True),
    "adam": _adam(False), "adamw": _adam(True), "rmsprop": _rmsprop, "adagrad": _adagrad,
}


def _aliased(lines: list[str]) -> list[str]:
    """Drop the copies ``n_v = v`` (state kept as is) and ``u_i = g_i`` (gradient used as is) by
    writing the name they copy where they are read."""
    import re

    assigned: dict = {}
    for line in lines:
        target = line.split(" = ", 1)[0]
        assigned[target] = assigned.get(target, 0) + 1
    out, alias = [], {}
    for line in lines:
        for name, same in alias.items():
            line = re.sub(rf"\b{name}\b", same, line)
        m = re.fullmatch(r"(\w+) = (\w+)", line)
        if m and (m.group(1).startswith("u") or m.group(1).startswith("n_s")) and assigned[m.group(1)] == 1:
            alias[m.group(1)] = m.group(2)
            continue
        out.append(line)
    return out, alias


def inlined(fg, n: int):
    """The statements of ``fg`` (lambdify's code, checked by gdx.derive.check_generated) to paste
    into the loop, its locals renamed ``_c_…`` and its arguments read from x0, x1, …, ending in
    ``f, g0, … = …``; None when the code is not of that plain shape (then the loop calls fg)."""
    import ast

    import inspect

    from .derive import check_generated

    try:
        source_text = getattr(fg, "gdx_source", None) or inspect.getsource(fg)
        check_generated(source_text, fg.__globals__)
        func = ast.parse(source_text).body[0]
    except Exception:  # noqa: BLE001 - no source, or not lambdify's shape: call the function instead
        return None
    body = func.body
    if len(func.args.args) != 1 or len(body) < 2 or not isinstance(body[0], ast.Assign) \
            or not isinstance(body[-1], ast.Return) or not isinstance(body[-1].value, (ast.List, ast.Tuple)):
        return None
    first, ret = body[0], body[-1].value
    targets = first.targets[0] if len(first.targets) == 1 else None
    if not isinstance(targets, (ast.List, ast.Tuple)) or len(targets.elts) != n or len(ret.elts) != n + 1 \
            or not all(isinstance(t, ast.Name) for t in targets.elts) \
            or not (isinstance(first.value, ast.Name) and first.value.id == func.args.args[0].arg):
        return None
    rename = {t.id: f"x{i}" for i, t in enumerate(targets.elts)}
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in rename:
            rename[node.id] = f"_c_{node.id}"
    for stmt in body[1:]:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and node.id in rename:
                node.id = rename[node.id]
    lines = [ast.unparse(stmt) for stmt in body[1:-1]]
    lines.append(", ".join(["f"] + [f"g{i}" for i in range(n)]) + ", = " + ", ".join(ast.unparse(e) for e in ret.elts))
    return lines


def source(rule, n: int, constant_lr: float | None, evaluate: list[str] | None = None) -> tuple[str, int]:
    """The generated block function of ``rule`` on n variables, and its number of state fields.

    ``block(fg, schedule, X, S, k, kend, above, lo, hi, cols)`` runs steps k … kend−1 (the
    common case of the stopping rules tested as ‖∇f‖² > above and lo < f < hi: :func:`threshold`,
    :func:`inside`) and returns
    ``(i, k, X, S, pending)``: i steps written to ``cols`` (loss, x₀…, g₀…, and lr unless
    constant; ‖∇f‖ is recomputed from the g columns by the same operations), the step it stopped
    before, x and state there, and (f, g₀, …) of that step when it was evaluated and the stopping
    rules' common case failed (else None).  ``evaluate``: fg's own statements (:func:`inlined`) to
    paste in place of the call."""
    import re

    name, hyper, maximize = rule
    fields, pre, per = RULES[name](hyper, maximize)
    xs = [f"x{i}" for i in range(n)]
    gs = [f"g{i}" for i in range(n)]
    ss = [f"s{j}_{i}" for j in range(len(fields)) for i in range(n)]
    tup = lambda names: "(" + "".join(f"{v}, " for v in names) + ")"  # noqa: E731
    step_lines, alias = _aliased([*pre, *[line.format(i=i) for i in range(n) for line in per]])
    new_ss = [alias.get(f"n_{v}", f"n_{v}") for v in ss]
    changed = [(v, nv) for v, nv in zip(xs + ss, [f"n_{v}" for v in xs] + new_ss) if v != nv]
    lr = "lr = float(schedule(k))"
    if constant_lr is not None:  # the literal in place of lr, −lr
        lr = None
        step_lines = [line.replace("nl = -lr", f"nl = {_c(-constant_lr)}") for line in step_lines]
        step_lines = [re.sub(r"\blr\b", _c(constant_lr), line) for line in step_lines]
        step_lines = [line for line in step_lines if line != f"nl = {_c(-constant_lr)}"]
        step_lines = [re.sub(r"\bnl\b", _c(-constant_lr), line) for line in step_lines]
    uses_k = lr is not None or any(re.search(r"\bk\b", line) for line in step_lines)
    columns = ["F"] + [f"X{i}" for i in range(n)] + [f"G{i}" for i in range(n)] + ([] if constant_lr is not None else ["LR"])
    # an update of only + − × (gd, momentum, nesterov) cannot raise: it may write x and the state
    # in place after the step is recorded, with no temporaries
    in_place = not any(("/" in line or "_sqrt" in line or "**" in line) for line in step_lines)
    if in_place:
        step_lines = [re.sub(r"\bn_(x\d+|s\d+_\d+)\b", r"\1", line) for line in step_lines]
    record = [
        "F[i] = f",
        *[f"X{i}[i] = x{i}" for i in range(n)], *[f"G{i}[i] = g{i}" for i in range(n)],
        *(["LR[i] = lr"] if constant_lr is None else []),
    ]
    body = [
        *(evaluate or [f"{', '.join(['f'] + gs)}, = fg([{', '.join(xs)}])"]),
        f"gg = {' + '.join(f'g{i} * g{i}' for i in range(n))}",
        # the common case of the stopping rules: ‖∇f‖² > above (⇒ ‖∇f‖ > tol, see threshold); a NaN or
        # ±inf in ‖∇f‖² or x makes (‖∇f‖² + Σx)·0 NaN (an overflowing sum only hands over early);
        # lo < f < hi (⇒ |f − f₀| ≤ band, see FastRun.blocks) is False for a NaN or ±inf f and
        # raises TypeError for a complex one (a fractional power of a negative number)
        f"if not (gg > above and lo < f < hi and (gg + {' + '.join(xs)}) * 0.0 == 0.0):",
        f"    return i, k0 + i, {tup(xs)}, {tup(ss)}, {tup(['f'] + gs)}",
        *(["k = k0 + i"] if uses_k else []),
        *([lr] if lr else []),
        *((record + step_lines) if in_place else
          (step_lines + record + [f"{', '.join(v for v, _ in changed)}, = {', '.join(nv for _, nv in changed)},"])),
    ]
    lines = [
        "def block(fg, schedule, X, S, k0, kend, above, lo, hi, cols):",
        f"    {tup(xs)} = X",
        *([f"    {tup(ss)} = S"] if ss else []),
        f"    {tup(columns)} = cols",
        "    i = 0",
        "    m = kend - k0",  # steps i < m are run; i at a return is the number recorded
        "    try:",
        "        for i in range(m):",
        *["            " + line for line in body],
        "    except Exception:",
        f"        return i, k0 + i, {tup(xs)}, {tup(ss)}, None",
        "    except KeyboardInterrupt:",
        f"        return i, k0 + i, {tup(xs)}, {tup(ss)}, INTERRUPTED",
        f"    return m, kend, {tup(xs)}, {tup(ss)}, None",
    ]
    return "\n".join(lines) + "\n", len(columns)


#: ``pending`` of a block stopped by Ctrl-C (its rows so far are kept).
INTERRUPTED = "interrupted"


def compiled_block(rule, n: int, constant_lr: float | None, fg=None):
    """The block function (generated once per rule, n, constant lr and, when fg's code is pasted
    in, fg's source) and its number of columns."""
    evaluate = inlined(fg, n) if fg is not None else None
    key = (rule[0], tuple(sorted(rule[1].items())), rule[2], n, constant_lr, tuple(evaluate or ()))
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:  # a long session (explore) makes one per learning rate tried
            _CACHE.clear()
        _CACHE[key] = _build(rule, n, constant_lr, evaluate, fg)
    return _CACHE[key]


def _build(rule, n, constant_lr, evaluate, fg):
    text, ncols = source(rule, n, constant_lr, evaluate)
    namespace = dict(fg.__globals__) if evaluate else {}
    namespace.update({"_sqrt": math.sqrt, "INTERRUPTED": INTERRUPTED})
    exec(compile(text, "<gdx-fastloop>", "exec"), namespace)  # noqa: S102 - our template + fg's checked code
    block = namespace["block"]
    if evaluate and set(block.__code__.co_varnames) & set(block.__code__.co_names) - {"float"}:
        return _build(rule, n, constant_lr, None, fg)  # a global of fg's code is one of the loop's locals: call fg
    return block, ncols


# -- running ---------------------------------------------------------------------------------------


class Handover(NamedTuple):
    """Where the generic loop takes over: step k, x_k and the state (numpy), f₀ and its band,
    and the pending (f, ∇f) of x_k (None: evaluate x_k again); ``interrupted``: Ctrl-C came."""

    k: int
    x: object
    state: object
    f0: float | None
    band: float | None
    pending: tuple | None
    interrupted: bool = False


class FastRun:
    """One run's fast path: :meth:`blocks` yields the steps as :class:`gdx.result.Path` chunks and
    returns a :class:`Handover`."""

    def __init__(self, compiled, rule, n: int, schedule, constant_lr) -> None:
        self.compiled, self.rule, self.n, self.schedule = compiled, rule, n, schedule
        self.constant_lr = constant_lr
        self.block, self.ncols = compiled_block(rule, n, constant_lr, compiled._fg)

    def blocks(self, x, state, steps: int, tol: float, block_size: int = BLOCK, record=None):
        """Generator of Path chunks (k, x, loss, grad, ‖∇f‖, lr) of the steps run here; its
        return value (StopIteration.value) is the Handover.  ``record``: called with each chunk
        before it is yielded, with Ctrl-C held (a PathRecord's ``add_block``: the steps kept and
        exported are then the same)."""
        import numpy as np

        from .stopping import EXPLOSION

        n, compiled, fg, block = self.n, self.compiled, self.compiled._fg, self.block
        kind = type(state)
        X, S = tuple(x.tolist()), tuple(v for field in state for v in np.asarray(field, float).tolist())
        above = threshold(tol)
        if len(S) != n * len(state) or above is None:
            return Handover(0, x, state, None, None, None)
        cols = [[0.0] * block_size for _ in range(self.ncols)]
        k, f0, band, done = 0, None, None, None
        while done is None:
            # step 0 alone (its f is f₀; any finite f is in its band), then blocks of block_size
            kend = min(steps, k + (1 if f0 is None else block_size))
            with _deferred_sigint() as sigint:
                i, k, X, S, pending = block(fg, self.schedule, X, S, k, kend, above, *inside(f0, band), cols)
                if pending is INTERRUPTED:
                    sigint.hit, pending = True, None
                elif pending is not None and any(isinstance(v, complex) for v in pending):
                    pending = None  # a complex value (Python's power of a negative number): numpy evaluates again
                compiled.nfev += i + (pending is not None)
                compiled.njev += i + (pending is not None)
                chunk = self._chunk(cols, k, i) if i else None
                if chunk is not None and record is not None:
                    record(chunk)
                if f0 is None and chunk is not None:
                    f0 = float(chunk.loss[0])
                    band = EXPLOSION * (1 + abs(f0))
                if k < kend or k >= steps or sigint.hit:
                    done = Handover(k, np.array(X, dtype=float),
                                    kind(*(np.array(S[j * n:(j + 1) * n], dtype=float) for j in range(len(state)))),
                                    f0, band, pending, sigint.hit)
            if chunk is not None:
                yield chunk
        return done

    def _chunk(self, cols, k: int, i: int):
        """Steps k − i … k − 1 from the columns as a Path (‖∇f‖ as the loop computed it:
        √(g₀·g₀ + g₁·g₁ + …), elementwise in the same order; lr filled in when constant)."""
        import numpy as np

        from .result import Path

        n = self.n
        column = lambda c: np.fromiter(c, float, i)  # noqa: E731 - the first i entries
        loss = column(cols[0])
        xs = np.stack([column(c) for c in cols[1:1 + n]], axis=1)
        gs = np.stack([column(c) for c in cols[1 + n:1 + 2 * n]], axis=1)
        squares = gs[:, 0] * gs[:, 0]
        for j in range(1, n):
            squares = squares + gs[:, j] * gs[:, j]
        lr = np.full(i, self.constant_lr) if self.constant_lr is not None else column(cols[-1])
        return Path((), np.arange(k - i, k), xs, loss, gs, np.sqrt(squares), lr)


def threshold(tol: float) -> float | None:
    """The loop tests ‖∇f‖² = Σgᵢ² > above instead of √(Σgᵢ²) > tol (no square root per step):
    for tol < 0 any non-NaN passes (above = −1), for tol = 0 above = 0 (both exact); for
    1e-150 ≤ tol ≤ 1e150, above = tol²·(1 + 1e-9), so Σgᵢ² > above implies the rounded √ > tol
    (a point within that sliver of tol hands over early, and the generic rule decides it
    exactly).  None (generic loop) for a tol beyond that range."""
    if tol < 0:
        return -1.0
    if tol == 0:
        return 0.0
    if 1e-150 <= tol <= 1e150:
        return tol * tol * (1 + 1e-9)
    return None


def inside(f0: float | None, band: float | None) -> tuple[float, float]:
    """(lo, hi) with lo < f < hi ⇒ |f − f₀| ≤ band, the interval narrowed by a relative 1e-9 so that
    rounding in f₀ ± band and in f − f₀ cannot matter (band ≥ 1e10·|f₀|, so each rounding is below
    1e-25 of it); an f in the sliver left out hands over early.  Before step 0 (f₀ None): every
    finite f short of the largest float."""
    if f0 is None:
        f0, band = 0.0, _LARGEST
    margin = band * (1 - 1e-9)
    return f0 - margin, f0 + margin


_LARGEST = 1.7976931348623157e308


class _deferred_sigint:
    """Ctrl-C (and SIGTERM/SIGHUP where gdx's CLI handles them like Ctrl-C) during a block's
    computation and bookkeeping is held instead of raised half-way, so every step computed is
    recorded and exported: SIGINT sets ``hit`` (the run then ends as interrupted); a held
    SIGTERM/SIGHUP goes to its own handler on leaving (which raises there).  Only in the main
    thread, and SIGINT only where Python's default handler is installed."""

    def __enter__(self):
        import signal
        import threading

        self.hit, self.old, self.held = False, {}, []
        if threading.current_thread() is not threading.main_thread():
            return self
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.old[signal.SIGINT] = signal.signal(signal.SIGINT, self._hold)
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None and callable(signal.getsignal(signum)):
                self.old[signum] = signal.signal(signum, self._hold)
        return self

    def _hold(self, signum, frame):
        import signal

        if signum == signal.SIGINT:
            self.hit = True
        else:
            self.held.append(signum)

    def __exit__(self, *exc):
        import signal

        for signum, handler in self.old.items():
            signal.signal(signum, handler)
        for signum in self.held:
            self.old[signum](signum, None)
        return False
