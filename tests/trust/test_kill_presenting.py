"""Killed presentations: SIGKILL a presenting process anywhere and the baseline stays intact.

A child process opens a session on an org (a file, or an org on a PostgreSQL server), then moves
through a story at random (next, back, jump, reset, hard reset) until it is killed with SIGKILL at
a random point: while its working copy is being made, or between and during live actions. After
each kill:

* the baseline is unchanged (the file's bytes; every table's hash on the server);
* the next ``open_session`` removes what the killed process left (its ``demoorg-present-*``
  folder; its private schemas on the server) and leaves nothing else behind;
* that new session starts from the baseline: its start state is the same as before any kill, and
  reset brings it back there after live actions.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.content.paths import BUILTIN_INDUSTRIES
from demoorg.content.releases import parse_release
from demoorg.content.stories import StoryDef, load_stories
from demoorg.content.template import load_template
from demoorg.org.server import PG_PRESENT_PREFIX, server_engine
from demoorg.present import PresentSession, StoryRunner, open_session
from demoorg.present.workcopy import FOLDER_PREFIX
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams, Prospect
from demoorg.seeders.schema import quote
from demoorg.seeders.writers import PgTarget, parse_target

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 23)
TODAY = date(2026, 12, 10)
FILE_KILLS = 12
SERVER_KILLS = 10

# The throwaway PostgreSQL cluster of the team-org tests (tests/pg/conftest.py), reused here.
_spec = importlib.util.spec_from_file_location("pg_cluster", REPO / "tests" / "pg" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_pg_cluster = sys.modules.setdefault("pg_cluster", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(_pg_cluster)
pg_server = _pg_cluster.pg_server

#: The presenting process: prints "opening", "opened", then "move" after every move, until killed.
CHILD = r"""
import random, sys, time
from datetime import date
from demoorg.content.paths import BUILTIN_INDUSTRIES
from demoorg.content.stories import load_stories
from demoorg.content.template import load_template
from demoorg.present import PresentError, StoryRunner, open_session

org, seed = sys.argv[1], int(sys.argv[2])
story = load_stories(load_template(BUILTIN_INDUSTRIES / "medical"))[0]
rng = random.Random(seed)
print("opening", flush=True)
session = open_session(org, date(2026, 12, 10))
runner = StoryRunner(session, story, time.monotonic)
print("opened", flush=True)
for _ in range(5000):  # bounded: the parent kills it long before
    move = rng.choice(["next", "next", "next", "back", "jump", "reset", "hard"])
    try:
        if move == "jump":
            runner.jump(rng.choice(runner.available))
        elif move == "reset":
            runner.reset()
        elif move == "hard":
            runner.reset(hard=True)
        else:
            getattr(runner, move)()
    except PresentError:
        runner.skip()
    print("move", flush=True)
session.close()
"""


def _build(target: Path | PgTarget) -> None:
    tpl = load_template(BUILTIN_INDUSTRIES / "medical")
    params = BuildParams(
        industry=tpl.industry,
        seed=5,
        size=600,
        size_name="600",
        locale="en_US",
        as_of=AS_OF,
        release=parse_release("Winter '27"),
        prospect=Prospect("Acme Health"),
    )
    build_org(tpl, params, target)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _schema_hashes(target: PgTarget) -> dict[str, str]:
    engine = server_engine(target)
    try:
        with engine.connect() as conn:
            tables = [
                t
                for (t,) in conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
                    (target.name,),
                )
            ]
            sql = " UNION ALL ".join(
                f"SELECT '{t}', md5(COALESCE(string_agg(x::text, E'\\n' "
                f"ORDER BY x::text COLLATE \"C\"), '')) FROM {quote(target.name)}.{quote(t)} x"
                for t in tables
            )
            return dict(conn.exec_driver_sql(sql).all())
    finally:
        engine.dispose()


def _working_hashes(session: PresentSession) -> dict[str, str]:
    """Every table's hash in the session's working copy."""
    working = session.working
    if isinstance(working, PgTarget):
        return _schema_hashes(working)
    out = {}
    with session.org.engine.connect() as conn:
        tables = [
            t
            for (t,) in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for t in tables:
            h = hashlib.sha256()
            for row in conn.exec_driver_sql(f"SELECT * FROM {quote(t)} ORDER BY 1"):
                h.update(repr(tuple(row)).encode())
            out[t] = h.hexdigest()
    return out


def _session_schemas(target: PgTarget) -> set[str]:
    engine = server_engine(target)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                (PG_PRESENT_PREFIX.replace("_", r"\_") + "%",),
            )
            return {name for (name,) in rows}
    finally:
        engine.dispose()


def _wait_for_server_to_notice(target: PgTarget) -> None:
    """Waits (bounded) until the killed process's server connections have ended.

    A killed client's backend ends when it next reads from its socket: at once when idle, after
    its statement when busy. Until then its lock is held and its schemas are (rightly) live.
    """
    engine = server_engine(target)
    try:
        for _ in range(600):
            with engine.connect() as conn:
                others = conn.exec_driver_sql(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'demoorg' "
                    "AND datname = current_database() AND pid <> pg_backend_pid()"
                ).scalar_one()
            if others == 0:
                return
            time.sleep(0.05)
        pytest.fail("the server still serves the killed presentation after 30 s")
    finally:
        engine.dispose()


def _kill_at_random(org: str, seed: int, env: dict[str, str]) -> str:
    """Runs the presenting child and SIGKILLs it at a random point; returns where it was."""
    rng = random.Random(seed)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, org, str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "opening", child.stderr
        stage = rng.choice(["while opening", "while presenting"])
        if stage == "while opening":
            time.sleep(rng.uniform(0.0, 0.4))  # somewhere in copying and shifting dates
        else:
            assert child.stdout.readline().strip() == "opened"
            for _ in range(rng.randrange(0, 25)):
                line = child.stdout.readline().strip()
                assert line == "move", (line, child.stderr.read() if child.stderr else "")
            time.sleep(rng.uniform(0.0, 0.02))  # during the next move or between two
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL, "the child ended before it was killed"
        return stage
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _reopen_and_check(org: Any, story: StoryDef, start: dict[str, str]) -> PresentSession:
    """Opens the org again: a fresh working copy of the baseline whose reset gives its start."""
    session = open_session(org, TODAY)
    assert _working_hashes(session) == start
    runner = StoryRunner(session, story, time.monotonic)
    runner.jump(runner.available[min(6, len(runner.available) - 1)])
    assert runner.applied  # live actions changed the working copy …
    runner.reset()
    assert _working_hashes(session) == start  # … and reset gives the start state back
    return session


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary folder of its own for session folders, here and in the children."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_killing_a_presentation_of_an_org_file_never_harms_it(
    tmp_path: Path, private_tmp: Path, tally: Callable[[str, int], None]
) -> None:
    org = tmp_path / "medical.demoorg"
    _build(org)
    baseline = _file_hash(org)
    story = load_stories(load_template(BUILTIN_INDUSTRIES / "medical"))[0]
    with open_session(org, TODAY) as first:
        start = _working_hashes(first)
    left_behind = 0
    stages = set()
    for i in range(FILE_KILLS):
        stages.add(_kill_at_random(str(org), 1000 + i, _child_env()))
        assert _file_hash(org) == baseline, f"kill {i}: the org file changed"
        leftovers = set(private_tmp.glob(f"{FOLDER_PREFIX}*"))
        left_behind += bool(leftovers)
        session = _reopen_and_check(org, story, start)
        try:
            assert set(private_tmp.glob(f"{FOLDER_PREFIX}*")) == {session.folder}  # type: ignore[attr-defined]
        finally:
            session.close()
        assert not list(private_tmp.glob(f"{FOLDER_PREFIX}*"))
        tally("presentation kill points survived", 1)
    assert stages == {"while opening", "while presenting"}
    assert left_behind > 0  # some kills did leave a working copy for the next open to remove
    assert _file_hash(org) == baseline


def test_killing_a_presentation_of_a_server_org_never_harms_it(
    pg_server: str, tally: Callable[[str, int], None]
) -> None:
    target = parse_target(pg_server, "kill_medical")
    assert isinstance(target, PgTarget)
    _build(target)
    baseline = _schema_hashes(target)
    story = load_stories(load_template(BUILTIN_INDUSTRIES / "medical"))[0]
    with open_session(target, TODAY) as first:
        start = _working_hashes(first)
    left_behind = 0
    for i in range(SERVER_KILLS):
        _kill_at_random(str(target), 2000 + i, _child_env())
        _wait_for_server_to_notice(target)
        assert _schema_hashes(target) == baseline, f"kill {i}: the server org changed"
        left_behind += bool(_session_schemas(target))
        session = _reopen_and_check(target, story, start)
        try:
            assert isinstance(session.working, PgTarget) and isinstance(session.start, PgTarget)
            assert _session_schemas(target) == {session.working.name, session.start.name}
        finally:
            session.close()
        assert not _session_schemas(target)
        tally("presentation kill points survived", 1)
    assert left_behind > 0
    assert _schema_hashes(target) == baseline
