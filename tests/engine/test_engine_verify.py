"""`composegen verify` on a real engine, end to end through the CLI, on examples/smoke."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.applied import PROJECT_LABEL
from tests.conftest import EXAMPLES
from tests.engine.interrupt import sigint_as_at_a_terminal
from tests.engine.leftovers import nothing_left

pytestmark = pytest.mark.engine

#: Seconds one verify run may take here (a healthy smoke stack: 15 s under pytest, 40 s under prod).
RUN_TIMEOUT = 300


def cg(*args: str, cwd: Path, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def project_containers(client: Any, name: str) -> list[Any]:
    return list(client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={name}"}))


@pytest.fixture
def smoke(tmp_path: Path, smoke_image: str) -> Path:
    target = tmp_path / "smoke"
    shutil.copytree(EXAMPLES / "smoke", target)
    return target


@pytest.fixture(autouse=True)
def nothing_left_behind(engine: Any) -> Iterator[None]:
    """Every verify project a test started is gone after it; anything left is removed, and fails."""
    yield from nothing_left(engine, "composegen-verify-", "verify")


@pytest.fixture
def bystander(engine: Any, smoke_image: str) -> Iterator[Any]:
    """A container of another compose project, running the whole test: verify must not touch it."""
    name = f"bystander-{secrets.token_hex(3)}"
    container = engine.containers.run(
        smoke_image,
        ["sleep", "600"],
        detach=True,
        name=name,
        labels={PROJECT_LABEL: name, "com.docker.compose.service": "app"},
        network_mode="none",
    )
    try:
        yield container
    finally:
        container.remove(force=True)


@pytest.mark.parametrize("profile", ["pytest", "prod"])
def test_verify_passes_on_the_smoke_example_and_tears_down(
    engine: Any, smoke: Path, bystander: Any, profile: str
) -> None:
    started = time.monotonic()
    result = cg("verify", "--profile", profile, "--format", "json", cwd=smoke)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and not report["problems"]
    states = {c["service"]: c["applied"] for c in report["checks"] if c["field"] == "state"}
    assert states == {"app": "running healthy", "db": "running healthy", "worker": "running healthy"}
    fields = {c["field"] for c in report["checks"]}
    assert {"memory limit", "cpus", "pids limit", "healthcheck start_period"} <= fields
    if profile == "prod":
        assert {"read_only", "user", "no-new-privileges", "cap_drop", "memory reservation", "tmpfs /tmp"} <= fields
    else:
        assert "tmpfs /data" in fields
    assert report["project"].startswith("composegen-verify-smoke-")
    assert project_containers(engine, report["project"]) == []
    bystander.reload()
    assert bystander.status == "running"
    print(f"verify --profile {profile}: {time.monotonic() - started:.1f} s")  # shown with -s, for timing


def test_a_limit_changed_after_rendering_fails_naming_service_and_field(engine: Any, smoke: Path) -> None:
    override = smoke / "docker-compose.wrong.yml"
    override.write_text("services:\n  app:\n    deploy:\n      resources:\n        limits:\n          memory: 48M\n")
    result = cg("verify", "--profile", "pytest", "--file", str(override), cwd=smoke)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verify: app: memory limit planned 32M, applied 48M" in result.stdout
    mismatch = [line for line in result.stdout.splitlines() if "MISMATCH" in line]
    assert len(mismatch) == 1 and mismatch[0].split()[:3] == ["app", "memory", "limit"]
    assert "tearing down" in result.stderr


def test_an_unhealthy_service_fails_and_is_still_torn_down(engine: Any, smoke: Path) -> None:
    override = smoke / "docker-compose.sick.yml"
    override.write_text('services:\n  db:\n    healthcheck:\n      test: ["CMD", "false"]\n')
    result = cg(
        "verify", "--profile", "pytest", "--file", str(override), "--timeout", "8", "--format", "json", cwd=smoke
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert any("docker compose up failed" in p for p in report["problems"])
    db_state = next(c for c in report["checks"] if c["service"] == "db" and c["field"] == "state")
    assert db_state["status"] == "mismatch" and "healthy" not in db_state["applied"].split()
    assert project_containers(engine, report["project"]) == []


def test_ctrl_c_tears_the_stack_down(engine: Any, smoke: Path) -> None:
    name = f"composegen-verify-ctrlc-{secrets.token_hex(3)}"
    process = subprocess.Popen(
        [sys.executable, "-m", "composegen", "verify", "--profile", "pytest", "--project-name", name],
        cwd=smoke,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=sigint_as_at_a_terminal,
    )
    try:
        deadline = time.monotonic() + 60
        while not project_containers(engine, name):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "verify started no container within 60 s"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "tearing down" in stderr
    assert project_containers(engine, name) == []
    time.sleep(3)  # nothing the engine was still creating when compose was stopped turns up later
    assert project_containers(engine, name) == [], stderr


def test_sigterm_tears_the_stack_down_too(engine: Any, smoke: Path) -> None:
    name = f"composegen-verify-term-{secrets.token_hex(3)}"
    process = subprocess.Popen(
        [sys.executable, "-m", "composegen", "verify", "--profile", "pytest", "--project-name", name],
        cwd=smoke,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not project_containers(engine, name):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "verify started no container within 60 s"
            time.sleep(0.2)
        process.terminate()
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 130, stderr
    assert project_containers(engine, name) == []


def test_refuses_a_project_name_that_already_has_containers(engine: Any, smoke: Path, bystander: Any) -> None:
    result = cg("verify", "--profile", "pytest", "--project-name", bystander.name, cwd=smoke)
    assert result.returncode == 2
    assert "already has containers" in result.stderr
    bystander.reload()
    assert bystander.status == "running"


def test_no_engine_is_one_line_exit_2(smoke: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "composegen", "verify", "--profile", "pytest"],
        cwd=smoke,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DOCKER_HOST": f"unix://{smoke}/nothing.sock"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("composegen: no Docker Engine answers at unix://")
    assert "scripts/engine up" in result.stderr and len(result.stderr.strip().splitlines()) == 1
