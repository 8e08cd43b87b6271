"""Real servers on the Docker Engine, measured the way the kernel charges them: what bench/servers.py
and the twin stack's engine test (tests/engine/test_engine_pytest_real.py) share.

- `CgroupWatch`: each container's memory cgroup (cgroup v1 `memory.max_usage_in_bytes`, its
  high-water mark, tmpfs pages included; `memory.peak` on v2), its tmpfs and /dev/shm pages
  (`shmem` in memory.stat, sampled: the kernel keeps no mark of it) and its OOM kills
  (`oom_kill` in memory.oom_control), read from the cgroup fs of this machine; where that cannot be
  read (an engine elsewhere), the Engine's stats `max_usage` at the end.
- `Twin`: tests/engine/stacks/pytest-real (examples/pytest on real servers) at a size, rendered by
  `composegen render --profile pytest`, brought up with `up --wait`, its generated pytest suite run
  in the backend, each service's peak against its limit, and down.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composegen.engine.applied import PROJECT_LABEL
from composegen.engine.highwater import V1_PEAK, memory_cgroup
from composegen.engine.project import ComposeProject, project_name

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "tests" / "engine" / "stacks" / "pytest-real"
MIB = 1024 * 1024
#: limit ÷ peak must lie here (issue 14): under 1.1 is an OOM kill waiting for a noisier run, over
#: 1.4 is memory reserved for nothing.
LOW, HIGH = 1.1, 1.4
SERVICE_LABEL = "com.docker.compose.service"


def composegen(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(env) if env is not None else None,
    )


def engine_version(client: Any) -> str:
    return str(client.version().get("Version", "25"))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None


def _field(text: str | None, name: str) -> int:
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        if key == name and value.strip().isdigit():
            return int(value)
    return 0


@dataclass
class Watched:
    service: str
    container_id: str
    folder: Path | None  # the memory cgroup's folder, None where it cannot be read here
    peak_file: str
    peak: int = 0
    shmem: int = 0
    oom_kills: int = 0
    working_set: int = 0  # the most of usage − inactive file pages (the kubelet's working set), sampled


class CgroupWatch:
    """Samples each watched container's cgroup every POLL seconds in a thread of its own."""

    POLL = 0.25

    def __init__(self, client: Any) -> None:
        self.client = client
        self.watched: dict[str, Watched] = {}
        self._by_service: dict[str, Watched] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="servers-cgroups", daemon=True)
        self._thread.start()

    def watch(self, service: str, container: Any) -> None:
        if container.id in self.watched:
            return
        container.reload()
        pid = int(container.attrs["State"].get("Pid") or 0)
        found = memory_cgroup(_read(Path(f"/proc/{pid}/cgroup")) or "") if pid else None
        folder, peak_file = (found[0], found[1]) if found and container.id in str(found[0]) else (None, "")
        with self._lock:
            self.watched[container.id] = Watched(service, container.id, folder, peak_file)
        self._sample(self.watched[container.id])

    def watch_project(self, project: str) -> None:
        for container in self.client.containers.list(filters={"label": f"{PROJECT_LABEL}={project}"}):
            self.watch(container.labels.get(SERVICE_LABEL, container.name), container)

    def _sample(self, w: Watched) -> None:
        if w.folder is None:
            return
        peak = _read(w.folder / w.peak_file)
        if peak and peak.split()[0].isdigit():
            w.peak = max(w.peak, int(peak.split()[0]))
        stat = _read(w.folder / "memory.stat")
        w.shmem = max(w.shmem, _field(stat, "shmem"))
        usage = _read(w.folder / ("memory.usage_in_bytes" if w.peak_file == V1_PEAK else "memory.current"))
        if usage and usage.strip().isdigit():  # v1 names the hierarchy's total_inactive_file, v2 inactive_file
            inactive = _field(stat, "total_inactive_file") or _field(stat, "inactive_file")
            w.working_set = max(w.working_set, int(usage) - inactive)
        w.oom_kills = max(w.oom_kills, _field(_read(w.folder / "memory.oom_control"), "oom_kill"))

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                for w in self.watched.values():
                    self._sample(w)
            self._stop.wait(self.POLL)

    def finish(self) -> dict[str, Watched]:
        """Stops sampling (before the containers go: their cgroups go with them); the Engine's
        `max_usage` where the cgroup fs could not be read. By service. Called again, the same."""
        if self._stop.is_set():
            return self._by_service
        self._stop.set()
        self._thread.join()
        for w in self.watched.values():
            self._sample(w)
            if w.folder is None:
                try:
                    stats = self.client.containers.get(w.container_id).stats(stream=False)
                    w.peak = max(w.peak, int((stats.get("memory_stats") or {}).get("max_usage") or 0))
                except Exception:  # gone: no mark from here
                    pass
        by_service: dict[str, Watched] = {}
        for w in self.watched.values():
            seen = by_service.get(w.service)
            if seen is None or w.peak > seen.peak:
                by_service[w.service] = w
        self._by_service = by_service
        return by_service


@dataclass(frozen=True)
class ServicePeak:
    """One service of a run: its limit and tmpfs as applied, and what it used."""

    service: str
    limit: int
    tmpfs: int  # the sizes of its tmpfs mounts, as applied
    peak: int
    tmpfs_peak: int  # its tmpfs and /dev/shm pages (shmem), sampled
    oom_kills: int
    restarts: int
    status: str
    working_set: int = 0  # the most of usage − inactive file pages, sampled (reclaimable page cache left out)

    @property
    def ratio(self) -> float:
        return self.limit / self.peak if self.peak and self.limit else float("inf")

    @property
    def verdict(self) -> str:
        return verdict(self.ratio, self.oom_kills)


def verdict(ratio: float, oom_kills: int) -> str:
    if oom_kills:
        return f"{oom_kills} OOM kill" + ("s" if oom_kills > 1 else "")
    if ratio < LOW:
        return "tight"
    if ratio > HIGH:
        return "loose"
    return "ok"


def applied_tmpfs(attrs: Mapping[str, Any]) -> int:
    host = attrs.get("HostConfig") or {}
    mounts = host.get("Mounts") or []
    return sum(int((m.get("TmpfsOptions") or {}).get("SizeBytes") or 0) for m in mounts if m.get("Type") == "tmpfs")


def service_peaks(client: Any, project: str, watched: Mapping[str, Watched]) -> list[ServicePeak]:
    rows = []
    for container in client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}):
        attrs = container.attrs
        service = container.labels.get(SERVICE_LABEL, container.name)
        w = watched.get(service)
        state = attrs.get("State") or {}
        health = (state.get("Health") or {}).get("Status")
        oom = max(w.oom_kills if w else 0, 1 if state.get("OOMKilled") else 0)
        rows.append(
            ServicePeak(
                service=service,
                limit=int((attrs.get("HostConfig") or {}).get("Memory") or 0),
                tmpfs=applied_tmpfs(attrs),
                peak=w.peak if w else 0,
                tmpfs_peak=w.shmem if w else 0,
                oom_kills=oom,
                restarts=int(attrs.get("RestartCount") or 0),
                status=f"{state.get('Status')}" + (f" ({health})" if health else ""),
                working_set=w.working_set if w else 0,
            )
        )
    return sorted(rows, key=lambda r: r.service)


def mib(n: float) -> str:
    return f"{n / MIB:,.0f} MiB"


def peaks_table(rows: list[ServicePeak]) -> str:
    lines = [
        "| service | limit | tmpfs | peak | peak tmpfs + shm | limit ÷ peak | OOM kills | restarts | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.service} | {mib(r.limit)} | {mib(r.tmpfs)} | {mib(r.peak)} | {mib(r.tmpfs_peak)} | "
            f"{r.ratio:.2f} | {r.oom_kills} | {r.restarts} | {r.verdict} |"
        )
    return "\n".join(lines)


# --- the twin of examples/pytest ----------------------------------------------------------------


#: What a row of the twin's MariaDB table takes in its InnoDB file (items.ibd, its primary key
#: included), the most measured (`du` in the container after the init script, docs/benchmarks.md
#: "MariaDB's room for the declared data"): 19 MiB for 50,000 rows (400 B a row), 76 MiB for
#: 300,000 (266 B). Declared at 640 B until then, 1.6-2.4 × what the rows take: a plan gives the
#: declared dataset room whatever a calibrate run loaded, so the declaration is what the data is.
MARIADB_ROW_ON_DISK = 400


@dataclass(frozen=True)
class TwinSize:
    """The twin stack's size: the suite, the datasets the init scripts and the suite load, and what
    composegen.yaml declares for them."""

    tests: int = 2000
    pgbench_scale: int = 2  # ~15 MiB a unit, indexes included
    mariadb_rows: int = 50_000  # ~200 bytes a row of values; on disk see MARIADB_ROW_ON_DISK
    redis_keys: int = 20_000
    redis_value_bytes: int = 512
    backend_workers: int = 4
    connections: int = 20

    def environment(self) -> dict[str, str]:
        return {
            "PGBENCH_SCALE": str(self.pgbench_scale),
            "MARIADB_ROWS": str(self.mariadb_rows),
            "REDIS_KEYS": str(self.redis_keys),
            "REDIS_VALUE_BYTES": str(self.redis_value_bytes),
        }

    def declared(self) -> dict[str, Any]:
        """composegen.yaml for this size: the datasets as a user would declare them, rounded up to MiB."""

        def size(n: float) -> str:
            return f"{max(1, -(-int(n) // MIB))}M"

        return {
            "compose_files": ["docker-compose.yml"],
            "host": {"memory": "8g", "cpus": 2},
            "services": {
                "backend": {"workers": self.backend_workers, "tests": self.tests},
                "auth": {"workers": 2},
                "postgres": {"dataset": size(self.pgbench_scale * 16 * MIB), "connections": self.connections},
                # the values; composegen counts each key's own memory from value_size (sizing/redis.py)
                "redis": {
                    "dataset": size(self.redis_keys * self.redis_value_bytes),
                    "value_size": self.redis_value_bytes,
                    "persistence": False,
                },
                "mariadb": {"dataset": size(self.mariadb_rows * MARIADB_ROW_ON_DISK), "connections": self.connections},
            },
        }


def twin_folder(folder: Path, size: TwinSize) -> Path:
    """A copy of the twin stack in `folder`, with composegen.yaml declaring `size`."""
    root = folder / "pytest-real"
    shutil.copytree(TWIN, root)
    (root / "composegen.yaml").write_text(json.dumps(size.declared(), indent=2) + "\n", encoding="utf-8")
    return root


@dataclass
class TwinRun:
    project: str
    up_seconds: float
    up_ok: bool
    up_output: str
    suite_seconds: float = 0.0
    suite_exit: int | None = None
    suite_output: str = ""
    peaks: list[ServicePeak] = field(default_factory=list)


def run_twin(
    client: Any,
    root: Path,
    size: TwinSize,
    overlay: Path,
    log: Callable[[str], None] = lambda _: None,
    kind: str = "twin",
) -> TwinRun:
    """Base + `overlay` up with `--wait`, the suite in the backend, the peaks; always down."""
    env = {**os.environ, **size.environment()}
    files = [root / "docker-compose.yml", overlay]
    project = ComposeProject(project_name(f"pytest-real-{kind}", "servers"), files, env)
    watch = CgroupWatch(client)
    started = time.monotonic()
    try:
        up = project.up(300)
        run = TwinRun(project.name, time.monotonic() - started, up.ok, up.last_lines(20))
        watch.watch_project(project.name)
        log(f"{kind}: up --wait {'healthy' if up.ok else 'FAILED'} in {run.up_seconds:.0f} s")
        if up.ok:
            backend = client.containers.list(
                filters={"label": [f"{PROJECT_LABEL}={project.name}", f"{SERVICE_LABEL}=backend"]}
            )[0]
            started = time.monotonic()
            code, out = backend.exec_run(["sh", "/app/run-suite.sh", str(size.tests)])
            run.suite_seconds = time.monotonic() - started
            run.suite_exit = int(code)
            run.suite_output = out.decode(errors="replace")
            tail = run.suite_output.strip().splitlines()[-1:] or ["(no output)"]
            log(f"{kind}: suite exit {code} in {run.suite_seconds:.0f} s: {tail[0]}")
        watched = watch.finish()
        run.peaks = service_peaks(client, project.name, watched)
        return run
    finally:
        watch.finish()
        project.down()
