"""Where an org is written, and the database-specific half of writing it.

An org lives either in an SQLite file (one org per file) or in a PostgreSQL schema of its own
(several orgs, one per schema, on a shared server). :func:`parse_target` turns what a user typed
into a :class:`~pathlib.Path` or a :class:`PgTarget`.

:func:`demoorg.seeders.build.write_org` does the same work on both engines (tables, rows, indexes,
deferred lookups, roll-ups, metadata) and hands what differs to a writer:

- how rows are bulk-loaded (``executemany`` for SQLite, ``COPY … FROM STDIN`` for PostgreSQL),
- the driver's placeholder style (the build's SQL is written with ``?``; psycopg wants ``%s``),
  converted in one place, :meth:`Writer.sql`,
- SQL that differs (``ROUND`` of a float), index names (PostgreSQL caps identifiers at 63 bytes),
- making the finished org appear atomically: an SQLite file renamed into place, a PostgreSQL
  schema renamed into place in one transaction.

Writers receive an engine or a connection and never create one (CONVENTIONS 8): the build (or a
test) owns the engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Integer, MetaData, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.schema import AddConstraint, CreateTable

from demoorg.errors import UsageError
from demoorg.seeders.schema import META_TABLE, create_indexes, quote

#: The SQLAlchemy driver demoorg talks to PostgreSQL through (psycopg 3: COPY, pipelines).
PG_DRIVER = "postgresql+psycopg"
#: Temporary schemas of builds in progress; never visible to others (created inside the build's
#: transaction), so an interrupted build leaves nothing behind.
PG_TEMP_PREFIX = "_demoorg_tmp_"
#: PostgreSQL truncates identifiers longer than this many bytes.
PG_MAX_IDENTIFIER = 63
#: An org name: a lower-case identifier that needs no quoting anywhere (psql, search_path, URLs).
ORG_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")
_RESERVED_ORG_NAMES = frozenset({"public", "information_schema"})
#: How long the final swap waits for sessions still reading the old org before giving up.
PG_SWAP_LOCK_TIMEOUT = "60s"


# --- targets ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PgTarget:
    """An org on a PostgreSQL server: the server's URL and the org's schema name.

    ``str()`` is the org's location without any password: ``postgresql+psycopg://u@host/db#name``,
    which :func:`parse_target` (and so every command) reads back. The URL itself may carry a
    password typed by the user; it is used to connect and never printed or stored.
    """

    url: URL
    name: str

    @property
    def server(self) -> str:
        """The server's URL without a password, for messages."""
        return redact(self.url)

    def __str__(self) -> str:
        return f"{self.server}#{self.name}"


def redact(url: URL) -> str:
    """The URL as text with its password removed (not masked: nothing to copy by mistake)."""
    # URL.set(password=None) would keep the password (None means "unchanged" there).
    return url._replace(password=None).render_as_string(hide_password=False)


def check_org_name(name: str) -> str:
    """Returns ``name`` if it is a safe org (schema) name, else raises UsageError saying why."""
    if not ORG_NAME_RE.fullmatch(name):
        raise UsageError(
            f"invalid org name {name!r} (expected 1 to 63 lower-case letters, digits and _, "
            "starting with a letter, such as acme_medical)"
        )
    if name in _RESERVED_ORG_NAMES or name.startswith("pg_"):
        raise UsageError(
            f"org name {name!r} is reserved by PostgreSQL (expected a name such as acme_medical)"
        )
    return name


def default_org_name(prospect: str, industry: str) -> str:
    """``acme_health_medical`` from prospect ``Acme Health`` and industry ``medical``."""
    words = re.findall(r"[a-z0-9]+", f"{prospect} {industry}".lower())
    name = "_".join(words) or "org"
    if not name[0].isalpha():
        name = f"org_{name}"
    name = name[:PG_MAX_IDENTIFIER].rstrip("_")
    if name in _RESERVED_ORG_NAMES or name.startswith("pg_"):
        name = f"org_{name}"[:PG_MAX_IDENTIFIER]
    return check_org_name(name)


def pg_url(text: str | URL) -> URL:
    """A PostgreSQL URL with demoorg's driver: ``postgresql://`` and ``postgres://`` become
    ``postgresql+psycopg://``; other PostgreSQL drivers are refused (COPY needs psycopg 3)."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise UsageError(
            f"invalid database URL {text!r} (expected postgresql+psycopg://user@host/dbname)"
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in ("postgresql", "postgres"):
        raise UsageError(
            f"unsupported database {backend!r} (expected a PostgreSQL URL such as "
            "postgresql+psycopg://user@host/dbname, or an org file)"
        )
    if driver not in ("", "psycopg"):
        raise UsageError(
            f"unsupported PostgreSQL driver {driver!r} (demoorg uses psycopg 3: "
            "postgresql+psycopg://user@host/dbname)"
        )
    return url.set(drivername=PG_DRIVER)


def parse_target(location: str | Path | PgTarget, org: str | None = None) -> Path | PgTarget:
    """Where an org lives, from what a user typed.

    Args:
        location: an org file path; an ``sqlite:///path`` URL (the same file); or a PostgreSQL
            URL, optionally ending in ``#orgname``.
        org: the org's name on a PostgreSQL server (``--org``); overrides nothing, so giving a
            different name in the URL's ``#fragment`` is an error.

    Returns:
        A Path for a file, or a PgTarget (whose name may be empty when neither ``#name`` nor
        ``org`` names one; callers that need a name check it).

    Raises:
        UsageError: a malformed or unsupported URL, a bad org name, or ``org`` with a file.
    """
    if isinstance(location, PgTarget):
        if org and org != location.name:
            raise UsageError(f"two org names given: {location.name!r} and {org!r}")
        return location
    text = str(location)
    if "://" not in text:
        if org:
            raise UsageError(
                "--org names an org on a PostgreSQL server (expected --db postgresql+psycopg://…); "
                "an org file holds one org"
            )
        return Path(text)
    if text.startswith("sqlite:"):
        try:
            url = make_url(text)
        except ArgumentError:
            raise UsageError(f"invalid database URL {text!r} (expected sqlite:///path)") from None
        if org:
            raise UsageError("--org names an org on a PostgreSQL server; an SQLite file holds one")
        if not url.database:
            raise UsageError(f"{text!r} names no file (expected sqlite:///path/to/org.demoorg)")
        return Path(url.database)
    base, _, fragment = text.partition("#")
    if fragment and org and fragment != org:
        raise UsageError(f"two org names given: {fragment!r} (in the URL) and {org!r} (--org)")
    name = fragment or org or ""
    if name:
        check_org_name(name)
    return PgTarget(pg_url(base), name)


def pg_advisory_key(name: str) -> int:
    """A stable 64-bit advisory-lock key for an org name (serialises swaps of one org)."""
    digest = hashlib.blake2b(f"demoorg:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# --- writers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RollupStep:
    """One roll-up field: ``column`` of a table is an aggregate of its ``child`` rows.

    ``aggregate(count)`` is the aggregate's SQL over the child alias ``c``, given the expression
    that counts matching children; ``cond`` filters the children, with ``params`` for its ``?``.
    """

    column: str
    child: str
    via: str
    aggregate: Callable[[str], str]
    cond: str
    params: tuple[Any, ...]


_QMARK_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


def qmark_to_format(statement: str) -> str:
    """An SQLite-style statement (``?`` placeholders) in psycopg's style (``%s``, literal ``%%``).

    Quoted strings and identifiers are kept as they are, apart from doubling their ``%``: psycopg
    reads ``%`` everywhere in a statement that has parameters. A statement without a ``?``
    placeholder is taken to be in psycopg's style already and returned as it is.
    """
    if not any(mo.group(0) == "?" for mo in _QMARK_TOKENS.finditer(statement)):
        return statement

    def swap(mo: re.Match[str]) -> str:
        token = mo.group(0)
        if token == "?":
            return "%s"
        return token.replace("%", "%%")

    return _QMARK_TOKENS.sub(swap, statement)


class Writer:
    """What differs between databases while an org is written; the SQLite behaviour by default.

    The build's own SQL uses ``?`` placeholders (as :func:`demoorg.seeders.schema.where_sql`
    emits them); every statement goes through :meth:`sql` before reaching the driver.
    """

    dialect = "sqlite"
    #: Lookup indexes are built before deferred lookups and roll-ups (else after them).
    indexes_first = True

    def sql(self, statement: str) -> str:
        """The statement in the driver's placeholder style."""
        return statement

    def create_tables(self, conn: Connection, md: MetaData) -> None:
        md.create_all(conn)

    def loading(self, conn: Connection) -> contextlib.AbstractContextManager[None]:
        """Wraps the calls to :meth:`insert_rows`; nothing else runs on ``conn`` meanwhile."""
        return contextlib.nullcontext()

    def insert_rows(
        self, conn: Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> None:
        raise NotImplementedError

    def create_indexes(
        self, conn: Connection, md: MetaData, to_index: list[tuple[str, str]]
    ) -> None:
        create_indexes(conn, md, to_index)

    def loaded(self, conn: Connection, joined: dict[str, list[str]]) -> None:
        """Called once every row is in, before deferred lookups and roll-ups.

        ``joined`` names the tables the roll-ups join, with the columns they join on.
        """

    def execute(self, conn: Connection, statement: str, params: tuple[Any, ...] = ()) -> None:
        conn.exec_driver_sql(self.sql(statement), params)

    def executemany(self, conn: Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
        conn.exec_driver_sql(self.sql(statement), rows)

    def round_sql(self, value: str, decimals: int) -> str:
        return f"ROUND({value}, {decimals})"

    def rollups(self, conn: Connection, table: str, steps: list[RollupStep]) -> None:
        """Runs consecutive roll-ups of ``table``, in order.

        SQLite runs each as a correlated subquery per parent row, through the lookup's index.
        """
        t = quote(table)
        for step in steps:
            self.execute(
                conn,
                f"UPDATE {t} SET {quote(step.column)} = (SELECT {step.aggregate('COUNT(*)')} "
                f"FROM {quote(step.child)} c WHERE c.{quote(step.via)} = {t}.{quote('Id')} "
                f"AND {step.cond})",
                step.params,
            )

    def finish(self, conn: Connection, md: MetaData) -> None:
        """Called after the metadata is written, inside the build's transaction."""


class SQLiteWriter(Writer):
    """Writes an org into an SQLite file: ``executemany`` per batch, fast pragmas while private."""

    dialect = "sqlite"

    def __init__(self) -> None:
        self._insert_sql: dict[str, str] = {}

    @staticmethod
    def prepare(engine: Engine) -> None:
        """Sets the build pragmas on every connection of ``engine`` (the build's own file)."""
        event.listen(engine, "connect", _fast_pragmas)

    def insert_rows(
        self, conn: Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> None:
        sql = self._insert_sql.get(table)
        if sql is None:
            cols = ", ".join(quote(c) for c in columns)
            marks = ", ".join("?" for _ in columns)
            sql = self._insert_sql[table] = f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})"
        conn.exec_driver_sql(sql, rows)

    @staticmethod
    def publish(tmp: Path, out: Path) -> None:
        """Makes the finished file durable and renames it over ``out`` in one step."""
        import sqlite3

        with sqlite3.connect(tmp) as con:  # a normal rollback journal from now on, for editing
            con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, out)
        with contextlib.suppress(OSError):
            dfd = os.open(out.parent, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)


def _fast_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The file is private until renamed into place, so durability during the load buys nothing.
    cur = dbapi_conn.cursor()
    for pragma in (
        "page_size=16384",
        "journal_mode=OFF",
        "synchronous=OFF",
        "locking_mode=EXCLUSIVE",
        "temp_store=MEMORY",
        "cache_size=-65536",
        "foreign_keys=OFF",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


class PostgresWriter(Writer):
    """Writes an org into a PostgreSQL schema of its own, through psycopg 3.

    The whole build is one transaction on one connection: :meth:`begin` creates a temporary
    schema and points the transaction's ``search_path`` at it, rows arrive by ``COPY``, and
    :meth:`publish` renames the schema to the org's name (dropping the old org only when asked).
    Until the commit nobody else sees anything; a rollback (an error, a cancel, a killed process)
    leaves the server as it was.

    After the load, deferred lookups are filled by Id, roll-ups run as grouped joins (a table's
    consecutive roll-ups in one UPDATE), and only then are the lookup indexes and foreign keys
    built, so no update rewrites an index it does not need.

    Values arrive as the generator makes them for SQLite (dates ``YYYY-MM-DD``, datetimes
    ``YYYY-MM-DD HH:MM:SS``, booleans 0/1): COPY's text format parses them into the typed columns
    (``boolean`` accepts ``1``/``0``), so no value is converted in Python.
    """

    dialect = "postgresql"
    indexes_first = False

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._copying: str | None = None
        self._copy: Any = None
        self._md: MetaData | None = None
        self._integer_columns: dict[str, list[int]] = {}

    def sql(self, statement: str) -> str:
        return qmark_to_format(statement)

    def begin(self, conn: Connection) -> str:
        """Creates this build's temporary schema and makes it the transaction's search path."""
        tmp = f"{PG_TEMP_PREFIX}{secrets.token_hex(6)}"
        # synchronous_commit off: the commit does not wait for the WAL to reach disk (a fifth of
        # a small build). The swap stays atomic; a server crash in the next split second could
        # only bring back the previous org, which a rebuild (deterministic) restores.
        conn.exec_driver_sql(
            f"CREATE SCHEMA {quote(tmp)}; SET LOCAL search_path TO {quote(tmp)}; "
            "SET LOCAL synchronous_commit TO off"
        )
        return tmp

    def create_tables(self, conn: Connection, md: MetaData) -> None:
        # Foreign keys come after the load (see finish): checking them row by row would slow
        # COPY several times over, and deferred lookups are filled only once every row exists.
        self._md = md
        ddl = [
            str(CreateTable(t, include_foreign_key_constraints=[]).compile(dialect=conn.dialect))
            for t in md.sorted_tables
        ]
        conn.exec_driver_sql(";\n".join(d.strip() for d in ddl))  # one round trip

    @contextlib.contextmanager
    def loading(self, conn: Connection) -> Iterator[None]:
        # One COPY stays open per table across batches, so the server parses one batch while
        # Python generates the next (a COPY per batch would wait for the server each time). It is
        # ended before anything else runs on the connection, and failed if the load fails.
        try:
            yield
        except BaseException as exc:
            self._end_copy(exc)
            raise
        self._end_copy(None)

    def insert_rows(
        self, conn: Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> None:
        ints = self._integer_columns.get(table)
        if ints is None:
            t = self._md.tables[table] if self._md is not None else None
            ints = self._integer_columns[table] = [
                i
                for i, c in enumerate(columns)
                if t is not None and isinstance(t.c[c].type, Integer)
            ]
        if ints:
            rows = self._integers(conn, table, columns, rows, ints)
        if self._copying != table:
            self._end_copy(None)
            cols = ", ".join(quote(c) for c in columns)
            cur = self._stack.enter_context(conn.connection.driver_connection.cursor())
            self._copy = self._stack.enter_context(
                cur.copy(f"COPY {quote(table)} ({cols}) FROM STDIN")
            )
            self._copying = table
        write = self._copy.write_row
        for row in rows:
            write(row)

    def _integers(
        self,
        conn: Connection,
        table: str,
        columns: list[str],
        rows: list[tuple[Any, ...]],
        ints: list[int],
    ) -> list[tuple[Any, ...]]:
        """Whole-number floats (``37.0``) become ints, which an integer column's COPY accepts.

        A number field without ``decimals`` is an integer column, yet a template may give it
        fractional values in some cases (SQLite keeps them as REAL). Rather than round them, the
        column is widened to ``numeric`` before its first fractional value is loaded (read back
        as SQLite gives them: whole numbers as ints, others as floats).
        """
        fix = []
        for i in list(ints):
            floats = [r[i] for r in rows if type(r[i]) is float]
            if not floats:
                continue
            if all(v.is_integer() for v in floats):
                fix.append(i)
                continue
            self._end_copy(None)  # nothing else may run on the connection during a COPY
            conn.exec_driver_sql(
                f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(columns[i])} TYPE numeric"
            )
            ints.remove(i)
        if not fix:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for i in fix:
                v = values[i]
                if type(v) is float:
                    values[i] = int(v)
            out.append(tuple(values))
        return out

    def _end_copy(self, exc: BaseException | None) -> None:
        self._copying = None
        self._copy = None
        stack, self._stack = self._stack, contextlib.ExitStack()
        if exc is None:
            stack.close()
        else:  # COPY ends with CopyFail, so the connection can roll back
            stack.__exit__(type(exc), exc, exc.__traceback__)

    def create_indexes(
        self, conn: Connection, md: MetaData, to_index: list[tuple[str, str]]
    ) -> None:
        if to_index:
            conn.exec_driver_sql(
                ";\n".join(
                    f"CREATE INDEX {quote(index_name(table, column))} "
                    f"ON {quote(table)} ({quote(column)})"
                    for table, column in to_index
                )
            )

    def loaded(self, conn: Connection, joined: dict[str, list[str]]) -> None:
        # Fresh statistics, so the roll-ups' joins are planned as hash joins (autovacuum cannot
        # see tables of a transaction that has not committed). Only those tables and their join
        # columns: ANALYZE of every column of every table would cost a tenth of a large build.
        if joined:
            conn.exec_driver_sql(
                "ANALYZE "
                + ", ".join(
                    f"{quote(t)} ({', '.join(quote(c) for c in cols)})"
                    for t, cols in joined.items()
                )
            )

    def round_sql(self, value: str, decimals: int) -> str:
        # PostgreSQL rounds to a number of places only for numeric, not double precision.
        return f"ROUND(CAST({value} AS NUMERIC), {decimals})"

    def rollups(self, conn: Connection, table: str, steps: list[RollupStep]) -> None:
        # A correlated subquery is a sub-plan per parent row here, ten times slower than on
        # SQLite; a grouped outer join per roll-up is one pass. And an UPDATE writes a new
        # version of every row it touches, so consecutive roll-ups of a table are set in one
        # UPDATE — except one over the table itself, which may read what the others set.
        group: list[RollupStep] = []
        for step in steps:
            if step.child == table:
                self._rollup_group(conn, table, group)
                self._rollup_group(conn, table, [step])
                group = []
            else:
                group.append(step)
        self._rollup_group(conn, table, group)

    def _rollup_group(self, conn: Connection, table: str, steps: list[RollupStep]) -> None:
        if not steps:
            return
        t, key = quote(table), quote("Id")
        sets, sources, joins, params = [], [], [], []
        for i, step in enumerate(steps):
            via = quote(step.via)
            sets.append(f"{quote(step.column)} = s{i}.v")
            # Parents without matching children still get the empty aggregate (0 or NULL).
            sources.append(
                f"(SELECT p.{key} AS k, {step.aggregate(f'COUNT(c.{via})')} AS v FROM {t} p "
                f"LEFT JOIN {quote(step.child)} c ON c.{via} = p.{key} AND {step.cond} "
                f"GROUP BY p.{key}) s{i}"
            )
            joins.append(f"{t}.{key} = s{i}.k")
            params.extend(step.params)
        self.execute(
            conn,
            f"UPDATE {t} SET {', '.join(sets)} FROM {', '.join(sources)} "
            f"WHERE {' AND '.join(joins)}",
            tuple(params),
        )

    def finish(self, conn: Connection, md: MetaData) -> None:
        """Declares the lookups as foreign keys, each checked once over the loaded rows."""
        statements = [
            str(AddConstraint(fk).compile(dialect=conn.dialect))
            for table in md.sorted_tables
            for fk in sorted(table.foreign_key_constraints, key=lambda c: c.column_keys)
        ]
        if statements:
            conn.exec_driver_sql(";\n".join(statements))  # one round trip

    def check_target(self, conn: Connection, name: str, force: bool) -> None:
        """Refuses a schema that is not an org, an org without ``force``, or no right to build.

        Raises:
            UsageError: saying which, and what to do.
        """
        kind = schema_kind(conn, name)
        if kind == "other":
            raise UsageError(
                f"schema {name!r} exists and is not a demoorg org; refusing to replace it "
                "(expected a new --org name)"
            )
        if kind == "org" and not force:
            raise UsageError(
                f"org {name!r} already exists on this server (pass --force to replace it)"
            )
        if kind == "org":
            owner, mine = conn.exec_driver_sql(
                "SELECT pg_get_userbyid(nspowner), pg_has_role(current_user, nspowner, 'MEMBER') "
                "FROM pg_namespace WHERE nspname = %s",
                (name,),
            ).one()
            if not mine:
                raise UsageError(
                    f"org {name!r} belongs to {owner}; only its owner can replace it "
                    "(expected another --org name)"
                )
        may_create = conn.exec_driver_sql(
            "SELECT has_database_privilege(current_user, current_database(), 'CREATE')"
        ).scalar_one()
        if not may_create:
            user, db = conn.exec_driver_sql("SELECT current_user, current_database()").one()
            raise UsageError(
                f"user {user!r} may not create schemas in database {db!r} "
                f"(expected GRANT CREATE ON DATABASE {quote(db)} TO {quote(user)})"
            )

    def publish(self, conn: Connection, tmp: str, name: str, *, force: bool) -> None:
        """Renames the built schema to ``name`` inside the build's transaction.

        Two builds of one org serialise here on an advisory lock; the check that the org does not
        exist (or may be replaced) is repeated under it, so a build started after this one's
        check cannot be overwritten by accident.
        """
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_SWAP_LOCK_TIMEOUT}'")
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (pg_advisory_key(name),))
        kind = schema_kind(conn, name)
        if kind == "other":
            raise UsageError(
                f"schema {name!r} exists and is not a demoorg org; refusing to replace it "
                "(expected a new --org name)"
            )
        if kind == "org":
            if not force:
                raise UsageError(
                    f"org {name!r} was created on this server while building (pass --force to "
                    "replace it)"
                )
            conn.exec_driver_sql(f"DROP SCHEMA {quote(name)} CASCADE")
        conn.exec_driver_sql(f"ALTER SCHEMA {quote(tmp)} RENAME TO {quote(name)}")
        # Demo data is synthetic: every role that may connect to the database may read the org
        # (so `demoorg orgs`, info and audit work across a team); only its owner may change it.
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {quote(name)} TO PUBLIC")
        conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA {quote(name)} TO PUBLIC")


def remove_stale_temp_schemas(conn: Connection) -> list[str]:
    """Drops temporary build schemas that no build will come back for; returns their names.

    A build creates its temporary schema inside its own transaction and renames it before the
    commit, so no other session ever sees the schema of a build in progress, and a killed build's
    schema vanishes with its rolled-back transaction. A ``_demoorg_tmp_…`` schema that is visible
    was therefore committed without its rename (by an interrupted older build, a restored dump or
    a hand-run script) and is dropped. Only schemas the current user may drop are touched; the
    clean-up never fails a build (it is rolled back and left for next time).
    """
    pattern = PG_TEMP_PREFIX.replace("_", r"\_") + "%"
    try:
        names = list(
            conn.exec_driver_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s "
                "AND pg_has_role(current_user, nspowner, 'MEMBER') ORDER BY nspname",
                (pattern,),
            ).scalars()
        )
        if names:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
            conn.exec_driver_sql(
                ";\n".join(f"DROP SCHEMA IF EXISTS {quote(n)} CASCADE" for n in names)
            )
        conn.commit()
    except DBAPIError:
        conn.rollback()
        return []
    return names


def schema_kind(conn: Connection, name: str) -> str | None:
    """``None`` when no schema ``name`` exists, ``"org"`` when it holds an org, else ``"other"``."""
    row = conn.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid "
        "AND c.relname = %s AND c.relkind IN ('r', 'p')) FROM pg_namespace n WHERE n.nspname = %s",
        (META_TABLE, name),
    ).first()
    if row is None:
        return None
    return "org" if row[0] else "other"


def index_name(table: str, column: str) -> str:
    """``ix_<table>_<column>``, shortened with a hash when longer than PostgreSQL allows."""
    name = f"ix_{table}_{column}"
    if len(name.encode()) <= PG_MAX_IDENTIFIER:
        return name
    digest = hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
    return f"{name[: PG_MAX_IDENTIFIER - 9]}_{digest}"


def writer_for(conn: Connection) -> Writer:
    """The writer for a connection's database."""
    if conn.dialect.name == "postgresql":
        return PostgresWriter()
    return SQLiteWriter()
