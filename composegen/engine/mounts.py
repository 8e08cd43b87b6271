"""What each tmpfs a container mounts holds, read on the machine the engine runs on.

memory.stat's `shmem` counts a container's tmpfs pages together with its other shared memory
(PostgreSQL's shared_buffers, /dev/shm): it cannot say what one tmpfs held. Where the sampler reads
a container's cgroup from this machine's fs (composegen.engine.cgroupfs: the engine runs here and
its processes are ours to see), it also reads each tmpfs the container mounts (inspect's
`HostConfig.Tmpfs` and `Mounts` of type tmpfs) through the container's root: `statvfs` of
`/proc/PID/root/TARGET` gives the mount's used blocks ((f_blocks − f_bfree) × f_frsize), what `df`
says inside the container. A target is read only where the container's `/proc/PID/mountinfo` has a
tmpfs mounted at it and the path reached is that mount's device (a path inside the container
cannot lead the read elsewhere). Where it cannot be read (an engine in a VM or on another machine,
a pid that is not ours) nothing is recorded, and sizing falls back to `shmem`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def _unescape(field: str) -> str:
    """A mountinfo path: space, tab, newline and backslash are written as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def tmpfs_devices(mountinfo: str) -> dict[str, int]:
    """{mount point: device number} of the tmpfs mounts in a `/proc/PID/mountinfo` text; where
    several are mounted at one point, the last (the one on top)."""
    found: dict[str, int] = {}
    for line in mountinfo.splitlines():
        fields = line.split(" ")
        if " - " not in line or len(fields) < 7:
            continue
        after = line.split(" - ", 1)[1].split(" ")
        major, _, minor = fields[2].partition(":")
        point = _unescape(fields[4])
        if after[0] == "tmpfs" and major.isdigit() and minor.isdigit():
            found[point] = os.makedev(int(major), int(minor))
        else:
            found.pop(point, None)  # something else mounted over it
    return found


def tmpfs_used(proc: Path, pid: int, targets: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """(target, bytes used) of each of `targets` that is a tmpfs in the container whose init
    process is `pid`, read through its root; () where none can be read from here."""
    if not targets:
        return ()
    try:
        mounted = tmpfs_devices((proc / str(pid) / "mountinfo").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ()
    out: list[tuple[str, int]] = []
    for target in targets:
        point = target.rstrip("/") or "/"
        device = mounted.get(point)
        if device is None:
            continue
        path = proc / str(pid) / "root" / point.lstrip("/")
        try:
            if path.stat().st_dev != device:
                continue
            fs = os.statvfs(path)
        except OSError:
            continue
        out.append((target, (fs.f_blocks - fs.f_bfree) * fs.f_frsize))
    return tuple(out)
