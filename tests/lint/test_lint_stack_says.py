"""What the stack says about itself (composegen.facts: its file names, Swarm-only keys) sets lint's
usage and target, and what the user says (--usage, --target, composegen.yaml) wins (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.lint.run import LintOptions, lint

SERVICE = "services:\n  worker:\n    image: ghcr.io/acme/worker:1.4.0\n"


def restart_findings(folder: Path, name: str, project: str | None = None, **options: str) -> list[str]:
    (folder / name).write_text(SERVICE)
    if project is not None:
        (folder / "composegen.yaml").write_text(project)
    run = lint(LintOptions(cwd=folder, files=(Path(name),), select=("CG602",), **options))  # type: ignore[arg-type]
    assert run.errors == []
    return [f.severity.value for f in run.findings]


@pytest.mark.parametrize(
    ("name", "options", "project", "expected"),
    [
        ("docker-compose.yml", {}, None, ["warning"]),
        ("docker-compose.test.yml", {}, None, ["info"]),  # a test file: pytest severities
        ("compose.ci.yaml", {}, None, ["info"]),
        ("docker-compose.test.yml", {"usage": "prod"}, None, ["warning"]),
        ("docker-compose.test.yml", {}, "compose_files: [docker-compose.test.yml]\nusage: prod\n", ["warning"]),
        ("docker-stack.yml", {}, None, []),  # Swarm restarts by default
        ("docker-stack.yml", {"target": "compose"}, None, ["warning"]),
    ],
)
def test_the_stack_says_unless_the_user_does(
    tmp_path: Path, name: str, options: dict[str, str], project: str | None, expected: list[str]
) -> None:
    assert restart_findings(tmp_path, name, project, **options) == expected


def test_facts_read_by_the_caller_are_used_as_given(tmp_path: Path) -> None:
    from composegen.compose.stack import load_stack
    from composegen.facts import StackFacts
    from composegen.lint.context import LintContext

    (tmp_path / "app.yml").write_text(SERVICE)
    stack = load_stack([tmp_path / "app.yml"], env={}, project_dir=tmp_path)
    given = StackFacts({}, "swarm", (), "pytest", ())
    ctx = LintContext(stack, facts=given)
    assert (ctx.target, ctx.usage, ctx.stack_facts()) == ("swarm", "pytest", given)
