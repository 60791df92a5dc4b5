"""Hostile or broken input files are refused at once with an InputError (exit code 2).

Problem files come from colleagues and other tools: the readers must answer quickly,
in bounded memory, with a message naming the file, the field and a short excerpt of the
value, and must not read files the problem file was not meant to reach (GitHub issue 29).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fts_scheduler import io
from fts_scheduler.cli import app
from fts_scheduler.io import InputError, InputIssue, read_forecast, read_goals, read_inputs, read_problem, write_problem
from test_reports import three_sites

TUTORIAL = Path(__file__).resolve().parent.parent / "examples" / "tutorial"
SECRET = "s3cr3t-do-not-print"


def _bounded(call, seconds: float = 20.0):
    """``(seconds taken, call())``, run in a forked child that is killed after ``seconds``.

    Before the fix, some of these inputs ran for minutes over gigabytes (or waited for
    a pipe forever): the child turns that into a failed test instead of a hung run.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return _timed(call)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(("ok", _timed(call)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            send.send(("raised", f"{type(exc).__name__}: {str(exc)[:2000]}"))

    process = context.Process(target=child)
    process.start()
    try:
        if not receive.poll(seconds):
            pytest.fail(f"no answer within {seconds} s")
        kind, outcome = receive.recv()
    finally:
        process.kill()
        process.join()
    if kind != "ok":
        pytest.fail(outcome)
    return outcome


def _timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _message(read, *args, **kwargs) -> str:
    """The text of the InputError that ``read(*args, **kwargs)`` raises; anything else fails."""
    with pytest.raises(InputError) as info:
        read(*args, **kwargs)
    return str(info.value)


def _alias_bomb(path: Path, levels: int = 9, width: int = 9) -> Path:
    """"Billion laughs": each level a list of ``width`` aliases of the level below (9**9 values, 400 bytes)."""
    lines = ["l0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for k in range(1, levels):
        lines.append(f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * width) + "]")
    lines.append(f"sites: *l{levels - 1}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of examples/tutorial/ in its own folder, with a file beside that folder."""
    inside = tmp_path / "problem"
    inside.mkdir()
    for name in ("problem.yaml", "agents.csv", "forecast.csv"):
        shutil.copy(TUTORIAL / name, inside / name)
    (tmp_path / "outside.csv").write_text((TUTORIAL / "agents.csv").read_text() + f"# {SECRET}\n")
    return inside


def _naming(folder: Path, field: str, value: str) -> Path:
    """``folder/problem.yaml`` with ``field: value``."""
    path = folder / "problem.yaml"
    text = re.sub(rf"(?m)^{field}:.*$", f"{field}: {json.dumps(value)}", path.read_text())
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- aliases and nesting


def test_an_alias_bomb_is_refused_at_once_naming_the_limit(tmp_path):
    path = _alias_bomb(tmp_path / "bomb.yaml")
    assert path.stat().st_size < 1000
    elapsed, message = _bounded(lambda: _message(read_problem, path))
    assert elapsed < 5  # about 3 ms; before, minutes and gigabytes
    assert f"aliases expand to more than {io.MAX_YAML_ALIAS_VALUES:,} values" in message
    assert "bomb.yaml, row" in message


def test_the_cli_exits_2_on_an_alias_bomb(tmp_path):
    path = _alias_bomb(tmp_path / "bomb.yaml")

    def solve() -> tuple[int, str]:
        result = CliRunner().invoke(app, ["solve", str(path), "--out", str(tmp_path / "out")])
        return result.exit_code, result.output

    _, (code, output) = _bounded(solve)
    assert code == 2, output
    assert "aliases expand" in output and "Traceback" not in output


def test_an_alias_inside_the_node_it_names_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("sites: &s [*s]\n")
    assert "an alias inside the node it names" in _message(read_problem, path)


def test_merge_keys_on_every_agent_still_load(tmp_path):
    # Aliases are fine in themselves: a limit on their number would refuse this file.
    data = json.loads(three_sites().model_dump_json())
    lines = [f"{key}: {json.dumps(value)}" for key, value in data.items() if key != "agents"]
    lines += ["agents:", f"  - &agent {json.dumps(data['agents'][0])}"]
    lines += [f"  - {{<<: *agent, id: A{i}}}" for i in range(300)]
    path = tmp_path / "merge.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert len(read_problem(path).agents) == 301


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_yaml_nesting_is_an_input_error(tmp_path, style):
    path = tmp_path / "deep.yaml"
    if style == "flow":
        path.write_text("sites: " + "[" * 1000 + "]" * 1000 + "\n")
    else:
        path.write_text("".join(" " * k + "- \n" for k in range(0, 2000, 2)))
    message = _message(read_problem, path)
    assert f"nested deeper than {io.MAX_YAML_DEPTH} levels" in message


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_json_nesting_is_an_input_error(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text('{"sites": ' + "[" * depth + "]" * depth + "}")
    assert "recursion limit" in _message(read_problem, path)


# --------------------------------------------------------------------------- values in messages


def test_a_value_with_shared_references_is_shown_as_a_short_excerpt():
    level: list = ["lol"] * 9
    for _ in range(12):  # 9**13 values once expanded
        level = [level] * 9
    loop: list = []
    loop.append(loop)
    values = [level, loop, {"k" * 10**6: "v" * 10**7}, "x" * 10**7, 7**5000, 3, "klingon"]
    elapsed, shown = _bounded(lambda: [str(InputIssue("p.yaml", "bad", field="f", value=v)) for v in values])
    assert elapsed < 1
    assert all(len(text) < 120 for text in shown), shown
    assert shown[-2:] == ["p.yaml, field f: bad (value: 3)", 'p.yaml, field f: bad (value: "klingon")']
    assert shown[0].startswith('p.yaml, field f: bad (value: [[[[[[[[[[[[["lol", "lol", ') and shown[0].endswith("...)")


def test_an_unknown_column_error_shows_an_excerpt_of_the_header(folder):
    header = ",".join(f"column_{i}_{SECRET}" for i in range(1000))
    (folder / "agents.csv").write_text(f"id,site,languages,hourly_cost,{header}\nA,Dublin,en,10,{'x,' * 999}x\n")
    message = _message(read_problem, folder / "problem.yaml")
    assert "unknown column(s)" in message
    assert len(message) < 400 and "column_5_" not in message


# --------------------------------------------------------------------------- files named by a problem file


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("agents", "../outside.csv"),
        ("agents", "sub/../../outside.csv"),
        ("forecast", "../outside.csv"),
        ("agents", "/proc/self/environ"),
        ("agents", "link.csv"),  # a symbolic link inside the folder to the file beside it
    ],
)
def test_a_file_outside_the_problem_folder_is_refused_unread(folder, field, value):
    if value.startswith("/proc") and not sys.platform.startswith("linux"):
        pytest.skip("/proc is Linux's")
    if value == "link.csv":
        try:
            (folder / "link.csv").symlink_to(folder.parent / "outside.csv")
        except OSError:
            pytest.skip("no symbolic links here")
    path = _naming(folder, field, value)
    message = _message(read_inputs, path)
    assert f"field {field}: names a file outside the problem file's folder" in message
    assert json.dumps(value) in message
    assert SECRET not in message and "PATH=" not in message


def test_allow_outside_and_the_environment_variable_let_an_outside_file_through(folder, monkeypatch):
    path = _naming(folder, "agents", "../outside.csv")
    (folder.parent / "outside.csv").write_text((TUTORIAL / "agents.csv").read_text())
    assert len(read_problem(path, allow_outside=True).agents) == 25
    monkeypatch.setenv(io.ALLOW_OUTSIDE_FILES_ENV, "1")
    assert len(read_inputs(path).problem.agents) == 25
    monkeypatch.setenv(io.ALLOW_OUTSIDE_FILES_ENV, "0")
    with pytest.raises(InputError, match="outside"):
        read_problem(path)


def _devices_and_folders(folder: Path) -> list[tuple[str, bool]]:
    """(name for agents:, whether it is outside the folder): /dev/zero, a folder, a FIFO."""
    out = [("sub", False)]
    (folder / "sub").mkdir()
    if os.path.exists("/dev/zero"):
        out.append(("/dev/zero", True))
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.csv")
        out.append(("pipe.csv", False))
    return out


def test_devices_pipes_and_folders_are_refused_at_once(folder):
    for name, outside in _devices_and_folders(folder):
        path = _naming(folder, "agents", name)
        elapsed, message = _bounded(lambda: _message(read_problem, path, allow_outside=outside), seconds=10)
        assert elapsed < 2
        assert "not a regular file" in message, name
    for read, name in [(read_forecast, "/dev/zero"), (read_goals, "/dev/zero"), (read_forecast, str(folder))]:
        if os.path.exists(name):
            _, message = _bounded(lambda: _message(read, name), seconds=10)
            assert "not a regular file" in message


@pytest.mark.parametrize("which", ["problem.json", "problem.yaml", "agents.csv", "forecast.csv", "goals.yaml"])
def test_a_file_over_the_size_cap_is_refused(folder, monkeypatch, which):
    write_problem(three_sites(), folder / "problem.json")
    (folder / "goals.yaml").write_text("goals: []\n" + "# padding\n" * 200)
    with (folder / "agents.csv").open("a") as agents:  # larger than problem.yaml, read first
        agents.write("\n" * 2000)
    read = {"forecast.csv": read_forecast, "goals.yaml": read_goals}.get(which, read_problem)
    size = (folder / which).stat().st_size
    monkeypatch.setattr(io, "MAX_INPUT_BYTES", size - 1)
    target = folder / ("problem.yaml" if which == "agents.csv" else which)
    message = _message(read, target)
    assert f"{which}: larger than {size - 1:,} bytes" in message


# --------------------------------------------------------------------------- other broken files


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.json", b"\xff\xfe{}", "not UTF-8 text"),
        ("p.yaml", b"start_date: 2026-02-30\n", "day is out of range"),
        ("p.yaml", b"days: " + b"9" * 5000 + b"\n", "not valid YAML"),
        ("p.yaml", b"agents: agents.csv\nforecast: 5\n", "field forecast: must be the name of a file"),
        ("p.yaml", b'agents: "a\\0b"\n', "field agents: must be the name of a file"),
        ("p.yaml", b"agents: empty.csv\n", "not a readable CSV file"),
        ("p.yaml", b"agents: agents.csv\ncontracts: {full-time: [40]}\n", "contracts must map a name to its fields"),
    ],
)
def test_broken_files_are_input_errors_not_tracebacks(folder, name, content, message):
    (folder / "empty.csv").write_bytes(b"")
    path = folder / name
    path.write_bytes(content)
    assert message in _message(read_problem, path)
