"""What every reporter is given: the findings, the rules that ran, the files that were read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

# RuleInfo and FileText live with Finding, below both the linter and the reporters
from composegen.lint.finding import FileText, Finding, RuleInfo

__all__ = ["FileText", "Report", "RuleInfo", "plural"]


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
