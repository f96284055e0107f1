"""Rich rendering of ``gdx analyze``: the calculus, the critical points, the local picture."""

from __future__ import annotations

import math

from .console import fmt, fmt_point
from .mathtext import math_text

KIND_STYLE = {"minimum": "green", "maximum": "red", "saddle": "yellow", "degenerate": "magenta", "undefined": "bold red"}
#: Critical points listed in the table before "… and N more".
MAX_ROWS = 40


def _matrix(rows, *, numeric: bool = False):
    """A matrix as a borderless table between brackets (:class:`_Bracketed`)."""
    from rich.table import Table

    n = len(rows[0]) if rows else 0
    table = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False)
    for _ in range(n):
        table.add_column(justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(fmt(v, 6) if numeric else v if isinstance(v, str) else math_text(v) for v in row))
    return _Bracketed(table)


class _Bracketed:
    """A renderable between matrix brackets drawn on every line it takes: ``⎡ ⎢ … ⎣`` on the left
    and ``⎤ ⎥ … ⎦`` on the right (``[ ]`` for one line), so an entry wrapped onto a second line
    stays inside the brackets."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        m = Measurement.get(console, options.update_width(max(1, options.max_width - 6)), self.inner)
        return Measurement(m.minimum + 6, m.maximum + 6)

    def __rich_console__(self, console, options):
        from rich.measure import Measurement
        from rich.segment import Segment

        room = max(1, options.max_width - 6)
        width = min(room, Measurement.get(console, options.update_width(room), self.inner).maximum)
        lines = console.render_lines(self.inner, options.update_width(width), pad=True)
        for i, line in enumerate(lines):
            if len(lines) == 1:
                left, right = "[", "]"
            else:
                left, right = ("⎡", "⎤") if i == 0 else ("⎣", "⎦") if i == len(lines) - 1 else ("⎢", "⎥")
            yield Segment(left + "  ")
            yield from line
            yield Segment("  " + right)
            yield Segment.line()


def calculus_panel(target, variables, texts):
    """f, every ∂f/∂xᵢ (at most MAX_ROWS), ∇f as a vector and H as a matrix -- beyond MATRIX_MAX
    variables, H's non-zero entries instead (a 20×20 matrix of formulas does not fit a terminal).
    ``texts``: f, ∇f and H as written by gdx.app.analyze.calculus_texts (the document's
    ``expression``, ``gradient``, ``hessian``)."""
    from rich.console import Group
    from rich.table import Table

    names = tuple(variables)
    many = len(names) > MATRIX_MAX
    gradient = texts["gradient"]
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row(f"f({names[0]}, …, {names[-1]})" if many else f"f({', '.join(names)})", texts["expression"])
    for name, g in list(zip(names, gradient))[:MAX_ROWS]:
        table.add_row(f"∂f/∂{name}", g)
    if len(names) > MAX_ROWS:
        table.add_row("", f"[dim]… and {len(names) - MAX_ROWS} more ∂f/∂xᵢ (all of them with --json)[/]")
    if many:
        return _titled(target, Group(table, _sparse_hessian(texts["hessian"], names)))
    table.add_row("∇f", "(" + ", ".join(gradient) + ")")
    hess = Table.grid(padding=(0, 2))
    hess.add_column(style="bold cyan", no_wrap=True)
    hess.add_column()
    hess.add_row("H", _matrix(texts["hessian"]))
    return _titled(target, Group(table, hess))


#: More variables than this: H is listed by its non-zero entries, not drawn as a matrix.
MATRIX_MAX = 6


def _sparse_hessian(hessian, names):
    """H of many variables: its non-zero entries on and above the diagonal, at most MAX_ROWS."""
    from rich.table import Table

    entries = [(i, j, h) for i, row in enumerate(hessian) for j, h in enumerate(row) if j >= i and h != "0"]
    n = len(names)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("H", f"[dim]{n}×{n}, symmetric; {len(entries)} non-zero entr{'y' if len(entries) == 1 else 'ies'} "
                      "on and above the diagonal (every entry with --json)[/]")
    for i, j, h in entries[:MAX_ROWS]:
        grid.add_row(f"∂²f/∂{names[i]}∂{names[j]}" if i != j else f"∂²f/∂{names[i]}²", h)
    if len(entries) > MAX_ROWS:
        grid.add_row("", f"[dim]… and {len(entries) - MAX_ROWS} more[/]")
    return grid


def _titled(target, body):
    from rich.panel import Panel

    from .console import safe_text

    title = f"gdx analyze · {safe_text(target.preset.title)}" if target.preset is not None else "gdx analyze"
    return Panel(body, title=title, title_align="left", expand=False)


def _box_text(box) -> str:
    return ", ".join(f"{v} ∈ [{fmt(lo)}, {fmt(hi)}]" for v, (lo, hi) in box.items())


def _plural(n: int, word: str) -> str:
    plural = {"minimum": "minima", "maximum": "maxima"}.get(word, word + "s")
    return f"{n} {word if n == 1 else plural}"


CRITICAL_DROP = ("eigen", "f")  # a narrow terminal loses H's eigenvalues, then f; never #, the point, kind


def critical_table(search, variables, preset=None, width: int | None = None):
    """One row per critical point: where, f, kind, H's eigenvalues, how it was found.

    At ``width`` columns too narrow for every column whole, the eigenvalues go, then f
    (:data:`CRITICAL_DROP`): the row number, the point and its kind stay whole."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    counts = search.counts()
    total = len(search.points)
    kinds = ", ".join(_plural(c, k) for k, c in counts.items() if c)
    where = _box_text(search.box)
    box = search.box
    if len(box) > 3 and len(set(box.values())) == 1:
        lo, hi = next(iter(box.values()))
        where = f"[{fmt(lo)}, {fmt(hi)}]^{len(box)}"
    head = Text(f"{total} critical point{'s' if total != 1 else ''} in {where}" + (f": {kinds}" if kinds else ""), style="bold")
    method = {
        "solved": f"exact solving: {search.symbolic_count} solution(s)",
        "partial": "exact solving: partial",
        "timeout": "exact solving: timed out",
        "failed": "exact solving: failed",
        "skipped": "exact solving: skipped",
    }[search.symbolic]
    both = sum(p.source == "both" for p in search.points)
    extra = f", {both} confirmed by both" if search.symbolic in ("solved", "partial") and both else ""
    sub = Text(f"{method} · numeric search: {search.starts} starts in {search.rounds} round(s){extra}", style="dim")
    parts = [head, sub]
    starred = False
    if total:
        from rich.cells import cell_len
        from rich.text import Text as _Text

        table = Table(show_edge=False, header_style="bold", pad_edge=False)
        wide = len(variables) > 3  # many variables: the point as one column, eigenvalues as a range
        known = [m for m in (getattr(preset, "minima", None) or ())]
        heads = ["#", *(["(" + ", ".join(variables) + ")"] if wide else list(variables)), "f", "kind",
                 "λmin … λmax of H" if wide else "eigenvalues of H"]
        rows = []
        for i, p in enumerate(search.points[:MAX_ROWS], 1):
            style = KIND_STYLE.get(p.kind, "")
            kind = f"[{style}]{p.kind}[/]"
            if p.kind == "minimum" and any(_close(m.at, p.at) for m in known):
                kind += " ★"
                starred = True
            if wide:
                eig = f"{fmt(p.eigenvalues[0], 4)} … {fmt(p.eigenvalues[-1], 4)}"
                rows.append([str(i), fmt_point(p.at, 7), fmt(p.value, 6), kind, eig])
            else:
                rows.append([str(i), *(fmt(c, 7) for c in p.at), fmt(p.value, 6), kind,
                             ", ".join(fmt(w, 4) for w in p.eigenvalues)])
        keep = list(range(len(heads)))

        def needed(cols) -> int:  # every column whole, with the table's " │ " separators
            return sum(max([cell_len(heads[c])] + [cell_len(_Text.from_markup(r[c]).plain) for r in rows])
                       for c in cols) + 3 * (len(cols) - 1)

        for drop in CRITICAL_DROP:
            if width is None or wide or needed(keep) <= width:
                break
            keep.remove(len(heads) - 1 if drop == "eigen" else heads.index("f"))
        for c in keep:
            if c == 0:
                table.add_column("#", justify="right", style="dim", no_wrap=True)
            elif wide and c == 1:
                table.add_column(heads[c], overflow="fold")
            else:
                table.add_column(heads[c], justify="left" if heads[c] == "kind" else "right", no_wrap=True)
        for r in rows:
            table.add_row(*(r[c] for c in keep))
        parts.append(table)
        if total > MAX_ROWS:
            parts.append(Text(f"… and {total - MAX_ROWS} more (all of them with --json)", style="dim"))
    if starred:
        parts.append(Text("★ a minimum listed in the preset", style="dim"))
    for note in search.notes:
        if search.symbolic == "solved" and note.startswith("exact solving"):
            continue
        parts.append(Text(f"note: {note}", style="yellow"))
    return Group(*parts)


def _close(a, b) -> bool:
    return max(abs(float(u) - float(v)) for u, v in zip(a, b)) <= 1e-6 * (1 + max(abs(float(u)) for u in a))


def point_panel(local, variables):
    """The local analysis at --at."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column(overflow="fold")
    t.add_row("f", fmt(local.f, 10))
    t.add_row("∇f", fmt_point(local.grad, 8) + f"   ‖∇f‖ = {fmt(local.grad_norm, 6)}")
    t.add_row("H", _matrix(local.hess, numeric=True))
    for i, (lam, vec) in enumerate(zip(local.eigenvalues, local.eigenvectors), 1):
        t.add_row(f"λ{_sub(i)}", f"{fmt(lam, 8)}   along {fmt_point(vec, 4)}")
    shape = {"minimum": "positive definite (bowl)", "maximum": "negative definite (cap)", "saddle": "indefinite (saddle)",
             "degenerate": "singular (degenerate)", "undefined": "undefined here (not finite)"}.get(local.kind, local.kind)
    style = KIND_STYLE.get(local.kind, "")
    t.add_row("H is", f"[{style}]{shape}[/]")
    t.add_row("condition κ", fmt(local.condition, 6) + "  (max|λ| / min|λ|)")
    finite = local.kind != "undefined" and all(math.isfinite(g) for g in local.grad)
    if local.steepest is None:
        t.add_row("steepest descent", "—  (∇f = 0)" if finite else "—  (∇f is undefined here)")
    else:
        t.add_row("steepest descent", fmt_point(local.steepest, 4) + "  (−∇f/‖∇f‖)")
    if local.newton_step is None:
        t.add_row("Newton step", "—  (H is singular)" if finite else "—  (∇f or H is undefined here)")
    else:
        to = tuple(a + b for a, b in zip(local.x, local.newton_step))
        t.add_row("Newton step", f"{fmt_point(local.newton_step, 6)}  (−H⁻¹∇f, to {fmt_point(to, 6)})")
    if not finite:
        t.add_row("stable lr", "—  (H is undefined here)")
    elif local.stable_lr is None:
        t.add_row("stable lr", "none: H has no positive curvature, plain GD does not settle here")
    else:
        t.add_row("stable lr", f"lr < 2/λmax = {fmt(local.stable_lr, 6)} for plain gradient descent")
    if local.optimal_lr is not None:
        t.add_row(
            "best rate",
            f"lr = 2/(λmin+λmax) = {fmt(local.optimal_lr, 6)} contracts the error by (κ−1)/(κ+1) = "
            f"{fmt(local.contraction, 6)} per step (~{fmt(local.steps_per_digit, 3)} steps per digit)",
        )
    fd = local.fd_check
    style = "green" if fd.differentiable and "agrees" in fd.note else "bold red"
    t.add_row("gradient check", f"[{style}]{_escape(fd.note)}[/]")
    title = "at " + ", ".join(f"{v} = {fmt(c, 8)}" for v, c in zip(variables, local.x))
    return Panel(Group(t), title=title, title_align="left", expand=False)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _sub(i: int) -> str:
    return str(i).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def render_scalar(console, target, compiled, document, *, search=None, local=None) -> None:
    """The calculus panel (from ``document``: gdx.app.analyze's), the point and the critical points."""
    console.print(calculus_panel(target, compiled.variables, document))
    if local is not None:
        console.print(point_panel(local, compiled.variables))
    if search is not None:
        console.print(critical_table(search, compiled.variables, target.preset, width=console.width))


def render_vector(console, target, va) -> None:
    """Components, the Jacobian, and at a point F(x), J(x), det J(x)."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold cyan", no_wrap=True)
    t.add_column(overflow="fold")
    args = ", ".join(va.variables)
    for i, e in enumerate(va.components, 1):
        t.add_row(f"F{_sub(i)}({args})", math_text(e))
    t.add_row("J = ∂(F)/∂(" + args + ")", _matrix(va.jacobian))
    console.print(Panel(Group(t), title="gdx analyze · vector-valued", title_align="left", expand=False))
    if va.at is not None:
        p = Table.grid(padding=(0, 2))
        p.add_column(style="bold", no_wrap=True)
        p.add_column()
        p.add_row("F", fmt_point(va.value, 8))
        p.add_row("J", _matrix(va.jacobian_at, numeric=True))
        p.add_row("det J", "— (J is not square)" if va.determinant is None else fmt(va.determinant, 8))
        title = "at " + ", ".join(f"{v} = {fmt(c, 8)}" for v, c in zip(va.variables, va.at))
        console.print(Panel(p, title=title, title_align="left", expand=False))
