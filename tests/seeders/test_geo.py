"""The real-place lists in ``demoorg/seeders/geo/``: each loads, is big enough and well formed.

Every ``<locale>.csv`` must be a Faker locale, list at least 60 distinct places with positive
weights, name its country the way that locale writes it, and hold postcode patterns that become
real-format postcodes for the country once ``fill_postcode`` replaces their ``#``.
"""

from __future__ import annotations

import re

import pytest
from faker.config import AVAILABLE_LOCALES

from demoorg.seeders.geo import GEO_DIR, fill_postcode, places

#: Postcode shape and country name per locale that has a place list.
EXPECTED = {
    "en_US": (r"\d{5}", "United States"),
    "en_GB": (r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", "United Kingdom"),
    "de_DE": (r"\d{5}", "Deutschland"),
    "fr_FR": (r"\d{5}", "France"),
    "ja_JP": (r"\d{3}-\d{4}", "日本"),
    "zh_CN": (r"\d{6}", "中国"),
    "en_CA": (r"[A-Z]\d[A-Z] \d[A-Z]\d", "Canada"),
    "en_AU": (r"\d{4}", "Australia"),
    "es_ES": (r"\d{5}", "España"),
    "it_IT": (r"\d{5}", "Italia"),
    "nl_NL": (r"\d{4} [A-Z]{2}", "Nederland"),
}

LOCALES = sorted(p.stem for p in GEO_DIR.glob("*.csv"))

#: Digit strings for ``fill_postcode``: the values generation draws are six digits like these.
DIGITS = ("123456", "000000", "999999", "507193")


def test_the_place_lists_are_there() -> None:
    assert {"en_US", "en_GB", "de_DE", "fr_FR", "ja_JP", "zh_CN"} <= set(LOCALES)


def test_a_locale_without_a_list_falls_back() -> None:
    assert places("xx_XX") is None


@pytest.mark.parametrize("locale", LOCALES)
def test_the_locale_is_known(locale: str) -> None:
    assert locale in AVAILABLE_LOCALES
    assert locale in EXPECTED, f"add the postcode shape and country of {locale} to EXPECTED"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_list_loads_and_is_well_formed(locale: str) -> None:
    loaded = places(locale)
    assert loaded is not None
    rows, weights = loaded
    assert len(rows) >= 60
    assert len(weights) == len(rows)
    assert all(w > 0 for w in weights)
    for row in rows:
        assert all(field and field == field.strip() for field in row), row
    pairs = [(city, state) for city, state, _, _ in rows]
    duplicates = sorted({p for p in pairs if pairs.count(p) > 1})
    assert not duplicates


@pytest.mark.parametrize("locale", LOCALES)
def test_the_country_is_written_as_the_locale_writes_it(locale: str) -> None:
    rows, _ = places(locale)
    assert {country for *_, country in rows} == {EXPECTED[locale][1]}


@pytest.mark.parametrize("locale", LOCALES)
def test_postcode_patterns_give_real_format_postcodes(locale: str) -> None:
    shape = re.compile(EXPECTED[locale][0])
    rows, _ = places(locale)
    bad = [
        (city, pattern, fill_postcode(pattern, digits))
        for city, _, pattern, _ in rows
        for digits in DIGITS
        if not shape.fullmatch(fill_postcode(pattern, digits))
    ]
    assert not bad
