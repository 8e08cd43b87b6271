"""Peak memory of a command the way the kernel charges a container.

The command runs in a memory cgroup of its own, made under this process's cgroup (cgroup v2:
`memory.peak`; v1: `memory.max_usage_in_bytes`), so it and every process it forks are charged
there, page cache included, as in a container. While it runs, the summed PSS of its process tree
(/proc/PID/smaps_rollup) is sampled fast too: that is the fallback where no memory cgroup can be
made, and a cross-check (a shared page another cgroup faulted in first is charged there, not
here, but PSS still counts its share).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from composegen.engine.highwater import CGROUP_ROOT, V2_PEAK, memory_cgroup

SAMPLE_SECONDS = 0.02


@dataclass(frozen=True)
class Peak:
    """What one run peaked at, in bytes; `cgroup` is None where no memory cgroup could be made."""

    cgroup: int | None
    pss: int
    seconds: float
    returncode: int
    output: str = ""  # the last lines the command printed

    @property
    def bytes(self) -> int:
        """The measured peak: the cgroup's, or the larger PSS where another cgroup holds shared pages."""
        return max(self.cgroup or 0, self.pss)

    @property
    def method(self) -> str:
        return "cgroup" if self.cgroup is not None and self.cgroup >= self.pss else "pss"


@dataclass(frozen=True)
class MemoryCgroup:
    path: Path
    peak_file: str

    def peak(self) -> int:
        return int((self.path / self.peak_file).read_text().split()[0])

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(f"{pid}\n")


def own_memory_cgroup(proc_cgroup: str, root: Path = CGROUP_ROOT) -> tuple[Path, str] | None:
    """This process's memory cgroup directory and the file its peak is read from, or None.

    `proc_cgroup` is the text of /proc/self/cgroup: `0::/path` on v2, `N:memory:/path` on v1.
    """
    found = memory_cgroup(proc_cgroup, root)
    if found is not None and found[1] == V2_PEAK and "memory" not in _read(root / "cgroup.controllers").split():
        return None  # cgroup v2 without the memory controller
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@contextlib.contextmanager
def child_cgroup(name: str) -> Iterator[MemoryCgroup | None]:
    """A fresh memory cgroup under ours for one run (None where we may not make one), removed after."""
    found = own_memory_cgroup(_read(Path("/proc/self/cgroup")))
    if found is None:
        yield None
        return
    parent, peak_file = found
    path = parent / name
    try:
        path.mkdir()
    except OSError:
        yield None
        return
    try:
        yield MemoryCgroup(path, peak_file)
    finally:
        for _ in range(50):  # the last process may still be exiting
            try:
                path.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def tree_pids(root: int) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def pss_bytes(pid: int) -> int:
    """A process's proportional set size in bytes, 0 once it is gone."""
    text = _read(Path(f"/proc/{pid}/smaps_rollup"))
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_pss(root: int) -> int:
    return sum(pss_bytes(pid) for pid in tree_pids(root))


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900.0,
    during: Callable[[subprocess.Popen[bytes]], None] | None = None,
    quiet: bool = True,
) -> Peak:
    """Run `argv` in a memory cgroup of its own and return its peak.

    `during`, if given, is called in a thread of its own with the running process (to send it
    requests, then stop it); without it the command runs to its end. `quiet` keeps what it prints
    (the last lines come back in `Peak.output`) instead of passing it through.
    """
    import tempfile
    import threading

    name = f"composegen-accuracy-{os.getpid()}-{time.monotonic_ns()}"
    with child_cgroup(name) as cgroup, tempfile.TemporaryFile() as log:
        start = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=log if quiet else None,
            stderr=subprocess.STDOUT if quiet else None,
            # the child joins the cgroup before it execs: everything it runs or forks is charged there
            preexec_fn=(lambda: cgroup.add(os.getpid())) if cgroup is not None else None,
        )
        driver = threading.Thread(target=during, args=(proc,), daemon=True) if during else None
        if driver is not None:
            driver.start()
        pss = 0
        while proc.poll() is None:
            pss = max(pss, tree_pss(proc.pid))
            if time.monotonic() - start > timeout:
                proc.kill()
            time.sleep(SAMPLE_SECONDS)
        seconds = time.monotonic() - start
        if driver is not None:
            driver.join(timeout=30)
        peak = cgroup.peak() if cgroup is not None else None
        log.seek(0)
        output = "\n".join(log.read().decode(errors="replace").splitlines()[-15:])
    return Peak(peak, pss, seconds, proc.returncode, output)
