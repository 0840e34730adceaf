"""The UI's plain parts: locations and history, the action table, progress text, formatting."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from demoorg.errors import UsageError
from demoorg.seeders.generate import Progress
from demoorg.ui.actions import ACTIONS, shortcut_table, shortcuts_for
from demoorg.ui.builder import progress_text, readable_error
from demoorg.ui.format import Formatter
from demoorg.ui.navigation import History, Location
from demoorg.ui.record_page import path_state


@pytest.mark.parametrize(
    "loc",
    [
        Location.record("Account", "0018c0000000002AAA"),
        Location.list("Case"),
        Location("list", "Contact", where=(("AccountId", "eq", "0018c0000000002AAA"),)),
        Location.dashboard("care-team"),
        Location.search("maria"),
    ],
)
def test_locations_round_trip_through_hrefs(loc: Location) -> None:
    assert Location.parse(loc.href()) == loc


def test_history_goes_back_and_forward_like_a_browser() -> None:
    h = History()
    a, b, c = Location.list("Account"), Location.record("Account", "1"), Location.list("Case")
    for loc in (a, b, b, c):
        h.go(loc)
    assert h.back_stack == [a, b] and h.current == c
    assert h.back() == b and h.back() == a and h.back() is None
    assert h.forward() == b
    h.go(c)
    assert not h.can_go_forward() and h.back_stack == [a, b]


def test_every_action_is_declared_once_with_a_dotted_id() -> None:
    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("demoorg.") and i.count(".") >= 2 for i in ids)
    assert len(shortcut_table()) == len(ACTIONS)


def test_shortcuts_can_be_overridden_in_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert shortcuts_for("demoorg.nav.back", s) == ("Alt+Left", "Back")
    s.setValue("shortcuts/demoorg.nav.back", "PgUp;Ctrl+B")
    assert shortcuts_for("demoorg.nav.back", s) == ("PgUp", "Ctrl+B")
    s.setValue("shortcuts/demoorg.nav.back", "")
    assert shortcuts_for("demoorg.nav.back", s) == ()


def test_progress_text_gives_object_rate_and_time_left() -> None:
    p = Progress("CareObservation", "Care Observations", 12_000, 40_000, 50_000, 200_000)
    percent, text = progress_text(p, 2.0)
    assert percent == 25
    assert "Care Observations" in text and "12,000 of 40,000" in text
    assert "25,000 rows/s" in text and "about 6 s left" in text


def test_errors_read_as_one_line() -> None:
    assert readable_error(UsageError("unknown locale 'xx'")) == "unknown locale 'xx'"
    msg = readable_error(ZeroDivisionError("division by zero"))
    assert "\n" not in msg and "ZeroDivisionError" in msg


def test_path_shows_one_closing_stage() -> None:
    stages = ("Prospecting", "Qualification", "Closed Won", "Closed Lost")
    assert path_state(stages, "Qualification") == (
        ["Prospecting", "Qualification", "Closed Won"],
        1,
        False,
    )
    assert path_state(stages, "Closed Lost") == (
        ["Prospecting", "Qualification", "Closed Lost"],
        2,
        True,
    )


@pytest.mark.parametrize(
    ("locale", "money", "day", "pct"),
    [
        ("en_US", "$1,234.50", "11/23/2026", "15%"),
        ("de_DE", "1.234,50\u00a0€", "23.11.2026", "15\u00a0%"),
        ("en_GB", "£1,234.50", "23/11/2026", "15%"),
        ("ja_JP", "￥1,234.50", "2026/11/23", "15%"),
    ],
)
def test_formatting_follows_the_org_locale(qapp, locale, money, day, pct) -> None:  # type: ignore[no-untyped-def]
    f = Formatter(locale)
    assert f.currency(1234.5) == money
    assert f.date("2026-11-23") == day
    assert f.percent(15) == pct
    assert f.value(None, "currency") == ""
    assert f.bucket("2026-Q1", "quarter") == "Q1 2026"
