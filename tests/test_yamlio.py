from __future__ import annotations

import random
import re

import pytest

from composegen.errors import InputError
from composegen.yamlio import Tagged, parse_document, quote, scalar


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: no", "no"),
        ("a: yes", "yes"),
        ("a: on", "on"),
        ("a: 22:22", "22:22"),
        ("a: 0o17", 15),
        ("a: 010", 10),
        ("a: 1.5", 1.5),
        ("a: ~", None),
        ("a:", None),
        ("a: true", True),
        ("a: 'true'", "true"),
        ("a: 2024-01-01", "2024-01-01"),
        ("a: 0x1F", 31),
        ("a: .inf", float("inf")),
        ("a: 1e3", 1000.0),
    ],
)
def test_yaml_12_core_scalars_like_compose_go(text: str, expected: object) -> None:
    assert parse_document(text, "t.yml").data["a"] == expected


# The YAML 1.2 core schema, written out the plain way (the reader takes shortcuts to the same).
_CORE = [
    (re.compile(r"^(?:~|null|Null|NULL|)$"), lambda t: None),
    (re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), lambda t: t.lower() == "true"),
    (
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        lambda t: int(t[2:], 8) if t.startswith("0o") else int(t[2:], 16) if t.startswith("0x") else int(t),
    ),
    (
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        lambda t: float(t.lower().replace(".", "")) if t.lower().endswith((".inf", ".nan")) else float(t),
    ),
]


def _core(text: str) -> object:
    for pattern, read in _CORE:
        if pattern.match(text):
            return read(text)
    return text


def test_plain_scalars_read_as_the_core_schema_says() -> None:
    rng = random.Random(5)
    words = ["", "~", "null", "Null", "NULL", "nul", "true", "True", "TRUE", "tRue", "false", "yes", "no", "on"]
    words += [".inf", "-.Inf", "+.INF", ".nan", ".NaN", ".5", "5.", "-5", "+5", "0o17", "0o8", "0x1F", "0xg", "1e3"]
    words += ["1E-3", "1.5e+3", "1_000", "08", "0", "-0", "12:30", "1.2.3", "+", "-", ".", "2024-01-01", "1e", "e3"]
    alphabet = "0123456789+-.eExoabinfNaT_:~ "
    words += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))).strip() for _ in range(3000)]
    for word in dict.fromkeys(w for w in words if w and not w.startswith(("- ", "-:", ":"))):
        try:
            data = parse_document(f"a: {word}\n", "t.yml").data
        except InputError:
            continue  # not a plain scalar in this position (`a: : x`...)
        if not isinstance(data.get("a"), (str, int, float, bool, type(None))):
            continue  # YAML syntax made it a list or mapping
        got, want = data["a"], _core(word)
        if isinstance(want, float) and want != want:
            assert isinstance(got, float) and got != got, word
        else:
            assert (type(got), got) == (type(want), want), word


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


def test_scalar_collections() -> None:
    value = {"a:b": ["x", 1, True, None], "n": {"m": "v#"}}
    assert parse_document(f"k: {scalar(value)}\n", "t").data["k"] == value


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


def test_a_syntax_error_in_shallow_yaml_stays_a_syntax_error() -> None:
    with pytest.raises(InputError) as raised:
        parse_document("services:\n  web: [a, b\n", "t.yml")
    assert raised.value.message.startswith("YAML syntax error")
    assert raised.value.where.startswith("t.yml:")
