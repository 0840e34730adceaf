"""Live actions as commands: each one changes the working copy and remembers how to undo it.

A story's live actions (:class:`demoorg.content.stories.Action`) are whitelisted: update fields,
create a record, log an activity, advance a stage, convert a lead, close a case. There is no free
SQL; values come from the story (checked against the template when it was loaded) and every
statement is parameterised.

Before a row is first changed, :class:`_Recorder` reads the whole row; an inserted row is noted by
its Id. :meth:`LiveData.undo` writes the old rows back and deletes the inserted ones, in reverse
order, so Back, Jump and Reset leave every table exactly as it was. Derived fields follow the
fields they derive from: a ``from``/``map`` field (``Probability`` from ``StageName``, ``IsClosed``
from ``Status``) and an ``expr`` over the record's own numbers (``ExpectedRevenue``) are recomputed
with the record, and so are the roll-ups on its parents (a household's deposits follow a savings
account's balance, an opportunity's amount its line items, a campaign's won amount that opportunity),
the parents' rows recorded like any other so that undo restores them too.

The same statements run on an org file and on a server org (PostgreSQL): every identifier is
quoted (PostgreSQL folds bare names to lower case), values are adapted to their column's type
(PostgreSQL takes no 0/1 for a boolean), and the few SQL functions whose forms differ are written
in both engines' common subset. Live actions need only the org's metadata and these statements;
:class:`demoorg.org.query.OrgReader` is consulted only for a ``where`` condition on a field of a
looked-up record (``Account.Industry``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect

from demoorg.content.model import Where
from demoorg.content.stories import Action, DateValue, RecordRef, converted_status
from demoorg.content.template import auto_number
from demoorg.org.dates import offset_converter
from demoorg.org.orgfile import Org
from demoorg.present.events import Changes
from demoorg.present.workcopy import PresentError
from demoorg.seeders.ids import IdMaker
from demoorg.seeders.schema import expr_sql, quote, where_sql

if TYPE_CHECKING:
    from demoorg.org.query import OrgReader

#: A date-time offset without a time of day counts from this hour of the org's today.
DAY_START = 9
#: Record type Ids start with this key prefix.
RECORD_TYPE_PREFIX = "012"
#: ``WHERE "Id" = ?``: a record by its Id (quoted: PostgreSQL folds bare names to lower case).
BY_ID = f"WHERE {quote('Id')} = ?"


@dataclass
class ActionRecord:
    """What one performed live action changed, enough to undo it exactly.

    ``rows`` lists ``(object, Id, old row)`` in the order rows were first touched; the old row is
    ``None`` for a row the action inserted. ``created`` maps the ``new.<key>`` names it registered
    to Ids.
    """

    scene: int
    action: int
    label: str
    rows: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> Changes:
        return Changes(frozenset(o for o, _, _ in self.rows), frozenset(i for _, i, _ in self.rows))


def read_row(conn: Any, obj: str, rid: str) -> dict[str, Any] | None:
    """One record's whole row by column name, or None when it is not in the org."""
    res = conn.exec_driver_sql(f"SELECT * FROM {quote(obj)} {BY_ID}", (rid,))
    row = res.first()
    return None if row is None else dict(zip(res.keys(), row, strict=True))


class _Recorder:
    """Snapshots each row before its first change within one action."""

    def __init__(self, conn: Any, record: ActionRecord) -> None:
        self.conn = conn
        self.record = record
        self._seen: set[tuple[str, str]] = set()

    def before_change(self, obj: str, rid: str) -> None:
        if (obj, rid) in self._seen:
            return
        row = read_row(self.conn, obj, rid)
        if row is None:
            raise PresentError(f"{obj} {rid} is not in the org (expected an existing record)")
        self._seen.add((obj, rid))
        self.record.rows.append((obj, rid, row))

    def inserted(self, obj: str, rid: str) -> None:
        self._seen.add((obj, rid))
        self.record.rows.append((obj, rid, None))


class LiveData:
    """Performs and undoes live actions on an open working copy.

    Args:
        org: the working copy (opened read-write).
        prospect: the prospect's name, for ``{prospect}`` in text values.
    """

    def __init__(self, org: Org, prospect: str = "") -> None:
        self.org = org
        self.on_server = org.engine.dialect.name == "postgresql"
        self.today = date.fromisoformat(org.build["as_of"])
        self.prospect = prospect or org.meta.get("prospect", {}).get("name", "")
        self.objects: dict[str, dict[str, Any]] = {o["name"]: o for o in org.objects()}
        self.fields: dict[str, dict[str, dict[str, Any]]] = {
            name: {f["name"]: f for f in o["fields"] if f.get("store", True)}
            for name, o in self.objects.items()
        }
        self.heroes: dict[str, dict[str, Any]] = org.meta.get("heroes", {})
        self.created: dict[str, str] = {}
        self.by_prefix = {o["key_prefix"]: name for name, o in self.objects.items()}
        self.record_types = self._read_record_types()
        self._reader: OrgReader | None = None
        #: ``{child object: [(parent object, roll-up field, its source)]}`` from the metadata.
        self.rollups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
        for parent, fields in self.fields.items():
            for fname, f in fields.items():
                src = f.get("source")
                if isinstance(src, dict) and {"child", "via", "op"} <= src.keys():
                    self.rollups.setdefault(src["child"], []).append((parent, fname, src))

    def _read_record_types(self) -> dict[str, dict[str, str]]:
        """``{object: {DeveloperName: Id}}`` from the org's ``RecordType`` table."""
        out: dict[str, dict[str, str]] = {}
        with self.org.engine.connect() as conn:
            if not inspect(conn).has_table("RecordType"):
                return out
            for rid, dev, sobject in conn.exec_driver_sql(
                f"SELECT {quote('Id')}, {quote('DeveloperName')}, {quote('SobjectType')} "
                f"FROM {quote('RecordType')}"
            ):
                out.setdefault(sobject, {})[dev] = rid
        return out

    @property
    def reader(self) -> OrgReader:
        """The org's reader, made on first use (only conditions on looked-up fields need it)."""
        if self._reader is None:
            from demoorg.org.query import OrgReader

            self._reader = OrgReader(self.org)
        return self._reader

    def object_of(self, record_id: str) -> str | None:
        """The object a record Id belongs to, from its key prefix."""
        prefix = record_id[:3]
        if prefix == RECORD_TYPE_PREFIX:
            return "RecordType"
        return self.by_prefix.get(prefix)

    def adapt(self, obj: str, fname: str, value: Any) -> Any:
        """A value as the column takes it on either engine: a boolean field's 0/1 (as an org
        reads back) becomes False/True, which SQLite stores as 0/1 and PostgreSQL requires."""
        if value is None or isinstance(value, bool):
            return value
        f = self.fields.get(obj, {}).get(fname)
        if f is not None and f["type"] == "boolean" and isinstance(value, int | float):
            return bool(value)
        return value

    def condition_sql(self, obj: str, clauses: Any) -> tuple[str, list[Any]]:
        """SQL (over the alias ``t``) and parameters for ``[field, op, value]`` conditions."""
        clauses = [
            (f, op, tuple(self.adapt(obj, f, x) for x in v))
            if isinstance(v, list | tuple)
            else (f, op, self.adapt(obj, f, v))
            for f, op, v in clauses
        ]
        if any("." in f for f, _, _ in clauses):
            return self.reader.condition_sql(obj, clauses)
        return where_sql(
            Where(tuple(clauses)), "t", self.record_types.get(obj, {}), offset_converter(self.today)
        )

    def _order_by_id(self, alias: str) -> str:
        # Ids mix cases: PostgreSQL's default collation would sort them unlike SQLite, and pick
        # another "first" record than an org file does.
        return f"{alias}.{quote('Id')}" + (' COLLATE "C"' if self.on_server else "")

    # --- values ------------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The org's "now" for stamps (``CreatedDate``, ``ClosedDate``): today at 09:00."""
        return datetime(self.today.year, self.today.month, self.today.day, DAY_START)

    def date_value(self, value: DateValue, ftype: str) -> str:
        """A story date (``+3d``, ``-2h``, ``+1d 14:30``) as the org stores it."""
        if ftype == "date":
            return (self.today + timedelta(days=round(value.days))).isoformat()
        base = self.now()
        if value.time:
            hh, mm = (int(x) for x in value.time.split(":"))
            base = base.replace(hour=hh, minute=mm)
        moment = base + timedelta(days=value.days)
        return moment.replace(microsecond=0, second=0).strftime("%Y-%m-%d %H:%M:%S")

    def value(self, conn: Any, obj: str, fname: str, value: Any) -> Any:
        """A story value as the org stores it: records become Ids, offsets become dates."""
        ftype = self.fields[obj][fname]["type"] if fname in self.fields.get(obj, {}) else "text"
        if isinstance(value, RecordRef):
            return self.resolve(conn, value)[1]
        if isinstance(value, DateValue):
            return self.date_value(value, ftype)
        if isinstance(value, str):
            if ftype == "datetime" and len(value) == 10:
                return value + " 00:00:00"
            if ftype == "datetime" and len(value) == 16:
                return value + ":00"
            return fill_placeholders(value, {"prospect": self.prospect})
        return value

    # --- references ----------------------------------------------------------------------------------

    def resolve(self, conn: Any, ref: RecordRef) -> tuple[str, str]:
        """``(object, Id)`` of the record a reference points at now.

        Raises:
            PresentError: no such hero in the org, no record matches, or a followed lookup is empty.
        """
        if ref.hero is not None:
            hero = self.heroes.get(ref.hero)
            if hero is None:
                raise PresentError(f"the org has no hero {ref.hero!r} (it was built without it)")
            obj, rid = hero["object"], hero["id"]
        elif ref.new is not None:
            rid = self.created.get(ref.new)
            if rid is None:
                raise PresentError(
                    f"new.{ref.new} does not exist yet (its 'create' action has not run)"
                )
            obj = self.object_of(rid) or ref.object
        else:
            obj = ref.object
            clauses = [
                (f, op, self._clause_value(conn, v)) for f, op, v in (ref.where or ()).clauses
            ]
            sql, params = self.condition_sql(obj, clauses)
            row = conn.exec_driver_sql(
                f"SELECT t.{quote('Id')} FROM {quote(obj)} t WHERE {sql} "
                f"ORDER BY {self._order_by_id('t')} LIMIT 1",
                tuple(params),
            ).first()
            if row is None:
                raise PresentError(f"no {obj} record matches {ref.text}")
            return obj, row[0]
        if ref.via:
            row = conn.exec_driver_sql(
                f"SELECT {quote(ref.via)} FROM {quote(obj)} {BY_ID}", (rid,)
            ).first()
            if row is None or row[0] is None:
                raise PresentError(f"{ref.text} is empty (the lookup points at no record yet)")
            return ref.object, row[0]
        return obj, rid

    def _clause_value(self, conn: Any, value: Any) -> Any:
        if isinstance(value, RecordRef):
            return self.resolve(conn, value)[1]
        if isinstance(value, tuple):
            return tuple(self._clause_value(conn, v) for v in value)
        return value

    def resolve_where(self, conn: Any, clauses: Any) -> tuple[tuple[str, str, Any], ...]:
        """Conditions with record references replaced by Ids (for a list view's filter)."""
        return tuple((f, op, self._clause_value(conn, v)) for f, op, v in clauses)

    def record_name(self, conn: Any, obj: str, rid: str) -> str:
        name_field = "Name" if obj == "RecordType" else self.objects[obj]["name_field"]
        row = conn.exec_driver_sql(
            f"SELECT {quote(name_field)} FROM {quote(obj)} {BY_ID}", (rid,)
        ).first()
        return str(row[0]) if row and row[0] is not None else rid

    # --- do and undo ---------------------------------------------------------------------------------

    def perform(self, action: Action, scene: int, index: int, label: str) -> ActionRecord:
        """Performs one live action in its own transaction; nothing changes when it fails."""
        record = ActionRecord(scene, index, label)
        created_before = dict(self.created)
        try:
            with self.org.engine.begin() as conn:
                rec = _Recorder(conn, record)
                getattr(self, f"_do_{action.kind}")(conn, rec, action)
        except BaseException:
            self.created = created_before
            raise
        record.created = {k: v for k, v in self.created.items() if k not in created_before}
        return record

    def undo(self, record: ActionRecord) -> None:
        """Restores every row an action touched, newest change first."""
        with self.org.engine.begin() as conn:
            for obj, rid, old in reversed(record.rows):
                if old is None:
                    conn.exec_driver_sql(f"DELETE FROM {quote(obj)} {BY_ID}", (rid,))
                    continue
                cols = [c for c in old if c != "Id"]
                sets = ", ".join(f"{quote(c)} = ?" for c in cols)
                conn.exec_driver_sql(
                    f"UPDATE {quote(obj)} SET {sets} {BY_ID}",
                    (*(self.adapt(obj, c, old[c]) for c in cols), rid),
                )
        for key in record.created:
            self.created.pop(key, None)

    # --- the actions -----------------------------------------------------------------------------------

    def _do_update(self, conn: Any, rec: _Recorder, action: Action) -> None:
        obj, rid = self.resolve(conn, action.record)  # type: ignore[arg-type]
        values = {f: self.value(conn, obj, f, v) for f, v in action.values}
        self.update(conn, rec, obj, rid, values)

    def _do_create(self, conn: Any, rec: _Recorder, action: Action) -> None:
        obj = action.object or ""
        values = {f: self.value(conn, obj, f, v) for f, v in action.values}
        rid = self.insert(conn, rec, obj, values, action.record_type)
        if action.key:
            self.created[action.key] = rid

    def _do_log(self, conn: Any, rec: _Recorder, action: Action) -> None:
        obj, rid = self.resolve(conn, action.record)  # type: ignore[arg-type]
        meeting = action.activity == "meeting"
        target = "Event" if meeting else "Task"
        fields = self.fields.get(target, {})
        who, what = _link(fields, obj)
        if who is None and what is None:
            raise PresentError(f"a {target} cannot point at a {obj} in this org")
        values: dict[str, Any] = {"Subject": action.subject}
        if who:
            values[who] = rid
            # A contact's task is also related to the contact's account, as in the CRM.
            account = self._read(conn, obj, rid, "AccountId")
            if account and "WhatId" in fields and who == "WhoId":
                values["WhatId"] = account
        else:
            values[what or "WhatId"] = rid
        owner = self._read(conn, obj, rid, "OwnerId")
        if owner:
            values["OwnerId"] = owner
        minutes = action.minutes
        if meeting:
            start = self.date_value(action.when or DateValue(0.0), "datetime")
            minutes = minutes or 30
            values["StartDateTime"] = start
            values["DurationInMinutes"] = minutes
            end = datetime.fromisoformat(start) + timedelta(minutes=minutes)
            values["EndDateTime"] = end.strftime("%Y-%m-%d %H:%M:%S")
        else:
            subtype = {"call": "Call", "email": "Email", "task": "Task"}[action.activity or "task"]
            values["TaskSubtype"] = subtype
            values["Status"] = action.status or "Completed"
            values["Priority"] = "Normal"
            values["ActivityDate"] = self.date_value(action.when or DateValue(0.0), "date")
            if subtype == "Call" and minutes:
                values["CallDurationInSeconds"] = minutes * 60
        self.insert(conn, rec, target, {k: v for k, v in values.items() if k in fields})

    def _do_advance(self, conn: Any, rec: _Recorder, action: Action) -> None:
        obj, rid = self.resolve(conn, action.record)  # type: ignore[arg-type]
        fname = action.field or ""
        to = action.to
        if to is None:
            values = list(self.fields[obj][fname].get("picklist") or ())
            current = self._read(conn, obj, rid, fname)
            if current in values:
                i = values.index(current)
                if i + 1 >= len(values):
                    return  # already at the last value: nothing to advance
                to = values[i + 1]
            elif values:
                to = values[0]
            else:
                return
        self.update(conn, rec, obj, rid, {fname: to})

    def _do_close(self, conn: Any, rec: _Recorder, action: Action) -> None:
        obj, rid = self.resolve(conn, action.record)  # type: ignore[arg-type]
        values: dict[str, Any] = {"Status": action.status}
        fields = self.fields[obj]
        if "ClosedDate" in fields:
            stamp = self.now()
            values["ClosedDate"] = (
                stamp.date().isoformat()
                if fields["ClosedDate"]["type"] == "date"
                else stamp.strftime("%Y-%m-%d %H:%M:%S")
            )
        self.update(conn, rec, obj, rid, values)

    def _do_convert(self, conn: Any, rec: _Recorder, action: Action) -> None:
        _, lead_id = self.resolve(conn, action.record)  # type: ignore[arg-type]
        lead = read_row(conn, "Lead", lead_id)
        if not lead:
            raise PresentError(f"Lead {lead_id} is not in the org")
        if lead.get("IsConverted"):
            raise PresentError(f"{lead.get('Name') or lead_id} is already converted")
        person = " ".join(str(lead.get(k) or "") for k in ("FirstName", "LastName")).strip()
        company = lead.get("Company")
        acct_fields = self.fields.get("Account", {})
        account: dict[str, Any] = {"Name": company or lead.get("Name") or person}
        record_type = None
        types = [rt[0] for rt in self.objects["Account"].get("record_types") or ()]
        if types:
            business = next((t for t in types if t == "Business"), None)
            record_type = (
                business
                if company and business
                else next((t for t in types if t != "Business"), types[0])
            )
            if record_type != "Business":
                account.update(
                    {"FirstName": lead.get("FirstName"), "LastName": lead.get("LastName")}
                )
        for name in ("Industry", "AnnualRevenue", "NumberOfEmployees", "Phone", "Rating"):
            self._copy_into(account, "Account", name, lead.get(name))
        self._copy_into(account, "Account", "AccountSource", lead.get("LeadSource"))
        self._copy_into(account, "Account", "OwnerId", lead.get("OwnerId"))
        account_id = self.insert(
            conn,
            rec,
            "Account",
            {k: v for k, v in account.items() if k in acct_fields},
            record_type,
        )
        contact: dict[str, Any] = {"AccountId": account_id}
        for name in ("Salutation", "FirstName", "LastName", "Name", "Title", "Email", "Phone"):
            self._copy_into(contact, "Contact", name, lead.get(name))
        self._copy_into(contact, "Contact", "LeadSource", lead.get("LeadSource"))
        self._copy_into(contact, "Contact", "OwnerId", lead.get("OwnerId"))
        contact_id = self.insert(conn, rec, "Contact", contact)
        lead_values: dict[str, Any] = {
            "Status": action.status
            or converted_status(self.fields["Lead"].get("Status", {}).get("picklist") or ()),
            "ConvertedDate": self.today.isoformat(),
            "ConvertedAccountId": account_id,
            "ConvertedContactId": contact_id,
        }
        if action.opportunity and "Opportunity" in self.fields:
            stages = self.fields["Opportunity"].get("StageName", {}).get("picklist") or [None]
            opp: dict[str, Any] = {
                "Name": f"{account['Name']} - {action.opportunity}",
                "AccountId": account_id,
                "StageName": stages[0],
                "CloseDate": (self.today + timedelta(days=30)).isoformat(),
            }
            self._copy_into(opp, "Opportunity", "LeadSource", lead.get("LeadSource"))
            self._copy_into(opp, "Opportunity", "OwnerId", lead.get("OwnerId"))
            lead_values["ConvertedOpportunityId"] = self.insert(conn, rec, "Opportunity", opp)
        lead_values = {k: v for k, v in lead_values.items() if k in self.fields["Lead"]}
        self.update(conn, rec, "Lead", lead_id, lead_values)

    # --- row writes ------------------------------------------------------------------------------------

    def _copy_into(self, row: dict[str, Any], obj: str, fname: str, value: Any) -> None:
        f = self.fields.get(obj, {}).get(fname)
        if f is None or value is None or fname in row:
            return
        picklist = f.get("picklist") or ()
        if f["type"] == "picklist" and picklist and value not in picklist:
            return
        row[fname] = value

    def _read(self, conn: Any, obj: str, rid: str, fname: str) -> Any:
        if fname not in self.fields.get(obj, {}):
            return None
        row = conn.exec_driver_sql(
            f"SELECT {quote(fname)} FROM {quote(obj)} {BY_ID}", (rid,)
        ).first()
        return row[0] if row else None

    def new_id(self, conn: Any, obj: str) -> str:
        """An Id for a new record: the next row number past the table's count that is free.

        The same working-copy state always gives the same Id, so redoing an undone action makes
        the same record again.
        """
        maker = IdMaker(self.objects[obj]["key_prefix"])
        row = int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {quote(obj)}").scalar_one())
        while True:
            rid = maker.id(row)
            if conn.exec_driver_sql(f"SELECT 1 FROM {quote(obj)} {BY_ID}", (rid,)).first() is None:
                return rid
            row += 1

    def insert(
        self,
        conn: Any,
        rec: _Recorder,
        obj: str,
        values: dict[str, Any],
        record_type: str | None = None,
    ) -> str:
        """Inserts a record; fills its Id, record type, auto-number, ``CreatedDate``, owner and
        derived fields the story did not give."""
        fields = self.fields[obj]
        row = dict(values)
        rid = self.new_id(conn, obj)
        row["Id"] = rid
        if record_type:
            rt = self.record_types.get(obj, {}).get(record_type)
            if rt is None:
                raise PresentError(f"the org has no {obj} record type {record_type!r}")
            row["RecordTypeId"] = rt
        count = int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {quote(obj)}").scalar_one())
        for fname, f in fields.items():
            if fname in row:
                continue
            src = f.get("source") or {}
            if isinstance(src, dict) and "fmt" in src and "start" in src:
                row[fname] = auto_number(str(src["fmt"]), int(src["start"]) + count)
            elif fname == "CreatedDate" and f["type"] in ("date", "datetime"):
                row[fname] = (
                    self.today.isoformat()
                    if f["type"] == "date"
                    else self.now().strftime("%Y-%m-%d %H:%M:%S")
                )
        if "OwnerId" in fields and "OwnerId" not in row:
            row["OwnerId"] = self._owner_from_links(conn, obj, row)
        row.update(self._mapped(obj, row, set(row)))
        cols = [c for c in row if c in fields or c == "Id"]
        conn.exec_driver_sql(
            f"INSERT INTO {quote(obj)} ({', '.join(quote(c) for c in cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})",
            tuple(self.adapt(obj, c, row[c]) for c in cols),
        )
        rec.inserted(obj, rid)
        self._recompute_exprs(conn, obj, rid, set(row))
        self._roll_up(conn, rec, obj, rid, None)
        return rid

    def update(self, conn: Any, rec: _Recorder, obj: str, rid: str, values: dict[str, Any]) -> None:
        """Sets fields of one record, then the fields derived from them."""
        if not values:
            return
        rec.before_change(obj, rid)
        current = read_row(conn, obj, rid) or {}
        merged = {**current, **values}
        derived = self._mapped(obj, merged, set(values))
        sets = {**values, **{k: v for k, v in derived.items() if k not in values}}
        cols = list(sets)
        conn.exec_driver_sql(
            f"UPDATE {quote(obj)} SET {', '.join(f'{quote(c)} = ?' for c in cols)} {BY_ID}",
            (*(self.adapt(obj, c, sets[c]) for c in cols), rid),
        )
        self._recompute_exprs(conn, obj, rid, set(sets))
        self._roll_up(conn, rec, obj, rid, current)

    def _roll_up(
        self, conn: Any, rec: _Recorder, obj: str, rid: str, before: dict[str, Any] | None
    ) -> None:
        """Recomputes the roll-ups that count or sum ``obj`` on the parents of one changed record.

        ``before`` is the record's row before an update (None after an insert): a roll-up is
        recomputed only when a field it reads changed, on the parent the record points at now and
        on the one it pointed at before (a record moved to another household leaves the old one's
        totals too). A parent's new total then moves its own ``expr`` fields and the roll-ups on
        its parents in turn. Roll-ups over a looked-up record's field are left as they are.
        """
        if obj not in self.rollups:
            return
        now = read_row(conn, obj, rid) or {}
        for parent, fname, src in self.rollups[obj]:
            clauses = [tuple(c) for c in (src.get("where") or {}).get("clauses") or ()]
            if any("." in c[0] for c in clauses):
                continue
            reads = {src["via"], *(c[0] for c in clauses), *([src["of"]] if src.get("of") else [])}
            if before is not None and all(before.get(f) == now.get(f) for f in reads):
                continue
            parents = {now.get(src["via"]), (before or {}).get(src["via"])} - {None}
            for pid in sorted(parents):
                self._recompute_rollup(conn, rec, parent, str(pid), fname, src, clauses)

    def _recompute_rollup(
        self,
        conn: Any,
        rec: _Recorder,
        parent: str,
        pid: str,
        fname: str,
        src: dict[str, Any],
        clauses: list[tuple[Any, ...]],
    ) -> None:
        op = src["op"]
        agg = "COUNT(*)" if op == "count" else f"{op.upper()}(t.{quote(src['of'])})"
        if src["op"] in ("count", "sum"):
            agg = f"COALESCE({agg}, 0)"
        decimals = self.fields[parent][fname].get("decimals")
        if src["op"] == "sum" and decimals is not None:
            # As the build does: sums of floats drift, money is kept to its cents.
            agg = f"ROUND(CAST({agg} AS NUMERIC), {int(decimals)})"
        cond, params = self.condition_sql(src["child"], clauses) if clauses else ("1 = 1", [])
        value = conn.exec_driver_sql(
            f"SELECT {agg} FROM {quote(src['child'])} t "
            f"WHERE t.{quote(src['via'])} = ? AND ({cond})",
            (pid, *params),
        ).scalar_one()
        if (
            src.get("blank_when_none")
            and not conn.exec_driver_sql(
                f"SELECT 1 FROM {quote(src['child'])} t WHERE t.{quote(src['via'])} = ? LIMIT 1",
                (pid,),
            ).first()
        ):
            value = None  # as the build leaves it: no child at all through the lookup
        before = read_row(conn, parent, pid)
        if before is None or before.get(fname) == value:
            return
        rec.before_change(parent, pid)
        conn.exec_driver_sql(
            f"UPDATE {quote(parent)} SET {quote(fname)} = ? {BY_ID}",
            (self.adapt(parent, fname, value), pid),
        )
        self._recompute_exprs(conn, parent, pid, {fname})
        self._roll_up(conn, rec, parent, pid, before)

    def _owner_from_links(self, conn: Any, obj: str, row: dict[str, Any]) -> Any:
        """The owner of the first looked-up record that has one (a task takes its contact's)."""
        for fname, f in self.fields[obj].items():
            if f["type"] != "lookup" or fname in ("OwnerId", "RecordTypeId") or not row.get(fname):
                continue
            target = self.object_of(str(row[fname]))
            if target and target != "User":
                owner = self._read(conn, target, str(row[fname]), "OwnerId")
                if owner:
                    return owner
        return None

    def _mapped(self, obj: str, row: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        """``from``/``map`` fields whose source field changed, recomputed from the row."""
        out: dict[str, Any] = {}
        for fname, f in self.fields[obj].items():
            src = f.get("source")
            if fname in changed or not isinstance(src, dict) or "table" not in src:
                continue
            if src.get("source") not in changed:
                continue
            table = {k: v for k, v in src["table"]}
            value = table.get(row.get(src["source"]), src.get("default"))
            out[fname] = int(value) if isinstance(value, bool) else value
        return out

    def _recompute_exprs(self, conn: Any, obj: str, rid: str, changed: set[str]) -> None:
        """``expr`` fields over the record's own numbers that read a changed field.

        A helper field the expression reads (``store: false``, such as a share mapped from a
        picklist) is worked out from the record's row; an expression over a helper that cannot be
        (not a ``from``/``map``) keeps its stored value.
        """
        for fname, f in self.fields[obj].items():
            src = f.get("source")
            if not isinstance(src, dict) or "tree" not in src or f["type"] in ("date", "datetime"):
                continue
            refs = src.get("refs") or ()
            if any("." in r for r in refs) or not changed.intersection(refs):
                continue
            if any(self.fields[obj].get(r, {}).get("type") in ("date", "datetime") for r in refs):
                continue
            tree = src["tree"]
            helpers = [r for r in refs if r not in self.fields[obj]]
            if helpers:
                values = self._helper_values(conn, obj, rid, helpers)
                if values is None:
                    continue
                tree = _with_values(tree, values)
            expr = expr_sql(tree)
            decimals = int(src.get("decimals", 2))
            # PostgreSQL rounds to decimals only a numeric (not a double precision) value.
            value = (
                f"CAST(ROUND({expr}) AS INTEGER)"
                if decimals == 0
                else f"ROUND(CAST({expr} AS NUMERIC), {decimals})"
            )
            conn.exec_driver_sql(
                f"UPDATE {quote(obj)} SET {quote(fname)} = {value} {BY_ID}", (rid,)
            )

    def _helper_values(
        self, conn: Any, obj: str, rid: str, helpers: list[str]
    ) -> dict[str, float] | None:
        """Numbers of ``store: false`` fields mapped from a stored field, from the record's row;
        None when one of them is not such a field or maps to no number."""
        raw = {f["name"]: f for f in self.objects[obj]["fields"]}
        out: dict[str, float] = {}
        for name in helpers:
            src = raw.get(name, {}).get("source")
            if not isinstance(src, dict) or "table" not in src or src.get("source") is None:
                return None
            current = self._read(conn, obj, rid, src["source"])
            value = dict(src["table"]).get(current, src.get("default"))
            if not isinstance(value, int | float) or isinstance(value, bool):
                return None
            out[name] = float(value)
        return out


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(prospect|hero\.[A-Za-z0-9_-]+)\}")


def fill_placeholders(text: str, values: dict[str, str] | Callable[[str], str | None]) -> str:
    """Story text with its placeholders filled in one pass: ``{prospect}`` and ``{hero.<key>}``
    from ``values`` (a mapping, or a function returning None to leave one as written), ``{{`` and
    ``}}`` as single braces. Text that comes in through a value (a prospect named ``{hero.x}``)
    is never read again.
    """

    def part(mo: re.Match[str]) -> str:
        token = mo.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = mo.group(1)
        value = values(name) if callable(values) else values.get(name)
        return token if value is None else value

    return _PLACEHOLDER.sub(part, text)


def _link(fields: dict[str, dict[str, Any]], obj: str) -> tuple[str | None, str | None]:
    """Which activity lookup points at ``obj``: ``(WhoId, None)`` or ``(None, WhatId)``."""
    for name in ("WhoId", "WhatId"):
        f = fields.get(name)
        if f and obj in (f.get("reference_to") or ()):
            return (name, None) if name == "WhoId" else (None, name)
    return None, None


def _with_values(tree: Any, values: dict[str, float]) -> Any:
    """The expression tree with references to ``values``' fields replaced by those numbers."""
    if tree[0] == "ref":
        return ("num", values[tree[1]]) if tree[1] in values else tree
    if tree[0] == "num":
        return tree
    return (tree[0], _with_values(tree[1], values), _with_values(tree[2], values))
