from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from composegen import yamlio
from composegen.errors import InputError
from composegen.yamlio import Tagged, Timestamp, parse_document, quote, scalar


# Plain scalars as compose-go's yaml.v3 reads them (not the YAML 1.2 spec's core schema): each row
# checked against compose v2 itself (tests/compose/test_compose_scalars.py compares many more).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: no", "no"),
        ("a: yes", "yes"),
        ("a: on", "on"),
        ("a: 22:22", "22:22"),
        ("a: 0o17", 15),
        ("a: 010", 8),  # a leading 0 is octal, as in Go
        ("a: 08", 8.0),  # no octal, so a float
        ("a: 1.5", 1.5),
        ("a: ~", None),
        ("a:", None),
        ("a: true", True),
        ("a: 'true'", "true"),
        ("a: 2024-01-01", Timestamp("2024-01-01")),  # a time to compose-go: text that compose refuses
        ("a: 2024-1-2 3:04:05.5", Timestamp("2024-1-2 3:04:05.5")),
        ("a: 2024-01-01T03:04:05Z", Timestamp("2024-01-01T03:04:05Z")),
        ("a: 2024-01-01T03:04:05", "2024-01-01T03:04:05"),  # no zone: no layout of yaml.v3's
        ("a: 2023-02-29", "2023-02-29"),  # no such day
        ("a: '2024-01-01'", "2024-01-01"),
        ("a: 0x1F", 31),
        ("a: .inf", float("inf")),
        ("a: 1e3", 1000.0),
        ("a: 1_000", 1000),
        ("a: 1__0.5", 10.5),
        ("a: 1_", 1),
        ("a: +_1", 1),
        ("a: _1", "_1"),
        ("a: 0b1010", 10),
        ("a: 0B1010", 10),
        ("a: -0b101", -5),
        ("a: 0b-101", -5),
        ("a: 0B-1", "0B-1"),
        ("a: 0X1F", 31),
        ("a: 0x_1F", 31),
        ("a: 0_x10", 16),
        ("a: 0O17", 15),
        ("a: +0x10", 16),
        ("a: -0x10", -16),
        ("a: 0o+17", 15),
        ("a: .5_5", 0.55),
        ("a: .5__5", ".5__5"),
        ("a: .5_", ".5_"),
        ("a: 1e400", "1e400"),
        ("a: .5e400", ".5e400"),
        ("a: 0x1p3", "0x1p3"),
        ("a: 0b", "0b"),
        ("a: 18446744073709551615", 2**64 - 1),
        ("a: +18446744073709551615", float(2**64 - 1)),
        ("a: -9223372036854775809", -9.223372036854776e18),
        ("a: 0x10000000000000000", "0x10000000000000000"),
        ("a: 0777777777777777777777777", 7.777777777777778e23),
        ("a: 0b" + "0" * 100 + "1", 1),
    ],
)
def test_plain_scalars_read_as_compose_go_reads_them(text: str, expected: object) -> None:
    got = parse_document(text, "t.yml").data["a"]
    assert (type(got), got) == (type(expected), expected)


def test_a_huge_number_like_scalar_reads_in_linear_time() -> None:
    for text in ("1" * 200_000, "1_" * 100_000, "0b" + "1" * 200_000, "0x" + "f" * 200_000, "0b-" + "1" * 200_000):
        assert parse_document(f"a: {text}\n", "t.yml").data["a"] == text


def test_positions_follow_aliases_and_merge_keys() -> None:
    doc = parse_document("x: &d\n  a: 1\n  b: [2, 3]\ny:\n  <<: *d\n  c: *d\n", "t.yml")
    assert doc.positions[("y", "a")] == doc.positions[("x", "a")] == (2, 3)
    assert doc.positions[("y", "c", "b", 1)] == doc.positions[("x", "b", 1)] == (3, 10)
    assert doc.data["y"].origins["a"].where() == "t.yml:2"
    assert doc.data["y"]["c"]["b"].origins == [("t.yml", 3, 7), ("t.yml", 3, 10)]


def test_merge_keys_and_positions() -> None:
    doc = parse_document("x: &d\n  a: 1\n  b: 2\ny:\n  <<: *d\n  b: 3\n", "t.yml")
    assert doc.data["y"] == {"a": 1, "b": 3}
    assert doc.where(("y", "b")) == "t.yml:6"
    assert doc.positions[("x", "a")].line == 2


def test_a_merged_source_reads_the_same_in_every_mapping_that_merges_it() -> None:
    """A `<<:` source of scalars is built once and reused (yamlio._Builder._brought): every mapping
    that merges it still gets its own copy of the keys, their positions, and the duplicate and
    non-text keys inside the source reported at its own key path."""
    text = "x: &b\n  a: 1\n  a: 2\n  1: one\nservices:\n  s1:\n    <<: *b\n  s2:\n    <<: *b\n    c: 3\n"
    doc = parse_document(text, "t.yml")
    assert doc.data["services"] == {"s1": {"a": 2, 1: "one"}, "s2": {"a": 2, 1: "one", "c": 3}}
    assert [(keys, pos.line) for keys, pos in doc.duplicate_keys] == [
        (("x", "a"), 3),
        (("services", "s1", "a"), 3),
        (("services", "s2", "a"), 3),
    ]
    assert [(keys, pos.line, what) for keys, pos, what in doc.non_string_keys] == [
        (("x", "1"), 4, "a number"),
        (("services", "s1", "1"), 4, "a number"),
        (("services", "s2", "1"), 4, "a number"),
    ]
    assert doc.has_int_keys
    assert doc.positions[("services", "s2", "a")] == doc.positions[("services", "s1", "a")] == (3, 3)
    assert doc.positions[("services", "s2", "c")] == (10, 5)
    s1, s2 = doc.data["services"]["s1"], doc.data["services"]["s2"]
    s1["a"] = 9  # each mapping is its own
    assert (s2["a"], doc.data["x"]["a"]) == (2, 2)


def test_merged_sources_merging_others_keep_their_order_and_positions() -> None:
    text = "x: &t {t: 1, u: 2}\ny: &b\n  <<: *t\n  u: 3\n  a: 4\n"
    text += "services:\n  s1: {<<: *b}\n  s2: {<<: [*b, *t], a: 5}\n"
    doc = parse_document(text, "t.yml")
    assert doc.data["services"] == {"s1": {"t": 1, "u": 3, "a": 4}, "s2": {"t": 1, "u": 3, "a": 5}}
    assert list(doc.data["services"]["s2"]) == ["t", "u", "a"]
    assert [doc.positions[("services", s, k)] for s in ("s1", "s2") for k in "tua"] == [
        (1, 8), (4, 3), (5, 3), (1, 8), (4, 3), (8, 22)
    ]  # fmt: skip


def test_merges_spend_the_alias_budget_each_time() -> None:
    base = "x: &b\n" + "".join(f"  k{i}: v\n" for i in range(1000))
    services = "services:\n" + "".join(f"  s{i}:\n    <<: *b\n" for i in range(200))
    with pytest.raises(InputError, match="alias") as err:
        parse_document(base + services, "t.yml")
    assert err.value.where == "t.yml:801"  # the node where the budget ran out, as without reuse
    assert len(parse_document(base + services[: services.index("  s90:")], "t.yml").data["services"]) == 90


def test_duplicate_keys_are_recorded() -> None:
    doc = parse_document("a: 1\nb: 2\na: 3\n", "t.yml")
    assert [(k, p.line) for k, p in doc.duplicate_keys] == [(("a",), 3)]


def test_reset_and_override_tags() -> None:
    doc = parse_document("a: !reset []\nb: !override\n  - x\n", "t.yml")
    assert doc.data["a"] == Tagged("!reset", [])
    assert doc.data["b"] == Tagged("!override", ["x"])


def test_alias_bomb_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(InputError, match="alias"):
        parse_document("\n".join(lines), "bomb.yml")


def test_syntax_error_names_line() -> None:
    with pytest.raises(InputError) as err:
        parse_document("a: 1\nb: [unclosed\n", "bad.yml")
    assert err.value.where.startswith("bad.yml:")


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "with: colon",
        "# hash",
        "quote \" and ' both",
        "new\nline",
        "tab\there",
        "ünïcødé ✓",
        "\u2028sep",
        "",
        "yes",
        "no",
        "0777",
        "1e3",
        "null",
        "~",
        "- dash",
        "{brace}",
        "${VAR:-x}",
        "emoji 🎉",
        "\x07bell",
    ],
)
def test_scalar_round_trips(value: str) -> None:
    assert parse_document(f"k: {scalar(value)}\n", "t").data["k"] == value
    assert parse_document(f"k: {quote(value)}\n", "t").data["k"] == value


def test_quote_writes_each_character_as_before_its_fast_path() -> None:
    # plain printable ASCII goes through whole; every other character is escaped one by one
    for code in [*range(0x300), 0x2028, 0xFEFF, 0x1F389]:
        text = f"a{chr(code)}b"
        assert quote(text) == '"' + "".join(yamlio._escape_char(c) for c in text) + '"'
        assert parse_document(f"k: {quote(text)}\n", "t").data["k"] == text


def test_scalar_collections() -> None:
    value = {"a:b": ["x", 1, True, None], "n": {"m": "v#"}}
    assert parse_document(f"k: {scalar(value)}\n", "t").data["k"] == value


#: Data of every shape the writer meets: nested mappings and lists, empty ones, keys and values
#: YAML would misread unquoted.
WRITTEN_DATA = {
    "services": {
        "api": {
            "command": ["run", "--bind", "0.0.0.0:80"],
            "deploy": {"replicas": 2, "resources": {"limits": {"memory": "512M", "cpus": 0.5}}},
            "volumes": [{"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 1024}}, "data:/data"],
            "environment": {"on": "no", "80": "x: y # z", "EMPTY": ""},
            "read_only": True,
            "user": None,
            "labels": {},
            "cap_drop": [],
        },
        "db": {},
    },
    "x-nested": [[1, 2], [], {"k": [{"deep": "v"}]}],
}
OVERLAY_LAYOUT = yamlio.COMPOSE._replace(flow_lists=frozenset({"command", "cap_drop"}))


@pytest.mark.parametrize("layout", [yamlio.COMPOSE, yamlio.KUBERNETES, OVERLAY_LAYOUT])
def test_dump_reads_back_as_the_data(layout: yamlio.Layout) -> None:
    text = yamlio.dump(WRITTEN_DATA, layout=layout, header=["a header"], comments={("services", "db"): "a note"})
    assert parse_document(text, "t").data == WRITTEN_DATA


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (
            OVERLAY_LAYOUT,
            'svc:\n  command: ["a", "b"]\n  volumes:\n    - {"type": "tmpfs"}\n    - "x:/y"\n'
            '  labels:\n    "on": "1"\n  nested:\n    - [1]\n  none: null\n  empty: {}\n  also: []\n',
        ),
        (
            yamlio.KUBERNETES,
            'svc:\n  command:\n  - "a"\n  - "b"\n  volumes:\n  - type: "tmpfs"\n  - "x:/y"\n'
            '  labels:\n    "on": "1"\n  nested:\n  - - 1\n  none: null\n  empty: {}\n  also: []\n',
        ),
    ],
)
def test_dump_lays_out_compose_files_and_manifests(layout: yamlio.Layout, expected: str) -> None:
    data = {
        "svc": {
            "command": ["a", "b"],
            "volumes": [{"type": "tmpfs"}, "x:/y"],
            "labels": {"on": "1"},
            "nested": [[1]],
            "none": None,
            "empty": {},
            "also": [],
        }
    }
    assert yamlio.dump(data, layout=layout) == expected


def test_dump_writes_header_and_comments_on_one_line_each() -> None:
    text = yamlio.dump(
        {"services": {"api": {"image": "x"}, "db": {}}},
        header=["first\nsecond", "third"],
        comments={("services", "db"): "line\r\nbreak", ("services", "gone"): "no such key"},
    )
    assert text == '# first second\n# third\nservices:\n  api:\n    image: "x"\n  # line break\n  db: {}\n'


def test_dump_all_separates_documents() -> None:
    assert yamlio.dump_all([{"a": 1}, {"b": [{"c": 2}]}]) == "a: 1\n---\nb:\n- c: 2\n"


def _flow(depth: int) -> str:
    return "services:\n  web:\n    x-deep: " + "[" * depth + "]" * depth + "\n"


def _block(depth: int) -> str:
    return "x-deep:\n" + "\n".join(f"{' ' * (level + 1)}k{level}:" for level in range(depth)) + "\n"


def _compact(depth: int) -> str:
    return "x-deep:\n  " + "- " * depth + "x\n"


@pytest.mark.parametrize("depth", [101, 999, 1000, 1001, 3000])
@pytest.mark.parametrize("shape", [_flow, _block, _compact])
def test_deep_nesting_is_composegens_own_error_whatever_the_parser_limits(shape: object, depth: int) -> None:
    """Around libyaml's own 1,000-level limit (PyYAML 6.0.4's wheels) and past it, the error is
    composegen's bound, at a line of the file, never the parser's message."""
    assert callable(shape)
    with pytest.raises(InputError) as raised:
        parse_document(shape(depth), "deep.yml")
    assert raised.value.message == "YAML nests more than 100 levels deep"
    assert re.fullmatch(r"deep\.yml:\d+", raised.value.where)


def _flow_depth(text: str, loader: type[yaml.SafeLoader]) -> int:
    """The most flow collections a parser has open at once in `text`, read event by event (the
    slow, exact way), up to its first error."""
    open_flows: list[bool] = []
    deepest = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                open_flows.append(bool(event.flow_style))
                deepest = max(deepest, sum(open_flows))
            elif isinstance(event, yaml.CollectionEndEvent):
                open_flows.pop()
    except yaml.YAMLError:
        pass
    return deepest


#: Pieces of YAML around `${` and brackets: tags (`!$ {` opens a mapping, `!${` is an error),
#: scalars, quotes, comments, keys, block and flow indicators, each piece on a short line so
#: that the bound's brackets, not its line length, are what is tested.
_PIECES = ["${", "$ {", "!$ {", "!${", "[", "{", "]", "}", "${a}", "$[", "a:", "? ", ": ", "- ", ",", "'${'", '"${"']
_PIECES += ["#${", "&a ", "*a", "!!map {", "x${", "|", "a: ${b: {", "- ${[", "${{", "{${"]


@pytest.mark.parametrize("text", ["[a:", "[${]a:", "[a: [b: [c: d]]]", "- [x: {y: [z: 1]}]\n"])
def test_an_entry_of_a_flow_sequence_opens_a_mapping_that_flow_openers_counts(text: str) -> None:
    """`[a: b]` is a sequence holding a single-pair mapping: two flow collections for one `[`
    (Hypothesis found `[a:` counted as one)."""
    openers = yamlio.flow_openers(text)
    assert _flow_depth(text, yaml.CSafeLoader) <= openers
    assert _flow_depth(text, yaml.SafeLoader) <= openers


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(["", " ", "\n", "\n ", "\n  "])), max_size=40))
def test_flow_openers_are_never_fewer_than_the_flow_collections_the_parsers_open(pieces: list[tuple[str, str]]) -> None:
    """`nesting_bound` decides whether a file is measured event by event before libyaml composes
    it (which would crash the process on a very deep one): its count of flow levels must never
    be below the real one, not counting the `{` of `${`."""
    text = "".join(piece + gap for piece, gap in pieces)
    openers = yamlio.flow_openers(text)
    assert _flow_depth(text, yaml.CSafeLoader) <= openers
    assert _flow_depth(text, yaml.SafeLoader) <= openers


def test_a_file_of_variables_is_not_measured_event_by_event() -> None:
    """12,000 `${VAR}` (a 1 MB compose file of them) are no reason to measure the depth first."""
    text = "services:\n" + "".join(f"  s{i}:\n    image: ${{IMAGE_{i}}}\n" for i in range(12_000))
    assert not yamlio._could_nest_deeper_than(text, yamlio._C_SAFE_DEPTH)
    assert yamlio._could_nest_deeper_than(text.replace("${", "!$ {"), yamlio._C_SAFE_DEPTH)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["a", "[", "${", " "])), max_size=30),
    st.integers(-2, 45),
)
def test_a_long_line_is_found_as_the_lines_measured_find_it(lines: list[tuple[int, str]], length: int) -> None:
    """`has_line_longer_than` skips measuring the lines where every block of the text holds a
    line break: the same answer as measuring them, around every block edge and line length, and
    `_could_nest_deeper_than` the same as `nesting_bound` decides it."""
    text = "\n".join(piece * count for count, piece in lines)
    assert yamlio.has_line_longer_than(text, length) == (max(map(len, text.split("\n"))) > length)
    for levels in (length, length + 20, 2 * length):
        expected = len(text) > levels and yamlio.nesting_bound(text) > levels
        assert yamlio._could_nest_deeper_than(text, levels) == expected


def test_a_syntax_error_in_shallow_yaml_stays_a_syntax_error() -> None:
    with pytest.raises(InputError) as raised:
        parse_document("services:\n  web: [a, b\n", "t.yml")
    assert raised.value.message.startswith("YAML syntax error")
    assert raised.value.where.startswith("t.yml:")


@pytest.mark.parametrize("text", ["services:\n  web:\n    image: nginx\n", "a: \u00e9\u4e2d\U0001f600\n"])
def test_printable_text_reads(text: str) -> None:
    assert parse_document(text, "t.yml") is not None


def test_a_control_character_is_refused() -> None:
    with pytest.raises(InputError):
        parse_document("a: b\x07\n", "t.yml")


def _typed(value: object) -> object:
    """A value with each scalar's type beside it (`1`, `1.0` and `True` are equal in Python), and
    NaN made comparable."""
    if isinstance(value, dict):
        return ("map", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


def _dumpable(value: object) -> object:
    """Data as read (`SDict`, `SList`, `Tagged`) as plain data `dump` writes: a tag's value."""
    if isinstance(value, Tagged):
        return _dumpable(value.value)
    if isinstance(value, dict):
        return {k: _dumpable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dumpable(v) for v in value]
    return value


def assert_reads_back(data: dict[object, object], layout: yamlio.Layout = yamlio.COMPOSE) -> None:
    """`read_back` is what parsing `dump`'s text gives: the same data, types and duplicate keys."""
    text = yamlio.dump(data, layout=layout)
    parsed = parse_document(text, "t.yml")
    built = yamlio.read_back(data, "t.yml")
    assert _typed(built.data) == _typed(parsed.data)
    # given the text, whether a value may hold a `$` is the parsed document's answer; without it, yes
    assert yamlio.read_back(data, "t.yml", text).has_dollars == parsed.has_dollars
    assert built.has_dollars
    assert [keys for keys, _ in built.duplicate_keys] == [keys for keys, _ in parsed.duplicate_keys]
    assert parsed.non_string_keys == () and not parsed.has_int_keys


#: Values whose written form reads back as something else: numbers past int64, floats without a
#: plain form, keys that are no text, two keys written alike, a time kept as text.
ODD_DATA: dict[object, object] = {
    "big": [2**63, 2**64, -(2**63) - 1, 10**30, -(10**30)],
    "floats": [0.5, -0.0, 1e20, 1e-7, 1e308, float("inf"), float("-inf"), float("nan")],
    "words": [True, False, None, "true", "null", "~", "", "0x10", "1_000"],
    "keys": {2: "int", True: "bool", None: "null", 1.5: "float", "on": "on", "y": "y", "_x": "", "a.b/c": ""},
    "alike": {1: "int", "1": "text"},
    "time": Timestamp("2024-01-01"),
    "tuple": ("a", (1, 2)),
    "nested": {"command": ["a", 1, None, {"k": [True]}]},
}


@pytest.mark.parametrize("layout", [yamlio.COMPOSE, yamlio.KUBERNETES, OVERLAY_LAYOUT])
@pytest.mark.parametrize("data", [WRITTEN_DATA, ODD_DATA], ids=["written", "odd"])
def test_read_back_is_what_parsing_the_dump_gives(data: dict[object, object], layout: yamlio.Layout) -> None:
    assert_reads_back(data, layout)


@pytest.mark.parametrize(
    "data",
    [{"a": "$x"}, {"$k": 1}, {"a": ["b", {"c": "d$$"}]}, {"a": "back\\slash"}, {"a": "\x00"}, {"a": "b"}, {"a": 1}],
)
def test_read_back_given_the_text_knows_its_dollars_as_parsing_does(data: dict[object, object]) -> None:
    assert_reads_back(data)


@settings(max_examples=300, deadline=None)
@given(st.integers() | st.integers(10**19 - 5, 10**19 + 5))
@example(0)
@example(10**19 - 1)
@example(10**19)
@example(-1)
def test_an_int_read_back_as_itself_is_what_parsing_gives(number: int) -> None:
    """`read_back` keeps an int below 10**19 as it is (`_reads_as_itself`), without writing it
    and reading the text: what parsing the dumped text gives, in a mapping and in a list."""
    assert_reads_back({"n": number, "ports": [{"target": number}, number]})


def test_read_back_of_every_corpus_file_and_hostile_shape() -> None:
    """Real compose files (anchors, numbers, times, odd keys) and the hostile bench's shapes."""
    from bench.hostile import SHAPES
    from tests.conftest import CORPUS

    files = sorted(CORPUS.glob("*.y*ml"))
    assert len(files) >= 40, CORPUS
    texts = [path.read_text(encoding="utf-8") for path in files]
    for shape in SHAPES:
        made = shape.make(min(shape.size(0.002), 2000))
        texts.extend(made.values() if isinstance(made, dict) else [made])
    for text in texts:
        try:
            data = _dumpable(parse_document(text, "in.yml").data)
        except InputError:  # a shape past what YAML reads (a 2,000-character key)
            continue
        if isinstance(data, dict):
            assert_reads_back(data, OVERLAY_LAYOUT)


@pytest.mark.parametrize(("length", "reads"), [(1022, True), (1023, False)])
def test_a_key_too_long_to_read_back_is_left_to_the_parser(length: int, reads: bool) -> None:
    """YAML reads a key of at most 1,024 characters as written (quotes included): past what
    `read_back` vouches for, it says so, and the text is parsed (and refused) instead."""
    data = {"x": {"1" * length: "v"}}
    with pytest.raises(yamlio.NotReadBack):
        yamlio.read_back(data, "t.yml")
    if reads:
        assert parse_document(yamlio.dump(data), "t.yml").data == data
    else:
        with pytest.raises(InputError):
            parse_document(yamlio.dump(data), "t.yml")
    assert yamlio.read_back({"x": {"1" * 99: "v"}}, "t.yml").data == {"x": {"1" * 99: "v"}}


@pytest.mark.parametrize(
    ("text", "dollars"),
    [("a: b\n", False), ("", False), ("a: $X\n", True), ('a: "\\x24{X}"\n', True), ("a: '$$'\n", True)],
)
def test_a_document_says_whether_a_value_may_hold_a_dollar(text: str, dollars: bool) -> None:
    assert parse_document(text, "t.yml").has_dollars is dollars


# --- the writer's fast paths against its plain definition --------------------------------------


def _escaped(text: str) -> str:
    """`quote` as defined: each character through `_escape_char`."""
    return '"' + "".join(yamlio._escape_char(c) for c in text) + '"'


def _reference_dump(data: dict[object, object], layout: yamlio.Layout) -> str:
    """`dump` without its fast paths (remembered keys, strings first, the regex escapes): what it
    wrote before they were added, for `export k8s` must write the same bytes."""
    lines: list[str] = []

    def key(name: object) -> str:
        text = str(name)
        special = text.lower() in {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
        return text if yamlio._PLAIN_KEY.fullmatch(text) and not special else _escaped(text)

    def mapping(data: Mapping[object, object], pad: str) -> None:
        for name, value in data.items():
            if isinstance(value, Mapping) and value:
                lines.append(f"{pad}{key(name)}:")
                mapping(value, pad + "  ")
            elif isinstance(value, list | tuple) and value and name not in layout.flow_lists:
                lines.append(f"{pad}{key(name)}:")
                sequence(value, pad + layout.sequence_indent)
            else:
                lines.append(f"{pad}{key(name)}: {flow(value)}")

    def sequence(data: Sequence[object], pad: str) -> None:
        for item in data:
            if not (isinstance(item, Mapping | list | tuple) and item) or layout.flow_items:
                lines.append(f"{pad}- {flow(item)}")
                continue
            start = len(lines)
            mapping(item, pad + "  ") if isinstance(item, Mapping) else sequence(item, pad + "  ")
            lines[start] = f"{pad}- {lines[start].lstrip()}"

    def flow(value: object) -> str:
        if isinstance(value, Mapping):
            return "{" + ", ".join(f"{_escaped(str(k))}: {flow(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list | tuple):
            return "[" + ", ".join(flow(v) for v in value) + "]"
        return _escaped(value) if isinstance(value, str) else yamlio.scalar(value)

    mapping(data, "")
    return "\n".join(lines) + "\n"


#: Text of every kind a manifest may hold: words YAML reads as other things, `: ` and ` #`,
#: quotes, line breaks, control characters, unicode (BOM, line separators, astral), long runs.
MANIFEST_TEXT = st.one_of(
    st.sampled_from(["", "yes", "no", "on", "null", "~", "0777", "1e3", "- x", "a: b", "a #b", "$(X)", "TCP", "a\n"]),
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from('ab :#"\\\n\t\r\x00\x07\x7f\x85\u2028\ufeffé🎉'), max_size=20),
    st.builds(lambda word, n: word * n, st.sampled_from(["ab ", "x", '"']), st.integers(0, 400)),
)
#: Keys: text YAML reads as a key (at most 1,024 characters written: `_LONGEST_KEY`).
MANIFEST_KEYS = st.one_of(MANIFEST_TEXT.filter(lambda text: len(text) <= 90), st.sampled_from(["name", "env"]))
#: Numbers: those a manifest holds (int64; `read_back` pins what larger ones read back as).
MANIFEST_SCALARS = st.one_of(MANIFEST_TEXT, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.none())
MANIFEST_DATA = st.dictionaries(
    MANIFEST_KEYS,
    st.recursive(
        MANIFEST_SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(MANIFEST_KEYS, inner, max_size=4),
        max_leaves=20,
    ),
    max_size=6,
)
WRITER_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.mark.parametrize("name", ["a\n", "label\n", "a/b\n"])
def test_a_key_ending_in_a_line_break_is_quoted(name: str) -> None:
    """A key that would be plain but for a final line break (a label key from the base): written
    bare, it broke the manifest (the pattern's `$` also matches before a final newline)."""
    text = yamlio.dump({"labels": {name: "x"}}, layout=yamlio.KUBERNETES)
    assert parse_document(text, "t").data == {"labels": {name: "x"}}


@WRITER_SETTINGS
@given(text=st.text())
def test_quote_is_each_character_escaped(text: str) -> None:
    assert quote(text) == _escaped(text)
    assert parse_document(f"k: {quote(text)}\n", "t").data["k"] == text


@WRITER_SETTINGS
@given(data=MANIFEST_DATA, layout=st.sampled_from([yamlio.KUBERNETES, yamlio.COMPOSE, OVERLAY_LAYOUT]))
def test_dump_writes_what_its_plain_definition_writes(data: dict[object, object], layout: yamlio.Layout) -> None:
    """Manifest-like data (plain mappings, lists, text, numbers, booleans, null) is written
    byte for byte as the writer without its fast paths writes it, and reads back as the data."""
    text = yamlio.dump(data, layout=layout)
    assert text == _reference_dump(data, layout)
    assert _typed(parse_document(text, "t").data) == _typed(data)


@WRITER_SETTINGS
@given(groups=st.lists(st.lists(MANIFEST_DATA, max_size=3), max_size=4))
def test_documents_writes_each_group_as_its_own_dumps_write_it(groups: list[list[dict[object, object]]]) -> None:
    """One `Documents` for many `dump_all` calls (`export k8s`: one per service, each text quoted
    once for all) writes each group as separate `dump`s without fast paths write it."""
    documents = yamlio.Documents()
    for group in groups:
        expected = "---\n".join(_reference_dump(data, yamlio.KUBERNETES) for data in group)
        assert documents.dump_all(group) == expected
        assert yamlio.dump_all(group) == expected


@WRITER_SETTINGS
@given(groups=st.lists(st.lists(MANIFEST_DATA, max_size=3), max_size=4), before=st.text(max_size=8))
def test_documents_lines_joined_after_a_text_are_the_text_and_dump_all(
    groups: list[list[dict[object, object]]], before: str
) -> None:
    """`Documents.lines`, joined with newlines after a text of their caller's (a header), and a last
    one: that text, a line break and what `dump_all` writes (`export k8s` joins each file once)."""
    documents = yamlio.Documents()
    for group in groups:
        expected = before + "\n" + yamlio.dump_all(group)
        assert "\n".join([before, *documents.lines(group), ""]) == expected


#: Parts shared by documents, as `export k8s` shares a role's probes and limits among its services:
#: mappings and lists that hold text, numbers, and mappings and lists in turn.
SHARED_PARTS = st.lists(
    st.recursive(
        st.dictionaries(MANIFEST_KEYS, MANIFEST_SCALARS, min_size=1, max_size=3)
        | st.lists(MANIFEST_SCALARS, min_size=1, max_size=3),
        lambda inner: (
            st.lists(inner, min_size=1, max_size=3) | st.dictionaries(MANIFEST_KEYS, inner, min_size=1, max_size=3)
        ),
        max_leaves=8,
    ),
    min_size=1,
    max_size=4,
)


#: Where a shared part goes in a document: under keys and list items (`None`), each a level deeper.
PLACES = st.lists(st.sampled_from(["name", "env", "ports", "a b", None]), max_size=3)


def _placed(part: object, place: list[str | None]) -> object:
    """`part` (the object itself) under the keys and list items of `place`, outermost first."""
    for step in reversed(place):
        part = [part] if step is None else {step: part}
    return part


@WRITER_SETTINGS
@given(
    parts=SHARED_PARTS,
    groups=st.lists(
        st.lists(st.lists(st.tuples(MANIFEST_KEYS, st.integers(0, 4), PLACES), max_size=4), max_size=3), max_size=4
    ),
)
def test_documents_writes_a_part_met_again_as_it_wrote_it(
    parts: list[object], groups: list[list[list[tuple[str, int, list[str | None]]]]]
) -> None:
    """A mapping or list that `Documents` meets again (the same object: in another document, at
    another depth, as a list item, inside another shared part) is written as separate `dump`s
    without fast paths write it, though its lines are repeated rather than written anew."""
    parts = [*parts, {"outer": parts[0], "list": [parts[-1], parts[0]]}]  # (a shared part inside another)
    documents = yamlio.Documents()
    for group in groups:
        built = [
            {name: _placed(parts[index % len(parts)], place) for name, index, place in document} for document in group
        ]
        expected = "---\n".join(_reference_dump(document, yamlio.KUBERNETES) for document in built)
        assert documents.dump_all(built) == expected


#: Values a stack's services repeat, as `dump` meets them: it quotes each text once a dump and
#: writes an int as `scalar` does.
REPEATED = st.sampled_from(["50M", "unless-stopped", "on", "", "a\nb", "x: y", "é", 0, 1, -7, 2**70, True, None, 0.5])


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["a", "b", "on", "1", "k k"]), st.one_of(REPEATED, st.lists(REPEATED)), min_size=1)
)
def test_dump_writes_each_value_as_scalar_does_however_often_it_repeats(data: dict[str, object]) -> None:
    expected = []
    for name, value in data.items():
        if isinstance(value, list) and value:
            expected += [f"{yamlio.key(name)}:", *(f"  - {scalar(item)}" for item in value)]
        else:
            expected.append(f"{yamlio.key(name)}: {scalar(value)}")
    assert yamlio.dump({"s": data, "t": data}) == "s:\n" + "".join(
        f"  {line}\n" for line in expected
    ) + "t:\n" + "".join(f"  {line}\n" for line in expected)


def _typed(value: object) -> object:
    """`value` with each scalar's type beside it and each mapping's keys in order (`1`, `True` and
    `1.0` are equal in Python; a reader must give the same one)."""
    if isinstance(value, dict):
        return ("map", [(_typed(key), _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    if isinstance(value, Tagged):
        return ("tagged", value.tag, _typed(value.value))
    return (type(value).__name__, repr(value))


#: Anchors the drawn lines below refer to (sources of `<<:` merges that share keys among them).
_ANCHORS = "x: &x {a: 1, p: 0}\ny: &y {p: 1, q: [1, 2]}\nu: &u {p: 2, a: 3}\nz: &z [1, 2]\ntop:\n"
#: Entries of a mapping a read can meet, each on its lines: aliases and `<<:` merges (of one source
#: and of several, inline or block, later keys over merged ones), duplicate and non-text keys,
#: numbers, words, compose's tags, flow and block collections. A few do not read (an alias of an
#: anchor not yet written, a merge of a list).
_ENTRIES = [
    "a: 1", "<<: *x", "<<: *y", "<<: [*x, *y]", "<<: [*y, *u]", "<<: [*u, *y, {p: 4}]", "<<: {t: 1}", "<<: *z",
    "<<: *w", "d: *x", "e:\n  - 1\n  - *y\n  - <<: *u\n    a: 5\n  - {r: 0x10}", "f: !reset", "g: !override [1]",
    "h: yes", "i: 1_000", "j: 2001-12-14", "1: one", "null: n", "true: t", "a: 2", "'<<': q", "p: 9",
    "k: [a, {b: *y}]", "l: |\n  text", "m: &w {a: 0, p: [*z]}", "n: *z", "o: ~", "q: .inf", "s: -0o17",
    "t: 'x'", "v:\n  <<: [*u, *x]\n  p: 3\n  <<: *y", "c: &c\n  <<: *u\n  b: 1", "r: *c",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_ENTRIES), max_size=10))
def test_read_data_is_the_data_parse_document_reads(entries: list[str]) -> None:
    """`read_data` (no positions: the fix planners' read-back) gives what `parse_document` gives,
    types and key order included, and refuses what it refuses, with the same error."""
    text = _ANCHORS + "".join("".join(f"  {line}\n" for line in entry.split("\n")) for entry in entries)
    try:
        expected = parse_document(text, "t.yml").data
    except InputError as err:
        with pytest.raises(InputError) as raised:
            yamlio.read_data(text, "t.yml")
        assert (raised.value.message, raised.value.where) == (err.message, err.where)
        return
    assert _typed(yamlio.read_data(text, "t.yml")) == _typed(expected)


def test_read_data_of_every_corpus_file_and_hostile_shape_is_parse_documents() -> None:
    from bench.hostile import SHAPES
    from tests.conftest import CORPUS

    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.y*ml"))]
    for shape in SHAPES:
        made = shape.make(min(shape.size(0.02), 20_000))
        texts.extend(made.values() if isinstance(made, dict) else [made])
    for text in texts:
        try:
            expected = parse_document(text, "in.yml").data
        except InputError as err:
            with pytest.raises(InputError) as raised:
                yamlio.read_data(text, "in.yml")
            assert raised.value.message == err.message
            continue
        assert _typed(yamlio.read_data(text, "in.yml")) == _typed(expected)


#: `<<:` sources (of scalars: kept by `_brought`; with a duplicate or a non-text key; nesting) and
#: the mappings that merge them, in block and flow style, with a tag, quoted, of several sources,
#: with keys of their own.
_SOURCES = (
    "b: &b {image: nginx, restart: always}\nd: &d\n  a: 1\n  a: 2\n  1: one\nn: &n {a: [1]}\nf: &f {x: 1.5}\n"
    "e: &e {a: 1, a: 2}\n"
)
_MERGING = [
    "{<<: *b}", "\n    <<: *b", "{<<: *d}", "{<<: *e}", "{<<: *n}", "{<<: *f}", "!override {<<: *b}", "!reset {<<: *b}",
    "{'<<': *b}", "{<<: [*b]}", "{<<: [*b, *f]}", "{<<: *b, c: 1}", "{!!merge <<: *b}", "{<<: {k: v}}", "*b",
]  # fmt: skip


def _read(text: str, read: Any) -> Any:
    """What `read` gives of `text` (a Document's every field, or the data), or its refusal."""
    try:
        found = read(text, "t.yml")
    except InputError as err:
        return ("refused", err.message, err.where)
    if isinstance(found, yamlio.Document):
        return (
            _typed(found.data),
            dict(found.positions),
            found.duplicate_keys,
            found.non_string_keys,
            found.has_int_keys,
        )
    return _typed(found)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MERGING), max_size=8), st.integers(0, 3))
def test_a_mapping_of_one_merge_reads_as_building_it_reads(values: list[str], first: int) -> None:
    """`{<<: *base}` taken as a copy of the source kept (`_Builder._merged_alone`) reads as building
    it does: the data, types and key order, positions, duplicate and non-text keys, and refusals."""
    from unittest import mock

    text = _SOURCES + "services:\n" + "".join(f"  s{i + first}: {value}\n" for i, value in enumerate(values))
    for read in (parse_document, yamlio.read_data):
        fast = _read(text, read)
        with mock.patch.object(yamlio._Builder, "_merged_alone", lambda self, node: None):
            assert _read(text, read) == fast


def test_a_mapping_of_one_merge_spends_the_alias_budget_as_building_it_does() -> None:
    base = "x: &b\n" + "".join(f"  k{i}: v\n" for i in range(1000))
    services = "services:\n" + "".join(f"  s{i}: {{<<: *b}}\n" for i in range(200))
    from unittest import mock

    refused = _read(base + services, parse_document)
    assert refused[:2] == ("refused", "YAML expands to too many nodes through its aliases")
    with mock.patch.object(yamlio._Builder, "_merged_alone", lambda self, node: None):
        assert _read(base + services, parse_document) == refused  # the node where it ran out, as without it
