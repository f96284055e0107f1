"""``gdx doctor LOG``: logs from real (numpy, minibatch SGD) training under known conditions must
be named for what they are; hand-made logs only for the reader's edge cases and bad input."""

from __future__ import annotations

import io
import json
import math
import os

import numpy as np
import pytest

from gdx.errors import ExitCode
from training_logs import linear_regression, logistic_overfit, saturated_mlp, write_csv, write_jsonl


def doctor_json(gdx_main, path, *flags):
    code, out, err = gdx_main("doctor", str(path), "--json", *flags)
    assert err == "", err
    return code, json.loads(out)


def kinds(doc):
    return [f["kind"] for f in doc["findings"]]


def one(doc, kind):
    found = [f for f in doc["findings"] if f["kind"] == kind]
    assert found, (kind, doc["summary"])
    return found[0]


# -- real training ----------------------------------------------------------------------------------
def test_an_lr_beyond_the_stable_range_is_diverged_with_its_step_and_lr(gdx_main, tmp_path):
    rows = linear_regression(3.0, 150)  # λmax of XᵀX/n ≈ 1–2: lr 3 is past 2/λmax
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    assert code == ExitCode.RUN_FAILED
    f = one(doc, "diverged")
    assert f["evidence"]["lr_at_start"] == 3.0
    # the smoothed loss passed 4x its best right at the start and never came back
    sm_best = f["evidence"]["best_smoothed_loss"]
    assert f["start"] <= 5 and rows[-1]["loss"] > 4 * sm_best
    w = one(doc, "warmup")  # unstable in the first 10% at the peak (constant) lr, no warmup in the log
    assert w["evidence"]["had_warmup"] is False and w["evidence"]["suggested_warmup_steps"] <= 15
    assert "spike" not in kinds(doc) and "clipping" not in kinds(doc)


def test_nan_loss_is_diverged_at_the_first_non_finite_step(gdx_main, tmp_path):
    rows = linear_regression(4.0, 600)  # overflows to inf, then nan
    first_bad = next(r["step"] for r in rows if not math.isfinite(r["loss"]))
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    f = one(doc, "diverged")
    assert code == 1 and f["evidence"]["first_non_finite_step"] == first_bad
    assert f["evidence"]["non_finite_values"] == sum(not math.isfinite(r["loss"]) for r in rows)


def test_a_burst_of_high_lr_is_a_spike_that_recovers(gdx_main, tmp_path):
    rows = linear_regression(lambda k: 1.4 if 600 <= k < 603 else 0.05, 1000)
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    assert code == 0
    spikes = [f for f in doc["findings"] if f["kind"] == "spike"]
    assert len(spikes) == 1
    ev = spikes[0]["evidence"]
    assert 600 <= ev["step"] <= 610 and ev["size_sigma"] >= 6 and ev["recovered"] is True
    assert 0 < ev["steps_to_recover"] < 100
    assert max(r["loss"] for r in rows[600:615]) == ev["peak_loss"]
    events = [f for f in doc["findings"] if f["kind"] == "lr_event"]
    assert [e["start"] for e in events] == [600, 603] and events[0]["evidence"]["factor"] == pytest.approx(28.0)
    assert events[0]["evidence"]["response"] == "rose"


def test_saturated_tanh_units_are_a_plateau_from_the_start_at_ln2(gdx_main, tmp_path):
    rows = saturated_mlp()
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    f = one(doc, "plateau")
    assert f["start"] == 0 and f["end"] == 599
    assert f["evidence"]["uniform_guess_classes"] == 2 and "ln 2" in f["suggestion"]
    assert abs(f["evidence"]["level"] - math.log(2)) < 0.02
    assert "noise_floor" not in kinds(doc) and "slow" not in kinds(doc)


def test_constant_lr_on_noisy_data_is_a_noise_floor(gdx_main, tmp_path):
    rows = linear_regression(0.2, 1000, noise=1.0)
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    f = one(doc, "noise_floor")
    assert f["end"] == 999 and f["start"] < 100
    assert f["evidence"]["fluctuation_to_trend"] > 2 and f["evidence"]["reduce_lr_at"] is not None
    assert "decay" in f["suggestion"] and "batch" in f["suggestion"]
    assert kinds(doc) == ["noise_floor"]


def test_the_same_data_with_a_cosine_decay_is_healthy(gdx_main, tmp_path):
    rows = linear_regression(lambda k: 0.1 * (1 + math.cos(math.pi * k / 1000)) / 2, 1000, noise=0.3, batch=64)
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    assert code == 0 and kinds(doc) == ["healthy"] and doc["summary"].startswith("healthy")


def test_a_too_small_lr_is_slow_and_the_extrapolation_matches_more_training(gdx_main, tmp_path):
    rows = linear_regression(0.002, 800, noise=0.0, batch=512)  # full batch: a deterministic curve
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows), "--target", "0.01")
    f = one(doc, "slow")
    predicted = f["evidence"]["extrapolated_steps_to_target"]
    longer = linear_regression(0.002, 3000, noise=0.0, batch=512)
    actual = next(r["step"] for r in longer if r["loss"] <= 0.01) - 799
    assert 0.5 < predicted / actual < 2, (predicted, actual)
    assert f["evidence"]["target_loss"] == 0.01 and "train longer" in f["suggestion"]


def test_a_tiny_training_set_overfits_from_the_validation_minimum(gdx_main, tmp_path):
    rows = logistic_overfit()
    val = [(r["step"], r["val_loss"]) for r in rows if "val_loss" in r]
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    assert doc["columns"] == {"step": "step", "loss": "train_loss", "val": "val_loss", "lr": "lr"}
    f = one(doc, "overfitting")
    best_step = min(val, key=lambda p: p[1])[0]
    assert abs(f["start"] - best_step) <= 10 and f["end"] == val[-1][0]
    ev = f["evidence"]
    assert ev["gap_end"] > ev["gap_at_val_min"] > 0 and ev["train_end"] < ev["train_at_val_min"]
    assert "early stopping" in f["suggestion"]


def test_a_step_decay_is_an_lr_event_with_the_losses_response(gdx_main, tmp_path):
    rows = linear_regression(lambda k: 0.5 if k < 500 else 0.05, 1000, noise=1.0, batch=4)
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "train.csv", rows))
    events = [f for f in doc["findings"] if f["kind"] == "lr_event"]
    assert [e["start"] for e in events] == [500]
    ev = events[0]["evidence"]
    assert (ev["lr_before"], ev["lr_after"]) == (0.5, 0.05)
    before = np.median([r["loss"] for r in rows[450:500]])
    after = np.median([r["loss"] for r in rows[500:550]])
    assert ev["loss_before"] == pytest.approx(before) and ev["loss_after"] == pytest.approx(after)
    assert ev["response"] == ("fell" if after < before else "rose") or ev["response"] == "none"


def test_clipping_threshold_is_the_90th_percentile_of_the_logged_norm(gdx_main, tmp_path):
    rows = linear_regression(0.05, 1000)
    for r in rows:
        if r["step"] in (200, 450, 700):
            r["grad_norm"] *= 30  # outlier gradients, as a bad batch gives
    g = np.array([r["grad_norm"] for r in rows])
    code, doc = doctor_json(gdx_main, write_jsonl(tmp_path / "train.jsonl", rows))
    assert doc["format"] == "jsonl"
    f = one(doc, "clipping")
    assert f["evidence"]["threshold_p90"] == pytest.approx(np.percentile(g, 90), rel=1e-12)
    assert f["evidence"]["fraction_clipped"] == pytest.approx(np.mean(g > np.percentile(g, 90)))
    assert "clip_grad_norm_" in f["suggestion"]


def fastai_reference(lrs, losses, beta=0.98):
    """fastai's lr_find, written out step by step: the Recorder's debiased smoothed loss, the
    LRFinder's stop at 4× the best (or NaN, that batch recorded), ``[num_it//10:-5]`` of what
    was recorded, then steep (min of Δloss/Δlog lr) and minimum (lr at the lowest loss ÷ 10)."""
    avg, smooth, best = 0.0, [], math.inf
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        s = avg / (1 - beta ** (i + 1))
        smooth.append(s)
        if s != s or s > 4 * best:
            break
        best = min(best, s)
    blew = lrs[len(smooth) - 1] if len(smooth) < len(losses) else None
    kept_lr, kept = lrs[len(losses) // 10:len(smooth) - 5], smooth[len(losses) // 10:len(smooth) - 5]
    grads = [(kept[i + 1] - kept[i]) / (math.log(kept_lr[i + 1]) - math.log(kept_lr[i])) for i in range(len(kept) - 1)]
    steep = kept_lr[grads.index(min(grads))]
    minimum = kept_lr[kept.index(min(kept))] / 10
    return steep, minimum, blew


def test_lr_range_test_gives_fastais_suggestions_and_the_blow_up(gdx_main, tmp_path):
    rows = linear_regression(lambda k: 1e-4 * 10 ** (5 * k / 499), 500, noise=0.3, batch=128)
    lrs = [r["lr"] for r in rows]
    losses = [r["loss"] for r in rows]
    steep, minimum, blew = fastai_reference(lrs, losses)
    code, doc = doctor_json(gdx_main, write_csv(tmp_path / "range.csv", rows), "--lr-range")
    t = doc["lr_range"]
    assert code == 0 and blew is not None
    assert t["steep"] == pytest.approx(steep) and t["minimum"] == pytest.approx(minimum)
    assert t["blew_up_at_lr"] == pytest.approx(blew)
    assert t["steep"] < t["lr_at_min_loss"] < t["blew_up_at_lr"]
    code, out, _ = gdx_main("doctor", str(tmp_path / "range.csv"), "--lr-range")
    assert "steepest descent" in out and "blew up" in out


def test_lr_range_refuses_a_log_whose_lr_does_not_rise(gdx_main, tmp_path):
    code, out, err = gdx_main("doctor", str(write_csv(tmp_path / "t.csv", linear_regression(0.1, 50))), "--lr-range")
    assert code == ExitCode.USAGE and "rises" in err and out == ""


# -- the terminal report -----------------------------------------------------------------------------
def test_report_draws_the_curve_letters_and_a_log_axis_within_80_columns(tmp_path):
    from gdx.cli import main

    rows = linear_regression(lambda k: 1.4 if 600 <= k < 603 else 0.05, 1000)
    out, err = io.StringIO(), io.StringIO()
    code = main(["doctor", str(write_csv(tmp_path / "t.csv", rows))], stdout=out, stderr=err,
                env={"COLUMNS": "80", "NO_COLOR": "1"})
    text = out.getvalue()
    assert code == 0 and err.getvalue() == ""
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "• EMA" in text and "(log scale)" not in text  # 2.3 → 0.03: less than two decades
    assert "A spike" in text and "B noise_floor" in text and "summary: spike at step 605" in text
    out = io.StringIO()
    main(["doctor", str(write_csv(tmp_path / "d.csv", linear_regression(3.0, 60)))], stdout=out,
         stderr=io.StringIO(), env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert "loss (log scale)" in out.getvalue() and "1e+" in out.getvalue()


def test_validation_curve_is_drawn_when_logged(gdx_main, tmp_path):
    code, out, _ = gdx_main("doctor", str(write_csv(tmp_path / "t.csv", logistic_overfit())))
    assert "v val" in out and "overfitting" in out


# -- reading: edge cases ---------------------------------------------------------------------------
def test_gaps_repeats_text_cells_nan_and_ragged_rows_are_accounted_for(gdx_main, tmp_path):
    p = tmp_path / "edge.csv"
    lines = ["step,loss,lr"] + [f"{k},{1 / (k + 1):.6f},0.1" for k in range(50)]
    lines[11] = "10,oops,0.1"  # a text cell (line 12)
    lines += ["20,0.03,0.1"]  # step 20 again: a resumed run overwrites it
    lines += [f"{k},{1 / (k + 1):.6f},0.1" for k in range(200, 240)]  # a gap 49 -> 200
    lines += ["240,0.002"]  # a short row
    lines += ["241,nan,0.1"]
    p.write_text("\n".join(lines) + "\n")
    code, doc = doctor_json(gdx_main, p)
    skipped = {s["reason"].split(" (")[0].split(":")[0]: s for s in doc["skipped"] + doc["runs"][0]["skipped"]}
    assert skipped["text cells in 'loss'"]["count"] == 1 and skipped["text cells in 'loss'"]["first"].startswith("line 12")
    assert skipped["rows with other than the header's 3 fields"]["first"] == "line 93 (2 fields)"
    assert any(s.startswith("repeated steps in loss") for s in skipped)
    assert any(s.startswith("gaps in the steps") for s in skipped)
    assert doc["runs"][0]["rows"] == 50 - 1 + 40 + 1  # 10 skipped; 20 once; the short row out; 241 kept
    assert one(doc, "diverged")["evidence"]["first_non_finite_step"] == 241 and code == 1


def test_lightning_style_rows_log_train_and_validation_separately(gdx_main, tmp_path):
    p = tmp_path / "metrics.csv"
    lines = ["epoch,step,train/loss,val/loss,lr-SGD"]
    for k in range(200):
        lines.append(f"{k // 20},{k},{2 * math.exp(-k / 50) + 0.1:.6f},,0.01")
        if k % 20 == 19:
            lines.append(f"{k // 20},{k},,{2 * math.exp(-k / 50) + 0.2:.6f},")
    p.write_text("\n".join(lines) + "\n")
    code, doc = doctor_json(gdx_main, p)
    assert doc["columns"] == {"step": "step", "loss": "train/loss", "val": "val/loss", "lr": "lr-SGD"}
    assert doc["runs"][0]["rows"] == 200 and doc["skipped"] == []


def test_run_column_splits_the_log_into_runs(gdx_main, tmp_path):
    rows = [dict(r, run="good") for r in linear_regression(0.05, 300)]
    rows += [dict(r, run="bad") for r in linear_regression(3.0, 100)]
    p = write_csv(tmp_path / "sweep.csv", rows)
    code, doc = doctor_json(gdx_main, p, "--run", "run")
    assert [r["run"] for r in doc["runs"]] == ["good", "bad"] and code == 1
    assert "diverged" not in [f["kind"] for f in doc["runs"][0]["findings"]]
    assert "diverged" in [f["kind"] for f in doc["runs"][1]["findings"]]
    assert all("run" in f for f in doc["findings"])
    code, doc = doctor_json(gdx_main, p)  # not split: the reader says the step restarts
    assert any("--run" in s["reason"] for s in doc["skipped"])


def test_columns_named_by_flags_and_a_missing_one_is_named(gdx_main, tmp_path):
    rows = [{"t": r["step"], "objective": r["loss"]} for r in linear_regression(0.05, 100)]
    p = write_jsonl(tmp_path / "m.jsonl", rows)
    code, doc = doctor_json(gdx_main, p, "--step", "t", "--loss", "objective")
    assert doc["columns"] == {"step": "t", "loss": "objective"}
    code, out, err = gdx_main("doctor", str(p), "--loss", "objectiv")
    assert code == ExitCode.USAGE and "no column 'objectiv' (--loss)" in err and "did you mean 'objective'" in err


def test_gdx_own_exports_are_read(gdx_main, tmp_path):
    import gdx
    from gdx.render.export import export_run

    result = gdx.minimize("x^2 + 3*y^2", steps=30, start=(1.5, 1.5))  # one run, written as gdx writes --export
    for suffix in ("csv", "json"):
        export = export_run(tmp_path / f"run.{suffix}", result)
        code, doc = doctor_json(gdx_main, export)
        assert doc["format"] == ("csv" if suffix == "csv" else "gdx-json")
        assert doc["columns"] == {"step": "step", "loss": "loss", "lr": "lr", "grad_norm": "grad_norm"}
        assert doc["runs"][0]["rows"] == 31 and code == 0


def test_a_truncated_last_json_line_is_skipped_and_counted(gdx_main, tmp_path):
    p = tmp_path / "m.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in linear_regression(0.05, 100)) + '{"step": 100, "lo')
    code, doc = doctor_json(gdx_main, p)
    assert doc["skipped"][0]["count"] == 1 and doc["skipped"][0]["first"] == "line 101"


# -- bad logs: one screen, file and line, exit 2 -------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.write_text(""), "is empty"),
    (lambda p: p.write_bytes(b"step,loss\n1,\xff\xfe\n"), "line 2: is not UTF-8"),
    (lambda p: p.write_text("a,b\n1,2\n"), "has no loss column"),
    (lambda p: p.write_text("step,loss\n"), "no data rows"),
    (lambda p: p.write_text("step,loss\n1,x\n2,y\n"), "no numeric value in its loss column"),
    (lambda p: p.write_text("{\"a\": 1\nnot json\n"), "not JSON Lines"),
    (lambda p: p.write_text(json.dumps({"path": 3})), "without rows"),
], ids=["directory", "fifo", "empty", "binary", "no-loss", "header-only", "all-text", "bad-json", "json-no-rows"])
def test_bad_logs_are_one_screen_errors(gdx_main, tmp_path, make, message):
    p = tmp_path / "log.csv"
    make(p)
    code, out, err = gdx_main("doctor", str(p))
    assert code == ExitCode.USAGE and out == ""
    assert message in err and str(p) in err and "Traceback" not in err and len(err.splitlines()) <= 4


def test_a_log_over_the_size_bound_is_refused_before_reading(gdx_main, tmp_path, monkeypatch):
    import gdx.trainlog

    monkeypatch.setattr(gdx.trainlog, "MAX_BYTES", 1000)
    p = write_csv(tmp_path / "big.csv", linear_regression(0.05, 200))
    monkeypatch.setattr("builtins.open", None)  # any attempt to read it would fail loudly
    code, out, err = gdx_main("doctor", str(p))
    assert code == ExitCode.USAGE and "more than the" in err and "MiB gdx reads" in err


def test_app_layer_returns_data_without_printing(tmp_path, capsys):
    from gdx.app.doctor import doctor

    outcome = doctor(write_csv(tmp_path / "t.csv", saturated_mlp(steps=200)))
    assert outcome.exit_code == ExitCode.OK and outcome.reports[0].diagnosis.findings[0].kind == "plateau"
    assert capsys.readouterr() == ("", "")


def test_numpys_fast_reader_and_the_general_reader_read_the_same_values(tmp_path):
    """A plain numeric CSV goes through numpy.loadtxt (empty cells through a sentinel); the same
    rows with a quoted header go through the general reader: the same series either way."""
    from gdx.trainlog import read_log

    lines = ["step,loss,val_loss,lr"]
    for k in range(300):
        lines.append(f"{k},{1 / (k + 1):.6g},{'%.6g' % (2 / (k + 1)) if k % 10 == 9 else ''},{0.1 if k < 150 else 0.01}")
    lines.append("300,nan,,")  # empty cells at the end of a line
    lines.append(",0.5,,0.01")  # an empty step at the start of a line
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(lines))  # no final newline either
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("\n".join(['"step","loss","val_loss","lr"'] + lines[1:]))
    a, b = read_log(plain), read_log(quoted)
    for name in ("step", "loss", "val_step", "val", "lr_step", "lr"):
        np.testing.assert_array_equal(getattr(a.runs[0], name), getattr(b.runs[0], name), err_msg=name)
    s = a.runs[0]
    assert len(s.val) == 30 and np.isnan(s.loss[-1]) and s.step[-1] == 300 and len(s.lr) == 300
    assert [k.reason for k in a.runs[0].skipped] == [k.reason for k in b.runs[0].skipped]


def test_hugging_face_trainer_state_and_a_tensorboard_csv_are_read(gdx_main, tmp_path):
    rows = logistic_overfit()
    history = [{"step": r["step"], "loss": r["train_loss"], "learning_rate": r["lr"]} for r in rows]
    history += [{"step": r["step"], "eval_loss": r["val_loss"]} for r in rows if "val_loss" in r]
    p = tmp_path / "trainer_state.json"
    p.write_text(json.dumps({"best_metric": None, "log_history": history}, indent=2))
    code, doc = doctor_json(gdx_main, p)
    assert doc["format"] == "trainer-state-json"
    assert doc["columns"] == {"step": "step", "loss": "loss", "val": "eval_loss", "lr": "learning_rate"}
    assert "overfitting" in kinds(doc)
    tb = tmp_path / "run-train-tag-loss.csv"
    tb.write_text("Wall time,Step,Value\n" + "".join(f"{1.7e9 + k},{k},{r['loss']!r}\n"
                                                     for k, r in enumerate(saturated_mlp(steps=200))))
    code, doc = doctor_json(gdx_main, tb)
    assert doc["columns"] == {"step": "Step", "loss": "Value"} and kinds(doc)[0] == "plateau"


def test_an_lr_step_counts_only_where_the_lr_is_flat_around_it():
    # the rule, value by value: a jump ≥ 20% at i counts when max − min of the (up to) 3 lr values
    # before i is ≤ 1% of lr[i−1] and of the 3 from i on is ≤ 1% of lr[i] -- checked against a
    # direct reading of it on random two-level schedules with jitter
    import numpy as np

    from gdx.doctor import _flat_around

    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(8, 60))
        lr = np.where(rng.random(n) < 0.5, 1e-3, 1e-4) * (1 + (rng.random(n) < 0.3) * rng.random(n) * 0.03)
        r = lr[1:] / lr[:-1]
        jump = np.flatnonzero((r >= 1.2) | (r <= 1 / 1.2)) + 1
        direct = [bool(np.ptp(lr[max(0, i - 3):i]) <= 0.01 * lr[i - 1] and np.ptp(lr[i:i + 3]) <= 0.01 * lr[i]) for i in jump]
        assert _flat_around(lr, jump).tolist() == direct
