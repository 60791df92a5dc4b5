"""``solve``: the one entry point from a :class:`Problem` to a :class:`Roster`."""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
import time
from typing import Literal
from collections import defaultdict

from .cpsat import new_solver, run_interruptibly
from .errors import InfeasibleError, NoRosterError, ProblemTooLargeError
from .explain import (
    Finding,
    best_effort,
    capacity_findings,
    contract_findings,
    describe_language,
    floor_core,
    format_ranges,
    shortfall_frame,
    speaker_sites,
)
from . import colgen, decomposition
from .heuristic import greedy_roster
from .lanes import can_fork
from .lns import improve, read_back
from .models import Problem
from .optimizer import (
    EARLY_START_MIN_SHIFTS,
    Callback,
    EarlyStart,
    Progress,
    SolveOutcome,
    extract_roster,
    fixed_outcome,
    hint_start,
    hinted_values,
    load_overhead_s,
    model_stats,
    model_variables,
    polish_hint,
    post_rules,
    run,
    trivial_bound,
    utc_day,
)
from .roster import Roster
from .rules import COST_SCALE

__all__ = ["solve", "check_size", "DEFAULT_WORKERS", "default_workers", "MAX_SIZE"]

DEFAULT_WORKERS = 8
"""CP-SAT's full portfolio (LNS, feasibility jump, LP bounds) even on fewer cores:
on the 2-core reference machine 8 time-sliced workers prove bounds that 2 never reach."""


REPLAN_SHARE = 1.0
"""Time for re-planning, one at a time, the agents the greedy left short, as a share of the
search's time limit (not counted in it): first a roster of each (``heuristic.replan_agents``
with ``first_only``; longer where each of these agents needs about a second, Curtois 24), then best
replies against the whole roster (``heuristic.improve_replies``) until no agent gains or the
time is up. Without it, no roster at all: Curtois 23 (100 nurses over 364 days) needs ~30 s
at 2 cores for its first rosters, and with 0.5 left five nurses short and, in one run of two, no roster."""


MAX_SIZE = {"candidate_shifts": 2_500_000, "coverage_cells": 2_000_000}
"""The largest model ``solve`` builds (:meth:`Problem.size`). Curtois 24 (150 nurses, 364 days,
1.76M candidate shifts) takes minutes to build on two cores and a few GB; ten times that would
still be building long after any time limit, and the memory would run out first."""


def check_size(problem: Problem) -> None:
    """Raise :class:`ProblemTooLargeError` if ``problem`` is above :data:`MAX_SIZE` (before any build)."""
    size = problem.size()
    over = [f"{name.replace('_', ' ')} {size[name]:,} (limit {limit:,})"
            for name, limit in MAX_SIZE.items() if size[name] > limit]
    if over:
        raise ProblemTooLargeError(
            "the problem is too large to solve in one model: " + ", ".join(over)
            + "; split it by site or into shorter horizons (solve_many runs the parts side by side)",
            size=size, limit=dict(MAX_SIZE),
        )


def default_workers(variables: int) -> int:
    """CP-SAT workers for a model of this many variables: :data:`DEFAULT_WORKERS`, fewer for large models.

    Each worker holds its own copy of the presolved model, and its LP, cuts and
    solution pools grow with the search: on the follow-the-sun benchmark
    (``benchmarks/scale.py``, 120 s) 100 agents (~144k variables) peaked at 5.3 GB
    with 8 workers and 2.9 GB with 4, 500 agents (~348k) at 4.6 GB with 2, and 1,000
    agents (~550k) at 5.3 GB with 2 and 3.2 GB with 1.
    """
    if variables <= 100_000:
        return DEFAULT_WORKERS
    if variables <= 200_000:
        return 4
    if variables <= 300_000:
        return 2
    return 1


LP_LED_WORKERS = 2
"""CP-SAT workers on models with the runs-of-days automaton (``RosterModel.runs_automaton``: small
rosters with minimum runs of days on or off), in an LP-led portfolio (``optimizer.run``'s ``lp_led``):
CP-SAT's ``max_lp``, which solves the automaton's tight linear relaxation and branches on it, and one
thread of CP-SAT's LNS, whose RINS/RENS steps follow it; the workers that do not follow it are left
out (``optimizer.LP_IDLE_SUBSOLVERS``). One worker per core of the 2-core reference machine: a third
(``default_lp``) made the two LP workers share a core's worth of CPU with the LNS, and Curtois 6 and 7
fell into worse rosters. Such a portfolio keeps the whole limit (no LNS of ours after it). The
measurements: docs/concepts.md (and this constant's history in git)."""

DEFAULT_LNS_SHARE = 0.0
"""Share of the time limit for the rostering LNS after the portfolio (see :mod:`fts_scheduler.lns`).

Off by default: on the follow-the-sun demo (interval coverage, breaks) CP-SAT's own
portfolio does better (60 s: 163k against 195k with 0.75), while on nurse-rostering
problems (per-shift demand, horizon totals, runs of days; the Curtois benchmark) 0.75
cut the summed gap on instances 4-7 at 30 s from 51 % to 16 %."""

POLISH_SHARE = 0.25
"""Share of the time limit (at most; it stops when proved) for polishing the warm start's language
split, breaks and staffing gaps with its shifts held (:func:`~fts_scheduler.optimizer.polish_hint`),
on models with interval coverage of at most :data:`LNS_MAX_VARIABLES` variables. ``large_problem(100)``
at 60 s, two runs each: 395,264 and 395,224 against 418,924 and 418,130 without. The demo (proved in
3.2-3.6 s) at 60 s, three runs each: 163,332-164,516 against 162,460-164,326, no difference beyond the runs'
spread."""

COMPLETION_SHARE = 0.5
COMPLETION_MAX_S = 30.0
"""Time limit of each completion of the starting roster into a hint (``optimizer.complete_hint``):
this share of the search's limit, at most ``COMPLETION_MAX_S`` seconds. Not counted in the limit;
a completion stops as soon as it has one (seconds on models up to ~150k variables)."""

COLUMN_SHARE = 0.6
"""Share of the time limit (counted in it) for the column generation and kernel search
(:mod:`~fts_scheduler.colgen`) on models with the LP-led portfolio and per-shift demand only: its
roster, not the greedy's, is then the search's hint, and the search over the whole model is the
kernel search's last widening."""

UNHINTED_PROBE = 0.1
"""Share of the time limit an unhinted search (greedy roster judged poor, see
:data:`~fts_scheduler.optimizer.HINT_MAX_SHORT_SHARE`) gets to find a roster of its own
before it restarts from the greedy's roster completed into a hint."""

LNS_STEP_WORKERS = 1
LNS_CHAINS = 2
"""Large neighbourhood searches run side by side after the portfolio (threads: CP-SAT
leaves Python's lock while it solves), each from the portfolio's roster with its own seed;
the better roster wins. Each uses one CP-SAT worker, so one chain would leave a core of
two idle; two independent chains also halve the odds that both stay in a basin."""
LNS_MAX_VARIABLES = 150_000


BOUND_THREADS = 1
"""Threads of the decomposition's bound (:mod:`~fts_scheduler.decomposition`), which runs beside
the search for the search's time: one, so that the search keeps the rest of the machine."""

BOUND_WAIT_S = 2.0
"""Seconds the solve waits, once the search is over, for the decomposition: first for it to end
on its own (within the time limit), then, stopped, for its round in progress (its master's last
solve or pricing); a bound not in by then is not reported."""

START_SHARE = 0.5
"""With the limit on the whole call, the starting roster's re-plan gets at most this share of the
time left after the build, so that its completion, the polish and the search have the rest."""

MIN_SEARCH_S = 0.1
"""Below this many seconds left, a search is not started: the completed starting roster is
returned as it is (or :class:`NoRosterError` raised without one)."""


def extract_reserve_s(variables: int) -> float:
    """Seconds kept back at the end of the limit to check the roster against the model and read it
    into frames (``extract_roster``): a quarter of a second for the demo (~38k variables), some
    seconds on millions of variables."""
    return 0.2 + 2e-6 * variables


@dataclasses.dataclass(frozen=True)
class _Budget:
    """The time ``solve`` hands out: each stage's share of the limit, and with the limit on the whole
    call (``deadline`` finite) no more than what is left before it."""

    limit: float
    deadline: float  # time.perf_counter(); infinite when the limit is on the search alone

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def part(self, of_limit: float, of_left: float) -> float:
        """``of_limit`` of the limit, but at most ``of_left`` of the time left before the deadline."""
        return min(of_limit * self.limit, of_left * self.left()) if math.isfinite(self.deadline) else of_limit * self.limit


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 60,
    seed: int = 0,
    workers: int | None = None,
    callback: Callback | None = None,
    deterministic_time: float | None = None,
    lns_share: float = DEFAULT_LNS_SHARE,
    time_limit_scope: Literal["call", "search"] = "call",
) -> Roster:
    """Solve ``problem`` with CP-SAT and return the cheapest roster found in the time limit.

    Every roster returned meets every language floor in every interval and every hard
    rule; ``status`` says whether it is proved optimal. ``roster.bound`` is the better of
    two proven lower bounds: CP-SAT's, and the decomposition's
    (:mod:`~fts_scheduler.decomposition`, on a thread of its own beside the polish and the
    search, from the starting roster's lines); ``stats["bound_source"]`` says which, and
    ``stats`` carries both (``search_bound``, ``decomposition_bound``).

    Parameters
    ----------
    time_limit_s
        Wall-clock limit of the whole call [s]: the model build, the starting roster,
        the search and reading the roster back. The call returns within about a second
        of it (within a tenth of it on limits above ten seconds), unless building the
        model alone takes longer (:meth:`Problem.size`; the build cannot be cut short),
        in which case it returns right after the build. The starting roster's re-plan
        gets at most :data:`START_SHARE` of the time left after the build; with no
        complete roster when the time is up, :class:`NoRosterError`.
        ``roster.stats["start_roster_s"]``: seconds from the call to the first
        completed starting roster, a roster that keeps every rule.
    time_limit_scope
        ``"call"`` (the default): ``time_limit_s`` bounds the whole call, as above.
        ``"search"``: it bounds the CP-SAT search alone, as benchmarks against published
        search times count it: the model build and the starting roster come on top
        (its re-plan up to :data:`REPLAN_SHARE` of the limit, longer where the first
        roster of each agent left short needs it; its completions up to half of the
        limit and 30 s each), the polish of the completed hint's breaks and language
        split (:data:`POLISH_SHARE` of the limit at most) counts in it.
    seed
        CP-SAT random seed; with ``workers=1`` the search is deterministic.
    workers
        CP-SAT search workers; ``None`` means :func:`default_workers` of the model's
        size (8 up to 100,000 variables, fewer above, to bound memory), and on small
        rosters with minimum runs of days on or off (the runs automaton) an LP-led
        portfolio of :data:`LP_LED_WORKERS` (``roster.stats["lp_led"]``). With
        ``workers=1`` and a seed the search is deterministic.
    callback
        Called with a :class:`~fts_scheduler.optimizer.Progress` (elapsed time,
        objective, bound, gap) at each improving roster; return ``True`` to stop the
        search and get the best roster so far. Its bound is the better of the search's
        and the decomposition's so far.
    deterministic_time
        A limit in CP-SAT's deterministic work units instead of (besides) seconds:
        with ``workers=1`` and a seed, the same roster on every machine (the large
        neighbourhood search is then off: its steps are timed in seconds).
    lns_share
        Share of ``time_limit_s`` given to the large neighbourhood search
        (:mod:`fts_scheduler.lns`) that re-solves a few days or agents at a time
        around the best roster of CP-SAT's portfolio; 0 (the default) gives the
        whole time to the portfolio. Try 0.5 on nurse-rostering-like problems
        (per-shift demand, horizon totals, minimum runs of days), where it helps
        most; on interval coverage with breaks the portfolio alone does better.
        The portfolio hands over only once it has a roster, and the reported bound
        is the portfolio's. Models above 150,000 variables skip the LNS (each of
        its steps presolves the whole model again), and so do those with the LP-led
        portfolio (see ``workers``), which does better with the whole time.

    Ctrl-C during the search stops it (the search runs in a thread, the calling thread
    waits awake for Ctrl-C) and the best roster found so far is returned, with
    ``stats["interrupted"] = 1``. In the LNS phase (``lns_share`` > 0) too: its searches
    end the step in progress and the best of their rosters is returned. With no roster
    from the search yet, or during the starting roster's build, the starting roster is
    returned once it has been completed into one that keeps every rule (also
    ``stats["from_hint"] = 1``); before that, ``KeyboardInterrupt`` propagates.

    Raises
    ------
    InfeasibleError
        No roster can meet the floors: the message names the language(s), the UTC
        hours with the sites' local hours, and why.
    ProblemTooLargeError
        The model would be larger than :data:`MAX_SIZE` (checked before anything is built).
    NoRosterError
        The time limit ran out before any roster was found. Where the search finds none
        but the starting roster was completed into a feasible hint (on models of millions
        of variables CP-SAT's presolve alone can take the whole limit), that roster is
        returned instead, ``"FEASIBLE"`` with ``stats["from_hint"] = 1`` and the search's bound.
    """
    t_call = time.perf_counter()
    if not 0 <= lns_share <= 1:
        raise ValueError(f"lns_share must be between 0 and 1, got {lns_share}")
    if time_limit_scope not in ("call", "search"):
        raise ValueError(f"time_limit_scope must be 'call' or 'search', got {time_limit_scope!r}")
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ValueError(f"time_limit_s must be a positive number of seconds, got {time_limit_s}")
    check_size(problem)
    budget = _Budget(time_limit_s, t_call + time_limit_s if time_limit_scope == "call" else math.inf)
    contracts = contract_findings(problem)
    if contracts:
        raise InfeasibleError(
            "No roster keeps every contract:\n" + "\n".join(f"- {c}." for c in contracts), languages=[]
        )
    findings = capacity_findings(problem)
    if findings:
        raise _explain(problem, findings, [], time_limit_s=budget.part(1.0, 1.0), seed=seed, workers=workers)

    t_build = t0 = time.perf_counter()
    m = model_variables(problem)
    # the re-plan's limits, the same for the early start's first rosters and for hint_start's
    replan = {
        "replan_s": budget.part(REPLAN_SHARE, START_SHARE),
        "deterministic_time": None if deterministic_time is None else REPLAN_SHARE * deterministic_time,
    }
    deadline = budget.deadline if math.isfinite(budget.deadline) else None
    early = None
    if can_fork() and sum(len(work) for work in m.work) >= EARLY_START_MIN_SHIFTS:
        # the starting roster needs only the variables: planned in a forked process while the rules are posted
        early = EarlyStart(m, seed=seed, stretch=deadline is None, **replan)
    try:
        penalties = post_rules(m, floors="hard")
        build_s = time.perf_counter() - t0
        if budget.left() <= 0:  # the build alone took the time: no roster can be had in it
            raise NoRosterError(
                f"no roster within time_limit_s={time_limit_s} s: building the model "
                f"({model_stats(m, build_s)['variables']:,} variables) alone took {build_s:.1f} s; raise the limit"
            )
        t0 = time.perf_counter() if early is None else early.started_greedy
        start = greedy_roster(m) if early is None else early.result()
    except BaseException:  # Ctrl-C or an error: the early start is not wanted (a no-op once it answered)
        if early is not None:
            early.cancel()
        raise
    stats = model_stats(m, build_s)
    stats["checks_s"] = round(t_build - t_call, 3)  # the size, contract and capacity checks before the build
    # the LP-led portfolio only where the library chooses the workers: a caller's count (workers=1 for
    # reproducible runs) keeps CP-SAT's default portfolio for that count
    lp_led = workers is None and m.runs_automaton
    if workers is None:
        workers = LP_LED_WORKERS if lp_led else default_workers(stats["variables"])
    hint_limits = {
        # each completion presolves the whole model: 1-2 s up to ~150k variables, but 18-31 s on
        # Curtois 24 (1.66M), which a fifth of 60 s cut short in two runs of three (no roster)
        "time_limit_s": min(COMPLETION_MAX_S, COMPLETION_SHARE * time_limit_s),
        "seed": seed,
        "workers": workers,
        "deadline": None if deadline is None else deadline - extract_reserve_s(stats["variables"]),
        **replan,
    }
    t_hint = time.perf_counter() if early is None else early.started
    # Ctrl-C: the searches stop by themselves and keep their rosters (run_interruptibly); anywhere else
    # before the search ends (the starting roster's re-plan, completions, polish) it lands here
    background = None
    try:
        columns = None
        if lp_led and deterministic_time is None and colgen.applies(m):
            columns = colgen.column_start(m, time_limit_s=budget.part(COLUMN_SHARE, COLUMN_SHARE), seed=seed,
                                          workers=workers)
            if columns is not None:
                start = columns.start
                stats.update(_column_stats(columns))
                # their first roster keeps every rule: at hand from then on
                stats["start_roster_s"] = round(t_hint - t_call + columns.first_s, 3)
                t_hint = time.perf_counter()
        # deterministic runs hint whatever the greedy gives: a probe timed in seconds is not reproducible
        stats.update(hint_start(m, start, force=deterministic_time is not None or columns is not None, early=early,
                                **hint_limits))
        if stats["hint_first_s"] is not None and "start_roster_s" not in stats:
            # a roster that keeps every rule is at hand from here on (the search starts from it)
            stats["start_roster_s"] = round(t_hint - t_call + stats["hint_first_s"], 3)
        stats["hint_s"] = round(time.perf_counter() - t0, 3)
        stats["workers"] = workers
        stats["lp_led"] = int(lp_led)
        # each LNS step presolves the whole model again: worth it only while that is quick; an LP-led
        # portfolio does better alone than cut short for it (LP_LED_WORKERS)
        use_lns = (lns_share > 0 and not lp_led and deterministic_time is None
                   and stats["variables"] <= LNS_MAX_VARIABLES)
        t_search = time.perf_counter()
        reserve = extract_reserve_s(stats["variables"]) + load_overhead_s(m)
        if deterministic_time is None:
            # the bound beside the polish and the search, on a thread of its own, from the starting roster's lines
            values = hinted_values(m) if m.hint_is_roster else None
            start_lines = None if values is None else [
                [k for k, v in work.items() if values[v.Index()]] for work in m.work]
            until = deadline - reserve if deadline is not None else t_search + time_limit_s
            background = decomposition.InBackground(m, until=until, seed=seed, start=start_lines,
                                                    threads=BOUND_THREADS, snapshot=use_lns)
        if (stats["hint_complete"] and deterministic_time is None and stats["variables"] <= LNS_MAX_VARIABLES
                and (m.split or m.break_counts or m.under)):
            # its share of the limit, as long as that leaves the search half of what is left: with little
            # time the polish gains most (the demo: 225,640 -> 168,189 in 4 s, where the search needs longer)
            polished = polish_hint(m, time_limit_s=budget.part(POLISH_SHARE, 0.5), seed=seed, workers=workers)
            stats["polish_s"] = round(time.perf_counter() - t_search, 3)
            if polished is not None:
                stats["polish_objective"] = polished / COST_SCALE
        user_stop = []

        def relay(progress: Progress) -> bool | None:
            if background is not None and background.current > progress.bound * COST_SCALE:
                progress = dataclasses.replace(progress, bound=background.current / COST_SCALE)
            if callback is not None and callback(progress):
                user_stop.append(True)
                return True
            return None

        def search_left() -> float:
            """The search's time: what is left before the deadline, less the time to read the roster
            back; with the limit on the search alone, the limit less what the polish and columns took."""
            if deadline is not None:
                return budget.left() - reserve
            return max(1.0, time_limit_s - (time.perf_counter() - t_search) - stats.get("columns_s", 0.0))

        search_s = search_left()
        hand_over_s = max(0.0, search_s - lns_share * time_limit_s) if use_lns else None
        outcome = None
        if search_s >= MIN_SEARCH_S:
            outcome = run(
                m,
                time_limit_s=search_s,
                seed=seed,
                workers=workers,
                lp_led=lp_led,
                callback=relay,
                started=t_search,
                deterministic_time=deterministic_time,
                hand_over_s=hand_over_s,
                # an unhinted search gets a moment to find its own roster before the greedy's is hinted after all
                give_up_s=None if stats["hinted"] or deterministic_time is not None else UNHINTED_PROBE * time_limit_s,
            )
        if outcome is not None and outcome.gave_up:
            stats.update(hint_start(m, start, force=True, **hint_limits))
            left = search_left()
            if left >= MIN_SEARCH_S:
                outcome = run(m, time_limit_s=left, seed=seed, workers=workers, lp_led=lp_led,
                              callback=relay, started=t_search,
                              hand_over_s=None if hand_over_s is None else max(0.0, hand_over_s - (search_s - left)))
    except KeyboardInterrupt:
        if background is not None:
            background.stop.set()
        return _stopped_before_the_search(m, penalties, stats, t_hint)
    searched = outcome is not None and not outcome.gave_up
    if searched and use_lns and outcome.status == "FEASIBLE" and not outcome.interrupted and not user_stop:
        left = budget.left() - reserve if deadline is not None else time_limit_s - (time.perf_counter() - t_search)
        if left > 0.5:
            outcome, stats["lns"] = _improve(m, penalties, outcome, left, seed, t_search, relay)
    stats["interrupted"] = int(searched and outcome.interrupted)
    if not searched or outcome.status == "UNKNOWN":
        # the search found nothing in its time or before a Ctrl-C (on millions of variables its presolve
        # alone can take it all: Curtois 24), or no time was left for one, but a completed hint is a
        # roster that keeps every rule
        from_hint = _completed_hint(m, bound=outcome.solver.BestObjectiveBound() if searched else None,
                                    started=t_search)
        if from_hint is not None:
            outcome = from_hint
            stats["from_hint"] = 1
    bound = None
    if background is not None:
        # after a proof too, the time left (up to BOUND_WAIT_S) for it to converge: its prices give
        # reports.marginal_value, and a search can prove a small problem before the first master is solved
        left = BOUND_WAIT_S if deadline is None else deadline - time.perf_counter() - extract_reserve_s(stats["variables"])
        bound = background.result(grace_s=min(BOUND_WAIT_S, left), wait_s=BOUND_WAIT_S)
    if outcome is not None and outcome.status in ("OPTIMAL", "FEASIBLE"):
        return _with_bound(extract_roster(m, penalties, outcome, stats), bound, background)
    if searched and outcome.interrupted:
        raise KeyboardInterrupt("solve interrupted before any roster was found")
    if searched and outcome.status == "INFEASIBLE":
        # the explanation's two searches share what is left (a quarter of a second each at least)
        explain_s = min(30.0, time_limit_s) if deadline is None else max(0.25, budget.left() / 2)
        core = floor_core(problem, time_limit_s=explain_s, seed=seed, workers=workers) or []
        explain_s = min(30.0, time_limit_s) if deadline is None else max(0.25, budget.left())
        raise _explain(problem, [], core, time_limit_s=explain_s, seed=seed, workers=workers)
    if outcome is None or outcome.status == "UNKNOWN":
        raise NoRosterError(
            f"no roster found within time_limit_s={time_limit_s} s "
            f"({stats['variables']:,} variables, built in {stats['build_s']:.1f} s, a starting roster "
            f"{'completed' if stats['hint_complete'] else 'not completed'}); raise the limit or simplify the problem"
        )
    raise RuntimeError(f"CP-SAT returned {outcome.status}: the model is malformed (a bug, please report)")


def _with_bound(roster: Roster, bound: decomposition.Bound | None,
                background: decomposition.InBackground | None) -> Roster:
    """The roster with the better of the search's bound and the decomposition's, and where it came from."""
    stats = dict(roster.stats)
    stats["search_bound"] = roster.bound
    if background is not None and background.error is not None:
        stats["decomposition_error"] = f"{type(background.error).__name__}: {background.error}"
    if bound is not None and not math.isfinite(bound.value):
        bound = None  # stopped before its first round was priced: nothing proved
    if bound is not None:
        master = bound.master / COST_SCALE if math.isfinite(bound.master) else None  # None: no master solved yet
        stats.update(decomposition_bound=bound.value / COST_SCALE, decomposition_master=master,
                     decomposition_rounds=bound.rounds, decomposition_lines=bound.lines,
                     decomposition_converged=int(bound.converged), decomposition_s=round(bound.seconds, 3))
        if bound.least is not None:
            # what one more agent like each would save at the bound's prices (reports.marginal_value)
            stats["marginal_values"] = {agent.id: round(-float(v) / COST_SCALE, 2)
                                        for agent, v in zip(background.agents, bound.least)}
    value, source = roster.bound, "search"
    if roster.status == "OPTIMAL":
        source = "proved optimal"
    elif bound is not None and bound.value / COST_SCALE > value:
        # never above the roster's own objective (the decomposition's bound is rounded up to whole units)
        value, source = min(bound.value / COST_SCALE, roster.objective), "decomposition"
    stats["bound_source"] = source
    gap = 0.0 if roster.status == "OPTIMAL" else max(0.0, (roster.objective - value) / max(abs(roster.objective), 1e-9))
    return dataclasses.replace(roster, bound=value, gap=gap, stats=stats)


def _column_stats(columns: colgen.ColumnStart) -> dict:
    return {"columns_s": round(columns.seconds, 3), "columns_lines": columns.lines, "columns_rounds": columns.rounds,
            "columns_steps": columns.steps, "columns_proved": columns.proved,
            "columns_root": columns.root_objective / COST_SCALE, "columns_objective": columns.objective / COST_SCALE}


def _stopped_before_the_search(m, penalties, stats: dict, started: float) -> Roster:
    """Ctrl-C while the starting roster was being built or polished: that roster, once completed
    (a whole roster that keeps every rule, ``m.hint_is_roster``); before that, ``KeyboardInterrupt``.

    On the largest models the starting roster takes minutes (Curtois 24: about 150 s before
    the search); a Ctrl-C there used to lose a roster already at hand.
    """
    outcome = _completed_hint(m, bound=None, started=started)
    if outcome is None:
        raise KeyboardInterrupt("solve interrupted before any roster was found")
    stats.update(hint_complete=1, hinted=1, from_hint=1, interrupted=1)
    return extract_roster(m, penalties, outcome, stats)


def _completed_hint(m, *, bound: float | None, started: float) -> SolveOutcome | None:
    """The model's hint as a roster to return, if it is a completed one (``m.hint_is_roster``), else None.

    ``bound``: the search's, if one ran [model units]; the domains' own bound when it is weaker,
    missing or not finite (a search stopped before its first step reports none worth the name).
    """
    values = hinted_values(m) if m.hint_is_roster else None
    if values is None:
        return None
    floor = trivial_bound(m)
    bound = floor if bound is None or not math.isfinite(bound) else max(bound, floor)
    return fixed_outcome(m, values, status="FEASIBLE", bound=bound, runtime_s=time.perf_counter() - started)


def _improve(m, penalties, outcome, left: float, seed: int, t_search: float, relay) -> tuple:
    """Hand the portfolio's roster to :data:`LNS_CHAINS` LNS searches for the time left; the best
    roster wins, and the bound stays the portfolio's."""
    bound = outcome.solver.BestObjectiveBound()
    start = outcome.solver.ObjectiveValue()
    values = list(outcome.solver.ResponseProto().solution)
    lock = threading.Lock()
    best = [start, outcome.solutions]  # objective, solutions reported
    stop = threading.Event()

    def on_improvement(objective: float) -> bool:
        with lock:  # chains report from their own threads: one at a time, and only news
            if objective < best[0] and not stop.is_set():
                best[0], best[1] = objective, best[1] + 1
                progress = Progress(elapsed_s=time.perf_counter() - t_search, objective=objective / COST_SCALE,
                                    bound=bound / COST_SCALE, solutions=best[1])
                if relay(progress):
                    stop.set()
        return stop.is_set()

    # each chain fixes and hints variables in place: its own copy of the model, made before any starts
    models = [m] + [dataclasses.replace(m, model=m.model.clone()) for _ in range(LNS_CHAINS - 1)]

    solvers = [new_solver() for _ in range(LNS_CHAINS)]

    def chain(k: int):
        return improve(models[k], values, start, time_limit_s=left, seed=seed + k, workers=LNS_STEP_WORKERS,
                       on_improvement=on_improvement, penalties=penalties, stop=stop, solver=solvers[k])

    def stop_chains() -> None:  # Ctrl-C: each chain ends its step now and keeps its best roster
        stop.set()
        for solver in solvers:
            solver.StopSearch()

    results, interrupted = run_interruptibly([functools.partial(chain, k) for k in range(LNS_CHAINS)], stop_chains)
    result = min(results, key=lambda r: r.objective)
    runtime = time.perf_counter() - t_search
    lns_stats = {
        "start_objective": start / COST_SCALE,
        "objective": result.objective / COST_SCALE,
        "chains": LNS_CHAINS,
        "steps": sum(r.steps for r in results),
        "improvements": sum(r.improvements for r in results),
        "by_kind": {kind: [sum(r.by_kind.get(kind, [0, 0])[j] for r in results) for j in (0, 1)]
                    for kind in sorted({k for r in results for k in r.by_kind})},
    }
    outcome = read_back(m, result, bound=bound, runtime_s=runtime)
    outcome.interrupted = interrupted
    return outcome, lns_stats


def _explain(
    problem: Problem,
    findings: list[Finding],
    core: list[tuple[str, int]],
    *,
    time_limit_s: float,
    seed: int,
    workers: int | None,
) -> InfeasibleError:
    implicated = {f.language for f in findings} | {lang for lang, _ in core}
    roster = best_effort(
        problem, time_limit_s=min(time_limit_s, 30), seed=seed, workers=workers, languages=implicated or None
    )
    shortfall = shortfall_frame(roster) if roster is not None else None
    lines = ["No roster meets every language floor."]
    languages: set[str] = set()
    for f in findings:
        languages.add(f.language)
        hours = format_ranges(problem, f.intervals, speaker_sites(problem, f.language))
        lines.append(f"- {f.language} {'over' if not f.intervals else 'at'} {hours}: {f.reason}.")
    if not findings:
        days_by_lang: dict[str, list[int]] = defaultdict(list)
        for lang, day in core:
            days_by_lang[lang].append(day)
        if shortfall is not None and len(shortfall):
            short_langs = sorted(set(shortfall["language"]))
        else:
            short_langs = sorted(days_by_lang)
        for lang in short_langs:
            languages.add(lang)
            starts = problem.grid_start_utc
            step_s = problem.interval_minutes * 60
            idx: list[int] = []
            if shortfall is not None:
                rows = shortfall[shortfall["language"] == lang]
                idx = [int((ts - starts).total_seconds() // step_s) for ts in rows["interval_start_utc"]]
            where = format_ranges(problem, idx, speaker_sites(problem, lang)) if idx else ", ".join(
                f"{utc_day(problem, d):%a %Y-%m-%d} UTC" for d in sorted(days_by_lang[lang])
            )
            lines.append(
                f"- {lang} at {where}: {describe_language(problem, lang)}; together with the other floors, "
                "one shift per day, rest, weekly-hours and consecutive-days rules leave these hours short."
            )
        if not short_langs:
            lines.append(
                "- the hard rules conflict even without the floors: check contracts' min_weekly_hours "
                "against unavailable dates, rest and consecutive-days rules."
            )
    if roster is not None:
        lines.append(
            f"The best roster that keeps every other rule misses floors by "
            f"{0 if shortfall is None else int(shortfall['short'].sum())} agent-intervals "
            "(InfeasibleError.best_effort, .shortfall)."
        )
    return InfeasibleError(
        "\n".join(lines),
        languages=sorted(languages),
        core=[(lang, utc_day(problem, d)) for lang, d in core],
        shortfall=shortfall,
        best_effort=roster,
    )
