"""``demoorg validate`` checks stories too; ``demoorg stories ORG`` lists what fits an org."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from demoorg.cli import main
from demoorg.content.paths import BUILTIN_INDUSTRIES


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_checks_every_shipped_story(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert all(line.startswith("ok  ") for line in lines)
    stories = [line for line in lines if "/stories/" in line]
    assert len(stories) >= 4
    medical = [
        line
        for line in stories
        if line.endswith(
            "medical/stories/cfo-care-gaps.yaml  "
            "(Closing care gaps pays for itself: 9 scenes, CFO, 14m)"
        )
    ]
    assert len(medical) == 1, stories


def test_validate_reports_a_broken_story_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A copy of the medical template (and the base it extends) with one story mistake.
    folder = tmp_path / "med"
    shutil.copytree(BUILTIN_INDUSTRIES / "medical", folder)
    shutil.copytree(BUILTIN_INDUSTRIES / "_core", tmp_path / "_core")
    story = folder / "stories" / "cfo-care-gaps.yaml"
    text = story.read_text(encoding="utf-8").replace(
        "spotlight: tile:no-shows", "spotlight: tile:no-show"
    )
    story.write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "tile:no-show" in s)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["validate", "med"], capsys)
    assert code == 1
    assert out.startswith("ok  med  (Healthcare & Life Sciences")
    lines = err.splitlines()
    assert lines[0].startswith(
        f"med/stories/cfo-care-gaps.yaml:{line}: spotlight 'tile:no-show': dashboard 'care-team' "
        "has no tile 'no-show' (did you mean 'no-shows'?)"
    ), err
    shipped = len(list((BUILTIN_INDUSTRIES / "medical" / "stories").glob("*.yaml")))
    assert lines[-1] == f"1 of {shipped} stories have errors"


def test_stories_lists_what_fits_an_org(
    orgs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["stories", str(orgs["medical"])], capsys)
    assert code == 0, err
    lines = out.splitlines()
    shipped = len(list((BUILTIN_INDUSTRIES / "medical" / "stories").glob("*.yaml")))
    assert lines[0] == f"Stories for Acme Health (medical, Winter '27): {shipped} found"
    at = lines.index(next(x for x in lines if x.split()[:1] == ["cfo-care-gaps"]))
    assert lines[at].split() == [
        "cfo-care-gaps",
        "Closing",
        "care",
        "gaps",
        "pays",
        "for",
        "itself",
    ]
    assert lines[at + 1].strip() == "CFO · 9 scenes (8 shown) · 14m · ready (1 scene skipped)"
    assert "[Beta] Care Gap Insights" in lines[at + 2]
    assert "[Not available] Prior Authorization Automation" in lines[at + 2]
    code, out, err = run(["stories", str(orgs["finance"]), "--json"], capsys)
    data = json.loads(out)
    assert data[0]["key"] == "wealth-retirement-review" and data[0]["playable"] is True
    assert data[0]["scenes"] == 10 and data[0]["persona"] == "Head of Wealth Management"
    assert {"key": "relationship-center", "label": "Relationship Center", "stage": "GA"} in data[0][
        "badges"
    ]


def test_stories_of_a_missing_org_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["stories", str(tmp_path / "nope.demoorg")], capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("demoorg: ")
