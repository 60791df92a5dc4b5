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
import functools
import heapq
import itertools
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ortools.sat.python import cp_model

from .cpsat import boolean_bounds, new_solver, set_hint
from .lanes import lanes
from .rules import AGENT_RULES, COST_SCALE, RosterModel, minimum_weekly_minutes, shift_cost, weekend_runs
from .timegrid import grid_span

__all__ = ["greedy_roster", "replan_agents", "improve_replies", "StartingRoster", "agents_below_minimums"]


@dataclass(frozen=True)
class StartingRoster:
    """Shift indices per agent (into its site's candidate shifts), and who served what.

    ``served[(profile, language, interval)]`` counts the agents of a language profile
    the greedy put on ``language`` in ``interval``.
    """

    shifts: list[list[int]]
    served: dict[tuple[tuple[str, ...], str, int], int]


class _AgentState:
    """What one agent has been given so far, and which of its site's shifts it may still take.

    ``mask`` holds the shifts the agent rules still allow against the shifts already
    taken (re-checked near each new one): one shift a local day, rest, weekly and
    horizon caps, shifts per week and per template, consecutive days, nights,
    forbidden successions, and the weekly rest (exact for the shifts taken so far:
    later shifts only shorten gaps, and they are checked when they come).
    """

    def __init__(self, m: RosterModel, a: int) -> None:
        agent = m.agents[a]
        site = m.problem.site(agent.site)
        rules, contract = site.rules, agent.contract
        self.shifts = m.shifts[agent.site]
        self.rules = rules
        self.contract = contract
        self.rest = dt.timedelta(hours=rules.min_rest_hours)
        self.limit = contract.max_consecutive_days or rules.max_consecutive_days
        cap = contract.max_weekly_hours if rules.max_weekly_hours is None else min(
            contract.max_weekly_hours, rules.max_weekly_hours
        )
        self.max_week = round(cap * 60)
        self.week_minutes: dict[tuple[int, int], int] = defaultdict(int)
        self.week_shifts: dict[tuple[int, int], int] = defaultdict(int)
        self.week_nights: dict[tuple[int, int], int] = defaultdict(int)
        self.total_minutes = 0
        self.dates: set[dt.date] = set()
        self.night_dates: set[dt.date] = set()
        self.taken: list[int] = []
        self.zone = site.zone
        self.first = m.problem.start_date
        self.last = self.first + dt.timedelta(days=m.problem.days - 1)
        self.weekends: set[dt.date] = set()
        self.weeks = {monday.isocalendar()[:2]: monday for monday, _ in m.full_weeks()}
        self.taken_on: dict[int, list[int]] = defaultdict(list)  # by date ordinal
        # A new shift can only change what shifts within ``reach`` days of it may do
        # (same week, consecutive runs, rest, nights); caps over the whole horizon
        # (hours, per template, weekends) are re-applied to all shifts at once.
        arrays = _SiteShifts.of(m, agent.site)
        night = rules.night
        self.near = 2 + int((rules.min_rest_hours + arrays.longest_h + (night.rest_after_hours or 0)) // 24)
        self.reach = max(self.limit + 1, 7, (night.max_consecutive or 0) + 1, self.near)
        self.ordinal, self.minutes_arr = arrays.ordinal, arrays.minutes
        self.template_arr, self.night_arr = arrays.template, arrays.night
        self.base, self.start_s, self.end_s = arrays.base, arrays.start_s, arrays.end_s
        self.template_code, self.after = arrays.template_code, arrays.after
        self.weekend_arr, self.weekend_key = arrays.weekend, arrays.weekend_key
        self.week_bounds: dict[tuple[int, int], tuple[int, int]] = {}  # ISO week -> its local Monday-Monday [s]
        self.rest_s = self.rest // dt.timedelta(seconds=1)
        self.template_count = np.zeros(len(arrays.names), dtype=np.int64)
        self.template_cap = np.array([contract.max_shifts_by_template.get(n, 10**6) for n in arrays.names],
                                     dtype=np.int64)
        self.on_worked_weekend = np.zeros(len(self.shifts), dtype=bool)
        # weekends that may be worked: the contract's cap and the site's weekends off
        # (counted over every weekend touched, a little stricter than the rule's complete ones)
        self.max_weekends = contract.max_weekends
        if rules.min_weekends_off_per_4_weeks > 0:
            complete = weekend_runs(self.first, self.last, rules.weekend_days, complete=True)
            need = rules.min_weekends_off_per_4_weeks * len(complete) // 4
            if need > 0:
                allowed = len(complete) - need
                self.max_weekends = allowed if self.max_weekends is None else min(self.max_weekends, allowed)
        # only the shifts the model made variables for (the shift filters passed)
        self.mask = np.array([k in m.work[a] for k in range(len(self.shifts))], dtype=bool)
        self._recheck(np.flatnonzero(self.mask))

    def take(self, k: int) -> None:
        s = self.shifts[k]
        week = s.local_date.isocalendar()[:2]
        self.taken.append(k)
        self.taken_on[s.local_date.toordinal()].append(k)
        self.dates.add(s.local_date)
        self.week_minutes[week] += s.minutes
        self.week_shifts[week] += 1
        self.template_count[self.template_code[k]] += 1
        self.total_minutes += s.minutes
        if s.weekend and self.first <= s.local_date <= self.last:
            weekend = _weekend_start(s.local_date, self.rules.weekend_days, self.first)
            if weekend not in self.weekends:
                self.weekends.add(weekend)
                self.on_worked_weekend |= self.weekend_key == weekend.toordinal()
        if s.night:
            self.week_nights[week] += 1
            self.night_dates.add(s.local_date)
        c = self.contract
        if c.max_horizon_hours is not None:
            self.mask &= self.total_minutes + self.minutes_arr <= c.max_horizon_hours * 60
        most = c.max_shifts_by_template.get(s.template)
        if most is not None and self.template_count[self.template_code[k]] >= most:
            self.mask &= self.template_arr != s.template
        if self.max_weekends is not None and len(self.weekends) >= self.max_weekends:
            self.mask &= ~(self.weekend_arr & ~self.on_worked_weekend)
        d = s.local_date.toordinal()
        self._recheck(np.flatnonzero(self.mask & (np.abs(self.ordinal - d) <= self.reach)))

    def _recheck(self, candidates: np.ndarray) -> None:
        """Mask out the ``candidates`` the rules no longer allow, a date at a time.

        The shifts of one date share most checks (the date taken, runs of days, shifts
        per week, the shifts taken nearby, the week's free stretches): done once per
        date, and the rest as arrays over the date's shifts. One shift at a time, the
        greedy took 25.6 s on Curtois 24 (150 nurses, 32 shift types a day), 3/4 of it
        in these checks; now 11.1 s, with the same roster.
        """
        if not len(candidates):
            return
        order = candidates[np.argsort(self.ordinal[candidates], kind="stable")]
        bounds = np.flatnonzero(np.diff(self.ordinal[order])) + 1
        for group in np.split(order, bounds):
            day = self.shifts[group[0]].local_date
            if not self._day_allows(day):
                self.mask[group] = False
                continue
            self.mask[group[~self._group_allows(group, day, self._taken_near(day))]] = False

    def _taken_near(self, day: dt.date) -> list[int]:
        d = day.toordinal()
        out: list[int] = []
        for key in range(d - self.near, d + self.near + 1):
            if key in self.taken_on:
                out += self.taken_on[key]
        return out

    def _day_allows(self, day: dt.date) -> bool:
        """The checks every shift starting on local date ``day`` shares."""
        week = day.isocalendar()[:2]
        c = self.contract
        if day in self.dates:
            return False
        if c.max_shifts_per_week is not None and self.week_shifts[week] >= c.max_shifts_per_week:
            return False
        if self._run(self.dates, day) > self.limit:
            return False
        return True

    def _group_allows(self, group: np.ndarray, day: dt.date, nearby: list[int]) -> np.ndarray:
        """Which shifts of ``group`` (all on local date ``day``) the checks that depend on the
        shift itself allow; ``nearby``: the shifts taken within ``near`` days of ``day``."""
        week = day.isocalendar()[:2]
        c, night = self.contract, self.rules.night
        minutes, codes = self.minutes_arr[group], self.template_code[group]
        ok = self.week_minutes[week] + minutes <= self.max_week
        ok &= self.template_count[codes] < self.template_cap[codes]
        if c.max_horizon_hours is not None:
            ok &= self.total_minutes + minutes <= c.max_horizon_hours * 60
        if self.max_weekends is not None and len(self.weekends) >= self.max_weekends:
            ok &= ~(self.weekend_arr[group] & ~self.on_worked_weekend[group])
        start, end = self.start_s[group], self.end_s[group]
        d = day.toordinal()
        for t in nearby:
            ok &= ~((self.start_s[t] < end + self.rest_s) & (start < self.end_s[t] + self.rest_s))
            gap = d - self.ordinal[t]
            if gap == 1:
                ok &= ~self.after[self.template_code[t], codes]
            elif gap == -1:
                ok &= ~self.after[codes, self.template_code[t]]
        nights = self.night_arr[group]
        if nights.any() and (
            (night.max_per_week is not None and self.week_nights[week] >= night.max_per_week)
            or (night.max_consecutive is not None and self._run(self.night_dates, day) > night.max_consecutive)
        ):
            ok &= ~nights
        if night.rest_after_hours is not None:
            taken = [self.shifts[t] for t in nearby]
            for i in np.flatnonzero(ok):
                if not self._night_rest_ok(self.shifts[group[i]], taken):
                    ok[i] = False
        if self.rules.weekly_rest_hours > 0 and week in self.weeks:
            ok &= self._weekly_rest_ok(week, start, end)
        return ok

    @staticmethod
    def _run(dates: set[dt.date], day: dt.date) -> int:
        run = 1
        d = day - dt.timedelta(days=1)
        while d in dates:
            run, d = run + 1, d - dt.timedelta(days=1)
        d = day + dt.timedelta(days=1)
        while d in dates:
            run, d = run + 1, d + dt.timedelta(days=1)
        return run

    def _night_rest_ok(self, s, nearby: list) -> bool:
        rest = dt.timedelta(hours=self.rules.night.rest_after_hours)
        spans = sorted(nearby + [s], key=lambda x: x.start_utc)
        for a, b in zip(spans, spans[1:]):
            run_goes_on = b.night and b.local_date == a.local_date + dt.timedelta(days=1)
            if a.night and not run_goes_on and b.start_utc < a.end_utc + rest:
                return False
        return True

    def _weekly_rest_ok(self, week: tuple[int, int], start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Whether shifts spanning ``start``-``end`` [s], all in ISO ``week``, each leave the week an
        unbroken rest of ``weekly_rest_hours`` beside the shifts taken (the week's local Monday
        to Monday, shifts that touch it from the days either side included)."""
        need = round(self.rules.weekly_rest_hours * 3600)
        if week not in self.week_bounds:
            monday = self.weeks[week]
            w0, w1 = (
                dt.datetime.combine(day, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC)
                for day in (monday, monday + dt.timedelta(days=7))
            )
            second = dt.timedelta(seconds=1)
            self.week_bounds[week] = ((w0 - self.base) // second, (w1 - self.base) // second)
        w0, w1 = self.week_bounds[week]
        d = self.weeks[week].toordinal()
        near = [k for key in range(d - 1, d + 8) for k in self.taken_on.get(key, [])]
        taken = sorted((self.start_s[k], self.end_s[k]) for k in near)
        # the week's free stretches beside the shifts taken; a new shift cuts into them
        free: list[tuple[int, int]] = []
        free_from = w0
        for s0, s1 in taken:
            if min(s0, w1) > free_from:
                free.append((free_from, min(s0, w1)))
            free_from = max(free_from, s1)
        if w1 > free_from:
            free.append((free_from, w1))
        ok = np.zeros(len(start), dtype=bool)
        for g0, g1 in free:
            ok |= (np.minimum(g1, start) - g0 >= need) | (g1 - np.maximum(g0, end) >= need)
        return ok


@dataclass(frozen=True)
class _SiteShifts:
    """A site's candidate shifts as read-only arrays for :class:`_AgentState`, one per site.

    What the rules read of each shift (date, minutes, template, night, weekend, UTC
    span) is the same for every agent of the site: built per agent, it was a quarter
    of the greedy's time on Curtois 24 (150 nurses, 11,648 shifts each).
    """

    longest_h: float
    ordinal: np.ndarray  # local date
    minutes: np.ndarray
    template: np.ndarray
    night: np.ndarray
    base: dt.datetime | None  # the earliest UTC start; spans in [s] from it
    start_s: np.ndarray
    end_s: np.ndarray
    names: list[str]  # templates, sorted: ``template_code`` indexes them
    template_code: np.ndarray
    after: np.ndarray  # after[x, y]: template y may not follow x on the next day
    weekend: np.ndarray  # on a weekend day of the horizon's dates
    weekend_key: np.ndarray  # ordinal of the first day of its weekend, -1 for none

    @staticmethod
    def of(m: RosterModel, site: str) -> _SiteShifts:
        key = ("greedy_site_shifts", site)
        if key not in m._cache:
            m._cache[key] = _SiteShifts._build(m, site)
        return m._cache[key]

    @staticmethod
    def _build(m: RosterModel, site: str) -> _SiteShifts:
        shifts = m.shifts[site]
        rules = m.problem.site(site).rules
        first = m.problem.start_date
        last = first + dt.timedelta(days=m.problem.days - 1)
        ordinal = np.array([x.local_date.toordinal() for x in shifts], dtype=np.int64)
        base = min((x.start_utc for x in shifts), default=None)
        second = dt.timedelta(seconds=1)
        names = sorted({x.template for x in shifts})
        code = {name: i for i, name in enumerate(names)}
        pairs = set(rules.forbidden_successions)
        inside = (ordinal >= first.toordinal()) & (ordinal <= last.toordinal())
        weekend = np.array([x.weekend for x in shifts], dtype=bool) & inside
        site_shifts = _SiteShifts(
            longest_h=max((x.minutes for x in shifts), default=0) / 60,
            ordinal=ordinal,
            minutes=np.array([x.minutes for x in shifts], dtype=np.int64),
            template=np.array([x.template for x in shifts], dtype=object),
            night=np.array([x.night for x in shifts], dtype=bool),
            base=base,
            start_s=np.array([(x.start_utc - base) // second for x in shifts], dtype=np.int64),
            end_s=np.array([(x.end_utc - base) // second for x in shifts], dtype=np.int64),
            names=names,
            template_code=np.array([code[x.template] for x in shifts], dtype=np.int64),
            after=np.array([[(x, y) in pairs for y in names] for x in names], dtype=bool).reshape(len(names), -1),
            weekend=weekend,
            weekend_key=np.array(
                [_weekend_start(x.local_date, rules.weekend_days, first).toordinal() if w else -1
                 for x, w in zip(shifts, weekend)], dtype=np.int64),
        )
        for array in vars(site_shifts).values():
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
        return site_shifts


def _weekend_start(day: dt.date, weekend_days, first: dt.date) -> dt.date:
    """First date (not before ``first``) of the run of weekend days that ``day`` belongs to."""
    while (day - dt.timedelta(days=1)).weekday() in weekend_days and day - dt.timedelta(days=1) >= first:
        day -= dt.timedelta(days=1)
    return day


class _Valuation:
    """What each candidate shift is worth to each agent, kept up to date as shifts are taken.

    A shift's worth: the coverage it adds, summed over its intervals at the best weight
    among the agent's languages (a missing floor agent is worth far more than a missing
    required agent; an agent above requirement costs a little), plus what it does
    against per-shift demand and the agent's preferences, minus its cost.
    """

    def __init__(self, m: RosterModel, *, track_rules: bool = True) -> None:
        p = m.problem
        n = p.num_intervals
        hours = p.interval_minutes / 60
        self.m = m
        self.under_w = p.weights.under_staffing * hours * COST_SCALE
        self.over_w = p.weights.over_staffing * hours * COST_SCALE
        self.floor_w = 100 * max(self.under_w, 1.0) + 1e6
        langs = m.languages
        self.langs = langs
        li = {lang: i for i, lang in enumerate(langs)}
        self.floor_def = np.array([m.floors.get(lang, np.zeros(n)) for lang in langs], dtype=float).reshape(
            len(langs), n
        )
        self.req_def = np.array([m.required.get(lang, np.zeros(n)) for lang in langs], dtype=float).reshape(
            len(langs), n
        )
        self.cover = {site: _cover_matrix(m, shifts) for site, shifts in m.shifts.items()}
        # what each agent's rules still allow it: without ``track_rules`` (the re-plan, whose
        # one-agent models hold the rules) none, which was half its time on Curtois 23
        self.states = [_AgentState(m, a) for a in range(len(m.agents))] if track_rules else []
        self.groups: dict[tuple[str, tuple[int, ...]], list[int]] = defaultdict(list)
        for a, agent in enumerate(m.agents):
            profile = tuple(sorted(li[x] for x in set(agent.languages) if x in li))
            self.groups[(agent.site, profile)].append(a)
        self.profile_of = {a: profile for (_, profile), members in self.groups.items() for a in members}
        self.demand = _ShiftDemandState(m)
        by_date: dict[str, dict[dt.date, list[int]]] = {}
        for site, shifts in m.shifts.items():
            by_date[site] = defaultdict(list)
            for k, s in enumerate(shifts):
                by_date[site][s.local_date].append(k)
        self.wishes = [_preference_values(m, a, by_date[ag.site]) for a, ag in enumerate(m.agents)]
        # whole-shift cost with currency and premiums, in objective units; agents of one site and hourly
        # cost share it (Curtois 24: 150 unpaid nurses, 1.75M identical zeros, 3.6 s per valuation)
        costs: dict[tuple[str, float], np.ndarray] = {}
        for ag in m.agents:
            if (ag.site, ag.hourly_cost) not in costs:
                costs[(ag.site, ag.hourly_cost)] = np.array(
                    [shift_cost(p, ag, s) * COST_SCALE for s in m.shifts[ag.site]], dtype=float)
        self.cost = [costs[(ag.site, ag.hourly_cost)] for ag in m.agents]
        # a floor of a language few agents speak is worth more: those agents serve it first,
        # not a widely spoken language that others could cover (the greedy cannot undo a pick)
        speakers = np.array([sum(lang in ag.languages for ag in m.agents) for lang in langs], dtype=float)
        self.scarcity = (len(m.agents) / np.maximum(speakers, 1.0)).reshape(len(langs), 1)
        self.served: dict[tuple[tuple[str, ...], str, int], int] = defaultdict(int)
        # what each assignment took off the deficits (the language it served depends on the
        # deficits at the time): exactly what :meth:`unassign` gives back
        self.taken: dict[tuple[int, int], tuple] = {}

    def weights(self, cols: slice = slice(None)) -> np.ndarray:
        """What one more agent is worth per language and interval (``cols`` of them: the whole grid by default)."""
        floor, req = self.floor_def[:, cols], self.req_def[:, cols]
        return np.where(floor > 0, self.floor_w * self.scarcity, np.where(req > 0, self.under_w, -self.over_w))

    def assign(self, a: int, k: int) -> None:
        m, profile = self.m, self.profile_of[a]
        site = m.agents[a].site
        if self.states:
            self.states[a].take(k)
        self.demand.take(site, k)
        if not profile:
            return
        s = m.shifts[site][k]
        w = self.weights(slice(s.first, s.last))[list(profile)]
        best = np.asarray(profile)[w.argmax(axis=0)]
        cols = np.arange(s.first, s.last)
        share = self.cover[site][k, s.first : s.last].toarray().ravel()
        names = tuple(self.langs[i] for i in profile)
        for lang_i, t in zip(best, cols):
            self.served[(names, self.langs[lang_i], int(t))] += 1
        on_floor = self.floor_def[best, cols] > 0
        self.floor_def[best[on_floor], cols[on_floor]] -= share[on_floor]
        self.req_def[best, cols] -= share
        self.taken[(a, k)] = (names, best, cols, share, on_floor)

    def unassign(self, a: int, k: int) -> None:
        """Give back what :meth:`assign` took for agent ``a``'s shift ``k`` (not with the agents' rule states)."""
        assert not self.states, "rule states cannot be undone"
        self.demand.give(self.m.agents[a].site, k)
        done = self.taken.pop((a, k), None)
        if done is None:  # an agent without a relevant language: demand only
            return
        names, best, cols, share, on_floor = done
        for lang_i, t in zip(best, cols):
            self.served[(names, self.langs[lang_i], int(t))] -= 1
        self.floor_def[best[on_floor], cols[on_floor]] += share[on_floor]
        self.req_def[best, cols] += share

    def coverage_gain(self, a: int) -> np.ndarray:
        """Per shift of the agent's site: what it adds to coverage (per-shift demand included)."""
        site, profile = self.m.agents[a].site, self.profile_of[a]
        gain = self.demand.value[site].copy()
        if profile:
            gain += self.cover[site] @ self.weights()[list(profile)].max(axis=0)
        return gain

    def worth(self, a: int) -> np.ndarray:
        """Per shift of the agent's site: its whole worth to the agent now (rules not applied)."""
        return self.coverage_gain(a) + self.wishes[a] - self.cost[a]

    def best_of(self, a: int) -> tuple[float, int]:
        st = self.states[a]
        if not st.mask.any():
            return 0.0, -1
        value = np.where(st.mask, self.worth(a), -np.inf)
        k = int(value.argmax())
        return float(value[k]), k


def greedy_roster(
    m: RosterModel, fixed: list[list[int]] | None = None, closed: list[set[int]] | None = None
) -> StartingRoster:
    """A roster that keeps every agent rule and covers floors and requirements greedily.

    ``fixed[a]`` lists shifts agent ``a`` already has (a published or earlier-planned
    part of the horizon): they are taken first, so the greedy plans around them;
    ``closed[a]`` lists shifts it may not take (decided against).
    """
    v = _Valuation(m)
    for a, ks in enumerate(closed or []):
        v.states[a].mask[sorted(ks)] = False
    for a, ks in enumerate(fixed or []):
        for k in ks:
            v.assign(a, k)

    # Lazy greedy: a shift's value only falls as others are taken (deficits shrink,
    # masks only lose shifts), so an agent's last value bounds its next one; only the
    # agent on top of the heap is re-valued, which is the same pick as re-valuing all.
    heap = [(-value, a) for a in range(len(m.agents)) for value, _ in [v.best_of(a)] if value > 0]
    heapq.heapify(heap)
    while heap:
        _, a = heapq.heappop(heap)
        value, k = v.best_of(a)
        if value <= 0:
            continue
        if heap and value < -heap[0][0]:
            heapq.heappush(heap, (-value, a))
            continue
        v.assign(a, k)
        heapq.heappush(heap, (-value, a))

    _top_up_minimums(v)
    return StartingRoster([st.taken for st in v.states], dict(v.served))


def replan_agents(
    m: RosterModel,
    start: StartingRoster,
    agents: set[int],
    *,
    time_limit_s: float,
    seed: int = 0,
    deterministic_time: float | None = None,
    first_only: bool = False,
    stretch: bool = True,
) -> StartingRoster:
    """Re-plan ``agents`` one at a time, each the best roster of its own against everyone else's shifts.

    The greedy takes one shift at a time, so it knows weekly and horizon totals but not
    runs of days: where contracts ask for minimum runs on and off (nurse rosters), it
    leaves most agents short. Here each agent in turn gets an exact CP-SAT model of its
    own rules (:data:`~fts_scheduler.rules.AGENT_RULES`, nobody else in it), whose
    objective is each shift's worth against the coverage the others leave (what the
    greedy values), so the best roster of that small model is the agent's best reply.
    Agents are re-planned in order, each seeing the ones before; the agents whose model
    finds nothing in its share of ``time_limit_s`` get a second round with the time
    left (:data:`REPLAN_RESERVE` at least), and keep their starting shifts if that
    finds nothing either. With
    ``deterministic_time`` each agent's model gets an equal share of that many CP-SAT
    work units instead (``time_limit_s`` then only caps each one's wall time): the same
    agents get the same rosters on any machine. ``first_only``: each agent's first roster
    that keeps its rules (the day-by-day search), not the best: a whole roster in
    seconds, which :func:`improve_replies` then improves; ``time_limit_s`` then gives each
    agent :data:`FIRST_LINE_S` at least (two at a time), even past it, unless not ``stretch``
    (a caller's deadline: the agents without a first roster in time stay short).
    """
    # only the coverage matters here: each agent's own rules are in its one-agent model
    v = _Valuation(m, track_rules=False)
    for a, ks in enumerate(start.shifts):
        if a not in agents:
            for k in ks:
                v.assign(a, k)
    shifts = [list(ks) for ks in start.shifts]
    last: list[int] = []
    with _reply_lanes(m, agents) as pool:
        if deterministic_time is not None:
            limits = {"time_limit_s": time_limit_s, "work_units": deterministic_time / max(1, len(agents)),
                      "first_only": first_only}
            missed = _reply_round(m, v, pool, sorted(agents), shifts, last, seed, lambda _groups_left: limits)
        else:
            if first_only and stretch:
                # each first roster is worth more than the budget: an agent without one stays short, and
                # the roster is then found only by freeing it in a completion (Curtois 24, 148 nurses at
                # ~1 s each two at a time: 25 left short in 60 s and no roster at all)
                time_limit_s = max(time_limit_s, len(agents) * FIRST_LINE_S / REPLY_THREADS / (1 - REPLAN_RESERVE))
            deadline = time.perf_counter() + time_limit_s

            def limits_until(end: float):
                def limits(groups_left: int) -> dict:
                    left = end - time.perf_counter()
                    if left <= 0:  # out of time: the rest are missed
                        return {}
                    share = left / groups_left
                    # a tight budget buys each agent a first roster rather than nobody an optimal one
                    return {"time_limit_s": max(share, min(left, REPLY_MIN_S)),
                            "first_only": first_only or share < REPLY_MIN_S}
                return limits

            missed = _reply_round(m, v, pool, sorted(agents), shifts, last, seed,
                                  limits_until(deadline - REPLAN_RESERVE * time_limit_s))
            # a second chance for the agents that got nothing (out of time, or no roster
            # found in their share): the reserve and whatever the first round left
            missed = _reply_round(m, v, pool, missed, shifts, last, seed, limits_until(deadline))
    for a in missed:  # they keep their starting shifts
        for k in shifts[a]:
            v.assign(a, k)
    return StartingRoster(shifts, dict(v.served))


def improve_replies(
    m: RosterModel,
    start: StartingRoster,
    agents: set[int],
    *,
    time_limit_s: float,
    seed: int = 0,
    deterministic_time: float | None = None,
) -> StartingRoster:
    """Best-reply descent: ``agents`` in turn re-planned against everyone else's shifts, round after round.

    Each agent gets the exact model of its own rules that :func:`replan_agents` solves,
    now against the coverage the whole roster leaves (not only the agents before it),
    hinted with its current shifts; a reply is taken only where it is worth more than
    those shifts against the roster as it is then (two agents re-plan at once and may
    chase the same gap). Rounds go on while one gains and time is left. On per-shift
    demand (nurse rosters) a shift's worth is exactly what it changes in the
    objective, so the roster's cost only falls; floors count at their high weight.
    ``deterministic_time`` splits that many CP-SAT work units equally over one round's
    agents (one round then: the same rosters on any machine).
    """
    v = _Valuation(m, track_rules=False)
    for a, ks in enumerate(start.shifts):
        for k in ks:
            v.assign(a, k)
    shifts = [list(ks) for ks in start.shifts]
    order = sorted(agents)
    deadline = time.perf_counter() + time_limit_s

    def worth_alone(a: int) -> np.ndarray:
        for k in shifts[a]:
            v.unassign(a, k)
        worth = v.worth(a)
        for k in shifts[a]:
            v.assign(a, k)
        return worth

    with _reply_lanes(m, agents) as pool:
        gained = True
        while gained and order:
            gained = False
            for i in range(0, len(order), REPLY_THREADS):
                left = deadline - time.perf_counter()
                if deterministic_time is None and left <= 0:
                    break
                if deterministic_time is None:
                    limits = {"time_limit_s": max(left / (-(-(len(order) - i) // REPLY_THREADS)), REPLY_MIN_S)}
                else:
                    limits = {"time_limit_s": time_limit_s, "work_units": deterministic_time / len(order)}
                chunk = order[i : i + REPLY_THREADS]
                futures = [pool.submit(a, worth_alone(a), shifts[a], seed=seed, from_hint=True, **limits)
                           for a in chunk]
                for a, future in zip(chunk, futures):
                    mine = future.result()
                    if mine is None or mine == shifts[a]:
                        continue
                    worth = worth_alone(a)
                    if worth[mine].sum() <= worth[shifts[a]].sum() + REPLY_MIN_GAIN:
                        continue
                    for k in shifts[a]:
                        v.unassign(a, k)
                    shifts[a] = mine
                    for k in mine:
                        v.assign(a, k)
                    gained = True
            if deterministic_time is not None or time.perf_counter() >= deadline:
                break
    return StartingRoster(shifts, {key: n for key, n in v.served.items() if n})


def _reply_round(m, v, pool, order: list[int], shifts: list[list[int]], last: list[int], seed: int,
                 limits_for) -> list[int]:
    """Best replies for ``order``, :data:`REPLY_THREADS` at a time; the agents that got none.

    Each group sees the agents re-planned before it (their shifts are assigned in ``v``),
    not the others in it; a fixed group size, so results do not depend on the cores.
    ``limits_for(groups_left)``: the keyword limits of each agent's search (empty: out of time).
    """
    missed: list[int] = []
    for i in range(0, len(order), REPLY_THREADS):
        chunk = order[i : i + REPLY_THREADS]
        limits = limits_for(-(-(len(order) - i) // REPLY_THREADS))
        if not limits:
            missed += order[i:]
            break
        futures = [pool.submit(a, v.worth(a), list(last), seed=seed, **limits) for a in chunk]
        for a, future in zip(chunk, futures):
            mine = future.result()
            if mine is None:
                missed.append(a)
                continue
            shifts[a] = mine
            last[:] = mine
            for k in mine:
                v.assign(a, k)
    return missed


def _reply_lanes(m: RosterModel, agents: set[int]):
    """:data:`REPLY_THREADS` lanes running :func:`_best_reply` on ``m``: forked processes where the
    agents have :data:`FORK_MIN_SHIFTS` shifts or more between them, threads otherwise."""
    fork = sum(len(m.work[a]) for a in agents) >= FORK_MIN_SHIFTS
    return lanes(functools.partial(_best_reply, m), REPLY_THREADS, fork=fork)


FORK_MIN_SHIFTS = 20_000
"""Shift variables of the agents to re-plan from which their replies run in forked processes
(:mod:`~fts_scheduler.lanes`), not threads: building each one-agent model is Python, one
agent at a time under the lock in threads. First rosters of the nurses the greedy leaves
short, threads -> forks, the same rosters: Curtois 24 (148 nurses, 1.1M shifts) 36.9 ->
21.6 s, 23 (333k) 12.7 -> 8.5 s, 21 (91k) 5.5 -> 4.7 s, 13 (38k) 1.24 -> 1.04 s; below
~10k shifts, the fork's tens of milliseconds are not repaid (16: 0.17 -> 0.22 s)."""

REPLAN_RESERVE = 0.2
"""Share of :func:`replan_agents`' time kept for a second round over the agents the first left without a roster."""


REPLY_THREADS = 2
"""Agents re-planned at once by :func:`replan_agents` (Curtois 20 on 2 cores: 21.7 s for 50 nurses, ~37 s one at a time)."""

REPLY_GAP = 0.02
"""Relative gap at which one agent's model stops: its objective is a greedy valuation, not the roster's cost."""

REPLY_MIN_GAIN = 0.5
"""Least gain [objective units] for :func:`improve_replies` to take a reply: less is rounding."""

REPLY_MIN_S = 1.0
"""Least time for one agent's model: equal shares of too short a budget would re-plan
nobody rather than the first agents."""

FIRST_LINE_S = 1.0
"""Time for the day-by-day searches of one agent's first roster (:func:`_first_line`):
a nurse of Curtois 22 (364 days, ten shift types) has one in about 0.2 s where
CP-SAT's default search needs 2-3.5 s."""

FORWARD_SHARE = 0.75
"""Share of :data:`FIRST_LINE_S` for the forward pass of :func:`_first_line`; the backward pass gets the rest."""


def agent_model(m: RosterModel, a: int, *, automata: bool = True) -> RosterModel:
    """Agent ``a`` alone: its shift variables and its own rules (:data:`~fts_scheduler.rules.AGENT_RULES`).

    The shifts are the model's first variables, in ``m.work[a]``'s order (indices 0..n-1), which
    callers' objectives, hints and read-backs write and read in bulk (per-variable calls were ~0.1 s
    of a Curtois 24 nurse's 0.47 s, under Python's lock, two nurses at a time). Shifts the caller
    fixed in the whole model's domains (earlier weeks of a rolling plan) hold here too: without
    this, a reply undid them and the completion was infeasible. ``automata``: the runs-of-days
    automaton beside the clauses (:attr:`RosterModel.automata_wanted`).
    """
    model = cp_model.CpModel()
    keys = list(m.work[a])
    work = {k: model.new_bool_var(f"work({k})") for k in keys}
    alone = RosterModel(
        problem=m.problem,
        model=model,
        agents=[m.agents[a]],
        shifts=m.shifts,
        work=[work],
        languages=m.languages,
        floors={},
        required={},
        automata_wanted=automata,
    )
    for rule in AGENT_RULES:
        rule(alone)
    proto = m.model.Proto()
    for k, v in m.work[a].items():
        lo, hi = boolean_bounds(proto, v.Index())
        if lo == hi:
            model.Add(work[k] == lo)
    return alone


def write_worth(model: cp_model.CpModel, keys: list[int], worth: np.ndarray) -> None:
    """Make a one-agent model (:func:`agent_model`) maximise ``worth`` of its shifts (minimise the negation),
    replacing its objective."""
    # straight into the proto: the objective helper walks an expression of ~10,000 terms in
    # Python (Curtois 24: 0.04 s of a reply's 0.4 s, and the replies build under one lock)
    objective = model.Proto().objective
    objective.vars.clear()
    objective.coeffs.clear()
    objective.vars.extend(range(len(keys)))
    objective.coeffs.extend((-np.rint(worth[keys])).astype(np.int64).tolist())


def _best_reply(
    m: RosterModel, a: int, worth: np.ndarray, hint: list[int], *, time_limit_s: float, seed: int,
    first_only: bool = False, work_units: float | None = None, from_hint: bool = False,
) -> list[int] | None:
    """The shifts of agent ``a`` that keep its own rules and are worth most (None: none found in time).

    First a quick roster: each day in turn, the shift worth most that the rules still
    allow (CP-SAT's fixed search, which backtracks where a choice leads nowhere). Then,
    unless ``first_only``, CP-SAT's own search from it (or from ``hint``, the previous
    agent's reply, often nearly right for this one too) towards the roster worth most.
    ``work_units``: a limit in CP-SAT's deterministic work units besides ``time_limit_s``,
    half for each search. ``from_hint``: ``hint`` keeps the agent's rules (its current
    shifts): no quick roster, the whole time and work for CP-SAT's search from it.
    """
    alone = agent_model(m, a)
    model, keys = alone.model, list(alone.work[0])
    write_worth(model, keys, worth)
    model.Proto().objective.scaling_factor = -1.0  # reported as the worth itself
    t0 = time.perf_counter()
    if from_hint:
        line = None
    else:
        # a second chance (the re-plan's second round) is a long budget: half of it for this search
        line = _first_line(alone, worth, time_limit_s=min(time_limit_s, max(FIRST_LINE_S, time_limit_s / 2)),
                           seed=seed, work_units=None if work_units is None else work_units / 2)
        if line is not None and first_only:
            return line
        if work_units is not None:
            work_units /= 2
    start = set(line if line is not None else hint)
    set_hint(model.Proto(), [int(k in start) for k in keys])
    solver = new_solver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s - (time.perf_counter() - t0))
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    solver.parameters.linearization_level = 2
    solver.parameters.relative_gap_limit = REPLY_GAP
    solver.parameters.stop_after_first_solution = first_only
    if work_units is not None:
        solver.parameters.max_deterministic_time = work_units
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return line
    return _taken(solver, keys)


def _taken(solver: cp_model.CpSolver, keys: list[int]) -> list[int]:
    """The shifts (sorted) of a one-agent model's roster, whose first variables are ``keys``' shifts in order."""
    values = solver.ResponseProto().solution
    return sorted(k for k, x in zip(keys, values) if x)


def _first_line(
    alone: RosterModel, worth: np.ndarray, *, time_limit_s: float, seed: int, work_units: float | None
) -> list[int] | None:
    """One agent's roster built day by day, each day the shift worth most that still fits (None: none in time).

    From the first day on and, where that finds nothing in :data:`FORWARD_SHARE` of the
    time, from the last day back: on Curtois 22 (50 nurses, 364 days) each direction
    found a roster for all but a different three or six nurses, in about 0.2 s each
    (0.4 s on 23).
    """
    (work,) = alone.work
    keys = list(work)
    shifts = alone.shifts[alone.agents[0].site]
    by_time = sorted(work, key=lambda k: (shifts[k].start_utc, -worth[k]))
    by_day = [list(g) for _, g in itertools.groupby(by_time, key=lambda k: shifts[k].start_utc.date())]
    proto = alone.model.Proto()
    solver = new_solver()
    solver.parameters.search_branching = cp_model.FIXED_SEARCH
    # a fixed search on a model this small: presolve, the LP, probing and symmetry cost more than they
    # prune (Curtois 22: 0.2 s a nurse without presolve and LP, 0.5 s with the LP, 1.1 s with presolve
    # too; Curtois 24, 32 shift types: 0.95-1.08 s with probing and symmetry, 0.44-0.50 s without,
    # which let the re-plan give all 148 nurses a roster in 49 s where it left 28 short)
    solver.parameters.cp_model_presolve = False
    solver.parameters.linearization_level = 0
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    solver.parameters.stop_after_first_solution = True
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    for days, share in ((by_day, FORWARD_SHARE), (by_day[::-1], 1 - FORWARD_SHARE)):
        solver.parameters.max_time_in_seconds = max(0.01, share * time_limit_s)
        if work_units is not None:
            solver.parameters.max_deterministic_time = share * work_units
        # "works this shift" first: the contract minimums hold only if the agent works. Written
        # straight into the proto: AddDecisionStrategy adds one expression per variable in Python
        strategy = proto.search_strategy.add()
        strategy.variables.extend(work[k].Index() for day in days for k in day)
        strategy.variable_selection_strategy = cp_model.CHOOSE_FIRST
        strategy.domain_reduction_strategy = cp_model.SELECT_MAX_VALUE
        try:
            if solver.Solve(alone.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return _taken(solver, keys)
        finally:
            proto.search_strategy.clear()
    return None


class _ShiftDemandState:
    """What a shift is worth against ``Problem.shift_demands``, kept up to date as shifts are taken.

    ``value[site][k]``: the under-staffing weight while the shift's (template, date)
    still lacks agents, minus the over-staffing weight once it has enough.
    """

    def __init__(self, m: RosterModel) -> None:
        self.left: dict[tuple[str, dt.date, str | None], int] = {}
        self.under: dict[tuple[str, dt.date, str | None], float] = {}
        self.over: dict[tuple[str, dt.date, str | None], float] = {}
        for d in m.problem.shift_demands:
            key = (d.shift, d.date, d.site)
            self.left[key] = self.left.get(key, 0) + d.agents
            self.under[key] = d.under_weight * COST_SCALE
            self.over[key] = d.over_weight * COST_SCALE
        self.keys: dict[str, list[list]] = {}
        self.by_key: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
        self.value: dict[str, np.ndarray] = {}
        for site, shifts in m.shifts.items():
            per_shift = []
            for k, s in enumerate(shifts):
                mine = [key for key in ((s.template, s.local_date, site), (s.template, s.local_date, None))
                        if key in self.left]
                per_shift.append(mine)
                for key in mine:
                    self.by_key[key].append((site, k))
            self.keys[site] = per_shift
            self.value[site] = np.array([self._worth(keys) for keys in per_shift], dtype=float)

    def _worth(self, keys: list) -> float:
        return sum(self.under[key] if self.left[key] > 0 else -self.over[key] for key in keys)

    def take(self, site: str, k: int) -> None:
        self._add(site, k, -1)

    def give(self, site: str, k: int) -> None:
        self._add(site, k, 1)

    def _add(self, site: str, k: int, change: int) -> None:
        for key in self.keys[site][k]:
            self.left[key] += change
            for other_site, j in self.by_key[key]:
                self.value[other_site][j] = self._worth(self.keys[other_site][j])


def _preference_values(m: RosterModel, a: int, by_date: dict[dt.date, list[int]]) -> np.ndarray:
    """Per candidate shift of the agent's site: the preference weight taking it gains (or loses)."""
    agent = m.agents[a]
    shifts = m.shifts[agent.site]
    out = np.zeros(len(shifts))
    first = m.problem.start_date
    for pref in agent.preferences:
        if pref.date is not None:
            days = [pref.date]
        else:
            days = [d for d in (first + dt.timedelta(days=i) for i in range(m.problem.days)) if d.weekday() == pref.weekday]
        for day in days:
            for k in by_date.get(day, []):
                if pref.shift is None or shifts[k].template == pref.shift:
                    out[k] += (1 if pref.kind == "on" else -1) * pref.weight * COST_SCALE
    return out


def _cover_matrix(m: RosterModel, shifts: list) -> np.ndarray:
    """Expected presence of each candidate shift per interval: 1 on duty, less where a break may fall.

    A break of ``minutes`` placed anywhere in its window takes an agent away from each
    interval of the window with probability about minutes / window; counting that
    share makes the greedy staff break windows a little more, so the breaks CP-SAT
    places later still leave the floors covered.
    """
    templates = {t.name: t for t in m.problem.shift_templates}
    step = m.problem.interval_minutes
    rows, cols, vals = [], [], []
    for k, s in enumerate(shifts):
        row = np.ones(s.last - s.first)
        for rule in templates[s.template].breaks:
            a = s.start_utc + dt.timedelta(hours=rule.earliest_after_hours)
            b = s.start_utc + dt.timedelta(hours=rule.latest_after_hours, minutes=rule.minutes)
            first, last = grid_span(m.problem, a, b)
            first, last = max(first, s.first), min(last, s.last)
            if last > first:
                window = (b - a).total_seconds() / 60
                row[first - s.first : last - s.first] -= min(1.0, (rule.minutes + step) / window)
        rows.append(np.full(len(row), k))
        cols.append(np.arange(s.first, s.last))
        # never negative (overlapping break windows): a shift's worth must only fall as deficits do
        vals.append(np.clip(row, 0.0, None))
    shape = (len(shifts), m.problem.num_intervals)
    if not shifts:
        return sparse.csr_matrix(shape)
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape)


def _top_up_minimums(v: _Valuation) -> None:
    """Give agents below their contract minimum the most useful shifts they may still take."""
    m = v.m
    p = m.problem
    first, last = p.start_date, p.start_date + dt.timedelta(days=p.days - 1)
    for a, agent in enumerate(m.agents):
        if agent.contract.min_weekly_hours <= 0:
            continue
        st = v.states[a]
        site = agent.site
        profile = v.profile_of.get(a, ())
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
                weights = v.weights()[list(profile)].max(axis=0) if profile else np.zeros(p.num_intervals)
                value = np.where(in_week, v.cover[site] @ weights - v.cost[a], -np.inf)
                v.assign(a, int(value.argmax()))


def agents_below_minimums(m: RosterModel, start: StartingRoster) -> set[int]:
    """Agents whose greedy shifts miss a contract minimum the greedy only tops up (hours
    per week or over the horizon, runs of days on or off): re-plan these first."""
    p = m.problem
    first, last = p.start_date, p.start_date + dt.timedelta(days=p.days - 1)
    weeks = {monday.isocalendar()[:2]: monday for monday, _ in m.full_weeks()}
    out: set[int] = set()
    for a, agent in enumerate(m.agents):
        c = agent.contract
        shifts = [m.shifts[agent.site][k] for k in start.shifts[a]]
        per_week: dict[tuple[int, int], int] = defaultdict(int)
        for s in shifts:
            per_week[s.local_date.isocalendar()[:2]] += s.minutes
        if any(per_week[w] < minimum_weekly_minutes(agent, monday) for w, monday in weeks.items()):
            out.add(a)
            continue
        inside = sum(s.minutes for s in shifts if first <= s.local_date <= last)
        if c.min_horizon_hours is not None and inside < round(c.min_horizon_hours * 60):
            out.add(a)
            continue
        worked = [first + dt.timedelta(days=d) in {s.local_date for s in shifts} for d in range(p.days)]
        if _short_inner_run(worked, True, c.min_consecutive_days) or _short_inner_run(
            worked, False, c.min_consecutive_days_off
        ):
            out.add(a)
    return out


def _short_inner_run(worked: list[bool], on: bool, minimum: int | None) -> bool:
    """A run of ``on`` days shorter than ``minimum`` that touches neither end of the horizon."""
    if not minimum or minimum < 2:
        return False
    d, n = 0, len(worked)
    while d < n:
        if worked[d] != on:
            d += 1
            continue
        e = d
        while e < n and worked[e] == on:
            e += 1
        if d > 0 and e < n and e - d < minimum:
            return True
        d = e
    return False
