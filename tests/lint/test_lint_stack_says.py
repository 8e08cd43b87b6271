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


@pytest.mark.parametrize(
    ("env_file", "expected"),
    [
        ("WORKERS=8\n", ["`-w $WORKERS (WORKERS set at app.env:1)`"]),  # 8 × 38 MiB + 24 MiB in 256m
        ("WORKERS=2\n", []),
        ("OTHER=1\n", []),  # unset: the shell's value is unknown, nothing to judge
    ],
)
def test_a_script_reads_the_workers_an_env_file_sets(tmp_path: Path, env_file: str, expected: list[str]) -> None:
    """compose's `$$WORKERS` is the shell's `$WORKERS`: the container's value, here set only in the
    env_file (issue 13)."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: python:3.12\n"
        '    command: sh -c "gunicorn -w $$WORKERS app:app"\n'
        "    env_file: app.env\n    mem_limit: 256m\n"
    )
    (tmp_path / "app.env").write_text(env_file)
    run = lint(LintOptions(cwd=tmp_path, files=(Path("docker-compose.yml"),), select=("CG309",)))
    assert run.errors == []
    assert [next(w for w in expected if w in f.message) for f in run.findings] == expected
    assert [(f.line, f.column) for f in run.findings] == [(4, 5)] * len(expected)
