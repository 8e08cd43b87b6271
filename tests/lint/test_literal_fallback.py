"""A value written with variables read two ways (composegen.lint.readers.literal_fallback): where
no default or alternate value is written, one reading gives both, as the two readings do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.compose.interpolate import substitute
from composegen.lint.readers import _Environment, has_template, literal_fallback

PIECES = st.sampled_from(
    [
        "${A}",
        "${B}",
        "$A",
        "${A:?x}",
        "${B?y}",
        "${A:-d}",
        "${B-e}",
        "${A:+p}",
        "$$",
        "$",
        "${",
        "}",
        "x",
        "@",
        "\x00",
        "-",
        "+",
        ":",
        " ",
    ]
)


def _two_readings(text: str, unset: Callable[[str], bool]) -> tuple[str, str] | None:
    """What literal_fallback gave before it read once where it can: always both readings."""
    if not has_template(text):
        return None
    issues: list[Any] = []
    fallen = substitute(text, _Environment(unset), issues=issues)
    if any(issue.kind != "unset" for issue in issues):
        return None
    around = substitute(text, _Environment(lambda name: False))
    return fallen.replace(_Environment.MARK, ""), around.replace(_Environment.MARK, "")


@settings(deadline=None)  # a shared CI machine: no time limit per example
@given(st.lists(PIECES, max_size=8).map("".join), st.sampled_from(["all", "A", "none"]))
def test_one_reading_where_no_default_is_written_gives_both(text: str, which: str) -> None:
    unset: Callable[[str], bool] = {
        "all": lambda name: True,
        "A": lambda name: name == "A",
        "none": lambda name: False,
    }[which]
    try:
        expected: Any = _two_readings(text, unset)
    except Exception as err:  # whatever the readings raise, both raise alike
        expected = type(err)
    try:
        assert literal_fallback(text, unset) == expected
    except AssertionError:
        raise
    except Exception as err:
        assert type(err) is expected
