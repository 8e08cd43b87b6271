"""Every example's base + rendered overlay, through the real docker compose v2 `config`."""

from __future__ import annotations

import os
from pathlib import Path

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


@pytest.mark.oracle
@pytest.mark.parametrize(
    "base_opts",
    [["no-new-privileges:true"], ["no-new-privileges:true", "seccomp:unconfined"], ["apparmor:unconfined"]],
)
def test_an_overlay_never_repeats_a_security_opt_of_the_base(tmp_path: Path, base_opts: list[str]) -> None:
    # compose appends security_opt lists and rejects a repeated item (`items at 0 and 1 are equal`)
    opts = "".join(f"\n      - {o}" for o in base_opts)
    base = f"services:\n  api:\n    image: python:3.12-slim\n    security_opt:{opts}\n"
    (tmp_path / "docker-compose.yml").write_text(base)
    rendered = render("prod", None, tmp_path)
    overlay = rendered.output
    overlay.write_text(rendered.text)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    merged = oracle.run_config([tmp_path / "docker-compose.yml", overlay], env=env, project_dir=tmp_path)
    assert sorted(merged.data["services"]["api"]["security_opt"]) == sorted({*base_opts, "no-new-privileges:true"})
