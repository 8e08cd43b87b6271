"""`composegen render --target swarm` on a real engine: `docker swarm init`, `docker stack deploy` the
rendered file, wait until every service converges, check `docker service inspect` carries the
planned limits, reservations, update/rollback and restart settings and tmpfs mounts, then remove
the stack (waiting for its tasks and network to go) and leave the swarm if this test joined it.

The engine here is dockerd 20.10 (API 1.41): service pids limits and capability drops are in that
API; healthcheck.start_interval is not (Engine 25), so the stack is rendered with
`--docker-version 20.10`. The stack file has no `version:` key, which the docker CLI 20.10 refuses
("unsupported Compose file version: 1.0"): stack deploy is run with a docker CLI of 23 or later
(it negotiates API 1.41 with this engine). The engine runs without iptables, so a service's
virtual IP does not route (no IPVS); the base puts the one service others connect to on
`endpoint_mode: dnsrr`, which the Swarm target keeps (its name resolves to the task's address).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from composegen.units import parse_bytes, parse_duration

pytestmark = pytest.mark.engine

STACK_LABEL = "com.docker.stack.namespace"
CONVERGE_TIMEOUT = 240.0
REMOVE_TIMEOUT = 120.0

BASE = """\
# The smoke services (examples/smoke) for Swarm: an httpd with a health page, a store the agents
# talk to, and agents that ping it and leave a heartbeat.
services:
  app:
    image: composegen-smoke:local
    command:
      - sh
      - -c
      - trap 'exit 0' TERM; mkdir -p /tmp/www && echo ok > /tmp/www/health; httpd -f -p 8080 -h /tmp/www & wait
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]
  db:
    image: composegen-smoke:local
    command: ["sh", "-c", "trap 'exit 0' TERM; touch /tmp/ready; nc -ll -p 6379 -e cat & wait"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
    deploy:
      endpoint_mode: dnsrr
    depends_on: [app]
  agent:
    image: composegen-smoke:local
    command:
      - sh
      - -c
      - >-
        trap 'exit 0' TERM; while true; do echo ping | nc -w 2 db 6379 >/dev/null && date > /tmp/heartbeat;
        sleep 1 & wait $$!; done
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/heartbeat"]
    depends_on:
      db: {condition: service_healthy}
"""

PROJECT = """\
compose_files: [docker-compose.yml]
host: {memory: 2g, cpus: 2}
services:
  app: {role: generic, memory: 16M, cpus: 0.25, startup: 2s}
  db: {role: generic, memory: 16M, cpus: 0.1, startup: 1s}
  agent: {agents: 3}
profiles:
  swarm-smoke:
    extends: agent-scale
    agents:
      tiers: [{up_to: null, memory: 16M, cpus: 0.05}]
      update_parallelism: 2
      update_delay: 3s
    healthcheck: {interval: 2s, timeout: 2s, retries: 3, minimum_start_period: 2s, startup_margin: 1.5}
"""


def docker_cli() -> str:
    """A docker CLI whose stack deploy takes a file without `version:` (23 or later)."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / "docker"
        if not candidate.is_file():
            continue
        done = subprocess.run([str(candidate), "version", "--format", "{{.Client.Version}}"],
                              capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
        major = re.match(r"(\d+)", done.stdout.strip())
        if major and int(major.group(1)) >= 23:
            return str(candidate)
    pytest.fail("no docker CLI 23 or later on PATH: stack deploy of a file without `version:` needs one")


def docker(cli: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def swarm(engine: Any) -> Iterator[Any]:
    """The engine as a single-node swarm; left again at the end only if this fixture joined it."""
    state = engine.info().get("Swarm", {}).get("LocalNodeState", "inactive")
    joined = state == "inactive"
    if joined:
        engine.swarm.init(advertise_addr="127.0.0.1")
    try:
        yield engine
    finally:
        if joined:
            engine.swarm.leave(force=True)


def stack_services(client: Any, name: str) -> list[Any]:
    return list(client.services.list(filters={"label": f"{STACK_LABEL}={name}"}))


def running(service: Any) -> int:
    tasks = service.tasks(filters={"desired-state": "running"})
    return sum(1 for t in tasks if t["Status"]["State"] == "running")


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def nanos(text: str) -> int:
    return round(float(text) * 1e9)


def test_rendered_stack_deploys_converges_and_carries_the_plan(swarm: Any, smoke_image: str, tmp_path: Path) -> None:
    del smoke_image
    cli = docker_cli()
    (tmp_path / "docker-compose.yml").write_text(BASE)
    (tmp_path / "composegen.yaml").write_text(PROJECT)
    rendered = subprocess.run(
        [sys.executable, "-m", "composegen", "render", "--profile", "swarm-smoke", "--target", "swarm",
         "--docker-version", "20.10"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    stack_file = tmp_path / "docker-stack.swarm-smoke.yml"
    planned = yaml.safe_load(stack_file.read_text())["services"]
    assert "db: depends_on (base): left out" in rendered.stderr
    assert "agent: depends_on (base): left out" in rendered.stderr

    config = docker(cli, "stack", "config", "-c", str(stack_file))  # the CLI's own schema and loader
    assert config.returncode == 0, config.stderr

    name = f"cgswarm{secrets.token_hex(3)}"
    try:
        deployed = docker(cli, "stack", "deploy", "-c", str(stack_file), name)
        assert deployed.returncode == 0, deployed.stderr
        assert "Ignoring unsupported options" not in deployed.stderr  # nothing stack deploy ignores
        assert "Ignoring deprecated options" not in deployed.stderr

        def converged() -> bool:
            services = stack_services(swarm, name)
            if len(services) != len(planned):
                return False
            return all(running(s) == s.attrs["Spec"]["Mode"]["Replicated"]["Replicas"] for s in services)

        wait_until(converged, CONVERGE_TIMEOUT, f"every service of {name} to run its replicas")
        for service in stack_services(swarm, name):
            short = service.name.removeprefix(f"{name}_")
            check_service(service.attrs["Spec"], planned[short])
        agent = next(s for s in stack_services(swarm, name) if s.name == f"{name}_agent").attrs["Spec"]
        assert agent["Mode"]["Replicated"]["Replicas"] == 3  # composegen.yaml: agents: 3
        assert agent["UpdateConfig"]["Parallelism"] == 2  # the profile's agents.update_parallelism
        assert agent["UpdateConfig"]["Delay"] == 3_000_000_000  # agents.update_delay 3s
        assert agent["TaskTemplate"]["Resources"]["Reservations"]["NanoCPUs"] == 30_000_000  # 0.05 × 0.5 up
        db = next(s for s in stack_services(swarm, name) if s.name == f"{name}_db").attrs["Spec"]
        assert db["EndpointSpec"]["Mode"] == "dnsrr"
    finally:
        removed = docker(cli, "stack", "rm", name)
        wait_until(
            lambda: (
                not stack_services(swarm, name)
                and not swarm.containers.list(all=True, sparse=True, filters={"label": f"{STACK_LABEL}={name}"})
                and not swarm.networks.list(filters={"label": f"{STACK_LABEL}={name}"})
            ),
            REMOVE_TIMEOUT,
            f"stack {name} to be removed",
        )
        assert removed.returncode == 0, removed.stderr


def check_service(spec: dict[str, Any], planned: dict[str, Any]) -> None:
    """`docker service inspect` Spec against the rendered stack file's service."""
    deploy = planned["deploy"]
    resources = spec["TaskTemplate"]["Resources"]
    limits, reservations = deploy["resources"]["limits"], deploy["resources"]["reservations"]
    assert resources["Limits"]["MemoryBytes"] == parse_bytes(limits["memory"])
    assert resources["Limits"]["NanoCPUs"] == nanos(limits["cpus"])
    assert resources["Limits"]["Pids"] == limits["pids"]
    assert resources["Reservations"]["MemoryBytes"] == parse_bytes(reservations["memory"])
    assert resources["Reservations"]["NanoCPUs"] == nanos(reservations["cpus"])
    for key, applied in (("update_config", spec["UpdateConfig"]), ("rollback_config", spec["RollbackConfig"])):
        wanted = deploy[key]
        assert applied["Parallelism"] == wanted["parallelism"]
        assert applied.get("Delay", 0) == round(parse_duration(wanted["delay"]) * 1e9)
        assert applied["FailureAction"] == wanted["failure_action"]
        assert applied["Monitor"] == round(parse_duration(wanted["monitor"]) * 1e9)
        assert applied["Order"] == wanted["order"]
    restart = spec["TaskTemplate"]["RestartPolicy"]
    assert restart["Condition"] == deploy["restart_policy"]["condition"]
    assert restart["Window"] == round(parse_duration(deploy["restart_policy"]["window"]) * 1e9)
    container = spec["TaskTemplate"]["ContainerSpec"]
    tmpfs = {m["Target"]: m["TmpfsOptions"]["SizeBytes"] for m in container.get("Mounts", []) if m["Type"] == "tmpfs"}
    wanted_tmpfs = {v["target"]: v["tmpfs"]["size"] for v in planned.get("volumes", []) if isinstance(v, dict)}
    assert tmpfs == wanted_tmpfs
    assert container.get("ReadOnly", False) == planned.get("read_only", False)
    assert container["Healthcheck"]["Interval"] == round(parse_duration(planned["healthcheck"]["interval"]) * 1e9)
