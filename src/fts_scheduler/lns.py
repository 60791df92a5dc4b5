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
import threading
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .cpsat import boolean_bounds, new_solver, set_boolean_bounds, set_hint
from .optimizer import SolveOutcome, fixed_outcome
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


KINDS = ("days", "agents", "agents_days", "costly_days", "wide_days")
"""Neighbourhoods, taken in turn. ``costly_days`` frees everyone on a few days drawn by what
the incumbent pays on them (shortfalls, unmet wishes), each with the day before and after:
a shortfall on scattered days (weekends, say) is often mended only by moving several of
them at once, which a single window of days does not free. ``wide_days`` frees everyone
on most of the horizon (:class:`_WideWindows`): a roster can be optimal for every smaller
neighbourhood and still far from the best (see :data:`WIDE_START`)."""

WIDE_START = 0.8
"""Width of the first ``wide_days`` window, as a share of the horizon. Why: Curtois
instance 5 has a basin, one more uncovered shift (cost +100) than its optimum, where
every neighbourhood of up to ~60 % of the roster is proved optimal (20 s of the other
kinds from a basin roster: 83 steps, no gain). Windows of 22 of its 28 days are proved
optimal in 1-2 s each (one worker), and from three basin rosters such a window leaves the
basin at 2 to 6 of its 7 placements; the whole horizon, 6 s: never."""

WIDE_AFTER = 0.5
"""``wide_days`` joins in once another kind's neighbourhood has grown to this share of the
roster (its steps proved optimal): before that a wide window is unlikely to be solved in
its step. Curtois 8 at 30 s, one run each: 2,039-2,126 without this rule, 1,726 with it,
1,663-1,734 without ``wide_days``."""

WIDE_STEP_SHARE = 0.3
"""Step limit of a ``wide_days`` step, as a share of the search's time (at least the
other kinds' limit): the wide windows need seconds where the others need a fraction.
From three basin rosters of Curtois 5, 7.5 s of the solver's two LNS chains, five seeds
each: 11 of 15 runs left the basin with 0.2, 15 of 15 with 0.3 and with 0.4 (13 of 15
with 0.3 and :data:`WIDE_AFTER`'s gate; without ``wide_days``, one chain: 0 of 15)."""


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
    stop: threading.Event | None = None,
    solver: cp_model.CpSolver | None = None,
) -> LnsResult:
    """Improve the roster ``values`` (one value per variable of ``m.model``) for ``time_limit_s``.

    ``on_improvement(objective)`` is called after each strictly better roster; a true
    return stops the search, as does ``stop`` once set (checked between steps: several
    searches side by side share one; a caller that must stop the step in progress too
    passes the ``solver`` the steps run on and calls its ``StopSearch``). Ctrl-C is not
    caught by the steps (CP-SAT's own handler would end only the step in progress and
    the search would go on): ``KeyboardInterrupt`` reaches the main thread once the
    step ends. With ``deterministic``, ``time_limit_s`` and ``step_limit`` count
    CP-SAT's deterministic work units instead of seconds (with one worker the same
    search on every machine and under any load).

    Works on ``m.model`` in place: each step's fixed variables and hint are undone after
    it, but with ``wide_days`` one inert constraint stays (:class:`_HeaviestCap`, one per
    call); searches side by side need a copy of the model each.
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
    domains = {i: boolean_bounds(proto, i) for i in work}
    cap = _HeaviestCap(proto, dated) if dated and "wide_days" in kinds else None
    if step_limit is None:
        step_limit = max(0.5, 0.02 * time_limit_s)
    cheap = tuple(k for k in kinds if k != "wide_days")
    # neighbourhood size as a share of the roster, per kind, adapted after each step (wide windows: their own)
    share = dict.fromkeys(cheap, min(1.0, max(0.02, 150 / len(work))))
    wide = _WideWindows(span, rng)
    turn = fruitless = 0  # steps of the other kinds: taken; in a row without a gain
    wide_s = cheap_s = 0.0  # time (or work units) spent on wide windows; on the others
    solver = new_solver() if solver is None else solver
    solver.parameters.num_workers = workers
    solver.parameters.catch_sigint_signal = False  # a caller's solver too (see new_solver)
    # the steps are small: a full linear relaxation (cuts included) prunes them far better
    # than the default (Curtois 5-7, same start and work budget, 3 seeds: gap sums 55-79 %
    # without, 32-43 % with)
    solver.parameters.linearization_level = 2
    spent, t0 = 0.0, time.perf_counter()
    while True:
        left = time_limit_s - (spent if deterministic else time.perf_counter() - t0)
        if left < 0.05 * step_limit:
            break
        if stop is not None and stop.is_set():  # another search's caller asked to stop
            result.stopped = True
            break
        # wide windows cost seconds: only once another kind proves neighbourhoods of WIDE_AFTER of
        # the roster optimal, at a local optimum of a round of the others, and for at most the time
        # those took (on large rosters, or ones still descending, they crowd out cheaper gains)
        if "wide_days" in kinds and (not cheap or (max(share.values()) >= WIDE_AFTER
                                                   and fruitless >= len(cheap) and wide_s <= cheap_s)):
            kind, fruitless = "wide_days", 0
        else:
            kind, turn = cheap[turn % len(cheap)], turn + 1
        if kind == "wide_days":
            start, width = wide.next()
            free = _everyone_on(by_agent, day_of, first_day + start, width)
        elif kind == "costly_days":  # a roster that pays nothing dated: a window of days instead
            free = (_costly_days(share[kind], rng, by_agent, day_of, span, dated, result.values)
                    or _neighbourhood("days", share[kind], rng, by_agent, day_of, first_day, span, len(m.agents)))
        else:
            free = _neighbourhood(kind, share[kind], rng, by_agent, day_of, first_day, span, len(m.agents))
        for i in work:
            if i not in free:
                set_boolean_bounds(proto, i, result.values[i], result.values[i])
        set_hint(proto, result.values)
        if cap is not None and kind == "wide_days":
            cap.below(result.values)
        limit = min(left, max(step_limit, WIDE_STEP_SHARE * time_limit_s) if kind == "wide_days" else step_limit)
        if deterministic:
            solver.parameters.max_deterministic_time = limit
        else:
            solver.parameters.max_time_in_seconds = limit
        solver.parameters.random_seed = rng.randrange(1 << 30)
        t_step = time.perf_counter()
        try:
            if stop is not None and stop.is_set():  # set while this step was prepared: undone unsolved
                result.stopped = True
                break
            status = solver.Solve(m.model)
        finally:
            for i in work:
                set_boolean_bounds(proto, i, *domains[i])
            set_hint(proto, [])
            if cap is not None:
                cap.release()
        # a floor per step: tiny steps report almost no work but still cost their set-up
        work_units = max(solver.ResponseProto().deterministic_time, 0.01 * step_limit)
        spent += work_units
        cost = work_units if deterministic else time.perf_counter() - t_step
        result.steps += 1
        found = solver.ObjectiveValue() if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else float("nan")
        result.trace.append((kind, len(free), solver.StatusName(status), time.perf_counter() - t_step, found))
        counts = result.by_kind.setdefault(kind, [0, 0])
        counts[0] += 1
        better = found < result.objective
        if kind == "wide_days":  # infeasible: no roster here pays less of the heaviest penalty
            wide.report(optimal=status in (cp_model.OPTIMAL, cp_model.INFEASIBLE), better=better)
            wide_s += cost
        else:
            fruitless = 0 if better else fruitless + 1
            cheap_s += cost
            # each kind keeps its own size: proved optimal in time, look wider; else narrower
            share[kind] = min(1.0, share[kind] * 1.2) if status == cp_model.OPTIMAL else max(0.005, share[kind] / 1.2)
        if not found <= result.objective:  # also false for NaN
            continue
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
        return _everyone_on(by_agent, day_of, first_day + rng.randrange(max(1, span - width + 1)), width)
    if kind == "agents":
        count = max(1, round(share * n_agents))
        return {i for a in rng.sample(range(n_agents), min(count, n_agents)) for i in by_agent[a]}
    # some agents over a window: twice the agents of the window's share
    count = max(2, round(2 * (share**0.5) * n_agents))
    width = max(2, round((share**0.5) * span / 2))
    start = first_day + rng.randrange(max(1, span - width + 1))
    chosen = rng.sample(range(n_agents), min(count, n_agents))
    return {i for a in chosen for i in by_agent[a] if start <= day_of[i] < start + width}


def _everyone_on(by_agent, day_of, first: int, width: int) -> set[int]:
    """Every agent's shift variables on ``width`` days from day ordinal ``first``."""
    return {i for idx in by_agent for i in idx if first <= day_of[i] < first + width}


class _WideWindows:
    """Windows over most of the horizon for everyone, each placement tried once per roster.

    A window one day wider after every placement of the current width was proved optimal
    without a gain (the roster is a local optimum for all of them); one day narrower after
    a step that ran out of time without one; all placements open again after a gain.
    """

    def __init__(self, span: int, rng: random.Random):
        self.span, self.rng = span, rng
        self.width = max(1, min(span, round(WIDE_START * span)))
        self.untried: list[int] = []

    def next(self) -> tuple[int, int]:
        """(first day, number of days) of the next window, days counted from the horizon's start."""
        if not self.untried:
            self.untried = self.rng.sample(range(self.span - self.width + 1), self.span - self.width + 1)
        return self.untried.pop(), self.width

    def report(self, *, optimal: bool, better: bool) -> None:
        if better:
            self.untried = []
        elif not optimal:
            self._resize(self.width - 1)
        elif not self.untried:
            self._resize(self.width + 1)

    def _resize(self, width: int) -> None:
        width = max(1, min(self.span, width))
        if width != self.width:
            self.width, self.untried = width, []


class _HeaviestCap:
    """A cap on the heaviest dated penalty (the terms of the largest weight, the cover
    shortfall on nurse rosters), which a ``wide_days`` step tightens to "less than the
    incumbent pays": a wide window exists to leave a basin, and a roster that pays as much
    of the heaviest term is in it still (smaller gains are the other kinds' work). The cap
    also lets CP-SAT cut the window's search short: from seven basin rosters of Curtois 5,
    22-day windows were proved or solved in 0.8-3.1 s against 1.1-4.6 s uncapped.

    Added to the model once and inert between steps (its domain then is the terms' whole
    range, which presolve drops): CP-SAT's protos cannot remove a constraint.
    """

    def __init__(self, proto, dated: list[tuple[int, int, int]]):
        heaviest = max(w for _, _, w in dated)
        self.terms = sorted({i for _, i, w in dated if w == heaviest})
        domains = [list(proto.variables[i].domain) for i in self.terms]  # (the pybind field reads [-1] as 0)
        self.least, self.top = sum(d[0] for d in domains), sum(d[-1] for d in domains)
        self.ct = proto.constraints.add().linear
        self.ct.vars.extend(self.terms)
        self.ct.coeffs.extend([1] * len(self.terms))
        self.ct.domain.extend([self.least, self.top])

    def below(self, values: list[int]) -> None:
        """Cap the terms below what ``values`` pays (left inert if that is nothing)."""
        paid = sum(values[i] for i in self.terms)
        if paid > self.least:
            self.ct.domain[1] = paid - 1

    def release(self) -> None:
        self.ct.domain[1] = self.top


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


def read_back(m: RosterModel, result: LnsResult, *, bound: float, runtime_s: float) -> SolveOutcome:
    """The LNS roster as a :class:`SolveOutcome` (:func:`~fts_scheduler.optimizer.fixed_outcome`,
    which also re-checks it against every constraint of the model)."""
    optimal = result.optimal or result.objective <= bound
    return fixed_outcome(m, result.values, status="OPTIMAL" if optimal else "FEASIBLE",
                         bound=result.objective if optimal else bound, runtime_s=runtime_s)
