"""Rendering of ``gdx backprop``: the graph as a tree, the gradient flow, the check; ``--explain``.

The tree starts at the output; each line is one node (its id, operation, sub-expression, value
and adjoint ∂f/∂node) reached by an edge labelled with the local derivative ∂parent/∂node.  A
node used more than once is drawn in full the first time and referred to after ("shared, see
above"); below ``depth`` levels, or after :data:`MAX_LINES` lines, a subtree is collapsed to a
count of its nodes (``--json`` always has them all).  Factors of the gradient flow with
|·| < 0.1 are marked ↓ (vanishing), |·| > 10 ↑ (exploding): in colour on a terminal, and by
the arrow in plain text.
"""

from __future__ import annotations

from .console import fmt

#: Lines of the tree before the rest is collapsed.
MAX_LINES = 120
#: Characters of a node's sub-expression shown in the tree (the rest is '…').
LABEL_WIDTH = 32
_MARK = {"vanishing": ("↓", "bold yellow"), "exploding": ("↑", "bold red")}


def _short(label: str, width: int = LABEL_WIDTH) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _at(result) -> str:
    return ", ".join(f"{v} = {fmt(x)}" for v, x in zip(result.graph.variables, result.point))


def _example(example: dict) -> str:
    """``row K of FILE (N rows): x = …, y = …`` -- the data nodes' values."""
    values = ", ".join(f"{k} = {fmt(v)}" for k, v in example["values"].items())
    return f"row {example['row']} of {example['source']} ({example['rows']} rows): {values}"


def _function(target) -> str:
    """The function as typed; for a preset, its name and expression."""
    if target.preset is not None:
        return f"{target.problem.source}  ({target.preset.name})"
    return target.text


def _subtree_size(graph, root: int) -> int:
    seen, stack = {root}, [root]
    while stack:
        for i in graph.nodes[stack.pop()].inputs:
            if i not in seen:
                seen.add(i)
                stack.append(i)
    return len(seen)


def tree_lines(result, *, depth: int = 12, max_lines: int = MAX_LINES):
    """The tree view as (prefix, edge factor or None, node index, note) rows, drawn without recursion."""
    graph = result.graph
    rows = []
    drawn: set[int] = set()
    stack = [(graph.output, "", "", None, 0)]
    while stack:
        index, prefix, child_prefix, factor, level = stack.pop()
        node = graph.nodes[index]
        if len(rows) >= max_lines:
            rest = len(graph.nodes) - len(drawn)
            rows.append((prefix, None, None, f"… {rest} more node{'s' if rest != 1 else ''} not drawn (--json has every node)"))
            break
        if index in drawn and node.inputs:
            rows.append((prefix, factor, index, "shared, see above"))
            continue
        if level >= depth and node.inputs:
            size = _subtree_size(graph, index) - 1
            rows.append((prefix, factor, index, f"… {size} more below (--depth)"))
            drawn.add(index)
            continue
        rows.append((prefix, factor, index, None))
        drawn.add(index)
        kids = list(zip(node.inputs, result.local[index]))
        for k, (i, d) in reversed(list(enumerate(kids))):
            last = k == len(kids) - 1
            stack.append((i, child_prefix + ("└─ " if last else "├─ "), child_prefix + ("   " if last else "│  "), d, level + 1))
    return rows


def render_backprop(console, outcome, *, depth: int = 12) -> None:
    """Header, the tree, the gradient flow and the check."""
    from rich.text import Text

    result = outcome.result
    graph = result.graph
    console.print(Text.assemble(("f", "bold"), f" = {_function(outcome.target)}", "  at ", (_at(result), "bold"),
                                "  value ", (fmt(result.value), "bold")))
    if outcome.example is not None:
        console.print(Text.assemble(("data", "bold"), f" {_example(outcome.example)}"))
    merged = graph.typed - len(graph.nodes)
    console.print(Text(f"{len(graph.nodes)} nodes as typed"
                       + (f" ({merged} repeated sub-expression{'s' if merged != 1 else ''} merged: one node, used twice)" if merged else "")
                       + "; on each edge ∂parent/∂child, on each node its value and adjoint ∂f/∂node", style="dim"))
    console.print()
    for prefix, factor, index, note in tree_lines(result, depth=depth):
        line = Text(prefix, style="dim")
        if factor is not None or prefix:
            line.append_text(_factor(factor, prefix="∂ "))
            line.append(" ─ ", style="dim")
        if index is not None:
            node = graph.nodes[index]
            line.append(f"{node.id} ", style="bold cyan")
            line.append(f"{node.op} ", style="magenta")
            line.append(f"= {fmt(result.values[index])}")
            line.append("  ∂f/∂· ", style="dim")
            line.append(fmt(result.adjoints[index]), style="green")
        if note:
            line.append(f"  {note}", style="dim")
        if index is not None:
            line.append("  ")
            line.append(_short(node.label), style="bold" if node.op == "var" else None)
        console.print(line, no_wrap=True, overflow="ellipsis", crop=True)
    console.print()
    render_flow(console, outcome)
    console.print()
    render_check(console, outcome.check)


def _factor(d, prefix: str = ""):
    from rich.text import Text

    from ..graph import factor_kind

    if d is None:
        return Text(prefix + "—", style="dim")
    kind = factor_kind(d)
    if kind is None:
        return Text(prefix + fmt(d, 5))
    mark, style = _MARK[kind]
    return Text(prefix + fmt(d, 5) + mark, style=style)


def render_flow(console, outcome) -> None:
    """For each variable: ∂f/∂variable = the sum over paths of the products of their factors."""
    from rich.text import Text

    graph = outcome.result.graph
    console.print(Text.assemble(("Gradient flow", "bold"), ("  ∂f/∂v = Σ over paths of the product of ∂ along the path; "
                                                            "↓ |·| < 0.1 vanishing, ↑ |·| > 10 exploding", "dim")))
    for flow in outcome.flows:
        head = Text.assemble(("∂f/∂" + flow.variable, "bold cyan"), f" = {fmt(flow.total)}")
        if flow.count == 0:
            head.append("  (f does not use it)", style="dim")
        else:
            head.append(f"  ({flow.count} path{'s' if flow.count != 1 else ''})", style="dim")
        console.print(head)
        for path in flow.paths:
            line = Text("  " + " → ".join(graph.nodes[i].id for i in path.nodes) + ":  ", style="dim")
            for k, d in enumerate(path.factors):
                if k:
                    line.append(" · ")
                line.append_text(_factor(d))
            line.append(f" = {fmt(path.product)}")
            console.print(line)
        if flow.folded:
            console.print(Text(f"  … and {flow.folded} more path{'s' if flow.folded != 1 else ''}, "
                               f"summing to {fmt(flow.folded_sum)}", style="dim"))


def render_check(console, check: dict) -> None:
    from rich.text import Text

    if check["ok"]:
        console.print(Text.assemble(("gradient check: ", "bold"), ("ok", "bold green"),
                                    f" — the leaves equal the symbolic ∇f (largest relative difference "
                                    f"{fmt(check['max_rel_error'], 2)})"))
    else:
        console.print(Text.assemble(("gradient check: ", "bold"), ("MISMATCH", "bold red"),
                                    f" — the leaves differ from the symbolic ∇f by up to {fmt(check['max_rel_error'], 3)} "
                                    "(relative); please report this function"))


# -- --explain --------------------------------------------------------------------------------
#: Local derivatives as formulas of the inputs a, b and the node's value v.
_FORMULAS = {
    "add": ("1", "1"), "sub": ("1", "-1"), "mul": ("{b}", "{a}"), "div": ("1/{b}", "-{a}/{b}^2"),
    "pow": ("{b}*{a}^({b} - 1)", "{v}*log({a})"), "neg": ("-1",),
    "sin": ("cos({a})",), "cos": ("-sin({a})",), "tan": ("1 + {v}^2",), "exp": ("{v}",),
    "log": ("1/{a}",), "ln": ("1/{a}",), "sqrt": ("1/(2*{v})",), "abs": ("sign({a})",),
    "tanh": ("1 - {v}^2",), "sinh": ("cosh({a})",), "cosh": ("sinh({a})",), "atan": ("1/(1 + {a}^2)",),
    "sigmoid": ("{v}*(1 - {v})",), "softplus": ("sigmoid({a})",), "relu": ("step({a}, 0)",),
    "leaky_relu": ("1 if {a} > 0 else {b}", "0 if {a} > 0 else {a}"),
    "max": ("[{a} > {b}] (½ at a tie)", "[{b} > {a}] (½ at a tie)"),
    "min": ("[{a} < {b}] (½ at a tie)", "[{b} < {a}] (½ at a tie)"),
    "gelu": ("Phi({a}) + {a}*phi({a})",),
}


def _node_formula(graph, node, names) -> str:
    """The node's operation on its inputs' ids: ``n3*n2``, ``tanh(n1)``."""
    from ..graph import _BIN

    if node.op in ("var", "const", "data"):
        return node.label
    ids = [names[i] for i in node.inputs]
    symbols = {v[0]: v[1] for v in _BIN.values()}
    if node.op in symbols:
        return ids[0] + symbols[node.op] + ids[1]
    if node.op == "neg":
        return "-" + ids[0]
    return f"{node.op}({', '.join(ids)})"


def explain_lines(outcome) -> list[str]:
    """The forward pass one node per line, then the backward pass one edge per line."""
    result = outcome.result
    graph = result.graph
    names = [n.id for n in graph.nodes]
    lines = [f"f = {_function(outcome.target)} at {_at(result)}"]
    if outcome.example is not None:
        lines.append(f"data: {_example(outcome.example)}")
    lines += ["", "Forward pass (each node from its inputs):"]
    for node in graph.nodes:
        value = fmt(result.values[node.index])
        if node.op == "var":
            lines.append(f"  {node.id} = {node.label} = {value}")
        elif node.op == "const":
            lines.append(f"  {node.id} = {node.label}")
        elif node.op == "data":
            lines.append(f"  {node.id} = {node.label} = {value}  (data)")
        else:
            shown = {i: fmt(result.values[i]) if result.values[i] >= 0 else f"({fmt(result.values[i])})" for i in node.inputs}
            numbers = _node_formula(graph, node, shown)
            lines.append(f"  {node.id} = {_node_formula(graph, node, names)} = {numbers} = {value}")
    lines += [f"f = {names[graph.output]} = {fmt(result.value)}", "",
              "Backward pass (adjoint ∂f/∂node, from the output; each edge adds ∂f/∂parent · ∂parent/∂input):",
              f"  ∂f/∂{names[graph.output]} = 1"]
    running = [0.0] * len(graph.nodes)
    running[graph.output] = 1.0
    for node in reversed(graph.nodes):
        formulas = _FORMULAS.get(node.op, ())
        adj = result.adjoints[node.index]
        for k, (i, d) in enumerate(zip(node.inputs, result.local[node.index])):
            if d is None:
                continue
            running[i] += adj * d
            ab = {"a": names[node.inputs[0]], "b": names[node.inputs[1]] if len(node.inputs) > 1 else "", "v": node.id}
            local = f"∂{node.id}/∂{names[i]}"
            if k < len(formulas) and formulas[k].format(**ab) != fmt(d):
                local += " = " + formulas[k].format(**ab)
            lines.append(f"  {local} = {fmt(d)};  ∂f/∂{names[i]} += {fmt(adj)} · {fmt(d)} = {fmt(adj * d)}"
                         + (f"  (now {fmt(running[i])})" if running[i] != adj * d else ""))
    lines += ["", "Gradient (the leaves' adjoints):"]
    for name, value in result.gradient().items():
        leaf = graph.leaf(name)
        lines.append(f"  ∂f/∂{name} = " + (f"∂f/∂{names[leaf]} = " if leaf is not None else "") + fmt(value))
    check = outcome.check
    lines.append("gradient check: " + ("ok" if check["ok"] else "MISMATCH")
                 + f" (largest relative difference from the symbolic gradient {fmt(check['max_rel_error'], 2)})")
    return lines


def render_explain(console, outcome) -> None:
    """--explain: plain text on the console's stream, no styles or control codes."""
    console.file.write("\n".join(explain_lines(outcome)) + "\n")
