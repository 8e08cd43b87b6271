"""A secret written in a compose file never appears in a finding's message, whichever rule reports
on the entry that holds it (findings end up in CI logs, SARIF uploads and PR comments)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from composegen.lint.engine import run_rule
from composegen.lint.load import build_context
from composegen.lint.rules import all_rules

SECRETS = ("Hunter2-pg-7f3a", "sk_live_51Hx9QeZ", "ghp_R4nd0mT0k3nV4lu3", "Pa55-in-url-0x1d", "s3cr3t-anchor-99")

BASE = f"""\
x-env: &env
  SHARED_SECRET: {SECRETS[4]}
services:
  db:
    image: postgres
    ports: ["5432:5432"]
    environment:
      POSTGRES_PASSWORD: {SECRETS[0]}
      <<: *env
  web:
    image: ghcr.io/acme/web:latest
    user: root
    privileged: true
    environment:
      - STRIPE_API_KEY={SECRETS[1]}
      - GITHUB_TOKEN={SECRETS[2]}
      - DATABASE_URL=postgres://app:{SECRETS[3]}@db:5432/app
      - PORT=not-a-port
    ports: ["8080:80", "8080:81"]
    mem_limit: 1x
"""
OVERLAY = f"""\
services:
  web:
    environment:
      API_TOKEN: {SECRETS[2]}
"""


@pytest.mark.parametrize("usage", [None, "dev", "prod"])
@pytest.mark.parametrize("mode", ["file", "stack"])
def test_no_rule_prints_a_secret(tmp_path: Path, mode: str, usage: str | None) -> None:
    (tmp_path / "docker-compose.yml").write_text(BASE)
    (tmp_path / "docker-compose.prod.yml").write_text(OVERLAY)
    groups = (
        [["docker-compose.yml", "docker-compose.prod.yml"]]
        if mode == "stack"
        else [["docker-compose.yml"], ["docker-compose.prod.yml"]]
    )
    messages: list[str] = []
    for group in groups:
        ctx = build_context(
            [tmp_path / n for n in group],
            mode="stack" if mode == "stack" else "file",
            usage=usage,
            env={},
            project_dir=tmp_path,
        )
        for rule in all_rules():
            for finding in run_rule(ctx, rule):
                messages.append(f"{finding.code} {finding.message}")
                if finding.fix is not None:
                    messages.append(f"{finding.code} fix: {finding.fix.description}")
    assert any(m.startswith("CG508") for m in messages)  # the secrets were found...
    for message in messages:
        for secret in SECRETS:
            assert secret not in message, message  # ...and never printed


def test_every_literal_secret_above_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(BASE)
    rule = next(r for r in all_rules() if r.code == "CG508")
    ctx = build_context([tmp_path / "docker-compose.yml"], mode="file", env={}, project_dir=tmp_path)
    found = run_rule(ctx, rule)
    assert [(f.line, f.service) for f in found] == [(2, "db"), (8, "db"), (15, "web"), (16, "web"), (17, "web")]
    assert all("value masked" in f.message for f in found)


# --- lint and masking agree: what CG508 calls a secret is masked (issue 16) -------------------

CASES = Path(__file__).parent / "cases" / "CG508.yaml"
CORPUS2 = Path(__file__).parent / "corpus2"


def _flagged_names() -> set[str]:
    """The environment names CG508 flags in its cases and in the second corpus, and one name made
    of each word, ending, pair and name of its lists."""
    from composegen.masking import SECRET_NAMES
    from composegen.yamlio import read_document

    names = {f"APP_{word}" for word in SECRET_NAMES["words"]}
    names |= {f"PG{ending}" for ending in SECRET_NAMES["word_endings"]}
    names |= {f"APP_{pair}" for pair in SECRET_NAMES["pairs"]} | set(SECRET_NAMES["names"])
    for case in read_document(CASES).data["cases"]:
        for text in case["files"].values():
            names |= set(re.findall(r"^\s*-?\s*([A-Z][A-Z0-9_]+)\s*[:=]", text, re.MULTILINE))
    for path in CORPUS2.glob("*.yml"):
        names |= set(re.findall(r"^\s*-?\s*([A-Z][A-Z0-9_.]+)\s*[:=]", path.read_text(), re.MULTILINE))
    rule = next(r for r in all_rules() if r.code == "CG508")
    from composegen.masking import SecretNames

    called_secret = SecretNames(rule.options)
    return {name for name in names if called_secret(name)}


def test_every_name_the_rule_calls_secret_is_masked() -> None:
    from composegen.masking import MASK, mask, mask_yaml, secret_name, secret_values

    names = _flagged_names()
    assert {"ORACLE_PWD", "NEO4J_AUTH", "XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY", "RABBITMQ_DEFAULT_PASS"} <= names
    assert len(names) >= 80
    value = "v4lue-0f-the-secret"
    for name in sorted(names):
        assert secret_name(name), name
        assert secret_values({name: value}) == (value,), name
        assert value not in mask(f"run {name}={value}"), name
        assert mask_yaml(f"environment:\n  {name}: {value}\n") == f"environment:\n  {name}: {MASK}\n", name


def test_every_command_line_secret_the_rule_finds_is_masked() -> None:
    """The command lines of CG508's cases, masked as composegen quotes them (a string with `mask`,
    a list with `mask_argv`): none of the secrets the rule finds there survives."""
    from composegen.masking import mask, mask_argv
    from composegen.yamlio import parse_document, read_document

    [case] = [c for c in read_document(CASES).data["cases"] if c["name"].startswith("secrets on command lines")]
    services = parse_document(case["files"]["docker-compose.yml"], "docker-compose.yml").data["services"]
    secrets = ("difyai123456", "hunter2-redis", "myredissecret", "s3cret-master", "root-pass", "admin1")
    secrets += ("hunter2", "k-123456", "curl-pw-77")
    quoted = []
    for service in services.values():
        for value in (
            service.get("command"),
            service.get("entrypoint"),
            (service.get("healthcheck") or {}).get("test"),
        ):
            if isinstance(value, str):
                quoted.append(mask(value))
            elif isinstance(value, list):
                quoted.append(" ".join(mask_argv([str(v) for v in value])))
    assert len(quoted) == 9
    for text in quoted:
        for secret in secrets:
            assert secret not in text, text
