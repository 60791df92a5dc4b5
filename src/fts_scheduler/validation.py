"""An independent check of a finished roster against every hard rule.

This module shares no code with the CP-SAT model (:mod:`~fts_scheduler.optimizer`,
:mod:`~fts_scheduler.rules`, :mod:`~fts_scheduler.timegrid`): it re-reads the rules
from the :class:`~fts_scheduler.models.Problem` and the roster's ``assignments``
alone, converts local times with **pytz** (the model uses :mod:`zoneinfo`), and checks
language floors by maximum bipartite matching (SciPy) between the agents on shift and
the floor's seats in every interval. It never trusts ``Roster.coverage``.

An empty list means the roster is valid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytz
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from .models import Agent, Problem
from .roster import Roster

__all__ = ["Violation", "validate"]


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: which rule, who (if one agent), when, and what exactly."""

    rule: str
    message: str
    agent_id: str | None = None
    when: pd.Timestamp | dt.date | None = None

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def validate(problem: Problem, roster: Roster | pd.DataFrame) -> list[Violation]:
    """Every hard-rule violation in ``roster`` (its ``assignments``, or a DataFrame of them)."""
    shifts = roster.assignments if isinstance(roster, Roster) else roster
    missing = {"agent_id", "site", "shift", "start_utc", "end_utc", "start_local", "end_local", "hours"} - set(
        shifts.columns
    )
    if missing:
        return [Violation("schema", f"assignments lack columns {sorted(missing)}")]
    rows = list(shifts.itertuples(index=False))
    out: list[Violation] = []
    out += check_shift_times(problem, rows)
    known = [r for r in rows if r.agent_id in _agents(problem)]
    out += check_one_shift_per_local_day(problem, known)
    out += check_unavailable(problem, known)
    out += check_rest(problem, known)
    out += check_weekly_hours(problem, known)
    out += check_consecutive_days(problem, known)
    out += check_language_floors(problem, known)
    return out


# --------------------------------------------------------------------------- helpers


def _agents(problem: Problem) -> dict[str, Agent]:
    return {a.id: a for a in problem.agents}


def _zone(problem: Problem, site: str):
    for s in problem.sites:
        if s.name == site:
            return pytz.timezone(s.timezone)
    return None


def _localize(zone, naive: dt.datetime) -> dt.datetime:
    """Wall clock -> aware: the first of a repeated hour; a skipped one read with the old offset."""
    try:
        return zone.localize(naive, is_dst=None)
    except pytz.exceptions.AmbiguousTimeError:
        return zone.localize(naive, is_dst=True)
    except pytz.exceptions.NonExistentTimeError:
        return zone.normalize(zone.localize(naive, is_dst=False))


def _ts(value) -> pd.Timestamp:
    return pd.Timestamp(value)


def _local_date(problem: Problem, row) -> dt.date:
    zone = _zone(problem, row.site)
    start = _ts(row.start_utc).to_pydatetime()
    return start.astimezone(zone).date() if zone else start.date()


# --------------------------------------------------------------------------- checks


def check_shift_times(problem: Problem, rows: list) -> list[Violation]:
    """Each shift is a real template of the agent's site, placed through the site's zone."""
    agents = _agents(problem)
    templates = {t.name: t for t in problem.shift_templates}
    out = []
    for r in rows:
        agent = agents.get(r.agent_id)
        if agent is None:
            out.append(Violation("unknown_agent", f"agent {r.agent_id!r} is not in the problem", r.agent_id))
            continue
        if r.site != agent.site:
            out.append(Violation("site", f"{r.agent_id} works at {r.site!r}, home site is {agent.site!r}", r.agent_id))
            continue
        t = templates.get(r.shift)
        if t is None or (t.sites is not None and r.site not in t.sites):
            out.append(Violation("template", f"{r.agent_id}: shift {r.shift!r} is not a template of {r.site}", r.agent_id))
            continue
        zone = _zone(problem, r.site)
        start_utc, end_utc = _ts(r.start_utc), _ts(r.end_utc)
        if start_utc.tzinfo is None or end_utc.tzinfo is None:
            out.append(Violation("time", f"{r.agent_id}: start_utc/end_utc must be tz-aware", r.agent_id))
            continue
        local_day = start_utc.to_pydatetime().astimezone(zone).date()
        naive_start = dt.datetime.combine(local_day, t.start)
        exp_start = _localize(zone, naive_start)
        exp_end = _localize(zone, naive_start + dt.timedelta(hours=t.length_hours))
        if exp_start != start_utc.to_pydatetime() or exp_end != end_utc.to_pydatetime():
            out.append(
                Violation(
                    "time",
                    f"{r.agent_id}: {r.shift} on {local_day} in {zone.zone} is {exp_start:%Y-%m-%d %H:%M%z}"
                    f"-{exp_end:%H:%M%z}, roster says {start_utc}-{end_utc}",
                    r.agent_id,
                    start_utc,
                )
            )
            continue
        for col, utc_value in (("start_local", start_utc), ("end_local", end_utc)):
            local = _ts(getattr(r, col))
            if local.tzinfo is None or local != utc_value or local.utcoffset() != utc_value.to_pydatetime().astimezone(
                zone
            ).utcoffset():
                out.append(Violation("time", f"{r.agent_id}: {col}={local} disagrees with {utc_value} in {zone.zone}", r.agent_id))
        real_h = (end_utc - start_utc).total_seconds() / 3600
        if abs(float(r.hours) - real_h) > 1e-6:
            out.append(Violation("time", f"{r.agent_id}: hours={r.hours} but the shift lasts {real_h} h", r.agent_id))
    return out


def check_one_shift_per_local_day(problem: Problem, rows: list) -> list[Violation]:
    seen: dict[tuple[str, dt.date], int] = defaultdict(int)
    for r in rows:
        seen[(r.agent_id, _local_date(problem, r))] += 1
    return [
        Violation("one_shift_per_local_day", f"{agent} has {n} shifts on local date {day}", agent, day)
        for (agent, day), n in sorted(seen.items())
        if n > 1
    ]


def check_unavailable(problem: Problem, rows: list) -> list[Violation]:
    agents = _agents(problem)
    out = []
    for r in rows:
        day = _local_date(problem, r)
        if day in set(agents[r.agent_id].unavailable):
            out.append(Violation("unavailable_dates", f"{r.agent_id} works on {day}, marked unavailable", r.agent_id, day))
    return out


def check_rest(problem: Problem, rows: list) -> list[Violation]:
    agents = _agents(problem)
    by_agent: dict[str, list] = defaultdict(list)
    for r in rows:
        by_agent[r.agent_id].append((_ts(r.start_utc), _ts(r.end_utc)))
    out = []
    for agent_id, spans in by_agent.items():
        rules = next(s.rules for s in problem.sites if s.name == agents[agent_id].site)
        need = pd.Timedelta(hours=rules.min_rest_hours)
        spans.sort()
        for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
            if s2 - e1 < need:
                out.append(
                    Violation(
                        "minimum_rest",
                        f"{agent_id}: {(s2 - e1).total_seconds() / 3600:.1f} h between the shift ending {e1} "
                        f"and the one starting {s2}; the site needs {rules.min_rest_hours} h",
                        agent_id,
                        s2,
                    )
                )
    return out


def check_weekly_hours(problem: Problem, rows: list) -> list[Violation]:
    agents = _agents(problem)
    hours: dict[tuple[str, tuple[int, int]], float] = defaultdict(float)
    for r in rows:
        iso = _local_date(problem, r).isocalendar()
        hours[(r.agent_id, (iso.year, iso.week))] += (_ts(r.end_utc) - _ts(r.start_utc)).total_seconds() / 3600
    out = []
    for (agent_id, week), h in hours.items():
        cap = agents[agent_id].contract.max_weekly_hours
        if h > cap + 1e-9:
            out.append(Violation("weekly_hours", f"{agent_id}: {h:g} h in ISO week {week[0]}-W{week[1]:02d}, max {cap:g}", agent_id))
    # minimums: only ISO weeks wholly inside [start_date, start_date + days)
    last = problem.start_date + dt.timedelta(days=problem.days - 1)
    monday = problem.start_date + dt.timedelta(days=(7 - problem.start_date.weekday()) % 7)
    while monday + dt.timedelta(days=6) <= last:
        iso = monday.isocalendar()
        for agent in problem.agents:
            if agent.contract.min_weekly_hours <= 0:
                continue
            week_days = {monday + dt.timedelta(days=k) for k in range(7)}
            available = 7 - len(week_days.intersection(agent.unavailable))
            need = agent.contract.min_weekly_hours * available / 7
            got = hours.get((agent.id, (iso.year, iso.week)), 0.0)
            if got + 1 / 60 < need:
                out.append(
                    Violation(
                        "weekly_hours",
                        f"{agent.id}: {got:g} h in ISO week {iso.year}-W{iso.week:02d}, contract minimum "
                        f"{agent.contract.min_weekly_hours:g} h ({need:.2f} h pro rata for {available} available days)",
                        agent.id,
                    )
                )
        monday += dt.timedelta(days=7)
    return out


def check_consecutive_days(problem: Problem, rows: list) -> list[Violation]:
    agents = _agents(problem)
    days: dict[str, set[dt.date]] = defaultdict(set)
    for r in rows:
        days[r.agent_id].add(_local_date(problem, r))
    out = []
    for agent_id, worked in days.items():
        limit = next(s.rules for s in problem.sites if s.name == agents[agent_id].site).max_consecutive_days
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


def check_language_floors(problem: Problem, rows: list) -> list[Violation]:
    """In every interval, the agents on shift can fill every floor seat, one seat each."""
    step = pd.Timedelta(minutes=problem.interval_minutes)
    g0 = pd.Timestamp(problem.start_date, tz="UTC")
    n = problem.days * 24 * 60 // problem.interval_minutes
    starts = g0 + step * np.arange(n)
    seats = _floor_seats(problem, starts, step)
    agents = _agents(problem)
    spans = [(_ts(r.start_utc), _ts(r.end_utc), agents[r.agent_id].languages) for r in rows]
    out = []
    for i, t in enumerate(starts):
        need = {lang: k[i] for lang, k in seats.items() if k[i] > 0}
        if not need:
            continue
        on = [langs for s, e, langs in spans if s <= t and t + step <= e]
        seat_langs = [lang for lang, k in need.items() for _ in range(int(k))]
        graph = csr_matrix(
            np.array([[1 if lang in langs else 0 for lang in seat_langs] for langs in on], dtype=np.int8).reshape(
                len(on), len(seat_langs)
            )
        )
        matched = int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum()) if on else 0
        if matched < len(seat_langs):
            out.append(
                Violation(
                    "language_floors",
                    f"{t:%Y-%m-%d %H:%M} UTC: floors {need} need {len(seat_langs)} agents, "
                    f"the {len(on)} on shift can fill only {matched}",
                    None,
                    t,
                )
            )
    return out


def _floor_seats(problem: Problem, starts: pd.DatetimeIndex, step: pd.Timedelta) -> dict[str, np.ndarray]:
    seats: dict[str, np.ndarray] = {}
    for f in problem.floors:
        row = seats.setdefault(f.language, np.zeros(len(starts), dtype=int))
        if f.site is None:
            row[:] = np.maximum(row, f.agents)
            continue
        zone = _zone(problem, f.site)
        for k in range(-1, problem.days + 1):
            day = problem.start_date + dt.timedelta(days=k)
            if day.weekday() not in f.weekdays:
                continue
            open_ = _localize(zone, dt.datetime.combine(day, f.start))
            close_day = day + dt.timedelta(days=1) if f.end <= f.start else day
            close = _localize(zone, dt.datetime.combine(close_day, f.end))
            hit = (starts < pd.Timestamp(close)) & (starts + step > pd.Timestamp(open_))
            row[hit] = np.maximum(row[hit], f.agents)
    return seats
