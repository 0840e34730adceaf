"""Shared fixtures: a private demoorg home per test, template folders, and small org builds."""

from __future__ import annotations

import os

# Qt must never try to open a display in the test run (set before anything imports PySide6).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3
import textwrap
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.content import model as m
from demoorg.content.releases import parse_release
from demoorg.content.template import load_template
from demoorg.seeders.build import BuildResult, build_org
from demoorg.seeders.plan import BuildParams

#: Qt fixtures (themed app, settings, the GUI-thread GC guard) for the tests that ask for them.
pytest_plugins = ["qt_fixtures"]

REPO = Path(__file__).resolve().parents[1]
INDUSTRIES = REPO / "industries"
CORE = INDUSTRIES / "_core"
AS_OF = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def demoorg_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty demoorg home, so nothing touches the real one."""
    home = tmp_path_factory.mktemp("demoorg-home")
    monkeypatch.setenv("DEMOORG_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def core_template() -> m.TemplateDef:
    """The shared base template, loaded by path (it has ``industry: core``)."""
    return load_template(CORE)


def make_params(
    tpl: m.TemplateDef,
    *,
    seed: int = 1,
    size: int = 1000,
    locale: str = "en_US",
    as_of: date = AS_OF,
    release: str = "Winter '27",
) -> BuildParams:
    return BuildParams(
        industry=tpl.industry,
        seed=seed,
        size=size,
        size_name=str(size),
        locale=locale,
        as_of=as_of,
        release=parse_release(release),
    )


@pytest.fixture
def build(core_template: m.TemplateDef) -> Callable[..., BuildResult]:
    """``build(out, seed=…, size=…, locale=…, tpl=…, force=…, cancelled=…)`` builds an org."""

    def _build(
        out: Path,
        *,
        tpl: m.TemplateDef | None = None,
        force: bool = False,
        cancelled: Callable[[], bool] | None = None,
        **params: Any,
    ) -> BuildResult:
        template = tpl or core_template
        return build_org(
            template, make_params(template, **params), out, force=force, cancelled=cancelled
        )

    return _build


@pytest.fixture(scope="session")
def core_org(tmp_path_factory: pytest.TempPathFactory, core_template: m.TemplateDef) -> Path:
    """One small core org (about 2,000 records) that read-only tests share."""
    out = tmp_path_factory.mktemp("core-org") / "core.demoorg"
    build_org(core_template, make_params(core_template, seed=7, size=2000), out)
    return out


def _query(org: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{org}?mode=ro", uri=True)) as con:
        return con.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def query() -> Callable[..., list[tuple[Any, ...]]]:
    """``query(org, sql, params=())`` runs SQL against an org file opened read-only."""
    return _query


@pytest.fixture
def write_template(tmp_path: Path) -> Callable[..., Path]:
    """Writes ``<tmp>/<name>/template.yaml`` from inline YAML; returns the template folder.

    ``base`` (YAML text) is written beside it as ``_base/template.yaml`` for ``extends: _base``.
    """

    def _write(text: str, *, name: str = "t", base: str | None = None) -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "template.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        if base is not None:
            base_folder = tmp_path / "_base"
            base_folder.mkdir(exist_ok=True)
            (base_folder / "template.yaml").write_text(textwrap.dedent(base), encoding="utf-8")
        return folder

    return _write


@pytest.fixture
def readonly_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder nobody may write to.

    Root ignores permission bits, so when the tests run as root the folder is also reported as
    not writable by ``os.access`` (which is what demoorg asks), as it would be for a normal user.
    """
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None and geteuid() == 0:
        real_access = os.access
        resolved = folder.resolve()

        def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
            if mode & os.W_OK and Path(path).resolve() == resolved:
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
    yield folder
    folder.chmod(0o755)
