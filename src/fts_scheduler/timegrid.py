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
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from .models import Problem, Site, ShiftTemplate

__all__ = ["to_utc", "CandidateShift", "candidate_shifts", "floor_matrix", "requirement_matrix"]


def to_utc(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Read a naive local wall-clock time in ``zone`` and return it as an aware UTC time."""
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class CandidateShift:
    """One template on one local date at one site, placed on the UTC grid."""

    site: str
    template: str
    local_date: dt.date
    start_local: dt.datetime  # naive, site wall clock
    end_local: dt.datetime
    start_utc: dt.datetime
    end_utc: dt.datetime
    first: int  # first grid interval covered (clipped to the grid)
    last: int  # one past the last grid interval covered (clipped)

    @property
    def minutes(self) -> int:
        """Real length [min]: differs from the template on a DST day."""
        return int((self.end_utc - self.start_utc).total_seconds() // 60)


def candidate_shifts(problem: Problem, site: Site) -> list[CandidateShift]:
    """Every shift the site's templates give on its local dates that overlaps the UTC window.

    Local dates run from the day before ``start_date`` to the day after the horizon,
    so that sites east and west of UTC can cover the window's edges.
    """
    zone = site.zone
    step = dt.timedelta(minutes=problem.interval_minutes)
    g0, g1 = problem.grid_start_utc, problem.grid_end_utc
    templates = [t for t in problem.shift_templates if t.sites is None or site.name in t.sites]
    out: list[CandidateShift] = []
    for offset in range(-1, problem.days + 1):
        day = problem.start_date + dt.timedelta(days=offset)
        for t in templates:
            start_local, end_local = _local_span(day, t)
            s, e = to_utc(start_local, zone), to_utc(end_local, zone)
            if e <= g0 or s >= g1 or e <= s:
                continue
            first = max(0, _index(s - g0, step))
            last = min(problem.num_intervals, -_index(g0 - e, step))  # ceil division
            out.append(CandidateShift(site.name, t.name, day, start_local, end_local, s, e, first, last))
    return out


def _local_span(day: dt.date, template: ShiftTemplate) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, template.start)
    return start, start + dt.timedelta(hours=template.length_hours)


def _index(delta: dt.timedelta, step: dt.timedelta) -> int:
    return delta // step


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
