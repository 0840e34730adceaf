"""Painted building blocks for the record page: field grids, related-list tables, a timeline.

A record page shows a hundred or more values. One QLabel per value costs a widget, a style
polish and a layout item each, which is most of a page's time on screen; these widgets paint their
cells instead and hit-test their links, so a whole section is one widget. Links behave like
links: a pointing cursor, a tooltip with the full text, ``link_activated(href)`` on click, and
``link_rect(href)`` for tests that click them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from demoorg.ui import theme


def _font(base: QFont, px: int, bold: bool = False) -> QFont:
    f = QFont(base)
    f.setPixelSize(px)
    f.setBold(bold)
    return f


@dataclass(frozen=True, slots=True)
class Cell:
    """One value: its text, where it links (if anywhere), and how it sits."""

    text: str
    href: str | None = None
    right: bool = False
    wrap: bool = False


class LinkCanvas(QWidget):
    """A painted widget with clickable link areas."""

    link_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self._links: list[tuple[QRect, str]] = []
        self._tips: list[tuple[QRect, str]] = []
        self._laid_out_width = -1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    # --- hit testing ----------------------------------------------------------------------------

    def link_at(self, pos: QPoint) -> str | None:
        for rect, href in self._links:
            if rect.contains(pos):
                return href
        return None

    def link_rect(self, href: str) -> QRect | None:
        self._ensure_layout()
        return next((r for r, h in self._links if h == href), None)

    def hrefs(self) -> list[str]:
        self._ensure_layout()
        return [h for _, h in self._links]

    def _ensure_layout(self) -> None:
        self._layout_for(self.width() or self.sizeHint().width())

    def _layout_for(self, width: int) -> None:
        if width != self._laid_out_width:
            self._relayout(width)
            self._laid_out_width = width

    def _relayout(self, width: int) -> None:  # filled in by subclasses
        self._links, self._tips = [], []

    def resizeEvent(self, event: object) -> None:
        self._layout_for(self.width())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over = self.link_at(event.position().toPoint()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()
        if event.button() == Qt.MouseButton.LeftButton:
            href = self.link_at(event.position().toPoint())
            if href:
                self.link_activated.emit(href)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            pos = event.pos()
            tip = next((t for r, t in self._tips if r.contains(pos)), None)
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _text(
        self,
        p: QPainter,
        rect: QRect,
        cell: Cell,
        font: QFont,
        color: str,
        flags: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
    ) -> None:
        """Draws one cell's text, elided; registers its link and tooltip."""
        fm = QFontMetrics(font)
        p.setFont(font)
        link = bool(cell.href)
        p.setPen(QColor(theme.LINK if link else color))
        align = (
            Qt.AlignmentFlag.AlignRight if cell.right else flags
        ) | Qt.AlignmentFlag.AlignVCenter
        if cell.wrap:
            p.drawText(rect, int(align | Qt.TextFlag.TextWordWrap), cell.text)
            return
        text = fm.elidedText(cell.text, Qt.TextElideMode.ElideRight, rect.width())
        p.drawText(rect, int(align), text)


class FieldGrid(LinkCanvas):
    """Label-over-value pairs in columns, each with a rule under it (a layout section)."""

    def __init__(
        self, items: list[tuple[str, Cell]], columns: int = 2, big: bool = False, rules: bool = True
    ) -> None:
        super().__init__()
        self.items = items
        self.columns = max(1, columns)
        self.big = big
        self.rules = rules
        base = self.font()
        self.label_font = _font(base, 12)
        self.value_font = _font(base, 14 if big else 13)
        self.gap = 36 if big else 28
        self._rows: list[tuple[int, int]] = []  # (top, height)
        self._layout_for(600)

    def _cell_height(self, cell: Cell, width: int) -> int:
        fm = QFontMetrics(self.value_font)
        line = fm.height()
        if cell.wrap and cell.text:
            r = fm.boundingRect(
                QRect(0, 0, max(40, width), 10_000), int(Qt.TextFlag.TextWordWrap), cell.text
            )
            return min(max(line, r.height()), 6 * line)
        return line

    def _col_width(self, width: int) -> int:
        return max(40, (width - self.gap * (self.columns - 1)) // self.columns)

    def _relayout(self, width: int) -> None:
        super()._relayout(width)
        lab = QFontMetrics(self.label_font).height()
        colw = self._col_width(width)
        self._rows = []
        top = 0
        pad = 6 if self.rules else 2
        for start in range(0, len(self.items), self.columns):
            row = self.items[start : start + self.columns]
            h = max(self._cell_height(c, colw) for _, c in row)
            height = pad + lab + 2 + h + pad + (1 if self.rules else 0)
            self._rows.append((top, height))
            for i, (_label, cell) in enumerate(row):
                x = i * (colw + self.gap)
                vrect = QRect(x, top + pad + lab + 2, colw, h)
                if cell.href:
                    fm = QFontMetrics(self.value_font)
                    w = min(colw, fm.horizontalAdvance(cell.text) + 2)
                    self._links.append((QRect(x, vrect.top(), w, h), cell.href))
                if cell.text:
                    self._tips.append((vrect, cell.text))
            top += height + (2 if self.rules else 0)
        self._height = top
        self.setFixedHeight(max(1, top))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        self._relayout(width)
        return self._height

    def sizeHint(self) -> QSize:
        return QSize(600, self._height)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        colw = self._col_width(self.width())
        lab = QFontMetrics(self.label_font).height()
        pad = 6 if self.rules else 2
        for r, (top, height) in enumerate(self._rows):
            row = self.items[r * self.columns : (r + 1) * self.columns]
            for i, (label, cell) in enumerate(row):
                x = i * (colw + self.gap)
                self._text(
                    p, QRect(x, top + pad, colw, lab), Cell(label), self.label_font, theme.TEXT_WEAK
                )
                vh = height - pad - lab - 2 - pad - (1 if self.rules else 0)
                self._text(
                    p, QRect(x, top + pad + lab + 2, colw, vh), cell, self.value_font, theme.TEXT
                )
                if self.rules:
                    p.setPen(QColor(theme.LINE))
                    p.drawLine(x, top + height, x + colw, top + height)
        p.end()


class RelatedTable(LinkCanvas):
    """A related list's rows: a header in small capitals and one line per record."""

    ROW = 34
    HEAD = 28

    def __init__(self, headers: list[tuple[str, bool]], rows: list[list[Cell]]) -> None:
        super().__init__()
        self.headers = headers  # (label, numeric)
        self.rows = rows
        self._col_cache: dict[int, list[tuple[int, int]]] = {}
        base = self.font()
        self.head_font = _font(base, 11, bold=True)
        self.cell_font = _font(base, 13)
        self.setFixedHeight(self.HEAD + self.ROW * len(rows))

    def _columns(self, width: int) -> list[tuple[int, int]]:
        cached = self._col_cache.get(width)
        if cached is None:
            cached = self._col_cache[width] = self._compute_columns(width)
        return cached

    def _compute_columns(self, width: int) -> list[tuple[int, int]]:
        """Column (x, width): each gets what its longest text needs when the table is wide
        enough; otherwise the narrow columns keep their width and the wide ones share the rest."""
        n = len(self.headers)
        if n == 0:
            return []
        gap = 14
        cell_fm, head_fm = QFontMetrics(self.cell_font), QFontMetrics(self.head_font)
        natural = []
        for c, (text, _numeric) in enumerate(self.headers):
            w = head_fm.horizontalAdvance(text.upper())
            for row in self.rows:
                if c < len(row):
                    w = max(w, cell_fm.horizontalAdvance(row[c].text))
            natural.append(w + 4)
        widths = water_fill(natural, max(n * 30, width - gap * (n - 1)))
        out, x = [], 0
        for w in widths:
            out.append((x, w))
            x += w + gap
        return out

    def _relayout(self, width: int) -> None:
        super()._relayout(width)
        cols = self._columns(width)
        fm = QFontMetrics(self.cell_font)
        for r, row in enumerate(self.rows):
            top = self.HEAD + r * self.ROW
            for (x, cw), cell in zip(cols, row, strict=False):
                rect = QRect(x, top, cw, self.ROW)
                if cell.href:
                    w = min(cw, fm.horizontalAdvance(cell.text) + 2)
                    lx = x + cw - w if cell.right else x
                    self._links.append((QRect(lx, top + 6, w, self.ROW - 12), cell.href))
                if cell.text and fm.horizontalAdvance(cell.text) > cw:
                    self._tips.append((rect, cell.text))

    def sizeHint(self) -> QSize:
        return QSize(600, self.HEAD + self.ROW * len(self.rows))

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        cols = self._columns(self.width())
        for (x, cw), (text, numeric) in zip(cols, self.headers, strict=False):
            self._text(
                p,
                QRect(x, 0, cw, self.HEAD),
                Cell(text.upper(), right=numeric),
                self.head_font,
                theme.TEXT_WEAK,
            )
        p.setPen(QColor(theme.LINE))
        for r, row in enumerate(self.rows):
            top = self.HEAD + r * self.ROW
            p.setPen(QColor(theme.LINE))
            p.drawLine(0, top, self.width(), top)
            for (x, cw), cell in zip(cols, row, strict=False):
                self._text(p, QRect(x, top, cw, self.ROW), cell, self.cell_font, theme.TEXT)
        p.end()


def water_fill(natural: list[int], avail: int, weights: list[int] | None = None) -> list[int]:
    """Widths for columns that would like ``natural`` widths within ``avail`` pixels.

    Columns that fit in their share keep their natural width; the others split what is left by
    ``weights`` (the first column, the record's name, counts double by default). With room to
    spare, every column grows in proportion.
    """
    total = sum(natural)
    if total <= avail:
        extra = avail - total
        return [w + extra * w // max(1, total) for w in natural]
    weights = weights or [2] + [1] * (len(natural) - 1)
    widths = [0] * len(natural)
    left = list(range(len(natural)))
    remaining = avail
    while left:
        wsum = sum(weights[i] for i in left)
        small = [i for i in left if natural[i] <= remaining * weights[i] // wsum]
        if not small:
            for i in left:
                widths[i] = remaining * weights[i] // wsum
            break
        for i in small:
            widths[i] = natural[i]
            remaining -= natural[i]
        left = [i for i in left if i not in small]
    return widths


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One row of the activity timeline, or a group heading (``icon`` None)."""

    title: Cell
    caption: str = ""
    when: str = ""
    icon: QPixmap | None = None


class Timeline(LinkCanvas):
    """The activity timeline: group headings and items with a round icon and a date."""

    ITEM = 48
    HEADING = 32

    def __init__(self, items: list[TimelineItem]) -> None:
        super().__init__()
        self.items = items
        base = self.font()
        self.heading_font = _font(base, 13, bold=True)
        self.title_font = _font(base, 13)
        self.caption_font = _font(base, 12)
        self.setFixedHeight(sum(self.ITEM if i.icon else self.HEADING for i in items))

    def _relayout(self, width: int) -> None:
        super()._relayout(width)
        fm = QFontMetrics(self.title_font)
        date_w = 130
        top = 0
        for item in self.items:
            if item.icon is None:
                top += self.HEADING
                continue
            x = 38
            w = max(40, width - x - date_w - 8)
            if item.title.href:
                tw = min(w, fm.horizontalAdvance(item.title.text) + 2)
                self._links.append((QRect(x, top + 4, tw, 20), item.title.href))
            self._tips.append((QRect(x, top + 24, w, 18), item.caption))
            top += self.ITEM

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        width = self.width()
        date_w = 130
        top = 0
        for i, item in enumerate(self.items):
            if item.icon is None:
                self._text(
                    p,
                    QRect(0, top + 6, width, self.HEADING - 6),
                    item.title,
                    self.heading_font,
                    theme.TEXT,
                )
                top += self.HEADING
                continue
            nxt = self.items[i + 1] if i + 1 < len(self.items) else None
            if nxt is not None and nxt.icon is not None:
                p.setPen(QColor(theme.LINE))
                p.drawLine(13, top + 30, 13, top + self.ITEM + 2)
            p.drawPixmap(0, top + 4, item.icon)
            x = 38
            w = max(40, width - x - date_w - 8)
            self._text(p, QRect(x, top + 4, w, 20), item.title, self.title_font, theme.TEXT)
            self._text(
                p, QRect(x, top + 24, w, 18), Cell(item.caption), self.caption_font, theme.TEXT_WEAK
            )
            self._text(
                p, QRect(width - date_w, top + 4, date_w, 20), Cell(item.when, right=True),
                self.caption_font, theme.TEXT_WEAK,
            )  # fmt: skip
            top += self.ITEM
        p.end()
