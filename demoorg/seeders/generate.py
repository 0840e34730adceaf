"""Columnar, batched generation of every record of a plan.

Each object is generated in batches of rows; within a batch each field is one column computed in
one pass (a list comprehension or one ``random.choices`` call), in the order the fields depend on
each other. Lookups are row numbers into the target object while generating and become Ids when
written. After a batch is written only the columns other objects read are kept.

Dates are numbers of days from the as-of date (negative in the past; date-times carry the time of
day as a fraction) and are turned into text only when written.
"""

from __future__ import annotations

import bisect
import functools
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from statistics import NormalDist
from typing import Any

from demoorg.content import model as m
from demoorg.errors import ContentError
from demoorg.seeders import generators, geo
from demoorg.seeders.ids import IdMaker
from demoorg.seeders.plan import ObjectPlan, Plan
from demoorg.seeders.pools import Pools, child_rng

BATCH = 5000


#: A template's placeholders, as the loader finds them (``demoorg.content.template``).
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def template_format(text: str, refs: tuple[str, ...], prospect: str) -> str:
    """A ``str.format`` string for a ``template`` source that can only insert values.

    Each ``{Field}`` of ``refs`` becomes ``{0}``, ``{1}``…, ``{prospect}`` the prospect's name,
    and every other brace — in the text or in the name — is doubled so that it prints as
    itself. Nothing in content (``{0.__class__:{Type}}``, ``{Name!r:>{Size}}``, a stray ``{``) or
    in a prospect named ``Acme {EU}`` is ever read as a field, an attribute, a conversion or a
    format spec.
    """
    index = {ref: i for i, ref in enumerate(refs)}

    def literal(part: str) -> str:
        return part.replace("{", "{{").replace("}", "}}")

    parts, pos = [], 0
    for mo in _PLACEHOLDER.finditer(text):
        parts.append(literal(text[pos : mo.start()]))
        name = mo.group(1)
        if name == "prospect":
            parts.append(literal(prospect))
        elif name in index:
            parts.append(f"{{{index[name]}}}")
        else:
            parts.append(literal(mo.group(0)))
        pos = mo.end()
    parts.append(literal(text[pos:]))
    return "".join(parts)


@dataclass(slots=True)
class Store:
    """What stays in memory of a generated object: its row count and the columns others read."""

    name: str
    idmaker: IdMaker
    n: int = 0
    cols: dict[str, list[Any]] = field(default_factory=dict)
    ids: list[str] | None = None
    made_ids: list[str] = field(default_factory=list)
    candidates: dict[Any, Any] = field(default_factory=dict)  # where → rows (or match buckets)

    def id_list(self) -> list[str]:
        if self.ids is None or len(self.ids) != self.n:
            self.ids = self.idmaker.ids(0, self.n)
        return self.ids


@dataclass(slots=True)
class Progress:
    """Reported after each batch: which object, rows done of it, and rows done overall."""

    object: str
    label: str
    done: int
    total: int
    rows_written: int
    expected_rows: int


class Batch:
    """One batch of rows of one object being generated: its columns so far."""

    def __init__(
        self,
        gen: OrgGenerator,
        op: ObjectPlan,
        start: int,
        size: int,
        targets: dict[str, str],
        parent_object: str | None,
    ) -> None:
        self.gen = gen
        self.op = op
        self.obj = op.obj
        self.start = start
        self.size = size
        self.cols: dict[str, list[Any]] = {}
        self.targets = targets  # lookup field -> target object in this batch
        self.parent_object = parent_object
        self.parent_spec = 0  # which of the object's parent specs made these rows (1, 2, …)
        self.rows: list[int] | None = None  # set on a subset: which rows of the parent batch
        # The whole batch a subset was cut from (None: this is it). Not a self-reference, which
        # would keep every batch alive until the cycle collector runs.
        self._root: Batch | None = None
        self.positions: list[int] | None = None  # a subset's row positions in the root batch

    def read(self, path: str) -> list[Any]:
        parts = path.split(".")
        head = "RecordTypeId" if parts[0] == "RecordType" else parts[0]
        if head == "ParentObject":
            return [self.parent_object] * self.size
        if head == "ParentSpec":
            return [self.parent_spec] * self.size
        if head == "AsOfYear":
            return [self.gen.as_of_year] * self.size
        col = self.cols[head]
        if len(parts) == 1:
            return col
        fdef = self.obj.field(head)
        target = self.targets.get(head) or fdef.reference_to[0]
        return self.gen.follow(target, col, parts[1:])

    def subset(self, rows: list[int]) -> Batch:
        sub = Batch(self.gen, self.op, self.start, len(rows), self.targets, self.parent_object)
        sub.parent_spec = self.parent_spec
        sub.cols = _SubsetColumns(self.cols, rows)
        sub.rows = [self.start + i for i in rows]
        sub._root = self.root
        sub.positions = [self.positions[i] for i in rows] if self.positions is not None else rows
        return sub

    @property
    def root(self) -> Batch:
        return self._root or self

    def row_numbers(self) -> list[int]:
        return (
            self.rows if self.rows is not None else list(range(self.start, self.start + self.size))
        )


class _SubsetColumns(dict):
    """A subset's columns, cut from the whole batch's only when read: a field with many cases
    reads a few columns, not every column made so far."""

    def __init__(self, source: dict[str, list[Any]], rows: list[int]) -> None:
        super().__init__()
        self._source = source
        self._rows = rows

    def __missing__(self, key: str) -> list[Any]:
        col = self._source[key]
        value = self[key] = [col[i] for i in self._rows]
        return value

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self._source


class StoreView:
    """Reads paths over every row of a generated object (for conditions on lookup targets)."""

    def __init__(self, gen: OrgGenerator, name: str) -> None:
        self.gen = gen
        self.name = name
        self.size = gen.stores[name].n

    def read(self, path: str) -> list[Any]:
        parts = path.split(".")
        head = "RecordTypeId" if parts[0] == "RecordType" else parts[0]
        col = self.gen.stores[self.name].cols[head]
        if len(parts) == 1:
            return col
        target = self.gen.plan.template.object(self.name).field(head).reference_to[0]
        return self.gen.follow(target, col, parts[1:])


def _mask(where: m.Where, view: Batch | StoreView, asof_days: Callable[[Any], Any]) -> list[bool]:
    result = [True] * view.size
    for fld, op, value in where.clauses:
        col = view.read(fld)
        if op == "eq":
            hit = [v == value for v in col]
        elif op == "ne":
            hit = [v != value for v in col]
        elif op == "in":
            s = set(value)
            hit = [v in s for v in col]
        elif op == "not_in":
            s = set(value)
            hit = [v not in s for v in col]
        elif op == "blank":
            hit = [(v is None) == bool(value) for v in col]
        else:
            x = asof_days(value)
            cmp = {
                "gt": float.__gt__,
                "gte": float.__ge__,
                "lt": float.__lt__,
                "lte": float.__le__,
            }[op]
            hit = [v is not None and cmp(float(v), float(x)) for v in col]
        result = [a and b for a, b in zip(result, hit, strict=True)]
    return result


class OrgGenerator:
    """Generates a plan's records batch by batch and hands them to a writer."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.params = plan.params
        self.tpl = plan.template
        self.pools = Pools(plan.params.locale, plan.params.seed)
        self.stores: dict[str, Store] = {}
        self.rngs: dict[str, random.Random] = {}
        self.hero_rows: dict[str, tuple[str, int]] = {}
        self.asof = plan.params.as_of
        year_start = date(self.asof.year, 1, 1)
        year_days = (date(self.asof.year + 1, 1, 1) - year_start).days
        self.as_of_year = self.asof.year + (self.asof - year_start).days / year_days
        self._day_text: dict[int, str] = {}
        self._cum: dict[int, list[float]] = {}
        self._unique_order: dict[str, list[int]] = {}
        self._unique_state: dict[str, dict[int, list[int]]] = {}
        self._unique_used: dict[str, int] = {}
        self.seen_emails: set[str] = set()
        self.seen_usernames: set[str] = set()
        from demoorg.seeders.pools import DEFAULT_POOL

        self.pool_size = max(50, min(DEFAULT_POOL, plan.expected_total() // 20))
        prospect = plan.params.prospect
        self.prospect_domain = (
            prospect.domain
            or f"{generators.slug(self.pools.ascii_name(prospect.name)) or 'acme'}.example.com"
        )
        self.record_types = [
            (o.name, dev, label) for o in self.tpl.objects for dev, label, _ in o.record_types
        ]
        rt_ids = IdMaker("012").ids(0, len(self.record_types))
        self.record_type_ids = {
            (o, dev): rt_ids[i] for i, (o, dev, _) in enumerate(self.record_types)
        }

    # --- helpers ---------------------------------------------------------------------------

    def rng(self, *parts: str) -> random.Random:
        key = ":".join(parts)
        r = self.rngs.get(key)
        if r is None:
            r = self.rngs[key] = child_rng(self.params.seed, *parts)
        return r

    def follow(self, target: str, col: list[Any], rest: list[str]) -> list[Any]:
        for part in rest:
            name = "RecordTypeId" if part == "RecordType" else part
            store = self.stores[target]
            if name not in store.cols:
                raise ContentError(f"{target}.{part} is read through a lookup but was not kept")
            tcol = store.cols[name]
            col = [tcol[i] if i is not None else None for i in col]
            if part != rest[-1]:
                target = self.tpl.object(target).field(name).reference_to[0]
        return col

    def day_text(self, offset: int) -> str:
        t = self._day_text.get(offset)
        if t is None:
            t = self._day_text[offset] = (self.asof + timedelta(days=offset)).isoformat()
        return t

    def offset_value(self, value: Any) -> Any:
        """A condition value given as an offset (``-30d``) becomes days; other values pass."""
        if isinstance(value, str):
            from demoorg.content.template import _OFFSET, _UNIT_DAYS

            mo = _OFFSET.match(value.replace(" ", ""))
            if mo:
                return float(mo.group(1)) * _UNIT_DAYS[mo.group(2)]
            if value == "today":
                return 0.0
        return value

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> Iterator[tuple[ObjectPlan, list[str], list[tuple[Any, ...]], Progress]]:
        """Yields (object plan, stored column names, rows, progress) batch by batch."""
        expected = self.plan.expected_total()
        written = 0
        for op in self.plan.objects:
            store = Store(op.obj.name, IdMaker(op.obj.key_prefix))
            self.stores[op.obj.name] = store
            segments = self._segments(op)
            total = sum(len(s[2]) for s in segments)
            store.n = total
            columns = [f.name for f in op.obj.fields if f.store]
            done = 0
            hero_count = len(op.heroes)
            for spec_field, spec_object, parent_rows, spec_no in segments:
                for s in range(0, len(parent_rows), BATCH):
                    size = min(BATCH, len(parent_rows) - s)
                    targets = {spec_field: spec_object} if spec_field else {}
                    batch = Batch(self, op, done, size, targets, spec_object)
                    batch.parent_spec = spec_no
                    for p in op.obj.parents:
                        batch.cols[p.field] = [None] * size
                    if spec_field:
                        batch.cols[spec_field] = parent_rows[s : s + size]
                    heroes_here = max(0, min(hero_count - done, size))
                    if heroes_here:
                        self._hero_links(op, batch, heroes_here)
                    self._fill(op, batch, heroes_here)
                    rows = self._rows(op, batch, columns)
                    self._keep(op, store, batch)
                    done += size
                    written += size
                    yield (
                        op,
                        columns,
                        rows,
                        Progress(op.obj.name, op.obj.plural, done, total, written, expected),
                    )
            if total == 0:
                yield op, columns, [], Progress(op.obj.name, op.obj.plural, 0, 0, written, expected)

    def _segments(
        self, op: ObjectPlan
    ) -> list[tuple[str | None, str | None, list[int | None], int]]:
        """Rows to make, as runs that share a parent spec: (field, parent object, parent row of each)."""
        obj = op.obj
        heroes = op.heroes
        if obj.count is not None:
            return [(None, None, [None] * (op.root_count or 0), 0)]
        segments: list[tuple[str | None, str | None, list[int | None], int]] = []
        hero_parents: dict[int, list[int | None]] = {i: [] for i in range(len(obj.parents))}
        for h in heroes:
            pobj, prow = self.hero_rows[h.parent] if h.parent else (None, None)
            idx = next(i for i, p in enumerate(obj.parents) if p.object == pobj)
            hero_parents[idx].append(prow)
        kinds = {obj.parents[i].field for i in hero_parents if hero_parents[i]}
        if len(kinds) > 1:
            raise ContentError(
                f"heroes of {obj.name} have parents of different kinds (expected one)"
            )
        for i, p in enumerate(obj.parents):
            candidates = self._candidates(p.object, p.where)
            counts = self._counts(
                p.per_parent, len(candidates), self.rng(obj.name, "per_parent", str(i))
            )
            # A hero child stands in for one of its parent's generated children, so Maria's
            # diabetes diagnosis is not there twice.
            taken = Counter(hero_parents[i])
            rows: list[int | None] = list(hero_parents[i])
            if not taken and len(set(counts)) == 1:
                # The same number of children for every parent (per_parent: 3): no bookkeeping.
                k = counts[0] if counts else 0
                rows.extend(parent for parent in candidates for _ in range(k))
            else:
                for parent, c in zip(candidates, counts, strict=True):
                    c -= taken.get(parent, 0)
                    if c > 0:
                        rows.extend([parent] * c)
            if hero_parents[i] and segments:
                # Hero rows must come first; put their segment at the front.
                segments.insert(0, (p.field, p.object, rows, i + 1))
            else:
                segments.append((p.field, p.object, rows, i + 1))
        return segments

    def _candidates(self, obj_name: str, where: m.Where) -> list[int]:
        store = self.stores[obj_name]
        key = where
        if key not in store.candidates:
            if not where.clauses or store.n == 0:
                store.candidates[key] = list(range(store.n))
            else:
                mask = _mask(where, StoreView(self, obj_name), self.offset_value)
                store.candidates[key] = [i for i, ok in enumerate(mask) if ok]
        return store.candidates[key]

    def _counts(self, per: m.PerParent, n: int, rng: random.Random) -> list[int]:
        rand = rng.random
        if per.weights:
            values = [k for k, _ in per.weights]
            return rng.choices(values, weights=[w for _, w in per.weights], k=n)
        if per.mean is None:
            high = per.high if per.high is not None else per.low
            return [rng.randint(per.low, high) for _ in range(n)]
        cdf = self._poisson_cdf(per.mean)
        out = [bisect.bisect(cdf, rand()) for _ in range(n)]
        if per.low or per.high is not None:
            high = per.high if per.high is not None else 1 << 30
            out = [min(max(c, per.low), high) for c in out]
        return out

    def _poisson_cdf(self, mean: float) -> list[float]:
        key = round(mean * 1000)
        cdf = self._cum.get(key)
        if cdf is None:
            cdf, p, k, total = [], math.exp(-mean), 0, 0.0
            while total < 1 - 1e-12 and k < 10 * mean + 50:
                total += p
                cdf.append(total)
                k += 1
                p *= mean / k
            self._cum[key] = cdf
        return cdf

    def _hero_links(self, op: ObjectPlan, batch: Batch, count: int) -> None:
        for i, h in enumerate(op.heroes[:count]):
            self.hero_rows[h.key] = (op.obj.name, batch.start + i)

    def _fill(self, op: ObjectPlan, batch: Batch, heroes_here: int) -> None:
        obj = op.obj
        deferred = {f.name for f in op.deferred} | {f.name for f in op.post}
        for f in op.order:
            if f.type == "id":
                batch.cols["Id"] = self.stores[obj.name].idmaker.ids(batch.start, batch.size)
                continue
            if f.name in batch.targets:
                continue  # the parent of this segment, already set
            if f.name in deferred or f.source is None:
                batch.cols.setdefault(f.name, [None] * batch.size)
                continue
            col = self.evaluate(f.source, f, batch)
            if f.null_rate:
                r = self.rng(obj.name, f.name, "null").random
                rate = f.null_rate
                col = [None if r() < rate else v for v in col]
            batch.cols[f.name] = col
            if heroes_here:
                self._hero_values(op, batch, f, heroes_here)

    def _hero_values(self, op: ObjectPlan, batch: Batch, f: m.FieldDef, count: int) -> None:
        col = batch.cols[f.name]
        for i, h in enumerate(op.heroes[:count]):
            if f.name == "RecordTypeId" and h.record_type:
                col[i] = h.record_type
            for fname, target in h.links:
                if fname == f.name:
                    col[i] = self.hero_rows[target][1]
            for fname, value in h.values:
                if fname == f.name:
                    col[i] = self.hero_value(f, value)

    def hero_value(self, f: m.FieldDef, value: Any) -> Any:
        if f.type in m.DATE_TYPES and isinstance(value, str):
            v = self.offset_value(value)
            if isinstance(v, float):
                return v if f.type == "datetime" else int(v)
            try:
                return float((date.fromisoformat(value[:10]) - self.asof).days)
            except ValueError:
                raise ContentError(
                    f"hero value {value!r} of {f.name} is not a date (expected -30d or YYYY-MM-DD)"
                ) from None
        if isinstance(value, str):
            return value.replace("{prospect}", self.params.prospect.name)
        return value

    # --- sources -----------------------------------------------------------------------------

    def evaluate(self, src: Any, f: m.FieldDef, batch: Batch) -> list[Any]:
        n = batch.size
        key = (batch.obj.name, f.name)
        if isinstance(src, m.Weighted):
            return self.rng(*key).choices(src.values, cum_weights=_cum(src.weights), k=n)
        if isinstance(src, m.Const):
            return [self.hero_value(f, src.value) if isinstance(src.value, str) else src.value] * n
        if isinstance(src, m.FakerPool):
            return self._faker(src, f, batch)
        if isinstance(src, m.NumberRange):
            return _numbers(src, n, self.rng(*key), f.type)
        if isinstance(src, m.DateRange):
            return self._dates(src, f, batch)
        if isinstance(src, m.Template):
            fmt = template_format(src.text, src.refs, self.params.prospect.name)
            if not src.refs:
                return [fmt.format()] * n
            cols = [batch.read(r) for r in src.refs]
            if not any(None in c for c in cols):
                return list(map(fmt.format, *cols))
            return [
                fmt.format(*("" if v is None else v for v in vals))
                for vals in zip(*cols, strict=True)
            ]
        if isinstance(src, m.Mapping):
            table = dict(src.table)
            return [table.get(v, src.default) for v in batch.read(src.source)]
        if isinstance(src, m.Sequence):
            return [src.fmt.format(n=src.start + i) for i in batch.row_numbers()]
        if isinstance(src, m.Copy):
            return list(batch.read(src.path))
        if isinstance(src, m.Pick):
            return self._pick(src, f, batch)
        if isinstance(src, m.TableColumn):
            table = self.tpl.table(src.table)
            # The row is picked once per record on the whole batch, so fields that read the same
            # table share it even when they sit in different cases.
            pick_key = "_table_" + src.pick
            root = batch.root
            if pick_key not in root.cols and src.pick == "each":
                # Every row of the table once, in order (roles, price books, fixed catalogues).
                root.cols[pick_key] = [i % len(table.rows) for i in root.row_numbers()]
            elif pick_key not in root.cols:
                root.cols[pick_key] = self.rng(batch.obj.name, pick_key).choices(
                    range(len(table.rows)), cum_weights=_cum(table.weights), k=root.size
                )
            picks = root.cols[pick_key]
            if batch.positions is not None:
                picks = [picks[p] for p in batch.positions]
            c = table.columns.index(src.column)
            rows = table.rows
            return [rows[r][c] for r in picks]
        if isinstance(src, m.Geo):
            return self._geo(src, f, batch)
        if isinstance(src, m.Generator):
            return generators.run(src, f, batch, self)
        if isinstance(src, m.Expr):
            return _expr(src, batch)
        if isinstance(src, m.Cases):
            return self._cases(src, f, batch)
        if isinstance(src, m.Rollup):
            return [None] * n
        raise AssertionError(src)

    def _faker(self, src: m.FakerPool, f: m.FieldDef, batch: Batch) -> list[Any]:
        n = batch.size
        rng = self.rng(batch.obj.name, f.name)
        if src.unique:
            expected = max(int(self.plan_object(batch.obj.name).expected) + 1, 1)
            size = src.pool or min(max(expected, 50), 20_000)
            pool = self.pools.faker_pool(
                src.method, size, f"{batch.obj.name}.{f.name}", unique=True
            )
            order_key = f"{batch.obj.name}.{f.name}.order"
            if order_key not in self.rngs:
                perm = list(range(len(pool)))
                rng.shuffle(perm)
                self._unique_order[order_key] = perm
                self.rngs[order_key] = rng
            perm = self._unique_order[order_key]
            out = []
            # Counted over the records that use this source (not every row of the object), so
            # business names last although patients share the Name field.
            used = self._unique_used.get(order_key, 0)
            self._unique_used[order_key] = used + n
            for row in range(used, used + n):
                cycle, pos = divmod(row, len(perm))
                value = pool[perm[pos]]
                out.append(value if not cycle else f"{value} {_ROMAN[min(cycle, len(_ROMAN) - 1)]}")
            return out
        # Pools are shared by every field with the same method; a small org needs a small pool.
        size = src.pool or self.pool_size
        pool = self.pools.faker_pool(src.method, size, src.method)
        return rng.choices(pool, k=n)

    def _geo(self, src: m.Geo, f: m.FieldDef, batch: Batch) -> list[Any]:
        known = geo.places(self.params.locale)
        if known is None:
            pool = self.pools.faker_pool(geo.FAKER_FALLBACK[src.part], self.pool_size, src.part)
            return self.rng(batch.obj.name, f.name).choices(pool, k=batch.size)
        rows, weights = known
        # One place per record, shared by its city, state and postcode (like a table row).
        pick_key = "_geo_" + src.pick
        root = batch.root
        if pick_key not in root.cols:
            root.cols[pick_key] = self.rng(batch.obj.name, pick_key).choices(
                range(len(rows)), cum_weights=_cum(weights), k=root.size
            )
        picks = root.cols[pick_key]
        if batch.positions is not None:
            picks = [picks[p] for p in batch.positions]
        if src.part == "postcode":
            r = self.rng(batch.obj.name, f.name).random
            return [geo.fill_postcode(rows[i][2], f"{int(r() * 1e6):06d}") for i in picks]
        column = {"city": 0, "state": 1, "country": 3}[src.part]
        return [rows[i][column] for i in picks]

    def plan_object(self, name: str) -> ObjectPlan:
        return next(p for p in self.plan.objects if p.obj.name == name)

    def _point(self, off: m.Offset, batch: Batch) -> list[float] | float:
        if off.ref is None:
            return off.days
        col = batch.read(off.ref)
        d = off.days
        return [None if v is None else v + d for v in col]  # type: ignore[misc]

    def _dates(self, src: m.DateRange, f: m.FieldDef, batch: Batch) -> list[Any]:
        n = batch.size
        r = self.rng(batch.obj.name, f.name).random
        start = self._point(src.start, batch)
        end = self._point(src.end, batch)
        starts = start if isinstance(start, list) else [start] * n
        ends = end if isinstance(end, list) else [end] * n
        out: list[Any] = []
        is_dt = f.type == "datetime"
        if not is_dt and not isinstance(start, list) and not isinstance(end, list):
            # The common case, a date between two fixed offsets: one draw per row, no branches.
            lo, hi = math.floor(start), math.floor(max(start, end))
            span = hi - lo + 1
            out = [lo + int(span * r()) for _ in range(n)]
            if src.clamp_max is None and src.clamp_min is None:
                return out
            starts = ends = []  # skip the general loop below
        for a, b in zip(starts, ends, strict=True):
            if a is None or b is None:
                out.append(None)
                continue
            if b < a:
                b = a
            if is_dt and b - a < 1:
                # A range shorter than a day (a case closed within hours): any minute inside it.
                out.append(round((a + (b - a) * r()) * 1440) / 1440)
            elif is_dt:
                day = math.floor(a + (b - a) * r())
                # Business hours, 8:00 to 18:00, on the minute.
                minute = 480 + int(r() * 600)
                out.append(min(max(day + minute / 1440, a), b))
            else:
                # Whole days from a's day to b's day (a date-time bound counts as its day).
                fa = math.floor(a)
                out.append(fa + int((math.floor(b) - fa + 1) * r()))
        if src.clamp_max is not None:
            cap = self._point(src.clamp_max, batch)
            caps = cap if isinstance(cap, list) else [cap] * n
            out = [
                v if v is None or c is None or v <= c else (c if is_dt else math.floor(c))
                for v, c in zip(out, caps, strict=True)
            ]
        if src.clamp_min is not None:
            floor_ = self._point(src.clamp_min, batch)
            floors = floor_ if isinstance(floor_, list) else [floor_] * n
            out = [
                v if v is None or c is None or v >= c else (c if is_dt else math.ceil(c))
                for v, c in zip(out, floors, strict=True)
            ]
        if not is_dt:
            out = [None if v is None else int(v) for v in out]
        return out

    def _pick(self, src: m.Pick, f: m.FieldDef, batch: Batch) -> list[Any]:
        rng = self.rng(batch.obj.name, f.name)
        if len(src.to) == 1:
            cands = self._candidates(src.to[0], src.where)
            if not cands:
                return [None] * batch.size
            if src.match:
                return self._matched_pick(src, cands, batch, rng)
            if src.unique:
                draw = self._unique_draw(f"{batch.obj.name}.{f.name}", rng)
                return [draw(cands) for _ in range(batch.size)]
            return rng.choices(cands, k=batch.size)
        # Polymorphic: pick an object in proportion to its records, then a record; store the Id.
        pools = [(t, self._candidates(t, src.where)) for t in src.to]
        pools = [(t, c) for t, c in pools if c]
        if not pools:
            return [None] * batch.size
        which = rng.choices(range(len(pools)), weights=[len(c) for _, c in pools], k=batch.size)
        out = []
        for w in which:
            t, c = pools[w]
            out.append(self.stores[t].id_list()[rng.choice(c)])
        return out

    def _matched_pick(
        self, src: m.Pick, cands: list[int], batch: Batch, rng: random.Random
    ) -> list[Any]:
        """A target whose ``match`` fields equal this record's; none when nothing matches."""
        target = src.to[0]
        store = self.stores[target]
        key = (src.where, src.match)
        buckets = store.candidates.get(key)
        if buckets is None:
            cols = [store.cols[tf] for tf, _ in src.match]
            buckets = {}
            for row in cands:
                buckets.setdefault(tuple(c[row] for c in cols), []).append(row)
            store.candidates[key] = buckets
        own = list(zip(*(batch.read(of) for _, of in src.match), strict=True))
        draw = (
            self._unique_draw(f"{batch.obj.name}.{src.to[0]}.{src.match}", rng)
            if src.unique
            else rng.choice
        )
        return [draw(b) if (b := buckets.get(k)) else None for k in own]

    def _unique_draw(self, key: str, rng: random.Random) -> Callable[[list[int]], int]:
        """Draws from a candidate list without repeats until it is used up, then starts over."""
        state = self._unique_state.setdefault(key, {})

        def draw(cands: list[int]) -> int:
            order = state.get(id(cands))
            if not order:
                order = state[id(cands)] = rng.sample(cands, len(cands))
            return order.pop()

        return draw

    def _cases(self, src: m.Cases, f: m.FieldDef, batch: Batch) -> list[Any]:
        n = batch.size
        out: list[Any] = [None] * n
        remaining = list(range(n))
        for cond, case_src in src.cases:
            if not remaining:
                break
            sub = batch.subset(remaining) if len(remaining) != n else batch
            if cond is None:
                hit_rows = remaining
                chosen = sub
            else:
                mask = _mask(cond, sub, self.offset_value)
                hit_rows = [row for row, ok in zip(remaining, mask, strict=True) if ok]
                if not hit_rows:
                    continue
                chosen = batch.subset(hit_rows)
            values = (
                self.evaluate(case_src, f, chosen)
                if case_src is not None
                else [None] * len(hit_rows)
            )
            for row, v in zip(hit_rows, values, strict=True):
                out[row] = v
            hit = set(hit_rows)
            remaining = [r for r in remaining if r not in hit]
        return out

    # --- writing ----------------------------------------------------------------------------

    def _rows(self, op: ObjectPlan, batch: Batch, columns: list[str]) -> list[tuple[Any, ...]]:
        cols = []
        for name in columns:
            f = op.obj.field(name)
            col = batch.cols[name]
            if f.type == "lookup" and name == "RecordTypeId":
                rt_ids = self.record_type_ids
                col = [rt_ids.get((op.obj.name, v)) for v in col]
            elif f.type == "lookup" and (len(f.reference_to) == 1 or name in batch.targets):
                target = batch.targets.get(name) or f.reference_to[0]
                if target in self.stores:
                    ids = self.stores[target].id_list() if target != op.obj.name else None
                    if ids is not None:
                        col = [None if v is None else ids[v] for v in col]
            elif f.type == "date":
                texts = {v: self.day_text(v) for v in set(col) if v is not None}
                texts[None] = None
                col = [texts[v] for v in col]
            elif f.type == "datetime":
                col = [None if v is None else self.datetime_text(v) for v in col]
            elif f.type == "boolean":
                col = [None if v is None else int(bool(v)) for v in col]
            cols.append(col)
        return list(zip(*cols, strict=True)) if cols else []

    def datetime_text(self, v: float) -> str:
        day = math.floor(v)
        minutes = round((v - day) * 1440)
        if minutes >= 1440:
            day, minutes = day + 1, 0
        return f"{self.day_text(day)} {minutes // 60:02d}:{minutes % 60:02d}:00"

    def _keep(self, op: ObjectPlan, store: Store, batch: Batch) -> None:
        if op.keep_ids:
            store.made_ids.extend(batch.cols["Id"])
            if len(store.made_ids) == store.n:  # the object is complete: its Ids are reusable
                store.ids = store.made_ids
        for name in op.keep:
            if name in batch.cols:
                store.cols.setdefault(name, []).extend(batch.cols[name])


_ROMAN = ["", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def _cum(weights: tuple[float, ...]) -> list[float]:
    return list(accumulate(weights))


_QUANTILES = 4096


@functools.cache
def _unit_quantiles() -> tuple[float, ...]:
    unit = NormalDist()
    return tuple(unit.inv_cdf((i + 0.5) / _QUANTILES) for i in range(_QUANTILES))


@functools.cache
def _quantile_table(src: m.NumberRange) -> tuple[float, ...]:
    """Evenly spaced quantiles of the field's distribution, clipped to its bounds.

    Drawing one of 4,096 quantiles with ``random.choices`` reproduces a normal or log-normal
    distribution closely and costs one C-level call per batch instead of a Python call per row.
    """
    lo, hi = src.low, src.high
    qs = _unit_quantiles()
    if src.dist == "normal":
        mu = src.median if src.median is not None else (lo + hi) / 2
        sd = (hi - lo) / 6 or 1.0
        values = [mu + sd * q for q in qs]
    else:
        med = src.median if src.median is not None else math.sqrt(lo * hi)
        sigma = max(math.log(hi / med), math.log(med / lo)) / 2.5 or 0.1
        values = [med * math.exp(sigma * q) for q in qs]
    return tuple(min(max(v, lo), hi) for v in values)


def _numbers(src: m.NumberRange, n: int, rng: random.Random, ftype: str) -> list[Any]:
    lo, hi = src.low, src.high
    if src.dist == "uniform":
        r = rng.random
        values = [lo + (hi - lo) * r() for _ in range(n)]
    else:
        values = rng.choices(_quantile_table(src), k=n)
    if src.round_to:
        step = src.round_to
        values = [max(lo, min(hi, round(v / step) * step)) for v in values]
    if src.decimals <= 0 and ftype != "currency":
        return [round(v) for v in values]
    return [round(v, src.decimals) for v in values]


def _expr(src: m.Expr, batch: Batch) -> list[Any]:
    def ev(node: Any) -> list[Any] | float:
        kind = node[0]
        if kind == "num":
            return node[1]
        if kind == "ref":
            return batch.read(node[1])
        a, b = ev(node[1]), ev(node[2])
        aa = a if isinstance(a, list) else [a] * batch.size
        bb = b if isinstance(b, list) else [b] * batch.size
        if kind == "+":
            return [None if x is None or y is None else x + y for x, y in zip(aa, bb, strict=True)]
        if kind == "-":
            return [None if x is None or y is None else x - y for x, y in zip(aa, bb, strict=True)]
        if kind == "*":
            return [None if x is None or y is None else x * y for x, y in zip(aa, bb, strict=True)]
        return [None if x is None or not y else x / y for x, y in zip(aa, bb, strict=True)]

    res = ev(src.tree)
    col = res if isinstance(res, list) else [res] * batch.size
    d = src.decimals
    return [None if v is None else (round(v, d) if d > 0 else round(v)) for v in col]
