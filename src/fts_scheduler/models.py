"""Input models: sites, agents, shift templates, language floors, requirements, the problem.

Every model is an immutable pydantic v2 model (``frozen=True``, unknown fields
rejected). Bad input fails here, at the boundary, with a :class:`pydantic.ValidationError`
whose message names the field and the offending value; nothing downstream has to
re-check it.

Units: hours ``[h]`` for durations of shifts and contracts, minutes ``[min]`` for the
interval grid, currency units per hour for costs, agents as counts.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

__all__ = [
    "AvailabilityWindow",
    "BreakRule",
    "NightRules",
    "OpeningHours",
    "PayRules",
    "Preference",
    "LabourRules",
    "Site",
    "Contract",
    "Agent",
    "ShiftTemplate",
    "LanguageFloor",
    "Requirement",
    "ShiftDemand",
    "ObjectiveWeights",
    "Problem",
    "ALL_WEEKDAYS",
    "MAX_NAME_LENGTH",
    "MAX_HOURLY_COST",
    "MAX_WEIGHT",
    "MAX_OBJECTIVE",
    "FLOOR_SHORTFALL_PRICE",
    "Name",
]

ALL_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
"""Monday = 0 ... Sunday = 6, as :meth:`datetime.date.weekday`."""


# --------------------------------------------------------------------------- codes


def _check_timezone(value: str) -> str:
    # ZoneInfo accepts some non-canonical keys and file paths; the IANA key list does not.
    if value not in _iana_zones():
        raise ValueError(f"unknown IANA time zone {value!r} (for example 'Europe/Dublin')")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - tzdata gap
        raise ValueError(f"time zone {value!r} cannot be loaded: {exc}") from exc
    return value


def _iana_zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


def _naive_times(model: BaseModel, *names: str) -> None:
    """Local clock times carry no zone: the site's IANA zone gives them one."""
    for name in names:
        value = getattr(model, name)
        if value is not None and value.tzinfo is not None:
            raise ValueError(f"{name} must be a local clock time without zone, got {value}")


def _check_country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value) is None or len(value) != 2 or not value.isupper():
        raise ValueError(f"country {value!r} is not an ISO 3166-1 alpha-2 code (for example 'IE')")
    return value


def _check_language(value: str) -> str:
    if len(value) != 2 or not value.islower() or pycountry.languages.get(alpha_2=value) is None:
        raise ValueError(f"language {value!r} is not an ISO 639-1 code (for example 'es')")
    return value


def _check_currency(value: str) -> str:
    if len(value) != 3 or not value.isupper() or pycountry.currencies.get(alpha_3=value) is None:
        raise ValueError(f"currency {value!r} is not an ISO 4217 code (for example 'EUR')")
    return value


MAX_NAME_LENGTH = 100
"""Most characters in an id or a name (agents, sites, templates, contracts, breaks, problems)."""

# Bidirectional embeddings, overrides and isolates reorder the text around them: an id that
# reads as one thing in a spreadsheet and is another (CVE-2021-42574, "Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _check_name(value: str) -> str:
    """Ids and names come from HR systems and colleagues' files and end up in file names,
    spreadsheet cells and calendars: printable text of at most :data:`MAX_NAME_LENGTH`
    characters, without surrounding spaces."""
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"has {len(value)} characters, at most {MAX_NAME_LENGTH} are allowed")
    for i, ch in enumerate(value):
        # Cc: control characters (NUL, tab, CR, LF, ESC, ...); Cs: lone surrogates, which no
        # file can encode; Zl, Zp: line and paragraph separators, which break lines like LF
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI_CONTROLS or _noncharacter(ch):
            raise ValueError(f"must not contain control characters (U+{ord(ch):04X} at position {i})")
    if value != value.strip():
        raise ValueError("must not begin or end with a space")
    return value


def _noncharacter(ch: str) -> bool:
    # Unicode's noncharacters (U+FDD0-U+FDEF, U+FFFE and U+FFFF of every plane) are not for
    # interchange: XML cannot hold U+FFFE or U+FFFF, so a workbook with one does not open
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


Name = Annotated[str, AfterValidator(_check_name)]
"""An id or a name: 1 to :data:`MAX_NAME_LENGTH` characters of any script, no control
characters (tab, line breaks, NUL, bidirectional overrides), no leading or trailing space."""

TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
CurrencyCode = Annotated[str, AfterValidator(_check_currency)]
CountryCode = Annotated[str, AfterValidator(_check_country)]
LanguageCode = Annotated[str, AfterValidator(_check_language)]

# ---- magnitudes the solver can carry: CP-SAT works in 64-bit integers (costs in 1/10,000 of a
# currency unit), so a cost of 1e15 or a weight of 1e308 would overflow it after the whole build

MAX_HOURLY_COST = 1e7
"""Highest ``Agent.hourly_cost`` [site currency/h]: wages in dong or rupiah with room to spare."""

MAX_WEIGHT = 1e7
"""Highest price of a soft goal (``ObjectiveWeights``, ``ShiftDemand`` weights, ``Preference.weight``)."""

MAX_EXCHANGE_RATE = 1e9
"""Exchange rates lie in ``[1 / MAX_EXCHANGE_RATE, MAX_EXCHANGE_RATE]``."""

MAX_OBJECTIVE = 1e12
"""Most a roster of the problem could cost [reporting currency], every soft goal missed at its
worst (:meth:`Problem.objective_ceiling`): 1e16 in the solver's units of 1/10,000, some 900 times
below the 64-bit limit of its integer objective, so that no sum the model forms can overflow."""

FLOOR_SHORTFALL_PRICE = 100_000.0
"""Price of one agent-interval missing from a floor when floors are soft (the best-effort
roster of an infeasible problem): above any cost an interval of staffing can save."""

MAX_AGENTS_PER_INTERVAL = 100_000
"""Most agents a requirement, floor or per-shift demand may ask for at once."""

Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]

# allow_inf_nan=False: "Infinity" hours or costs would pass ge=0 and poison the model.
_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# --------------------------------------------------------------------------- sites


class NightRules(BaseModel):
    """Night work: which shifts count as nights, and how many a site allows.

    A shift is a *night shift* when at least ``min_hours`` of it (real time) fall in
    the local night window ``start``-``end`` (EU Working Time Directive, art. 2: at
    least three hours of daily working time during night time).
    """

    model_config = _FROZEN

    start: dt.time = Field(dt.time(22), description="Local start of the night window.")
    end: dt.time = Field(dt.time(6), description="Local end of the night window (next day if <= start).")
    min_hours: float = Field(3.0, gt=0, le=24, description="Hours in the window that make a night shift [h].")
    max_per_week: int | None = Field(None, ge=0, le=7, description="Most night shifts per ISO week.")
    max_consecutive: int | None = Field(None, ge=1, le=31, description="Most night shifts on consecutive local dates.")
    rest_after_hours: float | None = Field(
        None, ge=0, le=96, description="Minimum rest after the last night of a run of nights [h]."
    )

    @model_validator(mode="after")
    def _naive(self) -> NightRules:
        _naive_times(self, "start", "end")
        return self


class LabourRules(BaseModel):
    """The hard rules a site's agents work under.

    Defaults follow the EU Working Time Directive where it sets a number (11 h daily
    rest) and ILO C14 elsewhere (24 h weekly rest). :meth:`preset` gives starting
    points for the demo countries; they are not legal advice.

    Weeks are ISO weeks (Monday to Sunday) of the site's local start dates. Rules on
    weeks (weekly rest, minimum weekly hours, averages, weekends) bind only in ISO
    weeks wholly inside the horizon, because the roster before and after it is not
    known; maxima per week bind in every week.
    """

    model_config = _FROZEN

    min_rest_hours: float = Field(11.0, ge=0, le=48, description="Minimum rest between two shifts [h].")
    max_consecutive_days: int = Field(
        6, ge=1, le=31, description="Most local calendar days in a row with a shift [days]."
    )
    weekly_rest_hours: float = Field(
        24.0,
        ge=0,
        le=96,
        description="Uninterrupted rest per ISO week [h]: some period without work of at least this long "
        "lies wholly inside the week, Monday 00:00 to next Monday 00:00 local (it starts at the week's "
        "start or at the end of a shift). 0 disables.",
    )
    max_daily_hours: float | None = Field(None, gt=0, le=24, description="Longest shift, real time [h].")
    max_weekly_hours: float | None = Field(
        None, gt=0, le=168, description="Cap on paid hours in any ISO week for every contract [h]."
    )
    max_average_weekly_hours: float | None = Field(
        None,
        gt=0,
        le=168,
        description="Cap on average weekly hours over the full ISO weeks of the horizon [h] "
        "(EU: 48 over a 17-week reference period; a shorter horizon is held to it, which is stricter).",
    )
    night: NightRules = NightRules()
    weekend_days: tuple[int, ...] = Field((5, 6), description="Local weekdays of the weekend (Monday=0).")
    forbidden_successions: tuple[tuple[Name, Name], ...] = Field(
        (), description="(template A, template B): B may not start on the local date after A."
    )
    min_weekends_off_per_4_weeks: int = Field(
        0,
        ge=0,
        le=4,
        description="Full weekends without any shift per 4 weeks, pro rata (floor) over the horizon's "
        "complete weekends.",
    )

    @model_validator(mode="after")
    def _weekend_days(self) -> LabourRules:
        if not self.weekend_days or any(not 0 <= d <= 6 for d in self.weekend_days):
            raise ValueError(f"weekend_days must be weekdays 0 (Monday) to 6 (Sunday), got {list(self.weekend_days)}")
        return self

    @classmethod
    def preset(cls, country: str, subdivision: str | None = None) -> LabourRules:
        """Starting-point rules for a country (``"PH"``, ``"JP"``, ``"IE"``, ``"BR"``, ``"US"``).

        Not legal advice: the numbers are the statutory headline figures, which
        collective agreements and local practice refine.
        """
        key = country if subdivision is None else f"{country}-{subdivision}"
        for k in (key, country):
            if k in _PRESETS:
                return _PRESETS[k]
        raise ValueError(f"no labour-rule preset for country {key!r} (presets: {sorted(_PRESETS)})")


_PRESETS: dict[str, LabourRules] = {
    # Philippines, Labor Code: 8 h normal day, 6 days a week, 24 h weekly rest (art. 91);
    # night shift differential 22:00-06:00 (art. 86).
    "PH": LabourRules(min_rest_hours=8, weekly_rest_hours=24, max_consecutive_days=6, max_weekly_hours=48),
    # Japan, Labour Standards Act: 40 h a week, one day off a week (art. 35); late-night
    # work 22:00-05:00 (art. 37). Daily rest of 11 h is the government's recommended target.
    "JP": LabourRules(
        min_rest_hours=11,
        weekly_rest_hours=24,
        max_consecutive_days=6,
        max_weekly_hours=40,
        night=NightRules(start=dt.time(22), end=dt.time(5)),
    ),
    # Ireland, Organisation of Working Time Act 1997 (EU WTD): 11 h daily rest, 24 h
    # weekly rest plus the daily 11 h (35 h), 48 h average over 4 months, night
    # workers at most 8 h a night on average.
    "IE": LabourRules(
        min_rest_hours=11,
        weekly_rest_hours=35,
        max_consecutive_days=6,
        max_average_weekly_hours=48,
        night=NightRules(max_per_week=4, max_consecutive=4, rest_after_hours=24),
        min_weekends_off_per_4_weeks=1,
    ),
    # Brazil, CLT: 11 h between days (art. 66), 24 h weekly rest preferably on Sunday
    # (art. 67), 44 h a week, night work 22:00-05:00 (art. 73).
    "BR": LabourRules(
        min_rest_hours=11,
        weekly_rest_hours=35,
        max_consecutive_days=6,
        max_weekly_hours=44,
        night=NightRules(start=dt.time(22), end=dt.time(5)),
        min_weekends_off_per_4_weeks=1,
    ),
    # United States / Texas, FLSA: no federal rest or weekly maximum (overtime pay
    # after 40 h instead); company practice of 8 h turnaround and a day off a week.
    "US": LabourRules(min_rest_hours=8, weekly_rest_hours=24, max_consecutive_days=6),
}


class PayRules(BaseModel):
    """Pay premiums, as shares of the hourly cost (0.25 = +25 %)."""

    model_config = _FROZEN

    night_premium: float = Field(0.0, ge=0, le=5, description="On every hour of a night shift.")
    weekend_premium: float = Field(0.0, ge=0, le=5, description="On every hour of a shift starting on a weekend day.")
    holiday_premium: float = Field(0.0, ge=0, le=5, description="On every hour of a shift starting on a public holiday.")
    overtime_premium: float = Field(
        0.0, ge=0, le=5, description="On hours above the contract's standard_weekly_hours in an ISO week."
    )


class OpeningHours(BaseModel):
    """When a site is open on one local weekday; ``close <= open`` runs past midnight."""

    model_config = _FROZEN

    weekday: int = Field(ge=0, le=6, description="Monday=0 ... Sunday=6.")
    open: dt.time
    close: dt.time


class Site(BaseModel):
    """A contact centre: where agents sit, which clock they live by, which rules bind them."""

    model_config = _FROZEN

    name: Name
    timezone: TimeZoneName = Field(description="IANA time zone, e.g. 'Asia/Manila'.")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code, e.g. 'PH'.")
    subdivision: Name | None = Field(None, description="ISO 3166-2 subdivision for holidays, e.g. 'TX'.")
    rules: LabourRules = LabourRules()
    holidays: Literal["open", "closed"] = Field(
        "open",
        description="Public holidays (from the `holidays` package by country and subdivision): "
        "'closed' means no shift starts on one; 'open' pays PayRules.holiday_premium.",
    )
    currency: CurrencyCode = Field("USD", description="ISO 4217 currency of the site's hourly costs.")
    pay: PayRules = PayRules()
    opening_hours: tuple[OpeningHours, ...] = Field(
        (), description="Local opening hours; every shift lies inside one. Empty means always open."
    )
    lead_required: bool = Field(
        False, description="Whenever an agent of the site is on shift, a team lead of the site is too."
    )

    @property
    def zone(self) -> ZoneInfo:
        # ZoneInfo caches one instance per key, so this is cheap to call often.
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _subdivision_known(self) -> Site:
        if self.subdivision is not None:
            import holidays

            try:
                holidays.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError as exc:
                raise ValueError(f"subdivision {self.subdivision!r} is unknown for country {self.country!r}") from exc
        return self


# --------------------------------------------------------------------------- agents


class Contract(BaseModel):
    """Weekly working hours an agent is contracted for, per ISO week of the site's local dates.

    ``max_weekly_hours`` binds in every week the horizon touches. ``min_weekly_hours``
    binds only in ISO weeks that lie wholly inside the horizon (a partial week cannot
    be held to a full week's minimum).
    """

    model_config = _FROZEN

    name: Name = "full-time"
    min_weekly_hours: float = Field(0.0, ge=0, le=168, description="[h] per ISO week.")
    max_weekly_hours: float = Field(40.0, ge=0, le=168, description="[h] per ISO week.")
    max_shifts_per_week: int | None = Field(None, ge=0, le=7, description="Most shifts per ISO week.")
    standard_weekly_hours: float | None = Field(
        None, ge=0, le=168, description="Hours per ISO week above which overtime premium is paid [h]."
    )
    # Over the whole horizon (local dates start_date .. start_date + days - 1):
    min_horizon_hours: float | None = Field(None, ge=0, le=9_000, description="Fewest paid hours over the horizon [h].")
    max_horizon_hours: float | None = Field(None, ge=0, le=9_000, description="Most paid hours over the horizon [h].")
    max_shifts_by_template: dict[Name, Annotated[int, Field(ge=0, le=1_000)]] = Field(
        default_factory=dict, description="Most shifts of each named template over the horizon (0 forbids it)."
    )
    max_consecutive_days: int | None = Field(
        None, ge=1, le=62, description="Overrides the site's max_consecutive_days for this contract."
    )
    min_consecutive_days: int | None = Field(
        None,
        ge=1,
        le=62,
        description="Fewest days in a run of working days; runs touching the horizon's first or last "
        "date are exempt (the days beyond are not known).",
    )
    min_consecutive_days_off: int | None = Field(
        None, ge=1, le=62, description="Fewest days in a run of days off; runs touching the horizon's ends are exempt."
    )
    max_weekends: int | None = Field(
        None,
        ge=0,
        le=60,
        description="Most weekends worked over the horizon: a weekend (the site's weekend days) counts as "
        "worked when a shift starts on any of its days.",
    )

    @model_validator(mode="after")
    def _min_below_max(self) -> Contract:
        if self.min_weekly_hours > self.max_weekly_hours:
            raise ValueError(
                f"min_weekly_hours={self.min_weekly_hours} exceeds max_weekly_hours={self.max_weekly_hours}"
            )
        return self


class AvailabilityWindow(BaseModel):
    """A recurring window of a local weekday in which the agent can work; ``end <= start`` runs past midnight."""

    model_config = _FROZEN

    weekday: int = Field(ge=0, le=6, description="Monday=0 ... Sunday=6.")
    start: dt.time
    end: dt.time


class Preference(BaseModel):
    """A soft wish, priced at ``weight`` [currency] when not granted.

    ``kind="on"``: the agent wants to work (template ``shift``, or any shift if None)
    on the local ``date`` (or on every ``weekday``); ``kind="off"``: the agent wants
    not to work it there (``shift=None``: a day off).
    """

    model_config = _FROZEN

    kind: Literal["on", "off"]
    date: dt.date | None = None
    weekday: int | None = Field(None, ge=0, le=6)
    shift: Name | None = None
    weight: Weight = 1.0

    @model_validator(mode="after")
    def _one_day(self) -> Preference:
        if (self.date is None) == (self.weekday is None):
            raise ValueError(f"a preference needs exactly one of date or weekday (got {self.date}, {self.weekday})")
        return self


Channel = Literal["phone", "chat", "email", "social"]


class Agent(BaseModel):
    """A person who can take contacts."""

    model_config = _FROZEN

    id: Name
    site: Name = Field(description="Name of the agent's home site.")
    languages: tuple[LanguageCode, ...] = Field(min_length=1, description="ISO 639-1 codes.")
    channels: tuple[Channel, ...] = Field(
        ("phone", "chat", "email", "social"),
        description="Channels handled. Requirements are summed over channels per language, so this is "
        "carried for reports and exports; it does not restrict coverage.",
    )
    role: Literal["agent", "lead"] = "agent"
    contract: Contract = Contract()
    hourly_cost: float = Field(ge=0, le=MAX_HOURLY_COST, description="Cost of one paid hour in the site's currency [currency/h].")
    unavailable: tuple[dt.date, ...] = Field(
        (), description="Local dates (site time) on which the agent starts no shift: approved time off."
    )
    availability: tuple[AvailabilityWindow, ...] = Field(
        (), description="Recurring local windows; each shift lies inside one of its start weekday. Empty: any time."
    )
    preferences: tuple[Preference, ...] = ()

    @model_validator(mode="after")
    def _unique_languages(self) -> Agent:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"languages has duplicates: {list(self.languages)}")
        return self


# --------------------------------------------------------------------------- shifts


class BreakRule(BaseModel):
    """A break inside a shift, placed by the optimizer in 15-minute steps.

    It starts between ``earliest_after_hours`` and ``latest_after_hours`` after the
    shift's start (real time) and lasts ``minutes``. Agents on break do not count
    toward coverage in any interval the break touches.
    """

    model_config = _FROZEN

    kind: Name = Field("break", description="e.g. 'meal', 'rest'.")
    minutes: int = Field(ge=5, le=120)
    earliest_after_hours: float = Field(ge=0, le=16)
    latest_after_hours: float = Field(ge=0, le=16)

    @model_validator(mode="after")
    def _window(self) -> BreakRule:
        if self.latest_after_hours < self.earliest_after_hours:
            raise ValueError(
                f"latest_after_hours={self.latest_after_hours} is before earliest_after_hours={self.earliest_after_hours}"
            )
        for name in ("earliest_after_hours", "latest_after_hours"):
            if (getattr(self, name) * 60) % 15:
                raise ValueError(f"{name}={getattr(self, name)} is not on the 15-minute step")
        if self.minutes % 15:
            raise ValueError(f"minutes={self.minutes} is not a multiple of 15")
        return self


class ShiftTemplate(BaseModel):
    """A shift pattern in the site's local clock: start time(s) and length(s).

    A concrete shift on local date *d* starts at ``d + start`` and ends at the local
    clock time ``d + start + length``; both are converted to UTC through the site's
    IANA zone. On a DST day a shift that spans the change therefore keeps its
    local clock end and lasts one hour more or less in real time (the roster's
    ``hours`` column reports the real length). A local time that occurs twice is read
    at its first occurrence; one that does not exist (the spring-forward gap) is read
    with the offset in force before the change (PEP 495, ``fold=0``).

    Flexible shifts: with ``latest_start`` the start may be any of ``start``,
    ``start + start_step_minutes``, ... up to ``latest_start``; with
    ``other_lengths_hours`` the optimizer also picks the length.
    """

    model_config = _FROZEN

    name: Name
    start: dt.time = Field(description="Local start time, e.g. 08:00 (the earliest, if flexible).")
    length_hours: float = Field(gt=0, le=16, description="Length on the local clock [h].")
    latest_start: dt.time | None = Field(None, description="Latest local start of a flexible template.")
    start_step_minutes: int = Field(30, ge=5, le=240, description="Step between flexible starts [min].")
    other_lengths_hours: tuple[Annotated[float, Field(gt=0, le=16)], ...] = Field(
        (), description="Further lengths the optimizer may choose [h]."
    )
    breaks: tuple[BreakRule, ...] = ()
    sites: tuple[Name, ...] | None = Field(
        None, description="Sites that may use the template; None means every site."
    )

    @model_validator(mode="after")
    def _naive_start(self) -> ShiftTemplate:
        _naive_times(self, "start", "latest_start")
        if self.latest_start is not None and self.latest_start < self.start:
            raise ValueError(f"latest_start={self.latest_start} is before start={self.start}")
        for b in self.breaks:
            if b.latest_after_hours * 60 + b.minutes > min(self.lengths) * 60:
                raise ValueError(f"break {b.kind!r} can end after the shortest length {min(self.lengths)} h")
        # windows that cannot overlap let the optimizer place each break on its own
        ordered = sorted(self.breaks, key=lambda b: b.earliest_after_hours)
        for b1, b2 in zip(ordered, ordered[1:]):
            if b1.latest_after_hours * 60 + b1.minutes > b2.earliest_after_hours * 60:
                raise ValueError(
                    f"breaks {b1.kind!r} and {b2.kind!r} can overlap: the first may end after "
                    f"{b1.latest_after_hours + b1.minutes / 60} h, the second may start at {b2.earliest_after_hours} h"
                )
        return self

    @property
    def lengths(self) -> tuple[float, ...]:
        """Every allowed length [h], the default first."""
        return (self.length_hours, *(x for x in self.other_lengths_hours if x != self.length_hours))

    def starts(self) -> list[dt.time]:
        """Every allowed local start time."""
        if self.latest_start is None:
            return [self.start]
        first = self.start.hour * 60 + self.start.minute
        last = self.latest_start.hour * 60 + self.latest_start.minute
        return [dt.time(m // 60, m % 60) for m in range(first, last + 1, self.start_step_minutes)]


# --------------------------------------------------------------------------- demand


class LanguageFloor(BaseModel):
    """A hard minimum: at least ``agents`` agents serving ``language`` in every interval.

    Either around the clock (no window), or in a daily window of one site's local time
    (``site``, ``start``, ``end``, on ``weekdays`` of that site's local calendar), which
    is converted to UTC date by date. ``end <= start`` means the window runs past
    midnight into the next local day.
    """

    model_config = _FROZEN

    language: LanguageCode
    agents: int = Field(
        1, ge=1, le=MAX_AGENTS_PER_INTERVAL, description="Minimum agents on shift for this language [agents]."
    )
    site: Name | None = Field(None, description="Site whose local clock defines the window.")
    start: dt.time | None = None
    end: dt.time | None = None
    weekdays: tuple[int, ...] = Field(ALL_WEEKDAYS, description="Local weekdays (Monday=0) the window opens on.")

    @model_validator(mode="after")
    def _window_complete(self) -> LanguageFloor:
        _naive_times(self, "start", "end")
        given = (self.site is not None, self.start is not None, self.end is not None)
        if any(given) and not all(given):
            raise ValueError(
                "a floor window needs site, start and end together "
                f"(got site={self.site!r}, start={self.start}, end={self.end})"
            )
        bad = [d for d in self.weekdays if not 0 <= d <= 6]
        if bad or not self.weekdays:
            raise ValueError(f"weekdays must be integers 0 (Monday) to 6 (Sunday), got {list(self.weekdays)}")
        return self

    @property
    def around_the_clock(self) -> bool:
        return self.site is None


class Requirement(BaseModel):
    """Target staffing for one language, one value per interval of the problem's UTC grid.

    Soft: the optimizer pays ``ObjectiveWeights.under_staffing`` per agent-hour below
    it and ``over_staffing`` per agent-hour above it. Floors, not requirements, are
    the hard guarantee.
    """

    model_config = _FROZEN

    language: LanguageCode
    agents: tuple[Annotated[int, Field(le=MAX_AGENTS_PER_INTERVAL)], ...] = Field(
        description="Required agents per interval [agents], from Problem.grid_start_utc."
    )

    @model_validator(mode="after")
    def _non_negative(self) -> Requirement:
        for i, v in enumerate(self.agents):
            if v < 0:
                raise ValueError(f"agents[{i}] must be >= 0, got {v}")
        return self


class ShiftDemand(BaseModel):
    """Soft demand for a number of agents on one template on one local date (per shift, not per interval).

    The optimizer pays ``under_weight`` per agent short and ``over_weight`` per agent
    above, counting agents whose shift of template ``shift`` starts on local ``date``
    (at ``site``, or at any site if None).
    """

    model_config = _FROZEN

    date: dt.date
    shift: Name = Field(description="Template name.")
    agents: int = Field(ge=0, le=MAX_AGENTS_PER_INTERVAL)
    site: Name | None = None
    under_weight: Weight = Field(100.0, description="[currency] per agent short.")
    over_weight: Weight = Field(1.0, description="[currency] per agent above.")


class ObjectiveWeights(BaseModel):
    """Prices of the soft goals, in the same currency as ``Agent.hourly_cost``."""

    model_config = _FROZEN

    under_staffing: Weight = Field(
        60.0, description="Penalty per agent-hour below the requirement [currency/agent-h]."
    )
    over_staffing: Weight = Field(
        0.5, description="Penalty per agent-hour above the requirement [currency/agent-h]."
    )
    fairness: Weight = Field(
        0.0,
        description="Penalty per unit of spread (most minus fewest) of nights, weekend shifts and holiday "
        "shifts among comparable agents of a site [currency/shift].",
    )


# --------------------------------------------------------------------------- problem


class Problem(BaseModel):
    """A complete scheduling problem: immutable; variants via ``model_copy(update=...)``.

    The horizon is the UTC window ``[start_date 00:00 UTC, start_date + days)``: floors
    and requirements apply on its grid of ``interval_minutes`` intervals. Every shift of
    a site's local calendar that overlaps the window is a candidate, so a site east or
    west of UTC can cover the window's first and last hours from its previous or next
    local day.
    """

    model_config = _FROZEN

    # Size limits keep a hostile or mistaken file from exhausting memory before the
    # solver starts: 20,000 agents is far past what one CP-SAT model can roster anyway.
    sites: tuple[Site, ...] = Field(min_length=1, max_length=500)
    agents: tuple[Agent, ...] = Field(min_length=1, max_length=20_000)
    shift_templates: tuple[ShiftTemplate, ...] = Field(min_length=1, max_length=500)
    floors: tuple[LanguageFloor, ...] = Field((), max_length=2_000)
    requirements: tuple[Requirement, ...] = Field((), max_length=2_000)
    shift_demands: tuple[ShiftDemand, ...] = Field((), max_length=200_000)
    start_date: dt.date
    days: int = Field(ge=1, le=371, description="Length of the horizon [days] (at most 53 weeks).")
    interval_minutes: int = Field(30, ge=5, le=120, description="Width of a grid interval [min].")
    weights: ObjectiveWeights = ObjectiveWeights()
    reporting_currency: CurrencyCode = "USD"
    exchange_rates: dict[
        CurrencyCode, Annotated[float, Field(ge=1 / MAX_EXCHANGE_RATE, le=MAX_EXCHANGE_RATE)]
    ] = Field(
        default_factory=dict,
        description="Reporting-currency units per unit of each site currency, e.g. {'EUR': 1.08}.",
    )
    name: Name = "problem"

    # ---- cross-field validation (the boundary: nothing downstream re-checks this)

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        # the candidate dates reach one day either side of the horizon
        if not dt.date(1900, 1, 2) <= self.start_date <= dt.date(9000, 1, 1):
            raise ValueError(f"start_date {self.start_date} is outside the supported range 1900-01-02 .. 9000-01-01")
        errors: list[str] = []
        if (24 * 60) % self.interval_minutes:
            errors.append(f"interval_minutes={self.interval_minutes} does not divide a day of 1440 minutes")
        site_names = [s.name for s in self.sites]
        errors += _duplicates("sites", "name", site_names)
        errors += _duplicates("agents", "id", [a.id for a in self.agents])
        errors += _duplicates("shift_templates", "name", [t.name for t in self.shift_templates])
        errors += _duplicates("requirements", "language", [r.language for r in self.requirements])
        known = set(site_names)
        for i, a in enumerate(self.agents):
            if a.site not in known:
                errors.append(f"agents[{i}].site: unknown site {a.site!r} for agent {a.id!r} (sites: {sorted(known)})")
        for i, t in enumerate(self.shift_templates):
            for s in t.sites or ():
                if s not in known:
                    errors.append(f"shift_templates[{i}].sites: unknown site {s!r} in template {t.name!r}")
            step = self.interval_minutes
            if (t.start.hour * 60 + t.start.minute) % step or t.start.second or t.start.microsecond:
                errors.append(
                    f"shift_templates[{i}].start: {t.start} of {t.name!r} is not on the {step}-minute grid"
                )
            for length in t.lengths:
                if (length * 60) % step:
                    errors.append(
                        f"shift_templates[{i}].length_hours: {length} h of {t.name!r} "
                        f"is not a whole number of {step}-minute intervals"
                    )
            if t.latest_start is not None and t.start_step_minutes % step:
                errors.append(
                    f"shift_templates[{i}].start_step_minutes: {t.start_step_minutes} of {t.name!r} "
                    f"is not a multiple of interval_minutes={step}"
                )
        template_names = {t.name for t in self.shift_templates}
        for i, d in enumerate(self.shift_demands):
            if d.shift not in template_names:
                errors.append(f"shift_demands[{i}].shift: unknown template {d.shift!r}")
            if d.site is not None and d.site not in known:
                errors.append(f"shift_demands[{i}].site: unknown site {d.site!r}")
        for i, a in enumerate(self.agents):
            for name in a.contract.max_shifts_by_template:
                if name not in template_names:
                    errors.append(f"agents[{i}].contract.max_shifts_by_template: unknown template {name!r}")
        for s_ in self.sites:
            for pair in s_.rules.forbidden_successions:
                for name in pair:
                    if name not in template_names:
                        errors.append(f"sites: forbidden succession {pair} of {s_.name!r} names unknown template {name!r}")
        for i, f in enumerate(self.floors):
            if f.site is not None and f.site not in known:
                errors.append(f"floors[{i}].site: unknown site {f.site!r} (sites: {sorted(known)})")
        n = self.num_intervals if not (24 * 60) % self.interval_minutes else None
        for i, r in enumerate(self.requirements):
            if n is not None and len(r.agents) != n:
                errors.append(
                    f"requirements[{i}].agents: {len(r.agents)} values for language {r.language!r}, "
                    f"the grid has {n} intervals ({self.days} days of {self.interval_minutes} min)"
                )
        for s in self.sites:
            if s.currency != self.reporting_currency and s.currency not in self.exchange_rates:
                errors.append(
                    f"exchange_rates: no rate for currency {s.currency!r} of site {s.name!r} "
                    f"into reporting_currency {self.reporting_currency!r}"
                )
            if not any(t.sites is None or s.name in t.sites for t in self.shift_templates):
                errors.append(f"sites: site {s.name!r} has no shift template it may use")
            if (24 * 60) % self.interval_minutes == 0:
                errors += _offsets_on_grid(s, self.start_date, self.days, self.interval_minutes)
        if not errors:
            ceiling = self.objective_ceiling()
            if ceiling > MAX_OBJECTIVE:
                errors.append(
                    f"a roster could cost up to {ceiling:.3g} {self.reporting_currency} (labour at every "
                    f"shift, every soft goal missed), above the {MAX_OBJECTIVE:.0g} the solver can carry: "
                    "check hourly_cost, exchange_rates and the weights for a misplaced unit"
                )
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def objective_ceiling(self) -> float:
        """An upper bound on any roster's objective [reporting currency]: every agent paid around
        the clock at every premium, every requirement, demand, preference and floor missed, and
        every agent over-staffing every language; coarse, but it bounds every sum the model forms."""
        hours = 24.0 * (self.days + 2)  # candidate shifts reach one local day either side
        interval_h = self.interval_minutes / 60
        labour = 0.0
        for site in self.sites:
            pay = site.pay
            factor = 1 + pay.night_premium + pay.weekend_premium + pay.holiday_premium + pay.overtime_premium
            paid = sum(a.hourly_cost for a in self.agents if a.site == site.name)
            labour += paid * self.rate(site.currency) * factor * hours
        w = self.weights
        n = len(self.agents)
        staffing = sum(
            w.under_staffing * sum(r.agents) * interval_h + w.over_staffing * n * self.num_intervals * interval_h
            for r in self.requirements
        )
        demands = sum(d.under_weight * d.agents + d.over_weight * n for d in self.shift_demands)
        wishes = sum(p.weight for a in self.agents for p in a.preferences) * (self.days + 2)
        fairness = w.fairness * 3 * (self.days + 2) * len(self.sites)
        floors = FLOOR_SHORTFALL_PRICE * sum(f.agents for f in self.floors) * self.num_intervals
        return labour + staffing + demands + wishes + fairness + floors

    # ---- derived, read-only views

    @property
    def num_intervals(self) -> int:
        return self.days * 24 * 60 // self.interval_minutes

    @property
    def grid_start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.start_date, dt.time(0), tzinfo=dt.UTC)

    @property
    def grid_end_utc(self) -> dt.datetime:
        return self.grid_start_utc + dt.timedelta(days=self.days)

    def interval_starts(self) -> list[dt.datetime]:
        step = dt.timedelta(minutes=self.interval_minutes)
        return [self.grid_start_utc + i * step for i in range(self.num_intervals)]

    def site(self, name: str) -> Site:
        for s in self.sites:
            if s.name == name:
                return s
        raise KeyError(name)

    def rate(self, currency: str) -> float:
        """Reporting-currency units per unit of ``currency``."""
        return 1.0 if currency == self.reporting_currency else self.exchange_rates[currency]

    def size(self) -> dict[str, int]:
        """What the solver's model grows with, counted without building it.

        ``candidate_shifts``: agent x local date x (start, length) of every template the
        agent's site may use, over the horizon and a day either side (an upper bound on
        the model's shift variables); ``coverage_cells``: grid intervals x languages.
        """
        per_site = {
            s.name: sum(len(t.starts()) * len(t.lengths) for t in self.shift_templates if t.sites is None or s.name in t.sites)
            for s in self.sites
        }
        return {
            "candidate_shifts": sum(per_site[a.site] for a in self.agents) * (self.days + 2),
            "coverage_cells": self.num_intervals * len(self.languages()),
        }

    def languages(self) -> list[str]:
        """Languages with a floor or a requirement, sorted."""
        return sorted({f.language for f in self.floors} | {r.language for r in self.requirements})


def _duplicates(field: str, key: str, values: list[str]) -> list[str]:
    seen: set[str] = set()
    dup = sorted({v for v in values if v in seen or seen.add(v)})
    return [f"{field}: duplicate {key} {v!r}" for v in dup]


def _offsets_on_grid(site: Site, start: dt.date, days: int, step: int) -> list[str]:
    # A zone whose UTC offset is not a multiple of the interval (Nepal +05:45 on a
    # 30-minute grid) would put every shift between two grid points.
    zone = site.zone
    seen: set[dt.timedelta] = set()
    for d in range(-1, days + 2):
        offset = dt.datetime.combine(start + dt.timedelta(days=d), dt.time(12), tzinfo=zone).utcoffset()
        assert offset is not None
        seen.add(offset)
    bad = sorted(o for o in seen if (o.total_seconds() // 60) % step)
    if bad:
        return [
            f"sites: UTC offset {bad[0]} of site {site.name!r} ({site.timezone}) "
            f"is not a multiple of interval_minutes={step}"
        ]
    return []
