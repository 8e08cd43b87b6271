"""`composegen.cli.run.echo`, the fast paths' print, writes what `typer.echo` writes for a str."""

from __future__ import annotations

import io
import sys

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from composegen.cli.run import echo

#: text with what typer strips from it off a terminal (ANSI styles) and what it does not
PIECES = st.sampled_from(["a", "é", " ", "\n", "\x1b", "\x1b[31m", "\x1b[0m", "\x1b[;?1h", "[", "m", "\x1b[", "9"])
TEXT = st.lists(PIECES, max_size=12).map("".join)


class _Stream(io.TextIOWrapper):
    """A text stream over bytes, a terminal or not, in an encoding."""

    def __init__(self, terminal: bool, encoding: str = "utf-8") -> None:
        super().__init__(io.BytesIO(), encoding=encoding)
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal

    def written(self) -> bytes:
        self.flush()
        return self.buffer.getvalue()  # type: ignore[attr-defined]  # a BytesIO


def _written(print_line: object, message: str, nl: bool, err: bool, terminal: bool, encoding: str) -> bytes:
    stream = _Stream(terminal, encoding)
    name = "stderr" if err else "stdout"
    saved = getattr(sys, name)
    setattr(sys, name, stream)
    try:
        print_line(message, nl=nl, err=err)  # type: ignore[operator]  # echo or typer.echo
    finally:
        setattr(sys, name, saved)
    return stream.written()


@given(message=TEXT, nl=st.booleans(), err=st.booleans(), terminal=st.booleans())
def test_echo_writes_what_typer_echo_writes(message: str, nl: bool, err: bool, terminal: bool) -> None:
    ours = _written(echo, message, nl, err, terminal, "utf-8")
    assert ours == _written(typer.echo, message, nl, err, terminal, "utf-8")


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stream_in_another_encoding_gets_what_typer_writes(encoding: str) -> None:
    for message in ["plain", "é and \x1b[1mbold\x1b[0m"]:
        ours = _written(echo, message, True, False, False, encoding)
        assert ours == _written(typer.echo, message, True, False, False, encoding)
