"""Seeded pools of realistic values drawn from Faker once per build.

Calling Faker for every field of every row is what makes data generators slow. A pool calls the
Faker method a bounded number of times (so values keep Faker's own frequency weighting: common
surnames stay common) and rows then draw from the pool with one seeded random source.

Names also get an ASCII form, so an email can be derived from a contact's own name in any locale:
Japanese names come with their romanisation from Faker's name pairs, Chinese names are romanised
with pypinyin, and accented Latin names are folded (Müller → mueller, Hélène → helene).
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import lru_cache
from itertools import accumulate
from typing import Any

from faker import Faker
from faker.config import AVAILABLE_LOCALES

from demoorg.errors import UsageError

#: Default pool size: large enough that values repeat at natural rates, small enough to build fast.
DEFAULT_POOL = 400

_GERMAN = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "æ": "ae",
        "ø": "o",
        "å": "aa",
        "ł": "l",
        "đ": "d",
    }
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?)\s*\d+$")


def check_locale(locale: str) -> str:
    """Returns the locale if Faker knows it; raises UsageError naming close ones otherwise."""
    if locale in AVAILABLE_LOCALES:
        return locale
    close = sorted(loc for loc in AVAILABLE_LOCALES if loc.split("_")[0] == locale.split("_")[0])
    hint = (
        f" (expected a Faker locale such as {', '.join(close[:6]) or 'en_US, de_DE, ja_JP, zh_CN'})"
    )
    raise UsageError(f"unknown locale {locale!r}{hint}")


class Pools:
    """All pools of one build, keyed by locale, method and purpose; seeded from the build seed."""

    def __init__(self, locale: str, seed: int) -> None:
        self.locale = check_locale(locale)
        self.seed = seed
        self._faker = Faker(locale)
        self._pools: dict[tuple[str, str, int], list[Any]] = {}
        self.roman: dict[str, str] = {}
        self._lang = locale.split("_")[0]

    def faker_pool(
        self, method: str, size: int | None, key: str, unique: bool = False
    ) -> list[Any]:
        """Returns a seeded pool of ``size`` values of Faker ``method``.

        Raises:
            UsageError: Faker has no such method in this locale (the loader already checked that
                the method exists at all, with its line).
        """
        size = size or DEFAULT_POOL
        cache_key = (method, key, size)
        if cache_key in self._pools:
            return self._pools[cache_key]
        fake = self._faker
        fake.seed_instance(f"{self.seed}:{key}:{method}")
        weighted = self._weighted_names(method)
        if weighted is not None and not unique:
            names, cum = weighted
            rng = child_rng(self.seed, "pool", key, method)
            values = rng.choices(names, cum_weights=cum, k=size)
            self._pools[cache_key] = values
            return values
        pair_method = _PAIR_METHODS.get(method) if self._lang == "ja" else None
        if pair_method and hasattr(fake, pair_method):
            produce = getattr(fake, pair_method)
            values = []
            for _ in range(size):
                kanji, _kana, roman = produce()
                self.roman[kanji] = _romanise(roman, "en")
                values.append(kanji)
        else:
            try:
                produce = getattr(fake, method)
            except AttributeError:
                raise UsageError(
                    f"Faker has no method {method!r} in locale {self.locale}"
                ) from None
            if not callable(produce):
                raise UsageError(f"Faker {method!r} is not a method (expected e.g. company, city)")
            if unique:
                seen: dict[Any, None] = {}
                tries = 0
                while len(seen) < size and tries < size * 4:
                    seen[produce()] = None
                    tries += 1
                values = list(seen)
            else:
                values = [produce() for _ in range(size)]
        values = [v.replace("\n", ", ") if isinstance(v, str) else v for v in values]
        if method == "phone_number":
            # Desk extensions ("x072") read as noise in a demo; real CRM data rarely has them.
            values = [_EXTENSION.sub("", v) for v in values]
        self._pools[cache_key] = values
        return values

    def _weighted_names(self, method: str) -> tuple[list[str], list[float]] | None:
        """Faker's own name lists with their frequency weights, drawn from directly.

        Drawing from the weighted list is exactly what ``first_name()`` does, without a call per
        value. Locales whose names come in pairs (Japanese kanji with romaji) use the calls.
        """
        attrs = _NAME_LISTS.get(method)
        if attrs is None or self._lang == "ja":
            return None
        provider = None
        for p in self._faker.providers:
            if all(hasattr(p, a) for a in attrs):
                provider = p
                break
        if provider is None:
            return None
        merged: dict[str, float] = {}
        for a in attrs:
            data = getattr(provider, a)
            items = data.items() if isinstance(data, dict) else ((v, 1.0) for v in data)
            for name, w in items:
                merged[name] = merged.get(name, 0.0) + float(w)
        if not merged:
            return None
        names = list(merged)
        return names, list(accumulate(merged[n] for n in names))

    def ascii_name(self, text: str | None) -> str:
        """An ASCII, lower-case, dot-free form of a name for emails and usernames."""
        if not text:
            return ""
        cached = self.roman.get(text)
        if cached is None:
            cached = _romanise(text, self._lang)
            self.roman[text] = cached
        return cached


_NAME_LISTS = {
    "first_name": ("first_names",),
    "last_name": ("last_names",),
    "first_name_male": ("first_names_male",),
    "first_name_female": ("first_names_female",),
}

_PAIR_METHODS = {
    "first_name": "first_name_pair",
    "last_name": "last_name_pair",
    "first_name_male": "first_name_male_pair",
    "first_name_female": "first_name_female_pair",
}


@lru_cache(maxsize=65536)
def _romanise(text: str, lang: str) -> str:
    if lang == "zh" or any("\u4e00" <= ch <= "\u9fff" for ch in text):
        from pypinyin import lazy_pinyin

        text = "".join(lazy_pinyin(text))
    folded = unicodedata.normalize("NFKD", text.translate(_GERMAN))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_WORD.sub("", ascii_text)


def child_rng(seed: int, *parts: str) -> random.Random:
    """A random source for one purpose, independent of every other purpose's draws.

    Seeding from text uses SHA-512 inside :mod:`random`, so it is the same on every machine and
    unaffected by ``PYTHONHASHSEED``; adding a field to a template does not change other fields.
    """
    return random.Random(":".join((str(seed), *parts)))
