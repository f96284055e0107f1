"""``gdx sweep``: one optimizer from one start for every setting of a 1-D or 2-D grid, as one batch.

The grid comes from the hyperparameter flags: a value ``A:B`` (``A:B:log``, ``A:B:lin``) or a
list ``a,b,c`` is an axis, a plain number is fixed (:func:`parse_grid`).  With ``--data`` and
several ``--batch-size`` values, the batch size is an axis too (:func:`sweep_batch_sizes`).  The
run itself is prepared by the one ``prepare`` — the swept values enter as (B, 1) hyperparameter
columns, so every value is
validated as a single run's would be, and the schedule, clipping, steps and tol are a single
run's too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..errors import ExitCode, GdxError


@dataclass
class SweepOutcome:
    prepared: Any  # gdx.app.prepare.Prepared (hyperparameters as per-run columns)
    result: Any  # gdx.sweep.SweepResult
    document: dict
    exit_code: ExitCode


def parse_grid(given: dict, *, num: int, grid_num: int, linear: bool):
    """(axes, fixed values) from the hyperparameter flags: ranges and lists become axes, in the
    table's order (a range on the first gets ``num`` values, on the second ``grid_num``); plain
    numbers stay fixed.  Without any range or list, the learning rate is swept over 1e-4:1."""
    from ..optim.hyper import HYPERPARAMETERS
    from ..sweep import Axis, parse_range

    if not swept_names(given):
        if given.get("lr") is None:
            given = {**given, "lr": "1e-4:1"}
    axes, fixed = [], {}
    for name in HYPERPARAMETERS:
        text = given.get(name)
        if text is None:
            continue
        h = HYPERPARAMETERS[name]
        if not h.sweepable:
            fixed[name] = _fixed_value(h, text)
            continue
        count = num if not axes else grid_num
        if isinstance(text, str) and ":" in text and "," not in text:
            from ..resources import check_axis

            check_axis(count, "--num" if not axes else "--grid-num")
        value = parse_range(name, text, count, log=False if (name == "lr" and linear) else None)
        if isinstance(value, Axis):
            axes.append(value)
        else:
            fixed[name] = value
    if len(axes) > 2:
        names = ", ".join("--" + a.name.replace("_", "-") for a in axes)
        raise GdxError(f"at most two parameters can be swept at once, got {len(axes)} ranges ({names})",
                       kind="usage error", hint="give a single value to all but two of them")
    return tuple(axes), fixed


def swept_names(given: dict) -> list[str]:
    """The sweepable hyperparameters whose flag gives a range or a list (gdx.sweep.is_axis_text)."""
    from ..optim.hyper import HYPERPARAMETERS
    from ..sweep import is_axis_text

    return [name for name, text in given.items() if HYPERPARAMETERS[name].sweepable and is_axis_text(text)]


def _refuse_num_of_a_list(given: dict, axes, num, grid_num) -> None:
    """--num / --grid-num count the values of a range: refused when that axis is a list."""
    from .flags import refuse_inapplicable

    listed = [i for i, a in enumerate(axes) if "," in str(given.get(a.name, ""))]
    refuse_inapplicable({"--num": num is not None and 0 in listed, "--grid-num": grid_num is not None and 1 in listed},
                        because="with a list of values", hint="a list a,b,c gives its own values; --num counts those of a range A:B")


def _fixed_value(h, value):
    """A bool or pair hyperparameter of a sweep: always fixed (only numbers can be swept); a
    range ``A:B`` given to one is refused, text is parsed (``"0.5,1.2"``, ``"true"``)."""
    what = {"bool": "a switch (true or false)", "pair": "a pair of numbers", "int": "a whole number",
            "choice": "a choice (" + ", ".join(h.choices) + ")"}[h.kind]
    if isinstance(value, str) and ":" in value:
        raise GdxError(f"{h.flag} is {what} and cannot be swept: only numbers take a range A:B",
                       kind="usage error", source=value, span=(0, max(1, len(value))),
                       hint=f"give {h.flag} one value and sweep a number, for example --lr 1e-4:1")
    return h.parse(value) if isinstance(value, str) else value


def sweep_axes(request, axes, *, metric: str = "loss", target=None, compiled=None) -> SweepOutcome:
    """Run the grid ``axes`` with the request's optimizer, settings and start (see the module docstring)."""
    from ..resources import check_batch
    from ..sweep import METRICS, grid_settings, run_sweep
    from .prepare import check_defined, compile_target, plan, settings
    from .runs import target_fields

    if metric not in METRICS:
        raise GdxError(f"--metric: unknown metric '{metric}'", kind="usage error", hint="choose loss or steps")
    cells = 1
    for axis in axes:
        cells *= len(axis.values)
    shape = " × ".join(str(len(a.values)) for a in axes)
    # the memory of the grid before any other work (1 variable at least), then for the target's n
    check_batch(cells, target.problem.n if target is not None else None, flag="--num", number=shape, what="the sweep grid")
    params = grid_settings(tuple(axes))
    hyper = {**request.hyper, **{name: values[:, None] for name, values in params.items()}}
    prepared = plan(replace(request, hyper=hyper), target=target, keep_path=False)
    check_batch(cells, prepared.target.problem.n, flag="--num", number=shape, what="the sweep grid")
    prepared.compiled = compiled if compiled is not None else compile_target(prepared.target, prepared.timeout)
    check_defined(prepared.target, prepared.compiled, prepared.x0)
    result = run_sweep(prepared.compiled, prepared.optimizer, tuple(axes), params, prepared.x0, steps=prepared.steps,
                       tol=prepared.tol, metric=metric, schedule_fn=None if prepared.constant_lr else prepared.schedule,
                       clip_norm=prepared.clip_norm, shown=set(settings(request, prepared.target.preset)[1]),
                       batches=prepared.batches())
    document = {**target_fields(prepared.target), "schedule": prepared.schedule_name, "clip_norm": prepared.clip_norm,
                **result.to_dict()}
    code = ExitCode.RUN_FAILED if result.best is None else ExitCode.OK
    return SweepOutcome(prepared, result, document, code)


def sweep(request, given: dict, *, num: int | None = None, grid_num: int | None = None, linear: bool = False,
          metric: str = "loss") -> SweepOutcome:
    """``gdx sweep``: the grid from the flags ``given`` (name → text), fixed values into the request
    (``num`` 40 and ``grid_num`` 20 when not given; --grid-num with one range and --linear without an
    --lr range are refused)."""
    from ..sweep import METRICS

    if metric not in METRICS:
        raise GdxError(f"--metric: unknown metric '{metric}'", kind="usage error", hint="choose loss or steps")
    from .flags import refuse_inapplicable

    axes, fixed = parse_grid(given, num=40 if num is None else num, grid_num=20 if grid_num is None else grid_num,
                             linear=linear)
    _refuse_num_of_a_list(given, axes, num, grid_num)
    refuse_inapplicable({"--grid-num": grid_num is not None and len(axes) < 2}, because="with one swept range",
                        hint="--grid-num sets the values of a second range (e.g. --momentum 0:0.99)")
    refuse_inapplicable({"--linear": linear and "lr" not in [a.name for a in axes]}, because="unless --lr is a range",
                        hint="--linear spaces an --lr range A:B linearly")
    return sweep_axes(replace(request, hyper={**request.hyper, **fixed}), axes, metric=metric)


def parse_batch_sizes(text: str, rows: int | None = None) -> tuple[int, ...]:
    """``--batch-size`` of a sweep: ``"8,32,128"`` (those sizes) or ``"A:B"`` (A, the powers of
    two strictly between, and B), each a whole number ≥ 1, ascending and without repeats."""
    text = str(text).strip()

    def size(raw: str) -> int:
        raw = raw.strip()
        if not raw.isdigit() or int(raw) < 1:
            raise GdxError(f"--batch-size: '{raw}' is not a whole number ≥ 1", kind="usage error", source=text,
                           hint='sweep batch sizes with "8,32,128" or a range "8:256" (powers of two)')
        return int(raw)

    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise GdxError("--batch-size: a range is A:B", kind="usage error", source=text)
        a, b = size(parts[0]), size(parts[1])
        if a >= b:
            raise GdxError(f"--batch-size: the range {a}:{b} must go up", kind="usage error", source=text)
        sizes = {a, b} | {2 ** e for e in range(1, b.bit_length() + 1) if a < 2 ** e < b}
    else:
        sizes = {size(p) for p in text.split(",") if p.strip()}
    return tuple(sorted(sizes))


def sweep_batch_sizes(request, sizes, *, given=None, metric: str = "loss", grid=(None, None, False)) -> SweepOutcome:
    """``gdx sweep --data FILE --batch-size A:B``: one run per batch size, each with the documented
    shuffle rule, the request's seed and its own ``--eval-every`` cadence, judged by the full-data
    loss at its end (a batch size ≥ the rows is the full-batch run).  With one hyperparameter
    given a range or a list too (``given``), a 2-D grid: that hyperparameter is the first axis
    (the heatmap's columns), the batch size the second (its rows), and each batch size's
    settings run as one batch on the same rows.  ``grid`` is (--num, --grid-num, --linear):
    --num and --linear apply to the hyperparameter's range; --grid-num never (the sizes listed are
    that axis's values)."""
    from .flags import refuse_inapplicable
    from ..sweep import METRICS

    if metric not in METRICS:
        raise GdxError(f"--metric: unknown metric '{metric}'", kind="usage error", hint="choose loss or steps")
    num, grid_num, linear = grid
    given = given or {}
    swept = swept_names(given)
    if not swept:
        refuse_inapplicable({"--num": num is not None, "--grid-num": grid_num is not None, "--linear": bool(linear)},
                            because="when --batch-size is swept", hint="the batch sizes listed are the sweep's values")
        axis, fixed = None, fixed_hyper(given)
    else:
        if len(swept) > 1:
            names = ", ".join("--" + n.replace("_", "-") for n in swept)
            raise GdxError(f"at most two parameters can be swept at once, got --batch-size and {len(swept)} ranges "
                           f"({names})", kind="usage error",
                           hint="sweep --batch-size with one hyperparameter; give the others a single value")
        refuse_inapplicable({"--grid-num": grid_num is not None}, because="when --batch-size is swept",
                            hint="the batch sizes listed are the second axis; --num sets the values of the range")
        (axis,), fixed = parse_grid(given, num=40 if num is None else num, grid_num=20, linear=linear)
        _refuse_num_of_a_list(given, (axis,), num, None)
        refuse_inapplicable({"--linear": linear and axis.name != "lr"}, because="unless --lr is a range",
                            hint="--linear spaces an --lr range A:B linearly")
    return _batch_size_grid(replace(request, hyper={**request.hyper, **fixed}), tuple(sizes), axis, metric)


def _batch_size_grid(request, sizes, axis, metric: str) -> SweepOutcome:
    """Run every batch size of ``sizes`` (and every value of ``axis``, when given) from the
    request's start: one :func:`gdx.batch.run_batch` per size, its settings as rows."""
    import time

    import numpy as np

    from ..batch import run_batch
    from ..resources import check_axis, check_batch
    from ..sweep import Axis, SweepResult, best_run, full_data_loss, grid_settings, stable_lr
    from .prepare import check_defined, compile_target, plan, settings
    from .runs import target_fields

    if request.data is None:
        raise GdxError("--batch-size needs --data", kind="usage error",
                       hint="--data FILE makes FUNCTION a per-example loss averaged over its rows")
    check_axis(len(sizes), "--batch-size")
    per = 1 if axis is None else len(axis.values)  # the runs of one batch size, run as one batch
    check_batch(per, None, flag="--num", number=per, what="the runs of one batch size")
    values = {} if axis is None else grid_settings((axis,))
    hyper = {**request.hyper, **{name: v[:, None] for name, v in values.items()}}
    plans = [plan(replace(request, batch_size=int(sizes[0]), hyper=hyper), keep_path=False)]
    target = plans[0].target
    plans += [plan(replace(request, batch_size=int(B), hyper=hyper), target=target, keep_path=False) for B in sizes[1:]]
    check_batch(per, target.problem.n, flag="--num", number=per, what="the runs of one batch size")
    compiled = compile_target(target, plans[0].timeout)
    check_defined(target, compiled, plans[0].x0)
    first = plans[0]
    status, loss, steps = [], [], []
    point_steps, started = 0, time.perf_counter()
    for p in plans:
        res = run_batch(compiled, p.optimizer, np.tile(np.asarray(p.x0, float), (per, 1)), steps=p.steps, tol=p.tol,
                        schedule_fn=None if p.constant_lr else p.schedule, clip_norm=p.clip_norm, batches=p.batches())
        minibatch = p.sampling is not None and p.sampling[1] < p.sampling[0]  # judged by the full-data loss at its ends
        full = full_data_loss(compiled, res.x, res.fun) if minibatch else np.asarray(res.fun, dtype=float)
        status += list(res.status)
        loss += full.tolist()
        steps += res.nit.tolist()
        point_steps += res.point_steps
    size_axis = Axis("batch_size", tuple(float(B) for B in sizes), True)
    axes = (size_axis,) if axis is None else (axis, size_axis)
    params = {"batch_size": np.repeat(np.array(sizes, dtype=float), per)}
    if axis is not None:
        params = {axis.name: np.tile(values[axis.name], len(sizes)), **params}
    s_lr, lam = stable_lr(compiled, first.x0)
    shown = set(settings(request, target.preset)[1])
    fixed = {k: (v if isinstance(v, (bool, tuple)) else float(v)) for k, v in first.optimizer.hyper.items()
             if getattr(v, "ndim", 0) == 0 and (k in shown or k == "lr")}
    loss_a, steps_a = np.array(loss), np.array(steps)
    result = SweepResult(axes=axes, fixed=fixed, optimizer=first.optimizer.name,
                         x0=tuple(float(v) for v in first.x0), metric=metric, params=params, status=status,
                         loss=loss_a, steps=steps_a, max_steps=first.steps, tol=first.tol,
                         best=best_run(metric, status, loss_a, steps_a), stable_lr=s_lr, lambda_max=lam,
                         wall_time=time.perf_counter() - started, point_steps=point_steps)
    document = {**target_fields(target), "schedule": first.schedule_name, "clip_norm": first.clip_norm,
                "seed": first.sampling[2] if first.sampling else 0, **result.to_dict()}
    code = ExitCode.RUN_FAILED if result.best is None else ExitCode.OK
    return SweepOutcome(first, result, document, code)


def fixed_hyper(given: dict) -> dict:
    """The hyperparameter flags of a 1-D batch-size sweep: single values only (name → value)."""
    from ..optim.hyper import HYPERPARAMETERS
    from ..sweep import parse_range

    fixed = {}
    for name, text in given.items():
        h = HYPERPARAMETERS[name]
        fixed[name] = _fixed_value(h, text) if not h.sweepable else parse_range(name, text, 1)
    return fixed
