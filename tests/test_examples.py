"""Every script in examples/ runs (smoke tests, short time limits), and the docs cover the API.

The scripts run in this process through :mod:`runpy`, as ``python examples/X.py``
would run them, on the small tutorial problem (the demo takes tens of seconds to a
first roster) so the whole file stays well under a minute.
"""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import matplotlib
import pytest

import fts_scheduler

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str) -> None:
    argv = sys.argv
    sys.argv = [str(EXAMPLES / name), *args]
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        sys.argv = argv


TUTORIAL = str(EXAMPLES / "tutorial" / "problem.yaml")


def test_follow_the_sun_tutorial(tmp_path, capsys):
    run_example("follow_the_sun.py", "--out", str(tmp_path), "--problem", TUTORIAL, "--time-limit", "10")
    assert {p.name for p in tmp_path.glob("*.png")} == {"follow_the_sun_en.png", "follow_the_sun_es.png"}
    out = capsys.readouterr().out
    assert "language floors met in every interval: yes" in out
    assert re.search(r"es: agent-intervals by site Austin \d+%", out)


def test_staffing_from_forecast_writes_the_workbook(tmp_path, capsys):
    run_example("staffing_from_forecast.py", "--out", str(tmp_path), "--time-limit", "10")
    assert (tmp_path / "roster.xlsx").stat().st_size > 0
    out = capsys.readouterr().out
    assert "peak_agents" in out and "service_level" in out


def test_export_for_hr_tool(tmp_path):
    run_example("export_for_hr_tool.py", "--out", str(tmp_path), "--time-limit", "10")
    import pandas as pd

    hr = pd.read_csv(tmp_path / "hr_shifts.csv")
    assert list(hr.columns) == [
        "employee_id", "site", "date", "start", "end", "utc_offset", "timezone", "paid_hours", "night", "weekend",
        "public_holiday",
    ]  # fmt: skip
    assert set(hr["timezone"]) == {"Asia/Manila", "Europe/Dublin", "America/Chicago"}
    assert len(list((tmp_path / "ics").glob("*.ics"))) == 25
    assert (tmp_path / "result.json").exists()


def test_make_gallery(tmp_path):
    run_example("make_gallery.py", "--out", str(tmp_path), "--problem", TUTORIAL, "--time-limit", "10")
    names = {p.name for p in tmp_path.glob("*.png")}
    assert names == {
        "follow_the_sun_en.png", "follow_the_sun_es.png", "gap_heatmap.png", "gantt_dublin.png", "service_level_phone.png",
    }  # fmt: skip


def test_gallery_page_shows_every_image_of_the_demo():
    drawn = {"follow_the_sun_en", "follow_the_sun_es", "follow_the_sun_ja", "gap_heatmap", "gantt_dublin", "service_level_phone"}
    gallery = (ROOT / "docs" / "gallery.md").read_text()
    for name in drawn:
        assert f"images/{name}.png" in gallery
        assert (ROOT / "docs" / "images" / f"{name}.png").exists()


@pytest.mark.parametrize(
    "module",
    ["fts_scheduler", "reports", "plots", "exports", "io", "cells", "outputs", "requirements", "erlang", "replanning", "parallel",
     "decomposition"],
)
def test_api_reference_lists_every_public_name(module):
    mod = fts_scheduler if module == "fts_scheduler" else getattr(__import__(f"fts_scheduler.{module}"), module)
    text = (ROOT / "docs" / "api.md").read_text()
    prefix = "" if module == "fts_scheduler" else f"{module}."
    missing = [name for name in mod.__all__ if f"`{prefix}{name}" not in text]
    assert not missing, f"docs/api.md lacks {module}: {missing} (run: python docs/make_api.py)"
