"""One generic table model for every list: row Ids, fetched page by page, and a row cache.

The model holds only the Ids of the rows fetched so far (``canFetchMore``/``fetchMore`` ask the
org for the next page with keyset paging) and the display values of the blocks of rows the view
has actually painted. An object with a million rows opens at once: the first page is 100 Ids.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from demoorg.org.query import Column, ListSpec, OrgReader, Ref
from demoorg.ui import theme
from demoorg.ui.format import Formatter

#: Rows asked for per page, and per block of display values.
PAGE_SIZE = 100
BLOCK = 100

#: Role for the :class:`Ref` a cell links to (a lookup's target, or the row's own record).
LinkRole = Qt.ItemDataRole.UserRole + 1
#: Role for the raw stored value of a cell.
RawRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class RecordTableModel(QAbstractTableModel):
    """Rows of one object for a :class:`~demoorg.org.query.ListSpec`, fetched lazily.

    Signals:
        count_changed(int): the number of matching records (not just the fetched ones).
        spec_changed(object): the list's spec after a sort, search or filter.
    """

    count_changed = Signal(int)
    spec_changed = Signal(object)

    def __init__(self, reader: OrgReader, formatter: Formatter, parent: Any = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.fmt = formatter
        self.spec: ListSpec | None = None
        self.columns: list[Column] = []
        self.ids: list[str] = []
        self.total = 0
        self._after: tuple[Any, ...] | None = None
        self._exhausted = True
        self._blocks: dict[int, list[tuple[Any, ...]]] = {}
        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)
        self._link = QBrush(QColor(theme.LINK))

    # --- what the list shows ----------------------------------------------------------------------

    def set_spec(self, spec: ListSpec) -> None:
        """Shows a new list: resets the rows and fetches the first page and the count."""
        self.beginResetModel()
        self.spec = spec
        self.columns = self.reader.columns_for(spec)
        self.ids = []
        self._blocks.clear()
        self._after = None
        self._exhausted = False
        self.total = self.reader.count(spec)
        self._fetch_page()
        self.endResetModel()
        self.count_changed.emit(self.total)
        self.spec_changed.emit(spec)

    def refresh(self) -> None:
        if self.spec is not None:
            self.set_spec(self.spec)

    def set_search(self, text: str) -> None:
        if self.spec is not None and self.spec.search != text:
            self.set_spec(dataclasses.replace(self.spec, search=text))

    def set_where(self, where: tuple[tuple[str, str, Any], ...]) -> None:
        if self.spec is not None and self.spec.where != where:
            self.set_spec(dataclasses.replace(self.spec, where=where))

    def record_id(self, row: int) -> str:
        return self.ids[row]

    def row_values(self, row: int) -> tuple[Any, ...]:
        block = self._block(row // BLOCK)
        return block[row % BLOCK]

    # --- lazy paging ----------------------------------------------------------------------------

    def _fetch_page(self) -> int:
        assert self.spec is not None
        page = self.reader.page(self.spec, self._after, PAGE_SIZE)
        self._after = page.after
        self._exhausted = page.after is None
        self.ids.extend(page.ids)
        return len(page.ids)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and self.spec is not None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self.spec is not None
        page = self.reader.page(self.spec, self._after, PAGE_SIZE)
        if not page.ids:
            self._exhausted = True
            return
        first = len(self.ids)
        self.beginInsertRows(QModelIndex(), first, first + len(page.ids) - 1)
        self.ids.extend(page.ids)
        self._after = page.after
        self._exhausted = page.after is None
        self.endInsertRows()

    def _block(self, n: int) -> list[tuple[Any, ...]]:
        block = self._blocks.get(n)
        if block is None:
            ids = self.ids[n * BLOCK : (n + 1) * BLOCK]
            assert self.spec is not None
            block = self.reader.rows(self.spec.object, self.columns, ids)
            self._blocks[n] = block
        return block

    # --- Qt model -------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        col = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self.row_values(index.row())[index.column()]
            text = self.fmt.value(value, col.type, col.field.decimals)
            if role == Qt.ItemDataRole.ToolTipRole:
                return text if len(text) > 24 else None
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole:
            h = Qt.AlignmentFlag.AlignRight if col.numeric else Qt.AlignmentFlag.AlignLeft
            if col.type == "boolean":
                h = Qt.AlignmentFlag.AlignHCenter
            return int(h | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._link if col.link else None
        if role == LinkRole:
            return self.link(index.row(), index.column())
        if role == RawRole:
            return self.row_values(index.row())[index.column()]
        return None

    def link(self, row: int, column: int) -> Ref | None:
        """The record a cell opens: a lookup's target, or the row's record for its name."""
        col = self.columns[column]
        if not col.link or self.spec is None:
            return None
        value = self.row_values(row)[column]
        if isinstance(value, Ref):
            return value
        if "." in col.path:
            return None
        return Ref(self.spec.object, self.ids[row], str(value or ""))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        col = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.label
        if role == Qt.ItemDataRole.TextAlignmentRole:
            h = Qt.AlignmentFlag.AlignRight if col.numeric else Qt.AlignmentFlag.AlignLeft
            return int(h | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{col.label} ({col.path})"
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorts on the server side; a column of -1 restores the org's own order (by Id)."""
        if self.spec is None:
            return
        path = self.columns[column].path if 0 <= column < len(self.columns) else None
        descending = order == Qt.SortOrder.DescendingOrder
        if path == self.spec.sort and descending == self.spec.descending:
            return
        self.set_spec(dataclasses.replace(self.spec, sort=path, descending=descending))
