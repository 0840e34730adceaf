"""The app's org reader on a server org: the same lists, records, search and dashboards as in a file.

Every shipped industry is built on the session's server and in a file with the same parameters
(``shipped_pair``); :class:`OrgReader` must show the same thing from both: list pages in the same
order (sorted, filtered and searched too), counts, hero records with their related lists and
timelines, global search hits and every dashboard tile. The last tests open a server org in the
desktop app.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.org.orgfile import open_org
from demoorg.org.query import ListSpec, OrgReader

INDUSTRIES = Path(__file__).resolve().parents[2] / "industries"
SHIPPED = [
    name
    for name in ("_core", "medical", "telecom", "transportation", "finance")
    if (INDUSTRIES / name / "template.yaml").is_file()
]
#: The org's "today" (as in tests/pg/conftest.py).
AS_OF = date(2026, 11, 23)
OrgPair = Any  # tests/pg/conftest.py's OrgPair: one template built on the server and in a file
Pair = Callable[[str], OrgPair]


@contextmanager
def readers(pair: OrgPair) -> Iterator[tuple[OrgReader, OrgReader]]:
    """Readers on the server org and on the file org of a pair."""
    with open_org(pair.pg) as pg, open_org(pair.file) as file:
        yield OrgReader(pg), OrgReader(file)


def norm(value: Any) -> Any:
    """A value with floats rounded: currency sums are exact on the server, binary in a file."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, norm(dataclasses.asdict(value)))
    return value


def walk(reader: OrgReader, spec: ListSpec, limit: int = 40) -> list[str]:
    """Every Id of a list, page by page (each page starts after the last one's key)."""
    ids: list[str] = []
    after = None
    for _ in range(10_000):
        page = reader.page(spec, after, limit)
        ids += page.ids
        if page.after is None:
            return ids
        after = page.after
    raise AssertionError("paging never ended")


def test_the_reader_knows_which_engine_it_reads(shipped_pair: Pair) -> None:
    with readers(shipped_pair("_core")) as (pg, file):
        assert (pg.dialect, file.dialect) == ("postgresql", "sqlite")
        assert pg.tables == file.tables
        assert pg.record_type_ids("Account") == file.record_type_ids("Account") != {}


@pytest.mark.parametrize("industry", SHIPPED)
def test_every_list_opens_on_the_same_first_page(shipped_pair: Pair, industry: str) -> None:
    with readers(shipped_pair(industry)) as (pg, file):
        shown = [o for o in file.objects if file.has_object(o)]
        assert [o for o in pg.objects if pg.has_object(o)] == shown
        for obj in shown:
            spec = ListSpec(obj)
            assert pg.count(spec) == file.count(spec) == pg.org.count(obj), obj
            first, expected = pg.page(spec, None, 100), file.page(spec, None, 100)
            assert first == expected, obj
            columns = pg.columns_for(spec)
            assert columns == file.columns_for(spec)
            assert norm(pg.rows(obj, columns, first.ids)) == norm(
                file.rows(obj, columns, expected.ids)
            ), obj


@pytest.mark.parametrize("industry", SHIPPED)
def test_sorted_lists_page_in_the_same_order(shipped_pair: Pair, industry: str) -> None:
    """Every list column, both ways, walked to the end: empty values last in both directions."""
    with readers(shipped_pair(industry)) as (pg, file):
        for obj in ("Account", "Opportunity", "Case"):
            if not file.has_object(obj):
                continue
            paths = [c.path for c in file.list_columns(obj)]
            paths += [f for f in ("IsClosed", "CampaignId") if f in file.object(obj).fields]
            for path in paths:
                for descending in (False, True):
                    spec = ListSpec(obj, sort=path, descending=descending)
                    assert walk(pg, spec) == walk(file, spec), (obj, path, descending)


def test_a_sorted_filtered_searched_list_is_the_same(shipped_pair: Pair) -> None:
    with readers(shipped_pair("_core")) as (pg, file):
        name = file.rows(
            "Account", [file.column("Account", "Name")], file.page(ListSpec("Account"), None, 1).ids
        )[0][0]
        # A piece of a name in the wrong case: list search ignores case on both engines.
        text = name.split()[0][1:4].swapcase()
        specs = [
            ListSpec("Account", search=text),
            ListSpec("Account", sort="Name", descending=True, search=text),
            ListSpec(
                "Opportunity",
                sort="Amount",
                where=(("IsClosed", "eq", False), ("CloseDate", "gte", "-90d")),
            ),
            ListSpec(
                "Contact",
                sort="AccountId",
                where=(("AccountId.Type", "in", ["Prospect", "Customer - Direct"]),),
                search="a",
            ),
            ListSpec("Account", sort="Name", where=(("RecordType", "eq", "Business"),)),
            ListSpec("Account", search="%"),
        ]
        for spec in specs:
            ids = walk(pg, spec, limit=25)
            assert ids == walk(file, spec, limit=25), spec
            assert pg.count(spec) == file.count(spec) == len(ids), spec
        assert pg.count(specs[0]) > 0
        assert pg.count(specs[-1]) == 0


@pytest.mark.parametrize("industry", SHIPPED)
def test_hero_records_show_the_same_page(shipped_pair: Pair, industry: str) -> None:
    """Each hero: its fields, every related list (first rows and total) and its timeline."""
    with readers(shipped_pair(industry)) as (pg, file):
        heroes = [(h["object"], h["id"]) for h in file.org.meta["heroes"].values()]
        if industry == "_core":  # the base template names no heroes: its busiest contact
            assert not heroes
            tasks = file.tile(
                {
                    "key": "t",
                    "label": "T",
                    "kind": "bar",
                    "object": "Task",
                    "group_by": "WhoId",
                    "where": {"clauses": []},
                },
                top=1,
            )
            contact = tasks.series[0][0]
            ids = file.search(contact, objects=["Contact"])
            heroes = [("Contact", ids[0].id)]
        activity = 0
        for obj, rid in heroes:
            hero = (obj, rid)
            record = pg.record(obj, rid)
            assert record is not None
            assert norm(record) == norm(file.record(obj, rid)), hero
            assert norm(pg.related(obj, rid)) == norm(file.related(obj, rid)), hero
            timeline = pg.activities(rid)
            assert timeline == file.activities(rid), hero
            activity += len(timeline)
        assert activity > 0


@pytest.mark.parametrize("industry", SHIPPED)
def test_global_search_finds_the_same_records(shipped_pair: Pair, industry: str) -> None:
    with readers(shipped_pair(industry)) as (pg, file):
        words = {w for h in file.org.meta["heroes"].values() for w in h["label"].split()[:2]}
        words |= {"an", "ER", "100%", "o_"}
        found = 0
        for word in sorted(words):
            hits = pg.search(word.lower(), per_object=5)
            assert hits == file.search(word.lower(), per_object=5), word
            assert pg.search(word.upper(), per_object=5) == hits, word
            found += len(hits)
        assert found > 0


@pytest.mark.parametrize("industry", [i for i in SHIPPED if i != "_core"])  # _core has none
def test_every_dashboard_tile_has_the_same_data(shipped_pair: Pair, industry: str) -> None:
    with readers(shipped_pair(industry)) as (pg, file):
        tiles = [t for d in file.dashboards() for t in d["tiles"]]
        assert tiles
        for tile in tiles:
            assert norm(pg.tile(tile)) == norm(file.tile(tile)), tile["key"]


def test_date_buckets_and_boolean_groups_are_the_same(shipped_pair: Pair) -> None:
    base = {"key": "t", "label": "T", "object": "Opportunity", "where": {"clauses": []}}
    with readers(shipped_pair("_core")) as (pg, file):
        for bucket in ("month", "quarter", "year"):
            for field in ("CloseDate", "CreatedDate"):
                tile = base | {"kind": "line", "group_by": field, "bucket": bucket}
                data = pg.tile(tile)
                assert norm(data) == norm(file.tile(tile)), (field, bucket)
                assert len(data.series) > 1
        tile = base | {"kind": "bar", "group_by": "IsWon", "aggregate": "sum", "field": "Amount"}
        assert norm(pg.tile(tile)) == norm(file.tile(tile))
        tile = base | {"kind": "metric", "aggregate": "avg", "field": "IsWon"}
        assert pg.tile(tile).value == pytest.approx(file.tile(tile).value)


# --- the desktop app on a server org --------------------------------------------------------------


@pytest.fixture
def app_window(qtbot: Any, tmp_path: Path) -> Any:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from demoorg.ui import theme
    from demoorg.ui.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme.apply(app)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, today=AS_OF, summaries=[])
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    return win


def test_the_app_opens_a_server_org_and_shows_a_list_and_a_record(
    app_window: Any, shipped_pair: Pair
) -> None:
    from demoorg.ui.navigation import Location

    pair = shipped_pair("medical")
    win = app_window
    assert win.open_path(str(pair.pg), Location.list("Account"))
    assert win.org is not None and win.reader.dialect == "postgresql"
    assert win.current_page() is win.list_view
    model = win.list_view.model
    with open_org(pair.file) as org:
        file = OrgReader(org)
        expected = file.page(ListSpec("Account"), None, 100).ids
        assert model.ids[:100] == expected
        assert model.total == file.count(ListSpec("Account"))
        hero = next(h for h in org.meta["heroes"].values() if h["object"] == "Account")
    assert win.navigate(Location.record("Account", hero["id"]))
    assert win.current_page() is win.record_page
    assert win.record_page.record is not None and win.record_page.record.id == hero["id"]
    # The server org is remembered by its location, without a password, and reopens from there.
    recent = win.recent()
    assert recent[0].path == str(pair.pg)
    assert recent[0].is_server and recent[0].exists


def test_open_from_server_lists_the_orgs_and_opens_one(
    app_window: Any, shipped_pair: Pair, pg_server: str, qtbot: Any
) -> None:
    """A password typed into the URL opens the org but is stored nowhere."""
    pair = shipped_pair("telecom")
    win = app_window
    dialog = win.show_server_dialog()
    typed = pg_server.replace("postgresql+psycopg://postgres@", "postgresql://postgres:s3cret@")
    dialog.server.setCurrentText(typed)
    dialog.list_button.click()
    qtbot.waitUntil(lambda: not dialog.is_listing(), timeout=60_000)
    assert not dialog.error.isVisible(), dialog.error.toolTip()
    listed = {
        dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
        for r in range(dialog.table.rowCount())
    }
    with open_org(pair.file) as org:
        expected_prospect = org.meta["prospect"]["name"]
        total = sum(org.counts().values())
    assert listed[pair.pg.name] == expected_prospect
    row = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())].index(
        pair.pg.name
    )
    assert dialog.table.item(row, 4).text() == f"{total:,}"
    dialog.table.selectRow(row)
    assert dialog.open_button.isEnabled()
    dialog.open_button.click()
    assert not dialog.isVisible()
    assert win.org is not None and win.org.location == str(pair.pg)
    assert win.reader.dialect == "postgresql"
    assert win.current_page() is not win.start_page
    win.settings.sync()
    stored = Path(win.settings.fileName()).read_text()
    assert "s3cret" not in stored
    assert str(pair.pg) in stored  # in the recent orgs
    # Reopening from the start page's recent orgs needs no dialog.
    win.show_start()
    win.start_page.recent_rows[str(pair.pg)].clicked.emit()
    assert win.org.location == str(pair.pg) and win.current_page() is not win.start_page


def test_a_missing_org_is_reported_in_the_dialog(app_window: Any, pg_target: Any) -> None:
    win = app_window
    dialog = win.show_server_dialog()
    win._on_server_org_chosen(str(pg_target("no_such_org")))
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "no org 'no_such_org'" in dialog.error.toolTip()
    assert win.org is None
