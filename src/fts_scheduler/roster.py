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
        under- and over-staffing penalties. The bound is the better of the CP-SAT
        search's and the decomposition's (:mod:`fts_scheduler.decomposition`);
        ``stats["bound_source"]`` says which.
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

    def _headline(self) -> dict[str, float]:
        """The figures :meth:`summary` and the notebook view lead with.

        Keys: ``shifts``, ``agents`` (with a shift), ``paid_hours`` [h],
        ``labour_cost`` [currency] (the objective's labour and overtime terms), ``floors_met``
        (1.0 if every floor holds in every interval), ``under_staffed`` and
        ``over_staffed`` [agent-h against the requirement],
        ``intervals_meeting_requirement`` [share of interval-languages with a
        requirement staffed to it], ``worst_gap`` [agents, most negative
        staffed - required, 0 if never short].
        """
        a, c = self.assignments, self.coverage
        step_h = _step_hours(c)
        gap = c["staffed"] - c["required"]
        demanded = c["required"] > 0
        return {
            "shifts": float(len(a)),
            "agents": float(a["agent_id"].nunique()),
            "paid_hours": float(a["hours"].sum()),
            # pay premiums are in "labour_cost"; overtime is its own objective term
            "labour_cost": float(
                self.objective_terms.get("labour_cost", float("nan")) + self.objective_terms.get("overtime_premium", 0.0)
            ),
            "floors_met": float(bool((c["staffed"] >= c["floor"]).all())),
            "under_staffed": float((-gap).clip(lower=0).sum() * step_h),
            "over_staffed": float(gap.clip(lower=0).sum() * step_h),
            "intervals_meeting_requirement": float((gap[demanded] >= 0).mean()) if demanded.any() else 1.0,
            "worst_gap": float(min(gap.min(), 0)) if len(gap) else 0.0,
        }

    def summary(self) -> str:
        """A few lines for humans: status, cost, staffing against requirement, per site."""
        a = self.assignments
        h = self._headline()
        lines = [
            f"Roster: {self.status}  objective {self.objective:,.2f}  bound {self.bound:,.2f}"
            + (f" ({self.stats['bound_source']})" if self.stats.get("bound_source") else "")
            + f"  gap {self.gap:.2%}  search {self.runtime_s:.1f} s"
            + ("  (stopped by Ctrl-C)" if self.stats.get("interrupted") else ""),
            f"  {len(a)} shifts, {a['agent_id'].nunique()} agents, {h['paid_hours']:,.1f} paid hours",
            f"  language floors met in every interval: {'yes' if h['floors_met'] else 'NO'}",
            f"  under requirement {h['under_staffed']:,.1f} agent-h, over {h['over_staffed']:,.1f} agent-h; "
            f"requirement met in {h['intervals_meeting_requirement']:.1%} of interval-languages "
            f"(worst {h['worst_gap']:+.0f} agents)",
        ]
        for name, value in self.objective_terms.items():
            lines.append(f"  {name:<22} {value:>14,.2f}")
        for site, row in self._per_site().iterrows():
            lines.append(f"  {site:<12} {int(row['shifts']):>5} shifts {row['hours']:>9,.1f} h")
        return "\n".join(lines)

    def _per_site(self) -> pd.DataFrame:
        a = self.assignments
        if not len(a):
            return pd.DataFrame({"shifts": [], "agents": [], "hours": []})
        return a.groupby("site").agg(
            shifts=("agent_id", "size"), agents=("agent_id", "nunique"), hours=("hours", "sum")
        )

    def _repr_html_(self) -> str:
        """Headline figures as an HTML table, for notebooks."""
        from html import escape

        h = self._headline()
        cells = [
            ("status", self.status),
            ("objective", f"{self.objective:,.2f}"),
            ("gap to bound", f"{self.gap:.2%}"),
            ("search", f"{self.runtime_s:.1f} s"),
            ("shifts / agents", f"{int(h['shifts'])} / {int(h['agents'])}"),
            ("paid hours", f"{h['paid_hours']:,.1f}"),
            ("labour cost", f"{h['labour_cost']:,.2f}"),
            ("language floors met", "yes" if h["floors_met"] else "NO"),
            ("under / over requirement", f"{h['under_staffed']:,.1f} / {h['over_staffed']:,.1f} agent-h"),
            ("requirement met", f"{h['intervals_meeting_requirement']:.1%} of interval-languages"),
        ]
        rows = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in cells)
        site_rows = "".join(
            f"<tr><td>{escape(str(site))}</td><td>{int(r['shifts'])}</td><td>{int(r['agents'])}</td>"
            f"<td>{r['hours']:,.1f}</td></tr>"
            for site, r in self._per_site().iterrows()
        )
        return (
            f"<div><strong>Roster</strong><table>{rows}</table>"
            "<table><tr><th>site</th><th>shifts</th><th>agents</th><th>paid hours</th></tr>"
            f"{site_rows}</table></div>"
        )

    def __str__(self) -> str:
        return self.summary()


def _step_hours(coverage: pd.DataFrame) -> float:
    times = coverage["interval_start_utc"].drop_duplicates().sort_values()
    if len(times) < 2:
        return 0.0
    return (times.iloc[1] - times.iloc[0]).total_seconds() / 3600
