"""An independent check of a finished roster against every hard rule.

This module shares no code with the CP-SAT model (:mod:`~fts_scheduler.optimizer`,
:mod:`~fts_scheduler.rules`, :mod:`~fts_scheduler.timegrid`): it re-reads the rules
from the :class:`~fts_scheduler.models.Problem` and the roster's ``assignments`` and
``breaks`` alone, converts local times with **pytz** (the model uses :mod:`zoneinfo`),
does its own date arithmetic (epoch seconds, ISO weeks of local dates), and checks
language floors by maximum bipartite matching (SciPy) between the agents on shift and
the floor's seats in every interval. It never trusts ``Roster.coverage``.

Every rule has one ``check_<rule>`` function; each returns :class:`Violation` objects
whose message names the agent, the local date or UTC time and the numbers involved.

An empty list means the roster is valid.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pytz
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from .models import Agent, NightRules, Problem, ShiftTemplate, Site
from .roster import Roster

__all__ = ["Violation", "validate"]

_ASSIGNMENT_COLUMNS = {"agent_id", "site", "shift", "start_utc", "end_utc", "start_local", "end_local", "hours"}
_BREAK_COLUMNS = {"agent_id", "start_utc", "end_utc", "kind"}
_EPS = 1e-6  # [h] tolerance on hour comparisons
_BREAK_STEP_S = 15 * 60  # breaks sit on 15-minute steps from the shift start


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: which rule, who (if one agent), when, and what exactly."""

    rule: str
    message: str
    agent_id: str | None = None
    when: pd.Timestamp | dt.date | None = None

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def validate(
    problem: Problem, roster: Roster | pd.DataFrame, breaks: pd.DataFrame | None = None
) -> list[Violation]:
    """Every hard-rule violation in ``roster``.

    ``roster`` is a :class:`~fts_scheduler.roster.Roster` (its ``assignments`` and
    ``breaks`` are checked) or a DataFrame of assignments, checked together with
    ``breaks`` (a DataFrame with ``agent_id``, ``start_utc``, ``end_utc``, ``kind``;
    default: no breaks). A ``breaks`` frame given with a Roster replaces ``roster.breaks``.
    """
    if isinstance(roster, Roster):
        shifts = roster.assignments
        if breaks is None:
            breaks = roster.breaks
    else:
        shifts = roster
    missing = _ASSIGNMENT_COLUMNS - set(shifts.columns)
    if missing:
        return [Violation("schema", f"assignments lack columns {sorted(missing)}")]
    if breaks is not None and len(breaks.columns) and _BREAK_COLUMNS - set(breaks.columns):
        return [Violation("schema", f"breaks lack columns {sorted(_BREAK_COLUMNS - set(breaks.columns))}")]

    ctx = _Context(problem)
    out: list[Violation] = []
    rows: list[_Shift] = []
    for r in shifts.itertuples(index=False):
        s = _shift(ctx, r)
        if s is None:
            msg = f"{r.agent_id}: shift {r.shift!r} has a missing start_utc/end_utc"
            out.append(Violation("time", msg, r.agent_id))
        else:
            rows.append(s)
    brk: list[_Break] = []
    if breaks is not None and len(breaks):
        for b in breaks.itertuples(index=False):
            x = _break(b)
            if x is None:
                msg = f"{b.agent_id}: break {b.kind!r} has a missing start_utc/end_utc"
                out.append(Violation("breaks", msg, b.agent_id))
            else:
                brk.append(x)

    out += check_shift_times(problem, rows)
    known = [r for r in rows if r.agent is not None]
    out += check_one_shift_per_local_day(problem, known)
    out += check_unavailable(problem, known)
    out += check_rest(problem, known)
    out += check_weekly_hours(problem, known)
    out += check_consecutive_days(problem, known)
    out += check_max_daily_hours(problem, known)
    out += check_weekly_rest(problem, known)
    out += check_site_weekly_hours(problem, known)
    out += check_average_weekly_hours(problem, known)
    out += check_shifts_per_week(problem, known)
    out += check_nights(problem, known)
    out += check_weekends_off(problem, known)
    out += check_max_weekends(problem, known)
    out += check_horizon_hours(problem, known)
    out += check_shifts_by_template(problem, known)
    out += check_min_consecutive(problem, known)
    out += check_forbidden_successions(problem, known)
    out += check_closed_holidays(problem, known)
    out += check_opening_hours(problem, known)
    out += check_availability(problem, known)
    out += check_team_lead(problem, known)
    out += check_breaks(problem, known, brk)
    out += check_language_floors(problem, known, brk)
    return out


# --------------------------------------------------------------------------- the rows


class _Context:
    """Look-ups every row needs once: agents, sites, pytz zones, templates."""

    def __init__(self, problem: Problem) -> None:
        self.agents: dict[str, Agent] = {a.id: a for a in problem.agents}
        self.sites: dict[str, Site] = {s.name: s for s in problem.sites}
        self.zones = {s.name: pytz.timezone(s.timezone) for s in problem.sites}
        self.templates: dict[str, ShiftTemplate] = {t.name: t for t in problem.shift_templates}


@dataclass(slots=True)
class _Shift:
    """One assignment row plus what the checks derive from it (once)."""

    agent_id: str
    site: str
    shift: str
    start_utc: pd.Timestamp  # as given (tz-aware or not)
    end_utc: pd.Timestamp
    start_local: object
    end_local: object
    hours: object
    agent: Agent | None  # None: unknown agent
    home: Site | None  # the agent's home site (its rules and zone bind)
    zone: object  # pytz zone of the home site (or of the row's site, or UTC)
    template: ShiftTemplate | None  # None: unknown, or not a template of the row's site
    aware: bool  # start_utc and end_utc are tz-aware
    s: int  # start, epoch seconds (naive times read as UTC)
    e: int  # end, epoch seconds
    day: dt.date  # local start date (the template's date)
    naive_start: dt.datetime  # local wall-clock start, as the template names it
    clock_hours: float  # length on the local clock [h]
    start_ok: bool  # the start is one of the template's starts, read through the zone
    end_ok: bool  # the end is start + one of the template's lengths, read through the zone

    @property
    def real_hours(self) -> float:
        return (self.e - self.s) / 3600


@dataclass(frozen=True, slots=True)
class _Break:
    agent_id: str
    kind: str
    s: int
    e: int
    start_utc: pd.Timestamp


def _epoch(ts: pd.Timestamp) -> int:
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(round(ts.timestamp()))


def _shift(ctx: _Context, r) -> _Shift | None:
    start_utc, end_utc = pd.Timestamp(r.start_utc), pd.Timestamp(r.end_utc)
    if pd.isna(start_utc) or pd.isna(end_utc):
        return None
    agent = ctx.agents.get(r.agent_id)
    home = ctx.sites.get(agent.site) if agent is not None else None
    zone = ctx.zones.get(home.name if home else r.site, pytz.utc)
    t = ctx.templates.get(r.shift)
    if t is not None and t.sites is not None and r.site not in t.sites:
        t = None
    s, e = _epoch(start_utc), _epoch(end_utc)
    naive_start = None
    clock_hours = None
    if t is not None:
        naive_start, clock_hours = _match_template(zone, t, s, e)
    start_ok = naive_start is not None
    end_ok = clock_hours is not None
    if naive_start is None:
        naive_start = _wall(zone, s)
    if clock_hours is None:
        naive_end = _wall(zone, e)
        clock_hours = (naive_end - naive_start).total_seconds() / 3600
    return _Shift(
        agent_id=r.agent_id,
        site=r.site,
        shift=r.shift,
        start_utc=start_utc,
        end_utc=end_utc,
        start_local=r.start_local,
        end_local=r.end_local,
        hours=r.hours,
        agent=agent,
        home=home,
        zone=zone,
        template=t,
        aware=start_utc.tzinfo is not None and end_utc.tzinfo is not None,
        s=s,
        e=e,
        day=naive_start.date(),
        naive_start=naive_start,
        clock_hours=clock_hours,
        start_ok=start_ok,
        end_ok=end_ok,
    )


def _break(b) -> _Break | None:
    start, end = pd.Timestamp(b.start_utc), pd.Timestamp(b.end_utc)
    if pd.isna(start) or pd.isna(end):
        return None
    utc = start if start.tzinfo else start.tz_localize("UTC")
    return _Break(b.agent_id, str(b.kind), _epoch(start), _epoch(end), utc)


# --------------------------------------------------------------------------- local time (pytz)


def _localize(zone, naive: dt.datetime) -> dt.datetime:
    """Wall clock -> aware: the first of a repeated hour; a skipped one read with the old offset."""
    try:
        return zone.localize(naive, is_dst=None)
    except pytz.exceptions.AmbiguousTimeError:
        return zone.localize(naive, is_dst=True)
    except pytz.exceptions.NonExistentTimeError:
        return zone.normalize(zone.localize(naive, is_dst=False))


def _local_epoch(zone, naive: dt.datetime) -> int:
    return int(round(_localize(zone, naive).timestamp()))


_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _utc(sec: int) -> dt.datetime:
    return _UTC_EPOCH + dt.timedelta(seconds=sec)


def _wall(zone, sec: int) -> dt.datetime:
    """The local wall clock (naive) at an instant."""
    return _utc(sec).astimezone(zone).replace(tzinfo=None)


def _wall_candidates(zone, sec: int) -> list[dt.datetime]:
    """Naive local times that may read as this instant: its own wall clock, and (in a
    spring-forward gap) the wall clock with the offset in force a day earlier."""
    instant = _utc(sec)
    first = instant.astimezone(zone).replace(tzinfo=None)
    earlier = (instant - dt.timedelta(days=1)).astimezone(zone).utcoffset()
    second = (instant + earlier).replace(tzinfo=None)
    return [first] if second == first else [first, second]


def _template_starts(t: ShiftTemplate) -> list[dt.time]:
    first = t.start.hour * 60 + t.start.minute
    if t.latest_start is None:
        return [t.start]
    last = t.latest_start.hour * 60 + t.latest_start.minute
    out, m = [], first
    while m <= last:
        out.append(dt.time(m // 60, m % 60))
        m += t.start_step_minutes
    return out


def _template_lengths(t: ShiftTemplate) -> list[float]:
    out = [t.length_hours]
    out += [x for x in t.other_lengths_hours if x not in out]
    return out


def _match_template(zone, t: ShiftTemplate, s: int, e: int) -> tuple[dt.datetime | None, float | None]:
    """(naive local start, local clock length [h]) if the UTC span is a shift of ``t``."""
    starts = set(_template_starts(t))
    naive_start = None
    for cand in _wall_candidates(zone, s):
        if cand.time() in starts and _local_epoch(zone, cand) == s:
            naive_start = cand
            break
    if naive_start is None:
        return None, None
    for length in _template_lengths(t):
        if _local_epoch(zone, naive_start + dt.timedelta(hours=length)) == e:
            return naive_start, length
    return naive_start, None


def _fmt(sec: int, zone=None) -> str:
    if zone is None:
        return f"{_utc(sec):%Y-%m-%d %H:%M} UTC"
    return f"{_utc(sec).astimezone(zone):%Y-%m-%d %H:%M %Z}"


def _week(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def _week_name(week: tuple[int, int]) -> str:
    return f"{week[0]}-W{week[1]:02d}"


def _monday(week: tuple[int, int]) -> dt.date:
    return dt.date.fromisocalendar(week[0], week[1], 1)


def _full_weeks(problem: Problem) -> list[dt.date]:
    """Mondays of the ISO weeks wholly inside [start_date, start_date + days)."""
    last = problem.start_date + dt.timedelta(days=problem.days - 1)
    monday = problem.start_date + dt.timedelta(days=(7 - problem.start_date.weekday()) % 7)
    out = []
    while monday + dt.timedelta(days=6) <= last:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


def _by_agent(rows: list[_Shift]) -> dict[str, list[_Shift]]:
    out: dict[str, list[_Shift]] = defaultdict(list)
    for r in rows:
        out[r.agent_id].append(r)
    for spans in out.values():
        spans.sort(key=lambda r: (r.s, r.e))
    return out


def _h(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- checks: shifts


def check_shift_times(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """Each shift is a real template of the agent's site, placed through the site's zone.

    The local start is one of the template's starts (``start``, then every
    ``start_step_minutes`` up to ``latest_start``) on its local date, the end is the
    local clock time start + one of its lengths; both read through the site's zone
    (first occurrence of a repeated time, offset before the change in a gap).
    """
    out = []
    for r in rows:
        if r.agent is None:
            out.append(Violation("unknown_agent", f"agent {r.agent_id!r} is not in the problem", r.agent_id))
            continue
        if r.site != r.agent.site:
            out.append(Violation("site", f"{r.agent_id} works at {r.site!r}, home site is {r.agent.site!r}", r.agent_id))
            continue
        t = r.template
        if t is None:
            out.append(Violation("template", f"{r.agent_id}: shift {r.shift!r} is not a template of {r.site}", r.agent_id))
            continue
        zname = r.zone.zone
        if not r.aware:
            out.append(Violation("time", f"{r.agent_id}: start_utc/end_utc must be tz-aware", r.agent_id))
            continue
        if not r.start_ok:
            allowed = ", ".join(f"{x:%H:%M}" for x in _template_starts(t))
            out.append(
                Violation(
                    "time",
                    f"{r.agent_id}: {r.shift} starting {_fmt(r.s)} is {_fmt(r.s, r.zone)} in {zname}; "
                    f"the template starts at {allowed} local",
                    r.agent_id,
                    r.start_utc,
                )
            )
            continue
        if not r.end_ok:
            ends = ", ".join(
                f"{_h(x)} h -> {_fmt(_local_epoch(r.zone, r.naive_start + dt.timedelta(hours=x)))}"
                for x in _template_lengths(t)
            )
            out.append(
                Violation(
                    "time",
                    f"{r.agent_id}: {r.shift} on {r.day} from {r.naive_start:%H:%M} {zname} ends {_fmt(r.e)} "
                    f"({_h(r.clock_hours)} h on the local clock, {_h(r.real_hours)} h real); allowed lengths: {ends}",
                    r.agent_id,
                    r.start_utc,
                )
            )
            continue
        for col, sec in (("start_local", r.s), ("end_local", r.e)):
            local = pd.Timestamp(getattr(r, col))
            expected_offset = _utc(sec).astimezone(r.zone).utcoffset()
            if local.tzinfo is None or _epoch(local) != sec or local.utcoffset() != expected_offset:
                out.append(
                    Violation(
                        "time", f"{r.agent_id}: {col}={local} disagrees with {_fmt(sec)} in {zname}", r.agent_id, r.start_utc
                    )
                )
        if abs(float(r.hours) - r.real_hours) > _EPS:
            msg = f"{r.agent_id}: hours={r.hours} but the shift lasts {_h(r.real_hours)} h"
            out.append(Violation("time", msg, r.agent_id, r.start_utc))
    return out


def check_one_shift_per_local_day(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    seen: dict[tuple[str, dt.date], int] = defaultdict(int)
    for r in rows:
        seen[(r.agent_id, r.day)] += 1
    return [
        Violation("one_shift_per_local_day", f"{agent} has {n} shifts on local date {day}", agent, day)
        for (agent, day), n in sorted(seen.items())
        if n > 1
    ]


def check_unavailable(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    out = []
    for r in rows:
        if r.day in r.agent.unavailable:
            out.append(Violation("unavailable_dates", f"{r.agent_id} works on {r.day}, marked unavailable", r.agent_id, r.day))
    return out


def check_rest(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    out = []
    for agent_id, spans in _by_agent(rows).items():
        rules = spans[0].home.rules
        need = rules.min_rest_hours * 3600
        for a, b in zip(spans, spans[1:]):
            if b.s - a.e < need - _EPS:
                out.append(
                    Violation(
                        "minimum_rest",
                        f"{agent_id}: {(b.s - a.e) / 3600:.1f} h between the shift ending {_fmt(a.e)} "
                        f"and the one starting {_fmt(b.s)}; the site needs {rules.min_rest_hours} h",
                        agent_id,
                        b.start_utc,
                    )
                )
    return out


def _week_hours(rows: list[_Shift]) -> dict[tuple[str, tuple[int, int]], float]:
    hours: dict[tuple[str, tuple[int, int]], float] = defaultdict(float)
    for r in rows:
        hours[(r.agent_id, _week(r.day))] += r.real_hours
    return hours


def check_weekly_hours(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    agents = {a.id: a for a in problem.agents}
    hours = _week_hours(rows)
    out = []
    for (agent_id, week), h in hours.items():
        cap = agents[agent_id].contract.max_weekly_hours
        if h > cap + _EPS:
            out.append(Violation("weekly_hours", f"{agent_id}: {h:g} h in ISO week {_week_name(week)}, max {cap:g}", agent_id))
    # minimums: only ISO weeks wholly inside [start_date, start_date + days)
    for monday in _full_weeks(problem):
        week = _week(monday)
        week_days = {monday + dt.timedelta(days=k) for k in range(7)}
        for agent in problem.agents:
            if agent.contract.min_weekly_hours <= 0:
                continue
            available = 7 - len(week_days.intersection(agent.unavailable))
            need = agent.contract.min_weekly_hours * available / 7
            got = hours.get((agent.id, week), 0.0)
            if got + 1 / 60 < need:
                out.append(
                    Violation(
                        "weekly_hours",
                        f"{agent.id}: {got:g} h in ISO week {_week_name(week)}, contract minimum "
                        f"{agent.contract.min_weekly_hours:g} h ({need:.2f} h pro rata for {available} available days)",
                        agent.id,
                    )
                )
    return out


def check_consecutive_days(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    days: dict[str, set[dt.date]] = defaultdict(set)
    limits: dict[str, int] = {}
    for r in rows:
        days[r.agent_id].add(r.day)
        own = r.agent.contract.max_consecutive_days
        limits[r.agent_id] = r.home.rules.max_consecutive_days if own is None else own
    out = []
    for agent_id, worked in days.items():
        limit = limits[agent_id]
        ordered = sorted(worked)
        run_start, run_len = ordered[0], 1
        for prev, cur in zip(ordered, ordered[1:]):
            run_len = run_len + 1 if (cur - prev).days == 1 else 1
            if run_len == 1:
                run_start = cur
            if run_len == limit + 1:
                out.append(
                    Violation(
                        "max_consecutive_days",
                        f"{agent_id} works more than {limit} days in a row from {run_start}",
                        agent_id,
                        run_start,
                    )
                )
    return out


def check_max_daily_hours(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """No shift lasts longer in real time than the site's ``max_daily_hours``."""
    out = []
    for r in rows:
        cap = r.home.rules.max_daily_hours
        if cap is not None and r.real_hours > cap + _EPS:
            out.append(
                Violation(
                    "max_daily_hours",
                    f"{r.agent_id}: {r.shift} on {r.day} ({_fmt(r.s, r.zone)} to {_fmt(r.e, r.zone)}) lasts "
                    f"{_h(r.real_hours)} h real, the site allows {_h(cap)} h",
                    r.agent_id,
                    r.start_utc,
                )
            )
    return out


def check_weekly_rest(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """In every ISO week wholly inside the horizon, a rest of ``weekly_rest_hours`` lies wholly inside the week.

    The week runs from Monday 00:00 to the next Monday 00:00 local (read through the
    site's zone, so a week with an autumn change lasts 169 h). A rest is time without
    work; inside the week it starts at Monday 00:00 (an off period that began earlier
    counts from there) or at the end of a shift, and runs until the next shift starts
    or the week ends, whichever is first. Agents without shifts rest all week.
    """
    out = []
    weeks = _full_weeks(problem)
    if not weeks:
        return out
    for agent_id, spans in _by_agent(rows).items():
        need_h = spans[0].home.rules.weekly_rest_hours
        if need_h <= 0:
            continue
        zone = spans[0].zone
        starts = [r.s for r in spans]

        def free_until(p: int) -> float:
            if any(r.s <= p < r.e for r in spans):
                return p
            k = bisect.bisect_left(starts, p)
            return math.inf if k == len(starts) else starts[k]

        for monday in weeks:
            w0 = _local_epoch(zone, dt.datetime.combine(monday, dt.time(0)))
            w1 = _local_epoch(zone, dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0)))
            points = [w0] + [r.e for r in spans if w0 <= r.e < w1]
            best, at = max((int(min(free_until(p), w1)) - p, p) for p in points)
            if best < need_h * 3600 - _EPS:
                week = _week_name(_week(monday))
                out.append(
                    Violation(
                        "weekly_rest",
                        f"{agent_id}: the longest rest inside ISO week {week} ({_fmt(w0, zone)} to "
                        f"{_fmt(w1, zone)}) is {_h(best / 3600)} h, from {_fmt(at, zone)} to {_fmt(at + best, zone)}; "
                        f"the site needs {_h(need_h)} h",
                        agent_id,
                        monday,
                    )
                )
    return out


def check_site_weekly_hours(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """Paid real hours per ISO week of local start dates within the site's ``max_weekly_hours`` (every week)."""
    caps = {r.agent_id: r.home.rules.max_weekly_hours for r in rows}
    out = []
    for (agent_id, week), h in sorted(_week_hours(rows).items()):
        cap = caps[agent_id]
        if cap is not None and h > cap + _EPS:
            out.append(
                Violation(
                    "site_weekly_hours",
                    f"{agent_id}: {_h(h)} h in ISO week {_week_name(week)}, the site allows {_h(cap)} h a week",
                    agent_id,
                    _monday(week),
                )
            )
    return out


def check_average_weekly_hours(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """Mean paid hours over the ISO weeks wholly inside the horizon within ``max_average_weekly_hours``."""
    weeks = [_week(m) for m in _full_weeks(problem)]
    if not weeks:
        return []
    hours = _week_hours(rows)
    out = []
    for agent_id in sorted({r.agent_id for r in rows}):
        home = next(r.home for r in rows if r.agent_id == agent_id)
        cap = home.rules.max_average_weekly_hours
        if cap is None:
            continue
        total = sum(hours.get((agent_id, w), 0.0) for w in weeks)
        mean = total / len(weeks)
        if mean > cap + _EPS:
            out.append(
                Violation(
                    "average_weekly_hours",
                    f"{agent_id}: {_h(total)} h over the {len(weeks)} full ISO weeks {_week_name(weeks[0])} to "
                    f"{_week_name(weeks[-1])}, an average of {_h(mean)} h; the site allows {_h(cap)} h",
                    agent_id,
                )
            )
    return out


def check_shifts_per_week(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """At most ``Contract.max_shifts_per_week`` shifts per ISO week of local start dates (every week)."""
    count: dict[tuple[str, tuple[int, int]], int] = defaultdict(int)
    caps = {}
    for r in rows:
        count[(r.agent_id, _week(r.day))] += 1
        caps[r.agent_id] = r.agent.contract.max_shifts_per_week
    out = []
    for (agent_id, week), n in sorted(count.items()):
        cap = caps[agent_id]
        if cap is not None and n > cap:
            out.append(
                Violation(
                    "shifts_per_week",
                    f"{agent_id}: {n} shifts in ISO week {_week_name(week)}, the contract allows {cap}",
                    agent_id,
                    _monday(week),
                )
            )
    return out


def _night_seconds(zone, night: NightRules, r: _Shift, cache: dict) -> int:
    """Real seconds of the shift inside local night windows (of the dates around its start)."""
    total = 0
    for k in (-1, 0, 1):
        day = r.day + dt.timedelta(days=k)
        key = (zone.zone, day, night.start, night.end)
        window = cache.get(key)
        if window is None:
            end_day = day + dt.timedelta(days=1) if night.end <= night.start else day
            window = (
                _local_epoch(zone, dt.datetime.combine(day, night.start)),
                _local_epoch(zone, dt.datetime.combine(end_day, night.end)),
            )
            cache[key] = window
        total += max(0, min(r.e, window[1]) - max(r.s, window[0]))
    return total


def check_nights(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """Night shifts: at most ``max_per_week`` per ISO week, ``max_consecutive`` on consecutive
    local dates, and ``rest_after_hours`` from the end of a run's last night to the next shift.

    A shift is a night when at least ``min_hours`` of it (real time) fall in local night
    windows ``start``-``end`` (the window of a date runs to the next date when
    ``end <= start``; a shift after midnight sits in the previous date's window).
    """
    out = []
    cache: dict = {}
    for agent_id, spans in _by_agent(rows).items():
        night = spans[0].home.rules.night
        if night.max_per_week is None and night.max_consecutive is None and night.rest_after_hours is None:
            continue
        zone = spans[0].zone
        nights = [r for r in spans if _night_seconds(zone, night, r, cache) >= night.min_hours * 3600 - _EPS]
        if not nights:
            continue
        if night.max_per_week is not None:
            per_week: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
            for r in nights:
                per_week[_week(r.day)].append(r.day)
            for week, days in sorted(per_week.items()):
                if len(days) > night.max_per_week:
                    out.append(
                        Violation(
                            "night_shifts",
                            f"{agent_id}: {len(days)} night shifts in ISO week {_week_name(week)} "
                            f"({', '.join(map(str, days))}), the site allows {night.max_per_week}",
                            agent_id,
                            days[0],
                        )
                    )
        dates = sorted({r.day for r in nights})
        if night.max_consecutive is not None:
            run = [dates[0]]
            for d in dates[1:] + [None]:
                if d is not None and (d - run[-1]).days == 1:
                    run.append(d)
                    continue
                if len(run) > night.max_consecutive:
                    out.append(
                        Violation(
                            "night_shifts",
                            f"{agent_id}: {len(run)} night shifts on consecutive dates {run[0]} to {run[-1]}, "
                            f"the site allows {night.max_consecutive}",
                            agent_id,
                            run[0],
                        )
                    )
                if d is not None:
                    run = [d]
        if night.rest_after_hours is not None:
            night_days = set(dates)
            for r in nights:
                if r.day + dt.timedelta(days=1) in night_days:
                    continue
                later = [x for x in spans if x.s >= r.e]
                if not later:
                    continue
                nxt = later[0]
                gap = nxt.s - r.e
                if gap < night.rest_after_hours * 3600 - _EPS:
                    out.append(
                        Violation(
                            "night_shifts",
                            f"{agent_id}: {_h(gap / 3600)} h from the end of the last night of a run "
                            f"({r.day}, ends {_fmt(r.e, zone)}) to the next shift ({_fmt(nxt.s, zone)}); "
                            f"the site needs {_h(night.rest_after_hours)} h",
                            agent_id,
                            r.day,
                        )
                    )
    return out


def _weekends(
    weekend_days: tuple[int, ...], first: dt.date, last: dt.date, complete: bool = True
) -> list[list[dt.date]]:
    """Weekends: maximal runs of calendar dates with a weekend weekday; those wholly inside
    [first, last] (``complete``), or else every one that touches it, cut to its dates there.

    With all seven weekdays the run never ends; each ISO week (Monday to Sunday) then counts as one weekend.
    """
    wd = set(weekend_days)
    if len(wd) == 7:
        monday = first - dt.timedelta(days=first.weekday())
        out = []
        while monday <= last:
            week = [monday + dt.timedelta(days=k) for k in range(7)]
            inside = [d for d in week if first <= d <= last]
            if len(inside) == 7 or (inside and not complete):
                out.append(inside)
            monday += dt.timedelta(days=7)
        return out
    runs: list[list[dt.date]] = []
    run: list[dt.date] = []
    day = first - dt.timedelta(days=7)  # runs are shorter than a week: a margin makes them maximal
    while day <= last + dt.timedelta(days=7):
        if day.weekday() in wd:
            run.append(day)
        elif run:
            runs.append(run)
            run = []
        day += dt.timedelta(days=1)
    if complete:
        return [r for r in runs if r[0] >= first and r[-1] <= last]
    return [inside for r in runs if (inside := [d for d in r if first <= d <= last])]


def check_weekends_off(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """At least floor(min_weekends_off_per_4_weeks * complete weekends / 4) weekends without a shift."""
    last = problem.start_date + dt.timedelta(days=problem.days - 1)
    worked: dict[str, set[dt.date]] = defaultdict(set)
    for r in rows:
        worked[r.agent_id].add(r.day)
    sites = {s.name: s for s in problem.sites}
    out = []
    for agent in problem.agents:
        rules = sites[agent.site].rules
        if rules.min_weekends_off_per_4_weeks <= 0:
            continue
        weekends = _weekends(rules.weekend_days, problem.start_date, last)
        need = rules.min_weekends_off_per_4_weeks * len(weekends) // 4
        days = worked.get(agent.id, set())
        off = [w for w in weekends if not days.intersection(w)]
        if len(off) < need:
            on = ", ".join(f"{w[0]}..{w[-1]}" for w in weekends if days.intersection(w))
            out.append(
                Violation(
                    "weekends_off",
                    f"{agent.id}: {len(off)} of {len(weekends)} complete weekends off, needs {need} "
                    f"({rules.min_weekends_off_per_4_weeks} per 4 weeks); works the weekends {on}",
                    agent.id,
                )
            )
    return out


def _horizon_dates(problem: Problem) -> tuple[dt.date, dt.date]:
    return problem.start_date, problem.start_date + dt.timedelta(days=problem.days - 1)


def check_max_weekends(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """At most ``Contract.max_weekends`` weekends worked over the horizon.

    Weekends are the site's maximal runs of weekend days, cut to the horizon's local
    dates; one counts as worked when a shift starts on one of those dates.
    """
    first, last = _horizon_dates(problem)
    worked: dict[str, set[dt.date]] = defaultdict(set)
    for r in rows:
        worked[r.agent_id].add(r.day)
    sites = {s.name: s for s in problem.sites}
    out = []
    for agent in problem.agents:
        cap = agent.contract.max_weekends
        if cap is None or agent.id not in worked:
            continue
        weekends = _weekends(sites[agent.site].rules.weekend_days, first, last, complete=False)
        on = [w for w in weekends if worked[agent.id].intersection(w)]
        if len(on) > cap:
            out.append(
                Violation(
                    "max_weekends",
                    f"{agent.id}: works {len(on)} weekends over the horizon "
                    f"({', '.join(f'{w[0]}..{w[-1]}' for w in on)}), the contract allows {cap}",
                    agent.id,
                    on[0][0],
                )
            )
    return out


def check_horizon_hours(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """Paid real hours of shifts starting on the horizon's local dates within
    ``Contract.min_horizon_hours`` and ``max_horizon_hours``."""
    first, last = _horizon_dates(problem)
    hours: dict[str, float] = defaultdict(float)
    for r in rows:
        if first <= r.day <= last:
            hours[r.agent_id] += r.real_hours
    out = []
    for agent in problem.agents:
        c = agent.contract
        h = hours.get(agent.id, 0.0)
        if c.max_horizon_hours is not None and h > c.max_horizon_hours + _EPS:
            out.append(
                Violation(
                    "horizon_hours",
                    f"{agent.id}: {_h(h)} h on the local dates {first} to {last}, the contract allows "
                    f"{_h(c.max_horizon_hours)} h",
                    agent.id,
                )
            )
        if c.min_horizon_hours is not None and h < c.min_horizon_hours - _EPS:
            out.append(
                Violation(
                    "horizon_hours",
                    f"{agent.id}: {_h(h)} h on the local dates {first} to {last}, the contract needs at least "
                    f"{_h(c.min_horizon_hours)} h",
                    agent.id,
                )
            )
    return out


def check_shifts_by_template(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """At most ``Contract.max_shifts_by_template[name]`` shifts of each template on the horizon's local dates."""
    first, last = _horizon_dates(problem)
    count: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        if first <= r.day <= last:
            count[(r.agent_id, r.shift)] += 1
    out = []
    for (agent_id, name), n in sorted(count.items()):
        cap = next(r.agent for r in rows if r.agent_id == agent_id).contract.max_shifts_by_template.get(name)
        if cap is not None and n > cap:
            out.append(
                Violation(
                    "shifts_by_template",
                    f"{agent_id}: {n} {name!r} shifts on the local dates {first} to {last}, the contract allows {cap}",
                    agent_id,
                )
            )
    return out


def _date_runs(days: list[dt.date]) -> list[list[dt.date]]:
    """Sorted dates -> runs of consecutive dates."""
    runs: list[list[dt.date]] = []
    for d in days:
        if runs and (d - runs[-1][-1]).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def check_min_consecutive(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """Runs of working days (local start dates) and of days off inside the horizon are at least
    ``Contract.min_consecutive_days`` / ``min_consecutive_days_off`` long, except runs that
    contain the horizon's first or last local date."""
    first, last = _horizon_dates(problem)
    horizon = [first + dt.timedelta(days=k) for k in range(problem.days)]
    worked: dict[str, set[dt.date]] = defaultdict(set)
    for r in rows:
        worked[r.agent_id].add(r.day)
    out = []
    for agent in problem.agents:
        c = agent.contract
        if c.min_consecutive_days is None and c.min_consecutive_days_off is None:
            continue
        on = worked.get(agent.id, set())
        for rule, need, dates, what in (
            ("min_consecutive_days", c.min_consecutive_days, [d for d in horizon if d in on], "working days"),
            ("min_consecutive_days_off", c.min_consecutive_days_off, [d for d in horizon if d not in on], "days off"),
        ):
            if need is None:
                continue
            for run in _date_runs(dates):
                if run[0] != first and run[-1] != last and len(run) < need:
                    out.append(
                        Violation(
                            rule,
                            f"{agent.id}: a run of {len(run)} {what} ({run[0]} to {run[-1]}), "
                            f"the contract needs at least {need}",
                            agent.id,
                            run[0],
                        )
                    )
    return out


def check_forbidden_successions(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """For each (A, B) of the site's ``forbidden_successions``: no B starts on the local date after an A."""
    out = []
    for agent_id, spans in _by_agent(rows).items():
        pairs = spans[0].home.rules.forbidden_successions
        if not pairs:
            continue
        on = {(r.day, r.shift) for r in spans}
        for r in spans:
            for a, b in pairs:
                if r.shift == a and (r.day + dt.timedelta(days=1), b) in on:
                    out.append(
                        Violation(
                            "forbidden_successions",
                            f"{agent_id}: {b!r} on {r.day + dt.timedelta(days=1)} follows {a!r} on {r.day}, "
                            f"which the site forbids",
                            agent_id,
                            r.day + dt.timedelta(days=1),
                        )
                    )
    return out


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, years: tuple[int, ...]) -> dict[dt.date, str]:
    import holidays

    return dict(holidays.country_holidays(country, subdiv=subdivision, years=years).items())


def check_closed_holidays(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """At a site with ``holidays="closed"`` no shift starts on a local public holiday."""
    closed = [r for r in rows if r.home.holidays == "closed"]
    if not closed:
        return []
    out = []
    by_site: dict[str, list[_Shift]] = defaultdict(list)
    for r in closed:
        by_site[r.home.name].append(r)
    for spans in by_site.values():
        site = spans[0].home
        years = tuple(sorted({r.day.year for r in spans}))
        names = _holidays(site.country, site.subdivision, years)
        for r in spans:
            if r.day in names:
                out.append(
                    Violation(
                        "closed_holidays",
                        f"{r.agent_id}: {r.shift} starts on {r.day} ({names[r.day]}), a public holiday; "
                        f"{site.name} is closed on holidays",
                        r.agent_id,
                        r.day,
                    )
                )
    return out


def _inside_window(r: _Shift, windows) -> bool:
    """The shift's local clock span lies in a window (weekday, open, close) of its start weekday."""
    d = r.day
    start = r.naive_start
    end = start + dt.timedelta(hours=r.clock_hours)
    for weekday, open_, close in windows:
        if weekday != d.weekday():
            continue
        o = dt.datetime.combine(d, open_)
        c = dt.datetime.combine(d + dt.timedelta(days=1) if close <= open_ else d, close)
        if o <= start and end <= c:
            return True
    return False


def _window_text(windows, weekday: int) -> str:
    mine = [f"{o:%H:%M}-{c:%H:%M}" for w, o, c in windows if w == weekday]
    return ("open " + ", ".join(mine)) if mine else "not open"


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_opening_hours(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """With opening hours, each shift lies inside one window of its local start weekday (local clock)."""
    return _check_windows(
        rows,
        "opening_hours",
        lambda r: [(w.weekday, w.open, w.close) for w in r.home.opening_hours],
        lambda r, text: f"{r.home.name} is {text} that day",
    )


def check_availability(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """With availability windows, each shift lies inside one window of its local start weekday."""
    return _check_windows(
        rows,
        "availability",
        lambda r: [(w.weekday, w.start, w.end) for w in r.agent.availability],
        lambda r, text: f"the agent is {text.replace('open', 'available')} that day",
    )


def _check_windows(rows: list[_Shift], rule: str, windows_of, describe) -> list[Violation]:
    out = []
    for r in rows:
        windows = windows_of(r)
        if not windows or _inside_window(r, windows):
            continue
        end = r.naive_start + dt.timedelta(hours=r.clock_hours)
        out.append(
            Violation(
                rule,
                f"{r.agent_id}: {r.shift} on {_DAY_NAMES[r.day.weekday()]} {r.day} runs "
                f"{r.naive_start:%H:%M}-{end:%H:%M} local ({_h(r.clock_hours)} h); "
                + describe(r, _window_text(windows, r.day.weekday())),
                r.agent_id,
                r.day,
            )
        )
    return out


# --------------------------------------------------------------------------- checks: the grid


def _grid(problem: Problem) -> tuple[int, int, int]:
    """(grid start [epoch s], interval [s], number of intervals)."""
    g0 = int(dt.datetime.combine(problem.start_date, dt.time(0), tzinfo=dt.UTC).timestamp())
    step = problem.interval_minutes * 60
    return g0, step, problem.days * 86400 // step


def _covered(g0: int, step: int, n: int, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intervals [i0, i1) wholly inside [s, e)."""
    i0 = np.clip(-((g0 - s) // step), 0, n)
    i1 = np.clip((e - g0) // step, 0, n)
    return i0, np.maximum(i0, i1)


def _touched(g0: int, step: int, n: int, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intervals [j0, j1) that share a moment with [s, e)."""
    j0 = np.clip((s - g0) // step, 0, n)
    j1 = np.clip(-((g0 - e) // step), 0, n)
    return j0, np.maximum(j0, j1)


def _count(rows_idx: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_rows: int, n: int) -> np.ndarray:
    diff = np.zeros((n_rows, n + 1), dtype=np.int32)
    np.add.at(diff, (rows_idx, lo), 1)
    np.add.at(diff, (rows_idx, hi), -1)
    return np.cumsum(diff, axis=1)[:, :n]


def _on_shift(problem: Problem, rows: list[_Shift], ids: list[str]) -> np.ndarray:
    """bool [agent, interval]: on shift for the whole interval."""
    g0, step, n = _grid(problem)
    index = {a: k for k, a in enumerate(ids)}
    mine = [r for r in rows if r.agent_id in index]
    if not mine:
        return np.zeros((len(ids), n), dtype=bool)
    a = np.array([index[r.agent_id] for r in mine])
    i0, i1 = _covered(g0, step, n, np.array([r.s for r in mine]), np.array([r.e for r in mine]))
    return _count(a, i0, i1, len(ids), n) > 0


def check_team_lead(problem: Problem, rows: list[_Shift]) -> list[Violation]:
    """At a site with ``lead_required``, every interval with one of its agents (role
    "agent") on shift for the whole of it has one of its leads on shift for the whole of it."""
    out = []
    g0, step, n = _grid(problem)
    for site in problem.sites:
        if not site.lead_required:
            continue
        mine = [r for r in rows if r.home.name == site.name]
        agent_ids = sorted({r.agent_id for r in mine if r.agent.role == "agent"})
        lead_ids = sorted({r.agent_id for r in mine if r.agent.role == "lead"})
        if not agent_ids:
            continue
        agents_on = _on_shift(problem, mine, agent_ids).sum(axis=0)
        leads_on = _on_shift(problem, mine, lead_ids).sum(axis=0) if lead_ids else np.zeros(n, dtype=int)
        bad = (agents_on > 0) & (leads_on == 0)
        for lo, hi in _runs(bad):
            out.append(
                Violation(
                    "team_lead",
                    f"{site.name}: {_fmt(g0 + lo * step)} to {_fmt(g0 + hi * step)} ({hi - lo} intervals, "
                    f"from {_fmt(g0 + lo * step, pytz.timezone(site.timezone))}) has up to "
                    f"{int(agents_on[lo:hi].max())} agents on shift and no team lead",
                    None,
                    pd.Timestamp(_utc(g0 + lo * step)),
                )
            )
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[lo, hi) of each run of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _break_fits(rule, shift: _Shift, b: _Break) -> list[str]:
    """Why break ``b`` does not satisfy ``rule`` on ``shift`` (empty: it does)."""
    why = []
    offset = b.s - shift.s
    lo, hi = round(rule.earliest_after_hours * 3600), round(rule.latest_after_hours * 3600)
    if not lo <= offset <= hi:
        why.append(
            f"starts {_h(offset / 3600)} h after the shift start, allowed {_h(rule.earliest_after_hours)}"
            f"-{_h(rule.latest_after_hours)} h"
        )
    if offset % _BREAK_STEP_S:
        why.append(f"starts {offset / 60:g} min after the shift start, not on a 15-minute step")
    if b.e - b.s != rule.minutes * 60:
        why.append(f"lasts {(b.e - b.s) / 60:g} min, the rule says {rule.minutes}")
    if b.s < shift.s or b.e > shift.e:
        why.append(f"is not inside the shift ({_fmt(shift.s)} to {_fmt(shift.e)})")
    return why


def check_breaks(problem: Problem, rows: list[_Shift], breaks: list[_Break]) -> list[Violation]:
    """Every shift has exactly the breaks of its template's ``BreakRule`` s, placed by them.

    Breaks belong to the agent's shift that contains them; per kind, the shift's
    breaks match the template's rules of that kind one to one (as a multiset: some
    assignment must fit). A break starts ``earliest_after_hours`` to
    ``latest_after_hours`` after the shift's UTC start, on a 15-minute step from it,
    lasts ``minutes`` and ends inside the shift; an agent's breaks do not overlap.
    """
    out = []
    agents = {a.id for a in problem.agents}
    shifts = _by_agent(rows)
    mine: dict[int, list[_Break]] = defaultdict(list)  # id(shift) -> breaks
    per_agent: dict[str, list[_Break]] = defaultdict(list)
    for b in breaks:
        if b.agent_id not in agents:
            msg = f"break {b.kind!r} at {_fmt(b.s)} for unknown agent {b.agent_id!r}"
            out.append(Violation("breaks", msg, b.agent_id, b.start_utc))
            continue
        per_agent[b.agent_id].append(b)
        home = [r for r in shifts.get(b.agent_id, []) if r.s <= b.s and b.e <= r.e]
        if not home:
            home = [r for r in shifts.get(b.agent_id, []) if r.s < b.e and b.s < r.e]
            where = (
                f"overlaps the shift {home[0].shift} on {home[0].day} but is not inside it"
                if home
                else "is in no shift of the agent"
            )
            msg = f"{b.agent_id}: break {b.kind!r} {_fmt(b.s)} to {_fmt(b.e)} {where}"
            out.append(Violation("breaks", msg, b.agent_id, b.start_utc))
            continue
        mine[id(home[0])].append(b)
    for agent_id, bs in per_agent.items():
        bs.sort(key=lambda b: (b.s, b.e))
        for a, b in zip(bs, bs[1:]):
            if b.s < a.e:
                out.append(
                    Violation(
                        "breaks",
                        f"{agent_id}: break {a.kind!r} {_fmt(a.s)} to {_fmt(a.e)} overlaps "
                        f"break {b.kind!r} from {_fmt(b.s)}",
                        agent_id,
                        b.start_utc,
                    )
                )
    for r in rows:
        rules = r.template.breaks if r.template is not None else ()
        got = mine.get(id(r), [])
        if not rules and not got:
            continue
        for kind in sorted({x.kind for x in rules} | {b.kind for b in got}):
            want = sorted(
                (x for x in rules if x.kind == kind), key=lambda x: (x.earliest_after_hours, x.latest_after_hours)
            )
            have = sorted((b for b in got if b.kind == kind), key=lambda b: b.s)
            label = f"{r.agent_id}: {r.shift} on {r.day} (from {_fmt(r.s, r.zone)})"
            if len(want) != len(have):
                out.append(
                    Violation(
                        "breaks",
                        f"{label} has {len(have)} {kind!r} break(s), its template needs {len(want)}",
                        r.agent_id,
                        r.start_utc,
                    )
                )
                continue
            fits = np.array([[not _break_fits(x, r, b) for b in have] for x in want], dtype=np.int8)
            if len(want) == 1:
                matched = bool(fits[0, 0])
            else:
                matched = int((maximum_bipartite_matching(csr_matrix(fits), perm_type="column") >= 0).sum()) == len(want)
            if not matched:
                why = "; ".join(
                    f"{kind!r} break at {_fmt(b.s, r.zone)} " + ", ".join(_break_fits(x, r, b))
                    for x, b in zip(want, have)
                    if _break_fits(x, r, b)
                ) or f"no assignment of its {kind!r} breaks to the template's rules fits them all"
                out.append(Violation("breaks", f"{label}: {why}", r.agent_id, r.start_utc))
    return out


def check_language_floors(problem: Problem, rows: list[_Shift], breaks: list[_Break] = ()) -> list[Violation]:
    """In every interval, the agents on shift can fill every floor seat, one seat each.

    An agent counts in an interval only when on shift for all of it and on break at no moment of it.
    """
    if not problem.floors:
        return []
    g0, step, n = _grid(problem)
    seats = _floor_seats(problem, g0, step, n)
    langs = sorted(seats)
    need = np.array([seats[lang] for lang in langs])  # [language, interval]
    if not need.any():
        return []
    ids = sorted({r.agent_id for r in rows})
    on = _on_shift(problem, rows, ids)
    index = {a: k for k, a in enumerate(ids)}
    mine = [b for b in breaks if b.agent_id in index]
    if mine:
        j0, j1 = _touched(g0, step, n, np.array([b.s for b in mine]), np.array([b.e for b in mine]))
        on &= _count(np.array([index[b.agent_id] for b in mine]), j0, j1, len(ids), n) == 0
    agents = {a.id: a for a in problem.agents}
    profiles: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for a, k in index.items():
        prof = tuple(lang for lang in langs if lang in agents[a].languages)
        if prof:
            profiles[prof].append(k)
    profile_keys = list(profiles)
    counts = (
        np.array([on[profiles[p]].sum(axis=0) for p in profile_keys]) if profile_keys else np.zeros((0, n), dtype=int)
    )
    total_on = on.sum(axis=0)
    memo: dict[bytes, int] = {}
    out = []
    for i in np.flatnonzero(need.any(axis=0)):
        want = need[:, i]
        have = counts[:, i]
        key = want.tobytes() + have.tobytes()
        matched = memo.get(key)
        if matched is None:
            matched = memo[key] = _max_matching(profile_keys, have, langs, want)
        if matched < int(want.sum()):
            t = g0 + int(i) * step
            floors = {lang: int(k) for lang, k in zip(langs, want) if k > 0}
            out.append(
                Violation(
                    "language_floors",
                    f"{_fmt(t)}: floors {floors} need {int(want.sum())} agents, "
                    f"the {int(total_on[i])} on shift and not on break can fill only {matched}",
                    None,
                    pd.Timestamp(_utc(t)),
                )
            )
    return out


def _max_matching(profile_keys: list, have: np.ndarray, langs: list[str], want: np.ndarray) -> int:
    """Maximum bipartite matching between agents (by profile) and floor seats."""
    seat_langs = [lang for lang, k in zip(langs, want) for _ in range(int(k))]
    total = len(seat_langs)
    agent_rows = []
    for prof, c in zip(profile_keys, have):
        row = [1 if lang in prof else 0 for lang in seat_langs]
        agent_rows += [row] * min(int(c), total)  # more agents of a profile than seats cannot help
    if not agent_rows or not total:
        return 0
    graph = csr_matrix(np.array(agent_rows, dtype=np.int8))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def _floor_seats(problem: Problem, g0: int, step: int, n: int) -> dict[str, np.ndarray]:
    starts = g0 + step * np.arange(n)
    zones = {s.name: pytz.timezone(s.timezone) for s in problem.sites}
    seats: dict[str, np.ndarray] = {}
    for f in problem.floors:
        row = seats.setdefault(f.language, np.zeros(n, dtype=int))
        if f.site is None:
            row[:] = np.maximum(row, f.agents)
            continue
        zone = zones[f.site]
        for k in range(-1, problem.days + 1):
            day = problem.start_date + dt.timedelta(days=k)
            if day.weekday() not in f.weekdays:
                continue
            open_ = _local_epoch(zone, dt.datetime.combine(day, f.start))
            close_day = day + dt.timedelta(days=1) if f.end <= f.start else day
            close = _local_epoch(zone, dt.datetime.combine(close_day, f.end))
            hit = (starts < close) & (starts + step > open_)
            row[hit] = np.maximum(row[hit], f.agents)
    return seats
