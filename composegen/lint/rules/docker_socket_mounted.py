"""docker-socket-mounted (CG502): the Docker socket mounted into a container.

What it does:
    Flags a service that mounts the Docker (or Podman) API socket, `/var/run/docker.sock` or
    any other path ending in `docker.sock`, or a whole folder holding it (`/var/run`, `/run`),
    read-only or not, and a service with `use_api_socket: true` (compose mounts the socket,
    and the user's registry credentials with it).
    A socket mount written once in an anchor and merged into several services is one
    finding, at the anchor.

Why is this bad?
    Whoever can talk to the socket controls the Docker daemon, which runs as root: it can start
    a privileged container that mounts the host's `/` and so is root on the host. A `:ro` mount
    does not change that. Read-only applies to the file system, and connecting to a Unix socket
    and sending API requests over it is not a write to the file system: with `:ro` the
    container cannot delete or replace the socket file, but it can still `POST
    /containers/create`. A reverse proxy or a monitoring agent that reads the socket is one bug
    away from owning the host.

Example:
    ```yaml
    services:
      traefik:
        image: traefik:v3.1
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock:ro
    ```

Use instead:
    ```yaml
    services:
      socket-proxy:
        image: tecnativa/docker-socket-proxy:0.2.0
        environment: {CONTAINERS: 1}
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock:ro
      traefik:
        image: traefik:v3.1
        command: --providers.docker.endpoint=tcp://socket-proxy:2375
    ```
    a socket proxy that allows only the read-only API calls the service needs (it keeps the
    one mount, in a container with no network exposure), or the file provider instead.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.syntax import service_volumes
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin, services_with

CODE = "CG502"
NAME = "docker-socket-mounted"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 9.0  # SARIF security-severity: the Docker API is root on the host
SEVERITY_BY_USAGE = {"prod": Severity.error}
OPTIONS: dict[str, Any] = {
    "sockets": ["docker.sock", "podman.sock"],
    "folders": ["/var/run", "/run", "/var/run/docker", "/run/docker"],
}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    sockets = tuple(str(s) for s in options.get("sockets", ()))
    folders = {str(f) for f in options.get("folders", ())}
    for name, service in services_with(ctx, "use_api_socket", "volumes"):  # (nothing to mount in the others)
        if service.get("use_api_socket") is True:
            yield Violation(
                ("services", name, "use_api_socket"),
                f"service {name!r} sets use_api_socket: true, so compose mounts the Docker socket (and your "
                "registry credentials) into it: the container controls the Docker daemon, which is root on "
                "the host; put a socket proxy that allows only the calls it needs in between",
                service=name,
            )
        for index, volume in service_volumes(service.get("volumes")):
            if volume.type != "bind" or not volume.source:
                continue
            source = posixpath.normpath(volume.source)
            if posixpath.basename(source) in sockets:
                what = f"the Docker socket {volume.source}"
            elif source in folders:
                what = f"{volume.source} (which holds the Docker socket)"
            else:
                continue
            if volume.read_only:
                why = (
                    ": read-only does not help, the container can still connect and drive the whole "
                    "Docker API (start a privileged container that mounts /), which is root on the host"
                )
            else:
                why = ": the container controls the Docker daemon, which is root on the host"
            yield Violation(
                ("services", name, "volumes", index),
                f"service {name!r} mounts {what}{' read-only' if volume.read_only else ''}{why}; "
                "put a socket proxy that allows only the calls it needs in between",
                service=name,
            )
