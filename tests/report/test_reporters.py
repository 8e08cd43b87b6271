"""The four reporters: text, json, SARIF 2.1.0 (checked against the official schema) and GitHub
annotations, on findings with awkward text and paths."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from composegen.errors import InputError
from composegen.lint.finding import Edit, Finding, Fix, Severity
from composegen.report import FORMATS, Report, RuleInfo, get_reporter, render
from composegen.report.github import escape_data, escape_property
from composegen.report.sarif import artifact_location

SCHEMA = Path(__file__).parent / "sarif-schema-2.1.0.json"

FIX = Fix("set it", (Edit("docker-compose.yml", ("services", "web", "restart"), "set", "unless-stopped"),))
FINDINGS = [
    Finding("docker-compose.yml", 2, 3, "CG101", "memory-limit-missing", Severity.warning, "no limit", "web"),
    Finding("docker-compose.yml", 9, 11, "CG109", "memory-integer", Severity.error, 'write "512M"', "web", FIX),
    Finding("sub dir/compose.override.yaml", 1, 1, "CG099", "bad-directive", Severity.info, "50%: a, b\nnext"),
    Finding("/abs/path/c.yml", 4, 5, "CG999", "not-described", Severity.warning, "unknown rule"),
]
RULES = [
    RuleInfo("CG099", "bad-directive", Severity.warning, "A bad directive.", "A bad directive.\n\n### What it does"),
    RuleInfo("CG101", "memory-limit-missing", Severity.warning, "A service with no memory limit.", "doc", False),
    RuleInfo("CG109", "memory-integer", Severity.error, "Integer memory.", "doc", True),
]


@cache
def sarif_validator() -> Draft4Validator:
    schema = json.loads(SCHEMA.read_text())
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def assert_valid_sarif(text: str) -> dict[str, Any]:
    log = json.loads(text)
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    return dict(log)


def report(**fields: Any) -> Report:
    defaults: dict[str, Any] = {
        "findings": FINDINGS,
        "rules": RULES,
        "files": ["docker-compose.yml", "sub dir/compose.override.yaml", "/abs/path/c.yml"],
        "version": "0.1.0",
        "root_uri": "file:///work/my%20project",
    }
    return Report(**{**defaults, **fields})


def test_every_format_is_registered() -> None:
    assert FORMATS == ("text", "json", "sarif", "github")
    for name in FORMATS:
        assert callable(get_reporter(name))
    with pytest.raises(InputError, match="unknown output format 'xml'"):
        get_reporter("xml")


def test_text_groups_by_file_with_a_count() -> None:
    out = render("text", report())
    assert "\033[" not in out
    lines = out.splitlines()
    assert lines[0] == "/abs/path/c.yml"
    assert lines.index("docker-compose.yml") < lines.index("sub dir/compose.override.yaml")
    assert "  2:3   warning  CG101  no limit  (memory-limit-missing)" in lines
    assert '  9:11  error    CG109  write "512M"  (memory-integer)' in lines
    assert lines[-1] == "4 problems (1 error, 2 warnings, 1 info) in 3 files, 1 fixable with --fix"


def test_text_colours_only_when_asked() -> None:
    out = render("text", report(color=True))
    assert "\033[31merror  \033[0m" in out and "\033[1mdocker-compose.yml\033[0m" in out


def test_text_when_clean_and_after_fixing() -> None:
    assert render("text", report(findings=[])) == "no problems in 3 files\n"
    assert render("text", report(findings=[], fixed=2, files=["a.yml"])) == "fixed 2 problems; no problems in 1 file\n"
    errors = render("text", report(findings=[], errors=["x.yml:3:1: YAML syntax error"]))
    assert errors.endswith("; 1 file could not be read\n")


def test_json_is_a_list_of_findings() -> None:
    data = json.loads(render("json", report()))
    assert isinstance(data, list) and len(data) == 4
    for item in data:
        assert {"file", "line", "column", "code", "name", "severity", "service", "message"} <= set(item)
    assert data[1] == {
        "file": "docker-compose.yml",
        "line": 9,
        "column": 11,
        "code": "CG109",
        "name": "memory-integer",
        "severity": "error",
        "service": "web",
        "message": 'write "512M"',
        "fixable": True,
    }
    assert json.loads(render("json", report(findings=[]))) == []


def test_github_annotations() -> None:
    lines = render("github", report()).splitlines()
    assert lines[0] == ("::warning file=docker-compose.yml,line=2,col=3,title=CG101 memory-limit-missing::no limit")
    assert lines[1].startswith("::error file=docker-compose.yml,line=9,col=11,title=CG109 memory-integer::")
    assert lines[2] == (
        "::notice file=sub dir/compose.override.yaml,line=1,col=1,title=CG099 bad-directive::50%25: a, b%0Anext"
    )
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert escape_data("a:b,c\r\n") == "a:b,c%0D%0A"
    errors = render("github", report(findings=[], errors=["x.yml:3: YAML syntax error"]))
    assert errors == "::error title=composegen::x.yml:3: YAML syntax error\n"


def test_sarif_is_valid_and_complete() -> None:
    log = assert_valid_sarif(render("sarif", report()))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "composegen" and driver["version"] == "0.1.0"
    assert [r["id"] for r in driver["rules"]] == ["CG099", "CG101", "CG109"]
    assert driver["rules"][1]["shortDescription"]["text"] == "A service with no memory limit."
    assert driver["rules"][2]["defaultConfiguration"]["level"] == "error"
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["CG101", "CG109", "CG099", "CG999"]
    for result in results:
        if "ruleIndex" in result:
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert "ruleIndex" not in results[3]
    assert [r["level"] for r in results] == ["warning", "error", "note", "warning"]
    location = results[2]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "sub%20dir/compose.override.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "startColumn": 1},
    }
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///abs/path/c.yml"}
    assert results[0]["properties"] == {"service": "web"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///work/my%20project/"}}
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_sarif_reports_unreadable_files_as_notifications() -> None:
    log = assert_valid_sarif(render("sarif", report(findings=[], errors=["x.yml:3:1: YAML syntax error"])))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "x.yml:3:1: YAML syntax error"
    assert log["runs"][0]["results"] == []


def test_sarif_with_no_rules_and_no_findings_is_valid() -> None:
    assert_valid_sarif(render("sarif", Report(findings=[])))


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("docker-compose.yml", {"uri": "docker-compose.yml", "uriBaseId": "%SRCROOT%"}),
        ("a b/c#d.yml", {"uri": "a%20b/c%23d.yml", "uriBaseId": "%SRCROOT%"}),
        ("/srv/x y.yml", {"uri": "file:///srv/x%20y.yml"}),
        ("dir\\win.yml", {"uri": "dir/win.yml", "uriBaseId": "%SRCROOT%"}),
    ],
)
def test_sarif_artifact_locations(file: str, expected: dict[str, str]) -> None:
    assert artifact_location(file) == expected


# --- code scanning: security-severity, fingerprints, fixes, suppressions (issue 16) ----------------


def test_sarif_for_code_scanning() -> None:
    from composegen.lint.finding import Suppression
    from composegen.lint.fix_parts import text_edit

    rules = [
        *RULES,
        RuleInfo(
            "CG502", "docker-socket-mounted", Severity.warning, "Socket.", "doc", False, "https://x/rules.md#cg502", 9.0
        ),
    ]
    suppressed = [
        FINDINGS[0]._replace(code="CG502", suppression=Suppression("inSource", "the proxy needs it")),
        FINDINGS[0]._replace(line=7, suppression=Suppression("external", "in the baseline b.json")),
    ]
    before = "services:\n  web:\n    deploy: {resources: {limits: {memory: 512}}}\n"
    after = before.replace("512", '"512M"')
    fixes = {FINDINGS[1].key: [text_edit("docker-compose.yml", before, after)]}
    log = assert_valid_sarif(render("sarif", report(rules=rules, suppressed=suppressed, fixes=fixes)))
    run = log["runs"][0]
    socket = run["tool"]["driver"]["rules"][3]
    assert socket["helpUri"] == "https://x/rules.md#cg502"
    assert socket["properties"] == {"fixable": False, "tags": ["security"], "security-severity": "9.0"}
    assert "security-severity" not in run["tool"]["driver"]["rules"][1]["properties"]
    results = run["results"]
    assert len(results) == 6
    fingerprints = [r["partialFingerprints"]["composegenFingerprint/v1"] for r in results]
    assert all(len(f) == 32 for f in fingerprints)
    assert fingerprints[5] == fingerprints[0]  # the same finding on another line: the same fingerprint
    assert len(set(fingerprints)) == 5
    assert [r.get("suppressions") for r in results[4:]] == [
        [{"kind": "inSource", "justification": "the proxy needs it"}],
        [{"kind": "external", "justification": "in the baseline b.json"}],
    ]
    assert "suppressions" not in results[0]
    [fix] = results[1]["fixes"]
    assert fix["description"] == {"text": "set it"}
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "docker-compose.yml", "uriBaseId": "%SRCROOT%"}
    [edit] = change["replacements"]
    region = edit["deletedRegion"]
    offset = before.index("512")
    assert region == {
        "startLine": 3,
        "startColumn": before.index("512") - before.rindex("\n", 0, offset),
        "endLine": 3,
        "endColumn": before.index("512") - before.rindex("\n", 0, offset) + 3,
        "charOffset": offset,
        "charLength": 3,
    }
    assert edit["insertedContent"] == {"text": '"512M"'}
    assert before[:offset] + edit["insertedContent"]["text"] + before[offset + 3 :] == after


@pytest.mark.parametrize(
    ("before", "after"),
    [("a\nb\n", "a\nb\nc\n"), ("abc", "abc"), ("", "x"), ("xyz\n", ""), ("aXa", "aYYa"), ("aa", "aaa")],
)
def test_sarif_replacements_turn_before_into_after(before: str, after: str) -> None:
    from composegen.lint.fix_parts import text_edit
    from composegen.report.sarif import replacement

    edit = replacement(text_edit("f.yml", before, after))
    region = edit["deletedRegion"]
    start, length = region["charOffset"], region["charLength"]
    assert before[:start] + edit["insertedContent"]["text"] + before[start + length :] == after


def test_json_lists_suppressed_findings_last_with_their_reason() -> None:
    from composegen.lint.finding import Suppression

    hidden = FINDINGS[0]._replace(suppression=Suppression("inSource", "why"))
    found = json.loads(render("json", report(findings=FINDINGS[:1], suppressed=[hidden])))
    assert "suppressed" not in found[0]
    assert found[1]["suppressed"] == {"kind": "inSource", "reason": "why"}
