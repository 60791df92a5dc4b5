"""Lanes: the one-agent re-plans in forked processes give exactly what they give in threads."""

from __future__ import annotations

import functools
import time

import pandas as pd
import pytest
from test_lns import _ward

import fts_scheduler.heuristic as heuristic
from fts_scheduler.heuristic import agents_below_minimums, greedy_roster, improve_replies, replan_agents
from fts_scheduler.lanes import ForkLanes, ThreadLanes, can_fork
from fts_scheduler.optimizer import build_model

needs_fork = pytest.mark.skipif(not can_fork(), reason="forked lanes need Linux and two cores")


def _scaled(x: int, *, by: int) -> int:
    if x < 0:
        raise ValueError(f"x must not be negative, got {x}")
    return x * by


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@needs_fork
def test_forked_lanes_answer_every_call_in_order_and_raise_the_callers_errors():
    with ForkLanes(functools.partial(_scaled, by=3), 2) as lanes:
        pending = [lanes.submit(x) for x in range(7)]  # several calls waiting on each lane
        assert [p.result() for p in reversed(pending)] == [18, 15, 12, 9, 6, 3, 0]
        with pytest.raises(ValueError, match="got -1"):
            lanes.submit(-1).result()
        assert lanes.submit(5).result() == 15  # the lane goes on after an error
        processes = list(lanes.processes)
    assert all(not p.is_alive() for p in processes) and all(p.exitcode == 0 for p in processes)


@needs_fork
def test_forked_lanes_are_ended_at_once_when_the_caller_stops():
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        with ForkLanes(_sleep, 2) as lanes:
            lanes.submit(60)
            processes = list(lanes.processes)
            raise KeyboardInterrupt  # as a Ctrl-C while waiting for the call
    assert time.perf_counter() - started < 10
    assert all(not p.is_alive() for p in processes)


def test_thread_lanes_run_the_same_calls():
    with ThreadLanes(functools.partial(_scaled, by=3), 2) as lanes:
        assert [lanes.submit(x).result() for x in range(3)] == [0, 3, 6]
        with pytest.raises(ValueError):
            lanes.submit(-1).result()


@needs_fork
def test_replies_in_forked_lanes_are_the_replies_in_threads(monkeypatch):
    m, _ = build_model(_ward(days=21, staff=6))
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    assert len(short) >= 4
    results = {}
    for kind, threshold in (("threads", 10**12), ("forks", 0)):
        monkeypatch.setattr(heuristic, "FORK_MIN_SHIFTS", threshold)
        first = replan_agents(m, greedy, short, time_limit_s=60, seed=0, deterministic_time=5.0)
        better = improve_replies(m, first, short, time_limit_s=60, seed=0, deterministic_time=5.0)
        results[kind] = (first, better)
    assert results["forks"] == results["threads"]
    first, _ = results["forks"]
    assert agents_below_minimums(m, first) == set()


@needs_fork
def test_a_starting_roster_planned_while_the_rules_are_posted_gives_the_same_roster(monkeypatch):
    """solve's early start (a forked process, from the variables alone) plans what the sequential steps plan."""
    import multiprocessing

    import fts_scheduler.solver as solver_module
    from fts_scheduler import solve, validate

    problem = _ward(days=21, staff=6)
    early_starts = []

    class Spy(solver_module.EarlyStart):
        def result(self):
            start = super().result()
            early_starts.append(self.first)
            return start

    monkeypatch.setattr(solver_module, "EarlyStart", Spy)
    rosters = {}
    for kind, threshold in (("sequential", 10**12), ("early", 0)):
        monkeypatch.setattr(solver_module, "EARLY_START_MIN_SHIFTS", threshold)
        rosters[kind] = solve(problem, time_limit_s=30, workers=1, deterministic_time=2.0)
        assert multiprocessing.active_children() == []
        assert len(early_starts) == (kind == "early")
    assert early_starts[0] is not None  # the first rosters came from the early start
    early, sequential = rosters["early"], rosters["sequential"]
    assert early.stats["hint_replanned_agents"] >= 4 and early.stats["hint_complete"] == 1
    assert early.objective == sequential.objective
    pd.testing.assert_frame_equal(early.assignments, sequential.assignments)
    assert validate(problem, early) == []
    assert early.stats["build_s"] <= early.stats["start_roster_s"]


@needs_fork
def test_ctrl_c_while_the_rules_are_posted_ends_the_early_start(monkeypatch):
    import multiprocessing

    import fts_scheduler.solver as solver_module
    from fts_scheduler import solve

    monkeypatch.setattr(solver_module, "EARLY_START_MIN_SHIFTS", 0)
    real_post_rules = solver_module.post_rules

    def post_rules(m, **kw):
        time.sleep(0.5)  # the early start is planning by now
        assert multiprocessing.active_children()
        real_post_rules(m, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(solver_module, "post_rules", post_rules)
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        solve(_ward(days=21, staff=6), time_limit_s=30, workers=1)
    assert time.perf_counter() - started < 10
    assert multiprocessing.active_children() == []
