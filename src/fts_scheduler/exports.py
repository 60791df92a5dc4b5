"""Exports for the people and tools after the solve: CSV, Excel, iCalendar, JSON, PNG.

* :func:`write_kpis_csv` -- every key-figure table as CSV.
* :func:`write_excel` -- one workbook: headline figures, sites, agents, one sheet of
  shifts per site in the site's local time, coverage per interval.
* :func:`agent_calendar`, :func:`write_ics` -- one iCalendar file per agent, times
  in the site's IANA zone, and ``index.csv`` naming each agent's file.
* :func:`write_json` -- the whole result in one JSON document.
* :func:`write_plots` -- the standard charts as PNG.
* :func:`write_report` -- all of the above and the roster's own files into one
  directory (what ``fts solve`` and ``fts report`` write).

Ids and names are the users' own text: every CSV cell goes through
:func:`fts_scheduler.cells.write_csv` (an apostrophe before text that would open as
a formula), no workbook cell is a formula, calendars refuse text that could end a
line, and file names come from :func:`_file_stems` (distinct, also on file systems
that ignore case).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import icalendar
import numpy as np
import pandas as pd

from .cells import map_text, needs_apostrophe, write_csv
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
ICS_INDEX = "index.csv"
"""The file beside the calendars that maps each agent id to its calendar's file name."""

# 64 characters of slug, 9 of hash and a prefix such as "gantt_" stay far below the
# 255 bytes a file name may have.
_SLUG_CHARS = 64
_HASH_DIGITS = 8
_ALL_DIGITS = 64  # the whole SHA-256, for the stems whose 8 digits clash
# Windows refuses these as file names whatever the extension or the case.
_WINDOWS_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?", re.IGNORECASE)


def _slug(text: str) -> str:
    """A file-name-safe form of a site, language or agent name (ASCII letters, digits, ``._-``)."""
    # No leading dot (a hidden file, or "..") and no leading dash (an option to a shell command).
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:_SLUG_CHARS] or "x"


def _file_stems(names: Iterable[str]) -> dict[str, str]:
    """A distinct file-name stem per name, the same from run to run.

    A name that is its own slug (``MAN-001``) is its own stem, so plain ids keep plain
    file names. Any other name gets its slug and 8 hex digits of its SHA-256
    (``a/b`` -> ``a_b-<hash>``, ``李`` -> ``x-<hash>``), so two names with one slug no
    longer share a file. Names whose stems would differ only in case (``Ab`` and
    ``ab``: one file on macOS and Windows) or equal a hashed stem get the hash too,
    and stems whose 8 digits clash get the whole digest.
    """
    names = list(dict.fromkeys(names))
    digits = {n: 0 if _slug(n) == n and not _WINDOWS_DEVICE.fullmatch(n) else _HASH_DIGITS for n in names}
    while True:
        stems = {n: _stem(n, digits[n]) for n in names}
        by_folded: defaultdict[str, list[str]] = defaultdict(list)
        for n, stem in stems.items():
            by_folded[stem.lower()].append(n)  # stems are ASCII: lower() is the file systems' case folding
        clashing = [n for group in by_folded.values() if len(group) > 1 for n in group]
        if not clashing:
            return stems
        if all(digits[n] == _ALL_DIGITS for n in clashing):  # pragma: no cover - a SHA-256 collision
            raise ValueError(f"no distinct file names for {clashing[:2]!r}")
        for n in clashing:
            digits[n] = _HASH_DIGITS if digits[n] == 0 else _ALL_DIGITS


def _stem(name: str, digits: int) -> str:
    slug = _slug(name)
    if not digits:
        return slug
    return f"{slug}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:digits]}"


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

    Times are ISO 8601 with their UTC offset (``start_local`` keeps the site's). Text
    that would open as a formula gets a leading apostrophe (:mod:`fts_scheduler.cells`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in kpis.frames().items():
        paths[name] = write_csv(_text_frame(frame), out / f"kpi_{name}.csv")
    return paths


# --------------------------------------------------------------------------- Excel


def _sheet_name(text: str, taken: set[str]) -> str:
    # Excel: at most 31 UTF-16 units, none of []:*?/\ , no apostrophe at either end,
    # unique ignoring case.
    base = re.sub(r"[\[\]:*?/\\]", "_", _xml_text(text)).strip("' ")
    name, k = _utf16_head(base, 31), 2
    while name.casefold() in taken:
        suffix = f" ({k})"
        name, k = _utf16_head(base, 31 - len(suffix)).rstrip("' ") + suffix, k + 1
    taken.add(name.casefold())
    return name


def _utf16_head(text: str, units: int) -> str:
    """The longest start of ``text`` of at most ``units`` UTF-16 code units (what Excel counts)."""
    while len(text.encode("utf-16-le")) > 2 * units:
        text = text[:-1]
    return text


# Characters XML 1.0 cannot hold: a workbook with one of them does not open.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: Any) -> Any:
    """Text with the characters a workbook cannot hold replaced by U+FFFD; other values unchanged."""
    return _XML_ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value


def _keep_text(ws) -> None:
    """Make every cell of ``ws`` that a spreadsheet would take for a formula a text cell.

    openpyxl stores text that begins with ``=`` as a formula, and Excel turns text that
    begins with ``+``, ``-`` or ``@`` into one when the cell is edited; the quote prefix
    (what typing an apostrophe first does in Excel) keeps the value as it is, as text.
    """
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and needs_apostrophe(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


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

    Ids and names stay text: no cell is a formula, and those that begin with ``=``,
    ``+``, ``-``, ``@`` or an apostrophe carry Excel's quote prefix, so that editing
    them does not make them one. Characters XML cannot hold (U+FFFE, U+FFFF) show as
    U+FFFD.

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
            frame = map_text(frame, _xml_text)
            frame.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            _keep_text(ws)
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
    cal.add("x-wr-calname", _calendar_text(f"Shifts {agent_id} ({site.name})"))
    cal.add("x-wr-timezone", site.timezone)
    shifts = roster.assignments[roster.assignments["agent_id"] == agent_id]
    breaks = roster.breaks[roster.breaks["agent_id"] == agent_id] if len(roster.breaks) else roster.breaks
    for r in shifts.sort_values("start_utc", key=lambda c: c.map(lambda t: pd.Timestamp(t).value)).itertuples(index=False):
        start = pd.Timestamp(r.start_utc).to_pydatetime().astimezone(zone)
        end = pd.Timestamp(r.end_utc).to_pydatetime().astimezone(zone)
        event = icalendar.Event()
        event.add("uid", _calendar_text(f"{agent_id}-{pd.Timestamp(r.start_utc):%Y%m%dT%H%M%SZ}@fts-scheduler"))
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", _calendar_text(f"{r.shift} shift, {site.name}"))
        lines = [f"{r.hours:g} h, {start:%H:%M}-{end:%H:%M} {site.timezone}"]
        if len(breaks):
            mine = breaks[(breaks["start_utc"] >= r.start_utc) & (breaks["end_utc"] <= r.end_utc)]
            for b in mine.itertuples(index=False):
                b0 = pd.Timestamp(b.start_utc).to_pydatetime().astimezone(zone)
                b1 = pd.Timestamp(b.end_utc).to_pydatetime().astimezone(zone)
                lines.append(f"{b.kind} {b0:%H:%M}-{b1:%H:%M}")
        event.add("description", _calendar_text(*lines))
        categories = icalendar.vCategory([])
        categories.cats = [_calendar_text(r.shift)]  # vCategory([...]) would make each a plain vText again
        event.add("categories", categories)
        cal.add_component(event)
    # Transitions from a year before the horizon to a year after: the whole 1970-2038
    # default is 20 times larger and slower, for dates no event has.
    first = dt.date(problem.start_date.year - 1, 1, 1)
    last = dt.date(problem.start_date.year + problem.days // 365 + 2, 1, 1)
    vtimezone = _vtimezone(site.timezone, first, last)
    if vtimezone is not None:
        cal.subcomponents.insert(0, vtimezone)  # before the events that refer to it
    return cal


class _Text(icalendar.vText):
    """A TEXT value escaped as RFC 5545 (section 3.3.11) says.

    icalendar's own escaping takes a backslash before a capital N for a line break, so
    an id such as ``ops\\North`` would come back from its calendar broken in two.
    """

    def to_ical(self) -> bytes:
        text = str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        return text.encode(self.encoding)


def _calendar_text(*lines: str) -> _Text:
    """``lines`` as one TEXT value of a calendar; a ValueError if one holds a character that could end a line.

    Control characters and the Unicode line and paragraph separators have no escape
    in RFC 5545, and some calendar programs end a content line at them: the rest of
    the text would be read as properties of its own.
    """
    for line in lines:
        for i, ch in enumerate(line):
            if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
                raise ValueError(
                    f"calendar text {line[:40]!r} holds U+{ord(ch):04X} at position {i}, "
                    "a control character or line separator that no calendar line may hold"
                )
    return _Text("\n".join(lines))


@functools.lru_cache(maxsize=64)
def _vtimezone(zone: str, first: dt.date, last: dt.date):
    """The ``VTIMEZONE`` of an IANA zone from the tz database (icalendar >= 6.1), built once."""
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
    """Write one ``.ics`` per agent (every agent of the problem, or ``agents``) and ``index.csv`` into ``out_dir``.

    An id that is a plain file name (ASCII letters, digits, ``._-``) names its file
    (``MAN-001.ics``); any other id, and ids that differ only in case, get a file
    name made of the id's safe characters and a hash of the id (``a/b`` ->
    ``a_b-<8 hex digits>.ics``), the same in every run. ``index.csv`` (columns
    ``agent_id``, ``file``) lists the calendars written. An agent without a shift
    gets a calendar without events, so importing it clears what an earlier roster
    put there. See :func:`agent_calendar`.

    Returns
    -------
    dict of str to Path
        Each agent's calendar, by agent id.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = stamp or dt.datetime.now(dt.UTC)
    ids = [a.id for a in problem.agents] if agents is None else list(agents)
    # Stems over every agent of the problem: a calendar written alone keeps its name.
    stems = _file_stems([*(a.id for a in problem.agents), *ids])
    paths = {}
    for agent_id in ids:
        calendar = agent_calendar(problem, roster, agent_id, stamp=stamp).to_ical()
        paths[agent_id] = out / f"{stems[agent_id]}.ics"
        paths[agent_id].write_bytes(calendar)
    write_csv(pd.DataFrame({"agent_id": list(paths), "file": [p.name for p in paths.values()]}), out / ICS_INDEX)
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
    ``gantt_<site>.png`` per site (the site's name made a file name as
    :func:`write_ics` does with agent ids), and with ``kpis`` holding a forecast and ``goals``
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
    stems = _file_stems(site.name for site in problem.sites)
    for site in problem.sites:
        n = sum(1 for a in problem.agents if a.site == site.name)
        fig = Figure(figsize=(14, 0.22 * n + 1.8), layout="constrained")
        plots.gantt(problem, roster, site.name, ax=fig.subplots())
        save(f"gantt_{stems[site.name]}", fig)
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
    ``roster.xlsx``, ``result.json``, ``ics/<agent>.ics`` with ``ics/index.csv`` (see
    :func:`write_ics` for the file names) and, unless ``plots`` is False,
    ``plots/*.png``. With ``forecast`` and ``goals`` the key figures include
    the predicted service level, and the forecast and goals are kept as
    ``forecast.csv`` and ``goals.yaml`` so that ``fts report`` can redo it.

    Returns
    -------
    dict of str to Path
        Every file written, each once, by a short name (``ics_<file name>`` for the
        calendars and their index).
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

        paths["forecast"] = write_csv(_text_frame(forecast), out / "forecast.csv")
        paths["goals"] = out / "goals.yaml"
        paths["goals"].write_text(
            yaml.safe_dump({"goals": [g.model_dump(mode="json", exclude_none=True) for g in goals]}, sort_keys=False),
            encoding="utf-8",
        )
    paths.update({f"kpi_{n}": p for n, p in write_kpis_csv(k, out).items()})
    paths["xlsx"] = write_excel(problem, roster, out / "roster.xlsx", kpis=k)
    paths["json"] = write_json(problem, roster, out / "result.json", kpis=k)
    calendars = write_ics(problem, roster, out / "ics", stamp=stamp)
    for p in [*calendars.values(), out / "ics" / ICS_INDEX]:
        paths[f"ics_{p.name}"] = p
    if plots:
        paths.update({f"png_{n}": p for n, p in write_plots(problem, roster, out / "plots", kpis=k, goals=goals).items()})
    return paths
