"""Real servers under composegen's limits: each role at each size, sized by `composegen render
--profile pytest`, started on the Docker Engine (scripts/servers-image's images), loaded by its own
benchmark tool from a client container, measured the way the kernel charges the container (issue 14).

    python bench/servers.py                 # every case (85-95 minutes on 2 shared cores)
    python bench/servers.py --quick         # small datasets, short runs, fewer cases (about 14 minutes)
    python bench/servers.py --only 1024M,16384B  # cases whose name contains one of the words
    python bench/servers.py --twin          # also the twin of examples/pytest: calibrate, render, replay (+8 min)
    python bench/servers.py --plan-only     # no engine: every case's limit today against the last run's peak (seconds)

Needs an engine (`scripts/engine up`, `export DOCKER_HOST=$(scripts/engine host)`) with the
servers images (`scripts/servers-image`), and root on the engine's machine for the cgroup fs (the
peaks are cgroup v1's memory.max_usage_in_bytes, tmpfs pages included; elsewhere the Engine's
max_usage). Per case: the limit composegen writes, its tmpfs, the peak, the peak of tmpfs and
/dev/shm pages (memory.stat shmem, sampled every 0.25 s), limit ÷ peak (target [1.1, 1.4]), OOM
kills, the time from the container's start to its first ready answer (probed every 0.1 s) against
the startup composegen plans for (start_period = startup × the profile's startup_margin), and the
load rate the init scripts reached (bytes on disk ÷ seconds) where a dataset is loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.real_servers import (  # noqa: E402
    MIB,
    CgroupWatch,
    ServicePeak,
    TwinSize,
    composegen,
    engine_version,
    mib,
    run_twin,
    service_peaks,
    twin_folder,
)
from composegen.engine.project import ComposeProject, project_name  # noqa: E402

PROFILE = "pytest"
PASSWORD = "bench"
SERVICE = "db"
READY_TIMEOUT = 600.0

POSTGRES_INIT = """# the dataset: pgbench's tables at PGBENCH_SCALE, timed, and their size on disk
set -e
started=$(date +%s.%N)
pgbench -i -q -s "$PGBENCH_SCALE" -U "$POSTGRES_USER" "$POSTGRES_DB" >/dev/null 2>&1
ended=$(date +%s.%N)
bytes=$(psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "SELECT pg_database_size(current_database())")
echo "bench-load: $bytes bytes in $(python3 -c "print($ended - $started)") s" >&2
"""
MARIADB_INIT = """# the dataset: sysbench's tables, timed, and their size on disk
set -e
started=$(date +%s.%N)
sysbench oltp_read_write --db-driver=mysql --mysql-socket=/run/mysqld/mysqld.sock --mysql-user=root \
  --mysql-password="$MARIADB_ROOT_PASSWORD" --mysql-db="$MARIADB_DATABASE" --tables=4 \
  --table-size="$TABLE_SIZE" prepare >/dev/null
ended=$(date +%s.%N)
bytes=$(mariadb --protocol=socket --socket=/run/mysqld/mysqld.sock -uroot -p"$MARIADB_ROOT_PASSWORD" -N -B -e \
  "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '$MARIADB_DATABASE'")
echo "bench-load: $bytes bytes in $(python3 -c "print($ended - $started)") s" >&2
"""
WEB_APP = '''"""A JSON API with an in-memory catalogue: what a small gunicorn service holds per worker."""
import json

CATALOGUE = [{"id": n, "name": f"item-{n}", "tags": ["a", "b", str(n % 7)], "price": n * 1.25} for n in range(20000)]


def app(environ, start_response):
    n = int(environ.get("PATH_INFO", "/0").strip("/") or 0) % len(CATALOGUE)
    body = json.dumps({"item": CATALOGUE[n], "near": CATALOGUE[n : n + 50]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''
WEB_LOAD = """import sys, threading, time, urllib.request
url, seconds, threads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
end, counts = time.monotonic() + seconds, []
def hammer(k):
    n = 0
    while time.monotonic() < end:
        urllib.request.urlopen(f"{url}/{k * 1000 + n}", timeout=10).read()
        n += 1
    counts.append(n)
workers = [threading.Thread(target=hammer, args=(k,)) for k in range(threads)]
[t.start() for t in workers]
[t.join() for t in workers]
print(f"{sum(counts)} requests in {seconds:g} s")
sys.exit(0 if len(counts) == threads else 1)
"""
#: The znode load: ZooKeeper's wire protocol from python3 (the image has no ZooKeeper client library).
ZNODES = (HERE / "znodes.py").read_text(encoding="utf-8")
JVM_APP = """import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A JSON API with an in-memory catalogue: what a small JVM service holds, serving 16 threads.
 * Arguments (both optional): the catalogue's items (200,000), and the rendered responses it keeps
 * in an LRU cache (0: none), which the load keeps replacing: a live set that churns.
 */
public class Catalogue {
    record Item(int id, String name, List<String> tags, double price) {
        String json() {
            return "{\\"id\\":" + id + ",\\"name\\":\\"" + name + "\\",\\"tags\\":[\\"" + String.join("\\",\\"", tags)
                + "\\"],\\"price\\":" + price + "}";
        }
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int cached = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        List<Item> items = new ArrayList<>();
        for (int n = 0; n < count; n++) items.add(new Item(n, "item-" + n, List.of("a", "b", "" + n % 7), n * 1.25));
        Map<Integer, byte[]> cache = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, byte[]> eldest) {
                return size() > cached;
            }
        });
        HttpServer server = HttpServer.create(new InetSocketAddress(8000), 128);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath().replace("/", "");
            int n = Math.floorMod(path.isEmpty() ? 0 : Integer.parseInt(path), items.size());
            byte[] bytes = cached > 0 ? cache.get(n) : null;
            if (bytes == null) {
                StringBuilder body = new StringBuilder("{\\"item\\":").append(items.get(n).json());
                body.append(",\\"near\\":[");
                for (int k = n; k < Math.min(n + 50, items.size()); k++) {
                    body.append(k > n ? "," : "").append(items.get(k).json());
                }
                bytes = body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
                if (cached > 0) cache.put(n, bytes);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.start();
    }
}
"""


@dataclass(frozen=True)
class Case:
    name: str
    role: str
    inputs: str
    service: Mapping[str, Any]  # the base compose service
    declared: Mapping[str, Any]  # composegen.yaml services.db
    ready: Sequence[str]  # a command in the container that exits 0 once it serves
    client: Sequence[str]  # the load, run in a client container on the stack's network
    files: Mapping[str, str] = field(default_factory=dict)
    volumes: Mapping[str, Any] = field(default_factory=dict)
    profile: str = PROFILE
    restart: bool = False  # after the load: restart the server and time its start on the data it saved
    #: postgres flags the base file's own command sets: the command composegen writes for the same
    #: case, with these in place of its own (composegen then reads the base and sizes for them)
    base_flags: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Result:
    case: Case
    limit: int = 0
    tmpfs: int = 0
    peak: int = 0
    tmpfs_peak: int = 0
    oom_kills: int = 0
    healthy: float | None = None  # seconds from the container's start to its first ready answer
    planned_startup: float = 0.0  # composegen's expected startup (seconds), before the margin
    start_period: float = 0.0
    load_rate: float | None = None  # bytes per second the init scripts loaded at
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.limit / self.peak if self.peak else float("inf")


#: Every client sorting at once (the worst case the PostgreSQL budget holds, which TPC-B never
#: reaches): a window over 12,000 accounts ordered by a cheap key, ~1.7 MB of tuples a sort, past
#: the work_mem composegen writes at 200M and 50 clients (1.4 MB): each backend fills its work_mem
#: and spills the rest to temp files in the (tmpfs) data dir.
POSTGRES_SORTS = """\\set a random(1, 100000 * :scale - 12000)
SELECT max(r) FROM (SELECT row_number() OVER (ORDER BY (aid * 7919) % 10007, filler) AS r FROM pgbench_accounts
  WHERE aid BETWEEN :a AND :a + 11999) s;
"""

#: A query PostgreSQL plans in parallel where parallel query is on (its defaults: 2 workers a
#: Gather, 8 at once): a parallel seq scan of pgbench_accounts probing a Parallel Hash built from a
#: sixtieth of the accounts (21,667 rows at 200M: 1.0 MB as a serial hash, within the work_mem
#: written; 1.4 MB in /dev/shm as a parallel one) on a key no index serves. The leader builds a
#: Parallel Hash in /dev/shm alone when no worker is free: every client at once is what the flags
#: let such queries take there. Merge join off: PostgreSQL 15 otherwise sorts both sides (1.3
#: million rows, ~23 MB of temp files a query in the tmpfs data dir). Its cost (~500,000) is past
#: jit_above_cost: JIT compiles it where jit is on.
POSTGRES_PARALLEL = """\\set k random(0, 59)
SET enable_mergejoin = off;
SELECT count(*) FROM pgbench_accounts a JOIN pgbench_accounts b ON a.aid % 1000003 = b.aid % 1000003
  WHERE b.aid % 60 = :k AND a.abalance > -1000000;
"""


def postgres_case(
    data_mib: int, clients: int, mode: str, seconds: int, cpus: int | None = None, workers: int | None = None
) -> Case:
    """pgbench at `mode`: TPC-B, read-only (-S), sorts (every client sorting at once),
    "TPC-B + sorts" (a fifth of the clients writing, filling the WAL to max_wal_size, beside the
    rest sorting: both worst cases the budget holds at once), or parallel (every client a query
    PostgreSQL plans in parallel: what /dev/shm must hold). `cpus`: declared (the pytest profile's
    default is 1). `workers`: max_parallel_workers_per_gather set in the base file's command (with
    the settings composegen writes for the case beside it): composegen turns parallel query off
    wherever it writes the settings, and sizes /dev/shm for it where the base turns it on."""
    scale = max(1, round(data_mib / 15))  # pgbench: ~15 MiB on disk a unit, indexes included
    pgbench = f"env PGPASSWORD={PASSWORD} pgbench -h {SERVICE} -U postgres -T {seconds}"
    writers = clients // 5
    sorting = "-f pgbench/sorts.sql postgres"
    client, workload = {
        "read-only": (f"{pgbench} -c {clients} -j 2 -S postgres", " -S"),
        "sorts": (f"{pgbench} -c {clients} -j 2 {sorting}", ": every client sorting ~1.7 MB at once"),
        "parallel": (
            f"{pgbench} -c {clients} -j 2 -f pgbench/parallel.sql postgres",
            ": every client a parallel seq scan and parallel hash join at once",
        ),
        "TPC-B + sorts": (
            f"{pgbench} -c {writers} -j 1 postgres & {pgbench} -c {clients - writers} -j 1 {sorting}; wait",
            f": {writers} TPC-B, {clients - writers} sorting ~1.7 MB at once",
        ),
    }.get(mode, (f"{pgbench} -c {clients} -j 2 postgres", ""))
    return Case(
        name=f"postgres {data_mib}M {clients}c {mode}"
        + (f", {cpus} cores" if cpus else "")
        + (f", the base's max_parallel_workers_per_gather={workers}" if workers is not None else ""),
        role="postgres",
        inputs=f"pgbench -i -s {scale}, then {clients} clients {mode} (pgbench{workload}) {seconds} s",
        service={
            "image": "postgres:15-composegen",
            "environment": {"POSTGRES_PASSWORD": PASSWORD, "PGBENCH_SCALE": str(scale)},
            "volumes": ["pgdata:/var/lib/postgresql/data", "./initdb:/docker-entrypoint-initdb.d:ro"],
        },
        declared={"dataset": f"{data_mib}M", "connections": clients} | ({"cpus": cpus} if cpus else {}),
        ready=["pg_isready", "-h", "127.0.0.1", "-U", "postgres"],
        client=("sh", "-c", client),
        files={"initdb/10-dataset.sh": POSTGRES_INIT}
        | ({"pgbench/sorts.sql": POSTGRES_SORTS} if "sorts" in mode else {})
        | ({"pgbench/parallel.sql": POSTGRES_PARALLEL} if mode == "parallel" else {}),
        volumes={"pgdata": {}},
        base_flags={"max_parallel_workers_per_gather": str(workers)} if workers is not None else {},
    )


def redis_case(value_bytes: int, keys: int, persistence: bool, seconds: int) -> Case:
    requests = keys * 3
    base = ["redis-benchmark", "-h", SERVICE, "-c", "50", "-d", str(value_bytes), "-r", str(keys), "-q"]
    load = " ".join([*base, "-n", str(requests), "-t", "set"])
    mixed = " ".join([*base, "-n", str(requests), "-t", "set,get"])
    save = f"redis-cli -h {SERVICE} bgsave; " if persistence else ""
    until = f"end=$(($(date +%s) + {seconds})); while [ $(date +%s) -lt $end ]"
    script = f"{load}; {save}{until}; do {mixed}; done; sleep 1"
    return Case(
        name=f"redis {value_bytes}B × {keys} keys, persistence {'on' if persistence else 'off'}",
        role="redis",
        inputs=f"redis-benchmark 50 clients, SET then SET/GET over {keys} keys of {value_bytes} B for {seconds} s"
        + (", BGSAVE after the load" if persistence else ""),
        service={"image": "redis:7.0-composegen"},
        declared={
            "dataset": f"{max(1, -(-value_bytes * keys // MIB))}M",
            "value_size": value_bytes,
            "persistence": persistence,
        },
        ready=["redis-cli", "ping"],
        client=["sh", "-c", script],
    )


#: The fork's worst case under what composegen writes: the data filled to maxmemory, then every key
#: rewritten, again and again, during one BGSAVE slowed to last seconds (rdb-key-save-delay), so
#: copy-on-write copies every page the data holds while the dump is written beside the last one.
REDIS_COW = """import os, sys, time, redis
host, size, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
r = redis.Redis(host=host)
cap = int(r.config_get("maxmemory")["maxmemory"])
values = [os.urandom(size) for _ in range(64)]  # random bytes: the dump cannot compress them
keys, refused = 0, 0
while r.info("memory")["used_memory"] < 0.97 * cap:
    pipe = r.pipeline(transaction=False)
    for k in range(keys, keys + 50):
        pipe.set(f"key:{k:012d}", values[k % 64])
    try:
        pipe.execute()
    except redis.exceptions.ResponseError:
        refused += 1
        break
    keys += 50
r.save()  # the dump the next save writes beside
delay = max(1, int(seconds * 1e6 / keys))  # microseconds a key: the save lasts ~seconds
r.config_set("rdb-key-save-delay", delay)
r.bgsave()
time.sleep(0.2)
passes, started = 0, time.monotonic()
while r.info("persistence")["rdb_bgsave_in_progress"]:
    pipe = r.pipeline(transaction=False)
    for k in range(keys):
        pipe.set(f"key:{k:012d}", values[(k + passes) % 64])
        if k % 500 == 499 or k == keys - 1:
            try:
                pipe.execute()
            except redis.exceptions.ResponseError:  # at maxmemory: a write refused, never a kill
                refused += 1
                pipe = r.pipeline(transaction=False)
    passes += 1
r.config_set("rdb-key-save-delay", 0)
info = r.info()
print(f"filled {keys} keys to {info['used_memory'] / 2**20:.0f} MiB of maxmemory {cap / 2**20:.0f} MiB"
      f" ({refused} refusals); {passes} passes over every key during a {time.monotonic() - started:.0f} s BGSAVE")
"""


def redis_cow_case(value_bytes: int, keys: int, seconds: int) -> Case:
    declared = redis_case(value_bytes, keys, True, seconds).declared
    return Case(
        name=f"redis {value_bytes}B × {keys} keys, persistence on, fork's worst case",
        role="redis",
        inputs=f"SET {value_bytes} B values up to maxmemory, SAVE, then a BGSAVE slowed to ~{seconds} s "
        "(rdb-key-save-delay) while every key is rewritten, pass after pass",
        service={"image": "redis:7.0-composegen"},
        declared=declared,
        ready=["redis-cli", "ping"],
        client=["python3", "redis/cow.py", SERVICE, str(value_bytes), str(seconds)],
        files={"redis/cow.py": REDIS_COW},
    )


def mariadb_case(data_mib: int, clients: int, seconds: int) -> Case:
    table_size = max(1000, data_mib * MIB // 4 // 240)  # sysbench: ~240 B a row on disk, 4 tables
    return Case(
        name=f"mariadb {data_mib}M {clients}c oltp_read_write",
        role="mysql",
        inputs=f"sysbench prepare 4 × {table_size:,} rows, then oltp_read_write {clients} threads {seconds} s",
        service={
            "image": "mariadb:10.11-composegen",
            "environment": {"MARIADB_ROOT_PASSWORD": PASSWORD, "MARIADB_DATABASE": "bench"}
            | {"TABLE_SIZE": str(table_size)},
            "volumes": ["mariadbdata:/var/lib/mysql", "./initdb:/docker-entrypoint-initdb.d:ro"],
        },
        declared={"dataset": f"{data_mib}M", "connections": clients},
        ready=["mariadb-admin", "ping", "-h", "127.0.0.1", "--silent"],
        client=(
            "sysbench",
            "oltp_read_write",
            "--db-driver=mysql",
            f"--mysql-host={SERVICE}",
            "--mysql-user=root",
            f"--mysql-password={PASSWORD}",
            "--mysql-db=bench",
            "--tables=4",
            f"--table-size={table_size}",
            f"--threads={clients}",
            f"--time={seconds}",
            "run",
        ),
        files={"initdb/10-dataset.sh": MARIADB_INIT},
        volumes={"mariadbdata": {}},
    )


def zookeeper_case(seconds: int) -> Case:
    until = f"end=$(($(date +%s) + {seconds})); while [ $(date +%s) -lt $end ]"
    poll = f"{until}; do echo mntr | nc -q 1 {SERVICE} 2181 >/dev/null; sleep 0.2; done"
    return Case(
        name="zookeeper standalone",
        role="zookeeper",
        inputs=f"start, then `mntr` 5 times a second for {seconds} s (idle: the znode rows load it)",
        service={"image": "zookeeper:3.8-composegen"},
        declared={},
        ready=["sh", "-c", "echo ruok | nc -q 1 127.0.0.1 2181 | grep -q imok"],
        client=["sh", "-c", poll],
    )


def zookeeper_load_case(znodes: int, size: int, seconds: int) -> Case:
    return Case(
        name=f"zookeeper {znodes} znodes × {size} B",
        role="zookeeper",
        inputs=f"{znodes:,} znodes of {size} B created (pipelined, its wire protocol), then read back for {seconds} s",
        service={"image": "zookeeper:3.8-composegen"},
        declared={"dataset": f"{max(1, -(-znodes * size // MIB))}M", "keys": znodes},
        ready=["sh", "-c", "echo ruok | nc -q 1 127.0.0.1 2181 | grep -q imok"],
        client=["python3", "zk/znodes.py", SERVICE, str(znodes), str(size), str(seconds)],
        files={"zk/znodes.py": ZNODES},
    )


def jvm_case(heap_mib: int, seconds: int) -> Case:
    return Case(
        name=f"jvm app -Xmx{heap_mib}m",
        role="jvm",
        inputs=f"a JSON API over a 200,000-item catalogue (`java -Xmx{heap_mib}m Catalogue.java`, 16 threads), "
        f"16 client threads {seconds} s",
        service={
            "image": "zookeeper:3.8-composegen",  # the image with a JRE (its jdk.compiler runs the source)
            "command": ["java", f"-Xmx{heap_mib}m", "/app/Catalogue.java"],
            "volumes": ["./jvm:/app:ro"],
        },
        declared={},
        ready=["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000"],
        client=["python3", "app/load.py", f"http://{SERVICE}:8000", str(seconds), "16"],
        files={"jvm/Catalogue.java": JVM_APP, "app/load.py": WEB_LOAD},
    )


#: The live-set rows: items and cached responses that keep about 60 % of -Xmx live (~220 B an item,
#: ~4 KiB a response), so that Serial, which keeps 40 % of the heap free after a collection
#: (MinHeapFreeRatio), commits the heap the limit budgets; the cache churns under the load.
LIVE_SET = {256: (500_000, 10_000), 512: (1_000_000, 20_000)}


def jvm_live_case(heap_mib: int, seconds: int, declared: Mapping[str, Any] | None = None) -> Case:
    """The JVM app with a live set near its heap, its class path on a bind mount (`-cp /app`: the
    folder holds the source alone, so composegen counts the class path and writes a metaspace bound)."""
    items, cached = LIVE_SET[heap_mib]
    said = ", ".join(f"{k} {v}" for k, v in (declared or {}).items())
    return Case(
        name=f"jvm app -Xmx{heap_mib}m live set 60 %" + (f", {said}" if said else ""),
        role="jvm",
        inputs=f"the JSON API over {items:,} items, {cached:,} responses cached (LRU) "
        f"(`java -Xmx{heap_mib}m -cp /app Catalogue.java {items} {cached}`), 16 client threads {seconds} s",
        service={
            "image": "zookeeper:3.8-composegen",
            "command": ["java", f"-Xmx{heap_mib}m", "-cp", "/app", "/app/Catalogue.java", str(items), str(cached)],
            "volumes": ["./jvm:/app:ro"],
        },
        declared=dict(declared or {}),
        ready=["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000"],
        client=["python3", "app/load.py", f"http://{SERVICE}:8000", str(seconds), "16"],
        files={"jvm/Catalogue.java": JVM_APP, "app/load.py": WEB_LOAD},
    )


def redis_restart_case(value_bytes: int, keys: int) -> Case:
    base = ["redis-benchmark", "-h", SERVICE, "-c", "50", "-d", str(value_bytes), "-r", str(keys), "-q"]
    script = " ".join([*base, "-n", str(keys * 3), "-t", "set"]) + f"; redis-cli -h {SERVICE} save"
    return Case(
        name=f"redis {value_bytes}B × {keys} keys, restart on its RDB",
        role="redis",
        inputs=f"SET over {keys} keys of {value_bytes} B, SAVE, restart: the RDB's load (dev profile, a volume; "
        "the peak counts the RDB's page cache, which the kernel reclaims at the limit)",
        service={"image": "redis:7.0-composegen", "volumes": ["redisdata:/data"]},
        declared={
            "dataset": f"{max(1, -(-value_bytes * keys // MIB))}M",
            "value_size": value_bytes,
            "persistence": True,
        },
        ready=["sh", "-c", "redis-cli ping | grep -q PONG"],
        client=["sh", "-c", script],
        volumes={"redisdata": {}},
        profile="dev",
        restart=True,
    )


def gunicorn_case(workers: int, seconds: int) -> Case:
    return Case(
        name=f"gunicorn {workers}w",
        role="python-web",
        inputs=f"a JSON API with a 20,000-item catalogue, {workers} workers, {2 * workers} client threads {seconds} s",
        service={
            "image": "python:3.11-composegen",
            "command": ["gunicorn", "api:app", "--chdir", "/app", "--bind", "0.0.0.0:8000"],
            "volumes": ["./app:/app:ro"],
        },
        declared={"workers": workers},
        ready=["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/1')"],
        client=["python3", "app/load.py", f"http://{SERVICE}:8000", str(seconds), str(2 * workers)],
        # the app's dependencies, as its project lists them: composegen reads them (a plain WSGI app)
        files={"app/api.py": WEB_APP, "app/load.py": WEB_LOAD, "app/requirements.txt": "gunicorn\n"},
    )


def cases(quick: bool) -> list[Case]:
    seconds = 15 if quick else 45
    if quick:
        return [
            postgres_case(200, 50, "TPC-B", seconds),
            postgres_case(200, 50, "read-only", seconds),
            redis_case(100, 100_000, False, seconds),
            redis_case(100, 100_000, True, seconds),
            mariadb_case(100, 50, seconds),
            zookeeper_case(seconds),
            zookeeper_load_case(30_000, 1024, seconds),
            jvm_case(256, seconds),
            jvm_live_case(256, seconds),
            redis_restart_case(1024, 100_000),
            gunicorn_case(1, seconds),
            gunicorn_case(4, seconds),
        ]
    return [
        *(
            postgres_case(data, clients, mode, seconds)
            for data in (200, 1024)
            for clients in (50, 100)
            for mode in ("TPC-B", "read-only")
        ),
        *(
            redis_case(value, keys, persistence, seconds)
            for value, keys in ((100, 300_000), (16384, 4_000))
            for persistence in (False, True)
        ),
        postgres_case(200, 50, "sorts", seconds),
        postgres_case(200, 50, "TPC-B + sorts", seconds),
        postgres_case(200, 50, "parallel", seconds),
        postgres_case(200, 50, "parallel", seconds, cpus=2),
        postgres_case(200, 50, "parallel", seconds, cpus=2, workers=2),
        redis_cow_case(100, 100_000, 10),
        redis_cow_case(16384, 4_000, 10),
        mariadb_case(100, 50, seconds),
        mariadb_case(200, 50, seconds),
        zookeeper_case(seconds),
        zookeeper_load_case(30_000, 1024, seconds),
        zookeeper_load_case(10_000, 8192, seconds),
        jvm_case(256, seconds),
        jvm_case(512, seconds),
        jvm_live_case(256, seconds),
        jvm_live_case(512, seconds),
        jvm_live_case(256, seconds, {"direct_memory": "16M"}),
        redis_restart_case(1024, 100_000),
        redis_restart_case(16384, 4_000),
        *(gunicorn_case(w, seconds) for w in (1, 2, 4, 8)),
    ]


#: The last full run's peaks (MiB), beside the limit it ran under: docs/benchmarks.md, "The whole
#: bench and the twin, after the third day's merges" (main at c39e8dc, 2026-12-07 07:06-08:01 UTC).
#: --plan-only divides today's limits by these.
RECORDED: Mapping[str, tuple[int, int]] = {
    "postgres 200M 50c TPC-B": (708, 453),
    "postgres 200M 50c read-only": (708, 433),
    "postgres 200M 100c TPC-B": (864, 536),
    "postgres 200M 100c read-only": (864, 517),
    "postgres 1024M 50c TPC-B": (2056, 1545),
    "postgres 1024M 50c read-only": (2056, 1539),
    "postgres 1024M 100c TPC-B": (2216, 1636),
    "postgres 1024M 100c read-only": (2216, 1613),
    "redis 100B × 300000 keys, persistence off": (96, 66),
    "redis 100B × 300000 keys, persistence on": (316, 153),
    "redis 16384B × 4000 keys, persistence off": (120, 91),
    "redis 16384B × 4000 keys, persistence on": (396, 162),
    "postgres 200M 50c sorts": (708, 514),
    "postgres 200M 50c TPC-B + sorts": (708, 539),
    "postgres 200M 50c parallel": (708, 495),
    "postgres 200M 50c parallel, 2 cores": (708, 480),
    "postgres 200M 50c parallel, 2 cores, the base's max_parallel_workers_per_gather=2": (1044, 615),
    "redis 100B × 100000 keys, persistence on, fork's worst case": (112, 86),
    "redis 16384B × 4000 keys, persistence on, fork's worst case": (396, 275),
    "mariadb 100M 50c oltp_read_write": (616, 511),
    "mariadb 200M 50c oltp_read_write": (764, 630),
    "zookeeper standalone": (220, 39),
    "zookeeper 30000 znodes × 1024 B": (288, 200),
    "zookeeper 10000 znodes × 8192 B": (332, 324),
    "jvm app -Xmx256m": (508, 137),
    "jvm app -Xmx512m": (768, 132),
    "jvm app -Xmx256m live set 60 %": (484, 316),
    "jvm app -Xmx512m live set 60 %": (748, 481),
    "jvm app -Xmx256m live set 60 %, direct_memory 16M": (488, 312),
    "redis 1024B × 100000 keys, restart on its RDB": (316, 316),
    "redis 16384B × 4000 keys, restart on its RDB": (192, 192),
    "gunicorn 1w": (60, 53),
    "gunicorn 2w": (88, 75),
    "gunicorn 4w": (140, 117),
    "gunicorn 8w": (252, 196),
}
#: The Engine the recorded run ran on (docs/benchmarks.md): --plan-only renders for it, as the bench
#: renders for the engine it finds.
RECORDED_ENGINE = "20.10"


def in_band(ratio: float) -> bool:
    return 1.1 <= ratio <= 1.4


def plan_only(chosen: Sequence[Case], folder: Path) -> str:
    """Each case's stack written and planned as run_case renders it, no engine: the limit and
    reservation composegen writes today, against the limit and peak of the last full run."""
    from composegen.render.overlay import plan

    rows = [
        "| case | limit then | limit | reservation | recorded peak | limit ÷ recorded peak |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    judged = passed = 0
    for case in chosen:
        root = write_case(folder, case)
        if case.base_flags:
            with_base_flags(root, case)
        service = plan(case.profile, None, root, RECORDED_ENGINE).stack.service(SERVICE)
        limit = service.memory_limit.value
        reservation = service.memory_reservation.value if service.memory_reservation is not None else None
        then, peak = RECORDED.get(case.name, (0, 0))
        ratio = limit / (peak * MIB) if peak else None
        judged += ratio is not None
        passed += ratio is not None and in_band(ratio)
        rows.append(
            f"| {case.name} | {f'{then:,} MiB' if then else '—'} | {mib(limit)} | "
            f"{mib(reservation) if reservation is not None else '—'} | {f'{peak:,} MiB' if peak else '—'} | "
            f"{f'{ratio:.2f}' + (' ✓' if in_band(ratio) else '') if ratio is not None else '—'} |"
        )
    said = f"\n{passed} of {judged} rows with a recorded peak in [1.1, 1.4] (no engine run: the peaks are recorded)."
    return "\n".join(rows) + "\n" + said


def start_loader(client: Any, folder: Path) -> Any:
    """The one client container every case's load runs in (`exec`), joined to each case's network
    in turn: the images share one root filesystem, so it holds every load tool, and one container
    made once saves a copy of that filesystem per case (the vfs storage driver copies it)."""
    name = f"composegen-servers-loader-{os.getpid()}"
    client.networks.create(name, driver="bridge")  # the engine has no default bridge
    return client.containers.run(
        "python:3.11-composegen",
        ["sleep", "infinity"],
        detach=True,
        environment={"PATH": "/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin"},
        volumes={str(folder): {"bind": str(folder), "mode": "ro"}},
        name=name,
        network=name,
    )


def remove_loader(client: Any, loader: Any) -> None:
    loader.remove(force=True)
    client.networks.get(loader.name).remove()


def write_case(folder: Path, case: Case) -> Path:
    root = folder / re.sub(r"[^a-z0-9]+", "-", case.name.lower()).strip("-")
    root.mkdir(parents=True)
    for name, text in case.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
        (root / name).parent.chmod(0o755)
    compose: dict[str, Any] = {"services": {SERVICE: dict(case.service)}}
    if case.volumes:
        compose["volumes"] = dict(case.volumes)
    (root / "docker-compose.yml").write_text(json.dumps(compose, indent=2) + "\n", encoding="utf-8")
    declared = {"compose_files": ["docker-compose.yml"], "host": {"memory": "8g", "cpus": 2}}
    declared["services"] = {SERVICE: {"role": case.role, **case.declared}}
    (root / "composegen.yaml").write_text(json.dumps(declared, indent=2) + "\n", encoding="utf-8")
    return root


def started_at(attrs: Mapping[str, Any]) -> float:
    text = str(attrs["State"]["StartedAt"])
    whole, _, fraction = text.rstrip("Z").partition(".")
    stamp = datetime.fromisoformat(whole + "+00:00").timestamp()
    return stamp + float(f"0.{fraction[:6] or '0'}")


def time_to_ready(container: Any, ready: Sequence[str]) -> float | None:
    """Seconds from the container's start to the first time `ready` exits 0 in it (probed every 0.1 s)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "exited":
            return None
        if container.exec_run(list(ready))[0] == 0:
            return time.time() - started_at(container.attrs)
        time.sleep(0.1)
    return None


def load_rate(logs: str) -> float | None:
    found = re.search(r"bench-load: (\d+) bytes in ([0-9.]+) s", logs)
    if not found or float(found.group(2)) <= 0:
        return None
    return int(found.group(1)) / float(found.group(2))


def planned(root: Path, profile: str) -> tuple[float, float]:
    """composegen's startup for the service (seconds) and the start_period it writes."""
    from composegen.render.overlay import plan

    service = plan(profile, None, root).stack.service(SERVICE)
    period = service.healthcheck.start_period.value if service.healthcheck is not None else 0.0
    return float(service.startup.value), float(period)


def with_base_flags(root: Path, case: Case) -> None:
    """The base file's service runs the command composegen would write, with `case.base_flags`."""
    from composegen.render.overlay import plan

    command = plan(case.profile, None, root).stack.service(SERVICE).sizing.command
    assert command is not None, "composegen writes no command for this case"
    flags = dict(arg.split("=", 1) for arg in command[2::2]) | dict(case.base_flags)
    compose = json.loads((root / "docker-compose.yml").read_text(encoding="utf-8"))
    compose["services"][SERVICE]["command"] = [command[0], *(w for k, v in flags.items() for w in ("-c", f"{k}={v}"))]
    (root / "docker-compose.yml").write_text(json.dumps(compose, indent=2) + "\n", encoding="utf-8")


def run_case(client: Any, loader: Any, folder: Path, case: Case, log: Callable[[str], None]) -> Result:
    root = write_case(folder, case)
    result = Result(case)
    if case.base_flags:
        with_base_flags(root, case)
    rendered = composegen(
        "render", "--profile", case.profile, "--docker-version", engine_version(client), "-o", "overlay.yml", cwd=root
    )
    if rendered.returncode != 0:
        result.note = f"render failed: {rendered.stderr.strip()[-200:]}"
        return result
    result.planned_startup, result.start_period = planned(root, case.profile)
    project = ComposeProject(project_name(case.name, "servers"), [root / "docker-compose.yml", root / "overlay.yml"])
    watch = CgroupWatch(client)
    try:
        up = project.up_detached(600)
        if not up.ok:
            result.note = f"up failed: {up.last_lines(3)}"
            return result
        watch.watch_project(project.name)
        server = next(iter(watch.watched.values()))
        container = client.containers.get(server.container_id)
        result.healthy = time_to_ready(container, case.ready)
        result.load_rate = load_rate(container.logs().decode(errors="replace"))
        if result.healthy is None:
            result.note = "never ready: " + container.logs().decode(errors="replace")[-300:]
        else:
            network = client.networks.get(f"{project.name}_default")
            network.connect(loader)
            try:
                # the loader joined after it started: it has no DNS on this network, so the server's name
                address = container.attrs["NetworkSettings"]["Networks"][network.name]["IPAddress"]
                loader.exec_run(["sh", "-c", f"grep -v ' {SERVICE}$' /etc/hosts > /tmp/h; cat /tmp/h > /etc/hosts; "
                                 f"echo '{address} {SERVICE}' >> /etc/hosts"])  # fmt: skip
                code, raw = loader.exec_run(list(case.client), workdir=str(root))
                out = raw.decode(errors="replace")
                result.note = summary(case, out) if code == 0 else f"load exit {code}: {load_failure(out)}"
            finally:
                network.disconnect(loader, force=True)
            if case.restart:
                result.note = "; ".join(filter(None, (result.note, restarted(container, case, result))))
        watched = watch.finish()
        peaks: list[ServicePeak] = service_peaks(client, project.name, watched)
        for p in peaks:
            result.limit, result.tmpfs, result.peak = p.limit, p.tmpfs, p.peak
            result.tmpfs_peak, result.oom_kills = p.tmpfs_peak, p.oom_kills
            if p.working_set and p.working_set < p.peak * 0.95:  # the peak holds page cache the kernel reclaims
                said = f"working set {mib(p.working_set)} (limit ÷ it {p.limit / p.working_set:.2f})"
                result.note = "; ".join(filter(None, (result.note, said)))
            if case.role == "redis":
                result.note = "; ".join(filter(None, (result.note, redis_refusals(container))))
        return result
    finally:
        watch.finish()
        project.down()
        log(line(result))


def load_failure(out: str) -> str:
    """Why a load tool failed: its first error line (a pgbench client's "aborted" names the
    server's error), else the end of what it printed; on one line, for the table."""
    errors = [line for line in out.splitlines() if "error" in line.lower() or "abort" in line.lower()]
    text = errors[0] if errors else out.strip()[-200:]
    return " ".join(text.split())[:300]


def summary(case: Case, out: str) -> str:
    """The load tool's throughput line."""
    patterns = (
        r"tps = ([0-9.]+) \(without",
        r"transactions:\s+\d+\s+\(([0-9.]+) per sec",
        r"(\d+) requests in",
        r"in [0-9.]+ s, (\d+) reads",
    )
    for pattern in patterns:
        found = re.search(pattern, out)
        if found:
            unit = {"postgres": "tps", "mysql": "tps", "zookeeper": "reads"}.get(case.role, "requests")
            return f"{float(found.group(1)):,.0f} {unit}"
    found = re.search(r"filled .*BGSAVE", out)
    if found:
        return found.group(0)
    found = re.findall(r"(SET|GET): ([0-9.]+) requests per second", out)
    return ", ".join(f"{k} {float(v):,.0f}/s" for k, v in found[-2:]) if found else ""


def redis_refusals(container: Any) -> str:
    _, out = container.exec_run(["redis-cli", "INFO", "errorstats"])
    found = re.search(r"errorstat_OOM:count=(\d+)", out.decode(errors="replace"))
    said = [f"{int(found.group(1)):,} writes refused at maxmemory"] if found else []
    _, out = container.exec_run(["redis-cli", "INFO"])
    info = dict(re.findall(r"^(\w+):(\S+)", out.decode(errors="replace"), re.M))
    if int(info.get("rdb_saves", 0)):  # what the fork's copy-on-write really copied, against the data
        said.append(
            f"fork copied {mib(int(info.get('rdb_last_cow_size', 0)))} of {mib(int(info.get('used_memory', 0)))} "
            f"({int(info['rdb_saves'])} saves)"
        )
    return "; ".join(said)


def restarted(container: Any, case: Case, result: Result) -> str:
    """Restart the server on the data it saved: the time to ready, and the rate it loaded its RDB
    at (the dump's size over the load time the server logs) as the result's load rate."""
    _, out = container.exec_run(["stat", "-c", "%s", "/data/dump.rdb"])
    size = int(out.decode().strip() or 0) if out.decode().strip().isdigit() else 0
    container.restart(timeout=30)
    ready = time_to_ready(container, case.ready)
    logs = container.logs().decode(errors="replace")
    loaded = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", logs)
    if not size or not loaded or ready is None:
        return f"restart: ready {ready}, RDB {size} B, {loaded[-1:] or 'no load logged'}"
    seconds = max(float(loaded[-1]), 0.001)
    result.load_rate = size / seconds
    return f"restart: ready in {ready:.1f} s, its {mib(size)} RDB loaded in {seconds:.2f} s"


def line(r: Result) -> str:
    healthy = f"{r.healthy:.1f} s" if r.healthy is not None else "never"
    rate = f", loaded {r.load_rate / MIB:.1f} MiB/s" if r.load_rate else ""
    return (
        f"{r.case.name}: limit {mib(r.limit)}, peak {mib(r.peak)} ({r.ratio:.2f}), tmpfs {mib(r.tmpfs_peak)} "
        f"of {mib(r.tmpfs)}, OOM {r.oom_kills}, healthy {healthy} (planned {r.planned_startup:.0f} s){rate}; {r.note}"
    )


def table(results: Sequence[Result]) -> str:
    rows = [
        "| case | workload | limit | tmpfs | peak | peak tmpfs + shm | limit ÷ peak | OOM | healthy after "
        "| composegen's startup | load rate | throughput, notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        verdict = "" if r.oom_kills or not r.peak else (" ✓" if in_band(r.ratio) else "")
        rows.append(
            f"| {r.case.name} | {r.case.inputs} | {mib(r.limit)} | {mib(r.tmpfs)} | {mib(r.peak)} | "
            f"{mib(r.tmpfs_peak)} | {r.ratio:.2f}{verdict} | {r.oom_kills} | "
            f"{f'{r.healthy:.1f} s' if r.healthy is not None else 'never'} | {r.planned_startup:.0f} s | "
            f"{f'{r.load_rate / MIB:.1f} MiB/s' if r.load_rate else '—'} | {r.note} |"
        )
    return "\n".join(rows)


# --- the twin: calibrate, render from its measurements, replay -----------------------------------


def twin_rows(client: Any, folder: Path, quick: bool, log: Callable[[str], None]) -> str:
    """examples/pytest's twin: run under the pytest overlay; `composegen calibrate` while the suite
    runs; render from the measurements; replay the suite under that overlay."""
    size = TwinSize(tests=2000) if quick else TwinSize(tests=5000, pgbench_scale=13, mariadb_rows=300_000)
    root = twin_folder(folder, size)
    version = engine_version(client)
    env = {**os.environ, **size.environment()}
    rendered = composegen(
        "render", "--profile", PROFILE, "--docker-version", version, "-o", "overlay.yml", cwd=root, env=env
    )
    if rendered.returncode != 0:
        raise RuntimeError(rendered.stderr)
    first = run_twin(client, root, size, root / "overlay.yml", log, "profile")
    suite = f'docker exec "$COMPOSE_PROJECT_NAME-backend-1" sh /app/run-suite.sh {size.tests}'
    calibrated = composegen(
        "calibrate", "--profile", PROFILE, "-o", "m.json", "--interval", "0.5s", "--no-live",
        "--project-name", project_name("pytest-real-calibrate", "servers"), "--", "sh", "-c", suite,
        cwd=root, env=env,
    )  # fmt: skip
    log(f"calibrate: exit {calibrated.returncode}: {calibrated.stdout.strip().splitlines()[-1:]}")
    if not (root / "m.json").exists():
        raise RuntimeError(f"calibrate wrote nothing: {calibrated.stdout}{calibrated.stderr}")
    again = composegen(
        "render", "--profile", PROFILE, "--docker-version", version, "--measurements", "m.json",
        "-o", "calibrated.yml", cwd=root, env=env,
    )  # fmt: skip
    if again.returncode != 0:
        raise RuntimeError(again.stderr)
    replay = run_twin(client, root, size, root / "calibrated.yml", log, "replay")
    measured = json.loads((root / "m.json").read_text())["services"]
    out = [
        f"Twin of examples/pytest: {size.tests:,} tests, pgbench scale {size.pgbench_scale}, "
        f"{size.mariadb_rows:,} MariaDB rows, {size.redis_keys:,} Redis keys of {size.redis_value_bytes} B.",
        "",
        f"Under the pytest overlay: up --wait {'healthy' if first.up_ok else 'FAILED'} in {first.up_seconds:.0f} s, "
        f"suite exit {first.suite_exit} in {first.suite_seconds:.0f} s.",
        "",
        "| service | limit (profile) | peak | limit ÷ peak | calibrate's peak | limit (calibrated) | replay peak "
        "| limit ÷ replay peak | OOM (profile, replay) | restarts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    again_by = {p.service: p for p in replay.peaks}
    for p in first.peaks:
        r = again_by.get(p.service)
        cal = (measured.get(p.service) or {}).get("memory", {}).get("peak", 0)
        out.append(
            f"| {p.service} | {mib(p.limit)} | {mib(p.peak)} | {p.ratio:.2f} | {mib(cal)} | "
            f"{mib(r.limit) if r else '—'} | {mib(r.peak) if r else '—'} | {f'{r.ratio:.2f}' if r else '—'} | "
            f"{p.oom_kills}, {r.oom_kills if r else '—'} | {p.restarts + (r.restarts if r else 0)} |"
        )
    out += [
        "",
        f"Replay: up --wait {'healthy' if replay.up_ok else 'FAILED'} in {replay.up_seconds:.0f} s, "
        f"suite exit {replay.suite_exit} in {replay.suite_seconds:.0f} s.",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small datasets, short runs, fewer cases")
    parser.add_argument("--only", default="", help="only the cases whose name contains one of these (comma-separated)")
    parser.add_argument("--twin", action="store_true", help="also calibrate and replay the twin of examples/pytest")
    parser.add_argument("--twin-only", action="store_true", help="only the twin")
    parser.add_argument(
        "--plan-only", action="store_true", help="no engine: each case's limit today against the last run's peak"
    )
    args = parser.parse_args(argv)
    chosen = [c for c in cases(args.quick) if any(word in c.name for word in args.only.split(","))]
    if args.plan_only:
        with tempfile.TemporaryDirectory(prefix="composegen-servers-plan-") as tmp:
            print(plan_only(chosen, Path(tmp)))
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the stacks are taken down on the way out

    if not os.environ.get("DOCKER_HOST"):
        host = subprocess.run([str(ROOT / "scripts" / "engine"), "host"], capture_output=True, text=True, check=True)
        os.environ["DOCKER_HOST"] = host.stdout.strip()
    images = subprocess.run([str(ROOT / "scripts" / "servers-image")], capture_output=True, text=True)
    if images.returncode != 0:
        print(images.stderr, file=sys.stderr)
        return 1
    from composegen.engine.client import connect

    client = connect()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="composegen-servers-") as tmp:
        folder = Path(tmp)
        if not args.twin_only:
            loader = start_loader(client, folder)
            try:
                results = [run_case(client, loader, folder, c, log) for c in chosen]
                print(table(results), flush=True)  # before the loader goes: a slow engine may time out removing it
                outside = [r for r in results if r.oom_kills or not in_band(r.ratio)]
                print(f"\n{len(results) - len(outside)} of {len(results)} rows in [1.1, 1.4] with no OOM kill.")
            finally:
                remove_loader(client, loader)
        if args.twin or args.twin_only:
            print()
            print(twin_rows(client, folder, args.quick, log))
    print(f"\n({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
