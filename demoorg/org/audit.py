"""Realism audit: named rules run against an org, each giving a figure and pass or fail.

A rule is a small function that reads the org through SQL and returns ``(figure, passed)``: the
figure is one line a Solution Engineer can read ("win rate (closed opportunities) 24.3 % (33 of
136; …)"). Rules are registered with a dotted name, a description and what they apply to, so
``demoorg audit --list`` can show them and ``--rule NAME`` can run one.

The audit reads only the org: its data and its own metadata (objects and fields with their types,
lookup targets and picklists, the as-of date, the locale, and the template's code lists such as
``icd10`` and ``loinc``). It never needs the template folder. A rule applies only when the objects
and fields it needs exist; otherwise it is skipped and says why.

Benchmarks come from ``DATAMODEL.md`` (the domain notes in the project's shared folder); each rule's
docstring names its section. Rates are judged with a 95 % Wilson interval: a rate passes when its
interval overlaps the benchmark band, so a small org is not failed for sampling noise while a
standard-size org is held to the band within a point or two.

The same SQL runs on org files (SQLite) and on orgs on a PostgreSQL server, and gives the same
figures on both. All queries are parameterised, and every identifier is quoted (PostgreSQL folds
bare names to lower case; the tables are named ``"Opportunity"``, columns ``"StageName"``). Server
columns are typed, so the SQL never relies on SQLite storing everything as text or numbers:
booleans are read as ``CAST(x AS INTEGER)`` (:func:`_flag`), days as the first ten characters of
``CAST(x AS TEXT)`` (:func:`_day`), and the two things that must differ — day differences and the
null-safe comparison — come from :meth:`Audit.days_between` and :meth:`Audit.differs`. Dates and
datetimes are compared with each other, and with a day (``:today``) only through :func:`_day`:
SQLite orders ``2026-11-23 00:00:00`` after ``2026-11-23``, PostgreSQL does not.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import product
from typing import Any, Literal

from sqlalchemy import bindparam, inspect, text
from sqlalchemy.engine import Connection

from demoorg.errors import UsageError
from demoorg.org.orgfile import Org
from demoorg.seeders.generators import luhn_is_valid, make_wmis, vin_is_valid
from demoorg.seeders.phones import phone_is_valid
from demoorg.seeders.pools import ASCII_SPELLING
from demoorg.seeders.schema import quote

Figure = tuple[str, bool]
Status = Literal["pass", "fail", "skip", "error"]

DATE_TYPES = ("date", "datetime")


class Skip(Exception):
    """Raised by a rule that cannot apply to this org; the message says why."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A named realism rule.

    Attributes:
        name: dotted name, ``area.what`` (``sales.win-rate``).
        description: one sentence: what must hold.
        applies_to: the objects and fields it reads, for ``--list``.
        needs: ``Object`` or ``Object.Field`` names that must exist, else the rule is skipped.
        check: the function; returns ``(figure, passed)`` or raises :class:`Skip`.
    """

    name: str
    description: str
    applies_to: str
    needs: tuple[str, ...]
    check: Callable[[Audit], Figure]

    @property
    def area(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one rule on one org."""

    rule: Rule
    status: Status
    figure: str
    seconds: float

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "error")

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.name,
            "area": self.rule.area,
            "status": self.status,
            "figure": self.figure,
            "description": self.rule.description,
            "seconds": round(self.seconds, 4),
        }


RULES: dict[str, Rule] = {}


def rule(
    name: str, description: str, applies_to: str, needs: Sequence[str] = ()
) -> Callable[[Callable[[Audit], Figure]], Callable[[Audit], Figure]]:
    """Registers a rule function under ``name``."""

    def register(fn: Callable[[Audit], Figure]) -> Callable[[Audit], Figure]:
        if name in RULES:
            raise AssertionError(f"rule {name} registered twice")
        RULES[name] = Rule(name, description, applies_to, tuple(needs), fn)
        return fn

    return register


# --- the audit context --------------------------------------------------------------------------


class Audit:
    """One org opened for auditing: its metadata, as-of date, locale and a connection."""

    def __init__(self, org: Org, conn: Connection) -> None:
        self.org = org
        self.conn = conn
        build = org.build
        self.as_of = date.fromisoformat(build["as_of"])
        self.today = self.as_of.isoformat()
        self.locale: str = build.get("locale") or "en_US"
        self.objects: dict[str, dict[str, Any]] = {o["name"]: o for o in org.objects()}
        self.stored: dict[str, dict[str, dict[str, Any]]] = {
            name: {f["name"]: f for f in o["fields"] if f.get("store", True)}
            for name, o in self.objects.items()
        }
        self.tables = set(inspect(conn).get_table_names())
        self._code_lists = {t["name"]: t for t in org.template.get("tables", [])}
        self._postgresql = conn.dialect.name == "postgresql"

    # metadata
    def has(self, obj: str, *fields: str) -> bool:
        return obj in self.stored and all(f in self.stored[obj] for f in fields)

    def ftype(self, obj: str, fld: str) -> str:
        return self.stored[obj][fld]["type"]

    def fields(self, obj: str, *types: str) -> list[dict[str, Any]]:
        return [f for f in self.stored.get(obj, {}).values() if not types or f["type"] in types]

    def code_list(self, name: str) -> list[dict[str, Any]] | None:
        """Rows of a template table carried in the org (``icd10``, ``loinc``), as dicts."""
        table = self._code_lists.get(name)
        if table is None:
            return None
        cols = table["columns"]
        return [dict(zip(cols, row, strict=False)) for row in table["rows"]]

    # queries
    def rows(self, sql: str, **params: Any) -> list[Any]:
        stmt = text(sql)
        lists = [k for k, v in params.items() if isinstance(v, list | tuple | set | frozenset)]
        if lists:
            stmt = stmt.bindparams(*(bindparam(k, expanding=True) for k in lists))
            params = {k: (list(v) if k in lists else v) for k, v in params.items()}
        return list(self.conn.execute(stmt, params).all())

    def scalar(self, sql: str, **params: Any) -> Any:
        return self.rows(sql, **params)[0][0]

    # SQL that differs between engines
    def days_between(self, later: str, earlier: str) -> str:
        """SQL for ``later - earlier`` in days, with the fraction (date or datetime columns)."""
        if self._postgresql:
            # CAST: the difference of two dates is a whole number on PostgreSQL, not an interval.
            return (
                f"(EXTRACT(EPOCH FROM (CAST({later} AS TIMESTAMP) - CAST({earlier} AS TIMESTAMP)))"
                " / 86400.0)"
            )
        return f"(julianday({later}) - julianday({earlier}))"

    def differs(self, x: str, y: str) -> str:
        """SQL that is true when ``x`` and ``y`` differ, NULL counting as a value of its own."""
        if self._postgresql:
            return f"{x} IS DISTINCT FROM {y}"
        # SQLite's own spelling: IS DISTINCT FROM needs SQLite 3.39, older Pythons ship older ones.
        return f"{x} IS NOT {y}"


# --- small helpers --------------------------------------------------------------------------------


def _q(name: str) -> str:
    return quote(name)


def _flag(col: str) -> str:
    """A boolean column as 0 or 1 (NULL stays NULL): PostgreSQL compares booleans to no number."""
    return f"CAST({col} AS INTEGER)"


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def _money(x: float) -> str:
    return f"${x:,.2f}"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``k / n``."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(what: str, k: int, n: int, low: float, high: float, scale: float = 1.0) -> Figure:
    """A proportion judged against a band: passes when its 95 % interval overlaps the band."""
    if n <= 0:
        raise Skip(f"no {what[what.find('(') + 1 : -1] if '(' in what else what} to measure")
    # A count above its base (more disconnects than lines in service) has no interval.
    lo, hi = wilson(k, n) if k <= n else (k / n, k / n)
    lo, hi, p = lo * scale, hi * scale, k / n * scale
    passed = hi >= low and lo <= high
    return (
        f"{what} {_pct(p)} ({_n(k)} of {_n(n)}; 95 % interval {_pct(lo)}–{_pct(hi)}); "
        f"expected {low * 100:g}–{high * 100:g} %",
        passed,
    )


def _mean_band(what: str, noun: str, values: Sequence[float], low: float, high: float) -> Figure:
    """A mean judged against a band: passes when its 95 % confidence interval overlaps it."""
    n = len(values)
    if n == 0:
        raise Skip(f"no {noun} to measure")
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n)
    passed = mean + half >= low and mean - half <= high
    return (
        f"{what} {_money(mean)} over {_n(n)} {noun} (95 % interval {_money(mean - half)}–"
        f"{_money(mean + half)}); expected {_money(low)}–{_money(high)}",
        passed,
    )


def _problems(items: list[str], total: int, noun: str, ok_text: str) -> Figure:
    """``ok_text`` when ``items`` is empty, else the first few problems and a count."""
    if total == 0:
        raise Skip(f"no {noun} to check")
    if not items:
        return ok_text, True
    shown = "; ".join(items[:3])
    more = f"; and {len(items) - 3} more" if len(items) > 3 else ""
    return f"{shown}{more}", False


def core_name(field_name: str) -> str:
    """A field's name without namespace and ``__c``: ``vlocity_cmt__ActivationDate__c`` → ``ActivationDate``."""
    name = field_name[:-3] if field_name.endswith("__c") else field_name
    if "__" in name:
        name = name.split("__", 1)[1]
    return name


def _day(col: str) -> str:
    """The ``YYYY-MM-DD`` day of a date or datetime column, as text on both engines."""
    return f"substr(CAST({col} AS TEXT), 1, 10)"


# --- Salesforce Ids -------------------------------------------------------------------------------

_B62 = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@lru_cache(maxsize=1 << 16)
def _suffix_char(chunk: str) -> str:
    return _SUFFIX[sum(1 << j for j, ch in enumerate(chunk) if "A" <= ch <= "Z")]


def id_suffix(id15: str) -> str:
    """The 3-character case-safe suffix Salesforce appends to a 15-character Id.

    Bit ``j`` of each 5-character chunk is set when its ``j``-th character is an upper-case letter;
    the 0–31 value picks a character of ``A…Z0…5``.
    """
    return "".join(_suffix_char(id15[i : i + 5]) for i in (0, 5, 10))


def id_is_valid(value: str, prefix: str) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 18
        and value.startswith(prefix)
        and value[15] == _suffix_char(value[0:5])
        and value[16] == _suffix_char(value[5:10])
        and value[17] == _suffix_char(value[10:15])
        and _B62.issuperset(value)
    )


# =================================================================================================
# Integrity (DATAMODEL.md §1: standard objects, Ids, lookups, picklists)
# =================================================================================================


def _id_tables(a: Audit) -> list[str]:
    names = [o for o in a.objects if o in a.tables and "Id" in a.stored[o]]
    if "RecordType" in a.tables:
        names.append("RecordType")
    return names


@rule(
    "integrity.ids-unique",
    "Record Ids are unique within each object and across the org.",
    "the Id of every object",
)
def ids_unique(a: Audit) -> Figure:
    """Salesforce Ids identify a record org-wide; the key prefix names its object (DATAMODEL.md §1)."""
    problems: list[str] = []
    total = 0
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for obj in _id_tables(a):
        t = _q(obj)
        n, distinct = a.rows(f'SELECT COUNT("Id"), COUNT(DISTINCT "Id") FROM {t}')[0]
        total += n
        if n != distinct:
            problems.append(f"{obj}: {_n(n - distinct)} duplicate Ids")
        for (prefix,) in a.rows(f'SELECT DISTINCT substr("Id", 1, 3) FROM {t}'):
            by_prefix[prefix].append(obj)
    for prefix, objs in sorted(by_prefix.items()):
        for i, first in enumerate(objs):
            for second in objs[i + 1 :]:
                shared = a.scalar(
                    f'SELECT COUNT(*) FROM {_q(first)} x JOIN {_q(second)} y ON y."Id" = x."Id"'
                )
                if shared:
                    problems.append(f"{_n(shared)} Ids shared by {first} and {second} ({prefix}…)")
    return _problems(problems, total, "records", f"{_n(total)} Ids, all unique")


@rule(
    "integrity.id-format",
    "Every Id has 18 characters, starts with its object's key prefix and ends with the case-safe "
    "suffix computed from its first 15.",
    "the Id of every object",
)
def id_format(a: Audit) -> Figure:
    """18-character Ids: 15 case-sensitive characters plus a 3-character checksum (DATAMODEL.md §1)."""
    problems: list[str] = []
    total = 0
    for obj in _id_tables(a):
        prefix = "012" if obj == "RecordType" else a.objects[obj]["key_prefix"]
        bad: list[str] = []
        for (value,) in a.rows(f'SELECT "Id" FROM {_q(obj)}'):
            total += 1
            if not id_is_valid(value, prefix):
                bad.append(str(value))
        if bad:
            problems.append(
                f"{obj}: {_n(len(bad))} malformed Ids (e.g. {bad[0]!r}, expected {prefix}… with "
                f"suffix {id_suffix(bad[0][:15]) if len(bad[0]) >= 15 else '???'})"
            )
    return _problems(problems, total, "records", f"{_n(total)} Ids well formed")


def _lookup_targets(a: Audit, obj: str, f: dict[str, Any]) -> list[str]:
    if f["name"] == "RecordTypeId":
        return ["RecordType"]
    return list(f.get("reference_to") or [])


@rule(
    "integrity.lookups-resolve",
    "Every lookup value is the Id of an existing record of one of the field's target objects.",
    "every lookup field",
)
def lookups_resolve(a: Audit) -> Figure:
    """A dangling lookup shows as a broken link on the record page (DATAMODEL.md §1)."""
    problems: list[str] = []
    checked_fields = values = 0
    for obj in a.objects:
        for f in a.fields(obj, "lookup"):
            targets = _lookup_targets(a, obj, f)
            if not targets:
                continue
            checked_fields += 1
            col = f"c.{_q(f['name'])}"
            present = [t for t in targets if t in a.tables]
            missing = " AND ".join(
                f'NOT EXISTS (SELECT 1 FROM {_q(t)} p WHERE p."Id" = {col})' for t in present
            )
            cond = missing or "1 = 1"
            n, bad = a.rows(
                f"SELECT COUNT({col}), COALESCE(SUM(CASE WHEN {col} IS NOT NULL AND {cond} "
                f"THEN 1 ELSE 0 END), 0) FROM {_q(obj)} c"
            )[0]
            values += n
            if bad:
                example = a.rows(
                    f'SELECT c."Id", {col} FROM {_q(obj)} c WHERE {col} IS NOT NULL AND {cond} '
                    "LIMIT 1"
                )[0]
                problems.append(
                    f"{obj}.{f['name']}: {_n(bad)} of {_n(n)} values point at no "
                    f"{'/'.join(targets)} (e.g. {example[0]} → {example[1]})"
                )
    if checked_fields == 0:
        raise Skip("no lookup fields")
    return _problems(
        problems,
        max(values, 1),
        "lookup values",
        f"{checked_fields} lookup fields, {_n(values)} values, all resolve",
    )


@rule(
    "integrity.record-types",
    "Records of an object with record types all have one, and it belongs to that object.",
    "RecordTypeId of objects with record types",
    needs=("RecordType",),
)
def record_types(a: Audit) -> Figure:
    """Record types belong to one object (RecordType.SobjectType), DATAMODEL.md §1.1."""
    problems: list[str] = []
    total = 0
    for obj, o in a.objects.items():
        if not o.get("record_types") or not a.has(obj, "RecordTypeId"):
            continue
        t = _q(obj)
        n, missing, wrong = a.rows(
            'SELECT COUNT(*), SUM(CASE WHEN c."RecordTypeId" IS NULL THEN 1 ELSE 0 END), '
            'SUM(CASE WHEN c."RecordTypeId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM '
            '"RecordType" r WHERE r."Id" = c."RecordTypeId" AND r."SobjectType" = :obj) '
            f"THEN 1 ELSE 0 END) FROM {t} c",
            obj=obj,
        )[0]
        total += n
        if missing:
            problems.append(f"{obj}: {_n(missing)} records without a record type")
        if wrong:
            problems.append(f"{obj}: {_n(wrong)} records with another object's record type")
    if total == 0:
        raise Skip("no object has record types")
    return _problems(problems, total, "records", f"{_n(total)} records with a valid record type")


@rule(
    "integrity.picklist-values",
    "Every picklist value is one of the field's declared picklist values.",
    "every picklist field",
)
def picklist_values(a: Audit) -> Figure:
    """Picklists are restricted value sets (DATAMODEL.md §0, §1: default value sets)."""
    problems: list[str] = []
    fields_checked = values = 0
    for obj in a.objects:
        for f in a.fields(obj, "picklist"):
            allowed = [str(v) for v in f.get("picklist") or []]
            if not allowed:
                continue
            fields_checked += 1
            col = _q(f["name"])
            values += a.scalar(f"SELECT COUNT({col}) FROM {_q(obj)}")
            bad = a.rows(
                f"SELECT {col}, COUNT(*) FROM {_q(obj)} WHERE {col} IS NOT NULL AND "
                f"{col} NOT IN :allowed GROUP BY {col} ORDER BY COUNT(*) DESC",
                allowed=allowed,
            )
            if bad:
                shown = ", ".join(f"{v!r} ×{_n(c)}" for v, c in bad[:3])
                problems.append(f"{obj}.{f['name']}: {shown} not in its picklist")
    if fields_checked == 0:
        raise Skip("no picklist fields")
    return _problems(
        problems,
        max(values, 1),
        "picklist values",
        f"{fields_checked} picklists, {_n(values)} values, all declared",
    )


@rule(
    "integrity.names-present",
    "Every record has a value in its name field (what lists and related lists show).",
    "the name field of every object",
)
def names_present(a: Audit) -> Figure:
    """A record without a name shows as an empty link in every list (DATAMODEL.md §1)."""
    problems: list[str] = []
    total = 0
    for obj, o in a.objects.items():
        name = o.get("name_field") or "Name"
        if not a.has(obj, name):
            continue
        col = _q(name)
        n, blank = a.rows(
            f"SELECT COUNT(*), SUM(CASE WHEN {col} IS NULL OR TRIM({col}) = '' THEN 1 ELSE 0 END) "
            f"FROM {_q(obj)}"
        )[0]
        total += n
        if blank:
            problems.append(f"{obj}.{name}: {_n(blank)} of {_n(n)} records have no name")
    return _problems(problems, total, "records", f"{_n(total)} records, all named")


# =================================================================================================
# Dates (DATAMODEL.md §1.3–§1.7: CreatedDate, ClosedDate, ConvertedDate, ActivityDate …)
# =================================================================================================

#: Fields that record something that already happened (by their name without namespace).
PAST_FIELDS = frozenset(
    {
        "CreatedDate",
        "ClosedDate",
        "ConvertedDate",
        "FirstRespondedDate",
        "LastActivityDate",
        "LastModifiedDate",
        "SystemModstamp",
        "CompletedDateTime",
        "CustomerSignedDate",
        "CompanySignedDate",
        "ActivatedDate",
        "CustomerSinceDate",
        "OnsetStartDateTime",
        "EffectiveDateTime",
        "SubmittedDate",
        "LastVerification",
    }
)

#: Fields that are in the past only for records in some states: (object, field, status, values).
PAST_WHEN = (
    ("Task", "ActivityDate", "Status", ("Completed",)),
    ("CarePlan", "EndDate", "Status", ("Completed",)),
    ("Campaign", "StartDate", "Status", ("Completed", "In Progress")),
    ("Campaign", "EndDate", "Status", ("Completed",)),
    ("WorkOrder", "EndDate", "Status", ("Completed", "Closed")),
)


def _past_checks(a: Audit) -> list[tuple[str, str, str | None, tuple[str, ...]]]:
    checks: list[tuple[str, str, str | None, tuple[str, ...]]] = []
    for obj in a.objects:
        for f in a.fields(obj, *DATE_TYPES):
            core = core_name(f["name"])
            if core in PAST_FIELDS or core.startswith("Actual"):
                checks.append((obj, f["name"], None, ()))
    for obj, fld, status, values in PAST_WHEN:
        if a.has(obj, fld, status) and a.ftype(obj, fld) in DATE_TYPES:
            checks.append((obj, fld, status, values))
    return checks


@rule(
    "dates.past-not-future",
    "Nothing that already happened is dated after the as-of date: CreatedDate, ClosedDate, "
    "ConvertedDate, FirstRespondedDate, actual times, completed tasks' ActivityDate and the like.",
    "CreatedDate, ClosedDate, ConvertedDate, FirstRespondedDate, Actual* and state-dependent dates",
)
def past_not_future(a: Audit) -> Figure:
    """Audit-trail and outcome dates lie in the past (DATAMODEL.md §1.3–§1.7, §2)."""
    problems: list[str] = []
    values = 0
    checks = _past_checks(a)
    if not checks:
        raise Skip("no past-only date fields")
    for obj, fld, status, states in checks:
        col = _q(fld)
        where = f"{col} IS NOT NULL"
        params: dict[str, Any] = {"today": a.today}
        if status:
            where += f" AND {_q(status)} IN :states"
            params["states"] = states
        n, late, latest = a.rows(
            f"SELECT COUNT(*), SUM(CASE WHEN {_day(col)} > :today THEN 1 ELSE 0 END), "
            f"MAX({col}) FROM {_q(obj)} WHERE {where}",
            **params,
        )[0]
        values += n
        if late:
            scope = f" ({status} {'/'.join(states)})" if status else ""
            problems.append(
                f"{obj}.{fld}{scope}: {_n(late)} of {_n(n)} after {a.today} (latest {latest})"
            )
    return _problems(
        problems,
        max(values, 1),
        "dates",
        f"{len(checks)} fields, {_n(values)} dates, none after {a.today}",
    )


@rule(
    "dates.created-after-parent",
    "No record is created before its parent record (generic over every parent lookup).",
    "CreatedDate of every child object and its parent",
)
def created_after_parent(a: Audit) -> Figure:
    """A contact cannot exist before its account, a case before its contact (DATAMODEL.md §1)."""
    problems: list[str] = []
    total = 0
    seen: set[tuple[str, str, str]] = set()
    for obj, o in a.objects.items():
        if not a.has(obj, "CreatedDate"):
            continue
        for p in o.get("parents") or []:
            fld, parent = p["field"], p["object"]
            key = (obj, fld, parent)
            if key in seen or not a.has(obj, fld) or not a.has(parent, "CreatedDate"):
                continue
            seen.add(key)
            joined = f'FROM {_q(obj)} c JOIN {_q(parent)} p ON p."Id" = c.{_q(fld)}'
            n, early = a.rows(
                'SELECT COUNT(*), SUM(CASE WHEN c."CreatedDate" < p."CreatedDate" THEN 1 ELSE 0 '
                f'END) {joined} WHERE c."CreatedDate" IS NOT NULL AND p."CreatedDate" IS NOT NULL'
            )[0]
            total += n
            if early:
                gap = a.days_between('p."CreatedDate"', 'c."CreatedDate"')
                ex = a.rows(
                    f'SELECT c."Id", c."CreatedDate", p."CreatedDate" {joined} '
                    f'WHERE c."CreatedDate" < p."CreatedDate" ORDER BY {gap} DESC LIMIT 1'
                )[0]
                problems.append(
                    f"{obj} via {fld}: {_n(early)} of {_n(n)} created before their {parent} "
                    f"(e.g. {ex[0]} created {ex[1]}, {parent} {ex[2]})"
                )
    return _problems(
        problems, total, "child records", f"{_n(total)} child records, none before its parent"
    )


#: Start/end pairs by name without namespace, besides every ``…Start…``/``…End…`` pair.
END_PAIRS = (
    ("EffectiveFrom", "EffectiveTo"),
    ("CreatedDate", "ConvertedDate"),
    ("ActivationDate", "DisconnectDate"),
    ("PlannedPickup", "PlannedDelivery"),
    ("ActualPickup", "ActualDelivery"),
    ("OpenDate", "CloseDate"),
)


def _end_pairs(a: Audit, obj: str) -> list[tuple[str, str]]:
    dates = {f["name"]: core_name(f["name"]) for f in a.fields(obj, *DATE_TYPES)}
    by_core = {c: n for n, c in dates.items()}
    pairs = []
    for name, core in dates.items():
        if "Start" in core:
            end = by_core.get(core.replace("Start", "End", 1))
            if end:
                pairs.append((name, end))
    for start, end in END_PAIRS:
        if start in by_core and end in by_core:
            pairs.append((by_core[start], by_core[end]))
    return pairs


@rule(
    "dates.end-after-start",
    "Every end date is on or after its start date (StartDate/EndDate, EffectiveFrom/To, "
    "SchedStartTime/SchedEndTime, CreatedDate/ConvertedDate, …).",
    "pairs of start and end dates on every object",
)
def end_after_start(a: Audit) -> Figure:
    """Periods run forwards: campaigns, contracts, plans, encounters, events (DATAMODEL.md §1–§2)."""
    problems: list[str] = []
    total = 0
    pairs = 0
    for obj in a.objects:
        for start, end in _end_pairs(a, obj):
            pairs += 1
            s, e = _q(start), _q(end)
            if a.ftype(obj, start) != a.ftype(obj, end):
                s, e = _day(s), _day(e)
            n, bad = a.rows(
                f"SELECT COUNT(*), SUM(CASE WHEN {e} < {s} THEN 1 ELSE 0 END) FROM {_q(obj)} "
                f"WHERE {_q(start)} IS NOT NULL AND {_q(end)} IS NOT NULL"
            )[0]
            total += n
            if bad:
                ex = a.rows(
                    f'SELECT "Id", {_q(start)}, {_q(end)} FROM {_q(obj)} WHERE {e} < {s} LIMIT 1'
                )[0]
                problems.append(
                    f"{obj}: {_n(bad)} of {_n(n)} end ({end}) before start ({start}), "
                    f"e.g. {ex[0]} {ex[1]} → {ex[2]}"
                )
    if pairs == 0:
        raise Skip("no start/end date pairs")
    return _problems(
        problems,
        max(total, 1),
        "periods",
        f"{pairs} start/end pairs, {_n(total)} periods, all forwards",
    )


# =================================================================================================
# Sales: opportunities and line items (DATAMODEL.md §1.4, §1.8, §6)
# =================================================================================================

#: Classic Developer Edition stages: (probability, forecast category), DATAMODEL.md §1.4, with the
#: late stages re-mapped for a forecast demo (Perception Analysis, Proposal → Best Case,
#: Negotiation → Commit). The newer 7-stage template uses the same names and probabilities.
CLASSIC_STAGES: dict[str, tuple[float, str]] = {
    "Prospecting": (10, "Pipeline"),
    "Qualification": (10, "Pipeline"),
    "Needs Analysis": (20, "Pipeline"),
    "Value Proposition": (50, "Pipeline"),
    "Id. Decision Makers": (60, "Pipeline"),
    "Perception Analysis": (70, "Best Case"),
    "Proposal/Price Quote": (75, "Best Case"),
    "Negotiation/Review": (90, "Commit"),
    "Closed Won": (100, "Closed"),
    "Closed Lost": (0, "Omitted"),
}
WON_STAGES = ("Closed Won",)
LOST_STAGES = ("Closed Lost",)

WIN_RATE = (0.15, 0.35)  # DATAMODEL.md §6: 21 % all opps, 15 % enterprise, 29 % qualified
CONVERTED_SHARE = (0.10, 0.20)  # DATAMODEL.md §6: funnel, converted share ≈ 10–20 % of leads


def _stage_kinds(a: Audit) -> dict[str, str]:
    """Every stage in the data → ``open``, ``won`` or ``lost``.

    Classic names decide; other stages follow their records' IsClosed/IsWon, or a name starting
    with "Closed".
    """
    flags = a.has("Opportunity", "IsClosed") and a.has("Opportunity", "IsWon")
    sql = (
        f'SELECT "StageName", MAX({_flag(_q("IsClosed"))}), MAX({_flag(_q("IsWon"))}) '
        'FROM "Opportunity" GROUP BY "StageName"'
        if flags
        else 'SELECT "StageName", NULL, NULL FROM "Opportunity" GROUP BY "StageName"'
    )
    kinds: dict[str, str] = {}
    for stage, closed, won in a.rows(sql):
        if stage is None:
            continue
        if stage in WON_STAGES:
            kinds[stage] = "won"
        elif stage in LOST_STAGES:
            kinds[stage] = "lost"
        elif stage in CLASSIC_STAGES:
            kinds[stage] = "open"
        elif closed is not None:
            kinds[stage] = ("won" if won else "lost") if closed else "open"
        elif stage.startswith("Closed"):
            kinds[stage] = "won" if "Won" in stage else "lost"
        else:
            kinds[stage] = "open"
    return kinds


def _stages(a: Audit, *kinds: str) -> list[str]:
    return [s for s, k in _stage_kinds(a).items() if k in kinds]


@rule(
    "sales.closed-in-past",
    "Closed Won and Closed Lost opportunities close on or before the as-of date.",
    "Opportunity.StageName, CloseDate",
    needs=("Opportunity.StageName", "Opportunity.CloseDate"),
)
def closed_in_past(a: Audit) -> Figure:
    """A deal is closed when it was decided, which has happened (DATAMODEL.md §1.4)."""
    closed = _stages(a, "won", "lost")
    n, bad, latest = a.rows(
        f"SELECT COUNT(*), SUM(CASE WHEN {_day(_q('CloseDate'))} > :today THEN 1 ELSE 0 END), "
        'MAX("CloseDate") FROM "Opportunity" WHERE "StageName" IN :stages',
        today=a.today,
        stages=closed,
    )[0]
    if not n:
        raise Skip("no closed opportunities")
    if bad:
        return (
            f"{_n(bad)} of {_n(n)} closed opportunities close after {a.today} (latest {latest})",
            False,
        )
    return f"{_n(n)} closed opportunities, all closed by {a.today}", True


@rule(
    "sales.open-in-future",
    "Open opportunities close on or after the as-of date (none past due).",
    "Opportunity.StageName, CloseDate",
    needs=("Opportunity.StageName", "Opportunity.CloseDate"),
)
def open_in_future(a: Audit) -> Figure:
    """An open deal with a past close date is overdue, a pipeline-hygiene red flag (§1.4)."""
    n, bad, earliest = a.rows(
        f"SELECT COUNT(*), SUM(CASE WHEN {_day(_q('CloseDate'))} < :today THEN 1 ELSE 0 END), "
        'MIN("CloseDate") FROM "Opportunity" WHERE "StageName" IN :stages',
        today=a.today,
        stages=_stages(a, "open"),
    )[0]
    if not n:
        raise Skip("no open opportunities")
    if bad:
        return f"{_n(bad)} of {_n(n)} open opportunities past due (earliest {earliest})", False
    return f"{_n(n)} open opportunities, all closing from {a.today} on", True


@rule(
    "sales.win-rate",
    "Closed Won is 15–35 % of closed opportunities.",
    "Opportunity.StageName",
    needs=("Opportunity.StageName",),
)
def win_rate(a: Audit) -> Figure:
    """B2B win rate ~21 % (HubSpot), 19 % (Ebsta × Pavilion 2025), 29 % qualified (DATAMODEL.md §6)."""
    kinds = _stage_kinds(a)
    counts = dict(a.rows('SELECT "StageName", COUNT(*) FROM "Opportunity" GROUP BY "StageName"'))
    won = sum(c for s, c in counts.items() if kinds.get(s) == "won")
    closed = sum(c for s, c in counts.items() if kinds.get(s) in ("won", "lost"))
    return _rate("win rate (closed opportunities)", won, closed, *WIN_RATE)


@rule(
    "sales.pipeline-shape",
    "The open pipeline is weighted towards early stages: more open opportunities in the first half "
    "of the open stages than in the second (judged with a 95 % interval).",
    "Opportunity.StageName",
    needs=("Opportunity.StageName",),
)
def pipeline_shape(a: Audit) -> Figure:
    """A funnel narrows: Lead→MQL→SQL→Opp→Won conversions below 100 % at each step (§6).

    The early share is judged like the rates: it fails when its 95 % interval lies at or below
    one half, so two open deals in a small org are not a verdict.
    """
    order = list(CLASSIC_STAGES)
    picklist = [str(s) for s in a.stored["Opportunity"]["StageName"].get("picklist") or []]
    kinds = _stage_kinds(a)
    # Declared stages count even when no record is in them: an empty early stage is the point.
    for stage in picklist:
        if stage not in kinds and not stage.startswith("Closed"):
            kinds[stage] = "open"
    open_stages = sorted(
        (s for s, k in kinds.items() if k == "open"),
        key=lambda s: (
            order.index(s) if s in order else len(order),
            picklist.index(s) if s in picklist else 0,
        ),
    )
    if len(open_stages) < 2:
        raise Skip("fewer than two open stages")
    counts = dict(
        a.rows(
            'SELECT "StageName", COUNT(*) FROM "Opportunity" WHERE "StageName" IN :s '
            'GROUP BY "StageName"',
            s=open_stages,
        )
    )
    half = len(open_stages) // 2
    early = sum(counts.get(s, 0) for s in open_stages[:half])
    late = sum(counts.get(s, 0) for s in open_stages[-half:])
    if early + late == 0:
        raise Skip("no open opportunities")
    lo, hi = wilson(early, early + late)
    return (
        f"{_n(early)} open in {open_stages[0]}…{open_stages[half - 1]}, {_n(late)} in "
        f"{open_stages[-half]}…{open_stages[-1]} (early share {_pct(early / (early + late))}, "
        f"95 % interval {_pct(lo)}–{_pct(hi)}; expected above 50 %)",
        hi > 0.5,
    )


def _stage_agreement(a: Audit, fld: str, expected: Callable[[str], Any], numeric: bool) -> Figure:
    rows = a.rows(
        f'SELECT "StageName", {_q(fld)}, COUNT(*) FROM "Opportunity" '
        f'GROUP BY "StageName", {_q(fld)}'
    )
    problems: dict[str, int] = defaultdict(int)
    examples: dict[str, Any] = {}
    checked = unknown = 0
    for stage, value, count in rows:
        if stage not in CLASSIC_STAGES:
            unknown += count
            continue
        checked += count
        want = expected(stage)
        ok = value is not None and abs(float(value) - want) < 0.01 if numeric else value == want
        if not ok:
            problems[stage] += count
            examples.setdefault(stage, value)
    if checked == 0:
        raise Skip("no opportunity in a classic stage")
    extra = f"; {_n(unknown)} in custom stages not checked" if unknown else ""
    if problems:
        shown = "; ".join(
            f"{stage}: {_n(c)} with {fld} {examples[stage]!r} (expected {expected(stage)!r})"
            for stage, c in list(problems.items())[:3]
        )
        return shown + extra, False
    return f"{_n(checked)} opportunities, {fld} agrees with StageName{extra}", True


@rule(
    "sales.stage-probability",
    "Probability matches StageName by the classic stage table (Prospecting 10 … Negotiation/Review "
    "90, Closed Won 100, Closed Lost 0).",
    "Opportunity.StageName, Probability",
    needs=("Opportunity.StageName", "Opportunity.Probability"),
)
def stage_probability(a: Audit) -> Figure:
    """Default probabilities of the classic Developer Edition stages (DATAMODEL.md §1.4)."""
    return _stage_agreement(a, "Probability", lambda s: CLASSIC_STAGES[s][0], numeric=True)


@rule(
    "sales.stage-forecast-category",
    "ForecastCategoryName matches StageName: Pipeline early, Best Case for Perception Analysis and "
    "Proposal, Commit for Negotiation, Closed for won, Omitted for lost.",
    "Opportunity.StageName, ForecastCategoryName",
    needs=("Opportunity.StageName", "Opportunity.ForecastCategoryName"),
)
def stage_forecast(a: Audit) -> Figure:
    """Classic forecast categories with the late-stage re-map customers use (DATAMODEL.md §1.4)."""
    return _stage_agreement(a, "ForecastCategoryName", lambda s: CLASSIC_STAGES[s][1], False)


@rule(
    "sales.stage-flags",
    "IsClosed and IsWon agree with StageName (closed stages closed, only won stages won).",
    "Opportunity.StageName, IsClosed, IsWon",
    needs=("Opportunity.StageName", "Opportunity.IsClosed", "Opportunity.IsWon"),
)
def stage_flags(a: Audit) -> Figure:
    """IsClosed/IsWon are derived from the stage (DATAMODEL.md §1.4 table)."""
    problems = []
    total = 0
    for stage, closed, won, count in a.rows(
        'SELECT "StageName", "IsClosed", "IsWon", COUNT(*) FROM "Opportunity" '
        'GROUP BY "StageName", "IsClosed", "IsWon"'
    ):
        total += count
        if stage in WON_STAGES:
            want = (1, 1)
        elif stage in LOST_STAGES:
            want = (1, 0)
        elif stage in CLASSIC_STAGES:
            want = (0, 0)
        else:
            continue
        if (int(closed or 0), int(won or 0)) != want:
            problems.append(f"{_n(count)} {stage} with IsClosed={closed}, IsWon={won}")
    return _problems(problems, total, "opportunities", f"{_n(total)} opportunities, flags agree")


@rule(
    "sales.amount-from-line-items",
    "An opportunity with products has Amount equal to the sum of its line items' TotalPrice.",
    "Opportunity.Amount, OpportunityLineItem.OpportunityId, TotalPrice",
    needs=(
        "Opportunity.Amount",
        "OpportunityLineItem.OpportunityId",
        "OpportunityLineItem.TotalPrice",
    ),
)
def amount_from_line_items(a: Audit) -> Figure:
    """With line items, Amount is the roll-up of their TotalPrice (DATAMODEL.md §1.8)."""
    with_items = (
        'FROM "Opportunity" o JOIN (SELECT "OpportunityId", SUM("TotalPrice") AS total '
        'FROM "OpportunityLineItem" GROUP BY "OpportunityId") s ON s."OpportunityId" = o."Id"'
    )
    differs = 'o."Amount" IS NULL OR ABS(o."Amount" - s.total) > 0.01'
    n, bad = a.rows(f"SELECT COUNT(*), SUM(CASE WHEN {differs} THEN 1 ELSE 0 END) {with_items}")[0]
    if not n:
        raise Skip("no opportunity has line items")
    without = a.scalar(
        'SELECT COUNT(*) FROM "Opportunity" o WHERE NOT EXISTS (SELECT 1 FROM '
        '"OpportunityLineItem" i WHERE i."OpportunityId" = o."Id")'
    )
    extra = f" ({_n(without)} without products not checked)" if without else ""
    if bad:
        ex = a.rows(f'SELECT o."Id", o."Amount", s.total {with_items} WHERE {differs} LIMIT 1')[0]
        return (
            f"{_n(bad)} of {_n(n)} amounts differ from their line items (e.g. {ex[0]}: Amount "
            f"{ex[1]}, line items {ex[2]:,.2f}){extra}",
            False,
        )
    return f"{_n(n)} opportunities, Amount = sum of line items{extra}", True


@rule(
    "sales.expected-revenue",
    "ExpectedRevenue equals Amount × Probability / 100.",
    "Opportunity.Amount, Probability, ExpectedRevenue",
    needs=("Opportunity.Amount", "Opportunity.Probability", "Opportunity.ExpectedRevenue"),
)
def expected_revenue(a: Audit) -> Figure:
    """ExpectedRevenue = Amount × Probability (DATAMODEL.md §1.4, S4)."""
    differs = (
        'ABS(COALESCE("ExpectedRevenue", 0) - COALESCE("Amount", 0) * COALESCE("Probability", 0) '
        "/ 100.0) > 0.01"
    )
    n, bad = a.rows(
        f'SELECT COUNT(*), SUM(CASE WHEN {differs} THEN 1 ELSE 0 END) FROM "Opportunity"'
    )[0]
    if not n:
        raise Skip("no opportunities")
    if bad:
        ex = a.rows(
            'SELECT "Id", "Amount", "Probability", "ExpectedRevenue" FROM "Opportunity" '
            f"WHERE {differs} LIMIT 1"
        )[0]
        return (
            f"{_n(bad)} of {_n(n)} differ (e.g. {ex[0]}: {ex[1]} × {ex[2]} % ≠ {ex[3]})",
            False,
        )
    return f"{_n(n)} opportunities, ExpectedRevenue = Amount × Probability", True


@rule(
    "sales.line-item-product",
    "A line item's product is its price book entry's product.",
    "OpportunityLineItem.Product2Id, PricebookEntryId; PricebookEntry.Product2Id",
    needs=(
        "OpportunityLineItem.Product2Id",
        "OpportunityLineItem.PricebookEntryId",
        "PricebookEntry.Product2Id",
    ),
)
def line_item_product(a: Audit) -> Figure:
    """OpportunityLineItem.Product2Id is derived from PricebookEntryId (DATAMODEL.md §1.8)."""
    other = a.differs('i."Product2Id"', 'e."Product2Id"')
    n, bad = a.rows(
        f"SELECT COUNT(*), SUM(CASE WHEN {other} THEN 1 ELSE 0 END) FROM "
        '"OpportunityLineItem" i JOIN "PricebookEntry" e ON e."Id" = i."PricebookEntryId"'
    )[0]
    if not n:
        raise Skip("no line items")
    if bad:
        return (
            f"{_n(bad)} of {_n(n)} line items name another product than their price book entry",
            False,
        )
    return f"{_n(n)} line items, product = price book entry's product", True


# =================================================================================================
# Campaigns (DATAMODEL.md §1.7: read-only roll-ups must agree with members and opportunities)
# =================================================================================================


def _rollup_check(a: Audit, checks: list[tuple[str, str, bool]], **params: Any) -> Figure:
    """``checks``: (Campaign field, SQL of the expected value per campaign ``c``, is money)."""
    present = [(f, sql, money) for f, sql, money in checks if a.has("Campaign", f)]
    if not present:
        raise Skip("no campaign roll-up fields")
    n = a.scalar('SELECT COUNT(*) FROM "Campaign"')
    if not n:
        raise Skip("no campaigns")
    problems = []
    for fld, expected, money in present:
        tol = 0.01 if money else 0.5
        used = {k: v for k, v in params.items() if f":{k}" in expected}
        bad = a.rows(
            f'SELECT c."Id", c.{_q(fld)}, ({expected}) FROM "Campaign" c '
            f"WHERE ABS(COALESCE(c.{_q(fld)}, 0) - ({expected})) > {tol}",
            **used,
        )
        if bad:
            ex = bad[0]
            problems.append(
                f"{fld}: {_n(len(bad))} of {_n(n)} campaigns wrong (e.g. {ex[0]}: {ex[1]}, "
                f"members add up to {ex[2]})"
            )
    names = ", ".join(f for f, _, _ in present)
    return _problems(problems, n, "campaigns", f"{_n(n)} campaigns, {names} all add up")


@rule(
    "campaigns.member-rollups",
    "NumberOfContacts, NumberOfLeads, NumberOfConvertedLeads and NumberOfResponses equal what the "
    "campaign's members add up to.",
    "Campaign roll-ups; CampaignMember.CampaignId, ContactId, LeadId, HasResponded",
    needs=("Campaign", "CampaignMember.CampaignId"),
)
def member_rollups(a: Audit) -> Figure:
    """Campaign roll-ups are read-only and computed from CampaignMember (DATAMODEL.md §1.7)."""
    m = 'FROM "CampaignMember" m WHERE m."CampaignId" = c."Id"'
    checks = []
    if a.has("CampaignMember", "ContactId"):
        checks.append(
            ("NumberOfContacts", f'SELECT COUNT(*) {m} AND m."ContactId" IS NOT NULL', False)
        )
    if a.has("CampaignMember", "LeadId"):
        checks.append(("NumberOfLeads", f'SELECT COUNT(*) {m} AND m."LeadId" IS NOT NULL', False))
        if a.has("Lead", "IsConverted"):
            converted = _flag('l."IsConverted"')
            checks.append(
                (
                    "NumberOfConvertedLeads",
                    f'SELECT COUNT(*) {m} AND EXISTS (SELECT 1 FROM "Lead" l WHERE l."Id" = '
                    f'm."LeadId" AND {converted} = 1)',
                    False,
                )
            )
    if a.has("CampaignMember", "HasResponded"):
        responded = _flag('m."HasResponded"')
        checks.append(("NumberOfResponses", f"SELECT COUNT(*) {m} AND {responded} = 1", False))
    return _rollup_check(a, checks)


@rule(
    "campaigns.opportunity-rollups",
    "NumberOfOpportunities, NumberOfWonOpportunities, AmountAllOpportunities and "
    "AmountWonOpportunities equal what the campaign's opportunities add up to.",
    "Campaign roll-ups; Opportunity.CampaignId, StageName, Amount",
    needs=("Campaign", "Opportunity.CampaignId", "Opportunity.StageName"),
)
def opportunity_rollups(a: Audit) -> Figure:
    """Campaign roll-ups over Opportunity.CampaignId (DATAMODEL.md §1.7)."""
    o = 'FROM "Opportunity" o WHERE o."CampaignId" = c."Id"'
    won = 'o."StageName" IN :won'
    checks = [
        ("NumberOfOpportunities", f"SELECT COUNT(*) {o}", False),
        ("NumberOfWonOpportunities", f"SELECT COUNT(*) {o} AND {won}", False),
    ]
    if a.has("Opportunity", "Amount"):
        checks += [
            ("AmountAllOpportunities", f'SELECT COALESCE(SUM(o."Amount"), 0) {o}', True),
            ("AmountWonOpportunities", f'SELECT COALESCE(SUM(o."Amount"), 0) {o} AND {won}', True),
        ]
    return _rollup_check(a, checks, won=_stages(a, "won") or list(WON_STAGES))


@rule(
    "campaigns.response-dates",
    "Members who responded have a FirstRespondedDate, no earlier than the campaign's start; the "
    "others have none.",
    "CampaignMember.HasResponded, FirstRespondedDate; Campaign.StartDate",
    needs=("CampaignMember.HasResponded", "CampaignMember.FirstRespondedDate"),
)
def response_dates(a: Audit) -> Figure:
    """HasResponded and FirstRespondedDate go together (DATAMODEL.md §1.7)."""
    responded = _flag('"HasResponded"')
    n, no_date, stray = a.rows(
        f'SELECT COUNT(*), SUM(CASE WHEN {responded} = 1 AND "FirstRespondedDate" IS NULL THEN 1 '
        f'ELSE 0 END), SUM(CASE WHEN COALESCE({responded}, 0) = 0 AND "FirstRespondedDate" IS NOT '
        'NULL THEN 1 ELSE 0 END) FROM "CampaignMember"'
    )[0]
    if not n:
        raise Skip("no campaign members")
    problems = []
    if no_date:
        problems.append(f"{_n(no_date)} responded members without FirstRespondedDate")
    if stray:
        problems.append(f"{_n(stray)} members that did not respond have a FirstRespondedDate")
    if a.has("Campaign", "StartDate") and a.has("CampaignMember", "CampaignId"):
        responded_on, started_on = _day('m."FirstRespondedDate"'), _day('c."StartDate"')
        early = a.scalar(
            'SELECT COUNT(*) FROM "CampaignMember" m JOIN "Campaign" c ON c."Id" = m."CampaignId" '
            'WHERE m."FirstRespondedDate" IS NOT NULL AND c."StartDate" IS NOT NULL AND '
            f"{responded_on} < {started_on}"
        )
        if early:
            problems.append(f"{_n(early)} responded before their campaign started")
    return _problems(problems, n, "members", f"{_n(n)} members, response dates consistent")


# =================================================================================================
# Leads (DATAMODEL.md §1.3 conversion fields, §6 funnel)
# =================================================================================================

_CONVERTED_FIELDS = (
    "ConvertedDate",
    "ConvertedAccountId",
    "ConvertedContactId",
    "ConvertedOpportunityId",
)


@rule(
    "leads.conversion-fields",
    "Converted leads have a converted date, account, contact and opportunity; unconverted leads "
    "have none of them.",
    "Lead.IsConverted, ConvertedDate, ConvertedAccountId, ConvertedContactId, ConvertedOpportunityId",
    needs=("Lead.IsConverted",),
)
def conversion_fields(a: Audit) -> Figure:
    """Converting sets IsConverted, ConvertedDate and the converted Ids (DATAMODEL.md §1.3, S7)."""
    fields = [f for f in _CONVERTED_FIELDS if a.has("Lead", f)]
    if not fields:
        raise Skip("Lead has no converted fields")
    n = a.scalar('SELECT COUNT(*) FROM "Lead"')
    if not n:
        raise Skip("no leads")
    problems = []
    converted = _flag('"IsConverted"')
    for f in fields:
        missing, stray = a.rows(
            f"SELECT SUM(CASE WHEN {converted} = 1 AND {_q(f)} IS NULL THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN COALESCE({converted}, 0) = 0 AND {_q(f)} IS NOT NULL THEN 1 ELSE 0 "
            'END) FROM "Lead"'
        )[0]
        if missing:
            problems.append(f"{_n(missing)} converted leads without {f}")
        if stray:
            problems.append(f"{_n(stray)} unconverted leads with {f}")
    return _problems(problems, n, "leads", f"{_n(n)} leads, conversion fields consistent")


@rule(
    "leads.conversion-consistent",
    "A converted lead's contact and opportunity belong to its converted account.",
    "Lead.ConvertedAccountId, ConvertedContactId, ConvertedOpportunityId",
    needs=("Lead.ConvertedAccountId",),
)
def conversion_consistent(a: Audit) -> Figure:
    """Conversion creates or picks one account and puts the contact and deal under it (§1.3)."""
    problems = []
    n = a.scalar('SELECT COUNT(*) FROM "Lead" WHERE "ConvertedAccountId" IS NOT NULL')
    elsewhere = a.differs('x."AccountId"', 'l."ConvertedAccountId"')
    for fld, obj in (("ConvertedContactId", "Contact"), ("ConvertedOpportunityId", "Opportunity")):
        if not (a.has("Lead", fld) and a.has(obj, "AccountId")):
            continue
        m, bad = a.rows(
            f"SELECT COUNT(*), SUM(CASE WHEN {elsewhere} THEN 1 ELSE 0 END) "
            f'FROM "Lead" l JOIN {_q(obj)} x ON x."Id" = l.{_q(fld)} '
            'WHERE l."ConvertedAccountId" IS NOT NULL'
        )[0]
        if bad:
            problems.append(
                f"{_n(bad)} of {_n(m)} converted leads have their {fld} under another Account "
                "than ConvertedAccountId"
            )
    return _problems(
        problems, n, "converted leads", f"{_n(n)} converted leads, contact and deal on one account"
    )


@rule(
    "leads.converted-share",
    "10–20 % of leads are converted.",
    "Lead.IsConverted",
    needs=("Lead.IsConverted",),
)
def converted_share(a: Audit) -> Figure:
    """Funnel benchmarks (Lead→MQL 20–40 %, MQL→SQL 30–60 %, SQL→Opp 40–80 %): §6."""
    n, k = a.rows(
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {_flag(_q('IsConverted'))} = 1 THEN 1 ELSE 0 "
        'END), 0) FROM "Lead"'
    )[0]
    return _rate("converted share (leads)", int(k), int(n), *CONVERTED_SHARE)


# =================================================================================================
# Cases (DATAMODEL.md §1.5, §6 resolution times)
# =================================================================================================


def _closed_case_statuses(a: Audit) -> list[str]:
    declared = a.stored["Case"]["Status"].get("picklist") or []
    in_data = [
        s for (s,) in a.rows('SELECT DISTINCT "Status" FROM "Case" WHERE "Status" IS NOT NULL')
    ]
    return sorted({s for s in [*declared, *in_data] if str(s).startswith("Closed")})


@rule(
    "cases.closed-after-created",
    "A closed case's ClosedDate is not before its CreatedDate.",
    "Case.CreatedDate, ClosedDate",
    needs=("Case.CreatedDate", "Case.ClosedDate"),
)
def case_closed_after_created(a: Audit) -> Figure:
    """Resolution takes hours to days (DATAMODEL.md §6); it never ends before it starts."""
    n, bad = a.rows(
        'SELECT COUNT(*), SUM(CASE WHEN "ClosedDate" < "CreatedDate" THEN 1 ELSE 0 END) '
        'FROM "Case" WHERE "ClosedDate" IS NOT NULL AND "CreatedDate" IS NOT NULL'
    )[0]
    if not n:
        raise Skip("no closed cases")
    if bad:
        ex = a.rows(
            'SELECT "Id", "CreatedDate", "ClosedDate" FROM "Case" '
            'WHERE "ClosedDate" < "CreatedDate" LIMIT 1'
        )[0]
        return (
            f"{_n(bad)} of {_n(n)} closed before created (e.g. {ex[0]}: {ex[1]} → {ex[2]})",
            False,
        )
    return f"{_n(n)} closed cases, all closed after they were opened", True


@rule(
    "cases.closed-status",
    "Only cases with a closed Status (Closed) have a ClosedDate, every closed case has one, and "
    "IsClosed agrees.",
    "Case.Status, ClosedDate, IsClosed",
    needs=("Case.Status", "Case.ClosedDate"),
)
def case_closed_status(a: Audit) -> Figure:
    """Case.Status Closed is the closed status of both default value sets (DATAMODEL.md §0)."""
    closed = _closed_case_statuses(a)
    n, dated_open, undated_closed = a.rows(
        'SELECT COUNT(*), SUM(CASE WHEN "ClosedDate" IS NOT NULL AND ("Status" IS NULL OR "Status" '
        'NOT IN :closed) THEN 1 ELSE 0 END), SUM(CASE WHEN "ClosedDate" IS NULL AND "Status" IN '
        ':closed THEN 1 ELSE 0 END) FROM "Case"',
        closed=closed or ["Closed"],
    )[0]
    if not n:
        raise Skip("no cases")
    problems = []
    if dated_open:
        problems.append(f"{_n(dated_open)} cases with a ClosedDate but an open Status")
    if undated_closed:
        problems.append(f"{_n(undated_closed)} closed cases without a ClosedDate")
    if a.has("Case", "IsClosed"):
        flag = a.scalar(
            f'SELECT COUNT(*) FROM "Case" WHERE COALESCE({_flag(_q("IsClosed"))}, 0) <> CASE WHEN '
            '"Status" IN :closed THEN 1 ELSE 0 END',
            closed=closed or ["Closed"],
        )
        if flag:
            problems.append(f"{_n(flag)} cases whose IsClosed disagrees with Status")
    return _problems(problems, n, "cases", f"{_n(n)} cases, closed ⇔ Status {'/'.join(closed)}")


# =================================================================================================
# People: emails, phones, ages (DATAMODEL.md §1.1–§1.3; CONVENTIONS.md 9: derived fields)
# =================================================================================================

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_LOCAL = re.compile(r"^(.*?)(\d*)$")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return _NOT_WORD.sub("", folded.encode("ascii", "ignore").decode("ascii").lower())


@lru_cache(maxsize=1)
def _japanese_readings() -> dict[str, frozenset[str]]:
    """Kanji/kana name → its romanisations, from Faker's ja_JP name pairs (the names' source)."""
    from faker.providers.person.ja_JP import Provider

    readings: dict[str, set[str]] = defaultdict(set)
    pairs = [
        *Provider.first_name_female_pairs,
        *Provider.first_name_male_pairs,
        *getattr(Provider.last_name_pairs, "keys", lambda: Provider.last_name_pairs)(),
    ]
    for kanji, _kana, roman in pairs:
        readings[kanji].add(_fold(roman))
    return {k: frozenset(v) for k, v in readings.items()}


@lru_cache(maxsize=65536)
def ascii_forms(name: str, lang: str) -> frozenset[str]:
    """The ASCII spellings a person's name may take in an email address.

    Latin names are folded with and without German transliteration (Müller → mueller, muller);
    Japanese names take their romaji; Chinese characters any of their pinyin readings.
    """
    if not name:
        return frozenset({""})
    if _CJK.search(name):
        forms: set[str] = set()
        if lang == "ja":
            forms |= _japanese_readings().get(name, frozenset())
        if not forms and lang != "ja":
            from pypinyin import Style, pinyin

            readings = pinyin(name, style=Style.NORMAL, heteronym=True)
            combos = 1
            for r in readings:
                combos *= max(1, len(r))
            if combos <= 256:
                forms = {_fold("".join(p)) for p in product(*readings)}
        return frozenset(f for f in forms if f)
    return frozenset(f for f in {_fold(name.translate(ASCII_SPELLING)), _fold(name)} if f)


def _email_fields(a: Audit) -> list[tuple[str, str]]:
    return [(obj, f["name"]) for obj in a.objects for f in a.fields(obj, "email")]


@rule(
    "people.emails-unique",
    "Email addresses are unique within each email field of each object.",
    "every email field",
)
def emails_unique(a: Audit) -> Figure:
    """Duplicate emails break email-to-case and dedupe demos (DATAMODEL.md §1.2)."""
    fields = _email_fields(a)
    if not fields:
        raise Skip("no email fields")
    problems = []
    total = 0
    for obj, fld in fields:
        col = _q(fld)
        # Leads converted into the same existing contact rightly share that contact's email.
        scope = f"{col} IS NOT NULL"
        if obj == "Lead" and a.has(obj, "IsConverted"):
            scope += f" AND COALESCE({_flag(_q('IsConverted'))}, 0) = 0"
        total += a.scalar(f"SELECT COUNT({col}) FROM {_q(obj)}")
        dups = a.rows(
            f"SELECT LOWER({col}), COUNT(*) FROM {_q(obj)} WHERE {scope} "
            f"GROUP BY LOWER({col}) HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC"
        )
        if dups:
            problems.append(
                f"{obj}.{fld}: {_n(len(dups))} addresses used more than once (e.g. {dups[0][0]} "
                f"×{dups[0][1]})"
            )
    return _problems(
        problems,
        max(total, 1),
        "emails",
        f"{len(fields)} email fields, {_n(total)} addresses, all unique",
    )


@rule(
    "people.emails-from-names",
    "A person's email is derived from their own name: the ASCII-folded first.last before the @, "
    "optionally followed by a number.",
    "email fields of objects with FirstName and LastName",
)
def emails_from_names(a: Audit) -> Figure:
    """Derived fields come from the record's own values (CONVENTIONS.md 9; DATAMODEL.md §1.2)."""
    lang = a.locale.split("_")[0]
    fields = [(o, f) for o, f in _email_fields(a) if a.has(o, "FirstName", "LastName")]
    if not fields:
        raise Skip("no email field on an object with FirstName and LastName")
    problems = []
    total = unknown = 0
    for obj, fld in fields:
        bad: list[tuple[str, str, str]] = []
        for first, last, email in a.rows(
            f'SELECT "FirstName", "LastName", {_q(fld)} FROM {_q(obj)} WHERE {_q(fld)} IS NOT NULL'
        ):
            total += 1
            local = str(email).split("@", 1)[0].lower()
            base = _LOCAL.match(local).group(1)  # type: ignore[union-attr]
            firsts = ascii_forms(first or "", lang)
            lasts = ascii_forms(last or "", lang)
            if not firsts or not lasts:
                unknown += 1
                continue
            expected = {
                f"{x}.{y}" if x and y else (x or y or "info") for x in firsts for y in lasts
            }
            if base not in expected:
                bad.append((f"{first} {last}".strip(), str(email), sorted(expected)[0]))
        if bad:
            name, email, want = bad[0]
            problems.append(
                f"{obj}.{fld}: {_n(len(bad))} not derived from the name (e.g. {name} → {email}, "
                f"expected {want}@…)"
            )
    note = f"; {_n(unknown)} names with no known romanisation not checked" if unknown else ""
    if problems:
        return "; ".join(problems[:3]) + note, False
    if total == 0:
        raise Skip("no email addresses")
    return f"{_n(total)} emails derived from their person's name{note}", True


@rule(
    "people.phones-valid",
    "Phone numbers are valid for the org's locale (conservative per-country digit counts, trunk "
    "prefix, no 0 after the country code).",
    "every phone field",
)
def phones_valid(a: Audit) -> Figure:
    """Numbers a local customer would recognise: NANP NXX-NXX-XXXX, +44/0…, +49/0…, … (§1.1)."""
    fields = [(obj, f["name"]) for obj in a.objects for f in a.fields(obj, "phone")]
    if not fields:
        raise Skip("no phone fields")
    problems = []
    total = 0
    for obj, fld in fields:
        bad = []
        for (value,) in a.rows(f"SELECT {_q(fld)} FROM {_q(obj)} WHERE {_q(fld)} IS NOT NULL"):
            total += 1
            if not phone_is_valid(value, a.locale):
                bad.append(value)
        if bad:
            shown = ", ".join(repr(b) for b in bad[:3])
            problems.append(f"{obj}.{fld}: {_n(len(bad))} invalid for {a.locale} (e.g. {shown})")
    return _problems(problems, max(total, 1), "phones", f"{_n(total)} numbers valid for {a.locale}")


@rule(
    "people.ages",
    "Birthdates give ages from 0 to 110 on the as-of date.",
    "PersonBirthdate and Birthdate fields (patients, consumers, contacts)",
)
def ages(a: Audit) -> Figure:
    """People are born in the past and are at most 110 (DATAMODEL.md §1.1 Person Accounts, §2)."""
    fields = [
        (obj, f["name"])
        for obj in a.objects
        for f in a.fields(obj, *DATE_TYPES)
        if core_name(f["name"]) in ("PersonBirthdate", "Birthdate")
    ]
    if not fields:
        raise Skip("no birthdate fields")
    try:
        oldest = a.as_of.replace(year=a.as_of.year - 111)
    except ValueError:  # 29 February
        oldest = a.as_of.replace(year=a.as_of.year - 111, day=28)
    problems = []
    total = 0
    for obj, fld in fields:
        col = _day(_q(fld))
        n, unborn, old, lo, hi = a.rows(
            f"SELECT COUNT(*), SUM(CASE WHEN {col} > :today THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {col} <= :oldest THEN 1 ELSE 0 END), MIN({col}), MAX({col}) "
            f"FROM {_q(obj)} WHERE {_q(fld)} IS NOT NULL",
            today=a.today,
            oldest=oldest.isoformat(),
        )[0]
        total += n
        if unborn or old:
            problems.append(
                f"{obj}.{fld}: {_n(unborn or 0)} born after {a.today}, {_n(old or 0)} older "
                f"than 110 (range {lo} – {hi})"
            )
    return _problems(problems, total, "birthdates", f"{_n(total)} birthdates, ages 0–110")


# =================================================================================================
# Activities (DATAMODEL.md §1.6)
# =================================================================================================


@rule(
    "activities.event-duration",
    "An event's EndDateTime is its StartDateTime plus DurationInMinutes.",
    "Event.StartDateTime, EndDateTime, DurationInMinutes",
    needs=("Event.StartDateTime", "Event.EndDateTime", "Event.DurationInMinutes"),
)
def event_duration(a: Audit) -> Figure:
    """Event fields StartDateTime, EndDateTime, DurationInMinutes agree (DATAMODEL.md §1.6)."""
    lasted = a.days_between('"EndDateTime"', '"StartDateTime"')
    n, bad = a.rows(
        f'SELECT COUNT(*), SUM(CASE WHEN ABS({lasted} * 1440 - "DurationInMinutes") > 1 THEN 1 '
        'ELSE 0 END) FROM "Event" WHERE "StartDateTime" IS NOT NULL AND "EndDateTime" IS NOT NULL '
        'AND "DurationInMinutes" IS NOT NULL'
    )[0]
    if not n:
        raise Skip("no timed events")
    if bad:
        return f"{_n(bad)} of {_n(n)} events last longer or shorter than DurationInMinutes", False
    return f"{_n(n)} events, end = start + duration", True


# =================================================================================================
# Medical: Health Cloud (DATAMODEL.md §2, §6 no-show benchmark)
# =================================================================================================

_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
LOINC_A1C = "4548-4"
#: Physiological bounds by LOINC code: far outside the reference range, still compatible with life.
VITAL_BOUNDS = {
    "8480-6": ("systolic blood pressure", 70, 250),
    "8462-4": ("diastolic blood pressure", 40, 150),
    "8867-4": ("heart rate", 30, 220),
    LOINC_A1C: ("HbA1c", 3, 20),
    "39156-5": ("BMI", 10, 80),
}
NO_SHOW_RATE = (0.10, 0.25)  # DATAMODEL.md §6: US 10–20 % (S55/S56), 23 % across 105 studies
A1C_GAP = 0.5  # percentage points; diabetes is diagnosed at ≥ 6.5 %, normal is < 5.7 % (ADA)


def _value_field(a: Audit) -> str:
    for name in ("ObservedValue", "ObservedValueNumerator", "NumericValue", "Value"):
        if a.has("CareObservation", name):
            return name
    raise Skip("CareObservation has no numeric value field")


@rule(
    "medical.icd10-codes",
    "Health conditions carry ICD-10-CM codes from the org's shipped icd10 code list, with the "
    "list's name for each code.",
    "HealthCondition.ConditionCode, ProblemName; the org's icd10 table",
    needs=("HealthCondition.ConditionCode",),
)
def icd10_codes(a: Audit) -> Figure:
    """HealthCondition.ConditionCodeId is an ICD-10 code such as E11.9 (DATAMODEL.md §2)."""
    codes = a.code_list("icd10")
    if codes is None:
        raise Skip("the org carries no icd10 code list")
    names = {str(r["code"]): r.get("name") for r in codes}
    malformed = [c for c in names if not _ICD10.match(c)]
    problems = []
    if malformed:
        problems.append(f"code list has malformed codes {malformed[:3]}")
    return _coded(
        a,
        names,
        problems,
        ("HealthCondition", "ConditionCode", "ProblemName"),
        ("conditions", "whose ProblemName is not their code's"),
        f"{len(names)} listed ICD-10 codes",
    )


def _coded(
    a: Audit,
    listed: dict[str, Any],
    problems: list[str],
    columns: tuple[str, str, str],
    words: tuple[str, str],
    listed_text: str,
) -> Figure:
    """Records whose code is not in the org's code list, or whose attribute (name, unit) is not
    the one the list gives for their code."""
    obj, code_col, attr_col = columns
    noun, mismatch = words
    has_attr = a.has(obj, attr_col)
    sel = f"{_q(code_col)}, {_q(attr_col) if has_attr else 'NULL'}"
    total = 0
    unknown: dict[str, int] = defaultdict(int)
    mismatched: dict[str, int] = defaultdict(int)
    for code, attr, count in a.rows(f"SELECT {sel}, COUNT(*) FROM {_q(obj)} GROUP BY 1, 2"):
        total += count
        if code is None or str(code) not in listed:
            unknown[str(code)] += count
        elif has_attr and attr != listed[str(code)]:
            mismatched[str(code)] += count
    if unknown:
        problems.append(
            f"{_n(sum(unknown.values()))} {noun} with codes not in the list "
            f"({', '.join(list(unknown)[:3])})"
        )
    if mismatched:
        problems.append(
            f"{_n(sum(mismatched.values()))} {noun} {mismatch} ({', '.join(list(mismatched)[:3])})"
        )
    return _problems(problems, total, noun, f"{_n(total)} {noun}, {listed_text}")


def loinc_is_valid(code: str) -> bool:
    """LOINC codes are ``digits-check`` with a mod-10 (Luhn) check digit."""
    m = re.fullmatch(r"(\d{1,7})-(\d)", code)
    return bool(m) and luhn_is_valid(m.group(1) + m.group(2))  # type: ignore[union-attr]


@rule(
    "medical.loinc-codes",
    "Care observations carry LOINC codes from the org's shipped loinc code list (valid check "
    "digits), with the list's unit.",
    "CareObservation.Code, UnitOfMeasure; the org's loinc table",
    needs=("CareObservation.Code",),
)
def loinc_codes(a: Audit) -> Figure:
    """CareObservation.CodeId is a LOINC code (DATAMODEL.md §2)."""
    codes = a.code_list("loinc")
    if codes is None:
        raise Skip("the org carries no loinc code list")
    units = {str(r["code"]): r.get("unit") for r in codes}
    problems = []
    bad_list = [c for c in units if not loinc_is_valid(c)]
    if bad_list:
        problems.append(f"code list has codes with a wrong check digit {bad_list[:3]}")
    return _coded(
        a,
        units,
        problems,
        ("CareObservation", "Code", "UnitOfMeasure"),
        ("observations", "in another unit than their code's"),
        f"{len(units)} listed LOINC codes",
    )


@rule(
    "medical.vitals-in-bounds",
    "Vitals are physiologically possible: systolic 70–250, diastolic 40–150 mm[Hg], heart rate "
    "30–220 /min, HbA1c 3–20 %, BMI 10–80.",
    "CareObservation.Code, ObservedValue",
    needs=("CareObservation.Code",),
)
def vitals_in_bounds(a: Audit) -> Figure:
    """Vitals as CareObservation (BP, A1c, weight), DATAMODEL.md §2 demo tip."""
    val = _value_field(a)
    problems = []
    total = 0
    for code, (label, lo, hi) in VITAL_BOUNDS.items():
        n, bad, vmin, vmax = a.rows(
            f"SELECT COUNT(*), SUM(CASE WHEN {_q(val)} < :lo OR {_q(val)} > :hi THEN 1 ELSE 0 END), "
            f'MIN({_q(val)}), MAX({_q(val)}) FROM "CareObservation" WHERE "Code" = :code AND '
            f"{_q(val)} IS NOT NULL",
            lo=lo,
            hi=hi,
            code=code,
        )[0]
        total += n
        if bad:
            problems.append(
                f"{label}: {_n(bad)} of {_n(n)} outside {lo}–{hi} (range {vmin}–{vmax})"
            )
    return _problems(
        problems, total, "vital signs", f"{_n(total)} vitals within physiological bounds"
    )


@rule(
    "medical.a1c-tracks-diabetes",
    "Patients with type 2 diabetes (E11.x) have a mean HbA1c at least 0.5 points above the other "
    "patients'.",
    "HealthCondition.PatientId, ConditionCode; CareObservation.ObservedSubjectId, Code, value",
    needs=(
        "HealthCondition.PatientId",
        "HealthCondition.ConditionCode",
        "CareObservation.ObservedSubjectId",
        "CareObservation.Code",
    ),
)
def a1c_tracks_diabetes(a: Audit) -> Figure:
    """Observations must agree with conditions: type-2 diabetes E11.9 with A1c (§2 demo tip).

    Diabetes is diagnosed at an HbA1c of 6.5 % or more and normal is below 5.7 % (ADA), so a
    diabetic panel that does not read at least half a point higher than everyone else is noise.
    """
    val = _value_field(a)
    per_patient = a.rows(
        f'SELECT o."ObservedSubjectId", AVG(o.{_q(val)}), EXISTS (SELECT 1 FROM "HealthCondition" '
        'h WHERE h."PatientId" = o."ObservedSubjectId" AND h."ConditionCode" LIKE :e11) '
        f'FROM "CareObservation" o WHERE o."Code" = :a1c AND o.{_q(val)} IS NOT NULL '
        'GROUP BY o."ObservedSubjectId"',
        e11="E11%",
        a1c=LOINC_A1C,
    )
    diabetic = [float(v) for _, v, d in per_patient if d]
    other = [float(v) for _, v, d in per_patient if not d]
    if len(diabetic) < 3 or len(other) < 3:
        raise Skip(
            f"too few patients with an HbA1c to compare ({len(diabetic)} with E11, "
            f"{len(other)} without; needs 3 each)"
        )
    md, mo = sum(diabetic) / len(diabetic), sum(other) / len(other)
    return (
        f"mean HbA1c {md:.2f} % for {_n(len(diabetic))} patients with E11 vs {mo:.2f} % for "
        f"{_n(len(other))} without (gap {md - mo:+.2f}; expected ≥ +{A1C_GAP})",
        md - mo >= A1C_GAP,
    )


_CANCELED = ("Canceled", "Cancelled")
_NO_SHOW = ("No Show", "No-Show", "NoShow")


@rule(
    "medical.no-show-rate",
    "10–25 % of past patient appointments that were not canceled are no-shows.",
    "ServiceAppointment.PatientId, Status, SchedStartTime",
    needs=(
        "ServiceAppointment.PatientId",
        "ServiceAppointment.Status",
        "ServiceAppointment.SchedStartTime",
    ),
)
def no_show_rate(a: Audit) -> Figure:
    """No-shows: 23 % across 105 studies (S55), 8 % US rural (S56), 10–20 % US (DATAMODEL.md §6)."""
    n, k = a.rows(
        'SELECT COUNT(*), COALESCE(SUM(CASE WHEN "Status" IN :ns THEN 1 ELSE 0 END), 0) FROM '
        f'"ServiceAppointment" WHERE {_day(_q("SchedStartTime"))} < :today AND ("Status" IS NULL '
        'OR "Status" NOT IN :canceled)',
        ns=_NO_SHOW,
        canceled=_CANCELED,
        today=a.today,
    )[0]
    return _rate("no-show rate (past appointments not canceled)", int(k), int(n), *NO_SHOW_RATE)


#: (object, time field, statuses that happened, statuses still ahead)
VISIT_TIMING = (
    ("ServiceAppointment", "SchedStartTime", ("Completed", *_NO_SHOW), ("Scheduled",)),
    ("ClinicalEncounter", "StartDate", ("Finished", "Arrived", "In Progress"), ("Planned",)),
)


@rule(
    "medical.visit-status-timing",
    "Completed, no-show and finished visits lie in the past; scheduled and planned ones in the "
    "future.",
    "ServiceAppointment.Status, SchedStartTime; ClinicalEncounter.Status, StartDate",
)
def visit_status_timing(a: Audit) -> Figure:
    """Encounter status follows FHIR encounter-status (planned → finished), DATAMODEL.md §2."""
    problems = []
    total = 0
    checked = False
    for obj, fld, done, ahead in VISIT_TIMING:
        if not a.has(obj, fld, "Status"):
            continue
        checked = True
        col = _q(fld)
        n, future_done, past_ahead = a.rows(
            f'SELECT COUNT(*), SUM(CASE WHEN "Status" IN :done AND {_day(col)} > :today THEN 1 '
            f'ELSE 0 END), SUM(CASE WHEN "Status" IN :ahead AND {_day(col)} < :today THEN 1 ELSE 0 '
            f"END) FROM {_q(obj)} WHERE {col} IS NOT NULL",
            done=done,
            ahead=ahead,
            today=a.today,
        )[0]
        total += n
        if future_done:
            problems.append(f"{obj}: {_n(future_done)} {'/'.join(done[:2])} after {a.today}")
        if past_ahead:
            problems.append(f"{obj}: {_n(past_ahead)} {'/'.join(ahead)} before {a.today}")
    if not checked:
        raise Skip("no appointments or encounters with a status and a time")
    return _problems(problems, total, "visits", f"{_n(total)} visits, status agrees with time")


# =================================================================================================
# Telecom: Communications Cloud (DATAMODEL.md §4, §6 churn and ARPU)
# =================================================================================================

PHONE_FAMILIES = ("Mobile Plan", "Business Mobile")  # postpaid phone lines
BROADBAND_FAMILIES = ("Home Internet",)
MONTHLY_CHURN = (0.005, 0.015)  # §6: T-Mobile 0.90–1.02 %, AT&T 0.83–0.87 % per month
PHONE_ARPU = (45.0, 70.0)  # §6: mobile line $45–70/mo (AT&T postpaid phone ARPU $56.64)
BROADBAND_ARPU = (60.0, 80.0)  # §6: broadband $60–80/mo (AT&T broadband $71.23, fiber $73.48)

_ASSET_STATUS = "vlocity_cmt__ProvisioningStatus__c"
_ASSET_RECURRING = "vlocity_cmt__RecurringTotal__c"
_ASSET_ACTIVATION = "vlocity_cmt__ActivationDate__c"
_ASSET_DISCONNECT = "vlocity_cmt__DisconnectDate__c"


@rule(
    "telecom.monthly-churn",
    "Postpaid phone lines churn 0.5–1.5 % a month over the last twelve months.",
    "Asset.Product_Family__c, vlocity_cmt__ActivationDate__c, vlocity_cmt__DisconnectDate__c",
    needs=(f"Asset.{_ASSET_ACTIVATION}", f"Asset.{_ASSET_DISCONNECT}", "Asset.Product_Family__c"),
)
def monthly_churn(a: Audit) -> Figure:
    """Postpaid phone churn 0.8–1.1 %/month (T-Mobile, AT&T 2025), DATAMODEL.md §6.

    Monthly churn = lines disconnected in the twelve months to the as-of date / the average of the
    lines in service at the start and at the end of those months / 12.
    """
    start = (a.as_of - timedelta(days=365)).isoformat()
    act, disc = _day(_q(_ASSET_ACTIVATION)), _day(_q(_ASSET_DISCONNECT))
    base_start, base_end, churned = a.rows(
        f"SELECT SUM(CASE WHEN {act} <= :start AND ({disc} IS NULL OR {disc} > :start) THEN 1 "
        f"ELSE 0 END), SUM(CASE WHEN {act} <= :today AND ({disc} IS NULL OR {disc} > :today) "
        f"THEN 1 ELSE 0 END), SUM(CASE WHEN {disc} > :start AND {disc} <= :today THEN 1 ELSE 0 "
        'END) FROM "Asset" WHERE "Product_Family__c" IN :families',
        start=start,
        today=a.today,
        families=PHONE_FAMILIES,
    )[0]
    average = ((base_start or 0) + (base_end or 0)) / 2
    if average <= 0:
        raise Skip("no phone lines in service")
    return _rate(
        "monthly churn (phone lines)",
        int(churned or 0),
        round(average),
        *MONTHLY_CHURN,
        scale=1 / 12,
    )


def _arpu(
    a: Audit, families: Sequence[str], band: tuple[float, float], what: str, noun: str
) -> Figure:
    values = [
        float(v)
        for (v,) in a.rows(
            f'SELECT {_q(_ASSET_RECURRING)} FROM "Asset" WHERE "Product_Family__c" IN :f AND '
            f"{_q(_ASSET_STATUS)} = :active AND {_q(_ASSET_RECURRING)} IS NOT NULL",
            f=families,
            active="Active",
        )
    ]
    return _mean_band(what, noun, values, *band)


@rule(
    "telecom.phone-arpu",
    "Active postpaid phone lines earn $45–70 a month on average (ARPU).",
    "Asset.Product_Family__c, vlocity_cmt__ProvisioningStatus__c, vlocity_cmt__RecurringTotal__c",
    needs=("Asset.Product_Family__c", f"Asset.{_ASSET_STATUS}", f"Asset.{_ASSET_RECURRING}"),
)
def phone_arpu(a: Audit) -> Figure:
    """AT&T postpaid phone ARPU $56.64 (Q3 2025); mobile line $45–70/mo (DATAMODEL.md §6)."""
    return _arpu(a, PHONE_FAMILIES, PHONE_ARPU, "phone ARPU", "active phone lines")


@rule(
    "telecom.broadband-arpu",
    "Active home internet services earn $60–80 a month on average.",
    "Asset.Product_Family__c, vlocity_cmt__ProvisioningStatus__c, vlocity_cmt__RecurringTotal__c",
    needs=("Asset.Product_Family__c", f"Asset.{_ASSET_STATUS}", f"Asset.{_ASSET_RECURRING}"),
)
def broadband_arpu(a: Audit) -> Figure:
    """AT&T broadband ARPU $71.23, fiber $73.48 (Q3 2025); $60–80/mo (DATAMODEL.md §6)."""
    return _arpu(
        a, BROADBAND_FAMILIES, BROADBAND_ARPU, "broadband ARPU", "active home internet services"
    )


@rule(
    "telecom.disconnect-dates",
    "Disconnected assets have a disconnect date on or before the as-of date; assets in service "
    "have none.",
    "Asset.vlocity_cmt__ProvisioningStatus__c, vlocity_cmt__DisconnectDate__c",
    needs=(f"Asset.{_ASSET_STATUS}", f"Asset.{_ASSET_DISCONNECT}"),
)
def disconnect_dates(a: Audit) -> Figure:
    """Asset provisioning status and DisconnectDate go together (DATAMODEL.md §4)."""
    st, disc = _q(_ASSET_STATUS), _q(_ASSET_DISCONNECT)
    n, undated, future, stray = a.rows(
        f"SELECT COUNT(*), SUM(CASE WHEN {st} = :off AND {disc} IS NULL THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {st} = :off AND {_day(disc)} > :today THEN 1 ELSE 0 END), "
        f'SUM(CASE WHEN {st} <> :off AND {disc} IS NOT NULL THEN 1 ELSE 0 END) FROM "Asset"',
        today=a.today,
        off="Disconnected",
    )[0]
    problems = []
    if undated:
        problems.append(f"{_n(undated)} disconnected assets without a disconnect date")
    if future:
        problems.append(f"{_n(future)} disconnected assets with a date after {a.today}")
    if stray:
        problems.append(f"{_n(stray)} assets in service with a disconnect date")
    return _problems(problems, n, "assets", f"{_n(n)} assets, disconnect dates consistent")


# =================================================================================================
# Finance: Financial Services Cloud (DATAMODEL.md §3.2)
# =================================================================================================

#: Deposit, investment and insurance accounts hold what the client owns: never below zero.
ASSET_ACCOUNT_TYPES = frozenset(
    {
        "Checking",
        "Savings",
        "CD",
        "Money Market",
        "Brokerage",
        "Discount Brokerage",
        "Cash Management Account",
        "Mutual Fund",
        "Fixed Annuity",
        "Variable Annuity",
        "Managed Account",
        "Equity Portfolio",
        "Bond Portfolio",
        "Investment",
        "Individual Life",
        "Term Life",
        "Variable Life",
        "Whole Life",
        "IRA",
        "Roth IRA",
        "401(k)",
    }
)
#: Credit accounts hold what the client owes: FSC shows the outstanding balance, not below zero.
LIABILITY_ACCOUNT_TYPES = frozenset(
    {
        "Credit Card",
        "Mortgage",
        "Auto Loan",
        "HELOC",
        "Loan",
        "Personal Loan",
        "Student Loan",
        "Line of Credit",
        "Term Loan",
        "SBA Loan",
    }
)
_FIN_OBJECTS = (
    (
        "FinServ__FinancialAccount__c",
        ("FinServ__FinancialAccountType__c",),
        ("FinServ__Balance__c",),
    ),
    ("FinancialAccount", ("Type", "FinancialAccountType"), ("Balance", "CurrentBalance")),
)


@rule(
    "finance.balance-sign",
    "Financial account balances have the right sign for their type: deposits, investments and "
    "policies are not negative, and loans and cards show what is owed as a positive balance.",
    "FinServ__FinancialAccount__c.FinServ__FinancialAccountType__c, FinServ__Balance__c "
    "(or FinancialAccount.Type, Balance)",
)
def balance_sign(a: Audit) -> Figure:
    """FinServ__FinancialAccountType__c values and FinServ__Balance__c (DATAMODEL.md §3.2)."""
    found = None
    for obj, types, balances in _FIN_OBJECTS:
        t = next((f for f in types if a.has(obj, f)), None)
        b = next((f for f in balances if a.has(obj, f)), None)
        if t and b:
            found = (obj, t, b)
            break
    if found is None:
        raise Skip("no financial accounts with a type and a balance")
    obj, tf, bf = found
    problems = []
    total = unknown = 0
    for kind, negative, count in a.rows(
        f"SELECT {_q(tf)}, CASE WHEN {_q(bf)} < 0 THEN 1 ELSE 0 END, COUNT(*) FROM {_q(obj)} "
        f"WHERE {_q(bf)} IS NOT NULL GROUP BY 1, 2"
    ):
        total += count
        if kind in ASSET_ACCOUNT_TYPES or kind in LIABILITY_ACCOUNT_TYPES:
            if negative:
                problems.append(f"{_n(count)} {kind} accounts with a negative balance")
        else:
            unknown += count
    note = f" ({_n(unknown)} of other types not checked)" if unknown else ""
    ok, passed = _problems(problems, total, "balances", f"{_n(total)} balances of the right sign")
    return ok + note, passed


@rule(
    "finance.available-credit",
    "Credit accounts owe no more than their limit, and AvailableCredit is the limit less the "
    "balance.",
    "FinServ__FinancialAccount__c.FinServ__TotalCreditLimit__c, FinServ__AvailableCredit__c, "
    "FinServ__Balance__c",
    needs=(
        "FinServ__FinancialAccount__c.FinServ__TotalCreditLimit__c",
        "FinServ__FinancialAccount__c.FinServ__AvailableCredit__c",
        "FinServ__FinancialAccount__c.FinServ__Balance__c",
    ),
)
def available_credit(a: Audit) -> Figure:
    """FinServ__AvailableCredit__c, FinServ__TotalCreditLimit__c, FinServ__Balance__c (§3.2)."""
    balance, limit = _q("FinServ__Balance__c"), _q("FinServ__TotalCreditLimit__c")
    available = _q("FinServ__AvailableCredit__c")
    n, over, wrong = a.rows(
        f"SELECT COUNT(*), SUM(CASE WHEN {balance} > {limit} + 0.01 THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {available} IS NOT NULL AND ABS({available} - ({limit} - {balance})) "
        f'> 0.01 THEN 1 ELSE 0 END) FROM "FinServ__FinancialAccount__c" WHERE {limit} IS NOT NULL '
        f"AND {balance} IS NOT NULL"
    )[0]
    problems = []
    if over:
        problems.append(f"{_n(over)} of {_n(n)} credit accounts owe more than their limit")
    if wrong:
        problems.append(f"{_n(wrong)} of {_n(n)} with AvailableCredit ≠ limit − balance")
    return _problems(problems, n, "credit accounts", f"{_n(n)} credit accounts within their limit")


# =================================================================================================
# Transportation: Automotive Cloud and freight (DATAMODEL.md §5)
# =================================================================================================

#: On-time delivery: truckload median 96.5 %, bottom quartile below 92 % (Supply Chain Consortium,
#: "Core Benchmarks: Transportation", 2013); LTL national average 93–95 % (nuvocargo.com, 2026);
#: PTL median 91.4 % across 14 carriers (traqo.ai PTL benchmarks 2025). DATAMODEL.md has no
#: on-time figure (§9 lists its gaps), so the band is taken from these.
ON_TIME_RATE = (0.88, 0.98)
_VIN_FIELDS = ("VehicleIdentificationNumber", "VIN", "Vin", "VIN__c", "Vin__c")


def _vin_fields(a: Audit, obj: str) -> list[str]:
    """The text fields of ``obj`` that hold a VIN."""
    return [
        f["name"]
        for f in a.fields(obj, "text")
        if f["name"] in _VIN_FIELDS or core_name(f["name"]) in _VIN_FIELDS
    ]


@rule(
    "transport.vin-check-digits",
    "Every VIN has 17 characters without I, O or Q and a valid check digit (position 9).",
    "VehicleIdentificationNumber / VIN fields",
)
def vin_check_digits(a: Audit) -> Figure:
    """VIN check digit per ISO 3779 / 49 CFR 565 (Automotive Cloud Vehicle, DATAMODEL.md §5)."""
    fields = [(obj, name) for obj in a.objects for name in _vin_fields(a, obj)]
    if not fields:
        raise Skip("no VIN fields")
    problems = []
    total = 0
    for obj, fld in fields:
        bad = []
        for (vin,) in a.rows(f"SELECT {_q(fld)} FROM {_q(obj)} WHERE {_q(fld)} IS NOT NULL"):
            total += 1
            if not vin_is_valid(str(vin)):
                bad.append(str(vin))
        if bad:
            problems.append(f"{obj}.{fld}: {_n(len(bad))} invalid VINs (e.g. {bad[0]})")
    return _problems(problems, max(total, 1), "VINs", f"{_n(total)} VINs with valid check digits")


@rule(
    "transport.vin-maker",
    "A VIN starts with its make's manufacturer code (WMI): 1XK… for a Kenworth, 4V4… for a Volvo.",
    "VIN fields on an object with a Make field",
)
def vin_maker(a: Audit) -> Figure:
    """The first three characters of a VIN name its manufacturer (ISO 3780; Automotive Cloud
    Vehicle, DATAMODEL.md §5): a fleet manager reading a Volvo's VIN that starts like a
    Kenworth's knows the data is made up."""
    checked = 0
    problems = []
    for obj in a.objects:
        make = next((m for m in ("Make__c", "Make") if a.has(obj, m)), None)
        vins = _vin_fields(a, obj)
        if make is None or not vins:
            continue
        for fld in vins:
            bad = []
            for vin, maker in a.rows(
                f"SELECT {_q(fld)}, {_q(make)} FROM {_q(obj)} WHERE {_q(fld)} IS NOT NULL"
            ):
                wmis = make_wmis(maker)
                if wmis is None:
                    continue
                checked += 1
                if str(vin)[:3] not in wmis:
                    bad.append(f"{vin} ({maker})")
            if bad:
                problems.append(
                    f"{obj}.{fld}: {_n(len(bad))} VINs of another maker (e.g. {bad[0]})"
                )
    return _problems(
        problems, checked, "VINs of known makes", f"{_n(checked)} VINs match their make"
    )


def _shipment(a: Audit) -> tuple[str, str, str]:
    for obj in ("Shipment__c", "Shipment"):
        status = next((f for f in ("Status__c", "Status") if a.has(obj, f)), None)
        on_time = next((f for f in ("OnTime__c", "IsOnTime__c", "OnTime") if a.has(obj, f)), None)
        if status and on_time:
            return obj, status, on_time
    raise Skip("no shipments with a status and an on-time flag")


@rule(
    "transport.on-time-rate",
    "88–98 % of delivered shipments are delivered on time.",
    "Shipment__c.Status__c, OnTime__c",
)
def on_time_rate(a: Audit) -> Figure:
    """Truckload on-time median 96.5 %, LTL 93–95 %, PTL 91.4 % (ON_TIME_RATE; not in DATAMODEL.md §6)."""
    obj, status, on_time = _shipment(a)
    n, k = a.rows(
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {_flag(_q(on_time))} = 1 THEN 1 ELSE 0 END), 0) "
        f"FROM {_q(obj)} WHERE {_q(status)} = :delivered",
        delivered="Delivered",
    )[0]
    return _rate("on-time rate (delivered shipments)", int(k), int(n), *ON_TIME_RATE)


@rule(
    "transport.on-time-matches-times",
    "A delivered shipment is flagged on time when it arrived by its planned delivery (an hour's "
    "grace) and late when it arrived after it.",
    "Shipment__c.OnTime__c, PlannedDelivery__c, ActualDelivery__c",
)
def on_time_matches(a: Audit) -> Figure:
    """The on-time flag is derived from planned vs actual delivery (DATAMODEL.md §5)."""
    obj, status, on_time = _shipment(a)
    planned = next((f for f in ("PlannedDelivery__c", "PlannedDelivery") if a.has(obj, f)), None)
    actual = next((f for f in ("ActualDelivery__c", "ActualDelivery") if a.has(obj, f)), None)
    if not planned or not actual:
        raise Skip("shipments have no planned and actual delivery times")
    late = f"{a.days_between(_q(actual), _q(planned))} * 24"
    flag = _flag(_q(on_time))
    n, false_on_time, false_late = a.rows(
        f"SELECT COUNT(*), SUM(CASE WHEN {flag} = 1 AND {late} > 1 THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {flag} = 0 AND {late} <= 0 THEN 1 ELSE 0 END) FROM {_q(obj)} "
        f"WHERE {_q(status)} = :delivered AND {_q(planned)} IS NOT NULL AND {_q(actual)} IS NOT "
        "NULL",
        delivered="Delivered",
    )[0]
    problems = []
    if false_on_time:
        problems.append(f"{_n(false_on_time)} flagged on time but over an hour late")
    if false_late:
        problems.append(f"{_n(false_late)} flagged late but delivered by the planned time")
    return _problems(problems, n, "delivered shipments", f"{_n(n)} deliveries, flag matches times")


# =================================================================================================
# Running the audit
# =================================================================================================


def check_rule_names(names: Iterable[str] | None) -> list[str] | None:
    """Returns the names if all are known rules; raises UsageError naming close ones otherwise."""
    if not names:
        return None
    out = []
    for name in names:
        if name not in RULES:
            close = difflib.get_close_matches(name, list(RULES), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else "see demoorg audit --list"
            raise UsageError(f"unknown rule {name!r} ({hint})")
        out.append(name)
    return out


def _missing(a: Audit, needs: Sequence[str]) -> str | None:
    for need in needs:
        obj, _, fld = need.partition(".")
        if obj == "RecordType":
            if "RecordType" not in a.tables:
                return need
        elif not (a.has(obj, fld) if fld else obj in a.objects):
            return need
    return None


def run_rule(a: Audit, r: Rule) -> RuleResult:
    """Runs one rule; a rule that breaks reports ``error`` with the exception, not a traceback.

    After an error the connection's transaction is rolled back, so the next rule starts afresh:
    PostgreSQL refuses every further statement of a transaction in which one has failed. The
    audit only reads, so nothing is lost.
    """
    started = time.perf_counter()
    missing = _missing(a, r.needs)
    if missing:
        return RuleResult(r, "skip", f"skipped: needs {missing}", time.perf_counter() - started)
    try:
        figure, passed = r.check(a)
        status: Status = "pass" if passed else "fail"
    except Skip as exc:
        figure, status = f"skipped: {exc}", "skip"
    except Exception as exc:  # a rule's bug must not hide the other rules' results
        figure, status = f"error: {type(exc).__name__}: {exc}", "error"
        _roll_back(a.conn)
    return RuleResult(r, status, figure, time.perf_counter() - started)


def _roll_back(conn: Connection) -> None:
    # A connection that is gone cannot roll back either; the next rule then reports that itself.
    with contextlib.suppress(Exception):
        conn.rollback()


def run_audit(org: Org, names: Sequence[str] | None = None) -> list[RuleResult]:
    """Runs the named rules (default: all, in registry order) against an open org."""
    rules = [RULES[n] for n in names] if names else list(RULES.values())
    with org.engine.connect() as conn:
        a = Audit(org, conn)
        return [run_rule(a, r) for r in rules]


_LABEL = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "error": "ERROR"}


def format_results(results: Sequence[RuleResult]) -> list[str]:
    """One line per rule, then a summary line."""
    width = max((len(r.rule.name) for r in results), default=10)
    lines = [f"{_LABEL[r.status]:<5}  {r.rule.name:<{width}}  {r.figure}" for r in results]
    lines.append(summary(results))
    return lines


def summary(results: Sequence[RuleResult]) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in _LABEL}
    seconds = sum(r.seconds for r in results)
    errors = f", {counts['error']} errors" if counts["error"] else ""
    return (
        f"{len(results)} rule{'' if len(results) == 1 else 's'}: {counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['skip']} skipped{errors} ({seconds:.2f} s)"
    )


def describe_rules() -> list[str]:
    """``--list``: each rule's name, what it applies to and what must hold."""
    width = max(len(n) for n in RULES)
    lines = []
    for r in RULES.values():
        lines.append(f"{r.name:<{width}}  {r.description}")
        lines.append(f"{'':<{width}}  applies to: {r.applies_to}")
    return lines


def rules_json() -> list[dict[str, str]]:
    return [
        {"rule": r.name, "area": r.area, "description": r.description, "applies_to": r.applies_to}
        for r in RULES.values()
    ]


def results_json(org: Org, results: Sequence[RuleResult]) -> dict[str, Any]:
    return {
        "org": org.location,
        "industry": org.build.get("industry"),
        "locale": org.build.get("locale"),
        "as_of": org.build.get("as_of"),
        "results": [r.as_dict() for r in results],
        "summary": {
            "rules": len(results),
            **{s: sum(1 for r in results if r.status == s) for s in _LABEL},
        },
    }
