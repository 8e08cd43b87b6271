"""The only module that parses or writes YAML.

Two readers, one writer:
- `read_document` / `parse_document`: fast positioned reading. libyaml composes the node tree
  (`yaml.compose` with the C loader keeps line and column on every node at a tenth of the cost of
  a round-trip parse: facts/performance.md §Parsing), then values are built from the nodes in one
  pass, reading plain scalars as compose-go's yaml.v3 does (the YAML 1.2 core schema's words, so
  `no`, `on` and `22:22` stay strings, and Go's numbers: `1_000`, `0b1010`, `010` is 8),
  `<<:` merge keys applied, aliases expanded under a budget (alias bombs), duplicate keys recorded,
  and the `!reset` / `!override` tags of compose v2 kept as markers. Mappings and sequences come out
  as `SDict` / `SList`: a plain `dict` / `list` that also knows the `Origin` (file, line, column) of
  each key and item.
- `load_roundtrip` / `dump_roundtrip`: ruamel.yaml round-trip for editing a user's file, keeping
  comments, anchors and key order.
- `dump` / `dump_all`: the one writer of composegen's YAML (overlays, Swarm stack files,
  Kubernetes manifests, alert rules): plain data in block style, every key through `key` and every
  value through `scalar` (the one YAML-safe quoting), with header and per-key comment lines.
"""

from __future__ import annotations

import functools
import gc
import io
import math
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any, NamedTuple, NoReturn

import yaml

from composegen.errors import InputError
from composegen.paths import os_error

Key = str | int
KeyPath = tuple[Key, ...]

#: How many nodes one document may expand to once aliases are followed (alias-bomb bound): at
#: least this many, more for a large file (one node per 4 bytes of text is far above real files).
MIN_EXPANSION_BUDGET = 100_000
#: Largest file read, in bytes: almost five times the largest benchmark stack (2,000 services,
#: 1.7 MB), and small enough that reading one stays within seconds and a few hundred MB (a 50 MB
#: file took 14 s and 740 MB to lint).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Deepest nesting of mappings and lists read. Compose files nest under ten levels; past a few
#: hundred, the recursive readers and merges that follow would exhaust Python's stack.
MAX_DEPTH = 100
#: libyaml's composer recurses on the C stack once per nesting level and crashes the process
#: (SIGSEGV) some tens of thousands of levels deep (20,000 read fine, 50,000 crashed, measured
#: with PyYAML 6 and libyaml 0.2.5). A text that could nest deeper than this is first measured
#: with the parser's events, which do not recurse. Newer libyaml (the one in PyYAML 6.0.4's
#: wheels) refuses 1,000 levels itself, with an error of its own: composegen's bound must still
#: be the one the user reads, so a syntax error where the text could nest that deep is measured
#: again with PyYAML's pure-Python parser, which has no such limit and reads lazily.
_C_SAFE_DEPTH = 10_000

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Plain scalars that start like a number, read as compose-go's yaml.v3 reads them (its resolve.go,
# not the YAML 1.2 spec's core schema): every `_` is dropped, then the text is an integer as Go's
# `strconv.ParseInt(text, 0, 64)` reads one (a sign, `0x` / `0o` / `0b` in either case, and a
# leading `0` meaning octal: `010` is 8), else as `ParseUint` (no sign, up to 2**64-1), else a
# float of the YAML shape (`08` is 8.0, a decimal too large for 64 bits a float), else, after a
# lower-case `0b` / `0o`, a signed binary / octal number (`0b-101` is -5). A scalar that starts
# with `.` keeps its underscores and is a float where Go's `ParseFloat` reads one (`.5_5`).
_GO_INT = re.compile(r"([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]+)|([1-9][0-9]*|0))\Z")
_GO_INT_BASES = (16, 8, 2, 8, 10)  # of the digit groups of `_GO_INT`, in order
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SIGNED_AFTER_PREFIX = re.compile(r"0(?:b[-+]?[01]+|o[-+]?[0-7]+)\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?\Z")
_SPECIAL_FLOATS: dict[str, float] = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
#: A plain scalar yaml.v3 reads as a time (Go's time.Parse with its four layouts, tried before
#: numbers): `2001-12-14`, `2001-12-14 21:59:43.10`, `2001-12-14t21:59:43.10-05:00` (a space in a
#: layout matches any run of spaces, a fraction may follow a comma). Some of these
#: shapes are then refused by time.Parse (`2001-13-01`), and stay text.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:([Tt]| +)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(Z|[-+]([0-9]{2}):([0-9]{2}))?)?\Z"
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: The ranges of Go's ParseInt (int64) and ParseUint (uint64, no sign allowed).
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
#: No digit string longer than this (leading zeros aside) fits 64 bits in any base.
_LONGEST_DIGITS = 64
#: The plain scalars of the core schema that are no numbers: null and the booleans.
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}
#: How a number of the core schema starts (anything else is a string or one of `_WORDS`).
_NUMBER_START = frozenset("0123456789+-.")
#: Tags the resolver gives plain scalars: the core schema decides what they hold.
_IMPLICIT_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "value", "merge")
)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_COMPOSE_TAGS = ("!reset", "!override")
_SCALAR_NODE, _SEQUENCE_NODE, _MAPPING_NODE = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]  # CSafeLoader: a C class mypy cannot see
    """libyaml composing without PyYAML's YAML 1.1 tag resolution (a regex per scalar): every plain
    scalar is tagged `str`, and `_scalar_value` reads it as yaml.v3 does."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is _SCALAR_NODE:
            return _STR_TAG
        return _SEQ_TAG if kind is _SEQUENCE_NODE else _MAP_TAG

    # PyYAML's path resolvers (`add_path_resolver`), asked about every node: composegen adds none
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class Tagged:
    """A compose v2 `!reset` or `!override` value (facts/compose-spec.md §Merge).

    A small value class, not a dataclass nor a tuple: building a dataclass costs a lint run a
    millisecond at import, and a tuple would pass for a YAML sequence."""

    __slots__ = ("tag", "value")

    def __init__(self, tag: str, value: Any) -> None:
        self.tag = tag
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is Tagged and (self.tag, self.value) == (other.tag, other.value)

    def __hash__(self) -> int:
        return hash((self.tag, self.value))

    def __repr__(self) -> str:
        return f"Tagged(tag={self.tag!r}, value={self.value!r})"


class Timestamp(str):
    """A plain scalar compose-go's YAML reader takes for a date or time (`2001-12-14`): text to
    composegen, as written, but no string to compose, which refuses it wherever its schema checks
    the value (a label, an environment value, a command): quoted, it is text to both."""

    __slots__ = ()


class Position(NamedTuple):
    """A line and column in a file."""

    line: int  # 1-based
    column: int  # 1-based


#: Where a file starts.
_START = Position(1, 1)


class Origin(NamedTuple):
    """Where a key or item was written: a file and a 1-based line and column.

    A named tuple, not a dataclass: a large file has one per key, and a tuple is built and hashed
    several times faster."""

    file: str
    line: int
    column: int

    def where(self) -> str:
        """`file:line`, the form error messages and findings use."""
        return f"{self.file}:{self.line}"

    def named(self) -> str:
        """`docker-compose.yml:7`: the file's name (without its folder) and the line."""
        return f"{file_name(self.file)}:{self.line}"


@functools.lru_cache(maxsize=256)
def file_name(file: str) -> str:
    """A file's name without its folder, worked out once per file (a large stack's facts and plan
    name it for every key they quote)."""
    return PurePath(file).name


class SDict(dict[Any, Any]):
    """A mapping whose keys remember their origin (`origins[key]`)."""

    __slots__ = ("origins",)

    def __init__(
        self,
        items: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = (),
        origins: Mapping[Any, Origin] | None = None,
    ) -> None:
        super().__init__(items)
        self.origins: dict[Any, Origin] = dict(origins) if origins else {}

    def set(self, key: Any, value: Any, origin: Origin | None) -> None:
        """Set a value and its origin together (an unknown origin clears the old one)."""
        self[key] = value
        if origin is None:
            self.origins.pop(key, None)
        else:
            self.origins[key] = origin

    def remove(self, key: Any) -> None:
        """Delete a key and its origin, if present."""
        self.pop(key, None)
        self.origins.pop(key, None)


class SList(list[Any]):
    """A sequence whose items remember their origin (`origins[index]`)."""

    __slots__ = ("origins",)

    def __init__(self, items: Iterable[Any] = (), origins: Iterable[Origin | None] | None = None) -> None:
        super().__init__(items)
        found = list(origins) if origins is not None else []
        found.extend([None] * (len(self) - len(found)))
        self.origins: list[Origin | None] = found[: len(self)]

    @classmethod
    def of(cls, pairs: Iterable[tuple[Any, Origin | None]]) -> SList:
        """A list from `(value, origin)` pairs."""
        values: list[Any] = []
        origins: list[Origin | None] = []
        for value, origin in pairs:
            values.append(value)
            origins.append(origin)
        return cls(values, origins)


class Document:
    """What one YAML file holds (`data`: `SDict` / `SList` and scalars, keys as written, so `80:` is
    the integer 80), where each key and item was written (`positions`, built when first asked for),
    and the keys written twice in one mapping, and the keys that are no text to compose-go (`80:`,
    `true:`, `2001-12-14:`: a number, a boolean, null or a time, each with what it is); `text`, the
    text it was parsed from (None for data built otherwise), so its comments are read without
    reading the file again."""

    __slots__ = (
        "_positions", "data", "duplicate_keys", "has_dollars", "has_int_keys", "has_tags", "non_string_keys", "path",
        "root", "text",
    )  # fmt: skip

    def __init__(
        self,
        path: str,
        data: Any,
        positions: Mapping[KeyPath, Position] | None = None,
        duplicate_keys: tuple[tuple[KeyPath, Position], ...] = (),
        *,
        root: Position = _START,
        has_int_keys: bool = True,
        has_tags: bool = True,
        has_dollars: bool = True,
        non_string_keys: tuple[tuple[KeyPath, Position, str], ...] = (),
        text: str | None = None,
    ) -> None:
        self.path = path
        self.text = text
        self.non_string_keys = non_string_keys
        self.data = data
        self.duplicate_keys = duplicate_keys
        self.root = root
        self.has_int_keys = has_int_keys  # False: every mapping key is a string
        self.has_tags = has_tags  # False: no `!reset` / `!override` value anywhere
        self.has_dollars = has_dollars  # False: no value anywhere holds a `$` (so no variable)
        self._positions = positions

    @property
    def positions(self) -> Mapping[KeyPath, Position]:
        """The position of every key path (`()`: the document itself), in the order written."""
        if self._positions is None:
            self._positions = _positions(self.data, self.root)
        return self._positions

    def position(self, keys: KeyPath) -> Position | None:
        """The position of `keys`, or of its nearest ancestor that has one."""
        positions = self.positions
        for end in range(len(keys), -1, -1):
            found = positions.get(keys[:end])
            if found is not None:
                return found
        return None

    def where(self, keys: KeyPath = ()) -> str:
        """`file:line` for a key path, for error messages."""
        pos = self.position(keys)
        return f"{self.path}:{pos.line}" if pos else self.path


def _positions(data: Any, root: Position) -> dict[KeyPath, Position]:
    found: dict[KeyPath, Position] = {(): root}

    def walk(value: Any, path: KeyPath) -> None:
        if isinstance(value, Tagged):
            walk(value.value, path)
        elif isinstance(value, SDict):
            origins = value.origins
            for key, item in value.items():
                here = (*path, key)
                origin = origins.get(key)
                if origin is not None:
                    found[here] = Position(origin.line, origin.column)
                walk(item, here)
        elif isinstance(value, SList):
            for index, (item, origin) in enumerate(zip(value, value.origins, strict=True)):
                here = (*path, index)
                if origin is not None:
                    found[here] = Position(origin.line, origin.column)
                walk(item, here)

    walk(data, ())
    return found


def _scalar_value(node: yaml.ScalarNode) -> Any:
    text: str = node.value
    tag = node.tag
    if tag in _COMPOSE_TAGS:
        if tag == "!reset":
            return Tagged("!reset", None if text == "" else text)
        return Tagged("!override", text)
    if node.style or tag not in _IMPLICIT_TAGS:  # quoted, block, or explicitly tagged: text
        return text
    if not text or text[0] not in _NUMBER_START:  # `_plain`, inline: once per plain scalar of a file
        return _WORDS.get(text, text)
    return _number(text)


def _number(text: str) -> Any:
    """A plain scalar that starts with a digit, a sign or a dot, as yaml.v3 resolves it: an int,
    a float, or the text itself (see `_GO_INT`)."""
    if len(text) < 20 and text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return int(text)  # the common case, a plain decimal of 19 digits or fewer: always fits
    if text[0] == ".":
        if _DOT_FLOAT.match(text):
            real = float(text.replace("_", ""))
            if not math.isinf(real):  # `.5e400`: Go's ParseFloat refuses it, so it stays text
                return real
        return _SPECIAL_FLOATS.get(text, text)
    plain = text.replace("_", "") if "_" in text else text
    found = _GO_INT.match(plain)
    if found:
        number = _int_in_range(found)
        if number is not None:
            return number
    if _YAML_FLOAT.match(plain):
        real = float(plain)
        if not math.isinf(real):  # `1e400`, as above
            return real
    if plain.startswith(("0b", "0o")) and _SIGNED_AFTER_PREFIX.match(plain):
        number = int(plain[2:], 2 if plain[1] == "b" else 8)
        if _INT64_MIN <= number <= _INT64_MAX:
            return number
    if text[4:5] == "-" and _is_timestamp(text):
        return Timestamp(text)
    return _SPECIAL_FLOATS.get(text, text) if text[1:2] == "." else text  # `-.inf`


def _is_timestamp(text: str) -> bool:
    """Whether yaml.v3 reads `text` as a time: one of its layouts, with a real date and time."""
    found = _TIMESTAMP.match(text)
    if found is None:
        return False
    year, month, day, separator, hour, minute, second, zone, zone_hour, zone_minute = found.groups()
    if separator is not None and (zone is None) != separator.startswith(" "):
        return False  # `T` and `t` layouts end in a zone; the space layout (any run of spaces) has none
    year_number, month_number = int(year), int(month)
    if not 1 <= month_number <= 12:
        return False
    leap = year_number % 4 == 0 and (year_number % 100 != 0 or year_number % 400 == 0)
    days = _DAYS_IN_MONTH[month_number - 1] + (1 if month_number == 2 and leap else 0)
    if not 1 <= int(day) <= days:
        return False
    if hour is not None and (int(hour) > 23 or int(minute) > 59 or int(second) > 59):
        return False
    return zone_hour is None or (int(zone_hour) <= 24 and int(zone_minute) <= 60)


def _int_in_range(found: re.Match[str]) -> int | None:
    """The integer `_GO_INT` matched, where Go's ParseInt or ParseUint takes it."""
    sign, group = found.group(1), found.lastindex or 0  # the one digit group that matched
    digits, base = found.group(group), _GO_INT_BASES[group - 2]
    if len(digits.lstrip("0")) > _LONGEST_DIGITS:
        return None
    number = int(digits, base)
    if sign == "-":
        return -number if number <= -_INT64_MIN else None
    if sign == "+":
        return number if number <= _INT64_MAX else None
    return number if number <= _UINT64_MAX else None


def _new_sdict(origins: dict[Any, Origin]) -> SDict:
    out: SDict = dict.__new__(SDict)
    out.origins = origins
    return out


def _new_slist(values: list[Any], origins: list[Origin | None]) -> SList:
    out: SList = list.__new__(SList)
    list.__init__(out, values)
    out.origins = origins
    return out


_NODE_KINDS = (yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode)
#: The origins of what a mapping without positions or without a `<<:` merge brings in: none. Only
#: read, never written (`_Builder._mapping` makes a dict of its own where a merge needs one).
_NO_ORIGINS: dict[Any, Origin] = {}
#: An `Origin` of its three fields, without the keyword-reading constructor: one per key and item.
_new_origin = tuple.__new__
#: What `_scalar_value` builds: values that hold nothing mutable (a `Tagged` may hold a list).
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None), Timestamp})


class _Brought(NamedTuple):
    """A `<<:` source of scalars as built once (`_Builder._brought`): the mapping, the alias budget
    building it spent, and the duplicate and non-text keys found inside it, their key paths from
    the merging mapping's."""

    mapping: dict[Any, Any]  # an `SDict` (a plain dict without `positions`)
    spent: int
    duplicates: tuple[tuple[KeyPath, Position], ...]
    non_string_keys: tuple[tuple[KeyPath, Position, str], ...]
    int_keys: bool


class _Builder:
    """Builds `SDict` / `SList` values with origins from composed nodes, in one pass; records
    duplicate keys and whether any key is a number. Without `positions`, plain dicts and lists
    equal to those (the same merges, budget and refusals), for a text read only to compare what it
    holds (`read_data`): a key's or item's origin is a tuple built from its node's mark, and
    leaving them out builds a large file's data in two thirds of the time."""

    def __init__(self, path: str, budget: int, *, positions: bool = True) -> None:
        self.file = path
        self.positions = positions
        self.budget = budget
        self.keys: list[Key] = []  # the key path of the node being built
        self.duplicates: list[tuple[KeyPath, Position]] = []
        self.non_string_keys: list[tuple[KeyPath, Position, str]] = []
        self.int_keys = False
        self.open: set[int] = set()  # the ids of the collection nodes being built
        self.flat_sources: dict[int, _Brought] = {}  # `<<:` sources of scalars, by node id (`_brought`)

    def _spend(self, node: yaml.Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise InputError(
                "YAML expands to too many nodes through its aliases",
                where=f"{self.file}:{node.start_mark.line + 1}",
                fix="this looks like an alias bomb; write the values out or use fewer nested aliases",
            )

    def build(self, node: yaml.Node) -> Any:
        self.budget -= 1
        if self.budget < 0:
            self._spend(node)
        kind = type(node)
        if kind is _SCALAR_NODE:
            return _scalar_value(node)  # type: ignore[arg-type]  # the type was checked just above
        if kind not in _NODE_KINDS:  # a subclass (the pure-Python loader's nodes are these same classes)
            kind = next((k for k in _NODE_KINDS if isinstance(node, k)), kind)
            if kind is _SCALAR_NODE:
                return _scalar_value(node)  # type: ignore[arg-type]
        # `_enter`, inline: this runs once per mapping and list of a file
        ident = id(node)
        if len(self.keys) >= MAX_DEPTH or ident in self.open:
            self._refuse_entering(node)
        self.open.add(ident)
        if kind is _MAPPING_NODE:
            result: Any = self._mapping(node)  # type: ignore[arg-type]
        elif kind is _SEQUENCE_NODE:
            result = self._sequence(node)  # type: ignore[arg-type]
        else:
            raise InputError("unsupported YAML node", where=f"{self.file}:{node.start_mark.line + 1}")
        self.open.discard(ident)
        return Tagged(node.tag, result) if node.tag in _COMPOSE_TAGS else result

    def _enter(self, node: yaml.Node) -> None:
        """Start building a mapping or list: refuse one nested too deep, or one that holds an
        alias of itself (`a: &a [*a]` would expand forever)."""
        if len(self.keys) >= MAX_DEPTH or id(node) in self.open:
            self._refuse_entering(node)
        self.open.add(id(node))

    def _refuse_entering(self, node: yaml.Node) -> NoReturn:
        """`_enter`'s refusals: nested too deep, or an alias inside what it names."""
        if len(self.keys) >= MAX_DEPTH:
            raise too_deep(f"{self.file}:{node.start_mark.line + 1}")
        raise InputError(
            "a YAML alias refers to the mapping or list that holds it",
            where=f"{self.file}:{node.start_mark.line + 1}",
            fix="an alias may only name a value defined outside it",
        )

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        """`build` of a scalar, with the common case (plain text) of `_scalar_value` inline: this
        runs once per value of a file."""
        self.budget -= 1
        if self.budget < 0:
            self._spend(node)
        text = node.value
        if node.tag == _STR_TAG and not node.style and text and text[0] not in _NUMBER_START:
            return _WORDS.get(text, text)
        return _scalar_value(node)

    def _sequence(self, node: yaml.SequenceNode) -> list[Any]:
        file = self.file
        keys = self.keys
        scalar = self._scalar
        positions = self.positions
        values: list[Any] = []
        origins: list[Origin | None] = []
        for index, item in enumerate(node.value):
            if positions:
                mark = item.start_mark
                origins.append(_new_origin(Origin, (file, mark.line + 1, mark.column + 1)))
            if type(item) is _SCALAR_NODE:  # (a scalar needs no key path)
                values.append(scalar(item))
                continue
            keys.append(index)
            values.append(self.build(item))
            keys.pop()
        return _new_slist(values, origins) if positions else values

    def _mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        file = self.file
        keys = self.keys
        scalar = self._scalar
        positions = self.positions
        origins: dict[Any, Origin] = {}
        out = _new_sdict(origins) if positions else {}
        merged: dict[Any, Any] | None = None  # what `<<:` brings in: the first source to set a key wins
        merged_origins: dict[Any, Origin] = _NO_ORIGINS  # (made with `merged`: most mappings merge nothing)
        for key_node, value_node in node.value:
            tag = key_node.tag
            text = key_node.value
            if (
                tag == _STR_TAG
                and not key_node.style
                and text
                and text[0] not in _NUMBER_START
                and text not in _WORDS
                and text != "<<"
            ):
                key: Key = text  # a plain string key, as most are
            elif tag == _MERGE_TAG or (isinstance(key_node, yaml.ScalarNode) and text == "<<" and not key_node.style):
                if merged is None:
                    merged_origins = {}
                    merged = _new_sdict(merged_origins) if positions else {}
                if type(value_node) is _MAPPING_NODE:  # one source, as most merges (`_merge_sources`, inline)
                    self.budget -= 1
                    if self.budget < 0:
                        self._spend(value_node)
                    sources: Sequence[yaml.MappingNode] = (value_node,)
                else:
                    sources = self._merge_sources(value_node)
                for source in sources:
                    brought = self._brought(source)
                    # (with positions, every mapping this builder makes is an `SDict`)
                    brought_origins: dict[Any, Origin] = brought.origins if positions else _NO_ORIGINS
                    if not merged:  # the first source (most often the only one): every key comes in
                        merged.update(brought)
                        merged_origins.update(brought_origins)
                        continue
                    for name, item in brought.items():
                        if name not in merged:
                            merged[name] = item
                            if name in brought_origins:
                                merged_origins[name] = brought_origins[name]
                continue
            else:
                key = self._key(key_node)
            if key in out:
                mark = key_node.start_mark
                self.duplicates.append(((*keys, key), Position(mark.line + 1, mark.column + 1)))
            if positions:
                mark = key_node.start_mark
                origins[key] = _new_origin(Origin, (file, mark.line + 1, mark.column + 1))
            if type(value_node) is _SCALAR_NODE:  # (a scalar needs no key path)
                out[key] = scalar(value_node)
                continue
            if type(value_node) is _MAPPING_NODE and len(value_node.value) == 1:
                reused = self._merged_alone(value_node)
                if reused is not None:  # (`sN: {<<: *base}`, every service of a large stack)
                    out[key] = reused
                    continue
            keys.append(key)
            out[key] = self.build(value_node)
            keys.pop()
        if merged is None:
            return out
        if out:  # the mapping's own keys win over merged ones
            merged.update(out)
            merged_origins.update(origins)
        return merged

    def _merged_alone(self, node: yaml.MappingNode) -> dict[Any, Any] | None:
        """`build` of a mapping of one `<<:` of a source `_brought` keeps (`{<<: *base}`), where
        building it would take that source as it is: a copy of it, the alias budget spent as
        `build`, `_mapping` and `_brought` spend it. None where it would do more than that (a tag,
        nested too deep, an alias of a mapping being built, a budget that runs out, duplicate or
        non-text keys to report at the key path): `build` it."""
        ((key_node, source),) = node.value
        known = self.flat_sources.get(id(source))
        if (
            known is None
            or known.spent > self.budget - 2
            or known.duplicates
            or known.non_string_keys
            or type(source) is not _MAPPING_NODE
            or node.tag in _COMPOSE_TAGS
            or len(self.keys) + 1 >= MAX_DEPTH
            or id(node) in self.open
            or not (
                key_node.tag == _MERGE_TAG
                or (isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style)
            )
        ):
            return None
        self.budget -= 2 + known.spent  # the mapping, its `<<:` source, and what building that spent
        self.int_keys = self.int_keys or known.int_keys
        brought = known.mapping
        if not isinstance(brought, SDict):  # (without positions: a plain dict)
            return dict(brought)
        out = _new_sdict(dict(brought.origins))
        out.update(brought)
        return out

    def _brought(self, source: yaml.MappingNode) -> Any:
        """What one `<<:` source brings in (the caller copies it into the merging mapping; it keeps
        no reference to it). A source whose values are all scalars (the usual `x-base: &base` of an
        image and a restart policy, merged into every service) is built once and then reused:
        each use spends the alias budget and reports the duplicate and non-text keys inside it, at
        the merging mapping's key path, as building it again would. Where the budget would run out,
        it is built again, so the error names the node it always did. Its values are scalars, so
        sharing them shares nothing mutable, and nothing inside it nests deeper or refers to a
        mapping being built (a source merging itself fails on its first build, and is not kept).
        So a source reused is not entered again (`_enter`): the merging mapping, at the same
        depth, was, and a mapping of scalars holds none being built."""
        known = self.flat_sources.get(id(source))
        if known is not None and known.spent <= self.budget:
            self.budget -= known.spent
            if known.duplicates or known.non_string_keys:
                here = tuple(self.keys)
                self.duplicates.extend(((*here, *keys), at) for keys, at in known.duplicates)
                self.non_string_keys.extend(((*here, *keys), at, what) for keys, at, what in known.non_string_keys)
            self.int_keys = self.int_keys or known.int_keys
            return known.mapping
        self._enter(source)
        brought = self._build_source(source)
        self.open.discard(id(source))
        return brought

    def _build_source(self, source: yaml.MappingNode) -> dict[Any, Any]:
        """Build a `<<:` source, and keep it for `_brought` when its values are all scalars."""
        depth, budget, int_keys = len(self.keys), self.budget, self.int_keys
        duplicates, non_string_keys = len(self.duplicates), len(self.non_string_keys)
        self.int_keys = False
        brought = self._mapping(source)
        if all(type(value) in _SCALAR_TYPES for value in brought.values()):
            self.flat_sources[id(source)] = _Brought(
                brought,
                budget - self.budget,
                tuple((keys[depth:], at) for keys, at in self.duplicates[duplicates:]),
                tuple((keys[depth:], at, what) for keys, at, what in self.non_string_keys[non_string_keys:]),
                self.int_keys,
            )
        self.int_keys = self.int_keys or int_keys
        return brought

    def _merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        self._spend(node)
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.MappingNode) for n in node.value):
            return list(node.value)
        raise InputError(
            "a `<<:` merge key must point to a mapping or a list of mappings",
            where=f"{self.file}:{node.start_mark.line + 1}",
            fix="merge an anchored mapping, like `<<: *defaults`",
        )

    def _key(self, node: yaml.Node) -> Key:
        if not isinstance(node, yaml.ScalarNode):
            raise InputError(
                "a mapping key must be a plain value, not a list or mapping",
                where=f"{self.file}:{node.start_mark.line + 1}",
            )
        value = _scalar_value(node)
        if type(value) is str:
            return value
        what = (
            "a date and time" if isinstance(value, str)
            else "null" if value is None
            else "a boolean" if isinstance(value, bool)
            else "a number"
        )  # fmt: skip
        mark = node.start_mark
        self.non_string_keys.append(((*self.keys, str(node.value)), Position(mark.line + 1, mark.column + 1), what))
        if isinstance(value, int) and not isinstance(value, bool):
            self.int_keys = True
            return value
        return str(node.value)  # kept as written: `true:` or `1.5:` (compose refuses them all)


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a block that builds many objects and leaves few cycles.

    Composing a large file creates hundreds of thousands of nodes and marks, and each time the
    collector runs it walks all of them: with it on, reading 2000 services takes four times as
    long. Reference counting still frees everything that is not in a cycle.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse_document(text: str, path: str, *, generated: bool = False) -> Document:
    """Read YAML text into a positioned `Document`; an empty file reads as an empty mapping.
    `generated`: text composegen wrote itself (an overlay), whose nesting its template bounds:
    not measured first (a large overlay has more `[` than `_C_SAFE_DEPTH`, each closed at once,
    and measuring it with the parser's events costs more than reading it)."""
    with paused_gc():
        return _parse_document(text, path, measure_depth=not generated)


def read_data(text: str, path: str) -> Any:
    """The data `parse_document(text, path)` reads (plain dicts and lists, equal to its `SDict`s and
    `SList`s), refused where it refuses, without the positions: for a text read only to compare
    what it holds (the fix planners' read-back of a fixed file)."""
    with paused_gc():
        node = _composed(text, path, measure_depth=True)
        if node is None:
            return {}
        return _Builder(path, _budget(text), positions=False).build(node)


def too_deep(where: str) -> InputError:
    return InputError(
        f"YAML nests more than {MAX_DEPTH} levels deep",
        where=where,
        fix="a compose file nests a few levels; check the file is the one you meant",
    )


def _could_nest_deeper_than(text: str, levels: int) -> bool:
    """Whether `text` could nest deeper than `levels`: `nesting_bound(text) > levels`, its line
    length asked only as far as the answer needs (`has_line_longer_than`)."""
    if len(text) <= levels:
        return False
    # flow + 2 * longest + 2 > levels, for whole numbers: longest > (levels - flow - 2) // 2
    return has_line_longer_than(text, (levels - flow_openers(text) - 2) // 2)


def has_line_longer_than(text: str, length: int) -> bool:
    """Whether a line of `text` (split at `\n`) is longer than `length`. A line of `length + 1`
    characters holds a whole block of `(length + 2) // 2` of them counted from the text's start,
    so where every such block holds a `\n` (a search in C, a few hundred of them for a large
    file) there is none; only otherwise are the lines measured (a large file's lines split into
    strings are the most of `nesting_bound`'s time)."""
    if length < 0:
        return True
    block = (length + 2) // 2
    if all(text.find("\n", start, start + block) >= 0 for start in range(0, len(text) - block + 1, block)):
        return False
    return max(map(len, text.split("\n"))) > length


def nesting_bound(text: str) -> int:
    """An upper bound, cheap to compute, on how deep `text` nests: each flow level opens a
    bracket (`flow_openers`), and each two block levels need a wider indent, so a longer line."""
    return flow_openers(text) + 2 * max(map(len, text.split("\n"))) + 2


def flow_openers(text: str) -> int:
    """The most flow collections `text` can open: two for each `[` (the sequence, and the
    single-pair mapping an entry of it opens when it holds `key: value`, as `[a: b]`: YAML 1.1
    §7.4.2), one for each `{`, but for the `{` of each `${`.

    That one opens nothing: `$` is no YAML indicator, so it ends a scalar (plain, quoted or
    block), a comment or a tag, and neither a scalar nor a tag (which a space must follow) can be
    followed at once by a collection. Not counting those keeps a file of compose's `${VAR}` (a
    1 MB file holds 12,000) from being read a second time, event by event, to measure a depth it
    cannot reach."""
    return 2 * text.count("[") + text.count("{") - text.count("${")


def _check_depth(text: str, path: str, loader: type[yaml.SafeLoader] = _Loader) -> None:
    """Refuse a text nesting deeper than MAX_DEPTH, reading the parser's events (no recursion).

    A syntax error met before that depth is left for the caller to report as such."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise too_deep(f"{path}:{mark.line + 1}" if mark is not None else path)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def _could_be_deep_at(text: str, index: int) -> bool:
    """Whether `text` could nest deeper than MAX_DEPTH where a parser stopped (`index`): the flow
    collections still open before it (brackets counted, quotes not read), plus two block levels a
    column of that line's indent (an indentless sequence shares its mapping's column)."""
    head = text[:index]
    flow = head.count("[") + head.count("{") - head.count("]") - head.count("}")
    line = head[head.rfind("\n") + 1 :]
    indent = len(line) - len(line.lstrip(" -"))
    return flow + 2 * (indent + 1) > MAX_DEPTH


def _refuse_if_too_deep(text: str, path: str, mark: yaml.Mark | None) -> None:
    """Before a syntax error is reported: composegen's own depth bound, when the parser may have
    stopped at a nesting limit of its own (libyaml's 1,000 levels), measured by the pure-Python
    parser on the text up to where the parser stopped."""
    if mark is None or mark.index is None or not _could_be_deep_at(text, mark.index):
        return
    _check_depth(text[: mark.index + 1], path, yaml.SafeLoader)


def _composed(text: str, path: str, *, measure_depth: bool) -> yaml.Node | None:
    """libyaml's node tree of `text` (None: an empty document), or one clear error."""
    try:
        if measure_depth and _could_nest_deeper_than(text, _C_SAFE_DEPTH):
            _check_depth(text, path)
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        _refuse_if_too_deep(text, path, mark)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = err.problem or err.context or "invalid YAML"
        raise InputError(
            f"YAML syntax error: {problem}",
            where=where,
            fix="fix the YAML at that line (tabs and unbalanced quotes are common causes)",
        ) from None
    except yaml.reader.ReaderError as err:
        raise _unacceptable_character(text, path, err.character) from None
    except yaml.YAMLError as err:
        raise InputError(
            f"YAML syntax error: {str(err).splitlines()[0]}", where=path, fix="the file must be UTF-8 YAML text"
        ) from None


def _budget(text: str) -> int:
    """How many nodes `text` may expand to through its aliases (see MIN_EXPANSION_BUDGET)."""
    return max(MIN_EXPANSION_BUDGET, len(text) // 4)


def may_hold_dollars(text: str) -> bool:
    """Whether a value or key the YAML `text` reads as may hold a `$` (`Document.has_dollars`):
    one written as it is, or a double-quoted escape of one (`\\x24`)."""
    return "$" in text or "\\" in text


def _parse_document(text: str, path: str, *, measure_depth: bool = True) -> Document:
    node = _composed(text, path, measure_depth=measure_depth)
    if node is None:
        return Document(path, SDict(), has_int_keys=False, has_tags=False, has_dollars=False, text=text)
    builder = _Builder(path, _budget(text))
    data = builder.build(node)
    root = Position(node.start_mark.line + 1, node.start_mark.column + 1)
    tags = "!reset" in text or "!override" in text  # (a comment that names one just says "maybe")
    return Document(
        path,
        data,
        None,
        tuple(builder.duplicates),
        root=root,
        has_int_keys=builder.int_keys,
        has_tags=tags,
        has_dollars=may_hold_dollars(text),
        non_string_keys=tuple(builder.non_string_keys),
        text=text,
    )


def _unacceptable_character(text: str, path: str, character: int | str) -> InputError:
    """A character YAML refuses (a control character) at its `file:line:column`. The parser's
    offset counts bytes or characters depending on the parser; YAML refuses the character anywhere
    in the stream, so its first occurrence is where the parser stopped."""
    char = chr(character) if isinstance(character, int) else character[:1]
    index = text.find(char) if char else -1
    where = path
    if index >= 0:
        line = text.count("\n", 0, index) + 1
        column = index - text.rfind("\n", 0, index)
        where = f"{path}:{line}:{column}"
    code = f"{ord(char):02x}" if char else "?"
    kind = "control character" if char and (char < " " or "\x7f" <= char <= "\x9f") else "character"
    return InputError(
        f"{kind} #x{code} is not allowed in YAML",
        where=where,
        fix=f'remove it, or write it as an escape like "\\x{code}" in a double-quoted string',
    )


def _too_large(path: Path, size: int) -> InputError:
    return InputError(
        f"file is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit ({size // (1024 * 1024)} MiB)",
        where=str(path),
        fix="split it or point composegen at the right file",
    )


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes, at most MAX_FILE_BYTES of them, or one clear error: missing,
    a folder, a FIFO or device (reading one would block or never end), unreadable, too large."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                "is not a regular file (a pipe, socket or device)", where=str(path), fix="name a YAML file"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise _too_large(path, info.st_size)
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    except FileNotFoundError:
        raise InputError("file not found", where=str(path), fix="check the path, or create the file") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", where=str(path), fix="name a YAML file") from None
    except PermissionError:
        raise InputError("file is not readable", where=str(path), fix="check its permissions") from None
    except OSError as err:  # a name too long, a loop of symlinks, an I/O error...
        raise os_error(err, path, "read the file") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(path, len(raw))
    return raw


def read_text(path: Path) -> str:
    """A file's text, or one clear error: missing, unreadable, too large, binary, not UTF-8."""
    raw = read_bytes(path)
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(
            "file holds binary data, not YAML text", where=_line_of(path, raw, nul), fix="name a YAML file"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"file is not UTF-8 text (byte {err.start})", where=_line_of(path, raw, err.start), fix="save it as UTF-8"
        ) from None


def _line_of(path: Path, raw: bytes, offset: int) -> str:
    """`file:line` of a byte offset."""
    line = raw.count(b"\n", 0, offset) + 1
    return f"{path}:{line}"


def read_document(path: Path, display: str | None = None) -> Document:
    """Read a YAML file into a positioned `Document`, parsed afresh: a caller that reads a file
    twice and wants one parse keeps the `Document` itself (a render hands the base it planned from
    to the check, `load_stack(read=...)`)."""
    return parse_document(read_text(path), display or str(path))


def require_no_duplicates(doc: Document) -> None:
    """Raise on the first duplicate key: composegen's own files must not have any."""
    for keys, pos in doc.duplicate_keys:
        raise InputError(
            f"duplicate key {keys[-1]!r}", where=f"{doc.path}:{pos.line}", fix="keep one of the two entries"
        )


def walk(doc: Document) -> Iterator[tuple[KeyPath, Position]]:
    """Every recorded key path with its position, in file order."""
    yield from sorted(doc.positions.items(), key=lambda item: (item[1].line, item[1].column))


# --- writing -------------------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    printable = (
        0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
    ) and code not in (0xFEFF, 0x2028, 0x2029)
    if printable:
        return char
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


#: Text every character of which `_escape_char` keeps as it is: printable ASCII but `"` and `\`.
_AS_IS = re.compile(r"[ !#-\[\]-~]*")
#: A character `_AS_IS` does not take: one `_escape_char` may escape.
_MAY_ESCAPE = re.compile(r"[^ !#-\[\]-~]")


def _escape_found(found: re.Match[str]) -> str:
    return _escape_char(found.group())


def quote(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`, whatever it holds."""
    if _AS_IS.fullmatch(text):  # most text: nothing to escape, no need to look at each character
        return '"' + text + '"'
    return '"' + _MAY_ESCAPE.sub(_escape_found, text) + '"'  # (only the other characters looked at)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*")


def key(text: str) -> str:
    """A mapping key: plain when that reads back unchanged under YAML 1.1 and 1.2, else quoted."""
    special = text.lower() in {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
    return text if _PLAIN_KEY.fullmatch(text) and not special else quote(text)  # (`$` would pass "a\n")


def scalar(value: Any) -> str:
    """The YAML-safe form of a value, as flow YAML: the form `dump` writes every value in.

    Strings are always double-quoted (a `:`, `#`, quote or newline never breaks the file, and
    memory values stay strings as compose v2 requires); lists and mappings become flow
    collections of the same.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{quote(str(k))}: {scalar(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    raise TypeError(f"no YAML form for {type(value).__name__}")


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """Text safe inside a YAML comment: no line breaks or control characters."""
    return text if text.isprintable() else _LINE_BREAKS.sub(" ", text)


class Layout(NamedTuple):
    """How `dump` lays out block YAML: compose files and Kubernetes manifests differ."""

    #: Before a block sequence's `- `, inside its key: compose files indent it, manifests do not.
    sequence_indent: str = "  "
    #: A mapping or list inside a block sequence: on one line (`- {"type": "tmpfs", ...}`), or as a
    #: block of its own under the `- `.
    flow_items: bool = True
    #: Keys whose list is written on one line (`command: ["a", "b"]`) instead of as a block.
    flow_lists: frozenset[str] = frozenset()


#: Compose files: indented sequences, their mappings on one line.
COMPOSE = Layout()
#: Kubernetes manifests and Prometheus rules: sequences flush with their key, items as blocks.
KUBERNETES = Layout(sequence_indent="", flow_items=False)


def dump(
    data: Mapping[Any, Any],
    *,
    layout: Layout = COMPOSE,
    header: Sequence[str] = (),
    comments: Mapping[KeyPath, str] | None = None,
) -> str:
    """One YAML document for a mapping of plain data (mappings, lists and tuples, scalars), in
    block style, keys in the order given: every key through `key`, every value through `scalar`;
    an empty mapping or list is written `{}` / `[]`.

    `header`: comment lines above the document; `comments`: a comment line above the key at each
    key path, like `("services", "api")`. Comments are made one line (`one_line`).
    """
    lines = [f"# {one_line(text)}" for text in header]
    writer = _Writer(lines, layout, comments or {})
    writer.mapping(data, "", ())
    return "\n".join(lines) + "\n"


def entry_lines(
    entries: Iterable[tuple[Any, Any, str | None]], *, layout: Layout = COMPOSE, depth: int = 0
) -> Iterator[list[str]]:
    """`dump`'s lines for each entry of a mapping `depth` levels in, one list per entry, made as
    they are asked for: a caller can write a large mapping an entry at a time and stop (render
    stops once a file passes what composegen reads back). An entry is (key, value, the comment
    above it or None). A mapping's lines in `dump` are its entries' lines in turn, under the
    line of its own key (`services:`); its comments are those at its entries' key paths, and none
    may lie deeper (below an entry, no key path is followed)."""
    writer = _Writer([], layout, {})
    pad = "  " * depth
    for name, value, comment in entries:
        writer.lines = lines = [] if comment is None else [f"{pad}# {one_line(comment)}"]
        writer.plain_mapping({name: value}, pad)
        yield lines


def text_bytes(lines: Sequence[str]) -> int:
    """The UTF-8 bytes of `lines` written one a line, as `dump` writes them (ASCII text: its
    length, read off without encoding it)."""
    text = "\n".join(lines)
    return (len(text) if text.isascii() else len(text.encode("utf-8"))) + (1 if lines else 0)


def dump_all(documents: Sequence[Mapping[Any, Any]], *, layout: Layout = KUBERNETES) -> str:
    """Documents separated by `---`, each as `dump` writes it."""
    return Documents(layout).dump_all(documents)


class Documents:
    """`dump_all` for many calls, each text quoted once for all of them: `export k8s` writes one
    file per service, and the services' manifests share most of their texts (`apps/v1`, labels,
    probes). A mapping or list met again (the same object) is written from the lines it gave
    before (`_Writer.met`): the documents must not change between calls. Gives exactly what
    `dump_all` gives."""

    def __init__(self, layout: Layout = KUBERNETES) -> None:
        self._writer = _Writer([], layout, {})
        self._writer.met = {}  # (a mapping or list met again is repeated: see `_Writer.met`)

    def dump_all(self, documents: Sequence[Mapping[Any, Any]]) -> str:
        return "\n".join([*self.lines(documents), ""]) if documents else ""

    def lines(self, documents: Sequence[Mapping[Any, Any]]) -> list[str]:
        """The lines of `dump_all(documents)`, `---` between documents: its text is them joined
        with newlines, and a last one. (A caller that writes text before them joins it in too:
        one copy of the text, not one for each document, one for the stream and one for the
        text before it.) An item may hold several lines (see `_Writer.repeat`)."""
        writer = self._writer
        lines: list[str] = []
        writer.lines = lines
        for index, document in enumerate(documents):
            if index:
                lines.append("---")
            start = len(lines)
            writer.plain_mapping(document, "")  # (no comments: no key path to follow)
            if len(lines) == start:
                lines.append("")  # (an empty document is an empty line, as `dump_all` writes it)
        return lines


#: `_Writer.heads` at an indentation where no key was written yet.
_NO_HEADS: dict[str, str] = {}
#: Values `scalar` writes whatever the layout: no container to look into.
_PLAIN_SCALARS = frozenset({int, float, bool, type(None)})


class _Writer:
    """The lines of one `dump`. Key paths are followed only as deep as a comment goes."""

    __slots__ = ("above", "blocks", "heads", "layout", "lines", "met", "quoted", "reach")

    def __init__(self, lines: list[str], layout: Layout, comments: Mapping[KeyPath, str]) -> None:
        self.lines = lines
        self.layout = layout
        #: `quote` of each string value written so far: a stack's services repeat most of theirs
        #: ("50M", "unless-stopped", the profile's labels), and a look-up costs less than quoting
        self.quoted: dict[str, str] = {}
        #: by indentation, the start of each text key's line written so far (`  memory: `): the
        #: same keys at the same depths in every document (`export k8s` writes 700,000 lines)
        self.heads: dict[str, dict[str, str]] = {}
        #: per mapping that holds a commented key: {key: its comment}
        self.above: dict[KeyPath, dict[Any, str]] = {}
        for path, text in comments.items():
            self.above.setdefault(path[:-1], {})[path[-1]] = text
        self.reach = max(map(len, self.above), default=-1)  # the longest path with a comment inside
        #: `Documents`' writer (None for one `dump`): each mapping and list written so far, by `id`
        #: (kept, so that no other object takes its `id`), and the lines of those met more than once,
        #: by `id` and indentation. `export k8s` builds a part many services share (a role's probes,
        #: their limits) once, and one object is written once and repeated (the documents do not
        #: change between `dump_all` calls).
        self.met: dict[int, object] | None = None
        self.blocks: dict[tuple[int, str], str] = {}

    def inside(self, path: KeyPath | None, name: Any) -> KeyPath | None:
        """The path of `name` in the mapping or list at `path`, while a comment may lie below."""
        return (*path, name) if path is not None and len(path) < self.reach else None

    def head(self, pad: str, name: Any) -> str:
        """The start of the line of key `name` at `pad` (`  name: `), kept where it is text (`True`
        and `1` are one dict key: a key of another type is not kept)."""
        head = f"{pad}{key(name) if type(name) is str else key(str(name))}: "
        if type(name) is str:
            self.heads.setdefault(pad, {})[name] = head
        return head

    def mapping(self, data: Mapping[Any, Any], pad: str, path: KeyPath | None) -> None:
        if path is None:  # (no comment below: the quicker way)
            self.plain_mapping(data, pad)
            return
        append = self.lines.append
        above = self.above.get(path)
        flow_lists = self.layout.flow_lists
        quoted = self.quoted
        heads = self.heads.get(pad, _NO_HEADS)
        for name, value in data.items():
            head = heads.get(name) if type(name) is str else None
            if head is None:
                head = self.head(pad, name)
            if above is not None and name in above:
                append(f"{pad}# {one_line(above[name])}")
            kind = type(value)
            if kind is str:  # most values: checked first
                text = quoted.get(value)
                if text is None:
                    text = quoted[value] = quote(value)
                append(head + text)
            elif kind is int:
                append(f"{head}{value}")  # (`scalar`'s form of an int)
            elif kind in _PLAIN_SCALARS or not value:  # (an empty mapping or list is written `{}` / `[]`)
                append(head + scalar(value))
            elif kind is dict or (kind is not list and isinstance(value, Mapping)):  # (`is`: no ABC look-up)
                append(head[:-1])
                self.mapping(value, pad + "  ", self.inside(path, name))
            elif isinstance(value, (list, tuple)) and name not in flow_lists:
                append(head[:-1])
                self.sequence(value, pad + self.layout.sequence_indent, self.inside(path, name))
            else:
                append(head + scalar(value))

    def plain_mapping(self, data: Mapping[Any, Any], pad: str) -> None:
        """`mapping` below every comment (all of `Documents`' documents): no key path followed, and
        the usual values tried first (text, a number, a mapping, a list)."""
        met = self.met
        if met is not None:
            ident = id(data)
            if ident in met:
                self.repeat(ident, data, pad, self.new_mapping)
                return
            met[ident] = data
        self.new_mapping(data, pad)

    def repeat(self, ident: int, data: Any, pad: str, write: Callable[[Any, str], None]) -> None:
        """The lines of `data` (`id` `ident`, met before) at `pad`: those kept from the first time
        they were written there, else written (`write`) and kept. Kept as one text, their lines
        joined, which stands in `lines` as one item: `lines` is joined with newlines in the end,
        so the text is the same, and a block repeated costs one item, not one a line (and a
        sequence item's `- `, put before its first line, goes before the block's)."""
        lines = self.lines
        block = self.blocks.get((ident, pad))
        if block is None:
            start = len(lines)
            write(data, pad)
            if len(lines) == start:
                return  # (nothing written: nothing to stand for)
            block = self.blocks[(ident, pad)] = "\n".join(lines[start:])
            del lines[start:]
        lines.append(block)

    def new_mapping(self, data: Mapping[Any, Any], pad: str) -> None:
        """`plain_mapping`'s writing of `data`, each line anew."""
        append = self.lines.append
        quoted = self.quoted
        flow_lists = self.layout.flow_lists
        heads = self.heads.get(pad, _NO_HEADS)
        inner = pad + "  "
        met = self.met
        for name, value in data.items():
            # (only text keys are kept, and no other key equals one: `True` and `1` find none)
            head = heads.get(name)
            if head is None:
                head = self.head(pad, name)
            kind = type(value)
            if kind is str:
                text = quoted.get(value)
                if text is None:
                    text = quoted[value] = quote(value)
                append(head + text)
            elif kind is int:
                append(f"{head}{value}")
            elif kind is dict and value:
                append(head[:-1])
                # `plain_mapping`, its look-up here: one call less for each of the mappings that
                # most lines are in (`export k8s` writes 140,000)
                if met is None:
                    self.new_mapping(value, inner)
                elif id(value) in met:
                    self.repeat(id(value), value, inner, self.new_mapping)
                else:
                    met[id(value)] = value
                    self.new_mapping(value, inner)
            elif kind is list and value and name not in flow_lists:
                append(head[:-1])
                self.sequence(value, pad + self.layout.sequence_indent, None)
            elif kind in _PLAIN_SCALARS or not value:
                append(head + scalar(value))
            elif kind is not list and isinstance(value, Mapping):
                append(head[:-1])
                self.plain_mapping(value, inner)
            elif isinstance(value, (list, tuple)) and name not in flow_lists:
                append(head[:-1])
                self.sequence(value, pad + self.layout.sequence_indent, None)
            else:
                append(head + scalar(value))

    def sequence(self, data: Sequence[Any], pad: str, path: KeyPath | None) -> None:
        met = self.met
        if met is not None and path is None:  # (as `plain_mapping`)
            ident = id(data)
            if ident in met:
                self.repeat(ident, data, pad, self.new_sequence)
                return
            met[ident] = data
        self.new_sequence(data, pad, path)

    def new_sequence(self, data: Sequence[Any], pad: str, path: KeyPath | None = None) -> None:
        """`sequence`'s writing of `data`, each line anew."""
        lines = self.lines
        quoted = self.quoted
        flow_items = self.layout.flow_items
        dash = pad + "- "
        for index, item in enumerate(data):
            if type(item) is str:  # most items: checked first
                text = quoted.get(item)
                if text is None:
                    text = quoted[item] = quote(item)
                lines.append(dash + text)
                continue
            if flow_items and isinstance(item, dict):  # (a port range's 65,535 `{"target": ...}`)
                lines.append(dash + self.flow(item))
                continue
            kind = type(item)  # (`is` first: no ABC look-up for a dict)
            nested = (kind is dict or isinstance(item, (Mapping, list, tuple))) and len(item) > 0
            if not nested or flow_items:
                lines.append(f"{pad}- {scalar(item)}")
                continue
            start = len(lines)  # the item as a block two columns in, its first line after the `- `
            inner = None if path is None else self.inside(path, index)
            if inner is None and (kind is dict or isinstance(item, Mapping)):
                self.plain_mapping(item, pad + "  ")
            elif kind is dict or isinstance(item, Mapping):
                self.mapping(item, pad + "  ", inner)
            else:
                self.sequence(item, pad + "  ", inner)
            lines[start] = f"{pad}- {lines[start].lstrip()}"

    def flow(self, data: Mapping[Any, Any]) -> str:
        """`scalar(data)` for a mapping, its text keys and values quoted once a dump (`quoted`)."""
        quoted = self.quoted
        parts = []
        for name, value in data.items():
            if type(name) is str:
                head = quoted.get(name)
                if head is None:
                    head = quoted[name] = quote(name)
            else:
                head = quote(str(name))
            kind = type(value)
            if kind is str:
                text = quoted.get(value)
                if text is None:
                    text = quoted[value] = quote(value)
            elif kind is int:
                text = str(value)
            else:
                text = scalar(value)
            parts.append(f"{head}: {text}")
        return "{" + ", ".join(parts) + "}"


class NotReadBack(Exception):
    """What `dump` writes for some data may not read back as that data: parse the text instead."""


#: The longest key (as `dump` writes it, quotes and escapes included) `read_back` vouches for:
#: YAML reads an implicit key of at most 1,024 characters (libyaml and PyYAML alike).
_LONGEST_KEY = 1000
#: Keys of at most this many characters are written within `_LONGEST_KEY` whatever they hold
#: (each character escapes to at most 10, as `\UXXXXXXXX`).
_SURELY_SHORT_KEY = (_LONGEST_KEY - 2) // 10


def read_back(data: Mapping[Any, Any], path: str, text: str | None = None) -> Document:
    """The `Document` that `parse_document(dump(data), path)` gives, built from the data itself
    without writing and reading the text: what the reader makes of what `dump` writes. Keys are
    text (`dump` writes each as text); strings stay strings (always quoted); a number, boolean or
    null is what its plain form reads as (`scalar`, then the reader's rules); tuples are lists.
    Nothing has a position: a caller that needs lines parses the text. Two keys that `dump`
    writes alike (`1` and `"1"`) are a duplicate key, at the document's start. A key written
    longer than YAML reads as a key (1,024 characters) raises `NotReadBack`: parse the text.
    `text`: what `dump` wrote of `data`, when the caller has it: its `$`s decide `has_dollars` as
    they do the parsed document's (without it, any value may hold one: interpolation walks all).
    tests/test_yamlio.py pins that this and parsing the dumped text agree."""
    duplicates: list[tuple[KeyPath, Position]] = []

    def build(value: Any, keys: KeyPath) -> Any:  # `keys`: the path of `value`, for what is reported
        if type(value) in _PLAIN_SCALARS:  # (a port range's 65,535 targets: no ABC look-up)
            return _plain(scalar(value))
        if isinstance(value, Mapping):
            out = _new_sdict({})
            for name, item in value.items():
                if type(name) is str:
                    text = name  # (str keys of one mapping never collide)
                else:
                    text = str(name)
                    if text in out or text in value:  # `1` and `"1"`, in either order
                        duplicates.append(((*keys, text), _START))
                if len(text) > _SURELY_SHORT_KEY and len(key(text)) > _LONGEST_KEY:
                    raise NotReadBack(f"a key of {len(text)} characters at {'.'.join(map(str, keys))}")
                out[text] = item if type(item) is str or _reads_as_itself(item) else build(item, (*keys, text))
            return out
        if isinstance(value, (list, tuple)):
            items = [
                item if type(item) is str or _reads_as_itself(item) else build(item, (*keys, index))
                for index, item in enumerate(value)
            ]
            return _new_slist(items, [None] * len(items))
        if isinstance(value, str):
            return str(value)  # a subclass (a `Timestamp` copied from a base) is written quoted: text
        return _plain(scalar(value))

    dollars = True if text is None else may_hold_dollars(text)
    return Document(
        path, build(data, ()), None, tuple(duplicates), has_int_keys=False, has_tags=False, has_dollars=dollars
    )


#: Ints below this are written as at most 19 digits (`scalar`), which `_number` reads as an int.
_PLAIN_INT_END = 10**19


def _reads_as_itself(value: Any) -> bool:
    """Whether `_plain(scalar(value))` is `value` itself, by its type alone: an int that `dump`
    writes as a plain decimal of at most 19 digits (a port range's 65,535 targets, every count)."""
    return type(value) is int and 0 <= value < _PLAIN_INT_END


def _plain(text: str) -> Any:
    """What the reader makes of a plain scalar (`scalar`'s form of a number, boolean or null)."""
    if not text or text[0] not in _NUMBER_START:
        return _WORDS.get(text, text)
    return _number(text)


# --- round trip (editing) --------------------------------------------------------------------


def load_roundtrip(text: str, path: str) -> Any:
    """ruamel.yaml round-trip load, for edits that must keep comments, anchors and key order."""
    from ruamel.yaml import YAML  # lazy: only the editing paths pay for ruamel
    from ruamel.yaml.error import MarkedYAMLError

    reader = YAML(typ="rt")
    reader.preserve_quotes = True  # `"80:80"` and `"no"` must come back quoted
    try:
        return reader.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        raise InputError(f"YAML syntax error: {err.problem}", where=where) from None


def dump_roundtrip(data: Any) -> str:
    """Write round-trip data back to text, with compose's customary two-space indent."""
    from ruamel.yaml import YAML

    writer = YAML(typ="rt")
    writer.preserve_quotes = True
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.width = 4096
    buffer = io.StringIO()
    writer.dump(data, buffer)
    return buffer.getvalue()
