"""``gdx doctor LOG``: read a training log (gdx.trainlog) and diagnose each run (gdx.doctor).

Returns the data, the ``--json`` document (``findings: [{kind, start, end, evidence,
suggestion}]``, ``summary``, and per run the same under ``runs``) and the exit status: 0, or 1
(``RUN_FAILED``) when a run diverged, so a script can stop on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ExitCode, GdxError


@dataclass
class RunReport:
    series: Any  # gdx.trainlog.Series
    diagnosis: Any = None  # gdx.doctor.Diagnosis
    range_test: Any = None  # gdx.doctor.RangeTest


@dataclass
class DoctorOutcome:
    log: Any  # gdx.trainlog.TrainLog
    reports: list
    document: dict
    exit_code: ExitCode


def doctor(path, *, columns: dict | None = None, run: str | None = None, patience: int = 10,
           target: float | None = None, lr_range: bool = False) -> DoctorOutcome:
    """Read ``path`` and diagnose every run in it (with ``lr_range``: read it as a range test)."""
    from ..doctor import diagnose, lr_range as range_test
    from ..trainlog import read_log

    if patience < 0:
        raise GdxError(f"Invalid patience: {patience} (want ≥ 0)", kind="usage error")
    if target is not None and not target == target:
        raise GdxError("Invalid --target: nan", kind="usage error")
    log = read_log(path, columns=columns, run=run)
    reports = []
    for s in log.runs:
        if lr_range:
            if not len(s.lr):
                raise GdxError(f"{log.path}: --lr-range needs an lr column", kind="log error",
                               hint="name it with --lr COL")
            reports.append(RunReport(s, range_test=range_test(s)))
        else:
            reports.append(RunReport(s, diagnosis=diagnose(s, patience=patience, target=target)))
    doc = document(log, reports)
    failed = any(r.diagnosis and any(f.kind == "diverged" for f in r.diagnosis.findings) for r in reports)
    return DoctorOutcome(log, reports, doc, ExitCode.RUN_FAILED if failed else ExitCode.OK)


def document(log, reports) -> dict:
    """The ``--json`` document."""
    from ..numbers import json_number

    runs = []
    for r in reports:
        s = r.series
        entry = {"run": s.name, "rows": int(len(s.loss)),
                 "first_step": json_number(float(s.step[0])), "last_step": json_number(float(s.step[-1])),
                 "skipped": [k.to_dict() for k in s.skipped]}
        if r.diagnosis is not None:
            entry["findings"] = [f.to_dict() for f in r.diagnosis.findings]
            entry["summary"] = r.diagnosis.summary
        if r.range_test is not None:
            entry["lr_range"] = r.range_test.to_dict()
            entry["summary"] = range_summary(r.range_test)
        runs.append(entry)
    findings = []
    for e in runs:
        for f in e.get("findings", []):
            findings.append({**f, "run": e["run"]} if len(runs) > 1 or e["run"] is not None else f)
    summary = runs[0]["summary"] if len(runs) == 1 else "; ".join(f"{e['run']}: {e['summary']}" for e in runs)
    doc = {"file": log.path, "format": log.format, "columns": log.columns, "rows": log.rows,
           "skipped": [k.to_dict() for k in log.skipped], "findings": findings, "summary": summary, "runs": runs}
    if len(runs) == 1 and "lr_range" in runs[0]:
        doc["lr_range"] = runs[0]["lr_range"]
    return doc


def range_summary(t) -> str:
    """The range test in one line (fastai's two suggestions and the blow-up)."""
    from ..doctor import g

    blew = f"; the loss blew up at lr {g(t.blew_up_lr)}" if t.blew_up_lr is not None else "; it never blew up"
    return f"suggested lr {g(t.steep)} (steepest descent) or {g(t.minimum)} (minimum ÷ 10){blew}"
