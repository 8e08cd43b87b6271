"""Plain compose values that remember where they were written.

`SDict` and `SList` are ordinary `dict` and `list` (json, jsonschema and `==` see plain values)
that also carry `origins`: for each key or item, the `Origin` (file, line, column) of the text it
came from. Every stage of loading (interpolation, extends, merge) builds new containers through
the helpers here, so an origin travels with its value: after `-f base.yml -f overlay.yml`, the
origin of `services.web.deploy.resources.limits.memory` is the line of whichever file set it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from composegen.yamlio import Document, KeyPath, Tagged


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a key or item was written: a file and a 1-based line and column."""

    file: str
    line: int
    column: int

    def where(self) -> str:
        """`file:line`, the form error messages and findings use."""
        return f"{self.file}:{self.line}"


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


def key_origin(container: Any, key: Any) -> Origin | None:
    """The origin of `container[key]` (a mapping key or a list index), if it is known."""
    if isinstance(container, SDict):
        return container.origins.get(key)
    if isinstance(container, SList) and isinstance(key, int) and 0 <= key < len(container.origins):
        return container.origins[key]
    return None


def items(value: Any) -> Iterator[tuple[Any, Origin | None]]:
    """`(item, origin)` for each item of a list, or `(key, origin)` for each key of a mapping."""
    if isinstance(value, SList):
        yield from zip(value, value.origins, strict=True)
    elif isinstance(value, list):
        for item in value:
            yield item, None
    elif isinstance(value, Mapping):
        for key in value:
            yield key, key_origin(value, key)


def annotate(doc: Document) -> Any:
    """The document's data as `SDict`/`SList` with the origin of every key and item.

    Mapping keys become strings, as compose-go makes them (`80: x` has the key `"80"`).
    """
    positions = doc.positions
    file = doc.path

    def origin(path: KeyPath) -> Origin | None:
        pos = positions.get(path)
        return Origin(file, pos.line, pos.column) if pos is not None else None

    def build(value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            out = SDict()
            for key, item in value.items():
                here = (*path, key)
                name = key if isinstance(key, str) else str(key)
                out[name] = build(item, here)
                found = origin(here)
                if found is not None:
                    out.origins[name] = found
            return out
        if isinstance(value, list):
            return SList(
                (build(item, (*path, index)) for index, item in enumerate(value)),
                (origin((*path, index)) for index in range(len(value))),
            )
        if isinstance(value, Tagged):
            return Tagged(value.tag, build(value.value, path))
        return value

    return build(doc.data, ())


def origin_at(data: Any, path: KeyPath) -> Origin | None:
    """The origin of the deepest key along `path` that has one (the key itself when it exists)."""
    found: Origin | None = None
    node = data
    for key in path:
        if isinstance(node, Mapping):
            if key not in node:
                break
            here = key_origin(node, key)
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            here = key_origin(node, key)
            node = node[key]
        else:
            break
        if here is not None:
            found = here
    return found


def dotted(path: KeyPath) -> str:
    """`services.web.ports[0]` for a key path."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def matches(pattern: tuple[str, ...], path: KeyPath) -> bool:
    """Whether a key path matches a pattern where `*` stands for any one key or index."""
    return len(pattern) == len(path) and all(
        want == "*" or want == got for want, got in zip(pattern, path, strict=True)
    )


def plain(value: Any) -> Any:
    """A deep copy as plain `dict`/`list` (for json dumps, comparisons, or callers that mutate)."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, Tagged):
        return Tagged(value.tag, plain(value.value))
    return value
