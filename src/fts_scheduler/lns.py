"""Large neighbourhood search on top of CP-SAT: re-solve a few agents or a few days at a time.

CP-SAT's own portfolio finds a first roster and a bound quickly, but on rosters of
a few dozen agents over weeks its generic neighbourhoods stall far from the best
known values. Rostering has natural neighbourhoods: a window of days for everyone
(shifts move between agents inside it while the rest of each agent's month holds
the contract totals), a handful of agents for the whole horizon (their schedules
are rebuilt around everyone else's), or a few agents over a few weeks. Each step
fixes every other shift of the incumbent roster in the same model, hints the
incumbent, and lets CP-SAT search the neighbourhood for a short time; a roster at
least as good replaces the incumbent (equal ones too, to drift along plateaus).
The neighbourhood grows while CP-SAT proves its steps optimal and shrinks while it
runs out of time.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .optimizer import SolveOutcome
from .rules import Penalty, RosterModel

__all__ = ["LnsResult", "improve", "read_back"]


@dataclass
class LnsResult:
    """The best roster the search found, as one value per model variable."""

    values: list[int]
    objective: float  # in model units (COST_SCALE)
    steps: int = 0
    improvements: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [steps, improvements]
    stopped: bool = False  # the callback asked to stop
    optimal: bool = False  # a step freed every shift and CP-SAT proved it optimal
    trace: list[tuple[str, int, str, float, float]] = field(default_factory=list)  # kind, freed, status, s, objective


KINDS = ("days", "agents", "agents_days", "costly_days")
"""Neighbourhoods, taken in turn. ``costly_days`` frees everyone on a few days drawn by what
the incumbent pays on them (shortfalls, unmet wishes), each with the day before and after:
a shortfall on scattered days (weekends, say) is often mended only by moving several of
them at once, which a single window of days does not free."""


def improve(
    m: RosterModel,
    values: list[int],
    objective: float,
    *,
    time_limit_s: float,
    seed: int,
    workers: int = 1,
    on_improvement=None,
    deterministic: bool = False,
    step_limit: float | None = None,
    kinds: tuple[str, ...] = KINDS,
    penalties: list[Penalty] | None = None,
) -> LnsResult:
    """Improve the roster ``values`` (one value per variable of ``m.model``) for ``time_limit_s``.

    ``on_improvement(objective)`` is called after each strictly better roster; a true
    return stops the search. With ``deterministic``, ``time_limit_s`` and
    ``step_limit`` count CP-SAT's deterministic work units instead of seconds (with
    one worker the same search on every machine and under any load).
    """
    proto = m.model.Proto()
    rng = random.Random(seed)
    day_of: dict[int, int] = {}
    by_agent: list[list[int]] = []
    for a, agent in enumerate(m.agents):
        shifts = m.shifts[agent.site]
        idx = []
        for k, v in m.work[a].items():
            i = v.Index()
            idx.append(i)
            day_of[i] = shifts[k].local_date.toordinal()
        by_agent.append(idx)
    work = [i for idx in by_agent for i in idx]
    result = LnsResult(list(values), objective)
    if not work:
        return result
    first_day = min(day_of.values())
    span = max(day_of.values()) - first_day + 1
    # (day, variable, weight) of the dated objective terms that are plain variables
    dated = [
        (p.day.toordinal(), p.expr.Index(), p.weight)
        for p in penalties or ()
        if p.day is not None and isinstance(p.expr, cp_model.IntVar)
    ]
    if not dated:
        kinds = tuple(k for k in kinds if k != "costly_days") or ("days",)
    domains = {i: (proto.variables[i].domain[0], proto.variables[i].domain[1]) for i in work}  # booleans
    if step_limit is None:
        step_limit = max(0.5, 0.02 * time_limit_s)
    # neighbourhood size as a share of the roster, per kind, adapted after each step
    share = dict.fromkeys(kinds, min(1.0, max(0.02, 150 / len(work))))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    # the steps are small: a full linear relaxation (cuts included) prunes them far better
    # than the default (Curtois 5-7, same start and work budget, 3 seeds: gap sums 55-79 %
    # without, 32-43 % with)
    solver.parameters.linearization_level = 2
    spent, t0 = 0.0, time.perf_counter()
    while True:
        left = time_limit_s - (spent if deterministic else time.perf_counter() - t0)
        if left < 0.05 * step_limit:
            break
        kind = kinds[result.steps % len(kinds)]
        if kind == "costly_days":
            free = _costly_days(share[kind], rng, by_agent, day_of, span, dated, result.values)
        if kind != "costly_days" or not free:  # a roster that pays nothing dated: a window instead
            window_kind = "days" if kind == "costly_days" else kind
            free = _neighbourhood(window_kind, share[kind], rng, by_agent, day_of, first_day, span, len(m.agents))
        for i in work:
            if i not in free:
                v = result.values[i]
                proto.variables[i].domain[0] = v
                proto.variables[i].domain[1] = v
        _hint(proto, result.values)
        limit = min(left, step_limit)
        if deterministic:
            solver.parameters.max_deterministic_time = limit
        else:
            solver.parameters.max_time_in_seconds = limit
        solver.parameters.random_seed = rng.randrange(1 << 30)
        t_step = time.perf_counter()
        try:
            status = solver.Solve(m.model)
        finally:
            for i in work:
                proto.variables[i].domain[0], proto.variables[i].domain[1] = domains[i]
            _hint(proto, [])
        # a floor per step: tiny steps report almost no work but still cost their set-up
        spent += max(solver.ResponseProto().deterministic_time, 0.01 * step_limit)
        result.steps += 1
        found = solver.ObjectiveValue() if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else float("nan")
        result.trace.append((kind, len(free), solver.StatusName(status), time.perf_counter() - t_step, found))
        counts = result.by_kind.setdefault(kind, [0, 0])
        counts[0] += 1
        # each kind keeps its own size: proved optimal in time, look wider; else narrower
        share[kind] = min(1.0, share[kind] * 1.2) if status == cp_model.OPTIMAL else max(0.005, share[kind] / 1.2)
        if not found <= result.objective:  # also false for NaN
            continue
        better = found < result.objective
        result.values = list(solver.ResponseProto().solution)
        result.objective = found
        if status == cp_model.OPTIMAL and len(free) == len(work):
            result.optimal = True  # the neighbourhood was the whole roster
        if better:
            result.improvements += 1
            counts[1] += 1
            if on_improvement is not None and on_improvement(found):
                result.stopped = True
                break
        if result.optimal:
            break
    return result


def _neighbourhood(kind, share, rng, by_agent, day_of, first_day, span, n_agents) -> set[int]:
    """Shift variables to free: a window of days, some agents, or some agents over some days."""
    if kind == "days":
        width = max(1, round(share * span))
        start = first_day + rng.randrange(max(1, span - width + 1))
        return {i for idx in by_agent for i in idx if start <= day_of[i] < start + width}
    if kind == "agents":
        count = max(1, round(share * n_agents))
        return {i for a in rng.sample(range(n_agents), min(count, n_agents)) for i in by_agent[a]}
    # some agents over a window: twice the agents of the window's share
    count = max(2, round(2 * (share**0.5) * n_agents))
    width = max(2, round((share**0.5) * span / 2))
    start = first_day + rng.randrange(max(1, span - width + 1))
    chosen = rng.sample(range(n_agents), min(count, n_agents))
    return {i for a in chosen for i in by_agent[a] if start <= day_of[i] < start + width}


def _costly_days(share, rng, by_agent, day_of, span, dated, values) -> set[int]:
    """Everyone's shifts on a few days drawn in proportion to what the roster pays on them, and their neighbours."""
    cost: dict[int, int] = {}
    for day, i, weight in dated:
        if values[i]:
            cost[day] = cost.get(day, 0) + weight * values[i]
    if not cost:
        return set()
    count = max(1, round(share * span / 3))
    # weighted draw without replacement (Efraimidis-Spirakis keys u ** (1 / w), in log form
    # as costs run to millions): one pass, where redrawing until a new day could spin long
    chosen = heapq.nlargest(count, cost, key=lambda d: math.log(1.0 - rng.random()) / cost[d])
    window = {d + k for d in chosen for k in (-1, 0, 1)}
    return {i for idx in by_agent for i in idx if day_of[i] in window}


def _hint(proto, values: list[int]) -> None:
    proto.solution_hint.vars.clear()
    proto.solution_hint.values.clear()
    if values:
        proto.solution_hint.vars.extend(range(len(values)))
        proto.solution_hint.values.extend(values)


def read_back(m: RosterModel, result: LnsResult, *, bound: float, runtime_s: float) -> SolveOutcome:
    """The LNS roster as a :class:`SolveOutcome`: the model re-solved with every variable fixed.

    Reading it back through CP-SAT (rather than trusting the values) also re-checks
    that the roster satisfies every constraint of the model.
    """
    fixed = m.model.clone()
    fixed.clear_hints()
    proto = fixed.Proto()
    for i, v in enumerate(result.values):
        domain = proto.variables[i].domain
        domain.clear()
        domain.extend([v, v])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60.0
    status = solver.Solve(fixed)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - would be a bug
        raise RuntimeError(f"the LNS roster does not satisfy the model ({solver.StatusName(status)}): a bug")
    optimal = result.optimal or result.objective <= bound
    return SolveOutcome("OPTIMAL" if optimal else "FEASIBLE", solver, runtime_s,
                        bound=result.objective if optimal else bound)
