"""The org's header: the prospect's brand, global search, the app switcher and the app's tabs.

The same widgets render the real header of the org browser and the live preview in the builder,
so what the SE sees while personalising is what the customer will see on the projector.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from demoorg.ui import icons
from demoorg.ui.widgets import BrandMark, label


class GlobalHeader(QFrame):
    """The top bar: brand mark, global search, org chip and the back/forward buttons."""

    search_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, interactive: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("globalHeader")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(16, 9, 16, 9)
        lay.setSpacing(10)
        self.brand = BrandMark(size=34)
        lay.addWidget(self.brand)
        self.back = QToolButton()
        self.back.setObjectName("iconButton")
        self.back.setText("←")
        self.forward = QToolButton()
        self.forward.setObjectName("iconButton")
        self.forward.setText("→")
        lay.addSpacing(12)
        lay.addWidget(self.back)
        lay.addWidget(self.forward)
        lay.addStretch(1)
        self.search = QLineEdit()
        self.search.setObjectName("globalSearch")
        self.search.setPlaceholderText("Search…")
        self.search.setClearButtonEnabled(interactive)
        self.search.returnPressed.connect(self._on_return)
        if interactive:
            self.search.setMinimumWidth(380)
        lay.addWidget(self.search, 2)
        lay.addStretch(1)
        self.chip = label("", "orgChip")
        lay.addWidget(self.chip)
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("iconButton")
        self.menu_button.setText("☰")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        lay.addWidget(self.menu_button)
        if not interactive:
            for w in (self.back, self.forward, self.menu_button):
                w.hide()
            self.search.setEnabled(False)

    def set_brand(self, name: str, color: str, logo: Any = None) -> None:
        self.brand.set_brand(name, color, logo)

    def _on_return(self) -> None:
        text = self.search.text().strip()
        if text:
            self.search_requested.emit(text)


class NavBar(QFrame):
    """The app launcher, the app's name and its tabs; the active tab is underlined in brand colour."""

    tab_selected = Signal(str)  # an object name or "dashboard:<key>"
    app_selected = Signal(str)  # an app key

    def __init__(self, parent: QWidget | None = None, interactive: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("navBar")
        if not interactive:
            # The audience window's tabs follow the story: a click on the projected window must
            # not open a menu or move the underline the customers see.
            self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.lay = QHBoxLayout(self)
        self.lay.setContentsMargins(10, 0, 10, 0)
        self.lay.setSpacing(0)
        self.launcher = QToolButton()
        self.launcher.setObjectName("launcher")
        self.launcher.setIcon(QIcon(icons.launcher_icon(20)))
        self.launcher.setIconSize(QSize(20, 20))
        self.launcher.setToolTip("App Launcher")
        self.launcher.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.launcher_menu = QMenu(self.launcher)
        self.launcher.setMenu(self.launcher_menu)
        self.lay.addWidget(self.launcher)
        self.lay.addSpacing(6)
        self.app_name = label("", "appName")
        self.lay.addWidget(self.app_name)
        self.tabs: dict[str, QToolButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self._tab_area = QHBoxLayout()
        self._tab_area.setSpacing(0)
        self.lay.addLayout(self._tab_area)
        # Tabs that do not fit move into "More", as in Lightning.
        self.more = QToolButton()
        self.more.setObjectName("navTab")
        self.more.setText("More  ▾")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self.more)
        self.more.setMenu(self.more_menu)
        self.more.hide()
        self.lay.addWidget(self.more)
        self.lay.addStretch(1)
        self._labels: dict[str, str] = {}
        self._current: str | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_apps(self, apps: list[tuple[str, str]], current: str) -> None:
        """The launcher's apps as (key, label)."""
        self.launcher_menu.clear()
        for key, text in apps:
            act = self.launcher_menu.addAction(mnemonic_safe(text))
            act.setCheckable(True)
            act.setChecked(key == current)
            act.triggered.connect(lambda _c=False, k=key: self.app_selected.emit(k))

    def set_tabs(self, app_label: str, tabs: list[tuple[str, str]]) -> None:
        """The app's name and tabs as (tab id, label)."""
        self.app_name.setText(app_label)
        self._labels = {}
        for b in self.tabs.values():
            self.group.removeButton(b)
            self._tab_area.removeWidget(b)
            b.hide()
            b.deleteLater()
        self.tabs = {}
        for tab_id, text in tabs:
            b = QToolButton()
            b.setObjectName("navTab")
            b.setText(mnemonic_safe(text))
            b.setCheckable(True)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(lambda _c=False, t=tab_id: self.tab_selected.emit(t))
            self.group.addButton(b)
            self._tab_area.addWidget(b)
            self.tabs[tab_id] = b
            self._labels[tab_id] = text
        self._fit_tabs()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        """Shows the tabs that fit; the others go into the "More" menu."""
        if not self.tabs:
            self.more.hide()
            return
        m = self.lay.contentsMargins()
        fixed = self.launcher.sizeHint().width() + 6 + self.app_name.sizeHint().width()
        avail = self.width() - m.left() - m.right() - fixed
        widths = {t: b.sizeHint().width() for t, b in self.tabs.items()}
        if sum(widths.values()) <= avail:
            hidden: list[str] = []
        else:
            avail -= self.more.sizeHint().width()
            used, hidden = 0, []
            for t, w in widths.items():
                if hidden or used + w > avail:
                    hidden.append(t)
                else:
                    used += w
        self.more_menu.clear()
        for t, b in self.tabs.items():
            b.setVisible(t not in hidden)
        for t in hidden:
            act = self.more_menu.addAction(mnemonic_safe(self._labels.get(t, t)))
            act.setCheckable(True)
            act.setChecked(t == self._current)
            act.triggered.connect(lambda _c=False, tab=t: self.tab_selected.emit(tab))
        self.more.setVisible(bool(hidden))

    def set_current(self, tab_id: str | None) -> None:
        self._current = tab_id
        for act in self.more_menu.actions():
            act.setChecked(False)
        b = self.tabs.get(tab_id or "")
        if b is not None:
            b.setChecked(True)
            return
        self.group.setExclusive(False)
        for other in self.tabs.values():
            other.setChecked(False)
        self.group.setExclusive(True)


def mnemonic_safe(text: str) -> str:
    """Text for buttons and menus, where a lone "&" would mark a keyboard mnemonic."""
    return text.replace("&", "&&")


def tab_label(tab: str, objects: dict[str, Any], dashboards: dict[str, str]) -> str:
    """How a tab reads: an object's plural, or "Dashboards" style names for dashboard tabs."""
    if tab.startswith("dashboard:"):
        return dashboards.get(tab.split(":", 1)[1], "Dashboard")
    info = objects.get(tab)
    return info.plural if info is not None else tab
