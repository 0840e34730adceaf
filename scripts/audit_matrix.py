"""Builds every industry at every size and locale and audits each org: the realism matrix.

Each cell is one org (seed 1, as of 2026-11-23) built into a temporary folder, audited with every
rule of ``demoorg audit`` and deleted before the next is built, so memory and disk stay flat. The
script prints one line per cell and exits with 1 when any rule failed (or broke) anywhere.

    python scripts/audit_matrix.py                          # 4 industries x 3 sizes x 6 locales
    python scripts/audit_matrix.py --sizes small,standard   # leave out enterprise
    python scripts/audit_matrix.py --industries finance --locales en_US,zh_CN
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

AS_OF = date(2026, 11, 23)
SEED = 1
INDUSTRIES = ("medical", "telecom", "finance", "transportation")
SIZES = ("small", "standard", "enterprise")
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "ja_JP", "zh_CN")

HEADER = (
    f"{'industry':<15} {'size':<10} {'locale':<6} {'records':>8} {'seed s':>7} "
    f"{'pass':>4} {'fail':>4} {'skip':>4}  failing rules"
)


def _csv(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in items if x not in allowed]
    if unknown or not items:
        raise SystemExit(f"audit_matrix: unknown {what} {unknown or text!r} (expected {allowed})")
    return items


def run_cell(
    industry: str, size: str, locale: str, folder: Path, verbose: bool
) -> tuple[int, float, dict[str, int], list[str]]:
    """Builds one org, audits it and deletes it: (records, seconds, counts, failing rules)."""
    from demoorg.content.releases import release_on
    from demoorg.content.template import load_template
    from demoorg.org.audit import run_audit
    from demoorg.org.orgfile import open_org
    from demoorg.seeders.build import build_org
    from demoorg.seeders.plan import BuildParams, parse_size

    tpl = load_template(REPO / "industries" / industry)
    count, size_name = parse_size(size)
    params = BuildParams(
        industry=tpl.industry,
        seed=SEED,
        size=count,
        size_name=size_name,
        locale=locale,
        as_of=AS_OF,
        release=release_on(AS_OF),
    )
    out = folder / f"{industry}-{size}-{locale}.demoorg"
    started = time.perf_counter()
    result = build_org(tpl, params, out, force=True)
    seconds = time.perf_counter() - started
    try:
        with open_org(out) as org:
            results = run_audit(org)
    finally:
        out.unlink(missing_ok=True)
        gc.collect()
    counts = {s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "skip")}
    counts["fail"] += sum(1 for r in results if r.status == "error")
    failing = [r for r in results if r.failed]
    if verbose:
        for r in failing:
            print(f"    {r.status.upper():<5} {r.rule.name}: {r.figure}", flush=True)
    return result.rows, seconds, counts, [r.rule.name for r in failing]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(SIZES), help="comma-separated sizes")
    ap.add_argument("--locales", default=",".join(LOCALES), help="comma-separated locales")
    ap.add_argument("--industries", default=",".join(INDUSTRIES), help="comma-separated industries")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each failing rule's figure")
    args = ap.parse_args(argv)
    industries = _csv(args.industries, INDUSTRIES, "industry")
    sizes = _csv(args.sizes, SIZES, "size")
    locales = _csv(args.locales, LOCALES, "locale")

    print(HEADER, flush=True)
    failed_cells = 0
    total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="audit-matrix-") as tmp:
        for industry in industries:
            for size in sizes:
                for locale in locales:
                    rows, seconds, c, failing = run_cell(
                        industry, size, locale, Path(tmp), args.verbose
                    )
                    failed_cells += bool(failing)
                    print(
                        f"{industry:<15} {size:<10} {locale:<6} {rows:>8,} {seconds:>7.2f} "
                        f"{c['pass']:>4} {c['fail']:>4} {c['skip']:>4}  {', '.join(failing) or '-'}",
                        flush=True,
                    )
    cells = len(industries) * len(sizes) * len(locales)
    print(
        f"{cells} orgs, {failed_cells} with failing rules ({time.perf_counter() - total:.0f} s)",
        flush=True,
    )
    return 1 if failed_cells else 0


if __name__ == "__main__":
    sys.exit(main())
