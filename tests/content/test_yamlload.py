"""The line-aware, safe YAML loader and the Section reader built on it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from demoorg.content.yamlload import (
    MAX_DEPTH,
    LineDict,
    LineList,
    Section,
    load_yaml_file,
    load_yaml_text,
)
from demoorg.errors import ContentError


def load(text: str, path: str = "c.yaml") -> object:
    return load_yaml_text(textwrap.dedent(text), path)


def error(text: str, path: str = "c.yaml") -> ContentError:
    with pytest.raises(ContentError) as info:
        load(text, path)
    return info.value


# --- line numbers --------------------------------------------------------------------------------


def test_keys_and_items_know_their_lines() -> None:
    data = load(
        """\
        # a comment on line 1
        name: Acme
        objects:
          Account:
            count: 10
          Contact: {count: 3}
        tags:
          - first
          - second

          - {x: 1}
        """
    )
    assert isinstance(data, LineDict)
    assert data.key_lines == {"name": 2, "objects": 3, "tags": 7}
    assert data.path == "c.yaml"
    objects = data["objects"]
    assert isinstance(objects, LineDict)
    assert objects.line == 4
    assert objects.key_lines == {"Account": 4, "Contact": 6}
    assert objects["Account"].key_lines == {"count": 5}
    assert objects["Contact"].line == 6
    tags = data["tags"]
    assert isinstance(tags, LineList)
    assert tags == ["first", "second", {"x": 1}]
    assert tags.line == 8
    assert tags.item_lines == [8, 9, 11]
    assert tags[2].line == 11
    assert tags.path == "c.yaml"


def test_items_in_a_flow_list_share_their_line() -> None:
    data = load("a: 1\nb: [x, y, z]\n")
    assert data["b"].item_lines == [2, 2, 2]


def test_a_list_of_mappings_gives_each_mapping_its_line() -> None:
    data = load(
        """\
        rows:
          - name: a
            weight: 1
          - name: b
            weight: 2
        """
    )
    assert [row.line for row in data["rows"]] == [2, 4]
    assert data["rows"][1].key_lines == {"name": 4, "weight": 5}


# --- duplicate keys ------------------------------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    exc = error(
        """\
        objects:
          Account:
            count: 10
            label: Account
            count: 20
        """
    )
    assert str(exc) == "c.yaml:5: duplicate key 'count' (first given on line 3)"
    assert (exc.path, exc.line) == ("c.yaml", 5)


def test_duplicate_top_level_key() -> None:
    exc = error("a: 1\nb: 2\na: 3\n")
    assert str(exc) == "c.yaml:3: duplicate key 'a' (first given on line 1)"


def test_same_key_in_different_mappings_is_fine() -> None:
    data = load("a: {x: 1}\nb: {x: 2}\n")
    assert data == {"a": {"x": 1}, "b": {"x": 2}}


@pytest.mark.xfail(
    reason="yamlload.py construct_mapping treats a key merged in with `<<` and then overridden "
    "as a duplicate key; YAML merge keys let the mapping's own keys override merged ones",
    strict=True,
)
def test_a_merge_key_may_be_overridden() -> None:
    data = load(
        """\
        base: &base {x: 1, y: 2}
        obj:
          <<: *base
          x: 3
        """
    )
    assert data["obj"] == {"x": 3, "y": 2}


# --- YAML 1.1 surprises switched off -------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "no", "Yes", "No", "YES", "NO", "on", "off", "On", "OFF"])
def test_yes_no_on_off_stay_strings(word: str) -> None:
    assert load(f"value: {word}\nlist: [{word}]\n") == {"value": word, "list": [word]}


@pytest.mark.parametrize(
    ("word", "value"), [("true", True), ("True", True), ("false", False), ("FALSE", False)]
)
def test_true_and_false_are_booleans(word: str, value: bool) -> None:
    assert load(f"value: {word}\n")["value"] is value


def test_picklist_values_yes_and_no_keep_their_spelling() -> None:
    data = load("values: {Yes: 60, No: 40}\n")
    assert list(data["values"]) == ["Yes", "No"]


@pytest.mark.parametrize(
    "text",
    ["2026-11-23", "2026-11-23T10:00:00", "2026-11-23 10:00:00Z", "2001-12-14t21:59:43.10-05:00"],
)
def test_dates_stay_strings(text: str) -> None:
    data = load(f"when: {text}\n")
    assert data["when"] == text
    assert isinstance(data["when"], str)


def test_numbers_and_null_still_resolve() -> None:
    assert load("a: 1\nb: 2.5\nc: null\nd: ~\ne: '1'\n") == {
        "a": 1,
        "b": 2.5,
        "c": None,
        "d": None,
        "e": "1",
    }


# --- malformed YAML and limits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: [1, 2\nb: 3\n", 2),
        ("a: b: c\n", 1),
        ("a:\n  - x\n - y\n", 3),
        ("a: 1\n\tb: 2\n", 2),
        ("ok: 1\nalso: 2\nbad: 'unterminated\n", 4),
    ],
)
def test_malformed_yaml_names_file_and_line(text: str, line: int) -> None:
    exc = error(text, "industries/x/template.yaml")
    assert str(exc).startswith(f"industries/x/template.yaml:{line}: malformed YAML")
    assert str(exc).endswith("(expected valid YAML)")
    assert exc.line == line


def test_more_than_one_document_is_malformed() -> None:
    exc = error("a: 1\n---\nb: 2\n")
    assert str(exc).startswith("c.yaml:2: malformed YAML")


def test_python_tags_are_refused() -> None:
    exc = error("a: !!python/object/apply:os.system ['echo hi']\n")
    assert str(exc).startswith("c.yaml:1: malformed YAML")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def depth(node: object) -> int:
    if isinstance(node, dict):
        return 1 + max((depth(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((depth(v) for v in node), default=0)
    return 0


def test_nesting_up_to_the_limit_loads() -> None:
    data = load(f"a: {nested(MAX_DEPTH - 1)}\n")  # the mapping itself is one level
    assert depth(data) == MAX_DEPTH


def test_nesting_deeper_than_40_is_refused() -> None:
    assert MAX_DEPTH == 40
    exc = error(f"ok: 1\na: {nested(MAX_DEPTH)}\n")
    assert str(exc) == (
        "c.yaml:2: nesting deeper than 40 levels (expected a flat, readable structure)"
    )


def test_nested_mappings_count_too() -> None:
    keys = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH))
    assert depth(load(keys + "  " * MAX_DEPTH + "x\n")) == MAX_DEPTH
    exc = error(keys + "  " * MAX_DEPTH + "x: 1\n")  # the 41st mapping starts on line 41
    assert str(exc) == (
        "c.yaml:41: nesting deeper than 40 levels (expected a flat, readable structure)"
    )


def test_absurd_nesting_is_a_content_error_not_a_crash() -> None:
    exc = error(nested(20_000))
    assert exc.path == "c.yaml"
    assert "nesting" in exc.message


# --- files ---------------------------------------------------------------------------------------


def test_file_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: Müller 株式会社\n", encoding="utf-8")
    assert load_yaml_file(path) == {"name": "Müller 株式会社"}
    assert load_yaml_file(path).path == str(path)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes("name: Müller\n".encode("latin-1"))
    with pytest.raises(ContentError) as info:
        load_yaml_file(path, "industries/x/template.yaml")
    assert str(info.value) == (
        "industries/x/template.yaml:1: not UTF-8 text at byte 7 (expected UTF-8)"
    )


def test_errors_in_a_file_name_the_display_path(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_yaml_file(path, "industries/x/template.yaml")
    assert str(info.value) == (
        "industries/x/template.yaml:2: duplicate key 'a' (first given on line 1)"
    )


def test_missing_file_is_a_content_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as info:
        load_yaml_file(tmp_path / "nope.yaml", "nope.yaml")
    assert str(info.value).startswith("nope.yaml: cannot read file:")


# --- Section -------------------------------------------------------------------------------------


@pytest.fixture
def section() -> Section:
    data = load(
        """\
        object:
          count: ten
          flag: 1
          ratio: 3
          whole: 2.5
          on: true
          tags: red
          colr: blue
          label: Account
        """
    )
    return Section(data["object"], "c.yaml", "object 'Account'")


@pytest.mark.parametrize(
    ("key", "kind", "message"),
    [
        ("count", int, "c.yaml:2: 'count' of object 'Account' is text (expected a whole number)"),
        (
            "flag",
            bool,
            "c.yaml:3: 'flag' of object 'Account' is a whole number (expected true or false)",
        ),
        (
            "whole",
            int,
            "c.yaml:5: 'whole' of object 'Account' is a number (expected a whole number)",
        ),
        ("on", int, "c.yaml:6: 'on' of object 'Account' is true/false (expected a whole number)"),
        ("tags", list, "c.yaml:7: 'tags' of object 'Account' is text (expected a list)"),
        (
            "count",
            (int, dict),
            "c.yaml:2: 'count' of object 'Account' is text (expected a whole number or a mapping)",
        ),
    ],
)
def test_take_checks_types_at_the_key_line(
    section: Section, key: str, kind: type | tuple[type, ...], message: str
) -> None:
    with pytest.raises(ContentError) as info:
        section.take(key, kind)
    assert str(info.value) == message


def test_take_returns_values_and_defaults(section: Section) -> None:
    assert section.take("ratio", float) == 3  # a whole number is a number
    assert section.take("label", str) == "Account"
    assert section.take("absent", int, 5) == 5
    assert section.take("none", str, None) is None


def test_take_of_a_required_missing_key_points_at_the_mapping(section: Section) -> None:
    with pytest.raises(ContentError) as info:
        section.take("fields", dict)
    assert str(info.value) == "c.yaml:2: object 'Account' has no 'fields' (expected a 'fields' key)"


def test_section_of_something_else_than_a_mapping() -> None:
    data = load("objects: [Account]\n")
    with pytest.raises(ContentError) as info:
        Section(data["objects"], "c.yaml", "the objects", data.key_lines["objects"])
    assert str(info.value) == "c.yaml:1: the objects is a list (expected a mapping)"


def test_finish_reports_an_unknown_key_with_a_suggestion(section: Section) -> None:
    for key, kind in [("count", str), ("flag", int), ("ratio", float), ("whole", float)]:
        section.take(key, kind)
    section.take("on", bool)
    section.take("tags", str)
    section.take("label", str)
    section.take("color", str, None)
    with pytest.raises(ContentError) as info:
        section.finish()
    assert str(info.value) == (
        "c.yaml:8: unknown key 'colr' in object 'Account' (did you mean 'color'?)"
        " (expected one of: color, count, flag, label, on, ratio, tags, whole)"
    )


def test_finish_counts_allowed_keys_as_known() -> None:
    sec = Section(load("extend: base\nname: x\n"), "c.yaml", "the template")
    sec.take("name", str)
    with pytest.raises(ContentError) as info:
        sec.finish(("extends",))
    assert str(info.value) == (
        "c.yaml:1: unknown key 'extend' in the template (did you mean 'extends'?)"
        " (expected one of: extends, name)"
    )


def test_finish_without_a_close_match_has_no_suggestion() -> None:
    sec = Section(load("name: x\nzzz: 1\n"), "c.yaml", "the template")
    sec.take("name", str)
    with pytest.raises(ContentError) as info:
        sec.finish()
    assert str(info.value) == "c.yaml:2: unknown key 'zzz' in the template (expected one of: name)"


def test_finish_accepts_a_fully_read_mapping() -> None:
    sec = Section(load("name: x\n"), "c.yaml", "the template")
    sec.take("name", str)
    sec.finish()
    assert sec.rest() == []
