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


# --- open from server ------------------------------------------------------------------------------


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_open_from_server_is_on_the_start_page_and_in_the_menu(
    qtbot, themed_app, settings, summaries
) -> None:  # type: ignore[no-untyped-def]
    win = new_window(qtbot, settings, summaries)
    titles = [a.text() for a in win.header.menu_button.menu().actions()]
    assert "Open from Server…" in titles
    win.start_page.server_button.click()
    dialog = win.server_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.table.rowCount() == 0 and not dialog.open_button.isEnabled()


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "type a server URL"),
        ("orgs/acme.demoorg", "is not a server URL"),
        ("mysql://me@host/demos", "expected"),
    ],
)
def test_open_from_server_explains_what_it_needs(
    qtbot, themed_app, settings, summaries, typed: str, says: str
) -> None:  # type: ignore[no-untyped-def]
    win = new_window(qtbot, settings, summaries)
    dialog = win.show_server_dialog()
    dialog.server.setCurrentText(typed)
    dialog.list_button.click()
    assert not dialog.is_listing()
    assert dialog.error.isVisible() and says in dialog.error.toolTip()
    assert "\n" not in dialog.error.text()


def test_an_unreachable_server_is_one_line_in_the_dialog(
    qtbot, themed_app, settings, summaries
) -> None:  # type: ignore[no-untyped-def]
    win = new_window(qtbot, settings, summaries)
    dialog = win.show_server_dialog()
    dialog.server.setCurrentText(f"postgresql://me:s3cret@127.0.0.1:{_closed_port()}/demos")
    dialog.list_button.click()
    assert dialog.is_listing() and not dialog.list_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_listing(), timeout=30_000)
    message = dialog.error.toolTip()
    assert dialog.error.isVisible()
    assert message.startswith("cannot list the orgs on postgresql+psycopg://me@127.0.0.1:")
    assert "s3cret" not in message and "Traceback" not in message and "\n" not in message
    assert dialog.table.rowCount() == 0 and dialog.list_button.isEnabled()
    # A server that could not be listed is not remembered.
    assert "recent_servers" not in settings.allKeys()


def test_servers_are_remembered_without_their_password(settings) -> None:  # type: ignore[no-untyped-def]
    from demoorg.ui.server_dialog import (
        org_location,
        recent_servers,
        remember_server,
        server_target,
    )

    typed = server_target("postgresql://ann:s3cret@db.example.com/demos#acme_medical")
    assert typed.name == "acme_medical"
    remember_server(settings, server_target("postgresql://bob@other.example.com/demos"))
    remember_server(settings, typed)
    assert recent_servers(settings) == [
        "postgresql+psycopg://ann@db.example.com/demos",
        "postgresql+psycopg://bob@other.example.com/demos",
    ]
    settings.sync()
    assert "s3cret" not in Path(settings.fileName()).read_text()
    # The password is kept for opening the org in this session only.
    location = org_location(typed, "acme_medical")
    assert location == "postgresql+psycopg://ann:s3cret@db.example.com/demos#acme_medical"


def test_recent_server_orgs_are_listed_on_the_start_page(
    qtbot, themed_app, settings, summaries
) -> None:  # type: ignore[no-untyped-def]
    import json

    location = "postgresql+psycopg://ann@db.example.com/demos#acme_medical"
    settings.setValue(
        "recent",
        json.dumps(
            [
                {"path": location, "prospect": "Acme Health", "industry": "medical", "detail": ""},
                {"path": "/nowhere/gone.demoorg", "prospect": "Gone", "industry": "medical"},
            ]
        ),
    )
    settings.setValue("last_org", location)
    win = new_window(qtbot, settings, summaries)
    # The app does not connect to a server at start-up: the start page offers the org instead.
    assert win.org is None and win.current_page() is win.start_page
    assert list(win.start_page.recent_rows) == [location]


def _drop(win: MainWindow, *paths: Path) -> bool:
    """Drags files onto the window and drops them, as from a file manager; whether it took them."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dragEnterEvent(enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(drop)
    return True


def test_a_demo_pack_dropped_on_the_window_is_installed(
    qtbot, themed_app, settings, summaries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Dropping a .demopack installs its template and lists it with the industries; dropping it
    again asks before replacing it (No keeps it as it was, Yes keeps a backup); other files are
    not taken, and a broken pack is refused in one line with nothing installed."""
    from demoorg.content.packs import make_pack
    from demoorg.content.paths import user_industries

    pack = make_pack(
        Path(__file__).resolve().parents[2] / "industries" / "telecom",
        tmp_path / "telecom.demopack",
    ).path
    win = new_window(qtbot, settings, summaries)
    win._summaries = None  # list what is installed, as a user's app does
    assert not _drop(win, tmp_path / "notes.txt")

    assert _drop(win, pack)
    installed = user_industries() / "telecom"
    assert (installed / "template.yaml").is_file()
    assert "Installed" in win.start_page.status.text()
    assert win.start_page.error.isHidden()
    assert any("telecom" in k for k in win.start_page.industry_rows)
    before = (installed / "template.yaml").read_bytes()

    asked: list[str] = []
    monkeypatch.setattr(win, "confirm_replace", lambda t, where: asked.append(t) or False)
    assert _drop(win, pack)
    assert asked == ["telecom"]
    assert "was not installed" in win.start_page.status.text()
    assert not (user_industries() / ".backups").exists()

    monkeypatch.setattr(win, "confirm_replace", lambda t, where: True)
    (installed / "template.yaml").write_bytes(before + b"\n# my own note\n")
    assert _drop(win, pack)
    assert (installed / "template.yaml").read_bytes() == before
    backups = list((user_industries() / ".backups").iterdir())
    assert len(backups) == 1 and (backups[0] / "template.yaml").read_bytes().endswith(b"note\n")
    assert "previous version is kept" in win.start_page.status.text()

    broken = tmp_path / "broken.demopack"
    broken.write_bytes(b"not a zip at all")
    assert _drop(win, broken)
    assert not win.start_page.error.isHidden()
    assert (
        "\n" not in win.start_page.error.text() and "not a demo pack" in win.start_page.error.text()
    )
    assert not (user_industries() / "broken").exists()


def test_an_error_in_an_event_handler_is_one_line_over_the_page(
    qtbot, themed_app, settings, summaries, medical_org
) -> None:  # type: ignore[no-untyped-def]
    """A team server going away while the user browses: the exception raised in a Qt handler
    still reaches the terminal, and the window says in one line what failed and what to do; the
    next page shown without trouble clears it."""
    from sqlalchemy.exc import OperationalError

    from demoorg.ui.app import problem_hook

    win = new_window(qtbot, settings, summaries)
    assert win.open_path(str(medical_org))
    printed: list[BaseException] = []
    hook = problem_hook(win, lambda kind, exc, tb: printed.append(exc))
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection\nunexpectedly"))
    hook(OperationalError, lost, None)
    assert printed == [lost]
    assert win.problem.isVisible()
    text = win.problem.text()
    assert "\n" not in text
    assert text.startswith(f"{medical_org} cannot be read: server closed the connection")
    assert "reopen the org" in text
    hook(ValueError, ValueError("odd\nvalue"), None)
    assert win.problem.text() == "Something went wrong: ValueError: odd value"
    assert win.navigate(Location.list("Contact"))
    assert not win.problem.isVisible()
