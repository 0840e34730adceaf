"""Global search results: records whose names match, grouped by object."""

from __future__ import annotations

from itertools import groupby

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from demoorg.org.query import OrgReader, SearchHit
from demoorg.ui.navigation import Location
from demoorg.ui.widgets import Card, LinkLabel, icon_label, label


class SearchResultsWidget(QScrollArea):
    """The results of the global search box."""

    link_activated = Signal(str)

    def __init__(self, reader: OrgReader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageScroll")
        self.setWidgetResizable(True)
        self.reader = reader
        self.hits: list[SearchHit] = []
        self.text = ""

    def show_results(self, text: str, objects: list[str] | None = None) -> None:
        self.text = text
        self.hits = self.reader.search(text, per_object=8, objects=objects)
        page = QWidget()
        page.setObjectName("page")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(16, 16, 16, 16)
        outer.setSpacing(12)
        head = Card(margins=16)
        row = QHBoxLayout()
        row.addWidget(icon_label("search", 40))
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(label("Search results", "pageEyebrow"))
        titles.addWidget(label(f"“{text}”", "pageTitle"))
        row.addLayout(titles, 1)
        n = len(self.hits)
        row.addWidget(label(f"{n} record{'s' if n != 1 else ''} shown", "caption"))
        head.body.addLayout(row)
        outer.addWidget(head)
        if not self.hits:
            empty = Card()
            empty.body.addWidget(label("No records have a name that contains this text.", "muted"))
            outer.addWidget(empty)
        for obj, hits in groupby(self.hits, key=lambda h: h.object):
            info = self.reader.object(obj)
            card = Card(margins=16)
            top = QHBoxLayout()
            top.addWidget(icon_label(obj, 26))
            top.addWidget(label(info.plural, "cardTitle"), 1)
            card.body.addLayout(top)
            grid = QGridLayout()
            grid.setHorizontalSpacing(24)
            grid.setVerticalSpacing(6)
            for r, h in enumerate(hits):
                link = LinkLabel(h.name, Location.record(obj, h.id).href())
                link.activated.connect(self.link_activated)
                grid.addWidget(link, r, 0)
                grid.addWidget(label(h.detail, "caption"), r, 1)
            grid.setColumnStretch(0, 2)
            grid.setColumnStretch(1, 3)
            card.body.addLayout(grid)
            outer.addWidget(card)
        outer.addStretch(1)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(page)
