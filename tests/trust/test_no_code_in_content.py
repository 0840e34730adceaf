"""Content can run no code: templates, stories and packs are data, however they are written.

Templates and stories travel between SEs as files and packs, so a file from someone else must not
be able to do anything but describe an org. Three guarantees, each tested through the public
loaders, builders and commands:

- YAML is loaded safely: Python tags (``!!python/object/apply:os.system``, ``!!python/name:``,
  ``!!python/object/new:``…) are refused with a ``path:line:`` error, and their side effect never
  happens — in a template, a story, or a pack being installed.
- No code path can run or unpickle anything: a scan of ``demoorg/`` (Python's own parser, so
  comments and strings do not count) finds no ``eval``, ``exec``, ``compile``, ``__import__``,
  pickle or marshal, unsafe YAML loader, or shell.
- Templating only fills named placeholders: format tricks (``{__class__.__mro__}``,
  ``{0.__globals__}``, ``{x!r:>{y}}``, ``{n:>999999999}``…) in a template, an auto-number or a
  story title are refused at their line or come out as the very text written; nothing is looked
  up, converted or padded. A prospect's name with braces is printed as it is.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sqlite3
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
import yaml

from demoorg.cli import main
from demoorg.content import yamlload
from demoorg.content.releases import parse_release
from demoorg.content.stories import load_story_text
from demoorg.content.template import load_template
from demoorg.errors import ContentError
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams, Prospect

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "demoorg"
AS_OF = date(2026, 11, 23)

#: A small valid template: users, accounts, contacts. ``{DESCRIPTION}`` is where tests put the
#: source of Account.Description (line 16), ``{LABEL}`` the template's label (line 2).
TEMPLATE = """\
industry: t
label: {LABEL}
objects:
  User:
    count: 3
    fields:
      Name: {{type: text, faker: name}}
  Account:
    count: 12
    fields:
      Name: {{type: text, faker: company}}
      Industry: {{values: {{Healthcare: 1, Retail: 1}}}}
      NumberOfEmployees: {{type: number, between: [5, 9]}}
      OwnerId: {{type: lookup, to: User}}
      AccountNumber: {{type: text, sequence: "A-{{n:04}}"}}
      Description: {DESCRIPTION}
  Contact:
    parent: {{field: AccountId, object: Account, per_parent: 2}}
    fields:
      AccountId: {{type: lookup, reference_to: [Account]}}
      LastName: {{type: text, faker: last_name}}
    name_field: LastName
"""
LABEL_LINE, DESCRIPTION_LINE = 2, 16


def template_text(label: str = "T", description: str = "{type: text, const: plain}") -> str:
    return TEMPLATE.format(LABEL=label, DESCRIPTION=description)


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """``write(text)``: ``<tmp>/t/template.yaml``; the cwd is tmp, so errors say ``t/template.yaml``."""
    monkeypatch.chdir(tmp_path)

    def _write(text: str) -> Path:
        folder = tmp_path / "t"
        folder.mkdir(exist_ok=True)
        (folder / "template.yaml").write_text(text, encoding="utf-8")
        return folder

    return _write


def build(folder: Path, out: Path, prospect: str = "Acme") -> Path:
    tpl = load_template(folder)
    params = BuildParams(
        industry=tpl.industry,
        seed=5,
        size=60,
        size_name="60",
        locale="en_US",
        as_of=AS_OF,
        release=parse_release("Winter '27"),
        prospect=Prospect(prospect),
    )
    build_org(tpl, params, out)
    return out


def rows(org: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{org}?mode=ro", uri=True)) as con:
        return con.execute(sql).fetchall()


SHIPPED_STORY = REPO / "industries" / "medical" / "stories" / "cfo-care-gaps.yaml"
FIRST_TITLE = "  - title: Monday morning at {prospect}\n"


def story_with(old: str, new: str) -> tuple[str, int]:
    """A shipped medical story with one line replaced, and that line's number."""
    shipped = SHIPPED_STORY.read_text("utf-8")
    assert old in shipped
    return shipped.replace(old, new, 1), shipped[: shipped.index(old)].count("\n") + 1


# --- YAML tags ---------------------------------------------------------------------------------------


def evil_tags(witness: Path) -> list[str]:
    """YAML that an unsafe loader would turn into a call (each would create ``witness``)."""
    touch = f"[touch, {witness}]"
    return [
        f'!!python/object/apply:os.system ["touch {witness}"]',
        f"!!python/object/apply:subprocess.check_call [{touch}]",
        f'!!python/object/new:os.system ["touch {witness}"]',
        f"!!python/object/new:subprocess.Popen [{touch}]",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/object:builtins.object {}",
        f'!<tag:yaml.org,2002:python/object/apply:os.system> ["touch {witness}"]',
    ]


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Path]:
    """A file that only a successful attack would create; checked after each test."""
    path = tmp_path / "PWNED"
    yield path
    assert not path.exists(), "content ran a command"


def test_python_tags_in_a_template_are_refused_at_their_line(write, witness, tally) -> None:  # type: ignore[no-untyped-def]
    for tag in evil_tags(witness):
        for text, line in (
            (template_text(label=tag), LABEL_LINE),
            (template_text(description=tag), DESCRIPTION_LINE),
        ):
            folder = write(text)
            with pytest.raises(ContentError) as err:
                load_template(folder)
            message = str(err.value)
            assert message.startswith(f"t/template.yaml:{line}: "), message
            assert "python/" in message and len(message.splitlines()) == 1, message
            tally("code-running YAML refused", 1)


def test_python_tags_in_a_story_are_refused_at_their_line(witness, tally) -> None:  # type: ignore[no-untyped-def]
    medical = load_template("medical")
    for tag in evil_tags(witness):
        for old, new in (
            (FIRST_TITLE, f"  - title: {tag}\n"),
            ("persona: CFO\n", f"persona: {tag}\n"),
        ):
            text, line = story_with(old, new)
            with pytest.raises(ContentError) as err:
                load_story_text(text, medical, "stories/evil.yaml")
            assert str(err.value).startswith(f"stories/evil.yaml:{line}: "), str(err.value)
            tally("code-running YAML refused", 1)


def test_a_pack_carrying_python_tags_is_refused_and_installs_nothing(  # type: ignore[no-untyped-def]
    tmp_path: Path, witness: Path, capsys: pytest.CaptureFixture[str], demoorg_home: Path, tally
) -> None:
    for i, tag in enumerate(evil_tags(witness)):
        data = template_text(description=tag).encode()
        pack = tmp_path / f"evil-{i}.demopack"
        manifest = {
            "pack_format": 1,
            "industry": "t",
            "label": "T",
            "template": "t",
            "bases": [],
            "demoorg_version": "0.1.0",
            "files": [
                {
                    "path": "t/template.yaml",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            ],
        }
        with zipfile.ZipFile(pack, "w") as zf:
            zf.writestr("manifest.json", json.dumps(manifest))
            zf.writestr("t/template.yaml", data)
        assert main(["install", str(pack)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1, err
        assert f"template.yaml:{DESCRIPTION_LINE}: " in err and "python/" in err, err
        installed = demoorg_home / "industries"
        assert not installed.exists() or not any(installed.iterdir())
        tally("code-running YAML refused", 1)


def test_the_content_loader_knows_no_python_tag() -> None:
    """The loader every content file goes through is built on PyYAML's safe constructor."""
    loader = yamlload._Loader
    assert issubclass(loader, yaml.constructor.SafeConstructor)
    assert not issubclass(loader, yaml.constructor.FullConstructor)
    tags = [*loader.yaml_constructors, *loader.yaml_multi_constructors]
    assert not [t for t in tags if t and "python" in t]


# --- no eval, exec, pickle or unsafe YAML anywhere in demoorg/ -----------------------------------------

#: Builtins that run or compile text as code.
CODE_BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint", "execfile"}
#: Modules that turn bytes into live objects or code, or run programs.
CODE_MODULES = {
    "pickle",
    "cPickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "jsonpickle",
    "marshal",
    "shelve",
    "runpy",
    "code",
    "codeop",
    "subprocess",
}
#: PyYAML's loaders and functions that can build Python objects (the safe ones are not listed).
UNSAFE_YAML = {
    "load",
    "load_all",
    "full_load",
    "full_load_all",
    "unsafe_load",
    "unsafe_load_all",
    "Loader",
    "FullLoader",
    "UnsafeLoader",
    "CLoader",
    "CFullLoader",
    "CUnsafeLoader",
}
#: ``os`` functions that run a program.
OS_RUN = {"system", "popen", "execv", "execve", "execvp", "execl", "spawnv", "spawnl", "startfile"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _is_person_provider_import(node: ast.Call) -> bool:
    """``importlib.import_module(f"faker.providers.person.{locale}")``: Faker's name lists for a
    locale. Justified: the fixed package prefix keeps any locale inside Faker's person providers,
    which are data modules (the worst a bad locale does is fail the import, which is caught)."""
    if _dotted(node.func) != "importlib.import_module" or len(node.args) != 1:
        return False
    arg = node.args[0]
    return (
        isinstance(arg, ast.JoinedStr)
        and isinstance(arg.values[0], ast.Constant)
        and arg.values[0].value == "faker.providers.person."
    )


def code_running_calls(source: str, name: str = "<source>") -> list[str]:
    """Every place in Python ``source`` that could run text as code, unpickle, or shell out."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            func = _dotted(node.func)
            runs_code = (
                func in CODE_BUILTINS
                or func in {f"builtins.{name}" for name in CODE_BUILTINS}
                or (func.startswith("importlib.") and not _is_person_provider_import(node))
                or (func.startswith("os.") and func.split(".")[-1] in OS_RUN)
            )
            if runs_code:
                found.append(f"{where}: {func}()")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "yaml" and node.attr in UNSAFE_YAML:
                found.append(f"{where}: yaml.{node.attr}")
            if node.value.id in CODE_MODULES:
                found.append(f"{where}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in CODE_MODULES:
                    found.append(f"{where}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in CODE_MODULES:
                found.append(f"{where}: from {module} import …")
            if module == "yaml" and any(a.name in UNSAFE_YAML for a in node.names):
                found.append(f"{where}: from yaml import {', '.join(a.name for a in node.names)}")
            if module == "builtins" and any(a.name in CODE_BUILTINS for a in node.names):
                found.append(f"{where}: from builtins import …")
            if module == "importlib" and any(a.name == "import_module" for a in node.names):
                found.append(f"{where}: from importlib import import_module")
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scanner itself, on a file full of what it must find (and what it must not)."""
    bad = textwrap.dedent(
        """
        import pickle, subprocess
        from marshal import loads
        from yaml import Loader
        import yaml, os, importlib, builtins
        eval("1")
        exec("x = 1")
        compile("1", "f", "eval")
        __import__("os")
        builtins.eval("1")
        yaml.load(text, Loader=yaml.Loader)
        yaml.unsafe_load(text)
        os.system("ls")
        importlib.import_module(name)
        """
    )
    found = code_running_calls(bad)
    for needle in (
        "import pickle",
        "import subprocess",
        "from marshal",
        "from yaml import Loader",
        "eval()",
        "exec()",
        "compile()",
        "__import__()",
        "builtins.eval()",
        "yaml.load",
        "yaml.Loader",
        "yaml.unsafe_load",
        "os.system()",
        "importlib.import_module()",
    ):
        assert any(needle in f for f in found), (needle, found)
    fine = textwrap.dedent(
        """
        import re, yaml, importlib
        re.compile("x")  # a regex, not code
        yaml.safe_load(text)
        app.exec()  # Qt's event loop
        s = "eval(x)"  # text, not a call
        provider = importlib.import_module(f"faker.providers.person.{locale}")
        """
    )
    assert code_running_calls(fine) == []


def test_no_code_in_demoorg_can_run_content() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 40  # the whole package, not an empty folder
    found = []
    for path in files:
        found += code_running_calls(path.read_text("utf-8"), str(path.relative_to(REPO)))
    assert found == []


# --- templating fills named placeholders only ----------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{__class__.__mro__}",
        "{0.__globals__}",
        "{hero.__init__}",
        "{}",
        "{0}",
        "{Name.__class__}",
        "{Name[0]}",
        "{Name!r}",
        "{Name:>999999999}",
    ],
)
def test_template_placeholders_that_are_not_fields_are_refused(write, template: str) -> None:  # type: ignore[no-untyped-def]
    folder = write(template_text(description=f'{{type: text, template: "{template}"}}'))
    with pytest.raises(ContentError) as err:
        load_template(folder)
    message = str(err.value)
    assert message.startswith(f"t/template.yaml:{DESCRIPTION_LINE}: placeholder "), message
    assert "is not a field" in message


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # Braces around a real placeholder: the field is filled, the rest is text as written.
        ("{Name!r:>{Name}}", "{{Name!r:>{name}}}"),
        ("{0.__class__.__mro__:{Industry}}", "{{0.__class__.__mro__:{industry}}}"),
        ("{Name}{", "{name}{{"),
        ("} {Name} {", "}} {name} {{"),
        ("{{Name}} of {NumberOfEmployees}", "{{{name}}} of {employees}"),
        ("Deal {Name:{Industry}}", "Deal {{Name:{industry}}}"),
        ("{prospect}: {Name}", "{prospect}: {name}"),
    ],
)
def test_template_text_around_placeholders_is_printed_as_written(  # type: ignore[no-untyped-def]
    write, tmp_path: Path, template: str, expected: str, tally
) -> None:
    folder = write(template_text(description=f'{{type: text, template: "{template}"}}'))
    org = build(folder, tmp_path / "t.demoorg", prospect="Acme {EU} {0.__class__}")
    got = rows(org, "SELECT Name, Industry, NumberOfEmployees, Description FROM Account")
    assert got  # every account checked
    for name, industry, employees, description in got:
        assert description == expected.format(
            name=name,
            industry=industry,
            employees=employees,
            prospect="Acme {EU} {0.__class__}",
        )
    tally("template strings rendered literally", len(got))


@pytest.mark.parametrize("prospect", ["Acme {EU}", "{0.__class__}", "{Name}", "}{", "{prospect}"])
def test_a_prospect_name_with_braces_is_printed_as_it_is(  # type: ignore[no-untyped-def]
    write, tmp_path: Path, prospect: str
) -> None:
    folder = write(template_text(description='{type: text, template: "{prospect} / {Industry}"}'))
    org = build(folder, tmp_path / "t.demoorg", prospect=prospect)
    for industry, description in rows(org, "SELECT Industry, Description FROM Account"):
        assert description == f"{prospect} / {industry}"


@pytest.mark.parametrize(
    "sequence",
    [
        "{n.__class__.__mro__}",
        "{n.real}",
        "{n!r}",
        "{n[0]}",
        "{n:>999999999}",
        "{n:,}",
        "{n:{n}}",
        "{m}",
        "{}",
        "{0}",
        "CS-{n",
        "CS-n}",
    ],
)
def test_auto_numbers_take_only_n_and_a_width(write, sequence: str) -> None:  # type: ignore[no-untyped-def]
    folder = write(template_text(description=f'{{type: text, sequence: "{sequence}"}}'))
    with pytest.raises(ContentError) as err:
        load_template(folder)
    message = str(err.value)
    assert message.startswith(f"t/template.yaml:{DESCRIPTION_LINE}: sequence "), message
    assert "expected text with {n}" in message


def test_auto_numbers_with_n_and_a_width_still_work(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write(template_text(description='{type: text, sequence: "{{CS}}-{n:06}/{n}"}'))
    org = build(folder, tmp_path / "t.demoorg")
    got = sorted(r[0] for r in rows(org, "SELECT Description FROM Account"))
    assert got[:2] == ["{CS}-000001/1", "{CS}-000002/2"]
    assert sorted(r[0] for r in rows(org, "SELECT AccountNumber FROM Account"))[0] == "A-0001"


@pytest.fixture(scope="module")
def medical_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small medical org for the runner (built for Northwind Health)."""
    org = tmp_path_factory.mktemp("no-code") / "medical.demoorg"
    params = BuildParams(
        industry="medical",
        seed=3,
        size=300,
        size_name="300",
        locale="en_US",
        as_of=AS_OF,
        release=parse_release("Winter '27"),
        prospect=Prospect("Northwind Health"),
    )
    build_org(load_template("medical"), params, org)
    return org


STORY_EVIL_TITLES = [
    "{hero.__init__}",
    "{__class__.__mro__}",
    "{0.__globals__}",
    "{}",
    "{hero.maria.__class__}",
    "{hero.maria!r}",
    "{prospect.__class__}",
    "{prospect!r}",
    "{prospect:>999999999}",
]


@pytest.mark.parametrize("title", STORY_EVIL_TITLES)
def test_story_placeholders_other_than_prospect_and_heroes_are_refused(title: str) -> None:
    medical = load_template("medical")
    text, line = story_with(FIRST_TITLE, f'  - title: "Hi {title}"\n')
    with pytest.raises(ContentError) as err:
        load_story_text(text, medical, "stories/evil.yaml")
    message = str(err.value)
    assert message.startswith(f"stories/evil.yaml:{line}: "), message
    assert "placeholder" in message or "names hero" in message, message


def test_story_braces_that_make_no_placeholder_are_text(tmp_path: Path) -> None:
    """``}}`` is a literal brace (story format §10), so ``{x!r:>{y}}`` holds no placeholder: it
    loads, and is shown as text (see the runner test below)."""
    medical = load_template("medical")
    text, _line = story_with(FIRST_TITLE, '  - title: "Hi {x!r:>{y}}"\n')
    story = load_story_text(text, medical, "stories/braces.yaml")
    assert story.scenes[0].title == "Hi {x!r:>{y}}"


def test_the_runner_fills_only_prospect_and_hero_names(medical_org: Path) -> None:
    """Story text reaches the console through the runner's ``fill``: a hero that is not one, or
    any other brace, stays as written."""
    from demoorg.content.stories import load_story
    from demoorg.present import StoryRunner, open_session

    medical = load_template("medical")
    story = load_story(SHIPPED_STORY, medical)
    session = open_session(medical_org, today=AS_OF)
    try:
        runner = StoryRunner(session, story, lambda: 0.0)
        maria = runner.fill("{hero.maria}")
        assert maria and "{" not in maria
        assert runner.fill("{prospect} meets {hero.maria}") == f"Northwind Health meets {maria}"
        # Nothing but {prospect} and {hero.<key>} is filled; "{{" and "}}" are literal braces.
        for text in STORY_EVIL_TITLES:
            assert runner.fill(text) == text, text
        assert runner.fill("Hi {x!r:>{y}}") == "Hi {x!r:>{y}"
    finally:
        session.close()


def test_the_runner_keeps_escaped_braces_literal(medical_org: Path) -> None:
    from demoorg.present import StoryRunner, open_session

    medical = load_template("medical")
    text, _line = story_with(FIRST_TITLE, '  - title: "Type {{hero.maria}}"\n')
    story = load_story_text(text, medical, "stories/escaped.yaml")
    session = open_session(medical_org, today=AS_OF)
    try:
        runner = StoryRunner(session, story, lambda: 0.0)
        assert runner.fill(story.scenes[0].title) == "Type {hero.maria}"
        # A prospect's name is a value, never read as placeholders itself.
        runner.live.prospect = "{hero.maria} & {{Co}}"
        assert runner.fill("For {prospect}") == "For {hero.maria} & {{Co}}"
    finally:
        session.close()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("CS-{n:06}", "CS-000042"),
        ("{n}", "42"),
        ("{n.__class__.__mro__}", "{n.__class__.__mro__}"),
        ("{n:>999999999}", "{n:>999999999}"),
        ("{0}{n!r}", "{0}{n!r}"),
        ("{{n}} {n:8}", "{n}       42"),
    ],
)
def test_an_org_files_auto_number_is_never_a_python_format(fmt: str, expected: str) -> None:
    """A live action numbers a new case from the org's metadata, which a crafted org file can
    set to anything: only {n} and its widths are read; the rest stays as written."""
    from demoorg.content.template import auto_number

    assert auto_number(fmt, 42) == expected
