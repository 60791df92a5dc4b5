"""Limits at the boundary: names, magnitudes and sizes the solver can carry, and the time limit
as a bound on the whole call; Ctrl-C during the polish keeps the polished roster."""

from __future__ import annotations

import datetime as dt
import time

import pydantic
import pytest

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import (
    Agent,
    LanguageFloor,
    NoRosterError,
    ObjectiveWeights,
    Problem,
    ProblemTooLargeError,
    ShiftTemplate,
    Site,
    solve,
    validate,
)
from fts_scheduler.models import MAX_NAME_LENGTH, MAX_OBJECTIVE


def _small(**kw) -> Problem:
    return make_problem(agents=[agent(i) for i in range(4)], templates=THREE_SHIFTS,
                        floors=[LanguageFloor(language="en")], days=1, **kw)


def _fields(exc: pydantic.ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("x" * 300, "300 characters"),  # no file system takes a file name that long
        ("a\x00b", "U+0000"),  # openpyxl refuses NUL (IllegalCharacterError)
        ("a\r\nSUMMARY:PWNED", "U+000D"),  # a line of its own in a calendar
        ("a\u2028b", "U+2028"),  # a line separator breaks lines too
        ("admin\u202egnp.exe", "U+202E"),  # right-to-left override: reads as another name
        ("a\uffffb", "U+FFFF"),  # a noncharacter: a workbook holding it does not open
        (" MAN-001", "space"),
        ("", "empty"),
    ],
)
def test_ids_that_no_export_can_write_are_refused_naming_the_field(bad, says):
    with pytest.raises(pydantic.ValidationError) as info:
        Agent(id=bad, site="S", languages=("en",), hourly_cost=10)
    assert _fields(info.value) == {"id"} and says in str(info.value)


def test_names_of_sites_templates_and_problems_follow_the_same_policy():
    with pytest.raises(pydantic.ValidationError) as info:
        Site(name="Dublin\nSUMMARY:PWNED", timezone="Europe/Dublin", country="IE")
    assert _fields(info.value) == {"name"}
    with pytest.raises(pydantic.ValidationError) as info:
        ShiftTemplate(name="x" * (MAX_NAME_LENGTH + 1), start=dt.time(8), length_hours=8)
    assert _fields(info.value) == {"name"}
    with pytest.raises(pydantic.ValidationError) as info:
        _small(name="roster\x1b[31m")
    assert _fields(info.value) == {"name"}


def test_any_script_and_punctuation_stay_allowed():
    for name in ("李", "=1+1", "a/b", "..", "@team", "-7", "São Paulo ☀", "x" * MAX_NAME_LENGTH, "نور\u200cجهان"):
        assert Agent(id=name, site=name, languages=("en",), hourly_cost=1).id == name


# --------------------------------------------------------------------------- magnitudes


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"hourly_cost": 1e15}, "hourly_cost"),  # crashed the build: pybind11 RuntimeError
        ({"preferences": [{"kind": "off", "weekday": 0, "weight": 1e300}]}, "preferences.0.weight"),
    ],
)
def test_absurd_agent_numbers_are_refused_naming_the_field(update, field):
    data = {"id": "a", "site": "S", "languages": ["en"], "hourly_cost": 10, **update}
    with pytest.raises(pydantic.ValidationError) as info:
        Agent.model_validate(data)
    assert _fields(info.value) == {field}


def test_absurd_weights_are_refused_naming_the_field():
    with pytest.raises(pydantic.ValidationError) as info:
        ObjectiveWeights(under_staffing=1e308)  # crashed the build: OverflowError
    assert _fields(info.value) == {"under_staffing"}
    with pytest.raises(pydantic.ValidationError) as info:
        _small(exchange_rates={"EUR": 0.0})
    assert any(f.startswith("exchange_rates") for f in _fields(info.value))


def test_a_cost_the_solver_cannot_carry_is_refused_with_the_ceiling():
    sites = (Site(name="S", timezone="UTC", country="IE", currency="EUR"),)
    agents = [agent(i, cost=9e6) for i in range(4)]
    with pytest.raises(pydantic.ValidationError) as info:
        Problem(sites=sites, agents=tuple(agents), shift_templates=tuple(THREE_SHIFTS), start_date=dt.date(2026, 3, 2),
                days=1, exchange_rates={"EUR": 1e6})
    assert f"{MAX_OBJECTIVE:.0g}" in str(info.value) and "could cost up to" in str(info.value)


def test_the_largest_allowed_cost_solves_and_validates():
    problem = _small().model_copy(update={"agents": tuple(agent(i, cost=1e7) for i in range(4))})
    problem = Problem.model_validate(problem.model_dump())
    roster = solve(problem, time_limit_s=10, workers=2)
    assert validate(problem, roster) == []
    assert roster.objective >= 1e7 * 24  # the floor takes a whole day of shifts at that cost


# --------------------------------------------------------------------------- sizes


def test_a_model_too_large_to_build_is_refused_before_the_build():
    site = Site(name="S", timezone="UTC", country="IE")
    agents = tuple(agent(i) for i in range(20_000))
    problem = Problem(sites=(site,), agents=agents, shift_templates=(THREE_SHIFTS[0],), start_date=dt.date(2026, 1, 5),
                      days=371, floors=(LanguageFloor(language="en"),))
    t0 = time.perf_counter()
    with pytest.raises(ProblemTooLargeError) as info:
        solve(problem, time_limit_s=5)
    assert time.perf_counter() - t0 < 5  # it kept building for minutes
    assert info.value.size["candidate_shifts"] == 20_000 * 373
    assert "7,460,000" in str(info.value) and "limit" in str(info.value)


# --------------------------------------------------------------------------- the time limit


def test_the_search_gets_only_what_is_left_of_the_limit(monkeypatch):
    import fts_scheduler.solver as solver_module

    seen = []
    real_run = solver_module.run

    def spy(m, **kw):
        seen.append((time.perf_counter(), kw["time_limit_s"]))
        return real_run(m, **kw)

    monkeypatch.setattr(solver_module, "run", spy)
    t0 = time.perf_counter()
    roster = solve(_small(), time_limit_s=10, workers=2)
    assert seen and validate(_small(), roster) == []
    for at, limit in seen:
        # before, the search had the whole limit, on top of the build and the starting roster
        assert at - t0 + limit <= 10


def test_a_build_longer_than_the_limit_ends_at_once_with_no_roster(monkeypatch):
    import fts_scheduler.solver as solver_module

    real_post = solver_module.post_rules

    def slow_post(m, **kw):
        time.sleep(1.5)
        return real_post(m, **kw)

    monkeypatch.setattr(solver_module, "post_rules", slow_post)
    t0 = time.perf_counter()
    with pytest.raises(NoRosterError, match="building the model"):
        solve(_small(), time_limit_s=1)
    assert time.perf_counter() - t0 < 2.5  # the build and no more: not the starting roster, not a search


def test_the_old_meaning_stays_available(monkeypatch):
    import fts_scheduler.solver as solver_module

    seen = []
    real_run = solver_module.run
    monkeypatch.setattr(solver_module, "run", lambda m, **kw: seen.append(kw["time_limit_s"]) or real_run(m, **kw))
    solve(_small(), time_limit_s=3, workers=2, time_limit_scope="search")
    assert seen[0] > 2.5  # the search had the whole limit less the polish
    with pytest.raises(ValueError, match="time_limit_scope"):
        solve(_small(), time_limit_scope="wall")


# --------------------------------------------------------------------------- Ctrl-C during the polish


def test_ctrl_c_during_the_polish_returns_the_polished_roster_with_a_true_bound(monkeypatch, demo):
    import fts_scheduler.optimizer as optimizer

    real_copy = optimizer.solve_copy
    found = []

    def polish_then_ctrl_c(copy, **kw):  # the polish finds its roster, then Ctrl-C comes
        solver = real_copy(copy, **kw)
        if not copy.has_objective():  # the completion before it: no objective, no Ctrl-C
            return solver
        assert solver is not None
        found.append(solver.ObjectiveValue() / 10_000)
        raise optimizer.SearchInterrupted(solver)

    monkeypatch.setattr(optimizer, "solve_copy", polish_then_ctrl_c)
    roster = solve(demo, time_limit_s=30, workers=2)
    assert roster.stats["interrupted"] == 1 and roster.stats["from_hint"] == 1
    # the polished roster, not the unpolished one (225,640 against 168,189 before)
    assert roster.objective == pytest.approx(found[0], rel=1e-9)
    # no search ran: the bound is the domains' own, not the roster's objective (gap 0 %)
    assert roster.bound < roster.objective and roster.gap > 0.1
    assert validate(demo, roster) == []
