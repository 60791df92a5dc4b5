"""Follow-the-sun at scale: model size, build time, first roster, gap and memory.

    python benchmarks/scale.py [--agents 100,250,500,1000] [--time-limit 120] [--days 28]
                               [--workers N] [--no-rolling] [--limit-scope search|call]

``--time-limit`` bounds each whole solve's search alone by default (``--limit-scope
search``, as docs/benchmarks.md's tables were measured); ``call`` bounds the whole call.

Each size runs in a fresh process (so peak RSS is its own) on
``datasets.large_problem(agents=N, sites=8, languages=10, days=28, interval_minutes=15)``
and prints one table row: agents, variables, constraints, build s, start s (greedy
roster completed into CP-SAT's first hint), first roster s
(from the call to ``solve``, so model build and the greedy start included; every roster
``solve`` returns meets every floor), objective, gap, status, peak RSS (and the
largest forked process's, shared pages included: the starting roster is planned in
forked processes on large models), and the paid
hours of the roster next to pyworkforce's ``MinRequiredResources`` on the same total
requirement (which ignores languages, sites and labour rules), the CP-SAT workers
``solve`` chose for the model's size, with the machine's core count.

A second table solves the same problem as rolling weeks with fixed boundaries, again
one process per size: week 1 alone (the problem cut after day 7), then days 1-14 with
week 1's shifts fixed (those that end by the week's last UTC midnight; one that runs
past it is planned again with the next week), and so on, each step with
``time limit / weeks`` seconds. The last step is the whole horizon with every earlier shift fixed, so its objective prices
the rolled roster exactly as the whole solve prices its own. Both rosters go through
the independent validator (``violations``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time


def one(agents: int, time_limit: float, days: int, workers: int | None, scope: str = "search") -> dict:
    from fts_scheduler import datasets, solve, validate

    t0 = time.perf_counter()
    problem = datasets.large_problem(agents=agents, days=days)
    gen_s = time.perf_counter() - t0
    first: list[float] = []
    t0 = time.perf_counter()

    def on_roster(progress):
        if not first:
            first.append(time.perf_counter() - t0)

    row = {"agents": agents, "generate_s": gen_s}
    try:
        roster = solve(problem, time_limit_s=time_limit, workers=workers, callback=on_roster, time_limit_scope=scope)
        # model size and build time as solve measured them (one build only, so peak RSS is solve's own)
        row.update(variables=roster.stats["variables"], constraints=roster.stats["constraints"],
                   build_s=roster.stats["build_s"])
        row.update(status=roster.status, objective=roster.objective, gap=roster.gap,
                   paid_hours=float(roster.assignments["hours"].sum()),
                   first_roster_s=first[0] if first else None, total_s=time.perf_counter() - t0,
                   workers=roster.stats.get("workers"), hint_s=roster.stats.get("hint_s"),
                   hint_complete=roster.stats.get("hint_complete"))
        row["peak_rss_mb"] = _peak_rss_mb()  # before the validator and pyworkforce add theirs
        # the starting roster's forked processes (solve's early start and re-plan lanes): the largest one's peak,
        # pages it shares with this process included (fork copies on write), so an upper bound of its own
        row["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        row["violations"] = len(validate(problem, roster))
    except Exception as exc:  # noqa: BLE001 - report the failure as a row, keep the other sizes
        row.update(status=type(exc).__name__, error=str(exc).splitlines()[0], total_s=time.perf_counter() - t0)
    row.setdefault("peak_rss_mb", _peak_rss_mb())
    row["pyworkforce_paid_hours"] = pyworkforce_hours(problem)
    return row


def rolling(agents: int, time_limit: float, days: int, workers: int | None) -> dict:
    """The horizon as successive weeks, each solved with the earlier weeks' shifts fixed."""
    import pandas as pd

    from fts_scheduler import datasets, validate
    from fts_scheduler.heuristic import greedy_roster
    from fts_scheduler.optimizer import (
        build_model,
        extract_roster,
        hint_start,
        run,
    )
    from fts_scheduler.solver import default_workers

    full = datasets.large_problem(agents=agents, days=days)
    weeks = -(-days // 7)
    per_week = time_limit / weeks
    chosen: set[tuple[str, str, pd.Timestamp]] = set()  # (agent, template, start) of the roster so far
    row: dict = {"agents": agents, "weeks": weeks, "week_s": []}
    t0 = time.perf_counter()
    roster = None
    for w in range(weeks):
        tw = time.perf_counter()
        problem = _first_days(full, min(days, 7 * (w + 1)))
        m, penalties = build_model(problem)
        step_workers = default_workers(len(m.model.Proto().variables)) if workers is None else workers
        boundary = problem.grid_start_utc + dt.timedelta(days=7 * w)
        proto = m.model.Proto()
        earlier, decided = [], []
        for a, agent in enumerate(m.agents):
            site_shifts = m.shifts[agent.site]
            keep, past = [], set()
            for k, v in m.work[a].items():
                s = site_shifts[k]
                if w and s.end_utc <= boundary:  # planned in an earlier week: fixed
                    on = (agent.id, s.template, pd.Timestamp(s.start_utc)) in chosen
                    # fixed through the variable's domain: an equality per shift (~400k in week 4
                    # at 1,000 agents) is what CP-SAT's presolve then spent its time on
                    domain = proto.variables[v.Index()].domain
                    domain[0] = domain[1] = int(on)
                    past.add(k)
                    if on:
                        keep.append(k)
            earlier.append(keep)
            decided.append(past)
        hint = greedy_roster(m, fixed=earlier, closed=decided)  # the new week planned around the fixed ones
        started = hint_start(m, hint, time_limit_s=min(30.0, 0.2 * per_week), seed=0, workers=step_workers)
        row.setdefault("week_hint", []).append(started)  # complete? agents re-planned?
        outcome = run(m, time_limit_s=per_week, seed=0, workers=step_workers)
        row["week_s"].append(round(time.perf_counter() - tw, 1))
        if outcome.status not in ("OPTIMAL", "FEASIBLE"):
            row.update(status=f"week {w + 1}: {outcome.status}", total_s=time.perf_counter() - t0,
                       peak_rss_mb=_peak_rss_mb())
            return row
        roster = extract_roster(m, penalties, outcome, {})
        chosen = {(r.agent_id, r.shift, pd.Timestamp(r.start_utc)) for r in roster.assignments.itertuples()}
    assert roster is not None
    row.update(status=roster.status, objective=roster.objective, paid_hours=float(roster.assignments["hours"].sum()),
               total_s=time.perf_counter() - t0, peak_rss_mb=_peak_rss_mb())
    row["violations"] = len(validate(full, roster))
    return row


def _first_days(problem, days: int):
    """``problem`` cut after its first ``days`` days (the same start, agents and rules)."""
    if days == problem.days:
        return problem
    n = days * 24 * 60 // problem.interval_minutes
    requirements = tuple(r.model_copy(update={"agents": tuple(r.agents[:n])}) for r in problem.requirements)
    return problem.model_copy(update={"days": days, "requirements": requirements})


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pyworkforce_hours(problem) -> float | None:
    """Paid hours of pyworkforce's MinRequiredResources on the summed requirement (UTC days, 8 h shifts)."""
    try:
        from pyworkforce.scheduling import MinRequiredResources
    except ImportError:
        return None
    import numpy as np

    per_day = 24 * 60 // problem.interval_minutes
    total = np.sum([r.agents for r in problem.requirements], axis=0).reshape(problem.days, per_day)
    length = 8 * 60 // problem.interval_minutes
    starts = range(0, per_day - length + 1, 2 * 60 // problem.interval_minutes)
    coverage = {f"s{k}": [1 if k <= p < k + length else 0 for p in range(per_day)] for k in starts}
    model = MinRequiredResources(num_days=problem.days, periods=per_day, shifts_coverage=coverage,
                                 required_resources=total.tolist(), max_period_concurrency=int(total.max()) * 3,
                                 max_shift_concurrency=int(total.max()) * 3, max_search_time=60.0, num_search_workers=2)
    solution = model.solve()
    if solution.get("status") not in ("OPTIMAL", "FEASIBLE"):
        return None
    return float(sum(row["resources"] for row in solution["resources_shifts"]) * 8)


def _child(mode: str, n: int, args) -> dict | str:
    cmd = [sys.executable, __file__, f"--{mode}", str(n), "--time-limit", str(args.time_limit), "--days", str(args.days)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    cmd += ["--limit-scope", args.limit_scope]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return f"failed: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(v, f: str) -> str:
    return "-" if v is None else format(v, f)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", default="100,250,500,1000")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--workers", type=int, default=None, help="CP-SAT workers (default: solve's default)")
    ap.add_argument("--no-rolling", action="store_true", help="skip the rolling-weeks table")
    ap.add_argument("--limit-scope", choices=("search", "call"), default="search",
                    help="what --time-limit bounds in the whole solve (solve's time_limit_scope): the search alone, "
                         "as the tables in docs/benchmarks.md were measured, or the whole call")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--rolling", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.time_limit, args.days, args.workers, args.limit_scope)))
        return 0
    if args.rolling:
        print(json.dumps(rolling(args.rolling, args.time_limit, args.days, args.workers)))
        return 0
    sizes = [int(x) for x in args.agents.split(",")]
    from fts_scheduler.decomposition import machine_cores

    cores = machine_cores()
    print(f"cores: {cores}, time limit {args.time_limit:g} s, {args.days} days, 15-min grid, "
          f"workers: {args.workers or 'default'}")
    print("| agents | variables | constraints | build s | start s | first roster s | objective | gap | status "
          "| workers | peak RSS MB | forked peak RSS MB | paid h | pyworkforce paid h | violations | cores |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    whole: dict[int, dict] = {}
    for n in sizes:
        r = _child("one", n, args)
        if isinstance(r, str):
            print(f"| {n} | {r} |", flush=True)
            continue
        whole[n] = r
        print(f"| {n} | {_fmt(r.get('variables'), ',d')} | {_fmt(r.get('constraints'), ',d')} | "
              f"{_fmt(r.get('build_s'), '.1f')} | "
              f"{_fmt(r.get('hint_s'), '.1f')} | "
              f"{_fmt(r.get('first_roster_s'), '.1f')} | {_fmt(r.get('objective'), ',.0f')} | "
              f"{_fmt(r.get('gap'), '.1%')} | {r['status']} | {_fmt(r.get('workers'), 'd')} | "
              f"{r['peak_rss_mb']:,.0f} | {_fmt(r.get('children_peak_rss_mb'), ',.0f')} | "
              f"{_fmt(r.get('paid_hours'), ',.0f')} | {_fmt(r.get('pyworkforce_paid_hours'), ',.0f')} | "
              f"{_fmt(r.get('violations'), 'd')} | {cores} |", flush=True)
    if args.no_rolling:
        return 0
    print()
    print(f"Rolling weeks with fixed boundaries ({args.time_limit:g} s split evenly over the weeks) against the whole "
          "horizon:")
    print("| agents | whole objective | rolling objective | rolling vs whole | rolling paid h | rolling s (per week) "
          "| status | peak RSS MB | violations |")
    print("|---:|---:|---:|---:|---:|---|---|---:|---:|")
    for n in sizes:
        r = _child("rolling", n, args)
        if isinstance(r, str):
            print(f"| {n} | {r} |", flush=True)
            continue
        w_obj = whole.get(n, {}).get("objective")
        ratio = r["objective"] / w_obj - 1 if w_obj and r.get("objective") is not None else None
        print(f"| {n} | {_fmt(w_obj, ',.0f')} | {_fmt(r.get('objective'), ',.0f')} | {_fmt(ratio, '+.1%')} | "
              f"{_fmt(r.get('paid_hours'), ',.0f')} | {r['total_s']:.0f} ({', '.join(map(str, r['week_s']))}) | "
              f"{r['status']} | {r['peak_rss_mb']:,.0f} | {_fmt(r.get('violations'), 'd')} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
