"""The trust suite: bad input, faults, stress and offline use (see each module's docstring).

Tests here count what they tried with the ``tally`` fixture — ``tally("template inputs", 500)`` —
and the run ends with one summary line per count, so a run reports how many inputs were tried, kill
points survived and monkey events sent, not only that it passed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

_TALLY: Counter[str] = Counter()


@pytest.fixture
def tally() -> Callable[[str, int], None]:
    """``tally(what, n)`` adds ``n`` to the count of ``what`` shown at the end of the run."""

    def add(what: str, n: int = 1) -> None:
        _TALLY[what] += n

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TALLY:
        return
    terminalreporter.section("trust suite: what was tried")
    for what, n in sorted(_TALLY.items()):
        terminalreporter.write_line(f"{n:>9,}  {what}")
