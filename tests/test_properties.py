"""Property tests: generated problems, across time zones and DST changes.

1. Every roster ``solve`` returns passes the independent validator.
2. On tiny problems, ``solve`` and an exhaustive search agree on whether a roster
   exists: nothing reported infeasible has a roster, nothing feasible is missed.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytz
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fts_scheduler import (
    Agent,
    Contract,
    InfeasibleError,
    LabourRules,
    LanguageFloor,
    Problem,
    ShiftTemplate,
    Site,
    solve,
    validate,
)

ZONES = [("UTC", "IE"), ("Europe/Dublin", "IE"), ("America/Chicago", "US"), ("Asia/Tokyo", "JP"), ("America/Sao_Paulo", "BR")]
# dates next to DST changes (Dublin 29 Mar / 25 Oct 2026, Chicago 8 Mar / 1 Nov 2026) and plain ones
DATES = [dt.date(2026, 3, 7), dt.date(2026, 3, 28), dt.date(2026, 10, 24), dt.date(2026, 10, 31), dt.date(2026, 6, 15)]


@st.composite
def problems(draw, *, max_agents: int, max_days: int, max_templates: int, sites: int = 2) -> Problem:
    n_sites = draw(st.integers(1, sites))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=n_sites, max_size=n_sites, unique=True))
    site_objs = tuple(
        Site(
            name=f"S{i}",
            timezone=z,
            country=c,
            rules=LabourRules(
                min_rest_hours=draw(st.sampled_from([0, 8, 11, 14])),
                max_consecutive_days=draw(st.integers(1, 3)),
            ),
        )
        for i, (z, c) in enumerate(zones)
    )
    start = draw(st.sampled_from(DATES))
    days = draw(st.integers(1, max_days))
    templates = tuple(
        ShiftTemplate(name=f"T{k}", start=dt.time(draw(st.integers(0, 23))), length_hours=draw(st.integers(3, 10)))
        for k in range(draw(st.integers(1, max_templates)))
    )
    agents = []
    for i in range(draw(st.integers(1, max_agents))):
        site = draw(st.sampled_from(site_objs)).name
        agents.append(
            Agent(
                id=f"a{i}",
                site=site,
                languages=tuple(draw(st.sampled_from([("en",), ("es",), ("en", "es")]))),
                contract=Contract(max_weekly_hours=draw(st.sampled_from([8, 16, 40]))),
                hourly_cost=draw(st.integers(1, 30)),
                unavailable=tuple(draw(st.sets(st.sampled_from([start, start + dt.timedelta(days=1)]), max_size=1))),
            )
        )
    floors = []
    if draw(st.booleans()):
        floors.append(LanguageFloor(language="en", agents=1))
    if draw(st.booleans()):
        a, b = draw(st.integers(0, 23)), draw(st.integers(0, 23))
        floors.append(
            LanguageFloor(language="es", agents=draw(st.integers(1, 2)), site=draw(st.sampled_from(site_objs)).name,
                          start=dt.time(a), end=dt.time(b))
        )
    return Problem(sites=site_objs, agents=tuple(agents), shift_templates=templates, floors=tuple(floors),
                   start_date=start, days=days, interval_minutes=60)


def _solve_or_none(problem: Problem):
    try:
        return solve(problem, time_limit_s=10, workers=1)
    except InfeasibleError as err:
        return err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(problems(max_agents=6, max_days=3, max_templates=3))
def test_every_roster_returned_validates(problem):
    result = _solve_or_none(problem)
    event("infeasible" if isinstance(result, InfeasibleError) else "roster")
    if isinstance(result, InfeasibleError):
        assert result.languages, "an infeasibility must name a language"
        return
    assert validate(problem, result) == []
    cov = result.coverage
    assert (cov["staffed"] >= cov["floor"]).all()


# --------------------------------------------------------------------------- exhaustive search


def _all_shifts(problem: Problem, agent: Agent) -> dict[dt.date, list[dict]]:
    """Every shift the agent could work that touches the horizon, built with pytz, not the library."""
    site = next(s for s in problem.sites if s.name == agent.site)
    zone = pytz.timezone(site.timezone)
    g0 = pd.Timestamp(problem.start_date, tz="UTC")
    g1 = g0 + pd.Timedelta(days=problem.days)
    out: dict[dt.date, list[dict]] = {}
    for k in range(-2, problem.days + 2):
        day = problem.start_date + dt.timedelta(days=k)
        for t in problem.shift_templates:
            if t.sites is not None and site.name not in t.sites:
                continue
            naive = dt.datetime.combine(day, t.start)
            s, e = _localize(zone, naive), _localize(zone, naive + dt.timedelta(hours=t.length_hours))
            s, e = pd.Timestamp(s), pd.Timestamp(e)
            if e <= g0 or s >= g1:
                continue
            out.setdefault(day, []).append(
                dict(agent_id=agent.id, site=site.name, shift=t.name, start_utc=s.tz_convert("UTC"),
                     end_utc=e.tz_convert("UTC"), start_local=s, end_local=e, hours=(e - s).total_seconds() / 3600)
            )
    return out


def _localize(zone, naive):
    try:
        return zone.localize(naive, is_dst=None)
    except pytz.exceptions.AmbiguousTimeError:
        return zone.localize(naive, is_dst=True)
    except pytz.exceptions.NonExistentTimeError:
        return zone.normalize(zone.localize(naive, is_dst=False))


def _frame(rows: list[dict]) -> pd.DataFrame:
    cols = ["agent_id", "site", "shift", "start_utc", "end_utc", "start_local", "end_local", "hours"]
    return pd.DataFrame(rows, columns=cols)


def _exists_roster(problem: Problem) -> bool:
    no_floors = problem.model_copy(update={"floors": ()})
    per_agent = []
    for agent in problem.agents:
        options = _all_shifts(problem, agent)
        schedules = []
        days = sorted(options)
        for pick in itertools.product(*[[None, *options[d]] for d in days]):
            rows = [r for r in pick if r is not None]
            if not validate(no_floors, _frame(rows)):
                schedules.append(rows)
        per_agent.append(schedules)
    for combo in itertools.product(*per_agent):
        rows = [r for schedule in combo for r in schedule]
        if not validate(problem, _frame(rows)):
            return True
    return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(problems(max_agents=2, max_days=1, max_templates=2, sites=1))
def test_solver_and_exhaustive_search_agree_on_feasibility(problem):
    result = _solve_or_none(problem)
    exists = _exists_roster(problem)
    event("infeasible" if isinstance(result, InfeasibleError) else "roster")
    if isinstance(result, InfeasibleError):
        assert not exists, f"reported infeasible, but a roster exists:\n{result}"
    else:
        assert exists
        assert validate(problem, result) == []
