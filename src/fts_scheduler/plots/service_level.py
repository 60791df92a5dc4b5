"""Predicted service level per interval against a channel goal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ._style import naive_utc, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def service_level(kpis: pd.DataFrame, goal, ax: Axes | None = None) -> Axes:
    """Predicted service level at the staffed level, one line per language, against ``goal``.

    Parameters
    ----------
    kpis
        :func:`fts_scheduler.reports.interval_kpis` computed with a forecast and goals
        (it has a ``service_level`` column), or :attr:`fts_scheduler.reports.Kpis.intervals`.
    goal
        The :class:`~fts_scheduler.requirements.ChannelGoal` to draw: its
        ``service_level`` [share] within ``target_s`` [s].
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    matplotlib.axes.Axes
        Time [UTC] across, service level [%] up, one step line per language (per
        interval; several rows of one interval, e.g. channels, are averaged); gaps
        where there is no value, also where rows are missing; the goal as a dashed
        horizontal line.
    """
    from matplotlib import dates as mdates
    from matplotlib.ticker import PercentFormatter

    if "service_level" not in kpis:
        raise ValueError("kpis has no service_level column: compute interval_kpis with forecast and goals")
    ax = new_axes(ax, (14, 4))
    times = pd.DatetimeIndex(kpis["interval_start_utc"].drop_duplicates()).sort_values()
    step = times.to_series().diff().min() if len(times) > 1 else pd.Timedelta(minutes=30)
    # Every interval of the span, so hours without contacts break the line instead of bridging it.
    grid = pd.date_range(times.min(), times.max(), freq=step) if len(times) else times
    for language, part in kpis.groupby("language"):
        series = part.groupby("interval_start_utc")["service_level"].mean().reindex(grid)
        if series.notna().any():
            ax.plot(naive_utc(grid), series.to_numpy(), lw=0.9, drawstyle="steps-post", label=language)
    ax.axhline(goal.service_level, color="black", ls="--", lw=1, label=f"goal: {goal.service_level:.0%} in {goal.target_s:g} s")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b"))
    ax.grid(alpha=0.3)
    ax.set_xlabel("UTC")
    ax.set_ylabel("predicted service level")
    ax.set_title(f"Predicted service level at the staffed level ({goal.channel} goal)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax
