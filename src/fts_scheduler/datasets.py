"""Named, seeded scenarios for demos, tests and benchmarks.

``demo_problem()`` is the built-in follow-the-sun scenario: five sites (Manila, Tokyo,
Dublin, São Paulo, Austin), about 120 agents, two weeks from Monday 2026-10-19 on a
30-minute grid. The horizon holds Dublin's return to winter time (Sunday 25 October
2026, 02:00 IST -> 01:00 GMT) and Austin's (Sunday 1 November 2026, 02:00 CDT -> 01:00
CST), so the demo always exercises a 25-hour local day at two sites.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .models import (
    Agent,
    Contract,
    LanguageFloor,
    Problem,
    Requirement,
    ShiftTemplate,
    Site,
)

__all__ = ["demo_problem", "DEMO_START"]

DEMO_START = dt.date(2026, 10, 19)

FULL_TIME = Contract(name="full-time", min_weekly_hours=32, max_weekly_hours=40)
PART_TIME = Contract(name="part-time", min_weekly_hours=16, max_weekly_hours=24)


@dataclass(frozen=True)
class _SiteSpec:
    site: Site
    headcount: int
    hourly_cost: float  # [currency/h], one reporting currency in this slice
    # (language, share of the site's agents who speak it besides the first language)
    first_language: str
    second_languages: tuple[tuple[str, float], ...]
    part_time_share: float


_SITES = (
    _SiteSpec(Site(name="Manila", timezone="Asia/Manila", country="PH"), 36, 9.0, "en", (("es", 0.12), ("ja", 0.08)), 0.15),
    _SiteSpec(Site(name="Tokyo", timezone="Asia/Tokyo", country="JP"), 14, 22.0, "ja", (("en", 0.45),), 0.2),
    _SiteSpec(
        Site(name="Dublin", timezone="Europe/Dublin", country="IE"),
        30,
        24.0,
        "en",
        (("de", 0.27), ("fr", 0.27), ("es", 0.2), ("pt", 0.07)),
        0.15,
    ),
    _SiteSpec(Site(name="Sao Paulo", timezone="America/Sao_Paulo", country="BR"), 20, 11.0, "pt", (("es", 0.6), ("en", 0.4)), 0.15),
    _SiteSpec(Site(name="Austin", timezone="America/Chicago", country="US"), 20, 26.0, "en", (("es", 0.5),), 0.15),
)

_TEMPLATES = (
    ShiftTemplate(name="early", start=dt.time(6), length_hours=8),
    ShiftTemplate(name="day", start=dt.time(8), length_hours=8),
    ShiftTemplate(name="mid", start=dt.time(11), length_hours=8),
    ShiftTemplate(name="late", start=dt.time(14), length_hours=8),
    ShiftTemplate(name="evening", start=dt.time(16), length_hours=8, sites=("Manila", "Sao Paulo", "Austin")),
    ShiftTemplate(name="night", start=dt.time(22), length_hours=8, sites=("Manila", "Dublin", "Sao Paulo", "Austin")),
)

_FLOORS = (
    LanguageFloor(language="en", agents=2),
    LanguageFloor(language="es", agents=1),
    LanguageFloor(language="ja", agents=2, site="Tokyo", start=dt.time(9), end=dt.time(18)),
    LanguageFloor(language="pt", agents=2, site="Sao Paulo", start=dt.time(8), end=dt.time(20)),
    LanguageFloor(language="de", agents=1, site="Dublin", start=dt.time(8), end=dt.time(18)),
    LanguageFloor(language="fr", agents=1, site="Dublin", start=dt.time(8), end=dt.time(18)),
)

# Demand shape: (language, region clock (IANA zone), peak agents over the base).
_DEMAND = (
    ("en", "Asia/Manila", 7.0),
    ("en", "Europe/Dublin", 8.0),
    ("en", "America/Chicago", 8.0),
    ("es", "America/Chicago", 4.0),
    ("es", "America/Sao_Paulo", 3.0),
    ("es", "Europe/Dublin", 2.0),
    ("ja", "Asia/Tokyo", 5.0),
    ("pt", "America/Sao_Paulo", 5.0),
    ("de", "Europe/Dublin", 3.0),
    ("fr", "Europe/Dublin", 3.0),
)
_BASE = {"en": 2.0, "es": 1.0, "ja": 0.0, "pt": 0.0, "de": 0.0, "fr": 0.0}


def demo_problem(seed: int = 0, *, days: int = 14, start_date: dt.date = DEMO_START) -> Problem:
    """The built-in follow-the-sun scenario (seeded: same seed, same problem)."""
    rng = np.random.default_rng(seed)
    agents: list[Agent] = []
    for spec in _SITES:
        for i in range(spec.headcount):
            langs = [spec.first_language]
            for lang, share in spec.second_languages:
                if rng.random() < share:
                    langs.append(lang)
            part_time = rng.random() < spec.part_time_share
            premium = 1.0 + 0.08 * (len(langs) - 1)  # language premium per extra language
            cost = round(spec.hourly_cost * premium * rng.uniform(0.92, 1.08), 2)
            off: list[dt.date] = []
            if rng.random() < 0.15:  # approved leave: a few consecutive days
                first = int(rng.integers(0, days - 3))
                off = [start_date + dt.timedelta(days=first + k) for k in range(int(rng.integers(1, 4)))]
            agents.append(
                Agent(
                    id=f"{spec.site.name[:3].upper()}-{i + 1:03d}",
                    site=spec.site.name,
                    languages=tuple(langs),
                    contract=PART_TIME if part_time else FULL_TIME,
                    hourly_cost=cost,
                    unavailable=tuple(off),
                )
            )
    interval = 30
    return Problem(
        name=f"demo-seed{seed}",
        sites=tuple(s.site for s in _SITES),
        agents=tuple(agents),
        shift_templates=_TEMPLATES,
        floors=_FLOORS,
        requirements=_requirements(rng, start_date, days, interval),
        start_date=start_date,
        days=days,
        interval_minutes=interval,
    )


def _requirements(rng: np.random.Generator, start: dt.date, days: int, interval: int) -> tuple[Requirement, ...]:
    """Daily bells in each region's local clock, lighter at weekends, with seeded noise."""
    import pandas as pd

    n = days * 24 * 60 // interval
    utc = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=n, freq=f"{interval}min")
    curves = {lang: np.full(n, base) for lang, base in _BASE.items()}
    for lang, zone, peak in _DEMAND:
        local = utc.tz_convert(zone)
        hour = local.hour + local.minute / 60
        # open 08:00-20:00 local, peaking mid-morning and mid-afternoon
        bell = np.where((hour >= 8) & (hour < 20), np.sin(np.pi * (hour - 8) / 12) ** 0.7, 0.0)
        weekend = np.where(local.day_of_week >= 5, 0.55, 1.0)
        curves[lang] = curves[lang] + peak * bell * weekend
    out = []
    for lang, curve in curves.items():
        noisy = curve * rng.uniform(0.9, 1.1, size=n)
        out.append(Requirement(language=lang, agents=tuple(int(v) for v in np.ceil(noisy - 0.25).clip(min=0))))
    return tuple(out)
