"""A proven lower bound for every problem: Dantzig-Wolfe decomposition over the agents' lines of work.

Everything the model asks of one agent on its own (:data:`~fts_scheduler.rules.AGENT_RULES`:
one shift a day, rest, weekly hours, runs of days, nights...; and what it costs,
:data:`~fts_scheduler.rules.AGENT_SOFT_RULES`) is that agent's *line of work*; what agents
share is the rest of the model: coverage per language profile and its split over languages,
break counts, floors, shortfall against the requirement, the over-staffing term, team
leads, per-shift demand, fairness. The decomposition keeps the shared part as it is in the
CP-SAT model (its linear constraints, read from the model itself, with their variables made
continuous) and replaces each agent's shift variables by a mix of known lines:

* the **master**, a linear programme (HiGHS), mixes each agent's known lines (one convexity
  row per agent) against the shared rows;
* **pricing**: each agent's own CP-SAT model (built by the same rule functions as the whole
  model) finds the line of least reduced cost against the master's duals.

The **bound** is Lagrangian, so it is valid at every round, however early the pricing stops:
for duals ``pi``, the model's objective is at least ``pi . rhs`` plus, for each continuous
shared variable, its reduced cost at the better end of its domain, plus, for each agent,
the pricing search's proven bound on its least reduced cost. The pricing objective's
coefficients are rounded down to integers (CP-SAT's), which only lowers it. The bound is
rounded up to the model's integer objective units.

What the relaxation leaves out: the shared variables' integrality (break counts, language
split, shortfalls) and any shared constraint that is not linear (the exact ``max(0, .)`` of
per-shift demand, whose linear half stays); ``Bound.dropped_rows`` counts the latter.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model

from .cpsat import new_solver, set_hint
from .heuristic import agent_model
from .rules import AGENT_RULES, AGENT_SOFT_RULES, COST_SCALE, FLOOR_SHORTFALL_WEIGHT, RosterModel, objective

__all__ = ["Bound", "Decomposition", "InBackground", "lower_bound", "machine_cores"]

LOCAL_RULES = frozenset(rule.__name__ for rule in AGENT_RULES + AGENT_SOFT_RULES)
"""Rules whose constraints and variables belong to one agent: rebuilt per agent for pricing."""

PRICE_S = 1.0
"""Time limit of one agent's pricing search [s]; it proves its bound in milliseconds on the
library's problems, and a search cut short still gives a valid (weaker) bound."""

LINES_PER_PRICE = 3
"""Lines one pricing search may bring to the master: its last improving ones (a richer pool,
fewer rounds)."""

MIN_GAIN = 0.5
"""Least negative reduced cost [objective units] for a priced line to join the master."""

ARTIFICIAL_COST = float(FLOOR_SHORTFALL_WEIGHT)
"""Price of the master's artificial slack on each shared row: keeps the master feasible before
it has lines that meet the floors (a relaxation device only; the bound never uses it)."""

IN_MIX = 1e-3
"""Least weight of a line (of its agent's 1) that counts as in the master's mix."""

IDLE_ROUNDS = 3
"""Rounds a line may stay out of the master's mix before it leaves the master."""

SMOOTHING = 0.5
"""Dual smoothing (Wentges): each round prices at this mix of the best duals so far (those of
the best bound) and the master's new ones, which damps the oscillation of the duals of a
degenerate master. A round whose smoothed duals price no line out falls back on the master's own."""

LP_SCALE = 1.0 / COST_SCALE
"""The master's costs are in currency units, not CP-SAT's objective units: HiGHS's dual simplex
fails on cost ranges up to 1e9 (``ARTIFICIAL_COST``) against its 1e-7 tolerances."""

LP_OPTIONS: dict[str, object] = {"solver": "ipm", "run_crossover": "off"}
"""HiGHS's interior point without crossover for the master. The master is highly degenerate
(many equal-cost ways to place breaks and split languages): on the demo's third round the
simplex took 10-24 s (40,000 iterations, warm or cold), the interior point 1.4 s. Its duals,
central rather than at a vertex, also oscillate less from round to round."""

_INT_MIN, _INT_MAX = cp_model.INT_MIN, cp_model.INT_MAX

# highspy's public ``Highs()`` prints a banner to stdout as it enables its Python callbacks (1.16),
# which would land in the middle of a user's output (the CLI's, a notebook's); the master needs no
# callback, and the core class it wraps prints nothing
_Highs = getattr(highspy, "_Highs", highspy.Highs)


def _last(repeated):
    """The last element of one of CP-SAT's repeated fields (they take no negative index)."""
    return repeated[len(repeated) - 1]


def machine_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and ``taskset`` set)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Bound:
    """What the decomposition proved, in the model's objective units (``rules.COST_SCALE``)."""

    value: float  # the best Lagrangian bound: no roster is cheaper
    master: float  # the restricted master's value at the last round: the bound approaches it from below
    rounds: int
    lines: int  # lines that joined the master in all
    converged: bool  # no line priced out and every pricing proved: the bound is the master's
    seconds: float
    dropped_rows: int  # shared constraints the master leaves out (not linear): a weaker relaxation
    history: list[tuple[float, float, float]] = field(default_factory=list)  # (s, master, bound)
    duals: np.ndarray | None = None  # of the shared rows, at the best bound
    # per agent, at the best bound's duals: the proven least reduced cost of a line it could work
    # [objective units]; one more agent like it would move the bound by this much
    least: np.ndarray | None = None


class Decomposition:
    """The master over the shared rows of a built model ``m`` (rules posted), and one pricer per agent."""

    def __init__(self, m: RosterModel, *, seed: int = 0) -> None:
        if not m.spans:
            raise ValueError("the model has no rules posted (optimizer.post_rules)")
        self.m = m
        self.seed = seed
        proto = m.model.Proto()
        nvars = len(proto.variables)
        self.work_idx = [np.array([v.Index() for v in work.values()], dtype=np.int64) for work in m.work]
        self.keys = [list(work) for work in m.work]
        is_work = np.zeros(nvars, dtype=bool)
        for idx in self.work_idx:
            is_work[idx] = True
        local = np.zeros(nvars, dtype=bool)
        for name, (_, _, v0, v1) in m.spans.items():
            if name in LOCAL_RULES:
                local[v0:v1] = True
        # the objective, one coefficient per variable (a negated literal's term folds into the offset)
        objective = proto.objective
        self.scale = objective.scaling_factor or 1.0
        self.offset = float(objective.offset)
        cost = np.zeros(nvars)
        for var, coef in zip(objective.vars, objective.coeffs, strict=True):
            if var >= 0:
                cost[var] += coef
            else:
                self.offset += coef
                cost[-var - 1] -= coef
        self.cost = cost
        self.local_objective = float(np.abs(cost[local]).sum())
        # the shared rows: the linear constraints of every rule that is not one agent's own
        rows_lb, rows_ub, entries_r, entries_v, entries_c = [], [], [], [], []
        self.dropped_rows = 0
        for name, (c0, c1, _, _) in m.spans.items():
            if name in LOCAL_RULES:
                continue
            for ci in range(c0, c1):
                ct = proto.constraints[ci]
                if not ct.has_linear() or len(ct.enforcement_literal):
                    self.dropped_rows += 1
                    continue
                vs = np.fromiter(ct.linear.vars, dtype=np.int64)
                if (vs < 0).any() or local[vs].any():
                    self.dropped_rows += 1
                    continue
                domain = ct.linear.domain  # (its hull: a relaxation of a domain with holes)
                lo, hi = domain[0], _last(domain)
                r = len(rows_lb)
                rows_lb.append(-math.inf if lo <= _INT_MIN else float(lo))
                rows_ub.append(math.inf if hi >= _INT_MAX else float(hi))
                entries_r.append(np.full(len(vs), r, dtype=np.int64))
                entries_v.append(vs)
                entries_c.append(np.fromiter(ct.linear.coeffs, dtype=np.float64))
        self.rows = len(rows_lb)
        self.lb = np.array(rows_lb)
        self.ub = np.array(rows_ub)
        cat = (lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype=dtype))
        self.A = sp.csc_matrix(
            (cat(entries_c, np.float64), (cat(entries_r, np.int64), cat(entries_v, np.int64))),
            shape=(self.rows, nvars),
        )
        # the continuous shared variables: in a shared row or in the objective, not an agent's own
        used = np.diff(self.A.indptr) > 0  # columns with an entry (the matrix is by columns)
        self.y = np.flatnonzero((used | (cost != 0)) & ~is_work & ~local)
        self.y_lb = np.array([float(proto.variables[i].domain[0]) for i in self.y])
        self.y_ub = np.array([float(_last(proto.variables[i].domain)) for i in self.y])
        self.patterns = 0
        self._aggregate()
        self.Ay = self.A[:, self.y].tocsc()  # (transposed products use these as they are: no copies)
        self.pricers: list[_Pricer | None] = [None] * len(m.agents)
        self.lines: list[set[tuple[int, ...]]] = [set() for _ in m.agents]  # in the master now
        self.generated = 0  # lines that joined the master in all
        self._columns: list[tuple[int, tuple[int, ...]]] = []  # the master's line columns, in its order
        self._idle = np.zeros(0, dtype=np.int64)  # rounds each has stayed out of the master's mix
        self._lp = None
        self.lp_s = self.price_s = 0.0
        self._pending: list = []

    def _aggregate(self) -> None:
        """Count the agents on each shift once, not once per line (an exact reformulation).

        In the rows more than one agent shares (coverage, breaks, leads), all the agents of a
        site and language profile have the same coefficients on a shift. Each such pattern of
        coefficients gets one continuous count ``n`` (bounded by the shifts that have it) with a
        link row ``n - (those shifts' work) = 0``, and carries the coefficients itself: a line's
        column then holds one entry per shift (in its link rows) and its entries in the rows of
        its agent alone (fairness), instead of one per interval its shifts cover. The master's
        interior point forms ``A D A'``: the dense line columns made it several times slower.
        """
        work = np.concatenate(self.work_idx) if self.work_idx else np.zeros(0, dtype=np.int64)
        owner = np.concatenate([np.full(len(idx), a) for a, idx in enumerate(self.work_idx)]) if self.work_idx else work
        W = self.A[:, work].tocsr()
        # a row is shared when its work entries belong to more than one agent
        starts = W.indptr[:-1]
        filled = np.diff(W.indptr) > 0
        agents = owner[W.indices]
        lo = np.full(self.rows, -1)
        hi = np.full(self.rows, -1)
        if W.nnz:
            lo[filled] = np.minimum.reduceat(agents, starts[filled])
            hi[filled] = np.maximum.reduceat(agents, starts[filled])
        shared = filled & (lo != hi)
        Ws = sp.diags(shared.astype(float)) @ W
        Ws = Ws.tocsc()
        Ws.eliminate_zeros()
        pattern_of: dict[tuple[bytes, bytes], int] = {}
        which = np.full(len(work), -1)
        for j in range(len(work)):
            a, b = Ws.indptr[j], Ws.indptr[j + 1]
            if a == b:
                continue
            key = (Ws.indices[a:b].tobytes(), Ws.data[a:b].tobytes())
            which[j] = pattern_of.setdefault(key, len(pattern_of))
        k = len(pattern_of)
        if not k:
            return
        nvars = self.A.shape[1]
        counts = np.bincount(which[which >= 0], minlength=k).astype(float)
        first = np.zeros(k, dtype=np.int64)
        first[which[which >= 0][::-1]] = np.flatnonzero(which >= 0)[::-1]  # a shift of each pattern
        n_cols = Ws[:, first]  # the pattern's coefficients in the shared rows
        # the new matrix: rows + one link row per pattern; columns: the model's + one count per pattern
        is_work = np.zeros(nvars, dtype=bool)
        is_work[work] = True
        # the work keeps its entries in the rows of one agent; everything else stays as it was
        own_work = sp.diags((~shared).astype(float)) @ self.A @ sp.diags(is_work.astype(float))
        others = self.A @ sp.diags((~is_work).astype(float))
        body = (own_work + others).tocsc()
        link_work = sp.csc_matrix((-np.ones(int((which >= 0).sum())), (which[which >= 0], work[which >= 0])),
                                  shape=(k, nvars))
        top = sp.hstack([body, n_cols]).tocsc()
        bottom = sp.hstack([link_work, sp.identity(k, format="csc")]).tocsc()
        self.A = sp.vstack([top, bottom]).tocsc()
        self.A.eliminate_zeros()
        self.rows += k
        self.lb = np.concatenate([self.lb, np.zeros(k)])
        self.ub = np.concatenate([self.ub, np.zeros(k)])
        self.cost = np.concatenate([self.cost, np.zeros(k)])
        self.y = np.concatenate([self.y, nvars + np.arange(k)])
        self.y_lb = np.concatenate([self.y_lb, np.zeros(k)])
        self.y_ub = np.concatenate([self.y_ub, counts])
        self.patterns = k

    # ------------------------------------------------------------------ pricing
    def pricer(self, a: int) -> _Pricer:
        if self.pricers[a] is None:
            self.pricers[a] = _Pricer(self.m, a, self.seed)
        return self.pricers[a]

    def check_local_objective(self) -> None:
        """The agents' own objective terms in the pricers add up to those of the whole model (a bug otherwise)."""
        total = sum(p.aux_weight for p in (self.pricer(a) for a in range(len(self.m.agents))))
        if not math.isclose(total, self.local_objective, rel_tol=1e-9, abs_tol=0.5):
            raise RuntimeError(
                f"decomposition: the agents' own objective terms weigh {total:,.0f} in their models and "
                f"{self.local_objective:,.0f} in the whole model (a bug, please report)"
            )

    # ------------------------------------------------------------------ the master
    def _master(self, artificials: bool) -> highspy.Highs:
        h = _Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", int(self.seed))
        for key, value in LP_OPTIONS.items():
            h.setOptionValue(key, value)
        inf = highspy.kHighsInf
        n_agents = len(self.m.agents)
        # rows: the shared rows, then one convexity row per agent
        lower = np.concatenate([np.where(np.isinf(self.lb), -inf, self.lb), np.ones(n_agents)])
        upper = np.concatenate([np.where(np.isinf(self.ub), inf, self.ub), np.ones(n_agents)])
        h.addRows(len(lower), lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        Ay = self.Ay
        h.addCols(len(self.y), LP_SCALE * self.cost[self.y], self.y_lb, self.y_ub, Ay.nnz, Ay.indptr[:-1].astype(np.int32),
                  Ay.indices.astype(np.int32), Ay.data)
        if not artificials:
            return h
        # artificial slack: +1 where a row may need more, -1 where it may need less
        up = np.flatnonzero(np.isfinite(self.lb))
        down = np.flatnonzero(np.isfinite(self.ub))
        idx = np.concatenate([up, down]).astype(np.int32)
        vals = np.concatenate([np.ones(len(up)), -np.ones(len(down))])
        k = len(idx)
        h.addCols(k, np.full(k, LP_SCALE * ARTIFICIAL_COST), np.zeros(k), np.full(k, inf), k, np.arange(k, dtype=np.int32),
                  idx, vals)
        return h

    def add_line(self, a: int, line: tuple[int, ...], own: float) -> None:
        """Agent ``a``'s line (positions in ``self.keys[a]``) for the master, at its own cost ``own``
        (added with the others at the next :meth:`_flush`: one call, which keeps HiGHS's basis)."""
        self.lines[a].add(line)
        self.generated += 1
        self._columns.append((a, line))
        if not line:
            rows, vals = np.zeros(0, np.int64), np.zeros(0)
        else:
            col = self.A[:, self.work_idx[a][list(line)]].sum(axis=1).A1
            rows = np.flatnonzero(col)
            vals = col[rows]
        self._pending.append((LP_SCALE * own, np.append(rows, self.rows + a), np.append(vals, 1.0)))

    def _flush(self) -> None:
        if not self._pending:
            return
        costs = np.array([c for c, _, _ in self._pending])
        starts = np.cumsum([0] + [len(r) for _, r, _ in self._pending[:-1]]).astype(np.int32)
        rows = np.concatenate([r for _, r, _ in self._pending]).astype(np.int32)
        vals = np.concatenate([v for _, _, v in self._pending])
        k = len(costs)
        self._lp.addCols(k, costs, np.zeros(k), np.full(k, highspy.kHighsInf), len(rows), starts, rows, vals)
        self._idle = np.concatenate([self._idle, np.zeros(k, dtype=np.int64)])
        self._pending = []

    def _retire(self, values: np.ndarray) -> None:
        """Drop the lines that stayed out of the master's mix for :data:`IDLE_ROUNDS` rounds: the
        interior point's time grows with the columns (they may come back if they price out again)."""
        # the interior point leaves every column slightly positive: "in the mix" is a weight that counts
        used = values[len(values) - len(self._columns):] > IN_MIX
        self._idle = np.where(used, 0, self._idle + 1)
        old = np.flatnonzero(self._idle >= IDLE_ROUNDS)
        if not len(old):
            return
        first = self._lp.getNumCol() - len(self._columns)
        self._lp.deleteCols(len(old), (first + old).astype(np.int32))
        for i in old:
            a, line = self._columns[i]
            self.lines[a].discard(line)
        keep = np.ones(len(self._columns), dtype=bool)
        keep[old] = False
        self._columns = [c for c, k in zip(self._columns, keep) if k]
        self._idle = self._idle[keep]

    def usable(self, duals: np.ndarray) -> np.ndarray:
        """``duals`` with those of the wrong sign for their row's finite sides set to 0 (the LP's
        arithmetic leaves a few): a valid multiplier for every row. Pricing and bound use the same."""
        return np.where(duals > 0, np.where(np.isfinite(self.lb), duals, 0.0),
                        np.where(np.isfinite(self.ub), duals, 0.0))

    def lagrangian(self, duals: np.ndarray, least: list[float]) -> float:
        """The Lagrangian bound [objective units] for ``duals`` of the shared rows and each agent's
        proven least reduced cost ``least`` (the pricing's objective, without the convexity dual)."""
        pi = self.usable(duals)
        side = np.where(pi > 0, np.where(np.isfinite(self.lb), self.lb, 0.0),
                        np.where(np.isfinite(self.ub), self.ub, 0.0))
        total = self.offset + float(pi @ side)
        reduced = self.cost[self.y] - self.Ay.T @ pi
        total += float(np.minimum(reduced * self.y_lb, reduced * self.y_ub).sum())
        return (total + sum(least)) * self.scale

    def reduced_costs(self, duals: np.ndarray) -> np.ndarray:
        """Per model variable: objective coefficient less what the shared rows pay for it."""
        return self.cost - self.A.T @ duals

    def run(
        self,
        *,
        until: float,
        start: list[list[int]] | None = None,
        threads: int | None = None,
        price_s: float = PRICE_S,
        on_round: Callable[[Bound], bool | None] | None = None,
        stop: threading.Event | None = None,
    ) -> Bound:
        """Price until no line prices out, the clock passes ``until`` (``time.perf_counter()``) or ``stop`` is set.

        The first round prices each agent against the costs alone: its bound (each agent's
        cheapest line, every shared variable at its best) needs no master. ``start``: shift
        keys per agent of a roster that keeps every rule, whose lines seed the master (without
        one, the master starts from the first round's lines and artificial slack). The agents
        are priced on ``threads`` threads (default: the machine's cores; CP-SAT leaves Python's
        lock while it solves). ``on_round``: called with the bound after each round; a true return stops.
        """
        t0 = time.perf_counter()
        n_agents = len(self.m.agents)
        # every pricing model, and the check that they carry the whole model's own-agent terms: a
        # pricing model that missed one would bound a cheaper problem than the user's
        self.check_local_objective()
        self._lp = self._master(artificials=start is None)
        pool = ThreadPoolExecutor(max_workers=threads or machine_cores())
        best = Bound(value=-math.inf, master=math.inf, rounds=0, lines=0, converged=False, seconds=0.0,
                     dropped_rows=self.dropped_rows)
        best_duals = None  # those of the best bound so far
        center, center_value = None, -math.inf  # the smoothing's centre: the best bound's duals from a master

        def over() -> bool:
            return time.perf_counter() >= until or (stop is not None and stop.is_set())

        def keep(value: float, duals: np.ndarray, least: list[float], *, from_master: bool = True) -> None:
            nonlocal best_duals, center, center_value
            if value > best.value:
                best.value, best_duals, best.least = value, duals, np.asarray(least, dtype=float)
            if from_master and value > center_value:
                center, center_value = duals, value

        try:
            if start is not None:
                for a, shifts in enumerate(start):
                    position = {k: i for i, k in enumerate(self.keys[a])}
                    line = tuple(sorted(position[k] for k in shifts))
                    self.add_line(a, line, self.pricer(a).own_cost(line, self.cost[self.work_idx[a]]))
            zero = np.zeros(self.rows)
            # every line the costs alone price joins (a convexity dual of +inf): the master's first lines
            priced = self._price_round(pool, zero, zero, np.full(n_agents, math.inf), until, price_s, stop)
            if priced is None:
                return self._finish(best, best_duals, t0)
            # (the costs alone are no centre for the smoothing: on the nurse problems, where shifts cost
            # nothing, duals halved towards zero priced out lines round after round and the bound stayed near 0)
            keep(self.lagrangian(zero, priced[0]), zero, priced[0], from_master=False)
            best.history.append((time.perf_counter() - t0, math.inf, best.value))
            while not over():
                t_lp = time.perf_counter()
                self._flush()
                self._lp.setOptionValue("time_limit", max(0.01, until - time.perf_counter()))
                self._lp.run()
                self.lp_s += time.perf_counter() - t_lp
                status = self._lp.getModelStatus()
                if status == highspy.HighsModelStatus.kTimeLimit:
                    break
                if status != highspy.HighsModelStatus.kOptimal:
                    raise RuntimeError("decomposition: the master was not solved "
                                       f"({self._lp.modelStatusToString(status)}; a bug, please report)")
                master = (self._lp.getInfo().objective_function_value / LP_SCALE + self.offset) * self.scale
                solution = self._lp.getSolution()
                row_duals = np.asarray(solution.row_dual) / LP_SCALE
                duals, convexity = self.usable(row_duals[: self.rows]), row_duals[self.rows:]
                self._retire(np.asarray(solution.col_value))
                best.rounds += 1
                best.master = master
                smoothed = duals if center is None else SMOOTHING * center + (1 - SMOOTHING) * duals
                priced = self._price_round(pool, smoothed, duals, convexity, until, price_s, stop)
                if priced is None:
                    break
                least, joined, proved = priced
                keep(self.lagrangian(smoothed, least), smoothed, least)
                if not joined and smoothed is not duals and not over():
                    # nothing priced out at the smoothed duals: the master's own decide
                    priced = self._price_round(pool, duals, duals, convexity, until, price_s, stop)
                    if priced is None:
                        break
                    least, joined, proved = priced
                    keep(self.lagrangian(duals, least), duals, least)
                best.history.append((time.perf_counter() - t0, master, best.value))
                best.converged = not joined and proved
                if best.converged:
                    break
                if on_round is not None and on_round(self._finish(best, best_duals, t0)):
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return self._finish(best, best_duals, t0)

    def _finish(self, best: Bound, duals, t0: float) -> Bound:
        """The bound so far, as reported (a copy: the rounds go on from ``best`` itself)."""
        value = best.value
        if math.isfinite(value):
            # integer objective units: the least integer at or above the bound (with a margin for the LP's arithmetic)
            value = math.ceil(value - 1e-6 * max(1.0, abs(value)))
        return dataclasses.replace(best, value=value, lines=self.generated, seconds=time.perf_counter() - t0,
                                   duals=duals, history=list(best.history))

    def _price_round(self, pool: Executor, duals: np.ndarray, lp_duals: np.ndarray, convexity: np.ndarray,
                     until: float, price_s: float, stop: threading.Event | None):
        """Price every agent at ``duals``; lines whose reduced cost at the master's own ``lp_duals``
        is negative join it. Returns each agent's proven least reduced cost, the lines that joined,
        and whether every pricing was proved; None if ``stop`` was set before every agent was priced."""
        t_price = time.perf_counter()
        reduced = self.reduced_costs(duals)
        at_lp = reduced if lp_duals is duals else self.reduced_costs(lp_duals)
        limit = min(price_s, max(0.05, until - time.perf_counter()))

        def price(a: int):
            if stop is not None and stop.is_set():
                return None
            return self.pricer(a).price(reduced[self.work_idx[a]], limit)

        try:
            results = list(pool.map(price, range(len(self.m.agents))))
        finally:
            self.price_s += time.perf_counter() - t_price
        if any(r is None for r in results):
            return None
        least, joined, proved = [], 0, True
        for a, (bound, lines, optimal) in enumerate(results):
            least.append(bound)
            proved &= optimal
            own_costs = self.cost[self.work_idx[a]]
            mine = at_lp[self.work_idx[a]]
            for line, aux in lines:
                picked = list(line)
                if float(mine[picked].sum()) + aux - convexity[a] < -MIN_GAIN and line not in self.lines[a]:
                    self.add_line(a, line, float(own_costs[picked].sum()) + aux)
                    joined += 1
        return least, joined, proved


class _Pricer:
    """One agent's model of its own rules and costs, built once; each call prices it against new reduced costs.

    Objective values here leave out constants: the whole model's offset holds them all.
    """

    def __init__(self, m: RosterModel, a: int, seed: int) -> None:
        alone = agent_model(m, a, automata=False)
        alone.model.Minimize(objective([p for rule in AGENT_SOFT_RULES for p in rule(alone)]))
        self.model = alone.model
        self.n = len(m.work[a])
        proto = self.model.Proto()
        # the agent's own terms beyond its shifts' (overtime, wishes to work): kept as built
        self.aux_vars: list[int] = []
        self.aux_coefs: list[int] = []
        for var, coef in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
            ref = var if var >= 0 else -var - 1
            if ref < self.n:
                continue  # a shift's own term: the whole model's coefficient replaces it
            self.aux_vars.append(ref)
            self.aux_coefs.append(int(coef if var >= 0 else -coef))  # a negated literal's constant: in the offset
        self.aux_weight = float(np.abs(self.aux_coefs).sum()) if self.aux_coefs else 0.0
        proto.objective.offset = 0.0
        self.solver = new_solver()
        self.solver.parameters.num_workers = 1
        self.solver.parameters.random_seed = seed
        self.last: tuple[int, ...] | None = None

    def _write(self, proto, coefs: list[int], aux_coefs: list[int]) -> None:
        proto.objective.vars.clear()
        proto.objective.coeffs.clear()
        proto.objective.vars.extend(list(range(self.n)) + self.aux_vars)
        proto.objective.coeffs.extend(coefs + aux_coefs)

    def own_cost(self, line: tuple[int, ...], shift_costs: np.ndarray) -> float:
        """The line's own objective terms [objective units, no constants]: its shifts', and its least
        overtime and unmet wishes."""
        total = float(shift_costs[list(line)].sum())
        if not self.aux_vars:
            return total
        model = self.model.clone()
        proto = model.Proto()
        chosen = set(line)
        for i in range(self.n):
            value = int(i in chosen)
            proto.variables[i].domain.clear()
            proto.variables[i].domain.extend([value, value])
        self._write(proto, [0] * self.n, self.aux_coefs)
        solver = new_solver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 10.0
        if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError("decomposition: a starting roster's line breaks its agent's own rules (a bug)")
        return total + solver.ObjectiveValue()

    def price(self, reduced: np.ndarray, time_limit_s: float) -> tuple[float, list[tuple[tuple[int, ...], float]], bool]:
        """The proven least reduced cost of a line (no convexity dual, no constants), the best lines
        found with their own terms beyond their shifts' (overtime, wishes), and whether it was proved."""
        proto = self.model.Proto()
        coefs = np.floor(reduced + 1e-9).astype(np.int64).tolist()  # down: the bound stays a bound
        self._write(proto, coefs, self.aux_coefs)
        if self.last is not None:
            chosen = set(self.last)
            set_hint(proto, [int(i in chosen) for i in range(self.n)])
        self.solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
        found: list[tuple[tuple[int, ...], float]] = []
        n, aux_vars, aux_coefs = self.n, self.aux_vars, self.aux_coefs

        class Collect(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(cb) -> None:
                values = cb.Response().solution
                aux = float(sum(c * values[v] for v, c in zip(aux_vars, aux_coefs)))
                found.append((tuple(i for i in range(n) if values[i]), aux))

        status = self.solver.Solve(self.model, Collect())
        if status == cp_model.INFEASIBLE:
            raise RuntimeError("decomposition: an agent has no line that keeps its own rules")
        if found:
            self.last = found[-1][0]
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN):  # MODEL_INVALID: no bound from it
            return self._floor(coefs), found[-LINES_PER_PRICE:], False
        return self.solver.BestObjectiveBound(), found[-LINES_PER_PRICE:], status == cp_model.OPTIMAL

    def _floor(self, coefs: list[int]) -> float:
        """The objective's least value from its variables' domains alone: a bound that needs no search."""
        proto = self.model.Proto()
        total = float(sum(min(0, c) for c in coefs))
        for var, c in zip(self.aux_vars, self.aux_coefs):
            domain = proto.variables[var].domain
            total += min(c * domain[0], c * _last(domain))
        return total


def lower_bound(m: RosterModel, *, time_limit_s: float, seed: int = 0, start: list[list[int]] | None = None,
                threads: int | None = None, stop: threading.Event | None = None) -> Bound:
    """The decomposition's bound on ``m`` (rules posted) within ``time_limit_s`` seconds."""
    t0 = time.perf_counter()
    decomposition = Decomposition(m, seed=seed)
    return decomposition.run(until=t0 + time_limit_s, start=start, threads=threads, stop=stop)


class InBackground:
    """:func:`lower_bound` in a thread beside the search: :meth:`result` stops it and returns its bound.

    A failure of the bound never costs the roster: it is kept in :attr:`error` (and the roster
    keeps the search's bound).
    """

    def __init__(self, m: RosterModel, *, until: float, seed: int, start: list[list[int]] | None, threads: int,
                 snapshot: bool) -> None:
        self.stop = threading.Event()
        self.agents = list(m.agents)
        self.bound: Bound | None = None
        self.error: BaseException | None = None
        self.current = -math.inf  # the best bound so far [objective units], for progress reports

        def on_round(bound: Bound) -> None:
            self.current = max(self.current, bound.value)

        # ``snapshot``: its own copy of the model, when a stage beside it fixes the model's variables in
        # place (the LNS's first chain): a pricing model built from a temporarily fixed domain would bound
        # a smaller problem than the user's. Not otherwise: on 1,000 agents the copy is a gigabyte.
        model = dataclasses.replace(m, model=m.model.clone()) if snapshot else m

        def work() -> None:
            try:
                decomposition = Decomposition(model, seed=seed)
                self.bound = decomposition.run(until=until, start=start, threads=threads, stop=self.stop,
                                               on_round=on_round)
            except Exception as exc:  # noqa: BLE001 - reported with the roster, never raised into the solve
                self.error = exc

        self.thread = threading.Thread(target=work, name="fts-decomposition", daemon=True)
        self.thread.start()

    def result(self, *, grace_s: float, wait_s: float) -> Bound | None:
        """Its bound: after up to ``grace_s`` seconds to finish on its own (a small problem converges in
        that time), stopped, and after up to ``wait_s`` more for its round in progress (None if it
        is still running then)."""
        self.thread.join(max(0.0, grace_s))
        self.stop.set()
        self.thread.join(max(0.0, wait_s))
        return None if self.thread.is_alive() else self.bound
