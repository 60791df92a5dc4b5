"""Key figures of a solved roster, as plain DataFrames: what an analyst opens after the solve.

Every function takes the :class:`~fts_scheduler.models.Problem` and the
:class:`~fts_scheduler.roster.Roster` (or a roster read back from files with
:func:`fts_scheduler.io.read_roster`) and returns a DataFrame; :func:`kpis` computes
them all at once.

Definitions
-----------
paid hours
    Real hours, end minus start in UTC: a Dublin 22:00-06:00 night across the
    return to winter time is 9 h (see ``docs/concepts.md``).
cost
    ``Agent.hourly_cost`` x paid hours, converted to the problem's
    ``reporting_currency`` with ``Problem.rate(site.currency)``.
premium cost
    The site's ``PayRules`` on top: ``night_premium``, ``weekend_premium`` and
    ``holiday_premium`` on every hour of a night, weekend or holiday shift, and
    ``overtime_premium`` on the hours above the contract's ``standard_weekly_hours``
    in an ISO week (of local start dates). ``cost + premium_cost`` is the labour cost
    the optimizer minimises (its ``labour_cost`` and ``overtime_premium`` terms).
night shift
    A shift with at least ``min_hours`` real hours inside the site's local night
    window, ``LabourRules.night`` (by default at least 3 h between 22:00 and 06:00,
    the EU Working Time Directive's night worker; the Japanese and Brazilian presets
    use 22:00-05:00). Each night's window is converted to UTC through the site's
    zone, so a DST night is measured in real hours.
weekend shift
    A shift that starts on one of the site's ``LabourRules.weekend_days`` (Saturday
    and Sunday by default) of its local calendar.
holiday shift
    A shift that starts on a local date that is a public holiday of the site, as the
    ``holidays`` package lists it: ``holidays.country_holidays(site.country,
    subdiv=site.subdivision)``, national days only unless the site names a
    subdivision (the same calendar the model's holiday rules use).
fairness spread
    Per site, the most minus the fewest night (weekend) shifts of any two of the
    site's agents, every agent of the site counted, those without a shift too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .models import Problem, Site
from .roster import Roster
from .timegrid import grid_span, site_holidays, to_utc

__all__ = [
    "Kpis",
    "kpis",
    "interval_kpis",
    "shift_kpis",
    "agent_kpis",
    "site_kpis",
    "totals",
    "service_kpis",
    "staffed_by_site",
    "marginal_value",
]

FORECAST_COLUMNS = ("service_level", "occupancy")  # added per interval with a forecast


# --------------------------------------------------------------------------- per interval


def interval_kpis(
    problem: Problem,
    roster: Roster,
    *,
    forecast: pd.DataFrame | None = None,
    goals: Iterable | None = None,
) -> pd.DataFrame:
    """Staffing against floor and requirement per UTC interval and language.

    Parameters
    ----------
    problem, roster
        The problem and its solved roster.
    forecast, goals
        Optional: the contact forecast and the channel goals the requirement was
        computed from (see :func:`fts_scheduler.requirements.requirements_from_forecast`).
        With both, the contacts and the predicted ``service_level`` and
        ``occupancy`` at the staffed level are added (:func:`service_kpis`, pooled
        over the language's channels).

    Returns
    -------
    pandas.DataFrame
        ``interval_start_utc`` (tz-aware UTC), ``language``, ``floor``,
        ``required``, ``staffed`` [agents] as in ``Roster.coverage``, and ``gap`` =
        staffed - required [agents] (negative: short). With a forecast also
        ``contacts`` [contacts/interval, every channel], ``service_level`` [share of
        the contacts answered within their channel's goal] and ``occupancy`` [share
        of the productive agents' time busy]; NaN where there is nothing to measure
        (no contact, no agent).
    """
    out = roster.coverage.loc[:, ["interval_start_utc", "language", "floor", "required", "staffed"]].copy()
    out["gap"] = out["staffed"] - out["required"]
    if (forecast is None) != (goals is None):
        raise ValueError("predicted service level needs both forecast and goals")
    if forecast is not None:
        out = _with_predicted_service(out, service_kpis(problem, roster, forecast, goals))
    return out.reset_index(drop=True)


def _with_predicted_service(intervals: pd.DataFrame, service: pd.DataFrame) -> pd.DataFrame:
    """Add the pooled ``contacts``, ``service_level`` and ``occupancy`` per interval and language."""
    s = service.copy()
    answered = s["service_level"] * s["volume"]
    s["_sl_volume"] = s["volume"].where(s["service_level"].notna(), 0.0)
    s["_answered"] = answered.fillna(0.0)
    s["_busy"] = (s["occupancy"] * s["productive_agents"]).fillna(0.0)
    pooled = s.groupby(["interval_start_utc", "language"], as_index=False).agg(
        contacts=("volume", "sum"),
        _answered=("_answered", "sum"),
        _sl_volume=("_sl_volume", "sum"),
        _busy=("_busy", "sum"),
        _productive=("productive_agents", "sum"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled["service_level"] = np.where(pooled["_sl_volume"] > 0, pooled["_answered"] / pooled["_sl_volume"], np.nan)
        pooled["occupancy"] = np.where(pooled["_productive"] > 0, pooled["_busy"] / pooled["_productive"], np.nan)
    pooled = pooled.loc[:, ["interval_start_utc", "language", "contacts", *FORECAST_COLUMNS]]
    out = intervals.merge(pooled, on=["interval_start_utc", "language"], how="left")
    out["contacts"] = out["contacts"].fillna(0.0)
    return out


def service_kpis(
    problem: Problem,
    roster: Roster,
    forecast: pd.DataFrame,
    goals: Iterable,
) -> pd.DataFrame:
    """Predicted service per UTC interval, language and channel at the roster's staffed level.

    The roster staffs languages, not channels (requirements are summed over
    channels), so each interval's ``staffed`` agents of a language share their time
    among its channels in proportion to the channels' ``required`` agents from
    :func:`fts_scheduler.requirements.requirements_from_forecast` (equally where
    nothing is required). Of a channel's ``agents``, ``agents * (1 - shrinkage)``
    handle contacts on average: a fractional count ``n`` is read as ``floor(n)``
    agents for part ``1 - frac(n)`` of the interval and ``floor(n) + 1`` for the rest,
    so a lone agent at 30% shrinkage answers as 1 agent 70% of the time, not as 0. At
    a staffed level equal to the requirement every prediction is at least the
    requirement's own.

    * phone and chat: Erlang C (:func:`fts_scheduler.erlang.service_level`,
      :func:`~fts_scheduler.erlang.average_speed_of_answer`, occupancy ``A / n``
      capped at 1) or, with ``patience_s``, Erlang A
      (:func:`~fts_scheduler.erlang.erlang_a`), on the handle time divided by the
      chat concurrency; each interval a steady state, the two whole counts mixed
      by their time shares.
    * email and social: the interval's work (``volume * aht_s``) becomes workable in
      the next interval and is served oldest first at ``max_occupancy`` of the
      agents' time; the share done within the whole intervals before its deadline
      (as in the requirement) is its service level. No backlog before the
      horizon; NaN where the deadline falls past the horizon's end.

    Parameters
    ----------
    problem, roster
        The problem and its roster; forecast rows outside the problem's UTC window
        are left out.
    forecast, goals
        As for :func:`fts_scheduler.requirements.requirements_from_forecast`.

    Returns
    -------
    pandas.DataFrame
        ``interval_start_utc``, ``language``, ``channel``, ``volume``
        [contacts/interval], ``required`` [agents], ``agents`` (the channel's share
        of staffed) and ``productive_agents`` [agents, fractional], ``service_level``
        [share; NaN without contacts or for an ASA-only goal], ``asa_s`` [s; inf
        when the queue is unstable, NaN for deferred work] and ``occupancy``
        [share of the productive agents' time busy].
    """
    from . import erlang
    from .requirements import requirements_from_forecast

    goals = list(goals)
    by_channel = {g.channel: g for g in goals}
    step_min = problem.interval_minutes
    interval_s = 60.0 * step_min
    req = requirements_from_forecast(forecast, goals, interval_minutes=step_min)
    req["interval_start_utc"] = pd.to_datetime(req["interval_start_utc"], utc=True).dt.as_unit("ns")
    g0, g1 = pd.Timestamp(problem.grid_start_utc), pd.Timestamp(problem.grid_end_utc)
    req = req[(req["interval_start_utc"] >= g0) & (req["interval_start_utc"] < g1)].copy()
    aht = forecast.loc[:, ["interval_start_utc", "language", "channel", "aht_s"]].copy()
    aht["interval_start_utc"] = pd.to_datetime(aht["interval_start_utc"], utc=True).dt.as_unit("ns")
    aht[["language", "channel"]] = aht[["language", "channel"]].astype(str)
    req[["language", "channel"]] = req[["language", "channel"]].astype(str)
    req = req.merge(aht, on=["interval_start_utc", "language", "channel"], how="left")
    req["aht_s"] = req["aht_s"].astype(float).fillna(1.0)  # only where volume is 0: never used

    cov = roster.coverage.loc[:, ["interval_start_utc", "language", "staffed"]].copy()
    cov["interval_start_utc"] = pd.to_datetime(cov["interval_start_utc"], utc=True).dt.as_unit("ns")
    cov["language"] = cov["language"].astype(str)
    req = req.merge(cov, on=["interval_start_utc", "language"], how="left")
    req["staffed"] = req["staffed"].fillna(0).astype(np.int64)
    req["agents"] = _shares(req)

    parts = []
    for channel, rows in req.groupby("channel", sort=False):
        goal = by_channel[channel]
        rows = rows.sort_values(["language", "interval_start_utc"]).copy()
        n = rows["agents"].to_numpy(dtype=float) * (1.0 - goal.shrinkage)
        rows["productive_agents"] = n
        volume = rows["volume"].to_numpy(dtype=float)
        if goal.live:
            sl, asa, occ = _live_service(erlang, goal, volume, rows["aht_s"].to_numpy(dtype=float), n, interval_s)
        else:
            sl, asa, occ = np.full(len(rows), np.nan), np.full(len(rows), np.nan), np.zeros(len(rows))
            for _, idx in rows.groupby("language", sort=False).indices.items():
                work = volume[idx] * rows["aht_s"].to_numpy(dtype=float)[idx]
                sl[idx], occ[idx] = _deferred_service(goal, work, n[idx], step_min)
        rows["service_level"], rows["asa_s"], rows["occupancy"] = sl, asa, occ
        parts.append(rows)
    columns = [
        "interval_start_utc", "language", "channel", "volume", "required", "agents",
        "productive_agents", "service_level", "asa_s", "occupancy",
    ]  # fmt: skip
    if not parts:
        return pd.DataFrame({c: [] for c in columns})
    out = pd.concat(parts, ignore_index=True).loc[:, columns]
    out[["language", "channel"]] = out[["language", "channel"]].astype(object)
    return out.sort_values(["interval_start_utc", "language", "channel"], ignore_index=True)


def _shares(req: pd.DataFrame) -> np.ndarray:
    """``staffed`` of each (interval, language) shared over its channels in proportion to ``required``."""
    keys = [req["interval_start_utc"], req["language"]]
    weight = req["required"].astype(float)
    total = weight.groupby(keys).transform("sum").to_numpy()
    count = weight.groupby(keys).transform("size").to_numpy()
    staffed = req["staffed"].to_numpy(dtype=float)
    # staffed * weight / total, not staffed * (weight / total): exact when staffed == total.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, staffed * weight.to_numpy() / np.where(total > 0, total, 1.0), staffed / count)


def _mixed(measure, n: np.ndarray) -> tuple[np.ndarray, ...]:
    """``measure(k)`` at a fractional agent count ``n``: ``floor(n)`` and ``floor(n) + 1`` mixed by time share.

    ``measure`` takes whole agent counts and returns a tuple of arrays; where ``n``
    is whole only ``floor(n)`` counts (so an infinite ASA one agent up cannot leak in).
    """
    low = np.floor(n + 1e-9)
    frac = np.clip(n - low, 0.0, 1.0)
    at_low, at_high = measure(low), measure(low + 1)
    with np.errstate(invalid="ignore"):
        return tuple(np.where(frac > 1e-9, (1 - frac) * a + frac * b, a) for a, b in zip(at_low, at_high))


def _live_service(erlang, goal, volume, aht, n, interval_s):
    """Service level, ASA and occupancy of a live queue per row (see :func:`service_kpis`)."""
    size = volume.size
    sl, asa, occ = np.full(size, np.nan), np.full(size, np.nan), np.zeros(size)
    busy = volume > 0
    if not busy.any():
        return sl, asa, occ
    h = aht[busy] / goal.concurrency
    a = volume[busy] * h / interval_s
    target = goal.target_s if goal.target_s is not None else 0.0

    def measure(k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if goal.patience_s is None:
            served = np.asarray(erlang.service_level(a, k, h, target), dtype=float)
            wait = np.asarray(erlang.average_speed_of_answer(a, k, h), dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                busy_agents = np.minimum(a, k)  # the offered load, or every agent when it exceeds them
        else:
            res = erlang.erlang_a(volume[busy] / interval_s, h, goal.patience_s, k, target)
            served, wait = np.asarray(res.service_level, dtype=float), np.asarray(res.mean_wait_s, dtype=float)
            busy_agents = np.asarray(res.occupancy, dtype=float) * k
        return served, wait, busy_agents

    served, wait, busy_agents = _mixed(measure, n[busy])
    if goal.target_s is not None:
        sl[busy] = served
    asa[busy] = wait
    with np.errstate(divide="ignore", invalid="ignore"):
        occ[busy] = np.where(n[busy] > 0, np.minimum(busy_agents / np.where(n[busy] > 0, n[busy], 1.0), 1.0), 0.0)
    return sl, asa, occ


def _deferred_service(goal, work: np.ndarray, agents: np.ndarray, step_min: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of each interval's deferred work done in time, and occupancy, oldest first.

    ``work`` [agent-s] of interval ``i`` is workable from ``i + 1``; it is in time if
    done within intervals ``i + 1 ... i + W``, ``W = floor(response_hours /
    interval) - 1`` (the requirement's reading of the deadline).
    """
    interval_s = 60.0 * step_min
    in_time = int(np.floor(goal.response_hours * 60 / step_min + 1e-9)) - 1
    size = work.size
    done_in_time = np.zeros(size)
    occupancy = np.zeros(size)
    queue: list[list[float]] = []  # [arrival interval, work left], oldest first
    for t in range(size):
        capacity = agents[t] * interval_s * goal.max_occupancy
        used = 0.0
        while queue and capacity - used > 1e-9:
            i, left = queue[0]
            take = min(left, capacity - used)
            used += take
            if t <= i + in_time:
                done_in_time[i] += take
            if take >= left - 1e-9:
                queue.pop(0)
            else:
                queue[0][1] = left - take
        occupancy[t] = used / (agents[t] * interval_s) if agents[t] > 0 else 0.0
        if work[t] > 0:
            queue.append([t, float(work[t])])
    with np.errstate(divide="ignore", invalid="ignore"):
        sl = np.where(work > 0, np.minimum(done_in_time / np.where(work > 0, work, 1.0), 1.0), np.nan)
    # Deadlines past the horizon's end: staffing there is unknown.
    sl[max(size - in_time, 0) :] = np.nan
    return sl, occupancy


# --------------------------------------------------------------------------- per shift


def shift_kpis(problem: Problem, roster: Roster) -> pd.DataFrame:
    """One row per shift (in the roster's order) with what the agent and site figures are summed from.

    Returns
    -------
    pandas.DataFrame
        ``agent_id``, ``site``, ``shift``, ``local_date`` (the shift's local start
        date), ``start_local``, ``end_local`` (tz-aware, site zone), ``hours`` [h],
        ``cost`` and ``premium_cost`` (night, weekend and holiday premiums; overtime
        is per week, see :func:`agent_kpis`) [reporting currency], ``night_hours``
        [h] inside the local night window, ``night``, ``weekend`` (bool) and
        ``holiday`` (the holiday's name, ``""`` if none); see the module docstring
        for the definitions.
    """
    agents = {a.id: a for a in problem.agents}
    holidays = {s.name: site_holidays(problem, s) for s in problem.sites}
    rows = []
    for r in roster.assignments.itertuples(index=False):
        site = problem.site(r.site)
        start = pd.Timestamp(r.start_utc).to_pydatetime()
        end = pd.Timestamp(r.end_utc).to_pydatetime()
        start_local = start.astimezone(site.zone)
        hours = (end - start).total_seconds() / 3600
        night_h = _night_hours(site, start, end)
        night = night_h >= site.rules.night.min_hours - 1e-9
        day = start_local.date()
        weekend = day.weekday() in site.rules.weekend_days
        holiday = holidays[r.site].get(day, "")
        base = hours * agents[r.agent_id].hourly_cost * problem.rate(site.currency)
        pay = site.pay
        premium = base * (pay.night_premium * night + pay.weekend_premium * weekend + pay.holiday_premium * bool(holiday))
        rows.append(
            (r.agent_id, r.site, r.shift, day, pd.Timestamp(start_local), pd.Timestamp(end.astimezone(site.zone)),
             hours, base, premium, night_h, night, weekend, holiday)
        )  # fmt: skip
    columns = [
        "agent_id", "site", "shift", "local_date", "start_local", "end_local",
        "hours", "cost", "premium_cost", "night_hours", "night", "weekend", "holiday",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    objects = ["agent_id", "site", "shift", "holiday", "local_date", "start_local", "end_local"]
    out[objects] = out[objects].astype(object)
    out[["hours", "cost", "premium_cost", "night_hours"]] = out[["hours", "cost", "premium_cost", "night_hours"]].astype(float)
    out[["night", "weekend"]] = out[["night", "weekend"]].astype(bool)
    return out


def _night_hours(site: Site, start: dt.datetime, end: dt.datetime) -> float:
    """Real hours of ``[start, end)`` inside the site's local night windows [h]."""
    night, zone = site.rules.night, site.zone
    overnight = night.end <= night.start
    total = 0.0
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    while True:
        w0 = to_utc(dt.datetime.combine(day, night.start), zone)
        if w0 >= end:
            return total
        w1 = to_utc(dt.datetime.combine(day + dt.timedelta(days=overnight), night.end), zone)
        total += max((min(end, w1) - max(start, w0)).total_seconds(), 0.0) / 3600
        day += dt.timedelta(days=1)


def _overtime_cost(problem: Problem, shifts: pd.DataFrame) -> pd.Series:
    """Overtime premium per agent [reporting currency]: hours above ``standard_weekly_hours`` per ISO week."""
    agents = {a.id: a for a in problem.agents}
    out: dict[str, float] = {}
    weeks = shifts.assign(week=shifts["local_date"].map(lambda d: d.isocalendar()[:2]))
    for (agent_id, _), part in weeks.groupby(["agent_id", "week"]):
        agent = agents[agent_id]
        site = problem.site(agent.site)
        standard = agent.contract.standard_weekly_hours
        if standard is None or site.pay.overtime_premium <= 0:
            continue
        over = max(0.0, float(part["hours"].sum()) - standard)
        rate = agent.hourly_cost * problem.rate(site.currency) * site.pay.overtime_premium
        out[agent_id] = out.get(agent_id, 0.0) + over * rate
    return pd.Series(out, dtype=float)


# --------------------------------------------------------------------------- per agent and site


def agent_kpis(problem: Problem, roster: Roster, *, shifts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Workload and unsocial hours per agent, every agent of the problem (those without a shift too).

    Parameters
    ----------
    shifts
        :func:`shift_kpis` of the roster, if already computed.

    Returns
    -------
    pandas.DataFrame
        ``agent_id``, ``site``, ``languages`` (space-separated), ``contract``,
        ``shifts``, ``hours`` [h], ``cost`` and ``premium_cost`` (night, weekend,
        holiday and overtime premiums) [reporting currency], ``night_shifts``,
        ``weekend_shifts``, ``holiday_shifts`` [shifts]: definitions in the module
        docstring.
    """
    s = shift_kpis(problem, roster) if shifts is None else shifts
    per = s.groupby("agent_id").agg(
        shifts=("shift", "size"),
        hours=("hours", "sum"),
        cost=("cost", "sum"),
        premium_cost=("premium_cost", "sum"),
        night_shifts=("night", "sum"),
        weekend_shifts=("weekend", "sum"),
        holiday_shifts=("holiday", lambda h: int((h != "").sum())),
    )
    base = pd.DataFrame(
        {
            "agent_id": [a.id for a in problem.agents],
            "site": [a.site for a in problem.agents],
            "languages": [" ".join(a.languages) for a in problem.agents],
            "contract": [a.contract.name for a in problem.agents],
        },
        dtype=object,
    )
    out = base.merge(per, left_on="agent_id", right_index=True, how="left")
    counts = ["shifts", "night_shifts", "weekend_shifts", "holiday_shifts"]
    out[counts] = out[counts].fillna(0).astype(int)
    money = ["hours", "cost", "premium_cost"]
    out[money] = out[money].fillna(0.0).astype(float)
    overtime = _overtime_cost(problem, s)
    out["premium_cost"] += out["agent_id"].map(overtime).fillna(0.0)
    return out.reset_index(drop=True)


def site_kpis(problem: Problem, roster: Roster, *, agents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Paid hours, cost, shifts and fairness per site, in the problem's site order.

    Parameters
    ----------
    agents
        :func:`agent_kpis` of the roster, if already computed.

    Returns
    -------
    pandas.DataFrame
        ``site``, ``timezone``, ``country``, ``agents`` (headcount),
        ``rostered_agents`` (with at least one shift), ``shifts``, ``paid_hours``
        [h], ``cost`` and ``premium_cost`` [reporting currency], ``night_shifts``, ``weekend_shifts``,
        ``holiday_shifts`` [shifts], ``night_spread`` and ``weekend_spread``
        [shifts]: most minus fewest of any two of the site's agents.
    """
    a = agent_kpis(problem, roster) if agents is None else agents
    rows = []
    for site in problem.sites:
        mine = a[a["site"] == site.name]
        rows.append(
            {
                "site": site.name,
                "timezone": site.timezone,
                "country": site.country,
                "agents": len(mine),
                "rostered_agents": int((mine["shifts"] > 0).sum()),
                "shifts": int(mine["shifts"].sum()),
                "paid_hours": float(mine["hours"].sum()),
                "cost": float(mine["cost"].sum()),
                "premium_cost": float(mine["premium_cost"].sum()),
                "night_shifts": int(mine["night_shifts"].sum()),
                "weekend_shifts": int(mine["weekend_shifts"].sum()),
                "holiday_shifts": int(mine["holiday_shifts"].sum()),
                "night_spread": _spread(mine["night_shifts"]),
                "weekend_spread": _spread(mine["weekend_shifts"]),
            }
        )
    out = pd.DataFrame(rows)
    out[["site", "timezone", "country"]] = out[["site", "timezone", "country"]].astype(object)
    return out


def _spread(values: pd.Series) -> int:
    return int(values.max() - values.min()) if len(values) else 0


# --------------------------------------------------------------------------- totals


def totals(
    problem: Problem,
    roster: Roster,
    *,
    intervals: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Headline figures of the roster, one metric per row.

    Parameters
    ----------
    intervals, sites
        :func:`interval_kpis` and :func:`site_kpis` of the roster, if already
        computed (with a forecast, ``intervals`` adds the pooled service level).

    Returns
    -------
    pandas.DataFrame
        ``metric``, ``value``, ``unit``. Metrics: ``shifts``, ``rostered_agents``,
        ``paid_hours``, ``cost``, ``premium_cost`` and ``labour_cost`` (their sum; in
        the reporting currency, which is the unit), ``under_staffed`` and ``over_staffed`` (agent-hours
        below / above the requirement, summed over languages and intervals),
        ``floor_shortfall`` (agent-hours below a floor: 0 for every roster ``solve``
        returns), ``intervals_meeting_requirement`` (share of interval-languages with
        a requirement that are staffed to it), ``night_shifts``,
        ``weekend_shifts``, ``holiday_shifts``, ``night_spread`` and
        ``weekend_spread`` (the largest site spread); with a forecast also
        ``service_level`` and ``occupancy`` (means weighted by contacts over the
        intervals that have a value).
    """
    iv = interval_kpis(problem, roster) if intervals is None else intervals
    st = site_kpis(problem, roster) if sites is None else sites
    step_h = problem.interval_minutes / 60
    currency = problem.reporting_currency
    gap = iv["staffed"] - iv["required"]
    demanded = iv["required"] > 0
    rows = [
        ("shifts", int(st["shifts"].sum()), "shifts"),
        ("rostered_agents", int(st["rostered_agents"].sum()), "agents"),
        ("paid_hours", float(st["paid_hours"].sum()), "h"),
        ("cost", float(st["cost"].sum()), currency),
        ("premium_cost", float(st["premium_cost"].sum()), currency),
        ("labour_cost", float(st["cost"].sum() + st["premium_cost"].sum()), currency),
        ("under_staffed", float((-gap).clip(lower=0).sum() * step_h), "agent-h"),
        ("over_staffed", float(gap.clip(lower=0).sum() * step_h), "agent-h"),
        ("floor_shortfall", float((iv["floor"] - iv["staffed"]).clip(lower=0).sum() * step_h), "agent-h"),
        (
            "intervals_meeting_requirement",
            float((gap[demanded] >= 0).mean()) if demanded.any() else 1.0,
            "share",
        ),
        ("night_shifts", int(st["night_shifts"].sum()), "shifts"),
        ("weekend_shifts", int(st["weekend_shifts"].sum()), "shifts"),
        ("holiday_shifts", int(st["holiday_shifts"].sum()), "shifts"),
        ("night_spread", int(st["night_spread"].max()) if len(st) else 0, "shifts"),
        ("weekend_spread", int(st["weekend_spread"].max()) if len(st) else 0, "shifts"),
    ]
    if "service_level" in iv and "contacts" in iv:
        for metric in FORECAST_COLUMNS:
            # weighted by contacts, over the intervals that have a value (NaN: nothing to measure)
            w = iv["contacts"].where(iv[metric].notna(), 0.0).fillna(0.0)
            if w.sum() > 0:
                rows.append((metric, float((iv[metric].fillna(0.0) * w).sum() / w.sum()), "share"))
    return pd.DataFrame(rows, columns=["metric", "value", "unit"]).astype({"metric": object, "unit": object})


# --------------------------------------------------------------------------- all at once


@dataclass(frozen=True)
class Kpis:
    """Every key-figure table of one roster (see the functions of the same names)."""

    intervals: pd.DataFrame
    shifts: pd.DataFrame
    agents: pd.DataFrame
    sites: pd.DataFrame
    totals: pd.DataFrame
    service: pd.DataFrame | None = None

    def frames(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order an analyst reads them: totals first."""
        out = {
            "totals": self.totals,
            "sites": self.sites,
            "agents": self.agents,
            "shifts": self.shifts,
            "intervals": self.intervals,
        }
        if self.service is not None:
            out["service"] = self.service
        return out

    def value(self, metric: str) -> float:
        """One headline figure of :attr:`totals` by its metric name."""
        hit = self.totals.loc[self.totals["metric"] == metric, "value"]
        if hit.empty:
            raise KeyError(metric)
        return float(hit.iloc[0])


def kpis(
    problem: Problem,
    roster: Roster,
    *,
    forecast: pd.DataFrame | None = None,
    goals: Iterable | None = None,
) -> Kpis:
    """Every table at once, each computed once: :func:`interval_kpis`,
    :func:`shift_kpis`, :func:`agent_kpis`, :func:`site_kpis`, :func:`totals`, and
    with ``forecast`` and ``goals`` :func:`service_kpis` (``Kpis.service``)."""
    if (forecast is None) != (goals is None):
        raise ValueError("predicted service level needs both forecast and goals")
    intervals = interval_kpis(problem, roster)
    service = None
    if forecast is not None:
        service = service_kpis(problem, roster, forecast, goals)
        intervals = _with_predicted_service(intervals, service)
    shifts = shift_kpis(problem, roster)
    agents = agent_kpis(problem, roster, shifts=shifts)
    sites = site_kpis(problem, roster, agents=agents)
    return Kpis(
        intervals=intervals,
        shifts=shifts,
        agents=agents,
        sites=sites,
        totals=totals(problem, roster, intervals=intervals, sites=sites),
        service=service,
    )


# --------------------------------------------------------------------------- staffed by site


def staffed_by_site(problem: Problem, roster: Roster) -> pd.DataFrame:
    """``Roster.coverage``'s staffed agents attributed to sites.

    The coverage split counts each agent once, for one language, but per *language
    profile* (agents speaking the same set of languages are interchangeable), not
    per site: it says that 3 agents serve Spanish at 14:00 UTC, not where they sit.
    This derives a site attribution that matches it exactly: per interval, a flow
    from the groups of agents on shift (same site, same languages, same first
    language), each as large as its head count, to the languages, each taking
    exactly its ``staffed`` count. The optimizer's split is such a flow, so one always
    exists: the attribution sums over sites to ``staffed`` in every interval and
    language, with nobody counted twice. Among the flows that do, the cheapest is
    taken with these prices, so that the picture is stable from one interval to the
    next: an agent counts for their first language (``Agent.languages[0]``) at no
    cost; for another language at a cost that grows with the site's position in
    ``problem.sites`` (ties go to the sites listed first).

    Returns
    -------
    pandas.DataFrame
        ``interval_start_utc``, ``language``, ``site``, ``staffed`` [agents]: one row
        per interval, language and site of the problem (zeros included).

    Raises
    ------
    ValueError
        If ``roster.coverage`` cannot be split over the agents on shift in
        ``roster.assignments`` (they come from different rosters).
    """
    from ortools.graph.python import min_cost_flow

    cov = roster.coverage
    languages = sorted(cov["language"].unique())
    lang_index = {lang: j for j, lang in enumerate(languages)}
    site_index = {s.name: i for i, s in enumerate(problem.sites)}
    n = problem.num_intervals
    starts = pd.DatetimeIndex(problem.interval_starts())
    staffed = (
        cov.pivot_table(index="interval_start_utc", columns="language", values="staffed", aggfunc="sum")
        .reindex(index=starts, columns=languages, fill_value=0)
        .fillna(0)
        .to_numpy(dtype=np.int64)
    )

    def span(start, end) -> tuple[int, int]:
        return grid_span(problem, pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime())

    # Head count on shift per group and interval, by difference arrays.
    group_of: dict[str, tuple[str, tuple[str, ...], str]] = {}
    for a in problem.agents:
        profile = tuple(lang for lang in a.languages if lang in lang_index)
        if profile:  # an agent speaking none of the languages is never counted in coverage
            group_of[a.id] = (a.site, tuple(sorted(profile)), profile[0])
    groups: dict[tuple[str, tuple[str, ...], str], np.ndarray] = {}
    for r in roster.assignments.itertuples(index=False):
        key = group_of.get(r.agent_id)
        first, last = span(r.start_utc, r.end_utc)
        if key is None or first >= last:
            continue
        diff = groups.setdefault(key, np.zeros(n + 1, dtype=np.int64))
        diff[first] += 1
        diff[last] -= 1
    # Agents on break count for no language in any interval the break touches.
    for b in roster.breaks.itertuples(index=False):
        key = group_of.get(b.agent_id)
        first, last = span(b.start_utc, b.end_utc)
        if key in groups and first < last:
            groups[key][first] -= 1
            groups[key][last] += 1
    keys = list(groups)
    on_shift = np.array([np.cumsum(groups[k])[:n] for k in keys], dtype=np.int64).reshape(len(keys), n)

    # Nodes: 0 source, 1..G groups, G+1..G+L languages, G+L+1 sink. Arcs in a fixed
    # order: source->group (G), then group->language for each group's languages.
    G, L = len(keys), len(languages)
    sink = G + L + 1
    tails, heads, costs, owner = [], [], [], []
    for g, (site, profile, primary) in enumerate(keys):
        for lang in profile:
            tails.append(1 + g)
            heads.append(1 + G + lang_index[lang])
            costs.append(0 if lang == primary else 1 + site_index[site])
            owner.append((g, lang_index[lang]))
    result = np.zeros((len(problem.sites), L, n), dtype=np.int64)
    cache: dict[bytes, np.ndarray] = {}
    for t in range(n):
        counts, need = on_shift[:, t], staffed[t]
        signature = counts.tobytes() + need.tobytes()
        flows = cache.get(signature)
        if flows is None:
            flows = _split_flow(min_cost_flow, counts, need, tails, heads, costs, owner, sink)
            if flows is None:
                raise ValueError(
                    f"coverage at {starts[t]} ({dict(zip(languages, need.tolist()))}) cannot be split over "
                    "the agents on shift in the assignments: are they from the same roster?"
                )
            cache[signature] = flows
        for g, key in enumerate(keys):
            result[site_index[key[0]], :, t] += flows[g]

    site_names = [s.name for s in problem.sites]
    idx = pd.MultiIndex.from_product([site_names, languages, range(n)], names=["site", "language", "t"])
    out = pd.DataFrame({"staffed": result.reshape(-1)}, index=idx).reset_index()
    out["interval_start_utc"] = starts[out["t"].to_numpy()]
    out = out.loc[:, ["interval_start_utc", "language", "site", "staffed"]]
    out[["language", "site"]] = out[["language", "site"]].astype(object)
    return out.sort_values(["interval_start_utc", "language", "site"], ignore_index=True)


def _split_flow(min_cost_flow, counts, need, tails, heads, costs, owner, sink) -> np.ndarray | None:
    """Cheapest exact split of ``need`` per language over groups of ``counts`` agents (None: none)."""
    G, L = len(counts), len(need)
    flows = np.zeros((G, L), dtype=np.int64)
    total = int(need.sum())
    if total == 0:
        return flows
    if G == 0:
        return None
    f = min_cost_flow.SimpleMinCostFlow()
    lang_caps = [int(counts[g]) for g, _ in owner]
    f.add_arcs_with_capacity_and_unit_cost(
        np.array([0] * G + tails + list(range(1 + G, 1 + G + L))),
        np.array(list(range(1, 1 + G)) + heads + [sink] * L),
        np.array([int(c) for c in counts] + lang_caps + [int(x) for x in need]),
        np.array([0] * G + costs + [0] * L),
    )
    f.set_node_supply(0, total)
    f.set_node_supply(sink, -total)
    if f.solve() != f.OPTIMAL:
        return None
    for k, (g, j) in enumerate(owner):
        flows[g, j] = f.flow(G + k)
    return flows


# --------------------------------------------------------------------------- hiring


MARGINAL_VALUE_COLUMNS = ("site", "languages", "contract", "agents", "value", "value_min", "value_max")


def marginal_value(problem: Problem, roster: Roster) -> pd.DataFrame:
    """What one more agent of each kind would be worth, from the decomposition's prices.

    One row per (site, languages, contract) with agents on the roster: ``agents`` (how
    many of that kind there are), and over them ``value`` (mean), ``value_min`` and
    ``value_max`` [reporting currency over the horizon]: the reduced cost, negated, of
    the best line of work an agent like that could work at the decomposition's prices
    (the duals of its best bound, :mod:`~fts_scheduler.decomposition`). A positive value
    is what such an agent would pay for itself (cover bought cheaper than the shortfalls
    and premiums it removes); a negative one, what it would cost beyond what it covers
    (its contract's minimum hours where they are not needed). These are the prices of
    the relaxation, the shadow prices WFM teams plan hiring from, not a promise of the
    next roster's cost. Sorted by ``value``, highest first; empty when the roster has no
    decomposition bound (``roster.stats["marginal_values"]`` missing).
    """
    values = roster.stats.get("marginal_values") or {}
    rows = [
        (agent.site, "+".join(sorted(agent.languages)), agent.contract.name, values[agent.id])
        for agent in problem.agents
        if agent.id in values
    ]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MARGINAL_VALUE_COLUMNS})
    frame = pd.DataFrame(rows, columns=["site", "languages", "contract", "v"])
    out = frame.groupby(["site", "languages", "contract"], as_index=False).agg(
        agents=("v", "size"), value=("v", "mean"), value_min=("v", "min"), value_max=("v", "max")
    )
    return out.sort_values("value", ascending=False, ignore_index=True)[list(MARGINAL_VALUE_COLUMNS)]
