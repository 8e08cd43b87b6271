"""A secret written in a compose file never appears in a finding's message, whichever rule reports
on the entry that holds it (findings end up in CI logs, SARIF uploads and PR comments)."""

from __future__ import annotations

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
