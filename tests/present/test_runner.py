"""The story runner over real small orgs: moves, live actions, exact Back/Jump/Reset, skipped
scenes, events and timers. The data at every position is compared as a hash of every table."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from demoorg.content import model as m
from demoorg.content.stories import StoryDef, load_story_text
from demoorg.present import (
    Changes,
    DataChanged,
    PresentError,
    PresentSession,
    SceneChanged,
    StoryRunner,
    feature_badges,
    story_problems,
)

INDUSTRIES = ("medical", "telecom", "finance", "transportation")
TODAY = date(2026, 12, 10)

Hashes = Callable[..., dict[str, str]]


def inline_story(tpl: m.TemplateDef, *scenes: str, requires: str = "[]") -> StoryDef:
    """A story of ``scenes`` (YAML list items), padded to six with dashboard scenes."""
    dashboard = tpl.dashboards[0].key
    body = "".join(textwrap.dedent(s).rstrip("\n") + "\n" for s in scenes)
    filler = "".join(
        f"- title: Filler {i}\n  say: S\n  budget: 60s\n  show: {{dashboard: {dashboard}}}\n"
        for i in range(6 - len(scenes))
    )
    text = (
        "story: Inline\npersona: CFO\nlength: 10m\nsummary: Test.\n"
        f"requires: {requires}\nscenes:\n" + textwrap.indent(body + filler, "  ")
    )
    return load_story_text(text, tpl, "inline.yaml")


def walk(runner: StoryRunner, hashes: Hashes, path: Path) -> dict[tuple[int, int], dict[str, str]]:
    """Next through the whole story, keeping a hash of the data at every position."""
    seen = {(runner.index, runner.step): hashes(path)}
    while runner.next().moved:
        seen[(runner.index, runner.step)] = hashes(path)
    return seen


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_a_whole_presentation_is_exact_and_leaves_the_baseline_alone(
    industry: str,
    orgs: dict[str, Path],
    stories: dict[str, StoryDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
    hashes: Hashes,
    fhash: Callable[[Path], str],
) -> None:
    baseline = fhash(orgs[industry])
    s = session(industry)
    runner = StoryRunner(s, stories[industry], clock)
    start = hashes(s.working)
    seen = walk(runner, hashes, s.working)
    assert runner.view().is_last
    assert len(seen) == len(runner.available) + sum(i.steps for i in runner.scenes if i.available)
    assert len({tuple(sorted(h.items())) for h in seen.values()}) > 1  # live actions changed data
    # Back, one position at a time, restores each position's data exactly.
    while runner.back().moved:
        assert hashes(s.working) == seen[(runner.index, runner.step)]
    assert hashes(s.working) == start
    # Jump anywhere, in any order: the data is the scene's as it starts.
    order = runner.available[::-1] + runner.available[::2] + runner.available[1::2]
    for index in order:
        runner.jump(index)
        assert (runner.index, runner.step) == (index, 0)
        assert hashes(s.working) == seen[(index, 0)]
    runner.jump(runner.available[-1])
    runner.reset()
    assert (runner.index, runner.step) == (runner.available[0], 0)
    assert hashes(s.working) == start
    runner.jump(runner.available[-1])
    runner.reset(hard=True)
    assert hashes(s.working) == start and not runner.applied
    walk(runner, hashes, s.working)
    assert fhash(orgs[industry]) == baseline


def test_next_performs_live_actions_one_per_press(
    stories: dict[str, StoryDef], session: Callable[..., PresentSession], clock: Callable[[], float]
) -> None:
    s = session("medical")
    runner = StoryRunner(s, stories["medical"], clock)
    events: list[object] = []
    runner.scene_changed.connect(events.append)
    runner.data_changed.connect(events.append)
    runner.jump(6)  # Close the gap live: two actions
    events.clear()
    hero = s.meta["heroes"]["maria_appointment"]["id"]
    maria = s.meta["heroes"]["maria"]["id"]
    view = runner.view()
    assert (view.step, view.steps, view.next_action) == (0, 2, "Complete Maria's follow-up visit")
    move = runner.next()
    assert move.moved and (move.index, move.step) == (6, 1)
    assert move.changes == Changes(frozenset({"ServiceAppointment"}), frozenset({hero}))
    assert events == [
        DataChanged(move.changes, "action", ("Complete Maria's follow-up visit",)),
        SceneChanged(6, 1, 6, 0),
    ]
    with s.org.engine.connect() as conn:
        status = conn.exec_driver_sql(
            "SELECT Status FROM ServiceAppointment WHERE Id = ?", (hero,)
        ).scalar_one()
    assert status == "Completed"
    move = runner.next()
    (new_id,) = [i for i in move.changes.ids]
    assert len(new_id) == 18 and new_id.startswith(s.org.object("CareObservation")["key_prefix"])
    with s.org.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT ObservedSubjectId, Code, ObservedValue, EffectiveDateTime FROM CareObservation "
            "WHERE Id = ?",
            (new_id,),
        ).one()
    assert tuple(row) == (maria, "4548-4", 7.1, f"{TODAY.isoformat()} 10:30:00")
    assert runner.view().next_action is None and runner.view().actions[1].done
    # Undo and redo make the same record again (Ids follow the data, not a counter).
    runner.back()
    assert runner.next().changes.ids == frozenset({new_id})
    assert runner.next().index == 8  # scene 8 is skipped on Winter '27


def test_perform_and_undo_stay_on_the_scene(
    stories: dict[str, StoryDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
    hashes: Hashes,
) -> None:
    s = session("medical")
    runner = StoryRunner(s, stories["medical"], clock)
    runner.jump(5)
    before = hashes(s.working)
    assert runner.undo().moved is False
    move = runner.perform()
    assert move.moved and (move.index, move.step) == (5, 1)
    assert runner.perform().moved is False
    with s.org.engine.connect() as conn:
        task = conn.exec_driver_sql(
            "SELECT Subject, TaskSubtype, Status, ActivityDate, WhatId, CallDurationInSeconds "
            "FROM Task ORDER BY Id DESC LIMIT 1"
        ).one()
    assert task[1:] == (
        "Call",
        "Completed",
        TODAY.isoformat(),
        s.meta["heroes"]["maria"]["id"],
        360,
    )
    runner.undo()
    assert hashes(s.working) == before


def test_derived_fields_follow_and_conversion_creates_the_records(
    stories: dict[str, StoryDef], session: Callable[..., PresentSession], clock: Callable[[], float]
) -> None:
    s = session("finance")
    runner = StoryRunner(s, stories["finance"], clock)
    runner.jump(runner.available[-1])
    heroes = s.meta["heroes"]
    with s.org.engine.connect() as conn:
        opp = conn.exec_driver_sql(
            "SELECT StageName, Probability, ForecastCategoryName, IsClosed, Amount, ExpectedRevenue "
            "FROM Opportunity WHERE Id = ?",
            (heroes["whitmore_opportunity"]["id"],),
        ).one()
        lead = conn.exec_driver_sql(
            "SELECT Status, IsConverted, ConvertedDate, ConvertedAccountId, ConvertedContactId, "
            "ConvertedOpportunityId FROM Lead WHERE Id = ?",
            (heroes["sharma_referral"]["id"],),
        ).one()
        account = conn.exec_driver_sql(
            "SELECT Name, FirstName, OwnerId FROM Account WHERE Id = ?", (lead[3],)
        ).one()
        contact = conn.exec_driver_sql(
            "SELECT AccountId, LastName FROM Contact WHERE Id = ?", (lead[4],)
        ).one()
        new_opp = conn.exec_driver_sql(
            "SELECT Name, AccountId, StageName, Probability, CloseDate FROM Opportunity WHERE Id = ?",
            (lead[5],),
        ).one()
    assert opp[:4] == ("Negotiation/Review", 90, "Commit", 0)
    assert opp[5] == pytest.approx(opp[4] * 0.9, abs=0.01)
    assert lead[:3] == ("Closed - Converted", 1, TODAY.isoformat())
    assert account[:2] == ("Anika Sharma", "Anika") and account[2]
    assert contact == (lead[3], "Sharma")
    assert new_opp == (
        "Anika Sharma - Wealth Management Onboarding",
        lead[3],
        "Prospecting",
        10,
        (TODAY + timedelta(days=30)).isoformat(),
    )
    # The scene after the conversion shows the account the lead became.
    runner.jump(8)
    assert runner.view().show.record_id == lead[3]


def test_close_and_advance_without_a_target(
    stories: dict[str, StoryDef], session: Callable[..., PresentSession], clock: Callable[[], float]
) -> None:
    s = session("transportation")
    runner = StoryRunner(s, stories["transportation"], clock)
    heroes = s.meta["heroes"]
    runner.jump(6)  # Get the repair paid: advance (next value), then advance to Approved
    runner.next()
    with s.org.engine.connect() as conn:
        claim = heroes["truck_1186_claim"]["id"]
        status = conn.exec_driver_sql("SELECT Status FROM Claim WHERE Id = ?", (claim,)).scalar()
        assert status == "Under Review"  # the value after Submitted
        case = conn.exec_driver_sql(
            'SELECT Status, IsClosed, IsEscalated, ClosedDate FROM "Case" WHERE Id = ?',
            (heroes["late_load_case"]["id"],),
        ).one()
    assert tuple(case) == ("Closed", 1, 0, f"{TODAY.isoformat()} 09:00:00")


def test_scenes_that_need_unavailable_features_are_skipped_with_a_notice(
    templates: dict[str, m.TemplateDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
) -> None:
    tpl = templates["medical"]
    story = inline_story(
        tpl,
        "- {title: First, say: S, budget: 60s, show: {dashboard: care-team}}",
        """\
        - title: Referrals
          say: S
          budget: 60s
          requires: [referral-management]
          show: {record: hero.maria}
          do:
            - create: Case
              as: referral
              fields: {Subject: Referral}
        """,
        "- {title: Uses it, say: S, budget: 60s, show: {record: new.referral}}",
        "- {title: After, say: S, budget: 60s, show: {dashboard: care-team}, requires: [care-gaps]}",
    )
    s = session("medical")
    runner = StoryRunner(s, story, clock)
    assert runner.available == [0, 3, 4, 5]
    assert runner.scenes[1].reason == ("needs Referral Management (not available on Winter '27)")
    assert runner.scenes[2].reason == "uses new.referral, made in skipped scene 2"
    runner.next()
    view = runner.view()
    assert (view.index, view.number, view.count) == (3, 2, 4)
    assert view.notices == (
        "Skipped scene 2 (Referrals): needs Referral Management (not available on Winter '27)",
        "Skipped scene 3 (Uses it): uses new.referral, made in skipped scene 2",
    )
    assert [(b.key, b.stage) for b in view.badges] == [("care-gaps", "Beta")]
    assert view.forward_looking and runner.forward_looking
    assert not runner.scenes[0].forward_looking
    with pytest.raises(PresentError, match="is skipped: needs Referral Management"):
        runner.jump(1)
    with pytest.raises(IndexError):
        runner.jump(6)


def test_a_story_that_needs_an_unavailable_feature_or_does_not_fit(
    templates: dict[str, m.TemplateDef],
    stories: dict[str, StoryDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
) -> None:
    s = session("medical")
    story = inline_story(templates["medical"], requires="[referral-management]")
    with pytest.raises(PresentError, match="needs Referral Management, which this org"):
        StoryRunner(s, story, clock)
    with pytest.raises(PresentError, match="does not fit this org: the story is for telecom"):
        StoryRunner(s, stories["telecom"], clock)
    problems = story_problems(stories["telecom"], s.meta)
    assert "the org has no hero 'garcia'" in problems
    assert "the org has no dashboard 'care-network'" in problems


def test_a_failing_live_action_changes_nothing_and_stops_before_it(
    templates: dict[str, m.TemplateDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
    hashes: Hashes,
) -> None:
    story = inline_story(
        templates["medical"],
        """\
        - title: Works
          say: S
          budget: 60s
          show: {record: hero.maria_care_plan}
          do:
            - update: hero.maria_care_plan
              set: {Status: On Hold}
            - update: {object: CarePlan, where: {Name: No such plan}}
              set: {Status: Completed}
        """,
    )
    s = session("medical")
    runner = StoryRunner(s, story, clock)
    start = hashes(s.working)
    runner.next()
    after_first = hashes(s.working)
    with pytest.raises(PresentError, match="no CarePlan record matches CarePlan where Name eq"):
        runner.next()
    assert (runner.index, runner.step) == (0, 1)
    assert hashes(s.working) == after_first
    with pytest.raises(PresentError):
        runner.jump(3)  # going past it fails at the same action
    assert (runner.index, runner.step) == (0, 1)
    runner.reset()
    assert hashes(s.working) == start


def test_skip_passes_over_an_action_that_cannot_run(
    templates: dict[str, m.TemplateDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
    hashes: Hashes,
) -> None:
    story = inline_story(
        templates["medical"],
        """\
        - title: Works
          say: S
          budget: 60s
          show: {record: hero.maria_care_plan}
          do:
            - update: {object: CarePlan, where: {Name: No such plan}}
              set: {Status: Completed}
            - update: hero.maria_care_plan
              set: {Status: On Hold}
        """,
    )
    s = session("medical")
    runner = StoryRunner(s, story, clock)
    start = hashes(s.working)
    with pytest.raises(PresentError):
        runner.next()
    assert runner.skip().moved
    assert (runner.index, runner.step) == (0, 1)
    assert hashes(s.working) == start  # skipping changes nothing
    runner.next()  # the next action still runs
    assert hashes(s.working) != start
    runner.back()
    runner.back()  # passes back over the skipped action
    assert (runner.index, runner.step) == (0, 0)
    assert hashes(s.working) == start


def test_view_fills_placeholders_and_resolves_what_to_show(
    stories: dict[str, StoryDef], session: Callable[..., PresentSession], clock: Callable[[], float]
) -> None:
    s = session("medical")
    runner = StoryRunner(s, stories["medical"], clock)
    view = runner.view()
    assert view.title == "Monday morning at Acme Health"
    assert (view.show.kind, view.show.dashboard) == ("dashboard", "care-team")
    assert str(view.spotlight) == "tile:no-shows"
    assert view.is_first and not view.is_last and view.next_title == "Where the quality money sits"
    runner.next()
    view = runner.view()
    assert view.show.kind == "list" and view.show.list_spec().object == "HealthCondition"
    assert view.show.where == (
        ("ConditionCode", "eq", "E11.9"),
        ("ConditionStatus", "eq", "Active"),
    )
    runner.next()
    view = runner.view()
    assert view.title == "Meet Maria Lopez"
    assert view.show.record_id == s.meta["heroes"]["maria"]["id"]
    assert view.show.record_name == "Maria Lopez"
    runner.next()
    view = runner.view()  # a list filtered by a hero: the hero's Id
    assert view.show.where == (("MemberId", "eq", s.meta["heroes"]["maria"]["id"]),)
    assert [b.label for b in view.badges] == ["Patient 360 Timeline", "Benefits Verification"]
    assert not view.forward_looking


def test_timers_use_the_injected_clock(
    stories: dict[str, StoryDef], session: Callable[..., PresentSession], clock: object
) -> None:
    s = session("medical")
    runner = StoryRunner(s, stories["medical"], clock)  # type: ignore[arg-type]
    clock.advance(30)  # type: ignore[attr-defined]
    t = runner.timer()
    assert (t.elapsed, t.budget, t.remaining, t.over, t.story_elapsed) == (30, 90, 60, False, 30)
    clock.advance(70)  # type: ignore[attr-defined]
    assert runner.timer().over
    runner.next()
    clock.advance(5)  # type: ignore[attr-defined]
    t = runner.timer()
    assert (t.elapsed, t.budget, t.story_elapsed, t.story_length) == (5, 75, 105, 840)
    runner.reset()
    assert runner.timer().story_elapsed == 0


def test_feature_badges_read_the_org(session: Callable[..., PresentSession]) -> None:
    s = session("medical")
    badges = feature_badges(["care-gaps", "patient-360", "prior-auth-automation", "nope"], s.meta)
    assert [(b.stage, b.available, b.forward_looking) for b in badges] == [
        ("Beta", True, True),
        ("GA", True, False),
        ("Not available", False, True),
        ("Not available", False, True),
    ]


def test_an_expression_over_a_helper_field_follows_its_fields(
    templates: dict[str, m.TemplateDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
) -> None:
    """Cash Balance is Balance times a share mapped from the model portfolio (a helper field
    that is not stored): a new balance gives the cash balance that share of it."""
    story = inline_story(
        templates["finance"],
        """\
        - title: Post
          say: S
          budget: 60s
          show: {dashboard: wealth-overview}
          do:
            - update: {object: FinServ__FinancialAccount__c, where: {FinServ__ModelPortfolio__c: Growth}}
              set: {FinServ__Balance__c: 100000}
        """,
    )
    s = session("finance")
    runner = StoryRunner(s, story, clock)
    runner.next()
    (rid,) = [i for o, i, _ in runner.applied[0].rows if o == "FinServ__FinancialAccount__c"]
    with s.org.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT FinServ__Balance__c, FinServ__CashBalance__c FROM FinServ__FinancialAccount__c "
            "WHERE Id = ?",
            (rid,),
        ).one()
    assert tuple(row) == (100000, 3000)  # Growth keeps 3 % in cash


def test_a_posting_moves_the_household_totals_and_back_restores_them(
    templates: dict[str, m.TemplateDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
) -> None:
    """A new balance on a household's savings account moves the household's deposits (a roll-up
    on the parent) by the same amount; Back puts the old total back."""
    story = inline_story(
        templates["finance"],
        """\
        - title: Post
          say: S
          budget: 60s
          show: {dashboard: wealth-overview}
          do:
            - update: {object: FinServ__FinancialAccount__c, where: {FinServ__FinancialAccountType__c: Savings, FinServ__Status__c: Open, FinServ__Household__c: {blank: false}}}
              set: {FinServ__Balance__c: 250000}
        """,
    )
    s = session("finance")
    runner = StoryRunner(s, story, clock)

    def household_of(account_id: str) -> tuple[str, float, float]:
        with s.org.engine.connect() as conn:
            hh, balance = conn.exec_driver_sql(
                'SELECT "FinServ__Household__c", "FinServ__Balance__c" '
                'FROM "FinServ__FinancialAccount__c" WHERE "Id" = ?',
                (account_id,),
            ).one()
            total = conn.exec_driver_sql(
                'SELECT "Household_Deposits__c" FROM "Account" WHERE "Id" = ?', (hh,)
            ).scalar_one()
            return hh, balance, total

    with s.org.engine.connect() as conn:
        rid = conn.exec_driver_sql(
            'SELECT "Id" FROM "FinServ__FinancialAccount__c" WHERE "FinServ__FinancialAccountType__c" '
            "= 'Savings' AND \"FinServ__Status__c\" = 'Open' AND \"FinServ__Household__c\" IS NOT NULL "
            'ORDER BY "Id" LIMIT 1'
        ).scalar_one()
    hh, old_balance, old_total = household_of(rid)
    move = runner.next()
    assert "Account" in move.changes.objects  # the views showing households refresh
    assert hh in runner.applied[0].changes.ids
    _, new_balance, new_total = household_of(rid)
    assert new_balance == 250000
    assert new_total == pytest.approx(old_total + 250000 - old_balance, abs=0.01)
    runner.back()
    assert household_of(rid) == (hh, old_balance, old_total)


def test_a_won_deal_counts_on_its_campaign(
    templates: dict[str, m.TemplateDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
) -> None:
    """Closing an opportunity as won moves its campaign's won count and won amount."""
    story = inline_story(
        templates["medical"],
        """\
        - title: Win
          say: S
          budget: 60s
          show: {dashboard: care-team}
          do:
            - update: {object: Opportunity, where: {IsClosed: false, CampaignId: {blank: false}, Amount: {gt: 0}}}
              set: {StageName: Closed Won}
        """,
    )
    s = session("medical")
    runner = StoryRunner(s, story, clock)

    def campaign_totals() -> list[tuple[str, int, float]]:
        with s.org.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.exec_driver_sql(
                    'SELECT "Id", "NumberOfWonOpportunities", "AmountWonOpportunities" '
                    'FROM "Campaign" ORDER BY "Id"'
                )
            ]

    def expected() -> list[tuple[str, int, float]]:
        with s.org.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.exec_driver_sql(
                    'SELECT c."Id", COUNT(o."Id"), ROUND(COALESCE(SUM(o."Amount"), 0), 2) '
                    'FROM "Campaign" c LEFT JOIN "Opportunity" o ON o."CampaignId" = c."Id" '
                    'AND o."StageName" = \'Closed Won\' GROUP BY c."Id" ORDER BY c."Id"'
                )
            ]

    before = campaign_totals()
    runner.next()
    after = campaign_totals()
    assert after != before
    assert after == expected()
    runner.back()
    assert campaign_totals() == before


def test_a_delivery_moves_its_shippers_counts_and_on_time_rate(
    templates: dict[str, m.TemplateDef],
    session: Callable[..., PresentSession],
    clock: Callable[[], float],
) -> None:
    """A shipment delivered on time during the demo counts on its shipper (delivered, on time,
    and the rate computed from both), as the build counts them; Back restores the three."""
    story = inline_story(
        templates["transportation"],
        """\
        - title: Deliver
          say: S
          budget: 60s
          show: {dashboard: freight-ops}
          do:
            - update: {object: Shipment__c, where: {Status__c: In Transit}}
              set: {Status__c: Delivered, OnTime__c: true}
        """,
    )
    s = session("transportation")
    runner = StoryRunner(s, story, clock)
    sql = (
        'SELECT a."Id", a."ShipmentsDelivered__c", a."OnTimeDeliveries__c", a."OnTimeRate__c", '
        '(SELECT COUNT(*) FROM "Shipment__c" x WHERE x."Shipper__c" = a."Id" '
        "AND x.\"Status__c\" = 'Delivered'), "
        '(SELECT COUNT(*) FROM "Shipment__c" x WHERE x."Shipper__c" = a."Id" AND x."OnTime__c" = 1) '
        'FROM "Account" a WHERE a."Id" IN (SELECT "Shipper__c" FROM "Shipment__c" WHERE "Id" = ?)'
    )
    with s.org.engine.connect() as conn:
        rid = conn.exec_driver_sql(
            'SELECT "Id" FROM "Shipment__c" WHERE "Status__c" = \'In Transit\' ORDER BY "Id" LIMIT 1'
        ).scalar_one()
        before = conn.exec_driver_sql(sql, (rid,)).one()
    runner.next()
    with s.org.engine.connect() as conn:
        _, delivered, on_time, rate, n_delivered, n_on_time = conn.exec_driver_sql(
            sql, (rid,)
        ).one()
    assert (delivered, on_time) == (n_delivered, n_on_time) == (before[4] + 1, before[5] + 1)
    assert rate == pytest.approx(round(on_time * 100 / delivered, 1))
    runner.back()
    with s.org.engine.connect() as conn:
        assert conn.exec_driver_sql(sql, (rid,)).one() == before
