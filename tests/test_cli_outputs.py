"""Output folders written whole, and exit codes: 1 only for a bug, 2 for input and environment,
130 for Ctrl-C."""

from __future__ import annotations

import errno
import json
import os

import pytest
from typer.testing import CliRunner

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import LanguageFloor, ShiftTemplate, cli, solve
from fts_scheduler.cli import app
from fts_scheduler.io import write_problem
from fts_scheduler.models import BreakRule

runner = CliRunner()


def _small(**kw):
    return make_problem(agents=[agent(i) for i in range(4)], templates=THREE_SHIFTS,
                        floors=[LanguageFloor(language="en")], days=1, **kw)


def _solve(path, out, *extra):
    return runner.invoke(app, ["solve", str(path), "--out", str(out), "--time-limit", "5", "--no-plots", *extra])


@pytest.fixture()
def problem_file(tmp_path):
    return write_problem(_small(), tmp_path / "p.json")


def test_an_earlier_rosters_files_are_gone_after_a_new_solve(tmp_path, problem_file):
    out = tmp_path / "out"
    with_breaks = _small().model_copy(update={"agents": tuple(agent(i) for i in range(8)), "shift_templates": tuple(
        t.model_copy(update={"breaks": (BreakRule(kind="meal", minutes=30, earliest_after_hours=3,
                                                  latest_after_hours=4),)}) for t in THREE_SHIFTS)})
    first = _solve(write_problem(with_breaks, tmp_path / "breaks.json"), out)
    assert first.exit_code == 0, first.output
    assert (out / "breaks.csv").exists()
    (out / "notes.txt").write_text("the analyst's own file")
    again = _solve(problem_file, out)
    assert again.exit_code == 0, again.output
    # a stale breaks.csv made `fts validate` report breaks this roster does not have
    assert not (out / "breaks.csv").exists()
    assert (out / "notes.txt").read_text() == "the analyst's own file"
    check = runner.invoke(app, ["validate", str(problem_file), str(out)])
    assert check.exit_code == 0 and "0 violation(s)" in check.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no staging folder left


def test_a_folder_of_other_files_is_refused_before_solving_unless_overwrite(tmp_path, problem_file, monkeypatch):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("not a roster")
    called = []
    monkeypatch.setattr(cli, "solve", lambda *a, **k: called.append(1) or solve(*a, **k))
    refused = _solve(problem_file, out)
    assert refused.exit_code == 2 and "--overwrite" in refused.output and not called
    kept = _solve(problem_file, out, "--overwrite")
    assert kept.exit_code == 0, kept.output
    assert (out / "thesis.docx").exists() and (out / "assignments.csv").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_fails_before_the_solve(tmp_path, problem_file, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    monkeypatch.setattr(cli, "solve", lambda *a, **k: pytest.fail("solved although the roster could not be written"))
    result = _solve(problem_file, locked / "out")
    assert result.exit_code == 2 and "permission" in result.output and "Traceback" not in result.output


def test_an_out_on_a_read_only_file_system_fails_before_the_solve(tmp_path, problem_file, monkeypatch):
    import fts_scheduler.outputs as outputs

    def read_only(out, tag):  # as root, only a read-only mount refuses: its error, simulated
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(outputs, "_sibling", read_only)
    monkeypatch.setattr(cli, "solve", lambda *a, **k: pytest.fail("solved although the roster could not be written"))
    result = _solve(problem_file, tmp_path / "out")
    assert result.exit_code == 2 and "Read-only file system" in result.output and "Traceback" not in result.output


def test_an_out_that_is_a_file_fails_before_the_solve(tmp_path, problem_file, monkeypatch):
    monkeypatch.setattr(cli, "solve", lambda *a, **k: pytest.fail("solved although the roster could not be written"))
    result = _solve(problem_file, problem_file)
    assert result.exit_code == 2 and "not a folder" in result.output


def test_a_full_disk_leaves_the_earlier_output_whole_and_exits_2(tmp_path, problem_file, monkeypatch):
    import fts_scheduler.exports as exports

    out = tmp_path / "out"
    assert _solve(problem_file, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exports, "write_json", disk_full)
    result = _solve(problem_file, out)
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    json.loads((out / "result.json").read_text())  # whole, not truncated
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_ctrl_c_writes_the_best_roster_and_exits_130(tmp_path, problem_file, monkeypatch):
    def interrupted(problem, **kw):
        roster = solve(problem, **kw)
        roster.stats["interrupted"] = 1
        return roster

    monkeypatch.setattr(cli, "solve", interrupted)
    result = _solve(problem_file, tmp_path / "out")
    assert result.exit_code == 130 and "Interrupted" in result.output
    assert (tmp_path / "out" / "assignments.csv").exists()


def test_ctrl_c_before_any_roster_exits_130_writing_nothing(tmp_path, problem_file, monkeypatch):
    def stopped(problem, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "solve", stopped)
    result = _solve(problem_file, tmp_path / "out")
    assert result.exit_code == 130 and "nothing was written" in result.output
    assert not (tmp_path / "out").exists()


def test_a_bug_exits_1_and_debug_shows_the_traceback(tmp_path, problem_file, monkeypatch):
    def broken(problem, **kw):
        raise ZeroDivisionError("somewhere deep")

    monkeypatch.setattr(cli, "solve", broken)
    result = _solve(problem_file, tmp_path / "out")
    assert result.exit_code == 1 and "internal error" in result.output and "Traceback" not in result.output
    debug = runner.invoke(app, ["--debug", "solve", str(problem_file), "--out", str(tmp_path / "out")])
    assert debug.exit_code == 1 and "Traceback" in debug.output and "ZeroDivisionError" in debug.output


def test_a_problem_too_large_exits_2_with_its_size(tmp_path):
    big = _small().model_copy(update={
        "shift_templates": (ShiftTemplate(name="flex", start=THREE_SHIFTS[0].start, latest_start=THREE_SHIFTS[2].start,
                                          length_hours=8, start_step_minutes=60, other_lengths_hours=(4, 6, 10, 12)),),
        "agents": tuple(agent(i) for i in range(2_000)), "days": 120,
    })  # fmt: skip
    path = write_problem(big, tmp_path / "big.json")
    result = _solve(path, tmp_path / "out")
    assert result.exit_code == 2 and "candidate shifts" in result.output and "limit" in result.output


def test_a_roster_file_edited_by_hand_exits_2(tmp_path, problem_file):
    out = tmp_path / "out"
    assert _solve(problem_file, out).exit_code == 0
    (out / "assignments.csv").write_text("agent_id,site\n0,S\n")
    result = runner.invoke(app, ["validate", str(problem_file), str(out)])
    assert result.exit_code == 2 and "not a roster written by fts" in result.output
