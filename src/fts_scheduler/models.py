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
from typing import Annotated
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
    "LabourRules",
    "Site",
    "Contract",
    "Agent",
    "ShiftTemplate",
    "LanguageFloor",
    "Requirement",
    "ObjectiveWeights",
    "Problem",
    "ALL_WEEKDAYS",
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


def _check_country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value) is None or len(value) != 2 or not value.isupper():
        raise ValueError(f"country {value!r} is not an ISO 3166-1 alpha-2 code (for example 'IE')")
    return value


def _check_language(value: str) -> str:
    if len(value) != 2 or not value.islower() or pycountry.languages.get(alpha_2=value) is None:
        raise ValueError(f"language {value!r} is not an ISO 639-1 code (for example 'es')")
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
CountryCode = Annotated[str, AfterValidator(_check_country)]
LanguageCode = Annotated[str, AfterValidator(_check_language)]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- sites


class LabourRules(BaseModel):
    """The hard rules a site's agents work under (defaults follow the EU Working Time Directive)."""

    model_config = _FROZEN

    min_rest_hours: float = Field(11.0, ge=0, le=48, description="Minimum rest between two shifts [h].")
    max_consecutive_days: int = Field(
        6, ge=1, le=31, description="Most local calendar days in a row with a shift [days]."
    )


class Site(BaseModel):
    """A contact centre: where agents sit, which clock they live by, which rules bind them."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    timezone: TimeZoneName = Field(description="IANA time zone, e.g. 'Asia/Manila'.")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code, e.g. 'PH'.")
    rules: LabourRules = LabourRules()

    @property
    def zone(self) -> ZoneInfo:
        # ZoneInfo caches one instance per key, so this is cheap to call often.
        return ZoneInfo(self.timezone)


# --------------------------------------------------------------------------- agents


class Contract(BaseModel):
    """Weekly working hours an agent is contracted for, per ISO week of the site's local dates.

    ``max_weekly_hours`` binds in every week the horizon touches. ``min_weekly_hours``
    binds only in ISO weeks that lie wholly inside the horizon (a partial week cannot
    be held to a full week's minimum).
    """

    model_config = _FROZEN

    name: str = "full-time"
    min_weekly_hours: float = Field(0.0, ge=0, le=168, description="[h] per ISO week.")
    max_weekly_hours: float = Field(40.0, ge=0, le=168, description="[h] per ISO week.")

    @model_validator(mode="after")
    def _min_below_max(self) -> Contract:
        if self.min_weekly_hours > self.max_weekly_hours:
            raise ValueError(
                f"min_weekly_hours={self.min_weekly_hours} exceeds max_weekly_hours={self.max_weekly_hours}"
            )
        return self


class Agent(BaseModel):
    """A person who can take contacts."""

    model_config = _FROZEN

    id: str = Field(min_length=1)
    site: str = Field(description="Name of the agent's home site.")
    languages: tuple[LanguageCode, ...] = Field(min_length=1, description="ISO 639-1 codes.")
    contract: Contract = Contract()
    hourly_cost: float = Field(ge=0, description="Cost of one paid hour [currency/h].")
    unavailable: tuple[dt.date, ...] = Field(
        (), description="Local dates (site time) on which the agent starts no shift."
    )

    @model_validator(mode="after")
    def _unique_languages(self) -> Agent:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"languages has duplicates: {list(self.languages)}")
        return self


# --------------------------------------------------------------------------- shifts


class ShiftTemplate(BaseModel):
    """A shift pattern in the site's local clock: start time and length.

    A concrete shift on local date *d* starts at ``d + start`` and ends at the local
    clock time ``d + start + length_hours``; both are converted to UTC through the
    site's IANA zone. On a DST day a shift that spans the change therefore keeps its
    local clock end and lasts one hour more or less in real time (the roster's
    ``hours`` column reports the real length). A local time that occurs twice is read
    at its first occurrence; one that does not exist (the spring-forward gap) is read
    with the offset in force before the change (PEP 495, ``fold=0``).
    """

    model_config = _FROZEN

    name: str = Field(min_length=1)
    start: dt.time = Field(description="Local start time, e.g. 08:00.")
    length_hours: float = Field(gt=0, le=16, description="Length on the local clock [h].")
    sites: tuple[str, ...] | None = Field(
        None, description="Sites that may use the template; None means every site."
    )

    @model_validator(mode="after")
    def _naive_start(self) -> ShiftTemplate:
        if self.start.tzinfo is not None:
            raise ValueError(f"start must be a local clock time without zone, got {self.start}")
        return self


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
    agents: int = Field(1, ge=1, description="Minimum agents on shift for this language [agents].")
    site: str | None = Field(None, description="Site whose local clock defines the window.")
    start: dt.time | None = None
    end: dt.time | None = None
    weekdays: tuple[int, ...] = Field(ALL_WEEKDAYS, description="Local weekdays (Monday=0) the window opens on.")

    @model_validator(mode="after")
    def _window_complete(self) -> LanguageFloor:
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
    agents: tuple[int, ...] = Field(description="Required agents per interval [agents], from Problem.grid_start_utc.")

    @model_validator(mode="after")
    def _non_negative(self) -> Requirement:
        for i, v in enumerate(self.agents):
            if v < 0:
                raise ValueError(f"agents[{i}] must be >= 0, got {v}")
        return self


class ObjectiveWeights(BaseModel):
    """Prices of the soft goals, in the same currency as ``Agent.hourly_cost``."""

    model_config = _FROZEN

    under_staffing: float = Field(
        60.0, ge=0, description="Penalty per agent-hour below the requirement [currency/agent-h]."
    )
    over_staffing: float = Field(
        0.5, ge=0, description="Penalty per agent-hour above the requirement [currency/agent-h]."
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
    start_date: dt.date
    days: int = Field(ge=1, le=62, description="Length of the horizon [days].")
    interval_minutes: int = Field(30, ge=5, le=120, description="Width of a grid interval [min].")
    weights: ObjectiveWeights = ObjectiveWeights()
    name: str = "problem"

    # ---- cross-field validation (the boundary: nothing downstream re-checks this)

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
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
            if (t.length_hours * 60) % step:
                errors.append(
                    f"shift_templates[{i}].length_hours: {t.length_hours} h of {t.name!r} "
                    f"is not a whole number of {step}-minute intervals"
                )
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
            if not any(t.sites is None or s.name in t.sites for t in self.shift_templates):
                errors.append(f"sites: site {s.name!r} has no shift template it may use")
            if (24 * 60) % self.interval_minutes == 0:
                errors += _offsets_on_grid(s, self.start_date, self.days, self.interval_minutes)
        if errors:
            raise ValueError("; ".join(errors))
        return self

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
