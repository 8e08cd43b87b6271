"""A container's memory high-water mark read from the cgroup fs, where the Engine's stats have none.

The Engine's stats carry the cgroup's high-water mark as `memory_stats.max_usage` on cgroup v1
only: on cgroup v2 runc's stats leave it unset and the Engine sends no `max_usage`
(moby/moby#43150; opencontainers/runc libcontainer/cgroups/fs2/memory.go). Linux 5.19 added the v2
counterpart, `memory.peak` (torvalds/linux@8e20d4b33266: the cgroup's highest usage since it was
made); older v2 kernels have no mark at all.

How it is found: the container's init pid (inspect `State.Pid`), its `/proc/PID/cgroup`, the memory
cgroup's folder under /sys/fs/cgroup, and there `memory.peak` (v2) or `memory.max_usage_in_bytes`
(v1). It is used only when that cgroup's path names the container's id (`/docker/<id>`,
`docker-<id>.scope`): an engine in a VM (Docker Desktop), a remote engine, or composegen in another
pid namespace sees some other process at that pid, or none, and then there is no mark from here.
"""

from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC = Path("/proc")
V1_PEAK = "memory.max_usage_in_bytes"
V2_PEAK = "memory.peak"


def memory_cgroup(proc_cgroup: str, root: Path = CGROUP_ROOT) -> tuple[Path, str] | None:
    """The memory cgroup folder a `/proc/PID/cgroup` text names, and the file of its high-water mark.

    v1 `N:memory:/path` gives root/memory/path and memory.max_usage_in_bytes; v2 `0::/path` gives
    root/path and memory.peak. On a hybrid hierarchy (both lines) the v1 memory controller is the
    one that charges the process, so its line wins.
    """
    unified: tuple[Path, str] | None = None
    for line in proc_cgroup.splitlines():
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        number, controllers, path = fields
        if "memory" in controllers.split(","):
            return root / "memory" / path.lstrip("/"), V1_PEAK
        if number == "0" and controllers == "":
            unified = (root / path.lstrip("/"), V2_PEAK)
    return unified


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None


class CgroupPeaks:
    """Reads the high-water mark of containers' memory cgroups from this machine's cgroup fs.

    `peak(container_id, pid)` is the mark in bytes and the file it was read from, or None where it
    cannot be read here (see the module docstring); the file found for a pid is kept, and a pid
    whose file cannot be read is not tried again.
    """

    def __init__(self, proc: Path = PROC, root: Path = CGROUP_ROOT) -> None:
        self.proc = proc
        self.root = root
        self._found: dict[tuple[str, int], Path | None] = {}

    def _file(self, container_id: str, pid: int) -> Path | None:
        key = (container_id, pid)
        if key not in self._found:
            text = _read(self.proc / str(pid) / "cgroup")
            found = memory_cgroup(text, self.root) if text is not None and container_id else None
            # the id in the path proves the pid is the container's on this machine, not another's
            self._found[key] = found[0] / found[1] if found is not None and container_id in str(found[0]) else None
        return self._found[key]

    def peak(self, container_id: str, pid: int | None) -> tuple[int, str] | None:
        """(bytes, the file's name), or None."""
        if not pid or pid <= 0:
            return None
        path = self._file(container_id, pid)
        text = _read(path) if path is not None else None
        if path is None or text is None:
            if path is not None:
                self._found[(container_id, pid)] = None  # gone (the container stopped) or not readable
            return None
        words = text.split()
        return (int(words[0]), path.name) if words and words[0].isdigit() else None
