"""The fixes the resource rules attach: the right Edit(file, path, action, value), none when unsure.

The --fix engine is built elsewhere; here each edit is also applied with the round-trip editor and
the file linted again, to show that the edit removes the finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from composegen.lint.context import Mode
from composegen.lint.engine import run_rule
from composegen.lint.finding import Edit, Finding
from composegen.lint.load import build_context
from composegen.lint.rules import by_code_or_name
from composegen.yamlio import dump_roundtrip, load_roundtrip


def lint(code: str, folder: Path, files: dict[str, str], mode: Mode = "file") -> list[Finding]:
    for name, text in files.items():
        (folder / name).write_text(text)
    rule = by_code_or_name(code)
    assert rule is not None
    ctx = build_context([folder / n for n in files], mode=mode, env={}, project_dir=folder)
    return run_rule(ctx, rule)


def apply(edit: Edit) -> None:
    path = Path(edit.file)
    data: Any = load_roundtrip(path.read_text(), edit.file)
    node = data
    for key in edit.path[:-1]:
        node = node.setdefault(key, {}) if edit.action == "set" else node[key]
    assert edit.action == "set"
    node[edit.path[-1]] = edit.value
    path.write_text(dump_roundtrip(data))


def test_integer_memory_gets_the_string_form(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": (
            "services:\n"
            "  web:\n"
            "    image: nginx:1.27.1\n"
            "    deploy:\n"
            "      resources:\n"
            "        limits: {memory: 536870912}  # half a gig\n"
            "        reservations:\n"
            "          memory: 1610612736\n"
        )
    }
    findings = lint("CG109", tmp_path, files)
    assert [f.fix.edits if f.fix else None for f in findings] == [
        (
            Edit(
                str(tmp_path / "docker-compose.yml"),
                ("services", "web", "deploy", "resources", "limits", "memory"),
                "set",
                "512M",
            ),
        ),
        (
            Edit(
                str(tmp_path / "docker-compose.yml"),
                ("services", "web", "deploy", "resources", "reservations", "memory"),
                "set",
                "1536M",
            ),
        ),
    ]
    for finding in findings:
        assert finding.fix is not None
        for edit in finding.fix.edits:
            apply(edit)
    text = (tmp_path / "docker-compose.yml").read_text()
    assert "# half a gig" in text
    assert lint("CG109", tmp_path, {"docker-compose.yml": text}) == []


def test_the_fix_addresses_the_overlay_that_wrote_the_number(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  web:\n    image: nginx:1.27.1\n",
        "docker-compose.prod.yml": "services:\n  web:\n    deploy: {resources: {limits: {memory: 268435456}}}\n",
    }
    [finding] = lint("CG109", tmp_path, files, mode="stack")
    assert finding.fix is not None
    assert finding.fix.edits == (
        Edit(
            str(tmp_path / "docker-compose.prod.yml"),
            ("services", "web", "deploy", "resources", "limits", "memory"),
            "set",
            "256M",
        ),
    )


def test_no_fix_through_an_anchor_alias_or_merge_key(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": (
            "x-deploy: &deploy\n"
            "  resources:\n"
            "    limits: {memory: 268435456}\n"
            "x-service: &service\n"
            "  image: nginx:1.27.1\n"
            "  deploy:\n"
            "    resources:\n"
            "      reservations: {memory: 134217728}\n"
            "services:\n"
            "  a: {image: 'nginx:1.27.1', deploy: *deploy}\n"
            "  b:\n"
            "    <<: *service\n"
        )
    }
    findings = lint("CG109", tmp_path, files)
    assert len(findings) == 2
    assert [f.fix for f in findings] == [None, None]


def test_no_fix_for_a_value_from_extends(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": (
            "services:\n"
            "  base:\n"
            "    image: nginx:1.27.1\n"
            "    deploy: {resources: {limits: {memory: 268435456}}}\n"
            "  web:\n"
            "    extends: base\n"
        )
    }
    findings = lint("CG109", tmp_path, files)
    assert [(f.service, f.fix is not None) for f in findings] == [("base", True), ("web", False)]
