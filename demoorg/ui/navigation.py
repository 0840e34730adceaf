"""Where the user is, and back/forward history: plain Python, no Qt.

A :class:`Location` names a screen (a list view, a record, a dashboard, search results, the start
page). It round-trips through text (``record:Account/0018c…``) so links in labels, saved settings
and tests all speak the same language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Location:
    """One screen of the org browser.

    Attributes:
        kind: ``list``, ``record``, ``dashboard``, ``search`` or ``home``.
        object: the object of a list or record.
        id: the record's Id.
        key: a dashboard's key, or the text searched for.
        where: conditions of a filtered list (``((field, op, value),)``), e.g. from "View All".
        title: how a filtered list names its filter ("Maria Lopez").
    """

    kind: str
    object: str | None = None
    id: str | None = None
    key: str | None = None
    where: tuple[tuple[str, str, Any], ...] = ()
    title: str = ""

    @staticmethod
    def list(obj: str) -> Location:
        return Location("list", obj)

    @staticmethod
    def record(obj: str, record_id: str) -> Location:
        return Location("record", obj, record_id)

    @staticmethod
    def dashboard(key: str) -> Location:
        return Location("dashboard", key=key)

    @staticmethod
    def search(text: str) -> Location:
        return Location("search", key=text)

    def href(self) -> str:
        """``record:Account/001…``, ``list:Account``, ``dashboard:pipeline``, ``search:maria``."""
        if self.kind == "record":
            return f"record:{self.object}/{self.id}"
        if self.kind == "list" and not self.where:
            return f"list:{self.object}"
        if (
            self.kind == "list"
            and not self.title
            and all(
                op == "eq" and isinstance(v, str) and not set(v) & set("&=#")
                for _f, op, v in self.where
            )
        ):
            conds = "&".join(f"{f}={v}" for f, _op, v in self.where)
            return f"list:{self.object}?{conds}"
        if self.kind == "list":
            # Any other filter (a chart's group: ranges, blanks, numbers) goes as JSON.
            data = {"where": [list(c) for c in self.where], "title": self.title}
            return f"list:{self.object}#{json.dumps(data, ensure_ascii=False)}"
        if self.kind in ("dashboard", "search"):
            return f"{self.kind}:{self.key}"
        return "home:"

    @staticmethod
    def parse(href: str) -> Location | None:
        """The location of an href from :meth:`href`; None when it is not one."""
        kind, sep, rest = href.partition(":")
        if not sep:
            return None
        if kind == "record" and "/" in rest:
            obj, rid = rest.split("/", 1)
            return Location.record(obj, rid)
        if kind == "list" and "#" in rest:
            obj, _, data = rest.partition("#")
            try:
                spec = json.loads(data)
                where = tuple((str(f), str(op), _plain(v)) for f, op, v in spec["where"])
                return Location("list", obj, where=where, title=str(spec.get("title") or ""))
            except (ValueError, KeyError, TypeError):
                return None
        if kind == "list" and rest:
            obj, _, query = rest.partition("?")
            where = tuple(
                (f, "eq", v) for f, _, v in (p.partition("=") for p in query.split("&") if p)
            )
            return Location("list", obj, where=where)
        if kind in ("dashboard", "search") and rest:
            return Location(kind, key=rest)
        if kind == "home":
            return Location("home")
        return None

    def tab(self) -> str | None:
        """The app tab this location belongs to: its object, or ``dashboard:<key>``."""
        if self.kind in ("list", "record"):
            return self.object
        if self.kind == "dashboard":
            return f"dashboard:{self.key}"
        return None


def _plain(value: Any) -> Any:
    """A condition's value from JSON: lists become tuples (as ``in`` conditions hold them)."""
    return tuple(value) if isinstance(value, list) else value


@dataclass(slots=True)
class History:
    """Back and forward stacks around the current location, like a browser's."""

    current: Location | None = None
    back_stack: list[Location] = field(default_factory=list)
    forward_stack: list[Location] = field(default_factory=list)
    limit: int = 200

    def go(self, loc: Location) -> None:
        """Moves to ``loc``; the forward stack is dropped (going to the same place is a no-op)."""
        if loc == self.current:
            return
        if self.current is not None:
            self.back_stack.append(self.current)
            del self.back_stack[: -self.limit]
        self.current = loc
        self.forward_stack.clear()

    def can_go_back(self) -> bool:
        return bool(self.back_stack)

    def can_go_forward(self) -> bool:
        return bool(self.forward_stack)

    def back(self) -> Location | None:
        if not self.back_stack:
            return None
        if self.current is not None:
            self.forward_stack.append(self.current)
        self.current = self.back_stack.pop()
        return self.current

    def forward(self) -> Location | None:
        if not self.forward_stack:
            return None
        if self.current is not None:
            self.back_stack.append(self.current)
        self.current = self.forward_stack.pop()
        return self.current

    def clear(self) -> None:
        self.current = None
        self.back_stack.clear()
        self.forward_stack.clear()
