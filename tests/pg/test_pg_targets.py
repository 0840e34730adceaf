"""Where an org lives: parsing targets, org names, redaction, and the writers' SQL (no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from demoorg.errors import UsageError
from demoorg.seeders.writers import (
    PG_MAX_IDENTIFIER,
    PgTarget,
    PostgresWriter,
    SQLiteWriter,
    check_org_name,
    default_org_name,
    index_name,
    parse_target,
    redact,
)


def test_a_path_is_a_file_target() -> None:
    assert parse_target("acme.demoorg") == Path("acme.demoorg")
    assert parse_target(Path("/tmp/x.demoorg")) == Path("/tmp/x.demoorg")
    assert parse_target("sqlite:////tmp/x.demoorg") == Path("/tmp/x.demoorg")
    with pytest.raises(UsageError, match="--org names an org on a PostgreSQL server"):
        parse_target("acme.demoorg", "acme")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@db.example.com/demos#acme_medical",
        "postgres://u@db.example.com/demos#acme_medical",
        "postgresql+psycopg://u@db.example.com/demos#acme_medical",
    ],
)
def test_a_postgresql_url_names_server_and_org(url: str) -> None:
    target = parse_target(url)
    assert isinstance(target, PgTarget)
    assert target.name == "acme_medical"
    assert target.url.drivername == "postgresql+psycopg"
    assert str(target) == "postgresql+psycopg://u@db.example.com/demos#acme_medical"
    assert parse_target(url.partition("#")[0], "acme_medical") == target
    assert parse_target(url, "acme_medical") == target


def test_two_different_org_names_are_refused() -> None:
    with pytest.raises(UsageError, match="two org names given"):
        parse_target("postgresql://h/db#one", "two")


def test_the_password_is_kept_to_connect_but_never_shown() -> None:
    target = parse_target("postgresql://ann:p%40ss@h:5433/db#acme")
    assert isinstance(target, PgTarget)
    assert target.url.password == "p@ss"
    assert str(target) == "postgresql+psycopg://ann@h:5433/db#acme"
    assert "p@ss" not in target.server and "p%40ss" not in target.server
    assert redact(target.url) == "postgresql+psycopg://ann@h:5433/db"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("acme_medical", True),
        ("a", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("Acme", False),
        ("acme-medical", False),
        ("1acme", False),
        ("_acme", False),
        ("acme medical", False),
        ('acme"; drop schema x; --', False),
        ("public", False),
        ("pg_catalog", False),
        ("information_schema", False),
    ],
)
def test_org_names_are_safe_identifiers(name: str, ok: bool) -> None:
    if ok:
        assert check_org_name(name) == name
    else:
        with pytest.raises(UsageError, match="org name"):
            check_org_name(name)


@pytest.mark.parametrize(
    ("prospect", "industry", "name"),
    [
        ("Acme", "medical", "acme_medical"),
        ("Acme Health, Inc.", "medical", "acme_health_inc_medical"),
        ("3M", "finance", "org_3m_finance"),
        ("北京医疗", "medical", "medical"),
        ("Müller & Söhne", "transportation", "m_ller_s_hne_transportation"),
        ("x" * 80, "core", "x" * 63),
    ],
)
def test_default_org_name_comes_from_prospect_and_industry(
    prospect: str, industry: str, name: str
) -> None:
    assert default_org_name(prospect, industry) == name


def test_index_names_fit_postgresql() -> None:
    short = index_name("Contact", "AccountId")
    assert short == "ix_Contact_AccountId"
    long = index_name("FinServ__FinancialAccountRole__c", "FinServ__RelatedContact__c")
    assert len(long) <= PG_MAX_IDENTIFIER
    assert long != index_name("FinServ__FinancialAccountRole__c", "FinServ__RelatedAccount__c")


def test_placeholders_are_converted_in_one_place() -> None:
    sql = 'UPDATE "T" SET "F" = ? WHERE "Id" = ? AND "P" LIKE \'5%\''
    assert SQLiteWriter().sql(sql) == sql
    assert (
        PostgresWriter().sql(sql) == 'UPDATE "T" SET "F" = %s WHERE "Id" = %s AND "P" LIKE \'5%%\''
    )
    assert PostgresWriter().round_sql("x", 2) == "ROUND(CAST(x AS NUMERIC), 2)"
