"""`unique`: each finding once (the first of those with one key), in the order findings are shown."""

from __future__ import annotations

from composegen.lint.finding import Edit, Finding, Fix, Severity, unique


def _finding(line: int, code: str, service: str, message: str = "m", fix: Fix | None = None) -> Finding:
    return Finding("c.yml", line, 3, code, code.lower(), Severity.warning, message, service, fix)


def test_each_finding_once_the_first_kept_in_display_order() -> None:
    fix = Fix("add it", (Edit("c.yml", ("services", "a"), "set", 1),))
    a, b, c = _finding(5, "CG101", "a"), _finding(5, "CG101", "b"), _finding(2, "CG107", "a")
    findings = [a, b, a._replace(fix=fix), c, b, _finding(5, "CG101", "a", "n"), a._replace(severity=Severity.info)]
    assert unique(findings) == [c, a, b, a._replace(severity=Severity.info), _finding(5, "CG101", "a", "n")]
    assert unique(findings)[1].fix is None  # the first of the two that differ in their fix alone
    assert unique([]) == []


def test_findings_of_one_place_from_two_services_interleaved() -> None:
    # a merged `<<:` source puts findings of several services at its one line
    found = [_finding(1, "CG603", s) for s in ("a", "b", "c")] * 3
    assert [f.service for f in unique(found)] == ["a", "b", "c"]


def test_with_file_is_replace_of_the_file() -> None:
    fix = Fix("add it", (Edit("a.yml", ("services", "web"), "append", "x"),))
    for finding in (_finding(3, "CG101", "web"), _finding(4, "CG503", "db", "m2", fix)._replace(digest="d")):
        moved = finding.with_file("shown.yml")
        assert moved == finding._replace(file="shown.yml")
        assert type(moved) is Finding
