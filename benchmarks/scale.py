"""Follow-the-sun at scale: model size, build time, first roster, gap and memory.

    python benchmarks/scale.py [--agents 100,250,500,1000] [--time-limit 120] [--days 28]

Each size runs in a fresh process (so peak RSS is its own) on
``datasets.large_problem(agents=N, sites=8, languages=10, days=28, interval_minutes=15)``
and prints one table row: agents, variables, constraints, build s, first roster s
(meeting every floor: every roster solve returns does), objective, gap, status, peak
RSS, and the paid hours of the roster next to pyworkforce's ``MinRequiredResources``
on the same total requirement (which ignores languages, sites and labour rules), with
the machine's core count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def one(agents: int, time_limit: float, days: int, workers: int | None) -> dict:
    from fts_scheduler import datasets, solve
    from fts_scheduler.optimizer import build_model

    t0 = time.perf_counter()
    problem = datasets.large_problem(agents=agents, days=days)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    m, _ = build_model(problem)
    build_s = time.perf_counter() - t0
    proto = m.model.Proto()
    size = (len(proto.variables), len(proto.constraints))
    del m, proto
    first: list[float] = []
    t0 = time.perf_counter()

    def on_roster(progress):
        if not first:
            first.append(time.perf_counter() - t0)

    row = {"agents": agents, "variables": size[0], "constraints": size[1], "generate_s": gen_s, "build_s": build_s}
    try:
        roster = solve(problem, time_limit_s=time_limit, workers=workers, callback=on_roster)
        row.update(status=roster.status, objective=roster.objective, gap=roster.gap,
                   paid_hours=float(roster.assignments["hours"].sum()),
                   first_roster_s=first[0] if first else None, total_s=time.perf_counter() - t0)
    except Exception as exc:  # report the failure as a row, keep the other sizes
        row.update(status=type(exc).__name__, error=str(exc).splitlines()[0], total_s=time.perf_counter() - t0)
    row["pyworkforce_paid_hours"] = pyworkforce_hours(problem)
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", default="100,250,500,1000")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.time_limit, args.days, args.workers)))
        return 0
    print(f"cores: {os.cpu_count()}, time limit {args.time_limit:g} s, {args.days} days, 15-min grid")
    print("| agents | variables | constraints | build s | first roster s | objective | gap | status | peak RSS MB "
          "| paid h | pyworkforce paid h |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for n in [int(x) for x in args.agents.split(",")]:
        cmd = [sys.executable, __file__, "--one", str(n), "--time-limit", str(args.time_limit), "--days", str(args.days)]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"| {n} | failed: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode} |")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        fmt = lambda v, f: "-" if v is None else format(v, f)  # noqa: E731
        print(f"| {n} | {r['variables']:,} | {r['constraints']:,} | {r['build_s']:.1f} | "
              f"{fmt(r.get('first_roster_s'), '.1f')} | {fmt(r.get('objective'), ',.0f')} | {fmt(r.get('gap'), '.1%')} | "
              f"{r['status']} | {r['peak_rss_mb']:,.0f} | {fmt(r.get('paid_hours'), ',.0f')} | "
              f"{fmt(r.get('pyworkforce_paid_hours'), ',.0f')} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
