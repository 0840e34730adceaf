"""Writing files safely: whole or not at all, with one clear line when the disk says no.

Everything demoorg writes for a user (orgs, exports, packs, templates and stories) follows one
pattern: the new bytes go to a hidden temporary name beside the target, are flushed to disk, and
are renamed over the target in one step. A failure or a killed process therefore leaves either the
previous file or the new one, never a mix; the temporary name carries the writer's process id, so
:func:`remove_stale_temps` can tell the leftovers of a dead process from a write still under way.

:func:`save_content` is the way to save a user's template or story: it refuses text the loader
rejects (with the loader's ``path:line:`` message) before touching the file, and keeps the previous
version as ``<name>.bak``.

:func:`check_asset_path` keeps the files a template refers to inside the template's own folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote

from demoorg.errors import ContentError, DemoOrgError, UsageError

#: Temporary names: ``.<target name><mark><pid>`` (maybe followed by more), one mark per writer.
BUILD_MARK = ".building-"
EXPORT_MARK = ".exporting-"
PACK_MARK = ".packing-"
SAVE_MARK = ".saving-"
BACKUP_MARK = ".backing-up-"
#: Every writer's mark, for :func:`remove_leftovers`.
ALL_MARKS = (BUILD_MARK, EXPORT_MARK, PACK_MARK, SAVE_MARK, BACKUP_MARK)
#: The previous version of a saved template or story, beside it (never loaded: not ``.yaml``).
BACKUP_SUFFIX = ".bak"

_PID_AFTER_MARK = re.compile(r"^(\d+)")


class WriteFailed(DemoOrgError):
    """A file could not be written (disk full, read-only, no permission); nothing was changed.

    The CLI prints it in one line and exits 1: the command was right, the machine refused it.
    """


def os_reason(exc: BaseException) -> tuple[str, str]:
    """What went wrong in words, and what was expected instead, for an OS error."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "the disk is full", "free space on the disk"
    if code == errno.EROFS:
        return "the file system is read-only", "a folder you can write to"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied", "a folder you can write to"
    if code == errno.EIO:
        return "the disk reported an input/output error", "a working disk"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(text.split()), "a folder you can write to"


def write_failed(what: str, where: str | Path, exc: BaseException, kept: str = "") -> WriteFailed:
    """The error for ``what`` (``org``, ``export``…) not written to ``where`` because of ``exc``.

    ``kept`` says what survived (``the previous org is unchanged``); by default nothing changed.
    """
    reason, expected = os_reason(exc)
    kept = kept or "nothing was changed"
    return WriteFailed(f"cannot write {what} {where}: {reason}; {kept} (expected {expected})")


# --- durable writes ------------------------------------------------------------------------------


def temp_name(target: Path, mark: str) -> Path:
    """The hidden temporary sibling of ``target`` for this process: ``.<name><mark><pid>``."""
    full = Path(os.path.abspath(target))  # `out/` and `.` have a name and a parent too
    return full.parent / f".{full.name}{mark}{os.getpid()}"


def fsync_dir(folder: Path) -> None:
    """Makes a rename in ``folder`` durable; best effort (some systems cannot sync folders)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_new_file(path: Path, data: bytes) -> None:
    """Creates ``path`` (it must not exist), writes ``data`` and flushes it to disk.

    A failure removes the partial file and re-raises the OSError.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def atomic_write(path: Path, data: bytes, mark: str = SAVE_MARK) -> None:
    """Replaces ``path`` with ``data`` in one step: a temporary sibling, fsync, rename.

    Either the previous file or the new one is at ``path`` afterwards, whatever fails or however
    the process ends; a failure removes the temporary file and re-raises the OSError.
    """
    tmp = temp_name(path, mark)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # this process's own leftover from an earlier failed attempt
    write_new_file(tmp, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: leave its files alone
    return True


def remove_stale_temps(folder: Path, marks: Iterable[str], prefix: str = ".") -> list[Path]:
    """Removes temporary files and folders that writers killed mid-write left in ``folder``.

    Only names ``<prefix>…<mark><pid>…`` whose process is gone are removed: a write still under
    way (in this process or another) keeps its temporary file. Returns what was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix):
            continue
        for mark in marks:
            head, found, tail = name.rpartition(mark)
            if not found or not head:
                continue
            match = _PID_AFTER_MARK.match(tail)
            if match is None or _alive(int(match.group(1))):
                break
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
            except OSError:
                pass  # a read-only folder: nothing more to do here
            break
    return removed


def remove_leftovers(folders: Iterable[Path]) -> list[Path]:
    """Removes what killed demoorg writers of any kind left in ``folders`` (see above).

    Called when demoorg starts (the command line and the app), so an org folder never collects
    hidden half-written files; it reads one folder listing each and never raises.
    """
    removed: list[Path] = []
    for folder in folders:
        removed += remove_stale_temps(Path(folder), ALL_MARKS)
    return removed


def leftover_folders(recent_orgs: Iterable[str | Path] = ()) -> list[Path]:
    """The folders to clean when the app starts: the user's orgs folder and recent orgs' folders."""
    from demoorg.content.paths import user_home

    folders = [user_home() / "orgs"]
    for org in recent_orgs:
        if "://" not in str(org):  # an org on a server has no folder
            folder = Path(org).parent
            if folder not in folders:
                folders.append(folder)
    return folders


# --- templates and stories -----------------------------------------------------------------------


def _content_kind(path: Path) -> str:
    if path.name == "template.yaml":
        return "template"
    if path.parent.name == "stories" and path.suffix in (".yaml", ".yml"):
        return "story"
    raise UsageError(
        f"{path} is neither a template nor a story (expected <template>/template.yaml or "
        "<template>/stories/<name>.yaml)"
    )


def _check_template_text(path: Path, text: str) -> None:
    """Loads ``text`` as the template at ``path`` would load, without touching ``path``.

    The text is loaded from a hidden sibling folder, so ``extends`` finds the same base templates;
    an error names ``path`` (and its line), not the hidden folder.
    """
    from demoorg.content.stories import display_path
    from demoorg.content.template import load_template

    folder = Path(os.path.abspath(path.parent))
    probe = temp_name(folder, ".checking-")
    shutil.rmtree(probe, ignore_errors=True)
    try:
        probe.mkdir()
        (probe / "template.yaml").write_bytes(text.encode("utf-8"))
        load_template(probe)
    except ContentError as exc:
        shown = exc.path or ""
        with contextlib.suppress(OSError, ValueError):
            if Path(shown).resolve() == (probe / "template.yaml").resolve():
                shown = display_path(path)
        raise ContentError(exc.message, shown, exc.line) from None
    except OSError as exc:
        raise write_failed("template", path, exc) from None
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def _check_story_text(path: Path, text: str) -> None:
    from demoorg.content.stories import display_path, load_story_text
    from demoorg.content.template import load_template

    tpl = load_template(path.parent.parent)
    load_story_text(text, tpl, display_path(path))


def save_content(path: str | Path, text: str) -> Path | None:
    """Saves a user's template (``template.yaml``) or story (``stories/<name>.yaml``) safely.

    The text is loaded first, as demoorg will load it (a story against its template), so a save
    that would break the template or story is refused and the file is left as it was. Then the
    previous version is kept as ``<name>.bak`` and the new text replaces the file in one step: a
    failure or a killed process leaves the previous version or the new one, never a mix.

    Returns:
        The backup of the previous version, or None when the file is new.

    Raises:
        ContentError: the text does not load (``path:line: …``); nothing was written.
        UsageError: ``path`` is neither a template nor a story file.
        WriteFailed: the disk refused the write; the previous version is unchanged.
    """
    path = Path(path)
    kind = _content_kind(path)
    if not path.parent.is_dir():
        raise UsageError(f"folder {path.parent} does not exist (expected an existing folder)")
    remove_stale_temps(path.parent, (SAVE_MARK, BACKUP_MARK))
    if kind == "template":
        _check_template_text(path, text)
    else:
        _check_story_text(path, text)
    kept = f"the previous {kind} is unchanged"
    try:
        previous = path.read_bytes() if path.exists() else None
    except OSError as exc:
        raise write_failed(kind, path, exc, kept) from None
    data = text.encode("utf-8")
    tmp = temp_name(path, SAVE_MARK)
    backup = path.with_name(path.name + BACKUP_SUFFIX) if previous is not None else None
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        write_new_file(tmp, data)
        if backup is not None and previous is not None:
            # The backup is itself replaced atomically, so a failure here cannot cost the user
            # the version before this one either.
            atomic_write(backup, previous, mark=BACKUP_MARK)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise write_failed(kind, path, exc, kept) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return backup


# --- containment ---------------------------------------------------------------------------------


def check_asset_path(folder: Path, ref: str) -> Path:
    """The file ``ref`` names inside a template's ``folder``; raises ValueError when it escapes.

    A reference is a relative path with ``/`` between its parts (``assets/logo.png``). Refused:
    absolute paths (``/…``, ``C:\\…``, ``\\\\server\\…``), backslashes, ``..`` parts (also
    percent-encoded, ``%2e%2e/``), control characters, and paths that leave the folder through a
    symlink.
    """
    if not ref.strip():
        raise ValueError("is empty (expected a file such as assets/logo.png)")
    if any(ord(c) < 32 for c in ref):
        raise ValueError("has control characters (expected a plain relative path)")
    if unquote(ref) != ref:  # %2e%2e/ means ../ to anything that decodes it later
        raise ValueError("is percent-encoded (expected a plain path such as assets/logo.png)")
    if PurePosixPath(ref).is_absolute() or PureWindowsPath(ref).drive or ref.startswith("~"):
        raise ValueError("is an absolute path (expected a path inside the template folder)")
    if "\\" in ref:
        raise ValueError("uses backslashes (expected / between folders, e.g. assets/logo.png)")
    parts = ref.split("/")
    if ".." in parts:
        raise ValueError("leaves the template folder through .. (expected a path inside it)")
    if any(p in ("", ".") for p in parts):
        raise ValueError("has an empty or '.' part (expected a path such as assets/logo.png)")
    base = Path(folder).resolve()
    target = Path(folder).joinpath(*parts)
    if not target.resolve().is_relative_to(base):
        raise ValueError(
            "leaves the template folder through a symlink (expected a file inside the folder)"
        )
    return target
