"""How long a call takes against its time limit, and how fast hostile input is refused.

    python benchmarks/limits.py [--limits 1,5,30,60] [--curtois 24] [--curtois-limit 60]

prints one row per run: the problem, ``time_limit_s``, the wall time of the whole
``solve`` call (model build, starting roster, search and reading the roster back), how
far over the limit it ended, and what came back (the roster's status and objective, or
the error). ``time_limit_s`` bounds the whole call (``solve``'s default
``time_limit_scope="call"``): the target is within a tenth of the limit or a second,
whichever is larger. Then the time to refuse, with exit code 2, a YAML file of nested
aliases ("billion laughs", 9 levels of 9) and a problem of 20,000 agents over 371 days
(``fts solve``, in a fresh process each, so the interpreter's start is included), with
the machine's core count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CURTOIS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "curtois"


def timed_solve(name: str, problem, limit: float) -> str:
    from fts_scheduler import InfeasibleError, NoRosterError, solve

    t0 = time.perf_counter()
    try:
        roster = solve(problem, time_limit_s=limit)
        outcome = f"{roster.status} {roster.objective:,.0f}" + (" (starting roster)" if roster.stats.get("from_hint") else "")
    except (NoRosterError, InfeasibleError) as exc:
        outcome = type(exc).__name__
    wall = time.perf_counter() - t0
    over = wall - limit
    ok = "yes" if over <= max(0.1 * limit, 1.0) else "NO"
    return f"| {name} | {limit:g} | {wall:.1f} | {over:+.1f} | {ok} | {outcome} |"


def bomb(folder: Path) -> Path:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, 9):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]")
    lines.append("sites: *a8")
    path = folder / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def huge(folder: Path) -> Path:
    import json

    agents = [{"id": f"A{i:05d}", "site": "S", "languages": ["en"], "hourly_cost": 10} for i in range(20_000)]
    data = {
        "sites": [{"name": "S", "timezone": "UTC", "country": "IE"}],
        "agents": agents,
        "shift_templates": [{"name": "day", "start": "08:00:00", "length_hours": 8}],
        "floors": [{"language": "en"}],
        "start_date": dt.date(2026, 1, 5).isoformat(),
        "days": 371,
    }
    path = folder / "huge.json"
    path.write_text(json.dumps(data))
    return path


def timed_refusal(name: str, problem_file: Path, out: Path) -> str:
    fts = Path(sys.executable).with_name("fts")
    t0 = time.perf_counter()
    done = subprocess.run([str(fts), "solve", str(problem_file), "--out", str(out), "--time-limit", "5"],
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    said = (done.stderr.strip().splitlines() or ["-"])[-1][:90]
    return f"| {name} | {problem_file.stat().st_size:,} | {wall:.2f} | {done.returncode} | {said} |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limits", default="1,5,30,60", help="time limits for the demo [s], comma-separated")
    ap.add_argument("--curtois", default="", help="Curtois & Qu instances to time as well, e.g. 24")
    ap.add_argument("--curtois-limit", type=float, default=60.0)
    ap.add_argument("--curtois-dir", type=Path, default=CURTOIS_DIR)
    args = ap.parse_args(argv)

    from fts_scheduler import datasets

    from fts_scheduler.decomposition import machine_cores

    print(f"cores: {machine_cores()}")
    print("| problem | time limit s | wall s | over s | within max(10 %, 1 s) | outcome |")
    print("|---|---:|---:|---:|---|---|")
    demo = datasets.demo_problem()
    for limit in (float(x) for x in args.limits.split(",") if x):
        print(timed_solve("demo_problem()", demo, limit), flush=True)
    if args.curtois:
        from curtois import to_problem
        from curtois_instance import parse_instance

        for n in args.curtois.split(","):
            problem = to_problem(parse_instance(args.curtois_dir / f"Instance{n}.txt"))
            print(timed_solve(f"Curtois {n}", problem, args.curtois_limit), flush=True)

    print()
    print("| refused input | bytes | wall s (fts solve, whole process) | exit code | last line printed |")
    print("|---|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(timed_refusal("YAML alias bomb (9 levels of 9)", bomb(folder), folder / "out1"), flush=True)
        print(timed_refusal("20,000 agents x 371 days", huge(folder), folder / "out2"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
