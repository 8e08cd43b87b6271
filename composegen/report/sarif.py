"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

One run; `tool.driver.rules` describes every rule that ran (help text from its documentation);
each result points at the file, line and column of its finding. Relative paths are relative to
`%SRCROOT%`, the folder composegen ran in. Files that could not be read become error
notifications of the invocation, which is then not successful.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from composegen.lint.finding import Severity
from composegen.report.base import Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/composegen/"
_LEVELS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
SRCROOT = "%SRCROOT%"


def artifact_location(file: str) -> dict[str, str]:
    """A relative path under %SRCROOT% as a URI reference; an absolute one as a file:// URI."""
    posix = file.replace("\\", "/")
    if PurePosixPath(posix).is_absolute():
        return {"uri": "file://" + quote(posix, safe="/")}
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def render(report: Report) -> str:
    rules = list(report.rules)
    known = {r.code for r in rules}
    index = {r.code: i for i, r in enumerate(rules)}
    descriptors: list[dict[str, Any]] = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary or r.name},
            "fullDescription": {"text": r.doc or r.summary or r.name},
            "help": {"text": r.doc or r.summary or r.name, "markdown": r.doc or r.summary or r.name},
            "defaultConfiguration": {"level": _LEVELS[r.severity]},
            "properties": {"fixable": r.fixable},
        }
        for r in rules
    ]
    results: list[dict[str, Any]] = []
    locations = {file: artifact_location(file) for file in {f.file for f in report.findings}}
    for f in report.findings:
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
        }
        if f.code in known:
            result["ruleIndex"] = index[f.code]
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
