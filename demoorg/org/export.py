"""Exports an org to Salesforce tooling: Data Loader CSVs, a CumulusCI dataset, or JSON.

Every export reads the org's own metadata (``org.meta["template"]["objects"]``), so it works on an
org copied from another laptop, and streams rows table by table in Id order: a million-row table
never sits in memory.

Three formats:

``dataloader``
    One CSV per object, loaded with Data Loader's (or the Bulk API's) *upsert* on the external id
    field ``Demo_External_Id__c``, which holds the demoorg Id. Lookups are written as
    relationship columns (``Account.Demo_External_Id__c``), so records link up in the target org
    without knowing its Ids; ``RecordTypeId`` becomes ``RecordType.DeveloperName``. A lookup that
    points at an object loaded later (a cycle), at its own object, or at more than one kind of
    object is filled in by a second-pass file (``<Object>.update.csv``). ``manifest.json`` and
    ``load-order.txt`` list the files parents first.

``cumulusci``
    An SQLite dataset plus ``mapping.yml`` for ``cci task run load_dataset``: one table per object
    keyed by ``id`` (``<Object>-<demoorg Id>``, the ``<table>-<n>`` form CumulusCI's own extract
    writes, which no loader mistakes for a Salesforce Id), lookups as ``lookups:`` with ``after:``
    where the target step comes later or is the step itself, and ``<Object>_rt_mapping`` tables
    for record types, as CumulusCI's ``extract_dataset`` writes them.

``json``
    The org's metadata and every record, one JSON document, streamed.

``User`` records and lookups to them are left out unless ``include_users`` is set: users in a real
org need licences, profiles and unique usernames a demo org does not have (CumulusCI's generated
mappings leave user lookups out for the same reason), and records then belong to whoever loads them.

Outputs are never written over silently: an existing non-empty folder or file needs ``force``, and
everything is written to a temporary sibling first, so a failed export leaves nothing half-done.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import math
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import yaml
from sqlalchemy import Connection

from demoorg import __version__
from demoorg.content import files
from demoorg.errors import UsageError
from demoorg.org.orgfile import Org
from demoorg.seeders.schema import quote

FORMATS = ("dataloader", "cumulusci", "json")

#: The external id field each object needs in the target org (Text, External ID, Unique).
EXTERNAL_ID = "Demo_External_Id__c"
#: Rows fetched from the org at a time.
BATCH = 5000
#: Salesforce fields that can point at more than one kind of object. Their relationship columns
#: name the target type (``Contact:Who.Demo_External_Id__c``), as the Bulk API requires.
SF_POLYMORPHIC_FIELDS = frozenset({"WhoId", "WhatId"})
#: Objects whose ``OwnerId`` may be a user or a queue, so is polymorphic in Salesforce.
SF_QUEUE_OWNED = frozenset({"Lead", "Case", "Task", "Event"})

#: Standard fields Salesforce computes itself (auto-numbers, roll-ups, compound names, formula-like
#: flags): never writable on insert, so they are left out of the Data Loader and CumulusCI exports
#: (the JSON export keeps everything). A best-effort list; other read-only fields of a target org
#: are skipped by Data Loader's field mapping or CumulusCI's ``drop_missing_schema``.
READ_ONLY_FIELDS: dict[str, frozenset[str]] = {
    "User": frozenset({"Name"}),
    "Contact": frozenset({"Name", "IsPersonAccount"}),
    "Lead": frozenset(
        {
            "Name",
            "ConvertedAccountId",
            "ConvertedContactId",
            "ConvertedOpportunityId",
            "ConvertedDate",
        }
    ),
    "Opportunity": frozenset({"IsClosed", "IsWon", "ExpectedRevenue"}),
    "OpportunityLineItem": frozenset({"Name", "ListPrice"}),
    "Pricebook2": frozenset({"IsStandard"}),
    "PricebookEntry": frozenset({"Name", "ProductCode"}),
    "Campaign": frozenset(
        {
            "AmountAllOpportunities",
            "AmountWonOpportunities",
            "NumberOfContacts",
            "NumberOfConvertedLeads",
            "NumberOfLeads",
            "NumberOfOpportunities",
            "NumberOfResponses",
            "NumberOfWonOpportunities",
        }
    ),
    "Case": frozenset({"CaseNumber", "IsClosed"}),
    "Contract": frozenset({"ContractNumber"}),
    "Order": frozenset({"OrderNumber", "TotalAmount"}),
    "ServiceAppointment": frozenset({"AppointmentNumber"}),
    "WorkOrder": frozenset({"WorkOrderNumber"}),
    "AssetWarranty": frozenset({"AssetWarrantyNumber"}),
}
#: System fields no object accepts on insert.
READ_ONLY_ANYWHERE = frozenset(
    {
        "IsDeleted",
        "SystemModstamp",
        "LastModifiedDate",
        "LastModifiedById",
        "LastActivityDate",
        "LastViewedDate",
        "LastReferencedDate",
    }
)

_DATALOADER_FORMAT = "demoorg-dataloader"
_CUMULUSCI_FORMAT = "demoorg-cumulusci"
_JSON_FORMAT = "demoorg-json"
_EXPORT_FORMAT_VERSION = 1
_TEMP_MARK = files.EXPORT_MARK


@dataclass(frozen=True, slots=True)
class Lookup:
    """A stored lookup field and the exported objects it can point at."""

    field: str
    targets: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """One exported object: its stored columns (``Id`` first) and their types."""

    name: str
    columns: tuple[str, ...]
    types: dict[str, str]
    lookups: tuple[Lookup, ...]
    key_prefix: str

    @property
    def has_record_type(self) -> bool:
        return "RecordTypeId" in self.types

    def lookup(self, name: str) -> Lookup | None:
        return next((lk for lk in self.lookups if lk.field == name), None)


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """Objects in load order (parents first) and the lookups a second pass must fill in.

    ``deferred[obj]`` holds the lookups of ``obj`` whose target is ``obj`` itself or an object
    loaded after it: those cycles are broken by loading the records without them and updating
    them once every target exists.
    """

    objects: tuple[ObjectPlan, ...]
    deferred: dict[str, tuple[str, ...]]
    skipped: tuple[dict[str, str], ...]

    @property
    def order(self) -> list[str]:
        return [o.name for o in self.objects]

    def position(self) -> dict[str, int]:
        return {o.name: i for i, o in enumerate(self.objects)}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote: where, in which format, and the rows of each object."""

    path: str
    format: str
    counts: dict[str, int]
    files: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


# --- the plan --------------------------------------------------------------------------------------


def plan_export(org: Org, *, include_users: bool = False) -> LoadPlan:
    """The load plan of an org's objects (see :func:`plan_objects`)."""
    return plan_objects(org.objects(), include_users=include_users)


def plan_objects(objects: list[dict[str, Any]], *, include_users: bool = False) -> LoadPlan:
    """Works out which objects and fields are exported, in which order.

    Only stored fields are exported, less the ones Salesforce computes itself
    (:data:`READ_ONLY_FIELDS`) and lookups to objects that are not exported; each left-out object
    or field is listed in ``skipped`` with the reason.

    Objects are ordered so each comes after the objects its lookups point at; when lookups form
    a cycle, the object whose unresolved lookups are fewest (required ones counting first) is
    loaded first and those lookups are deferred. Ties keep the template's own order, so the plan
    is the same for the same org.

    Args:
        objects: the org's object metadata (``org.meta["template"]["objects"]``).
        include_users: export ``User`` records and the lookups that point at them.
    """
    metas = [o for o in objects if include_users or o["name"] != "User"]
    names = {o["name"] for o in metas}
    skipped: list[dict[str, str]] = []
    if not include_users and any(o["name"] == "User" for o in objects):
        skipped.append(
            {
                "object": "User",
                "reason": "users need licences and profiles in a real org (export with --with-users to include them)",
            }
        )
    plans: list[ObjectPlan] = []
    for o in metas:
        columns: list[str] = []
        types: dict[str, str] = {}
        lookups: list[Lookup] = []
        for f in o["fields"]:
            if not f.get("store", True):
                continue
            name, ftype = f["name"], f["type"]
            if name in READ_ONLY_ANYWHERE or name in READ_ONLY_FIELDS.get(o["name"], ()):
                skipped.append(
                    {
                        "object": o["name"],
                        "field": name,
                        "reason": "computed by Salesforce (not writable on insert)",
                    }
                )
                continue
            if ftype == "lookup" and name != "RecordTypeId":
                refs = tuple(f.get("reference_to") or ())
                targets = tuple(t for t in refs if t in names)
                if not targets:
                    skipped.append(
                        {
                            "object": o["name"],
                            "field": name,
                            "reason": f"points at {', '.join(refs) or 'nothing'}, which is not exported",
                        }
                    )
                    continue
                lookups.append(Lookup(name, targets, bool(f.get("required"))))
            columns.append(name)
            types[name] = ftype
        if "Id" not in types:
            columns.insert(0, "Id")
            types["Id"] = "id"
        elif columns[0] != "Id":
            columns.remove("Id")
            columns.insert(0, "Id")
        plans.append(
            ObjectPlan(o["name"], tuple(columns), types, tuple(lookups), o.get("key_prefix", ""))
        )
    ordered = _order(plans)
    pos = {p.name: i for i, p in enumerate(ordered)}
    deferred = {
        p.name: tuple(
            lk.field for lk in p.lookups if any(pos[t] >= pos[p.name] for t in lk.targets)
        )
        for p in ordered
    }
    return LoadPlan(tuple(ordered), {k: v for k, v in deferred.items() if v}, tuple(skipped))


def _order(plans: list[ObjectPlan]) -> list[ObjectPlan]:
    remaining = list(plans)
    placed: list[ObjectPlan] = []
    done: set[str] = set()

    def pending(p: ObjectPlan) -> list[Lookup]:
        return [lk for lk in p.lookups if any(t not in done and t != p.name for t in lk.targets)]

    while remaining:
        ready = [p for p in remaining if not pending(p)]
        if ready:
            choice = ready[0]
        else:  # a cycle: break it where it costs least
            choice = min(
                remaining,
                key=lambda p: (
                    sum(lk.required for lk in pending(p)),
                    len(pending(p)),
                    remaining.index(p),
                ),
            )
        remaining.remove(choice)
        placed.append(choice)
        done.add(choice.name)
    return placed


def relationship_name(field_name: str) -> str:
    """The relationship name of a lookup field: ``AccountId`` → ``Account``, ``Foo__c`` → ``Foo__r``."""
    if field_name.endswith("__c"):
        return field_name[:-3] + "__r"
    if field_name.endswith("Id") and len(field_name) > 2:
        return field_name[:-2]
    return field_name


def is_sf_polymorphic(obj: str, lookup: Lookup) -> bool:
    """Whether Salesforce treats the field as polymorphic (its header must name the target type)."""
    if len(lookup.targets) > 1 or lookup.field in SF_POLYMORPHIC_FIELDS:
        return True
    return lookup.field == "OwnerId" and (obj in SF_QUEUE_OWNED or obj.endswith("__c"))


def relationship_column(obj: str, lookup: Lookup, target: str) -> str:
    """The Data Loader header for a lookup filled through the target's external id."""
    rel = f"{relationship_name(lookup.field)}.{EXTERNAL_ID}"
    return f"{target}:{rel}" if is_sf_polymorphic(obj, lookup) else rel


# --- values ------------------------------------------------------------------------------------------


def _text(v: Any) -> Any:
    return v if v is None or isinstance(v, str) else str(v)


def _boolean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, str):
        return "true" if v.strip().lower() in ("1", "true", "t", "yes") else "false"
    return "true" if v else "false"


def _date(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)[:10]


def _datetime(v: Any) -> Any:
    """ISO 8601 in UTC with milliseconds, the form the Bulk API documents: 2026-11-23T09:30:00.000Z."""
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        if len(s) == 19 and s[4] == "-" and s[10] in " T":
            return f"{s[:10]}T{s[11:19]}.000Z"
        try:
            v = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return s
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    if isinstance(v, date):
        return f"{v.isoformat()}T00:00:00.000Z"
    return str(v)


def _number(v: Any) -> Any:
    """A plain decimal (no exponent, no trailing .0), which every Salesforce loader reads."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        text = repr(v)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral() else format(v, "f")
    return str(v)


_TEXT_FORMATTERS: dict[str, Callable[[Any], Any]] = {
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "number": _number,
    "currency": _number,
    "percent": _number,
}


def text_formatter(ftype: str) -> Callable[[Any], Any]:
    """Value → text (or None) in Salesforce's load formats for a field type."""
    return _TEXT_FORMATTERS.get(ftype, _text)


def _json_value(ftype: str) -> Callable[[Any], Any]:
    if ftype == "boolean":
        return lambda v: None if v is None else bool(v) if not isinstance(v, str) else v == "true"
    if ftype in ("number", "currency", "percent"):

        def num(v: Any) -> Any:
            if isinstance(v, Decimal):
                return float(v)
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v

        return num
    if ftype == "date":
        return _date
    if ftype == "datetime":
        return _datetime
    return _text


# --- reading ------------------------------------------------------------------------------------------


def _rows(conn: Connection, table: str, columns: tuple[str, ...]) -> Iterator[Any]:
    cols = ", ".join(quote(c) for c in columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).exec_driver_sql(
        f"SELECT {cols} FROM {quote(table)} ORDER BY {quote('Id')}"
    )
    for part in result.partitions():
        yield from part


def _record_types(conn: Connection) -> list[tuple[str, str, str, str]]:
    """(Id, SobjectType, DeveloperName, Name) of every record type, in Id order."""
    rows = conn.exec_driver_sql(
        'SELECT "Id", "SobjectType", "DeveloperName", "Name" FROM "RecordType" ORDER BY "Id"'
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


class _TargetResolver:
    """Which object an Id belongs to, from its key prefix (for lookups with several targets)."""

    def __init__(self, plan: LoadPlan) -> None:
        self.by_prefix: dict[str, str] = {}
        for o in plan.objects:
            self.by_prefix.setdefault(o.key_prefix, o.name)

    def target(self, lookup: Lookup, value: str) -> str | None:
        if len(lookup.targets) == 1:
            return lookup.targets[0]
        obj = self.by_prefix.get(value[:3])
        return obj if obj in lookup.targets else None


# --- output targets ---------------------------------------------------------------------------------


def check_output(out: str | Path, fmt: str, force: bool) -> None:
    """Refuses an output that would overwrite something without ``force``, before any work.

    Raises:
        UsageError: unknown format; the folder's parent is missing or read-only; a folder output
            is a file, or is a non-empty folder without ``force``; a file output is a folder, or
            exists without ``force``.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    if fmt == "json" and str(out) == "-":
        return
    path = Path(out)
    parent = Path(os.path.abspath(path)).parent
    if not parent.is_dir():
        raise UsageError(f"folder {parent} does not exist (expected an existing folder)")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"folder {parent} is read-only (expected a folder you can write to)")
    if fmt == "json":
        if path.is_dir():
            raise UsageError(f"{path} is a folder (expected a file path such as org.json)")
        if path.exists() and not force:
            raise UsageError(f"{path} already exists (pass --force to replace it)")
        return
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file (expected a folder for the {fmt} export)")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise UsageError(
            f"{path} is a folder that is not empty (pass --force to write into it; "
            "files of the same name are replaced)"
        )


def _temp_sibling(path: Path) -> Path:
    return files.temp_name(path, _TEMP_MARK)


def _kept(out: Path) -> str:
    return "the previous export is unchanged" if out.exists() else "nothing was written"


def _write_fault(exc: BaseException) -> OSError | None:
    """The OS error behind a failed write of the export, or None when it is something else.

    Only errors of the export's own files count: the dataset's raw sqlite3 connection reports a
    full or read-only disk as sqlite3 errors. Reading the org goes through SQLAlchemy, whose errors
    are not write faults and keep their own message.
    """
    if isinstance(exc, OSError):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        faults = {8: errno.EROFS, 10: errno.EIO, 13: errno.ENOSPC, 14: errno.EACCES}
        if code in faults:
            return OSError(faults[code], str(exc))
    return None


def _flush_to_disk(folder: Path, names: list[str]) -> None:
    """fsyncs the finished files, so the rename never publishes files still only in memory."""
    for name in names:
        fd = os.open(folder / name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    files.fsync_dir(folder)


def _commit_folder(tmp: Path, out: Path, produced: list[str]) -> None:
    """Moves the finished export into place.

    A new or empty folder simply receives the files. Into a non-empty folder (``--force``), each
    file replaces the one of the same name, and files an earlier demoorg export of that folder
    listed in its manifest but this one did not write are removed; anything else stays.
    """
    _flush_to_disk(tmp, produced)
    if not out.exists():
        os.rename(tmp, out)
        files.fsync_dir(out.parent)
        return
    stale: set[str] = set()
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        old = json.loads((out / "manifest.json").read_text("utf-8"))
        if str(old.get("format", "")).startswith("demoorg-"):
            stale = {
                f
                for f in old.get("files", [])
                if isinstance(f, str) and "/" not in f and "\\" not in f and not f.startswith(".")
            }
    for name in produced:
        os.replace(tmp / name, out / name)
    for name in sorted(stale - set(produced)):
        with contextlib.suppress(OSError):
            (out / name).unlink()
    shutil.rmtree(tmp, ignore_errors=True)
    files.fsync_dir(out)


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A hidden folder beside ``out`` to write the export into; removed if anything fails.

    A failed write (disk full, read-only folder) becomes one clear line; leftovers of exports
    that were killed are removed first.
    """
    tmp = _temp_sibling(out)
    files.remove_stale_temps(tmp.parent, (_TEMP_MARK,))
    kept = _kept(out)
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        yield tmp
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        fault = _write_fault(exc)
        if fault is not None:
            raise files.write_failed("export", out, fault, kept) from None
        raise


def _org_summary(org: Org) -> dict[str, Any]:
    b = org.build
    return {
        "location": str(org.location),
        "industry": b.get("industry"),
        "template_label": b.get("template_label"),
        "prospect": org.meta.get("prospect", {}).get("name"),
        "release": b.get("release"),
        "api_version": b.get("api_version"),
        "as_of": b.get("as_of"),
        "seed": b.get("seed"),
    }


# --- Data Loader ------------------------------------------------------------------------------------


@dataclass
class _CsvOut:
    file: str
    fh: IO[str]
    writer: Any
    header: list[str]
    rows: int = 0
    fields: list[str] = field(default_factory=list)


def _open_csv(folder: Path, name: str, header: list[str]) -> _CsvOut:
    # UTF-8 without a byte-order mark and LF line ends: what the Bulk API expects by default.
    fh = (folder / name).open("w", encoding="utf-8", newline="")
    try:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
    except BaseException:
        fh.close()
        raise
    return _CsvOut(name, fh, writer, header)


def _close_all(outs: list[_CsvOut]) -> None:
    """Closes every file (closing flushes, which may fail too); raises the first failure."""
    first: OSError | None = None
    for out in outs:
        try:
            out.fh.close()
        except OSError as exc:
            first = first or exc
    if first is not None:
        raise first


def export_dataloader(
    org: Org, out: str | Path, *, force: bool = False, include_users: bool = False
) -> ExportResult:
    """Writes one Data Loader CSV per object, second-pass update files, and the load order.

    Raises:
        UsageError: the output would overwrite something without ``force``.
    """
    out = Path(out)
    check_output(out, "dataloader", force)
    plan = plan_export(org, include_users=include_users)
    resolver = _TargetResolver(plan)
    counts: dict[str, int] = {}
    steps: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    produced: list[str] = []
    with _staging(out) as tmp, org.engine.connect() as conn:
        rts = _record_types(conn)
        rt_names = {rid: dev for rid, _obj, dev, _label in rts}
        record_types: dict[str, list[str]] = {}
        for _rid, obj, dev, _label in rts:
            record_types.setdefault(obj, []).append(dev)
        for op in plan.objects:
            deferred = set(plan.deferred.get(op.name, ()))
            main_header = [EXTERNAL_ID]
            main_cols: list[tuple[int, Callable[[Any], Any]]] = []
            later: list[tuple[int, Lookup]] = []  # second-pass lookups with one target
            poly: list[tuple[int, Lookup]] = []  # lookups with several targets
            for i, col in enumerate(op.columns):
                if col == "Id":
                    continue
                lk = op.lookup(col)
                if col == "RecordTypeId":
                    main_header.append("RecordType.DeveloperName")
                    main_cols.append((i, lambda v: None if v is None else rt_names.get(v)))
                elif lk is None:
                    main_header.append(col)
                    main_cols.append((i, text_formatter(op.types[col])))
                elif len(lk.targets) > 1:
                    poly.append((i, lk))
                elif col in deferred:
                    later.append((i, lk))
                else:
                    main_header.append(relationship_column(op.name, lk, lk.targets[0]))
                    main_cols.append((i, _text))
            pass2: dict[str | None, _CsvOut] = {}
            opened: list[_CsvOut] = []  # closed below even when opening the next one fails
            try:
                main = _open_csv(tmp, f"{op.name}.csv", main_header)
                opened.append(main)
                if later:
                    pass2[None] = _open_csv(
                        tmp,
                        f"{op.name}.update.csv",
                        [EXTERNAL_ID]
                        + [relationship_column(op.name, lk, lk.targets[0]) for _i, lk in later],
                    )
                    pass2[None].fields = [lk.field for _i, lk in later]
                    opened.append(pass2[None])
                targets = sorted({t for _i, lk in poly for t in lk.targets}, key=plan.order.index)
                for t in targets:
                    cols = [lk for _i, lk in poly if t in lk.targets]
                    pass2[t] = _open_csv(
                        tmp,
                        f"{op.name}.update-{t}.csv",
                        [EXTERNAL_ID] + [relationship_column(op.name, lk, t) for lk in cols],
                    )
                    pass2[t].fields = [lk.field for lk in cols]
                    opened.append(pass2[t])
                write_main = main.writer.writerow
                n = 0
                for row in _rows(conn, op.name, op.columns):
                    ext = row[0]
                    write_main([ext] + [fmt(row[i]) for i, fmt in main_cols])
                    n += 1
                    if later:
                        values = [row[i] for i, _lk in later]
                        if any(v is not None for v in values):
                            pass2[None].writer.writerow([ext, *values])
                            pass2[None].rows += 1
                    if poly:
                        by_target: dict[str, list[Any]] = {}
                        for i, lk in poly:
                            v = row[i]
                            t = resolver.target(lk, v) if v else None
                            if t is None:
                                continue
                            slot = by_target.setdefault(t, [None] * len(pass2[t].fields))
                            slot[pass2[t].fields.index(lk.field)] = v
                        for t, values in by_target.items():
                            pass2[t].writer.writerow([ext, *values])
                            pass2[t].rows += 1
                main.rows = n
            finally:
                _close_all(opened)
            counts[op.name] = main.rows
            produced.append(main.file)
            steps.append(
                {
                    "object": op.name,
                    "file": main.file,
                    "operation": "upsert",
                    "external_id": EXTERNAL_ID,
                    "rows": main.rows,
                    "columns": main.header,
                }
            )
            for w in pass2.values():
                produced.append(w.file)
                updates.append(
                    {
                        "object": op.name,
                        "file": w.file,
                        "operation": "upsert",
                        "external_id": EXTERNAL_ID,
                        "rows": w.rows,
                        "fields": w.fields,
                        "columns": w.header,
                    }
                )
        all_steps = [
            {"step": i + 1, "pass": 1 if i < len(steps) else 2, **s}
            for i, s in enumerate(steps + updates)
        ]
        manifest = {
            "format": _DATALOADER_FORMAT,
            "format_version": _EXPORT_FORMAT_VERSION,
            "demoorg_version": __version__,
            "org": _org_summary(org),
            "external_id_field": EXTERNAL_ID,
            "load_order": plan.order,
            "deferred_lookups": {k: list(v) for k, v in plan.deferred.items()},
            "steps": all_steps,
            "record_types": {o: record_types[o] for o in plan.order if o in record_types},
            "skipped": list(plan.skipped),
            "files": [*produced, "manifest.json", "load-order.txt"],
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8"
        )
        (tmp / "load-order.txt").write_text(_load_order_text(manifest), "utf-8")
        produced += ["manifest.json", "load-order.txt"]
        _commit_folder(tmp, out, produced)
    return ExportResult(str(out), "dataloader", counts, tuple(produced))


def _load_order_text(manifest: dict[str, Any]) -> str:
    ext = manifest["external_id_field"]
    lines = [
        "# demoorg Data Loader export: load the files in this order with Upsert,",
        f"# matching on the external id field {ext}.",
        f"# Before loading, create {ext} (Text(18), External ID, Unique) on every object below,",
        "# and the record types listed at the end. Files are UTF-8 CSV with LF line ends.",
        "",
    ]
    steps = manifest["steps"]
    wf = max((len(s["file"]) for s in steps), default=10)
    wo = max((len(s["object"]) for s in steps), default=10)
    second = False
    for s in steps:
        if s["pass"] == 2 and not second:
            second = True
            lines += ["", "# Second pass: lookups to records loaded later, to the same object,"]
            lines += ["# or to more than one kind of object (one file per target object)."]
        extra = f"   fills {', '.join(s['fields'])}" if s["pass"] == 2 else ""
        lines.append(
            f"{s['step']:>3}. {s['object']:<{wo}}  {s['file']:<{wf}}  {s['rows']:>9,} rows{extra}"
        )
    if manifest["record_types"]:
        lines += ["", "# Record types the target org needs (matched by DeveloperName):"]
        for obj, devs in manifest["record_types"].items():
            lines.append(f"#   {obj}: {', '.join(devs)}")
    for s in manifest["skipped"]:
        what = f"{s['object']}.{s['field']}" if "field" in s else s["object"]
        lines.append(f"# Not exported: {what}: {s['reason']}")
    return "\n".join(lines) + "\n"


# --- CumulusCI ----------------------------------------------------------------------------------------

#: Keys of a mapping step and of a lookup, as CumulusCI's ``mapping_parser.py`` declares them
#: (``MappingStep`` and ``MappingLookup``); the exporter writes only these.
CCI_STEP_KEYS = frozenset(
    {
        "sf_object",
        "table",
        "fields",
        "lookups",
        "static",
        "filters",
        "action",
        "api",
        "batch_size",
        "oid_as_pk",
        "record_type",
        "bulk_mode",
        "anchor_date",
        "soql_filter",
        "update_key",
        "select_options",
    }
)
CCI_LOOKUP_KEYS = frozenset(
    {
        "table",
        "key_field",
        "value_field",
        "join_field",
        "after",
        "aliased_table",
        "parent_tables",
        "name",
    }
)
CCI_DATABASE = "dataset.db"
CCI_MAPPING = "mapping.yml"


def cci_step_name(obj: str) -> str:
    return f"Insert {obj}"


def cumulusci_mapping(plan: LoadPlan) -> dict[str, dict[str, Any]]:
    """The ``mapping.yml`` steps for a plan, in load order."""
    pos = plan.position()
    steps: dict[str, dict[str, Any]] = {}
    for op in plan.objects:
        fields = [c for c in op.columns if c != "Id" and op.lookup(c) is None]
        step: dict[str, Any] = {"sf_object": op.name, "table": op.name, "fields": fields}
        lookups: dict[str, Any] = {}
        for lk in op.lookups:
            spec: dict[str, Any] = {
                "table": list(lk.targets) if len(lk.targets) > 1 else lk.targets[0]
            }
            last = max(lk.targets, key=lambda t: pos[t])
            if pos[last] >= pos[op.name]:
                spec["after"] = cci_step_name(last)
            lookups[lk.field] = spec
        if lookups:
            step["lookups"] = lookups
        steps[cci_step_name(op.name)] = step
    return steps


def _cci_formatter(op: ObjectPlan, column: str, resolver: _TargetResolver) -> Callable[[Any], Any]:
    """Lookups hold the parent's dataset id (``Account-001…``); other values their load text."""
    lk = op.lookup(column)
    if lk is None:
        return text_formatter(op.types[column])
    if len(lk.targets) == 1:
        prefix = f"{lk.targets[0]}-"
        return lambda v: None if v is None else prefix + v

    def polymorphic(v: Any) -> Any:
        target = resolver.target(lk, v) if v else None
        return None if target is None else f"{target}-{v}"

    return polymorphic


def export_cumulusci(
    org: Org, out: str | Path, *, force: bool = False, include_users: bool = False
) -> ExportResult:
    """Writes a CumulusCI dataset: ``dataset.db`` (SQLite) and ``mapping.yml``.

    Load it with ``cci task run load_dataset -o mapping OUT/mapping.yml
    -o database_url sqlite:///OUT/dataset.db``.

    Raises:
        UsageError: the output would overwrite something without ``force``.
    """
    out = Path(out)
    check_output(out, "cumulusci", force)
    plan = plan_export(org, include_users=include_users)
    resolver = _TargetResolver(plan)
    counts: dict[str, int] = {}
    with _staging(out) as tmp, org.engine.connect() as conn:
        db = sqlite3.connect(tmp / CCI_DATABASE)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            rts = _record_types(conn)
            for op in plan.objects:
                cols = [c for c in op.columns if c != "Id"]
                decl = ",\n\t".join(f"{quote(c)} VARCHAR(255)" for c in cols)
                db.execute(
                    f"CREATE TABLE {quote(op.name)} (\n\tid VARCHAR(255) NOT NULL, \n\t"
                    + (decl + ", \n\t" if decl else "")
                    + "PRIMARY KEY (id)\n)"
                )
                fmts = [_cci_formatter(op, c, resolver) for c in cols]
                marks = ", ".join("?" for _ in range(len(cols) + 1))
                sql = f"INSERT INTO {quote(op.name)} VALUES ({marks})"
                batch: list[list[Any]] = []
                n = 0
                prefix = f"{op.name}-"
                for row in _rows(conn, op.name, op.columns):
                    values = [f(v) for f, v in zip(fmts, row[1:], strict=True)]
                    batch.append([prefix + row[0], *values])
                    if len(batch) >= BATCH:
                        db.executemany(sql, batch)
                        n += len(batch)
                        batch.clear()
                if batch:
                    db.executemany(sql, batch)
                    n += len(batch)
                counts[op.name] = n
                if op.has_record_type:
                    table = f"{op.name}_rt_mapping"
                    db.execute(
                        f"CREATE TABLE {quote(table)} (\n\trecord_type_id VARCHAR(18) NOT NULL, "
                        "\n\tdeveloper_name VARCHAR(255), \n\tis_person_type BOOLEAN, "
                        "\n\tPRIMARY KEY (record_type_id)\n)"
                    )
                    db.executemany(
                        f"INSERT INTO {quote(table)} VALUES (?, ?, ?)",
                        [
                            (rid, dev, 1 if dev == "PersonAccount" else 0)
                            for rid, obj, dev, _label in rts
                            if obj == op.name
                        ],
                    )
            db.commit()
        finally:
            db.close()
        mapping = cumulusci_mapping(plan)
        header = (
            f"# CumulusCI dataset exported by demoorg {__version__} from {org.location}\n"
            f"# Load with: cci task run load_dataset -o mapping {CCI_MAPPING} "
            f"-o database_url sqlite:///{CCI_DATABASE}\n"
            "# (paths relative to where you run cci; add -o drop_missing_schema True to skip\n"
            "# fields the target org does not have or cannot write).\n"
        )
        (tmp / CCI_MAPPING).write_text(
            header
            + yaml.safe_dump(
                mapping, sort_keys=False, allow_unicode=True, default_flow_style=False
            ),
            "utf-8",
        )
        produced = [CCI_DATABASE, CCI_MAPPING, "manifest.json"]
        manifest = {
            "format": _CUMULUSCI_FORMAT,
            "format_version": _EXPORT_FORMAT_VERSION,
            "demoorg_version": __version__,
            "org": _org_summary(org),
            "load_order": plan.order,
            "deferred_lookups": {k: list(v) for k, v in plan.deferred.items()},
            "counts": counts,
            "skipped": list(plan.skipped),
            "load_command": (
                f"cci task run load_dataset -o mapping {CCI_MAPPING} "
                f"-o database_url sqlite:///{CCI_DATABASE}"
            ),
            "files": produced,
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8"
        )
        _commit_folder(tmp, out, produced)
    return ExportResult(str(out), "cumulusci", counts, tuple(produced))


# --- JSON ---------------------------------------------------------------------------------------------


def export_json(org: Org, out: str | Path, *, force: bool = False) -> ExportResult:
    """Writes the org's metadata and every record as one JSON document (``-`` for stdout).

    The document is ``{"format", "format_version", "demoorg_version", "meta", "record_types",
    "objects": {"Account": {"records": [...], "count": n}, ...}}``; records carry API field names,
    booleans and numbers as JSON values, dates as ``YYYY-MM-DD`` and datetimes as
    ``YYYY-MM-DDTHH:MM:SS.000Z``.

    Raises:
        UsageError: the output would overwrite something without ``force``.
    """
    check_output(out, "json", force)
    if str(out) == "-":
        counts = _write_json(org, sys.stdout)
        sys.stdout.flush()
        return ExportResult("-", "json", counts)
    path = Path(out)
    tmp = _temp_sibling(path)
    files.remove_stale_temps(tmp.parent, (_TEMP_MARK,))
    kept = _kept(path)
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            counts = _write_json(org, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        files.fsync_dir(tmp.parent)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        fault = _write_fault(exc)
        if fault is not None:
            raise files.write_failed("export", path, fault, kept) from None
        raise
    return ExportResult(str(path), "json", counts, (path.name,))


def _write_json(org: Org, fh: IO[str]) -> dict[str, int]:
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    counts: dict[str, int] = {}
    head = {
        "format": _JSON_FORMAT,
        "format_version": _EXPORT_FORMAT_VERSION,
        "demoorg_version": __version__,
    }
    fh.write("{" + dump(head)[1:-1])
    fh.write(',\n"meta":' + dump(org.meta))
    with org.engine.connect() as conn:
        rts = [
            {"Id": rid, "SobjectType": obj, "DeveloperName": dev, "Name": label}
            for rid, obj, dev, label in _record_types(conn)
        ]
        fh.write(',\n"record_types":' + dump(rts))
        fh.write(',\n"objects":{')
        for n_obj, o in enumerate(org.objects()):
            columns = tuple(
                f["name"] for f in o["fields"] if f.get("store", True) and f["type"] != "id"
            )
            columns = ("Id", *columns)
            types = {f["name"]: f["type"] for f in o["fields"]}
            convert = [_json_value(types.get(c, "id")) for c in columns]
            fh.write(("," if n_obj else "") + f'\n{dump(o["name"])}:{{"records":[')
            n = 0
            for row in _rows(conn, o["name"], columns):
                record = {c: f(v) for c, f, v in zip(columns, convert, row, strict=True)}
                fh.write(("," if n else "") + "\n" + dump(record))
                n += 1
            fh.write(f'],"count":{n}}}')
            counts[o["name"]] = n
        fh.write("}}\n")
    return counts


# --- entry point --------------------------------------------------------------------------------------


def export_org(
    org: Org, fmt: str, out: str | Path, *, force: bool = False, include_users: bool = False
) -> ExportResult:
    """Exports ``org`` in ``fmt`` (``dataloader``, ``cumulusci`` or ``json``) to ``out``."""
    if fmt == "dataloader":
        return export_dataloader(org, out, force=force, include_users=include_users)
    if fmt == "cumulusci":
        return export_cumulusci(org, out, force=force, include_users=include_users)
    if fmt == "json":
        return export_json(org, out, force=force)
    raise UsageError(f"unknown export format {fmt!r} (expected one of: {', '.join(FORMATS)})")
