"""`explain --format json` is written as text (ExplainOutcome.json_pieces: equal quantities written
once, composegen.json_text for the rest): json.dumps(..., indent=2) took 50 s of 63 on a stack of
7,500 services (issue 12). The text must be what json.dumps writes of `as_json()`, byte for byte:
on every example, and on generated quantities (an int and an equal float, 0.0 and -0.0, True and
1, unicode, None where a string belongs), repeated, at every depth."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composegen import json_text
from composegen.explain import ExplainOutcome, ExplainRequest, QuantityTexts, explain_stack
from composegen.sizing.quantity import Quantity, as_dict
from tests.conftest import EXAMPLES, example_profile

FOLDERS = sorted(p.parent for p in EXAMPLES.rglob("composegen.yaml"))


def dumped(outcome: ExplainOutcome) -> str:
    return json.dumps(outcome.as_json(), indent=2)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_is_written_as_json_dumps_writes_it(folder: Path) -> None:
    outcome = explain_stack(ExplainRequest(example_profile(folder), None, folder), lambda line: None)
    assert "".join(outcome.json_pieces()) == dumped(outcome)
    for service in outcome.stack.services:
        one = ExplainOutcome(outcome.stack, service)
        assert "".join(one.json_pieces()) == dumped(one)


TEXTS = st.sampled_from(["memory limit", "RAM ÷ 16", "a × b", "§Databases", "", 'say "hi"\n', "\ud800"])
#: Values equal to each other but written apart (1 and 1.0 and True, 0.0 and -0.0), and floats
#: that json writes its own way.
FINITE = st.sampled_from([0.0, -0.0, 0, 1, 1.0, True, 1.3, 1e-05, 2.5, 1024.0, 1024, 10**20, 1530082099.2])
ANY_VALUE = st.one_of(FINITE, st.sampled_from([math.nan, math.inf, -math.inf]))


def leaves(values: st.SearchStrategy[object], units: list[str]) -> st.SearchStrategy[Quantity]:
    return st.builds(
        Quantity,
        name=TEXTS | st.none(),
        value=values,
        unit=st.sampled_from(units),
        formula=TEXTS | st.none(),
        source=st.sampled_from(["", "profile prod: memory.margin", "facts/sizing.md §Databases", "assumed"]),
        parts=st.just(()),
        kind=st.sampled_from([None, "assumed", "default"]),
    )


LEAVES = leaves(FINITE, ["bytes", "count", "ratio", "seconds", "cpus"]) | leaves(ANY_VALUE, ["bytes", "ratio"])
QUANTITIES = st.recursive(
    LEAVES,
    lambda parts: st.builds(
        lambda name, value, formula, children: Quantity(name, value, "bytes", formula, "", tuple(children)),
        TEXTS,
        FINITE,
        TEXTS,
        st.lists(parts, min_size=1, max_size=3),
    ),
    max_leaves=8,
)


def twin(q: Quantity) -> Quantity:
    """`q` with each value of another type or sign where an equal one exists: equal, written apart."""
    twins: dict[object, object] = {0: -0.0, 1: 1.0, 1024: 1024.0, 10**20: float(10**20)}
    value = q.value
    if type(value) is float and value == 0:
        value = 0.0 if math.copysign(1.0, value) < 0 else 0
    elif value in twins and type(value) is not float:
        value = twins[value]
    elif type(value) is float and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    return q._replace(value=value, parts=tuple(map(twin, q.parts)))


@settings(max_examples=300, deadline=None)
@given(st.lists(QUANTITIES, min_size=1, max_size=5), st.data())
def test_quantities_written_once_read_as_json_dumps_writes_each(found: list[Quantity], data: st.DataObject) -> None:
    # each repeated, its twin of other types, each one a part of another, at several depths
    found += [twin(q) for q in found]
    found += [Quantity("sum", 1.0, "bytes", "a + b", "", (q, found[0])) for q in found]
    found = data.draw(st.permutations(found + data.draw(st.lists(st.sampled_from(found), max_size=6))))
    value = {"list": found, "deeper": [{"q": q, "also": [q]} for q in found], "one": found[0]}
    plain = {
        "list": [as_dict(q) for q in found],
        "deeper": [{"q": as_dict(q), "also": [as_dict(q)]} for q in found],
        "one": as_dict(found[0]),
    }
    assert "".join(json_text.pieces(value, {Quantity: QuantityTexts()})) == json.dumps(plain, indent=2)
