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


# -- other tools' logs ------------------------------------------------------------------------------
def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_lightning_csvlogger_metrics_with_alternating_train_and_val_rows(tmp_path):
    """Lightning's CSVLogger writes one row per log call: step rows carry train_loss_step, the
    validation row val_loss, the epoch-end row train_loss_epoch, the other cells empty."""
    path = write(tmp_path, "metrics.csv",
                 "epoch,step,train_loss_epoch,train_loss_step,val_loss\n"
                 "0,49,,2.2871,\n0,99,,2.0413,\n0,149,,1.8125,\n0,187,,,1.7342\n0,187,2.0112,,\n"
                 "1,199,,1.6630,\n1,249,,1.5381,\n1,299,,1.4496,\n1,349,,1.3802,\n1,375,,,1.3910\n1,375,1.4914,,\n")
    log = read_log(path)
    assert log.columns == {"step": "step", "loss": "train_loss_step", "val": "val_loss"}
    s = log.runs[0]
    assert s.step.tolist() == [49, 99, 149, 199, 249, 299, 349]
    assert s.loss.tolist() == [2.2871, 2.0413, 1.8125, 1.6630, 1.5381, 1.4496, 1.3802]
    assert s.val_step.tolist() == [187, 375] and s.val.tolist() == [1.7342, 1.3910]
    assert log.skipped == [] and s.skipped == []  # empty cells are "not logged here", not a fault


def test_lightning_layout_of_a_real_overfitting_run_is_named(gdx_main, tmp_path):
    """Real training (logistic regression on 20 examples) written the way Lightning writes it:
    train rows every 10 steps, each validation on a row of its own, an lr-SGD column."""
    from training_logs import logistic_overfit

    rows = logistic_overfit()
    lines = ["epoch,lr-SGD,step,train_loss_step,val_loss"]
    for r in rows:
        e = r["step"] // 40
        if r["step"] % 10 == 9:
            lines.append(f"{e},{r['lr']},{r['step']},{r['train_loss']!r},")
        if "val_loss" in r:
            lines.append(f"{e},,{r['step']},,{r['val_loss']!r}")
    path = write(tmp_path, "metrics.csv", "\n".join(lines) + "\n")
    code, doc = doctor_json(gdx_main, path)
    assert doc["columns"] == {"step": "step", "loss": "train_loss_step", "val": "val_loss", "lr": "lr-SGD"}
    assert "overfitting" in kinds(doc), doc["summary"]
    val = [(r["step"], r["val_loss"]) for r in rows if "val_loss" in r]
    f = [f for f in doc["findings"] if f["kind"] == "overfitting"][0]
    assert abs(f["start"] - min(val, key=lambda p: p[1])[0]) <= 10


def test_keras_csvlogger(tmp_path):
    """Keras' CSVLogger: epoch first, then the logs' keys sorted (learning_rate in Keras 3)."""
    path = write(tmp_path, "training.log",
                 "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\n"
                 "0,0.4981,0.001,1.3902,0.6120,1.0815\n1,0.6633,0.001,0.9512,0.7004,0.8633\n"
                 "2,0.7261,0.0001,0.7789,0.7391,0.7720\n")
    log = read_log(path)
    assert log.columns == {"step": "epoch", "loss": "loss", "val": "val_loss", "lr": "learning_rate"}
    s = log.runs[0]
    assert s.loss.tolist() == [1.3902, 0.9512, 0.7789] and s.val.tolist() == [1.0815, 0.8633, 0.7720]
    assert s.lr.tolist() == [0.001, 0.001, 0.0001]
    older = write(tmp_path, "old.csv", "epoch,loss,lr,val_loss\n0,1.5,0.01,1.4\n1,1.2,0.01,1.3\n")
    assert read_log(older).columns == {"step": "epoch", "loss": "loss", "val": "val_loss", "lr": "lr"}


def test_wandb_chart_export_and_history_export(tmp_path):
    """A W&B chart's CSV ("Step", "<run> - <metric>" with __MIN/__MAX band columns, every cell
    quoted) and a run's history (wandb.Api().run(…).history(): _step, _runtime, train/loss …)."""
    chart = write(tmp_path, "wandb_export.csv",
                  '"Step","fluent-sun-3 - train/loss","fluent-sun-3 - train/loss__MIN","fluent-sun-3 - train/loss__MAX"\n'
                  '"10","2.31","2.29","2.33"\n"20","2.10","2.05","2.14"\n"30","1.95","1.90","2.0"\n')
    log = read_log(chart)
    assert log.columns == {"step": "Step", "loss": "fluent-sun-3 - train/loss"}
    assert log.runs[0].loss.tolist() == [2.31, 2.10, 1.95] and log.runs[0].step.tolist() == [10, 20, 30]
    hist = write(tmp_path, "history.csv",
                 "_step,_runtime,_timestamp,train/loss,train/learning_rate,train/grad_norm,eval/loss\n"
                 "0,3.2,1717000000.1,2.5,0.0001,4.1,\n1,3.9,1717000000.8,2.4,0.0001,3.9,\n"
                 "2,4.4,1717000001.3,2.2,0.0001,3.5,2.3\n")
    log = read_log(hist)
    assert log.columns == {"step": "_step", "loss": "train/loss", "val": "eval/loss", "lr": "train/learning_rate",
                           "grad_norm": "train/grad_norm"}
    assert log.runs[0].val_step.tolist() == [2] and log.runs[0].grad_norm.tolist() == [4.1, 3.9, 3.5]
    jl = write(tmp_path, "history.jsonl", "".join(
        json.dumps({"_step": i, "_runtime": 1.0 + i, "train/loss": 2.0 - 0.1 * i, "system/gpu": "n/a"}) + "\n"
        for i in range(4)))
    log = read_log(jl)
    assert log.format == "jsonl" and log.columns == {"step": "_step", "loss": "train/loss"}
    assert log.runs[0].loss.tolist() == [2.0, 1.9, 1.8, 1.7]


def test_fastai_csvlogger_with_a_text_time_column(tmp_path):
    path = write(tmp_path, "history.csv",
                 "epoch,train_loss,valid_loss,accuracy,time\n0,1.2345,1.0111,0.6500,00:05\n"
                 "1,0.9123,0.8456,0.7210,00:04\n2,0.7700,0.7900,0.7450,00:04\n")
    log = read_log(path)
    assert log.columns == {"step": "epoch", "loss": "train_loss", "val": "valid_loss"}
    assert log.runs[0].loss.tolist() == [1.2345, 0.9123, 0.77] and log.skipped == []


def test_loss_spelled_otherwise(tmp_path):
    for name in ("Loss", "train/loss", "training_loss", "Train Loss", "train.loss"):
        path = write(tmp_path, "log.csv", f"Iteration,{name}\n0,2.3\n1,2.1\n2,1.9\n")
        log = read_log(path)
        assert log.columns == {"step": "Iteration", "loss": name}, name
        assert log.runs[0].loss.tolist() == [2.3, 2.1, 1.9]


# -- warmup: an early rise at the peak lr, on real training ------------------------------------------
def test_an_early_rise_at_a_constant_high_lr_asks_for_a_warmup_that_removes_it(gdx_main, tmp_path):
    """A two-layer linear net from a sharp init at lr 0.1 without warmup: the loss is thrown up
    5× in its first steps and comes back (the catapult).  Doctor asks for a warmup of the order of
    magnitude that covers it; training again with that warmup (linear from 0, same peak lr, same
    seed) removes the rise, and doctor no longer asks."""
    from training_logs import two_layer_linear, write_csv

    rows = two_layer_linear(0.1)
    loss = [r["loss"] for r in rows]
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "nowarm.csv", rows))
    w = [f for f in doc["findings"] if f["kind"] == "warmup"]
    assert len(w) == 1, doc["summary"]
    ev = w[0]["evidence"]
    assert ev["instability"] == "early_rise" and ev["had_warmup"] is False and ev["recovered"] is True
    assert ev["loss_at_start"] == loss[0] and ev["peak_loss"] == max(loss[:10]) > 4 * loss[0]
    assert ev["peak_step"] == loss.index(max(loss[:10])) and ev["lr"] == ev["peak_lr"] == 0.1
    assert ev["max_warmup_steps"] == 100 and ev["warmup_sweep"] == [10, 100]
    assert ev["suggested_warmup_steps"] == 10 and "over 10 steps" in w[0]["suggestion"]

    # follow the prescriptions: train again with the suggested warmup until doctor is quiet
    n, tried = ev["suggested_warmup_steps"], []
    while n is not None and len(tried) < 3:
        again = two_layer_linear(lambda k: 0.1 * min(1.0, (k + 1) / n))
        code, doc = doctor_json(gdx_main, write_csv(tmp_path / f"warm{n}.csv", again))
        w = [f for f in doc["findings"] if f["kind"] == "warmup"]
        tried.append((n, max(r["loss"] for r in again[:100]) > again[0]["loss"]))
        if w:  # a short warmup only delays the catapult: doctor asks for a longer one
            assert w[0]["evidence"]["had_warmup"] is True and "a longer warmup" in w[0]["suggestion"]
            assert w[0]["evidence"]["suggested_warmup_steps"] > n
        n = w[0]["evidence"]["suggested_warmup_steps"] if w else None
    # 10 steps delay the rise past the ramp (still undoing all progress), 100 remove it
    assert tried == [(10, True), (100, False)]


# -- the JSON Lines fast path agrees with the line-by-line reader -------------------------------------
def test_json_lines_read_whole_agree_with_the_line_by_line_reader(tmp_path, monkeypatch):
    import gdx.trainlog as trainlog

    rng = np.random.default_rng(4)
    rows = [{"step": i, "loss": float(v), "lr": 0.1 if i < 30 else 0.01, "note": "ok"}
            for i, v in enumerate(1 + rng.random(60))]
    rows[7]["loss"] = None  # not logged here
    rows[9]["loss"] = "oops"  # text
    rows[11]["extra"] = True  # keys not uniform
    text = "".join(json.dumps(r) + "\n" + ("\n" if i == 20 else "") for i, r in enumerate(rows))
    path = write(tmp_path, "m.jsonl", text)
    fast = read_log(path)
    monkeypatch.setattr(trainlog, "_jsonl_whole", lambda text: None)
    slow = read_log(path)
    for a, b in ((fast, slow),):
        assert a.columns == b.columns and a.rows == b.rows == 60
        assert [k.to_dict() for k in a.skipped] == [k.to_dict() for k in b.skipped]
        assert any("line 10" in (k.where or "") for k in a.skipped)  # the text cell, with its file line
        ra, rb = a.runs[0], b.runs[0]
        assert ra.step.tolist() == rb.step.tolist() and ra.loss.tolist() == rb.loss.tolist()
        assert ra.lr.tolist() == rb.lr.tolist()
    monkeypatch.undo()
    bad = write(tmp_path, "bad.jsonl", text + '{"step": 60, "loss": 1.0\n')  # a truncated last line
    log = read_log(bad)
    assert log.rows == 60 and any("not a JSON object" in k.reason for k in log.skipped)
