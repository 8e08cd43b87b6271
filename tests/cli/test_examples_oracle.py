"""Every example's base + rendered overlay, through the real docker compose v2 `config`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from composegen.compose import oracle
from composegen.render.overlay import plan, render
from composegen.units import format_bytes, parse_bytes
from tests.conftest import EXAMPLE_CASES, EXAMPLES


@pytest.mark.oracle
@pytest.mark.parametrize(("folder_name", "name"), EXAMPLE_CASES)
def test_compose_v2_accepts_base_plus_overlay_with_the_planned_numbers(folder_name: str, name: str) -> None:
    folder = EXAMPLES / folder_name
    overlay = folder / f"docker-compose.{name}.yml"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    result = oracle.run_config([folder / "docker-compose.yml", overlay], env=env, project_dir=folder)
    services = result.data["services"]
    planned = plan(name, None, folder)
    assert set(services) == {s.name for s in planned.stack.services}
    for service in planned.stack.services:
        applied = services[service.name]
        limits = applied.get("deploy", {}).get("resources", {}).get("limits", {})
        memory = limits.get("memory", applied.get("mem_limit"))
        assert memory is not None, f"{service.name}: no memory limit after the merge"
        assert format_bytes(parse_bytes(int(memory))) == format_bytes(service.memory_limit.value)
        if service.cpus is not None:
            assert float(limits.get("cpus", applied.get("cpus"))) == pytest.approx(service.cpus.value, abs=0.01)
        for mount in service.tmpfs:
            targets = {v["target"]: v for v in applied.get("volumes", [])}
            assert targets[mount.path]["type"] == "tmpfs", f"{service.name}: {mount.path} is not the tmpfs"
        for setting in service.environment:
            assert applied["environment"][setting.key] == setting.value
        if service.healthcheck is not None:
            assert "start_period" in applied["healthcheck"]


def _render_and_config(tmp_path: Path, service: str) -> dict[str, Any]:
    """`service` (the YAML of one service `api`) as the base, the prod overlay rendered over it, and
    what the real compose v2 `config` makes of the two (it raises if compose refuses them)."""
    (tmp_path / "docker-compose.yml").write_text("services:\n  api:\n" + service)
    rendered = render("prod", None, tmp_path)
    rendered.output.write_text(rendered.text)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    merged = oracle.run_config([tmp_path / "docker-compose.yml", rendered.output], env=env, project_dir=tmp_path)
    api = merged.data["services"]["api"]
    assert isinstance(api, dict)
    return api


@pytest.mark.oracle
@pytest.mark.parametrize(
    "base_opts",
    [["no-new-privileges:true"], ["no-new-privileges:true", "seccomp:unconfined"], ["apparmor:unconfined"]],
)
def test_an_overlay_never_repeats_a_security_opt_of_the_base(tmp_path: Path, base_opts: list[str]) -> None:
    # compose appends security_opt lists and rejects a repeated item (`items at 0 and 1 are equal`)
    opts = "".join(f"\n      - {o}" for o in base_opts)
    api = _render_and_config(tmp_path, f"    image: python:3.12-slim\n    security_opt:{opts}\n")
    assert sorted(api["security_opt"]) == sorted({*base_opts, "no-new-privileges:true"})


@pytest.mark.oracle
@pytest.mark.parametrize("legacy", ["mem_limit: 1g", "cpus: 2", "pids_limit: 100", "mem_reservation: 64m"])
def test_a_base_with_legacy_resource_keys_gets_an_overlay_compose_accepts(tmp_path: Path, legacy: str) -> None:
    # compose v2 refuses a legacy key beside a deploy.resources block that lacks its twin or differs
    api = _render_and_config(tmp_path, f"    image: python:3.12-slim\n    {legacy}\n")
    key = legacy.split(":")[0]
    twin = {"mem_limit": "memory", "cpus": "cpus", "pids_limit": "pids", "mem_reservation": "memory"}[key]
    section = "reservations" if key == "mem_reservation" else "limits"
    assert str(api[key]) == str(api["deploy"]["resources"][section][twin])
