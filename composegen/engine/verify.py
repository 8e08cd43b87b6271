"""`composegen verify`: render, start the stack on a real engine, read back what each container got
and what each database server runs with (composegen.engine.server), compare it with the plan, and
always tear down.

The overlay is rendered to a temporary file (the user's own overlay on disk is never written or
read), the stack runs under a project name of its own (`composegen-verify-<dir>-<hex>`), and every
container is read through the Engine API by that project's label. A service with a VRAM plan (an
LLM server on GPUs) gets a `VRAM` row: what its containers hold on each GPU, read through NVML
(composegen.engine.gpu), against its planned VRAM per GPU; above it fails the run, as an OOM kill does.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from composegen import __version__
from composegen.engine.applied import SERVICE_LABEL, from_inspect
from composegen.engine.client import connect, engine_info, project_containers
from composegen.engine.compare import Check, EngineInfo, Status, compare_service, table
from composegen.engine.gpu import GpuSnapshot, by_gpu_text, open_meter, planned_vram, raise_peaks, wants_gpus
from composegen.engine.project import ComposeProject, project_name, running
from composegen.engine.server import read_servers
from composegen.errors import InputError
from composegen.render.overlay import Planned, plan, render_planned
from composegen.sizing.model import ServicePlan, StackPlan
from composegen.units import human_bytes

#: Seconds added to the slowest healthcheck's worst case for create and start; the bounds of the
#: default wait.
WAIT_SLACK = 60.0
WAIT_MIN = 60.0
WAIT_MAX = 900.0


@dataclass(frozen=True)
class VerifyRequest:
    profile: str
    project: Path | None
    cwd: Path
    extra_files: tuple[Path, ...] = ()  # more compose files after the overlay, as `-f` would add them
    project_name: str | None = None
    timeout: float | None = None  # seconds `up --wait` may take; None: from the healthchecks


@dataclass(frozen=True)
class VerifyReport:
    project_name: str
    engine: EngineInfo
    checks: tuple[Check, ...]
    problems: tuple[str, ...] = ()  # compose refused or timed out, services missing
    warnings: tuple[str, ...] = ()

    @property
    def mismatches(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.failed)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.mismatches

    def as_json(self) -> dict[str, Any]:
        return {
            "composegen": __version__,
            "project": self.project_name,
            "engine": {"version": self.engine.version, "api_version": self.engine.api_version},
            "ok": self.ok,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "checks": [asdict(c) for c in self.checks],
        }

    def text(self) -> str:
        lines = [f"warning: {w}" for w in self.warnings]
        lines += [table(self.checks)] if self.checks else []
        lines += [f"problem: {p}" for p in self.problems]
        if self.ok:
            services = len({c.service for c in self.checks})
            lines.append(f"verify: {len(self.checks)} settings of {services} services applied as planned")
        else:
            for c in self.mismatches:
                lines.append(f"verify: {c.service}: {c.field} planned {c.planned}, applied {c.applied}")
            lines.append(f"verify: {len(self.mismatches)} mismatches, {len(self.problems)} problems")
        return "\n".join(lines)


def default_wait(stack: StackPlan) -> float:
    """The longest a healthy stack may take: the slowest healthcheck's worst case
    (start_period + retries × (interval + timeout)), plus slack for create and start."""
    worst = 0.0
    for s in stack.services:
        h = s.healthcheck
        if h is not None:
            worst = max(worst, h.start_period.value + h.retries * (h.interval.value + h.timeout.value))
    return min(WAIT_MAX, max(WAIT_MIN, worst + WAIT_SLACK))


def compare_all(planned: Planned, containers: Sequence[dict[str, Any]], engine: EngineInfo) -> list[Check]:
    applied = [from_inspect(c) for c in containers]
    bases = {i.name: i.base for i in planned.inputs}
    checks: list[Check] = []
    wanted = planned.profile.profile.healthcheck.start_interval  # left out of a plan for an old Engine
    for service in planned.stack.services:
        mine = [a for a in applied if a.service == service.name]
        checks += compare_service(service, bases[service.name], mine, engine, wanted)
    return checks


def vram_checks(
    services: Sequence[ServicePlan], containers: Sequence[Mapping[str, Any]], snapshot: GpuSnapshot | None, note: str
) -> list[Check]:
    """One row for each service with a VRAM plan: the most any of its containers holds on each GPU
    (NVML, composegen.engine.gpu) against the plan's VRAM per GPU. Above it is a mismatch, as an
    OOM kill is for the memory limit: the plan sized the GPUs' sharing by it."""
    ids: dict[str, list[str]] = {}
    for data in containers:
        service = str(((data.get("Config") or {}).get("Labels") or {}).get(SERVICE_LABEL, ""))
        ids.setdefault(service, []).append(str(data.get("Id", "")))
    rows: list[Check] = []
    for wanted in services:
        vram = planned_vram(wanted)
        if vram is None:
            continue
        planned = f"<= {human_bytes(vram)} per GPU"
        if snapshot is None:
            rows.append(Check(wanted.name, "VRAM", planned, "not read", "n/a", note))
            continue
        used: dict[int, int | None] = {}
        for ident in ids.get(wanted.name, ()):
            raise_peaks(used, snapshot.of(ident))
        if not used:
            why = "no process of it holds GPU memory (one that loads its model at the first request holds none yet)"
            rows.append(Check(wanted.name, "VRAM", planned, "none on any GPU", "n/a", why))
            continue
        known = [b for b in used.values() if b is not None]
        status: Status = "mismatch" if any(b > vram for b in known) else "ok" if known else "n/a"
        why = "" if known else "the driver gives no memory per process here"
        rows.append(Check(wanted.name, "VRAM", planned, by_gpu_text(used), status, why))
    return rows


def read_vram(planned: Planned, containers: Sequence[Mapping[str, Any]], log: Callable[[str], None]) -> list[Check]:
    """The VRAM rows, read through NVML once (nothing where no service has a VRAM plan)."""
    if not any(planned_vram(s) is not None for s in planned.stack.services):
        return []
    with open_meter() as meter:
        snapshot = meter.read([str(c.get("Id", "")) for c in containers])
        if meter.note and wants_gpus(planned):
            log(meter.note)
        return vram_checks(planned.stack.services, containers, snapshot, meter.note)


def verify(request: VerifyRequest, log: Callable[[str], None]) -> VerifyReport:
    client = connect()
    engine = engine_info(client)
    # planned for this engine: an Engine older than 25 gets no healthcheck.start_interval
    planned = plan(request.profile, request.project, request.cwd, docker_version=engine.version)
    warnings = planned.stack.warnings
    extra = tuple(p if p.is_absolute() else request.cwd / p for p in request.extra_files)
    for path in extra:
        if not path.is_file():
            raise InputError(f"compose file {path} does not exist", fix="check the --file paths")

    name = request.project_name or project_name(planned.project.root.name)
    if request.project_name and project_containers(client, name):
        raise InputError(
            f"compose project {name!r} already has containers: verify would take them down",
            fix="choose another --project-name, or leave it out",
        )
    wait = request.timeout if request.timeout is not None else default_wait(planned.stack)

    with tempfile.TemporaryDirectory(prefix="composegen-verify-") as tmp:
        overlay = Path(tmp) / f"docker-compose.{planned.profile.profile.name}.yml"
        overlay.write_text(render_planned(planned, overlay), encoding="utf-8")
        files = (*planned.project.compose_paths(), overlay, *extra)
        problems: list[str] = []
        with running(ComposeProject(name, files, log=log), client) as project:
            log(f"starting {name} on dockerd {engine.version} (up --wait, at most {wait:.0f} s)")
            up = project.up(wait)
            if up.timed_out:
                problems.append(f"docker compose up did not finish within {wait + 60:.0f} s")
            elif not up.ok:
                problems.append(f"docker compose up failed (exit {up.returncode}): {up.last_lines(4)}")
            containers = project_containers(client, name)
            checks = compare_all(planned, containers, engine)
            checks += read_servers(client, planned.stack.services, containers)  # the flags in effect
            checks += read_vram(planned, containers, log)  # what each GPU service holds on its GPUs
            planned_names = {s.name for s in planned.stack.services}
            for data in containers:
                service = str(((data.get("Config") or {}).get("Labels") or {}).get(SERVICE_LABEL, ""))
                if service not in planned_names:
                    warnings += (f"service {service!r} runs but is not in the plan (from a --file?)",)
    return VerifyReport(name, engine, tuple(checks), tuple(problems), tuple(dict.fromkeys(warnings)))


def report_json(report: VerifyReport) -> str:
    return json.dumps(report.as_json(), indent=2)
