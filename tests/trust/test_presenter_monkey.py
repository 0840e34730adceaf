"""The presenter under a monkey: thousands of random keys, clicks, text and resizes on both windows.

Every shipped story is opened on a small org of its industry and driven by a seeded
``random.Random``: the presenter's own keys (sent to the console or the audience window), other
keys and typed text, clicks at random points (buttons, the scene list, record links, empty space),
double and right clicks, resizes from tiny to huge, scene number + Enter jumps, R R resets, black
and white screens, Q&A pauses, the feedback dialog (typed into, cancelled, sometimes saved) and,
a few times per story, Esc — after which the presentation is opened again and the monkey goes on.

After each event: no Python exception reached a hook, Qt logged no warning, and when the
presenter is idle both windows agree with the runner. After each story: no modal dialog is left,
R R brings the working copy back to the data it had when the presentation opened, and the
baseline org file is byte-identical. Every other story the monkey may also save rehearsals and
feedback (the one write presenting makes to the baseline, on purpose): there only those log
tables change, by exactly the runs and notes saved.

A failure names the seed, the story and the event index with the last events; replay it with
``DEMOORG_MONKEY_SEED=<seed> python -m pytest tests/trust/test_presenter_monkey.py -k <story>``.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import string
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from org_checks import build_story_orgs, table_hashes
from PySide6.QtCore import QEvent, QPoint, QSettings, Qt, QTimer, QtMsgType
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from demoorg.present import RehearsalLog
from demoorg.present.rehearsal import FEEDBACK_TABLE, RUNS_TABLE
from demoorg.ui.actions import shortcuts_for
from demoorg.ui.presenter import PRESENTER_ACTIONS, Presenter, run_presenter

REPO = Path(__file__).resolve().parents[2]
STORIES = sorted(REPO.glob("industries/*/stories/*.yaml"))
AS_OF = date(2026, 11, 23)
TODAY = date(2026, 12, 10)
#: The run's seed; each story derives its own from it (``DEMOORG_MONKEY_SEED`` replays a run).
SEED = int(os.environ.get("DEMOORG_MONKEY_SEED", "20261210"))
EVENTS_PER_STORY = 420
#: Esc ends the presentation; it comes this many times per story, at random points.
ENDS_PER_STORY = 2
REHEARSE = "demoorg.presenter.rehearse"
#: The log tables presenting writes to the baseline on purpose (rehearsal runs, feedback).
LOG_TABLES = (RUNS_TABLE, FEEDBACK_TABLE)

Mod = Qt.KeyboardModifier
NO_MOD = Mod.NoModifier
OTHER_KEYS = (
    Qt.Key.Key_Tab,
    Qt.Key.Key_Backtab,
    Qt.Key.Key_Home,
    Qt.Key.Key_End,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_Delete,
    Qt.Key.Key_Backspace,
    Qt.Key.Key_Insert,
    Qt.Key.Key_Menu,
    Qt.Key.Key_F1,
    Qt.Key.Key_F2,
    Qt.Key.Key_F5,
    Qt.Key.Key_F11,
    Qt.Key.Key_F12,
    Qt.Key.Key_Shift,
    Qt.Key.Key_Control,
    Qt.Key.Key_Alt,
    Qt.Key.Key_A,
    Qt.Key.Key_C,
    Qt.Key.Key_K,
    Qt.Key.Key_Q,
    Qt.Key.Key_Z,
    Qt.Key.Key_Slash,
    Qt.Key.Key_Plus,
    Qt.Key.Key_Minus,
    Qt.Key.Key_0,
    Qt.Key.Key_9,
    Qt.Key.Key_MediaNext,
    Qt.Key.Key_VolumeUp,
)
OTHER_MODS = (NO_MOD, NO_MOD, Mod.ControlModifier, Mod.AltModifier, Mod.ShiftModifier)
TEXT_CHARS = string.ascii_letters + string.digits + string.punctuation + " éü中\u200b"


def presenter_keys() -> list[tuple[Qt.Key, Qt.KeyboardModifier, str]]:
    """Every default shortcut of the presenter but Esc, as (key, modifiers, action id)."""
    keys = []
    for action_id in PRESENTER_ACTIONS:
        if action_id == "demoorg.presenter.end":
            continue
        for text in shortcuts_for(action_id):
            combo = QKeySequence(text)[0]
            keys.append((combo.key(), combo.keyboardModifiers(), action_id))
    return keys


def log_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] if t in have else 0
            for t in LOG_TABLES
        }


@pytest.fixture(scope="module")
def industry_orgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small org per industry that has stories (built once; copied before presenting)."""
    return build_story_orgs(tmp_path_factory.mktemp("monkey-orgs"), 600)


class HookCatcher:
    """Collects what reaches ``sys.excepthook`` and ``sys.unraisablehook`` (slots, callbacks)."""

    def __init__(self) -> None:
        self.caught: list[str] = []

    def __enter__(self) -> HookCatcher:
        self._hooks = (sys.excepthook, sys.unraisablehook)
        sys.excepthook = self._on_exception
        sys.unraisablehook = self._on_unraisable
        return self

    def __exit__(self, *_exc: object) -> None:
        sys.excepthook, sys.unraisablehook = self._hooks

    def _on_exception(self, kind: type, value: BaseException, tb: Any) -> None:
        import traceback

        self.caught.append("".join(traceback.format_exception(kind, value, tb)))

    def _on_unraisable(self, info: Any) -> None:
        self.caught.append(
            f"unraisable in {info.object!r}: {info.exc_type.__name__}: {info.exc_value}"
        )


def close_popups() -> None:
    """Closes open menus and combo lists (a menu's ``exec`` runs a loop of its own: this runs in
    it from a timer, so a click that opens one never hangs the monkey)."""
    for _ in range(5):
        popup = QApplication.activePopupWidget()
        if popup is None:
            return
        popup.close()


class Monkey:
    """Random events on one presentation; reopens it after Esc or the End button."""

    def __init__(
        self,
        qtbot: Any,
        rng: random.Random,
        org: Path,
        story: Path,
        settings: QSettings,
        log_writes: bool,
    ) -> None:
        self.qtbot, self.rng = qtbot, rng
        self.org, self.story, self.settings = org, story, settings
        #: May the monkey save rehearsals and feedback (the log the baseline keeps on purpose)?
        self.log_writes = log_writes
        self.keys = presenter_keys()
        self.trail: list[str] = []
        self.opened: list[Presenter] = []
        self.reopened = 0
        #: What the last event must have done, checked once it settled: True, or what went wrong.
        self.check: Callable[[], bool | str] = lambda: True
        self.p = self.open()
        self.start = table_hashes(self.p.session.working, skip=LOG_TABLES)

    # --- the presentation --------------------------------------------------------------------------

    def open(self) -> Presenter:
        p = run_presenter(self.org, self.story, today=TODAY, settings=self.settings)
        self.qtbot.addWidget(p.console)
        self.qtbot.addWidget(p.audience)
        self.opened.append(p)
        self.settle(p)
        return p

    def settle(self, p: Presenter | None = None) -> None:
        p = p or self.p
        close_popups()
        QApplication.processEvents()
        for _ in range(20):
            if not p.busy:
                break
            QApplication.processEvents()
        close_popups()

    def reopen_if_ended(self) -> None:
        if self.p.finished:
            assert not self.dialogs(), "a dialog outlived the presentation"
            assert not self.p.console.isVisible() and not self.p.audience.isVisible()
            self.p = self.open()
            self.reopened += 1
            assert table_hashes(self.p.session.working, skip=LOG_TABLES) == self.start, (
                "a reopened presentation starts from other data"
            )

    def dialogs(self) -> list[QDialog]:
        return [
            w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()
        ]

    # --- sending input -----------------------------------------------------------------------------

    def blocked(self, window: QWidget) -> bool:
        """True when a modal dialog over ``window`` takes its input (as the window system does)."""
        return any(
            d.windowModality() != Qt.WindowModality.NonModal
            and (
                d.windowModality() == Qt.WindowModality.ApplicationModal
                or d.parentWidget() is window
            )
            for d in self.dialogs()
        )

    def name(self, window: QWidget) -> str:
        return "console" if window is self.p.console else "audience"

    def window(self) -> QWidget:
        """The console or the audience window, whichever a modal dialog leaves open to input."""
        windows = [w for w in (self.p.console, self.p.audience) if not self.blocked(w)]
        return self.rng.choice(windows or [self.p.audience])

    def activate(self, window: QWidget) -> None:
        if QApplication.activeWindow() is not window:
            window.activateWindow()
            QApplication.processEvents()

    def key_target(self, window: QWidget) -> QWidget:
        """Where a real key press lands: the focused widget of the active window."""
        self.activate(window)
        focus = QApplication.focusWidget()
        if focus is not None and (focus is window or window.isAncestorOf(focus)):
            return focus
        return window

    def key(self, window: QWidget, key: Qt.Key, mods: Qt.KeyboardModifier = NO_MOD) -> None:
        QTimer.singleShot(0, close_popups)
        QTest.keyClick(self.key_target(window), key, mods)

    def type_text(self, widget: QWidget, text: str) -> None:
        """Types ``text``; characters outside ASCII come as key events carrying only the text
        (as an input method sends them; QTest knows no key code for them)."""
        for ch in text:
            target = QApplication.focusWidget() or widget  # a typed F opens the feedback dialog
            QTimer.singleShot(0, close_popups)
            if ch.isascii():
                QTest.keyClicks(target, ch)
                continue
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(target, QKeyEvent(kind, 0, NO_MOD, ch))

    def click_at(self, window: QWidget, pos: QPoint, kind: str = "left") -> None:
        child = window.childAt(pos) or window
        if not self.log_writes and child is self.p.console.buttons[REHEARSE]:
            return  # this story keeps the baseline's bytes: no rehearsal is ever saved
        local = child.mapFrom(window, pos) if child is not window else pos
        QTimer.singleShot(0, close_popups)  # a right click opens a context menu's own loop
        if kind == "double":
            QTest.mouseDClick(child, Qt.MouseButton.LeftButton, NO_MOD, local)
        else:
            button = {
                "left": Qt.MouseButton.LeftButton,
                "right": Qt.MouseButton.RightButton,
                "middle": Qt.MouseButton.MiddleButton,
            }[kind]
            QTest.mouseClick(child, button, NO_MOD, local)

    def click_widget(self, widget: QWidget, kind: str = "left") -> None:
        window = widget.window()
        pos = widget.mapTo(window, widget.rect().center())
        self.click_at(window, pos, kind)

    # --- the events --------------------------------------------------------------------------------

    def event(self) -> str:
        """Sends one random event; returns what it was."""
        rng = self.rng
        if self.dialogs() and rng.random() < 0.7:
            return self.dialog_event(self.dialogs()[-1])
        roll = rng.random()
        if roll < 0.34:
            key, mods, action_id = rng.choice(self.keys)
            window = self.window()
            p = self.p
            target = self.key_target(window)
            before = (p.audience.blank_mode, p.clock.paused)
            idle = not p.busy and not self.blocked(window)
            QTimer.singleShot(0, close_popups)
            QTest.keyClick(target, key, mods)
            what = f"{action_id} key {QKeySequence(key | mods).toString()} to {self.name(window)}"
            # A clicker's keys work whatever has the focus (a field clicked on the projected page).
            if idle and action_id in ("demoorg.presenter.black", "demoorg.presenter.white"):
                self.check = lambda: p.audience.blank_mode != before[0] or "did not blank"
            if idle and action_id == "demoorg.presenter.pause":
                self.check = lambda: p.clock.paused != before[1] or "did not pause or resume"
            return what
        if roll < 0.40:
            window = self.window()
            number = rng.choice((1, 2, 3, 4, 5, 6, 7, 9, 12, 0, 99))
            for digit in str(number):
                self.key(window, Qt.Key(Qt.Key.Key_0 + int(digit)))
            enter = rng.choice((Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_G))
            self.key(window, enter)
            return f"scene {number} + {QKeySequence(enter).toString()} to {self.name(window)}"
        if roll < 0.43:
            window = self.window()
            self.key(window, Qt.Key.Key_R)
            self.key(window, Qt.Key.Key_R)
            return f"R R to {self.name(window)}"
        if roll < 0.53:
            key, mods, window = rng.choice(OTHER_KEYS), rng.choice(OTHER_MODS), self.window()
            self.key(window, key, mods)
            return f"other key {QKeySequence(key | mods).toString()} to {self.name(window)}"
        if roll < 0.59:
            window = self.window()
            text = "".join(rng.choice(TEXT_CHARS) for _ in range(rng.randint(1, 8)))
            self.type_text(self.key_target(window), text)
            return f"text {text!r} to {self.name(window)}"
        if roll < 0.74:
            window = self.window()
            pos = QPoint(
                rng.randrange(max(1, window.width())), rng.randrange(max(1, window.height()))
            )
            kind = rng.choices(("left", "double", "right", "middle"), (80, 8, 8, 4))[0]
            self.click_at(window, pos, kind)
            return f"{kind} click at {pos.x()},{pos.y()} of {self.name(window)}"
        if roll < 0.80 and not self.blocked(self.p.console):
            # End is Esc's job (a few times per story): reopening costs more than an event.
            buttons = [
                b
                for action_id, b in self.p.console.buttons.items()
                if b.isVisible()
                and action_id != "demoorg.presenter.end"
                and (self.log_writes or action_id != REHEARSE)
            ]
            button = rng.choice(buttons)
            self.click_widget(button)
            return f"button {button.text()!r}"
        if roll < 0.85 and not self.blocked(self.p.console):
            return self.scene_list_event()
        if roll < 0.89:
            return self.link_event()
        if roll < 0.95:
            window = self.window()
            sizes = ((60, 40), (320, 200), (800, 500), (1280, 800), (1920, 1080), (2600, 1600))
            w, h = rng.choices(sizes, (3, 3, 3, 3, 2, 1))[0]
            w, h = int(w * rng.uniform(0.8, 1.2)), int(h * rng.uniform(0.8, 1.2))
            window.resize(w, h)
            return f"resize {self.name(window)} to {w}x{h}"
        if roll < 0.97:
            box = self.p.console.screen_box
            index = rng.randrange(box.count())
            box.setCurrentIndex(index)
            return f"audience on {box.itemText(index)!r}"
        # Let the spotlight and thumbnail timers (60 and 150 ms) fire.
        self.qtbot.wait(rng.choice((20, 70, 160)))
        return "wait"

    def scene_list_event(self) -> str:
        scenes = self.p.console.scene_list
        if not scenes.count():
            return "no scene list"
        row = self.rng.randrange(scenes.count())
        rect = scenes.visualItemRect(scenes.item(row))
        kind = self.rng.choice(("left", "double", "enter"))
        if kind == "enter":
            scenes.setCurrentRow(row)
            self.key(self.p.console, Qt.Key.Key_Return)
            return f"scene list row {row} + Enter"
        window = self.p.console
        pos = scenes.viewport().mapTo(window, rect.center())
        self.click_at(window, pos, kind)
        return f"{kind} click on scene list row {row}"

    def link_event(self) -> str:
        page = self.p.audience.record_page
        links = [
            (canvas, href)
            for canvas in page.canvases
            if canvas.isVisible()
            for href in canvas.hrefs()
        ]
        if not links:
            return self.scene_list_event()
        canvas, href = self.rng.choice(links)
        rect = canvas.link_rect(href)
        if rect is None:
            return "link gone"
        pos = canvas.mapTo(self.p.audience, rect.center())
        self.click_at(self.p.audience, pos)
        return f"click on audience link {href}"

    def dialog_event(self, dlg: QDialog) -> str:
        rng = self.rng
        self.activate(dlg)  # one types into a dialog once it is the active window
        roll = rng.random()
        if roll < 0.35 and hasattr(dlg, "text"):
            text = "".join(rng.choice(TEXT_CHARS) for _ in range(rng.randint(1, 12)))
            self.type_text(dlg.text, text)
            return f"dialog text {text!r}"
        if roll < 0.5 and hasattr(dlg, "kinds"):
            button = rng.choice(dlg.kinds.buttons())
            QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            return f"dialog kind {button.text()!r}"
        if roll < 0.7:
            QTest.keyClick(dlg, Qt.Key.Key_Escape)
            return "dialog Esc"
        if roll < 0.9 or not hasattr(dlg, "save") or not self.log_writes:
            cancel = next(b for b in dlg.findChildren(type(dlg.save)) if b.text() == "Cancel")
            QTest.mouseClick(cancel, Qt.MouseButton.LeftButton)
            return "dialog Cancel"
        QTest.mouseClick(dlg.save, Qt.MouseButton.LeftButton)
        return "dialog Save"

    def end_with_esc(self) -> str:
        """Esc in a window a dialog leaves open ends the presentation (dialogs close with it)."""
        window = self.window()
        self.key(window, Qt.Key.Key_Escape)
        if self.blocked(window):  # Esc closed the dialog; the next Esc ends
            self.key(window, Qt.Key.Key_Escape)
        return f"Esc to {self.name(window)}"

    # --- checks ------------------------------------------------------------------------------------

    def check_consistent(self) -> None:
        """When idle, both windows show the runner's position."""
        p = self.p
        if p.finished or p.busy:
            return
        assert p.console.scene_title.text() == p.view.title
        assert (p.view.index, p.view.step) == (p.runner.index, p.runner.step)
        show = p.view.show
        wanted = {"record": show.record_id, "list": show.object, "dashboard": show.dashboard}
        if not show.problem:
            assert p.audience.shown() == (show.kind, wanted[show.kind])
        # The projected list is the story's, never one filtered by stray typing.
        assert not p.audience.list_view.search.text(), "typing went into the audience's list"


def qt_problems(qtlog: Any, seen: int) -> list[str]:
    bad = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
    return [r.message for r in qtlog.records[seen:] if r.type in bad and not r.ignored]


@pytest.fixture(scope="module", autouse=True)
def _gc_on_the_gui_thread(gui_thread_gc: None) -> None:
    """The presenter runs with the app's GC guard (see tests/qt_fixtures.py)."""


@pytest.fixture
def saves(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the writes presenting makes to the baseline (rehearsal runs, feedback notes)."""
    counts = {RUNS_TABLE: 0, FEEDBACK_TABLE: 0}

    def counted(method: Callable[..., Any], table: str) -> Callable[..., Any]:
        def wrapper(self: RehearsalLog, *args: Any, **kw: Any) -> Any:
            out = method(self, *args, **kw)
            counts[table] += 1
            return out

        return wrapper

    monkeypatch.setattr(RehearsalLog, "save_run", counted(RehearsalLog.save_run, RUNS_TABLE))
    monkeypatch.setattr(
        RehearsalLog, "add_feedback", counted(RehearsalLog.add_feedback, FEEDBACK_TABLE)
    )
    return counts


# The offscreen platform cannot raise a window or grab input: it says so each time a menu or a
# combo box list pops up (on a real display these calls work).
@pytest.mark.qt_log_ignore(
    r"This plugin does not support (raise\(\)|grabbing the (keyboard|mouse))"
)
@pytest.mark.parametrize("story", STORIES, ids=[p.stem for p in STORIES])
def test_monkey_presenting_a_story(  # type: ignore[no-untyped-def]
    qtbot, qtlog, themed_app, settings, industry_orgs, saves, tmp_path, tally, story: Path
) -> None:
    seed = SEED + STORIES.index(story)
    rng = random.Random(seed)
    org = tmp_path / "org.demoorg"
    shutil.copyfile(industry_orgs[story.parent.parent.name], org)
    baseline_bytes = org.read_bytes()
    baseline_tables = table_hashes(org)
    ends = set(rng.sample(range(EVENTS_PER_STORY), ENDS_PER_STORY))

    # Every other story may save rehearsals and feedback; the others must leave the baseline's
    # bytes untouched.
    log_writes = STORIES.index(story) % 2 == 1
    monkey = Monkey(qtbot, rng, org, story, settings, log_writes)
    sent = 0
    with HookCatcher() as hooks:
        for i in range(EVENTS_PER_STORY):
            seen = len(qtlog.records)
            what = "?"
            try:
                monkey.check = lambda: True
                what = monkey.end_with_esc() if i in ends else monkey.event()
                monkey.trail.append(what)
                monkey.settle()
                effect = monkey.check()
                assert effect is True, f"{what} {effect}"
                sent += 1
                assert not hooks.caught, hooks.caught[0]
                problems = qt_problems(qtlog, seen)
                assert not problems, f"Qt warned: {problems}"
                monkey.reopen_if_ended()
                monkey.check_consistent()
            except BaseException as exc:
                last = "\n  ".join(monkey.trail[-12:])
                raise AssertionError(
                    f"monkey failed (DEMOORG_MONKEY_SEED={SEED}, story seed {seed}, "
                    f"{story.stem}, event #{i}: {what}): {exc}\nlast events:\n  {last}"
                ) from exc

        # The end of the run: dialogs closed, reset restores the start data exactly.
        for dlg in monkey.dialogs():
            dlg.reject()
        monkey.settle()
        p = monkey.p
        assert QApplication.activeModalWidget() is None
        # R R resets once whatever came before (a stray R a moment ago makes the first R the
        # confirmation and the second a new, harmless, question).
        for _ in range(2):
            monkey.key(p.console, Qt.Key.Key_R)
            monkey.settle()
        assert (p.runner.index, p.runner.step) == (p.runner.available[0], 0)
        assert table_hashes(p.session.working, skip=LOG_TABLES) == monkey.start
        # Esc at the very end closes the presentation and removes its working copy.
        working = p.session.working
        monkey.end_with_esc()
        monkey.settle()
        assert p.finished and not p.console.isVisible() and not p.audience.isVisible()
        assert not working.exists()
        assert not hooks.caught, hooks.caught[0]
    for opened in monkey.opened:
        if opened.report_window is not None:
            opened.report_window.close()
    assert not monkey.dialogs()

    if not log_writes:
        assert not any(saves.values())
        assert org.read_bytes() == baseline_bytes
        tally("presenter monkey stories with a byte-identical baseline", 1)
    else:
        assert table_hashes(org, skip=LOG_TABLES) == {
            t: h for t, h in baseline_tables.items() if t not in LOG_TABLES
        }
        assert log_counts(org) == saves
    tally("presenter monkey events sent", sent)
    tally("presenter reopened after Esc or End", monkey.reopened + 1)


# --- what the monkey found, replayed deterministically ---------------------------------------------


@pytest.fixture
def presenter(qtbot, themed_app, settings, industry_orgs, tmp_path) -> Iterator[Presenter]:  # type: ignore[no-untyped-def]
    """A presentation of a finance story that shows a list early, on a copy of the org."""
    org = tmp_path / "org.demoorg"
    shutil.copyfile(industry_orgs["finance"], org)
    story = REPO / "industries" / "finance" / "stories" / "wealth-retirement-review.yaml"
    p = run_presenter(org, story, today=TODAY, settings=settings)
    qtbot.addWidget(p.console)
    qtbot.addWidget(p.audience)
    yield p
    p.end()


def press(qtbot, p: Presenter, window: QWidget, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    """A key as the keyboard sends it: to the focused widget of the (activated) window."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    focus = QApplication.focusWidget()
    qtbot.keyClick(focus if focus is not None and window.isAncestorOf(focus) else window, key)
    qtbot.waitUntil(lambda: not p.busy, timeout=5000)


def test_clicker_keys_still_work_after_a_click_in_the_projected_list(qtbot, presenter) -> None:  # type: ignore[no-untyped-def]
    p = presenter
    audience = p.audience
    list_scene = next(i for i in p.runner.available if p.runner.scenes[i].scene.show.kind == "list")
    p.jump(list_scene)
    qtbot.waitUntil(lambda: not p.busy, timeout=5000)
    assert audience.stack.currentWidget() is audience.list_view
    audience.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is audience, timeout=2000)
    qtbot.mouseClick(audience.list_view.search, Qt.MouseButton.LeftButton)

    # B blanks the screen instead of typing "b" into the list's search field
    press(qtbot, p, audience, Qt.Key.Key_B)
    assert audience.blank_mode == "black"
    assert audience.list_view.search.text() == ""
    press(qtbot, p, audience, Qt.Key.Key_B)
    # digits and Enter go to a scene; Space goes on
    press(qtbot, p, audience, Qt.Key.Key_1)
    press(qtbot, p, audience, Qt.Key.Key_Return)
    assert (p.runner.index, p.runner.step) == (p.runner.available[0], 0)
    press(qtbot, p, audience, Qt.Key.Key_Space)
    assert (p.runner.index, p.runner.step) != (p.runner.available[0], 0)
    assert audience.list_view.search.text() == ""


@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")  # offscreen only
def test_feedback_twice_keeps_one_dialog_which_ends_with_the_presentation(qtbot, presenter) -> None:  # type: ignore[no-untyped-def]
    p = presenter

    def feedback_dialogs() -> list[QWidget]:
        return [
            w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()
        ]

    press(qtbot, p, p.console, Qt.Key.Key_F)
    first = p.feedback_dialog
    assert feedback_dialogs() == [first]
    # The dialog is modal to the console only: F in the audience window brings it back.
    press(qtbot, p, p.audience, Qt.Key.Key_F)
    assert feedback_dialogs() == [first]
    press(qtbot, p, p.audience, Qt.Key.Key_Escape)
    assert p.finished
    assert feedback_dialogs() == []
