"""GPU memory per container, read through NVML where this machine has an NVIDIA GPU.

NVML (the library behind `nvidia-smi`, through nvidia-ml-py's `pynvml`: the `gpu` extra,
`pip install 'composegen[gpu]'`) gives, for each GPU, its memory (total, used) and the processes
that hold a context on it with the memory each uses (`nvmlDeviceGetComputeRunningProcesses` and
`...GraphicsRunningProcesses`, `usedGpuMemory` per pid). A process belongs to a container when its
cgroup (`/proc/PID/cgroup`) names the container's id, as `composegen.engine.cgroupfs` finds a
container's cgroup: so calibrate, watch and verify get each container's bytes on each GPU.

The pids NVML reports are those of the machine the driver runs on: like the cgroup fs, this works
where composegen runs on the engine's machine in its pid namespace. Elsewhere (a remote engine,
composegen in a container) a GPU process is in no container of the project, and only the GPUs'
totals are known. NVML leaves a process's memory unknown (None) where the driver does not account
it per process (Windows WDDM; MIG instances without the rights to read them).

Without nvidia-ml-py, without a driver, or without a GPU, `open_meter` returns a meter that reads
nothing and says why in one note: never an error. NVML sits behind `NvmlApi`, the few pynvml
functions used, so tests feed recorded readings through a fake of it.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from composegen.engine.cgroupfs import PROC

if TYPE_CHECKING:
    from composegen.render.overlay import Planned
    from composegen.sizing.model import ServicePlan

#: What to install for GPU readings.
INSTALL = "pip install 'composegen[gpu]'"
#: A container's id, as its cgroup path names it (`/docker/<id>`, `docker-<id>.scope`, `cri-containerd-<id>`).
_CONTAINER_ID = re.compile(r"[0-9a-f]{64}")
#: The plan's figure for what a service holds on each GPU (composegen.sizing.llm.gpu_plan).
VRAM_PER_GPU = "VRAM per GPU"


class NvmlApi(Protocol):
    """The pynvml functions composegen calls (the module itself, or a fake of it in tests)."""

    NVMLError: type[Exception]

    def nvmlInit(self) -> None: ...

    def nvmlShutdown(self) -> None: ...

    def nvmlDeviceGetCount(self) -> int: ...

    def nvmlDeviceGetHandleByIndex(self, index: int) -> Any: ...

    def nvmlDeviceGetName(self, handle: Any) -> str | bytes: ...

    def nvmlDeviceGetMemoryInfo(self, handle: Any) -> Any: ...  # .total, .used (bytes)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: Any) -> Sequence[Any]: ...  # .pid, .usedGpuMemory

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: Any) -> Sequence[Any]: ...


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    used: int | None  # bytes; None: the driver does not account it per process


@dataclass(frozen=True)
class Device:
    """One GPU as NVML read it."""

    index: int
    name: str
    total: int  # bytes
    used: int  # bytes, every process's and the driver's
    processes: tuple[GpuProcess, ...] = ()


@dataclass(frozen=True)
class ContainerGpu:
    """What one container holds on one GPU (the sum of its processes there)."""

    container: str  # the container's id
    gpu: int  # the GPU's index
    used: int | None  # bytes; None: NVML gave no per-process figure


@dataclass(frozen=True)
class GpuSnapshot:
    """One reading of every GPU, with its memory attributed to the containers asked about."""

    devices: tuple[Device, ...]
    usage: tuple[ContainerGpu, ...]
    unattributed: int = 0  # processes on a GPU in none of those containers

    def of(self, container: str) -> dict[int, int | None]:
        """A container's bytes by GPU index (empty when it holds none)."""
        return {u.gpu: u.used for u in self.usage if u.container == container}


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _processes(api: NvmlApi, handle: Any) -> tuple[GpuProcess, ...]:
    """Compute and graphics processes, each pid once (its larger figure). A list the driver does not
    support (graphics on a data-center GPU) is empty."""
    found: dict[int, int | None] = {}
    for query in (api.nvmlDeviceGetComputeRunningProcesses, api.nvmlDeviceGetGraphicsRunningProcesses):
        try:
            listed = query(handle)
        except api.NVMLError:
            continue
        for entry in listed:
            pid = int(entry.pid)
            used = entry.usedGpuMemory
            used = int(used) if isinstance(used, int) and not isinstance(used, bool) else None
            before = found.get(pid)
            found[pid] = used if before is None else max(before, used or 0)
    return tuple(GpuProcess(pid, used) for pid, used in sorted(found.items()))


def read_devices(api: NvmlApi) -> tuple[Device, ...]:
    """Every GPU's memory and processes (raises api.NVMLError when NVML fails)."""
    devices = []
    for index in range(api.nvmlDeviceGetCount()):
        handle = api.nvmlDeviceGetHandleByIndex(index)
        memory = api.nvmlDeviceGetMemoryInfo(handle)
        name = _text(api.nvmlDeviceGetName(handle))
        devices.append(Device(index, name, int(memory.total), int(memory.used), _processes(api, handle)))
    return tuple(devices)


def container_of(proc_cgroup: str | None, containers: Collection[str]) -> str | None:
    """Which of `containers` (ids) a process is in, by the ids its `/proc/PID/cgroup` text names."""
    if not proc_cgroup:
        return None
    return next((found for found in _CONTAINER_ID.findall(proc_cgroup) if found in containers), None)


def attribute(
    devices: Sequence[Device], containers: Collection[str], cgroup_of: Callable[[int], str | None]
) -> GpuSnapshot:
    """The devices' processes summed per container and GPU; `cgroup_of(pid)` is the process's
    `/proc/PID/cgroup` text (None when it is gone or not ours to read)."""
    wanted = frozenset(containers)
    sums: dict[tuple[str, int], int | None] = {}
    seen: dict[int, str | None] = {}
    unattributed = 0
    for device in devices:
        for process in device.processes:
            if process.pid not in seen:
                seen[process.pid] = container_of(cgroup_of(process.pid), wanted)
            owner = seen[process.pid]
            if owner is None:
                unattributed += 1
                continue
            key = (owner, device.index)
            before = sums.get(key, 0)
            sums[key] = None if before is None or process.used is None else before + process.used
    usage = tuple(ContainerGpu(c, g, used) for (c, g), used in sorted(sums.items()))
    return GpuSnapshot(tuple(devices), usage, unattributed)


def read_cgroup(pid: int, proc: Path = PROC) -> str | None:
    try:
        return (proc / str(pid) / "cgroup").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


def load_pynvml() -> NvmlApi:
    """The pynvml module (raises ImportError without nvidia-ml-py)."""
    api: NvmlApi = importlib.import_module("pynvml")
    return api


class GpuMeter:
    """Reads GPU memory per container, or nothing (then `note` says why). Close it when done."""

    def __init__(self, api: NvmlApi | None, note: str = "", proc: Path = PROC) -> None:
        self.api = api
        self.note = note
        self.proc = proc

    @property
    def reading(self) -> bool:
        return self.api is not None

    def read(self, containers: Collection[str]) -> GpuSnapshot | None:
        """One snapshot, the memory attributed to `containers` (ids); None when nothing can be
        read (and, when NVML failed now, `note` says so and the meter reads no more)."""
        api = self.api
        if api is None:
            return None
        try:
            devices = read_devices(api)
        except api.NVMLError as err:
            self.close()
            self.note = f"GPU memory no longer read: NVML failed ({err})"
            return None
        return attribute(devices, containers, lambda pid: read_cgroup(pid, self.proc))

    def close(self) -> None:
        api, self.api = self.api, None
        if api is not None:
            with contextlib.suppress(api.NVMLError):
                api.nvmlShutdown()

    def __enter__(self) -> GpuMeter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def open_meter(load: Callable[[], NvmlApi] = load_pynvml, proc: Path = PROC) -> GpuMeter:
    """A meter on this machine's GPUs; one that reads nothing, with a note, where there is no
    nvidia-ml-py, no NVIDIA driver or no GPU."""
    try:
        api = load()
    except ImportError:
        return GpuMeter(None, f"GPU memory not read: nvidia-ml-py is not installed ({INSTALL})", proc)
    try:
        api.nvmlInit()
    except api.NVMLError as err:
        return GpuMeter(None, f"GPU memory not read: NVML did not start ({err}): no NVIDIA driver here", proc)
    try:
        count = api.nvmlDeviceGetCount()
    except api.NVMLError as err:
        count, why = 0, f" ({err})"
    else:
        why = ""
    if count <= 0:
        meter = GpuMeter(api, proc=proc)
        meter.close()
        meter.note = f"GPU memory not read: NVML sees no GPU{why}"
        return meter
    return GpuMeter(api, proc=proc)


def by_gpu_text(used: Mapping[int, int | None]) -> str:
    """`GPU 0 12.0 GiB, GPU 1 11.9 GiB` (`?` where NVML gave no per-process figure)."""
    from composegen.units import human_bytes

    return ", ".join(f"GPU {g} {human_bytes(b) if b is not None else '?'}" for g, b in sorted(used.items()))


def raise_peaks(peaks: dict[int, int | None], used: Mapping[int, int | None]) -> None:
    """Fold one reading of a container's bytes by GPU into its peaks: the highest figure NVML
    gave; None where it never gave one."""
    for index, value in used.items():
        if value is None:
            peaks.setdefault(index, None)
        else:
            peaks[index] = max(peaks.get(index) or 0, value)


def by_name(snapshot: GpuSnapshot, names: Mapping[str, str]) -> dict[str, dict[int, int | None]]:
    """The snapshot's bytes by GPU per container name (`names`: id -> name)."""
    out: dict[str, dict[int, int | None]] = {}
    for usage in snapshot.usage:
        name = names.get(usage.container)
        if name is not None:
            out.setdefault(name, {})[usage.gpu] = usage.used
    return out


def planned_vram(plan: ServicePlan) -> float | None:
    """The VRAM a service's plan gives it on each GPU it uses (explain's `VRAM per GPU`), if any."""
    found = plan.sizing.extra.get(VRAM_PER_GPU)
    return found.value if found is not None else None


def wants_gpus(planned: Planned) -> bool:
    """Whether the stack runs on GPUs: a service reserves some (its base or the overlay) or has a
    VRAM plan. Only then do the engine commands say why GPU memory was not read."""
    if any(i.base.gpus is not None for i in planned.inputs):
        return True
    return any(s.gpus or planned_vram(s) is not None for s in planned.stack.services)
