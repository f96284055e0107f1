"""``gdx optimize``: one run, from a prepared request to its outcome (result, diagnosis, document).

The order is the rule "nothing computed is lost": the run is drained (Ctrl-C still gives every
step so far), then diagnosed, then exported (``--export``) and drawn to a file (``--png``)
before anything is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ExitCode
from .runs import consume, diagnose_run, known_minimum, run_document, run_exit_code


@dataclass
class OptimizeOutcome:
    """A finished run and everything said about it."""

    prepared: Any  # gdx.app.prepare.Prepared
    result: Any  # gdx.result.Result
    diagnosis: Any  # gdx.diagnose.Diagnosis
    document: dict  # what --json prints
    exit_code: ExitCode
    export: str | None = None  # the file written by --export
    png: str | None = None  # the figure written by --png
    gif: str | None = None  # the animation written by --gif
    known_minimum: Any = None  # (the preset's nearest known minimum, distance to it), or None


def check_single_run_flags(*, quiet: bool, json_out: bool, no_plot: bool, every, landscape: bool, seed, box,
                           all_rows: bool = False) -> None:
    """One run (no --starts): --seed, --box and --all-rows belong to --starts; --json prints one document (no
    --every, --no-plot, --landscape, -q) and -q only the summary (and --landscape), so --every and
    --no-plot do not apply with it."""
    from .flags import refuse_inapplicable

    refuse_inapplicable({"--seed": seed is not None, "--box": box is not None, "--all-rows": all_rows},
                        because="without --starts",
                        hint="--seed and --box choose the random starts of --starts N; --all-rows lists its basins")
    if json_out or quiet:
        refuse_inapplicable({"--quiet": quiet and json_out, "--every": every is not None, "--no-plot": no_plot,
                             "--landscape": landscape and json_out}, because="with --json" if json_out else "with --quiet")


def check_run_outputs(*, landscape: bool, png, target, gif=None) -> None:
    """Before any work: --landscape and --gif need 2+ variables; --png and --gif a writable path
    and the png extra."""
    if landscape or gif is not None:
        from .plot import require_2d

        require_2d(target)
    if png is not None:
        from ..render.png import prepare_png

        prepare_png(png)
    if gif is not None:
        from ..render.gif import prepare_gif

        prepare_gif(gif)


def bounded_path(export: str | None) -> bool:
    """Is a run's kept path bounded (:class:`gdx.path_record.PathRecord`)?  Yes, unless
    ``--export run.json`` needs every step in memory (a CSV export is streamed as the run goes)."""
    return not (export and str(export).lower().endswith(".json"))


def prepare_single(request):
    """:func:`gdx.app.prepare.prepare` for one run: the memory of every step is checked only when
    the path is not bounded (:func:`bounded_path`)."""
    from .prepare import prepare

    return prepare(request, keep_path=not bounded_path(request.export))


def optimize(prepared, *, on_step=None, png=None, gif=None, on_block=None) -> OptimizeOutcome:
    """Run ``prepared`` (steps go to ``on_step``, blocks of steps to ``on_block``), then diagnose, export and draw it.  With a
    bounded path (:func:`bounded_path`) the run keeps a thinned record (gdx.path_record) and a CSV
    export receives every step while it runs."""
    export = prepared.request.export
    if not bounded_path(export):
        return finish(prepared, consume(prepared, on_step, on_block=on_block), png=png, gif=gif)
    from ..path_record import LIMIT, PathRecord

    stream = None
    if export:
        from ..render.export import CsvStream

        stream = CsvStream(export, prepared.compiled.variables)
    try:
        record = PathRecord(LIMIT, sink=stream.write if stream else None,
                            block_sink=stream.write_block if stream else None)
        result = consume(prepared, on_step, record, on_block=on_block)
    except BaseException:
        if stream is not None:
            stream.discard()
        raise
    if stream is not None:
        stream.close()
    return finish(prepared, result, png=png, gif=gif, exported=stream is not None)


def finish(prepared, result, *, png=None, gif=None, exported: bool = False) -> OptimizeOutcome:
    """After a run: the diagnosis, the document, the export (unless ``exported`` while it ran), the figure and the animation."""
    diagnosis = diagnose_run(prepared, result)
    document = run_document(prepared, result, diagnosis)
    export = prepared.request.export
    if export and not exported:
        from ..render.export import export_run

        export_run(export, result, document)
    if png is not None:
        from .plot import write_run_png

        write_run_png(png, prepared, result)
    if gif is not None:
        from .plot import write_run_gif

        write_run_gif(gif, prepared, result)
    return OptimizeOutcome(prepared, result, diagnosis, document, run_exit_code(result), export,
                           str(png) if png is not None else None, str(gif) if gif is not None else None,
                           known_minimum(prepared, result.x))
