"""The org access layer against SQL written by hand: lists, paging, records, related lists,
activities, search and dashboard tiles. No Qt here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from demoorg.org.dates import offset_days, offset_to_date, parse_date, relative_day
from demoorg.org.orgfile import open_org
from demoorg.org.query import ListSpec, OrgReader, Ref, fill_buckets, nice_ceiling

Query = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def reader(core_org: Path) -> Iterator[OrgReader]:
    org = open_org(core_org)
    yield OrgReader(org)
    org.close()


def walk(reader: OrgReader, spec: ListSpec, limit: int = 37) -> list[str]:
    """Every Id of a list, page by page."""
    ids: list[str] = []
    after = None
    for _ in range(10_000):
        page = reader.page(spec, after, limit)
        ids += page.ids
        if page.after is None:
            return ids
        after = page.after
    raise AssertionError("paging never ended")


# --- metadata -------------------------------------------------------------------------------------


def test_list_columns_come_from_metadata(reader: OrgReader) -> None:
    cols = reader.list_columns("Opportunity")
    assert [c.path for c in cols] == [
        "Name",
        "AccountId",
        "StageName",
        "Amount",
        "CloseDate",
        "OwnerId",
    ]
    assert cols[0].label == "Opportunity Name" and cols[0].link
    assert cols[1].type == "lookup" and cols[1].label == "Account" and cols[1].link
    assert cols[3].type == "currency" and cols[3].numeric


def test_objects_without_list_columns_get_name_and_a_few_fields(reader: OrgReader) -> None:
    cols = reader.list_columns("OpportunityLineItem")
    assert cols[0].path == "Name"
    assert 2 <= len(cols) <= 6
    assert all(c.path != "Id" for c in cols)


def test_layout_keeps_stored_fields_and_finds_a_path(reader: OrgReader) -> None:
    lay = reader.layout("Opportunity")
    assert lay.path == "StageName"
    assert lay.highlights == ("AccountId", "CloseDate", "Amount", "OwnerId")
    assert [r.object for r in lay.related] == ["OpportunityLineItem"]


def test_layout_without_metadata_lists_children(reader: OrgReader) -> None:
    lay = reader.layout("Product2")  # declares no layout
    children = {(r.object, r.via) for r in lay.related}
    assert ("PricebookEntry", "Product2Id") in children
    assert ("OpportunityLineItem", "Product2Id") in children
    assert lay.sections and "Name" in lay.sections[0].fields


# --- lists and paging ----------------------------------------------------------------------------


def test_count_and_default_order(reader: OrgReader, core_org: Path, query: Query) -> None:
    spec = ListSpec("Contact")
    ((n,),) = query(core_org, "SELECT COUNT(*) FROM Contact")
    assert reader.count(spec) == n
    expected = [r[0] for r in query(core_org, "SELECT Id FROM Contact ORDER BY Id")]
    assert walk(reader, spec) == expected


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", ["Name", "Amount", "CloseDate", "AccountId", "CampaignId"])
def test_keyset_paging_matches_sql_order(
    reader: OrgReader, core_org: Path, query: Query, sort: str, descending: bool
) -> None:
    """Paging by (sort value, Id) visits every row once, in the order SQL sorts them.

    CampaignId is mostly empty: empty values come last in both directions.
    """
    spec = ListSpec("Opportunity", sort=sort, descending=descending)
    if sort in ("AccountId", "CampaignId"):
        target = "Account" if sort == "AccountId" else "Campaign"
        key = f"(SELECT x.Name FROM {target} x WHERE x.Id = o.{sort})"
    else:
        key = f"o.{sort}"
    rows = query(core_org, f"SELECT o.Id, {key} FROM Opportunity o")
    filled = sorted((r for r in rows if r[1] is not None), key=lambda r: (r[1], r[0]))
    if descending:
        filled.reverse()
    empty = sorted((r for r in rows if r[1] is None), key=lambda r: r[0], reverse=descending)
    expected = [r[0] for r in filled + empty]
    got = walk(reader, spec)
    assert got == expected


def test_rows_resolve_lookup_names(reader: OrgReader, core_org: Path, query: Query) -> None:
    cols = reader.list_columns("Contact")
    ids = reader.page(ListSpec("Contact"), None, 20).ids
    rows = reader.rows("Contact", cols, ids)
    sql = query(
        core_org,
        "SELECT c.Id, c.Name, a.Id, a.Name FROM Contact c JOIN Account a ON a.Id = c.AccountId "
        "ORDER BY c.Id LIMIT 20",
    )
    account = [c.path for c in cols].index("AccountId")
    for row, (_cid, name, aid, aname) in zip(rows, sql, strict=True):
        assert row[0] == name
        assert row[account] == Ref("Account", aid, aname)
    assert ids == [r[0] for r in sql]


def test_search_filters_on_names_and_text_columns(
    reader: OrgReader, core_org: Path, query: Query
) -> None:
    spec = ListSpec("Account", search="an")
    expected = {
        r[0]
        for r in query(
            core_org,
            "SELECT Id FROM Account WHERE Name LIKE '%an%' OR Type LIKE '%an%' "
            "OR Industry LIKE '%an%' OR BillingCity LIKE '%an%' OR Phone LIKE '%an%'",
        )
    }
    assert reader.count(spec) == len(expected)
    assert set(walk(reader, spec)) == expected


def test_search_treats_wildcards_as_text(reader: OrgReader) -> None:
    assert reader.count(ListSpec("Account", search="%")) == 0
    assert reader.count(ListSpec("Account", search="_")) == 0


def test_where_on_own_field_and_through_a_lookup(
    reader: OrgReader, core_org: Path, query: Query
) -> None:
    ((n,),) = query(core_org, "SELECT COUNT(*) FROM Opportunity WHERE StageName = 'Closed Won'")
    assert reader.count(ListSpec("Opportunity", where=(("StageName", "eq", "Closed Won"),))) == n
    ((n,),) = query(
        core_org,
        "SELECT COUNT(*) FROM Contact c JOIN Account a ON a.Id = c.AccountId "
        "WHERE a.Type IN ('Prospect', 'Other')",
    )
    spec = ListSpec("Contact", where=(("AccountId.Type", "in", ["Prospect", "Other"]),))
    assert reader.count(spec) == n


def test_where_with_relative_dates(reader: OrgReader, core_org: Path, query: Query) -> None:
    cutoff = (reader.as_of - timedelta(days=90)).isoformat()
    ((n,),) = query(core_org, "SELECT COUNT(*) FROM Opportunity WHERE CloseDate >= ?", (cutoff,))
    assert reader.count(ListSpec("Opportunity", where=(("CloseDate", "gte", "-90d"),))) == n


def test_where_on_record_type(reader: OrgReader, core_org: Path, query: Query) -> None:
    ((n,),) = query(
        core_org,
        "SELECT COUNT(*) FROM Account a JOIN RecordType r ON r.Id = a.RecordTypeId "
        "WHERE r.DeveloperName = 'Business'",
    )
    assert reader.count(ListSpec("Account", where=(("RecordType", "eq", "Business"),))) == n


# --- records ---------------------------------------------------------------------------------------


def test_record_resolves_every_lookup(reader: OrgReader, core_org: Path, query: Query) -> None:
    ((oid, name, aid, aname, uid, uname),) = query(
        core_org,
        "SELECT o.Id, o.Name, a.Id, a.Name, u.Id, u.Name FROM Opportunity o "
        "JOIN Account a ON a.Id = o.AccountId JOIN User u ON u.Id = o.OwnerId ORDER BY o.Id LIMIT 1",
    )
    rec = reader.record("Opportunity", oid)
    assert rec is not None
    assert rec.name == name
    assert rec.values["AccountId"] == Ref("Account", aid, aname)
    assert rec.values["OwnerId"] == Ref("User", uid, uname)
    assert reader.record("Opportunity", "006000000000000AAA") is None


def test_related_lists_match_sql(reader: OrgReader, core_org: Path, query: Query) -> None:
    ((aid, n_contacts),) = query(
        core_org,
        "SELECT AccountId, COUNT(*) FROM Contact GROUP BY AccountId ORDER BY COUNT(*) DESC, AccountId LIMIT 1",
    )
    lists = {rl.object: rl for rl in reader.related("Account", aid, limit=3)}
    assert set(lists) == {"Contact", "Opportunity", "Case"}
    contacts = lists["Contact"]
    assert contacts.total == n_contacts
    assert len(contacts.rows) == min(3, n_contacts)
    names = {r[0] for r in query(core_org, "SELECT Name FROM Contact WHERE AccountId = ?", (aid,))}
    assert {row[0] for row in contacts.rows} <= names
    ((n_opps,),) = query(core_org, "SELECT COUNT(*) FROM Opportunity WHERE AccountId = ?", (aid,))
    assert lists["Opportunity"].total == n_opps


def test_activity_timeline(reader: OrgReader, core_org: Path, query: Query) -> None:
    ((cid, _n),) = query(
        core_org,
        "SELECT WhoId, COUNT(*) FROM Task WHERE WhoId LIKE '003%' GROUP BY WhoId "
        "ORDER BY COUNT(*) DESC, WhoId LIMIT 1",
    )
    ((events,),) = query(
        core_org, "SELECT COUNT(*) FROM Event WHERE WhoId = ? OR WhatId = ?", (cid, cid)
    )
    ((tasks,),) = query(
        core_org, "SELECT COUNT(*) FROM Task WHERE WhoId = ? OR WhatId = ?", (cid, cid)
    )
    items = reader.activities(cid)
    assert len(items) == tasks + events
    assert {a.kind for a in items} <= {"call", "email", "task", "meeting"}
    soon = [a for a in items if a.upcoming]
    past = [a for a in items if not a.upcoming]
    assert items == soon + past
    assert [a.when for a in past] == sorted((a.when for a in past), reverse=True)
    assert all(a.who is not None and a.who.id == cid for a in items if a.object == "Task")


def test_global_search(reader: OrgReader, core_org: Path, query: Query) -> None:
    ((name,),) = query(core_org, "SELECT Name FROM Contact ORDER BY Id LIMIT 1")
    word = name.split()[-1]
    hits = reader.search(word, per_object=50)
    contacts = {h.id for h in hits if h.object == "Contact"}
    expected = {
        r[0] for r in query(core_org, "SELECT Id FROM Contact WHERE Name LIKE ?", (f"%{word}%",))
    }
    assert contacts == set(list(expected)[:50]) or contacts <= expected
    assert len(contacts) == min(50, len(expected))
    assert reader.search("   ") == []


# --- dashboards --------------------------------------------------------------------------------------


def tile(**kw: Any) -> dict[str, Any]:
    base = {
        "key": "t",
        "label": "T",
        "kind": "metric",
        "object": "Opportunity",
        "aggregate": "count",
        "field": None,
        "group_by": None,
        "where": {"clauses": []},
        "format": "number",
        "bucket": None,
    }
    return base | kw


def test_metric_tiles(reader: OrgReader, core_org: Path, query: Query) -> None:
    ((n,),) = query(core_org, "SELECT COUNT(*) FROM Opportunity WHERE IsClosed = 0")
    assert reader.tile(tile(where={"clauses": [["IsClosed", "eq", False]]})).value == n
    ((s,),) = query(core_org, "SELECT SUM(Amount) FROM Opportunity WHERE StageName = 'Closed Won'")
    data = reader.tile(
        tile(
            aggregate="sum", field="Amount", where={"clauses": [["StageName", "eq", "Closed Won"]]}
        )
    )
    assert data.value == pytest.approx(s)
    assert data.format == "currency"  # a sum of a currency field is money
    ((a,),) = query(core_org, "SELECT AVG(Amount) FROM Opportunity")
    assert reader.tile(tile(aggregate="avg", field="Amount")).value == pytest.approx(a)


def test_funnel_follows_the_picklist_order(reader: OrgReader, core_org: Path, query: Query) -> None:
    data = reader.tile(
        tile(
            kind="funnel",
            aggregate="sum",
            field="Amount",
            group_by="StageName",
            where={"clauses": [["IsClosed", "eq", False]]},
        )
    )
    rows = dict(
        query(
            core_org,
            "SELECT StageName, SUM(Amount) FROM Opportunity WHERE IsClosed = 0 GROUP BY StageName",
        )
    )
    assert dict(data.series) == pytest.approx(rows)
    picklist = reader.object("Opportunity").fields["StageName"].picklist
    assert [k for k, _ in data.series] == [p for p in picklist if p in rows]


def test_bar_and_pie_order_by_value_and_group_the_rest(
    reader: OrgReader, core_org: Path, query: Query
) -> None:
    rows = query(core_org, "SELECT Industry, COUNT(*) FROM Account GROUP BY Industry")
    bar = reader.tile(tile(kind="bar", object="Account", group_by="Industry"), top=5)
    assert [v for _, v in bar.series] == sorted((float(n) for _, n in rows), reverse=True)[:5]
    pie = reader.tile(tile(kind="pie", object="Account", group_by="Industry"), top=5)
    assert len(pie.series) == 5 and pie.series[-1][0] == "Other"
    assert pie.total == sum(n for _, n in rows)


def test_group_by_lookup_shows_names(reader: OrgReader, core_org: Path, query: Query) -> None:
    rows = dict(
        query(
            core_org,
            "SELECT u.Name, COUNT(*) FROM Opportunity o JOIN User u ON u.Id = o.OwnerId GROUP BY u.Name",
        )
    )
    data = reader.tile(tile(kind="bar", group_by="OwnerId"), top=100)
    assert dict(data.series) == rows


def test_line_buckets_fill_empty_months(reader: OrgReader, core_org: Path, query: Query) -> None:
    rows = dict(
        query(core_org, "SELECT substr(CloseDate, 1, 7), COUNT(*) FROM Opportunity GROUP BY 1")
    )
    data = reader.tile(tile(kind="line", group_by="CloseDate", bucket="month"))
    keys = [k for k, _ in data.series]
    assert keys[0] == min(rows) and keys[-1] == max(rows)
    assert len(keys) == len(set(keys))
    assert {k: v for k, v in data.series if v} == {k: float(v) for k, v in rows.items()}
    quarters = reader.tile(tile(kind="line", group_by="CloseDate", bucket="quarter"))
    assert sum(v for _, v in quarters.series) == sum(rows.values())
    assert all("-Q" in k for k, _ in quarters.series)


def test_fill_buckets_and_nice_ceiling() -> None:
    assert fill_buckets([("2026-11", 1.0), ("2027-02", 2.0)], "month") == [
        ("2026-11", 1.0), ("2026-12", 0.0), ("2027-01", 0.0), ("2027-02", 2.0),
    ]  # fmt: skip
    assert fill_buckets([("2026-Q4", 1.0), ("2027-Q2", 1.0)], "quarter")[1] == ("2027-Q1", 0.0)
    assert [nice_ceiling(v) for v in (0, 3, 11, 240, 26_000)] == [1, 5, 20, 250, 50_000]


# --- dates -------------------------------------------------------------------------------------------


def test_offsets_and_dates() -> None:
    as_of = date(2026, 11, 23)
    assert offset_days("-30d") == -30 and offset_days("today") == 0 and offset_days("x") is None
    assert offset_to_date("-1w", as_of) == "2026-11-16"
    assert offset_to_date("Active", as_of) == "Active"
    assert parse_date("2026-11-23 14:00:00") == as_of
    assert parse_date(None) is None and parse_date("soon") is None
    assert relative_day(date(2026, 11, 24), as_of) == "Tomorrow"
    assert relative_day(date(2026, 11, 20), as_of) == "3 days ago"


# --- drilling into a chart --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_readers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, OrgReader]]:
    """A small org of every shipped industry, opened for reading."""
    from demoorg.content.paths import BUILTIN_INDUSTRIES
    from demoorg.content.releases import parse_release
    from demoorg.content.template import load_template
    from demoorg.seeders.build import build_org
    from demoorg.seeders.plan import BuildParams

    folder = tmp_path_factory.mktemp("drill-orgs")
    readers = {}
    for industry in ("medical", "telecom", "finance", "transportation"):
        tpl = load_template(BUILTIN_INDUSTRIES / industry)
        out = folder / f"{industry}.demoorg"
        params = BuildParams(
            industry=industry,
            seed=5,
            size=1500,
            size_name="1500",
            locale="en_US",
            as_of=date(2026, 11, 23),
            release=parse_release("Winter '27"),
        )
        build_org(tpl, params, out)
        readers[industry] = OrgReader(open_org(out))
    yield readers
    for r in readers.values():
        r.org.close()


@pytest.mark.parametrize("industry", ["medical", "telecom", "finance", "transportation"])
def test_every_chart_group_opens_the_records_it_counts(
    shipped_readers: dict[str, OrgReader], industry: str
) -> None:
    """For every group of every chart on every dashboard, the records a click opens (the tile's
    filter and the group's value) add up to the group's figure: the same count, sum or average."""
    reader = shipped_readers[industry]
    drilled = 0
    for dash in reader.dashboards():
        for spec in dash["tiles"]:
            if spec["kind"] == "metric" or not spec.get("group_by"):
                continue
            data = reader.tile(spec)
            for i, (key, value) in enumerate(data.series):
                where = reader.drill(data, i)
                if where is None:
                    assert (key == "Other" and data.other) or spec["group_by"] == "RecordType"
                    continue
                if value == 0:
                    continue  # an empty bucket between two others: nothing to open
                again = reader.tile(
                    {**spec, "kind": "metric", "group_by": None, "where": {"clauses": where}}
                )
                assert again.value == pytest.approx(value), (spec["key"], key, where)
                assert reader.count(ListSpec(data.object, where=where)) > 0
                drilled += 1
    assert drilled >= 10
