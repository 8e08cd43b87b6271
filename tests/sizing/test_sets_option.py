"""`python_web._sets_option` (a set and one `startswith` of prefixes for each word) answers as the
plain loop over every word and option name does."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from composegen.sizing.python_web import WORKERS, _sets_option

#: The option names gunicorn_environment asks about, and a few made up (one letter, empty).
NAMES = [WORKERS, ("-t", "--timeout"), ("--max-requests",), ("--max-requests-jitter",), ("--preload",), ("-x",), ("",)]
#: Words near those names: the names themselves, with `=`, a value attached, or a longer name.
PIECES = [
    "-w",
    "--workers",
    "-t",
    "--timeout",
    "--max-requests",
    "--preload",
    "-x",
    "=",
    "4",
    "-",
    "--",
    "s",
    "-jitter",
]
WORDS = st.lists(st.lists(st.sampled_from(PIECES), max_size=3).map("".join), max_size=6)


def slow_sets_option(words: Sequence[str], names: Sequence[str]) -> bool:
    for word in words:
        for name in names:
            if word == name or word.startswith(name + "=") or (len(name) == 2 and word.startswith(name)):
                return True
    return False


@given(words=WORDS, names=st.sampled_from(NAMES))
def test_sets_option_answers_as_the_plain_loop(words: list[str], names: tuple[str, ...]) -> None:
    assert _sets_option(words, names) == slow_sets_option(words, names)


def test_sets_option_examples() -> None:
    assert _sets_option(["app:app", "-w4"], WORKERS)
    assert _sets_option(["--workers=4"], WORKERS)
    assert _sets_option(["--workers", "4"], WORKERS)
    assert not _sets_option(["--workersx"], WORKERS)
    assert not _sets_option(["--max-requests-jitter=5"], ("--max-requests",))
