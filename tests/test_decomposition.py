"""The decomposition's lower bound (``fts_scheduler.decomposition``): never above the optimum.

Small generated problems (random labour rules, breaks, leads, fairness, wishes, overtime) are
solved to proven optimality by a plain CP-SAT run on the whole model; the decomposition's bound,
from the same built model, must never exceed that optimum, whether pricing ran to convergence or
stopped after its first round.
"""

from __future__ import annotations

import datetime as dt
import math
import time

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fts_scheduler import PayRules, Preference
from fts_scheduler.datasets import demo_problem
from fts_scheduler.decomposition import Decomposition, lower_bound
from fts_scheduler.heuristic import greedy_roster
from fts_scheduler.optimizer import build_model, hint_start, hinted_values, run, trivial_bound
from test_properties import rich_problems


@st.composite
def priced_problems(draw):
    """``rich_problems`` with the agents' own objective terms too: wishes on and off, overtime."""
    problem = draw(rich_problems())
    first = problem.start_date
    agents = []
    for agent in problem.agents:
        wishes = tuple(
            Preference(kind=draw(st.sampled_from(["on", "off"])), date=first + dt.timedelta(days=draw(st.integers(0, 6))),
                       weight=draw(st.sampled_from([5.0, 40.0])))
            for _ in range(draw(st.integers(0, 2)))
        )
        contract = agent.contract.model_copy(update={"standard_weekly_hours": draw(st.sampled_from([None, 8.0]))})
        agents.append(agent.model_copy(update={"preferences": wishes, "contract": contract}))
    sites = tuple(s.model_copy(update={"pay": PayRules(overtime_premium=draw(st.sampled_from([0.0, 0.5])),
                                                       night_premium=0.2)}) for s in problem.sites)
    return problem.model_copy(update={"agents": tuple(agents), "sites": sites})


def _optimum(problem) -> float | None:
    """The whole model's proven optimum [objective units], or None (infeasible, or not proved quickly)."""
    m, _ = build_model(problem)
    outcome = run(m, time_limit_s=20, seed=0, workers=2)
    return outcome.solver.ObjectiveValue() if outcome.status == "OPTIMAL" else None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(priced_problems(), st.sampled_from(["converged", "one round"]))
def test_bound_never_exceeds_the_optimum(problem, how):
    optimum = _optimum(problem)
    event("proved optimal" if optimum is not None else "no optimum (infeasible or not proved)")
    if optimum is None:
        return
    m, _ = build_model(problem)
    decomposition = Decomposition(m)
    decomposition.check_local_objective()
    bound = decomposition.run(until=time.perf_counter() + 20, on_round=(lambda b: True) if how == "one round" else None)
    assert bound.value <= optimum, (bound, optimum)
    if bound.converged:
        # converged: the Lagrangian bound meets the master's value (up to the LP's tolerance)
        assert bound.value >= bound.master - 1e-4 * max(1.0, abs(bound.master)) - 1


def test_bound_on_the_demo_is_far_above_the_trivial_one_and_below_a_roster():
    """On the demo, a few rounds from the starting roster: above the objective's floor from the
    variables' domains, below the starting roster's own objective, and rising round by round."""
    m, _ = build_model(demo_problem())
    hint_start(m, greedy_roster(m), time_limit_s=20, seed=0, workers=2)
    values = hinted_values(m)
    assert values is not None
    start = [[k for k, v in work.items() if values[v.Index()]] for work in m.work]
    proto = m.model.Proto()
    roster_objective = sum(c * values[v] for v, c in zip(proto.objective.vars, proto.objective.coeffs)) + proto.objective.offset
    # a number of rounds, not seconds: under load a round takes longer, and the bound is what it is after them
    rounds = 6
    bound = Decomposition(m).run(until=time.perf_counter() + 120, start=start,
                                 on_round=lambda b: b.rounds >= rounds)
    assert bound.rounds >= rounds or bound.converged
    assert trivial_bound(m) + 0.25 * roster_objective < bound.value <= roster_objective
    bounds = [b for _, _, b in bound.history]
    assert bounds == sorted(bounds) and bounds[-1] > bounds[0]
    assert all(b <= master for _, master, b in bound.history)


def test_marginal_value_prices_one_more_agent_by_what_it_covers():
    """Spanish demand beyond what the Spanish speakers can work makes one more of them worth their
    shortfall saved; English speakers held to minimum hours nobody needs are worth less than nothing."""
    from conftest import THREE_SHIFTS, agent, make_problem

    from fts_scheduler import Contract, Requirement, solve
    from fts_scheduler.reports import marginal_value

    hours = 7 * 24  # a whole ISO week: the contract minimum binds
    problem = make_problem(
        days=7,
        agents=[agent("es1", ("es",)), agent("en1", ("en",), contract=Contract(max_weekly_hours=40,
                                                                                min_weekly_hours=16))],
        templates=THREE_SHIFTS,
        requirements=(Requirement(language="es", agents=(3,) * hours),),
    )
    roster = solve(problem, time_limit_s=10, workers=1)
    values = marginal_value(problem, roster).set_index("languages")["value"]
    assert values["es"] > 0
    assert values["en"] < 0
    assert values["es"] > values["en"]
    assert list(marginal_value(problem, roster).columns) == [
        "site", "languages", "contract", "agents", "value", "value_min", "value_max"]


def test_marginal_value_is_empty_without_a_decomposition(demo):
    from fts_scheduler.reports import marginal_value
    from fts_scheduler.roster import Roster
    import pandas as pd

    bare = Roster(status="FEASIBLE", objective=1.0, bound=0.0, gap=1.0, runtime_s=0.0,
                  assignments=pd.DataFrame(), coverage=pd.DataFrame())
    assert marginal_value(demo, bare).empty
