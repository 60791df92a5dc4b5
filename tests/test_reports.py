"""Key figures: each definition checked on hand-built rosters whose answers are known.

The rosters here are built by hand (:func:`roster_of`), not solved, so every expected
number can be worked out on paper: a Dublin night across the return to winter time,
a Manila Saturday that is still Friday in UTC, the Irish October bank holiday.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fts_scheduler import (
    Agent,
    LanguageFloor,
    PayRules,
    Problem,
    Requirement,
    Roster,
    ShiftTemplate,
    Site,
    erlang,
    reports,
    solve,
)
from fts_scheduler.requirements import ChannelGoal, problem_from_forecast, requirements_from_forecast
from fts_scheduler.timegrid import to_utc

SAT = dt.date(2026, 10, 24)  # Dublin goes back to GMT in the night to Sunday 25 October

TEMPLATES = (
    ShiftTemplate(name="early", start=dt.time(6), length_hours=8),
    ShiftTemplate(name="late", start=dt.time(14), length_hours=8),
    ShiftTemplate(name="night", start=dt.time(22), length_hours=8),
    ShiftTemplate(name="dawn", start=dt.time(3), length_hours=8),  # 3 h inside 22:00-06:00: a night
    ShiftTemplate(name="predawn", start=dt.time(4), length_hours=8),  # 2 h inside: not a night
)


def three_sites(**problem_fields) -> Problem:
    """Dublin, Manila and Austin, English everywhere, three days from Saturday 24 October 2026."""
    agents = [
        Agent(id="D1", site="Dublin", languages=("en", "de"), hourly_cost=20.0),
        Agent(id="D2", site="Dublin", languages=("en",), hourly_cost=10.0),
        Agent(id="D3", site="Dublin", languages=("de", "en"), hourly_cost=30.0),
        Agent(id="M1", site="Manila", languages=("en",), hourly_cost=8.0),
        Agent(id="A1", site="Austin", languages=("en",), hourly_cost=25.0),
    ]
    fields = dict(
        sites=(
            Site(name="Dublin", timezone="Europe/Dublin", country="IE"),
            Site(name="Manila", timezone="Asia/Manila", country="PH"),
            Site(name="Austin", timezone="America/Chicago", country="US"),
        ),
        agents=tuple(agents),
        shift_templates=TEMPLATES,
        floors=(LanguageFloor(language="en", agents=1), LanguageFloor(language="de", agents=1)),
        start_date=SAT,
        days=3,
        interval_minutes=60,
    )
    fields.update(problem_fields)
    return Problem(**fields)


def roster_of(problem: Problem, shifts: list[tuple[str, str, dt.date]], *, split: dict | None = None) -> Roster:
    """A roster of ``(agent_id, template, local date)`` shifts, placed through the site's zone.

    Coverage counts each agent on shift once, for their first language of the
    problem's languages, unless ``split`` maps an agent id to another language.
    """
    agents = {a.id: a for a in problem.agents}
    templates = {t.name: t for t in problem.shift_templates}
    languages = problem.languages()
    rows = []
    for agent_id, name, day in shifts:
        site = problem.site(agents[agent_id].site)
        t = templates[name]
        start_local = dt.datetime.combine(day, t.start)
        s = to_utc(start_local, site.zone)
        e = to_utc(start_local + dt.timedelta(hours=t.length_hours), site.zone)
        rows.append(
            (agent_id, site.name, name, pd.Timestamp(s), pd.Timestamp(e),
             pd.Timestamp(s.astimezone(site.zone)), pd.Timestamp(e.astimezone(site.zone)), (e - s).total_seconds() / 3600)
        )  # fmt: skip
    assignments = pd.DataFrame(
        rows, columns=["agent_id", "site", "shift", "start_utc", "end_utc", "start_local", "end_local", "hours"], dtype=object
    )
    assignments["hours"] = assignments["hours"].astype(float)
    starts = problem.interval_starts()
    step = dt.timedelta(minutes=problem.interval_minutes)
    floors = {lang: np.zeros(len(starts), dtype=int) for lang in languages}
    for f in problem.floors:
        floors[f.language][:] = np.maximum(floors[f.language], f.agents)  # around the clock only, in these tests
    required = {r.language: np.asarray(r.agents) for r in problem.requirements}
    cov = []
    for i, t0 in enumerate(starts):
        count = dict.fromkeys(languages, 0)
        for r in rows:
            if r[3] < t0 + step and r[4] > t0:
                lang = (split or {}).get(r[0]) or next(x for x in agents[r[0]].languages if x in languages)
                count[lang] += 1
        for lang in languages:
            req = int(required[lang][i]) if lang in required else 0
            cov.append((pd.Timestamp(t0), lang, int(floors[lang][i]), req, count[lang]))
    coverage = pd.DataFrame(cov, columns=["interval_start_utc", "language", "floor", "required", "staffed"])
    coverage["interval_start_utc"] = pd.to_datetime(coverage["interval_start_utc"], utc=True)
    return Roster(
        status="FEASIBLE", objective=0.0, bound=0.0, gap=0.0, runtime_s=0.0, assignments=assignments, coverage=coverage
    )


# --------------------------------------------------------------------------- shifts


def test_dublin_night_across_the_clock_change_is_nine_real_hours_of_night():
    p = three_sites()
    k = reports.shift_kpis(p, roster_of(p, [("D2", "night", SAT)]))
    row = k.iloc[0]
    assert row["hours"] == 9.0  # 22:00 IST - 06:00 GMT
    assert row["night_hours"] == 9.0
    assert bool(row["night"])
    assert row["cost"] == pytest.approx(9.0 * 10.0)


@pytest.mark.parametrize(("template", "night_hours", "is_night"), [("dawn", 3.0, True), ("predawn", 2.0, False), ("late", 0.0, False)])
def test_night_needs_three_hours_between_22_and_06_local(template, night_hours, is_night):
    p = three_sites()
    day = dt.date(2026, 10, 26)  # a plain Monday in Dublin (GMT)
    row = reports.shift_kpis(p, roster_of(p, [("D2", template, day)])).iloc[0]
    assert row["night_hours"] == pytest.approx(night_hours)
    assert bool(row["night"]) is is_night


def test_weekend_is_the_local_calendar_not_utc():
    p = three_sites()
    # Manila's Saturday 06:00 is Friday 22:00 UTC; Austin's Sunday 22:00 is Monday 03:00 UTC.
    k = reports.shift_kpis(p, roster_of(p, [("M1", "early", SAT), ("A1", "night", dt.date(2026, 10, 25))]))
    manila, austin = k.set_index("agent_id").loc["M1"], k.set_index("agent_id").loc["A1"]
    assert pd.Timestamp(manila["start_local"]).tz_convert("UTC").weekday() == 4  # Friday in UTC
    assert bool(manila["weekend"]) and bool(austin["weekend"])
    monday = reports.shift_kpis(p, roster_of(p, [("M1", "early", dt.date(2026, 10, 26))])).iloc[0]
    assert not bool(monday["weekend"])


def test_holiday_is_the_site_countrys_public_holiday():
    p = three_sites()
    monday = dt.date(2026, 10, 26)  # Ireland's October Bank Holiday; a working day in the US and PH
    k = reports.shift_kpis(p, roster_of(p, [("D2", "early", monday), ("A1", "early", monday), ("M1", "early", monday)]))
    by_agent = k.set_index("agent_id")["holiday"]
    assert by_agent["D2"] == "October Bank Holiday"
    assert by_agent["A1"] == "" and by_agent["M1"] == ""


# --------------------------------------------------------------------------- agents, sites, totals


def test_agent_and_site_figures_add_up_and_keep_agents_without_shifts():
    p = three_sites()
    shifts = [
        ("D1", "night", SAT),                       # 9 h, night, weekend
        ("D1", "dawn", dt.date(2026, 10, 26)),      # 8 h, night, holiday
        ("D2", "early", dt.date(2026, 10, 25)),     # 8 h, weekend
        ("M1", "early", SAT),                       # 8 h, weekend
    ]  # fmt: skip
    roster = roster_of(p, shifts)
    agents = reports.agent_kpis(p, roster).set_index("agent_id")
    assert list(agents.index) == ["D1", "D2", "D3", "M1", "A1"]
    assert agents.loc["D1", ["shifts", "night_shifts", "weekend_shifts", "holiday_shifts"]].tolist() == [2, 2, 1, 1]
    assert agents.loc["D1", "hours"] == 17.0 and agents.loc["D1", "cost"] == pytest.approx(17 * 20.0)
    assert agents.loc["D3", ["shifts", "hours", "cost"]].tolist() == [0, 0.0, 0.0]
    sites = reports.site_kpis(p, roster).set_index("site")
    assert sites.loc["Dublin", "paid_hours"] == 25.0
    assert sites.loc["Dublin", "cost"] == pytest.approx(17 * 20.0 + 8 * 10.0)
    assert sites.loc["Dublin", ["agents", "rostered_agents", "shifts"]].tolist() == [3, 2, 3]
    # nights per Dublin agent: 2, 0, 0 -> spread 2; weekends 1, 1, 0 -> spread 1
    assert sites.loc["Dublin", "night_spread"] == 2 and sites.loc["Dublin", "weekend_spread"] == 1
    assert sites.loc["Austin", ["shifts", "paid_hours", "night_spread"]].tolist() == [0, 0.0, 0]


def _paid_in_euro(**pay) -> Problem:
    base = three_sites()
    dublin = base.site("Dublin").model_copy(update={"currency": "EUR", "pay": PayRules(**pay)})
    sites = tuple(dublin if s.name == "Dublin" else s for s in base.sites)
    return three_sites(sites=sites, reporting_currency="USD", exchange_rates={"EUR": 1.1})


def test_cost_is_converted_and_premiums_follow_the_sites_pay_rules():
    p = _paid_in_euro(night_premium=0.5, weekend_premium=0.25, holiday_premium=1.0)
    roster = roster_of(p, [("D2", "night", SAT), ("D2", "early", dt.date(2026, 10, 26)), ("M1", "early", SAT)])
    k = reports.shift_kpis(p, roster).set_index(["agent_id", "shift"])
    night = k.loc[("D2", "night")]
    assert night["cost"] == pytest.approx(9 * 10.0 * 1.1)  # 9 real hours at 10 EUR, in USD
    assert night["premium_cost"] == pytest.approx(9 * 10.0 * 1.1 * (0.5 + 0.25))  # a night and a weekend
    assert k.loc[("D2", "early"), "premium_cost"] == pytest.approx(8 * 10.0 * 1.1 * 1.0)  # the bank holiday
    assert k.loc[("M1", "early"), ["cost", "premium_cost"]].tolist() == pytest.approx([8 * 8.0, 0.0])  # USD, no pay rules
    t = reports.totals(p, roster).set_index("metric")
    assert t.loc["labour_cost", "value"] == pytest.approx(t.loc["cost", "value"] + t.loc["premium_cost", "value"])
    assert t.loc["cost", "unit"] == "USD"


def test_overtime_premium_is_paid_on_hours_above_the_standard_week():
    p = _paid_in_euro(overtime_premium=0.5)
    agents = tuple(
        a.model_copy(update={"contract": a.contract.model_copy(update={"standard_weekly_hours": 8})}) if a.id == "D2" else a
        for a in p.agents
    )
    p = p.model_copy(update={"agents": agents})
    # Saturday 24 and Sunday 25 October are one ISO week (43): 9 + 8 = 17 h, 9 h above 8.
    roster = roster_of(p, [("D2", "night", SAT), ("D2", "early", dt.date(2026, 10, 25)), ("D2", "early", dt.date(2026, 10, 26))])
    agents_kpis = reports.agent_kpis(p, roster).set_index("agent_id")
    assert agents_kpis.loc["D2", "premium_cost"] == pytest.approx(9 * 10.0 * 1.1 * 0.5)  # Monday starts week 44: 8 h, none over


def test_labour_cost_matches_the_solvers_objective_terms():
    p = _paid_in_euro(night_premium=0.2, weekend_premium=0.3, holiday_premium=1.0, overtime_premium=0.5)
    agents = tuple(a.model_copy(update={"contract": a.contract.model_copy(update={"standard_weekly_hours": 8})}) for a in p.agents)
    p = p.model_copy(update={"agents": agents, "floors": (LanguageFloor(language="en"),)})
    roster = solve(p, time_limit_s=10, workers=1)
    t = reports.totals(p, roster).set_index("metric")["value"]
    solver_labour = roster.objective_terms["labour_cost"] + roster.objective_terms.get("overtime_premium", 0.0)
    # the solver prices overtime per minute in 1/100 cents: a few cents of rounding
    assert t["labour_cost"] == pytest.approx(solver_labour, rel=1e-4)
    assert t["premium_cost"] > 0


def test_totals_measure_staffing_against_requirement_in_agent_hours():
    p = three_sites(requirements=(Requirement(language="en", agents=(2,) * 72),))
    roster = roster_of(p, [("D2", "early", dt.date(2026, 10, 26))])  # 06:00-14:00 GMT: 8 intervals of 1 h
    t = reports.totals(p, roster).set_index("metric")["value"]
    # en: 2 required every hour; 1 staffed for 8 h and 0 for the other 64 h.
    assert t["under_staffed"] == pytest.approx(8 * 1 + 64 * 2)
    assert t["over_staffed"] == 0.0
    assert t["floor_shortfall"] == pytest.approx(64 * 1 + 72 * 1)  # en floor 1 short 64 h, de floor 1 short 72 h
    assert t["intervals_meeting_requirement"] == 0.0
    assert t["cost"] == pytest.approx(80.0)


def test_kpis_bundle_matches_the_single_functions():
    p = three_sites()
    roster = roster_of(p, [("D1", "night", SAT), ("M1", "early", SAT)])
    k = reports.kpis(p, roster)
    pd.testing.assert_frame_equal(k.agents, reports.agent_kpis(p, roster))
    pd.testing.assert_frame_equal(k.sites, reports.site_kpis(p, roster))
    assert k.value("shifts") == 2 and k.service is None
    assert list(k.frames()) == ["totals", "sites", "agents", "shifts", "intervals"]
    with pytest.raises(KeyError):
        k.value("no such metric")


# --------------------------------------------------------------------------- staffed by site


def test_staffed_by_site_matches_coverage_and_prefers_first_language():
    p = three_sites()
    monday = dt.date(2026, 10, 26)
    # D1 (en first, de) and D3 (de first, en) on the same shift; coverage's split says
    # one for en, one for de: each should count for their first language.
    roster = roster_of(p, [("D1", "early", monday), ("D3", "early", monday), ("M1", "early", monday)])
    by_site = reports.staffed_by_site(p, roster)
    total = by_site.groupby(["interval_start_utc", "language"])["staffed"].sum().reset_index()
    merged = total.merge(roster.coverage, on=["interval_start_utc", "language"], suffixes=("", "_cov"))
    assert len(merged) == len(roster.coverage)
    assert (merged["staffed"] == merged["staffed_cov"]).all()
    at_7 = by_site[by_site["interval_start_utc"] == pd.Timestamp("2026-10-26 07:00", tz="UTC")]
    assert at_7.set_index(["site", "language"])["staffed"].to_dict() == {
        ("Austin", "de"): 0, ("Austin", "en"): 0, ("Dublin", "de"): 1, ("Dublin", "en"): 1,
        ("Manila", "de"): 0, ("Manila", "en"): 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("austin_languages", "expected"),
    [
        # Austin's agent speaks Spanish first: each counts for their first language.
        (("es", "en"), {("Dublin", "en"): 1, ("Austin", "es"): 1}),
        # Both speak English first, so one must serve Spanish: the site listed first does.
        (("en", "es"), {("Dublin", "es"): 1, ("Austin", "en"): 1}),
        ("reversed", {("Dublin", "en"): 1, ("Austin", "es"): 1}),  # Austin listed first
    ],
)
def test_staffed_by_site_attribution_rule(austin_languages, expected):
    sites = three_sites().sites
    if austin_languages == "reversed":
        austin_languages, sites = ("en", "es"), tuple(reversed(sites))
    agents = (
        Agent(id="X", site="Dublin", languages=("en", "es"), hourly_cost=10.0),
        Agent(id="Y", site="Austin", languages=austin_languages, hourly_cost=10.0),
    )
    p = three_sites(sites=sites, agents=agents, floors=(LanguageFloor(language="en"), LanguageFloor(language="es")))
    monday = dt.date(2026, 10, 26)  # Dublin early 06:00-14:00 UTC, Austin early 11:00-19:00 UTC
    roster = roster_of(p, [("X", "early", monday), ("Y", "early", monday)], split={"X": "en", "Y": "es"})
    by_site = reports.staffed_by_site(p, roster)
    noon = by_site[(by_site["interval_start_utc"] == pd.Timestamp("2026-10-26 12:00", tz="UTC")) & (by_site["staffed"] > 0)]
    assert noon.set_index(["site", "language"])["staffed"].to_dict() == expected


def test_staffed_by_site_rejects_coverage_from_another_roster():
    p = three_sites()
    roster = roster_of(p, [("D2", "early", dt.date(2026, 10, 26))])
    other = roster_of(p, [("M1", "early", dt.date(2026, 10, 26)), ("A1", "early", dt.date(2026, 10, 26))])
    mixed = Roster(**{**roster.__dict__, "coverage": other.coverage})
    with pytest.raises(ValueError, match="same roster"):
        reports.staffed_by_site(p, mixed)


# --------------------------------------------------------------------------- predicted service


PHONE = ChannelGoal(channel="phone", target_s=20, service_level=0.8, shrinkage=0.25, max_occupancy=0.9)
EMAIL = ChannelGoal(channel="email", response_hours=8, response_share=0.9)


def _forecast(problem_start: dt.date, days: int) -> pd.DataFrame:
    times = pd.date_range(pd.Timestamp(problem_start, tz="UTC"), periods=days * 24, freq="60min")
    volume = 30 + 25 * np.sin(np.arange(len(times)) / 24 * 2 * np.pi)
    rows = [(t, "en", "phone", float(v), 240.0) for t, v in zip(times, volume)]
    rows += [(t, "en", "email", float(v) / 3, 300.0) for t, v in zip(times, volume)]
    return pd.DataFrame(rows, columns=["interval_start_utc", "language", "channel", "volume", "aht_s"])


def _staffed_at(problem: Problem, staffed: np.ndarray) -> Roster:
    starts = pd.to_datetime(problem.interval_starts(), utc=True)
    coverage = pd.DataFrame(
        {"interval_start_utc": starts, "language": "en", "floor": 0, "required": problem.requirements[0].agents, "staffed": staffed}
    )
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ("agent_id", "site", "shift", "start_utc", "end_utc", "start_local", "end_local")})
    empty["hours"] = pd.Series(dtype=float)
    return Roster(status="FEASIBLE", objective=0, bound=0, gap=0, runtime_s=0, assignments=empty, coverage=coverage)


def _forecast_problem() -> tuple[Problem, pd.DataFrame]:
    base = three_sites()
    forecast = _forecast(SAT, 3)
    p = problem_from_forecast(
        forecast, (PHONE, EMAIL), sites=base.sites, agents=base.agents, shift_templates=base.shift_templates,
        start_date=SAT, days=3, interval_minutes=60,
    )  # fmt: skip
    return p, forecast


def test_staffed_at_the_requirement_predicts_at_least_the_goal():
    p, forecast = _forecast_problem()
    roster = _staffed_at(p, np.asarray(p.requirements[0].agents))
    service = reports.service_kpis(p, roster, forecast, (PHONE, EMAIL))
    req = requirements_from_forecast(forecast, (PHONE, EMAIL), interval_minutes=60)
    # each channel gets exactly its own requirement back
    merged = service.merge(req, on=["interval_start_utc", "language", "channel"], suffixes=("", "_req"))
    assert (merged["agents"] == merged["required_req"]).all()
    phone = service[service["channel"] == "phone"]
    assert (phone["service_level"] >= 0.8 - 1e-12).all()
    assert (phone["occupancy"] <= 0.9 + 1e-12).all()
    email = service[(service["channel"] == "email") & service["service_level"].notna()]
    assert len(email) > 0 and (email["service_level"] >= 0.9 - 1e-9).all()


def test_understaffing_lowers_the_predicted_service_level_and_kpis_pool_it():
    p, forecast = _forecast_problem()
    full = np.asarray(p.requirements[0].agents)
    k_full = reports.kpis(p, _staffed_at(p, full), forecast=forecast, goals=(PHONE, EMAIL))
    k_half = reports.kpis(p, _staffed_at(p, full // 2), forecast=forecast, goals=(PHONE, EMAIL))
    assert k_half.value("service_level") < k_full.value("service_level")
    # nobody staffed: no phone call answered in time
    none = reports.service_kpis(p, _staffed_at(p, np.zeros_like(full)), forecast, (PHONE, EMAIL))
    assert (none.loc[none["channel"] == "phone", "service_level"] == 0).all()
    iv = k_full.intervals
    assert {"contacts", "service_level", "occupancy"} <= set(iv.columns)
    assert iv["contacts"].sum() == pytest.approx(forecast["volume"].sum())


def test_a_lone_agent_with_shrinkage_answers_part_of_the_time():
    goal = ChannelGoal(channel="phone", target_s=20, service_level=0.8, shrinkage=0.3)
    forecast = _forecast(SAT, 3)
    forecast = forecast[forecast["channel"] == "phone"].assign(volume=2.0)
    base = three_sites()
    p = problem_from_forecast(
        forecast, (goal,), sites=base.sites, agents=base.agents, shift_templates=base.shift_templates,
        start_date=SAT, days=3, interval_minutes=60,
    )  # fmt: skip
    service = reports.service_kpis(p, _staffed_at(p, np.ones(p.num_intervals, dtype=int)), forecast, (goal,))
    traffic = 2.0 * 240.0 / 3600  # [Erlang]
    one_agent = erlang.service_level(traffic, 1, 240.0, 20)
    # 0.7 agents: one agent 70% of the time, nobody 30%
    assert service["productive_agents"].tolist() == pytest.approx([0.7] * p.num_intervals)
    assert service["service_level"].tolist() == pytest.approx([0.7 * one_agent] * p.num_intervals)
    # when there, the agent is busy with the offered load: occupancy = traffic / 1 agent
    assert service["occupancy"].tolist() == pytest.approx([traffic] * p.num_intervals)


def test_forecast_without_goals_is_refused():
    p, forecast = _forecast_problem()
    with pytest.raises(ValueError, match="both forecast and goals"):
        reports.kpis(p, _staffed_at(p, np.asarray(p.requirements[0].agents)), forecast=forecast)


# --------------------------------------------------------------------------- roster display


def test_summary_and_html_show_headline_figures():
    p = three_sites()
    roster = roster_of(p, [("D1", "night", SAT), ("M1", "early", SAT)])
    text = roster.summary()
    assert "2 shifts, 2 agents, 17.0 paid hours" in text
    assert "language floors met in every interval: NO" in text
    html = roster._repr_html_()
    assert "<table>" in html and "17.0" in html and "Dublin" in html and "NO" in html
