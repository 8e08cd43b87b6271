"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request diff.

    ::warning file=docker-compose.yml,line=2,col=3,title=CG101 memory-limit-missing::service 'web' ...

Chosen automatically when GITHUB_ACTIONS is set and no --format is given.
"""

from __future__ import annotations

from composegen.lint.finding import Severity
from composegen.report.base import Report

_LEVELS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def escape_data(text: str) -> str:
    """The message part: `%`, CR and LF escaped (actions/toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: also `:` and `,` escaped (actions/toolkit `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    lines = []
    for f in report.findings:
        props = ",".join(
            f"{key}={escape_property(value)}"
            for key, value in (
                ("file", f.file),
                ("line", str(f.line)),
                ("col", str(f.column)),
                ("title", f"{f.code} {f.name}"),
            )
        )
        lines.append(f"::{_LEVELS[f.severity]} {props}::{escape_data(f.message)}")
    for error in report.errors:
        lines.append(f"::error title=composegen::{escape_data(error)}")
    return "".join(line + "\n" for line in lines)
