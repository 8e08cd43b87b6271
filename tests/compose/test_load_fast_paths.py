"""The shortcuts loading a stack takes are the long way's results: property tests, each fast path
against the plain reading it replaces (issue 12, "Quadratic time": loading is paid by every
command)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from composegen.compose import schema
from composegen.compose.interpolate import _CAST_TRIE, cast_value, caster_for, interpolate, substitute
from composegen.compose.stack import _finish_service, _strings, dollar_strings, finished_service
from composegen.compose.syntax import SyntaxProblem, _shell_words, go_shell_split, plain_words
from composegen.compose.tree import TrieNode, ends, plain, step
from composegen.compose.validator import CompiledSchema
from composegen.yamlio import SDict, Tagged, _Loader, _scalar_value, parse_document

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- oneOf whose branches' types exclude each other ------------------------------------------------

_BRANCHES: dict[str, dict[str, Any]] = {
    "null": {"type": "null"},
    "string": {"type": "string", "pattern": "^[a-z]+$"},
    "array": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "object": {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer", "minimum": 0},
    "number": {"type": "number", "maximum": 10},
    "mixed": {"type": ["string", "null"]},
    "untyped": {"minimum": 3},
}
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 20) | st.floats(-5, 20) | st.sampled_from(["", "abc", "Abc", "a"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
    max_leaves=6,
)


def _errors(validator: Any, value: Any) -> list[tuple[Any, ...]]:
    return [
        (
            tuple(e.path),
            e.validator,
            e.message,
            sorted((tuple(c.path), c.validator, c.message) for c in e.context),
        )
        for e in validator.iter_errors(value)
    ]


@SETTINGS
@given(st.lists(st.sampled_from(sorted(_BRANCHES)), min_size=1, max_size=4, unique=True), _VALUES)
def test_one_of_reports_what_jsonschema_reports_whether_its_branches_types_exclude_each_other(
    names: list[str], value: Any
) -> None:
    """Branches of types no value shares (`command`: null, text or a list) are decided by the one
    branch of the value's type: the errors are jsonschema's, as for any other `oneOf`."""
    from jsonschema import Draft202012Validator

    node = {"oneOf": [_BRANCHES[name] for name in names]}
    assert _errors(CompiledSchema(node), value) == _errors(Draft202012Validator(node), value)


# --- a command of plain words ------------------------------------------------------------------------


@SETTINGS
@given(st.text(alphabet=" \t\r\nab=$-;&|<>()'\"`\\1", max_size=12))
def test_a_command_of_plain_words_splits_as_the_character_reading_does(text: str) -> None:
    """`plain_words`: the split at spaces is what reading character by character gives, and it
    never refuses the command; any other text is read character by character."""
    if plain_words(text):
        assert go_shell_split(text) == _shell_words(text)
        return
    try:
        expected: list[str] | None = _shell_words(text)
    except SyntaxProblem:
        expected = None
    try:
        found: list[str] | None = go_shell_split(text)
    except SyntaxProblem:
        found = None
    assert found == expected


# --- a step through a trie node whose only key is `*` ----------------------------------------------


def _nodes(root: TrieNode) -> list[TrieNode]:
    found, pending = [], [root]
    while pending:
        node = pending.pop()
        found.append(node)
        pending.extend(child for key, child in node.items() if key is not None)
    return found


_KEYS = st.one_of(st.sampled_from(["*", "services", "environment", "cpus", "ports", "x"]), st.integers(0, 3), st.text())


@given(_KEYS)
def test_a_node_with_one_key_is_stepped_through_alike_by_every_key(key: Any) -> None:
    """What `interpolate` and `type_errors` take for granted where a trie node has one key only:
    stepping by `*` gives the nodes every key gives, or nothing where that key is not `*`."""
    for trie in (_CAST_TRIE.root, schema._TYPED_TRIE.root):
        for node in _nodes(trie):
            if len(node) == 1:
                every = step((node,), "*")
                assert (every or step((node,), key)) == step((node,), key)
                if "*" in node:
                    assert every == step((node,), key)


# --- what compose cannot read, found along the trie or by reading every string -------------------

_TEXT = st.sampled_from(["lots", "512M", "1x", "30s", "soon", "2", "true", "maybe", "a b", "a 'b", "KEY =v", "8080:80"])
_SERVICE = st.fixed_dictionaries(
    {},
    optional={
        "image": _TEXT,
        "command": _TEXT,
        "environment": st.dictionaries(st.sampled_from(["A", "cpus", "command", "*"]), _TEXT, max_size=2)
        | st.lists(_TEXT, max_size=2),
        "ports": st.lists(_TEXT, max_size=2),
        "init": _TEXT,
        "deploy": st.fixed_dictionaries(
            {"resources": st.fixed_dictionaries({"limits": st.fixed_dictionaries({"cpus": _TEXT})})}
        ),
        "healthcheck": st.fixed_dictionaries({}, optional={"interval": _TEXT, "retries": _TEXT}),
        "ulimits": st.dictionaries(st.sampled_from(["nofile", "nproc"]), _TEXT, max_size=2),
    },
)
_MODEL = st.fixed_dictionaries(
    {"services": st.dictionaries(st.sampled_from(["web", "db", "*", "environment", "80"]), _SERVICE, max_size=3)},
    optional={"networks": st.dictionaries(st.sampled_from(["n", "*"]), st.fixed_dictionaries({"external": _TEXT}))},
)


def _leaves(value: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [(path, value)] if isinstance(value, str) else []


@SETTINGS
@given(_MODEL)
@example({"services": {"web": {"environment": {"*": "KEY =v", "A": "B =v"}}}})  # `*` is a key too
def test_type_errors_are_those_of_every_string_read_where_it_is(model: dict[str, Any]) -> None:
    """`type_errors` walks only where a pattern leads, one step for all the services: it finds what
    reading every string of the typed sections at its own path finds."""
    expected = []
    for section in schema._TYPED_SECTIONS:
        for path, text in _leaves(model.get(section), (section,)) if section in model else ():
            reader = (schema._read_kind(path), caster_for(path))
            problem = schema._type_problem(text, reader) if reader != (None, None) else None
            if problem is not None:
                expected.append((path, problem))
    assert [(e.path, e.message) for e in schema.type_errors(model)] == expected


# --- plain scalars read inline ---------------------------------------------------------------------

_SCALARS = st.one_of(
    st.sampled_from(
        ["", "~", "null", "True", "false", "0x1F", "1_000", "010", "-.inf", ".5", "2001-12-14", "<<", "a", "$x", "12"]
    ),
    st.text(alphabet="ab01.-+_ :", min_size=1, max_size=6),
)
_STYLES = st.sampled_from(["{}", "'{}'", '"{}"', "!!str {}", "!reset {}", "!override {}"])


def _reference(node: yaml.Node) -> Any:
    """The value of a composed node, every scalar through `_scalar_value`."""
    if isinstance(node, yaml.ScalarNode):
        return _scalar_value(node)
    if isinstance(node, yaml.SequenceNode):
        return [_reference(item) for item in node.value]
    return {_scalar_value(k): _reference(v) for k, v in node.value}


@SETTINGS
@given(st.lists(st.tuples(_SCALARS, _STYLES), min_size=1, max_size=4))
def test_scalars_in_mappings_and_lists_read_as_the_scalar_reader_reads_them(scalars: list[tuple[str, str]]) -> None:
    texts = [style.format(yaml.safe_dump(text, default_style='"').strip() if "'" in style or '"' in style else text)
             for text, style in scalars]  # fmt: skip
    body = "".join(f"  k{i}: {t}\n" for i, t in enumerate(texts)) + "  list:\n" + "".join(f"    - {t}\n" for t in texts)
    text = "top:\n" + body
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return  # not YAML (a plain scalar that starts like an indicator): nothing to compare
    assert plain(parse_document(text, "x.yml").data) == plain(_reference(node))


# --- a file without `$` refers to no variable ------------------------------------------------------


@SETTINGS
@given(st.lists(st.text(alphabet='ab$\\x24"', max_size=8), min_size=1, max_size=4))
def test_a_file_without_a_dollar_holds_no_string_with_one(values: list[str]) -> None:
    """`Stack.interpolated_variables` walks only the files with a `$` (`Document.has_dollars`): in
    the others no key or value holds one, escapes (`"\\x24"`) included."""
    text = "".join(f"k{i}: {yaml.safe_dump(v, default_style=chr(34)).strip()}\n" for i, v in enumerate(values))
    text += "".join(f"'{v}': {i}\n" for i, v in enumerate(values) if "'" not in v)
    doc = parse_document(text, "x.yml")
    if not doc.has_dollars:
        assert not any("$" in s for s in _strings(doc.data))


_DATA = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-1, 1)
    | st.sampled_from(["", "a", "$A", "${B}x", "$$", "x$"])
    | st.builds(Tagged, st.sampled_from(["!reset", "!override"]), st.sampled_from(["$A", "b", None])),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "$k", 1, True, "b$"]), inner, max_size=3)
    ),
    max_leaves=10,
)


@SETTINGS
@given(_DATA)
def test_the_strings_with_a_dollar_are_those_of_every_string(data: Any) -> None:
    """`Stack.interpolated_variables` takes the strings with a `$` (`dollar_strings`), each as
    often as `_strings` gives it."""
    assert sorted(dollar_strings(data)) == sorted(s for s in _strings(data) if "$" in s)


# --- interpolating a file without `$`: the casts alone -----------------------------------------

_CASTABLE = st.sampled_from(["true", "False", "2", "0.5", "x", "", "1e3", "no"])
_NO_DOLLAR_SERVICE = st.fixed_dictionaries(
    {},
    optional={
        "cpus": _CASTABLE,
        "init": _CASTABLE,
        "environment": st.dictionaries(st.sampled_from(["A", "cpus"]), _CASTABLE, max_size=2),
        "deploy": st.fixed_dictionaries({"replicas": _CASTABLE}),
        "ports": st.lists(st.fixed_dictionaries({"target": _CASTABLE}) | _CASTABLE, max_size=2),
        "ulimits": st.dictionaries(st.sampled_from(["nofile"]), _CASTABLE | st.fixed_dictionaries({"soft": _CASTABLE})),
        "labels": st.builds(Tagged, st.just("!override"), st.lists(_CASTABLE, max_size=2)),
    },
)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["services", "x-other"]), st.dictionaries(st.sampled_from(["a", "b"]), _NO_DOLLAR_SERVICE)
    )
)
def test_a_model_without_dollars_interpolates_to_what_the_whole_walk_gives(model: dict[str, Any]) -> None:
    """`interpolate(..., dollars=False)` walks only where a cast leads: the values and issues are
    those of the whole walk."""
    whole = interpolate(model, {"A": "1"})
    cast_only = interpolate(model, {"A": "1"}, dollars=False)
    assert plain(cast_only.value) == plain(whole.value)
    assert cast_only.issues == whole.issues


_DOLLAR_VALUE = st.sampled_from(["true", "2", "x", "${A}", "${A}0", "$A", "${UNSET:-3}", "$$"])


def _walked_the_long_way(value: Any, env: dict[str, str], path: tuple[Any, ...], casts: tuple[TrieNode, ...]) -> Any:
    """`interpolate`'s walk as it reads: each key stepped through `_CAST_TRIE`, each string
    substituted, then cast where a pattern ends."""
    if isinstance(value, str):
        text = substitute(value, env)
        return cast_value(path, text) if casts and ends(casts) else text
    if isinstance(value, dict):
        return {key: _walked_the_long_way(item, env, (*path, key), step(casts, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_walked_the_long_way(item, env, (*path, i), step(casts, i)) for i, item in enumerate(value)]
    if isinstance(value, Tagged):
        return Tagged(value.tag, _walked_the_long_way(value.value, env, path, casts))
    return value


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["a", "b"]),
        st.dictionaries(
            st.sampled_from(["cpus", "init", "image", "command", 1, "environment", "deploy", "ports"]),
            _DOLLAR_VALUE
            | st.dictionaries(st.sampled_from(["A", "replicas", "target"]), _DOLLAR_VALUE, max_size=2)
            | st.lists(_DOLLAR_VALUE | st.fixed_dictionaries({"target": _DOLLAR_VALUE}), max_size=2),
            max_size=4,
        ),
    )
)
def test_a_model_with_dollars_interpolates_to_what_the_long_walk_gives(services: dict[str, Any]) -> None:
    """The walk passes a key the one node of a service does not name without stepping through
    the trie: the values are those of stepping each key."""
    model = {"services": services}
    env = {"A": "1"}
    assert plain(interpolate(model, env).value) == _walked_the_long_way(model, env, (), (_CAST_TRIE.root,))


_ENTRIES = st.sampled_from(["A", "B", "A=1", "C=", "x"])


@SETTINGS
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "environment": st.none()
            | st.dictionaries(_ENTRIES, st.none() | st.sampled_from(["1", ""]), max_size=3)
            | st.lists(_ENTRIES, max_size=3),
            "image": st.just("nginx"),
            "dns": st.lists(st.sampled_from(["", "1.1.1.1"]), max_size=2),
            "build": st.fixed_dictionaries({"args": st.dictionaries(_ENTRIES, st.none(), max_size=2)}),
        },
    )
)
def test_a_service_is_finished_as_each_step_finishes_it(body: dict[str, Any]) -> None:
    """`_finish_service` fills a service's environment alone without the other steps: what
    every step makes (`finished_service`), with the same origins."""
    service = SDict(body)
    variables = {"A": "a", "C": "c"}
    quick, slow = _finish_service(service, variables), finished_service(service, variables)
    assert quick == slow
    assert getattr(quick, "origins", None) == getattr(slow, "origins", None)
    assert (quick is service) is (slow is service)


# --- canonical_service: a service's own keys, not the 42 simple ones asked for each ---------------

_SIMPLE_KEYS = ("image", "restart", "user", "read_only", "tty", "init", "cap_add", "dns", "shm_size", "mem_limit")
_SIMPLE_KEYS += ("pids_limit", "cpu_shares", "oom_score_adj", "hostname", "labels", "x-other", "stdin_open")
_SIMPLE_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", "x", "true", "False", "512m", "1.5", "lots"]),
    st.booleans(),
    st.integers(-5, 5),
    st.lists(st.sampled_from(["a", "", "NET_ADMIN"]), max_size=2),
)


def _canonical_simple_the_long_way(service: dict[str, Any]) -> dict[str, Any]:
    """The simple groups of `canonical_service` as it wrote them: each key of each group asked."""
    from composegen.compose import normalize as n

    out: dict[str, Any] = {}
    for key in n._STRINGS:
        if service.get(key) not in (None, ""):
            out[key] = n.go_format(service[key])
    for key in n._BOOLS:
        if service.get(key) is not None and n._bool(service[key]) is not False:
            out[key] = n._bool(service[key])
    for key in n._LISTS:
        if service.get(key) is not None:
            out[key] = n._as_list(service[key])
    for key in n._SIZES:
        if service.get(key) is not None:
            out[key] = n._size(service[key])
    for key in n._NUMBERS:
        if service.get(key) is not None:
            out[key] = service[key]
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(_SIMPLE_KEYS),
        _SIMPLE_VALUES,
        max_size=10,
    )
)
def test_canonical_service_writes_the_simple_keys_as_asking_each_did(service: dict[str, Any]) -> None:
    from pathlib import Path

    from composegen.compose.normalize import canonical_service

    try:
        expected = _canonical_simple_the_long_way(service)
    except (TypeError, ValueError, AttributeError):
        return  # a value the long way cannot read either (the test's drawing, not a stack's)
    found = canonical_service(service, Path("/p"))
    assert list(found.items())[: len(expected)] == list(expected.items())


# --- a short port read once per text ---------------------------------------------------------------

_PORT_PARTS = st.sampled_from(["", "1", "80", "8080", "0", "65535", "65536", "1-3", "3-1", "80-81", "x", "007"])
_PORTS = st.builds(
    lambda ip, published, target, protocol: ":".join(p for p in (ip, published, target) if p is not None) + protocol,
    st.sampled_from([None, "127.0.0.1", "[::1]", ""]),
    st.none() | _PORT_PARTS,
    _PORT_PARTS,
    st.sampled_from(["", "/udp", "/TCP", "/"]),
)


@settings(max_examples=300, deadline=None)
@given(_PORTS)
@example("1-65535:1-65535")
@example("127.0.0.1:8080-8081:80-81/udp")
def test_a_short_port_read_again_is_the_first_reading(spec: str) -> None:
    from composegen.compose.syntax import _parse_short_port, parse_port

    try:
        expected = list(_parse_short_port.__wrapped__(spec))  # the reading itself, not remembered
    except SyntaxProblem as err:
        for _ in range(2):
            try:
                parse_port(spec)
            except SyntaxProblem as again:
                assert str(again) == str(err)
            else:
                raise AssertionError(f"{spec!r} read once refused, then accepted")
        return
    first = parse_port(spec)
    assert first == expected
    first.clear()  # a caller's list is its own: the next reading is whole
    assert parse_port(spec) == expected


# --- ports made unique ------------------------------------------------------------------------------


def _unique_ports_the_long_way(entries: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """compose's unicity of `ports` as merge._unique_ports first wrote it: every entry's parts
    zipped with their long forms, and every entry's parts compared after its first."""
    from composegen.compose.merge import port_keys
    from composegen.compose.syntax import parse_port

    expanded = []
    for value, _origin in entries:
        try:
            keys = port_keys(value)
            canon = [port.as_long() for port in parse_port(value)] if len(keys) > 1 else [value]
        except SyntaxProblem:
            keys, canon = [(id(value),)], [value]
        expanded.append(list(zip(keys, canon, strict=True)))
    slots: list[tuple[int, int]] = []
    where: dict[Any, int] = {}
    for entry_index, parts in enumerate(expanded):
        for part_index, (key, _value) in enumerate(parts):
            if key in where:
                slots[where[key]] = (entry_index, part_index)
            else:
                where[key] = len(slots)
                slots.append((entry_index, part_index))
    out = []
    position = 0
    while position < len(slots):
        entry_index, part_index = slots[position]
        size = len(expanded[entry_index])
        whole = part_index == 0 and all(
            position + i < len(slots) and slots[position + i] == (entry_index, i) for i in range(1, size)
        )
        if whole:
            out.append(entries[entry_index])
            position += size
        else:
            out.append((expanded[entry_index][part_index][1], entries[entry_index][1]))
            position += 1
    return out


_PORT_ENTRIES = st.one_of(
    _PORTS,
    st.sampled_from(["80", "8080:80", "8080-8081:80-81", "80-82", "1:1", "x:y", 80, True, None, ["80"]]),
    st.builds(
        dict,
        target=st.sampled_from([80, 81, "80", None]),
        published=st.sampled_from([None, "8080", 8080]),
        protocol=st.sampled_from(["tcp", "udp"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PORT_ENTRIES, st.sampled_from([None, "a", "b"])), max_size=8))
def test_ports_are_made_unique_as_the_long_way_did(entries: list[tuple[Any, Any]]) -> None:
    from composegen.compose.merge import _unique_ports

    found = _unique_ports(entries)
    expected = _unique_ports_the_long_way(entries)
    assert list(found) == [value for value, _ in expected]
    assert list(found.origins) == [origin for _, origin in expected]
    written = [value for value, _ in entries]
    for value, (old, _) in zip(found, expected, strict=True):  # an entry kept whole: the very object
        assert value is old or not any(old is each for each in written)


# --- uniqueItems by identities ----------------------------------------------------------------------

_ITEMS = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([0.0, 1.0, 1.5, "", "a", "1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ITEMS, max_size=5))
def test_unique_items_by_identity_is_each_pair_compared(items: list[Any]) -> None:
    from composegen.compose.validator import _equal, _unbool, _unique

    pairwise = not any(_equal(_unbool(one), _unbool(two)) for i, one in enumerate(items) for two in items[i + 1 :])
    assert _unique(items) == pairwise


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "*", "ports", "labels"]), _ITEMS, max_size=4))
def test_a_mapping_at_a_lists_node_is_left_as_it_is(mapping: dict[str, Any]) -> None:
    """`_apply_unique` returns a mapping at a node that only marks a list (`labels`,
    `environment`) at once: walking its keys, as it did, none leads to a list to make unique."""
    from composegen.compose.merge import _UNIQUE_TRIE, enforce_unicity

    service = {"labels": mapping, "environment": mapping, "deploy": {"labels": mapping}}
    walked = enforce_unicity({"services": {"s": service}})
    assert walked["services"]["s"] is service
    list_nodes = [node for node in _UNIQUE_TRIE["services"]["*"].values() if set(node) == {None}]
    assert len(list_nodes) > 10  # (the shortcut is taken at every service-level list)
