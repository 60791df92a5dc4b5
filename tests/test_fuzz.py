"""Fuzzing the JSON loader: whatever comes in, only a validation error comes out.

``Problem.model_validate_json`` and ``fts_scheduler.io.read_problem`` face files from
anywhere. Starting from one valid problem, hypothesis drops and inserts fields, puts
wrong types, huge numbers, deep nesting, garbage and unicode in them, and corrupts the
JSON text itself; a deterministic sweep sets every value of the document, in turn, to
each of a list of extremes. The only exception allowed out is
``pydantic.ValidationError`` (``ValueError`` for a file: ``read_problem`` wraps
validation errors, and undecodable bytes raise ``UnicodeDecodeError``). A problem that
does load must round-trip through JSON. Each test counts the inputs it tried and
asserts they really ran; ``pytest -s`` prints the counts.

The sweep found three holes, fixed in models.py since and pinned by the tests at the
end: a start date at either end of the calendar overflowed ``datetime.date``; a zoned
``latest_start`` (pydantic reads a number as an aware time) raised ``TypeError``;
``Infinity`` passed ``ge=0`` and was written back as ``null``; a zoned time in a
floor or night window was accepted and its zone silently ignored.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import time
from collections import Counter

import pydantic
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from fts_scheduler import (
    Agent,
    Contract,
    LabourRules,
    LanguageFloor,
    Problem,
    Requirement,
    ShiftTemplate,
    Site,
)
from fts_scheduler.io import read_problem

TRIED: Counter[str] = Counter()

# the whole calendar, its ends drawn often: a start date there once overflowed
FIRST_DATE, LAST_DATE = dt.date.min, dt.date.max
SAFE_DATES = st.dates(min_value=FIRST_DATE, max_value=LAST_DATE) | st.sampled_from([FIRST_DATE, LAST_DATE])


def _base() -> Problem:
    """Two sites either side of UTC, windowed and round-the-clock floors, a requirement."""
    sites = (
        Site(name="Dublin", timezone="Europe/Dublin", country="IE"),
        Site(name="Tokyo", timezone="Asia/Tokyo", country="JP", rules=LabourRules(min_rest_hours=12)),
    )
    agents = tuple(
        Agent(
            id=f"A{i}",
            site=sites[i % 2].name,
            languages=("en", "ja") if i % 2 else ("en", "fr"),
            contract=Contract(min_weekly_hours=8, max_weekly_hours=40),
            hourly_cost=12.5 + i,
            unavailable=(dt.date(2026, 3, 3),) if i == 0 else (),
        )
        for i in range(4)
    )
    templates = (
        ShiftTemplate(name="day", start=dt.time(8), length_hours=8),
        ShiftTemplate(name="late", start=dt.time(15), length_hours=7.5, sites=("Dublin",)),
    )
    floors = (
        LanguageFloor(language="en"),
        LanguageFloor(language="ja", agents=1, site="Tokyo", start=dt.time(9), end=dt.time(18), weekdays=(0, 1, 2)),
    )
    return Problem(
        name="fuzz-base",
        sites=sites,
        agents=agents,
        shift_templates=templates,
        floors=floors,
        requirements=(Requirement(language="en", agents=tuple(i % 3 for i in range(2 * 48))),),
        start_date=dt.date(2026, 3, 2),
        days=2,
        interval_minutes=30,
    )


BASE = _base()
BASE_DOC = json.loads(BASE.model_dump_json())
BASE_TEXT = BASE.model_dump_json()

# ---------------------------------------------------------------- strategies

HUGE = st.one_of(
    st.integers(min_value=19, max_value=400).map(lambda k: 10**k),
    st.integers(min_value=19, max_value=400).map(lambda k: -(10**k)),
    st.sampled_from([1e308, -1e308, math.inf, -math.inf, math.nan, 2**63, 2**64 + 1, -(2**63) - 1]),
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: "x" * n),
    st.integers(min_value=1_000, max_value=20_000).map(lambda n: [0] * n),
)
UNICODE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30
) | st.sampled_from(["\u202e", "\ufeff", "İ", "ß", "\u0000", "日本語", "🙂", "e\u0301", "Ⅻ", "١٢"])
PLAUSIBLE = st.one_of(
    SAFE_DATES.map(dt.date.isoformat),
    st.times().map(dt.time.isoformat),
    st.datetimes(timezones=st.none() | st.timezones()).map(dt.datetime.isoformat),
    st.sampled_from(
        ["UTC", "Europe/Dublin", "Asia/Kathmandu", "Etc/GMT+14", "America/St_Johns", "Mars/Olympus", "../etc/passwd",
         "en", "EN", "xx", "IE", "ie", "ZZ", "24:00", "25:61", "2026-02-30", "2026-03-02T00:00", "", " ", "null",
         "NaN", "Infinity", "1e999", "-0", "0x10", "08:00:00.5"]
    ),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    UNICODE,
    PLAUSIBLE,
)
def _containers(inner):
    return st.lists(inner, max_size=4) | st.dictionaries(UNICODE | st.sampled_from(sorted(BASE_DOC)), inner, max_size=4)


JSON_VALUES = st.recursive(LEAVES, _containers, max_leaves=12)
FIELD_NAMES = sorted(
    {k for model in (Problem, Site, Agent, Contract, ShiftTemplate, LanguageFloor, Requirement, LabourRules)
     for k in model.model_fields}
)


def _paths(node, prefix=()):
    """Every path to a value inside a JSON document (the root excluded)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def _parent(doc, path):
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _nest(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


OPERATIONS = ["drop", "replace", "retype", "insert", "duplicate", "nest", "huge", "plausible", "same type"]
JSON_PIECES = ['"', "{", "}", "[", "]", ",", ":", "\\", "\\u", "\\ud800"]


@st.composite
def mutated_docs(draw):
    """The base problem's JSON document after one to four structural mutations."""
    doc = copy.deepcopy(BASE_DOC)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = list(_paths(doc))
        if not paths:
            break
        # a third of the time a top-level field (few, and each one matters)
        top = [p for p in paths if len(p) == 1]
        path = draw(st.sampled_from(top if top and draw(st.integers(0, 2)) == 0 else paths))
        parent, key = _parent(doc, path), path[-1]
        op = draw(st.sampled_from(OPERATIONS))
        event(f"mutation: {op}")
        value = parent[key]
        if op == "drop":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(JSON_VALUES)
        elif op == "retype":
            parent[key] = draw(
                st.sampled_from([str(value), [value], {"value": value}, None, bool(value), json.dumps(value)])
            )
        elif op == "insert":
            new = draw(JSON_VALUES)
            if isinstance(value, dict):
                value[draw(st.sampled_from(FIELD_NAMES) | UNICODE)] = new
            elif isinstance(value, list):
                value.insert(draw(st.integers(min_value=0, max_value=len(value))), new)
            else:
                parent[key] = [value, new]
        elif op == "duplicate" and isinstance(value, list) and value:
            value.extend(copy.deepcopy(value[: draw(st.integers(min_value=1, max_value=len(value)))]))
        elif op == "nest":
            parent[key] = _nest(value, draw(st.integers(min_value=1, max_value=300)))
        elif op == "huge":
            parent[key] = draw(HUGE)
        elif op == "plausible":
            parent[key] = draw(PLAUSIBLE | SAFE_DATES.map(lambda d: [d.isoformat()]))
        elif op == "same type":
            parent[key] = draw(_same_type(value))
    return doc


def _same_type(value):
    """Another value of the same JSON type and shape: the mutations a careless editor makes."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers() | st.sampled_from([0, -1, 2**31, 2**63])
    if isinstance(value, float):
        return st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -0.0, 5e-324, 1e308])
    if isinstance(value, str):
        for kind, parse, values in (
            ("date", dt.date.fromisoformat, SAFE_DATES.map(dt.date.isoformat)),
            ("time", dt.time.fromisoformat, st.times().map(dt.time.isoformat)),
        ):
            try:
                parse(value)
            except ValueError:
                continue
            return values
        return UNICODE
    return JSON_VALUES


@st.composite
def corrupted_texts(draw):
    """JSON text cut, spliced with garbage, or wrapped in deep nesting."""
    text = BASE_TEXT if draw(st.booleans()) else json.dumps(draw(mutated_docs()))
    op = draw(st.sampled_from(["truncate", "splice", "delete", "deep", "bytes", "bom"]))
    event(f"corruption: {op}")
    i = draw(st.integers(min_value=0, max_value=len(text)))
    if op == "truncate":
        return text[:i]
    if op == "splice":
        return text[:i] + draw(UNICODE | st.sampled_from(JSON_PIECES)) + text[i:]
    if op == "delete":
        return text[:i] + text[i + draw(st.integers(min_value=1, max_value=50)) :]
    if op == "deep":
        depth = draw(st.integers(min_value=50, max_value=100_000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return text[:i] + opener * depth + "1" + closer * depth + text[i:]
    if op == "bom":
        return "\ufeff" + text
    return text.encode("utf-8")[:i] + draw(st.binary(max_size=20)) + text.encode("utf-8")[i:]


def _serialise(doc) -> str:
    # allow_nan: NaN/Infinity tokens are not JSON, but files in the wild carry them
    return json.dumps(doc, allow_nan=True)


def _note(what: str) -> None:
    if currently_in_test_context():  # statistics only: _load also runs outside hypothesis
        event(what)


def _load(text: str | bytes) -> Problem | None:
    """The loader under test: a problem, or None for a ValidationError; anything else escapes."""
    try:
        problem = Problem.model_validate_json(text)
    except pydantic.ValidationError as exc:
        assert exc.errors(), "a ValidationError names at least one field"
        _note("rejected")
        return None
    _note("accepted")
    return problem


def _fuzz_load(text: str | bytes) -> None:
    """_load, and the round trip of whatever loads."""
    problem = _load(text)
    if problem is not None:
        _round_trips(problem)


def _round_trips(problem: Problem) -> None:
    assert Problem.model_validate_json(problem.model_dump_json()) == problem


FUZZ = settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# ---------------------------------------------------------------- tests


def test_base_problem_is_valid_and_round_trips():
    assert _load(BASE_TEXT) == BASE
    _round_trips(BASE)


def test_mutated_fields_raise_only_validation_errors():
    @FUZZ
    @given(mutated_docs())
    def check(doc):
        TRIED["mutated"] += 1
        _fuzz_load(_serialise(doc))

    check()
    print(f"\nmutated documents tried: {TRIED['mutated']}")
    assert TRIED["mutated"] >= FUZZ.max_examples


def test_corrupted_text_raises_only_validation_errors():
    @FUZZ
    @given(corrupted_texts())
    def check(text):
        TRIED["corrupted"] += 1
        _fuzz_load(text)

    check()
    print(f"\ncorrupted texts tried: {TRIED['corrupted']}")
    assert TRIED["corrupted"] >= FUZZ.max_examples


EXTREMES = [None, True, 0, -1, 2**63, -(2**63) - 1, 10**100, 1.5, -0.0, 5e-324, 1e308, math.inf, -math.inf, math.nan,
            "", " ", "\u0000", "日本語🙂", "x" * 100_000, [], {}, [None], {"": None}]
DATE_EXTREMES = [FIRST_DATE.isoformat(), LAST_DATE.isoformat(), "2026-02-29", "2026-13-01", "2026-03-02T00:00:00Z"]
TIME_EXTREMES = ["00:00", "23:59:59.999999", "24:00", "08:00+01:00", "8:00", "08:00:60"]


def test_every_field_at_its_extremes():
    """Deterministic sweep: each value in the document, in turn, set to each extreme."""
    escaped: list[str] = []
    for path in list(_paths(BASE_DOC)):
        value = _parent(BASE_DOC, path)[path[-1]]
        extra = []
        if isinstance(value, str):
            extra = DATE_EXTREMES if _parses(dt.date.fromisoformat, value) else TIME_EXTREMES if _parses(
                dt.time.fromisoformat, value
            ) else []
        for replacement in EXTREMES + extra:
            doc = copy.deepcopy(BASE_DOC)
            _parent(doc, path)[path[-1]] = replacement
            TRIED["extremes"] += 1
            try:
                problem = _load(_serialise(doc))
                if problem is not None:
                    _round_trips(problem)
            except Exception as exc:  # collect them all: one report names every hole
                escaped.append(f"{'.'.join(map(str, path))} = {str(replacement)[:30]!r}: {type(exc).__name__}: {exc}")
    print(f"\nextreme values tried: {TRIED['extremes']}")
    assert TRIED["extremes"] > 1000
    assert not escaped, "\n".join(escaped)


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def test_read_problem_raises_only_value_errors(tmp_path):
    path = tmp_path / "problem.json"

    @settings(FUZZ, max_examples=400)
    @given(mutated_docs().map(_serialise) | corrupted_texts())
    def check(text):
        TRIED["files"] += 1
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            read_problem(path)
        except (pydantic.ValidationError, ValueError) as exc:
            assert str(exc)  # says why
            event(type(exc).__name__)

    check()
    print(f"\nfiles tried: {TRIED['files']}")
    assert TRIED["files"] >= 400


def _with(**update) -> str:
    doc = copy.deepcopy(BASE_DOC)
    doc.update(update)
    return json.dumps(doc)


def _error_fields(exc: pydantic.ValidationError) -> set[str]:
    return {str(e["loc"][0]) for e in exc.errors() if e["loc"]}


def _limit(field: str, bound: str) -> int:
    """A size limit declared on Problem (``le`` or ``max_length``)."""
    return next(getattr(m, bound) for m in Problem.model_fields[field].metadata if hasattr(m, bound))


def test_fifty_thousand_agents_are_refused_naming_the_field():
    limit = _limit("agents", "max_length")
    assert limit < 50_000
    agent = BASE_DOC["agents"][0]
    text = _with(agents=[dict(agent, id=f"A{i}") for i in range(50_000)])
    t0 = time.perf_counter()
    with pytest.raises(pydantic.ValidationError) as info:
        Problem.model_validate_json(text)
    elapsed = time.perf_counter() - t0
    assert "agents" in _error_fields(info.value)
    assert f"at most {limit}" in str(info.value)
    print(f"\n50,000 agents refused in {elapsed:.2f} s")
    assert elapsed < 15  # every agent is validated before the length is checked (about 3 s here)


def test_a_thousand_days_are_refused_naming_the_field(tmp_path):
    limit = _limit("days", "le")
    assert limit < 1000
    # a requirement that long too: the refusal must not wait for the grid check
    text = _with(days=1000, requirements=[{"language": "en", "agents": [1] * (1000 * 48)}])
    t0 = time.perf_counter()
    with pytest.raises(pydantic.ValidationError) as info:
        Problem.model_validate_json(text)
    assert time.perf_counter() - t0 < 2
    assert _error_fields(info.value) == {"days"}
    assert f"less than or equal to {limit}" in str(info.value)
    path = tmp_path / "long.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="days"):
        read_problem(path)


# ---------------------------------------------------------------- the holes the sweep found


@pytest.mark.parametrize("start", ["9999-12-31", "9999-12-29", "0001-01-01"])
def test_start_date_at_the_end_of_the_calendar_is_a_validation_error(start):
    with pytest.raises(pydantic.ValidationError, match="start_date"):
        Problem.model_validate_json(_with(start_date=start))


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**400])
def test_non_finite_numbers_are_rejected(value):
    doc = copy.deepcopy(BASE_DOC)
    doc["agents"][0]["hourly_cost"] = value
    with pytest.raises(pydantic.ValidationError, match="hourly_cost"):
        Problem.model_validate_json(json.dumps(doc))


@pytest.mark.parametrize("latest", [0, 1.5, "08:00Z"])
def test_a_zoned_latest_start_is_a_validation_error(latest):
    doc = copy.deepcopy(BASE_DOC)
    doc["shift_templates"][0]["latest_start"] = latest
    with pytest.raises(pydantic.ValidationError, match="latest_start"):
        Problem.model_validate_json(json.dumps(doc))


@pytest.mark.parametrize("where", [("floors", 1, "start"), ("sites", 0, "rules", "night", "end")])
def test_a_zoned_local_clock_time_is_a_validation_error(where):
    doc = copy.deepcopy(BASE_DOC)
    _parent(doc, where)[where[-1]] = "09:00+05:00"
    with pytest.raises(pydantic.ValidationError, match=where[-1]):
        Problem.model_validate_json(json.dumps(doc))
