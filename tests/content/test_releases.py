"""The release calendar: API versions, GA dates, parsing and feature stages."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from demoorg.content.releases import (
    SEASONS,
    Release,
    calendar_around,
    describe_day,
    feature_stage,
    parse_release,
    release_on,
    release_range,
    resolve_release,
)
from demoorg.errors import UsageError


def r(text: str) -> Release:
    return parse_release(text)


@pytest.mark.parametrize(
    ("name", "api"),
    [
        ("Spring '23", "57.0"),
        ("Spring '25", "63.0"),
        ("Summer '25", "64.0"),
        ("Winter '26", "65.0"),
        ("Spring '26", "66.0"),
        ("Summer '26", "67.0"),
        ("Winter '27", "68.0"),
        ("Spring '27", "69.0"),
        ("Summer '27", "70.0"),
    ],
)
def test_known_api_versions(name: str, api: str) -> None:
    release = r(name)
    assert release.name == name
    assert release.api_version == api
    assert parse_release(api) == release


def test_winter_is_named_for_the_next_year_and_ships_in_october() -> None:
    winter = r("Winter '27")
    assert (winter.season, winter.year) == ("Winter", 2027)
    assert winter.ga_date == date(2026, 10, 10)
    assert winter < r("Spring '27") < r("Summer '27")


@pytest.mark.parametrize("name", ["Spring '27", "Summer '27", "Winter '27", "Spring '00"])
def test_ga_is_the_second_saturday_and_leads_are_fixed(name: str) -> None:
    release = r(name)
    ga = release.ga_date
    assert ga.weekday() == 5
    assert 8 <= ga.day <= 14
    assert ga.month == {"Spring": 2, "Summer": 6, "Winter": 10}[release.season]
    assert release.preview_date == ga - timedelta(days=35)
    assert release.notes_date == ga - timedelta(days=63)


def test_spring_27_dates() -> None:
    spring = r("Spring '27")
    assert spring.ga_date == date(2027, 2, 13)
    assert spring.preview_date == date(2027, 1, 9)
    assert spring.notes_date == date(2026, 12, 12)


def test_ordering_next_and_previous_round_trip() -> None:
    start = r("Spring '23")
    releases = [start]
    for _ in range(12):
        releases.append(releases[-1].next())
    assert [x.index for x in releases] == list(range(start.index, start.index + 13))
    assert sorted(reversed(releases)) == releases
    # GA dates strictly increase in index order, so the sort key is the shipping order.
    assert all(a.ga_date < b.ga_date for a, b in pairwise(releases))
    for release in releases:
        assert release.next().previous() == release
        assert release.previous().next() == release
        assert Release.from_index(release.index) == release
        assert release.season in SEASONS
    assert r("Summer '26").next() == r("Winter '27")
    assert r("Winter '27").previous() == r("Summer '26")


def test_inconsistent_release_is_refused() -> None:
    with pytest.raises(ValueError):
        Release(68, "Spring", 2027)


def test_release_range_is_inclusive() -> None:
    names = [x.name for x in release_range(r("Winter '26"), r("Winter '27"))]
    assert names == ["Winter '26", "Spring '26", "Summer '26", "Winter '27"]
    assert release_range(r("Winter '27"), r("Winter '26")) == []


@pytest.mark.parametrize(
    "text",
    [
        "Summer '27",
        "Summer 27",
        "summer 2027",
        "Summer ’27",
        "Summer'27",
        "SUMMER '27",
        "  Summer '27  ",
        "v70.0",
        "70.0",
        "V70",
    ],
)
def test_parse_variants(text: str) -> None:
    assert parse_release(text) == Release(70, "Summer", 2027)


@pytest.mark.parametrize(
    "text",
    ["", "Autumn '27", "Summer", "Summer '7", "70.5", "0.0", "2027", "w27", "Summer\n'27x"],
)
def test_parse_errors_name_the_text_on_one_line(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_release(text)
    message = str(info.value)
    assert repr(text) in message
    assert "\n" not in message
    assert "Summer '27" in message


@pytest.mark.parametrize("text", ["Summer 1999", "Spring 2100", "999.0", "1999-01-01"])
def test_years_outside_2000_to_2099_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="2000 to 2099") as info:
        parse_release(text)
    assert repr(text) in str(info.value)


def test_first_and_last_supported_releases_parse() -> None:
    assert parse_release("Winter '00").ga_date == date(1999, 10, 9)
    assert parse_release("Summer 2099").year == 2099


def test_resolve_release_with_a_date() -> None:
    assert resolve_release("2027-03-01") == (r("Spring '27"), date(2027, 3, 1))
    assert resolve_release("Spring '27") == (r("Spring '27"), None)
    assert parse_release("2027-03-01") == r("Spring '27")


@pytest.mark.parametrize("text", ["2027-02-30", "2027-13-01"])
def test_resolve_release_refuses_invalid_dates(text: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_release(text)
    message = str(info.value)
    assert repr(text) in message
    assert "\n" not in message


def test_release_on_switches_on_ga_day() -> None:
    summer = r("Summer '27")
    assert release_on(summer.ga_date - timedelta(days=1)) == r("Spring '27")
    assert release_on(summer.ga_date) == summer
    winter = r("Winter '27")
    assert release_on(date(2026, 10, 9)) == r("Summer '26")
    assert release_on(winter.ga_date) == winter
    assert release_on(date(2026, 12, 31)) == winter
    assert release_on(date(2027, 1, 1)) == winter


def test_release_on_with_preview_switches_at_preview_date() -> None:
    summer = r("Summer '27")
    day_before = summer.preview_date - timedelta(days=1)
    assert release_on(day_before, preview=True) == r("Spring '27")
    assert release_on(summer.preview_date, preview=True) == summer
    assert release_on(summer.preview_date) == r("Spring '27")
    assert release_on(summer.ga_date, preview=True) == summer


def test_feature_stage_outcomes() -> None:
    pilot, beta, ga = r("Winter '27"), r("Spring '27"), r("Summer '27")
    assert feature_stage(r("Summer '26"), pilot, beta, ga) == "Not available"
    assert feature_stage(r("Winter '27"), pilot, beta, ga) == "Pilot"
    assert feature_stage(r("Spring '27"), pilot, beta, ga) == "Beta"
    assert feature_stage(r("Summer '27"), pilot, beta, ga) == "GA"
    assert feature_stage(r("Spring '28"), pilot, beta, ga) == "GA"
    assert feature_stage(r("Spring '28"), None, None, None) == "Not available"
    # A feature that skips pilot and beta goes straight from nothing to GA.
    assert feature_stage(r("Spring '27"), None, None, ga) == "Not available"


def test_feature_stage_with_preview_looks_one_release_ahead() -> None:
    pilot, beta, ga = r("Winter '27"), r("Spring '27"), r("Summer '27")
    assert feature_stage(r("Summer '26"), pilot, beta, ga, preview=True) == "Pilot"
    assert feature_stage(r("Winter '27"), pilot, beta, ga, preview=True) == "Beta"
    assert feature_stage(r("Spring '27"), pilot, beta, ga, preview=True) == "GA"
    assert feature_stage(r("Summer '25"), pilot, beta, ga, preview=True) == "Not available"


def test_calendar_around_statuses() -> None:
    rows = calendar_around(date(2027, 5, 20))
    assert [(x.name, status) for x, status in rows] == [
        ("Summer '26", "past"),
        ("Winter '27", "past"),
        ("Spring '27", "current"),
        ("Summer '27", "preview"),
        ("Winter '28", "upcoming"),
        ("Spring '28", "upcoming"),
    ]
    statuses = [status for _, status in calendar_around(date(2027, 3, 1), before=0, after=1)]
    assert statuses == ["current", "upcoming"]


def test_describe_day() -> None:
    lines = describe_day(date(2027, 3, 1))
    assert lines[0] == "On 2027-03-01 production runs Spring '27 (API 69.0, GA 2027-02-13)."
    assert lines[1].startswith("Next: Summer '27 (API 70.0): release notes from 2027-04-10")
    assert "sandbox preview from 2027-05-08" in lines[1]
    assert lines[1].endswith("GA 2027-06-12.")
    table = [line for line in lines[2:] if line]
    assert table[0].split() == ["Release", "API", "Sandbox", "preview", "GA", "Status"]
    current = next(line for line in table if line.endswith("current"))
    assert "Spring '27" in current and "69.0" in current
    # Aligned: every row's API column starts where the header's does.
    api_column = table[0].index("API")
    assert all(row[api_column : api_column + 2].isdigit() for row in table[1:])
