"""Loads ``industries/<name>/stories/*.yaml`` into validated, frozen :class:`StoryDef` models.

A story is a scripted demo: a persona, a target length and 6 to 12 scenes. Each scene says what to
show (a list view, a record or a dashboard), what to point at (a field, a section, a related list,
a dashboard tile, the stage path or the activity timeline), the talk track and private notes, a time
budget, and optionally a few whitelisted *live actions* (update, create, log, advance, convert,
close) that change the org while the audience watches.

Every reference is checked against the industry's template: heroes, objects, fields, picklist
values, layouts, dashboards, tiles and features. Mistakes are :class:`ContentError` at
``file:line``. ``docs/story-format.md`` documents the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demoorg.content import model as m
from demoorg.content.template import parse_where_mapping
from demoorg.content.validate import resolve_path
from demoorg.content.yamlload import (
    Section,
    describe,
    load_yaml_file,
    load_yaml_text,
    suggest,
)
from demoorg.errors import ContentError

SCHEMA_VERSION = 1
MIN_SCENES = 6
MAX_SCENES = 12

#: The live actions a scene may perform, in the order the docs list them.
ACTION_KINDS = ("update", "create", "log", "advance", "convert", "close")
#: What a spotlight may point at.
SPOTLIGHT_KINDS = ("field", "section", "related", "tile", "path", "timeline")
#: Activity kinds of ``log``: calls, emails and tasks are Tasks; meetings are Events.
LOG_KINDS = {"call": "Call", "email": "Email", "task": "Task", "meeting": None}

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$", re.I)
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_REF = re.compile(r"^(hero|new)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z][A-Za-z0-9_]*))?$")
_DURATION = re.compile(r"^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")
_DATE_OFFSET = re.compile(r"^(today|[+-]?\d+(?:\.\d+)?[hdw])(?:\s+(\d{1,2}):(\d{2}))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_UNIT_DAYS = {"h": 1 / 24, "d": 1.0, "w": 7.0}

#: Fields a live action never sets directly (demoorg owns them).
_RESERVED_FIELDS = ("Id", "RecordTypeId")


# --- models --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record a scene shows or an action changes, resolved to an Id when the story runs.

    One of three forms:

    - ``hero.<key>``: a hero record of the template (``hero.maria``);
    - ``new.<key>``: a record an earlier ``create`` action of the story made (``as: <key>``);
    - a query ``{object: X, where: {...}}``: the first record of X (by Id) that matches.

    ``hero.<key>.<Lookup>`` and ``new.<key>.<Lookup>`` follow one lookup field of that record
    (``hero.sharma_referral.ConvertedAccountId``: the account a lead became). ``object`` is the
    object of the record the reference ends at.
    """

    object: str
    hero: str | None = None
    new: str | None = None
    via: str | None = None
    where: m.Where | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date or date-time relative to the org's today: ``0d``, ``+3d``, ``-2h``, ``+1d 14:30``.

    ``days`` may be fractional (hours). ``time`` (``HH:MM``) sets the time of day of a date-time;
    without it a date-time counts from 09:00 on the org's today.
    """

    days: float
    time: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class Show:
    """What a scene puts on the audience screen.

    ``kind`` is ``list`` (``object`` filtered by ``where``), ``record`` (the record ``record``
    refers to, of ``object``) or ``dashboard`` (``dashboard`` key).
    """

    kind: str
    object: str | None = None
    where: m.Where = field(default_factory=m.Where)
    record: RecordRef | None = None
    dashboard: str | None = None


@dataclass(frozen=True, slots=True)
class Spotlight:
    """What to highlight on the shown page: ``kind`` in :data:`SPOTLIGHT_KINDS`, and its target.

    ``field`` → a field name (or path); ``section`` → a layout section label; ``related`` → a child
    object of the layout's related lists; ``tile`` → a tile key of the shown dashboard; ``path``
    and ``timeline`` have no target.
    """

    kind: str
    target: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


@dataclass(frozen=True, slots=True)
class Action:
    """One live action of a scene.

    ``kind`` is one of :data:`ACTION_KINDS`:

    - ``update``: set ``values`` on ``record``;
    - ``create``: a new ``object`` record with ``values`` (and ``record_type``), known to later
      scenes as ``new.<key>`` when ``key`` is given;
    - ``log``: a call, email or task (``Task``) or a meeting (``Event``) on ``record``, with
      ``subject``, ``status``, ``when`` and ``minutes``; ``activity`` is the call/email/task/meeting;
    - ``advance``: move ``record``'s picklist ``field`` to ``to`` (or to the next value);
    - ``convert``: convert the lead ``record`` to an account and contact (and an opportunity named
      ``opportunity`` when given), setting its status to ``status``;
    - ``close``: close ``record`` (a case) with ``status``.
    """

    kind: str
    record: RecordRef | None = None
    object: str | None = None
    values: tuple[tuple[str, Any], ...] = ()
    key: str | None = None
    record_type: str | None = None
    activity: str | None = None
    subject: str | None = None
    status: str | None = None
    when: DateValue | None = None
    minutes: int | None = None
    field: str | None = None
    to: str | None = None
    opportunity: str | None = None
    label: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class SceneDef:
    """One scene: what to show and say, for how long, and what to do live."""

    index: int
    title: str
    say: str
    notes: str
    budget: int  # seconds
    show: Show
    spotlight: Spotlight | None = None
    actions: tuple[Action, ...] = ()
    requires: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class StoryDef:
    """A validated story of one industry template."""

    key: str  # the file name without .yaml
    industry: str
    title: str
    persona: str
    length: int  # seconds
    summary: str
    scenes: tuple[SceneDef, ...]
    requires: tuple[str, ...] = ()
    path: str = ""

    @property
    def budget(self) -> int:
        """The scenes' budgets added up, in seconds."""
        return sum(s.budget for s in self.scenes)

    def features(self) -> tuple[str, ...]:
        """Every feature the story or one of its scenes requires, story-wide ones first."""
        keys = [*self.requires, *(k for s in self.scenes for k in s.requires)]
        return tuple(dict.fromkeys(keys))


# --- small parsers -------------------------------------------------------------------------------


def parse_duration(text: Any) -> int | None:
    """Seconds of ``90s``, ``2m``, ``1m30s``, ``1h`` or a bare number of seconds; None if invalid."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if text > 0 else None
    if not isinstance(text, str):
        return None
    mo = _DURATION.match(text.strip().replace(" ", ""))
    if not mo or not any(mo.groups()):
        return None
    h, mi, s = (int(g) if g else 0 for g in mo.groups())
    total = h * 3600 + mi * 60 + s
    return total or None


def format_duration(seconds: float) -> str:
    """``95`` → ``1m35s``; ``720`` → ``12m``; ``45`` → ``45s``."""
    seconds = round(seconds)
    mins, secs = divmod(seconds, 60)
    if not mins:
        return f"{secs}s"
    return f"{mins}m{secs:02d}s" if secs else f"{mins}m"


def parse_date_value(text: Any, datetime: bool) -> DateValue | str | None:
    """A story's date value: an offset (``DateValue``), an ISO date text, or None if invalid."""
    if not isinstance(text, str):
        return None
    t = text.strip()
    if (_ISO_DATETIME if datetime else _ISO_DATE).match(t) or (datetime and _ISO_DATE.match(t)):
        return t.replace("T", " ")
    mo = _DATE_OFFSET.match(t)
    if not mo:
        return None
    head = mo.group(1)
    days = 0.0 if head == "today" else float(head[:-1]) * _UNIT_DAYS[head[-1]]
    time = None
    if mo.group(2) is not None:
        if not datetime:
            return None
        hh, mm = int(mo.group(2)), int(mo.group(3))
        if hh > 23 or mm > 59:
            return None
        time = f"{hh:02d}:{mm:02d}"
    if not datetime and head.endswith("h"):
        return None
    return DateValue(days, time, t)


def placeholders(text: str) -> list[str]:
    """The ``{…}`` placeholders of a title or talk track (``{{`` and ``}}`` are literal braces)."""
    return _PLACEHOLDER.findall(text.replace("{{", "").replace("}}", ""))


# --- finding and loading ---------------------------------------------------------------------------


def stories_dir(tpl: m.TemplateDef) -> Path:
    """The folder that holds a template's stories (``<template folder>/stories``)."""
    return Path(tpl.path) / "stories"


def story_files(tpl: m.TemplateDef) -> list[Path]:
    """The template's story files, sorted by name (``*.yaml`` and ``*.yml``)."""
    folder = stories_dir(tpl)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
    )


def display_path(path: Path) -> str:
    """A story file as errors name it: relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_story(path: Path, tpl: m.TemplateDef, display: str | None = None) -> StoryDef:
    """Loads and validates one story file against its template.

    Raises:
        ContentError: the first mistake, at its file and line.
    """
    name = display or display_path(path)
    data = load_yaml_file(path, name)
    return parse_story(data, tpl, path.stem, name)


def load_story_text(text: str, tpl: m.TemplateDef, path: str = "story.yaml") -> StoryDef:
    """Parses a story from YAML text (tests and tools); the key is the file name's stem."""
    return parse_story(load_yaml_text(text, path), tpl, Path(path).stem, path)


def load_stories(tpl: m.TemplateDef) -> tuple[StoryDef, ...]:
    """Every story of a template, by file name.

    Raises:
        ContentError: the first story with a mistake.
    """
    return tuple(load_story(p, tpl) for p in story_files(tpl))


def check_stories(tpl: m.TemplateDef) -> list[tuple[Path, StoryDef | ContentError]]:
    """Loads every story of a template and keeps going after errors (for ``demoorg validate``)."""
    out: list[tuple[Path, StoryDef | ContentError]] = []
    for p in story_files(tpl):
        try:
            out.append((p, load_story(p, tpl)))
        except ContentError as exc:
            out.append((p, exc))
    return out


# --- the parser ------------------------------------------------------------------------------------


class _Ctx:
    """What the parser knows while it walks one story: the template and the records made so far."""

    def __init__(self, tpl: m.TemplateDef, path: str) -> None:
        self.tpl = tpl
        self.path = path
        self.heroes = {h.key: h for h in tpl.heroes}
        self.features = {f.key: f for f in tpl.features}
        self.dashboards = {d.key: d for d in tpl.dashboards}
        self.created: dict[str, str] = {}  # new.<key> -> object

    def obj(self, name: Any, sec: Section, key: str) -> m.ObjectDef:
        if not isinstance(name, str) or not self.tpl.has_object(name):
            names = [o.name for o in self.tpl.objects]
            raise sec.error(
                f"{key!r} names object {name!r}, which the {self.tpl.industry} template does not "
                f"have{suggest(str(name), names)} (expected an object of the template)",
                key,
            )
        return self.tpl.object(name)


_STORY_KEYS = ("schema_version", "story", "persona", "length", "summary", "requires", "scenes")
_SCENE_KEYS = ("title", "say", "notes", "budget", "requires", "show", "spotlight", "do")
_ACTION_KEYS = (
    *ACTION_KINDS,
    "label",
    "set",
    "fields",
    "as",
    "record_type",
    "type",
    "subject",
    "status",
    "when",
    "minutes",
    "field",
    "to",
    "opportunity",
)


def _check_keys(sec: Section, known: Iterable[str]) -> None:
    """Rejects unknown keys before required ones are read, so a typo in a required key is
    reported at the typo (``persnoa``) rather than as a missing ``persona``."""
    known = tuple(known)
    for key in sec.data:
        if key not in known:
            raise sec.error(
                f"unknown key {key!r} in {sec.what}{suggest(str(key), known)}"
                f" (expected one of: {', '.join(sorted(known))})",
                key,
            )


def parse_story(data: Any, tpl: m.TemplateDef, key: str, path: str) -> StoryDef:
    """Validates parsed story YAML (from :mod:`demoorg.content.yamlload`) against ``tpl``."""
    top = Section(data, path, "the story", 1)
    _check_keys(top, _STORY_KEYS)
    version = top.take("schema_version", int, SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise top.error(
            f"schema_version {version} is not supported (expected {SCHEMA_VERSION})",
            "schema_version",
        )
    ctx = _Ctx(tpl, top.path)
    title = _text(top, "story")
    persona = _text(top, "persona")
    length = _duration(top, "length")
    summary = _text(top, "summary")
    requires = _features(top, ctx)
    raw_scenes = top.take("scenes", list)
    if not MIN_SCENES <= len(raw_scenes) <= MAX_SCENES:
        raise top.error(
            f"the story has {len(raw_scenes)} scenes (expected {MIN_SCENES} to {MAX_SCENES})",
            "scenes",
        )
    top.finish()
    lines = getattr(raw_scenes, "item_lines", [top.line_of("scenes")] * len(raw_scenes))
    scenes = tuple(_parse_scene(i, item, lines[i], ctx) for i, item in enumerate(raw_scenes))
    return StoryDef(
        key=key,
        industry=tpl.industry,
        title=title,
        persona=persona,
        length=length,
        summary=summary,
        scenes=scenes,
        requires=requires,
        path=path,
    )


def _text(sec: Section, key: str, default: Any = ...) -> str:
    value = sec.take(key, str) if default is ... else sec.take(key, str, default)
    if value is not None and not value.strip() and default is ...:
        raise sec.error(f"{key!r} of {sec.what} is empty (expected some text)", key)
    return value.strip() if isinstance(value, str) else value


def _duration(sec: Section, key: str) -> int:
    raw = sec.take(key, (str, int))
    seconds = parse_duration(raw)
    if seconds is None:
        raise sec.error(
            f"{key!r} of {sec.what} is {raw!r}, not a duration (expected e.g. 90s, 2m, 1m30s or 12m)",
            key,
        )
    return seconds


def _features(sec: Section, ctx: _Ctx) -> tuple[str, ...]:
    raw = sec.take("requires", list, [])
    out = []
    for item in raw:
        if not isinstance(item, str) or item not in ctx.features:
            raise sec.error(
                f"'requires' names feature {item!r}, which the {ctx.tpl.industry} template does not "
                f"have{suggest(str(item), ctx.features)} (expected one of: {', '.join(ctx.features) or 'none'})",
                "requires",
            )
        out.append(item)
    return tuple(dict.fromkeys(out))


def _check_placeholders(sec: Section, key: str, text: str, ctx: _Ctx) -> None:
    for name in placeholders(text):
        if name == "prospect":
            continue
        mo = re.match(r"^hero\.([A-Za-z0-9_-]+)$", name)
        if mo and mo.group(1) in ctx.heroes:
            continue
        if mo:
            raise sec.error(
                f"{key!r} names hero {mo.group(1)!r}, which the template does not have"
                f"{suggest(mo.group(1), ctx.heroes)} (expected one of: {', '.join(ctx.heroes)})",
                key,
            )
        raise sec.error(
            f"{key!r} has the placeholder {{{name}}} (expected {{prospect}} or {{hero.<key>}}; "
            "write {{ and }} for literal braces)",
            key,
        )


def _parse_scene(index: int, data: Any, line: int, ctx: _Ctx) -> SceneDef:
    what = f"scene {index + 1}"
    sec = Section(data, ctx.path, what, line)
    _check_keys(sec, _SCENE_KEYS)
    title = _text(sec, "title")
    _check_placeholders(sec, "title", title, ctx)
    say = _text(sec, "say")
    _check_placeholders(sec, "say", say, ctx)
    notes = _text(sec, "notes", "") or ""
    budget = _duration(sec, "budget")
    requires = _features(sec, ctx)
    show = _parse_show(sec, ctx)
    spotlight = _parse_spotlight(sec, show, ctx) if sec.has("spotlight") else None
    actions: list[Action] = []
    if sec.has("do"):
        raw = sec.take("do", (list, dict))
        items = raw if isinstance(raw, list) else [raw]
        item_lines = getattr(raw, "item_lines", None) or [sec.line_of("do")] * len(items)
        for item, item_line in zip(items, item_lines, strict=True):
            actions.append(_parse_action(item, item_line, what, ctx))
    sec.finish()
    return SceneDef(
        index=index,
        title=title,
        say=say,
        notes=notes,
        budget=budget,
        show=show,
        spotlight=spotlight,
        actions=tuple(actions),
        requires=requires,
        line=line,
    )


# --- show and spotlight ------------------------------------------------------------------------------


def _parse_show(sec: Section, ctx: _Ctx) -> Show:
    raw = sec.take("show", dict)
    ss = Section(raw, ctx.path, f"'show' of {sec.what}", sec.line_of("show"))
    kinds = [k for k in ("list", "record", "dashboard") if ss.has(k)]
    if len(kinds) != 1:
        raise sec.error(
            f"'show' of {sec.what} has {' and '.join(kinds) or 'nothing to show'} "
            "(expected exactly one of: list, record, dashboard)",
            "show",
        )
    kind = kinds[0]
    if kind == "list":
        obj = ctx.obj(ss.take("list", str), ss, "list")
        where = _parse_where(ss, "filter", obj, ctx) if ss.has("filter") else m.Where()
        ss.take("filter", dict, None)
        ss.finish()
        return Show("list", object=obj.name, where=where)
    if kind == "record":
        ref = _parse_ref(ss, "record", ctx)
        ss.finish()
        return Show("record", object=ref.object, record=ref)
    key = ss.take("dashboard", str)
    if key not in ctx.dashboards:
        raise ss.error(
            f"dashboard {key!r} is not in the template{suggest(key, ctx.dashboards)} "
            f"(expected one of: {', '.join(ctx.dashboards) or 'none'})",
            "dashboard",
        )
    ss.finish()
    return Show("dashboard", dashboard=key)


def _parse_spotlight(sec: Section, show: Show, ctx: _Ctx) -> Spotlight:
    raw = sec.take("spotlight", str).strip()
    kind, _, target = raw.partition(":")
    kind, target = kind.strip(), target.strip()

    def fail(why: str) -> ContentError:
        return sec.error(f"spotlight {raw!r}: {why}", "spotlight")

    if kind not in SPOTLIGHT_KINDS:
        raise fail(
            f"{kind!r} is not something to spotlight{suggest(kind, SPOTLIGHT_KINDS)} "
            "(expected field:<Name>, section:<Label>, related:<Object>, tile:<key>, path or timeline)"
        )
    if kind in ("path", "timeline"):
        if target:
            raise fail(f"{kind} takes no target (expected just '{kind}')")
    elif not target:
        raise fail(f"{kind} needs a target (expected {kind}:<…>)")
    if kind == "tile":
        if show.kind != "dashboard":
            raise fail("a tile can only be spotlit on a dashboard (expected show: {dashboard: …})")
        tiles = [t.key for t in ctx.dashboards[show.dashboard or ""].tiles]
        if target not in tiles:
            raise fail(
                f"dashboard {show.dashboard!r} has no tile {target!r}{suggest(target, tiles)} "
                f"(expected one of: {', '.join(tiles)})"
            )
        return Spotlight(kind, target)
    if show.kind == "dashboard":
        raise fail(f"{kind} cannot be spotlit on a dashboard (expected tile:<key>)")
    obj = ctx.tpl.object(show.object or "")
    if kind == "field":
        try:
            resolve_path(ctx.tpl, obj, target)
        except KeyError as exc:
            raise fail(f"{exc.args[0]} (expected a field of {obj.name})") from None
        return Spotlight(kind, target)
    if show.kind != "record":
        raise fail(f"{kind} can only be spotlit on a record page (expected field:<Name> on a list)")
    layout = obj.layout
    if kind == "timeline":
        if not (ctx.tpl.has_object("Task") or ctx.tpl.has_object("Event")):
            raise fail("the template has no Task or Event object (expected activities)")
        return Spotlight(kind)
    if layout is None:
        raise fail(f"{obj.name} has no page layout (expected a layout with {kind}s)")
    if kind == "path":
        if not layout.path:
            raise fail(f"{obj.name}'s layout has no path (expected layout: {{path: <picklist>}})")
        return Spotlight(kind)
    if kind == "section":
        labels = [s.label for s in layout.sections]
        if target not in labels:
            raise fail(
                f"{obj.name}'s layout has no section {target!r}{suggest(target, labels)} "
                f"(expected one of: {', '.join(labels) or 'none'})"
            )
        return Spotlight(kind, target)
    children = [r[0] for r in layout.related]
    if target not in children:
        raise fail(
            f"{obj.name}'s layout has no related list of {target!r}{suggest(target, children)} "
            f"(expected one of: {', '.join(children) or 'none'})"
        )
    return Spotlight(kind, target)


# --- references and values ----------------------------------------------------------------------


def _parse_ref(sec: Section, key: str, ctx: _Ctx) -> RecordRef:
    raw = sec.take(key, (str, dict))
    if isinstance(raw, dict):
        rs = Section(raw, ctx.path, f"record query {key!r}", sec.line_of(key))
        obj = ctx.obj(rs.take("object", str), rs, "object")
        where = _parse_where(rs, "where", obj, ctx) if rs.has("where") else m.Where()
        rs.take("where", dict, None)
        rs.finish()
        return RecordRef(obj.name, where=where, text=f"{obj.name} where {_where_text(where)}")
    return ref_from_text(raw, sec, key, ctx)


def ref_from_text(text: str, sec: Section, key: str, ctx: _Ctx) -> RecordRef:
    mo = _REF.match(text.strip())
    if not mo:
        raise sec.error(
            f"{key!r} is {text!r}, not a record (expected hero.<key>, new.<key> or "
            "{object: X, where: {…}})",
            key,
        )
    kind, name, via = mo.groups()
    if kind == "hero":
        if name not in ctx.heroes:
            raise sec.error(
                f"{key!r} names hero {name!r}, which the template does not have"
                f"{suggest(name, ctx.heroes)} (expected one of: {', '.join(ctx.heroes) or 'none'})",
                key,
            )
        obj = ctx.heroes[name].object
    else:
        if name not in ctx.created:
            known = ", ".join(f"new.{k}" for k in ctx.created) or "none so far"
            raise sec.error(
                f"{key!r} names new.{name}, which no earlier 'create' made (expected a record "
                f"created earlier in the story with 'as: {name}'; known: {known})",
                key,
            )
        obj = ctx.created[name]
    if via:
        o = ctx.tpl.object(obj)
        if not o.has_field(via) or o.field(via).type != "lookup":
            raise sec.error(
                f"{key!r} follows {obj}.{via}, which is not a lookup field of {obj}"
                f"{suggest(via, [f.name for f in o.fields if f.type == 'lookup'])} "
                "(expected hero.<key>.<LookupField>)",
                key,
            )
        targets = [t for t in o.field(via).reference_to if ctx.tpl.has_object(t)]
        if len(targets) != 1:
            raise sec.error(
                f"{key!r} follows {obj}.{via}, which looks up {len(targets)} objects "
                "(expected a lookup to one object)",
                key,
            )
        obj = targets[0]
    return RecordRef(
        obj,
        hero=name if kind == "hero" else None,
        new=name if kind == "new" else None,
        via=via,
        text=text.strip(),
    )


def _where_text(where: m.Where) -> str:
    return ", ".join(f"{f} {op} {v}" for f, op, v in where.clauses)


def _parse_where(sec: Section, key: str, obj: m.ObjectDef, ctx: _Ctx) -> m.Where:
    """A condition whose values may be record references (``AccountId: hero.bayside``)."""
    data = sec.take(key, dict)
    where = parse_where_mapping(data, ctx.path)
    ws = Section(data, ctx.path, f"{key!r} condition")
    clauses = []
    for fld, op, value in where.clauses:
        try:
            fdef = resolve_path(ctx.tpl, obj, fld)
        except KeyError as exc:
            raise ws.error(f"{exc.args[0]} (expected a field of {obj.name})", fld) from None
        if isinstance(value, str) and _REF.match(value.strip()):
            ref = ref_from_text(value, ws, fld, ctx)
            if fdef.type != "lookup":
                raise ws.error(
                    f"{fld!r} is a {fdef.type} field, so it cannot equal the record {value!r} "
                    "(expected a lookup field)",
                    fld,
                )
            value = ref
        elif fdef.type == "picklist" and op in ("eq", "ne", "in", "not_in") and fdef.picklist:
            for v in value if isinstance(value, tuple) else (value,):
                if v is not None and v not in fdef.picklist:
                    raise ws.error(
                        f"{obj.name}.{fld} has no value {v!r}{suggest(str(v), fdef.picklist)} "
                        f"(expected one of: {', '.join(fdef.picklist)})",
                        fld,
                    )
        clauses.append((fld, op, value))
    return m.Where(tuple(clauses))


def _parse_value(
    obj: m.ObjectDef, fname: str, value: Any, sec: Section, key: str, ctx: _Ctx
) -> Any:
    """Checks one field value of a live action against the field's type."""
    if not obj.has_field(fname) or fname in _RESERVED_FIELDS or not obj.field(fname).store:
        names = [f.name for f in obj.fields if f.store and f.name not in _RESERVED_FIELDS]
        why = (
            "is set by demoorg"
            if fname in _RESERVED_FIELDS
            else "is a helper field, not stored in the org"
            if obj.has_field(fname)
            else "does not exist"
        )
        raise sec.error(
            f"{obj.name}.{fname} {why}{suggest(fname, names)} (expected a stored field of {obj.name})",
            key,
        )
    f = obj.field(fname)
    where = f"{obj.name}.{fname}"
    if value is None:
        return None
    if f.type == "lookup":
        if not isinstance(value, str):
            raise sec.error(
                f"{where} is a lookup, but the value is {describe(value)} "
                "(expected hero.<key> or new.<key>)",
                key,
            )
        ref = ref_from_text(value, sec, key, ctx)
        if f.reference_to and ref.object not in f.reference_to:
            raise sec.error(
                f"{where} looks up {', '.join(f.reference_to)}, but {value} is a {ref.object} "
                "(expected a record of the looked-up object)",
                key,
            )
        return ref
    if f.type in ("date", "datetime"):
        parsed = parse_date_value(value, f.type == "datetime")
        if parsed is None:
            example = "+1d 14:30, -2h" if f.type == "datetime" else "2026-12-01"
            raise sec.error(
                f"{where} is a {f.type}, but the value is {value!r} "
                f"(expected an offset from today such as 0d, +3d, -1w, or {example})",
                key,
            )
        return parsed
    if f.type == "boolean":
        if not isinstance(value, bool):
            raise sec.error(f"{where} is a boolean (expected true or false, got {value!r})", key)
        return value
    if f.type in m.NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise sec.error(f"{where} is a {f.type} (expected a number, got {value!r})", key)
        return value
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise sec.error(f"{where} is {f.type} (expected text, got {describe(value)})", key)
    value = str(value)
    if f.type == "picklist" and f.picklist and value not in f.picklist:
        raise sec.error(
            f"{where} has no value {value!r}{suggest(value, f.picklist)} "
            f"(expected one of: {', '.join(f.picklist)})",
            key,
        )
    if "{" in value:
        for name in placeholders(value):
            if name != "prospect":
                raise sec.error(
                    f"{where} has the placeholder {{{name}}} (expected only {{prospect}})", key
                )
    return value


def _values(
    sec: Section, key: str, obj: m.ObjectDef, ctx: _Ctx, required: bool = True
) -> tuple[tuple[str, Any], ...]:
    raw = sec.take(key, dict) if required else sec.take(key, dict, {})
    vs = Section(raw, ctx.path, f"{key!r} of {sec.what}", sec.line_of(key))
    out = []
    for fname in list(vs.data):
        value = vs.take(fname, (str, int, float, bool, type(None)))
        out.append((str(fname), _parse_value(obj, str(fname), value, vs, fname, ctx)))
    vs.finish()
    if required and not out:
        raise sec.error(f"{key!r} of {sec.what} is empty (expected Field: value pairs)", key)
    return tuple(out)


# --- live actions ---------------------------------------------------------------------------------


def _parse_action(data: Any, line: int, scene: str, ctx: _Ctx) -> Action:
    what = f"an action of {scene}"
    sec = Section(data, ctx.path, what, line)
    _check_keys(sec, _ACTION_KEYS)
    kinds = [k for k in ACTION_KINDS if sec.has(k)]
    if len(kinds) != 1:
        raise sec.error(
            f"{what} has {' and '.join(kinds) or 'no action'} "
            f"(expected exactly one of: {', '.join(ACTION_KINDS)})"
        )
    kind = kinds[0]
    label = _text(sec, "label", "") or ""
    action = _ACTION_PARSERS[kind](sec, ctx)
    sec.finish()
    return Action(**{**action, "kind": kind, "label": label, "line": line})


def _parse_update(sec: Section, ctx: _Ctx) -> dict[str, Any]:
    ref = _parse_ref(sec, "update", ctx)
    values = _values(sec, "set", ctx.tpl.object(ref.object), ctx)
    return {"record": ref, "values": values}


def _parse_create(sec: Section, ctx: _Ctx) -> dict[str, Any]:
    obj = ctx.obj(sec.take("create", str), sec, "create")
    record_type = sec.take("record_type", str, None)
    if record_type is not None:
        names = [r[0] for r in obj.record_types]
        if record_type not in names:
            raise sec.error(
                f"{obj.name} has no record type {record_type!r}{suggest(record_type, names)} "
                f"(expected one of: {', '.join(names) or 'none'})",
                "record_type",
            )
    values = _values(sec, "fields", obj, ctx)
    named = obj.name_field in dict(values) or isinstance(
        obj.field(obj.name_field).source if obj.has_field(obj.name_field) else None, m.Sequence
    )
    if not named:
        raise sec.error(
            f"the new {obj.name} has no {obj.name_field} (expected {obj.name_field} in 'fields', "
            "so the record has a name on screen)",
            "fields",
        )
    key = sec.take("as", str, None)
    if key is not None:
        if not _KEY.match(key):
            raise sec.error(f"'as' is {key!r} (expected a key of letters, digits, _ and -)", "as")
        if key in ctx.created:
            raise sec.error(f"new.{key} is created twice (expected a new key)", "as")
        ctx.created[key] = obj.name
    return {"object": obj.name, "values": values, "key": key, "record_type": record_type}


def _parse_log(sec: Section, ctx: _Ctx) -> dict[str, Any]:
    ref = _parse_ref(sec, "log", ctx)
    activity = sec.take("type", str, "task")
    if activity not in LOG_KINDS:
        raise sec.error(
            f"'type' is {activity!r}{suggest(activity, LOG_KINDS)} "
            f"(expected one of: {', '.join(LOG_KINDS)})",
            "type",
        )
    target = "Event" if activity == "meeting" else "Task"
    if not ctx.tpl.has_object(target):
        raise sec.error(f"the template has no {target} object (expected one to log a {activity})")
    tobj = ctx.tpl.object(target)
    link = activity_link(tobj, ref.object)
    if link is None:
        raise sec.error(
            f"a {target} cannot be logged on a {ref.object}: neither {target}.WhoId nor "
            f"{target}.WhatId looks up {ref.object} (expected a record those lookups point at)",
            "log",
        )
    subject = _text(sec, "subject")
    status = sec.take("status", str, None)
    if status is not None:
        if target != "Task" or not tobj.has_field("Status"):
            raise sec.error(f"a {activity} has no status (expected no 'status')", "status")
        pl = tobj.field("Status").picklist
        if pl and status not in pl:
            raise sec.error(
                f"Task.Status has no value {status!r}{suggest(status, pl)} "
                f"(expected one of: {', '.join(pl)})",
                "status",
            )
    when = None
    if sec.has("when"):
        raw = sec.take("when", str)
        parsed = parse_date_value(raw, target == "Event")
        if not isinstance(parsed, DateValue):
            raise sec.error(
                f"'when' is {raw!r} (expected an offset from today such as 0d, +2d or +1d 14:30)",
                "when",
            )
        when = parsed
    minutes = sec.take("minutes", int, None)
    if minutes is not None and not 1 <= minutes <= 1440:
        raise sec.error(f"'minutes' is {minutes} (expected 1 to 1440)", "minutes")
    return {
        "record": ref,
        "activity": activity,
        "subject": subject,
        "status": status,
        "when": when,
        "minutes": minutes,
    }


def activity_link(activity_obj: m.ObjectDef, target: str) -> str | None:
    """The lookup of a Task or Event that can point at a ``target`` record (WhoId first)."""
    for name in ("WhoId", "WhatId"):
        if activity_obj.has_field(name) and target in activity_obj.field(name).reference_to:
            return name
    return None


def _picklist_field(sec: Section, key: str, obj: m.ObjectDef, fname: str) -> m.FieldDef:
    if not obj.has_field(fname) or obj.field(fname).type != "picklist":
        names = [f.name for f in obj.fields if f.type == "picklist"]
        raise sec.error(
            f"{obj.name}.{fname} is not a picklist{suggest(fname, names)} "
            f"(expected one of: {', '.join(names) or 'none'})",
            key,
        )
    return obj.field(fname)


def _picklist_value(sec: Section, key: str, f: m.FieldDef, obj: str, value: str) -> str:
    if f.picklist and value not in f.picklist:
        raise sec.error(
            f"{obj}.{f.name} has no value {value!r}{suggest(value, f.picklist)} "
            f"(expected one of: {', '.join(f.picklist)})",
            key,
        )
    return value


def _parse_advance(sec: Section, ctx: _Ctx) -> dict[str, Any]:
    ref = _parse_ref(sec, "advance", ctx)
    obj = ctx.tpl.object(ref.object)
    default = obj.layout.path if obj.layout else None
    fname = sec.take("field", str, default)
    if fname is None:
        raise sec.error(
            f"{obj.name} has no stage path in its layout (expected 'field: <picklist>')", "advance"
        )
    f = _picklist_field(sec, "field" if sec.has("field") else "advance", obj, fname)
    to = sec.take("to", str, None)
    if to is not None:
        _picklist_value(sec, "to", f, obj.name, to)
    return {"record": ref, "field": fname, "to": to}


def converted_status(picklist: Iterable[str]) -> str | None:
    """The lead status that means converted (``Closed - Converted``), if the picklist has one."""
    for v in picklist:
        low = v.lower()
        if "converted" in low and "not" not in low:
            return v
    return None


def _parse_convert(sec: Section, ctx: _Ctx) -> dict[str, Any]:
    ref = _parse_ref(sec, "convert", ctx)
    if ref.object != "Lead":
        raise sec.error(f"'convert' names a {ref.object} (expected a Lead)", "convert")
    for needed in ("Account", "Contact"):
        if not ctx.tpl.has_object(needed):
            raise sec.error(f"the template has no {needed} object (expected one to convert into)")
    lead = ctx.tpl.object("Lead")
    status = sec.take("status", str, None)
    if lead.has_field("Status"):
        f = lead.field("Status")
        if status is None:
            status = converted_status(f.picklist)
            if status is None:
                raise sec.error(
                    "Lead.Status has no converted value (expected 'status: <value>')", "convert"
                )
        _picklist_value(sec, "status", f, "Lead", status)
    opportunity = sec.take("opportunity", str, None)
    if opportunity is not None and not ctx.tpl.has_object("Opportunity"):
        raise sec.error("the template has no Opportunity object", "opportunity")
    return {"record": ref, "status": status, "opportunity": opportunity}


def _parse_close(sec: Section, ctx: _Ctx) -> dict[str, Any]:
    ref = _parse_ref(sec, "close", ctx)
    obj = ctx.tpl.object(ref.object)
    f = _picklist_field(sec, "close", obj, "Status")
    status = sec.take("status", str, "Closed")
    _picklist_value(sec, "status" if sec.has("status") else "close", f, obj.name, status)
    return {"record": ref, "status": status}


_ACTION_PARSERS = {
    "update": _parse_update,
    "create": _parse_create,
    "log": _parse_log,
    "advance": _parse_advance,
    "convert": _parse_convert,
    "close": _parse_close,
}


def describe_action(action: Action) -> str:
    """A short label for a live action when its story gives none (``Close hero.garcia_billing``)."""
    if action.label:
        return action.label
    if action.kind == "update":
        sets = ", ".join(f"{f} → {_show_value(v)}" for f, v in action.values)
        return f"Update {action.record}: {sets}"
    if action.kind == "create":
        return f"Create {action.object}" + (f" ({action.key})" if action.key else "")
    if action.kind == "log":
        return f"Log {action.activity} on {action.record}: {action.subject}"
    if action.kind == "advance":
        return f"Advance {action.record} {action.field} to {action.to or 'the next value'}"
    if action.kind == "convert":
        return f"Convert {action.record}"
    return f"Close {action.record} as {action.status}"


def _show_value(v: Any) -> str:
    if isinstance(v, DateValue):
        return v.text
    return str(v)


__all__ = [
    "ACTION_KINDS",
    "SPOTLIGHT_KINDS",
    "Action",
    "DateValue",
    "RecordRef",
    "SceneDef",
    "Show",
    "Spotlight",
    "StoryDef",
    "check_stories",
    "describe_action",
    "format_duration",
    "load_stories",
    "load_story",
    "load_story_text",
    "parse_duration",
    "story_files",
]
