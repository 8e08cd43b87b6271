"""The frozen data that flows through sizing: what a service is (inputs, defined in
`composegen.sizing.inputs`), what a calculator derives (`composegen.sizing.result`) and what the
service gets (plan). All of them can be imported from here."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from composegen.models.footprint import ModelFootprint as ModelFootprint
from composegen.sizing.base_resources import Override
from composegen.sizing.inputs import BaseService as BaseService
from composegen.sizing.inputs import ServiceInputs as ServiceInputs
from composegen.sizing.quantity import Quantity
from composegen.sizing.result import EnvSetting as EnvSetting
from composegen.sizing.result import Sizing as Sizing
from composegen.sizing.result import TmpfsMount as TmpfsMount


@dataclass(frozen=True)
class Healthcheck:
    test: tuple[str, ...] | None  # None: keep the base file's test
    interval: Quantity
    timeout: Quantity
    retries: int
    start_period: Quantity
    start_interval: Quantity | None

    @property
    def test_as_run(self) -> tuple[str, ...] | None:
        """`test` as the container runs it: it is written for a compose file, where `$$` is a
        literal `$` (compose reads it so); a Kubernetes probe or a comparison with what the Engine
        applied has no such escape."""
        return None if self.test is None else tuple(part.replace("$$", "$") for part in self.test)


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
    base_facts: tuple[str, ...] = ()  # what the base file makes it run, with file:line (runs.base_facts)
    cpu_reservation: Quantity | None = None  # measured under load (calibrate); Swarm's reservations.cpus
    gpus: int = 0  # GPUs the overlay reserves: an inference engine that reserves none, on a GPU host
    #: the base's own figures (mem_limit, cpus, ...) the plan writes another value over, with why
    #: (composegen.sizing.base_resources): in the base notes, and each export in its own units
    overrides: tuple[Override, ...] = ()

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
    #: `service: note` for each value taken from the base file where the profile would choose
    #: otherwise, overridden in it, or that could not be (Sizing.base_notes)
    base_notes: tuple[str, ...] = ()

    def service(self, name: str) -> ServicePlan | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, ServicePlan]:
        """Each service's plan by name, made once: a swarm stack file asks for each service's, and
        a search of the list each time took 0.9 s for 4,000 services (issue 12: linear time)."""
        return {s.name: s for s in reversed(self.services)}  # the first of a name, as a search found
