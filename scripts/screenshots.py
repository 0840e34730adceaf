"""Renders every screen of the desktop app offscreen into docs/screenshots/*.png.

For each industry template found it builds a standard-size org (cached in a temporary folder),
opens it in the main window and saves its list view, a hero record page and its first dashboard;
once, it saves the start page and the builder. Then it presents the medical story (on a copy of
the org) and saves the presenter console, the audience window with a spotlight, and a rehearsal
report over three timed runs.

    python scripts/screenshots.py [--out docs/screenshots] [--size standard] [--only medical]
    python scripts/screenshots.py --presenter-only
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

AS_OF = date(2026, 11, 23)
WIDTH, HEIGHT = 1440, 900


def build(industry: str, folder: Path, size: str) -> Path:
    from demoorg.content.releases import release_on
    from demoorg.content.template import load_template
    from demoorg.seeders.build import build_org, is_org_file
    from demoorg.seeders.plan import BuildParams, Prospect, parse_size

    out = folder / f"{industry}-{size}.demoorg"
    if is_org_file(out):
        return out
    tpl = load_template(industry)
    n, name = parse_size(size)
    prospects = {
        "medical": "Northwind Health",
        "telecom": "Contoso Mobile",
        "finance": "Fabrikam Bank",
        "transportation": "Tailspin Logistics",
    }
    params = BuildParams(
        industry=tpl.industry,
        seed=7,
        size=n,
        size_name=name,
        locale="en_US",
        as_of=AS_OF,
        release=release_on(AS_OF),
        prospect=Prospect(prospects.get(industry, "Acme")),
    )
    build_org(tpl, params, out, force=True)
    return out


def settle(app, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()


def grab(win, path: Path, app, height: int = HEIGHT, width: int = WIDTH) -> None:
    win.resize(width, height)
    settle(app)
    win.grab().save(str(path))
    print(f"  {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def hero_record(reader) -> tuple[str, str] | None:
    """The hero record with a designed page and the most related records (Maria, a flagship…)."""
    heroes = reader.org.meta.get("heroes") or {}
    best, best_score = None, (-1, -1)
    for h in heroes.values():
        obj = h["object"]
        if not reader.has_object(obj):
            continue
        designed = reader.object(obj).raw_layout is not None
        rows = sum(min(r.total, 5) for r in reader.related(obj, h["id"]))
        score = (int(designed), rows)
        if score > best_score:
            best, best_score = (obj, h["id"]), score
    return best


class FakeClock:
    """A clock the script moves by hand, so timers and rehearsal runs show chosen times."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def presenter_shots(org: Path, out: Path, app) -> None:
    """The presenter console, the audience window (with a spotlight) and a rehearsal report."""
    import shutil

    from demoorg.ui.presenter import run_presenter

    copy = Path(tempfile.mkdtemp(prefix="demoorg-shots-")) / org.name
    shutil.copy(org, copy)
    story = REPO / "industries" / "medical" / "stories" / "cfo-care-gaps.yaml"
    clock = FakeClock()

    def wait(p) -> None:
        while p.busy:
            settle(app, 1)
        settle(app, 8)

    # Three timed rehearsals, so the report has history to compare against.
    for run, pace in enumerate((1.25, 1.05, 0.9)):
        p = run_presenter(copy, story, today=AS_OF, clock=clock, rehearsal=True, show=False)
        for k, scene in enumerate(p.runner.story.scenes):
            if p.runner.index != scene.index:
                continue
            clock.now += scene.budget * (pace + 0.15 * ((k + run) % 3 - 1))
            while p.runner.index == scene.index and not p.view.is_last:
                p.trigger("demoorg.presenter.next")
                wait(p)
            if run == 1 and k == 0:
                p.save_feedback("reaction", "CFO: “that no-show number is our Monday problem”")
            if run == 1 and k == 3:
                p.save_feedback("question", "Does the A1c come in from our lab automatically?")
                p.save_feedback("missing-feature", "Wants prior-auth status on the same page")
            if p.view.is_last:
                clock.now += scene.budget * pace
                break
        p.end()

    p = run_presenter(copy, story, today=AS_OF, clock=clock, show=False)
    p.audience.resize(WIDTH, HEIGHT)
    p.console.resize(WIDTH, HEIGHT)
    p.audience.show()
    p.console.show()
    # The live scene with the most actions: one done, the next pending, its spotlight on.
    # The audience: a hero's record page with a related list in the spotlight.
    spot = next(
        (
            i
            for i in p.runner.available
            if (s := p.runner.scenes[i].scene.spotlight) is not None and s.kind == "related"
        ),
        p.runner.available[0],
    )
    p.jump(spot)
    wait(p)
    p.audience._reveal()
    settle(app, 10)
    grab(p.audience, out / "presenter-audience.png", app)
    # The console: the live scene with the most actions, one done and the next pending.
    target = max(p.runner.available, key=lambda i: p.runner.scenes[i].steps)
    p.jump(target)
    wait(p)
    p.trigger("demoorg.presenter.next")
    wait(p)
    clock.now += p.view.budget * 0.85
    p.audience._reveal()
    settle(app, 10)
    p.console.set_thumbnail(p.audience.grab())
    p.console.tick()
    grab(p.console, out / "presenter-console.png", app)
    p.show_report()
    report = p.report_window
    assert report is not None
    grab(report, out / "rehearsal-report.png", app, 980)
    report.export_pdf(Path(tempfile.gettempdir()) / "demoorg-rehearsal-report.pdf")
    p.end()
    report.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    p.add_argument("--size", default="standard")
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "demoorg-screenshots"))
    p.add_argument("--only", nargs="*", help="industries to render (default: all)")
    p.add_argument("--presenter-only", action="store_true", help="only the presenter screens")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["DEMOORG_HOME"] = str(cache / "home")

    from demoorg.content.paths import list_templates
    from demoorg.org.orgfile import open_org
    from demoorg.ui.app import create_main_window, make_app, settings
    from demoorg.ui.navigation import Location

    app = make_app(["screenshots"])
    industries = [f.name for f in list_templates()]
    if args.only:
        industries = [i for i in industries if i in args.only]

    cfg = settings()
    cfg.clear()
    if args.presenter_only:
        print("building medical…")
        presenter_shots(build("medical", cache, args.size), out, app)
        return 0
    win = create_main_window(cfg, today=AS_OF, open_last=False)
    win.show()
    orgs = {}
    for ind in industries:
        print(f"building {ind} ({args.size})…")
        orgs[ind] = build(ind, cache, args.size)
        with open_org(orgs[ind]) as org:
            win._remember(str(orgs[ind]), org)
    print("rendering:")
    win.show_start()
    grab(win, out / "start.png", app)
    win.show_builder()
    assert win.builder is not None
    win.builder.prospect.setText("Northwind Health")
    win.builder.select_industry("medical")
    grab(win, out / "builder.png", app, 1180)

    for ind, path in orgs.items():
        win.open_path(str(path))
        reader = win.reader
        assert reader is not None
        tabs = [t for a in win._apps() for t in a["tabs"] if not t.startswith("dashboard:")]
        obj = next((t for t in tabs if reader.has_object(t)), next(iter(reader.objects)))
        win.navigate(Location.list(obj))
        grab(win, out / f"{ind}-list.png", app)
        hero = hero_record(reader)
        if hero is not None:
            win.navigate(Location.record(*hero))
            page = win.record_page
            assert page is not None
            content = page.widget()
            height = (
                min(2000, max(HEIGHT, content.sizeHint().height() + 140)) if content else HEIGHT
            )
            grab(win, out / f"{ind}-record.png", app, height)
        dashes = reader.dashboards()
        if dashes:
            win.navigate(Location.dashboard(dashes[0]["key"]))
            page = win.dashboard
            assert page is not None and page.wait(), "the dashboard did not compute"
            settle(app)
            content = page.widget() if page else None
            height = (
                min(1600, max(HEIGHT, content.sizeHint().height() + 140)) if content else HEIGHT
            )
            grab(win, out / f"{ind}-dashboard.png", app, height)
    win.close()
    if "medical" in orgs:
        presenter_shots(orgs["medical"], out, app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
