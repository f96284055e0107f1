"""Issue 14: what a user types from a maths book gets a hint that shows the gdx spelling, and the
caret points at the part to rewrite."""
from __future__ import annotations

import pytest

from gdx.errors import GdxError
from gdx.parse import parse_function

# (input, the hint must contain, the caret covers exactly)
HINTS = [
    ("2(x+1)^2", "write 2*(x+1)", "2(x+1)"),
    ("(x+1)(y+1)", "write (x+1)*(y+1)", "(x+1)(y+1)"),
    ("x^2 + 3(y-1)", "write 3*(y-1)", "3(y-1)"),
    ("2pi*x", "write 2*pi", "2pi"),
    ("12x + y", "write 12*x", "12x"),
    ("sin x", "write sin(x)", "sin x"),
    ("x + cos y^2", "write cos(y)", "cos y"),
    ("|x|", "write abs(x)", "|x|"),
    ("x^2 + |y - 1|", "write abs(y - 1)", "|y - 1|"),
    ("x y", "write x*y", "x y"),
]


def _rejection(text):
    with pytest.raises(GdxError) as info:
        parse_function(text)
    return info.value


@pytest.mark.parametrize("text, hint, covered", HINTS, ids=[h[0] for h in HINTS])
def test_hint_shows_the_gdx_spelling_at_the_right_place(text, hint, covered):
    err = _rejection(text)
    assert hint in (err.hint or ""), (err.message, err.hint)
    assert "BinOp" not in err.message and "Constant" not in err.message
    assert err.source[err.span[0]:err.span[1]] == covered


def test_pi_letter_is_spelled_pi():
    err = _rejection("\u03c0*x^2")
    assert "write pi" in err.hint
    assert err.source[err.span[0]:err.span[1]] == "\\u03c0"
