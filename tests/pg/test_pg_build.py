"""Team orgs on PostgreSQL: the same org as in a file, atomic builds, concurrency, credentials.

Every shipped industry is built once on the session's server and once in a file with the same
parameters (``shipped_pair``); the two must hold the same rows and metadata. The safety checks
build small core orgs of their own.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from demoorg.errors import OrgError, UsageError
from demoorg.org.orgfile import open_org
from demoorg.org.server import list_orgs
from demoorg.seeders import writers
from demoorg.seeders.build import BuildCancelled, BuildResult
from demoorg.seeders.schema import META_TABLE, quote
from demoorg.seeders.writers import PG_TEMP_PREFIX, PgTarget, parse_target

INDUSTRIES = Path(__file__).resolve().parents[2] / "industries"
CORE = INDUSTRIES / "_core"
#: Every shipped template, as in tests/org/test_audit.py.
SHIPPED = [
    name
    for name in ("_core", "medical", "telecom", "transportation", "finance")
    if (INDUSTRIES / name / "template.yaml").is_file()
]
Target = Callable[[str], PgTarget]
Pair = Callable[[str], Any]
Build = Callable[..., BuildResult]


def server_rows(target: PgTarget, sql: str, **params: Any) -> list[Any]:
    """Runs SQL on the target's server (not confined to any org)."""
    engine = create_engine(target.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def server_exec(target: PgTarget, sql: str) -> None:
    engine = create_engine(target.url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def temp_schemas(target: PgTarget) -> list[str]:
    rows = server_rows(
        target,
        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :prefix)",
        prefix=PG_TEMP_PREFIX,
    )
    return [r[0] for r in rows]


def table_rows(org: Any, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every row of ``table`` with columns in the org's declared order, sorted in Python."""
    md_cols = None
    with org.engine.connect() as conn:
        if org.engine.dialect.name == "sqlite":
            md_cols = [r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({quote(table)})")]
            rows = conn.exec_driver_sql(
                f"SELECT {', '.join(quote(c) for c in md_cols)} FROM {quote(table)}"
            ).all()
        else:
            md_cols = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = :t "
                        "ORDER BY ordinal_position"
                    ),
                    {"t": table},
                )
            ]
            rows = conn.exec_driver_sql(
                f"SELECT {', '.join(quote(c) for c in md_cols)} FROM {quote(table)}"
            ).all()
    return md_cols, sorted((tuple(r) for r in rows), key=lambda r: str(r[0]))


def same_value(a: Any, b: Any) -> bool:
    # Currency is NUMERIC(18,2) on PostgreSQL, exact; SQLite's roll-up sums are binary floats.
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


# --- the same org as in a file -----------------------------------------------------------------


@pytest.mark.parametrize("industry", SHIPPED)
def test_counts_equal_the_file_build(shipped_pair: Pair, industry: str) -> None:
    pair = shipped_pair(industry)
    assert pair.pg_result.counts == pair.file_result.counts
    with open_org(pair.pg) as org:
        assert org.counts() == pair.file_result.counts
        assert org.meta["counts"] == pair.file_result.counts


@pytest.mark.parametrize("industry", SHIPPED)
def test_metadata_round_trips(shipped_pair: Pair, industry: str) -> None:
    pair = shipped_pair(industry)
    with open_org(pair.pg) as pg, open_org(pair.file) as file:
        assert pg.meta == file.meta
        assert pg.location == str(pair.pg)


@pytest.mark.parametrize("industry", SHIPPED)
def test_every_row_equals_the_file_build(shipped_pair: Pair, industry: str) -> None:
    """Same rows, read back as the same Python values (ISO text dates, 0/1 booleans)."""
    pair = shipped_pair(industry)
    with open_org(pair.pg) as pg, open_org(pair.file) as file:
        for table in ["RecordType", META_TABLE, *(o["name"] for o in file.objects())]:
            file_cols, file_rows = table_rows(file, table)
            pg_cols, pg_rows = table_rows(pg, table)
            assert pg_cols == file_cols, table
            assert len(pg_rows) == len(file_rows), table
            for a, b in zip(file_rows, pg_rows, strict=True):
                diff = [
                    (c, x, y)
                    for c, x, y in zip(file_cols, a, b, strict=True)
                    if not same_value(x, y)
                ]
                assert not diff, (table, a[0], diff[:3])


@pytest.mark.parametrize("industry", SHIPPED)
def test_every_lookup_resolves_and_is_a_foreign_key(shipped_pair: Pair, industry: str) -> None:
    pair = shipped_pair(industry)
    with open_org(pair.pg) as org, org.engine.connect() as conn:
        tables = {o["name"] for o in org.objects()} | {"RecordType"}
        checked = 0
        for o in org.objects():
            for f in o["fields"]:
                if f["type"] != "lookup" or not f.get("store", True):
                    continue
                targets = ["RecordType"] if f["name"] == "RecordTypeId" else f["reference_to"]
                present = [t for t in targets if t in tables]
                if not present:
                    continue
                missing = " AND ".join(
                    f"NOT EXISTS (SELECT 1 FROM {quote(t)} p WHERE p.{quote('Id')} = c.{quote(f['name'])})"
                    for t in present
                )
                dangling = conn.exec_driver_sql(
                    f"SELECT COUNT(*) FROM {quote(o['name'])} c "
                    f"WHERE c.{quote(f['name'])} IS NOT NULL AND {missing}"
                ).scalar_one()
                assert dangling == 0, f"{o['name']}.{f['name']}: {dangling} dangling"
                checked += 1
        assert checked >= 5
        foreign_keys = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' "
            "AND connamespace = current_schema()::regnamespace"
        ).scalar_one()
        assert foreign_keys >= checked // 2


def test_values_are_typed_on_the_server(shipped_pair: Pair) -> None:
    pair = shipped_pair("_core")
    rows = server_rows(
        pair.pg,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = :s AND table_name = 'Opportunity' "
        "AND column_name IN ('CloseDate', 'IsClosed', 'Amount', 'CreatedDate')",
        s=pair.pg.name,
    )
    types = {column: kind for _, column, kind in rows}
    assert types["CloseDate"] == "date"
    assert types["IsClosed"] == "boolean"
    assert types["Amount"] == "numeric"
    assert types["CreatedDate"] == "timestamp without time zone"
    won = server_rows(
        pair.pg,
        f'SELECT COUNT(*) FROM {pair.pg.name}."Opportunity" WHERE "IsWon" AND "CloseDate" <= :d',
        d="2026-11-23",
    )[0][0]
    assert won > 0


def test_an_org_opened_read_only_refuses_writes(shipped_pair: Pair) -> None:
    pair = shipped_pair("_core")
    with (
        open_org(pair.pg) as org,
        org.engine.connect() as conn,
        pytest.raises(DBAPIError, match="read-only transaction"),
    ):
        conn.exec_driver_sql('DELETE FROM "Account"')
    with open_org(pair.pg, readonly=False) as org, org.engine.connect() as conn:
        conn.exec_driver_sql('UPDATE "Account" SET "Name" = "Name" WHERE false')
        conn.rollback()


# --- atomic builds -------------------------------------------------------------------------------


def test_existing_org_needs_force_and_force_replaces_it(
    pg_target: Target, build_core: Build
) -> None:
    target = pg_target("replace_me")
    build_core(target, seed=1)
    with pytest.raises(UsageError, match=r"org 'replace_me' already exists .*--force"):
        build_core(target, seed=2)
    with open_org(target) as org:
        assert org.build["seed"] == 1
    build_core(target, seed=2, force=True)
    with open_org(target) as org:
        assert org.build["seed"] == 2
    assert temp_schemas(target) == []


def test_a_schema_that_is_not_an_org_is_never_replaced(
    pg_target: Target, build_core: Build
) -> None:
    target = pg_target("someone_elses")
    server_exec(target, "CREATE SCHEMA someone_elses; CREATE TABLE someone_elses.t (x int)")
    with pytest.raises(UsageError, match="exists and is not a demoorg org"):
        build_core(target, force=True)
    assert server_rows(target, "SELECT COUNT(*) FROM someone_elses.t")[0][0] == 0
    with pytest.raises(OrgError, match="not a demoorg org"):
        open_org(target)


def test_cancelled_build_leaves_nothing(pg_target: Target, build_core: Build) -> None:
    target = pg_target("never_built")
    with pytest.raises(BuildCancelled):
        build_core(target, cancelled=lambda: True)
    with pytest.raises(OrgError, match="no org 'never_built'"):
        open_org(target)
    assert temp_schemas(target) == []


def test_cancelled_rebuild_keeps_the_previous_org(pg_target: Target, build_core: Build) -> None:
    target = pg_target("kept")
    build_core(target, seed=1)
    with open_org(target) as org:
        before = org.counts()
    polls = []

    def cancel_after_a_few_batches() -> bool:
        polls.append(1)
        return len(polls) > 4

    with pytest.raises(BuildCancelled):
        build_core(target, seed=2, force=True, cancelled=cancel_after_a_few_batches)
    assert len(polls) == 5
    with open_org(target) as org:
        assert org.build["seed"] == 1
        assert org.counts() == before
    assert temp_schemas(target) == []


def test_an_interrupt_during_the_load_keeps_the_previous_org(
    pg_target: Target, build_core: Build
) -> None:
    target = pg_target("interrupted")
    build_core(target, seed=1)

    def interrupt(progress: Any) -> None:
        if progress.rows_written > 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_core(target, seed=2, force=True, progress=interrupt)
    with open_org(target) as org:
        assert org.build["seed"] == 1
    assert temp_schemas(target) == []


def test_replacing_an_org_someone_is_reading_waits_then_says_so(
    pg_target: Target, build_core: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = pg_target("in_use")
    build_core(target, seed=1)
    monkeypatch.setattr(writers, "PG_SWAP_LOCK_TIMEOUT", "300ms")
    with open_org(target) as org, org.engine.connect() as reader:
        reader.exec_driver_sql('SELECT COUNT(*) FROM "Account"').scalar_one()  # holds its lock
        with pytest.raises(UsageError, match="'in_use' is in use by another session"):
            build_core(target, seed=2, force=True)
    with open_org(target) as org:
        assert org.build["seed"] == 1
    build_core(target, seed=2, force=True)  # once the reader is gone
    with open_org(target) as org:
        assert org.build["seed"] == 2
    assert temp_schemas(target) == []


def test_a_killed_build_process_keeps_the_previous_org(
    pg_target: Target, build_core: Build
) -> None:
    """SIGKILL mid-COPY: the server rolls the transaction back when the connection drops."""
    target = pg_target("killed")
    build_core(target, seed=1)
    with open_org(target) as org:
        before = org.counts()
    url = str(target).rpartition("#")[0]
    argv = ["seed", "--industry", str(CORE), "--size", "200000", "--as-of", "2026-11-23"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "demoorg", *argv, "--db", url, "--org", "killed", "--force", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        copying = 0
        while time.monotonic() < deadline and proc.poll() is None:
            copying = server_rows(
                target,
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'demoorg seed' "
                "AND query LIKE 'COPY%'",
            )[0][0]
            if copying:
                break
            time.sleep(0.05)
        assert copying, "the build never reached its COPY"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = server_rows(
            target,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'demoorg seed'",
        )[0][0]
        if not left:
            break
        time.sleep(0.05)
    with open_org(target) as org:
        assert org.build["seed"] == 1
        assert org.counts() == before
    assert temp_schemas(target) == []


# --- a shared server -----------------------------------------------------------------------------


def test_two_orgs_built_at_once_do_not_interfere(
    pg_target: Target, build_core: Build, tmp_path: Path
) -> None:
    targets = {seed: pg_target(f"together_{seed}") for seed in (11, 12)}
    results: dict[int, BuildResult] = {}
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        try:
            results[seed] = build_core(targets[seed], seed=seed, size=1500)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    for seed, target in targets.items():
        alone = build_core(tmp_path / f"{seed}.demoorg", seed=seed, size=1500)
        assert results[seed].counts == alone.counts
        with open_org(target) as org, open_org(alone.path) as file:
            assert org.build["seed"] == seed
            assert org.counts() == alone.counts
            assert org.meta == file.meta


def test_two_builds_of_one_org_at_once_never_overwrite_without_force(
    pg_target: Target, build_core: Build
) -> None:
    target = pg_target("contested")
    outcomes: list[str] = []

    def run(seed: int) -> None:
        try:
            build_core(target, seed=seed)
            outcomes.append("built")
        except UsageError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (21, 22)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(outcomes)[0] == "built"
    assert len(outcomes) == 2
    assert "contested" in outcomes[1] or "contested" in outcomes[0]
    assert outcomes.count("built") == 1
    assert temp_schemas(target) == []


def test_listing_orgs(pg_target: Target, build_core: Build) -> None:
    first, second = pg_target("listed_one"), pg_target("listed_two")
    build_core(first, seed=1)
    built = build_core(second, seed=2, size=500)
    summaries = {s.name: s for s in list_orgs(first)}
    assert {"listed_one", "listed_two"} <= set(summaries)
    two = summaries["listed_two"]
    assert (two.prospect, two.industry, two.release, two.as_of) == (
        "Acme",
        "core",
        "Winter '27",
        "2026-11-23",
    )
    assert two.records == built.rows
    assert two.owner == "postgres"
    assert not any(name.startswith(PG_TEMP_PREFIX) for name in summaries)


def test_teammates_read_each_others_orgs_but_only_the_owner_replaces_one(
    pg_target: Target, build_core: Build
) -> None:
    mine = pg_target("owned_by_postgres")
    built = build_core(mine, seed=1)
    db = mine.url.database
    server_exec(
        mine,
        f"CREATE ROLE bob LOGIN; GRANT CONNECT, CREATE ON DATABASE {db} TO bob; "
        f"CREATE ROLE carol LOGIN; GRANT CONNECT ON DATABASE {db} TO carol",
    )
    as_bob = PgTarget(mine.url.set(username="bob"), "owned_by_postgres")
    listed = {s.name: s for s in list_orgs(as_bob)}
    assert listed["owned_by_postgres"].owner == "postgres"
    assert listed["owned_by_postgres"].records == built.rows
    with open_org(as_bob) as org:
        assert org.build["seed"] == 1
    with pytest.raises(UsageError, match="'owned_by_postgres' belongs to postgres; only its owner"):
        build_core(as_bob, seed=2, force=True)
    bobs = PgTarget(as_bob.url, "bobs_own")
    build_core(bobs, seed=3)
    assert {s.name: s.owner for s in list_orgs(mine)}["bobs_own"] == "bob"
    as_carol = PgTarget(mine.url.set(username="carol"), "carols")
    with pytest.raises(UsageError, match=r"may not create schemas .*GRANT CREATE ON DATABASE"):
        build_core(as_carol)
    assert temp_schemas(mine) == []


# --- credentials ---------------------------------------------------------------------------------


def test_a_password_in_the_url_never_lands_in_the_org(pg_target: Target, build_core: Build) -> None:
    secret = "s3cret-Pa55word"
    plain = pg_target("with_password")
    url = plain.url.set(password=secret)
    target = PgTarget(url, plain.name)
    result = build_core(target)  # the test server trusts every local user, whatever the password
    assert secret not in str(result.path)
    assert secret not in repr(result.path.server)
    with open_org(f"{url.render_as_string(hide_password=False)}#with_password") as org:
        assert secret not in org.location
        assert secret not in json.dumps(org.meta)
        with org.engine.connect() as conn:
            stored = conn.exec_driver_sql(f"SELECT value FROM {quote(META_TABLE)}").all()
    assert all(secret not in value for (value,) in stored)
    everything = server_rows(
        plain,
        "SELECT string_agg(value, ' ') FROM with_password._demoorg_meta",
    )[0][0]
    assert secret not in everything
    assert all(secret not in repr(s) for s in list_orgs(target))


def test_credentials_come_from_the_environment(
    pg_target: Target, build_core: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A URL without host or port: libpq takes them (and a password) from PG* variables."""
    plain = pg_target("from_env")
    monkeypatch.setenv("PGHOST", plain.url.host or "")
    monkeypatch.setenv("PGPORT", str(plain.url.port))
    monkeypatch.setenv("PGUSER", plain.url.username or "")
    target = parse_target(f"postgresql:///{plain.url.database}#from_env")
    assert isinstance(target, PgTarget)
    build_core(target)
    with open_org(target) as org:
        assert org.build["industry"] == "core"


def test_an_unreachable_server_is_one_clear_error(pg_target: Target, build_core: Build) -> None:
    plain = pg_target("nowhere")
    target = PgTarget(plain.url.set(port=1), "nowhere")
    with pytest.raises(UsageError, match=r"cannot connect to postgresql\+psycopg://postgres@"):
        build_core(target)
    with pytest.raises(OrgError, match="cannot connect"):
        open_org(target)
