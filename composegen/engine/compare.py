"""The plan against what the Engine applied: one row per setting per service (pure).

Only what the overlay writes is checked: a hardening setting the profile does not ask for is not
a mismatch when the base file sets it. Values are compared in the Engine's units after the same
formatting the overlay used (the overlay says `"976M"`, the Engine reports 1023410176 bytes), so a
rounding in the template can never pass for a mismatch, and a changed value never passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from composegen.engine.applied import Applied, AppliedHealthcheck, AppliedTmpfs
from composegen.sizing.model import BaseService, ServicePlan
from composegen.units import format_bytes, format_cpus, format_duration, parse_bytes, parse_cpus

Status = Literal["ok", "mismatch", "n/a"]
T = TypeVar("T")

#: The first Engine API that takes healthcheck.start_interval (Engine 25); compose v2 refuses to
#: create a container with it against an older Engine.
START_INTERVAL_API = (1, 44)


@dataclass(frozen=True)
class EngineInfo:
    version: str  # e.g. "20.10.24+dfsg1"
    api_version: str  # e.g. "1.41"

    @property
    def api(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.api_version.split(".") if p.isdigit())

    @property
    def start_interval(self) -> bool:
        return self.api >= START_INTERVAL_API


@dataclass(frozen=True)
class Check:
    """One row of the table: a setting of one service, planned against applied."""

    service: str
    field: str
    planned: str
    applied: str
    status: Status
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "mismatch"


def _bytes(value: int | None) -> str:
    return format_bytes(value) if value else "none"


def _cpus(nano: int | None) -> str:
    return format_cpus(nano / 1e9) if nano else "none"


def _duration(seconds: float | None) -> str:
    return format_duration(seconds) if seconds else "default"


def _count(value: int | None) -> str:
    return str(value) if value is not None else "none"


def _joined(values: Sequence[str]) -> str:
    distinct = list(dict.fromkeys(values))
    return ", ".join(distinct) if distinct else "none"


def _row(
    service: str,
    field: str,
    expected: T,
    applied: Sequence[T],
    show: Callable[[T], str],
    note: str = "",
) -> Check:
    ok = bool(applied) and all(value == expected for value in applied)
    return Check(service, field, show(expected), _joined([show(v) for v in applied]), "ok" if ok else "mismatch", note)


def written_bytes(value: float) -> int:
    """Bytes as the overlay writes them (format_bytes) and compose reads them back."""
    return parse_bytes(format_bytes(value))


def written_nano_cpus(cores_text: str) -> int:
    return round(parse_cpus(cores_text) * 1e9)


def state_text(container: Applied) -> str:
    parts = [container.status]
    if container.health is not None:
        parts.append(container.health)
    if container.oom_killed:
        parts.append("OOMKilled")
    if container.restart_count:
        parts.append(f"{container.restart_count} restarts")
    if container.status == "exited":
        parts.append(f"exit {container.exit_code}")
    return " ".join(parts)


def state_ok(container: Applied) -> bool:
    healthy = container.health == "healthy" if container.healthcheck is not None else True
    return container.status == "running" and healthy and not container.oom_killed and container.restart_count == 0


def _state(service: str, containers: Sequence[Applied]) -> Check:
    wants_health = any(c.healthcheck is not None for c in containers)
    planned = "running healthy" if wants_health else "running"
    ok = all(state_ok(c) for c in containers)
    return Check(service, "state", planned, _joined([state_text(c) for c in containers]), "ok" if ok else "mismatch")


def _healthchecks(
    plan: ServicePlan, containers: Sequence[Applied], engine: EngineInfo, start_interval: float | None = None
) -> list[Check]:
    h = plan.healthcheck
    if h is None:
        return []
    name = plan.name
    applied: list[AppliedHealthcheck] = [c.healthcheck for c in containers if c.healthcheck is not None]
    if len(applied) != len(containers):
        return [Check(name, "healthcheck", "set", "none", "mismatch", "a container has no healthcheck")]
    rows: list[Check] = []
    expected = h.test_as_run
    if expected is not None:
        rows.append(_row(name, "healthcheck test", expected, [a.test for a in applied], lambda t: " ".join(t)))
    for field, quantity, values in (
        ("healthcheck interval", h.interval, [a.interval for a in applied]),
        ("healthcheck timeout", h.timeout, [a.timeout for a in applied]),
        ("healthcheck start_period", h.start_period, [a.start_period for a in applied]),
    ):
        rows.append(_row(name, field, _rounded_seconds(quantity.value), values, _duration))
    rows.append(_row(name, "healthcheck retries", h.retries, [a.retries for a in applied], _count))
    # a plan for an Engine before 25 has no start_interval: the row says what the profile asked for
    wanted = h.start_interval.value if h.start_interval is not None else start_interval
    if wanted is not None:
        if engine.start_interval and h.start_interval is not None:
            rows.append(
                _row(
                    name,
                    "healthcheck start_interval",
                    _rounded_seconds(wanted),
                    [a.start_interval for a in applied],
                    _duration,
                )
            )
        elif not engine.start_interval:
            rows.append(
                Check(
                    name,
                    "healthcheck start_interval",
                    _duration(wanted),
                    "not supported",
                    "n/a",
                    f"needs Engine 25+ (API 1.44); this engine is {engine.version} (API {engine.api_version}): "
                    "left out of the overlay",
                )
            )
    return rows


def _rounded_seconds(seconds: float) -> float:
    """A duration as the overlay writes it (format_duration rounds up to whole seconds or ms)."""
    return seconds if seconds < 1 else float(int(-(-seconds // 1)))


def compare_service(
    plan: ServicePlan,
    base: BaseService,
    containers: Sequence[Applied],
    engine: EngineInfo,
    start_interval: float | None = None,
) -> list[Check]:
    """The rows for one service: its containers (all replicas) against its plan; `start_interval`
    is the profile's healthcheck.start_interval (the plan for an Engine before 25 leaves it out, and
    the table shows it as n/a)."""
    name = plan.name
    rows = [
        Check(
            name,
            "containers",
            str(plan.replicas),
            str(len(containers)),
            "ok" if len(containers) == plan.replicas else "mismatch",
        )
    ]
    if not containers:
        return rows
    rows.append(_state(name, containers))
    rows.append(
        _row(name, "memory limit", written_bytes(plan.memory_limit.value), [c.memory_limit for c in containers], _bytes)
    )
    if plan.memory_reservation is not None:
        rows.append(
            _row(
                name,
                "memory reservation",
                written_bytes(plan.memory_reservation.value),
                [c.memory_reservation for c in containers],
                _bytes,
            )
        )
    if plan.cpus is not None:
        rows.append(
            _row(name, "cpus", written_nano_cpus(plan.cpus.compose_value()), [c.nano_cpus for c in containers], _cpus)
        )
    if plan.pids is not None and plan.pids.value > 0:  # 0 or -1: the base's "no limit", kept
        rows.append(_row(name, "pids limit", int(plan.pids.value), [c.pids_limit for c in containers], _count))
    if plan.sizing.shm_size is not None:
        rows.append(
            _row(name, "shm_size", written_bytes(plan.sizing.shm_size.value), [c.shm_size for c in containers], _bytes)
        )
    based = set(base.tmpfs_targets)  # a set: the plan holds each of the base's sized mounts too
    for mount in plan.tmpfs:
        field = f"tmpfs {mount.path}"
        planned = written_bytes(mount.size.value)
        found = [c.tmpfs_at(mount.path) for c in containers]
        shown = [_tmpfs_text(m) for m in found]
        if mount.path in based:
            # the base file mounts it and the overlay leaves it be: the limit counted the planned
            # size, so a bigger or unbounded mount is the danger
            ok = all(m is not None and m.size is not None and m.size <= planned for m in found)
            if mount.size.source_kind == "assumed":  # the base's with no size: nothing to hold it to
                status: Status = "n/a"
                why = "mounted by the base file with no size: nothing bounds it; the limit counts an assumed size"
            else:
                status = "ok" if ok else "mismatch"
                why = "mounted by the base file; the limit counts the planned size"
            rows.append(Check(name, field, f"<= {format_bytes(planned)}", _joined(shown), status, why))
        else:
            rows.append(_row(name, field, format_bytes(planned), shown, str))
    hard = plan.hardening
    if hard.read_only:
        rows.append(_row(name, "read_only", True, [c.read_only for c in containers], lambda b: str(b).lower()))
    if hard.no_new_privileges:
        rows.append(
            _row(name, "no-new-privileges", True, [c.no_new_privileges for c in containers], lambda b: str(b).lower())
        )
    if hard.user is not None:
        rows.append(_row(name, "user", hard.user, [c.user for c in containers], lambda u: u or "(image default)"))
    if hard.cap_drop:
        wanted = frozenset(_cap(c) for c in hard.cap_drop)
        rows.append(
            Check(
                name,
                "cap_drop",
                ", ".join(sorted(wanted)),
                _joined([", ".join(sorted(_cap(x) for x in c.cap_drop)) or "none" for c in containers]),
                "ok" if all(wanted <= {_cap(x) for x in c.cap_drop} for c in containers) else "mismatch",
            )
        )
    rows += _healthchecks(plan, containers, engine, start_interval)
    return rows


def _tmpfs_text(mount: AppliedTmpfs | None) -> str:
    if mount is None:
        return "missing"
    return format_bytes(mount.size) if mount.size is not None else "unbounded"


def _cap(name: str) -> str:
    """`CAP_NET_RAW` and `net_raw` name the same capability; `ALL` stays `ALL`."""
    upper = name.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def table(checks: Sequence[Check]) -> str:
    """Planned against applied, one line a setting, services in plan order."""
    header = ("SERVICE", "SETTING", "PLANNED", "APPLIED", "RESULT")
    lines = [
        (c.service, c.field, c.planned, c.applied, "MISMATCH" if c.failed else c.status) + ((c.note,) if c.note else ())
        for c in checks
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    out = []
    for row in [header, *lines]:
        cells = [row[i].ljust(widths[i]) for i in range(len(header))]
        text = "  ".join(cells)
        if len(row) > len(header):
            text += f"  ({row[len(header)]})"
        out.append(text.rstrip())
    return "\n".join(out)
