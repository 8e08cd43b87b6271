"""The frozen data that flows through sizing: what a service is (inputs) and what it gets (plan)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from composegen.profiles.models import HostSpec, ServiceSpec
from composegen.sizing.quantity import Quantity


@dataclass(frozen=True)
class BaseService:
    """What the base compose file(s) say about a service, as far as sizing needs it."""

    name: str
    image: str | None = None
    command: str | tuple[str, ...] | None = None
    entrypoint: str | tuple[str, ...] | None = None
    has_build: bool = False
    has_healthcheck: bool = False
    user: str | None = None
    volume_targets: tuple[str, ...] = ()
    tmpfs_targets: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    legacy_keys: frozenset[str] = frozenset()  # mem_limit, cpus, mem_reservation, pids_limit set in the base
    container_name: bool = False


@dataclass(frozen=True)
class ModelFootprint:
    """One model a service loads, with its parameter count resolved."""

    name: str
    params: float
    dtype: str
    bytes_per_param: float
    kv_bytes_per_token: int | None
    source: str  # where params (and KV size) came from


@dataclass(frozen=True)
class ServiceInputs:
    """Everything a calculator may read about one service."""

    name: str
    role: str
    role_reason: str  # "declared in composegen.yaml", "detected from image 'postgres:16'", "default: ..."
    spec: ServiceSpec
    base: BaseService
    models: tuple[ModelFootprint, ...] = ()
    host: HostSpec | None = None
    stack_agents: int = 0  # load-test agents in the whole stack (they connect to this service)


@dataclass(frozen=True)
class EnvSetting:
    key: str
    value: str
    why: Quantity | None = None  # the derivation, when the value is a derived number
    note: str = ""  # where a fixed value came from


@dataclass(frozen=True)
class TmpfsMount:
    path: str
    size: Quantity
    mode: str | None = None
    purpose: str = ""


@dataclass(frozen=True)
class Sizing:
    """What a role calculator returns: the numbers only it can derive."""

    memory: Quantity  # the memory limit before the profile's floor and rounding (tmpfs included)
    startup: Quantity  # expected time from start to healthy
    cpus: Quantity | None = None
    tmpfs: tuple[TmpfsMount, ...] = ()
    shm_size: Quantity | None = None
    environment: tuple[EnvSetting, ...] = ()
    command: tuple[str, ...] | None = None  # only where the base sets none and the image is known
    healthcheck_test: tuple[str, ...] | None = None  # a probe for the role, used when the base has none
    replicas: Quantity | None = None
    volumes: tuple[tuple[str, str], ...] = ()  # (named volume, target)
    hardening: bool = True  # False: the image needs root or a writable root (databases)
    extra: Mapping[str, Quantity] = field(default_factory=dict)  # more derived numbers for explain
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Healthcheck:
    test: tuple[str, ...] | None  # None: keep the base file's test
    interval: Quantity
    timeout: Quantity
    retries: int
    start_period: Quantity
    start_interval: Quantity | None


@dataclass(frozen=True)
class Hardening:
    read_only: bool = False
    no_new_privileges: bool = False
    user: str | None = None
    cap_drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Logging:
    driver: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ServicePlan:
    """Everything composegen writes for one service, each number with its derivation."""

    name: str
    role: str
    role_reason: str
    memory_limit: Quantity
    memory_reservation: Quantity | None
    cpus: Quantity | None
    pids: Quantity | None
    startup: Quantity
    sizing: Sizing
    tmpfs: tuple[TmpfsMount, ...] = ()
    environment: tuple[EnvSetting, ...] = ()
    healthcheck: Healthcheck | None = None
    hardening: Hardening = Hardening()
    logging: Logging | None = None
    restart: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def replicas(self) -> int:
        return int(self.sizing.replicas.value) if self.sizing.replicas is not None else 1


@dataclass(frozen=True)
class HostFit:
    memory_limits: Quantity
    memory_reservations: Quantity
    cpus: Quantity
    host_memory: Quantity | None
    host_cpus: Quantity | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackPlan:
    """The plan for a whole stack under one profile."""

    profile: str
    target: str
    services: tuple[ServicePlan, ...]
    fit: HostFit
    network: str | None = None
    network_mtu: int | None = None
    network_internal: bool = False
    volumes: tuple[str, ...] = ()
    inputs_digest: str = ""
    warnings: tuple[str, ...] = ()

    def service(self, name: str) -> ServicePlan | None:
        return next((s for s in self.services if s.name == name), None)
