"""Function text → :class:`Problem`, safely.

The rule: user text is parsed by Python's :mod:`ast` (which only *reads* it) and the tree is
walked with an explicit allow-list.  Each allowed node is turned into a SymPy object by calling
SymPy constructors directly; nothing the user typed is ever passed to ``eval``, ``exec``,
``sympify``, ``parse_expr`` or ``lambdify`` as code, and only names matching
``[A-Za-z][A-Za-z0-9_]*`` (and not naming a function or constant) become symbols.

Before SymPy sees any constant sub-expression, its value is evaluated in bounded float
arithmetic, so ``9**9**9**9``, ``exp(exp(100))``, ``1/0``, ``log(-1)`` are refused in
microseconds instead of hanging SymPy's exact arithmetic.  The limits are in :data:`LIMITS`
and listed in the README ("Limits and safety").
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import GdxError, did_you_mean


@dataclass(frozen=True)
class Limits:
    """Bounds on function text, checked before any symbolic work."""

    max_length: int = 10000  # characters of function text (n-D Rosenbrock at n = 128 takes 3,600)
    max_parens: int = 200  # nesting depth of parentheses
    max_depth: int = 100  # depth of the syntax tree (after parentheses are dropped)
    max_nodes: int = 5000  # nodes in the syntax tree (n-D Rosenbrock at n = 128: about 1,800)
    max_variables: int = 128  # distinct variables
    max_name_length: int = 32  # characters in a variable name
    max_literal: float = 1e100  # magnitude of a number literal
    max_exponent: float = 1000  # magnitude of a constant exponent
    max_constant: float = 1e300  # magnitude of any constant sub-expression
    max_constant_bits: int = 8192  # size of a constant's exact (rational) representation


LIMITS = Limits()

#: Allow-listed functions: name → (SymPy constructor name, number of arguments, float evaluator).
FUNCTIONS: dict[str, tuple[str, int]] = {
    "sin": ("sin", 1),
    "cos": ("cos", 1),
    "tan": ("tan", 1),
    "sec": ("sec", 1),
    "csc": ("csc", 1),
    "cot": ("cot", 1),
    "asin": ("asin", 1),
    "acos": ("acos", 1),
    "atan": ("atan", 1),
    "atan2": ("atan2", 2),
    "sinh": ("sinh", 1),
    "cosh": ("cosh", 1),
    "tanh": ("tanh", 1),
    "asinh": ("asinh", 1),
    "acosh": ("acosh", 1),
    "atanh": ("atanh", 1),
    "exp": ("exp", 1),
    "log": ("log", 1),
    "ln": ("log", 1),
    "log10": ("log10", 1),
    "log2": ("log2", 1),
    "sqrt": ("sqrt", 1),
    "abs": ("Abs", 1),
    # the functions neural networks use (gdx.nn_symbolic; torch's derivative at a kink)
    "sigmoid": ("sigmoid", 1),
    "relu": ("relu", 1),
    "leaky_relu": ("leaky_relu", 2),
    "softplus": ("softplus", 1),
    "gelu": ("gelu", 1),
    "max": ("maximum", 2),
    "min": ("minimum", 2),
}

#: Functions allowed only where a caller asks for them (``parse_function(..., functions=...)``):
#: a schedule expression may use these; a function to optimize may not (their derivative is 0
#: almost everywhere: gradient descent could not move).
PIECEWISE_FUNCTIONS: dict[str, tuple[str, int]] = {
    "floor": ("floor", 1),
    "ceil": ("ceiling", 1),
}

#: Allow-listed constants.
CONSTANTS = ("pi", "E", "e")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_BINOPS = {
    ast.Mod: "'%'",
    ast.FloorDiv: "'//'",
    ast.MatMult: "'@'",
    ast.BitAnd: "'&'",
    ast.BitOr: "'|'",
    ast.BitXor: "'^' (xor)",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
}
_NODE_WORDS = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'if ... else'",
    ast.List: "a list",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "'*' unpacking",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "':='",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.Slice: "a slice",
}


@dataclass(frozen=True)
class Problem:
    """A parsed function: SymPy expressions over an ordered tuple of variables.

    ``exprs`` has one element for a scalar function and several for a vector-valued one
    (``"x*y, x+y**2"``, accepted where ``allow_vector=True``).  ``tree`` is the checked syntax
    tree the expressions were built from (the function as typed: gdx.graph draws it).
    """

    source: str
    exprs: tuple
    variables: tuple[str, ...]
    symbols: tuple
    tree: Any = field(default=None, compare=False, repr=False)

    @property
    def expr(self):
        """The scalar function (the first component of a vector-valued input)."""
        return self.exprs[0]

    @property
    def is_vector(self) -> bool:
        return len(self.exprs) > 1

    @property
    def n(self) -> int:
        return len(self.variables)


def natural_key(name: str) -> tuple:
    """Sort key that orders ``x1 < x2 < x10`` and ``x < y < z``."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p)


def parse_function(
    text: str,
    variables: str | list[str] | tuple[str, ...] | None = None,
    *,
    allow_vector: bool = False,
    limits: Limits = LIMITS,
    functions: dict[str, tuple[str, int]] | None = None,
) -> Problem:
    """Parse function text into a :class:`Problem`, or raise :class:`GdxError` with a span.

    ``^`` means power.  ``variables`` (a list or a ``"y,x"`` string) fixes the order of the
    variables; by default they are sorted naturally.  It may name variables that the text does
    not use (their partial derivatives are 0) but must name every one it does.
    ``functions`` replaces the allow-list of functions (default :data:`FUNCTIONS`; a schedule
    expression passes ``{**FUNCTIONS, **PIECEWISE_FUNCTIONS}``).
    """
    if not isinstance(text, str):
        raise GdxError("the function must be text", kind="input error")
    tree = check_static(text, variables, limits)
    python_text, origin = _caret_to_pow(text)
    builder = _Builder(text, origin, limits, FUNCTIONS if functions is None else functions)
    body = tree.body
    if isinstance(body, ast.Tuple):
        if not allow_vector:
            raise builder.error(body, "a list of functions is not allowed here", hint="give one scalar function")
        if not body.elts:
            raise builder.error(body, "empty function")
    try:
        exprs = tuple(builder.build(e) for e in body.elts) if isinstance(body, ast.Tuple) else (builder.build(body),)
    except Exception as exc:  # SymPy's (or mpmath's) own exception on this text: gdx's error about it
        from .sandbox import library_error

        translated = library_error(exc, text)
        if translated is None:
            raise
        raise translated from None
    used = sorted(builder.names, key=natural_key)
    order = _order_variables(text, used, variables, limits)
    import sympy

    symbols = tuple(sympy.Symbol(name, real=True) for name in order)
    refuse_complex(exprs, text)
    return Problem(source=text, exprs=exprs, variables=order, symbols=symbols, tree=tree)


def check_static(text: str, variables=None, limits: Limits = LIMITS) -> ast.Expression:
    """Every limit that needs no SymPy -- characters, length, parentheses, depth, size and the
    number of variables -- checked in the calling process: over-limit input is refused before
    SymPy is imported or a bounded child is forked (:func:`gdx.target.parse_bounded`).  The
    checked syntax tree."""
    if not isinstance(text, str):
        raise GdxError("the function must be text", kind="input error")
    _check_characters(text, limits)
    python_text, origin = _caret_to_pow(text)
    tree = _read_tree(text, python_text, origin, limits)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called
             and n.id not in CONSTANTS and n.id not in FUNCTIONS}
    count = len(names) if variables in (None, "", ()) else len(parse_variables(variables))
    if count > limits.max_variables:
        raise GdxError(f"too many variables ({count}; the limit is {limits.max_variables})", kind="limit", source=text)
    return tree


def refuse_complex(exprs, source: str, *, what: str = "the function") -> None:
    """A function SymPy writes with the imaginary unit I for real variables is refused.

    With every variable real, SymPy keeps ``I`` in an expression only where it cannot be
    removed: ``sqrt(-exp(x))`` is ``I*exp(x/2)``, imaginary at every real x.  gdx minimises
    real-valued functions, so this is a math error naming SymPy's form.  A function that is real
    in part of the space (``sqrt(x)``, ``log(x)``) keeps no ``I`` and is accepted; a run that
    leaves that part reports the fault at the step where it happens.
    """
    import sympy

    for expr in exprs:
        if expr.has(sympy.I):
            shown = sympy.sstr(expr).replace("**", "^")
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            raise GdxError(
                f"{what} is complex-valued: for real variables SymPy writes it as {shown} "
                "(I = √−1), which has no real value to minimise",
                kind="math error",
                source=source,
                hint="gdx works with real-valued functions; check the signs under sqrt, log and fractional powers",
            )


def parse_variables(spec: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"y, x"`` or ``["y", "x"]`` → ``("y", "x")``, each checked to be a plain name."""
    names = [v.strip() for v in spec.split(",")] if isinstance(spec, str) else [str(v).strip() for v in spec]
    for name in names:
        if not _NAME.match(name) or name in FUNCTIONS or name in CONSTANTS:
            raise GdxError(
                f"'{name}' is not a valid variable name",
                kind="input error",
                source=", ".join(names),
                hint="variables are plain names: a letter, then letters, digits or '_'",
            )
    if len(set(names)) != len(names):
        raise GdxError("a variable is named twice", kind="input error", source=", ".join(names))
    return tuple(names)


def _order_variables(text, used, variables, limits) -> tuple[str, ...]:
    """Apply ``--vars`` to the names the text uses; check the count limit."""
    if variables is None or variables == "" or variables == ():
        order = tuple(used)
    else:
        order = parse_variables(variables)
        missing = [u for u in used if u not in order]
        if missing:
            raise GdxError(
                f"variable '{missing[0]}' appears in the function but not in the variable list (--vars)",
                kind="input error",
                source=text,
                span=_find_name(text, missing[0]),
                hint=f"list all of: {', '.join(used)}",
            )
    if len(order) > limits.max_variables:
        raise GdxError(
            f"too many variables ({len(order)}; the limit is {limits.max_variables})",
            kind="limit",
            source=text,
        )
    return order


def _find_name(text: str, name: str) -> tuple[int, int] | None:
    m = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text)
    return (m.start(), m.end()) if m else None


#: ASCII characters that are never part of a function, with what to say about them.
_REFUSED_CHARS = {
    "#": "comments ('#') are not allowed",
    ";": "';' is not allowed: give one expression",
    "=": "'=' is not allowed: give an expression, not an equation or assignment",
    "\\": "'\\' is not allowed",
    "$": "'$' is not allowed",
    "?": "'?' is not allowed",
    "!": "'!' is not allowed (factorial is not supported)",
    "`": "'`' is not allowed",
    ":": "':' is not allowed",
}

#: Unicode characters people paste for an operator.
_UNICODE_OPERATORS = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2217": "*", "\u00f7": "/",
                      "\u00b2": "^2", "\u00b3": "^3", "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u2009": " "}

# Mathematical letters and signs gdx spells with a name.
_UNICODE_NAMES = {"\u03c0": "pi", "\u221a": "sqrt(...)", "\u212f": "E (or exp(...))"}


def escaped(text: str, span: tuple[int, int] | None = None) -> tuple[str, tuple[int, int] | None]:
    """``text`` with every character outside printable ASCII written as ``\\uXXXX``, span mapped
    (:func:`gdx.errors.escape_text` with ``ascii_only``: function text is plain ASCII)."""
    from .errors import escape_text

    return escape_text(text, span, ascii_only=True)


def _character_hint(ch: str) -> str:
    """What to type instead of a non-ASCII character (never substituted silently)."""
    import unicodedata

    if ch in _UNICODE_OPERATORS:
        return f"type the ASCII '{_UNICODE_OPERATORS[ch]}' instead"
    if ch in _UNICODE_NAMES:
        return f"write {_UNICODE_NAMES[ch]}"
    plain = unicodedata.normalize("NFKC", ch)
    if plain.isascii() and plain.strip() and plain.isprintable():
        return f"it looks like '{plain}' but is a different character: type the plain ASCII '{plain}'"
    if unicodedata.category(ch) in ("Cf", "Zl", "Zp", "Cc"):
        return "invisible and control characters (e.g. bidi overrides) are not allowed; retype the function"
    return "functions are plain ASCII: letters a-z, A-Z, digits, + - * / ^ ( ) , ."


def _check_characters(text: str, limits: Limits) -> None:
    """Refuse empty, over-long, non-ASCII and control-character input, pointing at it."""
    if len(text) > limits.max_length:
        source, span = escaped(text[: limits.max_length + 200], (limits.max_length, len(text)))
        raise GdxError(
            f"the function is too long ({len(text)} characters; the limit is {limits.max_length})",
            kind="limit",
            source=source,
            span=span,
        )
    if not text.strip():
        raise GdxError("the function is empty", kind="syntax error", source=escaped(text)[0],
                       hint='for example "x**2 + 3*y**2"')
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        code = ord(ch)
        if code > 126 or code < 32 or code == 127:
            import unicodedata

            label = unicodedata.name(ch, "control character" if code < 32 or 127 <= code < 160 else "unnamed")
            source, span = escaped(text, (i, i + 1))
            if code in (10, 13):
                hint = "write the function on one line"
            elif code == 9:
                hint = "use spaces, not tabs"
            else:
                hint = _character_hint(ch)
            raise GdxError(
                f"character U+{code:04X} ({label}) is not allowed",
                kind="syntax error",
                source=source,
                span=span,
                hint=hint,
            )
    for i, ch in enumerate(text):  # after the scan above: the echo below is printable ASCII
        if ch in _REFUSED_CHARS:
            raise GdxError(_REFUSED_CHARS[ch], kind="syntax error", source=text, span=(i, i + 1))
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth > limits.max_parens:
            raise GdxError(
                f"parentheses nested too deeply (the limit is {limits.max_parens})",
                kind="limit",
                source=text,
                span=(i, i + 1),
            )


def _caret_to_pow(text: str) -> tuple[str, list[int]]:
    """Rewrite ``^`` as ``**``; ``origin[i]`` is the input offset of output character i."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch == "^":
            out.append("**")
            origin += [i, i]
        else:
            out.append(ch)
            origin.append(i)
    origin.append(len(text))
    return "".join(out), origin


_NUMBER = r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"
_OPERAND = rf"(?:[A-Za-z_]\w*|{_NUMBER})"
_ABS_BARS = re.compile(r"\|([^|]*)\|")
_SPACED_CALL = re.compile(rf"\b([A-Za-z_]\w*)\s+({_OPERAND})")
_NUMBER_NAME = re.compile(rf"(?<![\w.])({_NUMBER})\s*([A-Za-z_]\w*)")
_JUXTAPOSED = re.compile(rf"({_OPERAND}|\))\s+({_OPERAND}|\()|(\))({_OPERAND}|\()")


def _syntax_hint(text: str, at: int) -> tuple[str | None, tuple[int, int] | None]:
    """A hint for a syntax error at offset ``at`` and the span it is about (None: keep the caret).

    The rules, first match wins: a Python keyword anywhere; ``|u|`` → ``abs(u)``; a function name
    followed by a space and an operand, ``sin x`` → ``sin(x)``; a number followed by a name,
    ``2pi`` → ``2*pi``; two operands side by side, ``x y`` → ``x*y``.  A rule applies only where its
    match touches ``at``, so the hint is about the place Python stopped reading.
    """
    import keyword

    for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", text):
        if keyword.iskeyword(m.group(0)):
            return f"'{m.group(0)}' is a Python keyword; gdx functions are arithmetic expressions only", None
    for pattern, spell in (
        (_ABS_BARS, lambda m: f"|u| is not gdx syntax: write abs({m.group(1).strip()})"),
        (_SPACED_CALL, lambda m: f"a function needs parentheses: write {m.group(1)}({m.group(2)})"
         if m.group(1) in FUNCTIONS else None),
        (_NUMBER_NAME, lambda m: f"implicit multiplication is not supported: write {m.group(1)}*{m.group(2)}"),
        (_JUXTAPOSED, _juxtaposed_hint),
    ):
        for m in pattern.finditer(text):
            if m.start() <= at <= m.end():
                hint = spell(m)
                if hint:
                    return hint, (m.start(), m.end())
    return None, None


def _juxtaposed_hint(m: re.Match) -> str:
    """``x y`` → ``write x*y``; ``sin(x) cos(y)`` → '*' between the factors."""
    left, right = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    if left == ")" or right == "(":
        return "implicit multiplication is not supported: write '*' between the factors, e.g. (x+1)*(x-1)"
    return f"implicit multiplication is not supported: write {left}*{right}"


def _read_tree(text: str, python_text: str, origin: list[int], limits: Limits) -> ast.Expression:
    """Python's parser reads (never runs) the text; syntax errors become spans."""
    import warnings

    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal": the error below says it
            warnings.simplefilter("ignore")
            tree = ast.parse(python_text.strip() and python_text, mode="eval")
    except SyntaxError as exc:
        offset = max(0, (exc.offset or 1) - 1)
        if exc.lineno and exc.lineno > 1:
            offset = len(python_text)
        start = origin[min(offset, len(origin) - 1)]
        hint, span = _syntax_hint(text, start)
        message = (exc.msg or "invalid syntax").replace("invalid syntax. Perhaps you forgot a comma?", "invalid syntax")
        raise GdxError(message, kind="syntax error", source=text, span=span or (start, start + 1), hint=hint) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise GdxError(f"cannot read the function: {exc}", kind="syntax error", source=text) from None
    nodes = 0
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += isinstance(node, ast.expr)  # numbers, names, operations, calls (not Load/Add markers)
        if depth > limits.max_depth:
            raise GdxError(
                f"the expression is nested too deeply (the limit is {limits.max_depth} levels)",
                kind="limit",
                source=text,
                span=_span_of(node, origin, text),
            )
        if nodes > limits.max_nodes:
            raise GdxError(
                f"the expression is too large (over {limits.max_nodes} terms and operators)",
                kind="limit",
                source=text,
                span=_span_of(node, origin, text),
            )
        stack.extend((child, depth + (0 if _same_chain(node, child) else 1)) for child in ast.iter_child_nodes(node))
    return tree


_CHAINS = ({ast.Add, ast.Sub}, {ast.Mult, ast.Div})


def _same_chain(node: ast.AST, child: ast.AST) -> bool:
    """``a + b - c + d`` is one flat sum, not four levels: the left operand continuing a chain."""
    if not (isinstance(node, ast.BinOp) and isinstance(child, ast.BinOp) and child is node.left):
        return False
    return any(type(node.op) in c and type(child.op) in c for c in _CHAINS)


def _span_of(node: ast.AST, origin: list[int], text: str) -> tuple[int, int] | None:
    if not hasattr(node, "col_offset"):
        return None
    start = origin[min(node.col_offset, len(origin) - 1)]
    end_col = getattr(node, "end_col_offset", None) or node.col_offset + 1
    end = origin[min(end_col, len(origin) - 1)]
    if end_col - 1 < len(origin) - 1:
        end = origin[end_col - 1] + 1
    return (start, max(end, start + 1))


class _Builder:
    """Walks an allow-listed syntax tree, building SymPy objects and checking constants.

    ``build`` returns a SymPy expression.  For every constant sub-tree it also computes a
    float value (``_value``) and a bound on the bits of its exact value (``_bits``), refusing
    overflow, underflow, division by zero and non-real values before SymPy evaluates anything.
    """

    def __init__(self, text: str, origin: list[int], limits: Limits, functions=None) -> None:
        import sympy

        self.functions = FUNCTIONS if functions is None else functions
        self.sp = sympy
        self.text = text
        self.origin = origin
        self.limits = limits
        self.names: set[str] = set()
        self.symbols: dict[str, Any] = {}

    def error(self, node: ast.AST, message: str, *, hint: str | None = None, kind: str = "syntax error") -> GdxError:
        return GdxError(message, kind=kind, source=self.text, span=_span_of(node, self.origin, self.text), hint=hint)

    # Each handler returns (sympy_expr, float_value_or_None, exact_bits_or_None).
    def build(self, node: ast.AST):
        expr, _value, _bits = self._node(node)
        return expr

    def _node(self, node: ast.AST):
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self._refusal(node)
        expr, value, bits = method(node)
        if value is None and expr.is_Number:  # SymPy folded it (y**0 is 1): a constant from here on
            value = self._bounded(node, float(expr))
            bits = max(bits or 0, 64)
        return expr, value, bits

    def _refusal(self, node: ast.AST) -> GdxError:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, bytes)):
                return self.error(node, "string literals are not allowed", hint="a function is arithmetic on numbers and variables")
            if isinstance(node.value, complex):
                return self.error(node, f"the complex number {node.value!r} is not allowed", hint="gdx works with real numbers")
            span = _span_of(node, self.origin, self.text)
            shown = self.text[span[0] : span[1]] if span else repr(node.value)
            return self.error(node, f"'{shown}' is not allowed")
        word = _NODE_WORDS.get(type(node), type(node).__name__)
        hint = None
        if isinstance(node, ast.Attribute):
            hint = "gdx functions have no attributes; write sin(x), not math.sin(x)"
        if isinstance(node, ast.Tuple):
            return self.error(node, "a tuple is not allowed inside an expression")
        return self.error(node, f"{word} is not allowed in a function", hint=hint)

    def _Constant(self, node: ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._refusal(node)
        if isinstance(value, float) and not math.isfinite(value) or abs(value) > self.limits.max_literal:
            raise self.error(
                node, f"number too large (the limit is {self.limits.max_literal:g})", kind="limit"
            )
        if isinstance(value, int):
            return self.sp.Integer(value), float(value), max(1, value.bit_length())
        return self.sp.Float(value), value, 64

    def _Name(self, node: ast.Name):
        name = node.id
        if name in ("pi",):
            return self.sp.pi, math.pi, 0
        if name in ("E", "e"):
            return self.sp.E, math.e, 0
        if name in self.functions:
            raise self.error(node, f"'{name}' is a function, not a variable", hint=f"write {name}(x)")
        if not _NAME.match(name) or name.startswith("_"):
            raise self.error(
                node, f"'{name}' is not allowed as a name", hint="variables are a letter, then letters, digits or '_'"
            )
        if len(name) > self.limits.max_name_length:
            raise self.error(
                node, f"variable name too long (the limit is {self.limits.max_name_length} characters)", kind="limit"
            )
        self.names.add(name)
        if name not in self.symbols:
            self.symbols[name] = self.sp.Symbol(name, real=True)
        return self.symbols[name], None, 0  # a variable carries no coefficient

    def _UnaryOp(self, node: ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            expr, value, bits = self._node(node.operand)
            return -expr, (None if value is None else -value), bits
        if isinstance(node.op, ast.UAdd):
            return self._node(node.operand)
        raise self.error(node, f"operator {'not' if isinstance(node.op, ast.Not) else '~'} is not allowed")

    def _BinOp(self, node: ast.BinOp):
        """A chain ``a + b - c + …`` (or ``a * b / c …``) is built iteratively, left to right."""
        chain = [node]
        while isinstance(chain[-1].left, ast.BinOp) and _same_chain(chain[-1], chain[-1].left):
            chain.append(chain[-1].left)
        acc = self._node(chain[-1].left)
        if acc[1] is None and all(type(link.op) in (ast.Add, ast.Sub) for link in chain):
            return self._sum(chain, acc)
        for link in reversed(chain):
            acc = self._combine(link, acc)
        return acc

    def _sum(self, chain: list, first):
        """A sum ``u ± b ± c …`` whose first term is not constant (so no partial sum is): one
        ``Add`` of all its terms -- adding them one by one re-sorts the growing sum each time,
        O(terms²) (0.8 s for n-D Rosenbrock at n = 100)."""
        expr, _value, bits = first
        terms = [expr]
        for link in reversed(chain):
            right, _rv, rb = self._node(link.right)
            bits = self._bits(link, ast.Add, bits or 0, rb or 0, None, constant=False)
            terms.append(right if isinstance(link.op, ast.Add) else -right)
        return self._checked(chain[0], self.sp.Add(*terms), None), None, bits

    def _combine(self, node: ast.BinOp, built_left):
        op = type(node.op)
        if op not in _BINOPS:
            hint = "write x**2 or x^2 for powers" if op is ast.BitXor else None
            raise self.error(node, f"operator {_REFUSED_BINOPS.get(op, op.__name__)} is not supported", hint=hint)
        left, lv, lb = built_left
        right, rv, rb = self._node(node.right)
        if op is ast.Pow and rv is not None and abs(rv) > self.limits.max_exponent:
            raise self.error(
                node.right,
                f"exponent {rv:g} is too large (the limit is ±{self.limits.max_exponent:g})",
                kind="limit",
            )
        value = None
        if lv is not None and rv is not None:
            value = self._fold(node, op, lv, rv)
        elif op is ast.Pow and rv is not None:
            self._check_expansion(node, left, rv)
        bits = self._bits(node, op, lb, rb, rv, constant=value is not None)
        sp = self.sp
        if op is ast.Add:
            expr = left + right
        elif op is ast.Sub:
            expr = left - right
        elif op is ast.Mult:
            expr = left * right
        elif op is ast.Div:
            if rv == 0:
                raise self.error(node, "division by zero", kind="math error")
            expr = left / right
        else:
            expr = sp.Pow(left, right)
        return self._checked(node, expr, value), value, bits

    def _fold(self, node: ast.AST, op, a: float, b: float) -> float:
        """The float value of ``a op b``, refusing overflow, underflow and non-real results."""
        try:
            if op is ast.Add:
                value = a + b
            elif op is ast.Sub:
                value = a - b
            elif op is ast.Mult:
                value = a * b
                if value == 0 and a != 0 and b != 0:
                    raise OverflowError("underflow")
            elif op is ast.Div:
                if b == 0:
                    raise ZeroDivisionError
                value = a / b
                if value == 0 and a != 0:
                    raise OverflowError("underflow")
            else:
                if a == 0 and b < 0:
                    raise ZeroDivisionError
                value = a**b
                if isinstance(value, complex):
                    raise ValueError("non-real")
                if value == 0 and a != 0:
                    raise OverflowError("underflow")
        except ZeroDivisionError:
            raise self.error(node, "division by zero in a constant", kind="math error") from None
        except OverflowError as exc:
            word = "too small (underflow)" if "underflow" in str(exc) else "too large"
            raise self.error(node, f"this constant is {word}", kind="limit") from None
        except ValueError:
            raise self.error(node, "this constant is not a real number", kind="math error") from None
        return self._bounded(node, value)

    def _bounded(self, node: ast.AST, value: float) -> float:
        if isinstance(value, complex):
            raise self.error(node, "this constant is not a real number", kind="math error")
        if not math.isfinite(value) or abs(value) > self.limits.max_constant:
            raise self.error(
                node, f"this constant is too large (the limit is {self.limits.max_constant:g})", kind="limit"
            )
        return value

    #: The largest |log2| of a coefficient of a non-constant expression: float64 ends at 2**1024.
    MAX_COEFFICIENT_LOG2 = 1000

    def _coefficient_log2(self, expr) -> float:
        """|log2| of the numeric coefficient SymPy keeps in front of ``expr`` (0 for none)."""
        coeff = expr.as_coeff_Mul()[0]
        if coeff == 0 or not coeff.is_Number:
            return 0.0
        if coeff.is_Rational:
            return abs(math.log2(abs(int(coeff.p))) - math.log2(int(coeff.q)))
        as_float = abs(float(coeff))
        return abs(math.log2(as_float)) if 0 < as_float < math.inf else math.inf  # 0: it underflowed

    def _check_expansion(self, node: ast.AST, base, exponent: float) -> None:
        """``(c*x)**n`` is expanded by SymPy to ``c**n * x**n`` at once: |n·log2 c| must stay
        within MAX_COEFFICIENT_LOG2, else the coefficient is beyond float64 (and nested powers
        would build integers of millions of digits before anything could stop them)."""
        size = abs(exponent) * self._coefficient_log2(base)
        if size > self.MAX_COEFFICIENT_LOG2:
            raise self.error(
                node,
                f"this power is too large to expand exactly: its coefficient would be about 2^{size:.3g}, "
                f"beyond float64 (2^{self.MAX_COEFFICIENT_LOG2} is the limit)",
                kind="limit",
                hint="use smaller constant factors or exponents inside nested powers",
            )

    def _bits(self, node: ast.AST, op, lb: int, rb: int, rv, *, constant: bool) -> int:
        """A bound on the size, in bits, of the exact numbers SymPy would compute for ``a op b``.

        For a constant it is its exact value; for an expression, the coefficients SymPy
        expands out of it: ``(c*x)**n`` becomes ``c**n * x**n`` at once, so a power with a
        constant exponent n multiplies its base's bits by |n| + 1 (``(((2*x)**1000)**1000)``
        would be 2**1000000).  A variable has 0 bits; sums and products add their operands'.
        Over ``max_constant_bits`` the input is refused before SymPy computes anything.
        """
        if op is ast.Pow and rv is not None:
            bits = lb * max(1, int(min(abs(rv), 1e18)) + 1) + rb
        else:
            bits = lb + rb
        if bits > self.limits.max_constant_bits:
            if constant:
                raise self.error(node, "this constant is too large to evaluate exactly", kind="limit")
            raise self.error(
                node,
                f"this power is too large to expand exactly: its coefficients would have over "
                f"{self.limits.max_constant_bits} bits",
                kind="limit",
                hint="use smaller constant factors or exponents inside nested powers",
            )
        return bits

    def _checked(self, node: ast.AST, expr, value):
        """A constant that SymPy evaluates to ∞, NaN or a complex number is refused; so is an
        expression whose coefficient is beyond float64 (``(2*x)**600*(2*x)**600``)."""
        if value is None and not expr.is_number and self._coefficient_log2(expr) > self.MAX_COEFFICIENT_LOG2:
            raise self.error(node, "a coefficient of this expression is beyond float64's range", kind="limit",
                             hint="use smaller constant factors or exponents")
        if value is not None or expr.is_number:
            sp = self.sp
            if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I):
                raise self.error(node, "this constant is not a finite real number", kind="math error")
        return expr

    def _Call(self, node: ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            raise self._implicit_call(node) if not isinstance(func, ast.Attribute) else self._refusal(func)
        name = func.id
        if name not in self.functions:
            hint = did_you_mean(name, self.functions)
            texts = any(isinstance(a, ast.Constant) and isinstance(a.value, (str, bytes)) for a in node.args)
            if texts:
                hint = "gdx never evaluates text; allowed functions: " + ", ".join(self.functions)
            elif hint is None and len(name) <= 2 and len(node.args) == 1 and not node.keywords:
                hint = f"implicit multiplication is not supported: write {name}*(...)"
            elif hint is None:
                hint = "allowed functions: " + ", ".join(self.functions)
            raise self.error(func, f"unknown function '{name}'", hint=hint)
        sympy_name, arity = self.functions[name]
        if node.keywords:
            raise self.error(node.keywords[0].value, f"'{name}' takes no keyword arguments")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self._refusal(next(a for a in node.args if isinstance(a, ast.Starred)))
        if len(node.args) != arity:
            raise self.error(node, f"'{name}' takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}")
        built = [self._node(a) for a in node.args]
        args = [b[0] for b in built]
        values = [b[1] for b in built]
        value = None
        if all(v is not None for v in values):
            value = self._call_value(node, name, values)
        bits = sum(b[2] for b in built)
        expr = self._sympy_call(sympy_name, args)
        return self._checked(node, expr, value), value, bits

    def _implicit_call(self, node: ast.Call) -> GdxError:
        """``2(x+1)`` or ``(x+1)(y+1)`` read as a call: an implicit product; the hint puts the '*'
        before the parenthesis that opens the "arguments", the caret covers the whole product."""
        start, end = _span_of(node, self.origin, self.text)
        func_end = _span_of(node.func, self.origin, self.text)[1]
        opening = self.text.find("(", func_end, end)
        if opening < 0:
            return self._refusal(node.func)
        left, right = self.text[start:opening].rstrip(), self.text[opening:end]
        return GdxError("implicit multiplication is not supported", kind="syntax error", source=self.text,
                        span=(start, end), hint=f"write {left}*{right}")

    def _sympy_call(self, sympy_name: str, args):
        sp = self.sp
        if sympy_name == "log10":
            return sp.log(args[0], 10)
        if sympy_name == "log2":
            return sp.log(args[0], 2)
        from .nn_symbolic import CLASSES

        if sympy_name in CLASSES:
            return CLASSES[sympy_name](*args)
        return getattr(sp, sympy_name)(*args)

    def _call_value(self, node: ast.AST, name: str, values: list[float]) -> float:
        """Evaluate an allow-listed function on constants in floats, refusing domain errors."""
        x = values[0]
        table = {
            "sec": lambda v: 1 / math.cos(v),
            "csc": lambda v: 1 / math.sin(v),
            "cot": lambda v: 1 / math.tan(v),
            "ln": math.log,
            "abs": abs,
            "floor": lambda v: float(math.floor(v)),
            "ceil": lambda v: float(math.ceil(v)),
        }
        from . import activations

        table.update({name: getattr(activations, name) for name in ("sigmoid", "relu", "softplus", "gelu")})
        pairs = {"atan2": math.atan2, "min": min, "max": max, "leaky_relu": activations.leaky_relu}
        try:
            if name in pairs:
                value = pairs[name](values[0], values[1])
            else:
                value = (table.get(name) or getattr(math, name))(x)
        except ZeroDivisionError:
            raise self.error(node, f"{name} of this constant is infinite", kind="math error") from None
        except OverflowError:
            raise self.error(node, f"{name} of this constant is too large", kind="limit") from None
        except ValueError:
            raise self.error(node, f"{name} is not defined (as a real number) at this constant", kind="math error") from None
        if value == 0 and name == "exp":
            raise self.error(node, "this constant is too small (underflow)", kind="limit")
        return self._bounded(node, value)


def tree_key(text: str, variables=None) -> str:
    """The canonical form of a function before SymPy sees it: ``ast.dump`` of the checked syntax
    tree (no positions, so ``x^2+3*y^2`` and ``x**2 + 3*y**2`` are one), and ``--vars`` as the
    tuple :func:`parse_variables` reads.  The compiled cache's key (gdx.compiled_cache); raises
    the same GdxError parse_function would for text that fails the character and syntax checks."""
    if not isinstance(text, str):
        raise GdxError("the function must be text", kind="input error")
    _check_characters(text, LIMITS)
    python_text, origin = _caret_to_pow(text)
    order = None if variables in (None, "", ()) else parse_variables(variables)
    return repr((ast.dump(_read_tree(text, python_text, origin, LIMITS)), order))
