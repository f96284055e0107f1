"""``gdx explore`` on the screen: a textual App over :class:`gdx.app.explore.Explorer`.

Every key is one pure transition of :class:`gdx.app.explore.ExploreState`; the app applies it,
asks the explorer for the new view (a rerun from the compiled functions) and redraws the
landscape, the loss strip and the side panel with :mod:`gdx.render.explore`.  A transition the
run refuses (Nesterov with μ = 0, an lr past the table's range) leaves the state as it was and
says why on the message line.  The diagnosis is made when the keys pause (it costs more than
the run), so the path always redraws at once.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..app import explore as model
from ..errors import GdxError
from ..render import explore as draw

LOSS_ROWS = 3  # block rows of the loss strip (+ its caption)
DIAGNOSIS_DELAY = 0.15  # seconds without a key before the diagnosis is made


class HelpScreen(ModalScreen):
    """``?``: the key table; any of ? escape q closes it."""

    BINDINGS = [Binding("question_mark,escape,q", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: 78; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        rows = [f"{keys:<10} {what}" for keys, what in draw.KEYS]
        yield Static("\n".join(["gdx explore — keys", "", *rows, "", "(? or escape closes this)"]), id="help")


class ExploreApp(App):
    """The explorer: landscape and path (left, top), loss strip (left, bottom), side panel (right)."""

    TITLE = "gdx explore"
    CSS = f"""
    Screen {{ layout: vertical; }}
    #main {{ height: 1fr; }}
    #left {{ width: 1fr; }}
    #landscape {{ height: 1fr; }}
    #loss {{ height: {LOSS_ROWS + 1}; }}
    #side {{ width: {draw.SIDE_WIDTH}; border-left: solid $primary; padding: 0 0 0 1; scrollbar-size-vertical: 1; }}
    #message {{ height: 1; background: $boost; }}
    """
    BINDINGS = [
        Binding("right", "lr(1, 0)", "lr", key_display="←→", priority=True),
        Binding("left", "lr(0, 0)", "lr÷", show=False, priority=True),
        Binding("shift+left", "lr(0, 1)", "lr÷2", show=False, priority=True),
        Binding("shift+right", "lr(1, 1)", "lr×2", show=False, priority=True),
        Binding("up", "momentum(1)", "μ", key_display="↑↓", priority=True),
        Binding("down", "momentum(0)", "μ−", show=False, priority=True),
        Binding("o", "optimizer", "opt"),
        Binding("s", "schedule", "sched"),
        Binding("b", "batch(0)", "batch", show=False),
        Binding("B", "batch(1)", "batch×2", show=False),
        Binding("h", "start(0, -1)", "start", key_display="hjkl"),
        Binding("j", "start(1, -1)", "down", show=False),
        Binding("k", "start(1, 1)", "up", show=False),
        Binding("l", "start(0, 1)", "right", show=False),
        Binding("space", "step", "step", priority=True),
        Binding("escape", "whole", "whole run", show=False),
        Binding("c", "compare", "cmp"),
        Binding("x", "clear", "clear", show=False),
        Binding("e", "export", "csv"),
        Binding("left_square_bracket", "slice(-1)", "slice−", show=False),
        Binding("right_square_bracket", "slice(1)", "slice+", show=False),
        Binding("v", "slice_var", "slice var", show=False),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
        Binding("pageup", "panel(-1)", "panel up", show=False),
        Binding("pagedown", "panel(1)", "panel down", show=False),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, explorer: model.Explorer, *, color: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.explorer = explorer
        self.state = explorer.initial
        self.color = color
        self.view = None
        self.diagnosis = None
        self.geometry = None
        self._diagnosed: dict = {}
        self._pending: set = set()
        self._timer = None
        self.exported: list[str] = []
        self._map_rows: dict = {}  # (width, height) → the map rows that fitted last time
        self._lines: dict = {}  # ANSI line → its decoded Content

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static(id="landscape")
                yield Static(id="loss")
            with VerticalScroll(id="side"):
                yield Static(id="panel")
        yield Static(id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # the widgets of the main screen, kept: while ? is open the active screen is the help
        self.widgets = {name: self.query_one(f"#{name}") for name in ("landscape", "loss", "side", "panel", "message")}
        self.set_message("? help · ←/→ lr · ↑/↓ momentum · o optimizer · space one update · q quit")
        self.call_after_refresh(self.redraw)

    def on_resize(self, event) -> None:
        self.call_after_refresh(self.redraw)

    # -- the keys -----------------------------------------------------------------------------
    def action_lr(self, up: int, big: int) -> None:
        self.apply(model.scale_lr(self.state, bool(up), bool(big)))

    def action_momentum(self, up: int) -> None:
        name = model.momentum_name(self.state.optimizer)
        if name is None:
            self.set_message(f"{self.state.optimizer} has no momentum-like hyperparameter (o: another optimizer)")
            return
        new = model.nudge_momentum(self.state, bool(up))
        if new == self.state:
            self.set_message(f"{name} is at the end of its range")
            return
        self.apply(new)

    def action_optimizer(self) -> None:
        self.apply(model.cycle_optimizer(self.state, self.explorer.names))

    def action_batch(self, up: int) -> None:
        rows = self.explorer.rows
        if rows is None:
            self.set_message("b/B change the batch size of a loss over data (--data, or a preset with data)")
            return
        new = model.scale_batch(self.state, bool(up), rows)
        if new == self.state:
            self.set_message("the batch size is at the end of its range (1 row … every row)")
            return
        self.apply(new)

    def action_schedule(self) -> None:
        self.apply(model.cycle_schedule(self.state))

    def action_start(self, axis: int, direction: int) -> None:
        self.apply(model.move_start(self.state, axis, direction, self.explorer.box, self.explorer.plot_vars))

    def action_step(self) -> None:
        self.apply(model.step_once(self.state))

    def action_whole(self) -> None:
        self.apply(model.whole_run(self.state))

    def action_compare(self) -> None:
        self.apply(model.add_comparison(self.state))
        self.set_message(f"kept for comparison: {self.state.label()} ({len(self.state.compared)} on the map; x clears)")

    def action_clear(self) -> None:
        self.apply(model.clear_comparison(self.state))

    def action_slice(self, direction: int) -> None:
        if not self.state.fixed:
            self.set_message("the function has two variables: there is no slice to move")
            return
        self.apply(model.move_slice(self.state, direction, self.explorer.box, self.explorer.variables))

    def action_slice_var(self) -> None:
        self.apply(model.next_slice_variable(self.state))

    def action_export(self) -> None:
        try:
            written = self.explorer.export_view(self.view)
        except GdxError as exc:
            self.set_message(f"export failed: {exc.message}")
            return
        self.exported.append(written)
        self.set_message(f"wrote {written}; the same run: {draw.command_line(self.state)} --export {written}")

    def action_panel(self, direction: int) -> None:
        side = self.widgets["side"]
        side.scroll_page_down() if direction > 0 else side.scroll_page_up()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def on_click(self, event) -> None:
        widget = getattr(event, "widget", None)
        if widget is None or widget.id != "landscape" or self.geometry is None:
            return
        offset = event.get_content_offset(widget)
        if offset is None:
            return
        xy = draw.map_point(self.geometry, offset.x, offset.y)
        if xy is not None:
            self.apply(model.place_start(self.state, xy, self.explorer.plot_vars))

    # -- state → screen -----------------------------------------------------------------------
    def apply(self, new: model.ExploreState) -> None:
        """Take ``new`` if its run can be made (else say why and keep the old state); redraw."""
        try:
            self.explorer.run_of(new)
        except GdxError as exc:
            self.set_message(f"refused: {exc.message}" + (f" — {exc.hint}" if exc.hint else ""))
            return
        self.state = new
        self.redraw()

    def set_message(self, text: str) -> None:
        self.widgets["message"].update(Text(text, no_wrap=True, overflow="ellipsis"))

    def redraw(self) -> None:
        """The view of the current state on every widget."""
        self.view = self.explorer.view(self.state)
        self.diagnosis = self._diagnosed.get(self._run_key())
        landscape = self.widgets["landscape"]
        width, height = landscape.size.width, landscape.size.height
        small = model.refuse_small(self.size.width, self.size.height)
        self.widgets["side"].display = small is None
        self.widgets["loss"].display = small is None
        if small is not None:
            self.set_message(small + " (the map only)")
        if width >= 20 and height >= 8:
            fixed = dict(self.state.fixed)
            grid_shape = self._grid_shape(width, height)
            grid = self.explorer.grid(grid_shape, fixed)
            hint = self._map_rows.get((width, height))
            lines, self.geometry, self._map_rows[(width, height)] = draw.landscape_lines(
                self.view, grid, self.explorer.markers(fixed), self.explorer.plot_vars, width=width, height=height,
                color=self.color, rows_hint=hint)
            landscape.update(self._ansi(lines) if self.color else Text("\n".join(lines), no_wrap=True))
        else:
            landscape.update(Text("the terminal is too small for the map", no_wrap=True))
        loss = self.widgets["loss"]
        if small is None:
            loss.update(Text("\n".join(draw.loss_strip(self.view.result.path.loss, width=max(10, loss.size.width or width),
                                                       height=LOSS_ROWS, shown=self.view.shown)), no_wrap=True))
        self._show_panel()
        if self.diagnosis is None:
            if self._timer is not None:
                self._timer.stop()
            self._timer = self.set_timer(DIAGNOSIS_DELAY, self._diagnose_in_background)

    def _ansi(self, lines):
        """The coloured lines as textual Content, each line decoded from its ANSI codes once: a
        key moves the path across a few rows, the others are the same strings as before (every
        line of gdx.render.landscape ends with a reset, so lines decode independently)."""
        from textual.content import Content

        cache = self._lines
        if len(cache) > 4 * len(lines) + 64:
            cache.clear()
        out = []
        for line in lines:
            content = cache.get(line)
            if content is None:
                content = cache[line] = Content.from_rich_text(Text.from_ansi(line))
            out.append(content)
        return Content("\n").join(out)

    def _grid_shape(self, width: int, height: int):
        from ..render.landscape import grid_shape

        rows = max(3, height - 7)
        box = self.explorer.box
        ix, iy = self.explorer.plot_vars
        return grid_shape(width, (box[ix], box[iy]), color=self.color, height=rows)

    def _run_key(self):
        from dataclasses import replace

        return replace(self.state, fixed=(), slice_index=0, stepping=None, compared=())

    def _diagnose_in_background(self) -> None:
        """The diagnosis of the run on the screen, in a thread (a slow one — L-BFGS on a long run
        — never freezes the keys); shown when it arrives if that run is still on the screen."""
        key, view = self._run_key(), self.view
        if key in self._diagnosed or key in self._pending:
            return
        self._pending.add(key)

        def work():
            diagnosis = self.explorer.diagnose(view)
            try:
                self.call_from_thread(self._diagnosis_ready, key, diagnosis)
            except RuntimeError:  # the app has ended meanwhile
                pass

        import threading

        # a daemon thread, not a textual worker: q must not wait for a long diagnosis to end
        threading.Thread(target=work, name="gdx-explore-diagnosis", daemon=True).start()

    def _diagnosis_ready(self, key, diagnosis) -> None:
        self._pending.discard(key)
        self._diagnosed[key] = diagnosis
        if key == self._run_key():
            self.diagnosis = diagnosis
            self._show_panel()

    def diagnose_now(self) -> None:
        """The diagnosis of the run on the screen (kept: each run is diagnosed once)."""
        key = self._run_key()
        if key not in self._diagnosed:
            self._diagnosed[key] = self.explorer.diagnose(self.view)
        self.diagnosis = self._diagnosed[key]
        self._show_panel()

    def _show_panel(self) -> None:
        lines = draw.panel_lines(self.view, self.diagnosis, width=draw.SIDE_WIDTH - 3)
        self.widgets["panel"].update(Text("\n".join(lines)))

    # -- for tests and the README ---------------------------------------------------------------
    def screen_text(self) -> str:
        """The whole screen as plain text (what a test asserts on)."""
        return _screen_text(self)


def _screen_text(app: App) -> str:
    """Every line of the screen as plain text, from textual's own export."""
    from rich.console import Console

    console = Console(width=app.size.width, height=app.size.height, record=True, file=_Null(), color_system=None,
                      legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


class _Null:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def run_explorer(explorer: model.Explorer, *, color: bool = True, mouse: bool = True) -> int:
    """Run the app in the terminal until q; the exit status (always OK: nothing can fail there)."""
    ExploreApp(explorer, color=color).run(mouse=mouse)
    return 0
