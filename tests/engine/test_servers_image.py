"""The real servers' images (scripts/servers-image) start like the official ones and take the flags
composegen writes: each server is started with a flag, asked whether it is in effect, and (for the
databases) whether an init script ran. Clients run inside the server's container (`docker exec`),
over TCP to the container's address on a user network: this engine has no embedded DNS there."""

from __future__ import annotations

import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.engine

READY_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def network(engine: Any) -> Iterator[str]:
    name = f"cg-servers-{uuid.uuid4().hex[:8]}"
    net = engine.networks.create(name, driver="bridge")
    try:
        yield name
    finally:
        net.remove()


@pytest.fixture
def start(engine: Any, network: str) -> Iterator[Any]:
    """start(image, command, **options): a detached container on the test network, removed after."""
    started: list[Any] = []

    def run(image: str, command: list[str] | None = None, **options: Any) -> Any:
        container = engine.containers.run(image, command, detach=True, network=network, **options)
        started.append(container)
        return container

    yield run
    for container in started:
        container.remove(force=True, v=True)


def output(container: Any, *command: str) -> str:
    code, out = container.exec_run(list(command))
    text = out.decode(errors="replace").strip()
    assert code == 0, f"{' '.join(command)}: exit {code}: {text}"
    return str(text)


def wait_until(container: Any, *command: str) -> None:
    """Until `command` exits 0 in the container (fails with the container's log if it never does)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "exited":
            break
        if container.exec_run(list(command))[0] == 0:
            return
        time.sleep(0.5)
    logs = container.logs().decode(errors="replace")[-3000:]
    pytest.fail(f"{' '.join(command)} never succeeded ({container.status}); the log:\n{logs}", pytrace=False)


def address(container: Any, network: str) -> str:
    container.reload()
    return str(container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])


def init_dir(tmp_path: Path, files: dict[str, str]) -> dict[str, dict[str, str]]:
    """/docker-entrypoint-initdb.d holding `files` (not executable: a .sh is sourced)."""
    scripts = tmp_path / "initdb"
    scripts.mkdir()
    for name, text in files.items():
        (scripts / name).write_text(text)
    scripts.chmod(0o755)
    return {str(scripts): {"bind": "/docker-entrypoint-initdb.d", "mode": "ro"}}


def test_postgres_takes_its_flags_and_runs_the_init_scripts(
    servers_images: dict[str, str], start: Any, network: str, tmp_path: Path
) -> None:
    db = start(
        servers_images["postgres"],
        ["-c", "shared_buffers=64MB"],
        environment={"POSTGRES_PASSWORD": "secret", "POSTGRES_DB": "app"},
        volumes=init_dir(
            tmp_path,
            {
                "1-seed.sql": "CREATE TABLE seeded (n int); INSERT INTO seeded VALUES (42);\n",
                "2-more.sh": 'psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "CREATE TABLE sh ()"',
            },
        ),
    )
    wait_until(db, "pg_isready", "-h", "127.0.0.1", "-U", "postgres")
    psql = ("env", "PGPASSWORD=secret", "psql", "-h", address(db, network), "-U", "postgres", "-d", "app", "-tAc")
    assert output(db, *psql, "SHOW shared_buffers") == "64MB"
    assert output(db, *psql, "SELECT n FROM seeded") == "42"
    assert output(db, *psql, "SELECT count(*) FROM sh") == "0"
    assert output(db, "ps", "-o", "user=", "-p", "1") == "postgres"


def test_postgres_takes_the_postgres_command_and_a_password_file(
    servers_images: dict[str, str], start: Any, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-a-file")
    db = start(
        servers_images["postgres"],
        ["postgres", "-c", "max_connections=37"],
        environment={"POSTGRES_PASSWORD_FILE": "/run/secrets/password"},
        volumes={str(secret): {"bind": "/run/secrets/password", "mode": "ro"}},
    )
    wait_until(db, "pg_isready", "-h", "127.0.0.1", "-U", "postgres")
    psql = ("env", "PGPASSWORD=from-a-file", "psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc")
    assert output(db, *psql, "SHOW max_connections") == "37"


def test_postgres_without_a_password_says_so(servers_images: dict[str, str], start: Any) -> None:
    db = start(servers_images["postgres"])
    assert db.wait(timeout=60)["StatusCode"] == 1
    assert "POSTGRES_PASSWORD" in db.logs().decode()


def test_redis_takes_its_flags_and_answers_other_containers(
    servers_images: dict[str, str], start: Any, network: str
) -> None:
    cache = start(servers_images["redis"], ["--maxmemory", "32mb", "--save", "", "--appendonly", "no"])
    wait_until(cache, "redis-cli", "ping")
    # over the network address, not loopback: protected mode would refuse this
    got = output(cache, "redis-cli", "-h", address(cache, network), "CONFIG", "GET", "maxmemory")
    assert got.split() == ["maxmemory", "33554432"]
    assert output(cache, "redis-cli", "CONFIG", "GET", "save").split() == ["save"]
    assert output(cache, "ps", "-o", "user=", "-p", "1") == "redis"


def test_mariadb_takes_its_flags_and_runs_the_init_scripts(
    servers_images: dict[str, str], start: Any, network: str, tmp_path: Path
) -> None:
    db = start(
        servers_images["mariadb"],
        ["--innodb-buffer-pool-size=64M"],
        environment={"MARIADB_ROOT_PASSWORD": "secret", "MARIADB_DATABASE": "app"},
        volumes=init_dir(tmp_path, {"seed.sql": "CREATE TABLE seeded (n int); INSERT INTO seeded VALUES (42);\n"}),
    )
    wait_until(db, "mariadb-admin", "ping", "-h", "127.0.0.1", "--silent")
    client = ("mariadb", "-h", address(db, network), "-uroot", "-psecret", "-N", "-B", "-e")
    got = output(db, *client, "SHOW VARIABLES LIKE 'innodb_buffer_pool_size'")
    assert got.split() == ["innodb_buffer_pool_size", str(64 * 1024**2)]
    assert output(db, *client, "SELECT n FROM app.seeded") == "42"
    wait_until(db, "healthcheck.sh", "--connect", "--innodb_initialized")


def test_zookeeper_answers_with_the_jvm_flags_it_was_given(
    servers_images: dict[str, str], start: Any, tmp_path: Path
) -> None:
    """ZooKeeper on 1 core takes its JVMFLAGS; in the same container, a `java -Xmx64m` application
    planned at 1 core picks up the JAVA_TOOL_OPTIONS bounds the plan writes (each at the value the
    plan counts: the metaspace bound from the class path it counted on the bind mount, the declared
    direct memory), runs Serial, the collector whose share the plan counted, and without
    `direct_memory:` keeps the JVM's own direct memory bound (unset: the heap's maximum), where the
    plan counts Paketo's 10 MiB, labelled assumed."""
    zk = start(servers_images["zookeeper"], environment={"JVMFLAGS": "-Xmx64m"}, nano_cpus=10**9)
    wait_until(zk, "sh", "-c", "echo ruok | nc -q 1 127.0.0.1 2181 | grep -q imok")
    assert "Mode: standalone" in output(zk, "sh", "-c", "echo srvr | nc -q 1 127.0.0.1 2181")
    assert "-Xmx64m" in output(zk, "ps", "-o", "args=", "-C", "java")

    from composegen.render.overlay import plan

    (tmp_path / "app").mkdir()
    with zipfile.ZipFile(tmp_path / "app" / "app.jar", "w") as jar:
        for n in range(2000):
            jar.writestr(f"com/example/C{n}.class", b"")
    compose = (
        "services:\n  app:\n    image: eclipse-temurin:21\n    command: java -Xmx64m -jar /app/app.jar\n"
        "    volumes: ['./app:/app:ro']\n"
    )
    (tmp_path / "docker-compose.yml").write_text(compose)
    project = "compose_files: [docker-compose.yml]\nservices:\n  app: {role: jvm, direct_memory: 24M}\n"
    (tmp_path / "composegen.yaml").write_text(project)
    app = plan("pytest", None, tmp_path).stack.service("app")
    assert app is not None
    assert any("(Serial)" in name for name in app.sizing.extra), list(app.sizing.extra)
    env = {e.key: e.value for e in app.environment}
    code, out = zk.exec_run(["java", "-Xmx64m", "-XX:+PrintFlagsFinal", "-version"], environment=env)
    text = out.decode(errors="replace")
    assert code == 0, text[-2000:]
    assert f"Picked up JAVA_TOOL_OPTIONS: {env['JAVA_TOOL_OPTIONS']}" in text
    flags = {w[1]: w[3] for w in (line.split() for line in text.splitlines()) if len(w) > 3 and w[2] == "="}
    for flag, region in (
        ("ReservedCodeCacheSize", "code cache"),
        ("MaxMetaspaceSize", "metaspace"),
        ("MaxDirectMemorySize", "direct memory"),
    ):
        assert int(flags[flag]) == app.sizing.extra[region].value, flag
    assert (flags["UseSerialGC"], flags["UseG1GC"]) == ("true", "false")

    (tmp_path / "composegen.yaml").write_text(project.replace(", direct_memory: 24M", ""))
    app = plan("pytest", None, tmp_path).stack.service("app")
    assert app is not None
    env = {e.key: e.value for e in app.environment}
    assert "MaxDirectMemorySize" not in env["JAVA_TOOL_OPTIONS"]
    code, out = zk.exec_run(["java", "-Xmx64m", "-XX:+PrintFlagsFinal", "-version"], environment=env)
    text = out.decode(errors="replace")
    assert re.search(r"\bMaxDirectMemorySize\s+= 0\b", text), text[-2000:]  # 0: the heap's maximum
    direct = app.sizing.extra["direct memory"]  # what an app keeps there is unknown: Paketo's 10 MiB, assumed
    assert (direct.value, direct.source_kind) == (10 * 1024**2, "assumed")


def test_gunicorn_serves_an_app(servers_images: dict[str, str], start: Any, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "hello.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'hello from gunicorn']\n"
    )
    web = start(
        servers_images["python"],
        ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--chdir", "/app", "hello:app"],
        volumes={str(app): {"bind": "/app", "mode": "ro"}},
    )
    fetch = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/').read().decode())"
    wait_until(web, "python3", "-c", fetch)
    assert output(web, "python3", "-c", fetch) == "hello from gunicorn"
