"""Kubernetes manifests from the plan (`composegen export k8s`).

Per service: a Deployment, or a StatefulSet for a database role or a service that keeps data in a
named volume (each replica gets its own claim from `volumeClaimTemplates`); a Service for its
ports; a HorizontalPodAutoscaler (autoscaling/v2) for each Deployment when the profile has an
`autoscaling` block. The numbers are the plan's (composegen.render.overlay.plan), laid out the way
facts/compose-spec.md §Compose to Kubernetes maps them, with what kompose misses added:

- limits.memory / limits.cpu from the planned limits, requests.memory from the reservation (when
  the profile reserves; Kubernetes copies a limit into an unset request);
- a startupProbe carrying start_period: periodSeconds = start_interval (else interval) and
  failureThreshold = ceil(start_period ÷ period), so failureThreshold × periodSeconds ≥ start_period;
  liveness and readiness probes from the healthcheck (CMD → exec argv, CMD-SHELL → `/bin/sh -c`);
- tmpfs as `emptyDir: {medium: Memory, sizeLimit}` (memory-backed emptyDir pages count against
  the container's limit, as tmpfs pages do in Docker), shm_size as a Memory emptyDir on /dev/shm;
- securityContext from the hardening: no-new-privileges → allowPrivilegeEscalation: false,
  read_only → readOnlyRootFilesystem, cap_drop → capabilities.drop, a numeric user → runAsUser;
- HPA targets as `averageValue`, a share of the limit (cpu 70 %, memory 80 % in prod): HPA
  `Utilization` is relative to requests, and requests follow reservations (half the limit in prod).

No secret is written into a manifest: environment whose name says it holds a secret, whose value
looks like one (a URL with a password, a token) or was interpolated from `.env` or the environment
becomes `valueFrom.secretKeyRef` to one Secret the export names (`SECRET_EXAMPLE` lists its keys,
with no values, and the notes give the `kubectl create secret` line); in `args` a value interpolated
from a variable becomes `$(VARIABLE)`, which the kubelet expands from the container's environment
(read from the Secret), and in a shell probe `${VARIABLE}`; any other secret written in a command,
probe or label is masked (`****`) and listed.

What has no Kubernetes form (bind mounts, depends_on, logging, pids, a restart policy other than
always...) is returned in `unmapped`, and values composegen had to choose (a claim size it cannot
derive) in `defaults`: both printed by the CLI and in its json.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from composegen.compose.normalize import canonical_service
from composegen.compose.syntax import SyntaxProblem, go_format, key_value_mapping, shell_split
from composegen.errors import UnitError
from composegen.export.command_ports import command_ports
from composegen.export.notes import Note
from composegen.export.output import export_header, exported_by_us, write_export_folder
from composegen.masking import KnownValues, StackSecrets, mask, mask_argv, replace_value, secret_name
from composegen.profiles.models import AutoscalingPolicy, ScaleBehavior
from composegen.render.overlay import Planned
from composegen.sizing.model import Healthcheck, ServiceInputs, ServicePlan
from composegen.units import GIB, KIB, MIB, format_bytes
from composegen.yamlio import Documents

#: The Kubernetes version the manifests are written for (and validated against in the tests).
KUBERNETES_VERSION = "1.37.0"
#: Roles whose data must outlive a pod: a StatefulSet, whatever their volumes.
STATEFUL_ROLES = frozenset({"postgres", "mysql", "mongo", "redis", "clickhouse", "elasticsearch", "kafka", "zookeeper"})
#: The ports the official images of these roles listen on (their image documentation): a compose
#: service reaches `db:5432` without declaring it; in Kubernetes only a Service makes `db` resolve.
ROLE_PORTS: Mapping[str, tuple[int, ...]] = {
    "postgres": (5432,),
    "mysql": (3306,),
    "mongo": (27017,),
    "redis": (6379,),
    "clickhouse": (8123, 9000),
    "elasticsearch": (9200,),
    "kafka": (9092,),
    "zookeeper": (2181,),
}
#: The keys-only example of the Secret the manifests read, written beside them.
SECRET_EXAMPLE = "secret.example.env"
#: Why a value is not in a manifest.
MASKED_WHY = "a secret written in it is masked (****): pass it as a variable, which the Secret can hold"
#: A claim for a volume whose size composegen cannot derive (no `dataset` in composegen.yaml).
DEFAULT_CLAIM = GIB
#: Keys of the canonical service this module maps; any other key with a value is listed as unmapped.
HANDLED = frozenset(
    {
        "image",
        "restart",
        "user",
        "working_dir",
        "read_only",
        "cap_add",
        "cap_drop",
        "privileged",
        "security_opt",
        "mem_limit",
        "mem_reservation",
        "cpus",
        "pids_limit",
        "shm_size",
        "stop_grace_period",
        "command",
        "entrypoint",
        "environment",
        "labels",
        "ports",
        "expose",
        "volumes",
        "tmpfs",
        "limits",
        "reservations",
        "replicas",
        "healthcheck",
        "networks",
        "depends_on",
        "logging",
        "tty",
        "stdin_open",
        "build",
    }
)
#: Why a compose key has no Kubernetes form here.
UNMAPPED_WHY: Mapping[str, str] = {
    "depends_on": "Kubernetes has no start order: readiness probes hold traffic until a service is ready",
    "logging": "the kubelet rotates container logs (containerLogMaxSize / containerLogMaxFiles)",
    "pids": "Kubernetes limits pids per pod only in the kubelet (podPidsLimit)",
    "secrets": "create a Secret and mount it",
    "configs": "create a ConfigMap and mount it",
    "build": "build and push the image; the manifest names it",
}


@dataclass(frozen=True)
class Manifest:
    kind: str
    name: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class ServiceManifests:
    service: str
    comment: str
    manifests: tuple[Manifest, ...]
    #: the base's own figures the manifests write another value over, and why (ServicePlan.overrides)
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class K8sExport:
    project: str
    profile: str
    digest: str
    services: tuple[ServiceManifests, ...]
    unmapped: tuple[Note, ...]
    defaults: tuple[Note, ...]
    secret: str = ""  # the name of the Secret the manifests read their secret environment from
    secret_keys: tuple[str, ...] = ()  # its keys (never its values)

    def manifests(self) -> list[Manifest]:
        return [m for s in self.services for m in s.manifests]


# --- values ----------------------------------------------------------------------------------


#: What a DNS-1123 label cannot hold.
_NOT_IN_LABEL = re.compile(r"[^a-z0-9-]+")


@functools.cache
def k8s_name(name: str) -> str:
    """A DNS-1123 label: lowercase letters, digits and `-`, 63 at most. Remembered: each service's
    name is asked for while its manifests are laid out and again for its file's name, every name
    (a bounded cache had let the first of 7,500 go before they were asked for again)."""
    cleaned = _NOT_IN_LABEL.sub("-", name.lower()).strip("-")
    return cleaned[:63].rstrip("-") or "service"


def memory_quantity(n: float) -> str:
    """Bytes as a Kubernetes quantity in the largest binary unit that keeps a whole number."""
    whole = math.ceil(n)
    for suffix, size in (("Gi", GIB), ("Mi", MIB), ("Ki", KIB)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{suffix}"
    return str(whole)


def cpu_quantity(cores: float) -> str:
    """Cores as a Kubernetes quantity: `2`, `1500m`."""
    millis = round(cores * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def literal(text: str) -> str:
    """`text` as Kubernetes reads it back unchanged in env values, command and args, where the
    kubelet expands `$(NAME)` and reads `$$` as `$`: every `$` doubled."""
    return text.replace("$", "$$")


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


# --- probes ----------------------------------------------------------------------------------


def exec_command(test: Sequence[str]) -> list[str] | None:
    """A healthcheck test as an exec probe's argv; None for NONE or an unknown form."""
    if not test:
        return None
    if test[0] == "CMD":
        return list(test[1:])
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return None


def probes(command: list[str], health: Healthcheck) -> dict[str, Any]:
    """startupProbe, livenessProbe and readinessProbe for one healthcheck."""
    interval = _seconds(health.interval.value)
    timeout = min(_seconds(health.timeout.value), interval)
    start_pace = _seconds(health.start_interval.value) if health.start_interval is not None else interval
    steady = {
        "exec": {"command": command},
        "periodSeconds": interval,
        "timeoutSeconds": timeout,
        "failureThreshold": health.retries,
    }
    return {
        "startupProbe": {
            "exec": {"command": command},
            "periodSeconds": start_pace,
            "timeoutSeconds": min(timeout, start_pace),
            "failureThreshold": max(1, math.ceil(health.start_period.value / start_pace)),
        },
        "livenessProbe": steady,
        "readinessProbe": dict(steady),
    }


# --- one service -----------------------------------------------------------------------------


@dataclass
class _Secrets:
    """What the export keeps out of its manifests: the stack's secret values (`known`), the
    variables it interpolates (`variables`, name -> value), and the Secret's keys so far."""

    name: str
    known: StackSecrets
    variables: dict[str, str]
    keys: dict[str, str]  # key -> value (the value only to tell two services' keys apart)
    #: by style (`_Service.referenced`): the variables' values as it writes them, found in a text
    #: in one pass, and the variables that hold each
    needles: dict[str, tuple[KnownValues, dict[str, list[str]]]] = field(init=False)
    order: dict[str, int] = field(init=False)  # each variable's place in `variables`
    #: `mask_argv`'s answers by argument list, and whether it masked anything: the services of a
    #: role share their probe, and commands with their values referred to are often alike
    masked: dict[tuple[str, ...], tuple[list[str], bool]] = field(init=False)
    #: `_Service.referred`'s answers by (text, style) for services with no secret environment of
    #: their own: a command's words and a role's probe repeat in many services
    referred: dict[tuple[str, str], tuple[str, dict[str, str]]] = field(init=False)

    def __post_init__(self) -> None:
        self.order = {name: place for place, name in enumerate(self.variables)}
        self.needles = {}
        self.masked = {}
        self.referred = {}
        for style in ("args", "shell"):
            holders: dict[str, list[str]] = {}
            for name, value in self.variables.items():
                holders.setdefault(literal(value) if style == "args" else value, []).append(name)
            self.needles[style] = (KnownValues(holders), holders)


T = TypeVar("T")


@dataclass
class _Parts:
    """Parts of the manifests that many services share, each built once per distinct input for
    the whole export (one `_Parts` per `export_k8s`): the services of a role have the same probes,
    limits, annotations and ports. One object stands in each service's manifests, so `Documents`
    writes it once and repeats its lines; nothing changes a part once it is built."""

    made: dict[tuple[Hashable, ...], Any] = field(default_factory=dict)
    #: `canonical_service` of the services' keys but their own (`_base`), by those keys' texts
    canonical: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = field(default_factory=dict)
    #: the autoscalers' `behavior`: the profile's policy, one for the export
    behavior: dict[str, Any] | None = None
    kept: list[object] = field(default_factory=list)  # what `once_per_object` keys by `id`

    def once(self, build: Callable[..., T], *args: Hashable) -> T:
        """`build(*args)`, called once per distinct `args` (`build` is a pure function of them)."""
        key = (build, *args)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = build(*args)
        return found

    def once_per_object(self, build: Callable[..., T], shared: Hashable, *args: Hashable) -> T:
        """`once(build, shared, *args)`, with `shared` told by identity, not hashed: the plan's
        services share one healthcheck and one tuple of labels, whose hash is worked out anew on
        each look (a healthcheck's quantities and their derivations: 2 µs). An equal object that
        is another one gets a part of its own, as equal: the text is the same, written anew."""
        key = (build, id(shared), *args)
        found = self.made.get(key)
        if found is None:
            self.kept.append(shared)  # (alive: no other object takes its `id`)
            found = self.made[key] = build(shared, *args)
        return found


@dataclass
class _Service:
    """The facts of one service being laid out, and what it could not map."""

    plan: ServicePlan
    inputs: ServiceInputs
    base: dict[str, Any]
    planned: Planned
    unmapped: list[Note]
    defaults: list[Note]
    secrets: _Secrets
    parts: _Parts = field(default_factory=_Parts)  # the export's shared parts
    needed: dict[str, str] = field(default_factory=dict)  # variables its args or probes now reference
    # (worked out once, not on each look: the layout asks for most of them several times)
    name: str = field(init=False)  # its name in Kubernetes (`k8s_name`)
    #: the variables a secret value may be referred to by beside the interpolated ones: the
    #: service's own secret-named environment entries
    own_references: dict[str, str] = field(init=False)
    own_needles: dict[str, tuple[str, ...]] = field(init=False)  # their values as `referenced` looks for them
    named_volumes: list[tuple[str, str, bool]] = field(init=False)  # (source, target, read only)
    stateful: bool = field(init=False)  # a StatefulSet, not a Deployment
    replicas: int = field(init=False)

    def __post_init__(self) -> None:
        self.name = k8s_name(self.plan.name)
        base = self.base
        own = {k: v for k, v in base["environment"].items() if v and secret_name(k) and len(v) >= 4}
        self.own_references = own
        self.own_needles = {"args": tuple(literal(value) for value in own.values()), "shell": tuple(own.values())}
        self.named_volumes = [
            (str(src), target, ro) for kind, src, target, ro in base["volumes"] if kind == "volume" and src
        ]
        self.stateful = self.plan.role in STATEFUL_ROLES or bool(self.named_volumes)
        if self.plan.sizing.replicas is not None:
            self.replicas = self.plan.replicas
        else:
            found = base.get("replicas")
            self.replicas = int(found) if isinstance(found, int) else 1

    def drop(self, what: str, why: str) -> None:
        self.unmapped.append(Note(self.plan.name, what, why))

    def chose(self, what: str, why: str) -> None:
        self.defaults.append(Note(self.plan.name, what, why))

    def secret_ref(self, name: str, value: str) -> dict[str, Any]:
        """An environment entry read from the Secret; the key is the variable's name, or
        SERVICE.NAME where another service has that name with another value."""
        key = name
        if self.secrets.keys.get(key, value) != value:
            key = f"{self.name}.{name}"
        self.secrets.keys[key] = value
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": self.secrets.name, "key": key}}}

    def referenced(self, text: str, style: str) -> str:
        """`text` with each value interpolated from a variable (or held by a secret environment
        entry) replaced by a reference: `$(NAME)` in args (`style` "args"; `text` already
        `literal`), which the kubelet expands, or `${NAME}` in a shell ("shell"); the variables
        referred to are `needed`. A service with no secret environment of its own refers to the
        stack's variables alone: its answer is the export's for the same text (`_Secrets.referred`)."""
        if self.own_references:
            text, needed = self.referred(text, style)
        else:
            answer = self.secrets.referred.get((text, style))
            if answer is None:
                answer = self.secrets.referred[(text, style)] = self.referred(text, style)
            text, needed = answer
        if needed:
            self.needed.update(needed)
        return text

    def referred(self, text: str, style: str) -> tuple[str, dict[str, str]]:
        """`referenced`'s text, and the variables it now refers to (name -> value), worked out."""
        own = self.own_references
        finder, holders = self.secrets.needles[style]
        # the variables whose value the text holds (one search for all of the stack's, none where
        # it interpolates none), and the service's own: in the order of the variables, then its
        # own, the longest value first
        found = (
            {name: self.secrets.variables[name] for needle in finder.found(text) for name in holders[needle]}
            if holders
            else {}
        )
        if not found and not any(needle in text for needle in self.own_needles[style]):
            return text, {}  # (most texts: nothing to refer to)
        needles = {name: literal(value) if style == "args" else value for name, value in {**found, **own}.items()}
        present = [needle for needle in needles.values() if needle in text]
        if not present:
            return text, {}  # (most texts: nothing to refer to)
        if len(present) > 1 and KnownValues(present).overlap(text):
            return text, {}  # two values overlap: no reference replaces both, masking hides them together
        own_place = {name: place for place, name in enumerate(own)}
        order = self.secrets.order

        def place(item: tuple[str, str]) -> tuple[int, int, int]:
            name, value = item
            return (-len(value), 0, order[name]) if name in order else (-len(value), 1, own_place[name])

        needed = {}
        for name, value in sorted({**found, **own}.items(), key=place):
            needle = needles[name]
            replaced = replace_value(text, needle, f"$({name})" if style == "args" else f"${{{name}}}")
            if replaced != text:
                text = replaced
                needed[name] = value
        return text, needed

    def unbaked(self, argv: list[str], where: str, style: str = "exec") -> list[str]:
        """An argument list with no secret left in it: values from variables referred to (see
        `referenced`; not in an exec probe, which nothing expands), the rest masked and listed."""
        texts = tuple([self.referenced(a, style) for a in argv]) if style != "exec" else tuple(argv)
        found = self.secrets.masked.get(texts)
        if found is None:
            masked = mask_argv(texts, self.secrets.known)
            found = self.secrets.masked[texts] = (masked, masked != list(texts))
        masked, changed = found
        if changed:
            self.drop(where, MASKED_WHY)
        return masked  # (one list for each argument list: a part the services share, see `_Parts`)


def _labels(project: str, service: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": service,
        "app.kubernetes.io/part-of": k8s_name(project),
        "app.kubernetes.io/managed-by": "composegen",
    }


def _selector(project: str, service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": k8s_name(project)}


def _ports(s: _Service) -> list[tuple[int, int, str]]:
    """(service port, container port, protocol) from ports, expose, the command (gunicorn --bind
    0.0.0.0:8000, ...), or the role's known ports."""
    found: dict[tuple[int, str], int] = {}
    for _, published, target, protocol in s.base["ports"]:
        first = published.split("-")[0] if published else ""
        # compose lets a long-syntax `published` be any text: only digits make a Service port
        port = int(first) if first.isascii() and first.isdigit() else int(target)
        found.setdefault((port, protocol.upper()), int(target))
    if s.base["ports"]:
        s.drop("ports", "published on the host in compose: the Service is ClusterIP; add an Ingress or a LoadBalancer")
    for item in s.base["expose"]:
        text = str(item).split("/")[0].split("-")[0]
        if text.isascii() and text.isdigit():  # (`²` is a digit to isdigit, not to int)
            found.setdefault((int(text), "TCP"), int(text))
    if not found:
        argv = [*(s.base.get("entrypoint") or ()), *(s.base.get("command") or s.plan.sizing.command or ())]
        for port, words in command_ports(argv):
            found[(port, "TCP")] = port
            s.chose("ports", f"{port}: read from the command ({words}); none declared")
    if not found:
        for port in ROLE_PORTS.get(s.plan.role, ()):
            found[(port, "TCP")] = port
            s.chose("ports", f"{port}: the port the {s.plan.role} image listens on (none declared)")
    return [(port, target, protocol) for (port, protocol), target in sorted(found.items())]


def _env_value(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": literal(value)}


def _environment(s: _Service) -> list[dict[str, str]]:
    merged: dict[str, str | None] = dict(s.base["environment"])
    for setting in s.plan.environment:
        merged[setting.key] = setting.value
    out = []
    for key, value in sorted(merged.items()):
        if value is None:
            s.drop(f"environment.{key}", "compose passes it from the shell that runs it: set a value or a Secret")
        elif secret_name(key) or mask(value, s.secrets.known) != value:
            out.append(s.secret_ref(key, value))  # a secret, or a value from .env: never in the manifest
        else:
            out.append(s.parts.once(_env_value, key, value))
    for name, value in sorted(s.needed.items()):
        if name not in merged:  # a variable the args now reference: the container needs it
            out.append(s.secret_ref(name, value))
    return out


def _resources(s: _Service) -> dict[str, Any]:
    plan = s.plan
    if plan.pids is not None:
        s.drop(f"pids ({int(plan.pids.value)})", UNMAPPED_WHY["pids"])
    gpus = _gpus(s)
    memory = plan.memory_limit.value
    cpus = plan.cpus.value if plan.cpus is not None else None
    reserved = plan.memory_reservation.value if plan.memory_reservation is not None else None
    return s.parts.once(_limits, memory, cpus, reserved, gpus)


def _limits(memory: float, cpus: float | None, reserved: float | None, gpus: int) -> dict[str, Any]:
    """A container's `resources`: limits from the planned limits, requests from the reservation."""
    limits: dict[str, str] = {"memory": memory_quantity(memory)}
    if cpus is not None:
        limits["cpu"] = cpu_quantity(cpus)
    out: dict[str, Any] = {"limits": limits}
    if reserved is not None:
        out["requests"] = {"memory": memory_quantity(reserved)}
    if gpus:
        # an extended resource: Kubernetes takes it in limits, and requests must equal them
        limits[GPU_RESOURCE] = str(gpus)
        out.setdefault("requests", {})[GPU_RESOURCE] = str(gpus)
    return out


#: The NVIDIA device plugin's resource (github.com/NVIDIA/k8s-device-plugin).
GPU_RESOURCE = "nvidia.com/gpu"


def _gpus(s: _Service) -> int:
    """The GPUs the service reserves in compose (`deploy.resources.reservations.devices`, `gpus:`):
    `all` is the host's GPUs (composegen.yaml host.gpus), else one; pinned device_ids map to their
    count (a pod cannot pin GPUs by index)."""
    reserved = s.inputs.base.gpus
    if reserved is None:
        return s.plan.gpus  # what the overlay reserves for an inference engine on a GPU host
    host = s.inputs.host.gpus if s.inputs.host is not None else None
    if reserved.device_ids:
        s.drop(f"GPU device_ids {list(reserved.device_ids)}", f"a pod asks for a number of {GPU_RESOURCE}, not indices")
    elif reserved.number is None:
        s.chose(
            f"{GPU_RESOURCE}: {host.count if host is not None else 1}",
            "compose's `count: all`: the host's GPUs (host.gpus)"
            if host is not None
            else "`count: all`, and composegen.yaml names no host.gpus: one",
        )
    return reserved.gpus(host.count if host is not None else 1)


def _security(s: _Service) -> dict[str, Any]:
    hard = s.plan.hardening
    base = s.base
    options = base.get("security_opt") or []
    for option in options:
        if option not in ("no-new-privileges:true", "no-new-privileges"):
            s.drop(f"security_opt {option}", "no securityContext field says the same")
    ids: tuple[int, int | None] | None = None  # (uid, gid)
    user = hard.user or base.get("user")
    if user:
        uid, _, gid = str(user).partition(":")
        if str(user).isascii() and uid.isdigit() and (not gid or gid.isdigit()):  # (`²` is a digit to isdigit)
            ids = (int(uid), int(gid) if gid else None)
        else:
            s.drop(f"user {user}", "Kubernetes runs as a numeric uid: give the number")
    return s.parts.once(
        _security_context,
        bool(hard.no_new_privileges or "no-new-privileges:true" in options),
        bool(hard.read_only or base.get("read_only")),
        bool(base.get("privileged")),
        tuple(base.get("cap_add") or ()),
        tuple(hard.cap_drop or base.get("cap_drop") or ()),
        ids,
    )


def _security_context(
    no_new_privileges: bool,
    read_only: bool,
    privileged: bool,
    cap_add: tuple[str, ...],
    cap_drop: tuple[str, ...],
    ids: tuple[int, int | None] | None,
) -> dict[str, Any]:
    """A container's securityContext from the hardening (the profile's, else the base's)."""
    context: dict[str, Any] = {}
    if no_new_privileges:
        context["allowPrivilegeEscalation"] = False
    if read_only:
        context["readOnlyRootFilesystem"] = True
    if privileged:
        context["privileged"] = True
    capabilities: dict[str, list[str]] = {}
    if cap_add:
        capabilities["add"] = list(cap_add)
    if cap_drop:
        capabilities["drop"] = list(cap_drop)
    if capabilities:
        context["capabilities"] = capabilities
    if ids is not None:
        context["runAsUser"] = ids[0]
        if ids[1] is not None:
            context["runAsGroup"] = ids[1]
    return context


def _volumes(s: _Service) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(pod volumes, container mounts, claim templates)."""
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    parts = s.parts
    own = s.inputs.base.overlay_mounts(s.plan.tmpfs)
    for index, mount in enumerate(own):
        name = f"tmpfs-{index}"
        volumes.append(parts.once(_memory_volume, name, mount.size.value))
        mounts.append(parts.once(_mount, name, mount.path))
    # the base's sized ones, counted in the limit (not a size assumed for one the base left unsized)
    counted = {m.path: m.size.value for m in s.plan.tmpfs if m.size.source_kind != "assumed"}
    for index, target in enumerate(s.inputs.base.tmpfs_targets):
        name = f"base-tmpfs-{index}"
        empty: dict[str, Any] = {"medium": "Memory"}
        if target in counted:
            empty["sizeLimit"] = memory_quantity(counted[target])
        else:
            s.drop(f"tmpfs {target} size", "the base file's tmpfs has no size composegen reads: set emptyDir.sizeLimit")
        volumes.append({"name": name, "emptyDir": empty})
        mounts.append({"name": name, "mountPath": target})
    shm = s.plan.sizing.shm_size
    if shm is not None:
        volumes.append(parts.once(_memory_volume, "dshm", shm.value))
        mounts.append(parts.once(_mount, "dshm", "/dev/shm"))
    for source, target, read_only in s.named_volumes:
        name = k8s_name(source)
        mounts.append({"name": name, "mountPath": target, **({"readOnly": True} if read_only else {})})
        claims.append(_claim(s, name))
    for source, target in s.plan.sizing.volumes:
        name = k8s_name(source)
        volumes.append({"name": name, "emptyDir": {}})
        mounts.append({"name": name, "mountPath": target})
        s.chose(f"volume {source}", "a cache: an emptyDir per pod, refilled after a restart")
    root = s.planned.project.root
    for kind, source, target, _ in s.base["volumes"]:
        if kind not in ("volume", "tmpfs"):
            shown = Path(source).relative_to(root) if source and Path(source).is_relative_to(root) else source
            s.drop(f"volumes {shown}:{target}", f"a {kind} mount of the host: use a ConfigMap, a Secret or the image")
    return volumes, mounts, claims


def _memory_volume(name: str, size: float) -> dict[str, Any]:
    """A pod volume in memory (tmpfs, /dev/shm) of at most `size` bytes."""
    return {"name": name, "emptyDir": {"medium": "Memory", "sizeLimit": memory_quantity(size)}}


def _mount(name: str, path: str) -> dict[str, str]:
    return {"name": name, "mountPath": path}


def _claim(s: _Service, name: str) -> dict[str, Any]:
    dataset = s.inputs.spec.dataset
    if dataset:
        factor = s.planned.profile.profile.tmpfs.dataset_factor
        size = math.ceil(dataset * factor / GIB) * GIB
        s.chose(f"claim {name}", f"{memory_quantity(size)}: dataset {format_bytes(dataset)} × {factor:g}, whole GiB")
    else:
        size = DEFAULT_CLAIM
        s.chose(f"claim {name}", f"{memory_quantity(size)}: no dataset in composegen.yaml, a default; resize it")
    return {
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": memory_quantity(size)}}},
    }


def _healthcheck_test(s: _Service) -> list[str] | None:
    if s.plan.healthcheck is None:
        return None
    planned = s.plan.healthcheck.test_as_run  # (the base's own test is read with `$$` as `$` already)
    if planned is not None:
        return list(planned)
    found = s.base.get("healthcheck") or {}
    test = found.get("test")
    return list(test) if isinstance(test, list) else None


def _container_ports(ports: tuple[tuple[int, int, str], ...]) -> list[dict[str, Any]]:
    return [{"containerPort": target, "protocol": proto} for _, target, proto in ports]


def _probes(health: Healthcheck, command: tuple[str, ...]) -> dict[str, Any]:
    return probes(list(command), health)


def _container(s: _Service, mounts: list[dict[str, Any]], ports: list[tuple[int, int, str]]) -> dict[str, Any]:
    base = s.base
    container: dict[str, Any] = {"name": s.name}
    if base.get("image"):
        container["image"] = base["image"]
    else:
        s.drop("image", "the service only builds: build, push and name the image")
    if base.get("entrypoint"):
        container["command"] = s.unbaked([literal(a) for a in base["entrypoint"]], "command", "args")
    args = base.get("command") or (list(s.plan.sizing.command) if s.plan.sizing.command else None)
    if args:
        container["args"] = s.unbaked([literal(a) for a in args], "args", "args")
    test = _healthcheck_test(s)
    command = exec_command(test) if test else None
    if command is not None and test is not None:
        command = s.unbaked(command, "healthcheck", "shell" if test[0] == "CMD-SHELL" else "exec")
    if base.get("working_dir"):
        container["workingDir"] = base["working_dir"]
    if ports:
        container["ports"] = s.parts.once(_container_ports, tuple(ports))
    env = _environment(s)
    if env:
        container["env"] = env
    container["resources"] = _resources(s)
    if s.plan.healthcheck is not None and command is not None:
        container.update(s.parts.once_per_object(_probes, s.plan.healthcheck, tuple(command)))
    elif test:
        s.drop("healthcheck", f"test {test[0]} has no probe form")
    security = _security(s)
    if security:
        container["securityContext"] = security
    if mounts:
        container["volumeMounts"] = mounts
    for key, k8s_key in (("tty", "tty"), ("stdin_open", "stdin")):
        if base.get(key):
            container[k8s_key] = True
    return container


def _pod(s: _Service, project: str, volumes: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, Any]:
    if s.base["labels"]:
        annotations = {k: s.unbaked([str(v)], f"label {k}")[0] for k, v in sorted(s.base["labels"].items())}
        annotations.update(dict(s.plan.labels))
    else:  # (most services: the plan's labels alone, the same for a role and its limits)
        annotations = s.parts.once_per_object(dict, s.plan.labels)
    spec: dict[str, Any] = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    grace = s.base.get("stop_grace_period")
    if isinstance(grace, (int, float)):
        spec["terminationGracePeriodSeconds"] = math.ceil(grace)
    metadata: dict[str, Any] = {"labels": _labels(project, s.name)}
    if annotations:
        metadata["annotations"] = annotations
    return {"metadata": metadata, "spec": spec}


def _workload(s: _Service, project: str, pod: dict[str, Any], claims: list[dict[str, Any]]) -> Manifest:
    spec: dict[str, Any] = {"replicas": s.replicas, "selector": {"matchLabels": _selector(project, s.name)}}
    kind = "StatefulSet" if s.stateful else "Deployment"
    if s.stateful:
        spec["serviceName"] = s.name
    elif s.plan.role == "agent":
        spec.update(_agent_rollout(s))
    spec["template"] = pod
    if claims:
        spec["volumeClaimTemplates"] = claims
    metadata = {
        "name": s.name,
        "labels": _labels(project, s.name),
        "annotations": s.parts.once(_annotations, s.planned.profile.profile.name, s.plan.role, s.planned.digest),
    }
    return Manifest(kind, s.name, {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata, "spec": spec})


def _annotations(profile: str, role: str, digest: str) -> dict[str, str]:
    return {"composegen.io/profile": profile, "composegen.io/role": role, "composegen.io/inputs": digest}


def _agent_rollout(s: _Service) -> dict[str, Any]:
    """The profile's agent rollout (`agents.update_parallelism`, `update_delay`, which the Swarm
    target writes as update_config): at most that many agents down at once, none added, and each
    new pod ready for the delay before the next ones go."""
    policy = s.planned.profile.profile.agents
    return {
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": policy.update_parallelism, "maxSurge": 0},
        },
        "minReadySeconds": math.ceil(policy.update_delay),
    }


def _service(s: _Service, project: str, ports: list[tuple[int, int, str]]) -> Manifest | None:
    if not ports and not s.stateful:
        s.drop("network", "no ports declared or known: no Service, so other pods cannot reach it by name")
        return None
    spec: dict[str, Any] = {"selector": _selector(project, s.name)}
    if s.stateful:
        spec["clusterIP"] = "None"  # headless: the StatefulSet's serviceName, one DNS name per pod
    if ports:
        spec["ports"] = s.parts.once(_service_ports, tuple(ports))
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": s.name, "labels": _labels(project, s.name)}}
    return Manifest("Service", s.name, {**body, "spec": spec})


def _service_ports(ports: tuple[tuple[int, int, str], ...]) -> list[dict[str, Any]]:
    return [
        {"name": f"{proto.lower()}-{port}", "port": port, "targetPort": target, "protocol": proto}
        for port, target, proto in ports
    ]


def _behavior(b: ScaleBehavior) -> dict[str, Any]:
    out: dict[str, Any] = {"stabilizationWindowSeconds": math.ceil(b.stabilization_window), "selectPolicy": b.select}
    if b.policies:
        out["policies"] = [{"type": p.type, "value": p.value, "periodSeconds": math.ceil(p.period)} for p in b.policies]
    return out


def _metrics(cpu: str | None, memory_target: int) -> list[dict[str, Any]]:
    """The autoscaler's targets: `cpu` (a quantity; None: no CPU limit) and `memory_target` bytes."""
    metrics: list[dict[str, Any]] = []
    if cpu is not None:
        metrics.append(
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": cpu}}}
        )
    metrics.append(
        {
            "type": "Resource",
            "resource": {
                "name": "memory",
                "target": {"type": "AverageValue", "averageValue": memory_quantity(memory_target)},
            },
        }
    )
    return metrics


def _autoscaler(s: _Service, project: str, policy: AutoscalingPolicy) -> Manifest:
    memory_target = math.floor(s.plan.memory_limit.value * policy.memory / MIB) * MIB
    cpu = None
    if s.plan.cpus is not None:
        cpu = cpu_quantity(max(0.001, s.plan.cpus.value * policy.cpu))
    else:
        s.drop("autoscaling cpu", "no CPU limit to take a share of: the HPA scales on memory only")
    if s.parts.behavior is None:
        s.parts.behavior = {"scaleUp": _behavior(policy.scale_up), "scaleDown": _behavior(policy.scale_down)}
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": s.name},
        "minReplicas": s.replicas,
        "maxReplicas": max(s.replicas, math.ceil(s.replicas * policy.max_replicas_factor)),
        "metrics": s.parts.once(_metrics, cpu, memory_target),
        "behavior": s.parts.behavior,
    }
    body = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": s.name, "labels": _labels(project, s.name)},
        "spec": spec,
    }
    return Manifest("HorizontalPodAutoscaler", s.name, body)


def _other_keys(s: _Service) -> None:
    for key in [key for key, value in s.base.items() if value and key not in HANDLED]:  # (most values are empty)
        s.drop(key, UNMAPPED_WHY.get(key, "no Kubernetes form in composegen's export"))
    if s.base.get("depends_on"):
        s.drop("depends_on", UNMAPPED_WHY["depends_on"])
    if s.base.get("logging") or s.plan.logging is not None:
        s.drop("logging", UNMAPPED_WHY["logging"])
    if s.base.get("build") and s.base.get("image"):
        s.drop("build", UNMAPPED_WHY["build"])
    networks = [n for n in s.base["networks"] if n != "default"]
    if networks:
        s.drop(f"networks {', '.join(networks)}", "one pod network in Kubernetes: use NetworkPolicies to separate")
    restart = s.plan.restart or s.base.get("restart")
    if restart and restart not in ("always", "unless-stopped"):
        s.drop(f"restart {restart}", "Deployments and StatefulSets always restart their pods")


#: The keys of a compose service that hold what is its own in a stack of alike services (its
#: command with its password, its environment); `_base` reads them, and a healthcheck's test,
#: for each service.
_OWN_KEYS = frozenset({"command", "entrypoint", "environment"})
#: A healthcheck with no `test` (`_base`: not the same as a test of None, which compose drops).
_NO_TEST = object()


def _base(service: Mapping[str, Any], root: Path, parts: _Parts) -> dict[str, Any]:
    """`canonical_service(service, root)`, its other keys' forms worked out once per distinct rest
    of the service where each of those is a text, and a healthcheck's other keys too (7,518
    `image: postgres:16.4`, one `psql` each; 4,016 healthchecks that differ in their test alone):
    no other key's form depends on the own keys' or the test's, nor theirs on another's
    (compose/normalize.py). A service with a list, a mapping or a number besides them is worked out
    whole (a number: `1` and `True` are one key). A healthcheck is a dict as the loader gives it (SDict)."""
    rest: list[tuple[str, Any]] = []
    test: Any = _NO_TEST
    for key, value in service.items():
        if key in _OWN_KEYS:
            continue
        if type(key) is not str:
            return canonical_service(service, root)
        if type(value) is not str:
            if key != "healthcheck" or not isinstance(value, dict) or not _texts_but_test(value):
                return canonical_service(service, root)
            test = value.get("test", _NO_TEST)
            value = tuple((k, v) for k, v in value.items() if k != "test")
        rest.append((key, value))
    kept = tuple(rest)
    found = parts.canonical.get(kept)
    if found is None:
        alike = {key: dict(value) if type(value) is tuple else value for key, value in rest}  # (a healthcheck)
        found = parts.canonical[kept] = canonical_service(alike, root)
    out = dict(found)  # (the own keys are in it, each in its place: assigned again below)
    out["command"] = _argv(service.get("command"))
    out["entrypoint"] = _argv(service.get("entrypoint"))
    out["environment"] = key_value_mapping(service.get("environment"))
    if test is not _NO_TEST and test is not None:  # (the test first, as compose/normalize.py writes it)
        out["healthcheck"] = {
            "test": ["CMD-SHELL", test] if type(test) is str else _as_list(test),
            **found["healthcheck"],
        }
    return out


def _texts_but_test(healthcheck: dict[Any, Any]) -> bool:
    """Whether each key of a healthcheck is a text, and so is each value but its test's."""
    return all(type(key) is str and (key == "test" or type(value) is str) for key, value in healthcheck.items())


def _as_list(value: Any) -> list[str]:
    """A healthcheck's test that is not a text, as compose/normalize.py lists it."""
    return [go_format(v) for v in value] if isinstance(value, list) else [go_format(value)]


def _argv(value: Any) -> Any:
    """A `command` or `entrypoint` in canonical form: the argument list, or the value as it is where
    compose would refuse it (as `canonical_service` leaves it)."""
    try:
        return shell_split(value)
    except (UnitError, SyntaxProblem, ValueError, TypeError):
        return value


def service_manifests(
    plan: ServicePlan,
    inputs: ServiceInputs,
    planned: Planned,
    unmapped: list[Note],
    defaults: list[Note],
    secrets: _Secrets | None = None,
    parts: _Parts | None = None,
) -> ServiceManifests:
    """The manifests of one service; what it cannot map goes to `unmapped`, chosen values to
    `defaults`, its secret environment to `secrets` (the Secret all services read); `parts`: the
    export's shared parts (see `_Parts`)."""
    project = planned.base.name or "default"
    parts = parts if parts is not None else _Parts()
    s = _Service(
        plan,
        inputs,
        _base(planned.base.service(plan.name), planned.project.root, parts),
        planned,
        unmapped,
        defaults,
        secrets if secrets is not None else _stack_secrets(planned),
        parts,
    )
    if s.name != plan.name:
        s.chose("name", f"{s.name}: Kubernetes names are lowercase letters, digits and '-'")
    ports = _ports(s)
    volumes, mounts, claims = _volumes(s)
    container = _container(s, mounts, ports)
    manifests = [_workload(s, project, _pod(s, project, volumes, container), claims)]
    service = _service(s, project, ports)
    if service is not None:
        manifests.append(service)
    autoscaling = planned.profile.profile.autoscaling
    if autoscaling is not None and not s.stateful and s.replicas >= 1:
        manifests.append(_autoscaler(s, project, autoscaling))
    _other_keys(s)
    comment = f"{plan.name}: role {plan.role}; memory limit {plan.memory_limit.show()}"
    return ServiceManifests(plan.name, comment, tuple(manifests), _overrides(s))


#: Where a pod writes each base figure composegen may write over (memswap_limit has no form:
#: `_other_keys` reports it), and how it writes the value.
OVERRIDDEN_FIELDS: Mapping[str, tuple[str, Callable[[float], str]]] = {
    "memory_limit": ("resources.limits.memory", memory_quantity),
    "memory_reservation": ("resources.requests.memory", memory_quantity),
    "cpus": ("resources.limits.cpu", cpu_quantity),
    "shm_size": ("/dev/shm emptyDir sizeLimit", memory_quantity),
}


def _overrides(s: _Service) -> tuple[str, ...]:
    """Each base figure the manifests write another value over, as a note (also in `defaults`)."""
    texts = []
    for override in s.plan.overrides:
        found = OVERRIDDEN_FIELDS.get(override.found.setting)
        if found is not None:
            field_name, written = found
            text = override.text(f"{field_name} {written(override.value)}")
            s.chose(field_name, text)
            texts.append(text)
    return tuple(texts)


def _stack_secrets(planned: Planned) -> _Secrets:
    project = planned.base.name or "default"
    return _Secrets(k8s_name(f"{project}-secrets"), planned.secrets, planned.base.interpolated_variables(), {})


def export_k8s(planned: Planned) -> K8sExport:
    """Manifests for every service of the plan."""
    unmapped: list[Note] = []
    defaults: list[Note] = []
    secrets = _stack_secrets(planned)
    parts = _Parts()
    by_name = {i.name: i for i in planned.inputs}
    services = tuple(
        service_manifests(p, by_name[p.name], planned, unmapped, defaults, secrets, parts)
        for p in planned.stack.services
    )
    stack = planned.stack
    if stack.network is not None or stack.network_mtu is not None or stack.network_internal:
        unmapped.append(Note("*", "network", "the profile's network name, MTU or internal flag: one pod network"))
    return K8sExport(
        planned.base.name or "default",
        planned.profile.profile.name,
        planned.digest,
        services,
        tuple(unmapped),
        tuple(defaults),
        secrets.name,
        tuple(sorted(secrets.keys)),
    )


# --- output ----------------------------------------------------------------------------------


def _header(exported: K8sExport) -> str:
    return (
        f"{export_header('k8s')}\n"
        f"# profile: {exported.profile}   project: {exported.project}   inputs: {exported.digest}\n"
        f"# for Kubernetes {KUBERNETES_VERSION}; apply: kubectl apply -f FOLDER\n"
    )


def service_text(
    exported: K8sExport, service: ServiceManifests, documents: Documents | None = None, header: str | None = None
) -> str:
    """One service's file: the header, a comment naming the service, its documents. `documents`:
    one writer for every service's (each text quoted once for all); `header`: `_header(exported)`,
    made once for all of them."""
    comment = "\n".join("# " + _one_line(c) for c in (service.comment, *service.overrides))
    lines = (documents or Documents()).lines([m.body for m in service.manifests])
    # (one join: the file's text is copied once; the header ends with a line break)
    return "\n".join([(_header(exported) if header is None else header) + comment, *lines, ""])


_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")


def _one_line(text: str) -> str:
    """`text` with each run of control characters made one space (a printable text has none)."""
    return text if text.isprintable() else _CONTROLS.sub(" ", text)


def stream_text(exported: K8sExport) -> str:
    """Every manifest in one stream (`-o -`)."""
    documents = Documents()
    bodies = [documents.dump_all([m.body for m in s.manifests]) for s in exported.services]
    return _header(exported) + "---\n".join(bodies)


def secret_command(exported: K8sExport, env_file: str = "FILE") -> str:
    """The command that creates the Secret the manifests read, from an env file of KEY=value lines."""
    return f"kubectl create secret generic {exported.secret} --from-env-file={env_file}"


def secret_example_text(exported: K8sExport) -> str:
    """`SECRET_EXAMPLE`: the Secret's keys with empty values, and how to create it."""
    return (
        f"{export_header('k8s')}\n"
        f"# The keys of Secret {exported.secret}, which the manifests read; no value is written here.\n"
        "# Fill them in a copy kept out of version control (secret.env), then:\n"
        f"#   {secret_command(exported, 'secret.env')}\n" + "".join(f"{key}=\n" for key in exported.secret_keys)
    )


def secret_note(exported: K8sExport) -> str | None:
    """What the user must do before applying the manifests: create their Secret."""
    if not exported.secret_keys:
        return None
    return (
        f"secret: the manifests read {', '.join(exported.secret_keys)} from Secret {exported.secret} (no value is "
        f"written): create it from an env file of KEY=value lines ({SECRET_EXAMPLE} lists the keys): "
        f"{secret_command(exported)}"
    )


def write_manifests(
    exported: K8sExport,
    folder: Path,
    *,
    force: bool = False,
    inputs: Collection[Path] = (),
    root: Path | None = None,
) -> Written:
    """One file per service in `folder` (created if missing), and the keys of the Secret they
    read (`SECRET_EXAMPLE`), all or nothing: on a failure the folder is as it was (see
    render.writer.write_folder_atomic)."""
    documents = Documents()
    header = _header(exported)
    files = [
        (folder / f"{k8s_name(s.service)}.yaml", service_text(exported, s, documents, header))
        for s in exported.services
    ]
    if exported.secret_keys:
        files.append((folder / SECRET_EXAMPLE, secret_example_text(exported)))
    new = write_export_folder(folder, files, force=force, inputs=inputs, root=root)
    return Written([path for path, _ in files], new)


class Written(NamedTuple):
    """The files `write_manifests` wrote, and whether their folder is new (holds them alone)."""

    files: list[Path]
    new_folder: bool


def stale_files(folder: Path, written: Sequence[Path]) -> list[Path]:
    """Files composegen generated in `folder` earlier for services the stack no longer has: left in
    place (never deleted), but `kubectl apply -f FOLDER` would still apply them."""
    ours = {p.name for p in written if p.parent == folder}  # (a set: a list looked through for each file is quadratic)
    try:  # (names, not a Path for each of the thousands of files: most are the ones just written)
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if entry.name.endswith(".yaml") and entry.name not in ours]
    except OSError:  # a folder that cannot be read holds nothing to warn of, as for glob
        return []
    return sorted(p for p in (folder / name for name in names) if exported_by_us(p))


def _secret_json(exported: K8sExport) -> dict[str, Any]:
    return {"name": exported.secret, "keys": list(exported.secret_keys), "create": secret_command(exported)}


def k8s_json(exported: K8sExport, written: list[str], stale: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "profile": exported.profile,
        "project": exported.project,
        "kubernetes": KUBERNETES_VERSION,
        "files": written,
        **({"stale": list(stale)} if stale else {}),
        "manifests": [{"kind": m.kind, "name": m.name} for m in exported.manifests()],
        "unmapped": [n.as_dict() for n in exported.unmapped],
        "defaults": [n.as_dict() for n in exported.defaults],
        **({"secret": _secret_json(exported)} if exported.secret_keys else {}),
    }
