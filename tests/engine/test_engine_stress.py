"""`composegen stress` on a real engine, through the CLI, on tests/engine/stacks/stress: agents that
each hold 20 MiB in a tmpfs, and a hub that holds 6 MiB for every agent that connected to it.

The arithmetic the ramp must reproduce (limits from the stress-test profile, lines at 90 %):
- the hub's line is 90 % of its 64M limit = 57.6 MiB; it holds 6 MiB per agent over its idle
  baseline, so it crosses at the first count n with idle + 6n > 57.6 MiB;
- with a host budget of 200M the host line is 180 MiB; the stack holds about 26 MiB per agent
  (20 in the agent, 6 in the hub, plus each shell) over the baseline.
The baseline (no agents) is measured by the run itself, and the prediction is made from it.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.units import MIB
from tests.engine.interrupt import sigint_as_at_a_terminal
from tests.engine.stress_stack import AGENT_MIB, HUB_MIB_PER_AGENT, PNG, RUN_TIMEOUT, cg, copy_stack, own_project

pytestmark = pytest.mark.engine

STEP = 2


@pytest.fixture
def name(engine: Any) -> Iterator[str]:
    """The compose project the test's stress run uses; nothing of it may be left at the end."""
    with own_project(engine, "stress") as project:
        yield project


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    return copy_stack(tmp_path)


def stress(stack: Path, name: str, *more: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = cg(
        "stress", "--profile", "stress-test", "--service", "agent", "--step", str(STEP), "--settle", "2s",
        "--interval", "1s", "--max", "12", "-o", "ceiling.json", "--project-name", name, *more, cwd=stack,
    )  # fmt: skip
    assert (stack / "ceiling.json").is_file(), result.stdout + result.stderr
    return result, json.loads((stack / "ceiling.json").read_text())


def baseline(block: dict[str, Any], service: str) -> float:
    """The service's working set with no agents (the run's first step)."""
    first = block["steps"][0]
    assert first["replicas"] == 0
    return sum(c["working_set"] for c in first["containers"] if c["service"] == service)


def test_stress_stops_where_the_hub_crosses_its_memory_line(stack: Path, name: str, smoke_image: str) -> None:
    started = time.monotonic()
    result, doc = stress(stack, name, "--host-memory", "4g", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    block = doc["stress"]
    hub_line = 0.9 * 64 * MIB
    assert block["lines"]["memory"] == 0.9
    # the arithmetic: the most agents whose 6 MiB each keep the hub under its line
    predicted = math.floor((hub_line - baseline(block, "hub")) / (HUB_MIB_PER_AGENT * MIB))
    top = block["ceiling"]
    assert top["reached"]
    assert abs(top["replicas"] - predicted) <= STEP, (top, predicted)
    assert top["replicas"] <= predicted < top["stopped_at"]
    stop = top["stopped_by"]
    assert (stop["kind"], stop["service"]) == ("memory", "hub"), stop
    assert stop["container"].endswith("-hub-1") and stop["line"] == pytest.approx(hub_line)
    assert "hub-1: memory" in stop["message"] and "above 90% of its 64 MiB limit" in stop["message"]
    # every step but the last stayed under every line; the ramp went up a batch at a time
    counts = [s["replicas"] for s in block["steps"]]
    assert counts == list(range(0, top["stopped_at"] + 1, STEP))
    assert all(s["ok"] for s in block["steps"][:-1]) and not block["steps"][-1]["ok"]
    # what the CLI printed as JSON is the same finding
    printed = json.loads(result.stdout)
    assert printed["ceiling"] == top and printed["plot"].endswith("ceiling.png")
    assert (stack / "ceiling.png").read_bytes().startswith(PNG)
    # it is a measurements file render reads: the agent is sized from what it held
    assert doc["schema"] == "composegen-measurements" and not doc["partial"]
    assert doc["services"]["agent"]["samples"] >= 10
    rendered = cg("explain", "--profile", "stress-test", "--measurements", "ceiling.json", "agent", cwd=stack)
    assert rendered.returncode == 0, rendered.stderr
    assert "ceiling.json: agent" in rendered.stdout
    assert time.monotonic() - started < RUN_TIMEOUT


def test_stress_stops_at_the_host_budget_and_recovers_the_footprint(stack: Path, name: str, smoke_image: str) -> None:
    result, doc = stress(stack, name, "--host-memory", "200M")
    assert result.returncode == 0, result.stdout + result.stderr
    block = doc["stress"]
    host_line = 0.9 * 200 * MIB
    assert block["host"]["memory"] == 200 * MIB and "--host-memory" in block["host"]["source"]
    marginal = block["marginal"]["memory"]
    per_agent = marginal["per_replica"]
    # the per-replica footprint, from a line fitted over the steps: 20 MiB in the agent and 6 in
    # the hub, within 15 %; the agent's own containers alone: 20 MiB within 15 %
    known = (AGENT_MIB + HUB_MIB_PER_AGENT) * MIB
    assert abs(per_agent - known) <= 0.15 * known, per_agent / MIB
    own = block["marginal"]["service_memory"]["per_replica"]
    assert abs(own - AGENT_MIB * MIB) <= 0.15 * AGENT_MIB * MIB, own / MIB
    low, high = marginal["ci"]
    assert low <= per_agent <= high and marginal["steps"] >= 4 and marginal["residual_sd"] >= 0
    # the arithmetic: the most agents whose footprint keeps the stack under the host line
    predicted = math.floor((host_line - block["steps"][0]["memory_total"]) / known)
    top = block["ceiling"]
    assert abs(top["replicas"] - predicted) <= STEP, (top, predicted)
    stop = top["stopped_by"]
    assert stop["kind"] == "host memory" and stop["container"] is None, stop
    assert stop["value"] > host_line >= block["steps"][-2]["memory_total"]
    assert "ceiling: " in result.stdout and "host: the stack's memory" in result.stdout
    assert "per added replica, stack memory:" in result.stdout


def test_stress_stops_at_an_oom_kill(stack: Path, name: str, smoke_image: str) -> None:
    # with the memory line at the limit itself, nothing but the kernel stops the hub: at 12 agents
    # it would hold 72 MiB in its 64M limit, and the kernel kills in it
    result, doc = stress(stack, name, "--host-memory", "4g", "--memory-line", "1.0", "--step", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    top = doc["stress"]["ceiling"]
    stop = top["stopped_by"]
    assert (stop["kind"], stop["service"]) == ("oom", "hub"), stop
    assert "OOM-killed by the kernel" in stop["message"]
    predicted = math.floor((64 * MIB - baseline(doc["stress"], "hub")) / (HUB_MIB_PER_AGENT * MIB))
    assert (top["replicas"], top["stopped_at"]) == (8, 12) and abs(top["replicas"] - predicted) <= 4
    assert doc["services"]["hub"]["oom"]["killed"]
    # the killed step is left out of the fitted cost per replica
    assert doc["stress"]["marginal"]["memory"]["to_replicas"] == 8


def test_an_interrupted_stress_keeps_what_it_measured(stack: Path, name: str, smoke_image: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "composegen", "stress", "--profile", "stress-test", "--service", "agent",
         "--step", "1", "--settle", "2s", "--interval", "1s", "--max", "20", "--host-memory", "4g",
         "-o", "ceiling.json", "--project-name", name],
        cwd=stack, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=sigint_as_at_a_terminal,
    )  # fmt: skip
    assert process.stderr is not None
    seen = []
    for line in process.stderr:  # wait until two steps were measured
        seen.append(line)
        if "step 2/20: agent=2" in line:
            break
    assert process.poll() is None, "".join(seen)  # it ended by itself: something stopped the ramp
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=RUN_TIMEOUT)
    assert process.returncode == 130, "".join(seen) + rest
    doc = json.loads((stack / "ceiling.json").read_text())
    assert doc["partial"] and doc["partial_reason"] == "interrupted"
    counts = [s["replicas"] for s in doc["stress"]["steps"]]
    assert counts[:3] == [0, 1, 2]
    assert doc["stress"]["ceiling"]["reached"] is False
    assert "tearing down" in rest
