"""Named, seeded scenarios for demos, tests and benchmarks.

``demo_problem()`` is the built-in follow-the-sun scenario: five sites (Manila, Tokyo,
Dublin, São Paulo, Austin), about 120 agents, two weeks from Monday 2026-10-19 on a
30-minute grid. The horizon holds Dublin's return to winter time (Sunday 25 October
2026, 02:00 IST -> 01:00 GMT) and Austin's (Sunday 1 November 2026, 02:00 CDT -> 01:00
CST), so the demo always exercises a 25-hour local day at two sites. Its requirements
come from ``demo_forecast()`` (contacts per interval, language and channel) and the
service goals ``DEMO_GOALS`` through :mod:`fts_scheduler.requirements`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .models import (
    Agent,
    BreakRule,
    Contract,
    LabourRules,
    LanguageFloor,
    ObjectiveWeights,
    PayRules,
    Problem,
    ShiftTemplate,
    Site,
)
from .requirements import ChannelGoal, problem_from_forecast

__all__ = ["demo_problem", "demo_forecast", "large_problem", "DEMO_GOALS", "DEMO_START", "DEMO_WARM_UP_DAYS"]

DEMO_START = dt.date(2026, 10, 19)

FULL_TIME = Contract(name="full-time", min_weekly_hours=32, max_weekly_hours=40)
PART_TIME = Contract(name="part-time", min_weekly_hours=16, max_weekly_hours=24)


@dataclass(frozen=True)
class _SiteSpec:
    site: Site
    headcount: int
    hourly_cost: float  # [site currency/h]
    # (language, share of the site's agents who speak it besides the first language)
    first_language: str
    second_languages: tuple[tuple[str, float], ...]
    part_time_share: float


_SITES = (
    # Hourly costs in each site's own currency; the problem reports in USD.
    _SiteSpec(
        Site(
            name="Manila", timezone="Asia/Manila", country="PH", rules=LabourRules.preset("PH"), currency="PHP",
            holidays="closed",  # All Saints' Day (1 Nov) is in the horizon: the site closes
            pay=PayRules(night_premium=0.10, holiday_premium=1.0),  # Labor Code night differential
        ),
        36, 520.0, "en", (("es", 0.12), ("ja", 0.08)), 0.15,
    ),
    _SiteSpec(
        Site(
            name="Tokyo", timezone="Asia/Tokyo", country="JP", rules=LabourRules.preset("JP"), currency="JPY",
            pay=PayRules(night_premium=0.25, holiday_premium=0.35),
        ),
        14, 3300.0, "ja", (("en", 0.45),), 0.2,
    ),
    _SiteSpec(
        Site(
            name="Dublin", timezone="Europe/Dublin", country="IE", rules=LabourRules.preset("IE"), currency="EUR",
            pay=PayRules(night_premium=0.15, weekend_premium=0.25, holiday_premium=1.0),  # 26 Oct bank holiday open
        ),
        30, 22.0, "en", (("de", 0.27), ("fr", 0.27), ("es", 0.2), ("pt", 0.07)), 0.15,
    ),
    _SiteSpec(
        Site(
            name="Sao Paulo", timezone="America/Sao_Paulo", country="BR", rules=LabourRules.preset("BR"),
            currency="BRL", pay=PayRules(night_premium=0.20, holiday_premium=1.0),  # CLT adicional noturno
        ),
        20, 60.0, "pt", (("es", 0.6), ("en", 0.4)), 0.15,
    ),
    _SiteSpec(
        Site(
            name="Austin", timezone="America/Chicago", country="US", subdivision="TX",
            rules=LabourRules.preset("US", "TX"), currency="USD", pay=PayRules(weekend_premium=0.10),
        ),
        20, 26.0, "en", (("es", 0.5),), 0.15,
    ),
)
EXCHANGE_RATES = {"PHP": 0.0172, "JPY": 0.0066, "EUR": 1.08, "BRL": 0.18}
"""USD per unit of each site currency (fixed for reproducibility, not market rates)."""

# A 30-minute meal break somewhere in the middle of the shift, placed by the optimizer.
_BREAKS = (BreakRule(kind="meal", minutes=30, earliest_after_hours=3, latest_after_hours=5),)

_TEMPLATES = (
    ShiftTemplate(name="early", start=dt.time(6), length_hours=8, breaks=_BREAKS),
    ShiftTemplate(name="day", start=dt.time(8), length_hours=8, breaks=_BREAKS),
    ShiftTemplate(name="mid", start=dt.time(11), length_hours=8, breaks=_BREAKS),
    ShiftTemplate(name="late", start=dt.time(14), length_hours=8, breaks=_BREAKS),
    ShiftTemplate(name="evening", start=dt.time(16), length_hours=8, sites=("Manila", "Sao Paulo", "Austin"), breaks=_BREAKS),
    ShiftTemplate(name="night", start=dt.time(22), length_hours=8, sites=("Manila", "Dublin", "Sao Paulo", "Austin"), breaks=_BREAKS),
)

_FLOORS = (
    LanguageFloor(language="en", agents=2),
    LanguageFloor(language="es", agents=1),
    LanguageFloor(language="ja", agents=2, site="Tokyo", start=dt.time(9), end=dt.time(18)),
    LanguageFloor(language="pt", agents=2, site="Sao Paulo", start=dt.time(8), end=dt.time(20)),
    LanguageFloor(language="de", agents=1, site="Dublin", start=dt.time(8), end=dt.time(18)),
    LanguageFloor(language="fr", agents=1, site="Dublin", start=dt.time(8), end=dt.time(18)),
)

# Demand: (language, region clock (IANA zone), phone, chat, email), each the expected
# contacts per 30 minutes at the top of a Wednesday in that region [contacts/interval].
# Live channels ring 08:00-20:00 local; email arrives 07:00-23:00 local with a trickle
# overnight. Each (language, channel) queue costs at least one agent on the floor, two
# scheduled at 30% shrinkage, whenever it has work, so the small languages take phone
# only and only English carries email: about 6,200 agent-hours over 14 days, the size
# of the demo's 120 agents.
_DEMAND = (
    ("en", "Asia/Manila", 4.0, 2.4, 3.0),
    ("en", "Europe/Dublin", 4.8, 2.8, 3.0),
    ("en", "America/Chicago", 4.8, 2.8, 3.0),
    ("es", "America/Chicago", 3.7, 1.8, 0.0),
    ("es", "America/Sao_Paulo", 3.0, 1.2, 0.0),
    ("es", "Europe/Dublin", 1.8, 0.0, 0.0),
    ("ja", "Asia/Tokyo", 5.2, 0.0, 0.0),
    ("pt", "America/Sao_Paulo", 5.2, 0.0, 0.0),
    ("de", "Europe/Dublin", 1.3, 0.0, 0.0),
    ("fr", "Europe/Dublin", 1.3, 0.0, 0.0),
)
# Mean handle time per channel [s]; a chat's is measured while handling two at once.
_AHT_S = {"phone": 360.0, "chat": 540.0, "email": 420.0}
# Monday ... Sunday: the week starts heavy and the weekend is light.
_WEEKDAY_FACTOR = np.array([1.10, 1.04, 1.00, 0.98, 0.93, 0.55, 0.45])

DEMO_GOALS: tuple[ChannelGoal, ...] = (
    # 80% answered within 20 s over all callers, who hang up after 3 minutes on average.
    ChannelGoal(channel="phone", target_s=20, service_level=0.8, patience_s=180, shrinkage=0.3, max_occupancy=0.9),
    ChannelGoal(channel="chat", target_s=60, service_level=0.8, concurrency=2, shrinkage=0.3, max_occupancy=0.85),
    ChannelGoal(channel="email", response_hours=24, response_share=0.9, shrinkage=0.3, max_occupancy=0.9),
)
"""Service goals of the demo: Erlang A phone, chat two at a time, email within a day."""

DEMO_WARM_UP_DAYS = 2
"""Days of forecast before the horizon in demo_problem, so the email backlog is under
way at its start (the email pacing reaches back 52 intervals, just over a day)."""


def demo_forecast(
    seed: int = 0,
    *,
    days: int = 14,
    start_date: dt.date = DEMO_START,
    interval_minutes: int = 30,
) -> pd.DataFrame:
    """Expected contacts per UTC interval, language and channel for the demo (seeded).

    Daily bells in each region's local clock (so they move in UTC with the region's
    DST change), a weekly pattern with light weekends, and seeded noise of +-10% per
    interval. English has phone, chat and email; Spanish phone and chat; Japanese,
    Portuguese, German and French phone.

    Parameters
    ----------
    seed : int
        Same seed, same forecast.
    days : int
        Length [days], from ``start_date`` 00:00 UTC.
    start_date : datetime.date
        First day.
    interval_minutes : int
        Width of an interval [min]; must divide a day. Volumes scale with it.

    Returns
    -------
    pandas.DataFrame
        The columns :func:`fts_scheduler.requirements.requirements_from_forecast`
        reads: ``interval_start_utc``, ``language``, ``channel``, ``volume``
        [contacts/interval], ``aht_s`` [s]; one row per interval and
        (language, channel) queue.
    """
    whole = isinstance(interval_minutes, int) and not isinstance(interval_minutes, bool)
    if not whole or interval_minutes < 1 or 1440 % interval_minutes:
        raise ValueError(f"interval_minutes must be a whole number of minutes dividing 1440, got {interval_minutes!r}")
    # A stream of its own, so the forecast's noise does not echo the agents' draws.
    rng = np.random.default_rng([seed, 1])
    n = days * 24 * 60 // interval_minutes
    utc = pd.date_range(pd.Timestamp(start_date, tz="UTC"), periods=n, freq=f"{interval_minutes}min")
    per_interval = interval_minutes / 30
    volume: dict[tuple[str, str], np.ndarray] = {}
    for lang, zone, phone, chat, email in _DEMAND:
        local = utc.tz_convert(zone)
        hour = local.hour + local.minute / 60
        week = _WEEKDAY_FACTOR[local.day_of_week]
        # open 08:00-20:00 local, peaking mid-morning and mid-afternoon
        bell = np.where((hour >= 8) & (hour < 20), np.sin(np.pi * (hour - 8) / 12) ** 0.7, 0.0)
        inbox = 0.15 + 0.85 * np.where((hour >= 7) & (hour < 23), np.sin(np.pi * (hour - 7) / 16), 0.0)
        for channel, peak, shape in (("phone", phone, bell), ("chat", chat, bell), ("email", email, inbox)):
            if peak:
                key = (lang, channel)
                volume[key] = volume.get(key, 0.0) + peak * per_interval * shape * week
    frames = []
    for (lang, channel), v in sorted(volume.items()):
        noisy = v * rng.uniform(0.9, 1.1, size=n)
        frames.append(
            pd.DataFrame(
                {
                    "interval_start_utc": utc,
                    "language": lang,
                    "channel": channel,
                    "volume": noisy,
                    "aht_s": _AHT_S[channel],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def demo_problem(
    seed: int = 0, *, days: int = 14, start_date: dt.date = DEMO_START, fairness: float = 20.0
) -> Problem:
    """The built-in follow-the-sun scenario (seeded: same seed, same problem).

    Its requirements come from :func:`demo_forecast` (started two days early, so the
    email backlog is under way at the horizon's start) and :data:`DEMO_GOALS` through
    :func:`fts_scheduler.requirements.problem_from_forecast`.
    """
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
    forecast = demo_forecast(
        seed,
        days=days + DEMO_WARM_UP_DAYS,
        start_date=start_date - dt.timedelta(days=DEMO_WARM_UP_DAYS),
        interval_minutes=interval,
    )
    return problem_from_forecast(
        forecast,
        DEMO_GOALS,
        name=f"demo-seed{seed}",
        sites=tuple(s.site for s in _SITES),
        agents=tuple(agents),
        shift_templates=_TEMPLATES,
        floors=_FLOORS,
        start_date=start_date,
        days=days,
        interval_minutes=interval,
        reporting_currency="USD",
        exchange_rates=EXCHANGE_RATES,
        weights=ObjectiveWeights(fairness=fairness),
    )



# --------------------------------------------------------------------------- scale


# (site, IANA zone, country, currency, USD per unit, hourly cost in site currency,
#  {language: share of the site's agents who speak it})
_LARGE_SITES = (
    ("Manila", "Asia/Manila", "PH", "PHP", 0.0172, 520.0, {"en": 1.0, "es": 0.08, "ja": 0.05, "zh": 0.05, "ko": 0.03}),
    ("Tokyo", "Asia/Tokyo", "JP", "JPY", 0.0066, 3300.0, {"ja": 1.0, "en": 0.4, "ko": 0.1, "zh": 0.1}),
    ("Dublin", "Europe/Dublin", "IE", "EUR", 1.08, 22.0, {"en": 1.0, "de": 0.2, "fr": 0.2, "es": 0.15, "it": 0.1, "nl": 0.1}),
    ("Krakow", "Europe/Warsaw", "PL", "PLN", 0.25, 60.0, {"en": 0.9, "de": 0.35, "fr": 0.2, "it": 0.15, "nl": 0.15, "pl": 0.0}),
    ("Sao Paulo", "America/Sao_Paulo", "BR", "BRL", 0.18, 60.0, {"pt": 1.0, "es": 0.6, "en": 0.4}),
    ("Austin", "America/Chicago", "US", "USD", 1.0, 26.0, {"en": 1.0, "es": 0.5}),
    ("Mexico City", "America/Mexico_City", "MX", "MXN", 0.055, 180.0, {"es": 1.0, "en": 0.6, "pt": 0.05}),
    ("Seoul", "Asia/Seoul", "KR", "KRW", 0.00072, 30000.0, {"ko": 1.0, "en": 0.5, "ja": 0.15, "zh": 0.15}),
)
# (language, region clock, phone peak [contacts per 15 min at 1,000 agents])
_LARGE_DEMAND = (
    ("en", "Asia/Manila", 60.0), ("en", "Europe/Dublin", 70.0), ("en", "America/Chicago", 70.0),
    ("es", "America/Mexico_City", 45.0), ("es", "Europe/Dublin", 10.0),
    ("pt", "America/Sao_Paulo", 30.0), ("fr", "Europe/Dublin", 12.0), ("de", "Europe/Berlin", 14.0),
    ("it", "Europe/Rome", 6.0), ("nl", "Europe/Amsterdam", 5.0), ("ja", "Asia/Tokyo", 25.0),
    ("ko", "Asia/Seoul", 22.0), ("zh", "Asia/Shanghai", 10.0),
)


def large_problem(
    agents: int = 1000,
    sites: int = 8,
    languages: int = 10,
    days: int = 28,
    interval_minutes: int = 15,
    seed: int = 0,
) -> Problem:
    """A follow-the-sun operation of realistic size, for benchmarks (seeded).

    Up to 8 sites in Asia, Europe and the Americas with their regional language mixes
    and multilingual agents, up to 10 languages (``en es pt fr de it ja ko zh nl``,
    the first ``languages`` of them), a phone forecast with daily bells in each
    region's local clock and a weekly pattern, staffed by Erlang A at 80/20 with 30 %
    shrinkage; English and Spanish floors around the clock, the others in their home
    region's business hours. Volumes are calibrated so that the requirement (agent-hours
    summed over languages) is 1.15 times the agents' contract minimum hours at every
    size.
    """
    from .requirements import problem_from_forecast

    order = ("en", "es", "pt", "fr", "de", "it", "ja", "ko", "zh", "nl")
    if not 1 <= languages <= len(order):
        raise ValueError(f"languages must be 1 to {len(order)}, got {languages}")
    if not 1 <= sites <= len(_LARGE_SITES):
        raise ValueError(f"sites must be 1 to {len(_LARGE_SITES)}, got {sites}")
    wanted = set(order[:languages])
    rng = np.random.default_rng([seed, 7])
    specs = _LARGE_SITES[:sites]
    site_objs = tuple(
        Site(name=name, timezone=zone, country=country, currency=cur, rules=LabourRules.preset(country)
             if country in ("PH", "JP", "IE", "BR", "US") else LabourRules())
        for name, zone, country, cur, _, _, _ in specs
    )
    share = np.array([len(mix) for *_, mix in specs], dtype=float)
    heads = np.maximum(1, np.round(agents * share / share.sum())).astype(int)
    heads[0] += agents - heads.sum()
    people: list[Agent] = []
    for (name, _, _, _, _, cost, mix), count in zip(specs, heads):
        for i in range(int(count)):
            langs = [lang for lang, p in mix.items() if lang in wanted and rng.random() < p]
            if not langs:
                langs = [next(iter(lang for lang in mix if lang in wanted), "en")]
            part_time = rng.random() < 0.15
            people.append(
                Agent(
                    id=f"{name[:3].upper()}-{i + 1:04d}",
                    site=name,
                    languages=tuple(dict.fromkeys(langs)),
                    contract=PART_TIME if part_time else FULL_TIME,
                    hourly_cost=round(cost * (1 + 0.08 * (len(langs) - 1)) * rng.uniform(0.92, 1.08), 2),
                )
            )
    spoken = {lang for a in people for lang in a.languages}
    n = days * 24 * 60 // interval_minutes
    utc = pd.date_range(pd.Timestamp(DEMO_START, tz="UTC"), periods=n, freq=f"{interval_minutes}min")
    scale = agents / 1000 * interval_minutes / 15
    volume: dict[str, np.ndarray] = {}
    for lang, zone, peak in _LARGE_DEMAND:
        if lang not in spoken:
            continue
        local = utc.tz_convert(zone)
        hour = local.hour + local.minute / 60
        bell = np.where((hour >= 8) & (hour < 20), np.sin(np.pi * (hour - 8) / 12) ** 0.7, 0.0)
        volume[lang] = volume.get(lang, 0.0) + peak * scale * bell * _WEEKDAY_FACTOR[local.day_of_week]
    noise = {lang: rng.uniform(0.9, 1.1, size=n) for lang in sorted(volume)}

    def forecast_at(factor: float) -> pd.DataFrame:
        return pd.concat(
            [
                pd.DataFrame({"interval_start_utc": utc, "language": lang, "channel": "phone",
                              "volume": factor * v * noise[lang], "aht_s": 360.0})
                for lang, v in sorted(volume.items())
            ],
            ignore_index=True,
        )
    home = {"pt": "Sao Paulo", "fr": "Dublin", "de": "Krakow", "it": "Dublin", "nl": "Dublin", "ja": "Tokyo",
            "ko": "Seoul", "zh": "Manila"}
    names = {s.name for s in site_objs}
    floors = [LanguageFloor(language="en", agents=2)] if "en" in spoken else []
    if "es" in spoken:
        floors.append(LanguageFloor(language="es", agents=1))
    for lang, site in home.items():
        if lang in spoken and site in names:
            floors.append(LanguageFloor(language=lang, agents=1, site=site, start=dt.time(9), end=dt.time(17),
                                        weekdays=(0, 1, 2, 3, 4)))
    goal = ChannelGoal(channel="phone", target_s=20, service_level=0.8, patience_s=180, shrinkage=0.3,
                       max_occupancy=0.9)
    def build(factor: float) -> Problem:
        return problem_from_forecast(
            forecast_at(factor),
            (goal,),
            name=f"large-{agents}a-{sites}s-{languages}l-{days}d-seed{seed}",
            sites=site_objs,
            agents=tuple(people),
            shift_templates=_TEMPLATES,
            floors=tuple(floors),
            start_date=DEMO_START,
            days=days,
            interval_minutes=interval_minutes,
            reporting_currency="USD",
            exchange_rates={cur: rate for _, _, _, cur, rate, _, _ in specs if cur != "USD"},
        )

    # Erlang staffing grows slower than volume (bigger queues pool better), so volumes
    # are calibrated until the requirement is 1.15 x the agents' contract minimums: at
    # every size the operation needs its agents (volumes linear in agents left 1,000
    # agents with twice the minimum hours the forecast asked for)
    target = 1.15 * sum(a.contract.min_weekly_hours for a in people) * days / 7
    factor = 1.0
    for _ in range(4):
        problem = build(factor)
        required = sum(sum(r.agents) for r in problem.requirements) * interval_minutes / 60
        if required <= 0 or abs(target / required - 1) < 0.03:
            break
        factor *= target / required
    return problem
