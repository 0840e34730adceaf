"""Reading an open org the way a CRM shows it: list views, record pages, search and dashboards.

Everything here is driven by the org's own metadata (objects, fields, list columns, layouts and
dashboards), so one generic list view, one record page and one dashboard show every object of
every industry. It never imports Qt: the desktop app adapts these plain results to widgets, and the
tests compare them with SQL written by hand.

Field paths follow the template format: a column, tile or condition field may be an own field
(``StageName``), a path through lookups (``AccountId.Name``) or ``RecordType`` (shown as the record
type's label; in conditions compared by developer name).

Paging is keyset paging over ``(sort value, Id)``, so the thousandth page costs what the first
does, and display values (lookup names, paths) are read only for the rows of a page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import inspect

from demoorg.content.model import Where
from demoorg.org.dates import offset_converter, parse_date
from demoorg.org.orgfile import Org
from demoorg.seeders.schema import quote, where_sql

#: Types whose values are text and can be searched with LIKE.
TEXT_TYPES = frozenset({"text", "textarea", "picklist", "email", "phone", "url"})
#: Types shown right-aligned and summed in dashboards.
NUMERIC_TYPES = frozenset({"number", "currency", "percent"})
DATE_TYPES = frozenset({"date", "datetime"})
#: Picklists that read as stages when a layout names no path (used only by orgs whose metadata
#: lost the layout's ``path`` key).
_STAGE_FIELDS = ("StageName", "Status")

RECORD_TYPE = "RecordType"
_RECORD_TYPE_PREFIX = "012"

# On SQLite a sort key is never NULL: NULLs sort last ascending (a blob sorts after text) and last
# descending (minus infinity sorts before every number and text), so keyset comparisons stay total.
# PostgreSQL's typed columns take no such stand-in; there NULLs are placed with NULLS LAST instead.
_NULL_LAST_ASC = "x''"
_NULL_LAST_DESC = "-9e999"
_ID = quote("Id")


# --- metadata ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A stored field of an object, as the org's metadata describes it."""

    name: str
    label: str
    type: str
    picklist: tuple[Any, ...] = ()
    reference_to: tuple[str, ...] = ()
    decimals: int | None = None

    @property
    def is_lookup(self) -> bool:
        return self.type == "lookup"


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    fields: tuple[str, ...]
    columns: int = 2


@dataclass(frozen=True, slots=True)
class RelatedSpec:
    object: str
    via: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """A record page: highlights, an optional stage path, sections and related lists."""

    highlights: tuple[str, ...]
    path: str | None
    sections: tuple[Section, ...]
    related: tuple[RelatedSpec, ...]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """An object of the org: names, its stored fields in order, list columns and page layout."""

    name: str
    label: str
    plural: str
    name_field: str
    key_prefix: str
    fields: dict[str, FieldInfo]
    list_columns: tuple[str, ...] = ()
    raw_layout: dict[str, Any] | None = None
    record_types: tuple[tuple[str, str], ...] = ()  # (developer name, label)
    icon: str | None = None

    def field(self, name: str) -> FieldInfo:
        return self.fields[name]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a list or related list: a field path and how to show it.

    ``type`` is the final field's type; ``lookup`` columns hold :class:`Ref` values and ``link``
    says whether the value opens a record (a record type is shown but not linked).
    """

    path: str
    label: str
    type: str
    field: FieldInfo
    link: bool = False

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True, slots=True)
class Ref:
    """A lookup's value: the target record's object, Id and name."""

    object: str
    id: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(slots=True)
class Record:
    """One record: every stored field, lookups resolved to :class:`Ref`."""

    object: str
    id: str
    name: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ListSpec:
    """What a list view shows: object, columns, sort, search text and conditions."""

    object: str
    columns: tuple[str, ...] = ()
    sort: str | None = None
    descending: bool = False
    search: str = ""
    where: tuple[tuple[str, str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """Row Ids of one page and the key to pass for the next (None: this was the last page)."""

    ids: list[str]
    after: tuple[Any, ...] | None


@dataclass(slots=True)
class RelatedList:
    object: str
    via: str
    label: str
    columns: list[Column]
    ids: list[str]
    rows: list[tuple[Any, ...]]
    total: int


@dataclass(frozen=True, slots=True)
class Activity:
    """A call, email, task or meeting on a record's timeline."""

    kind: str  # call | email | task | meeting
    object: str  # Task | Event
    id: str
    subject: str
    day: date | None
    when: str | None  # the stored date or date-time
    status: str | None
    who: Ref | None
    what: Ref | None
    detail: str = ""
    upcoming: bool = False


@dataclass(frozen=True, slots=True)
class SearchHit:
    object: str
    id: str
    name: str
    detail: str = ""


@dataclass(slots=True)
class TileData:
    """A dashboard tile's numbers: one value (metric) or a series of (group key, value)."""

    key: str
    label: str
    kind: str
    format: str
    object: str
    value: float | None = None
    series: list[tuple[Any, float]] = field(default_factory=list)
    bucket: str | None = None
    group_type: str | None = None
    aggregate: str = "count"
    #: The tile's own filter (``[field, op, value]`` clauses) and the field path it groups by.
    where: tuple[tuple[str, str, Any], ...] = ()
    group_by: str | None = None
    #: Whether the last group is the rest added up (``"Other"`` on a pie), which opens no list.
    other: bool = False

    @property
    def total(self) -> float:
        return sum(v for _, v in self.series)


# --- the reader ----------------------------------------------------------------------------------


class OrgReader:
    """Queries over one open org, driven by its metadata.

    The same SQL reads an org file (SQLite) and an org on a PostgreSQL server: identifiers are
    quoted (PostgreSQL folds bare ones to lower case), dates are cast to text before ``substr``,
    and the few real differences (case-insensitive matching, where NULLs sort) switch on
    ``dialect``.

    Args:
        org: an org from :func:`demoorg.org.orgfile.open_org`. The reader does not close it.
    """

    def __init__(self, org: Org) -> None:
        self.org = org
        #: ``sqlite`` for an org file, ``postgresql`` for an org on a server.
        self.dialect: str = org.engine.dialect.name
        self.as_of = date.fromisoformat(org.build["as_of"])
        self.locale: str = org.build.get("locale", "en_US")
        self.objects: dict[str, ObjectInfo] = {}
        for o in org.objects():
            fields = {
                f["name"]: FieldInfo(
                    f["name"],
                    f["label"],
                    f["type"],
                    tuple(f.get("picklist") or ()),
                    tuple(f.get("reference_to") or ()),
                    f.get("decimals"),
                )
                for f in o["fields"]
                if f.get("store", True)
            }
            self.objects[o["name"]] = ObjectInfo(
                name=o["name"],
                label=o["label"],
                plural=o["plural"],
                name_field=o["name_field"],
                key_prefix=o["key_prefix"],
                fields=fields,
                list_columns=tuple(o.get("list_columns") or ()),
                raw_layout=o.get("layout"),
                record_types=tuple((rt[0], rt[1]) for rt in o.get("record_types") or ()),
                icon=o.get("icon"),
            )
        self.by_prefix = {o.key_prefix: o.name for o in self.objects.values()}
        self._record_types: dict[str, dict[str, str]] = {}
        self._record_type_names: dict[str, str] = {}
        with self.org.engine.connect() as conn:
            # The org's own tables: on a server, those of its schema (the connection's search_path).
            tables = set(inspect(conn).get_table_names())
            if RECORD_TYPE in tables:
                names = ", ".join(quote(c) for c in ("Id", "Name", "DeveloperName", "SobjectType"))
                for rid, name, dev, sobject in conn.exec_driver_sql(
                    f"SELECT {names} FROM {quote(RECORD_TYPE)}"
                ):
                    self._record_types.setdefault(sobject, {})[dev] = rid
                    self._record_type_names[rid] = name
        self.tables = tables
        self._convert = offset_converter(self.as_of)

    # --- metadata helpers ------------------------------------------------------------------------

    def object(self, name: str) -> ObjectInfo:
        return self.objects[name]

    def has_object(self, name: str) -> bool:
        return name in self.objects and name in self.tables

    def object_of(self, record_id: str) -> str | None:
        """The object a record Id belongs to, from its key prefix."""
        if record_id[:3] == _RECORD_TYPE_PREFIX and record_id in self._record_type_names:
            return RECORD_TYPE
        return self.by_prefix.get(record_id[:3])

    def record_type_ids(self, obj: str) -> dict[str, str]:
        return self._record_types.get(obj, {})

    def _targets(self, f: FieldInfo) -> tuple[str, ...]:
        if f.name == "RecordTypeId":
            return (RECORD_TYPE,)
        return tuple(t for t in f.reference_to if t in self.objects or t == RECORD_TYPE)

    def _name_field(self, obj: str) -> str:
        return "Name" if obj == RECORD_TYPE else self.objects[obj].name_field

    def _own_field(self, obj: str, name: str) -> FieldInfo:
        if obj == RECORD_TYPE:
            return FieldInfo(name, name, "text")
        if name == RECORD_TYPE:
            return self.objects[obj].fields.get(
                "RecordTypeId",
                FieldInfo("RecordTypeId", "Record Type", "lookup", (), (RECORD_TYPE,)),
            )
        return self.objects[obj].fields[name]

    def _hop_target(self, obj: str, lookup: str, rest: str) -> list[str]:
        """Targets of ``obj.lookup`` that have the first field of ``rest``."""
        head = rest.split(".", 1)[0]
        f = self._own_field(obj, lookup)
        out = []
        for t in self._targets(f):
            if t == RECORD_TYPE:
                if head in ("Name", "DeveloperName", "SobjectType", "Id"):
                    out.append(t)
            elif head == RECORD_TYPE or head in self.objects[t].fields:
                out.append(t)
        if not out:
            raise KeyError(f"{obj}.{lookup}.{rest}")
        return out

    def final_field(self, obj: str, path: str) -> tuple[str, FieldInfo]:
        """The object and field a path ends on (``AccountId.Name`` → Account, Name)."""
        head, _, rest = path.partition(".")
        if not rest:
            return obj, self._own_field(obj, head)
        target = self._hop_target(obj, head, rest)[0]
        return self.final_field(target, rest)

    def column(self, obj: str, path: str) -> Column:
        """How to show a field path of ``obj`` in a list."""
        info = self.objects[obj]
        owner, f = self.final_field(obj, path)
        if path == RECORD_TYPE:
            return Column(path, "Record Type", "lookup", f, link=False)
        label = f.label
        if "." in path:
            first = self._own_field(obj, path.split(".", 1)[0])
            if owner != RECORD_TYPE and f.name == self._name_field(owner):
                label = first.label
            else:
                label = f"{first.label} {f.label}"
        elif f.name == info.name_field and f.label == "Name":
            label = f"{info.label} Name"
        if f.is_lookup:
            targets = self._targets(f)
            return Column(path, label, "lookup", f, link=RECORD_TYPE not in targets)
        link = "." in path and owner != RECORD_TYPE and f.name == self._name_field(owner)
        return Column(path, label, f.type, f, link=link or (path == info.name_field))

    def list_columns(self, obj: str) -> list[Column]:
        """The list view's columns: the object's ``list_columns``, else its name and a few fields."""
        info = self.objects[obj]
        paths = list(info.list_columns)
        if not paths:
            paths = [info.name_field]
            for f in info.fields.values():
                if f.name in ("Id", info.name_field) or f.type == "textarea":
                    continue
                paths.append(RECORD_TYPE if f.name == "RecordTypeId" else f.name)
                if len(paths) >= 6:
                    break
        out = []
        for p in paths:
            try:
                out.append(self.column(obj, p))
            except KeyError:
                continue  # a column of a field that is not stored (an old org): leave it out
        return out

    def layout(self, obj: str) -> Layout:
        """The record page layout, with sensible defaults for objects that declare none.

        Without a layout: highlights are the first list columns after the name, one section holds
        every stored field, and related lists are every object with a lookup to this one.
        """
        info = self.objects[obj]
        raw = info.raw_layout
        if raw:
            path = raw.get("path")
            if "path" not in raw:
                path = next(
                    (
                        n
                        for n in _STAGE_FIELDS
                        if n in info.fields and info.fields[n].type == "picklist"
                    ),
                    None,
                )
            sections = tuple(
                Section(
                    s["label"],
                    tuple(f for f in s["fields"] if self._stored_path(obj, f)),
                    int(s.get("columns") or 2),
                )
                for s in raw.get("sections") or ()
            )
            related = tuple(
                RelatedSpec(r[0], r[1], tuple(r[2]))
                for r in raw.get("related") or ()
                if self.has_object(r[0])
            )
            highlights = tuple(f for f in raw.get("highlights") or () if self._stored_path(obj, f))
            return Layout(highlights, path, sections, related)
        cols = [c.path for c in self.list_columns(obj) if c.path != info.name_field]
        fields = tuple(
            RECORD_TYPE if f.name == "RecordTypeId" else f.name
            for f in info.fields.values()
            if f.name != "Id"
        )
        related = []
        for child in self.objects.values():
            if not self.has_object(child.name) or child.name in ("Task", "Event"):
                continue
            for f in child.fields.values():
                if f.is_lookup and obj in f.reference_to and f.name != "RecordTypeId":
                    columns = tuple(
                        c.path for c in self.list_columns(child.name) if c.path != f.name
                    )
                    related.append(RelatedSpec(child.name, f.name, columns[:4]))
        section = Section(f"{info.label} Information", fields, 2)
        return Layout(tuple(cols[:4]), None, (section,), tuple(related))

    def _stored_path(self, obj: str, path: str) -> bool:
        try:
            self.final_field(obj, path)
        except KeyError:
            return False
        return True

    # --- SQL expressions -------------------------------------------------------------------------

    def value_expr(self, obj: str, path: str, alias: str = "t", depth: int = 0) -> str:
        """SQL for a field path's value on the row ``alias`` of ``obj``.

        A lookup's value is its Id; ``RecordType`` is the record type's label; paths become
        correlated subqueries (a ``CASE`` on the key prefix for polymorphic lookups).
        """
        if path == RECORD_TYPE:
            return (
                f"(SELECT rt.{quote('Name')} FROM {quote(RECORD_TYPE)} rt "
                f"WHERE rt.{_ID} = {alias}.{quote('RecordTypeId')})"
            )
        head, _, rest = path.partition(".")
        if not rest:
            self._own_field(obj, head)
            return f"{alias}.{quote(head)}"
        sub = f"a{depth + 1}"
        targets = self._hop_target(obj, head, rest)
        parts = []
        for t in targets:
            inner = self.value_expr(t, rest, sub, depth + 1)
            parts.append(
                (
                    t,
                    f"(SELECT {inner} FROM {quote(t)} {sub} "
                    f"WHERE {sub}.{quote('Id')} = {alias}.{quote(head)})",
                )
            )
        return self._by_prefix(f"{alias}.{quote(head)}", parts)

    def name_expr(self, obj: str, path: str, alias: str = "t", depth: int = 0) -> str:
        """SQL for the name of the record a lookup path points at."""
        head, _, rest = path.partition(".")
        if head == RECORD_TYPE and not rest:
            return self.value_expr(obj, RECORD_TYPE, alias)
        if rest:
            sub = f"a{depth + 1}"
            parts = []
            for t in self._hop_target(obj, head, rest):
                inner = self.name_expr(t, rest, sub, depth + 1)
                parts.append(
                    (
                        t,
                        f"(SELECT {inner} FROM {quote(t)} {sub} "
                        f"WHERE {sub}.{quote('Id')} = {alias}.{quote(head)})",
                    )
                )
            return self._by_prefix(f"{alias}.{quote(head)}", parts)
        f = self._own_field(obj, head)
        sub = f"n{depth + 1}"
        parts = [
            (
                t,
                f"(SELECT {sub}.{quote(self._name_field(t))} FROM {quote(t)} {sub} "
                f"WHERE {sub}.{quote('Id')} = {alias}.{quote(f.name)})",
            )
            for t in self._targets(f)
        ]
        return self._by_prefix(f"{alias}.{quote(f.name)}", parts)

    def _by_prefix(self, id_expr: str, parts: list[tuple[str, str]]) -> str:
        if not parts:
            return "NULL"
        if len(parts) == 1:
            return parts[0][1]
        whens = " ".join(
            f"WHEN '{self._prefix(t)}' THEN {sql}" for t, sql in parts if self._prefix(t)
        )
        return f"(CASE substr({id_expr}, 1, 3) {whens} END)"

    def _prefix(self, obj: str) -> str:
        return _RECORD_TYPE_PREFIX if obj == RECORD_TYPE else self.objects[obj].key_prefix

    def _contains_sql(self, expr: str) -> str:
        """``expr`` matches a ``?`` LIKE pattern (escaped with backslashes), whatever the case.

        SQLite's LIKE already ignores the case of ASCII letters; PostgreSQL's is case-sensitive,
        so there ILIKE does the same (an expression index on ``lower()`` is not needed by either).
        """
        op = "ILIKE" if self.dialect == "postgresql" else "LIKE"
        return f"{expr} {op} ? ESCAPE '\\'"

    def _desc_nulls_last(self, expr: str) -> str:
        """``ORDER BY`` term: newest first, empty values last (SQLite's default, not PostgreSQL's)."""
        return f"{expr} DESC NULLS LAST" if self.dialect == "postgresql" else f"{expr} DESC"

    def display_expr(self, obj: str, col: Column, alias: str = "t") -> str:
        """SQL for what a column shows (a lookup's name rather than its Id)."""
        if col.type == "lookup":
            return self.name_expr(obj, col.path, alias)
        return self.value_expr(obj, col.path, alias)

    def condition_sql(
        self, obj: str, clauses: Iterable[Sequence[Any]], alias: str = "t", depth: int = 0
    ) -> tuple[str, list[Any]]:
        """SQL and parameters for conditions (``[field, op, value]``) on ``obj``.

        Own fields and ``RecordType`` go through :func:`demoorg.seeders.schema.where_sql`; paths
        through lookups become ``IN (SELECT Id …)`` subqueries. Relative dates (``-30d``) are
        offsets from the org's as-of date.
        """
        parts: list[str] = []
        params: list[Any] = []
        for fld, op, value in clauses:
            if isinstance(value, list):
                value = tuple(value)
            head, _, rest = fld.partition(".")
            if rest:
                sub = f"w{depth + 1}"
                alts = []
                for t in self._hop_target(obj, head, rest):
                    sql, p = self.condition_sql(t, [(rest, op, value)], sub, depth + 1)
                    alts.append(
                        f"{alias}.{quote(head)} IN (SELECT {sub}.{quote('Id')} "
                        f"FROM {quote(t)} {sub} WHERE {sql})"
                    )
                    params.extend(p)
                parts.append("(" + " OR ".join(alts) + ")")
                continue
            sql, p = where_sql(
                Where(((fld, op, value),)), alias, self.record_type_ids(obj), self._convert
            )
            parts.append(sql)
            params.extend(p)
        return (" AND ".join(parts) or "1=1"), params

    # --- list views --------------------------------------------------------------------------------

    def columns_for(self, spec: ListSpec) -> list[Column]:
        if spec.columns:
            return [self.column(spec.object, p) for p in spec.columns]
        return self.list_columns(spec.object)

    def _filter_sql(self, spec: ListSpec) -> tuple[str, list[Any]]:
        sql, params = self.condition_sql(spec.object, spec.where)
        text = spec.search.strip()
        if text:
            info = self.objects[spec.object]
            searchable = [info.name_field] + [
                c.path
                for c in self.columns_for(spec)
                if "." not in c.path and c.type in TEXT_TYPES and c.path != info.name_field
            ]
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            ors = " OR ".join(self._contains_sql(f"t.{quote(p)}") for p in searchable)
            sql = f"{sql} AND ({ors})"
            params += [like] * len(searchable)
        return sql, params

    def _sort_expr(self, spec: ListSpec) -> str | None:
        if not spec.sort or spec.sort == "Id":
            return None
        col = self.column(spec.object, spec.sort)
        expr = self.display_expr(spec.object, col)
        if self.dialect == "postgresql":
            # Keys come back as 0/1 and are passed back as the next page's bound: compare numbers.
            return f"CAST({expr} AS INTEGER)" if col.type == "boolean" else expr
        return f"COALESCE({expr}, {_NULL_LAST_DESC if spec.descending else _NULL_LAST_ASC})"

    def count(self, spec: ListSpec) -> int:
        """How many records the list shows."""
        where, params = self._filter_sql(spec)
        sql = f"SELECT COUNT(*) FROM {quote(spec.object)} t WHERE {where}"
        with self.org.engine.connect() as conn:
            return int(conn.exec_driver_sql(sql, tuple(params)).scalar_one())

    def page(self, spec: ListSpec, after: tuple[Any, ...] | None = None, limit: int = 100) -> Page:
        """The Ids of the next ``limit`` rows after the key ``after`` (None: the first page)."""
        where, params = self._filter_sql(spec)
        key = self._sort_expr(spec)
        cmp = "<" if spec.descending else ">"
        direction = "DESC" if spec.descending else "ASC"
        if key is None:
            select = f"t.{_ID}"
            order = f"t.{_ID} {direction}"
            if after is not None:
                where += f" AND t.{_ID} {cmp} ?"
                params.append(after[-1])
        elif self.dialect == "postgresql":
            # NULL keys last in both directions, as on SQLite; a NULL bound continues among them.
            select = f"t.{_ID}, {key}"
            order = f"{key} {direction} NULLS LAST, t.{_ID} {direction}"
            if after is not None and after[0] is None:
                where += f" AND {key} IS NULL AND t.{_ID} {cmp} ?"
                params.append(after[1])
            elif after is not None:
                where += f" AND ({key} IS NULL OR ({key}, t.{_ID}) {cmp} (?, ?))"
                params += [after[0], after[1]]
        else:
            select = f"t.{_ID}, {key}"
            order = f"{key} {direction}, t.{_ID} {direction}"
            if after is not None:
                where += f" AND ({key}, t.{_ID}) {cmp} (?, ?)"
                params += [after[0], after[1]]
        sql = f"SELECT {select} FROM {quote(spec.object)} t WHERE {where} ORDER BY {order} LIMIT ?"
        params.append(limit)
        with self.org.engine.connect() as conn:
            rows = conn.exec_driver_sql(sql, tuple(params)).all()
        ids = [r[0] for r in rows]
        if len(rows) < limit:
            return Page(ids, None)
        last = rows[-1]
        return Page(ids, (last[1], last[0]) if key is not None else (last[0],))

    def rows(
        self, obj: str, columns: Sequence[Column], ids: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """Display values of ``columns`` for the records ``ids``, in that order.

        Lookup columns give :class:`Ref` values (or None), other columns the stored value.
        """
        if not ids:
            return []
        exprs: list[str] = []
        for c in columns:
            if c.type == "lookup":
                exprs.append(self.value_expr(obj, c.path) if c.path != RECORD_TYPE else "NULL")
            exprs.append(self.display_expr(obj, c))
        out: dict[str, tuple[Any, ...]] = {}
        with self.org.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ", ".join("?" for _ in chunk)
                sql = (
                    f"SELECT t.{_ID}{''.join(', ' + e for e in exprs)} FROM {quote(obj)} t "
                    f"WHERE t.{_ID} IN ({marks})"
                )
                for r in conn.exec_driver_sql(sql, tuple(chunk)):
                    out[r[0]] = self._shape(columns, r[1:])
        return [out.get(i, (None,) * len(columns)) for i in ids]

    def _shape(self, columns: Sequence[Column], raw: Sequence[Any]) -> tuple[Any, ...]:
        values: list[Any] = []
        i = 0
        for c in columns:
            if c.type == "lookup":
                rid, name = raw[i], raw[i + 1]
                i += 2
                if c.path == RECORD_TYPE:
                    values.append(name)
                elif rid is None:
                    values.append(None)
                else:
                    values.append(Ref(self.object_of(rid) or "", rid, name or rid))
            else:
                values.append(raw[i])
                i += 1
        return tuple(values)

    # --- records -----------------------------------------------------------------------------------

    def record(self, obj: str, record_id: str) -> Record | None:
        """One record with every stored field; lookups resolved to :class:`Ref` (names)."""
        info = self.objects[obj]
        with self.org.engine.connect() as conn:
            res = conn.exec_driver_sql(f"SELECT * FROM {quote(obj)} WHERE {_ID} = ?", (record_id,))
            row = res.first()
            if row is None:
                return None
            values = dict(zip(res.keys(), row, strict=True))
            lookups = [
                n
                for n, f in info.fields.items()
                if f.is_lookup and values.get(n) and n != "RecordTypeId"
            ]
            refs = self._resolve(conn, [values[n] for n in lookups])
        for n in lookups:
            values[n] = refs.get(values[n]) or Ref(
                self.object_of(values[n]) or "", values[n], values[n]
            )
        rt = values.get("RecordTypeId")
        if rt:
            values["RecordTypeId"] = Ref(RECORD_TYPE, rt, self._record_type_names.get(rt, rt))
            values[RECORD_TYPE] = values["RecordTypeId"]
        name = values.get(info.name_field)
        return Record(obj, record_id, str(name) if name is not None else record_id, values)

    def resolve(self, ids: Iterable[str]) -> dict[str, Ref]:
        """Names of records by Id, whatever their objects (one query per object)."""
        with self.org.engine.connect() as conn:
            return self._resolve(conn, ids)

    def _resolve(self, conn: Any, ids: Iterable[str]) -> dict[str, Ref]:
        groups: dict[str, list[str]] = {}
        for i in set(ids):
            obj = self.object_of(i)
            if obj and obj != RECORD_TYPE and obj in self.tables:
                groups.setdefault(obj, []).append(i)
        out: dict[str, Ref] = {}
        for obj, group in groups.items():
            nf = quote(self._name_field(obj))
            marks = ", ".join("?" for _ in group)
            sql = f"SELECT {_ID}, {nf} FROM {quote(obj)} WHERE {_ID} IN ({marks})"
            for rid, name in conn.exec_driver_sql(sql, tuple(group)):
                out[rid] = Ref(obj, rid, str(name) if name is not None else rid)
        return out

    def path_value(self, obj: str, record_id: str, path: str) -> Any:
        """The value of a field path on one record (a :class:`Ref` for lookups)."""
        col = self.column(obj, path)
        return self.rows(obj, [col], [record_id])[0][0]

    def related(self, obj: str, record_id: str, limit: int = 5) -> list[RelatedList]:
        """The record page's related lists, each with its first ``limit`` rows and its total."""
        return [
            self.related_list(record_id, spec.object, spec.via, spec.columns, limit)
            for spec in self.layout(obj).related
        ]

    def related_list(
        self, record_id: str, child: str, via: str, columns: Sequence[str] = (), limit: int = 5
    ) -> RelatedList:
        """Records of ``child`` whose lookup ``via`` points at ``record_id``, newest first."""
        info = self.objects[child]
        cols = (
            [self.column(child, c) for c in columns if self._stored_path(child, c)]
            if columns
            else self.list_columns(child)
        )
        date_col = next(
            (
                f.name
                for f in info.fields.values()
                if f.type in DATE_TYPES and f.name != "CreatedDate"
            ),
            None,
        )
        order = (
            f"{self._desc_nulls_last(f't.{quote(date_col)}')}, t.{_ID}" if date_col else f"t.{_ID}"
        )
        with self.org.engine.connect() as conn:
            total = int(
                conn.exec_driver_sql(
                    f"SELECT COUNT(*) FROM {quote(child)} t WHERE t.{quote(via)} = ?", (record_id,)
                ).scalar_one()
            )
            ids = [
                r[0]
                for r in conn.exec_driver_sql(
                    f"SELECT t.{_ID} FROM {quote(child)} t WHERE t.{quote(via)} = ? "
                    f"ORDER BY {order} LIMIT ?",
                    (record_id, limit),
                )
            ]
        rows = self.rows(child, cols, ids)
        return RelatedList(child, via, info.plural, cols, ids, rows, total)

    def _column_or_null(self, obj: str) -> Any:
        """``col(name)``: SQL for the field ``name`` of the row ``t`` of ``obj``, or NULL if absent."""
        fields = self.objects[obj].fields

        def col(name: str) -> str:
            return f"t.{quote(name)}" if name in fields else "NULL"

        return col

    def activities(self, record_id: str, limit: int = 25) -> list[Activity]:
        """Calls, emails, tasks and meetings whose WhoId or WhatId is the record.

        Upcoming activities (after the org's as-of date) come first, soonest first; then the past
        ones, newest first.
        """
        raw: list[
            tuple[Any, ...]
        ] = []  # kind, object, id, subject, when, status, who, what, detail
        task, event = quote("Task"), quote("Event")
        with self.org.engine.connect() as conn:
            if self.has_object("Task"):
                col = self._column_or_null("Task")
                when = col("ActivityDate")
                newest = self._desc_nulls_last(when) + ", " if when != "NULL" else ""
                sql = (
                    f"SELECT t.{_ID}, {col('Subject')}, {when}, {col('Status')}, "
                    f"{col('TaskSubtype')}, {col('WhoId')}, {col('WhatId')}, "
                    f"{col('CallDurationInSeconds')} FROM {task} t "
                    f"WHERE {col('WhoId')} = ? OR {col('WhatId')} = ? "
                    f"ORDER BY {newest}t.{_ID} DESC LIMIT ?"
                )
                for rid, subject, day, st, sub, who, what, sec in conn.exec_driver_sql(
                    sql, (record_id, record_id, limit)
                ):
                    kind = {"Call": "call", "Email": "email"}.get(sub or "", "task")
                    detail = f"{max(1, round(sec / 60))} min call" if sec else ""
                    raw.append((kind, "Task", rid, subject, day, st, who, what, detail))
            if self.has_object("Event"):
                col = self._column_or_null("Event")
                start = col("StartDateTime")
                newest = self._desc_nulls_last(start) + ", " if start != "NULL" else ""
                sql = (
                    f"SELECT t.{_ID}, {col('Subject')}, {start}, {col('Location')}, "
                    f"{col('DurationInMinutes')}, {col('WhoId')}, {col('WhatId')} FROM {event} t "
                    f"WHERE {col('WhoId')} = ? OR {col('WhatId')} = ? "
                    f"ORDER BY {newest}t.{_ID} DESC LIMIT ?"
                )
                for rid, subject, start, location, minutes, who, what in conn.exec_driver_sql(
                    sql, (record_id, record_id, limit)
                ):
                    parts = (f"{minutes} min" if minutes else "", location or "")
                    detail = " · ".join(p for p in parts if p)
                    raw.append(("meeting", "Event", rid, subject, start, None, who, what, detail))
            refs = self._resolve(conn, [i for r in raw for i in (r[6], r[7]) if i])
        out = []
        for kind, obj, rid, subject, when, status, who, what, detail in raw:
            day = parse_date(when)
            upcoming = day is not None and day > self.as_of
            if kind == "meeting":
                status = "Scheduled" if upcoming else "Completed"
            out.append(
                Activity(
                    kind=kind,
                    object=obj,
                    id=rid,
                    subject=subject or "",
                    day=day,
                    when=when,
                    status=status,
                    who=refs.get(who) if who else None,
                    what=refs.get(what) if what else None,
                    detail=detail,
                    upcoming=upcoming,
                )
            )
        soon = sorted((a for a in out if a.upcoming), key=lambda a: a.when or "")
        past = sorted((a for a in out if not a.upcoming), key=lambda a: a.when or "", reverse=True)
        return (soon + past)[:limit]

    # --- search ------------------------------------------------------------------------------------

    def search(
        self, text: str, per_object: int = 5, objects: Iterable[str] | None = None
    ) -> list[SearchHit]:
        """Records whose name contains ``text``, up to ``per_object`` per object.

        Names that start with the text come first within an object.
        """
        text = text.strip()
        if not text:
            return []
        names = list(objects) if objects is not None else list(self.objects)
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        starts = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        hits: list[SearchHit] = []
        with self.org.engine.connect() as conn:
            for name in names:
                if not self.has_object(name):
                    continue
                info = self.objects[name]
                nf = info.name_field
                if nf not in info.fields or info.fields[nf].type not in TEXT_TYPES:
                    continue
                detail_col = next(
                    (
                        c
                        for c in self.list_columns(name)
                        if c.path != nf and "." not in c.path and c.type in TEXT_TYPES
                    ),
                    None,
                )
                detail = f"t.{quote(detail_col.path)}" if detail_col else "NULL"
                name_sql = f"t.{quote(nf)}"
                # Names that start with the text first, then by name (the Id breaks ties, so both
                # engines pick the same records under the limit).
                sql = (
                    f"SELECT t.{_ID}, {name_sql}, {detail} FROM {quote(name)} t "
                    f"WHERE {self._contains_sql(name_sql)} "
                    f"ORDER BY ({self._contains_sql(name_sql)}) DESC, {name_sql}, t.{_ID} LIMIT ?"
                )
                for rid, value, extra in conn.exec_driver_sql(sql, (like, starts, per_object)):
                    hits.append(SearchHit(name, rid, str(value), str(extra or "")))
        return hits

    # --- dashboards --------------------------------------------------------------------------------

    def dashboards(self) -> list[dict[str, Any]]:
        return list(self.org.template.get("dashboards") or [])

    def dashboard(self, key: str) -> dict[str, Any]:
        for d in self.dashboards():
            if d["key"] == key:
                return d
        raise KeyError(key)

    def tile(self, tile: dict[str, Any], top: int = 12) -> TileData:
        """Computes one dashboard tile from the org.

        Metrics give ``value``. Charts give ``series`` of (group key, value): date groups are
        bucketed (``2026-03``, ``2026-Q1``, ``2026``) and ordered by time; funnels follow the
        picklist's order; other charts are ordered by value, largest first, keeping ``top`` groups
        and adding up the rest as ``"Other"`` (pie and donut charts only).
        """
        obj = tile["object"]
        data = TileData(
            key=tile["key"],
            label=tile["label"],
            kind=tile["kind"],
            format=_tile_format(self, tile),
            object=obj,
            bucket=tile.get("bucket"),
            aggregate=tile.get("aggregate") or "count",
            where=tuple(
                (f, op, tuple(v) if isinstance(v, list) else v)
                for f, op, v in (tile.get("where") or {}).get("clauses") or []
            ),
            group_by=tile.get("group_by") if tile["kind"] != "metric" else None,
        )
        agg = tile.get("aggregate") or "count"
        if agg == "count":
            agg_sql = "COUNT(*)"
        else:
            value = self.value_expr(obj, tile["field"])
            if self.final_field(obj, tile["field"])[1].type == "boolean":
                value = f"CAST({value} AS INTEGER)"  # PostgreSQL neither sums nor averages booleans
            agg_sql = f"{agg.upper()}({value})"
        clauses = (tile.get("where") or {}).get("clauses") or []
        where, params = self.condition_sql(obj, clauses)
        group = tile.get("group_by")
        with self.org.engine.connect() as conn:
            if not group or tile["kind"] == "metric":
                v = conn.exec_driver_sql(
                    f"SELECT {agg_sql} FROM {quote(obj)} t WHERE {where}", tuple(params)
                ).scalar_one()
                data.value = (
                    float(v) if v is not None else (0.0 if agg in ("count", "sum") else None)
                )
                return data
            col = self.column(obj, group)
            data.group_type = col.type
            expr = self.display_expr(obj, col)
            bucket = tile.get("bucket")
            if col.type in DATE_TYPES:
                expr = _bucket_sql(expr, bucket or "month")
                data.bucket = bucket or "month"
            rows = conn.exec_driver_sql(
                f"SELECT {expr} AS g, {agg_sql} FROM {quote(obj)} t WHERE {where} GROUP BY g",
                tuple(params),
            ).all()
        series = [(g, float(v or 0)) for g, v in rows]
        if col.type in DATE_TYPES:
            series = fill_buckets(sorted((g, v) for g, v in series if g is not None), data.bucket)
        elif tile["kind"] == "funnel" and col.field.picklist:
            order = {v: i for i, v in enumerate(col.field.picklist)}
            series.sort(key=lambda gv: (order.get(gv[0], len(order)), str(gv[0])))
        else:
            series.sort(key=lambda gv: (-gv[1], str(gv[0])))
            if tile["kind"] in ("pie", "donut") and len(series) > top:
                rest = sum(v for _, v in series[top - 1 :])
                series = [*series[: top - 1], ("Other", rest)]
                data.other = True
            elif len(series) > top:
                series = series[:top]
        data.series = series
        return data

    def drill(self, data: TileData, index: int) -> tuple[tuple[str, str, Any], ...] | None:
        """The conditions of the records behind one group of a chart: the tile's filter and the
        group's value (a date bucket becomes a range of days, a lookup's name a condition on the
        looked-up record's name). None for the rest added up as "Other" and for groups that
        cannot be told apart by a condition.

        A list filtered by them counts what the group counts, so a bar opens its own records.
        """
        if data.group_by is None or not 0 <= index < len(data.series):
            return None
        if data.other and index == len(data.series) - 1:
            return None
        key = data.series[index][0]
        path = data.group_by
        col = self.column(data.object, path)
        if key is None or key == "":
            return (*data.where, (path, "blank", True))
        if data.bucket:
            start = _bucket_start(str(key), data.bucket)
            end = _bucket_start(_next_bucket(str(key), data.bucket), data.bucket)
            return (*data.where, (path, "gte", start), (path, "lt", end))
        if path == RECORD_TYPE or col.field.name == "RecordTypeId":
            return None  # grouped by the record type's label, which conditions do not name
        if col.type == "lookup":
            names = {self._name_field(t) for t in self._targets(col.field)}
            if len(names) != 1:
                return None
            return (*data.where, (f"{path}.{names.pop()}", "eq", key))
        if col.type == "boolean":
            return (*data.where, (path, "eq", bool(key)))
        return (*data.where, (path, "eq", key))


def _bucket_start(key: str, bucket: str) -> str:
    """The first day of a bucket key (``2026-03`` → ``2026-03-01``, ``2026-Q2`` → ``2026-04-01``)."""
    if bucket == "year":
        return f"{key}-01-01"
    if bucket == "quarter":
        return f"{key[:4]}-{3 * int(key[-1]) - 2:02d}-01"
    return f"{key}-01"


def _tile_format(reader: OrgReader, tile: dict[str, Any]) -> str:
    """The tile's format; a sum or average of a currency field is money even if not declared."""
    fmt = tile.get("format") or "number"
    agg = tile.get("aggregate") or "count"
    if fmt == "number" and agg != "count" and tile.get("field"):
        try:
            _, f = reader.final_field(tile["object"], tile["field"])
        except KeyError:
            return fmt
        if f.type in ("currency", "percent"):
            return f.type
    return fmt


def _bucket_sql(expr: str, bucket: str) -> str:
    """SQL for a date's bucket key. The date is cast to text first: a server org's date columns are
    typed, and text in ISO form (``2026-03-14``) on both engines."""
    expr = f"CAST({expr} AS TEXT)"
    if bucket == "year":
        return f"substr({expr}, 1, 4)"
    if bucket == "quarter":
        return (
            f"(substr({expr}, 1, 4) || '-Q' || ((CAST(substr({expr}, 6, 2) AS INTEGER) + 2) / 3))"
        )
    return f"substr({expr}, 1, 7)"


def _next_bucket(key: str, bucket: str | None) -> str:
    if bucket == "year":
        return str(int(key) + 1)
    if bucket == "quarter":
        year, q = int(key[:4]), int(key[-1])
        return f"{year + q // 4}-Q{q % 4 + 1}"
    year, month = int(key[:4]), int(key[5:7])
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def fill_buckets(series: list[tuple[str, float]], bucket: str | None) -> list[tuple[str, float]]:
    """A time series with every bucket between its first and last, empty buckets at zero."""
    if len(series) < 2:
        return series
    values = dict(series)
    out = []
    key = series[0][0]
    last = series[-1][0]
    for _ in range(10_000):  # bounded: a century of months
        out.append((key, values.get(key, 0.0)))
        if key >= last:
            break
        key = _next_bucket(key, bucket)
    return out


def nice_ceiling(value: float) -> float:
    """A round number at or above ``value`` for a chart axis (1, 2, 2.5, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exp
        if top >= value:
            return float(top)
    return float(10 ** (exp + 1))
