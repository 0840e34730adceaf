"""The command line, run in-process: one line and exit code 2 for every user mistake."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from demoorg.cli import main
from demoorg.org.orgfile import open_org

CORE = Path(__file__).resolve().parents[1] / "industries" / "_core"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Runs ``demoorg argv``; returns (exit code, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits by itself
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def seed_args(out: Path, *extra: str) -> list[str]:
    """``seed`` of the shared base at a small size; later options override earlier ones."""
    return [
        "seed",
        "--industry",
        str(CORE),
        "--size",
        "300",
        "--as-of",
        "2026-11-23",
        "--out",
        str(out),
        *extra,
    ]


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert err.endswith("\n")
    assert lines[0].startswith("demoorg: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--industry", "nope"], ["unknown industry 'nope'", "expected one of"]),
        (["--locale", "xx_YY"], ["unknown locale 'xx_YY'", "expected a Faker locale"]),
        (["--release", "Autumn '27"], ['unknown release "Autumn \'27"', "expected"]),
        (["--release", "2027-02-30"], ["invalid date '2027-02-30'"]),
        (["--as-of", "2026-13-45"], ["invalid date '2026-13-45'", "expected YYYY-MM-DD"]),
        (["--as-of", "yesterday"], ["invalid date 'yesterday'", "expected YYYY-MM-DD"]),
        (["--size", "-5"], ["size -5 is out of range", "expected 50 to 20,000,000 records"]),
        (["--size=-1000"], ["size -1000 is out of range"]),
        (["--size", "0"], ["size 0 is out of range"]),
        (["--size", "lots"], ["unknown size 'lots'", "expected small, standard, enterprise"]),
        (["--seed", "abc"], ["invalid seed 'abc'", "expected a whole number"]),
        (["--seed", "1.5"], ["invalid seed '1.5'"]),
        (["--color", "red"], ["invalid colour 'red'", "expected #RRGGBB"]),
        (["--prospect", "  "], ["empty prospect name"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0].startswith("--") else None,
)
def test_bad_seed_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], needles: list[str]
) -> None:
    out = tmp_path / "org.demoorg"
    code, stdout, stderr = run(seed_args(out, *extra), capsys)
    assert_one_line_error(code, stdout, stderr, *needles)
    assert list(tmp_path.iterdir()) == []


def test_output_in_a_read_only_folder(
    readonly_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(seed_args(readonly_dir / "org.demoorg"), capsys)
    assert_one_line_error(code, out, err, f"folder {readonly_dir} is read-only")
    assert list(readonly_dir.iterdir()) == []


def test_output_in_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(seed_args(tmp_path / "nope" / "org.demoorg"), capsys)
    assert_one_line_error(code, out, err, "does not exist")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("force", [False, True])
def test_output_that_is_an_existing_non_org_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], force: bool
) -> None:
    target = tmp_path / "thesis.docx"
    target.write_bytes(b"five years of work\n")
    extra = ["--force"] if force else []
    code, out, err = run(seed_args(target, *extra), capsys)
    assert_one_line_error(code, out, err, "exists and is not a demoorg org")
    assert target.read_bytes() == b"five years of work\n"
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.docx"]


def test_output_that_is_an_existing_org_needs_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "org.demoorg"
    assert run(seed_args(target), capsys)[0] == 0
    before = target.read_bytes()
    code, out, err = run(seed_args(target, "--seed", "2"), capsys)
    assert_one_line_error(code, out, err, "already exists", "--force")
    assert target.read_bytes() == before
    code, out, err = run(seed_args(target, "--seed", "2", "--force"), capsys)
    assert code == 0, err
    assert target.read_bytes() != before


@pytest.mark.parametrize(
    "argv",
    [
        ["seed", "--bogus"],
        ["--bogus"],
        ["info"],
        ["frobnicate"],
        ["releases", "--on"],
    ],
    ids=" ".join,
)
def test_argparse_errors_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert_one_line_error(code, out, err, "(see demoorg --help)")


def test_unknown_option_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["seed", "--bogus"], capsys)
    assert_one_line_error(code, out, err, "unrecognized arguments: --bogus")


def test_releases_on_a_day(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["releases", "--on", "2027-03-01"], capsys)
    assert code == 0, err
    assert err == ""
    first = out.splitlines()[0]
    assert first.startswith("On 2027-03-01 production runs Spring '27 (API 69.0")
    assert re.search(r"^Spring '27\s+69\.0\s.*\bcurrent$", out, re.MULTILINE), out


def test_releases_with_a_bad_day(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["releases", "--on", "2027-02-30"], capsys)
    assert_one_line_error(code, out, err, "invalid date '2027-02-30'")


def test_seed_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org_path = tmp_path / "acme.demoorg"
    code, out, err = run(seed_args(org_path), capsys)
    assert code == 0, err
    assert err == ""
    assert out.startswith(f"Built {org_path}: ")
    assert "(Shared CRM, Winter '27, en_US, seed 1)." in out
    assert org_path.is_file()

    code, out, err = run(["info", str(org_path)], capsys)
    assert code == 0, err
    assert err == ""
    assert "Template   Shared CRM (core)" in out
    assert "Release    Winter '27 (API 68.0)" in out
    assert "Built as of 2026-11-23 · locale en_US · size 300 · seed 1" in out
    with open_org(org_path) as org:
        counts = org.counts()
        objects = org.objects()
    assert f"Records    {sum(counts.values()):,}" in out
    assert len(objects) >= 10
    for o in objects:
        pattern = rf"^  {re.escape(o['plural'])}\s+{counts[o['name']]:,}\s+{o['name']}$"
        assert re.search(pattern, out, re.MULTILINE), (o["name"], out)


def test_info_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org_path = tmp_path / "acme.demoorg"
    assert run(seed_args(org_path, "--quiet"), capsys)[1] == f"{org_path}\n"
    code, out, err = run(["info", "--json", str(org_path)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["build"]["industry"] == "core"
    assert data["counts"]["Account"] > 0
    assert data["prospect"]["name"] == "Acme"


@pytest.mark.parametrize("content", [b"", b"not an org at all\n"])
def test_info_on_something_that_is_not_an_org(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "x.demoorg"
    path.write_bytes(content)
    code, out, err = run(["info", str(path)], capsys)
    assert_one_line_error(code, out, err, "is not an org file")


def test_info_on_a_missing_org(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["info", str(tmp_path / "missing.demoorg")], capsys)
    assert_one_line_error(code, out, err, "does not exist")


BROKEN = """\
industry: t
label: T
objects:
  Account:
    count: 10
    fields:
      Name: {type: text, faker: company}
      Phone: {type: phne, faker: phone_number}
"""


def test_validate_a_broken_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "template.yaml").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["validate", "t"], capsys)
    assert code != 0
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("t/template.yaml:8: type 'phne' is unknown"), err
    assert re.match(r"^[^:]+:\d+: ", lines[0])
    assert lines[-1] == "1 of 1 templates have errors"


def test_seed_of_a_broken_template_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "template.yaml").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = seed_args(tmp_path / "org.demoorg")
    argv[argv.index("--industry") + 1] = "t"
    code, out, err = run(argv, capsys)
    assert_one_line_error(code, out, err, "t/template.yaml:8: type 'phne' is unknown")
    assert not (tmp_path / "org.demoorg").exists()


def test_validate_the_shipped_templates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate", str(CORE)], capsys)
    assert code == 0, err
    assert out.startswith(f"ok  {CORE}  (Shared CRM: ")
    code, out, err = run(["validate"], capsys)
    assert code == 0, err
    assert all(line.startswith("ok  ") for line in out.splitlines())


@pytest.mark.parametrize(
    "argv",
    [
        ["--as-of", "0001-01-01"],
        ["--as-of", "9999-12-31"],
        ["releases", "--on", "0001-01-01"],
        ["releases", "--on", "9999-12-31"],
    ],
    ids=" ".join,
)
def test_dates_outside_the_release_calendar_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    if argv[0] != "releases":
        argv = seed_args(tmp_path / "org.demoorg", *argv)
    code, out, err = run(argv, capsys)
    assert_one_line_error(code, out, err, "expected")
    assert "internal error" not in err
    assert list(tmp_path.iterdir()) == []
