"""The record page: highlights, a stage path, details in sections, related lists and activity."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from demoorg.org.query import Activity, OrgReader, Record, Ref, RelatedList
from demoorg.ui import icons, theme
from demoorg.ui.canvas import Cell, FieldGrid, LinkCanvas, RelatedTable, Timeline, TimelineItem
from demoorg.ui.format import Formatter
from demoorg.ui.navigation import Location
from demoorg.ui.widgets import Card, LinkLabel, icon_label, label

#: Stage values that end a path badly (shown in red) or well.
_LOST = ("Closed Lost", "Closed - Not Converted", "Canceled", "Cancelled", "No Show", "Denied")


def path_state(stages: tuple[Any, ...], value: Any) -> tuple[list[str], int, bool]:
    """The stages a path shows, the index of the current one and whether it ended badly.

    A path shows one closing stage: the record's own when it is closed, else the first of the
    closing stages (a lost stage only appears when the record is lost).
    """
    names = [str(s) for s in stages]
    lost = [n for n in names if n in _LOST]
    shown = [n for n in names if n not in lost]
    is_lost = value in lost
    if is_lost:
        won = [n for n in shown if n.startswith("Closed") or n in ("Completed", "Finished")]
        shown = [n for n in shown if n not in won[:1]] + [str(value)]
    index = shown.index(str(value)) if str(value) in shown else -1
    return shown, index, is_lost


class PathWidget(QWidget):
    """A stage path: chevrons for each stage, done ones filled, the current one dark."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stages: list[str] = []
        self.current = -1
        self.lost = False
        self.color = theme.ACCENT
        self.setFixedHeight(38)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_path(self, stages: list[str], current: int, lost: bool, color: str) -> None:
        self.stages, self.current, self.lost, self.color = stages, current, lost, color
        self.setToolTip(stages[current] if 0 <= current < len(stages) else "")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 38)

    def paintEvent(self, _event: QPaintEvent) -> None:
        if not self.stages:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = len(self.stages)
        gap, tip = 4.0, 12.0
        h = float(self.height())
        w = (self.width() - gap * (n - 1)) / n
        brand = QColor(self.color)
        done_bg = QColor(brand)
        done_bg.setAlphaF(0.18)
        font = QFont(self.font())
        font.setPixelSize(12)
        bold = QFont(font)
        bold.setBold(True)
        for i, name in enumerate(self.stages):
            x = i * (w + gap)
            path = QPainterPath()
            left_notch = i > 0
            right_tip = i < n - 1
            r = h / 2
            if left_notch:
                path.moveTo(QPointF(x, 0))
            else:
                path.moveTo(QPointF(x + r, 0))
            path.lineTo(QPointF(x + w - (tip if right_tip else r), 0))
            if right_tip:
                path.lineTo(QPointF(x + w, h / 2))
                path.lineTo(QPointF(x + w - tip, h))
            else:
                path.arcTo(QRectF(x + w - 2 * r, 0, 2 * r, h), 90, -180)
            if left_notch:
                path.lineTo(QPointF(x, h))
                path.lineTo(QPointF(x + tip, h / 2))
            else:
                path.lineTo(QPointF(x + r, h))
                path.arcTo(QRectF(x, 0, 2 * r, h), 270, -180)
            path.closeSubpath()
            if i == self.current:
                bg = QColor(theme.ERROR) if self.lost else brand.darker(135)
                fg = QColor("#FFFFFF")
                p.setFont(bold)
            elif i < self.current:
                bg, fg = done_bg, brand.darker(160)
                p.setFont(font)
            else:
                bg, fg = QColor("#ECEBEA"), QColor(theme.TEXT_WEAK)
                p.setFont(font)
            p.fillPath(path, bg)
            text = ("✓  " if i < self.current else "") + name
            fm = QFontMetrics(p.font())
            inner = QRectF(x + tip + 2, 0, w - 2 * tip - 4, h)
            p.setPen(fg)
            p.drawText(
                inner,
                Qt.AlignmentFlag.AlignCenter,
                fm.elidedText(text, Qt.TextElideMode.ElideRight, int(inner.width())),
            )
        p.end()


def _ref_href(ref: Ref) -> str:
    return Location.record(ref.object, ref.id).href()


class RecordPageWidget(QScrollArea):
    """A record page for any object, laid out from the org's metadata.

    Signals:
        link_activated(str): an href to open (a lookup, a related record, "View All").
    """

    link_activated = Signal(str)

    def __init__(self, reader: OrgReader, formatter: Formatter, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pageScroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.reader = reader
        self.fmt = formatter
        self.brand = theme.ACCENT
        self.record: Record | None = None
        self.related: list[RelatedList] = []
        self.activities: list[Activity] = []
        self.links: dict[str, LinkLabel] = {}
        self.canvases: list[LinkCanvas] = []
        self.path_widget: PathWidget | None = None
        # Where the presenter's spotlight can point (filled as the page is built).
        self.section_parts: dict[str, list[QWidget]] = {}
        self.related_cards: dict[str, QWidget] = {}
        self.field_cells: dict[str, tuple[FieldGrid, int]] = {}
        self.activity_card: QWidget | None = None
        self.details_card: QWidget | None = None

    # --- building the page -----------------------------------------------------------------------

    def show_record(self, obj: str, record_id: str) -> bool:
        """Builds the page for one record; False when the record does not exist."""
        rec = self.reader.record(obj, record_id)
        if rec is None:
            return False
        self.record = rec
        self.related = _without_empty_twins(self.reader.related(obj, record_id))
        self.activities = self.reader.activities(record_id)
        self.links = {}
        self.canvases = []
        self.section_parts, self.related_cards, self.field_cells = {}, {}, {}
        page = QWidget()
        page.setObjectName("page")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(16, 16, 16, 16)
        outer.setSpacing(12)
        outer.addWidget(self._header(rec))
        cols = QHBoxLayout()
        cols.setSpacing(12)
        left = QVBoxLayout()
        left.setSpacing(12)
        right = QVBoxLayout()
        right.setSpacing(12)
        left.addWidget(self._details(rec))
        right.addWidget(self._activity_card())
        heights = [self._details_height(rec), 70 + 52 * len(self.activities)]
        # Related lists go to whichever column is shorter, so the page stays balanced.
        for rl in self.related:
            side = 0 if heights[0] <= heights[1] else 1
            (left if side == 0 else right).addWidget(self._related_card(rl))
            heights[side] += 110 + 36 * len(rl.rows)
        left.addStretch(1)
        right.addStretch(1)
        cols.addLayout(left, 56)
        cols.addLayout(right, 44)
        outer.addLayout(cols, 1)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(page)
        self.verticalScrollBar().setValue(0)
        return True

    def _link(self, text: str, href: str) -> LinkLabel:
        w = LinkLabel(text, href)
        w.activated.connect(self.link_activated)
        self.links.setdefault(href, w)
        return w

    def _header(self, rec: Record) -> QWidget:
        info = self.reader.object(rec.object)
        layout = self.reader.layout(rec.object)
        card = Card(margins=18)
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(icon_label(rec.object, 48), 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        eyebrow = info.label
        rt = rec.values.get("RecordTypeId")
        if isinstance(rt, Ref) and len(info.record_types) > 1:
            eyebrow = f"{info.label} · {rt.name}"
        titles.addWidget(label(eyebrow, "pageEyebrow"))
        title = label(rec.name, "heroTitle")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        titles.addWidget(title)
        top.addLayout(titles, 1)
        card.body.addLayout(top)
        # An empty highlight (a carrier's on-time rate, which only shippers have) reads as a
        # gap in the data: the highlights show the fields this record has.
        cells = [(h, self._cell(rec, h)) for h in layout.highlights if h != info.name_field]
        highlights = [h for h, cell in cells if cell.text][:6]
        if highlights:
            by_path = dict(cells)
            items = [(self.reader.column(rec.object, h).label, by_path[h]) for h in highlights]
            grid = self._canvas(FieldGrid(items, columns=max(4, len(items)), big=True, rules=False))
            for i, h in enumerate(highlights):
                self.field_cells[h] = (grid, i)
            row = QHBoxLayout()
            row.setContentsMargins(62, 2, 0, 0)
            row.addWidget(grid)
            card.body.addLayout(row)
        stage_field = layout.path
        self.path_widget = None
        if stage_field and stage_field in info.fields and info.fields[stage_field].picklist:
            f = info.fields[stage_field]
            stages, current, lost = path_state(f.picklist, rec.values.get(stage_field))
            if stages:
                self.path_widget = PathWidget()
                self.path_widget.set_path(stages, current, lost, self.brand)
                card.body.addSpacing(6)
                card.body.addWidget(self.path_widget)
        return card

    def _path_value(self, rec: Record, path: str) -> Any:
        if path == "RecordType":
            return rec.values.get("RecordTypeId")
        if "." not in path:
            return rec.values.get(path)
        return self.reader.path_value(rec.object, rec.id, path)

    def _sections(self, rec: Record) -> list[Any]:
        """The layout's sections that say something about this record.

        One layout serves every record type, so a patient's page would show an empty
        "Organization" section; a section whose fields are all blank is left out, as a
        record-type layout would.
        """
        # The name and the owner are in the header already; they alone do not make a section.
        said_above = {self.reader.object(rec.object).name_field, "OwnerId", "RecordTypeId"}
        return [
            section
            for section in self.reader.layout(rec.object).sections
            if section.fields
            and any(
                self._path_value(rec, path) not in (None, "")
                for path in section.fields
                if path not in said_above
            )
        ]

    def _details_height(self, rec: Record) -> int:
        h = 60
        for section in self._sections(rec):
            cols = max(1, min(section.columns, 3))
            h += 40 + 56 * -(-len(section.fields) // cols)
        return h

    def _details(self, rec: Record) -> QWidget:
        card = Card("Details")
        self.details_card = card
        for section in self._sections(rec):
            title = label(section.label, "sectionTitle")
            card.body.addWidget(title)
            items = [
                (self.reader.column(rec.object, path).label, self._cell(rec, path))
                for path in section.fields
            ]
            grid = self._canvas(FieldGrid(items, columns=min(section.columns, 3)))
            card.body.addWidget(grid)
            self.section_parts[section.label] = [title, grid]
            for i, path in enumerate(section.fields):
                self.field_cells.setdefault(path, (grid, i))
        return card

    def _cell(self, rec: Record, path: str) -> Cell:
        """A field's value on this record as a cell: text, and a link for lookups."""
        col = self.reader.column(rec.object, path)
        value = self._path_value(rec, path)
        if isinstance(value, Ref):
            linked = value.object not in ("", "RecordType")
            return Cell(value.name, _ref_href(value) if linked else None)
        text = self.fmt.value(value, col.type, col.field.decimals)
        if col.type == "email" and text:
            return Cell(text, f"mailto:{text}")
        return Cell(text, wrap=col.type == "textarea")

    def _canvas(self, canvas: LinkCanvas) -> LinkCanvas:
        canvas.link_activated.connect(self._on_canvas_link)
        self.canvases.append(canvas)
        return canvas

    def _on_canvas_link(self, href: str) -> None:
        if href.startswith("mailto:"):
            return  # shown as a link, but a demo never sends mail
        self.link_activated.emit(href)

    def _related_card(self, rl: RelatedList) -> QWidget:
        card = Card(margins=16)
        self.related_cards.setdefault(rl.object, card)
        head = QHBoxLayout()
        head.setSpacing(10)
        head.addWidget(icon_label(rl.object, 26))
        head.addWidget(label(f"{rl.label} ({self.fmt.number(rl.total)})", "cardTitle"))
        head.addStretch(1)
        card.body.addLayout(head)
        if rl.rows:
            rows = []
            for rid, values in zip(rl.ids, rl.rows, strict=True):
                cells = []
                for c, (col, value) in enumerate(zip(rl.columns, values, strict=True)):
                    if isinstance(value, Ref):
                        href = _ref_href(value) if col.link else None
                        cells.append(Cell(value.name, href))
                        continue
                    text = self.fmt.value(value, col.type, col.field.decimals)
                    if c == 0:
                        cells.append(Cell(text or rid, Location.record(rl.object, rid).href()))
                    else:
                        cells.append(Cell(text, right=col.numeric))
                rows.append(cells)
            headers = [(col.label, col.numeric) for col in rl.columns]
            card.body.addWidget(self._canvas(RelatedTable(headers, rows)))
        else:
            card.body.addWidget(label(f"No {rl.label.lower()} yet.", "muted"))
        if rl.rows and self.record is not None:
            href = Location("list", rl.object, where=((rl.via, "eq", self.record.id),)).href()
            footer = self._link("View All", href)
            footer.setAlignment(Qt.AlignmentFlag.AlignCenter)
            card.body.addWidget(footer)
        return card

    def _activity_card(self) -> QWidget:
        card = Card("Activity")
        self.activity_card = card
        if not self.activities:
            card.body.addWidget(label("No activities yet.", "muted"))
            return card
        items: list[TimelineItem] = []
        soon = [a for a in self.activities if a.upcoming]
        past = [a for a in self.activities if not a.upcoming]
        if soon:
            items.append(TimelineItem(Cell("Upcoming")))
            items += [self._timeline_item(a) for a in soon]
        for month, group in groupby(
            past, key=lambda a: self.fmt.month_year(a.day) if a.day else ""
        ):
            items.append(TimelineItem(Cell(month or "Earlier")))
            items += [self._timeline_item(a) for a in group]
        card.body.addWidget(self._canvas(Timeline(items)))
        return card

    def _timeline_item(self, a: Activity) -> TimelineItem:
        verb = {"call": "Call", "email": "Email", "task": "Task", "meeting": "Meeting"}[a.kind]
        bits = [verb]
        if a.detail:
            bits.append(a.detail)
        me = self.record.id if self.record else None
        if a.who and a.who.id != me:
            bits.append(f"with {a.who.name}")
        elif a.what and a.what.id != me:
            bits.append(f"about {a.what.name}")
        if a.status and a.kind != "meeting" and a.status != "Completed":
            bits.append(a.status)
        when = self.fmt.date(a.day) if a.kind != "meeting" else self.fmt.datetime(a.when)
        return TimelineItem(
            Cell(a.subject, Location.record(a.object, a.id).href()),
            " · ".join(bits),
            when,
            icons.object_icon(a.kind, 26, round_=True),
        )

    # --- for tests and the presenter ------------------------------------------------------------

    def link_for(self, href: str) -> tuple[QWidget, QRect] | None:
        """The widget showing a link, and where: ``qtbot.mouseClick`` there to follow it."""
        label_link = self.links.get(href)
        if label_link is not None:
            fm = label_link.fontMetrics()
            w = fm.horizontalAdvance(label_link.toolTip() or "View All")
            r = label_link.rect()
            return label_link, QRect(r.center().x() - w // 2, 0, w, r.height())
        for canvas in self.canvases:
            rect = canvas.link_rect(href)
            if rect is not None:
                return canvas, rect
        return None

    def spotlight_parts(self, kind: str, target: str | None) -> list[tuple[QWidget, QRect]]:
        """What a presenter's spotlight (``field``, ``section``, ``related``, ``path``,
        ``timeline``) points at on this page: widgets and rectangles in their coordinates."""
        if kind == "path":
            w: QWidget | None = self.path_widget
        elif kind == "timeline":
            w = self.activity_card
        elif kind == "related":
            w = self.related_cards.get(target or "")
        elif kind == "section":
            parts = self.section_parts.get(target or "", [])
            return [(p, p.rect()) for p in parts]
        elif kind == "field":
            cell = self.field_cells.get(target or "")
            if cell is None:
                return []
            grid, i = cell
            grid._ensure_layout()
            row, col = divmod(i, grid.columns)
            if row >= len(grid._rows):
                return []
            top, height = grid._rows[row]
            colw = grid._col_width(grid.width())
            return [(grid, QRect(col * (colw + grid.gap), top, colw, height))]
        else:
            w = None
        return [(w, w.rect())] if w is not None else []

    def lookup_links(self) -> list[str]:
        """Hrefs of every record link on the page."""
        return [h for c in self.canvases for h in c.hrefs() if h.startswith("record:")]


def _without_empty_twins(lists: list[RelatedList]) -> list[RelatedList]:
    """Leaves out an empty related list when another list of the same object has records: a
    household's financial accounts come through Household, not through Primary Owner."""
    filled = {rl.object for rl in lists if rl.total}
    return [rl for rl in lists if rl.total or rl.object not in filled]
