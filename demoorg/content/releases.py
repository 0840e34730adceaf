"""The release calendar: names, API versions and dates of the three releases a year.

A release is ``Spring``, ``Summer`` or ``Winter`` plus a two-digit year. Winter is named for the
*next* year: Winter '27 ships in October 2026, before Spring '27 (February 2027) and Summer '27
(June 2027). Each release raises the API version by 1.0 (Spring '25 is 63.0).

Real GA dates move by a week or two and differ by instance, but a demo org must be reproducible,
so dates follow a fixed rule:

* production GA is the second Saturday of February (Spring), June (Summer) or October of the
  previous year (Winter);
* sandbox preview starts 35 days (5 weeks) before GA;
* pre-release notes appear 63 days (9 weeks) before GA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from demoorg.errors import UsageError

SEASONS = ("Spring", "Summer", "Winter")

# Releases in the order they ship within one label year: Winter (October of the year before),
# then Spring, then Summer.
_SHIP_ORDER = ("Winter", "Spring", "Summer")
_GA_MONTH = {"Winter": 10, "Spring": 2, "Summer": 6}
# Index equals the API major version; Winter '25 (62.0) anchors the arithmetic.
_ANCHOR_INDEX, _ANCHOR_YEAR = 62, 2025
_PREVIEW_LEAD = timedelta(days=35)
_NOTES_LEAD = timedelta(days=63)
_FIRST_YEAR, _LAST_YEAR = 2000, 2099

# ASCII digits only: int() reads ``Summer ٢٧`` as Summer '27, which no one means to type.
_NAME_RE = re.compile(r"(spring|summer|winter)\s*['’‘`]?\s*([0-9]{2}|[0-9]{4})")
_API_RE = re.compile(r"v?([0-9]{1,3})(?:\.0)?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _index_of(season: str, year: int) -> int:
    return _ANCHOR_INDEX + (year - _ANCHOR_YEAR) * 3 + _SHIP_ORDER.index(season)


@dataclass(frozen=True, order=True, slots=True)
class Release:
    """One release, e.g. Winter '27.

    Attributes:
        index: Position in the calendar; consecutive releases differ by 1. It equals the API
            major version, so it is also the sort key.
        season: ``"Spring"``, ``"Summer"`` or ``"Winter"``.
        year: The four-digit label year (Winter '27 has year 2027 although it ships in 2026).
    """

    index: int
    season: str
    year: int

    def __post_init__(self) -> None:
        # Index, season and year are redundant; a mismatch would sort and date inconsistently.
        if self.season not in SEASONS or _index_of(self.season, self.year) != self.index:
            raise ValueError(f"release index {self.index} is not {self.season} {self.year}")

    @classmethod
    def from_index(cls, index: int) -> Release:
        """Returns the release at ``index`` (which equals its API major version)."""
        years, position = divmod(index - _ANCHOR_INDEX, 3)
        return cls(index, _SHIP_ORDER[position], _ANCHOR_YEAR + years)

    @classmethod
    def named(cls, season: str, year: int) -> Release:
        """Returns the release for a season (``"Summer"``) and four-digit label year."""
        return cls.from_index(_index_of(season, year))

    @property
    def name(self) -> str:
        """The display name, e.g. ``"Winter '27"``."""
        return f"{self.season} '{self.year % 100:02d}"

    @property
    def api_version(self) -> str:
        """The API version, e.g. ``"68.0"``."""
        return f"{self.index}.0"

    @property
    def ga_date(self) -> date:
        """Production GA: the second Saturday of the release month."""
        first = date(
            self.year - 1 if self.season == "Winter" else self.year, _GA_MONTH[self.season], 1
        )
        first_saturday = 1 + (5 - first.weekday()) % 7
        return first.replace(day=first_saturday + 7)

    @property
    def preview_date(self) -> date:
        """The day sandboxes start to run this release (35 days before GA)."""
        return self.ga_date - _PREVIEW_LEAD

    @property
    def notes_date(self) -> date:
        """The day pre-release notes appear (63 days before GA)."""
        return self.ga_date - _NOTES_LEAD

    def next(self) -> Release:
        """Returns the release after this one."""
        return Release.from_index(self.index + 1)

    def previous(self) -> Release:
        """Returns the release before this one."""
        return Release.from_index(self.index - 1)

    def __str__(self) -> str:
        return self.name


def _unknown(text: str, why: str = "") -> UsageError:
    hint = why or (
        'expected a name like "Summer \'27", an API version like 70.0, or a date like 2027-03-01'
    )
    return UsageError(f"unknown release {text!r} ({hint})")


def _in_range(release: Release, text: str) -> Release:
    if not _FIRST_YEAR <= release.year <= _LAST_YEAR:
        raise _unknown(text, f"expected a release from {_FIRST_YEAR} to {_LAST_YEAR}")
    return release


def resolve_release(text: str) -> tuple[Release, date | None]:
    """Reads a release name, an API version or an ISO date.

    Args:
        text: ``"Summer '27"`` (also ``Summer 27``, ``summer 2027``, ``Summer’27``), an API
            version (``70.0``, ``v70.0``) or a date ``YYYY-MM-DD``.

    Returns:
        The release, and the date if one was given (its release is the one in production then),
        else ``None``.

    Raises:
        UsageError: The text is none of these, names an impossible date, or lies outside the
            years 2000 to 2099.
    """
    cleaned = text.strip().casefold()
    if _DATE_RE.fullmatch(cleaned):
        try:
            day = date.fromisoformat(cleaned)
        except ValueError as exc:
            raise UsageError(f"invalid date {text!r}: {exc}") from None
        # Checked before release_on, which would walk back past year 1 for ancient dates.
        if not _FIRST_YEAR - 1 <= day.year <= _LAST_YEAR:
            raise _unknown(text, f"expected a release from {_FIRST_YEAR} to {_LAST_YEAR}")
        return _in_range(release_on(day), text), day
    if match := _NAME_RE.fullmatch(cleaned):
        season, digits = match.group(1).capitalize(), match.group(2)
        year = int(digits) + (2000 if len(digits) == 2 else 0)
        return _in_range(Release.named(season, year), text), None
    if (match := _API_RE.fullmatch(cleaned)) and int(match.group(1)) >= 1:
        return _in_range(Release.from_index(int(match.group(1))), text), None
    raise _unknown(text)


def parse_release(text: str) -> Release:
    """Like :func:`resolve_release`, returning only the release."""
    return resolve_release(text)[0]


def release_on(day: date, preview: bool = False) -> Release:
    """Returns the release in production on ``day``.

    Args:
        day: Any date.
        preview: Return the release sandboxes run instead: the next release once its sandbox
            preview has started, which is what a preview demo org shows.
    """
    # Winter of next year's label ships in October of day.year; nothing later can be live yet.
    current = Release.named("Winter", day.year + 1)
    while current.ga_date > day:
        current = current.previous()
    upcoming = current.next()
    return upcoming if preview and day >= upcoming.preview_date else current


def release_range(first: Release, last: Release) -> list[Release]:
    """Returns the releases from ``first`` to ``last``, both included (empty if reversed)."""
    return [Release.from_index(i) for i in range(first.index, last.index + 1)]


def feature_stage(
    release: Release,
    pilot: Release | None,
    beta: Release | None,
    ga: Release | None,
    preview: bool = False,
) -> str:
    """Returns the stage of a feature in an org on ``release``.

    Args:
        release: The release the org runs.
        pilot, beta, ga: The first release of each stage, or ``None`` if it has none.
        preview: The org gets features one release early (about four months before GA).

    Returns:
        ``"GA"``, ``"Beta"``, ``"Pilot"`` or ``"Not available"``.
    """
    target = release.next() if preview else release
    for stage, first in (("GA", ga), ("Beta", beta), ("Pilot", pilot)):
        if first is not None and target >= first:
            return stage
    return "Not available"


def calendar_around(day: date, before: int = 2, after: int = 3) -> list[tuple[Release, str]]:
    """Returns the releases around ``day`` with a status each.

    The status is ``"past"``, ``"current"`` (in production), ``"preview"`` (sandbox preview
    started, not GA yet) or ``"upcoming"``.
    """
    current = release_on(day)
    rows = []
    for release in release_range(
        Release.from_index(current.index - before), Release.from_index(current.index + after)
    ):
        if release < current:
            status = "past"
        elif release == current:
            status = "current"
        else:
            status = "preview" if day >= release.preview_date else "upcoming"
        rows.append((release, status))
    return rows


def describe_day(day: date) -> list[str]:
    """Returns the lines ``demoorg releases --on DAY`` prints: a summary and a calendar table."""
    current = release_on(day)
    upcoming = current.next()
    lines = [
        f"On {day.isoformat()} production runs {current.name} "
        f"(API {current.api_version}, GA {current.ga_date.isoformat()}).",
        f"Next: {upcoming.name} (API {upcoming.api_version}): release notes from "
        f"{upcoming.notes_date.isoformat()}, sandbox preview from "
        f"{upcoming.preview_date.isoformat()}, GA {upcoming.ga_date.isoformat()}.",
        "",
    ]
    table = [("Release", "API", "Sandbox preview", "GA", "Status")]
    table += [
        (r.name, r.api_version, r.preview_date.isoformat(), r.ga_date.isoformat(), status)
        for r, status in calendar_around(day)
    ]
    widths = [max(len(row[col]) for row in table) for col in range(len(table[0]))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return lines
