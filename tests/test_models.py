"""Bad input fails at the boundary with a message naming the field and the value."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from conftest import THREE_SHIFTS, agent, make_problem
from fts_scheduler import Agent, Contract, LanguageFloor, Problem, Requirement, ShiftTemplate, Site


def test_unknown_time_zone_names_the_value():
    with pytest.raises(ValidationError, match="Europe/Dublinn") as info:
        Site(name="D", timezone="Europe/Dublinn", country="IE")
    assert info.value.errors()[0]["loc"] == ("timezone",)


def test_country_must_be_iso_alpha2():
    with pytest.raises(ValidationError, match="'XX'"):
        Site(name="D", timezone="Europe/Dublin", country="XX")
    with pytest.raises(ValidationError, match="'IRL'"):
        Site(name="D", timezone="Europe/Dublin", country="IRL")


@pytest.mark.parametrize("code", ["english", "EN", "xx", "e"])
def test_language_must_be_iso_639_1(code):
    with pytest.raises(ValidationError, match=repr(code)):
        Agent(id="a", site="S", languages=(code,), hourly_cost=1)


def test_negative_hours_rejected_naming_the_field():
    with pytest.raises(ValidationError) as info:
        Contract(max_weekly_hours=-5)
    assert info.value.errors()[0]["loc"] == ("max_weekly_hours",)
    with pytest.raises(ValidationError, match="min_weekly_hours=50"):
        Contract(min_weekly_hours=50, max_weekly_hours=40)
    with pytest.raises(ValidationError) as info:
        ShiftTemplate(name="x", start=dt.time(8), length_hours=-1)
    assert info.value.errors()[0]["loc"] == ("length_hours",)


def test_unknown_site_names_agent_and_site():
    with pytest.raises(ValidationError, match=r"agents\[0\]\.site: unknown site 'Tokio'"):
        make_problem(agents=[agent(1, site="Tokio")], templates=THREE_SHIFTS)


def test_duplicate_agent_id():
    with pytest.raises(ValidationError, match="duplicate id '7'"):
        make_problem(agents=[agent(7), agent(7)], templates=THREE_SHIFTS)


def test_interval_must_divide_a_day():
    with pytest.raises(ValidationError, match="interval_minutes=7"):
        make_problem(agents=[agent(1)], templates=THREE_SHIFTS, interval=7)


def test_template_off_grid_is_rejected():
    odd = [ShiftTemplate(name="odd", start=dt.time(8, 15), length_hours=8)]
    with pytest.raises(ValidationError, match=r"shift_templates\[0\]\.start: 08:15:00"):
        make_problem(agents=[agent(1)], templates=odd, interval=30)


def test_zone_offset_off_grid_is_rejected():
    # Nepal is UTC+05:45: no 30-minute grid point is a quarter-hour local time
    with pytest.raises(ValidationError, match="Asia/Kathmandu"):
        make_problem(agents=[agent(1)], templates=THREE_SHIFTS, timezone="Asia/Kathmandu", country="NP", interval=30)
    make_problem(agents=[agent(1)], templates=THREE_SHIFTS, timezone="Asia/Kathmandu", country="NP", interval=15)


def test_requirement_length_must_match_grid():
    with pytest.raises(ValidationError, match="3 values for language 'en'"):
        make_problem(agents=[agent(1)], templates=THREE_SHIFTS, requirements=(Requirement(language="en", agents=(1, 2, 3)),))


def test_floor_window_needs_site_start_and_end():
    with pytest.raises(ValidationError, match="site, start and end together"):
        LanguageFloor(language="ja", site="Tokyo", start=dt.time(9))
    with pytest.raises(ValidationError, match="weekdays"):
        LanguageFloor(language="ja", weekdays=(7,))


def test_floor_site_must_exist():
    floor = LanguageFloor(language="en", site="Nowhere", start=dt.time(9), end=dt.time(17))
    with pytest.raises(ValidationError, match=r"floors\[0\]\.site: unknown site 'Nowhere'"):
        make_problem(agents=[agent(1)], templates=THREE_SHIFTS, floors=[floor])


def test_models_are_immutable():
    p = make_problem(agents=[agent(1)], templates=THREE_SHIFTS)
    with pytest.raises(ValidationError):
        p.days = 5  # type: ignore[misc]


def test_problem_round_trips_through_json(demo):
    again = Problem.model_validate_json(demo.model_dump_json())
    assert again == demo
    assert again.model_dump_json() == demo.model_dump_json()


def test_unknown_field_is_rejected():
    with pytest.raises(ValidationError, match="hourly_rate"):
        Agent.model_validate({"id": "a", "site": "S", "languages": ["en"], "hourly_cost": 1, "hourly_rate": 2})
