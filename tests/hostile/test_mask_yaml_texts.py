"""`mask_yaml_texts` (both sides of `lint --diff` masked together, the work on a line done once
for the lines alike: a megabyte took seconds) masks each text exactly as `mask_yaml` always has,
pinned against that reading (kept here) on generated YAML-ish texts and on a diff's two sides."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.masking import (
    _PEM_BEGIN,
    _PEM_END,
    _YAML_ENTRY,
    MASK,
    ONE_PASS_ABOVE,
    KnownValues,
    _mask_patterns,
    _references_only,
    mask,
    mask_yaml,
    mask_yaml_texts,
    may_match_a_pattern,
    replace_value,
    secret_name,
)


def one_by_one(text: str, known: tuple[str, ...] = ()) -> str:
    """`mask_yaml` as it read a text before: every line read, then every line masked."""
    lines = text.split("\n")
    found = set(known)
    hidden: dict[int, str] = {}
    block_indent: int | None = None
    in_key = False
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if re.search(_PEM_BEGIN, line):
            in_key = _PEM_END not in line
            continue
        if in_key:
            in_key = _PEM_END not in line
            hidden[number] = line if not in_key else line[:indent] + MASK
            continue
        if block_indent is not None and (not line.strip() or indent > block_indent):
            if line.strip():
                found.add(line.strip())
                hidden[number] = line[:indent] + MASK
            continue
        block_indent = None
        entry = re.match(_YAML_ENTRY, line)
        if entry is None or not secret_name(entry.group("name")):
            continue
        value = entry.group("value").strip().strip("\"'")
        if value[:1] in ("|", ">"):
            block_indent = indent
        elif value.startswith("$"):
            hidden[number] = line[: entry.start("value")] + _references_only(entry.group("value"))
        elif value:
            found.add(value)
            hidden[number] = line[: entry.start("value")] + MASK
    matcher = found if len(found) <= ONE_PASS_ABOVE else KnownValues(found)
    return "\n".join(mask(hidden.get(n, line), matcher) for n, line in enumerate(lines))


LINES = st.sampled_from(
    [
        "services:",
        "  db:",
        "    image: postgres:16.4",
        "    environment:",
        "      POSTGRES_PASSWORD: hunter22",
        "      POSTGRES_PASSWORD: other-pw",
        "      - API_TOKEN=abcdefgh1234",
        "      DB_PASSWORD: ${DB_PASSWORD:-devpass}",
        "      DB_PASSWORD: |",
        "      SECRET: >",
        "        line of a secret",
        "        hunter22 again",
        "    command: psql postgres://app:hunter22@db",
        "    command: run --password s3cr3t-value",
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA",
        "-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY----- inline -----END PRIVATE KEY-----",
        "    security_opt:",
        "      - no-new-privileges:true",
        "",
        "  ",
        "\tTOKEN: tabbed-token",
        "x\x0cy",
    ]
)
TEXTS = st.lists(LINES | st.text(max_size=20), max_size=14).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=4), st.lists(st.sampled_from(["hunter22", "abcd", "x"]), max_size=2))
def test_each_text_is_masked_as_mask_yaml_masked_it(texts: list[str], known: list[str]) -> None:
    assert mask_yaml_texts(texts, known) == [one_by_one(text, tuple(known)) for text in texts]


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.integers(0, 14), st.lists(LINES, max_size=3))
def test_a_diffs_two_sides_are_masked_as_each_alone(text: str, at: int, added: list[str]) -> None:
    """The sides of a diff: the same lines but some, which may open or close a block or a key."""
    lines = text.split("\n")
    after = "\n".join([*lines[:at], *added, *lines[at:]])
    expected = [one_by_one(text), one_by_one(after)]
    assert mask_yaml_texts((text, after)) == [mask_yaml(text), mask_yaml(after)] == expected


def test_many_secret_values_and_repeated_lines() -> None:
    """More values than the one-pass threshold (an automaton), and the same line many times."""
    text = "".join(f"  s{i}:\n    environment:\n      PASSWORD: pw{i:06d}x\n    image: a\n" for i in range(40))
    after = text.replace("    image: a\n", "    image: a\n    security_opt:\n      - no-new-privileges:true\n")
    assert mask_yaml_texts((text, after)) == [one_by_one(text), one_by_one(after)]


def test_a_private_key_inside_a_secrets_block_and_lines_after_it() -> None:
    """A key's first line does not end the block scalar it stands in; the block's lines after the
    key are still the secret's."""
    text = (
        "    environment:\n      DB_PASSWORD: |\n-----BEGIN PRIVATE KEY----- x -----END PRIVATE KEY-----\n"
        "        line of a secret\n      -----BEGIN RSA PRIVATE KEY-----\n        body\n"
        "        -----END RSA PRIVATE KEY-----\n        after the key\n    image: a\n"
    )
    masked = one_by_one(text)
    assert "line of a secret" not in masked and "after the key" not in masked
    assert mask_yaml_texts((text, text + "x: y\n")) == [masked, one_by_one(text + "x: y\n")]


#: Pieces of what `mask`'s patterns look for, and of what they do not (lint --diff of a large file
#: masks each unique line: `_mask` skips the patterns where `may_match_a_pattern` says none can act).
PIECES = st.sampled_from(
    [
        *("-", "--", "=", ":", "//", "://", "@", ",", "'", '"', " ", "\n", "p", "u", "a", "$", "${X:-d}", "****"),
        *("redis-cli", "mysql", "AKIA", "ASIA", "gh", "ghp_", "sk_", "rk_", "xox", "xoxb-", "PASSWORD", "token"),
        *("-----BEGIN RSA PRIVATE KEY-----", "-----END ", "key", "0123456789ABCDEF", "abcdefgh"),
        *("postgres://app:pw@db", "https://tok@host", "DB_PASSWORD=abc", "--token x", "-phunter2"),
    ]
)
PATTERN_TEXTS = st.lists(PIECES | st.text(max_size=6), max_size=16).map("".join)


@settings(max_examples=500, deadline=None)
@given(PATTERN_TEXTS)
def test_a_text_no_pattern_may_match_is_left_as_it_is(text: str) -> None:
    if not may_match_a_pattern(text):
        assert _mask_patterns(text) == text
    stripped = text.replace("-", "").replace("=", "").replace("://", "")
    for prefix in ("AKIA", "ASIA", "gh", "sk_", "rk_", "xox"):
        stripped = stripped.replace(prefix, "")
    if not may_match_a_pattern(stripped):  # (the texts that take the shortcut, most of them)
        assert _mask_patterns(stripped) == stripped


@settings(max_examples=300, deadline=None)
@given(PATTERN_TEXTS, st.lists(st.sampled_from(["hunter22", "abcd", "PASSWORD", "gh12"]), max_size=3))
def test_mask_is_the_known_values_then_every_pattern(text: str, known: list[str]) -> None:
    """`mask` with its shortcut gives what it gave with every pattern tried on every text."""
    present = {k for k in known if k in text}
    matcher = KnownValues(present) if len(present) > 1 else present
    slow = matcher.replace(text) if isinstance(matcher, KnownValues) else text
    if not isinstance(matcher, KnownValues):
        for value in matcher:
            slow = replace_value(slow, value, MASK)
    assert mask(text, known) == _mask_patterns(slow)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=" :-=/@_aAghKIkpsx0é", max_size=12).map(lambda name: "  " + name),
    st.sampled_from(["", ":", " :", "::"]),
)
def test_a_key_alone_is_read_and_masked_as_the_slow_way_does(line: str, end: str) -> None:
    """`mask_yaml_texts` takes a key alone on its line (`  web:`) as reading nothing and, without
    known values and without a token's prefix, as masked to itself, without asking `_read_line`
    and `mask`: what they say of such a line, on lines drawn around it (flags, assignments, URL
    marks, token prefixes, a non-ASCII letter)."""
    from composegen.masking import _KEY_ALONE, _NOTHING_READ, _left_as_it_is, _read_line

    line += end
    if _KEY_ALONE.fullmatch(line):
        assert _read_line(line, False, None) == _NOTHING_READ
    if _left_as_it_is(line):
        assert mask(line) == line
        assert mask_yaml(line) == line
