"""Fuzzed content: templates, stories and release names broken on purpose.

The contract a content author relies on: whatever is in a template or story file, demoorg either
loads it or reports ONE :class:`ContentError` naming ``path:line:`` and what was expected, on one
line, quickly. Never a traceback, never another exception type, never a hang.

The shipped files are the seeds: their parsed trees are mutated (keys deleted, values replaced by
the wrong type, references renamed, huge numbers) and their raw text is mutated (truncated, bytes
inserted, tabs, BOM, NUL, invalid UTF-8, alias bombs, Python tags, nesting thousands deep). Each
mutant is written to a template folder beside an intact ``_core`` and loaded the way
``demoorg validate`` loads it.
"""

from __future__ import annotations

import contextlib
import faulthandler
import math
import re
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from demoorg.content import model as m
from demoorg.content.releases import Release, parse_release, resolve_release
from demoorg.content.stories import load_story
from demoorg.content.template import load_template
from demoorg.errors import ContentError, UsageError

# Failing examples hold whole files; their size is the point, not a problem with the test.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

REPO = Path(__file__).resolve().parents[2]
INDUSTRIES = REPO / "industries"
SHIPPED = sorted(p.name for p in INDUSTRIES.iterdir() if (p / "template.yaml").is_file())
STORY_FILES = sorted(INDUSTRIES.glob("*/stories/*.yaml"))

#: ``path:line: message``: ContentError's printed shape (see demoorg.errors) when it has a line.
#: The path is a file name, so it holds no colon; the message starts right after one space.
LOCATED = re.compile(r"^[^:\n]+:[1-9]\d*: \S")

#: A load of a shipped-size file takes a tenth of a second; ten seconds means it hangs.
HANG_SECONDS = 10

FUZZ = settings(
    max_examples=250,
    deadline=None,  # the hard guard below catches hangs; a deadline would flake on a busy machine
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


class Hung(BaseException):
    """A load ran past its time limit (a BaseException, so no ``except Exception`` hides it)."""


@contextlib.contextmanager
def hard_timeout(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fails with :class:`Hung` when the block runs longer than ``seconds``.

    SIGALRM interrupts Python code; a hang inside C code (the YAML parser) cannot be interrupted
    that way, so faulthandler also dumps every thread's stack and ends the run a little later.
    """

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds * 3, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        faulthandler.cancel_dump_traceback_later()


def assert_model_or_located_error(load: Callable[[], Any], model_type: type) -> str:
    """Runs ``load``; returns "ok" for a model or the error text for one located ContentError."""
    try:
        with hard_timeout():
            result = load()
    except ContentError as exc:
        text = str(exc)
        assert "\n" not in text and "\r" not in text, f"multi-line error: {text!r}"
        assert LOCATED.match(text), f"error without path:line: {text!r}"
        return text
    assert isinstance(result, model_type), type(result)
    return "ok"


# --- material: the shipped files, parsed once --------------------------------------------------


def _plain_tree(path: Path) -> Any:
    return yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)


TEMPLATE_TREES = {name: _plain_tree(INDUSTRIES / name / "template.yaml") for name in SHIPPED}
TEMPLATE_TEXTS = {name: (INDUSTRIES / name / "template.yaml").read_bytes() for name in SHIPPED}


def node_paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a plain tree (the root excluded), in document order."""
    out: list[tuple[Any, ...]] = []
    items = (
        tree.items()
        if isinstance(tree, dict)
        else enumerate(tree)
        if isinstance(tree, list)
        else ()
    )
    for key, value in items:
        out.append((*prefix, key))
        out.extend(node_paths(value, (*prefix, key)))
    return out


PATHS = {name: node_paths(tree) for name, tree in TEMPLATE_TREES.items()}
NAMES_IN_USE = sorted(
    {str(k) for tree in TEMPLATE_TREES.values() for k in (tree.get("objects") or {})}
    | {"AccountId", "Name", "StageName", "care-team", "acme"}
)


def deep_copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: deep_copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [deep_copy(v) for v in tree]
    return tree


def dump(tree: Any) -> bytes:
    return yaml.dump(
        tree, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=120
    ).encode("utf-8")


#: Values of the wrong type, size or shape for wherever they land.
hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 10**100, -(10**100), 2**63, 50_000_001]),
    st.integers(),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 1e-320]),
    st.floats(),
    st.sampled_from(["", " ", "\t", "NaN", "~", "null", "{n", "{", "{Nope}", "Nmae", "__c"]),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=10).map(lambda s: s * 500),
    st.sampled_from(NAMES_IN_USE),
    st.sampled_from(NAMES_IN_USE).map(lambda s: s + "X"),
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.one_of(st.text(max_size=12), st.sampled_from(NAMES_IN_USE)), inner, max_size=4
        )
    ),
    max_leaves=8,
)


@st.composite
def mutated_tree(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped template's tree with one to three nodes deleted, replaced or renamed."""
    name = draw(st.sampled_from(SHIPPED))
    tree = deep_copy(TEMPLATE_TREES[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS[name]))
        parent = tree
        try:
            for key in path[:-1]:
                parent = parent[key]
            leaf = path[-1]
            parent[leaf]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
        action = draw(st.sampled_from(["delete", "replace", "rename"]))
        if action == "delete":
            del parent[leaf]
        elif action == "replace":
            parent[leaf] = draw(hostile_values)
        elif isinstance(parent, dict):  # rename the key: a reference to it now points nowhere
            new_key = draw(st.one_of(st.sampled_from(NAMES_IN_USE), st.text(max_size=12)))
            value = parent.pop(leaf)
            parent[new_key] = value
        else:
            parent[leaf] = draw(st.sampled_from(NAMES_IN_USE)) + "Nope"
    return name, dump(tree)


def _bomb(levels: int = 9) -> bytes:
    """A "billion laughs" document: each anchor is nine copies of the previous one."""
    lines = ["schema_version: 1", "industry: bomb", "label: Bomb", "a0: &a0 [lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    lines.append(f"objects: {{Account: {{fields: {{Name: {{values: *a{levels}}}}}}}}}")
    return ("\n".join(lines) + "\n").encode()


def hostile_texts(name: str) -> dict[str, bytes]:
    """Hand-made hostile versions of ``name``'s template, each a regression example."""
    shipped = TEMPLATE_TEXTS[name]
    return {
        "empty": b"",
        "only a comment": b"# nothing here\n",
        "bom": b"\xef\xbb\xbf" + shipped,
        "crlf": shipped.replace(b"\n", b"\r\n"),
        "cr only": shipped.replace(b"\n", b"\r"),
        "nul": shipped[:200] + b"\x00" + shipped[200:],
        "escape sequence": shipped[:300] + b"\x1b[2J" + shipped[300:],
        "invalid utf-8": shipped[:500] + b"\xff\xfe\xc3" + shipped[500:],
        "python tag": b"industry: !!python/object/apply:os.system ['echo pwned']\nlabel: x\n",
        "python name tag": b"schema_version: 1\nindustry: !!python/name:os.system\n",
        "billion laughs": _bomb(),
        "deep lists": b"industry: deep\nlabel: Deep\nobjects: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "deep maps": b"industry: deep\nlabel: Deep\nobjects: "
        + b"{a: " * 3000
        + b"1"
        + b"}" * 3000,
        "deep block": b"".join(b"  " * i + b"k%d:\n" % i for i in range(2000)),
        "duplicate key": b"schema_version: 1\nindustry: x\nlabel: X\nindustry: y\n",
        "tab indent": b"industry: x\nlabel: X\nobjects:\n\tAccount: {}\n",
        "huge count": b"industry: x\nlabel: X\nobjects:\n  Account:\n    count: "
        + b"9" * 5000
        + b"\n    fields: {Name: {type: text}}\n",
        "huge range": b"industry: x\nlabel: X\nobjects:\n  Account:\n    count: 10\n    fields:\n"
        b"      Amount: {type: currency, between: [0, 1.0e+400]}\n",
        "nan weight": b"industry: x\nlabel: X\nobjects:\n  Account:\n    count: 10\n    fields:\n"
        b"      Rating: {values: {Hot: .nan, Cold: 1}}\n",
        "list in values": b"industry: x\nlabel: X\nobjects:\n  Account:\n    count: 10\n    fields:\n"
        b"      Rating: {values: [[a, b], c]}\n",
        "list key": b"? [a, b]\n: 1\n",
        "merge key": b"base: &b {industry: x}\n<<: *b\nlabel: X\n",
        "lone surrogate": b'industry: "\\ud800"\nlabel: X\n',
        "huge alias key": b"a: &a " + b"x" * 2000 + b"\n*a : 1\n",
        "document stream": b"industry: x\n---\nindustry: y\n",
    }


#: Hostile texts that are still the shipped template: line endings and a BOM change nothing.
STILL_VALID = {"bom", "crlf", "cr only"}


@st.composite
def mutated_text(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped template's raw bytes cut, spliced or sprinkled with hostile bytes."""
    name = draw(st.sampled_from(SHIPPED))
    text = TEMPLATE_TEXTS[name]
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["truncate", "insert", "delete", "duplicate line", "splice"]))
        if action == "truncate":
            text = text[:at]
        elif action == "insert":
            noise = draw(
                st.one_of(
                    st.sampled_from(
                        [
                            b"\t",
                            b"\x00",
                            b"\xef\xbb\xbf",
                            b"\xff",
                            b"\xc3",
                            b":",
                            b"- ",
                            b"\n  ",
                            b"&a ",
                            b"*a",
                            b"!!python/object:os.system ",
                            b"{",
                            b"[",
                            b"'",
                            b'"',
                            b"\r",
                            b"\x1b[2J",
                            b"%YAML 1.1\n",
                            b"? ",
                            b"<<: ",
                            b"!!binary ",
                            b"\xe2\x80\xae",
                        ]
                    ),
                    st.binary(max_size=8),
                    st.text(max_size=8).map(lambda s: s.encode("utf-8", "surrogatepass")),
                )
            )
            text = text[:at] + noise + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif action == "duplicate line":  # a key given twice
            start = text.rfind(b"\n", 0, at) + 1
            end = text.find(b"\n", at)
            end = len(text) if end < 0 else end + 1
            text = text[:end] + text[start:end] + text[end:]
        else:  # a piece of the file pasted somewhere else
            other = draw(st.integers(0, len(text)))
            text = text[:at] + text[other : other + draw(st.integers(1, 200))] + text[at:]
    return name, text


@pytest.fixture(scope="module")
def content_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private ``industries`` folder with the shipped templates and stories."""
    root = tmp_path_factory.mktemp("fuzz-industries")
    for name in SHIPPED:
        shutil.copytree(INDUSTRIES / name, root / name)
    return root


def load_mutant(root: Path, name: str, data: bytes) -> str:
    """Writes ``data`` as ``name``'s template (the others intact) and loads it like validate."""
    target = root / name / "template.yaml"
    original = (INDUSTRIES / name / "template.yaml").read_bytes()
    target.write_bytes(data)
    try:
        if name == "_core":  # a broken base shows through every industry that extends it
            return assert_model_or_located_error(
                lambda: load_template(root / "medical"), m.TemplateDef
            )
        return assert_model_or_located_error(lambda: load_template(root / name), m.TemplateDef)
    finally:
        target.write_bytes(original)


def test_shipped_templates_load_from_the_fuzz_folder(content_root: Path) -> None:
    # The seeds themselves are valid, so every failure below comes from a mutation.
    for name in SHIPPED:
        assert load_mutant(content_root, name, TEMPLATE_TEXTS[name]) == "ok"


@settings(FUZZ, max_examples=150)  # a shipped template takes a tenth of a second to load
@given(mutant=mutated_tree())
@example(
    mutant=(
        "medical",
        dump({**TEMPLATE_TREES["medical"], "objects": {"Account": {"count": 10**100}}}),
    )
)
@example(mutant=("_core", dump({**TEMPLATE_TREES["_core"], "schema_version": math.nan})))
def test_mutated_template_trees_load_or_fail_at_a_line(
    content_root: Path, mutant: tuple[str, bytes], tally: Callable[[str, int], None]
) -> None:
    tally("template trees mutated and loaded", 1)
    load_mutant(content_root, *mutant)


@settings(FUZZ, max_examples=200)  # most mutants fail in the parser, before validation
@given(mutant=mutated_text())
def test_mutated_template_texts_load_or_fail_at_a_line(
    content_root: Path, mutant: tuple[str, bytes], tally: Callable[[str, int], None]
) -> None:
    tally("template texts mutated and loaded", 1)
    load_mutant(content_root, *mutant)


@pytest.mark.parametrize("kind", sorted(hostile_texts("medical")))
@pytest.mark.parametrize("name", ["medical", "_core"])
def test_hostile_template_texts_fail_at_a_line(
    content_root: Path, name: str, kind: str, tally: Callable[[str, int], None]
) -> None:
    tally("template texts mutated and loaded", 1)
    outcome = load_mutant(content_root, name, hostile_texts(name)[kind])
    if kind in STILL_VALID:
        assert outcome == "ok", outcome
    else:
        assert outcome != "ok", f"{kind} was accepted"


@pytest.mark.parametrize(
    ("kind", "line", "needle"),
    [
        ("nul", 3, "character U+0000 is not allowed"),
        ("escape sequence", 4, "character U+001B is not allowed"),
        ("invalid utf-8", 8, "not UTF-8 text at byte 500"),
        ("huge count", 5, "number of 5,000 characters is too long"),
        ("list in values", 7, "item 1 of 'values' is a list"),
        ("deep lists", 3, "nesting deeper than"),
        ("billion laughs", 12, "is a list"),
    ],
)
def test_hostile_template_errors_name_the_line(
    content_root: Path, kind: str, line: int, needle: str
) -> None:
    outcome = load_mutant(content_root, "medical", hostile_texts("medical")[kind])
    assert f"template.yaml:{line}: " in outcome, outcome
    assert needle in outcome, outcome


def test_python_tags_never_run(content_root: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = f"industry: !!python/object/apply:os.system ['touch {marker}']\nlabel: X\n"
    outcome = load_mutant(content_root, "medical", payload.encode())
    assert "could not determine a constructor" in outcome or "tag" in outcome, outcome
    assert not marker.exists()


# --- stories -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_templates() -> dict[str, m.TemplateDef]:
    return {name: load_template(INDUSTRIES / name) for name in SHIPPED if name != "_core"}


STORY_TREES = {p: _plain_tree(p) for p in STORY_FILES}
STORY_PATHS = {p: node_paths(tree) for p, tree in STORY_TREES.items()}
STORY_NAMES = sorted(
    {"acme", "maria", "care-team", "new.call", "Case", "Status", "tile:no-shows", "field:Nmae"}
    | set(NAMES_IN_USE)
)


@st.composite
def mutated_story(draw: st.DrawFn) -> tuple[Path, bytes]:
    """A shipped story with its tree or its text broken."""
    path = draw(st.sampled_from(STORY_FILES))
    if draw(st.booleans()):
        tree = deep_copy(STORY_TREES[path])
        for _ in range(draw(st.integers(1, 3))):
            node = draw(st.sampled_from(STORY_PATHS[path]))
            parent = tree
            try:
                for key in node[:-1]:
                    parent = parent[key]
                parent[node[-1]]
            except (KeyError, IndexError, TypeError):
                continue
            action = draw(st.sampled_from(["delete", "replace", "rename"]))
            if action == "delete":
                del parent[node[-1]]
            elif action == "replace":
                parent[node[-1]] = draw(st.one_of(hostile_values, st.sampled_from(STORY_NAMES)))
            elif isinstance(parent, dict):
                parent[draw(st.sampled_from(STORY_NAMES))] = parent.pop(node[-1])
            else:
                parent[node[-1]] = draw(st.sampled_from(STORY_NAMES)) + "Nope"
        return path, dump(tree)
    text = path.read_bytes()
    at = draw(st.integers(0, len(text)))
    noise = draw(
        st.one_of(
            st.binary(max_size=6), st.sampled_from([b"\t", b"\x00", b"\xff", b"*x", b"{", b"- "])
        )
    )
    if draw(st.booleans()):
        return path, text[:at]
    return path, text[:at] + noise + text[at:]


@settings(FUZZ, max_examples=400)  # a story loads in a hundredth of a second
@given(mutant=mutated_story())
@example(mutant=(STORY_FILES[0], b"scenes: " + b"[" * 4000 + b"]" * 4000))
@example(mutant=(STORY_FILES[0], b""))
def test_mutated_stories_load_or_fail_at_a_line(
    shipped_templates: dict[str, m.TemplateDef],
    tmp_path_factory: pytest.TempPathFactory,
    mutant: tuple[Path, bytes],
    tally: Callable[[str, int], None],
) -> None:
    tally("stories mutated and loaded", 1)
    source, data = mutant
    tpl = shipped_templates[source.parent.parent.name]
    story = tmp_path_factory.getbasetemp() / "fuzz-stories" / source.name
    story.parent.mkdir(exist_ok=True)
    story.write_bytes(data)
    assert_model_or_located_error(lambda: load_story(story, tpl), type(load_story(source, tpl)))


# --- release names -------------------------------------------------------------------------------

near_misses = st.one_of(
    st.builds(
        "{}{}{}{}".format,
        st.sampled_from(
            ["Summer", "Sumer", "Winter", "winter", "SPRING", "Spring", "Autumn", "Fall", ""]
        ),
        st.sampled_from([" ", "", "  ", "\t", " '", "'", "’", "`", " ‘"]),
        st.sampled_from(
            ["27", "2027", "٢٧", "２７", "27.", "-27", "270", "2", "99999999999", "0", "00"]
        ),
        st.sampled_from(["", " ", "'", " release", "\n"]),
    ),
    st.builds("{}.{}".format, st.integers(-(10**6), 10**6), st.sampled_from(["0", "00", "5", ""])),
    st.builds("v{}".format, st.integers(-1000, 10**30)),
    st.builds(
        "{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)
    ),
    st.text(max_size=20),
    st.text(alphabet="0123456789.-'vV ٢٧３", max_size=12),
)


@settings(FUZZ, max_examples=3000)
@given(text=near_misses)
@example(text="Sumer '27")
@example(text="Winter 27")
@example(text="'27 Spring")
@example(text="Summer ٢٧")  # was read as Summer '27
@example(text="٦٢.0")  # was read as API 62.0
@example(text="-62.0")
@example(text="999.0")
@example(text="Summer '99999")
@example(text="0001-01-01")
@example(text="9999-12-31")
@example(text="2027-02-30")
def test_release_text_gives_a_release_or_one_clear_error(
    text: str, tally: Callable[[str, int], None]
) -> None:
    tally("release texts parsed", 1)
    try:
        release, _ = resolve_release(text)
    except UsageError as exc:
        message = str(exc)
        assert "\n" not in message and message.strip() == message, repr(message)
        assert message.startswith(
            (f"unknown release {text!r} (expected", f"invalid date {text!r}: ")
        )
        return
    assert isinstance(release, Release)
    assert 2000 <= release.year <= 2099
    # What was accepted is written in ASCII digits: a reader sees the same release demoorg does.
    assert text.isascii() or not any(ch.isdigit() and not ch.isascii() for ch in text), text
    assert parse_release(release.name) == release


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Summer '27", "Summer '27"),
        ("winter 2028", "Winter '28"),
        ("62.0", "Winter '25"),
        ("v70", "Summer '27"),
        ("2027-03-01", "Spring '27"),
    ],
)
def test_release_spellings_people_use_still_work(text: str, name: str) -> None:
    assert parse_release(text).name == name
