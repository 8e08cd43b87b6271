"""From composegen.yaml and the merged base stack to one ServiceInputs per service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composegen.errors import ComposegenError, InputError, UnitError
from composegen.profiles import PROJECT_FILE
from composegen.profiles.plain import default_spec
from composegen.sizing.detect import decided_by_image, detect
from composegen.sizing.gpus import gpu_handed_over, reservation
from composegen.sizing.inputs import BaseService, ServiceInputs
from composegen.units import parse_bytes, parse_cpus

if TYPE_CHECKING:  # the models are read here, never built: lint without composegen.yaml skips pydantic
    from composegen.compose.stack import Stack
    from composegen.facts import ServiceFacts
    from composegen.masking import StackSecrets
    from composegen.models.footprint import ModelFootprint
    from composegen.profiles.loader import LoadedProject
    from composegen.profiles.models import HostSpec, ServiceSpec
    from composegen.yamlio import Document

#: Resource keys outside `deploy` that compose v2 refuses to see contradicted by deploy.resources
#: (facts/compose-spec.md §Units): where the base uses one, the overlay writes that key instead.
LEGACY_KEYS = ("mem_limit", "mem_reservation", "cpus", "pids_limit")


def _command(value: Any) -> str | tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return str(value)


def _environment(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list):
        pairs = (str(item).split("=", 1) for item in value)
        return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}
    return {}


def _targets(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if isinstance(item, dict) and "target" in item:
            found.append(str(item["target"]))
        elif isinstance(item, str):
            parts = item.split(":")
            found.append(parts[1] if len(parts) > 1 else parts[0])
    return tuple(found)


def _bind_mounts(value: Any, root: Path | None) -> tuple[tuple[str, str], ...]:
    """(host path, container path) of each bind mount (`./models:/models:ro`, or `type: bind`),
    a relative host path taken from `root`."""
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if isinstance(item, dict) and item.get("type") == "bind" and "source" in item and "target" in item:
            source, target = str(item["source"]), str(item["target"])
        elif isinstance(item, str) and item[:1] in (".", "/", "~") and ":" in item:
            source, target = item.split(":")[:2]
        else:
            continue
        host = Path(source).expanduser()
        found.append((str(root / host if root is not None and not host.is_absolute() else host), target))
    return tuple(found)


def _build_context(value: Any, root: Path | None) -> str | None:
    """The folder of a build context on the host (`build: ./app` or `build: {context: ./app}`), a
    relative one taken from `root`; None for none, or a git or URL context."""
    if value is None:  # most services: and asking the Mapping ABC about None is slow
        return None
    context = value.get("context", ".") if isinstance(value, Mapping) else value
    if not isinstance(context, str) or "://" in context or context.startswith("git@"):
        return None
    path = Path(context).expanduser()
    return str(root / path if root is not None and not path.is_absolute() else path)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _tmpfs_targets(service: Mapping[str, Any]) -> tuple[str, ...]:
    if "tmpfs" not in service and "volumes" not in service:  # most services
        return ()
    value = service.get("tmpfs")
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    short = [str(v).split(":", 1)[0] for v in items]
    volumes = service.get("volumes")
    long = (
        [str(v["target"]) for v in volumes if isinstance(v, dict) and v.get("type") == "tmpfs" and "target" in v]
        if isinstance(volumes, list)
        else []
    )
    return tuple(short + long)


def _cpus(service: Mapping[str, Any], limits: Mapping[str, Any]) -> float | None:
    """The CPU limit the base sets: deploy.resources.limits.cpus (in `limits`, `_limits`), else
    `cpus`; None when it sets none or one that is not a number (lint says so)."""
    value = limits.get("cpus")
    value = service.get("cpus") if value is None else value
    if value is None:
        return None
    try:
        return parse_cpus(value)
    except UnitError:
        return None


def _limits(service: Mapping[str, Any]) -> Mapping[str, Any]:
    deploy = service.get("deploy")
    if deploy is None:  # most services: and asking the Mapping ABC about None is slow
        return {}
    resources = deploy.get("resources") if isinstance(deploy, Mapping) else None
    limits = resources.get("limits") if isinstance(resources, Mapping) else None
    return limits if isinstance(limits, Mapping) else {}


def _bytes(*values: Any) -> int | None:
    """The first of `values` that is a size, in bytes (None: none is)."""
    for value in values:
        if value is None:
            continue
        try:
            return parse_bytes(value)
        except UnitError:
            return None
    return None


def base_service(name: str, service: Mapping[str, Any], root: Path | None = None) -> BaseService:
    """The facts about one merged base service that sizing reads; relative bind mounts from `root`."""
    get = service.get  # read for each service of the stack: its keys, looked up directly
    health = get("healthcheck")
    has_health = isinstance(health, dict) and not health.get("disable") and bool(health.get("test"))
    image, user = get("image"), get("user")
    plain = BaseService(
        name=name,
        image=None if image is None else str(image),
        command=_command(get("command")),
        entrypoint=_command(get("entrypoint")),
        has_healthcheck=has_health,
        user=None if user is None else str(user),
        environment=_environment(get("environment")),
    )
    return plain if FIGURE_KEYS.isdisjoint(service) else with_figures(plain, service, root)


#: The keys `with_figures` reads: a service that sets none of them (most of a large stack's: an
#: image, a command, an environment) has every one of its fields at the default.
FIGURE_KEYS = frozenset(
    {
        "build", "volumes", "tmpfs", "security_opt", *LEGACY_KEYS, "container_name", "deploy", "mem_limit",
        "memswap_limit", "shm_size", "ipc", "devices", "runtime", "gpus",
    }
)  # fmt: skip


def with_figures(plain: BaseService, service: Mapping[str, Any], root: Path | None) -> BaseService:
    """`plain` (a service's image, command, entrypoint, healthcheck, user and environment) with
    what the rest of `service` says: its build, mounts, resource figures and GPUs."""
    get = service.get
    volumes, memswap = get("volumes"), get("memswap_limit")
    limits = _limits(service)
    return plain._replace(
        has_build="build" in service,
        build_context=_build_context(service.get("build"), root),
        volume_targets=_targets(volumes),
        bind_mounts=_bind_mounts(volumes, root),
        tmpfs_targets=_tmpfs_targets(service),
        security_opt=_strings(get("security_opt")),
        legacy_keys=frozenset(k for k in LEGACY_KEYS if get(k) is not None),
        container_name=get("container_name") is not None,
        cpus=_cpus(service, limits),
        memory_limit=_bytes(get("mem_limit"), limits.get("memory")),
        memswap_limit=None if memswap is None else -1 if str(memswap) == "-1" else _bytes(memswap),
        gpus=reservation(service),
        shares_memory=get("shm_size") is not None or get("ipc") == "host",
        # (a GPU is handed over only through `devices` or `runtime`: most services set neither)
        gpu_handed_over=("devices" in service or "runtime" in service) and gpu_handed_over(service) is not None,
    )


_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))
#: A named tuple of all its fields, without the constructor that reads them by name: one
#: `BaseService` and one `ServiceInputs` per service of a large stack.
_new_tuple = tuple.__new__


#: What `_base_service_once` knows a service by (`_alike`): its keys and values in order, and each value's type.
AlikeKey = tuple[tuple[tuple[str, Any], ...], tuple[type, ...]]
Alike = dict[AlikeKey, BaseService]


def _alike(service: Mapping[str, Any]) -> AlikeKey | None:
    """What services merged from one `<<: *base` anchor share: their keys and values in order, and
    each value's exact type (1, True and 1.0 are equal); None for a service with a value that is no
    scalar, read on its own."""
    types = tuple(map(type, service.values()))
    if not _SCALAR_TYPES.issuperset(types):
        return None
    return (tuple(service.items()), types)


def _base_service_once(
    name: str, service: Mapping[str, Any], root: Path, alike: Alike, key: AlikeKey | None
) -> BaseService:
    """`base_service`, read once for services alike (`key`, their `_alike`): all but the name is
    what they set."""
    if key is None:
        return base_service(name, service, root)
    found = alike.get(key)
    if found is None:
        found = alike[key] = base_service(name, service, root)
    return found if found.name == name else _new_tuple(BaseService, (name, *found[1:]))


def _footprints(spec: ServiceSpec, where: str, root: Path) -> tuple[ModelFootprint, ...]:
    if not spec.models:
        return ()
    from composegen.sizing.catalog import footprint  # lazy: only for services that list models

    return tuple(footprint(ref, where, root) for ref in spec.models)


#: What `detect` said, by what it reads of a service: its image, entrypoint and command, and the
#: environment where there is a command to mask; its image alone where that decides
#: (`_detected`).
Detected = dict[tuple[Any, ...], tuple[str, str]]


def _detected(base: BaseService, secrets: StackSecrets | None, known: Detected) -> tuple[str, str]:
    """`detect`, once per image and command: services merged from one anchor repeat them."""
    if decided_by_image(base.image):  # (a database's image: whatever its command and environment)
        key: tuple[Any, ...] = (base.image,)
    else:
        command = base.entrypoint or base.command
        key = (base.image, base.entrypoint, base.command, tuple(base.environment.items()) if command else ())
    found = known.get(key)
    if found is None:
        found = known[key] = detect(base, secrets)
    return found


def _role(spec: ServiceSpec, base: BaseService, secrets: StackSecrets | None, known: Detected) -> tuple[str, str]:
    if spec.role is not None:
        return spec.role, f"declared in {PROJECT_FILE}"
    if spec.models:
        llm = spec.context_length is not None or spec.concurrent_sequences is not None
        if not llm:  # an LLM server's image or command says so, whatever composegen.yaml lists
            detected, reason = _detected(base, secrets, known)
            if detected == "llm":
                return detected, f"{reason}; {PROJECT_FILE} lists its models"
        role = "llm" if llm else "ml-inference"
        return role, f"inferred: {PROJECT_FILE} lists models" + (" with a context length" if llm else "")
    if spec.agents is not None:
        return "agent", f"inferred: {PROJECT_FILE} gives an agent count"
    return _detected(base, secrets, known)


def stack_facts(stack: Stack, roles: Mapping[str, str] | None = None) -> dict[str, ServiceFacts]:
    """What each service of the merged base stack runs (composegen.facts), its env files'
    variables counted, for the calculators; `roles`: those composegen.yaml declares. None where
    the stack cannot be read so (the facts are a help, never a new refusal)."""
    from composegen.facts import read_stack
    from composegen.facts.read import env_files_of

    try:
        return read_stack(stack, env_files=env_files_of(stack), roles=roles)
    except ComposegenError:
        return {}


def declared_roles(specs: Mapping[str, ServiceSpec]) -> dict[str, str]:
    """The roles composegen.yaml declares, by service."""
    return {name: spec.role for name, spec in specs.items() if spec.role is not None}


def _shared(secrets: Sequence[str]) -> StackSecrets | None:
    """The stack's secret values, searched for together (one search for all its services)."""
    if not secrets:
        return None
    from composegen.masking import StackSecrets  # lazy: a lint knows no secret values

    return StackSecrets(secrets)


def resolve_inputs(
    loaded: LoadedProject,
    services: Mapping[str, Mapping[str, Any]],
    secrets: Sequence[str] = (),
    *,
    stack: Stack | None = None,
    facts: Mapping[str, ServiceFacts] | None = None,
) -> list[ServiceInputs]:
    """One ServiceInputs per base service, in the base file's order; `secrets`, values no role
    reason may quote (Stack.secret_values); with `stack` (the merged base) or its `facts` read
    already, each carries what its command and environment make it run."""
    project = loaded.project
    return resolve_services(
        services,
        project.services,
        host=project.host,
        where=str(loaded.path) if loaded.path else PROJECT_FILE,
        compose_files=project.compose_files,
        document=loaded.document,
        secrets=secrets,
        facts=(
            facts
            if facts is not None
            else stack_facts(stack, declared_roles(project.services))
            if stack is not None
            else None
        ),
    )


def resolve_services(
    services: Mapping[str, Mapping[str, Any]],
    specs: Mapping[str, ServiceSpec],
    *,
    host: HostSpec | None = None,
    where: str = PROJECT_FILE,
    compose_files: Sequence[str] = (),
    document: Document | None = None,
    secrets: Sequence[str] = (),
    facts: Mapping[str, ServiceFacts] | None = None,
) -> list[ServiceInputs]:
    """One ServiceInputs per base service from what composegen.yaml says of each (`specs`; a
    service it does not name gets the defaults), in the base file's order. `document`, the
    composegen.yaml read, puts a line in the errors; `facts` (see `stack_facts`) is what each
    service runs, as the base file says."""

    def place(*keys: str) -> str:
        return document.where(("services", *keys)) if document is not None else where

    unknown = sorted(set(specs) - set(services))
    if unknown:
        raise InputError(
            f"service {unknown[0]!r} is not in the compose files ({', '.join(compose_files)})",
            where=place(unknown[0]),
            fix=f"fix its name in {PROJECT_FILE} or add it to the compose file",
        )
    result = []
    agents = sum((specs[n].agents or 0) for n in services if n in specs)
    root = Path(where).parent
    default = default_spec()
    shared_secrets = _shared(secrets)
    known: Detected = {}
    alike: Alike = {}
    #: the role and reason of services alike that composegen.yaml does not name (the defaults)
    default_roles: dict[AlikeKey, tuple[str, str]] = {}
    for name, service in services.items():
        given = specs.get(name)
        spec = given if given is not None else default
        key = _alike(service)
        base = _base_service_once(name, service, root, alike, key)
        if given is None and key is not None:  # (every service of a large stack from one anchor)
            found = default_roles.get(key)
            if found is None:
                found = default_roles[key] = _role(spec, base, shared_secrets, known)
            role, reason = found
        else:
            role, reason = _role(spec, base, shared_secrets, known)
        models = _footprints(spec, f"{place(name, 'models')}: services.{name}.models", root) if spec.models else ()
        result.append(
            _new_tuple(
                ServiceInputs,
                (
                    name,
                    role,
                    reason,  # role_reason
                    spec,
                    base,
                    models,
                    host,
                    agents if role != "agent" else 0,  # stack_agents
                    facts.get(name) if facts is not None else None,  # facts
                    shared_secrets,  # secrets
                ),
            )
        )
    return result
