"""The project's .pre-commit-config.yaml: pre-commit accepts it, its composegen hooks are the ones
.pre-commit-hooks.yaml defines (same entry), the tools it runs are installed beside this
interpreter, and the composegen hooks pass on the examples as they are."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.cli import main
from composegen.yamlio import read_document
from tests.conftest import EXAMPLES, REPO

CONFIG = REPO / ".pre-commit-config.yaml"


def hooks() -> list[dict[str, Any]]:
    return [hook for repo in read_document(CONFIG).data["repos"] for hook in repo["hooks"]]


def by_id() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in hooks()}


def example_files(hook: dict[str, Any]) -> list[Path]:
    pattern = re.compile(hook["files"])
    found = [p for p in sorted(EXAMPLES.rglob("*")) if p.is_file()]
    return [p for p in found if pattern.search(p.relative_to(REPO).as_posix())]


def test_pre_commit_accepts_the_config() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_composegen_hooks_are_the_ones_the_project_publishes() -> None:
    published = {hook["id"]: hook for hook in read_document(REPO / ".pre-commit-hooks.yaml").data}
    ours = {name: hook for name, hook in by_id().items() if name.startswith("composegen")}
    assert sorted(ours) == sorted(published)
    for name, hook in ours.items():
        assert hook["entry"] == published[name]["entry"], name


def test_every_hook_runs_a_tool_installed_here() -> None:
    folder = Path(sys.executable).parent
    for hook in hooks():
        tool = hook["entry"].split()[0]
        assert (folder / tool).is_file(), f"{hook['id']}: {tool} is not in {folder}"


def test_the_lint_hook_passes_on_the_examples(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # pre-commit runs hooks at the repository's root: the baseline's path is from there
    hook = by_id()["composegen-lint"]
    files = example_files(hook)
    assert len(files) > 10  # the pattern matches the examples' compose files
    with pytest.raises(SystemExit) as done:
        main([*hook["entry"].split()[1:], *hook["args"], *map(str, files)])
    assert done.value.code == 0, capsys.readouterr().out


def test_the_render_check_hook_passes_on_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    hook = by_id()["composegen-render-check"]
    files = example_files(hook)
    assert any(p.name == "composegen.yaml" for p in files)
    with pytest.raises(SystemExit) as done:
        main([*hook["entry"].split()[1:], *map(str, files)])
    assert done.value.code == 0, capsys.readouterr().out
