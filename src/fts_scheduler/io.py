"""Files at the edge: problems as JSON, rosters as CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .models import Problem
from .roster import Roster

__all__ = ["read_problem", "write_problem", "write_roster", "read_assignments"]


def read_problem(path: str | Path) -> Problem:
    """Load a problem from JSON; a bad file raises ``pydantic.ValidationError`` naming the field."""
    return Problem.model_validate_json(Path(path).read_text(encoding="utf-8"))


def write_problem(problem: Problem, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(problem.model_dump_json(indent=1), encoding="utf-8")
    return path


def write_roster(roster: Roster, out_dir: str | Path) -> dict[str, Path]:
    """Write ``assignments.csv``, ``coverage.csv`` and ``summary.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "assignments": out / "assignments.csv",
        "coverage": out / "coverage.csv",
        "summary": out / "summary.json",
    }
    a = roster.assignments.copy()
    for col in ("start_utc", "end_utc", "start_local", "end_local"):
        a[col] = a[col].map(lambda ts: ts.isoformat())
    a.to_csv(paths["assignments"], index=False)
    c = roster.coverage.copy()
    c["interval_start_utc"] = c["interval_start_utc"].map(lambda ts: ts.isoformat())
    c.to_csv(paths["coverage"], index=False)
    summary = {
        "status": roster.status,
        "objective": roster.objective,
        "bound": roster.bound,
        "gap": roster.gap,
        "runtime_s": roster.runtime_s,
        "objective_terms": roster.objective_terms,
        "stats": roster.stats,
    }
    paths["summary"].write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return paths


def read_assignments(path: str | Path, problem: Problem) -> pd.DataFrame:
    """Read ``assignments.csv`` back, with tz-aware UTC and site-local timestamps."""
    a = pd.read_csv(path, dtype={"agent_id": str, "site": str, "shift": str})
    zones = {s.name: s.timezone for s in problem.sites}
    for col in ("start_utc", "end_utc"):
        a[col] = pd.to_datetime(a[col], utc=True)
    for col in ("start_local", "end_local"):
        parsed = pd.to_datetime(a[col], utc=True)
        a[col] = [ts.tz_convert(zones.get(site, "UTC")) for ts, site in zip(parsed, a["site"])]
    return a
