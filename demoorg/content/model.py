"""Frozen, typed models of a template: what the loader produces and everything else reads.

A template describes objects (Salesforce API names), their fields and how each field's values are
made (a *source*), how many records each object has, hero records, features, apps, list columns,
page layouts and dashboards. ``docs/template-format.md`` documents the YAML that maps onto these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIELD_TYPES = (
    "id",
    "text",
    "textarea",
    "number",
    "currency",
    "percent",
    "date",
    "datetime",
    "picklist",
    "lookup",
    "boolean",
    "email",
    "phone",
    "url",
)
NUMERIC_TYPES = ("number", "currency", "percent")
DATE_TYPES = ("date", "datetime")
TEXT_TYPES = ("id", "text", "textarea", "picklist", "email", "phone", "url")

SIZES = {"small": 2_000, "standard": 20_000, "enterprise": 200_000}


@dataclass(frozen=True, slots=True)
class Where:
    """A condition on a record: every clause must hold.

    Each clause is ``(field, op, value)`` with op one of ``eq ne in not_in gt gte lt lte blank``.
    Field may be a path through a lookup (``AccountId.Type``).
    """

    clauses: tuple[tuple[str, str, Any], ...] = ()

    def fields(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.clauses)


@dataclass(frozen=True, slots=True)
class Offset:
    """A point in time: ``days`` after the as-of date, or after a field's own value.

    ``ref`` is a field path (``CreatedDate``, ``AccountId.CreatedDate``) or None for the as-of
    date. ``days`` may be fractional (hours are 1/24 of a day).
    """

    ref: str | None
    days: float


# --- value sources -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Weighted:
    """Pick among values by weight."""

    values: tuple[Any, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class FakerPool:
    """Values from a Faker method in the org's locale, drawn once into a seeded pool."""

    method: str
    pool: int | None = None
    unique: bool = False


@dataclass(frozen=True, slots=True)
class NumberRange:
    """A number between two bounds, uniform, normal or log-normal around a median."""

    low: float
    high: float
    dist: str = "uniform"
    median: float | None = None
    decimals: int = 0
    round_to: float | None = None


@dataclass(frozen=True, slots=True)
class DateRange:
    """A date or date-time between two points in time."""

    start: Offset
    end: Offset
    clamp_max: Offset | None = None
    clamp_min: Offset | None = None
    business_hours: bool = True


@dataclass(frozen=True, slots=True)
class Template:
    """Text with ``{Field}`` / ``{AccountId.Name}`` / ``{prospect}`` placeholders."""

    text: str
    refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mapping:
    """A value looked up from another field's value (Probability from StageName)."""

    source: str
    table: tuple[tuple[Any, Any], ...]
    default: Any = None


@dataclass(frozen=True, slots=True)
class Sequence:
    """An auto-number such as ``CS-{n:06}``."""

    fmt: str
    start: int = 1


@dataclass(frozen=True, slots=True)
class Const:
    value: Any


@dataclass(frozen=True, slots=True)
class Copy:
    """The value of another field, possibly through a lookup (``AccountId.OwnerId``)."""

    path: str


@dataclass(frozen=True, slots=True)
class Pick:
    """A random record of ``to`` (matching ``where``) for a lookup field.

    ``match`` pairs fields of the target with fields of the record being made: the pick is
    among targets whose values equal the record's own (the vehicle definition of its model code).
    ``unique`` uses each target once before any is used again (one lead per converted contact).
    """

    to: tuple[str, ...]
    where: Where = field(default_factory=Where)
    deferred: bool = False
    match: tuple[tuple[str, str], ...] = ()
    unique: bool = False  # each target at most once while there are unused ones


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column of a weighted row picked from a template table; fields sharing ``pick`` share the row."""

    table: str
    column: str
    pick: str


@dataclass(frozen=True, slots=True)
class Geo:
    """A part of a real place in the org's locale: city, state, postcode or country.

    Fields of one record that read ``geo`` share one place (weighted by population), so a city
    sits in its own state with a matching postcode. ``pick`` names the place when a record has
    two addresses (billing and shipping).
    """

    part: str
    pick: str = "geo"


@dataclass(frozen=True, slots=True)
class Generator:
    """A named generator written in Python (email, vin, luhn...), given field paths as inputs."""

    name: str
    args: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Expr:
    """Arithmetic over fields: ``Amount * Probability / 100``. Parsed, never evaluated as code."""

    text: str
    tree: Any  # nested tuples: ("num", x) | ("ref", path) | (op, left, right)
    refs: tuple[str, ...]
    decimals: int = 2


@dataclass(frozen=True, slots=True)
class Rollup:
    """An aggregate over child records, computed once all records exist."""

    child: str
    via: str
    op: str  # count | sum | min | max
    of: str | None
    where: Where = field(default_factory=Where)
    #: No matching child leaves the field blank rather than 0 (a count that does not apply to
    #: this kind of parent: a carrier's "shipments shipped").
    blank_when_none: bool = False


@dataclass(frozen=True, slots=True)
class Cases:
    """The first case whose condition holds gives the value; the last case may have no condition."""

    cases: tuple[tuple[Where | None, Any], ...]


Source = (
    Weighted
    | FakerPool
    | NumberRange
    | DateRange
    | Template
    | Mapping
    | Sequence
    | Const
    | Copy
    | Pick
    | TableColumn
    | Geo
    | Generator
    | Expr
    | Rollup
    | Cases
)


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    label: str
    type: str
    source: Any | None
    picklist: tuple[str, ...] = ()
    reference_to: tuple[str, ...] = ()
    null_rate: float = 0.0
    store: bool = True
    required: bool = False
    decimals: int | None = None
    help: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class PerParent:
    """How many children each parent gets: Poisson around a mean, uniform, or weighted."""

    mean: float | None = None
    low: int = 0
    high: int | None = None
    weights: tuple[tuple[int, float], ...] = ()

    def expected(self) -> float:
        if self.weights:
            total = sum(w for _, w in self.weights)
            return sum(n * w for n, w in self.weights) / total
        if self.mean is not None:
            return self.mean
        return (self.low + (self.high if self.high is not None else self.low)) / 2


@dataclass(frozen=True, slots=True)
class ParentSpec:
    field: str
    object: str
    where: Where
    per_parent: PerParent


@dataclass(frozen=True, slots=True)
class CountSpec:
    """Relative number of records of a root object.

    Root counts are proportions: the build scales them (``linear`` with the size, ``sqrt`` more
    slowly, ``fixed`` not at all) so that all records together reach the requested size.
    """

    value: int
    scaling: str = "linear"


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    fields: tuple[str, ...]
    columns: int = 2


@dataclass(frozen=True, slots=True)
class Layout:
    highlights: tuple[str, ...]
    sections: tuple[Section, ...]
    related: tuple[tuple[str, str, tuple[str, ...]], ...]  # (child object, via field, columns)
    path: str | None = None  # a stage-like picklist shown as a path


@dataclass(frozen=True, slots=True)
class ObjectDef:
    name: str
    label: str
    plural: str
    key_prefix: str
    name_field: str
    fields: tuple[FieldDef, ...]
    record_types: tuple[tuple[str, str, float], ...] = ()  # (developer name, label, weight)
    count: CountSpec | None = None
    parents: tuple[ParentSpec, ...] = ()
    list_columns: tuple[str, ...] = ()
    layout: Layout | None = None
    icon: str | None = None
    description: str = ""
    line: int | None = None

    def field(self, name: str) -> FieldDef:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)


@dataclass(frozen=True, slots=True)
class Hero:
    key: str
    object: str
    record_type: str | None
    parent: str | None  # hero key of the parent record
    values: tuple[tuple[str, Any], ...]  # field -> value (text may use {prospect})
    links: tuple[tuple[str, str], ...]  # lookup field -> hero key
    label: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Feature:
    key: str
    label: str
    description: str
    pilot: str | None
    beta: str | None
    ga: str | None
    objects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class App:
    key: str
    label: str
    tabs: tuple[str, ...]  # object names or "dashboard:<key>"
    description: str = ""


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    label: str
    kind: str  # metric | bar | pie | donut | line | funnel
    object: str
    aggregate: str  # count | sum | avg | min | max
    field: str | None
    group_by: str | None
    where: Where
    format: str = "number"  # number | currency | percent
    bucket: str | None = None  # month | quarter, for line charts over a date field


@dataclass(frozen=True, slots=True)
class Dashboard:
    key: str
    label: str
    tiles: tuple[Tile, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class TemplateDef:
    """A fully merged and validated industry template."""

    industry: str
    label: str
    description: str
    objects: tuple[ObjectDef, ...]
    heroes: tuple[Hero, ...]
    features: tuple[Feature, ...]
    apps: tuple[App, ...]
    dashboards: tuple[Dashboard, ...]
    tables: tuple[Table, ...]
    brand_color: str = "#0176D3"
    icon: str | None = None
    path: str = ""

    def object(self, name: str) -> ObjectDef:
        for o in self.objects:
            if o.name == name:
                return o
        raise KeyError(name)

    def has_object(self, name: str) -> bool:
        return any(o.name == name for o in self.objects)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)
