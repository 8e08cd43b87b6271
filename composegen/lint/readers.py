"""The readers rules share: small, defensive reads of a service's values (a value may be any type in
a real file, or an unresolved `${VAR}`), of the text as written before interpolation, of loading
problems, references, mounts and healthchecks, and of the stack's runtime facts.

Rules import from here, never from one another (tests/lint/test_rule_imports.py): a rule module
holds its own check and nothing another rule needs.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from composegen.compose.stack import ProblemKind
from composegen.compose.syntax import go_format, service_volumes
from composegen.compose.tree import Origin, SDict, SList, is_mapping, key_origin
from composegen.errors import UnitError
from composegen.lint.context import LintContext
from composegen.lint.finding import Edit, Fix, Severity, Violation
from composegen.units import MIB, format_bytes, human_bytes, parse_bytes, parse_cpus, parse_duration
from composegen.yamlio import Document, KeyPath, Tagged

if TYPE_CHECKING:
    from composegen.compose.stack import Problem
    from composegen.facts import Fact, ServiceFacts
    from composegen.profiles.models import HostSpec
    from composegen.sizing.engines import Plan
    from composegen.sizing.gpus import Reservation
    from composegen.sizing.quantity import Quantity


# --- resource values -----------------------------------------------------------------------------


def dig(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None as soon as a level is missing or not a mapping."""
    for key in keys:
        if value is None or not is_mapping(value):
            return None
        value = value.get(key)
    return value


def _unresolved(value: Any) -> bool:
    """An empty string (an unset `${VAR}`) or text still holding a `$`: nothing to judge."""
    return isinstance(value, str) and (not value.strip() or "$" in value)


def as_bytes(value: Any) -> int | None:
    """Bytes from a compose size; None when missing, unresolved or not a size (the schema rule
    reports those)."""
    if value is None or isinstance(value, bool) or _unresolved(value):
        return None
    try:
        return parse_bytes(value)
    except UnitError:
        return None


def as_cpus(value: Any) -> float | None:
    """Cores from a compose `cpus` value; None when missing, unresolved or not a finite number."""
    if value is None or isinstance(value, bool) or _unresolved(value):
        return None
    try:
        cpus = parse_cpus(value)
    except UnitError:
        return None
    return cpus if math.isfinite(cpus) else None


def as_seconds(value: Any) -> float | None:
    """Seconds from a compose duration; None when missing, unresolved or not a finite duration."""
    if value is None or isinstance(value, bool) or _unresolved(value):
        return None
    try:
        seconds = parse_duration(value)
    except UnitError:
        return None
    return seconds if math.isfinite(seconds) else None


def as_count(value: Any) -> int | None:
    """A whole number (pids, replicas), also from a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.lstrip("+-").isdigit() and len(text) <= 20:  # a 64-bit count at most
        return int(text)
    return None


class Setting(NamedTuple):
    """One resource value of a service: where it is (a key path of the merged stack), how it was
    written, and what it means (bytes, cores or a count)."""

    path: KeyPath
    raw: Any
    value: float

    @property
    def key(self) -> str:
        """The key as a reader finds it under the service: `mem_limit`, `deploy.resources.limits.memory`."""
        return ".".join(str(k) for k in self.path[2:])

    def shown(self) -> str:
        return str(self.raw)


class Pair(NamedTuple):
    """A `deploy.resources` key and the legacy key compose v2 holds to the same value."""

    deploy: tuple[str, ...]
    legacy: str
    parse: Callable[[Any], float | None]


PAIRS: dict[str, Pair] = {
    "memory_limit": Pair(("deploy", "resources", "limits", "memory"), "mem_limit", as_bytes),
    "memory_reservation": Pair(("deploy", "resources", "reservations", "memory"), "mem_reservation", as_bytes),
    "cpus_limit": Pair(("deploy", "resources", "limits", "cpus"), "cpus", as_cpus),
    "pids_limit": Pair(("deploy", "resources", "limits", "pids"), "pids_limit", as_count),
}


def settings(name: str, service: Mapping[str, Any], which: str) -> tuple[Setting | None, Setting | None]:
    """(deploy setting, legacy setting) of one pair in PAIRS, each None when unset or unreadable."""
    pair = PAIRS[which]
    if pair.deploy[0] not in service and pair.legacy not in service:  # most services set neither
        return None, None
    return _setting(name, service, pair.deploy, pair.parse), _setting(name, service, (pair.legacy,), pair.parse)


def _setting(
    name: str, service: Mapping[str, Any], keys: tuple[str, ...], parse: Callable[[Any], float | None]
) -> Setting | None:
    raw = dig(service, *keys)
    if raw is None:  # the most common case, and no parser reads None as a value
        return None
    value = parse(raw)
    return None if value is None else Setting(("services", name, *keys), raw, float(value))


def effective(name: str, service: Mapping[str, Any], which: str) -> Setting | None:
    """The value compose applies (deploy first, then the legacy key). A memory or cpus value of 0
    means "no limit" to docker, so it reads as unset."""
    deploy, legacy = settings(name, service, which)
    found = deploy or legacy
    if found is None or (which != "pids_limit" and found.value <= 0):
        return None
    return found


def memory_limit(name: str, service: Mapping[str, Any]) -> Setting | None:
    """The service's memory limit (`deploy.resources.limits.memory`, else `mem_limit`)."""
    return effective(name, service, "memory_limit")


def replicas(service: Mapping[str, Any]) -> int:
    """Containers compose runs for a service: `deploy.replicas`, else `scale`, else 1
    (`deploy.mode: global` runs one per node: 1 on a compose host)."""
    if dig(service, "deploy", "mode") == "global":
        return 1
    for raw in (dig(service, "deploy", "replicas"), service.get("scale")):
        count = as_count(raw)
        if count is not None and count >= 0:
            return count
    return 1


def host_budget(host: HostSpec | None) -> tuple[int, str] | None:
    """What the containers may use of composegen.yaml's host (its memory less the reserve), and
    that sum in words: `budget 7 GiB (host.memory 8G − reserve 1G)`; None without a host."""
    if host is None:
        return None
    budget = int(host.memory) - int(host.reserve)
    if budget <= 0:
        return None
    reserve = f" − reserve {format_bytes(host.reserve)}" if host.reserve else ""
    return budget, f"budget {human_bytes(budget)} (host.memory {format_bytes(host.memory)}{reserve})"


def services_with(ctx: LintContext, *keys: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, service) of the services that set one of `keys` or more, in file order. Most rules
    read keys that most services leave out: which service sets which key is found once per stack,
    and such a rule never walks the rest of a large stack."""
    every: list[tuple[str, Mapping[str, Any]]] | None = ctx.shared.get("services")
    setting: dict[Any, list[int]] | None = ctx.shared.get("services_by_key")
    if every is None or setting is None:
        every = ctx.shared["services"] = list(ctx.services())
        setting = ctx.shared["services_by_key"] = {}
        for position, (_, service) in enumerate(every):
            for key in service:
                setting.setdefault(key, []).append(position)
    found = [setting.get(key, ()) for key in keys]
    positions = found[0] if len(found) == 1 else sorted(set().union(*found))
    return [every[position] for position in positions]


def services_in_role(ctx: LintContext, role: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, service) of the services whose role (composegen.yaml's, else detected) is `role`, in
    file order: found once per stack for the rules about one kind of server."""
    by_role: dict[str | None, list[tuple[str, Mapping[str, Any]]]] | None = ctx.shared.get("services_by_role")
    if by_role is None:
        by_role = ctx.shared["services_by_role"] = {}
        for name, service in ctx.services():
            by_role.setdefault(ctx.role(name), []).append((name, service))
    return by_role.get(role, [])


def fragments(ctx: LintContext) -> frozenset[str]:
    """The names of the services that `is_fragment`: found once per stack for the rules that ask
    of every service."""
    found: frozenset[str] | None = ctx.shared.get("fragments")
    if found is None:
        found = ctx.shared["fragments"] = frozenset(
            name for name, service in ctx.services() if is_fragment(ctx, service)
        )
    return found


def is_fragment(ctx: LintContext, service: Mapping[str, Any]) -> bool:
    """A service of a file linted alone that has neither image nor build: part of an override
    file, whose base may set what it lacks."""
    return ctx.mode == "file" and no_image_or_build(service)


# --- loading problems and fragments --------------------------------------------------------------

#: Problems of loading that leave a value unresolved (the environment decides it).
_UNRESOLVED = ("variable-unset", "variable-required", "variable-invalid")


def _origins_below(value: Any, limit: int = 10_000) -> Iterator[Origin]:
    """The origins of every key and item inside `value` (bounded: a value is never huge here)."""
    stack = [value]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        if isinstance(node, SDict):
            yield from node.origins.values()
            stack.extend(node.values())
        elif isinstance(node, SList):
            yield from (o for o in node.origins if o is not None)
            stack.extend(node)
        elif isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def has_child(node: Any, key: Any) -> bool:
    """Whether `node[key]` exists: a mapping's key or a list's index."""
    if isinstance(node, dict):  # dict and list first: asking the Mapping ABC about a list is slow
        return key in node
    if isinstance(node, list):
        return isinstance(key, int) and 0 <= key < len(node)
    return isinstance(node, Mapping) and key in node


def _value_at(data: Any, path: KeyPath) -> tuple[bool, Any, Origin | None]:
    """(found, value, origin of its key) at `path` of the merged model."""
    node = data
    origin: Origin | None = None
    for key in path:
        if not has_child(node, key):
            return False, None, None
        origin = key_origin(node, key)
        node = node[key]
    return True, node, origin


def unresolved_origins(ctx: LintContext) -> set[Origin]:
    """Origins of the values that hold a variable the environment left unset (or malformed)."""
    return {p.origin for p in ctx.stack.problems if p.kind in _UNRESOLVED and p.origin is not None}


def holds_unresolved(data: Any, path: KeyPath, unresolved: set[Origin]) -> bool:
    """Whether the value at `path` (or anything inside it) holds a variable left unresolved."""
    if not unresolved:
        return False
    found, value, origin = _value_at(data, path)
    if not found:
        return False
    if origin is not None and origin in unresolved:
        return True
    return any(o in unresolved for o in _origins_below(value))


def no_image_or_build(service: Mapping[str, Any]) -> bool:
    """A service that only adds to one defined elsewhere: neither an image nor a build."""
    return "image" not in service and "build" not in service


# --- raw values: the text as written, before interpolation ---------------------------------------

#: A `$` starting a variable template (after `$$` escapes are taken out).
_TEMPLATE = re.compile(r"\$(?:\{|[A-Za-z_])")


def has_template(text: str) -> bool:
    """Whether text as written holds a variable reference (`${X}`, `$X`; `$$` is a literal `$`)."""
    return bool(_TEMPLATE.search(text.replace("$$", "")))


#: (line, column) -> [the value first written there (tags unwrapped), whether it is a list item,
#: how many key paths share that text]. Several share a position when anchors or `<<:` merge
#: keys repeat one piece of text; the document itself shares the position of its first key.
RawIndex = dict[tuple[int, int], list[Any]]


def _unwrapped(value: Any) -> Any:
    return value.value if isinstance(value, Tagged) else value


def raw_index(ctx: LintContext, doc: Document) -> RawIndex:
    """What is written where in one document of `ctx.stack`, before interpolation (built once per
    document and lint run, kept by the context): every key and item of `doc.data`, in the order
    written, by the line and column of its text."""
    cached: RawIndex | None = ctx.raw_indexes.get(id(doc))
    if cached is not None:
        return cached
    index: RawIndex = {(doc.root.line, doc.root.column): [_unwrapped(doc.data), False, 1]}

    def note(origin: Origin | None, value: Any, item: bool) -> None:
        if origin is None:
            return
        at = (origin.line, origin.column)
        found = index.get(at)
        if found is None:
            index[at] = [_unwrapped(value), item, 1]
        else:
            found[2] += 1

    def visit(value: Any) -> None:
        value = _unwrapped(value)
        if isinstance(value, SDict):
            origins = value.origins
            for key, child in value.items():
                note(origins.get(key), child, False)
                if isinstance(child, (dict, list, Tagged)):
                    visit(child)
        elif isinstance(value, SList):
            for child, origin in zip(value, value.origins, strict=True):
                note(origin, child, True)
                if isinstance(child, (dict, list, Tagged)):
                    visit(child)

    visit(doc.data)
    ctx.raw_indexes[id(doc)] = index
    return index


def shares_text(ctx: LintContext, doc: Document, line: int, column: int) -> bool:
    """Whether the text at line:column stands for more than one key path of `doc` (one of
    `ctx.stack`'s documents)."""
    found = raw_index(ctx, doc).get((line, column))
    return found is not None and found[2] > 1


def walk(data: Any, keys: KeyPath) -> tuple[bool, Any]:
    """(found, value) at `keys` of plain document data (tags unwrapped)."""
    node = data
    for key in keys:
        if isinstance(node, dict):  # (most steps: `has_child`'s first case, inline)
            if key not in node:
                return False, None
            node = node[key]
            continue
        if isinstance(node, Tagged):
            node = node.value
        if not has_child(node, key):
            return False, None
        node = node[key]
    return True, node.value if isinstance(node, Tagged) else node


def raw_value(ctx: LintContext, path: KeyPath) -> tuple[bool, Any, bool]:
    """The value at `path` of the merged stack as written in its file, before interpolation:
    (found, value, whether it is a list item). A list item (`- KEY=value`) gives the whole item."""
    node: Any = ctx.data
    for key in path[:-1]:
        if not has_child(node, key):
            return False, None, False
        node = node[key]
    return raw_at(ctx, key_origin(node, path[-1]) if path else None, path)


def raw_at(ctx: LintContext, origin: Origin | None, path: KeyPath = ()) -> tuple[bool, Any, bool]:
    """`raw_value` for the key or item written at `origin`, that the merged stack has at `path`."""
    if origin is None:
        return False, None, False
    for doc in ctx.stack.documents:
        if doc.path != origin.file:
            continue
        if path:  # most often the file has it at the same path: no need to index the whole file
            found, container = walk(doc.data, path[:-1])
            if found and has_child(container, path[-1]) and key_origin(container, path[-1]) == origin:
                return True, _unwrapped(container[path[-1]]), isinstance(container, list)
        indexed = raw_index(ctx, doc).get((origin.line, origin.column))
        if indexed is not None:
            return True, indexed[0], indexed[1]
    return False, None, False


class _Environment(Mapping[str, str]):
    """An environment that sets every variable but those `unset` names, to a marker (and lists
    none)."""

    MARK = "\x00"

    def __init__(self, unset: Callable[[str], bool]) -> None:
        self.unset = unset

    def __getitem__(self, name: str) -> str:
        if self.unset(name):
            raise KeyError(name)
        return self.MARK

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def literal_fallback(text: str, unset: Callable[[str], bool] = lambda name: True) -> tuple[str, str] | None:
    """A value written with variables, read two ways: (what it becomes when the environment
    leaves the variables `unset` names out, so each of their `${VAR:-default}` falls back to its
    default; the text written around its variables). Both without the text of the others. They
    differ where a default supplies literal text. None when the text has no variable, or needs
    one it lacks (`${VAR:?}`: compose refuses to run without it)."""
    if not has_template(text):
        return None
    from composegen.compose.interpolate import substitute

    issues: list[Any] = []
    fallen = substitute(text, _Environment(unset), issues=issues)
    if any(issue.kind != "unset" for issue in issues):
        return None
    if "-" not in text and "+" not in text:
        # no default or alternate value (`:-`, `-`, `:+`, `+`) is written: each variable reads as
        # nothing either way, and the text around them is what the second reading would give
        left = fallen.replace(_Environment.MARK, "")
        return left, left
    around = substitute(text, _Environment(lambda name: False))
    return fallen.replace(_Environment.MARK, ""), around.replace(_Environment.MARK, "")


#: The variables a text refers to: `$NAME` or `${NAME...}`.
_VARIABLE_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def variable_names(text: str) -> list[str]:
    """The names of the variables a text as written refers to (`$$` is a literal `$`)."""
    return _VARIABLE_NAME.findall(text.replace("$$", ""))


def may_hold_variables(ctx: LintContext) -> bool:
    """Whether a file of the stack may hold a variable reference in some value as written: one
    that holds no `$` at all holds none, and `raw_value` need not be asked about any of them."""
    return any(doc.has_dollars for doc in ctx.stack.documents)


def written_with_variable(ctx: LintContext, path: KeyPath) -> bool:
    """Whether the value at `path` was written with a variable reference (unknown: False)."""
    found, value, _ = raw_value(ctx, path)
    return found and isinstance(value, str) and has_template(value)


def once_per_origin(ctx: LintContext, violations: Iterator[Violation]) -> Iterator[Violation]:
    """One violation per place in the files: text that anchors or `<<:` merge keys repeat in
    several services is reported once, at that text, naming the other services."""
    found: dict[Any, tuple[Violation, dict[str, None]]] = {}
    loose: list[Violation] = []
    for violation in violations:
        origin = ctx.origin(violation.path)
        if origin is None:
            loose.append(violation)
        elif origin in found:
            if violation.service:
                found[origin][1].setdefault(violation.service)
        else:  # the origin found, kept: the engine need not look it up again
            found[origin] = (violation if violation.origin else violation._replace(origin=origin), {})
    for violation, others in found.values():
        if others:
            also = ", ".join(repr(o) for o in others)
            violation = violation._replace(message=f"{violation.message} (the same text also serves {also})")
        yield violation
    yield from loose


# --- healthchecks --------------------------------------------------------------------------------


def healthcheck(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    found = service.get("healthcheck")
    return found if is_mapping(found) else None


def disabled(check: Mapping[str, Any] | None) -> bool:
    """`disable: true`, or a test of `["NONE"]`: the healthcheck (and the image's) is off."""
    if check is None:
        return False
    if check.get("disable") is True:
        return True
    test = check.get("test")
    return isinstance(test, list) and bool(test) and test[0] == "NONE"


# --- loading problems, placed --------------------------------------------------------------------


def origin_index(data: Any, wanted: Collection[Origin] | None = None) -> dict[Origin, KeyPath]:
    """Every origin of the merged model (or those in `wanted`) and the (first) key path that
    carries it."""
    index: dict[Origin, KeyPath] = {}
    lines = None if wanted is None else {o.line for o in wanted}  # a cheap test before `in targets`
    targets: Collection[Origin] = () if wanted is None else wanted
    todo: list[tuple[Any, KeyPath]] = [(data, ())]
    while todo:
        node, path = todo.pop()
        if isinstance(node, (dict, Mapping)):
            origins = node.origins if isinstance(node, SDict) else {}  # `key_origin`, looked up once per mapping
            for key, item in node.items():
                origin = origins.get(key)
                if origin is not None and (lines is None or (origin.line in lines and origin in targets)):
                    index.setdefault(origin, (*path, key))
                if isinstance(item, (dict, list)) or (not isinstance(item, _SCALARS) and isinstance(item, Mapping)):
                    todo.append((item, (*path, key)))
        elif isinstance(node, list):
            item_origins = node.origins if isinstance(node, SList) else []
            known = len(item_origins)
            for position, item in enumerate(node):
                origin = item_origins[position] if position < known else None
                if origin is not None and (lines is None or (origin.line in lines and origin in targets)):
                    index.setdefault(origin, (*path, position))
                if isinstance(item, (dict, list)) or (not isinstance(item, _SCALARS) and isinstance(item, Mapping)):
                    todo.append((item, (*path, position)))
    return index


_SCALARS = (str, int, float, type(None))


def problem_violations(ctx: LintContext, kind: ProblemKind, describe: str = "") -> Iterator[Violation]:
    """One violation per distinct problem of `kind` found while loading the stack, placed at the
    key the problem names. A problem's path is into its own file; where that key survives in
    the merged model it is found by its origin, otherwise the nearest key of the path is used
    and the message names the file and line."""
    problems: list[Problem] = [p for p in ctx.stack.problems if p.kind == kind]
    if not problems:
        return
    index = origin_index(ctx.data, {p.origin for p in problems if p.origin is not None})
    seen: set[tuple[Origin | None, str]] = set()
    for problem in problems:
        marker = (problem.origin, problem.message)
        if marker in seen:
            continue  # one anchor expanded in many places: one finding
        seen.add(marker)
        path = index.get(problem.origin) if problem.origin is not None else None
        message = problem.message + describe
        if path is None:
            path = problem.path
            found = ctx.origin(path)
            if problem.origin is not None and found != problem.origin:
                message = f"{message} (at {problem.origin.file}:{problem.origin.line})"
        service = str(path[1]) if len(path) > 1 and path[0] == "services" else None
        yield Violation(path, message, service=service)


# --- profiles ------------------------------------------------------------------------------------


def profiles_of(service: Mapping[str, Any]) -> frozenset[str]:
    found = service.get("profiles")
    return frozenset(str(p) for p in found) if isinstance(found, list) else frozenset()


def run_together(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two services can be started together: not when both have profiles and share none."""
    pa, pb = profiles_of(a), profiles_of(b)
    return not (pa and pb and not pa & pb)


# --- where a key was written ---------------------------------------------------------------------


def written_directly(ctx: LintContext, path: KeyPath) -> str | None:
    """The file in which the key at `path` (of the merged stack) was written at that same path,
    by hand: not through an anchor, alias or `<<:` merge key (whose text other keys share), not
    through `extends` or `include`. None when unsure. Fixes address this file."""
    origin = ctx.origin(path)
    if origin is None:
        return None
    document = next((d for d in ctx.stack.documents if d.path == origin.file), None)
    if document is None:
        return None
    if _position_in(document, path) != (origin.line, origin.column):
        return None
    if shares_text(ctx, document, origin.line, origin.column):
        return None  # the same text stands at another path too: an anchor or a merge key
    return origin.file


def _position_in(doc: Document, path: KeyPath) -> tuple[int, int] | None:
    """(line, column) of the key or item at `path` of one document as written (its own
    `positions[path]`, looked up along the path: a fix asks about a few keys of a large file)."""
    if not path:
        return doc.root.line, doc.root.column
    found, container = walk(doc.data, path[:-1])
    origin = key_origin(container, path[-1]) if found else None
    return None if origin is None else (origin.line, origin.column)


# --- calculator expectations ---------------------------------------------------------------------

#: The kinds of a number nobody gave (composegen.sizing.quantity.SourceKind).
WEAK_KINDS = frozenset({"assumed", "default", ""})


#: lint sizes with a neutral profile named "lint": its settings are defaults, not the user's.
NEUTRAL_SOURCE = "profile lint"


_CHOSEN = re.compile(r"^(?:max|min)\(.*\) = (?P<name>.+)$")


Strength = Literal["declared", "estimate", "default"]


def contributing_leaves(q: Quantity) -> Iterator[Quantity]:
    """The inputs a derived number is made of, following only the part a max() or min() chose."""
    if not q.parts:
        yield q
        return
    parts = q.parts
    chosen = _CHOSEN.match(q.formula)
    if chosen is not None:
        parts = tuple(p for p in q.parts if p.name == chosen.group("name"))[:1] or q.parts
    for part in parts:
        yield from contributing_leaves(part)


def weak(q: Quantity) -> bool:
    """An input nobody gave, by its typed source kind: composegen's assumption or default, or a
    number with no source at all; or a setting of the neutral profile lint sizes with."""
    kind = q.source_kind
    return kind in WEAK_KINDS or (kind == "profile" and q.source.startswith(NEUTRAL_SOURCE))


def strength(q: Quantity) -> Strength:
    """How far an expectation can be trusted.

    `declared`: a number the user gave in composegen.yaml. `estimate`: derived, and at least one
    of the inputs it is made of (margins and other ratios aside) is something the user declared
    or a measured fact, like a test count or a model's parameters. `default`: a bare default, or
    derived from assumptions only (the looks of a number without the substance).
    """
    if not q.parts:
        if weak(q):
            return "default"
        return "declared" if q.source_kind == "declared" else "estimate"
    inputs = [leaf for leaf in contributing_leaves(q) if leaf.unit != "ratio"]
    return "estimate" if any(not weak(leaf) for leaf in inputs) else "default"


def expected_startup(ctx: LintContext, name: str) -> tuple[Quantity, Strength] | None:
    sizing = ctx.expected(name)
    if sizing is None or sizing.startup.value <= 0:
        return None
    return sizing.startup, strength(sizing.startup)


# --- tmpfs mounts --------------------------------------------------------------------------------


class Mount(NamedTuple):
    """One tmpfs mount of a service.

    `size` is in bytes; None when no size is given (unbounded) or when it cannot be read
    (`readable` False: an unresolved variable, a percentage, a typo), which no rule judges.
    """

    path: KeyPath  # of the entry in the merged stack
    target: str
    size: int | None
    readable: bool
    short: bool  # the short `tmpfs:` form (ignored by `docker stack deploy`)


def _short(path: KeyPath, entry: Any) -> Mount | None:
    if isinstance(entry, bool) or not isinstance(entry, (str, int, float)):
        return None
    text = go_format(entry).strip()
    if not text or "$" in text:
        return None
    target, _, options = text.partition(":")
    size: int | None = None
    readable = True
    for option in options.split(","):
        key, sep, value = option.strip().partition("=")
        if key.strip().lower() != "size" or not sep:
            continue
        size = as_bytes(value.strip())
        readable = size is not None
    return Mount(path, target.strip(), size or None, readable, True)


def _long(path: KeyPath, entry: Mapping[str, Any]) -> Mount:
    raw = dig(entry, "tmpfs", "size")
    target = entry.get("target")
    size = as_bytes(raw) if raw is not None else None
    readable = raw is None or size is not None
    return Mount(path, str(target) if target is not None else "", size or None, readable, False)


def tmpfs_mounts(name: str, service: Mapping[str, Any]) -> list[Mount]:
    """Every tmpfs mount of a service: the short `tmpfs:` entries, then `type: tmpfs` volumes."""
    mounts: list[Mount] = []
    short = service.get("tmpfs")
    if isinstance(short, list):
        for index, entry in enumerate(short):
            found = _short(("services", name, "tmpfs", index), entry)
            if found is not None:
                mounts.append(found)
    elif short is not None:
        found = _short(("services", name, "tmpfs"), short)
        if found is not None:
            mounts.append(found)
    volumes = service.get("volumes")
    for index, entry in enumerate(volumes if isinstance(volumes, list) else []):
        if is_mapping(entry) and entry.get("type") == "tmpfs":
            mounts.append(_long(("services", name, "volumes", index), entry))
    return mounts


#: `ipc` modes in which the container gets its own /dev/shm of `shm_size` (docker's default mode is
#: `private` or `shareable`): `host`, `none` and another container's namespace give it none.
OWN_SHM_IPC = frozenset({"private", "shareable"})


def memory_mounts(ctx: LintContext, name: str, service: Mapping[str, Any]) -> list[Mount]:
    """The sized memory-backed mounts whose pages the container's memory cgroup charges
    (facts/sizing.md: tmpfs pages count against the limit; 64M limit, 100M written to a 128M
    tmpfs: OOMKilled): every tmpfs mount with a size (not the short form for `docker stack
    deploy`, which drops it), and the /dev/shm `shm_size` sets, a tmpfs too (not for Swarm, which
    ignores shm_size; not where a tmpfs mounted at /dev/shm replaces it, nor where `ipc` gives the
    container no /dev/shm of its own)."""
    swarm = ctx.target == "swarm"
    every = tmpfs_mounts(name, service)
    mounts = [m for m in every if m.size is not None and not (m.short and swarm)]
    raw = service.get("shm_size")
    if raw is None or swarm or any(m.target == "/dev/shm" for m in every):
        return mounts
    ipc = service.get("ipc")
    if ipc is not None and ipc not in OWN_SHM_IPC:
        return mounts
    size = as_bytes(raw)
    if size:
        mounts.append(Mount(("services", name, "shm_size"), "/dev/shm", size, True, False))
    return mounts


# --- references between services and top-level sections ------------------------------------------

Reference = tuple[str, str, KeyPath]  # (section, name, path of the referring key)


def _names(value: Any, path: KeyPath) -> Iterator[tuple[str, KeyPath, Any]]:
    """(name, path, detail) of a list-or-mapping of names (`[a, b]` or `{a: {...}}`)."""
    if is_mapping(value):
        for key, detail in value.items():
            yield str(key), (*path, key), detail
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield item, (*path, index), None
            elif isinstance(item, Mapping) and isinstance(item.get("source"), str):
                yield item["source"], (*path, index), item


def _service_prefixed(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("service:"):
        return value[len("service:") :]
    return None


#: The service keys that can refer to something by name.
_REFERRING = frozenset(
    {"depends_on", "links", "volumes_from", "network_mode", "ipc", "pid", "networks", "volumes", "secrets", "configs"}
)


def referring_services(ctx: LintContext) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, service) of the services that may refer to something by name (`references` yields
    nothing for the others), in file order."""
    return services_with(ctx, *_REFERRING)


def stack_references(ctx: LintContext) -> list[tuple[str, list[Reference]]]:
    """(name, everything it refers to by name) of each service that may refer to something, in
    file order: read once per stack (two rules ask)."""
    found: list[tuple[str, list[Reference]]] | None = ctx.shared.get("references")
    if found is None:
        found = ctx.shared["references"] = [
            (name, list(references(name, service))) for name, service in referring_services(ctx)
        ]
    return found


def references(name: str, service: Mapping[str, Any]) -> Iterator[Reference]:
    """Everything a service refers to by name."""
    if service.keys().isdisjoint(_REFERRING):  # most services: none to read
        return
    base: KeyPath = ("services", name)
    for target, path, _ in _names(service.get("depends_on"), (*base, "depends_on")):
        yield "services", target, path  # even `required: false`: compose refuses an undefined one
    for target, path, _ in _names(service.get("links"), (*base, "links")):
        yield "services", target.split(":", 1)[0], path
    volumes_from = service.get("volumes_from")
    for index, entry in enumerate(volumes_from if isinstance(volumes_from, list) else []):
        if isinstance(entry, str) and not entry.startswith("container:"):
            target = entry.removeprefix("service:").split(":", 1)[0]
            yield "services", target, (*base, "volumes_from", index)
    for key in ("network_mode", "ipc", "pid"):
        shared = _service_prefixed(service.get(key))
        if shared:
            yield "services", shared, (*base, key)
    for target, path, _ in _names(service.get("networks"), (*base, "networks")):
        yield "networks", target, path
    for index, volume in service_volumes(service.get("volumes")):
        if volume.type == "volume" and volume.source:
            yield "volumes", volume.source, (*base, "volumes", index)
    for section in ("secrets", "configs"):
        for target, path, _ in _names(service.get(section), (*base, section)):
            yield section, target, path


# --- runtime facts: what a service runs, against its memory limit ---------------------------------


#: Image names (the last part, as composegen.facts gives it) of the search servers, whose guidance
#: is a heap of at most half the memory.
SEARCH_IMAGES = frozenset({"elasticsearch", "opensearch"})


class Limited(NamedTuple):
    """A service with a memory limit, and the facts of what it runs (composegen.facts)."""

    name: str
    service: Mapping[str, Any]
    limit: Setting
    facts: ServiceFacts


def limited_services(ctx: LintContext) -> list[Limited]:
    """Every service with a memory limit, with its runtime facts, in file order: found once per
    stack for the six rules that ask. The facts are read only when a service has a limit: a
    stack without one never pays for them."""
    found: list[Limited] | None = ctx.shared.get("limited_services")
    if found is None:
        found = ctx.shared["limited_services"] = list(_limited_services(ctx))
    return found


def memory_limited(ctx: LintContext) -> Iterator[tuple[str, Mapping[str, Any], Setting]]:
    """(name, service, its memory limit) of every service with one, in file order (a limit is set
    under `deploy` or by `mem_limit`: the others are not read)."""
    pair = PAIRS["memory_limit"]
    for name, service in services_with(ctx, pair.deploy[0], pair.legacy):
        limit = memory_limit(name, service)
        if limit is not None:
            yield name, service, limit


def _limited_services(ctx: LintContext) -> Iterator[Limited]:
    for name, service, limit in memory_limited(ctx):
        facts = ctx.facts(name)
        if facts is not None:
            yield Limited(name, service, limit, facts)


def number_fact(facts: ServiceFacts, setting: str, program: str | None = None) -> Fact | None:
    """The fact that wins for a setting, where it was read as a number (not unreadable, not a
    switch, not `auto`); None otherwise."""
    found = facts.get(setting, program)
    if found is None or found.status != "read" or isinstance(found.value, bool):
        return None
    return found if isinstance(found.value, (int, float)) else None


def cited(fact: Fact) -> str:
    """A fact as a message quotes it: `-Xmx4g` (docker-compose.yml:13, environment ES_JAVA_OPTS)."""
    where = ", ".join(part for part in (fact.where(), fact.via) if part)
    return f"`{fact.raw}` ({where})" if where else f"`{fact.raw}`"


def cited_briefly(fact: Fact) -> str:
    """A fact as a parenthesis quotes it: `--workers 4`, docker-compose.yml:8."""
    return f"`{fact.raw}`, {fact.where()}" if fact.origin is not None else f"`{fact.raw}`"


def limit_cited(ctx: LintContext, limit: Setting) -> str:
    """The limit as a message quotes it: the memory limit mem_limit 2g (docker-compose.yml:14)."""
    origin = ctx.origin(limit.path)
    where = f" ({origin.where()})" if origin is not None else ""
    return f"the memory limit {limit.key} {limit.shown()}{where}"


def size_text(value: float) -> str:
    """Bytes as a message shows them: 4.00 GiB, 256 MiB."""
    return human_bytes(value)


def mebibytes(value: float) -> int:
    """Whole MiB, rounded down: the unit a suggested setting is written in."""
    return max(1, int(value // MIB))


def at_fact(
    found: Limited, fact: Fact, message: str, severity: Severity | None = None, fix: Fix | None = None
) -> Violation:
    """A finding placed where the setting is written (the fix goes there), about one service."""
    return Violation(
        ("services", found.name), message, service=found.name, severity=severity, origin=fact.origin, fix=fix
    )


#: The web servers whose `workers` setting is a process count.
WEB_SERVERS = ("gunicorn", "uvicorn", "hypercorn")
#: celery pools that run one process whatever the concurrency.
ONE_PROCESS_POOLS = frozenset({"solo", "threads", "gevent", "eventlet"})


class Workers(NamedTuple):
    """The worker processes a service runs, as its command or environment says."""

    fact: Fact
    processes: int
    program: str


def worker_processes(facts: ServiceFacts) -> Workers | None:
    """gunicorn's, uvicorn's or hypercorn's workers, else celery's `--autoscale` maximum or
    `--concurrency` with a pool of processes; None where nothing says."""
    for program in WEB_SERVERS:
        fact = number_fact(facts, "workers", program)
        if fact is not None and int(fact.value or 0) >= 1:
            return Workers(fact, int(fact.value or 0), program)
    pool = facts.get("pool", "celery")
    if pool is not None and str(pool.value) in ONE_PROCESS_POOLS:
        return None
    fact = number_fact(facts, "autoscale_max", "celery") or number_fact(facts, "concurrency", "celery")
    if fact is None or int(fact.value or 0) < 1:
        return None
    return Workers(fact, int(fact.value or 0), "celery")


# --- fixes of a setting written in the base file -------------------------------------------------

#: A setting as written, split before its value: `-Xmx` `4g`, `--workers ` `12`, `GOMEMLIMIT=` `2GiB`.
_SETTING_VALUE = re.compile(r"^(?P<head>.*?)(?P<value>\d+(?:\.\d+)?[A-Za-z]*)$")


def with_value(fact: Fact, value: str) -> str | None:
    """The fact's text as written with `value` in place of its value (`-Xmx4g` -> `-Xmx1536m`);
    None where the text is not one setting followed by one number (`--autoscale=10,3`)."""
    match = _SETTING_VALUE.match(fact.raw)
    if match is None or "," in fact.raw:
        return None
    return match["head"] + value


def _written_at(ctx: LintContext, origin: Origin) -> tuple[Document, KeyPath] | None:
    """The document and key path (of that file, not the merged stack) of the key or item written at
    `origin`; None where the text stands for several paths (an anchor, a `<<:` merge key) or the
    file is not one of the stack's own (`extends`, `include`)."""
    for doc in ctx.stack.documents:
        if doc.path != origin.file:
            continue
        if shares_text(ctx, doc, origin.line, origin.column):
            return None
        path = origin_index(doc.data, {origin}).get(origin)
        return None if path is None else (doc, path)
    return None


_BOUNDED = r"(?<![\w.-]){}(?![\w.])"


def _replaced(text: str, old: str, new: str) -> str | None:
    """`text` with the one whole-word occurrence of `old` replaced by `new`; None unless there is
    exactly one, or where `text` holds a variable (its value comes from the environment)."""
    if has_template(text):
        return None
    found = list(re.finditer(_BOUNDED.format(re.escape(old)), text))
    if len(found) != 1:
        return None
    return text[: found[0].start()] + new + text[found[0].end() :]


def _setting_edit(ctx: LintContext, fact: Fact, new: str) -> tuple[KeyPath, str, Any] | None:
    """(key path in its file, the file, the new value) that writes `new` in place of `fact.raw`."""
    if fact.origin is None or fact.status != "read":
        return None
    written = _written_at(ctx, fact.origin)
    if written is None:
        return None
    doc, path = written
    found, value = walk(doc.data, path)
    if not found:
        return None
    if isinstance(value, str):
        old = fact.raw
        key = f"{path[-1]}="
        if old.startswith(key) and new.startswith(key) and not value.startswith(key):
            old, new = old[len(key) :], new[len(key) :]  # `GOMEMLIMIT: 2GiB`, read as GOMEMLIMIT=2GiB
        replaced = _replaced(value, old, new)
        if replaced is not None:
            return path, doc.path, replaced
    # an exec-form command: `--workers`, `"6"` are two items, the fact's origin the first of them
    first, _, second = fact.raw.partition(" ")
    new_first, _, new_second = new.partition(" ")
    if not second or first != new_first or value != first or not isinstance(path[-1], int):
        return None
    found, container = walk(doc.data, path[:-1])
    after = path[-1] + 1
    if not found or not isinstance(container, list) or after >= len(container):
        return None
    item = _unwrapped(container[after])
    if str(item) != second or isinstance(item, bool) or not isinstance(item, str | int):
        return None
    return (*path[:-1], after), doc.path, int(new_second) if isinstance(item, int) else new_second


def setting_fix(ctx: LintContext, changes: Iterable[tuple[Fact, str]]) -> Fix | None:
    """A fix that writes each fact's setting with a new value, where it was written in the base file
    (`-Xmx4g` in ES_JAVA_OPTS -> `-Xmx1024m`), keeping the rest of that value as written; None
    unless every change is mechanical (one place, written by hand, without a variable). Two
    settings in one value are one edit. The description names the settings alone: never the rest
    of the value, which may hold a secret."""
    edits: dict[tuple[str, KeyPath], Any] = {}
    said = []
    for fact, value in changes:
        new = with_value(fact, value)
        if new is None or new == fact.raw:
            return None
        place = _setting_edit(ctx, fact, new)
        if place is None:
            return None
        path, file, written = place
        if (file, path) in edits:  # a second setting in the same value: edit the edited text
            previous = edits[(file, path)]
            written = _replaced(previous, fact.raw, new) if isinstance(previous, str) else None
            if written is None:
                return None
        edits[(file, path)] = written
        said.append(f"{new} ({PurePath(file).name}:{fact.origin.line if fact.origin else '?'})")
    if not edits:
        return None
    return Fix(
        "set " + " and ".join(said),
        tuple(Edit(file, path, "set", value) for (file, path), value in edits.items()),
    )


# --- GPUs and LLM serving engines ------------------------------------------------------------------


class HostGpus(NamedTuple):
    """The host's GPUs as composegen.yaml declares them."""

    number: int
    memory: float  # bytes of each
    text: str  # `2 × H100 (80.00 GiB each, composegen.yaml host.gpus)`


def host_gpus(ctx: LintContext) -> HostGpus | None:
    spec = ctx.host.gpus if ctx.host is not None else None
    if spec is None:
        return None
    what = spec.model or "GPU"
    return HostGpus(
        spec.count, spec.memory_each, f"{spec.count} × {what} ({human_bytes(spec.memory_each)} each, host.gpus)"
    )


def gpu_reservation(service: Mapping[str, Any]) -> Reservation | None:
    """The GPUs a service reserves (`deploy.resources.reservations.devices`, `gpus:`)."""
    from composegen.sizing.gpus import reservation

    return reservation(service)


def gets_gpu(service: Mapping[str, Any]) -> bool:
    """Whether a service is given a GPU: it reserves one (gpu_reservation), maps a GPU device
    (ROCm's /dev/kfd, /dev/dri, a CDI name) or runs with the nvidia runtime."""
    from composegen.sizing.gpus import gpu_handed_over

    return gpu_reservation(service) is not None or gpu_handed_over(service) is not None


def model_runner_plans(ctx: LintContext) -> Iterator[tuple[str, Plan]]:
    """(name, VRAM plan) of each model of compose's top-level `models:` whose architecture
    composegen knows: Docker Model Runner serves them on the host's GPU with llama.cpp."""
    models = ctx.data.get("models")
    if not is_mapping(models):
        return
    from composegen.sizing.engines import model_runner, plan
    from composegen.sizing.serving import architecture

    host = host_gpus(ctx)
    for name, entry in models.items():
        model = entry.get("model") if is_mapping(entry) else None
        arch = architecture(model) if isinstance(model, str) and model else None
        if arch is None:
            continue
        context = as_count(entry.get("context_size"))
        engine = model_runner(str(model), context if context and context > 0 else None, f"models.{name}")
        yield str(name), plan(engine, arch, 1, host.memory if host is not None else None)


#: Words of an image, command or entrypoint that an LLM server's have: where none is, a rule
#: about LLM servers leaves the service alone without reading its runtime facts.
_LLM_WORDS = re.compile(r"(?i)vllm|text-generation|llama|ollama")


def may_serve_llm(ctx: LintContext, name: str, service: Mapping[str, Any]) -> bool:
    """Whether the service may run an LLM server: role `llm`, or its image, command or entrypoint
    names one. The runtime facts say for sure; this keeps a plain file from paying for them."""
    return ctx.role(name) == "llm" or _names_an_llm_server(service)


def _names_an_llm_server(service: Mapping[str, Any]) -> bool:
    """Whether the service's image, command or entrypoint names an LLM server (`_LLM_WORDS`)."""
    for key in ("image", "command", "entrypoint"):
        value = service.get(key)
        if value and _names_llm_server(str(value)):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _names_llm_server(text: str) -> bool:
    """Whether `text` holds one of `_LLM_WORDS`: searched once per distinct text (the services
    merged from one anchor share their image)."""
    return _LLM_WORDS.search(text) is not None


def llm_services(ctx: LintContext) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, service) of every service that `may_serve_llm`, in file order: found once per stack
    for the rules about LLM servers, which leave every other service alone."""
    found: list[tuple[str, Mapping[str, Any]]] | None = ctx.shared.get("llm_services")
    if found is None:
        llm = {name for name, _ in services_in_role(ctx, "llm")}
        found = ctx.shared["llm_services"] = [
            (name, service) for name, service in ctx.services() if name in llm or _names_an_llm_server(service)
        ]
    return found


def wants_gpu(facts: ServiceFacts | None, host_has_gpus: bool) -> str | None:
    """Why a service wants a GPU (the engine it runs), or None (composegen.sizing.engines)."""
    from composegen.sizing.engines import wants_gpu as why

    return why(facts, host_has_gpus)


def serving_plan(ctx: LintContext, name: str, service: Mapping[str, Any]) -> Plan | None:
    """The VRAM an LLM serving engine needs on each GPU it uses, where composegen knows its model's
    architecture: the engine's flags and environment (composegen.facts), the model its command
    names or composegen.yaml declares, the GPUs it reserves and the host's (composegen.yaml)."""
    if not may_serve_llm(ctx, name, service):
        return None
    from composegen.sizing.engines import engine_of, plan, with_declared
    from composegen.sizing.serving import architecture

    engine = engine_of(ctx.facts(name))
    if engine is None:
        return None
    inputs = ctx.inputs.get(name)
    if inputs is not None:
        engine = with_declared(engine, inputs.spec.context_length, inputs.spec.concurrent_sequences)
    declared = inputs.spec.models[0] if inputs is not None and inputs.spec.models else None
    names = [declared.name] if declared is not None and declared.name else []
    names += [str(engine.model.value)] if engine.model is not None else []
    arch = next((a for n in names if (a := architecture(n)) is not None), None)
    if arch is None:
        return None
    host = host_gpus(ctx)
    if engine.engine in ("vllm", "tgi"):
        split = max(1, int(engine.tensor_parallel.number))
    else:
        reserved = gpu_reservation(service)
        split = reserved.gpus(host.number if host is not None else 1) if reserved is not None else 1
    fmt = declared.dtype if declared is not None and "dtype" in declared.model_fields_set else None
    return plan(engine, arch, max(1, split), host.memory if host is not None else None, fmt)
