"""Safe YAML loading that remembers where every key and item came from.

Content errors must say ``file:line``, so the loader returns :class:`LineDict` and
:class:`LineList`, which carry the line of each key and item. Only plain data is built (the
loader derives from ``yaml.SafeLoader``): content can never run code.

Two YAML 1.1 surprises are switched off because they bite content authors: ``yes``/``no``/``on``/
``off`` stay strings (a picklist value ``No`` must not become ``False``) and dates stay strings
(releases and offsets are parsed by demoorg, with demoorg's messages). Duplicate keys are errors.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from demoorg.errors import ContentError

#: Content files are small; anything bigger is a mistake (or an attack) and is refused early.
MAX_CONTENT_BYTES = 8 * 1024 * 1024
#: Deep nesting has no use in content and costs the parser a lot.
MAX_DEPTH = 40


class LineDict(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[Any, int]
    path: str

    def path_of(self, key: Any) -> str:
        """The file a key came from: after ``extends`` merges, keys of one mapping may come
        from the base template or from the industry's own file."""
        return getattr(self, "key_paths", {}).get(key, self.path)


class LineList(list):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int
    item_lines: list[int]
    path: str


# libyaml's parser (CSafeLoader) is many times faster than the pure-Python one and gives the same
# nodes and line marks; the safe constructor and our resolvers run on top of either.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """SafeLoader with line tracking, YAML 1.2 booleans and no implicit dates."""

    def __init__(self, stream: str, path: str) -> None:
        super().__init__(stream)
        self.path = path
        self._depth = 0

    def construct_document(self, node: yaml.Node) -> Any:
        return super().construct_document(node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        # Python refuses to read integers of more than 4,300 digits (a guard against slow
        # conversion); such a number has no use in content, so it is an error at its line.
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise ContentError(
                f"number of {len(node.value):,} characters is too long (expected a usable number)",
                self.path,
                node.start_mark.line + 1,
            ) from None

    def _enter(self, node: yaml.Node) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ContentError(
                f"nesting deeper than {MAX_DEPTH} levels (expected a flat, readable structure)",
                self.path,
                node.start_mark.line + 1,
            )

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            raise ContentError("expected a mapping", self.path, node.start_mark.line + 1)
        self._enter(node)
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        result.path = self.path
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool) or key is None:
                raise ContentError(
                    "a key must be a plain word or number (expected `name: value`)", self.path, line
                )
            if key in result:
                raise ContentError(
                    f"duplicate key {key!r} (first given on line {result.key_lines[key]})",
                    self.path,
                    line,
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        self._depth -= 1
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        if not isinstance(node, yaml.SequenceNode):
            raise ContentError("expected a list", self.path, node.start_mark.line + 1)
        self._enter(node)
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        result.path = self.path
        self._depth -= 1
        return result


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    return loader.construct_mapping(node)


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    return loader.construct_sequence(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)

# Rebuild the implicit resolvers without YAML 1.1 booleans and timestamps.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml_text(text: str, path: str) -> Any:
    """Parse YAML text into line-aware plain data.

    Raises:
        ContentError: the text is not valid YAML, with the line of the problem.
    """
    try:
        loader = _Loader(text, path)
    except UnicodeEncodeError as exc:  # a lone surrogate: text that came from no real file
        line = text.count("\n", 0, exc.start) + 1
        raise ContentError(
            f"character U+{ord(text[exc.start]):04X} is not text (expected UTF-8)", path, line
        ) from None
    try:
        return loader.get_single_data()
    except ContentError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = _one_line(exc.problem or exc.context or "malformed YAML")
        raise ContentError(f"malformed YAML: {problem} (expected valid YAML)", path, line) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids (NUL, most control characters). libyaml reports the offset in
        # UTF-8 bytes and the character as a number; the pure-Python reader in characters.
        before = text.encode("utf-8", "surrogatepass")[: max(exc.position, 0)]
        if not isinstance(exc.character, int):
            before = text[: max(exc.position, 0)].encode("utf-8", "surrogatepass")
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "?")
        raise ContentError(
            f"character U+{code:04X} is not allowed in YAML (expected printable text)",
            path,
            before.count(b"\n") + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(
            f"malformed YAML: {_one_line(str(exc))} (expected valid YAML)", path, 1
        ) from None
    except RecursionError:
        raise ContentError(
            "nesting too deep (expected a flat, readable structure)", path, 1
        ) from None
    finally:
        loader.dispose()


def _one_line(text: str) -> str:
    """PyYAML's messages may span lines (``... in "<unicode string>", line 3``); errors are one."""
    return " ".join(text.split())


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    """Read and parse a YAML content file.

    Args:
        path: the file to read.
        display: how to name the file in errors (a path relative to the content root).
    """
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_CONTENT_BYTES:
            raise ContentError(
                f"file is {size} bytes (expected at most {MAX_CONTENT_BYTES} bytes)", name
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read file: {exc.strerror or exc}", name) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError(
            f"not UTF-8 text at byte {exc.start} (expected UTF-8)", name, line
        ) from None
    return load_yaml_text(text, name)


def suggest(word: str, choices: Iterable[str]) -> str:
    """Returns `` (did you mean 'x'?)`` for a close match, else an empty string."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


_MISSING: Any = object()

_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
}


def describe(value: Any) -> str:
    """Names a parsed YAML value's kind for messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


class Section:
    """Reads one mapping of content, checking types and rejecting unknown keys.

    Use :meth:`take` for each known key, then :meth:`finish`, which reports the first key that
    nobody took (with a suggestion when it looks like a typo).
    """

    def __init__(self, data: Any, path: str, what: str, line: int | None = None) -> None:
        if not isinstance(data, dict):
            raise ContentError(f"{what} is {describe(data)} (expected a mapping)", path, line)
        self.data = data
        self.path = getattr(data, "path", path)
        self.what = what
        self.line = getattr(data, "line", line)
        self._taken: set[Any] = set()

    def line_of(self, key: Any) -> int | None:
        """The line of ``key``, or of the mapping when the key is absent."""
        lines = getattr(self.data, "key_lines", {})
        return lines.get(key, self.line)

    def error(self, message: str, key: Any = None) -> ContentError:
        """A ContentError placed at ``key`` (or at the mapping)."""
        if key is None:
            return ContentError(message, self.path, self.line)
        path = self.data.path_of(key) if isinstance(self.data, LineDict) else self.path
        return ContentError(message, path, self.line_of(key))

    def has(self, key: str) -> bool:
        return key in self.data

    def take(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        """Returns the value of ``key`` after checking its type.

        Args:
            key: the key to read.
            kind: accepted Python type(s); ``float`` also accepts whole numbers.
            default: returned when the key is absent; without it the key is required.
        """
        self._taken.add(key)
        if key not in self.data:
            if default is _MISSING:
                raise self.error(f"{self.what} has no {key!r} (expected a {key!r} key)")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            return value
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            expected = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.error(
                f"{key!r} of {self.what} is {describe(value)} (expected {expected})", key
            )
        return value

    def section(self, key: str, what: str, default: Any = _MISSING) -> Section | None:
        """Returns the mapping under ``key`` as a Section (or None when absent and optional)."""
        value = self.take(key, dict, default)
        if value is None or (value is default and default is not _MISSING):
            return None
        return Section(value, self.path, what, self.line_of(key))

    def rest(self) -> list[Any]:
        """Keys not taken yet."""
        return [k for k in self.data if k not in self._taken]

    def finish(self, allowed: Iterable[str] = ()) -> None:
        """Rejects the first key that was not taken."""
        for key in self.rest():
            known = sorted({*(str(k) for k in self._taken), *allowed})
            raise self.error(
                f"unknown key {key!r} in {self.what}{suggest(key, known)}"
                f" (expected one of: {', '.join(known)})",
                key,
            )
