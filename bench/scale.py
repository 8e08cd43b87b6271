"""composegen's sampling at agent scale: N busybox agents on a real engine (issue 17).

    python bench/scale.py                          # N = 10, 50, 100, 300, 500
    python bench/scale.py --counts 10 50           # a smaller set
    python bench/scale.py --update docs/benchmarks.md   # also rewrite that page's scale section
    python bench/scale.py --subnet 172.29.252.0/22      # the agents' network, when the engine's is small

An engine whose address pools hand out /24 networks has 253 addresses for one compose project's
default network: past that, `up` fails with "no available IPv4 addresses". scripts/engine hands
out /22 networks (1,021 addresses); on another engine, `--subnet` gives the project's network a
larger one (inside the engine's pool, clear of its other networks).

Needs an engine (DOCKER_HOST, e.g. `scripts/engine up; export DOCKER_HOST=$(scripts/engine host)`)
with the composegen-smoke:local image, and compose v2. One project of the bench's own
(`cgbench-scale-<hex>`) is scaled up through the counts, one `docker compose up -d --scale
agent=N --wait` per count, and taken down at the end (`composegen.engine.project.running`).

At each N:
- `up`: seconds that `up --scale` took from the previous count;
- list + inspect: a new Sampler's first listing and inspect of every container;
- tick: composegen's sampling round (`Sampler.tick()`), the median of `--ticks` rounds, and how
  many containers were read from the cgroup fs and how many through the Engine API;
- interval held: ticks paced as watch paces them at its default 2 s for `--watch` seconds, and the
  mean interval they kept;
- `docker stats --no-stream`: the docker CLI's one-shot over the project's containers;
- host memory per container: what the host pays per added container beyond the container's own
  cgroup: the containerd shims' PSS, dockerd's and containerd's PSS, and the kernel's slab, page
  tables and kernel stacks (/proc/meminfo), each as the change from the previous count over the
  containers added. The kernel's share is machine-wide: other work on the machine moves it, so
  the figure is the change over many containers, not one.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from composegen.compose import oracle  # noqa: E402  (the repository's own package, run from a checkout)
from composegen.engine.client import connect  # noqa: E402
from composegen.engine.project import ComposeProject, running  # noqa: E402
from composegen.engine.sampler import Sampler  # noqa: E402

COUNTS = (10, 50, 100, 300, 500)
SECTION = "## Sampling at agent scale"
WATCH_INTERVAL = 2.0
MIB = 1024 * 1024
COMPOSE = """\
services:
  agent:
    image: composegen-smoke:local
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    mem_limit: 32m
    cpus: 0.05
"""


@dataclass(frozen=True)
class Row:
    n: int
    up: float
    listing: float
    tick: float
    from_fs: int
    from_api: int
    held: float | None
    docker_stats: float
    host_per_container: float | None  # bytes
    parts: dict[str, float]


def _pss(pid: int) -> int:
    """A process's proportional set size in bytes (0 when it is gone or not readable)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


def _processes() -> dict[str, list[int]]:
    """pids by command name (containerd-shim*, dockerd, containerd)."""
    out: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        key = "shim" if name.startswith("containerd-shim") else name
        if key in ("shim", "dockerd", "containerd"):
            out.setdefault(key, []).append(int(entry.name))
    return out


def host_memory() -> dict[str, float]:
    """What the engine's processes and the kernel hold now, in bytes."""
    meminfo = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, value = line.partition(":")
        meminfo[key] = int(value.split()[0]) * 1024
    procs = _processes()
    return {
        "shims": float(sum(_pss(p) for p in procs.get("shim", []))),
        "dockerd": float(sum(_pss(p) for p in procs.get("dockerd", []))),
        "containerd": float(sum(_pss(p) for p in procs.get("containerd", []))),
        "kernel": float(meminfo.get("Slab", 0) + meminfo.get("PageTables", 0) + meminfo.get("KernelStack", 0)),
    }


def docker_stats(name: str) -> float:
    ids = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={name}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    start = time.perf_counter()
    subprocess.run(["docker", "stats", "--no-stream", *ids], capture_output=True, check=True, timeout=600)
    return time.perf_counter() - start


def held_interval(sampler: Sampler, seconds: float) -> float | None:
    """Ticks paced as watch paces them for `seconds`: the mean interval they kept."""
    ticks = 0
    start = sampler.now()
    first = last = start
    next_at = start
    while sampler.now() - start < seconds:
        tick = sampler.tick()
        first, last = (tick.t if ticks == 0 else first), tick.t
        ticks += 1
        interval = sampler.pace(WATCH_INTERVAL)
        next_at = max(next_at + interval, sampler.now() - interval)
        while (now := sampler.now()) < next_at:
            time.sleep(min(0.1, next_at - now))
    return (last - first) / (ticks - 1) if ticks > 1 else None


def measure(project: ComposeProject, client: object, counts: list[int], ticks: int, watch: float) -> list[Row]:
    rows: list[Row] = []
    before_n, before = 0, host_memory()
    for n in counts:
        start = time.perf_counter()
        done = project.scale("agent", n, 600)
        up = time.perf_counter() - start
        if not done.ok:
            raise SystemExit(f"up --scale agent={n} failed: {done.last_lines(3)}")
        time.sleep(2.0)  # let the last ones finish starting before the memory is read
        now = host_memory()
        added = n - before_n
        parts = {k: (now[k] - before[k]) / added for k in now} if added > 0 else {}
        before_n, before = n, now
        with Sampler(client, project.name) as sampler:  # type: ignore[arg-type]
            start = time.perf_counter()
            sampler.containers()
            listing = time.perf_counter() - start
            costs = []
            last = None
            for _ in range(ticks):
                start = time.perf_counter()
                last = sampler.tick()
                costs.append(time.perf_counter() - start)
            held = held_interval(sampler, watch) if watch > 0 else None
        assert last is not None
        rows.append(
            Row(
                n=n,
                up=up,
                listing=listing,
                tick=statistics.median(costs),
                from_fs=last.from_cgroup_fs,
                from_api=last.from_engine_api,
                held=held,
                docker_stats=docker_stats(project.name),
                host_per_container=sum(parts.values()) if parts else None,
                parts=parts,
            )
        )
        print(table(rows[-1:], header=not rows[:-1]), flush=True)
    return rows


def overall(rows: list[Row]) -> dict[str, float]:
    """The host memory per container from none to the last count (each row's share × containers added)."""
    out: dict[str, float] = {}
    before = 0
    for r in rows:
        for key, value in r.parts.items():
            out[key] = out.get(key, 0.0) + value * (r.n - before)
        before = r.n
    return {k: v / rows[-1].n for k, v in out.items()} if rows else {}


def split(parts: dict[str, float]) -> str:
    shown = " / ".join(f"{parts[k] / MIB:.1f}" for k in ("shims", "dockerd", "containerd", "kernel"))
    return f"{sum(parts.values()) / MIB:.1f} MiB ({shown})"


def table(rows: list[Row], header: bool = True) -> str:
    lines = []
    if header:
        lines += [
            "| agents | `up --scale` (from the row above) | list + inspect, once | composegen tick "
            "| read from | watch at 2 s kept | `docker stats --no-stream` | host memory per added container "
            "(shims / dockerd / containerd / kernel) |",
            "|---|---|---|---|---|---|---|---|",
        ]
    for r in rows:
        held = f"{r.held:.2f} s" if r.held is not None else "-"
        source = f"{r.from_fs} cgroup fs" + (f", {r.from_api} Engine API" if r.from_api else "")
        host = "-" if r.host_per_container is None else split(r.parts)
        lines.append(
            f"| {r.n} | {r.up:.1f} s | {r.listing:.2f} s | {r.tick * 1000:.0f} ms | {source} | {held} "
            f"| {r.docker_stats:.1f} s | {host} |"
        )
    return "\n".join(lines)


def update(page: Path, rows: list[Row], command: str) -> None:
    text = page.read_text(encoding="utf-8")
    section = f"{SECTION}\n\n{section_body(rows, command)}\n"
    if SECTION in text:
        head, _, rest = text.partition(SECTION)
        tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
        text = head + section + ("\n" + tail.lstrip("\n") if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    page.write_text(text, encoding="utf-8")


def section_body(rows: list[Row], command: str) -> str:
    return (
        f"Busybox agents (32M, 0.05 cpus), one compose project scaled up through the counts: `{command}`\n"
        "(the project's test engine, dockerd 20.10, cgroup v1, on a 2-core machine shared with other work:\n"
        "load average 15-19 during the run, so the `up` times are slower than on an idle machine).\n"
        "The tick is composegen's sampling round (`composegen.engine.sampler`): the project's container\n"
        "events since the last round, and every running container's cgroup files in one pass; \"watch at\n"
        '2 s kept" is the mean interval of rounds paced as `watch` paces them. Before issue 17 the round\n'
        "listed and inspected every container and read the Engine API's one-shot stats, 16 at once:\n"
        "1.03 s at 10 agents, 4.2 s at 50, 7.4 s at 100, 20.6 s at 300, 34.6 s at 500.\n\n"
        f"{table(rows)}\n\n"
        f"From none to {rows[-1].n} containers the host paid {split(overall(rows))} per container.\n"
        "The host's memory per added container is the change in the containerd shims' PSS, dockerd's and\n"
        "containerd's PSS and the kernel's slab, page tables and kernel stacks (/proc/meminfo) from the\n"
        "row above, over the containers added; `composegen plan` counts 5.8 MiB per container\n"
        "(composegen.plan.capacity.HOST_PER_CONTAINER).\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--counts", type=int, nargs="+", default=list(COUNTS))
    parser.add_argument("--ticks", type=int, default=5, help="rounds timed at each count (the median is shown)")
    parser.add_argument("--watch", type=float, default=10.0, help="seconds paced as watch paces, at each count")
    parser.add_argument("--update", type=Path, help="rewrite this page's scale section with the table")
    parser.add_argument("--subnet", help="the agents' network's subnet, e.g. 172.29.252.0/22 (default: the engine's)")
    args = parser.parse_args(argv)
    oracle.compose_command()
    client = connect()
    name = f"cgbench-scale-{os.urandom(3).hex()}"
    with tempfile.TemporaryDirectory(prefix="composegen-bench-scale-") as tmp:
        compose = Path(tmp) / "docker-compose.yml"
        network = f"networks:\n  default:\n    ipam:\n      config:\n        - subnet: {args.subnet}\n"
        compose.write_text(COMPOSE + (network if args.subnet else ""), encoding="utf-8")
        project = ComposeProject(name, (compose,), log=lambda line: print(line, file=sys.stderr))
        start = time.perf_counter()
        with running(project, client):
            rows = measure(project, client, sorted(args.counts), args.ticks, args.watch)
            down_from = time.perf_counter()
        print(f"teardown of {rows[-1].n} agents: {time.perf_counter() - down_from:.1f} s", file=sys.stderr)
    print(f"whole run: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print(f"host memory per container, none to {rows[-1].n}: {split(overall(rows))}", file=sys.stderr)
    if args.update:
        shown = "python bench/scale.py" + (f" --counts {' '.join(map(str, args.counts))}" if args.counts else "")
        shown += f" --subnet {args.subnet}" if args.subnet else ""
        update(args.update, rows, shown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
