"""What each tmpfs a container mounts held, read through its root (composegen.engine.mounts), on a
made-up /proc: the mountinfo says which targets are tmpfs mounts and of which device, statvfs
says what the mount holds."""

from __future__ import annotations

import os
from pathlib import Path

from composegen.engine.mounts import tmpfs_devices, tmpfs_used

MOUNTINFO = (
    "600 500 0:61 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l\n"
    "610 600 0:70 / /var/lib/postgresql/data rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,size=278528k\n"
    "611 600 0:71 / /with\\040space rw,relatime - tmpfs tmpfs rw,size=1024k\n"
    "612 600 0:72 / /covered rw,relatime - tmpfs tmpfs rw\n"
    "613 612 8:1 /x /covered rw,relatime - ext4 /dev/sda1 rw\n"
    "614 600 0:73 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n"
)


def test_the_tmpfs_mounts_and_their_devices_are_read_from_mountinfo() -> None:
    found = tmpfs_devices(MOUNTINFO)
    assert found == {
        "/var/lib/postgresql/data": os.makedev(0, 70),
        "/with space": os.makedev(0, 71),  # octal escapes undone
        "/dev/shm": os.makedev(0, 73),
    }  # "/" is overlay; "/covered" has an ext4 mounted over its tmpfs


def _proc(tmp_path: Path, device: int, targets: tuple[str, ...]) -> Path:
    """A /proc with pid 42, whose root holds each target, each a tmpfs of `device` per its mountinfo."""
    proc = tmp_path / "proc"
    lines = [
        f"{600 + i} 500 {os.major(device)}:{os.minor(device)} / {t} rw - tmpfs tmpfs rw" for i, t in enumerate(targets)
    ]
    (proc / "42").mkdir(parents=True)
    (proc / "42" / "mountinfo").write_text("\n".join(lines) + "\n")
    for target in targets:
        (proc / "42" / "root" / target.lstrip("/")).mkdir(parents=True)
    return proc


def test_each_tmpfs_target_is_read_through_the_container_root(tmp_path: Path) -> None:
    device = tmp_path.stat().st_dev
    proc = _proc(tmp_path, device, ("/data", "/run/app"))
    fs = os.statvfs(tmp_path)
    used = (fs.f_blocks - fs.f_bfree) * fs.f_frsize
    got = dict(tmpfs_used(proc, 42, ("/data/", "/run/app", "/not-mounted")))
    assert set(got) == {"/data/", "/run/app"}  # by the target as inspect gives it
    assert all(abs(v - used) <= 64 * 1024 * 1024 for v in got.values())  # the same fs, read moments apart


def test_a_path_that_leads_to_another_device_is_not_read(tmp_path: Path) -> None:
    """The mountinfo's device and the path's must agree: a symlink or a mount changed under the
    reader cannot make it report some other filesystem."""
    proc = _proc(tmp_path, os.makedev(0, 999), ("/data",))
    assert tmpfs_used(proc, 42, ("/data",)) == ()


def test_nothing_is_read_where_the_pid_is_not_ours_to_see(tmp_path: Path) -> None:
    assert tmpfs_used(tmp_path, 42, ("/data",)) == ()  # no mountinfo
    assert tmpfs_used(tmp_path, 42, ()) == ()
