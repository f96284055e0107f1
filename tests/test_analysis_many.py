"""analyze on more than 3 variables: the exact solver is killed at its deadline, while the numeric
search still runs (not after it), and the random-start search is bounded by n."""

import time

from gdx import analysis
from gdx.compile import Compiled
from gdx.parse import parse_function
from gdx.sandbox import Deadline


def rosenbrock(n):
    return parse_function("+".join(f"100*(x{i + 1}-x{i}^2)^2+(1-x{i})^2" for i in range(1, n)))


def test_the_solver_is_killed_at_its_deadline_during_the_numeric_search(monkeypatch):
    compiled = Compiled(rosenbrock(4))
    jobs, seen = [], []
    real_start, real_newton = analysis.start_solver, analysis.newton_search
    monkeypatch.setattr(analysis, "start_solver", lambda c: jobs.append(real_start(c)) or jobs[-1])
    budget = Deadline(3600)

    def newton(*args, on_iteration=None, **kwargs):
        if on_iteration is None:  # refining the points found, after the search
            return real_newton(*args, **kwargs)

        def tick():
            if len(seen) == 3:
                budget.ends = time.monotonic() - 1  # the deadline passes now, mid-search
            on_iteration()
            seen.append((budget.expired, jobs[0].finished))
        return real_newton(*args, on_iteration=tick, **kwargs)

    monkeypatch.setattr(analysis, "newton_search", newton)
    search = analysis.find_critical_points(compiled, [(-2, 2)] * 4, timeout=budget)
    assert seen[:3] == [(False, False)] * 3  # solving, alongside the search
    assert len(seen) > 4 and all(finished for expired, finished in seen[3:])  # killed at once, search went on
    assert search.symbolic == "timeout" and any("did not finish" in note for note in search.notes)
    assert any(p.kind == "minimum" and abs(p.at[0] - 1) < 1e-9 for p in search.points)


def test_random_starts_are_bounded_by_the_work_of_a_newton_iteration():
    import numpy as np

    def counts(n):
        return [analysis._starts(np.zeros(n), np.ones(n), None, r, n).shape for r in range(3)]

    assert counts(10) == [(1500, 10), (3000, 10), (4000, 10)]
    assert counts(20) == [(500, 20)] * 3 and counts(50) == [(100, 50)] * 3
