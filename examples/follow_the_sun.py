"""Tutorial: solve the follow-the-sun demo and see who covers each language, from where.

Five sites in five time zones (Manila, Tokyo, Dublin, São Paulo, Austin) share 24/7
English and Spanish floors and regional floors for Japanese, Portuguese, German and
French. This script solves the built-in demo, checks the roster independently,
prints the key figures an analyst looks at first, and draws one follow-the-sun
chart per language: staffed agents over the UTC timeline, stacked by site, against
the floor and the requirement.

    python examples/follow_the_sun.py --out out/follow_the_sun --time-limit 60
    python examples/follow_the_sun.py --problem examples/tutorial/problem.yaml   # any problem file
"""

from __future__ import annotations

import argparse
from pathlib import Path

from matplotlib.figure import Figure

from fts_scheduler import datasets, plots, reports, solve, validate
from fts_scheduler.io import read_problem


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/follow_the_sun"), help="directory for the charts")
    parser.add_argument("--time-limit", type=float, default=60.0, help="CP-SAT time limit [s]")
    parser.add_argument("--days", type=int, default=14, help="horizon of the demo [days]")
    parser.add_argument("--problem", type=Path, default=None, help="a problem file instead of the demo")
    args = parser.parse_args(argv)

    # 1. The problem: immutable, validated at the boundary.
    problem = datasets.demo_problem(seed=0, days=args.days) if args.problem is None else read_problem(args.problem)
    print(f"{problem.name}: {len(problem.agents)} agents at {len(problem.sites)} sites, languages {problem.languages()}")

    # 2. Solve, and check the roster with the validator that shares no code with the model.
    roster = solve(problem, time_limit_s=args.time_limit)
    assert validate(problem, roster) == [], "the roster breaks a hard rule (a bug: please report it)"
    print(roster.summary())

    # 3. Key figures: plain DataFrames.
    k = reports.kpis(problem, roster)
    print(k.totals.to_string(index=False))
    print(k.sites[["site", "shifts", "paid_hours", "cost", "night_shifts", "weekend_shifts", "night_spread"]].to_string(index=False))

    # 4. One follow-the-sun chart per language. Each agent on shift is counted once,
    #    for the one language the roster's coverage split gives them.
    args.out.mkdir(parents=True, exist_ok=True)
    by_site = reports.staffed_by_site(problem, roster)
    for language in problem.languages():
        fig = Figure(figsize=(14, 4.5), layout="constrained")
        plots.follow_the_sun(problem, roster, language, ax=fig.subplots())
        fig.savefig(args.out / f"follow_the_sun_{language}.png", dpi=110)
        share = by_site[by_site["language"] == language].groupby("site")["staffed"].sum()
        share = (share / max(share.sum(), 1)).sort_values(ascending=False)
        print(f"{language}: agent-intervals by site " + ", ".join(f"{s} {v:.0%}" for s, v in share.items() if v > 0))
    print(f"Charts in {args.out}")


if __name__ == "__main__":
    main()
