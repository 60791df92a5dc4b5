"""Small named problems, each built by hand for one purpose (see its docstring)."""

from __future__ import annotations

import datetime as dt

import pytest

from fts_scheduler import Agent, Contract, LabourRules, LanguageFloor, Problem, ShiftTemplate, Site
from fts_scheduler.datasets import demo_problem

MONDAY = dt.date(2026, 3, 2)  # no DST change anywhere near


def make_problem(
    *,
    agents: list[Agent],
    templates: list[ShiftTemplate],
    floors: list[LanguageFloor] = (),
    rules: LabourRules = LabourRules(),
    timezone: str = "UTC",
    country: str = "IE",
    start: dt.date = MONDAY,
    days: int = 3,
    interval: int = 60,
    **extra,
) -> Problem:
    return Problem(
        sites=(Site(name="S", timezone=timezone, country=country, rules=rules),),
        agents=tuple(agents),
        shift_templates=tuple(templates),
        floors=tuple(floors),
        start_date=start,
        days=days,
        interval_minutes=interval,
        **extra,
    )


def agent(i: int | str, languages=("en",), cost: float = 10.0, **kw) -> Agent:
    return Agent(id=str(i), site=kw.pop("site", "S"), languages=tuple(languages), hourly_cost=cost, **kw)


THREE_SHIFTS = [
    ShiftTemplate(name="early", start=dt.time(6), length_hours=8),
    ShiftTemplate(name="late", start=dt.time(14), length_hours=8),
    ShiftTemplate(name="night", start=dt.time(22), length_hours=8),
]


@pytest.fixture(scope="session")
def demo():
    """The built-in demo problem (seed 0): built once, it is immutable."""
    return demo_problem()


@pytest.fixture(scope="session")
def demo_roster(demo):
    """The demo solved once for the whole session (40 s: a first roster comes after 8-20 s on 2 cores)."""
    from fts_scheduler import solve

    return solve(demo, time_limit_s=40, seed=0)


__all__ = ["make_problem", "agent", "THREE_SHIFTS", "MONDAY", "Contract"]


@pytest.fixture(params=["threads", "forks"])
def lane_kind(request, monkeypatch):
    """The one-agent re-plans in threads or in forked lanes (``heuristic.FORK_MIN_SHIFTS``); the lane classes entered."""
    import fts_scheduler.heuristic as heuristic
    from fts_scheduler.lanes import ForkLanes, ThreadLanes, can_fork

    if request.param == "forks":
        if not can_fork():
            pytest.skip("forked lanes need Linux and two cores")
        monkeypatch.setattr(heuristic, "FORK_MIN_SHIFTS", 0)
    else:
        monkeypatch.setattr(heuristic, "FORK_MIN_SHIFTS", 10**12)
    entered = []
    for cls in (ForkLanes, ThreadLanes):
        monkeypatch.setattr(cls, "__enter__", lambda self, _enter=cls.__enter__: entered.append(type(self)) or _enter(self))
    return request.param, entered
