"""The compiled cache (gdx.compiled_cache): same output hit or miss, integrity, refusal, --no-cache."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from gdx.cli import main

ARGS = ["optimize", "x^2+3*y^2", "--quiet"]


def _run(argv, cache_home):
    out, err = io.StringIO(), io.StringIO()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "COLUMNS": "100"}
    code = main(list(argv), stdout=out, stderr=err, env=env)
    return code, "\n".join(l for l in out.getvalue().splitlines() if "wall time" not in l and "wall_time" not in l), err.getvalue()


def _entries(cache_home):
    return sorted((cache_home / "gdx").glob("*.gdxc"))


def test_a_hit_gives_the_output_of_a_miss(tmp_path):
    miss = _run(["optimize", "x^2+3*y^2", "-o", "momentum", "--steps", "30"], tmp_path)
    assert len(_entries(tmp_path)) == 1
    assert (tmp_path / "gdx").stat().st_mode & 0o777 == 0o700
    hit = _run(["optimize", "x**2 + 3*y**2", "-o", "momentum", "--steps", "30"], tmp_path)  # the same tree
    assert miss == hit and miss[0] == 0 and "∂f/∂y" in hit[1]
    assert _run(["optimize", "x^2+3*y^2", "--json"], tmp_path)[1] == _run(["optimize", "x^2+3*y^2", "--json", "--no-cache"], tmp_path)[1]


def test_another_variable_order_is_another_entry(tmp_path):
    a = _run(ARGS, tmp_path)
    b = _run([*ARGS, "--vars", "y,x"], tmp_path)
    assert len(_entries(tmp_path)) == 2 and a != b


@pytest.mark.parametrize("damage", ["hash", "code", "truncated"])
def test_a_corrupted_entry_is_ignored_and_rebuilt(tmp_path, damage):
    expected = _run(ARGS, tmp_path)
    (entry,) = _entries(tmp_path)
    doc = json.loads(entry.read_text())
    if damage == "hash":
        doc["payload"]["texts"]["f"] = "wrong"
    elif damage == "code":  # a valid hash over code that fails the allow-list check
        doc["payload"]["sources"]["_fg"] = "import os\n"
        from gdx.compiled_cache import _digest

        doc["sha256"] = _digest(doc["payload"])
    entry.write_text(json.dumps(doc)[: 40 if damage == "truncated" else None])
    assert _run(ARGS, tmp_path) == expected
    assert json.loads(entry.read_text())["payload"]["texts"]["f"] == "x^2 + 3*y^2"  # rebuilt


def test_a_directory_writable_by_others_is_refused(tmp_path):
    (tmp_path / "gdx").mkdir(mode=0o700)
    os.chmod(tmp_path / "gdx", 0o777)
    code, out, err = _run(ARGS, tmp_path)
    assert code == 0 and err == "" and _entries(tmp_path) == []  # not used, the run unchanged
    from gdx.compiled_cache import refusal

    assert "writable by group or others" in refusal(tmp_path / "gdx")
    code, _, err = _run(["cache", "clear"], tmp_path)
    assert code != 0 and "not touched" in err


def test_no_cache_neither_reads_nor_writes(tmp_path):
    _run([*ARGS, "--no-cache"], tmp_path)
    assert _entries(tmp_path) == []
    _run(ARGS, tmp_path)
    (entry,) = _entries(tmp_path)
    entry.write_text(entry.read_text().replace('"x^2 + 3*y^2"', '"x^9"'))  # would be refused anyway…
    assert "x^9" not in _run(["optimize", "x^2+3*y^2", "--no-cache"], tmp_path)[1]


def test_cache_clear_removes_every_entry(tmp_path):
    _run(ARGS, tmp_path)
    _run(["optimize", "x^2+y^2", "--quiet"], tmp_path)
    code, out, _ = _run(["cache", "clear"], tmp_path)
    assert code == 0 and "removed 2 entries" in out and _entries(tmp_path) == []


def test_eviction_keeps_the_cache_under_its_cap(tmp_path):
    from gdx.compiled_cache import evict

    d = tmp_path / "gdx"
    d.mkdir()
    for i in range(5):
        (d / f"{i}.gdxc").write_text("x" * 100)
        os.utime(d / f"{i}.gdxc", (i, i))
    assert evict(d, max_bytes=250) == 3
    assert sorted(p.name for p in d.glob("*.gdxc")) == ["3.gdxc", "4.gdxc"]  # the most recently used stay


def test_neither_a_miss_nor_a_hit_imports_sympy_in_the_parent(tmp_path):
    # a miss is read and derived in one bounded child (gdx.derive.start_reading); a hit reads the entry
    code = ("import io, sys\nfrom gdx.cli import main\nout = io.StringIO()\n"
            "main(['optimize', 'x^2+3*y^2', '--quiet', *sys.argv[1:]], stdout=out, stderr=io.StringIO())\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sympy')[:3])\nprint(out.getvalue())\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "COLUMNS": "80"}

    def run(*flags):
        return subprocess.run([sys.executable, "-c", code, *flags], capture_output=True, text=True, env=env, timeout=120)

    miss = run()
    entries = list((tmp_path / "gdx").glob("*.gdxc"))
    hit = run()
    uncached = run("--no-cache")
    assert len(entries) == 1, miss.stderr  # the first run was a miss, and it stored its entry
    for proc in (miss, hit, uncached):
        assert proc.stdout.splitlines()[0] == "[]", proc.stderr
    def shown(proc):  # the output without its wall time
        return [line for line in proc.stdout.splitlines() if "wall time" not in line]

    assert "converged" in miss.stdout and shown(miss) == shown(hit) == shown(uncached)


def test_a_builtin_preset_is_served_by_the_cache_without_parsing(tmp_path):
    # a preset's expression is keyed as that expression typed with the preset's variable order
    from gdx.presets import load_preset

    argv = ["optimize", "himmelblau", "--quiet", "--steps", "200"]
    miss = _in_process(tmp_path, *argv)
    assert len(_entries(tmp_path)) == 1
    modules, hit, err = _repeat(tmp_path, *argv)
    assert modules == "[]", err  # the hit parsed nothing: no SymPy
    assert "converged" in " ".join(hit) and hit == miss
    assert "known global minimum of himmelblau" in " ".join(" ".join(hit).split())  # the preset's minima still count
    preset = load_preset("himmelblau")  # the same expression typed with the same variable order: the same entry
    _in_process(tmp_path, "optimize", preset.expression, "--vars", ",".join(preset.variables), "--quiet")
    assert len(_entries(tmp_path)) == 1
    assert _in_process(tmp_path, *argv, "--no-cache") == miss


REPEAT = ("import io, sys\nfrom gdx.cli import main\nout = io.StringIO()\n"
          "main(sys.argv[1:], stdout=out, stderr=io.StringIO())\n"
          "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sympy')[:3])\nsys.stdout.write(out.getvalue())\n")


def _shown(text: str) -> list:
    return [line for line in text.splitlines() if "wall time" not in line]


def _repeat(tmp_path, *argv):
    """A command in a fresh interpreter: (SymPy modules it loaded, its output lines, stderr)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "COLUMNS": "80"}
    proc = subprocess.run([sys.executable, "-c", REPEAT, *argv], capture_output=True, text=True, env=env, timeout=120)
    lines = proc.stdout.split("\n", 1)
    return lines[0], _shown(lines[1] if len(lines) > 1 else ""), proc.stderr


def _in_process(tmp_path, *argv):
    out = io.StringIO()
    main(list(argv), stdout=out, stderr=io.StringIO(), env={**os.environ, "XDG_CACHE_HOME": str(tmp_path), "COLUMNS": "80"})
    return _shown(out.getvalue())


@pytest.mark.parametrize("argv", [
    ["analyze", "himmelblau"],
    ["analyze", "x^3 - 3*x + y^3 - 3*y", "--json"],
    ["plot", "rosenbrock"],
    ["optimize", "rosenbrock", "--quiet", "--steps", "100"],  # a run that stops short: its diagnosis reads f's nodes
])
def test_a_repeated_analyze_or_plot_needs_no_sympy_and_says_the_same(tmp_path, argv):
    # the compiled cache keeps what these commands found about the function: the tidy ∇f and H,
    # exact solving's solved outcome, the critical-point marks of the box
    miss = _in_process(tmp_path, *argv)
    modules, hit, err = _repeat(tmp_path, *argv)
    assert modules == "[]", err
    assert hit == miss == _in_process(tmp_path, *argv, "--no-cache") and len(hit) > 5


def test_a_repeated_analyze_of_many_variables_says_the_same(tmp_path):
    # beyond six variables H is listed by its non-zero entries, here from the cached texts
    argv = ["analyze", "x1^2 + x2^2 + x3^2 + x4^2 + x5^2 + x6^2 + x7^2 + x1*x7", "--at", "1,0,0,0,0,0,1", "--no-critical"]
    miss = _in_process(tmp_path, *argv)
    assert any("∂²f/∂x1∂x7" in line for line in miss)
    assert _in_process(tmp_path, *argv) == miss == _in_process(tmp_path, *argv, "--no-cache")


def test_a_finding_of_the_wrong_shape_is_ignored(tmp_path):
    # a finding whose hash holds but whose value is not what the command stores is recomputed
    from gdx import cache_settings, compiled_cache

    argv = ["analyze", "x^3 - 3*x + y^3 - 3*y", "--json"]
    good = _in_process(tmp_path, *argv)
    saved = dict(cache_settings._SETTINGS)
    cache_settings.enable({"XDG_CACHE_HOME": str(tmp_path)})
    try:
        text = "x^3 - 3*x + y^3 - 3*y"
        compiled_cache.store_finding(text, None, "exact-solutions", None, ["solved", [[1.0]], "a point of 1 coordinate"])
        compiled_cache.store_finding(text, None, "calculus-texts", None, {"f": "x", "gradient": ["1"], "hessian": [["0"]]})
        assert compiled_cache.load_finding(text, None, "exact-solutions", None)[2] == "a point of 1 coordinate"
    finally:
        cache_settings._SETTINGS.update(saved)
    again = _in_process(tmp_path, *argv)
    document = json.loads("\n".join(again))
    assert len(document["critical_points"]) == 4 and len(document["gradient"]) == 2
    assert again == good
