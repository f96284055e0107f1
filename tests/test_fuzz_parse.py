"""Property-based: any text gives a Problem or a GdxError (never hangs), and errors render a caret.

Two generators: arbitrary text (any Unicode, with a bias to ASCII), and token soup drawn from a
grammar of allowed and refused tokens (operators, names, functions, dangerous names, big
numbers, brackets, quotes).  The examples per run are fixed (EXAMPLES each) so the file stays
within a few seconds.  No input's time is asserted (speed belongs in bench/); a watchdog of
HANG_GUARD seconds per input only turns a hang into a failure.
"""

from __future__ import annotations

import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdx.errors import GdxError
from gdx.parse import Problem, parse_function

EXAMPLES = 400  # per property; three properties → 1200 inputs per run (bench/fuzz_campaign.py runs 100,000)
HANG_GUARD = 60  # seconds for one input: not a speed bound, only "did not hang"

ALLOWED = ["x", "y", "z", "x1", "x2", "a_b", "pi", "e", "E", "0", "1", "2", "3.5", "1e-3", "10", "0.5",
           "sin", "cos", "exp", "log", "sqrt", "abs", "atan2", "tanh", "log10",
           "+", "-", "*", "/", "^", "**", "(", ")", ",", " "]
REFUSED = ["__import__", "__class__", ".", "[", "]", "{", "}", "'", '"', "lambda", ":", "for", "in", "if", "else",
           "=", "==", "<", ">", "%", "//", "@", "&", "|", "~", "!", "#", ";", "\\", "$", "?", "`",
           "eval", "exec", "S", "sympify", "factorial", "9**9**9", "1e999", "10**10", "0x", "1j", "_", "\n", "\t",
           "\x00", "\u202e", "\uff58", "\U0001d465", "\u2212", "\u00b2", "exp(exp(", "(((", ")))", "-" * 30,
           "9" * 120, "x" * 40]
TOKENS = st.sampled_from(ALLOWED + REFUSED)
SOUP = st.lists(st.one_of(st.sampled_from(ALLOWED), TOKENS), min_size=1, max_size=60).map("".join)
TEXT = st.one_of(st.text(max_size=200), st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
# Mostly well-formed expressions from a small grammar, so parsing and constant folding are reached.
LEAF = st.sampled_from(["x", "y", "2", "0", "1e300", "1e-300", "pi", "-1", "0.5", "1000", "10**99", "e"])
EXPR = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(["sin", "exp", "log", "sqrt", "acosh", "tan", "abs", "atanh"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        inner.map(lambda s: f"-{s}"),
    ),
    max_leaves=40,
)

SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _hung(signum, frame):
    pytest.fail(f"an input did not finish within {HANG_GUARD} s: it hangs")


def check(text: str) -> None:
    """Problem or GdxError (or a hang failure); a GdxError with a span renders its caret inside the echo."""
    old = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(HANG_GUARD)
    try:
        _check(text)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _check(text: str) -> None:
    try:
        problem = parse_function(text)
    except GdxError as error:
        rendered = error.render()
        assert rendered.startswith(f"{error.kind}: ")
        if error.source is not None and error.span is not None:
            echo, caret = error.caret_lines()
            assert caret.strip() and set(caret.strip()) == {"^"}
            assert caret.index("^") < len(echo) + 1
        # Nothing outside printable ASCII is echoed for refused characters.
        assert "\x00" not in rendered and "\u202e" not in rendered and "\x1b" not in rendered
    else:
        assert isinstance(problem, Problem)
        assert problem.n <= 16


@SETTINGS
@given(TEXT)
def test_arbitrary_text(text):
    check(text)


@SETTINGS
@given(SOUP)
def test_token_soup(text):
    check(text)


@SETTINGS
@given(EXPR)
def test_grammar_expressions(text):
    check(text)


# -- the whole CLI, in-process: gdx's own answer for any function and flag values ------------------
CLI_EXAMPLES = 40  # each is a whole command (parse and derivatives in bounded children): kept small
FLAG_VALUES = st.sampled_from([
    [], ["--timeout", "1e10"], ["--timeout", "1e308"], ["--timeout", "-1"], ["--steps", "100000000"],
    ["--steps", "-1"], ["--lr", "1e308"], ["--lr", "nan"], ["--start", "1e308"], ["--schedule", "exponential", "--gamma", "1e308"],
    ["--starts", "10", "--seed", "-1"], ["--starts", "10000000"], ["--starts", "5", "--box", "x=-1e308:1e308"],
    ["--tol", "-1"], ["--clip-norm", "0"],
])
CLI_SETTINGS = settings(max_examples=CLI_EXAMPLES, deadline=None, derandomize=True,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@CLI_SETTINGS
@given(st.one_of(EXPR, SOUP), FLAG_VALUES)
def test_cli_answers_every_input_with_its_own_exit_status(text, flags):
    import io

    from gdx.cli import main
    from gdx.errors import ExitCode

    old = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(HANG_GUARD)
    try:
        out, err = io.StringIO(), io.StringIO()
        code = main(["optimize", text, "--quiet", "--no-plot", "--steps", "20", *flags], stdout=out, stderr=err,
                    env={"COLUMNS": "100", "NO_COLOR": "1"})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert code in {int(c) for c in ExitCode} and code != int(ExitCode.INTERNAL), err.getvalue()
    assert "Traceback" not in out.getvalue() + err.getvalue()
