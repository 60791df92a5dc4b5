"""The greedy starting roster keeps every agent rule it tracks (checked by the independent validator).

The greedy masks the shifts an agent may no longer take, re-checking them a date at a
time as shifts are taken. A mistake there hands CP-SAT a hint that breaks a rule (the
completion then fails and the search starts cold) or, where the greedy's shifts are
fixed, no roster at all: so the property is checked against the validator, which
shares no code with the greedy.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import ZONES, rules

from fts_scheduler import Agent, Contract, LabourRules, Problem, Requirement, ShiftTemplate, Site, validate
from fts_scheduler.heuristic import greedy_roster
from fts_scheduler.optimizer import build_model

# what the greedy promises: every maximum and every rest (not the minimums, floors, leads or breaks)
TRACKED = {
    "one_shift_per_local_day", "unavailable_dates", "minimum_rest", "weekly_hours", "max_consecutive_days",
    "max_daily_hours", "weekly_rest", "site_weekly_hours", "shifts_per_week", "night_shifts", "weekends_off",
    "max_weekends", "horizon_hours", "shifts_by_template", "forbidden_successions", "closed_holidays",
    "opening_hours", "availability", "time", "template", "site",
}


@st.composite
def nurse_problems(draw) -> Problem:
    """A site's labour rules at random, several shift types a day, and contracts with every cap."""
    zone, country = draw(st.sampled_from(ZONES))
    names = [f"T{k}" for k in range(draw(st.integers(1, 4)))]
    templates = tuple(
        ShiftTemplate(name=n, start=dt.time(draw(st.integers(0, 23))), length_hours=draw(st.sampled_from([4, 8, 10])))
        for n in names
    )
    pairs = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=3, unique=True))
    labour = LabourRules(**{**draw(rules()).model_dump(), "forbidden_successions": tuple(pairs)})
    start = draw(st.sampled_from([dt.date(2026, 3, 2), dt.date(2026, 10, 19), dt.date(2026, 6, 1)]))
    days = draw(st.integers(7, 21))
    maybe = lambda strategy: draw(st.one_of(st.none(), strategy))  # noqa: E731
    agents = tuple(
        Agent(
            id=f"a{i}", site="S", languages=("en",), hourly_cost=draw(st.integers(5, 30)),
            contract=Contract(
                max_weekly_hours=draw(st.sampled_from([16, 32, 40, 60])),
                max_shifts_per_week=maybe(st.integers(1, 6)),
                max_horizon_hours=maybe(st.sampled_from([24, 60, 120])),
                max_shifts_by_template=draw(st.dictionaries(st.sampled_from(names), st.integers(0, 6), max_size=2)),
                max_consecutive_days=maybe(st.integers(1, 5)),
                max_weekends=maybe(st.integers(0, 2)),
            ),
            unavailable=tuple(draw(st.sets(st.sampled_from([start + dt.timedelta(days=k) for k in range(days)]),
                                           max_size=2))),
        )
        for i in range(draw(st.integers(1, 4)))
    )
    site = Site(name="S", timezone=zone, country=country, rules=labour)
    # demand everywhere: the greedy takes every shift the rules let it
    requirement = Requirement(language="en", agents=(len(agents),) * (days * 24))
    return Problem(sites=(site,), agents=agents, shift_templates=templates, requirements=(requirement,),
                   start_date=start, days=days, interval_minutes=60)


def _assignments(m, start) -> pd.DataFrame:
    rows = []
    for a, ks in enumerate(start.shifts):
        agent = m.agents[a]
        zone = m.problem.site(agent.site).zone
        for k in ks:
            s = m.shifts[agent.site][k]
            rows.append((agent.id, agent.site, s.template, pd.Timestamp(s.start_utc), pd.Timestamp(s.end_utc),
                         pd.Timestamp(s.start_utc.astimezone(zone)), pd.Timestamp(s.end_utc.astimezone(zone)),
                         s.minutes / 60))
    return pd.DataFrame(rows, columns=["agent_id", "site", "shift", "start_utc", "end_utc", "start_local",
                                       "end_local", "hours"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(nurse_problems())
def test_the_greedy_roster_keeps_every_rule_it_tracks(problem):
    m, _ = build_model(problem)
    start = greedy_roster(m)
    broken = [
        str(v) for v in validate(problem, _assignments(m, start))
        if v.rule in TRACKED and "minimum" not in v.message and "at least" not in v.message
    ]
    assert broken == []


def test_the_greedy_fills_a_week_up_to_the_caps():
    # the property above holds for an empty roster too: this one shows the greedy takes shifts
    site = Site(name="S", timezone="Europe/Dublin", country="IE",
                rules=LabourRules(weekly_rest_hours=35, max_consecutive_days=5, min_rest_hours=11,
                                  forbidden_successions=(("N", "D"),)))
    templates = (ShiftTemplate(name="D", start=dt.time(8), length_hours=8),
                 ShiftTemplate(name="N", start=dt.time(22), length_hours=8))
    agent = Agent(id="a", site="S", languages=("en",), hourly_cost=20, contract=Contract(max_weekly_hours=48))
    problem = Problem(sites=(site,), agents=(agent,), shift_templates=templates, start_date=dt.date(2026, 6, 1),
                      days=7, interval_minutes=60, requirements=(Requirement(language="en", agents=(1,) * 168),))
    m, _ = build_model(problem)
    frame = _assignments(m, greedy_roster(m))
    # every shift is worth taking: six of 8 h (the 48 h cap), with a day off after five in a row
    assert len(frame) == 6
    days = sorted(frame["start_local"].map(lambda t: t.date()))
    assert days == [dt.date(2026, 6, d) for d in (1, 2, 3, 4, 5, 7)]
    assert validate(problem, frame) == []
