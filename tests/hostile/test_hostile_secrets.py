"""Secrets in a stack never leave it: not into the overlay (a committed file), not into explain,
lint output in any format, error messages or a measurements file. What looks like one is masked.

tests/lint/test_secret_masking.py checks each lint rule's messages; this checks what the CLI
prints and writes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composegen.engine.compare import EngineInfo
from composegen.engine.measurements import CommandRecord, Recorder, RunInfo, document
from composegen.masking import MASK, mask, mask_argv, mask_yaml, secret_name, secret_values

#: Each secret below appears once in the stack; none may appear in anything composegen prints.
SECRETS = (
    "R3dis-EnvFile-S3cret",  # from .env, through interpolation into a command
    "Sup3rS3cretJdbc",  # a -D...password= flag in an exec-form command
    "K3yst0reS3cret",  # a JAVA_TOOL_OPTIONS composegen leaves alone (and says so)
    "Pg-Url-S3cret",  # a URL password
    "sk_live_51HxSecretStripe",  # a secret-named environment entry
    "DjangoS3cretKey123",  # SECRET_KEY= in a command, and its environment entry
    "Amqp-S3cret",  # a URL password in a command
    "Postgres-S3cret-pw",
)

BASE = """\
services:
  cache:
    image: redis:7.2
    command: redis-server --requirepass ${REDIS_PASSWORD} --maxmemory 100mb
    environment:
      REDIS_PASSWORD: ${REDIS_PASSWORD}
  api:
    image: eclipse-temurin:21
    command: ["java", "-Dspring.datasource.password=Sup3rS3cretJdbc", "-jar", "app.jar"]
    environment:
      JAVA_TOOL_OPTIONS: "-Xmx512m -Djavax.net.ssl.keyStorePassword=K3yst0reS3cret"
      DATABASE_URL: postgres://app:Pg-Url-S3cret@db:5432/app
      STRIPE_API_KEY: sk_live_51HxSecretStripe
  web:
    image: python:3.12
    command: gunicorn app:app --env SECRET_KEY=DjangoS3cretKey123
    environment:
      SECRET_KEY: DjangoS3cretKey123
  worker:
    image: myorg/app:1
    command: celery --broker amqp://u:Amqp-S3cret@mq// -A proj worker
  tool:
    image: myorg/tool:1
    command: ./run --token ${REDIS_PASSWORD}
  db:
    image: postgres:16.4
    environment:
      POSTGRES_PASSWORD: Postgres-S3cret-pw
"""


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked: ...{text[max(0, text.find(secret) - 80) :][:200]}..."


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    (tmp_path / "docker-compose.yml").write_text(BASE)
    (tmp_path / ".env").write_text(f"REDIS_PASSWORD={SECRETS[0]}\n")
    (tmp_path / "composegen.yaml").write_text("compose_files: [docker-compose.yml]\n")
    return tmp_path


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_no_secret_in_the_overlay_or_explain(stack: Path, profile: str) -> None:
    rendered = cg("render", "--profile", profile, cwd=stack)
    assert rendered.returncode == 0, rendered.stderr
    overlay = (stack / f"docker-compose.{profile}.yml").read_text()
    assert_no_secret(overlay + rendered.stdout + rendered.stderr)
    assert f"amqp://u:{MASK}@mq//" in overlay and f"--token {MASK}" in overlay  # masked, not dropped
    for args in ([], ["--format", "json"], ["api"], ["api", "--format", "json"]):
        explained = cg("explain", "--profile", profile, *args, cwd=stack)
        assert explained.returncode == 0, explained.stderr
        assert_no_secret(explained.stdout + explained.stderr)
    assert f"keyStorePassword={MASK}" in cg("explain", "--profile", profile, "api", cwd=stack).stdout


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_no_secret_in_lint_output_of_any_format(stack: Path, fmt: str) -> None:
    result = cg("lint", "--format", fmt, "--usage", "prod", cwd=stack)
    assert result.returncode == 1, result.stderr
    assert "CG508" in result.stdout  # the secrets were found...
    assert_no_secret(result.stdout + result.stderr)  # ...and never printed


@pytest.mark.parametrize(
    ("project", "shown"),
    [
        ("services:\n  web:\n    memory: postgres://u:Pg-Url-S3cret@db\n", f"postgres://u:{MASK}@db"),
        (
            "services:\n  web:\n    role: ml-inference\n    models: [{name: --token=sk_live_51HxSecretStripe}]\n",
            f"--token={MASK}",
        ),
    ],
)
def test_no_secret_in_an_error(stack: Path, project: str, shown: str) -> None:
    (stack / "composegen.yaml").write_text(project)
    result = cg("render", "--profile", "dev", "-o", "-", cwd=stack)
    assert result.returncode == 2
    assert shown in result.stderr
    assert_no_secret(result.stderr)


def test_no_secret_in_a_measurements_file(tmp_path: Path) -> None:
    argv = ("hey", "-z", "10s", "-H", "Authorization: Bearer x", "--token", SECRETS[4])
    argv += ("--password=" + SECRETS[7], f"https://u:{SECRETS[3]}@api/", "curl", "-u", f"admin:{SECRETS[1]}")
    run = RunInfo(
        profile="dev",
        root=tmp_path,
        compose_files=("docker-compose.yml",),
        project="p",
        engine=EngineInfo("20.10.24", "1.41"),
        started=0.0,
        seconds=1.0,
        interval=0.5,
        command=CommandRecord(argv, 0, 1.0),
    )
    written = json.dumps(document(Recorder(), run, None))
    assert_no_secret(written)
    assert json.loads(written)["run"]["command"]["argv"] == [
        *("hey", "-z", "10s", "-H", "Authorization: Bearer x", "--token", MASK),
        *(f"--password={MASK}", f"https://u:{MASK}@api/", "curl", "-u", f"admin:{MASK}"),
    ]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("redis-server --requirepass hunter22 --maxmemory 1gb", f"redis-server --requirepass {MASK} --maxmemory 1gb"),
        ("--token=abc123 --verbose", f"--token={MASK} --verbose"),
        ("java -Dspring.datasource.password=x1y2 -jar a.jar", f"java -Dspring.datasource.password={MASK} -jar a.jar"),
        ("env API_KEY=k-123 STRIPE_SECRET='a b' run", f"env API_KEY={MASK} STRIPE_SECRET={MASK} run"),
        ("postgres://app:pw@db:5432/app", f"postgres://app:{MASK}@db:5432/app"),
        ("redis://:pw@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        ("--password ${DB_PASSWORD}", "--password ${DB_PASSWORD}"),  # a reference, not a secret
        ("the start script passes it to the JVM", "the start script passes it to the JVM"),  # prose
        ("https://example.com/path?q=1", "https://example.com/path?q=1"),
        ("--passes 3 --bind 0.0.0.0:80", f"--passes {MASK} --bind 0.0.0.0:80"),  # too eager: harmless
        # issue 12: flags, mysql's glued -p, URL tokens, keys by shape, defaults of references
        (
            "./run --auth=a1 --key k1 --pw=p1 --api-key x1",
            f"./run --auth={MASK} --key {MASK} --pw={MASK} --api-key {MASK}",
        ),
        ("mysql -uroot -pmysqlpw99 -e 'select 1'", f"mysql -uroot -p{MASK} -e 'select 1'"),
        ("mysqladmin ping -p8080", f"mysqladmin ping -p{MASK}"),  # digits are a password to mysql
        ("docker run -p8080:80 -p 9000:9000 x", "docker run -p8080:80 -p 9000:9000 x"),  # ports elsewhere
        ('pg_isready -U "${POSTGRES_USER:-postgres}"', 'pg_isready -U "${POSTGRES_USER:-postgres}"'),
        ("mysql -p$$MYSQL_ROOT_PASSWORD", "mysql -p$$MYSQL_ROOT_PASSWORD"),  # a reference
        ("git clone https://ghp_tok3n@github.com/o/r", f"git clone https://{MASK}@github.com/o/r"),
        (
            "http://admin:${PW:-dev-pw}@api --password ${DB_PASSWORD:-devpass}",
            f"http://admin:${{PW:-{MASK}}}@api --password ${{DB_PASSWORD:-{MASK}}}",
        ),
        ("AKIAIOSFODNN7EXAMPLE and sk_live_51Hx0aBcDeFgHiJ", f"{MASK} and {MASK}"),
        (
            "k=-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
            f"k=-----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----",
        ),
        ('["redis-cli", "--pass", "hunter22", "ping"]', f'["redis-cli", "--pass", "{MASK}", "ping"]'),
        ("https://example.com/a://b", "https://example.com/a://b"),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_short_known_values_are_masked_only_where_they_stand_alone() -> None:
    """A dev password like `shop` is also the database's name and the Django package's: masking it
    inside `shop.wsgi` would break what is quoted (and the k8s args that carry it)."""
    assert mask("gunicorn shop.wsgi --password shop", ["shop"]) == f"gunicorn shop.wsgi --password {MASK}"
    assert mask("PW=shop db:shop@h", ["shop"]) == f"PW={MASK} db:{MASK}@h"
    assert mask("xlong-secret-valuex", ["long-secret-value"]) == f"x{MASK}x"  # 8+ characters: anywhere


def test_mask_argv_masks_mysqls_glued_password_whatever_it_looks_like() -> None:
    assert mask_argv(["/usr/bin/mysql", "-p12345", "-P3306"]) == ["/usr/bin/mysql", f"-p{MASK}", "-P3306"]
    assert mask_argv(["mysql", "-p${PW}"]) == ["mysql", "-p${PW}"]
    assert mask_argv(["redis-cli", "-p6379"]) == ["redis-cli", "-p6379"]


def test_mask_yaml_keeps_lines_and_masks_secret_keys_blocks_and_keys() -> None:
    text = (
        "services:\n  api:\n    environment:\n      DB_PASSWORD: hunter22\n      - API_TOKEN=t0ken-value\n"
        "      JWT_PRIVATE_KEY: |\n        line-one-secret\n        line-two-secret\n      LOG_LEVEL: info\n"
        "      TLS: |\n        -----BEGIN EC PRIVATE KEY-----\n        pem-body-secret\n"
        "        -----END EC PRIVATE KEY-----\n"
        "    command: ./run --db-pass hunter22 --url ${X:-x}\n      SMTP_PASSWORD: ${PW:-default-secret}\n"
    )
    masked = mask_yaml(text)
    assert masked.count("\n") == text.count("\n")
    for secret in (
        "hunter22",
        "t0ken-value",
        "line-one-secret",
        "line-two-secret",
        "pem-body-secret",
        "default-secret",
    ):
        assert secret not in masked
    assert "LOG_LEVEL: info" in masked and "${X:-x}" in masked and f"SMTP_PASSWORD: ${{PW:-{MASK}}}" in masked


def test_known_values_are_masked_wherever_they_appear() -> None:
    env = {"DB_PASSWORD": "s3cr3t-value", "DB_PASSWORD_FILE": "/run/secrets/db", "TOKEN": "1", "PORT": "8080"}
    assert secret_values(env) == ("s3cr3t-value",)
    assert mask("psql -W s3cr3t-value -p 8080", secret_values(env)) == f"psql -W {MASK} -p 8080"
    assert [secret_name(n) for n in ("API_KEY", "MONKEY", "GITHUB_TOKEN", "TOKEN_TTL_USER", "PGPASSWORD")] == [
        True,
        False,
        True,
        False,
        True,  # inside a word: masked though CG508 does not flag it
    ]


def test_mask_argv_masks_the_value_after_a_secret_flag() -> None:
    assert mask_argv(["app", "--password", "pw-123", "--port", "80"]) == ["app", "--password", MASK, "--port", "80"]
    assert mask_argv(["app", "--password", "--port", "80"]) == ["app", "--password", "--port", "80"]


@pytest.mark.parametrize(
    "text",
    [
        "--" + "pass" * 25_000 + "!",  # a flag name with a secret part everywhere (was 148 s)
        "x=" + "pass" * 25_000 + "!",
        "run " + "--a " * 25_000,
        '"--pass", "' * 10_000,
        "x://" * 25_000,
        "mysql " + "-p" * 50_000,
        "-----BEGIN PRIVATE KEY-----" * 4_000,
    ],
    ids=["flag-name", "assignment-name", "many-flags", "quoted-list", "urls", "glued-p", "pem"],
)
def test_masking_takes_linear_time(text: str) -> None:
    """A 100,000-character command is masked in well under a second (issue 12: quadratic patterns)."""
    started = time.process_time()
    mask(text)
    mask_argv([text, text])
    assert time.process_time() - started < 2.0
