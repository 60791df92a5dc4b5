"""How good is the roster? Objective, proven bound and gap on the library's problems and on Curtois & Qu.

    python benchmarks/quality.py [--problems demo,large100,large1000,curtois] [--seeds 0,1,2]
                                 [--demo-limit 60] [--large100-limit 120] [--large1000-limit 600]
                                 [--curtois 1-24] [--curtois-limit 60]
                                 [--curtois-dir ../shared/benchmarks/curtois]

Every row is one ``solve`` with the library's defaults (the time limit bounds the whole
call), in a fresh process so that its peak RSS is its own. Columns: problem, seed, time
limit, wall seconds of the call, objective, bound, gap (``Roster.gap``), where the bound
came from (``stats["bound_source"]``: the CP-SAT search's, the decomposition's of
:mod:`fts_scheduler.decomposition`, or a proof of optimality), the decomposition's own
bound and rounds, seconds to the first roster (the completed starting roster or the
search's first, whichever came first, from the call), peak RSS and the machine's cores.
Curtois rows add the best known value, the gap to it, and the literature's MIP (Gurobi)
results at 10 and 60 minutes from ``literature_results_ORProjects_NRP.csv`` beside the
instances.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DEFAULT_CURTOIS = HERE.parents[1] / "shared" / "benchmarks" / "curtois"


def one(problem: str, seed: int, limit: float, curtois_dir: Path) -> dict:
    """Solve one problem in this process and return its row."""
    from fts_scheduler import datasets, solve
    from fts_scheduler.decomposition import machine_cores

    if problem == "demo":
        instance = datasets.demo_problem(seed)
    elif problem.startswith("large"):
        instance = datasets.large_problem(int(problem[len("large"):]), seed=seed)
    else:
        from curtois import to_problem
        from curtois_instance import parse_instance

        instance = to_problem(parse_instance(curtois_dir / f"Instance{int(problem[len('curtois'):])}.txt"))
    first: list[float] = []
    t0 = time.perf_counter()

    def on_roster(_progress) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    row = {"problem": problem, "seed": seed, "limit_s": limit, "cores": machine_cores()}
    try:
        roster = solve(instance, time_limit_s=limit, seed=seed, callback=on_roster)
    except Exception as exc:  # noqa: BLE001 - a failure is a row of the table, the others go on
        row.update(wall_s=time.perf_counter() - t0, status=type(exc).__name__, peak_rss_mb=_peak_rss_mb())
        return row
    wall = time.perf_counter() - t0
    if "start_roster_s" in roster.stats:
        first[:] = [min(first + [roster.stats["start_roster_s"]])]
    stats = roster.stats
    row.update(
        wall_s=wall, status=roster.status, objective=roster.objective, bound=roster.bound, gap=roster.gap,
        bound_source=stats.get("bound_source"), search_bound=stats.get("search_bound"),
        decomposition_bound=stats.get("decomposition_bound"), decomposition_rounds=stats.get("decomposition_rounds"),
        first_roster_s=first[0] if first else None, peak_rss_mb=_peak_rss_mb(),
    )
    return row


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reference(curtois_dir: Path) -> tuple[dict[int, float], dict[tuple[int, int], float]]:
    """Best known values, and the literature's Gurobi results by (instance, minutes)."""
    best: dict[int, float] = {}
    with (curtois_dir / "best_known.csv").open() as fh:
        for r in csv.DictReader(fh):
            best[int(r["instance"].removeprefix("Instance"))] = float(r["best_known_ub"])
    mip: dict[tuple[int, int], float] = {}
    path = curtois_dir / "literature_results_ORProjects_NRP.csv"
    if path.exists():
        with path.open() as fh:
            for r in csv.DictReader(fh):
                if r.get("gurobi"):
                    mip[int(r["instance"].removeprefix("Instance")), int(r["time_limit_min"])] = float(r["gurobi"])
    return best, mip


def _fmt(value, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", default="demo,large100,large1000,curtois")
    ap.add_argument("--seeds", default="0,1,2", help="seeds of the demo (the other problems run seed 0)")
    ap.add_argument("--demo-limit", type=float, default=60.0)
    ap.add_argument("--large100-limit", type=float, default=120.0)
    ap.add_argument("--large1000-limit", type=float, default=600.0)
    ap.add_argument("--curtois", default="1-24", help="instances: N, N-M or a comma list")
    ap.add_argument("--curtois-limit", type=float, default=60.0)
    ap.add_argument("--curtois-dir", type=Path, default=DEFAULT_CURTOIS)
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a child process: one row as JSON
    args = ap.parse_args(argv)
    from curtois import _instances

    if args.one:
        spec = json.loads(args.one)
        print(json.dumps(one(spec["problem"], spec["seed"], spec["limit"], Path(spec["curtois_dir"]))))
        return 0

    runs: list[dict] = []
    for name in args.problems.split(","):
        if name == "demo":
            runs += [{"problem": "demo", "seed": int(s), "limit": args.demo_limit} for s in args.seeds.split(",")]
        elif name == "large100":
            runs.append({"problem": "large100", "seed": 0, "limit": args.large100_limit})
        elif name == "large1000":
            runs.append({"problem": "large1000", "seed": 0, "limit": args.large1000_limit})
        elif name == "curtois":
            if not args.curtois_dir.exists():
                print(f"Curtois instances not found at {args.curtois_dir} (pass --curtois-dir)", file=sys.stderr)
                return 2
            runs += [{"problem": f"curtois{n}", "seed": 0, "limit": args.curtois_limit}
                     for n in _instances(args.curtois)]
        else:
            print(f"unknown problem {name!r}", file=sys.stderr)
            return 2
    best, mip = _reference(args.curtois_dir) if args.curtois_dir.exists() else ({}, {})
    print("| problem | seed | limit s | wall s | objective | bound | gap % | bound from | decomposition bound "
          "(rounds) | first roster s | peak RSS MB | cores | best known | gap to best % | MIP 10 min | MIP 60 min |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        spec = json.dumps({**run, "curtois_dir": str(args.curtois_dir)})
        done = subprocess.run([sys.executable, __file__, "--one", spec], capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            print(f"| {run['problem']} | {run['seed']} | {run['limit']:.0f} | crashed: "
                  f"{(done.stderr.strip().splitlines() or ['?'])[-1][:120]} |")
            continue
        row = json.loads(lines[-1])
        n = int(row["problem"][len("curtois"):]) if row["problem"].startswith("curtois") else None
        known = best.get(n) if n is not None else None
        to_best = None if known is None or row.get("objective") is None else 100 * (row["objective"] - known) / known
        decomposition = "-" if row.get("decomposition_bound") is None else (
            f"{row['decomposition_bound']:,.0f} ({row['decomposition_rounds']})")
        gap = None if row.get("gap") is None else 100 * row["gap"]
        print(f"| {row['problem']} | {row['seed']} | {row['limit_s']:.0f} | {row['wall_s']:.1f} | "
              f"{_fmt(row.get('objective'))} | {_fmt(row.get('bound'))} | {_fmt(gap, '.1f')} | "
              f"{row.get('bound_source') or row['status']} | {decomposition} | {_fmt(row.get('first_roster_s'), '.1f')} | "
              f"{row['peak_rss_mb']:,.0f} | {row['cores']} | {_fmt(known)} | {_fmt(to_best, '.1f')} | "
              f"{_fmt(mip.get((n, 10)) if n else None)} | {_fmt(mip.get((n, 60)) if n else None)} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
