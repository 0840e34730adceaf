"""Builds killed with SIGKILL at many points: the previous org survives, nothing half-done is left.

Each kill runs ``demoorg seed … --force`` in a child process and kills it after a delay spread
over the build's measured duration, or exactly around the final rename (a small wrapper kills the
process from inside ``os.replace``/``os.fsync``). After each kill the org at the target is either
byte-identical to the previous one or the complete new one (it opens, its tables hold the counts
its metadata records, and SQLite's integrity check passes), no SQLite journal lies beside it, and
the next start of demoorg removes the dead build's temporary file while a live build's survives.

The same holds on a PostgreSQL server (fixtures from ``tests/pg/conftest.py``): a killed build
leaves the previous org as it was and no temporary schema behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from demoorg.cli import main
from demoorg.content.files import BUILD_MARK
from demoorg.seeders.build import remove_stale_temps
from demoorg.seeders.schema import META_TABLE
from demoorg.seeders.writers import PG_TEMP_PREFIX, PgTarget

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "industries" / "_core"
FILE_KILLS = 40
SERVER_KILLS = 12

# The PostgreSQL fixtures live in tests/pg/conftest.py; they are loaded under a name of their own
# so this module can use the same throwaway server without being inside tests/pg.
_spec = importlib.util.spec_from_file_location(
    "demoorg_pg_fixtures", REPO / "tests" / "pg" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_pg = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _pg  # its dataclasses look their module up while being made
_spec.loader.exec_module(_pg)
pg_server = _pg.pg_server
pg_target = _pg.pg_target

#: Runs the CLI with os.replace / os.fsync of the build's temporary file killing the process:
#: argv[1] is the point (``before-rename``, ``after-rename``, ``after-fsync``), the rest is the CLI.
KILL_AT = r"""
import os, signal, sys
point = sys.argv[1]
real_replace, real_fsync = os.replace, os.fsync
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def replace(src, dst, *a, **k):
    building = ".building-" in str(src)
    if building and point == "before-rename":
        die()
    real_replace(src, dst, *a, **k)
    if building and point == "after-rename":
        die()
def fsync(fd):
    real_fsync(fd)
    if point == "after-fsync" and ".building-" in os.readlink(f"/proc/self/fd/{fd}"):
        die()
os.replace, os.fsync = replace, fsync
from demoorg.cli import main
sys.exit(main(sys.argv[2:]))
"""

#: Builds an org and stops after its first batch until a line arrives on standard input.
PAUSED_BUILD = r"""
import sys
from datetime import date
from demoorg.content.releases import parse_release
from demoorg.content.template import load_template
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams
from demoorg.seeders.writers import parse_target
tpl = load_template(sys.argv[1])
params = BuildParams(industry=tpl.industry, seed=5, size=600, size_name="600", locale="en_US",
                     as_of=date(2026, 11, 23), release=parse_release("Winter '27"))
paused = []
def progress(p):
    if not paused:
        paused.append(1)
        print("building", flush=True)
        sys.stdin.readline()
build_org(tpl, params, parse_target(sys.argv[2]), force=True, progress=progress)
print("built", flush=True)
"""


def child_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DEMOORG_DEBUG", None)
    return env


def seed_argv(out: Path | None, seed: int, size: int = 1500, db: str | None = None) -> list[str]:
    argv = ["seed", "--industry", str(CORE), "--size", str(size), "--seed", str(seed)]
    argv += ["--as-of", "2026-11-23", "--release", "Winter '27", "--force", "--quiet"]
    return argv + (["--db", db] if db else ["--out", str(out)])


def cli(*argv: str) -> list[str]:
    return [sys.executable, "-m", "demoorg", *argv]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_complete_org(path: Path) -> int:
    """Asserts the file is a whole org; returns its build seed."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        meta = {k: json.loads(v) for k, v in con.execute(f'SELECT key, value FROM "{META_TABLE}"')}
        for table, count in meta["counts"].items():
            assert con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone() == (count,), table
        assert sum(meta["counts"].values()) > 0
        return int(meta["build"]["seed"])


def kill_after(argv: list[str], delay: float) -> None:
    with subprocess.Popen(
        argv, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as child:
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()


def leftovers(folder: Path, out: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != out.name)


# --- org files -------------------------------------------------------------------------------------


def test_killed_file_builds_leave_the_previous_or_the_complete_new_org(
    demoorg_home: Path, tally: Callable[[str, int], None], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = demoorg_home / "orgs"  # demoorg's own orgs folder, which every start cleans
    folder.mkdir()
    out = folder / "org.demoorg"
    started = time.perf_counter()
    subprocess.run(cli(*seed_argv(out, seed=1)), env=child_env(), check=True, capture_output=True)
    duration = time.perf_counter() - started
    assert check_complete_org(out) == 1
    previous = sha256(out)

    # Evenly spread kill points over the whole run (start-up included), then the final steps.
    points: list[tuple[str, float]] = [
        ("timed", duration * (i + 0.5) / FILE_KILLS) for i in range(FILE_KILLS)
    ]
    points += [(p, 0.0) for p in ("after-fsync", "before-rename", "after-rename")] * 2
    outcomes = {"previous": 0, "new": 0}
    for n, (point, delay) in enumerate(points):
        seed = 10 + n
        if point == "timed":
            kill_after(cli(*seed_argv(out, seed)), delay)
        else:
            done = subprocess.run(
                [sys.executable, "-c", KILL_AT, point, *seed_argv(out, seed)],
                env=child_env(),
                capture_output=True,
            )
            assert done.returncode == -signal.SIGKILL, done.stderr
        current = sha256(out)
        if current == previous:
            outcomes["previous"] += 1
            assert point != "after-rename"
        else:
            assert check_complete_org(out) == seed
            outcomes["new"] += 1
            assert point not in ("after-fsync", "before-rename")
            previous = current
        # No journal of the org or of the temporary file: only the dead build's temporary file.
        for name in leftovers(folder, out):
            assert name.startswith(f".{out.name}{BUILD_MARK}"), name
            assert not name.endswith(("-journal", "-wal", "-shm")), name
        # The next start of demoorg (any command) removes what the killed build left.
        assert main(["releases", "--on", "2026-11-23"]) == 0
        capsys.readouterr()
        assert leftovers(folder, out) == []
        assert sha256(out) == previous
    # Both outcomes happened, so the kill points did span the rename.
    assert outcomes["previous"] > 0 and outcomes["new"] > 0, outcomes
    tally("build kill points survived", len(points))


def test_the_next_seed_into_a_folder_removes_a_killed_builds_temp(tmp_path: Path) -> None:
    out = tmp_path / "acme.demoorg"
    done = subprocess.run(
        [sys.executable, "-c", KILL_AT, "before-rename", *seed_argv(out, seed=3, size=300)],
        env=child_env(),
        capture_output=True,
    )
    assert done.returncode == -signal.SIGKILL
    stale = [p.name for p in tmp_path.iterdir()]
    assert len(stale) == 1 and BUILD_MARK in stale[0]  # a complete but unpublished build
    assert not out.exists()
    assert main(seed_argv(out, seed=4, size=300)) == 0
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    assert check_complete_org(out) == 4


def test_a_live_builds_temp_survives_another_start_and_build(
    tmp_path: Path, demoorg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = demoorg_home / "orgs"
    folder.mkdir()
    live_out = folder / "live.demoorg"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = folder / f".other.demoorg{BUILD_MARK}{dead.pid}"
    stale.write_bytes(b"half an org")
    with subprocess.Popen(
        [sys.executable, "-c", PAUSED_BUILD, str(CORE), str(live_out)],
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "building"
            live_temp = folder / f".{live_out.name}{BUILD_MARK}{child.pid}"
            assert live_temp.exists()
            # An app or command start, and another build into the same folder, run meanwhile.
            assert main(["releases", "--on", "2026-11-23"]) == 0
            assert main(seed_argv(folder / "next.demoorg", seed=2, size=300)) == 0
            remove_stale_temps(live_out)
            capsys.readouterr()
            assert live_temp.exists()
            assert not stale.exists()
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "built"
            assert child.wait(timeout=120) == 0
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert check_complete_org(live_out) == 5
    assert sorted(p.name for p in folder.iterdir()) == ["live.demoorg", "next.demoorg"]


# --- team orgs on PostgreSQL ------------------------------------------------------------------------


def pg_fingerprint(url: str, name: str) -> tuple[Any, ...]:
    """The org's metadata rows and the row count of each of its tables."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        meta = c.execute(f'SELECT key, value FROM "{name}"."{META_TABLE}" ORDER BY key').fetchall()
        counts = json.loads(dict(meta)["counts"])
        rows = {t: c.execute(f'SELECT COUNT(*) FROM "{name}"."{t}"').fetchone() for t in counts}
        return tuple(meta), tuple(sorted((t, n[0] if n else None) for t, n in rows.items()))


def pg_wait_idle(url: str) -> list[str]:
    """Waits until no build session is left on the server; returns the temporary schemas seen."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        for _ in range(600):  # a killed client's backend ends when it next talks to the client
            busy = c.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'demoorg seed'"
            ).fetchone()
            if busy == (0,):
                break
            time.sleep(0.05)
        else:
            pytest.fail("a killed build's server session did not end")
        return [
            r[0]
            for r in c.execute(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
                (PG_TEMP_PREFIX,),
            )
        ]


def test_killed_server_builds_leave_the_previous_org(
    pg_server: str,
    pg_target: Callable[[str], PgTarget],
    tally: Callable[[str, int], None],
) -> None:
    target = pg_target("killed_builds")
    url = str(target.url.render_as_string(hide_password=False))
    db = f"{url}#{target.name}"
    started = time.perf_counter()
    subprocess.run(cli(*seed_argv(None, seed=1, size=600, db=db)), env=child_env(), check=True)
    duration = time.perf_counter() - started
    previous = pg_fingerprint(url, target.name)
    outcomes = {"previous": 0, "new": 0}
    for n in range(SERVER_KILLS):
        seed = 10 + n
        kill_after(
            cli(*seed_argv(None, seed, size=600, db=db)), duration * (n + 0.5) / SERVER_KILLS
        )
        assert pg_wait_idle(url) == []
        current = pg_fingerprint(url, target.name)
        if current == previous:
            outcomes["previous"] += 1
        else:
            build = json.loads(dict(current[0])["build"])
            assert build["seed"] == seed
            assert all(count is not None for _t, count in current[1])
            counts = json.loads(dict(current[0])["counts"])
            assert dict(current[1]) == counts
            outcomes["new"] += 1
            previous = current
    assert outcomes["previous"] > 0, outcomes
    tally("server build kill points survived", SERVER_KILLS)


def test_a_stray_temp_schema_is_dropped_by_the_next_build_but_a_live_one_survives(
    pg_server: str, pg_target: Callable[[str], PgTarget], tmp_path: Path
) -> None:
    import psycopg

    url = pg_server.replace("postgresql+psycopg", "postgresql")
    stray = f"{PG_TEMP_PREFIX}deadbeef0001"
    with psycopg.connect(url, autocommit=True) as c:
        # What an interrupted build of an older version, or a restored dump, leaves behind.
        c.execute(f'CREATE SCHEMA "{stray}"; CREATE TABLE "{stray}"."Account" ("Id" text)')
    live = pg_target("live_build")
    with subprocess.Popen(
        [sys.executable, "-c", PAUSED_BUILD, str(CORE), f"{pg_server}#{live.name}"],
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "building"
            db = f"{pg_server}#next_build"
            assert main(seed_argv(None, seed=2, size=300, db=db)) == 0
            with psycopg.connect(url, autocommit=True) as c:
                left = c.execute(
                    "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
                    (PG_TEMP_PREFIX,),
                ).fetchall()
            assert left == []
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "built"
            assert child.wait(timeout=120) == 0
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    build = json.loads(dict(pg_fingerprint(pg_server, "live_build")[0])["build"])
    assert build["seed"] == 5
