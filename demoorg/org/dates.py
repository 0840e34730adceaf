"""Dates relative to an org's as-of date, for conditions and for reading stored values.

An org stores dates as ISO text (``2026-11-23``) and date-times as ``2026-11-23 14:30:00``.
Conditions in the org's metadata may use offsets from the as-of date (``-30d``, ``0d``, ``today``,
``12m``), which become ISO dates here. Nothing here reads the wall clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

_OFFSET = re.compile(r"^([+-]?\d+(?:\.\d+)?)([hdwmy])$")
_UNIT_DAYS = {"h": 1 / 24, "d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}


def offset_days(value: str) -> float | None:
    """Days of an offset such as ``-30d``, ``1.5w``, ``18m`` or ``today``; None if not an offset."""
    text = value.replace(" ", "")
    if text == "today":
        return 0.0
    mo = _OFFSET.match(text)
    if mo is None:
        return None
    return float(mo.group(1)) * _UNIT_DAYS[mo.group(2)]


def offset_to_date(value: Any, as_of: date) -> Any:
    """An offset from ``as_of`` as an ISO date; any other value is returned unchanged."""
    if not isinstance(value, str):
        return value
    days = offset_days(value)
    if days is None:
        return value
    return (as_of + timedelta(days=round(days))).isoformat()


def offset_converter(as_of: date) -> Callable[[Any], Any]:
    """A one-argument :func:`offset_to_date` for ``where_sql``."""
    return lambda value: offset_to_date(value, as_of)


def parse_date(value: Any) -> date | None:
    """The date part of a stored date or date-time (``None`` for empty or unreadable values)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """A stored date-time (``YYYY-MM-DD HH:MM:SS``); a plain date becomes midnight."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.fromisoformat(value[:19])
    except ValueError:
        return None


def relative_day(day: date, as_of: date) -> str:
    """``Today``, ``Yesterday``, ``Tomorrow``, ``in 3 days`` or ``5 days ago`` (English, short)."""
    delta = (day - as_of).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Tomorrow"
    if delta == -1:
        return "Yesterday"
    if delta > 0:
        return f"in {delta} days"
    return f"{-delta} days ago"
