"""What every reporter is given: the findings, the rules that ran, the files that were read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from composegen.lint.finding import Finding, Severity


class RuleInfo(NamedTuple):
    """A rule as a reporter describes it (SARIF `tool.driver.rules`)."""

    code: str
    name: str
    severity: Severity  # the default severity
    summary: str  # one line
    doc: str = ""  # the rule's documentation, markdown
    fixable: bool = False


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


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
