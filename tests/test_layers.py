"""The parts import one way only (docs/architecture.md §Layers): import-linter's contracts in pyproject.toml,
run here so that `scripts/test` catches a wrong import, as `.ci/run` does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,  # its pyproject.toml holds the contracts
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_contract_is_kept() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("errors.py", "from composegen.cli import run"),  # a bottom part importing the top
        ("lint/run.py", "from composegen.report import get_reporter"),  # lint <-> report again
        ("render/swarm.py", "from composegen.plan import capacity"),  # render <-> plan again
        ("lint/rules/privileged.py", "from composegen.lint.rules import root_user"),  # a rule importing a rule
        ("units.py", "import yaml"),  # YAML outside yamlio
        ("profiles/models.py", "from composegen.sizing import quantity"),  # profiles <-> sizing again
        ("models/mounts.py", "from composegen.sizing import inputs"),  # models <-> sizing again
        ("profiles/show.py", "from composegen.models import catalog"),  # profiles and models are siblings
    ],
)
def test_a_wrong_import_breaks_a_contract(tmp_path: Path, module: str, line: str) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "composegen", tmp_path / "composegen", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "composegen" / module).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{line}\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BROKEN" in done.stdout
