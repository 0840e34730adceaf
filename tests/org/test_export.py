"""Exports to Salesforce tooling: Data Loader CSVs, CumulusCI datasets and JSON.

The files are checked against what the formats document, not against the exporter's own idea:

- Data Loader / Bulk API: a header row of field API names; lookups as
  ``RelationshipName.IndexedFieldName`` columns (``Account.Demo_External_Id__c``), with
  ``ObjectType:`` in front for polymorphic fields; dates ``YYYY-MM-DD``, datetimes
  ``YYYY-MM-DDTHH:MM:SS.SSSZ``, booleans ``true``/``false`` (Salesforce's Bulk API Developer
  Guide, "Relationship Fields in a Header Row" and "Valid Date Format in Records").
- CumulusCI: ``mapping.yml`` steps with the keys of ``MappingStep`` and lookups with the keys of
  ``MappingLookup`` (SFDO-Tooling/CumulusCI ``cumulusci/tasks/bulkdata/mapping_parser.py``),
  ``after:`` naming an existing step, tables keyed by ``id`` and ``<Object>_rt_mapping`` tables
  with ``record_type_id`` and ``developer_name`` (as ``extract_dataset`` writes them, e.g. the
  repository's ``datasets/*.sql``).

Every format round-trips the counts: rows per file (or table, or JSON list) equal rows per table.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from demoorg.cli import main
from demoorg.content.releases import parse_release
from demoorg.content.template import load_template
from demoorg.errors import UsageError
from demoorg.org import export as ex
from demoorg.org.orgfile import open_org
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams

EXT = "Demo_External_Id__c"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
REL = re.compile(r"^(?:(?P<type>[A-Za-z0-9_]+):)?(?P<rel>[A-Za-z0-9_]+)\.Demo_External_Id__c$")

#: MappingStep and MappingLookup fields in CumulusCI's mapping_parser.py (``fields_`` is aliased
#: to ``fields`` there). Written out here so the test checks the exporter against CumulusCI.
CCI_STEP_FIELDS = {
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
CCI_LOOKUP_FIELDS = {"table", "key_field", "value_field", "join_field", "after", "aliased_table"}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (out, err)
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("demoorg: ")
    for needle in needles:
        assert needle in err, err


def table_counts(org: Path) -> dict[str, int]:
    with open_org(org) as o:
        return o.counts()


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def object_meta(org: Path) -> dict[str, dict[str, Any]]:
    with open_org(org) as o:
        return {obj["name"]: obj for obj in o.objects()}


@pytest.fixture(scope="session")
def finance_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finance org: person accounts, several record types on several objects."""
    tpl = load_template("finance")
    out = tmp_path_factory.mktemp("finance-org") / "finance.demoorg"
    params = BuildParams(
        industry=tpl.industry,
        seed=3,
        size=800,
        size_name="800",
        locale="en_US",
        as_of=date(2026, 11, 23),
        release=parse_release("Winter '27"),
    )
    build_org(tpl, params, out)
    return out


@pytest.fixture(scope="session")
def dataloader_export(core_org: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dl") / "dataloader"
    with open_org(core_org) as org:
        ex.export_dataloader(org, out, include_users=True)
    return out


@pytest.fixture(scope="session")
def cci_export(core_org: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cci") / "cumulusci"
    with open_org(core_org) as org:
        ex.export_cumulusci(org, out, include_users=True)
    return out


# --- the plan ------------------------------------------------------------------------------------


def test_plan_puts_parents_first_and_defers_only_what_points_forward(core_org: Path) -> None:
    with open_org(core_org) as org:
        plan = ex.plan_export(org, include_users=True)
    pos = plan.position()
    assert plan.order[0] == "User"
    for op in plan.objects:
        for lk in op.lookups:
            forward = any(pos[t] >= pos[op.name] for t in lk.targets)
            assert (lk.field in plan.deferred.get(op.name, ())) == forward, (op.name, lk)
    assert plan.deferred["User"] == ("ManagerId",)  # a self-lookup is always a second pass


def test_plan_without_users_leaves_out_users_and_lookups_to_them(core_org: Path) -> None:
    with open_org(core_org) as org:
        plan = ex.plan_export(org)
    assert "User" not in plan.order
    assert all(lk.field != "OwnerId" for op in plan.objects for lk in op.lookups)
    assert {k: v for k, v in plan.skipped[0].items() if k == "object"} == {"object": "User"}
    assert any(s.get("field") == "OwnerId" for s in plan.skipped)


def _obj(name: str, *lookups: tuple[str, list[str], bool], prefix: str = "a00") -> dict[str, Any]:
    fields = [{"name": "Id", "type": "id", "store": True, "reference_to": []}]
    fields.append({"name": "Name", "type": "text", "store": True, "reference_to": []})
    fields.append({"name": "Helper", "type": "text", "store": False, "reference_to": []})
    for fname, targets, required in lookups:
        fields.append(
            {
                "name": fname,
                "type": "lookup",
                "store": True,
                "reference_to": targets,
                "required": required,
            }
        )
    return {"name": name, "fields": fields, "key_prefix": prefix}


def test_plan_breaks_a_cycle_at_the_optional_lookup() -> None:
    objects = [
        _obj("B__c", ("A__c", ["A__c"], True)),  # B needs A (required)
        _obj("A__c", ("B__c", ["B__c"], False), ("Parent__c", ["A__c"], False)),
        _obj("C__c", ("A__c", ["A__c"], True), ("B__c", ["B__c"], True)),
    ]
    plan = ex.plan_objects(objects)
    assert plan.order == ["A__c", "B__c", "C__c"]
    assert plan.deferred == {"A__c": ("B__c", "Parent__c")}
    mapping = ex.cumulusci_mapping(plan)
    assert mapping["Insert A__c"]["lookups"] == {
        "B__c": {"table": "B__c", "after": "Insert B__c"},
        "Parent__c": {"table": "A__c", "after": "Insert A__c"},
    }
    assert mapping["Insert B__c"]["lookups"] == {"A__c": {"table": "A__c"}}
    assert all("Helper" not in s["fields"] for s in mapping.values())


def test_plan_skips_lookups_to_objects_that_are_not_exported() -> None:
    plan = ex.plan_objects([_obj("A__c", ("Ghost__c", ["Ghost__c"], False))])
    assert plan.objects[0].lookups == ()
    assert plan.skipped == (
        {
            "object": "A__c",
            "field": "Ghost__c",
            "reason": "points at Ghost__c, which is not exported",
        },
    )


def test_relationship_names_follow_salesforce_conventions() -> None:
    assert ex.relationship_name("AccountId") == "Account"
    assert ex.relationship_name("Pricebook2Id") == "Pricebook2"
    assert ex.relationship_name("FinServ__Household__c") == "FinServ__Household__r"
    lk = ex.Lookup("WhoId", ("Contact", "Lead"))
    assert ex.relationship_column("Task", lk, "Lead") == "Lead:Who.Demo_External_Id__c"
    single = ex.Lookup("AccountId", ("Account",))
    assert ex.relationship_column("Contact", single, "Account") == "Account.Demo_External_Id__c"
    owner = ex.Lookup("OwnerId", ("User",))
    assert ex.relationship_column("Case", owner, "User") == "User:Owner.Demo_External_Id__c"
    assert ex.relationship_column("Account", owner, "User") == "Owner.Demo_External_Id__c"


# --- values ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ftype", "value", "text"),
    [
        ("datetime", "2023-12-03 10:36:00", "2023-12-03T10:36:00.000Z"),
        ("datetime", "2023-12-03T10:36:00.250000", "2023-12-03T10:36:00.250Z"),
        ("datetime", datetime(2024, 2, 29, 23, 5, 9), "2024-02-29T23:05:09.000Z"),
        (
            "datetime",
            datetime(2024, 3, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=2))),
            "2024-02-29T23:00:00.000Z",
        ),
        ("datetime", datetime(2024, 3, 1, tzinfo=UTC), "2024-03-01T00:00:00.000Z"),
        ("date", "2027-01-17", "2027-01-17"),
        ("date", date(2027, 1, 17), "2027-01-17"),
        ("boolean", 1, "true"),
        ("boolean", 0, "false"),
        ("boolean", True, "true"),
        ("number", 10.0, "10"),
        ("number", 0.1, "0.1"),
        ("number", 1e-05, "0.00001"),
        ("number", 1e16, "10000000000000000"),
        ("currency", 43200, "43200"),
        ("currency", Decimal("12.50"), "12.50"),
        ("percent", float("nan"), None),
        ("text", None, None),
        ("text", 'a,b "c"', 'a,b "c"'),
    ],
)
def test_values_use_salesforce_load_formats(ftype: str, value: Any, text: str | None) -> None:
    assert ex.text_formatter(ftype)(value) == text


# --- Data Loader -------------------------------------------------------------------------------------


def test_dataloader_writes_one_csv_per_object_with_the_rows_of_its_table(
    core_org: Path, dataloader_export: Path
) -> None:
    counts = table_counts(core_org)
    manifest = json.loads((dataloader_export / "manifest.json").read_text("utf-8"))
    assert manifest["format"] == "demoorg-dataloader"
    assert manifest["external_id_field"] == EXT
    main_steps = [s for s in manifest["steps"] if s["pass"] == 1]
    assert [s["object"] for s in main_steps] == manifest["load_order"]
    assert sorted(manifest["load_order"]) == sorted(counts)
    for step in main_steps:
        header, rows = read_csv(dataloader_export / step["file"])
        assert step["file"] == f"{step['object']}.csv"
        assert header == step["columns"]
        assert len(rows) == counts[step["object"]] == step["rows"]
    listed = set(manifest["files"])
    assert listed == {p.name for p in dataloader_export.iterdir()}


def test_dataloader_headers_are_api_names_and_relationship_columns(
    core_org: Path, dataloader_export: Path
) -> None:
    meta = object_meta(core_org)
    manifest = json.loads((dataloader_export / "manifest.json").read_text("utf-8"))
    for step in manifest["steps"]:
        fields = {f["name"]: f for f in meta[step["object"]]["fields"]}
        lookups = {
            ex.relationship_name(n): f
            for n, f in fields.items()
            if f["type"] == "lookup" and n != "RecordTypeId"
        }
        header, _rows = read_csv(dataloader_export / step["file"])
        assert header[0] == EXT
        assert "Id" not in header
        assert len(set(header)) == len(header)
        for col in header[1:]:
            if col == "RecordType.DeveloperName":
                assert "RecordTypeId" in fields
                continue
            m = REL.match(col)
            if m:
                f = lookups[m["rel"]]
                assert f["store"]
                if m["type"]:
                    assert m["type"] in f["reference_to"]
                continue
            assert col in fields, (step["object"], col)
            assert fields[col]["store"], (step["object"], col)
            assert fields[col]["type"] not in ("lookup", "id")


def test_dataloader_load_order_is_parents_first_and_every_reference_resolves(
    dataloader_export: Path,
) -> None:
    manifest = json.loads((dataloader_export / "manifest.json").read_text("utf-8"))
    order = manifest["load_order"]
    ids: dict[str, set[str]] = {}
    for step in manifest["steps"]:
        if step["pass"] == 1:
            _h, rows = read_csv(dataloader_export / step["file"])
            ids[step["object"]] = {r[0] for r in rows}
    targets_seen = 0
    for step in manifest["steps"]:
        header, rows = read_csv(dataloader_export / step["file"])
        if step["pass"] == 2:
            assert all(r[0] in ids[step["object"]] for r in rows)  # updates existing records
        for i, col in enumerate(header[1:], start=1):
            m = REL.match(col)
            if not m:
                continue
            values = {r[i] for r in rows if r[i]}
            owners = [
                o for o in ids if values and values <= ids[o] and (not m["type"] or m["type"] == o)
            ]
            assert owners, (step["file"], col)
            target = owners[0]
            targets_seen += 1
            if step["pass"] == 1:
                # Loaded in the first pass: the target's file comes earlier.
                assert order.index(target) < order.index(step["object"]), (step["file"], col)
    assert targets_seen > 10


def test_dataloader_second_pass_fills_self_lookups_and_polymorphic_lookups(
    core_org: Path, dataloader_export: Path
) -> None:
    manifest = json.loads((dataloader_export / "manifest.json").read_text("utf-8"))
    updates = {s["file"]: s for s in manifest["steps"] if s["pass"] == 2}
    assert updates["User.update.csv"]["fields"] == ["ManagerId"]
    header, rows = read_csv(dataloader_export / "User.update.csv")
    assert header == [EXT, "Manager.Demo_External_Id__c"]
    with closing(sqlite3.connect(core_org)) as con:
        managers = con.execute('SELECT COUNT(*) FROM "User" WHERE "ManagerId" IS NOT NULL')
        assert len(rows) == managers.fetchone()[0]
        who = dict(con.execute('SELECT "Id", "WhoId" FROM "Task" WHERE "WhoId" IS NOT NULL'))
    task_main, _ = read_csv(dataloader_export / "Task.csv")
    assert not any("Who." in c for c in task_main)  # WhoId points at Contact or Lead
    seen: dict[str, str] = {}
    for target, prefix in (("Contact", "003"), ("Lead", "00Q")):
        header, rows = read_csv(dataloader_export / f"Task.update-{target}.csv")
        assert header == [EXT, f"{target}:Who.Demo_External_Id__c"]
        for ext_id, value in rows:
            assert value.startswith(prefix)
            seen[ext_id] = value
    assert seen == who
    assert (dataloader_export / "load-order.txt").read_text("utf-8").count("Second pass") == 1


def test_dataloader_values_are_in_load_formats(core_org: Path, dataloader_export: Path) -> None:
    meta = object_meta(core_org)
    with closing(sqlite3.connect(core_org)) as con:
        rts = {
            (obj, dev)
            for obj, dev in con.execute('SELECT "SobjectType", "DeveloperName" FROM "RecordType"')
        }
    checked = set()
    for name, obj in meta.items():
        types = {f["name"]: f["type"] for f in obj["fields"]}
        header, rows = read_csv(dataloader_export / f"{name}.csv")
        for i, col in enumerate(header):
            values = [r[i] for r in rows if r[i] != ""]
            kind = types.get(col)
            if col == "RecordType.DeveloperName":
                assert values and all((name, v) in rts for v in values)
                checked.add("recordtype")
            elif kind == "date":
                assert all(DATE.match(v) for v in values), (name, col)
                checked.add(kind)
            elif kind == "datetime":
                assert all(DATETIME.match(v) for v in values), (name, col)
                checked.add(kind)
            elif kind == "boolean":
                assert set(values) <= {"true", "false"}, (name, col)
                checked.add(kind)
            elif kind in ("number", "currency", "percent"):
                assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in values), (name, col)
                checked.add("number")
    assert checked == {"recordtype", "date", "datetime", "boolean", "number"}


def test_dataloader_leaves_out_fields_salesforce_computes(dataloader_export: Path) -> None:
    header, _ = read_csv(dataloader_export / "Opportunity.csv")
    assert not {"IsClosed", "IsWon", "ExpectedRevenue"} & set(header)
    header, _ = read_csv(dataloader_export / "Contact.csv")
    assert "Name" not in header and "LastName" in header
    manifest = json.loads((dataloader_export / "manifest.json").read_text("utf-8"))
    assert {"object": "Case", "field": "CaseNumber"}.items() <= next(
        s for s in manifest["skipped"] if s.get("field") == "CaseNumber"
    ).items()


def test_dataloader_export_is_the_same_bytes_each_time_and_streams_in_batches(
    core_org: Path, dataloader_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ex, "BATCH", 7)  # many partitions per table
    out = tmp_path / "again"
    with open_org(core_org) as org:
        ex.export_dataloader(org, out, include_users=True)
    for p in dataloader_export.iterdir():
        if p.name != "manifest.json":
            assert (out / p.name).read_bytes() == p.read_bytes(), p.name
    first = json.loads((dataloader_export / "manifest.json").read_text("utf-8"))
    second = json.loads((out / "manifest.json").read_text("utf-8"))
    first["org"].pop("location")
    second["org"].pop("location")
    assert first == second


def test_dataloader_record_types_and_person_accounts(finance_org: Path, tmp_path: Path) -> None:
    out = tmp_path / "dl"
    with open_org(finance_org) as org:
        result = ex.export_dataloader(org, out)
        counts = org.counts()
    assert result.counts == {k: v for k, v in counts.items() if k != "User"}
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert set(manifest["record_types"]) == {"Account", "Lead", "FinServ__FinancialAccount__c"}
    assert "PersonAccount" in manifest["record_types"]["Account"]
    for obj in manifest["record_types"]:
        header, rows = read_csv(out / f"{obj}.csv")
        i = header.index("RecordType.DeveloperName")
        assert {r[i] for r in rows} <= set(manifest["record_types"][obj])
    header, _ = read_csv(out / "FinServ__FinancialHolding__c.csv")
    assert "FinServ__FinancialAccount__r.Demo_External_Id__c" in header


# --- CumulusCI ---------------------------------------------------------------------------------------


def cci_mapping(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "mapping.yml").read_text("utf-8"))


@pytest.fixture
def cci_db(cci_export: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(f"file:{cci_export / 'dataset.db'}?mode=ro", uri=True)
    yield con
    con.close()


def test_cumulusci_mapping_uses_only_keys_cumulusci_declares(cci_export: Path) -> None:
    mapping = cci_mapping(cci_export)
    assert mapping
    for name, step in mapping.items():
        assert name == f"Insert {step['sf_object']}"
        assert set(step) <= CCI_STEP_FIELDS, name
        assert step["table"] == step["sf_object"]
        assert isinstance(step["fields"], list)
        assert all(isinstance(f, str) for f in step["fields"])
        for field_name, lookup in step.get("lookups", {}).items():
            assert set(lookup) <= CCI_LOOKUP_FIELDS, (name, field_name)
            assert field_name not in step["fields"]
            tables = lookup["table"] if isinstance(lookup["table"], list) else [lookup["table"]]
            assert all(f"Insert {t}" in mapping for t in tables)
            if "after" in lookup:
                assert lookup["after"] in mapping
    assert ex.CCI_STEP_KEYS == CCI_STEP_FIELDS
    assert CCI_LOOKUP_FIELDS <= ex.CCI_LOOKUP_KEYS


def test_cumulusci_steps_are_parents_first_with_after_for_the_rest(cci_export: Path) -> None:
    mapping = cci_mapping(cci_export)
    steps = list(mapping)
    afters = 0
    for i, (name, step) in enumerate(mapping.items()):
        for lookup in step.get("lookups", {}).values():
            tables = lookup["table"] if isinstance(lookup["table"], list) else [lookup["table"]]
            last = max(steps.index(f"Insert {t}") for t in tables)
            if last >= i:
                assert lookup["after"] == steps[last], name
                afters += 1
            else:
                assert "after" not in lookup, name
    assert mapping["Insert User"]["lookups"]["ManagerId"] == {
        "table": "User",
        "after": "Insert User",
    }
    assert mapping["Insert Task"]["lookups"]["WhoId"]["table"] == ["Contact", "Lead"]
    assert afters == 1  # only User.ManagerId: Lead and Contact come before Task


def test_cumulusci_tables_match_the_mapping_and_the_org(
    core_org: Path, cci_export: Path, cci_db: sqlite3.Connection
) -> None:
    counts = table_counts(core_org)
    mapping = cci_mapping(cci_export)
    ids: dict[str, set[str]] = {}
    for step in mapping.values():
        table = step["table"]
        info = cci_db.execute(f'PRAGMA table_info("{table}")').fetchall()
        columns = [r[1] for r in info]
        assert columns[0] == "id" and info[0][5] == 1  # the primary key
        assert set(columns[1:]) == set(step["fields"]) | set(step.get("lookups", {}))
        assert cci_db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] == counts[table]
        ids[table] = {r[0] for r in cci_db.execute(f'SELECT id FROM "{table}"')}
        with closing(sqlite3.connect(core_org)) as con:
            originals = {r[0] for r in con.execute(f'SELECT "Id" FROM "{table}"')}
        # `<table>-<demoorg Id>`, like extract_dataset's `<table>-<n>`: never a Salesforce Id.
        assert ids[table] == {f"{table}-{i}" for i in originals}
    for step in mapping.values():
        for field_name, lookup in step.get("lookups", {}).items():
            tables = lookup["table"] if isinstance(lookup["table"], list) else [lookup["table"]]
            values = {
                r[0]
                for r in cci_db.execute(
                    f'SELECT "{field_name}" FROM "{step["table"]}" WHERE "{field_name}" IS NOT NULL'
                )
            }
            known = set().union(*(ids[t] for t in tables))
            assert values <= known, (step["table"], field_name)
    manifest = json.loads((cci_export / "manifest.json").read_text("utf-8"))
    assert manifest["counts"] == counts
    assert manifest["load_order"] == [s["sf_object"] for s in mapping.values()]


def test_cumulusci_record_types_are_in_rt_mapping_tables(
    core_org: Path, cci_export: Path, cci_db: sqlite3.Connection
) -> None:
    mapping = cci_mapping(cci_export)
    assert "RecordTypeId" in mapping["Insert Account"]["fields"]
    columns = [r[1] for r in cci_db.execute('PRAGMA table_info("Account_rt_mapping")')]
    assert columns[:2] == ["record_type_id", "developer_name"]
    rt = dict(cci_db.execute('SELECT record_type_id, developer_name FROM "Account_rt_mapping"'))
    with closing(sqlite3.connect(core_org)) as con:
        assert rt == dict(
            con.execute(
                'SELECT "Id", "DeveloperName" FROM "RecordType" WHERE "SobjectType" = \'Account\''
            )
        )
    used = {r[0] for r in cci_db.execute('SELECT DISTINCT "RecordTypeId" FROM "Account"')}
    assert used <= set(rt)


def test_cumulusci_values_are_text_in_load_formats(cci_db: sqlite3.Connection) -> None:
    columns = [r[1] for r in cci_db.execute('PRAGMA table_info("Opportunity")')]
    assert "IsClosed" not in columns  # computed by Salesforce: not exported
    rows = cci_db.execute(
        'SELECT "CloseDate", "CreatedDate", "Amount" FROM "Opportunity"'
    ).fetchall()
    assert rows
    for close_date, created, amount in rows:
        assert DATE.match(close_date) and DATETIME.match(created)
        assert amount is None or re.fullmatch(r"-?\d+(\.\d+)?", amount)
    flags = {r[0] for r in cci_db.execute('SELECT "HasOptedOutOfEmail" FROM "Contact"')}
    assert flags <= {"true", "false", None} and flags - {None}


def test_cumulusci_person_account_record_type_is_marked(finance_org: Path, tmp_path: Path) -> None:
    out = tmp_path / "cci"
    with open_org(finance_org) as org:
        ex.export_cumulusci(org, out)
    with closing(sqlite3.connect(out / "dataset.db")) as con:
        marks = dict(con.execute('SELECT developer_name, is_person_type FROM "Account_rt_mapping"'))
        assert marks["PersonAccount"] == 1
        assert marks["Business"] == 0
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"Lead_rt_mapping", "FinServ__FinancialAccount__c_rt_mapping"} <= tables
    assert "User" not in tables


# --- JSON --------------------------------------------------------------------------------------------


def test_json_holds_the_metadata_and_every_record(core_org: Path, tmp_path: Path) -> None:
    out = tmp_path / "org.json"
    with open_org(core_org) as org:
        result = ex.export_json(org, out)
        meta = org.meta
    data = json.loads(out.read_text("utf-8"))
    counts = table_counts(core_org)
    assert data["format"] == "demoorg-json"
    assert data["meta"] == meta
    assert {k: v["count"] for k, v in data["objects"].items()} == counts == result.counts
    assert {k: len(v["records"]) for k, v in data["objects"].items()} == counts
    opp = data["objects"]["Opportunity"]["records"][0]
    assert isinstance(opp["IsClosed"], bool)
    assert DATE.match(opp["CloseDate"]) and DATETIME.match(opp["CreatedDate"])
    assert isinstance(opp["Amount"], int | float)
    assert data["record_types"][0]["SobjectType"] == "Account"


def test_json_to_standard_output(core_org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["export", str(core_org), "-", "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert {k: v["count"] for k, v in data["objects"].items()} == table_counts(core_org)


# --- the command line and safe output ----------------------------------------------------------------


def test_cli_exports_each_format(
    core_org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt, out in (
        ("dataloader", tmp_path / "dl"),
        ("cumulusci", tmp_path / "cci"),
        ("json", tmp_path / "org.json"),
    ):
        code, stdout, err = run(["export", str(core_org), "--format", fmt, str(out)], capsys)
        assert code == 0, err
        assert stdout.startswith("Exported ") and f"({fmt})" in stdout
        assert out.exists()
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--format", "xml"], ["unknown export format 'xml'", "dataloader, cumulusci, json"]),
        (["--format", "csv"], ["unknown export format 'csv'"]),
    ],
)
def test_cli_unknown_format_is_one_line_and_exit_2(
    core_org: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    needles: list[str],
) -> None:
    code, out, err = run(["export", str(core_org), str(tmp_path / "out"), *argv], capsys)
    assert_one_line_error(code, out, err, *needles)
    assert list(tmp_path.iterdir()) == []


def test_cli_missing_format_is_one_line_and_exit_2(
    core_org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["export", str(core_org), str(tmp_path / "out")], capsys)
    assert_one_line_error(code, out, err, "--format")


def test_cli_missing_org_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["export", str(tmp_path / "nope.demoorg"), str(tmp_path / "out"), "--format", "json"],
        capsys,
    )
    assert_one_line_error(code, out, err, "nope.demoorg does not exist")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["dataloader", "cumulusci"])
def test_cli_refuses_a_non_empty_folder_without_force(
    core_org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "Account.csv"
    mine.write_text("my own file\n")
    code, stdout, err = run(["export", str(core_org), str(out), "--format", fmt], capsys)
    assert_one_line_error(code, stdout, err, "not empty", "--force")
    assert [p.name for p in out.iterdir()] == ["Account.csv"]
    assert mine.read_text() == "my own file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("fmt", ["dataloader", "cumulusci"])
def test_cli_refuses_a_file_where_a_folder_is_expected(
    core_org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out = tmp_path / "out"
    out.write_text("keep me")
    for extra in ([], ["--force"]):
        code, stdout, err = run(
            ["export", str(core_org), str(out), "--format", fmt, *extra], capsys
        )
        assert_one_line_error(code, stdout, err, "is a file")
    assert out.read_text() == "keep me"


def test_cli_refuses_to_replace_a_json_file_without_force(
    core_org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "org.json"
    out.write_text("precious")
    code, stdout, err = run(["export", str(core_org), str(out), "--format", "json"], capsys)
    assert_one_line_error(code, stdout, err, "already exists", "--force")
    assert out.read_text() == "precious"
    code, _stdout, err = run(
        ["export", str(core_org), str(out), "--format", "json", "--force"], capsys
    )
    assert code == 0, err
    assert json.loads(out.read_text("utf-8"))["format"] == "demoorg-json"


def test_cli_refuses_a_missing_parent_folder(
    core_org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = run(
        ["export", str(core_org), str(tmp_path / "a" / "b"), "--format", "dataloader"], capsys
    )
    assert_one_line_error(code, stdout, err, "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_force_into_an_old_export_replaces_it_and_keeps_other_files(
    core_org: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with open_org(core_org) as org:
        ex.export_dataloader(org, out, include_users=True)
        assert (out / "User.csv").exists()
        (out / "notes.md").write_text("my notes")
        (out / "Account.csv").write_text("stale")
        with pytest.raises(UsageError, match="not empty"):
            ex.export_dataloader(org, out)
        ex.export_dataloader(org, out, force=True)
    assert not (out / "User.csv").exists()  # written by the old export, not by this one
    assert (out / "notes.md").read_text() == "my notes"
    header, rows = read_csv(out / "Account.csv")
    assert header[0] == EXT and len(rows) == table_counts(core_org)["Account"]
    assert not list(tmp_path.glob(".*"))


def test_a_failed_export_leaves_nothing_behind(
    core_org: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ex, "_load_order_text", boom)
    with open_org(core_org) as org, pytest.raises(RuntimeError):
        ex.export_dataloader(org, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
