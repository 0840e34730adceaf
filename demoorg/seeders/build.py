"""Builds an org file: plan, generate, write, finish, then rename into place atomically.

The org is written to a temporary file beside the target and renamed over it only when complete,
so an interrupted or failed build leaves any previous org exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
from sqlalchemy import create_engine, event, insert
from sqlalchemy.engine import Connection

from demoorg import ORG_FORMAT_VERSION, __version__
from demoorg.content import model as m
from demoorg.errors import OrgError, UsageError
from demoorg.seeders.generate import OrgGenerator, Progress
from demoorg.seeders.plan import BuildParams, Plan, make_plan
from demoorg.seeders.schema import (
    META_TABLE,
    build_metadata,
    create_indexes,
    expr_sql,
    quote,
    where_sql,
)

TEMP_MARK = ".building-"


class BuildCancelled(Exception):
    """Raised inside a build when its cancel check says stop; the target is left untouched."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    path: Path
    counts: dict[str, int]
    rows: int
    seconds: float


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
    """Removes temporary files left by builds that were killed (their process is gone)."""
    for tmp in out.parent.glob(f".{out.name}{TEMP_MARK}*"):
        pid_text = tmp.name.rsplit(TEMP_MARK, 1)[-1].split(".")[0]
        if pid_text.isdigit() and _alive(int(pid_text)) and int(pid_text) != os.getpid():
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def build_org(
    tpl: m.TemplateDef,
    params: BuildParams,
    out: Path,
    *,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BuildResult:
    """Builds an SQLite org file at ``out``.

    Args:
        tpl: the validated template.
        params: seed, size, locale, as-of date, release and prospect.
        out: the org file to create (or replace, with ``force``).
        progress: called after each batch.
        cancelled: polled after each batch; when it returns True the build stops and leaves
            nothing behind.

    Raises:
        UsageError: the target cannot be written.
        BuildCancelled: the build was cancelled.
    """
    out = Path(out)
    check_target(out, force)
    remove_stale_temps(out)
    tmp = out.parent / f".{out.name}{TEMP_MARK}{os.getpid()}"
    started = time.perf_counter()
    engine = create_engine(f"sqlite:///{tmp}")
    event.listen(engine, "connect", _fast_pragmas)
    try:
        plan = make_plan(tpl, params)
        with engine.begin() as conn:
            counts = write_org(conn, plan, progress=progress, cancelled=cancelled)
        engine.dispose()
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
    except BaseException:
        engine.dispose()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return BuildResult(out, counts, sum(counts.values()), time.perf_counter() - started)


def write_org(
    conn: Connection,
    plan: Plan,
    *,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, int]:
    """Generates the plan into an open connection: schema, rows, deferred lookups, roll-ups, metadata."""
    md, to_index = build_metadata([op.obj for op in plan.objects])
    md.create_all(conn)
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
    sql_cache: dict[str, str] = {}
    counts: dict[str, int] = {}
    for op, columns, rows, prog in gen.run():
        name = op.obj.name
        if rows:
            sql = sql_cache.get(name)
            if sql is None:
                cols = ", ".join(quote(c) for c in columns)
                marks = ", ".join("?" for _ in columns)
                sql = sql_cache[name] = f"INSERT INTO {quote(name)} ({cols}) VALUES ({marks})"
            conn.exec_driver_sql(sql, rows)
        counts[name] = prog.total
        if progress:
            progress(prog)
        if cancelled and cancelled():
            raise BuildCancelled()
    # Indexes first: the deferred updates and roll-ups below look rows up by their lookups.
    create_indexes(conn, md, to_index)
    _fill_deferred(conn, gen)
    _rollups(conn, gen)
    _write_meta(conn, md, plan, gen, counts)
    return counts


def _fill_deferred(conn: Connection, gen: OrgGenerator) -> None:
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
                conn.exec_driver_sql(
                    f"UPDATE {quote(op.obj.name)} SET {quote(f.name)} = ? WHERE Id = ?", updates
                )


def _rollups(conn: Connection, gen: OrgGenerator) -> None:
    # Children are generated after their parents, so walking backwards computes a child's own
    # roll-ups (Opportunity.Amount from line items) before the parent's (Campaign won amount).
    for op in reversed(gen.plan.objects):
        table = quote(op.obj.name)
        for f in op.post:
            src = f.source
            if isinstance(src, m.Rollup):
                rts = {
                    dev: gen.record_type_ids.get((src.child, dev), "")
                    for dev, _, _ in gen.tpl.object(src.child).record_types
                }
                cond, params = where_sql(src.where, "c", rts, gen_offset_date(gen))
                agg = "COUNT(*)" if src.op == "count" else f"{src.op.upper()}(c.{quote(src.of)})"
                if src.op in ("count", "sum"):
                    agg = f"COALESCE({agg}, 0)"
                sql = (
                    f"UPDATE {table} SET {quote(f.name)} = (SELECT {agg} FROM {quote(src.child)} c "
                    f"WHERE c.{quote(src.via)} = {table}.Id AND {cond})"
                )
                conn.exec_driver_sql(sql, tuple(params))
            elif isinstance(src, m.Expr):
                value = expr_sql(src.tree)
                if src.decimals >= 0:
                    value = f"ROUND({value}, {src.decimals})"
                conn.exec_driver_sql(f"UPDATE {table} SET {quote(f.name)} = {value}")


def gen_offset_date(gen: OrgGenerator) -> Callable[[str], Any]:
    def convert(value: str) -> Any:
        v = gen.offset_value(value)
        if isinstance(v, float):
            return (gen.asof + timedelta(days=round(v))).isoformat()
        return value

    return convert


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "path"
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
