"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

One run; `tool.driver.rules` describes every rule that ran (help text from its documentation, a
`helpUri` into the published docs/rules.md where its address is known: composegen.lint.docs.rules_uri,
and for security rules the `security` tag and the `security-severity` code scanning ranks alerts
by); each result points at the file, line and
column of its finding, with a `partialFingerprints` entry that survives lines moving, the
finding's fix as a text replacement (`fixes`) where it has one, and `suppressions` where a
`# composegen:` directive (inSource) or a baseline (external) switched it off. Relative paths
are relative to `%SRCROOT%`, the folder composegen ran in. Files that could not be read become
error notifications of the invocation, which is then not successful.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from composegen.lint.finding import Finding, Severity
from composegen.report.base import Report, RuleInfo, TextEdit

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/composegen/"
_LEVELS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
SRCROOT = "%SRCROOT%"
#: The name of composegen's fingerprint among a result's partialFingerprints.
FINGERPRINT = "composegenFingerprint/v1"


def artifact_location(file: str) -> dict[str, str]:
    """A relative path under %SRCROOT% as a URI reference; an absolute one as a file:// URI."""
    posix = file.replace("\\", "/")
    if PurePosixPath(posix).is_absolute():
        return {"uri": "file://" + quote(posix, safe="/")}
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    text = rule.doc or rule.summary or rule.name
    properties: dict[str, Any] = {"fixable": rule.fixable}
    if rule.security_severity is not None:
        properties["tags"] = ["security"]
        properties["security-severity"] = f"{rule.security_severity:.1f}"
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary or rule.name},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": properties,
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    return descriptor


def replacement(edit: TextEdit) -> dict[str, Any]:
    """A fix's replacement as SARIF writes it: the region it deletes and the text it inserts."""
    region = {
        "startLine": edit.start_line,
        "startColumn": edit.start_column,
        "endLine": edit.end_line,
        "endColumn": edit.end_column,
        "charOffset": edit.offset,
        "charLength": edit.length,
    }
    return {"deletedRegion": region, "insertedContent": {"text": edit.text}}


def _fixes(finding: Finding, report: Report) -> list[dict[str, Any]]:
    changes = report.fixes.get(finding.key) if finding.fix is not None else None
    if not changes:
        return []
    return [
        {
            "description": {"text": finding.fix.description if finding.fix is not None else ""},
            "artifactChanges": [
                {"artifactLocation": artifact_location(change.file), "replacements": [replacement(change)]}
                for change in changes
            ],
        }
    ]


def render(report: Report) -> str:
    rules = list(report.rules)
    known = {r.code for r in rules}
    index = {r.code: i for i, r in enumerate(rules)}
    descriptors = [_descriptor(r) for r in rules]
    results: list[dict[str, Any]] = []
    every = [*report.findings, *report.suppressed]
    locations = {file: artifact_location(file) for file in {f.file for f in every}}
    for f in every:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": locations[f.file],
                        "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT: f.fingerprint()},
        }
        if f.code in known:
            result["ruleIndex"] = index[f.code]
        fixes = _fixes(f, report)
        if fixes:
            result["fixes"] = fixes
        if f.suppression is not None:
            result["suppressions"] = [{"kind": f.suppression.kind, "justification": f.suppression.reason}]
        if f.service is not None:
            result["properties"] = {"service": f.service}
        results.append(result)
    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    if report.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": error}} for error in report.errors
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "composegen",
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
                **({"version": report.version, "semanticVersion": report.version} if report.version else {}),
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.root_uri:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": report.root_uri.rstrip("/") + "/"}}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, separators=(",", ":")) + "\n"  # compact: json's C encoder, smaller uploads
