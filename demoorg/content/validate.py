"""Cross-reference checks on a parsed template, and the generation order they imply.

Every field path, lookup target, condition, hero, tab, layout and dashboard must point at
something that exists; fields must not depend on each other in a circle; and objects must be
orderable so each is generated after the objects it reads from. A lookup cycle is allowed only
when one of its lookups is ``defer: true`` (filled in once all records exist).
"""

from __future__ import annotations

from typing import Any

from demoorg.content import model as m
from demoorg.content.yamlload import suggest
from demoorg.errors import ContentError


class _Locator:
    """Finds the file and line of a template element in the merged raw YAML."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def at(self, *keys: str) -> tuple[str | None, int | None]:
        node = self.raw
        path, line = getattr(node, "path", None), getattr(node, "line", None)
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                break
            line = node.key_lines.get(key, line) if hasattr(node, "key_lines") else line
            path = node.path_of(key) if hasattr(node, "path_of") else getattr(node, "path", path)
            node = node[key]
        return path, line

    def error(self, message: str, *keys: str) -> ContentError:
        path, line = self.at(*keys)
        return ContentError(message, path, line)


def resolve_path(tpl: m.TemplateDef, obj: m.ObjectDef, path: str) -> m.FieldDef:
    """Follows ``Lookup.Lookup.Field`` from ``obj``; raises KeyError with a readable reason."""
    parts = path.split(".")
    current = obj
    for i, part in enumerate(parts):
        if part == "ParentObject" and i == 0 and len(current.parents) > 1:
            return m.FieldDef("ParentObject", "Parent Object", "text", None, store=False)
        if part == "AsOfYear" and i == 0 and len(parts) == 1:
            # The as-of date as a decimal year (2026-11-23 → 2026.893), for ages and model years.
            return m.FieldDef("AsOfYear", "As-of Year", "number", None, store=False)
        if part == "ParentSpec" and i == 0 and len(current.parents) > 1:
            # Which parent spec made the record (1 for the first `parent:` entry, 2 for the next…).
            return m.FieldDef("ParentSpec", "Parent Spec", "number", None, store=False)
        if not current.has_field(part) and not (part == "RecordType" and current.record_types):
            names = [f.name for f in current.fields]
            raise KeyError(f"{current.name} has no field {part!r}{suggest(part, names)}")
        if part == "RecordType":
            fdef = m.FieldDef("RecordType", "Record Type", "text", None, store=False)
        else:
            fdef = current.field(part)
        if i == len(parts) - 1:
            return fdef
        if fdef.type != "lookup" or not fdef.reference_to:
            raise KeyError(f"{current.name}.{part} is not a lookup, so {path!r} cannot follow it")
        # A polymorphic lookup (WhoId: Contact or Lead) is followed into the first target that has
        # the next field; a case condition on ParentObject keeps other targets away at run time.
        nxt = parts[i + 1]
        target = next(
            (
                t
                for t in fdef.reference_to
                if tpl.has_object(t) and (tpl.object(t).has_field(nxt) or nxt == "RecordType")
            ),
            fdef.reference_to[0],
        )
        if target == "RecordType":
            raise KeyError(
                f"{path!r} follows RecordTypeId (use RecordType for the record type's name)"
            )
        if not tpl.has_object(target):
            raise KeyError(
                f"{current.name}.{part} looks up {target!r}, which is not an object of this template"
            )
        current = tpl.object(target)
    raise AssertionError(path)


def source_refs(source: Any) -> list[str]:
    """Field paths a source reads, in the record being generated."""
    if isinstance(source, m.Template):
        return list(source.refs)
    if isinstance(source, m.Mapping):
        return [source.source]
    if isinstance(source, m.Copy):
        return [source.path]
    if isinstance(source, m.Expr):
        return list(source.refs)
    if isinstance(source, m.DateRange):
        return [
            o.ref
            for o in (source.start, source.end, source.clamp_max, source.clamp_min)
            if o and o.ref
        ]
    if isinstance(source, m.Generator):
        return [
            v
            for k, v in source.args
            if isinstance(v, str) and k in ("first", "last", "domain", "name", "year")
        ]
    if isinstance(source, m.Pick):
        return [own for _, own in source.match]
    if isinstance(source, m.Cases):
        out: list[str] = []
        for cond, s in source.cases:
            if cond:
                out.extend(cond.fields())
            out.extend(source_refs(s))
        return out
    return []


def field_order(obj: m.ObjectDef) -> list[m.FieldDef]:
    """Fields in an order where each comes after the own fields it reads. Raises ValueError on a cycle."""
    by_name = {f.name: f for f in obj.fields}
    deps: dict[str, set[str]] = {}
    for f in obj.fields:
        own = set()
        for ref in source_refs(f.source):
            head = ref.split(".")[0]
            if head == "RecordType":
                head = "RecordTypeId"
            if (head in by_name and head != f.name) or (head == f.name and "." in ref):
                own.add(head)
        deps[f.name] = own
    return [by_name[n] for n in _depth_first_order([f.name for f in obj.fields], deps)]


def object_dependencies(tpl: m.TemplateDef, obj: m.ObjectDef) -> set[str]:
    """Objects that must be generated before ``obj``: parents, picks and lookups read through."""
    deps: set[str] = set()
    for p in obj.parents:
        deps.add(p.object)
    for f in obj.fields:
        src = f.source
        for s in _leaf_sources(src):
            if isinstance(s, m.Pick) and not s.deferred:
                deps.update(t for t in s.to if t != obj.name)
        for ref in source_refs(src):
            parts = ref.split(".")
            if len(parts) > 1:
                current = obj
                for part in parts[:-1]:
                    fd = current.field(part)
                    deps.update(t for t in fd.reference_to if t != obj.name)
                    target = fd.reference_to[0]
                    current = tpl.object(target)
    deps.discard("RecordType")
    return deps


def _leaf_sources(src: Any) -> list[Any]:
    if isinstance(src, m.Cases):
        return [s for _, c in src.cases for s in _leaf_sources(c)]
    return [src]


def object_order(tpl: m.TemplateDef) -> list[m.ObjectDef]:
    """Objects in generation order. Raises ValueError naming a cycle that cannot be broken."""
    deps = {o.name: object_dependencies(tpl, o) for o in tpl.objects}
    return [tpl.object(n) for n in _depth_first_order([o.name for o in tpl.objects], deps)]


def _depth_first_order(names: list[str], deps: dict[str, set[str]]) -> list[str]:
    """Each name after what it depends on, otherwise in the declared order (so generation
    follows the template as written). Raises ValueError naming the first cycle found."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*chain[chain.index(name) :], name]
            raise ValueError(" → ".join(cycle))
        state[name] = 1
        for d in sorted(deps[name]):
            visit(d, [*chain, name])
        state[name] = 2
        order.append(name)

    for name in names:
        visit(name, [])
    return order


def check_template(tpl: m.TemplateDef, raw: Any) -> None:
    """Raises ContentError at the first broken reference in ``tpl``."""
    loc = _Locator(raw)
    names = [o.name for o in tpl.objects]
    tables = {t.name: t for t in tpl.tables}
    for obj in tpl.objects:
        _check_object(tpl, obj, loc, names, tables)
    try:
        object_order(tpl)
    except ValueError as exc:
        raise loc.error(
            f"lookup cycle {exc} with no way to break it (expected `defer: true` on one of these lookups)",
            "objects",
        ) from None
    _check_heroes(tpl, loc)
    _check_presentation(tpl, loc, names)


def _check_object(
    tpl: m.TemplateDef,
    obj: m.ObjectDef,
    loc: _Locator,
    names: list[str],
    tables: dict[str, m.Table],
) -> None:
    at = ("objects", obj.name)
    if not obj.count and not obj.parents:
        raise loc.error(f"object {obj.name!r} has neither 'count' nor 'parent' (expected one)", *at)
    if not obj.has_field(obj.name_field):
        raise loc.error(
            f"name_field {obj.name_field!r} is not a field of {obj.name} (expected one of its fields)",
            *at,
            "name_field",
        )
    for p in obj.parents:
        if p.object not in names:
            raise loc.error(
                f"parent object {p.object!r} is unknown{suggest(p.object, names)} (expected an object of this template)",
                *at,
                "parent",
            )
        if not obj.has_field(p.field) or obj.field(p.field).type != "lookup":
            raise loc.error(
                f"parent field {p.field!r} is not a lookup field of {obj.name} (expected one)",
                *at,
                "parent",
            )
        if p.object not in obj.field(p.field).reference_to:
            raise loc.error(
                f"parent field {obj.name}.{p.field} does not look up {p.object} (expected reference_to to include it)",
                *at,
                "parent",
            )
        _check_where(tpl, tpl.object(p.object), p.where, loc, *at, "parent")
    for f in obj.fields:
        fat = (*at, "fields", f.name)
        if f.type == "lookup" and f.name != "RecordTypeId":
            if not f.reference_to:
                raise loc.error(
                    f"lookup {obj.name}.{f.name} has no target (expected 'to' or 'reference_to')",
                    *fat,
                )
            for t in f.reference_to:
                if t not in names:
                    raise loc.error(
                        f"lookup {obj.name}.{f.name} points at unknown object {t!r}{suggest(t, names)} (expected an object of this template)",
                        *fat,
                    )
            is_parent = any(p.field == f.name for p in obj.parents)
            if f.source is None and not is_parent:
                raise loc.error(
                    f"lookup {obj.name}.{f.name} has no value source (expected 'to', 'copy' or a parent spec)",
                    *fat,
                )
        if (
            f.type != "id"
            and f.source is None
            and not any(p.field == f.name for p in obj.parents)
            and f.null_rate < 1
        ):
            raise loc.error(
                f"field {obj.name}.{f.name} has no value source (expected one of values, faker, between, template, from, sequence, const, copy, to, table, generator, expr, rollup, cases)",
                *fat,
            )
        for ref in source_refs(f.source):
            try:
                resolve_path(tpl, obj, ref)
            except KeyError as exc:
                raise loc.error(
                    f"{obj.name}.{f.name} reads {ref!r}: {exc.args[0]} (expected an existing field)",
                    *fat,
                ) from None
        for s in _leaf_sources(f.source):
            _check_leaf(tpl, obj, f, s, loc, fat, tables)
        if isinstance(f.source, m.Cases):
            for cond, _ in f.source.cases:
                if cond:
                    _check_where(tpl, obj, cond, loc, *fat)
    try:
        field_order(obj)
    except ValueError as exc:
        raise loc.error(
            f"fields of {obj.name} depend on each other in a circle: {exc} (expected an order)",
            *at,
            "fields",
        ) from None


def _check_leaf(
    tpl: m.TemplateDef,
    obj: m.ObjectDef,
    f: m.FieldDef,
    s: Any,
    loc: _Locator,
    fat: tuple[str, ...],
    tables: dict[str, m.Table],
) -> None:
    if isinstance(s, m.Pick):
        for t in s.to:
            if not tpl.has_object(t):
                names = [o.name for o in tpl.objects]
                raise loc.error(
                    f"lookup {obj.name}.{f.name} points at unknown object {t!r}{suggest(t, names)} (expected an object of this template)",
                    *fat,
                )
            _check_where(tpl, tpl.object(t), s.where, loc, *fat)
            for target_field, _ in s.match:
                if not tpl.object(t).has_field(target_field):
                    raise loc.error(
                        f"lookup {obj.name}.{f.name} matches on {t}.{target_field}, which does not exist (expected a field of {t})",
                        *fat,
                    )
    elif isinstance(s, m.TableColumn):
        if s.table not in tables:
            raise loc.error(
                f"{obj.name}.{f.name} reads unknown table {s.table!r}{suggest(s.table, tables)} (expected one of the template's tables)",
                *fat,
            )
        if s.column not in tables[s.table].columns:
            raise loc.error(
                f"table {s.table!r} has no column {s.column!r}{suggest(s.column, tables[s.table].columns)} (expected one of: {', '.join(tables[s.table].columns)})",
                *fat,
            )
    elif isinstance(s, m.Rollup):
        if not tpl.has_object(s.child):
            raise loc.error(
                f"rollup of {obj.name}.{f.name} counts unknown object {s.child!r} (expected an object of this template)",
                *fat,
            )
        child = tpl.object(s.child)
        if not child.has_field(s.via) or obj.name not in child.field(s.via).reference_to:
            raise loc.error(
                f"rollup of {obj.name}.{f.name}: {s.child}.{s.via} is not a lookup to {obj.name} (expected one)",
                *fat,
            )
        if s.of and not child.has_field(s.of):
            raise loc.error(
                f"rollup of {obj.name}.{f.name}: {s.child} has no field {s.of!r} (expected one of its fields)",
                *fat,
            )
        for fld in s.where.fields():
            if "." in fld:
                raise loc.error(
                    f"rollup of {obj.name}.{f.name} filters on {fld!r}, a path through a lookup "
                    f"(expected a field of {s.child} itself)",
                    *fat,
                )
        _check_where(tpl, child, s.where, loc, *fat)
    elif isinstance(s, m.Mapping) and s.source:
        pass
    elif isinstance(s, m.Weighted) and f.type == "lookup" and f.name != "RecordTypeId":
        raise loc.error(
            f"lookup {obj.name}.{f.name} takes 'to' or 'copy', not 'values' (expected a record, not a value)",
            *fat,
        )


def _check_where(
    tpl: m.TemplateDef, obj: m.ObjectDef, where: m.Where, loc: _Locator, *at: str
) -> None:
    for fld, _op, _value in where.clauses:
        try:
            resolve_path(tpl, obj, fld)
        except KeyError as exc:
            raise loc.error(
                f"condition on {fld!r}: {exc.args[0]} (expected a field of {obj.name})", *at
            ) from None


def _check_heroes(tpl: m.TemplateDef, loc: _Locator) -> None:
    heroes = {h.key: h for h in tpl.heroes}
    names = [o.name for o in tpl.objects]
    for h in tpl.heroes:
        at = ("heroes", h.key)
        if not tpl.has_object(h.object):
            raise loc.error(
                f"hero {h.key!r} is a {h.object!r}, which is unknown{suggest(h.object, names)} (expected an object of this template)",
                *at,
            )
        obj = tpl.object(h.object)
        if h.record_type and h.record_type not in [r[0] for r in obj.record_types]:
            raise loc.error(
                f"hero {h.key!r} has record type {h.record_type!r}, which {h.object} lacks (expected one of: {', '.join(r[0] for r in obj.record_types) or 'none'})",
                *at,
            )
        for fname, _ in h.values:
            if not obj.has_field(fname):
                raise loc.error(
                    f"hero {h.key!r} sets {h.object}.{fname}, which does not exist{suggest(fname, [f.name for f in obj.fields])} (expected a field of {h.object})",
                    *at,
                )
        if h.parent:
            if h.parent not in heroes:
                raise loc.error(
                    f"hero {h.key!r} has unknown parent hero {h.parent!r}{suggest(h.parent, heroes)} (expected a hero key)",
                    *at,
                )
            if heroes[h.parent].object not in [p.object for p in obj.parents]:
                raise loc.error(
                    f"hero {h.key!r}'s parent {h.parent!r} is a {heroes[h.parent].object}, not a parent object of {h.object} (expected one of: {', '.join(p.object for p in obj.parents) or 'none'})",
                    *at,
                )
        elif obj.parents:
            raise loc.error(
                f"hero {h.key!r} is a {h.object}, which needs a parent (expected 'parent: <hero key>')",
                *at,
            )
        for fname, target in h.links:
            if not obj.has_field(fname) or obj.field(fname).type != "lookup":
                raise loc.error(
                    f"hero {h.key!r} links {fname!r}, which is not a lookup of {h.object} (expected a lookup field)",
                    *at,
                )
            if target not in heroes:
                raise loc.error(
                    f"hero {h.key!r} links {fname} to unknown hero {target!r}{suggest(target, heroes)} (expected a hero key)",
                    *at,
                )
            if heroes[target].object not in obj.field(fname).reference_to:
                raise loc.error(
                    f"hero {h.key!r} links {fname} to a {heroes[target].object}, which {h.object}.{fname} does not look up (expected one of: {', '.join(obj.field(fname).reference_to)})",
                    *at,
                )
    order = [o.name for o in object_order(tpl)]
    for h in tpl.heroes:
        for _, target in h.links:
            if order.index(heroes[target].object) > order.index(h.object):
                raise loc.error(
                    f"hero {h.key!r} links to {target!r}, a {heroes[target].object} generated after {h.object} (expected a link to an earlier object)",
                    "heroes",
                    h.key,
                )


def _check_fields_exist(
    tpl: m.TemplateDef, obj_name: str, fields: tuple[str, ...], loc: _Locator, what: str, *at: str
) -> None:
    obj = tpl.object(obj_name)
    for f in fields:
        try:
            resolve_path(tpl, obj, f)
        except KeyError as exc:
            raise loc.error(
                f"{what} names {f!r}: {exc.args[0]} (expected a field of {obj_name})", *at
            ) from None


def _check_presentation(tpl: m.TemplateDef, loc: _Locator, names: list[str]) -> None:
    dashboards = {d.key for d in tpl.dashboards}
    for obj in tpl.objects:
        at = ("objects", obj.name)
        _check_fields_exist(
            tpl, obj.name, obj.list_columns, loc, "list_columns", *at, "list_columns"
        )
        if obj.layout:
            lay = obj.layout
            _check_fields_exist(
                tpl, obj.name, lay.highlights, loc, "layout highlights", *at, "layout"
            )
            for s in lay.sections:
                _check_fields_exist(
                    tpl, obj.name, s.fields, loc, f"layout section {s.label!r}", *at, "layout"
                )
            if lay.path and (not obj.has_field(lay.path) or obj.field(lay.path).type != "picklist"):
                raise loc.error(
                    f"layout path {lay.path!r} is not a picklist of {obj.name} (expected a stage-like picklist)",
                    *at,
                    "layout",
                )
            for child, via, cols in lay.related:
                if child not in names:
                    raise loc.error(
                        f"related list object {child!r} is unknown{suggest(child, names)} (expected an object of this template)",
                        *at,
                        "layout",
                    )
                c = tpl.object(child)
                if not c.has_field(via) or obj.name not in c.field(via).reference_to:
                    raise loc.error(
                        f"related list {child}.{via} is not a lookup to {obj.name} (expected a lookup field of {child})",
                        *at,
                        "layout",
                    )
                _check_fields_exist(tpl, child, cols, loc, "related list columns", *at, "layout")
    for app in tpl.apps:
        for tab in app.tabs:
            if tab.startswith("dashboard:"):
                if tab.split(":", 1)[1] not in dashboards:
                    raise loc.error(
                        f"app {app.key!r} tab {tab!r} names an unknown dashboard (expected one of: {', '.join(sorted(dashboards))})",
                        "apps",
                        app.key,
                    )
            elif tab not in names:
                raise loc.error(
                    f"app {app.key!r} tab {tab!r} is unknown{suggest(tab, names)} (expected an object or dashboard:<key>)",
                    "apps",
                    app.key,
                )
    for d in tpl.dashboards:
        at = ("dashboards", d.key)
        for t in d.tiles:
            if t.object not in names:
                raise loc.error(
                    f"tile {t.label!r} counts unknown object {t.object!r}{suggest(t.object, names)} (expected an object of this template)",
                    *at,
                )
            fields = tuple(x for x in (t.field, t.group_by) if x)
            _check_fields_exist(tpl, t.object, fields, loc, f"tile {t.label!r}", *at)
            _check_where(tpl, tpl.object(t.object), t.where, loc, *at)
    for feat in tpl.features:
        for o in feat.objects:
            if o not in names:
                raise loc.error(
                    f"feature {feat.key!r} names unknown object {o!r} (expected an object of this template)",
                    "features",
                    feat.key,
                )
