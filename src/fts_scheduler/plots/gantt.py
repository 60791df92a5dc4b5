"""One site's shifts per agent in the site's local time."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from ._style import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..models import Problem
    from ..roster import Roster


def gantt(problem: Problem, roster: Roster, site: str, ax: Axes | None = None) -> Axes:
    """Every shift of ``site``'s agents as a bar, on the site's local clock.

    Parameters
    ----------
    problem, roster
        The problem and its roster.
    site
        Name of a site of the problem.
    ax
        Axes to draw on; a new figure's when None (its height grows with the
        site's head count).

    Returns
    -------
    matplotlib.axes.Axes
        One row per agent of the site (those without a shift too), one bar per
        shift coloured by template, over whole local days with the UTC horizon's
        edges dashed; local weekends shaded, the agent's unavailable local dates
        hatched grey. Bars are placed by their real (UTC) instants and
        the axis is labelled in the site's zone, so a shift across a DST change is
        drawn with its real length.
    """
    from matplotlib import colormaps
    from matplotlib import dates as mdates
    from matplotlib.patches import Patch

    s = problem.site(site)  # KeyError names an unknown site
    zone = s.zone
    agents = sorted((a for a in problem.agents if a.site == site), key=lambda a: a.id)
    rows = {a.id: i for i, a in enumerate(agents)}
    shifts = roster.assignments[roster.assignments["site"] == site]
    templates = [t.name for t in problem.shift_templates]
    cmap = colormaps["tab10"]
    colors = {name: cmap(i % cmap.N) for i, name in enumerate(templates)}

    ax = new_axes(ax, (14, 0.22 * len(agents) + 1.8))
    # Local days of the horizon, from the UTC window seen on the site's clock.
    first = problem.grid_start_utc.astimezone(zone).date()
    last = problem.grid_end_utc.astimezone(zone).date()
    day, days = first, []
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=1)

    def at(day: dt.date) -> float:
        return mdates.date2num(dt.datetime.combine(day, dt.time(0), tzinfo=zone))

    weekend = set(getattr(s.rules, "weekend_days", (5, 6)))
    for d in days:
        if d.weekday() in weekend:
            ax.axvspan(at(d), at(d + dt.timedelta(days=1)), color="0.93", zorder=0)
    for a in agents:
        off = [(at(d), at(d + dt.timedelta(days=1)) - at(d)) for d in a.unavailable if first <= d <= last]
        if off:
            ax.broken_barh(off, (rows[a.id] - 0.4, 0.8), facecolor="none", edgecolor="0.6", hatch="///", lw=0)
    for template, part in shifts.groupby("shift"):
        for r in part.itertuples(index=False):
            x0 = mdates.date2num(pd.Timestamp(r.start_utc).to_pydatetime())
            x1 = mdates.date2num(pd.Timestamp(r.end_utc).to_pydatetime())
            ax.broken_barh([(x0, x1 - x0)], (rows[r.agent_id] - 0.35, 0.7), color=colors.get(template, "0.5"))

    # Whole local days, with the UTC horizon's edges marked: a site far from UTC starts
    # and ends the horizon in the middle of its local day.
    ax.set_xlim(at(first), at(last + dt.timedelta(days=1)))
    for edge in (problem.grid_start_utc, problem.grid_end_utc):
        ax.axvline(mdates.date2num(edge), color="0.3", ls="--", lw=0.8)
    ax.set_ylim(len(agents) - 0.5, -0.5)
    ax.set_yticks(range(len(agents)), [a.id for a in agents], fontsize=7)
    ax.xaxis.set_major_locator(mdates.DayLocator(tz=zone))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b", tz=zone))
    ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=[6, 12, 18], tz=zone))
    ax.grid(axis="x", which="major", alpha=0.4)
    ax.set_xlabel(f"local time ({s.timezone}); dashed: the UTC horizon, shaded: weekend, hatched: unavailable")
    ax.set_title(f"{site}: shifts per agent")
    used = [t for t in templates if t in set(shifts["shift"])]
    ax.legend(
        handles=[Patch(color=colors[t], label=t) for t in used],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        title="shift",
    )
    return ax
