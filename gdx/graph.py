"""The computation graph of a function as typed, its forward pass and reverse-mode adjoints.

The rules (micrograd's, in floats; no SymPy):

* **graph** — built from the parser's checked syntax tree (``Problem.tree``), not SymPy's form:
  ``x/y`` stays a division, ``(a+b)^2`` is a power of a sum, ``w*x + b`` keeps its order.  Each
  variable, constant, operation and call is a node; a sub-expression typed twice (the same text
  up to spacing) is **one** node used twice, so its adjoint sums both uses.  ``-2`` is one
  constant; ``+u`` is ``u``.  Nodes are in topological order: every input before its node;
* **forward** — each node's value from its inputs', and its local derivatives ∂node/∂input;
  a node with no real value (log of a negative number, 0/0, a negative base to a variable
  power) or an infinite local derivative (sqrt at 0) is a :class:`GdxError` naming it;
* **backward** — adjoint(output) = 1; visiting nodes in reverse topological order, each adds
  adjoint(node)·∂node/∂input to each input's adjoint.  A leaf's adjoint is ∂f/∂variable;
* **flow** — every path from the output to a variable's leaf contributes the product of the
  local derivatives on its edges; the contributions sum to the adjoint.  The largest (by
  magnitude) are found without listing all paths (their number can grow exponentially with
  shared nodes); a factor with |·| < :data:`VANISHING` shrinks the gradient, |·| >
  :data:`EXPLODING` blows it up.

At a kink the local derivative follows torch (gdx.activations): relu′(0) = 0, leaky_relu′(0) = a,
abs′(0) = 0, a tie of max/min splits ½/½.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

from . import activations
from .errors import GdxError

#: |factor| below this shrinks the gradient (vanishing), above EXPLODING blows it up.
VANISHING = 0.1
EXPLODING = 10.0

_BIN = {ast.Add: ("add", " + ", 1), ast.Sub: ("sub", " - ", 1), ast.Mult: ("mul", "*", 2),
        ast.Div: ("div", "/", 2), ast.Pow: ("pow", "^", 4)}
_ATOM = 5


@dataclass(frozen=True)
class Node:
    """One node: ``op`` (var, const, add, sub, mul, div, pow, neg or a function's name), its
    sub-expression as gdx syntax, the indices of its inputs, a variable's name or a constant's value."""

    index: int
    op: str
    label: str
    inputs: tuple[int, ...] = ()
    name: str | None = None
    constant: float | None = None

    @property
    def id(self) -> str:
        return f"n{self.index}"


@dataclass(frozen=True)
class Graph:
    """Nodes in topological order (inputs first); ``output`` is the last; ``typed`` counts the
    nodes of the syntax tree before shared sub-expressions were merged."""

    nodes: tuple[Node, ...]
    variables: tuple[str, ...]
    typed: int

    @property
    def output(self) -> int:
        return len(self.nodes) - 1

    def leaf(self, variable: str) -> int | None:
        """The node of a variable (None: the function does not use it)."""
        for node in self.nodes:
            if node.op == "var" and node.name == variable:
                return node.index
        return None

    @property
    def shared(self) -> tuple[int, ...]:
        """Nodes used by more than one edge (drawn once, referred to after)."""
        uses = [0] * len(self.nodes)
        for node in self.nodes:
            for i in node.inputs:
                uses[i] += 1
        return tuple(i for i, u in enumerate(uses) if u > 1)


def _children(node: ast.AST) -> list:
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return []
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _number_text(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _wrap(label: str, prec: int, needs: bool) -> str:
    return f"({label})" if needs else label


def build(tree: ast.AST, variables: tuple[str, ...]) -> Graph:
    """The graph of a checked syntax tree (``ast.Expression`` or its body), built without recursion."""
    body = tree.body if isinstance(tree, ast.Expression) else tree
    nodes: list[Node] = []
    precs: list[int] = []
    by_label: dict[str, int] = {}
    built: dict[int, int] = {}
    typed = 0

    def add(op, label, prec, inputs=(), name=None, constant=None) -> int:
        known = by_label.get(label)
        if known is not None:
            return known
        node = Node(len(nodes), op, label, tuple(inputs), name, constant)
        nodes.append(node)
        precs.append(prec)
        by_label[label] = node.index
        return node.index

    stack = [(body, False)]
    while stack:
        item, done = stack.pop()
        if not done:
            stack.append((item, True))
            stack.extend((c, False) for c in reversed(_children(item)))
            continue
        kids = [built[id(c)] for c in _children(item)]
        typed += not (isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.UAdd))
        built[id(item)] = _make(item, kids, nodes, precs, add)
    return Graph(tuple(nodes), tuple(variables), typed)


def _make(item, kids, nodes, precs, add) -> int:
    """The node of one syntax-tree item whose inputs are built (see :func:`build`)."""
    if isinstance(item, ast.Constant):
        return add("const", _number_text(item.value), _ATOM, constant=float(item.value))
    if isinstance(item, ast.Name):
        if item.id == "pi":
            return add("const", "pi", _ATOM, constant=math.pi)
        if item.id in ("e", "E"):
            return add("const", item.id, _ATOM, constant=math.e)
        return add("var", item.id, _ATOM, name=item.id)
    if isinstance(item, ast.UnaryOp):
        if isinstance(item.op, ast.UAdd):
            return kids[0]
        if not kids:  # -<number>: one constant
            value = -float(item.operand.value)
            return add("const", "-" + _number_text(item.operand.value), 3, constant=value)
        (a,) = kids
        return add("neg", "-" + _wrap(nodes[a].label, precs[a], precs[a] <= 3), 3, (a,))
    if isinstance(item, ast.BinOp):
        op, symbol, prec = _BIN[type(item.op)]
        a, b = kids
        if op == "pow":
            left = _wrap(nodes[a].label, precs[a], precs[a] <= 4)
            right = _wrap(nodes[b].label, precs[b], precs[b] < 4)
        else:
            left = _wrap(nodes[a].label, precs[a], precs[a] < prec)
            right = _wrap(nodes[b].label, precs[b], precs[b] <= prec)
        return add(op, left + symbol + right, prec, (a, b))
    name = item.func.id
    return add(name, f"{name}({', '.join(nodes[k].label for k in kids)})", _ATOM, kids)


def with_data(graph: Graph, row: dict[str, float]) -> Graph:
    """The graph at one example: each leaf named in ``row`` (a data column) becomes a ``data``
    node holding that row's value -- a constant of the per-example loss, labelled as data -- and
    the graph's variables are the remaining names (the parameters θ), so the leaves' adjoints
    are ∂ℓ(θ; d)/∂θ at that example."""
    nodes = tuple(Node(n.index, "data", n.label, n.inputs, n.name, float(row[n.name]))
                  if n.op == "var" and n.name in row else n for n in graph.nodes)
    return Graph(nodes, tuple(v for v in graph.variables if v not in row), graph.typed)


# -- forward ----------------------------------------------------------------------------------
def _sign(a: float) -> float:
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0


def _inverse_sqrt(u: float) -> float:
    if u <= 0:
        raise ZeroDivisionError
    return 1.0 / math.sqrt(u)


#: op → (value of the inputs, local derivatives given the inputs and the value).
_UNARY = {
    "neg": (lambda a: -a, lambda a, v: (-1.0,)),
    "sin": (math.sin, lambda a, v: (math.cos(a),)),
    "cos": (math.cos, lambda a, v: (-math.sin(a),)),
    "tan": (math.tan, lambda a, v: (1.0 + v * v,)),
    "sec": (lambda a: 1.0 / math.cos(a), lambda a, v: (v * math.tan(a),)),
    "csc": (lambda a: 1.0 / math.sin(a), lambda a, v: (-v / math.tan(a),)),
    "cot": (lambda a: 1.0 / math.tan(a), lambda a, v: (-(1.0 + v * v),)),
    "asin": (math.asin, lambda a, v: (_inverse_sqrt(1.0 - a * a),)),
    "acos": (math.acos, lambda a, v: (-_inverse_sqrt(1.0 - a * a),)),
    "atan": (math.atan, lambda a, v: (1.0 / (1.0 + a * a),)),
    "sinh": (math.sinh, lambda a, v: (math.cosh(a),)),
    "cosh": (math.cosh, lambda a, v: (math.sinh(a),)),
    "tanh": (math.tanh, lambda a, v: (1.0 - v * v,)),
    "asinh": (math.asinh, lambda a, v: (1.0 / math.sqrt(a * a + 1.0),)),
    "acosh": (math.acosh, lambda a, v: (_inverse_sqrt(a * a - 1.0),)),
    "atanh": (math.atanh, lambda a, v: (1.0 / (1.0 - a * a),)),
    "exp": (math.exp, lambda a, v: (v,)),
    "log": (math.log, lambda a, v: (1.0 / a,)),
    "ln": (math.log, lambda a, v: (1.0 / a,)),
    "log10": (math.log10, lambda a, v: (1.0 / (a * math.log(10.0)),)),
    "log2": (math.log2, lambda a, v: (1.0 / (a * math.log(2.0)),)),
    "sqrt": (math.sqrt, lambda a, v: (0.5 / v if v > 0 else math.inf,)),
    "abs": (abs, lambda a, v: (_sign(a),)),
    "sigmoid": (activations.sigmoid, lambda a, v: (v * (1.0 - v),)),
    "relu": (activations.relu, lambda a, v: (1.0 if a > 0 else 0.0,)),
    "softplus": (activations.softplus, lambda a, v: (activations.sigmoid(a),)),
    "gelu": (activations.gelu, lambda a, v: (activations.gelu_slope(a),)),
}


def _atan2_local(y: float, x: float, v: float) -> tuple:
    r2 = x * x + y * y
    if r2 == 0:
        raise ZeroDivisionError
    return (x / r2, -y / r2)


def _tie(a: float, b: float) -> tuple:
    """∂max(a, b)/∂(a, b): the winner gets 1, a tie ½ each (torch.maximum)."""
    return (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)


_BINARY = {
    "add": (lambda a, b: a + b, lambda a, b, v: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda a, b, v: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda a, b, v: (b, a)),
    "atan2": (math.atan2, _atan2_local),
    "leaky_relu": (activations.leaky_relu, lambda x, a, v: (1.0, 0.0) if x > 0 else (a, x)),
    "max": (max, lambda a, b, v: _tie(a, b)),
    "min": (min, lambda a, b, v: _tie(a, b)[::-1]),
}


@dataclass
class Backprop:
    """The numbers of one point: per node its value, its local derivatives (one per input, None
    where the derivative leads only to a constant and does not exist; that edge adds nothing) and
    its adjoint ∂f/∂node."""

    graph: Graph
    point: tuple[float, ...]
    values: list[float]
    local: list[tuple]
    adjoints: list[float] = field(default_factory=list)

    @property
    def value(self) -> float:
        return self.values[self.graph.output]

    def gradient(self) -> dict[str, float]:
        """∂f/∂variable: the adjoint of its leaf (0 for a variable the function does not use)."""
        out = {}
        for name in self.graph.variables:
            leaf = self.graph.leaf(name)
            out[name] = 0.0 if leaf is None else self.adjoints[leaf]
        return out


class _Undefined(Exception):
    pass


def forward(graph: Graph, point) -> Backprop:
    """Values and local derivatives at ``point`` (one float per variable, in order), or a
    GdxError naming the first node that is undefined there."""
    values: list[float] = []
    local: list[tuple] = []
    coords = dict(zip(graph.variables, (float(v) for v in point)))
    depends = _depends_on_variables(graph)
    for node in graph.nodes:
        ins = [values[i] for i in node.inputs]
        try:
            value, partials = _evaluate(node, ins, coords, depends, graph)
        except (ValueError, ZeroDivisionError, OverflowError, _Undefined) as exc:
            raise _undefined(graph, node, ins, exc) from None
        values.append(value)
        local.append(partials)
    return Backprop(graph, tuple(float(v) for v in point), values, local)


def _depends_on_variables(graph: Graph) -> list[bool]:
    out: list[bool] = []
    for node in graph.nodes:
        out.append(node.op == "var" or any(out[i] for i in node.inputs))
    return out


def _evaluate(node: Node, ins: list[float], coords: dict, depends: list[bool], graph: Graph):
    """(value, local derivatives) of one node; raises on a point where it is undefined."""
    if node.op == "var":
        return coords[node.name], ()
    if node.op in ("const", "data"):
        return node.constant, ()
    if node.op == "div":
        a, b = ins
        value = a / b
        return _finite(value), (1.0 / b, -value / b)
    if node.op == "pow":
        return _power(node, ins, depends)
    table = _UNARY if len(ins) == 1 else _BINARY
    value_of, local_of = table[node.op]
    value = _finite(float(value_of(*ins)))
    return value, tuple(float(d) for d in local_of(*ins, value))


def _power(node: Node, ins: list[float], depends: list[bool]):
    """a^b; ∂/∂a = b·a^(b−1); ∂/∂b = a^b·ln a (0 at a = 0 for b > 0, as torch; None for a
    negative base to a constant power, which no variable reaches)."""
    a, b = ins
    value = a**b
    if isinstance(value, complex):
        raise _Undefined("a negative number to a fractional power is not real")
    value = _finite(value)
    if b == 0:
        da = 0.0
    elif b == 1:
        da = 1.0
    else:
        da = b * a ** (b - 1)
        if isinstance(da, complex):
            raise _Undefined("a negative number to a fractional power is not real")
    if a > 0:
        db = value * math.log(a)
    elif a == 0 and b > 0:
        db = 0.0
    elif depends[node.inputs[1]]:
        raise _Undefined("a power with a variable exponent needs a positive base")
    else:
        db = None
    return value, (float(da), db)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise OverflowError
    return value


def _undefined(graph: Graph, node: Node, ins: list[float], exc: Exception) -> GdxError:
    """The GdxError of a node with no value (or no finite derivative) at the point."""
    from .numbers import fmt

    given = ", ".join(f"{graph.nodes[i].label} = {fmt(v)}" for i, v in zip(node.inputs, ins))
    if isinstance(exc, ZeroDivisionError):
        what = "division by zero" if node.op in ("div", "pow", "sec", "csc", "cot") else "an infinite derivative"
        if node.op == "div" and ins[1] == 0 and ins[0] == 0:
            what = "0/0"
    elif isinstance(exc, OverflowError):
        what = "a value beyond float64's range"
    elif isinstance(exc, _Undefined):
        what = str(exc)
    else:
        what = f"{node.op} has no real value there"
    if what == "an infinite derivative":
        message = f"node {node.id} ({node.label}) has an infinite derivative at this point"
    else:
        message = f"node {node.id} ({node.label}) is not defined at this point: {what}"
    return GdxError(message + (f" ({given})" if given else ""), kind="math error",
                    hint="choose another --at point (inside the function's domain)")


def backward(result: Backprop) -> Backprop:
    """Reverse mode: adjoint(output) = 1; each node, from the last, adds adjoint·local to its inputs.

    An infinite local derivative (sqrt at 0) that the gradient passes through is a GdxError
    naming the node."""
    graph = result.graph
    adjoints = [0.0] * len(graph.nodes)
    adjoints[graph.output] = 1.0
    for node in reversed(graph.nodes):
        adj = adjoints[node.index]
        for i, d in zip(node.inputs, result.local[node.index]):
            if d is None:  # a negative base's constant exponent: no ∂ on this edge (torch: NaN); no variable is reached
                continue
            if math.isinf(d):
                raise _undefined(graph, node, [result.values[j] for j in node.inputs], ZeroDivisionError())
            adjoints[i] += adj * d
    result.adjoints = adjoints
    return result


def backprop(graph: Graph, point) -> Backprop:
    """forward, then backward."""
    return backward(forward(graph, point))


# -- gradient flow ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Path:
    """One path from the output to a leaf: its nodes (output first) and the local derivative on
    each edge; its contribution is their product."""

    nodes: tuple[int, ...]
    factors: tuple[float, ...]

    @property
    def product(self) -> float:
        return math.prod(self.factors)


@dataclass(frozen=True)
class Flow:
    """∂f/∂variable as a sum over paths: the ``paths`` with the largest |contribution| shown,
    ``count`` paths in all, the rest (``folded``, summing to ``folded_sum``) folded."""

    variable: str
    total: float
    count: int
    paths: tuple[Path, ...]

    @property
    def folded(self) -> int:
        return self.count - len(self.paths)

    @property
    def folded_sum(self) -> float:
        return self.total - math.fsum(p.product for p in self.paths)


def flows(result: Backprop, top: int = 5) -> list[Flow]:
    """For each variable, its paths' count and the ``top`` largest contributions.

    The top paths to every node are extensions of the top paths to its users (|products|
    multiply), so keeping ``top`` per node finds them without listing all paths."""
    graph = result.graph
    n = len(graph.nodes)
    best: list[list[tuple]] = [[] for _ in range(n)]
    count = [0] * n
    best[graph.output] = [(1.0, (graph.output,), ())]
    count[graph.output] = 1
    for node in reversed(graph.nodes):
        here = best[node.index]
        if not here:
            continue
        for i, d in zip(node.inputs, result.local[node.index]):
            if d is None:
                continue
            count[i] += count[node.index]
            merged = best[i] + [(m * abs(d), nodes + (i,), factors + (d,)) for m, nodes, factors in here]
            merged.sort(key=lambda t: -t[0])
            best[i] = merged[:top]
    out = []
    for name in graph.variables:
        leaf = graph.leaf(name)
        if leaf is None:
            out.append(Flow(name, 0.0, 0, ()))
            continue
        paths = tuple(Path(nodes, factors) for _, nodes, factors in best[leaf])
        out.append(Flow(name, result.adjoints[leaf], count[leaf], paths))
    return out


def factor_kind(d: float) -> str | None:
    """'vanishing' for |d| < VANISHING, 'exploding' for |d| > EXPLODING, else None."""
    if abs(d) < VANISHING:
        return "vanishing"
    if abs(d) > EXPLODING:
        return "exploding"
    return None
