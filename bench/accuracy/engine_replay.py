"""Engine cases: the busybox workloads of tests/engine/stacks, sized by `composegen calibrate`, then
replayed on the real Docker Engine under the limits it recommended. The target is no OOM kill.

For each stack: calibrate under the pytest profile (its own project name), render the overlay from
the measurements file, start base + overlay under another project name, sample every container's
peak (the engine's `max_usage` on cgroup v1, else its usage) for as long as calibrate ran, read
`State.OOMKilled`, and take it down.

A container that spikes and exits (shapes/spike) is gone before the next stats reading, and its
cgroup with it: here the cgroup goes 12-19 ms after its last process, its high-water mark readable
until then (80-120 ms from the spike passing 100 MiB). The replay also reads each container's mark
from the cgroup fs every 5 ms (composegen.engine.highwater, as root on the engine's machine), so the
measured column holds the real peak of such a spike.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.accuracy.table import MIB, Row
from composegen.engine.applied import PROJECT_LABEL
from composegen.engine.highwater import CgroupPeaks
from composegen.engine.project import ComposeProject, project_name

ROOT = Path(__file__).resolve().parent.parent.parent
STACKS = ROOT / "tests" / "engine" / "stacks"
#: shapes: steady, growing (a leak) and a spike calibrate sees OOM-killed; watch: a growth that
#: stops and one that never stops (killed at its limit: its tmpfs has no size).
REPLAYED = ("shapes", "watch")
PROFILE = "pytest"
MAX_ROUNDS = 3


def ensure_docker_host() -> None:
    if not os.environ.get("DOCKER_HOST"):
        host = subprocess.run([str(ROOT / "scripts" / "engine"), "host"], capture_output=True, text=True, check=True)
        os.environ["DOCKER_HOST"] = host.stdout.strip()


def composegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def peak_of(stats: dict[str, Any]) -> int:
    memory = stats.get("memory_stats") or {}
    return int(memory.get("max_usage") or memory.get("usage") or 0)


class FastMarks:
    """Reads the cgroup fs high-water mark of each container it is given every POLL seconds, in a
    thread of its own, until stopped; `marks` holds the highest per service."""

    POLL = 0.005

    def __init__(self) -> None:
        self.peaks = CgroupPeaks()
        self.watched: dict[str, tuple[str, str, int]] = {}  # container id: (service, id, pid)
        self.marks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="accuracy-marks", daemon=True)
        self._thread.start()

    def watch(self, service: str, container_id: str, pid: int) -> None:
        self.watched.setdefault(container_id, (service, container_id, pid))

    def _run(self) -> None:
        while not self._stop.is_set():
            for service, container_id, pid in list(self.watched.values()):
                mark = self.peaks.peak(container_id, pid)
                if mark is not None:
                    self.marks[service] = max(self.marks.get(service, 0), mark[0])
            self._stop.wait(self.POLL)

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.marks


def calibrate_rounds(root: Path, stack: str, seconds: float, log: Callable[[str], None]) -> int:
    """Calibrate until a run sees no OOM kill (at most MAX_ROUNDS), each round under the overlay
    the previous one recommended, as a usage-history recommender bumps a limit after each kill
    (facts/sizing.md §Recommenders). Leaves overlay.yml for the last round; returns the rounds."""
    for round_ in range(1, MAX_ROUNDS + 1):
        extra = ["-f", "overlay.yml"] if round_ > 1 else []
        calibrated = composegen(
            "calibrate", "--profile", PROFILE, "-o", "m.json", "--duration", f"{seconds:g}s", "--interval", "1s",
            "--project-name", project_name(f"accuracy-{stack}", "calibrate"), "--no-live", *extra, cwd=root,
        )  # fmt: skip
        if not (root / "m.json").exists():
            raise RuntimeError(f"calibrate {stack} wrote nothing: {calibrated.stdout}{calibrated.stderr}")
        rendered = composegen(
            "render", "--profile", PROFILE, "--measurements", "m.json", "-o", "overlay.yml", "--force", cwd=root
        )
        if rendered.returncode != 0:
            raise RuntimeError(f"render {stack}: {rendered.stderr}")
        services = json.loads((root / "m.json").read_text())["services"]
        killed = [n for n, s in services.items() if (s.get("oom") or {}).get("killed")]
        log(f"engine {stack}: calibrate round {round_}: OOM-killed while measured: {', '.join(killed) or 'none'}")
        if not killed:
            return round_
    return MAX_ROUNDS


def replay(stack: str, seconds: float, log: Callable[[str], None]) -> list[Row]:
    from composegen.engine.client import connect, project_containers

    client = connect()
    with tempfile.TemporaryDirectory(prefix="composegen-accuracy-") as folder:
        root = Path(folder) / stack
        shutil.copytree(STACKS / stack, root)
        rounds = calibrate_rounds(root, stack, seconds, log)
        project = ComposeProject(
            project_name(f"accuracy-{stack}", "replay"), [root / "docker-compose.yml", root / "overlay.yml"]
        )
        peaks: dict[str, int] = {}
        marks = FastMarks()
        try:
            started = project.up_detached(120)
            if not started.ok:
                raise RuntimeError(f"replay {stack}: {started.last_lines()}")
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for c in client.containers.list(filters={"label": f"{PROJECT_LABEL}={project.name}"}):
                    service = c.labels.get("com.docker.compose.service", c.name)
                    try:
                        if c.id not in marks.watched:
                            marks.watch(service, c.id, int(client.api.inspect_container(c.id)["State"]["Pid"]))
                        peaks[service] = max(peaks.get(service, 0), peak_of(c.stats(stream=False, one_shot=True)))
                    except Exception:  # it may have just exited: its last reading stays
                        continue
                time.sleep(0.5)
            inspected = project_containers(client, project.name)
        finally:
            for service, mark in marks.stop().items():
                peaks[service] = max(peaks.get(service, 0), mark)
            project.down()
        rows = []
        for data in inspected:
            service = data["Config"]["Labels"].get("com.docker.compose.service", data["Name"])
            killed = 1 if data["State"].get("OOMKilled") else 0
            limit = float(data["HostConfig"].get("Memory") or 0)
            plural = "s" if rounds > 1 else ""
            inputs = f"{rounds} calibrate round{plural} of {seconds:g} s ({PROFILE}), replay {seconds:g} s"
            peak = peaks.get(service, 0)
            rows.append(Row(f"engine {stack}/{service}", inputs, limit, peak, limit, "container", killed))
            log(
                f"engine {stack}/{service}: limit {limit / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB, "
                f"OOM killed: {bool(killed)}"
            )
        return sorted(rows, key=lambda r: r.case)


def replay_rows(quick: bool, log: Callable[[str], None]) -> list[Row]:
    ensure_docker_host()
    seconds = 12.0 if quick else 20.0
    return [row for stack in REPLAYED for row in replay(stack, seconds, log)]
