"""The fts command line: files written, and exit codes tools can rely on."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import LanguageFloor
from fts_scheduler.cli import app
from fts_scheduler.io import write_problem

runner = CliRunner()


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
