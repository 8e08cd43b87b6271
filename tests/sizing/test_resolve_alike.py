"""Services that set the same scalar keys to the same values (merged from one `<<: *base`) are
read once (composegen.resolve): each still gets exactly what reading it alone gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.profiles.plain import default_spec
from composegen.resolve import FIGURE_KEYS, base_service, resolve_services, with_figures
from composegen.sizing.detect import detect
from composegen.yamlio import Timestamp

SERVICES = {
    "a": {"image": "nginx:1.27.1", "restart": "always"},
    "b": {"image": "nginx:1.27.1", "restart": "always"},
    "c": {"image": "nginx:1.27.1", "restart": "always", "mem_limit": "256m", "user": "1000"},
    "d": {"image": "nginx:1.27.1", "restart": "always", "mem_limit": "256m", "user": "1000"},
    "e": {"image": "nginx:1.27.1", "volumes": ["./data:/data"]},  # not scalars: read on its own
    # True == 1 == 1.0 in a set: never taken for each other
    "f": {"image": True},
    "g": {"image": 1},
    "h": {"image": 1.0},
}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_gets_what_reading_it_alone_gives(name: str, tmp_path: Path) -> None:
    inputs = {i.name: i for i in resolve_services(SERVICES, {}, where=str(tmp_path / "composegen.yaml"))}
    assert inputs[name].base == base_service(name, SERVICES[name], tmp_path)


#: Keys and values services set, of several types that compare equal (`True`, `1`, `1.0`), a time
#: kept as text, and lists (no scalars: a service that holds one is read on its own).
KEYS = st.sampled_from(["image", "restart", "mem_limit", "user", "cpus", "shm_size", "command"])
VALUES = st.sampled_from(["nginx:1.27.1", "always", "256m", "1000", "ollama/ollama", True, 1, 1.0, 0, None, ""])
BODIES = st.dictionaries(KEYS, st.one_of(VALUES, st.just(Timestamp("2001-12-14")), st.lists(VALUES, max_size=2)))


#: For 0 and 1: an equal value of another type (`True == 1 == 1.0`).
OTHER_TYPE = {bool: int, int: float, float: bool}


def _twin(body: dict[str, object]) -> dict[str, object]:
    """`body` with its keys in the other order, and each 0 or 1 of another type."""
    return {
        key: OTHER_TYPE[type(value)](value) if type(value) in OTHER_TYPE and value in (0, 1) else value
        for key, value in reversed(body.items())
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(BODIES, max_size=6))
def test_drawn_services_get_what_reading_each_alone_gives(bodies: list[dict[str, object]]) -> None:
    """However the services repeat one another (the same keys in another order, equal values of
    another type), each gets the base, role and reason of reading it alone, in their fields."""
    services = {f"s{index}": body for index, body in enumerate([*bodies, *map(_twin, bodies), *bodies])}
    found = resolve_services(services, {}, where="composegen.yaml")
    root = Path("composegen.yaml").parent
    for inputs, (name, service) in zip(found, services.items(), strict=True):
        base = base_service(name, service, root)
        assert repr(inputs.base) == repr(base)
        assert (inputs.name, inputs.role, inputs.role_reason) == (name, *detect(base, None))
        assert (inputs.spec, inputs.models, inputs.host, inputs.stack_agents) == (default_spec(), (), None, 0)
        assert (inputs.facts, inputs.secrets) == (None, None)


#: Services with some of the keys `with_figures` reads (FIGURE_KEYS) and some it does not.
FIGURE_SERVICES = st.dictionaries(
    st.sampled_from(sorted(FIGURE_KEYS)) | st.sampled_from(["image", "command", "environment", "healthcheck", "user"]),
    st.one_of(
        VALUES,
        st.sampled_from(
            [
                [
                    "./data:/data",
                    "/tmp",
                    {"type": "tmpfs", "target": "/x"},
                    {"type": "bind", "source": ".", "target": "/a"},
                ],
                {"resources": {"limits": {"cpus": "0.5", "memory": "1g"}, "reservations": {"devices": [{"count": 1}]}}},
                {"test": ["CMD", "true"]},
                ["/dev/kfd"],
                "all",
                "-1",
            ]
        ),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(FIGURE_SERVICES)
def test_a_service_without_figures_has_the_defaults_reading_them_gives(service: dict[str, object]) -> None:
    """`base_service` leaves a service that sets none of FIGURE_KEYS at the defaults: reading its
    figures anyway (`with_figures`) changes nothing."""
    found = base_service("web", service, Path("/project"))
    assert with_figures(found, service, Path("/project")) == found
