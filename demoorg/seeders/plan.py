"""The build plan: what to generate, in which order, how many, and what to keep in memory.

The plan is pure: it reads a template and the build parameters and does no I/O, so it can be
tested and inspected without writing anything.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from demoorg.content import model as m
from demoorg.content.releases import Release, feature_stage, parse_release
from demoorg.content.validate import field_order, object_order, resolve_path, source_refs
from demoorg.errors import UsageError

#: A company name longer than this fits no header, badge or email signature.
MAX_PROSPECT_CHARS = 120
#: One label of a domain: letters (any script) or digits, with hyphens only inside.
_DOMAIN_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")


def check_prospect_name(text: str) -> str:
    """The prospect's name, stripped; any script, quotes, emoji or bidi marks are fine.

    Raises:
        UsageError: empty, longer than :data:`MAX_PROSPECT_CHARS`, or holding a control
            character (a line break, NUL or terminal escape), which no header can show.
    """
    name = text.strip()
    if not name:
        raise UsageError("empty prospect name (expected the customer's company name)")
    for position, ch in enumerate(name, start=1):
        if unicodedata.category(ch) == "Cc":
            raise UsageError(
                f"prospect name has control character U+{ord(ch):04X} at position {position} "
                "(expected printable text)"
            )
    if len(name) > MAX_PROSPECT_CHARS:
        raise UsageError(
            f"prospect name is {len(name):,} characters long "
            f"(expected at most {MAX_PROSPECT_CHARS})"
        )
    return name


def check_domain(text: str) -> str:
    """An email domain such as ``acme.com`` or ``münchen.de``; raises UsageError otherwise."""
    labels = text.split(".")
    if len(text) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(x) for x in labels):
        shown = text if len(text) <= 80 else f"{text[:80]}…"
        raise UsageError(
            f"invalid domain {shown!r} (expected a domain like acme.com: letters, digits and "
            "hyphens, in parts joined by dots)"
        )
    return text


@dataclass(frozen=True, slots=True)
class Prospect:
    """The customer the demo is for: shown in the org's header and used by hero records."""

    name: str = "Acme"
    domain: str | None = None
    color: str | None = None
    logo: str | None = None  # file name inside the org's assets, or None


@dataclass(frozen=True, slots=True)
class BuildParams:
    industry: str
    seed: int
    size: int
    size_name: str
    locale: str
    as_of: date
    release: Release
    preview: bool = False
    prospect: Prospect = field(default_factory=Prospect)


def parse_size(text: str | int) -> tuple[int, str]:
    """``small``/``standard``/``enterprise`` or a record count → (count, name)."""
    if isinstance(text, int):
        value, name = text, str(text)
    elif text in m.SIZES:
        return m.SIZES[text], text
    else:
        digits = str(text).replace(",", "").replace("_", "").strip()
        try:
            # Plain digits only: int() also reads other scripts' digits ("٥٠"), which no one means.
            if not digits.isascii():
                raise ValueError(text)
            value, name = int(digits), str(text)
        except ValueError:
            raise UsageError(
                f"unknown size {text!r} (expected small, standard, enterprise or a record count)"
            ) from None
    if not 50 <= value <= 20_000_000:
        raise UsageError(f"size {value} is out of range (expected 50 to 20,000,000 records)")
    return value, name


@dataclass(slots=True)
class ObjectPlan:
    obj: m.ObjectDef
    order: list[m.FieldDef]
    root_count: int | None
    heroes: list[m.Hero]
    keep: set[str] = field(default_factory=set)
    keep_ids: bool = False
    expected: float = 0.0
    deferred: list[m.FieldDef] = field(default_factory=list)
    post: list[m.FieldDef] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    template: m.TemplateDef
    params: BuildParams
    objects: list[ObjectPlan]
    scale: float

    def expected_total(self) -> int:
        return round(sum(p.expected for p in self.objects))

    def features(self) -> list[dict[str, str]]:
        """Each feature's stage at the org's release (preview moves one release ahead)."""
        out = []
        rel = self.params.release
        for f in self.template.features:
            stage = feature_stage(
                rel,
                parse_release(f.pilot) if f.pilot else None,
                parse_release(f.beta) if f.beta else None,
                parse_release(f.ga) if f.ga else None,
                preview=self.params.preview,
            )
            out.append(
                {
                    "key": f.key,
                    "label": f.label,
                    "stage": stage,
                    "pilot": f.pilot or "",
                    "beta": f.beta or "",
                    "ga": f.ga or "",
                    "description": f.description,
                }
            )
        return out


def _fraction(tpl: m.TemplateDef, obj: m.ObjectDef, where: m.Where) -> float:
    """The share of ``obj``'s records expected to match ``where`` (for sizing only).

    Clauses are taken as independent; a field whose distribution cannot be worked out from the
    template (a date, a lookup, a generator) counts as matching half the records.
    """
    share = 1.0
    for fld, op, value in where.clauses:
        dist = _distribution(tpl, obj, fld, depth=0)
        share *= 0.5 if dist is None else _clause_share(dist, op, value)
    return share


def _clause_share(dist: dict[object, float], op: str, value: object) -> float:
    if op in ("eq", "ne", "in", "not_in"):
        chosen = set(value) if op in ("in", "not_in") else {value}  # type: ignore[arg-type]
        part = sum(p for k, p in dist.items() if k in chosen)
        return part if op in ("eq", "in") else 1 - part
    if op == "blank":
        part = dist.get(None, 0.0)
        return part if value else 1 - part
    return 0.5


def _distribution(
    tpl: m.TemplateDef, obj: m.ObjectDef, fld: str, depth: int
) -> dict[object, float] | None:
    """The probability of each value of a field, where the template makes it knowable."""
    if depth > 6:
        return None
    if "." in fld:
        # Through a lookup: the target's own distribution (as if every target were as likely).
        head, rest = fld.split(".", 1)
        if not obj.has_field(head) or len(obj.field(head).reference_to) != 1:
            return None
        target = obj.field(head).reference_to[0]
        if not tpl.has_object(target):
            return None
        return _distribution(tpl, tpl.object(target), rest, depth + 1)
    if fld == "RecordType" and obj.record_types:
        return _normalise({r[0]: r[2] for r in obj.record_types})
    if not obj.has_field(fld):
        return None
    return _source_distribution(tpl, obj, obj.field(fld).source, depth + 1)


def _source_distribution(
    tpl: m.TemplateDef, obj: m.ObjectDef, src: object, depth: int
) -> dict[object, float] | None:
    if isinstance(src, m.Weighted):
        return _normalise(dict(zip(src.values, src.weights, strict=True)))
    if isinstance(src, m.Const):
        return {src.value: 1.0}
    if isinstance(src, m.TableColumn) and src.pick != "each":
        table = tpl.table(src.table)
        col = table.columns.index(src.column)
        return _normalise(
            _add({}, {row[col]: w for row, w in zip(table.rows, table.weights, strict=True)})
        )
    if isinstance(src, m.Mapping):
        base = _distribution(tpl, obj, src.source, depth)
        if base is None:
            return None
        table = dict(src.table)
        out: dict[object, float] = {}
        for k, p in base.items():
            _add(out, {table.get(k, src.default): p})
        return out
    if isinstance(src, m.Cases):
        out, remaining = {}, 1.0
        for cond, case_src in src.cases:
            p_cond = 1.0 if cond is None else _fraction_at(tpl, obj, cond, depth)
            p = remaining * p_cond
            sub = _source_distribution(tpl, obj, case_src, depth + 1)
            if sub is None:
                return None
            _add(out, {k: p * q for k, q in sub.items()})
            remaining -= p
        return out
    return None


def _fraction_at(tpl: m.TemplateDef, obj: m.ObjectDef, where: m.Where, depth: int) -> float:
    share = 1.0
    for fld, op, value in where.clauses:
        dist = _distribution(tpl, obj, fld, depth + 1)
        share *= 0.5 if dist is None else _clause_share(dist, op, value)
    return share


def _normalise(weights: dict[object, float]) -> dict[object, float]:
    total = sum(weights.values()) or 1.0
    return {k: w / total for k, w in weights.items()}


def _add(into: dict[object, float], more: dict[object, float]) -> dict[object, float]:
    for k, p in more.items():
        into[k] = into.get(k, 0.0) + p
    return into


def _expected(tpl: m.TemplateDef, order: list[m.ObjectDef], scale: float) -> dict[str, float]:
    counts: dict[str, float] = {}
    for obj in order:
        if obj.count:
            counts[obj.name] = _root_count(obj.count, scale)
        else:
            total = 0.0
            for p in obj.parents:
                total += (
                    counts.get(p.object, 0.0)
                    * _fraction(tpl, tpl.object(p.object), p.where)
                    * p.per_parent.expected()
                )
            counts[obj.name] = total
    return counts


def _root_count(count: m.CountSpec, scale: float) -> int:
    if count.scaling == "fixed":
        return count.value
    if count.scaling == "sqrt":
        return max(1, round(count.value * math.sqrt(scale))) if count.value else 0
    return max(1, round(count.value * scale)) if count.value else 0


def make_plan(tpl: m.TemplateDef, params: BuildParams) -> Plan:
    """Orders the objects, scales root counts to the requested size, and marks what to keep."""
    order = object_order(tpl)
    lo, hi = 1e-6, 1e6
    for _ in range(80):  # bisection: the total grows monotonically with the scale
        mid = math.sqrt(lo * hi)
        if sum(_expected(tpl, order, mid).values()) < params.size:
            lo = mid
        else:
            hi = mid
    scale = hi
    expected = _expected(tpl, order, scale)
    plans = []
    for obj in order:
        heroes = [h for h in tpl.heroes if h.object == obj.name]
        root = max(_root_count(obj.count, scale), len(heroes)) if obj.count else None
        op = ObjectPlan(
            obj,
            field_order(obj),
            root,
            heroes,
            expected=expected[obj.name] + (len(heroes) if not obj.count else 0),
        )
        for f in obj.fields:
            src = f.source
            if isinstance(src, m.Pick) and (src.deferred or obj.name in src.to):
                op.deferred.append(f)
            elif isinstance(src, m.Rollup):
                op.post.append(f)
        plans.append(op)
    by_name = {p.obj.name: p for p in plans}
    _mark_post_exprs(by_name)
    _mark_keeps(tpl, by_name)
    return Plan(tpl, params, plans, scale)


def _mark_post_exprs(by_name: dict[str, ObjectPlan]) -> None:
    """Expressions over rollups can only be computed after the rollups, in the database."""
    for op in by_name.values():
        post = {f.name for f in op.post}
        changed = True
        while changed:
            changed = False
            for f in op.obj.fields:
                if f.name in post:
                    continue
                refs = source_refs(f.source)
                if any(r.split(".")[0] in post for r in refs):
                    if not isinstance(f.source, m.Expr) or any("." in r for r in f.source.refs):
                        raise UsageError(
                            f"{op.obj.name}.{f.name} reads a rollup; only an 'expr' over the "
                            "object's own fields can (expected expr)"
                        )
                    op.post.append(f)
                    post.add(f.name)
                    changed = True


def _mark_keeps(tpl: m.TemplateDef, by_name: dict[str, ObjectPlan]) -> None:
    """Marks the columns other objects read, so only those stay in memory after writing."""

    def walk(obj: m.ObjectDef, path: str, own_in_store: bool) -> None:
        head, _, rest = path.partition(".")
        if head in ("ParentObject", "ParentSpec", "AsOfYear"):
            return
        if own_in_store:
            by_name[obj.name].keep.add("RecordTypeId" if head == "RecordType" else head)
        if not rest:
            return
        fdef = resolve_path(tpl, obj, head)
        nxt = rest.split(".")[0]
        for target in fdef.reference_to:
            t = tpl.object(target)
            if t.has_field(nxt) or nxt == "RecordType":
                walk(t, rest, own_in_store=True)

    for op in by_name.values():
        obj = op.obj
        for f in obj.fields:
            for ref in source_refs(f.source):
                walk(obj, ref, own_in_store=False)
            for s in _leaves(f.source):
                if isinstance(s, m.Pick):
                    for t in s.to:
                        by_name[t].keep_ids = True
                        for fld in (*s.where.fields(), *(tf for tf, _ in s.match)):
                            walk(tpl.object(t), fld, own_in_store=True)
            if f.type == "lookup":
                for t in f.reference_to:
                    if t in by_name:
                        by_name[t].keep_ids = True
        for p in obj.parents:
            by_name[p.object].keep_ids = True
            for fld in p.where.fields():
                walk(tpl.object(p.object), fld, own_in_store=True)


def _leaves(src: object) -> list[object]:
    if isinstance(src, m.Cases):
        return [s for _, c in src.cases for s in _leaves(c)]
    return [src]
