"""Validate a merged compose model: the compose-spec JSON schema, then the typed reading compose
v2 does after it (sizes, durations, CPU counts, whole numbers, booleans).

The schema is the compose-spec schema vendored from check-jsonschema (`compose-spec.json`
beside this module, see `SCHEMA.md`), checked with composegen's own Draft 2020-12 validator for
the keywords that schema uses (`composegen.compose.validator`: `jsonschema` costs more to import
than a whole small lint run), built on first use and cached. Validate the interpolated, merged
model (`Stack.data`): compose validates after interpolation, so `${PORT:-80}` where a number
belongs is fine once resolved.

One error per root cause: the schema's `unevaluatedProperties: false` on services repeats every
property of a branch that failed (`image: 5` also gives "Unevaluated properties are not allowed
('image' was unexpected)"); such echoes are dropped and only keys the schema does not know at
all are reported, one error per key, at that key's path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from composegen.compose.interpolate import CASTS, Caster, caster_for
from composegen.compose.syntax import SyntaxProblem, go_shell_split, parse_port, parse_volume, plain_words
from composegen.compose.tree import PathTrie, TrieNode, dotted, ends, is_mapping, matches, step
from composegen.compose.validator import ANNOTATIONS, CompiledSchema, SchemaViolation
from composegen.errors import UnitError
from composegen.units import parse_bytes, parse_duration
from composegen.yamlio import KeyPath, Timestamp

SCHEMA_FILE = "compose-spec.json"


class SchemaError(NamedTuple):
    """One validation error: where in the model (a key path) and what is wrong."""

    path: KeyPath
    message: str
    keyword: str = "schema"

    def dotted(self) -> str:
        return dotted(self.path) or "(top level)"

    def __str__(self) -> str:
        return f"{self.dotted()}: {self.message}"


@cache
def schema() -> dict[str, Any]:
    """The vendored compose-spec schema."""
    # beside this module in a checkout and in the wheel alike; importlib.resources would cost a lint
    # run 3-5 ms of imports (tempfile, zipfile) for the same path
    text = (Path(__file__).parent / SCHEMA_FILE).read_text(encoding="utf-8")
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def _resolve_ref(root: Mapping[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def flattened(original: Mapping[str, Any]) -> dict[str, Any]:
    """The schema with each `allOf: [$refs] + unevaluatedProperties: false` (service, job,
    pre_start hook) rewritten as one object of all the properties with
    `additionalProperties: false`. It accepts exactly the same documents, but a wrong value no
    longer also makes every sibling property "unevaluated", and it validates twice as fast.

    `original` is not changed: the nodes on the way to a rewritten one are copied, the rest is
    shared with it."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            items = [rewrite(item) for item in node]
            return node if all(new is old for new, old in zip(items, node, strict=True)) else items
        if not isinstance(node, dict):
            return node
        copied: dict[str, Any] | None = None
        for key, item in node.items():
            if isinstance(item, (dict, list)):
                new = rewrite(item)
                if new is not item:
                    if copied is None:
                        copied = dict(node)
                    copied[key] = new
        out = node if copied is None else copied
        branches = out.get("allOf")
        if out.get("unevaluatedProperties") is not False or not isinstance(branches, list):
            return out
        parts = [_resolve_ref(original, b["$ref"]) if isinstance(b, dict) and "$ref" in b else b for b in branches]
        if not all(
            isinstance(p, dict) and set(p) <= {"type", "description", "properties", "patternProperties"} for p in parts
        ):
            return out  # not the shape this rewrite understands: keep the original
        properties: dict[str, Any] = {}
        patterns: dict[str, Any] = {}
        for part in [*parts, out]:
            for name, rule in part.get("properties", {}).items():
                properties[name] = {"allOf": [properties[name], rule]} if name in properties else rule
            patterns.update(part.get("patternProperties", {}))
        out = dict(out)
        del out["allOf"], out["unevaluatedProperties"]
        out.update(type="object", properties=properties, patternProperties=patterns, additionalProperties=False)
        return out

    result = rewrite(original)
    return dict(result) if result is original else result


@cache
def validator() -> CompiledSchema:
    """A Draft 2020-12 validator for the (flattened) compose-spec schema, built once."""
    return CompiledSchema(flattened(schema()))


# --- schema errors, one per root cause -------------------------------------------------------


def _resolve(node: Any) -> Any:
    root = validator().schema
    assert isinstance(root, Mapping)
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        node = _resolve_ref(root, node["$ref"])
    return node


def _declares(node: Any, name: str, depth: int = 0) -> bool:
    """Whether a schema node (with its refs and allOf/anyOf/oneOf branches) declares `name`."""
    node = _resolve(node)
    if not isinstance(node, Mapping) or depth > 8:
        return False
    properties = node.get("properties")
    if isinstance(properties, Mapping) and name in properties:
        return True
    patterns = node.get("patternProperties")
    if isinstance(patterns, Mapping) and any(re.search(p, name) for p in patterns):
        return True
    return any(
        _declares(branch, name, depth + 1)
        for keyword in ("allOf", "anyOf", "oneOf")
        for branch in node.get(keyword, ())
    )


def _unknown_keys(error: SchemaViolation) -> list[str]:
    parent = error.schema  # the schema node that holds the keyword
    instance = error.instance
    if not isinstance(instance, Mapping):
        return []
    return [str(key) for key in instance if not _declares(parent, str(key))]


def shown(instance: Any) -> str:
    """A value as an error quotes it: a mapping by its keys and a list by its length, never with the
    values in it (an invalid value often sits next to a password); a string masked."""
    if isinstance(instance, Mapping):
        return "a mapping {" + ", ".join(str(k) for k in instance) + "}"
    if isinstance(instance, list):
        return f"a list of {len(instance)} item{'s' if len(instance) != 1 else ''}"
    if isinstance(instance, str):
        from composegen.masking import mask  # lazy: only once a value is refused

        return repr(mask(instance))
    return repr(instance)


def _violation_text(error: SchemaViolation) -> str:
    """The validator's message (jsonschema's words, which begin with the repr of the instance)
    with that repr replaced by `shown`: never the raw mapping around an invalid value."""
    message = error.message
    quoted = repr(error.instance)
    return shown(error.instance) + message[len(quoted) :] if message.startswith(quoted) else message


def _message(error: SchemaViolation) -> str:
    if error.validator in ("oneOf", "anyOf") and error.context:
        same_place = [e for e in error.context if not e.path]
        types = [e.validator_value for e in same_place if e.validator == "type"]
        if same_place and len(types) == len(same_place):
            names: list[str] = []
            for t in types:
                for name in t if isinstance(t, list) else [t]:
                    if name not in names:
                        names.append(str(name))
            return f"{shown(error.instance)} is not of type {', '.join(repr(n) for n in names)}"
        deeper = [e for e in error.context if e.path]
        if deeper:
            best = max(deeper, key=lambda e: len(e.path))
            return f"{dotted(tuple(best.path))}: {_violation_text(best)}"
    return _violation_text(error)


def _timestamp_in(value: Any, limit: int = 10_000) -> tuple[KeyPath, str] | None:
    """The path to the first `Timestamp` in `value` (itself, or inside it, x- keys aside), and its text."""
    pending: list[tuple[KeyPath, Any]] = [((), value)]
    while pending and limit > 0:
        limit -= 1
        path, node = pending.pop()
        if isinstance(node, Timestamp):
            return path, str(node)
        if is_mapping(node):
            pending.extend(((*path, k), v) for k, v in reversed(list(node.items())) if not str(k).startswith("x-"))
        elif isinstance(node, list):
            pending.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
    return None


def schema_errors(data: Any) -> list[SchemaError]:
    """The compose-spec schema's errors for `data`, one per root cause."""
    found: list[SchemaError] = []
    for error in validator().iter_errors(data):
        path = tuple(error.path)
        if error.validator in ("unevaluatedProperties", "additionalProperties"):
            for key in _unknown_keys(error):
                found.append(
                    SchemaError(
                        (*path, key),
                        f"unknown key {key!r}: compose does not know it here (extension keys start with x-)",
                        "unknown-key",
                    )
                )
            continue
        stamp = _timestamp_in(error.instance)
        if stamp is not None:  # a date compose reads as a time: say so, at the value
            below, text = stamp
            message = f'compose reads {text} as a date and time, not as text: quote it ("{text}")'
            found.append(SchemaError((*path, *below), message, "timestamp"))
            continue
        found.append(SchemaError(path, _message(error), str(error.validator)))
    unique: dict[tuple[KeyPath, str], SchemaError] = {}
    for item in found:
        unique.setdefault((item.path, item.message), item)
    return list(unique.values())


# --- what compose reads after the schema -----------------------------------------------------

_SERVICE = ("services", "*")

#: What compose reads after the schema, by path (`*`: any key or index).
READS: dict[tuple[str, ...], str] = {
    **{
        (*_SERVICE, *p): "size"
        for p in (
            ("mem_limit",),
            ("mem_reservation",),
            ("memswap_limit",),
            ("shm_size",),
            ("build", "shm_size"),
            ("deploy", "resources", "limits", "memory"),
            ("deploy", "resources", "reservations", "memory"),
            ("volumes", "*", "tmpfs", "size"),
        )
    },
    **{
        (*_SERVICE, *p): "duration"
        for p in (
            ("healthcheck", "interval"),
            ("healthcheck", "timeout"),
            ("healthcheck", "start_period"),
            ("healthcheck", "start_interval"),
            ("stop_grace_period",),
            ("deploy", "update_config", "delay"),
            ("deploy", "update_config", "monitor"),
            ("deploy", "rollback_config", "delay"),
            ("deploy", "rollback_config", "monitor"),
            ("deploy", "restart_policy", "delay"),
            ("deploy", "restart_policy", "window"),
        )
    },
    **{(*_SERVICE, "deploy", "resources", kind, "cpus"): "number" for kind in ("limits", "reservations")},
    **{(*_SERVICE, "deploy", "resources", kind, "pids"): "whole" for kind in ("limits", "reservations")},
    (*_SERVICE, "volumes", "*"): "volume",
    (*_SERVICE, "ports", "*"): "port",
    (*_SERVICE, "command"): "command",
    (*_SERVICE, "entrypoint"): "command",
    (*_SERVICE, "environment", "*"): "environment entry",  # the list form's `KEY=value`
}
_READS_BY_LAST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _pattern, _kind in READS.items():
    _READS_BY_LAST.setdefault(_pattern[-1], []).append((_pattern, _kind))

#: Go's unicode.IsSpace below U+0100: compose-go refuses `- KEY =value` ending in one of them.
_GO_LATIN1_SPACE = "\t\n\v\f\r \x85\xa0"
_FLOAT = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"  # compiled by `re` when first used
_WHOLE = re.compile(r"^[+-]?[0-9]+$")
_CAST_NAMES = {"_to_int": "a whole number", "_to_float": "a number", "_to_bool": "true or false"}


def _read_kind(path: KeyPath) -> str | None:
    last = path[-1]
    candidates = _READS_BY_LAST.get("*", []) if isinstance(last, int) else _READS_BY_LAST.get(last, [])
    return next((kind for pattern, kind in candidates if matches(pattern, path)), None)


def _read_problem(kind: str, value: Any) -> str | None:
    if kind == "size":
        if isinstance(value, str):  # a number is bytes (memswap_limit: -1 is unlimited)
            try:
                parse_bytes(value)
            except UnitError:
                return f"{shown(value)} is not a size compose understands (write it like 512M or 2G)"
        return None
    if kind == "duration":
        if isinstance(value, str):
            try:
                parse_duration(value)
            except UnitError:
                return f"{shown(value)} is not a duration compose understands (write it like 30s or 1m30s)"
        return None
    if not isinstance(value, str):
        return None
    try:
        if kind == "volume":
            parse_volume(value)
        elif kind == "port":
            parse_port(value)
        elif kind == "command" and not plain_words(value):  # (plain words: nothing to refuse)
            go_shell_split(value)
    except SyntaxProblem as err:
        from composegen.masking import mask  # lazy: only for a value compose refuses

        return mask(str(err))
    if kind == "environment entry":
        return environment_name_problem(value.split("=", 1)[0])
    if kind == "number" and not re.match(_FLOAT, value):
        return f"{shown(value)} is not a number"
    if kind == "whole" and not _WHOLE.match(value):
        return f"{shown(value)} is not a whole number"
    return None


def environment_name_problem(name: str) -> str | None:
    """compose-go refuses `- KEY =value` in the list form: a name ending in a space. (A mapping's
    `"KEY ": value` passes, unless another file's environment of the service merges with it.)"""
    last = name.encode("utf-8", "surrogatepass")[-1:]
    # compose-go tests the name's last byte, not its last character: `à` (C3 A0) ends in a
    # "space" (A0 is NBSP) and is refused too; composegen says what compose says
    if last and chr(last[0]) in _GO_LATIN1_SPACE:
        return f"environment variable {name!r} is declared with a trailing space"
    return None


#: How compose reads a value at a path: what `_read_kind` and `caster_for` say of it.
Reader = tuple[str | None, Caster | None]


def _type_problem(value: str, reader: Reader) -> str | None:
    """What compose cannot read in the string `value` (only strings can hold such a problem: a
    number, boolean or null at these paths is either read as it is or refused by the schema)."""
    kind, caster = reader
    if kind is not None:
        return _read_problem(kind, value)
    if caster is not None and caster(value) is None:
        return f"{value!r} is not {_CAST_NAMES.get(caster.__name__, 'the expected type')}"
    return None


_TYPED_SECTIONS = ("services", "networks", "volumes", "secrets", "configs")
#: Every path `_type_problem` may find a problem at: the rest of a model is not walked.
_TYPED_TRIE = PathTrie([*READS, *CASTS])
#: The reader of each set of `_TYPED_TRIE` nodes a walk ends at (by their ids: the trie lives as
#: long as the module). The patterns a path matches are those whose last node the walk along it
#: reaches, so the nodes decide the reader: it is worked out from the first path that reaches
#: them, and not once per value (a stack of thousands of services reaches the same few).
_READERS: dict[tuple[int, ...], Reader] = {}


def _read_by_index_only(pattern: tuple[str, ...]) -> bool:
    """A READS pattern ending in `*` (a list item: `environment`'s `KEY=value`) that no longer
    pattern continues and no cast shares: what it reads under a mapping's text key is nothing."""
    node = _TYPED_TRIE.start(pattern)
    return pattern[-1] == "*" and pattern not in CASTS and len(node) == 1 and set(node[0]) == {None}


#: The trie nodes where a value under a text key can have no problem (`_read_kind` takes a `*`
#: pattern's kind for list indexes only): a mapping's entries there (`environment: {KEY: value}`,
#: half of what a typical stack has under the typed paths) are not walked.
_INDEX_ONLY = frozenset(id(_TYPED_TRIE.start(p)[0]) for p in READS if _read_by_index_only(p))


def _reader(nodes: tuple[TrieNode, ...], path: KeyPath) -> Reader:
    key = tuple(map(id, nodes))
    found = _READERS.get(key)
    if found is None:
        found = _READERS[key] = (_read_kind(path), caster_for(path))
    return found


def _typed_strings(
    value: Any, path: KeyPath, nodes: tuple[TrieNode, ...], found: list[tuple[KeyPath, str, Reader]]
) -> None:
    """Every string at a path of `_TYPED_TRIE` inside `value` (at `path`, which reaches `nodes`)."""
    if is_mapping(value):
        if len(nodes) == 1 and "*" not in nodes[0]:  # (most mappings: only named keys go on)
            node = nodes[0]
            for key, item in value.items():
                below = node.get(key) if isinstance(key, str) and key != "*" else None
                if below is None:
                    continue
                if isinstance(item, str):  # a leaf, taken here: most of what is walked
                    if None in below:
                        found.append(((*path, key), item, _reader((below,), (*path, key))))
                elif isinstance(item, (dict, list)) or is_mapping(item):
                    _typed_strings(item, (*path, key), (below,), found)
            return
        if len(nodes) == 1 and len(nodes[0]) == 1:  # only `*` goes on (services, environment): one step for all
            below = step(nodes, "*")
            text_skipped = id(below[0]) in _INDEX_ONLY
            for key, item in value.items():
                if not (text_skipped and isinstance(key, str) and key != "*"):
                    _typed_strings(item, (*path, key), below, found)
            return
        for key, item in value.items():
            below = step(nodes, key)
            if not below or (isinstance(key, str) and key != "*" and all(id(n) in _INDEX_ONLY for n in below)):
                continue
            _typed_strings(item, (*path, key), below, found)
    elif isinstance(value, list):
        below = step(nodes, 0)  # (an index steps to `*` alone, whichever it is: once for the list)
        if below:
            for index, item in enumerate(value):
                _typed_strings(item, (*path, index), below, found)
    elif isinstance(value, str) and ends(nodes):
        found.append((path, value, _reader(nodes, path)))


def type_errors(data: Any) -> list[SchemaError]:
    """Values the schema lets through as strings that compose v2 then cannot read:
    `cpus: lots`, `memory: 1x`, `interval: soon`, `read_only: maybe`, `retries: many`."""
    errors: list[SchemaError] = []
    if not isinstance(data, Mapping):
        return errors
    #: each value read once per reader (services repeat `512M` and `30s`): the problem, or None
    problems: dict[tuple[Reader, type, str], str | None] = {}
    for section in _TYPED_SECTIONS:
        if section not in data:
            continue
        strings: list[tuple[KeyPath, str, Reader]] = []
        _typed_strings(data[section], (section,), step((_TYPED_TRIE.root,), section), strings)
        for path, value, reader in strings:
            key = (reader, type(value), value)
            if key in problems:
                problem = problems[key]
            else:
                problem = problems[key] = _type_problem(value, reader)
            if problem is not None:
                errors.append(SchemaError(path, problem, "type"))
    return errors


#: Where a secret or a config that is not `external` takes its value from: compose refuses a
#: definition that names none of them (the key present is enough, even empty).
_SOURCES = {"secrets": ("file", "environment"), "configs": ("file", "environment", "content")}


def source_errors(data: Any) -> list[SchemaError]:
    """Secret and config definitions with nothing to read their value from."""
    errors: list[SchemaError] = []
    for section, sources in _SOURCES.items():
        definitions = data.get(section) if isinstance(data, Mapping) else None
        for name, definition in definitions.items() if is_mapping(definitions) else ():
            external = is_mapping(definition) and definition.get("external") is True
            if is_mapping(definition) and not external and not any(source in definition for source in sources):
                message = f"one of {' or '.join(sources)} must be set (or `external: true`)"
                errors.append(SchemaError((section, name), message, "source"))
    return errors


def validate(data: Any) -> list[SchemaError]:
    """Schema errors, then typed-reading errors at places the schema did not already flag, then
    secrets and configs with no source."""
    errors = schema_errors(data)
    flagged = {e.path for e in errors}
    for error in [*type_errors(data), *source_errors(data)]:
        if not any(error.path[: len(p)] == p for p in flagged):
            errors.append(error)
    return errors


# --- a model over one already valid ------------------------------------------------------------

#: Keywords of a schema node that judge each key of an object on its own (with the key set only
#: for `additionalProperties`, which a subset of the keys cannot break more than the whole).
_PER_KEY = frozenset({"type", "properties", "patternProperties", "additionalProperties"})


def _per_key(node: Any) -> bool:
    """Whether a schema node (its `$ref`s followed) is an object judged key by key: an object
    valid where each of its keys is (so a part of it, each key of which is valid, is valid too)."""
    node = _resolve(node)
    return (
        isinstance(node, Mapping)
        and node.get("type") == "object"
        and node.keys() - ANNOTATIONS <= _PER_KEY
        and node.get("additionalProperties", True) in (True, False)
    )


@cache
def _decomposes() -> bool:
    """Whether the schema judges a model key by key at the top level, by service name under
    `services`, and by service key in a service: what `valid_over` takes apart along."""
    root = validator().schema
    services = root.get("properties", {}).get("services") if isinstance(root, Mapping) else None
    if not (_per_key(root) and _per_key(services)):
        return False
    assert isinstance(services, Mapping)
    named = services.get("patternProperties", {})
    return len(named) == 1 and all(_per_key(node) for node in named.values())


#: The types of a YAML scalar as composegen reads one (a `Timestamp` is text to composegen, a
#: time to compose: a type of its own).
_SCALARS = frozenset({str, int, float, bool, type(None), Timestamp})


#: The most entries a container may have to be compared with others: a long one (a port range
#: written out, a long environment) is seldom repeated, and costs as much to freeze as to check.
_FROZEN_LENGTH = 32


def _frozen(value: Any) -> Any:
    """A hashable value equal for values the schema and compose's reading cannot tell apart: equal
    scalars of the same type (True is not 1, a `Timestamp` is not its text) in the same containers
    with the same keys; TypeError for a value of another kind (a `!reset` tag) or a container of
    more than `_FROZEN_LENGTH` entries. A container of scalars alone (most of them) is frozen as
    its keys, its values and their types, in C."""
    kind = type(value)
    if kind in _SCALARS:
        return (kind, value)
    if isinstance(value, (Mapping, list)) and len(value) > _FROZEN_LENGTH:
        raise TypeError(f"a {kind.__name__} of {len(value)} entries: not compared")
    if isinstance(value, Mapping):
        keys = tuple(value)
        values = tuple(value.values())
        kinds = tuple(map(type, values))
        shape = (dict, keys, tuple(map(type, keys)))
        if _SCALARS.issuperset(kinds):
            return (*shape, values, kinds)
        return (*shape, tuple(map(_frozen, values)))
    if isinstance(value, list):
        values = tuple(value)
        kinds = tuple(map(type, values))
        if _SCALARS.issuperset(kinds):
            return (list, values, kinds)
        return (list, tuple(map(_frozen, values)))
    raise TypeError(f"no frozen form for {kind.__name__}")


def _changed_services(services: Mapping[str, Any], base: Any) -> dict[str, Any] | None:
    """The services of a model that are not the very objects of `base`'s: of a service in both,
    the keys whose values are not the very objects of the base service's; of those the base
    service does not have (the later files' own, which an overlay repeats from service to
    service), each (key, value) once. None: there is nothing to take apart along (not mappings)."""
    if not is_mapping(base):
        return None
    seen: set[tuple[str, Any]] = set()
    out: dict[str, Any] = {}
    for name, service in services.items():
        earlier = base.get(name)
        if service is earlier:
            continue
        if not (is_mapping(service) and is_mapping(earlier)) or not earlier.keys() <= service.keys():
            out[name] = service  # a new service, or one with keys removed: whole
            continue
        keys: dict[str, Any] = {}
        for key, value in service.items():
            if key in earlier:  # the base's value, or one merged with it (seldom the same twice)
                if value is not earlier[key]:
                    keys[key] = value
                continue
            try:
                marker = (key, _frozen(value))
            except TypeError:
                keys[key] = value
                continue
            if marker not in seen:
                seen.add(marker)
                keys[key] = value
        if keys:
            out[name] = keys
    return out


def valid_over(data: Any, base: Any) -> bool:
    """Whether `validate(data)` finds nothing, for a model `data` made by merging files onto
    `base`, a model `validate` finds nothing in (`stack.load_more`: the parts the later files
    left alone are the very objects of `base`). The schema judges the top level key by key, the
    services by name and a service key by key (`_decomposes`; checked on the schema, else the
    whole of `data` is validated); compose's typed reading judges one string at a time, and the
    sources of secrets and configs one definition at a time. So only what is not `base`'s is
    validated: each top-level key whose value is new, whole; of `services`, each service key
    whose value is new, each distinct (key, value) once. False: `validate(data)` has errors
    (run it for them)."""
    if not (_decomposes() and is_mapping(data) and is_mapping(base)) or not base.keys() <= data.keys():
        return not validate(data)
    part: dict[str, Any] = {}
    for key, value in data.items():
        earlier = base.get(key)
        if value is earlier:
            continue
        services = _changed_services(value, earlier) if key == "services" and is_mapping(value) else None
        part[key] = value if services is None else services
    return not validate(part)
