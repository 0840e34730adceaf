"""Working copies of server orgs: two private schemas next to the org, on the same server.

Presenting ``postgresql+psycopg://…/db#acme`` makes, in one transaction:

* ``_demoorg_present_<token>_start``: every table of ``acme`` copied (``CREATE TABLE … (LIKE …
  INCLUDING ALL)`` keeps columns, defaults and indexes; ``INSERT … SELECT`` the rows), then every
  date moved to around today (:func:`demoorg.present.workcopy.shift_dates`);
* ``_demoorg_present_<token>``: the working copy, a copy of the start schema, opened read-write as
  the session's org.

Live actions change only the working schema. A statement trigger on each of its tables notes the
table in the start schema's ``_demoorg_changed`` whenever anything changes it (a live action, its
undo, or any other client), so a hard restore empties and refills from the start schema only the
tables that changed, in one transaction: a blink however big the org. Closing the session drops
both schemas. The copies are unlogged tables (no write-ahead log: they are disposable, and a
server crash, which empties them, ends the session anyway) without foreign keys (``LIKE`` does not
copy them; nor does an org file's working copy enforce them): live actions and their undo never
wait for the server to check them, and a restore can refill tables in any order.

The names start with ``_``, which no org name can (see
:func:`demoorg.seeders.writers.check_org_name`), and ``demoorg orgs`` leaves them out
(:data:`demoorg.org.server.PG_PRESENT_PREFIX`). Each session holds a PostgreSQL advisory lock on
its token through a connection of its own for as long as it is open. The server releases the lock
when that connection ends, however the process ends (a crash, a SIGKILL), so schemas whose lock is
free belong to no running presentation: :func:`remove_stale_schemas` drops them, and every new
session on the server runs it first. Two presenters, on two orgs or on the same one, never share a
schema.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from demoorg.errors import OrgError
from demoorg.org.orgfile import Org, open_org
from demoorg.org.server import PG_PRESENT_PREFIX, reason
from demoorg.present.workcopy import PresentSession, ShiftResult, set_as_of, shift_dates
from demoorg.seeders.schema import quote
from demoorg.seeders.writers import PgTarget

#: The start schema's name is the working schema's plus this.
START_SUFFIX = "_start"
#: The start schema's table of working tables changed since the last restore (and its trigger).
CHANGED_TABLE = "_demoorg_changed"


def session_lock_key(token: str) -> int:
    """The 64-bit advisory-lock key a session holds for its token (see the module docstring)."""
    digest = hashlib.blake2b(f"demoorg-present:{token}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def session_schemas(token: str) -> tuple[str, str]:
    """``(working, start)`` schema names of the session ``token``."""
    working = f"{PG_PRESENT_PREFIX}{token}"
    return working, working + START_SUFFIX


def _token_of(schema: str) -> str:
    return schema[len(PG_PRESENT_PREFIX) :].removesuffix(START_SUFFIX)


def _tables(conn: Connection, schema: str) -> list[str]:
    rows = conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,)
    )
    return [name for (name,) in rows]


def _copy_schema(conn: Connection, source: str, target: str, tables: list[str], note: str) -> None:
    """Creates schema ``target`` holding a copy of ``tables`` of ``source`` (one round trip)."""
    src, dst = quote(source), quote(target)
    statements = [
        f"CREATE SCHEMA {dst}",
        f"COMMENT ON SCHEMA {dst} IS {_literal(note)}",
    ]
    for t in tables:
        statements.append(
            f"CREATE UNLOGGED TABLE {dst}.{quote(t)} (LIKE {src}.{quote(t)} INCLUDING ALL)"
        )
        statements.append(f"INSERT INTO {dst}.{quote(t)} SELECT * FROM {src}.{quote(t)}")
    conn.exec_driver_sql(";\n".join(statements))


def _note_changes(conn: Connection, working: str, start: str, tables: list[str]) -> None:
    """Makes every change to a working table note the table in the start schema (one trip)."""
    log = f"{quote(start)}.{quote(CHANGED_TABLE)}"
    note = f"{quote(start)}.{quote('_demoorg_note_change')}"
    statements = [
        f"CREATE UNLOGGED TABLE {log} (name text PRIMARY KEY)",
        f"CREATE FUNCTION {note}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {log} VALUES (TG_TABLE_NAME) ON CONFLICT DO NOTHING; RETURN NULL; END $$",
    ]
    statements += [
        f"CREATE TRIGGER {quote(CHANGED_TABLE)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {quote(working)}.{quote(t)} FOR EACH STATEMENT EXECUTE FUNCTION {note}()"
        for t in tables
    ]
    conn.exec_driver_sql(";\n".join(statements))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def remove_stale_schemas(conn: Connection) -> list[str]:
    """Drops the session schemas on the connection's database whose session is gone.

    A session's schemas are stale when nobody holds its advisory lock. Schemas another user owns
    and this one may not drop are left alone (their owner's next session removes them).

    Args:
        conn: a connection in autocommit mode, holding no session lock of its own.

    Returns:
        The schemas dropped.
    """
    pattern = PG_PRESENT_PREFIX.replace("_", r"\_") + "%"
    names = [
        name
        for (name,) in conn.exec_driver_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname", (pattern,)
        )
    ]
    by_token: dict[str, list[str]] = {}
    for name in names:
        by_token.setdefault(_token_of(name), []).append(name)
    dropped: list[str] = []
    for token, schemas in by_token.items():
        key = session_lock_key(token)
        if not conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (key,)).scalar_one():
            continue  # its presentation is running
        try:
            conn.exec_driver_sql(
                "DROP SCHEMA IF EXISTS " + ", ".join(quote(s) for s in schemas) + " CASCADE"
            )
            dropped.extend(schemas)
        except DBAPIError:
            pass  # another user's: not ours to drop
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (key,))
    return dropped


class ServerSession(PresentSession):
    """A working copy of a server org: two private schemas on the org's server.

    ``working`` and ``start`` are PgTargets naming those schemas (for tests and diagnostics; a
    user never types them).
    """

    def __init__(
        self,
        baseline: PgTarget,
        org: Org,
        shift: ShiftResult,
        open_seconds: float,
        admin: Org,
        lease: Connection,
        token: str,
        tables: list[str],
    ) -> None:
        super().__init__(baseline, org, shift, open_seconds)
        self._admin = admin
        self._lease = lease
        self.token = token
        self._tables = tables
        self._closed = False

    @property
    def working(self) -> PgTarget:
        assert isinstance(self.baseline, PgTarget)
        return PgTarget(self.baseline.url, session_schemas(self.token)[0])

    @property
    def start(self) -> PgTarget:
        assert isinstance(self.baseline, PgTarget)
        return PgTarget(self.baseline.url, session_schemas(self.token)[1])

    def restore(self) -> float:
        """Refills the working tables that changed from the start schema, in one transaction.

        Raises:
            OrgError: the server failed (the working copy is then as it was before).
        """
        started = time.perf_counter()
        working, start = (quote(s) for s in session_schemas(self.token))
        log = f"{start}.{quote(CHANGED_TABLE)}"
        try:
            with self.org.engine.begin() as conn:
                changed = [
                    name
                    for (name,) in conn.exec_driver_sql(f"SELECT name FROM {log} ORDER BY name")
                    if name in self._tables
                ]
                if not changed:
                    return time.perf_counter() - started
                statements = [
                    "TRUNCATE " + ", ".join(f"{working}.{quote(t)}" for t in changed),
                    *(
                        f"INSERT INTO {working}.{quote(t)} SELECT * FROM {start}.{quote(t)}"
                        for t in changed
                    ),
                    f"DELETE FROM {log}",  # the refill noted its own tables
                ]
                conn.exec_driver_sql(";\n".join(statements))
        except DBAPIError as exc:
            raise OrgError(
                f"{self.baseline}: the working copy could not be reset: {reason(exc)}"
            ) from None
        return time.perf_counter() - started

    def close(self) -> None:
        """Drops the session's schemas and releases its lock (a dead server is not an error:
        its schemas are then removed by the next session that finds them stale)."""
        if self._closed:
            return
        self._closed = True
        self.org.close()
        try:
            self._lease.exec_driver_sql(
                "DROP SCHEMA IF EXISTS "
                + ", ".join(quote(s) for s in session_schemas(self.token))
                + " CASCADE"
            )
            self._lease.exec_driver_sql(
                "SELECT pg_advisory_unlock(%s)", (session_lock_key(self.token),)
            )
        except DBAPIError:
            pass
        finally:
            self._lease.close()
            self._admin.close()


def open_server_session(target: PgTarget, today: date | None) -> ServerSession:
    """Prepares a working copy of a server org (see the module docstring).

    Raises:
        OrgError: the org is missing, the server cannot be reached, or it refuses to create the
            schemas (the user needs the CREATE privilege on the database).
    """
    started = time.perf_counter()
    # An engine on the org's schema that may write (to the session's schemas only): it reads the
    # metadata, holds the session's lock, and copies.
    admin = open_org(target, readonly=False)
    meta = admin.meta
    token = secrets.token_hex(6)
    working, start = session_schemas(token)
    lease: Connection | None = None
    try:
        lease = admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        remove_stale_schemas(lease)
        # The lock is taken before the schemas exist, so no other session can ever find them
        # unlocked while this one lives.
        lease.exec_driver_sql("SELECT pg_advisory_lock(%s)", (session_lock_key(token),))
        as_of = date.fromisoformat(meta["build"]["as_of"])
        days = (today - as_of).days if today is not None else 0
        note = f"demoorg: a presentation of {target.name}; dropped when it ends"
        with admin.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO off")  # a disposable copy
            tables = _tables(conn, target.name)
            _copy_schema(conn, target.name, start, tables, note + " (its start state)")
            conn.exec_driver_sql(f"SET LOCAL search_path TO {quote(start)}")
            shift = shift_dates(conn, days, meta)
            if days:
                set_as_of(conn, today or as_of, meta, days)
            _copy_schema(conn, start, working, tables, note)
            _note_changes(conn, working, start, tables)
        org = open_org(PgTarget(target.url, working), readonly=False)
    except DBAPIError as exc:
        _abandon(admin, lease, token)
        raise OrgError(
            f"{target} cannot be copied for presenting: {reason(exc)} (presenting a server org "
            "makes two private schemas next to it: the user needs the CREATE privilege on the "
            "database)"
        ) from None
    except BaseException:
        _abandon(admin, lease, token)
        raise
    return ServerSession(
        target, org, shift, time.perf_counter() - started, admin, lease, token, tables
    )


def _abandon(admin: Org, lease: Connection | None, token: str) -> None:
    """Undoes a half-made session: its schemas (if they were committed) and its lock."""
    try:
        if lease is not None:
            lease.exec_driver_sql(
                "DROP SCHEMA IF EXISTS "
                + ", ".join(quote(s) for s in session_schemas(token))
                + " CASCADE"
            )
            lease.close()  # ends the lock with the connection's session
    except DBAPIError:
        pass
    finally:
        admin.close()
