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

from .models import FLOOR_SHORTFALL_PRICE, Agent, LabourRules, Problem, Site
from .timegrid import CandidateShift

__all__ = [
    "RosterModel", "Penalty", "AGENT_RULES", "AGENT_SOFT_RULES", "HARD_RULES", "SOFT_RULES", "SHIFT_FILTERS", "COST_SCALE",
    "shift_allowed", "objective",
]

COST_SCALE = 10_000
"""Objective units per currency unit: CP-SAT needs integers, so costs are in 1/100 cents
(fine enough that per-minute overtime rates round to within 0.05 %)."""

FLOOR_SHORTFALL_WEIGHT = round(FLOOR_SHORTFALL_PRICE * COST_SCALE)
"""Objective weight of one agent-interval missing from a floor, when floors are soft
(best effort only): above any cost an interval of staffing can save."""


@dataclass(frozen=True, slots=True)
class Penalty:
    """One objective term: ``weight * expr``, filed under the rule that made it.

    ``day``: the date the term is paid on, where it has one (per-shift demand, wishes):
    the large neighbourhood search frees the days where the roster pays most.
    """

    rule: str
    expr: cp_model.LinearExprT
    weight: int
    day: dt.date | None = None


def objective(penalties: list[Penalty]) -> cp_model.LinearExprT:
    """The sum of the penalties' weighted terms, as one expression (CP-SAT builds it in C++:
    a Python ``sum`` over the 1.6 million terms of Curtois 24 took seconds)."""
    return cp_model.LinearExpr.weighted_sum([p.expr for p in penalties], [p.weight for p in penalties])


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
    runs_automaton: bool = False  # minimum_runs posted its automata (small models only)
    # the automata strengthen the LP of a search over many agents; a pricing model of one agent is
    # exact with the clauses alone and 2-4x faster without them (colgen)
    automata_wanted: bool = True
    # the model's hint is a whole roster that keeps every rule (a completed starting roster,
    # optimizer.hint_solution), not a guess: solve can return it if stopped before the search
    hint_is_roster: bool = False
    # decision variables besides ``work``, kept so a starting roster can hint them all
    split: dict[tuple[tuple[str, ...], int], list[tuple[str, cp_model.IntVar]]] = field(default_factory=dict)
    under: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    over: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    # breaks: (site, profile, shift index) -> (work literals of the profile's agents on it,
    #         {(rule index, offset): how many of them take that break there})
    break_counts: dict[tuple[str, tuple[str, ...], int], tuple[list[cp_model.IntVar], dict]] = field(
        default_factory=dict
    )
    # profile -> interval -> [(coefficient, variable)]: agents of the profile serving then
    on_duty: dict[tuple[str, ...], list[list[tuple[int, cp_model.IntVar]]]] = field(default_factory=dict)
    # rule name (and "coverage") -> (first constraint, end, first variable, end) it posted
    spans: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    _cache: dict = field(default_factory=dict, repr=False)

    def shifts_of(self, a: int) -> list[tuple[CandidateShift, cp_model.IntVar]]:
        # every rule walks every agent's shifts: built once (the variables never change)
        key = ("shifts_of", a)
        if key not in self._cache:
            site_shifts = self.shifts[self.agents[a].site]
            self._cache[key] = [(site_shifts[k], v) for k, v in self.work[a].items()]
        return self._cache[key]

    def by_local_date(self, a: int) -> dict[dt.date, list[cp_model.IntVar]]:
        key = ("by_local_date", a)
        if key not in self._cache:
            days: dict[dt.date, list[cp_model.IntVar]] = defaultdict(list)
            for s, v in self.shifts_of(a):
                days[s.local_date].append(v)
            self._cache[key] = days
        return self._cache[key]

    @property
    def intervals_per_day(self) -> int:
        return 24 * 60 // self.problem.interval_minutes

    def full_weeks(self) -> list[tuple[dt.date, dt.date]]:
        """(Monday, Sunday) of every ISO week wholly inside ``[start_date, start_date + days)``."""
        first = self.problem.start_date
        last = first + dt.timedelta(days=self.problem.days - 1)
        monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
        weeks = []
        while monday + dt.timedelta(days=6) <= last:
            weeks.append((monday, monday + dt.timedelta(days=6)))
            monday += dt.timedelta(days=7)
        return weeks

    def by_week(self, a: int) -> dict[tuple[int, int], list[tuple[CandidateShift, cp_model.IntVar]]]:
        key = ("by_week", a)
        if key not in self._cache:
            weeks: dict[tuple[int, int], list] = defaultdict(list)
            # the ISO week of each date once: per shift it was 1M isocalendar() calls on Curtois 24
            week_of: dict[dt.date, tuple[int, int]] = {}
            for s, v in self.shifts_of(a):
                day = s.local_date
                week = week_of.get(day)
                if week is None:
                    week = week_of[day] = day.isocalendar()[:2]
                weeks[week].append((s, v))
            self._cache[key] = dict(weeks)
        return self._cache[key]

    def rules_of(self, a: int) -> LabourRules:
        return self.problem.site(self.agents[a].site).rules


Rule = Callable[[RosterModel], list[Penalty]]
ShiftFilter = Callable[[Problem, Site, Agent, CandidateShift], bool]


# --------------------------------------------------------------------------- shift filters
# Rules about single shifts are filters: a shift that breaks one never gets a variable.


def not_on_unavailable_date(problem: Problem, site: Site, agent: Agent, shift: CandidateShift) -> bool:
    """No shift on a local date the agent is unavailable (approved time off)."""
    return shift.local_date not in agent.unavailable


def not_on_closed_holiday(problem: Problem, site: Site, agent: Agent, shift: CandidateShift) -> bool:
    """No shift starts on a public holiday at a site that closes on holidays."""
    return not (site.holidays == "closed" and shift.holiday)


def within_max_daily_hours(problem: Problem, site: Site, agent: Agent, shift: CandidateShift) -> bool:
    """A shift lasts no longer than the site's ``max_daily_hours`` (real time)."""
    cap = site.rules.max_daily_hours
    return cap is None or shift.minutes <= cap * 60


def within_opening_hours(problem: Problem, site: Site, agent: Agent, shift: CandidateShift) -> bool:
    """A shift lies inside the site's opening hours of its local start weekday."""
    return not site.opening_hours or _inside_windows(shift, site.opening_hours, "open", "close")


def within_availability(problem: Problem, site: Site, agent: Agent, shift: CandidateShift) -> bool:
    """A shift lies inside one of the agent's recurring availability windows."""
    return not agent.availability or _inside_windows(shift, agent.availability, "start", "end")


def within_template_allowance(problem: Problem, site: Site, agent: Agent, shift: CandidateShift) -> bool:
    """No shift of a template the contract allows zero times (``max_shifts_by_template``) on the horizon's dates."""
    # a cap of zero as a filter, not as a sum held at zero: nurse contracts bar whole shift types (a third of
    # Curtois 24's 1.64M shift variables), which every model, search and greedy pass then never sees
    if agent.contract.max_shifts_by_template.get(shift.template) != 0:
        return True
    return not 0 <= (shift.local_date - problem.start_date).days < problem.days


def _inside_windows(shift: CandidateShift, windows, open_attr: str, close_attr: str) -> bool:
    day = shift.local_date
    for w in windows:
        if w.weekday != day.weekday():
            continue
        opens = dt.datetime.combine(day, getattr(w, open_attr))
        closes = dt.datetime.combine(day, getattr(w, close_attr))
        if closes <= opens:
            closes += dt.timedelta(days=1)
        if opens <= shift.start_local and shift.end_local <= closes:
            return True
    return False


SHIFT_FILTERS: tuple[ShiftFilter, ...] = (
    not_on_unavailable_date,
    not_on_closed_holiday,
    within_max_daily_hours,
    within_opening_hours,
    within_availability,
    within_template_allowance,
)


def shift_allowed(problem: Problem, site: Site, agent: Agent, shift: CandidateShift) -> bool:
    # a plain loop, not all() over a generator: called per agent and candidate shift (1.75M on
    # Curtois 24), where the generator's frames alone cost 2 s of the build
    for allowed in SHIFT_FILTERS:
        if not allowed(problem, site, agent, shift):
            return False
    return True


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
    for a in range(len(m.agents)):
        rest = dt.timedelta(hours=m.rules_of(a).min_rest_hours)
        shifts = sorted(m.shifts_of(a), key=lambda sv: sv[0].start_utc)
        # skip[i]: past the block of same-date shifts right after i (one_shift_per_local_day's
        # job), so that dozens of shift types a day do not make the scan quadratic
        skip = list(range(1, len(shifts) + 1))
        for i in range(len(shifts) - 2, -1, -1):
            if shifts[i + 1][0].local_date == shifts[i][0].local_date:
                skip[i] = skip[i + 1]
        for i, (s1, v1) in enumerate(shifts):
            free_from = s1.end_utc + rest
            for j in range(skip[i], len(shifts)):
                s2, v2 = shifts[j]
                # sorted by start: once one shift starts late enough, all later ones do
                if s2.start_utc >= free_from:
                    break
                if s1.local_date != s2.local_date:
                    m.model.add_bool_or([~v1, ~v2])
    return []


def weekly_hours(m: RosterModel) -> list[Penalty]:
    """Hours and shifts per ISO week (of local start dates) within contract and site caps.

    Maxima (contract hours, site ``max_weekly_hours``, ``max_shifts_per_week``) bind in
    every week; the contract minimum only in ISO weeks wholly inside the horizon,
    reduced pro rata for the agent's unavailable days in that week.
    """
    for a, agent in enumerate(m.agents):
        rules = m.rules_of(a)
        cap = agent.contract.max_weekly_hours
        if rules.max_weekly_hours is not None:
            cap = min(cap, rules.max_weekly_hours)
        weeks = m.by_week(a)
        for terms in weeks.values():
            m.model.Add(_minutes(terms) <= round(cap * 60))
            if agent.contract.max_shifts_per_week is not None:
                m.model.Add(cp_model.LinearExpr.sum([v for _, v in terms]) <= agent.contract.max_shifts_per_week)
        # minimums: every full week, including one in which the agent has no possible shift
        for monday, _ in m.full_weeks():
            need = minimum_weekly_minutes(agent, monday)
            if need <= 0:
                continue
            terms = weeks.get(monday.isocalendar()[:2], [])
            if terms:
                m.model.Add(_minutes(terms) >= need)
            else:
                m.model.AddBoolOr([])  # no shift to reach the minimum with: infeasible
    return []


def _minutes(terms: list[tuple[CandidateShift, cp_model.IntVar]]) -> cp_model.LinearExprT:
    """Minutes worked over ``(shift, literal)`` terms."""
    return cp_model.LinearExpr.weighted_sum([v for _, v in terms], [s.minutes for s, _ in terms])


def minimum_weekly_minutes(agent: Agent, monday: dt.date) -> int:
    """The contract minimum for one full ISO week [min], pro rata for unavailable days."""
    if agent.contract.min_weekly_hours <= 0:
        return 0
    off = sum(1 for d in set(agent.unavailable) if monday <= d <= monday + dt.timedelta(days=6))
    return int(agent.contract.min_weekly_hours * 60 * (7 - off) / 7)


def average_weekly_hours(m: RosterModel) -> list[Penalty]:
    """Average hours over the horizon's full ISO weeks within the site's ``max_average_weekly_hours``."""
    weeks = m.full_weeks()
    if not weeks:
        return []
    inside = {monday.isocalendar()[:2] for monday, _ in weeks}
    for a in range(len(m.agents)):
        cap = m.rules_of(a).max_average_weekly_hours
        if cap is None:
            continue
        terms = [(s, v) for week, sv in m.by_week(a).items() if week in inside for s, v in sv]
        if terms:
            m.model.Add(_minutes(terms) <= round(cap * 60 * len(weeks)))
    return []


def max_consecutive_days(m: RosterModel) -> list[Penalty]:
    """No more than the site's ``max_consecutive_days`` local dates in a row with a shift."""
    for a, agent in enumerate(m.agents):
        limit = agent.contract.max_consecutive_days or m.rules_of(a).max_consecutive_days
        _limit_runs(m, m.by_local_date(a), limit)
    return []


def horizon_totals(m: RosterModel) -> list[Penalty]:
    """Contract totals over the horizon's local dates: paid hours, and shifts per template."""
    first = m.problem.start_date
    last = first + dt.timedelta(days=m.problem.days - 1)
    for a, agent in enumerate(m.agents):
        c = agent.contract
        inside = [(s, v) for s, v in m.shifts_of(a) if first <= s.local_date <= last]
        minutes = _minutes(inside)
        if c.max_horizon_hours is not None:
            m.model.Add(minutes <= round(c.max_horizon_hours * 60))
        if c.min_horizon_hours is not None and c.min_horizon_hours > 0:
            if inside:
                m.model.Add(minutes >= round(c.min_horizon_hours * 60))
            else:
                m.model.AddBoolOr([])
        by_template: dict[str, list] = defaultdict(list)
        if c.max_shifts_by_template:  # one pass, not one per template (Curtois 24: 32 of them)
            for s, v in inside:
                by_template[s.template].append(v)
        for name, most in c.max_shifts_by_template.items():
            vs = by_template[name]
            if len(vs) > most:
                m.model.Add(cp_model.LinearExpr.Sum(vs) <= most)
    return []


def _worked_days(m: RosterModel, a: int) -> list[cp_model.IntVar | int]:
    """One literal (or 0) per local date of the horizon: the agent works that day."""
    first = m.problem.start_date
    days = m.by_local_date(a)
    out: list[cp_model.IntVar | int] = []
    for k in range(m.problem.days):
        vs = days.get(first + dt.timedelta(days=k), [])
        if not vs:
            out.append(0)
        elif len(vs) == 1:
            out.append(vs[0])
        else:
            w = m.model.NewBoolVar(f"works({m.agents[a].id},{first + dt.timedelta(days=k)})")
            m.model.Add(sum(vs) == w)
            out.append(w)
    return out


def minimum_runs(m: RosterModel) -> list[Penalty]:
    """Runs of working days and of days off at least as long as the contract asks.

    A run touching the horizon's first or last date is exempt: the days beyond it are
    not known. Posted as clauses: no pattern off, j days on, off (resp. on, j off, on)
    with j below the minimum; and, on small rosters (:data:`RUNS_AUTOMATON_MAX_AGENT_DAYS`),
    as a redundant copy, one automaton per agent over its worked days that also counts
    the maximum run (:func:`_runs_automaton`). The clauses alone give CP-SAT's
    portfolio a poor bound and search; the automaton alone a good bound but worse
    rosters; both together did best (Curtois instance 5, 30 s, 8 workers, no hint:
    bound 736 -> up to 1,139 against an optimum of 1,143, roster 1,341 -> 1,143-1,267
    over nine runs).
    """
    for a, agent in enumerate(m.agents):
        c = agent.contract
        if not (c.min_consecutive_days or c.min_consecutive_days_off):
            continue
        worked = _worked_days(m, a)
        n = len(worked)
        for minimum, on in ((c.min_consecutive_days, True), (c.min_consecutive_days_off, False)):
            if not minimum or minimum < 2:
                continue
            for j in range(1, minimum):
                for d in range(1, n - j):  # run of j days at d .. d+j-1, bounded on both sides inside
                    inner = worked[d : d + j]
                    lits = [_lit(worked[d - 1], on), _lit(worked[d + j], on)]
                    lits += [_lit(x, not on) for x in inner]
                    lits = [x for x in lits if x is not False]
                    if any(x is True for x in lits):
                        continue
                    m.model.add_bool_or(lits)
        if m.automata_wanted and len(m.agents) * n <= RUNS_AUTOMATON_MAX_AGENT_DAYS:
            longest = agent.contract.max_consecutive_days or m.rules_of(a).max_consecutive_days
            _runs_automaton(m, worked, longest, c.min_consecutive_days or 1, c.min_consecutive_days_off or 1)
            m.runs_automaton = True
    return []


RUNS_AUTOMATON_MAX_AGENT_DAYS = 600
"""Rosters up to this many agent-days get the runs automaton. Measured on the Curtois
instances at 60 s: on 1-7 (8-20 employees x 28 days) it is what proves 1-3 optimal in
2-15 s and brings 5 to 1,145-1,147; on 8-19 (30-120 employees, 28-84 days) CP-SAT then
found no roster at all on 12-15 and 17-19, and worse ones on 8, 9 and 11."""


def _runs_automaton(m: RosterModel, worked: list, longest: int, min_on: int, min_off: int) -> None:
    """Runs of worked days as one automaton: at most ``longest`` on, at least ``min_on`` on
    and ``min_off`` off unless the run touches the horizon's first or last day.

    Implied by the clauses of :func:`minimum_runs` and :func:`max_consecutive_days`
    (whose window also reaches dates outside the horizon): it adds no rule, only a
    stronger linear relaxation for CP-SAT.
    """
    n = len(worked)
    longest = max(1, min(longest, n))
    states: dict[tuple[str, int], int] = {}

    def state(kind: str, j: int) -> int:
        return states.setdefault((kind, j), len(states) + 1)

    # "first_on"/"first_off": the run that starts the horizon (exempt from the minimum)
    arcs = [(0, 1, state("first_on", 1)), (0, 0, state("first_off", 1))]
    for j in range(1, longest + 1):
        if j < longest:
            arcs.append((state("first_on", j), 1, state("first_on", j + 1)))
            arcs.append((state("on", j), 1, state("on", j + 1)))
        arcs.append((state("first_on", j), 0, state("off", 1)))
        if j >= min_on:
            arcs.append((state("on", j), 0, state("off", 1)))
    for j in range(1, min_off + 1):
        arcs.append((state("first_off", j), 0, state("first_off", min(j + 1, min_off))))
        arcs.append((state("first_off", j), 1, state("on", 1)))
        arcs.append((state("off", j), 0, state("off", min(j + 1, min_off))))
        if j >= min_off:
            arcs.append((state("off", j), 1, state("on", 1)))
    literals = [m.model.new_constant(x) if isinstance(x, int) else x for x in worked]
    # every state accepts: the run in progress on the last day touches the horizon's end
    m.model.add_automaton(literals, 0, [0, *states.values()], arcs)


def _lit(x, positive: bool):
    """``x`` as a literal of the given sign; Python bools for constants."""
    if isinstance(x, int):
        return bool(x) == positive
    return x if positive else x.Not()


def max_weekends_worked(m: RosterModel) -> list[Penalty]:
    """At most ``Contract.max_weekends`` weekends with a shift on any of their days."""
    first = m.problem.start_date
    last = first + dt.timedelta(days=m.problem.days - 1)
    for a, agent in enumerate(m.agents):
        most = agent.contract.max_weekends
        if most is None:
            continue
        days = m.by_local_date(a)
        worked = []
        for dates in weekend_runs(first, last, m.rules_of(a).weekend_days, complete=False):
            vs = [v for d in dates for v in days.get(d, [])]
            if vs:
                w = m.model.NewBoolVar(f"weekend({agent.id},{dates[0]})")
                for v in vs:
                    m.model.AddImplication(v, w)
                worked.append(w)
        if len(worked) > most:
            m.model.Add(sum(worked) <= most)
    return []


def forbidden_successions(m: RosterModel) -> list[Penalty]:
    """Template B never starts on the local date after template A (site rule)."""
    for a in range(len(m.agents)):
        pairs = set(m.rules_of(a).forbidden_successions)
        if not pairs:
            continue
        banned: dict[str, frozenset[str]] = defaultdict(frozenset)
        for t1, t2 in pairs:
            banned[t1] = banned[t1] | {t2}
        by_day: dict[dt.date, list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
        for s, v in m.shifts_of(a):
            by_day[s.local_date].append((s.template, v))
        for day, today in by_day.items():
            tomorrow = by_day.get(day + dt.timedelta(days=1), [])
            # one clique per set of banned successors: today's shifts that ban the same
            # templates tomorrow, and those templates, are pairwise exclusive (each day
            # has at most one shift anyway), so one at-most-one replaces every pair
            groups: dict[frozenset[str], list[cp_model.IntVar]] = defaultdict(list)
            for t1, v1 in today:
                if banned[t1]:
                    groups[banned[t1]].append(v1)
            for after, firsts in groups.items():
                seconds = [v2 for t2, v2 in tomorrow if t2 in after]
                if seconds:
                    m.model.add_at_most_one(firsts + seconds)
    return []


def _limit_runs(m: RosterModel, days: dict[dt.date, list[cp_model.IntVar]], limit: int) -> None:
    if not days:
        return
    d0, d1 = min(days), max(days)
    span = (d1 - d0).days + 1
    # one sum per date, and each window a sum of limit + 1 of them: the same constraint once CP-SAT
    # flattens it, without listing every shift of every window in Python (Curtois 24: 5.6 s of the build)
    worked = [cp_model.LinearExpr.sum(days.get(d0 + dt.timedelta(days=k), [])) for k in range(span)]
    for k in range(span - limit):
        m.model.Add(cp_model.LinearExpr.sum(worked[k : k + limit + 1]) <= limit)


def weekly_rest(m: RosterModel) -> list[Penalty]:
    """In every full ISO week, an uninterrupted rest of ``weekly_rest_hours`` lies inside the week.

    Such a rest may be taken to start at the week's Monday 00:00 local or at the end of
    one of the agent's shifts: one literal per such start that leaves room before the
    week ends, true only if no worked shift overlaps the rest that follows; at least
    one is true. (A rest running past the week's end is not counted: the next week's
    roster may not be known.)
    """
    weeks = m.full_weeks()
    for a, agent in enumerate(m.agents):
        rules = m.rules_of(a)
        if rules.weekly_rest_hours <= 0 or not weeks:
            continue
        zone = m.problem.site(agent.site).zone
        rest = dt.timedelta(hours=rules.weekly_rest_hours)
        shifts = m.shifts_of(a)
        for monday, sunday in weeks:
            w0 = dt.datetime.combine(monday, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
            w1 = dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
            starts = sorted({w0} | {s.end_utc for s, _ in shifts if w0 <= s.end_utc and s.end_utc + rest <= w1})
            options = []
            for tau in starts:
                blocking = [v for s, v in shifts if s.start_utc < tau + rest and s.end_utc > tau]
                y = m.model.NewBoolVar(f"weekly_rest({agent.id},{monday},{tau:%d%H%M})")
                for v in blocking:
                    m.model.AddImplication(y, v.Not())
                options.append(y)
            m.model.AddBoolOr(options)
    return []


def night_work(m: RosterModel) -> list[Penalty]:
    """Night shifts per ISO week and in a row, and the rest after a run of nights."""
    for a in range(len(m.agents)):
        night = m.rules_of(a).night
        if night.max_per_week is None and night.max_consecutive is None and night.rest_after_hours is None:
            continue
        shifts = m.shifts_of(a)
        nights_on: dict[dt.date, list[cp_model.IntVar]] = defaultdict(list)
        for s, v in shifts:
            if s.night:
                nights_on[s.local_date].append(v)
        if night.max_per_week is not None:
            per_week: dict[tuple[int, int], list] = defaultdict(list)
            for day, vs in nights_on.items():
                per_week[day.isocalendar()[:2]] += vs
            for vs in per_week.values():
                if len(vs) > night.max_per_week:
                    m.model.Add(sum(vs) <= night.max_per_week)
        if night.max_consecutive is not None:
            _limit_runs(m, nights_on, night.max_consecutive)
        if night.rest_after_hours is not None:
            rest = dt.timedelta(hours=night.rest_after_hours)
            for s, v in shifts:
                if not s.night:
                    continue
                next_nights = nights_on.get(s.local_date + dt.timedelta(days=1), [])
                for s2, v2 in shifts:
                    if s2.local_date <= s.local_date or s2.start_utc >= s.end_utc + rest:
                        continue
                    if s2.night and s2.local_date == s.local_date + dt.timedelta(days=1):
                        continue  # the run goes on
                    # both worked only if the run goes on through a night the next day
                    m.model.AddBoolOr([v.Not(), v2.Not(), *next_nights])
    return []


def weekends_off(m: RosterModel) -> list[Penalty]:
    """At least ``min_weekends_off_per_4_weeks`` (pro rata) complete weekends without a shift."""
    first = m.problem.start_date
    last = first + dt.timedelta(days=m.problem.days - 1)
    for a, agent in enumerate(m.agents):
        rules = m.rules_of(a)
        if rules.min_weekends_off_per_4_weeks <= 0:
            continue
        weekends = weekend_runs(first, last, rules.weekend_days, complete=True)
        need = rules.min_weekends_off_per_4_weeks * len(weekends) // 4
        if need <= 0:
            continue
        days = m.by_local_date(a)
        worked = []
        for dates in weekends:
            vs = [v for d in dates for v in days.get(d, [])]
            if not vs:
                continue
            w = m.model.NewBoolVar(f"weekend_worked({agent.id},{dates[0]})")
            for v in vs:
                m.model.AddImplication(v, w)
            worked.append(w)
        if worked:
            m.model.Add(sum(worked) <= len(weekends) - need)
    return []


def weekend_runs(first: dt.date, last: dt.date, weekend_days: tuple[int, ...], *, complete: bool) -> list[list[dt.date]]:
    """Maximal runs of consecutive weekend days: those wholly in [first, last] (``complete``),
    or else their dates inside [first, last] for every run that touches it."""
    runs: list[list[dt.date]] = []
    day = first - dt.timedelta(days=7)
    while day <= last + dt.timedelta(days=7):
        if day.weekday() in weekend_days:
            if runs and runs[-1][-1] == day - dt.timedelta(days=1):
                runs[-1].append(day)
            else:
                runs.append([day])
        day += dt.timedelta(days=1)
    if complete:
        return [r for r in runs if r[0] >= first and r[-1] <= last]
    clipped = [[d for d in r if first <= d <= last] for r in runs]
    return [r for r in clipped if r]


def team_lead_on_shift(m: RosterModel) -> list[Penalty]:
    """At sites that ask for it, a lead is on shift whenever an agent of the site is."""
    n = m.problem.num_intervals
    for site in m.problem.sites:
        if not site.lead_required:
            continue
        leads: list[list] = [[] for _ in range(n)]
        staff: list[list] = [[] for _ in range(n)]
        members = 0
        for a, agent in enumerate(m.agents):
            if agent.site != site.name:
                continue
            members += agent.role != "lead"
            target = leads if agent.role == "lead" else staff
            for s, v in m.shifts_of(a):
                for t in range(s.first, s.last):
                    target[t].append(v)
        for t in range(n):
            if staff[t]:
                m.model.Add(sum(staff[t]) <= members * sum(leads[t]))
    return []


def language_floors(m: RosterModel) -> list[Penalty]:
    """Every language floor met in every interval, each agent counted once, for one language.

    With ``m.floor_switch`` set, each (language, UTC day) group holds only when its
    literal is true: the infeasibility search uses them as assumptions. With
    ``m.floor_slack`` set, floors turn soft with a prohibitive price per missing
    agent-interval: the best-effort roster of an infeasible problem.

    A hard floor below the interval's requirement shares one constraint with the
    requirement: ``staffed + under >= required`` with the shortfall ``under`` bounded by
    ``required - floor``, which holds exactly when ``staffed >= floor``. The ``under``
    variable goes into ``m.under`` and :func:`staffing_against_requirement` prices it,
    so the (long) staffed expression of each (language, interval) enters the model once.
    """
    per_day = m.intervals_per_day
    penalties = []
    for lang, floor in m.floors.items():
        staffed = m.staffed[lang]
        req = m.required.get(lang)
        for t in map(int, np.flatnonzero(floor)):
            need = int(floor[t])
            if m.floor_slack is not None and lang in m.soft_languages:
                short = m.model.NewIntVar(0, need, f"floor_short({lang},{t})")
                m.floor_slack[(lang, t)] = short
                m.model.Add(staffed[t] + short >= need)
                penalties.append(Penalty("floor_shortfall", short, FLOOR_SHORTFALL_WEIGHT))
                continue
            target = int(req[t]) if req is not None else 0
            if m.floor_switch is None and target > need:
                under = m.model.NewIntVar(0, target - need, f"under({lang},{t})")
                m.model.Add(staffed[t] + under >= target)
                m.under[(lang, t)] = under
                continue
            ct = m.model.Add(staffed[t] >= need)
            if m.floor_switch is not None:
                ct.OnlyEnforceIf(m.floor_switch[(lang, t // per_day)])
    return penalties


# --------------------------------------------------------------------------- soft rules


def shift_cost(problem: Problem, agent: Agent, shift: CandidateShift) -> float:
    """Cost of one shift in the reporting currency: real hours, rate and premiums (not overtime)."""
    site = problem.site(agent.site)
    pay = site.pay
    factor = 1.0 + pay.night_premium * shift.night + pay.weekend_premium * shift.weekend
    factor += pay.holiday_premium * shift.holiday
    return agent.hourly_cost * problem.rate(site.currency) * shift.minutes / 60 * factor


def labour_cost(m: RosterModel) -> list[Penalty]:
    """Paid real hours at each agent's cost, converted to the reporting currency, with premiums.

    Night, weekend and holiday premiums apply to the whole shift; overtime premium to
    the minutes above the contract's ``standard_weekly_hours`` in an ISO week.
    """
    terms = []
    for a, agent in enumerate(m.agents):
        if agent.hourly_cost == 0:
            continue  # unpaid (benchmarks): every term would weigh 0 (1.57M of them on Curtois 24)
        for s, v in m.shifts_of(a):
            terms.append(Penalty("labour_cost", v, round(shift_cost(m.problem, agent, s) * COST_SCALE)))
        site = m.problem.site(agent.site)
        standard = agent.contract.standard_weekly_hours
        if standard is None or site.pay.overtime_premium <= 0:
            continue
        per_minute = agent.hourly_cost * m.problem.rate(site.currency) * site.pay.overtime_premium / 60
        for week, sv in m.by_week(a).items():
            worked = _minutes(sv)
            top = sum(s.minutes for s, _ in sv)
            over = m.model.NewIntVar(0, max(0, top), f"overtime({agent.id},{week})")
            m.model.Add(over >= worked - round(standard * 60))
            terms.append(Penalty("overtime_premium", over, round(per_minute * COST_SCALE)))
    # with nobody paid, one zero term: the roster then reports a labour cost of 0, not none
    return terms or [Penalty("labour_cost", 0, 0)]


def staffing_against_requirement(m: RosterModel) -> list[Penalty]:
    """Agent-hours below the requirement (heavy) and above it (light), per language and interval.

    Only the shortfall is a variable: ``under >= required - staffed`` per (language,
    interval) with a requirement (:func:`language_floors` has already made the ones a
    hard floor bounds; where a hard floor is at least the requirement, the shortfall is
    0 and needs none). The surplus of each (language, interval) is then
    ``staffed - required + under`` (``under`` is exact at the optimum, where its weight
    ``under + over`` pushes it down), and the surplus summed over languages is the
    agents on duty minus the requirement plus the shortfall, because each agent on
    duty serves exactly one language: one linear expression over the shift and break
    variables instead of a variable and a constraint per (language, interval). Same
    optimum and linear relaxation; ``m.over`` stays empty.
    """
    w = m.problem.weights
    hours = m.problem.interval_minutes / 60
    under_w = round(w.under_staffing * hours * COST_SCALE)
    over_w = round(w.over_staffing * hours * COST_SCALE)
    if not (under_w or over_w):
        return []
    terms: list[Penalty] = []
    shortfall: list[cp_model.IntVar] = []
    required = 0
    for lang in m.languages:
        req = m.required.get(lang)
        if req is None:
            continue
        floor = m.floors.get(lang)
        hard_floor = floor is not None and m.floor_switch is None
        hard_floor = hard_floor and not (m.floor_slack is not None and lang in m.soft_languages)
        staffed = m.staffed[lang]
        for t in map(int, np.flatnonzero(req)):
            target = int(req[t])
            required += target
            under = m.under.get((lang, t))
            if under is None:
                if hard_floor and floor[t] >= target:
                    continue  # the hard floor covers the requirement: never short
                under = m.model.NewIntVar(0, target, f"under({lang},{t})")
                m.model.Add(under >= target - staffed[t])
                m.under[(lang, t)] = under
            shortfall.append(under)
            if under_w:
                terms.append(Penalty("under_staffing", under, under_w))
    if over_w:
        # agent-intervals on duty, each agent counted once (for the one language it serves)
        coef: dict[int, int] = defaultdict(int)
        var_of: dict[int, cp_model.IntVar] = {}
        for per_t in m.on_duty.values():
            for on in per_t:
                for c, v in on:
                    i = v.Index()
                    coef[i] += c
                    var_of[i] = v
        idx = [i for i, c in coef.items() if c]
        on_duty = cp_model.LinearExpr.WeightedSum([var_of[i] for i in idx], [coef[i] for i in idx])
        surplus = on_duty + cp_model.LinearExpr.Sum(shortfall) - required
        terms.append(Penalty("over_staffing", surplus, over_w))
    return terms


def shift_demand(m: RosterModel) -> list[Penalty]:
    """Agents per template and local date against ``Problem.shift_demands`` (per shift, not per interval)."""
    if not m.problem.shift_demands:
        return []
    on: dict[tuple[str, dt.date], list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
    for a, agent in enumerate(m.agents):
        for s, v in m.shifts_of(a):
            on[(s.template, s.local_date)].append((agent.site, v))
    terms: list[Penalty] = []
    for i, d in enumerate(m.problem.shift_demands):
        vs = [v for site, v in on.get((d.shift, d.date), []) if d.site is None or site == d.site]
        count = cp_model.LinearExpr.sum(vs)
        # exact max(0, .) rather than a >= slack, so that a roster found before optimality
        # reports the penalty it really incurs (the benchmark evaluator checks this)
        if d.under_weight > 0 and d.agents > 0:
            under = m.model.NewIntVar(0, d.agents, f"demand_under({d.shift},{d.date},{i})")
            m.model.Add(under >= d.agents - count)  # the linear relaxation's half, kept for the bound
            m.model.AddMaxEquality(under, [0, d.agents - count])
            terms.append(Penalty("shift_demand_under", under, round(d.under_weight * COST_SCALE), d.date))
        if d.over_weight > 0 and len(vs) > d.agents:
            over = m.model.NewIntVar(0, len(vs), f"demand_over({d.shift},{d.date},{i})")
            m.model.Add(over >= count - d.agents)
            m.model.AddMaxEquality(over, [0, count - d.agents])
            terms.append(Penalty("shift_demand_over", over, round(d.over_weight * COST_SCALE), d.date))
    return terms


def preferences(m: RosterModel) -> list[Penalty]:
    """Agents' weighted wishes to work or not to work a shift (or at all) on a date or weekday."""
    first = m.problem.start_date
    last = first + dt.timedelta(days=m.problem.days - 1)
    terms: list[Penalty] = []
    for a, agent in enumerate(m.agents):
        if not agent.preferences:
            continue
        on_day: dict[dt.date, list[tuple[CandidateShift, cp_model.IntVar]]] = defaultdict(list)
        for s, v in m.shifts_of(a):
            on_day[s.local_date].append((s, v))
        for pref in agent.preferences:
            weight = round(pref.weight * COST_SCALE)
            if weight <= 0:
                continue
            for day in _days_of(pref, first, last):
                vs = [v for s, v in on_day.get(day, []) if pref.shift is None or s.template == pref.shift]
                if pref.kind == "off":
                    terms += [Penalty("preferences", v, weight, day) for v in vs]
                else:
                    missed = m.model.NewBoolVar(f"pref_on_missed({agent.id},{day})")
                    # an equality, not >=: the vs are exclusive (one shift a day), and a loose
                    # slack would let a non-optimal roster report a penalty it does not incur
                    m.model.Add(sum(vs) + missed == 1)
                    terms.append(Penalty("preferences", missed, weight, day))
    return terms


def _days_of(pref, first: dt.date, last: dt.date) -> list[dt.date]:
    if pref.date is not None:
        return [pref.date] if first <= pref.date <= last else []
    days = []
    day = first
    while day <= last:
        if day.weekday() == pref.weekday:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def fairness(m: RosterModel) -> list[Penalty]:
    """Spread (most minus fewest) of nights, weekend shifts and holiday shifts among comparable agents.

    Comparable: same site, same contract name, and able to work such a shift at all.
    """
    weight = round(m.problem.weights.fairness * COST_SCALE)
    if weight <= 0:
        return []
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for a, agent in enumerate(m.agents):
        groups[(agent.site, agent.contract.name)].append(a)
    terms: list[Penalty] = []
    for (site, contract), members in groups.items():
        for kind in ("night", "weekend", "holiday"):
            counts = []
            for a in members:
                vs = [v for s, v in m.shifts_of(a) if getattr(s, kind)]
                if vs:
                    counts.append(sum(vs))
            if len(counts) < 2:
                continue
            top = m.model.NewIntVar(0, m.problem.days + 2, f"most_{kind}({site},{contract})")
            low = m.model.NewIntVar(0, m.problem.days + 2, f"fewest_{kind}({site},{contract})")
            for c in counts:
                m.model.Add(top >= c)
                m.model.Add(low <= c)
            terms.append(Penalty("fairness", top - low, weight))
    return terms


AGENT_RULES: tuple[Rule, ...] = (
    one_shift_per_local_day,
    minimum_rest,
    forbidden_successions,
    weekly_hours,
    average_weekly_hours,
    horizon_totals,
    max_consecutive_days,
    minimum_runs,
    max_weekends_worked,
    weekly_rest,
    night_work,
    weekends_off,
)
"""The hard rules that bind each agent on its own: a model of one agent with these holds
exactly the rosters that agent may work (``heuristic.replan_agents`` builds such models)."""
AGENT_SOFT_RULES: tuple[Rule, ...] = (labour_cost, preferences)
"""The soft rules whose terms each agent pays on its own (its shifts' cost, its overtime, its wishes):
with :data:`AGENT_RULES`, everything of one agent's line of work that the decomposition
(:mod:`fts_scheduler.decomposition`) prices without the other agents."""
HARD_RULES: tuple[Rule, ...] = AGENT_RULES + (team_lead_on_shift, language_floors)
SOFT_RULES: tuple[Rule, ...] = (labour_cost, staffing_against_requirement, shift_demand, preferences, fairness)
