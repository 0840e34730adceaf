"""Values shown the way the org's locale writes them: currency, numbers, percentages and dates.

One :class:`Formatter` per open org, built from the org's locale (``de_DE`` shows ``1.234,50 €``
and ``23.11.2026``; ``en_US`` shows ``$1,234.50`` and ``11/23/2026``).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime

from demoorg.org.dates import parse_date, parse_datetime
from demoorg.org.query import Ref

_EMPTY = ""


class Formatter:
    """Formats stored values for display in one locale.

    Args:
        locale_name: a Faker/POSIX locale such as ``en_US`` or ``de_DE``.
    """

    def __init__(self, locale_name: str = "en_US") -> None:
        self.locale_name = locale_name
        self.locale = QLocale(locale_name)
        if self.locale.language() == QLocale.Language.C:
            self.locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
        short = self.locale.dateFormat(QLocale.FormatType.ShortFormat)
        if "yyyy" not in short:
            short = short.replace("yy", "yyyy")
        self.date_format = short
        self.time_format = self.locale.timeFormat(QLocale.FormatType.ShortFormat)
        self.symbol = self.locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencySymbol)

    # --- numbers --------------------------------------------------------------------------------

    def number(self, value: Any, decimals: int | None = None) -> str:
        if value is None or value == "":
            return _EMPTY
        v = float(value)
        if decimals is None:
            decimals = 0 if v.is_integer() else min(2, _decimals_of(v))
        return self.locale.toString(v, "f", decimals)

    def currency(self, value: Any, decimals: int = 2) -> str:
        if value is None or value == "":
            return _EMPTY
        return self.locale.toCurrencyString(float(value), self.symbol, decimals)

    def percent(self, value: Any) -> str:
        if value is None or value == "":
            return _EMPTY
        v = float(value)
        text = self.locale.toString(v, "f", 0 if v.is_integer() else 1)
        pct = self.locale.percent()
        # German, French and other languages put a no-break space before the sign.
        spaced = self.locale.language() in (
            QLocale.Language.German,
            QLocale.Language.French,
            QLocale.Language.Swedish,
            QLocale.Language.NorwegianBokmal,
            QLocale.Language.Finnish,
            QLocale.Language.Czech,
        )
        return f"{text}\u00a0{pct}" if spaced else f"{text}{pct}"

    def compact(self, value: float, money: bool = False) -> str:
        """Short numbers for chart axes and big tiles: ``1.2M``, ``$433.4K``."""
        v = float(value)
        sign = "-" if v < 0 else ""
        v = abs(v)
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if v >= div:
                n = v / div
                text = self.locale.toString(n, "f", 0 if n >= 100 or n.is_integer() else 1)
                text = f"{text}{suffix}"
                break
        else:
            text = self.locale.toString(v, "f", 0 if v.is_integer() else 1)
        if money:
            # The locale's own pattern around the number: "$1" → "$1.2M", "1 €" → "1,2M €".
            text = self.locale.toCurrencyString(1, self.symbol, 0).replace("1", text, 1)
        return f"{sign}{text}"

    def metric(self, value: float | None, fmt: str) -> str:
        """A dashboard metric: whole money amounts, compact above ten million."""
        if value is None:
            return "—"
        if fmt == "currency":
            if abs(value) >= 10_000_000:
                return self.compact(value, money=True)
            return self.currency(value, 0)
        if fmt == "percent":
            return self.percent(value)
        if abs(value) >= 10_000_000:
            return self.compact(value)
        return self.number(value, 0 if float(value).is_integer() else 1)

    # --- dates ----------------------------------------------------------------------------------

    def date(self, value: Any) -> str:
        d = parse_date(value)
        if d is None:
            return "" if value is None else str(value)
        return self.locale.toString(QDate(d.year, d.month, d.day), self.date_format)

    def datetime(self, value: Any) -> str:
        dt = parse_datetime(value)
        if dt is None:
            return "" if value is None else str(value)
        qdt = QDateTime(QDate(dt.year, dt.month, dt.day), QTime(dt.hour, dt.minute, dt.second))
        return self.locale.toString(qdt, f"{self.date_format} {self.time_format}")

    def long_date(self, value: Any) -> str:
        """``November 23, 2026`` / ``23. November 2026``."""
        d = parse_date(value)
        if d is None:
            return ""
        return self.locale.toString(QDate(d.year, d.month, d.day), QLocale.FormatType.LongFormat)

    def month_year(self, value: Any) -> str:
        d = parse_date(value)
        if d is None:
            return ""
        return self.locale.toString(QDate(d.year, d.month, 1), "MMMM yyyy")

    def bucket(self, key: Any, bucket: str | None, short: bool = False) -> str:
        """A chart's time bucket: ``Mar 2026``, ``Q1 2026``, ``2026`` (short: ``Mar 26``)."""
        if key is None:
            return "(Blank)"
        text = str(key)
        if bucket == "year":
            return text
        if bucket == "quarter" and "-Q" in text:
            year, q = text.split("-Q")
            return f"Q{q} {year[2:] if short else year}"
        try:
            fmt = "MMM yy" if short else "MMM yyyy"
            return self.locale.toString(QDate(int(text[:4]), int(text[5:7]), 1), fmt)
        except ValueError:
            return text

    # --- any field --------------------------------------------------------------------------------

    def value(self, value: Any, type_: str, decimals: int | None = None) -> str:
        """A stored value of a field of type ``type_`` as text."""
        if value is None or value == "":
            return _EMPTY
        if isinstance(value, Ref):
            return value.name
        if type_ == "currency":
            return self.currency(value, 2 if decimals is None else decimals)
        if type_ == "percent":
            return self.percent(value)
        if type_ == "number":
            return self.number(value, decimals)
        if type_ == "date":
            return self.date(value)
        if type_ == "datetime":
            return self.datetime(value)
        if type_ == "boolean":
            return "✓" if value in (1, True, "1", "true") else ""
        return str(value)


def _decimals_of(v: float) -> int:
    frac = abs(v) - math.floor(abs(v))
    for d in range(1, 7):
        if abs(round(frac, d) - frac) < 1e-9:
            return d
    return 2
