"""Loads ``industries/<name>/template.yaml`` into a validated :class:`TemplateDef`.

A template may ``extend`` another (industries extend ``_core``, the shared CRM objects). The raw
YAML of the base and of the industry are merged key by key (objects by name, fields by name, and
heroes, features, apps, dashboards and tables by key), then parsed into frozen models, then every
cross-reference is checked. Every error is a :class:`ContentError` at the line that caused it.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from demoorg.content import model as m
from demoorg.content.paths import find_template_dir
from demoorg.content.releases import parse_release
from demoorg.content.yamlload import LineDict, LineList, Section, describe, load_yaml_file, suggest
from demoorg.errors import ContentError, UsageError

SCHEMA_VERSION = 1

#: Named generators that content may call, with the arguments each takes (field paths or values).
#: Their implementations live in ``demoorg.seeders.generators``.
GENERATORS: dict[str, tuple[str, ...]] = {
    "email": ("first", "last", "domain"),
    "username": ("first", "last", "domain"),
    "domain": ("name",),
    "website": ("domain",),
    "vin": ("year", "make"),
    "luhn": ("prefix", "length"),
    "digits": ("length", "prefix"),
    "npi": (),
    "mrn": (),
    "msisdn": (),
    "person_name": ("first", "last"),
    "initials": ("first", "last"),
    "license_plate": (),
}

#: The parts of a place that `geo` gives (demoorg/seeders/geo/<locale>.csv).
GEO_PARTS = ("city", "state", "postcode", "country")

#: Salesforce's own key prefixes, so record Ids look like the real thing.
KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Lead": "00Q",
    "Case": "500",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
    "User": "005",
    "UserRole": "00E",
    "Product2": "01t",
    "Pricebook2": "01s",
    "PricebookEntry": "01u",
    "OpportunityLineItem": "00k",
    "Contract": "800",
    "Order": "801",
    "OrderItem": "802",
    "Asset": "02i",
    "RecordType": "012",
    "Quote": "0Q0",
    "QuoteLineItem": "0QL",
    "OpportunityContactRole": "00K",
    "ServiceAppointment": "08p",
    "WorkOrder": "0WO",
}

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_OFFSET = re.compile(r"^([+-]?\d+(?:\.\d+)?)([hdwmy])$")
_REF_OFFSET = re.compile(r"^([A-Za-z][\w.]*?)\s*(?:([+-])\s*(\d+(?:\.\d+)?)([hdwmy]))?$")
_UNIT_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30.4375, "y": 365.25}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: An auto-number: text, ``{{``/``}}``, and ``{n}`` or ``{n:08}`` only — no attribute, conversion
#: or other format spec (``{n.__class__}``, ``{n!r}``, ``{n:>999999999}``) from content.
_SEQUENCE = re.compile(r"(?:[^{}]|\{\{|\}\}|\{n(?::0?[1-9][0-9]?)?\})*")
_AUTO_NUMBER_PART = re.compile(r"\{\{|\}\}|\{n(?::(0?[1-9][0-9]?))?\}")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_OPS = {"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "blank"}


def auto_number(fmt: str, n: int) -> str:
    """An auto-number's text for ``n`` (``CS-{n:06}`` → ``CS-000042``).

    Only ``{n}``, ``{n:8}``, ``{n:08}``, ``{{`` and ``}}`` are read, never as a Python format:
    an org file's metadata may come from anywhere, and other braces stay as they are written.
    """

    def part(mo: re.Match[str]) -> str:
        token = mo.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return format(n, mo.group(1) or "")

    return _AUTO_NUMBER_PART.sub(part, fmt)


#: Keys of a field mapping that choose where its values come from.
_SOURCE_KEYS = (
    "values",
    "faker",
    "between",
    "template",
    "from",
    "sequence",
    "const",
    "copy",
    "to",
    "table",
    "geo",
    "generator",
    "expr",
    "rollup",
    "cases",
)
#: Keys that refine a source.
_SOURCE_MODIFIERS = (
    "pool",
    "unique",
    "dist",
    "median",
    "round",
    "decimals",
    "map",
    "default",
    "start",
    "where",
    "defer",
    "column",
    "pick",
    "args",
    "max",
    "min",
    "when",
)


def load_template(name_or_path: str | Path, roots: Iterable[Path] | None = None) -> m.TemplateDef:
    """Loads and validates an industry template by name (``medical``) or folder path.

    Raises:
        ContentError: anything wrong in the template or the templates it extends.
    """
    folder = find_template_dir(name_or_path, roots)
    raw, root = _load_merged(folder, roots, seen=())
    return _parse(raw, root)


# --- loading and merging ---------------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _load_merged(
    folder: Path, roots: Iterable[Path] | None, seen: tuple[str, ...]
) -> tuple[LineDict, Path]:
    path = folder / "template.yaml"
    display = _display(path)
    if not path.is_file():
        raise ContentError("no template.yaml in this template folder (expected one)", display)
    data = load_yaml_file(path, display)
    if not isinstance(data, dict):
        raise ContentError(f"the template is {describe(data)} (expected a mapping)", display, 1)
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ContentError(
            f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION})",
            display,
            data.key_lines.get("schema_version"),
        )
    base_name = data.get("extends")
    if base_name is None:
        return data, folder
    if not isinstance(base_name, str):
        raise ContentError(
            f"'extends' is {describe(base_name)} (expected a template name)",
            display,
            data.key_lines["extends"],
        )
    if base_name in seen or base_name == folder.name:
        raise ContentError(
            f"template {folder.name!r} extends itself through {base_name!r} (expected no cycle)",
            display,
            data.key_lines["extends"],
        )
    try:
        base_folder = find_template_dir(base_name, roots, near=folder.parent)
    except UsageError as exc:
        raise ContentError(str(exc), display, data.key_lines["extends"]) from None
    base, _ = _load_merged(base_folder, roots, (*seen, folder.name))
    return _merge(base, data), folder


_KEYED = ("objects", "heroes", "features", "apps", "dashboards", "tables")


def _merge(base: LineDict, over: LineDict) -> LineDict:
    """The industry's keys win; keyed collections merge by key; object fields merge by name.

    Each merged mapping remembers which file each of its keys came from, so an error in an
    inherited key names the base template and an error in an added key names the industry's.
    """
    out = _copy_linedict(base)
    out.line, out.path = over.line, over.path
    for key, value in over.items():
        _set(out, key, value, over)
        if key in _KEYED and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged = _copy_linedict(base[key])
            for name, spec in value.items():
                if (
                    key == "objects"
                    and isinstance(spec, dict)
                    and isinstance(merged.get(name), dict)
                ):
                    _set(merged, name, _merge_object(merged[name], spec), value)
                else:
                    _set(merged, name, spec, value)
            merged.line = value.line
            out[key] = merged
    out.pop("extends", None)
    return out


def _set(target: LineDict, key: Any, value: Any, source: LineDict) -> None:
    target[key] = value
    target.key_lines[key] = source.key_lines[key]
    target.key_paths[key] = source.path


def _copy_linedict(d: LineDict) -> LineDict:
    c = LineDict(d)
    c.line, c.path, c.key_lines = d.line, d.path, dict(d.key_lines)
    c.key_paths = {k: d.path_of(k) for k in d}
    return c


def _merge_object(base: LineDict, over: LineDict) -> LineDict:
    out = _copy_linedict(base)
    for key, value in over.items():
        if key == "fields" and isinstance(value, dict) and isinstance(base.get("fields"), dict):
            fields = _copy_linedict(base["fields"])
            for fname in value:
                _set(fields, fname, value[fname], value)
            _set(out, key, fields, over)
        else:
            _set(out, key, value, over)
    # Errors about the object as a whole point at the industry's mention of it.
    out.path, out.line = over.path, over.line
    return out


# --- parsing ---------------------------------------------------------------------------------------

#: An icon that names a file (a path, or an image file name) rather than an icon's name.
_ICON_FILE = re.compile(r"[/\\%~]|\.(png|svg|jpe?g|gif|ico|webp)$", re.IGNORECASE)


def _icon(sec: Section) -> str | None:
    """``icon``; one that names a file must name one inside the template's folder."""
    icon = sec.take("icon", str, None)
    if icon is None or not _ICON_FILE.search(icon):
        return icon
    from demoorg.content.files import check_asset_path

    where = sec.data.path_of("icon") if isinstance(sec.data, LineDict) else sec.path
    try:
        check_asset_path(Path(where).parent, icon)
    except ValueError as exc:
        raise sec.error(f"icon {icon!r} {exc}", "icon") from None
    return icon


def _parse(raw: LineDict, folder: Path) -> m.TemplateDef:
    top = Section(raw, raw.path, "the template")
    top.take("schema_version", int, SCHEMA_VERSION)
    industry = top.take("industry", str)
    label = top.take("label", str)
    description = top.take("description", str, "")
    color = top.take("brand_color", str, "#0176D3")
    if not _COLOR.match(color):
        raise top.error(f"brand_color {color!r} is not a colour (expected #RRGGBB)", "brand_color")
    icon = _icon(top)
    tables = tuple(_parse_table(n, s, top) for n, s in _items(top, "tables"))
    objects = tuple(_parse_object(n, s, top) for n, s in _items(top, "objects"))
    if not objects:
        raise top.error("the template has no objects (expected an 'objects' mapping)")
    heroes = tuple(_parse_hero(n, s, top) for n, s in _items(top, "heroes"))
    features = tuple(_parse_feature(n, s, top) for n, s in _items(top, "features"))
    apps = tuple(_parse_app(n, s, top) for n, s in _items(top, "apps"))
    dashboards = tuple(_parse_dashboard(n, s, top) for n, s in _items(top, "dashboards"))
    top.finish(("extends",))
    tpl = m.TemplateDef(
        industry=industry,
        label=label,
        description=description,
        objects=objects,
        heroes=heroes,
        features=features,
        apps=apps,
        dashboards=dashboards,
        tables=tables,
        brand_color=color,
        icon=icon,
        path=str(folder),
    )
    from demoorg.content.validate import check_template

    tpl = _infer_lookup_targets(tpl)
    check_template(tpl, raw)
    return tpl


def _infer_lookup_targets(tpl: m.TemplateDef) -> m.TemplateDef:
    """A lookup filled by ``copy`` looks up whatever the copied lookup does."""
    import dataclasses

    from demoorg.content.validate import resolve_path

    for _ in range(5):  # copies of copies settle in a few rounds
        changed = False
        objects = []
        for obj in tpl.objects:
            fields = []
            for f in obj.fields:
                if f.type == "lookup" and not f.reference_to:
                    copies = [s for s in _leaves(f.source) if isinstance(s, m.Copy)]
                    for c in copies:
                        try:
                            target = resolve_path(tpl, obj, c.path)
                        except KeyError:
                            continue
                        if target.reference_to:
                            f = dataclasses.replace(f, reference_to=target.reference_to)
                            changed = True
                            break
                fields.append(f)
            objects.append(dataclasses.replace(obj, fields=tuple(fields)))
        tpl = dataclasses.replace(tpl, objects=tuple(objects))
        if not changed:
            break
    return tpl


def _leaves(src: Any) -> list[Any]:
    if isinstance(src, m.Cases):
        return [s for _, c in src.cases for s in _leaves(c)]
    return [src]


def _items(sec: Section, key: str) -> list[tuple[str, Section]]:
    data = sec.take(key, dict, None)
    if data is None:
        return []
    out = []
    for name, value in data.items():
        line = data.key_lines.get(name) if isinstance(data, LineDict) else None
        if not isinstance(name, str) or (
            not _IDENT.match(name) and key not in ("heroes", "features", "dashboards", "apps")
        ):
            raise ContentError(
                f"{key} name {name!r} is not a valid API name (expected letters, digits and _)",
                sec.path,
                line,
            )
        out.append(
            (name, Section(value, getattr(data, "path", sec.path), f"{key[:-1]} {name!r}", line))
        )
    return out


def _str_list(sec: Section, key: str, default: Any = ()) -> tuple[str, ...]:
    value = sec.take(key, list, None)
    if value is None:
        return tuple(default)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            line = value.item_lines[i] if isinstance(value, LineList) else sec.line_of(key)
            raise ContentError(
                f"item {i + 1} of {key!r} is {describe(item)} (expected text)", sec.path, line
            )
    return tuple(value)


def _split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.replace("__c", "").replace("_", " ")).strip()


def _parse_table(name: str, sec: Section, top: Section) -> m.Table:
    columns = _str_list(sec, "columns")
    rows_raw = sec.take("rows", list)
    sec.finish()
    if not columns:
        raise sec.error(
            f"table {name!r} has no columns (expected a list of column names)", "columns"
        )
    rows, weights = [], []
    has_weight = "weight" in columns
    for i, row in enumerate(rows_raw):
        line = rows_raw.item_lines[i] if isinstance(rows_raw, LineList) else sec.line
        if not isinstance(row, list) or len(row) != len(columns):
            raise ContentError(
                f"row {i + 1} of table {name!r} has {len(row) if isinstance(row, list) else describe(row)}"
                f" values (expected a list of {len(columns)}: {', '.join(columns)})",
                sec.path,
                line,
            )
        if has_weight:
            w = row[columns.index("weight")]
            if not isinstance(w, int | float) or isinstance(w, bool) or w < 0:
                raise ContentError(
                    f"weight in row {i + 1} of table {name!r} is {w!r} (expected a number ≥ 0)",
                    sec.path,
                    line,
                )
            weights.append(float(w))
        else:
            weights.append(1.0)
        rows.append(tuple(row))
    if not rows or sum(weights) <= 0:
        raise sec.error(f"table {name!r} has no rows with weight (expected at least one)", "rows")
    return m.Table(name, columns, tuple(rows), tuple(weights))


def _parse_object(name: str, sec: Section, top: Section) -> m.ObjectDef:
    label = sec.take("label", str, _split_camel(name))
    plural = sec.take("plural", str, label + "s" if not label.endswith("s") else label)
    prefix = sec.take("key_prefix", str, KEY_PREFIXES.get(name) or _custom_prefix(name))
    if len(prefix) != 3 or not prefix.isalnum():
        raise sec.error(
            f"key_prefix {prefix!r} is not 3 letters or digits (expected e.g. 'a0B')", "key_prefix"
        )
    record_types = _parse_record_types(sec)
    count = _parse_count(sec)
    parents = _parse_parents(sec)
    if count and parents:
        raise sec.error(
            f"object {name!r} has both 'count' and 'parent' (expected one: a root count or children per parent)",
            "parent",
        )
    fields_sec = sec.section("fields", f"fields of {name!r}")
    assert fields_sec is not None
    fields: list[m.FieldDef] = [
        m.FieldDef("Id", "Record ID", "id", None, store=True, line=sec.line)
    ]
    if record_types:
        fields.append(
            m.FieldDef(
                "RecordTypeId",
                "Record Type",
                "lookup",
                m.Weighted(tuple(r[0] for r in record_types), tuple(r[2] for r in record_types)),
                picklist=tuple(r[0] for r in record_types),
                reference_to=("RecordType",),
                line=sec.line_of("record_types"),
            )
        )
    for fname in list(fields_sec.data):
        fsec = Section(
            fields_sec.data[fname],
            fields_sec.data.path_of(fname)
            if isinstance(fields_sec.data, LineDict)
            else fields_sec.path,
            f"field {name}.{fname}",
            fields_sec.line_of(fname),
        )
        fields_sec.take(fname, dict)
        if not isinstance(fname, str) or not _IDENT.match(fname):
            raise fields_sec.error(
                f"field name {fname!r} is not a valid API name (expected letters, digits and _)",
                fname,
            )
        if fname in ("Id", "RecordTypeId"):
            raise fields_sec.error(
                f"field {fname!r} is made by demoorg (expected it left out)", fname
            )
        fields.append(_parse_field(name, fname, fsec))
    name_field = sec.take("name_field", str, "Name")
    list_columns = _str_list(sec, "list_columns", ())
    layout = _parse_layout(sec)
    icon = _icon(sec)
    description = sec.take("description", str, "")
    sec.finish()
    return m.ObjectDef(
        name=name,
        label=label,
        plural=plural,
        key_prefix=prefix,
        name_field=name_field,
        fields=tuple(fields),
        record_types=record_types,
        count=count,
        parents=parents,
        list_columns=list_columns,
        layout=layout,
        icon=icon,
        description=description,
        line=sec.line,
    )


def _custom_prefix(name: str) -> str:
    # Custom objects get a0X-style prefixes: stable, derived from the name, never a standard one.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    h = 0
    for ch in name:
        h = (h * 131 + ord(ch)) % 2_147_483_647
    return "a" + "0123456789"[h % 10] + alphabet[(h // 10) % len(alphabet)]


def _parse_record_types(sec: Section) -> tuple[tuple[str, str, float], ...]:
    data = sec.take("record_types", dict, None)
    if data is None:
        return ()
    out = []
    for dev, spec in data.items():
        line = data.key_lines.get(dev)
        if not isinstance(dev, str) or not _IDENT.match(dev):
            raise ContentError(
                f"record type {dev!r} is not a developer name (expected letters, digits and _)",
                sec.path,
                line,
            )
        if isinstance(spec, int | float) and not isinstance(spec, bool):
            label, weight = _split_camel(dev), float(spec)
        else:
            rs = Section(spec, sec.path, f"record type {dev!r}", line)
            label = rs.take("label", str, _split_camel(dev))
            weight = float(rs.take("weight", float))
            rs.finish()
        if weight < 0:
            raise ContentError(
                f"record type {dev!r} has weight {weight} (expected ≥ 0)", sec.path, line
            )
        out.append((dev, label, weight))
    if not any(w > 0 for _, _, w in out):
        raise sec.error(
            "record_types have no positive weight (expected at least one)", "record_types"
        )
    return tuple(out)


def _parse_count(sec: Section) -> m.CountSpec | None:
    value = sec.take("count", (int, dict), None)
    if value is None:
        return None
    if isinstance(value, int):
        n, scaling = value, "linear"
    else:
        cs = Section(value, sec.path, "count", sec.line_of("count"))
        n = cs.take("value", int)
        scaling = cs.take("scaling", str, "linear")
        cs.finish()
        if scaling not in ("linear", "sqrt", "fixed"):
            raise cs.error(
                f"scaling {scaling!r} is unknown (expected linear, sqrt or fixed)", "scaling"
            )
    if n < 0 or n > 50_000_000:
        raise sec.error(f"count {n} is out of range (expected 0 to 50,000,000)", "count")
    return m.CountSpec(n, scaling)


def _parse_parents(sec: Section) -> tuple[m.ParentSpec, ...]:
    value = sec.take("parent", (dict, list), None)
    if value is None:
        return ()
    specs = value if isinstance(value, list) else [value]
    lines = value.item_lines if isinstance(value, LineList) else [sec.line_of("parent")]
    out = []
    for spec, line in zip(specs, lines, strict=True):
        ps = Section(spec, sec.path, "parent", line)
        fld = ps.take("field", str)
        obj = ps.take("object", str)
        where = _parse_where(ps, "where")
        per = _parse_per_parent(ps)
        ps.finish()
        out.append(m.ParentSpec(fld, obj, where, per))
    return tuple(out)


def _parse_per_parent(ps: Section) -> m.PerParent:
    value = ps.take("per_parent", (int, float, dict))
    if isinstance(value, int | float):
        if value < 0 or value > 10_000:
            raise ps.error(
                f"per_parent {value} is out of range (expected 0 to 10,000)", "per_parent"
            )
        if isinstance(value, int):  # a whole number means exactly that many
            return m.PerParent(weights=((value, 1.0),))
        return m.PerParent(mean=float(value))
    s = Section(value, ps.path, "per_parent", ps.line_of("per_parent"))
    mean = s.take("mean", float, None)
    low = s.take("min", int, 0)
    high = s.take("max", int, None)
    weights_raw = s.take("weights", dict, None)
    s.finish()
    weights: list[tuple[int, float]] = []
    if weights_raw is not None:
        for k, w in weights_raw.items():
            if (
                not isinstance(k, int)
                or isinstance(k, bool)
                or k < 0
                or not isinstance(w, int | float)
                or w < 0
            ):
                raise s.error(
                    f"per_parent weight {k!r}: {w!r} is wrong (expected a count ≥ 0 and a weight ≥ 0)",
                    "weights",
                )
            weights.append((k, float(w)))
    if mean is None and high is None and not weights:
        raise s.error("per_parent needs a mean, a max or weights (expected e.g. {mean: 3})")
    if (mean is not None and mean < 0) or low < 0 or (high is not None and high < low):
        raise s.error(
            f"per_parent bounds are wrong: mean {mean}, min {low}, max {high} (expected 0 ≤ min ≤ max)"
        )
    if mean is not None and mean > 10_000:
        raise s.error(f"per_parent mean {mean} is too large (expected at most 10,000)", "mean")
    return m.PerParent(mean=mean, low=low, high=high, weights=tuple(weights))


def _parse_where(sec: Section, key: str) -> m.Where:
    data = sec.take(key, dict, None)
    if data is None:
        return m.Where()
    return parse_where_mapping(data, sec.path)


def parse_where_mapping(data: Any, path: str) -> m.Where:
    """Parses ``{Field: value | [values] | {op: value}}`` into a :class:`Where`."""
    ws = Section(data, path, "condition")
    clauses = []
    for fld in list(ws.data):
        value = ws.take(fld, (str, int, float, bool, list, dict, type(None)))
        if not isinstance(fld, str) or not _PATH.match(fld):
            raise ws.error(
                f"condition field {fld!r} is not a field name (expected e.g. StageName)", fld
            )
        if isinstance(value, list):
            clauses.append((fld, "in", tuple(value)))
        elif isinstance(value, dict):
            for op, v in value.items():
                if op not in _OPS:
                    raise ws.error(
                        f"operator {op!r} is unknown{suggest(op, _OPS)} (expected one of: {', '.join(sorted(_OPS))})",
                        fld,
                    )
                if op in ("in", "not_in"):
                    if not isinstance(v, list):
                        raise ws.error(f"operator {op!r} takes a list (got {describe(v)})", fld)
                    v = tuple(v)
                clauses.append((fld, op, v))
        else:
            clauses.append((fld, "eq", value))
    ws.finish()
    return m.Where(tuple(clauses))


def parse_offset(text: Any, sec: Section, key: str) -> m.Offset:
    """``-2y``, ``30d``, ``12h``, ``today``, ``CreatedDate``, ``AccountId.CreatedDate+2d``."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return m.Offset(None, float(text))
    if not isinstance(text, str):
        raise sec.error(
            f"{key!r} has {describe(text)} (expected a time like -2y, 30d, today or CreatedDate+1d)",
            key,
        )
    t = text.strip()
    if t == "today":
        return m.Offset(None, 0.0)
    mo = _OFFSET.match(t.replace(" ", ""))
    if mo:
        return m.Offset(None, float(mo.group(1)) * _UNIT_DAYS[mo.group(2)])
    mr = _REF_OFFSET.match(t)
    if mr and _PATH.match(mr.group(1)):
        days = 0.0
        if mr.group(2):
            days = float(mr.group(3)) * _UNIT_DAYS[mr.group(4)] * (-1 if mr.group(2) == "-" else 1)
        return m.Offset(mr.group(1), days)
    raise sec.error(
        f"{key!r} value {text!r} is not a time (expected -2y, 30d, 12h, today or CreatedDate+1d)",
        key,
    )


def _parse_field(obj: str, name: str, sec: Section) -> m.FieldDef:
    ftype = sec.take("type", str, None)
    if ftype is None:
        ftype = _infer_type(sec)
    if ftype not in m.FIELD_TYPES:
        raise sec.error(
            f"type {ftype!r} is unknown{suggest(ftype, m.FIELD_TYPES)} (expected one of: {', '.join(m.FIELD_TYPES)})",
            "type",
        )
    label = sec.take(
        "label",
        str,
        _split_camel(
            name.removesuffix("Id") if ftype == "lookup" and name.endswith("Id") else name
        ),
    )
    help_text = sec.take("help", str, None)
    store = sec.take("store", bool, True)
    required = sec.take("required", bool, False)
    null_rate = float(sec.take("null_rate", float, 0.0))
    if not 0 <= null_rate <= 1:
        raise sec.error(f"null_rate {null_rate} is out of range (expected 0 to 1)", "null_rate")
    extra_picklist = _str_list(sec, "picklist", ())
    only_when = parse_where_mapping(sec.take("when", dict), sec.path) if sec.has("when") else None
    source = parse_source(sec, ftype, f"{obj}.{name}")
    if only_when is not None:
        # `when` on a field: the value exists only where the condition holds (business-only fields
        # stay empty on person accounts).
        source = m.Cases(((only_when, source), (None, m.Const(None))))
    decimals = None
    if isinstance(source, (m.NumberRange, m.Expr)):
        decimals = source.decimals
    if ftype == "currency" and decimals is None:
        decimals = 2
    reference_to: tuple[str, ...] = ()
    if ftype == "lookup":
        # Targets: those named explicitly, then those any `to` in the field's sources picks from.
        explicit = _str_list(sec, "reference_to", ())
        picked = [t for s in _leaves(source) if isinstance(s, m.Pick) for t in s.to]
        reference_to = tuple(dict.fromkeys([*explicit, *picked]))
    elif sec.has("reference_to"):
        raise sec.error(
            "reference_to is only for lookup fields (expected type: lookup)", "reference_to"
        )
    sec.finish()
    picklist = tuple(dict.fromkeys([*_picklist_values(source), *extra_picklist]))
    if ftype == "picklist" and not picklist:
        raise sec.error(
            f"picklist {obj}.{name} has no values (expected 'values', 'map' or 'picklist')"
        )
    if ftype == "picklist" and not all(isinstance(v, str) for v in picklist):
        raise sec.error(
            f"picklist {obj}.{name} has values that are not text (expected text values)"
        )
    return m.FieldDef(
        name=name,
        label=label,
        type=ftype,
        source=source,
        picklist=picklist,
        reference_to=reference_to,
        null_rate=null_rate,
        store=store,
        required=required,
        decimals=decimals,
        help=help_text,
        line=sec.line,
    )


def _infer_type(sec: Section) -> str:
    if sec.has("values"):
        return "picklist"
    if sec.has("to"):
        return "lookup"
    raise sec.error("the field has no 'type' (expected one of: " + ", ".join(m.FIELD_TYPES) + ")")


def _picklist_values(source: Any) -> list[Any]:
    if isinstance(source, m.Weighted):
        return list(source.values)
    if isinstance(source, m.Mapping):
        return [v for _, v in source.table] + (
            [source.default] if source.default is not None else []
        )
    if isinstance(source, m.Const):
        return [source.value] if source.value is not None else []
    if isinstance(source, m.Cases):
        out: list[Any] = []
        for _, s in source.cases:
            out.extend(_picklist_values(s))
        return out
    return []


def parse_source(sec: Section, ftype: str, where: str) -> Any:
    """Reads the keys that say where a field's values come from (one source per field or case)."""
    present = [k for k in _SOURCE_KEYS if sec.has(k)]
    if len(present) > 1 and not (set(present) == {"from"} or present == ["from"]):
        raise sec.error(
            f"{where} has more than one value source: {', '.join(present)} (expected one)",
            present[1],
        )
    if not present:
        stray = [k for k in _SOURCE_MODIFIERS if sec.has(k)]
        if stray:
            raise sec.error(
                f"{where} has {stray[0]!r} but no value source (expected one of: {', '.join(_SOURCE_KEYS)})",
                stray[0],
            )
        return None
    kind = present[0]
    if kind == "values":
        data = sec.take("values", (dict, list))
        if isinstance(data, list):
            for i, value in enumerate(data):
                _check_plain_value(value, f"item {i + 1} of 'values'", sec, data.item_lines[i])
            values, weights = tuple(data), tuple(1.0 for _ in data)
        else:
            values = tuple(data.keys())
            weights = []
            for k, w in data.items():
                if not isinstance(w, int | float) or isinstance(w, bool) or w < 0:
                    raise ContentError(
                        f"weight of {k!r} is {w!r} (expected a number ≥ 0)",
                        sec.path,
                        data.key_lines.get(k),
                    )
                weights.append(float(w))
            weights = tuple(weights)
        if not values or sum(weights) <= 0:
            raise sec.error(f"{where} has no values with weight (expected at least one)", "values")
        return m.Weighted(values, weights)
    if kind == "faker":
        method = sec.take("faker", str)
        if not _IDENT.match(method):
            raise sec.error(
                f"faker method {method!r} is not a name (expected e.g. company)", "faker"
            )
        if not _faker_has(method):
            raise sec.error(
                f"Faker has no method {method!r}{suggest(method, _faker_methods())} "
                "(expected a Faker provider method such as company, city, phone_number)",
                "faker",
            )
        pool = sec.take("pool", int, None)
        if pool is not None and not 1 <= pool <= 1_000_000:
            raise sec.error(f"pool {pool} is out of range (expected 1 to 1,000,000)", "pool")
        return m.FakerPool(method, pool, sec.take("unique", bool, False))
    if kind == "between":
        rng = sec.take("between", list)
        if len(rng) != 2:
            raise sec.error(f"between has {len(rng)} values (expected two: [low, high])", "between")
        if ftype in m.DATE_TYPES:
            start, end = parse_offset(rng[0], sec, "between"), parse_offset(rng[1], sec, "between")
            # max/min keep a value inside other bounds (not after today, not before the parent).
            clamps = [
                parse_offset(sec.take(k, (str, int, float)), sec, k) if sec.has(k) else None
                for k in ("max", "min")
            ]
            return m.DateRange(start, end, clamps[0], clamp_min=clamps[1])
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in rng):
            raise sec.error(f"between of {where} is {rng!r} (expected two numbers)", "between")
        low, high = float(rng[0]), float(rng[1])
        if low > high:
            raise sec.error(
                f"between of {where} runs from {low:g} down to {high:g} (expected low ≤ high)",
                "between",
            )
        dist = sec.take("dist", str, "uniform")
        if dist not in ("uniform", "normal", "lognormal"):
            raise sec.error(
                f"dist {dist!r} is unknown (expected uniform, normal or lognormal)", "dist"
            )
        median = sec.take("median", float, None)
        if median is not None and not low <= median <= high:
            raise sec.error(
                f"median {median:g} lies outside [{low:g}, {high:g}] (expected inside)", "median"
            )
        if dist == "lognormal" and low <= 0:
            raise sec.error("a lognormal range must start above 0 (expected low > 0)", "between")
        decimals = sec.take("decimals", int, 2 if ftype == "currency" else 0)
        round_to = sec.take("round", float, None)
        return m.NumberRange(low, high, dist, median, decimals, round_to)
    if kind == "template":
        text = sec.take("template", str)
        refs = tuple(r for r in _PLACEHOLDER.findall(text) if r != "prospect")
        for r in refs:
            if not _PATH.match(r):
                raise sec.error(
                    f"placeholder {{{r}}} is not a field (expected {{Field}}, {{Lookup.Field}} or {{prospect}})",
                    "template",
                )
        return m.Template(text, refs)
    if kind == "from":
        src = sec.take("from", str)
        table = sec.take("map", dict)
        for key, value in table.items():
            _check_plain_value(value, f"map value of {key!r}", sec, table.key_lines.get(key))
        default = sec.take("default", (str, int, float, bool), None)
        return m.Mapping(src, tuple(table.items()), default)
    if kind == "sequence":
        fmt = sec.take("sequence", str)
        if not _SEQUENCE.fullmatch(fmt):
            raise sec.error(
                f"sequence {fmt!r} is not a format (expected text with {{n}}, e.g. 'CS-{{n:06}}')",
                "sequence",
            )
        return m.Sequence(fmt, sec.take("start", int, 1))
    if kind == "const":
        return m.Const(sec.take("const", (str, int, float, bool, type(None))))
    if kind == "copy":
        path = sec.take("copy", str)
        if not _PATH.match(path):
            raise sec.error(
                f"copy {path!r} is not a field path (expected e.g. AccountId.OwnerId)", "copy"
            )
        return m.Copy(path)
    if kind == "to":
        if ftype != "lookup":
            raise sec.error(f"'to' is only for lookup fields (this field is {ftype})", "to")
        to = sec.take("to", (str, list))
        targets = (to,) if isinstance(to, str) else tuple(to)
        deferred = sec.take("defer", bool, False)
        if deferred and sec.what.startswith("case "):
            raise sec.error(
                "defer: true is only for a lookup's whole source, not inside cases (expected it on the field)",
                "defer",
            )
        match = sec.take("match", dict, {})
        for target_field, own_field in match.items():
            if not isinstance(own_field, str) or not _PATH.match(own_field):
                raise ContentError(
                    f"match {target_field!r} is {describe(own_field)} (expected a field of this record)",
                    sec.path,
                    match.key_lines.get(target_field),
                )
        if match and (deferred or len(targets) != 1):
            raise sec.error("match needs one target and no defer (expected `to: Object`)", "match")
        unique = sec.take("unique", bool, False)
        if unique and (deferred or len(targets) != 1):
            raise sec.error(
                "unique needs one target and no defer (expected `to: Object`)", "unique"
            )
        return m.Pick(targets, _parse_where(sec, "where"), deferred, tuple(match.items()), unique)
    if kind == "table":
        table = sec.take("table", str)
        column = sec.take("column", str)
        return m.TableColumn(table, column, sec.take("pick", str, table))
    if kind == "geo":
        part = sec.take("geo", str)
        if part not in GEO_PARTS:
            raise sec.error(
                f"geo part {part!r} is unknown{suggest(part, GEO_PARTS)} (expected one of: {', '.join(GEO_PARTS)})",
                "geo",
            )
        return m.Geo(part, sec.take("pick", str, "geo"))
    if kind == "generator":
        name = sec.take("generator", str)
        if name not in GENERATORS:
            raise sec.error(
                f"generator {name!r} is unknown{suggest(name, GENERATORS)} (expected one of: {', '.join(sorted(GENERATORS))})",
                "generator",
            )
        args = sec.take("args", dict, {})
        for a in args:
            if a not in GENERATORS[name]:
                raise ContentError(
                    f"generator {name!r} takes no argument {a!r} (expected: {', '.join(GENERATORS[name]) or 'none'})",
                    sec.path,
                    args.key_lines.get(a),
                )
        return m.Generator(name, tuple(args.items()))
    if kind == "expr":
        text = sec.take("expr", str)
        tree, refs = parse_expr(text, sec)
        return m.Expr(text, tree, refs, sec.take("decimals", int, 2))
    if kind == "rollup":
        rs = Section(
            sec.take("rollup", dict), sec.path, f"rollup of {where}", sec.line_of("rollup")
        )
        child = rs.take("child", str)
        via = rs.take("via", str)
        op = rs.take("op", str, "count")
        of = rs.take("of", str, None)
        rwhere = _parse_where(rs, "where")
        blank_when_none = rs.take("blank_when_none", bool, False)
        rs.finish()
        if op not in ("count", "sum", "min", "max"):
            raise rs.error(f"rollup op {op!r} is unknown (expected count, sum, min or max)", "op")
        if op != "count" and of is None:
            raise rs.error(f"rollup {op} needs 'of' (expected the child field to {op})", "op")
        return m.Rollup(child, via, op, of, rwhere, blank_when_none)
    if kind == "cases":
        raw = sec.take("cases", list)
        cases = []
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, LineList) else sec.line
            cs = Section(item, sec.path, f"case {i + 1} of {where}", line)
            cond = None
            if cs.has("when"):
                cond = parse_where_mapping(cs.take("when", dict), sec.path)
            elif i != len(raw) - 1:
                raise cs.error("only the last case may have no 'when' (expected a condition)")
            src = parse_source(cs, ftype, where)
            cs.finish()
            cases.append((cond, src))
        if not cases:
            raise sec.error(
                f"{where} has an empty 'cases' list (expected at least one case)", "cases"
            )
        return m.Cases(tuple(cases))
    raise AssertionError(kind)


def _check_plain_value(value: Any, what: str, sec: Section, line: int | None) -> None:
    """A field's value must be one value: a list or mapping cannot be stored in a column."""
    if value is None or isinstance(value, str | int | float | bool):
        return
    raise ContentError(
        f"{what} is {describe(value)} (expected text, a number or true/false)", sec.path, line
    )


@functools.cache
def _faker_methods() -> frozenset[str]:
    """Faker's method names, cached on disk per Faker version (making a Faker() is slow)."""
    from importlib.metadata import version

    from demoorg.content.paths import user_home

    # The version from package metadata: importing faker itself costs a tenth of a second.
    cache = user_home() / "cache" / f"faker-{version('faker')}" / "methods.json"
    try:
        return frozenset(json.loads(cache.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        pass
    from faker import Faker

    names = sorted(n for n in dir(Faker("en_US")) if not n.startswith("_"))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
        tmp.write_text(json.dumps(names), "utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass  # only speed is lost
    return frozenset(names)


def _faker_has(method: str) -> bool:
    """Faker methods exist in every locale's generator with few exceptions; en_US is the reference."""
    return method in _faker_methods() or method in ("msisdn", "license_plate")


_EXPR_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def parse_expr(text: str, sec: Section) -> tuple[Any, tuple[str, ...]]:
    """Parses arithmetic over field paths. Only numbers, field paths, + - * / and brackets."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise sec.error(
            f"expr {text!r} is not arithmetic (expected e.g. 'Amount * Probability / 100')", "expr"
        ) from None
    refs: list[str] = []

    def walk(n: ast.AST) -> Any:
        if (
            isinstance(n, ast.Constant)
            and isinstance(n.value, int | float)
            and not isinstance(n.value, bool)
        ):
            return ("num", float(n.value))
        if isinstance(n, ast.Name | ast.Attribute):
            path = ast.unparse(n)
            if not _PATH.match(path):
                raise sec.error(f"expr {text!r} names {path!r} (expected field paths)", "expr")
            refs.append(path)
            return ("ref", path)
        if isinstance(n, ast.BinOp) and type(n.op) in _EXPR_OPS:
            return (_EXPR_OPS[type(n.op)], walk(n.left), walk(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return ("-", ("num", 0.0), walk(n.operand))
        raise sec.error(
            f"expr {text!r} has {ast.unparse(n)!r} (expected numbers, fields, + - * / and brackets)",
            "expr",
        )

    tree = walk(node)
    return tree, tuple(dict.fromkeys(refs))


def _parse_layout(sec: Section) -> m.Layout | None:
    ls = sec.section("layout", "layout", None)
    if ls is None:
        return None
    highlights = _str_list(ls, "highlights", ())
    path = ls.take("path", str, None)
    sections = []
    raw_sections = ls.take("sections", list, [])
    for i, item in enumerate(raw_sections):
        ss = Section(item, ls.path, f"layout section {i + 1}", raw_sections.item_lines[i])
        sections.append(
            m.Section(ss.take("label", str), _str_list(ss, "fields"), ss.take("columns", int, 2))
        )
        ss.finish()
    related = []
    raw_related = ls.take("related", list, [])
    for i, item in enumerate(raw_related):
        line = raw_related.item_lines[i]
        if isinstance(item, str):
            if "." not in item:
                raise ContentError(
                    f"related list {item!r} (expected Object.LookupField, e.g. Contact.AccountId)",
                    ls.path,
                    line,
                )
            o, f = item.split(".", 1)
            related.append((o, f, ()))
        else:
            rs = Section(item, ls.path, f"related list {i + 1}", line)
            related.append(
                (rs.take("object", str), rs.take("via", str), _str_list(rs, "columns", ()))
            )
            rs.finish()
    ls.finish()
    return m.Layout(highlights, tuple(sections), tuple(related), path)


def _parse_hero(key: str, sec: Section, top: Section) -> m.Hero:
    obj = sec.take("object", str)
    rt = sec.take("record_type", str, None)
    parent = sec.take("parent", str, None)
    values = sec.take("fields", dict, {})
    links = sec.take("links", dict, {})
    label = sec.take("label", str, "")
    sec.finish()
    for f, v in links.items():
        if not isinstance(v, str):
            raise ContentError(
                f"link {f!r} of hero {key!r} is {describe(v)} (expected a hero key)",
                sec.path,
                links.key_lines.get(f),
            )
    return m.Hero(
        key, obj, rt, parent, tuple(values.items()), tuple(links.items()), label, sec.line
    )


def _parse_feature(key: str, sec: Section, top: Section) -> m.Feature:
    label = sec.take("label", str)
    description = sec.take("description", str, "")
    stages = {}
    for stage in ("pilot", "beta", "ga"):
        value = sec.take(stage, str, None)
        if value is not None:
            try:
                parse_release(value)
            except UsageError as exc:
                raise sec.error(str(exc), stage) from None
        stages[stage] = value
    objects = _str_list(sec, "objects", ())
    sec.finish()
    if not any(stages.values()):
        raise sec.error(f"feature {key!r} has no release (expected pilot, beta or ga)")
    order = [parse_release(v) for v in (stages["pilot"], stages["beta"], stages["ga"]) if v]
    if order != sorted(order):
        raise sec.error(
            f"feature {key!r} stages are out of order (expected pilot before beta before ga)"
        )
    return m.Feature(
        key, label, description, stages["pilot"], stages["beta"], stages["ga"], objects
    )


def _parse_app(key: str, sec: Section, top: Section) -> m.App:
    app = m.App(
        key, sec.take("label", str), _str_list(sec, "tabs"), sec.take("description", str, "")
    )
    sec.finish()
    if not app.tabs:
        raise sec.error(
            f"app {key!r} has no tabs (expected a list of objects or dashboard:<key>)", "tabs"
        )
    return app


_TILE_KINDS = ("metric", "bar", "pie", "donut", "line", "funnel")


def _parse_dashboard(key: str, sec: Section, top: Section) -> m.Dashboard:
    label = sec.take("label", str)
    description = sec.take("description", str, "")
    raw = sec.take("tiles", list)
    tiles = []
    for i, item in enumerate(raw):
        ts = Section(item, sec.path, f"tile {i + 1} of dashboard {key!r}", raw.item_lines[i])
        kind = ts.take("type", str)
        if kind not in _TILE_KINDS:
            raise ts.error(
                f"tile type {kind!r} is unknown{suggest(kind, _TILE_KINDS)} (expected one of: {', '.join(_TILE_KINDS)})",
                "type",
            )
        aggregate = ts.take("aggregate", str, "count")
        if aggregate not in ("count", "sum", "avg", "min", "max"):
            raise ts.error(
                f"aggregate {aggregate!r} is unknown (expected count, sum, avg, min or max)",
                "aggregate",
            )
        fld = ts.take("field", str, None)
        if aggregate != "count" and fld is None:
            raise ts.error(
                f"aggregate {aggregate} needs a 'field' (expected the field to {aggregate})",
                "aggregate",
            )
        group_by = ts.take("group_by", str, None)
        if kind != "metric" and group_by is None:
            raise ts.error(f"a {kind} chart needs 'group_by' (expected a field)", "type")
        fmt = ts.take("format", str, "number")
        if fmt not in ("number", "currency", "percent"):
            raise ts.error(
                f"format {fmt!r} is unknown (expected number, currency or percent)", "format"
            )
        bucket = ts.take("bucket", str, None)
        if bucket not in (None, "month", "quarter", "year"):
            raise ts.error(
                f"bucket {bucket!r} is unknown (expected month, quarter or year)", "bucket"
            )
        tiles.append(
            m.Tile(
                key=ts.take("key", str, f"tile{i + 1}"),
                label=ts.take("label", str),
                kind=kind,
                object=ts.take("object", str),
                aggregate=aggregate,
                field=fld,
                group_by=group_by,
                where=_parse_where(ts, "where"),
                format=fmt,
                bucket=bucket,
            )
        )
        ts.finish()
    sec.finish()
    return m.Dashboard(key, label, tuple(tiles), description)
