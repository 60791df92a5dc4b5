"""Curtois & Qu shift-scheduling benchmark, solved by fts-scheduler's own model.

Each instance is mapped onto the library's public model (no separate solver): one
site on UTC, one shift template per shift type, employees as agents whose contracts
carry the per-employee limits, days off as unavailable dates, shift-on/off requests
as weighted preferences, and cover as per-shift demand with under/over weights.
The roster is written as ``OUT/InstanceN.csv`` (employee, day, shift) and scored by
the independent evaluator in ``curtois_eval.py``, not by the model's objective.

    python benchmarks/curtois.py --instance 1-5 --time-limit 30 --out out/curtois

prints: instance, objective (evaluator), best known, gap %, bound (``Roster.bound``: the better of
CP-SAT's and the decomposition's), time,
first roster (wall seconds from the start of the instance, its conversion included,
to the first roster at hand: the completed starting roster, which keeps every rule
(``solve``'s ``stats["start_roster_s"]``), or the search's first, whichever came
first), status, cores.
``--time-limit`` bounds the search alone by default (``--limit-scope search``: the model
build and the starting roster come on top, as in every table of docs/benchmarks.md);
``--limit-scope call`` bounds the whole call, as ``solve`` does by default.
``solve`` runs CP-SAT's portfolio, then hands the best roster to the library's large
neighbourhood search for ``--lns-share`` of the time (0.25 here, off by default in
``solve``: it pays on rostering problems like these).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curtois_eval import evaluate  # noqa: E402
from curtois_instance import Instance, load_best_known, parse_instance  # noqa: E402

from fts_scheduler import (  # noqa: E402
    Agent,
    Contract,
    InfeasibleError,
    LabourRules,
    NoRosterError,
    Preference,
    Problem,
    ShiftDemand,
    ShiftTemplate,
    Site,
    solve,
)
from fts_scheduler.decomposition import machine_cores  # noqa: E402

MONDAY = dt.date(2024, 1, 1)  # day 0 of every instance is a Monday
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "curtois"


def to_problem(inst: Instance) -> Problem:
    """The instance in the library's own terms."""
    rules = LabourRules(
        min_rest_hours=0,  # the format has no clock times; successions are explicit
        max_consecutive_days=31,
        weekly_rest_hours=0,
        weekend_days=(5, 6),
        forbidden_successions=tuple((s.id, nxt) for s in inst.shifts for nxt in s.forbidden_next),
    )
    site = Site(name="ward", timezone="UTC", country="GB", rules=rules)
    # Clock times are ours to choose: every shift starts at 08:00, so none overlaps the next day's.
    templates = tuple(ShiftTemplate(name=s.id, start=dt.time(8), length_hours=s.length / 60) for s in inst.shifts)
    on = {e.id: [] for e in inst.staff}
    for r in inst.shift_on_requests:
        on[r.employee].append(Preference(kind="on", date=_day(r.day), shift=r.shift, weight=r.weight))
    for r in inst.shift_off_requests:
        on[r.employee].append(Preference(kind="off", date=_day(r.day), shift=r.shift, weight=r.weight))
    agents = []
    for e in inst.staff:
        contract = Contract(
            name=e.id,
            min_weekly_hours=0,
            max_weekly_hours=168,
            min_horizon_hours=e.min_total_minutes / 60,
            max_horizon_hours=e.max_total_minutes / 60,
            max_shifts_by_template={k: v for k, v in e.max_shifts.items()},
            max_consecutive_days=e.max_consecutive_shifts,
            min_consecutive_days=e.min_consecutive_shifts if e.min_consecutive_shifts > 1 else None,
            min_consecutive_days_off=e.min_consecutive_days_off if e.min_consecutive_days_off > 1 else None,
            max_weekends=e.max_weekends,
        )
        agents.append(
            Agent(
                id=e.id,
                site="ward",
                languages=("en",),
                contract=contract,
                hourly_cost=0.0,
                unavailable=tuple(_day(d) for d in inst.days_off.get(e.id, ())),
                preferences=tuple(on[e.id]),
            )
        )
    demands = tuple(
        ShiftDemand(date=_day(c.day), shift=c.shift, agents=c.requirement, under_weight=c.weight_under,
                    over_weight=c.weight_over)
        for c in inst.cover
    )
    return Problem(
        name=inst.name,
        sites=(site,),
        agents=tuple(agents),
        shift_templates=templates,
        shift_demands=demands,
        start_date=MONDAY,
        days=inst.horizon,
        interval_minutes=60,
    )


def _day(k: int) -> dt.date:
    return MONDAY + dt.timedelta(days=k)


def _instances(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances-dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--instance", default="1-24", help="N, N-M or a comma list")
    ap.add_argument("--time-limit", type=float, default=60.0, help="per instance [s]")
    ap.add_argument("--workers", type=int, default=None, help="CP-SAT workers (default: the library's)")
    ap.add_argument("--lns-share", type=float, default=0.25,
                    help="share of the time limit for the library's LNS after CP-SAT's portfolio (solve's lns_share)")
    ap.add_argument("--limit-scope", choices=("search", "call"), default="search",
                    help="what --time-limit bounds (solve's time_limit_scope): the search alone, as the tables in "
                         "docs/benchmarks.md were measured, or the whole call")
    ap.add_argument("--out", type=Path, default=Path("out/curtois"))
    args = ap.parse_args(argv)
    if not args.instances_dir.exists():
        print(f"instances not found at {args.instances_dir} (pass --instances-dir)", file=sys.stderr)
        return 2
    best = load_best_known(args.instances_dir / "best_known.csv")
    args.out.mkdir(parents=True, exist_ok=True)
    cores = machine_cores()
    header = "| instance | objective | best known | gap % | bound | time s | first roster s | status | cores |"
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    total_gap = 0.0
    for n in _instances(args.instance):
        inst = parse_instance(args.instances_dir / f"Instance{n}.txt")
        t0 = time.perf_counter()
        problem = to_problem(inst)
        first: list[float] = []

        def on_roster(_progress, first=first, t0=t0):
            if not first:
                first.append(time.perf_counter() - t0)

        try:
            t_solve = time.perf_counter()
            roster = solve(problem, time_limit_s=args.time_limit, workers=args.workers, lns_share=args.lns_share,
                           callback=on_roster, time_limit_scope=args.limit_scope)
        except (InfeasibleError, NoRosterError) as exc:
            print(f"| {n} | - | {best.get(n, '-')} | - | - | {time.perf_counter() - t0:.1f} | - | "
                  f"{type(exc).__name__} | {cores} |")
            continue
        elapsed = time.perf_counter() - t0
        if "start_roster_s" in roster.stats:  # the completed starting roster, at hand before the search
            first[:] = [min(first + [t_solve - t0 + roster.stats["start_roster_s"]])]
        rows = [
            (r.agent_id, (r.start_local.date() - MONDAY).days, r.shift)
            for r in roster.assignments.itertuples(index=False)
        ]
        path = args.out / f"Instance{n}.csv"
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["employee", "day", "shift"])
            w.writerows(sorted(rows, key=lambda r: (r[0], r[1])))
        ev = evaluate(inst, rows)
        gap = 100 * (ev.objective - best[n]) / best[n] if n in best else float("nan")
        total_gap += gap
        status = roster.status if ev.feasible else f"{roster.status}, {len(ev.violations)} VIOLATIONS"
        first_s = f"{first[0]:.1f}" if first else "-"
        print(f"| {n} | {ev.objective} | {best.get(n, '-')} | {gap:.1f} | {roster.bound:.0f} | {elapsed:.1f} | "
              f"{first_s} | {status} | {cores} |", flush=True)
        if roster.objective != ev.objective:
            print(f"  note: model objective {roster.objective:.2f} != evaluator {ev.objective}", file=sys.stderr)
    print(f"\nsum of gaps: {total_gap:.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
