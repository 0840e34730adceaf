"""Offline use: on a plane, at a customer's site with no guest Wi-Fi, everything still works.

With every way Python opens a connection made to fail (and to record the attempt), an SE seeds an
org, browses it in the app (list, record, dashboard, search), presents a story, exports it in all
three formats, packs a template and installs the pack. Each step succeeds and no connection was
ever attempted — including by Faker, whose internet providers (emails, URLs, IP addresses, user
agents) only make up text.

A fresh interpreter doing the same command-line work also proves that no HTTP client (nor the
PostgreSQL driver, which only a server org needs) is even imported.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.cli import main

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 23)
TODAY = date(2026, 12, 10)
#: Modules that talk to other machines; none has any business in a file org's workflow.
NETWORK_MODULES = (
    "urllib.request",
    "http.client",
    "requests",
    "httpx",
    "urllib3",
    "aiohttp",
    "smtplib",
    "ftplib",
    "xmlrpc.client",
    "psycopg",
    "PySide6.QtNetwork",
)


class NetworkAttempt(OSError):
    """Raised by the patched socket functions (an offline laptop's error, as code would see it)."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Python way to open a connection or resolve a name fails, and is recorded.

    Code that caught the error and went on quietly would still leave its attempt in the list, so
    the test asserts the list is empty, not only that the steps succeeded. (Qt needs no socket
    for the offscreen platform, and opens none: checked below through /proc.)
    """
    attempts: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            where = "".join(traceback.format_stack(limit=6)[:-1])
            attempts.append(f"{name}{args[1:] if name == 'socket()' else args}\n{where}")
            raise NetworkAttempt(f"network disabled in this test: {name}")

        return refused

    monkeypatch.setattr(socket.socket, "__init__", refuse("socket()"))
    for fn in (
        "create_connection",
        "getaddrinfo",
        "gethostbyname",
        "gethostbyname_ex",
        "gethostbyaddr",
        "getnameinfo",
        "socketpair",
    ):
        monkeypatch.setattr(socket, fn, refuse(fn))
    yield attempts
    assert not attempts, f"{len(attempts)} network call(s) attempted; first:\n{attempts[0]}"


def inet_sockets() -> set[str]:
    """The TCP/UDP sockets this process holds (any library, Python or C), by inode (Linux)."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    inet = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        path = Path("/proc/self/net") / table
        if path.exists():
            for line in path.read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[9] in inodes:
                    inet.add(fields[9])
    return inet


def cli(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exc:  # argparse exits by itself
        return exc.code if isinstance(exc.code, int) else 1


def test_socket_patch_refuses_and_records(no_network: list[str]) -> None:
    """The guard itself: a connection attempt fails and is recorded (then forgotten here)."""
    with pytest.raises(NetworkAttempt):
        socket.create_connection(("example.com", 443), timeout=1)
    with pytest.raises(NetworkAttempt):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert len(no_network) == 2
    no_network.clear()


def test_the_whole_workflow_runs_offline(  # type: ignore[no-untyped-def]
    qtbot, qapp, tmp_path: Path, capsys: pytest.CaptureFixture[str], tally
) -> None:
    held = inet_sockets() if Path("/proc/self/net").exists() else set()
    org = tmp_path / "northwind.demoorg"

    # seed (Faker, geography, phones), in-process
    code = cli(
        "seed", "--industry", "medical", "--size", "600", "--as-of", AS_OF.isoformat(),
        "--prospect", "Northwind Health", "--out", str(org), "--quiet",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert org.is_file()

    # browse it in the app: a list, a record, a dashboard, a search
    from PySide6.QtCore import QSettings

    from demoorg.org.orgfile import open_org
    from demoorg.ui import theme
    from demoorg.ui.builder import load_summaries
    from demoorg.ui.main_window import MainWindow
    from demoorg.ui.navigation import Location

    theme.apply(qapp)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, today=AS_OF, summaries=load_summaries())
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    assert win.open_path(str(org))
    with open_org(org) as o:
        hero = o.meta["heroes"]["maria"]
    assert win.navigate(Location.list("Account"))
    assert win.current_page() is win.list_view and win.list_view.model.total > 0
    assert win.navigate(Location.record("Account", hero["id"]))
    assert win.current_page() is win.record_page
    assert win.record_page.record is not None and win.record_page.record.id == hero["id"]
    assert win.navigate(Location.dashboard("care-team"))
    assert win.current_page() is win.dashboard
    win.close()

    # present a story: console and audience, a few moves, the end
    from demoorg.ui.presenter import run_presenter

    story = REPO / "industries" / "medical" / "stories" / "cfo-care-gaps.yaml"
    p = run_presenter(org, story, today=TODAY, settings=settings)
    qtbot.addWidget(p.console)
    qtbot.addWidget(p.audience)
    start = p.runner.index
    for _ in range(3):
        p.trigger("demoorg.presenter.next")
        qtbot.waitUntil(lambda: not p.busy, timeout=5000)
    assert p.runner.index != start and not p.last_error
    p.end()
    assert p.finished

    # export in all three formats
    for fmt, out in (
        ("dataloader", tmp_path / "dataloader"),
        ("cumulusci", tmp_path / "cumulusci"),
        ("json", tmp_path / "org.json"),
    ):
        assert cli("export", str(org), str(out), "--format", fmt) == 0, capsys.readouterr().err
        assert out.exists()
    assert json.loads((tmp_path / "org.json").read_text("utf-8"))

    # pack a template and install the pack
    pack = tmp_path / "medical.demopack"
    assert cli("pack", "medical", "--out", str(pack)) == 0, capsys.readouterr().err
    assert cli("install", str(pack)) == 0, capsys.readouterr().err
    assert "Installed" in capsys.readouterr().out

    if Path("/proc/self/net").exists():
        assert inet_sockets() <= held, "a TCP or UDP socket was opened (outside Python?)"
    tally("offline steps that ran without a network", 7)


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "ja_JP", "zh_CN", "pt_BR"])
def test_faker_internet_providers_make_up_text_offline(locale: str, tally) -> None:  # type: ignore[no-untyped-def]
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(7)
    made = [
        fake.email(),
        fake.safe_email(),
        fake.url(),
        fake.domain_name(),
        fake.ipv4(),
        fake.ipv6(),
        fake.user_agent(),
        fake.image_url(),
        fake.uri(),
        fake.hostname(),
    ]
    assert all(isinstance(x, str) and x for x in made)
    tally("Faker internet values made offline", len(made))


def test_a_fresh_interpreter_imports_no_network_client(tmp_path: Path) -> None:
    """Seeding, exporting, packing and opening the app's windows import no HTTP client or
    database driver for a file org (a whole process, so earlier tests cannot hide an import)."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from demoorg.cli import main
        org = {str(tmp_path / "o.demoorg")!r}
        codes = [main(["seed", "--industry", "telecom", "--size", "300", "--as-of",
                       "2026-11-23", "--out", org, "--quiet"])]
        codes.append(main(["export", org, {str(tmp_path / "o.json")!r}, "--format", "json"]))
        codes.append(main(["pack", "telecom", "--out", {str(tmp_path / "t.demopack")!r}]))
        codes.append(main(["install", {str(tmp_path / "t.demopack")!r}]))
        import demoorg.ui.main_window, demoorg.ui.presenter  # the app's windows, as the app loads them
        print(json.dumps({{"codes": codes, "modules": sorted(sys.modules)}}))
        """
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DEMOORG_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"] == [0, 0, 0, 0]
    loaded = [m for m in NETWORK_MODULES if m in result["modules"]]
    assert loaded == [], f"a file org's workflow imported {loaded}"
