"""Opening an org: its file (or its schema on a PostgreSQL server), its own metadata, counts.

An org is self-describing: everything needed to show it (objects, fields, layouts, dashboards,
features, branding, build parameters) is stored inside it, so a copied org opens on another laptop
with no template around.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DatabaseError, OperationalError

from demoorg import ORG_FORMAT_VERSION
from demoorg.errors import OrgError, UsageError
from demoorg.seeders.schema import META_TABLE, quote
from demoorg.seeders.writers import PgTarget, parse_target


@dataclass
class Org:
    """An open org: its engine and its metadata."""

    location: str
    engine: Engine
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def build(self) -> dict[str, Any]:
        return self.meta["build"]

    @property
    def template(self) -> dict[str, Any]:
        return self.meta["template"]

    def objects(self) -> list[dict[str, Any]]:
        return self.template["objects"]

    def object(self, name: str) -> dict[str, Any]:
        for o in self.objects():
            if o["name"] == name:
                return o
        raise KeyError(name)

    def count(self, name: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {quote(name)}").scalar_one())

    def counts(self) -> dict[str, int]:
        return {o["name"]: self.count(o["name"]) for o in self.objects()}

    #: Set by :meth:`close`; work scheduled before (a dashboard's tiles) checks it, since the
    #: engine would otherwise open a new connection that nothing closes.
    closed: bool = False

    def close(self) -> None:
        self.closed = True
        self.engine.dispose()

    def __enter__(self) -> Org:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_sqlite_file(path: Path) -> None:
    if not path.exists():
        raise OrgError(f"{path} does not exist (expected an org file built by `demoorg seed`)")
    if path.is_dir():
        raise OrgError(f"{path} is a folder (expected an org file)")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise OrgError(f"{path} cannot be read: {exc.strerror}") from None
    if head != b"SQLite format 3\x00":
        raise OrgError(
            f"{path} is not an org file (expected an SQLite org built by `demoorg seed`)"
        )


def open_org(location: str | Path | PgTarget, readonly: bool = True) -> Org:
    """Opens an org and reads its metadata.

    Args:
        location: an org file; an ``sqlite:///…`` URL; an org on a PostgreSQL server as
            ``postgresql+psycopg://user@host/dbname#orgname`` or a :class:`PgTarget`.
        readonly: open it read-only (the file's mode, or read-only transactions on a server).

    Raises:
        OrgError: the file or server org is missing, not an org, damaged, or from a newer demoorg.
    """
    target: Path | PgTarget | None
    try:
        target = parse_target(location)
    except UsageError as exc:
        raise OrgError(str(exc)) from None
    if isinstance(target, PgTarget):
        from demoorg.org.server import connect_org

        engine = connect_org(target, readonly=readonly)
        loc = str(target)  # never the password
    elif "://" in str(location):  # another SQLAlchemy URL: opened as given
        loc = str(location)
        engine = create_engine(loc)
    else:
        loc = str(location)
        path = target
        _check_sqlite_file(path)
        mode = "ro" if readonly else "rw"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(
                f"file:{path.resolve()}?mode={mode}", uri=True, check_same_thread=False
            )

        engine = create_engine("sqlite://", creator=connect)
    damaged = "" if isinstance(target, PgTarget) else " (the file may be damaged)"
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT key, value FROM {quote(META_TABLE)}")).all()
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        reason = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
        if "no such table" in reason:
            raise OrgError(f"{loc} is not a demoorg org (no org metadata inside)") from None
        raise OrgError(f"{loc} cannot be read: {' '.join(reason.split())}{damaged}") from None
    try:
        meta = {k: json.loads(v) for k, v in rows}
    except json.JSONDecodeError:
        engine.dispose()
        raise OrgError(f"{loc} has damaged org metadata{damaged}") from None
    version = meta.get("format_version")
    if not isinstance(version, int) or "build" not in meta or "template" not in meta:
        engine.dispose()
        raise OrgError(f"{loc} has incomplete org metadata{damaged}")
    if version > ORG_FORMAT_VERSION:
        engine.dispose()
        raise OrgError(
            f"{loc} was built by a newer demoorg (org format {version}; this version reads up to "
            f"{ORG_FORMAT_VERSION}). Update demoorg to open it."
        )
    return Org(loc, engine, meta)
