"""What every command module shares: the session (streams and environment), and the option groups
generated from one table each, so a flag is declared once for every command that takes it.

* :func:`hyper_options` — one option per hyperparameter of :data:`gdx.optim.hyper.HYPERPARAMETERS`
  (flag, help, and which optimizers take it, read from the registry);
* :func:`schedule_options` — ``--schedule`` and the schedule parameters of
  :mod:`gdx.schedules`;
* :func:`run_options` — ``--steps``, ``--tol``, ``--start``, ``--clip-norm``, ``--vars``,
  ``--timeout``.

A command declares its own arguments and ``**flags``; :func:`command` appends the generated
options to its signature (typer reads ``__signature__``) and registers it.  The values arrive in
``flags``; :func:`run_request` turns them into the typed :class:`gdx.app.prepare.RunRequest`.
Command modules import this module and nothing else of ``gdx.cli``.
"""

from __future__ import annotations

import inspect
import re
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Optional

import typer

HYPER = "Hyperparameters (torch.optim names)"
SCHED = "Learning-rate schedule (torch.optim.lr_scheduler, stepped once per update)"
RUN = "Run"
OUT = "Output"


# -- the session ------------------------------------------------------------------------------
@dataclass
class Session:
    """The streams and environment of one ``gdx`` invocation (httpie-style, passed in by main)."""

    stdout: Any = None
    stderr: Any = None
    env: dict = field(default_factory=lambda: dict(os.environ))
    debug: bool = False
    _consoles: dict = field(default_factory=dict)

    def out(self):
        """The console on stdout (one per invocation)."""
        return self._console("out")

    def err(self):
        """The console on stderr (one per invocation)."""
        return self._console("err")

    def _console(self, which: str):
        if which not in self._consoles:
            from ..render.console import make_console

            stream = self.stdout if which == "out" else self.stderr
            stream = stream if stream is not None else (sys.stdout if which == "out" else sys.stderr)
            self._consoles[which] = make_console(file=stream, env=self.env)
        return self._consoles[which]


def session(ctx: typer.Context) -> Session:
    """The session main() put on the click context (a default one when called otherwise)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Session):
        root.obj = Session()
    return root.obj


# -- generated option groups --------------------------------------------------------------------
def _option(name: str, annotation, default, *decls: str, **kwargs) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=typer.Option(default, *decls, **kwargs))


_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")  # what rich markup reads as a tag (rich.markup.escape)
_EMOJI_COLON = re.compile(r":(?=\S)")  # a colon that could open an emoji code (A:B:log → A🅱log)


def markup_escape(text: str | None) -> str | None:
    """Help text as it is written, through typer's rich markup: every tag-like ``[…]`` escaped
    (``[default: 10]`` is shown, not swallowed), and an empty tag after each colon that could
    open an emoji code, so ``A:B:log`` is not read as the emoji ``:B:``."""
    if not text:
        return text
    text = _TAG.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", text)
    return _EMOJI_COLON.sub(":[i][/i]", text)


def escape_help(app: typer.Typer) -> None:
    """Escape (:func:`markup_escape`) the help of the app and of every command.  Called once, when
    the commands are registered; their arguments' and options' help is escaped by :func:`settle`."""
    app.info.help = markup_escape(app.info.help)
    for info in app.registered_commands:
        info.help, info.epilog = markup_escape(info.help), markup_escape(info.epilog)


def settle(app: typer.Typer) -> None:
    """Give every command of ``app`` its whole signature -- its own parameters and the options
    :func:`command` generates (built here, on first need: ``gdx --help`` lists the commands
    without them) -- with the help of each argument and option escaped; once per command."""
    for info in app.registered_commands:
        func = info.callback
        if getattr(func, "gdx_settled", False):
            continue
        options = getattr(func, "gdx_options", None)
        if options is not None:
            own = [p for p in inspect.signature(func).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
            func.__signature__ = inspect.Signature([*own, *(options() if callable(options) else options)])
        for param in inspect.signature(func).parameters.values():
            if hasattr(param.default, "help"):
                param.default.help = markup_escape(param.default.help)
        func.gdx_settled = True


def hyper_options(*, ranges: bool = False) -> list[inspect.Parameter]:
    """One option per hyperparameter, in the table's order, by its kind: a number (for a sweep, a
    number or a range ``A:B``); a switch ``--amsgrad/--no-amsgrad`` for a bool; text ``"a,b"``
    for a pair (parsed by :func:`run_request`).  The help names the optimizers that take it and
    their defaults."""
    from ..optim import OPTIMIZERS
    from ..optim.hyper import HYPERPARAMETERS

    params = []
    for name, h in HYPERPARAMETERS.items():
        takers = [s for s in OPTIMIZERS.values() if name in s.defaults]
        defaults = sorted({s.defaults[name] for s in takers})
        default = default_text(defaults[0]) if len(defaults) == 1 else "per optimizer, see gdx optimizers"
        who = ", ".join(s.name for s in takers)
        sweepable = ranges and h.sweepable
        text = (f"{h.help.rstrip('.')}" + (" — a value or a range A:B" if sweepable else "")
                + (' — two numbers "a,b"' if h.kind == "pair" else "")
                + f" ({who}; {h.range_text}). [default: {default}]")
        if h.kind == "bool":
            params.append(_option(name, Optional[bool], None, f"{h.flag}/--no-{h.flag[2:]}",
                                  help=text, rich_help_panel=HYPER))
            continue
        kind = (Optional[str] if (ranges or h.kind in ("pair", "choice"))
                else Optional[int] if h.kind == "int" else Optional[float])
        params.append(_option(name, kind, None, h.flag, help=text, rich_help_panel=HYPER))
    return params


def default_text(value) -> str:
    """A hyperparameter default for help text: ``0.9``, ``false``, ``0.5,1.2``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" for v in value)
    if isinstance(value, (str, int)):
        return str(value)
    return f"{value:g}"


def schedule_options() -> list[inspect.Parameter]:
    """``--schedule`` and one option per schedule parameter (gdx.schedules.SCHEDULE_PARAMETERS)."""
    from ..schedules import SCHEDULE_PARAMETERS, SCHEDULES

    params = [_option("schedule", Optional[str], None, "--schedule", help=f"{', '.join(SCHEDULES)}. [default: constant]",
                      rich_help_panel=SCHED)]
    for name, p in SCHEDULE_PARAMETERS.items():
        if p.kind is bool:
            params.append(_option(name, Optional[bool], None, f"{p.flag}/--no-{p.flag[2:]}", help=p.help,
                                  rich_help_panel=SCHED))
            continue
        annotation = Optional[p.kind] if p.kind in (int, float) else Optional[str]  # lists and choices are text
        params.append(_option(name, annotation, None, p.flag, help=p.help, rich_help_panel=SCHED))
    return params


def run_options(*, start_help: str = 'Start point: "1.5,-0.5" or "x=1.5,y=-0.5".', seed: bool = True,
                batch_text: bool = False) -> list[inspect.Parameter]:
    """The options of every command that runs an optimizer (``seed=False``: the command has its own
    --seed; ``batch_text``: --batch-size is text, a sweep's list or range of sizes)."""
    return [
        *batch_options(seed=seed, text=batch_text),
        _option("steps", Optional[int], None, "--steps", help="Maximum number of updates. [default: the preset's, else 1000]", rich_help_panel=RUN),
        _option("tol", Optional[float], None, "--tol", help="Stop when ‖∇f‖ ≤ tol; 0 never stops early. [default: 1e-6]", rich_help_panel=RUN),
        _option("start", Optional[str], None, "--start", help=start_help + " [default: the preset's, else 1.5 for every variable]", rich_help_panel=RUN),
        _option("clip_norm", Optional[float], None, "--clip-norm", help="Clip the gradient to this norm before each update (torch clip_grad_norm_).", rich_help_panel=RUN),
        *problem_options(),
    ]


DATA = "Data"


def batch_options(*, seed: bool = True, text: bool = False) -> list[inspect.Parameter]:
    """``--batch-size``, ``--eval-every`` (and ``--seed``): minibatches of a ``--data`` run (gdx.minibatch)."""
    params = [
        _option("batch_size", Optional[str] if text else Optional[int], None, "--batch-size",
                help=("Batch sizes to sweep: \"8,32,128\" or a range \"8:256\" (powers of two), or one size; "
                      "with one hyperparameter range or list too, a 2-D grid. "
                      if text else "") + "Rows per update, drawn like torch DataLoader(shuffle=True, drop_last=False), "
                     "epoch by epoch. [default: every row]", rich_help_panel=DATA),
        _option("eval_every", Optional[int], None, "--eval-every",
                help="Record the full-data loss every K steps of a minibatch run. [default: once per epoch, ≥ 20 times]",
                rich_help_panel=DATA),
    ]
    if seed:
        params.append(_option("seed", Optional[int], None, "--seed", help="Seed of the minibatch shuffles. [default: 0]",
                              rich_help_panel=DATA))
    return params


def problem_options() -> list[inspect.Parameter]:
    """``--data``, ``--vars`` and ``--timeout``: what FUNCTION is over, how it is read and how long
    its symbolic work may take."""
    return [
        _option("data", Optional[str], None, "--data",
                help="CSV (header row) or .jsonl file: FUNCTION is then the per-example loss, its names that are "
                     "columns are data, the others parameters; the objective is the mean over rows.",
                rich_help_panel=DATA),
        _option("variables", Optional[str], None, "--vars", help='Variable order, e.g. "y,x". [default: natural sort]'),
        timeout_option(),
        no_cache_option(),
    ]


def _no_cache(value: bool) -> bool:
    if value:
        from ..cache_settings import disable

        disable()
    return value


def no_cache_option() -> inspect.Parameter:
    """``--no-cache``: neither read nor write the compiled cache (gdx.compiled_cache)."""
    return _option("no_cache", bool, False, "--no-cache", callback=_no_cache,
                   help="Derive and compile the function afresh: neither read nor write the compiled cache "
                        "(~/.cache/gdx; gdx cache clear empties it).")


def timeout_option() -> inspect.Parameter:
    """``--timeout SECONDS``: the bound on all of a command's symbolic work (gdx.sandbox)."""
    return _option("timeout", Optional[float], None, "--timeout",
                   help="Bound, in seconds, on all of the command's symbolic work (derivatives, exact solving); "
                        "exit 3 when the derivatives hit it. [default: 10]")


def command(app: typer.Typer, name: str, *, help: str, epilog: str, options=()):
    """Register ``func`` as command ``name``; the generated ``options`` (a list, or a function
    making it) are appended to its signature by :func:`settle` when the command is built (they
    arrive in its ``**flags``)."""

    def register(func):
        func.gdx_options = options
        app.command(name, help=help, epilog=epilog)(func)
        return func

    return register


def run_request(function: str, flags: dict, **fields):
    """The typed request of a command: its flags (hyperparameters gathered into ``hyper``) and ``fields``."""
    from ..app.prepare import RunRequest
    from ..optim.hyper import HYPERPARAMETERS
    from ..schedules import SCHEDULE_PARAMETERS

    hyper = {k: flags[k] for k in HYPERPARAMETERS if flags.get(k) is not None}
    for k, v in hyper.items():  # a pair arrives as text "a,b" (a sweep's given text is parsed there)
        if HYPERPARAMETERS[k].kind in ("pair", "int", "choice") and isinstance(v, str):
            hyper[k] = HYPERPARAMETERS[k].parse(v)
    schedule_args = {k: flags[k] for k in SCHEDULE_PARAMETERS if flags.get(k) is not None}
    keys = ("variables", "schedule", "clip_norm", "steps", "tol", "start", "timeout", "data", "batch_size", "seed",
            "eval_every")
    given = {k: flags[k] for k in keys if k in flags}
    return RunRequest(function=function, hyper=hyper, schedule_args=schedule_args, **{**given, **fields})


def finish(code) -> None:
    """End the command with exit status ``code`` (typer.Exit carries it to main)."""
    raise typer.Exit(int(code))
