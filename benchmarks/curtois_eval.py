"""Independent evaluator for Curtois & Qu shift-scheduling solutions.

It deliberately does NOT import ``fts_scheduler``: everything is recomputed from the parsed
instance (``curtois_instance.py``) and a list of ``(employee, day, shift)`` assignments, one per
worked shift, so it can be used to check the library's own rosters.

Objective (FORMAT.md, "Objective"): sum of
  * the weight of every shift-on request whose (employee, day, shift) is not assigned,
  * the weight of every shift-off request whose (employee, day, shift) is assigned,
  * for every cover line, ``WeightUnder * max(0, req - x) + WeightOver * max(0, x - req)``
    where ``x`` is the number of distinct employees assigned that shift on that day.

Every other rule is hard; breaking one makes the roster infeasible and is reported in
``Evaluation.violations`` (each message starts with a stable rule code, see ``RULES``).
The objective is still computed for an infeasible roster (e.g. the empty roster).

Rule interpretation (FORMAT.md, "Hard constraints" and the boundary section):
  * A day counts as *worked* if the employee has at least one shift on it.
  * Max consecutive working days applies to every block, including blocks touching the first
    or last day (there is no history before day 0 or after day h-1).
  * Min consecutive working days and min consecutive days off apply only to maximal blocks
    that touch neither day 0 nor day h-1: blocks touching either end of the horizon are exempt.
    (So an employee who never works has one rest block covering the horizon: exempt.)
  * A weekend is Saturday+Sunday = days with index 5 and 6 mod 7 (day 0 is a Monday); it is
    worked if the employee works on Saturday, Sunday or both.
  * Max shifts per type counts over the whole horizon; a shift type absent from the employee's
    MaxShifts list is unbounded (never happens in the 24 files).
  * Total minutes = sum of the lengths of the employee's shifts, must be in [Min, Max].
  * Forbidden successions apply to shift s on day d followed by t on day d+1 only.
  * Assignments naming an unknown employee/shift or a day outside 0..h-1 are reported and
    otherwise ignored (they count for nothing, not even cover). A repeated identical row and
    two shifts on one day are reported; identical rows are counted once everywhere else.

CLI: ``python benchmarks/curtois_eval.py INSTANCE.txt SOLUTION.csv`` prints the objective, its
breakdown and the violations; exit status 1 if any hard rule is broken, 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

if __package__:
    from .curtois_instance import Instance, Request, parse_instance
else:  # run as a script, or benchmarks/ is on sys.path
    from curtois_instance import Instance, Request, parse_instance

__all__ = ["RULES", "Evaluation", "read_solution_csv", "evaluate", "main"]

RULES = (
    "malformed_assignment",
    "unknown_employee",
    "unknown_shift",
    "day_out_of_range",
    "one_shift_per_day",
    "forbidden_succession",
    "max_shifts_per_type",
    "max_total_minutes",
    "min_total_minutes",
    "max_consecutive_shifts",
    "min_consecutive_shifts",
    "min_consecutive_days_off",
    "max_weekends",
    "days_off",
)


@dataclass
class Evaluation:
    objective: int
    shift_on_penalty: int
    shift_off_penalty: int
    cover_under_penalty: int
    cover_over_penalty: int
    violations: list[str] = field(default_factory=list)
    # Detail behind the penalties.
    unmet_on_requests: list[Request] = field(default_factory=list)
    violated_off_requests: list[Request] = field(default_factory=list)
    cover_deviations: list[tuple[int, str, int, int]] = field(default_factory=list)  # day, shift, req, x

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def cover_penalty(self) -> int:
        return self.cover_under_penalty + self.cover_over_penalty

    @property
    def breakdown(self) -> dict[str, int]:
        return {
            "shift_on_requests": self.shift_on_penalty,
            "shift_off_requests": self.shift_off_penalty,
            "cover_under": self.cover_under_penalty,
            "cover_over": self.cover_over_penalty,
        }

    @property
    def violated_rules(self) -> set[str]:
        """Rule codes (see ``RULES``) of the hard rules broken."""
        return {v.split(":", 1)[0] for v in self.violations}


# --------------------------------------------------------------------------- input


def read_solution_csv(path: str | Path) -> list[tuple[str, int, str]]:
    """Read a roster CSV with columns ``employee, day, shift`` (one row per worked shift).

    Column names are matched case-insensitively, extra columns are ignored, blank rows are
    skipped. Malformed rows raise ``ValueError("<file>:<line>: ...")``.
    """
    path = Path(path)
    out: list[tuple[str, int, str]] = []
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        cols: dict[str, int] | None = None
        for row in reader:
            lineno = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if cols is None:
                header = [c.strip().lower() for c in row]
                missing = [c for c in ("employee", "day", "shift") if c not in header]
                if missing:
                    raise ValueError(f"{path.name}:{lineno}: header lacks column(s) {missing}")
                cols = {c: header.index(c) for c in ("employee", "day", "shift")}
                continue
            try:
                emp, day, shift = (row[cols[c]].strip() for c in ("employee", "day", "shift"))
            except IndexError:
                raise ValueError(f"{path.name}:{lineno}: too few fields in {row!r}") from None
            if not emp or not shift:
                raise ValueError(f"{path.name}:{lineno}: empty employee or shift in {row!r}")
            try:
                day_i = int(day)
            except ValueError:
                raise ValueError(f"{path.name}:{lineno}: day must be an integer, got {day!r}") from None
            out.append((emp, day_i, shift))
    if cols is None:
        raise ValueError(f"{path.name}: empty file (no header)")
    return out


def _as_triples(assignments: Any) -> list[tuple[Any, Any, Any]]:
    """Accept an iterable of (employee, day, shift) or a DataFrame with those columns."""
    if hasattr(assignments, "columns") and hasattr(assignments, "itertuples"):
        df = assignments[["employee", "day", "shift"]]
        return [tuple(r) for r in df.itertuples(index=False, name=None)]
    return [tuple(a) for a in assignments]


# --------------------------------------------------------------------------- evaluation


def _runs(flags: list[bool]) -> list[tuple[bool, int, int]]:
    """Maximal runs of equal values: (value, first index, last index)."""
    runs: list[tuple[bool, int, int]] = []
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            runs.append((flags[start], start, i - 1))
            start = i
    return runs


def _span(a: int, b: int) -> str:
    return f"day {a}" if a == b else f"days {a}-{b}"


def evaluate(instance: Instance, assignments: Iterable[tuple[str, int, str]]) -> Evaluation:
    """Score a roster and list every hard-rule violation."""
    h = instance.horizon
    shifts = instance.shift_by_id
    staff = instance.staff_by_id
    violations: list[str] = []

    # ---- validate rows, detect duplicates
    triples = _as_triples(assignments)
    row_count: Counter[tuple[str, int, str]] = Counter()
    for i, trip in enumerate(triples):
        if len(trip) != 3:
            violations.append(f"malformed_assignment: assignment #{i} {trip!r} is not (employee, day, shift)")
            continue
        emp, day, sid = trip
        emp, sid = str(emp), str(sid)
        try:
            if isinstance(day, bool) or int(day) != float(day):
                raise ValueError
            day = int(day)
        except (TypeError, ValueError):
            violations.append(f"day_out_of_range: employee {emp}, day {day!r}: not an integer day")
            continue
        ok = True
        if emp not in staff:
            violations.append(f"unknown_employee: employee {emp}, day {day}: no such employee")
            ok = False
        if sid not in shifts:
            violations.append(f"unknown_shift: employee {emp}, day {day}: no such shift {sid!r}")
            ok = False
        if not 0 <= day < h:
            violations.append(f"day_out_of_range: employee {emp}, day {day}: outside the horizon 0..{h - 1}")
            ok = False
        if ok:
            row_count[(emp, day, sid)] += 1

    # by employee: day -> sorted shift ids
    worked: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (emp, day, sid), n in sorted(row_count.items()):
        worked[emp][day].append(sid)
        if n > 1:
            violations.append(f"one_shift_per_day: employee {emp}, day {day}: shift {sid} assigned {n} times")
    assigned = set(row_count)

    # ---- hard rules per employee (in file order for stable output)
    for e in instance.staff:
        days = worked.get(e.id, {})
        # 1. at most one shift per day
        for d in sorted(days):
            if len(days[d]) > 1:
                violations.append(
                    f"one_shift_per_day: employee {e.id}, day {d}: {len(days[d])} shifts ({', '.join(days[d])})"
                )
        # 2. forbidden successions
        for d in sorted(days):
            if d + 1 not in days:
                continue
            for s in days[d]:
                for t in days[d + 1]:
                    if t in shifts[s].forbidden_next:
                        violations.append(
                            f"forbidden_succession: employee {e.id}, days {d}-{d + 1}: "
                            f"shift {t} may not follow shift {s}"
                        )
        # 3. max shifts per type
        per_type = Counter(s for ds in days.values() for s in ds)
        for s in instance.shift_ids:
            limit = e.max_shifts.get(s)
            if limit is not None and per_type[s] > limit:
                violations.append(
                    f"max_shifts_per_type: employee {e.id}: works shift {s} {per_type[s]} times > max {limit}"
                )
        # 4. total minutes
        minutes = sum(shifts[s].length for ds in days.values() for s in ds)
        if minutes > e.max_total_minutes:
            violations.append(
                f"max_total_minutes: employee {e.id}: works {minutes} min > max {e.max_total_minutes}"
            )
        if minutes < e.min_total_minutes:
            violations.append(
                f"min_total_minutes: employee {e.id}: works {minutes} min < min {e.min_total_minutes}"
            )
        # 5-7. consecutive working days / days off
        flags = [d in days for d in range(h)]
        for is_work, a, b in _runs(flags):
            length = b - a + 1
            touches_edge = a == 0 or b == h - 1
            if is_work and length > e.max_consecutive_shifts:
                violations.append(
                    f"max_consecutive_shifts: employee {e.id}, {_span(a, b)}: "
                    f"{length} consecutive working days > max {e.max_consecutive_shifts}"
                )
            if is_work and length < e.min_consecutive_shifts and not touches_edge:
                violations.append(
                    f"min_consecutive_shifts: employee {e.id}, {_span(a, b)}: "
                    f"{length} consecutive working days < min {e.min_consecutive_shifts}"
                )
            if not is_work and length < e.min_consecutive_days_off and not touches_edge:
                violations.append(
                    f"min_consecutive_days_off: employee {e.id}, {_span(a, b)}: "
                    f"{length} consecutive days off < min {e.min_consecutive_days_off}"
                )
        # 8. weekends (Sat = 5, Sun = 6 mod 7; worked if either is worked)
        weekends = [
            w for w in range(instance.n_weeks) if (7 * w + 5) in days or (7 * w + 6) in days
        ]
        if len(weekends) > e.max_weekends:
            listed = ", ".join(f"days {7 * w + 5}-{7 * w + 6}" for w in weekends)
            violations.append(
                f"max_weekends: employee {e.id}: works {len(weekends)} weekends ({listed}) > max {e.max_weekends}"
            )
        # 9. days off
        for d in instance.days_off.get(e.id, ()):
            if d in days:
                violations.append(
                    f"days_off: employee {e.id}, day {d}: works shift {', '.join(days[d])} on a day off"
                )

    # ---- objective
    unmet_on = [r for r in instance.shift_on_requests if (r.employee, r.day, r.shift) not in assigned]
    violated_off = [r for r in instance.shift_off_requests if (r.employee, r.day, r.shift) in assigned]
    x = Counter((d, s) for (_, d, s) in assigned)
    under = over = 0
    deviations = []
    for c in instance.cover:
        n = x[(c.day, c.shift)]
        under += c.weight_under * max(0, c.requirement - n)
        over += c.weight_over * max(0, n - c.requirement)
        if n != c.requirement:
            deviations.append((c.day, c.shift, c.requirement, n))
    on_pen = sum(r.weight for r in unmet_on)
    off_pen = sum(r.weight for r in violated_off)
    return Evaluation(
        objective=on_pen + off_pen + under + over,
        shift_on_penalty=on_pen,
        shift_off_penalty=off_pen,
        cover_under_penalty=under,
        cover_over_penalty=over,
        violations=violations,
        unmet_on_requests=unmet_on,
        violated_off_requests=violated_off,
        cover_deviations=deviations,
    )


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Evaluate a Curtois & Qu roster: objective and hard-rule violations."
    )
    ap.add_argument("instance", type=Path, help="InstanceN.txt")
    ap.add_argument("solution", type=Path, help="CSV with columns employee, day, shift")
    args = ap.parse_args(argv)
    try:
        inst = parse_instance(args.instance)
        rows = read_solution_csv(args.solution)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ev = evaluate(inst, rows)
    print(f"instance: {inst.name}")
    print(f"objective: {ev.objective}")
    print(
        "breakdown: "
        + ", ".join(f"{k}={v}" for k, v in ev.breakdown.items())
    )
    print(f"violations: {len(ev.violations)}")
    for v in ev.violations:
        print(f"  {v}")
    return 1 if ev.violations else 0


if __name__ == "__main__":
    sys.exit(main())
