"""Why no roster can meet the floors: capacity arguments, CP-SAT cores, best effort.

Three steps, cheapest first:

1. :func:`capacity_findings` proves infeasibility by counting, in milliseconds: hours
   of a floor that no speaker of the language has any shift for, and floors that need
   more agent-hours than the speakers can work under weekly-hours and
   consecutive-days rules.
2. :func:`floor_core` solves the model with one assumption literal per (language,
   UTC day) floor group; CP-SAT's infeasibility core names the groups that cannot
   hold together.
3. :func:`best_effort` keeps every other hard rule and minimises the floor shortfall:
   its roster says exactly which intervals stay short.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .models import Agent, Problem
from .optimizer import build_model, extract_roster, model_stats, run
from .roster import Roster
from .rules import objective, shift_allowed
from .timegrid import candidate_shifts, floor_matrix

__all__ = ["Finding", "capacity_findings", "contract_findings", "floor_core", "best_effort", "format_ranges"]


@dataclass(frozen=True)
class Finding:
    """One proved reason why a language floor cannot be met."""

    language: str
    intervals: tuple[int, ...]  # grid intervals concerned (empty: the whole horizon)
    reason: str


def _speakers(problem: Problem, language: str) -> list[Agent]:
    return [a for a in problem.agents if language in a.languages]


def _speaker_text(problem: Problem, language: str) -> str:
    speakers = _speakers(problem, language)
    if not speakers:
        return f"no agent speaks {language}"
    by_site = Counter(a.site for a in speakers)
    where = ", ".join(f"{site}: {n}" for site, n in sorted(by_site.items()))
    noun = "agent speaks" if len(speakers) == 1 else "agents speak"
    return f"{len(speakers)} {noun} {language} ({where})"


def capacity_findings(problem: Problem) -> list[Finding]:
    """Floors that counting alone shows cannot be met (fast; sound, not complete)."""
    findings: list[Finding] = []
    floors = floor_matrix(problem)
    shifts = {s.name: candidate_shifts(problem, s) for s in problem.sites}
    step_h = problem.interval_minutes / 60
    for lang, floor in sorted(floors.items()):
        speakers = _speakers(problem, lang)
        reachable = np.zeros(problem.num_intervals, dtype=np.int64)
        for agent in speakers:
            mask = np.zeros(problem.num_intervals, dtype=bool)
            site = problem.site(agent.site)
            for s in shifts[agent.site]:
                if shift_allowed(problem, site, agent, s):
                    mask[s.first : s.last] = True
            reachable += mask
        short = np.flatnonzero(reachable < floor)
        if short.size:
            findings.append(
                Finding(
                    lang,
                    tuple(int(t) for t in short),
                    f"{_speaker_text(problem, lang)}, and no shift they may work reaches these hours "
                    f"with {int(floor[short].max())} agent(s) (templates, unavailable dates, availability, "
                    "opening hours and closed holidays taken into account)",
                )
            )
            continue
        need = float(floor.sum() * step_h)
        can = sum(_max_hours(problem, a, shifts[a.site]) for a in speakers)
        if need > can + 1e-9:
            total_h = problem.days * 24
            findings.append(
                Finding(
                    lang,
                    (),
                    f"{_speaker_text(problem, lang)}; weekly-hours and consecutive-days rules let them work "
                    f"at most {can:,.0f} h in all, but the {lang} floor needs {need:,.0f} agent-hours "
                    f"over the {total_h} h horizon",
                )
            )
    return findings


def contract_findings(problem: Problem) -> list[str]:
    """Agents who cannot reach their contract minimum in some full week, by counting."""
    from .rules import minimum_weekly_minutes

    first = problem.start_date
    last = first + dt.timedelta(days=problem.days - 1)
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    shifts = {s.name: candidate_shifts(problem, s) for s in problem.sites}
    out = []
    while monday + dt.timedelta(days=6) <= last:
        for agent in problem.agents:
            need = minimum_weekly_minutes(agent, monday)
            if need <= 0:
                continue
            site = problem.site(agent.site)
            longest: dict[dt.date, int] = {}
            for s in shifts[agent.site]:
                if monday <= s.local_date <= monday + dt.timedelta(days=6) and shift_allowed(problem, site, agent, s):
                    longest[s.local_date] = max(longest.get(s.local_date, 0), s.minutes)
            days = min(len(longest), site.rules.max_consecutive_days, agent.contract.max_shifts_per_week or 7)
            can = sum(sorted(longest.values(), reverse=True)[:days])
            if can < need:
                out.append(
                    f"agent {agent.id} ({agent.site}) cannot reach its contract minimum of {need / 60:g} h in the "
                    f"ISO week of {monday}: the shifts it may work there (templates, availability, unavailable "
                    f"dates, opening hours, closed holidays, shifts per week) give at most {can / 60:g} h"
                )
        monday += dt.timedelta(days=7)
    return out


def _max_hours(problem: Problem, agent: Agent, shifts: list) -> float:
    """An upper bound on the hours one agent can work inside the UTC window."""
    site = problem.site(agent.site)
    longest: dict[dt.date, float] = {}
    g0, g1 = problem.grid_start_utc, problem.grid_end_utc
    for s in shifts:
        if not shift_allowed(problem, site, agent, s):
            continue
        inside = (min(s.end_utc, g1) - max(s.start_utc, g0)).total_seconds() / 3600
        longest[s.local_date] = max(longest.get(s.local_date, 0.0), inside)
    if not longest:
        return 0.0
    limit = site.rules.max_consecutive_days
    per_week: dict[tuple[int, int], list[float]] = {}
    for day, h in longest.items():
        per_week.setdefault(day.isocalendar()[:2], []).append(h)
    total = 0.0
    for hours in per_week.values():
        best_days = sorted(hours, reverse=True)[: min(limit, 7)]
        cap = agent.contract.max_weekly_hours
        if site.rules.max_weekly_hours is not None:
            cap = min(cap, site.rules.max_weekly_hours)
        total += min(sum(best_days), cap)
    return total


def floor_core(problem: Problem, *, time_limit_s: float, seed: int, workers: int | None) -> list[tuple[str, int]] | None:
    """The (language, UTC day index) floor groups in CP-SAT's infeasibility core.

    Returns ``None`` if the floors turn out feasible, or the search ran out of time.
    """
    m, _ = build_model(problem, floors="assumptions")
    assert m.floor_switch is not None
    literals = list(m.floor_switch.values())
    outcome = run(m, time_limit_s=time_limit_s, seed=seed, workers=workers, assumptions=literals)
    if outcome.status != "INFEASIBLE":
        return None
    index = {lit.Index(): key for key, lit in m.floor_switch.items()}
    core = [index[i] for i in outcome.solver.SufficientAssumptionsForInfeasibility() if i in index]
    return sorted(core)


def best_effort(
    problem: Problem,
    *,
    time_limit_s: float,
    seed: int,
    workers: int | None,
    languages: set[str] | None = None,
) -> Roster | None:
    """The roster that keeps every other hard rule and misses the floors the least.

    Lexicographic, in two searches of half the time each: first the fewest missing
    floor agent-intervals (nothing else in the objective, so CP-SAT's bounds are
    sharp), then the cheapest roster with no more shortfall than that, warm-started.
    Only the floors of ``languages`` turn soft (all, if that is infeasible too).
    """
    t0 = time.perf_counter()
    m, penalties = build_model(problem, floors="soft", soft_languages=languages)
    build_s = time.perf_counter() - t0
    short = [p.expr for p in penalties if p.rule == "floor_shortfall"]
    m.model.Minimize(sum(short))
    first = run(m, time_limit_s=time_limit_s / 2, seed=seed, workers=workers)
    if first.status == "INFEASIBLE" and languages is not None:
        return best_effort(problem, time_limit_s=time_limit_s, seed=seed, workers=workers)
    if first.status not in ("OPTIMAL", "FEASIBLE"):
        return None
    least = int(first.solver.ObjectiveValue())
    m.model.Add(sum(short) <= least)
    for a in range(len(m.agents)):
        for v in m.work[a].values():
            m.model.AddHint(v, first.solver.BooleanValue(v))
    m.model.Minimize(objective(penalties))
    second = run(m, time_limit_s=time_limit_s / 2, seed=seed, workers=workers)
    outcome = second if second.status in ("OPTIMAL", "FEASIBLE") else first
    return extract_roster(m, penalties, outcome, model_stats(m, build_s))


def shortfall_frame(roster: Roster) -> pd.DataFrame:
    c = roster.coverage
    short = c[c["staffed"] < c["floor"]].copy()
    short["short"] = short["floor"] - short["staffed"]
    return short[["interval_start_utc", "language", "floor", "staffed", "short"]].reset_index(drop=True)


def format_ranges(problem: Problem, intervals: list[int] | tuple[int, ...], sites: list[str]) -> str:
    """'2026-10-21 02:00-06:00 UTC (Austin 21:00-01:00)' for runs of consecutive intervals."""
    if not intervals:
        return "the whole horizon"
    step = dt.timedelta(minutes=problem.interval_minutes)
    g0 = problem.grid_start_utc
    runs: list[tuple[int, int]] = []
    for t in sorted(intervals):
        if runs and runs[-1][1] == t:
            runs[-1] = (runs[-1][0], t + 1)
        else:
            runs.append((t, t + 1))
    parts = []
    for a, b in runs[:8]:
        s, e = g0 + a * step, g0 + b * step
        local = ", ".join(
            f"{name} {s.astimezone(problem.site(name).zone):%a %H:%M}-{e.astimezone(problem.site(name).zone):%H:%M}"
            for name in sites
        )
        parts.append(f"{s:%a %Y-%m-%d %H:%M}-{e:%H:%M} UTC" + (f" ({local})" if local else ""))
    if len(runs) > 8:
        parts.append(f"and {len(runs) - 8} more stretches")
    return "; ".join(parts)


def speaker_sites(problem: Problem, language: str) -> list[str]:
    return sorted({a.site for a in _speakers(problem, language)}) or [s.name for s in problem.sites]


def describe_language(problem: Problem, language: str) -> str:
    return _speaker_text(problem, language)
