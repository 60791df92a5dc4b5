"""The built-in demo: solved once per session, checked independently."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from fts_scheduler import validate

pytestmark = pytest.mark.slow


def test_demo_is_the_promised_scenario(demo):
    assert [s.name for s in demo.sites] == ["Manila", "Tokyo", "Dublin", "Sao Paulo", "Austin"]
    assert 100 <= len(demo.agents) <= 140
    assert demo.start_date == dt.date(2026, 10, 19) and demo.days == 14 and demo.interval_minutes == 30
    assert {f.language for f in demo.floors if f.around_the_clock} == {"en", "es"}
    assert {f.language for f in demo.floors if not f.around_the_clock} == {"ja", "pt", "de", "fr"}


def test_demo_roster_meets_every_floor_and_validates(demo, demo_roster):
    assert demo_roster.status in ("OPTIMAL", "FEASIBLE")
    cov = demo_roster.coverage
    assert len(cov) == demo.num_intervals * len(demo.languages())
    assert (cov["staffed"] >= cov["floor"]).all()
    assert validate(demo, demo_roster) == []


def test_demo_roster_crosses_dublin_and_austin_dst(demo_roster):
    a = demo_roster.assignments
    dublin = a[a["site"] == "Dublin"]
    offsets = {ts.utcoffset() for ts in dublin["start_local"]}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(0)}  # IST, then GMT
    austin = a[a["site"] == "Austin"]
    assert {ts.utcoffset() for ts in austin["start_local"]} == {dt.timedelta(hours=-5), dt.timedelta(hours=-6)}
    # the same local 08:00 "day" shift is at 07:00 UTC before 25 October and 08:00 after
    day = dublin[dublin["shift"] == "day"]
    before = day[day["start_local"].map(lambda t: t.date()) < dt.date(2026, 10, 25)]
    after = day[day["start_local"].map(lambda t: t.date()) >= dt.date(2026, 10, 25)]
    assert set(before["start_utc"].map(lambda t: t.hour)) == {7}
    assert set(after["start_utc"].map(lambda t: t.hour)) == {8}
    # hours are real hours: local end minus local start, through the zone
    real = (a["end_utc"] - a["start_utc"]) / pd.Timedelta(hours=1)
    assert (real == a["hours"]).all()


def test_summary_reads_well(demo_roster):
    text = demo_roster.summary()
    assert "language floors met in every interval: yes" in text
    assert "Dublin" in text and "gap" in text


def test_demo_bound_is_the_better_of_the_search_and_the_decomposition(demo_roster):
    """The roster reports the better proven bound and where it came from, never above its objective."""
    stats = demo_roster.stats
    assert stats["bound_source"] in ("search", "decomposition", "proved optimal")
    assert "decomposition_bound" in stats and stats["decomposition_rounds"] >= 1
    assert demo_roster.bound >= stats["search_bound"]
    assert demo_roster.bound >= min(stats["decomposition_bound"], demo_roster.objective)
    assert demo_roster.bound <= demo_roster.objective
    # the decomposition's first rounds already prove more than the domains alone (the demo's is far below 0)
    assert stats["decomposition_bound"] > 0.3 * demo_roster.objective
    expected = "search" if stats["search_bound"] >= stats["decomposition_bound"] else "decomposition"
    assert stats["bound_source"] == (expected if demo_roster.status != "OPTIMAL" else "proved optimal")
    assert f"({stats['bound_source']})" in demo_roster.summary().splitlines()[0]
