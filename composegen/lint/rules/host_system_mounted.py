"""host-system-mounted (CG509): a mount or device that hands the host to the container.

What it does:
    Flags a bind mount of the host's `/` (even read-only: the Docker socket and every secret
    are under it), `/proc`, `/sys`, `/dev`, `/var/lib/docker` (every container's files and
    logs), `/etc` when writable, and a host device that exposes the kernel or the raw disk
    (`/dev/kmsg`, `/dev/mem`, `/dev/kmem`, `/dev/port`, whole disks such as `/dev/sda` or
    `/dev/nvme0n1`), whether mounted or passed with `devices:`. A mount of a file or folder
    below them (`/etc/localtime:ro`, `/sys/fs/cgroup:ro`, `/proc/cpuinfo`) is not flagged, nor
    are the devices programs commonly need (`/dev/dri`, `/dev/net/tun`, serial ports).
    A mount written once in an anchor and merged into several services is one finding, at
    the anchor.

Why is this bad?
    A container is isolated by what it cannot see. With the host's root file system it reads
    the Docker socket, SSH keys and every other container's secrets; with `/proc` or `/sys`
    writable it can change kernel settings and escape; `/var/lib/docker` holds every
    container's file system; a writable `/etc` lets it add a user or a cron job to the host;
    `/dev/mem` and the raw disks bypass every file permission. Monitoring agents need some of
    these, which is why they should be few, read-only where possible, and reviewed.

Example:
    ```yaml
    services:
      agent:
        image: ghcr.io/acme/agent:1.4.0
        volumes:
          - /:/host:ro
          - /etc:/host/etc
        devices:
          - /dev/kmsg
    ```

Use instead:
    ```yaml
    services:
      agent:
        image: ghcr.io/acme/agent:1.4.0
        volumes:
          - /var/log/app:/logs:ro
    ```
    mount only the files or folders the service reads, read-only; where an agent truly needs
    the host (node-exporter, cAdvisor), say so with `# composegen: disable-line=CG509 -- why`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.syntax import go_format, service_volumes
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin, services_with

CODE = "CG509"
NAME = "host-system-mounted"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 8.5  # SARIF security-severity: the host's files or devices, readable or writable
SEVERITY_BY_USAGE = {"prod": Severity.error}
OPTIONS: dict[str, Any] = {
    # host paths that hand the host over, mounted read-only or not
    "paths": ["/", "/proc", "/sys", "/dev", "/var/lib/docker", "/var/lib/containerd", "/boot"],
    # host paths that hand it over when writable
    "writable_paths": ["/etc", "/root", "/usr", "/lib", "/bin", "/sbin"],
    # host devices that expose the kernel's memory or log, or a raw disk (regular expressions)
    "devices": [
        r"/dev/kmsg",
        r"/dev/k?mem",
        r"/dev/port",
        r"/dev/(?:sd|hd|vd|xvd)[a-z]+",
        r"/dev/nvme\d+(?:n\d+)?",
        r"/dev/mmcblk\d+",
    ],
}

_WHY = {
    "/": "the host's whole file system, the Docker socket and every secret included",
    "/proc": "the host's processes and kernel settings",
    "/sys": "the host's kernel and device settings",
    "/dev": "every host device",
    "/var/lib/docker": "every container's files, logs and secrets",
    "/var/lib/containerd": "every container's files",
    "/boot": "the host's kernel and boot loader",
}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _devices(options: Mapping[str, Any]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in options.get("devices", ()) or ["(?!)"]))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    always = {str(p) for p in options.get("paths", ())}
    writable = {str(p) for p in options.get("writable_paths", ())}
    devices = _devices(options)
    for name, service in services_with(ctx, "volumes", "devices"):  # most services set neither
        for index, volume in service_volumes(service.get("volumes")):
            if volume.type != "bind" or not volume.source or not volume.source.startswith("/"):
                continue
            source = posixpath.normpath(volume.source)
            source = "/" if source == "//" else source
            if source in always:
                what = f"the host's {source}" + (f" ({_WHY[source]})" if source in _WHY else "")
            elif source in writable and not volume.read_only:
                what = f"the host's {source} writable"
            elif devices.fullmatch(source):
                what = f"the host device {source}"
            else:
                continue
            mode = " read-only" if volume.read_only and source in always else ""
            yield Violation(
                ("services", name, "volumes", index),
                f"service {name!r} mounts {what}{mode}: that hands the host to the container; "
                "mount only the files it reads, read-only",
                service=name,
            )
        listed = service.get("devices")
        for index, entry in enumerate(listed if isinstance(listed, list) else []):
            device = _device_source(entry)
            if device is not None and devices.fullmatch(device):
                yield Violation(
                    ("services", name, "devices", index),
                    f"service {name!r} is given the host device {device}: it reads the kernel's memory, "
                    "log or a raw disk past every file permission; drop it",
                    service=name,
                )


def _device_source(entry: Any) -> str | None:
    """The host path of a `devices:` entry (`/dev/kmsg`, `/dev/sda:/dev/xvda:rwm`, long form)."""
    if isinstance(entry, Mapping):
        source = entry.get("source")
        return posixpath.normpath(str(source)) if isinstance(source, str) and source.startswith("/") else None
    if isinstance(entry, bool) or not isinstance(entry, str):
        return None
    text = go_format(entry).strip()
    if not text.startswith("/"):
        return None
    return posixpath.normpath(text.split(":", 1)[0])
