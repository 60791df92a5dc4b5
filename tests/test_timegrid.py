"""Local clocks onto the UTC grid, across DST changes (23- and 25-hour local days)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from conftest import agent, make_problem
from fts_scheduler import LanguageFloor, ShiftTemplate
from fts_scheduler.timegrid import candidate_shifts, floor_matrix, to_utc
from zoneinfo import ZoneInfo

UTC = dt.UTC
NIGHT = ShiftTemplate(name="night", start=dt.time(22), length_hours=8)
DAY = ShiftTemplate(name="day", start=dt.time(8), length_hours=8)
EARLY = ShiftTemplate(name="early", start=dt.time(1, 30), length_hours=4)


def _shifts(problem):
    return {(s.template, s.local_date): s for s in candidate_shifts(problem, problem.sites[0])}


def test_fall_back_night_lasts_nine_real_hours():
    # Dublin leaves summer time on Sunday 25 October 2026 at 02:00 IST -> 01:00 GMT
    p = make_problem(agents=[agent(1)], templates=[NIGHT, DAY], timezone="Europe/Dublin",
                     start=dt.date(2026, 10, 23), days=4)
    s = _shifts(p)
    night = s[("night", dt.date(2026, 10, 24))]
    assert night.start_utc == dt.datetime(2026, 10, 24, 21, tzinfo=UTC)  # 22:00 IST
    assert night.end_utc == dt.datetime(2026, 10, 25, 6, tzinfo=UTC)  # 06:00 GMT, local clock end kept
    assert night.minutes == 9 * 60
    # the day shift moves one hour later in UTC across the change
    assert s[("day", dt.date(2026, 10, 24))].start_utc.hour == 7
    assert s[("day", dt.date(2026, 10, 25))].start_utc.hour == 8
    # grid indices follow real time: 9 hours = 9 intervals of 60 min
    assert night.last - night.first == 9


def test_spring_forward_night_lasts_seven_real_hours():
    # Austin (America/Chicago) springs forward on Sunday 8 March 2026, 02:00 CST -> 03:00 CDT
    p = make_problem(agents=[agent(1)], templates=[NIGHT], timezone="America/Chicago", country="US",
                     start=dt.date(2026, 3, 6), days=4)
    night = _shifts(p)[("night", dt.date(2026, 3, 7))]
    assert night.minutes == 7 * 60
    assert night.start_utc == dt.datetime(2026, 3, 8, 4, tzinfo=UTC)  # 22:00 CST
    assert night.end_utc == dt.datetime(2026, 3, 8, 11, tzinfo=UTC)  # 06:00 CDT


def test_local_times_in_the_gap_and_the_repeated_hour():
    chicago = ZoneInfo("America/Chicago")
    # 02:30 does not exist on 8 March 2026: read with the CST offset, i.e. 03:30 CDT
    assert to_utc(dt.datetime(2026, 3, 8, 2, 30), chicago) == dt.datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    # 01:30 happens twice on 1 November 2026: the first (CDT) occurrence
    assert to_utc(dt.datetime(2026, 11, 1, 1, 30), chicago) == dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_shift_starting_in_the_repeated_hour():
    p = make_problem(agents=[agent(1)], templates=[EARLY], timezone="America/Chicago", country="US",
                     start=dt.date(2026, 10, 31), days=2, interval=30)
    early = _shifts(p)[("early", dt.date(2026, 11, 1))]
    assert early.start_utc == dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 CDT
    assert early.minutes == 5 * 60  # 01:30 CDT -> 05:30 CST is five real hours


def test_local_days_of_23_and_25_hours_on_the_grid():
    # A floor "00:00-00:00" in Dublin covers the whole local day: 25 h on the fall-back
    # Sunday and 23 h on the spring-forward Sunday (29 March 2026).
    floor = LanguageFloor(language="en", site="S", start=dt.time(0), end=dt.time(0), weekdays=(6,))
    for start, hours in ((dt.date(2026, 10, 24), 25), (dt.date(2026, 3, 28), 23)):
        p = make_problem(agents=[agent(1)], templates=[DAY], floors=[floor], timezone="Europe/Dublin", start=start, days=3)
        row = floor_matrix(p)["en"]
        assert row.sum() == hours


def test_floor_window_in_tokyo_time_lands_on_utc_date_by_date():
    floor = LanguageFloor(language="ja", agents=2, site="S", start=dt.time(9), end=dt.time(18), weekdays=(0, 1, 2, 3, 4))
    p = make_problem(agents=[agent(1, ("ja",))], templates=[DAY], floors=[floor], timezone="Asia/Tokyo", country="JP",
                     start=dt.date(2026, 10, 19), days=7, interval=30)
    row = floor_matrix(p)["ja"]
    on = np.flatnonzero(row)
    assert row.max() == 2
    # Monday 09:00 JST = Monday 00:00 UTC: the first interval of the grid
    assert on[0] == 0
    # five weekdays of 9 hours in 30-minute intervals
    assert len(on) == 5 * 18
    # Friday 18:00 JST = Friday 09:00 UTC
    assert on[-1] == 4 * 48 + 18 - 1


def test_window_past_midnight_and_clipping_at_the_grid_edges():
    floor = LanguageFloor(language="en", site="S", start=dt.time(22), end=dt.time(6))
    p = make_problem(agents=[agent(1)], templates=[DAY], floors=[floor], start=dt.date(2026, 3, 2), days=2)
    row = floor_matrix(p)["en"]
    # UTC site: 00-06 and 22-24 each day (the window from the day before reaches in)
    assert list(np.flatnonzero(row)) == [0, 1, 2, 3, 4, 5, 22, 23, 24, 25, 26, 27, 28, 29, 46, 47]


def test_eastern_site_covers_the_first_hours_from_its_previous_local_day():
    p = make_problem(agents=[agent(1)], templates=[DAY], timezone="Asia/Tokyo", country="JP",
                     start=dt.date(2026, 3, 2), days=1)
    dates = sorted(d for _, d in _shifts(p))
    # Tokyo 08:00 on 2 March is 23:00 UTC on 1 March: outside; the 3 March day shift
    # (23:00 UTC 2 March) reaches into the window
    assert dates == [dt.date(2026, 3, 2), dt.date(2026, 3, 3)]
