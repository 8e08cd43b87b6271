"""The Fix objects of fixable security rules: which file, which key path in that file, which edit.

Applying fixes is the fixer's job; these tests pin what the rules ask for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.lint.engine import run_rule
from composegen.lint.finding import Edit, Finding
from composegen.lint.load import build_context
from composegen.lint.rules import by_code_or_name


def _lint(tmp_path: Path, code: str, files: dict[str, str], mode: str = "file") -> list[Finding]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    rule = by_code_or_name(code)
    assert rule is not None
    ctx = build_context(
        [tmp_path / n for n in files], mode="stack" if mode == "stack" else "file", env={}, project_dir=tmp_path
    )
    return run_rule(ctx, rule)


def _edits(finding: Finding) -> tuple[Edit, ...]:
    assert finding.fix is not None, finding.message
    return finding.fix.edits


def test_no_new_privileges_appends_to_a_missing_list(tmp_path: Path) -> None:
    [finding] = _lint(tmp_path, "CG503", {"docker-compose.yml": "services:\n  web:\n    image: nginx:1.27.1\n"})
    assert _edits(finding) == (
        Edit(
            str(tmp_path / "docker-compose.yml"),
            ("services", "web", "security_opt"),
            "append",
            "no-new-privileges:true",
        ),
    )
    assert finding.fix is not None and "no-new-privileges:true" in finding.fix.description


def test_no_new_privileges_appends_to_an_existing_list(tmp_path: Path) -> None:
    text = "services:\n  web:\n    image: nginx:1.27.1\n    security_opt: [label:disable]\n"
    [finding] = _lint(tmp_path, "CG503", {"docker-compose.yml": text})
    assert _edits(finding) == (
        Edit(
            str(tmp_path / "docker-compose.yml"),
            ("services", "web", "security_opt"),
            "append",
            "no-new-privileges:true",
        ),
    )


def test_no_new_privileges_in_the_file_that_defines_the_service(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  web:\n    image: nginx:1.27.1\n",
        "docker-compose.prod.yml": "services:\n  web:\n    restart: always\n",
    }
    [finding] = _lint(tmp_path, "CG503", files, mode="stack")
    [edit] = _edits(finding)
    assert edit.file == str(tmp_path / "docker-compose.yml")
    assert edit.path == ("services", "web", "security_opt")


def test_no_new_privileges_in_a_list_shared_through_an_anchor_sets_a_copy(tmp_path: Path) -> None:
    text = "x-base: &base\n  security_opt: [label:disable]\nservices:\n  web:\n    <<: *base\n    image: nginx:1.27.1\n"
    [finding] = _lint(tmp_path, "CG503", {"docker-compose.yml": text})
    # appending in place would change the anchor, and every service merging it
    assert _edits(finding) == (
        Edit(
            str(tmp_path / "docker-compose.yml"),
            ("services", "web", "security_opt"),
            "set",
            ["label:disable", "no-new-privileges:true"],
        ),
    )


def test_no_fix_when_it_was_turned_off_on_purpose(tmp_path: Path) -> None:
    text = "services:\n  web:\n    image: nginx:1.27.1\n    security_opt: ['no-new-privileges:false']\n"
    [finding] = _lint(tmp_path, "CG503", {"docker-compose.yml": text})
    assert finding.fix is None


@pytest.mark.parametrize("code", ["CG503"])
def test_fixable_rules_say_so(code: str) -> None:
    rule = by_code_or_name(code)
    assert rule is not None and rule.fixable
