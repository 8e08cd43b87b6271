"""`unique`: each finding once (the first of those with one key), in the order findings are shown."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.lint.finding import ORDER, Edit, Finding, Fix, Severity, Suppression, unique


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
        digested = finding._replace(suppression=Suppression("external", "known")).with_digest("abc")
        assert digested == finding._replace(digest="abc", suppression=Suppression("external", "known"))
        assert type(digested) is Finding


FINDINGS = st.builds(
    _finding,
    st.integers(1, 3),
    st.sampled_from(["CG101", "CG107"]),
    st.sampled_from(["a", "b"]),
    st.sampled_from(["m", "n"]),
    st.sampled_from([None, Fix("add it", (Edit("c.yml", ("services", "a"), "set", 1),))]),
).flatmap(lambda f: st.sampled_from([f, f._replace(severity=Severity.info), f._replace(column=1)]))


@settings(max_examples=300, deadline=None)
@given(st.lists(FINDINGS, max_size=12))
def test_unique_is_the_first_of_each_key_in_display_order(findings: list[Finding]) -> None:
    """Against the slow way: the first finding of each `key`, sorted (stably) by `ORDER`; with and
    without findings that tie (its shortcut: none tie)."""
    first: dict[object, Finding] = {}
    for finding in findings:
        first.setdefault(finding.key, finding)
    expected = sorted(first.values(), key=ORDER)
    found = unique(findings)
    assert found == expected
    assert [f.fix for f in found] == [f.fix for f in expected]
