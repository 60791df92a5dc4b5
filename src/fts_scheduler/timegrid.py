"""The UTC interval grid and everything that maps local clocks onto it.

All solving happens on one UTC grid: interval ``i`` is
``[grid_start + i * step, grid_start + (i + 1) * step)``. This module turns the
local-time inputs (shift templates, floor windows) into grid indices through each
site's IANA zone, so that nothing downstream ever sees a local time again.

Local-time reading rule (PEP 495, ``fold=0``): a local time that occurs twice (the
autumn fall-back hour) is taken at its first occurrence; one that does not exist
(the spring-forward gap) is read with the offset in force before the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from .models import Problem, Site

__all__ = [
    "to_utc",
    "CandidateShift",
    "candidate_shifts",
    "site_holidays",
    "grid_span",
    "floor_matrix",
    "requirement_matrix",
]


def to_utc(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Read a naive local wall-clock time in ``zone`` and return it as an aware UTC time."""
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class CandidateShift:
    """One template, start and length on one local date at one site, placed on the UTC grid."""

    site: str
    template: str
    local_date: dt.date
    start_local: dt.datetime  # naive, site wall clock
    end_local: dt.datetime
    start_utc: dt.datetime
    end_utc: dt.datetime
    first: int  # first grid interval covered (clipped to the grid)
    last: int  # one past the last grid interval covered (clipped)
    night: bool = False  # at least NightRules.min_hours inside the local night window
    weekend: bool = False  # starts on one of the site's weekend days
    holiday: bool = False  # starts on a public holiday of the site
    # real length [min]: differs from the template on a DST day (stored: rules read it millions of times)
    minutes: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "minutes", int((self.end_utc - self.start_utc).total_seconds() // 60))


def candidate_shifts(problem: Problem, site: Site) -> list[CandidateShift]:
    """Every shift the site's templates give on its local dates that overlaps the UTC window.

    Local dates run from the day before ``start_date`` to the day after the horizon,
    so that sites east and west of UTC can cover the window's edges. A flexible
    template gives one candidate per allowed start and length.
    """
    zone = site.zone
    step = dt.timedelta(minutes=problem.interval_minutes)
    g0, g1 = problem.grid_start_utc, problem.grid_end_utc
    templates = [t for t in problem.shift_templates if t.sites is None or site.name in t.sites]
    holidays = site_holidays(problem, site)
    out: list[CandidateShift] = []
    for offset in range(-1, problem.days + 1):
        day = problem.start_date + dt.timedelta(days=offset)
        nights = [_night_window(day + dt.timedelta(days=k), site) for k in (-1, 0)]
        for t in templates:
            for start in t.starts():
                for length in t.lengths:
                    start_local = dt.datetime.combine(day, start)
                    end_local = start_local + dt.timedelta(hours=length)
                    s, e = to_utc(start_local, zone), to_utc(end_local, zone)
                    if e <= g0 or s >= g1 or e <= s:
                        continue
                    in_night = sum((_overlap(s, e, a, b) for a, b in nights), dt.timedelta())
                    out.append(
                        CandidateShift(
                            site=site.name,
                            template=t.name,
                            local_date=day,
                            start_local=start_local,
                            end_local=end_local,
                            start_utc=s,
                            end_utc=e,
                            first=max(0, _index(s - g0, step)),
                            last=min(problem.num_intervals, -_index(g0 - e, step)),  # ceil division
                            night=in_night >= dt.timedelta(hours=site.rules.night.min_hours),
                            weekend=day.weekday() in site.rules.weekend_days,
                            holiday=day in holidays,
                        )
                    )
    return out


def site_holidays(problem: Problem, site: Site) -> dict[dt.date, str]:
    """Public holidays of the site's country (and subdivision) over its candidate dates."""
    import holidays

    first = problem.start_date - dt.timedelta(days=1)
    last = problem.start_date + dt.timedelta(days=problem.days)
    table = holidays.country_holidays(site.country, subdiv=site.subdivision, years=range(first.year, last.year + 1))
    return {d: name for d, name in sorted(table.items()) if first <= d <= last}


def _night_window(day: dt.date, site: Site) -> tuple[dt.datetime, dt.datetime]:
    night = site.rules.night
    start = dt.datetime.combine(day, night.start)
    end = dt.datetime.combine(day, night.end)
    if end <= start:
        end += dt.timedelta(days=1)
    return to_utc(start, site.zone), to_utc(end, site.zone)


def _overlap(s: dt.datetime, e: dt.datetime, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    return max(dt.timedelta(), min(e, b) - max(s, a))


def _index(delta: dt.timedelta, step: dt.timedelta) -> int:
    return delta // step


def grid_span(problem: Problem, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """Grid intervals ``[first, last)`` that the UTC span touches, clipped to the grid."""
    step = dt.timedelta(minutes=problem.interval_minutes)
    g0 = problem.grid_start_utc
    return max(0, _index(start - g0, step)), min(problem.num_intervals, -_index(g0 - end, step))


def floor_matrix(problem: Problem) -> dict[str, np.ndarray]:
    """Minimum agents per language and grid interval (int array of length ``num_intervals``).

    Several floors for one language combine by maximum: "at least 1 around the clock"
    and "at least 3 in Dublin's business hours" give 3 in those hours and 1 elsewhere.
    """
    n = problem.num_intervals
    step = dt.timedelta(minutes=problem.interval_minutes)
    g0 = problem.grid_start_utc
    out: dict[str, np.ndarray] = {}
    for f in problem.floors:
        row = out.setdefault(f.language, np.zeros(n, dtype=np.int64))
        if f.around_the_clock:
            np.maximum(row, f.agents, out=row)
            continue
        zone = problem.site(f.site).zone  # type: ignore[arg-type]
        for offset in range(-1, problem.days + 1):
            day = problem.start_date + dt.timedelta(days=offset)
            if day.weekday() not in f.weekdays:
                continue
            start_local = dt.datetime.combine(day, f.start)  # type: ignore[arg-type]
            end_local = dt.datetime.combine(day, f.end)  # type: ignore[arg-type]
            if end_local <= start_local:
                end_local += dt.timedelta(days=1)
            a = _index(to_utc(start_local, zone) - g0, step)
            b = -_index(g0 - to_utc(end_local, zone), step)
            a, b = max(a, 0), min(b, n)
            if a < b:
                np.maximum(row[a:b], f.agents, out=row[a:b])
    return out


def requirement_matrix(problem: Problem) -> dict[str, np.ndarray]:
    """Required agents per language and grid interval (int array of length ``num_intervals``)."""
    return {r.language: np.asarray(r.agents, dtype=np.int64) for r in problem.requirements}
