"""The independent validator, rule by rule: a hand-built roster that breaks exactly one
rule is reported under that rule's name, and its compliant twin is not reported at all.

Rows are built here with pytz (never with the library's time code), so a wrong local
time in the validator cannot hide behind the same mistake in the fixture.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest
import pytz

from conftest import MONDAY, THREE_SHIFTS, agent, make_problem
from fts_scheduler import (
    AvailabilityWindow,
    BreakRule,
    Contract,
    LabourRules,
    LanguageFloor,
    NightRules,
    OpeningHours,
    Problem,
    Roster,
    ShiftTemplate,
    Site,
    validate,
)

COLUMNS = ["agent_id", "site", "shift", "start_utc", "end_utc", "start_local", "end_local", "hours"]
BREAK_COLUMNS = ["agent_id", "start_utc", "end_utc", "kind"]

DUBLIN_MONDAY = dt.date(2026, 10, 19)  # its week holds Sunday 25 October 2026, 02:00 IST -> 01:00 GMT
CHICAGO_MONDAY = dt.date(2026, 10, 26)  # its week holds Sunday 1 November 2026, 02:00 CDT -> 01:00 CST
ROOMY = Contract(max_weekly_hours=60)  # keeps the contract cap out of tests about other rules


# --------------------------------------------------------------------------- fixtures built with pytz


def _localize(zone, naive: dt.datetime) -> dt.datetime:
    try:
        return zone.localize(naive, is_dst=None)
    except pytz.exceptions.AmbiguousTimeError:
        return zone.localize(naive, is_dst=True)  # first occurrence
    except pytz.exceptions.NonExistentTimeError:
        return zone.normalize(zone.localize(naive, is_dst=False))  # offset before the change


def shift(p: Problem, agent_id: str, day: dt.date, name: str, start: dt.time | None = None,
          length: float | None = None) -> dict:
    """One assignment row: template ``name`` on local date ``day`` of the agent's site."""
    a = next(x for x in p.agents if x.id == agent_id)
    site = next(s for s in p.sites if s.name == a.site)
    t = next(x for x in p.shift_templates if x.name == name)
    zone = pytz.timezone(site.timezone)
    naive = dt.datetime.combine(day, start or t.start)
    s = pd.Timestamp(_localize(zone, naive))
    e = pd.Timestamp(_localize(zone, naive + dt.timedelta(hours=t.length_hours if length is None else length)))
    return dict(agent_id=agent_id, site=site.name, shift=name, start_utc=s.tz_convert("UTC"),
                end_utc=e.tz_convert("UTC"), start_local=s, end_local=e, hours=(e - s).total_seconds() / 3600)


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def brk(row: dict, after_hours: float, minutes: int, kind: str = "meal", agent_id: str | None = None) -> dict:
    s = row["start_utc"] + pd.Timedelta(hours=after_hours)
    return dict(agent_id=agent_id or row["agent_id"], start_utc=s, end_utc=s + pd.Timedelta(minutes=minutes), kind=kind)


def breaks(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=BREAK_COLUMNS)


def problem(*, agents, templates=THREE_SHIFTS, rules=LabourRules(), timezone="UTC", country="IE", start=MONDAY,
            days=7, floors=(), **site) -> Problem:
    """A one-site problem whose site takes any Site field (holidays, opening_hours, lead_required)."""
    return Problem(
        sites=(Site(name="S", timezone=timezone, country=country, rules=rules, **site),),
        agents=tuple(agents), shift_templates=tuple(templates), floors=tuple(floors),
        start_date=start, days=days, interval_minutes=60,
    )


def rules_of(p: Problem, rows: list[dict], brks: list[dict] | None = None) -> set[str]:
    return {v.rule for v in validate(p, frame(rows), None if brks is None else breaks(brks))}


def day(k: int, monday: dt.date = MONDAY) -> dt.date:
    return monday + dt.timedelta(days=k)


# --------------------------------------------------------------------------- signature


def test_validate_takes_roster_breaks_or_a_frame_and_breaks():
    meal = BreakRule(kind="meal", minutes=30, earliest_after_hours=2, latest_after_hours=4)
    t = ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=(meal,))
    p = make_problem(agents=[agent(1)], templates=[t], days=1)
    rows = [shift(p, "1", MONDAY, "day")]
    ok = [brk(rows[0], 3, 30)]
    roster = Roster(status="OPTIMAL", objective=0, bound=0, gap=0, runtime_s=0, assignments=frame(rows),
                    coverage=pd.DataFrame(), breaks=breaks(ok))
    assert validate(p, roster) == []
    assert validate(p, frame(rows), breaks(ok)) == []
    assert {v.rule for v in validate(p, frame(rows))} == {"breaks"}  # a frame alone: no breaks
    bad = breaks([{**ok[0], "kind": "lunch"}])
    assert validate(p, roster, bad) != []  # an explicit frame replaces roster.breaks
    assert [v.rule for v in validate(p, frame(rows), bad.drop(columns=["kind"]))] == ["schema"]


# --------------------------------------------------------------------------- time


FLEX = ShiftTemplate(name="flex", start=dt.time(8), latest_start=dt.time(10), start_step_minutes=60,
                     length_hours=8, other_lengths_hours=(6,))


@pytest.mark.parametrize(
    "start, length, ok",
    [(dt.time(8), 8, True), (dt.time(9), 6, True), (dt.time(10), 8, True),
     (dt.time(7), 8, False), (dt.time(11), 8, False), (dt.time(9, 30), 8, False), (dt.time(9), 7, False)],
)
def test_flexible_start_and_length(start, length, ok):
    p = make_problem(agents=[agent(1)], templates=[FLEX], days=1)
    got = rules_of(p, [shift(p, "1", MONDAY, "flex", start, length)])
    assert got == (set() if ok else {"time"})


def test_time_reads_the_spring_forward_gap_with_the_old_offset():
    """02:30 on 8 March 2026 does not exist in Chicago: it is 08:30 UTC (03:30 CDT); 02:30 + 8 h is 10:30 CDT."""
    t = ShiftTemplate(name="odd", start=dt.time(2, 30), length_hours=8)
    p = make_problem(agents=[agent(1)], templates=[t], days=1, timezone="America/Chicago", country="US",
                     start=dt.date(2026, 3, 8), interval=30)
    row = shift(p, "1", dt.date(2026, 3, 8), "odd")
    assert row["start_utc"] == pd.Timestamp("2026-03-08 08:30", tz="UTC")
    assert row["hours"] == 7
    assert validate(p, frame([row])) == []
    moved = {**row, "start_utc": pd.Timestamp("2026-03-08 07:30", tz="UTC")}  # "02:30 CDT" read the other way
    assert {v.rule for v in validate(p, frame([moved]))} == {"time"}


def test_time_reads_a_repeated_hour_at_its_first_occurrence():
    """Chicago 1 November 2026: 01:30 happens twice; a shift ending then ends at the first (06:30 UTC)."""
    t = ShiftTemplate(name="eve", start=dt.time(17, 30), length_hours=8)
    p = make_problem(agents=[agent(1)], templates=[t], days=1, timezone="America/Chicago", country="US",
                     start=dt.date(2026, 10, 31), interval=30)
    row = shift(p, "1", dt.date(2026, 10, 31), "eve")
    assert row["end_utc"] == pd.Timestamp("2026-11-01 06:30", tz="UTC")
    assert validate(p, frame([row])) == []
    late = row["end_utc"] + pd.Timedelta(hours=1)  # 01:30 CST, the second occurrence
    second = {**row, "end_utc": late, "end_local": late.tz_convert("America/Chicago"), "hours": 9.0}
    assert {v.rule for v in validate(p, frame([second]))} == {"time"}


# --------------------------------------------------------------------------- max_daily_hours


@pytest.mark.parametrize("date, ok", [(dt.date(2026, 10, 23), True), (dt.date(2026, 10, 24), False)])
def test_max_daily_hours_in_real_time(date, ok):
    """Dublin's 22:00-06:00 night of 24 October 2026 lasts 9 h: over a 8.5 h cap; other nights are 8 h."""
    p = problem(agents=[agent(1)], rules=LabourRules(max_daily_hours=8.5), timezone="Europe/Dublin",
                start=DUBLIN_MONDAY)
    assert rules_of(p, [shift(p, "1", date, "night")]) == (set() if ok else {"max_daily_hours"})


# --------------------------------------------------------------------------- weekly_rest


REST_TEMPLATES = [
    ShiftTemplate(name="day", start=dt.time(8), length_hours=8),
    ShiftTemplate(name="early", start=dt.time(6), length_hours=8),
    ShiftTemplate(name="seven", start=dt.time(7), length_hours=8),
]


@pytest.mark.parametrize(
    "zone, country, monday",
    [("Europe/Dublin", "IE", DUBLIN_MONDAY), ("America/Chicago", "US", CHICAGO_MONDAY)],
)
@pytest.mark.parametrize("saturday, ok", [("early", True), ("seven", False)])
def test_weekly_rest_across_the_autumn_change(zone, country, monday, saturday, ok):
    """Monday to Friday 08-16, Saturday 06-14: Saturday 14:00 to the week's end (Monday 00:00) is 34 h
    on the local clock but 35 h in real time, because that Sunday has 25 hours. Saturday 07-15 leaves 34 h."""
    p = problem(agents=[agent(1, contract=ROOMY)], templates=REST_TEMPLATES, timezone=zone, country=country,
                start=monday, days=14, rules=LabourRules(weekly_rest_hours=35))
    rows = [shift(p, "1", day(k, monday), "day") for k in range(5)] + [shift(p, "1", day(5, monday), saturday),
                                                                       shift(p, "1", day(7, monday), "day")]
    got = validate(p, frame(rows))
    assert {v.rule for v in got} == (set() if ok else {"weekly_rest"})
    if not ok:
        assert "is 34 h" in got[0].message and "35 h" in got[0].message and got[0].when == monday


def test_weekly_rest_counts_an_earlier_off_period_from_monday():
    """Off from Saturday 14:00 (the week before) to Tuesday 06:00: the week's share is 30 h."""
    rows = None
    for need, expected in ((31, {"weekly_rest"}), (30, set())):
        p = problem(agents=[agent(1, contract=ROOMY)], start=day(7), days=7,
                    rules=LabourRules(weekly_rest_hours=need, max_consecutive_days=7))
        rows = [shift(p, "1", day(5), "early")] + [shift(p, "1", day(k), "early") for k in range(8, 15)]
        assert rules_of(p, rows) == expected


def test_weekly_rest_ends_with_the_week_and_weeks_outside_the_horizon_do_not_bind():
    p = problem(agents=[agent(1, contract=ROOMY)], days=7, rules=LabourRules(weekly_rest_hours=96))
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in range(3)]) == set()  # Wed 14:00 to Mon 00:00: 106 h
    busy = [shift(p, "1", day(k), "early") for k in range(4)]  # Thu 14:00 to Mon 00:00: 82 h, nothing after
    assert rules_of(p, busy) == {"weekly_rest"}
    p6 = problem(agents=[agent(1, contract=ROOMY)], days=6, rules=LabourRules(weekly_rest_hours=96))
    assert rules_of(p6, busy) == set()  # no whole ISO week in the horizon


def test_weekly_rest_spill_over_from_the_week_before():
    """A Sunday night runs into Monday 06:00; the rest after it starts in the new week."""
    p = problem(agents=[agent(1, contract=ROOMY)], start=day(7), days=7, rules=LabourRules(weekly_rest_hours=48))
    rows = [shift(p, "1", day(6), "night")] + [shift(p, "1", day(k), "late") for k in (10, 11, 13, 14)]
    assert rules_of(p, rows) == set()  # Monday 06:00 to Thursday 14:00 (the other rests are 16 h and 40 h)


def test_the_rest_after_a_sunday_night_belongs_to_the_next_week():
    """Sunday's night ends Monday 06:00; the 56 h until Wednesday 14:00 lie in the next week, not in its own."""
    p = problem(agents=[agent(1, contract=ROOMY)], days=14, rules=LabourRules(weekly_rest_hours=49))
    rows = [shift(p, "1", day(k), "late") for k in (0, 1, 2, 3, 4)] + [shift(p, "1", day(6), "night")]
    rows += [shift(p, "1", day(k), "late") for k in (9, 10, 11, 12, 13)]
    got = validate(p, frame(rows))
    assert [(v.rule, v.when) for v in got] == [("weekly_rest", MONDAY)]  # its best is Fri 22:00-Sun 22:00, 48 h
    assert "is 48 h" in got[0].message


# --------------------------------------------------------------------------- weekly hours, shifts per week


def test_site_weekly_hours_every_week():
    p = problem(agents=[agent(1)], rules=LabourRules(max_weekly_hours=16), days=3)  # a partial week still binds
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (0, 2)]) == set()
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (0, 1, 2)]) == {"site_weekly_hours"}


@pytest.mark.parametrize("second_week, ok", [((7, 9), True), ((7, 9, 11), False)])
def test_average_weekly_hours_over_full_weeks(second_week, ok):
    """24 h then 16 h average 20 h; 24 h and 24 h do not. A shift outside the full weeks does not count."""
    p = problem(agents=[agent(1)], rules=LabourRules(max_average_weekly_hours=20), days=15)
    rows = [shift(p, "1", day(k), "early") for k in (0, 2, 4, *second_week, 14)]
    assert rules_of(p, rows) == (set() if ok else {"average_weekly_hours"})


def test_shifts_per_week():
    p = problem(agents=[agent(1, contract=Contract(max_shifts_per_week=2))], days=7)
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (0, 2)]) == set()
    got = validate(p, frame([shift(p, "1", day(k), "early") for k in (0, 2, 4)]))
    assert [v.rule for v in got] == ["shifts_per_week"]
    assert "3 shifts" in got[0].message and "2026-W10" in got[0].message


# --------------------------------------------------------------------------- nights


@pytest.mark.parametrize(
    "zone, country, monday, dst_night",
    [("Europe/Dublin", "IE", DUBLIN_MONDAY, 5), ("America/Chicago", "US", CHICAGO_MONDAY, 5)],
)
def test_night_is_measured_in_real_time(zone, country, monday, dst_night):
    """With min_hours 8.5 only the 9-hour 22:00-06:00 night of the autumn change is a night shift."""
    rules = LabourRules(night=NightRules(min_hours=8.5, max_per_week=0))
    p = problem(agents=[agent(1)], rules=rules, timezone=zone, country=country, start=monday)
    assert rules_of(p, [shift(p, "1", day(dst_night - 1, monday), "night")]) == set()
    got = validate(p, frame([shift(p, "1", day(dst_night, monday), "night")]))
    assert [v.rule for v in got] == ["night_shifts"]


def test_a_shift_after_midnight_sits_in_the_previous_dates_window():
    t = ShiftTemplate(name="small", start=dt.time(1), length_hours=4)
    p = problem(agents=[agent(1)], templates=[t, *THREE_SHIFTS], rules=LabourRules(night=NightRules(max_per_week=0)))
    assert rules_of(p, [shift(p, "1", day(1), "small")]) == {"night_shifts"}  # 01-05: 4 h of Monday's night
    assert rules_of(p, [shift(p, "1", day(1), "early")]) == set()  # 06-14: none
    assert rules_of(p, [shift(p, "1", day(1), "late")]) == set()  # 14-22: none


def test_night_window_short_of_min_hours_is_not_a_night():
    t = ShiftTemplate(name="eve", start=dt.time(17), length_hours=7)  # 22-24: 2 h in the window
    p = problem(agents=[agent(1)], templates=[t], rules=LabourRules(night=NightRules(min_hours=3, max_per_week=0)))
    assert rules_of(p, [shift(p, "1", day(1), "eve")]) == set()
    assert rules_of(p, [shift(p, "1", day(1), "eve", dt.time(17), 8)]) == {"time", "night_shifts"}  # 3 h, not a length


@pytest.mark.parametrize("dates, ok", [((0, 1, 3), True), ((0, 1, 2), False)])
def test_max_consecutive_nights(dates, ok):
    p = problem(agents=[agent(1)], rules=LabourRules(night=NightRules(max_consecutive=2)))
    assert rules_of(p, [shift(p, "1", day(k), "night") for k in dates]) == (set() if ok else {"night_shifts"})


@pytest.mark.parametrize("next_start, ok", [(dt.time(6), True), (dt.time(5), False)])
def test_rest_after_the_last_night_across_the_change(next_start, ok):
    """Chicago: the night of 31 October ends 06:00 CST (12:00 UTC) on 1 November; 24 h rest after it."""
    early = ShiftTemplate(name="early", start=dt.time(5), latest_start=dt.time(6), start_step_minutes=60,
                          length_hours=8)
    night = ShiftTemplate(name="night", start=dt.time(22), length_hours=8)
    p = problem(agents=[agent(1)], templates=[early, night], timezone="America/Chicago", country="US",
                start=CHICAGO_MONDAY, rules=LabourRules(night=NightRules(rest_after_hours=24)))
    rows = [shift(p, "1", day(4, CHICAGO_MONDAY), "night"), shift(p, "1", day(5, CHICAGO_MONDAY), "night"),
            shift(p, "1", day(7, CHICAGO_MONDAY), "early", next_start)]
    assert rows[1]["end_utc"] == pd.Timestamp("2026-11-01 12:00", tz="UTC")
    got = validate(p, frame(rows))
    assert {v.rule for v in got} == (set() if ok else {"night_shifts"})
    if not ok:
        assert "23 h" in got[0].message and "2026-10-31" in got[0].message


# --------------------------------------------------------------------------- weekends


def test_weekends_off_pro_rata():
    """28 days from a Monday hold 4 weekends; one must be free."""
    rules = LabourRules(min_weekends_off_per_4_weeks=1)
    p = problem(agents=[agent(1)], rules=rules, days=28)
    every = [shift(p, "1", day(7 * w + 5), "early") for w in range(4)]
    assert rules_of(p, every) == {"weekends_off"}
    assert rules_of(p, every[:3] + [shift(p, "1", day(7 * 3 + 4), "early")]) == set()  # Friday is no weekend
    p3 = problem(agents=[agent(1)], rules=LabourRules(min_weekends_off_per_4_weeks=2), days=21)
    three = [shift(p3, "1", day(7 * w + 6), "early") for w in range(3)]
    assert rules_of(p3, three) == {"weekends_off"}  # floor(2 * 3 / 4) = 1 needed, none off
    assert rules_of(p3, three[:2]) == set()


def test_only_complete_weekends_count():
    """Friday-Saturday weekends, horizon from Saturday 7 March for 21 days: 13-14 and 20-21 are complete;
    6-7 and 27-28 are cut by the horizon."""
    rules = LabourRules(weekend_days=(4, 5), min_weekends_off_per_4_weeks=2)
    p = problem(agents=[agent(1)], rules=rules, start=day(5), days=21)
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (5, 12, 25)]) == set()
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (12, 18)]) == {"weekends_off"}


def test_a_weekend_across_the_week_boundary():
    """Sunday-Monday weekends are one run each, not two half weekends."""
    rules = LabourRules(weekend_days=(6, 0), min_weekends_off_per_4_weeks=4)
    p = problem(agents=[agent(1)], rules=rules, start=day(6), days=15)  # Sun 8 .. Sun 22: 2 complete (8-9, 15-16)
    assert rules_of(p, []) == set()
    assert rules_of(p, [shift(p, "1", day(7), "early")]) == {"weekends_off"}  # Monday 9 spoils 8-9
    assert rules_of(p, [shift(p, "1", day(20), "early")]) == set()  # 22-23 is not complete


# --------------------------------------------------------------------------- holidays, opening hours, availability


@pytest.mark.parametrize(
    "holidays, date, ok",
    [("closed", dt.date(2026, 10, 26), False), ("closed", dt.date(2026, 10, 27), True),
     ("open", dt.date(2026, 10, 26), True)],
)
def test_closed_on_the_october_bank_holiday(holidays, date, ok):
    p = problem(agents=[agent(1)], timezone="Europe/Dublin", start=dt.date(2026, 10, 26), holidays=holidays)
    got = validate(p, frame([shift(p, "1", date, "early")]))
    assert {v.rule for v in got} == (set() if ok else {"closed_holidays"})
    if not ok:
        assert "October Bank Holiday" in got[0].message


def test_closed_holidays_go_by_the_local_start_date():
    """Tokyo's night of Monday 2 November 2026 runs into Culture Day (3 November) but starts before it."""
    p = problem(agents=[agent(1)], timezone="Asia/Tokyo", country="JP", start=dt.date(2026, 11, 2),
                holidays="closed")
    assert rules_of(p, [shift(p, "1", dt.date(2026, 11, 2), "night")]) == set()
    assert rules_of(p, [shift(p, "1", dt.date(2026, 11, 3), "early")]) == {"closed_holidays"}


OPENING = (OpeningHours(weekday=0, open=dt.time(8), close=dt.time(20)),
           OpeningHours(weekday=1, open=dt.time(22), close=dt.time(6)),
           OpeningHours(weekday=5, open=dt.time(22), close=dt.time(6)))
DAY8 = ShiftTemplate(name="day", start=dt.time(8), length_hours=8)


@pytest.mark.parametrize(
    "k, name, ok",
    [(0, "day", True), (0, "late", False), (1, "night", True), (1, "early", False), (2, "day", False)],
)
def test_opening_hours(k, name, ok):
    p = problem(agents=[agent(1)], templates=[*THREE_SHIFTS, DAY8], opening_hours=OPENING)
    assert rules_of(p, [shift(p, "1", day(k), name)]) == (set() if ok else {"opening_hours"})


def test_opening_hours_on_the_local_clock_across_the_change():
    """Dublin, Saturday 24 October: the night lasts 9 h but fits the 22:00-06:00 window on the local clock."""
    p = problem(agents=[agent(1)], timezone="Europe/Dublin", start=DUBLIN_MONDAY, opening_hours=OPENING)
    assert rules_of(p, [shift(p, "1", dt.date(2026, 10, 24), "night")]) == set()
    assert rules_of(p, [shift(p, "1", dt.date(2026, 10, 25), "night")]) == {"opening_hours"}


@pytest.mark.parametrize("k, name, ok", [(0, "early", True), (0, "late", False), (1, "early", False)])
def test_availability(k, name, ok):
    windows = (AvailabilityWindow(weekday=0, start=dt.time(6), end=dt.time(14)),
               AvailabilityWindow(weekday=2, start=dt.time(20), end=dt.time(6)))
    p = problem(agents=[agent(1, availability=windows)])
    assert rules_of(p, [shift(p, "1", day(k), name)]) == (set() if ok else {"availability"})
    assert rules_of(p, [shift(p, "1", day(2), "night")]) == set()


# --------------------------------------------------------------------------- team lead


def test_team_lead_whenever_an_agent_works():
    people = [agent("A"), agent("L", role="lead"), agent("B")]
    p = problem(agents=people, days=1, lead_required=True)
    assert rules_of(p, [shift(p, "A", MONDAY, "early"), shift(p, "L", MONDAY, "early")]) == set()
    assert rules_of(p, [shift(p, "L", MONDAY, "late")]) == set()  # a lead alone is fine
    got = validate(p, frame([shift(p, "A", MONDAY, "late"), shift(p, "L", MONDAY, "early"),
                             shift(p, "B", MONDAY, "early")]))
    assert [v.rule for v in got] == ["team_lead"]
    assert "2026-03-02 14:00 UTC to 2026-03-02 22:00 UTC (8 intervals" in got[0].message
    no_rule = problem(agents=people, days=1)
    assert rules_of(no_rule, [shift(no_rule, "A", MONDAY, "late")]) == set()


# --------------------------------------------------------------------------- breaks


MEAL = BreakRule(kind="meal", minutes=30, earliest_after_hours=3, latest_after_hours=5)
WITH_MEAL = ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=(MEAL,))


def _meal_problem(**kw):
    return problem(agents=[agent(1), agent(2)], templates=[WITH_MEAL, *THREE_SHIFTS], days=2, **kw)


@pytest.mark.parametrize(
    "make, ok",
    [
        (lambda r: [brk(r, 3, 30)], True),
        (lambda r: [brk(r, 5, 30)], True),
        (lambda r: [], False),  # missing
        (lambda r: [brk(r, 4 + 10 / 60, 30)], False),  # off the 15-minute step
        (lambda r: [brk(r, 5.25, 30)], False),  # too late
        (lambda r: [brk(r, 2.75, 30)], False),  # too early
        (lambda r: [brk(r, 4, 45)], False),  # too long
        (lambda r: [brk(r, 4, 30, kind="rest")], False),  # wrong kind
        (lambda r: [brk(r, 3, 30), brk(r, 5, 30)], False),  # one too many
        (lambda r: [brk(r, 4, 30), brk(r, 2, 15, agent_id="2")], False),  # agent 2 has no shift then
        (lambda r: [brk(r, 4, 30), brk(r, 2, 15, agent_id="ghost")], False),  # no such agent
    ],
)
def test_breaks_follow_the_template(make, ok):
    p = _meal_problem()
    row = shift(p, "1", MONDAY, "day")
    assert rules_of(p, [row], make(row)) == (set() if ok else {"breaks"})


def test_no_break_on_a_template_without_breaks():
    p = _meal_problem()
    row = shift(p, "1", MONDAY, "early")
    assert rules_of(p, [row], []) == set()
    assert rules_of(p, [row], [brk(row, 3, 30)]) == {"breaks"}


def test_a_break_must_end_inside_a_shortened_shift():
    """Chicago 8 March 2026: 22:00-06:00 of the 7th lasts 7 h; a 6:30 h + 30 min break would end after it."""
    rule = BreakRule(kind="meal", minutes=30, earliest_after_hours=6, latest_after_hours=7)
    t = ShiftTemplate(name="night", start=dt.time(22), length_hours=8, breaks=(rule,))
    p = problem(agents=[agent(1)], templates=[t], timezone="America/Chicago", country="US",
                start=dt.date(2026, 3, 2))
    row = shift(p, "1", dt.date(2026, 3, 7), "night")
    assert row["hours"] == 7
    assert rules_of(p, [row], [brk(row, 6, 30)]) == set()
    assert rules_of(p, [row], [brk(row, 6.75, 30)]) == {"breaks"}


def test_two_breaks_of_one_kind_match_as_a_multiset():
    first = BreakRule(kind="rest", minutes=15, earliest_after_hours=1, latest_after_hours=2)
    second = BreakRule(kind="rest", minutes=15, earliest_after_hours=4, latest_after_hours=5)
    t = ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=(second, first))
    p = problem(agents=[agent(1)], templates=[t], days=1)
    row = shift(p, "1", MONDAY, "day")
    assert rules_of(p, [row], [brk(row, 1.5, 15, "rest"), brk(row, 4.5, 15, "rest")]) == set()
    assert rules_of(p, [row], [brk(row, 5, 15, "rest"), brk(row, 1, 15, "rest")]) == set()  # row order is free
    assert rules_of(p, [row], [brk(row, 1, 15, "rest"), brk(row, 1.5, 15, "rest")]) == {"breaks"}
    assert rules_of(p, [row], [brk(row, 1.5, 15, "rest"), brk(row, 3, 15, "rest")]) == {"breaks"}
    assert rules_of(p, [row], [brk(row, 1.5, 15, "rest")]) == {"breaks"}


def test_breaks_must_not_overlap():
    meal = BreakRule(kind="meal", minutes=30, earliest_after_hours=3, latest_after_hours=3.5)
    rest = BreakRule(kind="rest", minutes=15, earliest_after_hours=4, latest_after_hours=5)
    t = ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=(meal, rest))
    p = problem(agents=[agent(1)], templates=[t], days=1)
    row = shift(p, "1", MONDAY, "day")
    assert rules_of(p, [row], [brk(row, 3.5, 30), brk(row, 4, 15, "rest")]) == set()  # touching is fine
    got = validate(p, frame([row]), breaks([brk(row, 3.5, 30), brk(row, 3.75, 15, "rest")]))
    assert {v.rule for v in got} == {"breaks"} and any("overlaps" in v.message for v in got)


def test_a_break_can_break_a_floor():
    """One agent covers a 09:00-12:00 floor; the 10:00 meal leaves it uncovered from 10:00 to 11:00."""
    early_meal = BreakRule(kind="meal", minutes=30, earliest_after_hours=2, latest_after_hours=4)
    t = ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=(early_meal,))
    floor = LanguageFloor(language="en", agents=1, site="S", start=dt.time(9), end=dt.time(12))
    p = problem(agents=[agent(1)], templates=[t], days=1, floors=[floor])
    row = shift(p, "1", MONDAY, "day")
    assert "language_floors" not in rules_of(p, [row])  # without the break the floor holds
    got = validate(p, frame([row]), breaks([brk(row, 2, 30)]))
    assert [v.rule for v in got] == ["language_floors"]
    assert got[0].when == pd.Timestamp("2026-03-02 10:00", tz="UTC")
    assert rules_of(p, [row], [brk(row, 4, 30)]) == set()  # a break at noon is after the floor


def test_a_break_only_touching_an_interval_still_takes_the_agent_out_of_it():
    t = ShiftTemplate(name="day", start=dt.time(8), length_hours=8,
                      breaks=(BreakRule(kind="meal", minutes=15, earliest_after_hours=2, latest_after_hours=4),))
    floor = LanguageFloor(language="en", agents=1, site="S", start=dt.time(10), end=dt.time(11))
    p = problem(agents=[agent(1)], templates=[t], days=1, floors=[floor], )
    row = shift(p, "1", MONDAY, "day")
    assert rules_of(p, [row], [brk(row, 2.75, 15)]) == {"language_floors"}  # 10:45-11:00
    assert rules_of(p, [row], [brk(row, 3, 15)]) == set()  # 11:00-11:15


# --------------------------------------------------------------------------- contract limits over the horizon


def test_contract_overrides_the_sites_consecutive_days():
    p = problem(agents=[agent(1, contract=Contract(max_consecutive_days=2))], rules=LabourRules(max_consecutive_days=6))
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (0, 1, 3, 4)]) == set()
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (0, 1, 2)]) == {"max_consecutive_days"}
    loose = problem(agents=[agent(1, contract=Contract(max_consecutive_days=7, max_weekly_hours=56))],
                    rules=LabourRules(max_consecutive_days=2, weekly_rest_hours=0))
    assert rules_of(loose, [shift(loose, "1", day(k), "early") for k in range(7)]) == set()


def test_horizon_hours():
    p = problem(agents=[agent(1, contract=Contract(min_horizon_hours=16, max_horizon_hours=24))], days=7)
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (0, 2)]) == set()
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (0, 2, 4, 6)]) == {"horizon_hours"}
    assert rules_of(p, [shift(p, "1", day(0), "early")]) == {"horizon_hours"}
    # the night of the day before the horizon is not on its local dates
    assert rules_of(p, [shift(p, "1", day(-1), "night"), shift(p, "1", day(2), "early")]) == {"horizon_hours"}


def test_shifts_by_template():
    p = problem(agents=[agent(1, contract=Contract(max_shifts_by_template={"late": 1, "night": 0}))])
    assert rules_of(p, [shift(p, "1", day(k), name) for k, name in ((0, "late"), (2, "early"))]) == set()
    assert rules_of(p, [shift(p, "1", day(k), "late") for k in (0, 2)]) == {"shifts_by_template"}
    assert rules_of(p, [shift(p, "1", day(3), "night")]) == {"shifts_by_template"}


@pytest.mark.parametrize(
    "dates, expected",
    [
        ((0, 1, 4, 5, 6, 9), set()),  # 0-1 and 9 touch the ends; 4-6 is three long
        ((0, 3, 4, 5, 9), set()),
        ((0, 3, 4, 7, 8, 9), {"min_consecutive_days"}),  # 3-4 is two long
        ((0, 2, 3, 4, 9), {"min_consecutive_days_off"}),  # day 1 alone is off
        ((2, 3, 4, 6, 7, 8), {"min_consecutive_days_off"}),  # day 5 alone; 0-1 and 9 touch the ends
    ],
)
def test_minimum_runs_on_and_off(dates, expected):
    contract = Contract(min_consecutive_days=3, min_consecutive_days_off=2, max_weekly_hours=56)
    p = problem(agents=[agent(1, contract=contract)], days=10, rules=LabourRules(weekly_rest_hours=0))
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in dates]) == expected


def test_max_weekends():
    """Two weeks from a Monday and a Sunday before it: Saturday and Sunday weekends cut to the horizon."""
    p = problem(agents=[agent(1, contract=Contract(max_weekends=1))], days=14)
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (5, 6, 7)]) == set()
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (-1, 6)]) == set()  # 1 March is before it
    assert rules_of(p, [shift(p, "1", day(k), "early") for k in (6, 12)]) == {"max_weekends"}
    cut = problem(agents=[agent(1, contract=Contract(max_weekends=1))], start=day(6), days=7)  # Sun 8 .. Sat 14
    assert rules_of(cut, [shift(cut, "1", day(k), "early") for k in (6, 12)]) == {"max_weekends"}  # halves count


def test_forbidden_successions():
    rules = LabourRules(forbidden_successions=(("late", "early"),), min_rest_hours=0)
    p = problem(agents=[agent(1)], rules=rules)
    assert rules_of(p, [shift(p, "1", day(0), "early"), shift(p, "1", day(1), "late")]) == set()
    assert rules_of(p, [shift(p, "1", day(0), "late"), shift(p, "1", day(2), "early")]) == set()
    assert rules_of(p, [shift(p, "1", day(0), "late"), shift(p, "1", day(1), "early")]) == {"forbidden_successions"}


# --------------------------------------------------------------------------- speed


def test_validate_is_fast_on_a_month_of_shifts():
    people = [agent(i, languages=("en", "es") if i % 2 else ("en",), contract=ROOMY) for i in range(40)]
    floors = [LanguageFloor(language="en", agents=2), LanguageFloor(language="es", agents=1),
              LanguageFloor(language="es", agents=2, site="S", start=dt.time(9), end=dt.time(17))]
    p = problem(agents=people, days=28, floors=floors)
    names = ["early", "late", "night"]
    rows = [shift(p, str(i), day(k), names[i % 3]) for i in range(40) for k in range(-1, 28) if (k + i) % 7 < 5]
    t0 = time.perf_counter()
    got = validate(p, frame(rows))
    assert time.perf_counter() - t0 < 1.5
    assert got == []
