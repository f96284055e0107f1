"""What ``gdx doctor`` costs on a 1,000,000-row log, as a ratio against numpy reading the same file.

Writes a CSV log (step, loss, val_loss every 1000 steps, lr with two step decays, grad_norm) of
``ROWS`` rows, a noisy decaying curve with a spike, then times (the median of REPEATS):

* the baseline: ``numpy.loadtxt`` of the same file (its four complete columns: ``usecols``
  leaves out val_loss, whose cells are mostly empty);
* ``gdx.trainlog.read_log`` + ``gdx.doctor.diagnose`` of it (what ``gdx doctor LOG`` does beyond
  start-up, the plot excepted), and the whole command in-process (``main(["doctor", LOG])``).

and the same rows as JSON Lines (``{"step", "loss", "lr", "grad_norm"}`` a line), against the
floor of reading them one line at a time (``[json.loads(line) for line in text.splitlines()]``):
``read_log`` + ``diagnose`` of it, and the same without the layout reader (``gdx.jsonl_layout``:
the lines decoded as one JSON array, as before issue 15's JSON work).

The issue's bound: read and diagnosed in ≤ 2 s beyond start-up.  Run: ``python bench/bench_doctor.py``.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROWS = 1_000_000
REPEATS = 3


def write_log(path: Path, rows: int = ROWS) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    k = np.arange(rows)
    lr = np.where(k < rows // 2, 0.1, np.where(k < 3 * rows // 4, 0.01, 0.001))
    loss = 0.3 + 2.0 * np.exp(-k / (rows / 20)) + 0.05 * rng.standard_normal(rows)
    loss[rows // 3: rows // 3 + 50] += 3.0
    grad = np.abs(1 + 0.3 * rng.standard_normal(rows))
    with open(path, "w") as fh:
        fh.write("step,loss,val_loss,lr,grad_norm\n")
        lines = [f"{i},{l:.6f},{'%.6f' % (l + 0.05) if i % 1000 == 0 else ''},{r:g},{g:.5f}\n"
                 for i, l, r, g in zip(k.tolist(), loss.tolist(), lr.tolist(), grad.tolist())]
        fh.writelines(lines)


def write_jsonl(path: Path, rows: int = ROWS) -> None:
    import json

    import numpy as np

    rng = np.random.default_rng(1)
    k = np.arange(rows)
    loss = (0.3 + 2.0 * np.exp(-k / (rows / 20)) + 0.05 * rng.standard_normal(rows)).round(6)
    lr = np.where(k < rows // 2, 0.1, 0.01)
    with open(path, "w") as fh:
        fh.writelines(json.dumps({"step": i, "loss": l, "lr": r, "grad_norm": round(abs(l), 5)}) + "\n"
                      for i, l, r in zip(k.tolist(), loss.tolist(), lr.tolist()))


def per_line(path: Path):
    import json

    with open(path) as fh:
        return [json.loads(line) for line in fh.read().splitlines()]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    import numpy as np

    from gdx.cli import main as gdx_main
    from gdx.doctor import diagnose
    from gdx.trainlog import read_log

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.csv"
        write_log(path)
        size = path.stat().st_size / 2**20
        base, core, whole = [], [], []
        for _ in range(REPEATS):
            base.append(timed(lambda: np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1, 3, 4)))[0])
            core.append(timed(lambda: [diagnose(s) for s in read_log(path).runs])[0])
            whole.append(timed(lambda: gdx_main(["doctor", str(path)], stdout=io.StringIO(), stderr=io.StringIO(),
                                                env={"COLUMNS": "80"}))[0])
        b, c, w = statistics.median(base), statistics.median(core), statistics.median(whole)
        print(f"{ROWS} rows ({size:.0f} MiB): numpy.loadtxt {b:6.2f} s   read+diagnose {c:6.2f} s "
              f"(ratio {c / b:4.2f})   gdx doctor in-process {w:6.2f} s (ratio {w / b:4.2f})")
        jpath = Path(tmp) / "train.jsonl"
        write_jsonl(jpath)
        import gdx.trainlog as trainlog

        layout = trainlog._jsonl_layout
        jbase, jcore, jarray = [], [], []
        for _ in range(REPEATS):
            jbase.append(timed(lambda: per_line(jpath))[0])
            jcore.append(timed(lambda: [diagnose(s) for s in read_log(jpath).runs])[0])
            trainlog._jsonl_layout = lambda text: None
            try:
                jarray.append(timed(lambda: [diagnose(s) for s in read_log(jpath).runs])[0])
            finally:
                trainlog._jsonl_layout = layout
        jb, jc, ja = statistics.median(jbase), statistics.median(jcore), statistics.median(jarray)
        print(f"{ROWS} JSON Lines ({jpath.stat().st_size / 2**20:.0f} MiB): json.loads per line {jb:6.2f} s   "
              f"read+diagnose {jc:6.2f} s (ratio {jc / jb:4.2f})   without the layout reader {ja:6.2f} s "
              f"(ratio {ja / jb:4.2f})")


if __name__ == "__main__":
    main()
