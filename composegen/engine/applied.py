"""What a container really got: the settings composegen plans, read from `docker inspect` data.

Pure: it takes the inspect dict (the Engine API's `GET /containers/{id}/json`, which the docker
SDK keeps as `Container.attrs`) and returns frozen values in composegen's units: bytes, cores,
seconds. Zero and missing mean "not set" the way the Engine means it (a memory limit of 0 is no
limit; a pids limit of 0 or -1 is none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from composegen.errors import UnitError
from composegen.units import parse_bytes

NANO = 1e9
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"
ONEOFF_LABEL = "com.docker.compose.oneoff"


@dataclass(frozen=True)
class AppliedTmpfs:
    target: str
    size: int | None  # bytes; None: no size given (the kernel's default, half of the host's RAM)
    mode: int | None
    form: str  # "mount" (long `type: tmpfs` volume) or "tmpfs" (the short `tmpfs:` key)


@dataclass(frozen=True)
class AppliedHealthcheck:
    test: tuple[str, ...]
    interval: float | None  # seconds; None: the Engine default
    timeout: float | None
    retries: int | None
    start_period: float | None
    start_interval: float | None


@dataclass(frozen=True)
class Applied:
    """One container's applied settings and state."""

    name: str
    project: str
    service: str
    number: int
    memory_limit: int | None
    memory_reservation: int | None
    nano_cpus: int | None
    pids_limit: int | None
    shm_size: int | None
    tmpfs: tuple[AppliedTmpfs, ...]
    read_only: bool
    security_opt: tuple[str, ...]
    user: str
    cap_drop: tuple[str, ...]
    healthcheck: AppliedHealthcheck | None
    status: str  # created, running, exited, ...
    health: str | None  # starting, healthy, unhealthy; None without a healthcheck
    oom_killed: bool
    restart_count: int
    exit_code: int

    @property
    def cpus(self) -> float | None:
        return self.nano_cpus / NANO if self.nano_cpus else None

    def tmpfs_at(self, target: str) -> AppliedTmpfs | None:
        return next((t for t in self.tmpfs if t.target.rstrip("/") == target.rstrip("/")), None)

    @property
    def no_new_privileges(self) -> bool:
        return any(_is_no_new_privileges(opt) for opt in self.security_opt)


def _is_no_new_privileges(opt: str) -> bool:
    key, _, value = opt.replace("=", ":").partition(":")
    return key.strip() == "no-new-privileges" and value.strip().lower() in ("", "true", "1")


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _seconds(value: object) -> float | None:
    number = _positive(value)
    return number / NANO if number is not None else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _short_tmpfs(target: str, options: str) -> AppliedTmpfs:
    """`HostConfig.Tmpfs` entries: `{"/data": "size=16m,mode=1777"}`."""
    size: int | None = None
    mode: int | None = None
    for option in options.split(","):
        key, _, value = option.strip().partition("=")
        if key == "size" and value and not value.endswith("%"):
            try:
                size = parse_bytes(value)
            except UnitError:
                size = None
        elif key == "mode" and value:
            try:
                mode = int(value, 8)
            except ValueError:
                mode = None
    return AppliedTmpfs(target, size, mode, "tmpfs")


def tmpfs_mounts(host_config: Mapping[str, Any]) -> tuple[AppliedTmpfs, ...]:
    found: list[AppliedTmpfs] = []
    for mount in host_config.get("Mounts") or ():
        if isinstance(mount, Mapping) and mount.get("Type") == "tmpfs":
            options = _mapping(mount.get("TmpfsOptions"))
            found.append(
                AppliedTmpfs(
                    str(mount.get("Target", "")),
                    _positive(options.get("SizeBytes")),
                    _positive(options.get("Mode")),
                    "mount",
                )
            )
    for target, options in _mapping(host_config.get("Tmpfs")).items():
        found.append(_short_tmpfs(str(target), str(options or "")))
    return tuple(sorted(found, key=lambda t: t.target))


def _healthcheck(config: Mapping[str, Any]) -> AppliedHealthcheck | None:
    health = _mapping(config.get("Healthcheck"))
    test = tuple(str(t) for t in health.get("Test") or ())
    if not test or test == ("NONE",):
        return None
    return AppliedHealthcheck(
        test=test,
        interval=_seconds(health.get("Interval")),
        timeout=_seconds(health.get("Timeout")),
        retries=_positive(health.get("Retries")),
        start_period=_seconds(health.get("StartPeriod")),
        start_interval=_seconds(health.get("StartInterval")),
    )


def from_inspect(data: Mapping[str, Any]) -> Applied:
    """The applied settings of one container, from its inspect data."""
    host = _mapping(data.get("HostConfig"))
    config = _mapping(data.get("Config"))
    state = _mapping(data.get("State"))
    labels = _mapping(config.get("Labels"))
    number = str(labels.get(NUMBER_LABEL, "1"))
    pids = host.get("PidsLimit")
    return Applied(
        name=str(data.get("Name", "")).lstrip("/"),
        project=str(labels.get(PROJECT_LABEL, "")),
        service=str(labels.get(SERVICE_LABEL, "")),
        number=int(number) if number.isdigit() else 1,
        memory_limit=_positive(host.get("Memory")),
        memory_reservation=_positive(host.get("MemoryReservation")),
        nano_cpus=_positive(host.get("NanoCpus")),
        pids_limit=_positive(pids),
        shm_size=_positive(host.get("ShmSize")),
        tmpfs=tmpfs_mounts(host),
        read_only=bool(host.get("ReadonlyRootfs")),
        security_opt=tuple(str(s) for s in host.get("SecurityOpt") or ()),
        user=str(config.get("User") or ""),
        cap_drop=tuple(str(c) for c in host.get("CapDrop") or ()),
        healthcheck=_healthcheck(config),
        status=str(state.get("Status", "unknown")),
        health=str(_mapping(state.get("Health")).get("Status")) if state.get("Health") else None,
        oom_killed=bool(state.get("OOMKilled")),
        restart_count=int(data.get("RestartCount") or 0),
        exit_code=int(state.get("ExitCode") or 0),
    )


def is_oneoff(data: Mapping[str, Any]) -> bool:
    """A `docker compose run` container: not part of the service's replicas."""
    labels = _mapping(_mapping(data.get("Config")).get("Labels"))
    return str(labels.get(ONEOFF_LABEL, "False")).lower() == "true"
