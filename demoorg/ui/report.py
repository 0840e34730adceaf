"""The rehearsal report (per-scene time against budget and past runs, exported to PDF) and the
customer feedback dialog of the presenter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QMargins, QMarginsF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLayout,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from demoorg.content.stories import StoryDef
from demoorg.present import RehearsalLog, RehearsalReport, rehearsal_report
from demoorg.ui import theme
from demoorg.ui.widgets import Card, label

FEEDBACK_CHOICES = (
    ("reaction", "Reaction"),
    ("question", "Question"),
    ("missing-feature", "Missing feature"),
)
#: Runs drawn in the chart beside the budget (the most recent ones).
CHART_RUNS = 3
HEADERS = ("#", "Scene", "Budget", "Last run", "vs budget", "Previous", "Change", "Best", "Notes")


def mmss(seconds: float | None, signed: bool = False) -> str:
    if seconds is None:
        return "—"
    sign = ("+" if seconds > 0 else "−" if seconds < 0 else "±") if signed else ""
    s = round(abs(seconds))
    return f"{sign}{s // 60}:{s % 60:02d}"


class FeedbackDialog(QDialog):
    """F during a presentation: tag the current scene with what the customer said.

    Signals:
        submitted(kind, text): saved with ``feedback_on`` and ``RehearsalLog.add_feedback``.
    """

    submitted = Signal(str, str)

    def __init__(self, scene_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Customer feedback")
        self.setMinimumSize(460, 300)
        self.resize(520, 320)
        lay = QVBoxLayout(self)
        lay.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        lay.setContentsMargins(20, 16, 20, 16)
        lay.setSpacing(10)
        lay.addWidget(label("Customer feedback", "pageTitle"))
        lay.addWidget(label(f"On “{scene_title}”", "caption"))
        row = QHBoxLayout()
        row.setSpacing(0)
        self.kinds = QButtonGroup(self)
        for i, (key, text) in enumerate(FEEDBACK_CHOICES):
            b = QPushButton(text)
            b.setObjectName("segment")
            b.setCheckable(True)
            b.setProperty("kind", key)
            b.setChecked(i == 0)
            self.kinds.addButton(b, i)
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("What did they say? (“Can it read our fax inbox?”)")
        self.text.setFixedHeight(110)
        lay.addWidget(self.text)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.save = QPushButton("Save")
        self.save.setObjectName("primary")
        self.save.setDefault(True)
        self.save.clicked.connect(self._on_save)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        lay.addLayout(buttons)
        self.text.setFocus()

    def kind(self) -> str:
        b = self.kinds.checkedButton()
        return str(b.property("kind")) if b is not None else "reaction"

    def set_kind(self, kind: str) -> None:
        for b in self.kinds.buttons():
            b.setChecked(b.property("kind") == kind)

    def _on_save(self) -> None:
        text = self.text.toPlainText().strip()
        if not text:
            self.text.setFocus()
            return
        self.submitted.emit(self.kind(), text)
        self.accept()


def report_chart(report: RehearsalReport) -> QChart:
    """Grouped bars per scene: the budget, then the last few runs."""
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setBackgroundVisible(False)
    chart.setMargins(QMargins(0, 0, 0, 0))
    series = QBarSeries()
    data = report.series()
    names = list(data)
    keep = ["Budget", *names[1:][-CHART_RUNS:]]
    colors = ["#C9C9C9", "#7FB2F0", "#3B82F6", "#1E3A8A"]
    runs = keep[1:]
    for name in keep:
        bar = QBarSet(name)
        color = (
            colors[0] if name == "Budget" else colors[len(colors) - len(runs) + runs.index(name)]
        )
        bar.setColor(QColor(color))
        bar.setBorderColor(QColor(color))
        for v in data[name]:
            bar.append(float(v or 0.0))
        series.append(bar)
    chart.addSeries(series)
    axis_x = QBarCategoryAxis()
    axis_x.append([str(s.index + 1) for s in report.scenes])
    axis_x.setTitleText("Scene")
    top = max((v or 0.0) for name in keep for v in data[name]) if report.scenes else 60
    axis_y = QValueAxis()
    axis_y.setRange(0, max(60.0, 30.0 * (int(top) // 30 + 1)))
    axis_y.setLabelFormat("%d s")
    axis_y.setTickCount(5)
    axis_y.setGridLineColor(QColor(theme.LINE))
    for axis in (axis_x, axis_y):
        f = QFont()
        f.setPixelSize(11)
        axis.setLabelsFont(f)
        axis.setLabelsColor(QColor(theme.TEXT_WEAK))
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_x)
    series.attachAxis(axis_y)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
    chart.legend().setLabelColor(QColor(theme.TEXT))
    return chart


def report_cells(report: RehearsalReport) -> list[tuple[str, ...]]:
    """The table's rows as text (scene, budget, last, vs budget, previous, change, best, notes)."""
    rows = []
    for s in report.scenes:
        done = [x for x in s.seconds if x is not None]
        prev = done[-2] if len(done) >= 2 else None
        rows.append(
            (
                str(s.index + 1),
                s.title,
                mmss(s.budget),
                mmss(s.last),
                mmss(s.over_budget, signed=True),
                mmss(prev),
                mmss(s.change, signed=True),
                mmss(s.best),
                str(len(s.feedback)) if s.feedback else "",
            )
        )
    return rows


class RehearsalReportWindow(QWidget):
    """Per-scene durations against budget and previous runs, a bar chart, and customer feedback."""

    def __init__(
        self,
        story: StoryDef,
        log: RehearsalLog,
        parent: QWidget | None = None,
        fill: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.story = story
        self.log = log
        report = rehearsal_report(story, log.runs(story.key), log.feedback(story.key))
        if fill is not None:  # scene titles with {prospect} and {hero.…} filled in
            scenes = tuple(replace(s, title=fill(s.title)) for s in report.scenes)
            report = replace(report, scenes=scenes)
        self.report = report
        self.setWindowTitle(f"Rehearsal report — {story.title}")
        self.resize(1100, 860)
        self.setMinimumSize(900, 700)
        outer = QVBoxLayout(self)
        outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        outer.setContentsMargins(20, 18, 20, 18)
        outer.setSpacing(12)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(label("Rehearsal report", "pageEyebrow"))
        titles.addWidget(label(story.title, "pageTitle"))
        titles.addWidget(label(self.summary(), "caption"))
        head.addLayout(titles, 1)
        self.export_button = QPushButton("Export PDF…")
        self.export_button.setObjectName("primary")
        self.export_button.clicked.connect(self._on_export)
        head.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)

        chart_card = Card("Time per scene", margins=14)
        self.chart = report_chart(self.report)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(250)
        self.chart_view.setStyleSheet("background: transparent;")
        chart_card.body.addWidget(self.chart_view)
        outer.addWidget(chart_card, 3)

        table_card = Card(margins=0)
        table_card.body.setContentsMargins(1, 1, 1, 1)
        rows = report_cells(self.report)
        self.table = QTableWidget(len(rows), len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setDefaultSectionSize(32)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for c in (0, *range(2, len(HEADERS))):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c != 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if c in (4, 6) and text.startswith("+"):
                    item.setForeground(QColor(theme.ERROR))
                elif c in (4, 6) and text.startswith("−"):
                    item.setForeground(QColor(theme.SUCCESS))
                self.table.setItem(r, c, item)
        table_card.body.addWidget(self.table)
        outer.addWidget(table_card, 3)

        fb = Card(f"Customer feedback ({len(self.report.feedback)})", margins=14)
        if self.report.feedback:
            for note in self.report.feedback[-6:]:
                fb.body.addWidget(label(self.feedback_line(note), "fieldValue", wrap=True))
        else:
            fb.body.addWidget(label("No feedback tagged yet — press F while presenting.", "muted"))
        outer.addWidget(fb, 0)

    def summary(self) -> str:
        r = self.report
        n = len(r.runs)
        if not n:
            return f"No runs yet · target {mmss(r.length)} · rehearse to see your timings"
        last = r.runs[-1]
        return (
            f"{n} run{'s' if n != 1 else ''} · last run {mmss(last.total)} of {mmss(r.length)} "
            f"target · {last.over} scene{'s' if last.over != 1 else ''} over budget"
        )

    @staticmethod
    def feedback_line(note: object) -> str:
        kind = dict(FEEDBACK_CHOICES).get(note.kind, note.kind)  # type: ignore[attr-defined]
        return f"Scene {note.scene + 1} · {kind}: {note.text}"  # type: ignore[attr-defined]

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export the rehearsal report",
            str(Path.home() / f"{self.story.key}-rehearsal.pdf"),
            "PDF (*.pdf)",
        )
        if path:
            self.export_pdf(path)

    def export_pdf(self, path: str | Path) -> Path:
        """Writes the report (title, chart, table, feedback) to a PDF file; returns its path."""
        out = Path(path)
        writer = QPdfWriter(str(out))
        writer.setTitle(f"Rehearsal report — {self.story.title}")
        writer.setCreator("demoorg")
        writer.setResolution(144)
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(14, 14, 14, 14),
                QPageLayout.Unit.Millimeter,
            )
        )
        p = QPainter(writer)
        page = writer.pageLayout().paintRectPixels(writer.resolution())
        width = page.width()
        y = 0

        def font(px: int, bold: bool = False) -> QFont:
            f = QFont()
            f.setPixelSize(px)
            f.setBold(bold)
            return f

        p.setFont(font(14))
        p.setPen(QColor(theme.TEXT_WEAK))
        p.drawText(QRect(0, y, width, 24), Qt.AlignmentFlag.AlignLeft, "Rehearsal report")
        y += 24
        p.setFont(font(26, True))
        p.setPen(QColor(theme.TEXT))
        p.drawText(QRect(0, y, width, 40), Qt.AlignmentFlag.AlignLeft, self.story.title)
        y += 42
        p.setFont(font(13))
        p.setPen(QColor(theme.TEXT_WEAK))
        p.drawText(QRect(0, y, width, 22), Qt.AlignmentFlag.AlignLeft, self.summary())
        y += 34
        chart_h = 380
        self.chart.resize(QSizeF(width, chart_h))
        self.chart_view.scene().render(p, QRectF(0, y, width, chart_h), self.chart.rect())
        y += chart_h + 20

        widths = [0.05, 0.39, 0.08, 0.08, 0.09, 0.08, 0.08, 0.08, 0.07]
        xs = [0]
        for w in widths:
            xs.append(xs[-1] + int(w * width))
        row_h = 30

        def row(cells: tuple[str, ...], bold: bool, color: str = theme.TEXT) -> None:
            nonlocal y
            p.setFont(font(12, bold))
            for c, text in enumerate(cells):
                rect = QRect(xs[c] + 4, y, xs[c + 1] - xs[c] - 8, row_h)
                align = Qt.AlignmentFlag.AlignLeft if c == 1 else Qt.AlignmentFlag.AlignRight
                pen = color
                if c in (4, 6) and text.startswith("+"):
                    pen = theme.ERROR
                elif c in (4, 6) and text.startswith("−"):
                    pen = theme.SUCCESS
                p.setPen(QColor(pen))
                elided = p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
                p.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, elided)
            y += row_h
            p.setPen(QPen(QColor(theme.LINE), 1))
            p.drawLine(0, y, width, y)

        row(HEADERS, True, theme.TEXT_WEAK)
        for cells in report_cells(self.report):
            if y + row_h > page.height():
                writer.newPage()
                y = 0
            row(cells, False)
        y += 24
        if self.report.feedback:
            p.setFont(font(16, True))
            p.setPen(QColor(theme.TEXT))
            p.drawText(QRect(0, y, width, 28), Qt.AlignmentFlag.AlignLeft, "Customer feedback")
            y += 32
            p.setFont(font(12))
            for note in self.report.feedback:
                if y + 26 > page.height():
                    writer.newPage()
                    y = 0
                p.drawText(
                    QRect(0, y, width, 24),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    self.feedback_line(note),
                )
                y += 26
        p.end()
        return out
