"""Corrupt org files: damaged, foreign or newer files are explained in one line and never changed.

A user double-clicks or passes whatever file they have: a copy cut short by a full disk or an
interrupted download, a file with bytes flipped in the middle, an org from a newer demoorg, an
SQLite file of another program, an empty file, a folder, a zip. Every command that reads an org
(``info``, ``audit``, ``stories``, ``export``), ``open_org`` and the app's open path answer with
one line and no traceback, and the file's bytes and modification time are the same afterwards.

Exit codes: a file refused when it is opened is a wrong argument, exit 2 (as for a missing file);
damage found only while records are read fails the command part way, exit 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from demoorg import ORG_FORMAT_VERSION
from demoorg.cli import main
from demoorg.errors import OrgError
from demoorg.org.orgfile import open_org
from demoorg.seeders.schema import META_TABLE

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "industries" / "_core"

COMMANDS = {
    "info": ["info", "{org}"],
    "info --json": ["info", "{org}", "--json"],
    "audit": ["audit", "{org}"],
    "stories": ["stories", "{org}"],
    "export json": ["export", "{org}", "{out}/org.json", "--format", "json"],
    "export dataloader": ["export", "{org}", "{out}/dl", "--format", "dataloader"],
    "export cumulusci": ["export", "{org}", "{out}/cci", "--format", "cumulusci"],
}


@pytest.fixture(scope="module")
def good_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bad-org-source") / "good.demoorg"
    argv = ["seed", "--industry", str(CORE), "--size", "50", "--as-of", "2026-11-23"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    return out


def truncated(at: float) -> Callable[[Path, Path], None]:
    def make(good: Path, bad: Path) -> None:
        data = good.read_bytes()
        bad.write_bytes(data[: int(len(data) * at)])

    return make


def flipped(seed: int) -> Callable[[Path, Path], None]:
    def make(good: Path, bad: Path) -> None:
        data = bytearray(good.read_bytes())
        rng = random.Random(seed)
        for _ in range(64):  # bytes in the middle half: pages of records, not the header
            data[rng.randrange(len(data) // 4, 3 * len(data) // 4)] ^= 0xFF
        bad.write_bytes(bytes(data))

    return make


def newer_format(good: Path, bad: Path) -> None:
    shutil.copyfile(good, bad)
    with closing(sqlite3.connect(bad)) as con, con:
        con.execute(
            f'UPDATE "{META_TABLE}" SET value = ? WHERE key = ?',
            (json.dumps(ORG_FORMAT_VERSION + 1), "format_version"),
        )


def foreign_sqlite(good: Path, bad: Path) -> None:
    with closing(sqlite3.connect(bad)) as con, con:
        con.execute("CREATE TABLE notes (body TEXT)")
        con.execute("INSERT INTO notes VALUES ('not an org')")


def empty(good: Path, bad: Path) -> None:
    bad.write_bytes(b"")


def folder(good: Path, bad: Path) -> None:
    bad.mkdir()
    (bad / "inside.txt").write_text("a folder named like an org\n")


def a_zip(good: Path, bad: Path) -> None:
    with zipfile.ZipFile(bad, "w") as zf:
        zf.write(good, "org.demoorg")  # even an org inside a zip is not an org


#: Each bad file, and what its refusal says when it is refused on opening.
REFUSED_ON_OPEN = {
    "cut at 0.1%": (truncated(0.001), "cannot be read"),
    "cut at 25%": (truncated(0.25), "cannot be read"),
    "cut at 50%": (truncated(0.5), "cannot be read"),
    "cut one byte short": (truncated(0.999999), "damaged"),
    "newer format": (newer_format, "built by a newer demoorg"),
    "another program's SQLite": (foreign_sqlite, "is not a demoorg org"),
    "empty": (empty, "is not an org file"),
    "folder": (folder, "is a folder"),
    "zip": (a_zip, "is not an org file"),
}
#: Damage inside record pages: the org may open, and a command may fail part way.
DAMAGED_INSIDE = {f"bytes flipped, seed {seed}": flipped(seed) for seed in range(4)}


def fingerprint(path: Path) -> tuple[str, int]:
    """(sha256 of the bytes, modification time in ns); a folder's is its listing's."""
    if path.is_dir():
        listing = "\n".join(sorted(p.name for p in path.iterdir()))
        return hashlib.sha256(listing.encode()).hexdigest(), path.stat().st_mtime_ns
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def make_bad(make: Callable[[Path, Path], None], good: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "bad.demoorg"
    make(good, bad)
    stamp = 1_600_000_000_000_000_000  # an mtime in the past: any write would move it
    os.utime(bad, ns=(stamp, stamp))
    return bad


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(REFUSED_ON_OPEN))
def test_commands_refuse_a_bad_file_in_one_line(
    kind: str,
    command: str,
    good_org: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[str, int], None],
) -> None:
    tally("bad org files tried", 1)
    make, needle = REFUSED_ON_OPEN[kind]
    bad = make_bad(make, good_org, tmp_path)
    before = fingerprint(bad)
    (tmp_path / "out").mkdir()
    argv = [a.format(org=bad, out=tmp_path / "out") for a in COMMANDS[command]]
    code, out, err = run(argv, capsys)
    assert code == 2, (code, out, err)
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"demoorg: {bad}"), err
    assert needle in err, err
    assert fingerprint(bad) == before
    assert list((tmp_path / "out").iterdir()) == []  # no half export


@pytest.mark.parametrize("kind", sorted(REFUSED_ON_OPEN))
def test_open_org_and_the_apps_open_path_refuse_a_bad_file(
    kind: str, good_org: Path, tmp_path: Path
) -> None:
    from demoorg.org.query import OrgReader  # what the app's open (MainWindow._open) uses

    make, needle = REFUSED_ON_OPEN[kind]
    bad = make_bad(make, good_org, tmp_path)
    before = fingerprint(bad)
    with pytest.raises(OrgError) as info:
        OrgReader(open_org(bad))
    assert needle in str(info.value) and "\n" not in str(info.value)
    assert fingerprint(bad) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(DAMAGED_INSIDE))
def test_damage_inside_records_never_ends_in_a_traceback(
    kind: str,
    command: str,
    good_org: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[str, int], None],
) -> None:
    tally("bad org files tried", 1)
    bad = make_bad(DAMAGED_INSIDE[kind], good_org, tmp_path)
    before = fingerprint(bad)
    (tmp_path / "out").mkdir()
    argv = [a.format(org=bad, out=tmp_path / "out") for a in COMMANDS[command]]
    code, _, err = run(argv, capsys)
    assert "Traceback" not in err and "internal error" not in err, err
    if command.startswith("audit"):
        assert code in (0, 1)  # audit exits 1 when its rules find the damaged values
    elif code != 0:
        assert code in (1, 2), (code, err)
        assert len(err.splitlines()) == 1 and "(the file may be damaged)" in err, err
        assert list((tmp_path / "out").iterdir()) == []  # a failed export leaves nothing
    assert fingerprint(bad) == before


@pytest.mark.parametrize("kind", sorted(DAMAGED_INSIDE))
def test_the_apps_open_path_survives_damage_inside_records(
    kind: str, good_org: Path, tmp_path: Path
) -> None:
    from demoorg.org.query import OrgReader

    bad = make_bad(DAMAGED_INSIDE[kind], good_org, tmp_path)
    before = fingerprint(bad)
    try:
        org = open_org(bad)
    except OrgError as exc:
        assert "\n" not in str(exc)
    else:
        with org:
            OrgReader(org)
    assert fingerprint(bad) == before


def test_a_good_org_is_read_and_left_unchanged(
    good_org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same commands on the intact file succeed: the refusals above come from the damage.
    before = fingerprint(good_org)
    (tmp_path / "out").mkdir()
    for command in sorted(COMMANDS):
        argv = [a.format(org=good_org, out=tmp_path / "out") for a in COMMANDS[command]]
        code, _, err = run(argv, capsys)
        assert code in ((0, 1) if command == "audit" else (0,)), (command, err)
    assert fingerprint(good_org) == before
