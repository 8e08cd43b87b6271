"""GPUs: what a service reserves, and whether it is handed a GPU otherwise (docs/sizing.md §GPUs).
The memory of each GPU model is in composegen.gpu_table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple


class Reservation(NamedTuple):
    """The GPUs a service reserves: `deploy.resources.reservations.devices` or `gpus:`."""

    number: int | None  # None: all the host's GPUs (`count: all`, `gpus: all`)
    device_ids: tuple[str, ...]  # the GPUs it pins (empty: any)

    def gpus(self, host_count: int) -> int:
        """How many GPUs it gets on a host with `host_count`."""
        if self.device_ids:
            return len(self.device_ids)
        if self.number is None:
            return host_count
        return self.number


def _is_gpu(entry: Mapping[str, Any]) -> bool:
    """A device request for GPUs: capability `gpu`, or a GPU vendor's driver."""
    caps = entry.get("capabilities")
    if isinstance(caps, list) and any(str(c).lower() == "gpu" for c in caps):
        return True
    return str(entry.get("driver", "")).lower() in ("nvidia", "amd", "cdi")


def _count(value: Any) -> int | str | None:
    """A device count: a whole number, None for `all` (or docker's -1), "bad" for anything else."""
    if isinstance(value, str) and value.strip().lower() == "all":
        return None
    if isinstance(value, bool):
        return "bad"
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, int):
        return None if value < 0 else value
    return "bad"


def _entries(service: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "deploy" not in service and "gpus" not in service:  # most services: asked for each of them
        return []
    found: list[Mapping[str, Any]] = []
    deploy = service.get("deploy")
    resources = deploy.get("resources") if isinstance(deploy, Mapping) else None
    reservations = resources.get("reservations") if isinstance(resources, Mapping) else None
    devices = reservations.get("devices") if isinstance(reservations, Mapping) else None
    found += [d for d in devices if isinstance(d, Mapping) and _is_gpu(d)] if isinstance(devices, list) else []
    gpus = service.get("gpus")
    if isinstance(gpus, str) and gpus.strip().lower() == "all":
        found.append({"count": "all"})
    elif isinstance(gpus, list):
        found += [g for g in gpus if isinstance(g, Mapping)]
    return found


def reservation(service: Mapping[str, Any]) -> Reservation | None:
    """The GPUs a service reserves (its device requests with capability `gpu` or a GPU driver,
    and `gpus:`), None when it reserves none. A request with neither count nor device_ids gets
    all GPUs, as docker gives it; an unreadable count (`${N}`) reads as one GPU."""
    entries = _entries(service)
    if not entries:
        return None
    total: int | None = 0
    ids: list[str] = []
    for entry in entries:
        raw_ids = entry.get("device_ids")
        if isinstance(raw_ids, list) and raw_ids:
            ids += [str(i) for i in raw_ids]
            continue
        count = _count(entry.get("count", "all"))
        if count is None:
            total = None
        elif total is not None:
            total += 1 if count == "bad" else int(count)
    return Reservation(total, tuple(ids))


#: Host devices that are a GPU: AMD's ROCm compute interface and the DRM render nodes of AMD and
#: Intel GPUs (ROCm's and Vulkan's `--device /dev/kfd --device /dev/dri`), and NVIDIA's nodes.
_GPU_DEVICE = re.compile(r"^/dev/(?:kfd|dri|nvidia\d*)(?:/|$)")
#: CDI device names (`nvidia.com/gpu=all`, `amd.com/gpu=0`).
_CDI_GPU = re.compile(r"^[\w.-]+\.com/gpu=")


def _device_source(entry: Any) -> str:
    """The host side of a `devices:` entry: `/dev/kfd`, `/dev/kfd:/dev/kfd:rwm`, or the long form."""
    if isinstance(entry, Mapping):
        return str(entry.get("source") or "")
    return str(entry).split(":", 1)[0] if not _CDI_GPU.match(str(entry)) else str(entry)


def gpu_handed_over(service: Mapping[str, Any]) -> str | None:
    """How a service gets a GPU without reserving one, or None: a GPU device in `devices:`
    (ROCm's /dev/kfd and /dev/dri, a CDI name) or the nvidia runtime (`runtime: nvidia`, which
    hands over the GPUs NVIDIA_VISIBLE_DEVICES names; CUDA images set it to all). How many GPUs
    such a service gets is not read: only that it gets some."""
    devices = service.get("devices")
    for entry in devices if isinstance(devices, list) else []:
        source = _device_source(entry)
        if _GPU_DEVICE.match(source) or _CDI_GPU.match(source):
            return f"device {source}"
    if str(service.get("runtime") or "").strip().lower() == "nvidia":
        return "runtime: nvidia"
    return None
