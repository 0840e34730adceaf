"""Small building blocks shared by the screens: cards, labels, links, badges and the brand mark."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from demoorg.ui import icons, theme


class Card(QFrame):
    """A white card with rounded corners; ``body`` is its vertical layout."""

    def __init__(
        self, title: str | None = None, parent: QWidget | None = None, margins: int = 18
    ) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(margins, margins - 2, margins, margins)
        self.body.setSpacing(10)
        self.title_label: QLabel | None = None
        if title is not None:
            self.title_label = label(title, "cardTitle")
            self.body.addWidget(self.title_label)


def label(text: str = "", name: str | None = None, wrap: bool = False) -> QLabel:
    """A QLabel with a theme role (object name)."""
    w = QLabel(text)
    if name:
        w.setObjectName(name)
    w.setWordWrap(wrap)
    w.setTextFormat(Qt.TextFormat.PlainText)
    return w


def icon_label(name: str, size: int = 32, round_: bool = False) -> QLabel:
    w = QLabel()
    w.setPixmap(icons.object_icon(name, size, round_))
    w.setFixedSize(size, size)
    return w


def clear_layout(layout: Any) -> None:
    """Removes and deletes everything in a layout at once (hidden now, freed later)."""
    while layout.count():
        item = layout.takeAt(0)
        w = item.widget()
        if w is not None:
            w.hide()
            w.setParent(None)
            w.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())


def rule() -> QFrame:
    line = QFrame()
    line.setObjectName("sectionRule")
    line.setFrameShape(QFrame.Shape.NoFrame)
    return line


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_html(text: str, href: str, color: str = theme.LINK) -> str:
    return (
        f'<a href="{escape(href)}" style="color:{color}; text-decoration:none;">{escape(text)}</a>'
    )


class LinkLabel(QLabel):
    """A label whose text is a link; ``activated`` gives the href (e.g. ``record:Account/001…``)."""

    activated = Signal(str)

    def __init__(self, text: str = "", href: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.setOpenExternalLinks(False)
        self.linkActivated.connect(self.activated)
        self.href = href
        if text:
            self.set_link(text, href)

    def set_link(self, text: str, href: str) -> None:
        self.href = href
        self.setText(link_html(text, href))
        self.setToolTip(text)


class Badge(QLabel):
    """A small rounded pill: a feature's stage, a status."""

    def __init__(self, text: str, fg: str, bg: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setStyleSheet(
            f"color: {fg}; background: {bg}; border-radius: 9px; padding: 2px 9px; "
            "font-size: 11px; font-weight: 700;"
        )
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)


def stage_badge(stage: str) -> Badge:
    fg, bg = theme.STAGE_COLORS.get(stage, theme.STAGE_COLORS["Not available"])
    return Badge(stage, fg, bg)


class ElidedLabel(QLabel):
    """A one-line label that elides its text to the width it gets (full text in the tooltip)."""

    def __init__(self, text: str = "", name: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(20)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        fm = QFontMetrics(self.font())
        width = max(20, self.contentsRect().width())
        self.setText(fm.elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class ClickableFrame(QFrame):
    """A frame that reports clicks (cards you can pick, rows of recent orgs)."""

    clicked = Signal()

    def __init__(self, name: str = "pickCard", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()

    def set_selected(self, selected: bool) -> None:
        self.setProperty("selected", "true" if selected else "false")
        self.style().unpolish(self)
        self.style().polish(self)


# --- the prospect's brand --------------------------------------------------------------------------


def load_logo(spec: Any, size: int) -> QPixmap | None:
    """The prospect's logo as a pixmap ``size`` pixels high (PNG, JPEG or SVG).

    ``spec`` is a file path, or ``{"mime": …, "data": base64}`` when the org carries the image.
    """
    if not spec:
        return None
    data: bytes | None = None
    svg = False
    if isinstance(spec, dict):
        try:
            data = base64.b64decode(spec.get("data") or "")
        except ValueError:
            return None
        svg = "svg" in str(spec.get("mime", ""))
    else:
        path = Path(str(spec))
        if not path.is_file():
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        svg = path.suffix.lower() == ".svg"
    if not data:
        return None
    ratio = icons._ratio()
    if svg or data.lstrip()[:5] in (b"<?xml", b"<svg ") or data.lstrip().startswith(b"<svg"):
        from PySide6.QtSvg import QSvgRenderer

        renderer = QSvgRenderer(QByteArray(data))
        if not renderer.isValid():
            return None
        s = renderer.defaultSize()
        w = max(1, round(size * s.width() / max(1, s.height())))
        pm = QPixmap(int(w * ratio), int(size * ratio))
        pm.setDevicePixelRatio(ratio)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        renderer.render(p, QRectF(0, 0, w, size))
        p.end()
        return pm
    img = QImage.fromData(data)
    if img.isNull():
        return None
    pm = QPixmap.fromImage(
        img.scaledToHeight(int(size * ratio), Qt.TransformationMode.SmoothTransformation)
    )
    pm.setDevicePixelRatio(ratio)
    return pm


class BrandMark(QWidget):
    """The prospect's logo (or initials on its colour) and name, as the org's header shows them."""

    def __init__(self, parent: QWidget | None = None, size: int = 34) -> None:
        super().__init__(parent)
        self._size = size
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(10)
        self.logo = QLabel()
        self.logo.setFixedHeight(size)
        self.name = label("", "brandName")
        lay.addWidget(self.logo)
        lay.addWidget(self.name)

    def set_brand(self, name: str, color: str, logo: Any = None) -> None:
        pm = load_logo(logo, self._size)
        if pm is None:
            pm = icons.initials_badge(name, color, self._size)
        self.logo.setPixmap(pm)
        self.logo.setFixedWidth(int(pm.width() / pm.devicePixelRatio()))
        self.name.setText(name)


class ColorSwatch(QLabel):
    """A small square of a colour."""

    def __init__(self, color: str = theme.ACCENT, size: int = 22) -> None:
        super().__init__()
        self.setFixedSize(QSize(size, size))
        self.set_color(color)

    def set_color(self, color: str) -> None:
        c = QColor(color)
        self.setStyleSheet(
            f"background: {c.name()}; border-radius: 5px; border: 1px solid {theme.LINE_STRONG};"
        )
