"""The realism audit on PostgreSQL orgs gives what it gives on the same org in a file.

Each shipped industry is built on the server and in a file with the same parameters (the two hold
the same rows, see test_pg_build.py); every rule must give the same status and the same figure on
both, and none may break on either. Agreeing on clean orgs is not enough: the corruptions of
tests/org/test_audit.py (written in SQL both engines run) are applied to the server orgs too, and
every rule must fail there with the figure it gives on the corrupted file.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import text

from demoorg.org.audit import RULES, Audit, Figure, Rule, RuleResult, run_audit, run_rule
from demoorg.org.orgfile import open_org

INDUSTRIES = Path(__file__).resolve().parents[2] / "industries"
SHIPPED = [
    name
    for name in ("_core", "medical", "telecom", "transportation", "finance")
    if (INDUSTRIES / name / "template.yaml").is_file()
]


def _file_audit_tests() -> ModuleType:
    """tests/org/test_audit.py, whose corruptions are applied here to server orgs as well."""
    path = Path(__file__).resolve().parents[1] / "org" / "test_audit.py"
    spec = importlib.util.spec_from_file_location("file_org_audit_tests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_FILE_TESTS = _file_audit_tests()
CORRUPTIONS: dict[str, tuple[str, list[str], str]] = _FILE_TESTS.CORRUPTIONS
REPAIR_CORE: list[str] = _FILE_TESTS.REPAIR_CORE

Results = dict[str, RuleResult]


@pytest.fixture(scope="session")
def audited_pair(shipped_pair: Callable[[str], Any]) -> Callable[[str], tuple[Results, Results]]:
    """``audited_pair(industry)``: every rule's result on the server org and on the file org."""
    cache: dict[str, tuple[Results, Results]] = {}

    def get(industry: str) -> tuple[Results, Results]:
        if industry not in cache:
            pair = shipped_pair(industry)
            with open_org(pair.pg) as pg, open_org(pair.file) as file:
                cache[industry] = (
                    {r.rule.name: r for r in run_audit(pg)},
                    {r.rule.name: r for r in run_audit(file)},
                )
        return cache[industry]

    return get


@pytest.mark.parametrize("industry", SHIPPED)
def test_every_rule_gives_the_same_result_on_postgresql(
    audited_pair: Callable[[str], tuple[Results, Results]], industry: str
) -> None:
    pg, file = audited_pair(industry)
    assert list(pg) == list(file) == list(RULES)
    errors = {
        f"{engine}: {name}": r.figure
        for engine, results in (("PostgreSQL", pg), ("file", file))
        for name, r in results.items()
        if r.status == "error"
    }
    assert errors == {}
    differ = {
        name: f"file: {file[name].status} {file[name].figure!r}; "
        f"PostgreSQL: {pg[name].status} {pg[name].figure!r}"
        for name in RULES
        if (pg[name].status, pg[name].figure) != (file[name].status, file[name].figure)
    }
    assert differ == {}


# --- the server path finds problems ---------------------------------------------------------------


def _corrupted_file(pair: Any, statements: list[str], folder: Path) -> Path:
    org = folder / "corrupted.demoorg"
    shutil.copyfile(pair.file, org)
    with closing(sqlite3.connect(org)) as con:
        for sql in statements:
            con.execute(sql)
        con.commit()
    return org


@pytest.mark.parametrize("rule", sorted(CORRUPTIONS))
def test_rule_fails_on_a_corrupted_server_org(
    shipped_pair: Callable[[str], Any], tmp_path: Path, rule: str
) -> None:
    """The corruption runs in a transaction that is rolled back, so the shared org stays as built.

    The server declares lookups as foreign keys, which would refuse a dangling lookup or a changed
    Id; ``session_replication_role = replica`` (the test server's user is a superuser) switches
    their checks off for this transaction only.
    """
    industry, statements, needle = CORRUPTIONS[rule]
    if industry not in SHIPPED:
        pytest.skip(f"industries/{industry} is not shipped")
    pair = shipped_pair(industry)
    repair = REPAIR_CORE if industry == "_core" else []
    with open_org(_corrupted_file(pair, [*repair, *statements], tmp_path)) as file:
        on_file = run_audit(file, [rule])[0]

    with open_org(pair.pg, readonly=False) as org, org.engine.connect() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql in repair:
            conn.execute(text(sql))
        before = run_rule(Audit(org, conn), RULES[rule])
        for sql in statements:
            conn.execute(text(sql))
        after = run_rule(Audit(org, conn), RULES[rule])
        conn.rollback()

    assert before.status == "pass", before.figure
    assert after.status == "fail", after.figure
    assert needle in after.figure, after.figure
    assert after.figure == on_file.figure


# --- one rule's error does not spoil the rest --------------------------------------------------


def _broken(a: Audit) -> Figure:
    a.scalar('SELECT COUNT(*) FROM "NoSuchObject"')
    return "unreachable", True


@pytest.mark.parametrize("engine", ["PostgreSQL", "file"])
def test_one_broken_rule_does_not_break_the_next(
    shipped_pair: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """On PostgreSQL a failed statement aborts its transaction; the audit rolls back and goes on."""
    broken = Rule("test.broken", "Reads a table that is not there.", "nothing", (), _broken)
    monkeypatch.setitem(RULES, broken.name, broken)
    pair = shipped_pair("_core")
    with open_org(pair.pg if engine == "PostgreSQL" else pair.file) as org:
        alone = run_audit(org, ["sales.win-rate"])[0]
        first, after = run_audit(org, [broken.name, "sales.win-rate"])
    assert first.status == "error" and "NoSuchObject" in first.figure, first.figure
    assert alone.status == "pass", alone.figure
    assert (after.status, after.figure) == (alone.status, alone.figure)
