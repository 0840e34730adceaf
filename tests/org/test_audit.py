"""The realism audit: shipped industries pass it, every rule can fail, and the command line.

Orgs are built once per session at small size (2,000 records) as of 2026-11-23. A rule that a
shipped template fails is a finding about the data: its case is marked ``xfail(strict=True)`` with
the reason, so the test starts failing (and the mark must go) as soon as the template is fixed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from demoorg.cli import main
from demoorg.content.releases import parse_release
from demoorg.content.template import load_template
from demoorg.errors import UsageError
from demoorg.org.audit import (
    RULES,
    RuleResult,
    ascii_forms,
    check_rule_names,
    id_suffix,
    loinc_is_valid,
    phone_is_valid,
    run_audit,
    wilson,
)
from demoorg.org.orgfile import open_org
from demoorg.seeders.build import build_org
from demoorg.seeders.ids import IdMaker
from demoorg.seeders.plan import BuildParams

INDUSTRIES = Path(__file__).resolve().parents[2] / "industries"
AS_OF = date(2026, 11, 23)
SIZE = 2000
#: The shipped templates this audit knows the findings of (a new industry is added here with its own).
SHIPPED = [
    name
    for name in ("_core", "medical", "telecom", "transportation", "finance")
    if (INDUSTRIES / name / "template.yaml").is_file()
]
#: Every shipped industry in English and Chinese (names romanised through pinyin); medical also in
#: German and Japanese, whose phone formats differ most.
CASES = [(ind, loc) for ind in SHIPPED for loc in ("en_US", "zh_CN")] + [
    ("medical", "de_DE"),
    ("medical", "ja_JP"),
]

# --- findings: rules the shipped data fails today (industry, locale or None for all, rule) ------

FINDINGS: dict[tuple[str, str | None, str], str] = {}


def finding(industry: str, locale: str, rule: str) -> str | None:
    return FINDINGS.get((industry, locale, rule)) or FINDINGS.get((industry, None, rule))


# --- building orgs ------------------------------------------------------------------------------


def build(industry: str, locale: str, out: Path, *, size: int = SIZE, seed: int = 1) -> Path:
    tpl = load_template(INDUSTRIES / industry)
    params = BuildParams(
        industry=tpl.industry,
        seed=seed,
        size=size,
        size_name=str(size),
        locale=locale,
        as_of=AS_OF,
        release=parse_release("Winter '27"),
    )
    build_org(tpl, params, out)
    return out


@pytest.fixture(scope="session")
def shipped_org(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """``shipped_org(industry, locale)``: a small org of a shipped template, built once."""
    cache: dict[tuple[str, str], Path] = {}
    folder = tmp_path_factory.mktemp("audit-orgs")

    def get(industry: str, locale: str) -> Path:
        key = (industry, locale)
        if key not in cache:
            cache[key] = build(industry, locale, folder / f"{industry}-{locale}.demoorg")
        return cache[key]

    return get


@pytest.fixture(scope="session")
def audited(shipped_org: Callable[[str, str], Path]) -> Callable[[str, str], dict[str, RuleResult]]:
    """``audited(industry, locale)``: every rule's result on that org, run once."""
    cache: dict[tuple[str, str], dict[str, RuleResult]] = {}

    def get(industry: str, locale: str) -> dict[str, RuleResult]:
        key = (industry, locale)
        if key not in cache:
            with open_org(shipped_org(industry, locale)) as org:
                cache[key] = {r.rule.name: r for r in run_audit(org)}
        return cache[key]

    return get


def execute(org: Path, statements: list[str]) -> None:
    with closing(sqlite3.connect(org)) as con:
        for sql in statements:
            con.execute(sql)
        con.commit()


def audit_one(org: Path, rule: str) -> RuleResult:
    with open_org(org) as opened:
        return run_audit(opened, [rule])[0]


# --- the registry -------------------------------------------------------------------------------


def test_there_are_at_least_30_named_rules_with_cited_docstrings() -> None:
    assert len(RULES) >= 30
    for name, r in RULES.items():
        assert name.count(".") == 1 and name == name.lower(), name
        assert r.description.endswith("."), name
        assert r.applies_to, name
        doc = r.check.__doc__ or ""
        assert "§" in doc, f"{name}: the docstring cites no DATAMODEL.md section"


def test_unknown_rule_names_are_usage_errors_naming_close_ones() -> None:
    assert check_rule_names(["sales.win-rate"]) == ["sales.win-rate"]
    assert check_rule_names(None) is None
    with pytest.raises(UsageError, match=r"unknown rule 'sales\.winrate'.*sales\.win-rate"):
        check_rule_names(["sales.winrate"])


# --- shipped industries pass --------------------------------------------------------------------


def _shipped_cases() -> Iterator[object]:
    for industry, locale in CASES:
        for rule in RULES:
            reason = finding(industry, locale, rule)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(
                industry, locale, rule, marks=marks, id=f"{industry}-{locale}-{rule}"
            )


@pytest.mark.parametrize(("industry", "locale", "rule"), list(_shipped_cases()))
def test_shipped_industry_passes_rule(
    audited: Callable[[str, str], dict[str, RuleResult]], industry: str, locale: str, rule: str
) -> None:
    result = audited(industry, locale)[rule]
    assert result.status in ("pass", "skip"), result.figure


@pytest.mark.parametrize(("industry", "locale"), CASES, ids=[f"{i}-{loc}" for i, loc in CASES])
def test_no_rule_breaks_on_a_shipped_industry(
    audited: Callable[[str, str], dict[str, RuleResult]], industry: str, locale: str
) -> None:
    errors = {n: r.figure for n, r in audited(industry, locale).items() if r.status == "error"}
    assert errors == {}


@pytest.mark.parametrize(
    ("industry", "rules"),
    [
        ("medical", ["medical.icd10-codes", "medical.loinc-codes", "medical.no-show-rate"]),
        ("telecom", ["telecom.monthly-churn", "telecom.phone-arpu", "telecom.disconnect-dates"]),
        (
            "transportation",
            ["transport.vin-check-digits", "transport.vin-maker", "transport.on-time-rate"],
        ),
        ("finance", ["finance.balance-sign", "finance.available-credit"]),
    ],
)
def test_industry_rules_apply_to_their_industry(
    audited: Callable[[str, str], dict[str, RuleResult]], industry: str, rules: list[str]
) -> None:
    if industry not in SHIPPED:
        pytest.skip(f"industries/{industry} is not shipped")
    results = audited(industry, "en_US")
    for name in rules:
        assert results[name].status != "skip", results[name].figure
    core = audited("_core", "en_US")
    for name in rules:
        assert core[name].status == "skip"
        assert core[name].figure.startswith("skipped: ")


# --- every rule can fail --------------------------------------------------------------------------
#
# The statements are written in SQL that SQLite and PostgreSQL both run (quoted identifiers, TRUE
# and FALSE for booleans): tests/pg/test_pg_audit.py applies the same corruptions to server orgs.

#: Makes the small core org consistent where the shipped data is not (the findings above), so a
#: rule is seen passing before it is seen failing.
REPAIR_CORE = [
    'UPDATE "Lead" SET "ConvertedAccountId" = (SELECT o."AccountId" FROM "Opportunity" o '
    'WHERE o."Id" = "Lead"."ConvertedOpportunityId") WHERE "ConvertedOpportunityId" IS NOT NULL',
    'UPDATE "Lead" SET "ConvertedContactId" = (SELECT MIN(c."Id") FROM "Contact" c '
    'WHERE c."AccountId" = "Lead"."ConvertedAccountId") WHERE "ConvertedAccountId" IS NOT NULL',
    'UPDATE "Opportunity" SET "CreatedDate" = (SELECT a."CreatedDate" FROM "Account" a '
    'WHERE a."Id" = "Opportunity"."AccountId") WHERE "CreatedDate" < (SELECT a."CreatedDate" '
    'FROM "Account" a WHERE a."Id" = "Opportunity"."AccountId")',
    'DELETE FROM "Case" WHERE "CreatedDate" < (SELECT c."CreatedDate" FROM "Contact" c '
    'WHERE c."Id" = "Case"."ContactId")',
]


def _first(table: str, where: str = "1 = 1") -> str:
    return f'(SELECT MIN("Id") FROM "{table}" WHERE {where})'


#: rule → (industry of the base org, statements that break the rule, text the figure must contain)
CORRUPTIONS: dict[str, tuple[str, list[str], str]] = {
    "integrity.ids-unique": (
        "_core",
        [
            'UPDATE "Contact" SET "Id" = (SELECT MIN("Id") FROM "Account") '
            f'WHERE "Id" = {_first("Contact")}'
        ],
        "shared by Account and Contact",
    ),
    "integrity.id-format": (
        "_core",
        [
            """UPDATE "Account" SET "Id" = substr("Id", 1, 15) || 'ZZZ' """
            f'WHERE "Id" = {_first("Account")}'
        ],
        "Account: 1 malformed",
    ),
    "integrity.lookups-resolve": (
        "_core",
        [
            """UPDATE "Contact" SET "AccountId" = '0018c00000zzzzzAAA' """
            f'WHERE "Id" = {_first("Contact")}'
        ],
        "Contact.AccountId: 1 of",
    ),
    "integrity.record-types": (
        "medical",
        [
            'UPDATE "Account" SET "RecordTypeId" = NULL WHERE "Id" = '
            + _first("Account", '"RecordTypeId" IS NOT NULL')
        ],
        "without a record type",
    ),
    "integrity.picklist-values": (
        "_core",
        [f"""UPDATE "Opportunity" SET "Type" = 'Bogus' WHERE "Id" = {_first("Opportunity")}"""],
        "'Bogus'",
    ),
    "integrity.names-present": (
        "_core",
        [f"""UPDATE "Account" SET "Name" = ' ' WHERE "Id" = {_first("Account")}"""],
        "Account.Name: 1 of",
    ),
    "dates.past-not-future": (
        "_core",
        [
            """UPDATE "Case" SET "CreatedDate" = '2027-01-04 10:00:00' """
            f'WHERE "Id" = {_first("Case")}'
        ],
        "Case.CreatedDate: 1 of",
    ),
    "dates.created-after-parent": (
        "_core",
        [
            """UPDATE "Contact" SET "CreatedDate" = '2001-01-02 09:00:00' """
            f'WHERE "Id" = {_first("Contact")}'
        ],
        "Contact via AccountId",
    ),
    "dates.end-after-start": (
        "_core",
        [f"""UPDATE "Contract" SET "EndDate" = '2001-01-01' WHERE "Id" = {_first("Contract")}"""],
        "Contract: 1 of",
    ),
    "sales.closed-in-past": (
        "_core",
        [
            """UPDATE "Opportunity" SET "CloseDate" = '2027-06-30' """
            """WHERE "StageName" = 'Closed Won'"""
        ],
        "close after 2026-11-23",
    ),
    "sales.open-in-future": (
        "_core",
        [
            """UPDATE "Opportunity" SET "CloseDate" = '2025-01-01' """
            """WHERE "StageName" = 'Prospecting'"""
        ],
        "past due",
    ),
    "sales.win-rate": (
        "_core",
        [
            """UPDATE "Opportunity" SET "StageName" = 'Closed Won' """
            """WHERE "StageName" = 'Closed Lost'"""
        ],
        "win rate (closed opportunities) 100.0 %",
    ),
    "sales.pipeline-shape": (
        "_core",
        [
            """UPDATE "Opportunity" SET "StageName" = 'Negotiation/Review' WHERE "StageName" IN """
            "('Prospecting', 'Qualification', 'Needs Analysis', 'Value Proposition')"
        ],
        "early share 0.0 %",
    ),
    "sales.stage-probability": (
        "_core",
        ["""UPDATE "Opportunity" SET "Probability" = 55 WHERE "StageName" = 'Prospecting'"""],
        "Prospecting:",
    ),
    "sales.stage-forecast-category": (
        "_core",
        [
            """UPDATE "Opportunity" SET "ForecastCategoryName" = 'Commit' """
            """WHERE "StageName" = 'Closed Won'"""
        ],
        "Closed Won:",
    ),
    "sales.stage-flags": (
        "_core",
        ["""UPDATE "Opportunity" SET "IsWon" = TRUE WHERE "StageName" = 'Closed Lost'"""],
        "Closed Lost with IsClosed=1, IsWon=1",
    ),
    "sales.amount-from-line-items": (
        "_core",
        [
            'UPDATE "Opportunity" SET "Amount" = "Amount" + 1000 WHERE "Id" = '
            '(SELECT MIN("OpportunityId") FROM "OpportunityLineItem")'
        ],
        "1 of",
    ),
    "sales.expected-revenue": (
        "_core",
        [
            'UPDATE "Opportunity" SET "ExpectedRevenue" = "ExpectedRevenue" + 500 WHERE "Id" = '
            + _first("Opportunity")
        ],
        "1 of",
    ),
    "sales.line-item-product": (
        "_core",
        [
            'UPDATE "OpportunityLineItem" SET "Product2Id" = (SELECT MIN(p."Id") FROM "Product2" p '
            'WHERE p."Id" <> "OpportunityLineItem"."Product2Id") WHERE "Id" = '
            + _first("OpportunityLineItem")
        ],
        "1 of",
    ),
    "campaigns.member-rollups": (
        "_core",
        [
            'UPDATE "Campaign" SET "NumberOfContacts" = "NumberOfContacts" + 3 WHERE "Id" = '
            + _first("Campaign")
        ],
        "NumberOfContacts: 1 of",
    ),
    "campaigns.opportunity-rollups": (
        "_core",
        [
            'UPDATE "Campaign" SET "AmountWonOpportunities" = '
            'COALESCE("AmountWonOpportunities", 0) + 999 WHERE "Id" = ' + _first("Campaign")
        ],
        "AmountWonOpportunities: 1 of",
    ),
    "campaigns.response-dates": (
        "_core",
        ['UPDATE "CampaignMember" SET "FirstRespondedDate" = NULL WHERE "HasResponded" = TRUE'],
        "responded members without FirstRespondedDate",
    ),
    "leads.conversion-fields": (
        "_core",
        ['UPDATE "Lead" SET "ConvertedDate" = NULL WHERE "IsConverted" = TRUE'],
        "converted leads without ConvertedDate",
    ),
    "leads.conversion-consistent": (
        "_core",
        [
            'UPDATE "Lead" SET "ConvertedAccountId" = (SELECT MIN(a."Id") FROM "Account" a '
            'WHERE a."Id" <> "Lead"."ConvertedAccountId") WHERE "Id" = '
            + _first("Lead", '"IsConverted" = TRUE')
        ],
        "under another Account",
    ),
    "leads.converted-share": (
        "_core",
        ['UPDATE "Lead" SET "IsConverted" = TRUE'],
        "converted share (leads) 100.0 %",
    ),
    "cases.closed-after-created": (
        "_core",
        [
            """UPDATE "Case" SET "ClosedDate" = '2001-01-01 00:00:00' WHERE "Id" = """
            + _first("Case", '"ClosedDate" IS NOT NULL')
        ],
        "closed before created",
    ),
    "cases.closed-status": (
        "_core",
        [
            """UPDATE "Case" SET "Status" = 'Working' WHERE "Id" = """
            + _first("Case", '"ClosedDate" IS NOT NULL')
        ],
        "with a ClosedDate but an open Status",
    ),
    "people.emails-unique": (
        "_core",
        [
            'UPDATE "Contact" SET "Email" = (SELECT "Email" FROM "Contact" ORDER BY "Id" LIMIT 1 '
            f'OFFSET 1) WHERE "Id" = {_first("Contact")}'
        ],
        "Contact.Email: 1 addresses used more than once",
    ),
    "people.emails-from-names": (
        "_core",
        [
            """UPDATE "Contact" SET "Email" = 'someone.else@example.com' """
            f'WHERE "Id" = {_first("Contact")}'
        ],
        "Contact.Email: 1 not derived",
    ),
    "people.phones-valid": (
        "_core",
        [f"""UPDATE "Contact" SET "Phone" = '555-0100' WHERE "Id" = {_first("Contact")}"""],
        "'555-0100'",
    ),
    "people.ages": (
        "medical",
        [
            """UPDATE "Account" SET "PersonBirthdate" = '1890-01-01' WHERE "Id" = """
            + _first("Account", '"PersonBirthdate" IS NOT NULL')
        ],
        "1 older than 110",
    ),
    "activities.event-duration": (
        "_core",
        [
            'UPDATE "Event" SET "DurationInMinutes" = "DurationInMinutes" + 60 WHERE "Id" = '
            + _first("Event")
        ],
        "1 of",
    ),
    "medical.icd10-codes": (
        "medical",
        [
            """UPDATE "HealthCondition" SET "ConditionCode" = 'Z99.89' WHERE "Id" = """
            + _first("HealthCondition")
        ],
        "Z99.89",
    ),
    "medical.loinc-codes": (
        "medical",
        [
            """UPDATE "CareObservation" SET "Code" = '8480-5' WHERE "Id" = """
            + _first("CareObservation", """"Code" = '8480-6'""")
        ],
        "8480-5",
    ),
    "medical.vitals-in-bounds": (
        "medical",
        [
            'UPDATE "CareObservation" SET "ObservedValue" = 400 WHERE "Id" = '
            + _first("CareObservation", """"Code" = '8480-6'""")
        ],
        "systolic blood pressure: 1 of",
    ),
    "medical.a1c-tracks-diabetes": (
        "medical",
        [
            """UPDATE "CareObservation" SET "ObservedValue" = 4.9 WHERE "Code" = '4548-4' AND """
            '"ObservedSubjectId" IN (SELECT "PatientId" FROM "HealthCondition" '
            """WHERE "ConditionCode" LIKE 'E11%')"""
        ],
        "mean HbA1c 4.90 %",
    ),
    "medical.no-show-rate": (
        "medical",
        [
            """UPDATE "ServiceAppointment" SET "Status" = 'No Show' """
            """WHERE "Status" = 'Completed'"""
        ],
        "no-show rate",
    ),
    "medical.visit-status-timing": (
        "medical",
        [
            """UPDATE "ServiceAppointment" SET "Status" = 'Completed' WHERE "Id" = """
            + _first("ServiceAppointment", """"Status" = 'Scheduled'""")
        ],
        "ServiceAppointment: 1 Completed/No Show after",
    ),
    "telecom.monthly-churn": (
        "telecom",
        [
            """UPDATE "Asset" SET "vlocity_cmt__DisconnectDate__c" = '2026-06-01', """
            """"vlocity_cmt__ProvisioningStatus__c" = 'Disconnected' WHERE "Product_Family__c" """
            """IN ('Mobile Plan', 'Business Mobile') AND "vlocity_cmt__ActivationDate__c" < """
            "'2026-01-01'"
        ],
        "monthly churn (phone lines)",
    ),
    "telecom.phone-arpu": (
        "telecom",
        [
            'UPDATE "Asset" SET "vlocity_cmt__RecurringTotal__c" = 300 '
            """WHERE "Product_Family__c" = 'Mobile Plan'"""
        ],
        "phone ARPU",
    ),
    "telecom.broadband-arpu": (
        "telecom",
        [
            'UPDATE "Asset" SET "vlocity_cmt__RecurringTotal__c" = 20 '
            """WHERE "Product_Family__c" = 'Home Internet'"""
        ],
        "broadband ARPU",
    ),
    "telecom.disconnect-dates": (
        "telecom",
        [
            'UPDATE "Asset" SET "vlocity_cmt__DisconnectDate__c" = NULL WHERE "Id" = '
            + _first("Asset", """"vlocity_cmt__ProvisioningStatus__c" = 'Disconnected'""")
        ],
        "1 disconnected assets without a disconnect date",
    ),
    "finance.balance-sign": (
        "finance",
        [
            'UPDATE "FinServ__FinancialAccount__c" SET "FinServ__Balance__c" = -100 WHERE "Id" = '
            + _first(
                "FinServ__FinancialAccount__c",
                """"FinServ__FinancialAccountType__c" = 'Checking'""",
            )
        ],
        "1 Checking accounts with a negative balance",
    ),
    "finance.available-credit": (
        "finance",
        [
            'UPDATE "FinServ__FinancialAccount__c" SET "FinServ__AvailableCredit__c" = '
            '"FinServ__AvailableCredit__c" + 50 WHERE "Id" = '
            + _first("FinServ__FinancialAccount__c", '"FinServ__AvailableCredit__c" IS NOT NULL')
        ],
        "AvailableCredit ≠ limit − balance",
    ),
    "transport.vin-check-digits": (
        "transportation",
        [
            'UPDATE "Vehicle" SET "VehicleIdentificationNumber" = '
            'substr("VehicleIdentificationNumber", 1, 8) || CASE '
            """substr("VehicleIdentificationNumber", 9, 1) WHEN '0' THEN '1' ELSE '0' END || """
            'substr("VehicleIdentificationNumber", 10) WHERE "Id" = '
            + _first("Vehicle", '"VehicleIdentificationNumber" IS NOT NULL')
        ],
        "1 invalid VINs",
    ),
    "transport.vin-maker": (
        "transportation",
        [
            'UPDATE "Vehicle" SET "VehicleIdentificationNumber" = '
            """'4V4' || substr("VehicleIdentificationNumber", 4) WHERE "Id" = """
            + _first("Vehicle", "\"Make__c\" = 'Kenworth'")
        ],
        "1 VINs of another maker",
    ),
    "transport.on-time-rate": (
        "transportation",
        [
            'UPDATE "Shipment__c" SET "OnTime__c" = FALSE '
            """WHERE "Status__c" = 'Delivered'"""
        ],
        "on-time rate (delivered shipments) 0.0 %",
    ),
    "transport.on-time-matches-times": (
        "transportation",
        [
            'UPDATE "Shipment__c" SET "OnTime__c" = FALSE WHERE "Id" = '
            + _first("Shipment__c", """"Status__c" = 'Delivered' AND "OnTime__c" = TRUE""")
        ],
        "1 flagged late but delivered by the planned time",
    ),
}


def test_every_rule_has_a_corruption() -> None:
    assert sorted(CORRUPTIONS) == sorted(RULES)


@pytest.mark.parametrize("rule", sorted(CORRUPTIONS))
def test_rule_fails_on_corrupted_data(
    shipped_org: Callable[[str, str], Path], tmp_path: Path, rule: str
) -> None:
    industry, statements, needle = CORRUPTIONS[rule]
    if industry not in SHIPPED:
        pytest.skip(f"industries/{industry} is not shipped")
    org = tmp_path / "org.demoorg"
    shutil.copyfile(shipped_org(industry, "en_US"), org)
    if industry == "_core":
        execute(org, REPAIR_CORE)
    before = audit_one(org, rule)
    assert before.status == "pass", before.figure
    execute(org, statements)
    after = audit_one(org, rule)
    assert after.status == "fail", after.figure
    assert needle in after.figure, after.figure


def test_a_rule_that_breaks_reports_an_error_not_a_traceback(
    shipped_org: Callable[[str, str], Path], tmp_path: Path
) -> None:
    org = tmp_path / "org.demoorg"
    shutil.copyfile(shipped_org("_core", "en_US"), org)
    execute(org, ["DROP TABLE OpportunityLineItem"])
    result = audit_one(org, "sales.amount-from-line-items")
    assert result.status == "error"
    assert result.failed
    assert "OpportunityLineItem" in result.figure


# --- the checks behind the rules ----------------------------------------------------------------


def test_id_suffix_is_salesforce_case_safe_checksum() -> None:
    assert id_suffix("001000000000001") == "AAA"
    made = IdMaker("a0B").ids(0, 5000)
    assert all(i[15:] == id_suffix(i[:15]) for i in made)


@pytest.mark.parametrize(
    ("number", "locale", "valid"),
    [
        ("(212) 555-0142", "en_US", True),
        ("+1-471-549-3129", "en_US", True),
        ("001-919-931-6018", "en_US", True),
        ("407-205-5406x123", "en_US", True),
        ("8156543135", "en_US", True),
        ("(012) 555-0142", "en_US", False),  # area codes start with 2–9
        ("212-155-0142", "en_US", False),  # so do exchanges
        ("999-942-2651", "en_US", False),  # N9X area codes are held for expansion
        ("(777) 483-1897", "en_US", False),  # no geographic code has two equal last digits
        ("800-555-0142", "en_US", False),  # toll-free: no person's or office's own line
        ("415-911-2222", "en_US", False),  # N11 is not an exchange
        ("555-0100", "en_US", False),
        ("+44(0)28 9018 0065", "en_GB", True),
        ("(0117) 4960345", "en_GB", True),
        ("0117 496", "en_GB", False),
        ("+49 (0) 2508 067475", "de_DE", True),
        ("(02510) 66460", "de_DE", True),
        ("+49 (0) 0184 944517", "de_DE", False),  # no 0 after the country code
        ("0086492216", "de_DE", False),  # 00 is the international prefix
        ("+33 (0)4 56 93 36 04", "fr_FR", True),
        ("06 30 61 60 74", "fr_FR", True),
        ("06 30 61 60", "fr_FR", False),
        ("070-4744-6350", "ja_JP", True),
        ("03-1234-5678", "ja_JP", True),
        ("37-6238-2017", "ja_JP", False),  # no trunk 0
        ("18819812568", "zh_CN", True),
        ("010-6552-9988", "zh_CN", True),
        ("1881981256", "zh_CN", False),
        ("(847) 555-0142", "zh_CN", False),
        ("call me", "en_US", False),
    ],
)
def test_phone_numbers_are_checked_per_locale(number: str, locale: str, valid: bool) -> None:
    assert phone_is_valid(number, locale) is valid


def test_names_fold_to_the_ascii_an_email_uses() -> None:
    assert ascii_forms("Müller", "de") == {"mueller", "muller"}
    assert "helene" in ascii_forms("Hélène", "fr")
    assert ascii_forms("O'Brien", "en") == {"obrien"}
    assert "shan" in ascii_forms("单", "zh") and "dan" in ascii_forms("单", "zh")
    assert ascii_forms("前田", "ja") == {"maeda"}
    assert ascii_forms("前田", "zh") != {"maeda"}


def test_loinc_check_digits() -> None:
    assert all(loinc_is_valid(c) for c in ("8480-6", "8462-4", "4548-4", "39156-5", "2160-0"))
    assert not loinc_is_valid("8480-5")
    assert not loinc_is_valid("8480")


def test_wilson_interval() -> None:
    lo, hi = wilson(4, 16)
    assert 0.10 < lo < 0.11 and 0.49 < hi < 0.50
    assert wilson(0, 0) == (0.0, 1.0)


# --- the command line -----------------------------------------------------------------------------


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def good_org(shipped_org: Callable[[str, str], Path], tmp_path: Path) -> Path:
    """The small core org with its known findings repaired: every rule passes or is skipped."""
    org = tmp_path / "good.demoorg"
    shutil.copyfile(shipped_org("_core", "en_US"), org)
    execute(org, REPAIR_CORE)
    return org


def test_cli_audit_prints_rule_lines_and_exits_0_on_a_good_org(
    good_org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["audit", str(good_org)], capsys)
    assert (code, err) == (0, ""), out
    lines = out.splitlines()
    assert len(lines) == len(RULES) + 1
    for line, name in zip(lines, RULES, strict=False):
        status, rule_name = line.split()[:2]
        assert status in ("PASS", "SKIP") and rule_name == name, line
    assert "PASS   sales.win-rate " in out
    assert "SKIP   medical.icd10-codes " in out and "skipped: needs HealthCondition" in out
    assert lines[-1].startswith(f"{len(RULES)} rules: ") and " 0 failed" in lines[-1]


def test_cli_audit_exits_1_after_corruption(
    good_org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(
        good_org,
        ["UPDATE Opportunity SET StageName = 'Closed Won' WHERE StageName = 'Closed Lost'"],
    )
    code, out, _ = run(["audit", str(good_org)], capsys)
    assert code == 1
    assert any(line.startswith("FAIL   sales.win-rate ") for line in out.splitlines()), out
    code, out, _ = run(["audit", str(good_org), "--rule", "integrity.lookups-resolve"], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("PASS   integrity.lookups-resolve")


def test_cli_audit_one_rule_as_json(good_org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["audit", str(good_org), "--rule", "sales.win-rate", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == "2026-11-23" and data["locale"] == "en_US"
    assert [r["rule"] for r in data["results"]] == ["sales.win-rate"]
    assert data["results"][0]["status"] == "pass"
    assert "win rate" in data["results"][0]["figure"]
    assert data["summary"]["pass"] == 1 and data["summary"]["fail"] == 0


def test_cli_audit_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["audit", "--list"], capsys)
    assert code == 0
    for name in RULES:
        assert f"\n{name} " in f"\n{out}"
    assert "applies to: every lookup field" in out
    code, out, _ = run(["audit", "--list", "--json"], capsys)
    assert code == 0
    assert [r["rule"] for r in json.loads(out)] == list(RULES)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["audit", "missing.demoorg"], "missing.demoorg does not exist"),
        (["audit"], "no org file given"),
        (["audit", "x.demoorg", "--rule", "sales.winrate"], "unknown rule 'sales.winrate'"),
    ],
)
def test_cli_audit_bad_arguments_are_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("demoorg: ") and needle in err
