"""`${NAME}` references of variables that are set are substituted without `_substitute`'s steps
(`plain_references`): what it makes is what the steps make, with no problem to report."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.compose.interpolate import (
    ExpansionBudget,
    ExpansionTooLarge,
    VariableIssue,
    _Context,
    _substitute,
    key_end,
    plain_references,
    substitute,
)

TEMPLATES = st.lists(
    st.sampled_from(
        ["${A}", "${B}", "${UNSET}", "$A", "$$", "${", "}", "{", "$", "x", " ", "${A:-d}", "${A}}", "${_1}"]
    ),
    max_size=6,
).map("".join)
ENVIRONMENTS = st.dictionaries(st.sampled_from(["A", "B", "_1"]), st.sampled_from(["", "v", "$A", "${B}", "}"]))


def _slowly(template: str, env: dict[str, str]) -> tuple[str, list[VariableIssue]]:
    issues: list[VariableIssue] = []
    budget = ExpansionBudget()
    budget.grant(template)
    ctx = _Context(env, issues, (), None, budget)
    return _substitute(template, ctx), issues


@settings(deadline=None, max_examples=400)
@given(TEMPLATES, ENVIRONMENTS)
def test_plain_references_are_what_the_steps_make(template: str, env: dict[str, str]) -> None:
    plain = plain_references(template, env)
    text, issues = _slowly(template, env)
    if plain is not None:
        assert "".join(plain) == text
        assert issues == []
    issues_now: list[VariableIssue] = []
    assert substitute(template, env, issues=issues_now) == (template if any(i.is_error for i in issues) else text)
    assert issues_now == issues


def test_a_plain_reference_spends_the_budget() -> None:
    budget = ExpansionBudget()
    budget.left = 5
    try:
        substitute("${A}", {"A": "x" * 100}, budget=budget)
    except ExpansionTooLarge:
        return
    raise AssertionError("no ExpansionTooLarge")


def _key_end_slowly(text: str, start: int) -> int:
    index = start
    while index < len(text) and text[index] not in "=:\n":
        char = text[index]
        if not (char in "\t\v\f\r \x85\xa0" or char in "_.-[]" or char.isalnum()):
            break
        index += 1
    return index


@settings(deadline=None, max_examples=400)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("=:\n_.-[] \t\x85\xa0²٣ⅻ")), st.integers(0, 3))
def test_a_name_ends_where_the_characters_it_may_hold_end(text: str, start: int) -> None:
    start = min(start, len(text))
    assert key_end(text, start) == _key_end_slowly(text, start)
