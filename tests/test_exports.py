"""Exports: read each file back and compare it with the roster it came from.

The roster (``roster_of`` from ``test_reports``) holds a Dublin night across the
return to winter time, so local times and UTC offsets differ within one file.
"""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import openpyxl
import pandas as pd
import pytest

from fts_scheduler import exports, reports
from fts_scheduler.io import read_problem, read_roster
from test_reports import SAT, roster_of, three_sites

MONDAY = dt.date(2026, 10, 26)
STAMP = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def world():
    p = three_sites()
    shifts = [
        ("D2", "night", SAT),  # 22:00 IST Saturday - 06:00 GMT Sunday: 9 h
        ("D2", "early", MONDAY),  # bank holiday
        ("D1", "early", MONDAY),
        ("M1", "early", SAT),  # Saturday in Manila, Friday 22:00 in UTC
        ("A1", "late", dt.date(2026, 10, 25)),
    ]
    return p, roster_of(p, shifts)


# --------------------------------------------------------------------------- Excel


def test_excel_has_one_local_time_sheet_per_site(world, tmp_path):
    p, roster = world
    path = exports.write_excel(p, roster, tmp_path / "roster.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Sites", "Agents", "Shifts Dublin", "Shifts Manila", "Shifts Austin", "Coverage"]
    ws = wb["Shifts Dublin"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    assert [r["agent_id"] for r in rows] == ["D2", "D1", "D2"]
    night = rows[0]
    # naive local wall clock, with the zone and the offset beside it
    assert night["start_local"] == dt.datetime(2026, 10, 24, 22, 0) and night["end_local"] == dt.datetime(2026, 10, 25, 6, 0)
    assert night["timezone"] == "Europe/Dublin" and night["utc_offset"] == "+01:00"
    assert night["start_utc"] == dt.datetime(2026, 10, 24, 21, 0)
    assert night["hours"] == 9 and night["night"] is True and night["weekend"] is True
    assert rows[1]["utc_offset"] == "+00:00" and rows[1]["holiday"] == "October Bank Holiday"
    manila = [c.value for c in wb["Shifts Manila"][2]]
    assert manila[header.index("start_local")] == dt.datetime(2026, 10, 24, 6, 0)
    assert wb["Shifts Manila"][2][header.index("timezone")].value == "Asia/Manila"
    assert wb["Coverage"].max_row == 1 + len(roster.coverage)


def test_excel_summary_names_the_headline_figures(world, tmp_path):
    p, roster = world
    wb = openpyxl.load_workbook(exports.write_excel(p, roster, tmp_path / "r.xlsx"))
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=2)}
    assert summary["status"] == "FEASIBLE"
    assert summary["paid_hours"] == pytest.approx(9 + 8 + 8 + 8 + 8)
    assert summary["holiday_shifts"] == 2  # D1 and D2 on the Irish bank holiday


# --------------------------------------------------------------------------- iCalendar


def test_ics_local_start_times_parse_back_equal_to_the_roster(world, tmp_path):
    p, roster = world
    paths = exports.write_ics(p, roster, tmp_path, stamp=STAMP)
    assert set(paths) == {a.id for a in p.agents}
    cal = icalendar.Calendar.from_ical(paths["D2"].read_bytes())
    zones = [tz for tz in cal.walk("VTIMEZONE")]
    assert [str(tz["TZID"]) for tz in zones] == ["Europe/Dublin"]
    events = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    mine = roster.assignments[roster.assignments["agent_id"] == "D2"].sort_values("start_utc")
    assert len(events) == len(mine) == 2
    vtz = zones[0].to_tz()  # the VTIMEZONE itself, not the IANA name, gives the offsets
    for event, (_, shift) in zip(events, mine.iterrows()):
        assert event["DTSTART"].params["TZID"] == "Europe/Dublin"
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start == shift["start_local"] and end == shift["end_local"]  # same instant
        assert start.replace(tzinfo=None) == shift["start_local"].tz_localize(None)  # same wall clock
        assert start.replace(tzinfo=vtz).utcoffset() == shift["start_local"].utcoffset()
        assert end.replace(tzinfo=vtz).utcoffset() == shift["end_local"].utcoffset()
    night = events[0]
    assert night.decoded("dtstart").utcoffset() == dt.timedelta(hours=1)
    assert night.decoded("dtend").utcoffset() == dt.timedelta(0)


def test_ics_uids_are_stable_and_agents_without_shifts_get_empty_calendars(world, tmp_path):
    p, roster = world
    a = exports.agent_calendar(p, roster, "D2", stamp=STAMP).to_ical()
    b = exports.agent_calendar(p, roster, "D2", stamp=STAMP).to_ical()
    assert a == b
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(a).walk("VEVENT")]
    assert uids == ["D2-20261024T210000Z@fts-scheduler", "D2-20261026T060000Z@fts-scheduler"]
    empty = icalendar.Calendar.from_ical(exports.agent_calendar(p, roster, "D3").to_ical())
    assert empty.walk("VEVENT") == []
    with pytest.raises(KeyError):
        exports.agent_calendar(p, roster, "nobody")


# --------------------------------------------------------------------------- JSON and CSV


def _strict_json(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_json_holds_the_whole_result_with_offsets(world, tmp_path):
    p, roster = world
    data = _strict_json(exports.write_json(p, roster, tmp_path / "r.json").read_text())
    assert data["format"] == "fts-scheduler result"
    assert data["problem"]["name"] == p.name
    assert len(data["roster"]["assignments"]) == len(roster.assignments)
    night = data["roster"]["assignments"][0]
    assert night["start_local"] == "2026-10-24T22:00:00+01:00" and night["end_local"] == "2026-10-25T06:00:00+00:00"
    assert night["start_utc"] == "2026-10-24T21:00:00+00:00"
    assert set(data["kpis"]) == {"totals", "sites", "agents", "shifts", "intervals"}
    assert {r["metric"]: r["value"] for r in data["kpis"]["totals"]}["shifts"] == 5


def test_kpi_csv_files_round_trip_their_tables(world, tmp_path):
    p, roster = world
    k = reports.kpis(p, roster)
    paths = exports.write_kpis_csv(k, tmp_path)
    assert set(paths) == {"totals", "sites", "agents", "shifts", "intervals"}
    agents = pd.read_csv(paths["agents"])
    assert agents["agent_id"].tolist() == k.agents["agent_id"].tolist()
    assert agents["hours"].tolist() == k.agents["hours"].tolist()
    shifts = pd.read_csv(paths["shifts"])
    manila = shifts[shifts["site"] == "Manila"].iloc[0]
    assert manila["start_local"] == "2026-10-24T06:00:00+08:00" and manila["local_date"] == "2026-10-24"


# --------------------------------------------------------------------------- everything


def test_write_report_writes_every_file_and_reads_back(world, tmp_path):
    p, roster = world
    paths = exports.write_report(p, roster, tmp_path, stamp=STAMP)
    names = {q.relative_to(tmp_path).as_posix() for q in paths.values()}
    assert {"problem.json", "assignments.csv", "coverage.csv", "summary.json", "roster.xlsx", "result.json"} <= names
    assert {f"ics/{a.id}.ics" for a in p.agents} <= names
    pngs = {n for n in names if n.startswith("plots/")}
    assert pngs == {
        "plots/follow_the_sun_de.png", "plots/follow_the_sun_en.png", "plots/gap_heatmap.png",
        "plots/gantt_Dublin.png", "plots/gantt_Manila.png", "plots/gantt_Austin.png",
    }  # fmt: skip
    for q in paths.values():
        assert q.stat().st_size > 0
    assert (tmp_path / "plots" / "gap_heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = read_roster(tmp_path, read_problem(tmp_path / "problem.json"))
    pd.testing.assert_frame_equal(reports.agent_kpis(p, back), reports.agent_kpis(p, roster))
