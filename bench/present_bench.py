"""Presenting benchmarks on a standard org (~20,000 records): open, scene changes, reset.

    python bench/present_bench.py [--org PATH | --db URL] [--industry medical] [--size standard]
                                  [--repeat 20]

Builds the org (unless ``--org`` is given; the industry's first story is used) in a temporary
file, or with ``--db postgresql+psycopg://user@host/dbname`` on that server (as the org
``present_bench_<industry>``, replaced), then measures:

* opening for presenting: copy the baseline into a working copy and shift every date to today
  (fresh dates: the org is built 45 days before "today"); on a server, into two private schemas;
* a scene change: :meth:`StoryRunner.next` over the whole story (moves that perform a live action
  included), then :meth:`StoryRunner.back` over it (moves that undo one), and ``view()`` (what the
  console and the audience window read for a scene), at the 50th and 95th percentiles;
* a jump from the first scene to the last (every live action performed) and back;
* reset to the baseline after the whole story: undoing every live action (``reset()``), and
  copying the prepared start copy back over the working copy (``reset(hard=True)``; on a server,
  emptying the working schema's tables and refilling them from the start schema).

Targets (issue #5): reset < 200 ms on a standard org. Prints figures; not a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from demoorg.content.releases import release_on  # noqa: E402
from demoorg.content.stories import load_stories  # noqa: E402
from demoorg.content.template import load_template  # noqa: E402
from demoorg.present import StoryRunner, open_session  # noqa: E402
from demoorg.seeders.build import build_org  # noqa: E402
from demoorg.seeders.plan import BuildParams, Prospect, parse_size  # noqa: E402
from demoorg.seeders.writers import PgTarget, parse_target  # noqa: E402

AS_OF = date(2026, 11, 23)
TODAY = AS_OF + timedelta(days=45)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--org", help="an existing org file or URL#org (default: build one)")
    ap.add_argument("--db", metavar="URL", help="build the org on this PostgreSQL server")
    ap.add_argument("--industry", default="medical")
    ap.add_argument("--size", default="standard")
    ap.add_argument("--repeat", type=int, default=20, help="runs of each measurement")
    args = ap.parse_args()

    tpl = load_template(args.industry)
    with tempfile.TemporaryDirectory(prefix="demoorg-present-bench-") as tmp:
        org: Path | PgTarget
        if args.org:
            org = parse_target(args.org)
        else:
            if args.db:
                server = parse_target(args.db)
                assert isinstance(server, PgTarget), "--db takes a PostgreSQL URL"
                org = PgTarget(server.url, f"present_bench_{args.industry}")
            else:
                org = Path(tmp) / f"{args.industry}.demoorg"
            size, size_name = parse_size(args.size)
            params = BuildParams(
                industry=tpl.industry,
                seed=1,
                size=size,
                size_name=size_name,
                locale="en_US",
                as_of=AS_OF,
                release=release_on(AS_OF),
                prospect=Prospect("Acme Health"),
            )
            result = build_org(tpl, params, org, force=True)
            print(f"org      {result.rows:,} records ({args.industry}, {args.size}) in {org}")
        story = load_stories(tpl)[0]

        opens = []
        for _ in range(max(1, args.repeat // 4)):
            session = open_session(org, TODAY)
            opens.append(session.open_seconds)
            session.close()
        session = open_session(org, TODAY)
        clock = time.monotonic
        runner = StoryRunner(session, story, clock)
        print(
            f"story    {story.key}: {len(runner.available)} of {len(story.scenes)} scenes, "
            f"{sum(s.steps for s in runner.scenes if s.available)} live actions; "
            f"dates shifted {session.shift.days} days ({session.shift.rows:,} rows)"
        )

        forward: list[float] = []
        backward: list[float] = []
        views: list[float] = []
        jumps: list[float] = []
        resets: list[float] = []
        restores: list[float] = []
        last = runner.available[-1]
        for _ in range(args.repeat):
            runner.reset()
            while True:
                t = time.perf_counter()
                moved = runner.next().moved
                dt = time.perf_counter() - t
                if not moved:
                    break
                forward.append(dt)
                t = time.perf_counter()
                runner.view()
                views.append(time.perf_counter() - t)
            while True:
                t = time.perf_counter()
                moved = runner.back().moved
                if not moved:
                    break
                backward.append(time.perf_counter() - t)
            t = time.perf_counter()
            runner.jump(last)
            jumps.append(time.perf_counter() - t)
            t = time.perf_counter()
            runner.reset()
            resets.append(time.perf_counter() - t)
            runner.jump(last)
            t = time.perf_counter()
            runner.reset(hard=True)
            restores.append(time.perf_counter() - t)
        session.close()

    rows = [
        ("open for presenting (copy + fresh dates)", opens),
        ("next (scene change or live action)", forward),
        ("back (scene change or undo)", backward),
        ("view() of a scene", views),
        ("jump first -> last (all live actions)", jumps),
        ("reset() after the whole story (undo)", resets),
        ("reset(hard=True) (restore the copy)", restores),
    ]
    print(f"\n{'measurement':<44} {'p50':>11} {'p95':>11} {'max':>11}   n")
    for name, values in rows:
        print(
            f"{name:<44} {_ms(statistics.median(values))} {_ms(_pct(values, 0.95))} "
            f"{_ms(max(values))}   {len(values)}"
        )
    worst = max(max(resets), max(restores))
    verdict = "PASS" if worst < 0.2 else "FAIL"
    print(f"\ntarget   reset < 200 ms: {verdict} (worst {worst * 1000:.1f} ms)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
