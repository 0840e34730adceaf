"""Named generators for values with rules of their own: emails, VINs, card numbers, NPIs.

Content calls them by name (``generator: email``) with field paths as inputs; the names and their
arguments are declared in :data:`demoorg.content.template.GENERATORS`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from demoorg.content import model as m

if TYPE_CHECKING:
    from demoorg.seeders.generate import Batch, OrgGenerator

_PATH_ARGS = ("first", "last", "domain", "name", "year", "make")
_SLUG = re.compile(r"[^a-z0-9]+")
_WORD_SPLIT = re.compile(r"[\s,.&+/'()-]+")
_COMPANY_WORDS = {
    "inc",
    "llc",
    "ltd",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "sarl",
    "sas",
    "co",
    "corp",
    "corporation",
    "group",
    "and",
    "und",
    "et",
    "the",
    "holdings",
    "cie",
    "ohg",
    "mbh",
    "kgaa",
    "e.v.",
}

# VIN: transliteration values, position weights and manufacturer codes (WMI) of real makers.
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 2010 = A … 2030 = Y, then digits from 2031
_WMI = (
    "1FT",
    "1GC",
    "3AK",
    "1FU",
    "1XK",
    "2NP",
    "4V4",
    "1HT",
    "5PV",
    "WDB",
    "YV2",
    "1FD",
    "1GD",
    "JHH",
)
#: The manufacturer codes (WMI, positions 1–3) the makers of commercial vehicles stamp in the
#: VINs of the trucks and vans they sell in North America; a make not listed gets one of _WMI.
_MAKE_WMI: dict[str, tuple[str, ...]] = {
    "freightliner": ("1FU", "3AK", "1FV"),
    "volvo": ("4V4",),
    "kenworth": ("1XK", "2XK"),
    "peterbilt": ("1XP", "2NP"),
    "international": ("1HT", "3HS"),
    "mack": ("1M1", "1M2"),
    "isuzu": ("JAL", "54D"),
    "ford": ("1FD", "1FT"),
    "mercedes-benz": ("W1Y", "WD3"),
    "ram": ("3C6",),
    "rivian": ("7FC",),
    "chevrolet": ("1GC", "1GB"),
    "gmc": ("1GD", "1GT"),
    "hino": ("5PV",),
    "western star": ("5KJ",),
}


def vin_check_digit(vin17: str) -> str:
    """The ninth character of a VIN (ISO 3779 / 49 CFR 565) for the other sixteen."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin17, _VIN_WEIGHTS, strict=True))
    r = total % 11
    return "X" if r == 10 else str(r)


def make_wmis(make: object) -> tuple[str, ...] | None:
    """The manufacturer codes a make's VINs start with, or None for a make not known here."""
    return _MAKE_WMI.get(str(make or "").strip().lower())


def vin_is_valid(vin: str) -> bool:
    return len(vin) == 17 and all(c in _VIN_CHARS for c in vin) and vin[8] == vin_check_digit(vin)


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_is_valid(number: str) -> bool:
    return number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def slug(text: str) -> str:
    return _SLUG.sub("", text.lower())


def _domain(value: Any, ascii_name: Any) -> str:
    words = [
        w for w in _WORD_SPLIT.split(str(value or "").lower()) if w and w not in _COMPANY_WORDS
    ]
    base = ascii_name("".join(words)) or "company"
    return f"{base[:24]}.example.com"


def run(src: m.Generator, f: m.FieldDef, batch: Batch, gen: OrgGenerator) -> list[Any]:
    args = dict(src.args)
    n = batch.size
    rng = gen.rng(batch.obj.name, f.name)
    cols = {k: batch.read(v) for k, v in args.items() if k in _PATH_ARGS and isinstance(v, str)}
    name = src.name
    if name in ("email", "username"):
        asc = gen.pools.ascii_name
        firsts = cols.get("first", [""] * n)
        lasts = cols.get("last", [""] * n)
        domains = cols.get("domain") or [gen.prospect_domain] * n
        out = []
        seen = gen.seen_emails if name == "email" else gen.seen_usernames
        # Names come from small pools: romanise each distinct value once, not once per row.
        first_ascii = {x: asc(x) for x in set(firsts)}
        last_ascii = {x: asc(x) for x in set(lasts)}
        default_domain = gen.prospect_domain
        for first, last, domain in zip(firsts, lasts, domains, strict=True):
            a, b = first_ascii[first], last_ascii[last]
            local = f"{a}.{b}" if a and b else (a or b or "info")
            dom = domain or default_domain
            email = f"{local}@{dom}"
            k = 2
            while email in seen:  # a second John Smith at the same company gets john.smith2@
                email = f"{local}{k}@{dom}"
                k += 1
            seen.add(email)
            out.append(email)
        return out
    if name == "domain":
        names = cols.get("name", [""] * n)
        # Company names come from pools: work out each distinct name's domain once.
        domains = {value: _domain(value, gen.pools.ascii_name) for value in set(names)}
        return [domains[value] for value in names]
    if name == "website":
        return [None if d is None else f"https://www.{d}" for d in cols.get("domain", [None] * n)]
    if name == "person_name":
        firsts, lasts = cols.get("first", [""] * n), cols.get("last", [""] * n)
        if gen.params.locale.split("_")[0] in ("zh", "ja", "ko"):
            return [f"{b}{a}" for a, b in zip(firsts, lasts, strict=True)]
        return [f"{a} {b}".strip() for a, b in zip(firsts, lasts, strict=True)]
    if name == "initials":
        firsts, lasts = cols.get("first", [""] * n), cols.get("last", [""] * n)
        return [
            (gen.pools.ascii_name(a)[:1] + gen.pools.ascii_name(b)[:1]).upper()
            for a, b in zip(firsts, lasts, strict=True)
        ]
    if name == "vin":
        years = cols.get("year", [2020] * n)
        makes = cols.get("make", [None] * n)
        out = []
        for year, make in zip(years, makes, strict=True):
            y = int(year or 2020)
            year_char = _VIN_YEARS[(y - 2010) % len(_VIN_YEARS)]
            wmi = make_wmis(make) or _WMI
            body = rng.choice(wmi) + "".join(rng.choice(_VIN_CHARS) for _ in range(5))
            tail = "".join(rng.choice(_VIN_CHARS) for _ in range(1)) + "".join(
                rng.choice("0123456789") for _ in range(6)
            )
            partial = body + "0" + year_char + tail
            out.append(partial[:8] + vin_check_digit(partial) + partial[9:])
        return out
    if name in ("luhn", "npi", "digits"):
        length = int(args.get("length", 10 if name == "npi" else 16))
        prefix = str(args.get("prefix", "" if name != "npi" else "1"))
        body_len = length - len(prefix) - (1 if name != "digits" else 0)
        out = []
        for _ in range(n):
            body = prefix + "".join(str(rng.randrange(10)) for _ in range(body_len))
            if name == "digits":
                out.append(body)
            elif name == "npi":
                # NPI check digits use the Luhn formula over the prefix 80840 + the first 9 digits.
                out.append(body + luhn_digit("80840" + body))
            else:
                out.append(body + luhn_digit(body))
        return out
    if name == "mrn":
        return [f"MRN-{rng.randrange(10_000_000, 99_999_999)}" for _ in range(n)]
    if name == "msisdn":
        pool = gen.pools.faker_pool("msisdn", 5000, "msisdn")
        return rng.choices(pool, k=n)
    if name == "license_plate":
        pool = gen.pools.faker_pool("license_plate", 5000, "license_plate", unique=True)
        return rng.choices(pool, k=n)
    raise AssertionError(name)
