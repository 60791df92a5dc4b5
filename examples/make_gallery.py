"""Draw the gallery of docs/gallery.md from the built-in demo into docs/images/.

    python examples/make_gallery.py                          # the demo, 60 s solve, into docs/images/
    python examples/make_gallery.py --out out/gallery --problem examples/tutorial/problem.yaml --time-limit 10
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from matplotlib.figure import Figure

from fts_scheduler import datasets, plots, reports, solve
from fts_scheduler.io import read_inputs

ROOT = Path(__file__).resolve().parent.parent


def demo_inputs(seed: int, days: int):
    """The demo problem with the forecast its requirements came from (two days of warm-up for email)."""
    problem = datasets.demo_problem(seed, days=days)
    warm_up = 2
    forecast = datasets.demo_forecast(seed, days=days + warm_up, start_date=problem.start_date - dt.timedelta(days=warm_up))
    return problem, forecast, datasets.DEMO_GOALS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--problem", type=Path, default=None, help="a problem file with a forecast (default: the demo)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="CP-SAT time limit [s]")
    parser.add_argument("--days", type=int, default=14, help="horizon of the demo [days]")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.problem is None:
        problem, forecast, goals = demo_inputs(args.seed, args.days)
    else:
        inputs = read_inputs(args.problem)
        problem, forecast, goals = inputs.problem, inputs.forecast, inputs.goals
    roster = solve(problem, time_limit_s=args.time_limit, seed=args.seed)
    print(roster.summary())
    k = reports.kpis(problem, roster, forecast=forecast, goals=goals)
    args.out.mkdir(parents=True, exist_ok=True)

    def save(name: str, fig: Figure) -> None:
        fig.savefig(args.out / f"{name}.png", dpi=100)
        print(f"wrote {args.out / name}.png")

    # English and Spanish around the clock, Japanese in Tokyo's hours (for the demo).
    languages = [x for x in ("en", "es", "ja") if x in problem.languages()]
    by_site = reports.staffed_by_site(problem, roster)
    for language in languages:
        fig = Figure(figsize=(14, 4.5), layout="constrained")
        plots.follow_the_sun(problem, roster, language, ax=fig.subplots())
        save(f"follow_the_sun_{language}", fig)
        share = by_site[by_site["language"] == language].groupby("site")["staffed"].sum()
        share = (share / max(share.sum(), 1)).sort_values(ascending=False)
        print(f"  {language} agent-intervals by site: " + ", ".join(f"{s} {v:.0%}" for s, v in share.items() if v > 0))
    fig = Figure(figsize=(10, 0.35 * problem.days + 1.8), layout="constrained")
    plots.gap_heatmap(roster, ax=fig.subplots())
    save("gap_heatmap", fig)
    site = "Dublin" if "Dublin" in [s.name for s in problem.sites] else problem.sites[0].name
    headcount = sum(1 for a in problem.agents if a.site == site)
    fig = Figure(figsize=(14, 0.22 * headcount + 1.8), layout="constrained")
    plots.gantt(problem, roster, site, ax=fig.subplots())
    save(f"gantt_{site.lower().replace(' ', '_')}", fig)
    if k.service is not None:
        phone = next(g for g in goals if g.channel == "phone")
        calls = k.service[(k.service["channel"] == "phone") & k.service["service_level"].notna()]
        for language, rows in calls.groupby("language"):
            met = (rows["service_level"] >= phone.service_level).mean()
            none = (rows["service_level"] == 0).mean()
            print(f"  {language} phone: goal met in {met:.0%} of intervals with calls, none answered in {none:.0%}")
        fig = Figure(figsize=(14, 4), layout="constrained")
        plots.service_level(calls, phone, ax=fig.subplots())
        save("service_level_phone", fig)


if __name__ == "__main__":
    main()
