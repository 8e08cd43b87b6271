"""JSON for machines: a list of findings, each with file, line, column, code, name, severity,
service, message and fixable; then the findings a directive or a baseline switched off, each
with `suppressed`: {kind: inSource | external, reason}."""

from __future__ import annotations

import json

from composegen.report.base import Report


def render(report: Report) -> str:
    return json.dumps([f.as_dict() for f in (*report.findings, *report.suppressed)], indent=2) + "\n"
