"""Presenting a story: the presenter console, the audience window and the keys that drive them.

:class:`Presenter` owns a working copy of the org (``open_session``), a
:class:`demoorg.present.StoryRunner` over it, and two windows: the :class:`AudienceWindow` (the org
on the projector) and the :class:`PresenterConsole` (talk track, notes, timers, live actions, the
scene list). Runner moves run one at a time (about a millisecond each); keys pressed meanwhile are
ignored. After the runner's ``data_changed`` the audience re-reads what it shows.

``run_presenter(org_path, story_path)`` opens both windows (tests and the main window use it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from demoorg.content.stories import StoryDef, load_story
from demoorg.errors import DemoOrgError
from demoorg.org.query import OrgReader
from demoorg.present import (
    BoothMode,
    PresentError,
    Rehearsal,
    RehearsalLog,
    SceneView,
    StoryRunner,
    feedback_on,
    open_session,
)
from demoorg.present.catalog import template_of_org
from demoorg.ui import theme
from demoorg.ui.actions import ActionRegistry
from demoorg.ui.audience import AudienceWindow
from demoorg.ui.widgets import Badge

#: Every key of the presenter, registered on both windows.
PRESENTER_ACTIONS = (
    "demoorg.presenter.next",
    "demoorg.presenter.back",
    "demoorg.presenter.black",
    "demoorg.presenter.white",
    "demoorg.presenter.jump",
    "demoorg.presenter.reset",
    "demoorg.presenter.feedback",
    "demoorg.presenter.pause",
    "demoorg.presenter.rehearse",
    "demoorg.presenter.booth",
    "demoorg.presenter.report",
    "demoorg.presenter.end",
)
#: Seconds a first R stays armed, waiting for the second R that resets.
RESET_CONFIRM_SECONDS = 4.0
BOOTH_TICK_MS = 250

CONSOLE_QSS = """
#console { background: #0B1220; }
#console QLabel { color: #E2E8F0; background: transparent; }
#consoleTop { background: #111A2E; border-bottom: 1px solid #1F2A44; }
#consoleBottom { background: #111A2E; border-top: 1px solid #1F2A44; }
#storyTitle { font-size: 15px; font-weight: 700; color: #F8FAFC; }
#storyMeta, #dim { color: #8B9BB4; font-size: 12px; }
#sceneNumber { color: #7DD3FC; font-size: 13px; font-weight: 700; }
#sceneTitle { font-size: 30px; font-weight: 700; color: #FFFFFF; }
#panel { background: #131D33; border: 1px solid #22304D; border-radius: 12px; }
#panelTitle { color: #8B9BB4; font-size: 11px; font-weight: 700; }
#notes { color: #FDE68A; font-size: 16px; }
#nextTitle { color: #F8FAFC; font-size: 17px; font-weight: 600; }
#clock { color: #F8FAFC; font-size: 26px; font-weight: 700; }
#timer { font-size: 26px; font-weight: 700; border-radius: 10px; padding: 4px 14px; }
#timer[state="ok"] { background: #14532D; color: #BBF7D0; }
#timer[state="warn"] { background: #78350F; color: #FDE68A; }
#timer[state="over"] { background: #7F1D1D; color: #FECACA; }
#timer[state="paused"] { background: #334155; color: #CBD5E1; }
#fls { background: #3B2A06; border: 1px solid #B45309; border-radius: 10px; color: #FCD34D;
       padding: 8px 12px; font-size: 13px; }
#notice { background: #1E293B; border: 1px solid #475569; border-radius: 10px; color: #CBD5E1;
          padding: 8px 12px; font-size: 13px; }
#status { color: #7DD3FC; font-size: 13px; font-weight: 600; }
#error { color: #FCA5A5; font-size: 13px; font-weight: 600; }
#actionDone { color: #86EFAC; font-size: 15px; }
#actionNext { color: #FFFFFF; font-size: 15px; font-weight: 700; background: #1D4ED8;
              border-radius: 8px; padding: 6px 10px; }
#actionTodo { color: #94A3B8; font-size: 15px; }
QTextBrowser#say { background: transparent; border: none; color: #F8FAFC; font-size: 24px; }
QListWidget#scenes { background: #131D33; border: 1px solid #22304D; border-radius: 12px;
                     color: #E2E8F0; font-size: 14px; padding: 6px; outline: none; }
QListWidget#scenes::item { padding: 7px 8px; border-radius: 6px; }
QListWidget#scenes::item:selected { background: #1D4ED8; color: #FFFFFF; }
#console QPushButton { background: #1E293B; color: #E2E8F0; border: 1px solid #334155;
                       border-radius: 8px; padding: 8px 14px; font-weight: 600; }
#console QPushButton:hover { background: #273449; }
#console QPushButton:checked { background: #0E7490; border-color: #22D3EE; color: #FFFFFF; }
#console QPushButton:disabled { color: #475569; border-color: #1E293B; }
#console QPushButton#primary { background: #2563EB; border-color: #3B82F6; color: #FFFFFF;
                               padding: 8px 26px; }
#console QPushButton#primary:hover { background: #1D4ED8; }
#console QPushButton#danger { color: #FCA5A5; }
#console QComboBox { background: #1E293B; color: #E2E8F0; border: 1px solid #334155; }
#thumb { background: #000000; border: 1px solid #22304D; border-radius: 6px; }
"""


def clock_text(seconds: float) -> str:
    """``m:ss`` (``-m:ss`` when negative)."""
    sign = "-" if seconds < 0 else ""
    s = int(abs(seconds) + 0.5) if seconds >= 0 else int(abs(seconds))
    return f"{sign}{s // 60}:{s % 60:02d}"


def timer_state(elapsed: float, budget: float) -> str:
    """``ok`` (green) under 80 % of the budget, ``warn`` (amber) up to it, ``over`` (red) past."""
    if elapsed > budget:
        return "over"
    return "warn" if elapsed >= 0.8 * budget else "ok"


class PausableClock:
    """Seconds from ``base`` that stand still while paused (Q&A stops every timer)."""

    def __init__(self, base: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self._paused_total = 0.0
        self._paused_at: float | None = None

    def __call__(self) -> float:
        now = self._paused_at if self._paused_at is not None else self.base()
        return now - self._paused_total

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self.base()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused_total += self.base() - self._paused_at
            self._paused_at = None


def _perform(runner: StoryRunner, call: Callable[[], Any]) -> tuple[SceneView | None, str]:
    """One runner call, then the new view; an error names what failed (the runner stays at a
    consistent position)."""
    error = ""
    try:
        call()
    except (DemoOrgError, IndexError) as exc:
        error = str(exc)
    try:
        view = runner.view()
    except DemoOrgError as exc:  # pragma: no cover - the working copy went away
        return None, error or str(exc)
    return view, error


def _panel(title: str | None = None) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("panel")
    lay = QVBoxLayout(frame)
    lay.setContentsMargins(16, 12, 16, 14)
    lay.setSpacing(8)
    if title:
        lay.addWidget(_label(title.upper(), "panelTitle"))
    return frame, lay


def _label(text: str = "", name: str | None = None, wrap: bool = False) -> QLabel:
    w = QLabel(text)
    if name:
        w.setObjectName(name)
    w.setWordWrap(wrap)
    w.setTextFormat(Qt.TextFormat.PlainText)
    return w


def _clear(lay: QVBoxLayout | QHBoxLayout) -> None:
    while lay.count():
        item = lay.takeAt(0)
        w = item.widget()
        if w is not None:
            w.hide()
            w.deleteLater()


class PresenterConsole(QWidget):
    """The presenter's private window: what to say, what is next, how the time goes."""

    def __init__(self, presenter: Presenter) -> None:
        super().__init__()
        self.presenter = presenter
        self.setObjectName("console")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(CONSOLE_QSS)
        story = presenter.runner.story
        self.setWindowTitle(f"Presenter — {story.title}")
        self.setMinimumSize(1100, 700)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # A window's layout never changes its size hints while shown (offscreen warns).
        outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        outer.setSpacing(0)

        # top: the story, the clocks
        top = QFrame()
        top.setObjectName("consoleTop")
        trow = QHBoxLayout(top)
        trow.setContentsMargins(20, 12, 20, 12)
        trow.setSpacing(18)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(_label(story.title, "storyTitle"))
        prospect = presenter.session.meta.get("prospect", {}).get("name", "")
        mode = "Rehearsal" if presenter.rehearsal else "Live"
        self.story_meta = _label(f"{story.persona} · {prospect} · {mode}", "storyMeta")
        titles.addWidget(self.story_meta)
        trow.addLayout(titles, 1)
        self.status = _label("", "status")
        trow.addWidget(self.status)
        story_box = QVBoxLayout()
        story_box.setSpacing(0)
        story_box.addWidget(_label("STORY", "panelTitle"), 0, Qt.AlignmentFlag.AlignRight)
        self.story_clock = _label("0:00", "clock")
        story_box.addWidget(self.story_clock, 0, Qt.AlignmentFlag.AlignRight)
        trow.addLayout(story_box)
        scene_box = QVBoxLayout()
        scene_box.setSpacing(0)
        scene_box.addWidget(_label("THIS SCENE", "panelTitle"), 0, Qt.AlignmentFlag.AlignRight)
        self.timer = _label("0:00 / 0:00", "timer")
        scene_box.addWidget(self.timer, 0, Qt.AlignmentFlag.AlignRight)
        trow.addLayout(scene_box)
        outer.addWidget(top)

        # middle: the scene (left), what's next (right)
        mid = QHBoxLayout()
        mid.setContentsMargins(20, 16, 20, 12)
        mid.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(10)
        self.scene_number = _label("", "sceneNumber")
        left.addWidget(self.scene_number)
        self.scene_title = _label("", "sceneTitle", wrap=True)
        left.addWidget(self.scene_title)
        self.badges = QHBoxLayout()
        self.badges.setSpacing(6)
        badge_row = QHBoxLayout()
        badge_row.addLayout(self.badges)
        badge_row.addStretch(1)
        left.addLayout(badge_row)
        self.fls = _label("", "fls", wrap=True)
        self.fls.hide()
        left.addWidget(self.fls)
        self.notices = _label("", "notice", wrap=True)
        self.notices.hide()
        left.addWidget(self.notices)
        say_panel, say_lay = _panel("Talk track")
        self.say = QTextBrowser()
        self.say.setObjectName("say")
        self.say.setOpenLinks(False)
        self.say.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        say_lay.addWidget(self.say, 1)
        left.addWidget(say_panel, 3)
        notes_panel, notes_lay = _panel("Private notes")
        self.notes = _label("", "notes", wrap=True)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop)
        notes_lay.addWidget(self.notes, 1)
        left.addWidget(notes_panel, 1)
        mid.addLayout(left, 62)

        right = QVBoxLayout()
        right.setSpacing(12)
        thumb_panel, thumb_lay = _panel("On screen")
        self.thumb = QLabel()
        self.thumb.setObjectName("thumb")
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setFixedHeight(190)
        self.thumb.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        thumb_lay.addWidget(self.thumb)
        self.spot_text = _label("", "dim", wrap=True)
        thumb_lay.addWidget(self.spot_text)
        right.addWidget(thumb_panel)
        actions_panel, actions_lay = _panel("Live actions")
        self.actions_box = QVBoxLayout()
        self.actions_box.setSpacing(6)
        actions_lay.addLayout(self.actions_box)
        self.actions_panel = actions_panel
        right.addWidget(actions_panel)
        next_panel, next_lay = _panel("Up next")
        self.next_title = _label("", "nextTitle", wrap=True)
        next_lay.addWidget(self.next_title)
        self.next_preview = _label("", "dim", wrap=True)
        next_lay.addWidget(self.next_preview)
        right.addWidget(next_panel)
        self.scene_list = QListWidget()
        self.scene_list.setObjectName("scenes")
        self.scene_list.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.scene_list.itemActivated.connect(self._on_scene_activated)
        self.scene_list.itemDoubleClicked.connect(self._on_scene_activated)
        right.addWidget(_label("SCENES", "panelTitle"))
        right.addWidget(self.scene_list, 1)
        mid.addLayout(right, 38)
        outer.addLayout(mid, 1)

        # bottom: buttons
        bottom = QFrame()
        bottom.setObjectName("consoleBottom")
        brow = QHBoxLayout(bottom)
        brow.setContentsMargins(20, 10, 20, 10)
        brow.setSpacing(8)
        self.buttons: dict[str, QPushButton] = {}
        for action_id, text, name, checkable in (
            ("demoorg.presenter.back", "◀  Back", None, False),
            ("demoorg.presenter.next", "Next  ▶", "primary", False),
            ("demoorg.presenter.black", "Black", None, False),
            ("demoorg.presenter.feedback", "Feedback…", None, False),
            ("demoorg.presenter.pause", "Pause for Q&&A", None, True),
            (None, "", None, False),
            ("demoorg.presenter.rehearse", "Rehearsal", None, True),
            ("demoorg.presenter.booth", "Booth mode", None, True),
            ("demoorg.presenter.report", "Report", None, False),
            ("demoorg.presenter.reset", "Reset", "danger", False),
            ("demoorg.presenter.end", "End", None, False),
        ):
            if action_id is None:
                brow.addStretch(1)
                self.screen_box = QComboBox()
                self.screen_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                brow.addWidget(_label("Audience on", "dim"))
                brow.addWidget(self.screen_box)
                continue
            b = QPushButton(text)
            if name:
                b.setObjectName(name)
            b.setCheckable(checkable)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _c=False, a=action_id: presenter.trigger(a))
            self.buttons[action_id] = b
            brow.addWidget(b)
        outer.addWidget(bottom)
        self._fill_scene_list()

    # --- showing ---------------------------------------------------------------------------------

    def _fill_scene_list(self) -> None:
        runner = self.presenter.runner
        self.scene_list.clear()
        number = 0
        for info in runner.scenes:
            title = runner.fill(info.scene.title)
            budget = clock_text(info.scene.budget)
            if info.available:
                number += 1
                item = QListWidgetItem(f"{number:>2}   {title}    ·  {budget}")
            else:
                item = QListWidgetItem(f"  –   {title}    ·  skipped")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setToolTip(info.reason)
            item.setData(Qt.ItemDataRole.UserRole, info.index)
            self.scene_list.addItem(item)

    def update_view(self, view: SceneView) -> None:
        runner = self.presenter.runner
        self.scene_number.setText(f"SCENE {view.number} OF {view.count}")
        self.scene_title.setText(view.title)
        _clear(self.badges)
        for b in view.badges:
            fg, bg = theme.STAGE_COLORS.get(b.stage, theme.STAGE_COLORS["Not available"])
            self.badges.addWidget(Badge(f"{b.label} · {b.stage}", fg, bg))
        if view.forward_looking:
            names = ", ".join(f"{b.label} ({b.stage})" for b in view.badges if b.forward_looking)
            self.fls.setText(
                "⚠  Forward-looking statements: show the safe-harbor slide. "
                f"{names} is not generally available; customers should buy on GA features."
            )
        self.fls.setVisible(view.forward_looking)
        self.notices.setText("\n".join(f"⤼  {n}" for n in view.notices))
        self.notices.setVisible(bool(view.notices))
        self.say.setMarkdown(view.say)
        self.notes.setText(view.notes or "—")
        _clear(self.actions_box)
        for a in view.actions:
            if a.done:
                w = _label(f"✓  {a.label}", "actionDone", wrap=True)
            elif a.index == view.step:
                w = _label(f"▶  Next press: {a.label}", "actionNext", wrap=True)
            else:
                w = _label(f"○  {a.label}", "actionTodo", wrap=True)
            self.actions_box.addWidget(w)
        self.actions_panel.setVisible(bool(view.actions))
        nxt = None
        pos = runner.available.index(view.index)
        if pos + 1 < len(runner.available):
            nxt = runner.scenes[runner.available[pos + 1]].scene
        if view.next_action:
            self.next_title.setText(f"Live action: {view.next_action}")
            self.next_preview.setText(f"Then: {view.next_title or 'the end of the story'}")
        elif view.next_title and nxt is not None:
            self.next_title.setText(view.next_title)
            self.next_preview.setText(self.presenter.describe_show(nxt))
        else:
            self.next_title.setText("End of the story")
            self.next_preview.setText("Esc ends the presentation.")
        spot = f"  ·  spotlight on {view.spotlight}" if view.spotlight else ""
        shown = self.presenter.describe_target(view)
        self.spot_text.setText(f"{shown}{spot}")
        for row in range(self.scene_list.count()):
            item = self.scene_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == view.index:
                self.scene_list.setCurrentRow(row)
        self.buttons["demoorg.presenter.back"].setEnabled(not view.is_first)
        self.buttons["demoorg.presenter.next"].setEnabled(not view.is_last)
        self.tick()

    def set_thumbnail(self, pixmap: Any) -> None:
        w = max(1, self.thumb.width() - 4)
        self.thumb.setPixmap(
            pixmap.scaled(
                w,
                self.thumb.height() - 4,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def tick(self) -> None:
        p = self.presenter
        t = p.runner.timer()
        self.story_clock.setText(f"{clock_text(t.story_elapsed)} / {clock_text(t.story_length)}")
        state = "paused" if p.clock.paused else timer_state(t.elapsed, t.budget)
        left = t.budget - t.elapsed
        tail = f"  {clock_text(left)} left" if left >= 0 else f"  +{clock_text(-left)} over"
        self.timer.setText(f"{clock_text(t.elapsed)} / {clock_text(t.budget)}{tail}")
        if self.timer.property("state") != state:
            self.timer.setProperty("state", state)
            self.timer.style().unpolish(self.timer)
            self.timer.style().polish(self.timer)

    def show_status(self, text: str, error: bool = False) -> None:
        self.status.setObjectName("error" if error else "status")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)

    def _on_scene_activated(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(index, int):
            self.presenter.jump(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.presenter.key_pressed(event)
        if not event.isAccepted():
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.presenter.end()
        super().closeEvent(event)


class Presenter(QObject):
    """A presentation of one story on a working copy of an org, with its two windows.

    Signals:
        moved(): a move finished and both windows show the new position (``view``).
        ended(): the presentation ended (the working copy is gone).
    """

    moved = Signal()
    ended = Signal()

    def __init__(
        self,
        org_path: str | Path,
        story: StoryDef,
        today: date | None = None,
        settings: QSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        rehearsal: bool = False,
    ) -> None:
        super().__init__()
        self.org_path = org_path if "://" in str(org_path) else Path(org_path)  # a server org: URL
        self.settings = settings
        self.session = open_session(self.org_path, today=today or date.today())
        self.clock = PausableClock(clock)
        try:
            self.runner = StoryRunner(self.session, story, self.clock)
        except DemoOrgError:
            self.session.close()
            raise
        self.log = RehearsalLog(self.org_path)
        self.reader = OrgReader(self.session.org)
        # The runner's events arrive in this thread (moves run here: each takes a millisecond or
        # so on a standard org). They are plain callbacks, not signals: PySide 6.12 loses a
        # reference to None for every Python object sent through a signal, which crashes a long
        # presentation.
        self.runner.data_changed.connect(self._on_data_changed)
        self.busy = False
        self.digits = ""
        self.finished = False
        self.rehearsal: Rehearsal | None = None
        self.booth: BoothMode | None = None
        self.report_window: QWidget | None = None
        self.feedback_dialog: QWidget | None = None
        self._reset_armed_until = 0.0
        self.last_error = ""
        self.saved_runs: list[int] = []

        self.audience = AudienceWindow(self.reader)
        self.audience.key_pressed.connect(self.key_pressed)
        self.console = PresenterConsole(self)
        self.registries = []
        for window in (self.console, self.audience):
            reg = ActionRegistry(window, settings)
            for action_id in PRESENTER_ACTIONS:
                reg.add(action_id, lambda a=action_id: self.trigger(a))
            self.registries.append(reg)
        for action_id, button in self.console.buttons.items():
            button.setToolTip(self.registries[0][action_id].toolTip())
        if rehearsal:
            self.set_rehearsal(True)
        self.view = self.runner.view()
        self.audience.show_view(self.view)
        self.console.update_view(self.view)
        self.timer = QTimer(self)
        self.timer.setInterval(BOOTH_TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self._fill_screens()

    # --- windows --------------------------------------------------------------------------------

    def _fill_screens(self) -> None:
        box = self.console.screen_box
        box.blockSignals(True)
        box.clear()
        for i, screen in enumerate(QGuiApplication.screens()):
            geo = screen.geometry()
            box.addItem(f"Display {i + 1}: {screen.name()} ({geo.width()}×{geo.height()})", i)
        box.addItem("A window", -1)
        box.setCurrentIndex(1 if len(QGuiApplication.screens()) > 1 else box.count() - 1)
        box.blockSignals(False)
        box.currentIndexChanged.connect(lambda _i: self.place_audience())

    def show(self) -> None:
        """Shows the console, and the audience full screen on another display when there is one
        (a separate window otherwise, so only the audience window is shared)."""
        screens = QGuiApplication.screens()
        self.console.resize(1280, 800)
        if screens:
            geo = screens[0].availableGeometry()
            self.console.move(geo.topLeft())
        self.console.show()
        self.place_audience()
        self.console.activateWindow()
        QTimer.singleShot(200, self._update_thumbnail)

    def place_audience(self) -> None:
        screens = QGuiApplication.screens()
        index = self.console.screen_box.currentData()
        if isinstance(index, int) and 0 <= index < len(screens):
            self.audience.place_on(screens[index], full_screen=True)
        elif screens:
            self.audience.place_on(screens[0], full_screen=False)
        else:
            self.audience.show()

    # --- keys ------------------------------------------------------------------------------------

    def trigger(self, action_id: str) -> None:
        """Runs a presenter action by id (keys and console buttons come here)."""
        if self.finished:
            return
        if self.busy and action_id not in ("demoorg.presenter.end", "demoorg.presenter.pause"):
            return  # a live action is running: ignore input until it is done
        if self.booth is not None and action_id not in (
            "demoorg.presenter.booth",
            "demoorg.presenter.end",
        ):
            self.booth.touch()
        {
            "demoorg.presenter.next": self.next,
            "demoorg.presenter.back": self.back,
            "demoorg.presenter.black": lambda: self.toggle_blank("black"),
            "demoorg.presenter.white": lambda: self.toggle_blank("white"),
            "demoorg.presenter.jump": self.go,
            "demoorg.presenter.reset": self.reset,
            "demoorg.presenter.feedback": self.open_feedback,
            "demoorg.presenter.pause": self.toggle_pause,
            "demoorg.presenter.rehearse": lambda: self.set_rehearsal(self.rehearsal is None),
            "demoorg.presenter.booth": lambda: self.set_booth(self.booth is None),
            "demoorg.presenter.report": self.show_report,
            "demoorg.presenter.end": self.end,
        }[action_id]()

    def key_pressed(self, event: QKeyEvent) -> None:
        """Digits typed before Enter or G pick a scene by number."""
        text = event.text()
        if text.isdigit() and not self.busy and not self.finished:
            self.digits = (self.digits + text)[-3:]
            self.console.show_status(f"Go to scene {self.digits} — press Enter or G")
            event.accept()
        else:
            event.ignore()

    # --- moving ----------------------------------------------------------------------------------

    def _run(self, call: Callable[[], Any], status: str = "") -> bool:
        """Runs a move; keys that arrive meanwhile (a double-pressed clicker) are dropped."""
        if self.busy or self.finished:
            return False
        self.busy = True
        if status:
            self.console.show_status(status)
        view, error = _perform(self.runner, call)
        self._on_done(view, error)
        # Stay busy until the input queued during the move has been delivered (and ignored).
        QTimer.singleShot(0, self._release)
        return True

    def _release(self) -> None:
        self.busy = False

    def next(self) -> None:
        if self.audience.blank_mode:
            self.toggle_blank(None)
            return
        label = self.view.next_action
        self._run(self._next_or_skip, f"Running: {label}…" if label else "")

    def _next_or_skip(self) -> Any:
        """Next; a live action that cannot run on this org (its record is missing in a small
        build) is passed over with a notice, so the presentation goes on."""
        pending = self.view.next_action
        try:
            return self.runner.next()
        except DemoOrgError as exc:
            if not pending or self.runner.step >= self.runner.current.steps:
                raise
            self.runner.skip()
            raise DemoOrgError(f"Skipped “{pending}”: {exc}") from None

    def back(self) -> None:
        if self.audience.blank_mode:
            self.toggle_blank(None)
            return
        self._run(self.runner.back)

    def jump(self, index: int) -> None:
        self.digits = ""
        self._run(lambda: self.runner.jump(index), f"Going to scene {index + 1}…")

    def go(self) -> None:
        """Enter or G: jumps to the scene typed in digits (its number among shown scenes), or to
        the scene selected in the list."""
        digits, self.digits = self.digits, ""
        available = self.runner.available
        if digits:
            n = int(digits)
            if not 1 <= n <= len(available):
                self.console.show_status(f"No scene {n} (1 to {len(available)})", error=True)
                return
            self.jump(available[n - 1])
            return
        item = self.console.scene_list.currentItem()
        index = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(index, int) and index != self.runner.index:
            self.jump(index)
        else:
            self.console.scene_list.setFocus()
            self.console.show_status("Type a scene number, then Enter")

    def reset(self, confirmed: bool = False) -> None:
        """R arms, a second R within a few seconds resets the data and goes to the first scene."""
        now = time.monotonic()
        if not confirmed and now > self._reset_armed_until:
            self._reset_armed_until = now + RESET_CONFIRM_SECONDS
            self.console.show_status("Reset the demo data? Press R again to confirm")
            return
        self._reset_armed_until = 0.0
        self._run(self.runner.reset, "Resetting…")

    def _on_data_changed(self, event: Any) -> None:
        self.audience.refresh(event.changes)

    def _on_done(self, view: SceneView | None, error: str) -> None:
        if self.finished:
            return
        self.last_error = error
        if view is not None:
            self.view = view
            self.audience.show_view(view)
            self.console.update_view(view)
        self.console.show_status(error, error=True) if error else self.console.show_status("")
        QTimer.singleShot(150, self._update_thumbnail)
        self.moved.emit()

    def _update_thumbnail(self) -> None:
        if not self.finished and self.audience.isVisible():
            self.console.set_thumbnail(self.audience.grab())

    # --- screens, pause ----------------------------------------------------------------------------

    def toggle_blank(self, mode: str | None) -> None:
        """Black (B, ".") or white (W) screen; the same key again shows the org."""
        new = None if mode is None or self.audience.blank_mode == mode else mode
        self.audience.set_blank(new)
        self.console.show_status(f"Audience sees a {new} screen" if new else "")

    def toggle_pause(self) -> None:
        """Pause for Q&A: every timer (scene, story, rehearsal, booth) stands still."""
        if self.clock.paused:
            self.clock.resume()
            self.console.show_status("")
        else:
            self.clock.pause()
            self.console.show_status("Paused for Q&A — timers stopped")
        self.console.buttons["demoorg.presenter.pause"].setChecked(self.clock.paused)
        self.console.tick()

    # --- rehearsal, feedback, booth -------------------------------------------------------------------

    def set_rehearsal(self, on: bool) -> None:
        """Starts timing a rehearsal, or stops it, saves the run and opens the report."""
        if on and self.rehearsal is None:
            self.rehearsal = Rehearsal(self.runner, "rehearsal")
            self.console.show_status("Rehearsal: this run is timed and saved")
        elif not on and self.rehearsal is not None:
            self._save_rehearsal()
            self.show_report()
        self.console.buttons["demoorg.presenter.rehearse"].setChecked(self.rehearsal is not None)
        mode = "Rehearsal" if self.rehearsal else ("Booth" if self.booth else "Live")
        meta = self.console.story_meta.text().rsplit(" · ", 1)[0]
        self.console.story_meta.setText(f"{meta} · {mode}")

    def _save_rehearsal(self) -> None:
        assert self.rehearsal is not None
        started = datetime.now()
        n = len(self.log.runs(self.runner.story.key)) + 1
        run = self.rehearsal.finish(
            started_at=started.isoformat(timespec="minutes"),
            label=f"Run {n} · {started:%b} {started.day} {started:%H:%M}",
        )
        self.rehearsal = None
        try:
            self.saved_runs.append(self.log.save_run(run))
        except DemoOrgError as exc:
            self.console.show_status(str(exc), error=True)

    def show_report(self) -> None:
        from demoorg.ui.report import RehearsalReportWindow

        if self.report_window is not None:
            self.report_window.close()
        self.report_window = RehearsalReportWindow(
            self.runner.story, self.log, fill=self.runner.fill
        )
        self.report_window.show()
        self.report_window.activateWindow()

    def open_feedback(self) -> None:
        """F: a small dialog tags the current scene (F again while it is open brings it back,
        rather than stacking a second one the end of the presentation would leave behind)."""
        from demoorg.ui.report import FeedbackDialog

        if self.feedback_dialog is not None and self.feedback_dialog.isVisible():
            self.feedback_dialog.raise_()
            self.feedback_dialog.activateWindow()
            return
        dlg = FeedbackDialog(self.view.title, self.console)
        dlg.submitted.connect(self.save_feedback)
        self.feedback_dialog = dlg
        dlg.open()

    def save_feedback(self, kind: str, text: str) -> bool:
        """Tags the current scene with a customer's reaction, question or missing feature."""
        if self.finished:  # the working copy is gone; nothing to tag
            return False
        note = feedback_on(self.runner, kind, text, at=datetime.now().isoformat(timespec="seconds"))
        try:
            self.log.add_feedback(note)
        except (DemoOrgError, ValueError) as exc:
            self.console.show_status(str(exc), error=True)
            return False
        self.console.show_status(f"Feedback saved on “{self.view.title}”")
        return True

    def set_booth(self, on: bool) -> None:
        """Booth mode: the story plays itself, loops, and resets after visitors leave."""
        if on and self.booth is None:
            self.booth = BoothMode(self.runner, clock=self.clock)
            self.console.show_status("Booth mode: auto-advancing")
        elif not on and self.booth is not None:
            self.booth.close()
            self.booth = None
            self.console.show_status("")
        self.console.buttons["demoorg.presenter.booth"].setChecked(self.booth is not None)

    def _tick(self) -> None:
        if self.finished:
            return
        self.console.tick()
        if self.booth is not None and not self.busy and not self.clock.paused:
            self._run(self.booth.tick, "Booth")

    # --- describing ----------------------------------------------------------------------------------

    def describe_show(self, scene: Any) -> str:
        show = scene.show
        if show.kind == "dashboard":
            try:
                return f"Dashboard · {self.reader.dashboard(show.dashboard)['label']}"
            except KeyError:
                return f"Dashboard · {show.dashboard}"
        info = self.reader.objects.get(show.object or "")
        name = info.label if info is not None else show.object
        if show.kind == "list":
            plural = info.plural if info is not None else show.object
            return f"List · {plural}" + (" (filtered)" if show.where.clauses else "")
        ref = show.record
        if ref is not None and ref.hero:
            hero = self.runner.fill("{hero." + ref.hero + "}")
            return f"{name} · {hero}"
        return f"{name} record"

    def describe_target(self, view: SceneView) -> str:
        t = view.show
        if t.kind == "dashboard":
            return self.describe_show(self.runner.scenes[view.index].scene)
        info = self.reader.objects.get(t.object or "")
        if t.kind == "record":
            return f"{info.label if info else t.object} · {t.record_name or t.problem}"
        return f"List · {info.plural if info else t.object}"

    # --- the end ---------------------------------------------------------------------------------------

    def end(self) -> None:
        """Ends the presentation: saves a rehearsal in progress, closes the windows, removes the
        working copy."""
        if self.finished:
            return
        self.finished = True
        self.timer.stop()
        if self.rehearsal is not None:
            self._save_rehearsal()
        if self.booth is not None:
            self.booth.close()
            self.booth = None
        self.audience.close()
        if self.console.isVisible():
            self.console.close()
        if self.feedback_dialog is not None:
            self.feedback_dialog.close()
        self.session.close()
        self.ended.emit()


def load_story_for(org_meta: dict[str, Any], story_path: str | Path) -> StoryDef:
    """Loads a story file against the template of the org's industry."""
    tpl = template_of_org(org_meta)
    if tpl is None:
        raise PresentError(
            f"the template {org_meta['build'].get('industry')!r} of this org is not installed"
        )
    return load_story(Path(story_path), tpl)


def run_presenter(
    org_path: str | Path,
    story_path: str | Path,
    today: date | None = None,
    settings: QSettings | None = None,
    clock: Callable[[], float] = time.monotonic,
    rehearsal: bool = False,
    show: bool = True,
) -> Presenter:
    """Opens a presentation of ``story_path`` on the org ``org_path``: console and audience.

    Raises:
        DemoOrgError: the org cannot be opened, or the story does not fit it.
    """
    from demoorg.org.orgfile import open_org

    with open_org(org_path) as org:
        meta = org.meta
    story = load_story_for(meta, story_path)
    presenter = Presenter(org_path, story, today, settings, clock, rehearsal)
    if show:
        presenter.show()
    return presenter
