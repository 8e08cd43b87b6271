"""Known secret values found in one pass (composegen.masking.KnownValues): each occurrence masked,
a short value only where it stands alone, as `replace_value` does one value at a time; in time
proportional to the text, however many values (issue 12: every input in linear time)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.masking import MASK, WHOLE_WORD_BELOW, KnownValues, mask

#: Letters that make values overlap and repeat, and what may stand next to a short value.
TEXT = st.text(alphabet=st.sampled_from(list("ab1 =:@'\"x")), max_size=60)
VALUES = st.lists(st.text(alphabet=st.sampled_from(list("ab1=")), min_size=4, max_size=10), max_size=6)


def _alone(text: str, start: int, end: int) -> bool:
    edges = " '\"=:@"
    return (start == 0 or text[start - 1] in edges) and (end == len(text) or text[end] in edges)


@settings(deadline=None)  # a shared CI machine: no time limit per example
@given(TEXT, VALUES)
def test_every_occurrence_is_masked_and_nothing_else(text: str, values: list[str]) -> None:
    covered = _coverage(text, values)
    masked = KnownValues(values).replace(text)
    assert masked.replace(MASK, "") == "".join(c for c, hidden in zip(text, covered, strict=True) if not hidden)
    runs = sum(1 for i, hidden in enumerate(covered) if hidden and (i == 0 or not covered[i - 1]))
    assert masked.count(MASK) - text.count(MASK) >= runs


def _coverage(text: str, values: list[str]) -> list[bool]:
    """Which characters of `text` are in an occurrence of a value, found at every place."""
    covered = [False] * len(text)
    for value in set(values):
        for start in range(len(text) - len(value) + 1):
            end = start + len(value)
            if text.startswith(value, start) and (len(value) >= WHOLE_WORD_BELOW or _alone(text, start, end)):
                covered[start:end] = [True] * len(value)
    return covered


CASES = [
    ("a long value anywhere", "url=x://u:longsecret1@h longsecret1x", ["longsecret1"]),
    ("a short value alone only", "pass shop shop.wsgi 'shop' =shop:", ["shop"]),
    ("several values, longest inside another", "hunter2hunter2 hunter2", ["hunter2hunter2", "hunter2"]),
    ("none there", "nothing to see", ["secretvalue"]),
]


def test_the_same_text_as_one_value_at_a_time() -> None:
    for name, text, values in CASES:
        assert KnownValues(values).replace(text) == mask(text, values), name
