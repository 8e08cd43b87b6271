"""JSON for machines: a list of findings, each with file, line, column, code, name, severity,
service, message and fixable; then the findings a directive or a baseline switched off, each
with `suppressed`: {kind: inSource | external, reason}.

The text is what `json.dumps([f.as_dict() ...], indent=2)` writes, assembled from each finding's
values (json's own string encoder for the strings): a lint run can hold hundreds of thousands of
findings, and json's indenting encoder, pure Python, took three times as long as the linting.
tests/report/test_json_text.py pins it against json.dumps.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii

from composegen.lint.finding import Finding
from composegen.report.base import Report

#: A finding without suppression, as json.dumps(finding.as_dict(), indent=2) writes it one level
#: into the list: its values are the JSON texts of the dictionary's values, in its order.
_FINDING = (
    '  {\n    "file": %s,\n    "line": %d,\n    "column": %d,\n    "code": %s,\n    "name": %s,\n'
    '    "severity": %s,\n    "service": %s,\n    "message": %s,\n    "fixable": %s\n  }'
)
#: The string json.dumps writes for a string (with ensure_ascii, its default): its own function.
_STRING = encode_basestring_ascii


def _finding(f: Finding) -> str:
    """One finding as json.dumps(..., indent=2) writes it inside the list."""
    if f.suppression is not None or type(f.line) is not int or type(f.column) is not int:
        # rare (a suppressed finding, a bool for a number): json.dumps itself, each line indented
        # as the list's item
        return "\n".join("  " + line for line in json.dumps(f.as_dict(), indent=2).split("\n"))
    return _FINDING % (
        _STRING(f.file),
        f.line,
        f.column,
        _STRING(f.code),
        _STRING(f.name),
        _STRING(f.severity.value),
        "null" if f.service is None else _STRING(f.service),
        _STRING(f.message),
        "false" if f.fix is None else "true",
    )


def render(report: Report) -> str:
    findings = (*report.findings, *report.suppressed)
    if not findings:
        return "[]\n"
    return "[\n" + ",\n".join(map(_finding, findings)) + "\n]\n"
