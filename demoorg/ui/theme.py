"""The light theme: colours, type scale and one stylesheet, in the spirit of Lightning.

White cards on a soft grey page, one brand colour (the prospect's) for the accents that matter
(the active tab, primary buttons, links of the header), generous spacing and a calm type scale.
Widgets opt in through object names (``card``, ``pageTitle``, ``fieldLabel`` …) rather than by
setting colours themselves, so the look lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

#: Page and card colours, text colours, lines.
PAGE = "#F3F3F3"
CARD = "#FFFFFF"
TEXT = "#181818"
TEXT_WEAK = "#5C5C5C"
TEXT_FAINT = "#747474"
LINE = "#E5E5E5"
LINE_STRONG = "#C9C9C9"
LINK = "#0B5CAB"
ACCENT = "#0176D3"
SUCCESS = "#2E844A"
WARNING = "#DD7A01"
ERROR = "#BA0517"
HOVER = "#F3F8FE"
SELECTED = "#E8F1FC"

#: Stages of a feature on a release, with their badge colours (text, background).
STAGE_COLORS = {
    "GA": ("#FFFFFF", "#2E844A"),
    "Beta": ("#FFFFFF", "#0176D3"),
    "Pilot": ("#FFFFFF", "#9050E9"),
    "Not available": ("#444444", "#E5E5E5"),
}

#: Series colours for charts with several groups, after the brand colour.
CHART_COLORS = (
    "#1B96FF",
    "#FF5D2D",
    "#FFB75D",
    "#2E844A",
    "#06A59A",
    "#E287B2",
    "#9050E9",
    "#3A49DA",
    "#C23934",
    "#A0ADBE",
    "#8A8A8A",
    "#4BCA81",
)

FONT_FAMILIES = ("Inter", "Segoe UI", "SF Pro Text", "Helvetica Neue", "Noto Sans", "DejaVu Sans")
BASE_PX = 13


@dataclass(frozen=True, slots=True)
class Brand:
    """The prospect's colour and the shades derived from it."""

    color: str = ACCENT

    @property
    def dark(self) -> str:
        return QColor(self.color).darker(125).name()

    @property
    def light(self) -> str:
        c = QColor(self.color)
        return QColor.fromHsvF(c.hsvHueF() if c.hsvHueF() >= 0 else 0, 0.10, 1.0).name()

    @property
    def on_color(self) -> str:
        """Black or white, whichever reads better on the brand colour."""
        c = QColor(self.color)
        luminance = 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()
        return "#181818" if luminance > 0.6 else "#FFFFFF"


def chart_colors(brand: str) -> list[str]:
    """The brand colour first, then the chart palette without colours too close to it."""
    b = QColor(brand)
    out = [brand]
    for c in CHART_COLORS:
        q = QColor(c)
        if abs(q.hueF() - b.hueF()) < 0.04 and abs(q.valueF() - b.valueF()) < 0.3:
            continue
        out.append(c)
    return out


def app_font() -> QFont:
    """The UI font: the first family of a modern sans stack that is installed."""
    from PySide6.QtGui import QFontDatabase

    families = set(QFontDatabase.families())
    font = QFont()
    for fam in FONT_FAMILIES:
        if fam in families:
            font.setFamily(fam)
            break
    font.setPixelSize(BASE_PX)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def stylesheet(brand: Brand) -> str:
    """The application stylesheet for a brand colour."""
    b, bd, bl, on = brand.color, brand.dark, brand.light, brand.on_color
    return f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog, #page, QScrollArea#pageScroll > QWidget > QWidget {{ background: {PAGE}; }}
QScrollArea {{ border: none; background: transparent; }}
QToolTip {{ color: {TEXT}; background: {CARD}; border: 1px solid {LINE_STRONG}; padding: 4px 6px; }}

#card {{ background: {CARD}; border: 1px solid {LINE}; border-radius: 10px; }}
#cardTitle {{ font-size: 15px; font-weight: 700; }}
#cardSubtitle, #caption {{ color: {TEXT_WEAK}; font-size: 12px; }}
#pageEyebrow {{ color: {TEXT_WEAK}; font-size: 12px; }}
#pageTitle {{ font-size: 20px; font-weight: 700; }}
#heroTitle {{ font-size: 26px; font-weight: 700; }}
#sectionTitle {{ font-size: 14px; font-weight: 700; padding: 6px 0 2px 0; }}
#sectionRule {{ background: {LINE}; max-height: 1px; min-height: 1px; border: none; }}
#fieldLabel {{ color: {TEXT_WEAK}; font-size: 12px; }}
#fieldValue {{ font-size: 13px; }}
#highlightLabel {{ color: {TEXT_WEAK}; font-size: 12px; }}
#highlightValue {{ font-size: 14px; }}
#metricValue {{ font-size: 34px; font-weight: 700; color: {bd}; }}
#metricCaption {{ color: {TEXT_WEAK}; font-size: 12px; }}
#muted {{ color: {TEXT_FAINT}; }}
#errorBox {{ background: #FEF1EE; border: 1px solid #FE9E8C; border-radius: 8px; color: {ERROR};
             padding: 10px 12px; }}
#infoBox {{ background: {bl}; border: 1px solid {LINE}; border-radius: 8px; padding: 10px 12px; }}

/* the global header and the navigation bar */
#globalHeader {{ background: {CARD}; border-bottom: 1px solid {LINE}; }}
#brandName {{ font-size: 16px; font-weight: 700; }}
#navBar {{ background: {CARD}; border-bottom: 3px solid {b}; }}
#appName {{ font-size: 17px; font-weight: 600; padding-right: 14px; }}
QToolButton#navTab {{ border: none; border-bottom: 3px solid transparent; padding: 12px 14px 9px 14px;
                      font-size: 13px; color: {TEXT}; background: transparent; }}
QToolButton#navTab:hover {{ background: {HOVER}; border-bottom: 3px solid {LINE_STRONG}; }}
QToolButton#navTab:checked {{ border-bottom: 3px solid {b}; color: {bd}; background: {bl}; }}
QToolButton::menu-indicator {{ image: none; width: 0; }}
QToolButton#launcher {{ border: none; border-radius: 6px; padding: 6px; background: transparent; }}
QToolButton#launcher:hover {{ background: {HOVER}; }}
QToolButton#iconButton {{ border: 1px solid {LINE_STRONG}; border-radius: 6px; padding: 4px 8px;
                          background: {CARD}; }}
QToolButton#iconButton:hover {{ background: {HOVER}; }}
QToolButton#iconButton:disabled {{ color: {LINE_STRONG}; border-color: {LINE}; }}
#orgChip {{ color: {TEXT_WEAK}; font-size: 12px; border: 1px solid {LINE}; border-radius: 12px;
            padding: 3px 10px; background: {PAGE}; }}

/* inputs */
QLineEdit, QComboBox, QSpinBox, QDateEdit, QPlainTextEdit {{
    background: {CARD}; border: 1px solid {LINE_STRONG}; border-radius: 6px; padding: 6px 9px;
    selection-background-color: {b}; selection-color: {on}; min-height: 18px; }}
QSpinBox::up-button, QSpinBox::down-button {{ subcontrol-origin: border; width: 0px; border: none; }}
QSpinBox QLineEdit, QDateEdit QLineEdit, QComboBox QLineEdit {{
    border: none; padding: 0; margin: 0; background: transparent; min-height: 0; }}
QSpinBox QLineEdit {{ padding-left: 8px; }}
QLineEdit:focus, QComboBox:focus, QSpinBox:focus, QDateEdit:focus {{ border: 1px solid {b}; }}
QLineEdit#globalSearch {{ border-radius: 17px; padding: 7px 14px; background: {PAGE};
                          border: 1px solid {LINE}; }}
QLineEdit#globalSearch:focus {{ background: {CARD}; border: 1px solid {b}; }}
QComboBox::drop-down, QDateEdit::drop-down {{ border: none; width: 24px; }}
QComboBox::down-arrow, QDateEdit::down-arrow {{ image: url({_chevron()}); width: 10px; height: 10px; }}
QComboBox QAbstractItemView {{ background: {CARD}; border: 1px solid {LINE_STRONG};
                               selection-background-color: {SELECTED}; selection-color: {TEXT}; }}
QCheckBox {{ spacing: 8px; }}

/* buttons */
QPushButton {{ background: {CARD}; color: {b}; border: 1px solid {LINE_STRONG}; border-radius: 6px;
               padding: 7px 16px; font-weight: 600; }}
QPushButton:hover {{ background: {HOVER}; }}
QPushButton:pressed {{ background: {SELECTED}; }}
QPushButton:disabled {{ color: {LINE_STRONG}; border-color: {LINE}; }}
QPushButton#primary {{ background: {b}; color: {on}; border: 1px solid {b}; }}
QPushButton#primary:hover {{ background: {bd}; border-color: {bd}; }}
QPushButton#primary:disabled {{ background: {LINE_STRONG}; border-color: {LINE_STRONG}; color: #FFFFFF; }}
QPushButton#danger {{ color: {ERROR}; }}
QPushButton#link, QPushButton#chip {{ border: none; background: transparent; padding: 2px 4px;
                                      color: {LINK}; font-weight: 400; }}
QPushButton#link:hover {{ text-decoration: underline; }}
QPushButton#chip {{ background: {SELECTED}; border-radius: 12px; padding: 3px 10px; color: {TEXT}; }}
QPushButton#segment {{ border-radius: 0; margin: 0; color: {TEXT}; font-weight: 400; }}
QPushButton#segment:checked {{ background: {b}; color: {on}; border-color: {b}; }}

/* cards you can pick */
#pickCard {{ background: {CARD}; border: 1px solid {LINE}; border-radius: 10px; }}
#pickCard:hover {{ border: 1px solid {LINE_STRONG}; background: {HOVER}; }}
#pickCard[selected="true"] {{ border: 2px solid {b}; background: {bl}; }}
#recentRow {{ border-radius: 8px; }}
#recentRow:hover {{ background: {HOVER}; }}

/* tables */
QTableView {{ background: {CARD}; border: none; gridline-color: {LINE}; font-size: 13px;
              selection-background-color: {SELECTED}; selection-color: {TEXT};
              alternate-background-color: #FAFAF9; }}
QTableView::item {{ padding: 0 10px; border-bottom: 1px solid {LINE}; }}
QTableView::item:hover {{ background: {HOVER}; }}
QHeaderView::section {{ background: #FAFAF9; color: {TEXT_WEAK}; font-size: 12px; font-weight: 600;
                        border: none; border-bottom: 1px solid {LINE}; border-right: 1px solid {LINE};
                        padding: 8px 10px; }}
QHeaderView::section:hover {{ background: {HOVER}; }}
QTableCornerButton::section {{ background: #FAFAF9; border: none; }}
#relatedHeader {{ color: {TEXT_WEAK}; font-size: 12px; font-weight: 600; }}
#relatedCell {{ font-size: 13px; border-top: 1px solid {LINE}; }}
#fieldCell {{ border: none; border-bottom: 1px solid {LINE}; }}

/* progress */
QProgressBar {{ border: none; border-radius: 5px; background: {LINE}; max-height: 10px;
                min-height: 10px; text-align: center; color: transparent; }}
QProgressBar::chunk {{ border-radius: 5px; background: {b}; }}

QScrollBar:vertical {{ background: transparent; width: 12px; margin: 2px; }}
QScrollBar::handle:vertical {{ background: {LINE_STRONG}; border-radius: 4px; min-height: 30px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 12px; margin: 2px; }}
QScrollBar::handle:horizontal {{ background: {LINE_STRONG}; border-radius: 4px; min-width: 30px; }}
QScrollBar::add-line:horizontal, QScrollBar::sub-line:horizontal {{ width: 0; }}
QMenu {{ background: {CARD}; border: 1px solid {LINE_STRONG}; padding: 4px; }}
QMenu::item {{ padding: 6px 22px 6px 12px; border-radius: 4px; }}
QMenu::item:selected {{ background: {SELECTED}; }}
QMenu::separator {{ height: 1px; background: {LINE}; margin: 4px 8px; }}
"""


def _chevron() -> str:
    """A small chevron image for drop-downs (the stylesheet needs a file), drawn once."""
    import tempfile
    from pathlib import Path

    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QImage, QPainter, QPen

    path = Path(tempfile.gettempdir()) / "demoorg-ui" / "chevron-down-v1.png"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        img = QImage(40, 40, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(TEXT_WEAK))
        pen.setWidthF(5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.drawPolyline([QPointF(8, 14), QPointF(20, 26), QPointF(32, 14)])
        p.end()
        img.save(str(path))
    return path.as_posix()


def apply(app: QApplication, brand: Brand | None = None) -> None:
    """Applies the font, palette and stylesheet to the application."""
    brand = brand or Brand()
    app.setStyle("Fusion")
    app.setFont(app_font())
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor(PAGE))
    pal.setColor(QPalette.ColorRole.Base, QColor(CARD))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#FAFAF9"))
    pal.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Button, QColor(CARD))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(brand.color))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor(brand.on_color))
    pal.setColor(QPalette.ColorRole.Link, QColor(LINK))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(TEXT_FAINT))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(CARD))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    app.setPalette(pal)
    app.setStyleSheet(stylesheet(brand))


def set_brand(color: str) -> None:
    """Re-applies the stylesheet for a new brand colour (when another org opens)."""
    app = QGuiApplication.instance()
    if isinstance(app, QApplication):
        app.setStyleSheet(stylesheet(Brand(color)))
        pal = app.palette()
        pal.setColor(QPalette.ColorRole.Highlight, QColor(color))
        app.setPalette(pal)
