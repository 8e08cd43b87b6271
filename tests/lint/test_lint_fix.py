"""`--fix` and `--diff`: edits applied through the round trip, only the changed lines written back,
comments, anchors, quotes and key order kept, files replaced atomically."""

from __future__ import annotations

import difflib
import io
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.cli.lint_output import main
from composegen.lint.finding import Edit, Finding, Fix, Severity
from composegen.lint.fix import EditError, FileChange, FixPlan, _fix_key, apply_edit, carry_over, plan
from composegen.lint.run import LintOptions
from composegen.yamlio import Timestamp, dump_roundtrip, load_roundtrip, parse_document

STACK = """\
# the shop stack
x-base: &base
  image: "nginx:1.27.1"  # pinned on purpose
  restart: unless-stopped

services:
  web:
    <<: *base
    ports:
      - "8080:80"
    deploy:
      resources:
        limits:
          memory: 512   # bytes?!
  worker:
    image: 'ghcr.io/acme/worker:1.4.0'
    healthcheck:
      test: ["CMD", "true"]
      start_interval: 2s
    environment:
      MODE: "fast"

# the database, last
  db:
    image: postgres:16.4
"""


def rt(text: str) -> Any:
    return load_roundtrip(text, "t.yml")


def edit(path: tuple[str | int, ...], action: str = "set", value: Any = None) -> Edit:
    return Edit("t.yml", path, action, value)  # type: ignore[arg-type]


def test_set_replaces_in_place_and_creates_parents() -> None:
    data = rt("a:\n  b: 1  # keep\n  c: 2\nd:\n")
    apply_edit(data, edit(("a", "b"), value="one"))
    apply_edit(data, edit(("a", "x", "y"), value=3))
    apply_edit(data, edit(("d", "e"), value=True))
    assert dump_roundtrip(data) == "a:\n  b: one # keep\n  c: 2\n  x:\n    y: 3\nd:\n  e: true\n"


def test_delete_and_append() -> None:
    data = rt("a:\n  b: 1\n  l: [x]\n  m:\n    - y\n")
    apply_edit(data, edit(("a", "b"), "delete"))
    apply_edit(data, edit(("a", "gone"), "delete"))  # nothing to delete: fine
    apply_edit(data, edit(("a", "l"), "append", "z"))
    apply_edit(data, edit(("a", "m"), "append", "w"))
    apply_edit(data, edit(("a", "new"), "append", "v"))
    apply_edit(data, edit(("a", "m", 0), "set", "Y"))
    assert parse_document(dump_roundtrip(data), "t").data == {"a": {"l": ["x", "z"], "m": ["Y", "w"], "new": ["v"]}}


@pytest.mark.parametrize(
    ("text", "the_edit", "message"),
    [
        ("a: 1\n", edit(("a", "b"), value=1), "'a' is a scalar value"),
        ("a: 1\n", edit(("a", "b", "c"), value=1), "'b' is inside a scalar value"),
        ("a: [1]\n", edit(("a", 3, "b"), value=1), "no item 3"),
        ("a: 1\n", edit(("a",), "append", 2), "not a list"),
        ("x: &x {m: 1}\ns:\n  <<: *x\n", edit(("s", "m", "k"), value=1), "merge key"),
    ],
)
def test_edits_that_cannot_apply(text: str, the_edit: Edit, message: str) -> None:
    with pytest.raises(EditError, match=message):
        apply_edit(rt(text), the_edit)


def test_setting_a_merged_key_overrides_it_without_touching_the_anchor() -> None:
    data = rt("x: &x {m: 1}\ns:\n  <<: *x\n")
    apply_edit(data, edit(("s", "m"), value=2))
    assert parse_document(dump_roundtrip(data), "t").data == {"x": {"m": 1}, "s": {"m": 2}}


def test_carry_over_keeps_lines_the_round_trip_would_rewrite() -> None:
    original = 'a:\n  q:    "spaced"\n  n: 1\n# closing comment\n'
    before = dump_roundtrip(rt(original))
    assert before != original  # ruamel folds the extra spaces
    data = rt(original)
    data["a"]["n"] = 2
    data["a"]["new"] = "x"
    merged = carry_over(original, before, dump_roundtrip(data))
    assert merged == 'a:\n  q:    "spaced"\n  n: 2\n  new: x\n# closing comment\n'


def test_carry_over_rewrites_only_the_changed_line() -> None:
    original = 'a:\n  q: "quoted"\n  r: "kept"\n'
    data = rt(original)
    data["a"]["q"] = "other"
    assert carry_over(original, dump_roundtrip(rt(original)), dump_roundtrip(data)) == 'a:\n  q: "other"\n  r: "kept"\n'


def test_carry_over_gives_up_when_the_round_trip_joined_the_changed_lines() -> None:
    original = "a: {b: [1,\n  2], c: 3}\n"
    before = dump_roundtrip(rt(original))
    data = rt(original)
    data["a"]["c"] = 4
    assert carry_over(original, before, dump_roundtrip(data)) is None


def finding(path: Path, fix: Fix | None, line: int = 1) -> Finding:
    return Finding(str(path), line, 1, "CG109", "memory-integer", Severity.error, "m", None, fix)


def test_plan_skips_fixes_it_cannot_make_and_says_why(tmp_path: Path) -> None:
    file = tmp_path / "c.yml"
    file.write_text("a: 1\n")
    other = tmp_path / "d.yml"
    other.write_text("b: 1\n")
    bad = Fix("go deeper", (Edit(str(file), ("a", "b"), "set", 1),))
    split = Fix("two files", (Edit(str(file), ("a",), "set", 2), Edit(str(other), ("b",), "set", 2)))
    result = plan([finding(file, bad), finding(file, split)], tmp_path)
    assert result.changes == ()
    assert len(result.skipped) == 2
    assert any("edits span several files" in line for line in result.skipped)
    assert any("go deeper: a.b: 'a' is a scalar value" in line for line in result.skipped)


def test_plan_merges_identical_fixes_and_counts_findings(tmp_path: Path) -> None:
    file = tmp_path / "c.yml"
    file.write_text("a: 1\n")
    fix = Fix("set a", (Edit(str(file), ("a",), "set", 2),))
    result = plan([finding(file, fix), finding(file, fix, line=2)], tmp_path)
    assert result.applied == 2 and len(result.changes) == 1
    assert result.changes[0].after == "a: 2\n"


def test_plan_groups_a_files_fixes_in_their_order_whatever_names_it(tmp_path: Path) -> None:
    """A file named two ways (relative, absolute; one edit or several in it) gets its fixes in the
    order they came, as one change: each name's fixes are grouped by the path it resolves to."""
    file = tmp_path / "c.yml"
    file.write_text("a: 1\nb: 1\nc: 1\nd: 1\n")
    fixes = [
        Fix("set a", (Edit("c.yml", ("a",), "set", 2),)),
        Fix("set b", (Edit(str(file), ("b",), "set", 2),)),
        Fix("set c and d", (Edit("c.yml", ("c",), "set", 2), Edit(str(file), ("d",), "set", 2))),
        Fix("set d", (Edit("c.yml", ("d",), "set", 3),)),
    ]
    result = plan([finding(file, fix, line=line) for line, fix in enumerate(fixes, start=1)], tmp_path)
    assert [change.fixes for change in result.changes] == [("set a", "set b", "set c and d", "set d")]
    assert result.changes[0].after == "a: 2\nb: 2\nc: 2\nd: 3\n"


def run_lint(folder: Path, *args: str, **options: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("select", ("CG109", "CG202", "CG503"))
    code = main(LintOptions(cwd=folder, environ={}, format="json", **options), out, err)
    return code, out.getvalue(), err.getvalue()


def test_diff_shows_the_change_and_writes_nothing(tmp_path: Path) -> None:
    file = tmp_path / "docker-compose.yml"
    file.write_text(STACK)
    code, out, err = run_lint(tmp_path, diff=True)
    assert code == 1, err
    assert file.read_text() == STACK
    assert out.startswith("--- a/docker-compose.yml\n+++ b/docker-compose.yml\n")
    assert "-          memory: 512   # bytes?!\n+          memory: 512b  # bytes?!\n" in out


def test_diff_runs_only_the_rules_that_fix(tmp_path: Path) -> None:
    """--diff prints what the fixes change and exits on whether they change anything: the rules
    that fix nothing need not run (half a large stack's lint), and the diff is the same."""
    from composegen.lint.run import check, lint

    (tmp_path / "docker-compose.yml").write_text(STACK)
    options = LintOptions(cwd=tmp_path, files=(tmp_path / "docker-compose.yml",), environ={})
    every = lint(options)
    outcome = check(options._replace(diff=True))
    fixable = {rule.code for rule in every.rules if rule.fixable}
    assert {f.code for f in outcome.run.findings} == {f.code for f in every.findings if f.code in fixable}
    assert {f.code for f in every.findings} - fixable  # findings of rules that fix nothing: not run
    assert outcome.diff == plan(every.findings, tmp_path, lambda p: p.name, every.documents).diff()


def test_fix_edits_in_place_keeping_comments_anchors_quotes_and_order(tmp_path: Path) -> None:
    file = tmp_path / "docker-compose.yml"
    file.write_text(STACK)
    file.chmod(0o640)
    code, out, err = run_lint(tmp_path, fix=True)
    assert code == 0, (out, err)
    assert out == "[]\n"  # nothing left of what was fixed
    text = file.read_text()
    for kept in (
        "# the shop stack\n",
        'image: "nginx:1.27.1"  # pinned on purpose\n',
        "<<: *base\n",
        '      - "8080:80"\n',
        "image: 'ghcr.io/acme/worker:1.4.0'\n",
        '      test: ["CMD", "true"]\n',
        'MODE: "fast"\n',
        "\n# the database, last\n  db:\n",
    ):
        assert kept in text
    assert "memory: 512b  # bytes?!" in text  # the comment keeps its column
    assert "start_period:" in text
    assert text.count("no-new-privileges:true") == 3
    assert text.index("  web:") < text.index("  worker:") < text.index("  db:")
    assert stat.S_IMODE(file.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docker-compose.yml"]  # no temp files left
    again, out, _ = run_lint(tmp_path, diff=True)
    assert (again, out) == (0, "")


def test_fix_keeps_the_indentation_of_the_file(tmp_path: Path) -> None:
    file = tmp_path / "docker-compose.yml"
    four = "services:\n    web:\n        image: nginx:1.27.1\n        deploy:\n            resources:\n"
    four += "                limits:\n                    memory: 512\n        ports:\n        - '80:80'\n"
    file.write_text(four)
    code, _, err = run_lint(tmp_path, fix=True, select=("CG109", "CG503"))
    assert (code, err) == (0, "")
    assert file.read_text() == four.replace("memory: 512", "memory: 512b") + (
        "        security_opt:\n          - no-new-privileges:true\n"
    )


def test_fix_reports_what_it_cannot_fix_and_leaves_the_file(tmp_path: Path) -> None:
    file = tmp_path / "docker-compose.yml"
    folded = "services:\n  web:\n    image: nginx:1.27.1\n    deploy: {resources: {limits: {\n      memory: 512}}}\n"
    file.write_text(folded)  # the round trip joins the two lines of the flow mapping
    code, out, err = run_lint(tmp_path, fix=True, select=("CG109",))
    assert file.read_text() == folded
    assert code == 1 and "CG109" in out
    assert "not fixed" in err and "apply it by hand" in err


def test_fix_cases_of_the_rule_runner(tmp_path: Path) -> None:
    """The `fixed:` key of tests/lint/cases/*.yaml, as test_rules.py applies it."""
    from test_rules import check_fix_case, run_case

    case = {
        "name": "integer memory",
        "files": {
            "docker-compose.yml": (
                "services:\n  web:\n    image: nginx:1.27.1\n    deploy:\n      resources:\n"
                "        limits: {memory: 536870912}  # half a gig\n"
            )
        },
        "fixed": {
            "docker-compose.yml": (
                "services:\n  web:\n    image: nginx:1.27.1\n    deploy:\n      resources:\n"
                "        limits: {memory: 512M}       # half a gig\n"  # the comment keeps its column
            )
        },
    }
    findings = run_case("CG109", case, tmp_path)
    assert [f.code for f in findings] == ["CG109"]
    check_fix_case("CG109", case, tmp_path, findings)
    wrong = {**case, "fixed": {"docker-compose.yml": "something else\n"}}
    (tmp_path / "again").mkdir()
    with pytest.raises(AssertionError, match="after --fix"):
        check_fix_case("CG109", wrong, tmp_path / "again", run_case("CG109", wrong, tmp_path / "again"))


NO_NEWLINE = [
    ("none at the end", "services:\n  web:\n    image: nginx:1.27.1", "\n    security_opt:\n      - x\n"),
    ("a form feed ends a line", "services:\n  web:\n    command: a\x0cb\n", "    security_opt:\n      - x\n"),
    ("every line ends in one", "services:\n  web:\n    image: nginx:1.27.1\n", "    security_opt:\n      - x\n"),
]


@pytest.mark.parametrize(("name", "before", "added"), NO_NEWLINE, ids=[case[0] for case in NO_NEWLINE])
def test_a_diff_says_which_line_has_no_newline_as_diff_does(name: str, before: str, added: str) -> None:
    after = before + added
    change = FileChange(Path("f.yml"), "f.yml", before, after, ("fix",), inserted=((3, 2),))
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True), "a/f.yml", "b/f.yml")
    expected = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    assert FixPlan((change,), 1, ()).diff() == expected


#: Edit values and keys that are equal in Python but not in their reprs (`1`, `True`, `1.0`; a
#: time kept as text and the text), and lists.
_EDIT_VALUES = st.sampled_from(["x", "1", 1, True, 1.0, Timestamp("2001-12-14"), "2001-12-14", ["x"], None])
_EDIT_KEYS = st.sampled_from(["services", "web", "1", 1, True, 1.0])
_FIXES = st.builds(
    lambda edits: Fix("d", tuple(edits)),
    st.lists(
        st.builds(Edit, st.just("c.yml"), st.lists(_EDIT_KEYS, max_size=3).map(tuple), st.just("append"), _EDIT_VALUES),
        min_size=1,
        max_size=2,
    ),
)


@settings(max_examples=300, deadline=None)
@given(_FIXES, _FIXES)
def test_two_fixes_are_one_where_their_edits_reprs_are(one: Fix, other: Fix) -> None:
    """`_fix_key` (the edits themselves where they compare as their reprs do) against the reprs."""

    def slow(fix: Fix) -> str:
        return repr([(e.file, e.path, e.action, e.value) for e in fix.edits])

    assert (_fix_key(one) == _fix_key(other)) == (slow(one) == slow(other))
    assert _fix_key(one) == _fix_key(Fix("d", tuple(Edit(*e) for e in one.edits)))
