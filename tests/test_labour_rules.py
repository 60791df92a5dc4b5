"""Each labour rule of the CP-SAT model holds on a small problem where breaking it would be cheaper.

Every roster is also passed through the independent validator.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import THREE_SHIFTS, agent, make_problem

from fts_scheduler import (
    AvailabilityWindow,
    BreakRule,
    Contract,
    LabourRules,
    LanguageFloor,
    NightRules,
    ObjectiveWeights,
    OpeningHours,
    PayRules,
    Preference,
    Requirement,
    ShiftTemplate,
    Site,
    solve,
    validate,
)

MON = dt.date(2026, 3, 2)
NIGHT = ShiftTemplate(name="night", start=dt.time(22), length_hours=8)
DAY = ShiftTemplate(name="day", start=dt.time(8), length_hours=8)


def _demand(days: int, agents: int = 3, interval: int = 60) -> tuple[Requirement, ...]:
    return (Requirement(language="en", agents=(agents,) * (days * 24 * 60 // interval)),)


def _solve(problem):
    roster = solve(problem, time_limit_s=15)
    assert validate(problem, roster) == [], validate(problem, roster)[:3]
    return roster


def _dates(a: pd.DataFrame) -> list[dt.date]:
    return [ts.date() for ts in a["start_local"]]


def _in_week(a: pd.DataFrame, monday: dt.date) -> pd.DataFrame:
    d = pd.Series(_dates(a), index=a.index)
    return a[(d >= monday) & (d <= monday + dt.timedelta(days=6))]


def test_weekly_rest_leaves_an_uninterrupted_block():
    rules = LabourRules(weekly_rest_hours=35, max_consecutive_days=7, min_rest_hours=11)
    p = make_problem(agents=[agent(1, contract=Contract(max_weekly_hours=56))], templates=THREE_SHIFTS,
                     rules=rules, days=7, start=MON, requirements=_demand(7))
    a = _solve(p).assignments
    spans = sorted(zip(a["start_utc"], a["end_utc"]))
    w0, w1 = pd.Timestamp(MON, tz="UTC"), pd.Timestamp(MON + dt.timedelta(days=7), tz="UTC")
    ends = [w0] + [e for _, e in spans if w0 <= e < w1]
    gaps = []
    for tau in ends:  # a rest counts only inside the week: up to the next shift or the week's end
        nxt = [s for s, _ in spans if s >= tau]
        gaps.append(min([w1, *nxt]) - tau)
    assert max(gaps) >= pd.Timedelta(hours=35)
    assert len(_in_week(a, MON)) == 6  # and it still works every other day it may


def test_site_weekly_cap_binds_above_contract():
    p = make_problem(agents=[agent(1, contract=Contract(max_weekly_hours=60))], templates=THREE_SHIFTS,
                     rules=LabourRules(max_weekly_hours=24), days=7, start=MON, requirements=_demand(7))
    a = _solve(p).assignments
    assert _in_week(a, MON)["hours"].sum() == 24


def test_average_weekly_hours_over_full_weeks():
    p = make_problem(agents=[agent(1, contract=Contract(max_weekly_hours=48))], templates=THREE_SHIFTS,
                     rules=LabourRules(max_average_weekly_hours=32), days=14, start=MON, requirements=_demand(14))
    a = _solve(p).assignments
    weeks = [_in_week(a, MON)["hours"].sum(), _in_week(a, MON + dt.timedelta(days=7))["hours"].sum()]
    assert sum(weeks) <= 64
    assert max(weeks) > 32 or sum(weeks) == 64  # the cap is on the average, not on each week


def test_max_shifts_per_week():
    p = make_problem(agents=[agent(1, contract=Contract(max_shifts_per_week=2))], templates=THREE_SHIFTS,
                     days=7, start=MON, requirements=_demand(7))
    assert len(_in_week(_solve(p).assignments, MON)) == 2


def test_night_rules():
    night = NightRules(max_per_week=3, max_consecutive=2, rest_after_hours=40)
    rules = LabourRules(night=night, max_consecutive_days=7)
    at_night = tuple(1 if h < 6 or h >= 22 else 0 for _ in range(7) for h in range(24))  # nights are wanted
    p = make_problem(agents=[agent(1)], templates=[NIGHT, DAY], rules=rules, days=7, start=MON,
                     requirements=(Requirement(language="en", agents=at_night),))
    a = _solve(p).assignments
    nights = a[a["night"]]
    assert 0 < len(_in_week(nights, MON)) <= 3
    dates = sorted(_dates(nights))
    runs = [1]
    for d1, d2 in zip(dates, dates[1:]):
        runs.append(runs[-1] + 1 if (d2 - d1).days == 1 else 1)
    assert max(runs) <= 2
    spans = sorted(zip(a["start_utc"], a["end_utc"], a["night"]))
    for (s1, e1, n1), (s2, _, n2) in zip(spans, spans[1:]):
        if n1 and not (n2 and (s2 - s1) <= pd.Timedelta(hours=24)):
            assert s2 - e1 >= pd.Timedelta(hours=40)


def test_weekends_off():
    rules = LabourRules(min_weekends_off_per_4_weeks=2, max_consecutive_days=7, weekly_rest_hours=0)
    p = make_problem(agents=[agent(1, contract=Contract(max_weekly_hours=56))], templates=[DAY], rules=rules,
                     days=14, start=MON, requirements=_demand(14))
    a = _solve(p).assignments
    weekend_dates = {d for d in _dates(a) if d.weekday() >= 5}
    weekends_worked = {d - dt.timedelta(days=d.weekday() - 5) for d in weekend_dates}
    assert len(weekends_worked) == 1  # 2 of 4 weeks -> 1 of the 2 weekends off


def test_team_lead_on_shift_whenever_agents_are():
    site = Site(name="S", timezone="UTC", country="IE", lead_required=True)
    from fts_scheduler import Problem

    agents = (agent(1, cost=5), agent(2, cost=5), agent("L", cost=100, role="lead"))
    p = Problem(sites=(site,), agents=agents, shift_templates=tuple(THREE_SHIFTS), start_date=MON, days=2,
                interval_minutes=60, requirements=_demand(2))
    a = _solve(p).assignments
    leads = a[a["agent_id"] == "L"]
    staff = a[a["agent_id"] != "L"]
    assert len(staff) > 0
    for s, e in zip(staff["start_utc"], staff["end_utc"]):
        assert ((leads["start_utc"] <= s) & (leads["end_utc"] >= e)).any()


def test_closed_holiday_has_no_shift():
    bank_holiday = dt.date(2026, 10, 26)  # Ireland's October Bank Holiday
    site = Site(name="S", timezone="Europe/Dublin", country="IE", holidays="closed")
    from fts_scheduler import Problem

    p = Problem(sites=(site,), agents=(agent(1), agent(2)), shift_templates=(DAY,), start_date=dt.date(2026, 10, 26),
                days=2, interval_minutes=60, requirements=_demand(2))
    a = _solve(p).assignments
    assert bank_holiday not in _dates(a)
    assert dt.date(2026, 10, 27) in _dates(a)


def test_open_holiday_pays_its_premium():
    site = Site(name="S", timezone="Europe/Dublin", country="IE", pay=PayRules(holiday_premium=1.0))
    from fts_scheduler import Problem

    p = Problem(sites=(site,), agents=(agent(1, cost=10),), shift_templates=(DAY,), start_date=dt.date(2026, 10, 26),
                days=2, interval_minutes=60, requirements=_demand(2, agents=1))
    a = _solve(p).assignments
    by_date = dict(zip(_dates(a), a["cost"]))
    assert by_date[dt.date(2026, 10, 26)] == pytest.approx(160.0)  # 8 h x 10 x (1 + 100 %)
    assert by_date[dt.date(2026, 10, 27)] == pytest.approx(80.0)
    assert bool(a.loc[a["cost"] == 160.0, "holiday"].iloc[0])


def test_opening_hours_and_availability():
    site = Site(name="S", timezone="UTC", country="IE",
                opening_hours=tuple(OpeningHours(weekday=d, open=dt.time(7), close=dt.time(20)) for d in range(7)))
    from fts_scheduler import Problem

    flexible = ShiftTemplate(name="flex", start=dt.time(4), latest_start=dt.time(16), start_step_minutes=60, length_hours=8)
    only_monday_morning = (AvailabilityWindow(weekday=0, start=dt.time(6), end=dt.time(15)),)
    agents = (agent(1), agent(2, availability=only_monday_morning))
    p = Problem(sites=(site,), agents=agents, shift_templates=(flexible,), start_date=MON, days=3,
                interval_minutes=60, requirements=_demand(3))
    a = _solve(p).assignments
    assert all(7 <= s.hour and (e.hour <= 20) for s, e in zip(a["start_local"], a["end_local"]))
    two = a[a["agent_id"] == "2"]
    assert list(_dates(two)) == [MON]
    assert two["start_local"].iloc[0].hour == 7  # 07:00-15:00 is the only shift inside 06-15 and open


def test_flexible_start_and_length_follow_demand():
    flexible = ShiftTemplate(name="flex", start=dt.time(6), latest_start=dt.time(12), start_step_minutes=60,
                             length_hours=8, other_lengths_hours=(6,))
    need = [0] * 24
    for h in range(10, 16):
        need[h] = 1
    p = make_problem(agents=[agent(1)], templates=[flexible], days=1, start=MON,
                     requirements=(Requirement(language="en", agents=tuple(need)),))
    a = _solve(p).assignments
    assert len(a) == 1
    assert a["start_local"].iloc[0].hour == 10 and a["hours"].iloc[0] == 6


def test_breaks_are_staggered_so_the_floor_holds():
    meal = BreakRule(kind="meal", minutes=60, earliest_after_hours=2, latest_after_hours=4)
    day = ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=(meal,))
    floor = LanguageFloor(language="en", agents=1, site="S", start=dt.time(8), end=dt.time(16))
    p = make_problem(agents=[agent(1), agent(2)], templates=[day], floors=[floor], days=1, start=MON, interval=30)
    r = _solve(p)
    assert len(r.assignments) == 2  # one agent alone cannot take a meal and hold the floor
    b = r.breaks.sort_values("start_utc")
    assert len(b) == 2 and set(b["kind"]) == {"meal"}
    assert b["start_utc"].iloc[1] >= b["end_utc"].iloc[0]  # not at the same time


def test_a_lone_agent_with_a_break_cannot_hold_a_full_day_floor():
    from fts_scheduler import InfeasibleError

    meal = BreakRule(kind="meal", minutes=60, earliest_after_hours=2, latest_after_hours=4)
    day = ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=(meal,))
    floor = LanguageFloor(language="en", agents=1, site="S", start=dt.time(8), end=dt.time(16))
    p = make_problem(agents=[agent(1)], templates=[day], floors=[floor], days=1, start=MON, interval=30)
    with pytest.raises(InfeasibleError):
        solve(p, time_limit_s=10)


def test_preferences_are_granted_when_worth_their_weight():
    off_day = MON + dt.timedelta(days=1)
    prefs = (Preference(kind="off", date=off_day, weight=1000), Preference(kind="on", weekday=2, shift="late", weight=1000))
    p = make_problem(agents=[agent(1, preferences=prefs)], templates=THREE_SHIFTS, days=3, start=MON,
                     requirements=_demand(3))
    a = _solve(p).assignments
    assert off_day not in _dates(a)
    wednesday = a[[d == MON + dt.timedelta(days=2) for d in _dates(a)]]
    assert list(wednesday["shift"]) == ["late"]


def test_currency_and_overtime():
    from fts_scheduler import Problem

    site = Site(name="S", timezone="UTC", country="IE", currency="EUR", pay=PayRules(overtime_premium=0.5))
    contract = Contract(max_weekly_hours=40, standard_weekly_hours=16)
    p = Problem(sites=(site,), agents=(agent(1, cost=10, contract=contract),), shift_templates=(DAY,), start_date=MON,
                days=7, interval_minutes=60, requirements=_demand(7, agents=1), reporting_currency="USD",
                exchange_rates={"EUR": 2.0}, weights=ObjectiveWeights(under_staffing=100))
    r = _solve(p)
    hours = _in_week(r.assignments, MON)["hours"].sum()
    assert hours == 40
    assert r.assignments["cost"].sum() == pytest.approx(40 * 10 * 2.0)
    # per-minute rate in 1/100 cents: rounding within 0.05 %
    assert r.objective_terms["overtime_premium"] == pytest.approx((40 - 16) * 10 * 2.0 * 0.5, rel=5e-4)


def test_fairness_spreads_nights():
    agents = [agent(i, cost=10 + i) for i in range(3)]  # agent 0 cheapest: would take every night
    base = dict(agents=agents, templates=[NIGHT, DAY], days=7, start=MON,
                rules=LabourRules(max_consecutive_days=7, weekly_rest_hours=0),
                requirements=(Requirement(language="en", agents=tuple(1 if h < 6 or h >= 22 else 0 for _ in range(7) for h in range(24))),))
    unfair = _solve(make_problem(**base)).assignments
    fair = _solve(make_problem(**base, weights=ObjectiveWeights(fairness=500))).assignments

    def spread(a):
        counts = a[a["night"]].groupby("agent_id").size().reindex(["0", "1", "2"], fill_value=0)
        return counts.max() - counts.min()

    assert spread(unfair) >= 2
    assert spread(fair) <= 1


def test_presets_exist_for_the_demo_countries():
    for country in ("PH", "JP", "IE", "BR", "US"):
        assert isinstance(LabourRules.preset(country), LabourRules)
    assert LabourRules.preset("IE").weekly_rest_hours == 35
    assert LabourRules.preset("US", "TX") == LabourRules.preset("US")
    with pytest.raises(ValueError, match="'ZZ'"):
        LabourRules.preset("ZZ")


# --------------------------------------------------------------------------- rules the Curtois & Qu benchmark needs


def _day_numbers(a: pd.DataFrame, agent_id: str = "1") -> list[int]:
    return sorted((d - MON).days for d in _dates(a[a["agent_id"] == agent_id]))


def test_minimum_runs_of_days_on_and_off_except_at_the_edges():
    contract = Contract(max_weekly_hours=56, min_consecutive_days=3, min_consecutive_days_off=2)
    need = [1 if d in (1, 4) else 0 for d in range(10) for _ in range(24)]  # demand only on days 1 and 4
    p = make_problem(agents=[agent(1, contract=contract)], templates=[DAY], days=10, start=MON,
                     rules=LabourRules(max_consecutive_days=7, weekly_rest_hours=0),
                     requirements=(Requirement(language="en", agents=tuple(need)),),
                     weights=ObjectiveWeights(under_staffing=1000))
    days = _day_numbers(_solve(p).assignments)
    assert {1, 4} <= set(days)
    runs_on, runs_off, prev = [], [], None
    for d in range(10):
        on = d in days
        if prev is None or on != prev:
            (runs_on if on else runs_off).append([d])
        else:
            (runs_on if on else runs_off)[-1].append(d)
        prev = on
    for run in runs_on:
        if run[0] > 0 and run[-1] < 9:
            assert len(run) >= 3
    for run in runs_off:
        if run[0] > 0 and run[-1] < 9:
            assert len(run) >= 2


def test_max_weekends_worked_and_per_template_limits():
    contract = Contract(max_weekly_hours=56, max_weekends=1, max_shifts_by_template={"late": 2})
    p = make_problem(agents=[agent(1, contract=contract)], templates=THREE_SHIFTS, days=14, start=MON,
                     rules=LabourRules(max_consecutive_days=7, weekly_rest_hours=0), requirements=_demand(14))
    a = _solve(p).assignments
    weekend_days = [d for d in _day_numbers(a) if 0 <= d < 14 and d % 7 >= 5]  # horizon dates only
    assert len({d // 7 for d in weekend_days}) == 1
    assert (a["shift"] == "late").sum() <= 2


def test_horizon_hours_and_contract_consecutive_override():
    contract = Contract(max_weekly_hours=56, max_horizon_hours=40, min_horizon_hours=40, max_consecutive_days=2)
    p = make_problem(agents=[agent(1, contract=contract)], templates=[DAY], days=14, start=MON,
                     rules=LabourRules(max_consecutive_days=7, weekly_rest_hours=0))
    a = _solve(p).assignments  # no demand at all: the minimum alone makes it work
    assert a["hours"].sum() == 40
    days = _day_numbers(a)
    assert all(not (d + 1 in days and d + 2 in days) for d in days)


def test_forbidden_succession():
    rules = LabourRules(forbidden_successions=(("late", "early"),), min_rest_hours=0, weekly_rest_hours=0,
                        max_consecutive_days=7)
    p = make_problem(agents=[agent(1)], templates=THREE_SHIFTS, days=4, start=MON, rules=rules,
                     requirements=_demand(4))
    a = _solve(p).assignments.sort_values("start_utc")
    seq = list(zip(_dates(a), a["shift"]))
    for (d1, s1), (d2, s2) in zip(seq, seq[1:]):
        assert not (s1 == "late" and s2 == "early" and (d2 - d1).days == 1)


def test_shift_demand_per_template_and_day():
    from fts_scheduler import ShiftDemand

    demands = tuple(ShiftDemand(date=MON + dt.timedelta(days=k), shift="late", agents=2, under_weight=500)
                    for k in range(3))
    p = make_problem(agents=[agent(i) for i in range(3)], templates=THREE_SHIFTS, days=3, start=MON,
                     shift_demands=demands)
    a = _solve(p).assignments
    per_day = a[a["shift"] == "late"].groupby(pd.Series(_dates(a[a["shift"] == "late"]), index=a[a["shift"] == "late"].index)).size()
    assert list(per_day) == [2, 2, 2]
    assert (a["shift"] != "late").sum() == 0  # nothing else is asked for


def _runs_ok(days: tuple[int, ...], longest: int, min_on: int, min_off: int) -> bool:
    """Independent statement of the run rules: split into runs, exempt the two edge runs from minimums."""
    runs: list[list[int]] = []
    for x in days:
        if runs and runs[-1][0] == x:
            runs[-1][1] += 1
        else:
            runs.append([x, 1])
    for i, (on, length) in enumerate(runs):
        if on and length > longest:
            return False
        inner = 0 < i < len(runs) - 1
        if inner and length < (min_on if on else min_off):
            return False
    return True


@pytest.mark.parametrize("longest,min_on,min_off", [(3, 2, 2), (5, 2, 3), (2, 1, 1), (4, 3, 1), (7, 2, 2)])
def test_runs_automaton_accepts_exactly_the_allowed_sequences(longest, min_on, min_off):
    import itertools

    from ortools.sat.python import cp_model

    from fts_scheduler.rules import _runs_automaton

    n = 8
    model = cp_model.CpModel()
    worked = [model.new_bool_var(f"d{k}") for k in range(n)]
    _runs_automaton(SimpleNamespace(model=model), worked, longest, min_on, min_off)
    accepted: set[tuple[int, ...]] = set()

    class Collect(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            accepted.add(tuple(self.Value(v) for v in worked))

    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True
    solver.Solve(model, Collect())
    expected = {s for s in itertools.product((0, 1), repeat=n) if _runs_ok(s, longest, min_on, min_off)}
    assert expected and accepted == expected
