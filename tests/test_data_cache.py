"""--data runs and the compiled cache: keyed by the function, --vars and the column names, never the
values; a hit parses nothing and derives nothing, and gives what a miss gives."""

from __future__ import annotations

import json
import os

import pytest

LOGISTIC = "log(1 + exp(-y*(w1*x1 + w2*x2 + b)))"


def _entries():
    return sorted(os.listdir(os.path.join(os.environ["XDG_CACHE_HOME"], "gdx")))


def _csv(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _run(gdx_main, *argv):
    code, out, err = gdx_main(*argv, "--json")
    assert code == 0, err
    doc = json.loads(out)
    doc.pop("wall_time", None)
    return doc


def _refuse(*_a, **_k):
    raise AssertionError("a cache hit must not parse or derive")


def test_a_hit_equals_a_miss_and_skips_the_symbolic_work(gdx_main, tmp_path, monkeypatch):
    a = _csv(tmp_path, "a.csv", "x1,x2,y\n0.5,1,1\n-1,0.2,-1\n2,-1,1\n")
    b = _csv(tmp_path, "b.csv", "x1,x2,y\n1.5,-2,-1\n0.25,0.5,1\n")  # the same header, other values
    argv = ("optimize", LOGISTIC, "--steps", "60", "--lr", "0.5")
    miss = _run(gdx_main, *argv, "--data", a)
    assert len(_entries()) == 1
    import gdx.mean
    import gdx.parse

    with monkeypatch.context() as m:
        m.setattr(gdx.mean, "compile_mean", _refuse)
        m.setattr(gdx.parse, "parse_function", _refuse)
        hit = _run(gdx_main, *argv, "--data", a)
        other = _run(gdx_main, *argv, "--data", b)  # keyed on the columns, not the values: a hit too
    assert hit == miss
    assert other == _run(gdx_main, *argv, "--data", b, "--no-cache")
    assert other["x"] != miss["x"]
    assert len(_entries()) == 1


def test_analyze_on_a_hit_equals_a_miss(gdx_main, tmp_path):
    a = _csv(tmp_path, "a.csv", "x,y\n0,1\n1,3\n2,5.5\n")
    miss = _run(gdx_main, "analyze", "(w*x + b - y)^2", "--data", a)
    hit = _run(gdx_main, "analyze", "(w*x + b - y)^2", "--data", a)
    assert hit == miss and len(_entries()) == 1


def test_other_columns_or_another_parameter_order_is_another_entry(gdx_main, tmp_path):
    a = _csv(tmp_path, "a.csv", "x,y\n0,1\n1,3\n2,5.5\n")
    c = _csv(tmp_path, "c.csv", "x,y,z\n0,1,7\n1,3,7\n2,5.5,7\n")
    first = _run(gdx_main, "optimize", "(w*x + b - y)^2", "--data", a, "--steps", "20")
    _run(gdx_main, "optimize", "(w*x + b - y)^2", "--data", c, "--steps", "20")
    swapped = _run(gdx_main, "optimize", "(w*x + b - y)^2", "--data", a, "--steps", "20", "--vars", "w,b")
    assert len(_entries()) == 3
    assert swapped["variables"] == ["w", "b"] and swapped["x"] == pytest.approx(first["x"][::-1], rel=1e-12)
