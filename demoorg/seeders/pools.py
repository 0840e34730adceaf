"""Seeded pools of realistic values drawn from Faker once per build.

Calling Faker for every field of every row is what makes data generators slow. A pool calls the
Faker method a bounded number of times (so values keep Faker's own frequency weighting: common
surnames stay common) and rows then draw from the pool with one seeded random source.

Names also get an ASCII form, so an email can be derived from a contact's own name in any locale:
Japanese names come with their romanisation from Faker's name pairs, Chinese names are romanised
with pypinyin, and accented Latin names are folded (Müller → mueller, Hélène → helene).
"""

from __future__ import annotations

import importlib
import json
import os
import random
import re
import unicodedata
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import faker
from faker import Faker
from faker.config import AVAILABLE_LOCALES

from demoorg.errors import UsageError
from demoorg.seeders.phones import phone_is_valid

#: Default pool size: large enough that values repeat at natural rates, small enough to build fast.
DEFAULT_POOL = 400

#: Letters spelled out in ASCII the way their languages do (Müller → Mueller), for emails.
ASCII_SPELLING = str.maketrans(
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


#: Raise when the way master lists are made changes (cached lists are then made anew).
MASTER_FORMAT = 4

#: Values per cached master list; a build samples its pools from it.
MASTER_SIZE = 2000


def _cache_dir() -> Path:
    from demoorg.content.paths import user_home

    # Named by Faker's version and by how demoorg makes master lists: a change to either makes
    # new lists rather than reusing ones made the old way.
    return user_home() / "cache" / f"faker-{faker.VERSION}" / f"masters-{MASTER_FORMAT}"


# Master lists already read in this process, by (locale, method).
_MASTERS: dict[tuple[str, str], list[Any]] = {}


class Pools:
    """All pools of one build, keyed by locale, method and purpose; seeded from the build seed.

    Faker is slow to call, so each (locale, method) has a *master list*: values Faker produces
    from a fixed seed, the same on every machine with the pinned Faker version. It is made once
    and cached on disk (``$DEMOORG_HOME/cache``); a build then samples its pools from the master
    list with its own seed. The cache changes how fast a build is, never what it contains.
    """

    def __init__(self, locale: str, seed: int) -> None:
        self.locale = check_locale(locale)
        self.seed = seed
        self._faker_instance: Faker | None = None
        self._pools: dict[tuple[str, str, int], list[Any]] = {}
        self.roman: dict[str, str] = {}
        self._lang = locale.split("_")[0]

    @property
    def _faker(self) -> Faker:
        if self._faker_instance is None:
            self._faker_instance = Faker(self.locale)
        return self._faker_instance

    def faker_pool(
        self, method: str, size: int | None, key: str, unique: bool = False
    ) -> list[Any]:
        """Returns a seeded pool of ``size`` values of Faker ``method``.

        With ``unique`` the pool holds ``size`` distinct values where Faker can make that many.

        Raises:
            UsageError: Faker has no such method in this locale (the loader already checked that
                the method exists at all, with its line).
        """
        size = size or DEFAULT_POOL
        cache_key = (method, key, size)
        if cache_key in self._pools:
            return self._pools[cache_key]
        rng = child_rng(self.seed, "pool", key, method)
        weighted = self._weighted_names(method) if not unique else None
        if weighted is not None:
            names, cum = weighted
            values = rng.choices(names, cum_weights=cum, k=size)
        else:
            master = self._master(method, max(MASTER_SIZE, size) if unique else MASTER_SIZE, unique)
            if unique:
                values = rng.sample(master, min(size, len(master)))
            else:
                values = rng.choices(master, k=size)
        self._pools[cache_key] = values
        return values

    def _master(self, method: str, length: int, unique: bool) -> list[Any]:
        """The first ``length`` values of the master list (distinct ones with ``unique``)."""
        name = f"{method}~unique" if unique else method
        key = (self.locale, name)
        master = _MASTERS.get(key)
        if master is None or len(master) < length:
            master = self._read_master(name)
            if master is None or len(master) < length:
                master = self._make_master(method, length, unique)
                self._write_master(name, master)
            _MASTERS[key] = master
        if self._lang == "ja" and method in _PAIR_METHODS:
            values = []
            for kanji, roman in master[:length]:
                self.roman[kanji] = roman
                values.append(kanji)
            return values
        return master[:length]

    def _make_master(self, method: str, length: int, unique: bool) -> list[Any]:
        fake = self._faker
        # A fixed seed: the master list is the same for every build and every machine.
        fake.seed_instance(f"master:{self.locale}:{method}")
        pair_method = _PAIR_METHODS.get(method) if self._lang == "ja" else None
        if pair_method and hasattr(fake, pair_method):
            produce = getattr(fake, pair_method)
            pairs = []
            for _ in range(length):
                kanji, _kana, roman = produce()
                pairs.append([kanji, _romanise(roman, "en")])
            return pairs
        try:
            produce = getattr(fake, method)
        except AttributeError:
            raise UsageError(f"Faker has no method {method!r} in locale {self.locale}") from None
        if not callable(produce):
            raise UsageError(f"Faker {method!r} is not a method (expected e.g. company, city)")
        if method == "street_address" and self._lang in ("ja", "zh"):
            # Faker's ja_JP and zh_CN street lines read "152 渡辺 Street" and "兰州路V座";
            # compose them the way addresses are written there.
            if self._lang == "ja":
                return [
                    f"{fake.town()}{fake.chome()}{fake.ban()}{fake.gou()}" for _ in range(length)
                ]
            return [f"{fake.street_name()}{fake.random_int(1, 999)}号" for _ in range(length)]
        if method == "phone_number":
            # Some of Faker's formats break the locale's numbering plan (a Japanese number with
            # no trunk 0); keep only numbers that are dialable where the org is set.
            valid: list[Any] = []
            for _ in range(length * 20):
                value = _clean(method, produce())
                if phone_is_valid(value, self.locale):
                    valid.append(value)
                    if len(valid) == length:
                        break
            return valid or [_clean(method, produce()) for _ in range(length)]
        if unique:
            # Stop when Faker has run out of new values: a streak of repeats, a bound that does
            # not depend on the length asked for, so a longer list always starts with a shorter one.
            seen: dict[Any, None] = {}
            streak = 0
            while len(seen) < length and streak < 2000:
                value = _clean(method, produce())
                if value in seen:
                    streak += 1
                else:
                    seen[value] = None
                    streak = 0
            return list(seen)
        return [_clean(method, produce()) for _ in range(length)]

    def _cache_file(self, name: str) -> Path:
        return _cache_dir() / self.locale / f"{name}.json"

    def _read_master(self, name: str) -> list[Any] | None:
        try:
            values = json.loads(self._cache_file(name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return values if isinstance(values, list) else None

    def _write_master(self, name: str, values: list[Any]) -> None:
        """Stores a master list (atomically; a failed write only costs speed next time)."""
        path = self._cache_file(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            tmp.write_text(json.dumps(values, ensure_ascii=False), "utf-8")
            os.replace(tmp, path)
        except OSError:
            pass

    def _weighted_names(self, method: str) -> tuple[list[str], list[float]] | None:
        """Faker's own name lists with their frequency weights, drawn from directly.

        Drawing from the weighted list is exactly what ``first_name()`` does, without a call per
        value. Locales whose names come in pairs (Japanese kanji with romaji) use the calls.
        """
        attrs = _NAME_LISTS.get(method)
        if attrs is None or self._lang == "ja":
            return None
        return _name_weights(self.locale, attrs)

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
    folded = unicodedata.normalize("NFKD", text.translate(ASCII_SPELLING))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_WORD.sub("", ascii_text)


@lru_cache(maxsize=64)
def _name_weights(locale: str, attrs: tuple[str, ...]) -> tuple[list[str], list[float]] | None:
    # The person provider's module holds the lists; importing it is far cheaper than Faker().
    try:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    except (ImportError, AttributeError):
        return None
    if not all(hasattr(provider, a) for a in attrs):
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


def _clean(method: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = value.replace("\n", ", ")
    if method == "phone_number":
        # Desk extensions ("x072") read as noise in a demo; real CRM data rarely has them.
        value = _EXTENSION.sub("", value)
        # Faker writes some NANP numbers with the dialling prefix of a call from abroad
        # ("001-202-…"); a CRM stores them as +1.
        if value.startswith("001-"):
            value = "+1-" + value[4:]
    return value


def child_rng(seed: int, *parts: str) -> random.Random:
    """A random source for one purpose, independent of every other purpose's draws.

    Seeding from text uses SHA-512 inside :mod:`random`, so it is the same on every machine and
    unaffected by ``PYTHONHASHSEED``; adding a field to a template does not change other fields.
    """
    return random.Random(":".join((str(seed), *parts)))
