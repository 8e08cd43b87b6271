"""The only module that parses or writes YAML.

Two readers, one writer:
- `read_document` / `parse_document`: fast positioned reading. libyaml composes the node tree
  (`yaml.compose` with the C loader keeps line and column on every node at a tenth of the cost of
  a round-trip parse: facts/performance.md §Parsing), then plain Python values are built from the
  nodes with the YAML 1.2 core schema that compose-go's yaml.v3 uses (`no`, `on` and `22:22` stay
  strings), `<<:` merge keys applied, aliases expanded under a budget (alias bombs), duplicate keys
  recorded, and the `!reset` / `!override` tags of compose v2 kept as markers.
- `load_roundtrip` / `dump_roundtrip`: ruamel.yaml round-trip for editing a user's file, keeping
  comments, anchors and key order.
- `scalar`: the one YAML-safe quoting of a value, used by the render templates.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from composegen.errors import InputError

Key = str | int
KeyPath = tuple[Key, ...]

#: How many nodes one document may expand to once aliases are followed (alias-bomb bound): at
#: least this many, more for a large file (one node per 4 bytes of text is far above real files).
MIN_EXPANSION_BUDGET = 200_000
#: Largest file read, in bytes.
MAX_FILE_BYTES = 64 * 1024 * 1024

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2 core schema, as compose-go's yaml.v3 decodes into untyped values.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


@dataclass(frozen=True)
class Tagged:
    """A compose v2 `!reset` or `!override` value (facts/compose-spec.md §Merge)."""

    tag: str
    value: Any


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Document:
    """Plain values read from one YAML file, with the position of every key and item."""

    path: str
    data: Any
    positions: Mapping[KeyPath, Position] = field(default_factory=dict)
    duplicate_keys: tuple[tuple[KeyPath, Position], ...] = ()

    def position(self, keys: KeyPath) -> Position | None:
        """The position of `keys`, or of its nearest ancestor that has one."""
        for end in range(len(keys), -1, -1):
            found = self.positions.get(keys[:end])
            if found is not None:
                return found
        return None

    def where(self, keys: KeyPath = ()) -> str:
        """`file:line` for a key path, for error messages."""
        pos = self.position(keys)
        return f"{self.path}:{pos.line}" if pos else self.path


def _scalar_value(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.tag == "!reset":
        return Tagged("!reset", None if text == "" else text)
    if node.tag == "!override":
        return Tagged("!override", text)
    if node.style in ("'", '"', "|", ">"):
        return text
    if node.tag not in (
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:timestamp",
        "tag:yaml.org,2002:value",
        "tag:yaml.org,2002:merge",
    ):
        return text
    if not _is_plain_special(text):
        return text
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    if _FLOAT.match(text):
        lowered = text.lower()
        if lowered.endswith((".inf", ".nan")):
            return float(lowered.replace(".", ""))
        return float(text)
    return text


def _is_plain_special(text: str) -> bool:
    return bool(_NULL.match(text) or _BOOL.match(text) or _INT.match(text) or _FLOAT.match(text))


class _Builder:
    """Builds plain values from composed nodes, recording positions and duplicate keys."""

    def __init__(self, path: str, budget: int) -> None:
        self.path = path
        self.positions: dict[KeyPath, Position] = {}
        self.duplicates: list[tuple[KeyPath, Position]] = []
        self.budget = budget

    def _spend(self, node: yaml.Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise InputError(
                "YAML expands to too many nodes through its aliases",
                where=f"{self.path}:{node.start_mark.line + 1}",
                fix="this looks like an alias bomb; write the values out or use fewer nested aliases",
            )

    def build(self, node: yaml.Node, keys: KeyPath) -> Any:
        self._spend(node)
        if isinstance(node, yaml.ScalarNode):
            return _scalar_value(node)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.positions[(*keys, index)] = _pos(item)
                items.append(self.build(item, (*keys, index)))
            return Tagged(node.tag, items) if node.tag in ("!reset", "!override") else items
        if isinstance(node, yaml.MappingNode):
            result = self._mapping(node, keys)
            return Tagged(node.tag, result) if node.tag in ("!reset", "!override") else result
        raise InputError("unsupported YAML node", where=f"{self.path}:{node.start_mark.line + 1}")

    def _mapping(self, node: yaml.MappingNode, keys: KeyPath) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        explicit: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style
            ):
                for source in self._merge_sources(value_node):
                    for key, value in self._mapping(source, keys).items():
                        merged.setdefault(key, value)
                continue
            key = self._key(key_node)
            here = (*keys, key)
            if key in explicit:
                self.duplicates.append((here, _pos(key_node)))
            self.positions[here] = _pos(key_node)
            explicit[key] = self.build(value_node, here)
        merged.update(explicit)
        return merged

    def _merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        self._spend(node)
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.MappingNode) for n in node.value):
            return list(node.value)
        raise InputError(
            "a `<<:` merge key must point to a mapping or a list of mappings",
            where=f"{self.path}:{node.start_mark.line + 1}",
            fix="merge an anchored mapping, like `<<: *defaults`",
        )

    def _key(self, node: yaml.Node) -> Key:
        if not isinstance(node, yaml.ScalarNode):
            raise InputError(
                "a mapping key must be a plain value, not a list or mapping",
                where=f"{self.path}:{node.start_mark.line + 1}",
            )
        value = _scalar_value(node)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return str(node.value)  # compose keys are strings: `true:` or `1.5:` stay as written
        return value if isinstance(value, (int, str)) else str(node.value)


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def parse_document(text: str, path: str) -> Document:
    """Read YAML text into a positioned `Document`; an empty file reads as an empty mapping."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = err.problem or err.context or "invalid YAML"
        raise InputError(
            f"YAML syntax error: {problem}",
            where=where,
            fix="fix the YAML at that line (tabs and unbalanced quotes are common causes)",
        ) from None
    except yaml.YAMLError as err:
        raise InputError(
            f"YAML syntax error: {str(err).splitlines()[0]}", where=path, fix="the file must be UTF-8 YAML text"
        ) from None
    if node is None:
        return Document(path=path, data={}, positions={(): Position(1, 1)})
    builder = _Builder(path, max(MIN_EXPANSION_BUDGET, len(text) // 4))
    data = builder.build(node, ())
    builder.positions[()] = _pos(node)
    return Document(path=path, data=data, positions=builder.positions, duplicate_keys=tuple(builder.duplicates))


def read_text(path: Path) -> str:
    """A file's text, or one clear error: missing, unreadable, too large, not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"file is {size // (1024 * 1024)} MiB, over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit",
                where=str(path),
                fix="split it or point composegen at the right file",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", where=str(path), fix="check the path, or create the file") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", where=str(path), fix="name a YAML file") from None
    except PermissionError:
        raise InputError("file is not readable", where=str(path), fix="check its permissions") from None
    if b"\x00" in raw:
        raise InputError("file holds binary data, not YAML text", where=str(path), fix="name a YAML file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"file is not UTF-8 text (byte {err.start})", where=str(path), fix="save it as UTF-8"
        ) from None


def read_document(path: Path, display: str | None = None) -> Document:
    """Read a YAML file into a positioned `Document`."""
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


def quote(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`, whatever it holds."""
    return '"' + "".join(_escape_char(c) for c in text) + '"'


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")


def key(text: str) -> str:
    """A mapping key: plain when that reads back unchanged under YAML 1.1 and 1.2, else quoted."""
    special = text.lower() in {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
    return text if _PLAIN_KEY.match(text) and not special else quote(text)


def scalar(value: Any) -> str:
    """The YAML-safe form of a value, as flow YAML: the one filter every template value goes through.

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
