"""Staffed agents of one language over the UTC timeline, stacked by site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._style import naive_utc, new_axes, site_colors

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..models import Problem
    from ..roster import Roster


def follow_the_sun(problem: Problem, roster: Roster, language: str, ax: Axes | None = None) -> Axes:
    """Who serves ``language`` around the clock: staffed agents by site, with floor and requirement.

    The stacked areas sum, in every interval, to ``Roster.coverage``'s ``staffed``
    for the language: each agent on shift counted once, for one language. The
    coverage split says how many agents serve each language but not from which site,
    so the areas use :func:`fts_scheduler.reports.staffed_by_site`, which attributes
    the split to sites exactly (a multilingual agent appears under the language the
    split gives them, never under two).

    Parameters
    ----------
    problem, roster
        The problem and its roster.
    language
        ISO 639-1 code of a language with a floor or a requirement.
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    matplotlib.axes.Axes
        Time [UTC] across, agents up: one filled step area per site (problem order,
        bottom up), the requirement as a black step line and the floor as a red
        dashed one.
    """
    from matplotlib import dates as mdates

    from ..reports import staffed_by_site

    cov = roster.coverage[roster.coverage["language"] == language].sort_values("interval_start_utc")
    if cov.empty:
        raise ValueError(f"language {language!r} is not in the roster's coverage (has {sorted(roster.coverage['language'].unique())})")
    by_site = staffed_by_site(problem, roster)
    by_site = by_site[by_site["language"] == language]
    table = by_site.pivot(index="interval_start_utc", columns="site", values="staffed")
    sites = [s.name for s in problem.sites if table[s.name].any()]
    starts = pd.DatetimeIndex(cov["interval_start_utc"])
    step = pd.Timedelta(minutes=problem.interval_minutes)
    # Step plots need the right edge of the last interval, or it would not be drawn.
    edges = naive_utc(starts.append(pd.DatetimeIndex([starts[-1] + step])))

    def extend(values: np.ndarray) -> np.ndarray:
        return np.append(values, values[-1])

    ax = new_axes(ax, (14, 4.5))
    colors = site_colors(problem)
    layers = [extend(table.loc[starts, s].to_numpy()) for s in sites]
    if layers:
        fills = [colors[s] for s in sites]
        # An edge in the fill's own colour closes the anti-aliasing seams that a two-week
        # grid of half-hour steps (under 2 pixels each) would otherwise show as white lines.
        ax.stackplot(edges, *layers, labels=sites, colors=fills, edgecolor=fills, lw=0.4, step="post")
    ax.step(edges, extend(cov["required"].to_numpy()), where="post", color="black", lw=1.2, label="requirement")
    ax.step(edges, extend(cov["floor"].to_numpy()), where="post", color="tab:red", lw=1.2, ls="--", label="floor")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b"))
    ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=[6, 12, 18]))
    ax.grid(axis="x", which="major", alpha=0.3)
    ax.set_xlabel("UTC")
    ax.set_ylabel("agents")
    ax.set_title(f"{language}: staffed agents by site, floor and requirement")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax
