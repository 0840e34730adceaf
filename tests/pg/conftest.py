"""A throwaway PostgreSQL server for the team-org tests: one cluster per test session.

The cluster lives in a temporary folder (``initdb`` + ``pg_ctl`` from Debian's ``postgresql``
package, found on PATH or in ``/usr/lib/postgresql/*/bin``), listens on a free loopback port with
trust authentication and its socket in that folder, runs without fsync (nothing in it needs to
survive), and is stopped and removed at the end of the session.

``initdb`` refuses to run as root; as root the cluster is run as the unprivileged ``postgres``
system user (``runuser -u postgres --``), which Debian's package creates.

Where no PostgreSQL binaries exist the tests skip, saying why. Under ``DEMOORG_REQUIRE_PG=1``
(set by ``.ci/run``) a missing or broken server fails the tests instead: CI always runs them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.content import model as m
from demoorg.content.releases import parse_release
from demoorg.content.template import load_template
from demoorg.seeders.build import BuildResult, build_org
from demoorg.seeders.plan import BuildParams
from demoorg.seeders.writers import PgTarget, parse_target

REQUIRE_ENV = "DEMOORG_REQUIRE_PG"
TEST_DB = "demoorg_test"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but {reason}", pytrace=False)
    pytest.skip(f"team-org tests need a PostgreSQL server: {reason}")


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH first, then the newest Debian version."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One initdb'd data folder and the server running on it."""

    def __init__(self, bin_dir: Path, root: Path, run_as: list[str]) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.run_as = run_as
        self.port = 0

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        return subprocess.run(
            [*self.run_as, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.root,
            check=False,
        )

    def init(self) -> str | None:
        done = self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        return None if done.returncode == 0 else (done.stderr or done.stdout).strip()

    def start(self) -> str | None:
        error = None
        for _ in range(3):  # a free port can be taken between finding and binding it
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=50"
            )
            done = self._run(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            )
            if done.returncode == 0:
                return None
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            error = (done.stderr or done.stdout).strip() + " " + log[-500:]
        return error

    def stop(self) -> None:
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "stop",
            timeout=60,
        )


def _run_as_unprivileged(root: Path) -> list[str] | str:
    """The command prefix that runs the server as a normal user (empty unless we are root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    import pwd

    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        return "running as root and there is no 'postgres' user to run the server as"
    runuser = shutil.which("runuser")
    if runuser is None:
        return "running as root and runuser is not installed"
    os.chown(root, user.pw_uid, user.pw_gid)
    return [runuser, "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A fresh PostgreSQL server for the session; yields the URL of its empty test database."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        _unavailable(
            "no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin "
            "(install Debian's postgresql package)"
        )
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg 3 is not installed (pip install 'psycopg[binary]>=3.1')")
    root = Path(tempfile.mkdtemp(prefix="demoorg-pg-"))
    root.chmod(0o755)
    run_as = _run_as_unprivileged(root)
    if isinstance(run_as, str):
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(run_as)
    cluster = Cluster(bin_dir, root, run_as)
    error = cluster.init()
    if error:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"initdb failed: {error}")
    error = cluster.start()
    if error:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"pg_ctl start failed: {error}")
    try:
        with psycopg.connect(
            host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {TEST_DB}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/{TEST_DB}"
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- orgs built on the server and, with the same parameters, in a file ------------------------

INDUSTRIES = Path(__file__).resolve().parents[2] / "industries"
AS_OF = date(2026, 11, 23)
SIZE = 2000  # the audit's bands are tuned for this size (tests/org/test_audit.py)


def params_for(
    tpl: m.TemplateDef, *, seed: int = 1, size: int = SIZE, locale: str = "en_US"
) -> BuildParams:
    return BuildParams(
        industry=tpl.industry,
        seed=seed,
        size=size,
        size_name=str(size),
        locale=locale,
        as_of=AS_OF,
        release=parse_release("Winter '27"),
    )


@dataclass(frozen=True)
class OrgPair:
    """One template built twice with the same parameters: on the server and in a file."""

    industry: str
    pg: PgTarget
    file: Path
    pg_result: BuildResult
    file_result: BuildResult


@pytest.fixture(scope="session")
def pg_target(pg_server: str) -> Callable[[str], PgTarget]:
    """``pg_target(name)``: the org ``name`` on the session's server."""

    def make(name: str) -> PgTarget:
        target = parse_target(pg_server, name)
        assert isinstance(target, PgTarget)
        return target

    return make


@pytest.fixture(scope="session")
def build_core() -> Callable[..., BuildResult]:
    """``build_core(target, seed=1, size=300, force=…, cancelled=…, progress=…)``: a core org."""
    tpl = load_template(INDUSTRIES / "_core")

    def build(
        target: PgTarget | Path, *, seed: int = 1, size: int = 300, **kwargs: Any
    ) -> BuildResult:
        return build_org(tpl, params_for(tpl, seed=seed, size=size), target, **kwargs)

    return build


@pytest.fixture(scope="session")
def shipped_pair(
    pg_target: Callable[[str], PgTarget], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], OrgPair]:
    """``shipped_pair(industry)``: a shipped template built on the server and in a file, once."""
    cache: dict[str, OrgPair] = {}
    folder = tmp_path_factory.mktemp("pg-pairs")

    def get(industry: str) -> OrgPair:
        if industry not in cache:
            tpl = load_template(INDUSTRIES / industry)
            target = pg_target(f"shipped_{industry.strip('_')}")
            path = folder / f"{industry}.demoorg"
            cache[industry] = OrgPair(
                industry,
                target,
                path,
                build_org(tpl, params_for(tpl), target),
                build_org(tpl, params_for(tpl), path),
            )
        return cache[industry]

    return get
