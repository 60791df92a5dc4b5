"""The fts command line: files written, and exit codes tools can rely on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import LanguageFloor, NoRosterError, cli
from fts_scheduler.cli import app
from fts_scheduler.io import write_problem
from fts_scheduler.optimizer import Progress

runner = CliRunner()
TUTORIAL = Path(__file__).resolve().parent.parent / "examples" / "tutorial"


def _small(**kw):
    return make_problem(agents=[agent(i) for i in range(4)], templates=THREE_SHIFTS,
                        floors=[LanguageFloor(language="en")], days=2, **kw)


def test_solve_writes_roster_files_and_validates(tmp_path):
    path = write_problem(_small(), tmp_path / "p.json")
    result = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "out"), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    for name in ("assignments.csv", "coverage.csv", "summary.json"):
        assert (tmp_path / "out" / name).exists()
    assert "independent validation: no violation" in result.output
    check = runner.invoke(app, ["validate", str(path), str(tmp_path / "out")])
    assert check.exit_code == 0, check.output
    assert "0 violation(s)" in check.output


def test_malformed_problem_exits_2_naming_field_and_value(tmp_path):
    data = json.loads(_small().model_dump_json())
    data["sites"][0]["timezone"] = "Mars/Olympus"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "sites.0.timezone" in result.output and "Mars/Olympus" in result.output
    assert "Traceback" not in result.output


def test_infeasible_problem_exits_3_with_explanation(tmp_path):
    p = _small().model_copy(update={"floors": (LanguageFloor(language="de"),)})
    path = write_problem(p, tmp_path / "p.json")
    result = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "out"), "--time-limit", "5"])
    assert result.exit_code == 3
    assert "no agent speaks de" in result.output


def test_missing_file_exits_2(tmp_path):
    result = runner.invoke(app, ["solve", str(tmp_path / "nope.json"), "--out", str(tmp_path)])
    assert result.exit_code == 2


# --------------------------------------------------------------------------- reports, exports, staffing


def test_solve_yaml_with_forecast_writes_workbook_calendars_charts_and_service(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["solve", str(TUTORIAL / "problem.yaml"), "--out", str(out), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    for name in ("problem.json", "roster.xlsx", "result.json", "kpi_totals.csv", "kpi_service.csv", "forecast.csv", "goals.yaml"):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / "ics").glob("*.ics"))) == 25
    assert {p.name for p in (out / "plots").glob("*.png")} >= {
        "follow_the_sun_en.png", "follow_the_sun_es.png", "gap_heatmap.png", "gantt_Dublin.png", "service_level_phone.png",
    }  # fmt: skip
    totals = pd.read_csv(out / "kpi_totals.csv").set_index("metric")["value"]
    assert 0 < totals["service_level"] <= 1 and totals["floor_shortfall"] == 0

    # fts report re-generates what was deleted, with the service level (forecast.csv and goals.yaml kept)
    (out / "roster.xlsx").unlink()
    (out / "kpi_service.csv").unlink()
    again = runner.invoke(app, ["report", str(out), "--no-plots"])
    assert again.exit_code == 0, again.output
    assert (out / "roster.xlsx").exists() and (out / "kpi_service.csv").exists()
    check = runner.invoke(app, ["validate", str(TUTORIAL / "problem.yaml"), str(out)])
    assert check.exit_code == 0 and "0 violation(s)" in check.output


def test_progress_lines_show_time_objective_bound_and_gap(tmp_path, monkeypatch):
    real_solve = cli.solve

    def solve_reporting(problem, **kw):
        kw["callback"](Progress(elapsed_s=0.4, objective=1200.0, bound=900.0, solutions=1))
        kw["callback"](Progress(elapsed_s=0.5, objective=1100.0, bound=950.0, solutions=2))  # within a second: not shown
        return real_solve(problem, **kw)

    monkeypatch.setattr(cli, "solve", solve_reporting)
    path = write_problem(_small(), tmp_path / "p.json")
    result = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "out"), "--time-limit", "5", "--no-plots"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "bound" in line and " s " in line and "best" in line]
    assert lines[0].split() == ["0.4", "s", "best", "1,200.00", "bound", "900.00", "gap", "25.0%"]
    assert not any("1,100.00" in line for line in lines)


def test_no_roster_in_time_exits_4(tmp_path, monkeypatch):
    def too_slow(problem, **kw):
        raise NoRosterError("no roster found within time_limit_s=1 s")

    monkeypatch.setattr(cli, "solve", too_slow)
    path = write_problem(_small(), tmp_path / "p.json")
    result = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 4 and "no roster found" in result.output


def test_bad_agent_row_exits_2_naming_file_row_field_and_value(tmp_path):
    for name in ("problem.yaml", "agents.csv", "forecast.csv"):
        shutil.copy(TUTORIAL / name, tmp_path / name)
    agents = pd.read_csv(tmp_path / "agents.csv", dtype=str, keep_default_na=False)
    agents.loc[5, "languages"] = "en klingon"
    agents.to_csv(tmp_path / "agents.csv", index=False)
    result = runner.invoke(app, ["solve", str(tmp_path / "problem.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "agents.csv, row 7, field languages.1" in result.output and "klingon" in result.output
    assert "Traceback" not in result.output


def test_staffing_writes_requirements_per_channel(tmp_path):
    out = tmp_path / "req.csv"
    (tmp_path / "goals.yaml").write_text(
        "goals:\n"
        "  - {channel: phone, target_s: 20, service_level: 0.8}\n"
        "  - {channel: chat, target_s: 60, service_level: 0.8, concurrency: 2}\n"
        "  - {channel: email, response_hours: 24, response_share: 0.9}\n"
    )
    args = ["staffing", str(TUTORIAL / "forecast.csv"), "--goals", str(tmp_path / "goals.yaml")]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:6]) == ["interval_start_utc", "language", "channel", "volume", "net_agents", "required"]
    assert set(zip(frame["language"], frame["channel"])) == {("en", "phone"), ("en", "chat"), ("en", "email"), ("es", "phone")}
    assert "en phone" in result.output and "agent-h" in result.output
    to_stdout = runner.invoke(app, args)
    assert to_stdout.exit_code == 0 and to_stdout.output.startswith("interval_start_utc,language,channel")
    assert len(to_stdout.output.strip().splitlines()) == len(frame) + 1


def test_staffing_bad_forecast_exits_2_naming_the_row(tmp_path):
    frame = pd.read_csv(TUTORIAL / "forecast.csv")
    frame.loc[3, "aht_s"] = 0
    frame.to_csv(tmp_path / "f.csv", index=False)
    result = runner.invoke(app, ["staffing", str(tmp_path / "f.csv")])
    assert result.exit_code == 2
    assert "row 5" in result.output and "aht_s" in result.output and "Traceback" not in result.output
