"""A greedy starting roster, given to CP-SAT as a solution hint.

CP-SAT with one worker can spend minutes looking for a first roster on a problem
the size of the demo (contract minimums, floors and rest rules interlock). A
greedy that keeps every agent rule and buys coverage where it is worth most finds
a near-feasible roster in about a second; CP-SAT repairs and improves it.

Greedy step: value each (agent, shift) at the coverage it adds, summed over its
intervals at the best weight among the agent's languages (a missing floor agent is
worth far more than a missing required agent; an agent above requirement costs a
little), minus the shift's cost; take the best, update the deficits; repeat while
something is worth taking. Then top agents up to their contract minimum. Agent
rules (one shift a local day, rest, weekly maximum, consecutive days, unavailable
dates) are kept by masking; floors are not guaranteed (that is CP-SAT's job).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .rules import COST_SCALE, RosterModel, shift_cost

__all__ = ["greedy_roster", "StartingRoster"]


@dataclass(frozen=True)
class StartingRoster:
    """Shift indices per agent (into its site's candidate shifts), and who served what.

    ``served[(profile, language, interval)]`` counts the agents of a language profile
    the greedy put on ``language`` in ``interval``.
    """

    shifts: list[list[int]]
    served: dict[tuple[tuple[str, ...], str, int], int]


class _AgentState:
    """What one agent has been given so far, and which of its site's shifts it may still take."""

    def __init__(self, m: RosterModel, a: int) -> None:
        agent = m.agents[a]
        site = m.problem.site(agent.site)
        self.shifts = m.shifts[agent.site]
        self.rest = dt.timedelta(hours=site.rules.min_rest_hours)
        self.limit = site.rules.max_consecutive_days
        self.max_week = round(agent.contract.max_weekly_hours * 60)
        self.week_minutes: dict[tuple[int, int], int] = defaultdict(int)
        self.dates: set[dt.date] = set()
        self.taken: list[int] = []
        # only the shifts the model made variables for (the shift filters passed)
        self.mask = np.array([k in m.work[a] for k in range(len(self.shifts))], dtype=bool)
        self._refresh_weeks()

    def take(self, k: int) -> None:
        s = self.shifts[k]
        self.taken.append(k)
        self.dates.add(s.local_date)
        self.week_minutes[s.local_date.isocalendar()[:2]] += s.minutes
        for j, other in enumerate(self.shifts):
            if not self.mask[j]:
                continue
            if other.local_date == s.local_date:
                self.mask[j] = False
            elif other.start_utc < s.end_utc + self.rest and s.start_utc < other.end_utc + self.rest:
                self.mask[j] = False
            elif self._run_if_added(other.local_date) > self.limit:
                self.mask[j] = False
        self._refresh_weeks()

    def _run_if_added(self, day: dt.date) -> int:
        run = 1
        d = day - dt.timedelta(days=1)
        while d in self.dates:
            run, d = run + 1, d - dt.timedelta(days=1)
        d = day + dt.timedelta(days=1)
        while d in self.dates:
            run, d = run + 1, d + dt.timedelta(days=1)
        return run

    def _refresh_weeks(self) -> None:
        for j, s in enumerate(self.shifts):
            if self.mask[j] and self.week_minutes[s.local_date.isocalendar()[:2]] + s.minutes > self.max_week:
                self.mask[j] = False


def greedy_roster(m: RosterModel) -> StartingRoster:
    """A roster that keeps every agent rule and covers floors and requirements greedily."""
    p = m.problem
    n = p.num_intervals
    hours = p.interval_minutes / 60
    under_w = p.weights.under_staffing * hours * COST_SCALE
    over_w = p.weights.over_staffing * hours * COST_SCALE
    floor_w = 100 * max(under_w, 1.0) + 1e6
    langs = m.languages
    li = {lang: i for i, lang in enumerate(langs)}
    floor_def = np.array([m.floors.get(lang, np.zeros(n)) for lang in langs], dtype=float).reshape(len(langs), n)
    req_def = np.array([m.required.get(lang, np.zeros(n)) for lang in langs], dtype=float).reshape(len(langs), n)

    cover = {}
    for site, shifts in m.shifts.items():
        mat = np.zeros((len(shifts), n), dtype=float)
        for k, s in enumerate(shifts):
            mat[k, s.first : s.last] = 1.0
        cover[site] = mat

    states = [_AgentState(m, a) for a in range(len(m.agents))]
    groups: dict[tuple[str, tuple[int, ...]], list[int]] = defaultdict(list)
    for a, agent in enumerate(m.agents):
        profile = tuple(sorted(li[x] for x in set(agent.languages) if x in li))
        if profile:
            groups[(agent.site, profile)].append(a)
    # whole-shift cost with currency and premiums, in objective units
    cost = [np.array([shift_cost(p, ag, s) * COST_SCALE for s in m.shifts[ag.site]]) for ag in m.agents]

    def weights() -> np.ndarray:
        return np.where(floor_def > 0, floor_w, np.where(req_def > 0, under_w, -over_w))

    served: dict[tuple[tuple[str, ...], str, int], int] = defaultdict(int)

    def assign(a: int, k: int, profile: tuple[int, ...]) -> None:
        states[a].take(k)
        if not profile:
            return
        s = m.shifts[m.agents[a].site][k]
        w = weights()[list(profile), s.first : s.last]
        best = np.asarray(profile)[w.argmax(axis=0)]
        cols = np.arange(s.first, s.last)
        names = tuple(langs[i] for i in profile)
        for lang_i, t in zip(best, cols):
            served[(names, langs[lang_i], int(t))] += 1
        on_floor = floor_def[best, cols] > 0
        floor_def[best[on_floor], cols[on_floor]] -= 1
        req_def[best, cols] -= 1

    while True:
        w = weights()
        best_value, best_pick = 0.0, None
        for (site, profile), members in groups.items():
            gain = cover[site] @ w[list(profile)].max(axis=0)
            for a in members:
                st = states[a]
                if not st.mask.any():
                    continue
                value = np.where(st.mask, gain - cost[a], -np.inf)
                k = int(value.argmax())
                if value[k] > best_value:
                    best_value, best_pick = float(value[k]), (a, k, profile)
        if best_pick is None:
            break
        assign(*best_pick)

    _top_up_minimums(m, states, groups, cover, cost, weights, assign)
    return StartingRoster([st.taken for st in states], dict(served))


def _top_up_minimums(m, states, groups, cover, cost, weights, assign) -> None:
    """Give agents below their contract minimum the most useful shifts they may still take."""
    p = m.problem
    first, last = p.start_date, p.start_date + dt.timedelta(days=p.days - 1)
    profile_of = {a: profile for (_, profile), members in groups.items() for a in members}
    for a, agent in enumerate(m.agents):
        if agent.contract.min_weekly_hours <= 0:
            continue
        st = states[a]
        site = agent.site
        profile = profile_of.get(a, ())
        for week in sorted({s.local_date.isocalendar()[:2] for s in m.shifts[site]}):
            monday = dt.date.fromisocalendar(week[0], week[1], 1)
            if monday < first or monday + dt.timedelta(days=6) > last:
                continue
            off = sum(1 for d in agent.unavailable if monday <= d <= monday + dt.timedelta(days=6))
            need = agent.contract.min_weekly_hours * 60 * (7 - off) / 7
            while st.week_minutes[week] < need:
                in_week = np.array([x.local_date.isocalendar()[:2] == week for x in m.shifts[site]]) & st.mask
                if not in_week.any():
                    break
                gain = cover[site] @ (weights()[list(profile)].max(axis=0) if profile else np.zeros(p.num_intervals))
                value = np.where(in_week, gain - cost[a], -np.inf)
                assign(a, int(value.argmax()), profile)
