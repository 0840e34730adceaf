"""The builder: pick an industry, a release, the prospect and a size; build the org off the GUI thread.

The build runs in a worker thread (:class:`BuildController`) and reports progress per object,
rows per second and time left. Cancel stops it after the current batch and leaves nothing
behind (``build_org`` writes to a temporary file and renames it into place only when complete).
Errors are shown as the one-line message the command line would print, never as a traceback.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from demoorg.content import model as m
from demoorg.content.releases import (
    Release,
    calendar_around,
    feature_stage,
    parse_release,
    release_on,
)
from demoorg.errors import ContentError, DemoOrgError
from demoorg.ui import icons, theme
from demoorg.ui.header import GlobalHeader, NavBar, tab_label
from demoorg.ui.widgets import Card, ClickableFrame, ColorSwatch, clear_layout, label, stage_badge

if TYPE_CHECKING:  # the seeder (and Faker) load only when a build starts, not with the window
    from demoorg.seeders.build import BuildResult
    from demoorg.seeders.generate import Progress
    from demoorg.seeders.plan import BuildParams

#: Locales offered in the picker (any Faker locale may be typed).
LOCALES = (
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pt_BR",
    "sv_SE",
    "ja_JP",
    "zh_CN",
    "ko_KR",
)
SIZES = (("small", "Small", "≈ 2,000 records"), ("standard", "Standard", "≈ 20,000 records"),
         ("enterprise", "Enterprise", "≈ 200,000 records"))  # fmt: skip


# --- pure parts ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """What an industry card shows about a template."""

    folder: Path
    industry: str
    label: str
    description: str
    objects: int
    stories: int
    heroes: int
    features: int
    dashboards: int
    brand_color: str
    user: bool
    template: m.TemplateDef | None = None
    error: str | None = None


def summarize(folder: Path, user_root: Path | None = None) -> TemplateSummary:
    """Loads a template and summarises it; a broken template gives a summary with its error."""
    from demoorg.content.template import load_template

    stories = len(list((folder / "stories").glob("*.yaml"))) if (folder / "stories").is_dir() else 0
    user = user_root is not None and user_root in folder.parents
    try:
        tpl = load_template(folder)
    except (ContentError, DemoOrgError) as exc:
        return TemplateSummary(
            folder, folder.name, folder.name, "", 0, stories, 0, 0, 0, theme.ACCENT, user,
            error=str(exc),
        )  # fmt: skip
    return TemplateSummary(
        folder=folder,
        industry=tpl.industry,
        label=tpl.label,
        description=" ".join(tpl.description.split()),
        objects=len(tpl.objects),
        stories=stories,
        heroes=len(tpl.heroes),
        features=len(tpl.features),
        dashboards=len(tpl.dashboards),
        brand_color=tpl.brand_color,
        user=user,
        template=tpl,
    )


def load_summaries() -> list[TemplateSummary]:
    """Every template found (the user's own folder first), summarised."""
    from demoorg.content.paths import list_templates, user_industries

    return [summarize(f, user_industries()) for f in list_templates()]


def feature_stages(
    tpl: m.TemplateDef, release: Release, preview: bool
) -> list[tuple[m.Feature, str]]:
    """Each feature of a template and its stage on a release (GA, Beta, Pilot, Not available)."""
    out = []
    for f in tpl.features:
        stage = feature_stage(
            release,
            parse_release(f.pilot) if f.pilot else None,
            parse_release(f.beta) if f.beta else None,
            parse_release(f.ga) if f.ga else None,
            preview=preview,
        )
        out.append((f, stage))
    return out


def file_slug(name: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(filter(None, keep.split("-"))) or "org"


def default_out(prospect: str, industry: str) -> Path:
    """Where the builder saves an org unless told otherwise: the user's demoorg folder."""
    from demoorg.content.paths import user_home

    return user_home() / "orgs" / f"{file_slug(prospect)}-{industry}.demoorg"


def progress_text(p: Progress, elapsed: float) -> tuple[int, str]:
    """(percent done, "Care Observations · 12,000 of 40,000 · 310,000 rows/s · about 3 s left")."""
    expected = max(p.expected_rows, p.rows_written, 1)
    percent = min(100, int(100 * p.rows_written / expected))
    rate = p.rows_written / elapsed if elapsed > 0 else 0.0
    left = (expected - p.rows_written) / rate if rate > 0 else None
    parts = [p.label, f"{p.done:,} of {p.total:,}"]
    if rate > 0:
        parts.append(f"{rate:,.0f} rows/s")
    if left is not None and elapsed > 0.3:
        parts.append("almost done" if left < 1 else f"about {left:,.0f} s left")
    return percent, "  ·  ".join(parts)


def readable_error(exc: BaseException) -> str:
    """The message a user reads: demoorg's own errors as they are, anything else in one line."""
    if isinstance(exc, DemoOrgError):
        return str(exc)
    return f"Something went wrong while building: {type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class BuildRequest:
    template: m.TemplateDef
    params: BuildParams
    out: Path
    force: bool = True


# --- the worker -----------------------------------------------------------------------------------------


class BuildWorker(QObject):
    """Runs one build in a worker thread; progress and the outcome come back as signals."""

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, request: BuildRequest) -> None:
        super().__init__()
        self.request = request
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        from demoorg.seeders.build import BuildCancelled, build_org

        r = self.request
        try:
            r.out.parent.mkdir(parents=True, exist_ok=True)
            result = build_org(
                r.template,
                r.params,
                r.out,
                force=r.force,
                progress=self.progressed.emit,
                cancelled=self._cancel.is_set,
            )
        except BuildCancelled:
            self.cancelled.emit()
        except Exception as exc:  # shown to the user as one readable line
            self.failed.emit(readable_error(exc))
        else:
            self.finished.emit(result)


class BuildController(QObject):
    """Starts builds in a QThread and tells the GUI what happened.

    Signals:
        build_progressed(Progress, float): a batch was written; seconds since the start.
        build_finished(BuildResult): the org is in place.
        build_failed(str): a readable message.
        build_cancelled(): the user cancelled; nothing was written.
    """

    build_progressed = Signal(object, float)
    build_finished = Signal(object)
    build_failed = Signal(str)
    build_cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: BuildWorker | None = None
        self._started = 0.0

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, request: BuildRequest) -> None:
        if self._thread is not None:
            raise RuntimeError("a build is already running")
        self._started = time.perf_counter()
        thread = QThread(self)
        worker = BuildWorker(request)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self._on_progressed)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self._thread, self._worker = thread, worker
        thread.start()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def wait(self, ms: int = 30_000) -> None:
        if self._thread is not None:
            self._thread.wait(ms)

    def _stop_thread(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        if worker is not None:
            worker.deleteLater()

    def _on_progressed(self, p: Progress) -> None:
        self.build_progressed.emit(p, time.perf_counter() - self._started)

    def _on_finished(self, result: BuildResult) -> None:
        self._stop_thread()
        self.build_finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self._stop_thread()
        self.build_failed.emit(message)

    def _on_cancelled(self) -> None:
        self._stop_thread()
        self.build_cancelled.emit()


# --- the page --------------------------------------------------------------------------------------------


class IndustryCard(ClickableFrame):
    def __init__(self, s: TemplateSummary) -> None:
        super().__init__("pickCard")
        self.summary = s
        self.setMinimumHeight(160)
        self.setMinimumWidth(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 14, 16, 14)
        lay.setSpacing(6)
        top = QHBoxLayout()
        top.setSpacing(10)
        ic = QLabel()
        ic.setPixmap(icons.object_icon(s.industry.capitalize(), 34, color=s.brand_color))
        ic.setFixedSize(34, 34)
        top.addWidget(ic)
        title = label(s.label, "cardTitle", wrap=True)
        title.setMinimumWidth(100)
        top.addWidget(title, 1)
        lay.addLayout(top)
        if s.error:
            err = label(s.error, "caption", wrap=True)
            err.setStyleSheet(f"color: {theme.ERROR};")
            lay.addWidget(err)
            self.setEnabled(False)
        else:
            desc = label(_clip(s.description, 150), "caption", wrap=True)
            desc.setToolTip(s.description)
            desc.setMinimumWidth(100)
            desc.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            lay.addWidget(desc, 1)
            story = "story" if s.stories == 1 else "stories"
            stats = f"{s.objects} objects  ·  {s.stories} {story}  ·  {s.dashboards} dashboards"
            if s.user:
                stats += "  ·  your template"
            lay.addWidget(label(stats, "muted"))


class BuilderWidget(QScrollArea):
    """The builder page.

    Signals:
        org_built(str): the path of the org that was just built.
        closed(): the user left the builder without building.
    """

    org_built = Signal(str)
    closed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        today: date | None = None,
        summaries: list[TemplateSummary] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pageScroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # The wall clock is read here, at the edge, and passed down as the org's as-of date.
        self.today = today or date.today()
        self.summaries = summaries if summaries is not None else load_summaries()
        self.controller = BuildController(self)
        self.controller.build_progressed.connect(self._on_build_progressed)
        self.controller.build_finished.connect(self._on_build_finished)
        self.controller.build_failed.connect(self._on_build_failed)
        self.controller.build_cancelled.connect(self._on_build_cancelled)
        self.selected: TemplateSummary | None = None
        self.logo_path: str | None = None
        self._color_edited = False
        self._out_edited = False
        self.last_result: BuildResult | None = None

        page = QWidget()
        page.setObjectName("page")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(28, 22, 28, 22)
        outer.setSpacing(14)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(label("New demo org", "pageEyebrow"))
        titles.addWidget(label("Build a demo org for your next customer", "heroTitle"))
        head.addLayout(titles, 1)
        self.close_button = QPushButton("Back to the org")
        self.close_button.clicked.connect(self.closed)
        self.close_button.hide()
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)

        outer.addWidget(self._industry_section())
        row = QHBoxLayout()
        row.setSpacing(14)
        row.addWidget(self._prospect_section(), 1)
        row.addWidget(self._release_section(), 1)
        outer.addLayout(row)
        outer.addWidget(self._size_section())
        outer.addWidget(self._build_section())
        outer.addStretch(1)
        self.setWidget(page)

        first = next((s for s in self.summaries if s.industry == "medical" and not s.error), None)
        first = first or next((s for s in self.summaries if not s.error), None)
        if first is not None:
            self.select_industry(first.industry)
        self._refresh_release()
        self._refresh_preview()

    # --- sections -------------------------------------------------------------------------------------

    def _industry_section(self) -> QWidget:
        card = Card("1  Industry")
        card.body.addWidget(
            label(
                "Every template found, including your own (in your demoorg folder's industries/).",
                "caption",
            )
        )
        grid = QGridLayout()
        grid.setSpacing(12)
        self.industry_cards: dict[str, IndustryCard] = {}
        per_row = 4
        for i, s in enumerate(self.summaries):
            c = IndustryCard(s)
            c.clicked.connect(lambda s=s: self.select_industry(s.industry))
            grid.addWidget(c, i // per_row, i % per_row)
            self.industry_cards[s.industry] = c
        for c in range(per_row):
            grid.setColumnStretch(c, 1)
        if not self.summaries:
            card.body.addWidget(label("No templates found.", "muted"))
        card.body.addLayout(grid)
        return card

    def _prospect_section(self) -> QWidget:
        card = Card("2  Prospect")
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.prospect = QLineEdit("Acme")
        self.prospect.setPlaceholderText("The customer's company name")
        self.prospect.textChanged.connect(self._refresh_preview)
        form.addRow("Company", self.prospect)
        self.domain = QLineEdit()
        self.domain.setPlaceholderText("acme.example.com")
        form.addRow("Email domain", self.domain)
        logo_row = QHBoxLayout()
        self.logo_name = label("No logo: initials on the brand colour", "caption")
        pick_logo = QPushButton("Choose…")
        pick_logo.clicked.connect(self._pick_logo)
        self.clear_logo = QPushButton("Remove")
        self.clear_logo.clicked.connect(lambda: self.set_logo(None))
        self.clear_logo.hide()
        logo_row.addWidget(self.logo_name, 1)
        logo_row.addWidget(pick_logo)
        logo_row.addWidget(self.clear_logo)
        form.addRow("Logo", logo_row)
        color_row = QHBoxLayout()
        self.swatch = ColorSwatch()
        self.color = QLineEdit(theme.ACCENT)
        self.color.setMaximumWidth(110)
        self.color.textEdited.connect(self._on_color_edited)
        pick_color = QPushButton("Pick…")
        pick_color.clicked.connect(self._pick_color)
        color_row.addWidget(self.swatch)
        color_row.addWidget(self.color)
        color_row.addWidget(pick_color)
        color_row.addStretch(1)
        form.addRow("Brand colour", color_row)
        self.locale = QComboBox()
        self.locale.setEditable(True)
        self.locale.addItems(list(LOCALES))
        form.addRow("Locale", self.locale)
        card.body.addLayout(form)
        card.body.addWidget(label("Preview of the org's header", "fieldLabel"))
        frame = QFrame()
        frame.setObjectName("previewFrame")
        frame.setStyleSheet(
            f"#previewFrame {{ border: 1px solid {theme.LINE}; border-radius: 8px; background: {theme.PAGE}; }}"
        )
        # The preview may be narrower than the real header: its tabs clip instead of widening the page.
        frame.setMinimumWidth(200)
        fl = QVBoxLayout(frame)
        fl.setContentsMargins(1, 1, 1, 1)
        fl.setSpacing(0)
        self.preview_header = GlobalHeader(interactive=False)
        self.preview_nav = NavBar()
        self.preview_nav.setMinimumWidth(200)
        self.preview_header.setMinimumWidth(200)
        fl.addWidget(self.preview_header)
        fl.addWidget(self.preview_nav)
        card.body.addWidget(frame)
        return card

    def _release_section(self) -> QWidget:
        card = Card("3  Release and date")
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setDateRange(QDate(2001, 1, 1), QDate(2098, 12, 31))
        self.as_of.setDate(QDate(self.today.year, self.today.month, self.today.day))
        self.as_of.dateChanged.connect(lambda _d: self._fill_releases())
        form.addRow("The org's today", self.as_of)
        self.release = QComboBox()
        self.release.currentIndexChanged.connect(lambda _i: self._refresh_release())
        form.addRow("Release", self.release)
        self.preview_box = QCheckBox("Sandbox preview (features one release early)")
        self.preview_box.toggled.connect(lambda _c: self._refresh_release())
        form.addRow("", self.preview_box)
        card.body.addLayout(form)
        self.release_info = label("", "infoBox", wrap=True)
        self.release_info.setTextFormat(Qt.TextFormat.RichText)
        card.body.addWidget(self.release_info)
        card.body.addWidget(label("Features on this release", "sectionTitle"))
        self.features_box = QVBoxLayout()
        self.features_box.setSpacing(6)
        card.body.addLayout(self.features_box)
        card.body.addStretch(1)
        self._fill_releases()
        return card

    def _size_section(self) -> QWidget:
        card = Card("4  Size and seed")
        row = QHBoxLayout()
        row.setSpacing(24)
        seg = QHBoxLayout()
        seg.setSpacing(0)
        self.size_group = QButtonGroup(self)
        self.size_buttons: dict[str, QPushButton] = {}
        for key, text, hint in (*SIZES, ("custom", "Custom", "any number of records")):
            b = QPushButton(f"{text}\n{hint}")
            b.setObjectName("segment")
            b.setCheckable(True)
            b.setMinimumHeight(52)
            b.setMinimumWidth(150)
            self.size_group.addButton(b)
            self.size_buttons[key] = b
            seg.addWidget(b, 1)
            b.toggled.connect(lambda on, k=key: on and self._on_size(k))
        row.addLayout(seg, 3)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.custom_size = QSpinBox()
        self.custom_size.setRange(50, 20_000_000)
        self.custom_size.setSingleStep(1000)
        self.custom_size.setValue(50_000)
        self.custom_size.setGroupSeparatorShown(True)
        self.custom_size.setSuffix(" records")
        self.custom_size.setEnabled(False)
        self.custom_size.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setValue(1)
        self.seed.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.seed.setToolTip("The same seed and choices give the same org, byte for byte.")
        form.addRow("Records", self.custom_size)
        form.addRow("Seed", self.seed)
        out_row = QHBoxLayout()
        self.out = QLineEdit()
        self.out.textEdited.connect(lambda _t: setattr(self, "_out_edited", True))
        browse = QPushButton("Save as…")
        browse.clicked.connect(self._pick_out)
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        form.addRow("Org file", out_row)
        row.addLayout(form, 2)
        card.body.addLayout(row)
        self.size_buttons["standard"].setChecked(True)
        return card

    def _build_section(self) -> QWidget:
        card = Card(margins=16)
        row = QHBoxLayout()
        row.setSpacing(12)
        status = QVBoxLayout()
        status.setSpacing(6)
        self.summary = label("", "cardTitle")
        self.status = label("Ready to build.", "caption")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.hide()
        status.addWidget(self.summary)
        status.addWidget(self.progress)
        status.addWidget(self.status)
        row.addLayout(status, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("danger")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.build_button = QPushButton("Build demo org")
        self.build_button.setObjectName("primary")
        self.build_button.setMinimumWidth(170)
        self.build_button.setMinimumHeight(38)
        self.build_button.clicked.connect(self.build)
        row.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.build_button, 0, Qt.AlignmentFlag.AlignBottom)
        card.body.addLayout(row)
        self.error = label("", "errorBox", wrap=True)
        self.error.hide()
        card.body.addWidget(self.error)
        return card

    # --- choices ----------------------------------------------------------------------------------------

    def select_industry(self, industry: str) -> None:
        s = next((s for s in self.summaries if s.industry == industry), None)
        if s is None or s.error:
            return
        self.selected = s
        for key, c in self.industry_cards.items():
            c.set_selected(key == industry)
        if not self._color_edited:
            self.color.setText(s.brand_color)
        self._refresh_release()
        self._refresh_preview()

    def set_logo(self, path: str | None) -> None:
        self.logo_path = path
        self.logo_name.setText(Path(path).name if path else "No logo: initials on the brand colour")
        self.clear_logo.setVisible(bool(path))
        self._refresh_preview()

    def set_size(self, key: str, count: int | None = None) -> None:
        """Selects a size (``small``, ``standard``, ``enterprise`` or ``custom`` with a count)."""
        self.size_buttons[key].setChecked(True)
        if count is not None:
            self.custom_size.setValue(count)

    def _on_size(self, key: str) -> None:
        self.custom_size.setEnabled(key == "custom")
        if key != "custom":
            self.custom_size.setValue(m.SIZES[key])

    def _pick_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the prospect's logo", "", "Images (*.png *.svg *.jpg *.jpeg)"
        )
        if path:
            self.set_logo(path)

    def _pick_color(self) -> None:
        c = QColorDialog.getColor(QColor(self.color.text()), self, "Brand colour")
        if c.isValid():
            self.color.setText(c.name().upper())
            self._on_color_edited(c.name())

    def _on_color_edited(self, _text: str) -> None:
        self._color_edited = True
        self._refresh_preview()

    def _pick_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the org as", self.out.text(), "Demo orgs (*.demoorg)"
        )
        if path:
            self.out.setText(path if path.endswith(".demoorg") else path + ".demoorg")
            self._out_edited = True

    def brand_color(self) -> str:
        c = QColor(self.color.text().strip())
        return c.name().upper() if c.isValid() else theme.ACCENT

    def _as_of(self) -> date:
        d = self.as_of.date()
        return date(d.year(), d.month(), d.day())

    def _fill_releases(self) -> None:
        day = self._as_of()
        current = self.release.currentData()
        self.release.blockSignals(True)
        self.release.clear()
        for rel, status in calendar_around(day, before=3, after=3):
            note = {
                "current": "in production",
                "preview": "sandbox preview",
                "past": "earlier",
                "upcoming": "upcoming",
            }[status]
            self.release.addItem(f"{rel.name}  ·  API {rel.api_version}  ·  {note}", rel.index)
        on = release_on(day)
        keep = current if current is not None and self.release.findData(current) >= 0 else on.index
        self.release.setCurrentIndex(self.release.findData(keep))
        self.release.blockSignals(False)
        self._refresh_release()

    def selected_release(self) -> Release:
        idx = self.release.currentData()
        return Release.from_index(int(idx)) if idx is not None else release_on(self._as_of())

    def _refresh_release(self) -> None:
        if not hasattr(self, "features_box"):
            return
        rel = self.selected_release()
        preview = self.preview_box.isChecked()
        shown = rel.next() if preview else rel
        ga = rel.ga_date
        self.release_info.setText(
            f"<b>{rel.name}</b> &nbsp;·&nbsp; API {rel.api_version} &nbsp;·&nbsp; "
            f"GA {ga.strftime('%B')} {ga.day}, {ga.year}"
            + (
                f"<br>Preview: features of {shown.name} (API {shown.api_version})"
                if preview
                else ""
            )
        )
        clear_layout(self.features_box)
        tpl = self.selected.template if self.selected else None
        if tpl is None or not tpl.features:
            self.features_box.addWidget(label("This template declares no features.", "muted"))
            return
        for f, stage in feature_stages(tpl, rel, preview):
            row = QHBoxLayout()
            b = stage_badge(stage)
            b.setFixedWidth(104)
            row.addWidget(b)
            name = label(f.label, "fieldValue")
            name.setToolTip(f.description)
            row.addWidget(name, 1)
            self.features_box.addLayout(row)

    def _refresh_preview(self) -> None:
        if not hasattr(self, "preview_header"):
            return
        name = self.prospect.text().strip() or "Acme"
        color = self.brand_color()
        self.swatch.set_color(color)
        self.preview_header.set_brand(name, color, self.logo_path)
        self.preview_header.chip.setText(
            self.selected_release().name if self.release.count() else ""
        )
        tpl = self.selected.template if self.selected else None
        self.preview_nav.setStyleSheet(
            f"#navBar {{ border-bottom: 3px solid {color}; }} "
            f"QToolButton#navTab:checked {{ border-bottom: 3px solid {color}; }}"
        )
        if tpl is not None and tpl.apps:
            app = tpl.apps[0]
            objs = {o.name: o for o in tpl.objects}
            dashes = {d.key: d.label for d in tpl.dashboards}
            self.preview_nav.set_tabs(
                app.label, [(t, tab_label(t, objs, dashes)) for t in app.tabs[:6]]
            )
            if app.tabs:
                self.preview_nav.set_current(app.tabs[0])
        if self.selected is not None:
            if not self._out_edited:
                self.out.setText(str(default_out(name, self.selected.industry)))
            self.summary.setText(f"{name} · {self.selected.label}")

    # --- building -------------------------------------------------------------------------------------

    def request(self) -> BuildRequest:
        """The build the form describes.

        Raises:
            DemoOrgError: a value is wrong (the message says which and what was expected).
        """
        from demoorg.errors import UsageError
        from demoorg.seeders.plan import (
            BuildParams,
            Prospect,
            check_domain,
            check_prospect_name,
            parse_size,
        )
        from demoorg.seeders.pools import check_locale

        if self.selected is None or self.selected.template is None:
            raise UsageError("pick an industry first")
        name = check_prospect_name(self.prospect.text())
        domain = self.domain.text().strip() or None
        if domain is not None:
            check_domain(domain)
        size_key = next(k for k, b in self.size_buttons.items() if b.isChecked())
        size, size_name = parse_size(self.custom_size.value() if size_key == "custom" else size_key)
        locale = check_locale(self.locale.currentText().strip())
        color = self.color.text().strip()
        if not (len(color) == 7 and color.startswith("#") and QColor(color).isValid()):
            raise UsageError(f"invalid colour {color!r} (expected #RRGGBB)")
        out_text = self.out.text().strip()
        if not out_text:
            raise UsageError("no org file given (expected a path such as acme.demoorg)")
        params = BuildParams(
            industry=self.selected.industry,
            seed=self.seed.value(),
            size=size,
            size_name=size_name,
            locale=locale,
            as_of=self._as_of(),
            release=self.selected_release(),
            preview=self.preview_box.isChecked(),
            prospect=Prospect(
                name,
                domain,
                color.upper(),
                str(Path(self.logo_path).resolve()) if self.logo_path else None,
            ),
        )
        return BuildRequest(self.selected.template, params, Path(out_text).expanduser())

    def build(self) -> None:
        """Starts the build the form describes (errors appear on the page)."""
        if self.controller.is_running():
            return
        self.error.hide()
        try:
            req = self.request()
        except DemoOrgError as exc:
            self._show_error(str(exc))
            return
        self.start(req)

    def start(self, req: BuildRequest) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("Planning the org…")
        self.build_button.setEnabled(False)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.controller.start(req)

    def cancel(self) -> None:
        if self.controller.is_running():
            self.status.setText("Cancelling after the current batch…")
            self.cancel_button.setEnabled(False)
            self.controller.cancel()

    def _reset_buttons(self) -> None:
        self.build_button.setEnabled(True)
        self.cancel_button.hide()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.status.setText("The org was not built.")

    def _on_build_progressed(self, p: Progress, elapsed: float) -> None:
        percent, text = progress_text(p, elapsed)
        self.progress.setValue(percent)
        self.status.setText(text)

    def _on_build_finished(self, result: BuildResult) -> None:
        self.last_result = result
        self._reset_buttons()
        self.progress.setValue(100)
        self.status.setText(
            f"Built {result.path.name}: {result.rows:,} records in {result.seconds:.1f} s."
        )
        self.org_built.emit(str(result.path))

    def _on_build_failed(self, message: str) -> None:
        self._reset_buttons()
        self.progress.hide()
        self._show_error(message)

    def _on_build_cancelled(self) -> None:
        self._reset_buttons()
        self.progress.hide()
        self.status.setText("Cancelled. Nothing was written.")


def _clip(text: str, n: int) -> str:
    """Text cut at a word boundary to about ``n`` characters."""
    if len(text) <= n:
        return text
    return text[:n].rsplit(" ", 1)[0].rstrip(",;:") + "…"
