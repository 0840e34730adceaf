"""Seeding benchmarks: rows/s and peak memory of demoorg against its targets.

Run from anywhere (it finds the project from its own location)::

    python bench/seed_bench.py                  # everything, best of 3 (about 90 s)
    python bench/seed_bench.py --repeat 1       # one run each (about 30 s)
    python bench/seed_bench.py --skip-snowfakery
    python bench/seed_bench.py --million-only   # only the 1,000,000-row memory run

What is measured (see bench/README.md for the targets and how to read the figures):

1. The CRM shape (bench/crm_shape): 10,000 Accounts, each with 3 Contacts and 2 Opportunities,
   60,000 rows written to SQLite by demoorg; the same shape through Snowfakery 4.2.1; and plain
   ``sqlite3`` ``executemany`` of the very rows demoorg wrote, as a floor for the write cost.
2. The same shape scaled to 1,000,000 rows, for peak memory (demoorg writes in batches).
3. ``demoorg seed --industry medical --size standard`` through the real CLI, wall clock.

Every measurement runs in a child process of its own, so one measurement's imports, caches and
heap do not flatter or burden the next, and each child's peak RSS is its own. For the ratio,
demoorg and Snowfakery each build ``--repeat`` times in their own process and the fastest build
counts (steady state); the first build of each process is printed too. A child is this same
script started with the hidden ``--child`` option; it prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import metadata, util
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHAPE = BENCH / "crm_shape"
RECIPE = SHAPE / "snowfakery.yml"

SHAPE_ROWS = 60_000  # 10,000 Accounts + 30,000 Contacts + 20,000 Opportunities: scale exactly 1
MILLION = 1_000_000
SNOWFAKERY_VERSION = "4.2.1"

# The targets (2-core machine). Kept together so the README and the printed table agree.
TARGET_ROWS_PER_S = 100_000
TARGET_RATIO = 50.0
TARGET_PEAK_MB = 400.0
TARGET_CLI_S = 3.0

RESULT_MARK = "RESULT "


# --- children: one measured run each ----------------------------------------------------------
#
# The clock starts after imports, so a child times the work itself (template or recipe in,
# SQLite file out) and not Python's start-up; the CLI run (target 3) is the one that includes
# start-up, because that is what a person waits for.


def _peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (VmHWM, else ru_maxrss)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def _table_counts(path: Path, tables: tuple[str, ...]) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def child_demoorg(size: int, out: Path, warm: int = 1) -> dict[str, Any]:
    """Builds the CRM shape at ``size`` rows with demoorg's own API, timed end to end.

    With ``warm`` > 1 the same process builds again: ``first`` is the build in a fresh process,
    ``seconds`` the fastest (steady state, as a long-running app or a warm CLI cache sees it).
    """
    times = []
    for _ in range(warm):
        result = _demoorg_once(size, out)
        times.append(result["seconds"])
    result["seconds"], result["first"] = min(times), times[0]
    return result


def shape_params(tpl: Any, size: int) -> Any:
    """Build parameters of the CRM shape at ``size`` rows (also used by profile_build.py)."""
    from demoorg.content.releases import parse_release
    from demoorg.seeders.plan import BuildParams, Prospect

    return BuildParams(
        industry=tpl.industry,
        seed=1,
        size=size,
        size_name=str(size),
        locale="en_US",
        # A fixed as-of date and release keep every run's rows identical.
        as_of=date(2026, 10, 15),
        release=parse_release("Winter '27"),
        prospect=Prospect("Acme"),
    )


def _demoorg_once(size: int, out: Path) -> dict[str, Any]:

    from demoorg.content.template import load_template
    from demoorg.seeders.build import build_org

    started = time.perf_counter()
    tpl = load_template(SHAPE)
    params = shape_params(tpl, size)
    result = build_org(tpl, params, out, force=True)
    seconds = time.perf_counter() - started
    return {"rows": result.rows, "seconds": seconds, "counts": result.counts}


def child_snowfakery(out: Path, warm: int = 1) -> dict[str, Any]:
    """Runs the equivalent Snowfakery recipe into an SQLite file, timed end to end (see
    :func:`child_demoorg` for ``warm``)."""
    times = []
    for _ in range(warm):
        result = _snowfakery_once(out)
        times.append(result["seconds"])
    result["seconds"], result["first"] = min(times), times[0]
    return result


def _snowfakery_once(out: Path) -> dict[str, Any]:
    from snowfakery import generate_data

    if out.exists():
        out.unlink()  # Snowfakery would add to the tables of an earlier run
    started = time.perf_counter()
    generate_data(str(RECIPE), dburl=f"sqlite:///{out}")
    seconds = time.perf_counter() - started
    counts = _table_counts(out, ("Account", "Contact", "Opportunity"))
    return {"rows": sum(counts.values()), "seconds": seconds, "counts": counts}


def child_sqlite(source: Path, out: Path) -> dict[str, Any]:
    """Writes demoorg's own rows again with bare sqlite3: one executemany per table.

    The rows are read from the org demoorg just built (so the bytes are identical) before the
    clock starts; the timed part is what any generator must pay at least to get them on disk:
    create the tables, insert, commit. The pragmas are demoorg's own build pragmas so the floor
    is a fair one.
    """
    src = sqlite3.connect(source)
    tables = {}
    for name in ("Account", "Contact", "Opportunity"):
        (ddl,) = src.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
        rows = src.execute(f'SELECT * FROM "{name}"').fetchall()
        tables[name] = (ddl, rows)
    src.close()
    if out.exists():
        out.unlink()

    started = time.perf_counter()
    con = sqlite3.connect(out)
    for pragma in (
        "journal_mode=OFF",
        "synchronous=OFF",
        "locking_mode=EXCLUSIVE",
        "temp_store=MEMORY",
        "cache_size=-65536",
    ):
        con.execute(f"PRAGMA {pragma}")
    for name, (ddl, rows) in tables.items():
        con.execute(ddl)
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
    con.commit()
    con.close()
    seconds = time.perf_counter() - started
    return {
        "rows": sum(len(r) for _, r in tables.values()),
        "seconds": seconds,
        "counts": {n: len(r) for n, (_, r) in tables.items()},
    }


def child_main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.child == "demoorg":
        result = child_demoorg(args.size, out, args.warm)
    elif args.child == "snowfakery":
        result = child_snowfakery(out, args.warm)
    else:
        result = child_sqlite(Path(args.source), out)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


# --- the parent: run children, collect, judge -------------------------------------------------


@dataclass
class Run:
    """One measured run (the best of its repeats)."""

    name: str
    rows: int | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    error: str | None = None  # why it did not produce figures
    first: float | None = None  # the first build of a process, when it built several
    same_shape: bool = True  # the CRM shape, so a ratio to Snowfakery means something

    @property
    def ok(self) -> bool:
        return self.error is None and self.seconds is not None

    @property
    def rate(self) -> float | None:
        return self.rows / self.seconds if self.ok and self.rows and self.seconds else None


@dataclass
class Proc:
    """What a finished child left: exit code, output, wall time and peak RSS."""

    code: int
    stdout: str
    stderr: str
    wall: float
    peak_mb: float | None


def run_process(cmd: list[str], workdir: Path) -> Proc:
    """Runs ``cmd`` to completion; peak RSS comes from wait4, i.e. this one child's rusage.

    Output goes to files rather than pipes so the child can never block on a full pipe while we
    wait for it with ``os.wait4`` (which, unlike RUSAGE_CHILDREN, is per child).
    """
    out_path, err_path = workdir / "child.out", workdir / "child.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = None
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        else:  # pragma: no cover - Windows has no wait4
            proc.wait()
        wall = time.perf_counter() - started
    return Proc(
        proc.returncode,
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
        wall,
        peak,
    )


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def run_child(
    kind: str, workdir: Path, out: Path, **opts: Any
) -> tuple[dict[str, Any] | None, str]:
    """Runs this script as a ``--child``; returns its result (or None) and an error text."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--out", str(out)]
    for key, value in opts.items():
        cmd += [f"--{key}", str(value)]
    proc = run_process(cmd, workdir)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
            if result.get("peak_rss_mb") is None:
                result["peak_rss_mb"] = proc.peak_mb
            return result, ""
    return None, f"failed (exit {proc.code}): {_last_line(proc.stderr)}"


def best_of(
    name: str, repeat: int, once: Callable[[int], tuple[dict[str, Any] | None, str]]
) -> Run:
    """Runs ``once`` ``repeat`` times: fastest time, but the highest peak RSS seen (worst case)."""
    run = Run(name)
    for i in range(repeat):
        print(f"  {name} ({i + 1}/{repeat}) …", end="", flush=True)
        result, error = once(i)
        if result is None:
            print(f" {error}", flush=True)
            run.error = error
            return run
        print(f" {result['seconds']:.2f} s", flush=True)
        if run.seconds is None or result["seconds"] < run.seconds:
            run.seconds, run.rows = result["seconds"], result["rows"]
        if run.first is None and result.get("first") is not None:
            run.first = result["first"]
        peak = result.get("peak_rss_mb")
        if peak is not None:
            run.peak_mb = max(run.peak_mb or 0.0, peak)
    return run


def demoorg_command() -> list[str]:
    """The installed ``demoorg`` console script of this interpreter, else ``python -m demoorg``."""
    beside = Path(sys.executable).with_name("demoorg")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("demoorg")
    return [found] if found else [sys.executable, "-m", "demoorg"]


def run_cli(workdir: Path, repeat: int) -> Run:
    """Target 3: the default org through the real CLI, start to finish, as a person runs it."""
    name = "demoorg seed medical standard (CLI)"

    def once(i: int) -> tuple[dict[str, Any] | None, str]:
        out = workdir / f"cli-{i}.demoorg"
        cmd = [
            *demoorg_command(),
            "seed",
            "--industry",
            "medical",
            "--size",
            "standard",
            "--out",
            str(out),
        ]
        proc = run_process(cmd, workdir)
        if proc.code != 0:
            return None, f"skipped: `demoorg seed` exited {proc.code}: {_last_line(proc.stderr)}"
        # "Built <path>: 20,123 records in 1.23 s (...)": the row count is only for the table.
        match = re.search(r"([\d,]+) records", proc.stdout)
        rows = int(match.group(1).replace(",", "")) if match else 0
        return {"rows": rows, "seconds": proc.wall, "peak_rss_mb": proc.peak_mb}, ""

    run = best_of(name, repeat, once)
    run.same_shape = False  # the medical template, not the CRM shape: no ratio
    return run


def snowfakery_status() -> str | None:
    """None when Snowfakery can run; otherwise why not (with how to install it)."""
    if util.find_spec("snowfakery") is None:
        return (
            "Snowfakery is not installed: run `pip install -e '.[bench]'` "
            f"(snowfakery=={SNOWFAKERY_VERSION}) for the ratio"
        )
    version = metadata.version("snowfakery")
    if version != SNOWFAKERY_VERSION:
        print(
            f"note: Snowfakery {version} is installed; the target is against "
            f"{SNOWFAKERY_VERSION} (pip install -e '.[bench]')"
        )
    return None


# --- report ------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{unit}"


def print_runs(runs: list[Run], snowfakery: Run | None) -> None:
    sf_rate = snowfakery.rate if snowfakery else None
    header = f"{'run':<42} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9} {'vs Snowfakery':>13}"
    print("\n" + header)
    print("-" * len(header))
    for r in runs:
        if not r.ok:
            print(f"{r.name:<42} {r.error}")
            continue
        ratio = r.rate / sf_rate if r.rate and sf_rate and r.same_shape else None
        print(
            f"{r.name:<42} {r.rows:>10,} {r.seconds:>8.2f} {_fmt(r.rate, ',.0f'):>10} "
            f"{_fmt(r.peak_mb, '.0f', ' MB'):>9} {_fmt(ratio, '.1f', '×'):>13}"
        )
    print(
        "seconds: template or recipe in → SQLite file on disk, after imports; the CLI row is "
        "wall clock\nfrom process start to exit. peak RSS: each run's own child process (VmHWM). "
        "See bench/README.md."
    )


def verdict(ok: bool | None) -> str:
    return "SKIP" if ok is None else ("PASS" if ok else "FAIL")


def print_targets(rows: list[tuple[str, str, bool | None]]) -> None:
    print(f"\n{'target':<52} {'measured':<34} result")
    print("-" * 95)
    for target, measured, ok in rows:
        print(f"{target:<52} {measured:<34} {verdict(ok)}")


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="run each timed build N times and keep the fastest (default 3)",
    )
    p.add_argument(
        "--skip-snowfakery", action="store_true", help="do not run Snowfakery (no ratio)"
    )
    p.add_argument(
        "--million-only", action="store_true", help="only the 1,000,000-row peak-memory run"
    )
    # The child side: not for people, so hidden from --help.
    p.add_argument("--child", choices=("demoorg", "snowfakery", "sqlite"), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, default=SHAPE_ROWS, help=argparse.SUPPRESS)
    p.add_argument("--source", help=argparse.SUPPRESS)
    p.add_argument("--warm", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be 1 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)

    print(
        f"demoorg seeding benchmark · Python {sys.version.split()[0]} · {os.cpu_count()} cores"
        f" · best of {args.repeat}"
    )
    runs: list[Run] = []
    targets: list[tuple[str, str, bool | None]] = []
    crm = snowfakery = None
    with tempfile.TemporaryDirectory(prefix="demoorg-bench-") as tmp:
        work = Path(tmp)
        shape_org = work / "crm-shape.demoorg"

        if not args.million_only:
            # Both generators build --repeat times in one process of their own: the fastest is
            # the steady state, the first is what a fresh process pays (both are reported).
            crm = best_of(
                "demoorg CRM shape",
                1,
                lambda i: run_child("demoorg", work, shape_org, size=SHAPE_ROWS, warm=args.repeat),
            )
            if crm.ok and crm.rows != SHAPE_ROWS:  # the template's sizing is no longer scale 1
                crm.error = f"failed: built {crm.rows:,} rows (expected {SHAPE_ROWS:,})"
            runs.append(crm)

            why_not = "--skip-snowfakery" if args.skip_snowfakery else snowfakery_status()
            if why_not:
                print(f"  Snowfakery skipped: {why_not}")
                snowfakery = Run(
                    f"Snowfakery {SNOWFAKERY_VERSION} CRM shape", error=f"skipped: {why_not}"
                )
            else:
                snowfakery = best_of(
                    f"Snowfakery {SNOWFAKERY_VERSION} CRM shape",
                    1,
                    lambda i: run_child("snowfakery", work, work / "sf.db", warm=args.repeat),
                )
                if snowfakery.ok and snowfakery.rows != SHAPE_ROWS:
                    snowfakery.error = (
                        f"failed: the recipe made {snowfakery.rows:,} rows "
                        f"(expected {SHAPE_ROWS:,})"
                    )
            runs.append(snowfakery)

            name = "sqlite3 executemany, pre-built tuples"
            if crm.ok:
                runs.append(
                    best_of(
                        name,
                        args.repeat,
                        lambda i: run_child("sqlite", work, work / "baseline.db", source=shape_org),
                    )
                )
            else:
                runs.append(Run(name, error="skipped: needs the demoorg CRM shape org"))

        million = best_of(
            "demoorg CRM shape scaled to 1M",
            args.repeat,
            lambda i: run_child("demoorg", work, work / "million.demoorg", size=MILLION),
        )
        runs.append(million)

        cli = None
        if not args.million_only:
            cli = run_cli(work, args.repeat)
            runs.append(cli)

    # The first build of each process, for the record: what a fresh process pays once.
    if crm is not None and crm.ok and crm.first:
        runs.insert(1, Run("  first build in a fresh process", crm.rows, crm.first, crm.peak_mb))
    if snowfakery is not None and snowfakery.ok and snowfakery.first:
        at = next(i for i, r in enumerate(runs) if r is snowfakery) + 1
        runs.insert(at, Run("  first run in a fresh process", snowfakery.rows, snowfakery.first))
    print_runs(runs, snowfakery)

    notes: list[str] = []  # why a target could not be judged, printed under the table
    if crm is not None:
        # A build that crashed has missed its target: FAIL, not SKIP.
        rate_ok = bool(crm.rate and crm.rate >= TARGET_ROWS_PER_S)
        targets.append(
            (
                f"1. CRM shape ≥ {TARGET_ROWS_PER_S:,} rows/s end to end",
                _fmt(crm.rate, ",.0f", " rows/s") if crm.ok else "failed",
                rate_ok,
            )
        )
        ratio = crm.rate / snowfakery.rate if crm.rate and snowfakery and snowfakery.rate else None
        cold = (
            (snowfakery.first / crm.first)
            if crm.first and snowfakery is not None and snowfakery.first
            else None
        )
        targets.append(
            (
                f"1. demoorg ≥ {TARGET_RATIO:.0f}× Snowfakery {SNOWFAKERY_VERSION}",
                (_fmt(ratio, ".1f", "×") + (f" (first runs {cold:.1f}×)" if cold else ""))
                if ratio
                else "skipped",
                None if ratio is None else ratio >= TARGET_RATIO,
            )
        )
        for run in (crm, snowfakery):
            if run is not None and not run.ok:
                notes.append(f"{run.name}: {run.error}")
    if million.ok:
        big_ok = million.rows >= MILLION and (million.peak_mb or 0) < TARGET_PEAK_MB
        measured = f"{million.rows:,} rows, {_fmt(million.peak_mb, '.0f', ' MB')}"
    else:
        big_ok, measured = False, "failed"
        notes.append(f"{million.name}: {million.error}")
    targets.append((f"2. 1,000,000 rows with peak RSS < {TARGET_PEAK_MB:.0f} MB", measured, big_ok))
    if cli is not None:
        cli_ok = cli.seconds < TARGET_CLI_S if cli.ok else None
        targets.append(
            (
                f"3. `demoorg seed` medical standard < {TARGET_CLI_S:.0f} s",
                _fmt(cli.seconds, ".2f", " s wall") if cli.ok else "skipped",
                cli_ok,
            )
        )
        if not cli.ok:
            notes.append(f"step 3 {cli.error}")
    print_targets(targets)
    for note in notes:
        print(f"  {note}")
    # A crashed demoorg build is a broken benchmark, not a missed target: say so in the exit code.
    broken = [r for r in (crm, million) if r is not None and not r.ok]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
