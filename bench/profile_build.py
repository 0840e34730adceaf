"""Profiles one demoorg build of the CRM shape with cProfile and prints the hotspots.

    python bench/profile_build.py                   # 60,000 rows, top 15 by tottime
    python bench/profile_build.py --top 30 --sort cumulative
    python bench/profile_build.py --save build.prof # for snakeviz, pstats, etc.

The build is the same one bench/seed_bench.py times (template load + build_org into a fresh
file), so the hotspots explain that figure. cProfile slows the run (by a third to a half here)
and inflates functions that make many small calls more than those that make few big ones: read
tottime as "where the time goes", not as exact seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHAPE = BENCH / "crm_shape"


def build(size: int, out: Path) -> int:
    from demoorg.content.template import load_template
    from demoorg.seeders.build import build_org

    # The benchmark's own parameters, so the profile is of the very build it times.
    sys.path.insert(0, str(BENCH))
    from seed_bench import shape_params

    tpl = load_template(SHAPE)
    params = shape_params(tpl, size)
    return build_org(tpl, params, out, force=True).rows


def _where(path: str, line: int) -> str:
    """A short file:line: relative to the project, or from site-packages/ or the stdlib on."""
    if path == "~":  # built-in functions have no file
        return "(built-in)"
    p = Path(path)
    try:
        return f"{p.resolve().relative_to(ROOT)}:{line}"
    except ValueError:
        pass
    parts = p.parts
    for anchor in ("site-packages", "lib"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            return f"{'/'.join(parts[i + 1 :])}:{line}"
    return f"{path}:{line}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=60_000, help="rows to build (default 60,000)")
    p.add_argument("--top", type=int, default=15, help="how many functions to list (default 15)")
    p.add_argument(
        "--sort",
        default="tottime",
        choices=("tottime", "cumulative", "ncalls"),
        help="order of the list (default tottime: time inside the function itself)",
    )
    p.add_argument("--save", metavar="FILE", help="also write the raw profile to FILE")
    args = p.parse_args(argv)

    # Import before profiling: the build, not Python's import machinery, is what we look at.
    import demoorg.seeders.build  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="demoorg-profile-") as tmp:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        rows = build(args.size, Path(tmp) / "profile.demoorg")
        profiler.disable()
        seconds = time.perf_counter() - started
    if args.save:
        profiler.dump_stats(args.save)

    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"{rows:,} rows in {seconds:.2f} s under cProfile ({rows / seconds:,.0f} rows/s; "
        "slower than unprofiled: bench/seed_bench.py has the real figure)\n"
    )
    key = {"tottime": 2, "cumulative": 3, "ncalls": 1}[args.sort]
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][key], reverse=True)  # type: ignore[attr-defined]
    print(
        f"{'#':>2} {'tottime':>8} {'share':>6} {'cumtime':>8} {'ncalls':>9}  function  (file:line)"
    )
    for rank, ((path, line, func), (_cc, ncalls, tt, ct, _callers)) in enumerate(
        entries[: args.top], 1
    ):
        print(
            f"{rank:>2} {tt:>8.3f} {tt / total:>6.1%} {ct:>8.3f} {ncalls:>9,}  {func}  "
            f"({_where(path, line)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
