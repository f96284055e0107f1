"""What ``gdx optimize`` shows after a run: the loss curve, the landscape with the path, the
summary panel and where files went.  Reads an :class:`gdx.app.optimize.OptimizeOutcome`."""

from __future__ import annotations

from .console import fmt, fmt_point, safe_text, terminal_color


def print_loss_curve(out, path, *, width: int | None = None, height: int = 15) -> None:
    """The plotext loss curve of one path (nothing for a path of one point)."""
    from rich.text import Text

    from .lossplot import loss_curve

    if len(path) <= 1:
        return
    color = terminal_color(out)
    text = loss_curve(path, width=width or min(out.width, 100), height=height, color=color)
    out.print(Text.from_ansi(text) if color else Text(text))


def known_minimum_line(found) -> str | None:
    """``(1, 1) with f = 0 (global); distance 0.0123`` from the outcome's (minimum, distance)."""
    if found is None:
        return None
    best, distance = found
    return f"{fmt_point(best.at)} with f = {fmt(best.value)} ({best.kind}); distance {fmt(distance, 3)}"


def print_outcome(out, outcome, *, plot: bool, scene=None) -> None:
    """After the live table: the loss curve, the landscape (``scene``), the summary, the files."""
    from .summary import summary_panel

    result = outcome.result
    if plot:
        print_loss_curve(out, result.path)
    if scene is not None:
        from .landscape import show_scene

        show_scene(out, scene, width=min(out.width, 120), title=scene_title(scene))
    out.print(summary_panel(result, diagnosis=outcome.diagnosis, known_minimum=known_minimum_line(outcome.known_minimum)))
    if outcome.export:
        out.print(f"path written to {safe_text(outcome.export, markup=False)} ({result.nit + 1 if len(result.path) else 0} rows)", soft_wrap=True, markup=False)
    if outcome.png:
        out.print(f"figure written to {safe_text(outcome.png, markup=False)}", soft_wrap=True, markup=False)
    if outcome.gif:
        out.print(f"animation written to {safe_text(outcome.gif, markup=False)}", soft_wrap=True, markup=False)


def scene_title(scene) -> str | None:
    """``path projected on (x, z)`` for a function of more than two variables, else None (the default title)."""
    names = scene.target.problem.variables
    if len(names) <= 2:
        return None
    return f"path projected on ({names[scene.plot_vars[0]]}, {names[scene.plot_vars[1]]})"
