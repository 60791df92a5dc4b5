"""solve_many: independent scenarios on a process pool and on a Dask cluster.

The scenarios are small hand-built problems that CP-SAT solves to optimality in well
under a second with one worker, so that the two executors can be compared exactly:
with ``workers=1``, a seed and a deterministic-time limit the search is reproducible.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from concurrent.futures import Executor, Future
from pathlib import Path

import pandas as pd
import pytest

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import LanguageFloor, NoRosterError, Problem, Requirement, solve, validate
from fts_scheduler import parallel
from fts_scheduler.parallel import STATUSES, ScenarioResult, _pack_roster, _unpack_roster, solve_many

# Reproducible: one CP-SAT worker, a seed, and a limit in deterministic work units.
OPTIONS = {"workers": 1, "seed": 3, "time_limit_s": 30, "deterministic_time": 10.0}


def _variant(k: int) -> Problem:
    """Scenario k: 4 + k agents with different costs, an English floor; odd k in Tokyo with a Spanish floor."""
    agents = [agent(i, ("en", "es") if i % 2 else ("en",), cost=10 + (i * (k + 3)) % 7) for i in range(4 + k)]
    floors = [LanguageFloor(language="en")]
    where = {}
    if k % 2:
        floors.append(LanguageFloor(language="es", site="S", start=dt.time(9), end=dt.time(17)))
        where = {"timezone": "Asia/Tokyo", "country": "JP"}
    base = make_problem(agents=agents, templates=THREE_SHIFTS, floors=floors, days=3, name=f"variant-{k}", **where)
    peak = tuple(2 if 9 <= t % 24 < 17 else 1 for t in range(base.num_intervals))
    return base.model_copy(update={"requirements": (Requirement(language="en", agents=peak),)})


def _infeasible() -> Problem:
    """French around the clock and nobody speaks French."""
    return make_problem(
        agents=[agent(i) for i in range(3)],
        templates=THREE_SHIFTS,
        floors=[LanguageFloor(language="en"), LanguageFloor(language="fr")],
        name="no-french",
    )


@pytest.fixture(scope="module")
def variants() -> list[Problem]:
    return [Problem.model_validate_json(_variant(k).model_dump_json()) for k in range(4)]


@pytest.fixture(scope="module")
def dask_executor():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client.get_executor()


def _check(problems: list[Problem], results: list[ScenarioResult]) -> None:
    assert [r.index for r in results] == list(range(len(problems)))
    assert [r.name for r in results] == [p.name for p in problems]
    for problem, result in zip(problems, results):
        assert result.status == "OPTIMAL", result.message
        assert result.ok and result.error_type is None
        assert validate(problem, result.roster) == []
        assert result.roster.objective > 0 and len(result.roster.assignments) > 0


def test_default_process_pool_solves_every_variant_in_order(variants):
    t0 = time.perf_counter()
    results = solve_many(variants, **OPTIONS)
    _check(variants, results)
    assert time.perf_counter() - t0 < 60


def test_dask_cluster_gives_the_same_rosters_as_the_process_pool(variants, dask_executor):
    on_dask = solve_many(variants, executor=dask_executor, **OPTIONS)
    _check(variants, on_dask)
    on_pool = solve_many(variants, **OPTIONS)
    here = [solve(p, **OPTIONS) for p in variants]
    assert [r.roster.objective for r in on_dask] == [r.roster.objective for r in on_pool] == [r.objective for r in here]
    # not only the cost: the same shifts for the same agents
    for a, b in zip(on_dask, here):
        pd.testing.assert_frame_equal(a.roster.assignments, b.assignments)


def test_a_failing_scenario_does_not_lose_the_others(variants, dask_executor):
    problems = [variants[0], _infeasible(), variants[1]]
    results = solve_many(problems, executor=dask_executor, **OPTIONS)
    assert [r.status for r in results] == ["OPTIMAL", "INFEASIBLE", "OPTIMAL"]
    bad = results[1]
    assert bad.roster is None and not bad.ok
    assert bad.error_type == "InfeasibleError" and "fr" in bad.message and "no agent speaks fr" in bad.message
    assert bad.best_effort is not None and (bad.best_effort.coverage["language"] == "fr").any()
    assert validate(problems[0], results[0].roster) == [] and validate(problems[2], results[2].roster) == []


class _LosesTheSecond(Executor):
    """Runs in this thread, but the second task's worker 'dies'."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.calls += 1
        future: Future = Future()
        if self.calls == 2:
            future.set_exception(RuntimeError("worker lost"))
            return future
        future.set_result(fn(*args, **kwargs))
        return future


def test_a_lost_worker_is_an_error_for_its_scenario_only(variants):
    results = solve_many(variants[:3], executor=_LosesTheSecond(), **OPTIONS)
    assert [r.status for r in results] == ["OPTIMAL", "ERROR", "OPTIMAL"]
    assert results[1].error_type == "RuntimeError" and results[1].message == "worker lost"
    assert "worker lost" in results[1].traceback


def test_no_roster_in_time_is_its_own_status(variants, monkeypatch):
    def times_out(problem, **options):
        raise NoRosterError("no roster found within time_limit_s=1 s")

    monkeypatch.setattr(parallel, "solve", times_out)
    [result] = solve_many(variants[:1], executor=_LosesTheSecond())
    assert result.status == "NO_ROSTER" and result.error_type == "NoRosterError" and result.roster is None
    assert set(STATUSES) == {"OPTIMAL", "FEASIBLE", "INFEASIBLE", "NO_ROSTER", "ERROR"}


def test_unknown_option_fails_before_anything_runs(variants):
    executor = _LosesTheSecond()
    with pytest.raises(TypeError, match="time_limit"):
        solve_many(variants, executor=executor, time_limit=5)
    assert executor.calls == 0
    assert solve_many([], executor=executor) == []


def test_rosters_travel_as_json_and_come_back_equal(variants):
    roster = solve(variants[1], **OPTIONS)
    text = json.dumps(_pack_roster(roster))  # plain JSON: no pickles, no NumPy scalars
    back = _unpack_roster(json.loads(text))
    for name in ("assignments", "coverage", "breaks", "changes"):
        pd.testing.assert_frame_equal(getattr(roster, name), getattr(back, name))
    # local times keep their zone, not only their instant
    zones = lambda frame: [str(t.tzinfo) for t in frame["start_local"]]  # noqa: E731
    assert zones(back.assignments) == zones(roster.assignments)
    assert (back.status, back.objective, back.objective_terms, back.stats) == (
        roster.status,
        roster.objective,
        roster.objective_terms,
        roster.stats,
    )


def test_the_operations_page_runs_as_written(tmp_path):
    """docs/operations.md: each section's code blocks, as one script, run from the repository root."""
    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    replanning, parallel_part = text.split("## Many scenarios in parallel")
    for name, part in (("replanning", replanning), ("parallel", parallel_part)):
        blocks = re.findall(r"```python\n(.*?)```", part, flags=re.S)
        assert blocks, name
        script = tmp_path / f"{name}.py"
        script.write_text("\n\n".join(blocks), encoding="utf-8")
        done = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{name}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
