"""Image detection reads a rule's names without compiling its pattern (composegen.sizing.detect
`_image_matches`), and says what the pattern says of every name."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.sizing.detect import IMAGE_RULES, _image_matches

WORDS = sorted({word for rule in IMAGE_RULES for word in rule.words})
#: What may follow a rule's name: separators, word characters of several scripts, and others.
TAILS = st.text(alphabet=st.sampled_from(list("-_.x9/:@ \n\tÀéΩ٣²\u200b")), max_size=6)


@settings(deadline=None)  # a shared CI machine: no time limit per example
@given(st.sampled_from(WORDS), TAILS, st.sampled_from(["", "x", "my"]))
def test_an_image_rule_matches_as_its_pattern_does(word: str, tail: str, head: str) -> None:
    name = head + word + tail
    for rule in IMAGE_RULES:
        assert _image_matches(rule, name) == bool(rule.pattern.match(name)), (rule.role, name)
