"""Plain compose values that remember where they were written.

`SDict` and `SList` are ordinary `dict` and `list` (json, the schema validator and `==` see plain
values) that also carry `origins`: for each key or item, the `Origin` (file, line, column) of the
text it came from. The YAML reader builds them (`composegen.yamlio`, where they are defined), and
every later stage of loading (interpolation, extends, merge) builds new containers through the
helpers here, so an origin travels with its value: after `-f base.yml -f overlay.yml`, the origin
of `services.web.deploy.resources.limits.memory` is the line of whichever file set it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeGuard

from composegen.yamlio import Document, KeyPath, Tagged
from composegen.yamlio import Origin as Origin
from composegen.yamlio import SDict as SDict
from composegen.yamlio import SList as SList

_SCALARS = (str, int, float, type(None), list)


def is_mapping(value: Any) -> TypeGuard[Mapping[Any, Any]]:
    """`isinstance(value, Mapping)`, quick for what compose data holds: asking an ABC is slow,
    and the many scalars and lists of a large file would each ask it."""
    return isinstance(value, dict) or (not isinstance(value, _SCALARS) and isinstance(value, Mapping))


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
    elif is_mapping(value):
        for key in value:
            yield key, key_origin(value, key)


def annotate(doc: Document) -> Any:
    """The document's data as `SDict`/`SList` with the origin of every key and item, and mapping
    keys as strings, as compose-go makes them (`80: x` has the key `"80"`).

    The reader builds exactly that already, so this is the document's own data (shared: every
    later stage copies what it changes) unless a key was written as a number.
    """
    if not doc.has_int_keys:
        return doc.data

    def build(value: Any) -> Any:
        if isinstance(value, dict):
            origins = value.origins if isinstance(value, SDict) else {}
            out = SDict()
            for key, item in value.items():
                name = key if isinstance(key, str) else str(key)
                out[name] = build(item)
                found = origins.get(key)
                if found is not None:
                    out.origins[name] = found
            return out
        if isinstance(value, list):
            return SList((build(item) for item in value), value.origins if isinstance(value, SList) else None)
        if isinstance(value, Tagged):
            return Tagged(value.tag, build(value.value))
        return value

    return build(doc.data)


def origin_at(data: Any, path: KeyPath) -> Origin | None:
    """The origin of the deepest key along `path` that has one (the key itself when it exists)."""
    found: Origin | None = None
    node = data
    for key in path:
        if type(node) is SDict:  # the common case, first: a finding's path looked up per finding
            if key not in node:
                break
            here = node.origins.get(key)
            node = node[key]
        elif is_mapping(node):
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
    if len(pattern) != len(path):
        return False
    # a loop, not all(...) over a generator: lint asks this thousands of times a file
    for want, got in zip(pattern, path, strict=True):  # noqa: SIM110
        if want != "*" and want != got:
            return False
    return True


TrieNode = dict[Any, Any]


class PathTrie:
    """Key-path patterns (`*`: any one key or index, as in `matches`) as a trie, to walk data along
    them: a walk carries the trie nodes its path has reached (`step`) and skips every part of the
    data no pattern can reach; `ends` says whether a pattern matches the path itself."""

    def __init__(self, patterns: Iterable[tuple[str, ...]]) -> None:
        self.root: TrieNode = {}
        for pattern in patterns:
            node = self.root
            for part in pattern:
                node = node.setdefault(part, {})
            node[None] = True  # a pattern ends here

    def start(self, path: KeyPath = ()) -> tuple[TrieNode, ...]:
        nodes: tuple[TrieNode, ...] = (self.root,)
        for key in path:
            nodes = step(nodes, key)
        return nodes


def step(nodes: tuple[TrieNode, ...], key: Any) -> tuple[TrieNode, ...]:
    """The trie nodes reached from `nodes` through `key` (a key, or a list index)."""
    if len(nodes) == 1:
        node = nodes[0]
        exact = node.get(key) if isinstance(key, str) and key != "*" else None
        star = node.get("*")
        if exact is None:
            return () if star is None else (star,)
        return (exact,) if star is None else (exact, star)
    found: list[TrieNode] = []
    for node in nodes:
        found.extend(step((node,), key))
    return tuple(found)


def ends(nodes: tuple[TrieNode, ...]) -> bool:
    """Whether a pattern ends at one of `nodes`: it matches the path walked to reach them."""
    return any(None in node for node in nodes)


def plain(value: Any) -> Any:
    """A deep copy as plain `dict`/`list` (for json dumps, comparisons, or callers that mutate)."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, Tagged):
        return Tagged(value.tag, plain(value.value))
    return value
