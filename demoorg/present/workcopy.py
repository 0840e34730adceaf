"""Presenting works on a working copy of the org, never on the org itself.

For an org file, :func:`open_session` copies the baseline (SQLite's online backup API, reading it
read-only) into a private folder as ``start.demoorg``, moves every date there to around today
(*fresh dates*, see :func:`shift_dates`), and copies that again to ``working.demoorg``, which the
presentation opens read-write. Live actions change only ``working.demoorg``; a hard restore copies
``start.demoorg`` back over it through the same backup API.

For an org on a PostgreSQL server the working copy is two private schemas next to the org
(:mod:`demoorg.present.servercopy`): the same start and working copies, as tables.

The baseline's bytes never change — the one exception is the rehearsal and feedback log
(:mod:`demoorg.present.rehearsal`), written on purpose, in its own tables. A presentation that is
killed leaves its working copy behind, never a changed baseline: the next :func:`open_session`
removes working copies whose process is gone and starts afresh from the baseline.

Nothing here reads the wall clock: the caller passes today's date.
"""

from __future__ import annotations

import contextlib
import json
import os
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

from demoorg.errors import DemoOrgError, OrgError, UsageError
from demoorg.org.orgfile import Org, open_org
from demoorg.seeders.schema import META_TABLE, quote
from demoorg.seeders.writers import PgTarget, parse_target

try:  # POSIX: an exclusive lock the system drops when its process dies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

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
        conn: a SQLAlchemy connection (in a transaction) to an SQLite org, or to a PostgreSQL
            server with the org's schema first on its ``search_path``.
        days: whole days to add (negative moves back).
        meta: the org's metadata.
    """
    if days == 0:
        return ShiftResult(0, (), 0)
    by_table: dict[str, list[str]] = {}
    for obj, fld, _ in date_columns(meta):
        by_table.setdefault(obj, []).append(fld)
    on_server = conn.dialect.name == "postgresql"
    stored = _server_column_types(conn) if on_server else None
    moved: list[tuple[str, str]] = []
    rows = 0
    for table, cols in by_table.items():
        if on_server:
            assert stored is not None
            have = stored.get(table, {})
            # Typed columns: every value is a date, and date arithmetic keeps the type.
            sets = ", ".join(
                f"{quote(c)} = {quote(c)} + {int(days)}"
                if have[c] == "date"
                else f"{quote(c)} = {quote(c)} + make_interval(days => {int(days)})"
                for c in cols
                if have.get(c) in _SERVER_DATE_TYPES
            )
            cols = [c for c in cols if have.get(c) in _SERVER_DATE_TYPES]
            params: tuple[str, ...] = ()
        else:
            have = _sqlite_columns(conn, table)
            cols = [c for c in cols if c in have]
            # Each value keeps its own format: ten characters are a date, anything longer a
            # date-time. A value SQLite cannot read as a date stays as it was (COALESCE).
            sets = ", ".join(
                f"{quote(c)} = CASE WHEN length({quote(c)}) = 10 "
                f"THEN COALESCE(date({quote(c)}, ?), {quote(c)}) "
                f"ELSE COALESCE(strftime('%Y-%m-%d %H:%M:%S', {quote(c)}, ?), {quote(c)}) END"
                for c in cols
            )
            params = tuple([f"{days:+d} days"] * (2 * len(cols)))
        if not cols:
            continue
        where = " OR ".join(f"{quote(c)} IS NOT NULL" for c in cols)
        result = conn.exec_driver_sql(f"UPDATE {quote(table)} SET {sets} WHERE {where}", params)
        rows += max(result.rowcount, 0)
        moved.extend((table, c) for c in cols)
    return ShiftResult(days, tuple(moved), rows)


#: PostgreSQL column types that :func:`shift_dates` moves (``information_schema`` names).
_SERVER_DATE_TYPES = ("date", "timestamp without time zone", "timestamp with time zone")


def _server_column_types(conn: Any) -> dict[str, dict[str, str]]:
    """``{table: {column: type}}`` of the schema first on the connection's search path."""
    out: dict[str, dict[str, str]] = {}
    for table, column, dtype in conn.exec_driver_sql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    ):
        out.setdefault(table, {})[column] = dtype
    return out


def _sqlite_columns(conn: Any, table: str) -> set[str]:
    """The columns of an SQLite table (empty when there is no such table)."""
    return {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({quote(table)})")}


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
    :class:`demoorg.org.query.OrgReader` to show it); ``baseline`` is the org it came from (an org
    file's path, or a :class:`~demoorg.seeders.writers.PgTarget`). ``working`` and ``start`` are
    where the working copy and its prepared start state live: files for an org file, schemas on
    the same server (as PgTargets) for a server org.
    """

    def __init__(
        self, baseline: Path | PgTarget, org: Org, shift: ShiftResult, open_seconds: float
    ) -> None:
        self.baseline = baseline
        self.org = org
        self.shift = shift
        self.open_seconds = open_seconds

    @property
    def on_server(self) -> bool:
        """True when the org (and so its working copy) is on a PostgreSQL server."""
        return isinstance(self.baseline, PgTarget)

    @property
    def working(self) -> Path | PgTarget:
        """The working copy the presentation changes."""
        raise NotImplementedError

    @property
    def start(self) -> Path | PgTarget:
        """The working copy as it was prepared (dates shifted, no live actions): what a hard
        restore copies back."""
        raise NotImplementedError

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
        raise NotImplementedError

    def close(self) -> None:
        """Closes the working copy and removes it."""
        raise NotImplementedError

    def __enter__(self) -> PresentSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileSession(PresentSession):
    """A working copy of an org file: ``start.demoorg`` and ``working.demoorg`` in ``folder``.

    A folder the session made itself (under the system's temporary folder) holds an owner lock
    (:data:`OWNER_LOCK`) for as long as the session is open, so a later :func:`open_session` can
    tell the folder of a killed presentation from one in use.
    """

    def __init__(
        self,
        baseline: Path,
        folder: Path,
        org: Org,
        shift: ShiftResult,
        owner: _FolderOwner | None,
        open_seconds: float,
    ) -> None:
        super().__init__(baseline, org, shift, open_seconds)
        self.folder = folder
        self._owner = owner

    @property
    def working(self) -> Path:
        return self.folder / "working.demoorg"

    @property
    def start(self) -> Path:
        return self.folder / "start.demoorg"

    def restore(self) -> float:
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
        if self._owner is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._owner.release()
            self._owner = None


# --- working copies left by killed presentations -------------------------------------------------

#: Temporary folders of file sessions are named ``demoorg-present-…``.
FOLDER_PREFIX = "demoorg-present-"
#: The file in a session's folder that its process holds locked (and that names its pid).
OWNER_LOCK = "owner.lock"


class _FolderOwner:
    """An exclusive lock on a session folder's :data:`OWNER_LOCK`, held while the session is open.

    The operating system drops the lock when the process ends, however it ends (a crash, a
    SIGKILL), so a folder whose lock can be taken belongs to nobody. The lock file also names the
    owner's pid for a person looking at the folder. Where ``flock`` is missing (Windows), folders
    are never judged stale.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / OWNER_LOCK
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Written only once the lock is held: a lock file with a pid in it is always locked by a
        # live owner or by nobody, never "not yet".
        os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def _is_abandoned(folder: Path) -> bool:
    """True when ``folder`` is a session folder whose owner process is gone."""
    if fcntl is None:
        return False
    lock = folder / OWNER_LOCK
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False  # no lock file: being made right now, or not a session folder
    try:
        if os.fstat(fd).st_size == 0:
            return False  # its owner has not written its pid yet
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # held: its presentation is running
        return True
    finally:
        os.close(fd)


def remove_stale_folders(parent: Path | None = None) -> list[Path]:
    """Removes the working-copy folders of presentations whose process is gone.

    Args:
        parent: where session folders are made (default: the system's temporary folder).

    Returns:
        The folders removed.
    """
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        if folder.is_dir() and _is_abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


# --- opening --------------------------------------------------------------------------------------


def open_session(
    baseline: str | Path | PgTarget, today: date | None = None, folder: str | Path | None = None
) -> PresentSession:
    """Prepares a working copy of an org for presenting.

    Working copies left behind by presentations whose process died (killed, crashed) are removed
    first: the folders of an org file's sessions, and the private schemas of a server's.

    Args:
        baseline: the org: a file, or ``postgresql+psycopg://…/dbname#orgname`` (a PgTarget). It
            is only read.
        today: the presentation's day (pass ``date.today()`` from the UI); every date moves by
            ``today - as_of`` days. ``None`` keeps the dates as built.
        folder: for an org file, where to keep the working copy (its ``start.demoorg`` and
            ``working.demoorg`` are replaced); by default a new temporary folder, removed by
            :meth:`PresentSession.close`. Not used for a server org.

    Raises:
        OrgError: the baseline is missing or not an org, or its working copy cannot be made (the
            server refuses to create the schemas, the disk is full).
    """
    try:
        target = parse_target(baseline)
    except UsageError as exc:
        raise OrgError(str(exc)) from None
    if isinstance(target, PgTarget):
        from demoorg.present.servercopy import open_server_session

        return open_server_session(target, today)
    return _open_file_session(target, today, folder)


def _open_file_session(path: Path, today: date | None, folder: str | Path | None) -> FileSession:
    started = time.perf_counter()
    with open_org(path) as base:  # checks the metadata and reads it
        meta = base.meta
    owner = None
    if folder is None:
        remove_stale_folders()
        work = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        owner = _FolderOwner(work)
    else:
        work = Path(folder)
        work.mkdir(parents=True, exist_ok=True)
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
        _discard(work, owner)
        raise OrgError(f"{path} cannot be copied for presenting: {exc}") from None
    except BaseException:
        _discard(work, owner)
        raise
    return FileSession(path, work, org, shift, owner, time.perf_counter() - started)


def _discard(work: Path, owner: _FolderOwner | None) -> None:
    """Removes a half-made working copy's folder (when the session made it)."""
    if owner is not None:
        shutil.rmtree(work, ignore_errors=True)
        owner.release()


@contextlib.contextmanager
def presenting(
    baseline: str | Path | PgTarget, today: date | None = None
) -> Iterator[PresentSession]:
    """``with presenting(org, today) as session:`` — :func:`open_session` that closes."""
    session = open_session(baseline, today)
    try:
        yield session
    finally:
        session.close()
