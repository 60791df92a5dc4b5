"""Plots: each draws what its docstring says, on the axes given or on new ones.

Rosters are built by hand (``roster_of`` from ``test_reports``), so the drawn values
can be compared with known numbers. Figures are drawn with the Agg backend.
"""

from __future__ import annotations

import datetime as dt

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")  # before pyplot: no display in tests

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fts_scheduler import Requirement, plots  # noqa: E402
from fts_scheduler.requirements import ChannelGoal  # noqa: E402
from test_reports import SAT, roster_of, three_sites  # noqa: E402

MONDAY = dt.date(2026, 10, 26)


@pytest.fixture
def ax():
    fig = Figure()
    return fig.subplots()


@pytest.fixture(autouse=True)
def _close_pyplot():
    yield
    plt.close("all")


def _problem_with_requirement():
    return three_sites(requirements=(Requirement(language="en", agents=tuple([1] * 30 + [3] * 12 + [1] * 30)),))


def test_follow_the_sun_stacks_sites_to_the_staffed_total(ax):
    p = _problem_with_requirement()
    shifts = [("D2", "early", MONDAY), ("D1", "early", MONDAY), ("M1", "early", MONDAY), ("A1", "early", MONDAY)]
    roster = roster_of(p, shifts, split={"D1": "en"})
    out = plots.follow_the_sun(p, roster, "en", ax=ax)
    assert out is ax
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["Dublin", "Manila", "Austin", "requirement", "floor"]  # the problem's site order
    cov = roster.coverage[roster.coverage["language"] == "en"]
    # the top layer's upper edge is the staffed total
    top = ax.collections[-1].get_paths()[0].vertices[:, 1]
    assert top.max() == cov["staffed"].max() == 3
    requirement = next(line for line in ax.get_lines() if line.get_label() == "requirement")
    assert list(requirement.get_ydata()[:-1]) == list(cov["required"])
    floor = next(line for line in ax.get_lines() if line.get_label() == "floor")
    assert set(floor.get_ydata()) == {1}


def test_follow_the_sun_layers_are_the_site_attribution(ax):
    p = _problem_with_requirement()
    # Dublin's Sunday night runs 22:00-06:00 UTC, Manila's Monday late shift 06:00-14:00 UTC.
    roster = roster_of(p, [("D2", "night", dt.date(2026, 10, 25)), ("M1", "late", MONDAY)])
    plots.follow_the_sun(p, roster, "en", ax=ax)
    assert ax.get_legend_handles_labels()[1][:2] == ["Dublin", "Manila"]
    manila = ax.collections[1].get_paths()[0].vertices  # stacked on Dublin's layer

    def edges_at(hhmm: str) -> set[float]:
        x = mdates.date2num(pd.Timestamp(f"2026-10-26 {hhmm}").to_pydatetime())
        return set(manila[np.isclose(manila[:, 0], x, rtol=0, atol=1e-6), 1])

    assert edges_at("03:00") == {1.0}  # Dublin's 1 below, Manila none: a layer of no height
    assert edges_at("07:00") == {0.0, 1.0}  # Dublin none, Manila 1


def test_follow_the_sun_makes_its_own_axes_and_refuses_unknown_language():
    p = _problem_with_requirement()
    roster = roster_of(p, [("D2", "early", MONDAY)])
    out = plots.follow_the_sun(p, roster, "en")
    assert out.figure is not None and out.get_title().startswith("en")
    with pytest.raises(ValueError, match="'ja'"):
        plots.follow_the_sun(p, roster, "ja")


def test_gap_heatmap_is_staffed_minus_required_per_utc_day_and_hour(ax):
    p = _problem_with_requirement()
    roster = roster_of(p, [("D2", "early", MONDAY)])  # 06:00-14:00 UTC on Monday
    plots.gap_heatmap(roster, language="en", ax=ax)
    grid = np.asarray(ax.images[0].get_array())
    assert grid.shape == (3, 24)
    # Sat: 1 required, nobody -> -1; Sun: 3 required 06:00-18:00 UTC, 1 otherwise
    assert (grid[0] == -1).all()
    assert (grid[1, :6] == -1).all() and (grid[1, 6:18] == -3).all() and (grid[1, 18:] == -1).all()
    # Monday: required 1 from 00:00, the early shift 06:00-14:00 UTC (GMT) brings 1
    assert (grid[2, :6] == -1).all() and (grid[2, 6:14] == 0).all() and (grid[2, 14:] == -1).all()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Sat 24 Oct", "Sun 25 Oct", "Mon 26 Oct"]


def test_gap_heatmap_sums_languages_when_none_is_given(ax):
    p = three_sites()
    roster = roster_of(p, [("D1", "early", MONDAY), ("D3", "early", MONDAY)])
    plots.gap_heatmap(roster, ax=ax)
    grid = np.asarray(ax.images[0].get_array())
    assert grid[2, 6] == 2  # no requirement: one en + one de staffed


def test_gantt_draws_each_shift_at_its_real_length_in_local_time(ax):
    p = three_sites()
    roster = roster_of(p, [("D2", "night", SAT), ("D1", "early", MONDAY), ("M1", "early", SAT)])
    plots.gantt(p, roster, "Dublin", ax=ax)
    widths = []
    for c in ax.collections:
        for path in c.get_paths():
            xs = path.vertices[:, 0]
            widths.append(round((xs.max() - xs.min()) * 24, 3))
    assert 9.0 in widths and 8.0 in widths  # the DST night is 9 real hours, the early shift 8
    assert [t.get_text() for t in ax.get_yticklabels()] == ["D1", "D2", "D3"]
    assert "Europe/Dublin" in ax.get_xlabel()
    with pytest.raises(KeyError):
        plots.gantt(p, roster, "Atlantis", ax=ax)


def test_service_level_plots_each_language_against_the_goal(ax):
    goal = ChannelGoal(channel="phone", target_s=20, service_level=0.8)
    t = pd.date_range("2026-10-26", periods=4, freq="30min", tz="UTC")
    kpis = pd.DataFrame(
        {
            "interval_start_utc": list(t) * 2,
            "language": ["en"] * 4 + ["es"] * 4,
            "service_level": [0.9, 0.85, np.nan, 0.7, 0.5, 0.6, 0.9, 0.95],
        }
    )
    plots.service_level(kpis, goal, ax=ax)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"en", "es", "goal: 80% in 20 s"}
    assert list(lines["es"].get_ydata()) == [0.5, 0.6, 0.9, 0.95]
    assert set(lines["goal: 80% in 20 s"].get_ydata()) == {0.8}
    with pytest.raises(ValueError, match="service_level"):
        plots.service_level(kpis.drop(columns="service_level"), goal, ax=ax)


def test_service_level_breaks_the_line_where_rows_are_missing(ax):
    goal = ChannelGoal(channel="phone", target_s=20, service_level=0.8)
    t = pd.date_range("2026-10-26", periods=6, freq="30min", tz="UTC")
    kpis = pd.DataFrame({"interval_start_utc": t[[0, 1, 4, 5]], "language": "fr", "service_level": [0.9, 0.8, 0.7, 0.6]})
    plots.service_level(kpis, goal, ax=ax)
    line = next(line for line in ax.get_lines() if line.get_label() == "fr")
    ys = np.asarray(line.get_ydata(), dtype=float)
    assert len(ys) == 6 and np.isnan(ys[2:4]).all()  # no line across the two missing intervals
