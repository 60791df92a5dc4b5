"""The compact coverage model (issue 7) solves the same problem as the plain one.

``language_floors`` folds a hard floor below the requirement into the shortfall's
bound and ``staffing_against_requirement`` prices the surplus as one linear
expression (agents on duty minus the requirement plus the shortfall) instead of a
variable and a constraint per (language, interval). The plain per-interval rules are
kept here as the reference: on small problems with multilingual agents, breaks, a DST
day and every weight setting, both prove the same optimum and the roster passes the
independent validator.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import agent

from fts_scheduler import (
    BreakRule,
    LanguageFloor,
    ObjectiveWeights,
    Problem,
    Requirement,
    ShiftTemplate,
    Site,
    optimizer,
    rules,
    solve,
    validate,
)
from fts_scheduler.rules import COST_SCALE, FLOOR_SHORTFALL_WEIGHT, Penalty


def _plain_floors(m):
    """language_floors before issue 7: one constraint per (language, interval)."""
    per_day = m.intervals_per_day
    penalties = []
    for lang, floor in m.floors.items():
        staffed = m.staffed[lang]
        for t in map(int, np.flatnonzero(floor)):
            need = int(floor[t])
            if m.floor_slack is not None and lang in m.soft_languages:
                short = m.model.NewIntVar(0, need, f"floor_short({lang},{t})")
                m.floor_slack[(lang, t)] = short
                m.model.Add(staffed[t] + short >= need)
                penalties.append(Penalty("floor_shortfall", short, FLOOR_SHORTFALL_WEIGHT))
                continue
            ct = m.model.Add(staffed[t] >= need)
            if m.floor_switch is not None:
                ct.OnlyEnforceIf(m.floor_switch[(lang, t // per_day)])
    return penalties


def _plain_staffing(m):
    """staffing_against_requirement before issue 7: under and over variables per (language, interval)."""
    w = m.problem.weights
    hours = m.problem.interval_minutes / 60
    under_w = round(w.under_staffing * hours * COST_SCALE)
    over_w = round(w.over_staffing * hours * COST_SCALE)
    terms = []
    for lang in m.languages:
        req = m.required.get(lang)
        for t, expr in enumerate(m.staffed[lang]):
            target = int(req[t]) if req is not None else 0
            if isinstance(expr, int) and expr == 0 and target == 0:
                continue
            if target > 0 and under_w:
                under = m.model.NewIntVar(0, target, f"under({lang},{t})")
                m.model.Add(under >= target - expr)
                terms.append(Penalty("under_staffing", under, under_w))
            if over_w:
                over = m.model.NewIntVar(0, len(m.agents), f"over({lang},{t})")
                m.model.Add(over >= expr - target)
                terms.append(Penalty("over_staffing", over, over_w))
    return terms


@pytest.fixture
def plain(monkeypatch):
    """Swap the plain rules into the model builder."""

    def use():
        swap = {rules.language_floors: _plain_floors, rules.staffing_against_requirement: _plain_staffing}
        monkeypatch.setattr(optimizer, "HARD_RULES", tuple(swap.get(r, r) for r in rules.HARD_RULES))
        monkeypatch.setattr(optimizer, "SOFT_RULES", tuple(swap.get(r, r) for r in rules.SOFT_RULES))

    return use


_MEAL = (BreakRule(kind="meal", minutes=30, earliest_after_hours=2, latest_after_hours=3),)


def _problem(*, weights: ObjectiveWeights | None = None, start: dt.date = dt.date(2026, 3, 2),
             zone: str = "Europe/Dublin", breaks: bool = True, seed: int = 0) -> Problem:
    """Two sites, three languages, multilingual agents; requirement above and below the floors."""
    weights = ObjectiveWeights(fairness=0) if weights is None else weights
    rng = np.random.default_rng(seed)
    sites = (Site(name="S", timezone=zone, country="IE"), Site(name="T", timezone="Asia/Tokyo", country="JP"))
    brk = _MEAL if breaks else ()
    templates = (
        ShiftTemplate(name="early", start=dt.time(6), length_hours=6, breaks=brk),
        ShiftTemplate(name="late", start=dt.time(12), length_hours=6, breaks=brk),
        ShiftTemplate(name="flex", start=dt.time(9), latest_start=dt.time(10), start_step_minutes=30,
                      length_hours=5, sites=("T",)),
    )
    staff = [("S", ("en",)), ("S", ("en", "es")), ("S", ("es",)), ("S", ("en", "ja")), ("S", ("ja",)),
             ("S", ("es", "en")), ("T", ("en", "es")), ("T", ("ja", "en")), ("T", ("en",)), ("T", ("en",))]
    agents = [agent(f"A{i}", langs, cost=10 + i, site=site) for i, (site, langs) in enumerate(staff)]
    days, minutes = 1, 30
    n = days * 24 * 60 // minutes
    reqs = tuple(
        Requirement(language=lang, agents=tuple(int(x) for x in rng.integers(0, top + 1, size=n)))
        for lang, top in (("en", 3), ("es", 2), ("ja", 1))
    )
    floors = (
        LanguageFloor(language="en", agents=1, site="S", start=dt.time(8), end=dt.time(16)),
        LanguageFloor(language="es", agents=1, site="S", start=dt.time(9), end=dt.time(12)),
    )
    return Problem(sites=sites, agents=tuple(agents), shift_templates=templates, floors=floors, requirements=reqs,
                   start_date=start, days=days, interval_minutes=minutes, weights=weights)


CASES = {
    "default": {},
    "no-breaks": {"breaks": False},
    "dst-day": {"start": dt.date(2026, 10, 25)},  # Dublin's 25-hour Sunday (IST -> GMT)
    "under-only": {"weights": ObjectiveWeights(under_staffing=60, over_staffing=0, fairness=0)},
    "over-only": {"weights": ObjectiveWeights(under_staffing=0, over_staffing=7, fairness=0)},
    "over-heavy": {"weights": ObjectiveWeights(under_staffing=5, over_staffing=40, fairness=0), "seed": 3},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_compact_model_has_the_plain_models_optimum(case, plain):
    p = _problem(**CASES[case])
    compact = solve(p, time_limit_s=20, workers=2, seed=1)
    assert compact.status == "OPTIMAL"
    assert validate(p, compact) == []
    plain()
    reference = solve(p, time_limit_s=20, workers=2, seed=1)
    assert reference.status == "OPTIMAL"
    assert compact.objective == pytest.approx(reference.objective, abs=1e-6)
    # the reported terms price the roster as the plain model does
    for rule in ("under_staffing", "over_staffing"):
        assert compact.objective_terms.get(rule, 0.0) == pytest.approx(reference.objective_terms.get(rule, 0.0),
                                                                       abs=1e-6)


def test_reported_staffing_terms_match_the_coverage():
    """Under and over staffing in the objective are the agent-hours the coverage frame shows."""
    p = _problem()
    r = solve(p, time_limit_s=20, workers=2, seed=1)
    c = r.coverage
    gap = c["staffed"] - c["required"]
    hours = p.interval_minutes / 60
    assert r.objective_terms["under_staffing"] == pytest.approx((-gap).clip(lower=0).sum() * hours * 60, abs=1e-6)
    assert r.objective_terms["over_staffing"] == pytest.approx(gap.clip(lower=0).sum() * hours * 0.5, abs=1e-6)
    assert (c["staffed"] >= c["floor"]).all()


def test_compact_model_is_smaller(plain):
    p = _problem()
    m, _ = optimizer.build_model(p)
    compact = len(m.model.Proto().variables), len(m.model.Proto().constraints)
    assert m.over == {}
    domains = m.model.Proto().variables
    # domain[1], the upper bound: negative indices of this proto wrapper read 0
    assert all(domains[var.Index()].domain[1] <= int(m.required[lang][t]) for (lang, t), var in m.under.items())
    plain()
    m, _ = optimizer.build_model(p)
    assert compact[0] < len(m.model.Proto().variables) and compact[1] < len(m.model.Proto().constraints)


def test_soft_and_assumption_floors_keep_their_own_constraints():
    """Best-effort and infeasibility-core models still see every floor interval."""
    p = _problem()
    m, _ = optimizer.build_model(p, floors="soft")
    floor_intervals = {(lang, int(t)) for lang, f in m.floors.items() for t in np.flatnonzero(f)}
    assert set(m.floor_slack) == floor_intervals
    m, _ = optimizer.build_model(p, floors="assumptions")
    assert m.floor_switch and m.under == {}


@pytest.mark.parametrize("case", ["default", "dst-day", "over-heavy"])
def test_group_counts_keep_the_optimum(case, plain, monkeypatch):
    """Counting a (site, profile, shift) group through one integer is an exact aggregation."""
    p = _problem(**CASES[case])
    monkeypatch.setattr(optimizer, "_GROUP_COUNT_FROM", 2)
    m, _ = optimizer.build_model(p)
    assert any(v.name.startswith("on_shift(") for v in m.model.Proto().variables)
    grouped = solve(p, time_limit_s=20, workers=2, seed=1)
    assert grouped.status == "OPTIMAL"
    assert validate(p, grouped) == []
    plain()
    monkeypatch.setattr(optimizer, "_GROUP_COUNT_FROM", None)
    reference = solve(p, time_limit_s=20, workers=2, seed=1)
    assert grouped.objective == pytest.approx(reference.objective, abs=1e-6)
