"""Infeasible floors raise InfeasibleError that names the language, the hours and why."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import InfeasibleError, LabourRules, LanguageFloor, Problem, ShiftTemplate, solve, validate


def _without_spanish_but_one(problem: Problem) -> Problem:
    kept = False
    agents = []
    for a in problem.agents:
        if "es" in a.languages and not (a.site == "Austin" and not kept):
            a = a.model_copy(update={"languages": tuple(x for x in a.languages if x != "es")})
        elif "es" in a.languages:
            kept = True
        agents.append(a)
    return Problem.model_validate(problem.model_copy(update={"agents": tuple(agents)}).model_dump())


def test_demo_with_one_spanish_speaker_names_es_fast(demo):
    problem = _without_spanish_but_one(demo)
    t0 = time.perf_counter()
    with pytest.raises(InfeasibleError) as info:
        solve(problem, time_limit_s=20)
    elapsed = time.perf_counter() - t0
    err = info.value
    assert elapsed < 60
    assert err.languages == ["es"]
    msg = str(err)
    assert "es" in msg and "1 agent speaks es (Austin: 1)" in msg
    assert "336 h" in msg  # the horizon the floor spans, from the capacity argument
    # the best roster that keeps every other rule is there, short exactly where es is
    assert err.best_effort is not None
    assert validate(problem, err.best_effort.assignments) != []  # it misses the es floor...
    assert set(err.shortfall["language"]) == {"es"}  # ...and nothing else


def test_rest_rule_makes_round_the_clock_impossible():
    """Capacity counts pass (3 agents x 56 h >= 7 x 24 h) but 17 h rest forbids working two days running."""
    from fts_scheduler import Contract

    agents = [agent(i, contract=Contract(max_weekly_hours=56)) for i in range(3)]
    p = make_problem(
        agents=agents,
        templates=THREE_SHIFTS,
        floors=[LanguageFloor(language="en")],
        rules=LabourRules(min_rest_hours=17, max_consecutive_days=7),
        days=7,
    )
    with pytest.raises(InfeasibleError) as info:
        solve(p, time_limit_s=20, workers=1)
    err = info.value
    assert err.languages == ["en"]
    assert err.core and {lang for lang, _ in err.core} == {"en"}
    assert "en at" in str(err) and "UTC" in str(err)
    assert err.shortfall is not None and err.shortfall["short"].sum() > 0
    assert err.best_effort is not None


def test_one_bilingual_agent_cannot_hold_two_floors():
    """Each language alone is coverable; together they need two agents: matching, not counting."""
    day = ShiftTemplate(name="day", start=dt.time(8), length_hours=8)
    floors = [
        LanguageFloor(language="en", site="S", start=dt.time(9), end=dt.time(12)),
        LanguageFloor(language="es", site="S", start=dt.time(10), end=dt.time(11)),
    ]
    p = make_problem(agents=[agent("A", ("en", "es"))], templates=[day], floors=floors, days=1)
    with pytest.raises(InfeasibleError) as info:
        solve(p, time_limit_s=10, workers=1)
    err = info.value
    assert err.shortfall is not None and len(err.shortfall) == 1
    # the one short interval is 10:00-11:00 UTC, whichever language the agent serves
    assert err.shortfall["interval_start_utc"].iloc[0].hour == 10
    assert "10:00-11:00 UTC" in str(err)


def test_no_speaker_at_all():
    p = make_problem(agents=[agent(1)], templates=THREE_SHIFTS, floors=[LanguageFloor(language="fr")])
    with pytest.raises(InfeasibleError, match="no agent speaks fr") as info:
        solve(p, time_limit_s=5)
    assert info.value.languages == ["fr"]
