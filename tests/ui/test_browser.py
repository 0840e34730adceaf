"""Browsing an org like a CRM, with qtbot: list views, record pages, lookups, history, search."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from demoorg.org.query import Ref
from demoorg.ui.models import PAGE_SIZE
from demoorg.ui.navigation import Location


def sql(org: Path, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{org}?mode=ro", uri=True)) as con:
        return con.execute(text, params).fetchall()


def test_opens_on_the_first_tab_of_the_first_app(window) -> None:  # type: ignore[no-untyped-def]
    assert window.app_key == "care"
    assert window.history.current == Location.dashboard("care-team")
    assert window.nav.app_name.text() == "Care Console"
    assert "Accounts" in [b.text() for b in window.nav.tabs.values()]
    assert window.header.brand.name.text() == "Northwind Health"


def test_list_view_counts_sorts_and_filters(window, medical_org: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(window.nav.tabs["Account"], Qt.MouseButton.LeftButton)
    lv = window.list_view
    assert window.current_page() is lv
    model = lv.model
    ((total,),) = sql(medical_org, "SELECT COUNT(*) FROM Account")
    assert model.total == total
    assert f"{total:,} items" in lv.meta.text()
    assert model.rowCount() == min(PAGE_SIZE, total)

    name_col = [c.path for c in model.columns].index("Name")
    lv.table.sortByColumn(name_col, Qt.SortOrder.AscendingOrder)
    expected = [
        r[0] for r in sql(medical_org, "SELECT Name FROM Account ORDER BY Name, Id LIMIT 10")
    ]
    assert [model.data(model.index(r, name_col)) for r in range(10)] == expected
    lv.table.sortByColumn(name_col, Qt.SortOrder.DescendingOrder)
    expected = [
        r[0]
        for r in sql(medical_org, "SELECT Name FROM Account ORDER BY Name DESC, Id DESC LIMIT 10")
    ]
    assert [model.data(model.index(r, name_col)) for r in range(10)] == expected
    assert "Sorted by Account Name (descending)" in lv.meta.text()

    lv.set_filter("Type", "Hospital")
    ((hospitals,),) = sql(medical_org, "SELECT COUNT(*) FROM Account WHERE Type = 'Hospital'")
    assert model.total == hospitals
    assert "Filtered by" in lv.meta.text()
    lv.set_filter("Type", None)
    lv.set_filter("RecordType", "Patient")
    ((patients,),) = sql(
        medical_org,
        "SELECT COUNT(*) FROM Account a JOIN RecordType r ON r.Id = a.RecordTypeId "
        "WHERE r.DeveloperName = 'Patient'",
    )
    assert model.total == patients
    lv.set_filter("RecordType", None)

    qtbot.keyClicks(lv.search, "Lopez")
    lv._apply_search()
    ((lopez,),) = sql(
        medical_org,
        "SELECT COUNT(*) FROM Account WHERE Name LIKE '%Lopez%' OR Type LIKE '%Lopez%' "
        "OR BillingCity LIKE '%Lopez%' OR Phone LIKE '%Lopez%'",
    )
    assert model.total == lopez >= 1


def test_list_view_pages_lazily(window, medical_org: Path) -> None:  # type: ignore[no-untyped-def]
    ((total,),) = sql(medical_org, "SELECT COUNT(*) FROM CareObservation")
    assert total > 2 * PAGE_SIZE
    window.navigate(Location.list("CareObservation"))
    model = window.list_view.model
    assert model.total == total
    assert model.rowCount() == PAGE_SIZE and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE_SIZE
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.ids == [
        r[0] for r in sql(medical_org, "SELECT Id FROM CareObservation ORDER BY Id")
    ]
    # Scrolling to the bottom of the table fetches more by itself.
    window.navigate(
        Location.list(
            "CareObservation",
        )
    )
    window.navigate(Location.list("ClinicalEncounter"))
    table = window.list_view.table
    table.scrollToBottom()
    assert window.list_view.model.rowCount() > PAGE_SIZE


def test_record_page_lookup_back_and_forward(window, medical_org: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    hero = window.org.meta["heroes"]["maria"]
    window.navigate(Location.list("Account"))
    lv = window.list_view
    row = lv.model.ids.index(hero["id"])
    name_col = [c.path for c in lv.model.columns].index("Name")
    lv._on_clicked(lv.model.index(row, name_col))
    page = window.record_page
    assert window.current_page() is page
    assert window.history.current == Location.record("Account", hero["id"])
    assert page.record is not None and page.record.name == "Maria Lopez"

    # Related lists and their counts agree with SQL.
    related = {rl.object: rl.total for rl in page.related}
    ((conditions,),) = sql(
        medical_org, "SELECT COUNT(*) FROM HealthCondition WHERE PatientId = ?", (hero["id"],)
    )
    assert related["HealthCondition"] == conditions >= 1

    # Follow the owner lookup, as a click on the link would.
    ((owner_id, owner_name),) = sql(
        medical_org,
        "SELECT u.Id, u.Name FROM Account a JOIN User u ON u.Id = a.OwnerId WHERE a.Id = ?",
        (hero["id"],),
    )
    href = Location.record("User", owner_id).href()
    assert href in page.lookup_links()
    found = page.link_for(href)
    assert found is not None
    widget, rect = found
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.history.current == Location.record("User", owner_id)
    assert page.record is not None and page.record.name == owner_name

    window.back()
    assert window.history.current == Location.record("Account", hero["id"])
    assert page.record.name == "Maria Lopez"
    assert window.header.forward.isEnabled()
    window.forward()
    assert page.record.id == owner_id
    window.actions["demoorg.nav.back"].trigger()
    window.actions["demoorg.nav.back"].trigger()
    assert window.current_page() is window.list_view


def test_path_and_activity_on_an_opportunity(window, medical_org: Path) -> None:  # type: ignore[no-untyped-def]
    ((oid, stage),) = sql(
        medical_org, "SELECT Id, StageName FROM Opportunity WHERE IsClosed = 0 LIMIT 1"
    )
    assert window.navigate(Location.record("Opportunity", oid))
    path = window.record_page.path_widget
    assert path is not None and path.stages[path.current] == stage and not path.lost
    ((cid,),) = sql(medical_org, "SELECT WhoId FROM Task WHERE WhoId LIKE '003%' LIMIT 1")
    assert window.navigate(Location.record("Contact", cid))
    ((n,),) = sql(
        medical_org,
        "SELECT (SELECT COUNT(*) FROM Task WHERE WhoId = ?1 OR WhatId = ?1) + "
        "(SELECT COUNT(*) FROM Event WHERE WhoId = ?1 OR WhatId = ?1)",
        (cid,),
    )
    assert len(window.record_page.activities) == n >= 1


def test_view_all_opens_a_filtered_list(window, medical_org: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    hero = window.org.meta["heroes"]["maria"]
    window.navigate(Location.record("Account", hero["id"]))
    href = Location("list", "HealthCondition", where=(("PatientId", "eq", hero["id"]),)).href()
    widget, rect = window.record_page.link_for(href)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=rect.center())
    lv = window.list_view
    assert window.current_page() is lv
    assert lv.title.text() == "Health Conditions of Maria Lopez"
    ((n,),) = sql(
        medical_org, "SELECT COUNT(*) FROM HealthCondition WHERE PatientId = ?", (hero["id"],)
    )
    assert lv.model.total == n
    values = [lv.model.row_values(r) for r in range(lv.model.rowCount())]
    patient = [c.path for c in lv.model.columns].index("PatientId")
    assert all(v[patient] == Ref("Account", hero["id"], "Maria Lopez") for v in values)


def test_global_search(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.actions["demoorg.search.focus"].trigger()
    qtbot.keyClicks(window.header.search, "Maria")
    qtbot.keyClick(window.header.search, Qt.Key.Key_Return)
    page = window.search_page
    assert window.current_page() is page
    assert any(h.name == "Maria Lopez" and h.object == "Account" for h in page.hits)
    hero = window.org.meta["heroes"]["maria"]
    window.open_href(Location.record("Account", hero["id"]).href())
    assert window.record_page.record.name == "Maria Lopez"


def test_app_switcher_and_tabs(window) -> None:  # type: ignore[no-untyped-def]
    window.set_app("sales")
    assert window.nav.app_name.text() == "Sales"
    assert window.history.current == Location.dashboard("pipeline")
    window.actions["demoorg.nav.next_tab"].trigger()
    assert window.history.current == Location.list("Account")
    assert window.nav.tabs["Account"].isChecked()


def test_highlights_show_the_fields_the_record_has(window, medical_org: Path) -> None:  # type: ignore[no-untyped-def]
    """A hospital has no medical record number: its highlights leave the MRN out, while a
    patient's show it."""
    mrn = "HealthCloudGA__MedicalRecordNumber__c"
    ((org_id,),) = sql(
        medical_org,
        f"SELECT a.Id FROM Account a JOIN RecordType r ON r.Id = a.RecordTypeId "
        f"WHERE r.DeveloperName != 'Patient' AND a.{mrn} IS NULL ORDER BY a.Id LIMIT 1",
    )
    ((patient_id,),) = sql(
        medical_org, f"SELECT Id FROM Account WHERE {mrn} IS NOT NULL ORDER BY Id LIMIT 1"
    )
    assert window.navigate(Location.record("Account", org_id))
    grid, _ = window.record_page.field_cells["Phone"]
    assert (
        mrn not in window.record_page.field_cells
        or window.record_page.field_cells[mrn][0] is not grid
    )
    assert all(cell.text for _, cell in grid.items)
    assert window.navigate(Location.record("Account", patient_id))
    grid, i = window.record_page.field_cells[mrn]
    assert grid.items[i][1].text
