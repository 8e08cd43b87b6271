"""Every real compose file of ../shared/corpus through `composegen lint`: on its own, and where it is
an overlay, merged over its base (tests/compose/corpus_cases.yaml says how). No crash, no
traceback, exit 0 or 1, valid JSON, valid SARIF 2.1.0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.yamlio import read_document
from tests.conftest import CORPUS

REPO = Path(__file__).resolve().parents[2]
CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.yml"))
CASES: list[dict[str, Any]] = read_document(REPO / "tests" / "compose" / "corpus_cases.yaml").data
MERGED = [c for c in CASES if len(c["files"]) > 1]
SCHEMA = REPO / "tests" / "report" / "sarif-schema-2.1.0.json"


def cg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "COMPOSE_FILE")}
    return subprocess.run(
        [sys.executable, "-m", "composegen", "lint", *args],
        cwd=CORPUS,
        capture_output=True,
        text=True,
        timeout=300,
        env={**base, **(env or {})},
    )


def check(result: subprocess.CompletedProcess[str], fmt: str) -> Any:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1), result.stderr[-3000:]
    data = json.loads(result.stdout)
    if fmt == "sarif":
        from jsonschema import Draft4Validator

        validator = Draft4Validator(json.loads(SCHEMA.read_text()))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], errors[:5]
    return data


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) >= 40, CORPUS


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_every_corpus_file_on_its_own(fmt: str) -> None:
    data = check(cg("--format", fmt, *CORPUS_FILES), fmt)
    if fmt == "json":
        files = {f["file"] for f in data}
        assert files <= set(CORPUS_FILES)
        assert len(files) >= 30  # not one of these files sets a memory limit
        for finding in data:
            assert finding["line"] >= 1 and finding["column"] >= 1
    else:
        results = data["runs"][0]["results"]
        assert results and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)


@pytest.mark.parametrize("case", MERGED, ids=["+".join(f.split("__")[1] for f in c["files"]) for c in MERGED])
@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_overlays_merged_over_their_base(case: dict[str, Any], fmt: str) -> None:
    args = [arg for name in case["files"] for arg in ("-f", name)]
    env = {str(k): str(v) for k, v in (case.get("env") or {}).items()}
    data = check(cg("--format", fmt, *args, env=env), fmt)
    if fmt == "json":
        assert {f["file"] for f in data} <= set(case["files"])


def test_fix_on_a_copy_of_the_corpus(tmp_path: Path) -> None:
    """--fix on every corpus file: every fixable finding goes, nothing else changes, a second run
    has nothing left to do."""
    for name in CORPUS_FILES:
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "composegen", "lint", *args, *CORPUS_FILES],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )

    before = json.loads(run("--format", "json").stdout)
    fixed = run("--fix", "--format", "json")
    assert fixed.returncode in (0, 1) and "not fixed" not in fixed.stderr, fixed.stderr[-3000:]
    after = json.loads(fixed.stdout)
    assert [f for f in after if f["fixable"]] == []
    unfixable = [f for f in before if not f["fixable"]]
    assert sorted((f["file"], f["code"], f["message"]) for f in after) == sorted(
        (f["file"], f["code"], f["message"]) for f in unfixable
    )
    assert sum(1 for f in before if f["fixable"]) > 100
    again = run("--diff")
    assert (again.returncode, again.stdout) == (0, "")
