"""Demo packs: pack → install → load round trips, and every refusal on crafted (malicious) zips.

A refused install must end in one line, install nothing and leave no temporary folder behind.
Crafted packs are written with :mod:`zipfile` directly, so each test shows the exact entry that
is refused.
"""

from __future__ import annotations

import hashlib
import json
import stat
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from demoorg.cli import main
from demoorg.content import packs
from demoorg.content.paths import find_template_dir, list_templates, user_industries
from demoorg.content.template import load_template
from demoorg.errors import ContentError, UsageError

INDUSTRIES = Path(__file__).resolve().parents[2] / "industries"

BASE = """\
industry: base
label: Base
objects:
  User:
    count: 5
    fields:
      Name: {type: text, faker: name}
  Account:
    count: 10
    fields:
      Name: {type: text, faker: company}
      OwnerId: {type: lookup, to: User}
"""

T = """\
industry: t
label: T Industry
extends: _base
objects:
  Contact:
    parent: {field: AccountId, object: Account, per_parent: 2}
    fields:
      AccountId: {type: lookup, reference_to: [Account]}
      LastName: {type: text, faker: last_name}
    name_field: LastName
"""

STORY = "story: Meet the team\nscenes:\n  - title: Hello\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (out, err)
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("demoorg: ")
    for needle in needles:
        assert needle in err, err


def installed() -> list[str]:
    """Everything in the user's template folder (hidden entries included)."""
    root = user_industries()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A template folder ``t`` extending ``_base``, with a story and an asset."""
    root = tmp_path / "src"
    (root / "_base").mkdir(parents=True)
    (root / "_base" / "template.yaml").write_text(BASE, "utf-8")
    (root / "t" / "stories").mkdir(parents=True)
    (root / "t" / "assets" / "logos").mkdir(parents=True)
    (root / "t" / "template.yaml").write_text(T, "utf-8")
    (root / "t" / "stories" / "intro.yaml").write_text(STORY, "utf-8")
    (root / "t" / "assets" / "logos" / "logo.png").write_bytes(PNG)
    return root / "t"


def craft(
    path: Path,
    files: dict[str, bytes] | None = None,
    *,
    extra: list[tuple[zipfile.ZipInfo | str, bytes]] = (),  # type: ignore[assignment]
    manifest: dict[str, Any] | None = None,
    raw_manifest: bytes | None = None,
    unlisted: tuple[str, ...] = (),
) -> Path:
    """Writes a pack: ``files`` listed in an honest manifest, ``extra`` entries added as given."""
    if files is None:
        files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode()}
    doc: dict[str, Any] = {
        "pack_format": 1,
        "industry": "t",
        "label": "T Industry",
        "template": "t",
        "bases": ["_base"],
        "demoorg_version": "0.1.0",
        "files": [
            {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(files.items())
            if name not in unlisted
        ],
    }
    doc.update(manifest or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some tests write
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", raw_manifest or json.dumps(doc).encode())
            for name, data in files.items():
                zf.writestr(name, data)
            for info, data in extra:
                zf.writestr(info, data)
    return path


def listed_file(name: str, data: bytes) -> dict[str, Any]:
    return {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


# --- round trips -------------------------------------------------------------------------------------


def test_shipped_industry_packs_installs_and_loads(tmp_path: Path) -> None:
    pack = tmp_path / "medical.demopack"
    result = packs.make_pack(INDUSTRIES / "medical", pack)
    assert result.folders == ("medical", "_core")
    with zipfile.ZipFile(pack) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        assert names[0] == "manifest.json"
        assert {"medical/template.yaml", "_core/template.yaml"} <= set(names)
        for rec in manifest["files"]:
            assert hashlib.sha256(zf.read(rec["path"])).hexdigest() == rec["sha256"]
    assert manifest["pack_format"] == packs.PACK_FORMAT
    assert (manifest["industry"], manifest["label"]) == ("medical", "Healthcare & Life Sciences")
    assert manifest["bases"] == ["_core"] and manifest["demoorg_version"]

    done = packs.install_pack(pack)
    assert done.path == user_industries() / "medical"
    assert done.installed == ("medical",)
    assert done.kept == ("_core",)  # the same files as the shipped base: not copied
    assert find_template_dir("medical") == user_industries() / "medical"
    mine, shipped = load_template("medical"), load_template(INDUSTRIES / "medical")
    assert mine.industry == "medical"
    assert [o.name for o in mine.objects] == [o.name for o in shipped.objects]
    assert installed() == ["medical"]


def test_packs_are_the_same_bytes_each_time(tmp_path: Path) -> None:
    a = packs.make_pack(INDUSTRIES / "telecom", tmp_path / "a.demopack").path
    b = packs.make_pack("telecom", tmp_path / "b.demopack").path
    assert a.read_bytes() == b.read_bytes()


def test_template_with_its_own_base_stories_and_assets_round_trips(src: Path) -> None:
    pack = packs.make_pack(src, src.parent / "t.demopack").path
    with zipfile.ZipFile(pack) as zf:
        assert sorted(zf.namelist()) == [
            "_base/template.yaml",
            "manifest.json",
            "t/assets/logos/logo.png",
            "t/stories/intro.yaml",
            "t/template.yaml",
        ]
    done = packs.install_pack(pack)
    assert done.installed == ("t", "_base")
    root = user_industries()
    assert (root / "t" / "assets" / "logos" / "logo.png").read_bytes() == PNG
    assert (root / "t" / "stories" / "intro.yaml").read_text("utf-8") == STORY
    assert (root / "_base" / "template.yaml").read_text("utf-8") == BASE
    assert load_template("t").label == "T Industry"
    assert [p.name for p in list_templates([root])] == ["t"]


def test_replace_keeps_the_old_template_as_a_hidden_backup(
    src: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = packs.make_pack(src, src.parent / "t.demopack").path
    packs.install_pack(pack)
    before = installed()
    code, out, err = run(["install", str(pack)], capsys)
    assert_one_line_error(code, out, err, "already installed", "--replace")
    assert installed() == before

    (user_industries() / "t" / "notes.md").write_text("my edits")
    code, out, err = run(["install", str(pack), "--replace"], capsys)
    assert code == 0, err
    backup = user_industries() / ".backups" / "t.backup-1"
    assert f"previous version kept at {backup}" in out
    assert (backup / "notes.md").read_text() == "my edits"
    assert not (user_industries() / "t" / "notes.md").exists()
    packs.install_pack(pack, replace=True)
    assert (user_industries() / ".backups" / "t.backup-2").is_dir()
    # Backups are hidden: never listed as templates of their own.
    assert [p.name for p in list_templates([user_industries()])] == ["t"]


def test_a_different_base_in_the_user_folder_needs_replace(src: Path) -> None:
    pack = packs.make_pack(src, src.parent / "t.demopack").path
    mine = user_industries() / "_base"
    mine.mkdir(parents=True)
    (mine / "template.yaml").write_text(BASE.replace("count: 10", "count: 12"), "utf-8")
    with pytest.raises(UsageError, match="base template '_base' differs"):
        packs.install_pack(pack)
    assert installed() == ["_base"]
    done = packs.install_pack(pack, replace=True)
    assert done.installed == ("t", "_base")
    assert (user_industries() / ".backups" / "_base.backup-1" / "template.yaml").exists()
    assert (mine / "template.yaml").read_text("utf-8") == BASE


def test_the_same_base_in_the_user_folder_is_kept(src: Path) -> None:
    pack = packs.make_pack(src, src.parent / "t.demopack").path
    mine = user_industries() / "_base"
    mine.mkdir(parents=True)
    (mine / "template.yaml").write_text(BASE, "utf-8")
    done = packs.install_pack(pack)
    assert (done.installed, done.kept) == (("t",), ("_base",))


def test_cli_pack_and_install(src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = src.parent / "t.demopack"
    code, stdout, err = run(["pack", str(src), "-o", str(out)], capsys)
    assert code == 0, err
    assert "Packed T Industry (t)" in stdout and "templates t, _base" in stdout
    code, stdout, err = run(["pack", str(src), "-o", str(out)], capsys)
    assert_one_line_error(code, stdout, err, "already exists", "--force")
    code, stdout, err = run(["pack", str(src), "-o", str(out), "--force"], capsys)
    assert code == 0, err
    code, stdout, err = run(["install", str(out)], capsys)
    assert code == 0, err
    assert stdout.startswith(f"Installed T Industry (t) into {user_industries() / 't'}")


def test_cli_pack_default_name_and_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run(["pack", str(INDUSTRIES / "finance")], capsys)
    assert code == 0, err
    assert (tmp_path / "finance.demopack").is_file()
    code, out, err = run(["pack", "nope"], capsys)
    assert_one_line_error(code, out, err, "unknown industry 'nope'")
    code, out, err = run(["pack", str(INDUSTRIES / "_core")], capsys)
    assert_one_line_error(code, out, err, "is a base template")


def test_pack_refuses_symlinks_and_unknown_file_types(src: Path) -> None:
    bad = src / "assets" / "run.exe"
    bad.write_bytes(b"MZ")
    with pytest.raises(UsageError, match="file type a pack may not hold"):
        packs.make_pack(src, src.parent / "t.demopack")
    bad.unlink()
    (src / "assets" / "link.png").symlink_to(src / "assets" / "logos" / "logo.png")
    with pytest.raises(UsageError, match="not a plain file"):
        packs.make_pack(src, src.parent / "t.demopack")
    assert not (src.parent / "t.demopack").exists()


def test_pack_refuses_invalid_content(src: Path) -> None:
    (src / "template.yaml").write_text(T.replace("per_parent: 2", "per_parent: lots"), "utf-8")
    with pytest.raises(ContentError):
        packs.make_pack(src, src.parent / "t.demopack")
    assert not (src.parent / "t.demopack").exists()


# --- refusals ----------------------------------------------------------------------------------------


@pytest.fixture
def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    """``refused(pack, *needles)``: installs through the CLI, expects one line, exit 2, no trace."""

    def check(pack: Path, *needles: str) -> str:
        code, out, err = run(["install", str(pack)], capsys)
        assert_one_line_error(code, out, err, *needles)
        assert not [n for n in installed() if not n.startswith(".installing")], installed()
        assert installed() == []  # no temporary folder left either
        return err

    return check


def test_a_crafted_pack_that_is_honest_installs(tmp_path: Path) -> None:
    done = packs.install_pack(craft(tmp_path / "ok.demopack"))
    assert done.installed == ("t", "_base")


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("../evil.yaml", "escapes the template folder"),
        ("t/../../evil.yaml", "escapes the template folder"),
        ("t/assets/../../../evil.yaml", "escapes the template folder"),
        ("/etc/evil.yaml", "absolute path"),
        ("C:/evil.yaml", "drive letter"),
        ("c:evil.yaml", "drive letter"),
        ("t\\..\\..\\evil.yaml", "backslashes"),
        ("t//evil.yaml", "empty or '.' path part"),
        ("t/./evil.yaml", "empty or '.' path part"),
    ],
)
def test_refuses_paths_that_escape(
    tmp_path: Path, refused: Callable[..., str], name: str, needle: str
) -> None:
    pack = craft(tmp_path / "p.demopack", extra=[(name, b"x: 1\n")])
    refused(pack, needle, "nothing was installed")


def test_refuses_symlinks(tmp_path: Path, refused: Callable[..., str]) -> None:
    pack = craft(
        tmp_path / "p.demopack", extra=[(symlink_info("t/assets/logo.png"), b"/etc/passwd")]
    )
    refused(pack, "'t/assets/logo.png' is a symlink")


def test_refuses_special_files(tmp_path: Path, refused: Callable[..., str]) -> None:
    info = zipfile.ZipInfo("t/assets/pipe.txt")
    info.create_system = 3
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    refused(craft(tmp_path / "p.demopack", extra=[(info, b"")]), "special file")


@pytest.mark.parametrize(
    "name", ["t/assets/run.exe", "t/hook.py", "t/assets/README", "t/x.yaml.sh"]
)
def test_refuses_unknown_file_types(tmp_path: Path, refused: Callable[..., str], name: str) -> None:
    data = b"#!/bin/sh\n"
    files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode(), name: data}
    refused(craft(tmp_path / "p.demopack", files), f"{name!r} has a file type packs may not hold")


def test_refuses_a_zip_bomb_by_its_uncompressed_size(
    tmp_path: Path, refused: Callable[..., str]
) -> None:
    bomb = b"\x00" * (packs.MAX_FILE_BYTES + 1)
    files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode()}
    files["t/assets/bomb.png"] = bomb
    pack = craft(tmp_path / "p.demopack", files)
    assert pack.stat().st_size < 100_000  # tiny on disk, huge unpacked
    refused(pack, "'t/assets/bomb.png' unpacks to 16,777,217 bytes", "per file")


def test_refuses_too_many_bytes_in_all(
    tmp_path: Path, refused: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "MAX_TOTAL_BYTES", 3000)
    files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode()}
    files.update({f"t/assets/{i}.png": PNG * 20 for i in range(5)})
    refused(craft(tmp_path / "p.demopack", files), "more than 3,000 bytes in all")


def test_refuses_too_many_entries(
    tmp_path: Path, refused: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "MAX_ENTRIES", 4)
    files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode()}
    files.update({f"t/assets/{i}.png": PNG for i in range(3)})
    refused(craft(tmp_path / "p.demopack", files), "entries (at most 4)")


def patch_central_record(pack: Path, name: str, offset: int, value: bytes) -> None:
    """Overwrites bytes of an entry's central directory record (where zipfile reads sizes, flags)."""
    raw = bytearray(pack.read_bytes())
    at = 0
    while (at := raw.find(b"PK\x01\x02", at)) >= 0:
        name_len = int.from_bytes(raw[at + 28 : at + 30], "little")
        if raw[at + 46 : at + 46 + name_len] == name.encode():
            raw[at + offset : at + offset + len(value)] = value
            pack.write_bytes(bytes(raw))
            return
        at += 4
    raise AssertionError(f"{name} is not in the central directory")


def test_refuses_an_entry_that_unpacks_beyond_its_declared_size(
    tmp_path: Path, refused: Callable[..., str]
) -> None:
    """A lying header: the central directory (and the manifest) say 10 bytes, the data is 5,000."""
    files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode()}
    files["t/assets/big.txt"] = b"A" * 5000
    listed = [listed_file(n, d) for n, d in sorted(files.items())]
    listed[-1 if listed[-1]["path"] == "t/assets/big.txt" else 1]["size"] = 10
    pack = craft(tmp_path / "p.demopack", files, manifest={"files": listed})
    patch_central_record(pack, "t/assets/big.txt", 24, (10).to_bytes(4, "little"))
    with zipfile.ZipFile(pack) as zf:
        assert zf.getinfo("t/assets/big.txt").file_size == 10
    refused(pack, "'t/assets/big.txt'")


def test_refuses_encrypted_entries(tmp_path: Path, refused: Callable[..., str]) -> None:
    pack = craft(tmp_path / "p.demopack", extra=[("t/assets/secret.txt", b"hidden")])
    patch_central_record(pack, "t/assets/secret.txt", 8, b"\x01")  # general purpose flag bit 0
    refused(pack, "'t/assets/secret.txt' is encrypted")


def test_refuses_duplicate_entries(tmp_path: Path, refused: Callable[..., str]) -> None:
    pack = craft(tmp_path / "p.demopack", extra=[("t/template.yaml", b"industry: evil\n")])
    refused(pack, "'t/template.yaml' appears twice")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"raw_manifest": b"{not json"}, "manifest.json is not valid JSON"),
        ({"raw_manifest": b"[1, 2]"}, "is not a JSON object"),
        ({"manifest": {"pack_format": 2}}, "made by a newer demoorg (pack format 2"),
        ({"manifest": {"pack_format": "1"}}, "no pack_format number"),
        ({"manifest": {"template": "../t"}}, "names no valid template folder"),
        ({"manifest": {"template": "_base", "bases": []}}, "is a base template"),
        ({"manifest": {"bases": "_base"}}, "invalid list of base templates"),
        ({"manifest": {"files": {}}}, "has no file list"),
        ({"manifest": {"files": [{"path": "t/template.yaml"}]}}, "malformed file entry"),
        ({"unlisted": ("t/template.yaml",)}, "'t/template.yaml' is not listed"),
    ],
)
def test_refuses_a_bad_manifest(
    tmp_path: Path, refused: Callable[..., str], kwargs: dict[str, Any], needle: str
) -> None:
    refused(craft(tmp_path / "p.demopack", **kwargs), needle)


def test_refuses_a_pack_without_a_manifest(tmp_path: Path, refused: Callable[..., str]) -> None:
    pack = tmp_path / "p.demopack"
    with zipfile.ZipFile(pack, "w") as zf:
        zf.writestr("t/template.yaml", T)
    refused(pack, "has no manifest.json")


def test_refuses_files_that_do_not_match_the_manifest(
    tmp_path: Path, refused: Callable[..., str]
) -> None:
    good = T.encode()
    files = {"t/template.yaml": good, "_base/template.yaml": BASE.encode()}
    tampered = [
        listed_file("_base/template.yaml", BASE.encode()),
        {**listed_file("t/template.yaml", good), "sha256": hashlib.sha256(b"other").hexdigest()},
    ]
    refused(craft(tmp_path / "a.demopack", files, manifest={"files": tampered}), "(sha256)")
    wrong_size = [
        listed_file("_base/template.yaml", BASE.encode()),
        {**listed_file("t/template.yaml", good), "size": 3},
    ]
    refused(craft(tmp_path / "b.demopack", files, manifest={"files": wrong_size}), "(size)")
    ghost = [*tampered[:1], listed_file("t/template.yaml", good), listed_file("t/x.md", b"x")]
    refused(craft(tmp_path / "c.demopack", files, manifest={"files": ghost}), "lists 't/x.md'")


def test_refuses_entries_outside_the_declared_folders(
    tmp_path: Path, refused: Callable[..., str]
) -> None:
    files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode()}
    files["other/template.yaml"] = BASE.encode()
    refused(craft(tmp_path / "a.demopack", files), "'other/template.yaml' is outside")
    files = {"t/template.yaml": T.encode(), "_base/template.yaml": BASE.encode()}
    files["README.md"] = b"hello"
    refused(craft(tmp_path / "b.demopack", files), "'README.md' is outside")


def test_refuses_a_folder_without_template_yaml(
    tmp_path: Path, refused: Callable[..., str]
) -> None:
    files = {"t/template.yaml": T.encode(), "_base/base.yaml": BASE.encode()}
    refused(craft(tmp_path / "p.demopack", files), "'_base' has no template.yaml")


def test_refuses_invalid_content_with_the_loaders_file_and_line(
    tmp_path: Path, refused: Callable[..., str]
) -> None:
    bad = T.replace("per_parent: 2", "per_parent: lots")
    line = next(i for i, text in enumerate(bad.splitlines(), 1) if "lots" in text)
    files = {"t/template.yaml": bad.encode(), "_base/template.yaml": BASE.encode()}
    pack = craft(tmp_path / "p.demopack", files)
    err = refused(pack)
    assert err.startswith(f"demoorg: {pack}:t/template.yaml:{line}: "), err


def test_refuses_a_pack_that_misses_its_base(tmp_path: Path, refused: Callable[..., str]) -> None:
    files = {"t/template.yaml": T.encode()}
    pack = craft(tmp_path / "p.demopack", files, manifest={"bases": []})
    err = refused(pack, "unknown industry '_base'")
    assert f"{pack}:t/template.yaml:3: " in err


def test_refuses_a_story_that_is_not_a_mapping(tmp_path: Path, refused: Callable[..., str]) -> None:
    files = {
        "t/template.yaml": T.encode(),
        "_base/template.yaml": BASE.encode(),
        "t/stories/bad.yaml": b"- just\n- a list\n",
    }
    refused(craft(tmp_path / "p.demopack", files), "t/stories/bad.yaml:1: a story file")


def test_refuses_what_is_not_a_pack(tmp_path: Path, refused: Callable[..., str]) -> None:
    junk = tmp_path / "junk.demopack"
    junk.write_bytes(b"not a zip at all")
    refused(junk, "is not a demo pack")
    refused(tmp_path / "missing.demopack", "does not exist")
    refused(tmp_path, "is a folder")


def test_an_install_that_fails_late_puts_everything_back(
    src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = packs.make_pack(src, src.parent / "t.demopack").path
    packs.install_pack(pack)
    before = {p.relative_to(user_industries()) for p in user_industries().rglob("*")}
    calls = {"n": 0}
    real = packs.load_template

    def fail_after_the_move(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:  # the check of the installed copy, after the folders moved
            raise ContentError("simulated", "t/template.yaml", 1)
        return real(*args, **kwargs)

    monkeypatch.setattr(packs, "load_template", fail_after_the_move)
    with pytest.raises(ContentError):
        packs.install_pack(pack, replace=True)
    after = {p.relative_to(user_industries()) for p in user_industries().rglob("*")}
    assert after - {Path(".backups")} == before


def test_read_manifest_checks_without_writing(src: Path) -> None:
    pack = packs.make_pack(src, src.parent / "t.demopack").path
    manifest = packs.read_manifest(pack)
    assert manifest["template"] == "t" and manifest["bases"] == ["_base"]
    assert installed() == []
