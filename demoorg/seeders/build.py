"""Builds an org: plan, generate, write, finish, then rename into place atomically.

An SQLite org is written to a temporary file beside the target and renamed over it only when
complete. A PostgreSQL org is written, in one transaction, into a temporary schema that is renamed
to the org's name just before the commit. Either way an interrupted or failed build leaves any
previous org exactly as it was. What differs between the two lives in
:mod:`demoorg.seeders.writers`.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import errno
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

# The SQLite dialect is imported with the module, not on the first build's create_engine().
import sqlalchemy.dialects.sqlite  # noqa: F401
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from demoorg import ORG_FORMAT_VERSION, __version__
from demoorg.content import files
from demoorg.content import model as m
from demoorg.errors import OrgError, UsageError
from demoorg.seeders.generate import OrgGenerator, Progress
from demoorg.seeders.plan import BuildParams, Plan, make_plan
from demoorg.seeders.schema import (
    META_TABLE,
    build_metadata,
    expr_sql,
    quote,
    where_sql,
)
from demoorg.seeders.writers import (
    PgTarget,
    PostgresWriter,
    RollupStep,
    SQLiteWriter,
    Writer,
    remove_stale_temp_schemas,
    writer_for,
)

TEMP_MARK = files.BUILD_MARK
#: SQLite result codes (the primary code, in the low byte) that mean the disk refused a write.
_SQLITE_WRITE_FAULTS = {
    8: errno.EROFS,  # SQLITE_READONLY
    10: errno.EIO,  # SQLITE_IOERR
    13: errno.ENOSPC,  # SQLITE_FULL
    14: errno.EACCES,  # SQLITE_CANTOPEN
}


class BuildCancelled(Exception):
    """Raised inside a build when its cancel check says stop; the target is left untouched."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """A finished build: where the org is (a file, or a server and org name), counts and time.

    ``str(path)`` is the org's location as every command accepts it, never with a password.
    """

    path: Path | PgTarget
    counts: dict[str, int]
    rows: int
    seconds: float


LOGO_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
MAX_LOGO_BYTES = 2 * 1024 * 1024


def load_logo(path: Path) -> dict[str, str]:
    """A prospect's logo file as ``{"mime", "data" (base64)}`` for the org's metadata.

    Raises:
        UsageError: not a PNG, SVG or JPEG file, unreadable, or over 2 MB.
    """
    mime = LOGO_TYPES.get(path.suffix.lower())
    if mime is None:
        raise UsageError(
            f"logo {path} is not a PNG, SVG or JPEG file (expected .png, .svg or .jpg)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read logo {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise UsageError(f"logo {path} is {len(data):,} bytes (expected at most 2 MB)")
    return {"mime": mime, "data": base64.b64encode(data).decode("ascii")}


def is_org_file(path: Path) -> bool:
    """True when ``path`` is an SQLite file with demoorg's metadata table."""
    try:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return False
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (META_TABLE,)
            ).fetchone()
        finally:
            con.close()
        return row is not None
    except (OSError, sqlite3.Error):
        return False


def check_target(out: Path, force: bool) -> None:
    """Refuses a target that is not an org, an org without ``force``, or a folder we cannot write."""
    if out.is_dir():
        raise UsageError(f"{out} is a folder (expected an org file path such as acme.demoorg)")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"folder {parent} does not exist (expected an existing folder for the org)"
        )
    if not os.access(parent, os.W_OK):
        raise UsageError(f"folder {parent} is read-only (expected a folder you can write to)")
    if out.exists():
        if not is_org_file(out):
            raise UsageError(
                f"{out} exists and is not a demoorg org; refusing to overwrite it (expected a new path)"
            )
        if not force:
            raise UsageError(f"{out} already exists (pass --force to replace it)")


def remove_stale_temps(out: Path) -> None:
    """Removes temporary files of builds that were killed (their process is gone) beside ``out``.

    A build still running, in this process or another, keeps its temporary file.
    """
    files.remove_stale_temps(out.parent if str(out.parent) else Path("."), (TEMP_MARK,))


def _write_fault(exc: BaseException) -> OSError | None:
    """The OS error behind a failed SQLite or file write, or None when it is something else."""
    if isinstance(exc, OSError):
        return exc
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _SQLITE_WRITE_FAULTS:
            return OSError(_SQLITE_WRITE_FAULTS[code & 0xFF], str(orig))
    return None


def build_org(
    tpl: m.TemplateDef,
    params: BuildParams,
    out: Path | PgTarget,
    *,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BuildResult:
    """Builds an org: an SQLite file at ``out``, or a schema on a PostgreSQL server.

    Args:
        tpl: the validated template.
        params: seed, size, locale, as-of date, release and prospect.
        out: the org file to create (or replace, with ``force``), or a :class:`PgTarget`
            (server URL and org name; see :func:`demoorg.seeders.writers.parse_target`).
        progress: called after each batch.
        cancelled: polled after each batch; when it returns True the build stops and leaves
            nothing behind.

    Raises:
        UsageError: the target cannot be written (or the server cannot be reached).
        BuildCancelled: the build was cancelled.
    """
    if isinstance(out, PgTarget):
        return _build_pg(tpl, params, out, force, progress, cancelled)
    out = Path(out)
    check_target(out, force)
    remove_stale_temps(out)
    tmp = files.temp_name(out, TEMP_MARK)
    with contextlib.suppress(OSError):
        tmp.unlink()  # this process's own leftover: SQLite would open it instead of a new file
    started = time.perf_counter()
    engine = create_engine(f"sqlite:///{tmp}")
    writer = SQLiteWriter()
    writer.prepare(engine)
    try:
        plan = make_plan(tpl, params)
        with engine.begin() as conn:
            counts = write_org(conn, plan, progress=progress, cancelled=cancelled, writer=writer)
        engine.dispose()
        writer.publish(tmp, out)
    except BaseException as exc:
        engine.dispose()
        with contextlib.suppress(OSError):
            tmp.unlink()
        fault = _write_fault(exc)
        if fault is not None:
            kept = "the previous org is unchanged" if out.exists() else "nothing was written"
            raise files.write_failed("org", out, fault, kept) from None
        raise
    return BuildResult(out, counts, sum(counts.values()), time.perf_counter() - started)


def _build_pg(
    tpl: m.TemplateDef,
    params: BuildParams,
    target: PgTarget,
    force: bool,
    progress: Callable[[Progress], None] | None,
    cancelled: Callable[[], bool] | None,
) -> BuildResult:
    """Builds into a temporary schema in one transaction and renames it into place at commit."""
    if not target.name:
        raise UsageError(f"no org name given for {target.server} (expected --org NAME or URL#name)")
    started = time.perf_counter()
    plan = make_plan(tpl, params)
    engine = create_engine(
        target.url, poolclass=NullPool, connect_args={"application_name": "demoorg seed"}
    )
    writer = PostgresWriter()
    try:
        try:
            conn = engine.connect()
        except OperationalError as exc:
            raise UsageError(f"cannot connect to {target.server}: {_pg_reason(exc)}") from None
        with conn:
            remove_stale_temp_schemas(conn)
            writer.check_target(conn, target.name, force)
            conn.commit()
            with conn.begin():
                tmp = writer.begin(conn)
                counts = write_org(
                    conn, plan, progress=progress, cancelled=cancelled, writer=writer
                )
                writer.publish(conn, tmp, target.name, force=force)
    except DBAPIError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate == "55P03":  # lock_not_available: someone is still reading the old org
            raise UsageError(
                f"org {target.name!r} is in use by another session; could not replace it "
                f"(expected its readers to finish, then retry)"
            ) from None
        if sqlstate == "42501":  # insufficient_privilege
            raise UsageError(
                f"cannot build org {target.name!r} on {target.server}: {_pg_reason(exc)}"
            ) from None
        raise
    finally:
        engine.dispose()
    return BuildResult(target, counts, sum(counts.values()), time.perf_counter() - started)


def _pg_reason(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return " ".join(text.split()) or type(exc.orig).__name__


def write_org(
    conn: Connection,
    plan: Plan,
    *,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    writer: Writer | None = None,
) -> dict[str, int]:
    """Generates the plan into an open connection: schema, rows, deferred lookups, roll-ups, metadata.

    ``writer`` does what differs between databases (default: the one for ``conn``'s dialect).
    """
    writer = writer or writer_for(conn)
    md, to_index = build_metadata([op.obj for op in plan.objects])
    writer.create_tables(conn, md)
    gen = OrgGenerator(plan)
    if gen.record_types:
        conn.execute(
            insert(md.tables["RecordType"]),
            [
                {
                    "Id": gen.record_type_ids[(o, dev)],
                    "Name": label,
                    "DeveloperName": dev,
                    "SobjectType": o,
                }
                for o, dev, label in gen.record_types
            ],
        )
    counts: dict[str, int] = {}
    with writer.loading(conn):
        for op, columns, rows, prog in gen.run():
            name = op.obj.name
            if rows:
                writer.insert_rows(conn, name, columns, rows)
            counts[name] = prog.total
            if progress:
                progress(prog)
            if cancelled and cancelled():
                raise BuildCancelled()
    # SQLite: indexes first, since the deferred updates and roll-ups below look rows up by their
    # lookups. PostgreSQL's roll-ups join instead, and every index would be rewritten by each
    # update of a row: its lookup indexes come after (see Writer.indexes_first).
    if writer.indexes_first:
        writer.create_indexes(conn, md, to_index)
    writer.loaded(conn, _rollup_keys(plan))
    _fill_deferred(conn, gen, writer)
    _rollups(conn, gen, writer)
    if not writer.indexes_first:
        writer.create_indexes(conn, md, to_index)
    _write_meta(conn, md, plan, gen, counts)
    writer.finish(conn, md)
    return counts


def _rollup_keys(plan: Plan) -> dict[str, list[str]]:
    """The tables roll-ups join, in plan order, with the columns they join on."""
    keys: dict[str, set[str]] = {}
    for op in plan.objects:
        for f in op.post:
            if isinstance(f.source, m.Rollup):
                keys.setdefault(op.obj.name, set()).add("Id")
                keys.setdefault(f.source.child, set()).add(f.source.via)
    return {op.obj.name: sorted(keys[op.obj.name]) for op in plan.objects if op.obj.name in keys}


def _fill_deferred(conn: Connection, gen: OrgGenerator, writer: Writer) -> None:
    for op in gen.plan.objects:
        store = gen.stores[op.obj.name]
        for f in op.deferred:
            src = f.source
            rng = gen.rng(op.obj.name, f.name, "deferred")
            target = src.to[0]
            cands = gen._candidates(target, src.where)
            if not cands:
                continue
            ids = gen.stores[target].id_list()
            own = store.id_list()
            # Hero records keep what the template says of them.
            fixed = {
                gen.hero_rows[h.key][1]
                for h in op.heroes
                if any(name == f.name for name, _ in (*h.links, *h.values))
            }
            updates = []
            for row in range(store.n):
                if row in fixed:
                    continue
                if f.null_rate and rng.random() < f.null_rate:
                    continue
                pick = rng.choice(cands)
                if target == op.obj.name and pick == row:
                    continue
                updates.append((ids[pick], own[row]))
            if updates:
                writer.executemany(
                    conn,
                    f"UPDATE {quote(op.obj.name)} SET {quote(f.name)} = ? WHERE {quote('Id')} = ?",
                    updates,
                )


def _rollups(conn: Connection, gen: OrgGenerator, writer: Writer) -> None:
    # Children are generated after their parents, so walking backwards computes a child's own
    # roll-ups (Opportunity.Amount from line items) before the parent's (Campaign won amount).
    for op in reversed(gen.plan.objects):
        table = quote(op.obj.name)
        pending: list[RollupStep] = []  # consecutive roll-ups, which a writer may run together
        blanks: list[tuple[str, str, str]] = []  # (field, child, via) of blank_when_none roll-ups
        for f in op.post:
            src = f.source
            if isinstance(src, m.Rollup):
                rts = {
                    dev: gen.record_type_ids.get((src.child, dev), "")
                    for dev, _, _ in gen.tpl.object(src.child).record_types
                }
                cond, params = where_sql(src.where, "c", rts, gen_offset_date(gen))

                def aggregate(count: str, src: m.Rollup = src, f: Any = f) -> str:
                    agg = count if src.op == "count" else f"{src.op.upper()}(c.{quote(src.of)})"
                    if src.op in ("count", "sum"):
                        agg = f"COALESCE({agg}, 0)"
                    if src.op == "sum" and f.decimals is not None:
                        # Sums of floats drift (159012.71000000002); money is kept to its cents.
                        agg = writer.round_sql(agg, f.decimals)
                    return agg

                pending.append(
                    RollupStep(f.name, src.child, src.via, aggregate, cond, tuple(params))
                )
                if src.blank_when_none:
                    blanks.append((f.name, src.child, src.via))
            elif isinstance(src, m.Expr):
                _flush_rollups(conn, writer, op.obj.name, pending, blanks)
                value = expr_sql(src.tree)
                if src.decimals >= 0:
                    value = writer.round_sql(value, src.decimals)
                writer.execute(conn, f"UPDATE {table} SET {quote(f.name)} = {value}")
        _flush_rollups(conn, writer, op.obj.name, pending, blanks)


def _flush_rollups(
    conn: Connection,
    writer: Writer,
    obj: str,
    pending: list[RollupStep],
    blanks: list[tuple[str, str, str]],
) -> None:
    """Runs the pending roll-ups of ``obj``, then empties the ``blank_when_none`` ones of parents
    that no child points at through the lookup; clears both lists."""
    writer.rollups(conn, obj, pending)
    table = quote(obj)
    # Such a parent is not the kind the roll-up is for (a carrier ships nothing): empty, not 0.
    # One with children, none of them matching, keeps its 0.
    for name, child, via in blanks:
        writer.execute(
            conn,
            f"UPDATE {table} SET {quote(name)} = NULL WHERE NOT EXISTS (SELECT 1 FROM "
            f"{quote(child)} c WHERE c.{quote(via)} = {table}.{quote('Id')})",
        )
    pending.clear()
    blanks.clear()


def gen_offset_date(gen: OrgGenerator) -> Callable[[str], Any]:
    def convert(value: str) -> Any:
        v = gen.offset_value(value)
        if isinstance(v, float):
            return (gen.asof + timedelta(days=round(v))).isoformat()
        return value

    return convert


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A template's own folder path is left out: it differs between machines, and the org
        # must be the same bytes everywhere. (A layout's `path` is its stage field and stays.)
        return {
            f.name: _jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.name == "path" and isinstance(value, m.TemplateDef))
        }
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def build_info(plan: Plan) -> dict[str, Any]:
    p = plan.params
    return {
        "industry": p.industry,
        "template_label": plan.template.label,
        "seed": p.seed,
        "size": p.size,
        "size_name": p.size_name,
        "locale": p.locale,
        "as_of": p.as_of.isoformat(),
        "release": p.release.name,
        "api_version": p.release.api_version,
        "preview": p.preview,
        "demoorg_version": __version__,
    }


def _write_meta(
    conn: Connection, md: Any, plan: Plan, gen: OrgGenerator, counts: dict[str, int]
) -> None:
    heroes = {}
    for h in plan.template.heroes:
        obj, row = gen.hero_rows[h.key]
        heroes[h.key] = {"object": obj, "id": gen.stores[obj].idmaker.id(row), "label": h.label}
    prospect = dataclasses.asdict(plan.params.prospect)
    prospect["domain"] = gen.prospect_domain
    if plan.params.prospect.logo:
        # The logo travels inside the org, so a copied org shows it on another laptop.
        prospect["logo"] = load_logo(Path(plan.params.prospect.logo))
    prospect["color"] = prospect["color"] or plan.template.brand_color
    meta = {
        "format_version": ORG_FORMAT_VERSION,
        "build": build_info(plan),
        "prospect": prospect,
        "template": _jsonable(plan.template),
        "features": plan.features(),
        "heroes": heroes,
        "counts": counts,
    }
    rows = [
        {
            "key": k,
            "value": json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
        }
        for k, v in meta.items()
    ]
    conn.execute(insert(md.tables[META_TABLE]), rows)


def open_check(path: Path) -> None:
    if not path.exists():
        raise OrgError(f"{path} does not exist (expected an org file built by demoorg seed)")
