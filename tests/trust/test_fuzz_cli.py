"""Fuzzed command lines: every argument vector ends in exit 0, 1 or 2, and 2 means one line.

``demoorg.cli.main`` runs in-process with generated arguments for each subcommand: valid values
mixed with near misses, unicode, empty and very long strings, unknown flags and missing files. A
user who mistypes sees one ``demoorg: …`` line on stderr and exit code 2, never a traceback.
Seeding that gets through stays tiny (50 records of the shared base, written to a temporary
folder), and nothing that would start the app, the presenter or a server connection is generated.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from demoorg.cli import main

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "industries" / "_core"

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

#: A command that answers usage mistakes takes milliseconds and a tiny seed under a second.
HANG_SECONDS = 30

FUZZ = settings(
    max_examples=250,
    deadline=None,  # the hard guard below catches hangs; a deadline would flake on a busy machine
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Hung(BaseException):
    """A command ran past its time limit (a BaseException, so no ``except Exception`` hides it)."""


@contextlib.contextmanager
def hard_timeout(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fails with :class:`Hung` after ``seconds``; faulthandler ends a run stuck in C code."""

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


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Runs ``demoorg argv`` in-process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    with hard_timeout():
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse exits by itself
            code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_outcome(code: int, out: str, err: str) -> None:
    """Exit 0, 1 or 2; no traceback; a usage error is exactly one ``demoorg:`` line."""
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "Traceback" not in out, err
    assert "internal error" not in err, err
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("demoorg: "), err
        assert err.endswith("\n")


# --- argument material ---------------------------------------------------------------------------

odd_text = st.one_of(
    st.sampled_from(
        ["", " ", "-", "--", "-x", "\t", "é", "٢٧", "🦄👩‍👩‍👧", "\u202eevil", "a\nb", "x" * 5000]
    ),
    st.text(max_size=12).filter(lambda s: "\x00" not in s),  # argv can hold no NUL byte
)


def near(valid: list[str]) -> st.SearchStrategy[str]:
    """Valid values, mistyped ones, and odd text."""
    return st.one_of(st.sampled_from(valid), odd_text)


SEED_OPTIONS: dict[str, st.SearchStrategy[str] | None] = {
    "--industry": near([str(CORE), "nope", "medical/", str(REPO / "README.md")]),
    "--release": near(
        ["Summer '27", "Winter 27", "Sumer '27", "62.0", "-62.0", "9999.0", "2027-02-30", "٢٧"]
    ),
    "--size": near(["50", "0", "-5", "lots", "1e3", "20000001", "10" * 40, "٥٠", "5_0", "small"]),
    "--seed": near(["1", "-1", "1.5", "abc", "9" * 5000, "٣"]),
    "--locale": near(["en_US", "xx_YY", "de", "en_US.UTF-8", "../../etc"]),
    "--color": near(["#0176D3", "#GGGGGG", "red", "#fff", "#0176D3\n"]),
    "--as-of": near(
        ["2026-11-23", "2026-13-45", "0001-01-01", "9999-12-31", "yesterday", "2026-11-23T10:00"]
    ),
    "--logo": near(["missing.png", "logo.gif", str(REPO / "README.md"), "/"]),
    "--prospect": near(["Acme", 'O\'Brien "Ltd"', "'; DROP TABLE Account; --", "  "]),
    "--domain": near(["acme.example.com", "not a domain", "@@", "xn--80ak6aa92e.com"]),
    "--preview": None,
    "--quiet": None,
    "--bogus": None,
}


@st.composite
def seed_argv(draw: st.DrawFn) -> list[str]:
    """``seed`` with a subset of options; a build, if one happens, is 50 records in the cwd."""
    argv = ["seed", "--out", "org.demoorg", "--force", "--industry", str(CORE), "--size", "50"]
    argv += ["--as-of", "2026-11-23"]
    for option in draw(st.lists(st.sampled_from(sorted(SEED_OPTIONS)), max_size=4, unique=True)):
        values = SEED_OPTIONS[option]
        argv += [option] if values is None else [option, draw(values)]
    if draw(st.booleans()):  # a later copy of --size wins: keep real builds small
        argv += ["--size", draw(st.sampled_from(["50", "0", "nope", "20000001"]))]
    return argv


def _seed(*extra: str) -> list[str]:
    return [
        "seed",
        "--out",
        "org.demoorg",
        "--force",
        "--industry",
        str(CORE),
        "--size",
        "50",
        *extra,
    ]


@st.composite
def other_argv(draw: st.DrawFn, org: str) -> list[str]:
    """Every other subcommand, with files that exist, do not, or are not orgs."""
    target = draw(
        near([org, "missing.demoorg", str(REPO), str(REPO / "README.md"), "sqlite:///nope"])
    )
    command = draw(
        st.sampled_from(
            [
                ["info", target],
                ["info", target, "--json"],
                ["info"],
                ["info", target, "--org", draw(odd_text)],
                ["stories", target],
                ["stories", target, "--json"],
                ["audit", target, "--rule", draw(near(["dates-in-order", "nope"]))],
                ["audit", "--list"],
                ["audit"],
                [
                    "export",
                    target,
                    "-",
                    "--format",
                    draw(near(["json", "dataloader", "cumulusci", "xml"])),
                ],
                ["export", target, draw(odd_text), "--format", "json"],
                ["validate", draw(near([str(CORE), "nope", str(REPO / "README.md")]))],
                [
                    "releases",
                    "--on",
                    draw(near(["2026-11-23", "0001-01-01", "2026-02-30", "9999-12-31"])),
                ],
                ["releases", "--on"],
                ["install", draw(near(["missing.demopack", str(REPO / "README.md")]))],
                ["pack", draw(near(["nope", str(REPO / "README.md")]))],
                [draw(odd_text)],
                ["--bogus"],
                ["seed", draw(odd_text)],
            ]
        )
    )
    if draw(st.booleans()):
        command.append(draw(st.sampled_from(["--bogus", "--json", "-", "--", "x" * 3000, "é"])))
    return command


@pytest.fixture(scope="module")
def tiny_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50-record org of the shared base that commands may read (never write)."""
    out = tmp_path_factory.mktemp("fuzz-cli") / "tiny.demoorg"
    argv = ["seed", "--industry", str(CORE), "--size", "50", "--as-of", "2026-11-23"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    return out


@FUZZ
@given(argv=seed_argv())
@example(argv=_seed("--color", "#GGGGGG"))  # was accepted and stored in the org
@example(argv=_seed("--seed", "9" * 5000))  # was an internal error from int()
@example(argv=_seed("--release", "Summer ٢٧"))  # was read as Summer '27
def test_seed_arguments_end_in_0_or_one_line(
    argv: list[str],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tally: Callable[[str, int], None],
) -> None:
    tally("CLI argument vectors run", 1)
    folder = tmp_path_factory.getbasetemp() / "fuzz-seed"
    folder.mkdir(exist_ok=True)
    monkeypatch.chdir(folder)  # the org, a relative --logo or a default output land here
    code, stdout, stderr = run(argv, capsys)
    assert_clean_outcome(code, stdout, stderr)
    if code == 0:
        assert "Built" in stdout or stdout.strip().endswith(".demoorg"), stdout
        tally("CLI seeds that built an org", 1)


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--color", "#GGGGGG", "invalid colour '#GGGGGG'"),  # was accepted and stored in the org
        ("--color", "#0176D\n", "invalid colour"),
        ("--seed", "9" * 5000, "invalid seed"),  # was an internal error from int()
        ("--release", "Summer ٢٧", "unknown release"),  # was read as Summer '27
        ("--logo", "missing.png", "cannot read logo"),
        ("--logo", "/", "is not a PNG, SVG or JPEG"),
    ],
)
def test_seed_mistakes_found_by_fuzzing_are_one_line(
    option: str,
    value: str,
    needle: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["seed", "--industry", str(CORE), "--size", "50", "--out", str(tmp_path / "o.demoorg")]
    code, out, err = run([*argv, option, value], capsys)
    assert code == 2, err
    assert_clean_outcome(code, out, err)
    assert needle in err, err
    assert not (tmp_path / "o.demoorg").exists()


@FUZZ
@given(data=st.data())
def test_other_commands_end_in_0_1_or_one_line(
    data: st.DataObject,
    tiny_org: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tally: Callable[[str, int], None],
) -> None:
    tally("CLI argument vectors run", 1)
    folder = tmp_path_factory.getbasetemp() / "fuzz-other"
    folder.mkdir(exist_ok=True)
    monkeypatch.chdir(folder)  # exports to relative paths land here
    before = tiny_org.read_bytes()
    code, out, err = run(data.draw(other_argv(str(tiny_org))), capsys)
    assert_clean_outcome(code, out, err)
    assert tiny_org.read_bytes() == before  # reading an org never changes it
