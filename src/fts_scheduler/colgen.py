"""Column generation over the agents' own lines of shifts, then a kernel search: a starting roster
for per-shift demand.

On nurse-rostering problems (cover per date and shift, no interval coverage) everything one
agent's line of shifts must keep is its own (:data:`~fts_scheduler.rules.AGENT_RULES`), and all
that lines share is the cover of each (shift, date). That is a Dantzig-Wolfe decomposition: a
master linear programme (GLOP) mixes known lines, one mix per agent, against the cover rows, and
each agent's exact model of its own rules prices a new line against the rows' duals. Its
relaxation is far tighter than CP-SAT's own on these problems (Curtois 7: 1,054.1 against a best
known 1,056, where CP-SAT's bound stays at 1,050-1,053 for a minute; 8: 1,296.6 against 1,300
and CP-SAT's 1,252).

Its lines then say where the good rosters are. A kernel search (Angelelli, Mansini and Speranza)
solves the whole model with CP-SAT, each agent restricted to the shifts of the lines the relaxation
mixes (the kernel), and widens the restriction a bucket at a time (the shifts of the lines next
cheapest in reduced cost) while each restricted model is proved optimal in time, each search
starting from the last one's roster. On Curtois 7 this reaches the
best known 1,056 in 25-40 s, where the whole model's search needs ~140 s for it (:data:`BUCKET`).
Rounding the relaxation instead (fixing one agent's heaviest line at a time, pricing between
fixes) was a lottery: 1,057-1,272 on Curtois 7 with the fix order.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from .cpsat import boolean_bounds, new_solver, set_boolean_bounds, set_hint
from .heuristic import StartingRoster, _ShiftDemandState, _Valuation, agent_model, write_worth
from .optimizer import hint_solution, solve_copy
from .rules import RosterModel

__all__ = ["ColumnStart", "applies", "column_start"]

PRICE_S = 1.0
"""Time limit of one agent's pricing model [s]: Curtois 1-7 solve theirs in milliseconds."""

ROOT_SHARE = 0.4
"""Most of the budget the pricing at the root may take (until no line prices out; Curtois 4-7:
3-8 s): the kernel search gets the rest."""

PRICE_THREADS = 2
"""Agents priced at once (the reference machine's cores)."""

LINES_PER_PRICE = 5
"""Lines one pricing call may bring: the last improving rosters its search met (cheaper to find
than a second round, and a richer pool makes wider buckets)."""

MIN_GAIN = 1.0
"""Least negative reduced cost [model units] for a priced line to join the master: less is rounding."""

BUCKET = 0.1
"""Share of the pool's (agent, shift) pairs each widening of the kernel adds, cheapest first. On
Curtois 7 (two runs) the relaxation's own support, 476-487 pairs of the pool's ~1,170, held 1,058
(proved best there in 10-19 s); one bucket more, 1,056 (proved in 8-14 s); the next was not settled
in 12-25 s. In a prototype, about a third of the pool more than the support gave a model as hard
as the whole one."""


@dataclass
class ColumnStart:
    """The kernel search's roster (every rule kept) and what it took."""

    start: StartingRoster
    objective: float  # the roster's, in model units
    root_objective: float  # the master's relaxation at the root, in model units, without constants
    lines: int  # lines priced in all
    rounds: int  # pricing rounds
    steps: int  # restricted models solved (the kernel, then each bucket)
    proved: int  # of which proved optimal within their restriction
    first_s: float  # when the first restricted model gave a roster, from the call
    seconds: float


def applies(m: RosterModel) -> bool:
    """Whether the decomposition holds: per-shift demand, and no interval coverage (floors, requirement)."""
    return bool(m.problem.shift_demands) and not m.floors and not m.required and bool(m.agents)


def column_start(m: RosterModel, *, time_limit_s: float, seed: int = 0, workers: int = 2) -> ColumnStart | None:
    """A roster from column generation and a kernel search in ``time_limit_s`` (None: none in time).

    The model must have its rules posted: the restricted models are clones of it.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    root = _Root(m, seed)
    if not root.converge(until=t0 + ROOT_SHARE * time_limit_s):
        return None
    # the kernel: the shifts of the relaxation's own mix; then the others, cheapest in reduced cost first
    mixed = {(a, k) for a, mix in root.weights.items() for line, w in mix.items() if w > 1e-9 for k in line}
    order = sorted(root.pairs_by_reduced_cost(), key=lambda pair: pair[0] not in mixed)
    bucket = max(1, round(BUCKET * len(order)))
    # the first restricted search starts from each agent's heaviest line (which keeps its own rules)
    heaviest = [set(max(root.weights[a].items(), key=lambda kv: kv[1])[0]) for a in range(len(m.agents))]
    best: cp_model.CpSolver | list[set[int]] = heaviest
    steps = proved = 0
    first_s = None
    size = len(mixed)
    while time.perf_counter() < deadline - 0.5:
        allowed = [set() for _ in m.agents]
        for (a, k), _ in order[:size]:
            allowed[a].add(k)
        steps += 1
        solver = _restricted(m, allowed, best, time_limit_s=deadline - time.perf_counter(), seed=seed,
                             workers=workers)
        if solver is not None:
            best = solver
            hint_solution(m, solver)  # a whole roster at hand from here on (a Ctrl-C returns it)
            first_s = time.perf_counter() - t0 if first_s is None else first_s
        if solver is None or solver.ResponseProto().status != cp_model.OPTIMAL:
            break  # a restriction not settled in time: the whole model's search goes on from the best roster
        proved += 1
        if size >= len(order):
            break
        size += bucket
    if not isinstance(best, cp_model.CpSolver):
        return None
    return ColumnStart(
        start=StartingRoster([[k for k, v in work.items() if best.BooleanValue(v)] for work in m.work], {}),
        objective=best.ObjectiveValue(),
        root_objective=root.objective,
        lines=sum(len(mine) for mine in root.lines),
        rounds=root.rounds,
        steps=steps,
        proved=proved,
        first_s=first_s,
        seconds=time.perf_counter() - t0,
    )


def _restricted(m: RosterModel, allowed: list[set[int]], hint: cp_model.CpSolver | list[set[int]], *,
                time_limit_s: float, seed: int, workers: int) -> cp_model.CpSolver | None:
    """The whole model with each agent's other shifts fixed off, solved from ``hint``: the last
    restriction's roster, or shifts per agent."""
    copy = m.model.clone()
    proto = copy.Proto()
    for a, work in enumerate(m.work):
        for k, v in work.items():
            if k not in allowed[a] and boolean_bounds(proto, v.Index())[0] == 0:
                set_boolean_bounds(proto, v.Index(), 0, 0)
    if isinstance(hint, cp_model.CpSolver):  # the last roster keeps this wider restriction too
        set_hint(proto, list(hint.ResponseProto().solution))
    else:
        set_hint(proto, {v.Index(): int(k in hint[a]) for a, work in enumerate(m.work) for k, v in work.items()})
    return solve_copy(copy, time_limit_s=time_limit_s, seed=seed, workers=workers, lp_led=True)


class _Root:
    """The master's relaxation at the root, and its pool of lines per agent."""

    def __init__(self, m: RosterModel, seed: int) -> None:
        self.m = m
        value = _Valuation(m, track_rules=False)  # each shift's wishes and cost, per agent
        self.demand = demand = _ShiftDemandState(m)
        self.rows = list(demand.left)
        # a line's cost: what its shifts cost, less the wishes they grant (constants left out)
        self.own = [value.cost[a] - value.wishes[a] for a in range(len(m.agents))]
        self.lines: list[list[tuple[int, ...]]] = [[] for _ in m.agents]
        self.pricers = [_Pricer(m, a, seed) for a in range(len(m.agents))]
        self.rounds = 0
        self.objective = 0.0
        self.duals: dict = {}
        self.convexity: dict[int, float] = {}
        self.weights: dict[int, dict] = {}  # each agent's mix of lines in the last relaxation

    def converge(self, *, until: float) -> bool:
        """Price until no line prices out or ``until`` passes; False if an agent has no line at all."""
        with ThreadPoolExecutor(max_workers=PRICE_THREADS) as pool:  # CP-SAT leaves Python's lock while it solves
            self._price(pool, None, first=True)
            if any(not mine for mine in self.lines):
                return False
            while True:
                self.objective, self.duals, self.convexity, self.weights = _master(self.m, self.rows, self.demand,
                                                                                   self.own, self.lines)
                if time.perf_counter() > until or not self._price(pool, self.weights):
                    return True

    def _worths(self) -> list[np.ndarray]:
        """Each agent's shifts' worth against the duals: a line's reduced cost is minus its sum, less the convexity dual."""
        per_site = {
            site: np.array([sum(self.duals.get(key, 0.0) for key in keys) for keys in self.demand.keys[site]])
            for site in self.demand.keys
        }
        return [per_site[agent.site] - self.own[a] for a, agent in enumerate(self.m.agents)]

    def _price(self, pool: ThreadPoolExecutor, weights: dict | None, first: bool = False) -> int:
        """One pricing round over the agents; the number of lines that joined."""
        self.rounds += 1
        worths = self._worths()
        jobs = []
        for a, worth in enumerate(worths):
            hint = None if first else max(weights[a].items(), key=lambda kv: kv[1])[0]
            jobs.append((a, worth, pool.submit(self.pricers[a].lines, worth, hint)))
        joined = 0
        for a, worth, future in jobs:
            for line in future.result():
                reduced = -float(worth[list(line)].sum()) - self.convexity.get(a, 0.0)
                if line not in self.lines[a] and (first or reduced < -MIN_GAIN):
                    self.lines[a].append(line)
                    joined += 1
        return joined

    def pairs_by_reduced_cost(self) -> list[tuple[tuple[int, int], float]]:
        """Every (agent, shift) of a pooled line, with the least reduced cost of a line holding it, cheapest first."""
        least: dict[tuple[int, int], float] = {}
        for a, worth in enumerate(self._worths()):
            for line in self.lines[a]:
                reduced = -float(worth[list(line)].sum()) - self.convexity.get(a, 0.0)
                for k in line:
                    if reduced < least.get((a, k), np.inf):
                        least[a, k] = reduced
        return sorted(least.items(), key=lambda pair: (pair[1], pair[0]))


class _Pricer:
    """One agent's model of its own rules, built once; each call prices a line against new worths."""

    def __init__(self, m: RosterModel, a: int, seed: int) -> None:
        alone = agent_model(m, a, automata=False)  # exact with the clauses alone, and 2-4x faster
        self.model = alone.model
        self.keys = list(alone.work[0])  # the model's first variables, in this order
        self.solver = new_solver()
        self.solver.parameters.num_workers = 1
        self.solver.parameters.random_seed = seed
        self.solver.parameters.max_time_in_seconds = PRICE_S

    def lines(self, worth: np.ndarray, hint: tuple[int, ...] | None) -> list[tuple]:
        """The best lines found for ``worth`` (the best last), at most :data:`LINES_PER_PRICE`."""
        write_worth(self.model, self.keys, worth)
        chosen = set(hint or ())
        set_hint(self.model.Proto(), [int(k in chosen) for k in self.keys] if hint is not None else [])
        found: list[tuple] = []
        keys = self.keys

        class Collect(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(cb) -> None:
                values = cb.Response().solution
                found.append(tuple(k for k, x in zip(keys, values) if x))

        self.solver.Solve(self.model, Collect())
        return found[-LINES_PER_PRICE:]


def _master(m, rows, demand, own, lines) -> tuple[float, dict, dict, dict]:
    """The master's relaxation over the known lines.

    Returns its objective, the cover rows' duals, the agents' convexity duals, and each agent's
    mix (line -> weight). Coefficients are set one by one: the linear-expression API took 10 of
    51 s on Curtois 7.
    """
    lp = pywraplp.Solver.CreateSolver("GLOP")
    objective = lp.Objective()
    row = {}
    for key in rows:
        need = demand.left[key]
        con = row[key] = lp.Constraint(need, need)
        under, over = lp.NumVar(0.0, lp.infinity(), ""), lp.NumVar(0.0, lp.infinity(), "")
        con.SetCoefficient(under, 1.0)
        con.SetCoefficient(over, -1.0)
        objective.SetCoefficient(under, demand.under[key])
        objective.SetCoefficient(over, demand.over[key])
    convexity = {}
    weight_vars = {}
    for a, agent in enumerate(m.agents):
        convexity[a] = lp.Constraint(1.0, 1.0)
        for line in lines[a]:
            var = weight_vars[a, line] = lp.NumVar(0.0, 1.0, "")
            convexity[a].SetCoefficient(var, 1.0)
            objective.SetCoefficient(var, float(own[a][list(line)].sum()))
            for k in line:
                for key in demand.keys[agent.site][k]:
                    row[key].SetCoefficient(var, 1.0)
    objective.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:  # cannot happen: every row has its slacks, every agent a line
        raise RuntimeError("column generation: the master's relaxation was not solved (a bug, please report)")
    weights: dict[int, dict] = {a: {} for a in range(len(m.agents))}
    for (a, line), var in weight_vars.items():
        weights[a][line] = var.solution_value()
    return (
        objective.Value(),
        {key: con.dual_value() for key, con in row.items()},
        {a: con.dual_value() for a, con in convexity.items()},
        weights,
    )
