"""The real compose files of ../shared/corpus: each loads, validates, and merges exactly as
compose v2 `config` does (`corpus_cases.yaml` says how each is run)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from compose_testlib import CORPUS, load_cases

from composegen.compose import schema
from composegen.compose.normalize import canonical_services
from composegen.compose.oracle import run_config
from composegen.compose.stack import Stack, load_stack
from composegen.compose.tree import plain

CASES = load_cases("corpus_cases.yaml")
CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.yml"))


def _id(case: dict[str, Any]) -> str:
    names = [f.split("__", 1)[1].removesuffix(".yml") if "__" in f else f for f in case["files"]]
    profiles = case.get("profiles")
    return "+".join(names) + (f"[{','.join(profiles)}]" if profiles else "")


def _env_files(stack: Stack) -> list[str]:
    found: list[str] = []
    for _name, service in stack.iter_services():
        entries = service.get("env_file")
        for entry in entries if isinstance(entries, list) else [entries] if entries else []:
            found.append(str(entry["path"] if isinstance(entry, Mapping) else entry))
    return found


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) >= 40, CORPUS


def test_every_corpus_file_has_a_case() -> None:
    covered = {name for case in CASES for name in case["files"]}
    assert sorted(set(CORPUS_FILES) - covered) == []
    assert sorted(covered - set(CORPUS_FILES)) == []


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_corpus_file_loads_on_its_own(name: str) -> None:
    stack = load_stack([CORPUS / name], env={})
    assert stack.files == (CORPUS / name,)
    for service_name, _service in stack.iter_services():
        assert stack.where(("services", service_name)).startswith(str(CORPUS / name))


@pytest.fixture(scope="module")
def unflattened() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema.schema())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_corpus_case_is_valid(case: dict[str, Any], unflattened: Any) -> None:
    stack = load_stack([CORPUS / f for f in case["files"]], env=case.get("env") or {})
    assert [p.message for p in stack.problems if p.error] == []
    assert [str(e) for e in stack.validate()] == []
    assert unflattened.is_valid(plain(stack.data))  # the schema as published agrees


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_corpus_case_matches_compose(case: dict[str, Any], tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    files = [CORPUS / f for f in case["files"]]
    env = case.get("env") or {}
    profiles = case.get("profiles") or ["*"]
    stack = load_stack(files, env=env, project_dir=tmp_path)
    for env_file in _env_files(stack):  # compose checks they exist even when it does not read them
        (tmp_path / env_file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / env_file).touch()
    result = run_config(files, env=env, project_dir=tmp_path, profiles=profiles)
    active = set(stack.active_service_names(profiles))
    ours = {k: v for k, v in canonical_services(stack.data, tmp_path).items() if k in active}
    theirs = canonical_services(result.data, tmp_path)
    assert sorted(ours) == sorted(theirs)
    for name, service in ours.items():
        for key in sorted(set(service) | set(theirs[name])):
            assert (name, key, service.get(key)) == (name, key, theirs[name].get(key))
    unset = {w.split('"')[1] for w in result.warnings if "variable is not set" in w}
    assert {p.message.split('"')[1] for p in stack.problems if p.kind == "variable-unset"} == unset
