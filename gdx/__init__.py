"""gdx — a gradient descent explorer.

Library use::

    import gdx
    problem = gdx.problem("x^2 + 3*y^2")            # safe parse → SymPy expression + variables
    compiled = gdx.compile_problem(problem)         # f, ∇f, H as numpy functions (x on the last axis)
    result = gdx.minimize("x^2 + 3*y^2", start=(1.5, -0.5), optimizer="adam", lr=0.1, steps=500)
    result.x, result.fun, result.status, result.path.x   # scipy-style fields, the whole path

Heavy modules (numpy, sympy) are imported on first use, not by ``import gdx``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "problem", "compile_problem", "minimize", "run", "load_preset", "GdxError"]


def __getattr__(name):
    if name == "GdxError":
        from .errors import GdxError

        return GdxError
    if name == "load_preset":
        from .presets import load_preset

        return load_preset
    raise AttributeError(name)


def problem(text: str, variables=None):
    """Parse function text (or a preset name) into a :class:`gdx.parse.Problem`."""
    from .target import resolve_target

    return resolve_target(text, variables).problem


def compile_problem(problem):
    """Numeric f, ∇f and H of a problem (derived once, on first use)."""
    from .compile import Compiled

    return Compiled(problem)


def run(function: str, *, start=None, optimizer: str | None = None, steps: int | None = None,
        tol: float | None = None, schedule: str | None = None, clip_norm: float | None = None,
        variables=None, callback=None, timeout: float | None = None, data=None, batch_size: int | None = None,
        seed: int | None = None, eval_every: int | None = None, _blocks: bool = False, **hyper):
    """The event generator of one run: ``Started``, ``Step``…, ``Finished(result)``.

    The same request, checks and defaults as ``gdx optimize`` (:func:`gdx.app.prepare.prepare`):
    ``start`` is a point (floats in variable order) or ``"x=1,y=2"``; ``hyper`` takes the
    hyperparameters (``lr=0.1``) and the schedule's parameters (``gamma``, ``step_size``, …:
    :data:`gdx.schedules.SCHEDULE_PARAMETERS`).  ``data`` (a CSV/JSON Lines path or a
    :class:`gdx.data.DataSet`) makes ``function`` a per-example loss averaged over its rows;
    ``batch_size``, ``seed``, ``eval_every`` are ``--batch-size``, ``--seed``, ``--eval-every``.
    """
    from .app.prepare import RunRequest, prepare
    from .schedules import SCHEDULE_PARAMETERS

    scheduling = {key: hyper.pop(key) for key in list(hyper) if key in SCHEDULE_PARAMETERS}
    request = RunRequest(function=function, variables=variables, optimizer=optimizer, hyper=hyper, schedule=schedule,
                         schedule_args=scheduling, clip_norm=clip_norm, steps=steps, tol=tol, start=start,
                         timeout=timeout, data=data, batch_size=batch_size, seed=seed, eval_every=eval_every)
    return prepare(request).run(callback=callback, blocks=_blocks)


def minimize(function: str, **kwargs):
    """Run to the end and return the :class:`gdx.result.Result` (x, fun, jac, nit, status, path, …);
    the steps are drained in blocks where the fast loop runs (the same Result)."""
    for event in run(function, _blocks=True, **kwargs):
        pass
    return event.result
