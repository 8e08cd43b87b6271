"""Rule tests as data (sqlfluff's std_rule_cases): tests/lint/cases/<CODE>.yaml, one runner.

A case file:

    rule: CG101
    cases:
      - name: no memory limit
        files:                           # written into a temporary folder
          docker-compose.yml: |
            services:
              web:
                image: nginx:1.27.1
        mode: file                       # file (default: each file alone) or stack (-f merged, in order)
        usage: prod                      # optional: how the stack is used
        target: compose                  # optional: compose or swarm (default: what the stack says)
        composegen: |                    # optional: a composegen.yaml
          services: {web: {role: proxy}}
        env: {VAR: value}                # optional: the environment compose interpolates from
        expect:                          # file:line:col of each finding, in order; [] for a pass case
          - docker-compose.yml:3:5
        messages: ["no memory limit"]    # optional: a substring of each finding's message
        severities: [error]              # optional: each finding's severity
        options: {ignore_roles: [proxy]} # optional: the rule's options, as in [tool.composegen.lint.options]
        fixed:                           # optional (a fix case): each file's text after `--fix`
          docker-compose.yml: |
            ...
        compose_accepts: true            # optional (a fix case): compose v2 accepts the fixed files
        lints_clean: true                # optional (a fix case): the rule finds nothing in the fixed files

Findings go through what `composegen lint` applies after the rules: inline directives
(`# composegen: disable-line=...`) silence them, and CG099 reports malformed directives. A fix
case applies the fixes of the case's findings the way `--fix` does (composegen.lint.fix), compares
every file named under `fixed:`, and lints again: a second `--fix` must change nothing (with
`lints_clean`, the rule must find nothing; with `compose_accepts`, `docker compose config` must
accept the fixed files: the compose v2 oracle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composegen.compose import oracle
from composegen.lint.config import LintConfig
from composegen.lint.fix import plan
from composegen.lint.load import build_context
from composegen.lint.rules import all_rules, by_code_or_name
from composegen.lint.run import DirectiveCache, lint_context
from composegen.masking import mask
from composegen.profiles.loader import load_project
from composegen.yamlio import read_document

CASES = Path(__file__).parent / "cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = read_document(path).data
        for case in doc["cases"]:
            params.append(pytest.param(doc["rule"], case, id=f"{doc['rule']}-{case['name']}"))
    return params


def run_case(rule_code: str, case: dict[str, Any], folder: Path, *, write: bool = True) -> list[Any]:
    rule = by_code_or_name(rule_code)
    assert rule is not None, f"no rule {rule_code}"
    names = list(case["files"])
    for name, text in case["files"].items() if write else ():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    project = None
    if "composegen" in case:
        if write:
            (folder / "composegen.yaml").write_text(case["composegen"])
        project = load_project(folder / "composegen.yaml", folder)
    env = {str(k): str(v) for k, v in (case.get("env") or {}).items()}
    mode = case.get("mode", "file")
    groups = [names] if mode == "stack" else [[n] for n in names]
    config = LintConfig(select=frozenset({rule.code}), options={rule.code: dict(case.get("options") or {})})
    directives = DirectiveCache(all_rules())
    findings = []
    for group in groups:
        ctx = build_context(
            [folder / n for n in group],
            mode=mode,
            project=project,
            usage=case.get("usage"),
            target=case.get("target"),
            env=env,
            project_dir=folder,
        )
        findings.extend(lint_context(ctx, [rule], config, directives))
    return findings


@pytest.mark.parametrize(("rule_code", "case"), _load_cases())
def test_rule_case(rule_code: str, case: dict[str, Any], tmp_path: Path) -> None:
    findings = run_case(rule_code, case, tmp_path)
    got = [f"{Path(f.file).relative_to(tmp_path)}:{f.line}:{f.column}" for f in findings]
    assert got == list(case["expect"]), [f.message for f in findings]
    for finding, text in zip(findings, case.get("messages", []), strict=False):
        assert text in finding.message
    for finding, severity in zip(findings, case.get("severities", []), strict=False):
        assert finding.severity.value == severity
    if "fixed" in case:
        check_fix_case(rule_code, case, tmp_path, findings)


def check_fix_case(rule_code: str, case: dict[str, Any], folder: Path, findings: list[Any]) -> None:
    for finding in findings:  # what --fix prints never shows a secret of the file
        assert finding.fix is None or mask(finding.fix.description) == finding.fix.description
    changes = plan(findings, folder)
    assert changes.skipped == (), changes.skipped
    changes.write()
    for name, expected in case["fixed"].items():
        assert (folder / name).read_text() == expected, f"{name} after --fix"
    after = run_case(rule_code, case, folder, write=False)
    again = plan(after, folder)
    assert again.changes == (), f"a second --fix still changes {[c.display for c in again.changes]}"
    if case.get("lints_clean"):
        assert after == [], [f.message for f in after]
    if case.get("compose_accepts"):
        env = {str(k): str(v) for k, v in (case.get("env") or {}).items()}
        oracle.run_config([folder / name for name in case["files"]], env=env, project_dir=folder)


def test_every_rule_has_pass_and_fail_cases() -> None:
    covered: dict[str, set[bool]] = {}
    for param in _load_cases():
        code, case = param.values
        covered.setdefault(code, set()).add(bool(case["expect"]))
    for rule in all_rules():
        assert covered.get(rule.code) == {True, False}, f"{rule.code} needs pass and fail cases in {CASES}"


def test_every_rule_documents_itself() -> None:
    for rule in all_rules():
        for section in ("What it does", "Why is this bad?", "Example", "Use instead"):
            assert section in rule.doc, f"{rule.code} docstring lacks {section!r}"
