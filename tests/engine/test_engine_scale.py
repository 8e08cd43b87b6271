"""`composegen scale` on a real engine, through the CLI, on tests/engine/stacks/stress (agents of
20 MiB each and a hub holding 6 MiB per agent; about 26 MiB of the stack per agent).

The stack is started the way a user starts it (`docker compose -f docker-compose.yml -f
docker-compose.stress-test.yml up`, the overlay rendered beside it), under a project of the test's
own, and scale moves its agents."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.compose import oracle
from composegen.engine.applied import PROJECT_LABEL, SERVICE_LABEL
from tests.engine.stress_stack import PNG, RUN_TIMEOUT, cg, copy_stack, own_project

pytestmark = pytest.mark.engine

FILES = ("-f", "docker-compose.yml", "-f", "docker-compose.stress-test.yml")


def compose(cwd: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*oracle.compose_command(), "--project-name", name, *FILES, *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)


def containers(client: Any, name: str) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={name}"}, ignore_removed=True)


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    target = copy_stack(tmp_path)
    # the overlay beside the compose file, for the engine at hand (20.10: no start_interval)
    done = cg("render", "--profile", "stress-test", "--docker-version", "20.10", cwd=target)
    assert done.returncode == 0, done.stderr
    return target


@pytest.fixture
def running(stack: Path, engine: Any, smoke_image: str) -> Iterator[str]:
    """The stack up with two agents, under a project of its own; taken down after."""
    with own_project(engine, "scale") as name:
        try:
            up = compose(stack, name, "up", "--detach", "--wait", "--scale", "agent=2")
            assert up.returncode == 0, up.stderr
            yield name
        finally:
            compose(stack, name, "down", "--volumes", "--timeout", "1")


def agents(client: Any, name: str) -> list[Any]:
    return [c for c in containers(client, name) if c.labels.get(SERVICE_LABEL) == "agent"]


def healthy(client: Any, name: str) -> bool:
    every = containers(client, name)
    for c in every:
        c.reload()
    return bool(every) and all(c.attrs["State"].get("Health", {}).get("Status") == "healthy" for c in every)


def test_scale_reaches_its_target_in_steps_then_stops_at_the_budget(stack: Path, running: str, engine: Any) -> None:
    # 2 -> 6 in steps of 2, under a roomy budget: every step healthy, the target reached
    result = cg(
        "scale", "agent=6", "--profile", "stress-test", "--step", "2", "--settle", "2s", "--interval", "1s",
        "--host-memory", "4g", "--project-name", running, "--format", "json", cwd=stack,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    said = result.stdout + result.stderr
    assert report["reached"] and report["final"] == 6 and report["counts"] == [4, 6], said
    assert [s["replicas"] for s in report["steps"]] == [2, 4, 6], said
    assert all(s["ok"] and s["healthy_after_seconds"] is not None for s in report["steps"]), said
    assert len(agents(engine, running)) == 6 and healthy(engine, running), said
    for count in (4, 6):  # every step is logged with what was measured
        assert f"agent={count}, healthy after" in result.stderr and "stack memory" in result.stderr
    assert (stack / "scale-agent.png").read_bytes().startswith(PNG)

    # 6 -> 10 under a 205M budget (its line 184.5 MiB): 6 agents hold about 161 MiB, 8 about 215 MiB,
    # so the step to 8 crosses the host line, and the agents go back to 6 (about 173 MiB: the hub
    # keeps what it holds for the two that left)
    result = cg(
        "scale", "agent=10", "--profile", "stress-test", "--step", "2", "--settle", "2s", "--interval", "1s",
        "--host-memory", "205M", "--project-name", running, cwd=stack,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "scale: stopped at 8 (host: the stack's memory" in result.stdout, said
    assert "back to 6 replicas" in result.stdout, said
    assert len(agents(engine, running)) == 6 and healthy(engine, running), said

    # immediate: one step, here down to 3 (which the plan says fits)
    result = cg(
        "scale", "agent=3", "--profile", "stress-test", "--strategy", "immediate", "--settle", "1s",
        "--interval", "1s", "--host-memory", "4g", "--project-name", running, "--format", "json", cwd=stack,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    said = result.stdout + result.stderr
    assert report["counts"] == [3] and report["reached"], said
    assert [s["replicas"] for s in report["steps"]] == [6, 3], said
    assert len(agents(engine, running)) == 3 and healthy(engine, running), said


def test_dry_run_prints_the_plan_and_starts_nothing(stack: Path, engine: Any) -> None:
    with own_project(engine, "scale") as name:
        dry_run_starts_nothing(stack, engine, name)


def dry_run_starts_nothing(stack: Path, engine: Any, name: str) -> None:
    result = cg(
        "scale", "agent=12", "--profile", "stress-test", "--dry-run", "--step", "4", "--host-memory", "600M",
        "--project-name", name, cwd=stack,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert containers(engine, name) == []
    lines = result.stdout.splitlines()
    assert lines[0] == "scale agent 0 -> 12 (gradual), dry run: nothing started"
    # the plan: hub 64M + 64M per agent, against 600M
    four = " ".join(lines[1].split())
    assert four == "4 replicas: limits 320 MiB of 600 MiB, reservations 160 MiB, cpus 2.50 of 2: fits"
    assert "12 replicas: limits 832 MiB of 600 MiB" in lines[3] and lines[3].endswith("DOES NOT FIT")
    assert "fit up to 8 replicas of agent" in result.stdout
    # immediate to a size the plan says does not fit asks for --force, and starts nothing either
    refused = cg(
        "scale", "agent=12", "--profile", "stress-test", "--strategy", "immediate", "--host-memory", "600M",
        "--project-name", name, cwd=stack,
    )  # fmt: skip
    assert refused.returncode == 2 and "pass --force" in refused.stderr
    assert containers(engine, name) == []
