"""Exports for the people and tools after the solve: CSV, Excel, iCalendar, JSON, PNG.

* :func:`write_kpis_csv` -- every key-figure table as CSV.
* :func:`write_excel` -- one workbook: headline figures, sites, agents, one sheet of
  shifts per site in the site's local time, coverage per interval.
* :func:`agent_calendar`, :func:`write_ics` -- one iCalendar file per agent, times
  in the site's IANA zone.
* :func:`write_json` -- the whole result in one JSON document.
* :func:`write_plots` -- the standard charts as PNG.
* :func:`write_report` -- all of the above and the roster's own files into one
  directory (what ``fts solve`` and ``fts report`` write).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import write_problem, write_roster
from .models import Problem
from .reports import Kpis, kpis as compute_kpis
from .roster import Roster

__all__ = [
    "write_kpis_csv",
    "write_excel",
    "agent_calendar",
    "write_ics",
    "write_json",
    "write_plots",
    "write_report",
    "result_dict",
]

PRODID = "-//fts-scheduler//roster//EN"


def _slug(text: str) -> str:
    """A file-name-safe form of a site, language or agent name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _plain(value: Any) -> Any:
    """A value as JSON/CSV wants it: ISO times with their offset, None for missing."""
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN (nothing to measure) and inf (an unstable queue's ASA) have no JSON form
    if value is pd.NaT or value is None:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [{c: _plain(v) for c, v in zip(cols, row)} for row in frame.itertuples(index=False, name=None)]


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Times as ISO strings with their offset, so a CSV keeps the zone of every value."""
    out = frame.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (pd.Timestamp, dt.datetime, dt.date))).any():
            out[col] = out[col].map(lambda v: _plain(v) if v is not None else "")
    return out


# --------------------------------------------------------------------------- CSV


def write_kpis_csv(kpis: Kpis, out_dir: str | Path) -> dict[str, Path]:
    """Write each table of ``kpis`` as ``kpi_<name>.csv`` into ``out_dir``.

    Times are ISO 8601 with their UTC offset (``start_local`` keeps the site's).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in kpis.frames().items():
        paths[name] = out / f"kpi_{name}.csv"
        _text_frame(frame).to_csv(paths[name], index=False)
    return paths


# --------------------------------------------------------------------------- Excel


def _sheet_name(text: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ , unique ignoring case.
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31]
    name, k = base, 2
    while name.lower() in taken:
        suffix = f" ({k})"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(name.lower())
    return name


def _site_shifts(problem: Problem, kpis: Kpis, site: str) -> pd.DataFrame:
    """A site's shifts in naive local time with the zone and UTC offset beside them."""
    zone = problem.site(site).timezone
    s = kpis.shifts[kpis.shifts["site"] == site].sort_values(["start_local", "agent_id"], key=_sort_key)
    start = [pd.Timestamp(t) for t in s["start_local"]]
    end = [pd.Timestamp(t) for t in s["end_local"]]
    return pd.DataFrame(
        {
            "agent_id": s["agent_id"].to_numpy(),
            "shift": s["shift"].to_numpy(),
            "local_date": pd.to_datetime(pd.Series(s["local_date"].to_numpy(), dtype=object)).to_numpy(),
            "start_local": [t.tz_localize(None) for t in start],
            "end_local": [t.tz_localize(None) for t in end],
            # The offset tells the two 01:30s of a fall-back night apart, which naive times cannot.
            "utc_offset": [t.strftime("%z")[:3] + ":" + t.strftime("%z")[3:] for t in start],
            "timezone": zone,
            "start_utc": [t.tz_convert("UTC").tz_localize(None) for t in start],
            "hours": s["hours"].to_numpy(),
            "cost": s["cost"].to_numpy(),
            "premium_cost": s["premium_cost"].to_numpy(),
            "night": s["night"].to_numpy(),
            "weekend": s["weekend"].to_numpy(),
            "holiday": s["holiday"].to_numpy(),
        }
    )


def _sort_key(col: pd.Series) -> pd.Series:
    # Local times of one site sort by their instant; object columns need help.
    if col.name == "start_local":
        return col.map(lambda t: pd.Timestamp(t).value)
    return col


def write_excel(problem: Problem, roster: Roster, path: str | Path, *, kpis: Kpis | None = None) -> Path:
    """Write the roster as an Excel workbook (openpyxl).

    Sheets: ``Summary`` (headline figures), ``Sites``, ``Agents``, one ``Shifts
    <site>`` per site, ``Coverage`` (per UTC interval and language: floor,
    required, staffed, gap, and the predicted service level when ``kpis`` has one)
    and, with a forecast, ``Service`` (per channel).

    Excel has no time zones: shift times are naive local times of the site, with a
    ``timezone`` column (IANA name) and a ``utc_offset`` column beside them (the
    offset tells apart the two 01:30s of a night when the clocks go back);
    ``start_utc`` and the coverage times are naive UTC.

    Parameters
    ----------
    kpis
        :func:`fts_scheduler.reports.kpis` of the roster, if already computed.
    """
    from openpyxl.utils import get_column_letter

    k = compute_kpis(problem, roster) if kpis is None else kpis
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    sheets: list[tuple[str, pd.DataFrame]] = [
        (_sheet_name("Summary", taken), _summary_sheet(problem, roster, k)),
        (_sheet_name("Sites", taken), k.sites),
        (_sheet_name("Agents", taken), k.agents),
    ]
    for site in problem.sites:
        sheets.append((_sheet_name(f"Shifts {site.name}", taken), _site_shifts(problem, k, site.name)))
    coverage = k.intervals.copy()
    coverage["interval_start_utc"] = _naive_utc(coverage["interval_start_utc"])
    sheets.append((_sheet_name("Coverage", taken), coverage.rename(columns={"interval_start_utc": "interval_start (UTC)"})))
    if k.service is not None:
        service = k.service.copy()
        service["interval_start_utc"] = _naive_utc(service["interval_start_utc"])
        sheets.append((_sheet_name("Service", taken), service.rename(columns={"interval_start_utc": "interval_start (UTC)"})))

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets:
            frame = frame.replace([np.inf, -np.inf], np.nan)  # Excel has no infinity
            frame.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            if len(frame):
                ws.auto_filter.ref = ws.dimensions
            for j, col in enumerate(frame.columns, start=1):
                letter = get_column_letter(j)
                is_time = pd.api.types.is_datetime64_any_dtype(frame[col]) or col in ("start_local", "end_local")
                width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
                ws.column_dimensions[letter].width = min(max(width + 2, 8), 40 if not is_time else 18)
                if col == "local_date":
                    for cell in ws[letter][1:]:
                        cell.number_format = "yyyy-mm-dd ddd"
                elif is_time:
                    for cell in ws[letter][1:]:
                        cell.number_format = "yyyy-mm-dd hh:mm"
    return path


def _naive_utc(times: pd.Series) -> pd.Series:
    return pd.to_datetime(times, utc=True).dt.tz_localize(None)


def _summary_sheet(problem: Problem, roster: Roster, k: Kpis) -> pd.DataFrame:
    head = pd.DataFrame(
        [
            ("problem", problem.name, ""),
            ("horizon (UTC)", f"{problem.grid_start_utc:%Y-%m-%d %H:%M} to {problem.grid_end_utc:%Y-%m-%d %H:%M}", ""),
            ("status", roster.status, ""),
            ("objective", roster.objective, "currency"),
            ("bound", roster.bound, "currency"),
            ("gap to bound", roster.gap, "share"),
        ],
        columns=["metric", "value", "unit"],
    )
    return pd.concat([head, k.totals.astype({"value": object})], ignore_index=True)


# --------------------------------------------------------------------------- iCalendar


def agent_calendar(problem: Problem, roster: Roster, agent_id: str, *, stamp: dt.datetime | None = None):
    """One agent's shifts as an :class:`icalendar.Calendar`, times in the site's IANA zone.

    Each shift is a ``VEVENT`` whose ``DTSTART``/``DTEND`` carry ``TZID=<IANA zone>``
    with the site's wall-clock times, and the calendar holds the matching
    ``VTIMEZONE`` (generated from the tz database), so calendar programs show the
    shift at the right instant also across a DST change. ``UID`` is stable per agent
    and shift start, so re-importing a re-planned roster updates events instead of
    duplicating them. Breaks, when the roster has them, are listed in the event's
    description.

    Parameters
    ----------
    stamp
        ``DTSTAMP`` of every event (UTC); now when None.
    """
    import icalendar

    agent = next((a for a in problem.agents if a.id == agent_id), None)
    if agent is None:
        raise KeyError(agent_id)
    site = problem.site(agent.site)
    zone = site.zone
    stamp = stamp or dt.datetime.now(dt.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Shifts {agent_id} ({site.name})")
    cal.add("x-wr-timezone", site.timezone)
    shifts = roster.assignments[roster.assignments["agent_id"] == agent_id]
    breaks = roster.breaks[roster.breaks["agent_id"] == agent_id] if len(roster.breaks) else roster.breaks
    for r in shifts.sort_values("start_utc", key=lambda c: c.map(lambda t: pd.Timestamp(t).value)).itertuples(index=False):
        start = pd.Timestamp(r.start_utc).to_pydatetime().astimezone(zone)
        end = pd.Timestamp(r.end_utc).to_pydatetime().astimezone(zone)
        event = icalendar.Event()
        event.add("uid", f"{agent_id}-{pd.Timestamp(r.start_utc):%Y%m%dT%H%M%SZ}@fts-scheduler")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", f"{r.shift} shift, {site.name}")
        lines = [f"{r.hours:g} h, {start:%H:%M}-{end:%H:%M} {site.timezone}"]
        if len(breaks):
            mine = breaks[(breaks["start_utc"] >= r.start_utc) & (breaks["end_utc"] <= r.end_utc)]
            for b in mine.itertuples(index=False):
                b0 = pd.Timestamp(b.start_utc).to_pydatetime().astimezone(zone)
                b1 = pd.Timestamp(b.end_utc).to_pydatetime().astimezone(zone)
                lines.append(f"{b.kind} {b0:%H:%M}-{b1:%H:%M}")
        event.add("description", "\n".join(lines))
        event.add("categories", [r.shift])
        cal.add_component(event)
    # Transitions from a year before the horizon to a year after: the whole 1970-2038
    # default is 20 times larger and slower, for dates no event has.
    first = dt.date(problem.start_date.year - 1, 1, 1)
    last = dt.date(problem.start_date.year + problem.days // 365 + 2, 1, 1)
    vtimezone = _vtimezone(site.timezone, first, last)
    if vtimezone is not None:
        cal.subcomponents.insert(0, vtimezone)  # before the events that refer to it
    return cal


@functools.lru_cache(maxsize=64)
def _vtimezone(zone: str, first: dt.date, last: dt.date):
    """The ``VTIMEZONE`` of an IANA zone from the tz database (icalendar >= 6.1), built once."""
    import icalendar

    if not hasattr(icalendar.Timezone, "from_tzid"):  # older icalendar: TZID names the IANA zone alone
        return None
    return icalendar.Timezone.from_tzid(zone, first_date=first, last_date=last)


def write_ics(
    problem: Problem,
    roster: Roster,
    out_dir: str | Path,
    *,
    agents: Iterable[str] | None = None,
    stamp: dt.datetime | None = None,
) -> dict[str, Path]:
    """Write ``<agent_id>.ics`` per agent (every agent of the problem, or ``agents``) into ``out_dir``.

    An agent without a shift gets a calendar without events, so importing it
    clears what an earlier roster put there. See :func:`agent_calendar`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = stamp or dt.datetime.now(dt.UTC)
    ids = [a.id for a in problem.agents] if agents is None else list(agents)
    paths = {}
    for agent_id in ids:
        paths[agent_id] = out / f"{_slug(agent_id)}.ics"
        paths[agent_id].write_bytes(agent_calendar(problem, roster, agent_id, stamp=stamp).to_ical())
    return paths


# --------------------------------------------------------------------------- JSON


def result_dict(problem: Problem, roster: Roster, *, kpis: Kpis | None = None) -> dict[str, Any]:
    """The whole result as JSON-ready data: problem, roster (every frame) and key figures.

    Times are ISO 8601 strings with their offset (UTC, or the site's for local
    times); missing values, and the infinite ASA of an unstable queue, are None.
    """
    k = compute_kpis(problem, roster) if kpis is None else kpis
    return {
        "format": "fts-scheduler result",
        "version": 1,
        "problem": problem.model_dump(mode="json"),
        "roster": {
            "status": roster.status,
            "objective": roster.objective,
            "bound": roster.bound,
            "gap": roster.gap,
            "runtime_s": roster.runtime_s,
            "objective_terms": {n: float(v) for n, v in roster.objective_terms.items()},
            "stats": {n: _plain(v) for n, v in roster.stats.items()},
            "assignments": _records(roster.assignments),
            "coverage": _records(roster.coverage),
            "breaks": _records(roster.breaks),
            "changes": _records(roster.changes),
        },
        "kpis": {name: _records(frame) for name, frame in k.frames().items()},
    }


def write_json(problem: Problem, roster: Roster, path: str | Path, *, kpis: Kpis | None = None) -> Path:
    """Write :func:`result_dict` to ``path`` (UTF-8 JSON)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = result_dict(problem, roster, kpis=kpis)
    # allow_nan=False: a stray NaN or infinity would make the file unreadable to strict parsers.
    path.write_text(json.dumps(data, indent=1, allow_nan=False, default=_json_default), encoding="utf-8")
    return path


def _json_default(value: Any) -> Any:
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return plain


# --------------------------------------------------------------------------- PNG


def write_plots(
    problem: Problem,
    roster: Roster,
    out_dir: str | Path,
    *,
    kpis: Kpis | None = None,
    goals: Iterable | None = None,
    dpi: int = 110,
) -> dict[str, Path]:
    """Write the standard charts as PNG into ``out_dir``.

    ``follow_the_sun_<language>.png`` per language, ``gap_heatmap.png``,
    ``gantt_<site>.png`` per site, and with ``kpis`` holding a forecast and ``goals``
    ``service_level_<channel>.png`` per live channel. Figures are drawn without
    pyplot (no display, nothing left open).
    """
    from matplotlib.figure import Figure

    from . import plots

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}

    def save(name: str, fig: Figure) -> None:
        paths[name] = out / f"{name}.png"
        fig.savefig(paths[name], dpi=dpi)

    for lang in sorted(roster.coverage["language"].unique()):
        fig = Figure(figsize=(14, 4.5), layout="constrained")
        plots.follow_the_sun(problem, roster, lang, ax=fig.subplots())
        save(f"follow_the_sun_{_slug(lang)}", fig)
    fig = Figure(figsize=(10, 0.35 * problem.days + 1.8), layout="constrained")
    plots.gap_heatmap(roster, ax=fig.subplots())
    save("gap_heatmap", fig)
    for site in problem.sites:
        n = sum(1 for a in problem.agents if a.site == site.name)
        fig = Figure(figsize=(14, 0.22 * n + 1.8), layout="constrained")
        plots.gantt(problem, roster, site.name, ax=fig.subplots())
        save(f"gantt_{_slug(site.name)}", fig)
    if kpis is not None and kpis.service is not None and goals is not None:
        for goal in goals:
            if not getattr(goal, "live", False) or goal.service_level is None:
                continue  # deferred work and ASA-only goals have no answer-time share to draw
            rows = kpis.service[kpis.service["channel"] == goal.channel]
            if rows["service_level"].notna().any():
                fig = Figure(figsize=(14, 4), layout="constrained")
                plots.service_level(rows, goal, ax=fig.subplots())
                save(f"service_level_{goal.channel}", fig)
    return paths


# --------------------------------------------------------------------------- everything


def write_report(
    problem: Problem,
    roster: Roster,
    out_dir: str | Path,
    *,
    forecast: pd.DataFrame | None = None,
    goals: Iterable | None = None,
    plots: bool = True,
    roster_files: bool = True,
    stamp: dt.datetime | None = None,
) -> dict[str, Path]:
    """Write everything an analyst opens after the solve into ``out_dir``.

    ``problem.json`` and the roster files of :func:`fts_scheduler.io.write_roster`
    (``assignments.csv``, ``coverage.csv``, ``summary.json``; not with
    ``roster_files=False``, for a directory that holds them already), ``kpi_*.csv``,
    ``roster.xlsx``, ``result.json``, ``ics/<agent>.ics`` and, unless ``plots`` is
    False, ``plots/*.png``. With ``forecast`` and ``goals`` the key figures include
    the predicted service level, and the forecast and goals are kept as
    ``forecast.csv`` and ``goals.yaml`` so that ``fts report`` can redo it.

    Returns
    -------
    dict of str to Path
        Every file written, by a short name.
    """
    goals = None if goals is None else tuple(goals)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    k = compute_kpis(problem, roster, forecast=forecast, goals=goals)
    paths: dict[str, Path] = {}
    if roster_files:
        paths["problem"] = write_problem(problem, out / "problem.json")
        paths.update(write_roster(roster, out))
    if forecast is not None and goals is not None:
        import yaml

        paths["forecast"] = out / "forecast.csv"
        _text_frame(forecast).to_csv(paths["forecast"], index=False)
        paths["goals"] = out / "goals.yaml"
        paths["goals"].write_text(
            yaml.safe_dump({"goals": [g.model_dump(mode="json", exclude_none=True) for g in goals]}, sort_keys=False),
            encoding="utf-8",
        )
    paths.update({f"kpi_{n}": p for n, p in write_kpis_csv(k, out).items()})
    paths["xlsx"] = write_excel(problem, roster, out / "roster.xlsx", kpis=k)
    paths["json"] = write_json(problem, roster, out / "result.json", kpis=k)
    paths.update({f"ics_{a}": p for a, p in write_ics(problem, roster, out / "ics", stamp=stamp).items()})
    if plots:
        paths.update({f"png_{n}": p for n, p in write_plots(problem, roster, out / "plots", kpis=k, goals=goals).items()})
    return paths
