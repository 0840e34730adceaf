"""Every action of the app, declared once: a dotted id, a title, default shortcuts and a menu.

Shortcuts can be overridden per user in the settings (``shortcuts/<id> = Ctrl+K;F3``; an empty
value removes them), so a clicker remote or a presenter's habits can be matched without code.
Windows create ``QAction``s from these specs through :class:`ActionRegistry` and connect them to
their own slots; the shortcut list in the help dialog is generated from the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action: ``id`` is dotted (``demoorg.nav.back``); ``shortcuts`` are portable text."""

    id: str
    title: str
    shortcuts: tuple[str, ...] = ()
    menu: str | None = None
    tip: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("demoorg.org.new", "New Demo Org…", ("Ctrl+N",), "Org", "Build a new demo org"),
    ActionSpec("demoorg.org.open", "Open Org…", ("Ctrl+O",), "Org", "Open an org file"),
    ActionSpec(
        "demoorg.org.open_server", "Open from Server…", ("Ctrl+Shift+O",), "Org", "Open a team org"
    ),
    ActionSpec("demoorg.org.home", "Start Page", ("Ctrl+Shift+H",), "Org", "Recent orgs"),
    ActionSpec("demoorg.app.quit", "Quit", ("Ctrl+Q",), "Org"),
    ActionSpec("demoorg.nav.back", "Back", ("Alt+Left", "Back"), "Go", "Go back"),
    ActionSpec("demoorg.nav.forward", "Forward", ("Alt+Right", "Forward"), "Go", "Go forward"),
    ActionSpec("demoorg.nav.next_tab", "Next Tab", ("Ctrl+PgDown", "Ctrl+Tab"), "Go"),
    ActionSpec("demoorg.nav.previous_tab", "Previous Tab", ("Ctrl+PgUp", "Ctrl+Shift+Tab"), "Go"),
    ActionSpec("demoorg.nav.app_launcher", "Switch App…", ("Ctrl+Shift+A",), "Go"),
    ActionSpec("demoorg.search.focus", "Search the Org", ("Ctrl+K", "/"), "Go", "Global search"),
    ActionSpec("demoorg.list.search", "Search This List", ("Ctrl+F",), "Go"),
    ActionSpec("demoorg.view.refresh", "Refresh", ("F5", "Ctrl+R"), "View"),
    ActionSpec("demoorg.view.full_screen", "Full Screen", ("F11",), "View"),
    ActionSpec("demoorg.view.zoom_in", "Zoom In", ("Ctrl++", "Ctrl+="), "View"),
    ActionSpec("demoorg.view.zoom_out", "Zoom Out", ("Ctrl+-",), "View"),
    ActionSpec("demoorg.view.zoom_reset", "Actual Size", ("Ctrl+0",), "View"),
    ActionSpec("demoorg.help.shortcuts", "Keyboard Shortcuts", ("F1", "Ctrl+/"), "Help"),
    ActionSpec(
        "demoorg.present.story", "Present a Story…", ("Ctrl+Shift+P",), "Org", "Present a story"
    ),
    # The presenter: both of its windows (console and audience) answer these keys, so a clicker
    # (PageDown, PageUp, B, ".") works whichever window has the focus. Digits typed before Enter
    # or G pick a scene by its number.
    ActionSpec(
        "demoorg.presenter.next",
        "Next",
        ("PgDown", "Right", "Space"),
        "Presenter",
        "Next live action or scene",
    ),
    ActionSpec("demoorg.presenter.back", "Back", ("PgUp", "Left"), "Presenter", "Undo or go back"),
    ActionSpec("demoorg.presenter.black", "Black Screen", ("B", "."), "Presenter"),
    ActionSpec("demoorg.presenter.white", "White Screen", ("W",), "Presenter"),
    ActionSpec(
        "demoorg.presenter.jump",
        "Go to Scene",
        ("G", "Return", "Enter"),
        "Presenter",
        "Type a scene number, then Enter or G",
    ),
    ActionSpec("demoorg.presenter.reset", "Reset Demo Data", ("R",), "Presenter", "Press twice"),
    ActionSpec("demoorg.presenter.feedback", "Customer Feedback…", ("F",), "Presenter"),
    ActionSpec("demoorg.presenter.pause", "Pause for Q&A", ("P",), "Presenter"),
    ActionSpec("demoorg.presenter.rehearse", "Rehearsal Mode", (), "Presenter"),
    ActionSpec("demoorg.presenter.booth", "Booth Mode", (), "Presenter"),
    ActionSpec("demoorg.presenter.report", "Rehearsal Report", ("Ctrl+Shift+R",), "Presenter"),
    ActionSpec("demoorg.presenter.end", "End Presentation", ("Esc",), "Presenter"),
)

_BY_ID = {a.id: a for a in ACTIONS}


def spec(action_id: str) -> ActionSpec:
    return _BY_ID[action_id]


def shortcuts_for(action_id: str, settings: QSettings | None = None) -> tuple[str, ...]:
    """The shortcuts of an action: the user's override from settings, else the defaults."""
    default = _BY_ID[action_id].shortcuts
    if settings is None:
        return default
    key = f"shortcuts/{action_id}"
    if not settings.contains(key):
        return default
    value = settings.value(key)
    parts = [str(v) for v in value] if isinstance(value, list) else str(value or "").split(";")
    return tuple(p.strip() for p in parts if p.strip())


class ActionRegistry:
    """Creates the QActions of one window from :data:`ACTIONS`."""

    def __init__(self, parent: QWidget, settings: QSettings | None = None) -> None:
        self.parent = parent
        self.settings = settings
        self.actions: dict[str, QAction] = {}

    def add(self, action_id: str, slot: Callable[[], object]) -> QAction:
        s = _BY_ID[action_id]
        act = QAction(s.title, self.parent)
        act.setObjectName(action_id)
        keys = [QKeySequence(k) for k in shortcuts_for(action_id, self.settings)]
        act.setShortcuts(keys)
        # Window-wide; a text field still receives the printable keys ("/") typed into it.
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if s.tip or keys:
            shown = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
            act.setToolTip(f"{s.tip or s.title} ({shown})" if shown else s.tip or s.title)
        act.triggered.connect(lambda _checked=False: slot())
        self.parent.addAction(act)
        self.actions[action_id] = act
        return act

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]


def shortcut_table(settings: QSettings | None = None) -> list[tuple[str, str, str]]:
    """(menu, title, shortcuts as shown) for the help dialog."""
    rows = []
    for a in ACTIONS:
        keys = [
            QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
            for k in shortcuts_for(a.id, settings)
        ]
        rows.append((a.menu or "", a.title.rstrip("…"), "   ".join(keys)))
    return rows
