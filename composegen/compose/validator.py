"""A lean JSON Schema validator for the keywords the compose-spec schema uses, nothing more.

`jsonschema` costs 0.1 s to import and build a validator for the compose-spec schema, and a
second to validate 2000 services (every keyword of every node goes through its generic dispatch).
This compiles each schema node once, at first use, into a small function of the instance, and
yields errors that read like `jsonschema`'s `ValidationError` for the parts
`composegen.compose.schema` reads: the same `message`, `validator` (the keyword),
`validator_value`, `instance`, `schema` (the node holding the keyword), `path` (relative to the
instance validated: a `deque`, like jsonschema's `relative_path`) and `context` (the errors of each
branch of a failed `oneOf` / `anyOf`), in the same order as `Draft202012Validator.iter_errors`,
as the one exception: keys one `additionalProperties` schema finds extra are visited in the
instance's order, where jsonschema visits a set (an order that changes from run to run).

Supported (draft 2020-12 semantics): `type`, `properties`, `patternProperties`,
`additionalProperties`, `items`, `required`, `enum`, `minimum`, `maximum`, `pattern`,
`uniqueItems`, `oneOf`, `anyOf`, `allOf`, `$ref` to `#/...` inside the schema, boolean schemas,
and the annotations (`description`, `default`, `deprecated`, ...). Any other keyword raises
`UnsupportedSchema` when the validator is built: a new schema version that uses one must not
validate silently wrong (tests/compose/test_compose_schema.py builds it on the vendored schema and
compares its errors with jsonschema's on many documents).
"""

from __future__ import annotations

import numbers
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from composegen.yamlio import SDict, SList, Timestamp

#: Keywords that only annotate: they never fail a document.
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "definitions", "title", "description", "default", "deprecated", "examples"}
)


class UnsupportedSchema(Exception):
    """The schema uses a keyword or reference this validator does not implement."""


class SchemaViolation:
    """One error, with the attributes of `jsonschema.ValidationError` that composegen reads."""

    __slots__ = ("_message", "context", "instance", "path", "schema", "validator", "validator_value")

    def __init__(
        self,
        message: str | Callable[[], str],
        validator: str | None,
        validator_value: Any,
        instance: Any,
        schema: Any,
        context: list[SchemaViolation] | None = None,
    ) -> None:
        self._message = message  # a function when the text (a repr of the instance) may never be read
        self.validator = validator
        self.validator_value = validator_value
        self.instance = instance
        self.schema = schema
        self.path: deque[str | int] = deque()
        self.context = context or []

    @property
    def message(self) -> str:
        if not isinstance(self._message, str):
            self._message = self._message()
        return self._message

    @property
    def absolute_path(self) -> deque[str | int]:
        """The path from the instance given to `iter_errors` (the same as `path` here)."""
        return self.path

    def __repr__(self) -> str:
        return f"<SchemaViolation {self.validator}: {self.message!r} at {list(self.path)}>"


Errors = list[SchemaViolation] | None
Check = Callable[[Any], Errors]


def _valid(instance: Any) -> Errors:
    return None


# --- jsonschema's equality (True is not 1) -------------------------------------------------------

_TRUE, _FALSE = object(), object()


def _unbool(element: Any) -> Any:
    if element is True:
        return _TRUE
    if element is False:
        return _FALSE
    return element


def _equal(one: Any, two: Any) -> bool:
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(i, j) for i, j in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and _equal(value, two[key]) for key, value in one.items())
    return bool(_unbool(one) == _unbool(two))


def _identity(element: Any) -> Any:
    """A hashable value equal for elements `_equal` calls equal, and for no others: a string,
    number or null as it is (1 == 1.0), a boolean tagged (True is not 1), lists and mappings
    frozen and tagged (a list is not a string); TypeError for an unhashable value of another type."""
    kind = type(element)
    if kind is str or kind is int or kind is float or element is None:
        return element
    if kind is bool:
        return ("boolean", element)
    if isinstance(element, dict):  # (before the Sequence ABC, which a dict is not: a port range's 65,535)
        # (text and ints as they are, without a call: a long-form port's every value)
        items = [(k, v if (t := type(v)) is str or t is int else _identity(v)) for k, v in element.items()]
        return ("object", frozenset(items))
    if isinstance(element, str):
        return element
    if isinstance(element, Sequence):
        return ("array", tuple(_identity(each) for each in element))
    if isinstance(element, Mapping):
        return ("object", frozenset((key, _identity(value)) for key, value in element.items()))
    hash(element)  # a number of another type, or another hashable value: as it is
    return element


def _unique(container: Sequence[Any]) -> bool:
    """No two elements equal (jsonschema's `uniqueItems`), in time linear in the elements: a set
    of their identities. Sorting, or comparing each pair, takes a port range of 65,535 entries
    minutes."""
    try:
        identities = [_identity(each) for each in container]
    except TypeError:  # an unhashable value YAML never gives: compare each pair
        seen: list[Any] = []
        for element in container:
            element = _unbool(element)
            if any(_equal(i, element) for i in seen):
                return False
            seen.append(element)
        return True
    return len(set(identities)) == len(identities)


# --- types (draft 2020-12: 1.0 is an integer, True is not a number) ----------------------------


def _is_number(x: Any) -> bool:
    if type(x) in (int, float):
        return True
    if x is None or isinstance(x, (str, list, dict, bool)):  # before the slow `Number` check
        return False
    return isinstance(x, numbers.Number)


TYPES: dict[str, Callable[[Any], bool]] = {
    # a Timestamp (`2001-12-14`) is text to composegen but a time to compose, which refuses it
    "string": lambda x: type(x) is str or (isinstance(x, str) and not isinstance(x, Timestamp)),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "integer": lambda x: (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer()),
    "number": _is_number,
}


#: Python types whose every value passes a type (a quick first test; the others ask `TYPES`).
_PASSING: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "object": (dict, SDict),
    "array": (list, SList),
    "boolean": (bool,),
    "null": (type(None),),
    "integer": (int,),
    "number": (int, float),
}


# --- compiling ---------------------------------------------------------------------------------


class CompiledSchema:
    """A validator for one schema: `iter_errors(instance)`, `is_valid(instance)`."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self._compiled: dict[int, Check] = {}
        self._pending: dict[int, list[Check]] = {}
        self._check = self._compile(schema)

    def iter_errors(self, instance: Any) -> Iterator[SchemaViolation]:
        yield from self._check(instance) or ()

    def is_valid(self, instance: Any) -> bool:
        return not self._check(instance)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise UnsupportedSchema(f"only references inside the schema are supported, not {ref!r}")
        node: Any = self.schema
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def _compile(self, node: Any) -> Check:
        if node is True:
            return _valid
        if node is False:
            return lambda x: [SchemaViolation(f"False schema does not allow {x!r}", None, None, x, False)]
        if not isinstance(node, dict):
            raise UnsupportedSchema(f"a schema must be an object or a boolean, not {node!r}")
        key = id(node)
        found = self._compiled.get(key)
        if found is not None:
            return found
        if key in self._pending:  # a reference back into a node being compiled: look it up when called
            return lambda x: self._compiled[key](x)
        self._pending[key] = []
        checks = [self._keyword(name, value, node) for name, value in node.items() if name not in ANNOTATIONS]
        checks = [c for c in checks if c is not _valid]
        del self._pending[key]
        compiled = _all_of(checks)
        self._compiled[key] = compiled
        return compiled

    def _keyword(self, name: str, value: Any, node: dict[str, Any]) -> Check:
        make = _KEYWORDS.get(name)
        if make is None:
            raise UnsupportedSchema(f"keyword {name!r} is not supported")
        return make(self, value, node)


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return _valid
    if len(checks) == 1:
        return checks[0]

    def check(x: Any) -> Errors:
        errors: Errors = None
        for each in checks:
            found = each(x)
            if found:
                if errors is None:
                    errors = found
                else:
                    errors.extend(found)
        return errors

    return check


def _prefixed(errors: list[SchemaViolation], key: str | int) -> list[SchemaViolation]:
    for error in errors:
        error.path.appendleft(key)
    return errors


def _type(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    tests = [TYPES[n] for n in names]
    reprs = ", ".join(repr(n) for n in names)

    def fail(x: Any) -> Errors:
        return [SchemaViolation(lambda: f"{x!r} is not of type {reprs}", "type", value, x, node)]

    fast = frozenset(kind for n in names for kind in _PASSING.get(n, ()))
    if len(tests) == 1:
        test = tests[0]
        return lambda x: None if type(x) in fast or test(x) else fail(x)
    return lambda x: None if type(x) in fast or any(t(x) for t in tests) else fail(x)


def _properties(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    # each property's schema is compiled when a document first has that property: a small file
    # never pays for the hundreds it does not use
    order = {name: index for index, name in enumerate(value)}
    compiled: dict[str, Check] = {}

    def sub(name: str) -> Check:
        found = compiled.get(name)
        if found is None:
            found = compiled[name] = compiler._compile(value[name])
        return found

    def check(x: Any) -> Errors:
        if not isinstance(x, dict):
            return None
        errors: list[tuple[int, list[SchemaViolation]]] | None = None
        # visit the instance's keys (fewer than the schema's); report in the schema's order
        for name in x if len(x) < len(order) else [n for n in order if n in x]:
            each = compiled.get(name)
            if each is None:
                if name not in order:
                    continue
                each = sub(name)
            if each is _valid:
                continue
            found = each(x[name])
            if found:
                if errors is None:
                    errors = []
                errors.append((order[name], _prefixed(found, name)))
        if errors is None:
            return None
        errors.sort(key=lambda pair: pair[0])
        return [e for _, found in errors for e in found]

    return check if value else _valid


def _pattern_properties(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    checks = [(re.compile(p), compiler._compile(sub)) for p, sub in value.items()]
    checks = [(p, c) for p, c in checks if c is not _valid]
    if not checks:
        return _valid

    def check(x: Any) -> Errors:
        if not isinstance(x, dict):
            return None
        errors: Errors = None
        for pattern, sub in checks:
            for key, item in x.items():
                if pattern.search(key):
                    found = sub(item)
                    if found:
                        errors = _prefixed(found, key) if errors is None else errors + _prefixed(found, key)
        return errors

    return check


def _additional_properties(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    known = node.get("properties", {})
    joined = "|".join(node.get("patternProperties", {}))
    matcher = re.compile(joined) if joined else None

    def extras(x: dict[Any, Any]) -> list[Any]:
        return [k for k in x if k not in known and not (matcher is not None and matcher.search(k))]

    if value is False:

        def fail(x: Any) -> Errors:
            if not isinstance(x, dict):
                return None
            found = extras(x)
            if not found:
                return None
            if "patternProperties" in node:
                verb = "does" if len(found) == 1 else "do"
                joined_extras = ", ".join(repr(each) for each in sorted(found))
                patterns = ", ".join(repr(each) for each in sorted(node["patternProperties"]))
                message = f"{joined_extras} {verb} not match any of the regexes: {patterns}"
            else:
                ordered = sorted(found, key=str)
                verb = "was" if len(ordered) == 1 else "were"
                message = (
                    f"Additional properties are not allowed ({', '.join(repr(e) for e in ordered)} {verb} unexpected)"
                )
            return [SchemaViolation(message, "additionalProperties", value, x, node)]

        return fail
    sub = compiler._compile(value)
    if sub is _valid:
        return _valid

    def check(x: Any) -> Errors:
        if not isinstance(x, dict):
            return None
        errors: Errors = None
        for key in extras(x):
            found = sub(x[key])
            if found:
                errors = _prefixed(found, key) if errors is None else errors + _prefixed(found, key)
        return errors

    return check


def _items(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    if value is False:
        raise UnsupportedSchema("items: false is not supported")
    sub = compiler._compile(value)
    if sub is _valid:
        return _valid

    def check(x: Any) -> Errors:
        if not isinstance(x, list):
            return None
        errors: Errors = None
        for index, item in enumerate(x):
            found = sub(item)
            if found:
                errors = _prefixed(found, index) if errors is None else errors + _prefixed(found, index)
        return errors

    return check


def _required(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    def check(x: Any) -> Errors:
        if not isinstance(x, dict):
            return None
        missing = [p for p in value if p not in x]
        if not missing:
            return None
        return [SchemaViolation(f"{p!r} is a required property", "required", value, x, node) for p in missing]

    return check


def _enum(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    strings = frozenset(v for v in value if isinstance(v, str))

    def check(x: Any) -> Errors:
        if isinstance(x, str) and x in strings:
            return None
        if all(not _equal(each, x) for each in value):
            return [SchemaViolation(lambda: f"{x!r} is not one of {value!r}", "enum", value, x, node)]
        return None

    return check


def _minimum(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    def check(x: Any) -> Errors:
        if _is_number(x) and x < value:
            return [SchemaViolation(f"{x!r} is less than the minimum of {value!r}", "minimum", value, x, node)]
        return None

    return check


def _maximum(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    def check(x: Any) -> Errors:
        if _is_number(x) and x > value:
            return [SchemaViolation(f"{x!r} is greater than the maximum of {value!r}", "maximum", value, x, node)]
        return None

    return check


def _pattern(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    compiled = re.compile(value)

    def check(x: Any) -> Errors:
        if isinstance(x, str) and not compiled.search(x):
            return [SchemaViolation(f"{x!r} does not match {value!r}", "pattern", value, x, node)]
        return None

    return check


def _unique_items(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    if not value:
        return _valid

    def check(x: Any) -> Errors:
        if isinstance(x, list) and not _unique(x):
            return [SchemaViolation(f"{x!r} has non-unique elements", "uniqueItems", value, x, node)]
        return None

    return check


def _type_test(compiler: CompiledSchema, branch: Any) -> Callable[[Any], bool] | None:
    """A quick test a document must pass to be valid under `branch`: its `type` (None: no such
    test). A branch is one of several: most documents fail most of them on their type alone."""
    while isinstance(branch, dict) and set(branch) - ANNOTATIONS == {"$ref"}:
        branch = compiler._resolve(branch["$ref"])
    if not isinstance(branch, dict) or "type" not in branch:
        return None
    names = [branch["type"]] if isinstance(branch["type"], str) else list(branch["type"])
    tests = [TYPES[n] for n in names]
    return tests[0] if len(tests) == 1 else lambda x: any(t(x) for t in tests)


def _type_names(compiler: CompiledSchema, branch: Any) -> frozenset[str] | None:
    """The types a branch allows (`_type_test`'s), by name; None: it names none."""
    while isinstance(branch, dict) and set(branch) - ANNOTATIONS == {"$ref"}:
        branch = compiler._resolve(branch["$ref"])
    if not isinstance(branch, dict) or "type" not in branch:
        return None
    return frozenset([branch["type"]] if isinstance(branch["type"], str) else branch["type"])


def _exclusive(names: list[frozenset[str] | None]) -> bool:
    """Whether no value passes the type tests of two of the branches: each names its types, no
    type twice, and not both `integer` and `number` (an int, or a whole float, is both)."""
    if any(each is None for each in names):
        return False
    seen: set[str] = set()
    for each in names:
        assert each is not None
        if seen & each:
            return False
        seen |= each
    return not {"integer", "number"} <= seen


def _one_of(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    branches = [compiler._compile(sub) for sub in value]
    tests = [_type_test(compiler, sub) for sub in value]
    #: The branches' types exclude each other (`command`: null, a string or a list): a value is
    #: valid under the one branch whose type it has, if any, and under no other.
    exclusive = _exclusive([_type_names(compiler, sub) for sub in value])

    def valid(index: int, x: Any) -> bool:
        test = tests[index]
        return (test is None or test(x)) and not branches[index](x)

    def failed(x: Any) -> Errors:
        return _none_valid(x, branches, "oneOf", value, node)

    typed = [(test, branch) for test, branch in zip(tests, branches, strict=True) if test is not None]

    def check_exclusive(x: Any) -> Errors:
        for test, branch in typed:
            if test(x):
                return None if not branch(x) else failed(x)
        return failed(x)

    if exclusive and len(typed) == len(branches):
        return check_exclusive

    def check(x: Any) -> Errors:
        first = next((i for i in range(len(branches)) if valid(i, x)), -1)
        if first < 0:
            return failed(x)
        more = [value[i] for i in range(first + 1, len(branches)) if valid(i, x)]
        if more:
            more.append(value[first])
            reprs = ", ".join(repr(each) for each in more)
            return [SchemaViolation(f"{x!r} is valid under each of {reprs}", "oneOf", value, x, node)]
        return None

    return check


def _any_of(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    branches = [compiler._compile(sub) for sub in value]
    tests = [_type_test(compiler, sub) for sub in value]

    def check(x: Any) -> Errors:
        if any((test is None or test(x)) and not branch(x) for test, branch in zip(tests, branches, strict=True)):
            return None
        return _none_valid(x, branches, "anyOf", value, node)

    return check


def _none_valid(x: Any, branches: list[Check], keyword: str, value: Any, node: dict[str, Any]) -> Errors:
    """The error of a `oneOf` / `anyOf` no branch of which `x` is valid under: with each
    branch's errors as its context."""
    context: list[SchemaViolation] = []
    for branch in branches:
        context.extend(branch(x) or ())
    return [
        SchemaViolation(lambda: f"{x!r} is not valid under any of the given schemas", keyword, value, x, node, context)
    ]


def _all_of_keyword(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    return _all_of([c for c in (compiler._compile(sub) for sub in value) if c is not _valid])


def _ref(compiler: CompiledSchema, value: Any, node: dict[str, Any]) -> Check:
    return compiler._compile(compiler._resolve(value))


_KEYWORDS: dict[str, Callable[[CompiledSchema, Any, dict[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "items": _items,
    "required": _required,
    "enum": _enum,
    "minimum": _minimum,
    "maximum": _maximum,
    "pattern": _pattern,
    "uniqueItems": _unique_items,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "allOf": _all_of_keyword,
    "$ref": _ref,
}
