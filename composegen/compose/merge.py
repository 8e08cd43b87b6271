"""`docker compose -f a.yml -f b.yml`: merge compose files the way compose v2.40 (compose-go
v2.9.1) does, checked against the real binary by tests/compose.

Two tables drive it:
- `MERGERS`: how a key is merged when both files set it. Anything not listed follows the default:
  mappings merge key by key (later wins), sequences append, scalars are replaced, and a `null`
  in the later file keeps the earlier value.
- `UNIQUE`: sequences that, once merged, keep one entry per key (a later entry replaces the
  earlier one in its place): ports by ip/published/target/protocol, volumes and devices by target,
  secrets and configs by mount path, `KEY=VALUE` lists and dns/cap_add/profiles/tmpfs... by the
  text before `=`. Lists not listed here keep duplicates (the schema then rejects e.g. a repeated
  `security_opt`).

`!reset` removes a key (whatever value it carries); `!override` replaces the earlier value
without merging. Origins (`tree.Origin`) follow every value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from composegen.compose.syntax import (
    SyntaxProblem,
    device_target,
    go_format,
    parse_port,
    split_key_value,
    volume_target,
)
from composegen.compose.tree import Origin, SDict, SList, dotted, is_mapping, items, key_origin, matches
from composegen.errors import InputError
from composegen.yamlio import KeyPath, Tagged

Pattern = tuple[str, ...]
Merger = Callable[[Any, Any, KeyPath, "Origin | None"], Any]
Indexer = Callable[[Any], Any]

RESET = "!reset"
#: Values that are never containers nor tags: checked first, as `isinstance(x, Mapping)` is slow.
_SCALARS = (str, int, float, type(None))


def _lookup(path: KeyPath) -> Merger | None:
    """The merger of the first `MERGERS` pattern that matches `path`. Every merged value asks, so
    only the patterns of the path's length that end in its last key or in `*` are tried."""
    if not path:
        return None
    length = len(path)
    candidates = [*_BY_END.get((length, path[-1]), ()), *_BY_END.get((length, "*"), ())]
    if len(candidates) > 1:
        candidates.sort(key=lambda entry: entry[0])  # in MERGERS' order, as a plain scan would try them
    return next((merger for _, pattern, merger in candidates if matches(pattern, path)), None)


# --- tags ------------------------------------------------------------------------------------


def strip_tags(value: Any) -> Any:
    """A value with nothing earlier to merge into: `!override` gives its value, `!reset` removes.
    Parts without tags are returned as they are (shared, not copied)."""
    if isinstance(value, _SCALARS):  # most values: no tags inside (and no Mapping check, a slow one)
        return value
    if isinstance(value, Tagged):
        return None if value.tag == RESET else strip_tags(value.value)
    if is_mapping(value):
        out: SDict | None = None
        for key, item in value.items():
            if isinstance(item, _SCALARS) or not isinstance(item, (dict, list, Tagged, Mapping)):
                continue
            new = strip_tags(item)
            if new is item:
                continue
            if out is None:
                out = SDict(value, value.origins if isinstance(value, SDict) else None)
            if isinstance(item, Tagged) and item.tag == RESET:
                out.remove(key)
            else:
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        if not any(not isinstance(v, _SCALARS) and isinstance(v, (dict, list, Tagged, Mapping)) for v in value):
            return value
        pairs = [(strip_tags(v), o, v) for v, o in items(value) if not (isinstance(v, Tagged) and v.tag == RESET)]
        if len(pairs) == len(value) and all(new is old for new, _, old in pairs):
            return value
        return SList.of((new, origin) for new, origin, _ in pairs)
    return value


# --- default merge ---------------------------------------------------------------------------


def merge_values(base: Any, over: Any, path: KeyPath, origin: Origin | None = None, tagged: bool = True) -> Any:
    """`over` merged onto `base` at `path` (both present), following `MERGERS`. `tagged`: False
    where `over` is known to hold no `!reset`/`!override` (nothing to strip: `strip_tags` would
    return each part as it is, after walking it)."""
    merger = _lookup(path)
    if merger is not None:
        return merger(base, over, path, origin)
    if over is None:
        return base
    if isinstance(base, Mapping):
        if not isinstance(over, Mapping):
            raise _clash(base, over, path, origin)
        return merge_mappings(base, over, path, tagged)
    if isinstance(base, list):
        if not isinstance(over, list):
            raise _clash(base, over, path, origin)
        return SList.of([*items(base), *((strip_tags(v) if tagged else v, o) for v, o in items(over))])
    return strip_tags(over) if tagged else over


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a single value"


def _clash(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> InputError:
    return InputError(
        f"cannot override {dotted(path)}: the earlier file has {_kind(base)}, this one {_kind(over)}",
        where=origin.where() if origin else "",
        fix="write the value in the same form as the file it overrides, or tag it !override",
    )


def merge_mappings(base: Mapping[str, Any], over: Mapping[str, Any], path: KeyPath, tagged: bool = True) -> SDict:
    """Key by key: new keys are added, shared keys merged, `!reset` keys removed. `tagged`: as
    for `merge_values`."""
    out = SDict(base, base.origins if isinstance(base, SDict) else None)
    for key, value in over.items():
        origin = key_origin(over, key)
        if isinstance(value, Tagged):
            if value.tag == RESET:
                out.remove(key)
            else:
                out.set(key, strip_tags(value.value), origin)
            continue
        if key not in out:
            out.set(key, strip_tags(value) if tagged else value, origin)
            continue
        merged = merge_values(out[key], value, (*path, key), origin, tagged)
        out.set(key, merged, origin or out.origins.get(key))
    return out


# --- special mergers -------------------------------------------------------------------------


def _replace(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """command, entrypoint, healthcheck.test, ulimits.<name>: the later value, whole."""
    return strip_tags(over)


def _as_sequence(value: Any) -> list[tuple[Any, Origin | None]]:
    """compose-go's convertIntoSequence: a mapping becomes sorted `k=v` strings."""
    if isinstance(value, Mapping):
        entries: list[tuple[Any, Origin | None]] = []
        for key, item in value.items():
            origin = key_origin(value, key)
            if item is None:
                entries.append((str(key), origin))
            elif isinstance(item, list):
                entries.extend((f"{key}={go_format(v)}", origin) for v in item)
            else:
                entries.append((f"{key}={go_format(item)}", origin))
        return sorted(entries, key=lambda entry: str(entry[0]))
    if isinstance(value, list):
        return [(strip_tags(v), o) for v, o in items(value) if not (isinstance(v, Tagged) and v.tag == RESET)]
    if isinstance(value, str):
        return [(value, None)]
    return []


def _sequence(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """dns, dns_opt, dns_search, tmpfs, env_file, label_file: lists (a string is a list of one),
    appended; duplicates are then removed by `UNIQUE`."""
    return SList.of([*_as_sequence(base), *_as_sequence(over)])


def _extra_hosts(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """extra_hosts: appended, minus later entries written exactly like an earlier one."""
    first = _as_sequence(base)
    seen = [value for value, _ in first]
    return SList.of([*first, *((v, o) for v, o in _as_sequence(over) if v not in seen)])


def _key_value_pairs(value: Any) -> list[tuple[str, Any, Origin | None]]:
    if isinstance(value, Mapping):
        return [(str(key), item, key_origin(value, key)) for key, item in value.items()]
    pairs: list[tuple[str, Any, Origin | None]] = []
    for entry, origin in _as_sequence(value):
        key, item = split_key_value(go_format(entry))
        pairs.append((key, item, origin))
    return pairs


def _key_value(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """environment, labels, sysctls, annotations, deploy.labels, build.args...: list or mapping
    forms read as `KEY=VALUE`, merged by key, later wins (the result is a mapping)."""
    out = SDict()
    for key, value, where in _key_value_pairs(base):
        out.set(key, value, where)
    if isinstance(over, Mapping):
        for key, value in over.items():
            where = key_origin(over, key)
            if isinstance(value, Tagged):
                if value.tag == RESET:
                    out.remove(str(key))
                else:
                    out.set(str(key), strip_tags(value.value), where)
            else:
                out.set(str(key), value, where)
    else:
        for key, value, where in _key_value_pairs(over):
            out.set(key, value, where)
    return out


def _mapping_of(value: Any, default: Mapping[str, Any] | None) -> SDict:
    """A list of names as a mapping (`[db]` -> `{db: default}`); null as an empty mapping."""
    if isinstance(value, Mapping):
        return value if isinstance(value, SDict) else SDict(value)
    out = SDict()
    for name, origin in items(value) if isinstance(value, list) else []:
        out.set(go_format(name), None if default is None else SDict(default), origin)
    return out


def _depends_on(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """depends_on: lists read as `{service: {condition: service_started, required: true}}`."""
    default = {"condition": "service_started", "required": True}
    return merge_mappings(_mapping_of(base, default), _mapping_of(over, default), path)


def _names(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """Service networks and models: list and mapping forms as a mapping, then merged."""
    return merge_mappings(_mapping_of(base, None), _mapping_of(over, None), path)


def _build(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """build: a string is `{context: string}`; then merged as mappings."""

    def as_mapping(value: Any) -> SDict:
        if isinstance(value, str):
            return SDict({"context": value})
        return _mapping_of(value, None)

    return merge_mappings(as_mapping(base), as_mapping(over), path)


def _logging(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """logging: options merge when the driver is the same or unset on either side; a different
    driver replaces the whole block."""
    if not isinstance(base, Mapping) or not isinstance(over, Mapping):
        return base if over is None else strip_tags(over)
    if "driver" in base and "driver" in over and base["driver"] != over["driver"]:
        return strip_tags(over)
    return merge_mappings(base, over, path)


def _ipam_config(base: Any, over: Any, path: KeyPath, origin: Origin | None) -> Any:
    """networks.*.ipam.config: compose-go's subnet-matching merge, reproduced step for step
    (including its in-place updates, which can leave two entries for one subnet)."""
    if not isinstance(base, list) or not isinstance(over, list):
        raise _clash(base, over, path, origin)

    def fresh(value: Any) -> SDict:
        return (
            SDict(value, value.origins if isinstance(value, SDict) else None) if isinstance(value, Mapping) else SDict()
        )

    originals = [(fresh(v), o) for v, o in items(base)]
    overrides = [(fresh(strip_tags(v)), o) for v, o in items(over)]
    result: list[tuple[SDict, Origin | None]] = []
    for right, right_origin in originals:
        for left, left_origin in overrides:
            if left.get("subnet") != right.get("subnet") and not any(
                entry.get("subnet") == left.get("subnet") for entry, _ in result
            ):
                result.append((left, left_origin))
                continue
            merged = merge_mappings(right, left, path)
            right.clear()
            right.update(merged)
            right.origins = merged.origins
            index = next((i for i, (entry, _) in enumerate(result) if entry.get("subnet") == right.get("subnet")), -1)
            if index >= 0:
                result[index] = (right, right_origin)
            else:
                result.append((right, right_origin))
    return SList.of(result)


_SERVICE = ("services", "*")

#: How a key is merged when both files set it (anything else: the default merge).
MERGERS: dict[Pattern, Merger] = {
    ("networks", "*", "ipam", "config"): _ipam_config,
    ("networks", "*", "labels"): _key_value,
    ("volumes", "*", "labels"): _key_value,
    (*_SERVICE, "annotations"): _key_value,
    (*_SERVICE, "build"): _build,
    (*_SERVICE, "build", "args"): _key_value,
    (*_SERVICE, "build", "additional_contexts"): _key_value,
    (*_SERVICE, "build", "extra_hosts"): _extra_hosts,
    (*_SERVICE, "build", "labels"): _key_value,
    (*_SERVICE, "command"): _replace,
    (*_SERVICE, "depends_on"): _depends_on,
    (*_SERVICE, "deploy", "labels"): _key_value,
    (*_SERVICE, "dns"): _sequence,
    (*_SERVICE, "dns_opt"): _sequence,
    (*_SERVICE, "dns_search"): _sequence,
    (*_SERVICE, "entrypoint"): _replace,
    (*_SERVICE, "env_file"): _sequence,
    (*_SERVICE, "label_file"): _sequence,
    (*_SERVICE, "environment"): _key_value,
    (*_SERVICE, "extra_hosts"): _extra_hosts,
    (*_SERVICE, "healthcheck", "test"): _replace,
    (*_SERVICE, "labels"): _key_value,
    (*_SERVICE, "volumes", "*", "volume", "labels"): _key_value,
    (*_SERVICE, "logging"): _logging,
    (*_SERVICE, "models"): _names,
    (*_SERVICE, "networks"): _names,
    (*_SERVICE, "sysctls"): _key_value,
    (*_SERVICE, "tmpfs"): _sequence,
    (*_SERVICE, "ulimits", "*"): _replace,
}
#: MERGERS by (pattern length, last key): (position in MERGERS, pattern, merger)
_BY_END: dict[tuple[int, Any], list[tuple[int, Pattern, Merger]]] = {}
for _order, (_pattern, _merger) in enumerate(MERGERS.items()):
    _BY_END.setdefault((len(_pattern), _pattern[-1]), []).append((_order, _pattern, _merger))


# --- unicity ---------------------------------------------------------------------------------


class _NoKey:
    """An entry compose cannot index: kept as it is (validation reports what is wrong)."""


def _by_text_before_equals(entry: Any) -> Any:
    if isinstance(entry, str):
        return entry.partition("=")[0]
    return _NoKey()


def _by_volume_target(entry: Any) -> Any:
    try:
        return volume_target(entry)
    except SyntaxProblem:
        return _NoKey()


def _by_device_target(entry: Any) -> Any:
    try:
        return device_target(entry)
    except SyntaxProblem:
        return _NoKey()


def _by_exposed_port(entry: Any) -> Any:
    if isinstance(entry, (str, int)) and not isinstance(entry, bool):
        return str(entry)
    return _NoKey()


def _by_env_file_path(entry: Any) -> Any:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping) and isinstance(entry.get("path"), str):
        return entry["path"]
    return _NoKey()


def _by_mount(default_dir: str) -> Indexer:
    def index(entry: Any) -> Any:
        if isinstance(entry, str):
            return f"{default_dir}/{entry}"
        if isinstance(entry, Mapping):
            target = entry.get("target")
            return target if target is not None else f"{default_dir}/{entry.get('source')}"
        return _NoKey()

    return index


def _unique(entries: list[tuple[Any, Origin | None]], indexer: Indexer) -> SList:
    out: list[tuple[Any, Origin | None]] = []
    slots: dict[Any, int] = {}
    for value, origin in entries:
        key = indexer(value)
        if isinstance(key, _NoKey) or key not in slots:
            if not isinstance(key, _NoKey):
                slots[key] = len(out)
            out.append((value, origin))
        else:
            out[slots[key]] = (value, origin)
    return SList.of(out)


def _hashable(value: Any) -> Any:
    """A dedup key part from any YAML value (a malformed port may hold a list or a mapping)."""
    kind = type(value)
    if kind is str or kind is int:  # (most parts: no ABC look-up)
        return value
    if isinstance(value, Mapping):
        return tuple((str(k), _hashable(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def port_keys(entry: Any) -> list[tuple[Any, ...]]:
    """The keys compose dedups `ports` by, one per published port of the entry:
    (host ip, published, target, protocol), with compose's defaults `0.0.0.0` and `tcp`.

    A long-syntax `published: 8080` (an integer) does not match `"8080:80"` in compose v2.40:
    compose formats the integer as `%!s(int=8080)`; the key keeps the type to do the same.
    """
    if is_mapping(entry):  # (a dict: no ABC look-up for each of a range's 65,535)
        published = entry.get("published")
        return [
            (
                _hashable(entry.get("host_ip", "0.0.0.0")),
                None if published is None else (type(published).__name__, _hashable(published)),
                _hashable(entry.get("target")),
                _hashable(entry.get("protocol") or "tcp"),
            )
        ]
    return [
        (
            port.host_ip or "0.0.0.0",
            None if port.published is None else ("str", port.published),
            port.target,
            port.protocol,
        )
        for port in parse_port(entry)
    ]


def _unique_ports(entries: list[tuple[Any, Origin | None]]) -> SList:
    """Ports as compose keeps them: every entry expanded to single ports, one per key (later
    replaces earlier in place); entries that survive whole are kept as written."""
    keys_of: list[list[tuple[Any, ...]]] = []  # each entry's keys, one per port it publishes
    canon_of: list[list[Any]] = []  # each entry's ports in long form (empty: one port, kept as written)
    for value, _origin in entries:
        try:
            keys = port_keys(value)
            canon = [port.as_long() for port in parse_port(value)] if len(keys) > 1 else []
        except SyntaxProblem:
            keys, canon = [(id(value),)], []
        keys_of.append(keys)
        canon_of.append(canon)
    slots: list[tuple[int, int]] = []
    where: dict[tuple[Any, ...], int] = {}
    for entry_index, keys in enumerate(keys_of):
        for part_index, key in enumerate(keys):
            slot = where.get(key)  # (a key is a tuple: never None)
            if slot is None:
                where[key] = len(slots)
                slots.append((entry_index, part_index))
            else:
                slots[slot] = (entry_index, part_index)
    out: list[tuple[Any, Origin | None]] = []
    position = 0
    while position < len(slots):
        entry_index, part_index = slots[position]
        size = len(keys_of[entry_index])
        # an entry is whole where its first part sits, its other parts right after it: checked
        # only at its first part (once per entry), so that a 65,535-port range stays linear; an
        # entry of one port (most: a long-form port, `"80:80"`) is whole wherever it sits
        whole = part_index == 0 and (
            size == 1
            or all(position + i < len(slots) and slots[position + i] == (entry_index, i) for i in range(1, size))
        )
        if whole:
            out.append(entries[entry_index])
            position += size
        else:
            value = canon_of[entry_index][part_index]
            out.append((SDict(value) if is_mapping(value) else value, entries[entry_index][1]))
            position += 1
    return SList.of(out)


#: Sequences compose keeps one entry per key in, with the function giving an entry's key.
UNIQUE: dict[Pattern, Indexer | None] = {
    ("networks", "*", "labels"): _by_text_before_equals,
    ("networks", "*", "ipam", "options"): _by_text_before_equals,
    (*_SERVICE, "annotations"): _by_text_before_equals,
    (*_SERVICE, "build", "args"): _by_text_before_equals,
    (*_SERVICE, "build", "additional_contexts"): _by_text_before_equals,
    (*_SERVICE, "build", "platform"): _by_text_before_equals,
    (*_SERVICE, "build", "tags"): _by_text_before_equals,
    (*_SERVICE, "build", "labels"): _by_text_before_equals,
    (*_SERVICE, "cap_add"): _by_text_before_equals,
    (*_SERVICE, "cap_drop"): _by_text_before_equals,
    (*_SERVICE, "configs"): _by_mount(""),
    (*_SERVICE, "deploy", "labels"): _by_text_before_equals,
    (*_SERVICE, "devices"): _by_device_target,
    (*_SERVICE, "dns"): _by_text_before_equals,
    (*_SERVICE, "dns_opt"): _by_text_before_equals,
    (*_SERVICE, "dns_search"): _by_text_before_equals,
    (*_SERVICE, "environment"): _by_text_before_equals,
    (*_SERVICE, "env_file"): _by_env_file_path,
    (*_SERVICE, "expose"): _by_exposed_port,
    (*_SERVICE, "labels"): _by_text_before_equals,
    (*_SERVICE, "links"): _by_text_before_equals,
    (*_SERVICE, "networks", "*", "aliases"): _by_text_before_equals,
    (*_SERVICE, "networks", "*", "link_local_ips"): _by_text_before_equals,
    (*_SERVICE, "ports"): None,  # several keys per entry: `_unique_ports`
    (*_SERVICE, "profiles"): _by_text_before_equals,
    (*_SERVICE, "secrets"): _by_mount("/run/secrets"),
    (*_SERVICE, "sysctls"): _by_text_before_equals,
    (*_SERVICE, "tmpfs"): _by_text_before_equals,
    (*_SERVICE, "volumes"): _by_volume_target,
}


def _unique_trie() -> dict[str | None, Any]:
    """`UNIQUE` as nested mappings (`None` marks a sequence to make unique), to walk fast."""
    root: dict[str | None, Any] = {}
    for pattern, indexer in UNIQUE.items():
        node = root
        for part in pattern:
            node = node.setdefault(part, {})
        node[None] = (indexer,)
    return root


_UNIQUE_TRIE = _unique_trie()


def _apply_unique(value: Any, node: Mapping[str | None, Any]) -> Any:
    if isinstance(value, list):
        if None not in node:
            return value
        (indexer,) = node[None]
        entries = list(items(value))
        unique = _unique_ports(entries) if indexer is None else _unique(entries, indexer)
        if isinstance(value, SList) and _same(unique, value):
            return value  # nothing removed: the list as it is (and its parents need no copy)
        return unique
    if not (isinstance(value, dict) or is_mapping(value)):  # (a dict, most often: no call)
        return value
    if len(node) == 1 and None in node:  # a list's node (labels, environment): no key of a mapping here leads on
        return value
    out: SDict | None = None
    star = node.get("*")
    for key, item in value.items():
        child = node.get(key) if isinstance(key, str) else None
        child = child if child is not None else star
        if child is None or isinstance(item, _SCALARS) or not isinstance(item, (dict, list, Mapping)):
            continue
        if isinstance(item, dict) and "*" not in child and child.keys().isdisjoint(item):
            continue  # no key of it leads on (a service merged from an anchor, with no list to make unique)
        new = _apply_unique(item, child)
        if new is not item:
            if out is None:
                out = SDict(value, value.origins if isinstance(value, SDict) else None)
            out[key] = new
    return value if out is None else out


def _same(one: SList, other: SList) -> bool:
    """The same items (the very objects) with the same origins."""
    return (
        len(one) == len(other)
        and all(a is b for a, b in zip(one, other, strict=True))
        and all(a is b or a == b for a, b in zip(one.origins, other.origins, strict=True))
    )


def enforce_unicity(value: Any) -> Any:
    """Apply `UNIQUE` to every matching sequence inside `value` (compose's EnforceUnicity).
    Unchanged parts are shared with `value`, which is not modified."""
    return _apply_unique(value, _UNIQUE_TRIE)


# --- files -----------------------------------------------------------------------------------


def merge_into(base: Mapping[str, Any], over: Mapping[str, Any], *, tagged: bool = True) -> SDict:
    """One more file merged onto what the earlier files made (no unicity pass). `tagged`: False
    where no file read holds a `!reset` or `!override` (each part of `over` is then taken as it
    is, not walked for tags to strip)."""
    if not isinstance(over, Mapping):
        raise InputError(
            "a compose file must hold a mapping at the top level", fix="start the file with keys like services:"
        )
    return merge_mappings(base, over, (), tagged)


def merge_files(docs: Sequence[Mapping[str, Any]]) -> SDict:
    """`docker compose -f docs[0] -f docs[1] ...`: each document merged onto the ones before it.

    The documents must already be interpolated and have their `extends` and `include` resolved
    (`stack.load_stack` does all of it from files). `SDict` inputs keep their origins.
    """
    merged: SDict = SDict()
    for doc in docs:
        merged = merge_into(merged, doc)
    result = enforce_unicity(merged)
    assert isinstance(result, SDict)
    return result
