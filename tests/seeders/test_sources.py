"""Value sources that tie records together: match, ParentSpec, AsOfYear and hero children."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demoorg.content.template import load_template

SHOP = """\
schema_version: 1
industry: shop
label: Shop
tables:
  models:
    columns: [code, name]
    rows:
      - [A1, Alpha]
      - [B2, Beta]
      - [C3, Gamma]
objects:
  Model:
    count: {value: 3, scaling: fixed}
    fields:
      Code: {type: text, table: models, column: code, pick: each}
      Name: {type: text, table: models, column: name, pick: each}
  Owner:
    count: 40
    fields:
      Name: {type: text, faker: last_name}
      Premium: {type: boolean, values: {true: 30, false: 70}}
  Unit:
    parent:
      - {field: OwnerId, object: Owner, where: {Premium: true}, per_parent: 1}
      - {field: OwnerId, object: Owner, per_parent: {weights: {0: 50, 1: 50}}}
    fields:
      OwnerId: {type: lookup, reference_to: [Owner]}
      Code:
        type: text
        cases:
          - {when: {ParentSpec: 1}, const: A1}
          - {values: [B2, C3]}
      ModelId: {type: lookup, to: Model, match: {Code: Code}}
      Name: {type: text, copy: ModelId.Name}
      Built: {type: date, between: [-3y, -1d]}
      ModelYear: {type: number, expr: AsOfYear + Built / 365.25, decimals: 0}
heroes:
  vip:
    object: Owner
    fields: {Name: Vip, Premium: true}
  vip_unit:
    object: Unit
    parent: vip
    fields: {Built: -10d}
"""


def _build(
    write_template: Callable[..., Path], build: Callable[..., Any], tmp_path: Path, **params: Any
) -> Path:
    tpl = load_template(write_template(SHOP, name="shop"))
    out = tmp_path / "shop.demoorg"
    build(out, tpl=tpl, size=200, force=True, **params)
    return out


def test_match_picks_the_target_with_the_same_value(write_template, build, query, tmp_path):
    org = _build(write_template, build, tmp_path)
    rows = query(
        org, "SELECT u.Code, m.Code, u.Name, m.Name FROM Unit u JOIN Model m ON m.Id = u.ModelId"
    )
    assert rows, "units were made"
    assert all(uc == mc and un == mn for uc, mc, un, mn in rows)
    (unmatched,) = query(org, "SELECT COUNT(*) FROM Unit WHERE ModelId IS NULL")[0]
    assert unmatched == 0


def test_parent_spec_tells_which_parent_spec_made_a_record(write_template, build, query, tmp_path):
    org = _build(write_template, build, tmp_path)
    # Every premium owner has exactly one A1 unit (spec 1); spec 2 never makes A1.
    premium_without = query(
        org,
        "SELECT COUNT(*) FROM Owner o WHERE o.Premium = 1 AND "
        "(SELECT COUNT(*) FROM Unit u WHERE u.OwnerId = o.Id AND u.Code = 'A1') != 1",
    )[0][0]
    assert premium_without == 0
    a1_of_others = query(
        org,
        "SELECT COUNT(*) FROM Unit u JOIN Owner o ON o.Id = u.OwnerId "
        "WHERE u.Code = 'A1' AND o.Premium = 0",
    )[0][0]
    assert a1_of_others == 0


def test_a_hero_child_replaces_one_generated_child(write_template, build, query, tmp_path):
    org = _build(write_template, build, tmp_path)
    # The hero owner is premium, so spec 1 would give it one A1 unit; the hero unit takes its place.
    (units,) = query(
        org,
        "SELECT COUNT(*) FROM Unit u JOIN Owner o ON o.Id = u.OwnerId WHERE o.Name = 'Vip' "
        "AND u.Code = 'A1'",
    )[0]
    assert units == 1


def test_as_of_year_follows_the_as_of_date(write_template, build, query, tmp_path):
    org = _build(write_template, build, tmp_path, as_of=date(2030, 7, 1))
    years = {y for (y,) in query(org, "SELECT DISTINCT ModelYear FROM Unit")}
    assert years <= {2027, 2028, 2029, 2030}
    assert 2030 in years


PAIRS = """\
schema_version: 1
industry: pairs
label: Pairs
objects:
  Seat:
    count: {value: 30, scaling: fixed}
    fields:
      Name: {type: text, sequence: "S{n:02}"}
      CreatedDate: {type: datetime, between: [-400d, -1d]}
  Ticket:
    count: {value: 30, scaling: fixed}
    fields:
      Name: {type: text, sequence: "T{n:02}"}
      SeatId: {type: lookup, to: Seat, unique: true}
      CreatedDate: {type: datetime, between: [-500d, -1d], min: SeatId.CreatedDate}
"""


def test_unique_picks_use_every_target_once(write_template, build, query, tmp_path):
    tpl = load_template(write_template(PAIRS, name="pairs"))
    org = tmp_path / "pairs.demoorg"
    build(org, tpl=tpl, size=60)
    (tickets, seats) = query(org, "SELECT COUNT(*), COUNT(DISTINCT SeatId) FROM Ticket")[0]
    assert tickets == seats == 30


def test_min_keeps_a_date_after_another(write_template, build, query, tmp_path):
    tpl = load_template(write_template(PAIRS, name="pairs"))
    org = tmp_path / "pairs.demoorg"
    build(org, tpl=tpl, size=60)
    early = query(
        org,
        "SELECT COUNT(*) FROM Ticket t JOIN Seat s ON s.Id = t.SeatId "
        "WHERE t.CreatedDate < s.CreatedDate",
    )[0][0]
    assert early == 0


HUB = """\
industry: hub
label: Hub
objects:
  Site:
    count: 40
    fields:
      Name: {type: text, sequence: "Site {n}"}
      Kind: {values: {Shipper: 1, Carrier: 1}}
      Shipped: {type: number, rollup: {child: Load, via: ShipperId, op: count, blank_when_none: true}}
      Weight: {type: number, rollup: {child: Load, via: ShipperId, op: sum, of: Tons, blank_when_none: true}}
      Hauled: {type: number, rollup: {child: Load, via: CarrierId, op: count}}
      Heavy: {type: number, rollup: {child: Load, via: ShipperId, op: count, where: {Tons: {gt: 15}}, blank_when_none: true}}
  Load:
    parent: {field: ShipperId, object: Site, where: {Kind: Shipper}, per_parent: {min: 0, max: 4}}
    fields:
      Name: {type: text, sequence: "L-{n:04}"}
      ShipperId: {type: lookup, reference_to: [Site]}
      CarrierId: {type: lookup, to: Site, where: {Kind: Carrier}}
      Tons: {type: number, between: [1, 20]}
"""


def test_a_rollup_blank_when_none_leaves_parents_without_children_empty(
    write_template: Callable[..., Path], build: Callable[..., Any], query: Any, tmp_path: Path
) -> None:
    """Carriers ship nothing: their "shipped" count and weight stay empty, not 0, while shippers
    get their counts, a shipper whose loads are all light has 0 heavy ones (not empty), and a
    plain count ("hauled") still gives carriers and shippers 0."""
    tpl = load_template(write_template(HUB, name="hub"))
    out = tmp_path / "hub.demoorg"
    build(out, tpl=tpl, size=200, force=True)
    rows = query(
        out,
        "SELECT s.Kind, s.Shipped, s.Weight, s.Hauled, s.Heavy, "
        "(SELECT COUNT(*) FROM Load l WHERE l.ShipperId = s.Id), "
        "(SELECT SUM(Tons) FROM Load l WHERE l.ShipperId = s.Id), "
        "(SELECT COUNT(*) FROM Load l WHERE l.CarrierId = s.Id), "
        "(SELECT COUNT(*) FROM Load l WHERE l.ShipperId = s.Id AND l.Tons > 15) FROM Site s",
    )
    assert {kind for kind, *_ in rows} == {"Shipper", "Carrier"}
    for kind, shipped, weight, hauled, heavy, n, tons, n_hauled, n_heavy in rows:
        if n == 0:
            assert (shipped, weight, heavy) == (None, None, None), kind
        else:
            assert (shipped, weight, heavy) == (n, pytest.approx(tons), n_heavy), kind
        assert hauled == n_hauled
    assert any(n and not n_heavy for *_, n, _, _, n_heavy in rows), "a shipper with 0 heavy loads"
