"""Staffing: from a demand forecast to required agents per interval, language and channel.

The middle of the pipeline **models -> requirements -> optimizer**: a forecast of
contacts per UTC interval, language and channel, together with one
:class:`ChannelGoal` per channel, becomes the number of agents to schedule
(:func:`requirements_from_forecast`), summed over channels into one
:class:`~fts_scheduler.models.Requirement` per language on the problem's grid
(:func:`requirements_by_language`), and finally into a
:class:`~fts_scheduler.models.Problem` (:func:`problem_from_forecast`).

Per channel:

* **phone** -- Erlang C (M/M/n) for the fewest agents meeting the service-level
  or ASA goal [Cooper]_; with ``patience_s`` Erlang A (M/M/n+M, callers hang up
  after an exponential patience) and the fewest agents whose Erlang A service
  level, counted over *all* callers, meets the goal [GMR]_.
* **chat** -- the same queue on the *effective* handle time ``aht_s /
  concurrency``: an agent who runs ``k`` chats at once clears them ``k`` times as
  fast as one at a time. This is the common practice of WFM calculators; it treats
  an agent's parallel chats as one faster server, so it is an approximation that
  is good when ``concurrency`` is the measured average of simultaneous chats
  (not the cap) and ``aht_s`` the handle time measured at that concurrency.
* **email, social** -- deferred work with a response-time goal ("90% within
  24 h"): each interval's contacts are worked at an even pace over the intervals
  after they arrive, so that the goal's share of them is answered before the
  deadline (see :func:`requirements_from_forecast`, Notes).

Agents are counted per language, not per channel, because agents do not carry
channels yet: the optimizer covers, per language and interval, the *sum* of the
channels' requirements. That is conservative: each channel is staffed as its own
queue, and an agent who blends channels would pool them and need fewer. When
agents gain channel skills, the optimizer can cover the per-channel rows of
:func:`requirements_from_forecast` directly; nothing here changes.

Units: times in seconds ``[s]`` (handle, answer, patience), response times in
hours ``[h]``, volumes in ``[contacts/interval]``, agents as counts ``[agents]``,
shares in ``[0, 1]``.

References
----------
.. [Cooper] R. B. Cooper, *Introduction to Queueing Theory*, 2nd ed., North
   Holland, 1981, section 3.5 (Erlang C).
.. [GMR] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with
   impatient customers", *Manufacturing & Service Operations Management*
   4(3):208-227, 2002.
.. [Horn] W. A. Horn, "Some simple scheduling algorithms", *Naval Research
   Logistics Quarterly* 21(1):177-185, 1974 (earliest deadline first is optimal
   for preemptive work with release times and deadlines).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from . import erlang
from .models import Agent, LanguageCode, LanguageFloor, Problem, Requirement, ShiftTemplate, Site

__all__ = [
    "CHANNELS",
    "ChannelGoal",
    "problem_from_forecast",
    "requirements_by_language",
    "requirements_from_forecast",
]

Channel = Literal["phone", "chat", "email", "social"]

CHANNELS: tuple[str, ...] = ("phone", "chat", "email", "social")
"""The channels a forecast may hold: two live queues, then two kinds of deferred work."""

_LIVE = ("phone", "chat")

_FORECAST_COLUMNS = ("interval_start_utc", "language", "channel", "volume", "aht_s")

_OUTPUT_COLUMNS = (
    "interval_start_utc",
    "language",
    "channel",
    "volume",
    "net_agents",
    "required",
    "service_level",
    "asa_s",
    "occupancy",
)

# Time zones that *are* UTC under another name; anything else (even a zone at
# +00:00 today, such as Europe/London in winter) is rejected.
_UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "GMT", "Etc/GMT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"}
)


# --------------------------------------------------------------------------- goals


class ChannelGoal(BaseModel):
    """The service goal and planning factors of one channel.

    Live channels (``phone``, ``chat``) take a service-level goal (``target_s`` with
    ``service_level``: 80% answered within 20 s) and/or an average-speed-of-answer
    goal (``asa_s``). Deferred channels (``email``, ``social``) take a response-time
    goal (``response_hours`` with ``response_share``: 90% answered within 24 h).
    Every channel takes ``shrinkage`` and ``max_occupancy``.

    Immutable; bad values raise :class:`pydantic.ValidationError` naming the field and
    the value.

    Attributes
    ----------
    channel : {"phone", "chat", "email", "social"}
        The channel the goal is for.
    target_s : float, optional
        Answer-time threshold of the service-level goal [s], >= 0 (live channels).
    service_level : float, optional
        Share of contacts to answer within ``target_s`` [share], in (0, 1). For
        Erlang A (``patience_s`` given) the share is of *all* arrivals: callers who
        hang up count as missed.
    asa_s : float, optional
        Goal for the average speed of answer, the mean wait over all contacts [s],
        > 0 (live channels, Erlang C only).
    patience_s : float, optional
        Mean patience of waiting customers [s], > 0 (live channels). Given, the queue
        is Erlang A (exponential patience); absent, Erlang C (nobody hangs up).
    concurrency : float
        Chats an agent handles at once, on average [contacts], >= 1 (chat only;
        default 1). The handle time is divided by it (see the module notes).
    response_hours : float, optional
        Response-time deadline of deferred work [h], > 0 (email, social).
    response_share : float, optional
        Share of contacts to answer within ``response_hours`` [share], in (0, 1]
        (email, social).
    shrinkage : float
        Share of paid time not spent on contacts (breaks, training, meetings,
        absence) [share], in [0, 1); default 0.
    max_occupancy : float
        Cap on the share of productive time spent handling contacts [share], in
        (0, 1]; default 1 (no cap beyond the queue's stability).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    channel: Channel
    target_s: float | None = Field(None, ge=0, description="Answer-time threshold [s].")
    service_level: float | None = Field(None, gt=0, lt=1, description="Share answered within target_s [share].")
    asa_s: float | None = Field(None, gt=0, description="Average speed of answer goal [s].")
    patience_s: float | None = Field(None, gt=0, description="Mean patience, Erlang A [s].")
    concurrency: float = Field(1.0, ge=1, le=20, description="Chats per agent at once [contacts].")
    response_hours: float | None = Field(None, gt=0, le=24 * 31, description="Response deadline [h].")
    response_share: float | None = Field(None, gt=0, le=1, description="Share answered within response_hours [share].")
    shrinkage: float = Field(0.0, ge=0, lt=1, description="Share of paid time off contacts [share].")
    max_occupancy: float = Field(1.0, gt=0, le=1, description="Cap on busy share of productive time [share].")

    @model_validator(mode="after")
    def _fits_channel(self) -> ChannelGoal:
        ch = self.channel
        if ch in _LIVE:
            for name in ("response_hours", "response_share"):
                if getattr(self, name) is not None:
                    raise ValueError(
                        f"{name}={getattr(self, name)} is a deferred-work goal; channel {ch!r} takes "
                        "target_s with service_level, or asa_s"
                    )
            if (self.target_s is None) != (self.service_level is None):
                given, missing = (
                    ("target_s", "service_level") if self.service_level is None else ("service_level", "target_s")
                )
                raise ValueError(
                    f"{given}={getattr(self, given)} needs {missing} too "
                    f"(a service-level goal is 'service_level within target_s', e.g. 0.8 within 20 s)"
                )
            if self.target_s is None and self.asa_s is None:
                raise ValueError(f"channel {ch!r} needs a goal: target_s with service_level, or asa_s")
            if self.patience_s is not None and self.asa_s is not None:
                # With impatient callers the mean wait falls as more of them hang up,
                # so an ASA goal would reward understaffing.
                raise ValueError(
                    f"asa_s={self.asa_s} cannot be a goal with patience_s={self.patience_s} (Erlang A): "
                    "abandonment lowers the mean wait; give target_s and service_level instead"
                )
            if ch == "phone" and self.concurrency != 1:
                raise ValueError(
                    f"concurrency={self.concurrency} applies to chat only; a phone agent takes one call at a time"
                )
        else:
            for name in ("target_s", "service_level", "asa_s", "patience_s"):
                if getattr(self, name) is not None:
                    raise ValueError(
                        f"{name}={getattr(self, name)} is a live-queue goal; channel {ch!r} is deferred work "
                        "and takes response_hours with response_share"
                    )
            if self.concurrency != 1:
                raise ValueError(f"concurrency={self.concurrency} applies to chat only, not to channel {ch!r}")
            if self.response_hours is None or self.response_share is None:
                raise ValueError(
                    f"channel {ch!r} needs response_hours and response_share "
                    f"(got response_hours={self.response_hours}, response_share={self.response_share})"
                )
        return self

    @property
    def live(self) -> bool:
        """True for the queues answered while the customer waits (phone, chat)."""
        return self.channel in _LIVE


# --------------------------------------------------------------------------- public functions


def requirements_from_forecast(
    forecast: pd.DataFrame,
    goals: Iterable[ChannelGoal],
    *,
    interval_minutes: int = 30,
) -> pd.DataFrame:
    """Required agents per UTC interval, language and channel.

    Parameters
    ----------
    forecast : pandas.DataFrame
        One row per interval, language and channel, with columns
        ``interval_start_utc`` (timezone-aware UTC, on the grid of
        ``interval_minutes`` from 00:00 UTC), ``language`` (ISO 639-1),
        ``channel`` (one of :data:`CHANNELS`), ``volume`` (expected contacts
        arriving in the interval [contacts/interval], >= 0) and ``aht_s`` (mean
        handle time [s], > 0). Other columns are ignored.
    goals : iterable of ChannelGoal
        One goal per channel that the forecast holds (more are allowed).
    interval_minutes : int
        Width of a forecast interval [min]; must divide a day. Default 30.

    Returns
    -------
    pandas.DataFrame
        One row per interval of the forecast's span (first to last
        ``interval_start_utc``) for every ``(language, channel)`` pair it holds;
        intervals a pair lacks count as volume 0. Sorted by interval, language,
        channel, with columns:

        ``interval_start_utc``, ``language``, ``channel``, ``volume``
            as in the forecast [contacts/interval].
        ``net_agents``
            agents needed handling contacts [agents], before shrinkage.
        ``required``
            agents to schedule [agents]: the fewest ``m`` with
            ``m * (1 - shrinkage) >= net_agents``, i.e. ``ceil(net_agents / (1 -
            shrinkage))`` without floating-point surprises.
        ``service_level``
            predicted at ``net_agents``, i.e. as if exactly the shrinkage share of
            the scheduled agents is away [share]. Live channels: share answered
            within ``target_s`` (Erlang C, or Erlang A over all arrivals); NaN for
            an ASA-only goal. Deferred channels: share of the interval's contacts
            answered within ``response_hours`` under the pacing in the Notes.
            1.0 where the volume is 0.
        ``asa_s``
            predicted mean wait over all contacts at ``net_agents`` [s] (Erlang A:
            over all arrivals, including those who hang up); NaN for deferred work.
        ``occupancy``
            share of the ``net_agents``' time spent on contacts [share]: offered
            load over agents for Erlang C, the busy share for Erlang A, paced work
            over capacity for deferred work; 0 without agents.

    Raises
    ------
    ValueError
        Naming the column or argument and the value: a missing column, a negative
        or non-finite volume, a non-positive handle time, an unknown channel, a
        channel without a goal, two goals for one channel, times that are not
        timezone-aware UTC or not on the grid, duplicate rows, a language that is
        not ISO 639-1, a ``response_hours`` shorter than two intervals.

    Notes
    -----
    **Live channels.** Offered load ``A = volume * aht_eff / (60 *
    interval_minutes)`` [Erlang] with ``aht_eff = aht_s / concurrency``. Erlang C:
    :func:`fts_scheduler.erlang.required_agents`, the fewest ``n > A`` meeting
    every goal given and ``A / n <= max_occupancy``. Erlang A: the fewest ``n``
    whose :func:`fts_scheduler.erlang.erlang_a` service level meets the goal
    (doubling from the Erlang C count until it holds, then bisection, all rows
    at once; the service level rises with ``n``), and at least
    ``A / max_occupancy`` (the offered load bounds the busy share from above, so
    the cap holds). Each interval is treated as a steady state.

    **Deferred work.** Contacts arriving in interval ``i`` become workable from
    interval ``i + 1`` (a conservative reading: the interval's arrivals are known
    only once it ends) and must be answered before ``start(i) + response_hours``,
    the deadline of its earliest arrival, so the whole intervals
    ``i + 1 ... i + W`` with ``W = floor(response_hours / interval) - 1`` are in
    time. Each interval's work ``volume * aht_s`` [agent-s] is worked at an even
    pace over the ``L = floor(W / response_share)`` intervals after it, oldest
    contacts first, so a share ``W / L >= response_share`` of them is answered in
    time and all of them within ``L`` intervals; the requirement in interval
    ``t`` is what that pace needs, ``sum(work[t-L : t]) / L``, over capacity
    ``60 * interval_minutes * max_occupancy`` per agent. With ``response_share
    == 1`` every contact is answered in time, and then also under plain
    oldest-first service, which is earliest-deadline-first here and optimal
    [Horn]_. The work is treated as divisible (fine when a contact is short
    against the deadline). No backlog is assumed before the forecast's first
    interval, so start the forecast ``L`` intervals before the horizon to
    include it; work of the last intervals is partly paced past the forecast's
    end, outside the result.
    """
    step = _check_interval_minutes(interval_minutes)
    by_channel = _goal_map(goals)
    frame = _checked_forecast(forecast, by_channel, step)
    if frame.empty:
        return _empty_result()
    dense = _dense(frame, step)

    parts: list[pd.DataFrame] = []
    for channel, rows in dense.groupby("channel", sort=False):
        goal = by_channel[str(channel)]
        if goal.live:
            parts.append(_live(rows, goal, step))
        else:
            # Deferred work carries a backlog from one interval to the next, so each
            # language's series is paced on its own.
            for _, series in rows.groupby("language", sort=False):
                parts.append(_deferred(series, goal, step))
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["interval_start_utc", "language", "channel"], kind="stable").reset_index(drop=True)
    return out.loc[:, list(_OUTPUT_COLUMNS)]


def requirements_by_language(
    frame: pd.DataFrame,
    *,
    start: dt.date,
    num_intervals: int,
    interval_minutes: int,
) -> tuple[Requirement, ...]:
    """Sum the channels' requirements per language on a problem's UTC grid.

    Parameters
    ----------
    frame : pandas.DataFrame
        A result of :func:`requirements_from_forecast` (at least the columns
        ``interval_start_utc``, ``language`` and ``required``).
    start : datetime.date
        The problem's ``start_date``: the grid starts at its 00:00 UTC.
    num_intervals : int
        Intervals in the grid [intervals], >= 1.
    interval_minutes : int
        Width of an interval [min]; must divide a day and match the frame's grid.

    Returns
    -------
    tuple of Requirement
        One per language of the frame, sorted by language, with one value
        [agents] per grid interval: the sum of ``required`` over the language's
        channels. Grid intervals the frame lacks are 0; rows outside the grid
        (a warm-up before it, a tail after it) are left out.

    Raises
    ------
    ValueError
        Naming the column or argument: a missing column, times off the grid or
        not UTC, ``num_intervals < 1``.

    Notes
    -----
    Agents do not carry channels yet, so the optimizer covers one number per
    language and interval: the channels are added up, each staffed as its own
    queue (blended agents would pool them and need fewer, so the sum errs on
    the safe side).
    """
    step = _check_interval_minutes(interval_minutes)
    if isinstance(num_intervals, bool) or not isinstance(num_intervals, (int, np.integer)) or num_intervals < 1:
        raise ValueError(f"num_intervals must be a whole number >= 1, got {num_intervals!r}")
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise ValueError(f"start must be a datetime.date (the grid starts at its 00:00 UTC), got {start!r}")
    _require_columns(frame, ("interval_start_utc", "language", "required"), "frame")
    times = _utc_times(frame["interval_start_utc"], "interval_start_utc")
    origin = pd.Timestamp(dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC))
    offset_s = (times - origin).dt.total_seconds().to_numpy()
    width = 60 * step
    off_grid = np.mod(offset_s, width) != 0
    if off_grid.any():
        pos = int(np.flatnonzero(off_grid)[0])
        raise ValueError(
            f"column 'interval_start_utc': {times.iloc[pos]} (row {frame.index[pos]!r}) "
            f"is not on the {step}-minute grid from {origin}"
        )
    index = (offset_s // width).astype(np.int64)
    inside = (index >= 0) & (index < num_intervals)
    required = pd.to_numeric(frame["required"], errors="coerce").to_numpy(dtype=float)
    whole = np.isfinite(required) & (required >= 0) & (required == np.floor(required))
    if not whole.all():
        pos = int(np.flatnonzero(~whole)[0])
        raise ValueError(
            f"column 'required' must hold whole numbers >= 0, got {frame['required'].iloc[pos]!r} "
            f"(row {frame.index[pos]!r})"
        )
    languages = frame["language"].astype(str).to_numpy()
    out: list[Requirement] = []
    for lang in sorted(set(languages)):
        rows = inside & (languages == lang)
        agents = np.zeros(num_intervals, dtype=np.int64)
        np.add.at(agents, index[rows], required[rows].astype(np.int64))
        # Requirement validates the language code and that every value is >= 0.
        out.append(Requirement(language=lang, agents=tuple(int(v) for v in agents)))
    return tuple(out)


def problem_from_forecast(
    forecast: pd.DataFrame,
    goals: Iterable[ChannelGoal],
    *,
    sites: Sequence[Site],
    agents: Sequence[Agent],
    shift_templates: Sequence[ShiftTemplate],
    floors: Sequence[LanguageFloor] = (),
    start_date: dt.date,
    days: int,
    interval_minutes: int = 30,
    **problem_fields: Any,
) -> Problem:
    """Build a :class:`~fts_scheduler.models.Problem` whose requirements come from a forecast.

    Parameters
    ----------
    forecast : pandas.DataFrame
        As for :func:`requirements_from_forecast`, on the ``interval_minutes``
        grid. It may reach past the horizon (e.g. a warm-up for deferred work);
        only the horizon's intervals become requirements.
    goals : iterable of ChannelGoal
        One per channel of the forecast.
    sites, agents, shift_templates, floors
        As for :class:`~fts_scheduler.models.Problem`.
    start_date : datetime.date
        First day of the horizon (its 00:00 UTC starts the grid).
    days : int
        Length of the horizon [days].
    interval_minutes : int
        Width of a grid interval [min]. Default 30.
    **problem_fields
        Any other field of :class:`~fts_scheduler.models.Problem` (``name``,
        ``weights``), except ``requirements``.

    Returns
    -------
    Problem
        Validated; one :class:`~fts_scheduler.models.Requirement` per forecast
        language, the sum over its channels (see
        :func:`requirements_by_language`).
    """
    if "requirements" in problem_fields:
        raise ValueError("requirements come from the forecast; do not pass requirements= to problem_from_forecast")
    frame = requirements_from_forecast(forecast, goals, interval_minutes=interval_minutes)
    step = _check_interval_minutes(interval_minutes)
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 1:
        raise ValueError(f"days must be a whole number >= 1, got {days!r}")
    requirements = requirements_by_language(
        frame, start=start_date, num_intervals=int(days) * 24 * 60 // step, interval_minutes=step
    )
    return Problem(
        sites=tuple(sites),
        agents=tuple(agents),
        shift_templates=tuple(shift_templates),
        floors=tuple(floors),
        requirements=requirements,
        start_date=start_date,
        days=days,
        interval_minutes=step,
        **problem_fields,
    )


# --------------------------------------------------------------------------- checks


def _check_interval_minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or (24 * 60) % int(value):
        raise ValueError(f"interval_minutes must be a whole number of minutes dividing 1440, got {value!r}")
    return int(value)


def _goal_map(goals: Iterable[ChannelGoal]) -> dict[str, ChannelGoal]:
    if isinstance(goals, ChannelGoal):
        goals = (goals,)
    out: dict[str, ChannelGoal] = {}
    for i, goal in enumerate(goals):
        if not isinstance(goal, ChannelGoal):
            raise ValueError(f"goals[{i}] must be a ChannelGoal, got {goal!r}")
        if goal.channel in out:
            raise ValueError(f"goals: two goals for channel {goal.channel!r} (goals[{i}])")
        out[goal.channel] = goal
    return out


def _require_columns(frame: Any, columns: Sequence[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise ValueError(f"{what} is missing column(s) {names} (has {list(map(str, frame.columns))})")


def _utc_times(column: pd.Series, name: str) -> pd.Series:
    dtype = column.dtype
    if not isinstance(dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(dtype):
            first = column.iloc[0] if len(column) else None
            raise ValueError(f"column {name!r} must be timezone-aware UTC, got naive times (e.g. {first})")
        first = column.iloc[0] if len(column) else None
        raise ValueError(f"column {name!r} must hold timezone-aware UTC datetimes, got {dtype} (e.g. {first!r})")
    if str(dtype.tz) not in _UTC_NAMES:
        raise ValueError(
            f"column {name!r} must be in UTC, got time zone {str(dtype.tz)!r} (convert with .dt.tz_convert('UTC'))"
        )
    # One resolution for every input, so merges and differences line up.
    return column.dt.tz_convert("UTC").dt.as_unit("ns").reset_index(drop=True)


def _where(frame: pd.DataFrame, pos: int) -> str:
    row = frame.iloc[pos]
    parts = [f"row {frame.index[pos]!r}"]
    for col in ("interval_start_utc", "language", "channel"):
        if col in frame.columns:
            parts.append(str(row[col]))
    return ", ".join(parts)


def _checked_forecast(forecast: Any, goals: dict[str, ChannelGoal], step: int) -> pd.DataFrame:
    """A clean copy of the forecast's columns, or a ValueError naming column and value."""
    _require_columns(forecast, _FORECAST_COLUMNS, "forecast")
    if forecast.empty:
        return pd.DataFrame(columns=list(_FORECAST_COLUMNS))
    times = _utc_times(forecast["interval_start_utc"], "interval_start_utc")
    if times.isna().any():
        pos = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ValueError(f"column 'interval_start_utc' has a missing time ({_where(forecast, pos)})")
    since_midnight = (times - times.dt.floor("D")).dt.total_seconds().to_numpy()
    off = np.mod(since_midnight, 60 * step) != 0
    if off.any():
        pos = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"column 'interval_start_utc': {times.iloc[pos]} ({_where(forecast, pos)}) is not on the "
            f"{step}-minute grid (intervals start every {step} minutes from 00:00 UTC)"
        )

    channels = forecast["channel"].astype(str).reset_index(drop=True)
    unknown = ~channels.isin(CHANNELS)
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ValueError(
            f"column 'channel': unknown channel {forecast['channel'].iloc[pos]!r} ({_where(forecast, pos)}); "
            f"known channels: {', '.join(CHANNELS)}"
        )
    for ch in sorted(set(channels)):
        if ch not in goals:
            raise ValueError(
                f"column 'channel': no ChannelGoal for channel {ch!r} in goals "
                f"(goals given for: {', '.join(sorted(goals)) or 'none'})"
            )

    languages = forecast["language"].reset_index(drop=True)
    if languages.isna().any():
        pos = int(np.flatnonzero(languages.isna().to_numpy())[0])
        raise ValueError(f"column 'language' has a missing value ({_where(forecast, pos)})")
    adapter = TypeAdapter(LanguageCode)
    for lang in pd.unique(languages):
        try:
            adapter.validate_python(lang)
        except ValidationError:
            pos = int(np.flatnonzero((languages == lang).to_numpy())[0])
            raise ValueError(
                f"column 'language': {lang!r} ({_where(forecast, pos)}) is not an ISO 639-1 code (for example 'es')"
            ) from None

    numbers: dict[str, np.ndarray] = {}
    for col, ok, need in (
        ("volume", lambda v: v >= 0, ">= 0"),
        ("aht_s", lambda v: v > 0, "> 0"),
    ):
        raw = forecast[col]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        # NaN fails every comparison, so one test also rejects missing values.
        good = ok(values) & np.isfinite(values)
        if not good.all():
            pos = int(np.flatnonzero(~good)[0])
            raise ValueError(
                f"column {col!r} must be finite and {need}, got {raw.iloc[pos]!r} ({_where(forecast, pos)})"
            )
        numbers[col] = values

    clean = pd.DataFrame(
        {
            "interval_start_utc": times,
            "language": languages.astype(str),
            "channel": channels,
            "volume": numbers["volume"],
            "aht_s": numbers["aht_s"],
        }
    )
    dup = clean.duplicated(["interval_start_utc", "language", "channel"]).to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        raise ValueError(f"forecast has two rows for one interval, language and channel ({_where(forecast, pos)})")

    for ch in sorted(set(channels)):
        goal = goals[ch]
        if not goal.live:
            _deferred_windows(goal, step)  # raises if response_hours is shorter than the grid allows
    return clean


# --------------------------------------------------------------------------- computation


def _empty_result() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interval_start_utc": pd.Series([], dtype="datetime64[ns, UTC]"),
            "language": pd.Series([], dtype=object),
            "channel": pd.Series([], dtype=object),
            "volume": pd.Series([], dtype=float),
            "net_agents": pd.Series([], dtype=np.int64),
            "required": pd.Series([], dtype=np.int64),
            "service_level": pd.Series([], dtype=float),
            "asa_s": pd.Series([], dtype=float),
            "occupancy": pd.Series([], dtype=float),
        }
    )


def _dense(frame: pd.DataFrame, step: int) -> pd.DataFrame:
    """Every (language, channel) pair on every interval of the forecast's span."""
    grid = pd.date_range(frame["interval_start_utc"].min(), frame["interval_start_utc"].max(), freq=f"{step}min")
    pairs = frame[["language", "channel"]].drop_duplicates()
    full = pairs.merge(pd.DataFrame({"interval_start_utc": grid}), how="cross")
    out = full.merge(frame, on=["language", "channel", "interval_start_utc"], how="left")
    out["volume"] = out["volume"].fillna(0.0)
    # The handle time of an interval without contacts never enters a result; any
    # positive value keeps the Erlang functions' argument checks quiet.
    out["aht_s"] = out["aht_s"].fillna(1.0)
    return out.sort_values(["language", "channel", "interval_start_utc"], kind="stable").reset_index(drop=True)


def _fewest_multiple(need: np.ndarray, unit: float | np.ndarray) -> np.ndarray:
    """Smallest whole ``m >= 0`` with ``m * unit >= need``, judged in floating point.

    ``ceil(need / unit)`` alone is one too many when the quotient rounds up past a
    whole number (21 / 0.7 is 30.000000000000004), so the candidate is nudged until
    the comparison a reader would make holds.
    """
    need = np.asarray(need, dtype=float)
    m = np.ceil(need / unit)
    m = np.where((m > 0) & ((m - 1.0) * unit >= need), m - 1.0, m)
    m = np.where(m * unit < need, m + 1.0, m)
    return m.astype(np.int64)


def _gross(net: np.ndarray, shrinkage: float) -> np.ndarray:
    return _fewest_multiple(net, 1.0 - shrinkage)


def _live(rows: pd.DataFrame, goal: ChannelGoal, step: int) -> pd.DataFrame:
    interval_s = 60.0 * step
    volume = rows["volume"].to_numpy(dtype=float)
    aht_eff = rows["aht_s"].to_numpy(dtype=float) / goal.concurrency
    traffic = volume * aht_eff / interval_s
    # A load that underflows to zero asks for no one, on every path alike.
    busy = traffic > 0
    size = volume.size
    net = np.zeros(size, dtype=np.int64)
    sl = np.ones(size)
    asa = np.zeros(size)
    occ = np.zeros(size)
    if busy.any():
        a, h = traffic[busy], aht_eff[busy]
        if goal.patience_s is None:
            n = np.asarray(
                erlang.required_agents(
                    a,
                    h,
                    target=goal.target_s,
                    service_level=goal.service_level,
                    asa=goal.asa_s,
                    max_occupancy=goal.max_occupancy,
                ),
                dtype=np.int64,
            )
            if goal.target_s is not None:
                sl[busy] = erlang.service_level(a, n, h, goal.target_s)
            asa[busy] = erlang.average_speed_of_answer(a, n, h)
            occ[busy] = a / n
        else:
            # erlang_a is not defined for subnormal rates (it returns NaN below ~1e-308
            # contacts/s); rounding such a rate up to the smallest normal float only
            # adds load, so the staffing cannot come out short.
            lam = np.maximum(volume[busy] / interval_s, np.finfo(float).tiny)
            n = _fewest_erlang_a(lam, h, goal)
            res = erlang.erlang_a(lam, h, goal.patience_s, n, goal.target_s)
            sl[busy] = res.service_level
            asa[busy] = res.mean_wait_s
            occ[busy] = res.occupancy
        net[busy] = n
    if goal.target_s is None:
        sl[:] = np.nan
    return _result(rows, net, goal, sl, asa, occ)


def _fewest_erlang_a(lam: np.ndarray, aht: np.ndarray, goal: ChannelGoal) -> np.ndarray:
    """Fewest agents whose Erlang A service level meets the goal, and ``A / n <= cap``.

    Rows with ``lam > 0`` only (zero agents then answer nobody, so ``n = 0`` fails
    every goal in (0, 1)). The Erlang C count starts the bracket; rows that still
    miss double it until they meet the goal; then bisection keeps ``lo`` missing
    and ``hi`` meeting, so the answer is exact wherever the service level rises
    with ``n``.
    """
    patience, target, want = goal.patience_s, goal.target_s, goal.service_level
    assert patience is not None and target is not None and want is not None

    def meets(idx: np.ndarray, n: np.ndarray) -> np.ndarray:
        sl = np.asarray(erlang.erlang_a(lam[idx], aht[idx], patience, n, target).service_level)
        if np.isnan(sl).any():  # pragma: no cover - a guard, so the search cannot run forever
            bad = int(idx[np.flatnonzero(np.isnan(sl))[0]])
            raise ValueError(
                f"erlang_a gave no service level for arrival rate {lam[bad]!r} /s, aht {aht[bad]!r} s, "
                f"patience {patience!r} s"
            )
        return sl >= want

    traffic = lam * aht
    guess = np.asarray(erlang.required_agents(traffic, aht, target=target, service_level=want), dtype=np.int64)
    lo = np.zeros_like(guess)
    hi = np.maximum(guess, 1)
    idx = np.arange(lam.size)
    ok = meets(idx, hi)
    lo[~ok] = hi[~ok]
    idx = idx[~ok]
    while idx.size:
        hi[idx] *= 2
        good = meets(idx, hi[idx])
        lo[idx[~good]] = hi[idx[~good]]
        idx = idx[~good]
    idx = np.flatnonzero(hi - lo > 1)
    while idx.size:
        mid = (lo[idx] + hi[idx]) // 2
        good = meets(idx, mid)
        hi[idx[good]] = mid[good]
        lo[idx[~good]] = mid[~good]
        idx = idx[hi[idx] - lo[idx] > 1]
    # The occupancy cap on offered load: A / n is an upper bound on the Erlang A
    # busy share, so meeting it keeps the reported occupancy under the cap too.
    return np.maximum(hi, _fewest_multiple(traffic, goal.max_occupancy))


def _deferred_windows(goal: ChannelGoal, step: int) -> tuple[int, int]:
    """``(W, L)``: intervals in time, and intervals each interval's work is paced over.

    Exact rational arithmetic on the float inputs, so ``W / L >= response_share``
    and ``(W + 1) * interval <= response_hours`` hold exactly, not just nearly.
    """
    hours, share = goal.response_hours, goal.response_share
    assert hours is not None and share is not None
    in_time = math.floor(Fraction(hours) * 60 / step) - 1
    if in_time < 1:
        raise ValueError(
            f"response_hours={hours} of channel {goal.channel!r} leaves no whole {step}-minute interval "
            f"between an interval's arrivals and their deadline; it needs at least {2 * step / 60:g} h"
        )
    paced = math.floor(Fraction(in_time) / Fraction(share))
    return in_time, paced


def _deferred(rows: pd.DataFrame, goal: ChannelGoal, step: int) -> pd.DataFrame:
    interval_s = 60.0 * step
    in_time, paced = _deferred_windows(goal, step)
    volume = rows["volume"].to_numpy(dtype=float)
    work = volume * rows["aht_s"].to_numpy(dtype=float)  # [agent-s]
    # Interval t works on the arrivals of intervals t-L .. t-1, 1/L of each.
    padded = np.concatenate([np.zeros(paced), work])
    window = np.lib.stride_tricks.sliding_window_view(padded, paced)[: work.size]
    # Work of the last L intervals [agent-s]; the pace is due / L. Comparing due with
    # L agent-intervals keeps the division out of the rounding.
    due = window.sum(axis=1)
    net = _fewest_multiple(due, interval_s * goal.max_occupancy * paced)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(net > 0, due / (paced * interval_s * np.maximum(net, 1)), 0.0)
    sl = np.where(volume > 0, in_time / paced, 1.0)
    asa = np.full(volume.size, np.nan)
    return _result(rows, net, goal, sl, asa, occ)


def _result(
    rows: pd.DataFrame,
    net: np.ndarray,
    goal: ChannelGoal,
    sl: np.ndarray,
    asa: np.ndarray,
    occ: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interval_start_utc": rows["interval_start_utc"].array,
            "language": rows["language"].to_numpy(dtype=object),
            "channel": rows["channel"].to_numpy(dtype=object),
            "volume": rows["volume"].to_numpy(dtype=float),
            "net_agents": net.astype(np.int64),
            "required": _gross(net, goal.shrinkage),
            "service_level": sl.astype(float),
            "asa_s": asa.astype(float),
            "occupancy": occ.astype(float),
        }
    )
