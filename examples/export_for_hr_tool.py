"""Export a roster for an HR or payroll tool: a flat CSV, calendars, and JSON.

HR tools want one row per shift with the local date and wall-clock times, the time
zone, the paid hours and the flags payroll cares about (night, weekend, public
holiday). This script solves the tutorial problem and writes:

* ``hr_shifts.csv``: agent_id, site, local date, local start and end (naive wall
  clock) with the IANA zone and UTC offset, paid hours, night/weekend/holiday flags;
* ``ics/<agent>.ics``: one calendar per agent, in the site's time zone;
* ``result.json``: the whole result for a system-to-system interface.

    python examples/export_for_hr_tool.py --out out/hr
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from fts_scheduler import reports, solve
from fts_scheduler.exports import write_ics, write_json
from fts_scheduler.io import read_problem

HERE = Path(__file__).resolve().parent


def hr_shifts(shifts: pd.DataFrame) -> pd.DataFrame:
    """One row per shift in the columns an HR import expects, from ``reports.shift_kpis``."""
    start = shifts["start_local"].map(pd.Timestamp)
    end = shifts["end_local"].map(pd.Timestamp)
    return pd.DataFrame(
        {
            "employee_id": shifts["agent_id"],
            "site": shifts["site"],
            "date": shifts["local_date"].map(lambda d: d.isoformat()),
            "start": start.map(lambda t: t.strftime("%H:%M")),
            "end": end.map(lambda t: t.strftime("%H:%M")),
            # Wall-clock times alone are ambiguous for an hour each autumn: keep the offset.
            "utc_offset": start.map(lambda t: t.isoformat()[-6:]),
            "timezone": start.map(lambda t: str(t.tz)),
            "paid_hours": shifts["hours"],
            "night": shifts["night"].map({True: "Y", False: "N"}),
            "weekend": shifts["weekend"].map({True: "Y", False: "N"}),
            "public_holiday": shifts["holiday"],
        }
    ).sort_values(["site", "employee_id", "date"], ignore_index=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", type=Path, default=HERE / "tutorial" / "problem.yaml")
    parser.add_argument("--out", type=Path, default=Path("out/hr"))
    parser.add_argument("--time-limit", type=float, default=30.0, help="CP-SAT time limit [s]")
    args = parser.parse_args(argv)

    problem = read_problem(args.problem)
    roster = solve(problem, time_limit_s=args.time_limit)
    args.out.mkdir(parents=True, exist_ok=True)

    table = hr_shifts(reports.shift_kpis(problem, roster))
    table.to_csv(args.out / "hr_shifts.csv", index=False)
    calendars = write_ics(problem, roster, args.out / "ics")
    write_json(problem, roster, args.out / "result.json")
    print(table.head(8).to_string(index=False))
    print(f"Wrote {len(table)} shifts to {args.out / 'hr_shifts.csv'}, {len(calendars)} calendars, result.json")


if __name__ == "__main__":
    main()
