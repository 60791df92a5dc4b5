"""The large neighbourhood search (fts_scheduler.lns) and the starting-roster repairs around it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time

import numpy as np
import pytest
from conftest import THREE_SHIFTS, agent, make_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from fts_scheduler import (
    Contract,
    InfeasibleError,
    LabourRules,
    NoRosterError,
    Preference,
    ShiftDemand,
    solve,
    validate,
)
from fts_scheduler.heuristic import StartingRoster, agents_below_minimums, greedy_roster
from fts_scheduler.lns import improve, read_back
from fts_scheduler.optimizer import build_model, complete_hint, extract_roster, run
from fts_scheduler import optimizer
from fts_scheduler.cpsat import new_solver, set_boolean_bounds
from fts_scheduler.rules import COST_SCALE
from fts_scheduler.solver import default_workers

MON = dt.date(2026, 3, 2)


def _ward(days: int = 14, staff: int = 6, seed: int = 0):
    """A small nurse-rostering problem: cover per day and shift, horizon totals, runs of days."""
    rng = random.Random(seed)
    contract = Contract(
        min_weekly_hours=0,
        max_weekly_hours=48,
        min_horizon_hours=8 * days // 2,
        max_horizon_hours=8 * (days * 5 // 7),
        min_consecutive_days=2,
        min_consecutive_days_off=2,
        max_consecutive_days=5,
    )
    agents = []
    for i in range(staff):
        prefs = tuple(
            Preference(kind=rng.choice(["on", "off"]), date=MON + dt.timedelta(days=rng.randrange(days)),
                       shift=rng.choice(["early", "late"]), weight=rng.choice([1, 2, 3]))
            for _ in range(4)
        )
        agents.append(agent(i, cost=0.0, contract=contract, preferences=prefs))
    demands = tuple(
        ShiftDemand(date=MON + dt.timedelta(days=d), shift=name, agents=need, under_weight=100, over_weight=1)
        for d in range(days)
        for name, need in (("early", 2 + (d % 7 < 5)), ("late", 1 + (d % 3 == 0)))
    )
    rules = LabourRules(min_rest_hours=11, max_consecutive_days=6, weekly_rest_hours=0)
    return make_problem(agents=agents, templates=THREE_SHIFTS[:2], rules=rules, days=days, shift_demands=demands)


def test_lns_improves_a_poor_roster_deterministically_and_it_validates():
    problem = _ward()
    m, penalties = build_model(problem)
    # an arbitrary feasible roster: every agent free, no objective, one worker
    assert complete_hint(m, StartingRoster([[] for _ in m.agents], {}), time_limit_s=10, seed=0, workers=1,
                         free_agents=set(range(len(m.agents))))
    proto = m.model.Proto()
    values = list(proto.solution_hint.values)
    assert list(proto.solution_hint.vars) == list(range(len(values)))
    start = _objective(m, values)

    result = improve(m, values, start, time_limit_s=1.0, seed=0, deterministic=True, step_limit=0.1)
    again = improve(m, values, start, time_limit_s=1.0, seed=0, deterministic=True, step_limit=0.1)

    assert result.objective < start  # strictly better than the arbitrary roster
    assert result.improvements > 0 and result.steps >= result.improvements
    assert again.objective == result.objective and again.values == result.values  # same work budget, same search
    roster = extract_roster(m, penalties, read_back(m, result, bound=0.0, runtime_s=1.0), {})
    assert roster.objective == result.objective / COST_SCALE
    assert validate(problem, roster) == []


def _arbitrary_roster(problem):
    """The model, its penalties, and an arbitrary feasible roster of it (every agent free, no
    objective, one worker) with its objective."""
    m, penalties = build_model(problem)
    assert complete_hint(m, StartingRoster([[] for _ in m.agents], {}), time_limit_s=10, seed=0, workers=1,
                         free_agents=set(range(len(m.agents))))
    values = list(m.model.Proto().solution_hint.values)
    return m, penalties, values, _objective(m, values)


def _objective(m, values: list[int]) -> float:
    """The model's objective at ``values`` (as CP-SAT would report it)."""
    obj = m.model.Proto().objective
    return float(sum(c * values[v] for v, c in zip(obj.vars, obj.coeffs)) + obj.offset)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(days=st.integers(7, 14), staff=st.integers(3, 6), seed=st.integers(0, 100), share=st.sampled_from([0.5, 0.9]))
def test_solve_with_lns_returns_rosters_that_validate(days, staff, seed, share):
    problem = _ward(days=days, staff=staff, seed=seed)
    try:
        # workers given: the LP-led portfolio (these wards have the runs automaton) would skip the LNS
        roster = solve(problem, time_limit_s=2, lns_share=share, workers=2)
    except (InfeasibleError, NoRosterError):
        return
    assert validate(problem, roster) == []
    assert roster.stats["lp_led"] == 0
    lns = roster.stats.get("lns")
    if lns is not None:
        assert lns["objective"] <= lns["start_objective"] + 1e-9
        assert abs(roster.objective - lns["objective"]) < 1e-6
    assert roster.bound <= roster.objective + 1e-6


@pytest.mark.parametrize("phase", ["portfolio", "lns"])
def test_ctrl_c_stops_the_search_and_returns_the_best_roster(monkeypatch, phase):
    import os
    import signal
    import threading

    import fts_scheduler.solver as solver_module

    # Python's own Ctrl-C handler, as in a fresh interpreter: a raw CP-SAT search in an earlier test
    # (with CP-SAT's handler) leaves SIGINT at the system default, which would end this process
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # 20 nurses: the portfolio proves this ward optimal ~6 s in, well after its first roster (0.4 s) and
    # the Ctrl-C a second later (12 nurses: proved at 2.4 s, close enough to race the Ctrl-C)
    problem = _ward(days=28, staff=20, seed=0)
    searching = threading.Event()  # set once the phase has a roster to return
    if phase == "lns":
        real_improve = solver_module.improve

        def spy(*args, **kwargs):
            searching.set()
            return real_improve(*args, **kwargs)

        monkeypatch.setattr(solver_module, "improve", spy)
    returned = threading.Lock()  # held while solve runs: no Ctrl-C once it has returned
    returned.acquire()

    def press_ctrl_c():
        if searching.wait(60):
            time.sleep(1.0)
            if returned.acquire(blocking=False):
                returned.release()
            else:
                os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    t0 = time.perf_counter()
    try:
        # lns_share 1: the portfolio hands over at its first roster. With 0.95 it had 2 s, and on some runs
        # it proved this ward optimal in 1.9 s, returned without an LNS and left nothing to interrupt
        roster = solve(problem, time_limit_s=40, lns_share=1.0 if phase == "lns" else 0, workers=2, seed=0,
                       callback=lambda progress: searching.set() if phase == "portfolio" else None)
    except KeyboardInterrupt:
        pytest.fail(f"Ctrl-C in the {phase} escaped solve instead of returning the best roster")
    finally:
        returned.release()
    elapsed = time.perf_counter() - t0
    presser.join()
    assert searching.is_set() and ("lns" in roster.stats) == (phase == "lns"), (roster.status, roster.stats, elapsed)
    assert roster.stats["interrupted"] == 1 and "(stopped by Ctrl-C)" in roster.summary().splitlines()[0]
    # stopped about a second after the phase had a roster (2 s into the search at most), not at 40 s
    assert elapsed < 20, elapsed
    assert roster.status == "FEASIBLE" and validate(problem, roster) == []


def test_ctrl_c_after_a_solve_raises_keyboard_interrupt():
    """CP-SAT's own Ctrl-C handler, once used, leaves SIGINT at the system default: the next Ctrl-C
    would kill the interpreter (a notebook's kernel). A child process shows what a user would see."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import os, signal, sys, time\n"
        "sys.path.insert(0, {tests!r})\n"
        "from test_lns import _ward\n"
        "from fts_scheduler import solve\n"
        "solve(_ward(days=7, staff=3), time_limit_s=1, workers=2, lns_share=0.5)\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('KeyboardInterrupt')\n"
    ).format(tests=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "KeyboardInterrupt", (done.returncode, done.stderr[-500:])


def _solve_through_ctrl_c(problem, where: str, **limits):
    """``solve`` with a Ctrl-C (simulated by the caller) once the starting roster is completed: that roster."""
    try:
        roster = solve(problem, **limits)
    except KeyboardInterrupt:
        pytest.fail(f"Ctrl-C {where} lost the completed starting roster")
    assert roster.stats["interrupted"] == 1 and roster.stats["from_hint"] == 1
    assert roster.status == "FEASIBLE" and validate(problem, roster) == []
    return roster


def test_ctrl_c_while_the_starting_roster_is_polished_returns_it(monkeypatch, demo):
    import fts_scheduler.solver as solver_module

    def polish_hint(m, **kw):  # Ctrl-C arrives during the polish, once the completed roster is hinted
        assert m.hint_is_roster
        raise KeyboardInterrupt

    monkeypatch.setattr(solver_module, "polish_hint", polish_hint)
    roster = _solve_through_ctrl_c(demo, "during the polish", time_limit_s=12, workers=1)
    assert "(stopped by Ctrl-C)" in roster.summary()
    assert (roster.coverage["staffed"] >= roster.coverage["floor"]).all()


def test_ctrl_c_stops_a_completion_search_at_once(demo):
    import os
    import signal
    import threading

    from fts_scheduler.optimizer import solve_copy

    signal.signal(signal.SIGINT, signal.default_int_handler)  # see the test above
    m, _ = build_model(demo)  # far from proved optimal in 30 s
    searching = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    searching.start()
    with pytest.raises(KeyboardInterrupt):
        solve_copy(m.model, time_limit_s=30, seed=0, workers=2)
    searching.join()
    assert time.perf_counter() - t0 < 10  # the search stopped, rather than running out its 30 s


def test_ctrl_c_during_the_best_replies_returns_the_first_completed_roster(monkeypatch):
    import fts_scheduler.optimizer as optimizer_module
    import fts_scheduler.solver as solver_module
    from fts_scheduler.optimizer import SolveOutcome

    problem = _ward(days=14, staff=6)  # the greedy leaves every agent short: re-planned, completed, then replies
    real_run = solver_module.run

    def run(m, **kw):  # the unhinted probe finds nothing: the greedy's roster is hinted after all
        if kw.get("give_up_s") is not None:
            return SolveOutcome("UNKNOWN", None, 0.0, gave_up=True)
        pytest.fail("the search ran after a Ctrl-C")
        return real_run(m, **kw)

    def improve_replies(m, *args, **kwargs):  # Ctrl-C once the re-planned roster is completed
        raise KeyboardInterrupt

    monkeypatch.setattr(solver_module, "run", run)
    monkeypatch.setattr(optimizer_module, "improve_replies", improve_replies)
    _solve_through_ctrl_c(problem, "during the best replies", time_limit_s=5, workers=2)


def test_ctrl_c_before_the_starting_roster_is_complete_raises_keyboard_interrupt(monkeypatch):
    import fts_scheduler.optimizer as optimizer_module

    def replan_agents(*args, **kwargs):  # the greedy left agents short; Ctrl-C during their re-plan
        raise KeyboardInterrupt

    monkeypatch.setattr(optimizer_module, "replan_agents", replan_agents)
    # deterministic_time: the greedy's roster is hinted (and its short agents re-planned) whatever it is
    with pytest.raises(KeyboardInterrupt, match="before any roster"):
        solve(_ward(days=14, staff=6), time_limit_s=5, workers=1, deterministic_time=5.0)


def test_ctrl_c_before_the_search_finds_a_roster_returns_the_completed_hint(monkeypatch, demo):
    import fts_scheduler.solver as solver_module

    real_run = solver_module.run

    def run(m, **kw):  # Ctrl-C before the search's first roster (Curtois 24: presolve alone takes a minute)
        outcome = real_run(m, **{**kw, "deterministic_time": 1e-9})
        assert outcome.status == "UNKNOWN"
        return dataclasses.replace(outcome, interrupted=True)

    monkeypatch.setattr(solver_module, "run", run)
    _solve_through_ctrl_c(demo, "before the search's first roster", time_limit_s=12, workers=1)


def test_lns_share_is_checked():
    import pytest

    with pytest.raises(ValueError, match="lns_share"):
        solve(_ward(days=7, staff=3), time_limit_s=1, lns_share=1.5)


def test_agents_left_short_by_the_greedy_are_found_and_freed():
    # one agent whose greedy roster is empty although the contract asks 24 h a week
    contract = Contract(min_weekly_hours=24, max_weekly_hours=40)
    problem = make_problem(agents=[agent(1, contract=contract), agent(2, contract=contract)],
                           templates=THREE_SHIFTS[:1], days=7, start=MON,
                           rules=LabourRules(weekly_rest_hours=0))
    m, _ = build_model(problem)
    start = greedy_roster(m)
    empty = StartingRoster([list(start.shifts[0]), []], {})
    assert agents_below_minimums(m, empty) == {1}
    assert not complete_hint(m, empty, time_limit_s=5, seed=0, workers=1)
    assert complete_hint(m, empty, time_limit_s=5, seed=0, workers=1, free_agents={1})


def test_greedy_keeps_weekends_off():
    rules = LabourRules(min_weekends_off_per_4_weeks=2, max_consecutive_days=7, weekly_rest_hours=0)
    from fts_scheduler import Requirement

    problem = make_problem(agents=[agent(1, contract=Contract(max_weekly_hours=56))], templates=THREE_SHIFTS[:1],
                           rules=rules, days=14, start=MON,
                           requirements=(Requirement(language="en", agents=(3,) * (14 * 24)),))
    m, _ = build_model(problem)
    start = greedy_roster(m)
    dates = {m.shifts["S"][k].local_date for k in start.shifts[0]}
    weekends = {d - dt.timedelta(days=d.weekday() - 5) for d in dates if d.weekday() >= 5}
    assert dates and len(weekends) <= 1  # 2 of 4 weeks off -> at most 1 of the 2 weekends worked


def test_default_workers_shrink_with_the_model():
    assert default_workers(40_000) == 8
    assert default_workers(150_000) == 4
    assert default_workers(250_000) == 2
    assert default_workers(350_000) == 1
    assert default_workers(550_000) == 1


def _logging_solver(lines: list[str]) -> cp_model.CpSolver:
    """The library's solver, its search log collected into ``lines`` (which workers CP-SAT chose)."""
    solver = new_solver()
    solver.parameters.log_search_progress = True
    solver.parameters.log_to_stdout = False
    solver.log_callback = lines.append
    return solver


def test_rosters_with_runs_of_days_get_the_lp_led_portfolio_unless_the_caller_sets_workers(monkeypatch):
    from fts_scheduler.optimizer import LP_IDLE_SUBSOLVERS
    from fts_scheduler.solver import LP_LED_WORKERS

    problem = _ward(days=14, staff=6)
    m, _ = build_model(problem)
    assert m.runs_automaton
    roster = solve(problem, time_limit_s=3, seed=0, lns_share=0.5)
    assert roster.stats["lp_led"] == 1 and roster.stats["workers"] == LP_LED_WORKERS
    assert validate(problem, roster) == []
    assert "lns" not in roster.stats  # the whole limit to the portfolio, even when asked for an LNS
    roster = solve(problem, time_limit_s=3, seed=0, workers=2, lns_share=0.5)
    assert roster.stats["lp_led"] == 0 and roster.stats["workers"] == 2
    # what lp_led asks of CP-SAT: the fullest relaxation in every worker, the workers without it left out
    outcome = run(m, time_limit_s=1, seed=0, workers=LP_LED_WORKERS, lp_led=True)
    assert outcome.solver.parameters.linearization_level == 2
    assert set(outcome.solver.parameters.ignore_subsolvers) == set(LP_IDLE_SUBSOLVERS)
    # the one full worker CP-SAT is left with is max_lp, which branches on the relaxation (not default_lp)
    lines: list[str] = []
    monkeypatch.setattr(optimizer, "new_solver", lambda: _logging_solver(lines))
    run(m, time_limit_s=1, seed=0, workers=LP_LED_WORKERS, lp_led=True)
    full = [line for line in lines if "full problem subsolver" in line]
    assert full and "[max_lp]" in full[0], full
    outcome = run(m, time_limit_s=1, seed=0, workers=LP_LED_WORKERS)
    assert outcome.solver.parameters.linearization_level == 1 and not outcome.solver.parameters.ignore_subsolvers


def test_a_greedy_roster_that_leaves_most_agents_short_is_not_hinted():
    from fts_scheduler.optimizer import HINT_MAX_SHORT_SHARE, hint_start

    m, _ = build_model(_ward(days=14, staff=6))
    nobody = StartingRoster([[] for _ in m.agents], {})  # every agent below its horizon minimum
    assert len(agents_below_minimums(m, nobody)) > HINT_MAX_SHORT_SHARE * len(m.agents)
    stats = hint_start(m, nobody, time_limit_s=5, seed=0, workers=1)
    assert stats["hinted"] == 0 and not m.model.Proto().solution_hint.vars
    # half the agents short (the boundary): hinted, and completed once the short one is re-planned alone
    contract = Contract(min_weekly_hours=24, max_weekly_hours=40)
    problem = make_problem(agents=[agent(1, contract=contract), agent(2, contract=contract)],
                           templates=THREE_SHIFTS[:1], days=7, start=MON, rules=LabourRules(weekly_rest_hours=0))
    m, _ = build_model(problem)
    half = StartingRoster([list(greedy_roster(m).shifts[0]), []], {})
    stats = hint_start(m, half, time_limit_s=5, seed=0, workers=1)
    first_s = stats.pop("hint_first_s")
    assert stats == {"hint_complete": 1, "hint_replanned_agents": 1, "hint_freed_agents": 0, "hinted": 1}
    assert 0 < first_s <= 5 + 5  # the re-plan's budget and one completion at most
    assert m.model.Proto().solution_hint.vars


def test_no_completion_is_tried_while_an_agent_is_below_a_minimum(monkeypatch):
    import fts_scheduler.optimizer as optimizer_module

    m, _ = build_model(_ward(days=14, staff=6))
    greedy = greedy_roster(m)
    assert agents_below_minimums(m, greedy)
    real, tried = optimizer_module.complete_hint, []

    def complete(m, start, **kw):
        tried.append(len(agents_below_minimums(m, start)))
        return real(m, start, **kw)

    monkeypatch.setattr(optimizer_module, "complete_hint", complete)
    stats = optimizer_module.hint_start(m, greedy, time_limit_s=5, seed=0, workers=1, force=True)
    # only re-planned rosters, every agent within its minimums, are completed (a completion presolves the
    # model): the first rosters, then the best replies' if they differ
    assert tried and set(tried) == {0} and len(tried) <= 2
    assert stats["hint_complete"] == 1 and stats["hint_replanned_agents"] > 0


def test_give_up_stops_only_a_search_without_a_roster():
    from fts_scheduler.optimizer import _Watcher

    class Solver:
        stopped = 0

        def StopSearch(self):  # CP-SAT's name
            self.stopped += 1

    watcher, solver = _Watcher(None), Solver()
    watcher.give_up(solver)
    assert watcher.gave_up and solver.stopped == 1
    watcher, solver = _Watcher(None), Solver()
    watcher.solutions = 1
    watcher.give_up(solver)
    assert not watcher.gave_up and solver.stopped == 0


def test_solve_falls_back_on_the_greedy_hint_when_the_unhinted_search_finds_nothing(monkeypatch):
    import fts_scheduler.solver as solver_module
    from fts_scheduler.optimizer import SolveOutcome

    problem = _ward(days=14, staff=6)  # the greedy leaves every agent short: not hinted at first
    real_run, calls = solver_module.run, []

    def run(m, **kw):
        calls.append(kw)
        if len(calls) == 1:  # the unhinted probe, as if it had found nothing in its time
            assert kw["give_up_s"] is not None and not m.model.Proto().solution_hint.vars
            return SolveOutcome("UNKNOWN", None, 0.0, gave_up=True)
        assert m.model.Proto().solution_hint.vars  # the retry starts from the greedy's roster
        return real_run(m, **kw)

    monkeypatch.setattr(solver_module, "run", run)
    roster = solve(problem, time_limit_s=5, workers=2)
    assert len(calls) == 2 and roster.stats["hinted"] == 1
    assert validate(problem, roster) == []


def test_solve_returns_the_completed_hint_when_the_search_finds_nothing_in_time(monkeypatch, demo):
    import fts_scheduler.solver as solver_module

    real_run = solver_module.run

    def run(m, **kw):  # a search that stops before its first roster, as on a model too large to presolve in time
        outcome = real_run(m, **{**kw, "deterministic_time": 1e-9})
        assert outcome.status == "UNKNOWN"
        return outcome

    monkeypatch.setattr(solver_module, "run", run)
    # the polish gets a quarter of the time left after the build and the start (a limit on the whole
    # call): 1.25 s found nothing once on a loaded machine; the search itself ends at once here
    roster = solve(demo, time_limit_s=20, workers=1)
    assert roster.stats["hint_complete"] == 1 and roster.stats["from_hint"] == 1
    assert roster.status == "FEASIBLE" and roster.bound <= roster.objective
    assert roster.objective == pytest.approx(roster.stats["polish_objective"])  # the polished hint, as it was
    assert validate(demo, roster) == []
    # that roster was at hand before the search began: after the build, within the hint's time
    stats = roster.stats
    assert stats["build_s"] < stats["start_roster_s"] <= stats["checks_s"] + stats["build_s"] + stats["hint_s"] + 0.1


def test_completion_fixes_the_shifts_in_the_copy_only_and_hints_them_exactly():
    # no breaks and no language split: the copy's shifts are fixed in their domains, not by equalities
    from fts_scheduler.cpsat import boolean_bounds
    from fts_scheduler.heuristic import replan_agents

    problem = _ward(days=14, staff=5)
    m, _ = build_model(problem)
    assert not (m.split or m.break_counts)
    greedy = greedy_roster(m)
    start = replan_agents(m, greedy, agents_below_minimums(m, greedy), time_limit_s=10, seed=0)
    constraints = len(m.model.Proto().constraints)
    assert complete_hint(m, start, time_limit_s=5, seed=0, workers=1)
    proto = m.model.Proto()
    hint = dict(zip(proto.solution_hint.vars, proto.solution_hint.values))
    for a, taken in enumerate(start.shifts):
        for k, v in m.work[a].items():
            assert hint[v.Index()] == int(k in taken)
            assert boolean_bounds(proto, v.Index()) == (0, 1)  # the model itself stays free
    assert len(proto.constraints) == constraints and m.hint_is_roster


def test_agents_the_greedy_left_short_are_replanned_alone_into_rosters_that_keep_their_rules():
    from fts_scheduler.heuristic import replan_agents

    problem = _ward(days=21, staff=6)
    m, penalties = build_model(problem)
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    assert len(short) >= 4  # the greedy builds no runs of days: most agents miss a minimum
    assert not complete_hint(m, greedy, time_limit_s=5, seed=0, workers=1)
    replanned = replan_agents(m, greedy, short, time_limit_s=10, seed=0)
    assert agents_below_minimums(m, replanned) == set()
    for a in set(range(len(m.agents))) - short:  # the others keep their shifts
        assert replanned.shifts[a] == greedy.shifts[a]
    # the shifts as they are make a roster of the whole model, which the validator accepts
    assert complete_hint(m, replanned, time_limit_s=5, seed=0, workers=1)
    for a, taken in enumerate(replanned.shifts):
        for k, v in m.work[a].items():
            m.model.Add(v == int(k in taken))
    outcome = run(m, time_limit_s=10, seed=0, workers=1)
    assert outcome.status in ("OPTIMAL", "FEASIBLE")
    assert validate(problem, extract_roster(m, penalties, outcome, {})) == []


def test_a_solved_roster_is_hinted_whole_and_the_hint_can_be_cleared():
    from fts_scheduler.optimizer import fixed_outcome, hint_solution, hinted_values
    from fts_scheduler.cpsat import set_hint

    m, _ = build_model(_ward(days=14, staff=4))
    outcome = run(m, time_limit_s=5, seed=0, workers=1)
    assert outcome.status in ("OPTIMAL", "FEASIBLE")
    hint_solution(m, outcome.solver)
    hint = hinted_values(m)
    assert hint is not None and len(hint) == len(m.model.Proto().variables)
    for work in m.work:  # each shift hinted as the roster has it
        for v in work.values():
            assert hint[v.Index()] == outcome.solver.Value(v)
    # the hint is the roster itself: every variable fixed to it, the model is feasible at the same cost
    fixed = fixed_outcome(m, hint, status="FEASIBLE", bound=None, runtime_s=0.0)
    assert fixed.solver.ObjectiveValue() == outcome.solver.ObjectiveValue()
    set_hint(m.model.Proto(), [])
    assert hinted_values(m) is None and not m.model.Proto().solution_hint.vars


def test_replan_agents_keeps_shifts_the_caller_fixed_in_the_domains(lane_kind):
    """A rolling plan fixes earlier weeks through the variables' domains: a reply must keep them,
    in threads and in forked lanes (which see the domains fixed before they fork)."""
    from fts_scheduler.heuristic import replan_agents
    from fts_scheduler.lanes import ForkLanes, ThreadLanes

    kind, entered = lane_kind

    m, _ = build_model(_ward(days=21, staff=6))
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    free = replan_agents(m, greedy, short, time_limit_s=60, seed=0, deterministic_time=5.0)
    a = min(short)
    shifts = m.shifts[m.agents[a].site]
    k_on = free.shifts[a][0]  # the reply's first shift for agent a: forbid it, and impose another that day
    k_off = next(k for k in m.work[a] if k != k_on and shifts[k].local_date == shifts[k_on].local_date)
    for k, value in ((k_on, 0), (k_off, 1)):
        set_boolean_bounds(m.model.Proto(), m.work[a][k].Index(), value, value)
    assert not complete_hint(m, free, time_limit_s=5, seed=0, workers=1)  # it contradicts them now
    held = replan_agents(m, greedy, short, time_limit_s=60, seed=0, deterministic_time=5.0)
    assert k_on not in held.shifts[a] and k_off in held.shifts[a]
    assert agents_below_minimums(m, held) == set()
    assert complete_hint(m, held, time_limit_s=5, seed=0, workers=1)
    assert set(entered) == {ForkLanes if kind == "forks" else ThreadLanes}


def test_replan_agents_out_of_time_keeps_the_starting_shifts():
    from fts_scheduler.heuristic import replan_agents

    m, _ = build_model(_ward(days=14, staff=4))
    greedy = greedy_roster(m)
    assert replan_agents(m, greedy, set(range(4)), time_limit_s=0, seed=0).shifts == greedy.shifts


def test_replan_agents_in_work_units_is_reproducible():
    from fts_scheduler.heuristic import replan_agents

    m, _ = build_model(_ward(days=21, staff=6))
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    once = replan_agents(m, greedy, short, time_limit_s=60, seed=0, deterministic_time=5.0)
    again = replan_agents(m, greedy, short, time_limit_s=60, seed=0, deterministic_time=5.0)
    assert once.shifts == again.shifts != greedy.shifts
    assert agents_below_minimums(m, once) == set()


def test_costly_days_frees_everyone_around_the_days_the_roster_pays_on():
    from fts_scheduler.lns import _costly_days

    problem = _ward(days=14, staff=4)
    m, penalties = build_model(problem)
    by_agent = [[v.Index() for v in m.work[a].values()] for a in range(len(m.agents))]
    day_of = {v.Index(): m.shifts[agent.site][k].local_date.toordinal()
              for a, agent in enumerate(m.agents) for k, v in m.work[a].items()}
    dated = [(p.day.toordinal(), p.expr.Index(), p.weight) for p in penalties if p.rule == "shift_demand_under"]
    assert dated  # the ward's cover terms carry their date
    values = [0] * len(m.model.Proto().variables)
    paid = MON + dt.timedelta(days=5)
    for day, i, _ in dated:
        if day == paid.toordinal():
            values[i] = 1
    free = _costly_days(0.1, random.Random(0), by_agent, day_of, 14, dated, values)
    window = {(paid + dt.timedelta(days=k)).toordinal() for k in (-1, 0, 1)}
    assert free == {i for i, day in day_of.items() if day in window}
    assert _costly_days(0.1, random.Random(0), by_agent, day_of, 14, dated, [0] * len(values)) == set()


def test_lns_on_costly_days_alone_improves_and_validates():
    problem = _ward()
    m, penalties, values, start = _arbitrary_roster(problem)

    result = improve(m, values, start, time_limit_s=1.0, seed=0, deterministic=True, step_limit=0.1,
                     kinds=("costly_days",), penalties=penalties)
    assert result.objective < start
    assert set(result.by_kind) == {"costly_days"}
    roster = extract_roster(m, penalties, read_back(m, result, bound=0.0, runtime_s=1.0), {})
    assert validate(problem, roster) == []
    # without the objective terms the kind cannot see costs: a window of days instead
    blind = improve(m, values, start, time_limit_s=0.3, seed=0, deterministic=True, step_limit=0.1,
                    kinds=("costly_days",))
    assert set(blind.by_kind) == {"days"}


def test_wide_windows_try_every_placement_once_then_widen_or_narrow():
    from fts_scheduler.lns import WIDE_START, _WideWindows

    wide = _WideWindows(28, random.Random(0))
    width = round(WIDE_START * 28)
    starts = []
    for _ in range(28 - width + 1):  # every placement of the width, each once, all proved optimal
        start, w = wide.next()
        assert w == width and 0 <= start <= 28 - width
        starts.append(start)
        wide.report(optimal=True, better=False)
    assert sorted(starts) == list(range(28 - width + 1))
    assert wide.next()[1] == width + 1  # a local optimum for every placement: one day wider
    wide.report(optimal=False, better=False)  # out of time without a gain: one day narrower
    assert wide.next()[1] == width
    wide.report(optimal=True, better=True)  # a gain: the same width, every placement open again
    assert len({wide.next()[0] for _ in range(28 - width + 1)}) == 28 - width + 1
    tiny = _WideWindows(1, random.Random(0))
    assert tiny.next() == (0, 1)
    tiny.report(optimal=True, better=False)
    assert tiny.next() == (0, 1)  # no wider than the horizon


def test_lns_on_wide_days_alone_frees_most_days_and_improves_a_roster_that_validates():
    problem = _ward()
    m, penalties, values, start = _arbitrary_roster(problem)

    result = improve(m, values, start, time_limit_s=2.0, seed=0, deterministic=True, step_limit=0.1,
                     kinds=("wide_days",), penalties=penalties)
    assert result.objective < start
    assert set(result.by_kind) == {"wide_days"}
    shifts = sum(len(w) for w in m.work)
    assert all(freed >= 0.5 * shifts for _, freed, *_ in result.trace)  # most of the roster each step
    roster = extract_roster(m, penalties, read_back(m, result, bound=0.0, runtime_s=1.0), {})
    assert validate(problem, roster) == []


def _roster_short_by(m, penalties, extra: int, worst_wishes: bool):
    """A roster of the ward whose cover shortfall is ``extra`` above the least possible,
    granting as few wishes as it can (``worst_wishes``), and that least shortfall."""
    short = [p.expr for p in penalties if p.rule == "shift_demand_under"]
    wishes = [p.weight * p.expr for p in penalties if p.rule == "preferences"]
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    least = m.model.clone()
    least.minimize(sum(short))
    assert solver.solve(least) == cp_model.OPTIMAL
    fewest = round(solver.objective_value)
    model = m.model.clone()
    model.add(sum(short) == fewest + extra)
    if worst_wishes:
        model.maximize(sum(wishes))
    assert solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return list(solver.response_proto.solution), fewest


def test_wide_windows_accept_only_rosters_that_pay_less_of_the_heaviest_penalty():
    problem = _ward(staff=5)  # 7 shifts short at the least
    m, penalties = build_model(problem)
    short = [p.expr.Index() for p in penalties if p.rule == "shift_demand_under"]  # weight 100, the heaviest

    # least shortfall already, wishes ignored: a window of days grants some, a wide window looks for none
    values, fewest = _roster_short_by(m, penalties, 0, worst_wishes=True)
    assert fewest > 0
    start = _objective(m, values)
    days = improve(m, values, start, time_limit_s=1.0, seed=0, deterministic=True, step_limit=0.1,
                   kinds=("days",), penalties=penalties)
    assert days.objective < start
    wide = improve(m, values, start, time_limit_s=1.0, seed=0, deterministic=True, step_limit=0.1,
                   kinds=("wide_days",), penalties=penalties)
    assert wide.objective == start and wide.values == values
    statuses = {status for _, _, status, *_ in wide.trace}
    assert "INFEASIBLE" in statuses  # proved: no roster in the window pays less
    assert statuses <= {"INFEASIBLE", "UNKNOWN"}

    # two shifts short of the least: a wide window finds one that pays less, and the model is left as it was
    values, _ = _roster_short_by(m, penalties, 2, worst_wishes=False)
    wide = improve(m, values, _objective(m, values), time_limit_s=2.0, seed=0, deterministic=True, step_limit=0.2,
                   kinds=("wide_days",), penalties=penalties)
    assert sum(wide.values[i] for i in short) < fewest + 2
    roster = extract_roster(m, penalties, read_back(m, wide, bound=0.0, runtime_s=1.0), {})
    assert validate(problem, roster) == []
    relaxed = m.model.clone()
    relaxed.add(sum(relaxed.get_int_var_from_proto_index(i) for i in short) == fewest + 2)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(relaxed) in (cp_model.OPTIMAL, cp_model.FEASIBLE)  # the cap is inert again


def test_a_set_stop_event_ends_the_search_before_its_next_step():
    import threading

    m, _, values, start = _arbitrary_roster(_ward())
    stop = threading.Event()
    stop.set()
    result = improve(m, values, start, time_limit_s=30.0, seed=0, stop=stop)
    assert result.stopped and result.steps == 0 and result.values == values


def test_lns_chains_run_side_by_side_and_all_stop_at_the_callbacks_word():
    from fts_scheduler.lns import LnsResult
    from fts_scheduler.solver import LNS_CHAINS, _improve

    problem = _ward()
    m, penalties, values, start = _arbitrary_roster(problem)
    arbitrary = read_back(m, LnsResult(values, start), bound=0.0, runtime_s=0.0)  # a portfolio outcome of it
    reported = []

    def stop_at_once(progress):
        reported.append(progress.objective)
        return True

    t0 = time.perf_counter()
    outcome, stats = _improve(m, penalties, arbitrary, 30.0, 0, t0, stop_at_once)
    assert time.perf_counter() - t0 < 10  # every chain stopped at the first better roster, not at 30 s
    assert stats["chains"] == LNS_CHAINS >= 2 and stats["steps"] >= 1
    assert len(reported) == 1 and reported[0] * COST_SCALE < start  # one report: the others were told to stop
    assert outcome.solver.ObjectiveValue() < start
    roster = extract_roster(m, penalties, outcome, {})
    assert validate(problem, roster) == []


def test_first_lines_alone_give_short_agents_rosters_that_keep_their_rules():
    # the day-by-day search without CP-SAT's improving search after it (first_only)
    from fts_scheduler.heuristic import _best_reply, _Valuation

    problem = _ward(days=21, staff=6)
    m, penalties = build_model(problem)
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    assert len(short) >= 4
    valuation = _Valuation(m)
    shifts = [list(ks) for ks in greedy.shifts]
    for a in sorted(short):
        line = _best_reply(m, a, valuation.worth(a), [], time_limit_s=5, seed=0, first_only=True)
        assert line is not None and line != greedy.shifts[a]
        shifts[a] = line
    start = StartingRoster(shifts, {})
    assert agents_below_minimums(m, start) == set()
    for a, taken in enumerate(shifts):
        for k, v in m.work[a].items():
            m.model.Add(v == int(k in taken))
    outcome = run(m, time_limit_s=10, seed=0, workers=1)
    assert outcome.status in ("OPTIMAL", "FEASIBLE")
    assert validate(problem, extract_roster(m, penalties, outcome, {})) == []


def _cost_of_shifts(m, shifts: list[list[int]]) -> float:
    """The least objective of ``m`` with every agent's shifts fixed as given (breaks, splits, slacks free)."""
    fixed = m.model.clone()
    for a, taken in enumerate(shifts):
        for k, v in m.work[a].items():
            fixed.Add(fixed.GetBoolVarFromProtoIndex(v.Index()) == int(k in taken))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    assert solver.Solve(fixed) == cp_model.OPTIMAL
    return solver.ObjectiveValue()


def test_best_replies_lower_the_cost_of_first_rosters_and_keep_every_rule():
    from fts_scheduler.heuristic import improve_replies, replan_agents

    problem = _ward(days=21, staff=6)
    m, penalties = build_model(problem)
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    first = replan_agents(m, greedy, short, time_limit_s=10, seed=0, first_only=True)
    assert agents_below_minimums(m, first) == set()
    better = improve_replies(m, first, short, time_limit_s=20, seed=0)
    assert agents_below_minimums(m, better) == set()
    for a in set(range(len(m.agents))) - short:  # only the agents asked for move
        assert better.shifts[a] == first.shifts[a]
    # on per-shift demand a reply's worth is its exact change of the objective: the roster pays less
    assert _cost_of_shifts(m, better.shifts) < _cost_of_shifts(m, first.shifts)
    assert complete_hint(m, better, time_limit_s=5, seed=0, workers=1)
    for a, taken in enumerate(better.shifts):
        for k, v in m.work[a].items():
            m.model.Add(v == int(k in taken))
    outcome = run(m, time_limit_s=10, seed=0, workers=1)
    assert validate(problem, extract_roster(m, penalties, outcome, {})) == []


def test_best_replies_in_work_units_are_reproducible():
    from fts_scheduler.heuristic import improve_replies, replan_agents

    m, _ = build_model(_ward(days=21, staff=6))
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    first = replan_agents(m, greedy, short, time_limit_s=60, seed=0, deterministic_time=2.0, first_only=True)
    once = improve_replies(m, first, short, time_limit_s=60, seed=0, deterministic_time=2.0)
    again = improve_replies(m, first, short, time_limit_s=60, seed=0, deterministic_time=2.0)
    assert once.shifts == again.shifts != first.shifts


def test_a_valuation_gives_back_exactly_what_its_assignments_took(demo):
    from fts_scheduler.heuristic import _Valuation

    m, _ = build_model(demo)
    v = _Valuation(m, track_rules=False)
    before = (v.floor_def.copy(), v.req_def.copy(), {site: x.copy() for site, x in v.demand.value.items()})
    taken = [(a, k) for a in range(0, len(m.agents), 7) for k in sorted(m.work[a])[:40:9]]
    for a, k in taken:
        v.assign(a, k)
    assert not np.array_equal(v.floor_def, before[0])  # the shifts took something
    random.Random(0).shuffle(taken)  # in any order: each gives back what it took
    for a, k in taken:
        v.unassign(a, k)
    assert np.allclose(v.floor_def, before[0]) and np.allclose(v.req_def, before[1])
    assert all(np.array_equal(v.demand.value[site], x) for site, x in before[2].items())
    assert not any(v.served.values()) and not v.taken


def test_replan_agents_gives_agents_that_got_nothing_a_second_round(monkeypatch):
    from fts_scheduler import heuristic
    from fts_scheduler.heuristic import replan_agents

    m, _ = build_model(_ward(days=21, staff=6))
    greedy = greedy_roster(m)
    short = agents_below_minimums(m, greedy)
    calls: list[int] = []
    real = heuristic._best_reply

    def first_attempt_fails(m, a, *args, **kwargs):
        calls.append(a)
        return None if calls.count(a) == 1 else real(m, a, *args, **kwargs)

    monkeypatch.setattr(heuristic, "_best_reply", first_attempt_fails)
    replanned = replan_agents(m, greedy, short, time_limit_s=10, seed=0)
    assert sorted(calls) == sorted(list(short) * 2)  # each short agent twice, nobody else
    assert agents_below_minimums(m, replanned) == set()


def test_polish_lowers_the_completed_hints_cost_with_its_shifts_held(demo):
    """The completion picks any split and breaks; the polish optimises them, shifts unchanged."""
    from ortools.sat.python import cp_model

    from fts_scheduler.optimizer import polish_hint

    m, _ = build_model(demo)
    assert complete_hint(m, greedy_roster(m), time_limit_s=20, seed=0, workers=8)

    def hinted() -> dict[int, int]:
        h = m.model.Proto().solution_hint
        return dict(zip(h.vars, h.values, strict=True))

    def cost(values: dict[int, int]) -> float:
        o = m.model.Proto().objective
        return sum(c * values[v] for v, c in zip(o.vars, o.coeffs, strict=True)) + o.offset

    before = hinted()
    polished = polish_hint(m, time_limit_s=20, seed=0, workers=8)  # proved in a few seconds
    after = hinted()
    assert polished is not None and polished == cost(after) < cost(before)
    work = [v.Index() for w in m.work for v in w.values()]
    assert [after[i] for i in work] == [before[i] for i in work]
    # the polished hint is a whole roster of the model: fixed to it, CP-SAT accepts it
    fixed = m.model.clone()
    for i, value in after.items():
        fixed.Proto().variables[i].domain[0] = fixed.Proto().variables[i].domain[1] = value
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 20
    assert solver.Solve(fixed) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
