"""The builder, driven with qtbot: a build that finishes, one that is cancelled, and errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from demoorg.content.releases import parse_release
from demoorg.org.orgfile import open_org
from demoorg.seeders.build import is_org_file
from demoorg.ui.builder import BuilderWidget, feature_stages

AS_OF_TEXT = "2026-11-23"


def make_builder(qtbot, summaries) -> BuilderWidget:  # type: ignore[no-untyped-def]
    from datetime import date

    b = BuilderWidget(today=date.fromisoformat(AS_OF_TEXT), summaries=summaries)
    qtbot.addWidget(b)
    b.resize(1280, 900)
    b.show()
    return b


def test_builds_an_org_through_the_form(qtbot, themed_app, summaries, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    b = make_builder(qtbot, summaries)
    assert set(b.industry_cards) >= {"medical"}
    qtbot.mouseClick(b.industry_cards["medical"], Qt.MouseButton.LeftButton)
    assert b.selected is not None and b.selected.industry == "medical"
    b.prospect.setText("Globex Health")
    b.domain.setText("globex.example.org")
    b.color.setText("#8A2BE2")
    b.locale.setCurrentText("de_DE")
    b.set_size("custom", 600)
    b.seed.setValue(11)
    out = tmp_path / "globex.demoorg"
    b.out.setText(str(out))
    with qtbot.waitSignal(b.org_built, timeout=60_000) as blocker:
        qtbot.mouseClick(b.build_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(out)]
    assert is_org_file(out)
    with open_org(out) as org:
        assert org.meta["prospect"]["name"] == "Globex Health"
        assert org.meta["prospect"]["domain"] == "globex.example.org"
        assert org.meta["prospect"]["color"] == "#8A2BE2"
        assert org.build["locale"] == "de_DE"
        assert org.build["seed"] == 11
        assert org.build["as_of"] == AS_OF_TEXT
    assert b.build_button.isEnabled()
    assert "Built globex.demoorg" in b.status.text()


def test_cancel_leaves_nothing_behind(qtbot, themed_app, summaries, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    b = make_builder(qtbot, summaries)
    b.select_industry("medical")
    b.set_size("custom", 400_000)
    out = tmp_path / "big.demoorg"
    b.out.setText(str(out))
    with qtbot.waitSignal(b.controller.build_progressed, timeout=60_000):
        b.build()
    assert b.progress.isVisible() and b.cancel_button.isVisible()
    with qtbot.waitSignal(b.controller.build_cancelled, timeout=60_000):
        qtbot.mouseClick(b.cancel_button, Qt.MouseButton.LeftButton)
    assert list(tmp_path.iterdir()) == []
    assert "Cancelled" in b.status.text()
    assert b.build_button.isEnabled() and not b.cancel_button.isVisible()


def test_mistakes_are_shown_as_one_readable_line(
    qtbot, themed_app, summaries, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    b = make_builder(qtbot, summaries)
    b.out.setText(str(tmp_path / "x.demoorg"))
    b.color.setText("red")
    b.build()
    assert b.error.isVisible()
    assert b.error.text() == "invalid colour 'red' (expected #RRGGBB)"
    b.color.setText("#112233")
    b.locale.setCurrentText("xx_YY")
    b.build()
    assert b.error.text().startswith("unknown locale 'xx_YY'")
    b.locale.setCurrentText("en_US")
    b.prospect.setText("Acme\x1b[31m Health")
    b.build()
    assert b.error.text().startswith("prospect name has control character U+001B")
    b.prospect.setText("Acme Health")
    b.domain.setText("acme health.com")
    b.build()
    assert b.error.text().startswith("invalid domain 'acme health.com'")
    assert not (tmp_path / "x.demoorg").exists()
    b.domain.setText("")
    (tmp_path / "not-an-org.demoorg").write_text("hello")
    b.out.setText(str(tmp_path / "not-an-org.demoorg"))
    with qtbot.waitSignal(b.controller.build_failed, timeout=30_000) as blocker:
        b.build()
    assert "is not a demoorg org" in blocker.args[0]
    assert "Traceback" not in b.error.text() and "\n" not in b.error.text()


def test_release_picker_shows_feature_stages(
    qtbot, themed_app, summaries, medical_template
) -> None:  # type: ignore[no-untyped-def]
    b = make_builder(qtbot, summaries)
    b.select_industry("medical")
    assert b.selected_release().name == "Winter '27"  # in production on 2026-11-23
    summer = parse_release("Summer '27")
    b.release.setCurrentIndex(b.release.findData(summer.index))
    assert "Summer '27" in b.release_info.text() and "API 70.0" in b.release_info.text()
    stages = dict((f.key, s) for f, s in feature_stages(medical_template, summer, False))
    assert stages["prior-auth-automation"] == "GA"
    assert stages["referral-management"] == "Pilot"
    b.preview_box.setChecked(True)
    assert "Preview" in b.release_info.text()
    b.as_of.setDate(b.as_of.date().addYears(1))
    assert b.release.count() > 0
