"""The JSON report written as text (composegen.report.json_format: a run can hold hundreds of
thousands of findings, and json's indenting encoder is pure Python): the very bytes json.dumps
writes for the findings' dictionaries, pinned against it on generated reports."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.lint.finding import Edit, Finding, Fix, Severity, Suppression
from composegen.report.base import Report
from composegen.report.json_format import render


def dictionaries(report: Report) -> str:
    """The report as the reporter wrote it before: each finding's dictionary, then json.dumps."""
    return json.dumps([f.as_dict() for f in (*report.findings, *report.suppressed)], indent=2) + "\n"


#: Text of every kind: quotes, backslashes, control characters, non-ASCII, lone surrogates, and
#: what the layout itself looks like written out.
TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['\\"', "a\nb", "ü €", "\ud800", "},\n    {", '"fixable": true', "", "\t\x00\x1f\x7f"]),
)
NUMBERS = st.integers(min_value=-3, max_value=10**20) | st.booleans()
FIX = Fix("add it", (Edit("f.yml", ("a",), "set", 1),))


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    return Finding(
        draw(TEXTS),
        draw(NUMBERS),
        draw(NUMBERS),
        draw(TEXTS),
        draw(TEXTS),
        draw(st.sampled_from(list(Severity))),
        draw(TEXTS),
        draw(st.none() | TEXTS),
        draw(st.sampled_from([None, FIX])),
        (),
        "",
        draw(st.none() | st.builds(Suppression, st.sampled_from(["inSource", "external"]), TEXTS)),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(findings(), max_size=5), st.lists(findings(), max_size=3))
def test_findings_as_text_are_what_json_dumps_writes(shown: list[Finding], suppressed: list[Finding]) -> None:
    report = Report(findings=shown, suppressed=suppressed)
    assert render(report) == dictionaries(report)


def test_no_findings_is_an_empty_list() -> None:
    assert render(Report(findings=[])) == "[]\n"
