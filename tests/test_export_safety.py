"""Exports of ids and names that spreadsheets, file systems and calendars could misread (issue 29).

Agent ids, site, template and problem names come from HR systems and colleagues'
files. A cell that begins with ``=`` must stay text, two ids must not share a file,
and a site called ``a,b;c\\d`` must come back from its calendar as it went in.

One tiny problem (1 day, 4 agents, 1 site, 1 template with a meal break) is solved
once; each case renames its ids and names, which keeps the roster a valid roster of
the renamed problem.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import icalendar
import openpyxl
import pandas as pd
import pydantic
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fts_scheduler import Agent, Contract, LanguageFloor, Problem, ShiftTemplate, Site, cells, exports, solve, validate
from fts_scheduler.cli import app
from fts_scheduler.io import read_roster
from fts_scheduler.models import BreakRule
from fts_scheduler.roster import Roster

DAY = dt.date(2026, 3, 2)
STAMP = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
BASE_IDS = ("a0", "a1", "a2", "a3")
FORMULA_IDS = ("=1+1", "'quoted", "-5", "@SUM(A1)")


def tiny_problem(ids=BASE_IDS, *, sites=("S",), template="day", name="tiny", kind="meal") -> Problem:
    """Four agents (spread over ``sites`` in turn) who each work the one 8-hour template once."""
    return Problem(
        sites=tuple(Site(name=s, timezone="Europe/Dublin", country="IE") for s in sites),
        agents=tuple(
            Agent(id=i, site=sites[k % len(sites)], languages=("en",), hourly_cost=10.0 + k,
                  contract=Contract(min_horizon_hours=8))
            for k, i in enumerate(ids)
        ),
        shift_templates=(
            ShiftTemplate(name=template, start=dt.time(8), length_hours=8,
                          breaks=(BreakRule(kind=kind, minutes=30, earliest_after_hours=3, latest_after_hours=4),)),
        ),
        floors=(LanguageFloor(language="en", agents=2, site=sites[0], start=dt.time(9), end=dt.time(15)),),
        start_date=DAY,
        days=1,
        interval_minutes=30,
        name=name,
    )  # fmt: skip


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Roster]:
    """The tiny problem solved once (well under a second)."""
    p = tiny_problem()
    return p, solve(p, time_limit_s=5)


def renamed(solved, ids, **names) -> tuple[Problem, Roster]:
    """The solved roster with ``ids`` for the agents and ``names`` (as :func:`tiny_problem` takes them)."""
    base, roster = solved
    problem = tiny_problem(ids, **names)
    new_id = dict(zip(BASE_IDS, ids))
    site_of = {a.id: a.site for a in problem.agents}
    a = roster.assignments.copy()
    a["agent_id"] = a["agent_id"].map(new_id)
    a["site"] = a["agent_id"].map(site_of)
    a["shift"] = problem.shift_templates[0].name
    b = roster.breaks.copy()
    b["agent_id"] = b["agent_id"].map(new_id)
    b["kind"] = problem.shift_templates[0].breaks[0].kind
    return problem, dataclasses.replace(roster, assignments=a, breaks=b)


def csv_cells(folder: Path) -> list[str]:
    """Every cell of every CSV file below ``folder``, as a spreadsheet program reads it."""
    rows = (row for f in folder.rglob("*.csv") for row in csv.reader(io.StringIO(f.read_text(encoding="utf-8"), newline="")))
    return [c for row in rows for c in row]


def formula_cells(workbook: Path) -> list[str]:
    wb = openpyxl.load_workbook(workbook)
    return [f"{ws.title}!{c.coordinate}" for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]


def calendar_name(cal: icalendar.Calendar) -> str:
    # icalendar parses an X- property as unknown and leaves its TEXT escapes in place.
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] in "nN" else m[1], str(cal["X-WR-CALNAME"]))


# --------------------------------------------------------------------------- formulas


@given(st.text())
def test_escaping_a_cell_is_undone_by_unescaping_it(text):
    cell = cells.escape_cell(text)
    assert not cells.opens_as_formula(cell)
    assert cells.unescape_cell(cell) == text


@pytest.mark.parametrize("number", ["-5", "+3.2", "-.5", "1e-3", "-2E+4"])
def test_numbers_written_as_text_keep_their_sign(number):
    assert cells.escape_cell(number) == number


def test_formula_ids_are_text_in_every_csv_and_read_back(solved, tmp_path):
    problem, roster = renamed(solved, FORMULA_IDS, sites=("+Site",), template="-day", name='=HYPERLINK("x")', kind="@meal")
    changes = pd.DataFrame({"agent_id": ["=1+1"], "old_start_utc": [pd.NaT], "old_end_utc": [pd.NaT],
                            "new_start_utc": [roster.assignments["start_utc"].iloc[0]],
                            "new_end_utc": [roster.assignments["end_utc"].iloc[0]]})  # fmt: skip
    roster = dataclasses.replace(roster, changes=changes)
    exports.write_report(problem, roster, tmp_path, plots=False, stamp=STAMP)
    assert [c for c in csv_cells(tmp_path) if cells.opens_as_formula(c)] == []
    written = pd.read_csv(tmp_path / "assignments.csv", dtype=str)
    assert set(written["agent_id"]) == {"'=1+1", "''quoted", "-5", "'@SUM(A1)"}
    assert set(written["site"]) == {"'+Site"} and set(written["shift"]) == {"'-day"}
    back = read_roster(tmp_path, problem)
    assert sorted(back.assignments["agent_id"]) == sorted(FORMULA_IDS)
    assert set(back.assignments["site"]) == {"+Site"} and set(back.assignments["shift"]) == {"-day"}
    assert sorted(back.breaks["agent_id"]) == sorted(FORMULA_IDS) and set(back.breaks["kind"]) == {"@meal"}
    assert back.changes["agent_id"].tolist() == ["=1+1"]
    assert validate(problem, back) == []
    kpi_agents = cells.read_csv(tmp_path / "kpi_agents.csv", ("agent_id", "site"))
    assert kpi_agents["agent_id"].tolist() == list(FORMULA_IDS)


def test_workbook_has_no_formula_cell_and_quote_prefixes_risky_text(solved, tmp_path):
    problem, roster = renamed(solved, FORMULA_IDS, sites=("+Site",), name='=HYPERLINK("x")')
    path = exports.write_excel(problem, roster, tmp_path / "roster.xlsx")
    assert formula_cells(path) == []
    wb = openpyxl.load_workbook(path)
    assert "Shifts +Site" in wb.sheetnames
    problem_cell = wb["Summary"]["B2"]
    assert problem_cell.value == '=HYPERLINK("x")' and problem_cell.data_type == "s" and problem_cell.quotePrefix
    ids = {c.value: c for c in wb["Shifts +Site"]["A"][1:]}
    assert set(ids) == set(FORMULA_IDS)
    assert all(ids[i].quotePrefix for i in ("=1+1", "'quoted", "@SUM(A1)")) and not ids["-5"].quotePrefix


def test_fts_validate_and_report_read_a_roster_with_formula_ids(solved, tmp_path):
    problem, roster = renamed(solved, FORMULA_IDS, sites=("@Site",))
    exports.write_report(problem, roster, tmp_path, plots=False, stamp=STAMP)
    runner = CliRunner()
    check = runner.invoke(app, ["validate", str(tmp_path / "problem.json"), str(tmp_path)])
    assert check.exit_code == 0 and "0 violation(s)" in check.output, check.output
    report = runner.invoke(app, ["report", str(tmp_path), "--no-plots"])
    assert report.exit_code == 0, report.output
    assert formula_cells(tmp_path / "roster.xlsx") == []


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize("pair", [("a/b", "a_b"), ("李", "王"), ("Ab", "ab"), ("../x", "x")])
def test_ids_with_one_slug_get_one_calendar_each(solved, tmp_path, pair):
    ids = (*pair, "MAN-001", "CON")
    problem, roster = renamed(solved, ids)
    paths = exports.write_ics(problem, roster, tmp_path, stamp=STAMP)
    assert len({p.name.lower() for p in paths.values()}) == 4
    assert paths["MAN-001"].name == "MAN-001.ics"  # a plain id keeps its plain file name
    assert paths["CON"].name.startswith("CON-")  # Windows refuses CON.ics
    index = cells.read_csv(tmp_path / "index.csv", ("agent_id", "file"))
    assert dict(zip(index["agent_id"], index["file"])) == {i: p.name for i, p in paths.items()}
    for agent_id, path in paths.items():
        assert path.parent == tmp_path
        assert calendar_name(icalendar.Calendar.from_ical(path.read_bytes())) == f"Shifts {agent_id} (S)"


def test_file_names_are_stable_and_short():
    long_id = "é/" * 50
    stems = exports._file_stems(["李", "王", long_id, "a" * 100])
    assert stems == exports._file_stems(["李", "王", long_id, "a" * 100])
    assert stems["李"] == exports._file_stems(["李"])["李"]  # the same whatever the other agents
    assert all(len(f"gantt_{s}.png".encode()) < 100 for s in stems.values())
    assert stems["a" * 100] != "a" * 100  # a shortened slug is no longer the id: hashed


def test_sites_whose_names_share_a_slug_get_one_gantt_chart_each(solved, tmp_path):
    problem, roster = renamed(solved, BASE_IDS, sites=("a/b", "a_b"))
    paths = exports.write_plots(problem, roster, tmp_path)
    gantts = {n: p for n, p in paths.items() if n.startswith("gantt_")}
    assert len(gantts) == 2 and len(set(gantts.values())) == 2
    assert "gantt_a_b" in gantts  # the plain name keeps its file name
    assert all(p.exists() for p in gantts.values())


def test_write_report_counts_each_calendar_once(solved, tmp_path):
    problem, roster = renamed(solved, ("a/b", "a_b", "Ab", "ab"))
    paths = exports.write_report(problem, roster, tmp_path, plots=False, stamp=STAMP)
    assert len(set(paths.values())) == len(paths)
    assert sorted(p.name for p in (tmp_path / "ics").iterdir()) == sorted(
        p.name for n, p in paths.items() if n.startswith("ics_")
    )
    assert len(list((tmp_path / "ics").glob("*.ics"))) == 4


# --------------------------------------------------------------------------- calendars


def test_site_name_with_calendar_specials_round_trips_through_the_calendar(solved):
    # "\\N": icalendar's own escaping would make a line break of it
    site, agent_id = 'Dub,lin;\\North "q" :=+ 李 🌞', "a,b;c\\d\\n"
    problem, roster = renamed(solved, (agent_id, *BASE_IDS[1:]), sites=(site,), template="day;,\\")
    cal = icalendar.Calendar.from_ical(exports.agent_calendar(problem, roster, agent_id, stamp=STAMP).to_ical())
    assert calendar_name(cal) == f"Shifts {agent_id} ({site})"
    [shift] = cal.walk("VEVENT")
    assert str(shift["SUMMARY"]) == f"day;,\\ shift, {site}"
    assert str(shift["UID"]) == f"{agent_id}-20260302T080000Z@fts-scheduler"
    assert [str(c) for c in shift["CATEGORIES"].cats] == ["day;,\\"]
    assert str(shift["DESCRIPTION"]).splitlines()[1].startswith("meal ")


@pytest.mark.parametrize("bad", ["\r\nX-EVIL:1", "\n", "\r", "\x0b", "\x85", "\u2028", "\u2029", "\x00"])
def test_calendar_refuses_text_that_could_end_a_line(solved, bad):
    problem, roster = renamed(solved, BASE_IDS)
    # past the model's validation, as model_construct or a hand-made roster would be
    evil = problem.agents[0].model_copy(update={"id": f"a{bad}"})
    problem = problem.model_copy(update={"agents": (evil, *problem.agents[1:])})
    with pytest.raises(ValueError, match="calendar text 'Shifts a"):
        exports.agent_calendar(problem, roster, evil.id, stamp=STAMP)
    shifts = roster.assignments.assign(shift=f"day{bad}")
    with pytest.raises(ValueError, match="control character or line separator"):
        exports.agent_calendar(problem, dataclasses.replace(roster, assignments=shifts), "a1", stamp=STAMP)


# --------------------------------------------------------------------------- any name

_STARTS = ["=", "+", "-", "@", "'", "/", "\\", "\\N", "..", "../", "CON", "李", "🌞"]
# Anything at all (control characters, surrounding spaces, empty, too long): mostly refused.
ANY = st.one_of(
    st.text(max_size=120),
    st.builds(str.__add__, st.sampled_from(["", " ", "\t", "\r\n", "\u202e", *_STARTS]), st.text(max_size=110)),
)
# What the name policy lets through, and more often what a spreadsheet or a file system misreads.
_VISIBLE = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs")), min_size=1, max_size=90)
PRINTABLE = st.one_of(_VISIBLE, st.builds(str.__add__, st.sampled_from(_STARTS), _VISIBLE))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_name_is_refused_by_the_model_or_exported_safely(solved, data):
    names = data.draw(st.sampled_from([ANY, PRINTABLE]), label="names")
    ids = data.draw(st.lists(names, min_size=3, max_size=3, unique=True), label="ids")
    site, template, name = (data.draw(names, label=label) for label in ("site", "template", "name"))
    fourth = ids[0].swapcase() if ids[0].swapcase() != ids[0] else ids[0] + "/"  # a case or slug twin
    assume(fourth not in ids)
    ids = (*ids, fourth)
    try:
        problem, roster = renamed(solved, ids, sites=(site,), template=template, name=name)
    except pydantic.ValidationError as exc:
        assert all(e["loc"] and e["loc"][-1] in ("id", "name", "site") for e in exc.errors()), exc.errors()
        event("refused")
        return
    event("exported")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        paths = exports.write_report(problem, roster, out, plots=False, stamp=STAMP)
        written = {p.resolve() for p in paths.values()}
        assert len(written) == len(paths)
        assert all(p.is_relative_to(out.resolve()) for p in written)
        assert {p.resolve() for p in Path(tmp).rglob("*") if p.is_file()} == written
        index = cells.read_csv(out / "ics" / "index.csv", ("agent_id", "file"))
        assert index["agent_id"].tolist() == list(ids)
        assert len({f.lower() for f in index["file"]}) == len(ids)
        for agent_id, file in zip(index["agent_id"], index["file"]):
            cal = icalendar.Calendar.from_ical((out / "ics" / file).read_bytes())
            assert calendar_name(cal) == f"Shifts {agent_id} ({site})"
            [shift] = cal.walk("VEVENT")
            assert str(shift["SUMMARY"]) == f"{template} shift, {site}"
        assert formula_cells(out / "roster.xlsx") == []
        assert [c for c in csv_cells(out) if cells.opens_as_formula(c)] == []
        assert sorted(read_roster(out, problem).assignments["agent_id"]) == sorted(ids)
