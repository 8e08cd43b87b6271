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
    default: Severity | None = severity  # the rule's own, asked once: ctx.usage may read the facts
    for violation in rule.check(ctx, merged):
        file, line, column = position(ctx, violation)
        chosen = violation.severity
        if chosen is None:
            if default is None:
                default = rule.severity_for(ctx.usage)
            chosen = default
        findings.append(
            Finding(
                file,
                line,
                column,
                rule.code,
                rule.name,
                chosen,
                violation.message,
                violation.service,
                violation.fix,
            )
        )
    return findings


def run_rules(ctx: LintContext, rules: Iterable[Rule]) -> list[Finding]:
    """Every finding of `rules`, sorted by file, line, column and code."""
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(run_rule(ctx, rule))
    return unique(findings)
