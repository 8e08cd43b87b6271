"""Quantity.show: each value and unit worked out once (explain of a large stack shows the same
figures again and again), with what tells values apart kept apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.sizing.quantity import Quantity, Unit, compose_value, show_value


@pytest.mark.parametrize("unit", ["count", "ratio", "bytes"])
def test_zero_and_negative_zero_show_as_they_always_did(unit: Unit) -> None:
    shown = [show_value(v, unit) for v in (0.0, -0.0, 0.0, -0.0)]
    assert shown == [f"{0.0:g}" if unit != "bytes" else "0 B", f"{-0.0:g}" if unit != "bytes" else "-0 B"] * 2


def test_the_same_value_shows_the_same_every_time() -> None:
    assert [show_value(1536 * 1024 * 1024, "bytes") for _ in range(3)] == ["1.50 GiB"] * 3
    assert [show_value(v, "cpus") for v in (1, 1.0, 2, 2.0)] == ["1 core", "1 core", "2 cores", "2 cores"]


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.floats(allow_nan=False, min_value=-1e12, max_value=1e12), st.integers(-(10**9), 10**9)),
    st.sampled_from(["bytes", "cpus", "seconds", "count", "ratio"]),
)
def test_compose_value_kept_is_compose_value_made(value: float, unit: Unit) -> None:
    """`Quantity.compose_value` keeps what it worked out for a value and unit: the same text as
    working it out again, for an int and an equal float, zero and minus zero alike."""
    for number in (value, float(value), -value):
        made = compose_value(number, unit)
        assert Quantity("q", number, unit).compose_value() == made
        assert Quantity("q", number, unit).compose_value() == made
