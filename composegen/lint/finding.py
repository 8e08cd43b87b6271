"""What a rule reports (Violation), what the user sees (Finding), and mechanical fixes (Fix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, NamedTuple

from composegen.compose.tree import Origin
from composegen.yamlio import KeyPath


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Edit(NamedTuple):
    """One change to one file, addressed by the key path inside that file (not the merged stack).

    `set` writes `value` at `path` (creating missing mappings), `delete` removes the key,
    `append` adds `value` to the list at `path` (creating it). Values are plain YAML data.
    """

    file: str
    path: KeyPath
    action: Literal["set", "delete", "append"]
    value: Any = None


class Fix(NamedTuple):
    """A mechanical fix: what it does, and its edits."""

    description: str
    edits: tuple[Edit, ...]


class Violation(NamedTuple):
    """What a rule's `check` yields: a place in the merged stack (a key path) and a message.

    `path` is into `LintContext.stack.data`, e.g. ("services", "db", "deploy", "resources").
    The engine turns it into file:line:col through the stack's origins.
    """

    path: KeyPath
    message: str
    service: str | None = None
    fix: Fix | None = None
    severity: Severity | None = None  # overrides the rule's severity for this one finding
    origin: Origin | None = None  # an exact place, when the key path alone would point elsewhere


@dataclass(frozen=True)
class Finding:
    """One reported problem, positioned and ready for a reporter."""

    file: str
    line: int
    column: int
    code: str
    name: str
    severity: Severity
    message: str
    service: str | None = None
    fix: Fix | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "service": self.service,
            "message": self.message,
            "fixable": self.fix is not None,
        }
