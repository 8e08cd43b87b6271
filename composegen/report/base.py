"""What every reporter is given: the findings, the rules that ran, the files that were read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from composegen.lint.finding import Finding, Severity


class RuleInfo(NamedTuple):
    """A rule as a reporter describes it (SARIF `tool.driver.rules`)."""

    code: str
    name: str
    severity: Severity  # the default severity
    summary: str  # one line
    doc: str = ""  # the rule's documentation, markdown
    fixable: bool = False
    help_uri: str = ""  # where its documentation is (docs/rules.md#...)
    security_severity: float | None = None  # security rules: 0.0-10.0 (code scanning ranks by it)


class FileText(NamedTuple):
    """A file before and after a finding's fix (SARIF `fixes`)."""

    file: str  # as displayed
    before: str
    after: str


class Report(NamedTuple):
    """Everything a reporter shows."""

    findings: Sequence[Finding]
    rules: Sequence[RuleInfo] = ()
    files: Sequence[str] = ()  # every file that was linted, as displayed
    errors: Sequence[str] = ()  # input errors (one line each): files that could not be linted
    color: bool = False
    version: str = ""
    root_uri: str = ""  # file:// URI of the folder relative paths are relative to (SARIF)
    fixed: int = 0  # problems fixed by --fix before this report
    suppressed: Sequence[Finding] = ()  # switched off by a directive or a baseline (json, SARIF)
    fixes: Mapping[tuple[Any, ...], Sequence[FileText]] = MappingProxyType({})  # by Finding.key (SARIF)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
