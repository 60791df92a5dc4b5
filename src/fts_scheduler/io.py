"""Files at the edge: problems in, rosters out and back in.

A problem comes in one of three shapes (:func:`read_inputs`, :func:`read_problem`):

* ``*.json``: :meth:`Problem.model_dump_json` as written by :func:`write_problem`;
* ``*.yaml`` / ``*.yml`` with the same structure (read with a safe loader);
* ``*.yaml`` whose ``agents`` is a file name: agents come from that CSV file and,
  with ``forecast: FILE`` and ``goals:``, the requirements from a contact forecast
  (:func:`fts_scheduler.requirements.requirements_from_forecast`); sites, shift
  templates, floors, contracts and the horizon stay in the YAML. See
  ``docs/tutorial.md`` for a complete example.

Every reading error is an :class:`InputError` listing :class:`InputIssue` s, each
naming the file, the row (as a spreadsheet shows it: the header is row 1), the field
and the value.

YAML is read with the YAML 1.2 core schema rather than PyYAML's YAML 1.1 default, so
that ``start: 22:00`` stays a time (YAML 1.1 reads it as the base-60 number 1320) and
``country: NO`` stays Norway (YAML 1.1 reads it as false).

Problem files come from colleagues and other tools, so reading them has limits that no
real problem reaches, each refused as an :class:`InputError` before the content is
used:

* every file (problem, agents CSV, forecast CSV, goals YAML) must be a regular file
  of at most :data:`MAX_INPUT_BYTES` (256 MiB): not a device, a pipe or a folder;
* YAML may nest at most :data:`MAX_YAML_DEPTH` levels, and its aliases (``*name``)
  may add at most :data:`MAX_YAML_ALIAS_VALUES` values to the document ("billion
  laughs"); an alias inside the node it names is refused;
* the files that ``agents:`` and ``forecast:`` name are relative to the problem
  file's folder and must stay inside it once ``..`` and symbolic links are resolved.
  Trusted callers allow files elsewhere with ``read_inputs(path, allow_outside=True)``
  or the environment variable ``FTS_ALLOW_OUTSIDE_FILES=1``;
* a value shown in a message is an excerpt of at most 80 characters.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic

from .cells import read_csv, write_csv
from .models import Agent, Problem
from .roster import Roster

__all__ = [
    "InputError",
    "InputIssue",
    "Inputs",
    "read_inputs",
    "read_problem",
    "read_goals",
    "read_forecast",
    "write_problem",
    "write_roster",
    "read_roster",
    "read_assignments",
]

MAX_INPUT_BYTES = 256 * 2**20
"""Largest file read [bytes]: a year of 15-minute forecasts for 30 queues is about 50 MiB."""

MAX_YAML_DEPTH = 64
"""Deepest YAML nesting read: a problem nests about 6 levels (``sites`` > site > ``rules`` > ...)."""

MAX_YAML_ALIAS_VALUES = 1_000_000
"""Most values YAML aliases may add: a merge key (``<<: *full_time``) on each of 20,000 agents adds 200,000."""

ALLOW_OUTSIDE_FILES_ENV = "FTS_ALLOW_OUTSIDE_FILES"

_EXCERPT_CHARS = 80

# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class InputIssue:
    """One thing wrong with an input file: where, which field, which value, why."""

    path: str
    message: str
    row: int | None = None  # spreadsheet row: the CSV header is row 1; YAML: the line
    field: str | None = None
    value: Any = None

    def __str__(self) -> str:
        where = [self.path]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field}")
        text = f"{', '.join(where)}: {self.message}"
        if self.value is not None:
            text += f" (value: {_excerpt(self.value)})"
        return text


def _excerpt(value: Any, limit: int = _EXCERPT_CHARS) -> str:
    """``value`` as JSON, cut to ``limit`` characters.

    Only the parts that fit are looked at: a value may be a whole document, or a
    structure whose shared references (YAML aliases) expand to billions of items or
    contain themselves, so serialising it whole before cutting might never end.
    """
    text = ""
    for part in _json_parts(value, limit):
        text += part
        if len(text) > limit:
            return text[: limit - 3] + "..."
    return text


def _json_parts(value: Any, limit: int) -> Iterator[str]:
    """The pieces of ``value``'s JSON text in order, each at most about ``limit`` characters."""
    if isinstance(value, Mapping):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield (", " if i else "") + json.dumps(str(key)[:limit]) + ": "
            yield from _json_parts(item, limit)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "["
        for i, item in enumerate(value):
            yield ", " if i else ""
            yield from _json_parts(item, limit)
        yield "]"
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        yield json.dumps(value)
    elif isinstance(value, int):
        # str() refuses integers of more than 4,300 digits, and is quadratic below that.
        yield json.dumps(value) if value.bit_length() <= 4 * limit else f"<an integer of {value.bit_length()} bits>"
    else:
        yield json.dumps(str(value)[:limit])


class InputError(ValueError):
    """Input files that cannot become a problem; ``issues`` lists every reason found."""

    def __init__(self, issues: Iterable[InputIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def _issues_from_validation(path: Path, exc: pydantic.ValidationError, *, prefix: str = "", row=None) -> list[InputIssue]:
    out = []
    seen: list[tuple] = []
    for e in exc.errors():
        # A bad item also empties its tuple ("should have at least 1 item"): report the item only.
        if any(prev[: len(e["loc"])] == e["loc"] and len(prev) > len(e["loc"]) for prev in seen):
            continue
        seen.append(tuple(e["loc"]))
        loc = ".".join(str(p) for p in e["loc"])
        field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or None)
        message = e["msg"].removeprefix("Value error, ")
        value = e.get("input") if e["loc"] else None  # a whole-model error's input is the whole file
        out.append(InputIssue(str(path), message, row=row, field=field, value=value))
    return out


# --------------------------------------------------------------------------- files


def _read_bytes(path: Path) -> bytes:
    """The content of ``path`` if it is a regular file of at most :data:`MAX_INPUT_BYTES`."""

    def refuse(message: str) -> InputError:
        return InputError([InputIssue(str(path), message)])

    try:
        # Non-blocking, so that opening a FIFO without a writer returns at once to be refused.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse("no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise refuse(f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    too_big = f"larger than {MAX_INPUT_BYTES:,} bytes (MAX_INPUT_BYTES)"
    try:
        # fstat on the open file: the name may point elsewhere by now.
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refuse("not a regular file (a folder, device or pipe)")
        if info.st_size > MAX_INPUT_BYTES:
            raise refuse(too_big)
        with open(fd, "rb", closefd=False) as file:
            # One byte more than allowed tells a file that grew since fstat (or /proc's, sized 0).
            data = file.read(MAX_INPUT_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_INPUT_BYTES:
        raise refuse(too_big)
    return data


def _read_text(path: Path) -> str:
    """The content of ``path`` (see :func:`_read_bytes`) as UTF-8 text."""
    data = _read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([InputIssue(str(path), f"not UTF-8 text (byte {exc.start + 1})")]) from None


def _named_file(path: Path, field: str, name: Any, allow_outside: bool) -> Path:
    """The file that ``field`` of problem file ``path`` names: relative to its folder and inside it.

    A problem file from elsewhere must not make the reader open files it was not
    given (``agents: /proc/self/environ``), so the check comes before any reading.
    """

    def refuse(message: str) -> InputError:
        return InputError([InputIssue(str(path), message, field=field, value=name)])

    if not isinstance(name, str) or not name.strip() or "\0" in name:
        raise refuse("must be the name of a file")
    named = path.parent / name
    if allow_outside or os.environ.get(ALLOW_OUTSIDE_FILES_ENV) == "1":
        return named
    try:
        folder = path.parent.resolve()
        inside = named.resolve().is_relative_to(folder)
    except (OSError, RuntimeError):  # a symbolic link loop (RuntimeError before Python 3.13)
        inside = False
    if not inside:
        raise refuse(
            f"names a file outside the problem file's folder; read_inputs(..., allow_outside=True) "
            f"or {ALLOW_OUTSIDE_FILES_ENV}=1 allows it"
        )
    return named


# --------------------------------------------------------------------------- YAML


class _YamlLimit(Exception):
    """A YAML document past a limit of the module docstring; ``mark`` is where."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.mark = mark


def _check_depth(depth: int, event: Any) -> None:
    # The composer recurses per level: deep nesting would end in a RecursionError.
    if depth > MAX_YAML_DEPTH:
        raise _YamlLimit(f"nested deeper than {MAX_YAML_DEPTH} levels (MAX_YAML_DEPTH)", event.start_mark)


def _alias_size(anchors: dict, sizes: dict[int, int], event: Any) -> int:
    """How many values the alias ``event`` stands for (0 for an undefined one: the composer reports it)."""
    node = anchors.get(event.anchor)
    if node is None:
        return 0
    if id(node) not in sizes:  # still being composed: the alias is inside it
        raise _YamlLimit("an alias inside the node it names (a structure containing itself)", event.start_mark)
    return sizes[id(node)]


def _check_alias_values(total: int, event: Any) -> None:
    # Aliases share one constructed object, but validating or showing it walks every copy.
    if total > MAX_YAML_ALIAS_VALUES:
        raise _YamlLimit(
            f"aliases expand to more than {MAX_YAML_ALIAS_VALUES:,} values (MAX_YAML_ALIAS_VALUES)", event.start_mark
        )


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """How many values ``node`` becomes, aliases expanded, from its children's ``sizes``."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        return 1 + sum(sizes[id(key)] + sizes[id(value)] for key, value in node.value)
    if isinstance(node, yaml.SequenceNode):
        return 1 + sum(sizes[id(item)] for item in node.value)
    return 1


def _yaml_loader():
    """A safe loader with the YAML 1.2 core schema's booleans, integers and floats.

    It checks the limits of the module docstring while it composes the node graph,
    before anything is constructed.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.depth = 0
            self.sizes: dict[int, int] = {}  # id(node) -> values it expands to, once composed
            self.alias_values = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                self.alias_values += _alias_size(self.anchors, self.sizes, event)
                _check_alias_values(self.alias_values, event)
                return super().compose_node(parent, index)
            self.depth += 1
            _check_depth(self.depth, event)
            node = super().compose_node(parent, index)
            self.depth -= 1
            self.sizes[id(node)] = _expanded_size(node, self.sizes)
            return node

    # Drop YAML 1.1's implicit bool/int/float (yes/no/on/off, base-60 22:00) ...
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":int", ":float"))]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    # ... and put back those of YAML 1.2's core schema.
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
    )
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."),
    )
    return Loader


def _read_yaml(path: Path) -> Any:
    import yaml

    text = _read_text(path)
    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except _YamlLimit as exc:
        raise InputError([InputIssue(str(path), f"refused: {exc}", row=exc.mark.line + 1)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([InputIssue(str(path), f"not valid YAML: {problem}", row=line)]) from None
    except ValueError as exc:  # the constructor's: a date like 2026-02-30, an integer of 5,000 digits
        raise InputError([InputIssue(str(path), f"not valid YAML: {exc}")]) from None


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Inputs:
    """What a problem file holds: the problem and, when it came from one, the forecast and goals.

    ``forecast`` and ``goals`` are what :func:`fts_scheduler.reports.kpis` needs for
    the predicted service level; both are None for a problem given with its
    requirements.
    """

    problem: Problem
    forecast: pd.DataFrame | None = None
    goals: tuple | None = None


def read_problem(path: str | Path, *, allow_outside: bool = False) -> Problem:
    """Load a problem from ``*.json``, ``*.yaml``/``*.yml``, or a YAML naming CSV files.

    ``allow_outside=True`` lets a YAML name CSV files outside its folder (see the
    module docstring): only for problem files from a trusted source.

    Raises
    ------
    InputError
        Naming the file, the row, the field and the value of every problem found.
    """
    return read_inputs(path, allow_outside=allow_outside).problem


def read_inputs(path: str | Path, *, allow_outside: bool = False) -> Inputs:
    """Load a problem file (see the module docstring) with its forecast and goals, if any.

    ``allow_outside`` as in :func:`read_problem`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = _read_text(path)
        try:
            return Inputs(Problem.model_validate_json(text))
        except pydantic.ValidationError as exc:
            raise InputError(_issues_from_validation(path, exc)) from None
    if suffix in (".yaml", ".yml"):
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise InputError([InputIssue(str(path), "a problem file must be a mapping of fields (sites:, agents:, ...)")])
        if isinstance(data.get("agents"), str):
            return _read_csv_problem(path, data, allow_outside)
        try:
            return Inputs(Problem.model_validate(data))
        except pydantic.ValidationError as exc:
            raise InputError(_issues_from_validation(path, exc)) from None
    raise InputError([InputIssue(str(path), "a problem file ends in .json, .yaml or .yml")])


def _read_csv_problem(path: Path, data: dict, allow_outside: bool) -> Inputs:
    """The YAML + CSV form: ``agents: agents.csv``, optionally ``forecast: forecast.csv`` with ``goals:``."""
    data = dict(data)
    contracts = data.pop("contracts", None) or {}
    if not isinstance(contracts, dict) or not all(isinstance(c, dict | None) for c in contracts.values()):
        raise InputError([InputIssue(str(path), "contracts must map a name to its fields", field="contracts")])
    agents_file = _named_file(path, "agents", data.pop("agents"), allow_outside)
    forecast_file = data.pop("forecast", None)
    if forecast_file is not None:
        forecast_file = _named_file(path, "forecast", forecast_file, allow_outside)
    goals_data = data.pop("goals", None)
    issues: list[InputIssue] = []
    agents = _read_agents(agents_file, contracts, path, issues)

    forecast = goals = None
    if forecast_file is not None:
        if goals_data is None:
            issues.append(InputIssue(str(path), "a forecast needs goals: one per channel", field="goals"))
        else:
            try:
                goals = _goals_from(goals_data, path)
                forecast = read_forecast(forecast_file)
            except InputError as exc:
                issues += exc.issues
    if issues:
        raise InputError(issues)

    sites = data.get("sites") if isinstance(data.get("sites"), list) else []
    # The YAML is not validated yet: names that are not text are left to Problem's validation.
    site_names = {s["name"] for s in sites if isinstance(s, dict) and isinstance(s.get("name"), str)}
    for row, agent in agents:
        if site_names and agent.site not in site_names:
            issues.append(
                InputIssue(
                    str(agents_file), f"unknown site (sites in {path.name}: {_excerpt(sorted(site_names))})",
                    row=row, field="site", value=agent.site,
                )
            )  # fmt: skip
    if issues:
        raise InputError(issues)
    data["agents"] = [a for _, a in agents]

    if forecast is not None:
        from .requirements import requirements_by_language, requirements_from_forecast

        if "requirements" in data:
            raise InputError([InputIssue(str(path), "give requirements or a forecast, not both", field="requirements")])
        step, start, days = _horizon(path, data)
        try:
            frame = requirements_from_forecast(forecast, goals, interval_minutes=step)
        except ValueError as exc:
            raise InputError([InputIssue(str(forecast_file), str(exc))]) from None
        if frame.empty and (start is None or days is None):
            raise InputError([InputIssue(str(forecast_file), "no rows: give start_date and days in the YAML")])
        # Without start_date / days the horizon is the forecast's span.
        start = start if start is not None else frame["interval_start_utc"].min().date()
        days = days if days is not None else (frame["interval_start_utc"].max().date() - start).days + 1
        data["start_date"], data["days"] = start, days
        data["requirements"] = requirements_by_language(
            frame, start=start, num_intervals=days * 24 * 60 // step, interval_minutes=step
        )
    try:
        problem = Problem.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InputError(_issues_from_validation(path, exc)) from None
    return Inputs(problem, forecast, goals)


def _horizon(path: Path, data: dict) -> tuple[int, dt.date | None, int | None]:
    """``interval_minutes``, ``start_date`` and ``days`` of the YAML, checked before the forecast needs them."""

    def bad(field: str, message: str) -> InputError:
        return InputError([InputIssue(str(path), message, field=field, value=data.get(field))])

    step = data.get("interval_minutes", 30)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1 or (24 * 60) % step:
        raise bad("interval_minutes", "must be a whole number of minutes dividing 1440")
    start = data.get("start_date")
    if start is not None and not isinstance(start, dt.date):
        try:
            start = dt.date.fromisoformat(str(start))
        except ValueError:
            raise bad("start_date", "must be a date, e.g. 2026-10-24") from None
    days = data.get("days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise bad("days", "must be a whole number of days >= 1")
    return step, start, days


_LIST_SEPARATORS = re.compile(r"[\s;|,]+")

_CSV_ERRORS = (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)
"""What pandas raises for a file that is not CSV text (EmptyDataError: no header at all)."""


def _is_tuple_field(name: str) -> bool:
    annotation = Agent.model_fields[name].annotation
    return typing.get_origin(annotation) is tuple


def _read_agents(
    path: Path, contracts: dict, yaml_path: Path, issues: list[InputIssue]
) -> list[tuple[int, Agent]]:
    """Agents from a CSV file, one per row; every bad cell becomes an issue naming its row."""
    try:
        frame = pd.read_csv(BytesIO(_read_bytes(path)), dtype=str, keep_default_na=False, skipinitialspace=True)
    except InputError as exc:
        issues += [
            InputIssue(i.path, f"{i.message} (named by agents: in {yaml_path.name})") for i in exc.issues
        ]
        return []
    except _CSV_ERRORS as exc:
        issues.append(InputIssue(str(path), f"not a readable CSV file: {exc}"))
        return []
    frame.columns = [str(c).strip() for c in frame.columns]
    allowed = set(Agent.model_fields) | {"min_weekly_hours", "max_weekly_hours"}
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        # The header may be any line of any file: show an excerpt, not all of it.
        issues.append(
            InputIssue(str(path), f"unknown column(s) {_excerpt(unknown)}; known: {sorted(allowed)}", row=1)
        )
        return []
    for need in ("id", "site", "languages", "hourly_cost"):
        if need not in frame.columns:
            issues.append(InputIssue(str(path), f"missing column {need!r}", row=1))
    if any(i.path == str(path) for i in issues):
        return []

    out: list[tuple[int, Agent]] = []
    for k, record in enumerate(frame.to_dict(orient="records")):
        row = k + 2  # the header is row 1
        fields: dict[str, Any] = {}
        for col, raw in record.items():
            value = raw.strip()
            if value == "" or col in ("min_weekly_hours", "max_weekly_hours", "contract"):
                continue
            fields[col] = tuple(v for v in _LIST_SEPARATORS.split(value) if v) if _is_tuple_field(col) else value
        contract: dict[str, Any] = {}
        name = record.get("contract", "").strip()
        if name:
            if name not in contracts:
                issues.append(
                    InputIssue(
                        str(path),
                        f"unknown contract (contracts in {yaml_path.name}: {_excerpt(sorted(map(str, contracts)))})",
                        row=row, field="contract", value=name,
                    )
                )  # fmt: skip
                continue
            contract = {"name": name, **(contracts[name] or {})}
        for col in ("min_weekly_hours", "max_weekly_hours"):
            if record.get(col, "").strip():
                contract[col] = record[col].strip()
        if contract:
            fields["contract"] = contract
        try:
            out.append((row, Agent.model_validate(fields)))
        except pydantic.ValidationError as exc:
            issues += _issues_from_validation(path, exc, row=row)
    return out


def read_forecast(path: str | Path) -> pd.DataFrame:
    """A contact forecast from CSV, indexed by spreadsheet row (header = row 1).

    Columns as :func:`fts_scheduler.requirements.requirements_from_forecast` reads
    them: ``interval_start_utc`` (ISO 8601; a time without offset is read as UTC),
    ``language``, ``channel``, ``volume`` [contacts/interval], ``aht_s`` [s]. The
    index is the row number, so the requirement's errors ("row 17") point into the
    file.
    """
    path = Path(path)
    data = _read_bytes(path)
    try:
        frame = pd.read_csv(BytesIO(data), dtype={"language": str, "channel": str}, skipinitialspace=True)
    except _CSV_ERRORS as exc:
        raise InputError([InputIssue(str(path), f"not a readable CSV file: {exc}")]) from None
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    if "interval_start_utc" not in frame.columns:
        columns = _excerpt(list(frame.columns))
        raise InputError([InputIssue(str(path), f"missing column 'interval_start_utc' (has {columns})", row=1)])
    times = pd.to_datetime(frame["interval_start_utc"], utc=True, errors="coerce", format="ISO8601")
    bad = times.isna()
    if bad.any():
        row = int(frame.index[bad.to_numpy()][0])
        raise InputError(
            [InputIssue(str(path), "not an ISO 8601 time", row=row, field="interval_start_utc",
                        value=frame.loc[row, "interval_start_utc"])]
        )  # fmt: skip
    frame["interval_start_utc"] = times
    return frame


def read_goals(path: str | Path) -> tuple:
    """Channel goals from YAML: a list of goals, or a mapping with a ``goals:`` list."""
    path = Path(path)
    data = _read_yaml(path)
    if isinstance(data, dict) and "goals" in data:
        data = data["goals"]
    return _goals_from(data, path)


def _goals_from(data: Any, path: Path) -> tuple:
    from .requirements import ChannelGoal

    if not isinstance(data, list):
        raise InputError([InputIssue(str(path), "goals must be a list, one per channel", field="goals")])
    goals, issues = [], []
    for i, item in enumerate(data):
        try:
            goals.append(ChannelGoal.model_validate(item))
        except pydantic.ValidationError as exc:
            issues += _issues_from_validation(path, exc, prefix=f"goals.{i}")
    if issues:
        raise InputError(issues)
    return tuple(goals)


def write_problem(problem: Problem, path: str | Path) -> Path:
    """Write ``problem`` as JSON, or as YAML when ``path`` ends in ``.yaml``/``.yml``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(problem.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
    else:
        path.write_text(problem.model_dump_json(indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- rosters

_TIME_COLUMNS = {
    "assignments": ("start_utc", "end_utc", "start_local", "end_local"),
    "coverage": ("interval_start_utc",),
    "breaks": ("start_utc", "end_utc"),
    "changes": ("old_start_utc", "old_end_utc", "new_start_utc", "new_end_utc"),
}


def _iso(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = out[col].map(lambda ts: ts.isoformat() if pd.notna(ts) else "")
    return out


def write_roster(roster: Roster, out_dir: str | Path) -> dict[str, Path]:
    """Write ``assignments.csv``, ``coverage.csv`` and ``summary.json`` into ``out_dir``.

    Times are ISO 8601 with their offset (local times keep the site's). A roster with
    breaks or re-planned changes also gets ``breaks.csv`` / ``changes.csv``. Text that
    a spreadsheet would open as a formula is written with a leading apostrophe
    (:mod:`fts_scheduler.cells`); :func:`read_roster` takes it off again.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "assignments": out / "assignments.csv",
        "coverage": out / "coverage.csv",
        "summary": out / "summary.json",
    }
    write_csv(_iso(roster.assignments, _TIME_COLUMNS["assignments"]), paths["assignments"])
    write_csv(_iso(roster.coverage, _TIME_COLUMNS["coverage"]), paths["coverage"])
    for name in ("breaks", "changes"):
        frame = getattr(roster, name)
        if len(frame):
            paths[name] = out / f"{name}.csv"
            write_csv(_iso(frame, _TIME_COLUMNS[name]), paths[name])
    summary = {
        "status": roster.status,
        "objective": roster.objective,
        "bound": roster.bound,
        "gap": roster.gap,
        "runtime_s": roster.runtime_s,
        "objective_terms": roster.objective_terms,
        "stats": roster.stats,
    }
    paths["summary"].write_text(json.dumps(summary, indent=1, default=float), encoding="utf-8")
    return paths


def read_assignments(path: str | Path, problem: Problem) -> pd.DataFrame:
    """Read ``assignments.csv`` back, with tz-aware UTC and site-local timestamps."""
    a = read_csv(path, ("agent_id", "site", "shift"))
    zones = {s.name: s.timezone for s in problem.sites}
    for col in ("start_utc", "end_utc"):
        a[col] = pd.to_datetime(a[col], utc=True)
    for col in ("start_local", "end_local"):
        parsed = pd.to_datetime(a[col], utc=True)
        a[col] = [ts.tz_convert(zones.get(site, "UTC")) for ts, site in zip(parsed, a["site"])]
    for col in ("start_utc", "end_utc", "start_local", "end_local", "agent_id", "site", "shift"):
        a[col] = a[col].astype(object)  # as Roster.assignments holds them
    return a


def read_roster(out_dir: str | Path, problem: Problem) -> Roster:
    """A roster back from the files :func:`write_roster` wrote into ``out_dir``.

    Raises
    ------
    InputError
        If a file is missing or unreadable (named).
    """
    out = Path(out_dir)
    try:
        assignments = read_assignments(out / "assignments.csv", problem)
        coverage = read_csv(out / "coverage.csv", ("language",))
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError([InputIssue(str(exc.filename), "no such file (a roster directory holds "
                                     "assignments.csv, coverage.csv and summary.json)")]) from None  # fmt: skip
    coverage["interval_start_utc"] = pd.to_datetime(coverage["interval_start_utc"], utc=True)
    coverage["language"] = coverage["language"].astype(object)
    extra = {}
    for name in ("breaks", "changes"):
        file = out / f"{name}.csv"
        if file.exists():
            frame = read_csv(file, ("agent_id", "kind"))
            for col in _TIME_COLUMNS[name]:
                frame[col] = pd.to_datetime(frame[col], utc=True)
            extra[name] = frame
    return Roster(
        status=summary["status"],
        objective=float(summary["objective"]),
        bound=float(summary["bound"]),
        gap=float(summary["gap"]),
        runtime_s=float(summary["runtime_s"]),
        assignments=assignments,
        coverage=coverage,
        objective_terms=dict(summary.get("objective_terms", {})),
        stats=dict(summary.get("stats", {})),
        **extra,
    )
