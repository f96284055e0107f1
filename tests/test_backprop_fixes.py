"""gdx backprop: a failed gradient check is a gdx bug (exit 70, said in words), a constant has no
variables to send adjoints to, and the symbolic ∇f comes from the compiled cache (a
gradient-only entry, completed with H by the first command that needs it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gdx import graph
from gdx.errors import ExitCode


def _entries():
    root = Path(os.environ["XDG_CACHE_HOME"])
    return sorted(root.rglob("*.gdxc"))


def _wrong_sin(monkeypatch):
    """A broken local derivative of sin (cos(a) + 0.5), as a bug in gdx.graph would be."""
    value, local = graph._UNARY["sin"]
    monkeypatch.setitem(graph._UNARY, "sin", (value, lambda a, v: (local(a, v)[0] + 0.5,)))


def test_a_mismatch_exits_internal_and_says_it_is_a_gdx_bug(gdx_main, monkeypatch):
    _wrong_sin(monkeypatch)
    code, out, err = gdx_main("backprop", "sin(x)*y", "--at", "x=1,y=2")
    assert code == ExitCode.INTERNAL == 70
    assert "gradient check: MISMATCH" in out  # the output is still shown
    assert "internal error:" in err and "adjoints disagree with the symbolic gradient" in err
    assert "bug in gdx" in err and "Traceback" not in err


def test_a_mismatch_with_json_still_prints_the_document(gdx_main, monkeypatch):
    _wrong_sin(monkeypatch)
    code, out, err = gdx_main("backprop", "sin(x)", "--at", "1", "--json")
    assert code == 70 and "adjoints disagree" in err
    doc = json.loads(out)
    assert doc["gradient_check"]["ok"] is False and doc["gradient"]["x"] != doc["gradient_check"]["symbolic"]["x"]


def test_a_constant_has_no_variables_for_backprop(gdx_main):
    code, out, err = gdx_main("backprop", "3")
    assert code == ExitCode.USAGE and out == ""
    assert "no variables" in err and "adjoints" in err and "nothing to optimize" not in err


def test_backprop_stores_a_gradient_only_entry_and_reuses_it(gdx_main, monkeypatch):
    code, out, err = gdx_main("backprop", "tanh(w*x) + x^2", "--at", "w=0.5,x=1")
    assert code == 0, err
    [entry] = _entries()
    payload = json.loads(entry.read_text())["payload"]
    assert set(payload["sources"]) == {"_f", "_fg"} and "hessian" not in payload["texts"]

    import gdx.derive

    def no_derivation(*a, **k):
        raise AssertionError("derived again although the cache holds ∇f")

    with monkeypatch.context() as m:
        m.setattr(gdx.derive, "compile_bounded", no_derivation)
        again = gdx_main("backprop", "tanh(w*x) + x^2", "--at", "w=0.5,x=1")
    assert again == (code, out, err)


def test_a_command_needing_h_completes_a_gradient_only_entry(gdx_main):
    assert gdx_main("backprop", "x^4 + y^2", "--at", "1,1")[0] == 0
    code, out, err = gdx_main("optimize", "x^4 + y^2", "-o", "newton", "--steps", "5", "--start", "1,1")
    assert code == 0, err
    [entry] = _entries()
    payload = json.loads(entry.read_text())["payload"]
    assert set(payload["sources"]) == {"_f", "_fg", "_h"} and payload["texts"]["hessian"]
    # and the whole entry now serves newton straight from the cache, with the same output
    hit = gdx_main("optimize", "x^4 + y^2", "-o", "newton", "--steps", "5", "--start", "1,1")
    assert hit[0] == 0 and _timeless(hit[1]) == _timeless(out) and "∂²f/∂x²   12*x^2" in out


def _timeless(text: str) -> list:
    return [line for line in text.splitlines() if "wall time" not in line]
