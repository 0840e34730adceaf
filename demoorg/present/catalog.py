"""Which stories fit an org: its industry's stories, their feature badges, and what is missing.

A story is validated against its template when it is loaded; an org is self-describing and may have
been built from an older template, so before presenting, :func:`story_problems` checks the story
against the org's own metadata (heroes, objects, fields, dashboards), and :func:`feature_badges`
reads each required feature's stage (GA, Beta, Pilot, Not available) from ``meta["features"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demoorg.content import model as m
from demoorg.content.paths import find_template_dir
from demoorg.content.stories import RecordRef, StoryDef, check_stories
from demoorg.content.template import load_template
from demoorg.errors import ContentError, UsageError

NOT_AVAILABLE = "Not available"


@dataclass(frozen=True, slots=True)
class Badge:
    """A feature's stage in the org: ``GA``, ``Beta``, ``Pilot`` or ``Not available``."""

    key: str
    label: str
    stage: str

    @property
    def available(self) -> bool:
        return self.stage != NOT_AVAILABLE

    @property
    def forward_looking(self) -> bool:
        """A feature that is not GA (shown under a forward-looking-statements reminder)."""
        return self.stage != "GA"


def feature_badges(keys: tuple[str, ...] | list[str], meta: dict[str, Any]) -> tuple[Badge, ...]:
    """Badges of features by key, from the org's metadata (unknown keys are Not available)."""
    known = {f["key"]: f for f in meta.get("features") or ()}
    out = []
    for key in dict.fromkeys(keys):
        f = known.get(key)
        out.append(Badge(key, f["label"], f["stage"]) if f else Badge(key, key, NOT_AVAILABLE))
    return tuple(out)


def story_problems(story: StoryDef, meta: dict[str, Any]) -> list[str]:
    """What the org lacks for the story: heroes, objects, fields or dashboards (empty: it fits).

    Feature availability is not a problem here: scenes that need an unavailable feature are skipped
    (see :class:`demoorg.present.runner.StoryRunner`).
    """
    problems: list[str] = []
    heroes = meta.get("heroes") or {}
    objects = {o["name"]: o for o in meta["template"]["objects"]}
    fields = {
        name: {f["name"] for f in o["fields"] if f.get("store", True)}
        for name, o in objects.items()
    }
    dashboards = {d["key"]: d for d in meta["template"].get("dashboards") or ()}
    industry = meta["build"].get("industry")
    if industry and story.industry != industry:
        problems.append(f"the story is for {story.industry}, the org is {industry}")

    def need_object(name: str | None) -> None:
        if name and name not in objects:
            problems.append(f"the org has no {name} object")

    def need_ref(ref: RecordRef | None) -> None:
        if ref is None:
            return
        if ref.hero is not None and ref.hero not in heroes:
            problems.append(f"the org has no hero {ref.hero!r}")
        need_object(ref.object)

    for scene in story.scenes:
        show = scene.show
        if show.kind == "dashboard" and show.dashboard not in dashboards:
            problems.append(f"the org has no dashboard {show.dashboard!r}")
        need_object(show.object)
        need_ref(show.record)
        for action in scene.actions:
            need_ref(action.record)
            need_object(action.object)
            target = action.object or (action.record.object if action.record else None)
            for fname, value in action.values:
                if target in fields and fname not in fields[target]:
                    problems.append(f"the org has no field {target}.{fname}")
                if isinstance(value, RecordRef):
                    need_ref(value)
    return list(dict.fromkeys(problems))


@dataclass(frozen=True, slots=True)
class StoryFit:
    """A story of the org's industry and whether it can be presented on the org.

    ``story`` is None when the file has a mistake (``error``). ``badges`` are the story's features
    (story-wide and per scene); ``skipped`` counts scenes whose features the org does not have.
    """

    path: Path
    story: StoryDef | None
    error: str = ""
    problems: tuple[str, ...] = ()
    badges: tuple[Badge, ...] = ()
    skipped: int = 0

    @property
    def playable(self) -> bool:
        if self.story is None or self.problems:
            return False
        return all(b.available for b in self.badges if b.key in self.story.requires)

    @property
    def status(self) -> str:
        """``ready``, ``needs <feature>`` or ``does not fit: <why>`` (one line, for lists)."""
        if self.story is None:
            return f"invalid: {self.error}"
        if self.problems:
            return f"does not fit: {self.problems[0]}"
        missing = [b.label for b in self.badges if b.key in self.story.requires and not b.available]
        if missing:
            return f"needs {', '.join(missing)}"
        if self.skipped:
            return f"ready ({self.skipped} scene{'s' * (self.skipped != 1)} skipped)"
        return "ready"


def template_of_org(meta: dict[str, Any]) -> m.TemplateDef | None:
    """The template an org was built from, found by its industry name (None when not installed)."""
    industry = meta["build"].get("industry")
    if not industry:
        return None
    try:
        return load_template(find_template_dir(industry))
    except (UsageError, ContentError):
        return None


def skipped_scenes(story: StoryDef, meta: dict[str, Any]) -> int:
    """How many scenes need a feature the org does not have."""
    stages = {b.key: b for b in feature_badges(story.features(), meta)}
    return sum(1 for s in story.scenes if any(not stages[k].available for k in s.requires))


def stories_for_org(meta: dict[str, Any], tpl: m.TemplateDef | None = None) -> list[StoryFit]:
    """Every story of the org's industry, loaded and checked against the org.

    Args:
        meta: the org's metadata (``org.meta``).
        tpl: the template to read stories from (default: found by the org's industry name).
    """
    tpl = tpl or template_of_org(meta)
    if tpl is None:
        return []
    out = []
    for path, loaded in check_stories(tpl):
        if isinstance(loaded, ContentError):
            out.append(StoryFit(path, None, error=str(loaded)))
            continue
        out.append(
            StoryFit(
                path,
                loaded,
                problems=tuple(story_problems(loaded, meta)),
                badges=feature_badges(loaded.features(), meta),
                skipped=skipped_scenes(loaded, meta),
            )
        )
    return out
