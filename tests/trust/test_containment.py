"""Files a template or pack names stay inside its folder: no absolute paths, no ``..``, no escapes.

A template names other files in two places: ``extends`` (a base template, by name) and ``icon``
(an image in the template's folder, e.g. ``assets/logo.svg``, when it names a file). Each way out
of the folder is refused with ``file:line:``: absolute paths (POSIX, ``C:\\``, UNC), ``..`` with
either slash, percent-encoded ``%2e%2e/``, and symlinks that point outside. A pack is refused in
one line, before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from demoorg.content.files import check_asset_path
from demoorg.content.packs import install_pack, make_pack
from demoorg.content.template import load_template
from demoorg.errors import ContentError, UsageError

TEMPLATE = """\
industry: shop
label: Shop
{extra}
objects:
  Account:
    count: 5
    fields:
      Name: {{type: text, faker: company}}
"""

ESCAPES = [
    "/etc/passwd",
    "../outside.png",
    "assets/../../outside.png",
    "..\\outside.png",
    "assets\\..\\..\\outside.png",
    "%2e%2e/outside.png",
    "..%2foutside.png",
    "C:\\Windows\\logo.png",
    "C:/Windows/logo.png",
    "\\\\server\\share\\logo.png",
    "~/logo.png",
]


def write_template(folder: Path, extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "template.yaml").write_text(TEMPLATE.format(extra=extra), "utf-8")
    return folder


@pytest.mark.parametrize("ref", ESCAPES)
def test_an_icon_outside_the_template_folder_is_refused_at_its_line(
    tmp_path: Path, ref: str, tally: Callable[[str, int], None]
) -> None:
    (tmp_path / "outside.png").write_bytes(b"png")
    folder = write_template(tmp_path / "shop", f"icon: {json.dumps(ref)}")
    with pytest.raises(ContentError) as caught:
        load_template(folder)
    message = str(caught.value)
    assert "template.yaml:3: icon" in message, message
    assert len(message.splitlines()) == 1
    tally("escaping asset paths refused", 1)


def test_an_icon_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"png")
    folder = write_template(tmp_path / "shop", "icon: assets/logo.png")
    (folder / "assets").mkdir()
    (folder / "assets" / "logo.png").symlink_to(tmp_path / "secret.png")
    with pytest.raises(ContentError, match=r"template.yaml:3: icon .* symlink"):
        load_template(folder)
    # A linked assets folder escapes the same way.
    (folder / "assets" / "logo.png").unlink()
    (folder / "assets").rmdir()
    (folder / "assets").symlink_to(tmp_path)
    (tmp_path / "logo.png").write_bytes(b"png")
    with pytest.raises(ContentError, match="symlink"):
        load_template(folder)


def test_an_icon_inside_the_folder_and_a_plain_icon_name_load(tmp_path: Path) -> None:
    folder = write_template(tmp_path / "shop", "icon: assets/logo.svg")
    (folder / "assets").mkdir()
    (folder / "assets" / "logo.svg").write_text("<svg/>", "utf-8")
    assert load_template(folder).icon == "assets/logo.svg"
    plain = write_template(tmp_path / "plain", "icon: standard-account")
    assert load_template(plain).icon == "standard-account"


@pytest.mark.parametrize(
    "base", ["../shared", "/tmp/shared", "C:\\shared", "..\\shared", "%2e%2e/shared", "a/b"]
)
def test_extends_names_a_template_not_a_path(tmp_path: Path, base: str) -> None:
    write_template(tmp_path / "shared", "")
    folder = write_template(tmp_path / "inner" / "shop", f"extends: {json.dumps(base)}")
    with pytest.raises(ContentError) as caught:
        load_template(folder)
    assert "template.yaml:3:" in str(caught.value)
    assert "not a template name" in str(caught.value)


@pytest.mark.parametrize("ref", ESCAPES)
def test_check_asset_path_refuses_every_escape(tmp_path: Path, ref: str) -> None:
    with pytest.raises(ValueError):
        check_asset_path(tmp_path, ref)


# --- packs ---------------------------------------------------------------------------------------


def test_a_pack_of_a_folder_with_linked_assets_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"png")
    root = tmp_path / "mine"
    folder = write_template(root / "shop", "")
    (folder / "assets").symlink_to(outside)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="symlink"):
        make_pack(folder, tmp_path / "shop.demopack")
    assert not (tmp_path / "shop.demopack").exists()


def crafted_pack(path: Path, icon: str, entry: str | None = None) -> Path:
    """A pack of the shop template whose icon is ``icon`` (and one more entry, if given)."""
    text = TEMPLATE.format(extra=f"icon: {json.dumps(icon)}").encode()
    files = {"shop/template.yaml": text}
    if entry is not None:
        files[entry] = b"png"
    manifest = {
        "pack_format": 1,
        "industry": "shop",
        "label": "Shop",
        "template": "shop",
        "bases": [],
        "files": [
            {"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
            for n, d in files.items()
        ],
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("ref", ESCAPES)
def test_a_pack_whose_template_icon_escapes_is_refused(
    tmp_path: Path, ref: str, tally: Callable[[str, int], None]
) -> None:
    pack = crafted_pack(tmp_path / "shop.demopack", ref)
    root = tmp_path / "mine"
    with pytest.raises(ContentError) as caught:
        install_pack(pack, root=root)
    assert "shop.demopack:shop/template.yaml:3: icon" in str(caught.value)
    assert not root.exists() or list(root.iterdir()) == []
    tally("escaping asset paths refused", 1)


@pytest.mark.parametrize(
    "entry",
    [
        "shop/assets/..\\..\\evil.png",
        "shop/assets/%2e%2e/%2e%2e/evil.png",
        "C:\\evil.png",
        "C:/evil.png",
        "/shop/evil.png",
        "shop/../evil.png",
    ],
)
def test_a_pack_entry_that_escapes_is_refused(tmp_path: Path, entry: str) -> None:
    pack = crafted_pack(tmp_path / "shop.demopack", "standard-account", entry)
    root = tmp_path / "mine"
    with pytest.raises(UsageError) as caught:
        install_pack(pack, root=root)
    message = str(caught.value)
    assert "nothing was installed" in message and len(message.splitlines()) == 1
    assert not root.exists() or list(root.iterdir()) == []
    assert not (tmp_path / "evil.png").exists()


def test_a_pack_with_its_icon_inside_installs(tmp_path: Path) -> None:
    pack = crafted_pack(tmp_path / "shop.demopack", "assets/logo.png", "shop/assets/logo.png")
    result = install_pack(pack, root=tmp_path / "mine")
    assert (result.path / "assets" / "logo.png").read_bytes() == b"png"
