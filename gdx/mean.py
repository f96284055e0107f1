"""The objective of a data set: the mean over rows of a per-example loss.

For FUNCTION ℓ(θ; d) and rows d₁ … d_N of ``--data``, the objective is

    L(θ) = (1/N) Σᵢ ℓ(θ; dᵢ),   ∇L = (1/N) Σᵢ ∇_θ ℓ(θ; dᵢ),   H_L = (1/N) Σᵢ ∇²_θ ℓ(θ; dᵢ).

Names of FUNCTION that are columns of the data are data; every other name is a parameter θ.
ℓ, ∇_θ ℓ and ∇²_θ ℓ are derived once (in the bounded child, with respect to θ only) and compiled
as functions of (θ, d); the data columns are passed as arrays, so one call evaluates every row
and numpy averages them -- never a symbolic sum of N terms.  :class:`MeanObjective` has the
interface of :class:`gdx.compile.Compiled` (``value``, ``value_and_grad``, ``grad``, ``hess``,
``variables``, ``n``, the evaluation counts), so the loop, the batch engine, the landscape and
the analysis use it unchanged; ``value_and_grad(x, rows=…)`` evaluates a minibatch.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import GdxError
from .parse import Problem

#: Evaluations of ℓ per chunk when many parameter points are evaluated at once (points × rows).
CHUNK_CELLS = 1 << 21


@dataclass(frozen=True)
class Split:
    """The names of a per-example loss: parameters θ (optimized) and data columns d (given)."""

    parameters: tuple[str, ...]
    data: tuple[str, ...]


def split_names(problem: Problem, dataset, parameters=None) -> Split:
    """Names of the function that are columns of ``dataset`` are data, the others parameters.

    With ``parameters`` (``--vars``) given, they are the parameters in that order and every
    other name of the function must be a column (a missing column is an error naming it)."""
    columns = set(dataset.columns)
    used = problem.variables
    if parameters:
        from .parse import parse_variables

        params = parse_variables(parameters)
        clash = [p for p in params if p in columns]
        if clash:
            raise GdxError(f"--vars names the data column '{clash[0]}' of {dataset.source}", kind="usage error",
                           hint="--vars lists the parameters; data columns are not optimized")
        missing = [u for u in used if u not in params and u not in columns]
        if missing:
            raise GdxError(f"{dataset.source}: the function needs a column '{missing[0]}', which the file lacks "
                           f"(its columns: {', '.join(dataset.columns)})", kind="data error", source=problem.source,
                           hint=f"add the column, or list {missing[0]} in --vars to make it a parameter")
    else:
        params = tuple(u for u in used if u not in columns)
    data = tuple(u for u in used if u in columns)
    if not data:
        raise GdxError(f"the function uses none of the columns of {dataset.source} ({', '.join(dataset.columns)})",
                       kind="data error", source=problem.source,
                       hint="names in the function that are columns are data; every other name is a parameter")
    from .parse import LIMITS

    if len(params) > LIMITS.max_variables:
        raise GdxError(f"too many parameters ({len(params)}; the limit is {LIMITS.max_variables})", kind="limit",
                       source=problem.source, hint="names that are not columns of the data are parameters")
    if not params:
        raise GdxError("every name of the function is a data column: there is no parameter to optimize",
                       kind="data error", source=problem.source)
    return Split(tuple(params), data)


def parameter_problem(problem: Problem, split: Split) -> Problem:
    """The problem over the parameters only (its expression still holds the data symbols)."""
    by_name = dict(zip(problem.variables, problem.symbols))
    return Problem(problem.source, problem.exprs, split.parameters, tuple(by_name[p] for p in split.parameters))


def _derive_mean(problem: Problem, split: Split):
    """In the child: ∇_θ ℓ, ∇²_θ ℓ and the generated source of ℓ, (ℓ, ∇_θ ℓ), ∇²_θ ℓ over (θ, d)."""
    from .compile import _without_distributions, lambdify_source
    from .derive import _settled
    from .parse import refuse_complex

    by_name = dict(zip(problem.variables, problem.symbols))
    theta = [by_name[p] for p in split.parameters]
    args = theta + [by_name[d] for d in split.data]
    expr = problem.expr
    refuse_complex(problem.exprs, problem.source)
    gradient = tuple(_settled(_without_distributions(expr.diff(s)), problem) for s in theta)
    refuse_complex(gradient, problem.source, what="its gradient")
    n = len(theta)
    rows = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            rows[i][j] = rows[j][i] = _settled(_without_distributions(gradient[i].diff(theta[j])), problem)
    hessian = tuple(tuple(r) for r in rows)
    sources = {
        "_f": lambdify_source(args, [expr]),
        "_fg": lambdify_source(args, [expr, *gradient]),
        "_h": lambdify_source(args, [e for row in hessian for e in row]),
    }
    return gradient, hessian, sources


def compile_mean(problem: Problem, dataset, parameters=None, *, timeout):
    """The :class:`MeanObjective` of ``problem`` (all its names) over ``dataset``, its symbolic
    work bounded by ``timeout`` (seconds or a :class:`gdx.sandbox.Deadline`)."""
    from .derive import function_from_source
    from .sandbox import bounded

    split = split_names(problem, dataset, parameters)
    gradient, hessian, sources = bounded(_derive_mean, problem, split, timeout=timeout,
                                         what="the symbolic work (gradient and Hessian)", source=problem.source)
    functions = {attr: function_from_source(src) for attr, src in sources.items()}
    objective = MeanObjective(parameter_problem(problem, split), split, dataset, gradient, hessian, functions)
    objective.sources = sources
    return objective


def cached_mean(problem, example, dataset, payload: dict):
    """The :class:`MeanObjective` of a compiled-cache hit (gdx.compiled_cache.load_mean): the
    functions from the entry's checked sources, the display strings from it; ∇_θ ℓ and ∇²_θ ℓ as
    SymPy are derived (bounded) only when something asks for them (``analyze``)."""
    split = Split(tuple(payload["parameters"]), tuple(payload["data"]))
    functions = payload["functions"]  # checked and compiled by load_mean
    objective = CachedMeanObjective(problem, split, dataset, None, None, functions)
    objective.example, objective.texts, objective.sources = example, payload["texts"], dict(payload["sources"])
    return objective


class MeanObjective:
    """L(θ) = mean over rows of ℓ(θ; d), with ∇L and H_L; the interface of :class:`gdx.compile.Compiled`."""

    def __init__(self, problem: Problem, split: Split, dataset, gradient, hessian, functions) -> None:
        import numpy as np

        self.problem = problem
        self.split = split
        self.dataset = dataset
        self.variables = problem.variables
        self.n = problem.n
        if gradient is not None:  # None: derived on first use (CachedMeanObjective)
            self.gradient = gradient
            self.hessian = hessian
        self._f, self._fg, self._h = functions["_f"], functions["_fg"], functions["_h"]
        self.columns = np.ascontiguousarray(np.stack([dataset.column(d) for d in split.data]))  # (m, N)
        self.rows = dataset.rows
        self.nfev = self.njev = self.nhev = 0

    def warm(self, *, hessian: bool = False) -> None:
        """Nothing to build: the functions were compiled when the objective was made."""

    def _data(self, rows):
        return self.columns if rows is None else self.columns[:, rows]

    def _mean_of(self, function, x, rows, width: int):
        """mean over the rows of each of ``width`` outputs of ``function`` at x (…, n) → (…, width)."""
        import numpy as np

        x = np.asarray(x, dtype=float)
        cols = self._data(rows)
        if x.ndim == 1:
            out = function([*x, *cols])
            return np.array([np.mean(o) for o in out], dtype=float)
        lead = x.shape[:-1]
        flat = x.reshape(-1, self.n)
        M, N = flat.shape[0], cols.shape[1]
        result = np.empty((M, width))
        chunk = max(1, CHUNK_CELLS // max(1, N))
        data = [c[None, :] for c in cols]
        for a in range(0, M, chunk):
            part = flat[a:a + chunk]
            out = function([*(part[:, j:j + 1] for j in range(self.n)), *data])
            for i, o in enumerate(out):
                o = np.asarray(o, dtype=float)
                result[a:a + chunk, i] = o if o.ndim == 0 else np.broadcast_to(o, (len(part), N)).mean(axis=1)
        return result.reshape(*lead, width)

    def value(self, x, rows=None):
        """L(x) (over ``rows`` when given): a float, or an array of the batch shape of x."""
        self.nfev += 1
        out = self._mean_of(self._f, x, rows, 1)[..., 0]
        return float(out) if out.ndim == 0 else out

    def value_and_grad(self, x, rows=None):
        """(L(x), ∇L(x)) over every row, or over ``rows`` (a minibatch: an index array)."""
        self.nfev += 1
        self.njev += 1
        out = self._mean_of(self._fg, x, rows, self.n + 1)
        if out.ndim == 1:
            return float(out[0]), out[1:].copy()
        return out[..., 0].copy(), out[..., 1:].copy()

    def grad(self, x, rows=None):
        return self.value_and_grad(x, rows)[1]

    def hess(self, x, rows=None):
        """H_L(x) of shape (..., n, n)."""
        import numpy as np

        self.nhev += 1
        x = np.asarray(x, dtype=float)
        out = self._mean_of(self._h, x, rows, self.n * self.n)
        return out.reshape(x.shape[:-1] + (self.n, self.n))

    def example_grads(self, x, rows=None):
        """∇_θ ℓ(x; dᵢ) for each row (N, n): what the minibatch gradient variance is made of."""
        import numpy as np

        cols = self._data(rows)
        out = self._fg([*np.asarray(x, float), *cols])
        return np.stack([np.broadcast_to(np.asarray(o, float), (cols.shape[1],)) for o in out[1:]], axis=1)


class CachedMeanObjective(MeanObjective):
    """A :class:`MeanObjective` from the compiled cache: SymPy only when ∇_θ ℓ or ∇²_θ ℓ is asked for."""

    def _derived(self):
        from .parse import Problem
        from .sandbox import bounded

        example = self.example._parsed
        if "_sym" not in self.__dict__:
            gradient, hessian, _ = bounded(_derive_mean, Problem(example.source, example.exprs, example.variables,
                                                                 example.symbols), self.split,
                                           timeout=30.0, what="the symbolic work (gradient and Hessian)",
                                           source=example.source)
            self.__dict__["_sym"] = (gradient, hessian)
        return self.__dict__["_sym"]

    @property
    def gradient(self):
        return self._derived()[0]

    @property
    def hessian(self):
        return self._derived()[1]
