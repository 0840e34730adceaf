"""Rehearsal timings with a fake clock, runs and feedback saved in the org, the report, and
booth mode (auto-advance, loop, idle reset)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.content.stories import StoryDef
from demoorg.errors import OrgError
from demoorg.present import (
    BoothMode,
    Feedback,
    PresentSession,
    Rehearsal,
    RehearsalLog,
    RehearsalRun,
    StoryRunner,
    feedback_on,
    open_session,
    rehearsal_report,
)
from demoorg.present.rehearsal import FEEDBACK_TABLE, RUNS_TABLE, report_rows

TODAY = date(2026, 12, 10)
#: The ``clock`` fixture: call it for the time, ``advance(seconds)`` to move it.
FakeClock = Any


def test_a_rehearsal_times_each_scene_with_the_injected_clock(
    stories: dict[str, StoryDef], session: Callable[..., PresentSession], clock: FakeClock
) -> None:
    runner = StoryRunner(session("medical"), stories["medical"], clock)
    rehearsal = Rehearsal(runner)
    clock.advance(80)
    runner.next()  # scene 1
    clock.advance(40)
    runner.next()  # scene 2
    clock.advance(10)
    runner.back()  # back to scene 1: the time adds up
    clock.advance(15)
    runner.jump(5)
    clock.advance(20)
    runner.next()  # a live action: same scene, still timed on it
    clock.advance(30)
    assert rehearsal.seconds() == {0: 80, 1: 55, 2: 10, 5: 50}
    run = rehearsal.finish(started_at="2026-12-10T09:00", label="dry run")
    clock.advance(100)
    runner.next()
    assert run.seconds == ((0, 80), (1, 55), (2, 10), (5, 50))
    assert (run.total, run.story, run.mode, run.label) == (
        195,
        "cfo-care-gaps",
        "rehearsal",
        "dry run",
    )
    assert rehearsal.seconds() == {0: 80, 1: 55, 2: 10, 5: 50}  # stopped listening


def test_runs_and_feedback_are_saved_in_the_org_and_reloaded(
    org_copy: Callable[[str], Path],
    stories: dict[str, StoryDef],
    clock: FakeClock,
    hashes: Callable[..., dict[str, str]],
) -> None:
    org = org_copy("medical")
    crm = hashes(org)
    log = RehearsalLog(org)
    assert log.runs() == [] and log.feedback() == []  # nothing yet, and nothing written
    assert hashes(org) == crm
    story = stories["medical"]
    with open_session(org, TODAY) as s:
        runner = StoryRunner(s, story, clock)
        rehearsal = Rehearsal(runner)
        clock.advance(100)
        runner.next()
        clock.advance(60)
        note = feedback_on(runner, "question", "  Does it work with Epic?  ", at="2026-12-10T09:03")
        run_id = log.save_run(rehearsal.finish("2026-12-10T09:00"))
    note_id = log.add_feedback(note)
    log.add_feedback(
        Feedback(
            story.key, 4, story.scenes[4].title, "missing-feature", "Gap list export", run=run_id
        )
    )
    log.save_run(RehearsalRun(story.key, story.title, ((0, 70.0), (1, 90.0)), "live", "2026-12-11"))
    log.save_run(RehearsalRun("other-story", "Other", ((0, 1.0),)))

    again = RehearsalLog(org)  # a new reader sees what was saved
    runs = again.runs(story.key)
    assert [(r.id, r.seconds, r.mode, r.started_at) for r in runs] == [
        (run_id, ((0, 100.0), (1, 60.0)), "rehearsal", "2026-12-10T09:00"),
        (run_id + 1, ((0, 70.0), (1, 90.0)), "live", "2026-12-11"),
    ]
    assert len(again.runs()) == 3
    notes = again.feedback(story.key)
    assert [(n.id, n.scene, n.scene_title, n.kind, n.text, n.run) for n in notes] == [
        (note_id, 1, "Where the quality money sits", "question", "Does it work with Epic?", None),
        (note_id + 1, 4, "The gap nobody owned", "missing-feature", "Gap list export", run_id),
    ]
    # Only the log's own tables changed: every CRM table and the org metadata are as they were.
    after = hashes(org)
    assert {
        k: v for k, v in after.items() if not k.startswith("_demoorg_r") and k != FEEDBACK_TABLE
    } == crm
    assert RUNS_TABLE in after and FEEDBACK_TABLE in after
    again.delete_run(run_id)
    assert [r.id for r in again.runs(story.key)] == [run_id + 1]
    assert again.feedback(story.key)[1].run is None


def test_the_report_compares_runs_with_budgets_and_each_other(stories: dict[str, StoryDef]) -> None:
    story = stories["medical"]
    runs = [
        RehearsalRun(
            story.key, story.title, ((0, 100.0), (1, 60.0), (2, 90.0)), id=1, started_at="a"
        ),
        RehearsalRun(story.key, story.title, ((0, 80.0), (2, 95.0)), id=2, label="second"),
        RehearsalRun("other", "Other", ((0, 5.0),), id=3),
    ]
    notes = [
        Feedback(story.key, 0, "x", "reaction", "Loved the dashboard"),
        Feedback("other", 0, "x", "reaction", "ignored"),
    ]
    report = rehearsal_report(story, runs, notes)
    assert [r.id for r in report.runs] == [1, 2]
    assert [(r.total, r.over) for r in report.runs] == [(250, 1), (175, 1)]
    first, second, third = report.scenes[:3]
    assert first.seconds == (100, 80) and first.budget == 90
    assert (first.last, first.best, first.mean, first.over_budget, first.change) == (
        80,
        80,
        90,
        -10,
        -20,
    )
    assert second.seconds == (60, None) and second.last == 60 and second.change is None
    assert third.over_budget == 5 and third.change == 5
    assert report.scenes[5].seconds == (None, None) and report.scenes[5].last is None
    assert [f.text for f in first.feedback] == ["Loved the dashboard"]
    assert [f.text for f in report.feedback] == ["Loved the dashboard"]
    series = report.series()
    assert list(series) == ["Budget", "a", "second"]
    assert series["Budget"][:3] == [90, 75, 90] and series["second"][:3] == [80, None, 95]
    rows = report_rows(report)
    assert rows[0] == {
        "scene": 1,
        "title": "Monday morning at {prospect}",
        "budget": 90,
        "last": 80,
        "best": 80,
        "mean": 90,
        "over_budget": -10,
        "change": -20,
        "feedback": 1,
    }


def test_bad_feedback_and_unwritable_orgs(org_copy: Callable[[str], Path]) -> None:
    org = org_copy("medical")
    log = RehearsalLog(org)
    with pytest.raises(ValueError, match="feedback kind 'like'"):
        log.add_feedback(Feedback("s", 0, "t", "like", "x"))
    with pytest.raises(ValueError, match="empty feedback"):
        log.add_feedback(Feedback("s", 0, "t", "reaction", "  "))
    with closing(sqlite3.connect(org)) as con:
        con.execute("BEGIN EXCLUSIVE")  # another program holds the file
        locked = RehearsalLog(org)
        locked_timeout = pytest.raises(OrgError, match="could not be saved")
        original = sqlite3.connect

        def quick(*args: object, **kwargs: object) -> sqlite3.Connection:
            kwargs["timeout"] = 0.05
            return original(*args, **kwargs)  # type: ignore[arg-type]

        with pytest.MonkeyPatch.context() as mp, locked_timeout:
            mp.setattr(sqlite3, "connect", quick)
            locked.save_run(RehearsalRun("s", "t", ((0, 1.0),)))
        con.rollback()
    with pytest.raises(OrgError):
        RehearsalLog(org.parent / "missing.demoorg").save_run(RehearsalRun("s", "t", ()))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores modes")
def test_a_read_only_org_cannot_take_rehearsals(org_copy: Callable[[str], Path]) -> None:
    org = org_copy("medical")
    org.chmod(0o444)
    try:
        with pytest.raises(OrgError):
            RehearsalLog(org).save_run(RehearsalRun("s", "t", ((0, 1.0),)))
    finally:
        org.chmod(0o644)


# --- booth mode ---------------------------------------------------------------------------------------


def test_booth_mode_auto_advances_loops_and_resets_after_visitors(
    stories: dict[str, StoryDef],
    session: Callable[..., PresentSession],
    clock: FakeClock,
    hashes: Callable[..., dict[str, str]],
) -> None:
    s = session("medical")
    runner = StoryRunner(s, stories["medical"], clock)
    start = hashes(s.working)
    booth = BoothMode(runner, idle_reset=120)
    assert booth.tick() is None
    clock.advance(89)
    assert booth.tick() is None
    clock.advance(1)  # scene 1's budget (90 s) is up
    assert booth.tick() == "next" and runner.index == 1
    clock.advance(75)
    assert booth.tick() == "next" and runner.index == 2
    for budget in (90, 75, 90):
        clock.advance(budget)
        assert booth.tick() == "next"
    assert (runner.index, runner.step) == (5, 0)
    # A scene with one live action splits its 75 s budget in two.
    assert booth.step_budget() == 37.5
    clock.advance(37.4)
    assert booth.tick() is None
    clock.advance(0.1)
    assert booth.tick() == "next" and (runner.index, runner.step) == (5, 1)
    assert hashes(s.working) != start
    # A visitor takes over: the loop pauses while they click around.
    booth.touch()
    clock.advance(500)
    runner.next()
    booth.touch()
    clock.advance(119)
    assert booth.tick() is None and booth.state == "visitor"
    clock.advance(1)
    assert booth.tick() == "idle-reset"
    assert booth.state == "attract" and (runner.index, runner.step) == (0, 0)
    assert hashes(s.working) == start
    # Let the loop run to the end: it resets and starts over.
    results = []
    for _ in range(400):
        clock.advance(15)
        results.append(booth.tick())
        if results[-1] == "loop":
            break
    assert results[-1] == "loop" and (runner.index, runner.step) == (0, 0)
    assert hashes(s.working) == start
    booth.close()


def test_booth_mode_without_loop_stays_on_the_last_scene(
    stories: dict[str, StoryDef], session: Callable[..., PresentSession], clock: FakeClock
) -> None:
    runner = StoryRunner(session("telecom"), stories["telecom"], clock)
    booth = BoothMode(runner, loop=False)
    runner.jump(runner.available[-1])
    clock.advance(1000)
    assert booth.tick() is None and runner.view().is_last
