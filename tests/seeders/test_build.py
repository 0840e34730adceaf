"""Building org files: determinism, referential integrity, business rules, safety and locales.

Most checks read one shared org (``core_org``: the shared CRM base, about 2,000 records, seed 7,
as of 2026-11-23, Winter '27); the safety checks build their own small orgs in tmp folders.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import unicodedata
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypinyin import lazy_pinyin

from demoorg.content import model as m
from demoorg.content.template import load_template
from demoorg.errors import UsageError
from demoorg.org.orgfile import open_org
from demoorg.seeders.build import BuildCancelled, BuildResult

AS_OF = "2026-11-23"
CORE = Path(__file__).resolve().parents[2] / "industries" / "_core"

Build = Callable[..., BuildResult]
Query = Callable[..., list[tuple[Any, ...]]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- determinism ---------------------------------------------------------------------------------


def test_same_inputs_give_identical_bytes(tmp_path: Path, build: Build) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tmp_path / "a" / "org.demoorg"
    second = tmp_path / "b" / "another-name.demoorg"
    build(first, seed=3, size=800)
    build(second, seed=3, size=800)
    assert sha256(first) == sha256(second)


def test_a_different_seed_gives_different_bytes(tmp_path: Path, build: Build) -> None:
    build(tmp_path / "one.demoorg", seed=3, size=800)
    build(tmp_path / "two.demoorg", seed=4, size=800)
    assert sha256(tmp_path / "one.demoorg") != sha256(tmp_path / "two.demoorg")


def test_build_result_counts_match_the_file(core_org: Path) -> None:
    with open_org(core_org) as org:
        counts = org.counts()
        assert counts == org.meta["counts"]
        assert 1500 <= sum(counts.values()) <= 2500
        assert org.build["seed"] == 7
        assert org.build["as_of"] == AS_OF
        assert org.build["release"] == "Winter '27"


# --- referential integrity -----------------------------------------------------------------------


def stored_lookups(org_path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    with open_org(org_path) as org:
        return [
            (o["name"], f["name"], tuple(f["reference_to"]))
            for o in org.template["objects"]
            for f in o["fields"]
            if f["type"] == "lookup" and f["store"]
        ]


def test_every_lookup_value_is_an_id_of_its_target(core_org: Path, query: Query) -> None:
    lookups = stored_lookups(core_org)
    assert len(lookups) >= 20
    filled = 0
    for obj, fld, targets in lookups:
        assert targets, f"{obj}.{fld} has no target"
        missing = " AND ".join(
            f"NOT EXISTS (SELECT 1 FROM {q(t)} t WHERE t.Id = x.{q(fld)})" for t in targets
        )
        sql = f"SELECT x.Id, x.{q(fld)} FROM {q(obj)} x WHERE x.{q(fld)} IS NOT NULL AND {missing}"
        dangling = query(core_org, sql)
        assert dangling == [], f"{obj}.{fld} → {targets}: {dangling[:3]}"
        (count,) = query(core_org, f"SELECT COUNT({q(fld)}) FROM {q(obj)}")[0]
        filled += count > 0
    assert filled >= len(lookups) - 5  # the checks are not vacuous


def test_children_always_have_their_parent(core_org: Path, query: Query) -> None:
    for obj, fld in [("Contact", "AccountId"), ("OpportunityLineItem", "OpportunityId")]:
        assert query(core_org, f"SELECT COUNT(*) FROM {q(obj)} WHERE {q(fld)} IS NULL") == [(0,)]


# --- business rules ------------------------------------------------------------------------------


def test_contact_created_after_its_account(
    core_org: Path, core_template: m.TemplateDef, query: Query
) -> None:
    source = core_template.object("Contact").field("CreatedDate").source
    assert isinstance(source, m.DateRange)
    assert source.start == m.Offset("AccountId.CreatedDate", 0.0)  # the template says so
    rows = query(
        core_org,
        "SELECT c.CreatedDate, a.CreatedDate FROM Contact c JOIN Account a ON a.Id = c.AccountId",
    )
    assert len(rows) > 100
    assert [r for r in rows if r[0] < r[1]] == []
    assert all(r[0] < f"{AS_OF} 00:00:00" for r in rows)


def test_close_dates_follow_the_stage(core_org: Path, query: Query) -> None:
    closed = query(
        core_org,
        "SELECT CloseDate, IsClosed FROM Opportunity"
        " WHERE StageName IN ('Closed Won', 'Closed Lost')",
    )
    open_ = query(
        core_org,
        "SELECT CloseDate, IsClosed FROM Opportunity"
        " WHERE StageName NOT IN ('Closed Won', 'Closed Lost')",
    )
    assert closed
    assert open_
    assert [c for c in closed if not c[0] <= AS_OF or c[1] != 1] == []
    assert [o for o in open_ if not o[0] > AS_OF or o[1] != 0] == []


def test_cases_close_after_they_open(core_org: Path, query: Query) -> None:
    rows = query(
        core_org,
        'SELECT c.IsClosed, c.CreatedDate, c.ClosedDate, t.CreatedDate FROM "Case" c'
        " JOIN Contact t ON t.Id = c.ContactId",
    )
    closed = [r for r in rows if r[0] == 1]
    assert closed
    assert len(closed) < len(rows)
    assert [r for r in rows if r[0] == 0 and r[2] is not None] == []
    assert [r for r in closed if not r[3] <= r[1] <= r[2] < AS_OF] == []


def test_probability_matches_the_stage(
    core_org: Path, core_template: m.TemplateDef, query: Query
) -> None:
    source = core_template.object("Opportunity").field("Probability").source
    assert isinstance(source, m.Mapping)
    assert source.source == "StageName"
    expected = dict(source.table)
    rows = query(core_org, "SELECT StageName, Probability, COUNT(*) FROM Opportunity GROUP BY 1, 2")
    assert len({r[0] for r in rows}) >= 5
    assert {r[0]: r[1] for r in rows} == {r[0]: expected[r[0]] for r in rows}
    assert len(rows) == len({r[0] for r in rows})  # one probability per stage


def test_campaign_rollups_agree_with_their_members(core_org: Path, query: Query) -> None:
    rows = query(
        core_org,
        """
        SELECT c.Id,
               c.NumberOfContacts,
               (SELECT COUNT(*) FROM CampaignMember m
                 WHERE m.CampaignId = c.Id AND m.ContactId IS NOT NULL),
               c.NumberOfResponses,
               (SELECT COUNT(*) FROM CampaignMember m
                 WHERE m.CampaignId = c.Id AND m.HasResponded = 1),
               c.AmountWonOpportunities,
               (SELECT COALESCE(SUM(o.Amount), 0) FROM Opportunity o
                 WHERE o.CampaignId = c.Id AND o.StageName = 'Closed Won')
          FROM Campaign c
        """,
    )
    assert len(rows) >= 3
    for cid, contacts, contacts_sql, responses, responses_sql, won, won_sql in rows:
        assert contacts == contacts_sql, cid
        assert responses == responses_sql, cid
        assert won == pytest.approx(won_sql, abs=0.01), cid
    assert sum(r[1] for r in rows) > 0
    assert sum(r[3] for r in rows) > 0
    assert any(r[5] > 0 for r in rows)


def test_opportunity_amount_is_the_sum_of_its_line_items(core_org: Path, query: Query) -> None:
    rows = query(
        core_org,
        """
        SELECT o.Id, o.Amount,
               (SELECT SUM(l.TotalPrice) FROM OpportunityLineItem l WHERE l.OpportunityId = o.Id),
               (SELECT COUNT(*) FROM OpportunityLineItem l WHERE l.OpportunityId = o.Id)
          FROM Opportunity o
        """,
    )
    assert len(rows) > 50
    for oid, amount, total, items in rows:
        assert items >= 1, oid
        assert amount == pytest.approx(total, abs=0.01), oid


def test_line_item_total_price(core_org: Path, query: Query) -> None:
    rows = query(
        core_org, "SELECT Quantity, UnitPrice, Discount, TotalPrice FROM OpportunityLineItem"
    )
    assert rows
    for quantity, unit_price, discount, total in rows:
        assert total == pytest.approx(quantity * unit_price * (100 - discount) / 100, abs=0.01)


def ascii_fold(name: str) -> str:
    """Müller → mueller, Hélène → helene, O'Brien → obrien (what an email local part uses)."""
    german = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
    )
    folded = unicodedata.normalize("NFKD", name.translate(german))
    return re.sub(r"[^a-z0-9]", "", folded.encode("ascii", "ignore").decode().lower())


def assert_email_from_name(first: str, last: str, email: str, fold: Callable[[str], str]) -> None:
    local, _, domain = email.partition("@")
    expected = f"{fold(first)}.{fold(last)}"
    assert re.fullmatch(re.escape(expected) + r"\d*", local), (first, last, email)
    assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain), email


def test_emails_are_made_from_the_contact_name(core_org: Path, query: Query) -> None:
    rows = query(core_org, "SELECT FirstName, LastName, Email FROM Contact")
    assert len(rows) > 100
    for first, last, email in rows:
        assert_email_from_name(first, last, email, ascii_fold)
    assert len({r[2] for r in rows}) == len(rows)  # a second John Smith gets john.smith2@


def test_contacts_of_an_account_share_its_email_domain(core_org: Path, query: Query) -> None:
    rows = query(
        core_org,
        "SELECT AccountId, COUNT(DISTINCT substr(Email, instr(Email, '@') + 1)) FROM Contact"
        " GROUP BY AccountId HAVING COUNT(DISTINCT substr(Email, instr(Email, '@') + 1)) > 1",
    )
    assert rows == []


def test_users_get_the_prospect_domain(core_org: Path, query: Query) -> None:
    rows = query(core_org, "SELECT FirstName, LastName, Email FROM User")
    assert rows
    for first, last, email in rows:
        assert_email_from_name(first, last, email, ascii_fold)
        assert email.endswith("@acme.example.com")


def case_safe_suffix(id15: str) -> str:
    """Salesforce's 3-character suffix: one character per 5-character chunk, from its capitals."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    out = ""
    for start in (0, 5, 10):
        chunk = id15[start : start + 5]
        out += alphabet[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]
    return out


def test_record_ids_look_like_salesforce_ids(core_org: Path, query: Query) -> None:
    with open_org(core_org) as org:
        prefixes = {o["name"]: o["key_prefix"] for o in org.objects()}
    assert prefixes["Account"] == "001"
    assert prefixes["Contact"] == "003"
    assert prefixes["Opportunity"] == "006"
    for obj, prefix in prefixes.items():
        ids = [r[0] for r in query(core_org, f"SELECT Id FROM {q(obj)}")]
        assert ids, obj
        assert len(set(ids)) == len(ids), obj
        for record_id in ids:
            assert len(record_id) == 18, record_id
            assert record_id.startswith(prefix), (obj, record_id)
            assert record_id.isalnum() and record_id.isascii(), record_id
            assert record_id[15:] == case_safe_suffix(record_id[:15]), record_id


# --- deferred lookups and date windows (small templates of their own) ----------------------------


CYCLE = """\
industry: t
label: T
objects:
  Account:
    count: 40
    fields:
      Name: {type: text, faker: company}
      PrimaryContactId: {type: lookup, to: Contact}
  Contact:
    count: 120
    name_field: LastName
    fields:
      LastName: {type: text, faker: last_name}
      AccountId: {type: lookup, to: Account, defer: true}
      ReportsToId: {type: lookup, to: Contact, null_rate: 0.5}
"""


def test_deferred_lookups_are_filled_once_all_records_exist(
    tmp_path: Path, build: Build, write_template: Callable[..., Path], query: Query
) -> None:
    tpl = load_template(write_template(CYCLE))
    out = tmp_path / "cycle.demoorg"
    build(out, tpl=tpl, size=160)
    assert query(out, "SELECT COUNT(*), COUNT(AccountId) FROM Contact") == [(120, 120)]
    assert query(
        out, "SELECT COUNT(*) FROM Contact WHERE AccountId NOT IN (SELECT Id FROM Account)"
    ) == [(0,)]
    assert query(
        out,
        "SELECT COUNT(*) FROM Account WHERE PrimaryContactId NOT IN (SELECT Id FROM Contact)",
    ) == [(0,)]
    (reports, own) = query(out, "SELECT COUNT(ReportsToId), SUM(ReportsToId = Id) FROM Contact")[0]
    assert 20 < reports < 100  # about half, never themselves
    assert own == 0


WINDOW = """\
industry: t
label: T
objects:
  Visit:
    count: 1000
    fields:
      Name: {type: text, sequence: "V-{n:04}"}
      Start: {type: datetime, between: [-30d, -1d]}
      End: {type: datetime, between: [Start+2h, Start+1d]}
"""


def test_a_datetime_stays_inside_a_window_shorter_than_a_day(
    tmp_path: Path, build: Build, write_template: Callable[..., Path], query: Query
) -> None:
    tpl = load_template(write_template(WINDOW))
    out = tmp_path / "window.demoorg"
    build(out, tpl=tpl, size=1000)
    minute = 1 / 1440
    rows = query(out, "SELECT julianday(End) - julianday(Start) FROM Visit")
    assert len(rows) == 1000
    outside = [d for (d,) in rows if not 2 / 24 - minute <= d <= 1 + minute]
    assert outside == []


# --- the org stands alone ------------------------------------------------------------------------


def test_org_opens_after_the_template_folder_is_gone(tmp_path: Path, build: Build) -> None:
    folder = tmp_path / "templates" / "core"
    shutil.copytree(CORE, folder)
    tpl = load_template(folder)
    built = tmp_path / "built.demoorg"
    result = build(built, tpl=tpl, size=400)
    shutil.rmtree(tmp_path / "templates")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = elsewhere / "copied.demoorg"
    shutil.copyfile(built, moved)
    built.unlink()
    with open_org(moved) as org:
        assert org.counts() == result.counts
        assert org.build["industry"] == "core"
        assert org.object("Account")["key_prefix"] == "001"
        assert {o["name"] for o in org.objects()} >= {"Account", "Contact", "Opportunity"}
        assert str(folder) not in json.dumps(org.meta, ensure_ascii=False)


# --- safety of the target ------------------------------------------------------------------------


def test_read_only_folder_is_refused_and_left_empty(readonly_dir: Path, build: Build) -> None:
    with pytest.raises(UsageError) as info:
        build(readonly_dir / "org.demoorg", size=300)
    assert str(info.value) == (
        f"folder {readonly_dir} is read-only (expected a folder you can write to)"
    )
    assert list(readonly_dir.iterdir()) == []


@pytest.mark.parametrize("force", [False, True])
def test_existing_file_that_is_not_an_org_is_refused(
    tmp_path: Path, build: Build, force: bool
) -> None:
    target = tmp_path / "notes.demoorg"
    target.write_bytes(b"my precious notes\n")
    with pytest.raises(UsageError) as info:
        build(target, size=300, force=force)
    assert "exists and is not a demoorg org; refusing to overwrite it" in str(info.value)
    assert target.read_bytes() == b"my precious notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.demoorg"]


def test_existing_sqlite_file_that_is_not_an_org_is_refused(tmp_path: Path, build: Build) -> None:
    target = tmp_path / "other.db"
    with closing(sqlite3.connect(target)) as con:
        con.execute("CREATE TABLE t (x)")
        con.commit()
    before = sha256(target)
    with pytest.raises(UsageError, match="is not a demoorg org"):
        build(target, size=300, force=True)
    assert sha256(target) == before


def test_existing_org_needs_force(tmp_path: Path, build: Build) -> None:
    target = tmp_path / "org.demoorg"
    build(target, seed=1, size=300)
    before = sha256(target)
    with pytest.raises(UsageError) as info:
        build(target, seed=2, size=300)
    assert str(info.value) == f"{target} already exists (pass --force to replace it)"
    assert sha256(target) == before
    build(target, seed=2, size=300, force=True)
    fresh = tmp_path / "fresh.demoorg"
    build(fresh, seed=2, size=300)
    assert sha256(target) == sha256(fresh) != before


def test_cancelled_build_leaves_nothing(tmp_path: Path, build: Build) -> None:
    target = tmp_path / "org.demoorg"
    with pytest.raises(BuildCancelled):
        build(target, size=500, cancelled=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_cancelled_build_keeps_the_previous_org(tmp_path: Path, build: Build) -> None:
    target = tmp_path / "org.demoorg"
    build(target, seed=1, size=500)
    before = sha256(target)
    polls = []

    def cancel_after_a_few_batches() -> bool:
        polls.append(1)
        return len(polls) > 4

    with pytest.raises(BuildCancelled):
        build(target, seed=2, size=500, force=True, cancelled=cancel_after_a_few_batches)
    assert len(polls) == 5
    assert sha256(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["org.demoorg"]
    with open_org(target) as org:
        assert org.build["seed"] == 1


# --- locales -------------------------------------------------------------------------------------


def is_latin(text: str) -> bool:
    return all(ch in " -.'" or "LATIN" in unicodedata.name(ch, "") for ch in text)


def is_cjk(text: str) -> bool:
    return bool(text) and all("\u4e00" <= ch <= "\u9fff" for ch in text)


def is_japanese(text: str) -> bool:
    return bool(text) and all(
        "\u4e00" <= ch <= "\u9fff" or "\u3040" <= ch <= "\u30ff" or ch == "\u3005"  # 々
        for ch in text
    )


def pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text)).lower()


@pytest.mark.parametrize(
    ("locale", "script", "fold", "family_first"),
    [
        ("en_US", str.isascii, ascii_fold, False),
        ("de_DE", is_latin, ascii_fold, False),
        ("ja_JP", is_japanese, None, True),
        ("zh_CN", is_cjk, pinyin, True),
    ],
)
def test_names_are_in_the_locale_script_and_emails_are_ascii(
    tmp_path: Path,
    build: Build,
    query: Query,
    locale: str,
    script: Callable[[str], bool],
    fold: Callable[[str], str] | None,
    family_first: bool,
) -> None:
    out = tmp_path / f"{locale}.demoorg"
    build(out, seed=5, size=300, locale=locale)
    with open_org(out) as org:
        assert org.build["locale"] == locale
    rows = query(out, "SELECT FirstName, LastName, Name, Email FROM Contact")
    rows += query(out, "SELECT FirstName, LastName, Name, Email FROM User")
    assert len(rows) > 20
    for first, last, name, email in rows:
        assert script(first), first
        assert script(last), last
        assert name == (f"{last}{first}" if family_first else f"{first} {last}")
        assert email.isascii(), email
        assert re.fullmatch(r"[a-z0-9]+\.[a-z0-9]+\d*@[a-z0-9.-]+", email), email
        if fold is not None:
            assert_email_from_name(first, last, email, fold)
    if locale == "de_DE":
        assert any(not last.isascii() for _, last, _, _ in rows)  # umlauts are kept in names
    if locale == "zh_CN":
        assert all(is_cjk(last) for _, last, _, _ in rows)


def test_locale_changes_the_names(tmp_path: Path, build: Build, query: Query) -> None:
    build(tmp_path / "us.demoorg", seed=5, size=300, locale="en_US")
    build(tmp_path / "de.demoorg", seed=5, size=300, locale="de_DE")
    us = query(tmp_path / "us.demoorg", "SELECT LastName FROM Contact ORDER BY Id")
    de = query(tmp_path / "de.demoorg", "SELECT LastName FROM Contact ORDER BY Id")
    assert us != de


def test_as_of_date_moves_the_dates(tmp_path: Path, build: Build, query: Query) -> None:
    build(tmp_path / "a.demoorg", seed=5, size=300)
    build(tmp_path / "b.demoorg", seed=5, size=300, as_of=date(2027, 11, 23))
    (a,) = query(tmp_path / "a.demoorg", "SELECT MAX(CreatedDate) FROM Account")[0]
    (b,) = query(tmp_path / "b.demoorg", "SELECT MAX(CreatedDate) FROM Account")[0]
    assert a < "2026-11-23" < b < "2027-11-23"


def test_us_phone_numbers_are_stored_as_a_crm_stores_them(core_org: Path, query: Query) -> None:
    """Faker writes some US numbers with the prefix for dialling from abroad ("001-202-…"); an org
    stores them as +1, and every area code is a geographic one."""
    phones = [
        p
        for (p,) in query(
            core_org,
            "SELECT Phone FROM Contact WHERE Phone IS NOT NULL "
            "UNION ALL SELECT Phone FROM Account WHERE Phone IS NOT NULL",
        )
    ]
    assert len(phones) > 100
    assert not [p for p in phones if p.startswith("001")]
    assert any(p.startswith("+1-") for p in phones)
    areas = {re.sub(r"\D", "", p).removeprefix("1")[:3] for p in phones}
    assert not {a for a in areas if a[1] == "9" or a[1] == a[2] or a[:2] in ("37", "96")}
