"""CG105's verdict, then the same stack on a real engine: lint flags exactly what the kernel kills."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composegen.lint.engine import run_rule
from composegen.lint.load import build_context
from composegen.lint.rules import by_code_or_name
from tests.engine.reproduce import TMPFS_OOM_STACK, reproduce_tmpfs_oom

ROOMY = "services:\n  db:\n    deploy:\n      resources:\n        limits:\n          memory: 192M\n"


def cg105(files: list[Path]) -> list[str]:
    rule = by_code_or_name("CG105")
    assert rule is not None
    ctx = build_context(files, mode="stack", env={}, project_dir=files[0].parent)
    return [f"{f.severity.value}: {f.message}" for f in run_rule(ctx, rule)]


@pytest.mark.engine
def test_lint_flags_the_stack_the_kernel_kills_and_passes_the_one_that_lives(
    engine: Any, smoke_image: str, tmp_path: Path
) -> None:
    flagged = cg105([TMPFS_OOM_STACK])
    assert len(flagged) == 1 and flagged[0].startswith("error:"), flagged
    assert reproduce_tmpfs_oom(timeout=60).oom_killed

    roomy = tmp_path / "roomy.yml"
    roomy.write_text(ROOMY)
    assert cg105([TMPFS_OOM_STACK, roomy]) == []
    assert not reproduce_tmpfs_oom([roomy], timeout=60).oom_killed
