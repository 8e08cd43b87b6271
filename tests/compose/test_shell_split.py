"""compose-go's command splitting (composegen.compose.syntax.go_shell_split): a command with no
escape, quote, parenthesis or word-ending character is cut at its spaces without reading it
character by character, into the words the character-by-character reading gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.compose.syntax import _shell_words, go_shell_split

#: Spaces compose-go cuts at, spaces it does not (a no-break space, a form feed), word characters.
PLAIN = st.text(alphabet=st.sampled_from(list(" \t\r\n\u00a0\x0cab-=$/.é{}")), max_size=20)
ANY = st.text(alphabet=st.sampled_from(list(" \t\nab$\\'\"`();&|<>")), max_size=12)


@settings(deadline=None)  # a shared CI machine: no time limit per example
@given(PLAIN)
def test_a_plain_command_is_cut_at_compose_gos_spaces(text: str) -> None:
    assert go_shell_split(text) == _shell_words(text)


@settings(deadline=None)  # a shared CI machine: no time limit per example
@given(ANY)
def test_any_command_splits_as_read_character_by_character(text: str) -> None:
    try:
        expected: list[str] | type[Exception] = _shell_words(text)
    except ValueError as err:
        expected = type(err)
    try:
        assert go_shell_split(text) == expected
    except ValueError as err:
        assert type(err) is expected


def test_examples() -> None:
    assert go_shell_split("  redis-server  --appendonly\tyes\n") == ["redis-server", "--appendonly", "yes"]
    assert go_shell_split("a\u00a0b") == ["a\u00a0b"]
    assert go_shell_split('sh -c "echo a b"') == ["sh", "-c", "echo a b"]
