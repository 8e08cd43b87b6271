"""`composegen export k8s`: every manifest validates against the Kubernetes schemas (kubernetes-validate,
strict, the pinned version), the examples match their golden files, and the numbers are the plan's."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from kubernetes_validate import utils as kv
from typer.testing import CliRunner

from composegen.cli.app import app
from composegen.compose.normalize import canonical_service
from composegen.export import k8s
from composegen.export.notes import Note
from composegen.masking import StackSecrets, mask_argv
from composegen.render.overlay import Planned, plan
from composegen.units import MIB
from composegen.yamlio import SDict
from tests.export.regenerate import EXPORT_EXAMPLES, golden_files, k8s_files

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REGENERATE = ".venv/bin/python -m tests.export.regenerate"


def _planned(example: str) -> Planned:
    return plan(example, None, EXAMPLES / example)


def _documents(example: str) -> list[dict[str, Any]]:
    return [m.body for m in k8s.export_k8s(_planned(example)).manifests()]  # type: ignore[misc]


def _by(example: str, kind: str, name: str) -> dict[str, Any]:
    return next(d for d in _documents(example) if d["kind"] == kind and d["metadata"]["name"] == name)


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("example", EXPORT_EXAMPLES)
def test_every_manifest_validates_against_the_pinned_kubernetes_schemas(example: str) -> None:
    files = k8s_files(example)
    documents = [d for name, text in files.items() if name.endswith(".yaml") for d in yaml.safe_load_all(text)]
    assert len(documents) == len(json.loads(files["k8s.json"])["manifests"]) >= 3
    for document in documents:
        assert kv.validate(document, k8s.KUBERNETES_VERSION, strict=True) == "1.37"


def test_the_strict_validation_rejects_a_field_kubernetes_does_not_know() -> None:
    deployment = _by("prod", "Deployment", "api")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, k8s.KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("example", EXPORT_EXAMPLES)
def test_the_examples_match_their_golden_files(example: str) -> None:
    assert k8s_files(example) == golden_files(example), f"golden out of date: run `{REGENERATE}` and review the diff"


@pytest.mark.parametrize("example", EXPORT_EXAMPLES)
def test_limits_requests_and_probes_are_the_plans_numbers(example: str) -> None:
    planned = _planned(example)
    workloads = {d["metadata"]["name"]: d for d in _documents(example) if d["kind"] in ("Deployment", "StatefulSet")}
    for service in planned.stack.services:
        container = _container(workloads[k8s.k8s_name(service.name)])
        limits = container["resources"]["limits"]
        assert limits["memory"] == k8s.memory_quantity(service.memory_limit.value)
        assert limits.get("cpu") == (k8s.cpu_quantity(service.cpus.value) if service.cpus else None)
        requests = container["resources"].get("requests", {})
        reserved = service.memory_reservation
        assert requests.get("memory") == (k8s.memory_quantity(reserved.value) if reserved else None)
        if service.healthcheck is None:
            assert "startupProbe" not in container
            continue
        startup = container["startupProbe"]
        assert startup["failureThreshold"] * startup["periodSeconds"] >= service.healthcheck.start_period.value
        assert startup["periodSeconds"] == math.ceil(
            (service.healthcheck.start_interval or service.healthcheck.interval).value
        )
        for kind in ("livenessProbe", "readinessProbe"):
            assert container[kind]["periodSeconds"] == math.ceil(service.healthcheck.interval.value)
            assert container[kind]["failureThreshold"] == service.healthcheck.retries


def test_healthcheck_forms_become_exec_probes() -> None:
    assert k8s.exec_command(["CMD", "redis-cli", "ping"]) == ["redis-cli", "ping"]
    assert k8s.exec_command(["CMD-SHELL", "pg_isready -U acme"]) == ["/bin/sh", "-c", "pg_isready -U acme"]
    assert k8s.exec_command(["NONE"]) is None
    db = _container(_by("prod", "StatefulSet", "db"))
    assert db["livenessProbe"]["exec"]["command"] == ["/bin/sh", "-c", "pg_isready -U acme"]
    assert db["startupProbe"] == {
        "exec": {"command": ["/bin/sh", "-c", "pg_isready -U acme"]},
        "periodSeconds": 2,  # prod's start_interval
        "timeoutSeconds": 2,
        "failureThreshold": 134,  # ceil(268 s start_period ÷ 2 s)
    }


def test_tmpfs_shm_and_hardening_map_to_memory_emptydirs_and_a_security_context() -> None:
    api = _by("prod", "Deployment", "api")
    pod = api["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "tmpfs-0", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]
    assert _container(api)["volumeMounts"] == [{"name": "tmpfs-0", "mountPath": "/tmp"}]
    assert _container(api)["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "runAsUser": 1000,
        "runAsGroup": 1000,
    }
    db = _by("prod", "StatefulSet", "db")
    # maintenance_work_mem 64 MiB + 16 MiB for the statistics: parallel query off in prod too
    assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "80Mi"}} in db["spec"]["template"]["spec"][
        "volumes"
    ]


def test_databases_are_statefulsets_with_claims_sized_from_the_dataset() -> None:
    db = _by("prod", "StatefulSet", "db")
    assert db["spec"]["serviceName"] == "db"
    (claim,) = db["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "dbdata"
    assert claim["spec"]["resources"]["requests"]["storage"] == "4Gi"  # dataset 2G × prod's dataset_factor 2
    service = _by("prod", "Service", "db")
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["ports"] == [{"name": "tcp-5432", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]
    assert not any(d["kind"] == "HorizontalPodAutoscaler" and d["metadata"]["name"] == "db" for d in _documents("prod"))


def test_the_autoscaler_takes_its_targets_and_behavior_from_the_profile() -> None:
    planned = _planned("prod")
    api = planned.stack.service("api")
    assert api is not None
    hpa = _by("prod", "HorizontalPodAutoscaler", "api")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1, 3)
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["metrics"]}
    assert targets["cpu"] == {"type": "AverageValue", "averageValue": "700m"}  # 70 % of 1 core
    assert targets["memory"]["averageValue"] == f"{math.floor(api.memory_limit.value * 0.8 / MIB)}Mi"
    assert hpa["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0
    assert hpa["behavior"]["scaleDown"] == {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Min",
        "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
    }
    agents = _by("agent-scale", "HorizontalPodAutoscaler", "agent")["spec"]
    assert (agents["minReplicas"], agents["maxReplicas"]) == (500, 1500)


def test_agents_roll_out_in_the_profiles_batches() -> None:
    spec = _by("agent-scale", "Deployment", "agent")["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 50, "maxSurge": 0}}
    assert spec["minReadySeconds"] == 10  # agents.update_delay
    assert "strategy" not in _by("agent-scale", "Deployment", "gateway")["spec"]


def test_profiles_without_autoscaling_get_no_autoscaler() -> None:
    assert not any(d["kind"] == "HorizontalPodAutoscaler" for d in _documents("dev"))


def test_a_base_tmpfs_keeps_the_size_the_limit_counts_it_at(tmp_path: Path) -> None:
    """A sized base tmpfs is counted in the limit (sizing/base_resources.py): its emptyDir has that
    size; one without a size has none, and is listed."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  app:\n    image: example/app:1\n    tmpfs: [/scratch:size=512m, /run]\n"
    )
    exported = k8s.export_k8s(plan("dev", None, tmp_path))
    pod = exported.manifests()[0].body["spec"]["template"]["spec"]
    assert pod["volumes"] == [
        {"name": "base-tmpfs-0", "emptyDir": {"medium": "Memory", "sizeLimit": "512Mi"}},
        {"name": "base-tmpfs-1", "emptyDir": {"medium": "Memory"}},
    ]
    assert [n.what for n in exported.unmapped if n.what.startswith("tmpfs")] == ["tmpfs /run size"]


def test_a_base_tmp_with_no_size_gets_no_assumed_size_in_its_pod(tmp_path: Path) -> None:
    """prod counts the base's unsized /tmp in the limit at an assumed size (base_resources.
    unsized_tmpfs); the pod is not given that size as a bound the compose file never set: it is
    listed, as any unsized base tmpfs."""
    (tmp_path / "docker-compose.yml").write_text("services:\n  app:\n    image: example/app:1\n    tmpfs: /tmp\n")
    exported = k8s.export_k8s(plan("prod", None, tmp_path))
    pod = exported.manifests()[0].body["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "base-tmpfs-0", "emptyDir": {"medium": "Memory"}}]
    assert [n.what for n in exported.unmapped if n.what.startswith("tmpfs")] == ["tmpfs /tmp size"]


def test_what_cannot_be_mapped_is_listed(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  web_app:\n"
        "    image: example/web:1\n"
        "    ports: ['8080:80']\n"
        "    volumes: ['./static:/srv/static:ro']\n"
        "    ulimits: {nofile: 65536}\n"
        "    extra_hosts: ['db.local=10.0.0.5']\n"
        "    restart: on-failure\n"
        "    user: www-data\n"
        "    environment: [FROM_SHELL]\n"
    )
    exported = k8s.export_k8s(plan("dev", None, tmp_path))
    unmapped = {(n.service, n.what.split(" ")[0]) for n in exported.unmapped}
    assert {
        ("web_app", "ports"),
        ("web_app", "volumes"),
        ("web_app", "ulimits"),
        ("web_app", "extra_hosts"),
        ("web_app", "restart"),
        ("web_app", "user"),
        ("web_app", "environment.FROM_SHELL"),
    } <= unmapped
    assert ("web_app", "name") in {(n.service, n.what) for n in exported.defaults}
    (deployment, service) = [m.body for m in exported.manifests()]
    assert deployment["metadata"]["name"] == "web-app"
    assert service["spec"]["ports"] == [{"name": "tcp-8080", "port": 8080, "targetPort": 80, "protocol": "TCP"}]
    for document in (deployment, service):
        kv.validate(dict(document), k8s.KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("value", "memory", "cores", "cpu"),
    [(512 * MIB, "512Mi", 0.5, "500m"), (2 * 1024 * MIB, "2Gi", 2.0, "2"), (1000, "1000", 0.15, "150m")],
)
def test_quantities(value: float, memory: str, cores: float, cpu: str) -> None:
    assert k8s.memory_quantity(value) == memory
    assert k8s.cpu_quantity(cores) == cpu


def test_cli_writes_one_file_per_service_and_reports_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "prod")
    out = tmp_path / "k8s"
    result = CliRunner().invoke(app, ["export", "k8s", "--profile", "prod", "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sorted(Path(f).name for f in report["files"]) == sorted(p.name for p in out.iterdir())
    assert any(u["service"] == "ui" and u["what"] == "depends_on" for u in report["unmapped"])
    assert (out / "api.yaml").read_text() == golden_files("prod")["k8s/api.yaml"]


def test_cli_streams_to_stdout_and_refuses_foreign_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "prod")
    streamed = CliRunner().invoke(app, ["export", "k8s", "--profile", "prod", "-o", "-"])
    assert streamed.exit_code == 0, streamed.output
    kinds = [d["kind"] for d in yaml.safe_load_all(streamed.stdout)]
    assert kinds.count("Deployment") == 4 and kinds.count("StatefulSet") == 2
    (tmp_path / "api.yaml").write_text("kind: Mine\n")
    refused = CliRunner().invoke(app, ["export", "k8s", "--profile", "prod", "-o", str(tmp_path)])
    assert refused.exit_code == 2 and "not overwriting" in refused.output
    assert (tmp_path / "api.yaml").read_text() == "kind: Mine\n"


def test_cli_names_files_of_an_earlier_export_it_no_longer_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES / "prod")
    old = tmp_path / "removed-service.yaml"
    old.write_text(golden_files("prod")["k8s/api.yaml"])  # composegen's header: generated by us
    mine = tmp_path / "kustomization.yaml"
    mine.write_text("resources: []\n")
    result = CliRunner().invoke(app, ["export", "k8s", "--profile", "prod", "-o", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stale"] == [str(old)]
    assert old.is_file() and mine.is_file()  # listed, never deleted


def _exported(folder: Path) -> tuple[k8s.K8sExport, str]:
    """The dev export of the stack in `folder`, and its manifests as one stream."""
    exported = k8s.export_k8s(plan("dev", None, folder))
    return exported, k8s.stream_text(exported)


def test_values_reach_kubernetes_unchanged(tmp_path: Path) -> None:
    """Quotes, `#`, `:` and newlines survive the YAML; `$` is doubled, since the kubelet expands
    `$(NAME)` in env values, command and args and reads `$$` as `$`."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  web:\n"
        "    image: example/web:1\n"
        "    command: ['echo', 'cost: $$(price) # \"quoted\"']\n"
        "    environment:\n"
        '      GREETING: "it\'s: #1\\nnext line"\n'
        "      PRICE: '$$5 and $$(HOME)'\n"
    )
    _, text = _exported(tmp_path)
    container = _container(next(d for d in yaml.safe_load_all(text) if d["kind"] == "Deployment"))
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["GREETING"] == "it's: #1\nnext line"
    assert env["PRICE"] == "$$5 and $$(HOME)"  # the kubelet makes it `$5 and $(HOME)` again
    assert container["args"] == ["echo", 'cost: $$(price) # "quoted"']
    assert k8s.literal("a$b$$c") == "a$$b$$$$c"


@pytest.mark.parametrize(
    ("service", "probe"),
    [
        # composegen's own test, written for compose as `$${POSTGRES_USER:-postgres}`
        ("    image: postgres:16\n", 'pg_isready -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}"'),
        # the base's own, which compose reads with `$$` as `$`
        (
            "    image: example/web:1\n    healthcheck:\n      test: ['CMD-SHELL', 'test -n $${HOSTNAME}']\n",
            "test -n ${HOSTNAME}",
        ),
    ],
)
def test_a_probe_runs_what_the_container_would_run_under_compose(tmp_path: Path, service: str, probe: str) -> None:
    """No one reads `$$` as `$` in an exec probe: a doubled `$` there is the shell's own PID
    (`pg_isready -U "5010{POSTGRES_USER:-postgres}"`)."""
    (tmp_path / "docker-compose.yml").write_text("services:\n  s:\n" + service)
    _, text = _exported(tmp_path)
    workload = next(d for d in yaml.safe_load_all(text) if d["kind"] in ("Deployment", "StatefulSet"))
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert _container(workload)[kind]["exec"]["command"] == ["/bin/sh", "-c", probe]


def test_the_prod_api_gets_a_service_from_its_gunicorn_bind() -> None:
    """Issue 12: `--bind 0.0.0.0:8000` in the command was not read, so `api` had no Service."""
    service = _by("prod", "Service", "api")
    assert service["spec"]["ports"] == [{"name": "tcp-8000", "port": 8000, "targetPort": 8000, "protocol": "TCP"}]
    assert _container(_by("prod", "Deployment", "api"))["ports"] == [{"containerPort": 8000, "protocol": "TCP"}]
    exported = k8s.export_k8s(_planned("prod"))
    assert ("api", "ports") in {(n.service, n.what) for n in exported.defaults}
    assert ("api", "network") not in {(n.service, n.what) for n in exported.unmapped}


COMMAND_PORTS: list[tuple[list[str], list[int]]] = [
    (["gunicorn", "app:app", "--bind", "0.0.0.0:8000"], [8000]),
    (["gunicorn", "app:app", "--bind=0.0.0.0:8000", "-b", "[::]:8001"], [8000, 8001]),
    (["/usr/local/bin/gunicorn", "-b0.0.0.0:5000", "app:app"], [5000]),
    (["gunicorn", "--bind", "unix:/run/app.sock", "app:app"], []),
    (["gunicorn", "--bind", "0.0.0.0:$PORT", "app:app"], []),
    (["hypercorn", "app:app", "-b", ":8080"], [8080]),
    (["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "9000"], [9000]),
    (["python", "-m", "uvicorn", "app:app", "--port=9001"], [9001]),
    (["daphne", "-b", "0.0.0.0", "-p", "8002", "app.asgi:application"], [8002]),
    (["flask", "--app", "web", "run", "--host=0.0.0.0", "--port", "5001"], [5001]),
    (["python", "manage.py", "runserver", "0.0.0.0:8003"], [8003]),
    (["python", "manage.py", "runserver", "8004"], [8004]),
    (["sh", "-c", "alembic upgrade head && gunicorn app:app --bind 0.0.0.0:8005"], [8005]),
    (["celery", "-A", "tasks", "worker", "-b", "redis://cache:6379/0"], []),  # -b is celery's broker
    (["mysqld", "-p", "3306"], []),  # only the servers listed read -p as a port
    (["gunicorn", "app", "--bind", "0.0.0.0:99999"], []),
]


@pytest.mark.parametrize(("argv", "ports"), COMMAND_PORTS, ids=[" ".join(a)[:40] for a, _ in COMMAND_PORTS])
def test_ports_read_from_the_command(argv: list[str], ports: list[int]) -> None:
    from composegen.export.command_ports import command_ports

    assert [port for port, _ in command_ports(argv)] == ports


def _command_ports_every_word(argv: list[str]) -> list[tuple[int, str]]:
    """`command_ports` looking at each word for a server's option, a server named or not."""
    from composegen.export import command_ports as cp

    words = cp._tokens(argv)
    found: dict[int, str] = {}
    server = ""
    for i, word in enumerate(words):
        name = cp.basename(word)
        if name in cp.PORT_OPTIONS or name == "runserver":
            server = name
            if name == "runserver" and i + 1 < len(words) and not words[i + 1].startswith("-"):
                port = cp._port(words[i + 1] if ":" in words[i + 1] else f":{words[i + 1]}", cp.BIND)
                if port is not None:
                    found.setdefault(port, f"runserver {words[i + 1]}")
            continue
        options = cp.PORT_OPTIONS.get(server, {})
        option, _, attached = word.partition("=")
        kind = options.get(option)
        value = attached if attached else (words[i + 1] if i + 1 < len(words) else "")
        if kind is None and len(word) > 2 and word[:2] in options and not word.startswith("--"):
            kind, option, value = options[word[:2]], word[:2], word[2:]
        if kind is None:
            continue
        port = cp._port(value, kind)
        if port is not None:
            found.setdefault(port, f"{server} {option} {value}")
    return sorted(found.items())


_COMMAND_WORDS = st.sampled_from(
    [
        *("gunicorn", "/usr/bin/uvicorn", "daphne", "flask", "runserver", "psql", "-b", "--bind", "-p", "--port"),
        *("--port=81", "-b0.0.0.0:82", "-p83", "0.0.0.0:84", "85", ":86", "unix:/s", "-x", "sh -c 'gunicorn -b :87'"),
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_COMMAND_WORDS, max_size=8))
def test_ports_read_from_the_command_skip_the_words_before_a_server(argv: list[str]) -> None:
    from composegen.export.command_ports import command_ports

    assert command_ports(argv) == _command_ports_every_word(argv)


def test_a_declared_port_wins_over_the_command(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: example/web:1\n    command: gunicorn app:app --bind 0.0.0.0:8000\n"
        "    expose: ['9000']\n"
    )
    exported = k8s.export_k8s(plan("dev", None, tmp_path))
    service = next(m.body for m in exported.manifests() if m.kind == "Service")
    assert [p["port"] for p in service["spec"]["ports"]] == [9000]


def test_secrets_are_read_from_a_secret_never_written(tmp_path: Path) -> None:
    """Secret-named environment, values that look like secrets and values from `.env` become
    secretKeyRefs to one Secret; args refer to an interpolated value as `$(NAME)`; the export
    writes the Secret's keys with no value and says how to create it."""
    (tmp_path / ".env").write_text("REDIS_PASSWORD=from-dotenv-pw\nLEVEL=verbose-level\n")
    (tmp_path / "docker-compose.yml").write_text(
        "name: shop\n"
        "services:\n"
        "  web:\n"
        "    image: example/web:1\n"
        "    command: ['serve', '--redis-password', '${REDIS_PASSWORD}', '--auth=literal-auth-pw']\n"
        "    environment:\n"
        "      API_TOKEN: literal-token-value\n"
        "      DATABASE_URL: postgres://u:url-password@db/app\n"
        "      LOG_LEVEL: ${LEVEL}\n"
        "      PORT: '8000'\n"
    )
    exported, text = _exported(tmp_path)
    for secret in ("from-dotenv-pw", "verbose-level", "literal-auth-pw", "literal-token-value", "url-password"):
        assert secret not in text
    container = _container(next(d for d in yaml.safe_load_all(text) if d["kind"] == "Deployment"))
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    ref = {"secretKeyRef": {"name": "shop-secrets", "key": "API_TOKEN"}}
    assert env["API_TOKEN"] == ref and env["PORT"] == "8000"
    assert {n for n, v in env.items() if isinstance(v, dict)} == {
        "API_TOKEN",
        "DATABASE_URL",
        "LOG_LEVEL",
        "REDIS_PASSWORD",
    }
    assert container["args"] == ["serve", "--redis-password", "$(REDIS_PASSWORD)", "--auth=****"]
    assert ("web", "args") in {(n.service, n.what) for n in exported.unmapped}  # the masked one, said
    assert exported.secret_keys == ("API_TOKEN", "DATABASE_URL", "LOG_LEVEL", "REDIS_PASSWORD")
    example = k8s.secret_example_text(exported)
    assert "API_TOKEN=\n" in example and "kubectl create secret generic shop-secrets --from-env-file=" in example
    note = k8s.secret_note(exported)
    assert note is not None and "kubectl create secret generic shop-secrets" in note
    for document in yaml.safe_load_all(text):
        kv.validate(dict(document), k8s.KUBERNETES_VERSION, strict=True)


def test_cli_writes_the_secrets_keys_and_the_command_that_creates_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES / "prod")
    out = tmp_path / "k8s"
    result = CliRunner().invoke(app, ["export", "k8s", "--profile", "prod", "-o", str(out)])
    assert result.exit_code == 0, result.output
    example = (out / k8s.SECRET_EXAMPLE).read_text()
    assert "DATABASE_URL=\n" in example and "change-me-before-production" not in example
    assert "kubectl create secret generic acme-secrets --from-env-file=FILE" in result.stderr


#: Arguments a command or probe may hold: secrets in flags, URLs and known values, and plain words.
_ARGS = st.sampled_from(
    [
        *("psql", "-c", "/bin/sh", "mysql", "-phunter22", "--password", "hunter22", "--auth=s3cretpw", "-u"),
        *("app:pw99x", "postgres://app:pw000001x@db", "redis-cli", "-a", "knownvalue1", "--name", "$(S0_KEY)", ""),
    ]
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(argvs=st.lists(st.lists(_ARGS, max_size=5), max_size=8))
def test_each_argument_list_is_masked_as_mask_argv_masks_it_however_often_it_repeats(argvs: list[list[str]]) -> None:
    """`unbaked` remembers `mask_argv`'s answer for each argument list (a role's probe repeats in
    each service): every answer, and each note that something was masked, is the one asked anew."""
    known = StackSecrets(["knownvalue1"])
    unmapped: list[Note] = []
    secrets = k8s._Secrets("stack-secrets", known, {}, {})
    service = k8s._Service(
        cast(Any, SimpleNamespace(name="s", role="web", replicas=1, sizing=SimpleNamespace(replicas=None))),
        cast(Any, None),
        {"environment": {}, "volumes": []},
        cast(Any, None),
        unmapped,
        [],
        secrets,
    )
    for argv in argvs:
        before = len(unmapped)
        expected = mask_argv(list(argv), known)
        assert service.unbaked(list(argv), "args") == expected
        assert len(unmapped) == before + (expected != argv)


#: Words of commands and probes, some holding the stack's variables' values (`hunter22` twice).
_WORDS = st.sampled_from(
    [
        *("psql", "-c", "serve", "--name", "$$(X)", "curl -f http://localhost/secretvalue01", "secretvalue01"),
        *("pw-hunter22", "hunter22", "a:hunter22@db", "secretvalue02secretvalue01", "other-value", ""),
    ]
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(texts=st.lists(st.tuples(_WORDS, st.sampled_from(["args", "shell"])), max_size=12))
def test_a_service_with_no_secrets_of_its_own_refers_as_the_long_way_does(texts: list[tuple[str, str]]) -> None:
    """`referenced` remembers its answer for each text (and style) where a service has no secret
    environment of its own: each answer, and each variable it then needs, is the one worked out
    anew for a service of its own."""
    variables = {"S1_KEY": "secretvalue01", "S2_KEY": "secretvalue02", "PW": "hunter22", "PW2": "hunter22"}
    secrets = k8s._Secrets("stack-secrets", StackSecrets(list(variables.values())), variables, {})

    def service(secrets: k8s._Secrets) -> k8s._Service:
        plan = SimpleNamespace(name="s", role="web", replicas=1, sizing=SimpleNamespace(replicas=None))
        base = {"environment": {}, "volumes": []}
        return k8s._Service(cast(Any, plan), cast(Any, None), base, cast(Any, None), [], [], secrets)

    for text, style in texts:  # (a service each, all with the export's `secrets`: as export_k8s lays them out)
        remembering, anew = service(secrets), service(k8s._Secrets("stack-secrets", secrets.known, variables, {}))
        assert (remembering.referenced(text, style), remembering.needed) == anew.referred(text, style)
    assert secrets.referred or not texts


_COMMENT_CHARACTERS = ["a", " ", "\x00", "\n", "\t", "\x1f", "\x7f", "\x85", "\u2028", "é", "\ud800"]


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(_COMMENT_CHARACTERS)) | st.text())
def test_a_comment_line_is_the_text_with_its_control_runs_made_spaces(text: str) -> None:
    """`_one_line` (the text itself where printable) against the substitution it skips."""
    assert k8s._one_line(text) == re.sub(r"[\x00-\x1f\x7f]+", " ", text)


def _each_service_on_its_own(planned: Planned) -> tuple[tuple[k8s.ServiceManifests, ...], list[Note], list[Note]]:
    """The services' manifests as `export_k8s` lays them out, but each service building its own
    parts (`_Parts`): the long way, with nothing shared among services."""
    unmapped: list[Note] = []
    defaults: list[Note] = []
    secrets = k8s._stack_secrets(planned)
    by_name = {i.name: i for i in planned.inputs}
    services = tuple(
        k8s.service_manifests(p, by_name[p.name], planned, unmapped, defaults, secrets) for p in planned.stack.services
    )
    return services, unmapped, defaults


#: Services alike but for their names and secrets (as the 1 MB shapes of bench/hostile.py), and
#: others with a part of their own: tmpfs, /dev/shm, labels, ports, probes, plain and secret env,
#: users and capabilities.
_ALIKE_STACK = """\
services:
  db0:
    image: postgres:16.4
    environment: {POSTGRES_PASSWORD: pw000000x}
    command: psql postgres://app:pw000000x@db
  db1:
    image: postgres:16.4
    environment: {POSTGRES_PASSWORD: pw000001x}
    command: psql postgres://app:pw000001x@db
    shm_size: 256m
  web0:
    image: example/app:1
    command: gunicorn app:wsgi -w 2 --name ${S0_KEY}
    environment: {DSN: "postgres://app:${S0_KEY}@db", LEVEL: info}
    healthcheck: {test: "curl -f http://localhost/${S0_KEY}"}
    tmpfs: [/tmp]
  web1:
    image: example/app:1
    command: gunicorn app:wsgi -w 2 --name ${S1_KEY}
    environment: {DSN: "postgres://app:${S1_KEY}@db", LEVEL: info}
    healthcheck: {test: "curl -f http://localhost/${S1_KEY}"}
    labels: {team: a}
    ports: ["8000:8000"]
  web2:
    image: example/app:1
    command: gunicorn app:wsgi --bind 0.0.0.0:8000
    healthcheck: {test: [CMD, curl, -f, http://localhost:8000/]}
    mem_limit: 300m
    user: "1000:0"
    cap_add: [NET_ADMIN]
    security_opt: [no-new-privileges:true, seccomp:unconfined]
  web3:
    image: example/app:1
    user: nobody
    privileged: true
    read_only: true
"""


@pytest.mark.parametrize("example", [*EXPORT_EXAMPLES, "alike"])
def test_parts_shared_among_services_are_those_each_would_build(example: str, tmp_path: Path) -> None:
    """`export_k8s` builds a part many services share once (`_Parts`: probes, limits, annotations,
    ports, volumes, the autoscaler's targets): every manifest and note is what each service
    building its own parts gives."""
    if example == "alike":
        (tmp_path / ".env").write_text("S0_KEY=secretvalue000000\nS1_KEY=secretvalue000001\n")
        (tmp_path / "docker-compose.yml").write_text(_ALIKE_STACK)
        planned = plan("prod", None, tmp_path)
    else:
        planned = _planned(example)
    exported = k8s.export_k8s(planned)
    services, unmapped, defaults = _each_service_on_its_own(planned)
    assert exported.services == services
    assert exported.unmapped[: len(unmapped)] == tuple(unmapped) and exported.defaults == tuple(defaults)
    if example == "alike":  # (and the parts are shared: one object in each service's manifests)
        db0, db1 = (_container(s.manifests[0].body) for s in exported.services[:2])
        assert db0["startupProbe"] is db1["startupProbe"] and db0["args"] is db1["args"]


#: Keys and values of compose services for `_base`: texts (alike ones repeat), numbers and
#: booleans (`1` and `True`), lists and mappings, commands compose refuses (an unclosed quote).
_SERVICE_KEYS = st.sampled_from(
    [
        *("image", "command", "entrypoint", "environment", "user", "restart", "network_mode", "read_only"),
        *("cpus", "mem_limit", "shm_size", "stop_grace_period", "healthcheck", "labels", "ports", "volumes"),
        *("tmpfs", "links", "depends_on", "networks", "cap_drop", "working_dir", "init", "pids_limit"),
    ]
)
_SERVICE_VALUES = (
    st.sampled_from(["postgres:16.4", "psql postgres://app:pw1@db", 'echo "open', "host", "service:db", "1.5", "256m"])
    | st.sampled_from(["true", "", "10s", "/tmp", "a=1", "nobody", "always"])
    | st.sampled_from([1, 0, True, False, 1.0, None])
    | st.lists(st.sampled_from(["a=1", "B", "/tmp", "db", "8000:8000", "./data:/data"]), max_size=3)
    | st.dictionaries(st.sampled_from(["A", "test", "db", "default"]), st.sampled_from(["1", "x", None]), max_size=2)
    | st.dictionaries(
        st.sampled_from(["test", "interval", "retries", "disable", "start_period"]),
        st.sampled_from(["curl -f http://localhost/", "10s", "3", "true", "x", 3, None, ["CMD", "curl"], ["CMD", 1]]),
        max_size=4,
    )
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.dictionaries(_SERVICE_KEYS, _SERVICE_VALUES, max_size=6), max_size=6))
def test_a_service_read_with_its_rest_kept_is_its_canonical_form(services: list[dict[str, Any]]) -> None:
    """`_base` works out the canonical form of a service's keys but its command, entrypoint,
    environment and healthcheck test once per distinct rest (services after the first find it
    kept): each answer is `canonical_service`'s, keys in the same order (a healthcheck's too), and
    a service it refuses is refused."""
    parts = k8s._Parts()
    loaded = [{k: SDict(v) if isinstance(v, dict) else v for k, v in service.items()} for service in services]
    for service in [*services, *loaded]:  # (the second time as the loader gives them: SDicts)
        try:
            expected = canonical_service(service, Path("/p"))
        except TypeError:  # (a value no valid stack holds: `links: 1`) refused alike
            with pytest.raises(TypeError):
                k8s._base(service, Path("/p"), parts)
            continue
        found = k8s._base(service, Path("/p"), parts)
        assert found == expected and list(found) == list(expected)
        assert list(found["healthcheck"] or ()) == list(expected["healthcheck"] or ())
    texts_alone = [s for s in services if all(type(v) is str for k, v in s.items() if k not in k8s._OWN_KEYS)]
    assert len(parts.canonical) >= len(
        {tuple((k, v) for k, v in s.items() if k not in k8s._OWN_KEYS) for s in texts_alone}
    )
