"""Errors a user can read: each names what is wrong, where, and what was expected."""

from __future__ import annotations


class DemoOrgError(Exception):
    """Base for every error demoorg reports to a user without a traceback."""


class ContentError(DemoOrgError):
    """A template or story is wrong at a known place.

    Printed as ``path:line: message``.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<content>"
        if self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


class UsageError(DemoOrgError):
    """A command-line argument is wrong; the CLI exits 2."""


class OrgError(DemoOrgError):
    """An org file cannot be opened, read or written."""
