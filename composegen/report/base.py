"""What every reporter is given: the findings, the rules that ran, the files that were read."""

from __future__ import annotations

# Report, RuleInfo and TextEdit live with Finding, below both the linter (which assembles the
# report) and the reporters (which show it)
from composegen.lint.finding import Report, RuleInfo, TextEdit

__all__ = ["Report", "RuleInfo", "TextEdit", "plural"]


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
