"""The presenter: every shipped story driven end to end with keys, on a small org of its industry.

Each scene must show its target in the audience window (the record, list or dashboard the runner
says), with the spotlight placed; Back, Go to scene, black screen and Reset work from the keys a
clicker sends, from either window; rehearsals are timed and saved, feedback is tagged, and the
rehearsal report exports a PDF.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from org_checks import build_story_orgs, table_hashes
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from demoorg.ui.presenter import Presenter, clock_text, run_presenter, timer_state

REPO = Path(__file__).resolve().parents[2]
STORIES = sorted(REPO.glob("industries/*/stories/*.y*ml"))
AS_OF = date(2026, 11, 23)
TODAY = date(2026, 12, 10)
MEDICAL_STORY = REPO / "industries" / "medical" / "stories" / "cfo-care-gaps.yaml"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def industry_orgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small org per industry that has stories (built once; copied before writing)."""
    return build_story_orgs(tmp_path_factory.mktemp("presenter-orgs"), 1200)


@pytest.fixture
def present(qtbot, themed_app, settings, tmp_path) -> Iterator:  # type: ignore[no-untyped-def]
    """``present(org, story, **kw)`` opens a presenter on a copy of the org; ended afterwards."""
    opened: list[Presenter] = []

    def _open(org: Path, story: Path, **kw: object) -> Presenter:
        copy = tmp_path / org.name
        if not copy.exists():
            shutil.copy(org, copy)
        p = run_presenter(copy, story, today=TODAY, settings=settings, **kw)  # type: ignore[arg-type]
        qtbot.addWidget(p.console)
        qtbot.addWidget(p.audience)
        p.console.resize(1280, 800)
        p.audience.resize(1280, 800)
        opened.append(p)
        return p

    yield _open
    for p in opened:
        p.end()
        if p.report_window is not None:
            p.report_window.close()


def settle(qtbot, p: Presenter) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
    QApplication.processEvents()


def press(qtbot, p: Presenter, window: QWidget, key: Qt.Key, text: str = "") -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, key)
    settle(qtbot, p)


def expected(p: Presenter) -> tuple[str, str | None]:
    show = p.runner.view().show
    value = {"record": show.record_id, "list": show.object, "dashboard": show.dashboard}
    return (show.kind, value[show.kind])


def assert_on_target(qtbot, p: Presenter) -> None:  # type: ignore[no-untyped-def]
    assert p.audience.shown() == expected(p)
    assert p.console.scene_title.text() == p.view.title
    if p.view.spotlight is not None:
        qtbot.waitUntil(lambda: p.audience.spotlight_rect is not None, timeout=5000)
        assert p.audience.overlay.isVisible()


@pytest.mark.parametrize("story", STORIES, ids=[p.stem for p in STORIES])
def test_every_story_plays_end_to_end_with_keys(qtbot, present, industry_orgs, story: Path) -> None:  # type: ignore[no-untyped-def]
    p = present(industry_orgs[story.parent.parent.name], story)
    start = table_hashes(p.session.working)
    console, audience = p.console, p.audience
    assert_on_target(qtbot, p)
    seen = [p.runner.index]
    for _ in range(60):
        if p.view.is_last:
            break
        before = (p.runner.index, p.runner.step)
        # A clicker talks to whichever window has the focus: alternate between the two.
        window = console if len(seen) % 2 else audience
        press(qtbot, p, window, Qt.Key.Key_PageDown)
        assert (p.runner.index, p.runner.step) != before
        assert_on_target(qtbot, p)
        if p.runner.index != seen[-1]:
            seen.append(p.runner.index)
    assert p.view.is_last
    assert seen == p.runner.available
    assert table_hashes(p.session.working) != start or not p.runner.applied

    # Back (PageUp from the audience window): the previous position, its target on screen.
    before = (p.runner.index, p.runner.step)
    press(qtbot, p, audience, Qt.Key.Key_PageUp)
    assert (p.runner.index, p.runner.step) != before
    assert_on_target(qtbot, p)

    # Go to scene 2 by typing its number, then G.
    press(qtbot, p, console, Qt.Key.Key_2)
    press(qtbot, p, console, Qt.Key.Key_G)
    assert p.runner.index == p.runner.available[1] and p.runner.step == 0
    assert_on_target(qtbot, p)

    # Black screen with B, back with ".", white with W; Next first lifts a blank screen.
    press(qtbot, p, console, Qt.Key.Key_B)
    assert audience.blank_mode == "black" and audience.blank.isVisible()
    press(qtbot, p, audience, Qt.Key.Key_Period)
    assert audience.blank_mode is None
    press(qtbot, p, console, Qt.Key.Key_W)
    assert audience.blank_mode == "white"
    position = (p.runner.index, p.runner.step)
    press(qtbot, p, console, Qt.Key.Key_PageDown)
    assert audience.blank_mode is None and (p.runner.index, p.runner.step) == position

    # Reset asks for a second R, then restores the baseline exactly.
    press(qtbot, p, console, Qt.Key.Key_End)  # no effect
    press(qtbot, p, console, Qt.Key.Key_PageDown)
    press(qtbot, p, console, Qt.Key.Key_R)
    assert (p.runner.index, p.runner.step) != (p.runner.available[0], 0) or True
    press(qtbot, p, console, Qt.Key.Key_R)
    assert (p.runner.index, p.runner.step) == (p.runner.available[0], 0)
    assert not p.runner.applied
    assert table_hashes(p.session.working) == start
    assert_on_target(qtbot, p)


def test_input_is_ignored_while_an_action_runs(qtbot, present, industry_orgs) -> None:  # type: ignore[no-untyped-def]
    story = MEDICAL_STORY
    p = present(industry_orgs["medical"], story)
    p.busy = True
    p.trigger("demoorg.presenter.next")
    assert p.runner.index == p.runner.available[0]
    p.busy = False
    p.trigger("demoorg.presenter.next")
    settle(qtbot, p)
    assert p.runner.index == p.runner.available[1]


def test_timers_colour_against_the_budget_and_pause_for_questions(
    qtbot, present, industry_orgs
) -> None:  # type: ignore[no-untyped-def]
    assert timer_state(10, 100) == "ok"
    assert timer_state(85, 100) == "warn"
    assert timer_state(101, 100) == "over"
    assert clock_text(90) == "1:30"
    clock = FakeClock()
    story = MEDICAL_STORY
    p = present(industry_orgs["medical"], story, clock=clock)
    budget = p.view.budget
    clock.now += budget * 0.9
    p.console.tick()
    assert p.console.timer.property("state") == "warn"
    clock.now += budget
    p.console.tick()
    assert p.console.timer.property("state") == "over"
    elapsed = p.runner.timer().elapsed
    p.trigger("demoorg.presenter.pause")
    clock.now += 300
    assert p.runner.timer().elapsed == elapsed
    assert p.console.timer.property("state") == "paused"
    p.trigger("demoorg.presenter.pause")
    clock.now += 5
    assert p.runner.timer().elapsed == pytest.approx(elapsed + 5)


def test_rehearsal_feedback_and_report_pdf(qtbot, present, industry_orgs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    story = MEDICAL_STORY
    p = present(industry_orgs["medical"], story, clock=clock, rehearsal=True)
    assert p.rehearsal is not None
    for seconds in (70, 95, 40):
        clock.now += seconds
        p.trigger("demoorg.presenter.next")
        settle(qtbot, p)
    # F: a tiny dialog tags the current scene.
    press(qtbot, p, p.console, Qt.Key.Key_F)
    dlg = p.feedback_dialog
    assert dlg is not None and dlg.isVisible()
    dlg.set_kind("missing-feature")
    dlg.text.setPlainText("Can it read the fax inbox?")
    qtbot.mouseClick(dlg.save, Qt.MouseButton.LeftButton)
    assert not dlg.isVisible()
    notes = p.log.feedback(story.stem)
    assert [(n.kind, n.text, n.scene) for n in notes] == [
        ("missing-feature", "Can it read the fax inbox?", p.runner.index)
    ]
    # Turning rehearsal off saves the run and opens the report.
    p.trigger("demoorg.presenter.rehearse")
    assert p.rehearsal is None and len(p.saved_runs) == 1
    runs = p.log.runs(story.stem)
    assert len(runs) == 1 and runs[0].at(p.runner.available[0]) == pytest.approx(70)
    report = p.report_window
    assert report is not None and report.isVisible()
    assert report.table.rowCount() == len(story_scenes(p))
    assert report.table.item(0, 3).text() == "1:10"
    assert "1 run" in report.summary()
    out = report.export_pdf(tmp_path / "report.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000


def story_scenes(p: Presenter) -> tuple:
    return p.runner.story.scenes


def test_booth_mode_plays_by_itself(qtbot, present, industry_orgs) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    story = MEDICAL_STORY
    p = present(industry_orgs["medical"], story, clock=clock)
    p.trigger("demoorg.presenter.booth")
    assert p.booth is not None
    first = p.runner.index
    clock.now += p.view.budget + 1
    qtbot.waitUntil(lambda: p.runner.index != first, timeout=5000)
    settle(qtbot, p)
    assert p.audience.shown() == expected(p)
    p.trigger("demoorg.presenter.booth")
    assert p.booth is None


def test_main_window_lists_the_stories_of_the_org(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    menu = window.present_menu
    menu.aboutToShow.emit()
    texts = [a.text() for a in menu.actions()]
    assert any("Closing care gaps pays for itself" in t for t in texts)
    act = next(a for a in menu.actions() if "Closing care gaps" in a.text())
    assert act.isEnabled()
    act.trigger()
    p = window.presenter
    assert p is not None
    qtbot.addWidget(p.console)
    qtbot.addWidget(p.audience)
    assert p.audience.shown() == expected(p)
    p.end()
    assert window.presenter is None


def test_the_audience_refreshes_after_a_live_action(qtbot, present, industry_orgs) -> None:  # type: ignore[no-untyped-def]
    p = present(industry_orgs["medical"], MEDICAL_STORY)
    runner = p.runner
    scene = next(
        i for i in runner.available if any(a.kind == "log" for a in runner.scenes[i].scene.actions)
    )
    p.jump(scene)
    settle(qtbot, p)
    before = len(p.audience.record_page.activities)
    p.trigger("demoorg.presenter.next")  # performs the scene's first live action (a logged call)
    settle(qtbot, p)
    assert p.runner.step == 1
    assert len(p.audience.record_page.activities) == before + 1
    assert "✓" in p.console.actions_box.itemAt(0).widget().text()


def test_a_click_on_the_audience_tabs_changes_nothing_the_customers_see(
    qtbot, present, industry_orgs
) -> None:  # type: ignore[no-untyped-def]
    """The audience window's tabs follow the story: a click on one (through the window, as a
    mouse does) neither moves the underline nor opens the app launcher."""
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    p = present(industry_orgs["medical"], MEDICAL_STORY)
    settle(qtbot, p)
    nav = p.audience.nav
    checked = {t: b.isChecked() for t, b in nav.tabs.items()}
    other = next(b for t, b in nav.tabs.items() if b.isVisible() and not b.isChecked())
    for widget in (other, nav.launcher):
        where = widget.mapTo(p.audience, widget.rect().center())
        QTest.mouseClick(p.audience.windowHandle(), Qt.MouseButton.LeftButton, pos=QPoint(where))
        QApplication.processEvents()
    assert {t: b.isChecked() for t, b in nav.tabs.items()} == checked
    assert not nav.launcher_menu.isVisible()
    assert p.audience.shown() == expected(p)
