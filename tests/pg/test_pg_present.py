"""Presenting a server org: working schemas, every shipped story with exact Back/Jump/Reset, the
same live actions as on an org file, two presenters at once, stale schemas, the rehearsal log.

Each industry's org is built twice with the presenting tests' parameters (as of 2026-11-23,
Winter '27, presented 17 days later): on the server and in a file. The data at every position is
compared as a hash of every table of the working schema, computed on the server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.cli import main
from demoorg.content import model as m
from demoorg.content.paths import BUILTIN_INDUSTRIES
from demoorg.content.releases import parse_release
from demoorg.content.stories import load_stories
from demoorg.content.template import load_template
from demoorg.errors import OrgError
from demoorg.org.server import PG_PRESENT_PREFIX, list_orgs, org_names, server_engine
from demoorg.present import (
    Feedback,
    PresentError,
    PresentSession,
    RehearsalLog,
    RehearsalRun,
    StoryRunner,
    open_session,
)
from demoorg.present.rehearsal import FEEDBACK_TABLE, RUNS_TABLE
from demoorg.present.servercopy import CHANGED_TABLE, ServerSession
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams, Prospect
from demoorg.seeders.schema import quote
from demoorg.seeders.writers import PgTarget

AS_OF = date(2026, 11, 23)
TODAY = date(2026, 12, 10)
INDUSTRIES = ("medical", "telecom", "finance", "transportation")


@dataclass(frozen=True)
class Pair:
    """One industry's org on the server and the same org in a file."""

    pg: PgTarget
    file: Path
    template: m.TemplateDef


@pytest.fixture(scope="module")
def pairs(
    pg_target: Callable[[str], PgTarget], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Pair]:
    folder = tmp_path_factory.mktemp("pg-present")
    out = {}
    for industry in INDUSTRIES:
        tpl = load_template(BUILTIN_INDUSTRIES / industry)
        params = BuildParams(
            industry=tpl.industry,
            seed=3,
            size=1200,
            size_name="1200",
            locale="en_US",
            as_of=AS_OF,
            release=parse_release("Winter '27"),
            prospect=Prospect("Acme Health"),
        )
        target = pg_target(f"present_{industry}")
        path = folder / f"{industry}.demoorg"
        build_org(tpl, params, target)
        build_org(tpl, params, path)
        out[industry] = Pair(target, path, tpl)
    return out


def schema_hashes(target: PgTarget, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """A hash of every table of the target's schema (all rows, in a fixed order), by table."""
    engine = server_engine(target)
    try:
        with engine.connect() as conn:
            tables = [
                t
                for (t,) in conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
                    (target.name,),
                )
                if t not in skip
            ]
            schema = quote(target.name)
            sql = " UNION ALL ".join(
                f"SELECT '{t}', md5(COALESCE(string_agg(x::text, E'\\n' "
                f"ORDER BY x::text COLLATE \"C\"), '')) FROM {schema}.{quote(t)} x"
                for t in tables
            )
            return dict(conn.exec_driver_sql(sql).all()) if tables else {}
    finally:
        engine.dispose()


def session_schemas_on(target: PgTarget) -> set[str]:
    engine = server_engine(target)
    try:
        with engine.connect() as conn:
            pattern = PG_PRESENT_PREFIX.replace("_", r"\_") + "%"
            rows = conn.exec_driver_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (pattern,)
            )
            return {name for (name,) in rows}
    finally:
        engine.dispose()


def rows_of(session: PresentSession, changed: set[tuple[str, str]]) -> dict[Any, Any]:
    """The current rows of ``(object, Id)`` records in a working copy (None when deleted)."""
    out = {}
    with session.org.engine.connect() as conn:
        for obj, rid in sorted(changed):
            res = conn.exec_driver_sql(f'SELECT * FROM {quote(obj)} WHERE "Id" = ?', (rid,))
            row = res.first()
            out[(obj, rid)] = None if row is None else dict(zip(res.keys(), row, strict=True))
    return out


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sessions() -> Iterator[Callable[[Any], PresentSession]]:
    opened: list[PresentSession] = []

    def _open(org: Any, today: date | None = TODAY) -> PresentSession:
        s = open_session(org, today)
        opened.append(s)
        return s

    yield _open
    for s in opened:
        s.close()


def _next_both(file_runner: StoryRunner, pg_runner: StoryRunner) -> tuple[bool, bool]:
    """Next on both runners; an action that fails on one must fail on the other (then skipped)."""
    try:
        file_move = file_runner.next()
    except PresentError as exc:
        with pytest.raises(PresentError) as pg_exc:
            pg_runner.next()
        assert str(pg_exc.value) == str(exc)
        file_runner.skip()
        pg_runner.skip()
        return True, True
    pg_move = pg_runner.next()
    assert pg_move == file_move  # the same position and the same records changed
    return pg_move.moved, False


def _to_the_end(runner: StoryRunner) -> None:
    """Next until the last position, skipping the live actions that cannot run."""
    while True:
        try:
            if not runner.next().moved:
                return
        except PresentError:
            runner.skip()


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_every_shipped_story_is_exact_and_matches_the_org_file(
    industry: str, pairs: dict[str, Pair], sessions: Callable[[Any], PresentSession]
) -> None:
    pair = pairs[industry]
    baseline = schema_hashes(pair.pg)
    stories = load_stories(pair.template)
    assert len(stories) >= 3
    for story in stories:
        file_s, pg_s = sessions(pair.file), sessions(pair.pg)
        file_runner = StoryRunner(file_s, story, Clock())
        pg_runner = StoryRunner(pg_s, story, Clock())
        working = pg_s.working
        assert isinstance(working, PgTarget)
        start = schema_hashes(working)
        assert start == schema_hashes(pg_s.start, skip=(CHANGED_TABLE,))  # type: ignore[arg-type]
        seen = {(pg_runner.index, pg_runner.step): start}
        changed: set[tuple[str, str]] = set()
        skipped = False
        while True:
            moved, was_skipped = _next_both(file_runner, pg_runner)
            skipped |= was_skipped
            if not moved:
                break
            seen[(pg_runner.index, pg_runner.step)] = schema_hashes(working)
            changed |= {(r[0], r[1]) for a in pg_runner.applied for r in a.rows}
        assert pg_runner.view().is_last, story.key
        assert len({tuple(sorted(h.items())) for h in seen.values()}) > 1, story.key
        # Every record the live actions touched holds the same values as in the org file.
        assert rows_of(pg_s, changed) == rows_of(file_s, changed), story.key
        # Back, one position at a time, restores each position's data exactly.
        while pg_runner.back().moved:
            assert schema_hashes(working) == seen[(pg_runner.index, pg_runner.step)], story.key
        assert schema_hashes(working) == start
        # Jump anywhere: the data is the scene's as it starts (a jump past an action that failed
        # on this small org fails at it again, and stops just before it).
        for index in pg_runner.available[::-1] + pg_runner.available[::2]:
            try:
                pg_runner.jump(index)
            except PresentError:
                assert skipped
                continue
            assert schema_hashes(working) == seen[(index, 0)], (story.key, index)
        pg_runner.reset()
        assert schema_hashes(working) == start
        _to_the_end(pg_runner)
        pg_runner.reset(hard=True)
        assert schema_hashes(working) == start and not pg_runner.applied
    assert schema_hashes(pair.pg) == baseline  # the baseline never changed


def test_a_session_shifts_dates_in_its_own_schemas_and_drops_them_on_close(
    pairs: dict[str, Pair],
) -> None:
    pair = pairs["medical"]
    baseline = schema_hashes(pair.pg)
    s = open_session(pair.pg, TODAY)
    assert isinstance(s, ServerSession) and s.on_server
    working, start = s.working, s.start
    assert {working.name, start.name} <= session_schemas_on(pair.pg)
    assert working.name.startswith(PG_PRESENT_PREFIX)
    assert s.shift.days == 17 and s.shift.rows > 500
    assert (s.today, s.org.build["baseline_as_of"]) == (TODAY, AS_OF.isoformat())
    # Every date and date-time moved by exactly 17 days; nothing else moved.
    engine = server_engine(pair.pg)
    try:
        with engine.connect() as conn:
            org, work = quote(pair.pg.name), quote(working.name)
            for obj, fld in s.shift.columns:
                col = quote(fld)
                moved = conn.exec_driver_sql(
                    f"SELECT COUNT(*), COUNT(*) FILTER (WHERE w.{col}::timestamp - b.{col}::timestamp "
                    "= interval '17 days') "
                    f"FROM {org}.{quote(obj)} b "
                    f'JOIN {work}.{quote(obj)} w ON w."Id" = b."Id" WHERE b.{col} IS NOT NULL'
                ).one()
                assert moved[0] == moved[1], (obj, fld)
    finally:
        engine.dispose()
    hero = s.meta["heroes"]["maria_appointment"]["id"]
    with s.org.engine.connect() as conn:
        when = conn.exec_driver_sql(
            'SELECT "SchedStartTime" FROM "ServiceAppointment" WHERE "Id" = ?', (hero,)
        ).scalar_one()
    assert isinstance(when, str) and date.fromisoformat(when[:10]) == date(2026, 12, 12)
    # Nobody sees the working copies as orgs.
    assert not any(n.startswith(PG_PRESENT_PREFIX) for n in org_names(pair.pg))
    assert not any(o.name.startswith(PG_PRESENT_PREFIX) for o in list_orgs(pair.pg))
    s.close()
    assert not {working.name, start.name} & session_schemas_on(pair.pg)
    assert schema_hashes(pair.pg) == baseline


def test_restore_refills_the_working_schema_from_the_start(
    pairs: dict[str, Pair], sessions: Callable[[Any], PresentSession]
) -> None:
    s = sessions(pairs["telecom"].pg)
    start = schema_hashes(s.start, skip=(CHANGED_TABLE,))  # type: ignore[arg-type]
    assert schema_hashes(s.working) == start  # type: ignore[arg-type]
    s.restore()  # nothing changed: nothing to refill
    assert schema_hashes(s.working) == start  # type: ignore[arg-type]
    # Changes made outside the runner, by another client of the server, are undone too.
    assert isinstance(s.working, PgTarget)
    engine = server_engine(s.working, readonly=False)
    try:
        with engine.begin() as conn:
            working = quote(s.working.name)
            conn.exec_driver_sql(f'DELETE FROM {working}."Task"')
            conn.exec_driver_sql(f'UPDATE {working}."Account" SET "Name" = \'changed\'')
    finally:
        engine.dispose()
    assert schema_hashes(s.working) != start
    s.restore()
    assert schema_hashes(s.working) == start  # type: ignore[arg-type]
    with s.org.engine.connect() as conn:
        assert conn.exec_driver_sql('SELECT COUNT(*) FROM "Task"').scalar_one() > 0


def test_two_presenters_at_once_on_one_server_never_meet(pairs: dict[str, Pair]) -> None:
    """Three sessions present at the same time: two on the same org, one on another."""
    stories = {i: load_stories(pairs[i].template)[0] for i in ("medical", "finance")}
    baseline = schema_hashes(pairs["medical"].pg)
    plan = [("medical", "a"), ("medical", "b"), ("finance", "c")]
    barrier = threading.Barrier(len(plan))
    results: dict[str, Any] = {}

    def present(industry: str, who: str) -> None:
        try:
            with open_session(pairs[industry].pg, TODAY) as s:
                runner = StoryRunner(s, stories[industry], Clock())
                start = schema_hashes(s.working)  # type: ignore[arg-type]
                barrier.wait(timeout=60)
                positions = []
                while runner.next().moved:
                    positions.append(schema_hashes(s.working))  # type: ignore[arg-type]
                    if len(positions) <= 3:  # the first moves in lockstep, the rest as they come
                        barrier.wait(timeout=60)
                while runner.back().moved:
                    pass
                back = schema_hashes(s.working)  # type: ignore[arg-type]
                runner.jump(runner.available[-1])
                runner.reset(hard=True)
                results[who] = (s.working, start, back, schema_hashes(s.working), positions)  # type: ignore[arg-type]
        except BaseException as exc:  # reported by the main thread
            barrier.abort()
            results[who] = exc

    threads = [threading.Thread(target=present, args=p) for p in plan]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    for who, value in results.items():
        assert not isinstance(value, BaseException), (who, value)
    assert len(results) == 3
    a, b, c = results["a"], results["b"], results["c"]
    assert len({a[0].name, b[0].name, c[0].name}) == 3  # each its own schemas
    for _, start, back, restored, positions in (a, b, c):
        assert back == start and restored == start
        assert len(positions) > 3
    # The two presentations of one org went through the same data, untouched by each other.
    assert a[4] == b[4] and a[1] == b[1]
    assert schema_hashes(pairs["medical"].pg) == baseline
    assert not session_schemas_on(pairs["medical"].pg) & {a[0].name, b[0].name, c[0].name}


def test_a_dead_sessions_schemas_are_removed_by_the_next_open_a_live_ones_are_not(
    pairs: dict[str, Pair],
) -> None:
    pair = pairs["finance"]
    alive = open_session(pair.pg, TODAY)
    dead = open_session(pair.pg, TODAY)
    assert isinstance(alive, ServerSession) and isinstance(dead, ServerSession)
    dead_schemas = {dead.working.name, dead.start.name}
    # The dead session's process is gone: its server connection ended, and with it its lock.
    engine = server_engine(pair.pg)
    try:
        with engine.connect() as conn:
            pid = dead._lease.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
            conn.exec_driver_sql("SELECT pg_terminate_backend(%s)", (pid,))
    finally:
        engine.dispose()
    assert dead_schemas <= session_schemas_on(pair.pg)  # left behind
    fresh = open_session(pair.pg, TODAY)
    try:
        on_server = session_schemas_on(pair.pg)
        assert not dead_schemas & on_server
        assert {alive.working.name, alive.start.name} <= on_server  # type: ignore[union-attr]
        with alive.org.engine.connect() as conn:  # the live one still works
            assert conn.exec_driver_sql('SELECT COUNT(*) FROM "Account"').scalar_one() > 0
    finally:
        fresh.close()
        alive.close()
        dead.close()  # its schemas are gone already; closing says nothing of it


def test_rehearsals_and_feedback_are_saved_in_the_server_orgs_schema(
    pairs: dict[str, Pair],
) -> None:
    pair = pairs["transportation"]
    crm = schema_hashes(pair.pg)
    log = RehearsalLog(str(pair.pg))
    assert log.runs() == [] and log.feedback() == []  # nothing yet, and nothing written
    assert schema_hashes(pair.pg) == crm
    run_id = log.save_run(RehearsalRun("s1", "Story", ((0, 80.5), (2, 30.0)), "rehearsal", "t0"))
    log.save_run(RehearsalRun("s2", "Other", ((0, 1.0),), "live"))
    note_id = log.add_feedback(Feedback("s1", 2, "Scene 3", "question", "  Works with SAP?  "))
    again = RehearsalLog(pair.pg)  # a PgTarget works too
    assert [(r.id, r.seconds, r.mode, r.started_at) for r in again.runs("s1")] == [
        (run_id, ((0, 80.5), (2, 30.0)), "rehearsal", "t0")
    ]
    assert len(again.runs()) == 2
    assert [(n.id, n.kind, n.text, n.scene) for n in again.feedback("s1")] == [
        (note_id, "question", "Works with SAP?", 2)
    ]
    again.delete_run(run_id)
    assert [r.story for r in again.runs()] == ["s2"]
    after = schema_hashes(pair.pg)
    assert {RUNS_TABLE, FEEDBACK_TABLE} <= set(after)
    assert {k: v for k, v in after.items() if k not in (RUNS_TABLE, FEEDBACK_TABLE)} == crm
    # A presentation's working copy never carries them back: they live in the baseline only.
    assert org_names(pair.pg).count(pair.pg.name) == 1


def test_a_user_who_may_not_write_gets_a_clear_message(
    pairs: dict[str, Pair], pg_target: Callable[[str], PgTarget]
) -> None:
    pair = pairs["telecom"]
    engine = server_engine(pair.pg, readonly=False)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'viewer') "
                "THEN CREATE ROLE viewer LOGIN; END IF; END $$"
            )
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {pair.pg.name} TO viewer")
            conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA {pair.pg.name} TO viewer")
            conn.exec_driver_sql("REVOKE CREATE ON DATABASE demoorg_test FROM PUBLIC")
            conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    finally:
        engine.dispose()
    viewer = PgTarget(pair.pg.url.set(username="viewer"), pair.pg.name)
    with pytest.raises(OrgError, match="CREATE privilege on the database"):
        open_session(viewer, TODAY)
    assert not session_schemas_on(pair.pg)
    with pytest.raises(OrgError, match=r"the rehearsal could not be saved: .*permission denied"):
        RehearsalLog(viewer).save_run(RehearsalRun("s", "t", ((0, 1.0),)))


def test_the_command_line_takes_a_server_org_to_present(
    pairs: dict[str, Pair], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["present", str(pairs["medical"].pg), "no-such-story"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().startswith("demoorg: unknown story 'no-such-story' for this org")
    assert "cfo-care-gaps" in err


def test_an_org_that_is_not_on_the_server(pg_target: Callable[[str], PgTarget]) -> None:
    with pytest.raises(OrgError, match="no org 'nowhere'"):
        open_session(pg_target("nowhere"), TODAY)


def test_the_app_presents_a_server_org_with_clicker_keys(
    pairs: dict[str, Pair], qtbot: Any, themed_app: Any, settings: Any
) -> None:
    """The presenter console and audience window on a server org: PgDn through the story, the
    audience on each scene's target, R R back to the start state, and the session's schemas gone
    once the presentation ends."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from demoorg.ui.presenter import run_presenter

    pair = pairs["medical"]
    story = BUILTIN_INDUSTRIES / "medical" / "stories" / "cfo-care-gaps.yaml"
    baseline = schema_hashes(pair.pg)
    p = run_presenter(str(pair.pg), story, today=TODAY, settings=settings)
    qtbot.addWidget(p.console)
    qtbot.addWidget(p.audience)
    try:
        assert p.session.on_server
        working = p.session.working
        start = schema_hashes(working)

        def press(key: Qt.Key) -> None:
            p.console.activateWindow()
            qtbot.keyClick(p.console, key)
            qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
            QApplication.processEvents()

        moves = 0
        while not p.view.is_last and moves < 40:
            press(Qt.Key.Key_PageDown)
            show = p.runner.view().show
            target = {"record": show.record_id, "list": show.object, "dashboard": show.dashboard}
            assert p.audience.shown() == (show.kind, target[show.kind])
            moves += 1
        assert p.runner.applied, "the story's live actions ran on the server"
        assert schema_hashes(working) != start
        press(Qt.Key.Key_R)
        press(Qt.Key.Key_R)
        assert p.runner.index == p.runner.available[0] and not p.runner.applied
        assert schema_hashes(working) == start
    finally:
        p.end()
    assert not session_schemas_on(pair.pg) & {working.name}
    assert schema_hashes(pair.pg) == baseline
