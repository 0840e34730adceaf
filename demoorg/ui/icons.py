"""Object and activity icons, painted: a rounded square in the object's colour with a white glyph.

Painted at the device pixel ratio of the screen, so they stay sharp on high-DPI displays, and
needing no image files (the app runs offline and every object of every industry gets one).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPainterPath, QPixmap

# Colours and glyphs in the spirit of Lightning's standard icons.
_KNOWN: dict[str, tuple[str, str]] = {
    "Account": ("#5867E8", "▦"),
    "Contact": ("#A094ED", "☺"),
    "Lead": ("#F88962", "★"),
    "Opportunity": ("#FF5D2D", "♛"),
    "Case": ("#F2CF5B", "✉"),
    "Campaign": ("#F49756", "⚑"),
    "CampaignMember": ("#F49756", "⚑"),
    "Task": ("#3BA755", "✓"),
    "Event": ("#CB65FF", "◷"),
    "User": ("#65CAE4", "☻"),
    "Product2": ("#B781D3", "◆"),
    "Pricebook2": ("#B781D3", "☰"),
    "PricebookEntry": ("#B781D3", "☰"),
    "OpportunityLineItem": ("#B781D3", "◆"),
    "Contract": ("#6EC06E", "✎"),
    "Order": ("#769ED9", "▤"),
    "HealthCondition": ("#E3066A", "✚"),
    "ClinicalEncounter": ("#0B827C", "⚕"),
    "CareObservation": ("#06A59A", "♥"),
    "MedicationStatement": ("#D4504C", "✚"),
    "CarePlan": ("#3BA755", "☑"),
    "MemberPlan": ("#0D9DDA", "❖"),
    "ServiceAppointment": ("#7E8BE4", "◷"),
    "CareRequest": ("#DD7A01", "⚖"),
    "RecordType": ("#8A8A8A", "▣"),
    "dashboard": ("#EF6E64", "◔"),
    "call": ("#3BA755", "☎"),
    "email": ("#939393", "✉"),
    "task": ("#3BA755", "✓"),
    "meeting": ("#CB65FF", "◷"),
    "search": ("#5867E8", "⌕"),
    "org": ("#0176D3", "☁"),
}

_PALETTE = (
    "#5867E8",
    "#06A59A",
    "#FF5D2D",
    "#9050E9",
    "#0D9DDA",
    "#3BA755",
    "#E3066A",
    "#DD7A01",
    "#7E8BE4",
    "#D4504C",
)


def icon_style(name: str) -> tuple[str, str]:
    """(colour, glyph) for an object or activity kind; unknown objects get a stable colour."""
    if name in _KNOWN:
        return _KNOWN[name]
    digest = hashlib.sha1(name.encode()).digest()
    letter = next((c for c in name if c.isalpha()), "?").upper()
    return _PALETTE[digest[0] % len(_PALETTE)], letter


def _ratio() -> float:
    app = QGuiApplication.instance()
    screen = QGuiApplication.primaryScreen() if app else None
    return float(screen.devicePixelRatio()) if screen else 1.0


@lru_cache(maxsize=512)
def _icon(name: str, size: int, ratio: float, round_: bool, color: str | None) -> QPixmap:
    bg, glyph = icon_style(name)
    if color:
        bg = color
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    path = QPainterPath()
    rect = QRectF(0, 0, size, size)
    if round_:
        path.addEllipse(rect)
    else:
        path.addRoundedRect(rect, size * 0.22, size * 0.22)
    p.fillPath(path, QColor(bg))
    font = QFont()
    font.setPixelSize(max(6, int(size * (0.56 if len(glyph) == 1 else 0.4))))
    font.setBold(glyph.isalpha())
    p.setFont(font)
    p.setPen(QColor("#FFFFFF"))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)
    p.end()
    return pm


def object_icon(
    name: str, size: int = 32, round_: bool = False, color: str | None = None
) -> QPixmap:
    """The icon of an object (``Account``), a dashboard (``dashboard``) or an activity kind."""
    return _icon(name, size, _ratio(), round_, color)


def initials_badge(text: str, color: str, size: int = 36) -> QPixmap:
    """A logo stand-in: the prospect's initials on its brand colour."""
    words = [w for w in text.replace("-", " ").split() if w[:1].isalnum()]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    ratio = _ratio()
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    rect = QRectF(0, 0, size, size)
    path.addRoundedRect(rect, size * 0.25, size * 0.25)
    c = QColor(color)
    p.fillPath(path, c)
    font = QFont()
    font.setPixelSize(int(size * (0.42 if len(initials) > 1 else 0.5)))
    font.setBold(True)
    p.setFont(font)
    luminance = 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()
    p.setPen(QColor("#181818" if luminance > 0.6 else "#FFFFFF"))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials)
    p.end()
    return pm


def launcher_icon(size: int = 22, color: str = "#5C5C5C") -> QPixmap:
    """The app launcher: a 3×3 grid of dots."""
    ratio = _ratio()
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    step = size / 3
    r = size * 0.11
    for i in range(3):
        for j in range(3):
            p.drawEllipse(QRectF(step * i + step / 2 - r, step * j + step / 2 - r, 2 * r, 2 * r))
    p.end()
    return pm
