"""The list view: every object's records in one generic table, with search, filters and sorting."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from demoorg.org.query import Column, ListSpec, OrgReader
from demoorg.ui import icons
from demoorg.ui.format import Formatter
from demoorg.ui.models import RecordTableModel
from demoorg.ui.navigation import Location
from demoorg.ui.widgets import Card, clear_layout, icon_label, label

#: Starting widths of columns by type, in pixels (the last column takes the rest).
_WIDTHS = {
    "text": 170,
    "textarea": 240,
    "picklist": 150,
    "lookup": 190,
    "email": 240,
    "phone": 150,
    "url": 200,
    "date": 115,
    "datetime": 170,
    "currency": 140,
    "number": 110,
    "percent": 100,
    "boolean": 90,
}


def column_width(col: Column, first: bool) -> int:
    """A sensible starting width: the name column is wide, dates and flags are narrow."""
    if first:
        return 260
    return max(_WIDTHS.get(col.type, 150), 40 + 7 * len(col.label))


def quick_filter_columns(columns: list[Column], limit: int = 3) -> list[Column]:
    """Columns offered as quick filters: own picklists with a manageable number of values."""
    return [
        c
        for c in columns
        if c.type == "picklist" and "." not in c.path and 1 < len(c.field.picklist) <= 30
    ][:limit]


class ListViewWidget(QWidget):
    """A list view of one object.

    Signals:
        link_activated(str): an href to open (``record:Account/001…`` or ``list:Account``).
    """

    link_activated = Signal(str)

    def __init__(self, reader: OrgReader, formatter: Formatter, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page")
        self.reader = reader
        self.fmt = formatter
        self.location: Location | None = None
        self.model = RecordTableModel(reader, formatter, self)
        self.model.count_changed.connect(self._on_count_changed)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 16, 16, 16)
        outer.setSpacing(12)

        head = Card(margins=16)
        top = QHBoxLayout()
        top.setSpacing(12)
        self.icon = icon_label("Account", 40)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.eyebrow = label("", "pageEyebrow")
        self.title = label("", "pageTitle")
        titles.addWidget(self.eyebrow)
        titles.addWidget(self.title)
        top.addWidget(self.icon)
        top.addLayout(titles)
        top.addStretch(1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search this list…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._apply_search)
        top.addWidget(self.search)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        head.body.addLayout(top)

        meta = QHBoxLayout()
        meta.setSpacing(8)
        self.meta = label("", "caption")
        meta.addWidget(self.meta)
        self.chip = QPushButton()
        self.chip.setObjectName("chip")
        self.chip.setCursor(Qt.CursorShape.PointingHandCursor)
        self.chip.clicked.connect(self._on_chip_clicked)
        self.chip.hide()
        meta.addWidget(self.chip)
        meta.addStretch(1)
        self.filters: list[tuple[Column, QComboBox]] = []
        self._filter_row = QHBoxLayout()
        self._filter_row.setSpacing(8)
        meta.addLayout(self._filter_row)
        head.body.addLayout(meta)
        outer.addWidget(head)

        table_card = Card(margins=0)
        table_card.body.setContentsMargins(1, 1, 1, 1)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setMouseTracking(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(38)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumHeight(36)
        self.table.setSortingEnabled(True)
        self.table.clicked.connect(self._on_clicked)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.entered.connect(self._on_entered)
        table_card.body.addWidget(self.table)
        outer.addWidget(table_card, 1)

    # --- showing a list ----------------------------------------------------------------------------

    def show_list(self, loc: Location) -> None:
        """Shows the list of ``loc.object``, filtered by ``loc.where`` (from a related list)."""
        obj = loc.object
        assert obj is not None
        info = self.reader.object(obj)
        same_object = self.location is not None and self.location.object == obj
        self.location = loc
        self.icon.setPixmap(icons.object_icon(obj, 40))
        self.eyebrow.setText(info.plural)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        first = loc.where[0] if loc.where else None
        of_record = (
            first is not None
            and len(loc.where) == 1
            and first[1] == "eq"
            and first[0] in info.fields
            and info.fields[first[0]].is_lookup
        )
        if loc.where and not of_record:
            # A chart's group or a tile's filter: named after the tile ("Open Cases: High").
            self.title.setText(info.plural)
            self.chip.setText(f"{loc.title or 'Filtered'}   ✕")
            self.chip.show()
        elif loc.where:
            self.title.setText(f"{info.plural} of {loc.title}" if loc.title else info.plural)
            field = loc.where[0][0]
            flabel = info.fields[field].label if field in info.fields else field
            self.chip.setText(f"{flabel}: {loc.title or loc.where[0][2]}   ✕")
            self.chip.show()
        else:
            self.title.setText(f"All {info.plural}")
            self.chip.hide()
        sort = None
        header = self.table.horizontalHeader()
        if same_object and self.model.spec is not None and not loc.where:
            sort = self.model.spec.sort
        descending = bool(same_object and self.model.spec and self.model.spec.descending)
        spec = ListSpec(obj, sort=sort, descending=descending, where=loc.where)
        self.model.set_spec(spec)
        self._build_filters()
        self._size_columns()
        col = next((i for i, c in enumerate(self.model.columns) if c.path == sort), -1)
        header.blockSignals(True)
        header.setSortIndicator(
            col, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        )
        header.blockSignals(False)
        self.table.scrollToTop()
        self._update_meta()

    def refresh(self) -> None:
        self.model.refresh()
        self._update_meta()

    def _size_columns(self) -> None:
        """Starting widths by type, narrowed to fit the table when they would overflow it."""
        widths = [column_width(col, i == 0) for i, col in enumerate(self.model.columns)]
        avail = self.table.viewport().width() or 1200
        total = sum(widths)
        if total > avail:
            floor = 110
            shrinkable = sum(max(0, w - floor) for w in widths)
            over = total - avail
            if shrinkable > over:
                widths = [w - over * max(0, w - floor) // shrinkable for w in widths]
        for i, w in enumerate(widths):
            self.table.setColumnWidth(i, w)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.model.spec is not None:
            self._size_columns()

    def _build_filters(self) -> None:
        clear_layout(self._filter_row)
        self.filters = []
        spec = self.model.spec
        info = self.reader.object(spec.object) if spec is not None else None
        if info is not None and len(info.record_types) > 1:
            # Record types read best as their own filter: Patients or Organizations.
            rt_col = self.reader.column(info.name, "RecordType")
            box = QComboBox()
            box.addItem("Record Type: All", None)
            for dev, text in info.record_types:
                box.addItem(f"Record Type: {text}", dev)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.currentIndexChanged.connect(self._apply_filters)
            self._filter_row.addWidget(box)
            self.filters.append((rt_col, box))
        for col in quick_filter_columns(self.model.columns):
            box = QComboBox()
            box.addItem(f"{col.label}: All", None)
            for v in col.field.picklist:
                box.addItem(f"{col.label}: {v}", v)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.currentIndexChanged.connect(self._apply_filters)
            self._filter_row.addWidget(box)
            self.filters.append((col, box))

    # --- handlers --------------------------------------------------------------------------------

    def set_filter(self, path: str, value: Any) -> None:
        """Selects a quick filter's value (None: all)."""
        for col, box in self.filters:
            if col.path == path:
                box.setCurrentIndex(max(0, box.findData(value)) if value is not None else 0)
                return
        raise KeyError(path)

    def _apply_filters(self) -> None:
        base = self.location.where if self.location else ()
        extra = tuple(
            (col.path, "eq", box.currentData())
            for col, box in self.filters
            if box.currentData() is not None
        )
        self.model.set_where(tuple(base) + extra)
        self._update_meta()

    def _apply_search(self) -> None:
        self._search_timer.stop()
        self.model.set_search(self.search.text())
        self._update_meta()

    def _on_count_changed(self, _count: int) -> None:
        self._update_meta()

    def _update_meta(self) -> None:
        spec = self.model.spec
        if spec is None:
            return
        n = self.model.total
        parts = [f"{self.fmt.number(n)} item{'s' if n != 1 else ''}"]
        if spec.sort:
            col = next((c for c in self.model.columns if c.path == spec.sort), None)
            if col is not None:
                parts.append(f"Sorted by {col.label}{' (descending)' if spec.descending else ''}")
        filtered = [box.currentText() for _c, box in self.filters if box.currentData() is not None]
        if spec.search.strip():
            filtered.append(f"“{spec.search.strip()}”")
        if filtered:
            parts.append("Filtered by " + ", ".join(filtered))
        self.meta.setText("  •  ".join(parts))

    def _on_chip_clicked(self) -> None:
        if self.location is not None and self.location.object:
            self.link_activated.emit(Location.list(self.location.object).href())

    def _on_clicked(self, index: QModelIndex | QPersistentModelIndex) -> None:
        ref = self.model.link(index.row(), index.column())
        if ref is not None and ref.object:
            self.link_activated.emit(Location.record(ref.object, ref.id).href())

    def _on_double_clicked(self, index: QModelIndex | QPersistentModelIndex) -> None:
        spec = self.model.spec
        if spec is not None and self.model.link(index.row(), index.column()) is None:
            self.link_activated.emit(
                Location.record(spec.object, self.model.record_id(index.row())).href()
            )

    def _on_entered(self, index: QModelIndex | QPersistentModelIndex) -> None:
        link = self.model.columns[index.column()].link if index.isValid() else False
        self.table.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.ArrowCursor
        )

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
