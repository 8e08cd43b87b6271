"""The Engine API through the `docker` SDK (imported here, lazily, so the other commands never pay
for it), and the one error family for an engine that is missing or misbehaves."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from composegen.compose import oracle
from composegen.engine.applied import PROJECT_LABEL, is_oneoff
from composegen.engine.compare import EngineInfo
from composegen.errors import ComposegenError

if TYPE_CHECKING:
    from docker import DockerClient

#: Seconds one Engine API call may take before composegen gives up on it.
API_TIMEOUT = 60
HOW_TO_START = "start one (as root: scripts/engine up) and export DOCKER_HOST=$(scripts/engine host)"


class EngineError(ComposegenError):
    """No Docker Engine answers, the docker SDK is missing, or the engine refused a request."""


def connect(timeout: int = API_TIMEOUT) -> DockerClient:
    """A client for the engine DOCKER_HOST names (else the default socket), checked with a ping.

    Every engine command starts here, and each of them runs docker compose v2 too: a missing
    compose binary is said here, as one line, before anything is started (and so before anything
    would need tearing down)."""
    oracle.compose_command()
    try:
        import docker
        import docker.errors
    except ImportError:
        raise EngineError("the docker package is not installed", fix="pip install 'docker>=7'") from None
    where = os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as err:
        reason = str(err).split(": ", 1)[-1][:200]
        raise EngineError(f"no Docker Engine answers at {where}: {reason}", fix=HOW_TO_START) from None
    return client


def engine_info(client: DockerClient) -> EngineInfo:
    data: Mapping[str, Any] = client.version()
    return EngineInfo(version=str(data.get("Version", "unknown")), api_version=str(data.get("ApiVersion", "0")))


def project_containers(client: DockerClient, project: str) -> list[dict[str, Any]]:
    """Full inspect data of every container of compose project `project` (one-off runs left out).

    Only containers carrying the project's label are listed: never another project's."""
    import docker.errors

    found: list[dict[str, Any]] = []
    try:
        listed = client.api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
        for summary in listed:
            try:
                data: dict[str, Any] = client.api.inspect_container(summary["Id"])
            except docker.errors.NotFound:
                continue  # removed between the list and the inspect
            labels = (data.get("Config") or {}).get("Labels") or {}
            if labels.get(PROJECT_LABEL) == project and not is_oneoff(data):
                found.append(data)
    except docker.errors.DockerException as err:
        raise EngineError(f"the engine did not list the containers of project {project}: {err}") from None
    return sorted(found, key=lambda d: str(d.get("Name", "")))


def exec_in(client: DockerClient, container_id: str, argv: tuple[str, ...]) -> tuple[int, str, str]:
    """Run `argv` in a running container (`docker exec`): (exit code, stdout, stderr)."""
    import docker.errors

    try:
        created = client.api.exec_create(container_id, list(argv), stdout=True, stderr=True)
        stdout, stderr = client.api.exec_start(created["Id"], demux=True)
        code = client.api.exec_inspect(created["Id"]).get("ExitCode")
    except docker.errors.DockerException as failure:
        raise EngineError(f"the engine did not run a command in container {container_id[:12]}: {failure}") from None
    out, err = (stdout or b"").decode(errors="replace"), (stderr or b"").decode(errors="replace")
    return (code if isinstance(code, int) else -1), out, err
