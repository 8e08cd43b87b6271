"""SARIF results written as JSON text (composegen.report.sarif: a run can hold hundreds of thousands,
and building their dictionaries cost more than writing them): the very bytes json.dumps writes for
the dictionaries the reporter built before, pinned against that reading on generated reports."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.lint.finding import Edit, Finding, Fix, Severity, Suppression, TextEdit
from composegen.report.base import Report, RuleInfo
from composegen.report.sarif import _LEVELS, FINGERPRINT, artifact_location, render, replacement, sarif_log


def dictionaries(report: Report) -> str:
    """The log as the reporter wrote it before: dictionaries, then json.dumps (the run around the
    results is the reporter's own: it is built so still)."""

    def fixes(finding: Finding) -> list[dict[str, Any]]:
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

    rules = list(report.rules)
    known = {r.code for r in rules}
    index = {r.code: i for i, r in enumerate(rules)}
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
        found = fixes(f)
        if found:
            result["fixes"] = found
        if f.suppression is not None:
            result["suppressions"] = [{"kind": f.suppression.kind, "justification": f.suppression.reason}]
        if f.service is not None:
            result["properties"] = {"service": f.service}
        results.append(result)
    log = sarif_log(report, results)
    return json.dumps(log, separators=(",", ":")) + "\n"


#: Text of every kind: quotes, backslashes, control characters, non-ASCII, lone surrogates, and
#: what the run's own keys look like written out.
TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['"results":[]', '\\"', "a\nb", "ü €", "\ud800", "%SRCROOT%", "</script>", "", "sub dir/c.yml"]),
)
FILES = st.sampled_from(["docker-compose.yml", "sub dir/ö.yaml", "/abs/path/c.yml", "C:\\x\\y.yml", "a%20b.yml"])
CODES = st.sampled_from(["CG101", "CG109", "CG503", "CG999"])
NUMBERS = st.integers(min_value=-3, max_value=10**20)


@st.composite
def reports(draw: st.DrawFn) -> Report:
    findings = []
    for _ in range(draw(st.integers(0, 6))):
        fix = draw(st.none() | st.builds(lambda d: Fix(d, (Edit("f.yml", ("a",), "set", 1),)), TEXTS))
        suppression = draw(st.none() | st.builds(Suppression, st.sampled_from(["inSource", "external"]), TEXTS))
        findings.append(
            Finding(
                draw(FILES),
                draw(NUMBERS),
                draw(NUMBERS),
                draw(CODES),
                "name",
                draw(st.sampled_from(list(Severity))),
                draw(TEXTS),
                draw(st.none() | TEXTS),
                fix,
                tuple(draw(st.lists(TEXTS | NUMBERS, max_size=3))),
                draw(TEXTS),
                suppression,
            )
        )
    edits = st.builds(TextEdit, FILES, NUMBERS, NUMBERS, TEXTS, NUMBERS, NUMBERS, NUMBERS, NUMBERS)
    fixes = {f.key: draw(st.lists(edits, max_size=2)) for f in findings if draw(st.booleans())}
    rules = [
        RuleInfo(code, "rule", draw(st.sampled_from(list(Severity))), draw(TEXTS), draw(TEXTS), draw(st.booleans()))
        for code in draw(st.lists(CODES, unique=True))
    ]
    hidden = [f for f in findings if f.suppression is not None]
    return Report(
        findings=[f for f in findings if f.suppression is None],
        suppressed=hidden,
        rules=rules,
        errors=draw(st.lists(TEXTS, max_size=2)),
        version=draw(st.sampled_from(["", "0.1.0"])),
        root_uri=draw(st.sampled_from(["", "file:///work/my%20project/", "file:///ü"])),
        fixes=fixes,
    )


@settings(max_examples=150, deadline=None)
@given(reports())
def test_results_as_text_are_what_json_dumps_writes(report: Report) -> None:
    assert render(report) == dictionaries(report)


def test_a_finding_with_every_part() -> None:
    fix = Fix("add it", (Edit("docker-compose.yml", ("services", "web"), "append", "x"),))
    finding = Finding(
        "docker-compose.yml", 3, 5, "CG503", "n", Severity.info, 'a "quoted" ü', "web", fix, ("services", "web"), "d"
    )
    edit = TextEdit("docker-compose.yml", 10, 0, "  x:\n", 2, 1, 2, 1)
    report = Report(
        findings=[finding],
        suppressed=[finding._replace(line=4, suppression=Suppression("inSource", "why"))],
        rules=[RuleInfo("CG503", "n", Severity.info, "s", "doc", True, "https://x", 5.0)],
        errors=["x.yml:1:1: bad"],
        version="1.0",
        root_uri="file:///work",
        fixes={finding.key: [edit, edit._replace(file="other.yml")]},
    )
    text = render(report)
    assert text == dictionaries(report)
    assert json.loads(text)["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][1]["artifactLocation"] == {
        "uri": "other.yml",
        "uriBaseId": "%SRCROOT%",
    }
