"""composegen.json_text writes what json.dumps(value, indent=2) writes, byte for byte, on
generated values of every kind json takes (explain --format json is written with it)."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.json_text import pieces

#: Text of every kind: quotes, backslashes, control characters, non-ASCII, lone surrogates, and
#: what the layout itself looks like written out.
TEXTS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(['\\"', "a\nb", "× ÷ §", "\ud800", "},\n    {", '"parts": [', "", "\t\x00\x1f\x7f"]),
)
FLOATS = st.one_of(
    st.floats(), st.sampled_from([1.3, 1e-05, -0.0, 0.0, 1e16, 1.5e300, 5e-324, math.nan, math.inf, -math.inf])
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**18, max_value=10**40), FLOATS, TEXTS
)
KEYS = st.one_of(TEXTS, st.integers(), FLOATS, st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_the_text_is_what_json_dumps_writes(value: Any) -> None:
    assert "".join(pieces(value)) == json.dumps(value, indent=2)


@settings(max_examples=100, deadline=None)
@given(VALUES, st.integers(min_value=0, max_value=5))
def test_a_value_deeper_in_has_its_lines_indented_so(value: Any, depth: int) -> None:
    pad = "  " * depth
    assert "".join(pieces(value, pad=pad)) == json.dumps(value, indent=2).replace("\n", "\n" + pad)


def test_a_writer_writes_the_values_of_its_type() -> None:
    class Point(tuple[int, int]):
        pass

    def point(p: Point, pad: str) -> str:
        return json.dumps({"x": p[0], "y": p[1]}, indent=2).replace("\n", "\n" + pad)

    value = {"points": [Point((1, 2))], "plain": (1, 2)}
    expected = json.dumps({"points": [{"x": 1, "y": 2}], "plain": [1, 2]}, indent=2)
    assert "".join(pieces(value, {Point: point})) == expected


@pytest.mark.parametrize("value", [{"a": object()}, [1, {2, 3}], {(1, 2): 3}])
def test_what_json_refuses_is_refused_alike(value: object) -> None:
    with pytest.raises(TypeError) as theirs:
        json.dumps(value, indent=2)
    with pytest.raises(TypeError) as ours:
        pieces(value)
    assert str(ours.value) == str(theirs.value)


class Level(enum.IntEnum):
    HIGH = 3


class Colour(str, enum.Enum):
    RED = "red"


class Ratio(float):
    pass


def test_subclasses_of_the_types_json_takes_are_written_as_json_writes_them() -> None:
    value = {Colour.RED: [Level.HIGH, Colour.RED, Ratio(0.5), True], Level.HIGH: Ratio(math.nan)}
    assert "".join(pieces(value)) == json.dumps(value, indent=2)
