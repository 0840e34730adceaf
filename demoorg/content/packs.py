"""Demo packs: a template folder (and the templates it extends) in one file, and its safe install.

A pack (``medical.demopack``) is a zip archive::

    manifest.json                 pack format, industry, label, demoorg version, files + sha256
    medical/template.yaml         the template
    medical/stories/*.yaml        its stories, if any
    medical/assets/...            its assets (images, …), if any
    _core/template.yaml           every template it extends, each under its own folder

:func:`make_pack` writes the same bytes for the same folders (sorted entries, fixed timestamps).

:func:`install_pack` treats a pack as untrusted. Before anything reaches the user's template
folder it refuses, with one line naming the entry: paths that escape the pack's folders
(``../``, absolute paths, drive letters, backslashes), symlinks and other special files, file
types other than :data:`ALLOWED_SUFFIXES`, files or totals over :data:`MAX_FILE_BYTES` /
:data:`MAX_TOTAL_BYTES` (counted on the uncompressed bytes actually read, so a zip bomb stops
early), more than :data:`MAX_ENTRIES` entries, files that do not match the manifest's sizes and
hashes, and content the template loader rejects (its ``path:line:`` message, with the path inside
the pack). It extracts into a hidden temporary folder beside the target, loads the template there
against the pack's own base templates only, and then renames the folders into place.

Existing templates are never overwritten silently:

- the pack's template: refused when one of the same name is installed, unless ``replace``; then
  the old folder is kept as ``.backups/<name>.backup-<n>`` inside the user's template folder
  (hidden, so it is not listed as a second template);
- a base template (``_core``): not copied when the one the installed template would find already
  has the same files; copied when the user's folder has none (the user's folder is searched before
  the shipped templates, so the user's own templates extending that base then use the pack's copy);
  refused when the user's folder has a different one, unless ``replace`` (then backed up the same way).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from demoorg import __version__
from demoorg.content import files
from demoorg.content.paths import BUILTIN_INDUSTRIES, find_template_dir, user_industries
from demoorg.content.template import load_template
from demoorg.content.yamlload import load_yaml_file
from demoorg.errors import ContentError, UsageError

PACK_SUFFIX = ".demopack"
#: Version of the pack layout; a pack from a newer layout is refused with a clear message.
PACK_FORMAT = 1
MANIFEST = "manifest.json"
#: File types a pack may hold (compared in lower case).
ALLOWED_SUFFIXES = frozenset(
    {".yaml", ".yml", ".png", ".svg", ".jpg", ".jpeg", ".md", ".json", ".txt", ".csv"}
)
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 2000
BACKUPS = ".backups"

_FOLDER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class PackResult:
    """A pack written by :func:`make_pack`."""

    path: Path
    industry: str
    label: str
    folders: tuple[str, ...]
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What :func:`install_pack` did."""

    industry: str
    label: str
    path: Path
    installed: tuple[str, ...]
    kept: tuple[str, ...] = ()
    backups: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()


# --- packing -------------------------------------------------------------------------------------


def _base_chain(folder: Path) -> list[Path]:
    """The folders a template extends, nearest first, found the way the loader finds them."""
    chain: list[Path] = []
    current = folder
    seen = {folder.resolve()}
    while True:
        data = load_yaml_file(current / "template.yaml")
        base = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(base, str):
            return chain
        base_folder = find_template_dir(base, near=current.parent)
        if base_folder.resolve() in seen:  # the loader reports the cycle itself
            return chain
        seen.add(base_folder.resolve())
        chain.append(base_folder)
        current = base_folder


def _folder_files(folder: Path) -> list[tuple[str, Path]]:
    """(path relative to the folder, file) of a template's content: template.yaml, stories, assets.

    Raises:
        UsageError: a symlink or a file type a pack may not hold.
    """
    files: list[tuple[str, Path]] = [("template.yaml", folder / "template.yaml")]
    for sub in ("stories", "assets"):
        # A linked folder would pull files from outside the template into the pack.
        if (folder / sub).is_symlink():
            raise UsageError(f"{folder / sub} is a symlink (a pack holds plain files only)")
    stories = folder / "stories"
    if stories.is_dir():
        for p in sorted(stories.iterdir()):
            if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith("."):
                files.append((f"stories/{p.name}", p))
    assets = folder / "assets"
    if assets.is_dir():
        for root, dirs, names in os.walk(assets, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for link in (d for d in dirs if (Path(root) / d).is_symlink()):
                raise UsageError(
                    f"{Path(root) / link} is a symlink (a pack holds plain files only)"
                )
            for name in sorted(names):
                p = Path(root) / name
                if name.startswith("."):
                    continue
                if p.is_symlink() or not p.is_file():
                    raise UsageError(f"{p} is not a plain file (a pack holds plain files only)")
                if p.suffix.lower() not in ALLOWED_SUFFIXES:
                    raise UsageError(
                        f"{p} has a file type a pack may not hold "
                        f"(expected one of: {', '.join(sorted(ALLOWED_SUFFIXES))})"
                    )
                files.append((p.relative_to(folder).as_posix(), p))
    for _rel, p in files:
        if p.is_symlink():
            raise UsageError(f"{p} is a symlink (a pack holds plain files only)")
    return files


def make_pack(
    template: str | Path, out: str | Path | None = None, *, force: bool = False
) -> PackResult:
    """Bundles a template folder and the templates it extends into one ``.demopack`` file.

    Args:
        template: a template name (``medical``) or folder (``industries/medical``).
        out: the pack to write (default ``<folder name>.demopack`` in the current folder).
        force: replace an existing pack file.

    Raises:
        ContentError: the template does not load (packs hold valid content only).
        UsageError: the output exists (without ``force``) or cannot be written; a file in the
            folder is a symlink, of a type packs may not hold, or too large.
    """
    folder = find_template_dir(template)
    tpl = load_template(folder)
    if folder.name.startswith("_"):
        raise UsageError(
            f"{folder} is a base template (its name starts with _); pack an industry that extends it"
        )
    folders = [folder, *_base_chain(folder)]
    names = [f.name for f in folders]
    for name in names:
        if not _FOLDER_NAME.match(name):
            raise UsageError(
                f"template folder name {name!r} cannot go in a pack "
                "(expected letters, digits, _ and - only)"
            )
    if len(set(names)) != len(names):
        raise UsageError(f"two templates in the chain share a folder name: {', '.join(names)}")
    path = Path(out) if out is not None else Path(f"{folder.name}{PACK_SUFFIX}")
    _check_pack_target(path, force)

    entries: list[tuple[str, bytes]] = []
    total = 0
    for f in folders:
        for rel, p in _folder_files(f):
            if rel.startswith("stories/"):
                _check_story(p, str(p))
            data = p.read_bytes()
            if len(data) > MAX_FILE_BYTES:
                raise UsageError(
                    f"{p} is {len(data):,} bytes (a pack file may be at most {MAX_FILE_BYTES:,})"
                )
            total += len(data)
            entries.append((f"{f.name}/{rel}", data))
    if total > MAX_TOTAL_BYTES:
        raise UsageError(
            f"the pack would hold {total:,} bytes (at most {MAX_TOTAL_BYTES:,} may be installed)"
        )
    if len(entries) + 1 > MAX_ENTRIES:
        raise UsageError(f"the pack would hold {len(entries):,} files (at most {MAX_ENTRIES:,})")
    entries.sort()
    seen: set[str] = set()
    for name, _data in entries:
        # What install would refuse is refused here, where the author can still fix it.
        if "\\" in name or any(ord(c) < 32 for c in name):
            raise UsageError(
                f"file name {name!r} cannot go in a pack (backslash or control character)"
            )
        if name.lower() in seen:
            raise UsageError(
                f"two files differ only in case: {name!r} (a pack must work on every system)"
            )
        seen.add(name.lower())
    manifest = {
        "pack_format": PACK_FORMAT,
        "industry": tpl.industry,
        "label": tpl.label,
        "template": folder.name,
        "bases": names[1:],
        "demoorg_version": __version__,
        "files": [
            {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in entries
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _write_entry(
            zf, MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        )
        for name, data in entries:
            _write_entry(zf, name, data)
    kept = "the previous pack is unchanged" if path.exists() else "nothing was written"
    try:
        files.remove_stale_temps(Path(os.path.abspath(path)).parent, (files.PACK_MARK,))
        files.atomic_write(path, buffer.getvalue(), mark=files.PACK_MARK)
    except OSError as exc:
        raise files.write_failed("pack", path, exc, kept) from None
    return PackResult(path, tpl.industry, tpl.label, tuple(names), len(entries), total)


def _write_entry(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    zf.writestr(info, data)


def _check_pack_target(path: Path, force: bool) -> None:
    if path.is_dir():
        raise UsageError(f"{path} is a folder (expected a pack file path such as medical.demopack)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"folder {parent} does not exist (expected an existing folder)")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"folder {parent} is read-only (expected a folder you can write to)")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists (pass --force to replace it)")


# --- reading and checking a pack -----------------------------------------------------------------


class _Refused(UsageError):
    pass


class PackWouldReplace(_Refused):
    """The pack's template (or a base it brings) is installed already and differs: installing
    needs ``replace=True``, which keeps the installed one as a backup. ``template`` names it and
    ``installed`` is its folder."""

    def __init__(self, pack: Path, template: str, installed: Path, what: str) -> None:
        super().__init__(
            f"{pack}: {what} (pass --replace to replace it; the old one is kept as a backup); "
            "nothing was installed"
        )
        self.template = template
        self.installed = installed


def _refuse(pack: Path, message: str) -> _Refused:
    return _Refused(f"{pack}: {message}; nothing was installed")


def _check_name(pack: Path, name: str) -> PurePosixPath:
    """A safe relative path inside the pack, or a refusal naming the entry."""
    shown = repr(name)
    if "\x00" in name or any(ord(c) < 32 for c in name):
        raise _refuse(pack, f"entry {shown} has control characters in its name")
    if "\\" in name:
        raise _refuse(pack, f"entry {shown} uses backslashes (a path that may escape the folder)")
    if unquote(name) != name:
        raise _refuse(pack, f"entry {shown} is percent-encoded (a path that may escape the folder)")
    if name.startswith("/"):
        raise _refuse(pack, f"entry {shown} is an absolute path")
    if _DRIVE.match(name):
        raise _refuse(pack, f"entry {shown} names a drive letter")
    parts = name.rstrip("/").split("/")
    if any(p == ".." for p in parts):
        raise _refuse(pack, f"entry {shown} escapes the template folder (..)")
    if any(p in ("", ".") for p in parts):
        raise _refuse(pack, f"entry {shown} has an empty or '.' path part")
    return PurePosixPath(*parts)


def _kind(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symlink"
    if info.is_dir() or stat.S_ISDIR(mode):
        return "dir"
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits at all: a plain file
        return "special"
    return "file"


@dataclass
class _Pack:
    path: Path
    manifest: dict[str, Any]
    template: str
    bases: list[str]
    files: dict[str, dict[str, Any]]  # entry name -> manifest record
    infos: list[zipfile.ZipInfo]


def _read_pack(pack: Path, zf: zipfile.ZipFile) -> _Pack:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _refuse(pack, f"it has {len(infos):,} entries (at most {MAX_ENTRIES:,})")
    seen: set[str] = set()
    total = 0
    files: list[zipfile.ZipInfo] = []
    for info in infos:
        rel = _check_name(pack, info.filename)
        key = str(rel).lower()
        kind = _kind(info)
        if kind == "symlink":
            raise _refuse(
                pack, f"entry {info.filename!r} is a symlink (packs hold plain files only)"
            )
        if kind == "special":
            raise _refuse(
                pack, f"entry {info.filename!r} is a special file (packs hold plain files only)"
            )
        if info.flag_bits & 0x1:
            raise _refuse(pack, f"entry {info.filename!r} is encrypted")
        if kind == "dir":
            continue
        if key in seen:
            raise _refuse(pack, f"entry {info.filename!r} appears twice")
        seen.add(key)
        if rel.suffix.lower() not in ALLOWED_SUFFIXES:
            raise _refuse(
                pack,
                f"entry {info.filename!r} has a file type packs may not hold "
                f"(expected one of: {', '.join(sorted(ALLOWED_SUFFIXES))})",
            )
        if info.file_size > MAX_FILE_BYTES:
            raise _refuse(
                pack,
                f"entry {info.filename!r} unpacks to {info.file_size:,} bytes "
                f"(at most {MAX_FILE_BYTES:,} per file)",
            )
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise _refuse(pack, f"it unpacks to more than {MAX_TOTAL_BYTES:,} bytes in all")
        files.append(info)

    names = {i.filename for i in files}
    if MANIFEST not in names:
        raise _refuse(pack, f"it has no {MANIFEST} (expected a pack made by demoorg pack)")
    try:
        manifest = json.loads(_read_capped(pack, zf, zf.getinfo(MANIFEST), 1024 * 1024)[0])
    except (ValueError, UnicodeDecodeError):
        raise _refuse(pack, f"its {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict):
        raise _refuse(pack, f"its {MANIFEST} is not a JSON object")
    version = manifest.get("pack_format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _refuse(pack, f"its {MANIFEST} has no pack_format number")
    if version > PACK_FORMAT:
        raise _refuse(
            pack,
            f"it was made by a newer demoorg (pack format {version}; this version reads up to "
            f"{PACK_FORMAT}). Update demoorg to install it",
        )
    template = manifest.get("template")
    bases = manifest.get("bases", [])
    if not isinstance(template, str) or not _FOLDER_NAME.match(template):
        raise _refuse(pack, f"its {MANIFEST} names no valid template folder")
    if template.startswith("_"):
        raise _refuse(pack, f"its template {template!r} is a base template (name starts with _)")
    if not isinstance(bases, list) or not all(
        isinstance(b, str) and _FOLDER_NAME.match(b) for b in bases
    ):
        raise _refuse(pack, f"its {MANIFEST} has an invalid list of base templates")
    folders = [template, *bases]
    if len(set(folders)) != len(folders):
        raise _refuse(pack, f"its {MANIFEST} names a template folder twice")
    listed = manifest.get("files")
    if not isinstance(listed, list):
        raise _refuse(pack, f"its {MANIFEST} has no file list")
    records: dict[str, dict[str, Any]] = {}
    for rec in listed:
        if (
            not isinstance(rec, dict)
            or not isinstance(rec.get("path"), str)
            or not isinstance(rec.get("sha256"), str)
            or not isinstance(rec.get("size"), int)
        ):
            raise _refuse(pack, f"its {MANIFEST} has a malformed file entry")
        records[rec["path"]] = rec
    for info in files:
        if info.filename == MANIFEST:
            continue
        top = info.filename.split("/", 1)[0]
        if top not in folders or "/" not in info.filename:
            raise _refuse(
                pack,
                f"entry {info.filename!r} is outside the pack's template folders "
                f"({', '.join(folders)})",
            )
        rec = records.get(info.filename)
        if rec is None:
            raise _refuse(pack, f"entry {info.filename!r} is not listed in its {MANIFEST}")
        if rec["size"] != info.file_size:
            raise _refuse(pack, f"entry {info.filename!r} does not match its {MANIFEST} (size)")
    missing = sorted(set(records) - names)
    if missing:
        raise _refuse(pack, f"{MANIFEST} lists {missing[0]!r}, which is not in the pack")
    for name in folders:
        if f"{name}/template.yaml" not in names:
            raise _refuse(pack, f"template folder {name!r} has no template.yaml")
    return _Pack(pack, manifest, template, list(bases), records, files)


def _read_capped(
    pack: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int
) -> tuple[bytes, str]:
    """The entry's bytes and sha256, reading no more than ``cap`` uncompressed bytes."""
    out = io.BytesIO()
    digest = hashlib.sha256()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                if out.tell() + len(chunk) > cap:
                    raise _refuse(
                        pack, f"entry {info.filename!r} unpacks to more than {cap:,} bytes"
                    )
                digest.update(chunk)
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise _refuse(pack, f"entry {info.filename!r} is damaged ({exc})") from None
    return out.getvalue(), digest.hexdigest()


def _extract(p: _Pack, zf: zipfile.ZipFile, into: Path) -> None:
    total = 0
    for info in p.infos:
        if info.filename == MANIFEST:
            continue
        data, sha = _read_capped(p.path, zf, info, min(MAX_FILE_BYTES, info.file_size))
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise _refuse(p.path, f"it unpacks to more than {MAX_TOTAL_BYTES:,} bytes in all")
        if sha != p.files[info.filename]["sha256"]:
            raise _refuse(p.path, f"entry {info.filename!r} does not match its {MANIFEST} (sha256)")
        target = into.joinpath(*info.filename.split("/"))
        # Belt and braces: the name checks above already keep every path inside `into`.
        if not target.resolve().is_relative_to(into.resolve()):
            raise _refuse(p.path, f"entry {info.filename!r} escapes the template folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Each file reaches the disk before its folder is renamed into place (see _commit).
        files.write_new_file(target, data)


def _validate(p: _Pack, staging: Path) -> Any:
    """Loads the extracted template against the pack's own bases only; checks every story parses."""
    try:
        tpl = load_template(staging / p.template, roots=[staging])
        for name in sorted(p.files):
            parts = name.split("/")
            if len(parts) == 3 and parts[1] == "stories" and name.endswith((".yaml", ".yml")):
                _check_story(staging.joinpath(*parts), name)
    except ContentError as exc:
        raise ContentError(exc.message, _pack_path(p.path, staging, exc.path), exc.line) from None
    except UsageError as exc:
        raise _refuse(p.path, str(exc)) from None
    return tpl


def _check_story(path: Path, shown: str) -> None:
    # Stories have no loader of their own yet: a pack's stories must at least be safe YAML mappings.
    data = load_yaml_file(path, shown)
    if not isinstance(data, dict):
        raise ContentError(
            "a story file must hold a mapping (expected story:, scenes: …)", shown, 1
        )


def _pack_path(pack: Path, staging: Path, shown: str | None) -> str:
    """``medical.demopack:medical/template.yaml`` for a path the loader printed."""
    if not shown:
        return str(pack)
    for base in (staging.resolve(), staging):
        with contextlib.suppress(ValueError):
            rel = Path(shown).resolve().relative_to(base.resolve())
            return f"{pack}:{rel.as_posix()}"
    return f"{pack}:{shown}"


# --- installing ------------------------------------------------------------------------------------


def _digest_tree(folder: Path) -> dict[str, str]:
    """sha256 of each content file of a template folder (what a pack of it would hold)."""
    try:
        files = _folder_files(folder)
    except UsageError:
        return {"<unpackable>": ""}
    return {rel: hashlib.sha256(p.read_bytes()).hexdigest() for rel, p in files}


def _pack_digest(p: _Pack, name: str) -> dict[str, str]:
    prefix = f"{name}/"
    return {
        path[len(prefix) :]: rec["sha256"]
        for path, rec in p.files.items()
        if path.startswith(prefix)
    }


def _next_backup(root: Path, name: str) -> Path:
    backups = root / BACKUPS
    n = 1
    while (backups / f"{name}.backup-{n}").exists():
        n += 1
    return backups / f"{name}.backup-{n}"


#: Hidden staging folders of installs: ``.pack.installing-<pid>-<random>`` in the template folder.
INSTALL_MARK = ".installing-"


@contextlib.contextmanager
def _staging_dir(root: Path) -> Iterator[Path]:
    root.mkdir(parents=True, exist_ok=True)
    files.remove_stale_temps(root, (INSTALL_MARK,))
    staging = root / f".pack{INSTALL_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_pack(
    pack: str | Path, *, replace: bool = False, root: str | Path | None = None
) -> InstallResult:
    """Checks a pack and installs its templates into the user's template folder.

    Args:
        pack: the ``.demopack`` file.
        replace: replace an installed template (and a differing base) of the same name, keeping
            the old folder as ``.backups/<name>.backup-<n>``.
        root: the template folder to install into (default: :func:`user_industries`, which
            honours ``DEMOORG_HOME``).

    Raises:
        UsageError: the pack is missing, not a pack, unsafe, or would overwrite a template
            without ``replace``; nothing is installed.
        ContentError: the template in the pack does not load (``pack:entry:line: …``).
    """
    pack = Path(pack)
    target_root = Path(root) if root is not None else user_industries()
    if not pack.exists():
        raise UsageError(f"{pack} does not exist (expected a .demopack file made by demoorg pack)")
    if pack.is_dir():
        raise UsageError(f"{pack} is a folder (expected a .demopack file made by demoorg pack)")
    try:
        zf = zipfile.ZipFile(pack)
    except (zipfile.BadZipFile, OSError):
        raise UsageError(
            f"{pack} is not a demo pack (expected a .demopack file made by demoorg pack)"
        ) from None
    try:
        with zf, _staging_dir(target_root) as staging:
            p = _read_pack(pack, zf)
            _extract(p, zf, staging)
            tpl = _validate(p, staging)
            for folder in (staging, *(d for d in staging.rglob("*") if d.is_dir())):
                files.fsync_dir(folder)
            return _commit(p, tpl, staging, target_root, replace)
    except OSError as exc:
        raise files.write_failed(
            "the pack's templates to", target_root, exc, "nothing was installed"
        ) from None


def _commit(p: _Pack, tpl: Any, staging: Path, root: Path, replace: bool) -> InstallResult:
    moves: list[tuple[Path, Path]] = []  # (from, to) to undo in reverse
    installed: list[str] = []
    kept: list[str] = []
    backups: list[Path] = []
    notes: list[str] = []
    plan: list[tuple[str, bool]] = []  # (folder, back up the existing one first)

    dest = root / p.template
    if dest.exists() or dest.is_symlink():
        if not replace:
            raise PackWouldReplace(
                p.path,
                p.template,
                dest,
                f"a template named {p.template!r} is already installed at {dest}",
            )
        plan.append((p.template, True))
    else:
        plan.append((p.template, False))
    for base in p.bases:
        wanted = _pack_digest(p, base)
        mine = root / base
        if mine.exists() or mine.is_symlink():
            if mine.is_dir() and _digest_tree(mine) == wanted:
                kept.append(base)
                continue
            if not replace:
                raise PackWouldReplace(
                    p.path, base, mine, f"its base template {base!r} differs from the one at {mine}"
                )
            plan.append((base, True))
            continue
        shipped = BUILTIN_INDUSTRIES / base
        if shipped.is_dir() and _digest_tree(shipped) == wanted:
            kept.append(base)
            continue
        if shipped.is_dir():
            notes.append(
                f"base template {base!r} differs from the shipped one; installed the pack's copy "
                f"at {mine} (your own templates extending {base!r} now use it)"
            )
        plan.append((base, False))

    try:
        for name, backup in plan:
            if backup:
                to = _next_backup(root, name)
                to.parent.mkdir(parents=True, exist_ok=True)
                os.rename(root / name, to)
                moves.append((root / name, to))
                backups.append(to)
            os.rename(staging / name, root / name)
            moves.append((staging / name, root / name))
            installed.append(name)
        files.fsync_dir(root)
        # The installed template must load where it now lives, as `demoorg seed` will load it.
        load_template(root / p.template)
    except BaseException:
        for src, dst in reversed(moves):
            with contextlib.suppress(OSError):
                os.rename(dst, src)
        raise
    return InstallResult(
        tpl.industry,
        tpl.label,
        root / p.template,
        tuple(installed),
        tuple(kept),
        tuple(backups),
        tuple(notes),
    )


def read_manifest(pack: str | Path) -> dict[str, Any]:
    """The manifest of a pack, after the same safety checks as an install (nothing is written)."""
    pack = Path(pack)
    try:
        zf = zipfile.ZipFile(pack)
    except (zipfile.BadZipFile, OSError):
        raise UsageError(
            f"{pack} is not a demo pack (expected a .demopack file made by demoorg pack)"
        ) from None
    with zf:
        return _read_pack(pack, zf).manifest
