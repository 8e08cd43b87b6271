"""Run rules over a LintContext and turn their violations into positioned findings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Finding, Severity, Violation
from composegen.lint.rule import Rule


def position(ctx: LintContext, violation: Violation) -> tuple[str, int, int]:
    """file, line, column of a violation: its own origin, else its key's, else the nearest key above
    it, else the file."""
    origin = violation.origin or ctx.origin(violation.path)
    if origin is not None:
        return origin.file, origin.line, origin.column
    first = str(ctx.stack.files[0]) if ctx.stack.files else ""
    return first, 1, 1


#: `file.yml:12` or `file.yml:12:5` in a message: a place, which moves with the lines around it.
_PLACE = re.compile(r":\d+(?::\d+)?\b")


def value_digest(ctx: LintContext, violation: Violation) -> str:
    """A short hash of what a violation is about, that survives lines moving: the value at its
    key path as written in the file (before interpolation, so it does not change with .env),
    normalised; for a whole service or the whole stack, its message without places. Never the
    value itself: it may be a secret."""
    import hashlib
    import json

    from composegen.lint.readers import raw_value, walk

    text = ""
    if len(violation.path) > 2:
        found, value, _ = raw_value(ctx, violation.path)
        if not found:
            found, value = walk(ctx.data, violation.path)
        if found:
            value = value.strip() if isinstance(value, str) else value
            try:
                text = json.dumps(value, sort_keys=True, default=str)
            except (TypeError, ValueError, RecursionError):  # keys of mixed types, say
                text = repr(value)
    if not text:
        text = _PLACE.sub("", violation.message)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def finding_digest(ctx: LintContext, finding: Finding) -> str:
    """`value_digest` of the violation `finding` came from, computed after the run (SARIF hashes
    only the findings it writes)."""
    return value_digest(ctx, Violation(finding.path, finding.message))


def run_rule(
    ctx: LintContext,
    rule: Rule,
    options: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
    *,
    digests: bool = False,
) -> list[Finding]:
    """The findings of one rule. `digests`: give each its `digest` (`value_digest`), which only a
    baseline and the formats that print fingerprints (SARIF) read: hashing every finding's value
    costs a large stack a tenth of its run, so it is left empty unless asked for."""
    merged = {**rule.options, **(options or {})}
    findings: list[Finding] = []
    append = findings.append
    code, name = rule.code, rule.name
    default: Severity | None = severity  # the rule's own, asked once: ctx.usage may read the facts
    origin_of = ctx.origin
    new = tuple.__new__  # a Finding of every field, without the keyword-reading constructor: one per finding
    for violation in rule.check(ctx, merged):
        # (its fields at once, not one attribute at a time: a large stack has a finding or more per service)
        path, message, service, fix, chosen, origin = violation
        # `position`, inline
        origin = origin or origin_of(path)
        file, line, column = position(ctx, violation) if origin is None else origin
        if chosen is None:
            if default is None:
                default = rule.severity_for(ctx.usage)
            chosen = default
        append(
            new(
                Finding,
                (
                    file,
                    line,
                    column,
                    code,
                    name,
                    chosen,
                    message,
                    service,
                    fix,
                    path,
                    value_digest(ctx, violation) if digests else "",
                    None,  # suppression
                ),
            )
        )
    return findings
