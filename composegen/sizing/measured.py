"""Sizing from what calibrate measured: the measurements file's model, and the calculators' numbers
replaced by measured ones where a service was measured. Pure: the caller reads the file.

The rules are the usage-history recommenders' (facts/sizing.md §Recommenders that size from usage
history):
- memory limit = max(peak working set × 1.15, OOM bump); the peak is the larger of the highest
  sample and the cgroup's high-water mark (which holds a spike shorter than the sampling interval;
  calibrate writes it where the engine or the cgroup fs gives one, composegen.engine.highwater);
  the OOM bump, when the run saw the kernel kill in the container, is max(used + 100 MiB,
  used × 1.2) of the memory it was killed at (VPA), `used` being the larger of the limit at the
  kill and the peak seen;
- an OOM kill an earlier run of the stack saw (carried by calibrate from the file it replaced)
  that this run's peak does not explain (the peak is below the limit it killed at: what killed it
  came and went unseen, as a spike that ends with the container's exit) keeps its OOM bump, as VPA
  keeps the bump in its history; one the peak explains is below peak × 1.15 already. Either way the
  limit is never back at or below a limit that killed the service;
- a tmpfs the plan mounts is added at its full size: its pages count against the limit when it
  fills (facts/sizing.md §Databases). The peak already holds what the tmpfs used during the run
  (the cgroup charges tmpfs pages), so that part comes out of it first: the limit is
  (peak − tmpfs used) × 1.15 + tmpfs size. What the tmpfs used is what calibrate read of each
  tmpfs at the peak sample (`memory_tmpfs`: statvfs of the mount through the container's root,
  composegen.engine.mounts, where the engine runs on calibrate's machine); a file without it has
  the shmem calibrate read at the peak (memory.stat `shmem`, cgroup v1 `total_shmem`), less the
  shared memory the plan sets outside a tmpfs at its full size (PostgreSQL's shared_buffers and
  its /dev/shm: shmem pages too, which shmem cannot tell from the tmpfs's); never more than the
  tmpfs sizes. A file with neither (calibrated by an older composegen) adds the tmpfs on top of
  the whole peak, as before, and the plan says so;
- the tmpfs itself is composegen's own (a profile with tmpfs.data_dirs puts a database's data dir
  there, sized from composegen.yaml's dataset, the profile's floor, and the server's fixed content,
  some of it assumed): where the plan mounts one tmpfs of its own and the file has the most it held (its own
  reading, `memory_tmpfs`; else the run's highest shmem: every tmpfs and shared memory page at once,
  so no less than the tmpfs held), the tmpfs is sized from it: held × 1.15, at least held + each
  bound the plan writes for what the server keeps there, less what any running server holds of it
  (PostgreSQL's WAL up to max_wal_size and past it, less its current segment: a run shows only what
  it wrote), room for the whole declared dataset (declared beats measured: dataset × the profile's
  tmpfs.dataset_factor; for MariaDB, whose data dir before any data the plan knows, as its estimate
  counts it: dataset × the factor less the redo log's share + that redo log and what MariaDB writes
  beside it at initialisation, declared_room) and the profile's tmpfs.minimum; never above the size estimated without
  the measurement, never for a tmpfs the base compose file mounts, nor from a run that saw no load.
  A tmpfs that fills is not OOM-killed: the server's writes fail (ENOSPC; PostgreSQL stops at a
  WAL write it cannot make), as a limit from a peak fails when the load grows; calibrate with the
  data the stack will hold;
- memory reservation = p90 × 1.15 (VPA's target, p90, with its 15% margin), never above the limit;
- measured cpus = p95 × 1.15 (KRR sizes CPU at p95; VPA's 15% margin), at least VPA's 25 millicores.
  It is the CPU reservation; the CPU *limit* is never below it, nor below what composegen.yaml
  declares, the profile gives or the base compose file sets: a limit from a quiet run throttles
  the service under real load. A run that saw no load (no service reached IDLE_CPU at p95) says
  so, and its CPU figures are not used at all.
The profile's floor (memory.minimum) still applies afterwards, except to a limit measured under
load where the calculator knows what the process itself may use (Sizing.floor: Redis's maxmemory
over its share, a JVM's bounded regions): that limit is never below its own floor with every tmpfs
and /dev/shm (at_least_what_runs), which is evidence the profile's generic minimum is not (see
under_load). Every limit is then rounded up to a whole 4 MiB (sizing/plan.py ROUND_STEP).

Where the estimate from what composegen.yaml declares and the measurement differ by more than 2×,
the plan says so (a note in explain, a warning on stderr).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from composegen.errors import InputError
from composegen.sizing.common import data_room
from composegen.sizing.measurements_file import SCHEMA as SCHEMA  # the file's schema is declared there
from composegen.sizing.measurements_file import SCHEMA_VERSION as SCHEMA_VERSION
from composegen.sizing.measurements_file import (
    EarlierKill,
    MeasurementsFile,
    is_measurements,
    mapping,
    number,
)
from composegen.sizing.model import ServiceInputs, Sizing, TmpfsMount
from composegen.sizing.mysql import BEFORE_DATA, BENCH_SERVERS, REDO_IN_DATASET_FACTOR
from composegen.sizing.postgres import WAL_SEGMENT
from composegen.sizing.quantity import Quantity, given, largest, rounded_up, smallest, times, total
from composegen.units import MIB, human_bytes

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

FACTS_RECOMMENDERS = "facts/sizing.md §Recommenders"
#: KRR: memory = peak × 1.15; VPA: +15% safety margin on its estimates.
MEMORY_MARGIN = 1.15
CPU_MARGIN = 1.15
#: VPA's OOM bump: max(used + 100 MiB, used × 1.2).
OOM_BUMP_BYTES = 100 * MIB
OOM_BUMP_RATIO = 1.2
#: VPA's CPU floor: 25 millicores.
CPU_FLOOR = 0.025
#: Fewer samples than this and a service's measurement is not used (a few seconds of a run say
#: little about its peak): composegen's choice, well below KRR's 100 points.
MIN_SAMPLES = 10
#: Declared and measured "disagree" beyond this ratio, either way.
DISAGREEMENT = 2.0
#: A run in which no service used this many cores at p95 saw no load (an idle stack: calibrate
#: without a workload): composegen's choice, 5% of a core.
IDLE_CPU = 0.05


@dataclass(frozen=True)
class ServiceMeasurement:
    """One service's measured summary (bytes, cores)."""

    service: str
    samples: int
    seconds: float
    memory_p50: float | None
    memory_p90: float | None
    memory_p95: float | None
    memory_peak: float | None
    cpu_samples: int
    cpu_p95: float | None
    throttled_p95: float | None
    oom_killed: bool
    oom_events: int
    limit_at_kill: float | None
    limit: float | None  # the limit it ran under
    leak: bool
    leak_reason: str
    source: str  # "m.json: app, 150 samples over 5m0s (profile pytest)"
    memory_high_water: float | None = None  # the cgroup's high-water mark, less inactive file cache
    high_water_from: str = ""  # what it was read from (memory_stats.max_usage, memory.peak, ...)
    earlier_kill_limit: float | None = None  # the highest limit an earlier run saw it OOM-killed at
    earlier_kill_source: str = ""  # "OOM-killed at the 176 MiB limit in an earlier calibrate run (m.json, <when>)"
    idle_run: str = ""  # why the run saw no load (see idle_run), "" when it saw some
    shmem_at_peak: float | None = None  # tmpfs and shared memory pages at the peak sample (None: not in the file)
    shmem_peak: float | None = None  # the most tmpfs and shared memory pages of any sample (None: not in the file)
    gpu_memory_peak: float | None = None  # the most one container held on one GPU (None: not read)
    #: what each tmpfs held (by mount target): at the peak sample, and the most of any sample ({}: not read)
    tmpfs_at_peak: Mapping[str, float] = field(default_factory=dict)
    tmpfs_peak: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StressFinding:
    """What `composegen stress` found for one service: the most replicas the host carried under
    its lines, and what one more replica cost (a fitted line: bytes or cores, with its interval)."""

    service: str
    ceiling: int | None  # None: over a line with no replicas at all
    reached: bool  # False: no line was crossed up to the last step
    stopped_by: str  # the first line crossed, as stress said it ("" when not reached)
    host: str  # the budget it ran against, as stress described it
    memory_per_replica: tuple[float, float, float] | None  # (slope, low, high) of the stack's memory
    cpu_per_replica: tuple[float, float, float] | None  # (slope, low, high) of the stack's cores


@dataclass(frozen=True)
class Measurements:
    """A measurements file, read."""

    where: str
    profile: str
    partial: bool
    partial_reason: str
    seconds: float
    services: Mapping[str, ServiceMeasurement]
    stress: StressFinding | None = None
    idle_run: str = ""  # why the run saw no load (see idle_run), "" when it saw some

    def service(self, name: str) -> ServiceMeasurement | None:
        return self.services.get(name)


def _span(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or hours else "") + f"{secs}s"


def idle_run(measured: MeasurementsFile) -> str:
    """Why a calibrate run saw no load: no service used IDLE_CPU cores at p95; "" when one did."""
    busiest = max(((s.cpu.p95 if s.cpu else None) or 0.0 for s in measured.services.values()), default=0.0)
    if busiest >= IDLE_CPU:
        return ""
    command = "no command ran during it" if measured.run.command is None else "a command ran"
    return (
        f"the calibrate run saw no load ({command}; no service used {IDLE_CPU:g} cores at p95, the most "
        f"{busiest:.3f}): its CPU figures are not used (calibrate with a workload: `calibrate ... -- COMMAND`)"
    )


def parse_measurements(text: str, where: str) -> Measurements:
    """Read a measurements file's text (raises InputError when it is not one composegen can use)."""
    fix = "write one with `composegen calibrate --profile NAME -o FILE`"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"not JSON: {err.msg} at line {err.lineno}", where=where, fix=fix) from None
    except RecursionError:  # lists or objects nested thousands deep: no measurements file
        raise InputError("JSON nests too deep to be a measurements file", where=where, fix=fix) from None
    if not is_measurements(data):
        raise InputError(f"not a composegen measurements file (no schema {SCHEMA!r})", where=where, fix=fix)
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError("the measurements file has no schema_version", where=where, fix=fix)
    if version > SCHEMA_VERSION:
        raise InputError(
            f"measurements schema version {version} is newer than this composegen reads ({SCHEMA_VERSION})",
            where=where,
            fix="upgrade composegen, or calibrate again with this one",
        )
    services_data = data.get("services")
    if not isinstance(services_data, Mapping):
        raise InputError("the measurements file has no services", where=where, fix=fix)
    for service, entry in services_data.items():
        if not isinstance(entry, Mapping):
            raise InputError(f"services.{service} is not a mapping", where=where, fix=fix)
    measured = MeasurementsFile.from_json(data)
    profile = measured.profile or "?"
    seconds = measured.run.seconds
    name = where.rsplit("/", 1)[-1]
    idle = idle_run(measured)
    services: dict[str, ServiceMeasurement] = {}
    for service, entry in measured.services.items():
        memory, cpu, oom, leak = entry.memory, entry.cpu, entry.oom, entry.leak
        mark = entry.memory_high_water
        earlier = _highest_earlier_kill(oom.earlier)
        services[service] = ServiceMeasurement(
            service=service,
            samples=entry.samples,
            seconds=seconds,
            memory_p50=memory.p50 if memory else None,
            memory_p90=memory.p90 if memory else None,
            memory_p95=memory.p95 if memory else None,
            memory_peak=memory.peak if memory else None,
            cpu_samples=cpu.count if cpu else 0,
            cpu_p95=cpu.p95 if cpu else None,
            throttled_p95=entry.throttled_p95,
            oom_killed=oom.killed,
            oom_events=oom.events,
            limit_at_kill=oom.limit_at_kill,
            limit=entry.limit,
            leak=leak.leak if leak else False,
            leak_reason=leak.reason if leak else "",
            source=f"{name}: {service}, {entry.samples} samples over {_span(seconds)} (profile {profile})",
            memory_high_water=mark.bytes if mark else None,
            high_water_from=", ".join(mark.read_from) if mark else "",
            earlier_kill_limit=earlier[0] if earlier else None,
            earlier_kill_source=earlier[1] if earlier else "",
            idle_run=idle,
            shmem_at_peak=entry.memory_shmem.at_peak if entry.memory_shmem else None,
            shmem_peak=entry.memory_shmem.peak if entry.memory_shmem else None,
            gpu_memory_peak=entry.gpu_memory.peak if entry.gpu_memory else None,
            tmpfs_at_peak={t: u.at_peak for t, u in entry.memory_tmpfs.items() if u.at_peak is not None},
            tmpfs_peak={t: u.peak for t, u in entry.memory_tmpfs.items() if u.peak is not None},
        )
    return Measurements(
        where=where,
        profile=profile,
        partial=measured.partial,
        partial_reason=measured.partial_reason or "",
        seconds=seconds,
        services=services,
        stress=_stress(measured.stress),
        idle_run=idle,
    )


def _highest_earlier_kill(kills: Sequence[EarlierKill]) -> tuple[float, str] | None:
    """The highest limit of the `oom.earlier` kills, and where that run's kill was recorded."""
    if not kills:
        return None
    kill = max(kills, key=lambda k: k.limit)
    run = f"{kill.file or '?'}, {kill.created or '?'}"
    limit = float(kill.limit)
    return limit, f"OOM-killed at the {human_bytes(limit)} limit in an earlier calibrate run ({run})"


def _fitted(entry: object) -> tuple[float, float, float] | None:
    """(per replica, interval low, interval high) of one `stress.marginal` line."""
    fit = mapping(entry)
    slope = number(fit.get("per_replica"))
    interval = fit.get("ci")
    if slope is None or not isinstance(interval, list) or len(interval) != 2:
        return None
    low, high = (number(v) for v in interval)
    return None if low is None or high is None else (slope, low, high)


def _stress(value: object) -> StressFinding | None:
    """The `stress` block `composegen stress` writes (docs/scale.md), when the file has one."""
    block = mapping(value)
    if not block.get("service"):
        return None
    top = mapping(block.get("ceiling"))
    stop = mapping(top.get("stopped_by"))
    host = mapping(block.get("host"))
    marginal = mapping(block.get("marginal"))
    replicas = number(top.get("replicas"))
    return StressFinding(
        service=str(block["service"]),
        ceiling=int(replicas) if replicas is not None else None,
        reached=bool(top.get("reached")),
        stopped_by=str(stop.get("message") or ""),
        host=str(host.get("source") or ""),
        memory_per_replica=_fitted(marginal.get("memory")),
        cpu_per_replica=_fitted(marginal.get("cpu")),
    )


@dataclass(frozen=True)
class MeasuredSizing:
    """A calculator's Sizing with measured memory and cpus, the basis of a measured reservation,
    and what to warn about."""

    sizing: Sizing
    reservation: Quantity | None
    warnings: tuple[str, ...]
    cpu_reservation: Quantity | None = None
    #: the memory is a run's peak under load, never below the process's own bound (Sizing.floor):
    #: the profile's memory.minimum, a guard for an estimate, does not raise it (see under_load)
    under_load: bool = False


def under_load(m: ServiceMeasurement, sizing: Sizing) -> bool:
    """Whether a measured limit stands without the profile's memory.minimum: the run saw load, and
    the calculator knows what the process itself may use (Sizing.floor: Redis's maxmemory over its
    share, a JVM's heap and bounded regions), which the measured limit is never below. A service
    without such a bound, or a run that saw no load, keeps the minimum (the recommenders floor
    memory too: KRR 100 MB, VPA 250 MiB; facts/sizing.md)."""
    return usable(m) and not m.idle_run and sizing.floor is not None


def usable(m: ServiceMeasurement) -> bool:
    """Enough samples to size from, or an OOM kill (now or in an earlier run: a limit too small)."""
    enough = m.samples >= MIN_SAMPLES and m.memory_peak is not None
    return enough or m.oom_killed or m.earlier_kill_limit is not None


def _oom_bump(name: str, used: Quantity) -> Quantity:
    """VPA's OOM bump of the memory `used` at a kill: max(used + 100 MiB, used × 1.2)."""
    src = f"{FACTS_RECOMMENDERS} (VPA OOM bump)"
    plus = total("used + 100 MiB", (used, given("OOM bump", OOM_BUMP_BYTES, "bytes", src)))
    ratio = times("used × 1.2", used, given("OOM bump ratio", OOM_BUMP_RATIO, "ratio", src), unit="bytes")
    return largest(name, (plus, ratio), src)


def measured_peak(m: ServiceMeasurement) -> Quantity | None:
    """The highest sample, or the cgroup's high-water mark where the file has one and it is higher
    (a spike between two samples); None without samples."""
    if m.memory_peak is None or not m.samples:
        return None
    if m.memory_high_water is None:
        source = f"{m.source}; samples only, no high-water mark: a spike between two samples is not in it"
        return given("measured peak working set", m.memory_peak, "bytes", source)
    sampled = given("highest sample", m.memory_peak, "bytes", m.source)
    mark = given(
        "cgroup high-water mark",
        m.memory_high_water,
        "bytes",
        f"{m.source}; the cgroup's peak usage ({m.high_water_from or '?'}), between samples too, "
        "less inactive file cache",
    )
    return largest("measured peak working set", (sampled, mark))


def explained(m: ServiceMeasurement, peak: Quantity | None) -> bool:
    """Whether this run's peak explains the earlier run's kill: it is at or above the limit that killed."""
    return m.earlier_kill_limit is not None and peak is not None and peak.value >= m.earlier_kill_limit


def measured_memory(m: ServiceMeasurement, tmpfs_used: Quantity | None = None) -> Quantity:
    """max((peak − tmpfs_used) × 1.15, OOM bump of this run's kill, an earlier run's kill limit or
    its OOM bump), of those that apply (see the module docstring)."""
    parts: list[Quantity] = []
    peak = measured_peak(m)
    if peak is not None:
        if tmpfs_used is not None:
            peak = _less("peak less tmpfs used", peak, tmpfs_used)
        margin = given("measured margin", MEMORY_MARGIN, "ratio", f"{FACTS_RECOMMENDERS} (KRR peak × 1.15, VPA +15%)")
        parts.append(times("peak × margin", peak, margin, unit="bytes"))
    if m.oom_killed:
        used = given(
            "memory at the OOM kill",
            max(m.limit_at_kill or 0.0, peak.value if peak is not None else 0.0),
            "bytes",
            f"{m.source}; {m.oom_events} oom events, the larger of the limit at the kill and the peak seen",
        )
        parts.append(_oom_bump("OOM bump", used))
    if m.earlier_kill_limit is not None:
        killed = given("limit at an earlier OOM kill", m.earlier_kill_limit, "bytes", m.earlier_kill_source)
        # explained by this run's peak (peak × 1.15 is above it): the limit, to show; else its bump
        parts.append(killed if explained(m, peak) else _oom_bump("OOM bump of an earlier run", killed))
    if len(parts) == 1:
        return parts[0].renamed("measured memory")
    return largest("measured memory", parts, FACTS_RECOMMENDERS)


def _less(name: str, a: Quantity, b: Quantity) -> Quantity:
    """a − b, at least 0."""
    return Quantity(name, max(0.0, a.value - b.value), a.unit, f"{a.name} − {b.name}", "", (a, b))


#: The plan's shared memory outside its tmpfs mounts, in shmem too (Sizing.extra's names).
SHARED_OUTSIDE_TMPFS = ("shared_buffers", "shm_size")


def _held(by_target: Mapping[str, float], path: str) -> float | None:
    """What the measurement read of the tmpfs at `path` (None: not read)."""
    found = by_target.get(path)
    if found is None:
        found = next((v for t, v in by_target.items() if t.rstrip("/") == path.rstrip("/")), None)
    return found


def tmpfs_used(sizing: Sizing, m: ServiceMeasurement, mounts: Quantity) -> Quantity | None:
    """What the plan's tmpfs mounts held at the peak: each mount's own reading where calibrate read
    them all, else shmem at the peak less the plan's other shared memory at its full size; at most
    the tmpfs sizes; None when the file has neither."""
    read = [(t, _held(m.tmpfs_at_peak, t.path)) for t in sizing.tmpfs]
    if read and all(held is not None for _, held in read):
        each = [
            smallest(
                f"tmpfs {t.path} used at the peak",
                (
                    given(
                        f"tmpfs {t.path} held at the peak",
                        held or 0.0,
                        "bytes",
                        f"{m.source}; statvfs of the mount at the peak sample",
                        "measured",
                    ),
                    t.size.renamed(f"tmpfs {t.path}"),
                ),
            )
            for t, held in read
        ]
        return each[0].renamed("tmpfs used at the peak") if len(each) == 1 else total("tmpfs used at the peak", each)
    if m.shmem_at_peak is None:
        return None
    shmem = given("shmem at the peak", m.shmem_at_peak, "bytes", f"{m.source}; memory.stat shmem at the peak sample")
    others = [sizing.extra[k].renamed(k) for k in SHARED_OUTSIDE_TMPFS if k in sizing.extra]
    held = _less("shmem less shared memory", shmem, total("other shared memory", others)) if others else shmem
    return smallest("tmpfs used at the peak", (held, mounts.renamed("tmpfs sizes")))


#: What the plan lets a server keep in its tmpfs beyond what one run shows (Sizing.extra's names),
#: and how much of it a running server always holds, which a run's figure has already: PostgreSQL's
#: WAL, up to the max_wal_size the plan writes, of which the segment being written is always there
#: (the estimate counts that segment in the WAL room, not in the empty cluster: sizing/postgres.py).
KEPT_IN_TMPFS = {"WAL in the tmpfs": WAL_SEGMENT}


def declared_room(inputs: ServiceInputs, sizing: Sizing, profile: Profile) -> Quantity | None:
    """Room in the data dir for the whole declared dataset, whatever the run loaded (None: none
    declared): the dataset × the profile's tmpfs.dataset_factor; where the plan counts what the
    data dir holds before any data (BEFORE_DATA: MariaDB's redo log, a fixed-size file of the size
    the plan knows, and what MariaDB writes beside it at initialisation), as the estimate counts
    it: the dataset × the factor less the redo log's share + that, at its own size."""
    before = sizing.extra.get(BEFORE_DATA)
    if before is None:
        return data_room(inputs, profile)
    share = given("redo share of the dataset factor", REDO_IN_DATASET_FACTOR, "ratio", BENCH_SERVERS, "measured")
    room = data_room(inputs, profile, share)
    if room is None:
        return None
    return total(
        "room for the declared dataset",
        (room.renamed("room for the data"), before.renamed(BEFORE_DATA)),
        "the data room as the estimate counts it, beside what the server wrote before any data",
    )


def measured_tmpfs(
    inputs: ServiceInputs, sizing: Sizing, m: ServiceMeasurement, profile: Profile | None
) -> TmpfsMount | None:
    """The plan's one tmpfs sized from the most it held in the run (its own reading, else the most
    shmem: see the module docstring); None where it keeps the size estimated without the measurement."""
    # the base file's own tmpfs mounts (with_base_tmpfs counts them) are never below their size
    mounts = inputs.base.overlay_mounts(sizing.tmpfs)
    if len(mounts) != 1 or profile is None:
        return None
    if m.idle_run:  # a run that saw no load wrote no data: it says nothing of what the tmpfs must hold
        return None
    mount = mounts[0]
    own = _held(m.tmpfs_peak, mount.path)
    if own is not None:
        source = f"{m.source}; statvfs of the mount, its highest sample"
    elif m.shmem_peak is not None:
        source = f"{m.source}; memory.stat shmem, its highest sample: every tmpfs and shared memory page at once"
    else:
        return None
    held = given("tmpfs held at most", own if own is not None else m.shmem_peak or 0.0, "bytes", source, "measured")
    margin = given("measured margin", MEMORY_MARGIN, "ratio", f"{FACTS_RECOMMENDERS} (KRR peak × 1.15, VPA +15%)")
    sizes = [times("held × margin", held, margin, unit="bytes")]
    bounds = [
        _less(
            f"{k} past what a running server holds",
            sizing.extra[k].renamed(k),
            given("held by any running server", always, "bytes", "PostgreSQL manual: the segment being written"),
        )
        for k, always in KEPT_IN_TMPFS.items()
        if k in sizing.extra
    ]
    if bounds:  # the bound on top: the run shows only what it wrote of it
        sizes.append(total("held + what the server may still write", (held, *bounds)))
    room = declared_room(inputs, sizing, profile)
    if room is not None:  # declared beats measured: room for all of it
        sizes.append(room.renamed("room for the declared dataset"))
    sizes.append(given("tmpfs minimum", profile.tmpfs.minimum, "bytes", f"profile {profile.name}: tmpfs.minimum"))
    size = largest(
        f"tmpfs {mount.path} (measured)",
        sizes,
        "what the run held with room to grow, at least room for the declared dataset and the server's own bounds",
    )
    if size.value >= mount.size.value:
        return None
    return TmpfsMount(mount.path, rounded_up(size, MIB, "MiB").renamed(size.name), mount.mode, mount.purpose)


def measured_cpus(m: ServiceMeasurement) -> Quantity | None:
    """p95 × 1.15, at least 25 millicores; None without CPU samples or from a run that saw no load."""
    if m.cpu_p95 is None or m.cpu_samples < MIN_SAMPLES or m.idle_run:
        return None
    p95 = given(
        "measured p95 cpu", m.cpu_p95, "cpus", m.source.replace(f"{m.samples} samples", f"{m.cpu_samples} samples")
    )
    margin = given("measured margin", CPU_MARGIN, "ratio", f"{FACTS_RECOMMENDERS} (KRR p95, VPA +15%)")
    scaled = times("p95 × margin", p95, margin, unit="cpus")
    floor = given("cpu floor", CPU_FLOOR, "cpus", f"{FACTS_RECOMMENDERS} (VPA 25m)")
    return largest("measured cpus", (scaled, floor))


def cpu_limit(inputs: ServiceInputs, estimate: Quantity | None, measured: Quantity) -> Quantity:
    """The CPU limit from a measurement: the measured cpus, never below what composegen.yaml
    declares or the profile gives (`estimate`) nor what the base compose file sets."""
    floors = [estimate] if estimate is not None else []
    if inputs.base.cpus is not None:
        base = f"the compose file: services.{inputs.name}"
        floors.append(given("cpus in the base compose file", inputs.base.cpus, "cpus", base))
    if not floors:
        return measured
    return largest(
        "cpus",
        (measured, *floors),
        "a limit is never below what was declared, the profile's or the base file's (a quiet run would throttle it)",
    )


def measured_reservation(m: ServiceMeasurement) -> Quantity | None:
    """p90 × 1.15 (VPA's target with its margin); None without enough samples."""
    if m.memory_p90 is None or m.samples < MIN_SAMPLES:
        return None
    p90 = given("measured p90 working set", m.memory_p90, "bytes", m.source)
    margin = given("measured margin", MEMORY_MARGIN, "ratio", f"{FACTS_RECOMMENDERS} (VPA target p90 +15%)")
    return times("p90 × margin", p90, margin, unit="bytes")


def _ratio(a: float, b: float) -> float:
    low, high = sorted((a, b))
    return high / low if low > 0 else float("inf")


def _disagreement(what: str, declared: Quantity, measured: Quantity, show: str, shown_measured: str) -> str | None:
    ratio = _ratio(declared.value, measured.value)
    if ratio <= DISAGREEMENT:
        return None
    direction = "more" if measured.value > declared.value else "less"
    return (
        f"{what}: declared/estimated {show}, measured {shown_measured}: the measurement needs "
        f"{ratio:.1f}× {direction} (over {DISAGREEMENT:g}×; check composegen.yaml or the calibrate run)"
    )


def apply_measured(
    inputs: ServiceInputs, sizing: Sizing, m: ServiceMeasurement, profile: Profile | None = None
) -> MeasuredSizing:
    """`sizing` with its memory and cpus, and its tmpfs where `profile` is given, from the measurement
    `m` (see the module docstring)."""
    if not usable(m):
        note = (
            f"measurement not used: only {m.samples} samples (fewer than {MIN_SAMPLES}); "
            "sized from what composegen.yaml declares"
        )
        return MeasuredSizing(sizing._replace(notes=(*sizing.notes, note)), None, (f"{inputs.name}: {note}",))
    notes: list[str] = []
    warnings: list[str] = []
    tmpfs = measured_tmpfs(inputs, sizing, m, profile) if m.samples >= MIN_SAMPLES else None
    if tmpfs is not None:
        estimated = next(t.size for t in sizing.tmpfs if t.path == tmpfs.path)
        notes.append(
            f"tmpfs {tmpfs.path} sized from the run: {tmpfs.size.show()} (estimated {estimated.show()}); "
            "a tmpfs that fills fails the server's writes (ENOSPC), it is not OOM-killed: "
            "calibrate with the data the stack will hold"
        )
        sizing = sizing._replace(tmpfs=tuple(tmpfs if t.path == tmpfs.path else t for t in sizing.tmpfs))
    if sizing.tmpfs:
        mounts = total("tmpfs sizes", [t.size.renamed(f"tmpfs {t.path}") for t in sizing.tmpfs])
        used = tmpfs_used(sizing, m, mounts)
        if used is None:
            notes.append(
                "the measurements file has no shmem (an older calibrate): each tmpfs is added at its full "
                "size on top of the whole peak, which already holds what it used then (over-sized: calibrate again)"
            )
        memory = total(
            "measured memory + tmpfs",
            (measured_memory(m, used), mounts),
            "a tmpfs can fill beyond what the run saw, and its pages count against the limit (facts/sizing.md)",
        )
    else:
        memory = measured_memory(m)
    memory = memory.renamed("memory (measured)")
    if sizing.floor is not None:
        floor = at_least_what_runs(sizing.floor, sizing)
        if memory.value < floor.value:
            notes.append(
                f"measured {memory.show()}, below what the server's own bounds let it use ({floor.show()}: "
                f"{sizing.floor.name}): sized for that, never below what runs"
            )
            memory = largest("memory (measured, at least what runs)", (memory, floor))
    text = _disagreement("memory", sizing.memory, memory, human_bytes(sizing.memory.value), human_bytes(memory.value))
    if text:
        notes.append(text)
        warnings.append(f"{inputs.name}: {text}")
    cpus = measured_cpus(m)
    if cpus is not None and sizing.cpus is not None:
        text = _disagreement("cpus", sizing.cpus, cpus, sizing.cpus.show(), cpus.show())
        if text:
            notes.append(text)
            warnings.append(f"{inputs.name}: {text}")
    if m.idle_run:
        notes.append(m.idle_run)
    if m.throttled_p95 is not None and m.throttled_p95 > 0.1:
        notes.append(
            f"throttled in {m.throttled_p95:.0%} of CPU periods at p95 during calibrate: "
            "it may need more CPU than was measured"
        )
    if m.oom_killed:
        text = f"OOM-killed during calibrate ({m.oom_events} oom events): the limit has the OOM bump"
        notes.append(text)
        warnings.append(f"{inputs.name}: {text}")
    if m.earlier_kill_limit is not None and not m.oom_killed:
        seen = explained(m, measured_peak(m))
        kept = "this run's peak is above it" if seen else "this run did not see what killed it: its OOM bump kept"
        notes.append(f"{m.earlier_kill_source}: {kept} (calibrate --fresh forgets earlier kills)")
    if m.memory_high_water is not None and m.memory_peak is not None and m.memory_high_water > 1.1 * m.memory_peak:
        notes.append(
            f"the cgroup's high-water mark ({human_bytes(m.memory_high_water)}) is above every sample "
            f"({human_bytes(m.memory_peak)}): a spike shorter than the sampling interval, sized from the mark"
        )
    if m.leak:
        text = f"calibrate found a leak ({m.leak_reason}): a longer run would see a higher peak"
        notes.append(text)
        warnings.append(f"{inputs.name}: {text}")
    notes.append(f"{'memory and cpus' if cpus is not None else 'memory'} measured: {m.source}")
    return MeasuredSizing(
        sizing._replace(
            memory=memory,
            cpus=cpu_limit(inputs, sizing.cpus, cpus) if cpus is not None else sizing.cpus,
            notes=(*sizing.notes, *notes),
        ),
        measured_reservation(m),
        tuple(warnings),
        cpus.renamed("cpu reservation") if cpus is not None else None,
        under_load(m, sizing),
    )


def at_least_what_runs(floor: Quantity, sizing: Sizing) -> Quantity:
    """The least limit a measurement may give: the process's own bound (`Sizing.floor`: Redis's
    maxmemory over its share, a JVM's heap and bounded regions) with every tmpfs and /dev/shm."""
    mounts = [m.size.renamed(f"tmpfs {m.path}") for m in sizing.tmpfs]
    shm = [sizing.shm_size.renamed("/dev/shm")] if sizing.shm_size is not None else []
    return total("what runs", (floor, *mounts, *shm), "tmpfs and shm pages count against the limit (facts/sizing.md)")


def reservation_from(basis: Quantity, limit: Quantity) -> Quantity:
    """The measured reservation, never above the limit."""
    if basis.value <= limit.value:
        return basis.renamed("memory reservation")
    return smallest("memory reservation", (basis, limit.renamed("memory limit")))


def stack_warnings(measurements: Measurements, services: Sequence[str]) -> tuple[str, ...]:
    """Warnings about the file as a whole: partial, services it has that the stack has not, and
    services of the stack it did not measure."""
    out: list[str] = []
    if measurements.partial:
        reason = f" ({measurements.partial_reason})" if measurements.partial_reason else ""
        out.append(f"measurements {measurements.where} are from a partial run{reason}")
    unknown = sorted(set(measurements.services) - set(services))
    if unknown:
        out.append(f"measurements {measurements.where} have services the stack has not: {', '.join(unknown)}")
    if measurements.idle_run:
        out.append(f"measurements {measurements.where}: {measurements.idle_run}")
    missing = [s for s in services if s not in measurements.services]
    if missing:
        out.append(f"no measurements for {', '.join(missing)}: sized from what composegen.yaml declares")
    return tuple(out)
