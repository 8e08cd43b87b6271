"""Per-tier `.env` files and an overlay that reads them (`composegen export env`).

A tier (profile key `tiers`: dev, prod-small, prod-large in prod) gives inputs: a host, workers for
every service that runs workers, replicas for every stateless service, agents for every service
that runs agents. Each tier is planned by the calculators with those inputs in place of
composegen.yaml's (`plan_stack`, the same path as `render`), never by scaling numbers.

The overlay is the profile's own overlay (`render.layout`) with each per-tier value replaced
by a variable whose default is the profile's own value: `"${API_MEMORY_LIMIT:-896M}"`. Variable
names: the service name upper-cased, every character other than A-Z and 0-9 turned into `_`, then
- `_MEMORY_LIMIT`, `_MEMORY_RESERVATION`, `_CPUS`: always (the limits, or the legacy keys the base
  file uses: mem_limit, mem_reservation, cpus);
- `_REPLICAS`, when a tier changes the replica count;
- `_ENV_<KEY>` for an environment value, `_LABEL_<KEY>` for a label value, when a tier changes it
  (WEB_CONCURRENCY follows the workers, composegen.memory.* labels follow the limit).
Anything else that differs between tiers (a command, a healthcheck, a tmpfs size) keeps the
profile's value and is reported as a warning. Use:

    docker compose --env-file .env --env-file .env.prod-small -f docker-compose.yml \\
        -f docker-compose.prod.tiers.yml up

(`--env-file` replaces the project's `.env`: name it first when the base file needs it.)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from composegen import __version__
from composegen.errors import InputError
from composegen.export.k8s import STATEFUL_ROLES
from composegen.export.output import export_header, write_exports
from composegen.profiles.models import Profile, ServiceSpec, Tier
from composegen.render.context import service_context, stack_context
from composegen.render.layout import overlay_text
from composegen.render.overlay import Planned, check_overlay
from composegen.sizing.model import ServiceInputs, ServicePlan, StackPlan
from composegen.sizing.plan import host_fit, plan_stack
from composegen.sizing.quantity import given

#: Roles whose calculator reads `workers` (python_web, worker, ml, pytest_runner).
WORKER_ROLES = frozenset({"python-web", "worker", "ml-inference", "pytest"})
#: (context list, key) → variable suffix; the legacy keys say the same outside `deploy`.
SLOTS: Mapping[tuple[str, str], str] = {
    ("limits", "memory"): "MEMORY_LIMIT",
    ("limits", "cpus"): "CPUS",
    ("reservations", "memory"): "MEMORY_RESERVATION",
    ("legacy", "mem_limit"): "MEMORY_LIMIT",
    ("legacy", "cpus"): "CPUS",
    ("legacy", "mem_reservation"): "MEMORY_RESERVATION",
}
#: Context keys a variable can stand in for; a difference anywhere else is a warning.
VARIABLE_KEYS = ("limits", "reservations", "legacy", "replicas", "environment", "labels")
_SAFE_DEFAULT = re.compile(r"^[^${}\n]*$")
_PLAIN_ENV = re.compile(r"^[A-Za-z0-9_.,:/@%+=-]*$")


def variable_prefix(service: str) -> str:
    """`llm-proxy` → `LLM_PROXY`."""
    return re.sub(r"[^A-Z0-9]", "_", service.upper())


@dataclass(frozen=True)
class TierPlan:
    name: str
    description: str
    stack: StackPlan


@dataclass(frozen=True)
class Variable:
    name: str
    service: str
    what: str  # "limits.memory", "environment.WEB_CONCURRENCY", ...
    default: str
    values: Mapping[str, str]  # by tier


@dataclass(frozen=True)
class TiersExport:
    profile: str
    overlay: Path
    overlay_text: str
    env_files: tuple[tuple[Path, str], ...]
    variables: tuple[Variable, ...]
    tiers: tuple[TierPlan, ...]
    warnings: tuple[str, ...]


# --- planning a tier -------------------------------------------------------------------------


def _tier_inputs(inputs: Sequence[ServiceInputs], tier: Tier, host: Any) -> list[ServiceInputs]:
    """The stack's inputs with the tier's workers, agents and host in place of composegen.yaml's."""
    changed = []
    for item in inputs:
        update: dict[str, Any] = {}
        if tier.workers is not None and item.role in WORKER_ROLES:
            update["workers"] = tier.workers
        if tier.agents is not None and item.spec.agents is not None:
            update["agents"] = tier.agents
        spec = item.spec
        if update:  # the shared default spec is a plain namespace (profiles.plain): build a real one
            fields = spec.model_dump() if isinstance(spec, ServiceSpec) else dict(vars(spec))
            spec = ServiceSpec.model_validate({**fields, **update})
        changed.append(item._replace(spec=spec, host=host))
    agents = sum(i.spec.agents or 0 for i in changed)
    return [i._replace(stack_agents=agents if i.role != "agent" else 0) for i in changed]


def _with_replicas(plan: ServicePlan, count: int, source: str) -> ServicePlan:
    return replace(plan, sizing=plan.sizing._replace(replicas=given("replicas", count, "count", source)))


def plan_tier(planned: Planned, name: str, tier: Tier) -> TierPlan:
    """One tier planned by the calculators with its own inputs."""
    profile: Profile = planned.profile.profile
    host = tier.host or planned.project.project.host
    stack = plan_stack(_tier_inputs(planned.inputs, tier, host), profile, host)
    if tier.replicas is not None:
        source = f"profile {profile.name}: tiers.{name}.replicas"
        services = tuple(
            _with_replicas(s, tier.replicas, source) if s.role not in STATEFUL_ROLES and s.role != "agent" else s
            for s in stack.services
        )
        fit = host_fit(services, host)
        stack = replace(stack, services=services, fit=fit, warnings=fit.problems)
    return TierPlan(name, tier.description, stack)


def choose_tiers(profile: Profile, names: Sequence[str] | None) -> list[tuple[str, Tier]]:
    if not profile.tiers:
        raise InputError(
            f"profile {profile.name} defines no tiers",
            fix="add `tiers:` to the profile (see profiles/prod.yaml), or use --profile prod",
        )
    chosen = list(names) if names else list(profile.tiers)
    unknown = [n for n in chosen if n not in profile.tiers]
    if unknown:
        raise InputError(
            f"profile {profile.name} has no tier {unknown[0]!r}", fix=f"choose from: {', '.join(profile.tiers)}"
        )
    return [(n, profile.tiers[n]) for n in chosen]


# --- variables -------------------------------------------------------------------------------


def _slots(context: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    """The variable-able values of one service context, by (list, key)."""
    out: dict[tuple[str, str], Any] = {}
    for group in ("limits", "reservations", "legacy", "environment", "labels"):
        for key, value in context[group]:
            out[(group, key)] = value
    out[("replicas", "")] = context["replicas"]
    return out


def _variable_name(service: str, slot: tuple[str, str]) -> str:
    prefix = variable_prefix(service)
    group, key = slot
    if slot in SLOTS:
        return f"{prefix}_{SLOTS[slot]}"
    if group == "replicas":
        return f"{prefix}_REPLICAS"
    kind = "ENV" if group == "environment" else "LABEL"
    return f"{prefix}_{kind}_{re.sub(r'[^A-Z0-9]', '_', key.upper())}"


def _rest(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k not in VARIABLE_KEYS and k != "comment"}


def _variables(
    service: str, default: Mapping[str, Any], tiers: Mapping[str, Mapping[str, Any]], base_replicas: int
) -> tuple[list[Variable], list[str]]:
    """The variables of one service: every limit, and whatever else a tier changes."""
    own = _slots(default)
    per_tier = {name: _slots(ctx) for name, ctx in tiers.items()}
    found: list[Variable] = []
    warnings: list[str] = []
    for slot, value in own.items():
        shown = base_replicas if slot[0] == "replicas" and value is None else value
        values = {name: shown if slots.get(slot) is None else slots[slot] for name, slots in per_tier.items()}
        always = slot in SLOTS
        if not always and all(v == shown for v in values.values()):
            continue
        text = str(shown)
        if not _SAFE_DEFAULT.match(text) or not all(_SAFE_DEFAULT.match(str(v)) for v in values.values()):
            warnings.append(f"{service}: {slot[0]}.{slot[1]} holds `$`, braces or a newline: kept as it is")
            continue
        what = f"{slot[0]}.{slot[1]}" if slot[1] else slot[0]
        found.append(
            Variable(_variable_name(service, slot), service, what, text, {k: str(v) for k, v in values.items()})
        )
    for name, context in tiers.items():
        for key, value in _rest(context).items():
            if value != default.get(key):
                warnings.append(f"{service}: {key} differs in tier {name}: the overlay keeps the profile's")
        missing = set(per_tier[name]) - set(own)
        if missing:
            warnings.append(f"{service}: tier {name} sets {sorted(missing)[0]} that the profile does not")
    return found, warnings


def _substituted(context: dict[str, Any], variables: Sequence[Variable]) -> dict[str, Any]:
    """The service context with each variable's value replaced by `${NAME:-default}`."""
    by_what = {v.what: f"${{{v.name}:-{v.default}}}" for v in variables}
    out = dict(context)
    for group in ("limits", "reservations", "legacy", "environment", "labels"):
        out[group] = [(k, by_what.get(f"{group}.{k}", value)) for k, value in context[group]]
    if "replicas" in by_what:
        out["replicas"] = by_what["replicas"]
    return out


def _env_value(value: str) -> str:
    if _PLAIN_ENV.match(value):
        return value
    if "'" in value:
        raise InputError(f"a tier value holds a single quote: {value!r}", fix="this is a composegen bug: report it")
    return f"'{value}'"


def env_text(tier: TierPlan, variables: Sequence[Variable], profile: str, digest: str) -> str:
    lines = [
        export_header("env"),
        f"# profile: {profile}   tier: {tier.name}{f' ({tier.description})' if tier.description else ''}",
        f"# inputs: {digest}",
        *(f"# warning: {w}" for w in tier.stack.warnings),
    ]
    service = ""
    for variable in variables:
        if variable.service != service:
            service = variable.service
            plan = tier.stack.service(service)
            lines.append(f"# {service}" + (f": memory limit {plan.memory_limit.show()}" if plan else ""))
        lines.append(f"{variable.name}={_env_value(variable.values[tier.name])}")
    return "\n".join(lines) + "\n"


# --- the export ------------------------------------------------------------------------------


def _base_replicas(planned: Planned, service: str) -> int:
    deploy = planned.base.services.get(service, {}).get("deploy") or {}
    found = deploy.get("replicas") if isinstance(deploy, Mapping) else None
    return int(found) if isinstance(found, int) else 1


def export_tiers(planned: Planned, names: Sequence[str] | None, folder: Path | None) -> TiersExport:
    """The overlay and one `.env.<tier>` per tier, in `folder` (default: beside the first compose file)."""
    profile = planned.profile.profile
    tiers = [plan_tier(planned, name, tier) for name, tier in choose_tiers(profile, names)]
    where = folder or planned.project.compose_paths()[0].parent
    overlay = where / f"docker-compose.{profile.name}.tiers.yml"
    by_name = {i.name: i for i in planned.inputs}
    base_files = [
        str(p.relative_to(planned.project.root)) if p.is_relative_to(planned.project.root) else str(p)
        for p in planned.project.compose_paths()
    ]
    context = stack_context(
        planned.stack,
        list(planned.inputs),
        version=__version__,
        digest=planned.digest,
        base_files=base_files,
        output_name=overlay.name,
    )
    variables: list[Variable] = []
    warnings: list[str] = [f"tier {t.name}: {w}" for t in tiers for w in t.stack.warnings]
    services = []
    for default, plan in zip(context["services"], planned.stack.services, strict=True):
        tier_contexts = {t.name: service_context(_plan_of(t, plan.name), by_name[plan.name]) for t in tiers}
        found, problems = _variables(plan.name, default, tier_contexts, _base_replicas(planned, plan.name))
        variables += found
        warnings += problems
        services.append(_substituted(default, found))
    _check_unique(variables)
    rendered = overlay_text({**context, "services": services}).replace(
        "# use: docker compose ", "# use: docker compose [--env-file .env] --env-file .env.TIER ", 1
    )
    text = export_header("env") + "\n" + rendered.split("\n", 1)[1]  # not an overlay --check-all re-renders
    check_overlay(text, planned, overlay)
    env_files = tuple((where / f".env.{t.name}", env_text(t, variables, profile.name, planned.digest)) for t in tiers)
    return TiersExport(profile.name, overlay, text, env_files, tuple(variables), tuple(tiers), tuple(warnings))


def _plan_of(tier: TierPlan, service: str) -> ServicePlan:
    found = tier.stack.service(service)
    assert found is not None  # a tier plans the same services
    return found


def _check_unique(variables: Sequence[Variable]) -> None:
    seen: dict[str, Variable] = {}
    for variable in variables:
        other = seen.setdefault(variable.name, variable)
        if other is not variable:
            raise InputError(
                f"services {other.service!r} and {variable.service!r} both map to variable {variable.name}",
                fix="rename one service: names differing only in case or punctuation share a variable name",
            )


def write_tiers(
    exported: TiersExport, *, force: bool = False, inputs: Collection[Path] = (), root: Path | None = None
) -> list[Path]:
    """Write the overlay and the env files atomically, all or nothing; none over a file composegen
    did not write, nor over one of `inputs`."""
    files = [(exported.overlay, exported.overlay_text), *exported.env_files]
    write_exports(files, force=force, inputs=inputs, root=root)
    return [path for path, _ in files]


def tiers_json(exported: TiersExport, written: list[str]) -> dict[str, Any]:
    return {
        "profile": exported.profile,
        "files": written,
        "tiers": [
            {
                "name": t.name,
                "description": t.description,
                "memory_limits": t.stack.fit.memory_limits.value,
                "memory_reservations": t.stack.fit.memory_reservations.value,
                "cpus": t.stack.fit.cpus.value,
                "fits": not t.stack.fit.problems,
            }
            for t in exported.tiers
        ],
        "variables": [
            {"name": v.name, "service": v.service, "what": v.what, "default": v.default, "values": dict(v.values)}
            for v in exported.variables
        ],
        "warnings": list(exported.warnings),
    }
