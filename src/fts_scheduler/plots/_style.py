"""What the plots share: new axes when none is given, and stable colours per site."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..models import Problem


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax`` itself, or the axes of a new pyplot figure of ``size`` [in]."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when asked for a figure: pyplot picks a backend

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def site_colors(problem: Problem) -> dict[str, tuple[float, float, float, float]]:
    """One colour per site, in the problem's site order, the same in every plot."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {s.name: cmap(i % cmap.N) for i, s in enumerate(problem.sites)}


def naive_utc(times):
    """tz-aware UTC times as naive datetime64 (matplotlib draws them in its UTC default)."""
    import pandas as pd

    return pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None).to_numpy()
