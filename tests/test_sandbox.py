"""The bounded child process (gdx.sandbox) and the bounded symbolic work (gdx.derive).

References: derivatives written by hand; the bounds are checked on process state (the child
was killed and reaped, no process is left), never on wall-clock durations, so the tests hold
on a loaded machine.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import children_of, interruptible, no_children_left

from gdx.errors import ExitCode, GdxError
from gdx.sandbox import Deadline, SandboxError, bounded, start

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100")

# Passes every static check of the parser (409 characters, 16 variables, small exponents) but
# its Hessian takes SymPy ~20 s: 136 second derivatives of a product of 32 factors.
SLOW_IN_SYMPY = "*".join(f"exp(x{i}*x{(i + 1) % 16})**{i + 2}*log(x{i}+2)" for i in range(16))


def _power_tower():
    import sympy

    return sympy.Integer(9) ** (9**9)  # exact integer arithmetic in C: minutes


def _raise_gdx():
    raise GdxError("nope", kind="syntax error", source="abc", span=(1, 2), hint="h", exit_code=ExitCode.USAGE)


def _raise_value():
    raise ValueError("bad thing")


def _allocate():
    return len(bytearray(8 << 30))  # 8 GiB: over the 2 GiB bound


def test_bounded_returns_the_value():
    assert bounded(math.factorial, 20, timeout=5) == 2432902008176640000
    assert bounded(dict, a=1) == {"a": 1}


def _sleep_forever():
    while True:
        time.sleep(60)


def _spin_forever():
    while True:
        pass


def _slow_value(fd):
    os.read(fd, 1)  # waits until the test lets it go
    return "done"


def _allocate_4g():
    return len(bytearray(4 << 30))  # 4 GiB: over the 2 GiB bound


def _gone(pid: int) -> bool:
    """The process no longer exists (it was killed *and* reaped: a zombie would still exist)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False




def test_c_level_arithmetic_is_stopped_at_the_bound():
    job = start(_power_tower)
    with pytest.raises(GdxError) as info:
        job.result(0.5)
    assert info.value.kind == "timeout" and info.value.exit_code == ExitCode.TIMEOUT
    assert "0.5 s" in info.value.message and "--timeout SECONDS" in info.value.hint
    assert _gone(job.pid)  # killed inside C code, and reaped: no zombie left
    assert no_children_left()


def test_bounded_kills_and_reaps_at_the_bound():
    with pytest.raises(GdxError, match=r"the busy loop did not finish within 0\.2 s") as info:
        bounded(_spin_forever, timeout=0.2, what="the busy loop")
    assert info.value.exit_code == ExitCode.TIMEOUT
    assert no_children_left()


def test_a_job_returns_its_value_while_the_parent_works():
    read_fd, write_fd = os.pipe()
    try:
        job = start(_slow_value, read_fd)
        assert not job.finished and not _gone(job.pid)  # running concurrently with us
        os.write(write_fd, b"x")
        assert job.result(30) == "done"
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert job.finished and _gone(job.pid)
    assert job.result(0) == "done"  # the outcome is kept


def test_a_job_reraises_a_gdx_error_whole():
    job = start(_raise_gdx)
    with pytest.raises(GdxError) as info:
        job.result(30)
    e = info.value
    assert (e.message, e.kind, e.source, e.span, e.hint, e.exit_code) == ("nope", "syntax error", "abc", (1, 2), "h", ExitCode.USAGE)
    assert _gone(job.pid)
    with pytest.raises(GdxError, match="nope"):  # and again, without a child
        job.result(30)


def test_a_job_that_sleeps_forever_is_killed_at_its_budget():
    job = start(_sleep_forever, what="the nap")
    with pytest.raises(GdxError, match=r"the nap did not finish within 0\.3 s") as info:
        job.result(0.3)
    assert info.value.kind == "timeout" and info.value.exit_code == ExitCode.TIMEOUT
    assert _gone(job.pid) and no_children_left()


def test_a_job_waits_until_a_shared_deadline():
    budget = Deadline(0.3)
    first, second = start(_spin_forever, what="the first"), start(_sleep_forever, what="the second")
    with pytest.raises(GdxError, match=r"the first did not finish within 0\.3 s"):
        first.result(budget)
    with pytest.raises(GdxError, match=r"the second did not finish within 0\.3 s"):
        second.result(budget)  # nothing left of the shared budget: killed at once
    assert budget.expired and budget.left() == 0.0
    assert _gone(first.pid) and _gone(second.pid) and no_children_left()


def test_bounded_with_an_expired_deadline_does_not_fork():
    with pytest.raises(GdxError, match=r"the symbolic work did not finish within 2 s") as info:
        bounded(os.getpid, timeout=_expired(2))
    assert info.value.exit_code == ExitCode.TIMEOUT and no_children_left()
    assert bounded(os.getpid, timeout=Deadline(60)) != os.getpid()  # a live one: in a child


def test_compile_for_command_takes_a_shared_deadline():
    from gdx.derive import compile_for_command
    from gdx.parse import parse_function

    c = compile_for_command(parse_function("x^2 + 3*y^2"), Deadline(60))
    assert c.value_and_grad(np.array([1.0, 2.0]))[1] == pytest.approx([2.0, 12.0])
    with pytest.raises(GdxError, match=r"did not finish within 5 s"):
        compile_for_command(parse_function("x^2 + 3*y^2"), _expired(5))


def _expired(seconds: float) -> Deadline:
    d = Deadline(seconds)
    d.ends -= seconds  # as if the command had spent it all
    return d


def test_deadline_left_is_never_negative():
    d = Deadline(1000)
    assert 0 < d.left() <= 1000 and not d.expired and d.seconds == 1000
    e = Deadline(0)
    assert e.left() == 0.0 and e.expired
    assert Deadline(-5).left() == 0.0


def test_cancel_and_the_context_manager_kill_and_reap():
    job = start(_spin_forever)
    job.cancel()
    assert job.finished and _gone(job.pid)
    with pytest.raises(GdxError) as info:
        job.result(10)
    assert info.value.exit_code == ExitCode.TIMEOUT
    with start(_sleep_forever) as other:
        pid = other.pid
        assert not _gone(pid)
    assert _gone(pid) and no_children_left()
    with start(math.factorial, 5) as done:
        assert done.result(30) == 120
    assert _gone(done.pid)


def test_the_memory_bound_applies_to_a_job():
    job = start(_allocate_4g)
    with pytest.raises(GdxError) as info:
        job.result(30)
    assert info.value.exit_code == ExitCode.TIMEOUT and "memory bound (2048 MiB)" in info.value.message
    assert _gone(job.pid)


def test_an_expired_budget_still_takes_a_result_that_is_waiting():
    job = start(math.factorial, 10)
    os.waitid(os.P_PID, job.pid, os.WEXITED | os.WNOWAIT)  # it has exited; it is not reaped yet
    assert job.result(Deadline(0)) == 3628800
    assert _gone(job.pid)


def test_a_gdx_error_in_the_child_comes_back_whole():
    with pytest.raises(GdxError) as info:
        bounded(_raise_gdx)
    e = info.value
    assert (e.message, e.kind, e.source, e.span, e.hint, e.exit_code) == ("nope", "syntax error", "abc", (1, 2), "h", ExitCode.USAGE)


def test_another_exception_is_an_internal_error_with_the_child_traceback():
    with pytest.raises(SandboxError, match="ValueError: bad thing") as info:
        bounded(_raise_value)
    assert "Traceback" in info.value.__notes__[0] and "_raise_value" in info.value.__notes__[0]


def test_the_memory_bound():
    with pytest.raises(GdxError) as info:
        bounded(_allocate, timeout=10)
    assert info.value.exit_code == ExitCode.TIMEOUT and "memory bound" in info.value.message


def test_invalid_timeouts_are_usage_errors():
    for bad in (0, -1, math.nan, math.inf, "soon"):
        with pytest.raises(GdxError, match="Invalid timeout value"):
            bounded(int, timeout=bad)


def test_compile_bounded_matches_hand_derivatives():
    from gdx.derive import compile_bounded
    from gdx.parse import parse_function

    c = compile_bounded(parse_function("x^2*y + sin(x) + 3*y"))
    x, y = 0.7, -1.3
    f, g = c.value_and_grad(np.array([x, y]))
    assert f == pytest.approx(x**2 * y + math.sin(x) + 3 * y, rel=1e-14)
    assert g == pytest.approx([2 * x * y + math.cos(x), x**2 + 3], rel=1e-14)
    assert c.hess(np.array([x, y])) == pytest.approx(np.array([[2 * y - math.sin(x), 2 * x], [2 * x, 0.0]]), rel=1e-14)
    batch = np.array([[x, y], [0.0, 0.0], [1.0, 2.0]])
    hb = c.hess(batch)
    assert hb.shape == (3, 2, 2) and np.all(hb[:, 1, 1] == 0.0)  # the constant entry, broadcast
    assert c.value(batch) == pytest.approx([x**2 * y + math.sin(x) + 3 * y, 0.0, 2 + math.sin(1) + 6])


def test_unevaluated_derivatives_of_sign_become_zero():
    # SymPy leaves d/dx sign(sqrt(x)) unevaluated (sqrt(x) might be non-real); it is 0 for x > 0.
    from gdx.derive import compile_bounded
    from gdx.parse import parse_function

    c = compile_bounded(parse_function("abs(sqrt(x))*y"))
    x, y = 0.49, 2.0
    assert c.hess(np.array([x, y])) == pytest.approx(
        np.array([[-0.25 * y * x**-1.5, 0.5 / math.sqrt(x)], [0.5 / math.sqrt(x), 0.0]]), rel=1e-12
    )


@pytest.mark.parametrize(
    "source",
    [
        "import os\ndef _lambdifygenerated(a):\n    return [a]\n",
        "def _lambdifygenerated(a):\n    return [a.__class__]\n",
        "def _lambdifygenerated(a):\n    return [open('x')]\n",
        "def _lambdifygenerated(a):\n    return ['x']\n",
        "def _lambdifygenerated(a):\n    return [__import__]\n",
        "def _lambdifygenerated(a):\n    return [a[0]]\n",
        "def other(a):\n    return [a]\n",
        "def _lambdifygenerated(a):\n    return [(lambda: a)()]\n",
    ],
)
def test_generated_code_outside_the_allow_list_is_never_executed(source):
    from gdx.derive import _namespace, check_generated, function_from_source

    with pytest.raises(RuntimeError, match="failed its check"):
        check_generated(source, _namespace())
    with pytest.raises(RuntimeError):
        function_from_source(source)


def _run_watching_children(args, *, interrupt_after: float | None = None):
    """Run gdx, collecting the pids of its children while it runs (optionally sending SIGINT
    after ``interrupt_after`` seconds); returns (process, stdout, stderr, children).  Only this
    process's own children are watched, so other gdx runs on the machine cannot interfere."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            preexec_fn=interruptible if interrupt_after is not None else None)
    children: set[int] = set()
    started = time.monotonic()
    sent = interrupt_after is None
    # a guard, not a speed bound: 30 s after an interrupt (well under a 60 s --timeout), else 120 s
    limit = 120 if interrupt_after is None else interrupt_after + 30
    while proc.poll() is None and time.monotonic() - started < limit:
        children |= children_of(proc.pid)
        if not sent and time.monotonic() - started >= interrupt_after:
            proc.send_signal(signal.SIGINT)
            sent = True
        time.sleep(0.05)
    out, err = proc.communicate(timeout=1 if interrupt_after is not None else 30)  # still running: fail
    return proc, out, err, children


def _still_running(pids: set[int], marker: str) -> list[int]:
    """Those of ``pids`` still alive and still running ``marker`` (a reused pid is not ours)."""
    alive = []
    for pid in pids:
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                alive.append(pid)
        except OSError:
            continue
    return alive


def test_cli_bomb_hits_the_bound_with_exit_3():
    # The bound is asserted on its effects, not on a stopwatch (a loaded machine may take a
    # while to start Python): exit 3, the message, and the child working on the bomb is gone.
    args = [sys.executable, "-m", "gdx", "optimize", SLOW_IN_SYMPY, "--timeout", "1", "--quiet"]
    proc, out, err, children = _run_watching_children(args)
    assert proc.returncode == 3, err
    assert "did not finish within 1 s" in err and "--timeout SECONDS" in err
    assert "Traceback" not in err
    if Path("/proc/self/stat").exists():  # the killed child did not outlive gdx as an orphan
        assert children, "the symbolic work ran in a child process"
        assert _still_running(children, SLOW_IN_SYMPY) == []


def test_ctrl_c_during_the_symbolic_work_exits_130_promptly():
    args = [sys.executable, "-m", "gdx", "optimize", SLOW_IN_SYMPY, "--timeout", "60", "--quiet"]
    # SIGINT after 2 s (imports done, the child deriving the Hessian); gdx must end within the
    # watcher's 30 s after it, far below the 60 s bound: it did not wait for its child
    proc, out, err, children = _run_watching_children(args, interrupt_after=2.0)
    assert proc.returncode == 130
    assert "Traceback" not in out + err
    assert "interrupted" in err  # typer alone would exit 130 silently
    if Path("/proc/self/stat").exists():  # and the child deriving the Hessian was killed with it
        assert _still_running(children, SLOW_IN_SYMPY) == []


def test_the_compiled_functions_are_the_checked_generated_ones():
    # If compile.py renamed its cached slots, compile_bounded would silently fall back to
    # unbounded in-process compiling: this catches it.
    from gdx.derive import compile_bounded
    from gdx.parse import parse_function

    c = compile_bounded(parse_function("x^2 + 3*y^2"))
    for slot in ("_f", "_fg", "_h"):
        assert c.__dict__[slot].__code__.co_filename.startswith("<gdx-generated"), slot
    assert c.value_and_grad(np.array([1.0, 2.0]))[1] == pytest.approx([2.0, 12.0])


# -- work in stages: one early value (send_partial), then the result --------------------------
def _read_then_work(seconds_before: float, seconds_after: float, fail: bool = False):
    import time as clock

    from gdx.sandbox import send_partial

    clock.sleep(seconds_before)
    if fail:
        raise GdxError("bad text", kind="input error", source="x^")
    send_partial(("read", [1, 2]))
    clock.sleep(seconds_after)
    return "derived"


def test_a_partial_value_comes_before_the_result():
    from gdx.sandbox import start

    job = start(_read_then_work, 0.0, 0.0, partial=True, what="the second stage")
    assert job.partial(30, what="the first stage") == ("read", [1, 2])
    assert job.result(30) == "derived" and job.finished


def test_a_stage_past_its_bound_is_named_in_the_timeout():
    from gdx.sandbox import start

    slow_read = start(_read_then_work, 30.0, 0.0, partial=True, what="the second stage")
    with pytest.raises(GdxError, match=r"the first stage did not finish within 0\.2 s") as info:
        slow_read.partial(0.2, what="the first stage")
    assert info.value.exit_code == ExitCode.TIMEOUT and slow_read.finished
    slow_work = start(_read_then_work, 0.0, 30.0, partial=True, what="the second stage")
    assert slow_work.partial(30, what="the first stage") == ("read", [1, 2])
    with pytest.raises(GdxError, match=r"the second stage did not finish within 0\.2 s"):
        slow_work.result(0.2)


def test_an_error_before_the_partial_value_is_the_childs_error():
    from gdx.sandbox import start

    job = start(_read_then_work, 0.0, 0.0, True, partial=True)
    with pytest.raises(GdxError, match="bad text") as info:
        job.partial(30, what="the first stage")
    assert info.value.kind == "input error" and job.finished
