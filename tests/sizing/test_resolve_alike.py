"""Services that set the same scalar keys to the same values (merged from one `<<: *base`) are
read once (composegen.resolve): each still gets exactly what reading it alone gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.resolve import base_service, resolve_services

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
