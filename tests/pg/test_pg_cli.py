"""The command line with orgs on a server: seed --db/--org, info, audit, orgs, and the mistakes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from demoorg.cli import main
from demoorg.org.orgfile import open_org
from demoorg.seeders.writers import PgTarget

CORE = Path(__file__).resolve().parents[2] / "industries" / "_core"
Target = Callable[[str], PgTarget]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits by itself
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def seed(*extra: str) -> list[str]:
    return ["seed", "--industry", str(CORE), "--size", "300", "--as-of", "2026-11-23", *extra]


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (out, err)
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("demoorg: ")
    for needle in needles:
        assert needle in err, err


@pytest.fixture(scope="module")
def server(pg_target: Target) -> str:
    """The session server's URL as a person would type it (plain ``postgresql://``)."""
    url = str(pg_target("x")).rpartition("#")[0]
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_seed_then_info_then_orgs(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(seed("--prospect", "Globex Corp", "--db", server), capsys)
    assert code == 0, err
    location = server.replace("postgresql://", "postgresql+psycopg://") + "#globex_corp_core"
    assert out.startswith(f"Built {location}: ")
    assert "(Shared CRM, Winter '27, en_US, seed 1)." in out

    code, out, err = run(["info", "--db", server, "--org", "globex_corp_core"], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == f"Org        {location}"
    assert "Prospect   Globex Corp (" in out
    assert "Template   Shared CRM (core)" in out
    code, same, _ = run(["info", f"{server}#globex_corp_core"], capsys)
    assert code == 0 and same == out

    code, out, err = run(["info", "--json", location], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["prospect"]["name"] == "Globex Corp"
    assert data["counts"]["Account"] > 0

    code, out, err = run(["orgs", "--db", server], capsys)
    assert code == 0, err
    assert re.search(r"^  globex_corp_core\s+Globex Corp\s+core\s+Winter '27\s+[\d,]+\s", out, re.M)
    code, out, _ = run(["orgs", "--db", server, "--json"], capsys)
    listed = {o["org"]: o for o in json.loads(out)}
    assert listed["globex_corp_core"]["records"] == sum(data["counts"].values())


def test_seed_quiet_prints_the_location_and_force_replaces(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = seed("--db", server, "--org", "quiet_one", "--quiet")
    code, out, err = run(args, capsys)
    assert code == 0, err
    assert out.strip().endswith("#quiet_one")
    code, out, err = run(args, capsys)
    assert_one_line_error(code, out, err, "org 'quiet_one' already exists", "--force")
    code, out, err = run([*args, "--seed", "5", "--force"], capsys)
    assert code == 0, err
    with open_org(out.strip()) as org:
        assert org.build["seed"] == 5


def test_audit_on_a_server_org(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(seed("--db", server, "--org", "audited"), capsys)[0] == 0
    code, out, err = run(
        ["audit", "--db", server, "--org", "audited", "--rule", "people.phones-valid", "--json"],
        capsys,
    )
    assert code == 0, (out, err)
    data = json.loads(out)
    assert data["org"].endswith("#audited")
    assert [r["status"] for r in data["results"]] == ["pass"]
    code, out, err = run(["audit", f"{server}#audited", "--rule", "people.phones-valid"], capsys)
    assert code == 0, err
    assert out.startswith("PASS   people.phones-valid")


def test_a_password_is_never_printed(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    with_password = server.replace("postgresql://postgres@", "postgresql://postgres:Xyzzy-42@")
    for argv in (
        seed("--db", with_password, "--org", "shh"),
        ["info", "--db", with_password, "--org", "shh"],
        ["orgs", "--db", with_password],
        ["info", "--db", with_password, "--org", "missing_org"],
        ["audit", "--db", with_password, "--org", "shh", "--rule", "people.phones-valid", "--json"],
    ):
        _, out, err = run(argv, capsys)
        assert "Xyzzy-42" not in out + err, argv
        assert "postgres@" in out + err, (argv, out, err)


def test_seed_with_an_sqlite_url_writes_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "via-url.demoorg"
    code, out, err = run(seed("--db", f"sqlite:///{path}", "--quiet"), capsys)
    assert code == 0, err
    assert out.strip() == str(path)
    assert path.is_file()


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (seed("--org", "acme"), ["--org names an org on a PostgreSQL server"]),
        (seed("--db", "{server}", "--out", "x.demoorg"), ["both --out and --db given"]),
        (seed("--db", "{server}", "--org", "Acme-Medical"), ["invalid org name 'Acme-Medical'"]),
        (seed("--db", "{server}", "--org", "pg_things"), ["reserved by PostgreSQL"]),
        (seed("--db", "mysql://h/db"), ["unsupported database 'mysql'"]),
        (seed("--db", "postgresql+psycopg2://h/db"), ["unsupported PostgreSQL driver 'psycopg2'"]),
        (["info", "--db", "{server}"], ["no org named for", "orgs there:"]),
        (["info", "--db", "{server}", "--org", "nope"], ["no org 'nope' on", "demoorg seed --db"]),
        (["info", "x.demoorg", "--db", "{server}"], ["not allowed with argument org"]),
        (["audit", "--org", "acme"], ["--org names an org on a PostgreSQL server"]),
        (["orgs"], ["the following arguments are required: --db"]),
        (["orgs", "--db", "{server}#acme"], ["orgs lists a whole server"]),
        (["orgs", "--db", "x.demoorg"], ["is not a PostgreSQL server"]),
        (["orgs", "--db", "postgresql://postgres@127.0.0.1:1/db"], ["cannot list the orgs on"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0] != "seed" else None,
)
def test_mistakes_are_one_line_and_exit_2(
    server: str, capsys: pytest.CaptureFixture[str], argv: list[str], needles: list[str]
) -> None:
    args: list[Any] = [a.replace("{server}", server) for a in argv]
    code, out, err = run(args, capsys)
    assert_one_line_error(code, out, err, *needles)


@pytest.mark.parametrize("industry", ["_core", "medical"])
def test_a_json_export_of_a_server_org_equals_the_file_orgs(
    shipped_pair: Callable[[str], Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    industry: str,
) -> None:
    """The same values read back from PostgreSQL as from SQLite, down to the exported bytes."""
    pair = shipped_pair(industry)
    for name, org in (("pg", str(pair.pg)), ("file", str(pair.file))):
        code, _, err = run(
            ["export", org, str(tmp_path / f"{name}.json"), "--format", "json"], capsys
        )
        assert code == 0, err
    assert (tmp_path / "pg.json").read_bytes() == (tmp_path / "file.json").read_bytes()
