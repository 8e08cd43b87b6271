"""Lint reads what a service runs (composegen.facts) only for the services a rule asks about: a
postgres server's flags for CG110, a healthchecked service's expected startup for CG204. Reading
every service of the stack for one service's answer cost the corpus run about 4% (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composegen.compose.stack import Stack
from composegen.facts import ServiceFacts
from composegen.facts import read as facts_read
from composegen.lint.run import LintOptions, lint

#: Its name says dev (usage from the name alone); db's flags matter to CG110, web's startup to
#: CG204; nothing asks what cache runs.
STACK = """\
services:
  db:
    image: postgres:16
    command: ["postgres", "-c", "maintenance_work_mem=512MB"]
    restart: unless-stopped
  web:
    image: nginx:1.27.1
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost/"]
  cache:
    image: redis:7
    restart: unless-stopped
"""


def test_lint_reads_the_facts_of_the_services_rules_ask_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "docker-compose.dev.yml"
    file.write_text(STACK, encoding="utf-8")
    read: list[str] = []
    original = facts_read.read_service

    def counting(stack: Stack, name: str, **options: Any) -> ServiceFacts:
        read.append(name)
        return original(stack, name, **options)

    monkeypatch.setattr(facts_read, "read_service", counting)
    run = lint(LintOptions(cwd=tmp_path, files=(file,)))
    assert "CG110" in {f.code for f in run.findings}  # db's maintenance_work_mem was read
    assert read == ["db", "web"]  # each once; cache never
