"""SQLAlchemy Core tables built from a template's metadata, and SQL for conditions over them.

There is no hand-written ORM class per object: every table, column, foreign key and index comes
from the template, so a new industry is a folder of YAML. Table and column names are the
Salesforce API names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from demoorg.content import model as m

META_TABLE = "_demoorg_meta"


def column_type(f: m.FieldDef) -> Any:
    t = f.type
    if t in ("id", "lookup"):
        return String(18)
    if t == "number":
        return Integer() if not f.decimals else Float()
    if t == "currency":
        return Numeric(18, 2, asdecimal=False)
    if t == "percent":
        return Float()
    if t == "date":
        return Date()
    if t == "datetime":
        return DateTime()
    if t == "boolean":
        return Boolean()
    if t == "textarea":
        return Text()
    return String(255)


def build_metadata(
    objects: list[m.ObjectDef] | tuple[m.ObjectDef, ...],
) -> tuple[MetaData, list[tuple[str, str]]]:
    """Tables for every object plus RecordType and the org's own metadata table.

    Returns the MetaData and the (table, column) pairs to index once the data is loaded (indexes
    built after a bulk load are faster than indexes maintained during it).
    """
    md = MetaData()
    Table(
        META_TABLE,
        md,
        Column("key", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Table(
        "RecordType",
        md,
        Column("Id", String(18), primary_key=True),
        Column("Name", String(80)),
        Column("DeveloperName", String(80)),
        Column("SobjectType", String(80)),
    )
    names = {o.name for o in objects} | {"RecordType"}
    to_index: list[tuple[str, str]] = []
    for obj in objects:
        cols = []
        for f in obj.fields:
            if not f.store:
                continue
            if f.type == "id":
                cols.append(Column("Id", String(18), primary_key=True))
                continue
            args: list[Any] = []
            if f.type == "lookup" and len(f.reference_to) == 1 and f.reference_to[0] in names:
                # use_alter: lookups may point at tables created later, or at themselves.
                args.append(ForeignKey(f"{f.reference_to[0]}.Id", use_alter=False))
            if f.type == "lookup":
                to_index.append((obj.name, f.name))
            cols.append(Column(f.name, column_type(f), *args))
        # Ids only grow, so a clustered WITHOUT ROWID table appends and needs no second index.
        Table(obj.name, md, *cols, sqlite_with_rowid=False)
    return md, to_index


def create_indexes(conn: Any, md: MetaData, to_index: list[tuple[str, str]]) -> None:
    for table, column in to_index:
        Index(f"ix_{table}_{column}", md.tables[table].c[column]).create(conn)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def where_sql(
    where: m.Where, alias: str, record_type_ids: dict[str, str], offset_to_date: Any = None
) -> tuple[str, list[Any]]:
    """SQL for a condition on one table's own columns, with parameters (never inlined values).

    ``RecordType`` clauses compare ``RecordTypeId`` with the Ids of the named record types;
    relative dates (``-30d``) become ISO dates through ``offset_to_date``.
    """
    parts: list[str] = []
    params: list[Any] = []
    for fld, op, value in where.clauses:
        col = f"{alias}.{quote(fld)}"
        if fld == "RecordType":
            col = f"{alias}.{quote('RecordTypeId')}"
            value = (
                tuple(record_type_ids.get(v, "") for v in value)
                if isinstance(value, tuple)
                else record_type_ids.get(value, "")
            )
        if offset_to_date is not None and isinstance(value, str):
            value = offset_to_date(value)
        if op == "eq":
            if value is None:
                parts.append(f"{col} IS NULL")
            else:
                parts.append(f"{col} = ?")
                params.append(value)
        elif op == "ne":
            parts.append(f"({col} IS NULL OR {col} <> ?)")
            params.append(value)
        elif op in ("in", "not_in"):
            marks = ", ".join("?" for _ in value) or "NULL"
            parts.append(f"{col} {'IN' if op == 'in' else 'NOT IN'} ({marks})")
            params.extend(value)
        elif op == "blank":
            parts.append(f"{col} IS {'' if value else 'NOT '}NULL")
        else:
            sym = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
            parts.append(f"{col} {sym} ?")
            params.append(value)
    return (" AND ".join(parts) or "1=1"), params


def expr_sql(tree: Any) -> str:
    """SQL for a parsed arithmetic expression (see :class:`demoorg.content.model.Expr`)."""
    kind = tree[0]
    if kind == "num":
        return repr(float(tree[1]))
    if kind == "ref":
        return quote(tree[1])
    a, b = expr_sql(tree[1]), expr_sql(tree[2])
    if kind == "/":
        return f"({a} * 1.0 / NULLIF({b}, 0))"
    return f"({a} {kind} {b})"
