"""Starting the app: the start page with no org, the one-click default, and reopening the last org."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from demoorg.ui.builder import BuildRequest
from demoorg.ui.main_window import MainWindow
from demoorg.ui.navigation import Location

AS_OF = date(2026, 11, 23)


def new_window(qtbot, settings: QSettings, summaries) -> MainWindow:  # type: ignore[no-untyped-def]
    from demoorg.ui.app import create_main_window

    win = create_main_window(settings, today=AS_OF)
    win._summaries = summaries
    qtbot.addWidget(win)
    win.show()
    return win


def test_without_an_org_the_start_page_offers_the_default(
    qtbot, themed_app, settings, summaries, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    win = new_window(qtbot, settings, summaries)
    assert win.current_page() is win.start_page
    assert win.org is None and not win.nav.isVisible()
    assert "medical" in win.start_page.industry_rows
    # One click builds the default org; a small size keeps the test fast.
    real = win.default_request

    def small() -> BuildRequest:
        req = real()
        import dataclasses

        return dataclasses.replace(
            req, params=dataclasses.replace(req.params, size=500, size_name="500")
        )

    monkeypatch.setattr(win, "default_request", small)
    with qtbot.waitSignal(win.org_did_change, timeout=60_000, check_params_cb=lambda c: c.built):
        win.start_page.default_button.click()
    from demoorg.cli import default_org_path

    assert win.org_path == str(default_org_path())
    assert win.org.meta["prospect"]["name"] == "Acme"
    assert win.org.build["industry"] == "medical"
    assert win.history.current == Location.dashboard("care-team")


def test_the_last_org_reopens_where_the_user_left_it(
    qtbot, themed_app, settings, summaries, medical_org: Path
) -> None:  # type: ignore[no-untyped-def]
    win = new_window(qtbot, settings, summaries)
    assert win.open_path(str(medical_org))
    win.navigate(Location.list("CarePlan"))
    win.resize(1100, 720)
    size = win.size()
    win.close()
    again = new_window(qtbot, settings, summaries)
    assert again.org_path == str(medical_org)
    assert again.history.current == Location.list("CarePlan")
    # Restored from the settings (the offscreen screen may clamp the width to its own).
    assert settings.value("window/geometry") and again.size().height() == size.height()
    recent = again.recent()
    assert recent[0].path == str(medical_org) and recent[0].prospect == "Northwind Health"
    again.show_start()
    assert str(medical_org) in again.start_page.recent_rows
    again.start_page.recent_rows[str(medical_org)].clicked.emit()
    assert again.current_page() is again.dashboard or again.current_page() is again.list_view


def test_a_broken_file_is_reported_not_raised(
    qtbot, themed_app, settings, summaries, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.demoorg"
    bad.write_text("not an org")
    win = new_window(qtbot, settings, summaries)
    assert not win.open_path(str(bad))
    assert win.current_page() is win.start_page
    assert "is not an org file" in win.start_page.error.text()


def test_shortcuts_come_from_the_action_table(qtbot, themed_app, settings, summaries) -> None:  # type: ignore[no-untyped-def]
    settings.setValue("shortcuts/demoorg.search.focus", "F3")
    win = new_window(qtbot, settings, summaries)
    act = win.actions["demoorg.search.focus"]
    assert [k.toString() for k in act.shortcuts()] == ["F3"]
    assert win.actions["demoorg.nav.back"].shortcuts()[0].toString() == "Alt+Left"
