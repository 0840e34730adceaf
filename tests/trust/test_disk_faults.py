"""A full disk or a read-only folder during a build, an export or a pack: one line, nothing half-done.

Every case runs the command line in-process and checks what a user sees and what is left: exit 1
with one ``demoorg: cannot write …`` line (no traceback), and the destination folder exactly as it
was before, byte for byte — the previous org, export or pack untouched, no partial output and no
temporary file.

Two ways to make the disk refuse:

- real: a tiny tmpfs mounted for the test (full disk), or one remounted read-only (as root, chmod
  does not stop writes). These need the right to mount and are skipped, saying so, without it.
- simulated, always run: the write of the Nth chunk (or the Nth fsync/rename) raises ``ENOSPC``,
  ``EROFS`` or ``EIO``, for every N up to the end of the write.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from demoorg.cli import main
from demoorg.content.files import WriteFailed
from demoorg.seeders import writers

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "industries" / "_core"
FORMATS = ("json", "dataloader", "cumulusci")


def seed_argv(out: Path, seed: int = 1, size: int = 200) -> list[str]:
    return [
        "seed",
        "--industry",
        str(CORE),
        "--size",
        str(size),
        "--seed",
        str(seed),
        "--as-of",
        "2026-11-23",
        "--release",
        "Winter '27",
        "--out",
        str(out),
        "--force",
        "--quiet",
    ]


def export_argv(org: Path, fmt: str, out: Path) -> list[str]:
    return ["export", str(org), str(out), "--format", fmt, "--force"]


def pack_argv(out: Path) -> list[str]:
    return ["pack", str(REPO / "industries" / "medical"), "--out", str(out), "--force"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and its sha256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "/"
        for p in sorted(folder.rglob("*"))
    }


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    _out, err = capsys.readouterr()
    return code, err


def assert_refused(code: int, err: str, *reasons: str) -> None:
    assert code == 1, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("demoorg: cannot write "), err
    assert "Traceback" not in err and "internal error" not in err, err
    assert any(r in err for r in reasons), err


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small org to export (built once, outside any test's target folder)."""
    path = tmp_path_factory.mktemp("source") / "source.demoorg"
    assert main(seed_argv(path, seed=9)) == 0
    return path


def make_previous(kind: str, dest: Path, org: Path) -> list[str]:
    """Writes the previous output of ``kind`` into ``dest``; returns the argv that replaces it."""
    if kind == "build":
        assert main(seed_argv(dest / "org.demoorg", seed=1)) == 0
        return seed_argv(dest / "org.demoorg", seed=2)
    if kind == "pack":
        assert main(pack_argv(dest / "medical.demopack")) == 0
        return pack_argv(dest / "medical.demopack")
    out = dest / ("org.json" if kind == "json" else "export")
    assert main(export_argv(org, kind, out)) == 0
    return export_argv(org, kind, out)


KINDS = ("build", *FORMATS, "pack")


# --- real file systems -----------------------------------------------------------------------------


def _mount(*args: str) -> str | None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a test file system needs root"
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else (done.stderr.strip() or "mount failed")


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``mounted(size)``: a fresh tmpfs of ``size`` (``256k``) under tmp_path; skips without root."""
    points: list[Path] = []

    def make(size: str) -> Path:
        point = tmp_path / f"fs-{uuid.uuid4().hex[:6]}"
        point.mkdir()
        error = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point))
        if error:
            pytest.skip(f"real full-disk and read-only tests need a tmpfs mount: {error}")
        points.append(point)
        return point

    yield make
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_disk_leaves_the_previous_output_untouched(
    kind: str,
    org: Path,
    mounted: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[str, int], None],
) -> None:
    dest = mounted("8m")
    argv = make_previous(kind, dest, org)
    # Fill the disk, then free a little: the new output starts to be written but cannot finish.
    filler = dest / "filler"
    with filler.open("wb") as fh, pytest.raises(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    os.truncate(filler, max(0, filler.stat().st_size - 16384))
    before = snapshot(dest)
    code, err = run(argv, capsys)
    if code == 0:
        pytest.fail(f"the {kind} fitted on the small disk; the test needs a smaller one")
    assert_refused(code, err, "the disk is full")
    assert snapshot(dest) == before
    tally("disk faults survived", 1)


@pytest.mark.parametrize("kind", KINDS)
def test_a_read_only_folder_is_refused_and_left_alone(
    kind: str,
    org: Path,
    mounted: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[str, int], None],
) -> None:
    dest = mounted("4m")
    argv = make_previous(kind, dest, org)
    error = _mount("-o", "remount,ro", str(dest))
    if error:
        pytest.skip(f"cannot remount the test file system read-only: {error}")
    before = snapshot(dest)
    code, err = run(argv, capsys)
    # Seen before any work (exit 2, "read-only") or when the first write fails (exit 1).
    assert code in (1, 2), err
    assert len(err.splitlines()) == 1 and "read-only" in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert snapshot(dest) == before
    tally("disk faults survived", 1)


# --- simulated faults --------------------------------------------------------------------------------


class _FailingFile:
    """A file object whose writes count towards a shared budget, then raise ``OSError(code)``."""

    def __init__(self, fh: Any, fault: _Fault) -> None:
        self._fh = fh
        self._fault = fault

    def write(self, data: Any) -> int:
        self._fault.tick()
        return int(self._fh.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._fh.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._fh)


class _Fault:
    """Raises ``OSError(code)`` at the ``at``-th write step, counting every patched call."""

    def __init__(self, at: int, code: int) -> None:
        self.at, self.code, self.calls = at, code, 0
        self.hit_folder_sync = False

    def tick(self, folder_sync: bool = False) -> None:
        self.calls += 1
        if self.calls == self.at:
            self.hit_folder_sync = folder_sync
            raise OSError(self.code, os.strerror(self.code))


os_fsync = os.fsync


def inject(monkeypatch: pytest.MonkeyPatch, fault: _Fault, dest: Path) -> None:
    """Makes every write step into ``dest`` count towards ``fault``: file writes, os.write,
    fsync, rename, replace, and SQLite inserts into a file being built there."""
    real_open = io.open

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+") and str(dest) in os.path.abspath(str(file)):
            return _FailingFile(fh, fault)
        return fh

    monkeypatch.setattr(io, "open", fake_open)

    def where(arg: Any) -> str:
        if isinstance(arg, int):  # a file descriptor: where does it point?
            try:
                arg = os.readlink(f"/proc/self/fd/{arg}")
            except OSError:
                return ""
        return os.path.abspath(os.fsdecode(arg))

    for name in ("write", "fsync", "replace", "rename"):
        real = getattr(os, name)

        def patched(first: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            path = where(first)
            if str(dest) in path:
                fault.tick(folder_sync=_real is os_fsync and os.path.isdir(path))
            return _real(first, *args, **kwargs)

        monkeypatch.setattr(os, name, patched)
    real_insert = writers.SQLiteWriter.insert_rows

    def insert_rows(self: Any, *args: Any) -> None:
        try:
            fault.tick()
        except OSError:
            # What SQLite itself reports for each fault: SQLITE_FULL, _READONLY or _IOERR.
            code, message = {
                errno.ENOSPC: (13, "database or disk is full"),
                errno.EROFS: (8, "attempt to write a readonly database"),
            }.get(fault.code, (10, "disk I/O error"))
            exc = sqlite3.OperationalError(message)
            exc.sqlite_errorcode = code  # type: ignore[attr-defined]
            raise exc from None
        real_insert(self, *args)

    monkeypatch.setattr(writers.SQLiteWriter, "insert_rows", insert_rows)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("code", "points"), [(errno.ENOSPC, 16), (errno.EROFS, 5), (errno.EIO, 5)])
def test_a_write_failing_at_any_step_changes_nothing(
    kind: str,
    code: int,
    points: int,
    org: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[str, int], None],
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    argv = make_previous(kind, dest, org)
    before = snapshot(dest)
    # A first run with no fault counts the write steps (then the previous output is put back).
    saved = tmp_path / "saved"
    shutil.copytree(dest, saved)
    counter = _Fault(0, code)
    with pytest.MonkeyPatch.context() as mp:
        inject(mp, counter, dest)
        assert run(argv, capsys)[0] == 0
    steps = counter.calls
    assert steps >= 3
    shutil.rmtree(dest)
    shutil.copytree(saved, dest)
    # The first steps, the last steps, and evenly spread ones between.
    ats = sorted({1, 2, steps - 1, steps, *(1 + i * (steps - 1) // points for i in range(points))})
    reason = {errno.ENOSPC: "the disk is full", errno.EROFS: "read-only", errno.EIO: "error"}
    for at in ats:
        fault = _Fault(at, code)
        with pytest.MonkeyPatch.context() as mp:
            inject(mp, fault, dest)
            status, err = run(argv, capsys)
        if status == 0:
            # Syncing a folder is best effort (some systems cannot): a failure there is the only
            # one that may pass, and the output is then complete with nothing left over.
            assert fault.hit_folder_sync, (at, steps, err)
            assert not [p for p in snapshot(dest) if "ing-" in p], snapshot(dest)
            shutil.rmtree(dest)
            shutil.copytree(saved, dest)
            continue
        assert_refused(status, err, reason[code])
        assert snapshot(dest) == before, f"fault at step {at} of {steps}"
    tally("simulated write faults survived", len(ats))


def test_write_failed_is_one_line_naming_the_target() -> None:
    from demoorg.content.files import write_failed

    error = write_failed("org", Path("/x/org.demoorg"), OSError(errno.ENOSPC, "No space"))
    assert isinstance(error, WriteFailed)
    assert str(error) == (
        "cannot write org /x/org.demoorg: the disk is full; nothing was changed "
        "(expected free space on the disk)"
    )
