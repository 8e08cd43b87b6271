"""Every real compose file of ../shared/corpus reads into facts without an exception: every service
yields ServiceFacts, and every fact knows the file:line it was read from."""

from __future__ import annotations

import pytest

from composegen.compose.stack import load_stack
from composegen.facts import ServiceFacts, read_stack_facts
from composegen.facts.read import StackReader, env_files_of, read_stack, stack_targets_swarm, stack_usage
from tests.conftest import CORPUS

CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.yml"))


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) >= 40, CORPUS


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_service_of_every_corpus_file_yields_facts(name: str) -> None:
    stack = load_stack([CORPUS / name], env={})
    facts = read_stack_facts(stack)
    assert list(facts.services) == [n for n, s in stack.iter_services()]
    assert stack_usage(stack) == facts.usage  # what lint asks without reading every service
    assert stack_targets_swarm(stack) is (facts.target == "swarm")
    for service in facts.services.values():
        assert isinstance(service, ServiceFacts)
        for fact in (*service.facts, *service.run_once_evidence, *service.target_evidence):
            assert fact.origin is not None, fact
            assert fact.origin.file == str(CORPUS / name), fact


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_each_service_read_alone_reads_as_in_its_stack(name: str) -> None:
    """What lint reads of the one service a rule asks about (StackReader) is what the whole
    stack's read gives it."""
    stack = load_stack([CORPUS / name], env={})
    whole = read_stack(stack, env_files=env_files_of(stack))
    reader = StackReader(stack)
    for service in reversed(list(whole)):
        assert reader.service(service) == whole[service], service
