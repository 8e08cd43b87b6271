"""The shape of a lint rule: one module per rule under `composegen/lint/rules/`.

A rule module defines, at module level:

    CODE = "CG101"                     # unique; the hundreds group the rules (see below)
    NAME = "memory-limit-missing"      # readable, kebab-case, unique
    SEVERITY = Severity.warning        # default severity
    SEVERITY_BY_USAGE = {"dev": Severity.info, "prod": Severity.error}   # optional
    OPTIONS = {"ignore_roles": ["proxy"]}   # optional: option name -> default value
    FIXABLE = False                    # True when `check` attaches Fix objects (--fix)
    SECURITY_SEVERITY = 8.0            # security rules: CVSS-like 0.0-10.0 (SARIF security-severity)

    def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]: ...

and its module docstring is the user documentation, with the sections
`What it does`, `Why is this bad?`, `Example`, `Use instead` (ruff's rule docs; docs/rules.md
is generated from them). Code groups: CG0xx schema and syntax, CG1xx resources, CG2xx
healthcheck, CG3xx fit, CG4xx target (compose vs Swarm), CG5xx security, CG6xx hygiene.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, ModuleType
from typing import Any, NamedTuple

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation

Check = Callable[[LintContext, Mapping[str, Any]], Iterable[Violation]]


class Rule(NamedTuple):
    """One lint rule, read from its module (see above)."""

    code: str
    name: str
    severity: Severity
    check: Check
    doc: str
    options: Mapping[str, Any] = MappingProxyType({})
    severity_by_usage: Mapping[str, Severity] = MappingProxyType({})
    fixable: bool = False
    module: str = ""
    security_severity: float | None = None

    def severity_for(self, usage: str | None) -> Severity:
        if usage is not None and usage in self.severity_by_usage:
            return self.severity_by_usage[usage]
        return self.severity

    @classmethod
    def from_module(cls, module: ModuleType) -> Rule:
        return cls(
            code=module.CODE,
            name=module.NAME,
            severity=module.SEVERITY,
            check=module.check,
            doc=(module.__doc__ or "").strip(),
            options=dict(getattr(module, "OPTIONS", {})),
            severity_by_usage=dict(getattr(module, "SEVERITY_BY_USAGE", {})),
            fixable=bool(getattr(module, "FIXABLE", False)),
            module=module.__name__,
            security_severity=getattr(module, "SECURITY_SEVERITY", None),
        )
