"""UI fixtures: one small medical org per session, a themed app, private settings, a window."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from demoorg.content import model as m
from demoorg.content.releases import parse_release
from demoorg.content.template import load_template
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams, Prospect

#: The org's "today" in every UI test (the same as the engine tests use).
AS_OF = date(2026, 11, 23)


def medical_params(size: int = 2000, seed: int = 3, **kw: object) -> BuildParams:
    return BuildParams(
        industry="medical",
        seed=seed,
        size=size,
        size_name=str(size),
        locale=str(kw.get("locale", "en_US")),
        as_of=AS_OF,
        release=parse_release("Winter '27"),
        prospect=Prospect("Northwind Health"),
    )


@pytest.fixture(scope="session")
def medical_template() -> m.TemplateDef:
    return load_template("medical")


@pytest.fixture(scope="session")
def medical_org(tmp_path_factory: pytest.TempPathFactory, medical_template: m.TemplateDef) -> Path:
    """A small medical org (about 2,000 records) that UI tests share read-only."""
    out = tmp_path_factory.mktemp("medical-org") / "medical.demoorg"
    build_org(medical_template, medical_params(), out)
    return out


@pytest.fixture(scope="session")
def summaries(medical_template: m.TemplateDef) -> list:
    """Builder cards for the shipped templates, loaded once."""
    from demoorg.ui.builder import load_summaries

    return load_summaries()


@pytest.fixture(scope="session", autouse=True)
def _gc_on_the_gui_thread(gui_thread_gc: None) -> None:
    """Every UI test runs with the app's GC guard (see tests/qt_fixtures.py)."""


@pytest.fixture
def window(qtbot, themed_app, settings, summaries, medical_org):  # type: ignore[no-untyped-def]
    """The main window with the small medical org open."""
    from demoorg.ui.main_window import MainWindow

    win = MainWindow(settings, today=AS_OF, summaries=summaries)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    assert win.open_path(str(medical_org))
    return win
