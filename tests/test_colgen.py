"""Column generation and kernel search (fts_scheduler.colgen) on a small ward: rules kept, bounds honest."""

from __future__ import annotations

from test_lns import _ward

from fts_scheduler import solve, validate
from fts_scheduler.colgen import applies, column_start
from fts_scheduler.heuristic import agents_below_minimums
from fts_scheduler.optimizer import build_model, complete_hint
from fts_scheduler.rules import COST_SCALE


def test_column_start_keeps_every_rule_and_sits_between_the_relaxation_and_the_optimum():
    problem = _ward(days=14, staff=6, seed=1)
    m, _ = build_model(problem)
    assert applies(m)
    columns = column_start(m, time_limit_s=10, seed=0)
    assert columns is not None and columns.steps >= 1 and columns.lines >= len(m.agents)
    # the kernel search's roster is the whole model's (a restriction of it): it completes, nobody short
    assert not agents_below_minimums(m, columns.start)
    assert complete_hint(m, columns.start, time_limit_s=10, seed=0, workers=2)
    optimum = solve(problem, time_limit_s=60, seed=0, workers=8)
    assert optimum.status == "OPTIMAL"
    # the master's relaxation leaves out the constant of the "on" wishes (paid when not granted)
    constant = sum(p.weight for a in problem.agents for p in a.preferences if p.kind == "on")
    assert columns.root_objective / COST_SCALE + constant <= optimum.objective + 1e-6
    assert columns.objective / COST_SCALE >= optimum.objective - 1e-6


def test_solve_starts_lp_led_per_shift_demand_rosters_from_the_kernel_search_and_they_validate():
    problem = _ward(days=14, staff=6, seed=2)
    roster = solve(problem, time_limit_s=10, seed=0)
    assert roster.stats["lp_led"] == 1 and roster.stats["columns_steps"] >= 1
    assert roster.status in ("OPTIMAL", "FEASIBLE")
    # the search starts from the kernel search's roster, so it ends no worse
    assert roster.objective <= roster.stats["columns_objective"] + 1e-6
    assert validate(problem, roster) == []
