"""SARIF `fixes`: a file's fixes are planned once, together, and each finding given its own changes
(composegen.lint.fix_parts); each must be what planning that finding's fix alone gives."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from composegen.lint.fix import plan
from composegen.lint.fix_parts import Hunk, _own_edit, read_text, text_edit
from composegen.lint.run import LintOptions, display_path, fix_texts, lint
from composegen.yamlio import parse_document

#: services with several fixable findings each, in one block and next to each other
STACK = """\
x-logging: &logging
  driver: json-file
services:
  api:
    image: ghcr.io/acme/api:2.1.0
    deploy:
      resources:
        limits:
          memory: 512
    healthcheck:
      test: ["CMD", "curl", "-s", "http://localhost/"]
      start_interval: 2s
    # the end of api
  worker:
    image: ghcr.io/acme/worker:2.1.0
    healthcheck:
      test: curl http://localhost:9000/
  db:
    image: postgres:16.4
    deploy: {resources: {limits: {memory: 1073741824}}}
"""


@pytest.fixture
def findings(tmp_path: Path) -> list:  # type: ignore[type-arg]
    (tmp_path / "docker-compose.yml").write_text(STACK)
    run = lint(LintOptions(cwd=tmp_path, files=(tmp_path / "docker-compose.yml",), environ={}))
    return [f for f in run.findings if f.fix is not None]


def test_each_finding_gets_exactly_its_own_fix(tmp_path: Path, findings: list) -> None:  # type: ignore[type-arg]
    """The same data as that finding's fix planned alone (a new key may sit on either side of a
    comment that closes its block: both are what --fix writes, alone or with the others)."""
    assert {f.code for f in findings} == {"CG109", "CG202", "CG206", "CG503"}
    assert len(findings) >= 8
    parts = fix_texts(findings, tmp_path)
    for finding in findings:
        alone = plan([finding], tmp_path)
        assert alone.skipped == () and len(alone.changes) == 1, finding
        [part] = parts[finding.key]
        after = STACK[: part.offset] + part.text + STACK[part.offset + part.length :]
        expected = parse_document(alone.changes[0].after, "alone.yml").data
        assert parse_document(after, "part.yml").data == expected, finding.message


def test_a_file_with_one_fix_is_that_fix(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27.1\n")
    run = lint(LintOptions(cwd=tmp_path, files=(tmp_path / "docker-compose.yml",), environ={}, select=("CG503",)))
    [finding] = run.findings
    [part] = fix_texts(run.findings, tmp_path)[finding.key]
    added = "    security_opt:\n      - no-new-privileges:true\n"
    before = "services:\n  web:\n    image: nginx:1.27.1\n"
    assert (part.offset, part.length, part.text) == (len(before), 0, added)
    assert (part.start_line, part.start_column, part.end_line, part.end_column) == (4, 1, 4, 1)


@st.composite
def _texts_and_hunks(draw: st.DrawFn) -> tuple[str, list[Hunk]]:
    """A text, and changes to it in file order: lines replaced, deleted or inserted."""
    line = st.lists(st.sampled_from(["a", "b", " ", "ü", "- "]), max_size=4).map(lambda parts: "".join(parts) + "\n")
    lines = draw(st.lists(line, max_size=8))
    if lines and draw(st.booleans()):
        lines[-1] = lines[-1][:-1]  # no newline at the end
    text = "".join(lines)
    lines = text.splitlines(keepends=True)
    hunks: list[Hunk] = []
    at = 0
    while at <= len(lines) and draw(st.booleans()):
        start = draw(st.integers(at, len(lines)))
        stop = draw(st.integers(start, min(start + 2, len(lines))))
        new = tuple(draw(st.lists(line, max_size=2)))
        hunks.append(Hunk(start, stop, new))
        at = stop + 1
    return text, hunks


@settings(max_examples=300, deadline=None)
@given(_texts_and_hunks())
def test_a_findings_own_edit_is_the_smallest_replacement(case: tuple[str, list[Hunk]]) -> None:
    """`_own_edit` reads the text after a finding's hunks without building it (a fix on each of
    thousands of services): the replacement `text_edit` finds between the two whole texts."""
    text, own = case
    assume(own)
    lines = text.splitlines(keepends=True)
    after: list[str] = []
    done = 0
    for hunk in own:
        after += [*lines[done : hunk.start], *hunk.lines]
        done = hunk.stop
    after += lines[done:]
    assert _own_edit("f.yml", read_text(text), own) == text_edit("f.yml", text, "".join(after))


@st.composite
def _services(draw: st.DrawFn) -> str:
    """Services, some with a `security_opt` list already, with comments and blank lines around."""
    comment = st.sampled_from(["", "# top\n", "  # a service's\n", "    # a key's\n", "\n"])
    text = "services:\n"
    for index in range(draw(st.integers(1, 6))):
        text += f"  s{index}:\n    image: nginx:1.27.1\n"
        if draw(st.booleans()):
            text += "    security_opt:\n" + "".join(
                draw(st.sampled_from(["      - label:disable\n", "    - label:disable\n", "      - seccomp:x\n"]))
                for _ in range(draw(st.integers(1, 2)))
            )
        if draw(st.booleans()):
            text += "    environment:\n      A: b\n"
        text += draw(comment)
    return text if draw(st.booleans()) else text.rstrip("\n")


@settings(max_examples=60, deadline=None)
@given(_services())
def test_the_text_planners_lines_are_what_splitting_the_whole_change_gives(text: str) -> None:
    """SARIF takes each finding's lines as the text planner placed them (`TextPlan.own`) instead of
    diffing the file and splitting the changes among the findings' blocks: the same replacements."""
    from composegen.lint.fix_parts import finding_blocks, split

    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        (cwd / "docker-compose.yml").write_text(text)
        options = LintOptions(cwd=cwd, files=(cwd / "docker-compose.yml",), environ={}, select=("CG503",))
        fixable = [f for f in lint(options).findings if f.fix is not None]
        assume(len(fixable) > 1)
        changes = plan(fixable, cwd, lambda path: display_path(str(path), cwd)).changes
        assume(len(changes) == 1)  # (not YAML: a list item at two indentations)
        [change] = changes
        blocks = finding_blocks(fixable, change.before, parse_document(change.before, "f.yml").positions)
        whole = split(change.display, change.before, change.after, blocks)
        assert {key: [edit] for key, edit in whole.items()} == fix_texts(fixable, cwd)
