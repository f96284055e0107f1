"""``gdx doctor`` on logs written by other tools (Lightning, Keras, W&B, loss spelled otherwise) and
by gdx's own minibatch runs (``--batch-size`` exports: batch ``loss`` and ``full_loss``).  The
samples follow each tool's documented format, written by hand (small, a few dozen rows)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np

from gdx.trainlog import read_log


def doctor_json(gdx_main, path, *flags):
    code, out, err = gdx_main("doctor", str(path), "--json", *flags)
    assert err == "", err
    return code, json.loads(out)


def kinds(doc):
    return [f["kind"] for f in doc["findings"]]


# -- gdx's own minibatch export ---------------------------------------------------------------------
def test_a_gdx_minibatch_export_is_read_with_full_loss_as_the_smooth_curve(gdx_main, tmp_path):
    """A real `gdx optimize --data --batch-size --export` run at a constant lr: the batch loss is
    the raw curve, the full-data loss (every --eval-every steps) the evaluations of the plateau
    rule, and the finding is a noise floor read on it."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 200)
    y = 2 * x + 1 + 0.3 * rng.standard_normal(200)
    data = tmp_path / "line.csv"
    data.write_text("x,y\n" + "".join(f"{a:.4f},{b:.4f}\n" for a, b in zip(x, y)))
    run = tmp_path / "run.csv"
    code, _, err = gdx_main("optimize", "(w*x + b - y)^2", "--data", str(data), "--batch-size", "8",
                            "--steps", "400", "--lr", "0.05", "--export", str(run), "-q")
    assert code == 0, err
    with open(run) as fh:
        rows = list(csv.DictReader(fh))
    assert {"epoch", "loss", "full_loss"} <= set(rows[0])
    full_steps = [float(r["step"]) for r in rows if r["full_loss"]]
    full = [float(r["full_loss"]) for r in rows if r["full_loss"]]
    assert 5 <= len(full) < len(rows) / 5  # evaluated every few steps, not every row

    log = read_log(run)
    assert log.columns["full"] == "full_loss" and log.columns["loss"] == "loss"
    s = log.runs[0]
    assert s.full_step.tolist() == full_steps and s.full.tolist() == full
    assert len(s.loss) == len(rows)  # every batch loss is on the raw curve

    code, doc = doctor_json(gdx_main, run)
    assert code == 0
    assert kinds(doc) == ["noise_floor"], doc["summary"]
    ev = doc["findings"][0]["evidence"]
    assert ev["evaluated_on"] == "full_loss"
    inside = [v for st, v in zip(full_steps, full) if doc["findings"][0]["start"] <= st <= doc["findings"][0]["end"]]
    assert math.isclose(ev["full_loss_level"], float(np.median(inside)), rel_tol=1e-12)
    assert ev["best_loss"] in full  # ReduceLROnPlateau's best: a full-data evaluation, not a batch window

    code, text, _ = gdx_main("doctor", str(run))
    assert "• full-data loss" in text and "evaluated_on=full_loss" in text


def test_without_full_loss_the_ema_is_the_smooth_curve(gdx_main, tmp_path):
    path = tmp_path / "plain.csv"
    rng = np.random.default_rng(1)
    loss = 0.5 + np.exp(-np.arange(300) / 30) + 0.05 * rng.standard_normal(300)
    path.write_text("step,loss\n" + "".join(f"{i},{v:.5f}\n" for i, v in enumerate(loss)))
    code, text, _ = gdx_main("doctor", str(path))
    assert "• EMA" in text and "full-data" not in text
