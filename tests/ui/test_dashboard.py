"""Dashboards on screen agree with SQL computed here."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCharts import (
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QPieSeries,
)

from demoorg.ui.navigation import Location


def sql(org: Path, text: str) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{org}?mode=ro", uri=True)) as con:
        return con.execute(text).fetchall()


def show(window, qtbot, key: str):  # type: ignore[no-untyped-def]
    """Opens a dashboard and waits for its tiles, computed off the GUI thread."""
    dash = window.dashboard
    with qtbot.waitSignal(dash.loaded, timeout=30_000, check_params_cb=lambda k: k == key):
        assert window.navigate(Location.dashboard(key))
    assert not dash.pending
    return dash


def test_care_team_dashboard_numbers(window, medical_org: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    dash = show(window, qtbot, "care-team")
    assert window.current_page() is dash
    cards = dash.cards

    ((plans,),) = sql(medical_org, "SELECT COUNT(*) FROM CarePlan WHERE Status = 'Active'")
    assert dash.tiles["active-plans"].value == plans
    assert cards["active-plans"].value_label.text() == f"{plans:,}"
    ((pending,),) = sql(
        medical_org, "SELECT COUNT(*) FROM CareRequest WHERE Status = 'Pending Review'"
    )
    assert dash.tiles["pending-auth"].value == pending

    bar = cards["conditions"].chart_view.chart().series()[0]
    assert isinstance(bar, QHorizontalBarSeries)
    rows = sql(
        medical_org,
        "SELECT ProblemName, COUNT(*) FROM HealthCondition WHERE ConditionStatus = 'Active' "
        "GROUP BY ProblemName ORDER BY COUNT(*) DESC, ProblemName LIMIT 12",
    )
    bars = bar.barSets()[0]
    # Largest first from the top: the series runs bottom-up.
    assert [bars.at(i) for i in reversed(range(bars.count()))] == [float(n) for _, n in rows]

    donut = cards["appt-status"].chart_view.chart().series()[0]
    assert isinstance(donut, QPieSeries) and donut.holeSize() > 0
    rows = dict(sql(medical_org, "SELECT Status, COUNT(*) FROM ServiceAppointment GROUP BY Status"))
    assert {s.label().split("  ")[0]: s.value() for s in donut.slices()} == pytest.approx(rows)
    assert cards["appt-status"].chart_view.centre is not None

    line = [
        s for s in cards["encounters"].chart_view.chart().series() if isinstance(s, QLineSeries)
    ]
    points = [p.y() for p in line[-1].points()]
    months = dict(
        sql(
            medical_org,
            "SELECT substr(StartDate, 1, 7), COUNT(*) FROM ClinicalEncounter GROUP BY 1",
        )
    )
    assert sum(points) == sum(months.values())
    assert len(points) >= len(months)


def test_pipeline_dashboard_funnel_and_money(window, medical_org: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    dash = show(window, qtbot, "pipeline")
    ((open_amount,),) = sql(medical_org, "SELECT SUM(Amount) FROM Opportunity WHERE IsClosed = 0")
    assert dash.tiles["open-pipeline"].value == pytest.approx(open_amount)
    assert dash.cards["open-pipeline"].value_label.text() == f"${open_amount:,.0f}"
    funnel = dash.cards["by-stage"].chart_view.chart().series()[0]
    assert isinstance(funnel, QHorizontalStackedBarSeries)
    body = funnel.barSets()[1]
    rows = sql(
        medical_org,
        "SELECT StageName, SUM(Amount) FROM Opportunity WHERE IsClosed = 0 GROUP BY StageName",
    )
    assert sorted(body.at(i) for i in range(body.count())) == pytest.approx(
        sorted(v for _, v in rows)
    )
    # The funnel keeps the stage order of the picklist, first stage on top.
    stages = [k for k, _ in dash.tiles["by-stage"].series]
    picklist = [s for s in window.reader.object("Opportunity").fields["StageName"].picklist]
    assert stages == [s for s in picklist if s in stages]


def test_tiles_appear_at_once_and_fill_in(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.navigate(Location.list("Account"))
    window.navigate(Location.dashboard("care-team"))
    dash = window.dashboard
    assert window.current_page() is dash
    assert dash.pending and dash.cards == {}
    with qtbot.waitSignal(dash.loaded, timeout=30_000):
        pass
    assert set(dash.cards) == {
        "active-plans",
        "no-shows",
        "pending-auth",
        "conditions",
        "appt-status",
        "encounters",
    }


def test_tile_links_open_the_list(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    show(window, qtbot, "care-team")
    window.dashboard.cards["active-plans"].link_activated.emit(Location.list("CarePlan").href())
    assert window.history.current == Location.list("CarePlan")


def test_a_click_on_a_bar_or_slice_opens_its_records(window, medical_org: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clicking the top bar of "conditions" opens the active health conditions of that name, and
    Back returns to the dashboard; a donut slice opens its appointments; "View records" keeps the
    tile's filter."""
    from demoorg.ui.widgets import LinkLabel

    dash = show(window, qtbot, "care-team")
    card = dash.cards["conditions"]
    bars = card.chart_view.chart().series()[0].barSets()[0]
    top_name, top_count = sql(
        medical_org,
        "SELECT ProblemName, COUNT(*) FROM HealthCondition WHERE ConditionStatus = 'Active' "
        "GROUP BY ProblemName ORDER BY COUNT(*) DESC, ProblemName LIMIT 1",
    )[0]
    bars.clicked.emit(bars.count() - 1)  # the top bar: the series runs bottom-up
    page = window.current_page()
    assert page is window.list_view
    assert page.model.total == top_count
    assert page.chip.text().startswith(f"{card.data.label}: {top_name}")
    window.back()
    assert window.current_page() is dash
    qtbot.waitUntil(lambda: "appt-status" in dash.cards, timeout=30_000)

    donut = dash.cards["appt-status"].chart_view.chart().series()[0]
    first = donut.slices()[0]
    status = first.label().split("  ")[0]
    ((n,),) = sql(medical_org, f"SELECT COUNT(*) FROM ServiceAppointment WHERE Status = '{status}'")
    first.clicked.emit()
    assert window.current_page() is window.list_view
    assert window.list_view.model.total == n
    window.back()

    card = show(window, qtbot, "care-team").cards["conditions"]
    ((active,),) = sql(
        medical_org, "SELECT COUNT(*) FROM HealthCondition WHERE ConditionStatus = 'Active'"
    )
    (link,) = [w for w in card.findChildren(LinkLabel) if "View records" in w.text()]
    window.open_href(link.href)
    assert window.list_view.model.total == active


def test_an_org_closed_before_its_dashboard_is_computed_opens_no_new_connection(
    window, medical_org: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """Opening another org right after asking for a dashboard closes the first org for good: the
    tiles it had scheduled are not computed on it (which would reconnect, and on a server org
    leave a connection open that nothing closes)."""
    from sqlalchemy import event

    first = window.org
    assert window.navigate(Location.dashboard("care-team"))
    connects: list[object] = []
    event.listen(first.engine, "connect", lambda *_: connects.append(1))
    assert window.open_path(str(medical_org))
    assert window.org is not first and first.closed
    qtbot.wait(50)  # the event loop runs what was scheduled
    assert connects == []
