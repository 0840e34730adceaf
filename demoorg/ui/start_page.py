"""The start page: build the default org in one click, or reopen a recent org in one click."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from demoorg.content.releases import calendar_around, release_on
from demoorg.ui import icons
from demoorg.ui.widgets import Badge, Card, ClickableFrame, clear_layout, label


@dataclass(frozen=True, slots=True)
class RecentOrg:
    """An org the user opened before, as the start page lists it."""

    path: str
    prospect: str = ""
    industry: str = ""
    detail: str = ""

    @property
    def is_server(self) -> bool:
        """An org on a PostgreSQL server (its location is a URL without password)."""
        return "://" in self.path

    @property
    def exists(self) -> bool:
        """Whether it can be offered: a file that is still there; a server org always (checking
        would mean connecting to the server before the page shows)."""
        return self.is_server or Path(self.path).is_file()


class StartPage(QScrollArea):
    """Welcome, the one-click default org, and recent orgs.

    Signals:
        build_default_requested(): build the medical org at standard size.
        customize_requested(): open the builder.
        open_requested(str): open an org by its location (a file path or a server org's URL).
        browse_requested(): pick an org file.
        server_requested(): pick an org on a server.
    """

    build_default_requested = Signal()
    industry_requested = Signal(str)
    cancel_requested = Signal()
    customize_requested = Signal()
    open_requested = Signal(str)
    browse_requested = Signal()
    server_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageScroll")
        self.setWidgetResizable(True)
        page = QWidget()
        page.setObjectName("page")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(40, 36, 40, 36)
        outer.setSpacing(18)
        outer.addWidget(label("Realistic CRM demo orgs, built in seconds", "heroTitle"))
        row = QHBoxLayout()
        row.setSpacing(18)

        welcome = Card(margins=24)
        welcome.body.setSpacing(12)
        top = QHBoxLayout()
        ic = QLabel()
        ic.setPixmap(icons.object_icon("org", 48))
        top.addWidget(ic, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.addWidget(label("Start with the default demo org", "cardTitle"))
        texts.addWidget(
            label(
                "Healthcare & Life Sciences for “Acme”, standard size (about 20,000 records), "
                "on today's release. You can build orgs for other industries, prospects, "
                "releases and sizes at any time.",
                "caption",
                wrap=True,
            )
        )
        top.addLayout(texts, 1)
        welcome.body.addLayout(top)
        buttons = QHBoxLayout()
        self.default_button = QPushButton("Build the default org")
        self.default_button.setObjectName("primary")
        self.default_button.setMinimumHeight(38)
        self.default_button.clicked.connect(self.build_default_requested)
        self.customize_button = QPushButton("Customize a new org…")
        self.customize_button.setMinimumHeight(38)
        self.customize_button.clicked.connect(self.customize_requested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("danger")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.hide()
        buttons.addWidget(self.default_button)
        buttons.addWidget(self.customize_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        welcome.body.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.status = label("", "caption", wrap=True)
        welcome.body.addWidget(self.progress)
        welcome.body.addWidget(self.status)
        self.error = label("", "errorBox", wrap=True)
        self.error.hide()
        welcome.body.addWidget(self.error)
        welcome.body.addStretch(1)
        row.addWidget(welcome, 3)

        self.recent_card = Card("Recent orgs")
        self.recent_box = QVBoxLayout()
        self.recent_box.setSpacing(2)
        self.recent_card.body.addLayout(self.recent_box)
        self.recent_card.body.addStretch(1)
        open_buttons = QHBoxLayout()
        open_buttons.setSpacing(8)
        open_button = QPushButton("Open an org file…")
        open_button.clicked.connect(self.browse_requested)
        self.server_button = QPushButton("Open from server…")
        self.server_button.setToolTip("Open an org your team keeps on a PostgreSQL server")
        self.server_button.clicked.connect(self.server_requested)
        open_buttons.addWidget(open_button)
        open_buttons.addWidget(self.server_button)
        open_buttons.addStretch(1)
        self.recent_card.body.addLayout(open_buttons)
        row.addWidget(self.recent_card, 2)
        outer.addLayout(row)

        row2 = QHBoxLayout()
        row2.setSpacing(18)
        self.industries_card = Card("Industries")
        self.industries_card.body.addWidget(
            label(
                "Pick one to build an org for it. Your own templates appear here too: drop a "
                ".demopack on this window to install one.",
                "caption",
                wrap=True,
            )
        )
        self.industries_box = QVBoxLayout()
        self.industries_box.setSpacing(2)
        self.industries_card.body.addLayout(self.industries_box)
        self.industries_card.body.addStretch(1)
        row2.addWidget(self.industries_card, 3)
        self.calendar_card = Card("Release calendar")
        self.calendar_box = QVBoxLayout()
        self.calendar_box.setSpacing(6)
        self.calendar_card.body.addLayout(self.calendar_box)
        self.calendar_card.body.addStretch(1)
        row2.addWidget(self.calendar_card, 2)
        outer.addLayout(row2)
        outer.addStretch(1)
        self.setWidget(page)
        self.recent_rows: dict[str, ClickableFrame] = {}
        self.industry_rows: dict[str, ClickableFrame] = {}

    def set_industries(self, items: list[tuple[str, str, str, str]]) -> None:
        """Templates as (industry, label, one-line summary, brand colour)."""
        clear_layout(self.industries_box)
        self.industry_rows = {}
        for industry, text, summary, color in items:
            frame = ClickableFrame("recentRow")
            lay = QHBoxLayout(frame)
            lay.setContentsMargins(8, 7, 8, 7)
            lay.setSpacing(12)
            ic = QLabel()
            ic.setPixmap(icons.object_icon(industry.capitalize(), 30, color=color))
            lay.addWidget(ic)
            lay.addWidget(label(text, "fieldValue"), 2)
            lay.addWidget(label(summary, "caption"), 3)
            frame.clicked.connect(lambda i=industry: self.industry_requested.emit(i))
            self.industries_box.addWidget(frame)
            self.industry_rows[industry] = frame

    def set_calendar(self, day: date) -> None:
        """The releases around ``day``: which one production runs, which sandboxes preview."""
        clear_layout(self.calendar_box)
        current = release_on(day)
        nxt = current.next()
        self.calendar_box.addWidget(
            label(
                f"On {day.strftime('%B')} {day.day}, {day.year} production runs {current.name} "
                f"(API {current.api_version}). {nxt.name} reaches sandboxes on "
                f"{nxt.preview_date.strftime('%B')} {nxt.preview_date.day} and production on "
                f"{nxt.ga_date.strftime('%B')} {nxt.ga_date.day}.",
                "caption",
                wrap=True,
            )
        )
        for rel, status in calendar_around(day, before=1, after=2):
            row = QHBoxLayout()
            row.addWidget(label(rel.name, "fieldValue"), 2)
            row.addWidget(label(f"API {rel.api_version}", "caption"), 2)
            ga = rel.ga_date
            row.addWidget(label(f"GA {ga.strftime('%b')} {ga.day}, {ga.year}", "caption"), 3)
            fg, bg = {
                "current": ("#FFFFFF", "#2E844A"),
                "preview": ("#FFFFFF", "#0176D3"),
                "upcoming": ("#444444", "#E5E5E5"),
                "past": ("#444444", "#F3F3F3"),
            }[status]
            badge = Badge(status.capitalize(), fg, bg)
            badge.setFixedWidth(84)
            row.addWidget(badge)
            self.calendar_box.addLayout(row)

    def set_recent(self, recent: list[RecentOrg]) -> None:
        clear_layout(self.recent_box)
        self.recent_rows = {}
        shown = [r for r in recent if r.exists]
        if not shown:
            self.recent_box.addWidget(
                label("No orgs yet. The orgs you build or open appear here.", "muted", wrap=True)
            )
            return
        for r in shown[:8]:
            frame = ClickableFrame("recentRow")
            lay = QHBoxLayout(frame)
            lay.setContentsMargins(8, 8, 8, 8)
            lay.setSpacing(12)
            ic = QLabel()
            ic.setPixmap(icons.object_icon(r.industry.capitalize() or "org", 32))
            lay.addWidget(ic)
            texts = QVBoxLayout()
            texts.setSpacing(1)
            title = r.prospect or (r.path.rpartition("#")[2] if r.is_server else Path(r.path).stem)
            texts.addWidget(label(f"{title} · {r.industry}" if r.industry else title, "fieldValue"))
            sub = label(r.detail or r.path, "caption")
            sub.setToolTip(r.path)
            texts.addWidget(sub)
            lay.addLayout(texts, 1)
            frame.clicked.connect(lambda p=r.path: self.open_requested.emit(p))
            self.recent_box.addWidget(frame)
            self.recent_rows[r.path] = frame

    def set_building(self, building: bool) -> None:
        self.default_button.setEnabled(not building)
        self.customize_button.setEnabled(not building)
        self.cancel_button.setVisible(building)
        self.cancel_button.setEnabled(building)
        self.progress.setVisible(building)
        if building:
            self.error.hide()
            self.progress.setValue(0)
            self.status.setText("Planning the org…")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
