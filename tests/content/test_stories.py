"""Stories: every shipped story loads, and every mistake is reported at its ``file:line``.

Inline stories are checked against the shipped medical template (heroes ``maria``,
``maria_care_plan``…, dashboard ``care-team``, features ``care-gaps``…). Each error test changes
one line of a valid story and expects the exact place and the start of the message.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from demoorg.content import model as m
from demoorg.content.paths import BUILTIN_INDUSTRIES
from demoorg.content.stories import (
    DateValue,
    RecordRef,
    describe_action,
    format_duration,
    load_stories,
    load_story,
    load_story_text,
    parse_date_value,
    parse_duration,
    placeholders,
    story_files,
)
from demoorg.content.template import load_template
from demoorg.errors import ContentError

INDUSTRIES = ("medical", "telecom", "finance", "transportation")
FILE = "story.yaml"


@pytest.fixture(scope="module")
def medical() -> m.TemplateDef:
    return load_template(BUILTIN_INDUSTRIES / "medical")


# --- shipped stories -----------------------------------------------------------------------------


def _shipped() -> list[tuple[str, Path]]:
    out = []
    for industry in INDUSTRIES:
        tpl = load_template(BUILTIN_INDUSTRIES / industry)
        out += [(industry, p) for p in story_files(tpl)]
    return out


@pytest.mark.parametrize(("industry", "path"), _shipped(), ids=lambda v: getattr(v, "name", v))
def test_every_shipped_story_loads(industry: str, path: Path) -> None:
    tpl = load_template(BUILTIN_INDUSTRIES / industry)
    story = load_story(path, tpl)
    assert story.industry == tpl.industry
    assert 6 <= len(story.scenes) <= 12
    assert story.persona and story.summary and story.length > 0
    # Exemplary stories: a live moment, hero records, and budgets that fit the target length.
    assert any(s.actions for s in story.scenes)
    assert any(s.show.record and s.show.record.hero for s in story.scenes)
    assert all(s.say and s.notes for s in story.scenes)
    assert story.budget <= story.length
    assert [s.index for s in story.scenes] == list(range(len(story.scenes)))


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_every_industry_ships_a_story(industry: str) -> None:
    assert load_stories(load_template(BUILTIN_INDUSTRIES / industry))


# --- small parsers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("2m", 120), ("1m30s", 90), ("12m", 720), ("1h", 3600), (45, 45), ("1m 5s", 65)],
)
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "twelve", "12", "-5s", "1.5m", 0, True, None])
def test_bad_durations(text: object) -> None:
    assert parse_duration(text) is None


def test_format_duration() -> None:
    assert [format_duration(s) for s in (45, 60, 95, 720, 59.6)] == [
        "45s",
        "1m",
        "1m35s",
        "12m",
        "1m",
    ]


def test_date_values() -> None:
    assert parse_date_value("0d", False) == DateValue(0.0, None, "0d")
    assert parse_date_value("+3d", False) == DateValue(3.0, None, "+3d")
    assert parse_date_value("-1w", False) == DateValue(-7.0, None, "-1w")
    assert parse_date_value("today", True) == DateValue(0.0, None, "today")
    assert parse_date_value("+1d 14:30", True) == DateValue(1.0, "14:30", "+1d 14:30")
    assert parse_date_value("-2h", True) == DateValue(-2 / 24, None, "-2h")
    assert parse_date_value("2026-12-01", False) == "2026-12-01"
    assert parse_date_value("2026-12-01T10:00", True) == "2026-12-01 10:00"
    for bad, dt in [("+1d 14:30", False), ("-2h", False), ("+1d 25:00", True), ("soon", True)]:
        assert parse_date_value(bad, dt) is None


def test_placeholders_ignore_doubled_braces() -> None:
    assert placeholders("Hi {prospect}, {{literal}} and {hero.maria}") == ["prospect", "hero.maria"]


# --- a valid inline story ------------------------------------------------------------------------

HEAD = """\
schema_version: 1
story: Test story
persona: CFO
length: 12m
summary: A story for tests.
scenes:
"""

FILLER = """\
  - title: Filler {n}
    say: Something to say.
    budget: 60s
    show: {{dashboard: care-team}}
"""


def story_text(*scenes: str, head: str = HEAD, total: int = 6) -> str:
    """A story whose first scenes are ``scenes`` (YAML list items), padded to ``total`` scenes."""
    body = "".join(textwrap.dedent(s).rstrip("\n") + "\n" for s in scenes)
    body = textwrap.indent(body, "  ") if body else ""
    fillers = "".join(FILLER.format(n=i) for i in range(total - len(scenes)))
    return head + body + fillers


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first occurrence of ``fragment``."""
    for i, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            return i
    raise AssertionError(f"{fragment!r} not in the story")


VALID_SCENE = """\
- title: Meet {hero.maria} at {prospect}
  say: |
    **Maria** has a care plan.
  notes: Pause here.
  budget: 90s
  requires: [care-gaps]
  show: {record: hero.maria}
  spotlight: related:HealthCondition
  do:
    - update: hero.maria_care_plan
      set: {Status: Completed, EndDate: 0d}
      label: Close the gap
    - create: CareObservation
      as: a1c
      fields: {ObservedSubjectId: hero.maria, Name: A1c, ObservedValue: 7.1, EffectiveDateTime: "+1d 10:00"}
    - log: hero.maria
      type: call
      subject: Outreach
      minutes: 5
    - advance: hero.maria_appointment
    - advance: hero.maria_appointment
      to: Completed
"""


def test_a_valid_story_parses_into_frozen_models(medical: m.TemplateDef) -> None:
    text = story_text(
        VALID_SCENE,
        """\
        - title: The new record
          say: It exists now.
          budget: 1m30s
          show: {record: new.a1c}
          spotlight: field:ObservedValue
        """,
        """\
        - title: A list
          say: Patients with diabetes.
          budget: 30s
          show: {list: HealthCondition, filter: {ConditionCode: E11.9, PatientId: hero.maria, ConditionStatus: [Active, Remission]}}
          spotlight: field:PatientId.Name
        """,
    )
    story = load_story_text(text, medical, "folder/cfo.yaml")
    assert story.key == "cfo" and story.industry == "medical" and story.length == 720
    s0, s1, s2 = story.scenes[:3]
    assert s0.title == "Meet {hero.maria} at {prospect}" and s0.budget == 90
    assert s0.requires == ("care-gaps",) and story.features() == ("care-gaps",)
    assert s0.show.kind == "record" and s0.show.record == RecordRef(
        "Account", hero="maria", text="hero.maria"
    )
    assert str(s0.spotlight) == "related:HealthCondition"
    kinds = [a.kind for a in s0.actions]
    assert kinds == ["update", "create", "log", "advance", "advance"]
    update, create, log, adv, adv_to = s0.actions
    assert update.values == (("Status", "Completed"), ("EndDate", DateValue(0.0, None, "0d")))
    assert describe_action(update) == "Close the gap"
    assert create.key == "a1c" and create.object == "CareObservation"
    assert dict(create.values)["ObservedSubjectId"].hero == "maria"
    assert dict(create.values)["EffectiveDateTime"] == DateValue(1.0, "10:00", "+1d 10:00")
    assert log.activity == "call" and log.minutes == 5
    assert adv.field == "Status" and adv.to is None  # the layout's path
    assert adv_to.to == "Completed"
    assert describe_action(adv) == "Advance hero.maria_appointment Status to the next value"
    assert s1.show.record == RecordRef("CareObservation", new="a1c", text="new.a1c")
    assert s2.show.where.clauses[1][2] == RecordRef("Account", hero="maria", text="hero.maria")
    assert s2.show.where.clauses[2] == ("ConditionStatus", "in", ("Active", "Remission"))
    with pytest.raises(AttributeError):
        story.title = "x"  # type: ignore[misc]


def test_a_single_action_mapping_and_query_references(medical: m.TemplateDef) -> None:
    text = story_text(
        """\
        - title: One action
          say: Verified.
          budget: 60s
          show: {list: MemberPlan, filter: {MemberId: hero.maria}}
          do: {update: {object: MemberPlan, where: {MemberId: hero.maria}}, set: {VerificationStatus: Verified}}
        """
    )
    story = load_story_text(text, medical)
    (action,) = story.scenes[0].actions
    assert action.record is not None and action.record.object == "MemberPlan"
    assert action.record.where is not None


def test_hero_lookup_references(tmp_path: Path) -> None:
    tpl = load_template(BUILTIN_INDUSTRIES / "finance")
    text = story_text(
        """\
        - title: Converted
          say: The account the referral became.
          budget: 60s
          show: {record: hero.sharma_referral.ConvertedAccountId}
          spotlight: related:Opportunity
          do:
            - convert: hero.sharma_referral
              opportunity: Onboarding
        """
    ).replace("care-team", "wealth-overview")
    story = load_story_text(text, tpl)
    ref = story.scenes[0].show.record
    assert ref == RecordRef(
        "Account",
        hero="sharma_referral",
        via="ConvertedAccountId",
        text="hero.sharma_referral.ConvertedAccountId",
    )
    assert story.scenes[0].actions[0].status == "Closed - Converted"


# --- errors ---------------------------------------------------------------------------------------

#: (case id, a scene or a head change, the text on the line of the error, the message's start)
SCENE_ERRORS = [
    (
        "unknown scene key",
        "- title: T\n  sya: typo\n  say: S\n  budget: 60s\n  show: {dashboard: care-team}\n",
        "sya:",
        "unknown key 'sya' in scene 1 (did you mean 'say'?)",
    ),
    (
        "missing say",
        "- title: T\n  budget: 60s\n  show: {dashboard: care-team}\n",
        "- title: T",
        "scene 1 has no 'say'",
    ),
    (
        "empty title",
        "- title: ''\n  say: S\n  budget: 60s\n  show: {dashboard: care-team}\n",
        "title: ''",
        "'title' of scene 1 is empty",
    ),
    (
        "bad budget",
        "- title: T\n  say: S\n  budget: soon\n  show: {dashboard: care-team}\n",
        "budget: soon",
        "'budget' of scene 1 is 'soon', not a duration",
    ),
    (
        "unknown placeholder",
        "- title: Hi {customer}\n  say: S\n  budget: 60s\n  show: {dashboard: care-team}\n",
        "title: Hi",
        "'title' has the placeholder {customer}",
    ),
    (
        "unknown hero placeholder",
        "- title: T\n  say: Meet {hero.mario}\n  budget: 60s\n  show: {dashboard: care-team}\n",
        "say: Meet",
        "'say' names hero 'mario', which the template does not have (did you mean 'maria'?)",
    ),
    (
        "unknown scene feature",
        "- title: T\n  say: S\n  budget: 60s\n  requires: [care-gap]\n  show: {dashboard: care-team}\n",
        "requires:",
        "'requires' names feature 'care-gap', which the medical template does not have (did you mean 'care-gaps'?)",
    ),
    (
        "two things to show",
        "- title: T\n  say: S\n  budget: 60s\n  show: {dashboard: care-team, list: Account}\n",
        "show:",
        "'show' of scene 1 has list and dashboard (expected exactly one of",
    ),
    (
        "nothing to show",
        "- title: T\n  say: S\n  budget: 60s\n  show: {}\n",
        "show:",
        "'show' of scene 1 has nothing to show",
    ),
    (
        "unknown show key",
        "- title: T\n  say: S\n  budget: 60s\n  show: {list: Account, filtr: {Type: Clinic}}\n",
        "show:",
        "unknown key 'filtr' in 'show' of scene 1 (did you mean 'filter'?)",
    ),
    (
        "unknown object",
        "- title: T\n  say: S\n  budget: 60s\n  show: {list: Acount}\n",
        "show:",
        "'list' names object 'Acount', which the medical template does not have (did you mean 'Account'?)",
    ),
    (
        "unknown filter field",
        "- title: T\n  say: S\n  budget: 60s\n  show:\n    list: Account\n    filter:\n      Tpye: Clinic\n",
        "Tpye:",
        "Account has no field 'Tpye' (did you mean 'Type'?)",
    ),
    (
        "filter picklist value",
        "- title: T\n  say: S\n  budget: 60s\n  show:\n    list: Account\n    filter:\n      Type: Clinik\n",
        "Type: Clinik",
        "Account.Type has no value 'Clinik' (did you mean 'Clinic'?)",
    ),
    (
        "record in a text filter",
        "- title: T\n  say: S\n  budget: 60s\n  show:\n    list: Account\n    filter:\n      Name: hero.maria\n",
        "Name: hero",
        "'Name' is a text field, so it cannot equal the record 'hero.maria'",
    ),
    (
        "unknown hero",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.mario}\n",
        "show:",
        "'record' names hero 'mario', which the template does not have (did you mean 'maria'?)",
    ),
    (
        "not a record",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: maria}\n",
        "show:",
        "'record' is 'maria', not a record (expected hero.<key>, new.<key> or",
    ),
    (
        "new record before it is created",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: new.a1c}\n",
        "show:",
        "'record' names new.a1c, which no earlier 'create' made",
    ),
    (
        "lookup to follow is not a lookup",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria.Name}\n",
        "show:",
        "'record' follows Account.Name, which is not a lookup field of Account",
    ),
    (
        "unknown dashboard",
        "- title: T\n  say: S\n  budget: 60s\n  show: {dashboard: care-teams}\n",
        "show:",
        "dashboard 'care-teams' is not in the template (did you mean 'care-team'?)",
    ),
    (
        "unknown query key",
        "- title: T\n  say: S\n  budget: 60s\n  show:\n    record: {object: Account, wher: {Type: Clinic}}\n",
        "record:",
        "unknown key 'wher' in record query 'record' (did you mean 'where'?)",
    ),
    (
        "unknown spotlight",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria}\n  spotlight: feild:Name\n",
        "spotlight:",
        "spotlight 'feild:Name': 'feild' is not something to spotlight (did you mean 'field'?)",
    ),
    (
        "spotlight field",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria}\n  spotlight: field:Nmae\n",
        "spotlight:",
        "spotlight 'field:Nmae': Account has no field 'Nmae' (did you mean 'Name'?)",
    ),
    (
        "spotlight section",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria}\n  spotlight: section:Patients\n",
        "spotlight:",
        "spotlight 'section:Patients': Account's layout has no section 'Patients' (did you mean 'Patient'?)",
    ),
    (
        "spotlight related",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria}\n  spotlight: related:Case\n",
        "spotlight:",
        "spotlight 'related:Case': Account's layout has no related list of 'Case'",
    ),
    (
        "spotlight path without one",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria}\n  spotlight: path\n",
        "spotlight:",
        "spotlight 'path': Account's layout has no path",
    ),
    (
        "spotlight path with a target",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria_appointment}\n  spotlight: path:Status\n",
        "spotlight:",
        "spotlight 'path:Status': path takes no target",
    ),
    (
        "spotlight without layout",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria_care_plan}\n  spotlight: section:Plan\n",
        "spotlight:",
        "spotlight 'section:Plan': CarePlan has no page layout",
    ),
    (
        "tile on a record",
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria}\n  spotlight: tile:no-shows\n",
        "spotlight:",
        "spotlight 'tile:no-shows': a tile can only be spotlit on a dashboard",
    ),
    (
        "unknown tile",
        "- title: T\n  say: S\n  budget: 60s\n  show: {dashboard: care-team}\n  spotlight: tile:no-show\n",
        "spotlight:",
        "spotlight 'tile:no-show': dashboard 'care-team' has no tile 'no-show' (did you mean 'no-shows'?)",
    ),
    (
        "field on a dashboard",
        "- title: T\n  say: S\n  budget: 60s\n  show: {dashboard: care-team}\n  spotlight: field:Name\n",
        "spotlight:",
        "spotlight 'field:Name': field cannot be spotlit on a dashboard",
    ),
    (
        "section on a list",
        "- title: T\n  say: S\n  budget: 60s\n  show: {list: Account}\n  spotlight: section:Patient\n",
        "spotlight:",
        "spotlight 'section:Patient': section can only be spotlit on a record page",
    ),
]

ACTION_ERRORS = [
    (
        "no action",
        "- label: x\n",
        "- label: x",
        "an action of scene 1 has no action (expected exactly one of: update, create, log, advance, convert, close)",
    ),
    (
        "misspelt action",
        "- updte: hero.maria\n",
        "- updte",
        "unknown key 'updte' in an action of scene 1 (did you mean 'update'?)",
    ),
    (
        "two actions",
        "- update: hero.maria\n  close: hero.maria\n",
        "- update",
        "an action of scene 1 has update and close",
    ),
    (
        "unknown action key",
        "- close: hero.maria_appointment\n  status: Canceled\n  lable: x\n",
        "lable:",
        "unknown key 'lable' in an action of scene 1 (did you mean 'label'?)",
    ),
    (
        "update unknown field",
        "- update: hero.maria_care_plan\n  set: {Statsu: Completed}\n",
        "set:",
        "CarePlan.Statsu does not exist (did you mean 'Status'?)",
    ),
    (
        "update the Id",
        "- update: hero.maria_care_plan\n  set: {Id: x}\n",
        "set:",
        "CarePlan.Id is set by demoorg",
    ),
    (
        "update a helper field",
        "- update: hero.maria_care_plan\n  set: {Program: x}\n",
        "set:",
        "CarePlan.Program is a helper field, not stored in the org",
    ),
    (
        "update with nothing",
        "- update: hero.maria_care_plan\n  set: {}\n",
        "set:",
        "'set' of an action of scene 1 is empty",
    ),
    (
        "picklist value",
        "- update: hero.maria_care_plan\n  set:\n    Status: Done\n",
        "Status: Done",
        "CarePlan.Status has no value 'Done'",
    ),
    (
        "text for a number",
        "- update: hero.maria\n  set:\n    NumberOfEmployees: many\n",
        "NumberOfEmployees",
        "Account.NumberOfEmployees is a number (expected a number, got 'many')",
    ),
    (
        "text for a boolean",
        "- update: hero.maria\n  set:\n    Diabetic: yes\n",
        "Diabetic",
        "Account.Diabetic is a helper field",
    ),
    (
        "bad date",
        "- update: hero.maria_care_plan\n  set:\n    EndDate: next week\n",
        "EndDate",
        "CarePlan.EndDate is a date, but the value is 'next week'",
    ),
    (
        "hours on a date",
        "- update: hero.maria_care_plan\n  set:\n    EndDate: +2h\n",
        "EndDate",
        "CarePlan.EndDate is a date, but the value is '+2h'",
    ),
    (
        "lookup to the wrong object",
        "- update: hero.maria_care_plan\n  set:\n    PatientId: hero.maria_diabetes\n",
        "PatientId",
        "CarePlan.PatientId looks up Account, but hero.maria_diabetes is a HealthCondition",
    ),
    (
        "lookup given text",
        "- update: hero.maria_care_plan\n  set:\n    OwnerId: 42\n",
        "OwnerId",
        "CarePlan.OwnerId is a lookup, but the value is a whole number",
    ),
    (
        "placeholder in a value",
        "- update: hero.maria_care_plan\n  set:\n    Name: '{hero.maria} plan'\n",
        "Name:",
        "CarePlan.Name has the placeholder {hero.maria} (expected only {prospect})",
    ),
    (
        "create unknown object",
        "- create: Observation\n  fields: {Name: x}\n",
        "- create",
        "'create' names object 'Observation', which the medical template does not have",
    ),
    (
        "create record type",
        "- create: Account\n  record_type: Patients\n  fields: {Name: x}\n",
        "record_type",
        "Account has no record type 'Patients' (did you mean 'Patient'?)",
    ),
    (
        "create twice as",
        "- create: CareObservation\n  as: a\n  fields: {Name: x}\n- create: CareObservation\n  as: a  # again\n  fields: {Name: y}\n",
        "# again",
        "new.a is created twice",
    ),
    (
        "create without a name",
        "- create: CareObservation\n  fields: {Code: 4548-4}\n",
        "fields:",
        "the new CareObservation has no Name (expected Name in 'fields'",
    ),
    (
        "log type",
        "- log: hero.maria\n  type: sms\n  subject: Hi\n",
        "type: sms",
        "'type' is 'sms' (expected one of: call, email, task, meeting)",
    ),
    (
        "log on an object activities cannot point at",
        "- log: hero.maria_diabetes\n  subject: Hi\n",
        "- log",
        "a Task cannot be logged on a HealthCondition",
    ),
    (
        "log status",
        "- log: hero.maria\n  subject: Hi\n  status: Finished\n",
        "status:",
        "Task.Status has no value 'Finished'",
    ),
    (
        "meeting status",
        "- log: hero.maria\n  type: meeting\n  subject: Hi\n  status: Completed\n",
        "status:",
        "a meeting has no status",
    ),
    (
        "log when",
        "- log: hero.maria\n  subject: Hi\n  when: tomorrow\n",
        "when:",
        "'when' is 'tomorrow'",
    ),
    (
        "log minutes",
        "- log: hero.maria\n  subject: Hi\n  minutes: 0\n",
        "minutes:",
        "'minutes' is 0 (expected 1 to 1440)",
    ),
    (
        "advance a non-picklist",
        "- advance: hero.maria_appointment\n  field: SchedStartTime\n",
        "field:",
        "ServiceAppointment.SchedStartTime is not a picklist",
    ),
    (
        "advance to an unknown value",
        "- advance: hero.maria_appointment\n  to: Done\n",
        "to: Done",
        "ServiceAppointment.Status has no value 'Done'",
    ),
    (
        "advance without a path",
        "- advance: hero.maria_care_plan\n",
        "- advance",
        "CarePlan has no stage path in its layout (expected 'field: <picklist>')",
    ),
    (
        "convert a non-lead",
        "- convert: hero.maria\n",
        "- convert",
        "'convert' names a Account (expected a Lead)",
    ),
    (
        "close status",
        "- close: hero.maria_appointment\n",
        "- close",
        "ServiceAppointment.Status has no value 'Closed'",
    ),
    (
        "close without Status",
        "- close: hero.maria_diabetes\n",
        "- close",
        "HealthCondition.Status is not a picklist",
    ),
]


def _scene_with_actions(actions: str) -> str:
    return (
        "- title: T\n  say: S\n  budget: 60s\n  show: {record: hero.maria}\n  do:\n"
        + textwrap.indent(actions, "    ")
    )


@pytest.mark.parametrize(
    ("scene", "where", "message"),
    [c[1:] for c in SCENE_ERRORS]
    + [(_scene_with_actions(a), w, msg) for _, a, w, msg in ACTION_ERRORS],
    ids=[c[0] for c in SCENE_ERRORS] + [c[0] for c in ACTION_ERRORS],
)
def test_scene_errors_are_reported_at_their_line(
    medical: m.TemplateDef, scene: str, where: str, message: str
) -> None:
    text = story_text(scene)
    with pytest.raises(ContentError) as exc:
        load_story_text(text, medical)
    expected_line = line_of(text, where)
    assert str(exc.value).startswith(f"{FILE}:{expected_line}: {message}"), str(exc.value)
    assert "(expected" in str(exc.value) or "did you mean" in str(exc.value)


HEAD_ERRORS = [
    (
        "misspelt required key",
        HEAD.replace("persona:", "persnoa:"),
        "persnoa:",
        "unknown key 'persnoa' in the story (did you mean 'persona'?)",
    ),
    (
        "missing key",
        HEAD.replace("persona: CFO\n", ""),
        "schema_version",
        "the story has no 'persona'",
    ),
    (
        "unknown extra key",
        HEAD.replace("summary:", "audience: CFO\nsummary:"),
        "audience:",
        "unknown key 'audience' in the story",
    ),
    (
        "schema version",
        HEAD.replace("schema_version: 1", "schema_version: 2"),
        "schema_version",
        "schema_version 2 is not supported (expected 1)",
    ),
    (
        "length",
        HEAD.replace("length: 12m", "length: long"),
        "length:",
        "'length' of the story is 'long', not a duration",
    ),
    (
        "story title type",
        HEAD.replace("story: Test story", "story: [a]"),
        "story:",
        "'story' of the story is a list (expected text)",
    ),
    (
        "story feature",
        HEAD.replace("summary:", "requires: [care_gaps]\nsummary:"),
        "requires:",
        "'requires' names feature 'care_gaps', which the medical template does not have (did you mean 'care-gaps'?)",
    ),
    (
        "scenes not a list",
        HEAD.replace("scenes:", "scenes: 6"),
        "scenes:",
        "'scenes' of the story is a whole number (expected a list)",
    ),
]


@pytest.mark.parametrize(
    ("head", "where", "message"), [c[1:] for c in HEAD_ERRORS], ids=[c[0] for c in HEAD_ERRORS]
)
def test_story_errors_are_reported_at_their_line(
    medical: m.TemplateDef, head: str, where: str, message: str
) -> None:
    text = story_text(head=head) if not head.endswith("scenes: 6\n") else head
    with pytest.raises(ContentError) as exc:
        load_story_text(text, medical)
    assert str(exc.value).startswith(f"{FILE}:{line_of(text, where)}: {message}"), str(exc.value)


@pytest.mark.parametrize("count", [5, 13])
def test_a_story_has_six_to_twelve_scenes(medical: m.TemplateDef, count: int) -> None:
    text = story_text(total=count)
    with pytest.raises(ContentError) as exc:
        load_story_text(text, medical)
    assert str(exc.value) == (
        f"{FILE}:{line_of(text, 'scenes:')}: the story has {count} scenes (expected 6 to 12)"
    )


def test_a_scene_that_is_not_a_mapping(medical: m.TemplateDef) -> None:
    text = story_text("- just text\n")
    with pytest.raises(ContentError) as exc:
        load_story_text(text, medical)
    assert str(exc.value).startswith(f"{FILE}:{line_of(text, 'just text')}: scene 1 is text")


def test_malformed_yaml_and_duplicate_keys(medical: m.TemplateDef) -> None:
    with pytest.raises(ContentError) as exc:
        load_story_text(HEAD + "  - title: [unclosed\n", medical)
    assert str(exc.value).startswith(f"{FILE}:") and "malformed YAML" in str(exc.value)
    text = story_text(
        "- title: T\n  title: U\n  say: S\n  budget: 60s\n  show: {dashboard: care-team}\n"
    )
    with pytest.raises(ContentError) as exc:
        load_story_text(text, medical)
    assert str(exc.value).startswith(f"{FILE}:{line_of(text, 'title: U')}: duplicate key 'title'")


def test_a_story_file_names_its_path(tmp_path: Path, medical: m.TemplateDef) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(story_text().replace("budget: 60s", "budget: x", 1), encoding="utf-8")
    with pytest.raises(ContentError) as exc:
        load_story(path, medical, display="stories/broken.yaml")
    line = line_of(path.read_text(encoding="utf-8"), "budget: x")
    assert str(exc.value).startswith(f"stories/broken.yaml:{line}: 'budget' of scene 1 is 'x'")


def test_stories_are_found_in_the_template_folder(tmp_path: Path, medical: m.TemplateDef) -> None:
    folder = tmp_path / "t"
    (folder / "stories").mkdir(parents=True)
    (folder / "stories" / "b.yaml").write_text(story_text(), encoding="utf-8")
    (folder / "stories" / "a.yml").write_text(story_text(), encoding="utf-8")
    (folder / "stories" / "notes.txt").write_text("not a story", encoding="utf-8")
    tpl = m.TemplateDef(
        **{**{f: getattr(medical, f) for f in medical.__slots__}, "path": str(folder)}
    )
    assert [p.name for p in story_files(tpl)] == ["a.yml", "b.yaml"]
    assert [s.key for s in load_stories(tpl)] == ["a", "b"]
