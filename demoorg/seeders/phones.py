"""Is a phone number dialable in a locale? Shared by the Faker pools and the audit.

Conservative digit-count rules for the numbering plans of the main locales (the ``phonenumbers``
library is not a dependency): ITU-T E.164 national plans for NANP, UK (Ofcom), Germany (BNetzA),
France (ARCEP), Japan (MIC) and China (MIIT).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Phone numbering plans: country code → validity of the national significant number (NSN).
# Conservative digit-count rules (the `phonenumbers` library is not a dependency): ITU-T E.164
# national plans for NANP, UK (Ofcom), Germany (BNetzA), France (ARCEP), Japan (MIC), China (MIIT).
_NSN_RULES: dict[str, Callable[[str], bool]] = {
    "1": lambda d: len(d) == 10 and _nanp_area(d[:3]) and d[3] in "23456789" and d[4:6] != "11",
    "44": lambda d: 9 <= len(d) <= 10 and d[0] != "0",
    "49": lambda d: 6 <= len(d) <= 11 and d[0] != "0",
    "33": lambda d: len(d) == 9 and d[0] != "0",
    "81": lambda d: 9 <= len(d) <= 10 and d[0] != "0",
    "86": lambda d: (
        (len(d) == 11 and d[0] == "1")
        or (9 <= len(d) <= 11 and (d[0] in "23456789" or d.startswith("10")))
    ),
}


def _nanp_area(code: str) -> bool:
    """A geographic NANP area code, as a customer would know one: not N9X (held for expansion),
    not 37X or 96X (reserved), not N11 (service codes) and not an easily recognisable code
    with two equal last digits (toll-free 800, 888, and 500, 700, 900…)."""
    return (
        code[0] in "23456789"
        and code[1] != "9"
        and code[1] != code[2]
        and code[:2] not in ("37", "96")
    )


_LOCALE_COUNTRY = {
    "US": "1",
    "CA": "1",
    "GB": "44",
    "DE": "49",
    "AT": "43",
    "FR": "33",
    "JP": "81",
    "CN": "86",
}
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|#)\s*\d+\s*$", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^[+0-9 ()./-]+$")


def phone_is_valid(raw: str, locale: str) -> bool:
    """A conservative check that ``raw`` is a dialable number for ``locale``.

    International numbers (``+CC…`` or ``00CC…``) are checked against their country's plan when
    known (digit count, no leading 0 in the national number), otherwise against E.164's 8–15
    digits. National numbers need the locale's trunk prefix (0, or an optional 1 in NANP).
    """
    text_ = _EXTENSION.sub("", str(raw)).strip()
    if not text_ or not _PHONE_CHARS.match(text_):
        return False
    country = _LOCALE_COUNTRY.get(locale.split("_")[-1])
    intl = text_.startswith("+")
    digits = re.sub(r"\D", "", text_.replace("(0)", "") if intl else text_)
    if not intl and digits.startswith("00"):
        intl, digits = True, digits[2:]
    elif not intl and country == "1" and digits.startswith("011"):
        intl, digits = True, digits[3:]
    if intl:
        for cc in sorted(_NSN_RULES, key=len, reverse=True):
            if digits.startswith(cc):
                return _NSN_RULES[cc](digits[len(cc) :])
        return 8 <= len(digits) <= 15
    if country is None:
        return 4 <= len(digits) <= 15
    check = _NSN_RULES.get(country)
    if check is None:
        return digits.startswith("0") and 5 <= len(digits) <= 15
    if country == "1":
        nsn = digits[1:] if len(digits) == 11 and digits[0] == "1" else digits
        return check(nsn)
    if country == "86" and len(digits) == 11 and digits[0] == "1":
        return check(digits)
    return digits.startswith("0") and not digits.startswith("00") and check(digits[1:])
