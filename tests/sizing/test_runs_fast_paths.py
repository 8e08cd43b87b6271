"""The quick paths of sizing.runs and sizing.base_resources say what the slow ones say: `runs.fact`
finds each program's winning fact in one pass (it asked `ServiceFacts.get` once per program), and
`overrides` leaves a service none of whose compose facts is a resource figure without looking
each one up."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.facts import Fact, ServiceFacts
from composegen.profiles.plain import default_spec
from composegen.sizing import runs
from composegen.sizing.inputs import BaseService, ServiceInputs
from composegen.yamlio import Origin

ORIGIN = Origin("docker-compose.yml", 3, 5)
PROGRAMS = ("gunicorn", "uvicorn", "hypercorn", "compose", "postgres")
SETTINGS = ("workers", "threads", "preload", *sorted(runs.RESOURCE_SETTINGS))
FACTS = st.lists(
    st.builds(
        lambda program, setting, value, status, overridden: Fact(
            program, setting, value, f"{setting} {value}", ORIGIN, "command", status, overridden
        ),
        st.sampled_from(PROGRAMS),
        st.sampled_from(SETTINGS),
        st.sampled_from([0, 1, 4, 10**7, 2.5, True, "x", None]),
        st.sampled_from(["read", "unreadable", "not-read"]),
        st.booleans(),
    ),
    max_size=8,
)


def _inputs(facts: list[Fact]) -> ServiceInputs:
    base = BaseService(name="web", image="example/app:1", command=None, entrypoint=None)
    read = ServiceFacts("web", "example/app:1", "app", (), (), tuple(facts))
    return ServiceInputs("web", "generic", "", default_spec(), base, facts=read)


def _fact_slowly(inputs: ServiceInputs, setting: str, *programs: str, most: float = runs.MOST) -> Fact | None:
    assert inputs.facts is not None
    for program in programs or (None,):
        found = inputs.facts.get(setting, program)
        if found is not None and runs.usable(found, most):
            return found
    return None


@settings(deadline=None, max_examples=300)
@given(
    FACTS, st.sampled_from(SETTINGS), st.lists(st.sampled_from(PROGRAMS), max_size=4), st.sampled_from([runs.MOST, 8])
)
def test_one_pass_finds_the_fact_each_program_asked_in_turn_finds(
    facts: list[Fact], setting: str, programs: list[str], most: float
) -> None:
    inputs = _inputs(facts)
    assert runs.fact(inputs, setting, *programs, most=most) == _fact_slowly(inputs, setting, *programs, most=most)


@settings(deadline=None)
@given(FACTS)
def test_a_service_without_resource_figures_has_none_to_override(facts: list[Fact]) -> None:
    """What `overrides` looks up: where its quick test finds no compose fact of RESOURCE_SETTINGS,
    every look-up finds nothing."""
    inputs = _inputs(facts)
    if any(f.program == "compose" and f.setting in runs.RESOURCE_SETTINGS for f in facts):
        return
    for setting in runs.RESOURCE_SETTINGS:
        assert runs.fact(inputs, setting, "compose") is None
        assert inputs.facts is not None and inputs.facts.get(setting, "compose") is None
