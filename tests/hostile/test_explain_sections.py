"""`explain` writes the derivations of services sized alike once (composegen.explain._sections):
a stack of 7,500 postgres services spent a third of its explain writing the same derivation
trees again (issue 12: every input of 1 MB in 2 s). The text must be what writing each one gives,
byte for byte, whatever the values: an int and an equal float, 0.0 and -0.0."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.explain import Sections, Written, _sections
from composegen.sizing.quantity import Quantity

#: Values equal to each other but shown apart: 1 and 1.0, 0.0 and -0.0, True and 1.
VALUES = st.sampled_from([0.0, -0.0, 0, 1, 1.0, True, 2.5, 1024.0, 1024])
LEAVES = st.builds(
    Quantity,
    name=st.sampled_from(["a", "b"]),
    value=VALUES,
    unit=st.sampled_from(["bytes", "count", "ratio", "seconds", "cpus"]),
    formula=st.just(""),
    source=st.sampled_from(["", "profile prod: x"]),
    parts=st.just(()),
    kind=st.none(),
)
QUANTITIES = st.recursive(
    LEAVES,
    lambda parts: st.builds(
        lambda name, value, unit, children: Quantity(name, value, unit, "a + b", "", tuple(children)),
        st.sampled_from(["a", "b", "sum"]),
        VALUES,
        st.sampled_from(["bytes", "count"]),
        st.lists(parts, min_size=1, max_size=3),
    ),
    max_leaves=6,
)
SECTION = st.tuples(st.sampled_from(["memory limit", "cpus"]), st.none() | QUANTITIES)
SECTIONS = st.lists(st.one_of(SECTION, st.just("healthcheck: none")), max_size=4).map(tuple)


#: Each value's equal twin of another type or sign.
TWINS: dict[tuple[type, float], float] = {
    (float, 0.0): -0.0, (int, 0): 0.0, (int, 1): 1.0, (float, 1.0): True, (bool, True): 1, (int, 1024): 1024.0,
    (float, 1024.0): 1024, (float, 2.5): 2.5,
}  # fmt: skip


def twin(q: Quantity) -> Quantity:
    """`q` with each value replaced by an equal one of another type or sign (-0.0 for 0.0): an
    equal quantity, but for its sign, shown otherwise."""
    value = -0.0 if q.value == 0 and str(q.value) == "-0.0" else TWINS[type(q.value), q.value]
    return q._replace(value=value, parts=tuple(map(twin, q.parts)))


def twins(sections: Sections) -> Sections:
    return tuple(s if isinstance(s, str) or s[1] is None else (s[0], twin(s[1])) for s in sections)


def containing(sections: Sections) -> Sections:
    """`sections` and a section more, whose quantity holds each of theirs as a part (as the memory
    reservation holds the limit): shown "(derived above)" where the sections show them first."""
    parts = tuple(s[1] for s in sections if not isinstance(s, str) and s[1] is not None)
    return sections if not parts else (*sections, ("all", Quantity("all", 1.0, "bytes", "a + b", "", parts)))


@settings(deadline=None)
@given(st.lists(SECTIONS, max_size=8), st.data())
def test_sections_written_once_read_as_written_each_time(services: list[Sections], data: st.DataObject) -> None:
    # the services repeat (as a large stack's do), some have sections equal to another's but for
    # the types or signs of their values, and some a section holding the others' quantities
    services += [twins(s) for s in services]
    services += [containing(s) for s in services]
    services += data.draw(st.lists(st.sampled_from(services), max_size=8)) if services else []
    written = Written()
    for sections in data.draw(st.permutations(services)):
        assert _sections(sections, written) == _sections(sections)


def test_sections_that_do_not_repeat_are_no_longer_looked_up() -> None:
    # 300 services each of its own (a source naming its line), then one repeated: written each time
    own = [
        (("memory limit", Quantity("limit", 1024.0 * n, "bytes", "", f"docker-compose.yml:{n}")),) for n in range(300)
    ]
    written = Written()
    for sections in [*own, *own[:10]]:
        assert _sections(sections, written) == _sections(sections)
    assert not written.worth_looking()
    assert len(written.by_sections) == 256
