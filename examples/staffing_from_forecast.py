"""Tutorial: from a contact forecast in CSV to a roster in an Excel workbook.

Reads ``examples/tutorial/``: ``forecast.csv`` (contacts per UTC half hour, language
and channel), ``agents.csv`` and ``problem.yaml`` (sites, shift templates, floors,
contracts and one service goal per channel). It shows the staffing the forecast
needs per channel (Erlang A/C for phone and chat, paced work for email), solves the
roster, and writes ``roster.xlsx`` with one sheet of shifts per site in local time,
the coverage and the predicted service level at the staffed level.

    python examples/staffing_from_forecast.py --out out/tutorial

The same in one command: ``fts solve examples/tutorial/problem.yaml --out out/tutorial``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fts_scheduler import reports, solve, validate
from fts_scheduler.exports import write_excel
from fts_scheduler.io import read_inputs
from fts_scheduler.requirements import requirements_from_forecast

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", type=Path, default=HERE / "tutorial" / "problem.yaml")
    parser.add_argument("--out", type=Path, default=Path("out/tutorial"), help="directory for roster.xlsx")
    parser.add_argument("--time-limit", type=float, default=30.0, help="CP-SAT time limit [s]")
    args = parser.parse_args(argv)

    # 1. Read the problem: the YAML names the CSV files; errors name file, row and field.
    inputs = read_inputs(args.problem)
    problem, forecast, goals = inputs.problem, inputs.forecast, inputs.goals

    # 2. What the forecast asks for, per channel (the problem holds the per-language sum).
    need = requirements_from_forecast(forecast, goals, interval_minutes=problem.interval_minutes)
    step_h = problem.interval_minutes / 60
    table = need.groupby(["language", "channel"]).agg(
        contacts=("volume", "sum"), peak_agents=("required", "max"), agent_hours=("required", "sum")
    )
    table["agent_hours"] *= step_h
    print(table.round(1).to_string())

    # 3. Solve and check.
    roster = solve(problem, time_limit_s=args.time_limit)
    assert validate(problem, roster) == []
    print(roster.summary())

    # 4. Key figures with the predicted service level at the staffed level, and the workbook.
    k = reports.kpis(problem, roster, forecast=forecast, goals=goals)
    print(k.totals.to_string(index=False))
    path = write_excel(problem, roster, args.out / "roster.xlsx", kpis=k)
    print(f"Wrote {path}")


if __name__ == "__main__":
    main()
