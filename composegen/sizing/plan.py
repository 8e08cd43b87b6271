"""Assemble a ServicePlan from a calculator's Sizing and the profile's policy, and the stack plan."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, NamedTuple

from composegen.profiles.models import HostSpec, Profile
from composegen.sizing.base_resources import base_pids, overrides, unsized_tmpfs, with_base_shm, with_base_tmpfs
from composegen.sizing.common import FACTS_SIZING
from composegen.sizing.model import (
    EnvSetting,
    Hardening,
    Healthcheck,
    HostFit,
    Logging,
    ServiceInputs,
    ServicePlan,
    Sizing,
    StackPlan,
    TmpfsMount,
)
from composegen.sizing.quantity import Quantity, given, rounded_up, times, total
from composegen.sizing.roles import CALCULATORS, SIZING_KEYS
from composegen.sizing.runs import base_facts
from composegen.units import MIB, format_bytes

if TYPE_CHECKING:  # (calibrate's measurements are read only where a file is given: not imported otherwise)
    from composegen.sizing.measured import Measurements, ServiceMeasurement

PYTHON_ROLES = frozenset({"python-web", "worker", "pytest", "ml-inference"})
#: Limits are written in whole multiples of 4 MiB, reservations too, whether estimated or measured:
#: never below the derived value (rounded up). A coarser step is slack on top of the profile's
#: margin that nothing used: 16 MiB was up to a quarter of a 64 MiB limit, and put two of
#: bench/servers' rows just over 1.4 × their peak (docs/benchmarks.md, branch band14).
ROUND_STEP = 4 * MIB
_STEP_TEXT = f"{ROUND_STEP // MIB} MiB"


def _whole_mib(n: float) -> int:
    """Alert thresholds in whole MiB, rounded down (an alert fires a little early, never late)."""
    return math.floor(n / MIB) * MIB


def _floored(memory: Quantity, profile: Profile) -> Quantity:
    if memory.value >= profile.memory.minimum:
        return memory
    floor = given("profile minimum", profile.memory.minimum, "bytes", f"profile {profile.name}: memory.minimum")
    return Quantity(memory.name, floor.value, "bytes", "raised to the profile minimum", "", (memory, floor))


#: The first Docker Engine that takes healthcheck.start_interval; compose refuses to create a
#: container that sets it on an older one (facts/compose-spec.md: Engine 25+).
START_INTERVAL_ENGINE = (25, 0)


def engine_supports_start_interval(docker_version: str | None) -> bool:
    """True unless `docker_version` names an Engine older than 25 (unknown: assume a current one)."""
    if not docker_version:
        return True
    numbers = re.findall(r"\d+", docker_version)[:2]
    version = tuple(int(n) for n in numbers) + (0,) * (2 - len(numbers))
    return version >= START_INTERVAL_ENGINE


def _healthcheck(
    inputs: ServiceInputs,
    profile: Profile,
    startup: Quantity,
    test: tuple[str, ...] | None,
    start_interval_ok: bool = True,
) -> Healthcheck | None:
    if not inputs.base.has_healthcheck and test is None:
        return None
    policy = profile.healthcheck
    src = f"profile {profile.name}: healthcheck"
    margin = given("startup margin", policy.startup_margin, "ratio", f"{src}.startup_margin")
    covered = times("startup × margin", startup, margin, unit="seconds")
    floor = given("minimum start_period", policy.minimum_start_period, "seconds", f"{src}.minimum_start_period")
    start_period = (
        covered
        if covered.value >= floor.value
        else Quantity("start_period", floor.value, "seconds", "raised to the minimum", "", (covered, floor))
    )
    start_period = rounded_up(start_period.renamed("start_period"), 1, "second")
    return Healthcheck(
        test=None if inputs.base.has_healthcheck else test,
        interval=given("interval", policy.interval, "seconds", f"{src}.interval"),
        timeout=given("timeout", min(policy.timeout, policy.interval), "seconds", f"{src}.timeout (below interval)"),
        retries=policy.retries,
        start_period=start_period,
        start_interval=(
            given("start_interval", policy.start_interval, "seconds", f"{src}.start_interval")
            if policy.start_interval and start_interval_ok
            else None
        ),
    )


def _hardening(inputs: ServiceInputs, profile: Profile, allowed: bool) -> tuple[Hardening, tuple[str, ...]]:
    policy = profile.hardening
    notes: list[str] = []
    if not allowed and (policy.read_only or policy.user or policy.cap_drop):
        notes.append(
            f"no read_only, user or cap_drop for role {inputs.role}: its image needs root "
            "or a writable root filesystem at start"
        )
    user = policy.user if allowed and inputs.base.user is None else None
    return Hardening(
        read_only=policy.read_only and allowed,
        no_new_privileges=policy.no_new_privileges,
        user=user,
        cap_drop=policy.cap_drop if allowed else (),
    ), tuple(notes)


def _profile_environment(role: str, profile: Profile) -> dict[str, EnvSetting]:
    """The profile's environment for a role (all, python, role), pytest's settings included."""
    merged: dict[str, EnvSetting] = {}
    groups = ["all", *(["python"] if role in PYTHON_ROLES else []), role]
    for group in groups:
        for key, value in profile.environment.get(group, {}).items():
            merged[key] = EnvSetting(key, value, note=f"profile {profile.name}: environment.{group}")
    if profile.pytest is not None and role in PYTHON_ROLES:
        src = f"profile {profile.name}: pytest"
        for key, value, note in (
            ("PYTEST_MODE", profile.pytest.mode, f"{src}.mode"),
            (
                "PYTEST_COLLECTION_TIMEOUT",
                str(int(profile.pytest.collection_timeout)),
                f"{src}.collection_timeout, seconds",
            ),
            (
                "PYTEST_TIMEOUT",
                str(int(profile.pytest.execution_timeout)),
                f"{src}.execution_timeout, seconds (pytest-timeout reads PYTEST_TIMEOUT)",
            ),
        ):
            merged[key] = EnvSetting(key, value, note=note)
    return merged


def _environment(
    inputs: ServiceInputs,
    profile: Profile,
    derived: Sequence[EnvSetting],
    profile_part: Mapping[str, EnvSetting] | None = None,
) -> tuple[EnvSetting, ...]:
    """Profile environment (all, python, role) < calculator values < composegen.yaml values.
    `profile_part`: the profile's for the service's role, made already (`_Policy`)."""
    merged = dict(profile_part if profile_part is not None else _profile_environment(inputs.role, profile))
    for setting in derived:
        merged[setting.key] = setting
    for key, value in inputs.spec.environment.items():
        merged[key] = EnvSetting(key, value, note=f"composegen.yaml: services.{inputs.name}.environment")
    return tuple(sorted(merged.values(), key=lambda e: e.key))


class _Policy(NamedTuple):
    """What `plan_service` takes from the profile alone (and the Engine version), made once for a
    stack: every service would make the same values again. Quantities and the Logging are
    immutable, so services share them; the dictionaries fill as roles and limits come up."""

    start_interval_ok: bool
    tmp: Quantity | None  # the read-only root's /tmp, where the profile asks for read_only
    reservation_ratio: Quantity | None
    pids: Quantity | None
    logging: Logging | None
    environment: dict[str, dict[str, EnvSetting]]  # by role: `_profile_environment`
    hardening: dict[tuple[str, bool, bool], tuple[Hardening, tuple[str, ...]]]  # (role, allowed, user unset)
    labels: dict[tuple[str, float], tuple[tuple[str, str], ...]]  # (role, memory limit)
    #: `_healthcheck` by (the base has one, the calculator's test, the startup): the same
    #: quantities make the same values (explain already shows equal quantities as one)
    healthchecks: dict[tuple[bool, tuple[str, ...] | None, Quantity], Healthcheck | None]
    #: a calculator's sizing by its key (`SIZING_KEYS`): services with equal inputs share one
    sizings: dict[tuple[object, ...], Sizing]
    #: `_limits_once` by the ids of a sizing's memory and mounts, and whether /tmp is added
    limits: dict[
        tuple[int, int, bool],
        tuple[Quantity, tuple[TmpfsMount, ...], tuple[tuple[TmpfsMount, ...], Quantity, Quantity | None]],
    ]


def _policy(profile: Profile, docker_version: str | None) -> _Policy:
    name = profile.name
    tmp = (
        given("tmpfs /tmp", profile.hardening.tmp_size, "bytes", f"profile {name}: hardening.tmp_size")
        if profile.hardening.read_only
        else None
    )
    ratio = (
        given(
            "reservation ratio", profile.memory.reservation_ratio, "ratio", f"profile {name}: memory.reservation_ratio"
        )
        if profile.memory.reservation_ratio
        else None
    )
    pids = given("pids limit", profile.pids, "count", f"profile {name}: pids") if profile.pids else None
    logging = None
    if profile.logging:
        options = [("max-size", profile.logging.max_size), ("max-file", str(profile.logging.max_file))]
        if profile.logging.compress:
            options.append(("compress", "true"))
        logging = Logging(profile.logging.driver, tuple(options))
    return _Policy(engine_supports_start_interval(docker_version), tmp, ratio, pids, logging, {}, {}, {}, {}, {}, {})


def _labels(role: str, limit: Quantity, profile: Profile, policy: _Policy) -> tuple[tuple[str, str], ...]:
    """The monitoring labels of a service of `role` with that memory limit."""
    if not profile.monitoring:
        return ()
    key = (role, limit.value)
    found = policy.labels.get(key)
    if found is None:
        prefix = profile.monitoring.label_prefix
        found = policy.labels[key] = (
            (f"{prefix}.profile", profile.name),
            (f"{prefix}.role", role),
            (f"{prefix}.memory.limit", format_bytes(limit.value)),
            (f"{prefix}.memory.warn", format_bytes(_whole_mib(limit.value * profile.monitoring.warn))),
            (f"{prefix}.memory.critical", format_bytes(_whole_mib(limit.value * profile.monitoring.critical))),
        )
    return found


def plan_service(
    inputs: ServiceInputs,
    profile: Profile,
    docker_version: str | None = None,
    measured: ServiceMeasurement | None = None,
    policy: _Policy | None = None,
    facts: bool = True,
) -> ServicePlan:
    """One service's plan; `policy`: what the profile gives every service, made once for a stack
    (`plan_stack`), else here; `facts`: False leaves out `base_facts` (what explain lists of the
    base, each line masked: nothing a render writes)."""
    if policy is None:
        policy = _policy(profile, docker_version)
    sizing = sized(inputs, profile, policy.sizings)
    measured_reservation = cpu_reservation = None
    loaded = False
    if measured is not None:  # calibrate's measurements replace the calculator's memory and cpus
        from composegen.sizing.measured import apply_measured

        applied = apply_measured(inputs, sizing, measured, profile)
        sizing, measured_reservation = applied.sizing, applied.reservation
        cpu_reservation, loaded = applied.cpu_reservation, applied.under_load
    hardened = (inputs.role, sizing.hardening, inputs.base.user is None)
    found = policy.hardening.get(hardened)
    if found is None:
        found = policy.hardening[hardened] = _hardening(inputs, profile, sizing.hardening)
    hardening, notes = found
    planned_tmp = hardening.read_only and not any(m.path == "/tmp" for m in sizing.tmpfs)
    base_tmp, unsized_notes = unsized_tmpfs(inputs, policy.tmp if planned_tmp else None)
    if unsized_notes:
        sizing = sizing._replace(base_notes=(*sizing.base_notes, *unsized_notes))
    tmp_mounted = planned_tmp and base_tmp is None and "/tmp" not in inputs.base.tmpfs_targets
    if measured is None and base_tmp is None:  # (every service calibrate did not measure)
        mounts, limit, reservation = _limits_once(sizing, tmp_mounted, profile, policy)
    else:
        mounts, limit, reservation = _limits(
            sizing, base_tmp, tmp_mounted, loaded, measured_reservation, profile, policy
        )
    cpus = sizing.cpus if profile.cpu.limits else None
    pids, pids_notes = base_pids(inputs, policy.pids)
    if pids_notes:
        sizing = sizing._replace(base_notes=(*sizing.base_notes, *pids_notes))
    written_over = overrides(inputs, sizing, limit, reservation, cpus, pids)
    if written_over:
        sizing = sizing._replace(base_notes=(*sizing.base_notes, *(o.compose_text() for o in written_over)))
    environment = policy.environment.get(inputs.role)
    if environment is None:
        environment = policy.environment[inputs.role] = _profile_environment(inputs.role, profile)
    return _service_plan(
        name=inputs.name,
        role=inputs.role,
        role_reason=inputs.role_reason,
        memory_limit=limit,
        memory_reservation=reservation,
        cpus=cpus,
        pids=pids,
        startup=sizing.startup,
        sizing=sizing,
        tmpfs=mounts,
        environment=_environment(inputs, profile, sizing.environment, environment),
        healthcheck=_planned_healthcheck(inputs, profile, sizing, policy),
        hardening=hardening,
        logging=policy.logging,
        restart=profile.restart,
        labels=_labels(inputs.role, limit, profile, policy),
        notes=(*sizing.base_notes, *sizing.notes, *notes),
        base_facts=base_facts(inputs) if facts else (),
        cpu_reservation=cpu_reservation if cpus is not None else None,
        gpus=_gpus(inputs),
        overrides=written_over,
    )


def _limits(
    sizing: Sizing,
    base_tmp: TmpfsMount | None,
    tmp_mounted: bool,
    loaded: bool,
    measured_reservation: Quantity | None,
    profile: Profile,
    policy: _Policy,
) -> tuple[tuple[TmpfsMount, ...], Quantity, Quantity | None]:
    """The service's tmpfs mounts, its memory limit and its reservation: `sizing`'s mounts and
    memory, with the base's unsized /tmp (`base_tmp`) or the read-only root's (`tmp_mounted`)
    added and counted; the limit rounded up (`loaded`: measured under load, it stands without the
    profile's minimum), the reservation from it (or from what calibrate measured)."""
    mounts = list(sizing.tmpfs)
    memory = sizing.memory
    if base_tmp is not None:  # the base's /tmp with no size, counted as the read-only root's
        mounts.append(base_tmp)
        memory = total("memory limit", (memory, base_tmp.size), "tmpfs pages count against the limit (facts/sizing.md)")
    elif tmp_mounted:
        tmp = policy.tmp
        assert tmp is not None  # a read-only root only where the profile asks for one
        mounts.append(TmpfsMount("/tmp", tmp, "1777", "writable /tmp for a read-only root"))
        memory = total("memory limit", (memory, tmp), "tmpfs pages count against the limit (facts/sizing.md)")
    # a limit measured under load stands without the profile's minimum (never below what runs)
    limit = rounded_up(memory if loaded else _floored(memory, profile), ROUND_STEP, _STEP_TEXT).renamed("memory limit")
    reservation = None
    if policy.reservation_ratio is not None and measured_reservation is not None:
        from composegen.sizing.measured import reservation_from

        reservation = rounded_up(reservation_from(measured_reservation, limit), ROUND_STEP, _STEP_TEXT)
    elif policy.reservation_ratio is not None:
        reservation = rounded_up(
            times("memory reservation", limit, policy.reservation_ratio, unit="bytes"), ROUND_STEP, _STEP_TEXT
        )
    return tuple(mounts), limit, reservation


def _limits_once(
    sizing: Sizing, tmp_mounted: bool, profile: Profile, policy: _Policy
) -> tuple[tuple[TmpfsMount, ...], Quantity, Quantity | None]:
    """`_limits` of a service calibrate did not measure and whose base mounts no unsized /tmp,
    made once for the services that share `sizing`'s memory and mounts (the very objects: a kept
    sizing, `SIZING_KEYS`): 7,518 servers sized alike have one limit, not 7,518 equal ones."""
    key = (id(sizing.memory), id(sizing.tmpfs), tmp_mounted)
    found = policy.limits.get(key)
    # (the entry holds the memory and mounts it was made from: while it does, no other object
    # can have their ids, and `is` proves the entry is theirs)
    if found is not None and found[0] is sizing.memory and found[1] is sizing.tmpfs:
        return found[2]
    made = _limits(sizing, None, tmp_mounted, False, None, profile, policy)
    policy.limits[key] = (sizing.memory, sizing.tmpfs, made)
    return made


#: How many fields a ServicePlan has: `_service_plan` is given every one.
_PLAN_FIELDS = len(fields(ServicePlan))


def _service_plan(**given_fields: Any) -> ServicePlan:
    """`ServicePlan(**given_fields)`, every field given, without the frozen dataclass's `__init__`,
    which sets each of its 21 fields through `object.__setattr__`: most of the time building one,
    made for each service of a stack (7,518 of them at 1 MB)."""
    assert len(given_fields) == _PLAN_FIELDS
    made = object.__new__(ServicePlan)
    vars(made).update(given_fields)
    return made


def _planned_healthcheck(
    inputs: ServiceInputs, profile: Profile, sizing: Sizing, policy: _Policy
) -> Healthcheck | None:
    """`_healthcheck`, made once for the services that give it the same inputs."""
    key = (inputs.base.has_healthcheck, sizing.healthcheck_test, sizing.startup)
    try:
        return policy.healthchecks[key]
    except KeyError:
        pass
    found = policy.healthchecks[key] = _healthcheck(
        inputs, profile, sizing.startup, sizing.healthcheck_test, policy.start_interval_ok
    )
    return found


def calculated(inputs: ServiceInputs, profile: Profile, kept: dict[tuple[object, ...], Sizing] | None = None) -> Sizing:
    """The role's calculator's sizing; `kept`: sizings made for this profile already, by key
    (`SIZING_KEYS`), to take from and add to."""
    key_of = SIZING_KEYS.get(inputs.role) if kept is not None else None
    if key_of is None or kept is None:
        return CALCULATORS[inputs.role](inputs, profile)
    key = key_of(inputs)
    found = kept.get(key)
    if found is None:
        found = kept[key] = CALCULATORS[inputs.role](inputs, profile)
    return found


def sized(inputs: ServiceInputs, profile: Profile, kept: dict[tuple[object, ...], Sizing] | None = None) -> Sizing:
    """The role's calculator's sizing, with the base's own /dev/shm kept and counted where the
    calculator does not bound it, and the base's sized tmpfs mounts counted
    (composegen.sizing.base_resources); `kept`: as `calculated`."""
    return with_base_tmpfs(inputs, with_base_shm(inputs, calculated(inputs, profile, kept)))


def _gpus(inputs: ServiceInputs) -> int:
    """The GPUs the overlay reserves for an inference engine that reserves none, on a host whose
    GPUs composegen.yaml declares (composegen.sizing.engines); none for one given its GPU as a
    device (ROCm's /dev/kfd and /dev/dri) or by `runtime: nvidia`: an NVIDIA device request
    there would keep it from starting on an AMD host."""
    host = inputs.host.gpus if inputs.host is not None else None
    if host is None or inputs.role != "llm":
        return 0
    from composegen.sizing.engines import gpus_to_reserve

    reserved = inputs.base.gpus is not None or inputs.base.gpu_handed_over
    return gpus_to_reserve(inputs.facts, reserved, host.count)


def host_fit(services: Sequence[ServicePlan], host: HostSpec | None) -> HostFit:
    """Sums of limits, reservations and cpus (× replicas) against the host budget."""

    replicas = [s.replicas for s in services]  # (a property: asked once a service, not once a sum)

    def summed(name: str, unit: str, pick: list[Quantity | None]) -> Quantity:
        parts = []
        for plan, reps, q in zip(services, replicas, pick, strict=True):
            if q is None:
                continue
            parts.append(
                q.renamed(plan.name)
                if reps == 1
                else times(f"{plan.name} ({reps} replicas)", given("replicas", reps, "count", ""), q.renamed(plan.name))
            )
        result = total(name, parts)
        return Quantity(name, result.value, unit, result.formula, "", result.parts)  # type: ignore[arg-type]

    limits = summed("sum of memory limits", "bytes", [s.memory_limit for s in services])
    reservations = summed("sum of memory reservations", "bytes", [s.memory_reservation for s in services])
    cpus = summed("sum of cpus", "cpus", [s.cpus for s in services])
    problems: list[str] = []
    host_memory = host_cpus = None
    if host is not None:
        budget = host.memory - host.reserve
        host_memory = Quantity(
            "host memory for containers",
            budget,
            "bytes",
            "host memory − reserve",
            "composegen.yaml: host",
            (
                given("host memory", host.memory, "bytes", host.source("memory"), host.kind("memory")),
                given("host reserve", host.reserve, "bytes", host.source("reserve"), host.kind("reserve")),
            ),
        )
        host_cpus = given("host cpus", host.cpus, "cpus", host.source("cpus"), host.kind("cpus"))
        if reservations.value > budget:
            problems.append(
                f"memory reservations {reservations.show()} exceed the host's {host_memory.show()}: "
                "containers will not all start"
            )
        if limits.value > budget:
            problems.append(
                f"memory limits {limits.show()} exceed the host's {host_memory.show()}: "
                "under full load the host runs out of memory before the limits stop anything"
            )
        if cpus.value > host.cpus:
            problems.append(
                f"cpus {cpus.show()} exceed the host's {host_cpus.show()} (CPU is shared, not reserved: "
                "services will be slower than planned)"
            )
        for s in services:
            if s.memory_limit.value > budget:
                problems.append(
                    f"{s.name}: one container's limit {s.memory_limit.show()} exceeds the host's {host_memory.show()}"
                )
    return HostFit(limits, reservations, cpus, host_memory, host_cpus, tuple(problems))


def _engine_warnings(profile: Profile, docker_version: str | None) -> tuple[str, ...]:
    if profile.healthcheck.start_interval and not engine_supports_start_interval(docker_version):
        return (
            f"healthcheck.start_interval left out: Docker Engine {docker_version} is older than 25 "
            "and compose refuses it there (probes run at the interval during start_period)",
        )
    return ()


def plan_stack(
    inputs: Sequence[ServiceInputs],
    profile: Profile,
    host: HostSpec | None,
    docker_version: str | None = None,
    measurements: Measurements | None = None,
    facts: bool = True,
) -> StackPlan:
    """The plan for every service; `docker_version` (of the Engine that will run the stack) leaves
    out what an older Engine refuses (healthcheck.start_interval before 25); `measurements` (from
    calibrate) replace the calculators' memory and cpus where a service was measured; `facts`:
    False leaves out each service's `base_facts` (explain's, as `plan_service`)."""
    policy = _policy(profile, docker_version)
    services = tuple(
        plan_service(i, profile, docker_version, measurements.service(i.name) if measurements else None, policy, facts)
        for i in inputs
    )
    measured: tuple[str, ...] = ()
    if measurements is not None:
        from composegen.sizing.measured import apply_measured, stack_warnings

        measured = stack_warnings(measurements, [i.name for i in inputs])
        for i in inputs:
            m = measurements.service(i.name)
            if m is not None:
                measured += apply_measured(i, sized(i, profile), m, profile).warnings
    volumes = sorted({name for s in services for name, _ in s.sizing.volumes})
    fit = host_fit(services, host)
    network = profile.network
    return StackPlan(
        profile=profile.name,
        target=profile.target,
        services=services,
        fit=fit,
        network=network.name if network else None,
        network_mtu=network.mtu if network else None,
        network_internal=network.internal if network else False,
        volumes=tuple(volumes),
        warnings=(*fit.problems, *_engine_warnings(profile, docker_version), *measured),
        base_notes=tuple(f"{s.name}: {note}" for s in services for note in s.sizing.base_notes),
    )


__all__ = ["FACTS_SIZING", "host_fit", "plan_service", "plan_stack"]
