"""Small orgs of every shipped industry, built once per session, and helpers to compare data.

Orgs are built as of 2026-11-23 on Winter '27 (so some features are Beta, Pilot or not available)
and presented 17 days later, so fresh dates move everything by 17 days.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from org_checks import file_hash, table_hashes

from demoorg.content import model as m
from demoorg.content.paths import BUILTIN_INDUSTRIES
from demoorg.content.releases import parse_release
from demoorg.content.stories import StoryDef, load_stories
from demoorg.content.template import load_template
from demoorg.present import PresentSession, open_session
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams, Prospect

AS_OF = date(2026, 11, 23)
TODAY = date(2026, 12, 10)  # 17 days after the build
INDUSTRIES = ("medical", "telecom", "finance", "transportation")


def build(tpl: m.TemplateDef, out: Path, release: str = "Winter '27", size: int = 1200) -> Path:
    params = BuildParams(
        industry=tpl.industry,
        seed=3,
        size=size,
        size_name=str(size),
        locale="en_US",
        as_of=AS_OF,
        release=parse_release(release),
        prospect=Prospect("Acme Health"),
    )
    build_org(tpl, params, out)
    return out


@pytest.fixture(scope="session")
def templates() -> dict[str, m.TemplateDef]:
    return {i: load_template(BUILTIN_INDUSTRIES / i) for i in INDUSTRIES}


@pytest.fixture(scope="session")
def orgs(
    tmp_path_factory: pytest.TempPathFactory, templates: dict[str, m.TemplateDef]
) -> dict[str, Path]:
    """One small org per industry (read-only for tests: copy it before writing to it)."""
    folder = tmp_path_factory.mktemp("present-orgs")
    return {i: build(tpl, folder / f"{i}.demoorg") for i, tpl in templates.items()}


@pytest.fixture(scope="session")
def stories(templates: dict[str, m.TemplateDef]) -> dict[str, StoryDef]:
    """The first shipped story of each industry."""
    return {i: load_stories(tpl)[0] for i, tpl in templates.items()}


@pytest.fixture
def session(orgs: dict[str, Path]) -> Iterator[Callable[..., PresentSession]]:
    """``session(industry, today=TODAY)`` opens a working copy; closed after the test."""
    opened: list[PresentSession] = []

    def _open(industry: str = "medical", today: date | None = TODAY) -> PresentSession:
        s = open_session(orgs[industry], today)
        opened.append(s)
        return s

    yield _open
    for s in opened:
        s.close()


@pytest.fixture
def org_copy(orgs: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """``org_copy(industry)``: a private copy of an org that a test may write to."""

    def _copy(industry: str = "medical") -> Path:
        dst = tmp_path / f"{industry}-copy.demoorg"
        shutil.copyfile(orgs[industry], dst)
        return dst

    return _copy


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def hashes() -> Callable[..., dict[str, str]]:
    """``hashes(path, skip=())``: :func:`table_hashes` as a fixture."""
    return table_hashes


@pytest.fixture(scope="session")
def fhash() -> Callable[[Path], str]:
    """``fhash(path)``: the SHA-256 of a file's bytes."""
    return file_hash
