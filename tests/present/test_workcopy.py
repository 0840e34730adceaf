"""Working copies and fresh dates: the baseline is only read; every date moves by exactly N days."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demoorg.errors import OrgError
from demoorg.org.orgfile import open_org
from demoorg.org.query import OrgReader
from demoorg.present import PresentSession, open_session, presenting, shift_dates
from demoorg.present.workcopy import (
    FOLDER_PREFIX,
    OWNER_LOCK,
    FileSession,
    date_columns,
    remove_stale_folders,
    set_as_of,
)

AS_OF = date(2026, 11, 23)
TODAY = date(2026, 12, 10)


def _values(path: Path, meta: dict[str, Any]) -> dict[tuple[str, str], list[tuple[str, Any]]]:
    """Every date column's (Id, value) pairs."""
    out = {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        for obj, fld, _ in date_columns(meta):
            rows = con.execute(f'SELECT Id, "{fld}" FROM "{obj}" ORDER BY Id').fetchall()
            out[(obj, fld)] = rows
    return out


def _moved(old: Any, new: Any, days: int) -> bool:
    if old is None:
        return new is None
    if len(old) == 10:
        return len(new) == 10 and date.fromisoformat(new) - date.fromisoformat(old) == timedelta(
            days
        )
    return len(new) == len(old) and datetime.fromisoformat(new) - datetime.fromisoformat(
        old
    ) == timedelta(days)


@pytest.mark.parametrize("industry", ["medical", "finance"])
def test_shift_dates_moves_every_date_by_exactly_n_days(
    orgs: dict[str, Path], session: Callable[..., PresentSession], industry: str
) -> None:
    with open_org(orgs[industry]) as org:
        meta = org.meta
    before = _values(orgs[industry], meta)
    s = session(industry)
    assert s.shift.days == (TODAY - AS_OF).days == 17
    after = _values(s.working, meta)
    moved = 0
    for key, rows in before.items():
        assert [i for i, _ in rows] == [i for i, _ in after[key]], key
        for (_, old), (_, new) in zip(rows, after[key], strict=True):
            assert _moved(old, new, 17), (key, old, new)
            moved += old is not None
    assert moved > 1000
    assert s.shift.rows > 0 and set(s.shift.columns) <= set(before)
    # Non-date columns are untouched.
    with closing(sqlite3.connect(s.working)) as a, closing(sqlite3.connect(orgs[industry])) as b:
        q = 'SELECT Id, Name, "Type" FROM Account ORDER BY Id'
        assert a.execute(q).fetchall() == b.execute(q).fetchall()


def test_shift_dates_backwards_and_zero(org_copy: Callable[[str], Path]) -> None:
    path = org_copy("medical")
    org = open_org(path, readonly=False)
    try:
        meta = org.meta
        before = _values(path, meta)
        with org.engine.begin() as conn:
            assert shift_dates(conn, 0, meta).rows == 0
            result = shift_dates(conn, -400, meta)
        assert result.days == -400
        after = _values(path, meta)
        for key, rows in before.items():
            for (_, old), (_, new) in zip(rows, after[key], strict=True):
                assert _moved(old, new, -400)
    finally:
        org.close()


def test_values_that_are_not_dates_stay_as_they_were(org_copy: Callable[[str], Path]) -> None:
    path = org_copy("medical")
    with closing(sqlite3.connect(path)) as con, con:
        con.execute(
            "UPDATE CarePlan SET StartDate = 'soon' WHERE Id IN (SELECT Id FROM CarePlan LIMIT 1)"
        )
    org = open_org(path, readonly=False)
    try:
        with org.engine.begin() as conn:
            shift_dates(conn, 5, org.meta)
            assert (
                conn.exec_driver_sql(
                    "SELECT COUNT(*) FROM CarePlan WHERE StartDate = 'soon'"
                ).scalar_one()
                == 1
            )
    finally:
        org.close()


def test_the_working_copy_records_the_new_as_of(
    orgs: dict[str, Path], session: Callable[..., PresentSession]
) -> None:
    s = session("medical")
    assert s.today == TODAY
    build = s.org.build
    assert build["as_of"] == "2026-12-10"
    assert build["baseline_as_of"] == "2026-11-23" and build["shifted_days"] == 17
    assert OrgReader(s.org).as_of == TODAY
    # The hero appointment "in two days" is still in two days.
    hero = s.meta["heroes"]["maria_appointment"]
    with s.org.engine.connect() as conn:
        when = conn.exec_driver_sql(
            "SELECT SchedStartTime FROM ServiceAppointment WHERE Id = ?", (hero["id"],)
        ).scalar_one()
    assert date.fromisoformat(when[:10]) == TODAY + timedelta(days=2)
    with pytest.raises(KeyError):
        _ = open_org(orgs["medical"]).build["shifted_days"]


def test_set_as_of_accumulates_shifts(org_copy: Callable[[str], Path]) -> None:
    org = open_org(org_copy("medical"), readonly=False)
    try:
        with org.engine.begin() as conn:
            set_as_of(conn, date(2026, 12, 1), org.meta, 8)
        org2 = open_org(org.location)
        b = org2.build
        org2.close()
        assert (b["as_of"], b["baseline_as_of"], b["shifted_days"]) == (
            "2026-12-01",
            "2026-11-23",
            8,
        )
    finally:
        org.close()


def test_opening_never_changes_the_baseline_and_closing_cleans_up(
    orgs: dict[str, Path], fhash: Callable[[Path], str]
) -> None:
    before = fhash(orgs["telecom"])
    s = open_session(orgs["telecom"], TODAY)
    folder = s.folder
    assert s.working.exists() and s.start.exists() and folder.exists()
    assert s.working.resolve() != orgs["telecom"].resolve()
    s.close()
    assert not folder.exists()
    assert fhash(orgs["telecom"]) == before


def test_without_today_the_dates_stay_and_a_given_folder_is_kept(
    orgs: dict[str, Path], tmp_path: Path, hashes: Callable[..., dict[str, str]]
) -> None:
    folder = tmp_path / "work"
    with presenting(orgs["medical"]) as s:
        assert s.shift.days == 0 and s.today == AS_OF
        assert hashes(s.working) == hashes(orgs["medical"])
    s = open_session(orgs["medical"], TODAY, folder=folder)
    s.close()
    assert folder.is_dir() and (folder / "working.demoorg").exists()


def test_restore_copies_the_start_back(
    session: Callable[..., PresentSession], hashes: Callable[..., dict[str, str]]
) -> None:
    s = session("medical")
    start = hashes(s.start)
    with s.org.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM Task")
        conn.exec_driver_sql("UPDATE Account SET Name = 'changed'")
    assert hashes(s.working) != start
    assert s.restore() < 1.0
    assert hashes(s.working) == start
    with s.org.engine.connect() as conn:  # the engine sees the restored data
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM Task").scalar_one() > 0


def test_opening_a_file_that_is_not_an_org(tmp_path: Path) -> None:
    bad = tmp_path / "x.demoorg"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(OrgError):
        open_session(bad, TODAY)
    with pytest.raises(OrgError):
        open_session(tmp_path / "missing.demoorg", TODAY)
    with pytest.raises(OrgError, match="cannot connect to postgresql"):
        open_session("postgresql+psycopg://demo@127.0.0.1:1/orgs#acme", TODAY)


def test_a_killed_sessions_folder_is_removed_by_the_next_open_a_live_ones_is_not(
    orgs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live = open_session(orgs["medical"], TODAY)
    assert isinstance(live, FileSession)
    assert (live.folder / OWNER_LOCK).read_text() == str(os.getpid())
    # A killed presentation's folder: its lock file names a pid, and nobody holds the lock.
    dead = tmp_path / f"{FOLDER_PREFIX}dead"
    dead.mkdir()
    (dead / "working.demoorg").write_bytes(b"x")
    (dead / OWNER_LOCK).write_text("4194304")
    # A folder being made right now (no pid yet), and someone else's folder: both left alone.
    making = tmp_path / f"{FOLDER_PREFIX}making"
    making.mkdir()
    (making / OWNER_LOCK).write_text("")
    other = tmp_path / f"{FOLDER_PREFIX}other"
    other.mkdir()
    try:
        again = open_session(orgs["medical"], TODAY)
        again.close()
        assert not dead.exists()
        assert live.folder.exists() and making.exists() and other.exists()
        with live.org.engine.connect() as conn:  # the live presentation still works
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM Account").scalar_one() > 0
        assert remove_stale_folders(tmp_path) == []
    finally:
        live.close()
    assert not live.folder.exists()
    assert remove_stale_folders(tmp_path) == []
