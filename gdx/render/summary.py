"""The header (function, gradient, Hessian, settings) and the end-of-run summary panel."""

from __future__ import annotations

from .console import fmt, fmt_point
from .mathtext import math_text

STATUS_STYLE = {
    "converged": "bold green",
    "max_steps": "bold yellow",
    "diverged": "bold red",
    "fault": "bold red",
    "interrupted": "bold magenta",
    "stopped": "bold yellow",
}


def calculus_table(compiled, *, hessian: bool = True):
    """f, every ∂f/∂xᵢ and (optionally) every Hessian entry, one readable line each."""
    from rich.table import Table

    problem = compiled.problem
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    args = ", ".join(problem.variables)
    texts = getattr(compiled, "texts", None)  # from the compiled cache: no SymPy needed
    if texts is None:
        texts = {"f": math_text(problem.expr), "gradient": [math_text(g) for g in compiled.gradient]}
    if hessian and "hessian" not in texts:  # derived without H (a backprop entry)
        texts = {**texts, "hessian": [[math_text(h) for h in row] for row in compiled.hessian]}
    split = getattr(compiled, "split", None)  # an objective over data (gdx.mean): ℓ per example, L its mean
    f, lead = ("f", f"f({args})") if split is None else ("ℓ", f"ℓ({args}; {', '.join(split.data)})")
    if split is not None:
        from .console import safe_text

        table.add_row(f"L({args})", f"mean of ℓ over the {compiled.rows} rows of {safe_text(compiled.dataset.source, markup=False)}")
    table.add_row(lead, texts["f"])
    for name, g in zip(problem.variables, texts["gradient"]):
        table.add_row(f"∂{f}/∂{name}", g)
    if hessian:
        for i, a in enumerate(problem.variables):
            for j, b in enumerate(problem.variables):
                if j >= i:
                    label = f"∂²{f}/∂{a}²" if i == j else f"∂²{f}/∂{a}∂{b}"
                    table.add_row(label, texts["hessian"][i][j])
    return table


def print_header(console, target, compiled, optimizer, x0, settings_line: str) -> None:
    """What is about to run: the calculus, then the optimizer, its settings and the start."""
    from rich.markup import escape
    from rich.panel import Panel

    from .console import safe_text

    title = f"gdx · {safe_text(target.preset.title, markup=False)}" if target.preset is not None else "gdx"
    console.print(Panel(calculus_table(compiled), title=escape(title), title_align="left", expand=False))
    console.print(f"[bold]{optimizer.name}[/] from x₀ = {fmt_point(x0)}")
    console.print(f"  {escape(settings_line)}", soft_wrap=False)


def summary_panel(result, *, diagnosis=None, known_minimum: str | None = None):
    """Status, steps, final point, loss, gradient norm, evaluations and wall time."""
    from rich.panel import Panel
    from rich.table import Table

    from rich.markup import escape

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    style = STATUS_STYLE.get(result.status.value, "bold")
    table.add_row("status", f"[{style}]{result.status.value}[/] — {escape(result.message)}")
    table.add_row("steps", str(result.nit))
    point = ", ".join(f"{n} = {fmt(v, 10)}" for n, v in zip(result.variables, result.x))
    table.add_row("final x", point)
    numbers = diagnosis.numbers if diagnosis is not None else {}
    batch = " (last batch)" if "full_loss" in numbers else ""
    table.add_row("loss" + batch, fmt(result.fun, 10))
    table.add_row("|grad|" + batch, fmt(result.grad_norm, 4))
    if batch:  # a minibatch run: the objective itself at the end, over every row
        table.add_row("full-data loss", fmt(numbers["full_loss"], 10))
        table.add_row("full |grad|", fmt(numbers["full_grad_norm"], 4))
    if known_minimum:
        from .console import safe_text

        table.add_row("known min", safe_text(known_minimum))
    table.add_row("evaluations", f"f,∇f: {result.njev}   H: {result.nhev}")
    table.add_row("wall time", f"{result.wall_time * 1000:.1f} ms")
    if diagnosis is not None:
        table.add_row("diagnosis", f"[bold]{escape(diagnosis.verdict)}[/] — {escape(diagnosis.reason)}")
        if diagnosis.suggestion:
            table.add_row("suggestion", escape(diagnosis.suggestion))
    return Panel(table, title="result", title_align="left", expand=False)
