"""The proof that no secret leaves the base (issue 12): a project plants secrets of every kind the
fuzzing found leaking (passwords, tokens, AWS keys, a PEM private key, URL credentials, mysql's
glued `-p`, `--password=`, `--auth=`, `--key`, `.env` values interpolated into the compose file,
literal defaults of `${VAR:-default}`), then every command that runs without an engine runs on it,
and stdout, stderr and every file it writes are searched for each planted secret: none may appear.

test_hostile_secrets.py checks masking piece by piece; this runs the whole CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: Each is planted once; the number keeps them distinct. (The PEM body's line is what must not appear.)
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQPemS3cret07"
FILE_SECRETS = (
    "PgUrl-S3cret-01",  # postgres://app:PASSWORD@db
    "sk_live_51Stripe-S3cret-02",  # a secret-named environment entry
    "AKIAS3CRET03EXAMPLE7",  # an AWS access key id
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCY-S3cret-04",  # an AWS secret access key
    "ghp_Github-S3cret-05-abcdefghijklmn",  # a GitHub token
    "Default-S3cret-06",  # the literal default of ${DB_PASSWORD:-...}
    PEM_BODY,
    "Webhook-S3cret-08",  # https://user:PASSWORD@host
    "MysqlRoot-S3cret-09",
    "MysqlGlued-S3cret-10",  # mysqladmin -pPASSWORD in a healthcheck
    "Amqp-S3cret-11",  # a URL password in a command
    "Celery-S3cret-12",  # list-form environment
    "AuthFlag-S3cret-13",  # --auth=
    "PwFlag-S3cret-14",  # --password=
    "ApiKeyFlag-S3cret-15",  # --api-key VALUE (two arguments)
    "MysqlEntry-S3cret-16",  # mysql -pPASSWORD in an exec-form entrypoint
    "MysqlCmd-S3cret-17",  # mysql -pPASSWORD in a command string
    "Maria-S3cret-18",  # --password= to a mysql client
    "ProxyDefault-S3cret-19",  # http://admin:${PROXY_PW:-PASSWORD}@api
    "ghp_UrlToken-S3cret-27-abcdefghij",  # https://TOKEN@github.com
    "Label-S3cret-28",  # a label holding --password=
    "Dflag-S3cret-29",  # -Dspring.datasource.password=
    "Healthcheck-S3cret-30",  # redis-cli --pass VALUE in an exec-form healthcheck
)
ENV_SECRETS = (
    "AppKey-EnvS3cret-20",  # --key ${APP_KEY}
    "Session-EnvS3cret-21",  # SESSION_SECRET: ${SESSION_SECRET}
    "Redis-EnvS3cret-22",  # --requirepass ${REDIS_PASSWORD} and redis://:${REDIS_PASSWORD}@cache
    "Mysql-EnvS3cret-23",
    "Broker-EnvS3cret-24",  # amqp://guest:${BROKER_PW}@mq
    "ApiToken-EnvS3cret-25",  # --token ${API_TOKEN}
    "Plain-EnvS3cret-26",  # a .env value under a name that says nothing
    "Interp-EnvS3cret-31",  # interpolated into a command with no flag naming it
)
SECRETS = FILE_SECRETS + ENV_SECRETS

COMPOSE = f"""\
name: planted
services:
  api:
    image: myorg/api:1
    command: ["gunicorn", "app:app", "--bind", "0.0.0.0:8000", "--key", "${{APP_KEY}}"]
    environment:
      DATABASE_URL: postgres://app:{SECRETS[0]}@db:5432/app
      STRIPE_API_KEY: {SECRETS[1]}
      AWS_ACCESS_KEY_ID: {SECRETS[2]}
      AWS_SECRET_ACCESS_KEY: {SECRETS[3]}
      GITHUB_TOKEN: {SECRETS[4]}
      SESSION_SECRET: ${{SESSION_SECRET}}
      REDIS_URL: redis://:${{REDIS_PASSWORD}}@cache:6379/0
      DB_PASSWORD: ${{DB_PASSWORD:-{SECRETS[5]}}}
      JWT_PRIVATE_KEY: |
        -----BEGIN PRIVATE KEY-----
        {PEM_BODY}
        -----END PRIVATE KEY-----
      LOG_LEVEL: info
      WEBHOOK: https://hooks:{SECRETS[7]}@hooks.example.com/x
      REPO: https://{SECRETS[19]}@github.com/org/repo.git
    labels:
      example.check: "probe --password={SECRETS[20]}"
  db:
    image: mysql:8.4
    environment:
      MYSQL_ROOT_PASSWORD: {SECRETS[8]}
      MYSQL_PASSWORD: ${{MYSQL_PASSWORD}}
    healthcheck:
      test: ["CMD-SHELL", "mysqladmin ping -h localhost -p{SECRETS[9]}"]
      interval: 10s
  cache:
    image: redis:7.2
    command: redis-server --requirepass ${{REDIS_PASSWORD}} --maxmemory 100mb
    healthcheck:
      test: ["CMD", "redis-cli", "--pass", "{SECRETS[22]}", "ping"]
  worker:
    image: myorg/app:1
    command: celery --broker amqp://user:{SECRETS[10]}@mq// -A proj worker
    environment:
      - CELERY_PASSWORD={SECRETS[11]}
      - BROKER_URL=amqp://guest:${{BROKER_PW}}@mq//
  tool:
    image: myorg/tool:1
    command: ./run --auth={SECRETS[12]} --password={SECRETS[13]} --token ${{API_TOKEN}} --api-key {SECRETS[14]}
  client:
    image: mysql:8.4
    entrypoint: ["mysql", "-p{SECRETS[15]}", "-uroot", "-h", "db"]
    command: mysql -uroot -p{SECRETS[16]} --password={SECRETS[17]} -e "select 1"
  jvm:
    image: eclipse-temurin:21
    command: ["java", "-Dspring.datasource.password={SECRETS[21]}", "-jar", "app.jar", "${{INTERP}}"]
  proxy:
    image: nginx:1.27.1
    command: ["nginx", "-g", "daemon off;"]
    environment:
      UPSTREAM: http://admin:${{PROXY_PW:-{SECRETS[18]}}}@api:8000
      PLAIN_FROM_ENV: ${{PLAIN_VALUE}}
"""
ENV_NAMES = ("APP_KEY", "SESSION_SECRET", "REDIS_PASSWORD", "MYSQL_PASSWORD", "BROKER_PW", "API_TOKEN", "PLAIN_VALUE")
DOTENV = "".join(f"{name}={value}\n" for name, value in zip((*ENV_NAMES, "INTERP"), ENV_SECRETS, strict=True))
PROJECT = """\
compose_files: [docker-compose.yml]
services:
  api:
    workers: 2
"""
INPUTS = ("docker-compose.yml", ".env", "composegen.yaml")


def _commands() -> list[list[str]]:
    """Every command that runs without an engine, in every output form."""
    found: list[list[str]] = []
    for profile in ("dev", "prod"):
        found += [
            ["render", "--profile", profile],
            ["render", "--profile", profile, "--check"],
            ["render", "--profile", profile, "-o", "-"],
            ["render", "--profile", profile, "--target", "swarm"],
            ["render", "--profile", profile, "--target", "swarm", "--check"],
            ["render", "--profile", profile, "--target", "swarm", "--format", "json", "-o", "-"],
            ["explain", "--profile", profile],
            ["explain", "--profile", profile, "--format", "json"],
            *(["explain", "--profile", profile, s] for s in ("api", "db", "cache", "tool", "client", "jvm")),
        ]
    found += [["lint", "--format", fmt] for fmt in ("text", "json", "sarif", "github")]
    found += [["lint", "--usage", "prod", "--format", "json"], ["lint", "--diff"], ["lint", "docker-compose.yml"]]
    found += [
        ["plan", "--profile", "prod", "--host", "64g/16"],
        ["plan", "--profile", "prod", "--host", "64g/16", "--format", "json"],
        ["scale", "worker=4", "--profile", "prod", "--dry-run", "--host-memory", "32g"],
        ["export", "k8s", "--profile", "prod", "-o", "k8s"],
        ["export", "k8s", "--profile", "prod", "-o", "k8s-json", "--format", "json"],
        ["export", "k8s", "--profile", "dev", "-o", "-"],
        ["export", "env", "--profile", "prod"],
        ["export", "env", "--profile", "prod", "--format", "json", "-o", "tiers"],
        ["export", "alerts", "--profile", "prod"],
        ["export", "alerts", "--profile", "prod", "-o", "alerts.yml", "--format", "json"],
        ["profiles", "show", "prod"],
    ]
    return found


def cg(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def leaks(text: str) -> list[str]:
    """The planted secrets in `text`, each with what surrounds it."""
    return [f"{s!r} in ...{text[max(0, text.find(s) - 60) :][: len(s) + 120]!r}..." for s in SECRETS if s in text]


def written(folder: Path) -> str:
    """Every file in `folder` but the inputs, as one text."""
    return "\n".join(
        f"--- {p}\n{p.read_text(errors='replace')}"
        for p in sorted(folder.rglob("*"))
        if p.is_file() and str(p.relative_to(folder)) not in INPUTS
    )


def plant(folder: Path, compose: str = COMPOSE, project: str = PROJECT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "docker-compose.yml").write_text(compose)
    (folder / ".env").write_text(DOTENV)
    (folder / "composegen.yaml").write_text(project)
    return folder


def test_every_secret_is_planted_once() -> None:
    text = COMPOSE + DOTENV
    assert len(SECRETS) >= 30 and len(set(SECRETS)) == len(SECRETS)
    assert all(text.count(s) == 1 for s in SECRETS), [s for s in SECRETS if text.count(s) != 1]


def test_no_planted_secret_in_any_output_of_any_command(tmp_path: Path) -> None:
    project = plant(tmp_path / "p")
    found: list[str] = []
    ran = 0
    for args in _commands():
        result = cg(args, project)
        assert "Traceback" not in result.stderr and result.returncode in (0, 1, 2), (args, result.stderr)
        ran += result.returncode == 0 or args[0] == "lint"  # lint exits 1: the findings
        found += [f"{' '.join(args)}: {leak}" for leak in leaks(result.stdout + result.stderr + written(project))]
    assert ran >= len(_commands()) - 2, "the commands must run, not fail before their output"
    assert (project / "k8s" / "secret.example.env").is_file()  # the Secret's keys, without values
    assert not found, "\n".join(found)


def test_no_planted_secret_in_what_lint_fix_prints(tmp_path: Path) -> None:
    project = plant(tmp_path / "p")
    for fmt in ("text", "json", "sarif", "github"):
        shutil.copy(tmp_path / "p" / "docker-compose.yml", tmp_path / "original.yml")
        result = cg(["lint", "--fix", "--format", fmt], project)
        assert "Traceback" not in result.stderr
        assert not leaks(result.stdout + result.stderr), leaks(result.stdout + result.stderr)
        shutil.copy(tmp_path / "original.yml", project / "docker-compose.yml")


#: An invalid value next to secrets: what compose refuses is named by its place and key, and the
#: mapping around it is never printed.
INVALID_BESIDE_SECRETS = [
    ("environment", "    environment: {{POSTGRES_PASSWORD: {0}, OTHER: [1]}}\n"),
    ("ports", '    ports: [{{target: nope, published: "x", host_ip: "u:{0}@h"}}]\n'),
    ("volumes", "    volumes: [{{type: bind, source: ./{0}}}]\n"),
    ("healthcheck", '    healthcheck: {{test: ["CMD-SHELL", "pg_isready -p{0}"], retries: many}}\n'),
    ("command", "    command: {{run: --password={0}}}\n"),
    ("restart", '    restart: "--password={0}"\n'),
    ("memory", '    mem_limit: "--token={0}"\n'),
    ("labels", "    labels: {{a: [--auth={0}]}}\n"),
    ("environment-list", "    environment: [A_TOKEN={0}, {{B: 1}}]\n"),
    ("deploy", '    deploy: {{resources: {{limits: {{memory: "postgres://u:{0}@h"}}}}}}\n'),
    ("unquoted", '    command: "mysql -p{0} \'unclosed"\n'),
    ("extends", "    environment: {{API_TOKEN: {0}}}\n    extends: {{service: nope, file: missing.yml}}\n"),
]


@pytest.mark.parametrize(("name", "line"), INVALID_BESIDE_SECRETS, ids=[c[0] for c in INVALID_BESIDE_SECRETS])
def test_no_secret_beside_an_invalid_value(tmp_path: Path, name: str, line: str) -> None:
    secret = f"Beside-S3cret-{name}"
    compose = f"services:\n  web:\n    image: python:3.12\n{line.format(secret)}"
    project = plant(tmp_path / "p", compose, "compose_files: [docker-compose.yml]\n")
    outputs = []
    for args in (
        ["render", "--profile", "dev", "-o", "-"],
        ["explain", "--profile", "dev"],
        *(["lint", "--format", fmt] for fmt in ("text", "json", "sarif", "github")),
    ):
        result = cg(args, project)
        assert "Traceback" not in result.stderr, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert any("web" in text for text in outputs)  # the place is named...
    assert not [text for text in outputs if secret in text], outputs  # ...the secret never


@pytest.mark.parametrize(
    "project",
    [
        "services:\n  api:\n    memory: '-pProj-S3cret-40'\n",
        "services:\n  api:\n    memory: '--auth=Proj-S3cret-40'\n",
        "services:\n  api:\n    role: ml-inference\n    models: [{name: '--key Proj-S3cret-40'}]\n",
        "services:\n  api:\n    workers: 'postgres://u:Proj-S3cret-40@h'\n",
        "host: {memory: 'https://Proj-S3cret-40@h', cpus: 2}\n",
    ],
)
def test_no_secret_in_an_error_about_composegen_yaml(tmp_path: Path, project: str) -> None:
    folder = plant(tmp_path / "p", project="compose_files: [docker-compose.yml]\n" + project)
    for args in (
        ["render", "--profile", "dev", "-o", "-"],
        ["plan", "--profile", "dev"],
        ["explain", "--profile", "dev"],
    ):
        result = cg(args, folder)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "Proj-S3cret-40" not in result.stdout + result.stderr, result.stderr
