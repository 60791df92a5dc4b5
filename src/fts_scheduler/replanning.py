"""Re-planning mid-horizon: keep what has started, change as little as possible of the rest.

``replan(problem, published, now=...)`` takes the *updated* problem (absences added to
agents' ``unavailable``, new requirements or floors, agents added or removed) and the
roster in force, and returns a roster of the updated problem in which

* every published shift that started before ``now`` is kept exactly, breaks included
  (the frozen past), even on a date the agent has since been marked unavailable (a
  :class:`ReplanWarning` says so);
* no shift that was not published and starts before ``now`` is added;
* everything from ``now`` on is re-optimised for cost as :func:`~fts_scheduler.solve`
  does, plus ``stability_weight`` for each shift added to or removed from the published
  roster, warm-started from the published roster;
* every language floor holds in every interval that starts at or after ``now``
  (intervals before it are history: only the frozen shifts cover them);
* ``Roster.changes`` lists exactly what differs from ``published``.

If the floors can no longer be met, :class:`~fts_scheduler.InfeasibleError` names the
languages and hours, with the best roster that keeps the frozen past and every other
rule on ``error.best_effort``.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from ortools.sat.python import cp_model

from .cpsat import set_boolean_bounds
from .errors import InfeasibleError, NoRosterError
from .explain import describe_language, format_ranges, shortfall_frame, speaker_sites
from .heuristic import StartingRoster
from .models import MAX_WEIGHT, Problem
from .optimizer import (
    SolveOutcome,
    add_hint,
    break_offsets,
    build_model,
    extract_roster,
    hint_solution,
    model_stats,
    run,
    solve_copy,
)
from .roster import ASSIGNMENT_COLUMNS, CHANGE_COLUMNS, Roster
from .rules import COST_SCALE, FLOOR_SHORTFALL_WEIGHT, Penalty, RosterModel, minimum_weekly_minutes, objective
from .solver import DEFAULT_WORKERS, check_size
from .timegrid import CandidateShift, candidate_shifts

__all__ = ["replan", "ReplanWarning", "DEFAULT_STABILITY_WEIGHT"]

DEFAULT_STABILITY_WEIGHT = 200.0
"""Price of one shift added to or removed from the published roster [currency/shift].

A moved shift (same agent, same local date, another template or start) is a removal
and an addition: twice this. On the demo's costs (9-26 an hour), 400 for a move is more
than handing a day's shift to a cheaper agent saves, so shifts do not move to shave
cost; a shift added to fill a gap must buy back about 200 plus its own cost, some
five under-staffed agent-hours at the default 60 an agent-hour. Floors and contract
minimums are hard: they move whatever they need. A removal the new problem forces (an
absence) costs nothing: there is no choice to price.
"""

HINT_SHARE = 0.25
"""Share of the time limit for completing the published roster into a first solution."""

REPAIR_SHARE = 0.35
"""Share of the time limit for the fewest floor shortfalls, and the fewest moves among those,
when the first solution has some shortfalls."""

_STABILITY = "schedule_stability"
_SHORTFALL = "floor_shortfall"
_PAST_SHORTFALL = "past_floor_shortfall"


class ReplanWarning(UserWarning):
    """Something :func:`replan` kept or dropped that the caller may not expect.

    Issued with :func:`warnings.warn`; catch them with
    ``warnings.catch_warnings(record=True)`` (or ``pytest.warns``).

    Attributes
    ----------
    kind
        ``"frozen_on_unavailable"``: a shift that started before ``now`` falls on a
        local date the agent is now unavailable; it is kept.
        ``"agent_removed"``: the agent is not in the problem; all of its published
        shifts are dropped (they are listed in ``Roster.changes``).
        ``"not_a_shift"``: a published shift from ``now`` on is not a candidate shift of
        the updated problem (its template or site changed); it is dropped.
        ``"minimum_unreachable"``: the shifts started before ``now`` and the unavailable
        dates leave an ISO week's contract minimum out of reach; the re-plan holds a
        lower one that week (the validator will report the week).
    agent_id
        The agent concerned.
    start_utc
        Start of the shift concerned, if one.
    """

    def __init__(self, message: str, *, kind: str, agent_id: str, start_utc: pd.Timestamp | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.agent_id = agent_id
        self.start_utc = start_utc


@dataclass(frozen=True)
class _Published:
    """The published roster mapped onto the updated problem's candidate shifts."""

    chosen: dict[int, set[int]]  # agent index -> candidate indices published (past and future)
    frozen: dict[int, set[int]]  # agent index -> candidate indices that started before now
    kept_on_unavailable: dict[int, set[dt.date]]  # local dates of frozen shifts now unavailable


def replan(
    problem: Problem,
    published: Roster,
    *,
    now: dt.datetime | pd.Timestamp,
    time_limit_s: float = 60,
    seed: int = 0,
    stability_weight: float = DEFAULT_STABILITY_WEIGHT,
    workers: int | None = None,
    deterministic_time: float | None = None,
) -> Roster:
    """Re-plan ``published`` for the updated ``problem`` from ``now`` on.

    Parameters
    ----------
    problem
        The updated problem: an edited copy of the one ``published`` solves, with the
        same sites, shift templates and horizon (absences, floors, requirements and
        agents may change).
    published
        The roster in force.
    now
        The re-planning instant, tz-aware. Shifts that started before it are frozen;
        floors bind on the grid intervals that start at or after it.
    time_limit_s
        Wall-clock limit of the CP-SAT searches together [s]: completing the warm
        start, the fewest floor shortfalls if the warm start has some, the cheapest
        roster (model build not included).
    seed
        CP-SAT random seed; with ``workers=1`` the search is deterministic.
    stability_weight
        Price of each shift added to or removed from ``published`` [currency/shift]; see
        :data:`DEFAULT_STABILITY_WEIGHT`. 0 re-optimises the future freely.
    workers
        CP-SAT search workers; ``None`` means :data:`~fts_scheduler.solver.DEFAULT_WORKERS`.
    deterministic_time
        Limit in CP-SAT's deterministic work units (with ``workers=1``, the same roster
        on every machine).

    Returns
    -------
    Roster
        With ``changes``: one row per shift that differs from ``published``
        (``old_*`` NaT for an added shift, ``new_*`` NaT for a removed one; a removal and
        an addition for the same agent on the same local date are one row, a moved
        shift). ``stats`` gains ``frozen_shifts``, ``changed_shifts``,
        ``stability_weight``, ``repaired_shortfalls`` (floor agent-intervals from
        ``now`` on that the published roster, completed, left short) and
        ``repaired_nearby`` (1 if moving only speakers' shifts within 3 days of them
        mended them all); ``objective_terms`` gains ``schedule_stability``.

    Raises
    ------
    InfeasibleError
        The floors cannot all be met from ``now`` on; ``best_effort`` keeps the frozen
        past and every other rule and misses the floors least.
    ProblemTooLargeError
        The model would be larger than :data:`~fts_scheduler.solver.MAX_SIZE`.
    NoRosterError
        The time limit ran out before any roster was found, or before the floors were
        either met or proved impossible to meet.
    ValueError
        ``now`` is naive, or a shift that started before ``now`` is not a shift of the
        updated problem (the past cannot be re-planned).

    Warns
    -----
    ReplanWarning
        A started shift kept on a date now marked unavailable; an agent removed from
        the problem (its shifts dropped); a future published shift that is no longer a
        candidate; a weekly contract minimum out of reach.
    """
    now_utc = _as_utc(now)
    if not 0 <= stability_weight <= MAX_WEIGHT:
        raise ValueError(f"stability_weight must be between 0 and {MAX_WEIGHT:g}, got {stability_weight}")
    check_size(problem)
    workers = DEFAULT_WORKERS if workers is None else workers
    candidates = {s.name: candidate_shifts(problem, s) for s in problem.sites}
    pub = _map_published(problem, published, candidates, now_utc)
    model_problem = _model_problem(problem, pub, candidates, now_utc)
    weight = round(stability_weight * COST_SCALE)

    t0 = time.perf_counter()
    m, penalties, slack, start = _build(model_problem, pub, published, now_utc, weight)
    stats = model_stats(m, time.perf_counter() - t0)
    stats.update(workers=workers, frozen_shifts=sum(map(len, pub.frozen.values())), stability_weight=stability_weight)
    started = time.perf_counter()

    def limits(share: float, *, rest: bool = False) -> dict:
        """Seed, workers and a time limit: ``share`` of the total (all that is left if ``rest``)."""
        left = max(1.0, time_limit_s - (time.perf_counter() - started))
        return {
            "seed": seed,
            "workers": workers,
            "time_limit_s": left if rest else min(left, time_limit_s * share),
            "deterministic_time": None if deterministic_time is None else deterministic_time * share,
        }

    # Searches on one model:
    # 1. the published roster, less what can no longer be worked, completed into a roster;
    # 2. if that leaves floors short: the fewest short agent-intervals, and among those the
    #    fewest moved shifts (small weights, so CP-SAT proves the count fast), then held;
    #    first with only the short languages' speakers free within 3 days of each shortfall,
    #    then, if that does not meet every floor, the whole roster;
    # 3. the cheapest, stablest roster at that shortfall (0 from now on: the floors hold).
    # Agents who lost a published shift (a new absence), or have none (new), are free in
    # the completion; everybody else keeps the published shifts there.
    free = {a for a in range(len(m.agents)) if not start[a] or pub.chosen.get(a, set()) - m.work[a].keys()}
    first = _complete_hint(m, start, free, **limits(HINT_SHARE))
    stats["hint_s"] = round(time.perf_counter() - started, 3)
    used, proved = HINT_SHARE, True
    least = {"future": 0, "past": 0}
    stats.update(repaired_shortfalls=0 if first is None else _missing(first, slack["future"]), repaired_nearby=0)
    if first is not None and stats["repaired_shortfalls"]:
        # most shortfalls an absence leaves are mended by its colleagues near it: try that first
        nearby = _repair_nearby(m, first, penalties, slack, now_utc, limits(REPAIR_SHARE / 2))
        used += REPAIR_SHARE / 2
        if nearby is not None:
            first, stats["repaired_nearby"] = nearby, 1
    if first is None or _missing(first, slack["future"]) or _missing(first, slack["past"]):
        repair, proved = _fewest_shortfalls(m, penalties, slack, limits(REPAIR_SHARE))
        used += REPAIR_SHARE
        if repair.status == "INFEASIBLE":
            # floors are soft here: the frozen past and the other rules conflict
            raise InfeasibleError(
                f"No re-planned roster from {now_utc:%a %Y-%m-%d %H:%M} UTC keeps every rule, even with the floors "
                "relaxed: check contracts' min_weekly_hours and the other labour rules against the new unavailable "
                "dates and the shifts already started.",
                languages=[],
            )
        if repair.status in ("OPTIMAL", "FEASIBLE"):
            first = repair
    if first is None:
        raise NoRosterError(
            f"no re-planned roster found within time_limit_s={time_limit_s} s "
            f"({stats['variables']} variables); raise the limit"
        )
    for when in ("future", "past"):
        least[when] = _missing(first, slack[when])
        m.model.Add(sum(slack[when]) <= least[when])
    hint_solution(m, first.solver)
    m.model.Minimize(objective(penalties))
    outcome = run(m, **limits(1 - used, rest=True))
    if outcome.status in ("OPTIMAL", "FEASIBLE"):
        roster = _finish(extract_roster(m, penalties, outcome, stats), published, now_utc)
    else:  # out of time before the search took its start: keep that, with no bound proved
        roster = _finish(extract_roster(m, penalties, first, stats), published, now_utc)
        roster = dataclasses.replace(roster, status="FEASIBLE", bound=float("nan"), gap=float("nan"))
    if least["future"] == 0:
        return roster
    if not proved:
        raise NoRosterError(
            f"no re-planned roster that meets every floor found within time_limit_s={time_limit_s} s (the best "
            f"misses {least['future']} floor agent-intervals, not proved unavoidable); raise the limit"
        )
    raise _infeasible(problem, roster, now_utc)


def _fewest_shortfalls(m: RosterModel, penalties: list[Penalty], slack: dict[str, list], limits: dict) -> tuple:
    """The fewest floor shortfalls, and among those the fewest moved shifts; and whether proved fewest.

    The moves ride along below the shortfalls (one shortfall outweighs every move
    together), so the roster this hands to the cheapest-roster search stays close to
    the published one. With shortfalls alone in the objective CP-SAT took any roster
    that met the floors: the demo with 3 absences from day 5 (20 s) ended with 75-150
    shifts moved in about a third of re-plans, the last search unable to get back; with
    the moves, 22-32 in six of six. The search runs its whole share: stopped at the
    first roster without shortfalls, two of six re-plans still ended with 104 and 119.
    (The model's own objective here instead, shortfalls priced far above cost, left
    floors short after 7 s: CP-SAT finds the first roster without them much later.)
    """
    moves = [p.expr for p in penalties if p.rule == _STABILITY]
    scale = len(moves) + 1
    m.model.Minimize(scale * (sum(slack["future"]) + sum(slack["past"])) + sum(moves))
    outcome = run(m, **limits)
    solved = outcome.status in ("OPTIMAL", "FEASIBLE")
    # a bound of at least (count x scale) excludes every roster with fewer shortfalls
    proved = outcome.status == "OPTIMAL" or (
        solved and outcome.solver.BestObjectiveBound() >= (round(outcome.solver.ObjectiveValue()) // scale) * scale
    )
    return outcome, proved


NEARBY = dt.timedelta(days=3)
"""How far from a floor shortfall :func:`_repair_nearby` frees shifts: a week around it, so
that a speaker who takes an extra shift can give up another in the same week."""


def _repair_nearby(
    m: RosterModel, first: SolveOutcome, penalties: list[Penalty], slack: dict[str, list], now: dt.datetime,
    limits: dict,
) -> SolveOutcome | None:
    """The floor shortfalls of ``first`` mended by moving only speakers' shifts near them.

    Everything else keeps its value in ``first``; among those rosters, the fewest
    shortfalls and then the fewest moved shifts. A small model: CP-SAT proves it in a
    second or two, where the whole model's repair, in the same time, sometimes settled
    on a roster with a hundred moved shifts (CI, demo with 3 absences: 112 of 675).
    Returns the roster (also the model's hint) if it meets every floor from ``now`` on,
    else None (the whole model's repair then starts from ``first``).
    """
    g0, step = m.problem.grid_start_utc, dt.timedelta(minutes=m.problem.interval_minutes)
    short: dict[str, list[dt.datetime]] = defaultdict(list)  # language -> sorted UTC starts short
    for (lang, t), x in sorted((m.floor_slack or {}).items()):
        if first.solver.Value(x) and g0 + t * step >= now:
            short[lang].append(g0 + t * step)

    def near(start: dt.datetime, times: list[dt.datetime]) -> bool:
        i = bisect.bisect_left(times, start - NEARBY)
        return i < len(times) and times[i] <= start + NEARBY

    free: set[int] = set()
    for a, agent in enumerate(m.agents):
        spoken = [short[lang] for lang in agent.languages if lang in short]
        for k, v in m.work[a].items() if spoken else ():
            start = m.shifts[agent.site][k].start_utc
            if start >= now and any(near(start, times) for times in spoken):
                free.add(v.Index())
    fixed = m.model.clone()
    proto = fixed.Proto()
    for work in m.work:
        for v in work.values():
            if v.Index() not in free:
                value = first.solver.Value(v)
                set_boolean_bounds(proto, v.Index(), value, value)
    moves = [p.expr for p in penalties if p.rule == _STABILITY]
    fixed.Minimize((len(moves) + 1) * (sum(slack["future"]) + sum(slack["past"])) + sum(moves))
    outcome = _solve_copy(fixed, **limits)
    if outcome is None or _missing(outcome, slack["future"]):
        return None
    hint_solution(m, outcome.solver)
    return outcome


def _solve_copy(model: cp_model.CpModel, **limits) -> SolveOutcome | None:
    """Solve a copy of the re-plan model (same variable indices): its roster, or None if none found."""
    t0 = time.perf_counter()
    solver = solve_copy(model, **limits)
    return None if solver is None else SolveOutcome("FEASIBLE", solver, time.perf_counter() - t0)


def _missing(outcome: SolveOutcome, short: list) -> int:
    """Floor agent-intervals missing in the outcome's roster (over the slack variables given)."""
    return int(sum(outcome.solver.Value(x) for x in short))


# --------------------------------------------------------------------------- the published roster


def _as_utc(now: dt.datetime | pd.Timestamp) -> dt.datetime:
    ts = pd.Timestamp(now)
    if ts.tzinfo is None:
        raise ValueError(f"now must be tz-aware (e.g. datetime(..., tzinfo=datetime.UTC)), got {now!r}")
    return ts.tz_convert("UTC").to_pydatetime()


def _map_published(
    problem: Problem, published: Roster, candidates: dict[str, list[CandidateShift]], now: dt.datetime
) -> _Published:
    """Find each published shift among the updated problem's candidates; warn about the rest.

    A published shift is candidate ``k`` of its agent's site when template, UTC start and
    UTC end agree (a flexible template gives several candidates on one local date).
    """
    a = published.assignments
    missing = set(ASSIGNMENT_COLUMNS) - set(a.columns)
    if missing:
        raise ValueError(f"published.assignments lacks columns {sorted(missing)}")
    index = {agent.id: i for i, agent in enumerate(problem.agents)}
    by_key = {
        site: {(s.template, s.start_utc, s.end_utc): k for k, s in enumerate(shifts)}
        for site, shifts in candidates.items()
    }
    chosen: dict[int, set[int]] = defaultdict(set)
    frozen: dict[int, set[int]] = defaultdict(set)
    kept: dict[int, set[dt.date]] = defaultdict(set)
    removed: dict[str, list[pd.Timestamp]] = defaultdict(list)
    for row in a.itertuples(index=False):
        start, end = pd.Timestamp(row.start_utc).tz_convert("UTC"), pd.Timestamp(row.end_utc).tz_convert("UTC")
        started = start.to_pydatetime() < now
        i = index.get(row.agent_id)
        if i is None:
            removed[row.agent_id].append(start)
            continue
        agent = problem.agents[i]
        k = None
        if row.site == agent.site:
            k = by_key[agent.site].get((row.shift, start.to_pydatetime(), end.to_pydatetime()))
        if k is None:
            if started:
                raise ValueError(
                    f"published shift {row.shift!r} of {row.agent_id} at {row.site} from {start} started before "
                    f"now ({now:%Y-%m-%d %H:%M} UTC) but is not a shift of the updated problem (site, template "
                    "or horizon changed); the past cannot be re-planned"
                )
            _warn(
                f"{row.agent_id}: published shift {row.shift!r} from {start} is not a shift of the updated "
                "problem (template or site changed); dropped",
                "not_a_shift",
                row.agent_id,
                start,
            )
            continue
        chosen[i].add(k)
        if started:
            frozen[i].add(k)
            s = candidates[agent.site][k]
            if s.local_date in agent.unavailable:
                kept[i].add(s.local_date)
                _warn(
                    f"{agent.id}: the {s.template} shift from {s.start_local:%Y-%m-%d %H:%M} {agent.site} time "
                    f"({start:%Y-%m-%d %H:%M} UTC) started before now ({now:%Y-%m-%d %H:%M} UTC) and is kept, "
                    f"although {s.local_date} is now marked unavailable",
                    "frozen_on_unavailable",
                    agent.id,
                    start,
                )
    for agent_id, starts in sorted(removed.items()):
        past = sum(1 for s in starts if s.to_pydatetime() < now)
        _warn(
            f"{agent_id} is not in the updated problem: its {len(starts)} published shifts "
            f"({past} started before now) are dropped from the roster",
            "agent_removed",
            agent_id,
        )
    return _Published(dict(chosen), dict(frozen), dict(kept))


def _warn(message: str, kind: str, agent_id: str, start_utc: pd.Timestamp | None = None) -> None:
    # stacklevel 4: _warn <- helper <- replan <- the caller's line
    warnings.warn(ReplanWarning(message, kind=kind, agent_id=agent_id, start_utc=start_utc), stacklevel=4)


def _model_problem(
    problem: Problem, pub: _Published, candidates: dict[str, list[CandidateShift]], now: dt.datetime
) -> Problem:
    """The problem the re-plan model solves: the updated problem, adjusted where the past binds.

    1. Dates of kept started shifts come off the agent's ``unavailable`` (the model allows
       no shift on an unavailable date, so the shift could not be kept otherwise). That
       ISO week's pro-rata contract minimum then counts the date as available: the agent
       did start work that day.
    2. A contract minimum that the frozen past and the unavailable dates make unreachable
       (an absence from Friday after a light Monday to Thursday) is lowered for that
       week only, by counting past dates the agent did not work as unavailable in the
       model, as few as needed. Reachable means: the started shifts of the week plus the
       longest candidate on each later available date (rest and other rules ignored, so
       this finds the sure cases). A :class:`ReplanWarning` names each one; the validator,
       which knows only the rule, will report that week.
    """
    first = problem.start_date
    last = first + dt.timedelta(days=problem.days - 1)
    mondays = []
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    while monday + dt.timedelta(days=6) <= last:
        mondays.append(monday)
        monday += dt.timedelta(days=7)
    agents = list(problem.agents)
    changed = False
    for i, agent in enumerate(problem.agents):
        kept = pub.kept_on_unavailable.get(i, set())
        off = set(agent.unavailable) - kept
        if agent.contract.min_weekly_hours > 0 and mondays:
            shifts = candidates[agent.site]
            frozen = {shifts[k].local_date: shifts[k].minutes for k in pub.frozen.get(i, ())}
            longest: dict[dt.date, int] = defaultdict(int)
            for s in shifts:
                if s.start_utc >= now and s.local_date not in off:
                    longest[s.local_date] = max(longest[s.local_date], s.minutes)

            def need(monday: dt.date) -> int:
                # the rule's own arithmetic, on the dates the model will see
                return minimum_weekly_minutes(agent.model_copy(update={"unavailable": tuple(off)}), monday)

            for monday in mondays:
                week = [monday + dt.timedelta(days=d) for d in range(7)]
                reach = sum(frozen.get(d, longest.get(d, 0)) for d in week)
                was = need(monday)
                if was <= reach:
                    continue
                idle = [d for d in week if d not in off and d not in frozen and d not in longest]
                while idle and need(monday) > reach:
                    off.add(idle.pop(0))
                iso = monday.isocalendar()
                held = need(monday)
                outcome = (
                    f"the re-plan holds {held / 60:.2f} h that week"
                    if held <= reach
                    else "no idle past date is left to discount, so no re-plan can hold it"
                )
                _warn(
                    f"{agent.id}: at most {reach / 60:g} h can be worked in ISO week {iso.year}-W{iso.week:02d} "
                    f"(shifts started before now, unavailable dates), below the contract minimum of "
                    f"{was / 60:.2f} h pro rata; {outcome}",
                    "minimum_unreachable",
                    agent.id,
                )
        if off != set(agent.unavailable):
            agents[i] = agent.model_copy(update={"unavailable": tuple(sorted(off))})
            changed = True
    # model_copy skips validation: only unavailable dates changed, to dates inside the horizon
    return problem.model_copy(update={"agents": tuple(agents)}) if changed else problem


# --------------------------------------------------------------------------- the model


def _build(
    problem: Problem, pub: _Published, published: Roster, now: dt.datetime, weight: int
) -> tuple[RosterModel, list[Penalty], dict[str, list], list[list[int]]]:
    """The re-plan model: :func:`build_model` plus the frozen past and the stability terms.

    Floors enter soft: one slack per language and interval, priced far above any cost.
    With the published roster as hint, CP-SAT then starts from a roster it can accept
    (hard floors that a new absence breaks would make it reject the hint and search
    from scratch), and a roster with no slack from ``now`` on is exactly one that meets
    the floors. Slack before ``now`` is priced too, so coverage is still split to meet
    the floors where the frozen shifts can, but a past that cannot meet them (an agent
    removed, a floor raised) does not stop the re-plan. Returns the model, its penalties,
    the slack variables before and from ``now`` (``"past"``, ``"future"``), and the
    hinted shifts per agent.
    """
    m, built = build_model(problem, floors="soft")
    assert m.floor_slack is not None
    for a, ks in pub.frozen.items():
        for k in sorted(ks - m.work[a].keys()):
            s = m.shifts[m.agents[a].site][k]
            raise ValueError(
                f"{m.agents[a].id}: the {s.template} shift from {s.start_utc:%Y-%m-%d %H:%M} UTC started before now "
                "but the updated problem does not allow it (availability, opening hours, holidays or shift length "
                "changed); the past cannot be re-planned"
            )
    penalties = [p for p in built if p.rule != "floor_shortfall"]
    step = dt.timedelta(minutes=problem.interval_minutes)
    g0 = problem.grid_start_utc
    slack: dict[str, list] = {"past": [], "future": []}
    for (lang, t), short in m.floor_slack.items():
        when = "past" if g0 + t * step < now else "future"
        slack[when].append(short)
        penalties.append(Penalty(_PAST_SHORTFALL if when == "past" else _SHORTFALL, short, FLOOR_SHORTFALL_WEIGHT))

    start: list[list[int]] = []
    for a, agent in enumerate(m.agents):
        chosen, frozen = pub.chosen.get(a, set()), pub.frozen.get(a, set())
        site_shifts = m.shifts[agent.site]
        for k, v in m.work[a].items():
            s = site_shifts[k]
            if s.start_utc < now:
                # the past: exactly the published shifts that started, nothing else
                m.model.Add(v == (1 if k in frozen else 0))
            elif weight:
                penalties.append(Penalty(_STABILITY, (1 - v) if k in chosen else v, weight))
        # a published shift without a variable (a new absence) is off whatever we do: no penalty
        start.append(sorted(chosen & m.work[a].keys()))
    _freeze_breaks(m, pub, published.breaks, now)
    # the published roster (less what can no longer be worked): coverage split and slack follow
    add_hint(m, StartingRoster(start, {}))
    m.model.Minimize(objective(penalties))
    return m, penalties, slack, start


def _freeze_breaks(m: RosterModel, pub: _Published, breaks: pd.DataFrame, now: dt.datetime) -> None:
    """Breaks of started shifts as published: the model counts them per group, so fix the counts.

    The model counts breaks per (site, language profile, shift): how many of the group
    take each break at each offset. A shift that started before ``now`` is worked by
    frozen agents only, so its counts are known from ``published.breaks``. A group whose
    published breaks are incomplete (a roster from before breaks) is left free.
    """
    if not m.break_counts or breaks is None or not len(breaks):
        return
    templates = {t.name: t for t in m.problem.shift_templates}
    relevant = set(m.languages)
    by_agent: dict[str, list] = defaultdict(list)
    for r in breaks.itertuples(index=False):
        by_agent[r.agent_id].append((pd.Timestamp(r.start_utc), pd.Timestamp(r.end_utc), r.kind))
    counts: dict[tuple, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    complete: dict[tuple, bool] = defaultdict(lambda: True)
    for a, ks in pub.frozen.items():
        agent = m.agents[a]
        profile = tuple(sorted(relevant.intersection(agent.languages)))
        for k in ks:
            s = m.shifts[agent.site][k]
            key = (agent.site, profile, k)
            rules = templates[s.template].breaks
            if key not in m.break_counts or not rules:
                continue
            taken = set()
            for b0, b1, kind in by_agent.get(agent.id, ()):
                if not s.start_utc <= b0 < s.end_utc:
                    continue
                offset = int((b0 - pd.Timestamp(s.start_utc)).total_seconds() // 60)
                for r, rule in enumerate(rules):
                    if rule.kind == kind and offset in break_offsets(rule) and r not in taken:
                        counts[key][(r, offset)] += 1
                        taken.add(r)
                        break
            complete[key] &= len(taken) == len(rules)
    for key, per_option in counts.items():
        if not complete[key]:
            continue
        _, options = m.break_counts[key]
        for option, var in options.items():
            m.model.Add(var == per_option.get(option, 0))


def _complete_hint(
    m: RosterModel,
    start: list[list[int]],
    free: set[int],
    *,
    time_limit_s: float,
    seed: int,
    workers: int,
    deterministic_time: float | None,
) -> SolveOutcome | None:
    """Complete the hint into a whole roster, so that CP-SAT starts from a solution.

    The published roster less the shifts that can no longer be worked is close to a
    solution but not one: an agent who lost shifts may fall below a contract minimum,
    and rules add variables of their own (weekly rest...) that the hint does not set.
    Without a complete hint, CP-SAT found no roster at all for the demo in 20 s. So
    first a small solve on a copy of the model: every agent not in ``free`` keeps
    exactly the hinted shifts (floors are soft, so that is a roster). Its solution, all
    of it, becomes the hint; it is returned, or None if that found nothing.
    """
    fixed = m.model.Clone()
    for a, work in enumerate(m.work):
        if a in free:
            continue
        chosen = set(start[a])
        for k, v in work.items():
            fixed.Add(fixed.GetBoolVarFromProtoIndex(v.Index()) == int(k in chosen))
    outcome = _solve_copy(
        fixed, time_limit_s=time_limit_s, seed=seed, workers=workers, deterministic_time=deterministic_time
    )
    if outcome is not None:
        hint_solution(m, outcome.solver)
    return outcome


# --------------------------------------------------------------------------- results


def _finish(roster: Roster, published: Roster, now: dt.datetime) -> Roster:
    changes = _changes_between(published.assignments, roster.assignments)
    breaks = _breaks_with_past(roster, published, now)
    # a floor shortfall of 0 is the normal case: not worth a line in the summary
    terms = {k: v for k, v in roster.objective_terms.items() if v or k not in (_SHORTFALL, _PAST_SHORTFALL)}
    stats = dict(roster.stats, changed_shifts=len(changes))
    return dataclasses.replace(roster, changes=changes, breaks=breaks, objective_terms=terms, stats=stats)


def _breaks_with_past(roster: Roster, published: Roster, now: dt.datetime) -> pd.DataFrame:
    """The breaks of shifts started before ``now`` as published, agent by agent.

    The model fixed how many of each group take each break when (so coverage is the
    published one); reading the roster back hands those breaks out in any order within
    the group. Who took which break is history too, so it is restored here.
    """
    if published.breaks is None or not len(published.breaks) or not len(roster.breaks):
        return roster.breaks
    started: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = defaultdict(list)
    for r in roster.assignments.itertuples(index=False):
        if pd.Timestamp(r.start_utc) < now:
            started[r.agent_id].append((pd.Timestamp(r.start_utc), pd.Timestamp(r.end_utc)))

    def in_started(frame: pd.DataFrame) -> pd.Series:
        return pd.Series(
            [
                any(s0 <= pd.Timestamp(b0) < s1 for s0, s1 in started.get(agent_id, ()))
                for agent_id, b0 in zip(frame["agent_id"], frame["start_utc"])
            ],
            index=frame.index,
            dtype=bool,
        )

    old, new = published.breaks, roster.breaks
    parts = [part for part in (old[in_started(old)], new[~in_started(new)]) if len(part)]
    if not parts:
        return new.iloc[0:0]
    return pd.concat(parts, ignore_index=True).sort_values(["start_utc", "agent_id"], ignore_index=True)


def _changes_between(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Shifts that differ between two assignment frames, one row per change.

    A shift is the same if agent, template and UTC start agree. A removal and an addition
    for one agent on one local date (the date of ``start_local``) pair into one row.
    """

    def keyed(frame: pd.DataFrame) -> dict[tuple, tuple[pd.Timestamp, pd.Timestamp, dt.date]]:
        out = {}
        for r in frame.itertuples(index=False):
            s, e = pd.Timestamp(r.start_utc).tz_convert("UTC"), pd.Timestamp(r.end_utc).tz_convert("UTC")
            out[(r.agent_id, r.shift, s)] = (s, e, pd.Timestamp(r.start_local).date())
        return out

    before, after = keyed(old), keyed(new)
    gone: dict[tuple[str, dt.date], list] = defaultdict(list)
    for key in sorted(before.keys() - after.keys(), key=lambda k: (k[0], k[2])):
        s, e, day = before[key]
        gone[(key[0], day)].append((s, e))
    rows = []
    for key in sorted(after.keys() - before.keys(), key=lambda k: (k[0], k[2])):
        s, e, day = after[key]
        olds = gone.get((key[0], day))
        if olds:
            os_, oe = olds.pop(0)
            rows.append((key[0], os_, oe, s, e))
        else:
            rows.append((key[0], pd.NaT, pd.NaT, s, e))
    for (agent_id, _), olds in gone.items():
        rows.extend((agent_id, s, e, pd.NaT, pd.NaT) for s, e in olds)
    frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    frame["agent_id"] = frame["agent_id"].astype(object)
    for col in CHANGE_COLUMNS[1:]:
        frame[col] = pd.to_datetime(frame[col], utc=True)
    first = frame["old_start_utc"].fillna(frame["new_start_utc"])
    order = sorted(range(len(frame)), key=lambda i: (first.iloc[i], frame["agent_id"].iloc[i]))
    return frame.iloc[order].reset_index(drop=True)


def _absent_text(problem: Problem, language: str, starts: pd.Series) -> str:
    """', 2 of them unavailable on those dates': speakers off on a local date of the short hours."""
    off = 0
    for a in problem.agents:
        if language in a.languages and a.unavailable:
            zone = problem.site(a.site).timezone
            dates = {ts.tz_convert(zone).date() for ts in starts}
            off += bool(dates.intersection(a.unavailable))
    return f", {off} of them unavailable on those dates" if off else ""


def _infeasible(problem: Problem, roster: Roster, now: dt.datetime) -> InfeasibleError:
    """Name the languages and hours the best-effort re-plan leaves short from ``now`` on."""
    when = f"{now:%a %Y-%m-%d %H:%M} UTC"
    shortfall = shortfall_frame(roster)
    shortfall = shortfall[shortfall["interval_start_utc"] >= pd.Timestamp(now)].reset_index(drop=True)
    languages = sorted(set(shortfall["language"]))
    g0, step_s = problem.grid_start_utc, problem.interval_minutes * 60
    lines = [f"No re-planned roster meets every language floor from {when} on."]
    for lang in languages:
        rows = shortfall[shortfall["language"] == lang]
        idx = [int((ts - g0).total_seconds() // step_s) for ts in rows["interval_start_utc"]]
        lines.append(
            f"- {lang} at {format_ranges(problem, idx, speaker_sites(problem, lang))}: "
            f"{describe_language(problem, lang)}{_absent_text(problem, lang, rows['interval_start_utc'])}; "
            f"with the shifts started before {when} kept, the labour rules leave these hours short."
        )
    lines.append(
        f"The best re-plan that keeps every other rule misses floors by {int(shortfall['short'].sum())} "
        "agent-intervals (InfeasibleError.best_effort, .shortfall)."
    )
    return InfeasibleError("\n".join(lines), languages=languages, shortfall=shortfall, best_effort=roster)
