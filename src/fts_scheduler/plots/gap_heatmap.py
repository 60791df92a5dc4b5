"""Staffed minus required as a day-by-hour heat map."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._style import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..roster import Roster


def gap_heatmap(roster: Roster, language: str | None = None, ax: Axes | None = None) -> Axes:
    """Where the roster is short or over: staffed - required by UTC day and hour.

    Parameters
    ----------
    roster
        A roster.
    language
        One language's gap; None sums the gaps of every language (a shortage in one
        language and a surplus in another then cancel: pass a language to see it).
    ax
        Axes to draw on; a new figure's when None.

    Returns
    -------
    matplotlib.axes.Axes
        UTC dates down, UTC hours across; each cell the mean over the hour's
        intervals of staffed - required [agents], red where short and blue where
        over, on a scale symmetric around 0; a colour bar beside it.
    """
    from matplotlib.colors import TwoSlopeNorm

    cov = roster.coverage
    if language is not None:
        cov = cov[cov["language"] == language]
        if cov.empty:
            raise ValueError(f"language {language!r} is not in the roster's coverage")
    gap = (cov["staffed"] - cov["required"]).groupby(cov["interval_start_utc"]).sum()
    times = pd.DatetimeIndex(gap.index).tz_convert("UTC")
    frame = pd.DataFrame({"day": times.normalize().date, "hour": times.hour, "gap": gap.to_numpy()})
    grid = frame.pivot_table(index="day", columns="hour", values="gap", aggfunc="mean").reindex(columns=range(24))

    ax = new_axes(ax, (10, 0.35 * len(grid) + 1.5))
    limit = float(np.nanmax(np.abs(grid.to_numpy()))) if grid.size else 1.0
    limit = max(limit, 1.0)
    image = ax.imshow(
        grid.to_numpy(dtype=float),
        aspect="auto",
        cmap="RdBu",
        norm=TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit),
        interpolation="nearest",
    )
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_yticks(range(len(grid)), [f"{d:%a %d %b}" for d in grid.index])
    ax.set_xlabel("hour (UTC)")
    what = language if language is not None else "all languages"
    ax.set_title(f"Staffed - required ({what}), mean per hour")
    ax.figure.colorbar(image, ax=ax, label="agents (red: short, blue: over)")
    return ax
