"""The rules of the CP-SAT model, one named function each.

Every rule takes the :class:`RosterModel` under construction, adds its constraints,
and returns the penalty terms it contributes to the objective (hard rules return
none). :data:`HARD_RULES` and :data:`SOFT_RULES` list them all in one place; the
names are the ones that appear in reports and infeasibility explanations.

The roster validator (:mod:`fts_scheduler.validation`) checks the same rules again
from the finished roster, with its own code.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from .models import Agent, Problem
from .timegrid import CandidateShift

__all__ = ["RosterModel", "Penalty", "HARD_RULES", "SOFT_RULES", "COST_SCALE"]

COST_SCALE = 100
"""Objective units per currency unit: CP-SAT needs integers, so costs are in cents."""

FLOOR_SHORTFALL_WEIGHT = 10**7
"""Objective weight of one agent-interval missing from a floor, when floors are soft
(best effort only): above any cost an interval of staffing can save."""


@dataclass(frozen=True, slots=True)
class Penalty:
    """One objective term: ``weight * expr``, filed under the rule that made it."""

    rule: str
    expr: cp_model.LinearExprT
    weight: int


@dataclass
class RosterModel:
    """The CP-SAT model of one problem and the indexes every rule needs.

    ``work[a]`` maps each candidate shift index of agent ``a`` (position in
    ``agents``) to its boolean "agent works this shift".
    """

    problem: Problem
    model: cp_model.CpModel
    agents: list[Agent]
    shifts: dict[str, list[CandidateShift]]  # per site
    work: list[dict[int, cp_model.IntVar]]
    languages: list[str]
    floors: dict[str, np.ndarray]
    required: dict[str, np.ndarray]
    # filled by the coverage structure: staffed[language][interval] -> expression
    staffed: dict[str, list[cp_model.LinearExprT]] = field(default_factory=dict)
    # (language, utc day index) -> literal that switches that day's floor on
    floor_switch: dict[tuple[str, int], cp_model.IntVar] | None = None
    # soft floors (best effort): (language, interval) -> agents missing from the floor
    floor_slack: dict[tuple[str, int], cp_model.IntVar] | None = None
    soft_languages: set[str] = field(default_factory=set)
    # decision variables besides ``work``, kept so a starting roster can hint them all
    split: dict[tuple[tuple[str, ...], int], list[tuple[str, cp_model.IntVar]]] = field(default_factory=dict)
    under: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    over: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)

    def shifts_of(self, a: int) -> list[tuple[CandidateShift, cp_model.IntVar]]:
        site_shifts = self.shifts[self.agents[a].site]
        return [(site_shifts[k], v) for k, v in self.work[a].items()]

    def by_local_date(self, a: int) -> dict[dt.date, list[cp_model.IntVar]]:
        days: dict[dt.date, list[cp_model.IntVar]] = defaultdict(list)
        for s, v in self.shifts_of(a):
            days[s.local_date].append(v)
        return days

    @property
    def intervals_per_day(self) -> int:
        return 24 * 60 // self.problem.interval_minutes


Rule = Callable[[RosterModel], list[Penalty]]


# --------------------------------------------------------------------------- hard rules


def one_shift_per_local_day(m: RosterModel) -> list[Penalty]:
    """At most one shift per agent per local calendar date."""
    for a in range(len(m.agents)):
        for day_vars in m.by_local_date(a).values():
            if len(day_vars) > 1:
                m.model.AddAtMostOne(day_vars)
    return []


def minimum_rest(m: RosterModel) -> list[Penalty]:
    """Two shifts of one agent are at least the site's ``min_rest_hours`` apart (and never overlap)."""
    for a, agent in enumerate(m.agents):
        rest = dt.timedelta(hours=m.problem.site(agent.site).rules.min_rest_hours)
        shifts = sorted(m.shifts_of(a), key=lambda sv: sv[0].start_utc)
        for i, (s1, v1) in enumerate(shifts):
            for s2, v2 in shifts[i + 1 :]:
                # sorted by start: once one shift starts late enough, all later ones do
                if s2.start_utc >= s1.end_utc + rest:
                    break
                if s1.local_date != s2.local_date:  # same day is one_shift_per_local_day's job
                    m.model.AddBoolOr([v1.Not(), v2.Not()])
    return []


def weekly_hours(m: RosterModel) -> list[Penalty]:
    """Hours per ISO week (of local start dates) within the agent's contract.

    The maximum binds in every week; the minimum only in ISO weeks wholly inside the
    horizon, reduced pro rata for the agent's unavailable days in that week.
    """
    first, last = m.problem.start_date, m.problem.start_date + dt.timedelta(days=m.problem.days - 1)
    for a, agent in enumerate(m.agents):
        weeks: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for s, v in m.shifts_of(a):
            weeks[s.local_date.isocalendar()[:2]].append((s.minutes, v))
        for (year, week), terms in weeks.items():
            expr = sum(mins * v for mins, v in terms)
            m.model.Add(expr <= round(agent.contract.max_weekly_hours * 60))
            monday = dt.date.fromisocalendar(year, week, 1)
            if agent.contract.min_weekly_hours > 0 and monday >= first and monday + dt.timedelta(days=6) <= last:
                off = sum(1 for d in agent.unavailable if monday <= d <= monday + dt.timedelta(days=6))
                need = int(agent.contract.min_weekly_hours * 60 * (7 - off) / 7)
                if need > 0:
                    m.model.Add(expr >= need)
    return []


def max_consecutive_days(m: RosterModel) -> list[Penalty]:
    """No more than the site's ``max_consecutive_days`` local dates in a row with a shift."""
    for a, agent in enumerate(m.agents):
        limit = m.problem.site(agent.site).rules.max_consecutive_days
        days = m.by_local_date(a)
        if not days:
            continue
        d0, d1 = min(days), max(days)
        span = (d1 - d0).days + 1
        if span <= limit:
            continue
        worked = [sum(days.get(d0 + dt.timedelta(days=k), [])) for k in range(span)]
        for k in range(span - limit):
            window = worked[k : k + limit + 1]
            m.model.Add(sum(window) <= limit)
    return []


def unavailable_dates(m: RosterModel) -> list[Penalty]:
    """No shift on a local date the agent is unavailable."""
    for a, agent in enumerate(m.agents):
        off = set(agent.unavailable)
        for s, v in m.shifts_of(a):
            if s.local_date in off:
                m.model.Add(v == 0)
    return []


def language_floors(m: RosterModel) -> list[Penalty]:
    """Every language floor met in every interval, each agent counted once, for one language.

    With ``m.floor_switch`` set, each (language, UTC day) group holds only when its
    literal is true: the infeasibility search uses them as assumptions. With
    ``m.floor_slack`` set, floors turn soft with a prohibitive price per missing
    agent-interval: the best-effort roster of an infeasible problem.
    """
    per_day = m.intervals_per_day
    penalties = []
    for lang, floor in m.floors.items():
        staffed = m.staffed[lang]
        for t in map(int, np.flatnonzero(floor)):
            need = int(floor[t])
            if m.floor_slack is not None and lang in m.soft_languages:
                short = m.model.NewIntVar(0, need, f"floor_short({lang},{t})")
                m.floor_slack[(lang, t)] = short
                m.model.Add(staffed[t] + short >= need)
                penalties.append(Penalty("floor_shortfall", short, FLOOR_SHORTFALL_WEIGHT))
                continue
            ct = m.model.Add(staffed[t] >= need)
            if m.floor_switch is not None:
                ct.OnlyEnforceIf(m.floor_switch[(lang, t // per_day)])
    return penalties


# --------------------------------------------------------------------------- soft rules


def labour_cost(m: RosterModel) -> list[Penalty]:
    """Paid hours at each agent's hourly cost (real hours: a 25-hour DST night pays 9 h)."""
    terms = []
    for a, agent in enumerate(m.agents):
        for s, v in m.shifts_of(a):
            terms.append(Penalty("labour_cost", v, round(agent.hourly_cost * s.minutes / 60 * COST_SCALE)))
    return terms


def staffing_against_requirement(m: RosterModel) -> list[Penalty]:
    """Agent-hours below the requirement (heavy) and above it (light), per language and interval."""
    w = m.problem.weights
    hours = m.problem.interval_minutes / 60
    under_w = round(w.under_staffing * hours * COST_SCALE)
    over_w = round(w.over_staffing * hours * COST_SCALE)
    terms: list[Penalty] = []
    for lang in m.languages:
        req = m.required.get(lang)
        staffed = m.staffed[lang]
        for t, expr in enumerate(staffed):
            target = int(req[t]) if req is not None else 0
            if isinstance(expr, int) and expr == 0 and target == 0:
                continue
            if target > 0 and under_w:
                under = m.model.NewIntVar(0, target, f"under({lang},{t})")
                m.model.Add(under >= target - expr)
                m.under[(lang, t)] = under
                terms.append(Penalty("under_staffing", under, under_w))
            if over_w:
                over = m.model.NewIntVar(0, len(m.agents), f"over({lang},{t})")
                m.model.Add(over >= expr - target)
                m.over[(lang, t)] = over
                terms.append(Penalty("over_staffing", over, over_w))
    return terms


HARD_RULES: tuple[Rule, ...] = (
    one_shift_per_local_day,
    minimum_rest,
    weekly_hours,
    max_consecutive_days,
    unavailable_dates,
    language_floors,
)
SOFT_RULES: tuple[Rule, ...] = (labour_cost, staffing_against_requirement)
