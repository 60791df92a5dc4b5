"""Each hard rule holds on a small problem where breaking it would be cheaper."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import Contract, LabourRules, LanguageFloor, Requirement, ShiftTemplate, solve, validate


def _always(problem_kwargs: dict, agents_needed: int = 3) -> tuple:
    """A requirement of ``agents_needed`` around the clock: every shift is wanted."""
    days = problem_kwargs.get("days", 3)
    n = days * 24
    return (Requirement(language="en", agents=(agents_needed,) * n),)


def _solve(**kw):
    kw.setdefault("templates", THREE_SHIFTS)
    problem = make_problem(requirements=_always(kw), **kw)
    roster = solve(problem, time_limit_s=10, workers=1)
    assert validate(problem, roster) == []
    return problem, roster.assignments


def _local_dates(a: pd.DataFrame) -> pd.Series:
    return a["start_local"].map(lambda ts: ts.date())


def test_one_shift_per_local_day():
    _, a = _solve(agents=[agent(1)], rules=LabourRules(min_rest_hours=0))
    assert len(a) > 0
    assert _local_dates(a).value_counts().max() == 1


def test_minimum_rest_between_shifts():
    late = ShiftTemplate(name="late", start=dt.time(14), length_hours=8)
    early = ShiftTemplate(name="early", start=dt.time(6), length_hours=8)
    # late (14-22) then early (06-14) next day would rest 8 h < 11 h
    _, a = _solve(agents=[agent(1)], templates=[late, early], days=4)
    spans = sorted(zip(a["start_utc"], a["end_utc"]))
    assert len(spans) >= 2
    for (_, e1), (s2, _) in zip(spans, spans[1:]):
        assert s2 - e1 >= pd.Timedelta(hours=11)


def test_weekly_hours_cap():
    # 7 days from a Monday: one ISO week; 16 h allowed, demand everywhere
    _, a = _solve(agents=[agent(1, contract=Contract(max_weekly_hours=16))], days=7, start=dt.date(2026, 3, 2))
    per_week = a.groupby(_local_dates(a).map(lambda d: d.isocalendar()[1]))["hours"].sum()
    assert per_week.max() <= 16
    # and it uses what it may (a night from Sunday 1 March, the week before, reaches in too)
    assert per_week.loc[10] == 16


def test_weekly_hours_minimum_even_without_demand():
    p = make_problem(agents=[agent(1, contract=Contract(min_weekly_hours=24, max_weekly_hours=40))],
                     templates=THREE_SHIFTS, days=7, start=dt.date(2026, 3, 2))
    r = solve(p, time_limit_s=10, workers=1)
    assert validate(p, r) == []
    in_week = r.assignments[_local_dates(r.assignments) >= dt.date(2026, 3, 2)]
    assert in_week["hours"].sum() >= 24


def test_max_consecutive_days():
    _, a = _solve(agents=[agent(1)], rules=LabourRules(max_consecutive_days=2), days=6)
    dates = sorted(set(_local_dates(a)))
    run = best = 1
    for d1, d2 in zip(dates, dates[1:]):
        run = run + 1 if (d2 - d1).days == 1 else 1
        best = max(best, run)
    assert best == 2


def test_unavailable_dates():
    off = dt.date(2026, 3, 3)
    _, a = _solve(agents=[agent(1, unavailable=(off,))], days=3)
    assert off not in set(_local_dates(a))
    assert len(a) >= 2


def test_a_template_allowed_zero_times_gets_no_variable_inside_the_horizon():
    """Nurse contracts bar whole shift types with a cap of zero: a filter, so no variable is built for them."""
    from fts_scheduler.optimizer import build_model

    contract = Contract(max_shifts_by_template={"night": 0, "late": 1})
    nights = Requirement(language="en", agents=tuple(3 if h % 24 >= 22 or h % 24 < 6 else 0 for h in range(72)))
    p = make_problem(agents=[agent(1, contract=contract)], templates=THREE_SHIFTS, requirements=(nights,), days=3)
    m, _ = build_model(p)
    site_shifts = m.shifts["S"]
    inside = {(site_shifts[k].template, 0 <= (site_shifts[k].local_date - p.start_date).days < p.days)
              for k in m.work[0]}
    assert ("night", True) not in inside
    assert {("early", True), ("late", True)} <= inside
    # a night of the date before the horizon reaches into its UTC grid and is not counted by the cap
    assert ("night", False) in inside
    r = solve(p, time_limit_s=10, workers=1)
    assert validate(p, r) == []
    # the demand wants nights only: the agent works the one before the horizon, and none on its dates
    worked = set(zip(_local_dates(r.assignments), r.assignments["shift"]))
    assert worked == {(p.start_date - dt.timedelta(days=1), "night")}


def test_multilingual_agent_counts_once():
    """Counting A for both en and es would be cheapest; the floors need two agents."""
    day = ShiftTemplate(name="day", start=dt.time(8), length_hours=8)
    floors = [
        LanguageFloor(language="en", site="S", start=dt.time(9), end=dt.time(16)),
        LanguageFloor(language="es", site="S", start=dt.time(9), end=dt.time(16)),
    ]
    agents = [agent("A", ("en", "es"), cost=1), agent("B", ("en",), cost=50), agent("C", ("es",), cost=60)]
    p = make_problem(agents=agents, templates=[day], floors=floors, days=1)
    r = solve(p, time_limit_s=10, workers=1)
    assert validate(p, r) == []
    assert sorted(r.assignments["agent_id"]) == ["A", "B"]  # A serves es, B en
    cov = r.coverage[r.coverage["floor"] > 0]
    assert (cov["staffed"] >= cov["floor"]).all()
    # the coverage report splits, never double counts: staffed sums to agents on shift
    per_t = r.coverage.groupby("interval_start_utc")["staffed"].sum()
    assert per_t.max() == 2


def test_floors_are_hard_even_when_expensive():
    floors = [LanguageFloor(language="en", agents=1)]
    agents = [agent(i, cost=1000) for i in range(4)]
    p = make_problem(agents=agents, templates=THREE_SHIFTS, floors=floors, days=2)
    r = solve(p, time_limit_s=10, workers=1)
    assert validate(p, r) == []
    assert (r.coverage["staffed"] >= 1).all()


@pytest.mark.parametrize("rule", ["rest", "weekly", "consecutive", "unavailable", "floor"])
def test_validator_catches_each_broken_rule(rule):
    """The validator is not a rubber stamp: a roster broken by hand is reported."""
    floors = [LanguageFloor(language="en", agents=1)]
    kw = dict(templates=THREE_SHIFTS, floors=floors, days=3)
    agents = [agent(i) for i in range(4)]
    p = make_problem(agents=agents, **kw)
    r = solve(p, time_limit_s=10, workers=1)
    assert validate(p, r) == []
    a = r.assignments.copy()
    if rule == "floor":
        broken = a.drop(index=a.index[len(a) // 2])
    else:
        if rule == "rest":
            q = p.model_copy(update={"sites": (p.sites[0].model_copy(update={"rules": LabourRules(min_rest_hours=20)}),)})
        elif rule == "weekly":
            q = p.model_copy(update={"agents": tuple(x.model_copy(update={"contract": Contract(max_weekly_hours=8)}) for x in agents)})
        elif rule == "consecutive":
            q = p.model_copy(update={"sites": (p.sites[0].model_copy(update={"rules": LabourRules(max_consecutive_days=1)}),)})
        else:
            first = a.iloc[0]
            day = first["start_local"].date()
            q = p.model_copy(update={"agents": tuple(
                x.model_copy(update={"unavailable": (day,)}) if x.id == first["agent_id"] else x for x in agents)})
        p, broken = q, a
    names = {v.rule for v in validate(p, broken)}
    expected = {"rest": "minimum_rest", "weekly": "weekly_hours", "consecutive": "max_consecutive_days",
                "unavailable": "unavailable_dates", "floor": "language_floors"}[rule]
    assert expected in names


def test_validator_catches_a_wrong_utc_time(demo, demo_roster):
    a = demo_roster.assignments.copy()
    a.loc[0, "start_utc"] = a.loc[0, "start_utc"] + pd.Timedelta(hours=1)
    assert any(v.rule == "time" for v in validate(demo, a))


def test_callback_sees_progress_and_can_stop_early(demo):
    seen = []

    def stop_at_second(progress):
        seen.append(progress)
        return progress.solutions >= 2

    r = solve(demo, time_limit_s=60, callback=stop_at_second)
    assert len(seen) >= 2
    assert r.runtime_s < 55  # stopped well before the limit
    assert seen[0].objective >= seen[-1].objective >= r.bound
    assert validate(demo, r) == []


def test_time_limit_is_honoured():
    import time

    p = make_problem(agents=[agent(i) for i in range(8)], templates=THREE_SHIFTS, days=7,
                     requirements=(Requirement(language="en", agents=(3,) * 168),))
    t0 = time.perf_counter()
    solve(p, time_limit_s=2)
    assert time.perf_counter() - t0 < 2 + 5  # limit plus model build and reading back


def test_unpaid_agents_cost_nothing_and_report_a_labour_cost_of_zero():
    # hourly_cost 0 (benchmarks): no per-shift cost terms, yet the roster reports its labour cost as 0, not missing
    from fts_scheduler.optimizer import build_model

    p = make_problem(agents=[agent(i, cost=0.0) for i in range(4)], templates=THREE_SHIFTS,
                     requirements=_always({}, agents_needed=1))
    _, penalties = build_model(p)
    labour = [x for x in penalties if x.rule == "labour_cost"]
    assert [x.weight for x in labour] == [0]
    roster = solve(p, time_limit_s=10, workers=1)
    assert validate(p, roster) == []
    assert roster.objective_terms["labour_cost"] == 0
    assert roster._headline()["labour_cost"] == 0  # what summary() prints
    assert len(roster.assignments) >= 9  # one agent on each of the 3 shifts x 3 days
