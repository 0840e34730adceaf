"""The ``demoorg`` command line.

Every user mistake ends in one line and exit code 2; an interrupted build exits 130 and leaves the
previous org as it was. With no command, demoorg opens the desktop app (or, where Qt cannot start,
builds and describes the default org).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from demoorg import __version__
from demoorg.errors import ContentError, DemoOrgError, OrgError, UsageError

DEFAULT_INDUSTRY = "medical"
DEFAULT_SIZE = "standard"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"demoorg: {one_line(message)} (see demoorg --help)\n")


def one_line(message: object) -> str:
    """An error message as one terminal line.

    Messages quote what the user typed, which may hold line breaks, terminal escapes or
    right-to-left overrides; those are shown escaped (``\\r``, ``\\x1b``, ``\\u202e``) so the
    message stays one line that reads as printed.
    """
    text = str(message)
    return "".join(ch if ch.isprintable() or ch in _JOINERS else ascii(ch)[1:-1] for ch in text)


#: Invisible characters that only join emoji (👩‍👩‍👧) or pick their style: harmless in a line.
_JOINERS = frozenset("\u200c\u200d\ufe0e\ufe0f")


def _today() -> date:
    # The wall clock is read here, at the edge, and passed down; generation never reads it.
    return date.today()


def _parse_date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None
    if not 2001 <= day.year <= 2098:
        raise UsageError(
            f"date {text!r} is outside the release calendar (expected a year from 2001 to 2098)"
        )
    return day


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="demoorg", description="Build, show and present realistic CRM demo orgs, offline."
    )
    p.add_argument("--version", action="version", version=f"demoorg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("seed", help="build a demo org file")
    s.add_argument(
        "--industry", default=DEFAULT_INDUSTRY, help="template name or folder (default: medical)"
    )
    s.add_argument(
        "--release",
        help='release name ("Summer \'27"), API version or date (default: current on the as-of date)',
    )
    s.add_argument(
        "--preview", action="store_true", help="features arrive one release early (sandbox preview)"
    )
    s.add_argument("--prospect", default="Acme", help="the customer's company name")
    s.add_argument("--domain", help="the customer's email domain (default: <name>.example.com)")
    s.add_argument("--color", help="brand colour #RRGGBB")
    s.add_argument(
        "--logo", help="the customer's logo, a PNG, SVG or JPEG file (stored in the org)"
    )
    s.add_argument(
        "--locale", default="en_US", help="Faker locale: en_US, en_GB, de_DE, fr_FR, ja_JP, zh_CN…"
    )
    s.add_argument(
        "--size", default=DEFAULT_SIZE, help="small, standard, enterprise or a record count"
    )
    s.add_argument("--seed", default="1", help="random seed (a whole number)")
    s.add_argument("--as-of", dest="as_of", help="the org's 'today', YYYY-MM-DD (default: today)")
    s.add_argument("--out", "-o", help="org file to write (default: <prospect>-<industry>.demoorg)")
    _add_server_options(s, "build the org on a PostgreSQL server instead of in a file")
    s.add_argument("--force", action="store_true", help="replace an existing org")
    s.add_argument("--quiet", "-q", action="store_true", help="print only the org path")

    i = sub.add_parser(
        "info", help="describe an org: build parameters, counts, release and features"
    )
    target = i.add_mutually_exclusive_group(required=True)
    target.add_argument("org", nargs="?", help="org file, or postgresql+psycopg://…/db#org")
    _add_server_options(i, "the org is on a PostgreSQL server", group=target)
    i.add_argument("--json", action="store_true", help="machine-readable output")

    v = sub.add_parser("validate", help="check every template and story (file:line errors)")
    v.add_argument(
        "paths", nargs="*", help="template folders (default: every shipped and user template)"
    )

    r = sub.add_parser("releases", help="the release calendar on a day")
    r.add_argument("--on", dest="on", help="the day, YYYY-MM-DD (default: today)")

    sub.add_parser("list", help="list the industry templates")

    st = sub.add_parser(
        "stories", help="list the stories that fit an org, with their feature badges"
    )
    st.add_argument("org", help="org file")
    st.add_argument("--json", action="store_true", help="machine-readable output")

    au = sub.add_parser("audit", help="check an org against named realism rules")
    au.add_argument("org", nargs="?", help="org file, or postgresql+psycopg://…/db#org")
    _add_server_options(au, "the org is on a PostgreSQL server")
    au.add_argument(
        "--rule", action="append", metavar="NAME", help="run only this rule (may be repeated)"
    )
    au.add_argument("--list", action="store_true", help="list the rules and what they check")
    au.add_argument("--json", action="store_true", help="machine-readable output")

    pr = sub.add_parser("present", help="present a story: presenter console and audience window")
    pr.add_argument("org", help="org file, or postgresql+psycopg://…/db#org")
    pr.add_argument("story", help="story name (see demoorg stories ORG) or story file")
    pr.add_argument("--rehearse", action="store_true", help="time the run and save it in the org")

    og = sub.add_parser("orgs", help="list the orgs on a PostgreSQL server")
    og.add_argument(
        "--db",
        required=True,
        metavar="URL",
        help="the server's database: postgresql+psycopg://user@host/dbname",
    )
    og.add_argument("--json", action="store_true", help="machine-readable output")

    ex = sub.add_parser(
        "export", help="export an org for Salesforce tooling (Data Loader, CumulusCI) or as JSON"
    )
    ex.add_argument("org", help="org file")
    ex.add_argument(
        "out", help="output folder (dataloader, cumulusci) or file (json; - for standard output)"
    )
    ex.add_argument(
        "--format",
        dest="export_format",
        required=True,
        metavar="FORMAT",
        help="dataloader, cumulusci or json",
    )
    ex.add_argument(
        "--with-users", action="store_true", help="also export User records and lookups to them"
    )
    ex.add_argument(
        "--force", action="store_true", help="write into a non-empty folder or replace a file"
    )

    pk = sub.add_parser("pack", help="bundle a template folder into one .demopack file")
    pk.add_argument("template", help="template name or folder (e.g. industries/medical)")
    pk.add_argument("--out", "-o", help="pack file to write (default: <name>.demopack)")
    pk.add_argument("--force", action="store_true", help="replace an existing pack file")

    ins = sub.add_parser("install", help="check a .demopack and install it as your own template")
    ins.add_argument("pack", help=".demopack file")
    ins.add_argument(
        "--replace",
        action="store_true",
        help="replace an installed template of the same name (the old one is kept as a backup)",
    )
    return p


def _add_server_options(parser: argparse.ArgumentParser, what: str, group: Any = None) -> None:
    (group or parser).add_argument(
        "--db",
        metavar="URL",
        help=f"{what}: postgresql+psycopg://user@host/dbname (password from PGPASSWORD or "
        "~/.pgpass)",
    )
    parser.add_argument(
        "--org",
        dest="org_name",
        metavar="NAME",
        help="the org's name on the server (a schema; default for seed: <prospect>_<industry>)",
    )


def _org_target(args: argparse.Namespace, command: str) -> Any:
    """The org a command works on: ``ORG`` (a file or URL#name), or ``--db URL --org NAME``."""
    from demoorg.seeders.writers import parse_target

    if args.db:
        if args.org:
            raise UsageError(
                f"two orgs given: {args.org!r} and --db (expected demoorg {command} ORG or "
                f"demoorg {command} --db URL --org NAME)"
            )
        return parse_target(args.db, args.org_name)
    if args.org_name:
        raise UsageError(
            "--org names an org on a PostgreSQL server (expected --db postgresql+psycopg://… too)"
        )
    return args.org


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    _remove_leftovers()
    try:
        if args.command is None:
            return _start_app()
        return int(_COMMANDS[args.command](args) or 0)
    except (UsageError, ContentError, OrgError) as exc:
        print(f"demoorg: {one_line(exc)}", file=sys.stderr)
        return 2
    except DemoOrgError as exc:
        print(f"demoorg: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demoorg: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`demoorg info ORG | head`): not an error worth a message. Standard
        # output is pointed at /dev/null so Python's own flush at exit does not fail again.
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return 1
    except Exception as exc:  # a bug: say so in one line; DEMOORG_DEBUG=1 shows the traceback
        if os.environ.get("DEMOORG_DEBUG"):
            raise
        damage = _sqlite_damage(exc)
        if damage:
            # An org whose metadata opened but whose records are damaged fails part way through.
            org = getattr(args, "org", None) or "the org file"
            print(
                f"demoorg: {one_line(f'{org} cannot be read: {damage} (the file may be damaged)')}",
                file=sys.stderr,
            )
            return 1
        print(
            f"demoorg: internal error: {type(exc).__name__}: {one_line(exc)} "
            "(set DEMOORG_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1


def _remove_leftovers() -> None:
    """Removes half-written files that killed builds, exports and saves left in the orgs folder."""
    from demoorg.content.files import remove_leftovers
    from demoorg.content.paths import user_home

    remove_leftovers([user_home() / "orgs"])


def _sqlite_damage(exc: BaseException) -> str | None:
    """SQLite's reason when ``exc`` is SQLite failing to read a file (directly or through
    SQLAlchemy, which keeps it as ``orig``), else None."""
    import sqlite3

    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, sqlite3.DatabaseError):
        return str(orig)
    return None


def _seed_params(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from demoorg.content.releases import release_on, resolve_release
    from demoorg.content.template import load_template
    from demoorg.seeders.build import load_logo
    from demoorg.seeders.plan import BuildParams, Prospect, parse_size
    from demoorg.seeders.pools import check_locale

    # Plain digits only: int() also reads "٣" and "1_000", and a seed of thousands of digits
    # raises a ValueError of its own.
    if not re.fullmatch(r"-?[0-9]{1,30}", args.seed.strip()):
        raise UsageError(f"invalid seed {args.seed!r} (expected a whole number)")
    seed = int(args.seed)
    size, size_name = parse_size(args.size)
    locale = check_locale(args.locale)
    as_of = _parse_date(args.as_of) if args.as_of else None
    if args.release:
        release, on_date = resolve_release(args.release)
        if on_date is not None:
            # The release in production that day; --preview then moves features one release on.
            release = release_on(on_date)
            as_of = as_of or on_date
    else:
        release = None
    as_of = as_of or _today()
    release = release or release_on(as_of)
    if args.color is not None and not re.fullmatch(r"#[0-9A-Fa-f]{6}", args.color):
        raise UsageError(f"invalid colour {args.color!r} (expected #RRGGBB)")
    from demoorg.seeders.plan import check_domain, check_prospect_name

    prospect_name = check_prospect_name(args.prospect)
    if args.domain is not None:
        check_domain(args.domain)
    if args.logo:
        load_logo(Path(args.logo))  # a bad logo is a usage error before anything is built
    tpl = load_template(args.industry)
    params = BuildParams(
        industry=tpl.industry,
        seed=seed,
        size=size,
        size_name=size_name,
        locale=locale,
        as_of=as_of,
        release=release,
        preview=args.preview,
        prospect=Prospect(prospect_name, args.domain, args.color, args.logo),
    )
    return tpl, params, _seed_target(args, prospect_name, tpl.industry)


def _seed_target(args: argparse.Namespace, prospect: str, industry: str) -> Any:
    """Where seed writes: ``--out`` (a file), or ``--db URL [--org NAME]`` (a server)."""
    from demoorg.seeders.writers import PgTarget, default_org_name, parse_target

    if args.db and args.out:
        raise UsageError(
            "both --out and --db given (expected --out for an org file or --db for a server)"
        )
    if not args.db and not args.org_name:
        return Path(args.out) if args.out else Path(f"{_file_slug(prospect)}-{industry}.demoorg")
    target = parse_target(args.db or args.out or "", args.org_name)
    if isinstance(target, PgTarget) and not target.name:
        target = PgTarget(target.url, default_org_name(prospect, industry))
    return target


def _file_slug(name: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(filter(None, keep.split("-"))) or "org"


def cmd_seed(args: argparse.Namespace) -> int:
    from demoorg.seeders.build import build_org

    tpl, params, out = _seed_params(args)
    show = not args.quiet and sys.stderr.isatty()

    def progress(p: Any) -> None:
        if show:
            print(
                f"\r  {p.label:<28} {p.done:>9,} / {p.total:,}   total {p.rows_written:,}",
                end="",
                file=sys.stderr,
            )

    result = build_org(tpl, params, out, force=args.force, progress=progress)
    if show:
        print("\r" + " " * 72 + "\r", end="", file=sys.stderr)
    if args.quiet:
        print(result.path)
    else:
        print(
            f"Built {result.path}: {result.rows:,} records in {result.seconds:.2f} s "
            f"({tpl.label}, {params.release.name}, {params.locale}, seed {params.seed})."
        )
    return 0


def describe_org(path: Any) -> list[str]:
    from demoorg.org.orgfile import open_org

    with open_org(path) as org:
        b, pr, meta = org.build, org.meta["prospect"], org.meta
        counts = org.counts()
        lines = [
            f"Org        {org.location}",
            f"Prospect   {pr['name']} ({pr['domain']}, colour {pr['color']})",
            f"Template   {b['template_label']} ({b['industry']})",
            f"Release    {b['release']} (API {b['api_version']}){' with preview features' if b['preview'] else ''}",
            f"Built as of {b['as_of']} · locale {b['locale']} · size {b['size_name']} · seed {b['seed']}",
            f"Records    {sum(counts.values()):,}",
        ]
        width = max((len(o["plural"]) for o in org.objects()), default=10)
        for o in org.objects():
            lines.append(f"  {o['plural']:<{width}}  {counts[o['name']]:>9,}   {o['name']}")
        if meta["features"]:
            lines.append("Features")
            for f in meta["features"]:
                lines.append(f"  {f['stage']:<13} {f['label']}")
        if meta["heroes"]:
            lines.append("Hero records")
            for key, h in meta["heroes"].items():
                lines.append(f"  {key:<22} {h['object']:<20} {h['id']}  {h['label']}")
    return lines


def cmd_info(args: argparse.Namespace) -> int:
    from demoorg.org.orgfile import open_org

    location = _org_target(args, "info")
    if args.json:
        with open_org(location) as org:
            data = {k: org.meta[k] for k in ("build", "prospect", "features", "heroes")}
            data["counts"] = org.counts()
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print("\n".join(describe_org(location)))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from demoorg.content.paths import list_templates
    from demoorg.content.stories import check_stories, display_path, format_duration
    from demoorg.content.template import load_template

    folders = [Path(p) for p in args.paths] if args.paths else list_templates()
    if not folders:
        raise UsageError("no templates found (expected industries/<name>/template.yaml)")
    failures = story_count = story_failures = 0
    for folder in folders:
        try:
            tpl = load_template(folder)
        except ContentError as exc:
            failures += 1
            print(one_line(exc), file=sys.stderr)
            continue
        except UsageError as exc:
            failures += 1
            print(one_line(f"{folder}: {exc}"), file=sys.stderr)
            continue
        print(
            f"ok  {folder}  ({tpl.label}: {len(tpl.objects)} objects, {len(tpl.heroes)} heroes, "
            f"{len(tpl.features)} features, {len(tpl.dashboards)} dashboards)"
        )
        # A template's stories are checked against it: heroes, fields, layouts, tiles, features.
        for path, story in check_stories(tpl):
            story_count += 1
            if isinstance(story, ContentError):
                story_failures += 1
                print(one_line(story), file=sys.stderr)
                continue
            print(
                f"ok  {display_path(path)}  ({story.title}: {len(story.scenes)} scenes, "
                f"{story.persona}, {format_duration(story.length)})"
            )
    if failures:
        print(f"{failures} of {len(folders)} templates have errors", file=sys.stderr)
    if story_failures:
        print(f"{story_failures} of {story_count} stories have errors", file=sys.stderr)
    return 1 if failures or story_failures else 0


def cmd_stories(args: argparse.Namespace) -> int:
    from demoorg.content.stories import format_duration
    from demoorg.org.orgfile import open_org
    from demoorg.present.catalog import stories_for_org

    with open_org(args.org) as org:
        meta = org.meta
    fits = stories_for_org(meta)
    build = meta["build"]
    if args.json:
        data = [
            {
                "file": str(f.path),
                "key": f.story.key if f.story else f.path.stem,
                "title": f.story.title if f.story else None,
                "persona": f.story.persona if f.story else None,
                "scenes": len(f.story.scenes) if f.story else 0,
                "length": f.story.length if f.story else 0,
                "playable": f.playable,
                "status": f.status,
                "badges": [{"key": b.key, "label": b.label, "stage": b.stage} for b in f.badges],
            }
            for f in fits
        ]
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(
        f"Stories for {meta['prospect']['name']} ({build['industry']}, {build['release']}): "
        f"{len(fits)} found"
    )
    for f in fits:
        if f.story is None:
            print(f"  {f.path.stem:<24} {f.status}")
            continue
        s = f.story
        shown = len(s.scenes) - f.skipped
        scenes = f"{len(s.scenes)} scenes" + (f" ({shown} shown)" if f.skipped else "")
        print(f"  {s.key:<24} {s.title}")
        print(f"  {'':<24} {s.persona} · {scenes} · {format_duration(s.length)} · {f.status}")
        if f.badges:
            print(f"  {'':<24} " + " · ".join(f"[{b.stage}] {b.label}" for b in f.badges))
    return 0


def cmd_releases(args: argparse.Namespace) -> int:
    from demoorg.content.releases import describe_day

    day = _parse_date(args.on) if args.on else _today()
    print("\n".join(describe_day(day)))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from demoorg.content.paths import list_templates
    from demoorg.content.template import load_template

    for folder in list_templates():
        try:
            tpl = load_template(folder)
            print(f"{tpl.industry:<16} {tpl.label}  ({folder})")
        except ContentError as exc:
            print(f"{folder.name:<16} invalid: {exc}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from demoorg.org.audit import (
        check_rule_names,
        describe_rules,
        format_results,
        results_json,
        rules_json,
        run_audit,
    )
    from demoorg.org.orgfile import open_org

    if args.list:
        if args.json:
            print(json.dumps(rules_json(), indent=2, ensure_ascii=False))
        else:
            print("\n".join(describe_rules()))
        return 0
    location = _org_target(args, "audit")
    if not location:
        raise UsageError("no org file given (expected demoorg audit ORG, or --list)")
    names = check_rule_names(args.rule)
    with open_org(location) as org:
        results = run_audit(org, names)
        if args.json:
            print(json.dumps(results_json(org, results), indent=2, ensure_ascii=False))
        else:
            print("\n".join(format_results(results)))
    return 1 if any(r.failed for r in results) else 0


def cmd_orgs(args: argparse.Namespace) -> int:
    from demoorg.org.server import list_orgs
    from demoorg.seeders.writers import PgTarget, parse_target

    target = parse_target(args.db)
    if not isinstance(target, PgTarget):
        raise UsageError(
            f"{args.db} is not a PostgreSQL server (expected postgresql+psycopg://user@host/dbname)"
        )
    if target.name:
        raise UsageError(
            f"orgs lists a whole server (expected {target.server}, without #{target.name})"
        )
    orgs = list_orgs(target)
    if args.json:
        print(json.dumps([o.as_dict() for o in orgs], indent=2, ensure_ascii=False))
        return 0
    if not orgs:
        print(f"No orgs on {target.server} yet (build one with demoorg seed --db URL --org NAME).")
        return 0
    rows = [("ORG", "PROSPECT", "INDUSTRY", "RELEASE", "RECORDS", "AS OF", "OWNER")]
    for o in orgs:
        if o.error:
            rows.append((o.name, f"({o.error})", "", "", "", "", o.owner))
            continue
        records = f"{o.records:,}" if o.records is not None else "?"
        rows.append((o.name, o.prospect, o.industry, o.release, records, o.as_of, o.owner))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"{len(orgs)} org{'' if len(orgs) == 1 else 's'} on {target.server}")
    for r in rows:
        cells = [
            c.rjust(w) if i == 4 else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        print("  " + "  ".join(cells).rstrip())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from demoorg.org.export import check_output, export_org
    from demoorg.org.orgfile import open_org

    fmt = args.export_format
    # The output is checked before the org is read, so a refusal costs nothing and writes nothing.
    check_output(args.out, fmt, args.force)
    with open_org(args.org) as org:
        result = export_org(org, fmt, args.out, force=args.force, include_users=args.with_users)
    if result.path != "-":
        print(
            f"Exported {result.rows:,} records of {len(result.counts)} objects "
            f"to {result.path} ({fmt})."
        )
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    from demoorg.content.packs import make_pack

    result = make_pack(args.template, args.out, force=args.force)
    print(
        f"Packed {result.label} ({result.industry}) into {result.path}: {result.files} files, "
        f"{result.bytes:,} bytes, templates {', '.join(result.folders)}."
    )
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    from demoorg.content.packs import install_pack

    result = install_pack(args.pack, replace=args.replace)
    print(f"Installed {result.label} ({result.industry}) into {result.path}.")
    for backup in result.backups:
        print(f"  previous version kept at {backup}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def cmd_present(args: argparse.Namespace) -> int:
    from demoorg.org.orgfile import open_org
    from demoorg.present import stories_for_org

    with open_org(args.org) as org:
        meta = org.meta
    story = Path(args.story)
    if not story.is_file():
        fits = stories_for_org(meta)
        named = [f for f in fits if Path(f.path).stem == args.story]
        if not named:
            names = ", ".join(Path(f.path).stem for f in fits) or "none"
            raise UsageError(
                f"unknown story {args.story!r} for this org (expected one of: {names})"
            )
        story = Path(named[0].path)
    try:
        from demoorg.ui.app import make_app
        from demoorg.ui.presenter import run_presenter
    except ImportError as exc:  # Qt's libraries missing on this machine
        raise DemoOrgError(f"the presenter needs Qt, which cannot start here: {exc}") from None
    app = make_app()
    presenter = run_presenter(args.org, story, today=_today(), rehearsal=args.rehearse)
    del presenter  # kept alive by its windows until they close
    return int(app.exec())


def default_org_path() -> Path:
    from demoorg.content.paths import user_home

    return user_home() / "orgs" / f"acme-{DEFAULT_INDUSTRY}.demoorg"


def ensure_default_org() -> Path:
    """Builds the default org (medical, standard size) on first run; returns its path."""
    from demoorg.seeders.build import is_org_file

    path = default_org_path()
    if not is_org_file(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        args = make_parser().parse_args(["seed", "--out", str(path), "--force", "--quiet"])
        print(f"First run: building the default demo org at {path} …", file=sys.stderr)
        cmd_seed(args)
    return path


def _start_app() -> int:
    try:
        from demoorg.ui.app import run_app
    except ImportError:
        path = ensure_default_org()
        print("\n".join(describe_org(str(path))))
        return 0
    return run_app()


_COMMANDS = {
    "seed": cmd_seed,
    "info": cmd_info,
    "validate": cmd_validate,
    "releases": cmd_releases,
    "list": cmd_list,
    "stories": cmd_stories,
    "audit": cmd_audit,
    "present": cmd_present,
    "orgs": cmd_orgs,
    "export": cmd_export,
    "pack": cmd_pack,
    "install": cmd_install,
}
