"""Property tests: generated problems, across time zones and DST changes.

1. Every roster ``solve`` returns passes the independent validator.
2. On tiny problems, ``solve`` and an exhaustive search agree on whether a roster
   exists: nothing reported infeasible has a roster, nothing feasible is missed.
3. Every roster ``replan`` returns after an absence passes the validator and keeps
   the shifts that started.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings

import pandas as pd
import pytest
import pytz
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fts_scheduler import (
    Agent,
    AvailabilityWindow,
    BreakRule,
    Contract,
    InfeasibleError,
    LabourRules,
    NoRosterError,
    LanguageFloor,
    NightRules,
    ObjectiveWeights,
    OpeningHours,
    Problem,
    Requirement,
    ShiftTemplate,
    Site,
    replan,
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


@st.composite
def rules(draw) -> LabourRules:
    """Random labour rules: every knob of LabourRules at a random, sometimes binding, setting."""
    maybe = lambda strategy: draw(st.one_of(st.none(), strategy))  # noqa: E731
    return LabourRules(
        min_rest_hours=draw(st.sampled_from([0, 8, 11, 14])),
        max_consecutive_days=draw(st.integers(1, 6)),
        weekly_rest_hours=draw(st.sampled_from([0, 24, 35, 48])),
        max_daily_hours=maybe(st.sampled_from([6, 8, 10])),
        max_weekly_hours=maybe(st.sampled_from([16, 24, 40])),
        max_average_weekly_hours=maybe(st.sampled_from([20, 32])),
        night=NightRules(
            max_per_week=maybe(st.integers(0, 3)),
            max_consecutive=maybe(st.integers(1, 2)),
            rest_after_hours=maybe(st.sampled_from([24, 36])),
        ),
        weekend_days=draw(st.sampled_from([(5, 6), (4, 5)])),
        min_weekends_off_per_4_weeks=draw(st.integers(0, 4)),
    )


@st.composite
def rich_problems(draw) -> Problem:
    """One or two sites with random rules, flexible templates with breaks, leads, holidays, windows."""
    n_sites = draw(st.integers(1, 2))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=n_sites, max_size=n_sites, unique=True))
    sites = []
    for i, (z, c) in enumerate(zones):
        opening = ()
        if draw(st.booleans()):
            opening = tuple(OpeningHours(weekday=d, open=dt.time(6), close=dt.time(23)) for d in range(7))
        sites.append(
            Site(name=f"S{i}", timezone=z, country=c, rules=draw(rules()), opening_hours=opening,
                 holidays=draw(st.sampled_from(["open", "closed"])), lead_required=draw(st.booleans()))
        )
    start = draw(st.sampled_from([dt.date(2026, 10, 19), dt.date(2026, 10, 26), dt.date(2026, 3, 2)]))
    days = draw(st.integers(7, 9))
    templates = []
    for k in range(draw(st.integers(1, 3))):
        h = draw(st.integers(0, 20))
        flexible = draw(st.booleans())
        meal = BreakRule(kind="meal", minutes=30, earliest_after_hours=2, latest_after_hours=3)
        templates.append(
            ShiftTemplate(
                name=f"T{k}", start=dt.time(h), length_hours=draw(st.sampled_from([6, 8, 9])),
                latest_start=dt.time(min(h + 2, 23)) if flexible else None, start_step_minutes=60,
                other_lengths_hours=(6,) if draw(st.booleans()) else (),
                breaks=(meal,) if draw(st.booleans()) else (),
            )
        )
    agents = []
    for i in range(draw(st.integers(2, 7))):
        site = draw(st.sampled_from(sites)).name
        availability = ()
        if draw(st.integers(0, 3)) == 0:
            availability = tuple(AvailabilityWindow(weekday=d, start=dt.time(5), end=dt.time(23)) for d in range(6))
        agents.append(
            Agent(
                id=f"a{i}", site=site, languages=tuple(draw(st.sampled_from([("en",), ("es",), ("en", "es")]))),
                role=draw(st.sampled_from(["agent", "agent", "lead"])),
                contract=Contract(max_weekly_hours=draw(st.sampled_from([16, 32, 40])),
                                  min_weekly_hours=draw(st.sampled_from([0, 0, 8])),
                                  max_shifts_per_week=draw(st.one_of(st.none(), st.integers(1, 5)))),
                hourly_cost=draw(st.integers(5, 30)),
                unavailable=tuple(draw(st.sets(st.sampled_from([start + dt.timedelta(days=k) for k in range(days)]),
                                               max_size=2))),
                availability=availability,
            )
        )
    floors = []
    if draw(st.booleans()):
        floors.append(LanguageFloor(language="en", agents=1, site=sites[0].name, start=dt.time(9), end=dt.time(13)))
    if draw(st.booleans()):
        floors.append(LanguageFloor(language="es", agents=1))
    n = days * 24
    requirements = (Requirement(language="en", agents=tuple(draw(st.integers(0, 2)) if t % 24 == 0 else 1
                                                            for t in range(n))),)
    return Problem(sites=tuple(sites), agents=tuple(agents), shift_templates=tuple(templates), floors=tuple(floors),
                   requirements=requirements, start_date=start, days=days, interval_minutes=60,
                   weights=ObjectiveWeights(fairness=draw(st.sampled_from([0, 5]))))


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


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(rich_problems())
def test_rosters_under_random_labour_rules_validate(problem):
    """Random settings of every rule: whatever the solver returns, the validator accepts."""
    try:
        result = solve(problem, time_limit_s=4)
    except InfeasibleError as err:
        event("infeasible")
        assert err.languages or "even without the floors" in str(err) or "contract minimum" in str(err)
        return
    except NoRosterError:  # the time limit is short for some draws
        event("no roster in time")
        return
    event("roster")
    assert validate(problem, result) == []


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


@st.composite
def staffed_problems(draw) -> Problem:
    """Round-the-clock floors (one site's, or both sites' together) and a few agents more than they need."""
    n_sites = draw(st.integers(1, 2))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=n_sites, max_size=n_sites, unique=True))
    sites = tuple(
        Site(name=f"S{i}", timezone=z, country=c, rules=LabourRules(min_rest_hours=draw(st.sampled_from([8, 11]))))
        for i, (z, c) in enumerate(zones)
    )
    templates = tuple(ShiftTemplate(name=f"T{h}", start=dt.time(h), length_hours=8) for h in (6, 14, 22))
    agents = tuple(
        Agent(
            id=f"a{i}",
            site=draw(st.sampled_from(sites)).name,
            languages=draw(st.sampled_from([("en",), ("en",), ("en", "es"), ("es",)])),
            contract=Contract(max_weekly_hours=40, min_weekly_hours=draw(st.sampled_from([0, 8]))),
            hourly_cost=draw(st.integers(5, 30)),
        )
        for i in range(draw(st.integers(4, 9)))
    )
    floors = [LanguageFloor(language="en", agents=1)]
    if draw(st.booleans()):
        floors.append(LanguageFloor(language="es", agents=1, site=sites[0].name, start=dt.time(9), end=dt.time(17)))
    return Problem(sites=sites, agents=agents, shift_templates=templates, floors=tuple(floors),
                   start_date=draw(st.sampled_from(DATES)), days=draw(st.integers(2, 4)), interval_minutes=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(staffed_problems(), st.data())
def test_every_replanned_roster_validates(problem, data):
    """An agent falls ill mid-horizon: the re-planned roster keeps the past and every rule, or says why not."""
    try:
        published = solve(problem, time_limit_s=3, workers=1)  # a roster to re-plan, not the best one
    except InfeasibleError:
        event("nothing published")
        return
    hours = problem.days * 24
    now = problem.grid_start_utc + dt.timedelta(hours=data.draw(st.integers(1, hours - 1), label="now"))
    ill = data.draw(st.sampled_from(problem.agents), label="ill")
    zone = pytz.timezone(next(s.timezone for s in problem.sites if s.name == ill.site))
    # from the local day after now: nothing ill.id has started is on it (no frozen shift to keep)
    first = pd.Timestamp(now).tz_convert(zone).date() + dt.timedelta(days=1)
    off = {first + dt.timedelta(days=k) for k in range(problem.days + 1)}
    away = {ill.id}
    if data.draw(st.booleans(), label="the idle away too"):
        # no agent without shifts to fill in: the busy ones must move (the repair's case)
        away |= {a.id for a in problem.agents} - set(published.assignments["agent_id"])
    agents = tuple(
        a.model_copy(update={"unavailable": tuple(sorted(set(a.unavailable) | off))}) if a.id in away else a
        for a in problem.agents
    )
    updated = Problem.model_validate(problem.model_copy(update={"agents": agents}).model_dump())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning expected: nothing started is on the ill days
            roster = replan(updated, published, now=now, time_limit_s=3, workers=1)
    except InfeasibleError as err:
        event("floors out of reach")
        assert err.languages and err.best_effort is not None
        return
    event("re-planned, " + ("repaired nearby" if roster.stats["repaired_nearby"] else
                            "repaired over the whole roster" if roster.stats["repaired_shortfalls"] else "no repair"))
    assert validate(updated, roster) == []

    def started(frame: pd.DataFrame) -> set:
        before = frame[frame["start_utc"].map(pd.Timestamp) < pd.Timestamp(now)]
        return set(zip(before["agent_id"], before["shift"], before["start_utc"].map(pd.Timestamp), strict=True))

    assert started(roster.assignments) == started(published.assignments)
    mine = roster.assignments[roster.assignments["agent_id"].isin(away)]
    assert (mine["start_local"].map(lambda t: t.date()) < first).all()
