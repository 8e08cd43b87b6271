"""Stack facts as data: each case of cases.yaml is a compose file, loaded through load_stack from a
temp file, and the facts read from one of its services (or the stack), compared key by key.

A case: `compose` (the file's text), `file` (its name, default docker-compose.yml), `service`
(default: the first), `files` (other files beside it: an env file), and what to expect: `facts`
(every fact of the service, in order; each entry names only the keys it checks: program,
setting, value, raw, line, via, status, overridden), `programs`, `unread` (the unread args of
each entry), `run_once`, `target`, `usage`, `never_shown` (text, a secret, found nowhere in the
service's facts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composegen.compose.stack import load_stack
from composegen.facts import Fact, StackFacts, read_stack_facts
from composegen.facts.read import env_files_of, stack_targets_swarm, stack_usage
from composegen.yamlio import read_document

HERE = Path(__file__).resolve().parent
CASES: list[dict[str, Any]] = read_document(HERE / "cases.yaml").data["cases"]


def _fact_view(fact: Fact, keys: Any) -> dict[str, Any]:
    full = {
        "program": fact.program,
        "setting": fact.setting,
        "value": fact.value,
        "raw": fact.raw,
        "line": fact.origin.line if fact.origin else None,
        "via": fact.via,
        "status": fact.status,
        "overridden": fact.overridden,
    }
    return {key: full[key] for key in keys}


def _read(case: dict[str, Any], tmp_path: Path) -> StackFacts:
    file = tmp_path / case.get("file", "docker-compose.yml")
    file.write_text(case["compose"], encoding="utf-8")
    for name, text in case.get("files", {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    stack = load_stack([file], env={})
    return read_stack_facts(stack, env_files=env_files_of(stack))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_quick_readers_say_what_the_facts_say(case: dict[str, Any], tmp_path: Path) -> None:
    """Lint asks for a stack's usage and target without reading every service's facts."""
    facts = _read(case, tmp_path)
    stack = load_stack([tmp_path / case.get("file", "docker-compose.yml")], env={})
    assert stack_usage(stack) == facts.usage
    assert stack_targets_swarm(stack) is (facts.target == "swarm")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    stack = _read(case, tmp_path)
    service = stack.services[case.get("service", next(iter(stack.services)))]
    if "facts" in case:
        got = [_fact_view(f, want) for f, want in zip(service.facts, case["facts"], strict=False)]
        assert got == [dict(want) for want in case["facts"]]
        assert len(service.facts) == len(case["facts"]), service.facts
    if "programs" in case:
        assert list(service.programs) == case["programs"]
    if "unread" in case:
        assert [list(u.args) for u in service.unread] == case["unread"]
    if "run_once" in case:
        assert service.run_once is case["run_once"], service.run_once_evidence
    if "target" in case:
        assert stack.target == case["target"], stack.target_evidence
    if "usage" in case:
        assert stack.usage == case["usage"], stack.usage_evidence
    for text in case.get("never_shown", []):
        assert text not in repr(service), text
    for fact in service.facts:
        assert fact.origin is None or fact.origin.file.endswith(case.get("file", "docker-compose.yml"))
