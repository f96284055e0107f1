"""What every command that runs an optimizer does with a run: drain it, diagnose it, describe it,
and turn its outcome into an exit status.  Plain data; no printing."""

from __future__ import annotations

from ..errors import ExitCode
from ..result import Finished, Status, Step, StepBlock


def consume(prepared, on_step=None, record=None, on_block=None):
    """Drain the run's events into ``on_step``; Ctrl-C still yields the Result so far.
    ``record``: the :class:`gdx.path_record.PathRecord` its steps go to (None: every step kept).
    The run's steps come in blocks where it can (:mod:`gdx.fastloop`): a block goes to
    ``on_block`` when given, else its steps to ``on_step`` one by one."""
    events = prepared.run(blocks=True) if record is None else prepared.run(record=record, blocks=True)
    result = None
    try:
        for event in events:
            if isinstance(event, Step):
                if on_step is not None:
                    on_step(event)
            elif isinstance(event, StepBlock):
                if on_block is not None:
                    on_block(event)
                elif on_step is not None:
                    for step in event.steps():
                        on_step(step)
            elif isinstance(event, Finished):
                result = event.result
    except KeyboardInterrupt:
        result = events.throw(KeyboardInterrupt).result
    return result


def run_exit_code(result) -> ExitCode:
    """OK for converged/max_steps/stopped, RUN_FAILED for diverged/fault, INTERRUPTED for Ctrl-C."""
    if result.status is Status.INTERRUPTED:
        return ExitCode.INTERRUPTED
    return ExitCode.RUN_FAILED if result.status.failed else ExitCode.OK


def runs_exit_code(results) -> ExitCode:
    """Several runs (compare): INTERRUPTED if one was, RUN_FAILED when every run failed, else OK."""
    results = list(results)
    if any(r.status is Status.INTERRUPTED for r in results):
        return ExitCode.INTERRUPTED
    if results and all(r.status.failed for r in results):
        return ExitCode.RUN_FAILED
    return ExitCode.OK


def diagnose_run(prepared, result):
    """What happened and why (gdx.diagnose); a failure of the diagnosis itself never loses the run."""
    from ..diagnose import Diagnosis, diagnose
    from ..suggest import Setup

    setup = Setup(tuple(float(v) for v in prepared.x0), int(prepared.steps), float(prepared.tol), prepared.clip_norm,
                  prepared.schedule_name, dict(prepared.request.schedule_args))
    try:
        if getattr(prepared, "sampling", None) is not None and prepared.sampling[1] < prepared.sampling[0]:
            from dataclasses import replace

            from ..noise import diagnose_minibatch

            setup = replace(setup, batches=tuple(prepared.sampling))
            return diagnose_minibatch(prepared, result, lambda noise: diagnose(
                result, prepared.compiled, prepared.target.preset, tol=prepared.tol, setup=setup, noise=noise))
        return diagnose(result, prepared.compiled, prepared.target.preset, tol=prepared.tol, setup=setup)
    except Exception as exc:  # noqa: BLE001 - report it in the summary instead of crashing
        return Diagnosis("unknown", f"the diagnosis itself failed ({type(exc).__name__}: {exc})", "", {})


def target_fields(target) -> dict:
    """The fields every JSON document starts with: the function as typed, as math, the preset."""
    from ..render.mathtext import problem_text

    return {
        "function": target.text,
        "expression": problem_text(target.problem),
        "preset": target.preset.name if target.preset is not None else None,
        "variables": list(target.problem.variables),
    }


def run_document(prepared, result, diagnosis=None) -> dict:
    """The JSON document of a run (``--json`` and ``--export run.json``)."""
    from ..numbers import json_numbers

    doc = {**target_fields(prepared.target), "start": json_numbers(prepared.x0), **result.to_dict()}
    doc["clip_norm"] = prepared.clip_norm
    if diagnosis is not None:
        doc["diagnosis"] = diagnosis.to_dict()
    return doc


def known_minimum(prepared, x):
    """The preset's known minimum nearest to ``x`` and the distance to it: (minimum, distance) or None."""
    import math

    preset = prepared.target.preset
    if preset is None or not preset.minima or not all(math.isfinite(v) for v in x):
        return None
    best = min(preset.minima, key=lambda m: math.dist(m.at, x))
    return best, math.dist(best.at, x)
