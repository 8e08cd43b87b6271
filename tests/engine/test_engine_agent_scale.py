"""Sampling at agent scale on a real engine (issue 17), at the size CI affords: 50 idle busybox
agents and one container spinning under a 0.2-core quota (tests/engine/stacks/agents).

`composegen watch` holds its interval over them, every container read from the cgroup fs each
round; the sampler follows a scale-up by the engine's events, not by listing; CPU is measured
(two readings) for every container and for the stack."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.lines import Usage, stack_cpu
from composegen.engine.project import ComposeProject, running
from composegen.engine.sampler import Sampler
from tests.engine.stress_stack import own_project

pytestmark = pytest.mark.engine

STACK = Path(__file__).resolve().parent / "stacks" / "agents"
AGENTS = 50


@pytest.fixture(scope="module")
def agents(engine: Any, smoke_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The stack with AGENTS agents, under a project of the module's own; taken down after, and
    nothing of it left."""
    folder = tmp_path_factory.mktemp("agents") / "agents"
    shutil.copytree(STACK, folder)
    with own_project(engine, "agents") as name, running(ComposeProject(name, (folder / "docker-compose.yml",)), engine):
        up = ComposeProject(name, (folder / "docker-compose.yml",)).scale("agent", AGENTS, 180)
        assert up.ok, up.output
        yield name, folder


def test_watch_holds_its_interval_over_fifty_agents(agents: tuple[str, Path]) -> None:
    name, folder = agents
    result = subprocess.run(
        [sys.executable, "-m", "composegen", "watch", "--profile", "pytest", "--project-name", name,
         "--interval", "1s", "--duration", "8s", "--format", "json"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ticks"] >= 8, report  # one a second over 8 s, and the last at the end
    assert report["interval_achieved"] <= 1.1, report
    assert report["read_from"] == f"{AGENTS + 1} from the cgroup fs", report


def test_the_sampler_follows_events_and_measures_cpu(engine: Any, agents: tuple[str, Path]) -> None:
    name, folder = agents
    with Sampler(engine, name) as sampler:
        first = sampler.tick()
        assert len([c for c in first.containers if c.running]) == AGENTS + 1
        assert all(s.cpu is None for s in first.samples)  # one reading: no CPU yet, and not 0
        project = ComposeProject(name, (folder / "docker-compose.yml",))
        assert project.scale("agent", AGENTS + 2, 60).ok
        time.sleep(1.0)
        second = sampler.tick()  # well inside RESYNC: the two new agents come from the events
        assert len([c for c in second.containers if c.running]) == AGENTS + 3
        assert second.cost < 1.0 and second.from_cgroup_fs == AGENTS + 3
        time.sleep(1.0)
        third = sampler.tick()
    cpus = {s.container: s.cpu for s in third.samples}
    assert len(cpus) == AGENTS + 3 and all(c is not None for c in cpus.values()), cpus
    busy = next(c for n, c in cpus.items() if "-busy-" in n)
    assert busy is not None and 0.1 < busy < 0.3, busy  # its 0.2-core quota
    usages = [Usage(s.container, s.service, s.working_set, s.cpu, None, None, 1) for s in third.samples]
    total = stack_cpu(usages)
    assert total is not None and total >= busy
