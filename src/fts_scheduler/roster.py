"""The result of a solve: plain data a user can inspect, filter, plot and export."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Roster", "ASSIGNMENT_COLUMNS", "COVERAGE_COLUMNS", "BREAK_COLUMNS", "CHANGE_COLUMNS"]

ASSIGNMENT_COLUMNS = ("agent_id", "site", "shift", "start_utc", "end_utc", "start_local", "end_local", "hours")
COVERAGE_COLUMNS = ("interval_start_utc", "language", "floor", "required", "staffed")
BREAK_COLUMNS = ("agent_id", "start_utc", "end_utc", "kind")
CHANGE_COLUMNS = ("agent_id", "old_start_utc", "old_end_utc", "new_start_utc", "new_end_utc")


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class Roster:
    """A solved roster.

    Attributes
    ----------
    status
        ``"OPTIMAL"`` (proved) or ``"FEASIBLE"`` (time limit reached with a roster).
    objective, bound
        CP-SAT objective and best proved lower bound [currency]: labour cost plus
        under- and over-staffing penalties.
    gap
        ``(objective - bound) / objective``; 0 when optimal.
    runtime_s
        Wall time of the CP-SAT search [s] (model build excluded; see ``stats``).
    assignments
        One row per shift: ``agent_id``, ``site``, ``shift`` (template name),
        ``start_utc``, ``end_utc`` (tz-aware UTC), ``start_local``, ``end_local``
        (tz-aware in the site's zone), ``hours`` (real length [h]).
    coverage
        One row per interval and language: ``interval_start_utc``, ``language``,
        ``floor`` and ``required`` [agents], ``staffed`` [agents]: agents on shift
        serving the language, each agent counted once (for one language).
    breaks
        One row per break: ``agent_id``, ``start_utc``, ``end_utc``, ``kind``
        (empty when no template carries breaks).
    changes
        After a re-plan, one row per changed shift: ``agent_id``,
        ``old_start_utc``/``old_end_utc`` (NaT for an added shift),
        ``new_start_utc``/``new_end_utc`` (NaT for a removed one); empty otherwise.
    objective_terms
        The objective split by rule name [currency].
    stats
        Model size and timing: ``variables``, ``constraints``, ``build_s``, ``workers``.
    """

    status: str
    objective: float
    bound: float
    gap: float
    runtime_s: float
    assignments: pd.DataFrame
    coverage: pd.DataFrame
    breaks: pd.DataFrame = field(default_factory=lambda: _empty(BREAK_COLUMNS))
    changes: pd.DataFrame = field(default_factory=lambda: _empty(CHANGE_COLUMNS))
    objective_terms: dict[str, float] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines for humans: status, cost, staffing against requirement."""
        a, c = self.assignments, self.coverage
        step_h = _step_hours(c)
        short = (c["required"] - c["staffed"]).clip(lower=0).sum() * step_h
        over = (c["staffed"] - c["required"]).clip(lower=0).sum() * step_h
        floor_ok = bool((c["staffed"] >= c["floor"]).all())
        lines = [
            f"Roster: {self.status}  objective {self.objective:,.2f}  bound {self.bound:,.2f}  "
            f"gap {self.gap:.2%}  search {self.runtime_s:.1f} s",
            f"  {len(a)} shifts, {a['agent_id'].nunique()} agents, {a['hours'].sum():,.1f} paid hours",
            f"  language floors met in every interval: {'yes' if floor_ok else 'NO'}",
            f"  under requirement {short:,.1f} agent-h, over {over:,.1f} agent-h",
        ]
        for name, value in self.objective_terms.items():
            lines.append(f"  {name:<22} {value:>14,.2f}")
        if len(a):
            per_site = a.groupby("site")["hours"].agg(["count", "sum"])
            for site, row in per_site.iterrows():
                lines.append(f"  {site:<12} {int(row['count']):>5} shifts {row['sum']:>9,.1f} h")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _step_hours(coverage: pd.DataFrame) -> float:
    times = coverage["interval_start_utc"].drop_duplicates().sort_values()
    if len(times) < 2:
        return 0.0
    return (times.iloc[1] - times.iloc[0]).total_seconds() / 3600
