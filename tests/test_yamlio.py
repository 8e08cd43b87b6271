from __future__ import annotations

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
