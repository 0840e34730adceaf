"""Hostile personalisation: prospect names and domains an SE may paste, or an attacker may craft.

Each value either seeds an org that shows and exports the exact string (quotes, SQL, right-to-left
text with override marks, emoji with joiners, HTML, format braces), or is refused with one line
that says why (an empty name, control characters, 10,000 characters, a domain that is no domain).
An accepted name is checked end to end: the org opens, ``demoorg info`` prints it, the app's
header and the hero record page show it, and the JSON, Data Loader and CumulusCI exports carry
it unchanged.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from demoorg.cli import main
from demoorg.org.orgfile import open_org

AS_OF = date(2026, 11, 23)

#: Names that must seed and show exactly as typed. The medical template names a hero account
#: "{prospect} Medical Center", so each name also lands inside record data.
ACCEPTED = {
    "quotes": 'O\'Brien "Ltd"',
    "sql": "'; DROP TABLE Account; --",
    "arabic with overrides": "\u202eشركة الأمل للرعاية\u202c",
    "hebrew": 'בית החולים "אור" בע״מ',
    "emoji joiners": "Family 👩\u200d👩\u200d👧 Care 🏳️\u200d🌈",
    "html": "<b>Bold</b> & <i>Co</i> <script>alert(1)</script>",
    "format braces": "Acme {0} {Name} }{ %s %(x)s",
    "backslashes": "C:\\Temp\\Acme \\n not a newline",
    "combining marks": "Cafe\u0301 Zoë Ångström",
}

#: The medical hero named "{prospect} Medical Center".
HERO = "prospect_hospital"

#: Names refused with one line, and words of the reason it gives.
REFUSED = {
    "empty": ("", "empty prospect name"),
    "blank": (" \t ", "empty prospect name"),
    "newline": ("Acme\nCorp", "control character U+000A at position 5"),
    "terminal escape": ("Acme\x1b[31mRed", "control character U+001B"),
    "carriage return": ("Acme\rEvil", "control character U+000D"),
    "bell": ("Acme\x07", "control character U+0007"),
    "10,000 characters": ("A" * 10_000, "10,000 characters long (expected at most 120)"),
}

#: Domains refused with one line: a domain must look like one.
BAD_DOMAINS = [
    "not a domain",
    "O'Brien.com",
    "'; DROP TABLE Account; --",
    "acme",
    "acme..com",
    "-acme.com",
    "acme.com\n",
    "🦄.com",
    "a" * 10_000 + ".com",
]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def seed_argv(out: Path, *extra: str) -> list[str]:
    return [
        "seed",
        "--industry",
        "medical",
        "--size",
        "50",
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


@pytest.fixture(scope="module")
def hostile_orgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One tiny medical org per accepted name (built once, read by every test)."""
    folder = tmp_path_factory.mktemp("hostile-orgs")
    orgs = {}
    for i, (key, name) in enumerate(sorted(ACCEPTED.items())):
        out = folder / f"org{i}.demoorg"
        domain = ["--domain", "münchen-klinik.de"] if key == "hebrew" else []
        assert main(seed_argv(out, "--prospect", name, *domain)) == 0, key
        orgs[key] = out
    return orgs


@pytest.mark.parametrize("key", sorted(ACCEPTED))
def test_accepted_names_are_stored_and_printed_exactly(
    key: str,
    hostile_orgs: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[str, int], None],
) -> None:
    tally("hostile names seeded and shown", 1)
    name = ACCEPTED[key]
    with open_org(hostile_orgs[key]) as org:
        assert org.meta["prospect"]["name"] == name
        hero_id = org.meta["heroes"][HERO]["id"]
        with org.engine.connect() as conn:
            stored = conn.exec_driver_sql(
                'SELECT "Name" FROM "Account" WHERE "Id" = ?', (hero_id,)
            ).scalar_one()
        assert stored == f"{name} Medical Center"
    code, out, err = run(["info", str(hostile_orgs[key])], capsys)
    assert (code, err) == (0, "")
    assert f"Prospect   {name} (" in out
    code, out, err = run(["info", str(hostile_orgs[key]), "--json"], capsys)
    assert (code, err) == (0, "")
    assert json.loads(out)["prospect"]["name"] == name


def test_a_given_domain_is_kept_exactly(hostile_orgs: dict[str, Path]) -> None:
    with open_org(hostile_orgs["hebrew"]) as org:
        assert org.meta["prospect"]["domain"] == "münchen-klinik.de"


def test_a_default_domain_from_a_hostile_name_is_a_domain(hostile_orgs: dict[str, Path]) -> None:
    from demoorg.seeders.plan import check_domain

    for key in ACCEPTED:
        with open_org(hostile_orgs[key]) as org:
            check_domain(org.meta["prospect"]["domain"])  # no quote, space or emoji leaks in


@pytest.mark.parametrize("fmt", ["json", "dataloader", "cumulusci"])
@pytest.mark.parametrize("key", sorted(ACCEPTED))
def test_exports_carry_the_exact_string(
    key: str,
    fmt: str,
    hostile_orgs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = ACCEPTED[key]
    hero_name = f"{name} Medical Center"
    out = tmp_path / ("org.json" if fmt == "json" else "out")
    code, _, err = run(["export", str(hostile_orgs[key]), str(out), "--format", fmt], capsys)
    assert (code, err) == (0, "")
    if fmt == "json":
        data = json.loads(out.read_text("utf-8"))
        assert data["meta"]["prospect"]["name"] == name
        names = [r["Name"] for r in data["objects"]["Account"]["records"]]
    elif fmt == "dataloader":
        with (out / "Account.csv").open(encoding="utf-8", newline="") as fh:
            names = [row["Name"] for row in csv.DictReader(fh)]
    else:
        with closing(sqlite3.connect(out / "dataset.db")) as con:
            names = [row[0] for row in con.execute('SELECT "Name" FROM "Account"')]
    assert hero_name in names


@pytest.mark.parametrize("key", sorted(REFUSED))
def test_refused_names_are_one_line_and_build_nothing(
    key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Callable[[str, int], None]
) -> None:
    tally("hostile names refused", 1)
    name, reason = REFUSED[key]
    code, out, err = run(seed_argv(tmp_path / "org.demoorg", "--prospect", name), capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("demoorg: "), err
    assert reason in err, err
    assert len(err) < 300  # a 10,000-character name is not echoed back
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("domain", BAD_DOMAINS, ids=lambda d: repr(d[:20]))
def test_a_domain_must_look_like_a_domain(
    domain: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[str, int], None],
) -> None:
    tally("hostile domains refused", 1)
    # ``--domain=…``: a domain starting with "-" would otherwise read as an option.
    code, out, err = run(seed_argv(tmp_path / "org.demoorg", f"--domain={domain}"), capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    assert "invalid domain" in err and "expected a domain like acme.com" in err, err
    assert list(tmp_path.iterdir()) == []


# --- the app shows them --------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(ACCEPTED))
def test_the_app_shows_the_name_in_the_header_and_on_the_record_page(
    key: str,
    hostile_orgs: dict[str, Path],
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QLabel

    from demoorg.ui.main_window import MainWindow
    from demoorg.ui.navigation import Location

    name = ACCEPTED[key]
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, today=AS_OF)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    assert win.open_path(str(hostile_orgs[key]))
    assert win.header.brand.name.text() == name
    hero = win.org.meta["heroes"][HERO]
    assert win.navigate(Location("record", object=hero["object"], id=hero["id"]))
    assert win.current_page() is win.record_page
    shown = [w.text() for w in win.record_page.findChildren(QLabel)]
    assert f"{name} Medical Center" in shown
