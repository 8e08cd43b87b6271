"""Reverse proxies (nginx, openresty, traefik, haproxy, caddy, envoy): small, and left as they run.

Nothing in facts/sizing.md sizes a proxy: every number here is composegen's own default and says
so. composegen writes no command (the proxy's config is the user's) and no healthcheck (the port,
path and whether a ping endpoint is enabled are the config's: traefik's `healthcheck --ping` only
works with ping enabled). Declared `connections:` become a note on the setting that caps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composegen.sizing.common import (
    baseline_cpus,
    baseline_memory,
    image_repository,
    limit_with_mounts,
    startup_time,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.result import Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

ASSUMED = "composegen default (assumed)"

#: Baseline working sets by proxy (assumed, not measured): the C proxies idle in a few MiB per
#: worker, the Go/C++ ones with their config caches in tens of MiB.
BASELINES: dict[str, int] = {
    "nginx": 64 * MIB,
    "haproxy": 64 * MIB,
    "caddy": 64 * MIB,
    "traefik": 128 * MIB,
    "envoy": 128 * MIB,
}
DEFAULT_BASELINE = 128 * MIB
#: composegen defaults (assumed).
DEFAULT_CPUS = 0.5
DEFAULT_STARTUP = 5.0

#: Why each keeps its root and writable filesystem (plan.py then skips read_only, user, cap_drop).
NO_HARDENING: dict[str, str] = {
    "nginx": "the nginx image starts as root (port 80, then workers as nginx) and writes "
    "/var/cache/nginx and its pid file",
    "haproxy": "haproxy configs often name `user`/`chroot`, which need root",
    "caddy": "caddy writes /config and /data (certificates, autosave) and runs as root",
    "traefik": "traefik usually reads the docker socket, which a non-root user cannot",
    "envoy": "the envoy image's entrypoint drops to the envoy user itself and needs root for it",
}


def kind(inputs: ServiceInputs) -> str:
    """nginx, haproxy, caddy, traefik, envoy, or `proxy` for one composegen does not know."""
    name = (image_repository(inputs.base.image) or "").rsplit("/", 1)[-1]
    if "nginx" in name or "openresty" in name:
        return "nginx"
    for known in ("haproxy", "caddy", "traefik", "envoy"):
        if known in name:
            return known
    return "proxy"


def connection_note(proxy: str, connections: int) -> str:
    if proxy == "nginx":
        return (
            f"{connections} connections: worker_processes × worker_connections (1024 in the "
            "official image's nginx.conf) must exceed them, twice over when proxying"
        )
    if proxy == "haproxy":
        return f"{connections} connections: haproxy's maxconn must exceed them"
    return (
        f"{connections} connections: {proxy} has no per-process cap to raise; each holds "
        "buffers, so declare memory: if they are many"
    )


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    proxy = kind(inputs)
    memory = baseline_memory(
        inputs,
        profile,
        BASELINES.get(proxy, DEFAULT_BASELINE),
        f"{ASSUMED} for {proxy}: declare memory: for a real number",
    )
    cpus = baseline_cpus(inputs, profile, DEFAULT_CPUS, f"{ASSUMED} for a proxy")
    notes: list[str] = []
    if proxy == "nginx":
        notes.append(
            f"nginx's `worker_processes auto` counts the host's cores, not the "
            f"{cpus.show()} limit: set worker_processes to match it"
        )
    if inputs.spec.connections is not None:
        notes.append(connection_note(proxy, inputs.spec.connections))
    notes.append("no healthcheck: the port, path and any ping endpoint are the proxy config's")
    notes.append(NO_HARDENING.get(proxy, "unknown proxy image: left with its root and writable filesystem"))
    return Sizing(
        memory=limit_with_mounts(with_margin(memory, profile), ()),
        startup=startup_time(inputs, profile, DEFAULT_STARTUP, ASSUMED),
        cpus=cpus,
        healthcheck_test=None,
        hardening=False,
        notes=tuple(notes),
    )
