"""Orgs on a shared PostgreSQL server: one schema per org, opened and listed by name.

An org on a server is addressed as ``postgresql+psycopg://user@host/dbname#orgname`` (or
``--db URL --org NAME`` on the command line; see :func:`demoorg.seeders.writers.parse_target`).
Its schema holds the same tables as an org file — Salesforce API names as quoted identifiers,
``RecordType`` and the ``_demoorg_meta`` metadata table — so the same code reads both.

An org's engine connects with ``search_path`` set to the org's schema, so unqualified table names
mean the org's tables, and reads back the same Python values as an org file: dates and datetimes
as ISO text (``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS``), booleans as 0/1, decimals as numbers the
way SQLite's NUMERIC affinity gives them (whole ones as ints). Views, the audit and exports
therefore see one org, whichever engine holds it.

Passwords: demoorg never stores one. Give it in the URL for a one-off, or better let libpq find it
(``PGPASSWORD``, ``~/.pgpass``, ``PGSERVICE``) by leaving it out of the URL; messages and org
locations always show the URL without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from demoorg.errors import OrgError
from demoorg.seeders.schema import META_TABLE, quote
from demoorg.seeders.writers import PG_TEMP_PREFIX, PgTarget, qmark_to_format, schema_kind

#: Private schemas of presentations in progress (working copies, see
#: :mod:`demoorg.present.servercopy`). Like a build's temporary schemas they are not orgs to list.
PG_PRESENT_PREFIX = "_demoorg_present_"

#: Session settings of every connection to an org: its schema first, ISO dates in text output.
_SESSION = ("-c DateStyle=ISO",)


def _adapt_values(dbapi_conn: Any, _record: Any) -> None:
    """Loads values as an org file gives them (see the module docstring)."""
    from psycopg.adapt import Loader
    from psycopg.types.string import TextLoader

    class BoolAsIntLoader(Loader):
        def load(self, data: Any) -> int:
            return 1 if data == b"t" else 0

    class NumericAsSQLiteLoader(Loader):
        # SQLite's NUMERIC affinity keeps a whole number as an integer: 221400000, not 221400000.0.
        def load(self, data: Any) -> float | int:
            value = float(bytes(data))
            return int(value) if value.is_integer() and abs(value) < 2**63 else value

    adapters = dbapi_conn.adapters
    for type_name in ("date", "timestamp"):
        adapters.register_loader(type_name, TextLoader)
    adapters.register_loader("numeric", NumericAsSQLiteLoader)
    adapters.register_loader("bool", BoolAsIntLoader)


def server_engine(target: PgTarget, *, schema: str | None = None, readonly: bool = True) -> Engine:
    """An engine on the target's server; with ``schema``, its connections search only that schema.

    ``readonly`` makes every transaction read-only on the server side, like an org file opened
    read-only.

    Transactions are PostgreSQL's own: after a failed statement the connection must roll back
    before it can run the next one, and a transaction left open keeps its tables from being
    replaced (a ``seed --force`` of the org waits for it, then gives up with a clear message).
    """
    options = [str(target.url.query.get("options") or "").strip(), *_SESSION]
    if schema:
        options.append(f"-c search_path={schema}")
    if readonly:
        options.append("-c default_transaction_read_only=on")
    engine = create_engine(
        target.url,
        connect_args={
            "options": " ".join(o for o in options if o),
            "application_name": "demoorg",
        },
    )
    event.listen(engine, "connect", _adapt_values)
    return engine


def _translate_placeholders(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool
) -> tuple[str, Any]:
    # Only driver-level SQL (exec_driver_sql) is written with ``?``: SQLAlchemy compiles its own
    # constructs and text() in the driver's style already.
    if parameters and (context is None or context.compiled is None):
        statement = qmark_to_format(statement)
    return statement, parameters


def reason(exc: DBAPIError) -> str:
    """The server's or libpq's message on one line (it never contains the password)."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def connect_org(target: PgTarget, *, readonly: bool = True) -> Engine:
    """An engine on the org's schema, after checking the org exists.

    Raises:
        OrgError: the server cannot be reached, no org is named, or the named one is missing.
    """
    if not target.name:
        names = ", ".join(org_names(target)) or "none yet"
        raise OrgError(
            f"no org named for {target.server} (expected URL#orgname or --org NAME; "
            f"orgs there: {names})"
        )
    engine = server_engine(target, schema=target.name, readonly=readonly)
    # The core reads orgs with one SQL for both engines, written with SQLite's ``?`` placeholders.
    event.listen(engine, "before_cursor_execute", _translate_placeholders, retval=True)
    try:
        with engine.connect() as conn:
            kind = schema_kind(conn, target.name)
    except DBAPIError as exc:
        engine.dispose()
        raise OrgError(f"cannot connect to {target.server}: {reason(exc)}") from None
    if kind is None:
        engine.dispose()
        names = ", ".join(org_names(target)) or "none yet"
        raise OrgError(
            f"no org {target.name!r} on {target.server} (orgs there: {names}; "
            "build one with demoorg seed --db URL --org NAME)"
        )
    if kind == "other":
        engine.dispose()
        raise OrgError(f"{target} is not a demoorg org (no org metadata inside)")
    return engine


def org_names(target: PgTarget) -> list[str]:
    """The names of the orgs on the target's server (schemas holding ``_demoorg_meta``)."""
    engine = server_engine(target)
    try:
        with engine.connect() as conn:
            return _org_schemas(conn)
    except DBAPIError as exc:
        raise OrgError(f"cannot connect to {target.server}: {reason(exc)}") from None
    finally:
        engine.dispose()


def _org_schemas(conn: Any) -> list[str]:
    """Schemas holding org metadata, less builds in progress and presentations' working copies."""
    rows = conn.exec_driver_sql(
        "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
        "WHERE c.relname = %s AND c.relkind IN ('r', 'p') AND n.nspname NOT LIKE %s "
        "AND n.nspname NOT LIKE %s ORDER BY n.nspname",
        (META_TABLE, *(p.replace("_", r"\_") + "%" for p in (PG_TEMP_PREFIX, PG_PRESENT_PREFIX))),
    ).all()
    return [name for (name,) in rows]


@dataclass(frozen=True, slots=True)
class OrgSummary:
    """One org on a server, as ``demoorg orgs`` lists it.

    ``error`` says why the org could not be read (another user's org without read access, or
    damaged metadata); the other fields are then empty.
    """

    name: str
    owner: str
    prospect: str = ""
    industry: str = ""
    release: str = ""
    as_of: str = ""
    locale: str = ""
    size: str = ""
    records: int | None = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "org": self.name,
            "owner": self.owner,
            "prospect": self.prospect,
            "industry": self.industry,
            "release": self.release,
            "as_of": self.as_of,
            "locale": self.locale,
            "size": self.size,
            "records": self.records,
            **({"error": self.error} if self.error else {}),
        }


def list_orgs(target: PgTarget) -> list[OrgSummary]:
    """Every org on the target's server with its prospect, industry, release and record count.

    Record counts are counted now (an org may have changed since it was built).

    Raises:
        OrgError: the server cannot be reached.
    """
    engine = server_engine(target)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            owners = dict(
                conn.exec_driver_sql(
                    "SELECT n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n"
                ).all()
            )
            return [_summary(conn, name, owners.get(name, "")) for name in _org_schemas(conn)]
    except DBAPIError as exc:
        raise OrgError(f"cannot list the orgs on {target.server}: {reason(exc)}") from None
    finally:
        engine.dispose()


def _summary(conn: Any, name: str, owner: str) -> OrgSummary:
    schema = quote(name)
    try:
        rows = conn.exec_driver_sql(
            f"SELECT key, value FROM {schema}.{quote(META_TABLE)} "
            "WHERE key IN ('build', 'prospect', 'counts')"
        ).all()
        meta = {key: json.loads(value) for key, value in rows}
        build, prospect = meta["build"], meta["prospect"]
        tables = [t for t in meta["counts"] if isinstance(t, str)]
        records = None
        if tables:
            total = " + ".join(f"(SELECT COUNT(*) FROM {schema}.{quote(t)})" for t in tables)
            records = int(conn.exec_driver_sql(f"SELECT {total}").scalar_one())
    except DBAPIError as exc:
        return OrgSummary(name, owner, error=reason(exc))
    except (KeyError, TypeError, ValueError):
        return OrgSummary(name, owner, error="damaged org metadata")
    return OrgSummary(
        name,
        owner,
        prospect=str(prospect.get("name", "")),
        industry=str(build.get("industry", "")),
        release=str(build.get("release", "")),
        as_of=str(build.get("as_of", "")),
        locale=str(build.get("locale", "")),
        size=str(build.get("size_name", "")),
        records=records,
    )
