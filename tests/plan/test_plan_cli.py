"""`composegen plan` end to end through the CLI, on examples/agent-scale and small stacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.units import GIB, MIB
from tests.conftest import EXAMPLES

AGENT_SCALE = EXAMPLES / "agent-scale" / "composegen.yaml"


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def plan_json(*args: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    result = cg("plan", *args, "--format", "json", cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_500_agents_at_128m_and_a_tenth_of_a_core_reproduce_70_gb_and_56_cores(tmp_path: Path) -> None:
    """Issue 5's hand count: 500 × 128 MB + 6 GB of services ≈ 70 GB, 500 × 0.1 + 6 = 56 cores."""
    code, out = plan_json(
        "--profile", "agent-scale", "--project", str(AGENT_SCALE), "--agents", "500",
        "--per-agent", "128m/0.1", "--host", "64g/16", cwd=tmp_path,
    )  # fmt: skip
    totals = out["totals"]
    assert totals["cpus"] == pytest.approx(56)
    assert totals["cpu_reservations"] == pytest.approx(28)  # Swarm's reservations.cpus: × reservation_ratio 0.5
    # what the processes may use (limits minus the RAM-backed /tmp each replica mounts): ≈ 70 GB
    assert totals["processes"] / GIB == pytest.approx(70, rel=0.02)
    # the limits add a 16 MiB /tmp tmpfs per replica (505 replicas; read_only roots need it)
    assert totals["tmpfs"] == 505 * 16 * MIB
    assert totals["memory_limits"] == totals["processes"] + totals["tmpfs"]
    agent = next(s for s in out["services"] if s["name"] == "agent")
    assert (agent["replicas"], agent["memory_limit"], agent["cpus"]) == (500, 144 * MIB, 0.1)
    # 56 cores on 16-core hosts: 4 hosts, the CPU bound; one host does not hold it
    assert (code, out["fits"], out["hosts_needed"]) == (1, False, 4)
    assert sum(sum(b["replicas"].values()) for b in out["placement"]) == 505
    assert all(b["cpus"] <= 16 and b["memory"] <= 63 * GIB for b in out["placement"])
    # Docker Desktop: the limits, the host's own 5.8 MiB for each of the 505 containers (bench/scale.py;
    # ≈ 2.9 GiB) and the 1 GiB reserve, up to a whole GiB
    assert out["host_memory_per_container"] == pytest.approx(5.8 * MIB, abs=1)
    assert totals["host_memory_for_containers"] == pytest.approx(505 * 5.8 * MIB, abs=1)
    desktop = totals["memory_limits"] + totals["host_memory_for_containers"] + GIB
    assert out["docker_desktop"]["memory"] == -(-desktop // GIB) * GIB
    assert out["docker_desktop"]["cpus"] == 56


def test_the_profile_tier_sizes_500_agents_without_the_override(tmp_path: Path) -> None:
    _, out = plan_json("--profile", "agent-scale", "--project", str(AGENT_SCALE), "--host", "128g/96", cwd=tmp_path)
    agent = next(s for s in out["services"] if s["name"] == "agent")
    assert (agent["memory_limit"], agent["cpus"]) == (208 * MIB, 0.15)  # 192M tier + 16M /tmp
    assert out["totals"]["cpus"] == pytest.approx(500 * 0.15 + 6)


def test_schedule_steps_follow_the_profile_and_end_at_the_full_count(tmp_path: Path) -> None:
    _, out = plan_json(
        "--profile", "agent-scale", "--project", str(AGENT_SCALE), "--per-agent", "128m/0.1", "--host", "64g/16",
        cwd=tmp_path,
    )  # fmt: skip
    schedule = out["schedule"]
    assert schedule["step"] == 50
    assert schedule["step_source"].endswith("agents.update_parallelism")
    steps = schedule["steps"]
    assert [s["agents"] for s in steps] == list(range(50, 501, 50))
    assert [s["hosts"] for s in steps] == sorted(s["hosts"] for s in steps)
    assert steps[-1]["memory_limits"] == out["totals"]["memory_limits"]
    assert steps[0]["cpus"] == pytest.approx(50 * 0.1 + 6)


def test_tiers_change_along_the_schedule(tmp_path: Path) -> None:
    """Without --per-agent each step is sized by its own tier: 50 agents get 512M each."""
    _, out = plan_json("--profile", "agent-scale", "--project", str(AGENT_SCALE), "--step", "250", cwd=tmp_path)
    first, last = out["schedule"]["steps"]
    assert first["agents"] == 250 and last["agents"] == 500
    assert first["memory_limits"] < last["memory_limits"]


def test_several_hosts_fit(tmp_path: Path) -> None:
    code, out = plan_json(
        "--profile", "agent-scale", "--project", str(AGENT_SCALE), "--per-agent", "128m/0.1",
        "--host", "64g/32", "--host", "64g/32/2g", cwd=tmp_path,
    )  # fmt: skip
    assert (code, out["fits"], out["hosts_needed"]) == (0, True, 2)
    assert [h["reserve"] for h in out["hosts"]] == [GIB, 2 * GIB]
    assert not any(b["added"] for b in out["placement"])


def test_text_output_names_totals_fit_placement_schedule_and_desktop(tmp_path: Path) -> None:
    result = cg(
        "plan", "--profile", "agent-scale", "--project", str(AGENT_SCALE), "--per-agent", "128m/0.1",
        "--host", "64g/16", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    text = result.stdout
    assert "cpus 56 cores" in text
    assert "fits: no, one 64G/16 host is not enough: it needs 4 hosts of 64G/16" in text
    assert "host 4 64G/16 (added)" in text
    assert "scale-up schedule: 50 agents a step" in text
    assert "Docker Desktop: memory 82.00 GiB" in text  # 77.60 limits + 2.86 for 505 containers + 1 reserve
    assert "host memory per container: 5.8 MiB × 505 containers = 2.86 GiB" in text


@pytest.mark.parametrize(("host", "bound"), [("256g/64", "cpus"), ("32g/64", "memory")])
def test_how_many_agents_a_host_carries_counts_the_hosts_cost_per_container(
    tmp_path: Path, host: str, bound: str
) -> None:
    _, out = plan_json(
        "--profile", "agent-scale", "--project", str(AGENT_SCALE), "--per-agent", "128m/0.1", "--host", host,
        cwd=tmp_path,
    )  # fmt: skip
    [carried] = out["carried"]
    others = [s for s in out["services"] if s["name"] != "agent"]
    each = 144 * MIB + 5.8 * MIB  # the agent's limit and the host's own memory for its container
    room = out["hosts"][0]["memory_for_containers"] - sum(
        s["memory_limits"] + s["replicas"] * 5.8 * MIB for s in others
    )
    cpus = out["hosts"][0]["cpus"] - sum(s["cpus_total"] for s in others)
    assert carried["replicas"] == min(int(room // each), int(cpus / 0.1 + 1e-9))
    assert (carried["service"], carried["bound"], carried["agents"]) == ("agent", bound, carried["replicas"])


def test_one_replica_larger_than_any_host_is_refused_in_one_line(tmp_path: Path) -> None:
    result = cg("plan", "--profile", "agent-scale", "--project", str(AGENT_SCALE), "--host", "2g/1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert re.search(
        r"one replica of [\w-]+ needs [\d.]+ GiB and [\d.]+ cores?, more than any host has: 2G/1", lines[0]
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--host", "64g"), "is not MEMORY/CPUS"),
        (("--host", "1g/4/2g"), "leaves nothing for containers"),
        (("--per-agent", "128m"), "--per-agent '128m' is not MEMORY/CPUS"),
        (("--host", "lots/16"), "is not a size"),
    ],
)
def test_bad_options_are_one_line_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = cg("plan", "--profile", "agent-scale", "--project", str(AGENT_SCALE), *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_agents_options_need_an_agent_service(tmp_path: Path) -> None:
    result = cg("plan", "--profile", "prod", "--project", str(EXAMPLES / "prod" / "composegen.yaml"),
                "--agents", "10", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "no agent service" in result.stderr


def test_a_stack_without_agents_has_no_schedule_and_fits_its_host(tmp_path: Path) -> None:
    code, out = plan_json("--profile", "prod", "--project", str(EXAMPLES / "prod" / "composegen.yaml"), cwd=tmp_path)
    assert out["schedule"]["steps"] == []
    assert out["hosts"][0]["reserve_source"] == "composegen.yaml:6: host.reserve"  # its line (issue 12)
    assert code == (0 if out["fits"] else 1)
    assert out["fits"] == (out["hosts_needed"] == 1)


def test_measurements_replace_the_estimates_as_they_do_in_render(tmp_path: Path) -> None:
    import yaml

    from composegen.units import parse_bytes
    from tests.conftest import REPO

    stack = str(REPO / "tests" / "engine" / "stacks" / "shapes" / "composegen.yaml")
    measured = str(REPO / "tests" / "engine" / "data" / "shapes-measurements.json")
    _, out = plan_json("--profile", "pytest", "--project", stack, "--host", "8g/4", "--measurements", measured,
                       cwd=tmp_path)  # fmt: skip
    _, estimated = plan_json("--profile", "pytest", "--project", stack, "--host", "8g/4", cwd=tmp_path)
    rendered = cg("render", "--profile", "pytest", "--project", stack, "--measurements", measured, "-o", "-",
                  cwd=tmp_path)  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    overlay = yaml.safe_load(rendered.stdout)["services"]
    limits = {s["name"]: s["memory_limit"] for s in out["services"]}
    assert limits == {n: parse_bytes(overlay[n]["deploy"]["resources"]["limits"]["memory"]) for n in limits}
    assert limits != {s["name"]: s["memory_limit"] for s in estimated["services"]}


def test_no_host_anywhere_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  app:\n    image: nginx:1.27.1\n")
    result = cg("plan", "--profile", "dev", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "composegen: no host to plan for (give one with --host 64g/16, or set host: in composegen.yaml)"
    )
    fits = cg("plan", "--profile", "dev", "--host", "4g/2", cwd=tmp_path)
    assert fits.returncode == 0, fits.stderr
    assert "fits: yes, on one host (1 used)" in fits.stdout
    assert "reserve 1.00 GiB, composegen's default: composegen.yaml has no host)" in fits.stdout


STRESS_BLOCK: dict[str, Any] = {
    "service": "agent",
    "host": {"memory": 6 * GIB, "cpus": 4, "source": "--host-memory 6g"},
    "ceiling": {
        "replicas": 40,
        "reached": True,
        "stopped_at": 45,
        "stopped_by": {"kind": "host memory", "message": "host: the stack's memory 5.5 GiB is above 90%"},
    },
    "marginal": {
        "memory": {"per_replica": 26.5 * MIB, "ci": [26 * MIB, 27 * MIB]},
        "cpu": {"per_replica": 0.02, "ci": [0.015, 0.025]},
    },
}


@pytest.mark.parametrize(
    ("stress", "expected"),
    [
        (
            STRESS_BLOCK,
            [
                "measured by stress on --host-memory 6g: the host carried at most 40 replicas of agent",
                "(then: host: the stack's memory 5.5 GiB is above 90%)",
                "one more replica cost 26 MiB of memory (95% CI 26 MiB to 27 MiB) and 0.020 cores",
                "the plan gives one 208 MiB and 0.15 cores",
            ],
        ),
        (
            {**STRESS_BLOCK, "ceiling": {"replicas": 60, "reached": False}, "marginal": {}},
            ["no line was crossed up to 60 replicas of agent; the plan gives one"],
        ),
    ],
)
def test_plan_reports_what_stress_measured_beside_its_own_numbers(
    tmp_path: Path, stress: dict[str, Any], expected: list[str]
) -> None:
    measured = {"schema": "composegen-measurements", "schema_version": 1, "profile": "agent-scale"}
    (tmp_path / "ceiling.json").write_text(json.dumps({**measured, "services": {}, "stress": stress}))
    args = ("--profile", "agent-scale", "--project", str(AGENT_SCALE), "--measurements", "ceiling.json")
    result = cg("plan", *args, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    for text in expected:
        assert text in result.stdout
    _, out = plan_json(*args, cwd=tmp_path)
    assert out["stress"]["service"] == "agent"
    assert out["stress"]["ceiling"] == stress["ceiling"]["replicas"]


@pytest.mark.parametrize(
    ("host", "source"),
    [
        ("host:\n  memory: 8g\n  cpus: 4\n", "composegen's default: composegen.yaml sets no host.reserve"),
        ("host:\n  memory: 8g\n  cpus: 4\n  reserve: 2g\n", "composegen.yaml:5: host.reserve"),
    ],
)
def test_plan_and_scale_say_where_the_reserve_came_from(tmp_path: Path, host: str, source: str) -> None:
    """Issue 12: `reserve 1.00 GiB, composegen.yaml: host.reserve` where the file set no reserve."""
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    (tmp_path / "composegen.yaml").write_text(f"compose_files: [docker-compose.yml]\n{host}")
    planned = cg("plan", "--profile", "dev", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert f"GiB, {source})" in planned.stdout
    _, out = plan_json("--profile", "dev", cwd=tmp_path)
    assert out["hosts"][0]["reserve_source"] == source
    scaled = cg("scale", "web=2", "--profile", "dev", "--dry-run", cwd=tmp_path)
    assert scaled.returncode == 0, scaled.stderr
    assert "(composegen.yaml:3: host.memory − reserve" in scaled.stdout and f"({source})" in scaled.stdout
    assert "composegen.yaml:4: host.cpus" in scaled.stdout
