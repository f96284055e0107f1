"""Hostile function text: nothing runs, nothing hangs, every refusal is a GdxError with a caret.

Every input in HOSTILE is refused by ``parse_function`` with gdx's own error.  Nothing here
asserts how fast (speed belongs in bench/, and a loaded machine is slow); a watchdog of
HANG_GUARD seconds only turns a hang into a failure instead of a stuck suite.  Payloads
that would create a file if any of them were evaluated are checked not to have created it, and
``eval``/``exec``/``compile``/``sympify``/``parse_expr`` are patched to fail the test if user
text ever reaches them.  Ordinary inputs are checked against SymPy expressions built by hand.
"""

from __future__ import annotations

import builtins
import contextlib
import signal

import pytest
import sympy as sp

from gdx.errors import GdxError
from gdx.parse import LIMITS, parse_function

HANG_GUARD = 60  # seconds: not a speed bound (a rejection takes ~0.01 s), only "did not hang"


@contextlib.contextmanager
def no_hang(what: str, seconds: int = HANG_GUARD):
    """Fail (instead of hanging the suite) if the body runs longer than ``seconds``."""

    def hung(signum, frame):
        pytest.fail(f"{what} did not finish within {seconds} s: it hangs")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# -- payloads that would run code (each would create the file MARK if evaluated) --------------
def code_payloads(mark: str) -> list[str]:
    touch = f'open("{mark}", "w")'
    osys = f'__import__("os").system("touch {mark}")'
    return [
        touch,
        osys,
        f'__import__("os").system("touch {mark}") or x',
        f'x.__class__.__init__.__globals__["os"].system("touch {mark}")',
        f'().__class__.__base__.__subclasses__()[0]("{mark}")',
        f'().__class__.__bases__[0].__subclasses__()',
        "x.__class__",
        "().__class__.__base__",
        "x.__dict__",
        f"(lambda: {touch})()",
        f"[{touch} for _ in range(1)]",
        f"{{{touch} for _ in x}}",
        f"{{1: {touch}}}",
        f"({touch} for _ in x)",
        f'eval("{touch}")',
        f'exec("{touch}")',
        f'compile("{touch}", "f", "exec")',
        f'S("{touch}")',
        f'sympify("{touch}")',
        f'simplify("{touch}")',
        f'parse_expr("{touch}")',
        f'N("{touch}")',
        f'Symbol("{touch}")',
        f'lambdify(x, "{touch}")',
        f'getattr(x, "__class__")',
        f'globals()["__builtins__"]',
        "__builtins__",
        "__import__",
        '__import__("os")',
        "x.__reduce__()",
        f'sin("{touch}")',
        f'sin(x, "{touch}")',
        f'x + "{touch}"',
        f'f"{{{touch}}}"',
        f'b"{mark}"',
        f'(y := {touch})',
        f"x if {touch} else y",
        f"{touch} and x",
        f"not {touch}",
        f"x[{touch}]",
        f"x({touch})",
        f"sin(x)({touch})",
        f"*[{touch}]",
        f"sin(*[{touch}])",
        f"sin(**{{'x': {touch}}})",
        "breakpoint()",
        "vars()",
        "locals()",
        "dir()",
        "type(x)",
        "help()",
        "input()",
        "exit()",
        "quit()",
        f"await {touch}",
        f"x; {touch}",
        f"x\n{touch}",
        f"x #{touch}",
        f"x = {touch}",
        f"import os",
        f"lambda x: x",
        "lambda: 1",
        "[x for x in y]",
        '"abc"',
        "'x'",
        "Sin(x)",
        "x.real",
        "sin.__call__(x)",
        "E.__class__",
        "pi.evalf()",
        "(1).__class__",
        "1 .__class__",
        "x[0]",
        "x[1:2]",
        "...",
        "None",
        "True",
        "1j*x",
        "x @ y",
        "x % 2",
        "x // 2",
        "x << 2",
        "x & y",
        "x | y",
        "~x",
        "x < y",
        "x == y",
        "x != y",
    ]


def test_code_payloads_are_refused_and_never_executed(tmp_path, monkeypatch):
    mark = tmp_path / "pwned"
    calls = []

    def trap(name):
        def refuse(*args, **kwargs):
            calls.append((name, args[:1]))
            raise AssertionError(f"{name} was called while parsing user text")

        return refuse

    import sys

    import sympy.parsing.sympy_parser as parser_module

    sympify_module = sys.modules["sympy.core.sympify"]

    real_sympify = sympify_module.sympify

    def guarded_sympify(a, *args, **kwargs):  # SymPy calls sympify on its own objects: fine
        if isinstance(a, (str, bytes)):
            calls.append(("sympify", a))
            raise AssertionError("sympify got a string")
        return real_sympify(a, *args, **kwargs)

    # the parser's lazy imports happen now, not under the traps (a dataclass defined at import
    # time calls exec in the standard library; that is not user text being executed)
    for warm in ("x^2 + 3*y^2", "sqrt(-exp(x))", "open(1)", "(2*x)**5000"):
        try:
            parse_function(warm)
        except GdxError:
            pass
    monkeypatch.setattr(builtins, "eval", trap("eval"))
    monkeypatch.setattr(builtins, "exec", trap("exec"))
    monkeypatch.setattr(sympify_module, "sympify", guarded_sympify)
    monkeypatch.setattr(sp, "sympify", guarded_sympify)
    monkeypatch.setattr(parser_module, "parse_expr", trap("parse_expr"))
    monkeypatch.setattr(sp, "parse_expr", trap("parse_expr"), raising=False)
    monkeypatch.setattr(sp, "lambdify", trap("lambdify"))
    payloads = code_payloads(str(mark))
    for text in payloads:
        with pytest.raises(GdxError) as info:
            parse_function(text)
        assert info.value.caret_lines(), text
        assert not mark.exists(), f"{text!r} created the file"
    assert calls == []
    assert len(payloads) >= 80


# -- resource bombs, math errors, limits -----------------------------------------------------
BOMBS = [
    ("9**9**9**9", "exponent"),
    ("9**9**9", "exponent"),
    ("2**2**2**2**2", "exponent"),
    ("factorial(10**10)", "unknown function"),
    ("1e999999999", "too large"),
    ("1e999999999*x", "too large"),
    ("-1e400*x", "too large"),
    ("x**(10**10)", "exponent"),
    ("x**1e10", "exponent"),
    ("x**-1e10", "exponent"),
    ("x**(-10**10)", "exponent"),
    ("exp(exp(100))*x", "too large"),
    ("exp(1000)*x", "too large"),
    ("exp(-1000)*x", "too small"),
    ("cosh(1000)*x", "too large"),
    ("10**100**2", "exponent"),
    ("(10**99)**99*x", "too large"),
    ("1e300*1e300*x", "too large"),
    ("1e-200*1e-200*x", "too small"),
    ("2**-2000*x", "exponent"),
    ("10**1000", "too large"),
    ("x*" + "9" * 200, "too large"),
    ("0x" + "f" * 200 + "*x", "too large"),
    ("1/0", "division by zero"),
    ("x/0", "division by zero"),
    ("x/(1-1)", "division by zero"),
    ("x/(pi-pi)", "division by zero"),
    ("0**-1*x", "division by zero"),
    ("x**(1/0)", "division by zero"),
    ("log(0)*x", "not defined"),
    ("log(-1)*x", "not defined"),
    ("sqrt(-1)*x", "not defined"),
    ("asin(2)*x", "not defined"),
    ("acosh(0.5)*x", "not defined"),
    ("atanh(1)*x", "not defined"),
    ("(-8)**(1/3)*x", "not a real number"),
    ("(-1)**0.5*x", "not a real number"),
    ("tan(pi/2)*x", "not a finite real number"),
    ("atan2(0,0)*x", "not a finite real number"),
    ("sin(pi)**-1*x", "not a finite real number"),
    ("log10(-5)+x", "not defined"),
    ("log2(0)+x", "not defined"),
]


def nested(depth: int, inner: str = "x") -> str:
    return "sin(" * depth + inner + ")" * depth


LIMIT_INPUTS = [
    ("x+" * (LIMITS.max_length // 2) + "x", "too long"),
    ("x" * (LIMITS.max_length + 1), "too long"),
    ("(" * 201 + "x" + ")" * 201, "parentheses"),
    (nested(LIMITS.max_depth + 1), "nested too deeply"),
    ("-" * 1500 + "x", "nested too deeply"),
    ("x**" * 150 + "x", "nested too deeply"),
    ("+".join(["x"] * (LIMITS.max_nodes // 2 + 1)), "too large"),
    ("+".join(["sin(x)"] * (LIMITS.max_nodes // 4 + 10)), "too large"),
    ("+".join(f"x{i}" for i in range(LIMITS.max_variables + 1)), "too many variables"),
    ("a" * (LIMITS.max_name_length + 1), "name too long"),
    ("-(" * 120 + "x" + ")" * 120, "nested too deeply"),
]

CHARACTER_INPUTS = [
    ("\uff58**2", "FULLWIDTH", "'x'"),  # ｘ
    ("\U0001d465**2", "MATHEMATICAL ITALIC SMALL X", "'x'"),  # 𝑥
    ("\U0001d431 + 1", "MATHEMATICAL BOLD SMALL X", "'x'"),
    ("x\u202e+1", "RIGHT-TO-LEFT OVERRIDE", "invisible"),
    ("x\u202d+1", "LEFT-TO-RIGHT OVERRIDE", "invisible"),
    ("x\u2066+1", "LEFT-TO-RIGHT ISOLATE", "invisible"),
    ("x\u200b+y", "ZERO WIDTH SPACE", "invisible"),
    ("x\ufeff", "ZERO WIDTH NO-BREAK SPACE", "invisible"),
    ("x\x00+1", "U+0000", "invisible"),
    ("x\n+1", "U+000A", "one line"),
    ("x\r+1", "U+000D", "one line"),
    ("x\t+1", "U+0009", "spaces"),
    ("x\x1b[31m", "U+001B", "invisible"),
    ("x\x7f", "U+007F", "invisible"),
    ("x \u2212 y", "MINUS SIGN", "'-'"),
    ("x\u00d7y", "MULTIPLICATION SIGN", "'*'"),
    ("x\u00b2", "SUPERSCRIPT TWO", "'^2'"),
    ("x\u00f7y", "DIVISION SIGN", "'/'"),
    ("\u0445**2", "CYRILLIC SMALL LETTER HA", None),  # looks like x
    ("\u03b1*x", "GREEK SMALL LETTER ALPHA", None),
    ("x\u00a0+ 1", "NO-BREAK SPACE", None),
    ("\u2170", "SMALL ROMAN NUMERAL ONE", "'i'"),
]

SYNTAX_INPUTS = [
    ("Sin(x)", "unknown function 'Sin'", "did you mean 'sin'?"),
    ("EXP(x)", "unknown function 'EXP'", "did you mean 'exp'?"),
    ("sine(x)", "unknown function 'sine'", "did you mean 'sin'?"),
    ("2x", "", "implicit multiplication is not supported: write 2*x"),
    ("2 x", "", "implicit multiplication is not supported: write 2*x"),
    ("3y^2", "", "implicit multiplication is not supported: write 3*y"),
    ("x y", "", "implicit multiplication is not supported: write x*y"),
    ("sin(x) cos(y)", "", "implicit multiplication is not supported"),
    ("x(y+1)", "unknown function 'x'", "implicit multiplication is not supported: write x*(...)"),
    ("", "empty", None),
    ("   ", "empty", None),
    ("x +", "", None),
    ("(x", "", None),
    ("x)", "", None),
    ("sin()", "takes 1 argument", None),
    ("sin(x, y)", "takes 1 argument", None),
    ("atan2(x)", "takes 2 arguments", None),
    ("sin(x=1)", "'='", None),
    ("sin", "is a function, not a variable", "write sin(x)"),
    ("x, y", "list of functions", None),
    ("__x + 1", "not allowed as a name", None),
    ("x ^^ 2", "", None),
    ("$x", "'$'", None),
    ("x!", "factorial", None),
    ("x ? y", "'?'", None),
    ("x `y`", "'`'", None),
    ("x\\", "'\\'", None),
    ("x:y", "':'", None),
    ("yield x", "", "keyword"),
    ("for x in y", "", "keyword"),
]


def _rejection(text, **kwargs):
    with no_hang(repr(text[:40])), pytest.raises(GdxError) as info:
        parse_function(text, **kwargs)
    return info.value


@pytest.mark.parametrize("text, words", BOMBS, ids=[b[0][:30] for b in BOMBS])
def test_bombs_are_refused_with_a_span(text, words):
    error = _rejection(text)
    assert words in error.message
    assert error.kind in ("limit", "math error", "syntax error")
    assert error.span is not None and "^" in error.render()


@pytest.mark.parametrize("text, words", LIMIT_INPUTS, ids=[f"limit{i}" for i in range(len(LIMIT_INPUTS))])
def test_limits_are_refused_quickly(text, words):
    error = _rejection(text)
    assert words in error.message, error.render()
    assert error.kind == "limit"


@pytest.mark.parametrize("text, name, hint", CHARACTER_INPUTS, ids=[repr(c[0]) for c in CHARACTER_INPUTS])
def test_lookalike_and_control_characters_are_refused_never_substituted(text, name, hint):
    error = _rejection(text)
    assert name in error.message
    if hint:
        assert hint in error.hint
    rendered = error.render()
    # The echo shows the character escaped: nothing outside printable ASCII reaches the terminal
    # (except the one "…" the caret window may add), and the caret sits under the escape.
    assert all(32 <= ord(c) <= 126 or c in "\n…" for c in rendered), repr(rendered)
    echo, caret = error.caret_lines()
    assert echo[caret.index("^")] == "\\"


@pytest.mark.parametrize("text, message, hint", SYNTAX_INPUTS, ids=[repr(s[0]) for s in SYNTAX_INPUTS])
def test_syntax_errors_have_compiler_style_messages(text, message, hint):
    error = _rejection(text)
    assert message in error.message
    if hint:
        assert hint in (error.hint or ""), error.render()
    lines = error.render().splitlines()
    assert lines[0].startswith(f"{error.kind}: ")
    if text.strip():
        assert lines[1] == f"  {text}" and "^" in lines[2]


def test_the_caret_is_under_the_offending_span():
    error = _rejection("x^2 + Sin(y)")
    echo, caret = error.caret_lines()
    assert echo[caret.index("^") : len(caret)] == "Sin"
    error = _rejection("x + 2 ** 9999")
    echo, caret = error.caret_lines()
    assert echo[caret.index("^") : len(caret)] == "9999"
    error = _rejection("x + log(-1)")
    echo, caret = error.caret_lines()
    assert echo[caret.index("^") : len(caret)] == "log(-1)"


def test_vars_must_name_every_variable_and_are_checked():
    with pytest.raises(GdxError, match=r"not in the variable list \(--vars\)"):
        parse_function("x + y", "x")
    for bad in ("x; y", "__class__", "sin", "x.y", "a b", "x,x"):
        with pytest.raises(GdxError):
            parse_function("x", bad)


def test_non_text_is_refused():
    for value in (None, 3, b"x", ["x"]):
        with pytest.raises(GdxError):
            parse_function(value)


# -- ordinary inputs keep working --------------------------------------------------------------
X, Y = sp.symbols("x y", real=True)

ORDINARY = [
    ("x^2 + 3*y^2", X**2 + 3 * Y**2),
    ("(1-x)^2 + 100*(y-x^2)^2", (1 - X) ** 2 + 100 * (Y - X**2) ** 2),
    ("x**(1/3)", X ** sp.Rational(1, 3)),
    ("x**y", X**Y),
    ("1.5e-3*x", sp.Float("1.5e-3") * X),
    ("-x", -X),
    ("x - -1", X + 1),
    ("exp(exp(exp(exp(x))))", sp.exp(sp.exp(sp.exp(sp.exp(X))))),
    ("(x+y)**1000", (X + Y) ** 1000),
    ("(" * 199 + "x" + ")" * 199, X),
    ("x**-1", 1 / X),
    ("2**-1000*x", sp.Integer(2) ** -1000 * X),
    ("1e-300*x", sp.Float("1e-300") * X),
    ("+".join(["x"] * 400), 400 * X),
    ("*".join(["x"] * 400), X**400),
    (nested(LIMITS.max_depth - 2), None),  # parses; the value is not checked
]


@pytest.mark.parametrize("text, expected", ORDINARY, ids=[o[0][:30] for o in ORDINARY])
def test_ordinary_inputs_keep_working(text, expected):
    problem = parse_function(text)
    if expected is not None:
        assert sp.simplify(problem.expr - expected) == 0


def test_a_thousand_node_expression_with_sixteen_variables():
    terms = [f"sin(x{i % 16}*x{(i + 1) % 16})*exp(-x{(i + 3) % 16}^2)" for i in range(50)]
    text = " + ".join(terms)
    problem = parse_function(text)
    assert problem.n == 16 and len(text) <= LIMITS.max_length


def count_hostile_inputs() -> int:
    """How many hostile inputs this file feeds the parser (for the report)."""
    return len(code_payloads("/tmp/x")) + len(BOMBS) + len(LIMIT_INPUTS) + len(CHARACTER_INPUTS) + len(SYNTAX_INPUTS) + 3 + 6 + 4
