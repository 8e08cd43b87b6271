"""What a service is, as sizing reads it: the base compose file's facts, the declared inputs and the
models it loads. (The plan side, what a service gets, is in `composegen.sizing.model`; this part
is all `composegen lint` needs to detect roles, so it stays small.)"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable

    from composegen.facts import ServiceFacts
    from composegen.masking import StackSecrets
    from composegen.models.footprint import ModelFootprint
    from composegen.profiles.models import HostSpec, ServiceSpec
    from composegen.sizing.gpus import Reservation
    from composegen.sizing.result import TmpfsMount


class BaseService(NamedTuple):
    """What the base compose file(s) say about a service, as far as sizing needs it. (Named tuples
    here, not dataclasses: a dataclass costs a lint run its import.)"""

    name: str
    image: str | None = None
    command: str | tuple[str, ...] | None = None
    entrypoint: str | tuple[str, ...] | None = None
    has_build: bool = False
    build_context: str | None = None  # the build context's folder on the host, where it is one
    has_healthcheck: bool = False
    user: str | None = None
    volume_targets: tuple[str, ...] = ()
    bind_mounts: tuple[tuple[str, str], ...] = ()  # (host path, container path) of each bind mount
    tmpfs_targets: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()  # appended to by an overlay, and compose rejects a repeated item
    environment: Mapping[str, str] = MappingProxyType({})
    legacy_keys: frozenset[str] = frozenset()  # mem_limit, cpus, mem_reservation, pids_limit set in the base
    container_name: bool = False
    memory_limit: int | None = None  # bytes: mem_limit, else deploy.resources.limits.memory
    memswap_limit: int | None = None  # bytes, -1 unlimited; None: the base sets none
    cpus: float | None = None  # the CPU limit the base sets (deploy.resources.limits.cpus or cpus)
    gpus: Reservation | None = None  # the GPUs it reserves (reservations.devices, gpus:); None: none
    shares_memory: bool = False  # the base sets shm_size or `ipc: host`
    gpu_handed_over: bool = False  # a GPU device (ROCm's /dev/kfd, /dev/dri, a CDI name) or runtime: nvidia

    def overlay_mounts(self, mounts: Iterable[TmpfsMount]) -> list[TmpfsMount]:
        """The plan's mounts on a path this service does not mount itself: those the overlay
        writes. (The plan holds each tmpfs the base sizes too, counted in the limit:
        base_resources.with_base_tmpfs; the base's runs as the base wrote it.)"""
        based = set(self.tmpfs_targets)  # a set: a service may mount thousands
        return [m for m in mounts if m.path not in based]


class ServiceInputs(NamedTuple):
    """Everything a calculator may read about one service."""

    name: str
    role: str
    role_reason: str  # "declared in composegen.yaml", "detected from image 'postgres:16'", "default: ..."
    spec: ServiceSpec
    base: BaseService
    models: tuple[ModelFootprint, ...] = ()
    host: HostSpec | None = None
    stack_agents: int = 0  # load-test agents in the whole stack (they connect to this service)
    #: what the base compose file makes the service run (composegen.facts): workers, heaps, server
    #: flags, each with its file:line. composegen.yaml's declarations win over them; they win
    #: over the profile's defaults (see composegen.sizing.runs). None: not read (a test's inputs).
    facts: ServiceFacts | None = None
    #: values from `.env` or the environment that look secret (Stack.secret_values), the stack's
    #: (one search, shared by its services): nothing that quotes the service (explain, the
    #: overlay's comments) may print them. None: none known.
    secrets: StackSecrets | None = None
