"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

One run; `tool.driver.rules` describes every rule that ran (help text from its documentation, a
`helpUri` into the published docs/rules.md where its address is known: composegen.lint.docs.rules_uri,
and for security rules the `security` tag and the `security-severity` code scanning ranks alerts
by); each result points at the file, line and
column of its finding, with a `partialFingerprints` entry that survives lines moving, the
finding's fix as a text replacement (`fixes`) where it has one, and `suppressions` where a
`# composegen:` directive (inSource) or a baseline (external) switched it off. Relative paths
are relative to `%SRCROOT%`, the folder composegen ran in. Files that could not be read become
error notifications of the invocation, which is then not successful. A run holds at most
SARIF_MAX_RESULTS results (GitHub code scanning's limit), the most severe first; a warning
notification of the invocation says how many it left out and where to see them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from composegen.lint.finding import SARIF_MAX_RESULTS, Finding, Severity
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


def _fixes(finding: Finding, report: Report, location: Callable[[str], str]) -> str:
    """The finding's `fixes`, as JSON text (empty where it has none); `location`: a file's
    artifactLocation, as JSON text."""
    changes = report.fixes.get(finding.key) if finding.fix is not None else None
    if not changes:
        return ""
    description = finding.fix.description if finding.fix is not None else ""
    artifact_changes = ",".join(
        f'{{"artifactLocation":{location(change.file)},"replacements":[{_json(replacement(change))}]}}'
        for change in changes
    )
    return f'[{{"description":{{"text":{_json(description)}}},"artifactChanges":[{artifact_changes}]}}]'


#: json.dumps(..., separators=_SEPARATORS), one encoder for every value (json.dumps makes one a call)
_SEPARATORS = (",", ":")
_ENCODER = json.JSONEncoder(separators=_SEPARATORS)
#: The string json's encoder writes for a string (with ensure_ascii, its default): its own function.
_STRING = encode_basestring_ascii


def _json(value: Any) -> str:
    """`value` as json.dumps(..., separators=_SEPARATORS) writes it, alone or inside a document:
    a str and an int as json's C encoder writes them (its string function, int's repr), anything
    else by the encoder itself."""
    kind = type(value)
    if kind is str:
        return _STRING(value)
    if kind is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


#: The key of composegen's fingerprint among a result's partialFingerprints, as JSON text.
_FINGERPRINT_KEY = _json(FINGERPRINT)
_LEVEL_TEXT = {severity: _json(level) for severity, level in _LEVELS.items()}


def _result(f: Finding, report: Report, location: Callable[[str], str], index: Mapping[str, int]) -> str:
    """One result, as JSON text: what json.dumps writes for it, assembled from its values (a run
    can hold hundreds of thousands of results, and its dictionaries cost more than their text)."""
    text = (
        f'{{"ruleId":{_json(f.code)},"level":{_LEVEL_TEXT[f.severity]},"message":{{"text":{_json(f.message)}}},'
        f'"locations":[{{"physicalLocation":{{"artifactLocation":{location(f.file)},'
        f'"region":{{"startLine":{_json(max(f.line, 1))},"startColumn":{_json(max(f.column, 1))}}}}}}}],'
        f'"partialFingerprints":{{{_FINGERPRINT_KEY}:{_json(f.fingerprint())}}}'
    )
    rule = index.get(f.code)
    if rule is not None:
        text += f',"ruleIndex":{_json(rule)}'
    fixes = _fixes(f, report, location) if f.fix is not None else ""
    if fixes:
        text += f',"fixes":{fixes}'
    if f.suppression is not None:
        kind, reason = _json(f.suppression.kind), _json(f.suppression.reason)
        text += f',"suppressions":[{{"kind":{kind},"justification":{reason}}}]'
    if f.service is not None:
        text += f',"properties":{{"service":{_json(f.service)}}}'
    return text + "}"


def left_out_text(report: Report) -> str:
    """What the run says of the results it leaves out (see SARIF_MAX_RESULTS)."""
    written = len(report.findings) + len(report.suppressed)
    return (
        f"{report.left_out} of {written + report.left_out} results left out: GitHub code scanning "
        f"rejects a run of more than {SARIF_MAX_RESULTS}, so this one holds the most severe "
        "(errors, then warnings, then notes; suppressed results last); "
        "`composegen lint --format json` or the text format lists them all"
    )


def sarif_log(report: Report, results: list[Any]) -> dict[str, Any]:
    """The log: its one run, the rules that ran, how the run went, and `results`."""
    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    notifications = [{"level": "error", "message": {"text": error}} for error in report.errors]
    if report.left_out:
        notifications.append({"level": "warning", "message": {"text": left_out_text(report)}})
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "composegen",
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(r) for r in report.rules],
                **({"version": report.version, "semanticVersion": report.version} if report.version else {}),
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.root_uri:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": report.root_uri.rstrip("/") + "/"}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    index = {r.code: i for i, r in enumerate(report.rules)}
    locations: dict[str, str] = {}

    def location(file: str) -> str:
        found = locations.get(file)
        if found is None:
            found = locations[file] = _json(artifact_location(file))
        return found

    results = [_result(f, report, location, index) for f in (*report.findings, *report.suppressed)]
    # compact: json's C encoder, smaller uploads. `"results":[]` is the run's key and nothing else:
    # no other mapping of the log has that key, and a quote inside a string is written `\"`.
    head, _, tail = _ENCODER.encode(sarif_log(report, [])).partition('"results":[]')
    return "".join((head, '"results":[', ",".join(results), "]", tail, "\n"))
