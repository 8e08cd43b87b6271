"""Run rules over a LintContext and turn their violations into positioned findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Finding, Severity, Violation, unique
from composegen.lint.rule import Rule


def position(ctx: LintContext, violation: Violation) -> tuple[str, int, int]:
    """file, line, column of a violation: its own origin, else its key's, else the nearest key above
    it, else the file."""
    origin = violation.origin or ctx.origin(violation.path)
    if origin is not None:
        return origin.file, origin.line, origin.column
    first = str(ctx.stack.files[0]) if ctx.stack.files else ""
    return first, 1, 1


def run_rule(
    ctx: LintContext, rule: Rule, options: Mapping[str, Any] | None = None, severity: Severity | None = None
) -> list[Finding]:
    merged = {**rule.options, **(options or {})}
    findings = []
    for violation in rule.check(ctx, merged):
        file, line, column = position(ctx, violation)
        findings.append(
            Finding(
                file=file,
                line=line,
                column=column,
                code=rule.code,
                name=rule.name,
                severity=violation.severity or severity or rule.severity_for(ctx.usage),
                message=violation.message,
                service=violation.service,
                fix=violation.fix,
            )
        )
    return findings


def run_rules(ctx: LintContext, rules: Iterable[Rule]) -> list[Finding]:
    """Every finding of `rules`, sorted by file, line, column and code."""
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(run_rule(ctx, rule))
    return unique(findings)
