"""Dashboards declared in the template: metric tiles and charts, computed live from the org.

Charts use Qt's own charts: bars (horizontal, so long category names stay readable), pies and
donuts (a pie with a hole, its total in the middle), lines over time (with a soft area under
them) and funnels (horizontal bars centred on an invisible spacer). Axis and value labels are
formatted by the org's locale, not by printf.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCharts import (
    QAreaSeries,
    QBarCategoryAxis,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QPieSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QCoreApplication,
    QMargins,
    QPointF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QLinearGradient, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from demoorg.org.query import OrgReader, TileData
from demoorg.ui import icons, theme
from demoorg.ui.format import Formatter
from demoorg.ui.navigation import Location
from demoorg.ui.widgets import Card, LinkLabel, clear_layout, icon_label, label

CHART_KINDS = ("bar", "pie", "donut", "line", "funnel")


def elide(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip(" ,") + "…"


def value_text(fmt: Formatter, value: float, kind: str, compact: bool = False) -> str:
    """A tile value as text in the tile's format (``currency``, ``percent`` or ``number``)."""
    if kind == "percent":
        return fmt.percent(round(value, 1))
    if compact:
        return fmt.compact(value, money=kind == "currency")
    if kind == "currency":
        return fmt.currency(value, 0)
    if kind == "percent":
        return fmt.percent(value)
    return fmt.number(value, 0 if float(value).is_integer() else 1)


def group_label(fmt: Formatter, data: TileData, key: object) -> str:
    if key is None or key == "":
        return "(Blank)"
    if data.bucket:
        return fmt.bucket(key, data.bucket)
    if data.group_type == "boolean":
        return "Yes" if key in (1, True) else "No"
    if data.group_type == "date":
        return fmt.date(key)
    return str(key)


def _font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def axis_steps(top: float, integers: bool, ticks: int = 4) -> tuple[float, float]:
    """A round axis maximum at or above ``top`` and its step (1, 2, 2.5 or 5 × 10ⁿ; whole
    numbers only for counts)."""
    raw = max(top, 1e-9) / ticks
    exp = math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if integers else (1, 2, 2.5, 5, 10)
    step = next(f * 10**exp for f in factors if f * 10**exp >= raw)
    if integers:
        step = max(1.0, float(round(step)))
    return step * math.ceil(top / step - 1e-9), float(step)


def _value_axis(fmt: Formatter, data: TileData, top: float) -> QCategoryAxis:
    """A value axis with locale-formatted, compact labels at round steps."""
    integers = data.format == "number" and all(float(v).is_integer() for _, v in data.series)
    if data.format == "percent" and top > 100 >= max((v for _, v in data.series), default=0):
        top = 100.0  # a share never goes past 100 %
    top, step = axis_steps(top, integers)
    axis = QCategoryAxis()
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    axis.setRange(0, top)
    for i in range(round(top / step) + 1):
        axis.append(value_text(fmt, step * i, data.format, compact=True), step * i)
    axis.setLabelsFont(_font(11))
    axis.setLabelsColor(QColor(theme.TEXT_WEAK))
    axis.setGridLineColor(QColor(theme.LINE))
    axis.setLineVisible(False)
    return axis


def _base_chart() -> QChart:
    chart = QChart()
    chart.setBackgroundVisible(False)
    chart.setPlotAreaBackgroundVisible(False)
    chart.setMargins(QMargins(4, 4, 18, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setVisible(False)
    chart.legend().setFont(_font(12))
    chart.legend().setLabelColor(QColor(theme.TEXT))
    return chart


def bar_chart(data: TileData, fmt: Formatter, colors: list[str]) -> QChart:
    """Horizontal bars, largest first from the top, each labelled with its value."""
    chart = _base_chart()
    series = QHorizontalBarSeries()
    bar = QBarSet(data.label)
    rows = list(reversed(data.series))
    for _, v in rows:
        bar.append(v)
    bar.setColor(QColor(colors[0]))
    bar.setBorderColor(QColor(colors[0]))
    bar.setLabelColor(QColor(theme.TEXT))
    bar.setLabelFont(_font(11))
    series.append(bar)
    series.setBarWidth(0.66)
    counts = data.format == "number" and all(float(v).is_integer() for _, v in rows)
    if counts:
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setLabelsPrecision(12)
    chart.addSeries(series)
    cats = QBarCategoryAxis()
    if counts:
        cats.append([elide(group_label(fmt, data, k), 22) for k, _ in rows])
    else:  # money and decimals read better formatted by the locale, next to their category
        cats.append(
            [
                f"{elide(group_label(fmt, data, k), 22)} · {value_text(fmt, v, data.format, True)}"
                for k, v in rows
            ]
        )
    cats.setLabelsFont(_font(11))
    cats.setLabelsColor(QColor(theme.TEXT))
    cats.setGridLineVisible(False)
    cats.setLineVisible(False)
    chart.addAxis(cats, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(cats)
    axis = _value_axis(fmt, data, max((v for _, v in rows), default=1) * 1.12)
    chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis)
    return chart


def funnel_chart(data: TileData, fmt: Formatter, colors: list[str]) -> QChart:
    """A funnel: each stage a bar centred on the widest, first stage on top."""
    chart = _base_chart()
    series = QHorizontalStackedBarSeries()
    rows = list(reversed(data.series))
    widest = max((v for _, v in rows), default=1) or 1
    spacer = QBarSet("")
    body = QBarSet(data.label)
    for _, v in rows:
        spacer.append((widest - v) / 2)
        body.append(v)
    spacer.setColor(QColor(0, 0, 0, 0))
    spacer.setBorderColor(QColor(0, 0, 0, 0))
    body.setColor(QColor(colors[0]))
    body.setBorderColor(QColor(colors[0]))
    series.append(spacer)
    series.append(body)
    series.setBarWidth(0.78)
    chart.addSeries(series)
    cats = QBarCategoryAxis()
    cats.append(
        [
            f"{elide(group_label(fmt, data, k), 24)}  ·  {value_text(fmt, v, data.format, True)}"
            for k, v in rows
        ]
    )
    cats.setLabelsFont(_font(11))
    cats.setLabelsColor(QColor(theme.TEXT))
    cats.setGridLineVisible(False)
    cats.setLineVisible(False)
    chart.addAxis(cats, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(cats)
    axis = QValueAxis()
    axis.setRange(0, widest)
    axis.setVisible(False)
    chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis)
    return chart


def pie_chart(data: TileData, fmt: Formatter, colors: list[str], donut: bool) -> QChart:
    """A pie (or a donut) with a legend that gives each slice's value and share."""
    chart = _base_chart()
    series = QPieSeries()
    total = data.total or 1.0
    rows = [
        (elide(group_label(fmt, data, k), 22), value_text(fmt, v, data.format, True), v)
        for k, v in data.series
    ]
    # A narrow legend elides "Completed 1.8K · 67%" to "Completed 1.8K ·…": when any entry is
    # long, every entry gives its share only (the total sits in the hole).
    with_values = all(len(name) + len(value) <= 12 for name, value, _ in rows)
    for i, (name, value, v) in enumerate(rows):
        share = round(100 * v / total)
        text = f"{name}  {value} · {share}%" if with_values else f"{name}  {share}%"
        sl = series.append(text, v)
        sl.setColor(QColor(colors[i % len(colors)]))
        sl.setBorderColor(QColor("#FFFFFF"))
        sl.setBorderWidth(2)
    series.setPieSize(0.86)
    if donut:
        series.setHoleSize(0.56)
    series.setHorizontalPosition(0.5)
    chart.addSeries(series)
    legend = chart.legend()
    legend.setVisible(True)
    # A few slices read well in one row under the pie; more need a column beside it.
    legend.setAlignment(
        Qt.AlignmentFlag.AlignBottom if len(data.series) <= 3 else Qt.AlignmentFlag.AlignRight
    )
    legend.setMarkerShape(legend.MarkerShape.MarkerShapeCircle)
    return chart


def line_chart(data: TileData, fmt: Formatter, colors: list[str]) -> QChart:
    """A line over time with a soft area under it; about six labels along the time axis."""
    chart = _base_chart()
    upper = QLineSeries()
    lower = QLineSeries()
    for i, (_, v) in enumerate(data.series):
        upper.append(QPointF(i, v))
        lower.append(QPointF(i, 0))
    color = QColor(colors[0])
    area = QAreaSeries(upper, lower)
    # QAreaSeries does not own its boundary lines; they must live as long as the chart.
    # (The chart's Python wrapper lives as long as its view; see ChartView._keep.)
    chart._area_lines = (upper, lower)  # type: ignore[attr-defined]
    grad = QLinearGradient(0, 0, 0, 1)
    grad.setCoordinateMode(QLinearGradient.CoordinateMode.ObjectBoundingMode)
    top_c = QColor(color)
    top_c.setAlphaF(0.32)
    bottom_c = QColor(color)
    bottom_c.setAlphaF(0.03)
    grad.setColorAt(0, top_c)
    grad.setColorAt(1, bottom_c)
    area.setBrush(QBrush(grad))
    area.setPen(QPen(Qt.PenStyle.NoPen))
    chart.addSeries(area)
    line = QLineSeries()
    for i, (_, v) in enumerate(data.series):
        line.append(QPointF(i, v))
    pen = QPen(color)
    pen.setWidthF(2.5)
    line.setPen(pen)
    chart.addSeries(line)
    n = len(data.series)
    xaxis = QCategoryAxis()
    xaxis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    xaxis.setRange(0, max(1, n - 1))
    every = max(1, round(n / 5))
    for i in range(0, n, every):
        xaxis.append(fmt.bucket(data.series[i][0], data.bucket, short=True), i)
    xaxis.setLabelsFont(_font(11))
    xaxis.setLabelsColor(QColor(theme.TEXT_WEAK))
    xaxis.setGridLineVisible(False)
    xaxis.setLinePenColor(QColor(theme.LINE_STRONG))
    yaxis = _value_axis(fmt, data, max((v for _, v in data.series), default=1) * 1.05)
    chart.addAxis(xaxis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(yaxis, Qt.AlignmentFlag.AlignLeft)
    for s in (area, line):
        s.attachAxis(xaxis)
        s.attachAxis(yaxis)
    return chart


def make_chart(data: TileData, fmt: Formatter, brand: str) -> QChart:
    colors = theme.chart_colors(brand)
    if data.kind == "bar":
        return bar_chart(data, fmt, colors)
    if data.kind == "funnel":
        return funnel_chart(data, fmt, colors)
    if data.kind in ("pie", "donut"):
        return pie_chart(data, fmt, colors, donut=data.kind == "donut")
    return line_chart(data, fmt, colors)


class ChartView(QChartView):
    """A chart view; a donut shows its total in the hole."""

    def __init__(self, chart: QChart, centre: str = "", caption: str = "") -> None:
        super().__init__(chart)
        # Keep the chart (and what it shows) alive as long as the view: PySide would otherwise
        # free them with their Python wrappers and leave the view a dangling pointer.
        self._keep = [chart, *chart.series(), *chart.axes()]
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setStyleSheet("background: transparent;")
        self.setMinimumHeight(270)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.centre = None
        if centre:
            self.centre = QLabel(self)
            self.centre.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.centre.setText(
                f"<div style='font-size:22px; font-weight:700; color:{theme.TEXT}'>{centre}</div>"
                f"<div style='font-size:11px; color:{theme.TEXT_WEAK}'>{caption}</div>"
            )
            self.centre.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.place_centre()

    def place_centre(self) -> None:
        if self.centre is None:
            return
        chart = self.chart()
        series = chart.series()
        if not series:
            return
        area = chart.plotArea()
        pie = series[0]
        assert isinstance(pie, QPieSeries)
        cx = area.left() + area.width() * pie.horizontalPosition()
        cy = area.top() + area.height() * pie.verticalPosition()
        pt = self.mapFromScene(QPointF(cx, cy))
        w, h = 120, 50
        self.centre.setGeometry(pt.x() - w // 2, pt.y() - h // 2, w, h)


class TileCard(Card):
    """One dashboard tile: a metric or a chart, titled, with a link to the records it counts."""

    link_activated = Signal(str)

    def __init__(self, data: TileData, fmt: Formatter, brand: str) -> None:
        super().__init__(margins=16)
        self.data = data
        self.fmt = fmt
        #: ``drill_where(i)``: the conditions of the records behind group ``i`` (set by the page).
        self.drill_where: Callable[[int], Any] | None = None
        head = QHBoxLayout()
        title = label(data.label, "cardTitle")
        head.addWidget(title, 1)
        # The records the tile counts: its own filter, named after the tile.
        records = Location("list", data.object, where=data.where, title=data.label)
        link = LinkLabel(
            "View records", (records if data.where else Location.list(data.object)).href()
        )
        link.activated.connect(self.link_activated)
        head.addWidget(link, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(head)
        self.chart_view: ChartView | None = None
        if data.kind == "metric" or not data.series:
            if data.kind == "metric":
                value = label(fmt.metric(data.value, data.format), "metricValue")
                self.value_label = value
                self.body.addStretch(1)
                self.body.addWidget(value)
                self.body.addWidget(label(_metric_caption(data), "metricCaption"))
            else:
                self.body.addWidget(label("No records match this tile.", "muted"))
            self.body.addStretch(1)
            return
        chart = make_chart(data, fmt, brand)
        centre = caption = ""
        if data.kind == "donut":
            centre = value_text(fmt, data.total, data.format, compact=data.total >= 100_000)
            caption = "Total"
        self.chart_view = ChartView(chart, centre, caption)
        self.body.addWidget(self.chart_view, 1)
        _connect_clicks(chart, data, self.open_group)
        self.chart_view.setToolTip("Click a bar, slice or point to open its records")
        self.chart_view.setCursor(Qt.CursorShape.PointingHandCursor)

    def open_group(self, index: int) -> None:
        """Opens the records behind one group of the chart (``index`` in ``data.series``)."""
        if self.drill_where is None:
            return
        where = self.drill_where(index)
        if where is None:
            return
        key = self.data.series[index][0]
        title = f"{self.data.label}: {group_label(self.fmt, self.data, key)}"
        self.link_activated.emit(
            Location("list", self.data.object, where=where, title=title).href()
        )


def _connect_clicks(chart: QChart, data: TileData, open_group: Callable[[int], None]) -> None:
    """Calls ``open_group(i)`` with the ``data.series`` index of the bar, slice or point clicked."""
    n = len(data.series)
    for series in chart.series():
        if isinstance(series, QHorizontalBarSeries | QHorizontalStackedBarSeries):
            # Bars run bottom-up: the first row drawn is the last group.
            for bar in series.barSets():
                if bar.label():  # the funnel's transparent spacer has no label
                    bar.clicked.connect(lambda i: open_group(n - 1 - i))
        elif isinstance(series, QPieSeries):
            for i, sl in enumerate(series.slices()):
                sl.clicked.connect(lambda i=i: open_group(i))
        elif isinstance(series, QLineSeries | QAreaSeries):
            series.clicked.connect(lambda pt: open_group(round(pt.x())))


def chart_height(data: TileData) -> int:
    """A chart card's height: bars need about 26 pixels each for their labels to show."""
    if data.kind in ("bar", "funnel"):
        return max(380, 150 + 26 * len(data.series))
    return 380


def _metric_caption(data: TileData) -> str:
    return {
        "count": "records",
        "sum": "total",
        "avg": "average",
        "min": "lowest",
        "max": "highest",
    }.get(data.aggregate, "")


class DashboardWidget(QScrollArea):
    """One dashboard of the org: its metrics in a row, its charts in a grid.

    The page appears at once with its tiles' frames; the numbers are computed right after, on
    the GUI thread, and fill in when ready (``loaded(key)``).
    """

    link_activated = Signal(str)
    loaded = Signal(str)

    def __init__(self, reader: OrgReader, formatter: Formatter, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pageScroll")
        self.setWidgetResizable(True)
        self.reader = reader
        self.fmt = formatter
        self.brand = theme.ACCENT
        self.key: str | None = None
        self.tiles: dict[str, TileData] = {}
        self.cards: dict[str, TileCard] = {}
        #: Every tile's card on screen by key, "Computing…" frames included (for the spotlight).
        self.frames: dict[str, QWidget] = {}
        self.pending = False
        self._generation = 0
        self._area: QVBoxLayout | None = None
        self._tile_specs: list[dict] = []

    def show_dashboard(self, key: str) -> None:
        """Shows a dashboard now and computes its tiles in the background."""
        dash = self.reader.dashboard(key)
        self.key = key
        self.tiles = {}
        self.cards = {}
        self._tile_specs = list(dash["tiles"])
        page = QWidget()
        page.setObjectName("page")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(16, 16, 16, 16)
        outer.setSpacing(12)

        head = Card(margins=16)
        row = QHBoxLayout()
        row.setSpacing(12)
        row.addWidget(icon_label("dashboard", 40))
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(label("Dashboard", "pageEyebrow"))
        titles.addWidget(label(dash["label"], "pageTitle"))
        row.addLayout(titles)
        row.addStretch(1)
        as_of = self.fmt.long_date(self.reader.as_of)
        row.addWidget(label(f"As of {as_of} · computed live from this org", "caption"))
        head.body.addLayout(row)
        if dash.get("description"):
            head.body.addWidget(label(dash["description"], "caption", wrap=True))
        outer.addWidget(head)
        self._area = QVBoxLayout()
        self._area.setSpacing(12)
        outer.addLayout(self._area)
        outer.addStretch(1)
        self._fill(None)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(page)
        self._generation += 1
        self.pending = True
        # Computed on the GUI thread right after the frames are painted. A worker thread made
        # Python's garbage collector finalise Qt objects off the GUI thread, which crashes.
        generation = self._generation
        # With the page as context: a page dropped meanwhile (another org opened) computes nothing.
        QTimer.singleShot(0, self, lambda: self._compute(generation))

    def _compute(self, generation: int) -> None:
        if generation != self._generation:
            return  # another dashboard was asked for meanwhile
        if self.reader.org.closed:
            return  # the org was closed (another one opened) before its tiles were computed
        try:
            results = {t["key"]: self.reader.tile(t) for t in self._tile_specs}
        except Exception as exc:  # shown on the dashboard as one line
            self._on_tiles_failed(generation, f"{type(exc).__name__}: {exc}")
        else:
            self._on_tiles_computed(generation, results)

    def wait(self, ms: int = 30_000) -> bool:
        """Blocks until the tiles are on screen (for scripts; the app never waits)."""
        deadline = time.monotonic() + ms / 1000
        while self.pending and time.monotonic() < deadline:
            QCoreApplication.processEvents()
        return not self.pending

    def _on_tiles_computed(self, generation: int, results: dict[str, TileData]) -> None:
        if generation != self._generation:
            return  # an older request; another dashboard is on screen now
        self.tiles = results
        self.pending = False
        self._fill(results)
        if self.key:
            self.loaded.emit(self.key)

    def _on_tiles_failed(self, generation: int, message: str) -> None:
        if generation != self._generation or self._area is None:
            return
        self.pending = False
        clear_layout(self._area)
        box = label(f"This dashboard could not be computed: {message}", "errorBox", wrap=True)
        self._area.addWidget(box)

    def _fill(self, results: dict[str, TileData] | None) -> None:
        """Lays out the tiles; without results, frames of the same size that say "Computing…"."""
        assert self._area is not None
        clear_layout(self._area)
        self.cards = {}
        self.frames = {}
        specs = self._tile_specs
        metrics = [t for t in specs if t["kind"] == "metric"]
        charts = [t for t in specs if t["kind"] != "metric"]
        if metrics:
            mrow = QHBoxLayout()
            mrow.setSpacing(12)
            for t in metrics:
                card = self._card(t, results)
                card.setFixedHeight(150)
                mrow.addWidget(card, 1)
            self._area.addLayout(mrow)
        if charts:
            grid = QGridLayout()
            grid.setSpacing(12)
            per_row = 2 if len(charts) != 3 else 3
            for i, t in enumerate(charts):
                card = self._card(t, results)
                row = charts[(i // per_row) * per_row : (i // per_row + 1) * per_row]
                heights = [chart_height(results[r["key"]]) if results else 380 for r in row]
                card.setFixedHeight(max(heights))
                span = per_row if (i == len(charts) - 1 and len(charts) % per_row == 1) else 1
                grid.addWidget(card, i // per_row, i % per_row, 1, span)
            for c in range(per_row):
                grid.setColumnStretch(c, 1)
            self._area.addLayout(grid)

    def _card(self, tile: dict, results: dict[str, TileData] | None) -> QWidget:
        if results is None or tile["key"] not in results:
            card = Card(tile["label"], margins=16)
            card.body.addStretch(1)
            card.body.addWidget(label("Computing…", "muted"), 0, Qt.AlignmentFlag.AlignCenter)
            card.body.addStretch(1)
            self.frames[tile["key"]] = card
            return card
        tc = TileCard(results[tile["key"]], self.fmt, self.brand)
        tc.drill_where = lambda i, data=tc.data: self.reader.drill(data, i)
        tc.link_activated.connect(self.link_activated)
        self.cards[tile["key"]] = tc
        self.frames[tile["key"]] = tc
        return tc


def dashboard_icon(size: int = 32) -> QLabel:
    w = QLabel()
    w.setPixmap(icons.object_icon("dashboard", size))
    return w
