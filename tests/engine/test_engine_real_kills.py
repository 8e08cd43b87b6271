"""Real kills with real programs (issue 13 §Proof), on the servers image (scripts/servers-image):
what lint reads from a compose file's command line is what the kernel does to it, and what
`composegen render` sizes for that command line runs.

(a) `gunicorn -w 4` serving an app whose every worker holds 40 MiB, in a 96M limit sized for
    fewer workers: the kernel OOM-kills its workers; lint flags it (CG309); base + the dev
    overlay starts healthy with all four workers alive and no OOM kill.
(b) `java -Xmx256m` running a program that fills its heap, in a 128M limit: the JVM is killed as
    it allocates; lint flags it (CG304); base + the dev overlay runs it to a full heap.

How the kernel kills here (cgroup v1, no swap):
- gunicorn: the OOM killer picks the biggest process of the memory cgroup, a worker, not the
  arbiter (PID 1). The container keeps running and `State.OOMKilled` stays false; gunicorn logs
  the worker "terminated due to signal 9", boots another, and the kernel kills that one too,
  hundreds of times a minute. So the kill is read from the engine's `oom` events for the
  container and the memory cgroup's own oom_kill count, not from OOMKilled.
- java: the JVM is PID 1 and the only big process: the container exits 137 with OOMKilled.

composegen's default memory per gunicorn worker is its small-Django figure, 38 MiB; a worker of
this app holds ~47 MiB (40 MiB of bytearray + the interpreter; measured: a 207 MiB peak for the
arbiter and 4 workers). So the app's composegen.yaml declares `memory_per_worker: 64M`, and the
worker count comes from the command line alone: render plans 4 workers (the profile would plan 3)
and writes 336M.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.applied import Applied, from_inspect
from composegen.engine.client import project_containers
from composegen.engine.project import ComposeProject, project_name, running
from tests.engine.leftovers import nothing_left

pytestmark = pytest.mark.engine

MIB = 1024**2
KIND = "kills"
#: Seconds a stack gets to come up healthy, or to be killed.
TIMEOUT = 60.0

WORKERS = 4
HOLD_MIB = 40
WEB_LIMIT = 96 * MIB
APP = f'''"""A WSGI app whose every worker holds {HOLD_MIB} MiB from import on."""
import os

HELD = bytearray({HOLD_MIB} * 1024 * 1024)
for page in range(0, len(HELD), 4096):
    HELD[page] = 1  # written, so resident: a fresh bytearray's zero pages need not be


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"worker {{os.getpid()}} holds {{len(HELD) >> 20}} MiB\\n".encode()]
'''
#: One service, its program's folder mounted read-only, a memory limit and a healthcheck.
COMPOSE = """\
services:
  {service}:
    image: {image}
    command: {command}
    volumes:
      - {mount}:ro
    mem_limit: {limit}
    healthcheck:
      test: {test}
      interval: 2s
      timeout: 1s
      retries: 30
"""
WEB_COMMAND = f"gunicorn --bind 0.0.0.0:8000 -w {WORKERS} --chdir /app hold:app"
WEB_HEALTH = """["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/')"]"""
WEB_PROJECT = """\
compose_files: [docker-compose.yml]
host:
  memory: 8g
  cpus: 4
services:
  web:
    memory_per_worker: 64M   # a worker holds ~47 MiB: above composegen's 38 MiB default
"""

HEAP_MIB = 256
JAVA_LIMIT = 128 * MIB
FILL = """\
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Fills 85% of the heap it was given with 1 MiB arrays, every page written, says so, and stays. */
public class Fill {
    public static void main(String[] args) throws Exception {
        long max = Runtime.getRuntime().maxMemory();
        List<byte[]> held = new ArrayList<>();
        long filled = 0;
        while (filled < max * 85 / 100) {
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < chunk.length; i += 4096) chunk[i] = 1;
            held.add(chunk);
            filled += chunk.length;
        }
        System.out.println("filled " + (filled >> 20) + " MiB of a " + (max >> 20) + " MiB heap");
        Files.writeString(Path.of("/tmp/filled"), Long.toString(filled));
        Thread.sleep(Long.MAX_VALUE);
    }
}
"""
#: The JRE's source launcher compiles Fill.java at start (the image's JRE has jdk.compiler).
JAVA_COMMAND = f'["java", "-Xmx{HEAP_MIB}m", "/app/Fill.java"]'
JAVA_HEALTH = '["CMD", "test", "-f", "/tmp/filled"]'


@pytest.fixture(autouse=True)
def nothing_left_behind(engine: Any) -> Iterator[None]:
    yield from nothing_left(engine, f"composegen-{KIND}-", "a real-kills test")


def write_stack(root: Path, program: Path, text: str, **service: str) -> Path:
    """`root` holding `program` (relative: its folder is mounted at /app) and a docker-compose.yml
    of COMPOSE filled in with `service`."""
    (root / program).parent.mkdir()
    (root / program).write_text(text)
    mount = f"./{program.parent}:/app"
    (root / "docker-compose.yml").write_text(COMPOSE.format(mount=mount, **service))
    return root


@pytest.fixture
def web_project(tmp_path: Path, servers_images: dict[str, str]) -> Path:
    image = servers_images["python"]
    write_stack(
        tmp_path,
        Path("app/hold.py"),
        APP,
        service="web",
        image=image,
        command=WEB_COMMAND,
        limit="96m",
        test=WEB_HEALTH,
    )
    (tmp_path / "composegen.yaml").write_text(WEB_PROJECT)
    return tmp_path


@pytest.fixture
def java_project(tmp_path: Path, servers_images: dict[str, str]) -> Path:
    image = servers_images["zookeeper"]
    return write_stack(
        tmp_path,
        Path("java/Fill.java"),
        FILL,
        service="fill",
        image=image,
        command=JAVA_COMMAND,
        limit="128m",
        test=JAVA_HEALTH,
    )


def cg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def lint(cwd: Path, rule: str, *files: Path) -> tuple[int, list[str]]:
    """`composegen lint` of the merged `files`, `rule` only, failing on warnings: its exit status
    and the codes it found."""
    stack = [arg for file in files for arg in ("-f", str(file))]
    done = cg(cwd, "lint", "--format", "json", "--fail-on", "warning", "--select", rule, *stack)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, [finding["code"] for finding in json.loads(done.stdout)]


def render(cwd: Path) -> Path:
    """`composegen render --profile dev` for this engine's Docker 20.10: the overlay it wrote."""
    done = cg(cwd, "render", "--profile", "dev", "--docker-version", "20.10")
    assert done.returncode == 0, done.stderr
    return cwd / "docker-compose.dev.yml"


def no_swap(cwd: Path, service: str, limit: int) -> list[Path]:
    """On a host with swap, the memory could go there instead of being killed for: hold memory +
    swap to the limit too (this machine kind has none, so the stack runs as it is)."""
    meminfo = Path("/proc/meminfo").read_text()
    swap = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("SwapTotal:")), 0)
    if not swap:
        return []
    override = cwd / "no-swap.yml"
    override.write_text(f"services:\n  {service}:\n    memswap_limit: {limit}\n")
    return [override]


@contextlib.contextmanager
def stack(engine: Any, files: Sequence[Path], stem: str) -> Iterator[ComposeProject]:
    """A compose project of `files`, taken down (volumes too) however the block ends."""
    with running(ComposeProject(project_name(stem, KIND), tuple(files)), engine) as project:
        yield project


def state(engine: Any, project: ComposeProject, service: str) -> Applied:
    found = [from_inspect(data) for data in project_containers(engine, project.name)]
    mine = [c for c in found if c.service == service]
    assert mine, f"no container for {service} in {project.name}"
    return mine[0]


def oom_events(engine: Any, container: Applied, since: float) -> int:
    """The `oom` events the engine saw for the container since `since` (epoch seconds)."""
    events = engine.events(
        since=int(since) - 1,
        until=int(time.time()) + 1,
        filters={"container": container.name, "event": "oom"},
        decode=True,
    )
    return sum(1 for _ in events)


def cgroup_counter(engine: Any, container: Applied, files: Sequence[str], key: str) -> int | None:
    """A number the container's memory cgroup reports: `key N` in the first of `files` (cgroup v1,
    then v2) that can be read, or a file holding only the number (key ""); None if none can."""
    for path in files:
        code, out = engine.containers.get(container.name).exec_run(["cat", path])
        if code != 0:
            continue
        for line in out.decode().splitlines():
            words = line.split()
            if not key and len(words) == 1:
                return int(words[0])
            if len(words) == 2 and words[0] == key:
                return int(words[1])
    return None


def kernel_oom_kills(engine: Any, container: Applied) -> int | None:
    """The processes the kernel's OOM killer ended in the container's memory cgroup."""
    files = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
    return cgroup_counter(engine, container, files, "oom_kill")


def peak_memory(engine: Any, container: Applied) -> int | None:
    """The cgroup's peak memory use, bytes (cgroup v1; v2's memory.peak where the kernel has it)."""
    files = ("/sys/fs/cgroup/memory/memory.max_usage_in_bytes", "/sys/fs/cgroup/memory.peak")
    return cgroup_counter(engine, container, files, "")


def logs(engine: Any, container: Applied) -> str:
    return str(engine.containers.get(container.name).logs().decode(errors="replace"))


def workers_rss(engine: Any, container: Applied) -> list[int]:
    """The resident memory, bytes, of each child of PID 1 (the gunicorn arbiter): its workers."""
    code, out = engine.containers.get(container.name).exec_run(["ps", "-o", "rss=", "--ppid", "1"])
    assert code == 0, out.decode(errors="replace")
    return [int(kib) * 1024 for kib in out.decode().split()]


def test_gunicorn_workers_beyond_the_limit_are_oom_killed_and_lint_says_so(engine: Any, web_project: Path) -> None:
    base = web_project / "docker-compose.yml"
    assert lint(web_project, "CG309", base) == (1, ["CG309"])
    started = time.time()
    with stack(engine, [base, *no_swap(web_project, "web", WEB_LIMIT)], "gunicorn-oom") as project:
        up = project.up_detached(TIMEOUT)
        assert up.ok, up.last_lines()
        deadline = time.monotonic() + TIMEOUT
        while True:
            web = state(engine, project, "web")
            killed = oom_events(engine, web, started)
            said = "signal 9" in logs(engine, web) or "SIGKILL" in logs(engine, web)
            if (killed and (said or web.oom_killed)) or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert web.memory_limit == WEB_LIMIT
        assert killed, f"no OOM kill in {time.time() - started:.0f} s ({web.status}): {logs(engine, web)[-2000:]}"
        # the kernel killed workers (gunicorn says so, and boots more), or the arbiter (PID 1)
        assert said or web.oom_killed, logs(engine, web)[-2000:]
        if web.status == "running":
            kills = kernel_oom_kills(engine, web)
            assert kills is None or kills > 0
            print(f"gunicorn -w {WORKERS} in 96M: {killed} oom events, {kills} OOM kills, OOMKilled {web.oom_killed}")


def test_gunicorn_under_render_runs_every_worker_the_command_line_asks_for(engine: Any, web_project: Path) -> None:
    base = web_project / "docker-compose.yml"
    overlay = render(web_project)
    assert "GUNICORN_CMD_ARGS" not in overlay.read_text()  # the command line's -w wins: never written
    assert lint(web_project, "CG309", base, overlay) == (0, [])
    started = time.time()
    with stack(engine, [base, overlay], "gunicorn-render") as project:
        up = project.up(TIMEOUT)
        assert up.ok, up.last_lines()
        web = state(engine, project, "web")
        assert web.health == "healthy"
        rss = workers_rss(engine, web)
        assert len(rss) == WORKERS, f"workers alive: {len(rss)}; {logs(engine, web)[-2000:]}"
        assert all(r >= HOLD_MIB * MIB for r in rss), f"worker RSS {[r // MIB for r in rss]} MiB"
        assert web.memory_limit is not None and web.memory_limit > WEB_LIMIT
        peak = peak_memory(engine, web)
        assert peak is None or peak < web.memory_limit
        assert kernel_oom_kills(engine, web) in (0, None)
        assert not oom_events(engine, web, started)
        assert not state(engine, project, "web").oom_killed
        print(
            f"gunicorn -w {WORKERS} under render: limit {web.memory_limit // MIB} MiB, peak "
            f"{peak // MIB if peak else '?'} MiB, worker RSS {[r // MIB for r in rss]} MiB"
        )


def test_a_java_heap_above_the_limit_is_killed_as_it_fills_and_lint_says_so(engine: Any, java_project: Path) -> None:
    base = java_project / "docker-compose.yml"
    assert lint(java_project, "CG304", base) == (1, ["CG304"])
    with stack(engine, [base, *no_swap(java_project, "fill", JAVA_LIMIT)], "java-oom") as project:
        up = project.up_detached(TIMEOUT)
        assert up.ok, up.last_lines()
        deadline = time.monotonic() + TIMEOUT
        while (fill := state(engine, project, "fill")).status not in ("exited", "dead"):
            assert time.monotonic() < deadline, f"still {fill.status}: {logs(engine, fill)[-2000:]}"
            time.sleep(0.5)
        assert fill.memory_limit == JAVA_LIMIT
        assert fill.oom_killed, f"exit {fill.exit_code}, not OOM-killed: {logs(engine, fill)[-2000:]}"
        assert fill.exit_code == 137
        assert "filled" not in logs(engine, fill)


def test_java_under_render_fills_its_heap(engine: Any, java_project: Path) -> None:
    base = java_project / "docker-compose.yml"
    overlay = render(java_project)
    assert lint(java_project, "CG304", base, overlay) == (0, [])
    with stack(engine, [base, overlay], "java-render") as project:
        up = project.up(TIMEOUT)
        fill = state(engine, project, "fill")
        assert up.ok, f"{up.last_lines()}\n{logs(engine, fill)[-2000:]}"
        assert fill.health == "healthy"
        said = logs(engine, fill)
        assert "filled " in said, said
        filled = int(said.split("filled ", 1)[1].split()[0])
        assert filled >= HEAP_MIB * 0.8, said  # 85% of the heap the JVM reports (a little under -Xmx)
        assert fill.memory_limit is not None and fill.memory_limit > HEAP_MIB * MIB
        peak = peak_memory(engine, fill)
        assert peak is None or peak < fill.memory_limit
        assert not fill.oom_killed and kernel_oom_kills(engine, fill) in (0, None)
        print(
            f"java -Xmx{HEAP_MIB}m under render: limit {fill.memory_limit // MIB} MiB, {said.strip()}, peak "
            f"{peak // MIB if peak else '?'} MiB"
        )


# --- (c) PostgreSQL with its tmpfs data dir as large as its limit (issue 14 §Proof) ---------------

#: facts/real-servers.md: a hand-written 2G limit and 2G tmpfs data dir, killed loading data. The
#: same at a CI's size: the data dir's tmpfs pages and shared_buffers (PostgreSQL's default 128 MB,
#: filled by the load) reach the 192M limit long before the tmpfs is full: pgbench's scale 10 is
#: ~150 MiB on disk (docs/benchmarks.md "Real servers"). `COMPOSEGEN_PG_KILL_MIB=2048
#: COMPOSEGEN_PG_KILL_SCALE=140` runs both tests at the facts' own size (a 2G limit and tmpfs,
#: ~2.1 GiB of pgbench data; minutes, not for CI).
PG_LIMIT_MIB = int(os.environ.get("COMPOSEGEN_PG_KILL_MIB", "192"))
PG_LIMIT = f"{PG_LIMIT_MIB}m"
PG_SCALE = int(os.environ.get("COMPOSEGEN_PG_KILL_SCALE", "10"))
#: pgbench's tables take ~15 MiB on disk per unit of scale; the load gets 6 s a unit (2 shared cores).
PG_DATASET_MIB = 16 * PG_SCALE
PG_LOAD_SECONDS = max(2 * TIMEOUT, 6.0 * PG_SCALE)
PG_INIT = f"""set -e
pgbench -i -q -s {PG_SCALE} -U "$POSTGRES_USER" "$POSTGRES_DB"
echo "bench-load: done" >&2
"""
PG_KILLED = f"""\
services:
  db:
    image: {{image}}
    environment: {{{{POSTGRES_PASSWORD: secret}}}}
    volumes: ["./initdb:/docker-entrypoint-initdb.d:ro"]
    tmpfs: [/var/lib/postgresql/data:size={PG_LIMIT}]
    mem_limit: {PG_LIMIT}
"""
PG_BASE = """\
services:
  db:
    image: {image}
    environment: {{POSTGRES_PASSWORD: secret}}
    volumes: ["./initdb:/docker-entrypoint-initdb.d:ro"]
"""
PG_PROJECT = """\
compose_files: [docker-compose.yml]
host: {{memory: 8g, cpus: 2}}
services:
  db: {{dataset: {dataset}M, connections: 10}}
"""


def postgres_stack(root: Path, image: str, compose: str) -> Path:
    (root / "initdb").mkdir()
    (root / "initdb" / "10-dataset.sh").write_text(PG_INIT)
    (root / "initdb").chmod(0o755)
    (root / "docker-compose.yml").write_text(compose.format(image=image))
    return root


def test_postgres_with_a_tmpfs_as_large_as_its_limit_is_killed_loading_data(
    engine: Any, tmp_path: Path, servers_images: dict[str, str]
) -> None:
    root = postgres_stack(tmp_path, servers_images["postgres"], PG_KILLED)
    base = root / "docker-compose.yml"
    code, found = lint(root, "CG105", base)
    assert (code, found) == (1, ["CG105"])
    started = time.time()
    with stack(engine, [base, *no_swap(root, "db", PG_LIMIT_MIB * MIB)], "postgres-tmpfs") as project:
        up = project.up_detached(TIMEOUT)
        assert up.ok, up.last_lines()
        deadline = time.monotonic() + PG_LOAD_SECONDS
        while not oom_events(engine, db := state(engine, project, "db"), started) and not db.oom_killed:
            assert time.monotonic() < deadline, f"no OOM kill ({db.status}): {logs(engine, db)[-2000:]}"
            time.sleep(1)
        assert db.memory_limit == PG_LIMIT_MIB * MIB
        assert "bench-load: done" not in logs(engine, db)  # killed while loading its data
        print(f"postgres, {PG_LIMIT} limit and tmpfs: OOM-killed loading, {time.time() - started:.0f} s after start")


def test_postgres_under_composegens_overlay_loads_the_same_data(
    engine: Any, tmp_path: Path, servers_images: dict[str, str]
) -> None:
    root = postgres_stack(tmp_path, servers_images["postgres"], PG_BASE)
    (root / "composegen.yaml").write_text(PG_PROJECT.format(dataset=PG_DATASET_MIB))
    done = cg(root, "render", "--profile", "pytest", "--docker-version", "20.10")
    assert done.returncode == 0, done.stderr
    files = [root / "docker-compose.yml", root / "docker-compose.pytest.yml"]
    assert lint(root, "CG105", *files) == (0, [])
    started = time.time()
    with stack(engine, files, "postgres-overlay") as project:
        up = project.up(TIMEOUT + PG_LOAD_SECONDS)
        db = state(engine, project, "db")
        assert up.ok, f"{up.last_lines()}\n{logs(engine, db)[-2000:]}"
        assert db.health == "healthy" and "bench-load: done" in logs(engine, db)
        peak = peak_memory(engine, db)
        assert db.memory_limit is not None and (peak is None or peak < db.memory_limit)
        assert not oom_events(engine, db, started) and kernel_oom_kills(engine, db) in (0, None)
        shown = f"{peak // MIB} MiB" if peak else "?"
        print(f"postgres under the pytest overlay: limit {db.memory_limit // MIB} MiB, peak {shown}")
