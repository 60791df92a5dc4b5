"""The CP-SAT model: variables, the coverage structure, and reading a roster back.

One boolean per (agent, candidate shift). Coverage is counted per *language profile*
(the set of floor/requirement languages an agent speaks): agents with the same
profile are interchangeable for coverage, so per interval we only need how many of
each profile are on shift, and an integer split of that count over the profile's
languages. That split is an integral transportation flow, so "the floors can be met
with each agent counted once, for one language" holds exactly when the split exists
(max-flow/min-cut: the same statement as Hall's condition, with no 2^L subsets).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import gc
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from .cpsat import boolean_bounds, new_solver, run_interruptibly, set_boolean_bounds, set_hint
from .heuristic import StartingRoster, agents_below_minimums, greedy_roster, improve_replies, replan_agents
from .lanes import ForkLanes
from .models import BreakRule, Problem
from .roster import ASSIGNMENT_COLUMNS, BREAK_COLUMNS, COVERAGE_COLUMNS, Roster
from .rules import COST_SCALE, HARD_RULES, SOFT_RULES, Penalty, RosterModel, objective, shift_allowed, shift_cost
from .timegrid import candidate_shifts, floor_matrix, grid_span, requirement_matrix

__all__ = [
    "build_model",
    "model_variables",
    "post_rules",
    "EarlyStart",
    "EARLY_START_MIN_SHIFTS",
    "run",
    "add_hint",
    "complete_hint",
    "solve_copy",
    "hint_solution",
    "polish_hint",
    "hint_start",
    "release_memory",
    "extract_roster",
    "fixed_outcome",
    "trivial_bound",
    "load_overhead_s",
    "SearchInterrupted",
    "hinted_values",
    "SolveOutcome",
    "Progress",
    "FloorMode",
]

FloorMode = Literal["hard", "assumptions", "soft"]


def build_model(
    problem: Problem, *, floors: FloorMode = "hard", soft_languages: set[str] | None = None
) -> tuple[RosterModel, list[Penalty]]:
    """Build the CP-SAT model of ``problem`` with every rule of :mod:`fts_scheduler.rules`.

    ``floors`` chooses how language floors enter: ``"hard"`` (the normal solve),
    ``"assumptions"`` (one enforcement literal per language and UTC day, for
    infeasibility cores), or ``"soft"`` (a heavily penalised slack per language and
    interval, for the best roster that meets every other rule; only the floors of
    ``soft_languages`` turn soft, when given).
    """
    m = model_variables(problem)
    return m, post_rules(m, floors=floors, soft_languages=soft_languages)


def model_variables(problem: Problem) -> RosterModel:
    """The model's shift variables, one per agent and candidate shift the shift filters allow; no rule yet.

    :func:`post_rules` completes it. Apart, so that ``solve`` can plan the starting
    roster, which needs only the variables, while the rules are posted.
    """
    model = cp_model.CpModel()
    shifts = {s.name: candidate_shifts(problem, s) for s in problem.sites}
    agents = list(problem.agents)
    # each shift's part of its variables' names, once per site: formatting its date per agent took
    # 1.5 s of Curtois 24's build (150 nurses x 11,648 shifts)
    labels = {name: [f"{s.template},{s.local_date},{k}" for k, s in enumerate(site_shifts)]
              for name, site_shifts in shifts.items()}
    work = []
    for agent in agents:
        site = problem.site(agent.site)
        label = labels[agent.site]
        vars_ = {
            k: model.new_bool_var(f"work({agent.id},{label[k]})")
            for k, s in enumerate(shifts[agent.site])
            if shift_allowed(problem, site, agent, s)
        }
        work.append(vars_)
    m = RosterModel(
        problem=problem,
        model=model,
        agents=agents,
        shifts=shifts,
        work=work,
        languages=problem.languages(),
        floors=floor_matrix(problem),
        required=requirement_matrix(problem),
    )
    return m


def post_rules(
    m: RosterModel, *, floors: FloorMode = "hard", soft_languages: set[str] | None = None
) -> list[Penalty]:
    """Post coverage and every rule on :func:`model_variables`' model, and its objective; the objective's terms."""
    problem, model = m.problem, m.model
    proto = model.Proto()

    def posted(name: str, post: Callable[[RosterModel], object]):
        # what each rule adds to the model, by position: the decomposition (bound.py) tells an
        # agent's own constraints from the ones agents share by the rule that posted them
        c0, v0 = len(proto.constraints), len(proto.variables)
        out = post(m)
        m.spans[name] = (c0, len(proto.constraints), v0, len(proto.variables))
        return out

    posted("coverage", _add_coverage)
    days = range(problem.days)
    if floors == "assumptions":
        m.floor_switch = {(lang, d): model.NewBoolVar(f"floor({lang},day{d})") for lang in m.floors for d in days}
    elif floors == "soft":
        m.floor_slack = {}
        m.soft_languages = set(m.floors) if soft_languages is None else set(soft_languages)
    penalties: list[Penalty] = []
    for rule in HARD_RULES:
        penalties += posted(rule.__name__, rule)
    if floors != "assumptions":
        for rule in SOFT_RULES:
            penalties += posted(rule.__name__, rule)
        model.Minimize(objective(penalties))
    return penalties


_GROUP_COUNT_FROM: int | None = None
"""Agents on one (site, profile, shift) from which coverage counts them through one integer
``on_shift`` (None: never). Off by default, as measured on ``datasets.large_problem``: it
makes the model 2-3x smaller in coverage terms and builds faster (11 s instead of 17 s at
1,000 agents), but CP-SAT's presolve finds the same aggregation by itself
(FindBigVerticalLinearOverlap), so the solver's memory does not drop, and the extra
equalities keep feasibility jump from finding a first roster (none in 40 s at 100
agents, against 12 s without)."""


def _add_coverage(m: RosterModel) -> None:
    """Fill ``m.staffed[language][interval]`` with the agents serving each language.

    Breaks are counted per (site, profile, shift) too: how many of the profile's
    agents on that shift take each break at each allowed offset. Interchangeable
    agents make the counts exact; who takes which break is settled when the roster is
    read back. An agent on break does not count in any interval the break touches.

    With :data:`_GROUP_COUNT_FROM` set, a (site, profile, shift) group of that many
    agents or more is counted through one integer ``on_shift`` = the sum of their work
    literals (an exact aggregation: same solutions, same linear relaxation).
    ``m.on_duty`` lists the work and break literals themselves either way, for the
    readers that evaluate it; each literal's term is one tuple shared by all the
    intervals it covers.
    """
    relevant = set(m.languages)
    n = m.problem.num_intervals
    templates = {t.name: t for t in m.problem.shift_templates}
    profile_size: dict[tuple[str, ...], int] = defaultdict(int)
    # (site, profile, shift index) -> work literals of the profile's agents on that shift
    groups: dict[tuple[str, tuple[str, ...], int], list[cp_model.IntVar]] = defaultdict(list)
    for a, agent in enumerate(m.agents):
        profile = tuple(sorted(relevant.intersection(agent.languages)))
        profile_size[profile] += 1
        for k, v in m.work[a].items():
            groups[(agent.site, profile, k)].append(v)
    # profile -> interval -> [(coefficient, variable)]: on_duty in work and break literals
    # for the readers, cover in the group counts for the model
    on_duty: dict[tuple[str, ...], list[list[tuple[int, cp_model.IntVar]]]] = {}
    aggregate = _GROUP_COUNT_FROM is not None
    cover: dict[tuple[str, ...], list[list[tuple[int, cp_model.IntVar]]]] = {} if aggregate else on_duty
    for (site, profile, k), vs in groups.items():
        s = m.shifts[site][k]
        rules = templates[s.template].breaks
        if not profile and not rules:
            continue  # speaks none of the languages in demand and takes no break: never counts
        work_terms = [(1, v) for v in vs]  # shared by every interval: one tuple per literal
        if not aggregate or len(vs) < _GROUP_COUNT_FROM:
            on_shift, group_terms = cp_model.LinearExpr.Sum(vs), work_terms
        else:
            on_shift = m.model.NewIntVar(0, len(vs), f"on_shift({site},{'+'.join(profile)},{k})")
            m.model.Add(on_shift == cp_model.LinearExpr.Sum(vs))
            group_terms = [(1, on_shift)]
        if profile:
            if profile not in on_duty:
                on_duty[profile] = [[] for _ in range(n)]
                if aggregate:
                    cover[profile] = [[] for _ in range(n)]
            duty, cov = on_duty[profile], cover[profile]
            for t in range(s.first, s.last):
                duty[t].extend(work_terms)
                if aggregate:
                    cov[t].extend(group_terms)
        if not rules:
            continue
        options: dict[tuple[int, int], cp_model.IntVar] = {}
        for r, rule in enumerate(rules):
            chosen = []
            for offset in break_offsets(rule):
                if offset + rule.minutes > s.minutes:
                    continue  # a short DST-day shift ends before this break would
                var = m.model.NewIntVar(0, len(vs), f"breaks({site},{'+'.join(profile)},{k},{r},{offset})")
                options[(r, offset)] = var
                chosen.append(var)
                if not profile:
                    continue
                b0 = s.start_utc + dt.timedelta(minutes=offset)
                first, last = grid_span(m.problem, b0, b0 + dt.timedelta(minutes=rule.minutes))
                off_term = (-1, var)
                for t in range(first, last):
                    duty[t].append(off_term)
                    if aggregate:
                        cov[t].append(off_term)
            m.model.Add(cp_model.LinearExpr.Sum(chosen) == on_shift)
        m.break_counts[(site, profile, k)] = (vs, options)
    m.on_duty = on_duty
    demand = _demand(m)
    staffed: dict[str, list] = {lang: [[] for _ in range(n)] for lang in m.languages}
    for profile, per_t in cover.items():
        duty = on_duty[profile]
        for t, terms in enumerate(per_t):
            if not terms:
                continue
            count = cp_model.LinearExpr.WeightedSum([v for _, v in terms], [c for c, _ in terms])
            sole = _sole_language(profile, t, demand)
            if sole is not None:
                staffed[sole][t].append(count)
                continue
            cap = min(sum(1 for c, _ in duty[t] if c > 0), profile_size[profile])
            split = [m.model.NewIntVar(0, cap, f"serve({'+'.join(profile)},{lang},{t})") for lang in profile]
            m.model.Add(cp_model.LinearExpr.Sum(split) == count)
            m.split[(profile, t)] = list(zip(profile, split))
            for lang, var in zip(profile, split):
                staffed[lang][t].append(var)
    m.staffed = {
        lang: [cp_model.LinearExpr.Sum(terms) if terms else 0 for terms in per_t] for lang, per_t in staffed.items()
    }


def _demand(m: RosterModel) -> dict[str, np.ndarray]:
    """Per language, the intervals with a floor or a requirement."""
    zeros = np.zeros(m.problem.num_intervals, dtype=np.int64)
    return {lang: (m.floors.get(lang, zeros) > 0) | (m.required.get(lang, zeros) > 0) for lang in m.languages}


def _sole_language(profile: tuple[str, ...], t: int, demand: dict[str, np.ndarray]) -> str | None:
    """The language a profile's agents serve in interval ``t`` when there is nothing to choose.

    With at most one of its languages in demand, serving that one (or the first, if
    none) is optimal: surplus costs the same over-staffing whichever language holds it.
    """
    if len(profile) == 1:
        return profile[0]
    wanted = [lang for lang in profile if demand[lang][t]]
    if len(wanted) <= 1:
        return wanted[0] if wanted else profile[0]
    return None


def break_offsets(rule: BreakRule) -> range:
    """Allowed break starts after the shift start [min], in 15-minute steps."""
    return range(round(rule.earliest_after_hours * 60), round(rule.latest_after_hours * 60) + 1, 15)


def add_hint(m: RosterModel, start: StartingRoster) -> None:
    """Hint every decision variable from a starting roster, so CP-SAT can take it whole.

    The starting roster gives the shifts; breaks are staggered round-robin over their
    allowed offsets, and the agents left on duty are split over languages where
    floors, then requirements, need them most. Every hinted value is consistent with
    the model's equalities, so CP-SAT can accept the hint whole when it is feasible.
    """
    m.hint_is_roster = False  # a guess, which may break a rule
    value: dict[int, int] = {}
    for a, taken in enumerate(start.shifts):
        chosen = set(taken)
        for k, v in m.work[a].items():
            value[v.Index()] = int(k in chosen)
    for workers_on_it, options in m.break_counts.values():
        n = sum(value[v.Index()] for v in workers_on_it)
        by_rule: dict[int, list[int]] = defaultdict(list)
        for r, offset in sorted(options):
            by_rule[r].append(offset)
        for r, offsets in by_rule.items():
            for i, offset in enumerate(offsets):
                value[options[(r, offset)].Index()] = n // len(offsets) + (i < n % len(offsets))
    on_duty = {
        profile: [sum(c * value[v.Index()] for c, v in terms) for terms in per_t]
        for profile, per_t in m.on_duty.items()
    }
    n = m.problem.num_intervals
    floor_left = {lang: m.floors.get(lang, np.zeros(n, dtype=np.int64)).astype(np.int64) for lang in m.languages}
    req_left = {lang: m.required.get(lang, np.zeros(n, dtype=np.int64)).astype(np.int64) for lang in m.languages}
    staffed = {lang: np.zeros(n, dtype=np.int64) for lang in m.languages}
    # single-language profiles first: they have no choice to make
    demand = _demand(m)
    for profile in sorted(on_duty, key=len):
        for t, count in enumerate(on_duty[profile]):
            count = max(0, int(count))
            served = dict.fromkeys(profile, 0)
            sole = _sole_language(profile, t, demand)
            choices = profile if sole is None else (sole,)
            for _ in range(count):
                lang = max(choices, key=lambda x: (floor_left[x][t] > 0, req_left[x][t], -staffed[x][t]))
                served[lang] += 1
                staffed[lang][t] += 1
                floor_left[lang][t] -= 1
                req_left[lang][t] -= 1
            if (profile, t) in m.split:
                for lang, var in m.split[(profile, t)]:
                    value[var.Index()] = served[lang]
    for (lang, t), var in (m.floor_slack or {}).items():
        value[var.Index()] = max(0, int(m.floors[lang][t]) - int(staffed[lang][t]))
    for (lang, t), var in m.under.items():
        value[var.Index()] = max(0, int(m.required[lang][t]) - int(staffed[lang][t]))
    for (lang, t), var in m.over.items():
        target = int(m.required[lang][t]) if lang in m.required else 0
        value[var.Index()] = max(0, int(staffed[lang][t]) - target)
    set_hint(m.model.Proto(), value)


def complete_hint(
    m: RosterModel,
    start: StartingRoster,
    *,
    time_limit_s: float,
    seed: int,
    workers: int,
    free_agents: set[int] = frozenset(),
) -> bool:
    """Hint a whole, feasible solution built around the starting roster's shifts, if one exists.

    With the shifts fixed, what is left (where breaks fall, who serves which language)
    is a small feasibility problem that CP-SAT settles in a second or two, where the
    round-robin guess of :func:`add_hint` often leaves a floor short during a break.
    A feasible complete hint is taken as CP-SAT's first roster at once. Returns False
    (and leaves the hints untouched) when the shifts admit no feasible completion.
    The shifts of ``free_agents`` are only hinted, not fixed: CP-SAT re-plans them
    (for agents the greedy left below a contract minimum).
    """
    fixed = m.model.clone()
    fixed.ClearObjective()
    proto = fixed.Proto()
    # Without breaks or a language split the shifts decide the whole roster (the rest are slacks their
    # equalities define), so they are fixed in their domains, which presolve drops at once: Curtois 24
    # (1.57M shifts) 4.5 s to fix and 2.3 s to solve, against 11-16 s and 18 s with one equality each.
    # With them, the equalities stay: at 1,000 follow-the-sun agents the domains led CP-SAT to a worse
    # split and breaks (2 % dearer, deterministically), which the search
    # there never improves on.
    in_domains = not (m.split or m.break_counts)
    for a, taken in enumerate(start.shifts):
        chosen = set(taken)
        for k, v in m.work[a].items():
            if a in free_agents:
                fixed.AddHint(fixed.GetBoolVarFromProtoIndex(v.Index()), int(k in chosen))
            elif in_domains:
                value = int(k in chosen)
                lo, hi = boolean_bounds(proto, v.Index())
                if not lo <= value <= hi:  # the caller fixed this shift the other way (rolling weeks)
                    return False
                set_boolean_bounds(proto, v.Index(), value, value)
            else:
                fixed.Add(fixed.GetBoolVarFromProtoIndex(v.Index()) == int(k in chosen))
    solver = solve_copy(fixed, time_limit_s=time_limit_s, seed=seed, workers=workers)
    if solver is None:
        return False
    hint_solution(m, solver)
    return True


def solve_copy(
    copy: cp_model.CpModel, *, time_limit_s: float, seed: int, workers: int, deterministic_time: float | None = None,
    lp_led: bool = False,
) -> cp_model.CpSolver | None:
    """Solve a copy of a roster model (a clone with more constraints or fixed domains).

    Returns the solver holding its roster, or None if none was found in time. The
    copy's variables have the model's indices, so the solver reads the roster on the
    model's own variables too (:func:`hint_solution`). A Ctrl-C stops the search at
    once and raises ``KeyboardInterrupt`` (on a model of millions of variables the
    search runs for half a minute, deaf to Ctrl-C in the calling thread). ``lp_led``: as :func:`run`'s.
    """
    solver = new_solver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.random_seed = int(seed)
    solver.parameters.num_workers = int(workers)
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = float(deterministic_time)
    if lp_led:
        _lead_by_lp(solver)
    (status,), interrupted = run_interruptibly([lambda: solver.Solve(copy)], solver.StopSearch)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if interrupted:
        raise SearchInterrupted(solver if found else None)
    return solver if found else None


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a search of :func:`solve_copy`; ``solver`` holds the best roster it had
    found by then (None if none), so the caller can keep it before the interrupt goes on."""

    def __init__(self, solver: cp_model.CpSolver | None) -> None:
        super().__init__("stopped by Ctrl-C")
        self.solver = solver


def hint_solution(m: RosterModel, solver: cp_model.CpSolver) -> None:
    """Hint every variable of ``m`` with its value in ``solver``'s roster: the next search starts from it."""
    m.hint_is_roster = False  # until the whole hint is written (a Ctrl-C may come in between)
    set_hint(m.model.Proto(), list(solver.ResponseProto().solution))
    m.hint_is_roster = True


def polish_hint(m: RosterModel, *, time_limit_s: float, seed: int, workers: int) -> float | None:
    """Improve the hinted roster's language split, breaks and staffing gaps, its shifts held.

    :func:`complete_hint` settles these with no objective: any feasible split will do.
    With the shifts fixed the rest is a small problem that CP-SAT optimises in seconds
    (the demo: 225,640 -> 167,854, proved optimal in 3.5 s), where the whole search
    gets there slowly or, on large models, not at all. The model must carry a complete
    hint (``complete_hint`` succeeded); the best roster found replaces it. Returns its
    objective [model units], or None if nothing was found in time (hint unchanged).
    """
    hint = hinted_values(m)
    polished = m.model.clone()
    fixed = polished.Proto()
    for work in m.work:
        for v in work.values():
            set_boolean_bounds(fixed, v.Index(), hint[v.Index()], hint[v.Index()])
    try:
        solver = solve_copy(polished, time_limit_s=time_limit_s, seed=seed, workers=workers)
    except SearchInterrupted as stop:
        # a Ctrl-C here returns the hint: the polish's best so far, not the unpolished roster
        if stop.solver is not None:
            hint_solution(m, stop.solver)
        raise
    if solver is None:
        return None
    hint_solution(m, solver)
    return solver.ObjectiveValue()


def load_overhead_s(m: RosterModel) -> float:
    """Seconds a CP-SAT run on a copy of the model spends before its own clock starts: the copy,
    its fixed domains and the load (Curtois 24, 1.1M variables: 6.5 s past a 10 s limit)."""
    return 6e-6 * len(m.model.Proto().variables)


def hint_start(
    m: RosterModel,
    start: StartingRoster,
    *,
    time_limit_s: float,
    seed: int,
    workers: int,
    force: bool = False,
    replan_s: float | None = None,
    deterministic_time: float | None = None,
    early: EarlyStart | None = None,
    deadline: float | None = None,
) -> dict:
    """Hint CP-SAT with a starting roster: completed whole when possible, else as a partial guess.

    First the roster's shifts as they are (:func:`complete_hint`; not tried while an agent is
    below a contract minimum, which no completion can mend); if they admit no
    completion, the agents it left below a contract minimum are re-planned one at a
    time: first a roster of each that keeps its rules
    (:func:`~fts_scheduler.heuristic.replan_agents`, ``first_only``), completed at once,
    so that a whole roster is at hand in seconds; then, for the rest of ``replan_s``
    seconds (default ``time_limit_s``), best replies against that whole roster
    (:func:`~fts_scheduler.heuristic.improve_replies`), completed again (the first
    completion stays the hint if this one fails); then with the agents still short freed
    around everyone else's fixed shifts; failing all, :func:`add_hint`'s guess, which
    CP-SAT repairs. On models with the runs automaton (``m.runs_automaton``, whose LP
    guides CP-SAT's own search well), a greedy roster that leaves more than
    :data:`HINT_MAX_SHORT_SHARE` of the agents short is not hinted at all unless ``force``.
    ``deterministic_time`` limits the re-plan in CP-SAT work units (reproducible runs).
    ``early``: the first rosters were planned while the rules were posted (:class:`EarlyStart`,
    from ``start``); the budget and the times count from its start. ``deadline``
    (``time.perf_counter()``): every step ends by then, the first rosters too (no
    :data:`~fts_scheduler.heuristic.FIRST_LINE_S` per agent past the budget); a step with no
    time left is skipped.
    Returns ``{"hint_complete": 0 or 1, "hint_replanned_agents": n, "hint_freed_agents": n,
    "hinted": 0 or 1, "hint_first_s": s}``: seconds from the call to the first complete hint
    (None without one).
    """
    t0 = time.perf_counter() if early is None else early.started
    replanned = freed = 0

    def completed(roster: StartingRoster, **free) -> bool:
        """Complete ``roster`` within ``time_limit_s`` and what is left before the deadline."""
        left = None if deadline is None else deadline - time.perf_counter() - load_overhead_s(m)
        limit = time_limit_s if left is None else min(time_limit_s, left)
        return limit > 0 and complete_hint(m, roster, time_limit_s=limit, seed=seed, workers=workers, **free)

    first_s = None
    short = agents_below_minimums(m, start)
    # with an agent below a contract minimum the shifts as they are cannot be completed: not worth
    # a try, which presolves the whole model (Curtois 24, 1.66M variables: 15 s to learn it)
    complete = not short and completed(start)
    if not complete:
        if not force and m.runs_automaton and len(short) > HINT_MAX_SHORT_SHARE * len(m.agents):
            release_memory()
            return {"hint_complete": 0, "hint_replanned_agents": 0, "hint_freed_agents": 0, "hinted": 0,
                    "hint_first_s": None}
        if short:
            replanned = len(short)
            budget = time_limit_s if replan_s is None else replan_s
            if deadline is not None:
                budget = min(budget, deadline - t0)
            half = None if deterministic_time is None else deterministic_time / 2
            # a first roster for each short agent, completed at once (a whole roster at hand in
            # seconds), then the rest of the budget on best replies against that whole roster
            if early is not None and early.first is not None:
                first = early.first
            else:
                first = _first_rosters(m, start, short, budget=max(budget, 0.0), seed=seed,
                                       deterministic_time=deterministic_time, stretch=deadline is None)
            start, chosen, short = first, short, agents_below_minimums(m, first)
            complete = not short and completed(start)
            if complete:
                first_s = time.perf_counter() - t0
            left = budget - (time.perf_counter() - t0)
            if deterministic_time is not None or left > 0:
                # in work units the wall-clock limit is only a cap: the whole budget, not what is left,
                # or a slow machine would cut the replies short and change the roster
                better = improve_replies(m, first, chosen, seed=seed, deterministic_time=half,
                                         time_limit_s=max(left, 0.0) if deterministic_time is None else budget)
                # the completion of the better shifts replaces the first one's hint only if it succeeds
                if better.shifts != first.shifts and not agents_below_minimums(m, better) and completed(better):
                    start, short, complete = better, set(), True
                    first_s = first_s if first_s is not None else time.perf_counter() - t0
        if not complete and short:
            freed = len(short)
            complete = completed(start, free_agents=short)
    if not complete:
        add_hint(m, start)
    release_memory()  # the completions' model copies are gone: hand their heap back before the search
    if complete and first_s is None:
        first_s = time.perf_counter() - t0
    return {"hint_complete": int(complete), "hint_replanned_agents": replanned, "hint_freed_agents": freed,
            "hinted": 1, "hint_first_s": None if first_s is None else round(first_s, 3)}


class EarlyStart:
    """The greedy roster and the first rosters of the agents it leaves short, planned in a process
    forked after :func:`model_variables` while the caller posts the rules (:func:`post_rules`).

    They need only the variables and, like the rules, are mostly Python: in one process the
    three took one core at a time (in a thread, the greedy shared the lock with the rules
    and took four times as long on Curtois 24). The first rosters are the ones :func:`hint_start` would plan (the same
    call and limits, on the same model; the re-plan forks its own lanes from the process).
    :meth:`result` waits for them; :meth:`cancel` ends the process at once (Ctrl-C or an
    error while the rules are posted). Linux only (:func:`~fts_scheduler.lanes.can_fork`).
    """

    def __init__(self, m: RosterModel, *, seed: int, replan_s: float, deterministic_time: float | None,
                 stretch: bool = True) -> None:
        self.first: StartingRoster | None = None
        self.started_greedy = self.started = time.perf_counter()
        plan = functools.partial(_plan_early, m, seed=seed, replan_s=replan_s, deterministic_time=deterministic_time,
                                 stretch=stretch)
        self._lane = ForkLanes(plan, 1, daemon=False).__enter__()  # its re-plan forks lanes
        self._pending = self._lane.submit()

    def result(self) -> StartingRoster:
        """The greedy roster (the first rosters are in :attr:`first`, None if nobody was short)."""
        try:
            start, self.first, self.started = self._pending.result()
        except BaseException:
            self._lane.__exit__(KeyboardInterrupt, None, None)
            raise
        self._lane.__exit__(None, None, None)
        return start

    def cancel(self) -> None:
        self._lane.__exit__(KeyboardInterrupt, None, None)


def _plan_early(m: RosterModel, *, seed: int, replan_s: float, deterministic_time: float | None,
                stretch: bool) -> tuple:
    """:class:`EarlyStart`'s work, in its process: the greedy roster, the first rosters, and when the
    re-plan began (``time.perf_counter``, the same clock in every process)."""
    start = greedy_roster(m)
    started = time.perf_counter()
    short = agents_below_minimums(m, start)
    first = None
    if short:
        first = _first_rosters(m, start, short, budget=replan_s, seed=seed, deterministic_time=deterministic_time,
                               stretch=stretch)
    return start, first, started


def _first_rosters(m: RosterModel, start: StartingRoster, short: set[int], *, budget: float, seed: int,
                   deterministic_time: float | None, stretch: bool) -> StartingRoster:
    """A first roster of each ``short`` agent (:func:`hint_start`'s first step, and :class:`EarlyStart`'s):
    half the re-plan's work units, if any, the other half for the best replies. ``stretch``: as
    :func:`~fts_scheduler.heuristic.replan_agents`'s."""
    half = None if deterministic_time is None else deterministic_time / 2
    return replan_agents(m, start, short, time_limit_s=budget, seed=seed, deterministic_time=half, first_only=True,
                         stretch=stretch)


EARLY_START_MIN_SHIFTS = 20_000
"""Shift variables from which ``solve`` plans the starting roster while it posts the rules
(:class:`EarlyStart`, where processes can be forked)."""


def release_memory() -> None:
    """Hand the heap that the hint's CP-SAT runs freed back to the operating system (glibc only).

    The completion solves a copy of the whole model; glibc keeps that memory mapped
    after it is freed, and the main search's threads allocate elsewhere, so without
    this the two add up (called by :func:`hint_start` itself, so every caller gets it):
    1,000 agents (``benchmarks/scale.py``, 1 worker, 120 s) peaked at 4,310 MiB, with it
    at 3,601 MiB (RSS after the hint 2,177 -> 875 MiB).
    """
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        pass


HINT_MAX_SHORT_SHARE = 0.5
"""Above this share of agents left below a contract minimum, the greedy roster is not hinted at all.

The greedy knows weekly and horizon totals but builds no runs of days, so on rosters
ruled by minimum runs (Curtois instances: 7 of 8 to every agent short) the roster
CP-SAT completes from it anchors the portfolio on a poor solution (instance 5, 30 s,
8 workers, three seeds: 1,455-1,755 hinted, 1,152-1,258 not). On the follow-the-sun
problems it leaves 0 of ~120 (demo) and 1 of 1,000 short, and its hint is what gives
the first roster in seconds (demo, 60 s: 165k hinted, 192k not). Applies only where
the runs automaton is posted (small rosters; ``rules.RUNS_AUTOMATON_MAX_AGENT_DAYS``): it
is measured there. When CP-SAT finds no roster of its own soon, ``solve`` falls back on
the hint (``hint_start(force=True)``)."""


def _profiles(m: RosterModel) -> list[tuple[str, ...]]:
    relevant = set(m.languages)
    return [tuple(sorted(relevant.intersection(agent.languages))) for agent in m.agents]


@dataclass
class SolveOutcome:
    """What CP-SAT said, before it becomes a :class:`Roster` or an error."""

    status: str
    solver: cp_model.CpSolver
    runtime_s: float
    interrupted: bool = False
    gave_up: bool = False  # stopped at ``give_up_s`` without a roster (see :func:`run`)
    # set when the roster comes from the LNS: the portfolio's bound [model units] (the
    # solver here only read the roster back) and the status to report
    bound: float | None = None
    solutions: int = 0  # improving rosters CP-SAT reported


@dataclass(frozen=True)
class Progress:
    """Handed to a ``callback`` at each improving roster during the search."""

    elapsed_s: float  # [s] since the search started
    objective: float  # [currency]
    bound: float  # [currency], best proved lower bound so far
    solutions: int  # rosters found so far

    @property
    def gap(self) -> float:
        return max(0.0, (self.objective - self.bound) / max(abs(self.objective), 1e-9))


Callback = Callable[[Progress], "bool | None"]


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Relays each improving roster to the user's callback; a true return stops the search."""

    def __init__(self, callback: Callback | None) -> None:
        super().__init__()
        self.callback = callback
        self.solutions = 0
        self.t0 = time.perf_counter()
        self.handing_over = False  # set by hand_over: stop at the first roster
        self.gave_up = False

    def on_solution_callback(self) -> None:
        self.solutions += 1
        if self.callback is None:
            return
        progress = Progress(
            elapsed_s=time.perf_counter() - self.t0,
            objective=self.ObjectiveValue() / COST_SCALE,
            bound=self.BestObjectiveBound() / COST_SCALE,
            solutions=self.solutions,
        )
        if self.callback(progress):
            self.StopSearch()
        if self.handing_over:
            self.StopSearch()

    def hand_over(self, solver: cp_model.CpSolver) -> None:
        """Stop the search now if it has a roster, else at its first one."""
        self.handing_over = True
        if self.solutions:
            solver.StopSearch()

    def give_up(self, solver: cp_model.CpSolver) -> None:
        """Stop the search now if it has no roster yet."""
        if not self.solutions:
            self.gave_up = True
            solver.StopSearch()


LP_IDLE_SUBSOLVERS = ("core", "default_lp", "no_lp", "quick_restart", "quick_restart_no_lp", "reduced_costs")
"""CP-SAT's full-problem workers left out of an LP-led portfolio (``run``'s ``lp_led``): no linear
relaxation (no_lp, quick_restart_no_lp), a smaller one (quick_restart), one used otherwise (core:
the objective's unsatisfiable cores; reduced_costs), and default_lp, which CP-SAT would pick first
but which branches on its own heuristics, not on the relaxation (alone with two workers on Curtois 6
and 7: bounds 100-200, rosters 2,005-3,563). What is left: max_lp, which follows the relaxation, the
first-solution workers and CP-SAT's LNS (with two workers, one thread of it; CP-SAT 9.15)."""


def _lead_by_lp(solver: cp_model.CpSolver) -> None:
    """Every full worker on the model's fullest linear relaxation, the others left out (``run``'s ``lp_led``)."""
    solver.parameters.linearization_level = 2
    solver.parameters.ignore_subsolvers.extend(LP_IDLE_SUBSOLVERS)


def run(
    m: RosterModel,
    *,
    time_limit_s: float,
    seed: int,
    workers: int | None,
    assumptions: list[cp_model.IntVar] | None = None,
    callback: Callback | None = None,
    deterministic_time: float | None = None,
    hand_over_s: float | None = None,
    give_up_s: float | None = None,
    started: float | None = None,
    lp_led: bool = False,
) -> SolveOutcome:
    """Run CP-SAT on ``m``; Ctrl-C stops the search and keeps the best roster found.

    With ``hand_over_s``, the search stops after that many seconds if it has a roster
    by then (else it goes on to ``time_limit_s``): the caller improves it further.
    With ``give_up_s``, it stops after that many seconds if it has *no* roster yet
    (``SolveOutcome.gave_up``): the caller retries from a hint. ``started`` (a
    ``time.perf_counter()`` value) is when progress times count from, if not now.
    With ``lp_led``, every full worker solves the model's fullest linear relaxation and
    the workers that use none or little of it are left out (:data:`LP_IDLE_SUBSOLVERS`;
    why: :data:`~fts_scheduler.solver.LP_LED_WORKERS`).
    """
    solver = new_solver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.random_seed = int(seed)
    if deterministic_time is not None:
        # CP-SAT's work counter: the same limit gives the same answer on any machine (workers=1)
        solver.parameters.max_deterministic_time = float(deterministic_time)
    if workers is not None:
        solver.parameters.num_workers = int(workers)
    if lp_led:
        _lead_by_lp(solver)
    if assumptions:
        m.model.ClearAssumptions()
        m.model.AddAssumptions(assumptions)
    watcher = _Watcher(callback)
    if started is not None:
        watcher.t0 = started
    t0 = time.perf_counter()
    timers = []
    if hand_over_s is not None and hand_over_s < time_limit_s:
        timers.append(threading.Timer(hand_over_s, lambda: watcher.hand_over(solver)))
    if give_up_s is not None and give_up_s < time_limit_s:
        timers.append(threading.Timer(give_up_s, lambda: watcher.give_up(solver)))
    for timer in timers:
        timer.daemon = True
        timer.start()
    try:
        (status,), interrupted = run_interruptibly([lambda: solver.Solve(m.model, watcher)], solver.StopSearch)
    finally:
        for timer in timers:
            timer.cancel()
    gave_up = watcher.gave_up and status == cp_model.UNKNOWN and not interrupted
    return SolveOutcome(
        solver.StatusName(status), solver, time.perf_counter() - t0, interrupted, gave_up=gave_up,
        solutions=watcher.solutions,
    )


def hinted_values(m: RosterModel) -> list[int] | None:
    """The model's hint as one value per variable, or None if it does not hint every variable."""
    proto = m.model.Proto()
    if len(proto.solution_hint.vars) != len(proto.solution_hint.values):  # half written
        return None
    hint = dict(zip(proto.solution_hint.vars, proto.solution_hint.values, strict=True))
    if len(hint) < len(proto.variables):
        return None
    return [hint[i] for i in range(len(proto.variables))]


def trivial_bound(m: RosterModel) -> float:
    """A lower bound on the objective [model units] from the variables' domains alone: each
    term at its least. What a roster that no search has bounded may honestly report."""
    proto = m.model.Proto()
    objective = proto.objective
    total = float(objective.offset)
    for var, coef in zip(objective.vars, objective.coeffs, strict=True):
        domain = proto.variables[var if var >= 0 else -var - 1].domain
        lo, hi = (domain[0], domain[-1]) if var >= 0 else (1 - domain[-1], 1 - domain[0])  # negated literal
        total += min(coef * lo, coef * hi)
    return total * (objective.scaling_factor or 1.0)


def fixed_outcome(m: RosterModel, values: list[int], *, status: str, bound: float | None,
                  runtime_s: float) -> SolveOutcome:
    """A roster given as one value per model variable, as a :class:`SolveOutcome` to extract.

    The model is re-solved with every variable fixed to its value: the solver then
    reads the roster like any other, and re-solving (rather than trusting the values)
    checks that they keep every constraint of the model. ``bound`` [model units]: the
    bound to report (None: :func:`trivial_bound`; the re-solve's own bound would be the
    roster's objective, a gap of 0 that nothing proved).
    """
    if bound is None:
        bound = trivial_bound(m)
    fixed = m.model.clone()
    fixed.clear_hints()
    proto = fixed.Proto()
    for i, v in enumerate(values):
        domain = proto.variables[i].domain
        domain.clear()
        domain.extend([v, v])
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60.0
    found = solver.Solve(fixed)
    if found not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - would be a bug
        raise RuntimeError(f"the roster does not satisfy the model ({solver.StatusName(found)}): a bug")
    return SolveOutcome(status, solver, runtime_s, bound=bound)


def extract_roster(m: RosterModel, penalties: list[Penalty], outcome: SolveOutcome, stats: dict) -> Roster:
    """Read the solver's values back into plain DataFrames."""
    solver = outcome.solver
    rows = []
    worked: dict[tuple[str, tuple[str, ...], int], list[int]] = defaultdict(list)
    profiles = _profiles(m)
    for a, agent in enumerate(m.agents):
        zone = m.problem.site(agent.site).zone
        for k, v in m.work[a].items():
            if not solver.BooleanValue(v):
                continue
            s = m.shifts[agent.site][k]
            worked[(agent.site, profiles[a], k)].append(a)
            rows.append(
                (
                    agent.id,
                    agent.site,
                    s.template,
                    pd.Timestamp(s.start_utc),
                    pd.Timestamp(s.end_utc),
                    pd.Timestamp(s.start_utc.astimezone(zone)),
                    pd.Timestamp(s.end_utc.astimezone(zone)),
                    s.minutes / 60,
                    s.night,
                    s.weekend,
                    s.holiday,
                    round(shift_cost(m.problem, agent, s), 2),
                )
            )
    columns = [*ASSIGNMENT_COLUMNS, "night", "weekend", "holiday", "cost"]
    assignments = pd.DataFrame(rows, columns=columns, dtype=object)
    assignments["hours"] = assignments["hours"].astype(float)
    assignments["cost"] = assignments["cost"].astype(float)
    for col in ("night", "weekend", "holiday"):
        assignments[col] = assignments[col].astype(bool)
    assignments = assignments.sort_values(["start_utc", "site", "agent_id"], ignore_index=True)
    breaks = _read_breaks(m, solver, worked)

    starts = m.problem.interval_starts()
    cov_rows = []
    for lang in m.languages:
        floor, req = m.floors.get(lang), m.required.get(lang)
        for t, expr in enumerate(m.staffed[lang]):
            cov_rows.append(
                (
                    pd.Timestamp(starts[t]),
                    lang,
                    int(floor[t]) if floor is not None else 0,
                    int(req[t]) if req is not None else 0,
                    int(solver.Value(expr)) if not isinstance(expr, int) else expr,
                )
            )
    coverage = pd.DataFrame(cov_rows, columns=list(COVERAGE_COLUMNS))
    coverage["interval_start_utc"] = pd.to_datetime(coverage["interval_start_utc"], utc=True)

    terms: dict[str, float] = defaultdict(float)
    for p in penalties:
        terms[p.rule] += p.weight * solver.Value(p.expr) / COST_SCALE
    objective = solver.ObjectiveValue() / COST_SCALE
    bound = (solver.BestObjectiveBound() if outcome.bound is None else outcome.bound) / COST_SCALE
    gap = 0.0 if outcome.status == "OPTIMAL" else max(0.0, (objective - bound) / max(abs(objective), 1e-9))
    return Roster(
        status=outcome.status,
        objective=objective,
        bound=bound,
        gap=gap,
        runtime_s=outcome.runtime_s,
        assignments=assignments,
        coverage=coverage,
        breaks=breaks,
        objective_terms=dict(terms),
        stats=stats,
    )


def _read_breaks(m: RosterModel, solver: cp_model.CpSolver, worked: dict) -> pd.DataFrame:
    """Hand each group's break counts to its agents on that shift (any order is exact)."""
    templates = {t.name: t for t in m.problem.shift_templates}
    rows = []
    for key, (_, options) in m.break_counts.items():
        site, _, k = key
        agents = worked.get(key, [])
        if not agents:
            continue
        s = m.shifts[site][k]
        rules = templates[s.template].breaks
        for r, rule in enumerate(rules):
            slots = [
                off
                for off in break_offsets(rule)
                if (r, off) in options
                for _ in range(int(solver.Value(options[(r, off)])))
            ]
            for a, offset in zip(agents, slots):
                b0 = s.start_utc + dt.timedelta(minutes=offset)
                rows.append(
                    (
                        m.agents[a].id,
                        pd.Timestamp(b0),
                        pd.Timestamp(b0 + dt.timedelta(minutes=rule.minutes)),
                        rule.kind,
                    )
                )
    frame = pd.DataFrame(rows, columns=list(BREAK_COLUMNS))
    return frame.sort_values(["start_utc", "agent_id"], ignore_index=True) if len(frame) else frame


def model_stats(m: RosterModel, build_s: float) -> dict[str, float]:
    proto = m.model.Proto()
    return {"variables": len(proto.variables), "constraints": len(proto.constraints), "build_s": round(build_s, 3)}


def utc_day(problem: Problem, day: int) -> dt.date:
    return problem.start_date + dt.timedelta(days=day)
