"""Real places per locale: a city, its state or region, a postcode pattern and the country.

Faker invents towns in some locales ("Pearsonborough") and draws city, state and postcode
independently in all of them; a customer notices both. ``geo/<locale>.csv`` lists real places
weighted by population, and every ``geo`` field of a record reads the same place. Locales
without a file fall back to Faker's own values.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

GEO_DIR = Path(__file__).with_name("geo")

#: Faker methods used for locales that have no place list.
FAKER_FALLBACK = {
    "city": "city",
    "state": "administrative_unit",
    "postcode": "postcode",
    "country": "current_country",
}


@cache
def places(locale: str) -> tuple[tuple[tuple[str, str, str, str], ...], tuple[float, ...]] | None:
    """(rows of (city, state, postcode pattern, country), weights) for a locale, or None."""
    path = GEO_DIR / f"{locale}.csv"
    if not path.is_file():
        return None
    rows, weights = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(line for line in fh if not line.startswith("#")):
            rows.append((rec["city"], rec["state"], rec["postcode"], rec["country"]))
            weights.append(float(rec["weight"]))
    return tuple(rows), tuple(weights)


def fill_postcode(pattern: str, digits: str) -> str:
    """Replaces each ``#`` of a postcode pattern with the next digit of ``digits``."""
    out, i = [], 0
    for ch in pattern:
        if ch == "#":
            out.append(digits[i % len(digits)])
            i += 1
        else:
            out.append(ch)
    return "".join(out)
