"""The audience window: the org as the customer sees it, driven by the story, with a spotlight.

It reuses the org browser's pages (list view, record page, dashboard) over the working copy, under
the prospect's header and app tabs, and lays a spotlight over them: the page dims, and a rounded
rectangle around what the presenter talks about (a field, a section, a related list, a tile, the
stage path, the activity timeline) stays bright. Black and white screens cover everything.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QLayout, QStackedWidget, QVBoxLayout, QWidget

from demoorg.org.query import OrgReader
from demoorg.present import SceneView, ShowTarget
from demoorg.ui import theme
from demoorg.ui.dashboard import DashboardWidget
from demoorg.ui.format import Formatter
from demoorg.ui.header import GlobalHeader, NavBar, tab_label
from demoorg.ui.list_view import ListViewWidget
from demoorg.ui.navigation import Location
from demoorg.ui.record_page import RecordPageWidget

_OPS = {"eq": "", "ne": "≠ ", "gt": "> ", "ge": "≥ ", "lt": "< ", "le": "≤ ", "in": ""}


class SpotlightOverlay(QWidget):
    """A translucent dim over the page with a bright rounded hole around the target."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.hole: QRect | None = None
        self.color = theme.ACCENT
        self.caption = ""
        self.hide()

    def set_hole(self, rect: QRect | None, color: str, caption: str = "") -> None:
        self.hole, self.color, self.caption = rect, color, caption
        self.setVisible(rect is not None)
        self.raise_()
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        if self.hole is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        hole = QRectF(self.hole).adjusted(-8, -6, 8, 6)
        outside = QPainterPath()
        outside.addRect(QRectF(self.rect()))
        inside = QPainterPath()
        inside.addRoundedRect(hole, 12, 12)
        p.fillPath(outside.subtracted(inside), QColor(16, 24, 40, 150))
        glow = QColor(self.color)
        for width, alpha in ((12, 40), (7, 70)):
            glow.setAlpha(alpha)
            p.setPen(QPen(glow, width))
            p.drawRoundedRect(hole, 12, 12)
        p.setPen(QPen(QColor(self.color), 3))
        p.drawRoundedRect(hole, 12, 12)
        p.end()


class _Blank(QWidget):
    """A black (or white) screen over everything."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.color = QColor("#000000")

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.color)
        p.end()


class AudienceWindow(QWidget):
    """The org on the projector, showing what the story's current scene shows.

    Signals:
        key_pressed(QKeyEvent): a key no shortcut took (digits for "go to scene").
    """

    key_pressed = Signal(object)

    def __init__(self, reader: OrgReader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.setWindowTitle("demoorg — audience")
        self.setMinimumSize(800, 500)
        self.reader = reader
        meta = reader.org.meta
        prospect = meta.get("prospect", {})
        self.brand = prospect.get("color") or theme.ACCENT
        self.fmt = Formatter(reader.locale)
        self.target: ShowTarget | None = None
        self.view: SceneView | None = None
        self.blank_mode: str | None = None
        self.spotlight_rect: QRect | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        # A window's layout never changes its size hints while shown (offscreen warns).
        lay.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        lay.setSpacing(0)
        self.header = GlobalHeader(interactive=False)
        self.header.set_brand(prospect.get("name", "Acme"), self.brand, prospect.get("logo"))
        b = meta.get("build", {})
        self.header.chip.setText(f"{b.get('release', '')} · API {b.get('api_version', '')}")
        self.header.search.setPlaceholderText("Search…")
        self.nav = NavBar(interactive=False)
        self.nav.setMinimumWidth(300)
        lay.addWidget(self.header)
        lay.addWidget(self.nav)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        self.list_view = ListViewWidget(reader, self.fmt)
        self.record_page = RecordPageWidget(reader, self.fmt)
        self.record_page.brand = self.brand
        self.dashboard = DashboardWidget(reader, self.fmt)
        self.dashboard.brand = self.brand
        for w in (self.list_view, self.record_page, self.dashboard):
            self.stack.addWidget(w)
        self.dashboard.loaded.connect(lambda _k: self._later())
        self.record_page.verticalScrollBar().valueChanged.connect(lambda _v: self._place())
        self.dashboard.verticalScrollBar().valueChanged.connect(lambda _v: self._place())
        self.list_view.table.horizontalScrollBar().valueChanged.connect(lambda _v: self._place())
        self.overlay = SpotlightOverlay(self.stack)
        self.blank = _Blank(self)
        self.blank.hide()
        self._apps = list(reader.org.template.get("apps") or [])
        self._set_tabs(None)
        # The window keeps the keyboard focus itself: a clicker's keys (B, Space, digits) must
        # reach the presenter's shortcuts, never a search field of the projected page that was
        # clicked or that the focus chain reached.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and new is not self and self.isAncestorOf(new):
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- the header's tabs ---------------------------------------------------------------------------

    def _set_tabs(self, tab: str | None) -> None:
        dashes = {d["key"]: d["label"] for d in self.reader.dashboards()}
        app = next(
            (a for a in self._apps if tab in a["tabs"]), self._apps[0] if self._apps else None
        )
        if app is None:
            return
        tabs = [
            (t, tab_label(t, self.reader.objects, dashes))
            for t in app["tabs"]
            if (t.startswith("dashboard:") and t.split(":", 1)[1] in dashes)
            or self.reader.has_object(t)
        ]
        self.nav.set_tabs(app["label"], tabs)
        self.nav.set_apps([(a["key"], a["label"]) for a in self._apps], app["key"])
        self.nav.set_current(tab)

    # --- showing a scene ---------------------------------------------------------------------------

    def show_view(self, view: SceneView, refresh: bool = False) -> None:
        """Shows the scene's target (again when ``refresh``) and places its spotlight."""
        same = self.target is not None and self.target == view.show
        self.view = view
        if not same or refresh:
            self._show_target(view.show)
        self._later()

    def _show_target(self, show: ShowTarget) -> None:
        self.target = show
        if show.kind == "dashboard" and show.dashboard:
            self.dashboard.show_dashboard(show.dashboard)
            self.stack.setCurrentWidget(self.dashboard)
            self._set_tabs(f"dashboard:{show.dashboard}")
        elif show.kind == "record" and show.object and show.record_id:
            self.record_page.show_record(show.object, show.record_id)
            self.stack.setCurrentWidget(self.record_page)
            self._set_tabs(show.object)
        elif show.kind == "list" and show.object:
            self.list_view.show_list(Location("list", show.object, where=show.where))
            self._add_spotlight_column(show.object)
            self._describe_filter(show)
            self.stack.setCurrentWidget(self.list_view)
            self._set_tabs(show.object)

    def _add_spotlight_column(self, obj: str) -> None:
        """A list spotlight on a field the list does not show adds it as the second column."""
        spot = self.view.spotlight if self.view is not None else None
        model = self.list_view.model
        if spot is None or spot.kind != "field" or not spot.target or model.spec is None:
            return
        paths = [c.path for c in model.columns]
        if spot.target in paths:
            return
        try:
            self.reader.column(obj, spot.target)
        except (KeyError, ValueError):
            return
        columns = (paths[0], spot.target, *paths[1:])
        model.set_spec(replace(model.spec, columns=columns))
        self.list_view._size_columns()

    def _describe_filter(self, show: ShowTarget) -> None:
        if not show.where or show.object is None:
            return
        info = self.reader.object(show.object)
        ids = [str(v) for _f, _op, v in show.where if isinstance(v, str)]
        names = {i: r.name for i, r in self.reader.resolve(ids).items()}
        parts = []
        for fld, op, value in show.where:
            try:
                flabel = self.reader.column(show.object, fld).label
            except (KeyError, ValueError):
                flabel = fld
            if isinstance(value, list | tuple):
                text = ", ".join(str(v) for v in value)
            elif isinstance(value, bool):
                text = "Yes" if value else "No"
            else:
                text = names.get(str(value), str(value))
            parts.append(f"{flabel}: {_OPS.get(op, op + ' ')}{text}")
        self.list_view.title.setText(info.plural)
        self.list_view.chip.setText("   ·   ".join(parts))
        self.list_view.chip.show()

    def refresh(self, changes: Any) -> None:
        """Re-reads the page when ``changes`` (a ``Changes``) touch what is shown."""
        t = self.target
        if t is None:
            return
        # A live action may touch a child of the shown record (a Task on its timeline, a line in a
        # related list) or rows a list or dashboard counts: any change re-reads the page.
        if changes:
            self._show_target(t)
            self._later()

    def shown(self) -> tuple[str, str | None]:
        """What is on screen: ``("record", Id)``, ``("list", object)`` or ``("dashboard", key)``."""
        page = self.stack.currentWidget()
        if page is self.record_page and self.record_page.record is not None:
            return ("record", self.record_page.record.id)
        if page is self.list_view and self.list_view.location is not None:
            return ("list", self.list_view.location.object)
        if page is self.dashboard:
            return ("dashboard", self.dashboard.key)
        return ("", None)

    # --- the spotlight -----------------------------------------------------------------------------

    def _later(self) -> None:
        self._place()
        QTimer.singleShot(0, self._place)
        QTimer.singleShot(60, self._reveal)

    def _parts(self) -> list[tuple[QWidget, QRect]]:
        try:
            return self._target_parts()
        except RuntimeError:  # the page was rebuilt meanwhile (tiles filled in): placed again later
            return []

    def _target_parts(self) -> list[tuple[QWidget, QRect]]:
        view = self.view
        if view is None or view.spotlight is None:
            return []
        kind, target = view.spotlight.kind, view.spotlight.target
        page = self.stack.currentWidget()
        if page is self.dashboard and kind == "tile":
            w = self.dashboard.frames.get(target or "")
            return [(w, w.rect())] if w is not None else []
        if page is self.record_page:
            return self.record_page.spotlight_parts(kind, target)
        if page is self.list_view and kind == "field":
            table = self.list_view.table
            cols = [c.path for c in self.list_view.model.columns]
            if target not in cols:
                return [(table, table.rect())]
            col = cols.index(target)
            header = table.horizontalHeader()
            x = header.sectionViewportPosition(col) + table.viewport().x()
            rows = self.list_view.model.rowCount()
            height = header.height() + min(table.viewport().height(), rows * 38) + 2
            return [(table, QRect(x, 0, header.sectionSize(col), height))]
        return []

    def _reveal(self) -> None:
        """Scrolls the spotlight's target into view."""
        parts = self._parts()
        page = self.stack.currentWidget()
        if parts and page in (self.record_page, self.dashboard):
            widget, rect = parts[0]
            scroll = page
            content = scroll.widget()  # type: ignore[attr-defined]
            # After the page is rebuilt (tiles filled in) the old target is gone: placed again.
            if content is not None and content.isAncestorOf(widget):
                top = widget.mapTo(content, rect.topLeft())
                bottom = widget.mapTo(content, parts[-1][1].bottomLeft())
                view_h = scroll.viewport().height()  # type: ignore[attr-defined]
                bar = scroll.verticalScrollBar()  # type: ignore[attr-defined]
                if top.y() < bar.value() or bottom.y() > bar.value() + view_h:
                    wanted = top.y() - 60
                    if bottom.y() - top.y() < view_h - 120:
                        wanted = max(wanted, bottom.y() - view_h + 80)
                        wanted = min(wanted, top.y() - 60)
                    bar.setValue(max(0, wanted))
        if page is self.list_view and parts:
            model = self.list_view.model
            cols = [c.path for c in model.columns]
            target = self.view.spotlight.target if self.view and self.view.spotlight else None
            if target in cols and model.rowCount():
                self.list_view.table.scrollTo(model.index(0, cols.index(target)))
        self._place()

    def _place(self) -> None:
        self.overlay.setGeometry(self.stack.rect())
        rect: QRect | None = None
        for widget, r in self._parts():
            if not widget.isVisible() or not self.stack.isAncestorOf(widget):
                continue
            top_left = widget.mapTo(self.stack, r.topLeft())
            mapped = QRect(top_left, r.size())
            rect = mapped if rect is None else rect.united(mapped)
        if rect is not None:
            rect = rect.intersected(self.stack.rect().adjusted(10, 10, -10, -10))
            if rect.isEmpty():
                rect = None
        self.spotlight_rect = rect
        self.overlay.set_hole(rect, self.brand)

    # --- black and white screens -------------------------------------------------------------------

    def set_blank(self, mode: str | None) -> None:
        """Covers the window in ``black`` or ``white`` (None: shows the org again)."""
        self.blank_mode = mode
        if mode is None:
            self.blank.hide()
            return
        self.blank.color = QColor("#000000" if mode == "black" else "#FFFFFF")
        self.blank.setGeometry(self.rect())
        self.blank.show()
        self.blank.raise_()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.blank.setGeometry(self.rect())
        self._place()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.key_pressed.emit(event)
        if not event.isAccepted():
            super().keyPressEvent(event)

    def place_on(self, screen: Any, full_screen: bool) -> None:
        """Moves the window to ``screen`` (a QScreen), full screen or windowed."""
        geo = screen.geometry()
        self.move(geo.topLeft() + QPoint(40, 40))
        if full_screen:
            self.setGeometry(geo)
            self.showFullScreen()
        else:
            self.resize(min(1440, geo.width() - 80), min(900, geo.height() - 80))
            self.show()
