"""Helpers shared by the presenting tests: table hashes of an org file, and small story orgs."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

from demoorg.content.paths import BUILTIN_INDUSTRIES
from demoorg.content.releases import parse_release
from demoorg.content.template import load_template
from demoorg.seeders.build import build_org
from demoorg.seeders.plan import BuildParams, Prospect

AS_OF = date(2026, 11, 23)
#: Every shipped story.
STORIES = sorted(BUILTIN_INDUSTRIES.glob("*/stories/*.y*ml"))


def table_hashes(path: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """A content hash of every table (all rows, ordered), by table name."""
    out = {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for t in tables:
            if t in skip:
                continue
            h = hashlib.sha256()
            for row in con.execute(f'SELECT * FROM "{t}" ORDER BY 1'):
                h.update(repr(row).encode())
            out[t] = h.hexdigest()
    return out


def file_hash(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_story_orgs(folder: Path, size: int) -> dict[str, Path]:
    """One org of ``size`` records per industry that has stories, for "Acme Health", seed 3."""
    out = {}
    for industry in sorted({p.parent.parent.name for p in STORIES}):
        tpl = load_template(industry)
        params = BuildParams(
            industry=tpl.industry,
            seed=3,
            size=size,
            size_name=str(size),
            locale="en_US",
            as_of=AS_OF,
            release=parse_release("Winter '27"),
            prospect=Prospect("Acme Health"),
        )
        out[industry] = build_org(tpl, params, folder / f"{industry}.demoorg").path
    return out
