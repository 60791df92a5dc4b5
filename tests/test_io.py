"""Reading problems (JSON, YAML, YAML + CSV) and rosters: round trips and errors that point at the cell."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from fts_scheduler.io import InputError, read_goals, read_inputs, read_problem, read_roster, write_problem, write_roster
from fts_scheduler.requirements import requirements_by_language, requirements_from_forecast
from test_reports import SAT, roster_of, three_sites

TUTORIAL = Path(__file__).resolve().parent.parent / "examples" / "tutorial"


@pytest.fixture
def tutorial(tmp_path) -> Path:
    """A copy of examples/tutorial/ to break on purpose."""
    for name in ("problem.yaml", "agents.csv", "forecast.csv"):
        shutil.copy(TUTORIAL / name, tmp_path / name)
    return tmp_path


def _issue(exc: pytest.ExceptionInfo) -> object:
    assert isinstance(exc.value, InputError) and exc.value.issues
    return exc.value.issues[0]


# --------------------------------------------------------------------------- JSON and YAML


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_problem_round_trips_through_json_and_yaml(tmp_path, suffix):
    p = three_sites()
    assert read_problem(write_problem(p, tmp_path / f"p{suffix}")) == p


def test_yaml_reads_clock_times_and_country_codes_as_written(tmp_path):
    # YAML 1.1 (PyYAML's default) reads 22:00 as 1320 and NO as false.
    data = json.loads(three_sites().model_dump_json())
    data["sites"][0] = {"name": "Dublin", "timezone": "Europe/Oslo", "country": "NO"}
    text = json.dumps(data)  # JSON is YAML; then unquote the clock times and the country
    text = text.replace('"22:00:00"', "22:00").replace('"NO"', "NO")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    p = read_problem(path)
    assert p.site("Dublin").country == "NO"
    assert next(t for t in p.shift_templates if t.name == "night").start == dt.time(22)


def test_json_errors_name_the_file_the_field_and_the_value(tmp_path):
    data = json.loads(three_sites().model_dump_json())
    data["sites"][1]["timezone"] = "Mars/Olympus"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as exc:
        read_problem(path)
    issue = _issue(exc)
    assert issue.path == str(path) and issue.field == "sites.1.timezone" and issue.value == "Mars/Olympus"
    assert "Mars/Olympus" in str(exc.value) and "sites.1.timezone" in str(exc.value)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nsites: [\n  - a\nagents: 1\n")
    with pytest.raises(InputError) as exc:
        read_problem(path)
    assert _issue(exc).row is not None and "not valid YAML" in str(exc.value)


@pytest.mark.parametrize(("name", "text", "message"), [("p.toml", "", "ends in .json"), ("missing.json", None, "no such file")])
def test_unknown_suffix_and_missing_file(tmp_path, name, text, message):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_problem(path)


# --------------------------------------------------------------------------- YAML + CSV


def test_tutorial_reads_agents_and_requirements_from_csv():
    inputs = read_inputs(TUTORIAL / "problem.yaml")
    p = inputs.problem
    assert [s.name for s in p.sites] == ["Manila", "Dublin", "Austin"]
    assert len(p.agents) == 25
    mnl1 = next(a for a in p.agents if a.id == "MNL-01")
    assert mnl1.languages == ("en", "es") and mnl1.contract.max_weekly_hours == 40
    part = next(a for a in p.agents if a.contract.name == "part-time")
    assert part.contract.max_weekly_hours == 24
    assert next(a for a in p.agents if a.id == "MNL-04").unavailable == (dt.date(2026, 10, 25),)
    assert [g.channel for g in inputs.goals] == ["phone", "chat", "email"]
    # the requirements are the forecast's, summed over channels, on the problem's grid
    frame = requirements_from_forecast(inputs.forecast, inputs.goals, interval_minutes=30)
    expected = requirements_by_language(frame, start=SAT, num_intervals=p.num_intervals, interval_minutes=30)
    assert p.requirements == expected and p.start_date == SAT and p.days == 3


def _edit_csv(path: Path, row: int, column: str, value: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = value  # spreadsheet row: the header is row 1
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [("languages", "en xx", "languages.1"), ("site", "Atlantis", "site"), ("contract", "zero-hours", "contract"),
     ("hourly_cost", "-3", "hourly_cost"), ("unavailable", "2026-13-01", "unavailable.0")],
)  # fmt: skip
def test_agent_errors_name_file_row_field_and_value(tutorial, column, value, field):
    _edit_csv(tutorial / "agents.csv", 7, column, value)
    with pytest.raises(InputError) as exc:
        read_problem(tutorial / "problem.yaml")
    issue = _issue(exc)
    assert issue.path == str(tutorial / "agents.csv")
    assert (issue.row, issue.field) == (7, field)
    assert value.split()[-1] in str(issue)


def test_every_bad_agent_row_is_reported_at_once(tutorial):
    _edit_csv(tutorial / "agents.csv", 3, "languages", "xx")
    _edit_csv(tutorial / "agents.csv", 9, "hourly_cost", "lots")
    with pytest.raises(InputError) as exc:
        read_problem(tutorial / "problem.yaml")
    assert [(i.row, i.field) for i in exc.value.issues] == [(3, "languages.0"), (9, "hourly_cost")]


def test_unknown_agent_column_is_refused(tutorial):
    frame = pd.read_csv(tutorial / "agents.csv", dtype=str, keep_default_na=False)
    frame["shoe_size"] = "42"
    frame.to_csv(tutorial / "agents.csv", index=False)
    with pytest.raises(InputError, match="shoe_size"):
        read_problem(tutorial / "problem.yaml")


def test_forecast_errors_point_at_the_row(tutorial):
    _edit_csv(tutorial / "forecast.csv", 11, "volume", "-4")
    with pytest.raises(InputError) as exc:
        read_problem(tutorial / "problem.yaml")
    issue = _issue(exc)
    assert issue.path == str(tutorial / "forecast.csv")
    assert "row 11" in issue.message and "volume" in issue.message and "-4" in issue.message


def test_forecast_time_errors_name_row_and_field(tutorial):
    _edit_csv(tutorial / "forecast.csv", 5, "interval_start_utc", "yesterday noon")
    with pytest.raises(InputError) as exc:
        read_problem(tutorial / "problem.yaml")
    issue = _issue(exc)
    assert (issue.row, issue.field, issue.value) == (5, "interval_start_utc", "yesterday noon")


def test_goal_errors_name_the_goal_and_field(tutorial):
    text = (tutorial / "problem.yaml").read_text().replace("service_level: 0.8, shrinkage", "service_level: 1.8, shrinkage")
    (tutorial / "problem.yaml").write_text(text)
    with pytest.raises(InputError) as exc:
        read_problem(tutorial / "problem.yaml")
    issue = _issue(exc)
    assert issue.field == "goals.0.service_level" and issue.value == 1.8


def test_goals_file_as_list_or_mapping(tmp_path):
    (tmp_path / "a.yaml").write_text("- {channel: phone, target_s: 20, service_level: 0.8}\n")
    (tmp_path / "b.yaml").write_text("goals:\n  - {channel: phone, target_s: 20, service_level: 0.8}\n")
    assert read_goals(tmp_path / "a.yaml") == read_goals(tmp_path / "b.yaml")
    assert read_goals(tmp_path / "a.yaml")[0].target_s == 20


# --------------------------------------------------------------------------- rosters


def test_roster_round_trips_through_its_files(tmp_path):
    p = three_sites()
    roster = roster_of(p, [("D2", "night", SAT), ("M1", "early", SAT)])
    write_roster(roster, tmp_path)
    back = read_roster(tmp_path, p)
    assert back.status == roster.status
    for col in ("agent_id", "site", "shift", "hours"):
        assert back.assignments[col].tolist() == roster.assignments[col].tolist()
    for col in ("start_utc", "end_utc", "start_local", "end_local"):
        assert back.assignments[col].tolist() == roster.assignments[col].tolist()
        assert [t.utcoffset() for t in back.assignments[col]] == [t.utcoffset() for t in roster.assignments[col]]
    pd.testing.assert_frame_equal(back.coverage, roster.coverage, check_dtype=False)


def test_read_roster_names_the_missing_file(tmp_path):
    with pytest.raises(InputError, match="assignments.csv"):
        read_roster(tmp_path, three_sites())


def test_horizon_defaults_to_the_forecast_span_and_is_checked(tutorial):
    yaml_path = tutorial / "problem.yaml"
    text = yaml_path.read_text()
    lines = [line for line in text.splitlines() if not line.startswith(("start_date:", "days:"))]
    yaml_path.write_text("\n".join(lines) + "\n")
    p = read_problem(yaml_path)
    assert (p.start_date, p.days) == (dt.date(2026, 10, 23), 4)  # forecast.csv starts a day early
    yaml_path.write_text(text.replace("days: 3 ", "days: three "))
    with pytest.raises(InputError) as exc:
        read_problem(yaml_path)
    assert (_issue(exc).field, _issue(exc).value) == ("days", "three")
