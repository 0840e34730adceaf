"""Presenting works on a working copy of the org, never on the org file itself.

:func:`open_session` copies the baseline org (SQLite's online backup API, reading it read-only) into
a private folder as ``start.demoorg``, moves every date there to around today (*fresh dates*, see
:func:`shift_dates`), and copies that again to ``working.demoorg``, which the presentation opens
read-write. Live actions change only ``working.demoorg``; a hard restore copies ``start.demoorg``
back over it through the same backup API. The baseline's bytes never change — the one exception is
the rehearsal and feedback log (:mod:`demoorg.present.rehearsal`), written on purpose, in its own
tables.

Nothing here reads the wall clock: the caller passes today's date.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from demoorg.errors import DemoOrgError, OrgError
from demoorg.org.orgfile import Org, open_org
from demoorg.seeders.schema import META_TABLE, quote

#: Field types whose stored values are dates (``YYYY-MM-DD``) or date-times.
_DATE_TYPES = ("date", "datetime")


class PresentError(DemoOrgError):
    """A story cannot be presented on this org (a missing hero, an unavailable feature…)."""


@dataclass(frozen=True, slots=True)
class ShiftResult:
    """What :func:`shift_dates` moved: ``columns`` as ``(object, field)`` pairs, and ``rows``
    updated (summed over tables)."""

    days: int
    columns: tuple[tuple[str, str], ...]
    rows: int


def date_columns(meta: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(object, field, type)`` of every stored date and date-time field in the org's metadata."""
    out = []
    for o in meta["template"]["objects"]:
        for f in o["fields"]:
            if f.get("type") in _DATE_TYPES and f.get("store", True):
                out.append((o["name"], f["name"], f["type"]))
    return out


def shift_dates(conn: Any, days: int, meta: dict[str, Any]) -> ShiftResult:
    """Moves every stored date and date-time value of every object by ``days`` days.

    An org built as of 1 March and opened on 15 April is shifted by 45 days: a case opened
    "yesterday" at build time was opened yesterday again, and an appointment "in two days" is still
    in two days. Only ``store: true`` fields of type ``date`` or ``datetime`` (from
    ``meta["template"]["objects"][i]["fields"]``) move; empty values stay empty, values that are not
    dates are left as they were, and each value keeps its format (``YYYY-MM-DD`` or
    ``YYYY-MM-DD HH:MM:SS``). The caller owns the transaction; the metadata's as-of date is not
    changed (see :func:`set_as_of`).

    Args:
        conn: a SQLAlchemy connection to an SQLite org (in a transaction).
        days: whole days to add (negative moves back).
        meta: the org's metadata.
    """
    by_table: dict[str, list[str]] = {}
    for obj, fld, _ in date_columns(meta):
        by_table.setdefault(obj, []).append(fld)
    tables = {
        r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
    }
    moved: list[tuple[str, str]] = []
    rows = 0
    if days == 0:
        return ShiftResult(0, (), 0)
    modifier = f"{days:+d} days"
    for table, cols in by_table.items():
        if table not in tables:
            continue
        have = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({quote(table)})")}
        cols = [c for c in cols if c in have]
        if not cols:
            continue
        # Each value keeps its own format: ten characters are a date, anything longer a date-time.
        # A value SQLite cannot read as a date stays as it was (COALESCE).
        sets = ", ".join(
            f"{quote(c)} = CASE WHEN length({quote(c)}) = 10 THEN COALESCE(date({quote(c)}, ?), {quote(c)}) "
            f"ELSE COALESCE(strftime('%Y-%m-%d %H:%M:%S', {quote(c)}, ?), {quote(c)}) END"
            for c in cols
        )
        where = " OR ".join(f"{quote(c)} IS NOT NULL" for c in cols)
        result = conn.exec_driver_sql(
            f"UPDATE {quote(table)} SET {sets} WHERE {where}", tuple([modifier] * (2 * len(cols)))
        )
        rows += max(result.rowcount, 0)
        moved.extend((table, c) for c in cols)
    return ShiftResult(days, tuple(moved), rows)


def set_as_of(conn: Any, as_of: date, meta: dict[str, Any], shifted_days: int) -> dict[str, Any]:
    """Records a new as-of date in a working copy's metadata and returns the new ``build``.

    The original as-of date is kept as ``build["baseline_as_of"]`` and the shift as
    ``build["shifted_days"]``, so relative conditions (``{gt: 0d}``) and "upcoming" activities
    follow the shifted data.
    """
    build = dict(meta["build"])
    build.setdefault("baseline_as_of", build["as_of"])
    build["as_of"] = as_of.isoformat()
    build["shifted_days"] = build.get("shifted_days", 0) + shifted_days
    conn.exec_driver_sql(
        f"UPDATE {quote(META_TABLE)} SET value = ? WHERE key = 'build'",
        (json.dumps(build, sort_keys=True, ensure_ascii=False, separators=(",", ":")),),
    )
    return build


#: The working copy is disposable (made again on every open), so its writes need no durability:
#: no fsync per live action, and the rollback journal stays in memory.
_SCRATCH_PRAGMAS = ("PRAGMA synchronous=OFF", "PRAGMA journal_mode=MEMORY")


def _scratch(engine: Engine) -> None:
    """Makes every connection of a working copy's engine skip fsyncs (see _SCRATCH_PRAGMAS)."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        for pragma in _SCRATCH_PRAGMAS:
            dbapi_conn.execute(pragma)

    event.listen(engine, "connect", on_connect)
    with engine.connect() as conn:  # the connection open_org already made
        raw = conn.connection.driver_connection
        for pragma in _SCRATCH_PRAGMAS:
            raw.execute(pragma)


def _copy(src: Path | sqlite3.Connection, dst: Path | sqlite3.Connection) -> None:
    """Copies a whole SQLite database with the online backup API (the source is read-only)."""
    with contextlib.ExitStack() as stack:
        if isinstance(src, Path):
            src = sqlite3.connect(f"file:{src.resolve()}?mode=ro", uri=True)
            stack.callback(src.close)
        if isinstance(dst, Path):
            dst = sqlite3.connect(dst)
            stack.callback(dst.close)
            for pragma in _SCRATCH_PRAGMAS:
                dst.execute(pragma)
        src.backup(dst)


class PresentSession:
    """An org opened for presenting: a working copy with fresh dates; the baseline untouched.

    Use :func:`open_session`. ``org`` is the working copy, opened read-write (give it to
    :class:`demoorg.org.query.OrgReader` to show it); ``baseline`` is the org file it came from.
    """

    def __init__(
        self,
        baseline: Path,
        folder: Path,
        org: Org,
        shift: ShiftResult,
        owns_folder: bool,
        open_seconds: float,
    ) -> None:
        self.baseline = baseline
        self.folder = folder
        self.org = org
        self.shift = shift
        self.open_seconds = open_seconds
        self._owns_folder = owns_folder

    @property
    def working(self) -> Path:
        """The working copy the presentation changes."""
        return self.folder / "working.demoorg"

    @property
    def start(self) -> Path:
        """The working copy as it was prepared (dates shifted, no live actions): what a hard
        restore copies back."""
        return self.folder / "start.demoorg"

    @property
    def meta(self) -> dict[str, Any]:
        return self.org.meta

    @property
    def today(self) -> date:
        """The working copy's as-of date (today, once dates are shifted)."""
        return date.fromisoformat(self.org.build["as_of"])

    def restore(self) -> float:
        """Copies the prepared start copy back over the working copy; returns the seconds taken.

        Views reading the working copy through ``org.engine`` see the restored data on their next
        query. Use it when the working copy may hold changes the runner did not make.
        """
        started = time.perf_counter()
        with self.org.engine.connect() as conn:
            raw = conn.connection.driver_connection
            if raw.in_transaction:  # pragma: no cover - a fresh pooled connection is idle
                raw.rollback()
            _copy(self.start, raw)
        return time.perf_counter() - started

    def close(self) -> None:
        """Closes the working copy and removes its folder (when the session made it)."""
        self.org.close()
        if self._owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PresentSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session(
    baseline: str | Path, today: date | None = None, folder: str | Path | None = None
) -> PresentSession:
    """Prepares a working copy of an org file for presenting.

    Args:
        baseline: the org file. It is only read.
        today: the presentation's day (pass ``date.today()`` from the UI); every date moves by
            ``today - as_of`` days. ``None`` keeps the dates as built.
        folder: where to keep the working copy (its ``start.demoorg`` and ``working.demoorg`` are
            replaced); by default a new temporary folder, removed by :meth:`PresentSession.close`.

    Raises:
        OrgError: the baseline is missing, not an org, or not a file (a server org).
    """
    started = time.perf_counter()
    if not isinstance(baseline, str | Path) or "://" in str(baseline):
        raise OrgError(
            f"{baseline} is not an org file (expected an SQLite org file: presenting works on a "
            "local working copy; export a server org to a file first)"
        )
    path = Path(baseline)
    with open_org(path) as base:  # checks the metadata and reads it
        meta = base.meta
    if folder is None:
        work = Path(tempfile.mkdtemp(prefix="demoorg-present-"))
        owns = True
    else:
        work = Path(folder)
        work.mkdir(parents=True, exist_ok=True)
        owns = False
    try:
        start = work / "start.demoorg"
        working = work / "working.demoorg"
        for p in (start, working):
            p.unlink(missing_ok=True)
        _copy(path, start)
        as_of = date.fromisoformat(meta["build"]["as_of"])
        days = (today - as_of).days if today is not None else 0
        prep = open_org(start, readonly=False)
        _scratch(prep.engine)
        try:
            with prep.engine.begin() as conn:
                shift = shift_dates(conn, days, meta)
                if days:
                    set_as_of(conn, today or as_of, meta, days)
        finally:
            prep.close()
        _copy(start, working)
        org = open_org(working, readonly=False)
        _scratch(org.engine)
    except sqlite3.Error as exc:
        if owns:
            shutil.rmtree(work, ignore_errors=True)
        raise OrgError(f"{path} cannot be copied for presenting: {exc}") from None
    except BaseException:
        if owns:
            shutil.rmtree(work, ignore_errors=True)
        raise
    return PresentSession(path, work, org, shift, owns, time.perf_counter() - started)


@contextlib.contextmanager
def presenting(baseline: str | Path, today: date | None = None) -> Iterator[PresentSession]:
    """``with presenting(org_path, today) as session:`` — :func:`open_session` that closes."""
    session = open_session(baseline, today)
    try:
        yield session
    finally:
        session.close()
